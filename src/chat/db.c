// db.c: the chat store's SQLite database (see db.h for the schema and the rules).
// SQLite allocates through sqlmem.h's heap when the program installed it, else with malloc;
// this file asks it for nothing directly (tokenizer.c and snippet.c do, for FTS5).
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "chat/db.h"
#include "arenakit/map.h"
#include "arenakit/os.h"
#include "chat/source.h"
#include "chat/tokenizer.h"
#include "chat/sqlmem.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// ---- schema -------------------------------------------------------------------------------

// The full-text tables' declarations, for a new database and for the rebuild of an old one
// ("Tokenizer versions" below). `chatlog fold`: the tokenizer folds every token (tokenizer.h).
#define FTS_TOKENIZE "tokenize='chatlog fold'"
#define TITLE_FTS_ARGS "title, content='chats', content_rowid='id', " FTS_TOKENIZE
#define MSG_FTS_ARGS "text, content='messages', content_rowid='id', " FTS_TOKENIZE
#define PART_FTS_ARGS "name, text, content='parts', content_rowid='id', " FTS_TOKENIZE
#define SLICE_FTS_ARGS "text, content='text_slices', content_rowid='id', " FTS_TOKENIZE

// Created in one transaction in rollback-journal mode, so the main file holds the application
// id and version from the first commit on (the open check reads them from the header).
static const char schema_v1[] =
    "CREATE TABLE chats("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " source_uuid TEXT NOT NULL,"
    " title TEXT NOT NULL DEFAULT '',"
    " model TEXT NOT NULL DEFAULT '',"
    " created REAL, updated REAL,"
    " message_count INTEGER NOT NULL, visible_count INTEGER NOT NULL, part_count INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, content_hash INTEGER NOT NULL,"
    " UNIQUE(source_uuid, source));\n"
    "CREATE TABLE messages("
    " id INTEGER PRIMARY KEY,"
    " chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,"
    " ordinal INTEGER NOT NULL,"
    " uuid TEXT NOT NULL DEFAULT '', parent_uuid TEXT NOT NULL DEFAULT '',"
    " role TEXT NOT NULL, author TEXT NOT NULL DEFAULT '',"
    " created REAL, text TEXT NOT NULL DEFAULT '',"
    " visible INTEGER NOT NULL, hidden INTEGER NOT NULL,"
    " sibling_index INTEGER NOT NULL, sibling_count INTEGER NOT NULL, part_count INTEGER NOT NULL,"
    " UNIQUE(chat_id, ordinal));\n"
    "CREATE TABLE parts("
    " id INTEGER PRIMARY KEY,"
    " chat_id INTEGER NOT NULL, msg_ordinal INTEGER NOT NULL, ordinal INTEGER NOT NULL,"
    " kind TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',"
    " text TEXT," // NULL: the bytes are messages.text[text_at, text_at + text_len)
    " text_at INTEGER, text_len INTEGER,"
    " is_error INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE(chat_id, msg_ordinal, ordinal),"
    " FOREIGN KEY(chat_id, msg_ordinal) REFERENCES messages(chat_id, ordinal) ON DELETE CASCADE);\n"
    "CREATE VIRTUAL TABLE title_fts USING fts5(" TITLE_FTS_ARGS ");\n"
    "CREATE VIRTUAL TABLE msg_fts USING fts5(" MSG_FTS_ARGS ");\n"
    "CREATE VIRTUAL TABLE part_fts USING fts5(" PART_FTS_ARGS ");\n";

// ---- prepared statements, cached per connection --------------------------------------------

enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN_READ,
    ST_CHAT_LOOKUP, ST_CHAT_INSERT, ST_CHAT_UPDATE, ST_MSG_DELETE, ST_PART_DELETE,
    ST_MSG_INSERT, ST_PART_INSERT,
    ST_TITLE_FTS_INSERT, ST_MSG_FTS_BATCH, ST_PART_FTS_BATCH,
    ST_TITLE_FTS_DELETE, ST_MSG_FTS_DELETE, ST_PART_FTS_DELETE, ST_MSG_NEXT_ID, ST_PART_NEXT_ID,
    ST_CHAT_EACH, ST_CHAT_BY_ID, ST_CHAT_BY_UUID,
    ST_MSG_EACH, ST_MSG_EACH_VISIBLE, ST_PART_EACH,
    ST_SEARCH_TOP, ST_SEARCH_FILTERED, ST_SNIP_MSG, ST_SNIP_PART, ST_SNIP_TITLE, ST_BRANCH_OF,
    ST_COUNTS,
    ST_SLICE_INSERT, ST_SLICE_NEXT_ID, ST_SLICE_FTS_BATCH, ST_SLICE_FTS_DELETE, ST_SLICE_DELETE, ST_SLICE_LEN,
    ST_SLICE_EACH, ST_SNIP_SLICE, ST_SNIP_PART_SLICE, ST_SEARCH_TOP_SLICES, ST_SEARCH_FILTERED_SLICES,
    ST_MERGE_HAS_SLICES, ST_MERGE_CUT_PART_FTS, ST_MERGE_CUT_MSG_FTS, ST_MERGE_CUT_PARTS, ST_MERGE_CUT_MSGS,
    ST_COUNT
};

#define CHAT_COLS "id, source, source_uuid, title, model, created, updated, message_count," \
                  " visible_count, part_count, bytes, content_hash FROM chats"
#define MSG_COLS "ordinal, uuid, parent_uuid, role, author, created, text, visible, hidden," \
                 " sibling_index, sibling_count, part_count, id FROM messages"

// Ranking first, (kind, rowid, score, message) only; chats, messages and snippets are read
// for the kept hits afterwards. Without filters each index gives its own best ?6 (FTS5 ranks
// and keeps the top rows itself); with filters every match is joined to its chat. Kind 3 is a
// slice of a message too big to index whole (see "Slices"); `message` lets the slices of one
// message count as one hit. The _SLICES variants run once the database has slices.
#define SEARCH_TOP(slices) \
    "SELECT kind, rid, score, msg FROM (" \
    " SELECT * FROM (SELECT 1 AS kind, rowid AS rid, bm25(msg_fts) AS score, rowid AS msg FROM msg_fts" \
    "  WHERE msg_fts MATCH ?1 ORDER BY rank LIMIT ?6)" \
    " UNION ALL" \
    " SELECT * FROM (SELECT 2, rowid, bm25(part_fts), 0 FROM part_fts WHERE part_fts MATCH ?1 ORDER BY rank LIMIT ?6)" \
    " UNION ALL" \
    " SELECT * FROM (SELECT 0, rowid, 2.0 * bm25(title_fts), 0 FROM title_fts WHERE title_fts MATCH ?1" \
    "  ORDER BY rank LIMIT ?6)" \
    slices \
    ") ORDER BY score LIMIT ?6"
#define SEARCH_TOP_SLICES \
    " UNION ALL" \
    " SELECT * FROM (SELECT CASE WHEN s.doc > 0 THEN 3 ELSE 4 END, slice_fts.rowid, bm25(slice_fts), s.doc" \
    "  FROM slice_fts JOIN text_slices s ON s.id = slice_fts.rowid WHERE slice_fts MATCH ?1 ORDER BY rank LIMIT ?6)"
#define SEARCH_FILTERED(slices) \
    "SELECT h.kind, h.rid, h.score, h.msg FROM (" \
    " SELECT 1 AS kind, m.chat_id AS chat_id, msg_fts.rowid AS rid, bm25(msg_fts) AS score, m.id AS msg" \
    "  FROM msg_fts JOIN messages m ON m.id = msg_fts.rowid" \
    "  WHERE msg_fts MATCH ?1 AND (?5 = 0 OR m.visible)" \
    " UNION ALL" \
    " SELECT 2, p.chat_id, part_fts.rowid, bm25(part_fts), 0" \
    "  FROM part_fts JOIN parts p ON p.id = part_fts.rowid" \
    "  JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal" \
    "  WHERE part_fts MATCH ?1 AND (?5 = 0 OR m.visible)" \
    " UNION ALL" \
    " SELECT 0, title_fts.rowid, title_fts.rowid, 2.0 * bm25(title_fts), 0" \
    "  FROM title_fts WHERE title_fts MATCH ?1" \
    slices \
    ") h JOIN chats c ON c.id = h.chat_id" \
    " WHERE (?2 = '' OR c.source = ?2)" \
    "  AND (?3 IS NULL OR coalesce(c.updated, c.created) >= ?3)" \
    "  AND (?4 IS NULL OR coalesce(c.created, c.updated) <= ?4)" \
    " ORDER BY h.score LIMIT ?6"
#define SEARCH_FILTERED_SLICES \
    " UNION ALL" \
    " SELECT 3, m.chat_id, slice_fts.rowid, bm25(slice_fts), s.doc" \
    "  FROM slice_fts JOIN text_slices s ON s.id = slice_fts.rowid JOIN messages m ON m.id = s.doc" \
    "  WHERE slice_fts MATCH ?1 AND (?5 = 0 OR m.visible)" \
    " UNION ALL" \
    " SELECT 4, p.chat_id, slice_fts.rowid, bm25(slice_fts), s.doc" \
    "  FROM slice_fts JOIN text_slices s ON s.id = slice_fts.rowid JOIN parts p ON p.id = -s.doc" \
    "  JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal" \
    "  WHERE slice_fts MATCH ?1 AND (?5 = 0 OR m.visible)"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_CHAT_LOOKUP] = "SELECT id, content_hash, updated, message_count FROM chats WHERE source_uuid = ?1 AND source = ?2",
    [ST_CHAT_INSERT] = "INSERT INTO chats(source, source_uuid, title, model, created, updated,"
                       " message_count, visible_count, part_count, bytes, content_hash)"
                       " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_CHAT_UPDATE] = "UPDATE chats SET source = ?2, source_uuid = ?3, title = ?4, model = ?5,"
                       " created = ?6, updated = ?7, message_count = ?8, visible_count = ?9,"
                       " part_count = ?10, bytes = ?11, content_hash = ?12 WHERE id = ?1",
    [ST_MSG_DELETE] = "DELETE FROM messages WHERE chat_id = ?1",
    [ST_PART_DELETE] = "DELETE FROM parts WHERE chat_id = ?1",
    [ST_MSG_INSERT] = "INSERT INTO messages(chat_id, ordinal, uuid, parent_uuid, role, author, created,"
                      " text, visible, hidden, sibling_index, sibling_count, part_count, id)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_PART_INSERT] = "INSERT INTO parts(chat_id, msg_ordinal, ordinal, kind, name, text, text_at,"
                       " text_len, is_error, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_MSG_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM messages",
    [ST_PART_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM parts",
    // The FTS tables are fed here rather than by triggers (see "Indexing" below). A 'delete'
    // must repeat the indexed values exactly, so it reads them back from the rows about to go;
    // rows at or above ?2 were never indexed.
    [ST_TITLE_FTS_INSERT] = "INSERT INTO title_fts(rowid, title) VALUES (?1, ?2)",
    [ST_MSG_FTS_BATCH] = "INSERT INTO msg_fts(rowid, text) SELECT id, text FROM messages WHERE id >= ?1 AND id < ?2",
    [ST_PART_FTS_BATCH] = "INSERT INTO part_fts(rowid, name, text) SELECT id, name, text FROM parts"
                          " WHERE id >= ?1 AND id < ?2",
    [ST_TITLE_FTS_DELETE] = "INSERT INTO title_fts(title_fts, rowid, title) SELECT 'delete', id, title FROM chats"
                            " WHERE id = ?1",
    [ST_MSG_FTS_DELETE] = "INSERT INTO msg_fts(msg_fts, rowid, text) SELECT 'delete', id, text FROM messages"
                          " WHERE chat_id = ?1 AND id < ?2",
    [ST_PART_FTS_DELETE] = "INSERT INTO part_fts(part_fts, rowid, name, text) SELECT 'delete', id, name, text"
                           " FROM parts WHERE chat_id = ?1 AND id < ?2",
    [ST_CHAT_EACH] = "SELECT " CHAT_COLS " ORDER BY id",
    [ST_CHAT_BY_ID] = "SELECT " CHAT_COLS " WHERE id = ?1",
    // A prefix range on the unique index: ?2 is ?1 followed by a 0xFF byte, above any UTF-8.
    [ST_CHAT_BY_UUID] = "SELECT " CHAT_COLS " WHERE source_uuid >= ?1 AND source_uuid < ?2"
                        " ORDER BY source_uuid LIMIT 3",
    [ST_MSG_EACH] = "SELECT " MSG_COLS " WHERE chat_id = ?1 ORDER BY ordinal",
    [ST_MSG_EACH_VISIBLE] = "SELECT " MSG_COLS " WHERE chat_id = ?1 AND visible ORDER BY ordinal",
    [ST_PART_EACH] = "SELECT msg_ordinal, kind, name, text, text_at, text_len, is_error, id, ordinal FROM parts"
                     " WHERE chat_id = ?1 ORDER BY msg_ordinal, ordinal",
    [ST_SEARCH_TOP] = SEARCH_TOP(""),
    [ST_SEARCH_TOP_SLICES] = SEARCH_TOP(SEARCH_TOP_SLICES),
    [ST_SEARCH_FILTERED] = SEARCH_FILTERED(""),
    [ST_SEARCH_FILTERED_SLICES] = SEARCH_FILTERED(SEARCH_FILTERED_SLICES),
    // Columns 8 and 9 (m.visible, m.hidden) in every snippet of a message or part: hit_fill.
    [ST_SNIP_MSG] = "SELECT chatlog_snippet(msg_fts, 0, ?2, ?3, ?4, ?5), m.chat_id, m.ordinal, m.created, m.role,"
                    " NULL, NULL, NULL, m.visible, m.hidden"
                    " FROM msg_fts JOIN messages m ON m.id = msg_fts.rowid"
                    " WHERE msg_fts MATCH ?1 AND msg_fts.rowid = ?6",
    [ST_SNIP_PART] = "SELECT chatlog_snippet(part_fts, -1, ?2, ?3, ?4, ?5), p.chat_id, p.msg_ordinal, m.created, m.role,"
                     " p.ordinal, p.kind, p.name, m.visible, m.hidden"
                     " FROM part_fts JOIN parts p ON p.id = part_fts.rowid"
                     " JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal"
                     " WHERE part_fts MATCH ?1 AND part_fts.rowid = ?6",
    [ST_SNIP_TITLE] = "SELECT highlight(title_fts, 0, ?2, ?3), rowid FROM title_fts"
                      " WHERE title_fts MATCH ?1 AND rowid = ?6",
    // The branch an off-thread message hangs in: climb its off-thread ancestors; the highest
    // one's parent is on the thread, and its place among its siblings is the branch's.
    [ST_BRANCH_OF] = "WITH RECURSIVE up(parent, si, sc, depth) AS ("
                     " SELECT parent_uuid, sibling_index, sibling_count, 0 FROM messages WHERE chat_id = ?1 AND ordinal = ?2"
                     " UNION ALL"
                     " SELECT m.parent_uuid, m.sibling_index, m.sibling_count, up.depth + 1"
                     "  FROM up JOIN messages m ON m.chat_id = ?1 AND m.uuid = up.parent"
                     "  WHERE up.parent != '' AND NOT m.visible AND NOT m.hidden AND up.depth < 100000)"
                     " SELECT si, sc FROM up ORDER BY depth DESC LIMIT 1",
    [ST_COUNTS] = "SELECT count(*), coalesce(sum(message_count), 0), coalesce(sum(part_count), 0) FROM chats",
    // Slices (see "Slices" below).
    [ST_SLICE_INSERT] = "INSERT INTO text_slices(id, chat_id, doc, seq, len, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_SLICE_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM text_slices",
    [ST_SLICE_FTS_BATCH] = "INSERT INTO slice_fts(rowid, text) SELECT id, text FROM text_slices WHERE id >= ?1 AND id < ?2",
    [ST_SLICE_FTS_DELETE] = "INSERT INTO slice_fts(slice_fts, rowid, text) SELECT 'delete', id, text FROM text_slices"
                            " WHERE chat_id = ?1 AND id < ?2",
    [ST_SLICE_DELETE] = "DELETE FROM text_slices WHERE chat_id = ?1",
    [ST_SLICE_LEN] = "SELECT coalesce(sum(len), 0), count(*) FROM text_slices WHERE doc = ?1",
    [ST_SLICE_EACH] = "SELECT text FROM text_slices WHERE doc = ?1 ORDER BY seq",
    [ST_SNIP_SLICE] = "SELECT chatlog_snippet(slice_fts, 0, ?2, ?3, ?4, ?5), m.chat_id, m.ordinal, m.created, m.role,"
                      " NULL, NULL, NULL, m.visible, m.hidden"
                      " FROM slice_fts JOIN text_slices s ON s.id = slice_fts.rowid JOIN messages m ON m.id = s.doc"
                      " WHERE slice_fts MATCH ?1 AND slice_fts.rowid = ?6",
    [ST_SNIP_PART_SLICE] = "SELECT chatlog_snippet(slice_fts, 0, ?2, ?3, ?4, ?5), p.chat_id, p.msg_ordinal, m.created,"
                           " m.role, p.ordinal, p.kind, p.name, m.visible, m.hidden"
                           " FROM slice_fts JOIN text_slices s ON s.id = slice_fts.rowid JOIN parts p ON p.id = -s.doc"
                           " JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal"
                           " WHERE slice_fts MATCH ?1 AND slice_fts.rowid = ?6",
    // Merging a grown chat (see "Merging"): ?1 chat, ?2 the index mark (rows at or above it
    // were never indexed), ?3 the first ordinal cut; the deletes leave ?2 unused.
    [ST_MERGE_HAS_SLICES] = "SELECT 1 FROM text_slices WHERE chat_id = ?1 LIMIT 1",
    [ST_MERGE_CUT_PART_FTS] = "INSERT INTO part_fts(part_fts, rowid, name, text) SELECT 'delete', id, name, text FROM parts"
                              " WHERE chat_id = ?1 AND id < ?2 AND msg_ordinal >= ?3",
    [ST_MERGE_CUT_MSG_FTS] = "INSERT INTO msg_fts(msg_fts, rowid, text) SELECT 'delete', id, text FROM messages"
                             " WHERE chat_id = ?1 AND id < ?2 AND ordinal >= ?3",
    [ST_MERGE_CUT_PARTS] = "DELETE FROM parts WHERE chat_id = ?1 AND msg_ordinal >= ?3",
    [ST_MERGE_CUT_MSGS] = "DELETE FROM messages WHERE chat_id = ?1 AND ordinal >= ?3",
};

struct ChatDb {
    sqlite3 *sql;
    AkArena *arena; // this struct, the path, rows being decoded
    const char *path;
    uint32_t flags;
    bool in_tx;
    bool tx_failed; // a put failed inside the transaction: it can only be rolled back
    // In a write transaction: messages and parts get ids from these counters, and rows with
    // ids at or above *_indexed are stored but not yet in the FTS index (see "Indexing").
    int64_t next_msg, next_part, msg_indexed, part_indexed;
    int64_t next_slice, slice_indexed;
    uint64_t unindexed_bytes, index_batch;
    int slices; // the slice tables exist: 1 yes, 2 no, 0 not looked yet (see "Slices")
    bool index_outdated; // a schema-1 index a read-only handle could not rebuild ("Tokenizer versions")
    // The chats this write transaction stored, to tell a uuid seen twice in one import. Its
    // own arena, made at the first transaction and cleared at each: nothing else pushes there.
    // Chat ids are rowids, dense from 1: a bitmap by id (50 KB at 400,000 chats, where a map
    // with the tables its growth left behind took 64 MB); ids past PUT_BITS_MAX in a map.
    AkArena *put_arena;
    uint64_t *put_bits, put_words;
    AkMap put_ids;
    sqlite3_stmt *stmt[ST_COUNT];
    uint64_t merged_msgs; // messages a merge kept in place instead of rewriting (see "Merging")
};

// ---- small helpers ------------------------------------------------------------------------

static const char *const role_names[] = {
    [CHAT_ROLE_USER] = "user", [CHAT_ROLE_ASSISTANT] = "assistant", [CHAT_ROLE_SYSTEM] = "system",
    [CHAT_ROLE_TOOL] = "tool", [CHAT_ROLE_OTHER] = "other",
};
static const char *const kind_names[] = {
    [CHAT_PART_TEXT] = "text", [CHAT_PART_THINKING] = "thinking", [CHAT_PART_TOOL_USE] = "tool_use",
    [CHAT_PART_TOOL_RESULT] = "tool_result", [CHAT_PART_ATTACHMENT] = "attachment",
    [CHAT_PART_FILE] = "file", [CHAT_PART_IMAGE] = "image", [CHAT_PART_UNKNOWN] = "unknown",
    [CHAT_PART_CONTEXT] = "context", [CHAT_PART_MEDIA] = "media", [CHAT_PART_META] = "meta",
};

// Sources by the table's names (source.h): the word stored in chats.source.
const char *chat_source_name(ChatSource s) {
    const ChatSourceInfo *row = chat_source_info(s);
    return row ? row->name : "unknown";
}
const char *chat_role_name(ChatRole r) {
    return (unsigned)r < AK_ARRAY_COUNT(role_names) ? role_names[r] : "other";
}
const char *chat_part_kind_name(ChatPartKind k) {
    return (unsigned)k < AK_ARRAY_COUNT(kind_names) ? kind_names[k] : "unknown";
}

// Words read back from the database; an unknown word (a newer writer) maps to a safe default.
static int name_lookup(const char *const *names, int count, const unsigned char *word, int fallback) {
    if (!word) return fallback;
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], (const char *)word) == 0) return i;
    return fallback;
}

static void bind_str(sqlite3_stmt *s, int i, AkStr str) {
    sqlite3_bind_text64(s, i, str.ptr ? str.ptr : "", str.len, SQLITE_STATIC, SQLITE_UTF8);
}
static void bind_time(sqlite3_stmt *s, int i, double t) {
    if (t == CHAT_TIME_UNKNOWN || t != t) sqlite3_bind_null(s, i);
    else sqlite3_bind_double(s, i, t);
}
static AkStr col_str(sqlite3_stmt *s, int i) {
    const char *p = (const char *)sqlite3_column_text(s, i);
    return p ? ak_str(p, (uint64_t)sqlite3_column_bytes(s, i)) : ak_str("", 0);
}
static double col_time(sqlite3_stmt *s, int i) {
    return sqlite3_column_type(s, i) == SQLITE_NULL ? CHAT_TIME_UNKNOWN : sqlite3_column_double(s, i);
}
static AkStr str_copy(AkArena *arena, AkStr s) {
    if (s.len == 0) return ak_str("", 0);
    char *p = ak_arena_push_nz(arena, s.len + 1, 1);
    if (!p) return ak_str("", 0);
    memcpy(p, s.ptr, s.len);
    p[s.len] = 0; // convenient for printf; not part of the contract
    return ak_str(p, s.len);
}

// "PATH: what: SQLite's words". Always returns false.
static bool db_fail(ChatDb *db, ChatError *err, const char *what) {
    return chat_fail(err, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->sql));
}

// Cached statement, prepared on first use. A statement still stepping means a callback called
// back into the same walk, which would reset it under the caller.
static sqlite3_stmt *stmt_get(ChatDb *db, int id, ChatError *err) {
    sqlite3_stmt *s = db->stmt[id];
    if (!s) {
        if (sqlite3_prepare_v3(db->sql, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
            db_fail(db, err, "preparing a statement");
            return NULL;
        }
        db->stmt[id] = s;
    }
    AK_ASSERT(!sqlite3_stmt_busy(s), "%s: statement %d re-entered from a callback", db->path, id);
    return s;
}

// Runs a cached statement that returns no rows.
static bool stmt_exec(ChatDb *db, int id, const char *what, ChatError *err) {
    sqlite3_stmt *s = stmt_get(db, id, err);
    if (!s) return false;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? true : db_fail(db, err, what);
}

// A walk that runs several statements reads one snapshot: outside the caller's transaction it
// opens a read transaction of its own (BEGIN DEFERRED takes no lock until the first read).
static bool read_begin(ChatDb *db, bool *opened, ChatError *err) {
    *opened = false;
    if (!sqlite3_get_autocommit(db->sql)) return true;
    if (!stmt_exec(db, ST_BEGIN_READ, "starting to read", err)) return false;
    *opened = true;
    return true;
}
static void read_end(ChatDb *db, bool opened) {
    if (opened) stmt_exec(db, ST_COMMIT, "ending a read", NULL);
}

// ---- the tokenizer and the snippet function (tokenizer.h, snippet.h) -----------------------

static bool register_tokenizer(ChatDb *db, ChatError *err) {
    int rc = chat_fts_register(db->sql);
    if (rc == SQLITE_ERROR) return chat_fail(err, "%s: this SQLite has no FTS5, or one too old (before 3.20)", db->path);
    if (rc == SQLITE_NOMEM) return chat_fail(err, "%s: registering the tokenizer: out of memory", db->path);
    if (rc != SQLITE_OK) return db_fail(db, err, "registering the tokenizer");
    return true;
}

// ---- opening --------------------------------------------------------------------------------

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// Never open() the database file here: on POSIX, closing any descriptor of a file drops every
// lock this process holds on it, including those of SQLite connections already open on it
// (another ChatDb of this process, the store's IO thread), and another process could then
// write under them. So the path is judged by stat() only, and the header is read through
// SQLite's own descriptor (check_header) once the connection exists.

static bool file_exists(const char *path, uint64_t *size) {
    struct stat st;
    if (stat(path, &st) != 0) return false;
    if (size) *size = (uint64_t)st.st_size;
    return true;
}

// `path` with `suffix` appended (the -wal, -shm and -journal files), on `arena`.
static char *side_path(AkArena *arena, const char *path, const char *suffix) {
    size_t a = strlen(path), b = strlen(suffix);
    char *p = ak_arena_push_nz(arena, a + b + 1, 1);
    if (!p) return NULL;
    memcpy(p, path, a);
    memcpy(p + a, suffix, b + 1);
    return p;
}

// The folder holding `path` ("." for a bare name), on `arena`.
static char *dir_of(AkArena *arena, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return side_path(arena, ".", "");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = ak_arena_push_nz(arena, n + 1, 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = 0;
    return d;
}

// A rollback journal beside the file is "hot" after a crash mid-commit: SQLite puts the file
// back from it on the first read, and until then the file may be anything (a new database
// killed while being made is pages of zeros). So let SQLite do that first, through a short
// read-write connection of its own, even for a read-only handle: rolling back is SQLite's
// recovery, not a write of ours. A journal another process is still writing is not hot, and
// the read just waits for that commit.
static bool recover_journal(const char *path, ChatError *err) {
    uint64_t size = 0;
    char journal[4096];
    if ((size_t)snprintf(journal, sizeof journal, "%s-journal", path) >= sizeof journal) return true;
    if (!file_exists(journal, &size) || size == 0 || !file_exists(path, NULL)) return true;
    sqlite3 *s = NULL;
    int rc = sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(s, 5000);
        rc = sqlite3_exec(s, "PRAGMA schema_version", NULL, NULL, NULL);
    }
    bool ok = rc == SQLITE_OK || (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT ||
              !file_exists(journal, NULL); // the header check says what is wrong with the file
    if (!ok)
        chat_fail(err, "%s: a crash left %s beside it, which SQLite must roll back before the database can be "
                  "read, and it could not: %s", path, journal, s ? sqlite3_errmsg(s) : "out of memory");
    sqlite3_close(s);
    return ok;
}

// What the path is before SQLite opens it. *is_new: missing or empty, to be created.
static bool check_path(const char *path, bool readonly, bool *is_new, ChatError *err) {
    *is_new = false;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && !readonly) { *is_new = true; return true; }
        if (errno == ENOENT) return chat_fail(err, "%s: no such database (import an export first)", path);
        return chat_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return chat_fail(err, "%s: is a directory, not a database file", path);
    if (st.st_size == 0) {
        if (readonly) return chat_fail(err, "%s: the database is empty (import an export first)", path);
        *is_new = true;
    }
    return true;
}

// Reads the 100-byte header through SQLite's descriptor before SQLite itself reads anything,
// so a file that is not ours is refused with nothing written beside or into it.
static bool check_header(ChatDb *db, bool *is_new, ChatError *err) {
    const char *path = db->path;
    sqlite3_file *f = NULL;
    if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods)
        return chat_fail(err, "%s: cannot open: SQLite has no file for it", path);
    sqlite3_int64 size = 0;
    unsigned char h[100];
    if (f->pMethods->xFileSize(f, &size) != SQLITE_OK) return chat_fail(err, "%s: cannot read its size", path);
    int rc = size > 0 ? f->pMethods->xRead(f, h, sizeof h, 0) : SQLITE_IOERR_SHORT_READ;
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return chat_fail(err, "%s: cannot read its header", path);
    if (size == 0) { // emptied since check_path (another process rolled a new file back): new
        if (db->flags & CHAT_DB_READONLY)
            return chat_fail(err, "%s: the database is empty (import an export first)", path);
        *is_new = true;
        return true;
    }
    if (rc == SQLITE_IOERR_SHORT_READ || memcmp(h, "SQLite format 3", 16) != 0)
        return chat_fail(err, "%s: not a SQLite database (%llu bytes without a SQLite header)", path,
                         (unsigned long long)size);
    uint32_t page = (uint32_t)h[16] << 8 | h[17];
    if (page == 1) page = 65536;
    if (!AK_IS_POW2(page) || page < 512)
        return chat_fail(err, "%s: corrupt SQLite header (page size %u)", path, page);
    uint32_t app = be32(h + 68), version = be32(h + 60);
    if (app != CHAT_DB_APPLICATION_ID)
        return chat_fail(err, "%s: a SQLite database, but not a chatlog one (application_id 0x%08x, "
                         "expected 0x%08x); refusing to touch it", path, app, CHAT_DB_APPLICATION_ID);
    if (version > CHAT_DB_SCHEMA_VERSION)
        return chat_fail(err, "%s: made by a newer chatlog (schema version %u; this one knows up to %u); "
                         "upgrade chatlog to open it", path, version, CHAT_DB_SCHEMA_VERSION);
    // The header's page count is current when its change counter matches "version valid for".
    // A WAL with frames may legitimately be ahead of a shorter main file, and a rollback
    // journal (hot after a crash, or another process mid-commit) holds what SQLite puts back
    // before anything reads the file: let SQLite judge then.
    uint64_t pages = be32(h + 28), wal_size = 0, journal_size = 0;
    AkTemp t = ak_temp_begin(db->arena);
    char *wal = side_path(db->arena, path, "-wal"), *journal = side_path(db->arena, path, "-journal");
    bool side = !wal || !journal || (file_exists(wal, &wal_size) && wal_size > 0) ||
                (file_exists(journal, &journal_size) && journal_size > 0);
    ak_temp_end(t);
    if (!side && be32(h + 24) == be32(h + 92) && pages * page > (uint64_t)size)
        return chat_fail(err, "%s: truncated or damaged: the file has %llu bytes but its header says %llu",
                         path, (unsigned long long)size, (unsigned long long)(pages * page));
    return true;
}

static bool exec_sql(ChatDb *db, const char *sql, const char *what, ChatError *err) {
    return sqlite3_exec(db->sql, sql, NULL, NULL, NULL) == SQLITE_OK ? true : db_fail(db, err, what);
}

static bool pragma_int(ChatDb *db, const char *sql, int64_t *out, ChatError *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK) return db_fail(db, err, "reading the header");
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_fail(db, err, "not a usable database");
}

// Creates the schema on an empty file. Another process may have created it meanwhile: the
// version is read again under the write lock.
static bool create_schema(ChatDb *db, ChatError *err) {
    // 16 KB pages: fewer, larger B-tree and FTS pages made imports ~15% cheaper and the file
    // smaller, with chat loads unchanged (bench/chat_bench.c). Only an empty file takes it.
    // No journal_mode here: a new connection to a new file uses a rollback journal anyway, and
    // if another process made the file meanwhile, changing its mode would need it alone.
    if (!exec_sql(db, "PRAGMA page_size=16384; BEGIN IMMEDIATE",
                  "starting to create the database", err))
        return false;
    int64_t version = 0;
    if (!pragma_int(db, "PRAGMA user_version", &version, err)) goto fail;
    if (version == 0) {
        char pragmas[160];
        snprintf(pragmas, sizeof pragmas, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 CHAT_DB_APPLICATION_ID, CHAT_DB_SCHEMA_VERSION);
        if (!exec_sql(db, pragmas, "creating the database", err)) goto fail;
        if (!exec_sql(db, schema_v1, "creating the tables", err)) goto fail;
    }
    if (!exec_sql(db, "COMMIT", "creating the database", err)) goto fail;
    return true;
fail:
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    return false;
}

// ---- tokenizer versions --------------------------------------------------------------------
//
// Schema 1 declared the full-text tables `tokenize='chatlog'`, whose tokens keep the accents of
// Greek and Cyrillic ("Γειά" indexed as "γειά", so "γεια" missed it). Schema 2 declares them
// `chatlog fold`. The tokenizer follows each table's own declaration, so an index is always
// read the way it was written: a schema-1 database opened read-only searches as it always
// did (chat_db_index_outdated says so). The first write open rebuilds it: in one write
// transaction, each full-text table (the slices' too, when there are any) is dropped, declared
// again and filled from its content table, which is what the indexing in "Indexing" puts in
// it, and user_version becomes 2. Only index pages change; a failure rolls it all back. FTS5
// writes the rebuilt index out in pieces (its pending-data limit), so memory stays bounded;
// the time is about that of indexing at import (seconds for 100k messages).
#define CHAT_DB_SCHEMA_V1 1

static bool slices_present(ChatDb *db, ChatError *err); // "Slices" below

static bool reindex_v1(ChatDb *db, ChatError *err) {
    static const struct { const char *name, *args; } tables[] = {
        {"title_fts", TITLE_FTS_ARGS}, {"msg_fts", MSG_FTS_ARGS}, {"part_fts", PART_FTS_ARGS},
        {"slice_fts", SLICE_FTS_ARGS},
    };
    if (!exec_sql(db, "BEGIN IMMEDIATE", "starting to rebuild the search index", err)) return false;
    int64_t version = 0;
    if (!pragma_int(db, "PRAGMA user_version", &version, err)) goto fail;
    if (version != CHAT_DB_SCHEMA_V1) return exec_sql(db, "COMMIT", "rebuilding the search index", err); // done meanwhile
    db->slices = 0;
    bool slices = slices_present(db, err);
    if (!slices && db->slices != 2) goto fail;
    for (size_t i = 0; i < AK_ARRAY_COUNT(tables); i++) {
        if (i == 3 && !slices) continue;
        char sql[512];
        snprintf(sql, sizeof sql,
                 "DROP TABLE %s; CREATE VIRTUAL TABLE %s USING fts5(%s); INSERT INTO %s(%s) VALUES('rebuild');",
                 tables[i].name, tables[i].name, tables[i].args, tables[i].name, tables[i].name);
        if (!exec_sql(db, sql, "rebuilding the search index", err)) goto fail;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", CHAT_DB_SCHEMA_VERSION);
    if (!exec_sql(db, pragma, "rebuilding the search index", err)) goto fail;
    if (!exec_sql(db, "COMMIT", "rebuilding the search index", err)) goto fail;
    return true;
fail:
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    db->slices = 0;
    return false;
}

// "file:PATH?immutable=1" with PATH percent-encoded as RFC 3986 wants, on `arena`.
static char *immutable_uri(AkArena *arena, const char *path) {
    size_t n = strlen(path);
    char *u = ak_arena_push_nz(arena, 3 * n + 32, 1);
    if (!u) return NULL;
    char *o = u;
    memcpy(o, "file:", 5), o += 5;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned c = *p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                     c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) *o++ = (char)c;
        else o += sprintf(o, "%%%02X", c);
    }
    memcpy(o, "?immutable=1", 13);
    return u;
}

ChatDb *chat_db_open(const char *path, uint32_t flags, ChatError *err) {
    AK_ASSERT(path, "chat_db_open: NULL path");
    bool readonly = flags & CHAT_DB_READONLY, is_new;
    if (!recover_journal(path, err) || !check_path(path, readonly, &is_new, err)) return NULL;

    AkArena *arena = ak_arena_create(.name = "chat_db");
    if (!arena) { chat_fail(err, "%s: no memory for the handle: %s", path, ak_arena_last_create_error()); return NULL; }
    ChatDb *db = ak_push_struct(arena, ChatDb);
    db->arena = arena;
    db->flags = flags;
    db->index_batch = AK_MB(2); // SQLite's peak memory grows with the batch; speed does not
    db->path = str_copy(arena, ak_str_cstr(path)).ptr;

    // SQLite keeps the -wal and -shm (and a rollback journal) beside the file, so writing needs
    // the folder as well as the file; say which one refuses rather than SQLite's "readonly".
    AkTemp t = ak_temp_begin(arena);
    const char *dir = dir_of(arena, path), *open_path = path;
    bool dir_writable = dir && access(dir, W_OK) == 0;
    if (!readonly && !dir_writable) {
        chat_fail(err, "%s: cannot write in the folder %s (the database keeps its -wal and -shm files there): %s",
                  path, dir ? dir : "?", strerror(errno));
        ak_temp_end(t);
        goto fail;
    }
    if (!readonly && !is_new && access(path, W_OK) != 0) {
        chat_fail(err, "%s: the file is read-only (%s); make it writable to import into it", path, strerror(errno));
        ak_temp_end(t);
        goto fail;
    }
    // A reader in a folder it cannot write: SQLite could not make the -shm a WAL reader needs.
    // With no -wal beside the file no writer is at work (a writer makes one), so the file is
    // read as immutable: no locks, no side files.
    uint64_t wal_size = 0;
    const char *wal = side_path(arena, path, "-wal");
    bool immutable = readonly && !dir_writable && !(wal && file_exists(wal, &wal_size) && wal_size > 0);
    if (immutable && !(open_path = immutable_uri(arena, path))) {
        chat_fail(err, "%s: no memory for its name", path);
        ak_temp_end(t);
        goto fail;
    }
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | (immutable ? SQLITE_OPEN_URI : 0) |
                 (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int orc = sqlite3_open_v2(open_path, &db->sql, oflags, NULL);
    ak_temp_end(t);
    if (orc != SQLITE_OK) {
        if (db->sql) db_fail(db, err, "cannot open");
        else chat_fail(err, "%s: cannot open: out of memory", path);
        goto fail;
    }
    if (!check_header(db, &is_new, err)) goto fail;
    sqlite3_busy_timeout(db->sql, 5000);
    if (!register_tokenizer(db, err)) goto fail;
    if (is_new && !create_schema(db, err)) goto fail;

    // The header check above ran on the main file; these read through the WAL and are final.
    int64_t app = 0, version = 0;
    if (!pragma_int(db, "PRAGMA application_id", &app, err)) goto fail;
    if (!pragma_int(db, "PRAGMA user_version", &version, err)) goto fail;
    if ((uint32_t)app != CHAT_DB_APPLICATION_ID) {
        chat_fail(err, "%s: not a chatlog database (application_id 0x%08x)", path, (unsigned)app);
        goto fail;
    }
    if (version != CHAT_DB_SCHEMA_VERSION && version != CHAT_DB_SCHEMA_V1) {
        chat_fail(err, "%s: schema version %lld, this chatlog knows versions %d to %d", path,
                  (long long)version, CHAT_DB_SCHEMA_V1, CHAT_DB_SCHEMA_VERSION);
        goto fail;
    }
    // WAL: readers and one writer at once. synchronous=NORMAL: a commit survives a crash of
    // the program, and the last commits may be lost (never corrupted) in a power cut.
    const char *pragmas = readonly
        ? "PRAGMA query_only=1;"
        : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
          " PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;";
    if (!exec_sql(db, pragmas, "setting up the connection", err)) goto fail;
    // The page cache fits SQLite's share of the process budget (sqlmem.h).
    char cache[64];
    snprintf(cache, sizeof cache, "PRAGMA cache_size=-%lld;", (long long)chat_sqlmem_cache_kb());
    if (!exec_sql(db, cache, "setting up the connection", err)) goto fail;
    // An index made by the schema-1 tokenizer: rebuilt by a writer, kept by a reader.
    if (version == CHAT_DB_SCHEMA_V1 && !readonly && !reindex_v1(db, err)) goto fail;
    db->index_outdated = version == CHAT_DB_SCHEMA_V1 && readonly;
    return db;
fail:
    sqlite3_close(db->sql);
    ak_arena_release(arena);
    return NULL;
}

void chat_db_close(ChatDb *db) {
    if (!db) return;
    if (db->in_tx) chat_db_rollback(db);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(db->stmt[i]);
    sqlite3_close(db->sql);
    ak_arena_release(db->put_arena);
    ak_arena_release(db->arena);
}

const char *chat_db_path(const ChatDb *db) { return db->path; }
bool chat_db_remove_if_empty(const char *path, bool *removed, ChatError *err) {
    *removed = false;
    ChatDb *db = chat_db_open(path, 0, err);
    if (!db) return false;
    ChatDbStats st;
    bool ok = chat_db_begin(db, err) && chat_db_stats(db, &st, err);
    if (ok && st.chats == 0) {
        // Under the write lock: no other import is between its begin and its commit.
        static const char *const side[] = {"", "-wal", "-shm", "-journal"};
        AkTemp t = ak_temp_begin(db->arena);
        for (size_t i = 0; i < AK_ARRAY_COUNT(side); i++) {
            char *p = side_path(db->arena, path, side[i]);
            if (p && unlink(p) != 0 && errno != ENOENT && i == 0)
                ok = chat_fail(err, "%s: cannot remove it: %s", path, strerror(errno));
        }
        ak_temp_end(t);
        *removed = ok;
    }
    chat_db_close(db); // rolls back
    return ok;
}
void chat_db_set_index_batch(ChatDb *db, uint64_t bytes) { db->index_batch = bytes; }
struct sqlite3 *chat_db_handle(ChatDb *db) { return db->sql; }
bool chat_db_index_outdated(const ChatDb *db) { return db->index_outdated; }

// ---- transactions and indexing ----------------------------------------------------------------
//
// Indexing: FTS5 in SQLite 3.40 writes its pending index to disk at every savepoint, and a
// statement that fires a trigger or writes several rows runs in one. Feeding the index a row
// at a time from triggers therefore made one tiny segment per message (import 7x slower). So
// a write transaction gives new messages and parts ids from its own counters, stores them
// unindexed, and indexes each batch in one INSERT ... SELECT (every index_batch bytes of text
// and at commit). Readers only ever see committed, fully indexed states; a search on the writing
// connection inside its transaction misses the batch not yet indexed.


static bool next_id(ChatDb *db, int id, int64_t *out, ChatError *err) {
    sqlite3_stmt *s = stmt_get(db, id, err);
    if (!s) return false;
    int rc = sqlite3_step(s);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? true : db_fail(db, err, "starting a transaction");
}

// SQLite's heap (sqlmem.h) refused: name the budget it is a share of, and what would do.
static bool index_nomem(ChatDb *db, ChatError *err) {
    uint64_t share = chat_sqlmem_limit(), budget = ak_os_commit_limit();
    if (!share) return db_fail(db, err, "updating the search index");
    if (budget && budget < AK_MB(256))
        return chat_fail(err, "%s: updating the search index: out of memory: SQLite's share of the memory budget "
                         "(%.0f MB, a quarter of %.0f MB) is too small for this import; raise --memory-budget to "
                         "%.0f MB or more", db->path, share / 1048576.0, budget / 1048576.0,
                         AK_MIN(2 * budget, AK_MB(256)) / 1048576.0);
    return chat_fail(err, "%s: updating the search index: out of memory: SQLite's %.0f MB share of the memory "
                     "budget is not enough for this import; import the export in smaller parts",
                     db->path, share / 1048576.0);
}

static bool index_range(ChatDb *db, int id, int64_t from, int64_t to, ChatError *err) {
    if (from >= to) return true;
    sqlite3_stmt *s = stmt_get(db, id, err);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return true;
    return (rc & 0xFF) == SQLITE_NOMEM ? index_nomem(db, err) : db_fail(db, err, "updating the search index");
}

static bool index_pending(ChatDb *db, ChatError *err) {
    if (!index_range(db, ST_MSG_FTS_BATCH, db->msg_indexed, db->next_msg, err) ||
        !index_range(db, ST_PART_FTS_BATCH, db->part_indexed, db->next_part, err) ||
        !index_range(db, ST_SLICE_FTS_BATCH, db->slice_indexed, db->next_slice, err))
        return false;
    db->msg_indexed = db->next_msg;
    db->part_indexed = db->next_part;
    db->slice_indexed = db->next_slice;
    db->unindexed_bytes = 0;
    return true;
}

bool chat_db_begin(ChatDb *db, ChatError *err) {
    AK_ASSERT(!db->in_tx, "%s: chat_db_begin inside a transaction", db->path);
    AK_ASSERT(!(db->flags & CHAT_DB_READONLY), "%s: chat_db_begin on a read-only handle", db->path);
    bool begun = stmt_exec(db, ST_BEGIN, "starting a transaction", err);
    // Another chatlog whose first import failed removes the database it made, under this lock
    // (chat_db_remove_if_empty): a transaction that waited for it would write to a file no
    // longer in the folder (or SQLite fails on its vanished -wal). Say what happened instead.
    int moved = 0;
    if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved) {
        if (!sqlite3_get_autocommit(db->sql)) stmt_exec(db, ST_ROLLBACK, "rolling back", NULL);
        return chat_fail(err, "%s: the database file was removed or replaced while this import waited for it "
                         "(another import's failed first run); nothing was written: run it again", db->path);
    }
    if (!begun) return false;
    db->in_tx = true;
    db->tx_failed = false;
    db->unindexed_bytes = 0;
    if (db->put_arena) ak_arena_clear(db->put_arena);
    else db->put_arena = ak_arena_create(.name = "chat_db put ids");
    db->put_ids = ak_map_u64(db->put_arena, 0); // without an arena (refused) no duplicate is reported
    db->put_bits = NULL;
    db->put_words = 0;
    if (!next_id(db, ST_MSG_NEXT_ID, &db->next_msg, err) || !next_id(db, ST_PART_NEXT_ID, &db->next_part, err)) {
        chat_db_rollback(db);
        return false;
    }
    db->msg_indexed = db->next_msg;
    db->part_indexed = db->next_part;
    db->next_slice = db->slice_indexed = 0; // until the first sliced message (slices_begin)
    return true;
}

bool chat_db_commit(ChatDb *db, ChatError *err) {
    AK_ASSERT(db->in_tx, "%s: chat_db_commit outside a transaction", db->path);
    if (db->tx_failed) {
        chat_db_rollback(db);
        return chat_fail(err, "%s: nothing committed: a conversation failed to store earlier in this "
                         "transaction, so it was rolled back", db->path);
    }
    if (!index_pending(db, err) || !stmt_exec(db, ST_COMMIT, "committing", err)) {
        chat_db_rollback(db);
        return false;
    }
    db->in_tx = false;
    return true;
}

void chat_db_rollback(ChatDb *db) {
    if (!db->in_tx) return;
    // Reset every statement so none holds the transaction open, then roll back; if SQLite
    // already rolled back itself (a failed COMMIT), there is nothing left to do.
    for (int i = 0; i < ST_COUNT; i++) if (db->stmt[i]) sqlite3_reset(db->stmt[i]);
    if (!sqlite3_get_autocommit(db->sql)) stmt_exec(db, ST_ROLLBACK, "rolling back", NULL);
    db->slices = 0; // the transaction may have made the slice tables: look again
    db->in_tx = false;
    db->tx_failed = false;
}

// ---- put ----------------------------------------------------------------------------------------

// A 64-bit hash over every stored field, to tell an unchanged conversation from a changed one.
// Not cryptographic: it only compares two versions of the same (source, uuid).
typedef struct ChatHash { uint64_t h; } ChatHash;

static void hash_u64(ChatHash *hs, uint64_t v) {
    uint64_t h = hs->h ^ (v * 0x9E3779B97F4A7C15ull);
    h = (h << 31) | (h >> 33);
    hs->h = h * 0xC2B2AE3D27D4EB4Full;
}
static void hash_str(ChatHash *hs, AkStr s) {
    hash_u64(hs, s.len);
    uint64_t i = 0, w;
    for (; i + 8 <= s.len; i += 8) { memcpy(&w, s.ptr + i, 8); hash_u64(hs, w); }
    if (i < s.len) { w = 0; memcpy(&w, s.ptr + i, (size_t)(s.len - i)); hash_u64(hs, w); }
}
static void hash_f64(ChatHash *hs, double d) { uint64_t w; memcpy(&w, &d, 8); hash_u64(hs, w); }

static uint64_t conv_hash(const ChatConv *c) {
    ChatHash hs = {0x43484C4700000001ull};
    hash_u64(&hs, c->source);
    hash_str(&hs, c->uuid), hash_str(&hs, c->title), hash_str(&hs, c->model);
    hash_f64(&hs, c->created), hash_f64(&hs, c->updated);
    hash_u64(&hs, c->msg_count), hash_u64(&hs, c->visible_count);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        hash_str(&hs, m->uuid), hash_str(&hs, m->parent_uuid), hash_str(&hs, m->author), hash_str(&hs, m->text);
        hash_u64(&hs, m->role), hash_f64(&hs, m->created);
        hash_u64(&hs, (uint64_t)m->visible | (uint64_t)m->hidden << 1 | (uint64_t)m->sibling_index << 2 |
                          (uint64_t)m->sibling_count << 33);
        hash_u64(&hs, m->part_count);
        for (uint32_t j = 0; j < m->part_count; j++) {
            const ChatPart *p = &m->parts[j];
            hash_u64(&hs, (uint64_t)p->kind | (uint64_t)p->is_error << 8);
            hash_str(&hs, p->name), hash_str(&hs, p->text);
        }
    }
    return hs.h;
}

// Where a text part's bytes sit in its message's text (searching from *from), or -1. The
// importers join text parts with blank lines, so each is usually found right at *from.
static int64_t find_in_text(AkStr text, uint64_t *from, AkStr part) {
    if (part.len == 0 || part.len > text.len) return -1;
    for (uint64_t at = *from; at + part.len <= text.len; at++) {
        const char *hit = memchr(text.ptr + at, part.ptr[0], (size_t)(text.len - part.len - at + 1));
        if (!hit) break;
        at = (uint64_t)(hit - text.ptr);
        if (memcmp(hit, part.ptr, (size_t)part.len) == 0) {
            *from = at + part.len;
            return (int64_t)at;
        }
    }
    return -1;
}

// Steps a cached insert/delete; on failure names what was being stored.
static bool step_write(ChatDb *db, sqlite3_stmt *s, ChatError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static bool step_write(ChatDb *db, sqlite3_stmt *s, ChatError *err, const char *fmt, ...) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return true;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return db_fail(db, err, what);
}

// Slices: texts too big to index whole.
//
// FTS5 builds a document's whole index in memory before it can write any of it (a 50 MB
// message of log lines took over 300 MB), and SQLite holds a value whole while it reads or
// writes it. So a message text, or a part text stored on its own (an attachment's extracted
// content, a tool result), over CHAT_DB_SLICE_BYTES is stored in text_slices, cut at
// whitespace into slices of at most that size, each its own row of slice_fts; its
// messages.text or parts.text is ''. A slice's `doc` says whose it is: a message id, or
// minus a part id. Memory then follows the slice, not the text: SQLite never holds more than
// one slice, and FTS5 writes its index out between slices. Readers put the slices back
// together (chat_db_each_message) and a hit in a slice is a hit in its message or part. The
// price: a phrase cut by a slice boundary is not found, and every word of a query must fall
// in one slice. The tables are made by the first write transaction that needs them (a
// database made by an older chatlog has none) and are not part of the schema version: an
// older chatlog reads such a database and only misses the sliced texts.
// 1 MB: FTS5 then needs some 5 MB for a slice of the worst text (every other word unique).
// Bigger slices cost more memory and were no faster: a 50 MB message imported in 4.5 s of CPU
// with 1 MB slices, 6.1 s with 4 MB ones.
#define CHAT_DB_SLICE_BYTES AK_MB(1)

static const char slices_sql[] =
    "CREATE TABLE IF NOT EXISTS text_slices("
    " id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, doc INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " len INTEGER NOT NULL, text TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS text_slices_doc ON text_slices(doc, seq);\n"
    "CREATE INDEX IF NOT EXISTS text_slices_chat ON text_slices(chat_id);\n"
    "CREATE VIRTUAL TABLE IF NOT EXISTS slice_fts USING fts5(" SLICE_FTS_ARGS ");\n";

static bool slices_present(ChatDb *db, ChatError *err) {
    if (db->slices) return db->slices == 1;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM sqlite_master WHERE name = 'slice_fts'", -1, &s, NULL) != SQLITE_OK) {
        db_fail(db, err, "looking for message slices");
        return false;
    }
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW) db->slices = 1;
    else if (rc == SQLITE_DONE) db->slices = 2;
    else db_fail(db, err, "looking for message slices");
    return db->slices == 1;
}

// Before the first slice of a write transaction: the tables, and where new slice ids start.
static bool slices_begin(ChatDb *db, ChatError *err) {
    if (db->next_slice) return true;
    if (db->slices != 1) {
        if (!exec_sql(db, slices_sql, "creating the message slices", err)) return false;
        db->slices = 1;
    }
    sqlite3_stmt *s = stmt_get(db, ST_SLICE_NEXT_ID, err);
    if (!s) return false;
    int rc = sqlite3_step(s);
    db->next_slice = db->slice_indexed = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? true : db_fail(db, err, "counting message slices");
}

// Where the slice starting at `at` ends: at most CHAT_DB_SLICE_BYTES on, after the last
// newline or space of its last quarter, else on a UTF-8 character boundary.
static uint64_t slice_end(AkStr text, uint64_t at) {
    uint64_t end = at + CHAT_DB_SLICE_BYTES;
    if (end >= text.len) return text.len;
    for (uint64_t i = end; i > end - CHAT_DB_SLICE_BYTES / 4; i--)
        if (text.ptr[i - 1] == '\n' || text.ptr[i - 1] == ' ') return i;
    while (end > at + 1 && ((unsigned char)text.ptr[end] & 0xC0) == 0x80) end--;
    return end;
}

static bool slices_put(ChatDb *db, int64_t chat_id, int64_t doc, AkStr text, ChatError *err) {
    sqlite3_stmt *s = slices_begin(db, err) ? stmt_get(db, ST_SLICE_INSERT, err) : NULL;
    if (!s) return false;
    int64_t seq = 0;
    for (uint64_t at = 0; at < text.len; seq++) {
        uint64_t end = slice_end(text, at);
        sqlite3_bind_int64(s, 1, db->next_slice++);
        sqlite3_bind_int64(s, 2, chat_id);
        sqlite3_bind_int64(s, 3, doc);
        sqlite3_bind_int64(s, 4, seq);
        sqlite3_bind_int64(s, 5, (int64_t)(end - at));
        sqlite3_bind_text64(s, 6, text.ptr + at, end - at, SQLITE_STATIC, SQLITE_UTF8);
        if (!step_write(db, s, err, "storing slice %lld of a %.1f MB text", (long long)seq, text.len / 1048576.0))
            return false;
        at = end;
    }
    return true;
}

// The text of a sliced document (see "Slices"), put together on `arena`; an empty text if it
// has no slices.
static bool slices_read(ChatDb *db, AkArena *arena, int64_t doc, AkStr *out, ChatError *err) {
    *out = ak_str("", 0);
    if (!slices_present(db, err)) return db->slices == 2; // no slice tables: nothing sliced
    sqlite3_stmt *s = stmt_get(db, ST_SLICE_LEN, err);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, doc);
    int rc = sqlite3_step(s);
    int64_t len = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) return db_fail(db, err, "reading the size of a sliced message");
    if (len <= 0) return true;
    char *p = ak_arena_push_nz(arena, (uint64_t)len + 1, 1);
    if (!p)
        return chat_fail(err, "%s: no memory to read a message of %.1f MB: %s", db->path, len / 1048576.0,
                         ak_arena_error(arena));
    if (!(s = stmt_get(db, ST_SLICE_EACH, err))) return false;
    sqlite3_bind_int64(s, 1, doc);
    uint64_t n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        AkStr part = col_str(s, 0);
        if (n + part.len > (uint64_t)len) { rc = SQLITE_CORRUPT; break; }
        memcpy(p + n, part.ptr, part.len);
        n += part.len;
    }
    sqlite3_reset(s);
    if (rc == SQLITE_CORRUPT || (rc == SQLITE_DONE && n != (uint64_t)len))
        return chat_fail(err, "%s: %s %lld: its slices do not add up to %lld bytes (damaged database?)", db->path,
                         doc > 0 ? "message" : "part", (long long)(doc > 0 ? doc : -doc), (long long)len);
    if (rc != SQLITE_DONE) return db_fail(db, err, "reading a sliced message");
    p[n] = 0;
    *out = ak_str(p, n);
    return true;
}

// Messages [first, msg_count) of c (first > 0: the ones before are stored already, see "Merging").
static bool put_messages(ChatDb *db, int64_t chat_id, const ChatConv *c, uint32_t first, ChatError *err) {
    sqlite3_stmt *ms = stmt_get(db, ST_MSG_INSERT, err);
    sqlite3_stmt *ps = ms ? stmt_get(db, ST_PART_INSERT, err) : NULL;
    if (!ps) return false;
    int u = (int)AK_MIN(c->uuid.len, 100);
    for (uint32_t i = first; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        sqlite3_bind_int64(ms, 1, chat_id);
        sqlite3_bind_int64(ms, 2, i);
        bind_str(ms, 3, m->uuid);
        bind_str(ms, 4, m->parent_uuid);
        sqlite3_bind_text(ms, 5, chat_role_name(m->role), -1, SQLITE_STATIC);
        bind_str(ms, 6, m->author);
        bind_time(ms, 7, m->created);
        bool sliced = m->text.len > CHAT_DB_SLICE_BYTES; // stored in text_slices instead (see "Slices")
        bind_str(ms, 8, sliced ? ak_str("", 0) : m->text);
        sqlite3_bind_int(ms, 9, m->visible);
        sqlite3_bind_int(ms, 10, m->hidden);
        sqlite3_bind_int64(ms, 11, m->sibling_index);
        sqlite3_bind_int64(ms, 12, m->sibling_count);
        sqlite3_bind_int64(ms, 13, m->part_count);
        int64_t msg_id = db->next_msg++;
        sqlite3_bind_int64(ms, 14, msg_id);
        if (!step_write(db, ms, err, "storing message %u of conversation %.*s", i, u, c->uuid.ptr)) return false;
        if (sliced && !slices_put(db, chat_id, msg_id, m->text, err)) return false;
        db->unindexed_bytes += m->text.len;
        uint64_t from = 0;
        for (uint32_t j = 0; j < m->part_count; j++) {
            const ChatPart *p = &m->parts[j];
            // A text part that is a range of the message's text is stored as that range; in
            // the index it is an empty document (its words count with the message).
            int64_t at = p->kind == CHAT_PART_TEXT ? find_in_text(m->text, &from, p->text) : -1;
            sqlite3_bind_int64(ps, 1, chat_id);
            sqlite3_bind_int64(ps, 2, i);
            sqlite3_bind_int64(ps, 3, j);
            sqlite3_bind_text(ps, 4, chat_part_kind_name(p->kind), -1, SQLITE_STATIC);
            bind_str(ps, 5, p->name);
            if (at >= 0) {
                sqlite3_bind_null(ps, 6);
                sqlite3_bind_int64(ps, 7, at);
                sqlite3_bind_int64(ps, 8, (int64_t)p->text.len);
            } else {
                bind_str(ps, 6, p->text.len > CHAT_DB_SLICE_BYTES ? ak_str("", 0) : p->text); // else in slices
                sqlite3_bind_null(ps, 7);
                sqlite3_bind_null(ps, 8);
                db->unindexed_bytes += p->text.len;
            }
            int64_t part_id = db->next_part++;
            sqlite3_bind_int(ps, 9, p->is_error);
            sqlite3_bind_int64(ps, 10, part_id);
            if (!step_write(db, ps, err, "storing part %u of message %u of conversation %.*s", j, i, u, c->uuid.ptr))
                return false;
            if (at < 0 && p->text.len > CHAT_DB_SLICE_BYTES && !slices_put(db, chat_id, -part_id, p->text, err))
                return false;
        }
        // A long conversation is indexed in batches too, not in one INSERT ... SELECT at its
        // end: SQLite's memory for a batch grows with its text (at 1M messages the largest
        // chat, 11 MB, took SQLite's heap to 17 MB and the import's peak RSS to 49 MB). Safe
        // mid-conversation: a failed put fails the whole transaction (chat_db_put), and the
        // *_indexed marks stay exact for a later replace.
        if (db->in_tx && db->unindexed_bytes >= db->index_batch && !index_pending(db, err)) return false;
    }
    return true;
}

// Binds ?2..?12 of ST_CHAT_INSERT / ST_CHAT_UPDATE.
static void bind_chat(sqlite3_stmt *s, const ChatConv *c, uint64_t hash) {
    uint64_t parts = 0, bytes = 0;
    for (uint32_t i = 0; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        parts += m->part_count;
        bytes += m->text.len;
        uint64_t from = 0;
        for (uint32_t j = 0; j < m->part_count; j++) {
            const ChatPart *p = &m->parts[j];
            bool shared = p->kind == CHAT_PART_TEXT && find_in_text(m->text, &from, p->text) >= 0;
            bytes += p->name.len + (shared ? 0 : p->text.len);
        }
    }
    sqlite3_bind_text(s, 2, chat_source_name(c->source), -1, SQLITE_STATIC);
    bind_str(s, 3, c->uuid);
    bind_str(s, 4, c->title);
    bind_str(s, 5, c->model);
    bind_time(s, 6, c->created);
    bind_time(s, 7, c->updated);
    sqlite3_bind_int64(s, 8, c->msg_count);
    sqlite3_bind_int64(s, 9, c->visible_count);
    sqlite3_bind_int64(s, 10, (int64_t)parts);
    sqlite3_bind_int64(s, 11, (int64_t)bytes);
    sqlite3_bind_int64(s, 12, (int64_t)hash);
}

// Whether the incoming copy of a stored chat is older than the stored one: its update time
// decides when both are known, then the message count (a copy with fewer messages is older).
static bool conv_is_older(const ChatConv *c, double stored_updated, uint32_t stored_count) {
    bool known = c->updated != CHAT_TIME_UNKNOWN && stored_updated != CHAT_TIME_UNKNOWN && c->updated == c->updated;
    if (known && c->updated != stored_updated) return c->updated < stored_updated;
    return c->msg_count < stored_count;
}

// The chats stored in this transaction (see put_bits): whether id is one, and marking it. A
// refused arena only loses the duplicate report.
enum { PUT_BITS_MAX = 1 << 28 }; // ids below it in the bitmap (at most 32 MB of bits)
static bool put_seen(const ChatDb *db, int64_t id) {
    if (!db->put_arena || id <= 0) return false;
    if (id >= PUT_BITS_MAX) return ak_map_get_u64(&db->put_ids, (uint64_t)id) != NULL;
    uint64_t w = (uint64_t)id / 64;
    return w < db->put_words && (db->put_bits[w] >> (id % 64) & 1);
}
static void put_mark(ChatDb *db, int64_t id) {
    if (!db->put_arena || id <= 0) return;
    if (id >= PUT_BITS_MAX) {
        (void)!ak_map_put_u64(&db->put_ids, (uint64_t)id, 1);
        return;
    }
    uint64_t w = (uint64_t)id / 64;
    if (w >= db->put_words) { // doubling: the old arrays left on the arena sum to less than the new one
        uint64_t words = AK_MAX(AK_MAX(db->put_words * 2, w + 1), 1024);
        uint64_t *bits = ak_push_array(db->put_arena, uint64_t, words); // zeroed
        if (!bits) return;
        if (db->put_words) memcpy(bits, db->put_bits, db->put_words * sizeof *bits);
        db->put_bits = bits;
        db->put_words = words;
    }
    db->put_bits[w] |= 1ull << (id % 64);
}

// ---- merging a grown chat --------------------------------------------------------------------
//
// A chat stored again with more messages (a Claude Code or Codex session that grew, a vendor
// chat that went on) used to lose all its rows and index entries and have them written again:
// for a long session that grew by two lines, nearly all the work of the first import. Instead
// the stored messages are compared, in ordinal order, with the incoming ones: the longest run
// from ordinal 0 that is equal in every stored column (text, parts, place in the tree) stays
// as it is, only the rows after it are deleted (with their index entries) and the incoming
// messages from there on written. Ordinals are positions in the stored order (the visible
// thread first, then hidden messages and other branches): a session that grew on its thread
// keeps its thread and rewrites only what followed the old thread's end (its hidden or
// off-thread messages, usually a handful). The result is row for row what a replace writes,
// except for the ids of the kept rows. Not merged (replaced as before): a chat whose stored
// rows have sliced texts (longer than CHAT_DB_SLICE_BYTES: comparing them would read the
// slices back; rare) and a chat of which no leading message survived (keep == 0).

static bool merge_eq(AkStr a, AkStr b) { return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0); }

static bool merge_time_eq(double stored, double t) {
    bool unknown = t == CHAT_TIME_UNKNOWN || t != t;
    return unknown ? stored == CHAT_TIME_UNKNOWN : stored == t;
}

// *keep: how many leading stored messages equal c's (0: replace the chat as a whole).
static bool merge_prefix(ChatDb *db, int64_t id, const ChatConv *c, uint32_t *keep, ChatError *err) {
    *keep = 0;
    if (!c->msg_count) return true;
    bool slices = slices_present(db, err);
    if (!slices && db->slices != 2) return false;
    // The readers' own statements (MSG_COLS; ST_PART_EACH's columns, its ordinal last).
    sqlite3_stmt *ms = stmt_get(db, ST_MSG_EACH, err), *ps = ms ? stmt_get(db, ST_PART_EACH, err) : NULL;
    if (!ps) return false;
    bool ok = true;
    if (slices) { // any sliced text in this chat: no merge
        sqlite3_stmt *q = stmt_get(db, ST_MERGE_HAS_SLICES, err);
        if (!q) return false;
        sqlite3_bind_int64(q, 1, id);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return rc == SQLITE_ROW ? true : db_fail(db, err, "looking for slices of a chat");
    }
    sqlite3_bind_int64(ms, 1, id);
    sqlite3_bind_int64(ps, 1, id);
    int prc = sqlite3_step(ps); // the parts walk runs beside the messages walk
    uint32_t n = 0;
    int rc;
    while ((rc = sqlite3_step(ms)) == SQLITE_ROW && n < c->msg_count) {
        const ChatMsg *m = &c->msgs[n];
        if (sqlite3_column_int64(ms, 0) != n || !merge_eq(col_str(ms, 1), m->uuid) ||
            !merge_eq(col_str(ms, 2), m->parent_uuid) ||
            !merge_eq(col_str(ms, 3), ak_str_cstr(chat_role_name(m->role))) || !merge_eq(col_str(ms, 4), m->author) ||
            !merge_time_eq(col_time(ms, 5), m->created) || !merge_eq(col_str(ms, 6), m->text) ||
            sqlite3_column_int(ms, 7) != (int)m->visible || sqlite3_column_int(ms, 8) != (int)m->hidden ||
            sqlite3_column_int64(ms, 9) != m->sibling_index || sqlite3_column_int64(ms, 10) != m->sibling_count ||
            sqlite3_column_int64(ms, 11) != m->part_count || m->text.len > CHAT_DB_SLICE_BYTES)
            break;
        bool same = true;
        for (uint32_t j = 0; j < m->part_count && same; j++) {
            const ChatPart *p = &m->parts[j];
            if (prc != SQLITE_ROW || sqlite3_column_int64(ps, 0) != n || sqlite3_column_int64(ps, 8) != j) {
                same = false;
                break;
            }
            AkStr text = col_str(ps, 3);
            if (sqlite3_column_type(ps, 3) == SQLITE_NULL) { // a range of the message's text
                int64_t at = sqlite3_column_int64(ps, 4), len = sqlite3_column_int64(ps, 5);
                text = at >= 0 && len >= 0 && (uint64_t)(at + len) <= m->text.len ? ak_str(m->text.ptr + at, (uint64_t)len)
                                                                                  : ak_str("\x01", 1); // never equal
            }
            same = merge_eq(col_str(ps, 1), ak_str_cstr(chat_part_kind_name(p->kind))) && merge_eq(col_str(ps, 2), p->name) &&
                   merge_eq(text, p->text) && sqlite3_column_int(ps, 6) == (int)p->is_error &&
                   p->text.len <= CHAT_DB_SLICE_BYTES;
            prc = sqlite3_step(ps);
        }
        if (!same) break;
        n++;
    }
    if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || (prc != SQLITE_ROW && prc != SQLITE_DONE))
        ok = db_fail(db, err, "reading a chat to merge");
    else
        *keep = n;
    sqlite3_reset(ms);
    sqlite3_reset(ps);
    return ok;
}

// Deletes the stored messages of chat `id` from ordinal `keep` on, their parts and their index
// entries (rows at or above the *_indexed marks were never indexed), and the title's entry.
static bool merge_cut(ChatDb *db, int64_t id, uint32_t keep, ChatError *err) {
    struct { int st; int64_t below; } steps[] = {
        {ST_MERGE_CUT_PART_FTS, db->part_indexed}, {ST_MERGE_CUT_MSG_FTS, db->msg_indexed},
        {ST_TITLE_FTS_DELETE, 0}, {ST_MERGE_CUT_PARTS, 0}, {ST_MERGE_CUT_MSGS, 0},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(steps); i++) {
        sqlite3_stmt *d = stmt_get(db, steps[i].st, err);
        if (!d) return false;
        sqlite3_bind_int64(d, 1, id);
        if (sqlite3_bind_parameter_count(d) >= 3) {
            sqlite3_bind_int64(d, 2, steps[i].below);
            sqlite3_bind_int64(d, 3, keep);
        }
        if (!step_write(db, d, err, "merging chat %lld", (long long)id)) return false;
    }
    return true;
}

uint64_t chat_db_merged_messages(const ChatDb *db) { return db->merged_msgs; }


static bool put_body(ChatDb *db, const ChatConv *c, uint64_t hash, ChatPutResult *res, ChatError *err) {
    int u = (int)AK_MIN(c->uuid.len, 100);
    sqlite3_stmt *s = stmt_get(db, ST_CHAT_LOOKUP, err);
    if (!s) return false;
    bind_str(s, 1, c->uuid);
    sqlite3_bind_text(s, 2, chat_source_name(c->source), -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    uint64_t old_hash = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 1) : 0;
    double old_updated = rc == SQLITE_ROW ? col_time(s, 2) : CHAT_TIME_UNKNOWN;
    uint32_t old_count = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(s, 3) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(db, err, "looking up a conversation");
    bool dup = id && put_seen(db, id);
    if (id && old_hash == hash) {
        *res = (ChatPutResult){CHAT_PUT_UNCHANGED, id, dup};
        return true;
    }
    if (id && conv_is_older(c, old_updated, old_count)) {
        *res = (ChatPutResult){CHAT_PUT_KEPT_NEWER, id, dup};
        return true;
    }
    // A grown chat keeps the messages it had stored (see "Merging"): only its tail is rewritten.
    uint32_t keep = 0;
    if (id && !merge_prefix(db, id, c, &keep, err)) return false;
    if (keep) {
        if (!merge_cut(db, id, keep, err)) return false;
    } else if (id) {
        // Out of the indexes while the old rows still hold the indexed values (only rows below
        // the *_indexed marks were indexed), then the rows themselves.
        bool slices = slices_present(db, err);
        if (!slices && db->slices != 2) return false;
        const struct { int stmt; int64_t below; } steps[] = {
            {ST_PART_FTS_DELETE, db->part_indexed}, {ST_MSG_FTS_DELETE, db->msg_indexed},
            {ST_SLICE_FTS_DELETE, db->next_slice ? db->slice_indexed : INT64_MAX}, {ST_TITLE_FTS_DELETE, 0},
            {ST_PART_DELETE, 0}, {ST_SLICE_DELETE, 0}, {ST_MSG_DELETE, 0},
        };
        for (size_t i = 0; i < AK_ARRAY_COUNT(steps); i++) {
            if (!slices && (steps[i].stmt == ST_SLICE_FTS_DELETE || steps[i].stmt == ST_SLICE_DELETE)) continue;
            sqlite3_stmt *d = stmt_get(db, steps[i].stmt, err);
            if (!d) return false;
            sqlite3_bind_int64(d, 1, id);
            if (steps[i].below) sqlite3_bind_int64(d, 2, steps[i].below);
            if (!step_write(db, d, err, "replacing conversation %.*s", u, c->uuid.ptr)) return false;
        }
    }
    if (!(s = stmt_get(db, id ? ST_CHAT_UPDATE : ST_CHAT_INSERT, err))) return false;
    if (id) sqlite3_bind_int64(s, 1, id);
    bind_chat(s, c, hash);
    if (!step_write(db, s, err, "storing conversation %.*s", u, c->uuid.ptr)) return false;
    *res = (ChatPutResult){id ? CHAT_PUT_UPDATED : CHAT_PUT_ADDED, id ? id : sqlite3_last_insert_rowid(db->sql), dup};
    put_mark(db, res->chat_id);
    if (!(s = stmt_get(db, ST_TITLE_FTS_INSERT, err))) return false;
    sqlite3_bind_int64(s, 1, res->chat_id);
    bind_str(s, 2, c->title);
    if (!step_write(db, s, err, "indexing the title of conversation %.*s", u, c->uuid.ptr)) return false;
    if (keep) db->merged_msgs += keep;
    return put_messages(db, res->chat_id, c, keep, err);
}

bool chat_db_put(ChatDb *db, const ChatConv *conv, ChatPutResult *res, ChatError *err) {
    AK_ASSERT(db && conv && res, "chat_db_put: NULL argument");
    AK_ASSERT(conv->msg_count == 0 || conv->msgs, "chat_db_put: %u messages but no array", conv->msg_count);
    if (conv->uuid.len == 0)
        return chat_fail(err, "%s: the conversation at byte %llu has no uuid", db->path,
                         (unsigned long long)conv->byte_offset);
    if (!chat_source_info(conv->source))
        return chat_fail(err, "%s: conversation %.*s has no known source (%d)", db->path,
                         (int)AK_MIN(conv->uuid.len, 100), conv->uuid.ptr, (int)conv->source);
    if (db->tx_failed)
        return chat_fail(err, "%s: a conversation failed to store earlier in this transaction; roll it back",
                         db->path);
    // No savepoint per put (FTS5 would write its index at each one): a failure leaves this
    // conversation half-written inside the transaction, which then can only be rolled back.
    bool own = !db->in_tx;
    if (own && !chat_db_begin(db, err)) return false;
    bool ok = put_body(db, conv, conv_hash(conv), res, err);
    if (ok && db->unindexed_bytes >= db->index_batch) ok = index_pending(db, err);
    if (!ok) {
        if (own) chat_db_rollback(db);
        else db->tx_failed = true;
        return false;
    }
    return own ? chat_db_commit(db, err) : true;
}

// ---- reading chats --------------------------------------------------------------------------

// A stored source word back to its value; a word no row has (a newer writer's) is 0, unknown.
static ChatSource source_read(const unsigned char *word) {
    const ChatSourceInfo *row = word ? chat_source_by_name((const char *)word) : NULL;
    return row ? row->id : (ChatSource)0;
}

static ChatRow row_read(sqlite3_stmt *s) {
    return (ChatRow){
        .id = sqlite3_column_int64(s, 0),
        .source = source_read(sqlite3_column_text(s, 1)),
        .uuid = col_str(s, 2),
        .title = col_str(s, 3),
        .model = col_str(s, 4),
        .created = col_time(s, 5),
        .updated = col_time(s, 6),
        .message_count = (uint32_t)sqlite3_column_int64(s, 7),
        .visible_count = (uint32_t)sqlite3_column_int64(s, 8),
        .part_count = (uint32_t)sqlite3_column_int64(s, 9),
        .bytes = (uint64_t)sqlite3_column_int64(s, 10),
        .content_hash = (uint64_t)sqlite3_column_int64(s, 11),
    };
}

static ChatRow row_copy(AkArena *arena, ChatRow r) {
    r.uuid = str_copy(arena, r.uuid);
    r.title = str_copy(arena, r.title);
    r.model = str_copy(arena, r.model);
    return r;
}

bool chat_db_each_chat(ChatDb *db, ChatRowFn *fn, void *user, ChatError *err) {
    sqlite3_stmt *s = stmt_get(db, ST_CHAT_EACH, err);
    if (!s) return false;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ChatRow row = row_read(s);
        if (!fn(&row, user)) { rc = SQLITE_DONE; break; }
    }
    bool ok = rc == SQLITE_DONE ? true : db_fail(db, err, "listing chats");
    sqlite3_reset(s);
    return ok;
}

bool chat_db_get_chat(ChatDb *db, AkArena *arena, int64_t id, ChatRow *out, ChatError *err) {
    sqlite3_stmt *s = stmt_get(db, ST_CHAT_BY_ID, err);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) *out = row_copy(arena, row_read(s));
    bool ok = rc == SQLITE_ROW ? true
            : rc == SQLITE_DONE ? chat_fail(err, "%s: no chat with id %lld", db->path, (long long)id)
                                : db_fail(db, err, "reading a chat");
    sqlite3_reset(s);
    return ok;
}

bool chat_db_find_chat(ChatDb *db, AkArena *arena, AkStr key, ChatRow *out, ChatError *err) {
    if (key.len == 0) return chat_fail(err, "%s: an empty chat id or uuid", db->path);
    bool digits = key.len <= 18;
    for (uint64_t i = 0; i < key.len && digits; i++) digits = key.ptr[i] >= '0' && key.ptr[i] <= '9';
    if (digits) {
        int64_t id = 0;
        for (uint64_t i = 0; i < key.len; i++) id = id * 10 + (key.ptr[i] - '0');
        return chat_db_get_chat(db, arena, id, out, err);
    }
    sqlite3_stmt *s = stmt_get(db, ST_CHAT_BY_UUID, err);
    if (!s) return false;
    AkTemp t = ak_temp_begin(db->arena);
    char *upper = ak_arena_push_nz(db->arena, key.len + 1, 1);
    if (!upper) { ak_temp_end(t); return chat_fail(err, "%s: no memory for a %llu-byte key", db->path, (unsigned long long)key.len); }
    memcpy(upper, key.ptr, key.len);
    upper[key.len] = (char)0xFF;
    bind_str(s, 1, key);
    sqlite3_bind_text64(s, 2, upper, key.len + 1, SQLITE_STATIC, SQLITE_UTF8);
    // Rows come in uuid order, so an exact match (the shortest string with the prefix) is first.
    ChatRow rows[3];
    int n = 0, rc = SQLITE_DONE;
    while (n < 3 && (rc = sqlite3_step(s)) == SQLITE_ROW) rows[n++] = row_copy(arena, row_read(s));
    bool failed = n < 3 && rc != SQLITE_DONE;
    sqlite3_reset(s);
    ak_temp_end(t);
    if (failed) return db_fail(db, err, "finding a chat");
    if (n == 0) return chat_fail(err, "%s: no chat has the id or uuid '%.*s'", db->path, AK_STR_FMT(key));
    bool exact = ak_str_eq(rows[0].uuid, key);
    if (n == 1 || (exact && !ak_str_eq(rows[1].uuid, key))) { *out = rows[0]; return true; }
    return chat_fail(err, "%s: '%.*s' matches several chats (%.*s, %.*s%s); give more of the uuid", db->path,
                     AK_STR_FMT(key), AK_STR_FMT(rows[0].uuid), AK_STR_FMT(rows[1].uuid), n > 2 ? ", ..." : "");
}

// ---- reading messages ---------------------------------------------------------------------------

bool chat_db_each_message(ChatDb *db, int64_t chat_id, bool visible_only, ChatMsgFn *fn, void *user,
                          ChatError *err) {
    sqlite3_stmt *ms = stmt_get(db, visible_only ? ST_MSG_EACH_VISIBLE : ST_MSG_EACH, err);
    sqlite3_stmt *ps = ms ? stmt_get(db, ST_PART_EACH, err) : NULL;
    bool opened;
    if (!ps || !read_begin(db, &opened, err)) return false;
    sqlite3_bind_int64(ms, 1, chat_id);
    sqlite3_bind_int64(ps, 1, chat_id);
    // Both cursors walk in ordinal order inside one read transaction, so the parts of message k
    // are the run of part rows with msg_ordinal k.
    int mrc, prc = SQLITE_DONE;
    bool ok = true, stop = false, parts_started = false;
    char what[120];
    while ((mrc = sqlite3_step(ms)) == SQLITE_ROW) {
        if (!parts_started) { prc = sqlite3_step(ps); parts_started = true; }
        int64_t ordinal = sqlite3_column_int64(ms, 0);
        ChatMsg m = {
            .uuid = col_str(ms, 1),
            .parent_uuid = col_str(ms, 2),
            .role = (ChatRole)name_lookup(role_names, (int)AK_ARRAY_COUNT(role_names), sqlite3_column_text(ms, 3),
                                          CHAT_ROLE_OTHER),
            .author = col_str(ms, 4),
            .created = col_time(ms, 5),
            .text = col_str(ms, 6),
            .visible = sqlite3_column_int(ms, 7) != 0,
            .hidden = sqlite3_column_int(ms, 8) != 0,
            .sibling_index = (uint32_t)sqlite3_column_int64(ms, 9),
            .sibling_count = (uint32_t)sqlite3_column_int64(ms, 10),
        };
        uint32_t want = (uint32_t)sqlite3_column_int64(ms, 11);
        while (prc == SQLITE_ROW && sqlite3_column_int64(ps, 0) < ordinal) prc = sqlite3_step(ps);
        AkTemp t = ak_temp_begin(db->arena);
        // An empty text may be a message stored in slices: put it back together.
        if (m.text.len == 0) ok = slices_read(db, db->arena, sqlite3_column_int64(ms, 12), &m.text, err);
        m.parts = ok && want ? ak_push_array(db->arena, ChatPart, want) : NULL;
        if (ok && want && !m.parts)
            ok = chat_fail(err, "%s: no memory for %u parts: %s", db->path, want, ak_arena_error(db->arena));
        for (; ok && prc == SQLITE_ROW && sqlite3_column_int64(ps, 0) == ordinal; prc = sqlite3_step(ps)) {
            if (m.part_count == want) continue; // more rows than counted: ignore the surplus
            ChatPart *p = &m.parts[m.part_count++];
            p->kind = (ChatPartKind)name_lookup(kind_names, (int)AK_ARRAY_COUNT(kind_names),
                                                sqlite3_column_text(ps, 1), CHAT_PART_UNKNOWN);
            p->name = str_copy(db->arena, col_str(ps, 2));
            p->is_error = sqlite3_column_int(ps, 6) != 0;
            if (sqlite3_column_type(ps, 3) != SQLITE_NULL) {
                p->text = str_copy(db->arena, col_str(ps, 3));
                if (p->text.len == 0) ok = slices_read(db, db->arena, -sqlite3_column_int64(ps, 7), &p->text, err);
                continue;
            }
            // A byte range of the message's text, which stays valid during the callback.
            int64_t at = sqlite3_column_int64(ps, 4), len = sqlite3_column_int64(ps, 5);
            if (at < 0 || len < 0 || (uint64_t)at + (uint64_t)len > m.text.len)
                ok = chat_fail(err, "%s: chat %lld message %lld: a part points outside the text (damaged database?)",
                               db->path, (long long)chat_id, (long long)ordinal);
            else
                p->text = ak_str(m.text.ptr + at, (uint64_t)len);
        }
        if (ok && prc != SQLITE_ROW && prc != SQLITE_DONE) {
            snprintf(what, sizeof what, "reading the parts of chat %lld", (long long)chat_id);
            ok = db_fail(db, err, what);
        }
        if (ok) stop = !fn(&m, (uint32_t)ordinal, user);
        ak_temp_end(t);
        if (!ok || stop) break;
    }
    if (ok && !stop && mrc != SQLITE_DONE) {
        snprintf(what, sizeof what, "reading the messages of chat %lld", (long long)chat_id);
        ok = db_fail(db, err, what);
    }
    sqlite3_reset(ms);
    sqlite3_reset(ps);
    read_end(db, opened);
    return ok;
}

// ---- search ---------------------------------------------------------------------------------------

// True if the term holds something the tokenizer keeps (a letter, digit or non-ASCII byte);
// a term of punctuation alone would be an empty phrase.
static bool term_has_word(const char *p, const char *end) {
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
    }
    return false;
}

// One term of a query, as match_expr reads it.
typedef struct ChatTerm {
    const char *start, *end; // the text, without quotes or the trailing *
    bool prefix;             // word* or "a phrase"*
    bool exclude;            // -word or NOT word (operators only)
    bool or_prev;            // joined to the term before by OR (operators only)
} ChatTerm;

static void emit_term(char **o, const ChatTerm *t) {
    char *w = *o;
    *w++ = '"';
    for (const char *c = t->start; c < t->end; c++) {
        if (*c == '"') *w++ = '"';
        *w++ = *c;
    }
    *w++ = '"';
    if (t->prefix) *w++ = '*';
    *o = w;
}

static void emit_str(char **o, const char *s) {
    size_t n = strlen(s);
    memcpy(*o, s, n);
    *o += n;
}

// Turns what a person typed into an FTS5 expression in which every term is a quoted string
// (so punctuation is just text): `a "b c" d*` -> `"a" "b c" "d"*`. Without operators, AND,
// OR, NOT and - are words like any other. With them (ChatSearchOpts.operators) OR between
// two terms means either, binding tighter than the implicit AND (`a b OR c` is a and (b or
// c)), and -word or NOT word excludes: `a b OR c -d` -> `(("a") AND ("b" OR "c")) NOT "d"`.
// `out` holds at least 12 * strlen(q) + 16 bytes. Returns the number of terms; -1 past
// CHAT_SEARCH_MAX_TERMS, -2 when every term is excluded.
static int match_expr(const char *q, bool operators, char *out) {
    ChatTerm t[CHAT_SEARCH_MAX_TERMS];
    int n = 0, positives = 0;
    bool want_or = false, want_not = false;
    const char *p = q;
    for (;;) {
        while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
        if (!*p) break;
        ChatTerm term = {0};
        bool quoted = *p == '"';
        if (quoted) {
            term.start = ++p;
            while (*p && *p != '"') p++;
            term.end = p;
            if (*p == '"') p++;
            for (; *p == '*'; p++) term.prefix = true;
        } else {
            term.start = p;
            while (*p && *p != '"' && *p != ' ' && !(*p >= '\t' && *p <= '\r')) p++;
            term.end = p;
            for (; term.end > term.start && term.end[-1] == '*'; term.end--) term.prefix = true;
        }
        if (operators && !quoted) {
            size_t len = (size_t)(term.end - term.start);
            if (!term.prefix && len == 2 && !memcmp(term.start, "OR", 2)) { want_or = n > 0; continue; }
            if (!term.prefix && len == 3 && !memcmp(term.start, "NOT", 3)) { want_not = true; continue; }
            if (len > 1 && term.start[0] == '-') term.exclude = true, term.start++;
        }
        if (!term_has_word(term.start, term.end)) continue;
        if (n == CHAT_SEARCH_MAX_TERMS) return -1;
        term.exclude = term.exclude || want_not;
        term.or_prev = want_or && !term.exclude && positives > 0;
        want_or = want_not = false;
        positives += !term.exclude;
        t[n++] = term;
    }
    char *o = out;
    if (!operators) {
        for (int i = 0; i < n; i++) {
            if (i) *o++ = ' ';
            emit_term(&o, &t[i]);
        }
    } else if (n) {
        if (!positives) return -2;
        // ((a) AND (b OR c)) NOT d NOT e: FTS5's NOT binds tighter than AND, AND than OR, so
        // every group is in parentheses (and FTS5 wants the AND between them spelled out).
        emit_str(&o, "(");
        bool first = true;
        for (int i = 0; i < n; i++) {
            if (t[i].exclude) continue;
            emit_str(&o, first ? "(" : t[i].or_prev ? " OR " : ") AND (");
            emit_term(&o, &t[i]);
            first = false;
        }
        emit_str(&o, "))");
        for (int i = 0; i < n; i++) {
            if (!t[i].exclude) continue;
            emit_str(&o, " NOT ");
            emit_term(&o, &t[i]);
        }
    }
    *o = 0;
    return n;
}

// What step 1 keeps per hit; step 2 turns it into a ChatHit.
typedef struct ChatHitRef {
    int kind; // 0 title, 1 message, 2 part: the order of ChatHitKind; 3, 4 a slice of a message, a part
    int64_t rowid;
    double score;
    int64_t msg; // kinds 3 and 4: the sliced text (text_slices.doc)
} ChatHitRef;

// Fills an off-thread hit's branch_index and branch_count (ST_BRANCH_OF).
static bool branch_of(ChatDb *db, ChatHit *h, ChatError *err) {
    sqlite3_stmt *s = stmt_get(db, ST_BRANCH_OF, err);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, h->chat_id);
    sqlite3_bind_int(s, 2, h->ordinal);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_int(s, 1) > 1) {
        h->branch_index = (uint32_t)sqlite3_column_int(s, 0);
        h->branch_count = (uint32_t)sqlite3_column_int(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_fail(db, err, "finding a hit's branch");
}

static bool hit_fill(ChatDb *db, AkArena *arena, const char *expr, const ChatSearchOpts *o, const ChatHitRef *r,
                     ChatHit *h, ChatError *err) {
    static const int stmt_for[] = {ST_SNIP_TITLE, ST_SNIP_MSG, ST_SNIP_PART, ST_SNIP_SLICE, ST_SNIP_PART_SLICE};
    static const ChatHitKind kind_for[] = {CHAT_HIT_TITLE, CHAT_HIT_MESSAGE, CHAT_HIT_PART, CHAT_HIT_MESSAGE, CHAT_HIT_PART};
    *h = (ChatHit){.kind = kind_for[r->kind], .ordinal = -1, .part = -1, .score = r->score,
                   .role = CHAT_ROLE_OTHER, .part_kind = CHAT_PART_TEXT};
    sqlite3_stmt *s = stmt_get(db, stmt_for[r->kind], err);
    if (!s) return false;
    sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->mark_open, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, o->mark_close, -1, SQLITE_STATIC);
    if (r->kind != 0) {
        sqlite3_bind_text(s, 4, o->ellipsis, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 5, (int)o->snippet_tokens);
    }
    sqlite3_bind_int64(s, 6, r->rowid);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        h->snippet = str_copy(arena, col_str(s, 0));
        h->chat_id = sqlite3_column_int64(s, 1);
        if (r->kind != 0) {
            h->ordinal = sqlite3_column_int(s, 2);
            h->created = col_time(s, 3);
            h->role = (ChatRole)name_lookup(role_names, (int)AK_ARRAY_COUNT(role_names), sqlite3_column_text(s, 4),
                                            CHAT_ROLE_OTHER);
        }
        if (r->kind != 0) {
            h->off_thread = !sqlite3_column_int(s, 8) && !sqlite3_column_int(s, 9);
            h->hidden = sqlite3_column_int(s, 9) != 0;
        }
        if (h->kind == CHAT_HIT_PART) {
            h->part = sqlite3_column_int(s, 5);
            h->part_kind = (ChatPartKind)name_lookup(kind_names, (int)AK_ARRAY_COUNT(kind_names),
                                                     sqlite3_column_text(s, 6), CHAT_PART_UNKNOWN);
            h->part_name = str_copy(arena, col_str(s, 7));
        }
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) // the row matched in step 1 of the same read transaction
        return rc == SQLITE_DONE ? chat_fail(err, "%s: a search hit vanished (damaged index?)", db->path)
                                 : db_fail(db, err, "making a search snippet");
    if (h->off_thread && !branch_of(db, h, err)) return false;
    ChatRow row;
    if (!chat_db_get_chat(db, arena, h->chat_id, &row, err)) return false;
    h->source = row.source, h->chat_uuid = row.uuid, h->title = row.title;
    if (r->kind == 0) h->created = row.created;
    return true;
}

bool chat_db_search(ChatDb *db, AkArena *arena, const char *query, const ChatSearchOpts *opts, ChatHit **hits,
                    uint32_t *count, ChatError *err) {
    AK_ASSERT(db && arena && query && hits && count, "chat_db_search: NULL argument");
    ChatSearchOpts o = opts ? *opts : (ChatSearchOpts){0};
    if (o.limit == 0) o.limit = 20;
    if (o.limit > 100000) o.limit = 100000;
    if (!o.mark_open) o.mark_open = "[";
    if (!o.mark_close) o.mark_close = "]";
    if (!o.ellipsis) o.ellipsis = "...";
    if (o.snippet_tokens == 0) o.snippet_tokens = 12;
    if (o.snippet_tokens > 64) o.snippet_tokens = 64;
    *hits = NULL;
    *count = 0;

    AkTemp t = ak_temp_begin(db->arena);
    size_t qlen = strlen(query);
    char *expr = ak_arena_push_nz(db->arena, 12 * (uint64_t)qlen + 16, 1);
    ChatHitRef *refs = expr ? ak_push_array_nz(db->arena, ChatHitRef, o.limit) : NULL;
    if (!refs) {
        ak_temp_end(t);
        return chat_fail(err, "%s: no memory for a search of %zu bytes", db->path, qlen);
    }
    int terms = match_expr(query, o.operators, expr);
    if (terms <= 0) {
        ak_temp_end(t);
        if (terms == 0) return true;
        if (terms == -2)
            return chat_fail(err, "every word of the search is excluded (-word, NOT word): give one to look for too");
        return chat_fail(err, "%s: the search has more than %d words; use fewer", db->path, CHAT_SEARCH_MAX_TERMS);
    }
    bool opened;
    bool filtered = o.source || o.since > 0 || o.until > 0 || o.visible_only;
    sqlite3_stmt *s = NULL;
    if (read_begin(db, &opened, err)) {
        bool slices = slices_present(db, err);
        if (slices || db->slices == 2)
            s = stmt_get(db, filtered ? (slices ? ST_SEARCH_FILTERED_SLICES : ST_SEARCH_FILTERED)
                                      : (slices ? ST_SEARCH_TOP_SLICES : ST_SEARCH_TOP), err);
    }
    if (!s) { read_end(db, opened); ak_temp_end(t); return false; }
    sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, o.limit);
    if (filtered) {
        sqlite3_bind_text(s, 2, o.source ? chat_source_name(o.source) : "", -1, SQLITE_STATIC);
        if (o.since > 0) sqlite3_bind_double(s, 3, o.since); else sqlite3_bind_null(s, 3);
        if (o.until > 0) sqlite3_bind_double(s, 4, o.until); else sqlite3_bind_null(s, 4);
        sqlite3_bind_int(s, 5, o.visible_only);
    }
    uint32_t n = 0;
    int rc = SQLITE_DONE;
    while (n < o.limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        if (kind < 0 || kind > 4) continue;
        // The slices of one text are one hit, the best slice's (rows come best first).
        int64_t msg = sqlite3_column_int64(s, 3);
        bool seen = false;
        for (uint32_t k = 0; kind >= 3 && k < n && !seen; k++)
            seen = refs[k].kind >= 3 && refs[k].msg == msg;
        if (seen) continue;
        refs[n++] = (ChatHitRef){kind, sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2), msg};
    }
    bool ok = n == o.limit || rc == SQLITE_DONE ? true : db_fail(db, err, "searching");
    sqlite3_reset(s);
    ChatHit *out = ok && n ? ak_push_array(arena, ChatHit, n) : NULL;
    if (ok && n && !out) ok = chat_fail(err, "%s: no memory for %u search hits", db->path, n);
    for (uint32_t i = 0; ok && i < n; i++) ok = hit_fill(db, arena, expr, &o, &refs[i], &out[i], err);
    read_end(db, opened);
    ak_temp_end(t);
    if (!ok) return false;
    *hits = out;
    *count = n;
    return true;
}

// ---- maintenance ---------------------------------------------------------------------------------

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

bool chat_db_stats(ChatDb *db, ChatDbStats *out, ChatError *err) {
    *out = (ChatDbStats){.schema_version = CHAT_DB_SCHEMA_VERSION};
    sqlite3_stmt *s = stmt_get(db, ST_COUNTS, err);
    if (!s) return false;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->chats = (uint64_t)sqlite3_column_int64(s, 0);
        out->messages = (uint64_t)sqlite3_column_int64(s, 1);
        out->parts = (uint64_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW) return db_fail(db, err, "counting chats");
    int64_t v;
    if (!pragma_int(db, "PRAGMA page_size", &v, err)) return false;
    out->page_size = (uint64_t)v;
    if (!pragma_int(db, "PRAGMA page_count", &v, err)) return false;
    out->page_count = (uint64_t)v;
    if (!pragma_int(db, "PRAGMA freelist_count", &v, err)) return false;
    out->free_pages = (uint64_t)v;
    AkTemp t = ak_temp_begin(db->arena);
    size_t len = strlen(db->path);
    char *wal = ak_arena_push_nz(db->arena, len + 5, 1);
    out->file_bytes = file_size(db->path);
    if (wal) {
        memcpy(wal, db->path, len);
        memcpy(wal + len, "-wal", 5);
        out->wal_bytes = file_size(wal);
    }
    ak_temp_end(t);
    return true;
}

// ---- check ---------------------------------------------------------------------------------------

typedef struct CheckRun {
    ChatDb *db;
    ChatFindingFn *fn;
    void *user;
    uint32_t findings;
    ChatError *err;
} CheckRun;

static void finding(CheckRun *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void finding(CheckRun *r, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->findings++;
    if (r->fn) r->fn(text, r->user);
}

// Runs `sql`, one finding per row made by `fmt` from up to four integer columns (or the
// first column's text for pragma checks: fmt NULL); at most CHAT_CHECK_MAX_ROWS rows each.
// False (err set) only when the statement cannot run; SQLite reporting corruption while
// running it is a finding.
static bool check_rows(CheckRun *r, const char *sql, const char *fmt) {
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(r->db->sql, sql, -1, &s, NULL);
    uint32_t rows = 0;
    if (rc != SQLITE_OK) return db_fail(r->db, r->err, "checking");
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (!fmt) {
            const char *t = (const char *)sqlite3_column_text(s, 0);
            if (t && strcmp(t, "ok") == 0) continue;
            finding(r, "%s", t ? t : "(no text)");
        } else {
            long long v[4] = {0};
            for (int i = 0; i < 4 && i < sqlite3_column_count(s); i++) v[i] = sqlite3_column_int64(s, i);
            finding(r, fmt, v[0], v[1], v[2], v[3]);
        }
        if (++rows == CHAT_CHECK_MAX_ROWS) {
            rc = SQLITE_DONE;
            if (r->fn) r->fn("(and maybe more like it)", r->user); // not a finding of its own
            break;
        }
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE) return true;
    int base = rc & 0xff;
    if (base == SQLITE_CORRUPT || base == SQLITE_NOTADB || base == SQLITE_IOERR) {
        finding(r, "SQLite cannot read it: %s", sqlite3_errmsg(r->db->sql));
        return true;
    }
    return db_fail(r->db, r->err, "checking");
}

// The store's own rules, which SQLite cannot know: counts kept on chats and messages match
// the rows, ordinals run 0..n-1, a part that is a range of its message's text lies inside it.
static const struct { const char *sql, *fmt; } invariants[] = {
    {"SELECT c.id, c.message_count, count(m.id) FROM chats c LEFT JOIN messages m ON m.chat_id = c.id"
     " GROUP BY c.id HAVING count(m.id) != c.message_count",
     "chat %lld: message_count says %lld, %lld messages stored"},
    {"SELECT c.id, c.visible_count, count(m.id) FROM chats c LEFT JOIN messages m ON m.chat_id = c.id AND m.visible"
     " GROUP BY c.id HAVING count(m.id) != c.visible_count",
     "chat %lld: visible_count says %lld, %lld visible messages stored"},
    {"SELECT c.id, c.part_count, count(p.id) FROM chats c LEFT JOIN parts p ON p.chat_id = c.id"
     " GROUP BY c.id HAVING count(p.id) != c.part_count",
     "chat %lld: part_count says %lld, %lld parts stored"},
    {"SELECT chat_id, count(*), min(ordinal), max(ordinal) FROM messages GROUP BY chat_id"
     " HAVING min(ordinal) != 0 OR max(ordinal) != count(*) - 1",
     "chat %lld: %lld messages, but their ordinals run %lld..%lld (not 0..n-1)"},
    {"SELECT m.chat_id, m.ordinal, m.part_count, count(p.id) FROM messages m"
     " LEFT JOIN parts p ON p.chat_id = m.chat_id AND p.msg_ordinal = m.ordinal"
     " GROUP BY m.id HAVING count(p.id) != m.part_count",
     "chat %lld message %lld: part_count says %lld, %lld parts stored"},
    {"SELECT chat_id, msg_ordinal, min(ordinal), max(ordinal) FROM parts GROUP BY chat_id, msg_ordinal"
     " HAVING min(ordinal) != 0 OR max(ordinal) != count(*) - 1",
     "chat %lld message %lld: part ordinals run %lld..%lld (not 0..n-1)"},
    {"SELECT p.chat_id, p.msg_ordinal, p.ordinal FROM parts p LEFT JOIN messages m"
     " ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal WHERE m.id IS NULL",
     "chat %lld message %lld part %lld: no such message"},
    {"SELECT m.chat_id, m.ordinal FROM messages m LEFT JOIN chats c ON c.id = m.chat_id WHERE c.id IS NULL",
     "chat %lld message %lld: no such chat"},
    {NULL, // TEXT_RANGE_SQL, or with slices TEXT_RANGE_SLICED_SQL
     "chat %lld message %lld part %lld: its text range (from byte %lld) lies outside the message text"},
};

#define TEXT_RANGE_SQL(message_bytes) \
    "SELECT p.chat_id, p.msg_ordinal, p.ordinal, coalesce(p.text_at, -1) FROM parts p JOIN messages m" \
    " ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal WHERE p.text IS NULL AND (p.text_at IS NULL" \
    " OR p.text_len IS NULL OR p.text_at < 0 OR p.text_len < 0" \
    " OR p.text_at + p.text_len > " message_bytes ")"
// A sliced message's text is its slices (see "Slices").
#define SLICED_BYTES "(CASE WHEN m.text = '' THEN (SELECT coalesce(sum(s.len), 0) FROM text_slices s" \
                     " WHERE s.doc = m.id) ELSE length(CAST(m.text AS BLOB)) END)"

// Only when the database has slices.
static const struct { const char *sql, *fmt; } slice_invariants[] = {
    {"SELECT doc, seq, len FROM text_slices WHERE len != length(CAST(text AS BLOB))",
     "text %lld: slice %lld says %lld bytes, holds another number"},
    {"SELECT s.doc, s.seq FROM text_slices s LEFT JOIN messages m ON m.id = s.doc LEFT JOIN parts p ON p.id = -s.doc"
     " WHERE m.id IS NULL AND p.id IS NULL",
     "text %lld: slice %lld belongs to no message or part"},
};

bool chat_db_check_run(ChatDb *db, bool full, ChatFindingFn *fn, void *user, uint32_t *findings, ChatError *err) {
    CheckRun r = {db, fn, user, 0, err};
    *findings = 0;
    bool opened;
    if (!read_begin(db, &opened, err)) return false;
    bool ok = check_rows(&r, full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)", NULL);
    // The store's rules and the FTS indexes read rows: only worth it on sound pages.
    bool pages_sound = r.findings == 0;
    bool slices = ok && full && pages_sound && slices_present(db, err);
    if (ok && full && pages_sound && !slices && db->slices != 2) ok = false;
    for (size_t i = 0; ok && full && pages_sound && i < AK_ARRAY_COUNT(invariants); i++)
        ok = check_rows(&r, invariants[i].sql ? invariants[i].sql
                            : slices ? TEXT_RANGE_SQL(SLICED_BYTES) : TEXT_RANGE_SQL("length(CAST(m.text AS BLOB))"),
                        invariants[i].fmt);
    for (size_t i = 0; ok && slices && i < AK_ARRAY_COUNT(slice_invariants); i++)
        ok = check_rows(&r, slice_invariants[i].sql, slice_invariants[i].fmt);
    read_end(db, opened);
    static const char *const fts[][2] = {
        {"INSERT INTO title_fts(title_fts, rank) VALUES('integrity-check', 1)", "the title index"},
        {"INSERT INTO msg_fts(msg_fts, rank) VALUES('integrity-check', 1)", "the message index"},
        {"INSERT INTO part_fts(part_fts, rank) VALUES('integrity-check', 1)", "the part index"},
        {"INSERT INTO slice_fts(slice_fts, rank) VALUES('integrity-check', 1)", "the index of big texts"},
    };
    // rank 1 compares each index with its content table. SQLite runs it as an INSERT, which a
    // read-only connection refuses, so those get the page-level check only.
    size_t nfts = AK_ARRAY_COUNT(fts) - (slices ? 0 : 1);
    for (size_t i = 0; ok && full && pages_sound && !(db->flags & CHAT_DB_READONLY) && i < nfts; i++) {
        if (sqlite3_exec(db->sql, fts[i][0], NULL, NULL, NULL) != SQLITE_OK)
            finding(&r, "%s does not match its table: %s", fts[i][1], sqlite3_errmsg(db->sql));
    }
    *findings = r.findings;
    return ok;
}

typedef struct FirstFinding {
    char text[900];
    bool got;
} FirstFinding;

static void keep_first(const char *text, void *user) {
    FirstFinding *f = user;
    if (f->got) return;
    snprintf(f->text, sizeof f->text, "%s", text);
    for (char *p = f->text; *p; p++) if (*p == '\n') *p = ' '; // one line in an error message
    f->got = true;
}

static bool check_first(ChatDb *db, bool full, ChatError *err) {
    FirstFinding f = {{0}, false};
    uint32_t n = 0;
    if (!chat_db_check_run(db, full, keep_first, &f, &n, err)) return false;
    if (n == 0) return true;
    return chat_fail(err, "%s: damaged: %s%s", db->path, f.text, n > 1 ? " (and more: run `chatlog check`)" : "");
}

bool chat_db_check(ChatDb *db, ChatError *err) { return check_first(db, true, err); }
bool chat_db_check_quick(ChatDb *db, ChatError *err) { return check_first(db, false, err); }

// ---- source files ------------------------------------------------------------------------------
//
// What an import read of each append-only source file (a Claude Code or Codex session log),
// so the next import skips it when it is unchanged (see chat_db_file_get in db.h). Like the
// slices, the table is made by the first write that needs it and is not part of the schema
// version: a database without it (older, or never given a session) reads as "no file known",
// also through a read-only handle, and an older chatlog ignores it.

static const char files_sql[] =
    "CREATE TABLE IF NOT EXISTS source_files("
    " path TEXT PRIMARY KEY, source TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, fingerprint INTEGER NOT NULL)";

static bool files_present(ChatDb *db, bool *present, ChatError *err) {
    sqlite3_stmt *s = NULL;
    *present = false;
    if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM sqlite_master WHERE name = 'source_files'", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "looking for the source files table");
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(db, err, "looking for the source files table");
    *present = rc == SQLITE_ROW;
    return true;
}

bool chat_db_file_get(ChatDb *db, const char *path, ChatFileStamp *out, bool *found, ChatError *err) {
    *found = false;
    memset(out, 0, sizeof *out);
    bool present;
    if (!files_present(db, &present, err)) return false;
    if (!present) return true;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "SELECT size, mtime_ns, offset, fingerprint FROM source_files WHERE path = ?1", -1,
                           &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "preparing to read a source file's row");
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = (ChatFileStamp){(uint64_t)sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                               (uint64_t)sqlite3_column_int64(s, 2), (uint64_t)sqlite3_column_int64(s, 3)};
        *found = true;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : db_fail(db, err, "reading a source file's row");
}

bool chat_db_file_put(ChatDb *db, const char *path, ChatSource source, const ChatFileStamp *st, ChatError *err) {
    if (!exec_sql(db, files_sql, "creating the source files table", err)) return false;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "INSERT OR REPLACE INTO source_files(path, source, size, mtime_ns, offset, fingerprint)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "preparing to store a source file's row");
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, source ? chat_source_name(source) : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (int64_t)st->size);
    sqlite3_bind_int64(s, 4, st->mtime_ns);
    sqlite3_bind_int64(s, 5, (int64_t)st->offset);
    sqlite3_bind_int64(s, 6, (int64_t)st->fingerprint);
    bool ok = step_write(db, s, err, "storing the row of source file %.200s", path);
    sqlite3_finalize(s);
    return ok;
}
