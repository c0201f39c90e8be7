// Full-text search folds case and accents beyond Latin (issue 14 item 9): the tokenizer folds
// every token as title filters fold (textfold.h), so "γεια" finds "Γειά" and "елка" finds
// "Ёлка", in message text, separately stored parts, titles and the slices of a text over 1 MB.
// A database of schema 1 (its index made by the old tokenizer) reads as it was indexed when
// opened read-only, and the first write open rebuilds every index, slices included, with no
// data lost.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"
#include "chat/tokenizer.h"

#include <sqlite3.h>

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

// Three chats: Greek (title, message, an attachment stored as a part of its own), Cyrillic,
// and one whose message is over 1 MB (stored in slices) with a Greek word near its end.
static bool fill(ChatDb *db, AkArena *a) {
    ChatError err = {{0}};
    static ChatPart att[2];
    att[0] = (ChatPart){.kind = CHAT_PART_TEXT, .text = ak_str_cstr("Γειά σου κόσμε")};
    att[1] = (ChatPart){.kind = CHAT_PART_ATTACHMENT, .name = ak_str_cstr("Σημειώσεις.txt"),
                        .text = ak_str_cstr("Καλημέρα από την Αθήνα")};
    ChatMsg m1 = {.uuid = ak_str_cstr("g1"), .role = CHAT_ROLE_USER, .created = 1.7e9,
                  .text = ak_str_cstr("Γειά σου κόσμε"), .parts = att, .part_count = 2, .visible = true,
                  .sibling_index = 1, .sibling_count = 1};
    ChatConv greek = {.source = CHAT_SOURCE_CLAUDE, .uuid = ak_str_cstr("greek"), .title = ak_str_cstr("Ελληνικά κείμενα"),
                      .created = 1.7e9, .updated = 1.7e9, .msgs = &m1, .msg_count = 1, .visible_count = 1};
    ChatMsg m2 = {.uuid = ak_str_cstr("c1"), .role = CHAT_ROLE_USER, .created = 1.7e9,
                  .text = ak_str_cstr("Ёлка и ВЫРАВНИВАНИЕ памяти"), .visible = true, .sibling_index = 1,
                  .sibling_count = 1};
    ChatConv cyr = {.source = CHAT_SOURCE_CHATGPT, .uuid = ak_str_cstr("cyrillic"), .title = ak_str_cstr("Память"),
                    .created = 1.7e9, .updated = 1.7e9, .msgs = &m2, .msg_count = 1, .visible_count = 1};
    uint64_t size = AK_MB(1) + 4096, n = 0;
    char *big = ak_arena_push_nz(a, size + 64, 1);
    if (!big) return false;
    while (n < size) memcpy(big + n, "filler ", 7), n += 7;
    n += (uint64_t)snprintf(big + n, 64, "ΓΕΙΆ τέλος");
    ChatMsg m3 = {.uuid = ak_str_cstr("b1"), .role = CHAT_ROLE_ASSISTANT, .created = 1.7e9, .text = ak_str(big, n),
                  .visible = true, .sibling_index = 1, .sibling_count = 1};
    ChatConv bigc = {.source = CHAT_SOURCE_CLAUDE, .uuid = ak_str_cstr("big"), .title = ak_str_cstr("Big"),
                     .created = 1.7e9, .updated = 1.7e9, .msgs = &m3, .msg_count = 1, .visible_count = 1};
    ChatPutResult r;
    bool ok = chat_db_put(db, &greek, &r, &err) && chat_db_put(db, &cyr, &r, &err) && chat_db_put(db, &bigc, &r, &err);
    if (!ok) printf("  put: %s\n", err.msg);
    return ok;
}

// Hits of a query, and which kinds: bit 0 title, 1 message, 2 part; -1 on an error.
static int hits(ChatDb *db, AkArena *a, const char *q, unsigned *kinds) {
    ChatHit *h;
    uint32_t n = 0;
    ChatError err = {{0}};
    if (!chat_db_search(db, a, q, &(ChatSearchOpts){.limit = 50, .operators = true}, &h, &n, &err)) {
        printf("  search '%s': %s\n", q, err.msg);
        return -1;
    }
    if (kinds) {
        *kinds = 0;
        for (uint32_t i = 0; i < n; i++) *kinds |= 1u << h[i].kind;
    }
    return (int)n;
}

static int64_t sql_int(ChatDb *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(chat_db_handle(db), sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_fold_every_script(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(tmp_path("fold.db"), 0, &err);
    REQUIRE(db);
    REQUIRE(fill(db, a));
    unsigned k = 0;
    CHECK_EQ(hits(db, a, "γεια", &k), 2); // the message (its text part is a range of it) and the big text
    CHECK(k == 2u);
    CHECK_EQ(hits(db, a, "γεια σου", &k), 1);
    CHECK(k == 2u);
    CHECK_EQ(hits(db, a, "ΓΕΙΑ", NULL), hits(db, a, "γειά", NULL));
    CHECK_EQ(hits(db, a, "ελληνικα", &k), 1); // the title
    CHECK(k == 1u);
    CHECK_EQ(hits(db, a, "καλημερα", &k), 1); // the attachment
    CHECK(k == 4u);
    CHECK_EQ(hits(db, a, "σημειωσεις", &k), 1); // the attachment's name
    CHECK_EQ(hits(db, a, "\"γεια τελος\"", NULL), 1); // the big text's slice
    CHECK_EQ(hits(db, a, "елка", NULL), 1);
    CHECK_EQ(hits(db, a, "выравнивание", NULL), 1);
    CHECK_EQ(hits(db, a, "памят*", NULL), 2); // a prefix folds too (the message and the title)
    CHECK_EQ(hits(db, a, "αθηνα -καλημερα", NULL), 0);
    chat_db_close(db);
    ak_arena_release(a);
}

// The tables as schema 1 made them, from a database this chatlog wrote: each full-text table
// declared `tokenize='chatlog'` and rebuilt, user_version 1.
static bool make_v1(ChatDb *db) {
    static const char sql[] =
        "BEGIN;"
        "DROP TABLE title_fts; CREATE VIRTUAL TABLE title_fts USING fts5(title, content='chats', content_rowid='id',"
        " tokenize='chatlog'); INSERT INTO title_fts(title_fts) VALUES('rebuild');"
        "DROP TABLE msg_fts; CREATE VIRTUAL TABLE msg_fts USING fts5(text, content='messages', content_rowid='id',"
        " tokenize='chatlog'); INSERT INTO msg_fts(msg_fts) VALUES('rebuild');"
        "DROP TABLE part_fts; CREATE VIRTUAL TABLE part_fts USING fts5(name, text, content='parts', content_rowid='id',"
        " tokenize='chatlog'); INSERT INTO part_fts(part_fts) VALUES('rebuild');"
        "DROP TABLE slice_fts; CREATE VIRTUAL TABLE slice_fts USING fts5(text, content='text_slices',"
        " content_rowid='id', tokenize='chatlog'); INSERT INTO slice_fts(slice_fts) VALUES('rebuild');"
        "PRAGMA user_version=1; COMMIT;";
    char *msg = NULL;
    if (sqlite3_exec(chat_db_handle(db), sql, NULL, NULL, &msg) == SQLITE_OK) return true;
    printf("  making a schema-1 database: %s\n", msg);
    sqlite3_free(msg);
    return false;
}

static void test_upgrade_old_index(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    const char *path = tmp_path("v1.db");
    ChatDb *db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    REQUIRE(fill(db, a));
    REQUIRE(make_v1(db));
    CHECK_EQ(hits(db, a, "γεια", NULL), 0); // the old tokenizer kept the tonos
    chat_db_close(db);

    // Read-only: searched as indexed, and said to be outdated.
    db = chat_db_open(path, CHAT_DB_READONLY, &err);
    REQUIRE(db);
    CHECK(chat_db_index_outdated(db));
    CHECK_EQ(sql_int(db, "PRAGMA user_version"), 1);
    CHECK_EQ(hits(db, a, "γεια", NULL), 0);
    CHECK_EQ(hits(db, a, "γειά", NULL), 2); // the message and the big text, as schema 1 found them
    chat_db_close(db);

    // The first write open rebuilds every index; nothing else changes.
    db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    CHECK(!chat_db_index_outdated(db));
    CHECK_EQ(sql_int(db, "PRAGMA user_version"), CHAT_DB_SCHEMA_VERSION);
    CHECK_EQ(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('title_fts', 'msg_fts', 'part_fts',"
                         " 'slice_fts') AND sql LIKE '%tokenize=''chatlog fold''%'"), 4);
    CHECK_EQ(sql_int(db, "SELECT count(*) FROM messages"), 3);
    CHECK_EQ(sql_int(db, "SELECT count(*) FROM chats"), 3);
    CHECK(sql_int(db, "SELECT count(*) FROM text_slices") >= 2);
    unsigned k = 0;
    CHECK_EQ(hits(db, a, "γεια", &k), 2);
    CHECK(k == 2u);
    CHECK_EQ(hits(db, a, "\"γεια τελος\"", NULL), 1); // in the slices
    CHECK_EQ(hits(db, a, "ελληνικα", NULL), 1);
    CHECK_EQ(hits(db, a, "καλημερα", NULL), 1);
    CHECK_EQ(hits(db, a, "елка", NULL), 1);
    CHECK_MSG(chat_db_check(db, &err), "check after the rebuild: %s", err.msg);
    chat_db_close(db);
    db = chat_db_open(path, CHAT_DB_READONLY, &err); // and it stays rebuilt
    REQUIRE(db);
    CHECK(!chat_db_index_outdated(db));
    CHECK_EQ(hits(db, a, "γεια", NULL), 2);
    chat_db_close(db);
    ak_arena_release(a);
}

// A table declared with a tokenizer argument this chatlog does not know is refused, not read
// with the wrong folding.
static void test_unknown_tokenizer_argument(void) {
    sqlite3 *s = NULL;
    REQUIRE(sqlite3_open(":memory:", &s) == SQLITE_OK);
    REQUIRE(chat_fts_register(s) == SQLITE_OK);
    CHECK(sqlite3_exec(s, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='chatlog fold')", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(s, "CREATE VIRTUAL TABLE u USING fts5(x, tokenize='chatlog fold3')", NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(s);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_search_fold.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_fold_every_script);
    RUN(test_upgrade_old_index);
    RUN(test_unknown_tokenizer_argument);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    ak_scratch_release_thread();
    return test_finish();
}
