// pool.h: the process-wide registry of every live arena and heap. A fixed table of slots,
// claimed and freed lock-free through an atomic bitmask (a set bit means "in use", so the
// zero-initialized table is ready without an init step and first claims from many threads
// race safely). Each slot records the object, its kind, a name and, in debug builds, the file
// and line that created it; that is what the report and the leak check print.
//
// The pool owns no memory of its own beyond the static table. Reports may run on any thread
// while other threads push on, pop, create and release their arenas: an arena's figures are
// atomics read relaxed (each one exact, taken at slightly different moments), and a release
// waits until a report that is reading that object at the moment has read it. (How a
// heap's figures are read is up to the heap module's stats function.) Locations are kept only when the
// library is a debug build, whatever the caller passes.
#ifndef ARENAKIT_POOL_H
#define ARENAKIT_POOL_H

#include "arena.h"

#include <stdio.h>

#ifndef AK_POOL_SLOTS
#  define AK_POOL_SLOTS 2048 // raise with -DAK_POOL_SLOTS=N (a multiple of 64) for the library
#endif

enum {
    AK_POOL_KIND_ARENA,
    AK_POOL_KIND_SCRATCH, // thread-local scratch arenas: owned by arenakit, not leaks
    AK_POOL_KIND_HEAP,
    AK_POOL_KIND_COUNT
};

typedef AkMemStats AkPoolStatsFn(const void *object);

// Claim a slot; -1 when every slot is in use (debug builds assert instead, naming the limit).
AK_NODISCARD int32_t ak_pool_register(void *object, uint32_t kind, const char *name, AkLoc loc, AkPoolStatsFn *stats);
void ak_pool_unregister(int32_t slot);
// Debug builds: assert that `object` is a live registered object before `op` (a release)
// touches its memory; one released recently is named, with where it was created. Release
// builds: nothing.
void ak_pool_assert_live(const void *object, const char *op);

typedef struct AkPoolEntry {
    int32_t slot;
    uint32_t kind;
    const void *object;
    const char *name;
    AkLoc loc;
    AkMemStats stats;
} AkPoolEntry;

uint32_t ak_pool_count(void);      // live slots, all kinds
uint32_t ak_pool_capacity(void);   // AK_POOL_SLOTS as the library was built
// Copy up to `max` live entries into `out`, in slot order; returns how many were copied.
uint32_t ak_pool_snapshot(AkPoolEntry *out, uint32_t max);
// Sums over one kind, or over all memory with AK_POOL_KIND_COUNT: arenas and scratch arenas,
// not heaps, whose bytes already count in the arena they grow on.
AkMemStats ak_pool_totals(uint32_t kind);
const char *ak_pool_kind_name(uint32_t kind);

// Every live entry as a table (name, kind, file:line, reserved, committed, used, high water)
// or as a JSON array of objects with the same fields.
void ak_pool_report(FILE *out);
void ak_pool_report_json(FILE *out);

// Memory trace: one CSV row per live entry, all stamped with t_ms, under the header
// "t_ms,slot,kind,name,reserved,committed,used". A program samples at moments of its
// choosing (tools/memplot draws the file as a stacked timeline).
void ak_pool_trace_header(FILE *out);
void ak_pool_trace_sample(FILE *out, double t_ms);

// Lists every live arena and heap (scratch arenas excepted: arenakit owns them) with where it
// was created, and returns how many there are. Call at shutdown; 0 means no leaks.
uint32_t ak_leak_check(FILE *out);
// Debug builds: at exit, run ak_leak_check(stderr) if anything is still alive. Release builds:
// does nothing.
void ak_leak_check_at_exit(void);

#endif
