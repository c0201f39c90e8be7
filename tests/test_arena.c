// Arena behaviour: push/pop/clear/temp, alignment and size edge cases, commit on demand,
// decommit beyond `keep`, chaining and the fixed cap, OOM reporting, fault injection, stats.
#include "test.h"

#include "arenakit/arenakit.h"

static void test_push_basic(void) {
    AkArena *a = ak_arena_create(.name = "basic");
    REQUIRE(a);
    uint64_t p0 = ak_arena_pos(a);
    int *x = ak_push_struct(a, int);
    REQUIRE(x);
    CHECK(*x == 0);
    *x = 42;
    double *d = ak_push_array(a, double, 100);
    REQUIRE(d);
    CHECK(((uintptr_t)d % _Alignof(double)) == 0);
    for (int i = 0; i < 100; i++) CHECK(d[i] == 0.0);
    CHECK(ak_arena_pos(a) > p0);
    CHECK(*x == 42);
    AkMemStats s = ak_arena_stats(a);
    CHECK(s.used >= sizeof(int) + 100 * sizeof(double));
    CHECK(s.reserved == AK_ARENA_DEFAULT_RESERVE);
    CHECK(s.committed >= AK_ARENA_DEFAULT_COMMIT && s.committed < s.reserved);
    CHECK(s.blocks == 1);
    CHECK(strcmp(ak_arena_name(a), "basic") == 0);
    CHECK(ak_arena_loc(a).file != NULL && strstr(ak_arena_loc(a).file, "test_arena.c"));
    ak_arena_release(a);
}

static void test_alignment(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    for (uint64_t al = 1; al <= 4096; al <<= 1) {
        ak_arena_push(a, 1, 1); // misalign on purpose
        void *p = ak_arena_push(a, 3, al);
        REQUIRE(p);
        CHECK_MSG((uintptr_t)p % al == 0, "align %llu", (unsigned long long)al);
    }
    // Not a power of two: NULL with a reason, arena unchanged and usable.
    uint64_t pos = ak_arena_pos(a);
    CHECK(ak_arena_push(a, 8, 3) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "not a power of two");
    CHECK(ak_arena_push(a, 8, 0) == NULL);
    CHECK(ak_arena_pos(a) == pos);
    CHECK(ak_arena_push(a, 8, 8) != NULL);
    ak_arena_release(a);
}

static void test_zero_size_and_overflow(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    void *z = ak_arena_push(a, 0, 16);
    CHECK(z != NULL);
    CHECK((uintptr_t)z % 16 == 0);
    uint64_t pos = ak_arena_pos(a);
    CHECK(ak_arena_push(a, UINT64_MAX, 1) == NULL);
    CHECK(ak_arena_push(a, UINT64_MAX - 10, 8) == NULL);
    CHECK(ak_push_array(a, uint64_t, UINT64_MAX / 4) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "overflows");
    CHECK(ak_arena_pos(a) == pos);
    CHECK(ak_arena_push(a, 16, 8) != NULL);
    ak_arena_release(a);
}

static void test_pop_and_zeroing(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    uint64_t base = ak_arena_pos(a);
    unsigned char *p = ak_arena_push(a, 1000, 1);
    memset(p, 0xAB, 1000);
    ak_arena_pop(a, 1000);
    CHECK(ak_arena_pos(a) == base);
    // Re-pushing popped memory must read zero again.
    unsigned char *q = ak_arena_push(a, 1000, 1);
    REQUIRE(q);
    CHECK(q == p);
    int nonzero = 0;
    for (int i = 0; i < 1000; i++) nonzero += q[i] != 0;
    CHECK(nonzero == 0);
    // Pop to a position beyond the current one: no-op. Below the first push: clamps.
    uint64_t now = ak_arena_pos(a);
    ak_arena_pop_to(a, now + 4096);
    CHECK(ak_arena_pos(a) == now);
    ak_arena_pop_to(a, 0);
    CHECK(ak_arena_pos(a) == base);
    ak_arena_pop(a, 1u << 30); // more than used: empty
    CHECK(ak_arena_pos(a) == base);
    // Temp scopes nest.
    AkTemp t1 = ak_temp_begin(a);
    ak_arena_push(a, 100, 8);
    AkTemp t2 = ak_temp_begin(a);
    ak_arena_push(a, 100, 8);
    ak_temp_end(t2);
    CHECK(ak_arena_pos(a) == t2.pos);
    ak_temp_end(t1);
    CHECK(ak_arena_pos(a) == base);
    ak_arena_release(a);
}

static void test_no_zero_flag(void) {
    AkArena *a = ak_arena_create(.flags = AK_ARENA_NO_ZERO);
    REQUIRE(a);
    unsigned char *p = ak_arena_push(a, 64, 1);
    memset(p, 0x5A, 64);
    ak_arena_clear(a);
    unsigned char *q = ak_arena_push(a, 64, 1);
    CHECK(q == p); // same memory, contents unspecified (not asserted: poisoning tools may scribble)
    ak_arena_release(a);
}

static void test_commit_on_demand_and_decommit(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(8), .commit = AK_KB(64), .keep = AK_KB(128));
    REQUIRE(a);
    AkMemStats s0 = ak_arena_stats(a);
    CHECK(s0.committed == AK_KB(64));
    // A push larger than the commit step commits enough, in whole steps.
    void *big = ak_arena_push(a, AK_KB(300), 16);
    REQUIRE(big);
    AkMemStats s1 = ak_arena_stats(a);
    CHECK(s1.committed >= AK_KB(300) && s1.committed % AK_KB(64) == 0);
    CHECK(s1.committed <= AK_KB(384));
    memset(big, 1, AK_KB(300));
    ak_arena_clear(a);
    AkMemStats s2 = ak_arena_stats(a);
    CHECK(s2.committed == AK_KB(128)); // keep
    CHECK(s2.used == 0);
    CHECK(s2.high_water >= AK_KB(300));
    // Memory decommitted and committed again reads zero.
    unsigned char *again = ak_arena_push(a, AK_KB(300), 16);
    REQUIRE(again);
    int nonzero = 0;
    for (uint64_t i = 0; i < AK_KB(300); i += 97) nonzero += again[i] != 0;
    CHECK(nonzero == 0);
    ak_arena_release(a);
}

static void test_fixed_cap(void) {
    int calls = 0;
    AkArena *a = ak_arena_create(.reserve = AK_KB(256), .commit = AK_KB(64), .flags = AK_ARENA_FIXED, .name = "capped");
    REQUIRE(a);
    uint64_t n = 0;
    while (ak_arena_push(a, 1000, 8)) n++;
    CHECK(n > 200 && n < 262);
    CHECK_STR_CONTAINS(ak_arena_error(a), "capped");
    CHECK_STR_CONTAINS(ak_arena_error(a), "fixed arena");
    CHECK(ak_arena_stats(a).blocks == 1);
    CHECK(ak_arena_stats(a).reserved == AK_KB(256));
    (void)calls;
    // Still usable: pop and push again.
    ak_arena_pop(a, 5000);
    CHECK(ak_arena_push(a, 1000, 8) != NULL);
    ak_arena_release(a);
}

static void count_oom(AkArena *a, uint64_t size, const char *reason, void *user) {
    (void)a; (void)size; (void)reason;
    ++*(int *)user;
}

static void test_oom_handler(void) {
    int calls = 0;
    AkArena *a = ak_arena_create(.reserve = AK_KB(64), .flags = AK_ARENA_FIXED, .on_oom = count_oom, .oom_user = &calls);
    REQUIRE(a);
    CHECK(ak_arena_push(a, AK_KB(100), 8) == NULL);
    CHECK(calls == 1);
    CHECK(ak_arena_push(a, 8, 5) == NULL);
    CHECK(calls == 2);
    ak_arena_release(a);
}

static void test_chaining(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(256), .commit = AK_KB(64), .name = "chain");
    REQUIRE(a);
    uint64_t start = ak_arena_pos(a);
    char *ptrs[100];
    for (int i = 0; i < 100; i++) {
        ptrs[i] = ak_arena_push(a, AK_KB(10), 16);
        REQUIRE(ptrs[i]);
        memset(ptrs[i], i, AK_KB(10));
    }
    AkMemStats s = ak_arena_stats(a);
    CHECK(s.blocks >= 4);
    CHECK(s.used >= 100 * AK_KB(10));
    for (int i = 0; i < 100; i++) CHECK(ptrs[i][AK_KB(10) - 1] == (char)i); // earlier blocks intact
    // A push larger than a whole block gets a block of its own.
    char *huge = ak_arena_push(a, AK_MB(1), 64);
    REQUIRE(huge);
    huge[AK_MB(1) - 1] = 1;
    uint64_t mid = ak_arena_pos(a);
    ak_arena_push(a, AK_KB(300), 8);
    ak_arena_pop_to(a, mid);
    CHECK(ak_arena_pos(a) == mid);
    // Popping across blocks releases them.
    ak_arena_pop(a, AK_MB(1) + 50 * AK_KB(10));
    AkMemStats s2 = ak_arena_stats(a);
    CHECK(s2.blocks < s.blocks + 2);
    CHECK(s2.used <= 50 * AK_KB(10) + AK_KB(64));
    ak_arena_pop_to(a, start);
    CHECK(ak_arena_stats(a).blocks == 1);
    CHECK(ak_arena_stats(a).used == 0);
    CHECK(ak_arena_pos(a) == start);
    ak_arena_release(a);
}

static void test_fault_injection(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(4), .commit = AK_KB(64));
    REQUIRE(a);
    ak_arena_push(a, AK_KB(32), 8);
    uint64_t pos = ak_arena_pos(a);
    ak_os_inject_failure(AK_OS_COMMIT, 1);
    CHECK(ak_arena_push(a, AK_KB(100), 8) == NULL); // needs a commit: fails
    CHECK_STR_CONTAINS(ak_arena_error(a), "commit");
    CHECK_STR_CONTAINS(ak_arena_error(a), "injected failure");
    CHECK(ak_arena_pos(a) == pos);
    CHECK(ak_arena_push(a, AK_KB(100), 8) != NULL); // next commit works: arena usable
    // Every push past the Nth failed commit: each fails once, then succeeds.
    for (int n = 1; n <= 3; n++) {
        ak_os_inject_failure(AK_OS_COMMIT, (uint64_t)n);
        int failed = 0;
        for (int i = 0; i < 20; i++)
            if (!ak_arena_push(a, AK_KB(64), 8)) failed++;
        CHECK_EQ(failed, 1);
    }
    // Chaining needs a reserve: make it fail.
    AkArena *c = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(64));
    REQUIRE(c);
    ak_os_inject_failure(AK_OS_RESERVE, 1);
    CHECK(ak_arena_push(c, AK_KB(100), 8) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(c), "reserve");
    CHECK(ak_arena_push(c, AK_KB(100), 8) != NULL);
    ak_arena_release(c);
    // Creation itself.
    ak_os_inject_failure(AK_OS_RESERVE, 1);
    CHECK(ak_arena_create() == NULL);
    CHECK_STR_CONTAINS(ak_arena_last_create_error(), "injected failure");
    ak_os_inject_failure(AK_OS_COMMIT, 1);
    CHECK(ak_arena_create() == NULL);
    CHECK_STR_CONTAINS(ak_arena_last_create_error(), "commit");
    // A failed decommit keeps the pages and says so; the arena stays correct.
    ak_arena_push(a, AK_MB(2), 8);
    ak_os_inject_failure(AK_OS_DECOMMIT, 1);
    ak_arena_clear(a);
    CHECK_STR_CONTAINS(ak_arena_error(a), "decommit");
    CHECK(ak_arena_push(a, AK_MB(2), 8) != NULL);
    ak_arena_release(a);
    ak_os_inject_failure(AK_OS_COMMIT, 0);
}

static void test_large_pages(void) {
    AkArena *a = ak_arena_create(.flags = AK_ARENA_LARGE_PAGES, .reserve = AK_MB(8));
    REQUIRE(a);
    CHECK((uintptr_t)a % ak_os_large_page_size() == 0);
    CHECK(ak_arena_stats(a).committed % ak_os_large_page_size() == 0);
    char *p = ak_arena_push(a, AK_MB(3), 64);
    REQUIRE(p);
    p[AK_MB(3) - 1] = 7;
    ak_arena_release(a);
}

static void test_prefault(void) {
    AkArena *a = ak_arena_create(.flags = AK_ARENA_PREFAULT, .reserve = AK_MB(4), .commit = AK_KB(256));
    REQUIRE(a);
    unsigned char *p = ak_arena_push(a, AK_KB(700), 16);
    REQUIRE(p);
    int nonzero = 0;
    for (uint64_t i = 0; i < AK_KB(700); i += 512) nonzero += p[i] != 0; // zeroed, and usable
    CHECK(nonzero == 0);
    p[AK_KB(700) - 1] = 1;
    ak_arena_release(a);
    // Best effort by contract: either it worked or the OS has no such call; never a crash.
    void *r = ak_os_reserve(AK_MB(1), false);
    REQUIRE(r && ak_os_commit(r, AK_KB(64)));
    (void)ak_os_prefault(r, AK_KB(64));
    ((char *)r)[AK_KB(64) - 1] = 1;
    CHECK(ak_os_release(r, AK_MB(1), AK_KB(64)));
}

static void test_pool_registration(void) {
    uint32_t before = ak_pool_count();
    AkArena *a = ak_arena_create(.name = "registered");
    REQUIRE(a);
    CHECK(ak_pool_count() == before + 1);
    AkPoolEntry e[64];
    uint32_t n = ak_pool_snapshot(e, 64);
    int found = 0;
    for (uint32_t i = 0; i < n; i++)
        if (e[i].object == a) {
            found = 1;
            CHECK(strcmp(e[i].name, "registered") == 0);
            CHECK(e[i].kind == AK_POOL_KIND_ARENA);
            CHECK(e[i].loc.line > 0);
        }
    CHECK(found);
    ak_arena_release(a);
    CHECK(ak_pool_count() == before);
}

static void test_os_errors(void) {
    CHECK(ak_os_page_size() >= 4096 && AK_IS_POW2(ak_os_page_size()));
    CHECK(AK_IS_POW2(ak_os_large_page_size()));
    // An impossible reserve is refused with the OS's own words.
    CHECK(ak_os_reserve(UINT64_MAX / 2, false) == NULL);
    CHECK_STR_CONTAINS(ak_os_error(), "reserve of");
    CHECK(strlen(ak_os_error()) > 30);
    void *p = ak_os_reserve(AK_MB(1), false);
    REQUIRE(p);
    CHECK(ak_os_commit(p, AK_KB(64)));
    ((char *)p)[100] = 1;
    CHECK(ak_os_decommit(p, AK_KB(64)));
    CHECK(ak_os_commit(p, AK_KB(64)));
    CHECK(((char *)p)[100] == 0);
    CHECK(ak_os_release(p, AK_MB(1), AK_KB(64)));
}

static void test_process_commit_limit(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(64), .commit = AK_KB(64), .keep = AK_KB(64));
    REQUIRE(a);
    uint64_t base = ak_os_committed();
    CHECK(base >= AK_KB(64));
    ak_os_set_commit_limit(base + AK_MB(1));
    CHECK(ak_arena_push(a, AK_KB(512), 8) != NULL);
    CHECK(ak_arena_push(a, AK_MB(1), 8) == NULL); // would pass the process budget
    CHECK_STR_CONTAINS(ak_arena_error(a), "process memory budget");
    CHECK(ak_os_committed() <= base + AK_MB(1));
    ak_arena_clear(a); // decommits beyond keep: the budget is free again
    CHECK(ak_os_committed() == base);
    CHECK(ak_arena_push(a, AK_KB(900), 8) != NULL);
    AkArena *b = ak_arena_create(.reserve = AK_MB(4), .commit = AK_KB(256));
    CHECK(b == NULL); // its first commit does not fit
    CHECK_STR_CONTAINS(ak_arena_last_create_error(), "process memory budget");
    ak_os_set_commit_limit(0);
    uint64_t before_release = ak_os_committed();
    ak_arena_release(a);
    CHECK(ak_os_committed() < before_release && ak_os_committed() == base - AK_KB(64));
}

static void test_invalid_create(void) {
    CHECK(ak_arena_create(.reserve = UINT64_MAX) == NULL);
    CHECK_STR_CONTAINS(ak_arena_last_create_error(), "beyond any address space");
}

static void test_many_small_pushes(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(64));
    REQUIRE(a);
    uint64_t n = (uint64_t)(200000 * test_scale());
    uint64_t *prev = NULL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *p = ak_arena_push_nz(a, 8 + (i % 57), 8);
        REQUIRE(p);
        *p = i;
        if (prev) CHECK(p > prev);
        prev = p;
    }
    CHECK(*prev == n - 1);
    ak_arena_release(a);
}

int main(void) {
    RUN(test_push_basic);
    RUN(test_alignment);
    RUN(test_zero_size_and_overflow);
    RUN(test_pop_and_zeroing);
    RUN(test_no_zero_flag);
    RUN(test_commit_on_demand_and_decommit);
    RUN(test_fixed_cap);
    RUN(test_oom_handler);
    RUN(test_chaining);
    RUN(test_fault_injection);
    RUN(test_large_pages);
    RUN(test_prefault);
    RUN(test_pool_registration);
    RUN(test_os_errors);
    RUN(test_process_commit_limit);
    RUN(test_invalid_create);
    RUN(test_many_small_pushes);
    return test_finish();
}
