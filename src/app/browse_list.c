// browse_list.c: the chat list pane. Every chat's handle sorted newest first once at start;
// the title filter rebuilds the shown subset on each keystroke (a scan of the metadata, no
// allocation); a full-text search replaces the list with ranked hits until Esc, and opening
// a hit opens its chat at the message that matched.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse_ui.h"

#include "app/cli.h"

#include <stdio.h>
#include <stdlib.h>

static double chat_time(const ChatMeta *m) { return m->updated >= 0 ? m->updated : m->created; }

static const ChatStore *sort_store; // qsort has no context argument; main thread only
static int newest_first(const void *a, const void *b) {
    const ChatMeta *x = chat_store_meta(sort_store, *(const uint32_t *)a);
    const ChatMeta *y = chat_store_meta(sort_store, *(const uint32_t *)b);
    double tx = chat_time(x), ty = chat_time(y);
    if (tx != ty) return tx < ty ? 1 : -1;
    return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

bool browse_list_init(Browser *b) {
    BrowseList *l = &b->list;
    l->count = chat_store_count(b->store);
    l->order = ak_push_array_nz(b->arena, uint32_t, l->count ? l->count : 1);
    l->shown = ak_push_array_nz(b->arena, uint32_t, l->count ? l->count : 1);
    l->search_arena = ak_arena_create(.name = "browse search", .commit = AK_KB(64), .keep = AK_KB(256));
    if (!l->order || !l->shown || !l->search_arena) return false;
    for (uint32_t h = 0; h < l->count; h++) l->order[h] = h;
    sort_store = b->store;
    qsort(l->order, l->count, sizeof *l->order, newest_first);
    browse_list_apply_filter(b);
    return true;
}

static bool title_matches(AkStr title, AkStr needle) {
    return !needle.len || browse_find(title, needle, 0) != AK_STR_NPOS;
}

void browse_list_apply_filter(Browser *b) {
    BrowseList *l = &b->list;
    AkStr f = ak_str_cstr(l->filter);
    l->shown_count = 0;
    for (uint32_t i = 0; i < l->count; i++) {
        const ChatMeta *m = chat_store_meta(b->store, l->order[i]);
        AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
        if (title_matches(title, f)) l->shown[l->shown_count++] = l->order[i];
    }
    l->show_hits = false;
    l->sel = l->top = 0;
}

void browse_list_search(Browser *b, const char *query) {
    BrowseList *l = &b->list;
    ak_arena_clear(l->search_arena);
    l->hits = NULL;
    l->hit_count = 0;
    snprintf(l->query, sizeof l->query, "%s", query);
    ChatSearchOpts so = {.limit = 200, .visible_only = true, .snippet_tokens = 16};
    static const char mark_on[] = {BROWSE_MARK_ON, 0}, mark_off[] = {BROWSE_MARK_OFF, 0};
    so.mark_open = mark_on;
    so.mark_close = mark_off;
    ChatError err = {{0}};
    if (!chat_db_search(b->store->db, l->search_arena, query, &so, &l->hits, &l->hit_count, &err)) {
        browse_notice(b, true, "search: %s", err.msg);
        return;
    }
    if (!l->hit_count) {
        browse_notice(b, true, "no matches for %s", query);
        return;
    }
    l->show_hits = true;
    l->sel = l->top = 0;
    browse_notice(b, false, "%u hit%s for %s: Enter opens the chat at the hit, Esc goes back to the chats",
                  l->hit_count, l->hit_count == 1 ? "" : "s", query);
}

static uint32_t item_count(const BrowseList *l) { return l->show_hits ? l->hit_count : l->shown_count; }

void browse_list_move(Browser *b, int64_t delta) {
    BrowseList *l = &b->list;
    uint32_t n = item_count(l);
    if (!n) return;
    int64_t s = (int64_t)l->sel + delta;
    l->sel = (uint32_t)(s < 0 ? 0 : s >= n ? n - 1 : s);
}

// The word of a query to find inside the opened chat: its first term without quotes or '*'.
static void first_term(const char *query, char *out, size_t cap) {
    const char *p = query;
    while (*p == ' ' || *p == '"') p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '"' && p[n] != '*' && n + 1 < cap) n++;
    memcpy(out, p, n);
    out[n] = 0;
}

void browse_list_open_selected(Browser *b) {
    BrowseList *l = &b->list;
    if (!item_count(l)) return;
    if (!l->show_hits) {
        browse_tab_open(b, l->shown[l->sel], -1, NULL);
        return;
    }
    const ChatHit *h = &l->hits[l->sel];
    uint32_t handle;
    if (!chat_store_handle_of_id(b->store, h->chat_id, &handle)) {
        browse_notice(b, true, "chat #%lld is not in the metadata loaded at start", (long long)h->chat_id);
        return;
    }
    char term[BROWSE_INPUT_MAX];
    first_term(l->query, term, sizeof term);
    browse_tab_open(b, handle, h->kind == CHAT_HIT_TITLE ? -1 : h->ordinal, term[0] ? term : NULL);
}

static const char *marker(Browser *b, uint32_t handle, const ChatMeta *m) {
    for (uint32_t i = 0; i < b->tab_count; i++)
        if (b->tabs[i].handle == handle) return "▣"; // open in a tab: pinned
    return m->loaded ? "●" : " ";                      // cached by the LRU: evictable
}

static void draw_chat_row(Browser *b, uint32_t handle, int y, int cols, bool sel) {
    const ChatMeta *m = chat_store_meta(b->store, handle);
    char when[32], head[96];
    attr_t attr = sel ? A_REVERSE : A_NORMAL;
    if (sel) mvhline(y, 0, ' ' | A_REVERSE, cols);
    int x = browse_put(y, 0, cols, ak_str_cstr(marker(b, handle, m)), attr | A_BOLD);
    snprintf(head, sizeof head, " %5lld  %-16s  %-7s %4u  ", (long long)m->id,
             app_format_time(chat_time(m), when, sizeof when), chat_source_name(m->source), m->visible_count);
    x += browse_put(y, x, cols - x, ak_str_cstr(head), attr);
    AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
    browse_draw_text(y, x, cols - x - 1, title, attr | A_BOLD, attr | browse_attr(b, PAIR_HIT),
                     ak_str_cstr(b->list.filter), false);
}

static void draw_hit_rows(Browser *b, const ChatHit *h, int y, int cols, bool sel) {
    char when[32], head[160];
    attr_t attr = sel ? A_REVERSE : A_NORMAL;
    if (sel) mvhline(y, 0, ' ' | A_REVERSE, cols), mvhline(y + 1, 0, ' ' | A_REVERSE, cols);
    int x = browse_put(y, 1, cols - 1, AK_STR("#"), attr) + 1;
    snprintf(head, sizeof head, "%lld ", (long long)h->chat_id);
    x += browse_put(y, x, cols - x, ak_str_cstr(head), attr);
    AkStr title = h->title.len ? h->title : AK_STR("(untitled)");
    x += browse_put(y, x, cols - x, title, attr | A_BOLD);
    app_format_time(h->created, when, sizeof when);
    if (h->kind == CHAT_HIT_TITLE) snprintf(head, sizeof head, "  (title, %s)", when);
    else if (h->kind == CHAT_HIT_PART)
        snprintf(head, sizeof head, "  (message %d, %s %.*s, %s)", h->ordinal + 1, chat_part_kind_name(h->part_kind),
                 (int)AK_MIN(h->part_name.len, 40), h->part_name.ptr, when);
    else snprintf(head, sizeof head, "  (message %d, %s, %s)", h->ordinal + 1, chat_role_name(h->role), when);
    browse_put(y, x, cols - x, ak_str_cstr(head), attr | browse_attr(b, PAIR_DIM));
    // Snippets keep the text's newlines out of the listing: the draw skips control characters.
    browse_draw_text(y + 1, 4, cols - 5, h->snippet, attr, attr | browse_attr(b, PAIR_HIT) | A_BOLD, (AkStr){0}, true);
}

void browse_list_draw(Browser *b, int y, int rows, int cols) {
    BrowseList *l = &b->list;
    char head[BROWSE_INPUT_MAX + 128];
    if (l->show_hits)
        snprintf(head, sizeof head, "Search \"%s\": %u hit%s, best first", l->query, l->hit_count,
                 l->hit_count == 1 ? "" : "s");
    else if (l->filter[0])
        snprintf(head, sizeof head, "Chats: %u of %u with \"%s\" in the title, newest first", l->shown_count, l->count,
                 l->filter);
    else snprintf(head, sizeof head, "Chats: %u, newest first   (▣ open in a tab, ● cached in memory)", l->count);
    browse_put(y, 0, cols, ak_str_cstr(head), A_BOLD);
    int per = l->show_hits ? 2 : 1, fit = (rows - 1) / per;
    uint32_t n = item_count(l);
    if (fit < 1) return;
    if (!n) {
        mvprintw(y + 2, 2, l->filter[0] ? "no chat title contains \"%s\" (Esc clears the filter)" : "no chats%s",
                 l->filter[0] ? l->filter : " yet: import an export with `chatlog import`");
        return;
    }
    if (l->sel < l->top) l->top = l->sel;
    if (l->sel >= l->top + (uint32_t)fit) l->top = l->sel - (uint32_t)fit + 1;
    for (int r = 0; r < fit && l->top + (uint32_t)r < n; r++) {
        uint32_t i = l->top + (uint32_t)r;
        if (l->show_hits) draw_hit_rows(b, &l->hits[i], y + 1 + r * per, cols, i == l->sel);
        else draw_chat_row(b, l->shown[i], y + 1 + r, cols, i == l->sel);
    }
}

void browse_list_info(Browser *b, char *buf, size_t cap) {
    if (b->list.show_hits) snprintf(buf, cap, "Enter: open at the hit · Esc: back to the chats · s: new search");
    else snprintf(buf, cap, "Enter: open in a tab · /: filter titles · s: search all messages · ?: keys");
}
