// db.h: the chat store's SQLite database: chats, their messages and structured parts, and a
// full-text index over message text, part text (attachments, tool use, thinking) and titles.
//
// Memory: a ChatDb owns one arena (the handle itself, its path, and rows being decoded) and
// its SQLite connection. SQLite's own memory (page cache, statements, FTS buffers) comes from
// its allocator: the heap of sqlmem.h when the program installed it, else libc malloc; the
// page cache per connection is sized by chat_sqlmem_cache_kb(). Rows handed to callbacks
// point into SQLite's or the handle's buffers and are valid only during the callback: copy
// what you keep. Results this module returns (search hits, a found chat) go on the caller's
// arena.
//
// Threads: one ChatDb per thread (the connection is opened without SQLite's mutex). A writer
// and readers on other connections coexist through WAL: readers see the last commit and never
// wait; a second writer waits up to the busy timeout.
//
// Schema (PRAGMA application_id 'CHLG', user_version CHAT_DB_SCHEMA_VERSION; a database of
// version 1, whose index keeps Greek and Cyrillic accents, has it rebuilt by the first handle
// that opens it for writing, data untouched; a read-only handle reads it as it is):
//   chats(id, source, source_uuid, title, model, created, updated, message_count,
//         visible_count, part_count, bytes, content_hash)        UNIQUE(source_uuid, source)
//   messages(id, chat_id, ordinal, uuid, parent_uuid, role, author, created, text, visible,
//            hidden, sibling_index, sibling_count, part_count)   UNIQUE(chat_id, ordinal)
//   parts(id, chat_id, msg_ordinal, ordinal, kind, name, text, text_at, text_len, is_error)
//   title_fts, msg_fts, part_fts: FTS5 tables with external content (the three above), fed
//   by db.c itself, not by triggers (see "Indexing" in db.c): whatever else writes these
//   tables must update the index too. A text part whose bytes already sit in its message's
//   text is stored as (text_at, text_len), a byte range of messages.text, not a second copy.
// Times are seconds since the epoch (REAL), NULL when unknown. Sources, roles and part kinds
// are stored as words ('claude', 'assistant', 'tool_use'), so the file reads well in sqlite3.
//
// The FTS tables use the tokenizer "chatlog fold" that chat_db_open registers (tokenizer.h):
// SQLite's unicode61 with every token folded as title filters fold (case and accents, Latin,
// Greek and Cyrillic) for scripts with spaces, and one token per character
// for Han, kana and Hangul, so a quoted Chinese or Japanese word matches as a phrase of
// characters. The sqlite3 shell, datasette and sqlite-utils read every ordinary table as is,
// and the FTS tables once they load the extension chatlog_fts (tokenizer.h says how).
#ifndef CHAT_DB_H
#define CHAT_DB_H

#include "chat/conv.h"
#include "chat/error.h"

#define CHAT_DB_SCHEMA_VERSION 2 // 2: the full-text index folds Greek and Cyrillic (tokenizer.h)
#define CHAT_DB_APPLICATION_ID 0x43484C47 // "CHLG"

typedef struct ChatDb ChatDb;

enum {
    CHAT_DB_READONLY = 1u << 0, // never writes; the file must exist
};

// Opens the database at `path`, creating it when the file is missing or empty (the directory
// must exist). An existing file is checked before SQLite writes anything: not a SQLite file,
// truncated, another program's SQLite file (application_id), or a newer schema each give an
// error naming the path and the problem, and leave the file byte-for-byte as it was. The check
// reads through SQLite's own descriptor, never opening the file itself (closing a descriptor
// would drop the POSIX locks of this process's other connections to it), so any number of
// handles and processes may open one database at once. A rollback journal left by a crash is
// rolled back by SQLite first (a short read-write connection, also for a read-only handle).
// Writing needs the folder to be writable (SQLite keeps -wal and -shm there) and says which
// folder or file refuses; a read-only handle in a folder it cannot write, with no -wal
// beside the file, reads it as immutable. Returns NULL with err filled on failure.
ChatDb *chat_db_open(const char *path, uint32_t flags, ChatError *err);
void chat_db_close(ChatDb *db); // NULL is fine; rolls back an open transaction
const char *chat_db_path(const ChatDb *db);
// Removes the database at `path` with its -wal, -shm and -journal if it holds no chat, taking
// the write lock first so no other process's import is midway; *removed says whether it did.
// For undoing a first import that failed. An import of another process that waited for the
// lock then fails at chat_db_begin ("removed or replaced") instead of writing into a file
// that is gone. False with err if the database cannot be opened or removed.
bool chat_db_remove_if_empty(const char *path, bool *removed, ChatError *err);

// ---- writing: an import is one transaction ----------------------------------------------

// BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy timeout).
bool chat_db_begin(ChatDb *db, ChatError *err);
bool chat_db_commit(ChatDb *db, ChatError *err);
void chat_db_rollback(ChatDb *db); // a no-op outside a transaction

typedef enum ChatPutStatus {
    CHAT_PUT_ADDED = 1, // a (source, uuid) not seen before
    CHAT_PUT_UPDATED,   // known, content changed: messages and parts replaced, id kept
    CHAT_PUT_UNCHANGED, // known, same content hash: nothing written
    CHAT_PUT_KEPT_NEWER, // known, and the stored copy is newer: nothing written (see below)
} ChatPutStatus;

typedef struct ChatPutResult {
    ChatPutStatus status;
    int64_t chat_id;
    bool duplicate; // this transaction had already stored this chat (a uuid twice in one export)
} ChatPutResult;

// Stores one conversation. A stored chat is replaced only by a copy that is not older: a later
// `updated` time, or the same (or unknown) time and at least as many messages; an older copy
// leaves it as it is (CHAT_PUT_KEPT_NEWER), so importing an old export never rolls chats back.
// Outside chat_db_begin/commit it is its own transaction. Inside one,
// a failed put may leave part of its conversation written, so the transaction can then only
// be rolled back: later puts fail and chat_db_commit rolls back and says so. (Per-put
// savepoints would make SQLite's FTS5 write its index at each one.) Invalid input (no uuid,
// no source) is refused before anything is written and does not spoil the transaction.
// `conv` is only read during the call.
bool chat_db_put(ChatDb *db, const ChatConv *conv, ChatPutResult *res, ChatError *err);

// A write transaction indexes new text for search in batches of this many bytes (default
// 16 MB; the rest at commit). Bigger batches index faster; tests use tiny ones.
void chat_db_set_index_batch(ChatDb *db, uint64_t bytes);

// A stored chat that comes again with more messages (a session that grew) keeps its leading
// messages that are unchanged in every column, rows and index entries: only the rest is
// written (see "Merging" in db.c). How many messages this handle kept so, for tests and traces.
uint64_t chat_db_merged_messages(const ChatDb *db);

// ---- source files: what an import read of each session log ------------------------------------
// Table source_files(path, source, size, mtime_ns, offset, fingerprint), made by the first put
// and not part of the schema version (an older database, also opened read-only, has no rows).
// `path` is the file's real path. Get: *found false if there is no row. Put (inside the
// import's transaction, so a row never claims lines whose chat was rolled back): replaces.
bool chat_db_file_get(ChatDb *db, const char *path, ChatFileStamp *out, bool *found, ChatError *err);
bool chat_db_file_put(ChatDb *db, const char *path, ChatSource source, const ChatFileStamp *st, ChatError *err);

// ---- reading ------------------------------------------------------------------------------

typedef struct ChatRow {
    int64_t id;
    ChatSource source;
    AkStr uuid, title, model;
    double created, updated; // CHAT_TIME_UNKNOWN when null
    uint32_t message_count, visible_count, part_count;
    uint64_t bytes;          // message text plus part names and texts stored separately
    uint64_t content_hash;
} ChatRow;

// Callbacks return false to stop early (the walk then still returns true).
typedef bool ChatRowFn(const ChatRow *row, void *user);
typedef bool ChatMsgFn(const ChatMsg *msg, uint32_t ordinal, void *user);

// Every chat's metadata in one query, ordered by id.
bool chat_db_each_chat(ChatDb *db, ChatRowFn *fn, void *user, ChatError *err);

// A chat's messages in ordinal order (the visible thread first, as stored), each with its
// parts. visible_only skips the other branches and hidden messages; `ordinal` is the stored
// position either way. Everything in *msg is valid only during the callback. An unknown
// chat_id streams nothing and returns true.
bool chat_db_each_message(ChatDb *db, int64_t chat_id, bool visible_only, ChatMsgFn *fn, void *user,
                          ChatError *err);

// One chat by id; false (err says why) if there is none. Strings go on `arena`.
bool chat_db_get_chat(ChatDb *db, AkArena *arena, int64_t id, ChatRow *out, ChatError *err);
// One chat by what a person types: a decimal id, a full source uuid, or a uuid prefix that
// only one chat has. False with a message if none or several match, or on a database error.
bool chat_db_find_chat(ChatDb *db, AkArena *arena, AkStr key, ChatRow *out, ChatError *err);

// ---- search -------------------------------------------------------------------------------
//
// Query syntax: words separated by spaces, all required (AND); "a quoted phrase" matches the
// words in order; a trailing * makes a word (or a phrase's last word) a prefix: `alloc*`.
// With opts->operators, also: `a OR b` either (OR binds tighter than the implicit AND:
// `x a OR b` is x and (a or b)), `-word` and `NOT word` exclude (a query of exclusions only
// is an error). Everything else (AND, NEAR, parentheses, column:, ^, and the operators
// without opts->operators) is searched as plain text, so no input is an FTS syntax error. An
// empty query gives no hits. More than CHAT_SEARCH_MAX_TERMS words is an error.
#define CHAT_SEARCH_MAX_TERMS 64

typedef enum ChatHitKind {
    CHAT_HIT_TITLE,   // the chat's title matched
    CHAT_HIT_MESSAGE, // a message's text
    CHAT_HIT_PART,    // a part stored on its own: attachment text or name, tool use, thinking...
} ChatHitKind;

typedef struct ChatSearchOpts {
    uint32_t limit;          // most hits returned; 0 means 20
    ChatSource source;       // 0: every source
    double since, until;     // keep chats whose [created, updated] overlaps; 0 = unbounded
    bool visible_only;       // skip messages off the visible thread (and their parts)
    const char *mark_open;   // put around each matched word in snippets; default "["
    const char *mark_close;  // default "]"
    const char *ellipsis;    // where a snippet cuts text; default "..."
    uint32_t snippet_tokens; // words per snippet, 1..64; default 12
    bool operators;          // OR, -word and NOT word are operators (see the syntax above)
} ChatSearchOpts;

typedef struct ChatHit {
    ChatHitKind kind;
    int64_t chat_id;
    int32_t ordinal;       // the message's ordinal; -1 for a title hit
    int32_t part;          // the part's index in its message for CHAT_HIT_PART, else -1
    double score;          // bm25 (lower is better; title hits count double)
    ChatSource source;
    AkStr chat_uuid, title;
    double created;        // the message's time, or the chat's for a title hit
    ChatRole role;         // message and part hits
    ChatPartKind part_kind; // part hits
    AkStr part_name;       // part hits: attachment or tool name
    AkStr snippet;         // matched words between the caller's marks
    // Where the hit's message is (message and part hits; a title hit is on the thread):
    bool off_thread;       // not on the thread the person saw (another version of a message)
    bool hidden;           // hidden by the vendor (system context, injected prompts)
    uint32_t branch_index; // off_thread: the version (1-based) of the branch point it hangs
    uint32_t branch_count; //   under, of how many; 0 if the stored tree does not say
} ChatHit;

// Ranked full-text search over message text, separately stored parts and titles. Hits (an
// array of *count, best first) and their strings go on `arena`; opts may be NULL. Cost grows
// with the number of matching messages (bm25 scores every match): tens of ms for a common
// word over 200k messages, about a second for a 3-letter prefix matching nearly all of them.
// Filters (source, dates, visible_only) join every match to its chat and cost more again.
bool chat_db_search(ChatDb *db, AkArena *arena, const char *query, const ChatSearchOpts *opts,
                    ChatHit **hits, uint32_t *count, ChatError *err);

// ---- maintenance --------------------------------------------------------------------------

typedef struct ChatDbStats {
    uint64_t chats, messages, parts;
    uint64_t file_bytes, wal_bytes; // the database file and its -wal file on disk
    uint64_t page_size, page_count, free_pages;
    uint32_t schema_version;
} ChatDbStats;

bool chat_db_stats(ChatDb *db, ChatDbStats *out, ChatError *err);
// Thorough check: PRAGMA integrity_check, the store's own rules (message, visible and part
// counts match the rows; message and part ordinals run 0..n-1; every part belongs to a message
// and every message to a chat; a part stored as a range of its message's text lies inside
// it), and each FTS index against its content (writable handles only: SQLite runs that as an
// INSERT). Rules and indexes are checked only when the pages are sound. Reads the whole file
// (seconds on a large database); for a `check` command and tests, not for open.
// Each finding goes to fn (may be NULL) as one line of text, valid during the call; at most
// CHAT_CHECK_MAX_ROWS per kind. *findings counts them (0: sound). False with err only when the
// check itself could not run. `full` false: PRAGMA quick_check alone (pages and records, no
// index contents), the cheap check an import runs first.
#define CHAT_CHECK_MAX_ROWS 20
typedef void ChatFindingFn(const char *finding, void *user);
bool chat_db_check_run(ChatDb *db, bool full, ChatFindingFn *fn, void *user, uint32_t *findings, ChatError *err);
// chat_db_check_run, full, as one answer: false with err "PATH: damaged: FIRST FINDING".
bool chat_db_check(ChatDb *db, ChatError *err);
// The same with `full` false.
bool chat_db_check_quick(ChatDb *db, ChatError *err);

// The full-text index is schema 1's (Greek and Cyrillic accents not folded) because this
// read-only handle could not rebuild it: any write open (an import, `chatlog check`) does.
bool chat_db_index_outdated(const ChatDb *db);

// The SQLite connection, for tests and diagnostics only (same thread rules as the ChatDb).
struct sqlite3 *chat_db_handle(ChatDb *db);

const char *chat_source_name(ChatSource source); // "claude", "chatgpt", "unknown"
const char *chat_role_name(ChatRole role);       // "user", "assistant", ...
const char *chat_part_kind_name(ChatPartKind kind); // "text", "tool_use", ...

#endif
