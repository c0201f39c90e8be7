// Scratch arenas: never alias a conflict, nest, are per thread, are popped by end.
#include "test.h"

#include "arenakit/arenakit.h"

#include <pthread.h>

// A function that returns a result on the caller's arena and uses scratch inside.
static char *join_numbers(AkArena *out, int n) {
    AkTemp scratch = ak_scratch_begin1(out);
    int *tmp = ak_push_array(scratch.arena, int, (uint64_t)n);
    for (int i = 0; i < n; i++) tmp[i] = i;
    char *s = ak_arena_push(out, (uint64_t)n * 4 + 1, 1);
    char *w = s;
    for (int i = 0; i < n; i++) w += sprintf(w, "%d,", tmp[i] % 100);
    ak_scratch_end(scratch);
    return s;
}

static void test_no_alias(void) {
    AkTemp outer = ak_scratch_begin(NULL, 0);
    REQUIRE(outer.arena);
    // The caller's arena is a scratch arena: the callee must get the other one.
    AkTemp inner = ak_scratch_begin1(outer.arena);
    REQUIRE(inner.arena);
    CHECK(inner.arena != outer.arena);
    uint64_t outer_pos = ak_arena_pos(outer.arena);
    char *s = join_numbers(outer.arena, 50);
    CHECK(strncmp(s, "0,1,2,3,", 8) == 0);
    CHECK(ak_arena_pos(outer.arena) > outer_pos); // result stayed on the caller's arena
    // Both scratch arenas in use by callers: a third one, distinct from both.
    AkArena *conflicts[2] = {outer.arena, inner.arena};
    AkTemp third = ak_scratch_begin(conflicts, 2);
    REQUIRE(third.arena);
    CHECK(third.arena != outer.arena && third.arena != inner.arena);
    uint64_t inner_pos = ak_arena_pos(inner.arena), outer_now = ak_arena_pos(outer.arena);
    CHECK(ak_arena_push(third.arena, 1000, 8) != NULL);
    CHECK_EQ(ak_arena_pos(inner.arena), inner_pos);
    CHECK_EQ(ak_arena_pos(outer.arena), outer_now);
    ak_scratch_end(third);
    ak_scratch_end(inner);
    ak_scratch_end(outer);
    CHECK_EQ(ak_arena_pos(outer.arena), outer.pos);
}

static void test_end_pops(void) {
    AkTemp t = ak_scratch_begin(NULL, 0);
    uint64_t start = ak_arena_pos(t.arena);
    CHECK(ak_arena_push(t.arena, 12345, 8) != NULL);
    ak_scratch_end(t);
    AkTemp t2 = ak_scratch_begin(NULL, 0);
    CHECK(t2.arena == t.arena);
    CHECK_EQ(ak_arena_pos(t2.arena), start);
    ak_scratch_end(t2);
}

// Every scratch arena of the thread among the conflicts: a scope with a NULL arena and a
// reason, in every build (tests/test_build_modes.sh runs this in a release build too), and
// ending it does nothing.
static void test_all_conflict_is_an_error(void) {
    int n = ak_scratch_capacity();
    REQUIRE(n >= 2 && n <= 16);
    AkTemp scopes[16];
    AkArena *taken[16];
    for (int i = 0; i < n; i++) {
        scopes[i] = ak_scratch_begin(taken, i);
        REQUIRE(scopes[i].arena);
        for (int j = 0; j < i; j++) CHECK(scopes[i].arena != taken[j]);
        taken[i] = scopes[i].arena;
        CHECK(ak_arena_push(taken[i], 64, 8) != NULL);
    }
    CHECK(ak_scratch_error()[0] == 0);
    AkTemp none = ak_scratch_begin(taken, n);
    CHECK(none.arena == NULL);
    CHECK_STR_CONTAINS(ak_scratch_error(), "AK_SCRATCH_COUNT");
    CHECK_STR_CONTAINS(ak_scratch_error(), "conflicts");
    ak_scratch_end(none); // no crash, nothing popped
    for (int i = n - 1; i >= 0; i--) {
        CHECK(ak_arena_pos(taken[i]) > scopes[i].pos);
        ak_scratch_end(scopes[i]);
        CHECK_EQ(ak_arena_pos(taken[i]), scopes[i].pos);
    }
    // Fewer conflicts than arenas: one is free again.
    AkTemp again = ak_scratch_begin(taken, n - 1);
    CHECK(again.arena == taken[n - 1]);
    CHECK(ak_scratch_error()[0] == 0);
    ak_scratch_end(again);
}

static AkArena *thread_scratch;
static void *thread_main(void *arg) {
    (void)arg;
    AkTemp t = ak_scratch_begin(NULL, 0);
    thread_scratch = t.arena;
    (void)!ak_arena_push(t.arena, 100, 8);
    ak_scratch_end(t);
    return NULL; // the thread-exit destructor releases its scratch arenas
}

static void test_per_thread(void) {
    AkTemp mine = ak_scratch_begin(NULL, 0);
    uint32_t before = ak_pool_count();
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    CHECK(thread_scratch != NULL && thread_scratch != mine.arena);
    CHECK_EQ(ak_pool_count(), before); // released at thread exit
    ak_scratch_end(mine);
}

int main(void) {
    RUN(test_no_alias);
    RUN(test_end_pops);
    RUN(test_all_conflict_is_an_error);
    RUN(test_per_thread);
    ak_scratch_release_thread();
    CHECK_EQ(ak_leak_check(NULL), 0);
    return test_finish();
}
