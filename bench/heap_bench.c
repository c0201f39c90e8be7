// heap_bench.c: the TLSF heap (akheap) against glibc malloc, mimalloc and jemalloc on the same
// operation streams (one seed, the same sizes and choices for every allocator).
//   churn       100k live blocks of 16-4096 bytes, then N random replacements (free one, malloc
//               another). The fill is the cold part (first touch: cold_ns, faults_op); the
//               replacements run on memory the allocator holds (warm: ns_op, the target).
//   form        a web form: each request allocates 20-420 short strings (70% 4-32 bytes, 25% up
//               to 256, 5% up to 2 KB), grows one in five with realloc, then frees them; one in a
//               hundred survives in a ring of 10k long-lived strings, which fragments the heap.
//   form-burst  the same requests with no survivors; akheap-reset drops each request's strings
//               with one ak_heap_reset instead of one free each.
// akheap-thp (churn) is the heap on an arena with AK_ARENA_LARGE_PAGES: 200 MB touched at random
// spends much of its time in TLB misses on 4 KB pages, which the peers pay as well.
// Each row is a forked child (its peak RSS is its own) that first runs the stream untimed per
// call (throughput: ns_op, or ns_str per string for the forms), then a fifth of it again with
// every call timed into a histogram (p50 / p99 / p99.99 / max per operation; each includes
// the ~20 ns of the timer itself, see the "# timer" line). rss_live = peak RSS / live bytes.
// akheap rows come from the glibc binary only (the heap does not use malloc).
//
//   heap_bench-glibc                          every case; --n is the churn's replacements
//   heap_bench-glibc --quick --case churn/akheap
#include "bench.h"

#include "arenakit/arenakit.h"
#include "arenakit/heap.h"

#define SEED 7
#define CHURN_LIVE 100000
#define CHURN_MIN 16
#define CHURN_MAX 4096
#define FORM_RING 10000
#define FORM_MAX_FIELDS 420

typedef enum Kind { PEER, HEAP, HEAP_THP, HEAP_RESET } Kind;

typedef struct Row {
    const char *bench_case;
    const char *allocator;
    Kind kind;
    uint64_t n;
} Row;

static void die(const char *what) {
    fprintf(stderr, "heap_bench: %s\n", what);
    exit(1);
}

// ---- the allocator under test: a predictable branch, the same for every row ---------------

static AkHeap *heap;

static inline void *a_malloc(Kind k, size_t n) {
    void *p = k == PEER ? malloc(n) : ak_heap_malloc(heap, n);
    if (!p) die(k == PEER ? "malloc failed" : ak_heap_error(heap));
    return p;
}
static inline void a_free(Kind k, void *p) {
    if (k == PEER) free(p);
    else ak_heap_free(heap, p);
}
static inline void *a_realloc(Kind k, void *p, size_t n) {
    void *q = k == PEER ? realloc(p, n) : ak_heap_realloc(heap, p, n);
    if (!q) die(k == PEER ? "realloc failed" : ak_heap_error(heap));
    return q;
}

static void open_heap(Kind k) {
    if (k == PEER) return;
    // Reserve enough for one region; no poisoning so callgrind counts a native run's work.
    heap = ak_heap_create(.name = "bench", .reserve = AK_GB(4), .no_poison = true,
                          .arena_flags = k == HEAP_THP ? AK_ARENA_LARGE_PAGES : 0);
    if (!heap) die(ak_heap_last_create_error());
}

// Writes a byte in every page of the block, as a user of the memory would.
static inline void touch(void *p, size_t n) {
    unsigned char *c = p;
    for (size_t i = 0; i < n; i += 4096) c[i] = (unsigned char)n;
    c[n - 1] = 1;
    __asm__ volatile("" ::"r"(p) : "memory");
}

typedef struct Lat {
    BenchHist malloc_h, free_h, realloc_h;
} Lat;
static Lat lat; // static: the same untouched pages in every child until they are used


static void lat_text(char *buf, size_t cap, const char *name, const BenchHist *h) {
    if (!h->count) {
        buf[0] = 0;
        return;
    }
    snprintf(buf, cap, "\t%s_p50=%llu\t%s_p99=%llu\t%s_p9999=%llu\t%s_max=%llu", name,
             (unsigned long long)bench_hist_pct(h, 50), name, (unsigned long long)bench_hist_pct(h, 99), name,
             (unsigned long long)bench_hist_pct(h, 99.99), name, (unsigned long long)h->max);
}

static void heap_text(char *buf, size_t cap, Kind k) {
    if (k == PEER) {
        buf[0] = 0;
        return;
    }
    AkHeapStats s = ak_heap_stats(heap);
    snprintf(buf, cap, "\theap_mb=%.1f\theap_frag=%.3f", s.size / 1048576.0, s.fragmentation);
}

// ---- churn ---------------------------------------------------------------------------------

static void *churn_p[CHURN_LIVE];
static uint32_t churn_n[CHURN_LIVE];

static inline size_t churn_size(uint64_t *s) { return CHURN_MIN + bench_rand(s) % (CHURN_MAX - CHURN_MIN + 1); }

static void run_churn(void *arg) {
    const Row *r = arg;
    Kind k = r->kind;
    open_heap(k);
    uint64_t seed = SEED, live = r->n < 10 * CHURN_LIVE ? r->n / 10 + 1 : CHURN_LIVE;
    long f0 = bench_minor_faults();
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < live; i++) {
        size_t n = churn_size(&seed);
        churn_p[i] = a_malloc(k, n);
        churn_n[i] = (uint32_t)n;
        touch(churn_p[i], n);
    }
    uint64_t t1 = bench_now_ns();
    double cold_ns = (double)(t1 - t0) / live, cold_faults = (double)(bench_minor_faults() - f0) / live;

    bench_measure_begin();
    t0 = bench_now_ns();
    for (uint64_t j = 0; j < r->n; j++) {
        uint64_t i = bench_rand(&seed) % live;
        a_free(k, churn_p[i]);
        size_t n = churn_size(&seed);
        churn_p[i] = a_malloc(k, n);
        churn_n[i] = (uint32_t)n;
        touch(churn_p[i], n);
    }
    t1 = bench_now_ns();
    bench_measure_end(r->bench_case, r->allocator, 2 * r->n);
    double ns_op = (double)(t1 - t0) / (2.0 * r->n);

    for (uint64_t j = 0; j < r->n / 5; j++) {
        uint64_t i = bench_rand(&seed) % live;
        uint64_t a = bench_now_ns();
        a_free(k, churn_p[i]);
        uint64_t b = bench_now_ns();
        size_t n = churn_size(&seed);
        uint64_t c = bench_now_ns();
        churn_p[i] = a_malloc(k, n);
        uint64_t d = bench_now_ns();
        bench_hist_add(&lat.free_h, b - a);
        bench_hist_add(&lat.malloc_h, d - c);
        churn_n[i] = (uint32_t)n;
        touch(churn_p[i], n);
    }
    uint64_t live_bytes = 0;
    for (uint64_t i = 0; i < live; i++) live_bytes += churn_n[i];
    char lm[200], lf[200], hs[100];
    lat_text(lm, sizeof lm, "malloc", &lat.malloc_h);
    lat_text(lf, sizeof lf, "free", &lat.free_h);
    heap_text(hs, sizeof hs, k);
    double rss = bench_peak_rss_mb();
    bench_row(r->bench_case, r->allocator, "ns_op=%.1f\tmops=%.1f%s%s\tcold_ns=%.1f\tcold_faults_op=%.3f\trss_mb=%.0f\tlive_mb=%.0f\trss_live=%.2f%s",
              ns_op, 1000.0 / ns_op, lm, lf, cold_ns, cold_faults, rss, live_bytes / 1048576.0,
              rss / (live_bytes / 1048576.0), hs);
}

// ---- the web form --------------------------------------------------------------------------

static void *ring[FORM_RING];
static uint32_t ring_n[FORM_RING];

static inline size_t form_len(uint64_t *s) {
    uint64_t r = bench_rand(s) % 100, x = bench_rand(s);
    return r < 70 ? 4 + x % 29 : r < 95 ? 33 + x % 224 : 257 + x % 1792;
}

typedef struct FormCount {
    uint64_t strings;
} FormCount;

// One request. With `timed`, every call goes into the histograms.
static inline void form_request(Kind k, uint64_t *seed, bool survivors, bool timed, FormCount *fc) {
    void *f[FORM_MAX_FIELDS];
    size_t len[FORM_MAX_FIELDS];
    uint32_t nf = 20 + (uint32_t)(bench_rand(seed) % (FORM_MAX_FIELDS - 19));
    uint64_t a = 0, b = 0;
    for (uint32_t i = 0; i < nf; i++) {
        size_t n = form_len(seed);
        if (timed) a = bench_now_ns();
        f[i] = a_malloc(k, n);
        if (timed) b = bench_now_ns(), bench_hist_add(&lat.malloc_h, b - a);
        memset(f[i], 'a' + (int)(i % 26), n);
        len[i] = n;
        if (bench_rand(seed) % 5 == 0) {
            size_t m = n + 1 + bench_rand(seed) % (2 * n);
            if (timed) a = bench_now_ns();
            f[i] = a_realloc(k, f[i], m);
            if (timed) b = bench_now_ns(), bench_hist_add(&lat.realloc_h, b - a);
            memset((char *)f[i] + n, 'z', m - n);
            len[i] = m;
        }
    }
    if (k == HEAP_RESET) {
        if (timed) a = bench_now_ns();
        ak_heap_reset(heap);
        if (timed) b = bench_now_ns(), bench_hist_add(&lat.free_h, b - a);
    } else {
        for (uint32_t i = 0; i < nf; i++) {
            void *p = f[i];
            if (survivors && bench_rand(seed) % 100 == 0) {
                uint64_t slot = bench_rand(seed) % FORM_RING;
                void *old = ring[slot];
                ring[slot] = p;
                ring_n[slot] = (uint32_t)len[i];
                p = old;
                if (!p) continue;
            }
            if (timed) a = bench_now_ns();
            a_free(k, p);
            if (timed) b = bench_now_ns(), bench_hist_add(&lat.free_h, b - a);
        }
    }
    fc->strings += nf;
}

static void run_form(void *arg) {
    const Row *r = arg;
    Kind k = r->kind;
    bool survivors = !strcmp(r->bench_case, "form");
    open_heap(k);
    uint64_t seed = SEED, requests = r->n / 100 + 1;
    FormCount warm = {0}, fc = {0}, timed = {0};
    for (uint64_t i = 0; i < requests / 100 + 1; i++) form_request(k, &seed, survivors, false, &warm);
    bench_measure_begin();
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < requests; i++) form_request(k, &seed, survivors, false, &fc);
    uint64_t t1 = bench_now_ns();
    bench_measure_end(r->bench_case, r->allocator, fc.strings);
    for (uint64_t i = 0; i < requests / 5 + 1; i++) form_request(k, &seed, survivors, true, &timed);
    uint64_t live_bytes = 0;
    for (int i = 0; i < FORM_RING; i++) live_bytes += ring[i] ? ring_n[i] : 0;
    char lm[200], lr[200], lf[200], hs[100];
    lat_text(lm, sizeof lm, "malloc", &lat.malloc_h);
    lat_text(lr, sizeof lr, "realloc", &lat.realloc_h);
    lat_text(lf, sizeof lf, k == HEAP_RESET ? "reset" : "free", &lat.free_h);
    heap_text(hs, sizeof hs, k);
    double ns_str = (double)(t1 - t0) / fc.strings;
    bench_row(r->bench_case, r->allocator, "ns_str=%.1f\tmstr_s=%.2f%s%s%s\trss_mb=%.1f\tlive_mb=%.1f%s", ns_str,
              1000.0 / ns_str, lm, lr, lf, bench_peak_rss_mb(), live_bytes / 1048576.0, hs);
}

// ---- main ----------------------------------------------------------------------------------

static void timer_note(void) {
    static BenchHist h;
    for (int i = 0; i < 1000000; i++) {
        uint64_t a = bench_now_ns();
        bench_hist_add(&h, bench_now_ns() - a);
    }
    printf("# timer: an empty timed region costs p50 %llu ns, p99 %llu ns (included in every latency)\n",
           (unsigned long long)bench_hist_pct(&h, 50), (unsigned long long)bench_hist_pct(&h, 99));
}

int main(int argc, char **argv) {
    BenchArgs args = bench_args(argc, argv, 10000000, 200000);
    const char *peer = bench_peer();
    bool heap_rows = !strcmp(peer, "glibc");
    printf("# heap_bench (%s): churn %llu replacements over %d live blocks of %d-%d bytes; form %llu requests; "
           "seed %d; ns_op per malloc or free; ns_str per string (malloc, fill, maybe realloc, free)\n",
           peer, (unsigned long long)args.n, CHURN_LIVE, CHURN_MIN, CHURN_MAX,
           (unsigned long long)(args.n / 100 + 1), SEED);
    if (!bench_under_valgrind()) timer_note();
    static const struct {
        const char *bench_case;
        void (*fn)(void *);
    } cases[] = {{"churn", run_churn}, {"form", run_form}, {"form-burst", run_form}};
    for (size_t c = 0; c < AK_ARRAY_COUNT(cases); c++) {
        Row rows[4] = {{cases[c].bench_case, "akheap", HEAP, args.n},
                       {cases[c].bench_case, "akheap-thp", HEAP_THP, args.n},
                       {cases[c].bench_case, "akheap-reset", HEAP_RESET, args.n},
                       {cases[c].bench_case, peer, PEER, args.n}};
        for (int i = 0; i < 4; i++) {
            if (rows[i].kind != PEER && !heap_rows) continue;
            if (rows[i].kind == HEAP_RESET && strcmp(cases[c].bench_case, "form-burst")) continue;
            if (rows[i].kind == HEAP_THP && strcmp(cases[c].bench_case, "churn")) continue;
            if (!bench_wanted(&args, rows[i].bench_case, rows[i].allocator)) continue;
            if (bench_in_child(cases[c].fn, &rows[i]) != 0) die("a bench child failed");
        }
    }
    return 0;
}
