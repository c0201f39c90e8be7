// libFuzzer target for the TLSF heap: the input is an operation stream (malloc, calloc,
// aligned_alloc, realloc, free, reset, check) over 64 slots, the same shape as
// tests/test_heap_random.c. Every block carries a pattern of its id, checked before it is
// freed or moved; ak_heap_check() runs after every few operations and at the end. The first
// byte picks the set-up: own arena or a caller's arena, with or without a small limit.
//
//   make fuzz && build/fuzz/fuzz/fuzz_heap -max_total_time=60
#include "arenakit/arenakit.h"
#include "arenakit/heap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64

typedef struct Live {
    unsigned char *p;
    size_t size;
    uint32_t id;
    size_t align;
} Live;

// Every byte of a small block; for a large one both ends and a sample between (throughput).
static inline size_t pat_next(size_t i, size_t n) {
    return (i < 512 || i + 512 >= n) ? i + 1 : i + 509 < n - 512 ? i + 509 : n - 512;
}
static inline unsigned char pat_byte(uint32_t id, size_t i) { return (unsigned char)(id * 31u + i * 7u + (i >> 8)); }
static void pat_fill(unsigned char *p, size_t n, uint32_t id) {
    for (size_t i = 0; i < n; i = pat_next(i, n)) p[i] = pat_byte(id, i);
}
// Checks the bytes pat_fill(p, n, id) wrote below `upto` (a realloc keeps a prefix).
static int pat_ok(const unsigned char *p, size_t n, size_t upto, uint32_t id) {
    for (size_t i = 0; i < n && i < upto; i = pat_next(i, n))
        if (p[i] != pat_byte(id, i)) return 0;
    return 1;
}

static void die(const char *what, AkHeap *h) {
    fprintf(stderr, "fuzz_heap: %s (%s)\n", what, h ? ak_heap_error(h) : "");
    abort();
}

// Sizes from two bytes and a shift: mostly small, now and then up to ~2 MB, and the edge
// values near SIZE_MAX when the shift byte asks for them.
static size_t decode_size(const uint8_t *d) {
    size_t v = (size_t)d[0] | (size_t)d[1] << 8;
    switch (d[2] & 15) {
    case 0: return SIZE_MAX - v;
    case 1: return v << 5;
    case 2: case 3: return v;
    default: return v & 255;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    // Heaps and the host arena live across inputs (creating them per input costs more than
    // the operations); a reset, or a clear of the host, brings each input back to the start.
    static AkHeap *own[4];
    static AkArena *host;
    AkHeap *h;
    if (mode & 1) {
        if (!host && !(host = ak_arena_create(.name = "fuzz host", .reserve = AK_MB(4)))) die("host failed", NULL);
        h = ak_heap_create(.name = "fuzz", .arena = host, .limit = (mode & 2) ? AK_KB(512) : 0,
                           .grow = (mode & 4) ? AK_KB(4) : 0);
    } else {
        AkHeap **slot = &own[(mode >> 1) & 3];
        if (!*slot) *slot = ak_heap_create(.name = "fuzz", .reserve = AK_MB(4), .limit = (mode & 2) ? AK_KB(512) : 0,
                                           .grow = (mode & 4) ? AK_KB(4) : 0);
        h = *slot;
    }
    if (!h) die("create failed", NULL);
    bool may_fail = (mode & 2) != 0; // only a limit makes a request of a few MB fail
    Live live[SLOTS] = {{0}};
    uint32_t next_id = 1;
    size_t i = 1;
    for (unsigned op = 0; i + 4 <= size; i += 4, op++) {
        uint8_t kind = data[i] & 7;
        Live *l = &live[data[i] >> 3 & (SLOTS - 1)];
        size_t n = decode_size(data + i + 1);
        if (l->p && !pat_ok(l->p, l->size, l->size, l->id)) die("a live block was overwritten", h);
        switch (kind) {
        case 0: case 1: case 2: case 3: { // allocate into the slot (freeing what was there)
            if (l->p) ak_heap_free(h, l->p);
            *l = (Live){0};
            size_t align = kind == 3 ? (size_t)1 << (data[i + 2] >> 4) : 0;
            unsigned char *p = kind == 2   ? ak_heap_calloc(h, 1, n)
                               : kind == 3 ? ak_heap_aligned_alloc(h, align, n)
                                           : ak_heap_malloc(h, n);
            if (!p) {
                if (n <= AK_MB(4) && !may_fail) die("allocation failed", h);
                break;
            }
            if ((uintptr_t)p % (align > 16 ? align : 16)) die("misaligned block", h);
            if (ak_heap_usable_size(h, p) < n) die("usable size too small", h);
            if (kind == 2)
                for (size_t k = 0; k < n; k++)
                    if (p[k]) die("calloc not zeroed", h);
            *l = (Live){p, n, next_id++, align};
            pat_fill(p, n, l->id);
            break;
        }
        case 4: case 5: { // realloc (of NULL when the slot is empty)
            unsigned char *p = ak_heap_realloc(h, l->p, n);
            if (!p) {
                if (n <= AK_MB(4) && !may_fail) die("realloc failed", h);
                break; // the old block stays; the next visit checks it
            }
            size_t keep = n < l->size ? n : l->size;
            if (l->p && !pat_ok(p, l->size, keep, l->id)) die("realloc lost contents", h);
            if (l->align > 16 && (uintptr_t)p % l->align) die("realloc lost the alignment", h);
            l->p = p;
            l->size = n;
            l->id = next_id++;
            pat_fill(p, n, l->id);
            break;
        }
        case 6:
            ak_heap_free(h, l->p);
            *l = (Live){0};
            break;
        case 7:
            if ((data[i + 1] & 31) == 0) {
                ak_heap_reset(h);
                memset(live, 0, sizeof live);
            } else if ((mode & 1) && (data[i + 1] & 31) == 1) {
                (void)!ak_arena_push(host, data[i + 2] * 64u, 16); // makes the next growth a new region
            }
            break;
        }
        if ((op & 15) == 0 && !ak_heap_check(h)) die("check failed", h);
    }
    if (!ak_heap_check(h)) die("check failed", h);
    uint64_t count = 0;
    for (int k = 0; k < SLOTS; k++) count += live[k].p != NULL;
    if (ak_heap_stats(h).used_blocks != count) die("used block count differs from the model", h);
    if (mode & 1) {
        ak_heap_release(h);
        ak_arena_clear(host);
    } else {
        ak_heap_reset(h);
    }
    return 0;
}
