// error.c: formatting of ChatError.
#include "chat/error.h"

#include <stdarg.h>
#include <stdio.h>

bool chat_fail(ChatError *err, const char *fmt, ...) {
    if (!err) return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return false;
}
