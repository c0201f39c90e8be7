// containers_bench.c: the chunked array against a realloc-doubling vector (on each malloc
// peer) and a plain arena array (one bump push per element on an arena of its own: the floor
// for an arena-backed array, usable only while nothing else is pushed on that arena).
// Elements are 32-byte structs, returned zeroed by every container; each append writes two
// fields. Cases, for one array of N elements (default 1M) and for N/20 arrays of 20:
//   append-*-cold  one round in a fresh process: first touch of every page (faults/elem)
//   append-*-warm  median (and best) of 5 rounds after a warm-up, on memory the container already holds:
//                  chunked cleared (its chunks reused through the free list), the vector's
//                  length reset (its buffer kept), the arena popped back. The small-array
//                  case rebuilds every array: arenas are popped, vectors freed and re-grown.
//   iterate-*      sum two fields over every element: the chunked iterator (ns_elem) and an
//                  index loop through _get (get_ns_elem); vector and arena array are one loop.
//   get-random-1M  random indexes: the chunk directory (O(1)) versus walking the chunk list
//                  (the O(chunks) design the directory replaces, on fewer lookups).
// Memory (in the append rows): over_B_elem = bytes held per element beyond the 32-byte
// payload, container header included: arena bytes pushed for chunked and arena array,
// malloc_usable_size for the vector (the allocator's own headers are not counted there).
// Chunked and arena rows come from the glibc binary only (they never call malloc); the vector
// rows are named after the peer whose realloc they use.
//
//   make MODE=release build/release/bench/containers_bench-glibc
//   build/release/bench/containers_bench-glibc [--n 1000000] [--quick] [--case NAME[/ROW]]
#include "bench.h"

#include "arenakit/arenakit.h"
#include "arenakit/chunked.h"

#include <malloc.h>
#include <sys/mman.h>

#define WARM_ROUNDS 5
#define SMALL 20

typedef struct Elem {
    uint64_t id, a, b, c;
} Elem;
AK_CHUNKED_DEFINE(ElemArray, Elem);

typedef struct Vec {
    Elem *data;
    uint64_t len, cap;
} Vec;

typedef struct ArenaArray {
    Elem *data;
    uint64_t len;
} ArenaArray;

typedef enum Kind { CHUNKED, VECTOR, ARENA_ARRAY } Kind;

typedef struct Row {
    const char *bench_case;
    const char *name;
    Kind kind;
    uint64_t chunk_cap;
    uint64_t n;       // elements in all
    uint64_t per;     // elements per array (n for the single array)
    bool warm;
    const uint32_t *idx; // random indexes for get-random
    uint64_t gets;
    bool walk;        // get-random through the chunk list instead of the directory
} Row;

static void die(const char *what) {
    fprintf(stderr, "containers_bench: %s\n", what);
    exit(1);
}

static inline Elem *vec_push(Vec *v) {
    if (v->len == v->cap) {
        uint64_t cap = v->cap ? v->cap * 2 : 8;
        Elem *d = realloc(v->data, cap * sizeof(Elem));
        if (!d) die("realloc failed");
        v->data = d, v->cap = cap;
    }
    Elem *e = &v->data[v->len++];
    memset(e, 0, sizeof *e);
    return e;
}

static inline Elem *arena_array_push(AkArena *arena, ArenaArray *a) {
    Elem *e = ak_push_struct(arena, Elem);
    if (!e) die(ak_arena_error(arena));
    if (!a->data) a->data = e;
    a->len++;
    return e;
}

// O(chunks) get: what the directory saves.
static Elem *walk_get(const ElemArray *arr, uint64_t i) {
    const AkChunked *c = &arr->core;
    AkChunk *chunk = c->first;
    for (uint64_t k = i >> c->chunk_shift; k; k--) chunk = chunk->next;
    return (Elem *)(void *)((char *)chunk + c->items_offset) + (i & (c->chunk_cap - 1));
}

// The arena never needs more than this for one round; it is reserved (and, under valgrind,
// committed) up front and kept on pops so warm rounds reuse it.
static AkArena *open_arena(uint64_t n) {
    uint64_t need = AK_ALIGN_UP(n * 64 + AK_MB(8), AK_MB(2));
    AkArena *a = ak_arena_create(.reserve = need, .keep = need, .commit = bench_under_valgrind() ? need : 0,
                                 .name = "containers");
    if (!a) die(ak_arena_last_create_error());
    return a;
}

// Under valgrind the arena turns its inline path off so memcheck sees each push; callgrind
// should count a native run, so the bench turns it back on (the reserve is committed).
static void fast_path_under_valgrind(AkArena *a) {
    if (bench_under_valgrind() && a->fast_end == 0) a->fast_end = AK_MIN(a->current->committed, a->current->cap);
}

typedef struct State {
    AkArena *arena;
    uint64_t base; // arena position before the containers
    uint64_t arrays;
    ElemArray *chunked; // per array; the headers live outside the arena (mmap), counted apart
    Vec *vecs;
    ArenaArray *plain;
} State;

static void fill(const Row *r, State *s) {
    for (uint64_t k = 0; k < s->arrays; k++) {
        uint64_t id0 = k * r->per;
        switch (r->kind) {
        case CHUNKED: {
            ElemArray *arr = &s->chunked[k];
            if (!arr->core.arena) *arr = ElemArray_init(s->arena, r->chunk_cap);
            for (uint64_t i = 0; i < r->per; i++) {
                Elem *e = ElemArray_push(arr);
                if (!e) die(ak_arena_error(s->arena));
                e->id = id0 + i, e->a = i * 3;
            }
            break;
        }
        case VECTOR:
            for (uint64_t i = 0; i < r->per; i++) {
                Elem *e = vec_push(&s->vecs[k]);
                e->id = id0 + i, e->a = i * 3;
            }
            break;
        case ARENA_ARRAY:
            for (uint64_t i = 0; i < r->per; i++) {
                Elem *e = arena_array_push(s->arena, &s->plain[k]);
                e->id = id0 + i, e->a = i * 3;
            }
            break;
        }
    }
}

// Back to empty for the next warm round, keeping what each container keeps.
static void reset(const Row *r, State *s) {
    bool single = s->arrays == 1;
    for (uint64_t k = 0; k < s->arrays; k++) {
        switch (r->kind) {
        case CHUNKED:
            if (single) ElemArray_clear(&s->chunked[k]);
            else s->chunked[k] = (ElemArray){0}; // its memory goes with the arena pop below
            break;
        case VECTOR:
            if (single) s->vecs[k].len = 0;
            else free(s->vecs[k].data), s->vecs[k] = (Vec){0};
            break;
        case ARENA_ARRAY: s->plain[k] = (ArenaArray){0}; break;
        }
    }
    if (r->kind == ARENA_ARRAY || (r->kind == CHUNKED && !single)) ak_arena_pop_to(s->arena, s->base);
}

static uint64_t sum_iter(const Row *r, const State *s) {
    uint64_t sum = 0;
    for (uint64_t k = 0; k < s->arrays; k++) {
        switch (r->kind) {
        case CHUNKED: {
            AkChunkedIter it;
            for (Elem *e = ElemArray_first(&s->chunked[k], &it); e; e = ElemArray_next(&it)) sum += e->id + e->a;
            break;
        }
        case VECTOR:
            for (uint64_t i = 0; i < s->vecs[k].len; i++) sum += s->vecs[k].data[i].id + s->vecs[k].data[i].a;
            break;
        case ARENA_ARRAY:
            for (uint64_t i = 0; i < s->plain[k].len; i++) sum += s->plain[k].data[i].id + s->plain[k].data[i].a;
            break;
        }
    }
    return sum;
}

static uint64_t sum_get(const State *s) {
    uint64_t sum = 0;
    for (uint64_t k = 0; k < s->arrays; k++) {
        uint64_t n = ElemArray_count(&s->chunked[k]);
        for (uint64_t i = 0; i < n; i++) {
            const Elem *e = ElemArray_get(&s->chunked[k], i);
            sum += e->id + e->a;
        }
    }
    return sum;
}

static uint64_t held_bytes(const Row *r, const State *s) {
    uint64_t bytes = 0;
    switch (r->kind) {
    case CHUNKED:
        bytes = ak_arena_pos(s->arena) - s->base + s->arrays * sizeof(ElemArray);
        break;
    case ARENA_ARRAY: bytes = ak_arena_pos(s->arena) - s->base + s->arrays * sizeof(ArenaArray); break;
    case VECTOR:
        for (uint64_t k = 0; k < s->arrays; k++) bytes += malloc_usable_size(s->vecs[k].data) + sizeof(Vec);
        break;
    }
    return bytes;
}

static void *map_zeroed(uint64_t bytes) {
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("cannot map bench state");
    return p;
}

static volatile uint64_t sink;

// The best round: on a shared VM the median carries other tenants' noise, the minimum less.
static double best_of(const double *v, int n) {
    double b = v[0];
    for (int i = 1; i < n; i++) b = v[i] < b ? v[i] : b;
    return b;
}

static void run_row(void *arg) {
    const Row *r = arg;
    State s = {0};
    s.arrays = r->n / r->per;
    // Headers outside every allocator, so they shape no heap; their bytes are added to
    // held_bytes by size.
    s.chunked = map_zeroed(s.arrays * sizeof(ElemArray));
    s.vecs = map_zeroed(s.arrays * sizeof(Vec));
    s.plain = map_zeroed(s.arrays * sizeof(ArenaArray));
    if (r->kind != VECTOR) {
        s.arena = open_arena(r->n);
        s.base = ak_arena_pos(s.arena);
        fast_path_under_valgrind(s.arena);
    }
    uint64_t elems = s.arrays * r->per;
    const char *c = r->bench_case;

    if (!strncmp(c, "append", 6)) {
        int rounds = r->warm ? WARM_ROUNDS : 1;
        double ns[WARM_ROUNDS];
        long faults = 0;
        uint64_t over = 0;
        for (int i = r->warm ? -1 : 0; i < rounds; i++) {
            if (i != -1 && r->warm) reset(r, &s);
            if (s.arena) fast_path_under_valgrind(s.arena);
            long f0 = bench_minor_faults();
            if (i == 0) bench_measure_begin();
            uint64_t t0 = bench_now_ns();
            fill(r, &s);
            uint64_t t1 = bench_now_ns();
            if (i == 0) bench_measure_end(c, r->name, elems);
            if (i == -1) continue;
            ns[i] = (double)(t1 - t0) / (double)elems;
            faults += bench_minor_faults() - f0;
            over = held_bytes(r, &s);
        }
        double best = best_of(ns, rounds);
        bench_row(c, r->name, "ns_elem=%.2f\tbest_ns=%.2f\tfaults_elem=%.4f\tover_B_elem=%.2f\trss_mb=%.1f",
                  bench_median(ns, rounds), best, (double)faults / ((double)elems * rounds),
                  (double)over / (double)elems - (double)sizeof(Elem), bench_peak_rss_mb());
    } else if (!strncmp(c, "iterate", 7)) {
        fill(r, &s);
        double it_ns[WARM_ROUNDS], get_ns[WARM_ROUNDS];
        for (int i = 0; i < WARM_ROUNDS; i++) {
            if (i == 0) bench_measure_begin();
            uint64_t t0 = bench_now_ns();
            sink = sum_iter(r, &s);
            uint64_t t1 = bench_now_ns();
            if (i == 0) bench_measure_end(c, r->name, elems);
            sink = r->kind == CHUNKED ? sum_get(&s) : sum_iter(r, &s);
            uint64_t t2 = bench_now_ns();
            it_ns[i] = (double)(t1 - t0) / (double)elems;
            get_ns[i] = (double)(t2 - t1) / (double)elems;
        }
        double best_it = best_of(it_ns, WARM_ROUNDS), best_get = best_of(get_ns, WARM_ROUNDS);
        bench_row(c, r->name, "ns_elem=%.3f\tbest_ns=%.3f\tget_ns_elem=%.3f\tbest_get_ns=%.3f",
                  bench_median(it_ns, WARM_ROUNDS), best_it, bench_median(get_ns, WARM_ROUNDS), best_get);
    } else { // get-random
        fill(r, &s);
        double ns[WARM_ROUNDS];
        for (int i = 0; i < WARM_ROUNDS; i++) {
            uint64_t sum = 0;
            if (i == 0) bench_measure_begin();
            uint64_t t0 = bench_now_ns();
            for (uint64_t g = 0; g < r->gets; g++) {
                uint64_t at = r->idx[g];
                const Elem *e = r->kind == VECTOR ? &s.vecs[0].data[at]
                              : r->kind == ARENA_ARRAY ? &s.plain[0].data[at]
                              : r->walk ? walk_get(&s.chunked[0], at) : ElemArray_get(&s.chunked[0], at);
                sum += e->id;
            }
            uint64_t t1 = bench_now_ns();
            if (i == 0) bench_measure_end(c, r->name, r->gets);
            sink = sum;
            ns[i] = (double)(t1 - t0) / (double)r->gets;
        }
        double best = best_of(ns, WARM_ROUNDS);
        bench_row(c, r->name, "ns_get=%.2f\tbest_ns=%.2f", bench_median(ns, WARM_ROUNDS), best);
    }
    if (s.arena) ak_arena_release(s.arena);
}

static void run(const BenchArgs *args, Row r) {
    if (!bench_wanted(args, r.bench_case, r.name)) return;
    if (bench_in_child(run_row, &r) != 0) die("a bench child failed");
}

int main(int argc, char **argv) {
    BenchArgs args = bench_args(argc, argv, 1000000, 100000);
    const char *peer = bench_peer();
    bool arena_rows = !strcmp(peer, "glibc");
    uint64_t n = args.n;
    char big[32], small[32];
    snprintf(big, sizeof big, "%lluk", (unsigned long long)(n / 1000));
    if (n % 1000000 == 0) snprintf(big, sizeof big, "%lluM", (unsigned long long)(n / 1000000));
    snprintf(small, sizeof small, "20x%llu", (unsigned long long)(n / SMALL));

    // Random indexes outside every allocator; the O(chunks) walk gets fewer of them.
    uint32_t *idx = map_zeroed(n * sizeof(uint32_t));
    uint64_t seed = 7;
    for (uint64_t i = 0; i < n; i++) idx[i] = (uint32_t)(bench_rand(&seed) % n);

    printf("# containers_bench (%s): %llu elements of %zu bytes; one array of N, and N/20 arrays of 20; "
           "warm = median of %d rounds after a warm-up\n",
           peer, (unsigned long long)n, sizeof(Elem), WARM_ROUNDS);
    char name[8][64];
    static const char *kinds[] = {"append-%s-cold", "append-%s-warm", "iterate-%s"};
    for (int sz = 0; sz < 2; sz++) {
        uint64_t per = sz == 0 ? n : SMALL;
        const char *label = sz == 0 ? big : small;
        uint64_t caps[2] = {sz == 0 ? 128 : 8, sz == 0 ? 8192 : 32};
        for (int k = 0; k < 3; k++) {
            snprintf(name[k], sizeof name[k], kinds[k], label);
            bool warm = k == 1;
            if (arena_rows) {
                for (int ci = 0; ci < 2; ci++) {
                    snprintf(name[4 + ci], sizeof name[4 + ci], "chunked/%llu", (unsigned long long)caps[ci]);
                    run(&args, (Row){name[k], name[4 + ci], CHUNKED, caps[ci], n, per, warm, NULL, 0, false});
                }
                run(&args, (Row){name[k], "arena-array", ARENA_ARRAY, 0, n, per, warm, NULL, 0, false});
            }
            run(&args, (Row){name[k], peer, VECTOR, 0, n, per, warm, NULL, 0, false});
        }
    }
    snprintf(name[3], sizeof name[3], "get-random-%s", big);
    uint64_t walk_gets = AK_MIN(n, 10000);
    if (arena_rows) {
        run(&args, (Row){name[3], "chunked/128", CHUNKED, 128, n, n, false, idx, n, false});
        run(&args, (Row){name[3], "chunked/8192", CHUNKED, 8192, n, n, false, idx, n, false});
        run(&args, (Row){name[3], "chunked/128-walk", CHUNKED, 128, n, n, false, idx, walk_gets, true});
        run(&args, (Row){name[3], "chunked/8192-walk", CHUNKED, 8192, n, n, false, idx, walk_gets, true});
        run(&args, (Row){name[3], "arena-array", ARENA_ARRAY, 0, n, n, false, idx, n, false});
    }
    run(&args, (Row){name[3], peer, VECTOR, 0, n, n, false, idx, n, false});
    munmap(idx, n * sizeof(uint32_t));
    return 0;
}
