// str.h: length-prefixed string views and the arena functions that make them.
// An AkStr is a pointer and a length; it does not own its bytes and is not NUL-terminated by
// contract. Whoever made the bytes (an arena, a literal, a read buffer) decides how long the
// view stays valid; functions that produce strings take the arena to push them on.
//
// Strings this module pushes (copy, pushf, concat, join, case folding) are followed by a NUL
// byte that is not counted in len, so their .ptr can go straight to a C API. When the arena
// refuses, they return a string whose ptr is NULL (len 0) and ak_arena_error() says why (also
// for a length that overflows, or a format vsnprintf cannot expand); an empty result that
// succeeded has a non-NULL ptr. Views (slice, trim, split pieces) point into
// their input and live as long as it does.
//
// AkStrList is a linked list of views whose nodes live on an arena; AkStrBuilder appends
// pieces to one without copying them and copies once, when joined. Number parsing reports
// what was wrong and at which byte instead of returning a silent zero.
#ifndef ARENAKIT_STR_H
#define ARENAKIT_STR_H

#include "arena.h"

#include <stdarg.h>

typedef struct AkStr {
    const char *ptr;
    uint64_t len;
} AkStr;

#define AK_STR(literal) ((AkStr){(literal), sizeof(literal) - 1})
// For static initializers, where a compound literal is not a constant:
//   static const AkStr name = AK_STR_INIT("claude");
#define AK_STR_INIT(literal) {(literal), sizeof(literal) - 1}
// printf("%.*s", AK_STR_FMT(s)). printf's precision is an int and printf writes at most
// INT_MAX bytes a call, so a view longer than that prints its first INT_MAX bytes (never a
// wrapped length: 4 GB + 5 is not 5, 3 GB is not "until a NUL"); fwrite such a view instead.
// s is evaluated twice.
#define AK_STR_FMT(s) ak_str_fmt_len(s), (s).ptr

static inline AkStr ak_str(const char *ptr, uint64_t len) { return (AkStr){ptr, len}; }
static inline int ak_str_fmt_len(AkStr s) { return s.len > 0x7FFFFFFF ? 0x7FFFFFFF : (int)s.len; }
static inline AkStr ak_str_cstr(const char *cstr) { return (AkStr){cstr, cstr ? strlen(cstr) : 0}; }
static inline bool ak_str_eq(AkStr a, AkStr b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0);
}


#define AK_STR_NPOS UINT64_MAX // "not found" from the find functions

// ---- views: no allocation ----------------------------------------------------------------
// Slices clamp: start/end beyond len give a shorter or empty view, never an error.
AkStr ak_str_slice(AkStr s, uint64_t start, uint64_t end); // [start, end)
AkStr ak_str_head(AkStr s, uint64_t n);                    // first n bytes
AkStr ak_str_tail(AkStr s, uint64_t n);                    // last n bytes
AkStr ak_str_skip(AkStr s, uint64_t n);                    // all but the first n bytes
bool ak_str_starts_with(AkStr s, AkStr prefix);
bool ak_str_ends_with(AkStr s, AkStr suffix);
// Index of the first (last) occurrence of needle at or after `from`, or AK_STR_NPOS. An empty
// needle is found at `from` (at len for find_last) when from <= len.
uint64_t ak_str_find(AkStr hay, AkStr needle, uint64_t from);
uint64_t ak_str_find_last(AkStr hay, AkStr needle);
uint64_t ak_str_find_byte(AkStr hay, char byte, uint64_t from);
bool ak_str_contains(AkStr hay, AkStr needle);
// Split at the first `sep`: true and the two sides, or false with *before = s, *after empty.
bool ak_str_cut(AkStr s, AkStr sep, AkStr *before, AkStr *after);
// ASCII whitespace (space, \t, \n, \v, \f, \r) off both ends, the left or the right.
AkStr ak_str_trim(AkStr s);
AkStr ak_str_trim_left(AkStr s);
AkStr ak_str_trim_right(AkStr s);
// Byte-wise order (memcmp, shorter first on a tie): <0, 0, >0. _nocase folds ASCII letters.
int ak_str_cmp(AkStr a, AkStr b);
int ak_str_cmp_nocase(AkStr a, AkStr b);
bool ak_str_eq_nocase(AkStr a, AkStr b);
static inline char ak_ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }
static inline char ak_ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

// 64-bit hash of bytes, stable across runs and platforms (not keyed: not for hostile input
// that could aim for collisions). ak_str_hash(s) == ak_hash_bytes(s.ptr, s.len, 0).
uint64_t ak_hash_bytes(const void *data, uint64_t len, uint64_t seed);
static inline uint64_t ak_str_hash(AkStr s) { return ak_hash_bytes(s.ptr, s.len, 0); }

// ---- pushed on an arena (NUL-terminated; ptr NULL if the arena refused) ------------------
AK_NODISCARD AkStr ak_str_copy(AkArena *arena, AkStr s);
// For C APIs that want a NUL-terminated string; NULL if the arena refused.
AK_NODISCARD const char *ak_str_cstr_copy(AkArena *arena, AkStr s);
AK_NODISCARD AkStr ak_str_pushf(AkArena *arena, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
AK_NODISCARD AkStr ak_str_pushfv(AkArena *arena, const char *fmt, va_list ap);
AK_NODISCARD AkStr ak_str_concat(AkArena *arena, AkStr a, AkStr b);
AK_NODISCARD AkStr ak_str_join(AkArena *arena, const AkStr *parts, uint64_t count, AkStr sep);
AK_NODISCARD AkStr ak_str_lower(AkArena *arena, AkStr s); // ASCII letters only; other bytes unchanged
AK_NODISCARD AkStr ak_str_upper(AkArena *arena, AkStr s);

// ---- lists and the builder ---------------------------------------------------------------
typedef struct AkStrNode {
    struct AkStrNode *next;
    AkStr str;
} AkStrNode;

typedef struct AkStrList {
    AkStrNode *first, *last;
    uint64_t count;     // nodes
    uint64_t total_len; // sum of the pieces' lengths
} AkStrList; // zero-initialized is empty

// Append a view (not copied: the bytes must outlive the list); the node goes on `arena`.
// False if the arena refused (list unchanged).
AK_NODISCARD bool ak_str_list_push(AkArena *arena, AkStrList *list, AkStr s);
// Append a formatted piece, itself pushed on `arena`.
AK_NODISCARD bool ak_str_list_pushf(AkArena *arena, AkStrList *list, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
// One string: the pieces with `sep` between them (NUL-terminated; ptr NULL if refused).
AK_NODISCARD AkStr ak_str_list_join(AkArena *arena, const AkStrList *list, AkStr sep);
// The pieces as an array of count views on `arena` (NULL if refused, or if the list is empty).
AK_NODISCARD AkStr *ak_str_list_array(AkArena *arena, const AkStrList *list);

enum {
    AK_STR_SPLIT_SKIP_EMPTY = 1u << 0, // drop empty pieces ("a,,b" gives a, b)
    AK_STR_SPLIT_TRIM = 1u << 1,       // trim ASCII whitespace off each piece (before the skip)
};
// Views into s between occurrences of sep, in order, appended to *out (nodes on `arena`).
// "a,,b" by "," gives "a", "", "b"; an empty s gives one empty piece (none with SKIP_EMPTY);
// an empty sep gives s whole. False if the arena refused (pieces pushed so far stay in *out).
AK_NODISCARD bool ak_str_split(AkArena *arena, AkStr s, AkStr sep, uint32_t flags, AkStrList *out);

// Builder: a string list bound to the arena its nodes (and formatted pieces) go on. The
// pieces are referenced, not copied, until ak_str_builder_finish copies them once. A failed
// append sets `failed`, and finish then returns a NULL string, so a chain of appends can be
// checked once at the end.
typedef struct AkStrBuilder {
    AkArena *arena;
    AkStrList list;
    bool failed;
} AkStrBuilder;

AK_NODISCARD static inline AkStrBuilder ak_str_builder(AkArena *arena) { return (AkStrBuilder){arena, {0, 0, 0, 0}, false}; }
void ak_str_builder_append(AkStrBuilder *b, AkStr s); // s must outlive the builder's finish
void ak_str_builder_appendf(AkStrBuilder *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
// The joined pieces on `arena` (may be the builder's own arena): NUL-terminated; ptr NULL if
// an append or this copy was refused.
AK_NODISCARD AkStr ak_str_builder_finish(AkStrBuilder *b, AkArena *arena);

// ---- numbers: the whole string must be the number; no whitespace, no silent zero ---------
typedef struct AkParseError {
    uint64_t offset;  // byte of the input where the problem is
    const char *what; // static text: "empty", "not a digit", "out of range for int64", ...
} AkParseError;

// base: 2..36, or 0 for decimal with an optional 0x (hex) or 0b (binary) prefix. A leading
// '-' is accepted for i64 only, '+' for both. `err` may be NULL. On failure *out is untouched.
AK_NODISCARD bool ak_str_parse_u64(AkStr s, int base, uint64_t *out, AkParseError *err);
AK_NODISCARD bool ak_str_parse_i64(AkStr s, int base, int64_t *out, AkParseError *err);
// Decimal floating point: [+-]digits[.digits][(e|E)[+-]digits], or a leading/trailing '.'
// with digits on the other side; "inf" and "nan" are refused. Rounds as strtod does, whatever
// the locale's decimal point. Out of range (overflow to infinity) is an error; underflow
// gives the nearest representable value.
AK_NODISCARD bool ak_str_parse_f64(AkStr s, double *out, AkParseError *err);

#endif
