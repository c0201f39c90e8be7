// The store's metadata at open (issue 16 item 7: a million messages inside the budget). The
// first load holds each chat's ChatMeta and its strings, ids found by binary search, models shared:
// no second map, no tables abandoned by doubling (at 80,000 chats the old layout took 33 MB,
// this one 18 MB). Later refreshes append and find by id as before, and a db_only store (what
// `chatlog search` opens) loads nothing and refuses what needs metadata with a message.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/store.h"

static char db_path[512];

#define S ak_str_pushf // a formatted string on the arena

// Chats [from, to): one message each, uuid "meta-N", title "chat N", model "m".
static bool put_range(ChatDb *db, AkArena *a, uint32_t from, uint32_t to, ChatError *err) {
    if (!chat_db_begin(db, err)) return false;
    for (uint32_t i = from; i < to; i++) {
        AkTemp t = ak_temp_begin(a);
        ChatMsg m = {.role = CHAT_ROLE_USER, .created = 1700000000.0 + i, .text = S(a, "text of chat %u", i),
                     .visible = true, .sibling_index = 1, .sibling_count = 1};
        ChatConv c = {.source = CHAT_SOURCE_CLAUDE, .uuid = S(a, "meta-%u", i), .title = S(a, "chat %u", i),
                      .model = AK_STR("m"), .created = 1700000000.0 + i, .updated = 1700000000.0 + i,
                      .msg_count = 1, .visible_count = 1, .msgs = &m};
        ChatPutResult r;
        bool ok = chat_db_put(db, &c, &r, err);
        ak_temp_end(t);
        if (!ok) return chat_db_rollback(db), false;
    }
    return chat_db_commit(db, err);
}

enum { FIRST = 1500, MORE = 40 };

static void test_first_load_is_tight(void) {
    ChatError err = {{0}};
    AkArena *a = ak_arena_create(.name = "test");
    REQUIRE(a);
    ChatDb *db = chat_db_open(db_path, 0, &err);
    REQUIRE(db);
    REQUIRE(put_range(db, a, 0, FIRST, &err));
    ChatStoreConfig cfg = {.path = db_path, .read_only = true};
    ChatStore *s = chat_store_open(&cfg, &err);
    REQUIRE(s);
    CHECK_EQ(chat_store_count(s), FIRST);
    // Every id finds its own handle (the map filled after the scan).
    uint64_t strings = 2; // the one model name "m", held once
    bool all = true, one_model = true;
    for (uint32_t h = 0; h < chat_store_count(s); h++) {
        const ChatMeta *m = chat_store_meta(s, h);
        uint32_t back = UINT32_MAX;
        all = all && chat_store_handle_of_id(s, m->id, &back) && back == h;
        strings += m->title.len + 1; // each copy may add its NUL; uuids are not held
        one_model = one_model && m->model.ptr == chat_store_meta(s, 0)->model.ptr && ak_str_eq(m->model, AK_STR("m"));
    }
    CHECK_MSG(all, "some chat id does not map back to its handle");
    CHECK_MSG(one_model, "the chats' model name is not one shared copy");
    // Ids arrive in order: found by binary search, no id map at all.
    CHECK_EQ(s->sorted, FIRST);
    CHECK_EQ(s->by_id.count, 0);
    uint32_t none;
    CHECK(!chat_store_handle_of_id(s, 0, &none) && !chat_store_handle_of_id(s, chat_store_meta(s, FIRST - 1)->id + 1, &none));
    CHECK(sizeof(ChatMeta) <= 96);
    // What the metadata arena holds: the chunks and the strings, a little slack. Older layouts
    // added an id table (32 bytes a slot), a uuid map, a model copy per chat.
    uint64_t chunks = (FIRST + CHAT_META_CHUNK - 1) / CHAT_META_CHUNK;
    uint64_t expect = chunks * (CHAT_META_CHUNK * sizeof(ChatMeta) + 64) + strings + s->by_id.cap * sizeof(AkMapSlot);
    uint64_t used = ak_arena_stats(s->meta_arena).used;
    CHECK_MSG(used <= expect + 4096, "metadata of %u chats uses %llu bytes, at most %llu expected", FIRST,
              (unsigned long long)used, (unsigned long long)expect + 4096);
    printf("  %u chats: metadata arena %llu bytes (chunks and strings: %llu)\n", FIRST,
           (unsigned long long)used, (unsigned long long)expect);

    // A refresh after more chats arrive takes the ordinary path: appended, found by id and uuid.
    int64_t id0 = chat_store_meta(s, 0)->id;
    REQUIRE(put_range(db, a, FIRST, FIRST + MORE, &err));
    CHECK(chat_store_refresh(s, &err));
    CHECK_EQ(chat_store_count(s), FIRST + MORE);
    CHECK_EQ(chat_store_meta(s, 0)->id, id0); // handles stay
    CHECK_EQ(s->sorted, FIRST + MORE);     // appended in id order: still no map
    for (uint32_t k = 0; k < FIRST + MORE; k += 97) {
        uint32_t back = UINT32_MAX;
        CHECK(chat_store_handle_of_id(s, chat_store_meta(s, k)->id, &back) && back == k);
    }
    uint32_t h = 0;
    CHECK(chat_store_find(s, "meta-1520", &h, &err));
    AkStr uuid = {0};
    CHECK(h < chat_store_count(s) && chat_store_uuid(s, h, a, &uuid, &err) && ak_str_eq(uuid, AK_STR("meta-1520")));
    CHECK(chat_store_refresh(s, &err)); // nothing new: nothing appended
    CHECK_EQ(chat_store_count(s), FIRST + MORE);
    ChatMessages *m = chat_store_open_chat(s, h, &err);
    CHECK(m && chat_store_wait(s, m, &err) && ChatMessageArray_count(&m->msgs) == 1);
    chat_store_close_chat(s, m);
    chat_store_close(s);
    chat_db_close(db);
    ak_arena_release(a);
}

static void test_db_only(void) {
    ChatError err = {{0}};
    ChatStoreConfig cfg = {.path = db_path, .read_only = true, .db_only = true};
    ChatStore *s = chat_store_open(&cfg, &err);
    REQUIRE(s);
    CHECK_EQ(chat_store_count(s), 0);
    CHECK(!s->lru && !s->io_db);
    CHECK(ak_arena_stats(s->meta_arena).used < 4096);
    uint32_t h;
    CHECK(!chat_store_handle_of_id(s, 1, &h));
    err = (ChatError){{0}};
    CHECK(!chat_store_find(s, "meta-3", &h, &err));
    CHECK_STR_CONTAINS(err.msg, "database queries only");
    err = (ChatError){{0}};
    CHECK(!chat_store_open_chat(s, 0, &err));
    CHECK_STR_CONTAINS(err.msg, "database queries only");
    err = (ChatError){{0}};
    CHECK(!chat_store_refresh(s, &err));
    CHECK_STR_CONTAINS(err.msg, "database queries only");
    // The database itself answers.
    ChatDbStats ds;
    CHECK(chat_db_stats(s->db, &ds, &err) && ds.chats == FIRST + MORE);
    chat_store_close(s);
}

int main(void) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/test_store_meta.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(db_path, sizeof db_path, "%s/meta.db", dir);
    RUN(test_first_load_is_tight);
    RUN(test_db_only);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_finish();
}
