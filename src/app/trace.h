// trace.h: `--memory-trace FILE`: samples every live arena and heap (ak_pool_trace_sample)
// into a CSV file while a command runs, so tools/memplot can draw the memory timeline. Calls
// are cheap no-ops when no trace is open; samples closer than 2 ms apart are skipped unless
// forced. Main thread only. The FILE is the only thing it owns.
#ifndef APP_TRACE_H
#define APP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

bool app_trace_open(const char *path, int argc, char **argv, uint64_t budget);
void app_trace_sample(bool force);
void app_trace_close(void);

#endif
