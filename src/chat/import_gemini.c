// import_gemini.c: Gemini (formerly Bard) from Google Takeout: My Activity/Gemini Apps/
// MyActivity.json (folder and file names are localized; the content decides). What it holds,
// from the format's public descriptions: one top-level array of activity entries, newest first,
// each {header: "Gemini Apps" (older "Bard", localized "Gemini-Apps"...), title: "Prompted
// <the prompt>" (localized: "Eingegebener Prompt: <the prompt>"...), time: ISO 8601, products[],
// activityControls[], safeHtmlItem[{html}] (the answer, as HTML), ...}.
//
// There are no conversation ids. Turns are grouped into chats by time: walking the entries in
// file order, a gap of more than 30 minutes (CHAT_GEMINI_GAP_SECONDS) between two consecutive
// prompts starts a new chat. A chat's uuid is "gemini:" + the time of its oldest prompt as the
// export writes it, so a later Takeout in which that conversation went on updates the same chat.
// Each entry is a user message (the title without its verb) and, when there is one, an
// assistant message (the HTML as text: chat_html_to_text). Entries of other products (a
// Takeout of Search in the same shape) are skipped, and so are entries that are no prompt (an
// English verb such as "Used" or "Gave feedback" with no answer). Memory: one chat's messages
// at a time on the run's scratch arena; each entry parsed on a second scratch popped per entry.
#include "chat/sources.h"

#include "arenakit/scratch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// ---- HTML to text ------------------------------------------------------------------------------

static bool tag_is(AkStr name, const char *lit) { return ak_str_eq_nocase(name, ak_str_cstr(lit)); }

static uint32_t put_utf8(char *o, uint32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F)), 3;
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// An entity at s[i] == '&': its bytes into o (never more than the entity's own length), the
// entity's length into *used; 0 if it is none (the '&' is then literal).
static uint32_t entity(const char *s, uint64_t n, uint64_t i, char *o, uint64_t *used) {
    static const struct { const char *name; uint32_t cp; } named[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '},
        {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026}, {"rsquo", 0x2019}, {"lsquo", 0x2018},
        {"rdquo", 0x201D}, {"ldquo", 0x201C}, {"copy", 0xA9}, {"reg", 0xAE}, {"times", 0xD7}, {"deg", 0xB0},
    };
    uint64_t end = i + 1;
    while (end < n && end - i < 12 && s[end] != ';' && s[end] != '&' && s[end] != '<') end++;
    if (end >= n || s[end] != ';') return 0;
    AkStr body = ak_str(s + i + 1, end - i - 1);
    uint32_t cp = 0;
    if (body.len >= 2 && body.ptr[0] == '#') {
        bool hex = body.ptr[1] == 'x' || body.ptr[1] == 'X';
        uint64_t k = hex ? 2 : 1;
        if (k >= body.len) return 0;
        for (; k < body.len; k++) {
            char c = body.ptr[k];
            int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return 0;
            cp = cp * (hex ? 16 : 10) + (uint32_t)d;
            if (cp > 0x10FFFF) cp = 0x110000; // stays invalid: U+FFFD
        }
    } else {
        size_t j = 0;
        while (j < AK_ARRAY_COUNT(named) && !ak_str_eq(body, ak_str_cstr(named[j].name))) j++;
        if (j == AK_ARRAY_COUNT(named)) return 0;
        cp = named[j].cp;
    }
    *used = end - i + 1;
    return put_utf8(o, cp);
}

AkStr chat_html_to_text(AkArena *a, AkStr html) {
    const char *s = html.ptr;
    uint64_t n = html.len, i = 0, len = 0;
    char *o = ak_arena_push_nz(a, n + 1, 1); // every rewrite below is no longer than its source
    if (!o) return ak_str("", 0);
    int pre = 0;
    bool space = false; // a run of white space is pending (outside <pre>)
#define PENDING_SPACE() do { if (space && len && o[len - 1] != '\n') o[len++] = ' '; space = false; } while (0)
#define BREAK(k) do { /* end the line; k == 2: a blank line; never more than one blank line */ \
        space = false; \
        while (len && o[len - 1] == ' ') len--; \
        uint32_t have_ = 0; \
        while (have_ < len && have_ < 2 && o[len - 1 - have_] == '\n') have_++; \
        if (len) while (have_ < (k)) o[len++] = '\n', have_++; \
    } while (0)
    while (i < n) {
        char c = s[i];
        if (c == '<') {
            if (i + 4 <= n && memcmp(s + i, "<!--", 4) == 0) { // a comment
                uint64_t e = ak_str_find(html, AK_STR("-->"), i + 4);
                i = e < n ? e + 3 : n;
                continue;
            }
            uint64_t j = i + 1;
            bool closing = j < n && s[j] == '/';
            if (closing) j++;
            uint64_t name_at = j;
            while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9'))) j++;
            AkStr name = ak_str(s + name_at, j - name_at);
            if (!name.len && !(j < n && (s[j] == '!' || s[j] == '?'))) { // a lone '<' is text
                PENDING_SPACE();
                o[len++] = c, i++;
                continue;
            }
            char quote = 0;
            while (j < n && (quote || s[j] != '>')) { // to the tag's end, quoted '>' included
                if (quote && s[j] == quote) quote = 0;
                else if (!quote && (s[j] == '"' || s[j] == '\'')) quote = s[j];
                j++;
            }
            i = j < n ? j + 1 : n;
            if (!closing && (tag_is(name, "script") || tag_is(name, "style"))) { // dropped with their content
                const char *endtag = tag_is(name, "script") ? "</script" : "</style";
                uint64_t e = i, el = strlen(endtag);
                while (e + el <= n && !ak_str_eq_nocase(ak_str(s + e, el), ak_str_cstr(endtag))) e++;
                if (e + el > n) { i = n; continue; }
                while (e < n && s[e] != '>') e++;
                i = e < n ? e + 1 : n;
                continue;
            }
            if (tag_is(name, "br")) BREAK(1);
            else if (tag_is(name, "li")) {
                BREAK(1);
                if (!closing) o[len++] = '-', o[len++] = ' '; // "<li>" is longer than "\n- "
            } else if (tag_is(name, "p") || tag_is(name, "pre") || tag_is(name, "blockquote") || tag_is(name, "ul") ||
                       tag_is(name, "ol") || tag_is(name, "table") || tag_is(name, "hr") ||
                       (name.len == 2 && (name.ptr[0] == 'h' || name.ptr[0] == 'H') && name.ptr[1] >= '1' && name.ptr[1] <= '6')) {
                BREAK(2);
                if (tag_is(name, "pre")) pre = closing ? AK_MAX(pre - 1, 0) : pre + 1;
            } else if (tag_is(name, "div") || tag_is(name, "tr") || tag_is(name, "section") || tag_is(name, "article")) {
                BREAK(1);
            } else if (tag_is(name, "td") || tag_is(name, "th")) {
                if (closing) space = true;
            }
            continue;
        }
        if (!pre && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
            space = true, i++;
            continue;
        }
        PENDING_SPACE();
        uint64_t used;
        uint32_t k = c == '&' ? entity(s, n, i, o + len, &used) : 0;
        if (k) len += k, i += used;
        else o[len++] = c, i++;
    }
#undef PENDING_SPACE
#undef BREAK
    while (len && (o[len - 1] == '\n' || o[len - 1] == ' ')) len--;
    uint64_t start = 0;
    while (start < len && (o[start] == '\n' || o[start] == ' ')) start++;
    o[len] = 0;
    return ak_str(o + start, len - start);
}

// ---- entries -----------------------------------------------------------------------------------

static AkStr str_of(const ChatJson *obj, const char *key) {
    const ChatJson *v = obj ? chat_json_get(obj, key) : NULL;
    return v && v->kind == CHAT_JSON_STRING ? v->str : ak_str("", 0);
}

static bool contains_nocase(AkStr hay, const char *needle) {
    AkStr nd = ak_str_cstr(needle);
    for (uint64_t i = 0; i + nd.len <= hay.len; i++)
        if (ak_str_eq_nocase(ak_str(hay.ptr + i, nd.len), nd)) return true;
    return false;
}

static bool names_gemini(AkStr s) { return contains_nocase(s, "gemini") || contains_nocase(s, "bard"); }

// The first entry's keys: a header naming Gemini or Bard, or (no header) a time, a title and
// an answer. The export rows are asked first, so a conversations.json is never Gemini's.
bool chat_gemini_claims_head(const ChatSourceHead *h) {
    if (chat_source_head_has(h, "header")) return names_gemini(chat_source_head_str(h, "header"));
    return chat_source_head_has(h, "time") && chat_source_head_has(h, "title") && chat_source_head_has(h, "safeHtmlItem");
}

bool chat_gemini_claims_member(const char *path) { return names_gemini(ak_str_cstr(path)); }

// Gemini's own entry (header or products say so), or one with neither (the Gemini Apps file).
static bool is_gemini_entry(const ChatJson *e) {
    const ChatJson *header = chat_json_get(e, "header"), *products = chat_json_get(e, "products");
    if (header && header->kind == CHAT_JSON_STRING && names_gemini(header->str)) return true;
    for (const ChatJson *p = products && products->kind == CHAT_JSON_ARRAY ? products->child : NULL; p; p = p->next)
        if (p->kind == CHAT_JSON_STRING && names_gemini(p->str)) return true;
    return !header && !products;
}

// The prompt in a title: without its verb ("Prompted ", localized), else "" with *known false.
static AkStr prompt_of(AkStr title, bool *known) {
    static const char *const verbs[] = {"Prompted with: ", "Asked Gemini: ", "Asked Bard: ", "Prompted ", "Asked ",
                                        "Eingegebener Prompt: ", "Prompt eingegeben: ", NULL};
    *known = true;
    for (const char *const *v = verbs; *v; v++)
        if (ak_str_starts_with(title, ak_str_cstr(*v))) return ak_str_trim(ak_str_skip(title, strlen(*v)));
    *known = false;
    return ak_str_trim(title);
}

typedef struct Turn {
    double time;
    uint32_t seq;  // entry number in the file
    ChatMsg *user, *answer;
} Turn;

typedef struct Group {
    AkArena *a;
    Turn *turns;
    uint32_t count, cap;
    double last;
} Group;

// Oldest first; entries at the same time in reverse file order (the file is newest first).
static int turn_cmp(const void *pa, const void *pb) {
    const Turn *x = pa, *y = pb;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return (x->seq < y->seq) - (x->seq > y->seq);
}

static bool flush(ChatSourceRun *run, const char *name, Group *g, uint64_t offset) {
    if (!g->count) return true;
    AkArena *a = g->a;
    qsort(g->turns, g->count, sizeof *g->turns, turn_cmp);
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->count; i++) n += 1 + (g->turns[i].answer != NULL);
    ChatConv conv = {.source = CHAT_SOURCE_GEMINI, .byte_offset = offset};
    conv.msgs = ak_push_array(a, ChatMsg, n);
    int32_t *parent = ak_push_array_nz(a, int32_t, n);
    if (!conv.msgs || !parent) return chat_fail(run->err, "%s: out of memory for a chat of %u messages", name, n);
    for (uint32_t i = 0; i < g->count; i++) {
        conv.msgs[conv.msg_count++] = *g->turns[i].user;
        if (g->turns[i].answer) conv.msgs[conv.msg_count++] = *g->turns[i].answer;
    }
    for (uint32_t i = 0; i < n; i++) {
        parent[i] = (int32_t)i - 1;
        conv.msgs[i].parent_uuid = i ? conv.msgs[i - 1].uuid : ak_str("", 0);
    }
    // The oldest prompt's uuid is "<its time>:prompt": the chat's is "gemini:<that time>".
    AkStr first = conv.msgs[0].uuid;
    conv.uuid = ak_str_pushf(a, "gemini:%.*s", (int)(first.len - strlen(":prompt")), first.ptr);
    conv.title = chat_title_from(a, conv.msgs[0].text);
    conv.created = g->turns[0].time;
    conv.updated = g->turns[g->count - 1].time;
    if (!chat_thread_order(a, &conv, parent, (int64_t)n - 1))
        return chat_fail(run->err, "%s: out of memory ordering %u messages", name, n);
    ChatError se = {{0}};
    if (!run->sink(&conv, run->sink_user, &se))
        return chat_fail(run->err, "%s: conversation %.*s: %s", name, AK_STR_FMT(conv.uuid), se.msg[0] ? se.msg : "the store refused it");
    run->rep->chats++;
    run->rep->messages += n;
    run->rep->visible_messages += conv.visible_count;
    g->count = 0;
    return true;
}

static ChatMsg *msg(AkArena *a, AkStr time, const char *suffix, ChatRole role, AkStr text, double t) {
    ChatMsg *m = ak_push_struct(a, ChatMsg);
    ChatPart *p = ak_push_struct(a, ChatPart);
    if (!m || !p) return NULL;
    m->uuid = ak_str_pushf(a, "%.*s:%s", AK_STR_FMT(time), suffix);
    m->role = role;
    m->author = role == CHAT_ROLE_USER ? AK_STR("user") : AK_STR("gemini");
    m->created = t;
    m->text = text;
    *p = (ChatPart){.kind = CHAT_PART_TEXT, .text = text};
    m->parts = p, m->part_count = 1;
    return m;
}

bool chat_gemini_import(ChatSourceRun *run, const char *name, ChatJsonReadFn *read, void *user, const char *data,
                        uint64_t len) {
    AkArena *conflicts[] = {run->arena, run->work};
    AkTemp el = ak_scratch_begin(conflicts, 2);
    if (!el.arena) return chat_fail(run->err, "%s: no scratch arena for its entries", name);
    ChatError e = {{0}};
    ChatJsonReader *r = chat_json_reader_create(&e, .read = read, .user = user, .data = data, .len = len,
                                                .max_string = data ? AK_MAX(len, 64) : 0);
    if (!r) {
        ak_scratch_end(el);
        return chat_fail(run->err, "%s: %s", name, e.msg);
    }
    run->rep->files++;
    Group g = {.a = run->work};
    AkTemp group_mark = ak_temp_begin(run->work);
    uint64_t group_offset = 0;
    uint32_t seq = 0;
    bool ok = true;
    for (;; seq++) {
        AkTemp et = ak_temp_begin(el.arena);
        ChatJson *item = NULL;
        ChatJsonStep st = chat_json_next(r, el.arena, &item);
        if (st == CHAT_JSON_END) {
            ak_temp_end(et);
            break;
        }
        if (st == CHAT_JSON_ERROR) { // a syntax error is fatal for its file, as for the exports
            ok = chat_fail(run->err, "%s: %s", name, chat_json_error(r));
            ak_temp_end(et);
            break;
        }
        char what[300];
        double t;
        AkStr time = str_of(item, "time");
        if (item->kind != CHAT_JSON_OBJECT) {
            snprintf(what, sizeof what, "the entry at byte %llu is a %s, not an activity object",
                     (unsigned long long)item->offset, chat_json_kind_name(item->kind));
            chat_sources_add_bad(run, name, what);
        } else if (!is_gemini_entry(item)) {
            // another product's activity in the same shape: not ours, not an error
        } else if (!time.len || !chat_parse_iso_time(time, &t)) {
            snprintf(what, sizeof what, "the entry at byte %llu has no ISO 8601 \"time\"", (unsigned long long)item->offset);
            chat_sources_add_bad(run, name, what);
        } else {
            AkStr answer = ak_str("", 0);
            const ChatJson *items = chat_json_get(item, "safeHtmlItem");
            for (const ChatJson *h = items && items->kind == CHAT_JSON_ARRAY ? items->child : NULL; h; h = h->next) {
                AkStr text = chat_html_to_text(el.arena, str_of(h, "html"));
                if (text.len) answer = answer.len ? ak_str_pushf(el.arena, "%.*s\n\n%.*s", AK_STR_FMT(answer), AK_STR_FMT(text)) : text;
            }
            bool known;
            AkStr prompt = prompt_of(str_of(item, "title"), &known);
            if (known || answer.len) {
                if (g.count && fabs(g.last - t) > CHAT_GEMINI_GAP_SECONDS) {
                    if (!(ok = flush(run, name, &g, group_offset))) {
                        ak_temp_end(et);
                        break;
                    }
                    ak_temp_end(group_mark);
                    g.turns = NULL, g.cap = 0;
                }
                if (!g.count) group_offset = item->offset;
                if (g.count == g.cap) {
                    uint32_t cap = g.cap ? g.cap * 2 : 16;
                    Turn *turns = ak_push_array_nz(run->work, Turn, cap);
                    if (!turns) {
                        ok = chat_fail(run->err, "%s: out of memory for a chat of %u prompts", name, g.count);
                        ak_temp_end(et);
                        break;
                    }
                    if (g.count) memcpy(turns, g.turns, g.count * sizeof *turns);
                    g.turns = turns, g.cap = cap;
                }
                AkStr tcopy = ak_str_copy(run->work, time);
                Turn *turn = &g.turns[g.count];
                turn->time = t, turn->seq = seq;
                turn->user = msg(run->work, tcopy, "prompt", CHAT_ROLE_USER, ak_str_copy(run->work, prompt), t);
                turn->answer = answer.len ? msg(run->work, tcopy, "response", CHAT_ROLE_ASSISTANT, ak_str_copy(run->work, answer), t) : NULL;
                if (!turn->user || (answer.len && !turn->answer)) {
                    ok = chat_fail(run->err, "%s: out of memory for a prompt", name);
                    ak_temp_end(et);
                    break;
                }
                g.count++;
                g.last = t;
            }
        }
        ak_temp_end(et);
        if (run->opt && run->opt->progress) {
            uint64_t at = run->done + chat_json_offset(r);
            run->opt->progress(at, AK_MAX(run->total, at), run->opt->progress_user);
        }
    }
    if (ok) ok = flush(run, name, &g, group_offset);
    ak_temp_end(group_mark);
    run->parsed = chat_json_offset(r);
    run->rep->bytes += run->parsed;
    run->rep->replaced += chat_json_replaced(r);
    chat_json_reader_release(r);
    ak_scratch_end(el);
    return ok;
}
