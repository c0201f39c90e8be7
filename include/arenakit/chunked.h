// chunked.h: a growable array built as a list of fixed-capacity chunks pushed on an arena.
// Appending never moves an element: a pointer returned by push stays valid for the array's
// life (until pop or clear hand its slot out again, or the arena is popped or released).
// The arena owns every chunk; the array only borrows it, so there is nothing to free: release
// the arena. Chunks emptied by pop or clear go to the array's free list and are reused before
// the arena is asked again, so an array that is refilled in a long-lived arena does not grow it.
//
// Get by index is O(1): a directory of chunk pointers (8 bytes per chunk, grown by doubling on
// the same arena; only these pointers are ever copied) turns i into chunk i >> shift, slot
// i & mask. The chunk capacity is rounded up to a power of two for that reason.
//
// Typed use: AK_CHUNKED_DEFINE(ChatMetaArray, ChatMeta) generates the type ChatMetaArray and
//   ChatMetaArray a = ChatMetaArray_init(arena, 8192);
//   ChatMeta *m = ChatMetaArray_push(&a);               // zeroed; NULL if the arena refused
//   ChatMeta *x = ChatMetaArray_get(&a, i);              // i < count (asserted; NULL in release)
//   for (ChatMeta *it = ChatMetaArray_first(&a, &iter); it; it = ChatMetaArray_next(&iter))
//   ChatMetaArray_count(&a), ChatMetaArray_pop(&a, &out), ChatMetaArray_clear(&a),
//   ChatMetaArray_last(&a)
// One thread at a time, like the arena under it.
#ifndef ARENAKIT_CHUNKED_H
#define ARENAKIT_CHUNKED_H

#include "arena.h"

// A chunk: this header, then chunk_cap items from `items_offset` on.
typedef struct AkChunk {
    struct AkChunk *next; // next chunk in use, or next free chunk
} AkChunk;

typedef struct AkChunked {
    AkArena *arena;      // where chunks and the directory are pushed; must outlive the array
    AkChunk *first;      // chunks in use, in order; all full but the last
    AkChunk *last;
    AkChunk *free;       // spare chunks (from pop and clear), taken before the arena is asked
    AkChunk **dir;       // dir[k]: the k-th chunk in use
    char *cursor;        // where the next push goes in `last`; == cursor_end when it is full
    char *cursor_end;
    uint64_t count;      // items in use
    uint64_t chunk_count; // chunks in use (entries of dir)
    uint64_t dir_cap;
    uint64_t chunk_cap;  // items per chunk, a power of two
    uint64_t item_size;  // stride: size rounded up to the alignment (64 bits: any size_t)
    uint32_t chunk_shift; // log2(chunk_cap)
    uint32_t item_align;
    uint32_t items_offset; // offset of item 0 from the chunk header
} AkChunked;

#define AK_CHUNKED_DEFAULT_CAP 64

// A zero chunk_cap picks AK_CHUNKED_DEFAULT_CAP; others round up to a power of two (at most
// 2^32). Nothing is allocated until the first push, so init cannot fail. item_align: a power
// of two up to 4096 (asserted; a release build gives an array whose every push returns NULL
// with the reason in ak_arena_error). Any item size is kept exactly (the stride is 64-bit); a chunk larger than
// any address space (chunk_cap x stride beyond 2^64) is refused by the first push, in every
// build, like any push the arena cannot serve.
AK_NODISCARD AkChunked ak_chunked_init(AkArena *arena, uint64_t chunk_cap, uint64_t item_size, uint64_t item_align);
// New zeroed item at the end; NULL (array unchanged, reason in ak_arena_error) if the arena
// refuses a chunk or a larger directory.
AK_NODISCARD static inline void *ak_chunked_push(AkChunked *c);
AK_NODISCARD void *ak_chunked_push_slow(AkChunked *c);
// Item i; i >= count is a programmer error (asserted in debug builds, NULL in release).
static inline void *ak_chunked_get(const AkChunked *c, uint64_t i);
// Last item, or NULL when empty.
void *ak_chunked_last(const AkChunked *c);
// Remove the last item, copying it to `out` first when out is not NULL. False when empty.
// A chunk that empties goes to the free list.
bool ak_chunked_pop(AkChunked *c, void *out);
// Empty the array; every chunk goes to the free list, no memory is given back or asked for.
void ak_chunked_clear(AkChunked *c);
// Bytes this array holds on its arena: chunks in use and free, and the current directory
// (earlier, outgrown directories stay on the arena too; the bench counts them through the
// arena position).
uint64_t ak_chunked_bytes(const AkChunked *c);

// In-order iteration without index arithmetic: items of one chunk are contiguous.
typedef struct AkChunkedIter {
    AkChunk *chunk;
    char *at, *end;      // current item, end of the current chunk's items
    const AkChunked *c;
} AkChunkedIter;
static inline void *ak_chunked_first(const AkChunked *c, AkChunkedIter *it);
static inline void *ak_chunked_next(AkChunkedIter *it);

// ---- typed wrapper -------------------------------------------------------------------------
// Where items start in a chunk, as ak_chunked_init computes it; a constant for a known T.
#define AK_CHUNKED_OFFSET_(T) AK_ALIGN_UP(sizeof(AkChunk), _Alignof(T))
// Marked unused so a .c file that defines a wrapper and uses part of it stays warning-free.
#if defined(__GNUC__)
#  define AK_CHUNKED_FN_ static inline __attribute__((unused))
#else
#  define AK_CHUNKED_FN_ static inline
#endif
#define AK_CHUNKED_DEFINE(Name, T)                                                             \
    typedef struct Name { AkChunked core; } Name;                                              \
    AK_NODISCARD AK_CHUNKED_FN_ Name Name##_init(AkArena *arena, uint64_t chunk_cap) {         \
        Name a_ = {ak_chunked_init(arena, chunk_cap, sizeof(T), _Alignof(T))};                 \
        return a_;                                                                             \
    }                                                                                          \
    /* push and get repeat the core's fast paths with sizeof(T) a constant (stride == size) */ \
    AK_NODISCARD AK_CHUNKED_FN_ T *Name##_push(Name *a) {                                      \
        AkChunked *c_ = &a->core;                                                              \
        if (c_->cursor < c_->cursor_end) {                                                     \
            T *p_ = (T *)(void *)c_->cursor;                                                   \
            c_->cursor += sizeof(T);                                                           \
            c_->count++;                                                                       \
            memset(p_, 0, sizeof(T));                                                          \
            return p_;                                                                         \
        }                                                                                      \
        return (T *)ak_chunked_push_slow(c_);                                                  \
    }                                                                                          \
    AK_CHUNKED_FN_ T *Name##_get(const Name *a, uint64_t i) {                                  \
        const AkChunked *c_ = &a->core;                                                        \
        AK_ASSERT(i < c_->count, "%s index %llu out of range (count %llu)", #Name,             \
                  (unsigned long long)i, (unsigned long long)c_->count);                       \
        if (i >= c_->count) return NULL;                                                       \
        return (T *)(void *)((char *)c_->dir[i >> c_->chunk_shift] + AK_CHUNKED_OFFSET_(T)) + \
               (i & (c_->chunk_cap - 1));                                                      \
    }                                                                                          \
    AK_CHUNKED_FN_ T *Name##_last(const Name *a) { return (T *)ak_chunked_last(&a->core); }    \
    AK_CHUNKED_FN_ uint64_t Name##_count(const Name *a) { return a->core.count; }              \
    AK_CHUNKED_FN_ bool Name##_pop(Name *a, T *out) { return ak_chunked_pop(&a->core, out); }  \
    AK_CHUNKED_FN_ void Name##_clear(Name *a) { ak_chunked_clear(&a->core); }                  \
    AK_CHUNKED_FN_ T *Name##_first(const Name *a, AkChunkedIter *it) {                         \
        return (T *)ak_chunked_first(&a->core, it);                                            \
    }                                                                                          \
    AK_CHUNKED_FN_ T *Name##_next(AkChunkedIter *it) { return (T *)ak_chunked_next(it); }      \
    typedef int Name##_defined_ /* swallows the caller's semicolon */

// ---- implementation details: the inline fast paths ----------------------------------------

static inline void *ak_chunked_push(AkChunked *c) {
    if (c->cursor < c->cursor_end) {
        char *p = c->cursor;
        c->cursor += c->item_size;
        c->count++;
        memset(p, 0, c->item_size); // a chunk from the free list holds old items
        return p;
    }
    return ak_chunked_push_slow(c);
}

static inline void *ak_chunked_get(const AkChunked *c, uint64_t i) {
    AK_ASSERT(i < c->count, "chunked array index %llu out of range (count %llu)",
              (unsigned long long)i, (unsigned long long)c->count);
    if (i >= c->count) return NULL;
    return (char *)c->dir[i >> c->chunk_shift] + c->items_offset +
           (i & (c->chunk_cap - 1)) * c->item_size;
}

static inline void *ak_chunked_first(const AkChunked *c, AkChunkedIter *it) {
    it->c = c;
    it->chunk = c->first;
    if (!c->count) {
        it->at = it->end = NULL;
        return NULL;
    }
    it->at = (char *)c->first + c->items_offset;
    it->end = c->first == c->last ? c->cursor : it->at + c->chunk_cap * c->item_size;
    return it->at;
}

static inline void *ak_chunked_next(AkChunkedIter *it) {
    if (!it->at) return NULL;
    it->at += it->c->item_size;
    if (it->at < it->end) return it->at;
    if (it->chunk == it->c->last) return it->at = NULL;
    it->chunk = it->chunk->next;
    it->at = (char *)it->chunk + it->c->items_offset;
    it->end = it->chunk == it->c->last ? it->c->cursor : it->at + it->c->chunk_cap * it->c->item_size;
    return it->at;
}

#endif
