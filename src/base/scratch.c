// scratch.c: up to AK_SCRATCH_COUNT arenas per thread, each created when first needed. The
// pool knows them as kind "scratch", so the leak check does not report them; a thread-exit
// destructor releases them.
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "arenakit/scratch.h"

#include "arenakit/pool.h"

#if !defined(_WIN32)
#  include <pthread.h>
#endif

#include <stdio.h>

_Static_assert(AK_SCRATCH_COUNT >= 2, "a call with one conflict needs a second scratch arena");

static _Thread_local AkArena *scratch_arenas[AK_SCRATCH_COUNT];
static _Thread_local char scratch_error[256];

#if !defined(_WIN32)
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_thread_exit(void *unused) {
    (void)unused;
    ak_scratch_release_thread();
}

static void scratch_key_create(void) { (void)pthread_key_create(&scratch_key, scratch_thread_exit); }
#endif

static AkArena *scratch_get(int i) {
    AK_ASSERT(i >= 0 && i < AK_SCRATCH_COUNT, "scratch arena %d of %d", i, AK_SCRATCH_COUNT);
    if (!scratch_arenas[i]) {
        scratch_arenas[i] = ak_arena_create_with((AkArenaParams){
            .name = "scratch", .pool_kind = AK_POOL_KIND_SCRATCH, .loc = AK_HERE});
#if !defined(_WIN32)
        // Any non-NULL value makes the destructor run at thread exit.
        pthread_once(&scratch_once, scratch_key_create);
        pthread_setspecific(scratch_key, scratch_arenas);
#endif
    }
    return scratch_arenas[i];
}

AkTemp ak_scratch_begin(AkArena *const *conflicts, int count) {
    scratch_error[0] = 0;
    for (int i = 0; i < AK_SCRATCH_COUNT; i++) {
        AkArena *a = scratch_arenas[i];
        bool taken = false;
        for (int j = 0; j < count && a; j++) taken |= conflicts[j] == a;
        if (taken) continue;
        a = scratch_get(i);
        if (!a) {
            snprintf(scratch_error, sizeof scratch_error, "scratch arena %d: %s", i, ak_arena_last_create_error());
            return (AkTemp){0};
        }
        return ak_temp_begin(a);
    }
    snprintf(scratch_error, sizeof scratch_error,
             "ak_scratch_begin: all %d scratch arenas of this thread are among the %d conflicts "
             "(rebuild arenakit with -DAK_SCRATCH_COUNT=N for more)", AK_SCRATCH_COUNT, count);
    return (AkTemp){0};
}

const char *ak_scratch_error(void) { return scratch_error; }
int ak_scratch_capacity(void) { return AK_SCRATCH_COUNT; }

void ak_scratch_release_thread(void) {
    for (int i = 0; i < AK_SCRATCH_COUNT; i++) {
        ak_arena_release(scratch_arenas[i]);
        scratch_arenas[i] = NULL;
    }
}
