// Search results grouped by chat (issue 14 item 8), the one grouping `chatlog search` and the
// browser both list (search.h): each chat once at its best hit, best first, "+N more", the
// number of chats and whether that count is a lower bound; and hits off the seen thread
// marked: another version of a message (with the branch it hangs in) or a hidden one.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/search.h"

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

typedef struct Msg {
    const char *uuid, *parent, *text;
    bool visible, hidden;
    uint32_t sibling_index, sibling_count;
} Msg;

static bool put(ChatDb *db, AkArena *a, const char *uuid, const char *title, const Msg *msgs, uint32_t n) {
    ChatMsg *m = ak_push_array(a, ChatMsg, n);
    uint32_t visible = 0;
    for (uint32_t i = 0; i < n; i++) {
        m[i] = (ChatMsg){.uuid = ak_str_cstr(msgs[i].uuid), .parent_uuid = ak_str_cstr(msgs[i].parent),
                         .role = i % 2 ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_USER, .created = 1.7e9 + i,
                         .text = ak_str_cstr(msgs[i].text), .visible = msgs[i].visible, .hidden = msgs[i].hidden,
                         .sibling_index = msgs[i].sibling_index, .sibling_count = msgs[i].sibling_count};
        visible += msgs[i].visible;
    }
    ChatConv c = {.source = CHAT_SOURCE_CLAUDE, .uuid = ak_str_cstr(uuid), .title = ak_str_cstr(title),
                  .created = 1.7e9, .updated = 1.7e9, .msgs = m, .msg_count = n, .visible_count = visible};
    ChatPutResult r;
    ChatError err = {{0}};
    if (chat_db_put(db, &c, &r, &err)) return true;
    printf("  put %s: %s\n", uuid, err.msg);
    return false;
}

static ChatHitGroups grouped(ChatDb *db, AkArena *a, const char *q, uint32_t limit, bool visible_only) {
    ChatHitGroups g = {0};
    ChatError err = {{0}};
    ChatSearchOpts o = {.limit = limit, .visible_only = visible_only, .operators = true};
    if (!chat_db_search_grouped(db, a, q, &o, &g, &err)) printf("  search '%s': %s\n", q, err.msg);
    return g;
}

static void test_groups(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(tmp_path("groups.db"), 0, &err);
    REQUIRE(db);
    // Three hits in one chat, one in another, a title in a third.
    static const Msg many[] = {{"a1", "", "kiwi kiwi kiwi", true, false, 1, 1}, {"a2", "a1", "kiwi again", true, false, 1, 1},
                               {"a3", "a2", "and kiwi", true, false, 1, 1}, {"a4", "a3", "nothing", true, false, 1, 1}};
    static const Msg one[] = {{"b1", "", "a kiwi among many other words here", true, false, 1, 1}};
    static const Msg none[] = {{"c1", "", "plain", true, false, 1, 1}};
    REQUIRE(put(db, a, "many", "Fruit", many, 4) && put(db, a, "one", "Other", one, 1) &&
            put(db, a, "title", "Kiwi notes", none, 1));
    ChatHitGroups g = grouped(db, a, "kiwi", 20, true);
    CHECK_EQ(g.count, 3u);
    CHECK_EQ(g.chats, 3u);
    CHECK_EQ(g.hits, 5u);
    CHECK(!g.capped);
    uint32_t more = 0, seen_many = 0;
    for (uint32_t i = 0; i < g.count; i++) {
        more += g.groups[i].more;
        if (ak_str_eq(g.groups[i].best.chat_uuid, AK_STR("many"))) {
            seen_many++;
            CHECK_EQ(g.groups[i].more, 2u);
        }
        for (uint32_t j = 0; j < i; j++) CHECK(g.groups[j].best.chat_id != g.groups[i].best.chat_id);
        if (i) CHECK(g.groups[i - 1].best.score <= g.groups[i].best.score); // best first
    }
    CHECK_EQ(more, 2u);
    CHECK_EQ(seen_many, 1u);
    // --limit 1: one chat listed, the count still says three.
    g = grouped(db, a, "kiwi", 1, true);
    CHECK_EQ(g.count, 1u);
    CHECK_EQ(g.chats, 3u);
    // No match, and a blank query: nothing, no error.
    g = grouped(db, a, "durian", 20, true);
    CHECK_EQ(g.count, 0u);
    CHECK_EQ(g.chats, 0u);
    g = grouped(db, a, "   ", 20, true);
    CHECK_EQ(g.count, 0u);
    // More hits than the cap looks at: the counts are lower bounds.
    uint32_t n = chat_search_group_cap(1) + 5;
    Msg *big = ak_push_array(a, Msg, n);
    char *uuids = ak_push_array(a, char, (uint64_t)n * 16);
    REQUIRE(big && uuids);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(uuids + 16 * i, 16, "z%u", i);
        big[i] = (Msg){uuids + 16 * i, i ? uuids + 16 * (i - 1) : "", "zebra stripes", true, false, 1, 1};
    }
    REQUIRE(put(db, a, "zebras", "Zoo", big, n));
    g = grouped(db, a, "zebra", 1, true);
    CHECK(g.capped);
    CHECK_EQ(g.hits, chat_search_group_cap(1));
    CHECK_EQ(g.count, 1u);
    CHECK_EQ(g.groups[0].more, chat_search_group_cap(1) - 1);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_off_thread_marked(void) {
    AkArena *a = ak_arena_create(.name = "test");
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(tmp_path("branches.db"), 0, &err);
    REQUIRE(db);
    // root -> answer -> {prompt v1 (off) -> reply (off), prompt v2 (seen) -> reply (seen)}, and a
    // hidden message on the thread.
    static const Msg msgs[] = {
        {"r", "", "root question", true, false, 1, 1},
        {"ra", "r", "root answer", true, false, 1, 1},
        {"p2", "ra", "mango second draft", true, false, 2, 2},
        {"p2a", "p2", "answer to the second", true, false, 1, 1},
        {"p1", "ra", "mango first draft", false, false, 1, 2},
        {"p1a", "p1", "papaya reply to the first", false, false, 1, 1},
        {"p1b", "p1a", "guava deeper still", false, false, 1, 1},
        {"h", "p2a", "lychee hidden context", false, true, 1, 1},
    };
    REQUIRE(put(db, a, "branchy", "Branchy", msgs, AK_ARRAY_COUNT(msgs)));
    ChatHitGroups g = grouped(db, a, "papaya", 20, false);
    REQUIRE(g.count == 1);
    CHECK(g.groups[0].best.off_thread);
    CHECK(!g.groups[0].best.hidden);
    CHECK_EQ(g.groups[0].best.branch_index, 1u); // under prompt version 1 of 2
    CHECK_EQ(g.groups[0].best.branch_count, 2u);
    g = grouped(db, a, "guava", 20, false);      // two levels below the branch point
    REQUIRE(g.count == 1);
    CHECK(g.groups[0].best.off_thread);
    CHECK_EQ(g.groups[0].best.branch_index, 1u);
    CHECK_EQ(g.groups[0].best.branch_count, 2u);
    g = grouped(db, a, "lychee", 20, false);
    REQUIRE(g.count == 1);
    CHECK(g.groups[0].best.hidden);
    CHECK(!g.groups[0].best.off_thread);
    // Both versions of the prompt: one chat, the other version counted as one more.
    g = grouped(db, a, "mango", 20, false);
    REQUIRE(g.count == 1);
    CHECK_EQ(g.groups[0].more, 1u);
    ChatHit *h;
    uint32_t n;
    REQUIRE(chat_db_search(db, a, "mango", &(ChatSearchOpts){.operators = true}, &h, &n, &err));
    REQUIRE(n == 2);
    for (uint32_t i = 0; i < n; i++) {
        bool first = h[i].ordinal == 4; // stored order: the seen thread first, then p1 at 4
        CHECK_EQ(h[i].off_thread, first);
        CHECK_EQ(h[i].branch_count, first ? 2u : 0u);
    }
    // The visible thread alone: none of them.
    CHECK_EQ(grouped(db, a, "papaya OR guava OR lychee", 20, true).count, 0u);
    CHECK_EQ(grouped(db, a, "root", 20, true).count, 1u);
    CHECK(!grouped(db, a, "root", 20, false).groups[0].best.off_thread);
    chat_db_close(db);
    ak_arena_release(a);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_search_groups.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_groups);
    RUN(test_off_thread_marked);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("could not remove %s\n", tmp_dir);
    ak_scratch_release_thread();
    return test_finish();
}
