// The locked heap under threads (run under ThreadSanitizer by make test-tsan): four threads
// share one `.locked` heap and a table of blocks. A thread takes a block out of the table with
// an atomic exchange (so a block allocated on one thread is checked, reallocated and freed on
// another), checks its pattern, then frees it, reallocates it or puts a new one in. Also:
// unlocked heaps, one per thread, created and released concurrently (the pool is shared).
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/heap.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 4
#define SLOTS 512

static AkHeap *shared;
static _Atomic(uintptr_t) slots[SLOTS];
static atomic_int errors;

// A block starts with its size and id; the rest is a pattern of the id.
static void stamp(unsigned char *p, size_t size, uint64_t id) {
    memcpy(p, &size, sizeof size);
    memcpy(p + 8, &id, sizeof id);
    for (size_t i = 16; i < size; i++) p[i] = (unsigned char)(id + i);
}
static size_t verify(const unsigned char *p) {
    size_t size;
    uint64_t id;
    memcpy(&size, p, sizeof size);
    memcpy(&id, p + 8, sizeof id);
    for (size_t i = 16; i < size; i++)
        if (p[i] != (unsigned char)(id + i)) {
            atomic_fetch_add(&errors, 1);
            break;
        }
    return size;
}

static uint64_t rng(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t rand_size(uint64_t *s) {
    uint64_t r = rng(s) % 100;
    return 16 + (size_t)(r < 80 ? rng(s) % 200 : r < 98 ? rng(s) % 4000 : rng(s) % 60000);
}

static void *shared_worker(void *arg) {
    uint64_t seed = 0x9E3779B97F4A7C15ull * ((uintptr_t)arg + 1);
    long ops = (long)(100000 * test_scale());
    for (long op = 0; op < ops; op++) {
        uint64_t id = ((uint64_t)(uintptr_t)arg << 40) | (uint64_t)op;
        _Atomic(uintptr_t) *slot = &slots[rng(&seed) % SLOTS];
        unsigned char *p = (unsigned char *)atomic_exchange_explicit(slot, 0, memory_order_acq_rel);
        if (p) {
            size_t size = verify(p);
            if (ak_heap_usable_size(shared, p) < size) atomic_fetch_add(&errors, 1);
            uint64_t r = rng(&seed) % 10;
            if (r < 5) {
                ak_heap_free(shared, p);
                continue;
            }
            if (r < 8) {
                p = ak_heap_realloc(shared, p, rand_size(&seed));
            } else {
                ak_heap_free(shared, p);
                p = (unsigned char *)ak_heap_aligned_alloc(shared, (size_t)64 << (rng(&seed) % 4), rand_size(&seed));
            }
        } else {
            p = ak_heap_malloc(shared, rand_size(&seed));
        }
        if (!p) {
            atomic_fetch_add(&errors, 1);
            continue;
        }
        stamp(p, AK_MIN(ak_heap_usable_size(shared, p), 60016), id);
        unsigned char *old = (unsigned char *)atomic_exchange_explicit(slot, (uintptr_t)p, memory_order_acq_rel);
        if (old) {
            verify(old);
            ak_heap_free(shared, old);
        }
        if (op % 10000 == 0 && ak_heap_stats(shared).used_blocks > SLOTS + THREADS) atomic_fetch_add(&errors, 1);
    }
    return NULL;
}

static void test_locked_shared(void) {
    shared = ak_heap_create(.name = "shared", .locked = true);
    REQUIRE(shared);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++) REQUIRE(pthread_create(&t[i], NULL, shared_worker, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&errors), 0);
    CHECK_MSG(ak_heap_check(shared), "%s", ak_heap_error(shared));
    uint64_t live = 0;
    for (int i = 0; i < SLOTS; i++) {
        unsigned char *p = (unsigned char *)atomic_load(&slots[i]);
        if (!p) continue;
        verify(p);
        live++;
    }
    CHECK_EQ(ak_heap_stats(shared).used_blocks, live);
    for (int i = 0; i < SLOTS; i++) ak_heap_free(shared, (void *)atomic_exchange(&slots[i], 0));
    CHECK_EQ(atomic_load(&errors), 0);
    AkHeapStats s = ak_heap_stats(shared);
    CHECK_EQ(s.used_blocks, 0);
    CHECK_EQ(s.free_blocks, s.regions);
    ak_heap_release(shared);
}

static void *own_worker(void *arg) {
    uint64_t seed = 77 + (uintptr_t)arg;
    for (int round = 0; round < 20; round++) {
        AkHeap *h = ak_heap_create(.name = "per-thread");
        if (!h) {
            atomic_fetch_add(&errors, 1);
            return NULL;
        }
        void *v[256] = {0};
        for (int i = 0; i < (int)(4000 * test_scale()); i++) {
            int k = (int)(rng(&seed) % 256);
            if (v[k]) {
                verify(v[k]);
                ak_heap_free(h, v[k]);
                v[k] = NULL;
            } else if ((v[k] = ak_heap_malloc(h, rand_size(&seed)))) {
                stamp(v[k], AK_MIN(ak_heap_usable_size(h, v[k]), 60016), (uint64_t)i);
            }
        }
        if (!ak_heap_check(h)) atomic_fetch_add(&errors, 1);
        ak_heap_release(h); // the live blocks go with it
    }
    return NULL;
}

static void test_unlocked_per_thread(void) {
    uint32_t before = ak_pool_count();
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++) REQUIRE(pthread_create(&t[i], NULL, own_worker, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    CHECK_EQ(atomic_load(&errors), 0);
    CHECK_EQ(ak_pool_count(), before);
}

int main(void) {
    RUN(test_locked_shared);
    RUN(test_unlocked_per_thread);
    return test_finish();
}
