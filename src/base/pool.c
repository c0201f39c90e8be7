// pool.c: the slot table behind pool.h. Claiming a slot is one atomic fetch-or on a 64-bit
// word of the bitmask; a thread that loses the race on a bit sees it set in the returned
// value and tries the next clear bit. Threads start scanning at different words so they
// rarely collide.
#include "arenakit/pool.h"

#include "arenakit/os.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>


#if AK_POOL_SLOTS % 64 != 0 || AK_POOL_SLOTS <= 0
#  error "AK_POOL_SLOTS must be a positive multiple of 64"
#endif
#define POOL_WORDS (AK_POOL_SLOTS / 64)
_Static_assert(AK_POOL_SLOTS <= INT32_MAX, "slot numbers are int32_t");
_Static_assert(sizeof(uint64_t) * 8 == 64, "one bitmask word holds 64 slots");

typedef struct PoolSlot {
    _Atomic(void *) object;   // NULL while the slot is being filled or emptied
    _Atomic uint32_t readers; // reports reading the object now: its release waits for them
    uint32_t kind;
    const char *name;
    AkLoc loc;
    AkPoolStatsFn *stats;
} PoolSlot;

static _Atomic uint64_t pool_used[POOL_WORDS];
static PoolSlot pool_slots[AK_POOL_SLOTS];
static _Atomic uint32_t pool_next_word;

int32_t ak_pool_register(void *object, uint32_t kind, const char *name, AkLoc loc, AkPoolStatsFn *stats) {
    AK_ASSERT(object && stats, "ak_pool_register needs an object and a stats function");
    uint32_t first = atomic_fetch_add_explicit(&pool_next_word, 1, memory_order_relaxed) % POOL_WORDS;
    for (uint32_t i = 0; i < POOL_WORDS; i++) {
        uint32_t w = (first + i) % POOL_WORDS;
        uint64_t bits = atomic_load_explicit(&pool_used[w], memory_order_relaxed);
        while (~bits) {
            uint64_t bit = (uint64_t)1 << __builtin_ctzll(~bits);
            bits = atomic_fetch_or_explicit(&pool_used[w], bit, memory_order_acquire);
            if (bits & bit) continue; // another thread took it first
            int32_t slot = (int32_t)(w * 64 + (uint32_t)__builtin_ctzll(bit));
            PoolSlot *s = &pool_slots[slot];
            s->kind = kind;
            s->name = name;
            s->loc = AK_DEBUG ? loc : AK_NO_LOC; // the library's mode decides, not the caller's
            s->stats = stats;
            atomic_store_explicit(&s->object, object, memory_order_release);
            return slot;
        }
    }
    AK_ASSERT(0, "arenakit: the arena pool is full: all %d slots are in use (AK_POOL_SLOTS); "
                 "release arenas you no longer need or rebuild arenakit with -DAK_POOL_SLOTS=N",
              AK_POOL_SLOTS);
    return -1;
}

// Debug builds remember the last released objects, so a second release can name what it was.
#if AK_DEBUG
#  define RELEASED_COUNT 64
typedef struct Released {
    const void *object;
    uint32_t kind;
    const char *name;
    AkLoc loc;
} Released;
static Released pool_released[RELEASED_COUNT];
static uint32_t pool_released_next;
static atomic_flag pool_released_lock = ATOMIC_FLAG_INIT;

static void released_lock(void) {
    while (atomic_flag_test_and_set_explicit(&pool_released_lock, memory_order_acquire)) ak_os_yield();
}
static void released_unlock(void) { atomic_flag_clear_explicit(&pool_released_lock, memory_order_release); }
#endif

void ak_pool_assert_live(const void *object, const char *op) {
#if AK_DEBUG
    for (int w = 0; w < POOL_WORDS; w++) {
        uint64_t bits = atomic_load_explicit(&pool_used[w], memory_order_acquire);
        while (bits) {
            int32_t slot = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            if (atomic_load_explicit(&pool_slots[slot].object, memory_order_acquire) == object) return;
        }
    }
    Released r = {0};
    released_lock();
    for (uint32_t i = 0; i < RELEASED_COUNT; i++) {
        const Released *e = &pool_released[(pool_released_next - 1 - i) % RELEASED_COUNT];
        if (e->object == object) {
            r = *e;
            break;
        }
    }
    released_unlock();
    if (r.object)
        ak_assert_fail("live object", __FILE__, __LINE__, "%s: %s '%s' (created at %s:%d) at %p was already released",
                       op, ak_pool_kind_name(r.kind), r.name ? r.name : "(unnamed)", r.loc.file ? r.loc.file : "?",
                       r.loc.line, object);
    ak_assert_fail("live object", __FILE__, __LINE__, "%s: %p is not a live arena or heap (never created, or released long ago)",
                   op, object);
#else
    (void)object;
    (void)op;
#endif
}

void ak_pool_unregister(int32_t slot) {
    AK_ASSERT(slot >= 0 && slot < AK_POOL_SLOTS, "pool slot %d out of range", (int)slot);
    PoolSlot *s = &pool_slots[slot];
    AK_ASSERT(atomic_load(&s->object) != NULL, "pool slot %d released twice", (int)slot);
#if AK_DEBUG
    void *object = atomic_load(&s->object);
    released_lock();
    pool_released[pool_released_next++ % RELEASED_COUNT] = (Released){object, s->kind, s->name, s->loc};
    released_unlock();
#endif
    // Sequentially consistent with the reader's count-then-load (pool_each): either the
    // reader sees NULL, or this sees its count and waits until it has read the object.
    atomic_store(&s->object, NULL);
    while (atomic_load(&s->readers) != 0) ak_os_yield();
    uint64_t bit = (uint64_t)1 << (slot % 64);
    atomic_fetch_and_explicit(&pool_used[slot / 64], ~bit, memory_order_release);
}

uint32_t ak_pool_count(void) {
    uint32_t n = 0;
    for (int w = 0; w < POOL_WORDS; w++)
        n += (uint32_t)__builtin_popcountll(atomic_load_explicit(&pool_used[w], memory_order_acquire));
    return n;
}

uint32_t ak_pool_capacity(void) { return AK_POOL_SLOTS; }

// Visit every live entry without a snapshot buffer.
static void pool_each(void (*fn)(const AkPoolEntry *, void *), void *ctx) {
    for (int w = 0; w < POOL_WORDS; w++) {
        uint64_t bits = atomic_load_explicit(&pool_used[w], memory_order_acquire);
        while (bits) {
            int32_t slot = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            PoolSlot *s = &pool_slots[slot];
            // Counted as a reader while reading the object, so its release waits (see
            // ak_pool_unregister); the callback runs after, on a copy.
            atomic_fetch_add(&s->readers, 1);
            void *obj = atomic_load(&s->object);
            AkPoolEntry e = {0};
            if (obj) e = (AkPoolEntry){slot, s->kind, obj, s->name, s->loc, s->stats(obj)};
            atomic_fetch_sub_explicit(&s->readers, 1, memory_order_release);
            if (obj) fn(&e, ctx);
        }
    }
}

typedef struct SnapshotCtx {
    AkPoolEntry *out;
    uint32_t max, n;
} SnapshotCtx;

static void snapshot_add(const AkPoolEntry *e, void *p) {
    SnapshotCtx *c = p;
    if (c->n < c->max) c->out[c->n++] = *e;
}

uint32_t ak_pool_snapshot(AkPoolEntry *out, uint32_t max) {
    SnapshotCtx c = {out, max, 0};
    pool_each(snapshot_add, &c);
    return c.n;
}

const char *ak_pool_kind_name(uint32_t kind) {
    switch (kind) {
    case AK_POOL_KIND_ARENA: return "arena";
    case AK_POOL_KIND_SCRATCH: return "scratch";
    case AK_POOL_KIND_HEAP: return "heap";
    default: return "other";
    }
}

static const char *loc_text(AkLoc loc, char *buf, size_t cap) {
    if (!loc.file) return "-";
    const char *f = loc.file;
    for (const char *p = loc.file; *p; p++)
        if (*p == '/') f = p + 1;
    snprintf(buf, cap, "%s:%d", f, loc.line);
    return buf;
}

// Human sizes for the table: exact bytes under 10 KB, then KB / MB / GB with one decimal.
static const char *size_text(uint64_t n, char *buf, size_t cap) {
    if (n < 10 * 1024) snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else if (n < AK_MB(1)) snprintf(buf, cap, "%.1f KB", n / 1024.0);
    else if (n < AK_GB(1)) snprintf(buf, cap, "%.1f MB", n / 1048576.0);
    else snprintf(buf, cap, "%.1f GB", n / 1073741824.0);
    return buf;
}

static void stats_add(AkMemStats *t, const AkMemStats *s) {
    t->reserved += s->reserved;
    t->committed += s->committed;
    t->used += s->used;
    t->high_water += s->high_water;
    t->blocks += s->blocks;
}

typedef struct TotalsCtx {
    uint32_t kind;
    AkMemStats total;
} TotalsCtx;

static void totals_add(const AkPoolEntry *e, void *p) {
    TotalsCtx *c = p;
    // A heap's memory already counts in the arena it grows on: "all" counts each byte once.
    if (c->kind == AK_POOL_KIND_COUNT ? e->kind != AK_POOL_KIND_HEAP : c->kind == e->kind)
        stats_add(&c->total, &e->stats);
}

AkMemStats ak_pool_totals(uint32_t kind) {
    TotalsCtx c = {kind, {0}};
    pool_each(totals_add, &c);
    return c.total;
}

typedef struct ReportCtx {
    FILE *out;
    AkMemStats total;
    uint32_t count;
    bool skip_scratch;
} ReportCtx;

static void report_row(const AkPoolEntry *e, void *p) {
    ReportCtx *c = p;
    if (c->skip_scratch && e->kind == AK_POOL_KIND_SCRATCH) return;
    char lb[96], r[24], cm[24], u[24], h[24];
    fprintf(c->out, "%5d  %-20.20s %-7s %-24.24s %10s %10s %10s %10s %6llu\n", (int)e->slot,
            e->name ? e->name : "(unnamed)", ak_pool_kind_name(e->kind), loc_text(e->loc, lb, sizeof lb),
            size_text(e->stats.reserved, r, sizeof r), size_text(e->stats.committed, cm, sizeof cm),
            size_text(e->stats.used, u, sizeof u), size_text(e->stats.high_water, h, sizeof h),
            (unsigned long long)e->stats.blocks);
    if (e->kind != AK_POOL_KIND_HEAP) stats_add(&c->total, &e->stats); // counted in its arena
    c->count++;
}

static void report_header(FILE *out) {
    fprintf(out, "%5s  %-20s %-7s %-24s %10s %10s %10s %10s %6s\n", "slot", "name", "kind",
            "created at", "reserved", "committed", "used", "high water", "blocks");
}

void ak_pool_report(FILE *out) {
    ReportCtx c = {out, {0}, 0, false};
    report_header(out);
    pool_each(report_row, &c);
    char r[24], cm[24], u[24], h[24];
    fprintf(out, "%5s  %-20s %-7s %-24s %10s %10s %10s %10s %6llu\n", "", "total", "", "(heaps inside arenas)",
            size_text(c.total.reserved, r, sizeof r), size_text(c.total.committed, cm, sizeof cm),
            size_text(c.total.used, u, sizeof u), size_text(c.total.high_water, h, sizeof h),
            (unsigned long long)c.total.blocks);
    fprintf(out, "%u of %d pool slots in use\n", c.count, AK_POOL_SLOTS);
}

static void json_string(FILE *out, const char *s) {
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
        else fputc(ch, out);
    }
    fputc('"', out);
}

static void report_json_row(const AkPoolEntry *e, void *p) {
    ReportCtx *c = p;
    fprintf(c->out, "%s\n  {\"slot\": %d, \"name\": ", c->count ? "," : "", (int)e->slot);
    if (e->name) json_string(c->out, e->name);
    else fputs("null", c->out);
    fprintf(c->out, ", \"kind\": \"%s\", \"file\": ", ak_pool_kind_name(e->kind));
    if (e->loc.file) json_string(c->out, e->loc.file);
    else fputs("null", c->out);
    fprintf(c->out,
            ", \"line\": %d, \"reserved\": %llu, \"committed\": %llu, \"used\": %llu, "
            "\"high_water\": %llu, \"blocks\": %llu}",
            e->loc.line, (unsigned long long)e->stats.reserved, (unsigned long long)e->stats.committed,
            (unsigned long long)e->stats.used, (unsigned long long)e->stats.high_water,
            (unsigned long long)e->stats.blocks);
    c->count++;
}

void ak_pool_report_json(FILE *out) {
    ReportCtx c = {out, {0}, 0, false};
    fputc('[', out);
    pool_each(report_json_row, &c);
    fputs(c.count ? "\n]\n" : "]\n", out);
}

void ak_pool_trace_header(FILE *out) { fputs("t_ms,slot,kind,name,reserved,committed,used\n", out); }

typedef struct TraceCtx {
    FILE *out;
    double t_ms;
} TraceCtx;

static void trace_row(const AkPoolEntry *e, void *p) {
    TraceCtx *c = p;
    fprintf(c->out, "%.3f,%d,%s,", c->t_ms, (int)e->slot, ak_pool_kind_name(e->kind));
    // RFC 4180: a name with a comma or quote is quoted, quotes doubled.
    const char *n = e->name ? e->name : "(unnamed)";
    if (strpbrk(n, ",\"\n")) {
        fputc('"', c->out);
        for (; *n; n++) {
            if (*n == '"') fputc('"', c->out);
            fputc(*n == '\n' ? ' ' : *n, c->out);
        }
        fputc('"', c->out);
    } else {
        fputs(n, c->out);
    }
    fprintf(c->out, ",%llu,%llu,%llu\n", (unsigned long long)e->stats.reserved,
            (unsigned long long)e->stats.committed, (unsigned long long)e->stats.used);
}

void ak_pool_trace_sample(FILE *out, double t_ms) {
    TraceCtx c = {out, t_ms};
    pool_each(trace_row, &c);
}

static void leak_count(const AkPoolEntry *e, void *p) {
    if (e->kind != AK_POOL_KIND_SCRATCH) ++*(uint32_t *)p;
}

uint32_t ak_leak_check(FILE *out) {
    ReportCtx c = {out, {0}, 0, true};
    // Count first so a clean exit prints one short line.
    uint32_t live = 0;
    pool_each(leak_count, &live);
    if (!out) return live;
    if (live == 0) {
        fprintf(out, "arenakit leak check: no arenas or heaps alive\n");
        return 0;
    }
    fprintf(out, "arenakit leak check: %u arena%s or heap%s still alive:\n", live,
            live == 1 ? "" : "s", live == 1 ? "" : "s");
    report_header(out);
    pool_each(report_row, &c);
    return live;
}

// Quiet when nothing leaked: a program that exits cleanly prints nothing extra.
static void leak_check_atexit(void) {
    if (ak_leak_check(NULL)) (void)ak_leak_check(stderr);
}

void ak_leak_check_at_exit(void) {
#if AK_DEBUG
    static atomic_flag registered = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&registered)) atexit(leak_check_atexit);
#else
    (void)leak_check_atexit;
#endif
}
