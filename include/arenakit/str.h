// str.h: length-prefixed string views and the arena functions that make them.
// An AkStr is a pointer and a length; it does not own its bytes and is not NUL-terminated by
// contract. Whoever made the bytes (an arena, a literal, a read buffer) decides how long the
// view stays valid; functions that produce strings take the arena to push them on.
#ifndef ARENAKIT_STR_H
#define ARENAKIT_STR_H

#include "arena.h"

typedef struct AkStr {
    const char *ptr;
    uint64_t len;
} AkStr;

#define AK_STR(literal) ((AkStr){(literal), sizeof(literal) - 1})
#define AK_STR_FMT(s) (int)(s).len, (s).ptr // printf("%.*s", AK_STR_FMT(s))

static inline AkStr ak_str(const char *ptr, uint64_t len) { return (AkStr){ptr, len}; }
static inline AkStr ak_str_cstr(const char *cstr) { return (AkStr){cstr, cstr ? strlen(cstr) : 0}; }
static inline bool ak_str_eq(AkStr a, AkStr b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}

#endif
