// assert.c: the one place assertions print and abort, so a failure names its condition,
// location and the object involved in the same format everywhere.
#include "arenakit/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ak_assert_fail(const char *cond, const char *file, int line, const char *fmt, ...) {
    fflush(stdout);
    fprintf(stderr, "%s:%d: arenakit assertion failed: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%s)\n", cond);
    abort();
}
