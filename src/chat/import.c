// import.c: the import driver (a file, a folder or an archive → the JSON reader → the
// normalizers → the sink, one conversation at a time) and what both normalizers share:
// type-checked field access, part lists, ISO times and the order of a conversation's thread.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "chat/import.h"
#include "chat/source.h"
#include "chat/sources.h"

#include "arenakit/scratch.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

// ---- type-checked fields -----------------------------------------------------------------------

static AkStr short_str(AkStr s) { return ak_str(s.ptr, AK_MIN(s.len, 80)); } // for messages

bool chat_norm_fail_at(ChatNorm *n, uint64_t offset, const char *fmt, ...) {
    if (n->failed) return false;
    n->failed = true;
    char what[640], where[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n->conv_uuid.len)
        snprintf(where, sizeof where, "conversation %.*s", AK_STR_FMT(short_str(n->conv_uuid)));
    else
        snprintf(where, sizeof where, "conversation at byte %llu", (unsigned long long)(n->conv_obj ? n->conv_obj->offset : offset));
    if (n->msg_uuid.len)
        snprintf(where + strlen(where), sizeof where - strlen(where), ", message %.*s", AK_STR_FMT(short_str(n->msg_uuid)));
    return chat_fail(n->err, "%s: %s", where, what);
}

static void kinds_text(uint32_t kinds, char *out, size_t cap) {
    static const ChatJsonKind order[] = {CHAT_JSON_STRING, CHAT_JSON_NUMBER, CHAT_JSON_TRUE, CHAT_JSON_ARRAY, CHAT_JSON_OBJECT};
    out[0] = 0;
    for (size_t i = 0; i < AK_ARRAY_COUNT(order); i++)
        if (kinds & CHAT_KIND_BIT(order[i]))
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? " or " : "", chat_json_kind_name(order[i]));
}

const ChatJson *chat_norm_get(ChatNorm *n, const ChatJson *obj, const char *key, uint32_t kinds, int required) {
    if (n->failed || !obj) return NULL;
    const ChatJson *v = chat_json_get(obj, key);
    // The "expected ..." text is made only on the way to an error: lookups that succeed are
    // most of an import's work.
    char want[64];
    uint32_t asked = kinds;
    if (!v) {
        if (required) {
            kinds_text(asked, want, sizeof want);
            chat_norm_fail_at(n, obj->offset, "field \"%s\" is missing (expected %s) in the object at byte %llu", key, want,
                              (unsigned long long)obj->offset);
        }
        return NULL;
    }
    if (kinds & CHAT_KIND_BIT(CHAT_JSON_TRUE)) kinds |= CHAT_KIND_BIT(CHAT_JSON_FALSE);
    if (kinds & CHAT_KIND_BIT(v->kind)) return v;
    kinds_text(asked, want, sizeof want);
    if (v->kind == CHAT_JSON_NULL) {
        if (required)
            chat_norm_fail_at(n, v->key_offset, "field \"%s\" at byte %llu is null (expected %s)", key,
                              (unsigned long long)v->key_offset, want);
        return NULL;
    }
    chat_norm_fail_at(n, v->key_offset, "field \"%s\" at byte %llu: expected %s%s, found %s", key,
                      (unsigned long long)v->key_offset, want, required ? "" : " or null", chat_json_kind_name(v->kind));
    return NULL;
}

AkStr chat_norm_str(ChatNorm *n, const ChatJson *obj, const char *key, int required) {
    const ChatJson *v = chat_norm_get(n, obj, key, CHAT_KIND_BIT(CHAT_JSON_STRING), required);
    return v ? v->str : ak_str("", 0);
}

double chat_norm_epoch(ChatNorm *n, const ChatJson *obj, const char *key) {
    const ChatJson *v = chat_norm_get(n, obj, key, CHAT_KIND_BIT(CHAT_JSON_NUMBER), CHAT_NORM_OPTIONAL);
    if (!v) return CHAT_TIME_UNKNOWN;
    double t = chat_json_num(v);
    if (!isfinite(t)) {
        chat_norm_fail_at(n, v->key_offset, "field \"%s\" at byte %llu: %.*s is not a time", key,
                          (unsigned long long)v->key_offset, AK_STR_FMT(short_str(v->str)));
        return CHAT_TIME_UNKNOWN;
    }
    return t;
}

double chat_norm_iso_time(ChatNorm *n, const ChatJson *obj, const char *key) {
    const ChatJson *v = chat_norm_get(n, obj, key, CHAT_KIND_BIT(CHAT_JSON_STRING), CHAT_NORM_OPTIONAL);
    double t;
    if (!v || !v->str.len) return CHAT_TIME_UNKNOWN;
    if (chat_parse_iso_time(v->str, &t)) return t;
    chat_norm_fail_at(n, v->key_offset, "field \"%s\" at byte %llu: expected an ISO 8601 time, found \"%.*s\"", key,
                      (unsigned long long)v->key_offset, AK_STR_FMT(short_str(v->str)));
    return CHAT_TIME_UNKNOWN;
}

static bool take_digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool chat_parse_iso_time(AkStr s, double *out) {
    const char *p = s.ptr;
    uint64_t n = s.len, i = 10;
    int y, mo, d, h = 0, mi = 0, se = 0, zh = 0, zm = 0, sign = 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 10 || !take_digits(p, 4, &y) || p[4] != '-' || !take_digits(p + 5, 2, &mo) || p[7] != '-' ||
        !take_digits(p + 8, 2, &d))
        return false;
    // An impossible date (2025-02-29, 2025-06-31) is an error, never a silent roll-over.
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y))) return false;
    double frac = 0, scale = 0.1;
    if (n > 10) { // a date alone is midnight UTC; otherwise a time with minutes, seconds optional
        if (n < 16 || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || !take_digits(p + 11, 2, &h) || p[13] != ':' ||
            !take_digits(p + 14, 2, &mi))
            return false;
        i = 16;
        if (i < n && p[i] == ':') {
            if (i + 3 > n || !take_digits(p + 17, 2, &se)) return false;
            i = 19;
            if (i < n && (p[i] == '.' || p[i] == ',')) {
                if (++i >= n || p[i] < '0' || p[i] > '9') return false;
                for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, scale /= 10) frac += (p[i] - '0') * scale;
            }
        }
        if (h > 23 || mi > 59 || se > 60) return false;
    }
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        sign = p[i] == '+' ? 1 : -1;
        if (i + 3 > n || !take_digits(p + i + 1, 2, &zh)) return false;
        i += 3;
        if (i < n && p[i] == ':') i++;
        if (i + 2 > n || !take_digits(p + i, 2, &zm)) return false;
        i += 2;
        if (zh > 23 || zm > 59) return false;
    }
    if (i != n) return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (zh * 3600 + zm * 60);
    *out = (double)secs + frac;
    return true;
}

// ---- parts -----------------------------------------------------------------------------------

ChatPart *chat_parts_add(AkArena *a, ChatPartList *l, ChatPartKind kind, AkStr name, AkStr text) {
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        ChatPart *items = ak_push_array_nz(a, ChatPart, cap);
        if (!items) {
            l->oom = true;
            return NULL;
        }
        if (l->count) memcpy(items, l->items, l->count * sizeof *items);
        l->items = items, l->cap = cap; // the old array stays on the arena until its pop
    }
    ChatPart *p = &l->items[l->count++];
    *p = (ChatPart){.kind = kind, .name = name, .text = text};
    return p;
}

void chat_parts_add_unknown(AkArena *a, ChatPartList *l, AkStr type, const ChatJson *v) {
    AkStr raw = chat_json_write(a, v);
    if (v && !raw.len) l->oom = true;
    if (chat_parts_add(a, l, CHAT_PART_UNKNOWN, type, raw)) l->unknown++;
}

void chat_msg_set_parts(AkArena *a, ChatMsg *msg, const ChatPartList *l) {
    msg->parts = l->items;
    msg->part_count = l->count;
    msg->text = ak_str("", 0);
    uint32_t texts = 0;
    for (uint32_t i = 0; i < l->count; i++)
        if (l->items[i].kind == CHAT_PART_TEXT && l->items[i].text.len) texts++, msg->text = l->items[i].text;
    if (texts < 2) return; // one text part: its text is the message's, shared
    AkStrBuilder b = ak_str_builder(a);
    for (uint32_t i = 0, k = 0; i < l->count; i++) {
        if (l->items[i].kind != CHAT_PART_TEXT || !l->items[i].text.len) continue;
        if (k++) ak_str_builder_append(&b, AK_STR("\n\n"));
        ak_str_builder_append(&b, l->items[i].text);
    }
    AkStr joined = ak_str_builder_finish(&b, a);
    if (joined.ptr) msg->text = joined;
}

// ---- the thread --------------------------------------------------------------------------------

typedef struct SortItem {
    int32_t parent, idx;
    double created;
} SortItem;

// Children grouped by parent; siblings by creation time (unknown first), then export order.
static int sort_cmp(const void *pa, const void *pb) {
    const SortItem *a = pa, *b = pb;
    if (a->parent != b->parent) return a->parent < b->parent ? -1 : 1;
    if (a->created != b->created) return a->created < b->created ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

bool chat_thread_order(AkArena *a, ChatConv *c, int32_t *parent, int64_t leaf) {
    uint32_t n = c->msg_count;
    c->visible_count = 0;
    if (!n) return true;
    uint8_t *state = ak_push_array(a, uint8_t, n), *placed = ak_push_array(a, uint8_t, n);
    int32_t *path = ak_push_array_nz(a, int32_t, n), *stack = ak_push_array_nz(a, int32_t, n);
    int32_t *first = ak_push_array(a, int32_t, n + 1), *nchild = ak_push_array(a, int32_t, n + 1);
    SortItem *items = ak_push_array_nz(a, SortItem, n);
    ChatMsg *out = ak_push_array(a, ChatMsg, n);
    if (!state || !placed || !path || !stack || !first || !nchild || !items || !out) return false;

    // Cut cycles (hostile or broken input): walk up from each message; meeting the walk itself
    // again means a cycle, broken at the link that closed it.
    for (uint32_t i = 0; i < n; i++) {
        if (parent[i] < -1 || parent[i] >= (int32_t)n) parent[i] = -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = 0;
        int32_t j = (int32_t)i;
        while (j >= 0 && state[j] == 0) state[j] = 1, path[k++] = j, j = parent[j];
        if (j >= 0 && state[j] == 1) parent[path[k - 1]] = -1;
        while (k) state[path[--k]] = 2;
    }
    for (uint32_t i = 0; i < n; i++) items[i] = (SortItem){parent[i], (int32_t)i, c->msgs[i].created};
    qsort(items, n, sizeof *items, sort_cmp);
    for (uint32_t k = 0; k < n; k++) { // slot 0 holds the roots, slot p+1 the children of p
        int32_t s = items[k].parent + 1;
        if (!nchild[s]++) first[s] = (int32_t)k;
    }
    for (uint32_t k = 0; k < n; k++) {
        int32_t s = items[k].parent + 1;
        c->msgs[items[k].idx].sibling_index = (uint32_t)((int32_t)k - first[s] + 1);
        c->msgs[items[k].idx].sibling_count = (uint32_t)nchild[s];
    }
    if (leaf < 0 || leaf >= (int64_t)n) { // the most recently created leaf; the later one on a tie
        leaf = -1;
        for (uint32_t i = 0; i < n; i++)
            if (!nchild[i + 1] && (leaf < 0 || c->msgs[i].created >= c->msgs[leaf].created)) leaf = i;
    }
    uint32_t k = 0, pos = 0;
    for (int32_t j = (int32_t)leaf; j >= 0; j = parent[j]) path[k++] = j;
    while (k) {
        int32_t j = path[--k];
        if (c->msgs[j].hidden) continue;
        out[pos] = c->msgs[j];
        out[pos++].visible = true;
        placed[j] = 1;
    }
    c->visible_count = pos;
    // Everything else in tree order, so each branch reads root to leaf.
    uint32_t sp = 0;
    for (int32_t q = first[0] + nchild[0] - 1; nchild[0] && q >= first[0]; q--) stack[sp++] = items[q].idx;
    while (sp) {
        int32_t j = stack[--sp];
        if (!placed[j]) {
            out[pos] = c->msgs[j];
            out[pos++].visible = false;
            placed[j] = 1;
        }
        int32_t s = j + 1;
        for (int32_t q = first[s] + nchild[s] - 1; nchild[s] && q >= first[s]; q--) stack[sp++] = items[q].idx;
    }
    AK_ASSERT(pos == n, "thread order placed %u of %u messages", pos, n);
    c->msgs = out;
    return true;
}

// ---- uuid map ----------------------------------------------------------------------------------

// Keys are borrowed from the parsed tree, which outlives the map on the same scratch arena.
bool chat_idmap_init(AkArena *a, AkMap *m, uint64_t count) {
    *m = ak_map_str(a, count, AK_MAP_BORROW_KEYS);
    return ak_map_reserve(m, count); // so no put below can fail
}

void chat_idmap_put(AkMap *m, AkStr key, int32_t val) {
    bool added;
    uint64_t *v = ak_map_upsert_str(m, key.ptr ? key : ak_str("", 0), &added);
    if (v && added) *v = (uint64_t)val;
}

int32_t chat_idmap_get(const AkMap *m, AkStr key) {
    uint64_t *v = ak_map_get_str(m, key.ptr ? key : ak_str("", 0));
    return v ? (int32_t)*v : -1;
}

bool chat_import_conv(AkArena *arena, const ChatJson *obj, ChatConv *out, ChatError *err) {
    if (!obj || obj->kind != CHAT_JSON_OBJECT)
        return chat_fail(err, "the element at byte %llu is %s %s, expected a conversation object",
                         (unsigned long long)(obj ? obj->offset : 0),
                         obj && obj->kind == CHAT_JSON_ARRAY ? "an" : "a", obj ? chat_json_kind_name(obj->kind) : "nothing");
    // chatlog's own export first (it holds chats of any source), then the EXPORT rows by their mark.
    if (chat_json_get(obj, "chatlog_export")) return chat_import_native(arena, obj, out, err);
    char marks[300];
    size_t n = 0, k = 0, used = 0;
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *row = chat_source_at(i);
        if (row->reading != CHAT_SOURCE_READ_EXPORT) continue;
        if (chat_json_get(obj, row->mark)) return row->import_conv(arena, obj, out, err);
        n++;
    }
    // "neither chat_messages (Claude) nor mapping (ChatGPT)", or "none of a (A), b (B) or c (C)".
    marks[0] = 0;
    for (size_t i = 0; i < chat_source_count() && used < sizeof marks; i++) {
        const ChatSourceInfo *row = chat_source_at(i);
        if (row->reading != CHAT_SOURCE_READ_EXPORT) continue;
        const char *sep = k == 0 ? (n == 2 ? "neither " : "none of ") : k + 1 == n ? (n == 2 ? " nor " : " or ") : ", ";
        int w = snprintf(marks + used, sizeof marks - used, "%s%s (%s)", sep, row->mark, row->label);
        if (w < 0) break;
        used += (size_t)w, k++;
    }
    const ChatJson *id = chat_json_get(obj, "uuid");
    if (!id || id->kind != CHAT_JSON_STRING) id = chat_json_get(obj, "id");
    if (id && id->kind == CHAT_JSON_STRING)
        return chat_fail(err, "conversation %.*s: the object at byte %llu has %s", AK_STR_FMT(short_str(id->str)),
                         (unsigned long long)obj->offset, marks);
    return chat_fail(err, "the object at byte %llu is not a conversation: it has %s", (unsigned long long)obj->offset, marks);
}

// ---- the driver --------------------------------------------------------------------------------

typedef struct ImportRun {
    AkArena *arena; // the caller's: the report's list
    AkArena *work;  // scratch: file lists, then one conversation at a time above them
    const ChatImportOptions *opt;
    ChatImportSink *sink;
    void *sink_user;
    ChatImportReport *rep;
    ChatError *err;
    uint64_t total, done; // progress: bytes of all sources, bytes of the finished ones
    ChatSourceRun last;   // what sources.c said of the last document (a session log or not)
} ImportRun;

void chat_import_report_add(ChatImportReport *rep, const ChatConv *conv) {
    rep->chats++;
    for (uint32_t i = 0; i < conv->msg_count; i++) {
        if (conv->msgs[i].hidden) rep->hidden_messages++;
        else rep->messages++;
    }
    rep->visible_messages += conv->visible_count;
    rep->unknown_parts += conv->unknown_parts;
}

// Lists one skipped thing as "file: [where: ]what"; `where` is NULL or the element's place.
static void add_listed(ImportRun *run, const char *name, const char *where, const char *what) {
    ChatImportReport *rep = run->rep;
    if (rep->bad_listed >= CHAT_IMPORT_BAD_LIST_MAX) return;
    if (!rep->bad_list) rep->bad_list = ak_push_array(run->arena, AkStr, CHAT_IMPORT_BAD_LIST_MAX);
    AkStr s = rep->bad_list ? ak_str_pushf(run->arena, "%s: %s%s%s", name, where ? where : "", where ? ": " : "", what)
                            : ak_str("", 0);
    if (s.ptr) rep->bad_list[rep->bad_listed++] = s;
}

// A conversation without an id of its own is named by its place in the file's array (1-based),
// so a person can find it: the byte offset in the message says the same for a program.
static void add_bad(ImportRun *run, const char *name, const ChatJson *item, uint32_t index, const char *what) {
    run->rep->bad++;
    static const char *const id_keys[] = {"uuid", "conversation_id", "id"};
    bool named = false;
    for (size_t i = 0; item && item->kind == CHAT_JSON_OBJECT && i < AK_ARRAY_COUNT(id_keys) && !named; i++) {
        const ChatJson *v = chat_json_get(item, id_keys[i]);
        named = v && v->kind == CHAT_JSON_STRING && v->str.len;
    }
    char where[48];
    snprintf(where, sizeof where, "element %u", index);
    add_listed(run, name, named ? NULL : where, what);
}

static const ChatJson *last_child(const ChatJson *v) {
    const ChatJson *c = v ? v->child : NULL;
    while (c && c->next) c = c->next;
    return c;
}

// Which conversation (and message) a syntax error is in, from the partial tree.
static void describe_partial(const ChatJson *item, char *out, size_t cap) {
    out[0] = 0;
    if (!item) return;
    if (item->kind != CHAT_JSON_OBJECT) {
        snprintf(out, cap, " (in the element that starts at byte %llu)", (unsigned long long)item->offset);
        return;
    }
    AkStr conv = ak_str("", 0), msg = ak_str("", 0);
    static const char *const id_keys[] = {"uuid", "conversation_id", "id"};
    for (size_t i = 0; i < AK_ARRAY_COUNT(id_keys) && !conv.len; i++) {
        const ChatJson *v = chat_json_get(item, id_keys[i]);
        if (v && v->kind == CHAT_JSON_STRING) conv = v->str;
    }
    const ChatJson *open = last_child(item); // the member being parsed, or the last one
    if (open && ak_str_eq(open->key, AK_STR("chat_messages")) && open->kind == CHAT_JSON_ARRAY) {
        const ChatJson *m = chat_json_get(last_child(open), "uuid");
        if (m && m->kind == CHAT_JSON_STRING) msg = m->str;
    } else if (open && ak_str_eq(open->key, AK_STR("mapping")) && open->kind == CHAT_JSON_OBJECT && last_child(open)) {
        msg = last_child(open)->key;
    }
    if (conv.len)
        snprintf(out, cap, ", in conversation %.*s", AK_STR_FMT(short_str(conv)));
    else
        snprintf(out, cap, ", in the conversation that starts at byte %llu", (unsigned long long)item->offset);
    if (msg.len) snprintf(out + strlen(out), cap - strlen(out), " (message %.*s)", AK_STR_FMT(short_str(msg)));
}

static void progress(ImportRun *run, uint64_t in_file) {
    if (run->opt && run->opt->progress) run->opt->progress(run->done + in_file, AK_MAX(run->total, run->done + in_file), run->opt->progress_user);
}

// ---- the parser thread ----------------------------------------------------------------------

// One step of the reader: the next conversation's tree and its normalized form (or the end,
// or a syntax fault with the partial tree), on the arena it was parsed on.
typedef struct ImportSlot {
    AkArena *arena;   // the slot's own (threaded), popped by the parser before it refills it
    ChatJsonStep st;
    ChatJson *item;   // the tree (partial on CHAT_JSON_ERROR)
    ChatConv conv;    // when good
    bool good;        // chat_import_conv succeeded; else e says why
    ChatError e;
    uint64_t offset;  // chat_json_offset after this step (the main thread never reads the reader's)
} ImportSlot;

static void parse_one(ChatJsonReader *r, AkArena *arena, ImportSlot *s) {
    s->item = NULL;
    s->good = false;
    s->e.msg[0] = 0;
    s->st = chat_json_next(r, arena, &s->item);
    if (s->st == CHAT_JSON_ITEM) s->good = chat_import_conv(arena, s->item, &s->conv, &s->e);
    s->offset = chat_json_offset(r);
}

// The handoff: the parser thread reads and normalizes conversation N+1 into one slot while the
// caller's thread stores N from the other. Two slots, so at most two conversations are in
// memory at once (the one being stored and the next); each slot is an arena whose pops give
// pages back beyond 1 MB, so a large chat's memory goes when its slot is refilled. A slot
// belongs to the parser while free and to the caller while full; the mutex hands it over. The
// sink runs on the caller's thread only (its SQLite connection), and in the file's order.
typedef struct ImportPipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;       // a slot filled or given back, or stop
    pthread_t thread;
    ChatJsonReader *r;       // the parser thread's until pipe_finish
    ImportSlot slot[2];
    uint64_t slot_base[2];   // each slot arena's empty position
    uint32_t head, full;     // slot[head] is the next for the sink; `full` slots are waiting
    bool stop;               // the caller wants no more (a sink failure): the parser ends
    bool done;               // the parser published its last step (the end or a fault)
} ImportPipe;

static void *pipe_main(void *arg) {
    ImportPipe *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->full == 2 && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        bool stop = p->stop;
        uint32_t k = (p->head + p->full) % 2;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        ImportSlot *s = &p->slot[k];
        ak_arena_pop_to(s->arena, p->slot_base[k]); // the conversation stored from it before
        parse_one(p->r, s->arena, s);
        bool last = s->st != CHAT_JSON_ITEM;
        pthread_mutex_lock(&p->mu);
        p->full++;
        p->done = last;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (last) break;
    }
    return NULL;
}

// False (and nothing to undo) when the slots or the thread cannot be had: the caller parses on
// its own thread instead, with the same results.
static bool pipe_start(ImportPipe *p, ChatJsonReader *r) {
    memset(p, 0, sizeof *p);
    p->r = r;
    for (int i = 0; i < 2; i++) {
        // keep: a typical conversation is tens of KB; a large one's pages go back when popped.
        p->slot[i].arena = ak_arena_create(.name = "import slot", .keep = AK_KB(256));
        if (!p->slot[i].arena) {
            if (i) ak_arena_release(p->slot[0].arena);
            return false;
        }
        p->slot_base[i] = ak_arena_pos(p->slot[i].arena);
    }
    bool ok = pthread_mutex_init(&p->mu, NULL) == 0;
    bool cv = ok && pthread_cond_init(&p->cv, NULL) == 0;
    pthread_attr_t attr;
    bool attr_ok = cv && pthread_attr_init(&attr) == 0;
    // The parser's deepest frame is the reader (no recursion) and the normalizers: 256 KB is plenty.
    if (attr_ok) (void)pthread_attr_setstacksize(&attr, AK_KB(256));
    bool th = attr_ok && pthread_create(&p->thread, &attr, pipe_main, p) == 0;
    if (attr_ok) pthread_attr_destroy(&attr);
    if (th) return true;
    if (cv) pthread_cond_destroy(&p->cv);
    if (ok) pthread_mutex_destroy(&p->mu);
    ak_arena_release(p->slot[0].arena);
    ak_arena_release(p->slot[1].arena);
    return false;
}

// The next step in the file's order (blocks until the parser has it).
static ImportSlot *pipe_take(ImportPipe *p) {
    pthread_mutex_lock(&p->mu);
    while (!p->full) pthread_cond_wait(&p->cv, &p->mu);
    ImportSlot *s = &p->slot[p->head];
    pthread_mutex_unlock(&p->mu);
    return s;
}

// The caller is done with the slot pipe_take gave it; `stop` ends the parser.
static void pipe_give_back(ImportPipe *p, bool stop) {
    pthread_mutex_lock(&p->mu);
    p->head = (p->head + 1) % 2;
    p->full--;
    if (stop) p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void pipe_finish(ImportPipe *p) {
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    ak_arena_release(p->slot[0].arena);
    ak_arena_release(p->slot[1].arena);
}

// One JSON document: every conversation in it to the sink.
static bool import_stream(ImportRun *run, const char *name, ChatJsonReadFn *read, void *user, const char *data, uint64_t len) {
    // Claude Code, Codex CLI and Gemini documents are read by sources.c; others go on below,
    // through a source that replays the head it looked at.
    ChatSourcePeek peek;
    ChatSourceRun src = {.arena = run->arena, .work = run->work, .opt = run->opt, .sink = run->sink,
                         .sink_user = run->sink_user, .rep = run->rep, .err = run->err, .done = run->done,
                         .total = run->total};
    int handled = chat_sources_import(&src, &peek, name, &read, &user, &data, &len);
    run->done += src.parsed;
    run->last = src;
    if (handled) return handled > 0;
    ChatError e = {{0}};
    ChatJsonReader *r = chat_json_reader_create(&e, .read = read, .user = user, .data = data, .len = len,
                                                .max_string = data ? AK_MAX(len, 64) : 0);
    if (!r) return chat_fail(run->err, "%s: %s", name, e.msg);
    bool strict = run->opt && run->opt->strict, salvage = run->opt && run->opt->skip_bad && !strict, ok = true;
    uint32_t bad_here = 0, index = 0, good_here = 0;
    ChatError first_bad = {{0}};
    run->rep->files++;
    ImportPipe pipe;
    bool threaded = pipe_start(&pipe, r);
    for (;;) {
        // The next conversation, parsed and normalized: by the parser thread into a slot, or
        // here on the scratch arena when there is no thread. Handled the same either way.
        AkTemp t = ak_temp_begin(run->work);
        ImportSlot inline_slot, *s = threaded ? pipe_take(&pipe) : &inline_slot;
        if (!threaded) parse_one(r, run->work, s);
        bool stop = false;
        if (s->st == CHAT_JSON_END) {
            stop = true;
        } else if (s->st == CHAT_JSON_ERROR) {
            stop = true;
            char ctx[300];
            describe_partial(s->item, ctx, sizeof ctx);
            if (!salvage) {
                ok = chat_fail(run->err, "%s: %s%s", name, chat_json_error(r), ctx);
            } else {
                // --skip-bad: what came before the fault stays; the rest of this file is unreadable.
                char what[900];
                snprintf(what, sizeof what, "%s%s; the rest of the file was skipped (%u complete conversation%s before it kept)",
                         chat_json_error(r), ctx, good_here, good_here == 1 ? "" : "s");
                run->rep->broken_files++;
                add_listed(run, name, NULL, what);
            }
        } else {
            const ChatConv *conv = &s->conv;
            index++;
            if (!s->good) {
                add_bad(run, name, s->item, index, s->e.msg);
                if (!bad_here++) first_bad = s->e;
            } else if (!bad_here || !strict) {
                good_here++;
                ChatError se = {{0}};
                if (!run->sink(conv, run->sink_user, &se)) {
                    ok = chat_fail(run->err, "%s: conversation %.*s: %s", name, AK_STR_FMT(short_str(conv->uuid)),
                                   se.msg[0] ? se.msg : "the store refused it");
                    stop = true;
                }
                if (!stop) chat_import_report_add(run->rep, conv);
            }
        }
        uint64_t offset = s->offset;
        if (threaded) pipe_give_back(&pipe, stop);
        ak_temp_end(t);
        if (stop) break;
        progress(run, offset);
    }
    if (threaded) pipe_finish(&pipe); // the thread is gone: the reader is this thread's again
    uint64_t parsed = chat_json_offset(r);
    if (ok) progress(run, parsed); // the end of the file: done == total after the last one
    run->rep->bytes += parsed;
    run->rep->replaced += chat_json_replaced(r);
    run->done += parsed;
    chat_json_reader_release(r);
    if (ok && bad_here && strict) {
        // All of them, as far as the message holds; the report lists them one by one. The
        // listed entries carry the element's place for conversations without an id.
        uint32_t from = run->rep->bad_listed - AK_MIN(run->rep->bad_listed, bad_here);
        AkTemp t = ak_temp_begin(run->work);
        AkStrBuilder b = ak_str_builder(run->work);
        if (bad_here == 1) ak_str_builder_appendf(&b, "%s: ", name);
        else ak_str_builder_appendf(&b, "%s: %u bad conversations: ", name, bad_here);
        if (from == run->rep->bad_listed) ak_str_builder_appendf(&b, "%s", first_bad.msg);
        for (uint32_t i = from; i < run->rep->bad_listed; i++)
            ak_str_builder_appendf(&b, "%s%.*s", i > from ? "; " : "", AK_STR_FMT(ak_str_skip(run->rep->bad_list[i], strlen(name) + 2)));
        AkStr all = ak_str_builder_finish(&b, run->work);
        chat_fail(run->err, "%s", all.ptr ? all.ptr : first_bad.msg);
        ak_temp_end(t);
        return false;
    }
    return ok;
}

static int64_t fd_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    int fd = *(int *)user;
    for (;;) {
        ssize_t n = read(fd, buf, (size_t)AK_MIN(cap, AK_MB(16)));
        if (n >= 0) return n;
        if (errno != EINTR) return chat_fail(err, "%s", strerror(errno)), -1;
    }
}

// ---- session files an earlier import read (see file_get in import.h) ----------------------------

enum { FINGER_EDGE = 4096 };

// A hash (ak_hash_bytes, stable across runs) of the first and the last FINGER_EDGE bytes before `offset` (they overlap in a short
// file), and offset itself: a file rewritten rather than appended to (truncated, edited, a
// different session under the same name) almost surely differs in one of them; a file that
// only grew keeps them. False if the file cannot be read that far.
static bool fingerprint(int fd, uint64_t offset, uint64_t *out) {
    uint64_t h = 0;
    char buf[FINGER_EDGE];
    uint64_t starts[2] = {0, offset > FINGER_EDGE ? offset - FINGER_EDGE : 0};
    for (int k = 0; k < 2; k++) {
        uint64_t want = AK_MIN((uint64_t)FINGER_EDGE, offset - starts[k]), got = 0;
        while (got < want) {
            ssize_t n = pread(fd, buf + got, (size_t)(want - got), (off_t)(starts[k] + got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            got += (uint64_t)n;
        }
        h = ak_hash_bytes(buf, want, h);
    }
    *out = ak_hash_bytes(NULL, 0, h ^ offset);
    return true;
}

static int64_t mtime_ns(const struct stat *st) {
#if defined(__APPLE__)
    return (int64_t)st->st_mtimespec.tv_sec * 1000000000 + st->st_mtimespec.tv_nsec;
#else
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
#endif
}

typedef enum FileState { FILE_NEW, FILE_UNCHANGED, FILE_GROWN, FILE_REWRITTEN } FileState;

// What became of a file since the stamp an earlier import stored.
static FileState file_state(int fd, const struct stat *st, const ChatFileStamp *was) {
    uint64_t size = (uint64_t)st->st_size, h;
    int64_t mtime = mtime_ns(st);
    if (was->offset > size || was->offset > was->size || !fingerprint(fd, was->offset, &h) || h != was->fingerprint)
        return FILE_REWRITTEN;
    if (size == was->size && mtime == was->mtime_ns) return FILE_UNCHANGED;
    return size > was->size ? FILE_GROWN : FILE_REWRITTEN; // same size, new time: rewritten in place
}

static bool import_json_file(ImportRun *run, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return chat_fail(run->err, "%s: cannot open: %s", path, strerror(errno));
    const ChatImportOptions *o = run->opt;
    bool track = o && o->file_get && o->file_put;
    char real[PATH_MAX];
    struct stat st;
    FileState state = FILE_NEW;
    if (track && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !realpath(path, real))) track = false;
    if (track) {
        ChatFileStamp was;
        if (o->file_get(o->file_user, real, &was)) state = file_state(fd, &st, &was);
        if (state == FILE_UNCHANGED) {
            close(fd);
            run->rep->files_unchanged++;
            run->done += (uint64_t)st.st_size;
            progress(run, 0);
            return true;
        }
    }
    run->last = (ChatSourceRun){0};
    bool ok = import_stream(run, path, fd_read, &fd, NULL, 0);
    const ChatSourceRun *got = &run->last;
    if (ok && track && got->jsonl) {
        if (state == FILE_GROWN) run->rep->files_grown++;
        if (state == FILE_REWRITTEN) run->rep->files_rewritten++;
        // Stamped as it was when read: a writer appending meanwhile makes the next import see
        // it grown (the size or time differs), never skipped.
        ChatFileStamp now = {(uint64_t)st.st_size, mtime_ns(&st), AK_MIN(got->consumed, (uint64_t)st.st_size), 0};
        if (!got->bad_lines && fingerprint(fd, now.offset, &now.fingerprint))
            ok = o->file_put(o->file_user, real, got->session_source, &now, run->err);
    }
    close(fd);
    return ok;
}

// conversations.json or conversations-NNN.json (as ChatGPT and Claude shard their exports).
static bool is_conversations_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "conversations.json") == 0) return true;
    if (strncmp(base, "conversations-", 14) != 0) return false;
    const char *p = base + 14;
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') p++;
    return strcmp(p, ".json") == 0;
}

// Natural order: digit runs compare as numbers, so conversations-2 sorts before conversations-10.
static int natural_cmp(const char *a, const char *b) {
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *x = a, *y = b;
            while (*x == '0') x++;
            while (*y == '0') y++;
            size_t lx = 0, ly = 0;
            while (x[lx] >= '0' && x[lx] <= '9') lx++;
            while (y[ly] >= '0' && y[ly] <= '9') ly++;
            if (lx != ly) return lx < ly ? -1 : 1;
            int c = strncmp(x, y, lx);
            if (c) return c;
            a = x + lx, b = y + ly;
            continue;
        }
        if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
        a++, b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int natural_qsort(const void *a, const void *b) { return natural_cmp(*(char *const *)a, *(char *const *)b); }

typedef struct NameList {
    AkStrList found;   // matching names (paths or archive member names)
    AkStrList skipped; // a few others, for the message when nothing matches
    uint64_t bytes;
    bool refused;      // the arena refused a matching name: the listing is incomplete
} NameList;

static void list_dir(ImportRun *run, NameList *l, const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue; // ., .., and hidden files
        AkStr path = ak_str_pushf(run->work, "%s/%s", dir, e->d_name);
        struct stat st;
        if (!path.ptr || stat(path.ptr, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth < 8) list_dir(run, l, path.ptr, depth + 1);
        else if (S_ISREG(st.st_mode) && (is_conversations_name(path.ptr) || chat_sources_wanted(path.ptr, false))) {
            if (!ak_str_list_push(run->work, &l->found, path)) l->refused = true;
            l->bytes += (uint64_t)st.st_size;
        } else if (l->skipped.count < 6) (void)!ak_str_list_push(run->work, &l->skipped, path); // for a message only
    }
    closedir(d);
}

static char **sorted_names(ImportRun *run, const AkStrList *list) {
    char **names = ak_push_array(run->work, char *, list->count + 1);
    uint64_t i = 0;
    for (const AkStrNode *s = list->first; s && names; s = s->next) names[i++] = (char *)s->str.ptr;
    if (names && i) qsort(names, (size_t)i, sizeof *names, natural_qsort);
    return names;
}

static bool none_found(ImportRun *run, const char *path, const char *what, const NameList *l) {
    AkStr seen = ak_str_list_join(run->work, &l->skipped, AK_STR(", "));
    return chat_fail(run->err, "%s: no conversations.json or conversations-NNN.json in this %s%s%s%s", path, what,
                     l->skipped.count ? " (it holds " : "", seen.ptr && l->skipped.count ? seen.ptr : "",
                     l->skipped.count ? (l->skipped.count >= 6 ? ", ...)" : ")") : " (it is empty)");
}

static bool import_dir(ImportRun *run, const char *path) {
    NameList l = {0};
    list_dir(run, &l, path, 0);
    if (l.refused) return chat_fail(run->err, "%s: out of memory listing the folder", path);
    if (!l.found.count) return none_found(run, path, "folder", &l);
    char **names = sorted_names(run, &l.found);
    if (!names) return chat_fail(run->err, "%s: out of memory listing the folder", path);
    run->total = l.bytes;
    for (uint64_t i = 0; i < l.found.count; i++)
        if (!import_json_file(run, names[i])) return false;
    return true;
}

// libarchive allocates its own state with malloc; it is freed by archive_read_free.
static struct archive *archive_open(const char *path, ChatError *err) {
    struct archive *a = archive_read_new();
    if (!a) return chat_fail(err, "%s: libarchive: out of memory", path), NULL;
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_7zip(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, AK_KB(64)) != ARCHIVE_OK) {
        chat_fail(err, "%s: cannot read the archive: %s", path, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int64_t archive_member_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    struct archive *a = user;
    la_ssize_t n = archive_read_data(a, buf, (size_t)cap);
    if (n < 0) return chat_fail(err, "%s", archive_error_string(a) ? archive_error_string(a) : "archive read failed"), -1;
    return (int64_t)n;
}

static bool import_archive(ImportRun *run, const char *path) {
    struct archive *a = archive_open(path, run->err);
    struct archive_entry *e;
    NameList l = {0};
    int rc;
    if (!a) return false;
    while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name || archive_entry_filetype(e) != AE_IFREG) continue;
        AkStr copy = ak_str_copy(run->work, ak_str_cstr(name));
        if (is_conversations_name(name) || chat_sources_wanted(name, true)) {
            if (!copy.ptr || !ak_str_list_push(run->work, &l.found, copy)) l.refused = true;
            l.bytes += archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
        } else if (l.skipped.count < 6 && copy.ptr) {
            (void)!ak_str_list_push(run->work, &l.skipped, copy); // for a message only
        }
    }
    bool ok = rc == ARCHIVE_EOF || chat_fail(run->err, "%s: cannot list the archive: %s", path, archive_error_string(a));
    archive_read_free(a);
    if (!ok) return false;
    if (l.refused) return chat_fail(run->err, "%s: out of memory listing the archive", path);
    if (!l.found.count) return none_found(run, path, "archive", &l);
    char **names = sorted_names(run, &l.found);
    if (!names) return chat_fail(run->err, "%s: out of memory listing the archive", path);
    run->total = l.bytes;
    // In natural order, each member read straight from the archive (the headers before it are
    // skipped, which for a zip means seeks, not inflating).
    for (uint64_t i = 0; i < l.found.count && ok; i++) {
        if (!(a = archive_open(path, run->err))) return false;
        while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
            if (archive_entry_pathname(e) && strcmp(archive_entry_pathname(e), names[i]) == 0) break;
        AkStr name = ak_str_pushf(run->work, "%s in %s", names[i], path);
        if (rc != ARCHIVE_OK)
            ok = chat_fail(run->err, "%s: %s", name.ptr ? name.ptr : path, archive_error_string(a) ? archive_error_string(a) : "member vanished");
        else
            ok = import_stream(run, name.ptr ? name.ptr : names[i], archive_member_read, a, NULL, 0);
        archive_read_free(a);
    }
    return ok;
}

// Zip (local header, empty archive, spanned), gzip, bzip2, xz, 7z, or tar's "ustar" at 257.
static bool looks_like_archive(const unsigned char *h, size_t n) {
    return (n >= 4 && h[0] == 'P' && h[1] == 'K' && (h[2] == 3 || h[2] == 5 || h[2] == 7) && h[3] == h[2] + 1) ||
           (n >= 2 && h[0] == 0x1F && h[1] == 0x8B) || (n >= 3 && memcmp(h, "BZh", 3) == 0) ||
           (n >= 6 && memcmp(h, "\xFD" "7zXZ\0", 6) == 0) || (n >= 6 && memcmp(h, "7z\xBC\xAF\x27\x1C", 6) == 0) ||
           (n >= 262 && memcmp(h + 257, "ustar", 5) == 0);
}

static bool run_begin(ImportRun *run, AkArena *arena, const ChatImportOptions *opt, ChatImportSink *sink, void *user,
                      ChatImportReport *report, ChatError *err) {
    AK_ASSERT(arena && sink && report, "chat_import: arena, sink and report are required");
    memset(report, 0, sizeof *report);
    *run = (ImportRun){.arena = arena, .opt = opt, .sink = sink, .sink_user = user, .rep = report, .err = err};
    return true;
}

bool chat_import_path(AkArena *arena, const char *path, const ChatImportOptions *opt, ChatImportSink *sink,
                      void *sink_user, ChatImportReport *report, ChatError *err) {
    ImportRun run;
    run_begin(&run, arena, opt, sink, sink_user, report, err);
    struct stat st;
    if (stat(path, &st) != 0) return chat_fail(err, "%s: %s", path, strerror(errno));
    AkTemp scratch = ak_scratch_begin1(arena);
    if (!scratch.arena) return chat_fail(err, "%s: no scratch arena for the import", path);
    run.work = scratch.arena;
    bool ok;
    if (S_ISDIR(st.st_mode)) {
        ok = import_dir(&run, path);
    } else {
        unsigned char head[512];
        ssize_t n = 0;
        int fd = open(path, O_RDONLY);
        if (fd >= 0) n = read(fd, head, sizeof head), close(fd);
        if (fd < 0 || n < 0) {
            ok = chat_fail(err, "%s: cannot read: %s", path, strerror(errno));
        } else if (looks_like_archive(head, (size_t)n)) {
            ok = import_archive(&run, path);
        } else {
            run.total = (uint64_t)st.st_size;
            ok = import_json_file(&run, path);
        }
    }
    ak_scratch_end(scratch);
    return ok;
}

bool chat_import_memory(AkArena *arena, const char *name, const char *data, uint64_t len, const ChatImportOptions *opt,
                        ChatImportSink *sink, void *sink_user, ChatImportReport *report, ChatError *err) {
    ImportRun run;
    run_begin(&run, arena, opt, sink, sink_user, report, err);
    AkTemp scratch = ak_scratch_begin1(arena);
    if (!scratch.arena) return chat_fail(err, "%s: no scratch arena for the import", name);
    run.work = scratch.arena;
    run.total = len;
    bool ok = import_stream(&run, name, NULL, NULL, data ? data : "", len);
    ak_scratch_end(scratch);
    return ok;
}
