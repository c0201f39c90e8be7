// error.h: how the chat store reports the world's errors: a message naming what failed and
// where (file path, byte offset, conversation uuid, SQLite's own text). Owned by the caller,
// usually on the stack; functions that fail fill it and return false or NULL.
#ifndef CHAT_ERROR_H
#define CHAT_ERROR_H

#include <stdbool.h>

typedef struct ChatError {
    char msg[1024];
} ChatError;

// printf-style; appends nothing if err is NULL. Returns false so callers can `return chat_fail(...)`.
bool chat_fail(ChatError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
