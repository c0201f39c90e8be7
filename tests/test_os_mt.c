// The process commit budget under contention: one thread keeps asking for commits that can
// never fit while another commits and decommits a page that always fits. A refused charge must
// never make the fitting one fail (an add-then-undo of the refused charge did, in between).
#include "test.h"

#include "arenakit/arenakit.h"

#include <pthread.h>
#include <stdatomic.h>

static _Atomic int stop;
static _Atomic uint64_t refused_big, failed_small, small_ops;

static void *ask_too_much(void *arg) {
    char *p = arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (!ak_os_commit(p, AK_MB(64))) atomic_fetch_add_explicit(&refused_big, 1, memory_order_relaxed);
        else (void)!ak_os_decommit(p, AK_MB(64)); // cannot fit: counted as a failure below
    }
    return NULL;
}

static void test_refused_commit_does_not_fail_a_fitting_one(void) {
    uint64_t page = ak_os_page_size();
    char *big = ak_os_reserve(AK_MB(64), false);
    char *small = ak_os_reserve(page, false);
    REQUIRE(big && small);
    // Room for the small page and a little more, never for the big request.
    ak_os_set_commit_limit(ak_os_committed() + 4 * page);
    pthread_t th;
    pthread_create(&th, NULL, ask_too_much, big);
    uint64_t rounds = (uint64_t)(50000 * test_scale()) + 100;
    for (uint64_t i = 0; i < rounds; i++) {
        if (!ak_os_commit(small, page)) {
            atomic_fetch_add(&failed_small, 1);
            continue;
        }
        small[0] = 1;
        if (!ak_os_decommit(small, page)) atomic_fetch_add(&failed_small, 1);
        atomic_fetch_add(&small_ops, 1);
    }
    atomic_store(&stop, 1);
    pthread_join(th, NULL);
    ak_os_set_commit_limit(0);
    printf("  %llu fitting commits, %llu refused big ones at the same time\n",
           (unsigned long long)atomic_load(&small_ops), (unsigned long long)atomic_load(&refused_big));
    CHECK_EQ(atomic_load(&failed_small), 0);
    CHECK(atomic_load(&refused_big) > 0);
    CHECK(ak_os_release(big, AK_MB(64), 0));
    CHECK(ak_os_release(small, page, 0));
}

int main(void) {
    RUN(test_refused_commit_does_not_fail_a_fitting_one);
    return test_finish();
}
