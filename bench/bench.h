// bench.h: shared pieces of the bench/ programs. Each bench source is built three times,
// linked against glibc malloc, mimalloc and jemalloc (Debian's jemalloc replaces malloc for
// the whole process, so peers cannot share a binary); bench_peer() tells which one this
// binary is. Each workload runs in a forked child so its peak RSS is its own. Rows are printed
// as tab-separated "ROW case allocator key=value..." lines that tools/bench.sh gathers into
// one table per case with the ratio to glibc.
#ifndef ARENAKIT_BENCH_H
#define ARENAKIT_BENCH_H

#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

#endif
