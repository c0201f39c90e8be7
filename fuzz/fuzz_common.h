// fuzz_common.h: what the chat-store fuzz targets share: the check that aborts with the
// target's name and line, and a reader that hands the input out in pseudo-random pieces of
// 1..8 bytes (so a streaming reader meets every buffer boundary). Owns no memory.
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "chat/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c) \
    do { if (!(c)) { fprintf(stderr, "%s: %s failed (line %d)\n", FUZZ_NAME, #c, __LINE__); abort(); } } while (0)

typedef struct Trickle {
    const uint8_t *data;
    size_t len, pos;
    uint32_t seed;
} Trickle;

static int64_t trickle_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    (void)err;
    Trickle *t = user;
    t->seed = t->seed * 1103515245u + 12345u;
    size_t n = 1 + (t->seed >> 16) % 8;
    if (n > cap) n = (size_t)cap;
    if (n > t->len - t->pos) n = t->len - t->pos;
    memcpy(buf, t->data + t->pos, n);
    t->pos += n;
    return (int64_t)n;
}

#endif
