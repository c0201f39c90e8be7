// trace.c: the CSV is the pool's trace format with comment lines for the command and the
// budget (tools/memplot draws the budget as a line).
#include "app/trace.h"

#include "app/progress.h"
#include "arenakit/pool.h"

#include <stdio.h>

static FILE *trace_file;
static uint64_t trace_start_ns, trace_last_ns;

bool app_trace_open(const char *path, int argc, char **argv, uint64_t budget) {
    trace_file = fopen(path, "w");
    if (!trace_file) return false;
    trace_start_ns = app_now_ns();
    fprintf(trace_file, "# command");
    for (int i = 0; i < argc; i++) fprintf(trace_file, " %s", argv[i]);
    fprintf(trace_file, "\n# budget %llu\n", (unsigned long long)budget);
    ak_pool_trace_header(trace_file);
    app_trace_sample(true);
    return true;
}

void app_trace_sample(bool force) {
    if (!trace_file) return;
    uint64_t now = app_now_ns();
    if (!force && now - trace_last_ns < 2000000) return;
    trace_last_ns = now;
    ak_pool_trace_sample(trace_file, (now - trace_start_ns) / 1e6);
}

void app_trace_close(void) {
    if (!trace_file) return;
    app_trace_sample(true);
    fclose(trace_file);
    trace_file = NULL;
}
