// bench.h: shared pieces of the bench/ programs. Each bench source is built three times,
// linked against glibc malloc, mimalloc and jemalloc (Debian's jemalloc replaces malloc for
// the whole process, so peers cannot share a binary); bench_peer() tells which one this
// binary is. Each workload runs in a forked child so its peak RSS is its own. Rows are printed
// as tab-separated "ROW case allocator key=value..." lines that tools/bench.sh gathers into
// one table per case with the ratio to glibc. The shared options (--n, --quick, --case) and
// the callgrind markers (bench_measure_begin/end) are what tools/bench.sh relies on.
#ifndef ARENAKIT_BENCH_H
#define ARENAKIT_BENCH_H

#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Callgrind client requests mark the measured region (see bench_measure_begin). Without the
// valgrind headers they compile to nothing and the benches run unchanged.
#if defined(__has_include)
#  if __has_include(<valgrind/callgrind.h>)
#    include <valgrind/callgrind.h>
#    define BENCH_CALLGRIND 1
#  endif
#endif

// Weak references: present only in the binary linked with that allocator.
extern int mi_version(void) __attribute__((weak));
extern int mallctl(const char *, void *, size_t *, void *, size_t) __attribute__((weak));

static const char *bench_peer(void) {
    if (mi_version) return "mimalloc";
    if (mallctl) return "jemalloc";
    return "glibc";
}

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double bench_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static long bench_minor_faults(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

// One output row: the case, the allocator, then "key=value" pairs (printf formats).
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void bench_row(const char *bench_case, const char *allocator, const char *fmt, ...) {
    printf("ROW\t%s\t%s\t", bench_case, allocator);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

// Run fn(arg) in a child process and wait; rows it prints go to our stdout.
static int bench_in_child(void (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// Deterministic PRNG (xorshift64*), so every peer sees the same operation stream.
static inline uint64_t bench_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

// Latency histogram with 1 ns buckets up to 64 us and power-of-two buckets beyond: cheap to
// record, exact enough for p50/p99/p99.99 and the max.
typedef struct BenchHist {
    uint64_t fine[65536];
    uint64_t coarse[64];
    uint64_t count, max;
} BenchHist;

static inline void bench_hist_add(BenchHist *h, uint64_t ns) {
    if (ns < 65536) h->fine[ns]++;
    else h->coarse[63 - __builtin_clzll(ns)]++;
    h->count++;
    if (ns > h->max) h->max = ns;
}

static uint64_t bench_hist_pct(const BenchHist *h, double pct) {
    uint64_t want = (uint64_t)(h->count * pct / 100.0);
    uint64_t seen = 0;
    for (uint64_t i = 0; i < 65536; i++)
        if ((seen += h->fine[i]) > want) return i;
    for (int i = 0; i < 64; i++)
        if ((seen += h->coarse[i]) > want) return (uint64_t)1 << (i + 1);
    return h->max;
}

// ---- command line shared by the benches ----------------------------------------------------
// Every bench understands the same few options, so tools/bench.sh can drive any of them:
//   --n N        workload size (what N counts is the bench's own: objects, operations)
//   --quick      the bench's reduced size (smoke runs, and the callgrind run of tools/bench.sh)
//   --case NAME  run only the case NAME, or only one row of it with NAME/ALLOCATOR
typedef struct BenchArgs {
    uint64_t n;
    bool quick;
    const char *only; // NULL: every case
} BenchArgs;

// Parses the options above; `n` is the bench's default size and `quick_n` its --quick size (an
// explicit --n wins over --quick). Exits with a usage line on anything else.
static BenchArgs bench_args(int argc, char **argv, uint64_t n, uint64_t quick_n) {
    BenchArgs a = {n, false, NULL};
    bool have_n = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            a.quick = true;
        } else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
            char *end = NULL;
            a.n = strtoull(argv[++i], &end, 10);
            if (!end || *end || !a.n) {
                fprintf(stderr, "%s: --n wants a positive count, got '%s'\n", argv[0], argv[i]);
                exit(2);
            }
            have_n = true;
        } else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
            a.only = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--n N] [--quick] [--case NAME[/ALLOCATOR]]\n", argv[0]);
            exit(2);
        }
    }
    if (a.quick && !have_n) a.n = quick_n;
    return a;
}

// Whether the row (bench_case, allocator) is selected by --case.
static bool bench_wanted(const BenchArgs *a, const char *bench_case, const char *allocator) {
    if (!a->only) return true;
    size_t len = strlen(bench_case);
    if (strncmp(a->only, bench_case, len) != 0) return false;
    return a->only[len] == 0 || (a->only[len] == '/' && !strcmp(a->only + len + 1, allocator));
}

// ---- instructions under callgrind ----------------------------------------------------------
// No hardware counters on these machines, so instructions are counted by running a bench
// under `valgrind --tool=callgrind --collect-atstart=no` (tools/bench.sh does it at --quick
// size). Put bench_measure_begin/end around the measured region of one round: end dumps the
// instructions counted since begin, labelled with the case, allocator and operation count,
// which tools/bench.sh turns into instructions/op. Outside valgrind both are a handful of
// instructions and no call.
static inline void bench_measure_begin(void) {
#ifdef BENCH_CALLGRIND
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
#endif
}

static inline void bench_measure_end(const char *bench_case, const char *allocator, uint64_t ops) {
#ifdef BENCH_CALLGRIND
    CALLGRIND_TOGGLE_COLLECT;
    if (RUNNING_ON_VALGRIND) {
        char label[200];
        snprintf(label, sizeof label, "bench case=%s alloc=%s ops=%llu", bench_case, allocator,
                 (unsigned long long)ops);
        CALLGRIND_DUMP_STATS_AT(label);
    }
#else
    (void)bench_case, (void)allocator, (void)ops;
#endif
}

// True when the process runs under any valgrind tool.
static inline bool bench_under_valgrind(void) {
#ifdef BENCH_CALLGRIND
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

// Median of n values (sorts them in place); the usual summary of repeated timed rounds.
static double bench_median(double *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return n <= 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

#endif
