// heap.h: a TLSF (two-level segregated fit) heap whose memory comes from an arena: malloc,
// free and realloc in O(1) for many short-lived objects of mixed sizes (a property editor,
// a web form), freed all at once by resetting or releasing the heap. The heap owns every
// block it hands out until ak_heap_free, ak_heap_reset or ak_heap_release; the memory behind
// the blocks belongs to its arena: one of its own (created through the pool, released with
// the heap) or the caller's (.arena = a; the heap's memory then lives until that arena is
// popped or released, and release only retires the heap).
//
// A heap belongs to one thread at a time, like an arena. `.locked = true` puts a mutex around
// every call for the one case that needs sharing (a heap handed to SQLite, which may call it
// from several threads); error texts of a locked heap are the last failure of any thread.
//
// Layout, for the numbers: each block has an 8-byte header (its size and flags); payloads are
// 16-byte aligned (max_align_t on x86-64); the smallest block is 32 bytes (24 usable), and a
// usable size is always 16k + 8. Each region the heap takes from its arena costs 32 bytes
// more (a head and an end sentinel); pushes adjacent to the last region extend it instead.
// The control structure (free-list heads and bitmaps) is about 10 KB, on the arena too.
// A heap of 16 MB or more queues its last 16 frees to hide their cache misses (heap.c): a
// request runs the queue before the heap grows or fails, and so do realloc (before it moves a
// block), check and stats; only the pool report may count those blocks as used meanwhile (the
// high water never does).
//
// Errors: requests that cannot be served (too large, over the limit, the arena refusing to
// grow, a bad alignment) return NULL and ak_heap_error() names the heap and the reason.
// A realloc that cannot grow its block in place grows the heap at most once, by what a plain
// malloc of the new size would take, so it fails only where that malloc (plus the copy) would.
// Freeing NULL does nothing. Debug builds (AK_DEBUG) check every pointer given back: a double
// free, a pointer from elsewhere or a corrupted header aborts with a message naming the heap
// and the file:line that created it. Release builds skip those checks and stay O(1).
// AK_DEBUG >= 2 (make test's ASan build) also runs ak_heap_check after calls, amortized to
// about 16 block visits a call, and aborts at the first broken invariant, naming the call.
// Under AddressSanitizer, and under Valgrind in debug builds, free blocks and all headers are
// poisoned, so a use after free or an overflow into a header is reported where it happens.
#ifndef ARENAKIT_HEAP_H
#define ARENAKIT_HEAP_H

#include "arena.h"

typedef struct AkHeap AkHeap;

typedef struct AkHeapParams {
    AkArena *arena;     // grow on this arena instead of one of the heap's own
    uint64_t reserve;   // own arena: address space per arena block (default 64 MB)
    uint64_t commit;    // own arena: commit step (default 64 KB)
    uint32_t arena_flags; // own arena: AK_ARENA_LARGE_PAGES (fewer TLB misses on big heaps),
                        // AK_ARENA_FIXED (the reserve is a hard cap)
    uint64_t grow;      // bytes taken from the arena at least per growth (default 64 KB)
    uint64_t limit;     // the heap never holds more than this from its arena (0: no limit)
    bool locked;        // serialize every call with a mutex (a heap shared between threads)
    bool no_poison;     // skip ASan/Valgrind poisoning even under those tools (benchmarks
                        // counting instructions under callgrind)
    const char *name;   // shown in reports and errors; must outlive the heap (a literal)
    AkLoc loc;          // filled by ak_heap_create in debug builds
} AkHeapParams;

#define AK_HEAP_ALIGN 16            // default alignment of every block
#define AK_HEAP_MIN_BLOCK 32        // smallest block, header included
#define AK_HEAP_OVERHEAD 8          // header bytes per block
#define AK_HEAP_MAX_REQUEST (AK_GB(1) << 14) // 16 TB: larger requests fail with a reason

// ak_heap_create(.name = "form", .limit = AK_MB(8)): all optional. NULL if the arena cannot be
// created or the pool is full, with the reason in ak_heap_last_create_error().
#define ak_heap_create(...) ak_heap_create_with((AkHeapParams){.loc = AK_HERE, __VA_ARGS__})
AK_NODISCARD AkHeap *ak_heap_create_with(AkHeapParams params);
const char *ak_heap_last_create_error(void); // this thread's last failed create, or ""
// Frees every block and the heap itself (its own arena is released; a caller's keeps the
// memory until it is popped). NULL does nothing.
void ak_heap_release(AkHeap *heap);
// Drops every block at once. An own arena is popped back (pages beyond its `keep` go back to
// the OS); on a caller's arena every region becomes one free block again.
void ak_heap_reset(AkHeap *heap);

// Like the C functions. malloc(0) returns a unique minimum block; realloc(NULL, n) is
// malloc(n); realloc(p, 0) shrinks p to a minimum block. A failed realloc leaves p intact.
// A block from aligned_alloc keeps its alignment through realloc. `align` is any power of
// two (up to 16 gives the default); the size need not be a multiple of it.
// The compiler is told the requested size (AK_ALLOC_SIZE): write within it, not within the
// usable size, or object-size checks (UBSan, _FORTIFY_SOURCE) object; ask for the usable size.
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE(2) void *ak_heap_malloc(AkHeap *heap, size_t size);
AK_NODISCARD AK_MALLOC AK_ALLOC_SIZE2(2, 3) void *ak_heap_calloc(AkHeap *heap, size_t count, size_t size);
AK_NODISCARD AK_ALLOC_SIZE(3) void *ak_heap_realloc(AkHeap *heap, void *ptr, size_t size);
AK_NODISCARD AK_MALLOC AK_ALLOC_ALIGN(2) AK_ALLOC_SIZE(3) void *ak_heap_aligned_alloc(AkHeap *heap, size_t align, size_t size);
void ak_heap_free(AkHeap *heap, void *ptr);
size_t ak_heap_usable_size(AkHeap *heap, const void *ptr); // 0 for NULL

// Walks every block and free list and verifies every invariant (sizes add up to the heap's
// size, no two free blocks adjacent, flags agree with neighbours, free lists match the
// bitmaps and hold exactly the free blocks). O(blocks); false with the first broken
// invariant in ak_heap_error().
AK_NODISCARD bool ak_heap_check(AkHeap *heap);

typedef struct AkHeapStats {
    uint64_t size;          // bytes taken from the arena (every region)
    uint64_t used;          // bytes in used blocks, headers included
    uint64_t free;          // bytes in free blocks, headers included
    uint64_t largest_free;  // usable bytes of the largest free block (0 if none)
    uint64_t used_blocks;
    uint64_t free_blocks;
    uint64_t regions;       // separate ranges of arena memory
    uint64_t high_water;    // the most `used` has been (blocks live at once; queued frees
                            // and a realloc's tail given back at once never count)
    double fragmentation;   // 1 - largest free / free: 0 when all free memory is one block
} AkHeapStats;

AkHeapStats ak_heap_stats(AkHeap *heap); // cheap: counters plus one free list's walk
// The pool's view: reserved and committed = size, used, high water, blocks = used blocks.
AkMemStats ak_heap_mem_stats(AkHeap *heap);
const char *ak_heap_error(const AkHeap *heap); // last failure, or ""
const char *ak_heap_name(const AkHeap *heap);
AkLoc ak_heap_loc(const AkHeap *heap);
AkArena *ak_heap_arena(const AkHeap *heap);

#endif
