// jsonl.h: a JSON Lines reader (one JSON value per line, as Claude Code and Codex CLI write
// their session logs). Bytes come through one fixed read buffer from a caller's source (the
// same ChatJsonReadFn as json.h, or memory); each line is parsed by the strict JSON reader
// (json.h) into a tree on an arena the caller passes per call. A line is never held whole:
// it streams from the buffer into the JSON reader (files with 20 MB lines exist), so memory
// per line is its tree, not tree plus text.
//
// A line that is not one JSON value (a syntax error, invalid UTF-8, a second value, a line
// longer than max_line) is skipped to its newline and reported with its line number
// (CHAT_JSONL_BAD); the next call goes on with the next line. Only a failing source is fatal.
// Blank lines are skipped. Line numbers are 1-based and count every newline.
//
// Memory: the reader and its buffer are pushed on the arena given to chat_jsonl_open and live
// until the caller pops it; one JSON reader (its own arena: frames, a 64 KB buffer, room
// reserved for the longest string) is restarted at each line and released by chat_jsonl_close.
#ifndef CHAT_JSONL_H
#define CHAT_JSONL_H

#include "arenakit/arena.h"
#include "chat/json.h"

#define CHAT_JSONL_DEFAULT_BUFFER AK_KB(256)
#define CHAT_JSONL_DEFAULT_MAX_LINE AK_MB(512)

typedef struct ChatJsonlParams {
    ChatJsonReadFn *read; // the source, or NULL to read from data/len
    void *user;
    const char *data;     // in-memory input (when read is NULL); must outlive the reader
    uint64_t len;
    uint64_t buffer_size; // default CHAT_JSONL_DEFAULT_BUFFER
    uint64_t max_line;    // longest line in bytes; default CHAT_JSONL_DEFAULT_MAX_LINE
} ChatJsonlParams;

typedef struct ChatJsonl ChatJsonl;

// NULL (reason in err) if the arena cannot hold the reader and its buffer, or the JSON reader
// (its own arena, one for all the lines) cannot be made. Close releases the JSON reader.
ChatJsonl *chat_jsonl_open(AkArena *arena, ChatJsonlParams params, ChatError *err);
void chat_jsonl_close(ChatJsonl *r); // NULL is fine

typedef enum ChatJsonlStep {
    CHAT_JSONL_RECORD, // *out is the line's value, on `arena`
    CHAT_JSONL_BAD,    // the line was skipped; chat_jsonl_error says why (with its number)
    CHAT_JSONL_END,    // the input ended
    CHAT_JSONL_ERROR,  // the source failed: chat_jsonl_error says what; every later call repeats it
} ChatJsonlStep;

ChatJsonlStep chat_jsonl_next(ChatJsonl *r, AkArena *arena, ChatJson **out);

const char *chat_jsonl_error(const ChatJsonl *r);  // the last BAD or ERROR: "line 3: ..."
uint64_t chat_jsonl_line(const ChatJsonl *r);      // number of the line last returned
uint64_t chat_jsonl_line_offset(const ChatJsonl *r); // byte offset where that line's value starts
uint64_t chat_jsonl_offset(const ChatJsonl *r);    // bytes consumed so far
uint64_t chat_jsonl_replaced(const ChatJsonl *r);  // unpaired surrogate escapes made U+FFFD (json.h)
// Whether the line last returned ended with its newline (false: the input ended inside it, as
// the last line of a file still being written does).
bool chat_jsonl_line_ended(const ChatJsonl *r);

#endif
