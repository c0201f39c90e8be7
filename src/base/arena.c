// arena.c: blocks of reserved memory with a header at their start; the first block is the
// arena handle. Pushes bump `pos`, commit in `commit_step` units when they pass `committed`,
// and chain a new block when they pass `reserved`. Pops release chained blocks, poison what
// they give back and decommit beyond `keep`.
#include "arenakit/arena.h"

#include "arenakit/os.h"
#include "arenakit/pool.h"
#include "poison.h"

#include <stdarg.h>
#include <stdio.h>

#define HEADER AK_ALIGN_UP(sizeof(AkArena), 64)

static _Thread_local char create_error[256];

const char *ak_arena_last_create_error(void) { return create_error; }

static void block_set_fast_end(AkArena *blk) {
    blk->fast_end = ak_poison_active() ? 0 : blk->committed;
}

static uint64_t arena_used(const AkArena *a) {
    const AkArena *cur = a->current;
    return cur->base_used + cur->pos - HEADER;
}

static AkMemStats arena_stats_of(const void *obj) {
    const AkArena *a = obj;
    AkMemStats s = {0};
    for (const AkArena *b = a->current; b; b = b->prev) {
        s.reserved += b->reserved;
        s.committed += b->committed;
    }
    s.used = arena_used(a);
    s.high_water = AK_MAX(a->high_water, s.used);
    s.blocks = a->block_count;
    return s;
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

// Reserve a block and commit its first `commit` bytes; NULL with the OS's reason in `why`.
static AkArena *block_create(uint64_t reserve, uint64_t commit, uint32_t flags, const char **why) {
    void *mem = ak_os_reserve(reserve, flags & AK_ARENA_LARGE_PAGES);
    if (!mem) return *why = ak_os_error(), NULL;
    if (!ak_os_commit(mem, commit)) {
        *why = ak_os_error();
        ak_os_release(mem, reserve, 0);
        return NULL;
    }
    AkArena *blk = mem;
    *blk = (AkArena){0};
    blk->current = blk;
    blk->pos = HEADER;
    blk->committed = commit;
    blk->reserved = reserve;
    blk->pool_slot = -1;
    block_set_fast_end(blk);
    ak_poison((char *)blk + HEADER, commit - HEADER);
    return blk;
}

static void block_release(AkArena *blk) {
    uint64_t reserved = blk->reserved, committed = blk->committed;
    // ASan keeps shadow state per address: clear it, or the next mapping here looks poisoned.
    AK_ASAN_UNPOISON(blk, committed);
    ak_os_release(blk, reserved, committed);
}

AkArena *ak_arena_create_with(AkArenaParams p) {
    uint64_t page = arena_page(p.flags);
    uint64_t grain = AK_MAX(page, ak_os_reserve_granularity());
    uint64_t commit = AK_ALIGN_UP(AK_MAX(p.commit ? p.commit : AK_ARENA_DEFAULT_COMMIT, HEADER), page);
    uint64_t reserve = p.reserve ? p.reserve : AK_ARENA_DEFAULT_RESERVE;
    if (reserve > AK_GB(1) << 16 || commit > AK_GB(1) << 16) {
        snprintf(create_error, sizeof create_error, "arena '%s': reserve %llu / commit %llu bytes is beyond any address space",
                 p.name ? p.name : "(unnamed)", (unsigned long long)reserve, (unsigned long long)commit);
        return NULL;
    }
    reserve = AK_ALIGN_UP(AK_MAX(reserve, commit), grain);
    const char *why = NULL;
    AkArena *a = block_create(reserve, commit, p.flags, &why);
    if (!a) {
        snprintf(create_error, sizeof create_error, "arena '%s': %s", p.name ? p.name : "(unnamed)", why);
        return NULL;
    }
    a->reserve_step = reserve;
    a->commit_step = commit;
    a->keep = p.keep ? p.keep : AK_ARENA_DEFAULT_KEEP;
    a->flags = p.flags;
    a->block_count = 1;
    a->pool_kind = p.pool_kind;
    a->name = p.name;
    a->loc = p.loc;
    a->on_oom = p.on_oom;
    a->oom_user = p.oom_user;
    a->pool_slot = ak_pool_register(a, p.pool_kind, p.name, p.loc, arena_stats_of);
    if (a->pool_slot < 0) {
        snprintf(create_error, sizeof create_error,
                 "arena '%s': the arena pool is full (%u slots, AK_POOL_SLOTS); release arenas or rebuild with -DAK_POOL_SLOTS=N",
                 p.name ? p.name : "(unnamed)", ak_pool_capacity());
        block_release(a);
        return NULL;
    }
    return a;
}

void ak_arena_release(AkArena *arena) {
    if (!arena) return;
    AK_ASSERT(arena->pool_slot >= 0, "ak_arena_release: %p is not a live arena", (void *)arena);
    ak_pool_unregister(arena->pool_slot);
    arena->pool_slot = -1;
    AkArena *blk = arena->current;
    while (blk) {
        AkArena *prev = blk->prev;
        block_release(blk);
        blk = prev;
    }
}

// Chain a block big enough for `size` bytes at `align`; returns it as the new current block.
static AkArena *arena_chain(AkArena *a, uint64_t size, uint64_t align) {
    uint64_t page = arena_page(a->flags);
    uint64_t grain = AK_MAX(page, ak_os_reserve_granularity());
    uint64_t first = AK_ALIGN_UP(HEADER, align);
    uint64_t need = first + size;
    if (first < HEADER || need < first || need > (AK_GB(1) << 16))
        return push_fail(a, size, "push of %llu bytes (align %llu) is beyond any address space",
                         (unsigned long long)size, (unsigned long long)align);
    uint64_t reserve = AK_MAX(a->reserve_step, AK_ALIGN_UP(need, grain));
    uint64_t commit = AK_MIN(reserve, AK_ALIGN_UP(AK_MAX(need, a->commit_step), a->commit_step));
    const char *why = NULL;
    AkArena *blk = block_create(reserve, commit, a->flags, &why);
    if (!blk)
        return push_fail(a, size, "cannot chain a new %llu-byte block for a push of %llu bytes: %s",
                         (unsigned long long)reserve, (unsigned long long)size, why);
    AkArena *cur = a->current;
    blk->prev = cur;
    blk->base_pos = cur->base_pos + cur->reserved;
    blk->base_used = cur->base_used + cur->pos - HEADER;
    blk->dirty = 0;
    a->current = blk;
    a->block_count++;
    return blk;
}

void *ak_arena_push_slow(AkArena *a, uint64_t size, uint64_t align, bool zero) {
    AK_ASSERT(a != NULL, "push on a NULL arena");
    if (!AK_IS_POW2(align))
        return push_fail(a, size, "alignment %llu is not a power of two", (unsigned long long)align);
    if (a->flags & AK_ARENA_NO_ZERO) zero = false;
    AkArena *cur = a->current;
    uint64_t start = AK_ALIGN_UP(cur->pos, align);
    uint64_t end = start + size;
    if (start < cur->pos || end < start)
        return push_fail(a, size, "push of %llu bytes (align %llu) overflows the address space",
                         (unsigned long long)size, (unsigned long long)align);
    if (end > cur->reserved) {
        if (a->flags & AK_ARENA_FIXED)
            return push_fail(a, size, "full: push of %llu bytes does not fit in the %llu bytes reserved "
                             "(%llu used; fixed arena, chaining is off)",
                             (unsigned long long)size, (unsigned long long)cur->reserved,
                             (unsigned long long)arena_used(a));
        cur = arena_chain(a, size, align);
        if (!cur) return NULL;
        start = AK_ALIGN_UP(cur->pos, align);
        end = start + size;
    }
    if (end > cur->committed) {
        uint64_t target = AK_MIN(AK_ALIGN_UP(end, a->commit_step), cur->reserved);
        if (!ak_os_commit((char *)cur + cur->committed, target - cur->committed))
            return push_fail(a, size, "push of %llu bytes: %s", (unsigned long long)size, ak_os_error());
        if (a->flags & AK_ARENA_PREFAULT) (void)ak_os_prefault((char *)cur + cur->committed, target - cur->committed);
        ak_poison((char *)cur + cur->committed, target - cur->committed);
        cur->committed = target;
        block_set_fast_end(cur);
    }
    char *p = (char *)cur + start;
    cur->pos = end;
    if (zero) {
        ak_unpoison_defined(p, size);
        if (start < cur->dirty) memset(p, 0, (size_t)(AK_MIN(end, cur->dirty) - start));
    } else {
        ak_unpoison_undefined(p, size);
    }
    return p;
}

void *ak_arena_push_copy(AkArena *a, const void *src, uint64_t size, uint64_t align) {
    void *p = ak_arena_push_nz(a, size, align);
    if (p && size) memcpy(p, src, (size_t)size);
    return p;
}

void ak_arena_pop_to(AkArena *a, uint64_t pos) {
    AkArena *cur = a->current;
    if (pos >= cur->base_pos + cur->pos) return;
    a->high_water = AK_MAX(a->high_water, arena_used(a));
    while (cur != a && pos < cur->base_pos + HEADER) {
        AkArena *prev = cur->prev;
        block_release(cur);
        a->block_count--;
        cur = prev;
    }
    a->current = cur;
    uint64_t local = pos < cur->base_pos + HEADER ? HEADER : pos - cur->base_pos;
    if (local > cur->pos) local = cur->pos; // inside the unused tail of an earlier block
    if (!(a->flags & AK_ARENA_NO_ZERO)) cur->dirty = AK_MAX(cur->dirty, cur->pos);
    ak_poison((char *)cur + local, cur->pos - local);
    cur->pos = local;
    // Give back what lies beyond max(pos, keep), in whole commit steps.
    uint64_t target = AK_MIN(AK_ALIGN_UP(AK_MAX(local, a->keep), a->commit_step), cur->committed);
    if (cur->committed > target) {
        uint64_t n = cur->committed - target;
        AK_ASAN_UNPOISON((char *)cur + target, n);
        if (ak_os_decommit((char *)cur + target, n)) {
            cur->committed = target;
            cur->dirty = AK_MIN(cur->dirty, target);
            block_set_fast_end(cur);
        } else {
            // Keeping the pages is safe; only the memory stays resident longer.
            ak_poison((char *)cur + target, n);
            snprintf(a->error, sizeof a->error, "arena '%s': %s (pages kept)", ak_arena_name(a), ak_os_error());
        }
    }
}

void ak_arena_pop(AkArena *a, uint64_t bytes) {
    // Walk back through blocks by bytes used, so a pop across a block boundary does not count
    // the unused tail of the earlier block.
    AkArena *blk = a->current;
    while (blk && bytes > blk->pos - HEADER) {
        bytes -= blk->pos - HEADER;
        blk = blk->prev;
    }
    ak_arena_pop_to(a, blk ? blk->base_pos + blk->pos - bytes : 0);
}

void ak_arena_clear(AkArena *a) { ak_arena_pop_to(a, 0); }

void ak_arena_set_error(AkArena *a, const char *reason) {
    int n = a->loc.file ? snprintf(a->error, sizeof a->error, "arena '%s' (%s:%d): ", ak_arena_name(a), a->loc.file, a->loc.line)
                        : snprintf(a->error, sizeof a->error, "arena '%s': ", ak_arena_name(a));
    if (n < 0 || (size_t)n >= sizeof a->error) n = 0;
    snprintf(a->error + n, sizeof a->error - (size_t)n, "%s", reason);
}
