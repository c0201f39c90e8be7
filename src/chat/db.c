// db.c: the chat store's SQLite database (see db.h for the schema and the rules).
// SQLite allocates through sqlmem.h's heap when the program installed it, else with malloc;
// the tokenizer instances below are the only allocations this file asks of it directly.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "chat/db.h"
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
    "CREATE VIRTUAL TABLE title_fts USING fts5(title, content='chats', content_rowid='id', tokenize='chatlog');\n"
    "CREATE VIRTUAL TABLE msg_fts USING fts5(text, content='messages', content_rowid='id', tokenize='chatlog');\n"
    "CREATE VIRTUAL TABLE part_fts USING fts5(name, text, content='parts', content_rowid='id', tokenize='chatlog');\n";

// ---- prepared statements, cached per connection --------------------------------------------

enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN_READ,
    ST_CHAT_LOOKUP, ST_CHAT_INSERT, ST_CHAT_UPDATE, ST_MSG_DELETE, ST_PART_DELETE,
    ST_MSG_INSERT, ST_PART_INSERT,
    ST_TITLE_FTS_INSERT, ST_MSG_FTS_BATCH, ST_PART_FTS_BATCH,
    ST_TITLE_FTS_DELETE, ST_MSG_FTS_DELETE, ST_PART_FTS_DELETE, ST_MSG_NEXT_ID, ST_PART_NEXT_ID,
    ST_CHAT_EACH, ST_CHAT_BY_ID, ST_CHAT_BY_UUID,
    ST_MSG_EACH, ST_MSG_EACH_VISIBLE, ST_PART_EACH,
    ST_SEARCH_TOP, ST_SEARCH_FILTERED, ST_SNIP_MSG, ST_SNIP_PART, ST_SNIP_TITLE,
    ST_COUNTS,
    ST_COUNT
};

#define CHAT_COLS "id, source, source_uuid, title, model, created, updated, message_count," \
                  " visible_count, part_count, bytes, content_hash FROM chats"
#define MSG_COLS "ordinal, uuid, parent_uuid, role, author, created, text, visible, hidden," \
                 " sibling_index, sibling_count, part_count FROM messages"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_CHAT_LOOKUP] = "SELECT id, content_hash FROM chats WHERE source_uuid = ?1 AND source = ?2",
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
    [ST_PART_EACH] = "SELECT msg_ordinal, kind, name, text, text_at, text_len, is_error FROM parts"
                     " WHERE chat_id = ?1 ORDER BY msg_ordinal, ordinal",
    // Ranking first, (kind, rowid, score) only; chats, messages and snippets are read for the
    // kept hits afterwards. Without filters each index gives its own best ?6 (FTS5 ranks and
    // keeps the top rows itself); with filters every match is joined to its chat.
    [ST_SEARCH_TOP] =
        "SELECT kind, rid, score FROM ("
        " SELECT * FROM (SELECT 1 AS kind, rowid AS rid, bm25(msg_fts) AS score FROM msg_fts"
        "  WHERE msg_fts MATCH ?1 ORDER BY rank LIMIT ?6)"
        " UNION ALL"
        " SELECT * FROM (SELECT 2, rowid, bm25(part_fts) FROM part_fts WHERE part_fts MATCH ?1 ORDER BY rank LIMIT ?6)"
        " UNION ALL"
        " SELECT * FROM (SELECT 0, rowid, 2.0 * bm25(title_fts) FROM title_fts WHERE title_fts MATCH ?1"
        "  ORDER BY rank LIMIT ?6)"
        ") ORDER BY score LIMIT ?6",
    [ST_SEARCH_FILTERED] =
        "SELECT h.kind, h.rid, h.score FROM ("
        " SELECT 1 AS kind, m.chat_id AS chat_id, msg_fts.rowid AS rid, bm25(msg_fts) AS score"
        "  FROM msg_fts JOIN messages m ON m.id = msg_fts.rowid"
        "  WHERE msg_fts MATCH ?1 AND (?5 = 0 OR m.visible)"
        " UNION ALL"
        " SELECT 2, p.chat_id, part_fts.rowid, bm25(part_fts)"
        "  FROM part_fts JOIN parts p ON p.id = part_fts.rowid"
        "  JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal"
        "  WHERE part_fts MATCH ?1 AND (?5 = 0 OR m.visible)"
        " UNION ALL"
        " SELECT 0, title_fts.rowid, title_fts.rowid, 2.0 * bm25(title_fts)"
        "  FROM title_fts WHERE title_fts MATCH ?1"
        ") h JOIN chats c ON c.id = h.chat_id"
        " WHERE (?2 = '' OR c.source = ?2)"
        "  AND (?3 IS NULL OR coalesce(c.updated, c.created) >= ?3)"
        "  AND (?4 IS NULL OR coalesce(c.created, c.updated) <= ?4)"
        " ORDER BY h.score LIMIT ?6",
    [ST_SNIP_MSG] = "SELECT snippet(msg_fts, 0, ?2, ?3, ?4, ?5), m.chat_id, m.ordinal, m.created, m.role"
                    " FROM msg_fts JOIN messages m ON m.id = msg_fts.rowid"
                    " WHERE msg_fts MATCH ?1 AND msg_fts.rowid = ?6",
    [ST_SNIP_PART] = "SELECT snippet(part_fts, -1, ?2, ?3, ?4, ?5), p.chat_id, p.msg_ordinal, m.created, m.role,"
                     " p.ordinal, p.kind, p.name"
                     " FROM part_fts JOIN parts p ON p.id = part_fts.rowid"
                     " JOIN messages m ON m.chat_id = p.chat_id AND m.ordinal = p.msg_ordinal"
                     " WHERE part_fts MATCH ?1 AND part_fts.rowid = ?6",
    [ST_SNIP_TITLE] = "SELECT highlight(title_fts, 0, ?2, ?3), rowid FROM title_fts"
                      " WHERE title_fts MATCH ?1 AND rowid = ?6",
    [ST_COUNTS] = "SELECT count(*), coalesce(sum(message_count), 0), coalesce(sum(part_count), 0) FROM chats",
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
    uint64_t unindexed_bytes, index_batch;
    sqlite3_stmt *stmt[ST_COUNT];
};

// ---- small helpers ------------------------------------------------------------------------

static const char *const source_names[] = {[CHAT_SOURCE_CLAUDE] = "claude", [CHAT_SOURCE_CHATGPT] = "chatgpt"};
static const char *const role_names[] = {
    [CHAT_ROLE_USER] = "user", [CHAT_ROLE_ASSISTANT] = "assistant", [CHAT_ROLE_SYSTEM] = "system",
    [CHAT_ROLE_TOOL] = "tool", [CHAT_ROLE_OTHER] = "other",
};
static const char *const kind_names[] = {
    [CHAT_PART_TEXT] = "text", [CHAT_PART_THINKING] = "thinking", [CHAT_PART_TOOL_USE] = "tool_use",
    [CHAT_PART_TOOL_RESULT] = "tool_result", [CHAT_PART_ATTACHMENT] = "attachment",
    [CHAT_PART_FILE] = "file", [CHAT_PART_IMAGE] = "image", [CHAT_PART_UNKNOWN] = "unknown",
};

const char *chat_source_name(ChatSource s) {
    return (unsigned)s < AK_ARRAY_COUNT(source_names) && source_names[s] ? source_names[s] : "unknown";
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

// ---- tokenizer: unicode61, with one token per Han / kana / Hangul character ----------------

static bool is_cjk(uint32_t c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFF66 && c <= 0xFF9D) || (c >= 0x20000 && c <= 0x3134F) ||
           (c >= 0x1F000 && c <= 0x1FAFF); // emoji (unicode61 drops them as separators): one token each
}

// Length of the UTF-8 sequence at p (1 for anything malformed) and its code point.
static int utf8_next(const unsigned char *p, int n, uint32_t *cp) {
    unsigned char c = p[0];
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || len > n) { *cp = c; return 1; }
    uint32_t v = c & (0x3F >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) { *cp = c; return 1; }
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return len;
}

typedef struct ChatTok {
    fts5_tokenizer inner; // unicode61's functions
    Fts5Tokenizer *inner_tok;
} ChatTok;

typedef int ChatTokenFn(void *ctx, int tflags, const char *token, int n, int start, int end);

// Forwards unicode61's tokens from one segment with offsets moved to the whole text.
typedef struct ChatTokFwd {
    void *ctx;
    ChatTokenFn *token;
    int base;
} ChatTokFwd;

static int tok_forward(void *p, int tflags, const char *token, int n, int start, int end) {
    ChatTokFwd *f = p;
    return f->token(f->ctx, tflags, token, n, start + f->base, end + f->base);
}

static int tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out) {
    (void)argv, (void)argc;
    fts5_api *api = api_ptr;
    void *ud = NULL;
    fts5_tokenizer inner;
    int rc = api->xFindTokenizer(api, "unicode61", &ud, &inner);
    if (rc != SQLITE_OK) return rc;
    ChatTok *t = sqlite3_malloc(sizeof *t); // SQLite owns tokenizer instances: freed in tok_delete
    if (!t) return SQLITE_NOMEM;
    t->inner = inner;
    const char *args[] = {"remove_diacritics", "2"};
    rc = inner.xCreate(ud, args, 2, &t->inner_tok);
    if (rc != SQLITE_OK) { sqlite3_free(t); return rc; }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *p) {
    ChatTok *t = (ChatTok *)p;
    t->inner.xDelete(t->inner_tok);
    sqlite3_free(t);
}

static int tok_run(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n, ChatTokenFn *token) {
    ChatTok *t = (ChatTok *)p;
    const unsigned char *u = (const unsigned char *)text;
    int seg = 0, i = 0, rc = SQLITE_OK;
    while (i < n && rc == SQLITE_OK) {
        if (u[i] < 0xE3) { i++; continue; } // below U+3040 in UTF-8: never split here
        uint32_t cp;
        int len = utf8_next(u + i, n - i, &cp);
        if (is_cjk(cp)) {
            if (i > seg) {
                ChatTokFwd f = {ctx, token, seg};
                rc = t->inner.xTokenize(t->inner_tok, &f, flags, text + seg, i - seg, tok_forward);
                if (rc != SQLITE_OK) break;
            }
            rc = token(ctx, 0, text + i, len, i, i + len);
            seg = i + len;
        }
        i += len;
    }
    if (rc == SQLITE_OK && seg < n) {
        ChatTokFwd f = {ctx, token, seg};
        rc = t->inner.xTokenize(t->inner_tok, &f, flags, text + seg, n - seg, tok_forward);
    }
    return rc;
}

static fts5_tokenizer chat_tokenizer = {tok_create, tok_delete, tok_run};

static bool register_tokenizer(ChatDb *db, ChatError *err) {
    fts5_api *api = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "this SQLite has no FTS5");
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(s);
    sqlite3_finalize(s);
    if (!api || api->iVersion < 2) return chat_fail(err, "%s: this SQLite's FTS5 is too old", db->path);
    if (api->xCreateTokenizer(api, "chatlog", api, &chat_tokenizer, NULL) != SQLITE_OK)
        return db_fail(db, err, "registering the tokenizer");
    return true;
}

// ---- opening --------------------------------------------------------------------------------

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// Reads the 100-byte header before SQLite touches the file, so a file that is not ours is
// refused with nothing written beside or into it. *is_new: missing or empty, to be created.
static bool check_file(const char *path, bool readonly, bool *is_new, ChatError *err) {
    *is_new = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !readonly) { *is_new = true; return true; }
        if (errno == ENOENT) return chat_fail(err, "%s: no such database (import an export first)", path);
        return chat_fail(err, "%s: cannot open: %s", path, strerror(errno));
    }
    struct stat st;
    unsigned char h[100];
    ssize_t got = -1;
    bool dir = false;
    if (fstat(fd, &st) == 0 && !(dir = S_ISDIR(st.st_mode))) got = pread(fd, h, sizeof h, 0);
    int saved = errno;
    close(fd);
    if (dir) return chat_fail(err, "%s: is a directory, not a database file", path);
    if (got < 0) return chat_fail(err, "%s: cannot read: %s", path, strerror(saved));
    if (st.st_size == 0) {
        if (readonly) return chat_fail(err, "%s: the database is empty (import an export first)", path);
        *is_new = true;
        return true;
    }
    if (got < (ssize_t)sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return chat_fail(err, "%s: not a SQLite database (%llu bytes without a SQLite header)", path,
                         (unsigned long long)st.st_size);
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
    // A WAL with frames may legitimately be ahead of a shorter main file: let SQLite judge then.
    uint64_t pages = be32(h + 28);
    char wal[4096];
    struct stat wst;
    snprintf(wal, sizeof wal, "%s-wal", path);
    bool wal_busy = stat(wal, &wst) == 0 && wst.st_size > 0;
    if (!wal_busy && be32(h + 24) == be32(h + 92) && pages * page > (uint64_t)st.st_size)
        return chat_fail(err, "%s: truncated or damaged: the file has %llu bytes but its header says %llu",
                         path, (unsigned long long)st.st_size, (unsigned long long)(pages * page));
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
    if (!exec_sql(db, "PRAGMA page_size=16384; PRAGMA journal_mode=DELETE; BEGIN IMMEDIATE",
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

ChatDb *chat_db_open(const char *path, uint32_t flags, ChatError *err) {
    AK_ASSERT(path, "chat_db_open: NULL path");
    bool readonly = flags & CHAT_DB_READONLY, is_new;
    if (!check_file(path, readonly, &is_new, err)) return NULL;

    AkArena *arena = ak_arena_create(.name = "chat_db");
    if (!arena) { chat_fail(err, "%s: no memory for the handle: %s", path, ak_arena_last_create_error()); return NULL; }
    ChatDb *db = ak_push_struct(arena, ChatDb);
    db->arena = arena;
    db->flags = flags;
    db->index_batch = AK_MB(2); // SQLite's peak memory grows with the batch; speed does not
    db->path = str_copy(arena, ak_str_cstr(path)).ptr;

    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                 (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &db->sql, oflags, NULL) != SQLITE_OK) {
        if (db->sql) db_fail(db, err, "cannot open");
        else chat_fail(err, "%s: cannot open: out of memory", path);
        goto fail;
    }
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
    if (version != CHAT_DB_SCHEMA_VERSION) {
        chat_fail(err, "%s: schema version %lld, this chatlog knows only version %d", path,
                  (long long)version, CHAT_DB_SCHEMA_VERSION);
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
    ak_arena_release(db->arena);
}

const char *chat_db_path(const ChatDb *db) { return db->path; }
void chat_db_set_index_batch(ChatDb *db, uint64_t bytes) { db->index_batch = bytes; }
struct sqlite3 *chat_db_handle(ChatDb *db) { return db->sql; }

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

static bool index_range(ChatDb *db, int id, int64_t from, int64_t to, ChatError *err) {
    if (from >= to) return true;
    sqlite3_stmt *s = stmt_get(db, id, err);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? true : db_fail(db, err, "updating the search index");
}

static bool index_pending(ChatDb *db, ChatError *err) {
    if (!index_range(db, ST_MSG_FTS_BATCH, db->msg_indexed, db->next_msg, err) ||
        !index_range(db, ST_PART_FTS_BATCH, db->part_indexed, db->next_part, err))
        return false;
    db->msg_indexed = db->next_msg;
    db->part_indexed = db->next_part;
    db->unindexed_bytes = 0;
    return true;
}

bool chat_db_begin(ChatDb *db, ChatError *err) {
    AK_ASSERT(!db->in_tx, "%s: chat_db_begin inside a transaction", db->path);
    AK_ASSERT(!(db->flags & CHAT_DB_READONLY), "%s: chat_db_begin on a read-only handle", db->path);
    if (!stmt_exec(db, ST_BEGIN, "starting a transaction", err)) return false;
    db->in_tx = true;
    db->tx_failed = false;
    db->unindexed_bytes = 0;
    if (!next_id(db, ST_MSG_NEXT_ID, &db->next_msg, err) || !next_id(db, ST_PART_NEXT_ID, &db->next_part, err)) {
        chat_db_rollback(db);
        return false;
    }
    db->msg_indexed = db->next_msg;
    db->part_indexed = db->next_part;
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

static bool put_messages(ChatDb *db, int64_t chat_id, const ChatConv *c, ChatError *err) {
    sqlite3_stmt *ms = stmt_get(db, ST_MSG_INSERT, err);
    sqlite3_stmt *ps = ms ? stmt_get(db, ST_PART_INSERT, err) : NULL;
    if (!ps) return false;
    int u = (int)AK_MIN(c->uuid.len, 100);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        sqlite3_bind_int64(ms, 1, chat_id);
        sqlite3_bind_int64(ms, 2, i);
        bind_str(ms, 3, m->uuid);
        bind_str(ms, 4, m->parent_uuid);
        sqlite3_bind_text(ms, 5, chat_role_name(m->role), -1, SQLITE_STATIC);
        bind_str(ms, 6, m->author);
        bind_time(ms, 7, m->created);
        bind_str(ms, 8, m->text);
        sqlite3_bind_int(ms, 9, m->visible);
        sqlite3_bind_int(ms, 10, m->hidden);
        sqlite3_bind_int64(ms, 11, m->sibling_index);
        sqlite3_bind_int64(ms, 12, m->sibling_count);
        sqlite3_bind_int64(ms, 13, m->part_count);
        sqlite3_bind_int64(ms, 14, db->next_msg++);
        if (!step_write(db, ms, err, "storing message %u of conversation %.*s", i, u, c->uuid.ptr)) return false;
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
                bind_str(ps, 6, p->text);
                sqlite3_bind_null(ps, 7);
                sqlite3_bind_null(ps, 8);
                db->unindexed_bytes += p->text.len;
            }
            sqlite3_bind_int(ps, 9, p->is_error);
            sqlite3_bind_int64(ps, 10, db->next_part++);
            if (!step_write(db, ps, err, "storing part %u of message %u of conversation %.*s", j, i, u, c->uuid.ptr))
                return false;
        }
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

static bool put_body(ChatDb *db, const ChatConv *c, uint64_t hash, ChatPutResult *res, ChatError *err) {
    int u = (int)AK_MIN(c->uuid.len, 100);
    sqlite3_stmt *s = stmt_get(db, ST_CHAT_LOOKUP, err);
    if (!s) return false;
    bind_str(s, 1, c->uuid);
    sqlite3_bind_text(s, 2, chat_source_name(c->source), -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    uint64_t old_hash = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 1) : 0;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(db, err, "looking up a conversation");
    if (id && old_hash == hash) {
        *res = (ChatPutResult){CHAT_PUT_UNCHANGED, id};
        return true;
    }
    if (id) {
        // Out of the indexes while the old rows still hold the indexed values (only rows below
        // the *_indexed marks were indexed), then the rows themselves.
        const struct { int stmt; int64_t below; } steps[] = {
            {ST_PART_FTS_DELETE, db->part_indexed}, {ST_MSG_FTS_DELETE, db->msg_indexed},
            {ST_TITLE_FTS_DELETE, 0}, {ST_PART_DELETE, 0}, {ST_MSG_DELETE, 0},
        };
        for (size_t i = 0; i < AK_ARRAY_COUNT(steps); i++) {
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
    *res = (ChatPutResult){id ? CHAT_PUT_UPDATED : CHAT_PUT_ADDED, id ? id : sqlite3_last_insert_rowid(db->sql)};
    if (!(s = stmt_get(db, ST_TITLE_FTS_INSERT, err))) return false;
    sqlite3_bind_int64(s, 1, res->chat_id);
    bind_str(s, 2, c->title);
    if (!step_write(db, s, err, "indexing the title of conversation %.*s", u, c->uuid.ptr)) return false;
    return put_messages(db, res->chat_id, c, err);
}

bool chat_db_put(ChatDb *db, const ChatConv *conv, ChatPutResult *res, ChatError *err) {
    AK_ASSERT(db && conv && res, "chat_db_put: NULL argument");
    AK_ASSERT(conv->msg_count == 0 || conv->msgs, "chat_db_put: %u messages but no array", conv->msg_count);
    if (conv->uuid.len == 0)
        return chat_fail(err, "%s: the conversation at byte %llu has no uuid", db->path,
                         (unsigned long long)conv->byte_offset);
    if (conv->source != CHAT_SOURCE_CLAUDE && conv->source != CHAT_SOURCE_CHATGPT)
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

static ChatRow row_read(sqlite3_stmt *s) {
    return (ChatRow){
        .id = sqlite3_column_int64(s, 0),
        .source = (ChatSource)name_lookup(source_names, (int)AK_ARRAY_COUNT(source_names),
                                          sqlite3_column_text(s, 1), 0),
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
        m.parts = want ? ak_push_array(db->arena, ChatPart, want) : NULL;
        if (want && !m.parts)
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

// Turns what a person typed into an FTS5 expression in which every term is a quoted string
// (so operators and punctuation are just text): `a "b c" d*` -> `"a" "b c" "d"*`. `out` holds
// at least 8 * strlen(q) + 8 bytes. Returns the number of terms, -1 past the limit.
static int match_expr(const char *q, char *out) {
    int terms = 0;
    char *o = out;
    const char *p = q;
    for (;;) {
        while (*p == ' ' || (*p >= '\t' && *p <= '\r')) p++;
        if (!*p) break;
        const char *start, *end;
        bool prefix = false;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"') p++;
            end = p;
            if (*p == '"') p++;
            for (; *p == '*'; p++) prefix = true;
        } else {
            start = p;
            while (*p && *p != '"' && *p != ' ' && !(*p >= '\t' && *p <= '\r')) p++;
            end = p;
            for (; end > start && end[-1] == '*'; end--) prefix = true;
        }
        if (!term_has_word(start, end)) continue;
        if (++terms > CHAT_SEARCH_MAX_TERMS) return -1;
        if (o != out) *o++ = ' ';
        *o++ = '"';
        for (const char *c = start; c < end; c++) {
            if (*c == '"') *o++ = '"';
            *o++ = *c;
        }
        *o++ = '"';
        if (prefix) *o++ = '*';
    }
    *o = 0;
    return terms;
}

// What step 1 keeps per hit; step 2 turns it into a ChatHit.
typedef struct ChatHitRef {
    int kind; // 0 title, 1 message, 2 part: the order of ChatHitKind
    int64_t rowid;
    double score;
} ChatHitRef;

static bool hit_fill(ChatDb *db, AkArena *arena, const char *expr, const ChatSearchOpts *o, const ChatHitRef *r,
                     ChatHit *h, ChatError *err) {
    static const int stmt_for[] = {ST_SNIP_TITLE, ST_SNIP_MSG, ST_SNIP_PART};
    *h = (ChatHit){.kind = (ChatHitKind)r->kind, .ordinal = -1, .part = -1, .score = r->score,
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
        if (r->kind == 2) {
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
    char *expr = ak_arena_push_nz(db->arena, 8 * (uint64_t)qlen + 8, 1);
    ChatHitRef *refs = expr ? ak_push_array_nz(db->arena, ChatHitRef, o.limit) : NULL;
    if (!refs) {
        ak_temp_end(t);
        return chat_fail(err, "%s: no memory for a search of %zu bytes", db->path, qlen);
    }
    int terms = match_expr(query, expr);
    if (terms <= 0) {
        ak_temp_end(t);
        return terms == 0 ? true
                          : chat_fail(err, "%s: the search has more than %d words; use fewer", db->path,
                                      CHAT_SEARCH_MAX_TERMS);
    }
    bool opened;
    bool filtered = o.source || o.since > 0 || o.until > 0 || o.visible_only;
    sqlite3_stmt *s = read_begin(db, &opened, err) ? stmt_get(db, filtered ? ST_SEARCH_FILTERED : ST_SEARCH_TOP, err)
                                                   : NULL;
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
        if (kind < 0 || kind > 2) continue;
        refs[n++] = (ChatHitRef){kind, sqlite3_column_int64(s, 1), sqlite3_column_double(s, 2)};
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

bool chat_db_check(ChatDb *db, ChatError *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "checking");
    int rc = sqlite3_step(s);
    bool ok = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
    if (!ok && rc == SQLITE_ROW)
        chat_fail(err, "%s: damaged: %s", db->path, (const char *)sqlite3_column_text(s, 0));
    else if (!ok)
        db_fail(db, err, "checking");
    sqlite3_finalize(s);
    if (!ok) return false;
    static const char *const fts[][2] = {
        {"INSERT INTO title_fts(title_fts, rank) VALUES('integrity-check', 1)", "the title index"},
        {"INSERT INTO msg_fts(msg_fts, rank) VALUES('integrity-check', 1)", "the message index"},
        {"INSERT INTO part_fts(part_fts, rank) VALUES('integrity-check', 1)", "the part index"},
    };
    // rank 1 compares each index with its content table. SQLite runs it as an INSERT, which a
    // read-only connection refuses, so those get the page-level check only.
    if (db->flags & CHAT_DB_READONLY) return true;
    for (size_t i = 0; i < AK_ARRAY_COUNT(fts); i++) {
        if (sqlite3_exec(db->sql, fts[i][0], NULL, NULL, NULL) != SQLITE_OK)
            return chat_fail(err, "%s: %s does not match its table: %s", db->path, fts[i][1], sqlite3_errmsg(db->sql));
    }
    return true;
}
