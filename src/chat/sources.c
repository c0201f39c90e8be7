// sources.c: telling the sources apart by their first bytes (asking the table's rows, source.h), the peek that lets the export
// reader go on when a document is not one of them, the JSON Lines driver (one chat per file,
// Claude Code or Codex CLI by its records' keys) and what the session importers share.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "chat/sources.h"

#include "arenakit/scratch.h"
#include "chat/jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// ---- sniffing --------------------------------------------------------------------------------

// The top-level keys of one object in a head of bytes, with their string values raw (enough
// for ASCII names and values). Stops quietly where the head is cut: a key whose value the head
// cuts still counts (a long first line), its value is then "".
enum { HEAD_KEYS_MAX = 128 };
struct ChatSourceHead {
    uint32_t count;
    AkStr keys[HEAD_KEYS_MAX], vals[HEAD_KEYS_MAX];
    bool complete; // the object closed inside the head
};

bool chat_source_head_has(const ChatSourceHead *h, const char *key) {
    AkStr k = ak_str_cstr(key);
    for (uint32_t i = 0; i < h->count; i++)
        if (ak_str_eq(h->keys[i], k)) return true;
    return false;
}

AkStr chat_source_head_str(const ChatSourceHead *h, const char *key) {
    AkStr k = ak_str_cstr(key);
    for (uint32_t i = 0; i < h->count; i++)
        if (ak_str_eq(h->keys[i], k)) return h->vals[i];
    return ak_str("", 0);
}

typedef struct Scan {
    const char *p;
    uint64_t n, i;
} Scan;

static void ws(Scan *s) {
    while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\r' || s->p[s->i] == '\n')) s->i++;
}

static bool str_at(Scan *s, AkStr *out) { // at '"'; raw contents
    uint64_t start = ++s->i;
    while (s->i < s->n && s->p[s->i] != '"') s->i += s->p[s->i] == '\\' ? 2 : 1;
    if (s->i >= s->n) return false;
    *out = ak_str(s->p + start, s->i - start);
    s->i++;
    return true;
}

static bool skip_value(Scan *s) {
    AkStr tmp;
    if (s->i >= s->n) return false;
    if (s->p[s->i] == '"') return str_at(s, &tmp);
    if (s->p[s->i] != '{' && s->p[s->i] != '[') {
        while (s->i < s->n && !strchr(",}] \t\r\n", s->p[s->i])) s->i++;
        return s->i < s->n;
    }
    int depth = 0;
    while (s->i < s->n) {
        char c = s->p[s->i];
        if (c == '"') {
            if (!str_at(s, &tmp)) return false;
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if ((c == '}' || c == ']') && --depth == 0) return s->i++, true;
        s->i++;
    }
    return false;
}

static void scan_object(Scan *s, ChatSourceHead *k) {
    memset(k, 0, sizeof *k);
    if (s->i >= s->n || s->p[s->i] != '{') return;
    s->i++;
    for (;;) {
        ws(s);
        if (s->i >= s->n) return;
        if (s->p[s->i] == '}') {
            s->i++;
            k->complete = true;
            return;
        }
        AkStr key, val = {0};
        if (s->p[s->i] != '"' || !str_at(s, &key)) return;
        ws(s);
        if (s->i >= s->n || s->p[s->i] != ':') return;
        s->i++;
        ws(s);
        uint32_t j = k->count < HEAD_KEYS_MAX ? k->count++ : HEAD_KEYS_MAX; // counts before its value is read
        if (j < HEAD_KEYS_MAX) k->keys[j] = key, k->vals[j] = ak_str("", 0);
        if (s->i < s->n && s->p[s->i] == '"') {
            if (!str_at(s, &val)) return;
        } else if (!skip_value(s)) {
            return;
        }
        if (j < HEAD_KEYS_MAX && val.ptr) k->vals[j] = val;
        ws(s);
        if (s->i < s->n && s->p[s->i] == ',') s->i++;
    }
}

// An export row's mark in the head: a conversations.json, never taken for anything else.
static bool export_head(const ChatSourceHead *k) {
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *row = chat_source_at(i);
        if (row->reading == CHAT_SOURCE_READ_EXPORT && chat_source_head_has(k, row->mark)) return true;
    }
    return false;
}

// The rows in table order: the first whose reading is `reading` and claims the head.
static const ChatSourceInfo *claiming_row(const ChatSourceHead *k, ChatSourceReading reading) {
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *row = chat_source_at(i);
        if (row->reading == reading && row->claims_head && row->claims_head(k)) return row;
    }
    return NULL;
}

// The kind, and for a DOCUMENT the row that reads it.
static ChatSourceKind sniff(const char *head, uint64_t len, const ChatSourceInfo **doc) {
    Scan s = {head, len, 0};
    ChatSourceHead k;
    *doc = NULL;
    if (len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) s.i = 3;
    ws(&s);
    if (s.i >= s.n) return CHAT_SOURCE_KIND_EXPORT;
    if (head[s.i] == '[') {
        s.i++;
        ws(&s);
        scan_object(&s, &k);
        if (export_head(&k)) return CHAT_SOURCE_KIND_EXPORT;
        *doc = claiming_row(&k, CHAT_SOURCE_READ_DOCUMENT);
        return *doc ? CHAT_SOURCE_KIND_DOCUMENT : CHAT_SOURCE_KIND_EXPORT;
    }
    if (head[s.i] != '{') return CHAT_SOURCE_KIND_EXPORT;
    scan_object(&s, &k);
    if (export_head(&k)) return CHAT_SOURCE_KIND_EXPORT;
    if (claiming_row(&k, CHAT_SOURCE_READ_SESSION)) return CHAT_SOURCE_KIND_JSONL;
    // Any object followed by another one: JSON Lines of a kind the session reader will name.
    if (k.complete) {
        ws(&s);
        if (s.i < s.n && head[s.i] == '{') return CHAT_SOURCE_KIND_JSONL;
    }
    return CHAT_SOURCE_KIND_EXPORT;
}

ChatSourceKind chat_sources_sniff(const char *head, uint64_t len) {
    const ChatSourceInfo *doc;
    return sniff(head, len, &doc);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool chat_sources_wanted(const char *path, bool in_archive) {
    if (ends_with(path, ".jsonl")) return true;
    if (!ends_with(path, ".json")) return false;
    if (in_archive) {
        for (size_t i = 0; i < chat_source_count(); i++) {
            const ChatSourceInfo *row = chat_source_at(i);
            if (row->reading == CHAT_SOURCE_READ_DOCUMENT && row->claims_member && row->claims_member(path)) return true;
        }
        return false;
    }
    char head[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return false;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n > 0 && chat_sources_sniff(head, (uint64_t)n) == CHAT_SOURCE_KIND_DOCUMENT;
}

// ---- the peek ----------------------------------------------------------------------------------

static int64_t peek_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    ChatSourcePeek *p = user;
    if (p->pos < p->len) {
        uint64_t n = AK_MIN(cap, p->len - p->pos);
        memcpy(buf, p->head + p->pos, (size_t)n);
        p->pos += n;
        return (int64_t)n;
    }
    return p->read(p->user, buf, cap, err);
}

// ---- the JSON Lines driver ---------------------------------------------------------------------

void chat_sources_add_bad(ChatSourceRun *run, const char *name, const char *what) {
    ChatImportReport *rep = run->rep;
    rep->bad++;
    if (rep->bad_listed >= CHAT_IMPORT_BAD_LIST_MAX) return;
    if (!rep->bad_list) rep->bad_list = ak_push_array(run->arena, AkStr, CHAT_IMPORT_BAD_LIST_MAX);
    AkStr s = rep->bad_list ? ak_str_pushf(run->arena, "%s: %s", name, what) : ak_str("", 0);
    if (s.ptr) rep->bad_list[rep->bad_listed++] = s;
}

static void progress(ChatSourceRun *run, uint64_t in_file) {
    if (run->opt && run->opt->progress)
        run->opt->progress(run->done + in_file, AK_MAX(run->total, run->done + in_file), run->opt->progress_user);
}

static bool deliver(ChatSourceRun *run, const char *name, const ChatConv *conv) {
    ChatError se = {{0}};
    if (!run->sink(conv, run->sink_user, &se))
        return chat_fail(run->err, "%s: conversation %.*s: %s", name, (int)AK_MIN(conv->uuid.len, 80), conv->uuid.ptr,
                         se.msg[0] ? se.msg : "the store refused it");
    chat_import_report_add(run->rep, conv);
    return true;
}

// "Claude Code or Codex CLI": the SESSION rows' products, for a file none of them claims.
static const char *session_products(char *buf, size_t cap) {
    size_t n = 0, k = 0, used = 0;
    for (size_t i = 0; i < chat_source_count(); i++) n += chat_source_at(i)->reading == CHAT_SOURCE_READ_SESSION;
    buf[0] = 0;
    for (size_t i = 0; i < chat_source_count() && used < cap; i++) {
        const ChatSourceInfo *row = chat_source_at(i);
        if (row->reading != CHAT_SOURCE_READ_SESSION) continue;
        int w = snprintf(buf + used, cap - used, "%s%s", k == 0 ? "" : k + 1 == n ? " or " : ", ", row->product);
        if (w < 0) break;
        used += (size_t)w, k++;
    }
    return buf;
}

static bool import_jsonl(ChatSourceRun *run, const char *name, ChatJsonReadFn *read, void *user, const char *data,
                         uint64_t len) {
    AkArena *conflicts[] = {run->arena, run->work};
    AkTemp lines = ak_scratch_begin(conflicts, 2);
    if (!lines.arena) return chat_fail(run->err, "%s: no scratch arena for its lines", name);
    ChatError e = {{0}};
    ChatJsonl *jl = chat_jsonl_open(run->work, (ChatJsonlParams){.read = read, .user = user, .data = data, .len = len}, &e);
    if (!jl) {
        ak_scratch_end(lines);
        return chat_fail(run->err, "%s: %s", name, e.msg);
    }
    run->rep->files++;
    run->jsonl = true;
    run->consumed = 0;
    run->bad_lines = 0;
    uint32_t bad_before = run->rep->bad;
    const ChatSourceInfo *src = NULL; // the SESSION row that claimed the first record it knew
    void *session = NULL;
    uint64_t records = 0, first_unknown = 0;
    bool ok = true;
    for (;;) {
        AkTemp lt = ak_temp_begin(lines.arena);
        ChatJson *rec = NULL;
        ChatJsonlStep st = chat_jsonl_next(jl, lines.arena, &rec);
        if (st == CHAT_JSONL_END) {
            ak_temp_end(lt);
            break;
        }
        if (st == CHAT_JSONL_ERROR) {
            ok = chat_fail(run->err, "%s: %s", name, chat_jsonl_error(jl));
            ak_temp_end(lt);
            break;
        }
        uint64_t line = chat_jsonl_line(jl);
        if (st == CHAT_JSONL_BAD && !chat_jsonl_line_ended(jl)) {
            // The input ends inside this line: a session being written. Not consumed and not
            // reported; the next import reads it once its writer finished it.
        } else if (st == CHAT_JSONL_BAD) {
            chat_sources_add_bad(run, name, chat_jsonl_error(jl)); // skipped, reported, the rest goes on
            run->consumed = chat_jsonl_offset(jl);
        } else {
            run->consumed = chat_jsonl_offset(jl);
            records++;
            if (!src && rec->kind == CHAT_JSON_OBJECT) { // the first known record decides, rows in table order
                for (size_t i = 0; i < chat_source_count() && !src; i++) {
                    const ChatSourceInfo *row = chat_source_at(i);
                    if (row->reading == CHAT_SOURCE_READ_SESSION && row->claims_record(rec)) src = row;
                }
                if (src && !(session = src->session_begin(run->work))) {
                    ok = chat_fail(run->err, "%s: out of memory for a session", name);
                    ak_temp_end(lt);
                    break;
                }
            }
            bool used = src ? src->session_record(session, rec, line, &e) : false;
            if (!src) {
                if (!first_unknown) first_unknown = line;
            } else if (!used) {
                char what[1200];
                snprintf(what, sizeof what, "line %llu (starting at byte %llu): %s", (unsigned long long)line,
                         (unsigned long long)chat_jsonl_line_offset(jl), e.msg);
                chat_sources_add_bad(run, name, what);
            }
        }
        ak_temp_end(lt);
        progress(run, chat_jsonl_offset(jl));
    }
    run->parsed = chat_jsonl_offset(jl);
    run->rep->bytes += run->parsed;
    run->rep->replaced += chat_jsonl_replaced(jl);
    chat_jsonl_close(jl);
    ak_scratch_end(lines);
    run->bad_lines = run->rep->bad - bad_before;
    if (src) run->session_source = src->id;
    if (!ok) return false;
    progress(run, run->parsed);
    if (!src) {
        if (records) {
            char what[400], products[200];
            snprintf(what, sizeof what, "%llu JSON lines, none of them a %s session record (line %llu is the first)",
                     (unsigned long long)records, session_products(products, sizeof products),
                     (unsigned long long)first_unknown);
            chat_sources_add_bad(run, name, what);
        }
        return true;
    }
    ChatConv conv;
    if (!src->session_finish(session, &conv, &e)) {
        if (e.msg[0]) chat_sources_add_bad(run, name, e.msg); // no usable session in it (only snapshots, say): no chat
        return true;
    }
    return deliver(run, name, &conv);
}

int chat_sources_import(ChatSourceRun *run, ChatSourcePeek *peek, const char *name, ChatJsonReadFn **read, void **user,
                        const char **data, uint64_t *len) {
    ChatSourceKind kind;
    const ChatSourceInfo *doc = NULL;
    run->parsed = 0;
    if (!*read) {
        kind = sniff(*data, AK_MIN(*len, sizeof peek->head), &doc);
    } else {
        peek->len = peek->pos = 0;
        while (peek->len < sizeof peek->head) {
            ChatError e = {{0}};
            int64_t n = (*read)(*user, peek->head + peek->len, sizeof peek->head - peek->len, &e);
            if (n < 0) return chat_fail(run->err, "%s: cannot read: %s", name, e.msg), -1;
            if (n == 0) break;
            peek->len += (uint64_t)n;
        }
        peek->read = *read, peek->user = *user;
        *read = peek_read, *user = peek;
        kind = sniff(peek->head, peek->len, &doc);
    }
    if (kind == CHAT_SOURCE_KIND_EXPORT) return 0;
    AkTemp t = ak_temp_begin(run->work);
    bool ok = kind == CHAT_SOURCE_KIND_JSONL ? import_jsonl(run, name, *read, *user, *data, *len)
                                             : doc->import_document(run, name, *read, *user, *data, *len);
    ak_temp_end(t);
    return ok ? 1 : -1;
}

// ---- shared ------------------------------------------------------------------------------------

ChatMsg *chat_msgs_push(AkArena *a, ChatMsgList *l) {
    if (l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        ChatMsg *items = ak_push_array_nz(a, ChatMsg, cap);
        if (!items) return NULL;
        if (l->count) memcpy(items, l->items, l->count * sizeof *items);
        l->items = items, l->cap = cap; // the old array stays on the arena until its pop
    }
    ChatMsg *m = &l->items[l->count++];
    memset(m, 0, sizeof *m);
    return m;
}

AkStr chat_title_from(AkArena *a, AkStr text) {
    text = ak_str_trim(text);
    uint64_t nl = ak_str_find_byte(text, '\n', 0);
    if (nl < text.len) text = ak_str_trim_right(ak_str_head(text, nl));
    if (text.len <= 100) return ak_str_copy(a, text);
    uint64_t cut = 100;
    while (cut > 0 && ((unsigned char)text.ptr[cut] & 0xC0) == 0x80) cut--; // not inside a character
    return ak_str_pushf(a, "%.*s...", (int)cut, text.ptr);
}

AkStr chat_title_with_project(AkArena *a, AkStr cwd, AkStr title) {
    while (cwd.len > 1 && cwd.ptr[cwd.len - 1] == '/') cwd.len--;
    uint64_t slash = ak_str_find_last(cwd, AK_STR("/"));
    AkStr project = slash < cwd.len ? ak_str_skip(cwd, slash + 1) : cwd;
    if (!project.len) return title;
    if (!title.len) return ak_str_copy(a, project);
    return ak_str_pushf(a, "%.*s: %.*s", AK_STR_FMT(project), AK_STR_FMT(title));
}
