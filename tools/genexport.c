/*
 * genexport: writes synthetic Claude.ai and ChatGPT data exports of any size.
 *
 * Tests and benchmarks of the chatlog importer need exports from a few KB to hundreds of
 * MB that look like the real thing: the same keys, nesting and kinds of values as the
 * fixtures in /work/shared/samples (see EXPORTS.md and samples/README.md there), with the
 * quirks real vendors produce (branches, hidden messages, non-text content, \u escapes,
 * odd key orders, huge conversations).  Real exports cannot ship with the tests, so this
 * tool fakes them and writes a manifest of the counts a correct importer must report.
 *
 * The output is a pure function of the arguments (own PRNG, no clock, no rand()), so a
 * failing test or a benchmark can be reproduced byte for byte.  Memory stays small and
 * constant: text is generated from per-message seeds straight into the output buffer,
 * and only the skeleton of one conversation (ids, links, seeds) is held at a time.
 *
 *   genexport --format claude|chatgpt --chats N [--seed S] [--out PATH]
 *             [--shard-chats K] [--target-mb M] [--manifest PATH] [--minify]
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rng_below((r), (uint32_t)COUNT(a))])

/* ------------------------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed, xoshiro256** to draw.  Every chat and every message body    */
/* gets its own stream derived from the master seed, so structure never depends on the  */
/* size scale and a body can be regenerated identically (Claude repeats text bodies).    */

typedef struct {
    uint64_t s[4];
} Rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t mix2(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ULL);
    splitmix64(&x);
    return splitmix64(&x);
}

static void rng_seed(Rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(Rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return out;
}

static uint32_t rng_below(Rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static int64_t rng_range(Rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int rng_pct(Rng *r, double pct)
{
    return (double)(rng_next(r) >> 11) * (100.0 / 9007199254740992.0) < pct;
}

/* ------------------------------------------------------------------------------------ */
/* Time: 100 ns ticks since the Unix epoch, enough for ChatGPT's 7 fractional digits.    */

#define TICKS_PER_SEC 10000000LL
#define SEC(x) ((int64_t)(x) * TICKS_PER_SEC)

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static int64_t date_ticks(int y, unsigned m, unsigned d)
{
    return SEC(days_from_civil(y, m, d) * 86400);
}

static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* Claude: ISO 8601 with microseconds and Z, e.g. 2025-06-03T19:40:05.471002Z. */
static void fmt_iso(int64_t t, char *buf)
{
    int64_t secs = t / TICKS_PER_SEC, rem = secs % 86400;
    int y;
    unsigned m, d;
    civil_from_days(secs / 86400, &y, &m, &d);
    char *p = put_digits(buf, (unsigned)y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, (unsigned)(rem / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(rem / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(rem % 60), 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)((t / 10) % 1000000), 6);
    *p++ = 'Z';
    *p = 0;
}

/* ChatGPT: epoch seconds as Python's repr prints them, trailing zeros trimmed. */
static void fmt_epoch(int64_t t, int digits, char *buf, size_t n)
{
    int64_t secs = t / TICKS_PER_SEC;
    long frac = (long)(t % TICKS_PER_SEC);
    int width = 7;
    if (digits == 6) {
        frac /= 10;
        width = 6;
    }
    while (width > 1 && frac % 10 == 0) {
        frac /= 10;
        width--;
    }
    snprintf(buf, n, "%" PRId64 ".%0*ld", secs, width, frac);
}

/* ------------------------------------------------------------------------------------ */
/* UUIDs: lowercase 8-4-4-4-12 from PRNG bits, with the version the vendor uses.        */

typedef struct {
    uint64_t hi, lo;
} Uuid;

static Uuid uuid_v4(Rng *r)
{
    Uuid u;
    u.hi = rng_next(r); /* two statements: initializer order is unspecified in C */
    u.lo = rng_next(r);
    u.hi = (u.hi & ~0xF000ULL) | 0x4000ULL;
    u.lo = (u.lo & ~(3ULL << 62)) | (2ULL << 62);
    return u;
}

/* UUIDv7 (Claude 2025+ message ids): 48-bit millisecond timestamp up front. */
static Uuid uuid_v7(Rng *r, int64_t t)
{
    Uuid u = uuid_v4(r);
    uint64_t ms = (uint64_t)(t / 10000);
    u.hi = (ms << 16) | (u.hi & 0x0FFFULL) | 0x7000ULL;
    return u;
}

/* ChatGPT conversation ids: unix seconds in the first 8 hex digits, version nibble 8. */
static Uuid uuid_v8_time(Rng *r, int64_t t)
{
    Uuid u = uuid_v4(r);
    uint64_t secs = (uint64_t)(t / TICKS_PER_SEC) & 0xFFFFFFFFULL;
    u.hi = (secs << 32) | (u.hi & 0xFFFF0FFFULL) | 0x8000ULL;
    return u;
}

/* ChatGPT classic node ids: roots start with aaa1, user messages with aaa2. */
static Uuid uuid_prefixed(Rng *r, unsigned prefix)
{
    Uuid u = uuid_v4(r);
    u.hi = ((uint64_t)prefix << 48) | (u.hi & 0x0000FFFFFFFFFFFFULL);
    return u;
}

static void fmt_uuid(Uuid u, char *buf)
{
    snprintf(buf, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
             (uint64_t)(u.hi >> 32), (uint64_t)((u.hi >> 16) & 0xFFFF), (uint64_t)(u.hi & 0xFFFF),
             (uint64_t)(u.lo >> 48), (uint64_t)(u.lo & 0xFFFFFFFFFFFFULL));
}

static void fmt_alnum(Rng *r, char *buf, int n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < n; i++)
        buf[i] = set[rng_below(r, 62)];
    buf[n] = 0;
}

static void fmt_hex(Rng *r, char *buf, int n)
{
    for (int i = 0; i < n; i++)
        buf[i] = "0123456789abcdef"[rng_below(r, 16)];
    buf[n] = 0;
}

/* ------------------------------------------------------------------------------------ */
/* JSON writer: buffered, streaming, pretty (indent 2, like the samples) or minified.    */
/* It counts every byte so --target-mb can be solved and the manifest can report size.  */

#define WBUF (1u << 16)
#define MAXDEPTH 32

typedef struct {
    FILE *fp; /* NULL: count only (sizing passes) */
    int pretty;
    int ascii, slash; /* escaping mode, see w_mode() */
    int scaled; /* nonzero while writing text whose length follows the size scale */
    uint64_t bytes, scaled_bytes;
    int depth;
    unsigned char is_arr[MAXDEPTH];
    uint32_t count[MAXDEPTH];
    int ioerr;
    unsigned char safe[256]; /* byte can be copied into a JSON string as is */
    size_t used;
    char buf[WBUF];
} Writer;

/* ascii: write non-ASCII as \uXXXX (surrogate pairs above U+FFFF), like ensure_ascii;
 * slash: write / as \/, as some PHP-made exports do. */
static void w_mode(Writer *w, int ascii, int slash)
{
    w->ascii = ascii;
    w->slash = slash;
    for (int c = 0; c < 256; c++)
        w->safe[c] = c >= 0x20 && c != '"' && c != '\\' && !(ascii && c >= 0x80) &&
                     !(slash && c == '/');
}

static void w_flush(Writer *w)
{
    if (w->fp && w->used && fwrite(w->buf, 1, w->used, w->fp) != w->used)
        w->ioerr = 1;
    w->used = 0;
}

static void w_raw(Writer *w, const char *s, size_t n)
{
    w->bytes += n;
    if (w->scaled)
        w->scaled_bytes += n;
    if (!w->fp)
        return;
    if (n > WBUF - w->used) {
        w_flush(w);
        if (n > WBUF) {
            if (fwrite(s, 1, n, w->fp) != n)
                w->ioerr = 1;
            return;
        }
    }
    memcpy(w->buf + w->used, s, n);
    w->used += n;
}

static void w_u16(Writer *w, unsigned v)
{
    char b[6] = { '\\', 'u' };
    for (int i = 0; i < 4; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (12 - 4 * i)) & 15];
    w_raw(w, b, 6);
}

/* Escapes one unsafe character at p and returns how many bytes it used.  Input text is
 * generated here and always valid UTF-8. */
static size_t w_esc_one(Writer *w, const unsigned char *p, const unsigned char *end)
{
    unsigned c = *p;
    if (c < 0x80) {
        static const char shortform[] = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['\b'] = 'b',
                                          ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };
        if (c < sizeof shortform && shortform[c]) {
            char b[2] = { '\\', shortform[c] };
            w_raw(w, b, 2);
        } else {
            w_u16(w, c);
        }
        return 1;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if ((size_t)(end - p) < len)
        len = (size_t)(end - p);
    unsigned cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    if (cp >= 0x10000) {
        cp -= 0x10000;
        w_u16(w, 0xD800 + (cp >> 10));
        w_u16(w, 0xDC00 + (cp & 0x3FF));
    } else {
        w_u16(w, cp);
    }
    return len;
}

/* Whether any of 8 bytes needs escaping (SWAR byte tests: below 0x20, quote, backslash,
 * and per mode non-ASCII or slash).  Text is mostly plain, so this skips it quickly. */
static int word_unsafe(const Writer *w, uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t bad = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b);
    if (w->ascii)
        bad |= x;
    if (w->slash) {
        uint64_t sl = x ^ (ones * '/');
        bad |= (sl - ones) & ~sl;
    }
    return (bad & highs) != 0;
}

static void w_esc(Writer *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *q = p;
        uint64_t x;
        while (end - q >= 8 && (memcpy(&x, q, 8), !word_unsafe(w, x)))
            q += 8;
        while (q < end && w->safe[*q])
            q++;
        if (q > p)
            w_raw(w, (const char *)p, (size_t)(q - p));
        if (q == end)
            break;
        p = q + w_esc_one(w, q, end);
    }
}

static void w_newline(Writer *w)
{
    static const char spaces[] = "                                                                ";
    if (!w->pretty)
        return;
    w_raw(w, "\n", 1);
    size_t n = (size_t)w->depth * 2;
    w_raw(w, spaces, n < sizeof spaces - 1 ? n : sizeof spaces - 1);
}

static void w_pre_value(Writer *w)
{
    if (w->depth == 0 || !w->is_arr[w->depth - 1])
        return;
    if (w->count[w->depth - 1]++)
        w_raw(w, ",", 1);
    w_newline(w);
}

static void w_open(Writer *w, int arr)
{
    w_pre_value(w);
    w_raw(w, arr ? "[" : "{", 1);
    w->is_arr[w->depth] = (unsigned char)arr;
    w->count[w->depth] = 0;
    w->depth++;
}

static void w_close(Writer *w)
{
    w->depth--;
    if (w->count[w->depth])
        w_newline(w);
    w_raw(w, w->is_arr[w->depth] ? "]" : "}", 1);
}

static void w_key(Writer *w, const char *k)
{
    if (w->count[w->depth - 1]++)
        w_raw(w, ",", 1);
    w_newline(w);
    w_raw(w, "\"", 1);
    w_esc(w, k, strlen(k));
    if (w->pretty)
        w_raw(w, "\": ", 3);
    else
        w_raw(w, "\":", 2);
}

static void w_lit(Writer *w, const char *s)
{
    w_pre_value(w);
    w_raw(w, s, strlen(s));
}

static void w_int(Writer *w, long long v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", v);
    w_pre_value(w);
    w_raw(w, b, (size_t)n);
}

static void w_str(Writer *w, const char *s)
{
    w_pre_value(w);
    w_raw(w, "\"", 1);
    w_esc(w, s, strlen(s));
    w_raw(w, "\"", 1);
}

/* ------------------------------------------------------------------------------------ */
/* Text sink: the body generators write here.  It counts raw bytes (to stop at a target */
/* length) and, when attached to a writer, escapes them into the JSON string.           */

typedef struct {
    Writer *w; /* NULL: only count */
    size_t n;
    size_t staged; /* generators emit words; escaping them in bulk is much cheaper */
    char stage[4096];
} Sink;

/* Only whole strings are staged, so a UTF-8 sequence is never split between flushes. */
static void sink_flush(Sink *k)
{
    if (k->w && k->staged)
        w_esc(k->w, k->stage, k->staged);
    k->staged = 0;
}

static void put(Sink *k, const char *s, size_t n)
{
    k->n += n;
    if (!k->w)
        return;
    if (n > sizeof k->stage - k->staged) {
        sink_flush(k);
        if (n > sizeof k->stage) {
            w_esc(k->w, s, n);
            return;
        }
    }
    memcpy(k->stage + k->staged, s, n);
    k->staged += n;
}

static void putz(Sink *k, const char *s)
{
    put(k, s, strlen(s));
}

static void putf(Sink *k, const char *fmt, ...)
{
    char b[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(k, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

/* Several strings in a row, NULL-terminated: cheaper than printf on the hot path. */
static void putv(Sink *k, ...)
{
    va_list ap;
    va_start(ap, k);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        putz(k, s);
    va_end(ap);
}

/* Sentences start with a capital even when the subject is "the arena". */
static void put_cap(Sink *k, const char *s)
{
    if (*s >= 'a' && *s <= 'z') {
        char c = (char)(*s - 'a' + 'A');
        put(k, &c, 1);
        s++;
    }
    putz(k, s);
}

/* ------------------------------------------------------------------------------------ */
/* Word pools.  The marker word is built from letters none of these contain in a row   */
/* ("zq..."), so it can only ever appear in the one conversation that carries it.       */

typedef struct {
    const char *base, *third;
} Verb;

static const char *const SUBJECTS[] = {
    "the arena", "the allocator", "this function", "the free list", "the kernel", "SQLite",
    "the WAL file", "the parser", "your loop", "the benchmark", "the page cache",
    "the hash table", "the importer", "each worker thread", "the compiler", "the linker",
    "Valgrind", "AddressSanitizer", "the scheduler", "the build script", "the ring buffer",
    "the bump pointer", "the slab cache", "mmap", "the JSON reader", "the tokenizer",
    "the query planner", "the B-tree", "the checkpoint", "the test harness", "the CI job",
    "the profiler", "the string table", "the FTS index", "the cache line", "the TLSF heap",
    "the scratch arena", "the export", "the migration", "the prepared statement",
};
static const Verb VERBS[] = {
    { "reserve", "reserves" }, { "commit", "commits" },   { "return", "returns" },
    { "free", "frees" },       { "copy", "copies" },      { "align", "aligns" },
    { "round up", "rounds up" }, { "check", "checks" },   { "skip", "skips" },
    { "allocate", "allocates" }, { "map", "maps" },       { "flush", "flushes" },
    { "parse", "parses" },     { "reject", "rejects" },   { "cache", "caches" },
    { "lock", "locks" },       { "read", "reads" },       { "write", "writes" },
    { "touch", "touches" },    { "measure", "measures" }, { "reset", "resets" },
    { "grow", "grows" },       { "shrink", "shrinks" },   { "scan", "scans" },
    { "hash", "hashes" },      { "validate", "validates" }, { "decode", "decodes" },
    { "merge", "merges" },     { "split", "splits" },     { "pin", "pins" },
    { "evict", "evicts" },     { "reuse", "reuses" },     { "zero", "zeroes" },
    { "truncate", "truncates" }, { "stream", "streams" }, { "index", "indexes" },
};
static const char *const OBJECTS[] = {
    "the next block", "a 64-byte chunk", "every page", "the whole range", "the header",
    "the pointer", "a checkpoint", "the index", "the buffer", "the remaining bytes",
    "the first free slot", "the stack frame", "the size class", "the old mapping",
    "the journal", "each record", "the temporary string", "the file descriptor", "the row",
    "the commit mark", "the guard page", "the last token", "the UTF-8 sequence",
    "the surrogate pair", "the escape", "the whole document", "the transaction",
    "the free count", "both halves", "the second-level index", "the mapping tree",
    "the current node", "every branch", "the parent link", "the hidden message",
};
static const char *const TAILS[] = {
    "before the first write", "on every call", "when the mark is popped", "without a syscall",
    "in constant time", "after the loop ends", "under contention", "only once per frame",
    "if the size overflows", "when the process exits", "at startup", "on the hot path",
    "behind a mutex", "for each shard", "in the worst case", "when the cache is cold",
    "with the default settings", "on 32-bit targets", "when alignment is 16",
    "inside the transaction", "if the input is truncated",
    "while a reader holds a snapshot", "across a fork", "after a failed realloc",
    "on a 420 MB export", "for every conversation", "before the import commits",
};
static const char *const OPENERS[] = {
    "", "", "", "", "", "In practice, ", "Note that ", "By default, ", "On Linux, ",
    "Usually ", "If you profile it, ", "First, ", "Then ", "Finally, ", "As a rule, ",
    "In your case, ", "Under ASan, ", "On macOS, ", "With -O2, ", "Crucially, ",
    "For what it's worth, ", "In the trace you posted, ",
};
static const char *const CONNECTORS[] = {
    ", so ", ", but ", ", because ", ", and then ", "; otherwise ", ", which means ", ", while ",
};
static const char *const IDENTS[] = {
    "arena_push", "arena_pop_to", "MAP_NORESERVE", "PRAGMA wal_autocheckpoint", "size_t",
    "uintptr_t", "madvise", "mprotect", "sqlite3_step", "json_parse", "memcpy",
    "aligned_alloc", "__builtin_ctzll", "-fsanitize=address", "errno", "EINTR", "O_DIRECT",
    "posix_memalign", "valgrind --leak-check=full", "current_node", "parent_message_uuid",
    "chat_messages", "MADV_DONTNEED", "sysconf(_SC_PAGESIZE)", "alignof(max_align_t)",
};
static const char *const UNITS[] = { "bytes", "KB", "ms", "ns", "pages", "allocations", "rows" };
static const char *const SHORT_REPLIES[] = {
    "thanks!", "ok", "that fixed it", "and on Windows?", "can you shorten that?", "why?",
    "same error", "perfect, thank you", "hmm, still crashes", "what about 32-bit?",
    "go on", "yes", "no, the other one", "makes sense", "can you explain step 2?",
    "that's wrong, the size is unsigned", "ok and in Python?", "nice \U0001F680",
};
static const char *const HEADINGS[] = {
    "Why it happens", "The fix", "Alignment", "Benchmark results", "Summary",
    "Step 1: reproduce", "Step 2: measure", "Trade-offs", "Example", "Caveats",
    "Testing it", "How the WAL grows", "What the kernel does", "Edge cases", "Next steps",
};
static const char *const THINK_OPENERS[] = {
    "", "", "Let me think: ", "Wait, ", "Actually, ", "So ", "Hmm, ", "The person asks whether ",
    "Let me check whether ", "I should verify that ",
};

/* Non-Latin text.  Lang 0 is English; 1..5 are whole sentences in other scripts; 6 is */
/* English full of emoji, ZWJ sequences and combining marks.                            */
enum { L_EN, L_JA, L_RU, L_AR, L_EL, L_ZH, L_EMOJI, L_COUNT };

static const char *const JA[] = {
    "アリーナアロケータは確保したメモリをまとめて解放します。",
    "このコードでは境界合わせが16バイトになっています。",
    "SQLiteのWALファイルはチェックポイントまで大きくなります。",
    "解放後のポインタを使うと未定義動作になります。",
    "スレッドごとにアリーナを分けるとロックの競合がなくなります。",
    "テストはすべて通りましたが、ベンチマークが遅いです。",
    "mmapで予約した領域は触るまで物理メモリを使いません。",
    "なぜこの関数はNULLを返すのですか？",
    "エクスポートのファイルが大きすぎて読み込めません。",
};
static const char *const RU[] = {
    "Арена освобождает всю память одним сбросом указателя.",
    "Выравнивание здесь должно быть степенью двойки.",
    "Файл WAL растёт, пока читатель держит снимок.",
    "Проверьте, не переполняется ли размер при умножении.",
    "Почему этот тест падает только в сборке Release?",
    "Спасибо, теперь всё работает!",
    "Используйте отдельную арену для каждого потока.",
    "Это классическое использование памяти после освобождения.",
    "Импорт «успешно» завершился, но чатов ноль.",
};
static const char *const AR[] = {
    "هذا استخدام للذاكرة بعد تحريرها.",
    "فعّل ASan لتكتشف الخطأ فورًا.",
    "يجب أن تكون المحاذاة قوة للعدد اثنين.",
    "لماذا يفشل هذا الاختبار على لينكس فقط؟",
    "ملف WAL يكبر حتى تنتهي القراءة.",
    "شكرًا، الآن يعمل كل شيء.",
    "الملف كبير جدًا ولا يمكن تحميله في الذاكرة.",
};
static const char *const EL[] = {
    "Η αρένα απελευθερώνει όλη τη μνήμη με μία επαναφορά.",
    "Γιατί αυτή η συνάρτηση επιστρέφει NULL;",
    "Η στοίχιση πρέπει να είναι δύναμη του δύο.",
    "Ευχαριστώ, τώρα δουλεύει!",
    "Το αρχείο WAL μεγαλώνει όσο υπάρχει ανοιχτή ανάγνωση.",
    "Ο δείκτης δείχνει σε μνήμη που έχει ήδη ελευθερωθεί.",
};
static const char *const ZH[] = {
    "竞技场分配器一次性释放所有内存。",
    "为什么这个函数返回空指针？",
    "对齐必须是二的幂。",
    "每个线程使用独立的竞技场可以避免锁竞争。",
    "WAL 文件会一直增长，直到检查点完成。",
    "谢谢，现在可以正常运行了！",
    "这是典型的释放后使用错误。",
    "导出文件有四百兆，导入时内存不够。",
};
static const char *const EMOJI[] = {
    "\U0001F469\u200D\U0001F4BB",                                   /* woman technologist */
    "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",   /* family */
    "\U0001F3F3\uFE0F\u200D\U0001F308",                             /* rainbow flag */
    "\U0001F44B\U0001F3FD",                                         /* waving, skin tone */
    "\U0001F9D1\U0001F3FF\u200D\U0001F52C",                         /* scientist */
    "\U0001F3F4\u200D\u2620\uFE0F",                                 /* pirate flag */
    "\U0001F1EF\U0001F1F5", "\U0001F680", "\u2705", "\u274C", "\U0001F525", "\u2764\uFE0F",
    "\U0001F914", "\U0001F9F5",
};
static const char *const ODD_TEXT[] = {
    "cafe\u0301 vs caf\u00e9", "nai\u0308ve vs na\u00efve", "Tie\u0302\u0301ng Vie\u0323\u0302t",
    "e\u0301\u0302\u0303\u0304 stacked", "a\u00a0non-breaking space", "\u201Csmart quotes\u201D",
    "an em dash \u2014 here", "arrows \u2192 \u2264 \u2026", "BOM-in-text \uFEFFend",
    "line\u2028separator", "\u00b5s and \u00b0C", "\u2126 vs \u03a9",
};
static const char *const *const LANG_POOL[L_COUNT] = { NULL, JA, RU, AR, EL, ZH, NULL };
static const size_t LANG_N[L_COUNT] = { 0, COUNT(JA), COUNT(RU), COUNT(AR), COUNT(EL), COUNT(ZH),
                                        0 };

static const char *const TITLE_HEADS[] = {
    "Arena", "TLSF", "SQLite WAL", "mmap", "JSON parser", "UTF-8 decoder", "Ring buffer",
    "Slab allocator", "Thread-local cache", "Makefile", "CI pipeline", "Python script",
    "Bash loop", "FTS5 search", "Flame graph", "Valgrind report", "Hash map", "Memory leak",
    "Segfault", "Benchmark", "Export import", "Zip reader", "Date parsing", "Pointer math",
};
static const char *const TITLE_TAILS[] = {
    " alignment bug", " checkpoint sizes", " flags", " review", " performance", " question",
    " edge cases", " vs malloc", " on macOS", " in C11", " refactor", " error handling",
    " crash", " help", " tuning", " design", " explained", " off by one",
};
static const char *const TITLES_JA[] = { "アリーナの境界合わせ", "WAL が大きくなる",
                                        "エクスポートの読み込み" };
static const char *const TITLES_RU[] = { "Выравнивание в арене", "Ошибка импорта \U0001F525",
                                        "Почему растёт WAL" };
static const char *const TITLES_AR[] = { "سؤال عن الذاكرة", "تحميل ملف كبير" };
static const char *const TITLES_EL[] = { "Στοίχιση μνήμης", "Δοκιμή \u2705" };
static const char *const TITLES_ZH[] = { "内存对齐问题", "调试 UTF-8 解码器" };
static const char *const TITLES_MIX[] = {
    "多言語テスト: арена, ذاكرة, \U0001F469\u200D\U0001F4BB",
    "Emoji \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 test",
    "Unicode edge cases \U0001F3F3\uFE0F\u200D\U0001F308 cafe\u0301",
};
static const char *const *const LANG_TITLES[L_COUNT] = { TITLE_HEADS, TITLES_JA, TITLES_RU,
                                                         TITLES_AR, TITLES_EL, TITLES_ZH,
                                                         TITLES_MIX };
static const size_t LANG_TITLES_N[L_COUNT] = { COUNT(TITLE_HEADS), COUNT(TITLES_JA),
                                               COUNT(TITLES_RU), COUNT(TITLES_AR),
                                               COUNT(TITLES_EL), COUNT(TITLES_ZH),
                                               COUNT(TITLES_MIX) };

/* A title or heading in the chat's own script. */
static const char *lang_title(Rng *r, int lang)
{
    return LANG_TITLES[lang][rng_below(r, (uint32_t)LANG_TITLES_N[lang])];
}

/* ------------------------------------------------------------------------------------ */
/* Code pools: enough variety for fenced blocks and attachments of any length.           */

static const char *const C_RET[] = { "void", "int", "size_t", "void *", "static inline bool",
                                     "uint32_t", "char *", "static int", "Arena *" };
static const char *const C_PREFIX[] = { "arena", "pool", "slab", "wal", "json", "utf8",
                                        "buf", "str", "map", "ring", "tlsf", "chat" };
static const char *const C_ACTION[] = { "push", "pop", "reset", "grow", "alloc", "free",
                                        "find", "insert", "parse", "flush", "init", "check" };
static const char *const C_PARAMS[] = {
    "Arena *a, size_t size, size_t align", "const char *s, size_t len", "int fd", "void",
    "sqlite3 *db, const char *sql", "_Atomic uint64_t *word", "List *list, Node *node",
    "const uint8_t *p, const uint8_t *end", "Ring *r, const void *src, size_t n",
};
static const char *const C_LINES[] = {
    "size_t need = (a->pos + align - 1) & ~(align - 1);",
    "if (need + size > a->cap) return NULL;",
    "void *p = a->base + need;",
    "a->pos = need + size;",
    "memset(p, 0, size);",
    "assert((align & (align - 1)) == 0);",
    "for (size_t i = 0; i < n; i++) sum += buf[i];",
    "if (fd < 0) { perror(\"open\"); return -1; }",
    "uint32_t h = 2166136261u;",
    "h = (h ^ (uint8_t)s[i]) * 16777619u;",
    "rc = sqlite3_step(stmt);",
    "if (rc != SQLITE_DONE) goto fail;",
    "char *q = memchr(p, '\\n', (size_t)(end - p));",
    "while (p < end && *p == ' ') p++;",
    "int slot = __builtin_ctzll(~mask);",
    "if (atomic_compare_exchange_weak(word, &mask, mask | (1ull << slot))) break;",
    "free(old);",
    "return (int)(p - start);",
    "printf(\"%zu bytes in %d blocks\\n\", total, count);",
    "mprotect(base + committed, grow, PROT_READ | PROT_WRITE);",
    "madvise(base + keep, len - keep, MADV_DONTNEED);",
    "node->next = list->head;",
    "list->head = node;",
    "fprintf(stderr, \"arena: out of memory (%zu requested)\\n\", size);",
    "if (c < 0x80) { *out++ = (uint32_t)c; continue; }",
    "len = strlen(s); /* TODO: the text may hold a NUL */",
    "const char *path = \"C:\\\\Users\\\\dev\\\\export.json\";",
    "static const char esc[] = \"\\\"\\\\\\b\\f\\n\\r\\t\";",
};
static const char *const C_HEADERS[] = {
    "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n",
    "#include <stdio.h>\n#include <stdlib.h>\n#include <sys/mman.h>\n",
    "#include <sqlite3.h>\n#include <stdatomic.h>\n",
};
static const char *const PY_HEADERS[] = {
    "import json\nimport sys\n", "import sqlite3\nfrom pathlib import Path\n",
    "import pandas as pd\n", "import time\nimport statistics\n",
};
static const char *const PY_NAMES[] = { "load_export", "count_visible", "median_size",
                                        "walk_parents", "bench", "main", "check_manifest" };
static const char *const PY_LINES[] = {
    "data = json.load(f)",
    "rows = [r for r in rows if r['size'] > 0]",
    "total = sum(r['count'] for r in rows)",
    "print(f'{total} allocations, median {median:.1f} bytes')",
    "df = pd.read_csv('/mnt/data/allocs.csv')",
    "expanded = df.loc[df.index.repeat(df['count'])]",
    "conn = sqlite3.connect('chatlog.db')",
    "cur = conn.execute('SELECT count(*) FROM messages WHERE visible = 1')",
    "assert cur.fetchone()[0] == expected, \"count mismatch\"",
    "times = [time.perf_counter() - t0 for _ in range(10)]",
    "node = mapping[node['parent']]",
    "path = Path(sys.argv[1])",
    "counts = collections.Counter(m['sender'] for m in msgs)",
    "text = text.replace('\\r\\n', '\\n')",
    "raise ValueError(f'bad size: {size!r}')",
    "return statistics.median(times)",
};
static const char *const SH_BLOCKS[] = {
    "$ make -j8 test\ncc -std=c11 -O2 -Wall -Wextra -c src/arena.c -o build/arena.o\n"
    "cc -o build/test_arena build/arena.o tests/test_arena.c\n",
    "$ ./build/chatlog import ~/Downloads/export.zip\nimported 1,204 chats (38,771 messages) "
    "in 2.41 s\n",
    "$ valgrind --leak-check=full ./build/test_arena\n==12345== HEAP SUMMARY:\n"
    "==12345==     in use at exit: 0 bytes in 0 blocks\n"
    "==12345== All heap blocks were freed -- no leaks are possible\n",
    "$ time ./bench 1000000\n\nreal\t0m0.412s\nuser\t0m0.398s\nsys\t0m0.012s\n",
    "$ sqlite3 chatlog.db 'PRAGMA wal_checkpoint(TRUNCATE);'\n0|0|0\n",
    "$ grep -rn \"TODO\" src/ | wc -l\n17\n",
    "$ ls -la build/\ntotal 1240\n-rwxr-xr-x 1 dev dev  84512 Mar  3 10:12 chatlog\n"
    "-rw-r--r-- 1 dev dev 412330 Mar  3 10:12 libarenakit.a\n",
    "$ jq '.[0].mapping | length' conversations.json\n41\n",
    "$ for f in conversations-*.json; do wc -c \"$f\"; done\n 3975 conversations-000.json\n"
    " 6796 conversations-001.json\n",
};
/* Pasted terminal oddities (ANSI colours, a bell, CRLF): rare, but they must be escaped. */
static const char *const SH_ODD[] = {
    ("$ ./run_tests.sh\n\033[32mPASS\033[0m test_arena_push\n\033[31mFAIL\033[0m "
     "test_wal_size: expected 4096, got 0\n"),
    "C:\\Users\\dev> chatlog.exe --version\r\nchatlog 0.3.1\r\n",
    "$ printf 'ding\\a\\n'\nding\a\n",
};
static const char *const PY_OUTPUTS[] = {
    "48.0", "array([ 16,  32,  48,  64, 128])", "{'chats': 1204, 'visible': 38771}",
    "0.4123 s per run",
    ("Traceback (most recent call last):\n  File \"<stdin>\", line 3, in <module>\n"
     "KeyError: 'mapping'"),
    "   size  count\n0    16   1024\n1    32    512\n2    48   2048",
    "True", "[('human', 812), ('assistant', 809)]",
};
static const char *const JS_CODE[] = {
    ("const sizes = [48, 80, 128];\nconst sl = s => Math.floor((s - 32) / 16);\n"
     "console.log(sizes.map(sl));"),
    "const data = JSON.parse(input);\nconsole.log(data.length, Object.keys(data[0]));",
    "const fs = require('fs'); fs.readFileSync('src/tlsf.c', 'utf8');",
    "let t = 0;\nfor (let i = 0; i < 1e6; i++) t += i & 15;\nconsole.log(t);",
};
static const char *const JS_RESULTS[] = {
    "{\"status\":\"success\",\"logs\":[\"[ 1, 3, 6 ]\"]}",
    "{\"status\":\"success\",\"logs\":[\"8 [ 'uuid', 'name', 'chat_messages' ]\"]}",
    "{\"status\":\"success\",\"logs\":[\"7500000\"]}",
};

typedef struct {
    const char *title, *url, *domain, *quote, *query;
} Site;

static const Site SITES[] = {
    { "Write-Ahead Logging", "https://www.sqlite.org/wal.html", "www.sqlite.org",
      "By default, SQLite does a checkpoint automatically when the WAL file reaches a "
      "threshold size of 1000 pages.", "sqlite wal_autocheckpoint default pages" },
    { "mmap(2) - Linux manual page", "https://man7.org/linux/man-pages/man2/mmap.2.html",
      "man7.org", "MAP_NORESERVE: Do not reserve swap space for this mapping.",
      "mmap MAP_NORESERVE overcommit" },
    { "aligned_alloc - cppreference.com", "https://en.cppreference.com/w/c/memory/aligned_alloc",
      "en.cppreference.com", "Passing a size which is not an integral multiple of alignment "
      "was undefined behavior before C17.", "aligned_alloc size multiple of alignment C17" },
    { "json \u2014 JSON encoder and decoder", "https://docs.python.org/3/library/json.html",
      "docs.python.org", "If ensure_ascii is true (the default), the output is guaranteed to "
      "have all incoming non-ASCII characters escaped.", "python json ensure_ascii surrogate" },
    { "The FTS5 Extension", "https://www.sqlite.org/fts5.html", "www.sqlite.org",
      "FTS5 is an SQLite virtual table module that provides full-text search functionality.",
      "sqlite fts5 tokenizer unicode61" },
};

/* ------------------------------------------------------------------------------------ */
/* Body text generators.  Each writes markdown-ish text of about `len` bytes to a sink.  */

enum { TX_PROMPT, TX_ANSWER, TX_THINK, TX_PYCODE, TX_OUTPUT, TX_FILE, TX_SUMMARY };

typedef struct {
    uint64_t seed;
    size_t len;
    int tx, lang;
    const char *marker; /* put this word in the text (the search-test chat), or NULL */
    int cite;           /* end with ChatGPT citation marks */
    int modern;         /* 2025-style private-use citation marks */
} Body;

static void en_clause(Rng *r, Sink *k, int cap)
{
    const Verb *v = &PICK(r, VERBS);
    if (cap)
        put_cap(k, PICK(r, SUBJECTS));
    else
        putz(k, PICK(r, SUBJECTS));
    putv(k, " ", v->third, " ", PICK(r, OBJECTS), (char *)NULL);
}

static void en_sentence(Rng *r, Sink *k)
{
    const Verb *v = &PICK(r, VERBS);
    switch (rng_below(r, 8)) {
    case 0:
    case 1:
    case 2: {
        const char *op = PICK(r, OPENERS);
        putz(k, op);
        en_clause(r, k, !*op);
        if (rng_below(r, 2))
            putv(k, " ", PICK(r, TAILS), (char *)NULL);
        if (rng_below(r, 4) == 0) {
            putz(k, PICK(r, CONNECTORS));
            en_clause(r, k, 0);
        }
        put(k, ".", 1);
        break;
    }
    case 3:
        putz(k, "If ");
        en_clause(r, k, 0);
        putz(k, ", ");
        en_clause(r, k, 0);
        putv(k, " ", PICK(r, TAILS), ".", (char *)NULL);
        break;
    case 4:
        putv(k, "Use `", PICK(r, IDENTS), "` to ", v->base, " ", (char *)NULL);
        putv(k, PICK(r, OBJECTS), " ", (char *)NULL);
        putv(k, PICK(r, TAILS), ".", (char *)NULL);
        break;
    case 5: {
        const char *verb = rng_below(r, 2) ? "saves" : "costs";
        unsigned amount = (unsigned)rng_range(r, 2, 9000);
        const char *unit = PICK(r, UNITS);
        putf(k, "That %s about %u %s %s.", verb, amount, unit, PICK(r, TAILS));
        break;
    }
    case 6:
        putv(k, "You can ", v->base, " ", PICK(r, OBJECTS), " ", (char *)NULL);
        putv(k, PICK(r, TAILS), ".", (char *)NULL);
        break;
    default:
        en_clause(r, k, 1);
        putv(k, ", which is why `", PICK(r, IDENTS), "` ", (char *)NULL);
        putz(k, rng_below(r, 2) ? "shows up in the profile." : "matters here.");
        break;
    }
}

static void en_question(Rng *r, Sink *k)
{
    const Verb *v = &PICK(r, VERBS);
    const char *obj = PICK(r, OBJECTS), *tail = PICK(r, TAILS);
    switch (rng_below(r, 6)) {
    case 0: putf(k, "How do I %s %s %s?", v->base, obj, tail); break;
    case 1: putf(k, "Why does %s %s %s %s?", PICK(r, SUBJECTS), v->base, obj, tail); break;
    case 2: putf(k, "Is it safe to %s %s %s?", v->base, obj, tail); break;
    case 3: putf(k, "What happens if %s %s %s?", PICK(r, SUBJECTS), v->third, obj); break;
    case 4: putf(k, "Can you show me how to %s %s in C?", v->base, obj); break;
    default: putf(k, "Should I %s %s myself or let %s do it?", v->base, obj, PICK(r, SUBJECTS));
    }
}

/* One sentence in the chat's language; other-language chats still mix in English terms. */
static void sentence(Rng *r, Sink *k, int lang)
{
    if (lang == L_EN || lang == L_EMOJI || rng_pct(r, 25)) {
        en_sentence(r, k);
        if (lang == L_EMOJI && rng_pct(r, 60))
            putv(k, " ", rng_pct(r, 70) ? PICK(r, EMOJI) : PICK(r, ODD_TEXT), (char *)NULL);
        return;
    }
    putz(k, LANG_POOL[lang][rng_below(r, (uint32_t)LANG_N[lang])]);
    if (rng_pct(r, 10))
        putv(k, " ", PICK(r, EMOJI), (char *)NULL);
}

static void paragraph(Rng *r, Sink *k, int lang, int nmin, int nmax)
{
    int n = (int)rng_range(r, nmin, nmax);
    for (int i = 0; i < n; i++) {
        if (i)
            put(k, " ", 1);
        sentence(r, k, lang);
    }
}

static void c_function(Rng *r, Sink *k)
{
    putv(k, PICK(r, C_RET), " ", (char *)NULL);
    putv(k, PICK(r, C_PREFIX), "_", (char *)NULL);
    putv(k, PICK(r, C_ACTION), "(", (char *)NULL);
    putv(k, PICK(r, C_PARAMS), ")\n{\n", (char *)NULL);
    int n = (int)rng_range(r, 2, 9);
    for (int i = 0; i < n; i++)
        putv(k, "    ", PICK(r, C_LINES), "\n", (char *)NULL);
    putz(k, "}\n");
}

static void c_code(Rng *r, Sink *k, size_t len)
{
    size_t start = k->n;
    if (rng_pct(r, 40))
        putf(k, "%s\n", PICK(r, C_HEADERS));
    do {
        c_function(r, k);
        if (k->n - start < len)
            put(k, "\n", 1);
    } while (k->n - start < len);
}

static void py_code(Rng *r, Sink *k, size_t len)
{
    size_t start = k->n;
    if (rng_pct(r, 50))
        putf(k, "%s\n", PICK(r, PY_HEADERS));
    do {
        putv(k, "def ", PICK(r, PY_NAMES), "(path):\n", (char *)NULL);
        int n = (int)rng_range(r, 2, 7);
        for (int i = 0; i < n; i++)
            putv(k, "    ", PICK(r, PY_LINES), "\n", (char *)NULL);
        if (k->n - start < len)
            put(k, "\n", 1);
    } while (k->n - start < len);
}

static void sh_code(Rng *r, Sink *k, size_t len)
{
    size_t start = k->n;
    do
        putz(k, rng_pct(r, 1) ? PICK(r, SH_ODD) : PICK(r, SH_BLOCKS));
    while (k->n - start < len);
}

static void fenced(Rng *r, Sink *k, size_t len)
{
    unsigned roll = rng_below(r, 100);
    switch (roll < 40 ? 0 : roll < 75 ? 1 : 2) {
    case 0: putz(k, "```c\n"); c_code(r, k, len); break;
    case 1: putz(k, "```python\n"); py_code(r, k, len); break;
    default: putz(k, rng_below(r, 2) ? "```bash\n" : "```shell\n"); sh_code(r, k, len); break;
    }
    putz(k, "```");
}

static void md_list(Rng *r, Sink *k, int lang)
{
    int n = (int)rng_range(r, 2, 6), numbered = (int)rng_below(r, 2);
    for (int i = 0; i < n; i++) {
        if (i)
            put(k, "\n", 1);
        if (numbered)
            putf(k, "%d. ", i + 1);
        else
            putz(k, "- ");
        if (rng_pct(r, 40))
            putv(k, "**", PICK(r, IDENTS), "**: ", (char *)NULL);
        sentence(r, k, lang);
    }
}

static void md_table(Rng *r, Sink *k)
{
    putz(k, "| Size | Count | Time (ns) |\n|---:|---:|---:|");
    int n = (int)rng_range(r, 2, 8);
    for (int i = 0; i < n; i++) {
        unsigned count = (unsigned)rng_range(r, 1, 99999), ns = (unsigned)rng_range(r, 1, 900);
        putf(k, "\n| %u | %u | %u.%u |", 16u << i, count, ns, (unsigned)rng_below(r, 10));
    }
}

/* One markdown piece of an answer; code blocks take a share of what is left. */
static void answer_piece(Rng *r, Sink *k, int lang, size_t left)
{
    unsigned roll = rng_below(r, 100);
    if (roll < 40) {
        paragraph(r, k, lang, 2, 5);
    } else if (roll < 62) {
        size_t code = left / 2 < 200 ? 200 : left / 2 > 4000 ? 4000 : left / 2;
        fenced(r, k, code);
    } else if (roll < 77) {
        md_list(r, k, lang);
    } else if (roll < 89) {
        putz(k, rng_below(r, 3) ? "## " : "### ");
        putz(k, lang == L_EN || lang == L_EMOJI ? PICK(r, HEADINGS) : lang_title(r, lang));
        putz(k, "\n\n");
        paragraph(r, k, lang, 1, 3);
    } else if (roll < 95) {
        md_table(r, k);
    } else {
        putz(k, "> ");
        sentence(r, k, lang);
    }
}

static void gen_answer(Rng *r, Sink *k, const Body *b)
{
    size_t start = k->n;
    paragraph(r, k, b->lang, 1, 3);
    while (k->n - start < b->len) {
        putz(k, "\n\n");
        answer_piece(r, k, b->lang, b->len - (k->n - start));
    }
    if (b->cite) {
        if (b->modern)
            putz(k, " \uE200cite\uE202turn0search1\uE201");
        else
            putz(k, " \u30100\u2020source\u3011");
    }
}

/* Prompts are short questions, except when the person pastes code or a log. */
static void gen_prompt(Rng *r, Sink *k, const Body *b)
{
    size_t start = k->n;
    if (b->len < 40 && b->lang == L_EN && !b->marker) {
        putz(k, PICK(r, SHORT_REPLIES));
        return;
    }
    if (b->lang == L_EN || b->lang == L_EMOJI || rng_pct(r, 30))
        en_question(r, k);
    else
        sentence(r, k, b->lang);
    while (k->n - start < b->len) {
        size_t left = b->len - (k->n - start);
        if (left > 300 && rng_pct(r, 60)) {
            putz(k, "\n\n");
            fenced(r, k, left - 20);
        } else {
            putz(k, rng_below(r, 3) ? " " : "\n\n");
            sentence(r, k, b->lang);
        }
    }
}

static void gen_think(Rng *r, Sink *k, const Body *b)
{
    size_t start = k->n;
    do {
        if (k->n > start)
            putz(k, rng_below(r, 3) ? " " : "\n\n");
        putz(k, PICK(r, THINK_OPENERS));
        en_clause(r, k, 0);
        putv(k, " ", PICK(r, TAILS), ".", (char *)NULL);
    } while (k->n - start < b->len);
}

static void gen_output(Rng *r, Sink *k, const Body *b)
{
    size_t start = k->n;
    do {
        if (k->n > start)
            put(k, "\n", 1);
        putz(k, PICK(r, PY_OUTPUTS));
    } while (k->n - start < b->len);
}

/* Attachment contents: a C file, or notes/logs in plain text. */
static void gen_file(Rng *r, Sink *k, const Body *b)
{
    size_t start = k->n;
    if (b->seed & 1) {
        c_code(r, k, b->len);
        return;
    }
    do {
        if (k->n > start)
            put(k, "\n", 1);
        if (rng_pct(r, 30)) {
            unsigned hh = rng_below(r, 24), mm = rng_below(r, 60);
            putf(k, "[%02u:%02u:%02u] ", hh, mm, (unsigned)rng_below(r, 60));
        }
        sentence(r, k, b->lang);
    } while (k->n - start < b->len);
}

static void gen_body(Sink *k, const Body *b)
{
    Rng r;
    rng_seed(&r, b->seed);
    if (b->marker)
        putf(k, "Remember the code word %s for later. ", b->marker);
    switch (b->tx) {
    case TX_PROMPT: gen_prompt(&r, k, b); break;
    case TX_ANSWER: gen_answer(&r, k, b); break;
    case TX_THINK: gen_think(&r, k, b); break;
    case TX_PYCODE: py_code(&r, k, b->len); break;
    case TX_OUTPUT: gen_output(&r, k, b); break;
    case TX_FILE: gen_file(&r, k, b); break;
    case TX_SUMMARY:
        putz(k, "**Conversation overview**\n\nThe person asked how ");
        en_clause(&r, k, 0);
        putz(k, ". ");
        paragraph(&r, k, b->lang, 2, 4);
        break;
    default: en_sentence(&r, k); break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Conversation skeletons.                                                               */

enum { FMT_CLAUDE, FMT_CHATGPT, FMT_CLAUDE_CODE, FMT_CODEX, FMT_GEMINI };

/* Node kinds.  Claude uses only K_USER_TEXT and K_ASSIST_TEXT. */
enum {
    K_ROOT, K_SYS_HIDDEN, K_UEC_HIDDEN, K_USER_TEXT, K_USER_IMAGE, K_ASSIST_TEXT, K_CODE,
    K_EXEC_OUTPUT, K_SYS_ERROR, K_THOUGHTS, K_RECAP, K_BROWSE_CODE, K_TETHER_DISPLAY,
    K_TETHER_QUOTE,
};

enum { NF_PATH = 1, NF_HIDDEN = 2, NF_NOTIME = 4, NF_MARKER = 8, NF_ROOTNAME = 16,
       NF_ATTACH = 32, NF_CITE = 64 };

/* Export styles by era.  Claude: text only and no parent links (2023); text plus one text
 * block (2024), with or without parent links; empty text with typed blocks (2025+).
 * ChatGPT: no channel keys (2023); channel null (2024); alphabetical keys, 7-digit floats,
 * integer weights, leaves without children (2025+). */
enum { CL_OLD, CL_2024, CL_2024_BARE, CL_2025 };
enum { CG_2023, CG_2024, CG_2025 };
enum { ORDER_TREE, ORDER_LEAF_FIRST, ORDER_SORTED, ORDER_REVERSED };

typedef struct {
    Uuid id;
    uint64_t seed; /* drives the body and per-message details */
    int64_t t;     /* creation time */
    int32_t parent, first_child, last_child, next_sibling;
    uint32_t len; /* unscaled body length */
    uint8_t kind, flags, aux;
} Node;

typedef struct {
    Rng rng;
    long index;
    Uuid id;
    int style, lang, order, sorted, digits, giant, ascii, slash;
    int nulltime, archived, gizmo, title_kind;
    uint64_t title_seed;
    int64_t t0, clock, t_end;
    const char *model;
    int reasoning; /* model writes thoughts */
    int current;   /* visible leaf */
    double factor; /* the giant chat's own length multiplier */
    long visible, branch, hidden;
} Chat;

typedef struct {
    int format;
    long chats;
    uint64_t seed;
    const char *out;
    long shard;
    double target_mb;
    const char *manifest;
    int minify;
} Options;

typedef struct {
    uint64_t chats, visible, branch, hidden, bytes, files;
    long largest_visible;
    char largest_uuid[40], marker_uuid[40];
} Stats;

#define MAX_NODES 6144

typedef struct {
    char id[40];
    int idx;
} SortKey;

typedef struct {
    Options opt;
    double scale;
    Uuid account;
    long giant_index, marker_index;
    double giant_budget;
    char marker[24];
    Chat chat;
    Node *nodes;
    int nnodes;
    SortKey *keys;
    Stats st;
    Writer w;
} Gen;

static int64_t era_start(int y, unsigned m)
{
    return date_ticks(y, m, 1);
}

static int add_node(Gen *g, int parent, int kind, uint32_t len)
{
    if (g->nnodes >= MAX_NODES)
        return -1;
    Chat *c = &g->chat;
    int i = g->nnodes++;
    Node *n = &g->nodes[i];
    memset(n, 0, sizeof *n);
    n->parent = parent;
    n->first_child = n->last_child = n->next_sibling = -1;
    n->kind = (uint8_t)kind;
    n->len = len;
    n->seed = rng_next(&c->rng);
    n->t = c->clock;
    if (parent >= 0) {
        Node *p = &g->nodes[parent];
        if (p->last_child >= 0)
            g->nodes[p->last_child].next_sibling = i;
        else
            p->first_child = i;
        p->last_child = i;
    }
    return i;
}

/* Heavy-tailed lengths: most messages are short, a few are pasted files or essays. */
static uint32_t draw_len(Rng *r, int user)
{
    static const uint32_t ub[] = { 12, 60, 200, 600, 2000, 8000, 40000 };
    static const double up[] = { 20, 42, 24, 9, 4, 1 };
    static const uint32_t ab[] = { 40, 200, 800, 2000, 5000, 15000, 50000 };
    static const double ap[] = { 10, 30, 35, 18, 6, 1 };
    const uint32_t *b = user ? ub : ab;
    const double *p = user ? up : ap;
    double roll = (double)(rng_next(r) >> 11) * (100.0 / 9007199254740992.0);
    int t = 0;
    while (t < 5 && roll >= p[t])
        roll -= p[t++];
    return (uint32_t)rng_range(r, b[t], b[t + 1]);
}

/* Messages per chat: mostly short exchanges (mean about 12), with a long tail up to
 * 1,200; the one giant chat is drawn separately. */
static long draw_count(Rng *r)
{
    unsigned roll = rng_below(r, 10000);
    if (roll < 7200) return rng_range(r, 2, 8);
    if (roll < 9200) return rng_range(r, 9, 20);
    if (roll < 9880) return rng_range(r, 21, 60);
    if (roll < 9985) return rng_range(r, 61, 250);
    return rng_range(r, 251, 1200);
}

/* Time between messages: seconds for an answer, minutes to days between turns. */
static void tick(Chat *c, int answer)
{
    int64_t d;
    if (answer)
        d = rng_range(&c->rng, SEC(1), SEC(45));
    else if (rng_pct(&c->rng, 60))
        d = rng_range(&c->rng, SEC(15), SEC(300));
    else if (rng_pct(&c->rng, 80))
        d = rng_range(&c->rng, SEC(300), SEC(3600));
    else
        d = rng_range(&c->rng, SEC(3600), SEC(3 * 86400));
    c->clock += d;
}

/* ChatGPT assistant replies: a plain answer, or a chain of tool/reasoning nodes ending in
 * one.  Returns the last node. */
static int cg_response(Gen *g, int parent)
{
    Chat *c = &g->chat;
    Rng *r = &c->rng;
    int cur = parent;
    unsigned roll = rng_below(r, 100);
    if (c->reasoning && roll < 35) {
        tick(c, 1);
        cur = add_node(g, cur, K_THOUGHTS, draw_len(r, 0) / 2 + 80);
        tick(c, 1);
        cur = add_node(g, cur, K_RECAP, 0);
    } else if (c->style != CG_2025 && roll < 10) {
        tick(c, 1);
        cur = add_node(g, cur, K_CODE, draw_len(r, 1) + 60);
        tick(c, 1);
        int kind = rng_pct(r, 12) ? K_SYS_ERROR : K_EXEC_OUTPUT;
        cur = add_node(g, cur, kind, (uint32_t)rng_range(r, 4, 600));
    } else if (c->style == CG_2025 && roll < 8) {
        tick(c, 1);
        cur = add_node(g, cur, K_CODE, draw_len(r, 1) + 60);
        tick(c, 1);
        int kind = rng_pct(r, 30) ? K_SYS_ERROR : K_EXEC_OUTPUT;
        cur = add_node(g, cur, kind, (uint32_t)rng_range(r, 4, 600));
    } else if (c->style != CG_2025 && roll < 15) {
        uint8_t site = (uint8_t)rng_below(r, COUNT(SITES));
        tick(c, 1);
        cur = add_node(g, cur, K_BROWSE_CODE, 0);
        if (cur >= 0)
            g->nodes[cur].aux = site;
        tick(c, 1);
        cur = add_node(g, cur, K_TETHER_DISPLAY, 0);
        if (cur >= 0)
            g->nodes[cur].aux = site;
        tick(c, 1);
        cur = add_node(g, cur, K_TETHER_QUOTE, 0);
        if (cur >= 0)
            g->nodes[cur].aux = site;
    }
    if (cur < 0)
        return -1;
    tick(c, 1);
    int last = add_node(g, cur, K_ASSIST_TEXT, draw_len(r, 0));
    if (last >= 0 && cur != parent && g->nodes[cur].kind == K_TETHER_QUOTE)
        g->nodes[last].flags |= NF_CITE;
    return last;
}

static int user_node(Gen *g, int parent)
{
    Chat *c = &g->chat;
    int kind = c->style != CG_2023 && rng_pct(&c->rng, 5) ? K_USER_IMAGE : K_USER_TEXT;
    if (g->opt.format == FMT_CLAUDE)
        kind = K_USER_TEXT;
    tick(c, 0);
    int u = add_node(g, parent, kind, draw_len(&c->rng, 1));
    if (u >= 0 && (c->nulltime && g->opt.format == FMT_CHATGPT))
        g->nodes[u].flags |= NF_NOTIME;
    if (u >= 0 && rng_pct(&c->rng, 4))
        g->nodes[u].flags |= NF_ATTACH;
    return u;
}

static int response(Gen *g, int parent)
{
    if (parent < 0)
        return -1;
    if (g->opt.format == FMT_CHATGPT)
        return cg_response(g, parent);
    tick(&g->chat, 1);
    return add_node(g, parent, K_ASSIST_TEXT, draw_len(&g->chat.rng, 0));
}

/* An abandoned branch: what was there before the person edited a prompt or regenerated
 * an answer.  It is created before its replacement, so it is never the newest leaf.
 * parent -1 is Claude's all-zero root: the very first prompt can be edited too. */
static void abandoned(Gen *g, int parent, int from_user)
{
    int turns = (int)rng_range(&g->chat.rng, 1, 3), cur = parent;
    for (int i = 0; i < turns; i++) {
        if (from_user || i > 0)
            cur = user_node(g, cur);
        cur = response(g, cur);
        if (cur < 0 || rng_pct(&g->chat.rng, 50))
            break;
    }
}

/* Builds the tree of one conversation; the visible thread ends at the newest node. */
static void build_turns(Gen *g, int start, long target)
{
    Chat *c = &g->chat;
    Rng *r = &c->rng;
    int linked = g->opt.format == FMT_CHATGPT || (c->style != CL_OLD && c->style != CL_2024_BARE);
    int branchy = linked && rng_pct(r, 18); /* branches need parent links */
    int cur = start;
    long shown = 0;
    while (shown < target && g->nnodes < MAX_NODES - 64) {
        if (branchy && rng_pct(r, 10))
            abandoned(g, cur, 1);
        int u = user_node(g, cur);
        if (branchy && rng_pct(r, 10))
            abandoned(g, u, 0);
        int before = g->nnodes;
        int last = response(g, u);
        if (last < 0)
            break;
        shown += 1 + (g->nnodes - before);
        cur = last;
    }
    c->current = cur;
}

static void mark_path(Gen *g)
{
    Chat *c = &g->chat;
    c->visible = c->branch = c->hidden = 0;
    for (int i = c->current; i >= 0; i = g->nodes[i].parent)
        g->nodes[i].flags |= NF_PATH;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = &g->nodes[i];
        if (n->kind == K_ROOT)
            continue;
        if (n->flags & NF_HIDDEN)
            c->hidden++;
        else if (n->flags & NF_PATH)
            c->visible++;
        else
            c->branch++;
    }
}

static const char *pick_model(Chat *c)
{
    Rng *r = &c->rng;
    if (rng_pct(r, 1))
        return NULL;
    if (c->t0 < era_start(2024, 5)) {
        static const char *const m[] = { "gpt-4", "text-davinci-002-render-sha", "gpt-4" };
        return PICK(r, m);
    }
    if (c->t0 < era_start(2025, 1)) {
        static const char *const m[] = { "gpt-4o", "gpt-4o", "gpt-4o-mini", "o1-preview" };
        return PICK(r, m);
    }
    if (c->t0 < era_start(2025, 8)) {
        static const char *const m[] = { "gpt-4o", "o3", "o4-mini-high", "gpt-4-5" };
        return PICK(r, m);
    }
    static const char *const m[] = { "gpt-5", "gpt-5-thinking", "gpt-5-mini", "gpt-5" };
    return PICK(r, m);
}

static int is_reasoning(const char *m)
{
    return m && (m[0] == 'o' || strcmp(m, "gpt-5") == 0 || strcmp(m, "gpt-5-thinking") == 0);
}

static void choose_style(Gen *g)
{
    Chat *c = &g->chat;
    Rng *r = &c->rng;
    if (g->opt.format == FMT_CLAUDE) {
        if (c->t0 < era_start(2024, 3))
            c->style = rng_pct(r, 80) ? CL_OLD : CL_2024;
        else if (c->t0 < era_start(2025, 5))
            c->style = rng_pct(r, 70) ? CL_2024 : rng_pct(r, 66) ? CL_2024_BARE : CL_OLD;
        else
            c->style = rng_pct(r, 85) ? CL_2025 : CL_2024;
        return;
    }
    if (c->t0 < era_start(2024, 5))
        c->style = CG_2023;
    else if (c->t0 < era_start(2025, 9))
        c->style = CG_2024;
    else
        c->style = rng_pct(r, 75) ? CG_2025 : CG_2024;
    c->sorted = c->style == CG_2025;
    c->digits = c->style == CG_2025 ? 7 : 6;
    if (c->sorted)
        c->order = ORDER_SORTED;
    else {
        unsigned roll = rng_below(r, 100);
        c->order = roll < 70 ? ORDER_TREE : roll < 85 ? ORDER_LEAF_FIRST
                   : roll < 93 ? ORDER_REVERSED : ORDER_SORTED;
    }
    c->model = pick_model(c);
    c->reasoning = is_reasoning(c->model);
    c->nulltime = rng_pct(r, 1);
    c->archived = rng_pct(r, 4);
    c->gizmo = rng_pct(r, 5);
}

static void build_chat(Gen *g, long index)
{
    Chat *c = &g->chat;
    memset(c, 0, sizeof *c);
    rng_seed(&c->rng, mix2(g->opt.seed, (uint64_t)index + 1));
    Rng *r = &c->rng;
    c->index = index;
    c->t0 = rng_range(r, date_ticks(2023, 1, 1), date_ticks(2026, 6, 30));
    c->clock = c->t0;
    c->giant = index == g->giant_index;
    c->lang = rng_pct(r, 9) ? (int)rng_range(r, 1, L_COUNT - 1) : L_EN;
    c->ascii = rng_pct(r, c->lang == L_EN ? 6 : 30);
    c->slash = c->ascii && rng_pct(r, 25);
    unsigned tk = rng_below(r, 100);
    c->title_kind = tk < 3 ? 1 : tk < 5 ? 2 : tk < 6 ? 3 : 0; /* "", null, "Untitled" */
    c->title_seed = rng_next(r);
    choose_style(g);
    c->id = g->opt.format == FMT_CHATGPT && rng_pct(r, 80) ? uuid_v8_time(r, c->t0) : uuid_v4(r);

    long target = c->giant ? rng_range(r, 1200, 2000) : draw_count(r);
    int empty = g->opt.format == FMT_CLAUDE && rng_pct(r, 1.5) && index != g->marker_index;
    g->nnodes = 0;
    int start = -1;
    if (g->opt.format == FMT_CHATGPT) {
        start = add_node(g, -1, K_ROOT, 0);
        if (c->style == CG_2025 || (c->style == CG_2024 && rng_pct(r, 30)))
            g->nodes[start].flags |= NF_ROOTNAME;
        if (rng_pct(r, 45)) {
            start = add_node(g, start, K_SYS_HIDDEN, 0);
            g->nodes[start].flags |= NF_HIDDEN | NF_NOTIME;
        }
        if (c->style != CG_2023 && rng_pct(r, 15)) {
            start = add_node(g, start, K_UEC_HIDDEN, 0);
            g->nodes[start].flags |= NF_HIDDEN | NF_NOTIME;
        }
    }
    c->current = start;
    if (!empty)
        build_turns(g, start, target);
    mark_path(g);
    c->t_end = c->clock + rng_range(r, SEC(1), SEC(30));

    if (index == g->marker_index)
        for (int i = 0; i < g->nnodes; i++)
            if ((g->nodes[i].flags & NF_PATH) && g->nodes[i].kind == K_USER_TEXT) {
                g->nodes[i].flags |= NF_MARKER;
                break;
            }
    if (c->giant) {
        double sum = 0;
        for (int i = 0; i < g->nnodes; i++)
            sum += g->nodes[i].len;
        double text = g->giant_budget - (double)g->nnodes * 900.0;
        c->factor = sum > 0 && text > 0 ? text / sum : 0.05;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Emission helpers shared by both formats.                                              */

static size_t eff_len(const Gen *g, uint32_t base)
{
    double f = g->chat.giant ? g->chat.factor : g->scale;
    double v = (double)base * f;
    return v < 1 ? 1 : (size_t)v;
}

static void emit_body(Gen *g, const Body *b)
{
    Writer *w = &g->w;
    Sink k;
    k.w = w;
    k.n = k.staged = 0;
    w_pre_value(w);
    w_raw(w, "\"", 1);
    w->scaled = !g->chat.giant;
    gen_body(&k, b);
    sink_flush(&k);
    w->scaled = 0;
    w_raw(w, "\"", 1);
}

static size_t body_size(const Body *b)
{
    Sink k;
    k.w = NULL;
    k.n = k.staged = 0;
    gen_body(&k, b);
    return k.n;
}

static Body node_body(const Gen *g, const Node *n, int tx, uint64_t salt, uint32_t base)
{
    Body b = { mix2(n->seed, salt), eff_len(g, base), tx, g->chat.lang, NULL, 0, 0 };
    if ((n->flags & NF_MARKER) && salt == 0)
        b.marker = g->marker;
    b.cite = (n->flags & NF_CITE) != 0;
    b.modern = g->chat.style == CG_2025;
    return b;
}

/* Conversation titles: mostly English, in the chat's script for some, and sometimes
 * "", null or "Untitled", as the vendors write them. */
static void emit_title(Gen *g, const void *arg)
{
    (void)arg;
    Chat *c = &g->chat;
    Writer *w = &g->w;
    if (c->title_kind == 2) {
        w_lit(w, "null");
        return;
    }
    Rng r;
    rng_seed(&r, c->title_seed);
    char buf[160];
    if (c->title_kind == 1)
        buf[0] = 0;
    else if (c->title_kind == 3)
        snprintf(buf, sizeof buf, "Untitled");
    else if (c->lang != L_EN && rng_pct(&r, 70))
        snprintf(buf, sizeof buf, "%s", lang_title(&r, c->lang));
    else {
        const char *head = PICK(&r, TITLE_HEADS);
        snprintf(buf, sizeof buf, "%s%s", head, PICK(&r, TITLE_TAILS));
    }
    w_str(w, buf);
}

/* ---- Field lists: ChatGPT 2025+ writes every object's keys in alphabetical order, so  */
/* objects are described as lists and sorted before writing when the chat needs it.      */

typedef void (*EmitFn)(Gen *g, const void *arg);

enum { FV_NULL, FV_BOOL, FV_INT, FV_STR, FV_LIT, FV_TIME, FV_FN };

typedef struct {
    const char *key;
    int type;
    long long i;
    const char *s;
    EmitFn fn;
    const void *arg;
} Field;

#define F_NULL(k) ((Field){ .key = (k), .type = FV_NULL })
#define F_BOOL(k, b) ((Field){ .key = (k), .type = FV_BOOL, .i = (b) })
#define F_INT(k, v) ((Field){ .key = (k), .type = FV_INT, .i = (v) })
#define F_STR(k, v) ((Field){ .key = (k), .type = FV_STR, .s = (v) })
#define F_LIT(k, v) ((Field){ .key = (k), .type = FV_LIT, .s = (v) })
#define F_TIME(k, t) ((Field){ .key = (k), .type = FV_TIME, .i = (t) })
#define F_FN(k, f, a) ((Field){ .key = (k), .type = FV_FN, .fn = (f), .arg = (a) })

static void emit_fields(Gen *g, Field *f, int n)
{
    Writer *w = &g->w;
    if (g->chat.sorted)
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && strcmp(f[j - 1].key, f[j].key) > 0; j--) {
                Field t = f[j];
                f[j] = f[j - 1];
                f[j - 1] = t;
            }
    w_open(w, 0);
    for (int i = 0; i < n; i++) {
        w_key(w, f[i].key);
        switch (f[i].type) {
        case FV_NULL: w_lit(w, "null"); break;
        case FV_BOOL: w_lit(w, f[i].i ? "true" : "false"); break;
        case FV_INT: w_int(w, f[i].i); break;
        case FV_STR: w_str(w, f[i].s); break;
        case FV_LIT: w_lit(w, f[i].s); break;
        case FV_TIME: {
            char b[40];
            if (f[i].i < 0) {
                w_lit(w, "null");
                break;
            }
            fmt_epoch(f[i].i, g->chat.digits, b, sizeof b);
            w_lit(w, b);
            break;
        }
        default: f[i].fn(g, f[i].arg); break;
        }
    }
    w_close(w);
}

/* Value writers for field lists, shared by both formats. */

static void empty_object(Gen *g, const void *arg)
{
    (void)arg;
    w_lit(&g->w, "{}");
}

static void empty_array(Gen *g, const void *arg)
{
    (void)arg;
    w_lit(&g->w, "[]");
}

static void body_value(Gen *g, const void *arg)
{
    const Body *b = arg;
    emit_body(g, b);
}

/* ------------------------------------------------------------------------------------ */
/* ChatGPT.                                                                              */

static void cg_node_id(const Gen *g, int i, char *buf)
{
    if (g->nodes[i].flags & NF_ROOTNAME)
        snprintf(buf, 40, "client-created-root");
    else
        fmt_uuid(g->nodes[i].id, buf);
}

/* Node ids are assigned after building: classic user ids start with aaa2, roots aaa1. */
static void cg_assign_ids(Gen *g)
{
    Chat *c = &g->chat;
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = &g->nodes[i];
        Rng r;
        rng_seed(&r, mix2(n->seed, 7));
        if (c->style == CG_2025)
            n->id = uuid_v4(&r);
        else if (n->kind == K_ROOT)
            n->id = uuid_prefixed(&r, 0xaaa1);
        else if ((n->kind == K_USER_TEXT || n->kind == K_USER_IMAGE) && rng_pct(&r, 85))
            n->id = uuid_prefixed(&r, 0xaaa2);
        else
            n->id = uuid_v4(&r);
    }
}

static int64_t node_time(const Node *n)
{
    return (n->flags & NF_NOTIME) ? -1 : n->t;
}

static void cg_author(Gen *g, const void *arg)
{
    const Node *n = arg;
    const char *role = "assistant", *name = NULL;
    switch (n->kind) {
    case K_SYS_HIDDEN: role = "system"; break;
    case K_UEC_HIDDEN:
    case K_USER_TEXT:
    case K_USER_IMAGE: role = "user"; break;
    case K_EXEC_OUTPUT:
    case K_SYS_ERROR: role = "tool"; name = "python"; break;
    case K_TETHER_DISPLAY:
    case K_TETHER_QUOTE: role = "tool"; name = "browser"; break;
    default: break;
    }
    Field f[3] = { F_STR("role", role), name ? F_STR("name", name) : F_NULL("name"),
                   F_FN("metadata", empty_object, NULL) };
    emit_fields(g, f, 3);
}

static void cg_text_parts(Gen *g, const void *arg)
{
    const Node *n = arg;
    w_open(&g->w, 1);
    if (n->kind == K_SYS_HIDDEN) {
        w_str(&g->w, "");
    } else {
        Body b = node_body(g, n, n->kind == K_ASSIST_TEXT ? TX_ANSWER : TX_PROMPT, 0, n->len);
        emit_body(g, &b);
    }
    w_close(&g->w);
}

/* Image i of a message: the pointer in parts and the entry in metadata.attachments
 * share the same id, so both are derived from the same seed. */
static void image_ids(const Node *n, int i, char *id, char *pointer, uint32_t *size, int *wd,
                      int *ht)
{
    Rng r;
    rng_seed(&r, mix2(n->seed, 100 + (uint64_t)i));
    char tail[25];
    if (rng_below(&r, 2)) {
        fmt_alnum(&r, tail, 22);
        snprintf(id, 40, "file-%s", tail);
        snprintf(pointer, 80, "file-service://%s", id);
    } else {
        fmt_hex(&r, tail, 24);
        snprintf(id, 40, "file_00000000%s", tail);
        snprintf(pointer, 80, "sediment://%s", id);
    }
    *size = (uint32_t)rng_range(&r, 20000, 900000);
    *wd = (int)rng_range(&r, 320, 2048);
    *ht = (int)rng_range(&r, 240, 1536);
}

static void cg_image_meta(Gen *g, const void *arg)
{
    (void)arg;
    Field f[] = { F_NULL("dalle"), F_NULL("gizmo"), F_NULL("generation"),
                  F_NULL("container_pixel_height"), F_NULL("container_pixel_width"),
                  F_NULL("emu_omit_glimpse_image"), F_NULL("emu_patches_override"),
                  F_BOOL("sanitized", 1), F_NULL("asset_pointer_link"),
                  F_NULL("watermarked_asset_pointer") };
    emit_fields(g, f, (int)COUNT(f));
}

static int image_count(const Node *n)
{
    return 1 + (int)(n->seed >> 62 & 1);
}

static void cg_image_parts(Gen *g, const void *arg)
{
    const Node *n = arg;
    w_open(&g->w, 1);
    for (int i = 0; i < image_count(n); i++) {
        char id[40], ptr[80];
        uint32_t size;
        int wd, ht;
        image_ids(n, i, id, ptr, &size, &wd, &ht);
        Field f[] = { F_STR("content_type", "image_asset_pointer"), F_STR("asset_pointer", ptr),
                      F_INT("size_bytes", size), F_INT("width", wd), F_INT("height", ht),
                      F_NULL("fovea"), F_FN("metadata", cg_image_meta, NULL) };
        emit_fields(g, f, (int)COUNT(f));
    }
    Body b = node_body(g, n, TX_PROMPT, 0, n->len);
    emit_body(g, &b);
    w_close(&g->w);
}

static void cg_thought_items(Gen *g, const void *arg)
{
    static const char *const SUMMARIES[] = {
        "Choosing the atomic primitive", "Checking the full-mask case",
        "Reviewing alignment rules", "Comparing allocation strategies", "Planning the answer",
        "Estimating the WAL size", "Reading the traceback", "Weighing mmap against malloc",
    };
    const Node *n = arg;
    int count = 1 + (int)(n->seed % 3);
    w_open(&g->w, 1);
    for (int i = 0; i < count; i++) {
        Body b = node_body(g, n, TX_THINK, 10 + (uint64_t)i, n->len / (uint32_t)count + 40);
        Field f[] = { F_STR("summary", SUMMARIES[(n->seed >> (8 * i)) % COUNT(SUMMARIES)]),
                      F_FN("content", body_value, &b), F_LIT("chunks", "[]"),
                      F_BOOL("finished", 1) };
        emit_fields(g, f, (int)COUNT(f));
    }
    w_close(&g->w);
}

static void cg_code_text(Gen *g, const void *arg)
{
    const Node *n = arg;
    Body b = node_body(g, n, TX_PYCODE, 0, n->len);
    emit_body(g, &b);
}

/* The search result page the browser tool showed: one line per hit, with the citation
 * brackets ChatGPT uses (U+3010, U+2020, U+3011). */
static void cg_tether_result(const Site *site, char *buf, size_t n)
{
    const Site *other = &SITES[(size_t)(site - SITES + 1) % COUNT(SITES)];
    snprintf(buf, n, "# \u30100\u2020%s\u2020%s\u3011\n%s\n# \u30101\u2020%s\u2020%s\u3011\n%s",
             site->title, site->domain, site->quote, other->title, other->domain, other->quote);
}

static void cg_content(Gen *g, const void *arg)
{
    const Node *n = arg;
    const Chat *c = &g->chat;
    const Site *site = &SITES[n->aux % COUNT(SITES)];
    char buf[1024], id[40];
    Body b;
    Field f[8];
    int k = 0;
    switch (n->kind) {
    case K_UEC_HIDDEN:
        f[k++] = F_STR("content_type", "user_editable_context");
        f[k++] = F_STR("user_profile", "The user provided the following information about "
                                       "themselves:\n```I write a memory allocator library "
                                       "called arenakit.```");
        f[k++] = F_STR("user_instructions", "The user provided the additional info about how "
                                            "they would like you to respond:\n```Answer in "
                                            "short paragraphs. Prefer C over C++.```");
        break;
    case K_USER_IMAGE:
        f[k++] = F_STR("content_type", "multimodal_text");
        f[k++] = F_FN("parts", cg_image_parts, n);
        break;
    case K_CODE:
        f[k++] = F_STR("content_type", "code");
        f[k++] = F_STR("language", c->style == CG_2025 ? "python" : "unknown");
        if (c->style != CG_2023)
            f[k++] = F_NULL("response_format_name");
        f[k++] = F_FN("text", cg_code_text, n);
        break;
    case K_BROWSE_CODE:
        snprintf(buf, sizeof buf, "search(\"%s\")", site->query);
        f[k++] = F_STR("content_type", "code");
        f[k++] = F_STR("language", "unknown");
        f[k++] = F_STR("text", buf);
        break;
    case K_EXEC_OUTPUT:
        b = node_body(g, n, TX_OUTPUT, 0, n->len);
        f[k++] = F_STR("content_type", "execution_output");
        f[k++] = F_FN("text", body_value, &b);
        break;
    case K_SYS_ERROR:
        f[k++] = F_STR("content_type", "system_error");
        f[k++] = F_STR("name", "AceInternalException");
        f[k++] = F_STR("text", "Encountered exception: <class 'AceInternalException'>.");
        break;
    case K_THOUGHTS: {
        Rng r;
        rng_seed(&r, mix2(n->seed, 9));
        fmt_uuid(uuid_v4(&r), id);
        f[k++] = F_STR("content_type", "thoughts");
        f[k++] = F_FN("thoughts", cg_thought_items, n);
        f[k++] = F_STR("source_analysis_msg_id", id);
        break;
    }
    case K_RECAP:
        snprintf(buf, sizeof buf, "Thought for %us", (unsigned)(n->seed % 90 + 2));
        f[k++] = F_STR("content_type", "reasoning_recap");
        f[k++] = F_STR("content", buf);
        break;
    case K_TETHER_DISPLAY:
        cg_tether_result(site, buf, sizeof buf);
        f[k++] = F_STR("content_type", "tether_browsing_display");
        f[k++] = F_STR("result", buf);
        f[k++] = F_NULL("summary");
        f[k++] = F_NULL("assets");
        f[k++] = F_NULL("tether_id");
        break;
    case K_TETHER_QUOTE:
        f[k++] = F_STR("content_type", "tether_quote");
        f[k++] = F_STR("url", site->url);
        f[k++] = F_STR("domain", site->domain);
        f[k++] = F_STR("text", site->quote);
        f[k++] = F_STR("title", site->title);
        f[k++] = F_NULL("tether_id");
        break;
    default:
        f[k++] = F_STR("content_type", "text");
        f[k++] = F_FN("parts", cg_text_parts, n);
        break;
    }
    emit_fields(g, f, k);
}

/* ---- ChatGPT metadata: which keys appear depends on the message kind and the era. */

/* Stop tokens are an array; in pretty mode it must be indented like everything else. */
static void cg_stop_tokens(Gen *g, const void *arg)
{
    (void)arg;
    w_open(&g->w, 1);
    w_int(&g->w, 200002);
    w_close(&g->w);
}

static void cg_finish(Gen *g, const void *arg)
{
    (void)arg;
    Field f[] = { F_STR("type", "stop"), F_FN("stop_tokens", cg_stop_tokens, NULL) };
    emit_fields(g, f, 2);
}

static void cg_user_ctx(Gen *g, const void *arg)
{
    (void)arg;
    Field f[] = { F_STR("about_user_message",
                        "I write a memory allocator library called arenakit."),
                  F_STR("about_model_message", "Answer in short paragraphs. Prefer C over C++.") };
    emit_fields(g, f, 2);
}

static void cg_attachments(Gen *g, const void *arg)
{
    const Node *n = arg;
    w_open(&g->w, 1);
    if (n->kind == K_USER_IMAGE) {
        for (int i = 0; i < image_count(n); i++) {
            char id[40], ptr[80], name[40];
            uint32_t size;
            int wd, ht;
            image_ids(n, i, id, ptr, &size, &wd, &ht);
            snprintf(name, sizeof name, "screenshot-%d.png", i + 1);
            Field f[] = { F_STR("id", id), F_INT("size", size), F_STR("name", name),
                          F_STR("mime_type", "image/png"), F_INT("width", wd),
                          F_INT("height", ht) };
            emit_fields(g, f, (int)COUNT(f));
        }
    } else {
        Rng r;
        char id[40], tail[24];
        rng_seed(&r, mix2(n->seed, 11));
        fmt_alnum(&r, tail, 22);
        snprintf(id, sizeof id, "file-%s", tail);
        Field f[] = { F_STR("name", "allocs.csv"), F_STR("id", id),
                      F_INT("size", rng_range(&r, 200, 90000)), F_STR("mime_type", "text/csv") };
        emit_fields(g, f, (int)COUNT(f));
    }
    w_close(&g->w);
}

static void cg_args(Gen *g, const void *arg)
{
    const char *q = arg;
    w_open(&g->w, 1);
    if (q) {
        w_str(&g->w, q);
    } else {
        w_str(&g->w, "0");
        w_str(&g->w, "1");
    }
    w_close(&g->w);
}

static void cg_cite_format(Gen *g, const void *arg)
{
    (void)arg;
    Field f[] = { F_STR("name", "tether_og") };
    emit_fields(g, f, 1);
}

static void cg_cite_list(Gen *g, const void *arg)
{
    const Site *site = arg;
    w_open(&g->w, 1);
    Field f[] = { F_STR("type", "webpage"), F_STR("title", site->title), F_STR("url", site->url),
                  F_STR("text", "") };
    emit_fields(g, f, (int)COUNT(f));
    w_close(&g->w);
}

static void cg_cite_metadata(Gen *g, const void *arg)
{
    Field f[] = { F_FN("citation_format", cg_cite_format, NULL),
                  F_FN("metadata_list", cg_cite_list, arg) };
    emit_fields(g, f, 2);
}

typedef struct {
    const Node *n;
    char run_id[40];
} AggArg;

static void cg_aggregate(Gen *g, const void *arg)
{
    const AggArg *a = arg;
    const Node *n = a->n, *code = &g->nodes[n->parent];
    Body src = node_body(g, code, TX_PYCODE, 0, code->len);
    Body out = node_body(g, n, TX_OUTPUT, 0, n->len);
    Field f[] = { F_STR("status", "success"), F_STR("run_id", a->run_id),
                  F_TIME("start_time", n->t - SEC(1) / 4), F_TIME("update_time", n->t),
                  F_FN("code", body_value, &src), F_TIME("end_time", n->t),
                  F_FN("final_expression_output", body_value, &out),
                  F_NULL("in_kernel_exception"), F_NULL("system_exception"),
                  F_FN("messages", empty_array, NULL), F_FN("jupyter_messages", empty_array, NULL),
                  F_NULL("timeout_triggered") };
    emit_fields(g, f, (int)COUNT(f));
}

static void cg_serialization(Gen *g, const void *arg)
{
    (void)arg;
    Field f[] = { F_FN("custom_symbol_offsets", empty_array, NULL) };
    emit_fields(g, f, 1);
}

static void cg_citation_meta(Gen *g, const void *arg)
{
    const Site *site = arg;
    Field f[] = { F_STR("type", "webpage"), F_STR("title", site->title), F_STR("url", site->url),
                  F_STR("text", ""), F_NULL("pub_date"), F_NULL("extra") };
    emit_fields(g, f, (int)COUNT(f));
}

/* Offsets of the citation mark in the answer; only their shape matters to an importer. */
static void cg_citations(Gen *g, const void *arg)
{
    w_open(&g->w, 1);
    Field f[] = { F_INT("start_ix", 24), F_INT("end_ix", 34),
                  F_STR("citation_format_type", "tether_og"),
                  F_FN("metadata", cg_citation_meta, arg) };
    emit_fields(g, f, (int)COUNT(f));
    w_close(&g->w);
}

static int is_user(const Node *n)
{
    return n->kind == K_USER_TEXT || n->kind == K_USER_IMAGE;
}

/* Strings that metadata fields point to; they must outlive the field list. */
typedef struct {
    Rng r;
    char parent_id[40], req[48], xid[40];
    AggArg agg;
} MetaCtx;

static int cg_user_meta(Gen *g, const Node *n, MetaCtx *m, Field *f)
{
    const Chat *c = &g->chat;
    int k = 0;
    if (n->kind == K_USER_IMAGE || (n->flags & NF_ATTACH))
        f[k++] = F_FN("attachments", cg_attachments, n);
    if (c->style == CG_2025) {
        fmt_uuid(uuid_v4(&m->r), m->xid);
        f[k++] = F_NULL("message_source");
        f[k++] = F_STR("timestamp_", "absolute");
        f[k++] = F_STR("turn_exchange_id", m->xid);
    } else if (!c->nulltime) {
        if (rng_pct(&m->r, 50))
            f[k++] = F_STR("request_id", m->req);
        if (c->style == CG_2024 && rng_pct(&m->r, 10)) {
            f[k++] = F_FN("selected_github_repos", empty_array, NULL);
            f[k++] = F_FN("serialization_metadata", cg_serialization, NULL);
        }
        if (rng_pct(&m->r, 40))
            f[k++] = F_NULL("message_source");
        f[k++] = F_STR("timestamp_", "absolute");
        if (rng_pct(&m->r, 30))
            f[k++] = F_NULL("message_type");
    }
    return k;
}

/* Replies: fields of the message kind first, then the model and linkage fields. */
static int cg_reply_meta(Gen *g, const Node *n, MetaCtx *m, Field *f)
{
    const Chat *c = &g->chat;
    const Site *site = &SITES[n->aux % COUNT(SITES)];
    int k = 0;
    switch (n->kind) {
    case K_ASSIST_TEXT:
        if (rng_pct(&m->r, 40))
            f[k++] = F_FN("finish_details", cg_finish, NULL);
        if (n->flags & NF_CITE)
            f[k++] = F_FN("citations", cg_citations,
                          &SITES[g->nodes[n->parent].aux % COUNT(SITES)]);
        else if (rng_pct(&m->r, 30))
            f[k++] = F_FN("citations", empty_array, NULL);
        break;
    case K_THOUGHTS:
        f[k++] = F_STR("reasoning_status", "is_reasoning");
        break;
    case K_RECAP:
        f[k++] = F_STR("reasoning_status", "reasoning_ended");
        f[k++] = F_INT("finished_duration_sec", (long long)(n->seed % 90 + 2));
        break;
    case K_EXEC_OUTPUT:
        m->agg.n = n;
        fmt_uuid(uuid_v4(&m->r), m->agg.run_id);
        f[k++] = F_BOOL("is_complete", 1);
        f[k++] = F_FN("aggregate_result", cg_aggregate, &m->agg);
        break;
    case K_TETHER_DISPLAY:
        f[k++] = F_FN("_cite_metadata", cg_cite_metadata, site);
        f[k++] = F_STR("command", "search");
        f[k++] = F_FN("args", cg_args, site->query);
        f[k++] = F_STR("status", "finished");
        break;
    case K_TETHER_QUOTE:
        f[k++] = F_STR("command", "quote_lines");
        f[k++] = F_FN("args", cg_args, NULL);
        f[k++] = F_STR("status", "finished");
        break;
    default:
        break;
    }
    f[k++] = c->model ? F_STR("model_slug", c->model) : F_NULL("model_slug");
    if (c->model && rng_pct(&m->r, 50))
        f[k++] = F_STR("default_model_slug", c->model);
    f[k++] = F_STR("parent_id", m->parent_id);
    if (rng_pct(&m->r, 20))
        f[k++] = F_STR("request_id", m->req);
    f[k++] = F_STR("timestamp_", "absolute");
    return k;
}

static void cg_metadata(Gen *g, const void *arg)
{
    static const char *const CITY[] = { "AMS", "IAD", "FRA", "SJC", "NRT", "LHR", "CDG" };
    const Node *n = arg;
    MetaCtx m;
    char hex[20];
    memset(&m, 0, sizeof m);
    rng_seed(&m.r, mix2(n->seed, 3));
    fmt_hex(&m.r, hex, 16);
    snprintf(m.req, sizeof m.req, "%s-%s", hex, PICK(&m.r, CITY));
    if (n->parent >= 0)
        cg_node_id(g, n->parent, m.parent_id);
    Field f[16];
    int k = 0;
    if (n->kind == K_SYS_HIDDEN) {
        f[k++] = F_BOOL("is_visually_hidden_from_conversation", 1);
    } else if (n->kind == K_UEC_HIDDEN) {
        f[k++] = F_BOOL("is_user_system_message", 1);
        f[k++] = F_BOOL("is_visually_hidden_from_conversation", 1);
        f[k++] = F_FN("user_context_message_data", cg_user_ctx, NULL);
    } else if (is_user(n)) {
        k = cg_user_meta(g, n, &m, f);
    } else {
        k = cg_reply_meta(g, n, &m, f);
    }
    emit_fields(g, f, k);
}

static const char *cg_channel(const Gen *g, const Node *n)
{
    const Chat *c = &g->chat;
    if (c->style == CG_2025 || (c->model && strncmp(c->model, "gpt-5", 5) == 0)) {
        if (n->kind == K_CODE || n->kind == K_THOUGHTS)
            return "commentary";
        if (n->kind == K_ASSIST_TEXT)
            return "final";
    }
    return NULL;
}

static void cg_message(Gen *g, const void *arg)
{
    const Node *n = arg;
    const Chat *c = &g->chat;
    char id[40];
    cg_node_id(g, (int)(n - g->nodes), id);
    const char *end_turn = "null", *weight = c->style == CG_2025 ? "1" : "1.0";
    if (n->kind == K_ASSIST_TEXT || n->kind == K_SYS_HIDDEN)
        end_turn = "true";
    else if (n->kind == K_CODE || n->kind == K_BROWSE_CODE || n->kind == K_THOUGHTS ||
             n->kind == K_RECAP)
        end_turn = "false";
    if (n->kind == K_SYS_HIDDEN)
        weight = c->style == CG_2025 ? "0" : "0.0";
    const char *recipient = n->kind == K_CODE ? "python" : n->kind == K_BROWSE_CODE ? "browser"
                                                                                  : "all";
    int64_t upd = n->kind == K_EXEC_OUTPUT || n->kind == K_SYS_ERROR ? n->t + SEC(1) / 2 : -1;
    const char *channel = cg_channel(g, n);

    Field f[12];
    int k = 0;
    f[k++] = F_STR("id", id);
    f[k++] = F_FN("author", cg_author, n);
    f[k++] = F_TIME("create_time", node_time(n));
    f[k++] = F_TIME("update_time", upd);
    f[k++] = F_FN("content", cg_content, n);
    f[k++] = F_STR("status", "finished_successfully");
    f[k++] = F_LIT("end_turn", end_turn);
    f[k++] = F_LIT("weight", weight);
    f[k++] = F_FN("metadata", cg_metadata, n);
    f[k++] = F_STR("recipient", recipient);
    if (c->style != CG_2023)
        f[k++] = channel ? F_STR("channel", channel) : F_NULL("channel");
    emit_fields(g, f, k);
}

static void cg_children(Gen *g, const void *arg)
{
    const Node *n = arg;
    char id[40];
    w_open(&g->w, 1);
    for (int ch = n->first_child; ch >= 0; ch = g->nodes[ch].next_sibling) {
        cg_node_id(g, ch, id);
        w_str(&g->w, id);
    }
    w_close(&g->w);
}

static void cg_node(Gen *g, int i)
{
    const Node *n = &g->nodes[i];
    char id[40], parent[40];
    cg_node_id(g, i, id);
    Field f[4];
    int k = 0;
    f[k++] = F_STR("id", id);
    f[k++] = n->kind == K_ROOT ? F_NULL("message") : F_FN("message", cg_message, n);
    if (n->parent < 0) {
        f[k++] = F_NULL("parent");
    } else {
        cg_node_id(g, n->parent, parent);
        f[k++] = F_STR("parent", parent);
    }
    if (n->first_child >= 0 || g->chat.style != CG_2025)
        f[k++] = F_FN("children", cg_children, n);
    w_key(&g->w, id);
    emit_fields(g, f, k);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const SortKey *)a)->id, ((const SortKey *)b)->id);
}

/* Mapping keys are not always in tree order: some exports put the current leaf first,
 * 2025+ ones sort them, so importers must link nodes by id, never by position. */
static void cg_mapping(Gen *g, const void *arg)
{
    (void)arg;
    const Chat *c = &g->chat;
    int n = g->nnodes;
    w_open(&g->w, 0);
    switch (c->order) {
    case ORDER_LEAF_FIRST:
        cg_node(g, c->current);
        for (int i = 0; i < n; i++)
            if (i != c->current)
                cg_node(g, i);
        break;
    case ORDER_REVERSED:
        for (int i = n - 1; i >= 0; i--)
            cg_node(g, i);
        break;
    case ORDER_SORTED:
        for (int i = 0; i < n; i++) {
            cg_node_id(g, i, g->keys[i].id);
            g->keys[i].idx = i;
        }
        qsort(g->keys, (size_t)n, sizeof *g->keys, cmp_key);
        for (int i = 0; i < n; i++)
            cg_node(g, g->keys[i].idx);
        break;
    default:
        for (int i = 0; i < n; i++)
            cg_node(g, i);
    }
    w_close(&g->w);
}

static void cg_safe_urls(Gen *g, const void *arg)
{
    (void)arg;
    unsigned seen = 0;
    w_open(&g->w, 1);
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->kind == K_TETHER_QUOTE && !(seen & (1u << n->aux))) {
            seen |= 1u << n->aux;
            w_str(&g->w, SITES[n->aux % COUNT(SITES)].url);
        }
    }
    w_close(&g->w);
}

static void cg_conversation(Gen *g)
{
    Chat *c = &g->chat;
    char id[40], cur[40], gizmo[24], tail[16];
    cg_assign_ids(g);
    fmt_uuid(c->id, id);
    cg_node_id(g, c->current, cur);
    Rng r;
    rng_seed(&r, mix2(c->title_seed, 5));
    fmt_alnum(&r, tail, 9);
    snprintf(gizmo, sizeof gizmo, "g-%s", tail);
    int modern = c->style != CG_2023, newest = c->style == CG_2025 ||
                                                 (c->model && strncmp(c->model, "gpt-5", 5) == 0);

    Field f[32];
    int k = 0;
    f[k++] = F_FN("title", emit_title, NULL);
    f[k++] = F_TIME("create_time", c->nulltime ? -1 : c->t0);
    f[k++] = F_TIME("update_time", c->nulltime ? -1 : c->t_end);
    f[k++] = F_FN("mapping", cg_mapping, NULL);
    f[k++] = F_FN("moderation_results", empty_array, NULL);
    f[k++] = F_STR("current_node", cur);
    f[k++] = F_NULL("plugin_ids");
    f[k++] = F_STR("conversation_id", id);
    f[k++] = c->gizmo ? F_STR("conversation_template_id", gizmo)
                      : F_NULL("conversation_template_id");
    f[k++] = c->gizmo ? F_STR("gizmo_id", gizmo) : F_NULL("gizmo_id");
    if (modern)
        f[k++] = c->gizmo ? F_STR("gizmo_type", "gizmo") : F_NULL("gizmo_type");
    f[k++] = F_BOOL("is_archived", c->archived);
    if (modern)
        f[k++] = F_NULL("is_starred");
    f[k++] = F_FN("safe_urls", cg_safe_urls, NULL);
    if (modern)
        f[k++] = F_FN("blocked_urls", empty_array, NULL);
    f[k++] = c->model ? F_STR("default_model_slug", c->model) : F_NULL("default_model_slug");
    if (modern) {
        f[k++] = F_NULL("conversation_origin");
        f[k++] = F_NULL("voice");
        f[k++] = F_NULL("async_status");
        f[k++] = F_FN("disabled_tool_ids", empty_array, NULL);
        f[k++] = F_BOOL("is_do_not_remember", 0);
        f[k++] = F_STR("memory_scope", "global_enabled");
    }
    if (newest) {
        f[k++] = F_BOOL("sugar_item_visible", 0);
        f[k++] = F_BOOL("is_study_mode", 0);
    }
    f[k++] = F_STR("id", id);
    emit_fields(g, f, k);
}

/* ------------------------------------------------------------------------------------ */
/* Claude.                                                                               */

static const char CLAUDE_ROOT[] = "00000000-0000-4000-8000-000000000000";

static void cl_assign_ids(Gen *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = &g->nodes[i];
        Rng r;
        rng_seed(&r, mix2(n->seed, 7));
        n->id = g->chat.style == CL_2025 ? uuid_v7(&r, n->t) : uuid_v4(&r);
    }
}

/* A reply is updated when it finishes streaming, which is always before the next message
 * in the array is created; prompts are never updated. */
static int64_t cl_updated(const Gen *g, int i)
{
    const Node *n = &g->nodes[i];
    if (is_user(n))
        return n->t;
    int64_t next = i + 1 < g->nnodes ? g->nodes[i + 1].t : g->chat.t_end;
    return n->t + (next - n->t) * 6 / 10;
}

typedef struct {
    const Gen *g;
    const Node *n;
    int64_t t0, t1; /* message created and updated */
    int nblocks;
} BlockClock;

/* Block j of nblocks gets a slice of the message's time span. */
static void block_times(const BlockClock *bc, int j, char *start, char *stop)
{
    int64_t span = bc->t1 - bc->t0;
    int64_t s = bc->t0 + span * j / bc->nblocks + (span > 20 ? span / 20 : 0);
    int64_t e = bc->t0 + span * (j + 1) / bc->nblocks;
    if (e < s)
        e = s;
    fmt_iso(s, start);
    fmt_iso(e, stop);
}

static void cl_summaries(Gen *g, const void *arg)
{
    static const char *const S[] = {
        "Suspecting a mismatch between insert and search size classes.",
        "Planning to run the reproduction.", "Checking the alignment arithmetic.",
        "Weighing mmap against a growable heap.", "Reading the pasted trace.",
    };
    const Node *n = arg;
    int count = (int)(n->seed % 3);
    w_open(&g->w, 1);
    for (int i = 0; i < count; i++) {
        Field f[] = { F_STR("summary", S[(n->seed >> (4 + 8 * i)) % COUNT(S)]) };
        emit_fields(g, f, 1);
    }
    w_close(&g->w);
}

static void cl_tool_input(Gen *g, const void *arg)
{
    Field f[] = { F_STR("code", (const char *)arg) };
    emit_fields(g, f, 1);
}

typedef struct {
    const char *text;
    char uuid[40];
} ResultItem;

static void cl_result_items(Gen *g, const void *arg)
{
    const ResultItem *it = arg;
    w_open(&g->w, 1);
    Field f[] = { F_STR("type", "text"), F_STR("text", it->text), F_STR("uuid", it->uuid) };
    emit_fields(g, f, 3);
    w_close(&g->w);
}

static void cl_thinking_block(Gen *g, const BlockClock *bc, int j)
{
    char start[40], stop[40];
    block_times(bc, j, start, stop);
    Body b = node_body(g, bc->n, TX_THINK, 1, bc->n->len / 3 + 60);
    Field f[] = { F_STR("start_timestamp", start), F_STR("stop_timestamp", stop), F_NULL("flags"),
                  F_STR("type", "thinking"), F_FN("thinking", body_value, &b),
                  F_FN("summaries", cl_summaries, bc->n), F_BOOL("cut_off", 0),
                  F_NULL("alternative_display_type") };
    emit_fields(g, f, (int)COUNT(f));
}

/* A tool call and its result take two blocks; the require() snippet fails like in the
 * real analysis tool, so is_error is sometimes true. */
static void cl_tool_blocks(Gen *g, const BlockClock *bc, int j, int round)
{
    Rng r;
    rng_seed(&r, mix2(bc->n->seed, 40 + (uint64_t)round));
    char start[40], stop[40], id[48], tail[24];
    fmt_alnum(&r, tail, 22);
    snprintf(id, sizeof id, "toolu_01%s", tail);
    uint32_t which = rng_below(&r, COUNT(JS_CODE));
    int err = which == 2;
    ResultItem it = { err ? "ReferenceError: require is not defined"
                          : JS_RESULTS[which % COUNT(JS_RESULTS)], "" };
    fmt_uuid(uuid_v4(&r), it.uuid);

    block_times(bc, j, start, stop);
    Field use[] = { F_STR("start_timestamp", start), F_STR("stop_timestamp", stop),
                    F_NULL("flags"), F_STR("type", "tool_use"), F_STR("id", id),
                    F_STR("name", "repl"), F_FN("input", cl_tool_input, JS_CODE[which]),
                    F_STR("message", err ? "Reading the file" : "Running the code"),
                    F_NULL("integration_name"), F_NULL("integration_icon_url"),
                    F_NULL("icon_name"), F_NULL("context"), F_NULL("display_content"),
                    F_NULL("approval_options"), F_NULL("approval_key") };
    emit_fields(g, use, (int)COUNT(use));

    block_times(bc, j + 1, start, start + 0);
    Field res[] = { F_STR("start_timestamp", start), F_STR("stop_timestamp", start),
                    F_NULL("flags"), F_STR("type", "tool_result"), F_STR("tool_use_id", id),
                    F_STR("name", "repl"), F_FN("content", cl_result_items, &it),
                    F_BOOL("is_error", err), F_NULL("message"), F_NULL("display_content") };
    emit_fields(g, res, (int)COUNT(res));
}

static void cl_text_block(Gen *g, const BlockClock *bc, int j, int timed, int flags)
{
    char start[40], stop[40];
    const Node *n = bc->n;
    Body b = node_body(g, n, is_user(n) ? TX_PROMPT : TX_ANSWER, 0, n->len);
    Field f[6];
    int k = 0;
    if (timed) {
        block_times(bc, j, start, stop);
        f[k++] = F_STR("start_timestamp", start);
        f[k++] = F_STR("stop_timestamp", stop);
    }
    if (flags)
        f[k++] = F_NULL("flags");
    f[k++] = F_STR("type", "text");
    f[k++] = F_FN("text", body_value, &b);
    if (timed)
        f[k++] = F_FN("citations", empty_array, NULL);
    emit_fields(g, f, k);
}

static void cl_content(Gen *g, const void *arg)
{
    const BlockClock *bc = arg;
    const Node *n = bc->n;
    int style = g->chat.style;
    w_open(&g->w, 1);
    if (style != CL_2025 || is_user(n)) {
        cl_text_block(g, bc, 0, style != CL_2024_BARE, style == CL_2025);
    } else {
        /* 2025 replies: optional thinking, optional tool rounds, then the answer. */
        int think = (n->seed >> 8) % 100 < 55;
        int rounds = (n->seed >> 16) % 100 < 20 ? 1 + (int)((n->seed >> 24) & 1) : 0;
        BlockClock c2 = *bc;
        c2.nblocks = think + 2 * rounds + 1;
        int j = 0;
        if (think)
            cl_thinking_block(g, &c2, j++);
        for (int t = 0; t < rounds; t++, j += 2)
            cl_tool_blocks(g, &c2, j, t);
        cl_text_block(g, &c2, j, 1, 1);
    }
    w_close(&g->w);
}

typedef struct {
    Body body;
    const char *name, *type;
} Attachment;

static Attachment cl_attachment(const Gen *g, const Node *n, int i)
{
    static const char *const CFILES[] = { "arena.c", "tlsf.c", "wal.c", "main.c", "json.c" };
    static const char *const TFILES[] = { "notes.txt", "build.log", "todo.txt", "crash.txt" };
    Rng r;
    rng_seed(&r, mix2(n->seed, 20 + (uint64_t)i));
    Attachment a;
    a.body = node_body(g, n, TX_FILE, 30 + (uint64_t)i, (uint32_t)rng_range(&r, 300, 12000));
    if (a.body.seed & 1) {
        a.name = PICK(&r, CFILES);
        a.type = "text/x-csrc";
    } else {
        a.name = PICK(&r, TFILES);
        a.type = rng_below(&r, 2) ? "txt" : "text/plain";
    }
    return a;
}

/* 0: none, 1: attachments only, 2: files only, 3: both */
static int cl_upload_mode(const Node *n)
{
    if (!(n->flags & NF_ATTACH) || !is_user(n))
        return 0;
    return 1 + (int)((n->seed >> 40) % 3);
}

static void cl_attachments(Gen *g, const void *arg)
{
    const Node *n = arg;
    w_open(&g->w, 1);
    if (cl_upload_mode(n) & 1)
        for (int i = 0; i < 1 + (int)((n->seed >> 44) & 1); i++) {
            Attachment a = cl_attachment(g, n, i);
            Field f[] = { F_STR("file_name", a.name),
                          F_INT("file_size", (long long)body_size(&a.body)),
                          F_STR("file_type", a.type),
                          F_FN("extracted_content", body_value, &a.body) };
            emit_fields(g, f, (int)COUNT(f));
        }
    w_close(&g->w);
}

static void cl_files(Gen *g, const void *arg)
{
    const Node *n = arg;
    w_open(&g->w, 1);
    if (cl_upload_mode(n) & 2) {
        Rng r;
        rng_seed(&r, mix2(n->seed, 50));
        char name[48], id[40];
        if (n->t < era_start(2024, 9)) {
            Field f[] = { F_STR("file_name", rng_below(&r, 2) ? "flamegraph.png" : "image.png") };
            emit_fields(g, f, 1);
        } else {
            snprintf(name, sizeof name, "%" PRId64 "_image.png", n->t / 10000);
            fmt_uuid(g->chat.style == CL_2025 ? uuid_v7(&r, n->t) : uuid_v4(&r), id);
            Field f[] = { F_STR("file_uuid", id), F_STR("file_name", name) };
            emit_fields(g, f, 2);
        }
    }
    w_close(&g->w);
}

static void cl_message(Gen *g, int i)
{
    const Node *n = &g->nodes[i];
    int style = g->chat.style;
    char id[40], parent[40], created[40], updated[40];
    BlockClock bc = { g, n, n->t, cl_updated(g, i), 1 };
    Body b = node_body(g, n, is_user(n) ? TX_PROMPT : TX_ANSWER, 0, n->len);
    fmt_uuid(n->id, id);
    fmt_iso(bc.t0, created);
    fmt_iso(bc.t1, updated);
    if (n->parent >= 0)
        fmt_uuid(g->nodes[n->parent].id, parent);
    else
        snprintf(parent, sizeof parent, "%s", CLAUDE_ROOT);

    Field f[10];
    int k = 0;
    f[k++] = F_STR("uuid", id);
    f[k++] = style == CL_2025 ? F_STR("text", "") : F_FN("text", body_value, &b);
    if (style != CL_OLD)
        f[k++] = F_FN("content", cl_content, &bc);
    f[k++] = F_STR("sender", is_user(n) ? "human" : "assistant");
    f[k++] = F_STR("created_at", created);
    f[k++] = F_STR("updated_at", updated);
    f[k++] = F_FN("attachments", cl_attachments, n);
    f[k++] = F_FN("files", cl_files, n);
    if (style == CL_2024 || style == CL_2025)
        f[k++] = F_STR("parent_message_uuid", parent);
    emit_fields(g, f, k);
}

static void cl_messages(Gen *g, const void *arg)
{
    (void)arg;
    w_open(&g->w, 1);
    for (int i = 0; i < g->nnodes; i++)
        cl_message(g, i);
    w_close(&g->w);
}

static void cl_account(Gen *g, const void *arg)
{
    (void)arg;
    char id[40];
    fmt_uuid(g->account, id);
    Field f[] = { F_STR("uuid", id) };
    emit_fields(g, f, 1);
}

static void cl_conversation(Gen *g)
{
    Chat *c = &g->chat;
    char id[40], created[40], updated[40];
    cl_assign_ids(g);
    fmt_uuid(c->id, id);
    fmt_iso(c->t0, created);
    fmt_iso(g->nnodes ? c->t_end : c->t0, updated);
    Body summary = { mix2(c->title_seed, 3), 200 + (size_t)(c->title_seed % 400), TX_SUMMARY,
                     c->lang, NULL, 0, 0 };
    int has_summary = c->style == CL_2025 && g->nnodes && c->title_seed % 4 == 0;
    Field f[] = { F_STR("uuid", id), F_FN("name", emit_title, NULL),
                  has_summary ? F_FN("summary", body_value, &summary) : F_STR("summary", ""),
                  F_STR("created_at", created), F_STR("updated_at", updated),
                  F_FN("account", cl_account, NULL), F_FN("chat_messages", cl_messages, NULL) };
    emit_fields(g, f, (int)COUNT(f));
}

/* ------------------------------------------------------------------------------------ */
/* Passes: a sizing pass only counts bytes; the final pass writes the files.              */

static void account_chat(Gen *g)
{
    Stats *st = &g->st;
    const Chat *c = &g->chat;
    char id[40];
    fmt_uuid(c->id, id);
    st->chats++;
    st->visible += (uint64_t)c->visible;
    st->branch += (uint64_t)c->branch;
    st->hidden += (uint64_t)c->hidden;
    if (c->visible > st->largest_visible) {
        st->largest_visible = c->visible;
        snprintf(st->largest_uuid, sizeof st->largest_uuid, "%s", id);
    }
    if (c->index == g->marker_index)
        snprintf(st->marker_uuid, sizeof st->marker_uuid, "%s", id);
}

static FILE *open_output(const Gen *g, long file_no)
{
    const char *out = g->opt.out;
    if (!g->opt.shard) {
        if (!out || strcmp(out, "-") == 0)
            return stdout;
        FILE *fp = fopen(out, "wb");
        if (!fp)
            fprintf(stderr, "genexport: cannot write %s: %s\n", out, strerror(errno));
        return fp;
    }
    if (file_no == 0 && mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "genexport: cannot create directory %s: %s\n", out, strerror(errno));
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/conversations-%03ld.json", out, file_no);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        fprintf(stderr, "genexport: cannot write %s: %s\n", path, strerror(errno));
    return fp;
}

static int close_output(Gen *g, FILE *fp)
{
    int bad = g->w.ioerr || ferror(fp);
    if (fp == stdout)
        bad |= fflush(fp) != 0;
    else
        bad |= fclose(fp) != 0;
    if (bad)
        fprintf(stderr, "genexport: write error: %s\n", strerror(errno));
    return bad ? -1 : 0;
}

static void emit_chat(Gen *g, long index)
{
    build_chat(g, index);
    w_mode(&g->w, g->chat.ascii, g->chat.slash);
    if (g->opt.format == FMT_CLAUDE)
        cl_conversation(g);
    else
        cg_conversation(g);
}

static void writer_start(Writer *w, FILE *fp)
{
    w->fp = fp;
    w->depth = 0;
    w->used = 0;
    w->ioerr = 0;
    w_mode(w, 0, 0);
}

/* Writes (or with write == 0 only counts) the whole export at the current scale. */
static int run_pass(Gen *g, int write)
{
    Writer *w = &g->w;
    const Options *o = &g->opt;
    memset(&g->st, 0, sizeof g->st);
    g->st.largest_visible = -1;
    w->bytes = w->scaled_bytes = 0;
    long per = o->shard ? o->shard : o->chats;
    long files = o->shard ? (o->chats + per - 1) / per : 1;
    if (files < 1)
        files = 1;
    long next = 0;
    for (long fno = 0; fno < files; fno++) {
        FILE *fp = write ? open_output(g, fno) : NULL;
        if (write && !fp)
            return -1;
        writer_start(w, fp);
        w_open(w, 1);
        for (long i = 0; i < per && next < o->chats; i++, next++) {
            emit_chat(g, next);
            account_chat(g);
        }
        w_close(w);
        if (w->pretty)
            w_raw(w, "\n", 1);
        w_flush(w);
        if (write && close_output(g, fp) != 0)
            return -1;
    }
    g->st.bytes = w->bytes;
    g->st.files = (uint64_t)files;
    return 0;
}

static double absd(double x)
{
    return x < 0 ? -x : x;
}

/* Size at scale 1 from every stride-th chat (plus the giant, counted once): cheap, and
 * close enough to start the exact passes near the answer. */
static void estimate(Gen *g, long stride, double *total, double *scaled)
{
    Writer *w = &g->w;
    writer_start(w, NULL);
    *total = *scaled = 0;
    for (long i = 0; i < g->opt.chats; i++) {
        if (i % stride && i != g->giant_index)
            continue;
        uint64_t b0 = w->bytes, s0 = w->scaled_bytes;
        emit_chat(g, i);
        double weight = i == g->giant_index ? 1.0 : (double)stride;
        *total += weight * (double)(w->bytes - b0);
        *scaled += weight * (double)(w->scaled_bytes - s0);
    }
}

static double clamp_scale(double s)
{
    return s < 0.01 ? 0.01 : s > 10000 ? 10000 : s;
}

/* Whether the output can be written more than once (a regular file or a directory of
 * shards), so sizing passes can write directly instead of counting first. */
static int rewritable(const Options *o)
{
    struct stat sb;
    if (!o->out || strcmp(o->out, "-") == 0)
        return 0;
    if (stat(o->out, &sb) != 0)
        return 1;
    return o->shard ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode);
}

/* Next scale to try: a secant step through the last two (scale, size) points when they
 * are usable, else a linear step that assumes only the scaled text changes. */
static double next_scale(double s, double total, double scaled, double prev_s, double prev_t,
                         double target)
{
    double next = s;
    if (prev_s > 0 && absd(total - prev_t) > 1 && (total - prev_t) * (s - prev_s) > 0)
        next = s + (target - total) * (s - prev_s) / (total - prev_t);
    else if (scaled > 0)
        next = s * (target - (total - scaled)) / scaled;
    return clamp_scale(next);
}

/* Text length grows with g->scale while the structure stays fixed, but short messages
 * have a floor (one sentence), so the size is only roughly linear in the scale.  Solve
 * on a strided sample first (cheap), then take steps on exact passes until within 3%. */
static int write_export(Gen *g)
{
    const Options *o = &g->opt;
    Writer *w = &g->w;
    w->pretty = !o->minify && !o->shard; /* shards are vendor style: one minified line */
    g->scale = 1.0;
    if (o->target_mb <= 0 || o->chats == 0)
        return run_pass(g, 1);
    double target = o->target_mb * 1e6, total, scaled, prev_s = 0, prev_t = 0;
    long stride = o->chats >= 4000 ? 16 : o->chats >= 400 ? 4 : 1;
    if (stride > 1)
        for (int iter = 0; iter < 8; iter++) {
            estimate(g, stride, &total, &scaled);
            double next = next_scale(g->scale, total, scaled, prev_s, prev_t, target);
            if (absd(total - target) <= 0.015 * target || absd(next - g->scale) < 1e-9)
                break;
            prev_s = g->scale;
            prev_t = total;
            g->scale = next;
        }
    int direct = rewritable(o);
    prev_s = prev_t = 0;
    for (int iter = 0;; iter++) {
        if (run_pass(g, direct) != 0)
            return -1;
        total = (double)w->bytes;
        scaled = (double)w->scaled_bytes;
        double next = g->scale;
        if (absd(total - target) > 0.03 * target && iter < 5)
            next = next_scale(g->scale, total, scaled, prev_s, prev_t, target);
        if (absd(next - g->scale) < 1e-9)
            return direct ? 0 : run_pass(g, 1);
        prev_s = g->scale;
        prev_t = total;
        g->scale = next;
    }
}

static void setup(Gen *g)
{
    Rng r;
    rng_seed(&r, mix2(g->opt.seed, 0));
    g->account = uuid_v4(&r);
    /* letters none of the word pools put next to "zq", so the marker is unique */
    static const char letters[] = "ghjkmnpqrstvwxyz";
    memcpy(g->marker, "zq", 2);
    for (int i = 2; i < 14; i++)
        g->marker[i] = letters[rng_below(&r, 16)];
    g->marker[14] = 0;
    long n = g->opt.chats;
    g->marker_index = n > 0 ? (long)rng_below(&r, (uint32_t)n) : -1;
    g->giant_index = -1;
    double target = g->opt.target_mb * 1e6;
    if (n >= 50 && (target > 0 ? target >= 40e6 : n >= 2000)) {
        g->giant_index = (long)rng_below(&r, (uint32_t)n);
        g->giant_budget = target > 0 ? target * 0.025 : 4e6;
        if (g->giant_budget < 2e6)
            g->giant_budget = 2e6;
        if (g->giant_budget > 12e6)
            g->giant_budget = 12e6;
    }
}

static int write_manifest(const Gen *g)
{
    FILE *fp = fopen(g->opt.manifest, "w");
    if (!fp) {
        fprintf(stderr, "genexport: cannot write %s: %s\n", g->opt.manifest, strerror(errno));
        return -1;
    }
    const Stats *st = &g->st;
    fprintf(fp, "format %s\n", g->opt.format == FMT_CLAUDE ? "claude" : "chatgpt");
    fprintf(fp, "seed %" PRIu64 "\n", g->opt.seed);
    fprintf(fp, "chats %" PRIu64 "\n", st->chats);
    fprintf(fp, "visible_messages %" PRIu64 "\n", st->visible);
    fprintf(fp, "all_messages %" PRIu64 "\n", st->visible + st->branch);
    fprintf(fp, "branch_messages %" PRIu64 "\n", st->branch);
    fprintf(fp, "hidden_messages %" PRIu64 "\n", st->hidden);
    fprintf(fp, "bytes %" PRIu64 "\n", st->bytes);
    fprintf(fp, "files %" PRIu64 "\n", st->files);
    fprintf(fp, "largest_uuid %s\n", st->chats ? st->largest_uuid : "none");
    fprintf(fp, "largest_visible %ld\n", st->chats ? st->largest_visible : 0L);
    fprintf(fp, "marker %s\n", g->marker);
    fprintf(fp, "marker_uuid %s\n", st->chats ? st->marker_uuid : "none");
    if (fclose(fp) != 0) {
        fprintf(stderr, "genexport: write error on %s\n", g->opt.manifest);
        return -1;
    }
    return 0;
}


/* ------------------------------------------------------------------------------------ */
/* Coding agents and Gemini: --format claude-code | codex | gemini write a folder tree      */
/* shaped like ~/.claude/projects (one JSON Lines session per file, 8 projects), like      */
/* ~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl, or like a Takeout's My Activity/Gemini     */
/* Apps/MyActivity.json (one array, newest first, each chat's prompts minutes apart and   */
/* chats hours apart, so the importer's 30-minute rule finds them all). The shapes follow  */
/* the public descriptions the importers are written from (src/chat/import_*.c); text     */
/* comes from the same generators as the exports. --target-mb scales the turns per chat.   */

typedef struct {
    const Options *o;
    Writer *w;
    double factor;      /* turns per chat multiplier (target-mb) */
    uint64_t chats, messages, hidden, files, bytes;
} Agents;

static void ag_text(Writer *w, Rng *r, int nmin, int nmax)
{
    Sink k = { .w = w };
    w_pre_value(w);
    w_raw(w, "\"", 1);
    paragraph(r, &k, 0, nmin, nmax);
    sink_flush(&k);
    w_raw(w, "\"", 1);
}

static void ag_kv(Writer *w, const char *k, const char *v)
{
    w_key(w, k);
    if (v)
        w_str(w, v);
    else
        w_lit(w, "null");
}

static int ag_mkdirs(const char *path)
{
    char b[4096];
    snprintf(b, sizeof b, "%s", path);
    for (char *p = b + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(b, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(b, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static FILE *ag_open(Agents *a, const char *dir, const char *name)
{
    char path[4096];
    if (!a->w->fp && a->o->out == NULL)
        return NULL;
    if (ag_mkdirs(dir) != 0) {
        fprintf(stderr, "genexport: cannot create directory %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        fprintf(stderr, "genexport: cannot write %s: %s\n", path, strerror(errno));
    return fp;
}

static long ag_turns(Agents *a, Rng *r)
{
    long t = (long)((double)rng_range(r, 2, 24) * a->factor + 0.5);
    return t < 1 ? 1 : t;
}

/* One line: the record is one object on its own line (the writer is minified). */
static void ag_end_line(Writer *w)
{
    w_close(w);
    w_raw(w, "\n", 1);
}

static void ag_claude_code(Agents *a, long i, int write)
{
    Writer *w = a->w;
    Rng r;
    rng_seed(&r, mix2(a->o->seed, 0xCC00000000ULL + (uint64_t)i));
    char sid[40], dir[4096], name[64], cwd[64], prev[40] = "", cur[40], ts[40], tool[40];
    fmt_uuid(uuid_v4(&r), sid);
    snprintf(cwd, sizeof cwd, "/home/dev/src/project%ld", i % 8);
    snprintf(dir, sizeof dir, "%s/projects/-home-dev-src-project%ld", a->o->out ? a->o->out : ".", i % 8);
    snprintf(name, sizeof name, "%s.jsonl", sid);
    FILE *fp = write ? ag_open(a, dir, name) : NULL;
    if (write && !fp)
        return;
    writer_start(w, fp);
    int64_t t = date_ticks(2025, 6, 1) + SEC(3600) * i;
    if (rng_pct(&r, 50)) {
        w_open(w, 0);
        ag_kv(w, "type", "summary");
        w_key(w, "summary");
        ag_text(w, &r, 1, 1);
        ag_kv(w, "leafUuid", sid);
        ag_end_line(w);
    }
    long turns = ag_turns(a, &r);
    for (long k = 0; k < turns; k++) {
        int tooled = rng_pct(&r, 40);
        int steps = tooled ? 4 : 2;
        for (int s = 0; s < steps; s++) {
            int user = s == 0 || s == 2;
            fmt_uuid(uuid_v4(&r), cur);
            t += SEC(rng_range(&r, 1, 90));
            fmt_iso(t, ts);
            w_open(w, 0);
            ag_kv(w, "parentUuid", prev[0] ? prev : NULL);
            w_key(w, "isSidechain");
            w_lit(w, "false");
            ag_kv(w, "userType", "external");
            ag_kv(w, "cwd", cwd);
            ag_kv(w, "sessionId", sid);
            ag_kv(w, "version", "2.0.14");
            ag_kv(w, "gitBranch", "main");
            ag_kv(w, "type", user ? "user" : "assistant");
            w_key(w, "message");
            w_open(w, 0);
            ag_kv(w, "role", user ? "user" : "assistant");
            if (!user)
                ag_kv(w, "model", "claude-sonnet-4-5-20250929");
            w_key(w, "content");
            if (s == 0) {
                ag_text(w, &r, 1, 3);
            } else {
                w_open(w, 1);
                w_open(w, 0);
                if (s == 1 && tooled) {
                    snprintf(tool, sizeof tool, "toolu_%016llx", (unsigned long long)rng_next(&r));
                    ag_kv(w, "type", "tool_use");
                    ag_kv(w, "id", tool);
                    ag_kv(w, "name", "Bash");
                    w_key(w, "input");
                    w_open(w, 0);
                    ag_kv(w, "command", "make -j2 test");
                    w_close(w);
                } else if (s == 2) {
                    ag_kv(w, "tool_use_id", tool);
                    ag_kv(w, "type", "tool_result");
                    w_key(w, "content");
                    ag_text(w, &r, 1, 4);
                } else {
                    ag_kv(w, "type", "text");
                    w_key(w, "text");
                    ag_text(w, &r, 2, 8);
                }
                w_close(w);
                w_close(w);
            }
            w_close(w);
            ag_kv(w, "uuid", cur);
            ag_kv(w, "timestamp", ts);
            ag_end_line(w);
            memcpy(prev, cur, sizeof prev);
            a->messages++;
        }
        if (rng_pct(&r, 10)) {
            w_open(w, 0);
            ag_kv(w, "type", "file-history-snapshot");
            ag_kv(w, "messageId", prev);
            w_key(w, "snapshot");
            w_open(w, 0);
            w_key(w, "trackedFileBackups");
            w_open(w, 0);
            w_close(w);
            w_close(w);
            ag_end_line(w);
        }
    }
    w_flush(w);
    a->bytes += w->bytes;
    w->bytes = 0;
    if (fp && (w->ioerr || fclose(fp) != 0))
        fprintf(stderr, "genexport: write error in %s: %s\n", dir, strerror(errno));
}

static void ag_codex_msg(Writer *w, Rng *r, const char *ts, const char *role, const char *text)
{
    w_open(w, 0);
    ag_kv(w, "timestamp", ts);
    ag_kv(w, "type", "response_item");
    w_key(w, "payload");
    w_open(w, 0);
    ag_kv(w, "type", "message");
    ag_kv(w, "role", role);
    w_key(w, "content");
    w_open(w, 1);
    w_open(w, 0);
    ag_kv(w, "type", strcmp(role, "assistant") == 0 ? "output_text" : "input_text");
    w_key(w, "text");
    if (text)
        w_str(w, text);
    else
        ag_text(w, r, 1, strcmp(role, "assistant") == 0 ? 8 : 3);
    w_close(w);
    w_close(w);
    w_close(w);
    ag_end_line(w);
}

static void ag_codex(Agents *a, long i, int write)
{
    Writer *w = a->w;
    Rng r;
    rng_seed(&r, mix2(a->o->seed, 0xC0DE000000ULL + (uint64_t)i));
    char sid[40], dir[4096], name[128], ts[40], call[40];
    fmt_uuid(uuid_v4(&r), sid);
    int64_t t = date_ticks(2025, 9, 1) + SEC(5400) * i;
    fmt_iso(t, ts);
    int y;
    unsigned m, d;
    civil_from_days(t / TICKS_PER_SEC / 86400, &y, &m, &d);
    snprintf(dir, sizeof dir, "%s/sessions/%04d/%02u/%02u", a->o->out ? a->o->out : ".", y, m, d);
    snprintf(name, sizeof name, "rollout-%.10s-%s.jsonl", ts, sid);
    FILE *fp = write ? ag_open(a, dir, name) : NULL;
    if (write && !fp)
        return;
    writer_start(w, fp);
    w_open(w, 0);
    ag_kv(w, "timestamp", ts);
    ag_kv(w, "type", "session_meta");
    w_key(w, "payload");
    w_open(w, 0);
    ag_kv(w, "id", sid);
    ag_kv(w, "timestamp", ts);
    ag_kv(w, "cwd", "/home/dev/src/service");
    ag_kv(w, "originator", "codex_cli_rs");
    ag_kv(w, "cli_version", "0.46.0");
    w_close(w);
    ag_end_line(w);
    ag_codex_msg(w, &r, ts, "user", "<environment_context>\n  <cwd>/home/dev/src/service</cwd>\n</environment_context>");
    a->messages++, a->hidden++;
    long turns = ag_turns(a, &r);
    for (long k = 0; k < turns; k++) {
        t += SEC(rng_range(&r, 5, 120));
        fmt_iso(t, ts);
        ag_codex_msg(w, &r, ts, "user", NULL);
        w_open(w, 0);
        ag_kv(w, "timestamp", ts);
        ag_kv(w, "type", "turn_context");
        w_key(w, "payload");
        w_open(w, 0);
        ag_kv(w, "model", "gpt-5-codex");
        w_close(w);
        ag_end_line(w);
        a->messages++;
        if (rng_pct(&r, 50)) {
            snprintf(call, sizeof call, "call_%016llx", (unsigned long long)rng_next(&r));
            w_open(w, 0);
            ag_kv(w, "timestamp", ts);
            ag_kv(w, "type", "response_item");
            w_key(w, "payload");
            w_open(w, 0);
            ag_kv(w, "type", "function_call");
            ag_kv(w, "name", "shell");
            ag_kv(w, "arguments", "{\"command\":[\"make\",\"test\"]}");
            ag_kv(w, "call_id", call);
            w_close(w);
            ag_end_line(w);
            w_open(w, 0);
            ag_kv(w, "timestamp", ts);
            ag_kv(w, "type", "response_item");
            w_key(w, "payload");
            w_open(w, 0);
            ag_kv(w, "type", "function_call_output");
            ag_kv(w, "call_id", call);
            w_key(w, "output");
            ag_text(w, &r, 1, 3);
            w_close(w);
            ag_end_line(w);
            a->messages += 2;
        }
        ag_codex_msg(w, &r, ts, "assistant", NULL);
        a->messages++;
    }
    w_flush(w);
    a->bytes += w->bytes;
    w->bytes = 0;
    if (fp && (w->ioerr || fclose(fp) != 0))
        fprintf(stderr, "genexport: write error in %s: %s\n", dir, strerror(errno));
}

/* Gemini: all chats in one array, newest chat first and within it the newest prompt first. */
static void ag_gemini(Agents *a, int write)
{
    Writer *w = a->w;
    char dir[4096], ts[40], title[64];
    snprintf(dir, sizeof dir, "%s/Takeout/My Activity/Gemini Apps", a->o->out ? a->o->out : ".");
    FILE *fp = write ? ag_open(a, dir, "MyActivity.json") : NULL;
    if (write && !fp)
        return;
    writer_start(w, fp);
    w_open(w, 1);
    int64_t cursor = date_ticks(2025, 10, 1); /* the newest prompt of the chat being written */
    for (long i = 0; i < a->o->chats; i++) {
        Rng r;
        rng_seed(&r, mix2(a->o->seed, 0x6E6E000000ULL + (uint64_t)i));
        long turns = ag_turns(a, &r);
        int64_t start = cursor - SEC(60) * 5 * (turns - 1); /* prompts 5 min apart */
        cursor = start - SEC(3600);                        /* chats an hour apart */
        for (long k = turns - 1; k >= 0; k--) {
            Rng tr;
            rng_seed(&tr, mix2(a->o->seed, 0x6E6F000000ULL + (uint64_t)i * 1000003 + (uint64_t)k));
            fmt_iso(start + SEC(60) * 5 * k, ts);
            w_open(w, 0);
            ag_kv(w, "header", rng_pct(&tr, 5) ? "Bard" : "Gemini Apps");
            w_key(w, "title");
            {
                Sink s = { .w = w };
                w_pre_value(w);
                w_raw(w, "\"Prompted ", 10);
                snprintf(title, sizeof title, "chat %ld turn %ld: ", i, k);
                putz(&s, title);
                paragraph(&tr, &s, 0, 1, 2);
                sink_flush(&s);
                w_raw(w, "\"", 1);
            }
            ag_kv(w, "time", ts);
            w_key(w, "products");
            w_open(w, 1);
            w_str(w, "Gemini Apps");
            w_close(w);
            w_key(w, "safeHtmlItem");
            w_open(w, 1);
            w_open(w, 0);
            w_key(w, "html");
            {
                Sink s = { .w = w };
                w_pre_value(w);
                w_raw(w, "\"", 1);
                putz(&s, "<p>");
                paragraph(&tr, &s, 0, 2, 6);
                putz(&s, "</p><ul><li>");
                paragraph(&tr, &s, 0, 1, 1);
                putz(&s, "</li></ul>");
                sink_flush(&s);
                w_raw(w, "\"", 1);
            }
            w_close(w);
            w_close(w);
            w_close(w);
            a->messages += 2;
        }
    }
    w_close(w);
    w_raw(w, "\n", 1);
    w_flush(w);
    a->bytes += w->bytes;
    w->bytes = 0;
    if (fp && (w->ioerr || fclose(fp) != 0))
        fprintf(stderr, "genexport: write error in %s: %s\n", dir, strerror(errno));
}

static void ag_pass(Agents *a, int write)
{
    a->chats = a->messages = a->hidden = a->files = a->bytes = 0;
    if (a->o->format == FMT_GEMINI) {
        ag_gemini(a, write);
        a->files = 1;
        a->chats = (uint64_t)a->o->chats;
        return;
    }
    for (long i = 0; i < a->o->chats; i++) {
        if (a->o->format == FMT_CLAUDE_CODE)
            ag_claude_code(a, i, write);
        else
            ag_codex(a, i, write);
        a->chats++, a->files++;
    }
}

static int write_agents(Gen *g)
{
    const Options *o = &g->opt;
    if (!o->out || strcmp(o->out, "-") == 0) {
        fputs("genexport: --format claude-code|codex|gemini writes a folder: give --out DIR\n", stderr);
        return -1;
    }
    Agents a = { .o = o, .w = &g->w, .factor = 1.0 };
    g->w.pretty = 0; /* JSON Lines: a record per line (Gemini too: one long line) */
    if (o->target_mb > 0 && o->chats > 0) { /* one counting pass at factor 1, then scale */
        ag_pass(&a, 0);
        if (a.bytes)
            a.factor = o->target_mb * 1e6 / (double)a.bytes;
    }
    ag_pass(&a, 1);
    if (o->manifest) {
        FILE *fp = fopen(o->manifest, "w");
        if (!fp)
            return fprintf(stderr, "genexport: cannot write %s: %s\n", o->manifest, strerror(errno)), -1;
        static const char *const names[] = { [FMT_CLAUDE_CODE] = "claude-code", [FMT_CODEX] = "codex",
                                              [FMT_GEMINI] = "gemini" };
        fprintf(fp, "format %s\nseed %" PRIu64 "\nchats %" PRIu64 "\n", names[o->format], o->seed, a.chats);
        fprintf(fp, "visible_messages %" PRIu64 "\nall_messages %" PRIu64 "\nhidden_messages %" PRIu64 "\n",
                a.messages - a.hidden, a.messages - a.hidden, a.hidden);
        fprintf(fp, "bytes %" PRIu64 "\nfiles %" PRIu64 "\n", a.bytes, a.files);
        if (fclose(fp) != 0)
            return -1;
    }
    g->st.bytes = a.bytes;
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Command line.                                                                         */

static void usage(FILE *f)
{
    fputs("usage: genexport --format claude|chatgpt --chats N [--seed S] [--out PATH]\n"
          "                 [--shard-chats K] [--target-mb M] [--manifest PATH] [--minify]\n"
          "\n"
          "Writes a synthetic Claude.ai or ChatGPT data export (conversations.json) shaped\n"
          "like the real ones. Same arguments and seed give byte-identical output.\n"
          "\n"
          "  --format F        claude or chatgpt; or claude-code, codex, gemini: a folder tree\n"
          "                    at --out DIR shaped like ~/.claude/projects, ~/.codex/sessions\n"
          "                    or a Takeout's My Activity/Gemini Apps (manifest: format, seed,\n"
          "                    chats, visible_messages, all_messages, hidden_messages, bytes,\n"
          "                    files; --target-mb scales the turns per chat)\n"
          "  --chats N         number of conversations (0..100000000)\n"
          "  --seed S          PRNG seed, decimal or 0x hex (default 1)\n"
          "  --out PATH        output file (default stdout); with --shard-chats a directory\n"
          "  --shard-chats K   split into PATH/conversations-000.json, ... of up to K chats\n"
          "                    each, minified on one line without a trailing newline\n"
          "  --target-mb M     scale message lengths so the output is about M MB (10^6 bytes)\n"
          "  --manifest PATH   write the counts a correct importer must find, one 'key value'\n"
          "                    per line: format, seed, chats, visible_messages, all_messages\n"
          "                    (= visible + branch), branch_messages (off the shown thread),\n"
          "                    hidden_messages (hidden system/context messages, not in all),\n"
          "                    bytes, files, largest_uuid, largest_visible (the chat with the\n"
          "                    most visible messages), marker, marker_uuid (the one chat\n"
          "                    whose visible text contains the marker word)\n"
          "  --minify          no indentation (default: indented like the samples)\n"
          "  --help            this text\n",
          f);
}

static void bad_args(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("genexport: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'genexport --help'.\n", stderr);
    exit(2);
}

static long parse_long(const char *name, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        bad_args("%s wants a whole number from %ld to %ld, not '%s'", name, lo, hi, v);
    return x;
}

static void parse_args(int argc, char **argv, Options *o)
{
    int have_format = 0, have_chats = 0;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--minify") == 0) {
            o->minify = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            bad_args("unexpected argument '%s'", a);
        char name[32];
        const char *eq = strchr(a, '='), *v;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (len >= sizeof name)
            bad_args("unknown option '%s'", a);
        memcpy(name, a, len);
        name[len] = 0;
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            bad_args("%s needs a value", name);
        if (strcmp(name, "--format") == 0) {
            if (strcmp(v, "claude") == 0)
                o->format = FMT_CLAUDE;
            else if (strcmp(v, "chatgpt") == 0)
                o->format = FMT_CHATGPT;
            else if (strcmp(v, "claude-code") == 0)
                o->format = FMT_CLAUDE_CODE;
            else if (strcmp(v, "codex") == 0)
                o->format = FMT_CODEX;
            else if (strcmp(v, "gemini") == 0)
                o->format = FMT_GEMINI;
            else
                bad_args("--format must be claude, chatgpt, claude-code, codex or gemini, not '%s'", v);
            have_format = 1;
        } else if (strcmp(name, "--chats") == 0) {
            o->chats = parse_long(name, v, 0, 100000000);
            have_chats = 1;
        } else if (strcmp(name, "--seed") == 0) {
            char *end;
            errno = 0;
            o->seed = strtoull(v, &end, 0);
            if (!*v || *end || errno || *v == '-')
                bad_args("--seed wants an unsigned number, not '%s'", v);
        } else if (strcmp(name, "--out") == 0) {
            o->out = v;
        } else if (strcmp(name, "--shard-chats") == 0) {
            o->shard = parse_long(name, v, 1, 100000000);
        } else if (strcmp(name, "--target-mb") == 0) {
            char *end;
            errno = 0;
            o->target_mb = strtod(v, &end);
            if (!*v || *end || errno || !(o->target_mb > 0) || o->target_mb > 1e6)
                bad_args("--target-mb wants a positive number of megabytes, not '%s'", v);
        } else if (strcmp(name, "--manifest") == 0) {
            o->manifest = v;
        } else {
            bad_args("unknown option '%s'", name);
        }
    }
    if (!have_format)
        bad_args("--format claude|chatgpt is required");
    if (!have_chats)
        bad_args("--chats N is required");
    if (o->shard && (!o->out || strcmp(o->out, "-") == 0))
        bad_args("--shard-chats needs --out DIR");
}

int main(int argc, char **argv)
{
    Options opt = { 0 };
    parse_args(argc, argv, &opt); /* before allocating: bad arguments exit(2) right here */
    Gen *g = calloc(1, sizeof *g);
    if (!g)
        return 1;
    g->opt = opt;
    g->nodes = malloc(MAX_NODES * sizeof *g->nodes);
    g->keys = malloc(MAX_NODES * sizeof *g->keys);
    if (!g->nodes || !g->keys) {
        fputs("genexport: out of memory\n", stderr);
        free(g->keys);
        free(g->nodes);
        free(g);
        return 1;
    }
    setup(g);
    if (g->opt.format >= FMT_CLAUDE_CODE) {
        int arc = write_agents(g) == 0 ? 0 : 1;
        free(g->keys);
        free(g->nodes);
        free(g);
        return arc;
    }
    int rc = write_export(g) == 0 ? 0 : 1;
    if (rc == 0 && g->opt.manifest && write_manifest(g) != 0)
        rc = 1;
    if (rc == 0 && g->opt.target_mb > 0) {
        double want = g->opt.target_mb * 1e6, got = (double)g->st.bytes;
        if (absd(got - want) > 0.15 * want)
            fprintf(stderr, "genexport: warning: wrote %.1f MB, target was %.1f MB (%ld chats "
                            "cannot be made that %s)\n", got / 1e6, want / 1e6, g->opt.chats,
                    got > want ? "small" : "large");
    }
    free(g->keys);
    free(g->nodes);
    free(g);
    return rc;
}
