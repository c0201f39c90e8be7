// chunked.c: the slow paths of the chunked array: taking a chunk (from the free list or the
// arena), growing the directory, pop and clear. The fast paths are inline in chunked.h.
#include "arenakit/chunked.h"

#include <stdio.h>

_Static_assert(sizeof(AkChunk) == sizeof(void *), "a chunk header is its link; items follow, aligned");
_Static_assert(AK_CHUNKED_OFFSET_(max_align_t) == AK_ALIGN_UP(sizeof(AkChunk), _Alignof(max_align_t)),
               "the typed wrapper's item offset is init's");
_Static_assert(AK_IS_POW2(AK_CHUNKED_DEFAULT_CAP), "chunk capacities are powers of two: get masks the index");

// AK_DEBUG >= 2 (make test): after each slow-path push, pop of a chunk and clear, on arrays of
// up to 64 chunks, the directory and the chain of chunks in use agree and the count fits them.
#if AK_DEBUG >= 2
static void debug_check(const AkChunked *c, const char *op) {
    if (c->chunk_count > 64) return;
    const AkChunk *k = c->first;
    for (uint64_t i = 0; i < c->chunk_count; i++, k = k->next)
        AK_ASSERT(k && c->dir[i] == k, "%s: directory entry %llu is not the %llu-th chunk in use", op,
                  (unsigned long long)i, (unsigned long long)i);
    AK_ASSERT(!k && (c->chunk_count ? c->last == c->dir[c->chunk_count - 1] : !c->first && !c->last),
              "%s: the chain of chunks in use does not end at `last`", op);
    AK_ASSERT(c->count <= c->chunk_count * c->chunk_cap && c->count + c->chunk_cap > c->chunk_count * c->chunk_cap,
              "%s: %llu items in %llu chunks of %llu", op, (unsigned long long)c->count,
              (unsigned long long)c->chunk_count, (unsigned long long)c->chunk_cap);
}
#else
#  define debug_check(c, op) ((void)0)
#endif

AkChunked ak_chunked_init(AkArena *arena, uint64_t chunk_cap, uint64_t item_size, uint64_t item_align) {
    AK_ASSERT(arena, "chunked array needs an arena");
    AK_ASSERT(AK_IS_POW2(item_align) && item_align <= 4096, "item alignment %llu is not a power of two up to 4096",
              (unsigned long long)item_align);
    AK_ASSERT(chunk_cap <= ((uint64_t)1 << 32), "chunk capacity %llu above 2^32", (unsigned long long)chunk_cap);
    AK_ASSERT(item_size > 0, "item size 0");
    if (item_size == 0) item_size = 1;
    if (chunk_cap == 0) chunk_cap = AK_CHUNKED_DEFAULT_CAP;
    uint32_t shift = 0;
    while (((uint64_t)1 << shift) < chunk_cap && shift < 32) shift++; // cap * size < 2^64
    AkChunked c = {0};
    c.arena = arena;
    c.chunk_shift = shift;
    c.chunk_cap = (uint64_t)1 << shift;
    if (!AK_IS_POW2(item_align) || item_align > 4096) {
        // Release builds: an array whose every push is refused with the reason (item_size 0
        // marks it), instead of items handed out at an alignment nobody asked for.
        c.item_align = (uint32_t)AK_MIN(item_align, UINT32_MAX);
        return c;
    }
    c.item_align = (uint32_t)item_align;
    // Rounding up cannot wrap: item_align is at most 4096 and a size that close to 2^64 is
    // saturated, so chunk_bytes refuses it instead of an aligned stride of 0.
    c.item_size = item_size > UINT64_MAX - item_align ? UINT64_MAX : AK_ALIGN_UP(item_size, item_align);
    c.items_offset = (uint32_t)AK_ALIGN_UP(sizeof(AkChunk), item_align);
    return c;
}

// Bytes of one chunk, UINT64_MAX when the product overflows (the arena refuses that push with
// "beyond any address space", so an impossible chunk never becomes a small one).
static uint64_t chunk_bytes(const AkChunked *c) {
    if (c->item_size > (UINT64_MAX - c->items_offset) / c->chunk_cap) return UINT64_MAX;
    return c->items_offset + c->chunk_cap * c->item_size;
}

// Point the cursor at the first free slot of `last` given how many items it holds.
static void set_cursor(AkChunked *c, uint64_t used_in_last) {
    AK_ASSERT(c->last && used_in_last <= c->chunk_cap, "set_cursor: %llu items in a chunk of %llu",
              (unsigned long long)used_in_last, (unsigned long long)c->chunk_cap);
    char *items = (char *)c->last + c->items_offset;
    c->cursor = items + used_in_last * c->item_size;
    c->cursor_end = items + c->chunk_cap * c->item_size;
}

void *ak_chunked_push_slow(AkChunked *c) {
    AK_ASSERT(c->arena, "chunked array used before ak_chunked_init");
    if (c->cursor < c->cursor_end) return ak_chunked_push(c); // called directly, room left
    if (c->item_size == 0) {
        char why[96];
        snprintf(why, sizeof why, "chunked array: item alignment %u is not a power of two up to 4096", c->item_align);
        ak_arena_set_error(c->arena, why);
        return NULL;
    }
    // Room in the directory first, so a refused chunk leaves nothing half-linked.
    if (c->chunk_count == c->dir_cap) {
        uint64_t cap = c->dir_cap ? c->dir_cap * 2 : 4;
        AkChunk **dir = ak_push_array_nz(c->arena, AkChunk *, cap);
        if (!dir) return NULL;
        if (c->chunk_count) memcpy(dir, c->dir, c->chunk_count * sizeof(*dir));
        c->dir = dir;
        c->dir_cap = cap;
    }
    AkChunk *chunk = c->free;
    if (chunk) {
        c->free = chunk->next;
    } else {
        chunk = ak_arena_push_nz(c->arena, chunk_bytes(c), AK_MAX(c->item_align, _Alignof(AkChunk)));
        if (!chunk) return NULL;
    }
    chunk->next = NULL;
    if (c->last) c->last->next = chunk;
    else c->first = chunk;
    c->last = chunk;
    c->dir[c->chunk_count++] = chunk;
    set_cursor(c, 0);
    void *item = ak_chunked_push(c);
    debug_check(c, "ak_chunked_push");
    return item;
}

void *ak_chunked_last(const AkChunked *c) {
    return c->count ? c->cursor - c->item_size : NULL;
}

bool ak_chunked_pop(AkChunked *c, void *out) {
    if (!c->count) return false;
    c->cursor -= c->item_size;
    c->count--;
    if (out) memcpy(out, c->cursor, c->item_size);
    if (c->cursor == (char *)c->last + c->items_offset) {
        // The last chunk emptied: give it to the free list, the one before becomes last (full).
        AkChunk *gone = c->last;
        c->chunk_count--;
        gone->next = c->free;
        c->free = gone;
        if (c->chunk_count) {
            c->last = c->dir[c->chunk_count - 1];
            c->last->next = NULL;
            set_cursor(c, c->chunk_cap);
        } else {
            c->first = c->last = NULL;
            c->cursor = c->cursor_end = NULL;
        }
        debug_check(c, "ak_chunked_pop");
    }
    return true;
}

void ak_chunked_clear(AkChunked *c) {
    if (c->last) {
        c->last->next = c->free;
        c->free = c->first;
    }
    c->first = c->last = NULL;
    c->cursor = c->cursor_end = NULL;
    c->count = 0;
    c->chunk_count = 0;
    debug_check(c, "ak_chunked_clear");
}

uint64_t ak_chunked_bytes(const AkChunked *c) {
    uint64_t chunks = c->chunk_count;
    for (AkChunk *f = c->free; f; f = f->next) chunks++;
    return chunks * chunk_bytes(c) + c->dir_cap * sizeof(AkChunk *);
}
