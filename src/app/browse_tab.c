// browse_tab.c: one tab, one chat. Opening takes a view reference through the store (the IO
// thread loads the history; the tab says "loading" until the record is READY); closing drops
// it, so the LRU may evict the history when the budget needs room.
//
// Wrapping is lazy and cached per message: a position is (message, line within it), and only
// the messages that are drawn or scrolled over are wrapped, once, into the tab's line array on
// the tab's arena. A very long message costs one wrap; a long chat never wraps in full. When
// the width changes the whole cache is popped off the arena at once and rebuilt as needed,
// and the top line is found again by the byte it started at.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse_ui.h"

#include <stdio.h>

AkStr browse_tab_title(Browser *b, const BrowseTab *t) { return browse_chat_title(b, t->handle, NULL); }

bool browse_tab_open(Browser *b, uint32_t handle, int32_t goto_ordinal, const char *find) {
    for (uint32_t i = 0; i < b->tab_count; i++) {
        BrowseTab *t = &b->tabs[i];
        if (t->handle != handle) continue;
        b->current = i + 1;
        if (find) snprintf(t->find, sizeof t->find, "%s", find), t->find_words = true;
        // A hit to go to is applied at the next draw, which also runs the find from there.
        if (goto_ordinal >= 0) t->goto_ordinal = goto_ordinal;
        else if (find) browse_tab_set_find(b, t, find, true);
        return true;
    }
    if (b->tab_count == BROWSE_MAX_TABS) {
        browse_notice(b, true, "%d tabs are open, the most the browser keeps: close one (x) first", BROWSE_MAX_TABS);
        return false;
    }
    ChatError err = {{0}};
    ChatMessages *rec = chat_store_open_chat(b->store, handle, &err);
    if (!rec) {
        const ChatMeta *m = chat_store_meta(b->store, handle);
        AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
        browse_notice(b, true, "cannot open #%lld %.*s: %s", (long long)m->id, AK_STR_FMT(title), err.msg);
        return false;
    }
    AkArena *arena = ak_arena_create(.name = "browse tab", .commit = AK_KB(64), .keep = AK_KB(256));
    if (!arena) {
        chat_store_close_chat(b->store, rec);
        browse_notice(b, true, "cannot open a tab: %s", ak_arena_last_create_error());
        return false;
    }
    BrowseTab *t = &b->tabs[b->tab_count++];
    *t = (BrowseTab){.handle = handle, .rec = rec, .arena = arena, .goto_ordinal = goto_ordinal, .mark = -1};
    if (find) snprintf(t->find, sizeof t->find, "%s", find), t->find_words = true;
    b->current = b->tab_count;
    b->tabs_opened++;
    return true;
}

void browse_tab_close(Browser *b, uint32_t index) {
    AK_ASSERT(index < b->tab_count, "closing tab %u of %u", index, b->tab_count);
    BrowseTab *t = &b->tabs[index];
    chat_store_close_chat(b->store, t->rec);
    ak_arena_release(t->arena);
    if (t->branch_arena) ak_arena_release(t->branch_arena);
    memmove(t, t + 1, (b->tab_count - index - 1) * sizeof *t);
    b->tab_count--;
    if (b->current > index + 1 || b->current > b->tab_count) b->current--;
}

// ---- the wrap cache ------------------------------------------------------------------------------

const ChatMessage *browse_tab_msg(const BrowseTab *t, uint32_t i) {
    return t->thread ? t->thread[i] : ChatMessageArray_get(&t->rec->msgs, i);
}
static const ChatMessage *tab_msg(const BrowseTab *t, uint32_t i) { return browse_tab_msg(t, i); }

void browse_tab_relayout(BrowseTab *t) {
    ak_arena_clear(t->arena);
    t->laid_out = false;
    t->wraps = NULL;
    t->width = 0;
    t->top = (BrowsePos){0, 0};
    t->mark = -1;
    t->hit_valid = false;
}

// Drop every wrapped line; the next look at a message wraps it at the new width.
static void cache_reset(BrowseTab *t, uint32_t width) {
    ak_arena_pop_to(t->arena, t->wrap_base);
    memset(t->wraps, 0, t->msg_count * sizeof *t->wraps);
    t->lines = BrowseLineArray_init(t->arena, 1024);
    t->width = width;
    t->wrap_refused = false;
}

static uint32_t msg_lines(BrowseTab *t, uint32_t i) {
    BrowseMsgWrap *w = &t->wraps[i];
    if (!w->done) {
        w->first = (uint32_t)BrowseLineArray_count(&t->lines);
        int64_t n = browse_wrap_message(t->arena, &t->lines, tab_msg(t, i), i + 1, t->width);
        // If the arena refused (the process budget), the message shows as nothing rather
        // than half, and the info line says so.
        w->count = n < 0 ? 0 : (uint32_t)n;
        if (n < 0) t->wrap_refused = true;
        w->done = true;
    }
    return w->count;
}

static BrowseLine *line_at(BrowseTab *t, BrowsePos p) {
    return BrowseLineArray_get(&t->lines, t->wraps[p.msg].first + p.line);
}

static int pos_cmp(BrowsePos a, BrowsePos b) {
    if (a.msg != b.msg) return a.msg < b.msg ? -1 : 1;
    return a.line < b.line ? -1 : a.line > b.line;
}

static BrowsePos pos_down(BrowseTab *t, BrowsePos p, uint64_t n) {
    while (n > 0) {
        uint32_t c = msg_lines(t, p.msg);
        if (p.line + 1 < c) {
            uint32_t step = (uint32_t)AK_MIN(n, (uint64_t)(c - 1 - p.line));
            p.line += step;
            n -= step;
        } else if (p.msg + 1 < t->msg_count) {
            p.msg++, p.line = 0, n--;
        } else {
            break;
        }
    }
    return p;
}

static BrowsePos pos_up(BrowseTab *t, BrowsePos p, uint64_t n) {
    while (n > 0) {
        if (p.line > 0) {
            uint32_t step = (uint32_t)AK_MIN(n, (uint64_t)p.line);
            p.line -= step;
            n -= step;
        } else if (p.msg > 0) {
            p.msg--, n--;
            uint32_t c = msg_lines(t, p.msg);
            p.line = c ? c - 1 : 0;
        } else {
            break;
        }
    }
    return p;
}

// The lowest top position: the last line at the bottom row (wraps only the last screenful).
static BrowsePos pos_bottom(BrowseTab *t) {
    uint32_t last = t->msg_count - 1, c = msg_lines(t, last);
    BrowsePos end = {last, c ? c - 1 : 0};
    return pos_up(t, end, t->rows > 1 ? t->rows - 1 : 0);
}

static void clamp_top(BrowseTab *t) {
    if (!t->laid_out || !t->msg_count) return;
    BrowsePos bottom = pos_bottom(t);
    if (pos_cmp(t->top, bottom) > 0) t->top = bottom;
}

// The line of message `msg` whose bytes hold `at`, or 0.
static uint32_t line_holding(BrowseTab *t, uint32_t msg, const char *at) {
    uint32_t c = msg_lines(t, msg);
    uintptr_t a = (uintptr_t)at;
    for (uint32_t k = 0; k < c; k++) {
        BrowseLine *l = line_at(t, (BrowsePos){msg, k});
        if (!l->src) continue;
        uintptr_t s = (uintptr_t)l->src;
        if (l->style != BROWSE_HEADER && l->style != BROWSE_LABEL && a >= s && a < s + AK_MAX(l->src_len, 1)) return k;
    }
    return 0;
}

// Open at a search hit: its message at the top, then the first match of the search's words in
// it. The hit's message is the marked one (▶, what c copies), wherever the view ends up.
static void apply_goto(Browser *b, BrowseTab *t) {
    for (uint32_t i = 0; i < t->msg_count; i++)
        if (tab_msg(t, i)->ordinal == (uint32_t)t->goto_ordinal) t->top = (BrowsePos){i, 0};
    t->goto_ordinal = -1;
    uint32_t at = t->top.msg;
    if (t->find[0]) {
        browse_tab_set_find(b, t, t->find, t->find_words);
        if (!t->hit_valid || t->hit_msg != at) t->top = (BrowsePos){at, 0}; // the hit's text is not shown
    }
    t->mark = at;
}

// Make the cache match the window: lay out once the history has loaded, rewrap on a new width.
static bool tab_ready(Browser *b, BrowseTab *t, uint32_t width, uint32_t rows) {
    t->rows = rows;
    if (!t->laid_out) {
        if (chat_messages_state(t->rec) != CHAT_LOAD_READY) return false;
        t->msg_count = t->thread ? t->thread_count : (uint32_t)ChatMessageArray_count(&t->rec->msgs);
        t->wraps = ak_push_array(t->arena, BrowseMsgWrap, t->msg_count ? t->msg_count : 1);
        if (!t->wraps) {
            browse_notice(b, true, "tab: %s", ak_arena_error(t->arena));
            return false;
        }
        t->wrap_base = ak_arena_pos(t->arena);
        t->laid_out = true;
        cache_reset(t, width);
        if (t->goto_ordinal < 0 && t->find[0]) browse_tab_set_find(b, t, t->find, t->find_words);
    } else if (t->width != width && t->msg_count) {
        const char *anchor = line_at(t, t->top)->src;
        bool on_header = line_at(t, t->top)->style == BROWSE_HEADER;
        cache_reset(t, width);
        t->top.line = on_header ? 0 : line_holding(t, t->top.msg, anchor);
    }
    if (t->goto_ordinal >= 0) apply_goto(b, t);
    clamp_top(t);
    return true;
}

// ---- moving ------------------------------------------------------------------------------------

void browse_tab_scroll(BrowseTab *t, int64_t lines) {
    t->mark = -1; // moving by hand: the marker follows the view again
    if (!t->laid_out || !t->msg_count) return;
    t->top = lines >= 0 ? pos_down(t, t->top, (uint64_t)lines) : pos_up(t, t->top, (uint64_t)-lines);
    clamp_top(t);
}

void browse_tab_home(BrowseTab *t) { t->top = (BrowsePos){0, 0}, t->mark = -1; }

void browse_tab_end(BrowseTab *t) {
    t->mark = -1;
    if (t->laid_out && t->msg_count) t->top = pos_bottom(t);
}

void browse_tab_message_step(BrowseTab *t, int dir) {
    if (!t->laid_out || !t->msg_count) return;
    uint32_t cur = (uint32_t)browse_tab_current(t), to = cur;
    if (dir > 0 && cur + 1 < t->msg_count) to = cur + 1;
    else if (dir < 0 && t->top.msg == cur && t->top.line > 0) to = cur; // its own header first
    else if (dir < 0 && cur > 0) to = cur - 1;
    // The marker moves by message even where the view cannot scroll (a short chat's end).
    t->top = (BrowsePos){to, 0};
    clamp_top(t);
    t->mark = to;
}

int64_t browse_tab_current(BrowseTab *t) {
    if (!t->laid_out || !t->msg_count) return -1;
    if (t->mark >= 0 && t->mark < t->msg_count) return t->mark; // a hit jumped to
    // On a message's closing blank line the next message is what the reader is looking at.
    uint32_t c = msg_lines(t, t->top.msg);
    if (t->top.line + 1 >= c && t->top.msg + 1 < t->msg_count) return t->top.msg + 1;
    return t->top.msg;
}

// ---- find in the chat ----------------------------------------------------------------------------

typedef struct Hit {
    uint32_t msg, seg;
    uint64_t off;
} Hit;

// The next (dir > 0) or previous match strictly after / before `from`, wrapping around.
static bool find_from(BrowseTab *t, Hit from, int dir, Hit *out, bool *wrapped) {
    BrowseTerms q;
    browse_terms_parse(&q, t->find, t->find_words);
    *wrapped = false;
    for (uint64_t step = 0; step <= t->msg_count; step++) {
        uint32_t i = dir > 0 ? (uint32_t)((from.msg + step) % t->msg_count)
                             : (uint32_t)((from.msg + t->msg_count - step % t->msg_count) % t->msg_count);
        if (step && (dir > 0 ? i == 0 : i == t->msg_count - 1)) *wrapped = true;
        const ChatMessage *m = tab_msg(t, i);
        uint32_t n = browse_msg_segment_count(m);
        for (uint32_t k = 0; k < n; k++) {
            uint32_t seg = dir > 0 ? k : n - 1 - k;
            AkStr s = browse_msg_segment(m, seg);
            uint64_t at;
            if (step == 0 && seg != from.seg && (dir > 0 ? seg < from.seg : seg > from.seg)) continue;
            if (dir > 0) at = browse_terms_find(&q, s, step == 0 && seg == from.seg ? from.off : 0, NULL);
            else at = browse_terms_find_before(&q, s, step == 0 && seg == from.seg ? from.off : s.len);
            if (at != AK_STR_NPOS) {
                *out = (Hit){i, seg, at};
                return true;
            }
        }
    }
    return false;
}

static uint32_t count_hits(BrowseTab *t, Hit upto, bool *all) {
    BrowseTerms q;
    browse_terms_parse(&q, t->find, t->find_words);
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->msg_count; i++) {
        const ChatMessage *m = tab_msg(t, i);
        for (uint32_t k = 0; k < browse_msg_segment_count(m); k++) {
            AkStr s = browse_msg_segment(m, k);
            uint64_t len = 0;
            for (uint64_t at = browse_terms_find(&q, s, 0, &len); at != AK_STR_NPOS;
                 at = browse_terms_find(&q, s, at + AK_MAX(len, 1), &len)) {
                if (!*all && (i > upto.msg || (i == upto.msg && (k > upto.seg || (k == upto.seg && at > upto.off)))))
                    return n;
                n++;
            }
        }
    }
    *all = true;
    return n;
}

static void show_hit(BrowseTab *t) {
    const ChatMessage *m = tab_msg(t, t->hit_msg);
    const char *at = browse_msg_segment(m, t->hit_seg).ptr + t->hit_off;
    BrowsePos p = {t->hit_msg, line_holding(t, t->hit_msg, at)};
    t->top = pos_up(t, p, t->rows / 3);
    clamp_top(t);
}

static void jump(Browser *b, BrowseTab *t, Hit from, int dir) {
    Hit h;
    bool wrapped;
    if (!t->msg_count || !find_from(t, from, dir, &h, &wrapped)) {
        t->hit_valid = false;
        browse_notice(b, true, "no match for \"%s\" in this chat", t->find);
        return;
    }
    t->hit_valid = true;
    t->hit_msg = h.msg, t->hit_seg = h.seg, t->hit_off = h.off;
    t->mark = h.msg;
    bool all = false;
    t->hit_index = count_hits(t, h, &all) - 1; // the count includes the hit itself
    show_hit(t);
    if (wrapped) browse_notice(b, false, "search wrapped around to the %s", dir > 0 ? "top" : "bottom");
}

void browse_tab_set_find(Browser *b, BrowseTab *t, const char *query, bool words) {
    if (query != t->find) snprintf(t->find, sizeof t->find, "%s", query);
    t->find_words = words;
    t->hit_valid = false;
    t->hit_index = t->hit_total = 0;
    if (!t->laid_out || !t->find[0]) return;
    bool all = true;
    t->hit_total = count_hits(t, (Hit){0, 0, 0}, &all);
    // The first match from the top of the view down.
    jump(b, t, (Hit){t->top.msg, 0, 0}, 1);
}

void browse_tab_find_next(Browser *b, BrowseTab *t, int dir) {
    if (!t->find[0]) {
        browse_notice(b, false, "nothing to find yet: / starts a search in this chat");
        return;
    }
    if (!t->laid_out) return;
    Hit from = {t->top.msg, 0, 0};
    if (t->hit_valid) from = (Hit){t->hit_msg, t->hit_seg, dir > 0 ? t->hit_off + 1 : t->hit_off};
    jump(b, t, from, dir);
}

// ---- drawing -------------------------------------------------------------------------------------

static attr_t style_attr(Browser *b, const BrowseLine *l) {
    switch (l->style) {
    case BROWSE_HEADER:
        return A_BOLD | browse_attr(b, l->role == CHAT_ROLE_USER        ? PAIR_USER
                                       : l->role == CHAT_ROLE_ASSISTANT ? PAIR_ASSISTANT
                                                                        : PAIR_OTHER);
    case BROWSE_CODE: return browse_attr(b, PAIR_CODE);
    case BROWSE_HEADING: return A_BOLD | (l->level <= 2 ? A_UNDERLINE : 0) | browse_attr(b, PAIR_ASSISTANT);
    case BROWSE_QUOTE: return A_ITALIC;
    case BROWSE_FENCE:
    case BROWSE_FENCE_END:
    case BROWSE_RULE:
    case BROWSE_THINKING: return browse_attr(b, PAIR_DIM);
    case BROWSE_LABEL: return A_BOLD | browse_attr(b, PAIR_DIM);
    default: return A_NORMAL;
    }
}

static void draw_line(Browser *b, BrowseTab *t, const BrowseLine *l, int y, int cols, bool current) {
    attr_t attr = style_attr(b, l), hl = browse_attr(b, PAIR_HIT) | A_BOLD;
    AkStr text = ak_str(l->ptr, l->len);
    BrowseTerms find;
    browse_terms_parse(&find, t->find, t->find_words);
    if (l->style == BROWSE_HEADER) {
        // ▶ marks the message a copy (c) takes.
        int x = browse_put(y, 0, cols, current ? AK_STR("▶─ ") : AK_STR("── "), attr);
        x += browse_draw_text(y, x, cols - x, text, attr, hl, &find, false);
        x += browse_put(y, x, cols - x, AK_STR(" "), attr);
        attrset(attr);
        for (; x < cols; x++) addnwstr(L"─", 1);
        attrset(A_NORMAL);
        return;
    }
    int x = l->indent;
    attr_t dim = browse_attr(b, PAIR_DIM);
    switch (l->style) {
    case BROWSE_CODE: browse_put(y, l->indent - 2 > 0 ? l->indent - 2 : 0, 2, AK_STR("│ "), dim); break;
    case BROWSE_QUOTE: browse_put(y, x, 2, AK_STR("▎ "), dim), x += 2; break;
    case BROWSE_FENCE: { // "╭─ python ───": the code block's top, with its language
        x += browse_put(y, x, cols - x, AK_STR("╭─"), attr);
        if (text.len) x += browse_put(y, x, cols - x, AK_STR(" "), attr),
                      x += browse_draw_text(y, x, cols - x, text, attr | A_BOLD, hl, &find, false),
                      x += browse_put(y, x, cols - x, AK_STR(" "), attr);
        for (int k = 0; k < 3 && x < cols; k++) x += browse_put(y, x, cols - x, AK_STR("─"), attr);
        return;
    }
    case BROWSE_FENCE_END: browse_put(y, x, cols - x, AK_STR("╰───"), attr); return;
    case BROWSE_RULE:
        attrset(attr);
        for (; x < cols; x++) mvaddnwstr(y, x, L"─", 1);
        attrset(A_NORMAL);
        return;
    default: break;
    }
    browse_draw_rich(y, x, cols - x, text, l->attrs, attr, hl, &find, browse_attr(b, PAIR_CODE), dim);
}

void browse_tab_draw(Browser *b, BrowseTab *t, int y, int rows, int cols) {
    uint32_t width = cols > 2 ? (uint32_t)cols - 1 : 1; // the last column stays free
    if (!tab_ready(b, t, width, (uint32_t)rows)) {
        ChatLoadState st = chat_messages_state(t->rec);
        AkStr title = browse_tab_title(b, t);
        if (st == CHAT_LOAD_PENDING) {
            mvprintw(y + 1, 2, "loading… ");
            browse_put(y + 1, 11, cols - 12, title, A_BOLD);
            mvprintw(y + 2, 2, "(the IO thread reads it from the database; keys keep working)");
        } else {
            attrset(browse_attr(b, PAIR_ERROR) | A_BOLD);
            mvprintw(y + 1, 2, "cannot load this chat: %s", st == CHAT_LOAD_CANCELLED ? "cancelled" : t->rec->error);
            attrset(A_NORMAL);
        }
        return;
    }
    if (!t->msg_count) {
        mvprintw(y + 1, 2, "(this chat has no messages)");
        return;
    }
    int64_t current = browse_tab_current(t);
    BrowsePos p = t->top;
    for (int row = 0; row < rows && p.msg < t->msg_count;) {
        if (p.line >= msg_lines(t, p.msg)) {
            p.msg++, p.line = 0;
            continue;
        }
        const BrowseLine *l = line_at(t, p);
        draw_line(b, t, l, y + row, (int)width, l->style == BROWSE_HEADER && (int64_t)p.msg == current);
        p.line++;
        row++;
    }
}

void browse_tab_info(Browser *b, BrowseTab *t, char *buf, size_t cap) {
    const ChatMeta *m = chat_store_meta(b->store, t->handle);
    AkStr title = browse_tab_title(b, t);
    int n = snprintf(buf, cap, "#%lld %.*s", (long long)m->id, AK_STR_FMT(title));
    if (n < 0 || (size_t)n >= cap) return;
    if (!t->laid_out || !t->msg_count) {
        snprintf(buf + n, cap - n, t->laid_out ? " · no messages" : " · loading");
        return;
    }
    uint32_t last = pos_down(t, t->top, t->rows ? t->rows - 1 : 0).msg;
    int64_t cur = browse_tab_current(t);
    n += snprintf(buf + n, cap - n, " · messages %u-%u of %u", (uint32_t)cur + 1, last + 1, t->msg_count);
    if (t->wrap_refused && (size_t)n < cap)
        n += snprintf(buf + n, cap - n, " · some messages not shown: %s", ak_arena_error(t->arena));
    if (t->find[0] && (size_t)n < cap) {
        if (t->hit_valid) snprintf(buf + n, cap - n, " · match %u of %u for \"%s\"", t->hit_index + 1, t->hit_total, t->find);
        else snprintf(buf + n, cap - n, " · no match for \"%s\"", t->find);
    }
}
