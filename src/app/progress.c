// progress.c: a one-line bar on stderr: "importing [#####     ] 41%  12.3 MB/s  ETA 3s".
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

uint64_t app_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void app_progress_begin(AppProgress *p, const char *label, bool quiet) {
    *p = (AppProgress){.enabled = !quiet && isatty(2), .start_ns = app_now_ns(), .label = label};
}

void app_progress_update(AppProgress *p, uint64_t done, uint64_t total) {
    if (!p->enabled) return;
    uint64_t now = app_now_ns();
    if (p->drawn && now - p->last_ns < 100000000ull && done < total) return;
    p->last_ns = now;
    double secs = (now - p->start_ns) / 1e9;
    double rate = secs > 0 ? done / secs : 0;
    double frac = total ? (double)done / (double)total : 0;
    if (frac > 1) frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : ' ';
    bar[30] = 0;
    char eta[32] = "";
    if (rate > 0 && total > done) snprintf(eta, sizeof eta, "  ETA %.0fs", (total - done) / rate);
    fprintf(stderr, "\r%s [%s] %3.0f%%  %.1f MB/s%s\x1b[K", p->label, bar, frac * 100, rate / 1048576.0, eta);
    fflush(stderr);
    p->drawn = true;
}

void app_progress_end(AppProgress *p) {
    if (p->enabled && p->drawn) fprintf(stderr, "\r\x1b[K");
    p->drawn = false;
}
