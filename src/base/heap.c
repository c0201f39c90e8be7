// heap.c: TLSF on arena memory. A block is [8-byte header | payload]; the header word holds
// the block's span (header + payload, a multiple of 16), a FREE and a PREV_FREE flag and, for
// aligned allocations, log2 of the alignment (so a moving realloc keeps it). A free block
// keeps its free-list links at the start of its payload and a pointer to itself in its last
// 8 bytes (the next block's `prev_phys`), which is how a free finds its left neighbour.
//
// Free blocks sit in one of FL_COUNT x SL_COUNT lists: the first level is the power of two of
// the span, the second splits it in 32 linear steps (spans under 512 bytes get exact lists).
// Two bitmaps and find-first-set find a list whose every block fits, in O(1).
//
// Frees of a heap larger than the caches are queued (FREE_QUEUE deep): ak_heap_free prefetches
// the header and returns; halfway through the queue the header is read and the neighbours'
// headers prefetched; at the end the free runs on lines already in cache. A free otherwise costs
// two dependent cache misses (its header, then the next block's). Queued blocks count as used
// until the queue runs: it runs whole before the heap grows or fails, before an in-place realloc
// gives up, and before check and stats, so no request sees less memory than it would have. The
// high water leaves them out (qspan: the spans learnt so far, see raise_high_water).
//
// Memory comes from the arena in regions: [head: prev region, end | blocks... | end sentinel].
// A push adjacent to the last region extends it (the sentinel becomes a block), so a heap on
// its own arena is one region per arena block. Regions are never given back one by one:
// reset and release return them all.
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "arenakit/heap.h"

#include "arenakit/pool.h"
#include "poison.h"

#include <stdarg.h>
#include <stdio.h>

#if defined(_WIN32)
#  include <windows.h>
typedef SRWLOCK HeapMutex;
#  define MUTEX_INIT(m) InitializeSRWLock(m)
#  define MUTEX_LOCK(m) AcquireSRWLockExclusive(m)
#  define MUTEX_UNLOCK(m) ReleaseSRWLockExclusive(m)
#  define MUTEX_DESTROY(m) ((void)(m))
#else
#  include <pthread.h>
typedef pthread_mutex_t HeapMutex;
#  define MUTEX_INIT(m) pthread_mutex_init((m), NULL)
#  define MUTEX_LOCK(m) pthread_mutex_lock(m)
#  define MUTEX_UNLOCK(m) pthread_mutex_unlock(m)
#  define MUTEX_DESTROY(m) pthread_mutex_destroy(m)
#endif

#define SL_LOG2 5
#define SL_COUNT (1u << SL_LOG2)
#define ALIGN_LOG2 4
#define FL_SHIFT (SL_LOG2 + ALIGN_LOG2)
#define SMALL_SPAN ((uint64_t)1 << FL_SHIFT) // spans below this get one exact list each
#define FL_MAX 46                            // spans stay below 2^46 (requests <= 2^44)
#define FL_COUNT (FL_MAX - FL_SHIFT + 1)

#define MIN_SPAN ((uint64_t)AK_HEAP_MIN_BLOCK)
#define FREE_QUEUE 16u              // power of two; the queue's depth is half a miss per stage
#define QUEUE_FROM ((uint64_t)16 << 20) // smaller heaps fit in caches: their frees run at once
#define REGION_HEAD 16 // Region at the start of each region
#define REGION_COST 32 // head + end sentinel

#define F_FREE 1u
#define F_PREV_FREE 2u
#define F_RESERVED 12u // never set: a corrupted header often has them
#define ALIGN_SHIFT 56
#define SPAN_MASK ((((uint64_t)1 << ALIGN_SHIFT) - 1) & ~(uint64_t)15)

// `prev_phys` lies in the previous block's last 8 bytes and means something only when that
// block is free; the links mean something only while this block is free.
typedef struct Block {
    struct Block *prev_phys;
    uint64_t word;
    struct Block *next_free;
    struct Block *prev_free;
} Block;

typedef struct Region {
    struct Region *prev;
    Block *end; // sentinel: span 0, never free
} Region;

// The layout the code and heap.h rely on, checked where it is stated.
_Static_assert(FL_COUNT <= 64, "fl_map is a 64-bit bitmap of first-level lists");
_Static_assert(SL_COUNT <= 32, "sl_map entries are 32-bit bitmaps of second-level lists");
_Static_assert(SMALL_SPAN == (uint64_t)SL_COUNT << ALIGN_LOG2, "spans below SMALL_SPAN get one exact list each");
_Static_assert((1u << ALIGN_LOG2) == AK_HEAP_ALIGN, "spans are multiples of the default alignment");
_Static_assert(sizeof(void *) == 8 && sizeof(Block) == 32, "a block: back pointer, header word, two links");
_Static_assert(offsetof(Block, word) == 16 - AK_HEAP_OVERHEAD && AK_HEAP_OVERHEAD == sizeof(uint64_t),
               "the header word is the 8 bytes just before the payload");
_Static_assert(offsetof(Block, next_free) == 16, "payload() is the block + 16: the links are the payload's start");
_Static_assert(MIN_SPAN >= sizeof(Block) - 8, "a free block holds its header, links and the next block's back pointer");
_Static_assert(MIN_SPAN % AK_HEAP_ALIGN == 0 && MIN_SPAN == AK_HEAP_MIN_BLOCK, "the smallest block is a span");
_Static_assert(sizeof(Region) == REGION_HEAD && REGION_COST == REGION_HEAD + 16,
               "a region costs its head and an end sentinel of 16 bytes (back pointer and word)");
_Static_assert(REGION_HEAD % AK_HEAP_ALIGN == 0, "the first block of a region is aligned");
_Static_assert(AK_IS_POW2(FREE_QUEUE) && FREE_QUEUE >= 2, "queue slots are taken modulo FREE_QUEUE");
_Static_assert(FL_MAX < ALIGN_SHIFT && ((uint64_t)1 << FL_MAX) - 1 <= SPAN_MASK + 15,
               "every span below 2^FL_MAX fits the header below the alignment bits");
_Static_assert(AK_HEAP_MAX_REQUEST + ((uint64_t)AK_HEAP_MAX_REQUEST) + 2 * MIN_SPAN + REGION_COST < (uint64_t)1 << FL_MAX,
               "the largest request, aligned to the largest alignment, maps to a first-level list");
_Static_assert((F_FREE | F_PREV_FREE | F_RESERVED) < AK_HEAP_ALIGN, "flags live in the low bits spans never use");

struct AkHeap {
    uint64_t fl_map;
    uint32_t sl_map[FL_COUNT];
    Block *heads[FL_COUNT][SL_COUNT];
    AkArena *arena;
    uint64_t arena_base; // own arena: the position just after this structure
    Region *regions;     // most recent first; the first is where adjacent growth happens
    uint64_t region_count, size, used, free_bytes, used_blocks, free_blocks, high_water;
    uint64_t grow, limit;
    struct Block *queue[FREE_QUEUE]; // frees not yet run, oldest at queue[qpos]; NULL: empty slot
    uint64_t qspan[FREE_QUEUE];      // span of queue[i] once its header has been read, else 0
    uint64_t queued_bytes;           // sum of qspan: queued bytes the high water leaves out
    uint32_t qpos, queued;
    uint64_t debug_calls; // AK_DEBUG >= 2: calls since the last full check
    bool owns_arena, poison, locked;
    int32_t pool_slot;
    const char *name;
    AkLoc loc;
    HeapMutex mutex;
    char error[224];
};

static _Thread_local char create_error[256];
const char *ak_heap_last_create_error(void) { return create_error; }

// ---- poisoning: every header and free byte is off limits except while the heap touches it ----

// ASan builds, and debug builds that may run under Valgrind. Release builds leave the checks
// out of the O(1) paths (about a fifth of their instructions); their heaps are plain memory
// to Valgrind, which then cannot see a use after free inside a heap but reports nothing false.
#if AK_ASAN || (defined(AK_VALGRIND) && AK_DEBUG)
#  define HEAP_POISON 1
#else
#  define HEAP_POISON 0
#endif

static inline void open_word(const AkHeap *h, void *p) {
    if (HEAP_POISON && h->poison) ak_unpoison_defined(p, 8);
}
static inline void close_word(const AkHeap *h, void *p) {
    if (HEAP_POISON && h->poison) ak_poison(p, 8);
}
static inline uint64_t wget(const AkHeap *h, Block *b) {
    open_word(h, &b->word);
    uint64_t w = b->word;
    close_word(h, &b->word);
    return w;
}
static inline void wset(const AkHeap *h, Block *b, uint64_t w) {
    open_word(h, &b->word);
    b->word = w;
    close_word(h, &b->word);
}
static inline void *pget(const AkHeap *h, void *slot) {
    open_word(h, slot);
    void *v = *(void **)slot;
    close_word(h, slot);
    return v;
}
static inline void pset(const AkHeap *h, void *slot, void *v) {
    open_word(h, slot);
    *(void **)slot = v;
    close_word(h, slot);
}
static inline void poison_range(const AkHeap *h, void *p, uint64_t n) {
    if (HEAP_POISON && h->poison) ak_poison(p, n);
}

static inline uint64_t span_of(uint64_t w) { return w & SPAN_MASK; }
static inline Block *block_at(void *p, uint64_t off) { return (Block *)((char *)p + off); }
static inline void *payload(Block *b) { return (char *)b + 16; }
static inline Block *block_of(const void *p) { return (Block *)((char *)p - 16); }

// ---- errors --------------------------------------------------------------------------------

static int heap_prefix(const AkHeap *h, char *buf, size_t cap) {
    int n = h->loc.file ? snprintf(buf, cap, "heap '%s' (%s:%d): ", h->name, h->loc.file, h->loc.line)
                        : snprintf(buf, cap, "heap '%s': ", h->name);
    return n < 0 || (size_t)n >= cap ? 0 : n;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void heap_error(AkHeap *h, const char *fmt, ...) {
    int n = heap_prefix(h, h->error, sizeof h->error);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->error + n, sizeof h->error - (size_t)n, fmt, ap);
    va_end(ap);
}

#if AK_DEBUG
#  if defined(__GNUC__)
__attribute__((noreturn, format(printf, 3, 4)))
#  endif
static void heap_abort(const AkHeap *h, const char *what, const char *fmt, ...) {
    char msg[400];
    int n = heap_prefix(h, msg, sizeof msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    ak_assert_fail(what, __FILE__, __LINE__, "%s", msg);
}
#endif

// ---- size classes and free lists -------------------------------------------------------------

static inline int fls64(uint64_t x) { return 63 - __builtin_clzll(x); }

static inline void mapping(uint64_t span, uint32_t *fl, uint32_t *sl) {
    // find_free maps rounded-up sizes too, so a span need not be a multiple of 16 here.
    AK_ASSERT(span >= MIN_SPAN && span < (uint64_t)1 << FL_MAX, "mapping: span %llu out of range", (unsigned long long)span);
    if (span < SMALL_SPAN) {
        *fl = 0;
        *sl = (uint32_t)(span >> ALIGN_LOG2);
    } else {
        int f = fls64(span);
        *sl = (uint32_t)(span >> (f - SL_LOG2)) ^ SL_COUNT;
        *fl = (uint32_t)(f - FL_SHIFT + 1);
    }
}

// mapping(a) == mapping(b) without computing either: below SMALL_SPAN a class is one size;
// above, the top SL_LOG2 + 1 bits at a's power of two name the class, and b's top bits only
// match them when b has the same power of two.
static inline bool same_class(uint64_t a, uint64_t b) {
    if (a < SMALL_SPAN || b < SMALL_SPAN) return a >> ALIGN_LOG2 == b >> ALIGN_LOG2;
    int shift = fls64(a) - SL_LOG2;
    return a >> shift == b >> shift;
}

// Free-block counters follow the lists: every free block is in exactly one list.
static inline void list_insert(AkHeap *h, Block *b, uint64_t span) {
    AK_ASSERT(wget(h, b) == (span | F_FREE), "list_insert: block %p is not a free block of %llu bytes (word 0x%llx)",
              (void *)b, (unsigned long long)span, (unsigned long long)wget(h, b));
    uint32_t fl, sl;
    mapping(span, &fl, &sl);
    Block *head = h->heads[fl][sl];
    pset(h, &b->next_free, head);
    pset(h, &b->prev_free, NULL);
    if (head) pset(h, &head->prev_free, b);
    h->heads[fl][sl] = b;
    h->fl_map |= (uint64_t)1 << fl;
    h->sl_map[fl] |= 1u << sl;
    h->free_blocks++;
    h->free_bytes += span;
}

static inline void list_remove(AkHeap *h, Block *b, uint64_t span) {
    // The word may already hold a merged span (make_free), never a used block.
    AK_ASSERT(wget(h, b) & F_FREE, "list_remove: block %p is not free", (void *)b);
    uint32_t fl, sl;
    mapping(span, &fl, &sl);
    Block *prev = pget(h, &b->prev_free), *next = pget(h, &b->next_free);
    if (next) pset(h, &next->prev_free, prev);
    if (prev) {
        pset(h, &prev->next_free, next);
    } else {
        h->heads[fl][sl] = next;
        if (!next) {
            h->sl_map[fl] &= ~(1u << sl);
            if (!h->sl_map[fl]) h->fl_map &= ~((uint64_t)1 << fl);
        }
    }
    h->free_blocks--;
    h->free_bytes -= span;
}

// `nb` (span `nspan`) takes the list position of `old` (span `ospan`, the same class): a split
// or a merge that stays in its class costs no unlink, no bitmap update. nb may be old.
static inline void list_replace(AkHeap *h, Block *old, uint64_t ospan, Block *nb, uint64_t nspan) {
    AK_ASSERT(same_class(ospan, nspan), "list_replace: %llu and %llu bytes are in different lists",
              (unsigned long long)ospan, (unsigned long long)nspan);
    Block *prev = pget(h, &old->prev_free), *next = pget(h, &old->next_free);
    if (nb != old) {
        pset(h, &nb->prev_free, prev);
        pset(h, &nb->next_free, next);
        if (next) pset(h, &next->prev_free, nb);
        if (prev) {
            pset(h, &prev->next_free, nb);
        } else {
            uint32_t fl, sl;
            mapping(ospan, &fl, &sl);
            h->heads[fl][sl] = nb;
        }
    }
    h->free_bytes += nspan - ospan;
}

// A listed block of at least `span` bytes, or NULL. The exact class's head is tried first
// (it often fits and wastes less); otherwise the search rounds up to the next class, whose
// every block fits.
static inline Block *find_free(AkHeap *h, uint64_t span) {
    AK_ASSERT(span >= MIN_SPAN, "find_free: span %llu below the smallest block", (unsigned long long)span);
    uint32_t fl, sl;
    mapping(span, &fl, &sl);
    Block *b = h->heads[fl][sl];
    if (b && span_of(wget(h, b)) >= span) return b;
    if (span >= SMALL_SPAN) {
        span += ((uint64_t)1 << (fls64(span) - SL_LOG2)) - 1;
        mapping(span, &fl, &sl);
    }
    uint32_t sm = h->sl_map[fl] & (~0u << sl);
    if (!sm) {
        uint64_t fm = h->fl_map & (~(uint64_t)0 << (fl + 1));
        if (!fm) return NULL;
        fl = (uint32_t)__builtin_ctzll(fm);
        sm = h->sl_map[fl];
    }
    return h->heads[fl][__builtin_ctz(sm)];
}

// ---- blocks ----------------------------------------------------------------------------------

static inline uint64_t span_for(uint64_t size) {
    return size <= MIN_SPAN - 8 ? MIN_SPAN : AK_ALIGN_UP(size + 8, 16);
}

// b (whose header says used, `w`) becomes free, merged with free neighbours, and listed. The
// merged block takes a neighbour's list position when it stays in that neighbour's class.
static void make_free(AkHeap *h, Block *b, uint64_t w) {
    uint64_t span = span_of(w), keep_span = 0;
    AK_ASSERT(!(w & F_FREE) && span >= MIN_SPAN && !(wget(h, block_at(b, span)) & F_PREV_FREE),
              "make_free: block %p (word 0x%llx) is not a used block", (void *)b, (unsigned long long)w);
    poison_range(h, payload(b), span - 8);
    Block *next = block_at(b, span), *keep = NULL;
    uint64_t nw = wget(h, next);
    if (w & F_PREV_FREE) {
        Block *prev = pget(h, &b->prev_phys);
        // Debug builds leave FREE in the absorbed header, so a second free says "double free".
        if (AK_DEBUG) wset(h, b, w | F_FREE);
        keep = b = prev;
        keep_span = span_of(wget(h, prev));
        span += keep_span;
    }
    if (nw & F_FREE) {
        uint64_t ns = span_of(nw);
        if (keep) {
            list_remove(h, next, ns);
        } else {
            keep = next;
            keep_span = ns;
        }
        span += ns;
        next = block_at(next, ns);
        nw = wget(h, next);
    }
    wset(h, b, span | F_FREE); // the block before a free block is never free
    wset(h, next, nw | F_PREV_FREE);
    pset(h, &next->prev_phys, b);
    if (keep && same_class(keep_span, span)) {
        list_replace(h, keep, keep_span, b, span);
    } else {
        if (keep) list_remove(h, keep, keep_span);
        list_insert(h, b, span);
    }
}

// The high water counts live blocks only: `used` still holds the queued frees, so the bytes of
// the queue are taken off. Spans of queued blocks are learnt when the queue reads their header
// anyway (halfway through); only a candidate new peak reads the rest, each header once.
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void raise_high_water(AkHeap *h) {
    for (uint32_t i = 0; i < FREE_QUEUE; i++) {
        if (!h->queue[i] || h->qspan[i]) continue;
        h->qspan[i] = span_of(wget(h, h->queue[i]));
        h->queued_bytes += h->qspan[i];
    }
    uint64_t live = h->used - h->queued_bytes;
    if (live > h->high_water) h->high_water = live;
}

static inline void note_high_water(AkHeap *h) {
    if (h->used - h->queued_bytes > h->high_water) raise_high_water(h);
}

// Free block b (listed, or unlisted when `listed` is false) becomes a used block of `span`
// bytes; a remainder of at least MIN_SPAN stays free.
static void take(AkHeap *h, Block *b, uint64_t span, bool listed) {
    uint64_t w = wget(h, b), have = span_of(w);
    AK_ASSERT((w & F_FREE) && span >= MIN_SPAN && span % AK_HEAP_ALIGN == 0 && span <= have,
              "take: block %p (word 0x%llx) is not a free block of at least %llu bytes", (void *)b,
              (unsigned long long)w, (unsigned long long)span);
    AK_ASSERT(wget(h, block_at(b, have)) & F_PREV_FREE, "take: the block after free %p lacks PREV_FREE", (void *)b);
    Block *next = block_at(b, have);
    if (have - span >= MIN_SPAN) {
        Block *rest = block_at(b, span);
        wset(h, rest, (have - span) | F_FREE);
        pset(h, &next->prev_phys, rest); // next already has PREV_FREE
        if (listed && same_class(have, have - span)) {
            list_replace(h, b, have, rest, have - span);
        } else {
            if (listed) list_remove(h, b, have);
            list_insert(h, rest, have - span);
        }
        have = span;
    } else {
        if (listed) list_remove(h, b, have);
        wset(h, next, wget(h, next) & ~(uint64_t)F_PREV_FREE);
    }
    wset(h, b, have | (w & F_PREV_FREE));
    if (HEAP_POISON && h->poison) ak_unpoison_undefined(payload(b), have - 8);
    h->used += have;
    h->used_blocks++;
    note_high_water(h);
}

// Used block b (header `w`) keeps `span` bytes; a tail of at least MIN_SPAN goes free.
static void shrink(AkHeap *h, Block *b, uint64_t w, uint64_t span) {
    uint64_t have = span_of(w);
    AK_ASSERT(!(w & F_FREE) && span >= MIN_SPAN && span % AK_HEAP_ALIGN == 0 && span <= have,
              "shrink: block %p (word 0x%llx) cannot keep %llu bytes", (void *)b, (unsigned long long)w,
              (unsigned long long)span);
    if (have - span < MIN_SPAN) return;
    Block *rest = block_at(b, span);
    wset(h, b, span | (w & ~SPAN_MASK));
    wset(h, rest, have - span);
    h->used -= have - span;
    make_free(h, rest, have - span);
}

// Unlisted free block b: split off a free gap in front so the payload is aligned to `align`.
// The gap is 0 or at least MIN_SPAN, so b needs span + align + MIN_SPAN bytes at most.
static Block *align_block(AkHeap *h, Block *b, uint64_t align) {
    AK_ASSERT(AK_IS_POW2(align) && align > AK_HEAP_ALIGN, "align_block: alignment %llu", (unsigned long long)align);
    AK_ASSERT(wget(h, b) & F_FREE, "align_block: block %p is not free", (void *)b);
    uintptr_t p = (uintptr_t)payload(b);
    uintptr_t a = AK_ALIGN_UP(p, align);
    if (a != p && a - p < MIN_SPAN) a = AK_ALIGN_UP(p + MIN_SPAN, align);
    uint64_t gap = a - p;
    if (!gap) return b;
    uint64_t have = span_of(wget(h, b));
    Block *b2 = block_at(b, gap);
    wset(h, b, gap | F_FREE);
    list_insert(h, b, gap);
    wset(h, b2, (have - gap) | F_FREE | F_PREV_FREE);
    pset(h, &b2->prev_phys, b);
    return b2;
}

static inline Block *region_end(const AkHeap *h, Region *r) { return pget(h, &r->end); }

// Take at least `need` bytes of span more from the arena; returns the (listed) free block that
// now holds them, merged with a free block before when the push extends the last region.
// `adjacent_only` (realloc growing the last block in place): only a push that extends the last
// region is of use, and it needs no region overhead; a push that lands elsewhere (the caller
// pushed on the arena meanwhile, or the arena chained a block) is popped back at once and NULL
// returned without an error, so the heap is as it was and the move that follows can have the
// whole room (a kept push would be dead weight, and under a limit take the move's room).
static Block *heap_grow(AkHeap *h, uint64_t need, bool adjacent_only) {
    AK_ASSERT(need > 0 && need % 16 == 0, "heap_grow: need %llu is not a positive multiple of 16",
              (unsigned long long)need);
    AK_ASSERT(!adjacent_only || h->regions, "heap_grow: in-place growth without a region");
    uint64_t cost = adjacent_only ? 0 : REGION_COST;
    uint64_t want = AK_ALIGN_UP(AK_MAX(need + cost, h->grow), 16);
    if (h->limit) {
        uint64_t room = AK_ALIGN_DOWN(h->limit > h->size ? h->limit - h->size : 0, 16);
        if (need + cost > room) {
            if (!adjacent_only)
                heap_error(h, "out of memory: a block of %llu bytes does not fit in the %llu bytes left under its "
                           "limit of %llu (%llu in use)", (unsigned long long)need, (unsigned long long)room,
                           (unsigned long long)h->limit, (unsigned long long)h->used);
            return NULL;
        }
        want = AK_MIN(want, room);
    }
    uint64_t pos = ak_arena_pos(h->arena);
    char *r = ak_arena_push_nz(h->arena, want, 16);
    if (!r) {
        if (!adjacent_only)
            heap_error(h, "cannot grow by %llu bytes: %s", (unsigned long long)want, ak_arena_error(h->arena));
        return NULL;
    }
    Region *last = h->regions;
    bool adjacent = last && (char *)region_end(h, last) + 16 == r;
    if (adjacent_only && !adjacent) {
        ak_arena_pop_to(h->arena, pos);
        return NULL;
    }
    poison_range(h, r, want);
    h->size += want;
    Block *b, *end;
    uint64_t span;
    if (adjacent) {
        b = region_end(h, last); // the old sentinel starts the new block
        span = want;
        end = block_at(b, want);
        pset(h, &last->end, end);
        if (wget(h, b) & F_PREV_FREE) {
            Block *prev = pget(h, &b->prev_phys);
            uint64_t ps = span_of(wget(h, prev));
            list_remove(h, prev, ps);
            b = prev;
            span += ps;
        }
    } else {
        Region *reg = (Region *)r;
        b = block_at(r, REGION_HEAD);
        span = want - REGION_COST;
        end = block_at(b, span);
        pset(h, &reg->prev, h->regions);
        pset(h, &reg->end, end);
        h->regions = reg;
        h->region_count++;
    }
    wset(h, b, span | F_FREE);
    wset(h, end, F_PREV_FREE);
    pset(h, &end->prev_phys, b);
    list_insert(h, b, span);
    return b;
}

// ---- the operations, unlocked ------------------------------------------------------------------

static void drain_queue(AkHeap *h);

// No listed block fits: the queued frees may hold one, so they run before the heap grows.
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static Block *alloc_slow(AkHeap *h, uint64_t need) {
    Block *b = NULL;
    if (h->queued) {
        drain_queue(h);
        b = find_free(h, need);
    }
    return b ? b : heap_grow(h, need, false);
}

static void *heap_alloc(AkHeap *h, size_t size, uint64_t align) {
    if (align <= AK_HEAP_ALIGN) align = 0;
    if (size > AK_HEAP_MAX_REQUEST || align > AK_HEAP_MAX_REQUEST - size) {
        heap_error(h, "request of %llu bytes (alignment %llu) is beyond the largest block a heap holds (%llu bytes)",
                   (unsigned long long)size, (unsigned long long)align, (unsigned long long)AK_HEAP_MAX_REQUEST);
        return NULL;
    }
    uint64_t span = span_for(size);
    uint64_t need = align ? span + align + MIN_SPAN : span;
    if (h->limit && need + REGION_COST > h->limit) {
        heap_error(h, "request of %llu bytes is larger than this heap can ever grow (limit %llu bytes)",
                   (unsigned long long)size, (unsigned long long)h->limit);
        return NULL;
    }
    Block *b = find_free(h, need);
    if (!b && !(b = alloc_slow(h, need))) return NULL;
    if (!align) {
        take(h, b, span, true);
        return payload(b);
    }
    list_remove(h, b, span_of(wget(h, b)));
    b = align_block(h, b, align);
    take(h, b, span, false);
    wset(h, b, wget(h, b) | (uint64_t)__builtin_ctzll(align) << ALIGN_SHIFT);
    return payload(b);
}

static Region *region_of(const AkHeap *h, const void *p) {
    for (Region *r = h->regions; r; r = pget(h, &r->prev))
        if ((const char *)p >= (const char *)r + REGION_HEAD && (const char *)p < (const char *)region_end(h, r))
            return r;
    return NULL;
}

// Debug builds: abort, naming the heap, unless p is a used block of this heap with a sound
// header. O(regions); release builds trust the caller.
static void check_pointer(const AkHeap *h, const void *p, const char *op) {
#if AK_DEBUG
    Region *r = ((uintptr_t)p & 15) ? NULL : region_of(h, block_of(p));
    if (!r) heap_abort(h, "pointer from this heap", "%s(%p): the pointer was not allocated from this heap", op, p);
    Block *b = block_of(p), *end = region_end(h, r);
    for (uint32_t i = 0; i < FREE_QUEUE; i++)
        if (h->queue[i] == b) heap_abort(h, "not freed before", "%s(%p): double free (the block waits in the free queue)", op, p);
    uint64_t w = wget(h, b), span = span_of(w);
    if (w & F_FREE) heap_abort(h, "not freed before", "%s(%p): double free (the block is already free)", op, p);
    bool ok = span >= MIN_SPAN && !(w & F_RESERVED) && span <= (uint64_t)((char *)end - (char *)b);
    if (ok) {
        Block *next = block_at(b, span);
        uint64_t nw = wget(h, next);
        ok = !(nw & F_PREV_FREE) && !(nw & F_RESERVED) && (next == end || span_of(nw) >= MIN_SPAN);
    }
    if (ok && (w & F_PREV_FREE)) {
        Block *prev = pget(h, &b->prev_phys);
        ok = region_of(h, prev) == r && prev < b && block_at(prev, span_of(wget(h, prev))) == b &&
             (wget(h, prev) & F_FREE);
    }
    if (!ok)
        heap_abort(h, "sound block header", "%s(%p): corrupted block header (word 0x%llx): a write past the "
                   "end of the block before, or a pointer that does not start a block?", op, p,
                   (unsigned long long)w);
#else
    (void)h, (void)p, (void)op;
#endif
}

static void free_now(AkHeap *h, Block *b) {
    uint64_t w = wget(h, b);
    AK_ASSERT(!(w & F_FREE) && span_of(w) <= h->used, "free_now: block %p (word 0x%llx) is not used",
              (void *)b, (unsigned long long)w);
    h->used -= span_of(w);
    h->used_blocks--;
    make_free(h, b, w & (SPAN_MASK | F_PREV_FREE));
}

static void heap_free(AkHeap *h, void *p) {
    check_pointer(h, p, "ak_heap_free");
    free_now(h, block_of(p));
}

// Runs every queued free, oldest first. O(FREE_QUEUE).
static void drain_queue(AkHeap *h) {
    for (uint32_t i = 0; h->queued && i < FREE_QUEUE; i++) {
        uint32_t s = (h->qpos + i) & (FREE_QUEUE - 1);
        Block *b = h->queue[s];
        if (!b) continue;
        h->queue[s] = NULL;
        h->queued_bytes -= h->qspan[s];
        h->qspan[s] = 0;
        h->queued--;
        free_now(h, b);
    }
}

// The public free: queued on a large heap (see the top of the file), at once on a small one.
static void heap_free_queued(AkHeap *h, void *p) {
    check_pointer(h, p, "ak_heap_free");
    Block *b = block_of(p);
    if (h->size < QUEUE_FROM) {
        free_now(h, b);
        return;
    }
    uint64_t bspan = 0;
    if (HEAP_POISON && h->poison) {
        bspan = span_of(wget(h, b)); // read anyway to poison: the high water learns it now
        poison_range(h, p, bspan - 8); // caught from now on
    }
    __builtin_prefetch(&b->word, 1);
    uint32_t s = h->qpos, ms = (s + FREE_QUEUE / 2) & (FREE_QUEUE - 1);
    h->qpos = (s + 1) & (FREE_QUEUE - 1);
    Block *old = h->queue[s], *mid = h->queue[ms];
    uint64_t old_span = h->qspan[s];
    h->queue[s] = b;
    h->qspan[s] = bspan;
    h->queued_bytes += bspan - old_span;
    if (mid) {
        uint64_t w = wget(h, mid);
        __builtin_prefetch(&block_at(mid, span_of(w))->word, 1);
        if (w & F_PREV_FREE) __builtin_prefetch(&((Block *)pget(h, &mid->prev_phys))->word, 1);
        if (!h->qspan[ms]) {
            h->qspan[ms] = span_of(w);
            h->queued_bytes += h->qspan[ms];
        }
    }
    if (old) free_now(h, old);
    else h->queued++;
}

static void *heap_realloc(AkHeap *h, void *p, size_t size) {
    if (!p) return heap_alloc(h, size, 0);
    check_pointer(h, p, "ak_heap_realloc");
    if (size > AK_HEAP_MAX_REQUEST) {
        heap_error(h, "realloc to %llu bytes is beyond the largest block a heap holds (%llu bytes)",
                   (unsigned long long)size, (unsigned long long)AK_HEAP_MAX_REQUEST);
        return NULL;
    }
    Block *b = block_of(p);
    uint64_t w = wget(h, b), have = span_of(w), span = span_for(size);
    if (span <= have) {
        shrink(h, b, w, span);
        return p;
    }
    Block *next = block_at(b, have);
    uint64_t nw = wget(h, next);
    uint64_t avail = have + ((nw & F_FREE) ? span_of(nw) : 0);
    if (avail < span && h->queued) {
        // The neighbour may be queued. The drain may also free the block before: reread w.
        drain_queue(h);
        w = wget(h, b);
        nw = wget(h, next);
        avail = have + ((nw & F_FREE) ? span_of(nw) : 0);
    }
    if (avail < span && h->regions) {
        // The last block of the last region grows by pushing the arena, when the push is adjacent.
        Region *last = h->regions;
        Block *end = region_end(h, last);
        if (next == end || ((nw & F_FREE) && block_at(next, span_of(nw)) == end)) {
            // Only an adjacent push is kept (see heap_grow); otherwise the move below grows once.
            if (heap_grow(h, span - avail, true)) {
                AK_ASSERT(region_end(h, last) != end, "heap_grow kept a push that is not adjacent");
                nw = wget(h, next);
                avail = have + span_of(nw);
            }
        }
    }
    if (avail >= span) {
        if (nw & F_FREE) {
            list_remove(h, next, span_of(nw));
            Block *after = block_at(next, span_of(nw));
            wset(h, after, wget(h, after) & ~(uint64_t)F_PREV_FREE);
        }
        w = avail | (w & ~SPAN_MASK);
        wset(h, b, w);
        h->used += avail - have;
        if (HEAP_POISON && h->poison) ak_unpoison_undefined((char *)p + have - 8, avail - have);
        shrink(h, b, w, span);
        note_high_water(h); // after the shrink: the tail given back at once was never in use
        return p;
    }
    uint64_t align_log2 = w >> ALIGN_SHIFT;
    void *q = heap_alloc(h, size, align_log2 ? (uint64_t)1 << align_log2 : 0);
    if (!q) return NULL;
    memcpy(q, p, have - 8);
    heap_free(h, p);
    return q;
}

// ---- public API --------------------------------------------------------------------------------

static bool check_blocks(AkHeap *h);
static bool check_lists(AkHeap *h);

// AK_DEBUG >= 2 (make test): public operations end with the whole of ak_heap_check, every
// call on a heap of up to 16 blocks and every (blocks / 16 + 1)-th call above, so the cost per
// call stays about 16 block visits at any size (every call would make the suite quadratic) and
// a broken invariant still aborts within a few calls of the one that broke it, naming it. The
// queue is left alone: queued blocks are used blocks to every invariant.
#if AK_DEBUG >= 2
static void debug_check(AkHeap *h, const char *op) {
    if (++h->debug_calls < (h->used_blocks + h->free_blocks) / 16 + 1) return;
    h->debug_calls = 0;
    if (check_blocks(h) && check_lists(h)) return;
    char prefix[sizeof h->error];
    int n = heap_prefix(h, prefix, sizeof prefix); // the error names the heap already
    heap_abort(h, "heap invariants", "after %s: %s", op, h->error + n);
}
#else
#  define debug_check(h, op) ((void)0)
#endif

static inline void heap_lock(AkHeap *h) {
    if (h->locked) MUTEX_LOCK(&h->mutex);
}
static inline void heap_unlock(AkHeap *h) {
    if (h->locked) MUTEX_UNLOCK(&h->mutex);
}

static AkMemStats heap_pool_stats(const void *obj) {
    const AkHeap *h = obj;
    return (AkMemStats){h->size, h->size, h->used, AK_MAX(h->high_water, h->used), h->used_blocks};
}

AkHeap *ak_heap_create_with(AkHeapParams p) {
    const char *name = p.name ? p.name : "heap";
    AkArena *arena = p.arena;
    if (!arena) {
        arena = ak_arena_create_with((AkArenaParams){.reserve = p.reserve, .commit = p.commit,
                                                     .flags = p.arena_flags | AK_ARENA_NO_ZERO, .name = name,
                                                     .loc = p.loc});
        if (!arena) {
            snprintf(create_error, sizeof create_error, "heap '%s': %s", name, ak_arena_last_create_error());
            return NULL;
        }
    }
    AkHeap *h = ak_arena_push_nz(arena, sizeof(AkHeap), 64);
    if (!h) {
        snprintf(create_error, sizeof create_error, "heap '%s': %s", name, ak_arena_error(arena));
        if (!p.arena) ak_arena_release(arena);
        return NULL;
    }
    memset(h, 0, sizeof *h);
    h->arena = arena;
    h->arena_base = ak_arena_pos(arena);
    h->owns_arena = !p.arena;
    h->grow = AK_ALIGN_UP(p.grow ? p.grow : AK_KB(64), 16);
    h->limit = p.limit;
    h->poison = ak_poison_active() && !p.no_poison;
    h->locked = p.locked;
    h->name = name;
    h->loc = p.loc;
    if (h->locked) MUTEX_INIT(&h->mutex);
    h->pool_slot = ak_pool_register(h, AK_POOL_KIND_HEAP, name, p.loc, heap_pool_stats);
    if (h->pool_slot < 0) {
        snprintf(create_error, sizeof create_error, "heap '%s': the pool is full (%u slots, AK_POOL_SLOTS)",
                 name, ak_pool_capacity());
        if (h->locked) MUTEX_DESTROY(&h->mutex);
        if (!p.arena) ak_arena_release(arena);
        return NULL;
    }
    return h;
}

void ak_heap_release(AkHeap *h) {
    if (!h) return;
    AK_ASSERT(h->pool_slot >= 0, "ak_heap_release: %p is not a live heap (released twice?)", (void *)h);
    ak_pool_unregister(h->pool_slot);
    h->pool_slot = -1;
    if (h->locked) MUTEX_DESTROY(&h->mutex);
    if (h->owns_arena) {
        ak_arena_release(h->arena);
        return;
    }
    // The caller's arena keeps the memory; poison it so a use after release is caught.
    for (Region *r = h->regions, *prev; r; r = prev) {
        prev = pget(h, &r->prev);
        poison_range(h, r, (uint64_t)((char *)region_end(h, r) + 16 - (char *)r));
    }
    poison_range(h, h, sizeof *h);
}

static void heap_clear_lists(AkHeap *h) {
    memset(h->queue, 0, sizeof h->queue);
    memset(h->qspan, 0, sizeof h->qspan);
    h->queued_bytes = 0;
    h->qpos = h->queued = 0;
    h->fl_map = 0;
    memset(h->sl_map, 0, sizeof h->sl_map);
    memset(h->heads, 0, sizeof h->heads);
    h->used = h->free_bytes = h->used_blocks = h->free_blocks = 0;
}

void ak_heap_reset(AkHeap *h) {
    heap_lock(h);
    heap_clear_lists(h);
    if (h->owns_arena) {
        ak_arena_pop_to(h->arena, h->arena_base);
        h->regions = NULL;
        h->region_count = h->size = 0;
    } else {
        for (Region *r = h->regions; r; r = pget(h, &r->prev)) {
            Block *b = block_at(r, REGION_HEAD), *end = region_end(h, r);
            uint64_t span = (uint64_t)((char *)end - (char *)b);
            poison_range(h, b, span + 16);
            wset(h, b, span | F_FREE);
            wset(h, end, F_PREV_FREE);
            pset(h, &end->prev_phys, b);
            list_insert(h, b, span);
        }
    }
    debug_check(h, "ak_heap_reset");
    heap_unlock(h);
}

void *ak_heap_malloc(AkHeap *h, size_t size) {
    heap_lock(h);
    void *p = heap_alloc(h, size, 0);
    debug_check(h, "ak_heap_malloc");
    heap_unlock(h);
    return p;
}

void *ak_heap_aligned_alloc(AkHeap *h, size_t align, size_t size) {
    if (!AK_IS_POW2(align)) {
        heap_lock(h);
        heap_error(h, "alignment %llu is not a power of two", (unsigned long long)align);
        heap_unlock(h);
        return NULL;
    }
    heap_lock(h);
    void *p = heap_alloc(h, size, align);
    debug_check(h, "ak_heap_aligned_alloc");
    heap_unlock(h);
    return p;
}

void *ak_heap_calloc(AkHeap *h, size_t count, size_t size) {
    heap_lock(h);
    void *p = NULL;
    if (size && count > SIZE_MAX / size)
        heap_error(h, "calloc of %llu x %llu bytes overflows", (unsigned long long)count, (unsigned long long)size);
    else if ((p = heap_alloc(h, count * size, 0)))
        memset(p, 0, count * size);
    debug_check(h, "ak_heap_calloc");
    heap_unlock(h);
    return p;
}

void *ak_heap_realloc(AkHeap *h, void *ptr, size_t size) {
    heap_lock(h);
    void *p = heap_realloc(h, ptr, size);
    debug_check(h, "ak_heap_realloc");
    heap_unlock(h);
    return p;
}

void ak_heap_free(AkHeap *h, void *ptr) {
    if (!ptr) return;
    heap_lock(h);
    heap_free_queued(h, ptr);
    debug_check(h, "ak_heap_free");
    heap_unlock(h);
}

size_t ak_heap_usable_size(AkHeap *h, const void *ptr) {
    if (!ptr) return 0;
    heap_lock(h);
    check_pointer(h, ptr, "ak_heap_usable_size");
    size_t n = (size_t)(span_of(wget(h, block_of(ptr))) - 8);
    heap_unlock(h);
    return n;
}

// ---- check and statistics ----------------------------------------------------------------------

#define CHECK_FAIL(...) do { heap_error(h, "check: " __VA_ARGS__); return false; } while (0)

static bool check_blocks(AkHeap *h) {
    uint64_t size = 0, used = 0, free_bytes = 0, nused = 0, nfree = 0, nreg = 0;
    for (Region *r = h->regions; r; r = pget(h, &r->prev)) {
        Block *end = region_end(h, r), *b = block_at(r, REGION_HEAD), *prev = NULL;
        if (++nreg > h->region_count) CHECK_FAIL("more regions than the %llu counted", (unsigned long long)h->region_count);
        if ((char *)end < (char *)b || ((uintptr_t)end & 15))
            CHECK_FAIL("region %p: its end %p is misplaced", (void *)r, (void *)end);
        size += (uint64_t)((char *)end + 16 - (char *)r);
        for (;;) {
            uint64_t w = wget(h, b), span = span_of(w);
            bool prev_free = prev && (wget(h, prev) & F_FREE);
            if (!!(w & F_PREV_FREE) != prev_free)
                CHECK_FAIL("block %p: prev-free flag %d but the block before is %s", (void *)b,
                           !!(w & F_PREV_FREE), prev_free ? "free" : "used");
            if (prev_free && pget(h, &b->prev_phys) != prev)
                CHECK_FAIL("block %p: back pointer %p, expected %p", (void *)b, pget(h, &b->prev_phys), (void *)prev);
            if (b == end) {
                if (w & ~(uint64_t)F_PREV_FREE) CHECK_FAIL("region end %p: word 0x%llx", (void *)b, (unsigned long long)w);
                break;
            }
            if (span < MIN_SPAN || (w & F_RESERVED) || span > (uint64_t)((char *)end - (char *)b))
                CHECK_FAIL("block %p: word 0x%llx runs outside its region (end %p)", (void *)b,
                           (unsigned long long)w, (void *)end);
            if (w & F_FREE) {
                if (prev_free) CHECK_FAIL("blocks %p and %p are adjacent and both free", (void *)prev, (void *)b);
                if (w >> ALIGN_SHIFT) CHECK_FAIL("free block %p carries an alignment", (void *)b);
                free_bytes += span, nfree++;
            } else {
                used += span, nused++;
            }
            prev = b;
            b = block_at(b, span);
        }
    }
    if (nreg != h->region_count || size != h->size)
        CHECK_FAIL("regions add up to %llu bytes in %llu, the heap counts %llu in %llu", (unsigned long long)size,
                   (unsigned long long)nreg, (unsigned long long)h->size, (unsigned long long)h->region_count);
    if (used != h->used || nused != h->used_blocks)
        CHECK_FAIL("used blocks add up to %llu bytes in %llu, the heap counts %llu in %llu", (unsigned long long)used,
                   (unsigned long long)nused, (unsigned long long)h->used, (unsigned long long)h->used_blocks);
    if (free_bytes != h->free_bytes || nfree != h->free_blocks)
        CHECK_FAIL("free blocks add up to %llu bytes in %llu, the heap counts %llu in %llu",
                   (unsigned long long)free_bytes, (unsigned long long)nfree, (unsigned long long)h->free_bytes,
                   (unsigned long long)h->free_blocks);
    if (size != used + free_bytes + REGION_COST * nreg)
        CHECK_FAIL("used %llu + free %llu + region overhead do not add up to the size %llu",
                   (unsigned long long)used, (unsigned long long)free_bytes, (unsigned long long)size);
    return true;
}

static bool check_lists(AkHeap *h) {
    uint64_t listed = 0;
    for (uint32_t fl = 0; fl < FL_COUNT; fl++) {
        if (!!(h->fl_map >> fl & 1) != (h->sl_map[fl] != 0))
            CHECK_FAIL("first-level bit %u disagrees with its second-level bitmap 0x%x", fl, h->sl_map[fl]);
        for (uint32_t sl = 0; sl < SL_COUNT; sl++) {
            Block *b = h->heads[fl][sl], *prev = NULL;
            if (!!(h->sl_map[fl] >> sl & 1) != (b != NULL))
                CHECK_FAIL("bitmap bit (%u,%u) is %d but the list is %s", fl, sl, !!(h->sl_map[fl] >> sl & 1),
                           b ? "not empty" : "empty");
            for (; b; prev = b, b = pget(h, &b->next_free)) {
                if (++listed > h->free_blocks) CHECK_FAIL("the free lists hold more blocks than are free (a cycle?)");
                if (((uintptr_t)b & 15) || !region_of(h, b)) CHECK_FAIL("list (%u,%u) holds %p, outside the heap", fl, sl, (void *)b);
                uint64_t w = wget(h, b);
                uint32_t f2, s2;
                mapping(span_of(w), &f2, &s2);
                if (!(w & F_FREE)) CHECK_FAIL("list (%u,%u) holds the used block %p", fl, sl, (void *)b);
                if (f2 != fl || s2 != sl)
                    CHECK_FAIL("block %p of %llu bytes is in list (%u,%u), belongs in (%u,%u)", (void *)b,
                               (unsigned long long)span_of(w), fl, sl, f2, s2);
                if (pget(h, &b->prev_free) != prev) CHECK_FAIL("list (%u,%u): broken back link at %p", fl, sl, (void *)b);
            }
        }
    }
    if (listed != h->free_blocks)
        CHECK_FAIL("the free lists hold %llu blocks, the heap has %llu free", (unsigned long long)listed,
                   (unsigned long long)h->free_blocks);
    return true;
}

bool ak_heap_check(AkHeap *h) {
    heap_lock(h);
    drain_queue(h);
    bool ok = check_blocks(h) && check_lists(h);
    heap_unlock(h);
    return ok;
}

AkHeapStats ak_heap_stats(AkHeap *h) {
    heap_lock(h);
    drain_queue(h);
    AkHeapStats s = {h->size, h->used, h->free_bytes, 0, h->used_blocks, h->free_blocks, h->region_count,
                     AK_MAX(h->high_water, h->used), 0.0};
    if (h->fl_map) {
        // The largest block is in the highest non-empty list, though not necessarily its head.
        uint32_t fl = (uint32_t)fls64(h->fl_map), sl = (uint32_t)(31 - __builtin_clz(h->sl_map[fl]));
        uint64_t largest = 0;
        for (Block *b = h->heads[fl][sl]; b; b = pget(h, &b->next_free)) largest = AK_MAX(largest, span_of(wget(h, b)));
        s.largest_free = largest - 8;
        s.fragmentation = 1.0 - (double)largest / (double)h->free_bytes;
    }
    heap_unlock(h);
    return s;
}

AkMemStats ak_heap_mem_stats(AkHeap *h) {
    heap_lock(h);
    drain_queue(h);
    AkMemStats s = heap_pool_stats(h);
    heap_unlock(h);
    return s;
}

const char *ak_heap_error(const AkHeap *h) { return h->error; }
const char *ak_heap_name(const AkHeap *h) { return h->name; }
AkLoc ak_heap_loc(const AkHeap *h) { return h->loc; }
AkArena *ak_heap_arena(const AkHeap *h) { return h->arena; }
