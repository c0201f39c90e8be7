// browse_help.c: the help overlay (? or F1). The keys are a table of sections and entries,
// laid out for the window on each draw: two columns of sections when the box is wide enough
// (80 columns and up), one otherwise; each description wraps at word boundaries inside its
// column, and a help taller than the window scrolls (j k, PgUp PgDn), saying so on its frame.
// Memory: none; it draws straight from the static table.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse_ui.h"

#include "arenakit/utf8.h"

#include <stdio.h>

typedef struct HelpEntry {
    const char *keys, *what; // keys NULL: a section heading in `what`
} HelpEntry;

static const HelpEntry help[] = {
    {NULL, "Anywhere"},
    {"q  Ctrl-C", "quit (Ctrl-C exits with status 130)"},
    {"?  F1", "this help"},
    {"m", "memory: every arena, the message budget, the cached chats"},
    {"Tab ← →", "next / previous tab (Shift-Tab too)"},
    {"1-9", "go to tab (1 is the chat list)"},
    {":", "open a chat by its number (#)"},
    {"x  Ctrl-W", "close the tab"},
    {"s  S", "search every message (as chatlog search); S: every version too"},
    {"Ctrl-L", "redraw the screen"},
    {NULL, "Chat list"},
    {"↑ ↓  j k", "move"},
    {"PgUp PgDn", "page (Space, Ctrl-B, Ctrl-F too)"},
    {"g G Home End", "first / last"},
    {"Enter  o", "open in a tab, or go to its tab"},
    {"/", "filter titles: every word, in any order; case and accents do not count"},
    {"Esc", "clear the filter, or leave the search hits"},
    {NULL, "In a chat"},
    {"↑ ↓  j k", "line"},
    {"PgUp PgDn", "page (Space, b too)"},
    {"g G Home End", "top / bottom"},
    {"[ ]", "previous / next message"},
    {"/  n N", "find in the chat; next / previous match"},
    {"v  V", "next / previous version of a message with branches (\"version 1 of 2\")"},
    {"c", "copy the marked (▶) message to the clipboard"},
    {"w", "write the marked message to ./chatlog-ID-N.txt"},
    {"Esc", "clear the find highlight"},
    {NULL, "Typing"},
    {"Enter  Esc", "accept / cancel"},
    {"Bksp  Ctrl-U", "delete a character / the line"},
    {NULL, "Memory"},
    {NULL, "-Opening a tab pins its chat's messages; closing it (x) lets them be evicted when the budget needs room."},
};

enum { HELP_SECTIONS_MAX = 16, HELP_KEY_COLS = 14 };

// Where the next word break is: the longest head of s that fits `cols` columns, cut at a space
// when there is one.
static AkStr fit_words(AkStr s, int cols) {
    uint64_t used;
    AkStr head = ak_utf8_fit(s, (uint64_t)(cols > 1 ? cols : 1), &used);
    if (head.len == s.len) return head;
    uint64_t cut = head.len;
    while (cut > 0 && head.ptr[cut] != ' ') cut--;
    if (cut == 0) return head.len ? head : ak_utf8_fit(s, 1, &used);
    return ak_str_head(head, cut);
}

// Rows entry `e` takes at `width` columns (0: count only), drawing it at row y when `draw`.
static int entry_rows(const HelpEntry *e, int y, int x, int width, bool draw, int top, int bottom) {
    int rows = 0;
    AkStr what = ak_str_cstr(e->what);
    attr_t attr = A_NORMAL;
    int indent = HELP_KEY_COLS;
    if (!e->keys) {
        if (what.len && what.ptr[0] == '-') what = ak_str_skip(what, 1), indent = 0; // a note: full width
        else indent = 0, attr = A_BOLD | A_UNDERLINE;
    } else if (draw && y >= top && y < bottom) {
        browse_put(y, x, HELP_KEY_COLS - 1, ak_str_cstr(e->keys), A_BOLD);
    }
    do {
        AkStr line = fit_words(what, width - indent);
        if (draw && y + rows >= top && y + rows < bottom) browse_put(y + rows, x + indent, width - indent, line, attr);
        rows++;
        what = ak_str_trim_left(ak_str_skip(what, line.len));
    } while (what.len);
    return rows;
}

// The rows a section (from entry `first` up to the next heading) takes.
static int section_rows(uint32_t first, uint32_t end, int width) {
    int rows = 0;
    for (uint32_t i = first; i < end; i++) rows += entry_rows(&help[i], 0, 0, width, false, 0, 0);
    return rows + 1; // a blank row after it
}

int browse_help_draw(int y, int x, int h, int w, int scroll) {
    if (w < 24 || h < 3) return scroll;
    uint32_t starts[HELP_SECTIONS_MAX + 1], n = 0;
    for (uint32_t i = 0; i < AK_ARRAY_COUNT(help) && n < HELP_SECTIONS_MAX; i++)
        if (!help[i].keys && help[i].what[0] != '-') starts[n++] = i;
    starts[n] = (uint32_t)AK_ARRAY_COUNT(help);
    // The memory note belongs with the last section heading ("Memory"), which starts it.
    int inner = w - 4, two = inner >= 76;
    int colw = two ? (inner - 3) / 2 : inner;
    // Sections go left until the left column holds about half of the rows.
    int total = 0, left_rows = 0;
    for (uint32_t k = 0; k < n; k++) total += section_rows(starts[k], starts[k + 1], colw);
    uint32_t split = n;
    if (two) {
        for (uint32_t k = 0; k < n; k++) {
            int r = section_rows(starts[k], starts[k + 1], colw);
            if (left_rows && left_rows + r > (total + 1) / 2 + 2) {
                split = k;
                break;
            }
            left_rows += r;
        }
    }
    int height = (two ? AK_MAX(left_rows, total - left_rows) : total) - 1; // no blank row after the last
    if (height + 2 < h) h = height + 2;
    browse_draw_box(y, x, h, w, " chatlog browse: keys (Esc closes) ");
    int view = h - 2;
    int max_scroll = AK_MAX(0, height - view);
    scroll = scroll < 0 ? 0 : scroll > max_scroll ? max_scroll : scroll;
    int top = y + 1, bottom = y + 1 + view;
    for (int side = 0; side < (two ? 2 : 1); side++) {
        int row = top - scroll, cx = x + 2 + (side ? colw + 3 : 0);
        for (uint32_t k = side ? split : 0; k < (side || !two ? n : split); k++) {
            for (uint32_t i = starts[k]; i < starts[k + 1]; i++)
                row += entry_rows(&help[i], row, cx, colw, true, top, bottom);
            row++;
        }
    }
    if (max_scroll) {
        char more[64];
        snprintf(more, sizeof more, " %s j k scroll ", scroll < max_scroll ? "more below ↓" : "end ·");
        browse_put(y + h - 1, x + w - 2 - (int)ak_utf8_width(ak_str_cstr(more)), w, ak_str_cstr(more), A_BOLD);
    }
    return scroll;
}
