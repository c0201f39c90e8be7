// sources.h: detection by content, and the driver for the sources that are not vendor exports
// of conversations.json: Claude Code session logs and Codex CLI rollouts (JSON Lines, a chat
// per file) and Gemini from Google Takeout (My Activity JSON, chats grouped by time). What each
// source is called and how it is recognised is its row in the table (source.h).
// The driver calls chat_sources_import at the start of every document it reads (a file, an
// archive member, memory): it looks at the first bytes and, if they are one of these sources,
// imports the document itself; otherwise it hands the same bytes back to the export reader.
// The format is decided by content: the first value's keys, never the file name.
//
// Memory: what a chat keeps (its normalized messages) is built on the driver's scratch arena
// and popped after the sink saw it; each JSON line or array element is parsed on a second
// scratch arena popped per record. So a session costs its normalized text, plus its largest
// line's tree, plus the fixed read buffers (the peek buffer is on the caller's stack).
#ifndef CHAT_SOURCES_H
#define CHAT_SOURCES_H

#include "chat/import.h"
#include "chat/source.h"

// What the driver lends a source importer for one document.
struct ChatSourceRun {
    AkArena *arena;            // the caller's: the report's list of bad records
    AkArena *work;             // scratch for this document; popped by the callee to where it began
    const ChatImportOptions *opt;
    ChatImportSink *sink;
    void *sink_user;
    ChatImportReport *rep;
    ChatError *err;
    uint64_t done, total;      // progress: bytes before this document, of all documents
    uint64_t parsed;           // out: bytes of this document read
    // out, for a JSON Lines document: it was one, the SESSION row that read it (0 if none),
    // the end of its last complete line (a partial last line is not consumed), its bad lines.
    bool jsonl;
    ChatSource session_source;
    uint64_t consumed;
    uint32_t bad_lines;
};

// Counts a record or document skipped as bad and lists it (up to CHAT_IMPORT_BAD_LIST_MAX) as
// "name: what" on run->arena; a refused list entry is only counted.
void chat_sources_add_bad(ChatSourceRun *run, const char *name, const char *what);

typedef enum ChatSourceKind {
    CHAT_SOURCE_KIND_EXPORT,   // not ours: an EXPORT row's (Claude.ai, ChatGPT), or not JSON at all
    CHAT_SOURCE_KIND_JSONL,    // JSON Lines: a SESSION row's records (Claude Code, Codex CLI)
    CHAT_SOURCE_KIND_DOCUMENT, // an array a DOCUMENT row claims (a Takeout of Gemini entries)
} ChatSourceKind;
#define CHAT_SOURCE_KIND_GEMINI CHAT_SOURCE_KIND_DOCUMENT // Gemini is the one DOCUMENT row today

// Decides from the first bytes of a document (the more the better; 16 KB is plenty): an EXPORT
// row's mark first, then the SESSION rows ('{') or the DOCUMENT rows ('['), in table order.
ChatSourceKind chat_sources_sniff(const char *head, uint64_t len);

// The peek buffer: the head read from a stream, replayed to whoever reads it next.
typedef struct ChatSourcePeek {
    char head[16384];
    uint64_t len, pos;
    ChatJsonReadFn *read;
    void *user;
} ChatSourcePeek;

// Called by the driver with its document source. Returns 1 when the document was one of these
// sources and was imported, -1 when it was and failed (run->err says what and where), 0 when it
// is not: then *read / *user have been replaced by a source that replays the head it read
// first (backed by `peek`, which must outlive the reading), so the caller goes on as before.
int chat_sources_import(ChatSourceRun *run, ChatSourcePeek *peek, const char *name, ChatJsonReadFn **read, void **user,
                        const char **data, uint64_t *len);

// For folder and archive listings: whether a file that is not conversations*.json should be
// offered to chat_sources_import (.jsonl files; .json files whose head is Gemini, or for an
// archive member, whose path names Gemini or Bard). `path` is a file path; `in_archive` says
// it is only a member name (no content to look at).
bool chat_sources_wanted(const char *path, bool in_archive);

// ---- the per-source importers (one file each) --------------------------------------------------

// Each JSON Lines source builds one chat record by record; its state is on `arena` (the chat's).
typedef struct ChatClaudeCode ChatClaudeCode;
typedef struct ChatCodex ChatCodex;

// Claude Code: whether a document's first record (its head) or a parsed record is one of its
// kinds (by its type and keys).
bool chat_claude_code_claims_head(const ChatSourceHead *head);
bool chat_claude_code_is_record(const ChatJson *rec);
ChatClaudeCode *chat_claude_code_begin(AkArena *arena);
// One record (parsed on a shorter-lived arena: what is kept is copied). False with err for a
// record this importer cannot use at all (it is then skipped and reported).
bool chat_claude_code_record(ChatClaudeCode *s, const ChatJson *rec, uint64_t line, ChatError *err);
// The chat, on the session's arena; false with err if the file held no session (no messages).
bool chat_claude_code_finish(ChatClaudeCode *s, ChatConv *out, ChatError *err);

// Codex CLI (wrapped {timestamp,type,payload} records, or the older bare ones).
bool chat_codex_claims_head(const ChatSourceHead *head);
bool chat_codex_is_record(const ChatJson *rec);
ChatCodex *chat_codex_begin(AkArena *arena);
bool chat_codex_record(ChatCodex *s, const ChatJson *rec, uint64_t line, ChatError *err);
bool chat_codex_finish(ChatCodex *s, ChatConv *out, ChatError *err);

// Gemini Takeout: whether an array's first entry is Gemini's (its header names Gemini or Bard,
// or it has time, title and safeHtmlItem), whether an archive member's path names Gemini or
// Bard, and the whole document (a top-level array, streamed).
bool chat_gemini_claims_head(const ChatSourceHead *head);
bool chat_gemini_claims_member(const char *path);
bool chat_gemini_import(ChatSourceRun *run, const char *name, ChatJsonReadFn *read, void *user, const char *data,
                        uint64_t len);
#define CHAT_GEMINI_GAP_SECONDS (30 * 60) // a longer silence between two prompts starts a new chat

// HTML (Gemini's answers) to text: tags dropped (script/style with their content), entities
// decoded, paragraphs and line breaks kept as newlines. On arena.
AkStr chat_html_to_text(AkArena *arena, AkStr html);

// ---- shared by the session importers ----------------------------------------------------------

// The messages of one chat, grown on the arena.
typedef struct ChatMsgList {
    ChatMsg *items;
    uint32_t count, cap;
} ChatMsgList;
ChatMsg *chat_msgs_push(AkArena *arena, ChatMsgList *list); // zeroed; NULL when out of memory
// The first line of text, at most about 100 bytes (cut at a character boundary), copied.
AkStr chat_title_from(AkArena *arena, AkStr text);
// "project: title" (or either alone) for agent sessions: a chat list shows where it ran.
AkStr chat_title_with_project(AkArena *arena, AkStr cwd, AkStr title);

#endif
