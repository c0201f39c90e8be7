// progress.h: the import progress bar: bytes done of total, rate and ETA, redrawn in place at
// most ten times a second, only when stderr is a terminal. Owns no memory.
#ifndef APP_PROGRESS_H
#define APP_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct AppProgress {
    bool enabled;      // stderr is a terminal and the user did not ask for quiet
    uint64_t start_ns, last_ns;
    const char *label;
    bool drawn;
} AppProgress;

void app_progress_begin(AppProgress *p, const char *label, bool quiet);
void app_progress_update(AppProgress *p, uint64_t done, uint64_t total);
void app_progress_end(AppProgress *p);
uint64_t app_now_ns(void);

#endif
