// source.h: the one table of sources (Claude.ai, ChatGPT, Claude Code, Codex CLI, Gemini). A
// row says what a source is called (stored name, label, JSON key), how its documents are read
// and how a document or a record is recognised as its own; the database, the import driver, the
// command line, `stats` and the tests loop over the rows instead of naming sources. A new source
// is its importer file, one row in source.c and one ChatSource value in conv.h.
//
// Memory: the table is static and read only; nothing here allocates (the text helpers write
// into the caller's buffer).
#ifndef CHAT_SOURCE_H
#define CHAT_SOURCE_H

#include "chat/conv.h"
#include "chat/error.h"
#include "chat/json.h"

#include <stddef.h>

// How a source's documents are read (the import driver's three paths).
typedef enum ChatSourceReading {
    CHAT_SOURCE_READ_EXPORT,   // a JSON array (or one object) of conversation objects: conversations.json
    CHAT_SOURCE_READ_SESSION,  // JSON Lines, one chat per file, built record by record
    CHAT_SOURCE_READ_DOCUMENT, // a top-level array read whole by the source's own reader (Takeout)
} ChatSourceReading;

// The top-level keys of a document's first object, as far as its first bytes hold them
// (sources.c scans them without building a tree). String values are raw (escapes undecoded).
typedef struct ChatSourceHead ChatSourceHead;
bool chat_source_head_has(const ChatSourceHead *head, const char *key);
AkStr chat_source_head_str(const ChatSourceHead *head, const char *key); // "" if absent, not a string, or cut

typedef struct ChatSourceRun ChatSourceRun; // sources.h: what the driver lends a document reader

typedef struct ChatSourceInfo {
    ChatSource id;
    const char *name;     // "claude-code": stored in the database, --source and source:, JSON "source"
    const char *label;    // "Claude Code": for people (stats, headers)
    const char *json_key; // "claude_code": its count's key in `stats --json`
    const char *product;  // "Claude Code": the program or export it comes from, in messages
    bool headline;        // `stats` names it even with no chats (the two exports most people have)
    ChatSourceReading reading;
    // EXPORT: the key its conversation objects have ("chat_messages"); a document whose first
    // object has it, and an object that has it, are this source's.
    const char *mark;
    bool (*import_conv)(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err);
    // SESSION and DOCUMENT: whether a document's first object is this source's (SESSION rows
    // are asked about a head starting with '{', DOCUMENT rows about one starting with '[').
    bool (*claims_head)(const ChatSourceHead *head);
    // SESSION: whether one record is this source's (the first one that a row claims decides the
    // file), and the chat built from the records, its state on `arena` (the chat's).
    bool (*claims_record)(const ChatJson *rec);
    void *(*session_begin)(AkArena *arena);
    bool (*session_record)(void *session, const ChatJson *rec, uint64_t line, ChatError *err);
    bool (*session_finish)(void *session, ChatConv *out, ChatError *err);
    // DOCUMENT: the whole document; and, for archive members (listed by name before any content
    // can be looked at), whether a member's path is worth offering to it.
    bool (*import_document)(ChatSourceRun *run, const char *name, ChatJsonReadFn *read, void *user, const char *data,
                            uint64_t len);
    bool (*claims_member)(const char *path);
} ChatSourceInfo;

// Rows in table order (the order in which detection asks them): i < chat_source_count().
size_t chat_source_count(void);
const ChatSourceInfo *chat_source_at(size_t i);
// The row of a source, NULL for a value that is not one (0, a newer writer's number).
const ChatSourceInfo *chat_source_info(ChatSource id);
// The row named `name` in any case ("Claude-Code"), NULL if none.
const ChatSourceInfo *chat_source_by_name(const char *name);
const ChatSourceInfo *chat_source_by_name_str(AkStr name);
// The longest name, for columns.
int chat_source_name_width(void);
// "claude, chatgpt, claude-code, codex or gemini" into buf (cut to cap); returns buf.
char *chat_source_names_text(char *buf, size_t cap);

// The same list for usage texts, which are string literals: a test checks it against the table
// (tests/test_source_table.c), so a row added without it fails the build's tests, not a user.
#define CHAT_SOURCE_NAMES_TEXT "claude, chatgpt, claude-code, codex or gemini"

#endif
