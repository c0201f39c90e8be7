// browse_text.c: turning a message into display lines and drawing them. Widths come from
// arenakit's tables (ak_utf8_cp_width), not the locale, so the wrap is the same everywhere;
// the drawing side double-checks with the terminal library's own idea (wcwidth) so that a
// character the two disagree on is clipped instead of spilling into the next row.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse_ui.h"

#include "app/cli.h"
#include "app/render.h"
#include "arenakit/utf8.h"
#include "chat/textmatch.h"

#include <stdio.h>

#include <wchar.h>

// Code points drawn as a visible escape instead of themselves: C0 controls (tab and newline
// have their own handling), DEL, C1 controls (U+0080..009F: CSI and OSC among them), and the
// bidirectional overrides and isolates that reorder what a terminal shows. A chat's text never
// reaches the terminal as a control: "\e]0;x\a" is drawn as "^[]0;x^G".
static bool is_escaped(uint32_t cp) {
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

int browse_escape(uint32_t cp, char out[BROWSE_ESCAPE_MAX]) {
    if (!is_escaped(cp)) return 0;
    if (cp < 0x20) return out[0] = '^', out[1] = (char)('@' + cp), out[2] = 0, 2;
    if (cp == 0x7F) return memcpy(out, "^?", 3), 2;
    return snprintf(out, BROWSE_ESCAPE_MAX, "<U+%04X>", (unsigned)cp);
}

int browse_cp_cols(uint32_t cp) {
    if (cp == '\t') return BROWSE_TAB_COLS;
    char esc[BROWSE_ESCAPE_MAX];
    int e = browse_escape(cp, esc);
    if (e) return e;
    int w = ak_utf8_cp_width(cp);
    return w < 0 ? 0 : w;
}

uint64_t browse_text_cols(AkStr s) {
    uint64_t cols = 0;
    for (uint64_t i = 0; i < s.len;) {
        uint32_t cp;
        i += ak_utf8_decode(s.ptr + i, s.len - i, &cp, NULL);
        if (cp == '\n' || (cp == '\r' && i < s.len && s.ptr[i] == '\n')) cols += cp == '\n'; // drawn as one space
        else if (cp != BROWSE_MARK_ON && cp != BROWSE_MARK_OFF) cols += (uint64_t)browse_cp_cols(cp);
    }
    return cols;
}

// ---- terms: what a find or a search highlights -------------------------------------------

static bool is_operator(AkStr w) {
    return ak_str_eq(w, AK_STR("OR")) || ak_str_eq(w, AK_STR("AND")) || ak_str_eq(w, AK_STR("NOT")) ||
           ak_str_eq(w, AK_STR("NEAR"));
}

// A search filter like title:x or after:2025 says where to look, not what to highlight.
static bool is_filter(AkStr w) {
    static const char *names[] = {"title:", "source:", "after:", "before:", "since:", "until:", "model:", "role:"};
    for (size_t k = 0; k < AK_ARRAY_COUNT(names); k++)
        if (ak_str_starts_with(w, ak_str_cstr(names[k]))) return true;
    return false;
}

void browse_terms_parse(BrowseTerms *t, const char *q, bool words) {
    t->count = 0;
    AkStr s = ak_str_cstr(q);
    if (!words) {
        if (s.len) t->term[t->count++] = s;
        return;
    }
    uint64_t i = 0;
    while (i < s.len && t->count < BROWSE_TERMS_MAX) {
        while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '(' || s.ptr[i] == ')')) i++;
        if (i >= s.len) break;
        bool quoted = s.ptr[i] == '"', negated = s.ptr[i] == '-';
        if (quoted || negated) i++;
        uint64_t start = i;
        if (quoted)
            while (i < s.len && s.ptr[i] != '"') i++;
        else
            while (i < s.len && s.ptr[i] != ' ' && s.ptr[i] != '"' && s.ptr[i] != '(' && s.ptr[i] != ')') i++;
        AkStr w = ak_str(s.ptr + start, i - start);
        if (quoted && i < s.len) i++;
        while (w.len && (w.ptr[w.len - 1] == '*' || w.ptr[w.len - 1] == ',')) w.len--; // prefix* finds as a prefix
        if (!w.len || negated || (!quoted && (is_operator(w) || is_filter(w)))) continue;
        t->term[t->count++] = w;
    }
}

uint64_t browse_terms_find(const BrowseTerms *t, AkStr hay, uint64_t from, uint64_t *len) {
    uint64_t best = AK_STR_NPOS, best_len = 0;
    for (uint32_t k = 0; k < t->count; k++) {
        uint64_t n = 0, at = chat_text_find(hay, t->term[k], from, &n);
        if (at < best || (at == best && n > best_len)) best = at, best_len = n;
    }
    if (len) *len = best_len;
    return best;
}

uint64_t browse_terms_find_before(const BrowseTerms *t, AkStr hay, uint64_t before) {
    uint64_t best = AK_STR_NPOS;
    for (uint32_t k = 0; k < t->count; k++) {
        uint64_t at = chat_text_find_before(hay, t->term[k], before, NULL);
        if (at != AK_STR_NPOS && (best == AK_STR_NPOS || at > best)) best = at;
    }
    return best;
}

// ---- wrapping ------------------------------------------------------------------------------

typedef struct Emit {
    BrowseLineArray *lines;
    AkArena *arena;
    int64_t count; // -1 once a push failed
    uint8_t role;
    uint8_t level;           // of the heading being wrapped
    // The paragraph being wrapped: rendered text's attributes (from `abase`), and its source.
    const char *abase;
    const uint8_t *attrs;
    const char *src;
    uint32_t src_len;
    AkStr whole;             // set: every line's source is this (a re-indented copy's original)
} Emit;

static void emit(Emit *e, const char *p, uint64_t len, BrowseStyle style, uint32_t indent) {
    if (e->count < 0) return;
    BrowseLine *l = BrowseLineArray_push(e->lines);
    if (!l) {
        e->count = -1;
        return;
    }
    const char *src = e->whole.ptr ? e->whole.ptr : e->src ? e->src : p;
    uint32_t src_len = e->whole.ptr ? (uint32_t)AK_MIN(e->whole.len, UINT32_MAX) : e->src ? e->src_len : (uint32_t)len;
    *l = (BrowseLine){p, (uint32_t)len, (uint8_t)style, (uint8_t)AK_MIN(indent, 255), e->role, e->level,
                      e->attrs ? e->attrs + (p - e->abase) : NULL, src, src_len};
    e->count++;
}

// One paragraph (no newline inside) into lines of at most `width` columns. Words break at
// spaces, and on either side of a wide (CJK) character; a zero-width character (a combining
// mark, a joiner) stays with the one before it. `hard` (code) breaks at the width, wherever.
// Spaces at a soft break are dropped; a paragraph's leading indentation is kept.
static void wrap_paragraph(Emit *e, const char *p, uint64_t len, uint32_t width, BrowseStyle style, uint32_t indent,
                           bool hard, uint32_t hang) {
    if (width < 1) width = 1;
    uint32_t first_width = width;
    bool first = true;
    if (len == 0) {
        emit(e, p, 0, style, indent);
        return;
    }
    uint64_t start = 0;
    while (start < len) {
        // A list item's later lines hang under its text, not under its bullet.
        width = first ? first_width : (first_width > hang + 1 ? first_width - hang : 1);
        uint32_t at = first ? indent : indent + hang;
        first = false;
        uint64_t i = start, cut = start, next = start;
        uint32_t col = 0, n = 0, over = 0;
        bool prev_space = false, prev_wide = false;
        int w = 0;
        while (i < len && i - start < BROWSE_LINE_MAX_BYTES) {
            n = ak_utf8_decode(p + i, len - i, &over, NULL);
            w = browse_cp_cols(over);
            if (w > 0 && col + (uint32_t)w > width) break;
            if (!hard && w > 0) {
                if (over == ' ') {
                    if (!prev_space) cut = i;
                    next = i + n;
                } else if ((w == 2 || prev_wide) && i > start) {
                    cut = next = i;
                }
                prev_space = over == ' ';
                prev_wide = w == 2;
            }
            col += (uint32_t)w;
            i += n;
        }
        if (i >= len) {
            emit(e, p + start, len - start, style, at);
            break;
        }
        // `over` (at i) did not fit. A space or a wide neighbour is a break right here.
        if (!hard && over == ' ' && i > start) cut = prev_space ? cut : i, next = i;
        else if (!hard && (w == 2 || prev_wide) && i > start) cut = next = i;
        if (hard || cut <= start) {
            if (i == start) i += n; // one character wider than the line: it gets a line of its own
            cut = next = i;
        }
        emit(e, p + start, cut - start, style, at);
        start = next;
        if (!hard)
            while (start < len && p[start] == ' ') start++;
    }
}

static bool is_fence(const char *p, uint64_t len) {
    uint64_t i = 0;
    while (i < len && i < 3 && p[i] == ' ') i++;
    return len - i >= 3 && (!memcmp(p + i, "```", 3) || !memcmp(p + i, "~~~", 3));
}

// The language label of an opening fence line ("```python" -> "python"), maybe empty.
static AkStr fence_label(const char *p, uint64_t len) {
    AkStr s = ak_str_trim(ak_str(p, len));
    while (s.len && (s.ptr[0] == '`' || s.ptr[0] == '~')) s = ak_str_skip(s, 1);
    return ak_str_trim(s);
}

// A block of text, paragraph by paragraph. With `markdown` (prose: a message's text parts),
// fences switch to code lines (hard-wrapped, indented, their own colour) until the closing
// fence, and other lines are rendered (browse_markdown.c) before they wrap.
static void wrap_block(Emit *e, AkStr s, uint32_t width, BrowseStyle style, uint32_t indent, bool markdown) {
    bool code = style == BROWSE_CODE;
    uint64_t at = 0;
    do {
        uint64_t nl = ak_str_find_byte(s, '\n', at);
        uint64_t end = nl == AK_STR_NPOS ? s.len : nl;
        const char *p = s.ptr + at;
        uint64_t len = end - at;
        if (len && p[len - 1] == '\r') len--;
        e->src = p, e->src_len = (uint32_t)AK_MIN(len, UINT32_MAX);
        e->attrs = NULL, e->level = 0;
        if (markdown && is_fence(p, len)) {
            AkStr label = fence_label(p, len);
            if (code) emit(e, p, 0, BROWSE_FENCE_END, indent);
            else emit(e, label.len ? label.ptr : p, label.len, BROWSE_FENCE, indent);
            code = !code;
        } else if (code) {
            wrap_paragraph(e, p, len, width > indent + 2 ? width - indent - 2 : 1, BROWSE_CODE, indent + 2, true, 0);
        } else if (markdown && style == BROWSE_TEXT) {
            BrowseMdLine md;
            if (!browse_md_line(e->arena, ak_str(p, len), &md)) {
                e->count = -1;
                break;
            }
            uint32_t in = indent + md.indent;
            e->abase = md.text.ptr, e->attrs = md.attrs, e->level = md.level;
            if (md.style == BROWSE_RULE) emit(e, p, 0, BROWSE_RULE, in);
            else wrap_paragraph(e, md.text.ptr, md.text.len, width > in ? width - in : 1, md.style, in, false, md.hang);
        } else {
            wrap_paragraph(e, p, len, width > indent ? width - indent : 1, style, indent, false, 0);
        }
        at = end + 1;
    } while (at <= s.len && e->count >= 0);
    e->src = NULL, e->attrs = NULL, e->level = 0;
}

// The part kinds whose text the browser shows (files and images have a name only).
// Files and images have no text to show; bookkeeping kept from the export (block times, token
// budgets) is for `show --all-branches` and the JSON export, not for reading.
static bool part_text_shown(ChatPartKind k) { return k != CHAT_PART_FILE && k != CHAT_PART_IMAGE && k != CHAT_PART_META; }

static void emit_label(Emit *e, uint32_t width, AkStr s) {
    if (!s.ptr) {
        e->count = -1;
        return;
    }
    wrap_paragraph(e, s.ptr, s.len, width, BROWSE_LABEL, 0, false, 0);
}

int64_t browse_wrap_message(AkArena *arena, BrowseLineArray *lines, const ChatMessage *m, uint32_t number,
                            uint32_t width) {
    Emit e = {.lines = lines, .arena = arena, .role = (uint8_t)m->role};
    char when[32], branch[64] = "";
    app_format_time(m->created, when, sizeof when);
    if (m->sibling_count > 1) snprintf(branch, sizeof branch, " · version %u of %u", m->sibling_index, m->sibling_count);
    if (!m->visible) snprintf(branch + strlen(branch), sizeof branch - strlen(branch), " · off-thread");
    AkStr head = ak_str_pushf(arena, "%s · %s%s · #%u", app_role_title(m->role), when, branch, number);
    if (!head.ptr) return -1;
    emit(&e, head.ptr, head.len, BROWSE_HEADER, 0);
    if (m->part_count == 0) wrap_block(&e, m->text, width, BROWSE_TEXT, 0, true);
    for (uint32_t i = 0; i < m->part_count && e.count >= 0; i++) {
        const ChatPart *p = &m->parts[i];
        if (p->kind == CHAT_PART_META) continue;
        if (p->kind == CHAT_PART_TEXT) {
            wrap_block(&e, p->text, width, BROWSE_TEXT, 0, true);
            continue;
        }
        AkStr label = ak_str_pushf(arena, "[%s%s%.*s%s]", app_part_label(p->kind), p->name.len ? ": " : "",
                                   AK_STR_FMT(p->name), p->is_error ? " (error)" : "");
        if (p->kind == CHAT_PART_ATTACHMENT && label.ptr)
            label = ak_str_pushf(arena, "%.*s %llu bytes of text", AK_STR_FMT(label), (unsigned long long)p->text.len);
        emit_label(&e, width, label);
        if (!part_text_shown(p->kind) || !p->text.len) continue;
        // Tool input and output, attachments' text and unknown blocks read as code; JSON
        // (a tool call's input, a result, an unknown block) is re-indented to be read.
        if (p->kind == CHAT_PART_THINKING) {
            wrap_block(&e, p->text, width, BROWSE_THINKING, 2, false);
        } else if (p->kind == CHAT_PART_TOOL_USE || p->kind == CHAT_PART_TOOL_RESULT || p->kind == CHAT_PART_UNKNOWN) {
            AkStr pretty = browse_json_pretty(arena, p->text);
            // The re-indented copy is found by its source (the part's text) as a whole.
            if (pretty.ptr != p->text.ptr) e.whole = p->text;
            wrap_block(&e, pretty, width, BROWSE_CODE, 0, false);
            e.whole = (AkStr){0};
        } else {
            wrap_block(&e, p->text, width, BROWSE_CODE, 0, false);
        }
    }
    emit(&e, "", 0, BROWSE_TEXT, 0);
    return e.count;
}

uint32_t browse_msg_segment_count(const ChatMessage *m) { return m->part_count ? m->part_count : 1; }

AkStr browse_msg_segment(const ChatMessage *m, uint32_t k) {
    if (m->part_count == 0) return m->text;
    const ChatPart *p = &m->parts[k];
    return part_text_shown(p->kind) ? p->text : (AkStr){"", 0};
}

// ---- drawing ---------------------------------------------------------------------------------

static attr_t rich_attr(uint8_t r, attr_t attr, attr_t code_attr, attr_t dim_attr) {
    if (r & BROWSE_MD_BOLD) attr |= A_BOLD;
    if (r & BROWSE_MD_ITALIC) attr |= A_ITALIC;
    if (r & BROWSE_MD_LINK) attr |= A_UNDERLINE;
    if (r & BROWSE_MD_CODE) attr = (attr & ~A_COLOR) | code_attr;
    if (r & (BROWSE_MD_DIM | BROWSE_MD_BULLET)) attr = (attr & ~A_COLOR) | dim_attr;
    return attr;
}

static int draw_impl(int y, int x, int cols, AkStr s, const uint8_t *rich, attr_t attr, attr_t hl_attr,
                     const BrowseTerms *hl, bool marks, attr_t code_attr, attr_t dim_attr) {
    if (cols <= 0) return 0;
    move(y, x);
    uint64_t hl_len = 0, hl_at = hl ? browse_terms_find(hl, s, 0, &hl_len) : AK_STR_NPOS, hl_end = 0;
    bool marked = false;
    int col = 0;
    for (uint64_t i = 0; i < s.len;) {
        if (i == hl_at) {
            hl_end = i + AK_MAX(hl_len, 1);
            hl_at = browse_terms_find(hl, s, hl_end, &hl_len);
        }
        uint32_t cp;
        uint32_t n = ak_utf8_decode(s.ptr + i, s.len - i, &cp, NULL);
        bool lit = i < hl_end || marked;
        attr_t base = rich ? rich_attr(rich[i], attr, code_attr, dim_attr) : attr;
        i += n;
        if (marks && (cp == BROWSE_MARK_ON || cp == BROWSE_MARK_OFF)) {
            marked = cp == BROWSE_MARK_ON;
            continue;
        }
        attrset(lit ? hl_attr : base);
        if (cp == '\r' && i < s.len && s.ptr[i] == '\n') continue; // a CRLF is one line break
        if (cp == '\n') cp = ' '; // snippets and titles keep their text on one row
        if (cp == '\t') {
            int k = AK_MIN(BROWSE_TAB_COLS, cols - col);
            for (int j = 0; j < k; j++) addch(' ');
            col += k;
            if (col >= cols) break;
            continue;
        }
        char esc[BROWSE_ESCAPE_MAX];
        int e = browse_escape(cp, esc);
        if (e) {
            // Shown, never sent: the escape in reverse video so it cannot pass for text.
            if (col + e > cols) break;
            attrset((lit ? hl_attr : base) | A_REVERSE);
            addnstr(esc, e);
            col += e;
            continue;
        }
        int w = ak_utf8_cp_width(cp);
        if (w < 0) continue;
        wchar_t wc = (wchar_t)cp;
        if (w == 0) {
            // Attached by curses to the character before; nothing to attach to at the start.
            if (col > 0) addnwstr(&wc, 1);
            continue;
        }
        int lw = wcwidth(wc);
        if (lw < 0) wc = 0xFFFD, lw = 1; // the locale does not know it: a replacement character
        if (col + AK_MAX(w, lw) > cols) break;
        addnwstr(&wc, 1);
        int now = getcurx(stdscr) - x;
        col = now > col ? now : col + AK_MAX(w, lw);
    }
    attrset(A_NORMAL);
    return col;
}

int browse_draw_text(int y, int x, int cols, AkStr s, attr_t attr, attr_t hl_attr, const BrowseTerms *hl, bool marks) {
    return draw_impl(y, x, cols, s, NULL, attr, hl_attr, hl, marks, 0, 0);
}

int browse_draw_rich(int y, int x, int cols, AkStr s, const uint8_t *rich, attr_t attr, attr_t hl_attr,
                     const BrowseTerms *hl, attr_t code_attr, attr_t dim_attr) {
    return draw_impl(y, x, cols, s, rich, attr, hl_attr, hl, false, code_attr, dim_attr);
}

int browse_put(int y, int x, int cols, AkStr s, attr_t attr) {
    return browse_draw_text(y, x, cols, s, attr, attr, NULL, false);
}
