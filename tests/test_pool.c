// Pool: registration, the text and JSON reports, the leak check, exhaustion.
#include "test.h"

#include "arenakit/arenakit.h"

// Reads what `fn(out)` writes into a buffer, via a temporary file.
static char report_buf[1 << 16];
static const char *capture(void (*fn)(FILE *)) {
    FILE *f = tmpfile();
    fn(f);
    rewind(f);
    size_t n = fread(report_buf, 1, sizeof report_buf - 1, f);
    report_buf[n] = 0;
    fclose(f);
    return report_buf;
}
static uint32_t leak_count;
static void leak_into(FILE *f) { leak_count = ak_leak_check(f); }

static void test_report_text_and_json(void) {
    AkArena *a = ak_arena_create(.name = "report-me", .reserve = AK_MB(2));
    REQUIRE(a);
    CHECK(ak_arena_push(a, 5000, 8) != NULL);
    const char *t = capture(ak_pool_report);
    CHECK_STR_CONTAINS(t, "report-me");
    CHECK_STR_CONTAINS(t, "test_pool.c:");
    CHECK_STR_CONTAINS(t, "2.0 MB");  // reserved
    CHECK_STR_CONTAINS(t, "pool slots in use");
    CHECK_STR_CONTAINS(t, "high water");
    const char *j = capture(ak_pool_report_json);
    CHECK(j[0] == '[');
    CHECK_STR_CONTAINS(j, "\"name\": \"report-me\"");
    CHECK_STR_CONTAINS(j, "\"reserved\": 2097152");
    CHECK_STR_CONTAINS(j, "\"kind\": \"arena\"");
    CHECK_STR_CONTAINS(j, "test_pool.c\"");
    ak_arena_release(a);
    // Names with quotes are escaped in JSON.
    AkArena *q = ak_arena_create(.name = "say \"hi\"\n");
    j = capture(ak_pool_report_json);
    CHECK_STR_CONTAINS(j, "say \\\"hi\\\"\\u000a");
    ak_arena_release(q);
}

static void test_leak_check(void) {
    const char *t = capture(leak_into);
    CHECK_EQ(leak_count, 0);
    CHECK_STR_CONTAINS(t, "no arenas or heaps alive");
    AkArena *a = ak_arena_create(.name = "forgotten");
    AkArena *b = ak_arena_create(.name = "also-forgotten");
    // Scratch arenas belong to arenakit and are not leaks.
    AkTemp s = ak_scratch_begin(NULL, 0);
    t = capture(leak_into);
    CHECK_EQ(leak_count, 2);
    CHECK_STR_CONTAINS(t, "2 arenas or heaps still alive");
    CHECK_STR_CONTAINS(t, "forgotten");
    CHECK_STR_CONTAINS(t, "also-forgotten");
    CHECK_STR_CONTAINS(t, "test_pool.c:");
    CHECK(strstr(t, "scratch") == NULL);
    ak_scratch_end(s);
    ak_arena_release(a);
    ak_arena_release(b);
    CHECK_EQ(ak_leak_check(NULL), 0);
}

static void test_totals(void) {
    AkMemStats before = ak_pool_totals(AK_POOL_KIND_ARENA);
    AkArena *a = ak_arena_create(.reserve = AK_MB(4));
    AkMemStats after = ak_pool_totals(AK_POOL_KIND_ARENA);
    CHECK_EQ(after.reserved - before.reserved, AK_MB(4));
    CHECK(after.committed > before.committed);
    ak_arena_release(a);
    CHECK(strcmp(ak_pool_kind_name(AK_POOL_KIND_HEAP), "heap") == 0);
}

static AkMemStats dummy_stats(const void *obj) { (void)obj; return (AkMemStats){0}; }

static void exhaust_pool(void) {
    static char dummy;
    for (uint32_t i = 0; i <= ak_pool_capacity(); i++)
        (void)!ak_pool_register(&dummy, AK_POOL_KIND_ARENA, "dummy", AK_HERE, dummy_stats);
}

static void test_exhaustion(void) {
    // Debug builds assert with a message naming the limit and how to raise it.
    char err[4096];
    CHECK(ak_test_expect_abort(exhaust_pool, err, sizeof err));
    CHECK_STR_CONTAINS(err, "pool is full");
    CHECK_STR_CONTAINS(err, "AK_POOL_SLOTS");
    CHECK_STR_CONTAINS(err, "-DAK_POOL_SLOTS=N");
    // Up to the limit, every claim succeeds with a distinct slot and releases give them back.
    static char dummy;
    uint32_t base = ak_pool_count();
    uint32_t free_slots = ak_pool_capacity() - base;
    static int32_t slots[1 << 16];
    static unsigned char seen[1 << 16];
    memset(seen, 0, sizeof seen);
    for (uint32_t i = 0; i < free_slots; i++) {
        slots[i] = ak_pool_register(&dummy, AK_POOL_KIND_ARENA, "dummy", AK_HERE, dummy_stats);
        REQUIRE(slots[i] >= 0);
        CHECK(!seen[slots[i]]);
        seen[slots[i]] = 1;
    }
    CHECK_EQ(ak_pool_count(), ak_pool_capacity());
    for (uint32_t i = 0; i < free_slots; i++) ak_pool_unregister(slots[i]);
    CHECK_EQ(ak_pool_count(), base);
}

static void double_unregister(void) {
    static char dummy;
    int32_t s = ak_pool_register(&dummy, AK_POOL_KIND_ARENA, "x", AK_HERE, dummy_stats);
    ak_pool_unregister(s);
    ak_pool_unregister(s);
}

static void test_double_release_asserts(void) {
    char err[4096];
    CHECK(ak_test_expect_abort(double_unregister, err, sizeof err));
    CHECK_STR_CONTAINS(err, "released twice");
}

int main(void) {
    RUN(test_report_text_and_json);
    RUN(test_leak_check);
    RUN(test_totals);
    RUN(test_exhaustion);
    RUN(test_double_release_asserts);
    ak_scratch_release_thread();
    return test_finish();
}
