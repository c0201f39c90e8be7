// Poisoning: memory not handed out is poisoned for AddressSanitizer (and marked no-access
// for Valgrind), pushes unpoison, pops poison again; a use after pop is caught at the access.
#include "test.h"

#include "arenakit/arenakit.h"

#if defined(__SANITIZE_ADDRESS__)
#  define HAVE_ASAN 1
int __asan_address_is_poisoned(void const volatile *addr);
#endif
#if defined(__has_include)
#  if __has_include(<valgrind/memcheck.h>)
#    include <valgrind/memcheck.h>
#    define HAVE_VG 1
#  endif
#endif

// Which tool can tell poisoned bytes here; NULL when none can. A run under Valgrind's memcheck
// in a build that cannot talk to it (no valgrind/memcheck.h) is a failure, not a skip: the
// library poisons nothing there, and that is what this test is for.
static const char *poison_tool(void) {
#ifdef HAVE_ASAN
    return "AddressSanitizer";
#elif defined(HAVE_VG)
    return RUNNING_ON_VALGRIND ? "Valgrind" : NULL;
#else
    return NULL;
#endif
}

static bool under_memcheck_without_header(void) {
#if !defined(HAVE_ASAN) && !defined(HAVE_VG)
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload_memcheck");
#else
    return false;
#endif
}

// 1 if the byte may not be touched, 0 if it may, -1 if no tool can tell.
static int poisoned(const void *p) {
#ifdef HAVE_ASAN
    return __asan_address_is_poisoned(p);
#elif defined(HAVE_VG)
    if (!RUNNING_ON_VALGRIND) return -1;
    unsigned char vbits;
    return VALGRIND_GET_VBITS(p, &vbits, 1) == 3; // 3: unaddressable, and no error reported
#else
    (void)p;
    return -1;
#endif
}

static void test_push_pop_poison(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(1));
    REQUIRE(a);
    char *p = ak_arena_push(a, 64, 16);
    REQUIRE(p);
    REQUIRE(poisoned(p) >= 0); // main() runs this test only where a tool can tell
    CHECK(poisoned(p) == 0);
    CHECK(poisoned(p + 63) == 0);
    CHECK(poisoned(p + 64) == 1);   // the next free byte
    CHECK(poisoned(p + 4000) == 1); // committed but not handed out
    ak_arena_pop(a, 64);
    CHECK(poisoned(p) == 1);
    CHECK(poisoned(p + 63) == 1);
    char *q = ak_arena_push_nz(a, 32, 16);
    CHECK(q == p && poisoned(q) == 0 && poisoned(q + 40) == 1);
    AkTemp t = ak_temp_begin(a);
    char *r = ak_arena_push(a, 100, 8);
    ak_temp_end(t);
    CHECK(poisoned(r) == 1);
    ak_arena_release(a);
}

#ifdef HAVE_ASAN
static volatile char sink;
static void use_after_pop(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(1));
    char *p = ak_arena_push(a, 64, 16);
    ak_arena_clear(a);
    sink = p[10];
}

static void test_use_after_pop_is_caught(void) {
    char err[8192];
    int status = ak_test_run_child(use_after_pop, err, sizeof err);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK_STR_CONTAINS(err, "use-after-poison");
}
#endif

// A build with no tool to ask reports the tests as skipped (not passed); a memcheck run the
// build cannot talk to fails.
int main(void) {
    if (under_memcheck_without_header()) {
        printf("FAIL test_push_pop_poison: running under memcheck, but built without valgrind/memcheck.h: "
               "the arena poisons nothing\n");
        test_failed++;
        return test_finish();
    }
    const char *tool = poison_tool();
    if (tool) {
        printf("  (checking with %s)\n", tool);
        RUN(test_push_pop_poison);
    } else {
        printf("SKIP test_push_pop_poison: neither AddressSanitizer nor Valgrind memcheck can tell here\n");
    }
#ifdef HAVE_ASAN
    RUN(test_use_after_pop_is_caught);
#else
    printf("SKIP test_use_after_pop_is_caught: needs AddressSanitizer\n");
#endif
    return test_finish();
}
