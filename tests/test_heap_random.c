// Differential random test of the TLSF heap against a simple model: a table of live blocks
// (pointer, size, id, alignment). Random malloc / calloc / aligned_alloc / realloc / free with
// a heavy tail of sizes; every block is filled with a pattern derived from its id and checked
// before it is freed or moved (an overlap or a stray write shows up as a broken pattern), the
// heap's counters are compared with the model and ak_heap_check() runs periodically.
// Three set-ups: the heap's own arena; a caller's arena with interleaved pushes (many
// regions) and occasional resets; a small limit, where NULL is a legal answer.
//
//   test_heap_random [--ops N] [--seed S] [--check-every K] [--live L]
// Without --ops the count is 300k scaled by AK_TEST_SCALE (make test); the long run passes
// --ops 10000000 or more.
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/heap.h"

typedef struct Live {
    unsigned char *p;
    size_t size;
    uint64_t id;
    size_t align; // 0 when allocated without one
} Live;

typedef struct Config {
    const char *name;
    uint64_t ops, seed, check_every, live;
    bool caller_arena; // interleave pushes on a caller's arena, reset now and then
    uint64_t limit;    // 0: no limit
    uint64_t max_size;
} Config;

static uint64_t rng(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

// Byte i of a block is byte (i % 8) of a word derived from the id and i / 8, so a prefix
// check after realloc sees the same bytes whatever the sizes.
static inline uint64_t pat_word(uint64_t id, size_t i) {
    return (id * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)(i >> 3) * 0xD6E8FEB86659FD93ull);
}
static void pat_fill(unsigned char *p, size_t n, uint64_t id) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = pat_word(id, i);
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++) p[i] = (unsigned char)(pat_word(id, i) >> ((i & 7) * 8));
}
// Offset of the first wrong byte, or -1.
static long pat_bad(const unsigned char *p, size_t n, uint64_t id) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = pat_word(id, i), got;
        memcpy(&got, p + i, 8);
        if (got != v) break;
    }
    for (; i < n; i++)
        if (p[i] != (unsigned char)(pat_word(id, i) >> ((i & 7) * 8))) return (long)i;
    return -1;
}

// 70% up to 128 bytes, 25% up to 4 KB, the rest up to 64 KB and a few up to max_size.
static size_t rand_size(uint64_t *s, uint64_t max_size) {
    uint64_t r = rng(s) % 1000, x = rng(s);
    if (r < 700) return (size_t)(x % 129);
    if (r < 950) return (size_t)(129 + x % 3968);
    if (r < 997 || max_size <= 65536) return (size_t)(4097 + x % 61440);
    return (size_t)(65537 + x % (max_size - 65536));
}

static int fail_count;
#define MODEL_FAIL(...) do { CHECK_MSG(0, __VA_ARGS__); if (++fail_count > 5) return; } while (0)

static void run(const Config *c) {
    uint64_t seed = c->seed ? c->seed : 1;
    AkArena *arena = c->caller_arena ? ak_arena_create(.name = "random host") : NULL;
    AkHeap *h = ak_heap_create(.name = "random", .arena = arena, .limit = c->limit,
                               .grow = c->caller_arena ? AK_KB(16) : 0);
    REQUIRE(h);
    Live *live = calloc(c->live, sizeof *live);
    REQUIRE(live);
    uint64_t next_id = 1, nlive = 0, nulls = 0;
    fail_count = 0;
    for (uint64_t op = 0; op < c->ops; op++) {
        Live *l = &live[rng(&seed) % c->live];
        uint64_t r = rng(&seed) % 100;
        if (!l->p) {
            size_t size = rand_size(&seed, c->max_size), align = 0;
            unsigned char *p;
            if (r < 70) {
                p = ak_heap_malloc(h, size);
            } else if (r < 80) {
                p = ak_heap_calloc(h, 1 + size / 8, size ? 8 : 0);
                if (p) {
                    size_t n = size ? (1 + size / 8) * 8 : 0, nz = 0;
                    for (size_t i = 0; i < n; i++) nz += p[i] != 0;
                    if (nz) MODEL_FAIL("op %llu: calloc of %zu bytes has %zu nonzero bytes", (unsigned long long)op, n, nz);
                    size = n;
                }
            } else {
                align = (size_t)1 << (rng(&seed) % 13); // 1 .. 4096
                p = ak_heap_aligned_alloc(h, align, size);
            }
            if (!p) {
                if (!c->limit) MODEL_FAIL("op %llu: allocation of %zu bytes failed: %s", (unsigned long long)op, size, ak_heap_error(h));
                nulls++;
                continue;
            }
            if ((uintptr_t)p % AK_MAX(align, 16))
                MODEL_FAIL("op %llu: %p is not aligned to %zu", (unsigned long long)op, (void *)p, AK_MAX(align, 16));
            if (ak_heap_usable_size(h, p) < size)
                MODEL_FAIL("op %llu: usable size %zu < %zu", (unsigned long long)op, ak_heap_usable_size(h, p), size);
            *l = (Live){p, size, next_id++, align};
            pat_fill(p, size, l->id);
            nlive++;
        } else {
            long bad = pat_bad(l->p, l->size, l->id);
            if (bad >= 0)
                MODEL_FAIL("op %llu: block id %llu (%zu bytes at %p) overwritten at offset %ld", (unsigned long long)op,
                           (unsigned long long)l->id, l->size, (void *)l->p, bad);
            if (r < 60) {
                ak_heap_free(h, l->p);
                *l = (Live){0};
                nlive--;
            } else {
                size_t size = rand_size(&seed, c->max_size);
                unsigned char *p = ak_heap_realloc(h, l->p, size);
                if (!p) {
                    if (!c->limit) MODEL_FAIL("op %llu: realloc to %zu failed: %s", (unsigned long long)op, size, ak_heap_error(h));
                    nulls++;
                    continue; // the old block must be intact: the next visit checks it
                }
                size_t keep = AK_MIN(size, l->size);
                if ((bad = pat_bad(p, keep, l->id)) >= 0)
                    MODEL_FAIL("op %llu: realloc %zu -> %zu lost byte %ld", (unsigned long long)op, l->size, size, bad);
                if (l->align && (uintptr_t)p % l->align)
                    MODEL_FAIL("op %llu: realloc lost the alignment %zu: %p", (unsigned long long)op, l->align, (void *)p);
                l->p = p;
                l->size = size;
                l->id = next_id++;
                pat_fill(p, size, l->id);
            }
        }
        if (c->caller_arena && rng(&seed) % 512 == 0) (void)!ak_arena_push(arena, rng(&seed) % 20000, 16);
        if (c->caller_arena && rng(&seed) % 100000 == 0) {
            ak_heap_reset(h);
            memset(live, 0, c->live * sizeof *live);
            nlive = 0;
        }
        if ((op + 1) % c->check_every == 0 || op + 1 == c->ops) {
            if (!ak_heap_check(h)) MODEL_FAIL("op %llu: %s", (unsigned long long)op, ak_heap_error(h));
            AkHeapStats s = ak_heap_stats(h);
            if (s.used_blocks != nlive)
                MODEL_FAIL("op %llu: heap counts %llu used blocks, the model %llu", (unsigned long long)op,
                           (unsigned long long)s.used_blocks, (unsigned long long)nlive);
            if (c->limit && s.size > c->limit)
                MODEL_FAIL("op %llu: heap holds %llu bytes over its limit", (unsigned long long)op, (unsigned long long)s.size);
        }
    }
    // Every live block is still intact, then everything is given back.
    for (uint64_t i = 0; i < c->live; i++) {
        if (!live[i].p) continue;
        long bad = pat_bad(live[i].p, live[i].size, live[i].id);
        if (bad >= 0) MODEL_FAIL("end: block id %llu overwritten at %ld", (unsigned long long)live[i].id, bad);
        ak_heap_free(h, live[i].p);
    }
    AkHeapStats s = ak_heap_stats(h);
    CHECK(ak_heap_check(h));
    CHECK_EQ(s.used_blocks, 0);
    CHECK_EQ(s.free_blocks, s.regions); // everything merged back into one block per region
    printf("  %s: %llu ops, seed %llu, %llu NULLs, heap %.1f MB in %llu regions, high water %.1f MB\n", c->name,
           (unsigned long long)c->ops, (unsigned long long)c->seed, (unsigned long long)nulls, s.size / 1048576.0,
           (unsigned long long)s.regions, s.high_water / 1048576.0);
    free(live);
    ak_heap_release(h);
    ak_arena_release(arena);
}

static Config base;

static void test_own_arena(void) {
    Config c = base;
    c.name = "own arena";
    run(&c);
}

static void test_caller_arena(void) {
    Config c = base;
    c.name = "caller arena";
    c.ops = base.ops / 4 + 1;
    c.seed = base.seed + 1;
    c.caller_arena = true;
    run(&c);
}

static void test_limited(void) {
    Config c = base;
    c.name = "limit 4 MB";
    c.ops = base.ops / 4 + 1;
    c.seed = base.seed + 2;
    c.limit = AK_MB(4);
    run(&c);
}

int main(int argc, char **argv) {
    base = (Config){.ops = (uint64_t)(300000 * test_scale()), .seed = 1, .check_every = 5000, .live = 4096,
                    .max_size = AK_MB(1)};
    for (int i = 1; i + 1 < argc; i += 2) {
        uint64_t v = strtoull(argv[i + 1], NULL, 0);
        if (!strcmp(argv[i], "--ops")) base.ops = v;
        else if (!strcmp(argv[i], "--seed")) base.seed = v;
        else if (!strcmp(argv[i], "--check-every") && v) base.check_every = v;
        else if (!strcmp(argv[i], "--live") && v) base.live = v;
        else {
            fprintf(stderr, "usage: %s [--ops N] [--seed S] [--check-every K] [--live L]\n", argv[0]);
            return 2;
        }
    }
    RUN(test_own_arena);
    RUN(test_caller_arena);
    RUN(test_limited);
    return test_finish();
}
