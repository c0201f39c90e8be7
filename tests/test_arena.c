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
#if AK_DEBUG
    CHECK(ak_arena_loc(a).file != NULL && strstr(ak_arena_loc(a).file, "test_arena.c"));
#endif
    ak_arena_release(a);
}

static void test_alignment(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    for (uint64_t al = 1; al <= 4096; al <<= 1) {
        (void)!ak_arena_push(a, 1, 1); // misalign on purpose
        void *p = ak_arena_push(a, 3, al);
        REQUIRE(p);
        CHECK_MSG((uintptr_t)p % al == 0, "align %llu", (unsigned long long)al);
    }
    // Not a power of two: NULL with a reason, arena unchanged and usable.
    // (Through a volatile: with a constant, the compiler already rejects it.)
    uint64_t pos = ak_arena_pos(a);
    volatile uint64_t three = 3, zero = 0;
    CHECK(ak_arena_push(a, 8, three) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "not a power of two");
    CHECK(ak_arena_push(a, 8, zero) == NULL);
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
    volatile uint64_t huge = UINT64_MAX;
    CHECK(ak_arena_push(a, huge, 1) == NULL);
    CHECK(ak_arena_push(a, huge - 10, 8) == NULL);
    CHECK(ak_push_array(a, uint64_t, huge / 4) == NULL);
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
    (void)!ak_arena_push(a, 100, 8);
    AkTemp t2 = ak_temp_begin(a);
    (void)!ak_arena_push(a, 100, 8);
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

// Fills a fixed arena with 8-byte pushes; returns how many bytes it took.
static uint64_t fill_fixed(AkArena *a) {
    uint64_t n = 0;
    while (ak_arena_push(a, 8, 8)) n += 8;
    return n;
}

static void test_fixed_cap(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(256), .commit = AK_KB(64), .flags = AK_ARENA_FIXED, .name = "capped");
    REQUIRE(a);
    uint64_t n = 0;
    while (ak_arena_push(a, 1000, 8)) n++;
    CHECK(n > 200 && n < 262);
    CHECK_STR_CONTAINS(ak_arena_error(a), "capped");
    CHECK_STR_CONTAINS(ak_arena_error(a), "fixed arena");
    CHECK(ak_arena_stats(a).blocks == 1);
    CHECK(ak_arena_stats(a).reserved == AK_KB(256));
    // Still usable: pop and push again.
    ak_arena_pop(a, 5000);
    CHECK(ak_arena_push(a, 1000, 8) != NULL);
    ak_arena_release(a);
    // The cap is the reserve given, header included, also below the commit step and off the
    // page: never more than `reserve` bytes, and all of them but the header's.
    uint64_t page = ak_os_page_size();
    static const uint64_t reserves[] = {4096, 5000, 10000, AK_KB(64) + 100, AK_KB(100)};
    for (size_t i = 0; i < AK_ARRAY_COUNT(reserves); i++) {
        uint64_t r = reserves[i];
        AkArena *f = ak_arena_create(.reserve = r, .flags = AK_ARENA_FIXED, .name = "small-fixed");
        REQUIRE(f);
        uint64_t got = fill_fixed(f);
        AkMemStats s = ak_arena_stats(f);
        CHECK_MSG(got < r && got + 1024 > r, "reserve %llu: %llu bytes pushed", (unsigned long long)r, (unsigned long long)got);
        CHECK_MSG(s.used == got, "reserve %llu: used %llu", (unsigned long long)r, (unsigned long long)s.used);
        CHECK_EQ(s.reserved, AK_ALIGN_UP(r, page));
        CHECK(s.committed <= AK_ALIGN_UP(r, page));
        CHECK_STR_CONTAINS(ak_arena_error(f), "fixed arena");
        // A pop gives the bytes back, and exactly as many fit again.
        ak_arena_clear(f);
        CHECK_EQ(fill_fixed(f), got);
        ak_arena_release(f);
    }
    // A reserve that cannot even hold the header is refused at creation, with the reason.
    CHECK(ak_arena_create(.reserve = 100, .flags = AK_ARENA_FIXED) == NULL);
    CHECK_STR_CONTAINS(ak_arena_last_create_error(), "cannot hold");
}

// keep = 0 is the default (1 MB); AK_KEEP_NONE gives back everything beyond the first step.
static void test_keep(void) {
    AkArena *none = ak_arena_create(.reserve = AK_MB(8), .commit = AK_KB(64), .keep = AK_KEEP_NONE);
    AkArena *dflt = ak_arena_create(.reserve = AK_MB(8), .commit = AK_KB(64));
    REQUIRE(none && dflt);
    CHECK(ak_arena_push(none, AK_MB(2), 8) != NULL);
    CHECK(ak_arena_push(dflt, AK_MB(2), 8) != NULL);
    ak_arena_clear(none);
    ak_arena_clear(dflt);
    CHECK_EQ(ak_arena_stats(none).committed, AK_KB(64));
    CHECK_EQ(ak_arena_stats(dflt).committed, AK_ARENA_DEFAULT_KEEP);
    // A pop to the middle keeps what is in use, in whole steps, and nothing more.
    uint64_t base = ak_arena_pos(none);
    CHECK(ak_arena_push(none, AK_MB(2), 8) != NULL);
    ak_arena_pop_to(none, base + AK_KB(100));
    CHECK_EQ(ak_arena_stats(none).committed, AK_KB(128)); // header + 100 KB: two steps
    ak_arena_release(none);
    ak_arena_release(dflt);
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
    volatile uint64_t five = 5;
    CHECK(ak_arena_push(a, 8, five) == NULL);
    CHECK(calls == 2);
    ak_arena_release(a);
}

static void test_chaining(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(256), .commit = AK_KB(64), .name = "chain");
    REQUIRE(a);
    uint64_t start = ak_arena_pos(a);
    enum { N = 100, SZ = 10 * 1024 };
    char *ptrs[N];
    uint64_t pos_before[N];
    uint64_t blocks_at[N];
    for (int i = 0; i < N; i++) {
        pos_before[i] = ak_arena_pos(a);
        ptrs[i] = ak_arena_push(a, SZ, 16);
        REQUIRE(ptrs[i]);
        blocks_at[i] = ak_arena_stats(a).blocks;
        memset(ptrs[i], i + 1, SZ);
    }
    AkMemStats s = ak_arena_stats(a);
    // 25 pushes of 10 KB fit in a 256 KB block beside its header: 4 blocks, no padding.
    CHECK_EQ(s.blocks, 4);
    CHECK_EQ(blocks_at[24], 1);
    CHECK_EQ(blocks_at[25], 2);
    CHECK_EQ(s.used, (uint64_t)N * SZ);
    CHECK_EQ(s.reserved, 4 * AK_KB(256));
    // Every byte of every push is intact: no two pushes overlap, in a block or across blocks.
    for (int i = 0; i < N; i++) {
        int bad = 0;
        for (int k = 0; k < SZ; k++) bad += ptrs[i][k] != (char)(i + 1);
        CHECK_MSG(bad == 0, "push %d: %d bytes overwritten", i, bad);
        if (i) CHECK(pos_before[i] > pos_before[i - 1]);
    }
    // A push larger than a whole block gets a block of its own.
    char *huge = ak_arena_push(a, AK_MB(1), 64);
    REQUIRE(huge);
    CHECK_EQ(ak_arena_stats(a).blocks, 5);
    memset(huge, 0x77, AK_MB(1));
    uint64_t mid = ak_arena_pos(a);
    CHECK(ak_arena_push(a, AK_KB(300), 8) != NULL);
    CHECK_EQ(ak_arena_stats(a).blocks, 6);
    ak_arena_pop_to(a, mid);
    CHECK_EQ(ak_arena_pos(a), mid);
    CHECK_EQ(ak_arena_stats(a).blocks, 5);
    CHECK(huge[0] == 0x77 && huge[AK_MB(1) - 1] == 0x77);
    // Popping across blocks releases them: back to the position before push 50, exactly.
    ak_arena_pop_to(a, pos_before[50]);
    AkMemStats s2 = ak_arena_stats(a);
    CHECK_EQ(ak_arena_pos(a), pos_before[50]);
    CHECK_EQ(s2.blocks, 2);
    CHECK_EQ(s2.used, 50 * (uint64_t)SZ);
    for (int i = 0; i < 50; i++) CHECK(ptrs[i][0] == (char)(i + 1) && ptrs[i][SZ - 1] == (char)(i + 1));
    // Pushes go on where the pop left them, in the block that holds that position.
    char *again = ak_arena_push(a, SZ, 16);
    CHECK(again == ptrs[50]);
    CHECK(again && again[0] == 0 && again[SZ - 1] == 0); // zeroed again
    ak_arena_pop_to(a, start);
    CHECK_EQ(ak_arena_stats(a).blocks, 1);
    CHECK_EQ(ak_arena_stats(a).used, 0);
    CHECK_EQ(ak_arena_pos(a), start);
    ak_arena_release(a);
}

// Pushes at `al` after a 1-byte push (so the position is off every boundary); the result must
// be aligned and writable, or NULL with a reason in a fixed arena.
static int push_aligned(AkArena *a, uint64_t al, bool may_fail) {
    volatile uint64_t align = al; // not a constant: the inline path sees the real value
    if (!ak_arena_push(a, 1, 1)) return 0;
    char *p = ak_arena_push(a, 3, align);
    if (!p) {
        CHECK_MSG(may_fail, "align %llu: %s", (unsigned long long)al, ak_arena_error(a));
        CHECK_STR_CONTAINS(ak_arena_error(a), "does not fit");
        return 0;
    }
    CHECK_MSG((uintptr_t)p % al == 0, "align %llu: %p is %llu bytes off", (unsigned long long)al, (void *)p,
              (unsigned long long)((uintptr_t)p % al));
    p[0] = 1, p[2] = 3;
    return 1;
}

// Every power of two up to 1 GB, with a small and the default reserve, in the first block and
// after chaining; a fixed arena gives an aligned pointer or NULL, never a misaligned one.
static void test_alignment_above_page(void) {
    static const uint64_t reserves[] = {AK_KB(64), AK_ARENA_DEFAULT_RESERVE};
    // Under Valgrind (a reduced scale) marking each 64 MB chain trigger costs most of a second:
    // there the default reserve takes every fourth power of two (and 1 GB).
    bool every = test_scale() >= 1;
    for (size_t r = 0; r < AK_ARRAY_COUNT(reserves); r++) {
        for (uint64_t al = 1; al <= AK_GB(1); al <<= 1) {
            if (r == 1 && !every && __builtin_ctzll(al) % 4 != 0 && al != AK_GB(1)) continue;
            AkArena *a = ak_arena_create(.reserve = reserves[r], .keep = AK_KEEP_NONE, .name = "align");
            REQUIRE(a);
            CHECK(push_aligned(a, al, false));
            // Chain: a push bigger than what is left of the block.
            CHECK(ak_arena_push(a, reserves[r], 8) != NULL);
            uint64_t blocks = ak_arena_stats(a).blocks;
            CHECK(blocks >= 2);
            CHECK(push_aligned(a, al, false));
            CHECK(push_aligned(a, al, false));
            ak_arena_release(a);
        }
        int given = 0;
        AkArena *f = ak_arena_create(.reserve = reserves[r], .flags = AK_ARENA_FIXED, .name = "align-fixed");
        REQUIRE(f);
        for (uint64_t al = 1; al <= AK_GB(1); al <<= 1) given += push_aligned(f, al, true);
        CHECK(given >= 12); // everything up to 4 KB at least
        ak_arena_release(f);
    }
    // Beyond any address space: refused with a reason, not wrapped.
    AkArena *a = ak_arena_create(.name = "align-huge");
    REQUIRE(a);
    volatile uint64_t enormous = (uint64_t)1 << 62;
    CHECK(ak_arena_push(a, 8, enormous) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "beyond any address space");
    ak_arena_release(a);
}

// A temp scope that crosses a block boundary: the block it needed is kept as the spare, so
// the next round maps nothing (the OS refusing every reserve does not matter) and the
// figures count it.
static void test_spare_block(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(64), .name = "spare");
    REQUIRE(a);
    CHECK(ak_arena_push(a, AK_KB(60), 8) != NULL);
    uint64_t committed = 0;
    for (int round = 0; round < 50; round++) {
        if (round == 1) ak_os_inject_failure(AK_OS_RESERVE, 1); // the next reserve fails
        AkTemp t = ak_temp_begin(a);
        char *p = ak_arena_push(a, AK_KB(8), 8); // does not fit what is left: next block
        CHECK_MSG(p != NULL, "round %d: %s", round, ak_arena_error(a));
        if (!p) break;
        CHECK(p[0] == 0 && p[AK_KB(8) - 1] == 0);
        memset(p, 0xEE, AK_KB(8));
        CHECK_EQ(ak_arena_stats(a).blocks, 2);
        ak_temp_end(t);
        AkMemStats s = ak_arena_stats(a);
        CHECK_EQ(s.blocks, 1);
        CHECK_EQ(s.reserved, 2 * AK_KB(64)); // the spare counts
        if (round == 0) committed = s.committed;
        CHECK_EQ(s.committed, committed);
    }
    // Still armed: no round reserved anything.
    CHECK(ak_os_reserve(AK_KB(64), false) == NULL);
    CHECK_STR_CONTAINS(ak_os_error(), "injected failure");
    ak_os_inject_failure(AK_OS_RESERVE, 0);
    // A push the spare cannot hold replaces it.
    AkTemp t = ak_temp_begin(a);
    CHECK(ak_arena_push(a, AK_KB(200), 8) != NULL);
    ak_temp_end(t);
    uint64_t reserved = ak_arena_stats(a).reserved; // 64 KB + a block of 200 KB + header
    CHECK(reserved > AK_KB(264) && reserved <= AK_KB(264) + ak_os_page_size());
    CHECK_EQ(ak_arena_stats(a).blocks, 1);
    ak_arena_release(a);
}

// A pop to a position at or past the current one does nothing, in every build (arena.h).
static void test_pop_past_position_is_a_noop(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(64), .name = "pop-past");
    REQUIRE(a);
    CHECK(ak_arena_push(a, 100, 8) != NULL);
    uint64_t pos = ak_arena_pos(a);
    AkMemStats before = ak_arena_stats(a);
    ak_arena_pop_to(a, pos);
    ak_arena_pop_to(a, pos + 1);
    ak_arena_pop_to(a, UINT64_MAX);
    CHECK_EQ(ak_arena_pos(a), pos);
    CHECK_EQ(ak_arena_stats(a).used, before.used);
    CHECK(ak_arena_push(a, 100, 8) != NULL);
    ak_arena_release(a);
}

static void release_twice(void) {
    AkArena *a = ak_arena_create(.name = "released-twice", .reserve = AK_MB(1));
    ak_arena_release(a);
    ak_arena_release(a);
}

// A second release must not read the unmapped header: debug builds assert with the arena's
// name and where it was created.
static void test_double_release_names_the_arena(void) {
#if AK_DEBUG
    char err[4096];
    CHECK(ak_test_expect_abort(release_twice, err, sizeof err));
    CHECK_STR_CONTAINS(err, "already released");
    CHECK_STR_CONTAINS(err, "'released-twice'");
    CHECK_STR_CONTAINS(err, "test_arena.c:");
#else
    (void)release_twice;
    printf("  (debug builds only)\n");
#endif
}

static void test_fault_injection(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(4), .commit = AK_KB(64));
    REQUIRE(a);
    (void)!ak_arena_push(a, AK_KB(32), 8);
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
    (void)!ak_arena_push(a, AK_MB(2), 8);
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
            CHECK(AK_DEBUG ? e[i].loc.line > 0 : e[i].loc.file == NULL); // the library's mode decides
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
    RUN(test_keep);
    RUN(test_oom_handler);
    RUN(test_chaining);
    RUN(test_alignment_above_page);
    RUN(test_spare_block);
    RUN(test_pop_past_position_is_a_noop);
    RUN(test_double_release_names_the_arena);
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
