// Large texts in the chat store: a 50 MB message and a big attachment import, open and are
// found under chatlog's default budget (256 MB, a quarter of it for SQLite), and re-importing
// a changed version replaces their slices; loaded chats whose text parts are ranges of the
// message text stay inside the loaded-chat budget (measured on the message arenas, not taken
// from the LRU's own count); search over a message with a match in every few words answers
// with a snippet around a hit instead of scanning every match. Sizes follow AK_TEST_SCALE, so
// the valgrind run stays short; under ASan the messages are 50 and 16 MB.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"
#include "chat/sqlmem.h"
#include "chat/store.h"

#include <sqlite3.h>

#include <sys/stat.h>

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

// `bytes` of words on `a`, with `word` every 8th word (so it matches all through the text).
static AkStr words_text(AkArena *a, uint64_t bytes, const char *word) {
    static const char *const pool[] = {"reserve", "commit", "page", "block", "list", "free", "chunk", "budget"};
    char *p = ak_arena_push_nz(a, bytes + 64, 1);
    if (!p) return ak_str("", 0);
    uint64_t n = 0;
    for (uint64_t w = 0; n < bytes; w++) {
        const char *s = w % 8 == 5 && word ? word : pool[rng() % 8];
        size_t len = strlen(s);
        memcpy(p + n, s, len);
        n += len;
        if (w % 8 == 7) n += (uint64_t)snprintf(p + n, 16, "%u", (unsigned)(rng() % 100000));
        p[n++] = ' ';
    }
    return ak_str(p, n);
}

// One message whose text is a big text part, a blank line and a short one, as the importers
// join them: both parts are byte ranges of the message text, stored once (db.h).
static ChatConv big_conv(AkArena *a, const char *uuid, AkStr body, ChatMsg *msg, ChatPart parts[2]) {
    static const char tail[] = "the short second part";
    uint64_t n = body.len + 2 + sizeof tail - 1;
    char *t = ak_arena_push_nz(a, n, 1);
    memcpy(t, body.ptr, body.len);
    memcpy(t + body.len, "\n\n", 2);
    memcpy(t + body.len + 2, tail, sizeof tail - 1);
    parts[0] = (ChatPart){.kind = CHAT_PART_TEXT, .text = ak_str(t, body.len)};
    parts[1] = (ChatPart){.kind = CHAT_PART_TEXT, .text = ak_str(t + body.len + 2, sizeof tail - 1)};
    *msg = (ChatMsg){.uuid = ak_str_cstr("m1"), .role = CHAT_ROLE_USER, .created = 1.7e9, .text = ak_str(t, n),
                     .parts = parts, .part_count = 2, .visible = true, .sibling_index = 1, .sibling_count = 1};
    return (ChatConv){.source = CHAT_SOURCE_CLAUDE, .uuid = ak_str_cstr(uuid), .title = ak_str_cstr("Big"),
                      .created = 1.7e9, .updated = 1.7e9, .msgs = msg, .msg_count = 1, .visible_count = 1};
}

// Committed bytes of every message arena (the LRU's records), read from the pool.
static uint64_t message_arenas_committed(void) {
    static AkPoolEntry e[AK_POOL_SLOTS];
    uint32_t n = ak_pool_snapshot(e, AK_POOL_SLOTS);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        if (e[i].name && !strcmp(e[i].name, "chat messages")) sum += e[i].stats.committed;
    return sum;
}

// Chats of 30% to 90% of the budget each, walked twice (the second time reusing parked
// arenas of other sizes): after every load the message arenas together hold at most the
// budget, and a text part is a view into its message's text, not a second copy.
static void test_loaded_budget_holds(void) {
    const uint64_t budget = (uint64_t)(AK_MB(12) * test_scale()) + AK_MB(2);
    const uint32_t chats = 8;
    const char *path = tmp_path("budget.db");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    AkArena *a = ak_arena_create(.name = "test", .reserve = AK_GB(1));
    for (uint32_t i = 0; i < chats; i++) {
        AkTemp t = ak_temp_begin(a);
        uint64_t size = budget * (30 + (i * 37) % 61) / 100;
        ChatMsg msg;
        ChatPart parts[2];
        char uuid[32];
        snprintf(uuid, sizeof uuid, "chat-%u", i);
        ChatConv c = big_conv(a, uuid, words_text(a, size, NULL), &msg, parts);
        ChatPutResult r;
        CHECK_MSG(chat_db_put(db, &c, &r, &err), "put %u: %s", i, err.msg);
        ak_temp_end(t);
    }
    chat_db_close(db);

    ChatStoreConfig cfg = {.path = path, .read_only = true, .lru = {.budget = budget}};
    ChatStore *s = chat_store_open(&cfg, &err);
    REQUIRE(s);
    uint64_t peak = 0, peak_used = 0;
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t k = 0; k < chats; k++) {
            uint32_t h = round ? (k * 5 + 3) % chats : k;
            ChatMessages *m = chat_store_open_chat(s, h, &err);
            CHECK_MSG(m && chat_store_wait(s, m, &err), "open chat %u: %s", h, err.msg);
            if (m && chat_messages_state(m) == CHAT_LOAD_READY) {
                ChatMessage *msg = ChatMessageArray_get(&m->msgs, 0);
                CHECK_EQ(msg->part_count, 2);
                if (msg->part_count == 2) {
                    CHECK(msg->parts[0].text.ptr == msg->text.ptr);
                    CHECK(msg->parts[1].text.ptr == msg->text.ptr + msg->text.len - msg->parts[1].text.len);
                    CHECK(ak_str_eq(msg->parts[1].text, ak_str_cstr("the short second part")));
                }
            }
            peak = AK_MAX(peak, message_arenas_committed());
            peak_used = AK_MAX(peak_used, chat_lru_stats(s->lru).used);
            chat_store_close_chat(s, m);
        }
    }
    CHECK_MSG(peak <= budget, "message arenas peaked at %llu bytes, over the budget of %llu",
              (unsigned long long)peak, (unsigned long long)budget);
    CHECK_MSG(peak_used <= budget, "the LRU counted %llu bytes, over the budget of %llu",
              (unsigned long long)peak_used, (unsigned long long)budget);
    printf("  budget %.1f MB: message arenas peaked at %.1f MB (LRU count %.1f MB)\n", budget / 1048576.0,
           peak / 1048576.0, peak_used / 1048576.0);
    chat_store_close(s);
    ak_arena_release(a);
}

// A message with the searched word every 8th word (16 MB under ASan; FTS5's snippet() took
// minutes at this size, its time grows with the square of the matches): the search returns
// one hit whose snippet is a few words around a marked match, and a phrase and a word found
// only near the end are marked too.
static void test_search_huge_message(void) {
    const uint64_t size = (uint64_t)(AK_MB(16) * test_scale());
    const char *path = tmp_path("search.db");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    AkArena *a = ak_arena_create(.name = "test", .reserve = AK_GB(1));
    AkStr body = words_text(a, size, "arena");
    // A rare word and a phrase near the end, next to the common word.
    memcpy((char *)body.ptr + body.len - 40, " quokka marsupial arena                ", 39);
    ChatMsg msg;
    ChatPart parts[2];
    ChatConv c = big_conv(a, "huge", body, &msg, parts);
    ChatPutResult r;
    REQUIRE(chat_db_put(db, &c, &r, &err));
    ChatSearchOpts o = {.snippet_tokens = 12};
    ChatHit *h;
    uint32_t n;
    REQUIRE(chat_db_search(db, a, "arena", &o, &h, &n, &err));
    REQUIRE(n == 1);
    CHECK_EQ(h[0].kind, CHAT_HIT_MESSAGE);
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "[arena]");
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "...");
    CHECK_MSG(h[0].snippet.len < 400, "snippet of %llu bytes", (unsigned long long)h[0].snippet.len);
    REQUIRE(chat_db_search(db, a, "quokka", &o, &h, &n, &err));
    REQUIRE(n == 1);
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "[quokka] marsupial");
    REQUIRE(chat_db_search(db, a, "\"quokka marsupial\" arena", &o, &h, &n, &err));
    REQUIRE(n == 1);
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "[quokka marsupial]");
    CHECK_STR_CONTAINS(h[0].snippet.ptr, "[arena]");
    REQUIRE(chat_db_search(db, a, "arena*", &o, &h, &n, &err));
    CHECK_EQ(n, 1);
    chat_db_close(db);
    ak_arena_release(a);
}

// Words into a JSON string (no escaping needed), `word` every 8th word.
static void put_words(FILE *f, uint64_t bytes, const char *word) {
    static const char *const pool[] = {"reserve", "commit", "page", "block", "list", "free", "chunk", "budget"};
    uint64_t n = 0;
    for (uint64_t w = 0; n < bytes; w++) {
        const char *s = w % 8 == 5 && word ? word : pool[rng() % 8];
        n += (uint64_t)fprintf(f, w % 8 == 7 ? "%s%u " : "%s ", s, (unsigned)(rng() % 100000));
    }
}

// A Claude export of one chat: a message of `msg_bytes` with `tail` at its end, and an
// attachment of `att_bytes` with `att_tail` at its end.
static void write_export(const char *path, const char *updated, uint64_t msg_bytes, const char *tail,
                         uint64_t att_bytes, const char *att_tail) {
    FILE *f = fopen(path, "w");
    fprintf(f, "[{\"uuid\": \"big-1\", \"name\": \"Huge paste\", \"created_at\": \"2025-01-01T00:00:00Z\","
               " \"updated_at\": \"%s\", \"account\": {\"uuid\": \"a\"}, \"chat_messages\": ["
               "{\"uuid\": \"m1\", \"sender\": \"human\", \"created_at\": \"2025-01-01T00:00:00Z\", \"text\": \"\","
               " \"content\": [{\"type\": \"text\", \"text\": \"", updated);
    put_words(f, msg_bytes, "arena");
    fprintf(f, "%s\"}], \"attachments\": [{\"file_name\": \"log.txt\", \"file_type\": \"txt\", \"file_size\": 1,"
               " \"extracted_content\": \"", tail);
    put_words(f, att_bytes, NULL);
    fprintf(f, "%s\"}], \"files\": []},"
               "{\"uuid\": \"m2\", \"parent_message_uuid\": \"m1\", \"sender\": \"assistant\","
               " \"created_at\": \"2025-01-01T00:00:01Z\", \"text\": \"A short answer.\", \"attachments\": [],"
               " \"files\": []}]}]", att_tail);
    fclose(f);
}

static uint32_t hits_of(ChatStore *s, AkArena *a, const char *q, ChatHitKind *kind, AkStr *snippet) {
    ChatHit *h = NULL;
    uint32_t n = 0;
    ChatError err = {{0}};
    CHECK_MSG(chat_db_search(s->db, a, q, &(ChatSearchOpts){.limit = 50}, &h, &n, &err), "search %s: %s", q, err.msg);
    if (n && kind) *kind = h[0].kind;
    if (n && snippet) *snippet = h[0].snippet;
    return n;
}

static int64_t count_rows(ChatStore *s, const char *sql) {
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(chat_db_handle(s->db), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

// chatlog's default budget: 256 MB for the process, SQLite's heap limited to 64 MB of it. A
// 50 MB message and a 6 MB attachment import (FTS5 used to run out of memory past ~20 MB at
// any budget), the chat opens whole, both texts are found with a snippet at the hit, and an
// updated export replaces the texts, their slices and their index entries.
static void test_huge_text_default_budget(void) {
    ChatError err = {{0}};
    ak_os_set_commit_limit(AK_MB(256));
    REQUIRE(chat_sqlmem_install(AK_MB(64), &err));
    // At least two slices each, at any scale.
    const uint64_t msg_bytes = AK_MAX((uint64_t)(AK_MB(50) * test_scale()), AK_MB(2) + 1000);
    const uint64_t att_bytes = AK_MAX((uint64_t)(AK_MB(6) * test_scale()), AK_MB(1) + 1000);
    const char *json = tmp_path("huge.json"), *path = tmp_path("huge.db");
    write_export(json, "2025-01-01T00:00:00Z", msg_bytes, " wombat", att_bytes, " numbat");
    AkArena *a = ak_arena_create(.name = "test import", .reserve = AK_GB(1));
    ChatStoreConfig cfg = {.path = path};
    ChatStore *s = chat_store_open(&cfg, &err);
    CHECK_MSG(s, "open: %s", err.msg);
    ChatStoreImport res;
    if (s) CHECK_MSG(chat_store_import(s, a, json, NULL, &res, &err), "import: %s", err.msg);
    if (s && chat_store_refresh(s, &err)) {
        CHECK_EQ(chat_store_count(s), 1);
        CHECK(count_rows(s, "SELECT count(*) FROM text_slices") >= 2);
        ChatMessages *m = chat_store_open_chat(s, 0, &err);
        CHECK_MSG(m && chat_store_wait(s, m, &err), "open chat: %s", err.msg);
        if (m && chat_messages_state(m) == CHAT_LOAD_READY) {
            ChatMessage *first = ChatMessageArray_get(&m->msgs, 0);
            CHECK(first->text.len >= msg_bytes);
            CHECK(ak_str_ends_with(first->text, ak_str_cstr(" wombat")));
            bool att = false;
            for (uint32_t i = 0; i < first->part_count; i++)
                if (first->parts[i].kind == CHAT_PART_ATTACHMENT)
                    att = first->parts[i].text.len >= att_bytes &&
                          ak_str_ends_with(first->parts[i].text, ak_str_cstr(" numbat"));
            CHECK(att);
        }
        chat_store_close_chat(s, m);
        ChatHitKind kind = CHAT_HIT_TITLE;
        AkStr snip = {0};
        CHECK_EQ(hits_of(s, a, "wombat", &kind, &snip), 1);
        CHECK_EQ(kind, CHAT_HIT_MESSAGE);
        if (snip.ptr) CHECK_STR_CONTAINS(snip.ptr, "[wombat]");
        CHECK_EQ(hits_of(s, a, "numbat", &kind, &snip), 1);
        CHECK_EQ(kind, CHAT_HIT_PART);
        if (snip.ptr) CHECK_STR_CONTAINS(snip.ptr, "[numbat]");
        CHECK_EQ(hits_of(s, a, "arena", NULL, NULL), 1); // in every slice, one hit
        CHECK_MSG(chat_db_check(s->db, &err), "check: %s", err.msg);
        // A slice that lost a byte is damage `chatlog check` names.
        sqlite3 *h = chat_db_handle(s->db);
        REQUIRE(sqlite3_exec(h, "UPDATE text_slices SET len = len + 1 WHERE seq = 0", NULL, NULL, NULL) == SQLITE_OK);
        CHECK(!chat_db_check(s->db, &err));
        CHECK_STR_CONTAINS(err.msg, "slice");
        REQUIRE(sqlite3_exec(h, "UPDATE text_slices SET len = len - 1 WHERE seq = 0", NULL, NULL, NULL) == SQLITE_OK);
        CHECK_MSG(chat_db_check(s->db, &err), "check: %s", err.msg);
    }
    chat_store_close(s);

    // A newer export with other last words: the old ones are gone from the index.
    write_export(json, "2025-02-01T00:00:00Z", msg_bytes, " quagga", att_bytes, " dugong");
    s = chat_store_open(&cfg, &err);
    CHECK_MSG(s, "reopen: %s", err.msg);
    if (s) CHECK_MSG(chat_store_import(s, a, json, NULL, &res, &err), "import 2: %s", err.msg);
    if (s) {
        CHECK_EQ(res.updated, 1);
        CHECK_EQ(hits_of(s, a, "wombat", NULL, NULL), 0);
        CHECK_EQ(hits_of(s, a, "numbat", NULL, NULL), 0);
        CHECK_EQ(hits_of(s, a, "quagga", NULL, NULL), 1);
        CHECK_EQ(hits_of(s, a, "dugong", NULL, NULL), 1);
        CHECK(sqlite3_exec(chat_db_handle(s->db), "INSERT INTO slice_fts(slice_fts, rank) VALUES('integrity-check', 1)",
                           NULL, NULL, NULL) == SQLITE_OK);
        CHECK_EQ(count_rows(s, "SELECT count(DISTINCT doc) FROM text_slices"), 2);
    }
    chat_store_close(s);
    ak_arena_release(a);
    chat_sqlmem_uninstall();
    ak_os_set_commit_limit(0);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_bigtext.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_huge_text_default_budget); // first: SQLite's allocator is set before SQLite starts
    RUN(test_loaded_budget_holds);
    RUN(test_search_huge_message);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    ak_scratch_release_thread();
    return test_finish();
}
