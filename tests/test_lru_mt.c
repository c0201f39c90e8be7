// The LRU of message arenas and the IO thread, with a fake loader (no SQLite): hits and
// merged requests, the budget and eviction order, refusal when everything is pinned, a view
// closed while its chat loads, failed loads, shutdown with loads in flight, and a random
// stress of open/close against a small budget checked under ThreadSanitizer.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/lru.h"

#include <stdatomic.h>
#include <time.h>

#define CHATS 600

typedef struct FakeDb {
    _Atomic uint32_t loads;
    _Atomic uint32_t fail_handle; // loads of this handle fail (0 = none)
    _Atomic int delay_us;
} FakeDb;

static uint32_t msg_count_of(uint32_t h) { return 1 + (h * 7919u) % 300; }
static uint64_t hint_of(uint32_t h) { return msg_count_of(h) * (sizeof(ChatMessage) + 200); }

static bool fake_load(void *ctx, ChatMessages *rec, ChatError *err) {
    FakeDb *db = ctx;
    atomic_fetch_add(&db->loads, 1);
    int d = atomic_load(&db->delay_us);
    if (d) nanosleep(&(struct timespec){0, d * 1000L}, NULL);
    if (rec->handle == atomic_load(&db->fail_handle)) return chat_fail(err, "chat %u: disk on fire", rec->handle);
    for (uint32_t i = 0; i < msg_count_of(rec->handle); i++) {
        ChatMessage *m = ChatMessageArray_push(&rec->msgs);
        if (!m) return chat_fail(err, "%s", ak_arena_error(rec->arena));
        char buf[200];
        int n = snprintf(buf, sizeof buf, "chat %u message %u", rec->handle, i);
        char *t = ak_arena_push_copy(rec->arena, buf, (uint64_t)n, 1);
        m->ordinal = i;
        m->text = ak_str(t, (uint64_t)n);
    }
    return true;
}

static bool content_ok(ChatMessages *m) {
    if (ChatMessageArray_count(&m->msgs) != msg_count_of(m->handle)) return false;
    char buf[64];
    uint64_t last = ChatMessageArray_count(&m->msgs) - 1;
    int n = snprintf(buf, sizeof buf, "chat %u message %llu", m->handle, (unsigned long long)last);
    return ak_str_eq(ChatMessageArray_get(&m->msgs, last)->text, ak_str(buf, (uint64_t)n));
}

static ChatMessages *slots[CHATS];

static ChatLru *make_lru(AkArena *a, FakeDb *db, uint64_t budget, uint32_t max_loaded) {
    memset(slots, 0, sizeof slots);
    ChatLruConfig cfg = {.budget = budget, .max_loaded = max_loaded};
    ChatError err;
    ChatLru *lru = chat_lru_create(a, &cfg, fake_load, db, &err);
    if (!lru) printf("  %s\n", err.msg);
    return lru;
}

static void test_hit_and_merge(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    atomic_store(&db.delay_us, 2000);
    ChatLru *lru = make_lru(a, &db, AK_MB(16), 0);
    REQUIRE(lru);
    ChatError err;
    ChatMessages *m1 = chat_lru_acquire(lru, 5, 5, &slots[5], hint_of(5), &err);
    ChatMessages *m2 = chat_lru_acquire(lru, 5, 5, &slots[5], hint_of(5), &err); // while loading: merged
    REQUIRE(m1 && m1 == m2);
    CHECK(chat_lru_wait(lru, m1, &err));
    CHECK(content_ok(m1));
    CHECK_EQ(atomic_load(&db.loads), 1);
    CHECK_EQ(m1->view_refs, 2);
    chat_lru_release(lru, m1);
    chat_lru_release(lru, m2);
    ChatMessages *m3 = chat_lru_acquire(lru, 5, 5, &slots[5], hint_of(5), &err); // cached: hit
    CHECK(m3 == m1 && chat_messages_state(m3) == CHAT_LOAD_READY);
    CHECK_EQ(atomic_load(&db.loads), 1);
    ChatLruStats s = chat_lru_stats(lru);
    CHECK_EQ(s.hits, 2);
    CHECK_EQ(s.active, 1);
    chat_lru_release(lru, m3);
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

static void test_budget_and_eviction_order(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    ChatLru *lru = make_lru(a, &db, AK_MB(2), 0); // four 512 KB arenas
    REQUIRE(lru);
    ChatError err;
    uint32_t hs[6] = {1, 2, 3, 4, 5, 6};
    for (int i = 0; i < 4; i++) {
        ChatMessages *m = chat_lru_acquire(lru, hs[i], hs[i], &slots[hs[i]], hint_of(hs[i]), &err);
        REQUIRE(m);
        CHECK(chat_lru_wait(lru, m, &err));
        chat_lru_release(lru, m);
    }
    CHECK_EQ(chat_lru_stats(lru).active, 4);
    // Touch chat 1 so chat 2 is now the least recently used.
    chat_lru_release(lru, chat_lru_acquire(lru, 1, 1, &slots[1], hint_of(1), &err));
    uint32_t arenas = ak_pool_count();
    AkArena *arena_of_2 = slots[2]->arena;
    ChatMessages *m5 = chat_lru_acquire(lru, 5, 5, &slots[5], hint_of(5), &err);
    REQUIRE(m5);
    CHECK(slots[2] == NULL); // evicted
    CHECK(m5->arena == arena_of_2); // its cleared arena, parked on the free list, was reused
    CHECK_EQ(ak_pool_count(), arenas);
    CHECK_EQ(chat_lru_stats(lru).parked, 0);
    CHECK(slots[1] != NULL && slots[3] != NULL && slots[4] != NULL);
    CHECK(chat_lru_wait(lru, m5, &err));
    ChatLruStats s = chat_lru_stats(lru);
    CHECK_EQ(s.evictions, 1);
    CHECK(s.used <= s.budget);
    CHECK_EQ(s.total, 4); // the evicted record was reused from the free list
    chat_lru_release(lru, m5);
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

static void test_all_pinned_refuses(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    ChatLru *lru = make_lru(a, &db, AK_MB(1), 0); // two chats
    REQUIRE(lru);
    ChatError err;
    ChatMessages *x = chat_lru_acquire(lru, 1, 1, &slots[1], hint_of(1), &err);
    ChatMessages *y = chat_lru_acquire(lru, 2, 2, &slots[2], hint_of(2), &err);
    REQUIRE(x && y);
    CHECK(chat_lru_acquire(lru, 3, 3, &slots[3], hint_of(3), &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "memory budget full");
    CHECK_STR_CONTAINS(err.msg, "pinned");
    CHECK(chat_lru_stats(lru).used <= AK_MB(1));
    // Too big for the whole budget: refused with its own reason.
    CHECK(chat_lru_acquire(lru, 4, 4, &slots[4], AK_MB(5), &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "more than the whole message budget");
    chat_lru_wait(lru, x, &err);
    chat_lru_release(lru, x);
    ChatMessages *z = chat_lru_acquire(lru, 3, 3, &slots[3], hint_of(3), &err); // now x can go
    CHECK(z != NULL);
    CHECK(slots[1] == NULL);
    chat_lru_wait(lru, y, &err);
    chat_lru_wait(lru, z, &err);
    chat_lru_release(lru, y);
    chat_lru_release(lru, z);
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

static void test_close_while_loading_and_failure(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    atomic_store(&db.delay_us, 5000);
    atomic_store(&db.fail_handle, 9);
    ChatLru *lru = make_lru(a, &db, AK_MB(8), 0);
    REQUIRE(lru);
    ChatError err;
    ChatMessages *m = chat_lru_acquire(lru, 7, 7, &slots[7], hint_of(7), &err);
    chat_lru_release(lru, m); // the view closed before the load finished: still pinned by io
    CHECK(chat_lru_stats(lru).pinned == 1);
    ChatMessages *f = chat_lru_acquire(lru, 9, 9, &slots[9], hint_of(9), &err);
    CHECK(!chat_lru_wait(lru, f, &err));
    CHECK_STR_CONTAINS(err.msg, "disk on fire");
    chat_lru_release(lru, f); // a failed record is dropped once nobody looks at it
    CHECK(slots[9] == NULL);
    while (chat_lru_stats(lru).loading) chat_lru_poll(lru);
    CHECK(slots[7] != NULL && content_ok(slots[7]));
    CHECK_EQ(chat_lru_stats(lru).pinned, 0);
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

static void test_shutdown_in_flight(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    atomic_store(&db.delay_us, 3000);
    ChatLru *lru = make_lru(a, &db, AK_MB(64), 0);
    REQUIRE(lru);
    ChatError err;
    uint32_t before = ak_pool_count();
    for (uint32_t h = 1; h <= 20; h++) {
        ChatMessages *m = chat_lru_acquire(lru, h, h, &slots[h], hint_of(h), &err);
        REQUIRE(m);
        chat_lru_release(lru, m);
    }
    CHECK(ak_pool_count() == before + 20);
    chat_lru_destroy(lru); // most of the 20 are still queued: cancelled, arenas released
    CHECK(atomic_load(&db.loads) < 20);
    CHECK_EQ(ak_pool_count(), before);
    ak_arena_release(a);
}

static void test_random_stress(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    uint64_t budget = AK_MB(6);
    ChatLru *lru = make_lru(a, &db, budget, 10);
    REQUIRE(lru);
    uint64_t seed = 12345;
    ChatMessages *open[8] = {0};
    uint32_t ops = (uint32_t)(20000 * test_scale()) + 200, refused = 0, checked = 0;
    ChatError err;
    uint64_t max_used = 0;
    for (uint32_t i = 0; i < ops; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(seed >> 33);
        int v = (int)(r % 8);
        if (open[v]) {
            if (chat_messages_state(open[v]) == CHAT_LOAD_READY) {
                checked++;
                CHECK(content_ok(open[v]));
            }
            if (r & 0x100) chat_lru_wait(lru, open[v], &err);
            chat_lru_release(lru, open[v]);
            open[v] = NULL;
        } else {
            uint32_t h = 1 + (r >> 8) % (CHATS - 1);
            open[v] = chat_lru_acquire(lru, h, h, &slots[h], hint_of(h), &err);
            if (!open[v]) {
                refused++;
                CHECK_STR_CONTAINS(err.msg, "pinned"); // refused only when nothing can be evicted
            }
        }
        chat_lru_poll(lru);
        ChatLruStats s = chat_lru_stats(lru);
        if (s.used > max_used) max_used = s.used;
        CHECK(s.active <= 10);
    }
    for (int v = 0; v < 8; v++)
        if (open[v]) {
            chat_lru_wait(lru, open[v], &err);
            chat_lru_release(lru, open[v]);
        }
    ChatLruStats s = chat_lru_stats(lru);
    printf("  %u ops: %llu loads, %llu hits, %llu evictions, %u refused, %u verified, max %.1f of %.1f MB\n", ops,
           (unsigned long long)s.loads, (unsigned long long)s.hits, (unsigned long long)s.evictions, refused,
           checked, max_used / 1048576.0, budget / 1048576.0);
    CHECK(max_used <= budget);
    CHECK(s.evictions > 0);
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

// A cache target below the budget: a walk through many chats keeps at most the target, pinned
// records included, once each chat is closed; a chat bigger than the target still loads (up to
// the budget) and, while it is open, nothing idle is kept beside it.
static void test_cache_target(void) {
    AkArena *a = ak_arena_create(.name = "lru");
    FakeDb db = {0};
    memset(slots, 0, sizeof slots);
    ChatLruConfig cfg = {.budget = AK_MB(16), .cache_target = AK_MB(2)}; // four 512 KB arenas
    ChatError err;
    ChatLru *lru = chat_lru_create(a, &cfg, fake_load, &db, &err);
    REQUIRE(lru);
    CHECK_EQ(chat_lru_stats(lru).cache_target, AK_MB(2));
    uint64_t peak = 0;
    for (uint32_t h = 1; h <= 40; h++) {
        ChatMessages *m = chat_lru_acquire(lru, h, h, &slots[h], hint_of(h), &err);
        REQUIRE(m);
        CHECK(chat_lru_wait(lru, m, &err));
        CHECK(content_ok(m));
        chat_lru_release(lru, m);
        ChatLruStats s = chat_lru_stats(lru);
        peak = AK_MAX(peak, s.used);
        CHECK(s.idle <= s.used);
    }
    CHECK(peak <= AK_MB(2)); // without the target the 40 chats stay cached: 20 MB would not fit, 16 would
    ChatLruStats s = chat_lru_stats(lru);
    CHECK(s.evictions >= 36);
    CHECK(s.active <= 4);
    // The most recent chat is still cached: a hit, no load.
    uint32_t loads = atomic_load(&db.loads);
    ChatMessages *again = chat_lru_acquire(lru, 40, 40, &slots[40], hint_of(40), &err);
    REQUIRE(again);
    CHECK_EQ(atomic_load(&db.loads), loads);
    chat_lru_release(lru, again);
    // Bigger than the target, within the budget: it loads, with nothing idle beside it.
    ChatMessages *big = chat_lru_acquire(lru, 100, 100, &slots[100], AK_MB(5), &err);
    REQUIRE(big);
    CHECK_EQ(chat_lru_stats(lru).idle, 0);
    CHECK(chat_lru_stats(lru).used > AK_MB(2));
    CHECK(chat_lru_wait(lru, big, &err));
    chat_lru_release(lru, big);
    CHECK(chat_lru_stats(lru).used <= AK_MB(2));
    // Bigger than the budget: refused as before.
    CHECK(chat_lru_acquire(lru, 101, 101, &slots[101], AK_MB(20), &err) == NULL);
    CHECK_STR_CONTAINS(err.msg, "more than the whole message budget");
    chat_lru_destroy(lru);
    ak_arena_release(a);
}

int main(void) {
    RUN(test_hit_and_merge);
    RUN(test_budget_and_eviction_order);
    RUN(test_all_pinned_refuses);
    RUN(test_close_while_loading_and_failure);
    RUN(test_shutdown_in_flight);
    RUN(test_random_stress);
    RUN(test_cache_target);
    ak_scratch_release_thread();
    CHECK_EQ(ak_leak_check(stdout), 0);
    return test_finish();
}
