// arena.c: blocks of reserved memory with a header at their start; the first block is the
// arena handle and holds the live state of the current block. Pushes bump `pos`, commit in
// `commit_step` units when they pass `committed`, and chain a new block (or the spare one) when
// they pass `cap`. Pops release chained blocks (keeping the last as the spare), poison what
// they give back and decommit beyond `keep`.
#include "arenakit/arena.h"

#include "arenakit/os.h"
#include "arenakit/pool.h"
#include "poison.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define HEADER AK_ALIGN_UP(sizeof(AkArena), 64)
// Positions, sizes and alignments stay below this, so no sum of two of them wraps.
#define LIMIT (AK_GB(1) << 16)

_Static_assert(offsetof(AkArena, first) == 0, "the handle starts with its own block's header");
_Static_assert(sizeof(AkArenaBlock) <= sizeof(AkArena), "a chained block's header fits where the handle's does");
_Static_assert(AK_ALIGN_UP(sizeof(AkArena), 64) <= AK_ARENA_FAST_ALIGN,
               "the header fits in the smallest page, so the first commit step holds it");
_Static_assert(AK_IS_POW2(AK_ARENA_FAST_ALIGN), "the inline path's alignment bound is a power of two");

static _Thread_local char create_error[256];

const char *ak_arena_last_create_error(void) { return create_error; }

// Commit steps need not be powers of two (a user's .commit = 100000 is a page multiple only).
static uint64_t round_up(uint64_t x, uint64_t step) { return (x + step - 1) / step * step; }

static uint64_t load_pos(AkArena *a) { return atomic_load_explicit(&a->first.live_pos, memory_order_relaxed); }
static void store_pos(AkArena *a, uint64_t pos) { atomic_store_explicit(&a->first.live_pos, pos, memory_order_relaxed); }

// The owner is the only writer of the published figures: a relaxed load and store suffice.
static void st_add(_Atomic uint64_t *st, uint64_t delta) {
    atomic_store_explicit(st, atomic_load_explicit(st, memory_order_relaxed) + delta, memory_order_relaxed);
}
static void st_set(_Atomic uint64_t *st, uint64_t v) { atomic_store_explicit(st, v, memory_order_relaxed); }
static uint64_t st_get(_Atomic uint64_t *st) { return atomic_load_explicit(st, memory_order_relaxed); }

// The published figures change together on the slow path (a chain moves reserved, used and the
// position at once): a sequence count, odd while they change, lets a reader on another thread
// take a consistent set. The inline push moves only the position, inside the current block,
// which keeps any set consistent.
static void publish_begin(AkArena *a) {
    st_set(&a->st_seq, st_get(&a->st_seq) + 1);
    atomic_thread_fence(memory_order_release);
}
static void publish_end(AkArena *a) {
    atomic_store_explicit(&a->st_seq, st_get(&a->st_seq) + 1, memory_order_release);
}

static void set_fast_end(AkArena *a) {
    AkArenaBlock *b = a->current;
    a->fast_end = ak_poison_active() ? 0 : AK_MIN(b->committed, b->cap);
}

static uint64_t arena_used(AkArena *a) { return st_get(&a->st_used_before) + load_pos(a) - HEADER; }

// Reads only the handle's atomics: safe while the owner pushes, pops and chains (the pool keeps
// the handle alive while a report reads it).
static AkMemStats arena_stats_of(const void *obj) {
    AkArena *a = (AkArena *)obj;
    AkMemStats s = {0};
    for (uint32_t tries = 0;; tries++) {
        uint64_t seq = atomic_load_explicit(&a->st_seq, memory_order_acquire);
        uint64_t pos = load_pos(a);
        s.reserved = st_get(&a->st_reserved);
        s.committed = st_get(&a->st_committed);
        s.used = st_get(&a->st_used_before) + (pos > HEADER ? pos - HEADER : 0);
        s.high_water = AK_MAX(st_get(&a->st_high_water), s.used);
        s.blocks = st_get(&a->st_blocks);
        atomic_thread_fence(memory_order_acquire);
        if (!(seq & 1) && seq == st_get(&a->st_seq)) return s;
        if (tries >= 64) ak_os_yield(); // the owner was preempted inside its update
    }
}

AkMemStats ak_arena_stats(AkArena *arena) { return arena_stats_of(arena); }
const char *ak_arena_error(const AkArena *arena) { return arena->error; }
const char *ak_arena_name(const AkArena *arena) { return arena->name ? arena->name : "(unnamed)"; }
AkLoc ak_arena_loc(const AkArena *arena) { return arena->loc; }

void ak_arena_set_oom_handler(AkArena *arena, AkArenaOomFn *fn, void *user) {
    arena->on_oom = fn;
    arena->oom_user = user;
}

// Record why a push failed, prefixed with the arena's name (and creator in debug builds),
// call the user's handler, and return NULL for the caller to pass on.
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void *push_fail(AkArena *a, uint64_t size, const char *fmt, ...) {
    int n;
    if (a->loc.file) n = snprintf(a->error, sizeof a->error, "arena '%s' (%s:%d): ", ak_arena_name(a), a->loc.file, a->loc.line);
    else n = snprintf(a->error, sizeof a->error, "arena '%s': ", ak_arena_name(a));
    if (n < 0 || (size_t)n >= sizeof a->error) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->error + n, sizeof a->error - (size_t)n, fmt, ap);
    va_end(ap);
    if (a->on_oom) a->on_oom(a, size, a->error, a->oom_user);
    return NULL;
}

// Steps of commit and reserve for this arena's blocks, rounded to what the OS can map.
static uint64_t arena_page(uint32_t flags) {
    return (flags & AK_ARENA_LARGE_PAGES) ? ak_os_large_page_size() : ak_os_page_size();
}

// Expensive invariant check (AK_DEBUG >= 2): every block's bounds, the chain's positions and
// the published figures agree with the blocks.
#if AK_DEBUG >= 2
static void arena_check(AkArena *a) {
    uint64_t reserved = 0, committed = 0, blocks = 0;
    uint64_t pos = load_pos(a), dirty = a->dirty;
    for (AkArenaBlock *b = a->current; b; b = b->prev) {
        AK_ASSERT((uintptr_t)b % AK_ARENA_FAST_ALIGN == 0, "arena '%s': block %p is not page-aligned", ak_arena_name(a), (void *)b);
        AK_ASSERT(HEADER <= pos && pos <= b->cap && b->cap <= b->reserved, "arena '%s': block position %llu outside [%llu, %llu]",
                  ak_arena_name(a), (unsigned long long)pos, (unsigned long long)HEADER, (unsigned long long)b->cap);
        AK_ASSERT(b->committed <= b->reserved && b->committed >= HEADER, "arena '%s': committed %llu of %llu", ak_arena_name(a),
                  (unsigned long long)b->committed, (unsigned long long)b->reserved);
        AK_ASSERT(dirty <= b->committed, "arena '%s': zeroing mark beyond the committed pages", ak_arena_name(a));
        if (b->prev) {
            AK_ASSERT(b->base_pos >= b->prev->base_pos + b->prev->cap, "arena '%s': block positions overlap", ak_arena_name(a));
            AK_ASSERT(b->base_used == b->prev->base_used + b->prev->pos - HEADER, "arena '%s': used bytes of earlier blocks", ak_arena_name(a));
        }
        reserved += b->lead + b->reserved;
        committed += b->committed;
        blocks++;
        if (b->prev) pos = b->prev->pos, dirty = b->prev->dirty;
    }
    if (a->spare) reserved += a->spare->lead + a->spare->reserved, committed += a->spare->committed;
    AK_ASSERT(a->current->base_used == st_get(&a->st_used_before), "arena '%s': published used bytes", ak_arena_name(a));
    AK_ASSERT(reserved == st_get(&a->st_reserved) && committed == st_get(&a->st_committed) && blocks == st_get(&a->st_blocks),
              "arena '%s': published figures %llu/%llu/%llu, blocks say %llu/%llu/%llu", ak_arena_name(a),
              (unsigned long long)st_get(&a->st_reserved), (unsigned long long)st_get(&a->st_committed),
              (unsigned long long)st_get(&a->st_blocks), (unsigned long long)reserved, (unsigned long long)committed,
              (unsigned long long)blocks);
    AK_ASSERT(a->fast_end <= AK_MIN(a->current->committed, a->current->cap), "arena '%s': fast path beyond the block", ak_arena_name(a));
}
#  define ARENA_CHECK(a) arena_check(a)
#else
#  define ARENA_CHECK(a) ((void)0)
#endif

// Reserve a block of `reserve` usable bytes and commit its first `commit`; NULL with the OS's
// reason in `why`. For an alignment above the page, the range is reserved `align - page`
// bytes larger and the header placed so that the first page after it starts on an `align`
// boundary: the pages before the header (`lead`) are never committed.
static AkArenaBlock *block_create(uint64_t reserve, uint64_t commit, uint32_t flags, uint64_t align, const char **why) {
    uint64_t page = arena_page(flags);
    AK_ASSERT(reserve % page == 0 && commit % page == 0 && HEADER <= commit && commit <= reserve,
              "block_create: reserve %llu / commit %llu are not page multiples holding the header",
              (unsigned long long)reserve, (unsigned long long)commit);
    uint64_t slack = align > page ? align - page : 0;
    char *m = ak_os_reserve(reserve + slack, flags & AK_ARENA_LARGE_PAGES);
    if (!m) return *why = ak_os_error(), NULL;
    uint64_t lead = 0;
    if (slack) {
        uint64_t data = AK_ALIGN_UP(HEADER, page);
        lead = AK_ALIGN_UP((uintptr_t)m + data, align) - data - (uintptr_t)m;
    }
    AkArenaBlock *blk = (AkArenaBlock *)(m + lead);
    if (!ak_os_commit(blk, commit)) {
        *why = ak_os_error();
        (void)!ak_os_release(m, reserve + slack, 0);
        return NULL;
    }
    *blk = (AkArenaBlock){0};
    blk->pos = HEADER;
    blk->committed = commit;
    blk->reserved = reserve + slack - lead;
    blk->cap = blk->reserved;
    blk->lead = lead;
    ak_poison((char *)blk + HEADER, commit - HEADER);
    return blk;
}

static void block_release(AkArenaBlock *blk) {
    char *m = (char *)blk - blk->lead;
    uint64_t mapped = blk->lead + blk->reserved, committed = blk->committed;
    // ASan keeps shadow state per address: clear it, or the next mapping here looks poisoned.
    AK_ASAN_UNPOISON(blk, committed);
    (void)!ak_os_release(m, mapped, committed);
}

// Give back a chained block: its figures leave the published totals.
static void arena_drop_block(AkArena *a, AkArenaBlock *blk) {
    st_add(&a->st_reserved, 0 - (blk->lead + blk->reserved));
    st_add(&a->st_committed, 0 - blk->committed);
    block_release(blk);
}

// Decommit a block beyond `keep` bytes (at least the header's step); on failure the pages stay
// committed and poisoned, which is safe, and the arena's error says so.
static void block_trim(AkArena *a, AkArenaBlock *blk, uint64_t local, uint64_t *dirty) {
    uint64_t target = AK_MIN(round_up(AK_MAX(local, a->keep), a->commit_step), blk->committed);
    if (blk->committed <= target) return;
    uint64_t n = blk->committed - target;
    AK_ASAN_UNPOISON((char *)blk + target, n);
    if (ak_os_decommit((char *)blk + target, n)) {
        blk->committed = target;
        *dirty = AK_MIN(*dirty, target);
        st_add(&a->st_committed, 0 - n);
    } else {
        ak_poison((char *)blk + target, n);
        snprintf(a->error, sizeof a->error, "arena '%s': %s (pages kept)", ak_arena_name(a), ak_os_error());
    }
}

AkArena *ak_arena_create_with(AkArenaParams p) {
    const char *name = p.name ? p.name : "(unnamed)";
    uint64_t page = arena_page(p.flags);
    uint64_t grain = AK_MAX(page, ak_os_reserve_granularity());
    uint64_t want = p.reserve ? p.reserve : AK_ARENA_DEFAULT_RESERVE;
    uint64_t step = p.commit ? p.commit : AK_ARENA_DEFAULT_COMMIT;
    if (want > LIMIT || step > LIMIT) {
        snprintf(create_error, sizeof create_error, "arena '%s': reserve %llu / commit %llu bytes is beyond any address space",
                 name, (unsigned long long)want, (unsigned long long)step);
        return NULL;
    }
    bool fixed = p.flags & AK_ARENA_FIXED;
    if (fixed && want <= HEADER) {
        snprintf(create_error, sizeof create_error,
                 "arena '%s': a fixed reserve of %llu bytes cannot hold the %llu-byte arena header and a push",
                 name, (unsigned long long)want, (unsigned long long)HEADER);
        return NULL;
    }
    uint64_t reserve = AK_ALIGN_UP(want, grain);
    uint64_t commit = AK_MIN(round_up(AK_MAX(step, HEADER), page), reserve);
    const char *why = NULL;
    AkArenaBlock *blk = block_create(reserve, commit, p.flags, 0, &why);
    if (!blk) {
        snprintf(create_error, sizeof create_error, "arena '%s': %s", name, why);
        return NULL;
    }
    AkArena *a = (AkArena *)blk;
    if (fixed) blk->cap = want; // exact: the header counts against it
    store_pos(a, HEADER);
    a->current = blk;
    a->reserve_step = reserve;
    a->commit_step = commit;
    a->keep = p.keep ? p.keep : AK_ARENA_DEFAULT_KEEP;
    a->flags = p.flags;
    a->pool_kind = p.pool_kind;
    a->name = p.name;
    // The library's own mode decides whether locations are kept, not the caller's NDEBUG.
    a->loc = AK_DEBUG ? p.loc : AK_NO_LOC;
    a->on_oom = p.on_oom;
    a->oom_user = p.oom_user;
    st_set(&a->st_reserved, blk->lead + blk->reserved);
    st_set(&a->st_committed, commit);
    st_set(&a->st_blocks, 1);
    set_fast_end(a);
    a->pool_slot = ak_pool_register(a, p.pool_kind, p.name, a->loc, arena_stats_of);
    if (a->pool_slot < 0) {
        snprintf(create_error, sizeof create_error,
                 "arena '%s': the arena pool is full (%u slots, AK_POOL_SLOTS); release arenas or rebuild with -DAK_POOL_SLOTS=N",
                 name, ak_pool_capacity());
        block_release(blk);
        return NULL;
    }
    ARENA_CHECK(a);
    return a;
}

void ak_arena_release(AkArena *arena) {
    if (!arena) return;
    // Before touching the header: a second release finds it unmapped.
    ak_pool_assert_live(arena, "ak_arena_release");
    AK_ASSERT(arena->pool_slot >= 0, "ak_arena_release: %p is not a live arena", (void *)arena);
    ak_pool_unregister(arena->pool_slot);
    arena->pool_slot = -1;
    if (arena->spare) block_release(arena->spare);
    AkArenaBlock *blk = arena->current;
    while (blk) {
        AkArenaBlock *prev = blk->prev;
        block_release(blk); // the handle's own block last
        blk = prev;
    }
}

// Chain a block big enough for `size` bytes at `align` (the spare one when it fits); returns
// it as the new current block.
static AkArenaBlock *arena_chain(AkArena *a, uint64_t size, uint64_t align) {
    AK_ASSERT(!(a->flags & AK_ARENA_FIXED), "arena '%s': a fixed arena never chains", ak_arena_name(a));
    uint64_t page = arena_page(a->flags);
    uint64_t grain = AK_MAX(page, ak_os_reserve_granularity());
    uint64_t first = align > page ? AK_ALIGN_UP(HEADER, page) : AK_ALIGN_UP(HEADER, align);
    uint64_t need = first + size;
    if (need > LIMIT)
        return push_fail(a, size, "push of %llu bytes (align %llu) is beyond any address space",
                         (unsigned long long)size, (unsigned long long)align);
    AkArenaBlock *spare = a->spare, *blk = spare;
    if (spare) {
        uint64_t start = AK_ALIGN_UP((uintptr_t)spare + HEADER, align) - (uintptr_t)spare;
        if (start + size > spare->cap) { // too small: a new one
            publish_begin(a);
            a->spare = NULL;
            arena_drop_block(a, spare);
            publish_end(a);
            spare = blk = NULL;
        }
    }
    if (!blk) {
        uint64_t reserve = AK_MAX(a->reserve_step, AK_ALIGN_UP(need, grain));
        uint64_t commit = AK_MIN(reserve, round_up(AK_MAX(need, a->commit_step), a->commit_step));
        const char *why = NULL;
        blk = block_create(reserve, commit, a->flags, align, &why);
        if (!blk)
            return push_fail(a, size, "cannot chain a new %llu-byte block for a push of %llu bytes: %s",
                             (unsigned long long)reserve, (unsigned long long)size, why);
    }
    publish_begin(a);
    if (blk != spare) {
        st_add(&a->st_reserved, blk->lead + blk->reserved);
        st_add(&a->st_committed, blk->committed);
    }
    AkArenaBlock *cur = a->current;
    cur->pos = load_pos(a); // saved while another block is current
    cur->dirty = a->dirty;
    blk->prev = cur;
    blk->base_pos = cur->base_pos + cur->cap;
    blk->base_used = cur->base_used + cur->pos - HEADER;
    a->current = blk;
    a->dirty = blk->dirty;
    store_pos(a, HEADER);
    st_set(&a->st_used_before, blk->base_used);
    st_add(&a->st_blocks, 1);
    if (blk == spare) a->spare = NULL;
    publish_end(a);
    set_fast_end(a);
    return blk;
}

void *ak_arena_push_slow(AkArena *a, uint64_t size, uint64_t align, bool zero) {
    AK_ASSERT(a != NULL, "push on a NULL arena");
    if (!AK_IS_POW2(align))
        return push_fail(a, size, "alignment %llu is not a power of two", (unsigned long long)align);
    if (align > LIMIT)
        return push_fail(a, size, "alignment %llu is beyond any address space (at most %llu)",
                         (unsigned long long)align, (unsigned long long)LIMIT);
    if (a->flags & AK_ARENA_NO_ZERO) zero = false;
    AkArenaBlock *cur = a->current;
    uint64_t pos = load_pos(a);
    // Align the address, not the offset: a block is only page-aligned.
    uint64_t start = AK_ALIGN_UP((uintptr_t)cur + pos, align) - (uintptr_t)cur;
    uint64_t end = start + size;
    if (end < start || size > LIMIT)
        return push_fail(a, size, "push of %llu bytes (align %llu) overflows the address space",
                         (unsigned long long)size, (unsigned long long)align);
    if (end > cur->cap) {
        if (a->flags & AK_ARENA_FIXED)
            return push_fail(a, size, "full: push of %llu bytes (align %llu) does not fit in the %llu bytes reserved "
                             "(%llu used; fixed arena, chaining is off)",
                             (unsigned long long)size, (unsigned long long)align, (unsigned long long)cur->cap,
                             (unsigned long long)arena_used(a));
        cur = arena_chain(a, size, align);
        if (!cur) return NULL;
        pos = load_pos(a);
        start = AK_ALIGN_UP((uintptr_t)cur + pos, align) - (uintptr_t)cur;
        end = start + size;
        AK_ASSERT(end <= cur->cap, "arena '%s': a chained block too small for its push", ak_arena_name(a));
    }
    if (end > cur->committed) {
        uint64_t target = AK_MIN(round_up(end, a->commit_step), cur->reserved);
        if (!ak_os_commit((char *)cur + cur->committed, target - cur->committed))
            return push_fail(a, size, "push of %llu bytes: %s", (unsigned long long)size, ak_os_error());
        if (a->flags & AK_ARENA_PREFAULT) (void)ak_os_prefault((char *)cur + cur->committed, target - cur->committed);
        ak_poison((char *)cur + cur->committed, target - cur->committed);
        publish_begin(a);
        st_add(&a->st_committed, target - cur->committed);
        publish_end(a);
        cur->committed = target;
        set_fast_end(a);
    }
    char *p = (char *)cur + start;
    store_pos(a, end);
    if (zero) {
        ak_unpoison_defined(p, size);
        if (start < a->dirty) memset(p, 0, (size_t)(AK_MIN(end, a->dirty) - start));
    } else {
        ak_unpoison_undefined(p, size);
    }
    AK_ASSERT(((uintptr_t)p & (align - 1)) == 0, "arena '%s': push misaligned", ak_arena_name(a));
    ARENA_CHECK(a);
    return p;
}

void *ak_arena_push_overflow(AkArena *a, uint64_t count, uint64_t size) {
    AK_ASSERT(a != NULL, "push on a NULL arena");
    return push_fail(a, UINT64_MAX, "push of %llu items of %llu bytes overflows the address space",
                     (unsigned long long)count, (unsigned long long)size);
}

void *ak_arena_push_copy(AkArena *a, const void *src, uint64_t size, uint64_t align) {
    void *p = ak_arena_push_nz(a, size, align);
    if (p && size) memcpy(p, src, (size_t)size);
    return p;
}

void ak_arena_pop_to(AkArena *a, uint64_t pos) {
    AK_ASSERT(a != NULL, "pop on a NULL arena");
    AkArenaBlock *cur = a->current;
    uint64_t cpos = load_pos(a), dirty = a->dirty;
    if (pos >= cur->base_pos + cpos) return; // at or beyond the position: nothing to pop
    publish_begin(a);
    st_set(&a->st_high_water, AK_MAX(st_get(&a->st_high_water), arena_used(a)));
    bool zeroes = !(a->flags & AK_ARENA_NO_ZERO);
    AkArenaBlock *spare = NULL;
    while (cur != &a->first && pos < cur->base_pos + HEADER) {
        AkArenaBlock *prev = cur->prev;
        // The oldest block given back becomes the spare (the one the next push past the
        // boundary needs); any other goes back to the OS.
        if (spare) arena_drop_block(a, spare);
        else if (a->spare) arena_drop_block(a, a->spare), a->spare = NULL;
        ak_poison((char *)cur + HEADER, cpos - HEADER);
        cur->dirty = zeroes ? AK_MAX(dirty, cpos) : dirty;
        cur->pos = HEADER;
        cur->prev = NULL;
        spare = cur;
        st_add(&a->st_blocks, 0 - 1);
        cur = prev;
        cpos = cur->pos;
        dirty = cur->dirty;
    }
    if (spare) {
        block_trim(a, spare, HEADER, &spare->dirty);
        a->spare = spare;
    }
    a->current = cur;
    st_set(&a->st_used_before, cur->base_used);
    uint64_t local = pos < cur->base_pos + HEADER ? HEADER : pos - cur->base_pos;
    if (local > cpos) local = cpos; // inside the unused tail of an earlier block
    if (zeroes) dirty = AK_MAX(dirty, cpos);
    ak_poison((char *)cur + local, cpos - local);
    store_pos(a, local);
    // Give back what lies beyond max(pos, keep), in whole commit steps.
    block_trim(a, cur, local, &dirty);
    publish_end(a);
    a->dirty = dirty;
    set_fast_end(a);
    ARENA_CHECK(a);
}

void ak_arena_pop(AkArena *a, uint64_t bytes) {
    // Walk back through blocks by bytes used, so a pop across a block boundary does not count
    // the unused tail of the earlier block.
    AkArenaBlock *blk = a->current;
    uint64_t pos = load_pos(a);
    while (blk && bytes > pos - HEADER) {
        bytes -= pos - HEADER;
        blk = blk->prev;
        if (blk) pos = blk->pos;
    }
    ak_arena_pop_to(a, blk ? blk->base_pos + pos - bytes : 0);
}

void ak_arena_clear(AkArena *a) { ak_arena_pop_to(a, 0); }
