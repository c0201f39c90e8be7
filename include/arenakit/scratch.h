// scratch.h: per-thread scratch arenas for temporary work inside a function.
// ak_scratch_begin(conflicts, n) hands out a scratch arena that is none of the `conflicts`,
// so a function can build temporaries while it pushes its results on the caller's arena,
// even when the caller's arena is itself a scratch arena. ak_scratch_end pops everything
// pushed since begin. The arenas are created on first use, belong to the calling thread, and
// are released when the thread exits (POSIX) or by ak_scratch_release_thread().
#ifndef ARENAKIT_SCRATCH_H
#define ARENAKIT_SCRATCH_H

#include "arena.h"

#ifndef AK_SCRATCH_COUNT
#  define AK_SCRATCH_COUNT 2 // one more than the conflicts a call may name
#endif

// Returns a temp scope on a scratch arena that is not in conflicts[0..count). If every scratch
// arena conflicts (a programmer error: raise AK_SCRATCH_COUNT) debug builds assert; release
// builds, and an OS that refuses the first reserve, return a scope whose arena is NULL.
AkTemp ak_scratch_begin(AkArena *const *conflicts, int count);
static inline void ak_scratch_end(AkTemp scratch) { ak_temp_end(scratch); }
// Shorthand for one conflict (or NULL for none).
static inline AkTemp ak_scratch_begin1(AkArena *conflict) { return ak_scratch_begin(&conflict, conflict ? 1 : 0); }

// Release this thread's scratch arenas now (threads that outlive their need for them, or the
// main thread before a leak check that should show nothing).
void ak_scratch_release_thread(void);

#endif
