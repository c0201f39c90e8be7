// The SQLite store: create and reopen, a full round trip of every field, added / updated /
// unchanged puts with the FTS index kept in sync, search (non-Latin text, snippets, filters,
// hostile input), the bad-file cases (each refused with its reason and the file unchanged),
// rollback of a whole import and of one failed put, finding chats by id / uuid / prefix.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

static void remove_db(const char *path) {
    char b[600];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path), unlink(b);
    snprintf(b, sizeof b, "%s-shm", path), unlink(b);
    snprintf(b, sizeof b, "%s-journal", path), unlink(b);
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

// Test-side file helpers use malloc: tests are not the library.
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
}

// ---- building conversations by hand ---------------------------------------------------------

#define S ak_str_pushf // a formatted string on the arena

// n messages alternating user / assistant; `version` changes every text. Each message has one
// text part (its whole text); every third also a thinking part, message 1 an attachment.
static ChatConv make_conv(AkArena *a, ChatSource src, const char *uuid, const char *title, uint32_t n, int version) {
    ChatConv c = {.source = src, .uuid = S(a, "%s", uuid), .title = S(a, "%s", title),
                  .model = S(a, "model-%d", version), .created = 1700000000.0, .updated = 1700000000.0 + n,
                  .msg_count = n, .visible_count = n};
    c.msgs = ak_push_array(a, ChatMsg, n);
    for (uint32_t i = 0; i < n; i++) {
        ChatMsg *m = &c.msgs[i];
        m->uuid = S(a, "%s-m%u", uuid, i);
        m->parent_uuid = i ? c.msgs[i - 1].uuid : ak_str("", 0);
        m->role = i % 2 ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_USER;
        m->author = S(a, "%s", i % 2 ? "assistant" : "human");
        m->created = 1700000000.0 + i;
        m->text = S(a, "message %u of %s version %d: the quick brown fox jumps over the lazy dog", i, uuid, version);
        m->visible = true;
        m->sibling_index = 1, m->sibling_count = 1;
        m->part_count = 1 + (i % 3 == 2) + (i == 1);
        m->parts = ak_push_array(a, ChatPart, m->part_count);
        uint32_t k = 0;
        if (i % 3 == 2) m->parts[k++] = (ChatPart){CHAT_PART_THINKING, ak_str("", 0), S(a, "pondering %u", i), false};
        m->parts[k++] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), m->text, false};
        if (i == 1) m->parts[k++] = (ChatPart){CHAT_PART_ATTACHMENT, S(a, "notes-%d.txt", version),
                                              S(a, "extracted attachment content zanzibar %d", version), false};
    }
    return c;
}

typedef struct Collected {
    AkArena *a;
    ChatMsg msgs[2000];
    uint32_t ordinals[2000];
    uint32_t n;
    uint32_t stop_after; // 0: never
} Collected;

static AkStr copy_str(AkArena *a, AkStr s) { return ak_str(ak_arena_push_copy(a, s.ptr, s.len + 1, 1), s.len); }

static bool collect_msg(const ChatMsg *m, uint32_t ordinal, void *user) {
    Collected *c = user;
    if (c->n == AK_ARRAY_COUNT(c->msgs)) return false;
    ChatMsg *o = &c->msgs[c->n];
    *o = *m;
    o->uuid = copy_str(c->a, m->uuid), o->parent_uuid = copy_str(c->a, m->parent_uuid);
    o->author = copy_str(c->a, m->author), o->text = copy_str(c->a, m->text);
    o->parts = ak_push_array(c->a, ChatPart, m->part_count ? m->part_count : 1);
    for (uint32_t j = 0; j < m->part_count; j++) {
        o->parts[j] = m->parts[j];
        o->parts[j].name = copy_str(c->a, m->parts[j].name);
        o->parts[j].text = copy_str(c->a, m->parts[j].text);
    }
    c->ordinals[c->n++] = ordinal;
    return !c->stop_after || c->n < c->stop_after;
}

typedef struct Rows {
    AkArena *a;
    ChatRow rows[64];
    uint32_t n;
} Rows;

static bool collect_row(const ChatRow *r, void *user) {
    Rows *rs = user;
    if (rs->n == AK_ARRAY_COUNT(rs->rows)) return false;
    ChatRow *o = &rs->rows[rs->n++];
    *o = *r;
    o->uuid = copy_str(rs->a, r->uuid), o->title = copy_str(rs->a, r->title), o->model = copy_str(rs->a, r->model);
    return true;
}

static bool str_is(AkStr s, const char *c) { return ak_str_eq(s, ak_str_cstr(c)); }

static ChatDb *open_fresh(const char *name) {
    const char *p = tmp_path(name);
    remove_db(p);
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(p, 0, &err);
    if (!db) printf("  open %s: %s\n", p, err.msg);
    return db;
}

static uint64_t search_count(ChatDb *db, AkArena *a, const char *q, const ChatSearchOpts *o) {
    ChatHit *hits;
    uint32_t n = 0;
    ChatError err = {{0}};
    if (!chat_db_search(db, a, q, o, &hits, &n, &err)) {
        printf("  search '%s': %s\n", q, err.msg);
        return UINT64_MAX;
    }
    return n;
}

// ---- tests --------------------------------------------------------------------------------------

static void test_create_and_reopen(void) {
    const char *p = tmp_path("create.db");
    remove_db(p);
    ChatError err = {{0}};
    // Read-only needs an existing database, and says so.
    CHECK(chat_db_open(p, CHAT_DB_READONLY, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, p);
    CHECK_STR_CONTAINS(err.msg, "no such database");
    CHECK(!exists(p));

    ChatDb *db = chat_db_open(p, 0, &err);
    REQUIRE(db);
    CHECK(strcmp(chat_db_path(db), p) == 0);
    ChatDbStats st;
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 0);
    CHECK_EQ(st.schema_version, CHAT_DB_SCHEMA_VERSION);
    CHECK(st.file_bytes > 0);
    CHECK_EQ(st.page_size, 16384);
    sqlite3_stmt *s;
    REQUIRE(sqlite3_prepare_v2(chat_db_handle(db), "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0);
    sqlite3_finalize(s);
    chat_db_close(db);

    // The application id and version are in the main file's header from the start.
    size_t len;
    unsigned char *b = (unsigned char *)read_file(p, &len);
    REQUIRE(b && len >= 100);
    CHECK(memcmp(b + 68, "CHLG", 4) == 0);
    CHECK_EQ(b[63], CHAT_DB_SCHEMA_VERSION);
    free(b);

    REQUIRE((db = chat_db_open(p, CHAT_DB_READONLY, &err)));
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 0);
    chat_db_close(db);
    REQUIRE((db = chat_db_open(p, 0, &err)));
    chat_db_close(db);

    // An empty file is a new database (as SQLite itself treats it); read-only refuses it.
    remove_db(p);
    write_file(p, "", 0);
    CHECK(chat_db_open(p, CHAT_DB_READONLY, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "empty");
    REQUIRE((db = chat_db_open(p, 0, &err)));
    chat_db_close(db);
    CHECK(chat_db_open(tmp_dir, 0, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "directory");
    remove_db(p);
}

static void test_round_trip(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("round.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, "c-1", "Über die Füchse", 6, 1);
    // Unknown times, a branch, a hidden system message, every part kind, odd strings.
    c.updated = CHAT_TIME_UNKNOWN;
    c.msgs[0].created = CHAT_TIME_UNKNOWN;
    c.msgs[4].visible = false, c.msgs[4].sibling_index = 2, c.msgs[4].sibling_count = 2;
    c.msgs[3].sibling_index = 1, c.msgs[3].sibling_count = 2;
    c.msgs[5].role = CHAT_ROLE_SYSTEM, c.msgs[5].hidden = true, c.msgs[5].visible = false;
    c.visible_count = 4;
    ChatMsg *m = &c.msgs[2];
    m->role = CHAT_ROLE_TOOL;
    m->author = S(a, "tool:python");
    m->text = S(a, "first block 東京\n\nsecond block with \"quotes\" and 'single' ones");
    m->part_count = 9;
    m->parts = ak_push_array(a, ChatPart, 9);
    m->parts[0] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), S(a, "first block 東京"), false};
    m->parts[1] = (ChatPart){CHAT_PART_TOOL_USE, S(a, "python"), S(a, "{\"code\": \"print(1)\"}"), false};
    m->parts[2] = (ChatPart){CHAT_PART_TOOL_RESULT, S(a, "python"), S(a, "Traceback: boom"), true};
    m->parts[3] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), S(a, "second block with \"quotes\" and 'single' ones"), false};
    m->parts[4] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), S(a, "a text part not in the message text"), false};
    m->parts[5] = (ChatPart){CHAT_PART_FILE, S(a, "diagram.pdf"), ak_str("", 0), false};
    m->parts[6] = (ChatPart){CHAT_PART_IMAGE, S(a, "file-service://file-abc"), ak_str("", 0), false};
    m->parts[7] = (ChatPart){CHAT_PART_UNKNOWN, S(a, "tether_quote"), S(a, "{\"raw\": [1, 2]}"), false};
    m->parts[8] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), ak_str("", 0), false};
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_ADDED);
    CHECK(r.chat_id > 0);

    Rows rows = {.a = a};
    REQUIRE(chat_db_each_chat(db, collect_row, &rows, &err));
    REQUIRE(rows.n == 1);
    ChatRow *row = &rows.rows[0];
    CHECK_EQ(row->id, r.chat_id);
    CHECK_EQ(row->source, CHAT_SOURCE_CLAUDE);
    CHECK(str_is(row->uuid, "c-1"));
    CHECK(str_is(row->title, "Über die Füchse"));
    CHECK(str_is(row->model, "model-1"));
    CHECK(row->created == 1700000000.0);
    CHECK(row->updated == CHAT_TIME_UNKNOWN);
    CHECK_EQ(row->message_count, 6);
    CHECK_EQ(row->visible_count, 4);
    CHECK_EQ(row->part_count, 1 + 2 + 9 + 1 + 1 + 2); // messages 0..5
    CHECK(row->bytes > 0);
    CHECK(row->content_hash != 0);

    Collected col = {.a = a};
    REQUIRE(chat_db_each_message(db, r.chat_id, false, collect_msg, &col, &err));
    REQUIRE(col.n == 6);
    for (uint32_t i = 0; i < 6; i++) {
        const ChatMsg *x = &c.msgs[i], *y = &col.msgs[i];
        CHECK_EQ(col.ordinals[i], i);
        CHECK(ak_str_eq(x->uuid, y->uuid));
        CHECK(ak_str_eq(x->parent_uuid, y->parent_uuid));
        CHECK_EQ(x->role, y->role);
        CHECK(ak_str_eq(x->author, y->author));
        CHECK(x->created == y->created);
        CHECK(ak_str_eq(x->text, y->text));
        CHECK_EQ(x->visible, y->visible);
        CHECK_EQ(x->hidden, y->hidden);
        CHECK_EQ(x->sibling_index, y->sibling_index);
        CHECK_EQ(x->sibling_count, y->sibling_count);
        REQUIRE(x->part_count == y->part_count);
        for (uint32_t j = 0; j < x->part_count; j++) {
            CHECK_MSG(x->parts[j].kind == y->parts[j].kind, "msg %u part %u kind", i, j);
            CHECK_MSG(ak_str_eq(x->parts[j].name, y->parts[j].name), "msg %u part %u name", i, j);
            CHECK_MSG(ak_str_eq(x->parts[j].text, y->parts[j].text), "msg %u part %u text '%.*s'", i, j,
                      AK_STR_FMT(y->parts[j].text));
            CHECK_EQ(x->parts[j].is_error, y->parts[j].is_error);
        }
    }
    // Text parts found in the message text are stored as a range of it, the rest inline.
    sqlite3_stmt *s;
    REQUIRE(sqlite3_prepare_v2(chat_db_handle(db),
                               "SELECT count(*) FILTER (WHERE text IS NULL), count(*) FILTER (WHERE text IS NOT NULL)"
                               " FROM parts WHERE msg_ordinal = 2", -1, &s, NULL) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK_EQ(sqlite3_column_int(s, 0), 2);
    CHECK_EQ(sqlite3_column_int(s, 1), 7);
    sqlite3_finalize(s);

    // visible_only: the branch and the hidden message are left out, ordinals kept.
    col.n = 0;
    REQUIRE(chat_db_each_message(db, r.chat_id, true, collect_msg, &col, &err));
    CHECK_EQ(col.n, 4);
    CHECK_EQ(col.ordinals[3], 3);
    // Stopping early is not an error; an unknown chat streams nothing.
    col.n = 0, col.stop_after = 2;
    CHECK(chat_db_each_message(db, r.chat_id, false, collect_msg, &col, &err));
    CHECK_EQ(col.n, 2);
    col.n = 0, col.stop_after = 0;
    CHECK(chat_db_each_message(db, 999, false, collect_msg, &col, &err));
    CHECK_EQ(col.n, 0);
    CHECK(chat_db_check(db, &err));
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_put_statuses(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("statuses.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r1, r2, r;
    ChatConv c1 = make_conv(a, CHAT_SOURCE_CLAUDE, "u-1", "First chat", 5, 1);
    ChatConv c2 = make_conv(a, CHAT_SOURCE_CHATGPT, "u-2", "Second chat", 3, 1);
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c1, &r1, &err));
    REQUIRE(chat_db_put(db, &c2, &r2, &err));
    REQUIRE(chat_db_commit(db, &err));
    CHECK_EQ(r1.status, CHAT_PUT_ADDED);
    CHECK_EQ(r2.status, CHAT_PUT_ADDED);
    CHECK(r1.chat_id != r2.chat_id);

    // The same content again: unchanged, nothing written, same id.
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c1, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UNCHANGED);
    CHECK_EQ(r.chat_id, r1.chat_id);
    REQUIRE(chat_db_commit(db, &err));

    // The same uuid from the other source is another chat.
    ChatConv c1b = make_conv(a, CHAT_SOURCE_CHATGPT, "u-1", "Other source", 2, 1);
    REQUIRE(chat_db_put(db, &c1b, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_ADDED);

    // Changed content: updated in place, messages replaced, old text gone from the index.
    CHECK_EQ(search_count(db, a, "\"u-1 version 1\"", NULL), 5 + 2);
    ChatConv c1v2 = make_conv(a, CHAT_SOURCE_CLAUDE, "u-1", "First chat, renamed", 8, 2);
    REQUIRE(chat_db_put(db, &c1v2, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    CHECK_EQ(r.chat_id, r1.chat_id);
    ChatRow row;
    REQUIRE(chat_db_get_chat(db, a, r1.chat_id, &row, &err));
    CHECK(str_is(row.title, "First chat, renamed"));
    CHECK_EQ(row.message_count, 8);
    Collected col = {.a = a};
    REQUIRE(chat_db_each_message(db, r1.chat_id, false, collect_msg, &col, &err));
    CHECK_EQ(col.n, 8);
    CHECK_STR_CONTAINS(col.msgs[7].text.ptr, "version 2");
    CHECK_EQ(search_count(db, a, "\"u-1 version 1\"", NULL), 2); // only the other source's chat
    CHECK_EQ(search_count(db, a, "\"u-1 version 2\"", NULL), 8);
    CHECK_EQ(search_count(db, a, "renamed", NULL), 1);
    CHECK_EQ(search_count(db, a, "zanzibar 1", NULL), 2); // attachment of u-2 and of chatgpt u-1
    // A single field change is noticed too.
    ChatConv c1v3 = c1v2;
    c1v3.msgs[3].visible = false;
    c1v3.visible_count--; // as an importer counts it (chatlog check compares the two)
    REQUIRE(chat_db_put(db, &c1v3, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    REQUIRE(chat_db_put(db, &c1v3, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UNCHANGED);

    ChatDbStats st;
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 3);
    CHECK_EQ(st.messages, 8 + 3 + 2);
    CHECK(chat_db_check(db, &err));
    if (err.msg[0]) printf("  %s\n", err.msg);

    // Bad input the importer should not send, reported not stored.
    ChatConv bad = c2;
    bad.uuid = ak_str("", 0);
    CHECK(!chat_db_put(db, &bad, &r, &err));
    CHECK_STR_CONTAINS(err.msg, "no uuid");
    chat_db_close(db);
    ak_arena_release(a);
}

// An older copy never replaces a newer one (issue 13 item 2): the update time decides, then the
// message count; the older copy is reported as kept newer and search keeps the new words. A
// uuid twice in one transaction keeps its newest copy and says it is a duplicate.
static void test_older_copy_kept_newer(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("older.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r;
    ChatConv v2 = make_conv(a, CHAT_SOURCE_CLAUDE, "o-1", "Newer", 6, 2);
    v2.updated = 1800000000.0;
    REQUIRE(chat_db_put(db, &v2, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_ADDED);
    CHECK(!r.duplicate);
    int64_t id = r.chat_id;
    ChatConv v1 = make_conv(a, CHAT_SOURCE_CLAUDE, "o-1", "Older", 9, 1); // more messages, but older
    v1.updated = 1700000000.0;
    REQUIRE(chat_db_put(db, &v1, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_KEPT_NEWER);
    CHECK_EQ(r.chat_id, id);
    ChatRow row;
    REQUIRE(chat_db_get_chat(db, a, id, &row, &err));
    CHECK(str_is(row.title, "Newer"));
    CHECK_EQ(row.message_count, 6);
    CHECK_EQ(search_count(db, a, "\"o-1 version 2\"", NULL), 6);
    CHECK_EQ(search_count(db, a, "\"o-1 version 1\"", NULL), 0);
    // Same time: fewer messages is older, as many or more is not.
    ChatConv fewer = make_conv(a, CHAT_SOURCE_CLAUDE, "o-1", "Fewer", 4, 3);
    fewer.updated = v2.updated;
    REQUIRE(chat_db_put(db, &fewer, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_KEPT_NEWER);
    ChatConv more = make_conv(a, CHAT_SOURCE_CLAUDE, "o-1", "More", 7, 4);
    more.updated = v2.updated;
    REQUIRE(chat_db_put(db, &more, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    // An unknown time falls back to the message count.
    ChatConv unknown = make_conv(a, CHAT_SOURCE_CLAUDE, "o-1", "Unknown time", 5, 5);
    unknown.updated = CHAT_TIME_UNKNOWN;
    REQUIRE(chat_db_put(db, &unknown, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_KEPT_NEWER);
    REQUIRE(chat_db_get_chat(db, a, id, &row, &err));
    CHECK(str_is(row.title, "More"));
    CHECK(chat_db_check(db, &err));

    // Duplicates in one transaction: old, newest, older again: the newest stays.
    REQUIRE(chat_db_begin(db, &err));
    ChatConv d1 = make_conv(a, CHAT_SOURCE_CHATGPT, "dup", "First copy", 3, 1);
    ChatConv d2 = make_conv(a, CHAT_SOURCE_CHATGPT, "dup", "Newest copy", 5, 2);
    d2.updated = d1.updated + 100;
    REQUIRE(chat_db_put(db, &d1, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_ADDED);
    CHECK(!r.duplicate);
    REQUIRE(chat_db_put(db, &d2, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    CHECK(r.duplicate);
    REQUIRE(chat_db_put(db, &d1, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_KEPT_NEWER);
    CHECK(r.duplicate);
    REQUIRE(chat_db_commit(db, &err));
    REQUIRE(chat_db_get_chat(db, a, r.chat_id, &row, &err));
    CHECK(str_is(row.title, "Newest copy"));
    // The next transaction starts afresh: the same chat again is no duplicate.
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &d2, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UNCHANGED);
    CHECK(!r.duplicate);
    REQUIRE(chat_db_commit(db, &err));
    CHECK(chat_db_check(db, &err));
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_search(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("search.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r;
    static const struct { ChatSource src; const char *uuid, *title, *text; double when; } docs[] = {
        {CHAT_SOURCE_CLAUDE, "s-ru", "Русский разговор", "Москва — столица России, большой город", 1600000000},
        {CHAT_SOURCE_CLAUDE, "s-el", "Ελληνικά", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας", 1610000000},
        {CHAT_SOURCE_CHATGPT, "s-ja", "日本語の会話", "東京都は日本の首都です。大阪も大きい都市です。", 1620000000},
        {CHAT_SOURCE_CHATGPT, "s-zh", "中文", "我喜欢在北京学习中文和数学", 1630000000},
        {CHAT_SOURCE_CLAUDE, "s-ko", "한국어", "서울에서 맛있는 음식을 먹었어요", 1640000000},
        {CHAT_SOURCE_CLAUDE, "s-fr", "Café talk", "Un café crème à Paris, naïve façade 🦊 emoji", 1650000000},
        {CHAT_SOURCE_CHATGPT, "s-code", "Allocator notes", "arena allocators beat malloc; see arena_push()", 1660000000},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(docs); i++) {
        ChatConv c = make_conv(a, docs[i].src, docs[i].uuid, docs[i].title, 2, 1);
        c.created = docs[i].when, c.updated = docs[i].when + 3600;
        c.msgs[0].text = ak_str_cstr(docs[i].text);
        c.msgs[0].parts[0].text = c.msgs[0].text;
        REQUIRE(chat_db_put(db, &c, &r, &err));
    }
    ChatHit *h;
    uint32_t n;
    ChatSearchOpts o = {.mark_open = "[", .mark_close = "]"};
    REQUIRE(chat_db_search(db, a, "москва", &o, &h, &n, &err));
    REQUIRE(n == 1);
    CHECK_EQ(h[0].kind, CHAT_HIT_MESSAGE);
    CHECK(str_is(h[0].chat_uuid, "s-ru"));
    CHECK(str_is(h[0].title, "Русский разговор"));
    CHECK_EQ(h[0].ordinal, 0);
    CHECK_EQ(h[0].role, CHAT_ROLE_USER);
    CHECK_EQ(h[0].source, CHAT_SOURCE_CLAUDE);
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "[Москва]");
    CHECK_EQ(search_count(db, a, "ΑΘΉΝΑ", NULL), 1);  // case folded
    CHECK_EQ(search_count(db, a, "αθήνα", NULL), 1);
    CHECK_EQ(search_count(db, a, "αθηνα", NULL), 1);  // Greek accents folded too (the tokenizer's fold)
    CHECK_EQ(search_count(db, a, "cafe", NULL), 2);   // title hit and message hit
    CHECK_EQ(search_count(db, a, "naive facade", NULL), 1);
    // Han, kana and Hangul: a quoted or bare word matches as a run of characters.
    REQUIRE(chat_db_search(db, a, "首都", &o, &h, &n, &err));
    CHECK_EQ(n, 1);
    if (n) CHECK_STR_CONTAINS(h[0].snippet.ptr, "[首都]");
    CHECK_EQ(search_count(db, a, "北京", NULL), 1);
    CHECK_EQ(search_count(db, a, "京北", NULL), 0); // characters in another order
    CHECK_EQ(search_count(db, a, "大阪", NULL), 1);
    CHECK_EQ(search_count(db, a, "서울", NULL), 1);
    CHECK_EQ(search_count(db, a, "日本語", NULL), 1); // the title
    CHECK_EQ(search_count(db, a, "🦊", NULL), 1);    // unicode61 keeps emoji as words
    // Prefix and phrase; title hits rank first for a word in the title.
    CHECK_EQ(search_count(db, a, "alloc*", NULL), 2);  // title + message
    CHECK_EQ(search_count(db, a, "\"arena allocators\"", NULL), 1);
    CHECK_EQ(search_count(db, a, "\"allocators arena\"", NULL), 0);
    REQUIRE(chat_db_search(db, a, "allocator*", &o, &h, &n, &err));
    REQUIRE(n == 2);
    CHECK_EQ(h[0].kind, CHAT_HIT_TITLE);
    CHECK(str_is(h[0].snippet, "[Allocator] notes"));
    CHECK(h[0].score <= h[1].score);
    // Attachment text and names are found as parts.
    REQUIRE(chat_db_search(db, a, "zanzibar", &o, &h, &n, &err));
    CHECK_EQ(n, AK_ARRAY_COUNT(docs));
    CHECK_EQ(h[0].kind, CHAT_HIT_PART);
    CHECK_EQ(h[0].part_kind, CHAT_PART_ATTACHMENT);
    CHECK(str_is(h[0].part_name, "notes-1.txt"));
    CHECK_EQ(h[0].ordinal, 1);
    CHECK_EQ(h[0].part, 1);
    CHECK_EQ(search_count(db, a, "notes-1.txt", NULL), AK_ARRAY_COUNT(docs));
    // Caller's markers, e.g. terminal bold.
    ChatSearchOpts bold = {.mark_open = "\x1b[1m", .mark_close = "\x1b[0m", .snippet_tokens = 4, .ellipsis = "…"};
    REQUIRE(chat_db_search(db, a, "lazy", &bold, &h, &n, &err));
    REQUIRE(n > 0);
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "\x1b[1mlazy\x1b[0m");
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "…");
    // Filters: limit, source, date range (the chat's [created, updated] overlaps).
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.limit = 3}), 3);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.source = CHAT_SOURCE_CHATGPT}), 3);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.since = 1630000000}), 4);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.until = 1610000000}), 2);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.since = 1630000000, .until = 1640000000}), 2);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.since = 1630001000, .until = 1630002000}), 1);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_search_visible_only(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("visible.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatConv c = make_conv(a, CHAT_SOURCE_CHATGPT, "v-1", "Branches", 4, 1);
    c.msgs[3].visible = false;
    c.msgs[3].text = S(a, "an abandoned regeneration about platypus");
    c.msgs[3].parts[0].text = c.msgs[3].text;
    c.msgs[1].visible = false; // carries the attachment
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    CHECK_EQ(search_count(db, a, "platypus", NULL), 1);
    CHECK_EQ(search_count(db, a, "platypus", &(ChatSearchOpts){.visible_only = true}), 0);
    CHECK_EQ(search_count(db, a, "zanzibar", NULL), 1);
    CHECK_EQ(search_count(db, a, "zanzibar", &(ChatSearchOpts){.visible_only = true}), 0);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_search_hostile_input(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("fuzz.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, "f-1", "AND OR NOT NEAR", 3, 1);
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    static const char *const inputs[] = {
        "", "   ", "\t\n", "\"", "\"\"", "\"\"\"", "\"unterminated phrase", "AND", "OR", "NOT", "NEAR",
        "a AND", "OR OR OR", "NOT x", "NEAR(a b)", "NEAR(a b, 3)", "*", "**", "a*", "*a", "a**b", "^fox",
        "text:fox", "-fox", "+fox", "(", ")", "(fox", "fox)", "{text} : fox", "\"fox\"*", "\"\"*",
        "'", "'fox'", "fox'", "\\", "\\\"", "%", "_", "\x01\x02", "\xff\xfe", "\xc3", "\xe6\x9d",
        "fox \"quick brown\" lazy*", "fox\"quick\"brown", "!!!", "...", "c++", "a-b-c", "x:y:z",
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(inputs); i++) {
        ChatHit *h;
        uint32_t n = 0;
        err.msg[0] = 0;
        CHECK_MSG(chat_db_search(db, a, inputs[i], NULL, &h, &n, &err), "input #%zu '%s': %s", i, inputs[i], err.msg);
    }
    // The operators are searched as words: the title holds them.
    CHECK_EQ(search_count(db, a, "AND OR", NULL), 1);
    CHECK_EQ(search_count(db, a, "NOT(near", NULL), 1); // the phrase "not near"
    CHECK_EQ(search_count(db, a, "fox\"quick\"brown", NULL), 3);
    // Pseudo-random bytes: never a syntax error. A long query of one word is fine; too many
    // words is a clear error of our own.
    uint64_t seed = 42;
    char q[200];
    for (int round = 0; round < (int)(2000 * test_scale()) + 20; round++) {
        size_t len = 1 + (size_t)(seed % (sizeof q - 1));
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            static const char alphabet[] = "ab \"*()^:-+NEAROT{}\\'\x80\xc3\xa9\xe6\x9d\xb1";
            q[i] = (seed >> 33) % 4 ? alphabet[(seed >> 40) % (sizeof alphabet - 1)] : (char)(1 + (seed >> 48) % 255);
        }
        q[len] = 0;
        ChatHit *h;
        uint32_t n = 0;
        err.msg[0] = 0;
        bool ok = chat_db_search(db, a, q, NULL, &h, &n, &err);
        CHECK_MSG(ok || strstr(err.msg, "words"), "round %d: %s", round, err.msg);
    }
    size_t big = 200000;
    char *huge = malloc(big + 1);
    memset(huge, 'x', big);
    huge[big] = 0;
    CHECK_EQ(search_count(db, a, huge, NULL), 0);
    for (size_t i = 1; i < big; i += 2) huge[i] = ' ';
    ChatHit *h;
    uint32_t n = 0;
    CHECK(!chat_db_search(db, a, huge, NULL, &h, &n, &err));
    CHECK_STR_CONTAINS(err.msg, "more than 64 words");
    free(huge);
    chat_db_close(db);
    ak_arena_release(a);
}

// Opens `path` expecting a refusal whose message has `reason`, and the file unchanged with
// nothing created beside it.
static void expect_refused(const char *path, uint32_t flags, const char *reason) {
    size_t before_len, after_len;
    char *before = read_file(path, &before_len);
    REQUIRE(before);
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, flags, &err);
    CHECK_MSG(db == NULL, "%s opened", path);
    if (db) chat_db_close(db);
    CHECK_STR_CONTAINS(err.msg, path);
    CHECK_STR_CONTAINS(err.msg, reason);
    char *after = read_file(path, &after_len);
    CHECK_MSG(after && after_len == before_len && memcmp(before, after, before_len) == 0, "%s changed", path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    CHECK_MSG(!exists(side), "%s created", side);
    snprintf(side, sizeof side, "%s-shm", path);
    CHECK_MSG(!exists(side), "%s created", side);
    free(before);
    free(after);
}

// A real database of ours with a few chats, closed (so the WAL is checkpointed away).
static void make_real_db(const char *path, uint32_t chats) {
    remove_db(path);
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, 0, &err);
    if (!db) { printf("  %s\n", err.msg); ak_arena_release(a); return; }
    chat_db_begin(db, &err);
    for (uint32_t i = 0; i < chats; i++) {
        char uuid[32];
        snprintf(uuid, sizeof uuid, "real-%u", i);
        ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, uuid, "A real chat", 20, 1);
        ChatPutResult r;
        chat_db_put(db, &c, &r, &err);
    }
    chat_db_commit(db, &err);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_bad_files(void) {
    ChatError err = {{0}};
    // Not a database at all.
    const char *p = tmp_path("notes.db");
    remove_db(p);
    write_file(p, "just some notes, not a database\n", 32);
    expect_refused(p, 0, "not a SQLite database");
    expect_refused(p, CHAT_DB_READONLY, "not a SQLite database");
    // A file with random bytes the size of a SQLite page.
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7 + 3);
    write_file(p, junk, sizeof junk);
    expect_refused(p, 0, "not a SQLite database");

    // A real database cut in half.
    const char *real = tmp_path("real.db");
    make_real_db(real, 50);
    size_t len;
    char *whole = read_file(real, &len);
    REQUIRE(whole && len > 8 * 4096);
    const char *half = tmp_path("half.db");
    remove_db(half);
    write_file(half, whole, len / 2);
    expect_refused(half, 0, "truncated");
    expect_refused(half, CHAT_DB_READONLY, "truncated");

    // A newer schema than ours.
    const char *newer = tmp_path("newer.db");
    remove_db(newer);
    whole[60] = whole[61] = whole[62] = 0, whole[63] = CHAT_DB_SCHEMA_VERSION + 1;
    write_file(newer, whole, len);
    expect_refused(newer, 0, "newer chatlog");
    expect_refused(newer, CHAT_DB_READONLY, "newer chatlog");
    free(whole);

    // Another program's SQLite file.
    const char *foreign = tmp_path("foreign.db");
    remove_db(foreign);
    sqlite3 *s;
    REQUIRE(sqlite3_open(foreign, &s) == SQLITE_OK);
    sqlite3_exec(s, "CREATE TABLE chats(x); INSERT INTO chats VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(s);
    expect_refused(foreign, 0, "not a chatlog one");
    expect_refused(foreign, CHAT_DB_READONLY, "application_id");

    // The good one still opens and reads.
    ChatDb *db = chat_db_open(real, CHAT_DB_READONLY, &err);
    REQUIRE(db);
    ChatDbStats st;
    CHECK(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 50);
    CHECK(chat_db_check(db, &err));
    if (err.msg[0]) printf("  %s\n", err.msg);
    chat_db_close(db);
    remove_db(p), remove_db(real), remove_db(half), remove_db(newer), remove_db(foreign);
}

// A process killed in the middle of a rollback-journal commit (issue 13 item 3): the file holds
// half-written pages (a new database: pages of zeros, no header yet) and a hot -journal. Opening
// must let SQLite roll the journal back, not call the file damaged or foreign forever.
static void kill_mid_commit(const char *path, bool fresh) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        sqlite3 *s;
        if (sqlite3_open(path, &s) != SQLITE_OK) _exit(2);
        sqlite3_exec(s, fresh ? "PRAGMA page_size=16384" : "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
        // A tiny cache spills the transaction's pages into the file before the commit.
        sqlite3_exec(s, "PRAGMA cache_size=2; BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (fresh) sqlite3_exec(s, "PRAGMA application_id=1128811591; PRAGMA user_version=1", NULL, NULL, NULL);
        sqlite3_exec(s, "CREATE TABLE filler(x)", NULL, NULL, NULL);
        for (int i = 0; i < 200; i++)
            sqlite3_exec(s, "INSERT INTO filler VALUES (randomblob(3000))", NULL, NULL, NULL);
        if (!fresh) sqlite3_exec(s, "DELETE FROM chats", NULL, NULL, NULL);
        raise(SIGKILL);
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
}

static void test_hot_journal(void) {
    ChatError err = {{0}};
    char journal[600];
    // A first open killed while creating: zeros and a hot journal. Read-only: SQLite rolls it
    // back to empty, which says "import first"; writing: a new database.
    const char *p = tmp_path("killed-new.db");
    remove_db(p);
    kill_mid_commit(p, true);
    snprintf(journal, sizeof journal, "%s-journal", p);
    REQUIRE(exists(journal));
    size_t len;
    char *b = read_file(p, &len);
    REQUIRE(b);
    CHECK_MSG(len >= 16384 && b[0] == 0, "the simulated crash left %zu bytes starting %02x", len, (unsigned char)b[0]);
    free(b);
    CHECK(chat_db_open(p, CHAT_DB_READONLY, &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "empty");
    CHECK(!exists(journal));
    kill_mid_commit(p, true);
    ChatDb *db = chat_db_open(p, 0, &err);
    CHECK_MSG(db != NULL, "%s", err.msg);
    chat_db_close(db);

    // Our database killed mid-commit (chats deleted, pages spilled): the 50 chats come back,
    // for a reader as for a writer.
    p = tmp_path("killed-real.db");
    make_real_db(p, 50);
    kill_mid_commit(p, false);
    snprintf(journal, sizeof journal, "%s-journal", p);
    CHECK(exists(journal));
    REQUIRE((db = chat_db_open(p, CHAT_DB_READONLY, &err)));
    ChatDbStats st;
    CHECK(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 50);
    CHECK_MSG(chat_db_check(db, &err), "%s", err.msg);
    chat_db_close(db);
    REQUIRE((db = chat_db_open(p, 0, &err)));
    CHECK(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 50);
    CHECK_MSG(chat_db_check(db, &err), "%s", err.msg);
    chat_db_close(db);
    remove_db(p);
    remove_db(tmp_path("killed-new.db"));
}

// Undoing a failed first import (issue 13 item 3): the database goes only while it holds no
// chat, and a handle still open on the removed file is told so at its next transaction
// instead of committing into a file that is gone.
static void test_remove_if_empty(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    const char *p = tmp_path("first.db");
    remove_db(p);
    ChatDb *waiting = chat_db_open(p, 0, &err); // another import that opened the new file
    REQUIRE(waiting);
    bool removed = false;
    CHECK(chat_db_remove_if_empty(p, &removed, &err));
    CHECK(removed);
    CHECK(!exists(p));
    char side[600];
    snprintf(side, sizeof side, "%s-wal", p);
    CHECK(!exists(side));
    CHECK(!chat_db_begin(waiting, &err));
    CHECK_STR_CONTAINS(err.msg, "removed or replaced");
    ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, "k-1", "Kept", 2, 1);
    ChatPutResult r;
    CHECK(!chat_db_put(waiting, &c, &r, &err));
    chat_db_close(waiting);
    CHECK(!exists(p));
    // A database with a chat stays.
    ChatDb *db = chat_db_open(p, 0, &err);
    REQUIRE(db);
    CHECK(chat_db_put(db, &c, &r, &err));
    chat_db_close(db);
    CHECK(chat_db_remove_if_empty(p, &removed, &err));
    CHECK(!removed);
    CHECK(exists(p));
    remove_db(p);
    ak_arena_release(a);
}

// Damage the check can see: an index entry with no row, a page overwritten.
static void test_check_finds_damage(void) {
    ChatError err = {{0}};
    ChatDb *db = open_fresh("damage.db");
    REQUIRE(db);
    AkArena *a = ak_arena_create(.name = "test");
    ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, "d-1", "Damage", 3, 1);
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    CHECK(chat_db_check(db, &err));
    REQUIRE(sqlite3_exec(chat_db_handle(db), "INSERT INTO msg_fts(rowid, text) VALUES (424242, 'ghost')",
                         NULL, NULL, NULL) == SQLITE_OK);
    CHECK(!chat_db_check(db, &err));
    CHECK_STR_CONTAINS(err.msg, "message index");
    chat_db_close(db);

    // The store's own rules: counts, ordinals, text ranges. Each broken one is a finding.
    ChatConv c2 = make_conv(a, CHAT_SOURCE_CLAUDE, "d-2", "Rules", 6, 1);
    REQUIRE((db = open_fresh("rules.db")));
    REQUIRE(chat_db_put(db, &c2, &r, &err));
    sqlite3 *h = chat_db_handle(db);
    uint32_t n = 0;
    CHECK(chat_db_check_run(db, true, NULL, NULL, &n, &err));
    CHECK_EQ(n, 0);
    static const struct { const char *sql, *finding; } rules[] = {
        {"UPDATE chats SET message_count = 99", "message_count says 99, 6 messages stored"},
        {"UPDATE chats SET visible_count = 2", "visible_count says 2"},
        {"UPDATE messages SET ordinal = 40 WHERE ordinal = 5", "ordinals run 0..40"},
        {"UPDATE parts SET text_len = 100000 WHERE text IS NULL AND msg_ordinal = 0", "lies outside the message text"},
        {"UPDATE messages SET part_count = 7 WHERE ordinal = 3", "message 3: part_count says 7"},
    };
    REQUIRE(sqlite3_exec(h, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL) == SQLITE_OK); // damage as it comes
    for (size_t i = 0; i < AK_ARRAY_COUNT(rules); i++) {
        REQUIRE(sqlite3_exec(h, "SAVEPOINT t", NULL, NULL, NULL) == SQLITE_OK);
        // Writes that skip the FTS tables: chats' title and messages' text stay as indexed.
        CHECK_MSG(sqlite3_exec(h, rules[i].sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", rules[i].sql, sqlite3_errmsg(h));
        CHECK(!chat_db_check(db, &err));
        CHECK_STR_CONTAINS(err.msg, rules[i].finding);
        REQUIRE(sqlite3_exec(h, "ROLLBACK TO t; RELEASE t", NULL, NULL, NULL) == SQLITE_OK);
    }
    CHECK_MSG(chat_db_check(db, &err), "%s", err.msg);
    chat_db_close(db);

    // Garbage over a page in the middle of a closed database: open succeeds (the header is
    // fine), reading the damaged page fails with SQLite's own reason and the path.
    const char *p = tmp_path("damaged.db");
    make_real_db(p, 50);
    size_t len;
    char *b = read_file(p, &len);
    REQUIRE(b);
    for (size_t i = len / 2 - len / 2 % 4096; i < len / 2 - len / 2 % 4096 + 4096; i++) b[i] = (char)0xA5;
    write_file(p, b, len);
    free(b);
    db = chat_db_open(p, CHAT_DB_READONLY, &err);
    REQUIRE(db);
    CHECK(!chat_db_check(db, &err));
    CHECK_STR_CONTAINS(err.msg, p);
    chat_db_close(db);
    remove_db(p);
    ak_arena_release(a);
}

static void test_rollback(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("rollback.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r;
    ChatConv c1 = make_conv(a, CHAT_SOURCE_CLAUDE, "r-1", "Kept", 3, 1);
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c1, &r, &err));
    REQUIRE(chat_db_commit(db, &err));

    // A whole import rolled back: the new chat and the update both vanish.
    ChatConv c2 = make_conv(a, CHAT_SOURCE_CLAUDE, "r-2", "Dropped", 3, 1);
    ChatConv c1v2 = make_conv(a, CHAT_SOURCE_CLAUDE, "r-1", "Kept but changed", 4, 2);
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c2, &r, &err));
    REQUIRE(chat_db_put(db, &c1v2, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    chat_db_rollback(db);
    ChatDbStats st;
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 1);
    CHECK_EQ(st.messages, 3);
    CHECK_EQ(search_count(db, a, "Dropped", NULL), 0);
    CHECK_EQ(search_count(db, a, "changed", NULL), 0);
    CHECK_EQ(search_count(db, a, "Kept", NULL), 1);

    // One put fails midway (a message over SQLite's length limit): the transaction can then
    // only be rolled back; commit refuses and rolls back, so the database is as before.
    sqlite3_limit(chat_db_handle(db), SQLITE_LIMIT_LENGTH, 4000);
    ChatConv big = make_conv(a, CHAT_SOURCE_CLAUDE, "r-big", "Too big", 6, 1);
    char *longtext = ak_push_array(a, char, 5000);
    memset(longtext, 'w', 5000);
    big.msgs[4].text = ak_str(longtext, 5000);
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c2, &r, &err));
    CHECK(!chat_db_put(db, &big, &r, &err));
    CHECK_STR_CONTAINS(err.msg, "message 4 of conversation r-big");
    ChatConv c3 = make_conv(a, CHAT_SOURCE_CLAUDE, "r-3", "After the failure", 2, 1);
    CHECK(!chat_db_put(db, &c3, &r, &err));
    CHECK_STR_CONTAINS(err.msg, "roll it back");
    CHECK(!chat_db_commit(db, &err));
    CHECK_STR_CONTAINS(err.msg, "nothing committed");
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 1);
    CHECK_EQ(st.messages, 3);
    CHECK_EQ(search_count(db, a, "r-big", NULL), 0);
    ChatRow row;
    CHECK(!chat_db_find_chat(db, a, AK_STR("r-big"), &row, &err));
    CHECK(chat_db_check(db, &err));
    // The handle is usable again: a new transaction commits.
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c2, &r, &err));
    REQUIRE(chat_db_put(db, &c3, &r, &err));
    REQUIRE(chat_db_commit(db, &err));

    // Outside a transaction a failing put is its own transaction and leaves nothing either.
    CHECK(!chat_db_put(db, &big, &r, &err));
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 3);
    sqlite3_limit(chat_db_handle(db), SQLITE_LIMIT_LENGTH, 1000000000);
    REQUIRE(chat_db_put(db, &big, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_ADDED);

    // Closing with an open transaction rolls it back.
    ChatConv c4 = make_conv(a, CHAT_SOURCE_CLAUDE, "r-4", "Never committed", 2, 1);
    REQUIRE(chat_db_begin(db, &err));
    REQUIRE(chat_db_put(db, &c4, &r, &err));
    const char *path = tmp_path("rollback.db");
    chat_db_close(db);
    REQUIRE((db = chat_db_open(path, CHAT_DB_READONLY, &err)));
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, 4);
    chat_db_close(db);
    ak_arena_release(a);
}

// Text is indexed in batches inside a write transaction. A chat replaced twice in one
// transaction, before and after its first version was indexed, leaves the index exact.
static void test_batched_index(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("batched.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r;
    for (int batch = 0; batch < 2; batch++) {
        chat_db_set_index_batch(db, batch ? 1 : AK_GB(1)); // after every put, or only at commit
        char uuid[16];
        snprintf(uuid, sizeof uuid, "b-%d", batch);
        REQUIRE(chat_db_begin(db, &err));
        for (int v = 1; v <= 3; v++) {
            ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, uuid, v == 3 ? "final title" : "draft title", 3 + v, v);
            REQUIRE(chat_db_put(db, &c, &r, &err));
            CHECK_EQ(r.status, v == 1 ? CHAT_PUT_ADDED : CHAT_PUT_UPDATED);
        }
        ChatConv other = make_conv(a, CHAT_SOURCE_CHATGPT, "b-other", "other", 2, batch);
        REQUIRE(chat_db_put(db, &other, &r, &err));
        REQUIRE(chat_db_commit(db, &err));
        CHECK(chat_db_check(db, &err));
        if (err.msg[0]) printf("  batch %d: %s\n", batch, err.msg);
        char q[64];
        snprintf(q, sizeof q, "\"%s version 3\"", uuid);
        CHECK_EQ(search_count(db, a, q, NULL), 6);
        snprintf(q, sizeof q, "\"%s version 2\"", uuid);
        CHECK_EQ(search_count(db, a, q, NULL), 0);
        CHECK_EQ(search_count(db, a, "zanzibar 3", NULL), (uint64_t)batch + 1); // b-0, then b-1 too
        CHECK_EQ(search_count(db, a, "zanzibar 2", NULL), 0);
        CHECK_EQ(search_count(db, a, "draft", NULL), 0);
    }
    CHECK_EQ(search_count(db, a, "final title", NULL), 2);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_find_chat(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("find.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r1, r2, r3, r;
    ChatConv c1 = make_conv(a, CHAT_SOURCE_CLAUDE, "3f2a9c10-aaaa", "One", 1, 1);
    ChatConv c2 = make_conv(a, CHAT_SOURCE_CLAUDE, "3f2a9c10-bbbb", "Two", 1, 1);
    ChatConv c3 = make_conv(a, CHAT_SOURCE_CHATGPT, "3f2a", "Three", 1, 1);
    REQUIRE(chat_db_put(db, &c1, &r1, &err));
    REQUIRE(chat_db_put(db, &c2, &r2, &err));
    REQUIRE(chat_db_put(db, &c3, &r3, &err));
    ChatRow row;
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)r2.chat_id);
    REQUIRE(chat_db_find_chat(db, a, ak_str_cstr(idbuf), &row, &err));
    CHECK(str_is(row.title, "Two"));
    REQUIRE(chat_db_find_chat(db, a, AK_STR("3f2a9c10-aaaa"), &row, &err));
    CHECK_EQ(row.id, r1.chat_id);
    REQUIRE(chat_db_find_chat(db, a, AK_STR("3f2a9c10-b"), &row, &err));
    CHECK_EQ(row.id, r2.chat_id);
    REQUIRE(chat_db_find_chat(db, a, AK_STR("3f2a"), &row, &err)); // exact beats prefix
    CHECK_EQ(row.id, r3.chat_id);
    CHECK(!chat_db_find_chat(db, a, AK_STR("3f2a9"), &row, &err));
    CHECK_STR_CONTAINS(err.msg, "matches several chats");
    CHECK(!chat_db_find_chat(db, a, AK_STR("zzz"), &row, &err));
    CHECK_STR_CONTAINS(err.msg, "no chat has");
    CHECK(!chat_db_find_chat(db, a, AK_STR("999999"), &row, &err));
    CHECK_STR_CONTAINS(err.msg, "no chat with id 999999");
    CHECK(!chat_db_find_chat(db, a, AK_STR(""), &row, &err));
    // The same uuid from both sources: ambiguous.
    ChatConv c4 = make_conv(a, CHAT_SOURCE_CHATGPT, "3f2a9c10-aaaa", "One again", 1, 1);
    REQUIRE(chat_db_put(db, &c4, &r, &err));
    CHECK(!chat_db_find_chat(db, a, AK_STR("3f2a9c10-aaaa"), &row, &err));
    CHECK_STR_CONTAINS(err.msg, "several");
    chat_db_close(db);
    ak_arena_release(a);
}

// A long chat loads whole and in order (timings are in bench/db_bench.c, not here).
static void test_long_chat(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("long.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatConv c = make_conv(a, CHAT_SOURCE_CLAUDE, "long", "Long chat", 1000, 1);
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    chat_db_close(db);
    REQUIRE((db = chat_db_open(tmp_path("long.db"), CHAT_DB_READONLY, &err)));
    Collected *col = calloc(1, sizeof *col);
    col->a = a;
    REQUIRE(chat_db_each_message(db, r.chat_id, true, collect_msg, col, &err));
    CHECK_EQ(col->n, 1000);
    for (uint32_t i = 0; i < col->n; i++) {
        CHECK_EQ(col->ordinals[i], i);
        CHECK(ak_str_eq(col->msgs[i].text, c.msgs[i].text));
        CHECK_EQ(col->msgs[i].part_count, c.msgs[i].part_count);
    }
    free(col);
    chat_db_close(db);
    ak_arena_release(a);
}

// A chat stored again with more messages keeps its leading stored ones (db.c "Merging"): only
// the new ones are written and indexed, and the result reads and checks as a replace would.
static void test_merge_grown(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = open_fresh("merge.db");
    REQUIRE(db);
    ChatError err = {{0}};
    ChatPutResult r;
    ChatConv c5 = make_conv(a, CHAT_SOURCE_CLAUDE_CODE, "u-m", "Session", 5, 1);
    REQUIRE(chat_db_put(db, &c5, &r, &err));
    uint64_t merged = chat_db_merged_messages(db);
    ChatConv c8 = make_conv(a, CHAT_SOURCE_CLAUDE_CODE, "u-m", "Session, later", 8, 1);
    REQUIRE(chat_db_put(db, &c8, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    CHECK_EQ(chat_db_merged_messages(db) - merged, 5); // the 5 stored ones kept, 3 written
    CHECK(chat_db_check(db, &err));
    CHECK_EQ(search_count(db, a, "\"u-m version 1\"", NULL), 8);
    CHECK_EQ(search_count(db, a, "later", NULL), 1); // the new title indexed, the old one gone
    CHECK_EQ(search_count(db, a, "\"message 7 of u-m\"", NULL), 1);
    Collected col = {.a = a};
    REQUIRE(chat_db_each_message(db, r.chat_id, false, collect_msg, &col, &err));
    CHECK_EQ(col.n, 8);
    for (uint32_t i = 0; i < col.n && i < 8; i++) CHECK(ak_str_eq(col.msgs[i].text, c8.msgs[i].text));
    // Its first message changed: nothing kept, replaced as a whole.
    merged = chat_db_merged_messages(db);
    ChatConv c9 = make_conv(a, CHAT_SOURCE_CLAUDE_CODE, "u-m", "Session, rewritten", 9, 2);
    REQUIRE(chat_db_put(db, &c9, &r, &err));
    CHECK_EQ(chat_db_merged_messages(db) - merged, 0);
    CHECK_EQ(search_count(db, a, "\"u-m version 1\"", NULL), 0);
    CHECK(chat_db_check(db, &err));
    // The source files table: made on the first put, a row reads back as written.
    ChatFileStamp st = {0}, want = {12345, 1700000000123456789, 12000, 0xfeedfacecafebeefull};
    bool found = true;
    REQUIRE(chat_db_file_get(db, "/x/s.jsonl", &st, &found, &err));
    CHECK(!found);
    REQUIRE(chat_db_file_put(db, "/x/s.jsonl", CHAT_SOURCE_CODEX, &want, &err));
    REQUIRE(chat_db_file_get(db, "/x/s.jsonl", &st, &found, &err));
    CHECK(found && st.size == want.size && st.mtime_ns == want.mtime_ns && st.offset == want.offset &&
          st.fingerprint == want.fingerprint);
    chat_db_close(db);
    ak_arena_release(a);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_db.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_create_and_reopen);
    RUN(test_round_trip);
    RUN(test_put_statuses);
    RUN(test_older_copy_kept_newer);
    RUN(test_search);
    RUN(test_search_visible_only);
    RUN(test_search_hostile_input);
    RUN(test_bad_files);
    RUN(test_check_finds_damage);
    RUN(test_hot_journal);
    RUN(test_remove_if_empty);
    RUN(test_rollback);
    RUN(test_batched_index);
    RUN(test_find_chat);
    RUN(test_long_chat);
    RUN(test_merge_grown);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    ak_scratch_release_thread();
    return test_finish();
}
