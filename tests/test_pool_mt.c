// Pool stress: 8 threads claim and release slots and create, use (push, chain, pop) and release
// arenas at the same time, while a reader thread takes snapshots, totals and every report.
// Every claim is checked against an ownership table: a slot handed to two threads at once
// fails the test. The reader checks what it reads makes sense; under ThreadSanitizer any read
// of an arena that races with its owner's pushes, or with its release, fails the run. The
// pool ends as it started.
#include "test.h"

#include "arenakit/arenakit.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 8

static _Atomic int owner[AK_POOL_SLOTS];
static _Atomic uint64_t ops, double_claims, writers_done, reads, bad_reads, arena_rows;
static uint64_t claims_per_thread, arenas_per_thread;

// A registered object whose figure its owner changes while the reader reads it.
typedef struct Counter {
    _Atomic uint64_t used;
} Counter;
static Counter counters[THREADS];
#define COUNTER_MAX 1000000

static AkMemStats counter_stats(const void *o) {
    const Counter *c = o;
    uint64_t used = atomic_load_explicit(&((Counter *)c)->used, memory_order_relaxed);
    return (AkMemStats){.reserved = COUNTER_MAX, .used = used, .high_water = used, .blocks = 1};
}

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
    Counter *mine = &counters[me - 1];
    int32_t held[16];
    uint64_t n = 0;
    for (uint64_t i = 0; i < claims_per_thread; i++) {
        // Hold a few slots at a time so claims interleave with other threads' releases.
        int k = (int)(i % 16);
        held[k] = ak_pool_register(mine, AK_POOL_KIND_ARENA, "stress", AK_HERE, counter_stats);
        if (held[k] < 0) break;
        atomic_store_explicit(&mine->used, i % COUNTER_MAX, memory_order_relaxed);
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
        AkArena *a = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(16), .name = "stress-arena");
        if (!a) break;
        claim(a->pool_slot, me);
        // Enough to chain a few blocks (64 KB each), then pop back across them.
        uint64_t mid = 0;
        for (int j = 0; j < 256; j++) {
            if (j == 64) mid = ak_arena_pos(a);
            uint64_t *p = ak_arena_push(a, 1000, 8);
            if (p) p[0] = i;
        }
        ak_arena_pop_to(a, mid);
        AkTemp t = ak_scratch_begin(NULL, 0);
        if (t.arena) (void)!ak_arena_push(t.arena, 128, 8);
        ak_scratch_end(t);
        unclaim(a->pool_slot, me);
        ak_arena_release(a);
        n += 261;
    }
    atomic_fetch_add(&ops, n);
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void check_entry(const AkPoolEntry *e) {
    const AkMemStats *s = &e->stats;
    bool ok = s->used <= s->reserved && s->committed <= s->reserved && s->high_water >= s->used && s->blocks >= 1;
    if (e->name && !strcmp(e->name, "stress-arena")) {
        ok = ok && s->reserved >= AK_KB(64) && s->committed >= AK_KB(16) && s->blocks <= 8;
        atomic_fetch_add(&arena_rows, 1);
    }
    if (!ok) atomic_fetch_add(&bad_reads, 1);
}

// Reads everything the pool offers, as often as it can, until every writer is done.
static void *reader(void *arg) {
    (void)arg;
    static AkPoolEntry entries[AK_POOL_SLOTS];
    FILE *sink = fopen("/dev/null", "w");
    if (!sink) return NULL;
    uint64_t rounds = 0;
    do {
        uint32_t n = ak_pool_snapshot(entries, AK_POOL_SLOTS);
        for (uint32_t i = 0; i < n; i++) check_entry(&entries[i]);
        AkMemStats t = ak_pool_totals(AK_POOL_KIND_COUNT);
        if (t.used > t.reserved) atomic_fetch_add(&bad_reads, 1);
        if (rounds % 8 == 0) {
            ak_pool_report(sink);
            ak_pool_report_json(sink);
            ak_pool_trace_sample(sink, (double)rounds);
            (void)ak_leak_check(NULL);
        }
        rounds++;
    } while (atomic_load(&writers_done) < THREADS);
    fclose(sink);
    atomic_store(&reads, rounds);
    return NULL;
}

static void test_concurrent_claims_and_reports(void) {
    uint32_t before = ak_pool_count();
    double s = test_scale();
    claims_per_thread = (uint64_t)(16 * 4000 * s) / 16 * 16; // multiple of 16: all released
    arenas_per_thread = (uint64_t)(400 * s) + 1;
    pthread_t th[THREADS], rd;
    pthread_create(&rd, NULL, reader, NULL);
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    pthread_join(rd, NULL);
    printf("  %llu pool operations in %d threads, %llu report rounds read %llu arena rows\n",
           (unsigned long long)atomic_load(&ops), THREADS, (unsigned long long)atomic_load(&reads),
           (unsigned long long)atomic_load(&arena_rows));
    CHECK_EQ(atomic_load(&double_claims), 0);
    CHECK_EQ(atomic_load(&bad_reads), 0);
    CHECK(atomic_load(&reads) >= 1);
    CHECK_EQ(ak_pool_count(), before); // scratch arenas released at thread exit too
    if (s >= 1) CHECK(atomic_load(&ops) >= 1000000);
}

int main(void) {
    RUN(test_concurrent_claims_and_reports);
    return test_finish();
}
