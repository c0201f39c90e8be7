// A long conversation is indexed in batches of index_batch bytes of text, as the stream of
// conversations is, not in one INSERT ... SELECT at its end (db.c, put_messages). SQLite's
// memory for a batch grows with its text: at 1M messages the largest chat (11 MB) took
// SQLite's heap to 17 MB and the import's peak RSS to 49 MB. Checked by SQLite's heap (our
// allocator, sqlmem.h) during one put of a conversation many batches long, and by every
// message still being found and the index checking sound after the commit.
// Also the other per-transaction memory of an import: the set of chats stored so far (to tell
// a uuid seen twice) is a bitmap by chat id, not a map (64 MB at 400,000 chats).
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"
#include "chat/sqlmem.h"

enum { MSGS = 1200, MSG_BYTES = 3000, BATCH = 64 * 1024 };

static char db_path[512];

#define S ak_str_pushf // a formatted string on the arena

// About MSG_BYTES of words, mostly distinct (FTS memory grows with distinct terms), with the
// message's own marker word "mark<i>x" in the middle.
static AkStr msg_text(AkArena *a, uint32_t i) {
    char *p = ak_arena_push_nz(a, MSG_BYTES + 64, 1);
    uint64_t n = 0, k = 0;
    while (n < MSG_BYTES) {
        if (k == 40) n += (uint64_t)snprintf(p + n, 64, "mark%ux ", i);
        else n += (uint64_t)snprintf(p + n, 64, "w%uq%llu ", i, (unsigned long long)k);
        k++;
    }
    return ak_str(p, n);
}

static void test_long_conversation(void) {
    ChatError err = {{0}};
    AkArena *a = ak_arena_create(.name = "test", .reserve = AK_MB(64));
    REQUIRE(a);
    ChatDb *db = chat_db_open(db_path, 0, &err);
    REQUIRE(db);
    chat_db_set_index_batch(db, BATCH);
    ChatConv c = {.source = CHAT_SOURCE_CLAUDE, .uuid = AK_STR("long-1"), .title = AK_STR("a long chat"),
                  .created = 1700000000.0, .updated = 1700000000.0, .msg_count = MSGS, .visible_count = MSGS};
    c.msgs = ak_push_array(a, ChatMsg, MSGS);
    REQUIRE(c.msgs);
    for (uint32_t i = 0; i < MSGS; i++)
        c.msgs[i] = (ChatMsg){.role = i % 2 ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_USER, .created = 1700000000.0 + i,
                              .text = msg_text(a, i), .visible = true, .sibling_index = 1, .sibling_count = 1};
    // The heap's high water before and during the put.
    AkHeap *heap = chat_sqlmem_heap();
    REQUIRE(heap);
    REQUIRE(chat_db_begin(db, &err));
    uint64_t before = ak_heap_stats(heap).used;
    ChatPutResult r;
    CHECK_MSG(chat_db_put(db, &c, &r, &err), "put: %s", err.msg);
    uint64_t peak = ak_heap_stats(heap).high_water;
    REQUIRE(chat_db_commit(db, &err));
    uint64_t text = (uint64_t)MSGS * MSG_BYTES;
    printf("  one conversation of %.1f MB of text, batches of %u KB: SQLite's heap %.1f MB before, %.1f MB at most (page cache up to %.1f MB)\n",
           text / 1048576.0, BATCH / 1024, before / 1048576.0, peak / 1048576.0, chat_sqlmem_cache_kb() / 1024.0);
    // In one batch the whole text's terms were pending at once (more than the text itself);
    // in batches, a batch's worth plus the page cache.
    uint64_t cache = (uint64_t)chat_sqlmem_cache_kb() * 1024;
    CHECK_MSG(peak < before + cache + text * 3 / 5, "SQLite's heap reached %.1f MB (page cache %.1f MB) for %.1f MB of "
              "text in batches of %u KB", peak / 1048576.0, cache / 1048576.0, text / 1048576.0, BATCH / 1024);
    // Every message is in the index, first, middle and last; the index checks sound.
    uint32_t probe[] = {0, 1, MSGS / 2, MSGS - 2, MSGS - 1};
    for (size_t k = 0; k < AK_ARRAY_COUNT(probe); k++) {
        AkTemp t = ak_temp_begin(a);
        ChatSearchOpts so = {.limit = 5};
        ChatHit *hits;
        uint32_t count = 0;
        AkStr q = S(a, "mark%ux", probe[k]);
        CHECK(chat_db_search(db, a, q.ptr, &so, &hits, &count, &err));
        CHECK_MSG(count == 1 && hits[0].ordinal == (int32_t)probe[k], "%s: %u hits", q.ptr, count);
        ak_temp_end(t);
    }
    CHECK(chat_db_check(db, &err));
    chat_db_close(db);
    ak_arena_release(a);
}

// The "chat_db put ids" arena's bytes in use, from the pool table.
static uint64_t put_ids_used(void) {
    static AkPoolEntry e[2048];
    uint32_t n = ak_pool_snapshot(e, 2048);
    for (uint32_t i = 0; i < n; i++)
        if (e[i].name && !strcmp(e[i].name, "chat_db put ids")) return e[i].stats.used;
    return UINT64_MAX;
}

enum { CHATS = 3000 };

static void test_many_chats_one_transaction(void) {
    ChatError err = {{0}};
    AkArena *a = ak_arena_create(.name = "test");
    REQUIRE(a);
    char path[600];
    snprintf(path, sizeof path, "%s.many", db_path);
    ChatDb *db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    REQUIRE(chat_db_begin(db, &err));
    uint32_t added = 0, dups = 0;
    for (uint32_t i = 0; i < CHATS + 2; i++) {
        AkTemp t = ak_temp_begin(a);
        uint32_t k = i < CHATS ? i : i - CHATS; // the last two repeat the first two
        ChatMsg m = {.role = CHAT_ROLE_USER, .created = 1700000000.0, .text = S(a, "chat %u", k), .visible = true,
                     .sibling_index = 1, .sibling_count = 1};
        ChatConv c = {.source = CHAT_SOURCE_CLAUDE, .uuid = S(a, "many-%u", k), .title = S(a, "chat %u", k),
                      .created = 1700000000.0, .updated = 1700000000.0 + (i >= CHATS), .msg_count = 1,
                      .visible_count = 1, .msgs = &m};
        ChatPutResult r;
        CHECK_MSG(chat_db_put(db, &c, &r, &err), "put %u: %s", i, err.msg);
        added += r.status == CHAT_PUT_ADDED;
        dups += r.duplicate;
        ak_temp_end(t);
    }
    uint64_t used = put_ids_used();
    REQUIRE(chat_db_commit(db, &err));
    CHECK_EQ(added, CHATS);
    CHECK_EQ(dups, 2); // the repeats are told, by the ids stored in this transaction
    printf("  %u chats in one transaction: %llu bytes to know which were stored\n", CHATS, (unsigned long long)used);
    // A bit a chat (its first array is 1024 words); a map took 32 bytes a slot, twice over.
    CHECK_MSG(used <= 8 * 1024 + 64, "the stored-chat set of %u chats uses %llu bytes", CHATS, (unsigned long long)used);
    chat_db_close(db);
    ak_arena_release(a);
}

int main(void) {
    ChatError err = {{0}};
    // A small share, so SQLite's page cache (a quarter of it, sqlmem.h) is small beside the
    // pending index the check is about.
    if (!chat_sqlmem_install(AK_MB(6), &err)) { printf("FAIL sqlmem: %s\n0 passed, 1 failed\n", err.msg); return 1; }
    char dir[256];
    snprintf(dir, sizeof dir, "%s/test_db_index_batch.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(db_path, sizeof db_path, "%s/batch.db", dir);
    RUN(test_long_conversation);
    RUN(test_many_chats_one_transaction);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    int rc = test_finish();
    chat_sqlmem_uninstall();
    return rc;
}
