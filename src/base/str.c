// str.c: string views, strings pushed on arenas, lists and the builder, hashing, and number
// parsing. Every function that allocates takes the arena as its first parameter and returns a
// NULL ptr when the arena refuses (the arena's own error says why).
#include "arenakit/str.h"
#include "arenakit/scratch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const AkStr null_str = {NULL, 0};

// ---- views --------------------------------------------------------------------------------

AkStr ak_str_slice(AkStr s, uint64_t start, uint64_t end) {
    if (end > s.len) end = s.len;
    if (start > end) start = end;
    return (AkStr){s.ptr ? s.ptr + start : s.ptr, end - start};
}
AkStr ak_str_head(AkStr s, uint64_t n) { return ak_str_slice(s, 0, n); }
AkStr ak_str_tail(AkStr s, uint64_t n) { return ak_str_slice(s, n > s.len ? 0 : s.len - n, s.len); }
AkStr ak_str_skip(AkStr s, uint64_t n) { return ak_str_slice(s, n, s.len); }

bool ak_str_starts_with(AkStr s, AkStr prefix) {
    return prefix.len <= s.len && ak_str_eq(ak_str_head(s, prefix.len), prefix);
}

bool ak_str_ends_with(AkStr s, AkStr suffix) {
    return suffix.len <= s.len && ak_str_eq(ak_str_tail(s, suffix.len), suffix);
}

uint64_t ak_str_find_byte(AkStr hay, char byte, uint64_t from) {
    if (from >= hay.len) return AK_STR_NPOS;
    const char *p = memchr(hay.ptr + from, byte, (size_t)(hay.len - from));
    return p ? (uint64_t)(p - hay.ptr) : AK_STR_NPOS;
}

uint64_t ak_str_find(AkStr hay, AkStr needle, uint64_t from) {
    if (from > hay.len) return AK_STR_NPOS;
    if (needle.len == 0) return from;
    // memchr for the first byte, memcmp for the rest: simple and fast for the short needles
    // (separators, keys) this library searches for.
    while (hay.len - from >= needle.len) {
        uint64_t i = ak_str_find_byte(hay, needle.ptr[0], from);
        if (i == AK_STR_NPOS || hay.len - i < needle.len) return AK_STR_NPOS;
        if (memcmp(hay.ptr + i, needle.ptr, (size_t)needle.len) == 0) return i;
        from = i + 1;
    }
    return AK_STR_NPOS;
}

uint64_t ak_str_find_last(AkStr hay, AkStr needle) {
    if (needle.len > hay.len) return AK_STR_NPOS;
    for (uint64_t i = hay.len - needle.len + 1; i-- > 0;)
        if (needle.len == 0 || memcmp(hay.ptr + i, needle.ptr, (size_t)needle.len) == 0) return i;
    return AK_STR_NPOS;
}

bool ak_str_contains(AkStr hay, AkStr needle) { return ak_str_find(hay, needle, 0) != AK_STR_NPOS; }

bool ak_str_cut(AkStr s, AkStr sep, AkStr *before, AkStr *after) {
    uint64_t i = sep.len ? ak_str_find(s, sep, 0) : AK_STR_NPOS;
    if (i == AK_STR_NPOS) {
        if (before) *before = s;
        if (after) *after = ak_str_skip(s, s.len);
        return false;
    }
    if (before) *before = ak_str_head(s, i);
    if (after) *after = ak_str_skip(s, i + sep.len);
    return true;
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

AkStr ak_str_trim_left(AkStr s) {
    uint64_t i = 0;
    while (i < s.len && is_space(s.ptr[i])) i++;
    return ak_str_skip(s, i);
}

AkStr ak_str_trim_right(AkStr s) {
    while (s.len && is_space(s.ptr[s.len - 1])) s.len--;
    return s;
}

AkStr ak_str_trim(AkStr s) { return ak_str_trim_right(ak_str_trim_left(s)); }

int ak_str_cmp(AkStr a, AkStr b) {
    uint64_t n = AK_MIN(a.len, b.len);
    int c = n ? memcmp(a.ptr, b.ptr, (size_t)n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return a.len < b.len ? -1 : a.len > b.len;
}

int ak_str_cmp_nocase(AkStr a, AkStr b) {
    uint64_t n = AK_MIN(a.len, b.len);
    for (uint64_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)ak_ascii_lower(a.ptr[i]), y = (unsigned char)ak_ascii_lower(b.ptr[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a.len < b.len ? -1 : a.len > b.len;
}

bool ak_str_eq_nocase(AkStr a, AkStr b) { return a.len == b.len && ak_str_cmp_nocase(a, b) == 0; }

// ---- hashing ------------------------------------------------------------------------------
// Two multiply-rotate lanes over 16-byte blocks, then a splitmix/murmur finalizer: each step
// is a bijection of its lane, so no input word is lost, and the finalizer spreads every input
// bit over the whole result. Words are read little-endian so the value is the same everywhere.

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t read64(const unsigned char *p, uint64_t n) { // n <= 8 bytes, zero-padded
    uint64_t v = 0;
    for (uint64_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint64_t read64_full(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    return read64(p, 8);
#endif
}

uint64_t ak_hash_bytes(const void *data, uint64_t len, uint64_t seed) {
    const uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xC2B2AE3D27D4EB4Full, k3 = 0x165667B19E3779F9ull;
    const unsigned char *p = data;
    uint64_t a = seed ^ k1, b = rotl64(seed, 32) ^ k2, n = len;
    for (; n >= 16; p += 16, n -= 16) {
        a = rotl64((a ^ read64_full(p)) * k2, 31) * k1;
        b = rotl64((b ^ read64_full(p + 8)) * k1, 29) * k2;
    }
    if (n >= 8) {
        a = rotl64((a ^ read64_full(p)) * k2, 31) * k1;
        p += 8, n -= 8;
    }
    if (n) b = rotl64((b ^ read64(p, n)) * k1, 29) * k2;
    uint64_t h = a ^ rotl64(b, 27) ^ (len * k3);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

// ---- pushed on an arena -------------------------------------------------------------------

// len bytes plus a NUL, uninitialized but for the NUL. A length that overflowed while it was
// added up comes as UINT64_MAX: the push of that many bytes fails and the arena says why (the
// string would be larger than the address space), as str.h promises for every NULL result.
static char *push_chars(AkArena *arena, uint64_t len) {
    AK_ASSERT(arena, "string function needs an arena");
    char *p = ak_arena_push_nz(arena, len == UINT64_MAX ? UINT64_MAX : len + 1, 1);
    if (p) p[len] = 0;
    return p;
}

AkStr ak_str_copy(AkArena *arena, AkStr s) {
    char *p = push_chars(arena, s.len);
    if (!p) return null_str;
    if (s.len) memcpy(p, s.ptr, (size_t)s.len);
    return (AkStr){p, s.len};
}

const char *ak_str_cstr_copy(AkArena *arena, AkStr s) { return ak_str_copy(arena, s).ptr; }

AkStr ak_str_pushfv(AkArena *arena, const char *fmt, va_list ap) {
    va_list measure;
    va_copy(measure, ap);
    int n = vsnprintf(NULL, 0, fmt, measure);
    va_end(measure);
    if (n < 0) { // an encoding error in a %ls argument, or more than INT_MAX bytes
        ak_arena_set_error(arena, "vsnprintf cannot expand this format (an encoding error, or a result over 2 GB)");
        return null_str;
    }
    char *p = push_chars(arena, (uint64_t)n);
    if (!p) return null_str;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return (AkStr){p, (uint64_t)n};
}

AkStr ak_str_pushf(AkArena *arena, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    AkStr s = ak_str_pushfv(arena, fmt, ap);
    va_end(ap);
    return s;
}

// a + b, or UINT64_MAX when the sum does not fit (push_chars then fails with the reason).
static uint64_t add_len(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

AkStr ak_str_concat(AkArena *arena, AkStr a, AkStr b) {
    char *p = push_chars(arena, add_len(a.len, b.len));
    if (!p) return null_str;
    if (a.len) memcpy(p, a.ptr, (size_t)a.len);
    if (b.len) memcpy(p + a.len, b.ptr, (size_t)b.len);
    return (AkStr){p, a.len + b.len};
}

AkStr ak_str_join(AkArena *arena, const AkStr *parts, uint64_t count, AkStr sep) {
    uint64_t len = 0;
    for (uint64_t i = 0; i < count; i++) len = add_len(len, add_len(parts[i].len, i ? sep.len : 0));
    char *p = push_chars(arena, len);
    if (!p) return null_str;
    char *at = p;
    for (uint64_t i = 0; i < count; i++) {
        if (i && sep.len) memcpy(at, sep.ptr, (size_t)sep.len), at += sep.len;
        if (parts[i].len) memcpy(at, parts[i].ptr, (size_t)parts[i].len), at += parts[i].len;
    }
    return (AkStr){p, len};
}

static AkStr fold(AkArena *arena, AkStr s, char (*f)(char)) {
    char *p = push_chars(arena, s.len);
    if (!p) return null_str;
    for (uint64_t i = 0; i < s.len; i++) p[i] = f(s.ptr[i]);
    return (AkStr){p, s.len};
}
AkStr ak_str_lower(AkArena *arena, AkStr s) { return fold(arena, s, ak_ascii_lower); }
AkStr ak_str_upper(AkArena *arena, AkStr s) { return fold(arena, s, ak_ascii_upper); }

// ---- lists and the builder ----------------------------------------------------------------

bool ak_str_list_push(AkArena *arena, AkStrList *list, AkStr s) {
    AkStrNode *node = ak_push_struct_nz(arena, AkStrNode);
    if (!node) return false;
    node->next = NULL;
    node->str = s;
    if (list->last) list->last->next = node;
    else list->first = node;
    list->last = node;
    list->count++;
    list->total_len = add_len(list->total_len, s.len); // saturates: a join then fails with the reason
    return true;
}

bool ak_str_list_pushf(AkArena *arena, AkStrList *list, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    AkStr s = ak_str_pushfv(arena, fmt, ap);
    va_end(ap);
    return s.ptr && ak_str_list_push(arena, list, s);
}

AkStr ak_str_list_join(AkArena *arena, const AkStrList *list, AkStr sep) {
    uint64_t seps = list->count > 1 ? list->count - 1 : 0;
    uint64_t len = sep.len && seps > UINT64_MAX / sep.len ? UINT64_MAX : add_len(list->total_len, seps * sep.len);
    char *p = push_chars(arena, len);
    if (!p) return null_str;
    char *at = p;
    for (const AkStrNode *n = list->first; n; n = n->next) {
        if (n != list->first && sep.len) memcpy(at, sep.ptr, (size_t)sep.len), at += sep.len;
        if (n->str.len) memcpy(at, n->str.ptr, (size_t)n->str.len), at += n->str.len;
    }
    return (AkStr){p, len};
}

AkStr *ak_str_list_array(AkArena *arena, const AkStrList *list) {
    if (!list->count) return NULL;
    AkStr *a = ak_push_array_nz(arena, AkStr, list->count);
    if (!a) return NULL;
    uint64_t i = 0;
    for (const AkStrNode *n = list->first; n; n = n->next) a[i++] = n->str;
    return a;
}

static bool split_piece(AkArena *arena, AkStr piece, uint32_t flags, AkStrList *out) {
    if (flags & AK_STR_SPLIT_TRIM) piece = ak_str_trim(piece);
    if ((flags & AK_STR_SPLIT_SKIP_EMPTY) && piece.len == 0) return true;
    return ak_str_list_push(arena, out, piece);
}

bool ak_str_split(AkArena *arena, AkStr s, AkStr sep, uint32_t flags, AkStrList *out) {
    if (sep.len == 0) return split_piece(arena, s, flags, out);
    uint64_t from = 0, i;
    while ((i = ak_str_find(s, sep, from)) != AK_STR_NPOS) {
        if (!split_piece(arena, ak_str_slice(s, from, i), flags, out)) return false;
        from = i + sep.len;
    }
    return split_piece(arena, ak_str_skip(s, from), flags, out);
}

void ak_str_builder_append(AkStrBuilder *b, AkStr s) {
    if (!b->failed && !ak_str_list_push(b->arena, &b->list, s)) b->failed = true;
}

void ak_str_builder_appendf(AkStrBuilder *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    AkStr s = ak_str_pushfv(b->arena, fmt, ap);
    va_end(ap);
    if (!s.ptr || !ak_str_list_push(b->arena, &b->list, s)) b->failed = true;
}

AkStr ak_str_builder_finish(AkStrBuilder *b, AkArena *arena) {
    if (b->failed) return null_str;
    return ak_str_list_join(arena, &b->list, ak_str("", 0));
}

// ---- numbers ------------------------------------------------------------------------------

static bool parse_fail(AkParseError *err, uint64_t offset, const char *what) {
    if (err) err->offset = offset, err->what = what;
    return false;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

// Digits of s from *pos (after any sign) into a magnitude, with the base-0 prefixes.
static bool parse_magnitude(AkStr s, uint64_t pos, int base, uint64_t limit, const char *range_msg,
                            uint64_t *out, AkParseError *err) {
    AK_ASSERT(base == 0 || (base >= 2 && base <= 36), "number base %d is not 0 or 2..36", base);
    if (base != 0 && (base < 2 || base > 36)) return parse_fail(err, 0, "base is not 0 or 2..36");
    if (base == 0) {
        base = 10;
        if (s.len - pos >= 2 && s.ptr[pos] == '0') {
            char p = ak_ascii_lower(s.ptr[pos + 1]);
            if (p == 'x') base = 16, pos += 2;
            else if (p == 'b') base = 2, pos += 2;
            if (base != 10 && pos == s.len) return parse_fail(err, pos, "no digits after the prefix");
        }
    }
    if (pos == s.len) return parse_fail(err, pos, "no digits");
    uint64_t v = 0;
    for (uint64_t i = pos; i < s.len; i++) {
        int d = digit_value(s.ptr[i]);
        if (d >= base) return parse_fail(err, i, "not a digit");
        if (v > (limit - (uint64_t)d) / (uint64_t)base) return parse_fail(err, 0, range_msg);
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return true;
}

bool ak_str_parse_u64(AkStr s, int base, uint64_t *out, AkParseError *err) {
    if (s.len == 0) return parse_fail(err, 0, "empty");
    if (s.ptr[0] == '-') return parse_fail(err, 0, "minus sign in an unsigned number");
    uint64_t pos = s.ptr[0] == '+';
    return parse_magnitude(s, pos, base, UINT64_MAX, "out of range for uint64", out, err);
}

bool ak_str_parse_i64(AkStr s, int base, int64_t *out, AkParseError *err) {
    if (s.len == 0) return parse_fail(err, 0, "empty");
    bool neg = s.ptr[0] == '-';
    uint64_t pos = neg || s.ptr[0] == '+';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v;
    if (!parse_magnitude(s, pos, base, limit, "out of range for int64", &v, err)) return false;
    // -2^63 has no positive counterpart: negate in unsigned arithmetic, then convert.
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

static uint64_t count_digits(AkStr s, uint64_t i) {
    uint64_t n = 0;
    while (i + n < s.len && s.ptr[i + n] >= '0' && s.ptr[i + n] <= '9') n++;
    return n;
}

bool ak_str_parse_f64(AkStr s, double *out, AkParseError *err) {
    if (s.len == 0) return parse_fail(err, 0, "empty");
    // Check the grammar here: strtod would also take hex floats, inf, nan and leading spaces.
    uint64_t i = s.ptr[0] == '+' || s.ptr[0] == '-';
    uint64_t whole = count_digits(s, i), frac = 0;
    i += whole;
    uint64_t dot = AK_STR_NPOS;
    if (i < s.len && s.ptr[i] == '.') {
        dot = i++;
        frac = count_digits(s, i);
        i += frac;
    }
    if (whole + frac == 0) return parse_fail(err, i < s.len && dot == AK_STR_NPOS ? i : 0, "no digits");
    if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
        uint64_t e = ++i;
        if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) i++;
        uint64_t exp_digits = count_digits(s, i);
        if (!exp_digits) return parse_fail(err, e, "no digits in the exponent");
        i += exp_digits;
    }
    if (i < s.len) return parse_fail(err, i, "unexpected character in a number");

    // strtod wants a NUL-terminated string in the locale's notation: a program that called
    // setlocale may have ',' for the decimal point. Try '.' first (the C locale, and most);
    // if strtod stops at it, ask snprintf what the point is (localeconv is not thread-safe).
    char point[8] = ".";
    double v = 0;
    bool overflow = false, consumed = false;
    for (int attempt = 0; attempt < 2 && !consumed; attempt++) {
        if (attempt == 1) {
            if (dot == AK_STR_NPOS) break; // no point in the input: the locale is not the problem
            char probe[16];
            int len = snprintf(probe, sizeof probe, "%.1f", 1.5); // "1.5", "1,5", ...
            if (len < 3 || len - 2 >= (int)sizeof point) break;
            memcpy(point, probe + 1, (size_t)(len - 2));
            point[len - 2] = 0;
            if (!strcmp(point, ".")) break;
        }
        uint64_t point_len = strlen(point), need = s.len + point_len + 1;
        char small[128];
        AkTemp scratch = {0};
        char *buf = small;
        if (need > sizeof small) {
            scratch = ak_scratch_begin(NULL, 0);
            buf = scratch.arena ? ak_arena_push_nz(scratch.arena, need, 1) : NULL;
            if (!buf) {
                if (scratch.arena) ak_scratch_end(scratch);
                return parse_fail(err, 0, "no memory for a number this long");
            }
        }
        uint64_t n = 0;
        for (uint64_t k = 0; k < s.len; k++) {
            if (k == dot) memcpy(buf + n, point, (size_t)point_len), n += point_len;
            else buf[n++] = s.ptr[k];
        }
        buf[n] = 0;
        errno = 0;
        char *end = NULL;
        v = strtod(buf, &end);
        overflow = errno == ERANGE && isinf(v);
        consumed = end == buf + n;
        if (scratch.arena) ak_scratch_end(scratch);
    }
    if (!consumed) return parse_fail(err, 0, "not a number (strtod disagrees)");
    if (overflow) return parse_fail(err, 0, "out of range for double");
    *out = v;
    return true;
}
