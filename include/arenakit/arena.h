// arena.h: a stack allocator over reserved virtual memory, committed on demand.
// An arena owns every byte pushed on it until a pop, clear or release gives it back; freeing
// is by position, never per object. One thread at a time uses an arena (hand it over with
// a release/acquire pair if another thread must take it). Every arena is registered in the
// pool (pool.h) when created, so the pool report and leak check name it and, in debug builds,
// the file and line that created it.
//
// When a block's reserve is used up the arena chains a new block (unless AK_ARENA_FIXED, which
// makes the reserve a hard cap: the push returns NULL and ak_arena_error() says why). Pops and
// clears give committed pages back to the OS beyond `keep` bytes, so a spike does not stay
// resident. Memory not handed out is poisoned for AddressSanitizer and Valgrind.
#ifndef ARENAKIT_ARENA_H
#define ARENAKIT_ARENA_H

#include "base.h"

#include <string.h>

typedef struct AkArena AkArena;

// Called when a push cannot be satisfied (OS refused to commit, fixed reserve exhausted, bad
// size or alignment). If it returns, the push returns NULL.
typedef void AkArenaOomFn(AkArena *arena, uint64_t size, const char *reason, void *user);

enum {
    AK_ARENA_FIXED = 1u << 0,       // no chaining: the reserve is a hard cap
    AK_ARENA_LARGE_PAGES = 1u << 1, // large (transparent huge) pages; steps round up to 2 MB
    AK_ARENA_NO_ZERO = 1u << 2,     // ak_arena_push does not zero (ak_arena_push_nz never does)
    AK_ARENA_PREFAULT = 1u << 3,    // make each commit step resident at once (one call, not one
                                    // fault per page): for arenas filled right after commit
};

typedef struct AkArenaParams {
    uint64_t reserve;   // address space per block; default 64 MB
    uint64_t commit;    // commit step; default 64 KB
    uint64_t keep;      // committed bytes a pop or clear keeps; default 1 MB. An arena that
                        // refills a big batch every round wants keep = the batch size, or
                        // every round faults its pages in again
    uint32_t flags;     // AK_ARENA_*
    const char *name;   // shown in reports; must outlive the arena (a literal, usually)
    AkArenaOomFn *on_oom;
    void *oom_user;
    uint32_t pool_kind; // AK_POOL_KIND_*: for arenakit's own modules (scratch, heap)
    AkLoc loc;          // filled by ak_arena_create in debug builds
} AkArenaParams;

#define AK_ARENA_DEFAULT_RESERVE AK_MB(64)
#define AK_ARENA_DEFAULT_COMMIT AK_KB(64)
#define AK_ARENA_DEFAULT_KEEP AK_MB(1)

// ak_arena_create(.reserve = AK_MB(1), .commit = AK_KB(512), .name = "chat"): all optional.
// Returns NULL (reason in ak_arena_last_create_error()) if the OS refuses the reserve or the
// first commit, or the pool is full (release builds; debug builds assert on a full pool).
#define ak_arena_create(...) ak_arena_create_with((AkArenaParams){.loc = AK_HERE, __VA_ARGS__})
AkArena *ak_arena_create_with(AkArenaParams params);
const char *ak_arena_last_create_error(void); // this thread's last failed create, or ""
void ak_arena_release(AkArena *arena);

// Push `size` bytes aligned to `align` (a power of two). Zeroed unless AK_ARENA_NO_ZERO.
// NULL, with ak_arena_error() set and the OOM handler called, if the memory cannot be had or
// the alignment is not a power of two; the arena is unchanged and stays usable. A zero-size
// push returns an aligned, non-NULL pointer that must not be dereferenced.
static inline void *ak_arena_push(AkArena *arena, uint64_t size, uint64_t align);
static inline void *ak_arena_push_nz(AkArena *arena, uint64_t size, uint64_t align);
void *ak_arena_push_slow(AkArena *arena, uint64_t size, uint64_t align, bool zero);
// count * size with an overflow check (NULL and the reason when it overflows); ak_push_array.
static inline void *ak_arena_push_array(AkArena *arena, uint64_t count, uint64_t size, uint64_t align, bool zero);

#define ak_push_struct(arena, T) ((T *)ak_arena_push((arena), sizeof(T), _Alignof(T)))
#define ak_push_struct_nz(arena, T) ((T *)ak_arena_push_nz((arena), sizeof(T), _Alignof(T)))
#define ak_push_array(arena, T, n) ((T *)ak_arena_push_array((arena), (n), sizeof(T), _Alignof(T), true))
#define ak_push_array_nz(arena, T, n) ((T *)ak_arena_push_array((arena), (n), sizeof(T), _Alignof(T), false))
// Copy of `size` bytes of `src` on the arena (NULL if the push fails).
void *ak_arena_push_copy(AkArena *arena, const void *src, uint64_t size, uint64_t align);

// Positions grow monotonically across chained blocks; 0 is below every push.
static inline uint64_t ak_arena_pos(AkArena *arena);
// Pop back to `pos` (from ak_arena_pos). A position at or beyond the current one is a no-op;
// one below the first push clamps to empty. Blocks chained after `pos` are released.
void ak_arena_pop_to(AkArena *arena, uint64_t pos);
void ak_arena_pop(AkArena *arena, uint64_t bytes); // more bytes than used empties the arena
void ak_arena_clear(AkArena *arena);

// Temporary scope: everything pushed between begin and end is popped by end.
typedef struct AkTemp {
    AkArena *arena;
    uint64_t pos;
} AkTemp;
static inline AkTemp ak_temp_begin(AkArena *arena) { return (AkTemp){arena, ak_arena_pos(arena)}; }
static inline void ak_temp_end(AkTemp temp) { ak_arena_pop_to(temp.arena, temp.pos); }

typedef struct AkMemStats {
    uint64_t reserved;   // address space
    uint64_t committed;  // pages the OS backs (resident once touched)
    uint64_t used;       // bytes handed out, alignment padding included
    uint64_t high_water; // the most `used` has ever been
    uint64_t blocks;     // reserved blocks (arena chain length) or heap blocks
} AkMemStats;

AkMemStats ak_arena_stats(AkArena *arena);
const char *ak_arena_error(const AkArena *arena); // last failure of this arena, or ""
const char *ak_arena_name(const AkArena *arena);
AkLoc ak_arena_loc(const AkArena *arena);
void ak_arena_set_oom_handler(AkArena *arena, AkArenaOomFn *fn, void *user);
// For modules that build on an arena and refuse a request before any push (str.c: a format
// vsnprintf cannot expand): `reason` becomes ak_arena_error(), prefixed like a push's failure.
// The OOM handler is not called: nothing ran out.
void ak_arena_set_error(AkArena *arena, const char *reason);

// ---- implementation details below: the inline fast path of push --------------------------

struct AkArena {
    AkArena *current;     // first block: the block pushes go to (itself until chained)
    AkArena *prev;        // the block before this one in the chain
    uint64_t base_pos;    // global position of this block's first byte
    uint64_t base_used;   // bytes used in all earlier blocks
    uint64_t pos;         // local position of the next free byte
    uint64_t fast_end;    // pushes ending at or below this take the inline path (0 = never)
    uint64_t committed;   // local committed bytes
    uint64_t reserved;    // bytes reserved for this block
    uint64_t dirty;       // bytes at or above max(pos, dirty) are known zero
    // The rest is meaningful in the first block only.
    uint64_t reserve_step, commit_step, keep;
    uint64_t high_water;
    uint32_t flags;
    int32_t pool_slot;
    uint32_t block_count;
    uint32_t pool_kind;
    const char *name;
    AkLoc loc;
    AkArenaOomFn *on_oom;
    void *oom_user;
    char error[160];
};

static inline uint64_t ak_arena_pos(AkArena *arena) {
    return arena->current->base_pos + arena->current->pos;
}

// Bounds that make the fast path's arithmetic unable to wrap: positions stay below 2^46
// (no block is larger), so with these limits start and end cannot overflow. With a constant
// size and alignment (the typed macros) the compiler folds them away, leaving one compare.
#define AK_ARENA_FAST_OK(size, align) (AK_IS_POW2(align) && (align) <= AK_GB(1) && (size) <= (AK_GB(1) << 16))

static inline void *ak_arena_push_nz(AkArena *arena, uint64_t size, uint64_t align) {
    AkArena *cur = arena->current;
    uint64_t start = (cur->pos + align - 1) & ~(align - 1);
    uint64_t end = start + size;
    // fast_end is 0 while a poisoning tool is active, so those pushes take the slow path.
    if (AK_ARENA_FAST_OK(size, align) && end <= cur->fast_end) {
        cur->pos = end;
        return (char *)cur + start;
    }
    return ak_arena_push_slow(arena, size, align, false);
}

static inline void *ak_arena_push(AkArena *arena, uint64_t size, uint64_t align) {
    AkArena *cur = arena->current;
    uint64_t start = (cur->pos + align - 1) & ~(align - 1);
    uint64_t end = start + size;
    if (AK_ARENA_FAST_OK(size, align) && end <= cur->fast_end) {
        cur->pos = end;
        // Below `dirty` memory was handed out before and popped; above it is fresh from the OS.
        if (start < cur->dirty) memset((char *)cur + start, 0, (size_t)(AK_MIN(end, cur->dirty) - start));
        return (char *)cur + start;
    }
    return ak_arena_push_slow(arena, size, align, true);
}

static inline void *ak_arena_push_array(AkArena *arena, uint64_t count, uint64_t size, uint64_t align, bool zero) {
    // An overflowing product becomes an impossible size, which the slow path reports.
    uint64_t bytes = size && count > UINT64_MAX / size ? UINT64_MAX : count * size;
    return zero ? ak_arena_push(arena, bytes, align) : ak_arena_push_nz(arena, bytes, align);
}

#endif
