// Search operators (ChatSearchOpts.operators, what `chatlog search` uses): a OR b, -word and
// NOT word, with OR binding tighter than the implicit AND; without the flag they stay plain
// words. Hostile input is never an FTS5 syntax error either way.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"

static char tmp_dir[256];

static ChatConv one_message(const char *uuid, const char *text, ChatMsg *m, ChatPart *p) {
    *p = (ChatPart){.kind = CHAT_PART_TEXT, .text = ak_str_cstr(text)};
    *m = (ChatMsg){.uuid = ak_str_cstr("m"), .role = CHAT_ROLE_USER, .created = 1.7e9, .text = ak_str_cstr(text),
                   .parts = p, .part_count = 1, .visible = true, .sibling_index = 1, .sibling_count = 1};
    return (ChatConv){.source = CHAT_SOURCE_CLAUDE, .uuid = ak_str_cstr(uuid), .title = ak_str_cstr("Fruit"),
                      .created = 1.7e9, .updated = 1.7e9, .msgs = m, .msg_count = 1, .visible_count = 1};
}

static int count(ChatDb *db, AkArena *a, const char *q, bool operators) {
    ChatHit *h;
    uint32_t n = 0;
    ChatError err = {{0}};
    if (!chat_db_search(db, a, q, &(ChatSearchOpts){.operators = operators}, &h, &n, &err)) {
        printf("  search '%s': %s\n", q, err.msg);
        return -1;
    }
    return (int)n;
}

static ChatDb *fruit_db(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, 0, &err);
    if (!db) { printf("  %s\n", err.msg); return NULL; }
    static const char *const texts[][2] = {
        {"f1", "apple banana"}, {"f2", "apple cherry"}, {"f3", "banana cherry"}, {"f4", "durian"},
        {"f5", "OR NOT and -minus"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(texts); i++) {
        ChatMsg m;
        ChatPart p;
        ChatConv c = one_message(texts[i][0], texts[i][1], &m, &p);
        ChatPutResult r;
        if (!chat_db_put(db, &c, &r, &err)) { printf("  %s\n", err.msg); chat_db_close(db); return NULL; }
    }
    return db;
}

static void test_operators(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = fruit_db("ops.db");
    REQUIRE(db);
    CHECK_EQ(count(db, a, "apple OR durian", true), 3);
    CHECK_EQ(count(db, a, "apple -banana", true), 1);
    CHECK_EQ(count(db, a, "apple NOT cherry", true), 1);
    CHECK_EQ(count(db, a, "banana cherry OR durian", true), 1); // banana and (cherry or durian)
    CHECK_EQ(count(db, a, "durian OR apple banana", true), 1);  // (durian or apple) and banana
    CHECK_EQ(count(db, a, "apple OR banana -cherry", true), 1);
    CHECK_EQ(count(db, a, "OR apple", true), 2);  // a leading or trailing OR joins nothing
    CHECK_EQ(count(db, a, "apple OR", true), 2);
    CHECK_EQ(count(db, a, "\"apple banana\" OR durian", true), 2);
    CHECK_EQ(count(db, a, "appl* -cherry", true), 1);
    CHECK_EQ(count(db, a, "\"OR\" \"NOT\"", true), 1); // quoted, they are words
    CHECK_EQ(count(db, a, "-", true), 0);              // a lone dash is punctuation
    // Exclusions only: an error that says why.
    ChatHit *h;
    uint32_t n;
    ChatError err = {{0}};
    CHECK(!chat_db_search(db, a, "-apple NOT banana", &(ChatSearchOpts){.operators = true}, &h, &n, &err));
    CHECK_STR_CONTAINS(err.msg, "excluded");
    // Without the flag the operators are words, as before.
    CHECK_EQ(count(db, a, "apple OR durian", false), 0);
    CHECK_EQ(count(db, a, "OR NOT", false), 1);
    CHECK_EQ(count(db, a, "-minus", false), 1);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_operators_hostile_input(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatDb *db = fruit_db("hostile.db");
    REQUIRE(db);
    static const char *const inputs[] = {
        "OR", "NOT", "OR OR OR", "NOT NOT", "- -", "-\"", "-\"a b\"", "a OR -b", "a NOT -b", "-a* b",
        "NOT \"", "(a OR b)", "a OR (b", "\"a\" OR \"", "a -- b", "--a", "a-b OR c-d", "NOT*", "OR*", "-*",
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(inputs); i++) {
        ChatHit *h;
        uint32_t n = 0;
        ChatError err = {{0}};
        bool ok = chat_db_search(db, a, inputs[i], &(ChatSearchOpts){.operators = true}, &h, &n, &err);
        CHECK_MSG(ok || strstr(err.msg, "excluded"), "input '%s': %s", inputs[i], err.msg);
    }
    uint64_t seed = 7;
    char q[120];
    for (int round = 0; round < (int)(2000 * test_scale()) + 20; round++) {
        size_t len = 1 + (size_t)(seed % (sizeof q - 1));
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            static const char alphabet[] = "ab \"*()-:ORNTO \xc3\xa9";
            q[i] = alphabet[(seed >> 40) % (sizeof alphabet - 1)];
        }
        q[len] = 0;
        ChatHit *h;
        uint32_t n = 0;
        ChatError err = {{0}};
        bool ok = chat_db_search(db, a, q, &(ChatSearchOpts){.operators = true}, &h, &n, &err);
        CHECK_MSG(ok || strstr(err.msg, "excluded") || strstr(err.msg, "words; use fewer"), "input '%s': %s", q, err.msg);
        ak_arena_clear(a);
    }
    chat_db_close(db);
    ak_arena_release(a);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_search_ops.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_operators);
    RUN(test_operators_hostile_input);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    ak_scratch_release_thread();
    return test_finish();
}
