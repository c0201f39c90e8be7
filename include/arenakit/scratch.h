// scratch.h: per-thread scratch arenas for temporary work inside a function.
// ak_scratch_begin(conflicts, n) hands out a scratch arena that is none of the `conflicts`,
// so a function can build temporaries while it pushes its results on the caller's arena,
// even when the caller's arena is itself a scratch arena. ak_scratch_end pops everything
// pushed since begin. The arenas are created on first use (only as many as the conflicts
// named so far need), belong to the calling thread, and are released when the thread exits
// (POSIX) or by ak_scratch_release_thread().
#ifndef ARENAKIT_SCRATCH_H
#define ARENAKIT_SCRATCH_H

#include "arena.h"

#ifndef AK_SCRATCH_COUNT
// Scratch arenas per thread, at most: a call may name up to AK_SCRATCH_COUNT - 1 scratch
// arenas as conflicts. The library's value counts (rebuild it with -DAK_SCRATCH_COUNT=N);
// ak_scratch_capacity() returns it.
#  define AK_SCRATCH_COUNT 4
#endif

// Returns a temp scope on a scratch arena that is not in conflicts[0..count). Its arena is
// NULL, in every build, when all AK_SCRATCH_COUNT scratch arenas are among the conflicts or
// the OS refuses to create one: ak_scratch_error() says which. Ending such a scope does
// nothing, so a caller that checks `.arena` has no other cleanup to do.
AK_NODISCARD AkTemp ak_scratch_begin(AkArena *const *conflicts, int count);
static inline void ak_scratch_end(AkTemp scratch) {
    if (scratch.arena) ak_temp_end(scratch);
}
// Shorthand for one conflict (or NULL for none).
AK_NODISCARD static inline AkTemp ak_scratch_begin1(AkArena *conflict) { return ak_scratch_begin(&conflict, conflict ? 1 : 0); }
const char *ak_scratch_error(void); // why this thread's last ak_scratch_begin gave no arena, or ""
int ak_scratch_capacity(void);      // AK_SCRATCH_COUNT as the library was built

// Release this thread's scratch arenas now (threads that outlive their need for them, or the
// main thread before a leak check that should show nothing).
void ak_scratch_release_thread(void);

#endif
