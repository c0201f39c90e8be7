// json.c: the streaming JSON reader (see json.h). One pass over a fixed buffer: strings that
// lie wholly in the buffer and have no escapes are copied once to the caller's arena; the rest
// are decoded into a string builder on the reader's own arena first. Containers are parsed
// without recursion through an explicit stack of max_depth frames.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE // newlocale, uselocale
#endif
#include "chat/json.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct JsonFrame {
    ChatJson *node; // the open container
    ChatJson *last; // its last child so far
} JsonFrame;

enum { ST_START, ST_FIRST, ST_NEXT, ST_AFTER, ST_DONE };

struct ChatJsonReader {
    AkArena *arena; // owns this struct, the frames, the buffer and (above them) the string builder
    ChatJsonReadFn *read;
    void *user;
    const char *mem;          // in-memory source
    uint64_t mem_len, mem_pos;
    char *buf;
    uint64_t cap, pos, end;   // buf[pos, end) is unread
    uint64_t base;            // input offset of buf[0]
    bool eof, whole, top_array, failed;
    int state;
    uint32_t max_depth;
    uint64_t max_string;
    JsonFrame *stack;
    uint64_t sb_mark;         // arena position where the string builder starts
    char *sb_ptr;
    uint64_t sb_len;
    uint64_t top_open;        // offset of the top-level '['
    uint64_t replaced;
    // The last few long strings of the current item, on the caller's arena: a string equal to
    // one of them shares its bytes instead of a second copy. Claude exports repeat every
    // message's body (`text` and the text block in `content`), so this halves a conversation's
    // tree (the largest 1M-message chat: 22.7 MB of JSON, 10 MB of strings saved). Valid only
    // during one chat_json_next (the caller may pop the arena between items).
    AkStr recent[4];
    uint32_t recent_next;
    uint64_t err_offset;
    char err[320];
};

// 1 for bytes a string can hold as they are: printable ASCII other than '"' and '\'.
static const uint8_t json_plain[256] = {
    ['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   // 0x20..0x2F, '"' is 0x22
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,              // 0x30..0x3F
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,              // 0x40..0x4F
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,              // 0x50..0x5F, '\' is 0x5C
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,              // 0x60..0x6F
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,              // 0x70..0x7F
};

static inline uint64_t rd_off(const ChatJsonReader *r) { return r->base + r->pos; }

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool rd_fail(ChatJsonReader *r, uint64_t at, const char *fmt, ...) {
    if (r->failed) return false; // the first error is the one that counts
    r->failed = true;
    r->err_offset = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return false;
}

// How a byte reads in a message: 'x' when printable ASCII, else its hex value.
static const char *show_byte(int c, char out[24]) {
    if (c < 0) snprintf(out, 24, "the end of input");
    else if (c >= 0x20 && c < 0x7F) snprintf(out, 24, "'%c'", c);
    else snprintf(out, 24, "byte 0x%02X", (unsigned)c);
    return out;
}

static int64_t mem_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    (void)err;
    ChatJsonReader *r = user;
    uint64_t n = AK_MIN(cap, r->mem_len - r->mem_pos);
    if (n) memcpy(buf, r->mem + r->mem_pos, (size_t)n);
    r->mem_pos += n;
    return (int64_t)n;
}

// Makes at least `need` bytes available at pos unless the input ends first (or a read fails,
// which records the error); returns how many are available.
static uint64_t rd_fill(ChatJsonReader *r, uint64_t need) {
    uint64_t have = r->end - r->pos;
    if (have >= need || r->eof || r->failed) return have;
    memmove(r->buf, r->buf + r->pos, (size_t)have);
    r->base += r->pos;
    r->pos = 0;
    r->end = have;
    while (r->end < need && !r->eof) {
        ChatError e = {{0}};
        int64_t got = r->read(r->user, r->buf + r->end, r->cap - r->end, &e);
        if (got < 0) {
            rd_fail(r, r->base + r->end, "read error at byte %llu: %s", (unsigned long long)(r->base + r->end),
                    e.msg[0] ? e.msg : "the source failed");
            r->eof = true;
            break;
        }
        if (got == 0) r->eof = true;
        r->end += (uint64_t)got;
    }
    return r->end - r->pos;
}

static inline int rd_peek(ChatJsonReader *r) {
    if (r->pos < r->end || rd_fill(r, 1)) return (unsigned char)r->buf[r->pos];
    return -1;
}

static void rd_skip_ws(ChatJsonReader *r) {
    for (;;) {
        while (r->pos < r->end) {
            char c = r->buf[r->pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
            r->pos++;
        }
        if (!rd_fill(r, 1)) return;
    }
}

// An end of input where more was needed; a read error already recorded wins.
static bool rd_eof(ChatJsonReader *r, const char *where) {
    uint64_t at = rd_off(r);
    return rd_fail(r, at, "unexpected end of input at byte %llu, %s", (unsigned long long)at, where);
}

// ---- strings ---------------------------------------------------------------------------------

// The valid UTF-8 sequence at s: its length; 0 if invalid (why says how); -1 if the n bytes
// available are a valid start but too few to decide.
static int utf8_check(const uint8_t *s, uint64_t n, const char **why) {
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    int len;
    if (c < 0x80) return 1;
    if (c < 0xC0) { *why = "a continuation byte without a lead byte"; return 0; }
    if (c < 0xC2) { *why = "an overlong encoding"; return 0; }
    if (c < 0xE0) len = 2;
    else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *why = "a byte that never appears in UTF-8";
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((uint64_t)i >= n) return -1;
        uint8_t b = s[i];
        if (b >= (i == 1 ? lo : 0x80) && b <= (i == 1 ? hi : 0xBF)) continue;
        if (i == 1 && b >= 0x80 && b <= 0xBF)
            *why = c == 0xED ? "an encoded surrogate (U+D800..U+DFFF)"
                 : c == 0xF4 ? "a code point above U+10FFFF" : "an overlong encoding";
        else
            *why = "a truncated sequence";
        return 0;
    }
    return len;
}

// Names the bad sequence at buf[i]: the lead byte and the continuation bytes that belong to it.
// The bytes shown must not depend on where a read happened to end, so fill up to 4 first.
static bool utf8_fail(ChatJsonReader *r, uint64_t i, const char *why) {
    r->pos = i;
    uint64_t n = AK_MIN(rd_fill(r, 4), 4), at = rd_off(r);
    const uint8_t *b = (const uint8_t *)r->buf + r->pos;
    uint64_t want = b[0] < 0xC0 || b[0] > 0xF4 ? 1 : b[0] < 0xE0 ? 2 : b[0] < 0xF0 ? 3 : 4;
    char bytes[24];
    snprintf(bytes, sizeof bytes, "%02X", b[0]);
    for (uint64_t k = 1; k < AK_MIN(n, want) && b[k] >= 0x80 && b[k] <= 0xBF; k++)
        snprintf(bytes + strlen(bytes), sizeof bytes - strlen(bytes), " %02X", b[k]);
    return rd_fail(r, at, "invalid UTF-8 at byte %llu: %s is %s", (unsigned long long)at, bytes, why);
}

enum { SCAN_QUOTE, SCAN_ESCAPE, SCAN_MORE, SCAN_BAD };

// Advances *pi over bytes a string holds as they are (checking UTF-8) and says why it stopped.
static int scan_plain(ChatJsonReader *r, uint64_t *pi) {
    const uint8_t *b = (const uint8_t *)r->buf;
    uint64_t i = *pi, e = r->end;
    for (;;) {
        while (i < e && json_plain[b[i]]) i++;
        *pi = i;
        if (i >= e) return SCAN_MORE;
        uint8_t c = b[i];
        if (c == '"') return SCAN_QUOTE;
        if (c == '\\') return SCAN_ESCAPE;
        if (c < 0x20) {
            rd_fail(r, r->base + i, "control character 0x%02X in a string at byte %llu (JSON needs it escaped)",
                    c, (unsigned long long)(r->base + i));
            return SCAN_BAD;
        }
        const char *why = "";
        int k = utf8_check(b + i, e - i, &why);
        if (k > 0) { i += (uint64_t)k; continue; }
        if (k < 0) return SCAN_MORE;
        utf8_fail(r, i, why);
        return SCAN_BAD;
    }
}

static bool sb_append(ChatJsonReader *r, const char *src, uint64_t n) {
    if (!n) return true;
    if (r->sb_len + n > r->max_string)
        return rd_fail(r, rd_off(r), "string longer than %llu bytes at byte %llu",
                       (unsigned long long)r->max_string, (unsigned long long)rd_off(r));
    char *p = ak_arena_push_nz(r->arena, n, 1);
    if (!p) return rd_fail(r, rd_off(r), "out of memory for a string at byte %llu: %s",
                           (unsigned long long)rd_off(r), ak_arena_error(r->arena));
    if (!r->sb_len) r->sb_ptr = p;
    AK_ASSERT(p == r->sb_ptr + r->sb_len, "json reader: string builder is not contiguous");
    memcpy(p, src, (size_t)n);
    r->sb_len += n;
    return true;
}

static void sb_reset(ChatJsonReader *r) {
    ak_arena_pop_to(r->arena, r->sb_mark);
    r->sb_len = 0;
    r->sb_ptr = NULL;
}

enum { RECENT_MIN = 64 }; // shorter strings are not worth a comparison

static bool copy_out(ChatJsonReader *r, AkArena *a, const char *src, uint64_t n, AkStr *out) {
    if (n >= RECENT_MIN) {
        for (uint32_t k = 0; k < AK_ARRAY_COUNT(r->recent); k++) {
            if (r->recent[k].len == n && memcmp(r->recent[k].ptr, src, (size_t)n) == 0) {
                *out = r->recent[k]; // shared: tree strings are read-only views
                return true;
            }
        }
    }
    char *p = ak_arena_push_nz(a, n + 1, 1);
    if (!p) return rd_fail(r, rd_off(r), "out of memory at byte %llu: %s", (unsigned long long)rd_off(r),
                           ak_arena_error(a));
    if (n) memcpy(p, src, (size_t)n);
    p[n] = 0;
    *out = ak_str(p, n);
    if (n >= RECENT_MIN) r->recent[r->recent_next++ % AK_ARRAY_COUNT(r->recent)] = *out;
    return true;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(s[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

// Decodes the escape at pos (a backslash) into the string builder.
static bool decode_escape(ChatJsonReader *r) {
    uint64_t at = rd_off(r);
    if (rd_fill(r, 2) < 2) return rd_eof(r, "inside an escape sequence in a string");
    char c = r->buf[r->pos + 1], ch[24];
    const char *simple = NULL;
    switch (c) {
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case '/': simple = "/"; break;
    case 'b': simple = "\b"; break;
    case 'f': simple = "\f"; break;
    case 'n': simple = "\n"; break;
    case 'r': simple = "\r"; break;
    case 't': simple = "\t"; break;
    case 'u': break;
    default:
        return rd_fail(r, at, "invalid escape in a string at byte %llu: a backslash followed by %s",
                       (unsigned long long)at, show_byte((unsigned char)c, ch));
    }
    if (simple) {
        r->pos += 2;
        return sb_append(r, simple, 1);
    }
    uint64_t have = rd_fill(r, 6);
    int cp = have >= 6 ? hex4(r->buf + r->pos + 2) : -1;
    if (cp < 0) {
        for (uint64_t k = 2; k < have && k < 6; k++)
            if (hex_digit(r->buf[r->pos + k]) < 0) have = 6; // a bad digit, not the end, is the error
        if (have < 6) return rd_eof(r, "inside a \\u escape in a string");
    }
    if (cp < 0) return rd_fail(r, at, "invalid \\u escape at byte %llu (expected 4 hex digits)", (unsigned long long)at);
    uint64_t used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = -1;
        if (rd_fill(r, 12) >= 12 && r->buf[r->pos + 6] == '\\' && r->buf[r->pos + 7] == 'u')
            lo = hex4(r->buf + r->pos + 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        } else {
            cp = 0xFFFD, r->replaced++; // a high surrogate without its low half
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD, r->replaced++; // a low surrogate on its own
    }
    char u[4];
    uint64_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    else
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    r->pos += used;
    return sb_append(r, u, n);
}

// pos is at the opening quote.
static bool parse_string(ChatJsonReader *r, AkArena *a, AkStr *out) {
    uint64_t open = rd_off(r);
    r->pos++;
    uint64_t i = r->pos;
    int st = scan_plain(r, &i);
    if (st == SCAN_BAD) return false;
    if (st == SCAN_QUOTE && i - r->pos <= r->max_string) { // the common case: in the buffer, nothing to decode
        bool ok = copy_out(r, a, r->buf + r->pos, i - r->pos, out);
        r->pos = i + 1;
        return ok;
    }
    r->sb_len = 0;
    for (;;) {
        if (st == SCAN_BAD) break; // (utf8_fail may have moved the buffer: i is stale)
        if (!sb_append(r, r->buf + r->pos, i - r->pos)) break;
        r->pos = i;
        if (st == SCAN_QUOTE) {
            r->pos++;
            bool ok = copy_out(r, a, r->sb_ptr, r->sb_len, out);
            sb_reset(r);
            return ok;
        }
        if (st == SCAN_ESCAPE) {
            if (!decode_escape(r)) break;
        } else {
            uint64_t have = r->end - r->pos;
            if (rd_fill(r, have + 1) <= have) {
                char where[64];
                snprintf(where, sizeof where, "inside a string that opens at byte %llu", (unsigned long long)open);
                rd_eof(r, where);
                break;
            }
        }
        i = r->pos;
        st = scan_plain(r, &i);
    }
    sb_reset(r);
    return false;
}

// ---- numbers and literals ----------------------------------------------------------------------

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool is_numch(char c) { return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

#define NUMBER_OK UINT64_MAX

// Index of the first byte that breaks the RFC 8259 number grammar (n if it ends too early), or
// NUMBER_OK.
static uint64_t number_bad_at(const char *s, uint64_t n) {
    uint64_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n || !is_digit(s[i])) return i;
    if (s[i] == '0') i++;
    else while (i < n && is_digit(s[i])) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i])) return i;
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return i;
        while (i < n && is_digit(s[i])) i++;
    }
    return i == n ? NUMBER_OK : i;
}

static bool parse_number(ChatJsonReader *r, AkArena *a, AkStr *out) {
    uint64_t start = rd_off(r), i = r->pos;
    while (i < r->end && is_numch(r->buf[i])) i++;
    const char *lit;
    uint64_t n;
    bool built = false;
    if (i < r->end || r->eof) {
        lit = r->buf + r->pos, n = i - r->pos;
    } else { // the literal may go on after a refill
        r->sb_len = 0;
        built = true;
        for (;;) {
            if (!sb_append(r, r->buf + r->pos, i - r->pos)) { sb_reset(r); return false; }
            r->pos = i;
            if (i < r->end || !rd_fill(r, 1)) break;
            i = r->pos;
            while (i < r->end && is_numch(r->buf[i])) i++;
        }
        lit = r->sb_ptr, n = r->sb_len;
    }
    uint64_t bad = number_bad_at(lit, n);
    bool ok;
    if (bad != NUMBER_OK)
        ok = rd_fail(r, start + bad, "invalid number '%.*s' at byte %llu", (int)AK_MIN(n, 40), lit,
                     (unsigned long long)(start + bad));
    else
        ok = copy_out(r, a, lit, n, out);
    if (built) sb_reset(r);
    else r->pos = i;
    return ok;
}

static bool parse_literal(ChatJsonReader *r, ChatJson *v) {
    uint64_t at = rd_off(r);
    char c = r->buf[r->pos];
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    uint64_t n = strlen(word), have = rd_fill(r, n);
    for (uint64_t k = 0; k < n; k++) {
        if (k >= have) return rd_eof(r, "inside a literal (true, false or null)");
        if (r->buf[r->pos + k] != word[k]) {
            char ch[24];
            return rd_fail(r, at + k, "invalid literal at byte %llu: %s where '%s' was expected",
                           (unsigned long long)(at + k), show_byte((unsigned char)r->buf[r->pos + k], ch), word);
        }
    }
    r->pos += n;
    v->kind = c == 't' ? CHAT_JSON_TRUE : c == 'f' ? CHAT_JSON_FALSE : CHAT_JSON_NULL;
    return true;
}

// ---- values ----------------------------------------------------------------------------------

// After '{' or ',' in an object: the key, the colon, and whitespace up to the value.
static bool parse_key(ChatJsonReader *r, AkArena *a, AkStr *key, uint64_t *key_off, bool first) {
    rd_skip_ws(r);
    int c = rd_peek(r);
    if (c != '"') {
        if (c < 0) return rd_eof(r, "where an object key was expected");
        char ch[24];
        return rd_fail(r, rd_off(r), "expected %s at byte %llu, found %s", first ? "a string key or '}'" : "a string key",
                       (unsigned long long)rd_off(r), show_byte(c, ch));
    }
    *key_off = rd_off(r);
    if (!parse_string(r, a, key)) return false;
    rd_skip_ws(r);
    c = rd_peek(r);
    if (c != ':') {
        if (c < 0) return rd_eof(r, "where ':' was expected after an object key");
        char ch[24];
        return rd_fail(r, rd_off(r), "expected ':' after an object key at byte %llu, found %s",
                       (unsigned long long)rd_off(r), show_byte(c, ch));
    }
    r->pos++;
    return true;
}

// Parses one value whose container depth starts at `depth` (1 for the top level). *root is set
// as soon as the value starts, so a failure leaves the partial tree reachable.
static bool parse_value(ChatJsonReader *r, AkArena *a, uint32_t depth, ChatJson **root) {
    uint32_t sp = 0;
    AkStr key = {0};
    uint64_t key_off = 0;
    bool has_key = false;
    *root = NULL;
    for (;;) {
        rd_skip_ws(r);
        int c = rd_peek(r);
        uint64_t at = rd_off(r);
        if (c < 0) return rd_eof(r, "where a value was expected");
        ChatJson *v = ak_push_struct(a, ChatJson);
        if (!v) return rd_fail(r, at, "out of memory at byte %llu: %s", (unsigned long long)at, ak_arena_error(a));
        v->offset = at;
        v->key_offset = has_key ? key_off : at;
        if (has_key) v->key = key;
        if (sp) {
            JsonFrame *f = &r->stack[sp - 1];
            if (f->last) f->last->next = v;
            else f->node->child = v;
            f->last = v;
            f->node->count++;
        } else {
            *root = v;
        }
        switch (c) {
        case '{':
        case '[':
            if (depth + sp > r->max_depth)
                return rd_fail(r, at, "nesting deeper than %u levels at byte %llu", r->max_depth, (unsigned long long)at);
            v->kind = c == '{' ? CHAT_JSON_OBJECT : CHAT_JSON_ARRAY;
            r->pos++;
            r->stack[sp++] = (JsonFrame){v, NULL};
            rd_skip_ws(r);
            if (rd_peek(r) == (c == '{' ? '}' : ']')) {
                r->pos++;
                sp--;
                break; // an empty container: complete at once
            }
            if (c == '{') {
                if (!parse_key(r, a, &key, &key_off, true)) return false;
                has_key = true;
            } else {
                has_key = false;
            }
            continue;
        case '"':
            v->kind = CHAT_JSON_STRING;
            if (!parse_string(r, a, &v->str)) return false;
            break;
        case 't':
        case 'f':
        case 'n':
            if (!parse_literal(r, v)) return false;
            break;
        default:
            if (c == '-' || is_digit((char)c)) {
                v->kind = CHAT_JSON_NUMBER;
                if (!parse_number(r, a, &v->str)) return false;
                break;
            }
            char ch[24];
            return rd_fail(r, at, "expected a value at byte %llu, found %s", (unsigned long long)at, show_byte(c, ch));
        }
        // A value is complete: close finished containers and find the next value.
        for (;;) {
            if (!sp) return true;
            JsonFrame *f = &r->stack[sp - 1];
            bool obj = f->node->kind == CHAT_JSON_OBJECT;
            rd_skip_ws(r);
            c = rd_peek(r);
            if (c == ',') {
                r->pos++;
                if (obj) {
                    if (!parse_key(r, a, &key, &key_off, false)) return false;
                    has_key = true;
                } else {
                    has_key = false;
                }
                break;
            }
            if (c == (obj ? '}' : ']')) {
                r->pos++;
                sp--;
                continue;
            }
            char where[96];
            snprintf(where, sizeof where, "inside the %s that opens at byte %llu", obj ? "object" : "array",
                     (unsigned long long)f->node->offset);
            if (c < 0) return rd_eof(r, where);
            char ch[24];
            return rd_fail(r, rd_off(r), "expected ',' or '%c' at byte %llu, found %s (%s)", obj ? '}' : ']',
                           (unsigned long long)rd_off(r), show_byte(c, ch), where);
        }
    }
}

// ---- the reader ------------------------------------------------------------------------------

ChatJsonReader *chat_json_reader_create_with(ChatError *err, ChatJsonParams p) {
    uint64_t bufsz = p.buffer_size ? AK_MAX(p.buffer_size, 64) : CHAT_JSON_DEFAULT_BUFFER;
    uint32_t depth = p.max_depth ? p.max_depth : CHAT_JSON_DEFAULT_DEPTH;
    uint64_t max_string = p.max_string ? p.max_string : CHAT_JSON_DEFAULT_MAX_STRING;
    // FIXED: the string builder needs contiguous pushes, so the arena must never chain.
    uint64_t reserve = AK_ALIGN_UP(sizeof(ChatJsonReader) + depth * sizeof(JsonFrame) + bufsz + max_string + AK_KB(64),
                                   AK_KB(64));
    AkArena *arena = ak_arena_create_with((AkArenaParams){
        .reserve = reserve, .flags = AK_ARENA_FIXED, .name = "json reader", .loc = AK_HERE});
    if (!arena) {
        chat_fail(err, "cannot create the JSON reader's arena: %s", ak_arena_last_create_error());
        return NULL;
    }
    ChatJsonReader *r = ak_push_struct(arena, ChatJsonReader);
    JsonFrame *stack = r ? ak_push_array(arena, JsonFrame, depth) : NULL;
    char *buf = stack ? ak_push_array_nz(arena, char, bufsz) : NULL;
    if (!buf) {
        chat_fail(err, "cannot allocate the JSON reader's buffers: %s", ak_arena_error(arena));
        ak_arena_release(arena);
        return NULL;
    }
    r->arena = arena;
    r->stack = stack;
    r->buf = buf;
    r->cap = bufsz;
    r->max_depth = depth;
    r->max_string = max_string;
    r->whole = p.whole;
    r->read = p.read ? p.read : mem_read;
    r->user = p.read ? p.user : r;
    r->mem = p.data;
    r->mem_len = p.data ? p.len : 0;
    r->sb_mark = ak_arena_pos(arena);
    r->state = ST_START;
    return r;
}

void chat_json_reader_release(ChatJsonReader *r) {
    if (r) ak_arena_release(r->arena);
}

void chat_json_reader_restart(ChatJsonReader *r, ChatJsonReadFn *read, void *user, const char *data, uint64_t len) {
    ak_arena_pop_to(r->arena, r->sb_mark); // the string builder's bytes; struct, frames, buffer stay
    r->read = read ? read : mem_read;
    r->user = read ? user : r;
    r->mem = data, r->mem_len = data ? len : 0, r->mem_pos = 0;
    r->pos = r->end = r->base = 0;
    r->eof = r->top_array = r->failed = false;
    r->state = ST_START;
    r->sb_ptr = NULL, r->sb_len = 0;
    r->top_open = r->replaced = r->err_offset = 0;
    r->err[0] = 0;
}

ChatJsonStep chat_json_next(ChatJsonReader *r, AkArena *a, ChatJson **out) {
    ChatJson *dummy;
    if (!out) out = &dummy;
    *out = NULL;
    memset(r->recent, 0, sizeof r->recent); // the last item's strings may be popped by now
    for (;;) {
        if (r->failed) return CHAT_JSON_ERROR;
        char ch[24];
        int c;
        switch (r->state) {
        case ST_START:
            if (rd_fill(r, 3) >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0) r->pos += 3;
            rd_skip_ws(r);
            c = rd_peek(r);
            if (c < 0) {
                if (rd_off(r) == 0) rd_fail(r, 0, "empty file");
                else rd_fail(r, rd_off(r), "no JSON value: the input is only whitespace (%llu bytes)",
                             (unsigned long long)rd_off(r));
                continue;
            }
            if (c == '[' && !r->whole) {
                r->top_array = true;
                r->top_open = rd_off(r);
                r->pos++;
                r->state = ST_FIRST;
                continue;
            }
            if (c != '{' && !r->whole) {
                rd_fail(r, rd_off(r), "not a JSON array or object: %s at byte %llu (expected '[' or '{')",
                        show_byte(c, ch), (unsigned long long)rd_off(r));
                continue;
            }
            r->top_array = c == '[';
            r->state = ST_AFTER;
            if (!parse_value(r, a, 1, out) || r->failed) return CHAT_JSON_ERROR;
            return CHAT_JSON_ITEM;
        case ST_FIRST:
        case ST_NEXT:
            rd_skip_ws(r);
            c = rd_peek(r);
            if (c == ']') {
                r->pos++;
                r->state = ST_AFTER;
                continue;
            }
            if (c < 0) {
                char where[80];
                snprintf(where, sizeof where, "inside the top-level array that opens at byte %llu",
                         (unsigned long long)r->top_open);
                rd_eof(r, where);
                continue;
            }
            if (r->state == ST_NEXT) {
                if (c != ',') {
                    rd_fail(r, rd_off(r), "expected ',' or ']' after an element of the top-level array at byte %llu, found %s",
                            (unsigned long long)rd_off(r), show_byte(c, ch));
                    continue;
                }
                r->pos++;
            }
            r->state = ST_NEXT;
            // r->failed too: a read error right after a complete number leaves it in doubt
            if (!parse_value(r, a, 2, out) || r->failed) return CHAT_JSON_ERROR;
            return CHAT_JSON_ITEM;
        case ST_AFTER:
            rd_skip_ws(r);
            c = rd_peek(r);
            if (c >= 0) {
                rd_fail(r, rd_off(r), "unexpected data after the top-level value at byte %llu: %s",
                        (unsigned long long)rd_off(r), show_byte(c, ch));
                continue;
            }
            if (r->failed) continue; // a read error, not the end
            r->state = ST_DONE;
            return CHAT_JSON_END;
        default:
            return CHAT_JSON_END;
        }
    }
}

const char *chat_json_error(const ChatJsonReader *r) { return r->failed ? r->err : ""; }
uint64_t chat_json_error_offset(const ChatJsonReader *r) { return r->err_offset; }
uint64_t chat_json_offset(const ChatJsonReader *r) { return rd_off(r); }
uint64_t chat_json_replaced(const ChatJsonReader *r) { return r->replaced; }
bool chat_json_top_is_array(const ChatJsonReader *r) { return r->top_array; }

ChatJson *chat_json_parse(AkArena *arena, const char *data, uint64_t len, ChatError *err) {
    // No string can be longer than the document: a small reserve keeps creation cheap.
    ChatJsonReader *r = chat_json_reader_create(err, .data = data, .len = len, .whole = true, .max_string = AK_MAX(len, 64),
                                                .buffer_size = AK_MIN(AK_MAX(len, 64), CHAT_JSON_DEFAULT_BUFFER));
    if (!r) return NULL;
    ChatJson *v = NULL;
    bool ok = chat_json_next(r, arena, &v) == CHAT_JSON_ITEM && chat_json_next(r, arena, NULL) == CHAT_JSON_END;
    if (!ok) chat_fail(err, "%s", chat_json_error(r));
    chat_json_reader_release(r);
    return ok ? v : NULL;
}

// ---- reading a tree --------------------------------------------------------------------------

const char *chat_json_kind_name(ChatJsonKind kind) {
    static const char *const names[] = {"null", "boolean", "boolean", "number", "string", "array", "object"};
    return (unsigned)kind < AK_ARRAY_COUNT(names) ? names[kind] : "?";
}

const ChatJson *chat_json_get_key(const ChatJson *obj, AkStr key) {
    const ChatJson *found = NULL;
    if (!obj || obj->kind != CHAT_JSON_OBJECT) return NULL;
    for (const ChatJson *m = obj->child; m; m = m->next)
        if (ak_str_eq(m->key, key)) found = m;
    return found;
}

double chat_json_num(const ChatJson *v) {
    if (!v || v->kind != CHAT_JSON_NUMBER) return 0;
    // strtod follows LC_NUMERIC, which a program may have set (a ',' decimal point would cut
    // "1.5" to 1); parse in the C locale. glibc returns a static object for "C" (no malloc).
    static _Thread_local locale_t c_locale;
    if (!c_locale) c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    double d = strtod(v->str.ptr, NULL); // the literal is validated and NUL-terminated
    if (c_locale) uselocale(old);
    return d;
}

static const char json_hex[] = "0123456789abcdef";

// Writes s as a JSON string into out (if not NULL); returns the length either way.
static uint64_t write_str(char *out, AkStr s) {
    uint64_t n = 0;
#define PUT(ch) do { if (out) out[n] = (ch); n++; } while (0)
    PUT('"');
    for (uint64_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (esc) {
            PUT(esc[0]);
            PUT(esc[1]);
        } else if (c < 0x20) {
            PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(json_hex[c >> 4]); PUT(json_hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    return n;
}

static uint64_t write_value(char *out, const ChatJson *v) {
    uint64_t n = 0;
    switch (v->kind) {
    case CHAT_JSON_NULL: if (out) memcpy(out, "null", 4); return 4;
    case CHAT_JSON_TRUE: if (out) memcpy(out, "true", 4); return 4;
    case CHAT_JSON_FALSE: if (out) memcpy(out, "false", 5); return 5;
    case CHAT_JSON_NUMBER: if (out) memcpy(out, v->str.ptr, (size_t)v->str.len); return v->str.len;
    case CHAT_JSON_STRING: return write_str(out, v->str);
    case CHAT_JSON_ARRAY:
    case CHAT_JSON_OBJECT: {
        bool obj = v->kind == CHAT_JSON_OBJECT;
        if (out) out[n] = obj ? '{' : '[';
        n++;
        for (const ChatJson *c = v->child; c; c = c->next) {
            if (c != v->child) {
                if (out) out[n] = ',';
                n++;
            }
            if (obj) {
                n += write_str(out ? out + n : NULL, c->key);
                if (out) out[n] = ':';
                n++;
            }
            n += write_value(out ? out + n : NULL, c); // depth is bounded by the parser's limit
        }
        if (out) out[n] = obj ? '}' : ']';
        return n + 1;
    }
    }
    return 0;
}

AkStr chat_json_write(AkArena *arena, const ChatJson *v) {
    if (!v) return ak_str("", 0);
    uint64_t n = write_value(NULL, v);
    char *p = ak_arena_push_nz(arena, n + 1, 1);
    if (!p) return ak_str("", 0);
    write_value(p, v);
    p[n] = 0;
    return ak_str(p, n);
}
