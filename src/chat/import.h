// import.h: reads Claude.ai and ChatGPT data exports and hands each conversation, normalized
// into a ChatConv (conv.h), to a sink (the store). Accepts a conversations*.json file, an
// unpacked export folder, or the export archive itself (zip, read through libarchive from the
// archive, never unpacked to disk). The format is decided per conversation object by its keys
// (chat_messages: Claude; mapping: ChatGPT; chatlog_export: chatlog's own JSON export, which
// mirrors the store and reads back as stored), never by the file name.
//
// Threads and memory: a parser thread reads and normalizes conversation N+1 into one of two
// arenas ("import slot") while the caller's thread hands N, from the other, to the sink; the
// sink, the progress callback and the report are only ever touched on the caller's thread, in
// the file's order, with the same results as one thread (without a thread, when it cannot be
// had, the caller parses on a scratch arena itself). So at most two conversations are in
// memory at once, plus the JSON reader's buffer, whatever the size of the export. (Claude Code,
// Codex and Gemini files are read on the caller's thread: sources.c.) The report's list of bad
// conversations is pushed on the caller's arena. libarchive allocates with malloc internally
// (its own state and inflate buffers, a few hundred KB while an archive is open).
#ifndef CHAT_IMPORT_H
#define CHAT_IMPORT_H

#include "arenakit/map.h"
#include "chat/conv.h"
#include "chat/error.h"
#include "chat/json.h"

// What an import does with input it cannot read (see chat_import_path):
//  - by default a conversation that cannot be read is skipped and listed, the rest imported;
//    a file that is not valid JSON imports nothing (the whole import fails);
//  - skip_bad also salvages a file that is not valid JSON: the complete conversations before
//    the syntax fault are imported, the fault is listed, and the import goes on;
//  - strict makes any bad conversation fatal too (all or nothing); it overrides skip_bad.
typedef struct ChatImportOptions {
    bool skip_bad; // salvage the complete conversations before a syntax fault
    bool strict;   // a bad conversation fails the import
    void (*progress)(uint64_t bytes_done, uint64_t bytes_total, void *user); // may be NULL
    void *progress_user;
    // Session logs on disk (Claude Code, Codex CLI: files that only grow) are remembered by
    // their real path (may be NULL: every file is read). file_get says what an earlier import
    // read of the file (false: nothing known); a file of the same size, modification time and
    // fingerprint is then skipped unread (report: files_unchanged). Every session file read
    // whole without a bad line is passed to file_put with what was read: its size, time, the
    // end of its last complete line and the fingerprint of the bytes before it. A partial last
    // line (a session being written) is neither imported nor reported: the next import reads
    // it once it is complete. A file with a bad line is not put, so it is read (and its bad
    // line reported) again next time. Exports (Claude.ai, ChatGPT, Gemini) never are.
    bool (*file_get)(void *user, const char *path, ChatFileStamp *out);
    bool (*file_put)(void *user, const char *path, ChatSource source, const ChatFileStamp *st, ChatError *err);
    void *file_user;
} ChatImportOptions;

#define CHAT_IMPORT_BAD_LIST_MAX 100

typedef struct ChatImportReport {
    uint32_t files;            // JSON files (or archive members) read
    uint32_t chats;            // conversations handed to the sink
    uint32_t messages;         // their messages on every branch (visible + off-thread), not hidden ones
    uint32_t visible_messages; // their messages on the thread the person saw
    uint32_t hidden_messages;  // hidden system context (kept in ChatConv, not counted above)
    uint32_t bad;              // conversations that could not be normalized (skipped)
    uint32_t broken_files;     // files cut short by a syntax fault (skip_bad salvaged what came before)
    uint32_t unknown_parts;    // parts kept as raw JSON because their type is unknown
    uint64_t bytes;            // JSON bytes parsed
    uint64_t replaced;         // unpaired surrogate escapes decoded as U+FFFD
    uint32_t files_unchanged;  // session files skipped unread: as the last import left them
    uint32_t files_grown;      // session files read again because they grew (appended to)
    uint32_t files_rewritten;  // session files read again because they changed otherwise
    AkStr *bad_list;           // the first CHAT_IMPORT_BAD_LIST_MAX bad ones and syntax faults: "file: what, where"
    uint32_t bad_listed;
} ChatImportReport;

// The sink stores one conversation, on the thread that called chat_import_*; conv lives in an
// arena popped (or refilled by the parser thread) right after the call.
typedef bool ChatImportSink(const ChatConv *conv, void *user, ChatError *err);

// Imports everything at `path`. Returns false with err (what, which file, byte offset,
// conversation and message uuid where known) on the first fatal problem: a syntax error
// (truncation, invalid UTF-8, a NUL byte, trailing data, nesting) unless skip_bad, and a sink
// failure always. Bad conversations (wrong types, no uuid, neither chat_messages nor mapping)
// are skipped and listed in the report (by uuid, or by their place in the array when they
// have none) while the others reach the sink; with strict the import fails at the end of that
// file instead (the sink is not called after the first bad one; the caller rolls back what it
// got). With skip_bad a syntax fault ends its file, not the import: the conversations before
// it stay, the fault is listed, broken_files counts it. A folder or an archive without any
// conversations.json / conversations-NNN.json is an error, not 0 chats. The report is zeroed
// first and filled as far as the import got; bad + broken_files > 0 means something was skipped.
bool chat_import_path(AkArena *arena, const char *path, const ChatImportOptions *opt, ChatImportSink *sink,
                      void *sink_user, ChatImportReport *report, ChatError *err);
// The same for one JSON document in memory; `name` is what messages call it.
bool chat_import_memory(AkArena *arena, const char *name, const char *data, uint64_t len, const ChatImportOptions *opt,
                        ChatImportSink *sink, void *sink_user, ChatImportReport *report, ChatError *err);

// One parsed conversation object into *out, on arena (format by keys). On failure err names the
// conversation, the message, the field, the expected and found types and the byte offset.
bool chat_import_conv(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err);
bool chat_import_claude(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err);
bool chat_import_chatgpt(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err);
// chatlog's own export (`chatlog export --json`, key "chatlog_export"), read back as stored.
bool chat_import_native(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err);

// Counts a conversation the sink took into the report (chats, messages, hidden, visible,
// unknown parts); the JSON exports' driver and the JSON Lines driver (sources.c) both call it.
void chat_import_report_add(ChatImportReport *rep, const ChatConv *conv);

// ---- shared by import_claude.c and import_chatgpt.c ----------------------------------------

// Type-checked reading of one conversation: the first problem is recorded in err with the
// conversation and message it was in, and `failed` stays set.
typedef struct ChatNorm {
    AkArena *arena;
    ChatError *err;
    const ChatJson *conv_obj;
    AkStr conv_uuid, msg_uuid; // for messages; empty until known
    bool failed;
} ChatNorm;

enum { CHAT_NORM_OPTIONAL = 0, CHAT_NORM_REQUIRED = 1 };
#define CHAT_KIND_BIT(k) (1u << (k))

// The member `key` of obj if its kind is in `kinds` (CHAT_KIND_BIT mask). NULL when it is
// missing or null (an error if required), or of another kind (always an error).
const ChatJson *chat_norm_get(ChatNorm *n, const ChatJson *obj, const char *key, uint32_t kinds, int required);
AkStr chat_norm_str(ChatNorm *n, const ChatJson *obj, const char *key, int required); // "" if missing/null
double chat_norm_epoch(ChatNorm *n, const ChatJson *obj, const char *key);    // number or null
double chat_norm_iso_time(ChatNorm *n, const ChatJson *obj, const char *key); // ISO 8601 string or null
bool chat_norm_fail_at(ChatNorm *n, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
// 2025-06-03T19:40:05.471002Z (also with an offset, or no zone as UTC; seconds optional, as in
// 2025-06-03T19:40Z; or a date alone, as midnight UTC) to seconds since the epoch. Impossible
// dates (2025-02-29) and times are false.
bool chat_parse_iso_time(AkStr s, double *out);

// Parts of one message, built in order; capacity grows on the arena.
typedef struct ChatPartList {
    ChatPart *items;
    uint32_t count, cap;
    uint32_t unknown; // how many were kept raw
    bool oom;         // a push failed: the list is short
} ChatPartList;
ChatPart *chat_parts_add(AkArena *arena, ChatPartList *list, ChatPartKind kind, AkStr name, AkStr text);
// Keeps v as raw JSON in an unknown part named `type`, and counts it.
void chat_parts_add_unknown(AkArena *arena, ChatPartList *list, AkStr type, const ChatJson *v);
// Fills msg->parts, part_count and text (the text parts joined by blank lines; one part's text
// is shared, not copied).
void chat_msg_set_parts(AkArena *arena, ChatMsg *msg, const ChatPartList *list);

// Orders conv->msgs and marks them. parent[i] is the index of msgs[i]'s parent or -1 (cycles are
// cut); leaf is the last message of the thread the person saw, or -1 for the most recently
// created leaf. Afterwards msgs[0, visible_count) is that thread, root to leaf, without hidden
// messages; the rest follow in tree order (siblings by creation), each branch root to leaf.
// sibling_index / sibling_count place each message among its parent's children.
bool chat_thread_order(AkArena *arena, ChatConv *conv, int32_t *parent, int64_t leaf);

// A uuid → index map for one conversation, on the arena.
bool chat_idmap_init(AkArena *arena, AkMap *map, uint64_t count); // room for count keys, or false
void chat_idmap_put(AkMap *map, AkStr key, int32_t val); // the first value for a key stays
int32_t chat_idmap_get(const AkMap *map, AkStr key);     // -1 if absent

#endif
