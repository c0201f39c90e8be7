// arena_bench.c: what an arena saves on many small objects that share one lifetime. N objects
// of random size (16-128 bytes, the same sizes for every allocator) are allocated and each is
// touched (a link in its first 8 bytes, a byte at its end), then all are given back: the arena
// with one clear, the malloc peers with one free per object, walking the list threaded through
// the objects (so no side array of pointers adds to anyone's RSS; frees run newest first).
//
// Two cases, reported separately because they measure different things (DESIGN.md, "Measuring
// allocators honestly"):
//   cold  one round in a fresh process: every page is touched for the first time, so the
//         kernel's page faults dominate (faults/op says how many); the arena's levers are large
//         pages (arena-thp) and its defaults versus one big reserve (arena-defaults).
//   warm  one warm-up round, then measured rounds on memory the allocator already holds: the
//         arena cleared and reused (`keep` covers everything, so it stays committed), the peers
//         after their frees. Speed targets are judged here.
// Arena rows come from the glibc binary only (the arena does not use malloc). Each row runs in
// its own forked child, so its peak RSS is its own.
//
//   arena_bench-glibc                      every case, 10M objects
//   arena_bench-glibc --n 100000 --case warm/arena     one row at a size callgrind can run
// bench.h first: it sets _DEFAULT_SOURCE before any libc header (for MAP_ANONYMOUS).
#include "bench.h"

#include "arenakit/arena.h"

#include <sys/mman.h>

#define SEED 42
#define ALIGN 16 // what malloc guarantees, so both sides hand out the same alignment
#define WARM_ROUNDS 5
#define MAX_ROUNDS 16

typedef struct Obj {
    struct Obj *next;
} Obj;

// Keeps the touch from being optimized away (the arena side never reads it back) without
// adding an instruction.
#define TOUCH(o, prev, size)                                        \
    do {                                                            \
        (o)->next = (prev);                                         \
        ((unsigned char *)(o))[(size) - 1] = (unsigned char)(size); \
        __asm__ volatile("" ::"r"(o) : "memory");                   \
    } while (0)

typedef enum Kind {
    PEER,           // malloc/free of the linked allocator
    ARENA,          // one reserve big enough for all, keep = reserve, push without zeroing
    ARENA_ZEROED,   // the same with zeroing pushes (what ak_arena_push does by default)
    ARENA_THP,      // ARENA with AK_ARENA_LARGE_PAGES
    ARENA_DEFAULTS, // ak_arena_create() as is: 64 MB blocks chained, 1 MB kept on clear
} Kind;

typedef struct Row {
    const char *bench_case;
    const char *allocator;
    Kind kind;
    bool warm;
    const uint8_t *sizes;
    uint64_t n;
} Row;

typedef struct Round {
    double alloc_ns, free_ns; // per object
    long faults;
} Round;

static void die(const char *what) {
    fprintf(stderr, "arena_bench: %s\n", what);
    exit(1);
}

// Under Valgrind the arena switches its inline fast path off (fast_end = 0) so memcheck sees
// every push; callgrind needs no poisoning, and the instructions it counts should be those of
// a native run. So under valgrind the bench commits the whole reserve up front (see
// arena_open) and turns the fast path back on at the start of each round. The native run
// differs only by one slow-path push per 64 KB commit step (well under 1 instruction/op).
static void arena_fast_path_under_valgrind(AkArena *a) {
    if (bench_under_valgrind() && a->fast_end == 0) a->fast_end = AK_MIN(a->current->committed, a->current->cap);
}

static AkArena *arena_open(Kind kind, uint64_t n) {
    // A push of up to 128 bytes at 16-byte alignment never takes more than 128 bytes.
    uint64_t need = AK_ALIGN_UP(n * 128 + AK_MB(4), AK_MB(2));
    uint64_t commit = bench_under_valgrind() ? need : 0;
    AkArena *a = NULL;
    switch (kind) {
    case ARENA:
    case ARENA_ZEROED: a = ak_arena_create(.reserve = need, .keep = need, .commit = commit, .name = "bench"); break;
    case ARENA_THP:
        a = ak_arena_create(.reserve = need, .keep = need, .commit = commit, .flags = AK_ARENA_LARGE_PAGES, .name = "bench-thp");
        break;
    case ARENA_DEFAULTS: a = ak_arena_create(.name = "bench-defaults"); break;
    case PEER: break;
    }
    if (!a) die(ak_arena_last_create_error());
    return a;
}

static Round round_push_nz(AkArena *a, const uint8_t *sizes, uint64_t n) {
    long f0 = bench_minor_faults();
    uint64_t t0 = bench_now_ns();
    Obj *prev = NULL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t size = sizes[i];
        Obj *o = ak_arena_push_nz(a, size, ALIGN);
        if (!o) die(ak_arena_error(a));
        TOUCH(o, prev, size);
        prev = o;
    }
    uint64_t t1 = bench_now_ns();
    ak_arena_clear(a);
    uint64_t t2 = bench_now_ns();
    return (Round){(double)(t1 - t0) / n, (double)(t2 - t1) / n, bench_minor_faults() - f0};
}

static Round round_push_zeroed(AkArena *a, const uint8_t *sizes, uint64_t n) {
    long f0 = bench_minor_faults();
    uint64_t t0 = bench_now_ns();
    Obj *prev = NULL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t size = sizes[i];
        Obj *o = ak_arena_push(a, size, ALIGN);
        if (!o) die(ak_arena_error(a));
        TOUCH(o, prev, size);
        prev = o;
    }
    uint64_t t1 = bench_now_ns();
    ak_arena_clear(a);
    uint64_t t2 = bench_now_ns();
    return (Round){(double)(t1 - t0) / n, (double)(t2 - t1) / n, bench_minor_faults() - f0};
}

static Round round_malloc(const uint8_t *sizes, uint64_t n) {
    long f0 = bench_minor_faults();
    uint64_t t0 = bench_now_ns();
    Obj *prev = NULL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t size = sizes[i];
        Obj *o = malloc(size);
        if (!o) die("malloc failed");
        TOUCH(o, prev, size);
        prev = o;
    }
    uint64_t t1 = bench_now_ns();
    while (prev) {
        Obj *next = prev->next;
        free(prev);
        prev = next;
    }
    uint64_t t2 = bench_now_ns();
    return (Round){(double)(t1 - t0) / n, (double)(t2 - t1) / n, bench_minor_faults() - f0};
}

// One row, in a child process: the cold round, or a warm-up round and the measured ones. The
// first measured round is also the one callgrind counts.
static void run_row(void *arg) {
    const Row *r = arg;
    AkArena *a = r->kind == PEER ? NULL : arena_open(r->kind, r->n);
    int rounds = r->warm ? WARM_ROUNDS : 1;
    double total[MAX_ROUNDS], alloc[MAX_ROUNDS], freed[MAX_ROUNDS];
    long faults = 0;
    // arena-defaults commits 64 KB at a time and gives memory back on clear, so under valgrind
    // it keeps falling back to the slow path: it is not counted rather than counted wrong.
    bool count = r->kind != ARENA_DEFAULTS;
    for (int i = r->warm ? -1 : 0; i < rounds; i++) {
        if (a) arena_fast_path_under_valgrind(a);
        if (i == 0 && count) bench_measure_begin();
        Round x;
        switch (r->kind) {
        case PEER: x = round_malloc(r->sizes, r->n); break;
        case ARENA_ZEROED: x = round_push_zeroed(a, r->sizes, r->n); break;
        default: x = round_push_nz(a, r->sizes, r->n); break;
        }
        if (i == 0 && count) bench_measure_end(r->bench_case, r->allocator, r->n);
        if (i < 0) continue;
        total[i] = x.alloc_ns + x.free_ns;
        alloc[i] = x.alloc_ns;
        freed[i] = x.free_ns;
        faults += x.faults;
    }
    if (a) ak_arena_release(a);
    // best_ns next to the median: on a shared VM a neighbour's burst slows some rounds.
    double best = total[0];
    for (int i = 1; i < rounds; i++) best = AK_MIN(best, total[i]);
    bench_row(r->bench_case, r->allocator, "ns_op=%.2f\tbest_ns=%.2f\talloc_ns=%.2f\tfree_ns=%.2f\tfaults_op=%.4f\trss_mb=%.0f",
              bench_median(total, rounds), best, bench_median(alloc, rounds), bench_median(freed, rounds),
              (double)faults / ((double)r->n * rounds), bench_peak_rss_mb());
}

int main(int argc, char **argv) {
    BenchArgs args = bench_args(argc, argv, 10000000, 200000);
    const char *peer = bench_peer();
    bool arena_rows = !strcmp(peer, "glibc");

    // The sizes live outside every allocator (mmap), so they shape no heap; each child reads
    // the same pages, and counts their 1 byte/object in its RSS like everyone else.
    uint8_t *sizes = mmap(NULL, args.n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sizes == MAP_FAILED) die("cannot map the size table");
    uint64_t seed = SEED;
    for (uint64_t i = 0; i < args.n; i++) sizes[i] = (uint8_t)(16 + bench_rand(&seed) % 113);

    printf("# arena_bench (%s): %llu objects of 16-128 bytes (seed %d), align %d, each touched; "
           "ns/op = alloc + free per object; warm = median (best) of %d rounds after a warm-up round\n",
           peer, (unsigned long long)args.n, SEED, ALIGN, WARM_ROUNDS);
    static const struct {
        const char *allocator;
        Kind kind;
        bool cold, warm;
    } arenas[] = {
        {"arena", ARENA, true, true},
        {"arena-zeroed", ARENA_ZEROED, false, true},
        {"arena-thp", ARENA_THP, true, true},
        {"arena-defaults", ARENA_DEFAULTS, true, true},
    };
    for (int warm = 0; warm < 2; warm++) {
        const char *bench_case = warm ? "warm" : "cold";
        for (size_t i = 0; arena_rows && i < AK_ARRAY_COUNT(arenas); i++) {
            if (!(warm ? arenas[i].warm : arenas[i].cold)) continue;
            if (!bench_wanted(&args, bench_case, arenas[i].allocator)) continue;
            Row r = {bench_case, arenas[i].allocator, arenas[i].kind, warm, sizes, args.n};
            if (bench_in_child(run_row, &r) != 0) die("a bench child failed");
        }
        if (bench_wanted(&args, bench_case, peer)) {
            Row r = {bench_case, peer, PEER, warm, sizes, args.n};
            if (bench_in_child(run_row, &r) != 0) die("a bench child failed");
        }
    }
    munmap(sizes, args.n);
    return 0;
}
