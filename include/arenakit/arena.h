// arena.h: a stack allocator over reserved virtual memory, committed on demand.
// An arena owns every byte pushed on it until a pop, clear or release gives it back; freeing
// is by position, never per object. One thread at a time uses an arena (hand it over with
// a release/acquire pair if another thread must take it). Every arena is registered in the
// pool (pool.h) when created, so the pool report and leak check name it and, in debug builds,
// the file and line that created it.
//
// When a block's reserve is used up the arena chains a new block (unless AK_ARENA_FIXED, which
// makes the reserve a hard cap: the push returns NULL and ak_arena_error() says why). A pop that
// releases chained blocks keeps one of them (the one right after the position popped to) as a
// spare for the next chain, so a temporary scope that crosses a block boundary does not map
// and unmap a block every round. Pops and
// clears give committed pages back to the OS beyond `keep` bytes, so a spike does not stay
// resident. Memory not handed out is poisoned for AddressSanitizer and Valgrind.
#ifndef ARENAKIT_ARENA_H
#define ARENAKIT_ARENA_H

#include "base.h"

#include <stdatomic.h>
#include <string.h>

typedef struct AkArena AkArena;

// Called when a push cannot be satisfied (OS refused to commit, fixed reserve exhausted, bad
// size or alignment). If it returns, the push returns NULL.
typedef void AkArenaOomFn(AkArena *arena, uint64_t size, const char *reason, void *user);

enum {
    AK_ARENA_FIXED = 1u << 0,       // no chaining: the reserve is a hard cap, header included
                                    // (pushes never use more than reserve - header bytes)
    AK_ARENA_LARGE_PAGES = 1u << 1, // large (transparent huge) pages; steps round up to 2 MB
    AK_ARENA_NO_ZERO = 1u << 2,     // ak_arena_push does not zero (ak_arena_push_nz never does)
    AK_ARENA_PREFAULT = 1u << 3,    // make each commit step resident at once (one call, not one
                                    // fault per page): for arenas filled right after commit
};

typedef struct AkArenaParams {
    uint64_t reserve;   // address space per block, rounded up to the page (64 KB on
                        // Windows); default 64 MB
    uint64_t commit;    // commit step; default 64 KB (at most the reserve)
    uint64_t keep;      // committed bytes a pop or clear keeps; 0: the default, 1 MB;
                        // AK_KEEP_NONE: nothing beyond the commit step that holds the header.
                        // An arena that refills a big batch every round wants keep = the
                        // batch size, or every round faults its pages in again. The spare
                        // block (see above) keeps up to `keep` committed bytes of its own
    uint32_t flags;     // AK_ARENA_*
    const char *name;   // shown in reports; must outlive the arena (a literal, usually)
    AkArenaOomFn *on_oom;
    void *oom_user;
    uint32_t pool_kind; // AK_POOL_KIND_*: for arenakit's own modules (scratch, heap)
    AkLoc loc;          // AK_HERE from ak_arena_create; kept by a debug library only
} AkArenaParams;

#define AK_ARENA_DEFAULT_RESERVE AK_MB(64)
#define AK_ARENA_DEFAULT_COMMIT AK_KB(64)
#define AK_ARENA_DEFAULT_KEEP AK_MB(1)
#define AK_KEEP_NONE ((uint64_t)1) // keep: one byte, rounded up to the first commit step

// ak_arena_create(.reserve = AK_MB(1), .commit = AK_KB(512), .name = "chat"): all optional.
// Returns NULL (reason in ak_arena_last_create_error()) if the OS refuses the reserve or the
// first commit, the pool is full (release builds; debug builds assert on a full pool), or a
// FIXED reserve cannot hold the arena's header. `loc` is kept only when the library itself is a
// debug build (base.h).
#define ak_arena_create(...) ak_arena_create_with((AkArenaParams){.loc = AK_HERE, __VA_ARGS__})
AK_NODISCARD AkArena *ak_arena_create_with(AkArenaParams params);
const char *ak_arena_last_create_error(void); // this thread's last failed create, or ""
// Gives every block back to the OS. Releasing an arena twice is a programmer error: debug
// builds assert, naming the arena and where it was created, before touching its memory.
void ak_arena_release(AkArena *arena);

// Push `size` bytes at an address aligned to `align` (a power of two, any size up to 2^46:
// alignments above the page get a block placed for them, or, in a FIXED arena, NULL when the
// reserve holds no such address). Zeroed unless AK_ARENA_NO_ZERO. NULL, with ak_arena_error()
// set and the OOM handler called, if the memory cannot be had or the alignment is not a power
// of two; the arena is unchanged and stays usable. A zero-size push returns an aligned,
// non-NULL pointer that must not be dereferenced.
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE(2) AK_ALLOC_ALIGN(3)
static inline void *ak_arena_push(AkArena *arena, uint64_t size, uint64_t align);
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE(2) AK_ALLOC_ALIGN(3)
static inline void *ak_arena_push_nz(AkArena *arena, uint64_t size, uint64_t align);
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE(2) AK_ALLOC_ALIGN(3)
void *ak_arena_push_slow(AkArena *arena, uint64_t size, uint64_t align, bool zero);
// NULL, with the error set and the OOM handler called: count * size does not fit in 64 bits.
void *ak_arena_push_overflow(AkArena *arena, uint64_t count, uint64_t size);
// count * size with an overflow check (NULL and the reason when it overflows); ak_push_array.
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE2(2, 3) AK_ALLOC_ALIGN(4)
static inline void *ak_arena_push_array(AkArena *arena, uint64_t count, uint64_t size, uint64_t align, bool zero);

#define ak_push_struct(arena, T) ((T *)ak_arena_push((arena), sizeof(T), _Alignof(T)))
#define ak_push_struct_nz(arena, T) ((T *)ak_arena_push_nz((arena), sizeof(T), _Alignof(T)))
#define ak_push_array(arena, T, n) ((T *)ak_arena_push_array((arena), (n), sizeof(T), _Alignof(T), true))
#define ak_push_array_nz(arena, T, n) ((T *)ak_arena_push_array((arena), (n), sizeof(T), _Alignof(T), false))
// Copy of `size` bytes of `src` on the arena (NULL if the push fails). Not AK_MALLOC: the copy
// may hold pointers to live objects.
AK_NODISCARD AK_ALLOC_SIZE(3) AK_ALLOC_ALIGN(4)
void *ak_arena_push_copy(AkArena *arena, const void *src, uint64_t size, uint64_t align);

// Positions grow monotonically across chained blocks; 0 is below every push.
static inline uint64_t ak_arena_pos(AkArena *arena);
// Pop back to `pos` (from ak_arena_pos). A position at or beyond the current one is a no-op in
// every build, not an error (a temp scope ended after an inner pop went below it is harmless);
// one below the first push clamps to empty. Blocks chained after `pos` are released, the last
// of them kept as the spare.
void ak_arena_pop_to(AkArena *arena, uint64_t pos);
void ak_arena_pop(AkArena *arena, uint64_t bytes); // more bytes than used empties the arena
void ak_arena_clear(AkArena *arena);

// Temporary scope: everything pushed between begin and end is popped by end.
typedef struct AkTemp {
    AkArena *arena;
    uint64_t pos;
} AkTemp;
AK_NODISCARD static inline AkTemp ak_temp_begin(AkArena *arena) { return (AkTemp){arena, ak_arena_pos(arena)}; }
static inline void ak_temp_end(AkTemp temp) { ak_arena_pop_to(temp.arena, temp.pos); }

typedef struct AkMemStats {
    uint64_t reserved;   // address space
    uint64_t committed;  // pages the OS backs (resident once touched)
    uint64_t used;       // bytes handed out, alignment padding included
    uint64_t high_water; // the most `used` has ever been
    uint64_t blocks;     // reserved blocks (arena chain length) or heap blocks
} AkMemStats;

// An arena's reserved and committed bytes include its spare block; `blocks` counts the chain.
// Safe to call from any thread while the owner pushes, pops and chains (the pool reports do;
// they also keep a concurrent release waiting): the figures are one consistent set, though
// the owner may have pushed more by the time the call returns.
AkMemStats ak_arena_stats(AkArena *arena);
const char *ak_arena_error(const AkArena *arena); // last failure of this arena, or ""
const char *ak_arena_name(const AkArena *arena);
AkLoc ak_arena_loc(const AkArena *arena);
void ak_arena_set_oom_handler(AkArena *arena, AkArenaOomFn *fn, void *user);

// ---- implementation details below: the inline fast path of push --------------------------

// A block: a header at the start of one reserved range, followed by pushed bytes.
typedef struct AkArenaBlock AkArenaBlock;
struct AkArenaBlock {
    // In the first block only: the arena's live position in its current block (relaxed
    // atomic: read by reports on other threads). First in the structure, so the inline push
    // addresses it through the arena pointer itself.
    _Atomic uint64_t live_pos;
    AkArenaBlock *prev; // the block before this one in the chain
    uint64_t base_pos;  // global position of this block's first byte
    uint64_t base_used; // bytes used in all earlier blocks
    uint64_t pos;       // local position of the next free byte, saved while another block is current
    uint64_t dirty;     // bytes at or above max(pos, dirty) are known zero (saved like pos)
    uint64_t committed; // local committed bytes (a multiple of the page)
    uint64_t reserved;  // usable reserved bytes from the header on (a multiple of the page)
    uint64_t cap;       // pushes end at or below this (reserved; a FIXED arena's exact reserve)
    uint64_t lead;      // reserved bytes before the header (blocks placed for a large alignment)
};

// The handle is the first block. The live state of the current block (position, zeroing mark,
// fast-path limit) sits in the handle, so the inline push touches one structure, and the
// figures the pool report reads from other threads are atomics in memory that lives as long
// as the arena (never in a block that a pop may release under the reader).
struct AkArena {
    AkArenaBlock first;      // this block's own header; first.live_pos is the live position
    uint64_t fast_end;       // pushes ending at or below this take the inline path (0 = never)
    uint64_t dirty;          // the current block's zeroing mark (AkArenaBlock.dirty)
    AkArenaBlock *current;   // the block pushes go to (&first until chained)
    AkArenaBlock *spare;     // one released block kept for the next chain (NULL if none)
    uint64_t reserve_step, commit_step, keep;
    uint32_t flags;
    int32_t pool_slot;
    uint32_t pool_kind;
    const char *name;
    AkLoc loc;
    AkArenaOomFn *on_oom;
    void *oom_user;
    // Published for reports from any thread: written by the owner on the slow path (relaxed).
    _Atomic uint64_t st_seq; // odd while the owner changes the figures below (a seqlock)
    _Atomic uint64_t st_reserved, st_committed, st_used_before, st_high_water, st_blocks;
    char error[160];
};

static inline uint64_t ak_arena_pos(AkArena *arena) {
    return arena->current->base_pos + atomic_load_explicit(&arena->first.live_pos, memory_order_relaxed);
}

// The inline path takes alignments up to AK_ARENA_FAST_ALIGN only: every block starts on a
// page boundary (4 KB at least), so an aligned offset is an aligned address. Larger alignments
// take the slow path, which aligns the address itself. The size bound keeps the arithmetic
// from wrapping (positions stay below 2^46). With a constant size and alignment (the typed
// macros) the compiler folds these tests away, leaving one compare.
#define AK_ARENA_FAST_ALIGN 4096u
#define AK_ARENA_FAST_OK(size, align) (AK_IS_POW2(align) && (align) <= AK_ARENA_FAST_ALIGN && (size) <= (AK_GB(1) << 16))

static inline void *ak_arena_push_nz(AkArena *arena, uint64_t size, uint64_t align) {
    uint64_t pos = atomic_load_explicit(&arena->first.live_pos, memory_order_relaxed);
    uint64_t start = (pos + align - 1) & ~(align - 1);
    uint64_t end = start + size;
    // fast_end is 0 while a poisoning tool is active, so those pushes take the slow path.
    if (AK_ARENA_FAST_OK(size, align) && end <= arena->fast_end) {
        atomic_store_explicit(&arena->first.live_pos, end, memory_order_relaxed);
        char *p = (char *)arena->current + start;
        AK_ASSUME(p != NULL); // inside a live block: lets a caller's NULL check fold away
        return p;
    }
    return ak_arena_push_slow(arena, size, align, false);
}

static inline void *ak_arena_push(AkArena *arena, uint64_t size, uint64_t align) {
    uint64_t pos = atomic_load_explicit(&arena->first.live_pos, memory_order_relaxed);
    uint64_t start = (pos + align - 1) & ~(align - 1);
    uint64_t end = start + size;
    if (AK_ARENA_FAST_OK(size, align) && end <= arena->fast_end) {
        atomic_store_explicit(&arena->first.live_pos, end, memory_order_relaxed);
        char *p = (char *)arena->current + start;
        AK_ASSUME(p != NULL);
        // Below `dirty` memory was handed out before and popped; above it is fresh from the OS.
        if (start < arena->dirty) memset(p, 0, (size_t)(AK_MIN(end, arena->dirty) - start));
        return p;
    }
    return ak_arena_push_slow(arena, size, align, true);
}

static inline void *ak_arena_push_array(AkArena *arena, uint64_t count, uint64_t size, uint64_t align, bool zero) {
    if (size && count > UINT64_MAX / size) return ak_arena_push_overflow(arena, count, size);
    return zero ? ak_arena_push(arena, count * size, align) : ak_arena_push_nz(arena, count * size, align);
}

#endif
