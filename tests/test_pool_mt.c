// Pool stress: 8 threads claim and release slots and create, use and release arenas at the
// same time. Every claim is checked against an ownership table: a slot handed to two
// threads at once fails the test. The pool ends as it started. Clean under ThreadSanitizer.
#include "test.h"

#include "arenakit/arenakit.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 8

static _Atomic int owner[AK_POOL_SLOTS];
static _Atomic uint64_t ops, double_claims;
static uint64_t claims_per_thread, arenas_per_thread;

static AkMemStats no_stats(const void *o) { (void)o; return (AkMemStats){0}; }

static void claim(int32_t slot, int me) {
    int expect = 0;
    if (!atomic_compare_exchange_strong(&owner[slot], &expect, me)) atomic_fetch_add(&double_claims, 1);
}
static void unclaim(int32_t slot, int me) {
    int expect = me;
    if (!atomic_compare_exchange_strong(&owner[slot], &expect, 0)) atomic_fetch_add(&double_claims, 1);
}

static void *worker(void *arg) {
    int me = (int)(intptr_t)arg + 1;
    static char objects[THREADS];
    int32_t held[16];
    uint64_t n = 0;
    for (uint64_t i = 0; i < claims_per_thread; i++) {
        // Hold a few slots at a time so claims interleave with other threads' releases.
        int k = (int)(i % 16);
        held[k] = ak_pool_register(&objects[me - 1], AK_POOL_KIND_ARENA, "stress", AK_HERE, no_stats);
        if (held[k] < 0) break;
        claim(held[k], me);
        n++;
        if (k == 15)
            for (int j = 0; j < 16; j++) {
                unclaim(held[j], me);
                ak_pool_unregister(held[j]);
                n++;
            }
    }
    for (uint64_t i = 0; i < arenas_per_thread; i++) {
        AkArena *a = ak_arena_create(.reserve = AK_KB(256), .commit = AK_KB(16), .name = "stress-arena");
        if (!a) break;
        claim(a->pool_slot, me);
        for (int j = 0; j < 32; j++) {
            uint64_t *p = ak_arena_push(a, 64, 8);
            if (p) p[0] = i;
        }
        AkTemp t = ak_scratch_begin(NULL, 0);
        ak_arena_push(t.arena, 128, 8);
        ak_scratch_end(t);
        unclaim(a->pool_slot, me);
        ak_arena_release(a);
        n += 36;
    }
    atomic_fetch_add(&ops, n);
    return NULL;
}

static void test_concurrent_claims(void) {
    uint32_t before = ak_pool_count();
    double s = test_scale();
    claims_per_thread = (uint64_t)(16 * 4000 * s) / 16 * 16; // multiple of 16: all released
    arenas_per_thread = (uint64_t)(3000 * s) + 1;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    printf("  %llu pool operations in %d threads\n", (unsigned long long)atomic_load(&ops), THREADS);
    CHECK_EQ(atomic_load(&double_claims), 0);
    CHECK_EQ(ak_pool_count(), before); // scratch arenas released at thread exit too
    if (s >= 1) CHECK(atomic_load(&ops) >= 1000000);
}

int main(void) {
    RUN(test_concurrent_claims);
    return test_finish();
}
