// browse_markdown.c: Markdown prose as a terminal reader shows it. One source line at a time
// (the wrap works line by line): headings, list items and quotes are recognised by their
// start, then the inline marks are taken out and become attributes: **bold**, *italic*,
// `code`, [links](url) (the text underlined, the address after it, dimmed), backslash
// escapes. Citation leftovers from the exports go: "【0†source】" becomes a dimmed "[1]" and
// the private-use cite marks (U+E200..U+E2FF, with what they enclose) are dropped.
// Tool calls' JSON is re-indented (browse_json_pretty).
// Memory: the rendered text and its attribute bytes go on the arena given (the tab's, popped
// with its wrap cache); a line without any mark is not copied.
#include "app/browse_ui.h"

#include "arenakit/utf8.h"

#include <string.h>

typedef struct Out {
    char *text;
    uint8_t *attrs;
    uint64_t len, cap;
} Out;

static void put(Out *o, const char *p, uint64_t n, uint8_t a) {
    if (o->len + n > o->cap) n = o->cap - o->len; // never: cap is the source's worst case
    memcpy(o->text + o->len, p, n);
    memset(o->attrs + o->len, a, n);
    o->len += n;
}

static bool is_space_at(AkStr s, uint64_t i) { return i >= s.len || s.ptr[i] == ' ' || s.ptr[i] == '\t'; }
static bool is_word_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

// The closing run of `mark` (1 or 2 bytes) for an opening at i, or NPOS: it must follow a
// non-space, and for '_' end a word.
static uint64_t closing(AkStr s, uint64_t i, const char *mark, uint64_t mlen) {
    for (uint64_t k = i + mlen + 1; k + mlen <= s.len; k++) {
        if (s.ptr[k] == '`' && mark[0] != '`') { // code spans hide marks
            uint64_t e = ak_str_find_byte(s, '`', k + 1);
            if (e == AK_STR_NPOS) return AK_STR_NPOS;
            k = e;
            continue;
        }
        if (memcmp(s.ptr + k, mark, mlen) != 0 || s.ptr[k - 1] == ' ') continue;
        if (mlen == 1 && k + 1 < s.len && s.ptr[k + 1] == mark[0]) { k++; continue; } // part of **
        if (mark[0] == '_' && k + mlen < s.len && is_word_byte(s.ptr[k + mlen])) continue;
        return k;
    }
    return AK_STR_NPOS;
}

// The inline marks of s, from `from` to `to`, into o with `base` attributes.
static void inline_marks(Out *o, AkStr s, uint64_t from, uint64_t to, uint8_t base) {
    AkStr v = ak_str_head(s, to);
    for (uint64_t i = from; i < to;) {
        unsigned char c = (unsigned char)v.ptr[i];
        if (c == '\\' && i + 1 < to && strchr("\\`*_[]()#+-.!<>|~", v.ptr[i + 1])) {
            put(o, v.ptr + i + 1, 1, base);
            i += 2;
            continue;
        }
        if (c == '`') {
            uint64_t e = ak_str_find_byte(v, '`', i + 1);
            if (e != AK_STR_NPOS && e > i + 1) {
                put(o, v.ptr + i + 1, e - i - 1, base | BROWSE_MD_CODE);
                i = e + 1;
                continue;
            }
        }
        if ((c == '*' || c == '_') && i + 1 < to) {
            bool dbl = v.ptr[i + 1] == (char)c;
            uint64_t m = dbl ? 2 : 1;
            bool opens = !is_space_at(v, i + m) && (c == '*' || i == 0 || !is_word_byte(v.ptr[i - 1]));
            uint64_t e = opens ? closing(v, i, dbl ? (c == '*' ? "**" : "__") : (c == '*' ? "*" : "_"), m) : AK_STR_NPOS;
            if (e != AK_STR_NPOS) {
                inline_marks(o, v, i + m, e, base | (dbl ? BROWSE_MD_BOLD : BROWSE_MD_ITALIC));
                i = e + m;
                continue;
            }
        }
        if (c == '[') {
            uint64_t close = ak_str_find_byte(v, ']', i + 1);
            if (close != AK_STR_NPOS && close + 1 < to && v.ptr[close + 1] == '(') {
                uint64_t end = ak_str_find_byte(v, ')', close + 2);
                if (end != AK_STR_NPOS) {
                    AkStr label = ak_str(v.ptr + i + 1, close - i - 1), url = ak_str(v.ptr + close + 2, end - close - 2);
                    inline_marks(o, v, i + 1, close, base | BROWSE_MD_LINK);
                    if (url.len && !ak_str_eq(label, url)) {
                        put(o, " ", 1, base);
                        put(o, url.ptr, url.len, base | BROWSE_MD_DIM);
                    }
                    i = end + 1;
                    continue;
                }
            }
        }
        uint32_t cp;
        uint32_t n = ak_utf8_decode(v.ptr + i, to - i, &cp, NULL);
        if (cp == 0x3010) { // 【N†source】: a citation number, shown as [N+1]
            AkStr rest = ak_str(v.ptr + i, to - i);
            uint64_t e = ak_str_find(rest, AK_STR("】"), 0), dag = ak_str_find(rest, AK_STR("†"), 0);
            if (e != AK_STR_NPOS && dag != AK_STR_NPOS && dag < e) {
                long num = 0;
                for (uint64_t k = n; k < dag && rest.ptr[k] >= '0' && rest.ptr[k] <= '9'; k++)
                    num = num * 10 + (rest.ptr[k] - '0');
                char buf[24];
                int bl = snprintf(buf, sizeof buf, "[%ld]", num + 1);
                if (bl > 0 && (uint64_t)bl <= e + 3) put(o, buf, (uint64_t)bl, base | BROWSE_MD_DIM);
                i += e + strlen("】");
                continue;
            }
        }
        if (cp == 0xE200) { // private-use cite mark: drop it and what it wraps, up to U+E201
            AkStr rest = ak_str(v.ptr + i, to - i);
            uint64_t e = ak_str_find(rest, AK_STR("\xee\x88\x81"), 0);
            i += e == AK_STR_NPOS ? n : e + 3;
            continue;
        }
        if (cp >= 0xE200 && cp <= 0xE2FF) { i += n; continue; }
        put(o, v.ptr + i, n, base);
        i += n;
    }
}

// Whether a line has anything this renderer changes (most prose lines have none: no copy).
static bool has_marks(AkStr s) {
    for (uint64_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '*' || c == '_' || c == '`' || c == '[' || c == '\\' || c == 0xE3 || c == 0xEE) return true;
    }
    return false;
}

bool browse_md_line(AkArena *arena, AkStr src, BrowseMdLine *out) {
    *out = (BrowseMdLine){.text = src, .style = BROWSE_TEXT};
    uint64_t i = 0;
    while (i < src.len && src.ptr[i] == ' ') i++;
    uint32_t lead = (uint32_t)AK_MIN(i, 40);
    AkStr body = ak_str_skip(src, i);
    uint8_t base = 0;
    const char *prefix = NULL; // what stands for a list item's mark
    if (lead < 4 && body.len && body.ptr[0] == '#') {
        uint64_t h = 0;
        while (h < body.len && body.ptr[h] == '#') h++;
        if (h <= 6 && (h == body.len || body.ptr[h] == ' ')) {
            out->style = BROWSE_HEADING;
            out->level = (uint8_t)h;
            body = ak_str_trim(ak_str_skip(body, h));
            uint64_t k = body.len;
            while (k && body.ptr[k - 1] == '#') k--;
            if (k < body.len && (k == 0 || body.ptr[k - 1] == ' ')) body = ak_str_trim(ak_str_head(body, k)); // "## x ##"
            base = BROWSE_MD_BOLD;
            lead = 0;
        }
    } else if (lead < 4 && body.len >= 3 && (body.ptr[0] == '-' || body.ptr[0] == '*' || body.ptr[0] == '_')) {
        uint64_t k = 0, marks = 0;
        for (; k < body.len; k++) {
            if (body.ptr[k] == body.ptr[0]) marks++;
            else if (body.ptr[k] != ' ') break;
        }
        if (k == body.len && marks >= 3) {
            out->style = BROWSE_RULE;
            out->text = AK_STR("");
            return true;
        }
    }
    if (out->style == BROWSE_TEXT && body.len >= 2 && (body.ptr[0] == '-' || body.ptr[0] == '*' || body.ptr[0] == '+') &&
        body.ptr[1] == ' ') {
        prefix = "• "; // 2 columns, as many as "- "
        body = ak_str_skip(body, 2);
        out->hang = 2;
    } else if (out->style == BROWSE_TEXT && body.len && body.ptr[0] >= '0' && body.ptr[0] <= '9') {
        uint64_t k = 0;
        while (k < body.len && k < 9 && body.ptr[k] >= '0' && body.ptr[k] <= '9') k++;
        if (k + 1 < body.len && (body.ptr[k] == '.' || body.ptr[k] == ')') && body.ptr[k + 1] == ' ')
            out->hang = (uint32_t)k + 2; // "12. " hangs its continuation under the text
    } else if (out->style == BROWSE_TEXT && body.len && body.ptr[0] == '>') {
        out->style = BROWSE_QUOTE;
        body = ak_str_trim_left(ak_str_skip(body, 1));
        out->hang = 0;
        base = BROWSE_MD_ITALIC;
    }
    out->indent = lead;
    if (!prefix && !base && out->style == BROWSE_TEXT && !has_marks(body)) {
        out->text = body;
        return true;
    }
    uint64_t cap = body.len + 8;
    Out o = {ak_push_array_nz(arena, char, cap), ak_push_array_nz(arena, uint8_t, cap), 0, cap};
    if (!o.text || !o.attrs) return false;
    if (prefix) put(&o, prefix, strlen(prefix), BROWSE_MD_BULLET);
    inline_marks(&o, body, 0, body.len, base);
    out->text = ak_str(o.text, o.len);
    out->attrs = o.attrs;
    return true;
}

// ---- JSON, re-indented ----------------------------------------------------------------------

typedef struct Json {
    char *out;
    uint64_t o, cap;
    int depth;
} Json;

static void jput(Json *j, char c) {
    if (j->o < j->cap) j->out[j->o++] = c;
}

static void jnewline(Json *j) {
    jput(j, '\n');
    for (int d = 0; d < AK_MIN(j->depth, 32) * 2; d++) jput(j, ' ');
}

static bool json_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

AkStr browse_json_pretty(AkArena *arena, AkStr json) {
    AkStr t = ak_str_trim(json);
    if (!t.len || (t.ptr[0] != '{' && t.ptr[0] != '[')) return json;
    // At most: each byte on its own line, indented 64 columns.
    uint64_t pos = ak_arena_pos(arena);
    Json j = {ak_push_array_nz(arena, char, t.len * 4 + 64), 0, t.len * 4 + 64, 0};
    if (!j.out) return json;
    bool in_str = false;
    for (uint64_t i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (in_str) {
            jput(&j, c);
            if (c == '\\' && i + 1 < t.len) jput(&j, t.ptr[++i]);
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true, jput(&j, c);
        } else if (c == '{' || c == '[') {
            uint64_t k = i + 1;
            while (k < t.len && json_space(t.ptr[k])) k++;
            jput(&j, c);
            if (k < t.len && (t.ptr[k] == '}' || t.ptr[k] == ']')) { // {} and [] stay together
                jput(&j, t.ptr[k]);
                i = k;
                continue;
            }
            j.depth++;
            jnewline(&j);
        } else if (c == '}' || c == ']') {
            j.depth = j.depth > 0 ? j.depth - 1 : 0;
            jnewline(&j);
            jput(&j, c);
        } else if (c == ',') {
            jput(&j, c);
            jnewline(&j);
        } else if (c == ':') {
            jput(&j, ':'), jput(&j, ' ');
        } else if (!json_space(c)) { // the layout is ours
            jput(&j, c);
        }
    }
    if (in_str || j.depth != 0 || j.o >= j.cap) { // not JSON after all: as it was
        ak_arena_pop_to(arena, pos);
        return json;
    }
    return ak_str(j.out, j.o);
}
