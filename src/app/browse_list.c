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
#include "chat/source.h"
#include "app/search_query.h"
#include "chat/textmatch.h"
#include "arenakit/utf8.h"

#include <stdio.h>
#include <string.h>
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
    l->previews = ak_push_array(b->arena, AkStr, l->count ? l->count : 1);
    if (!l->previews) return false;
    l->search_arena = ak_arena_create(.name = "browse search", .commit = AK_KB(64), .keep = AK_KB(256));
    if (!l->order || !l->shown || !l->search_arena) return false;
    l->source_cols = 6; // "source"
    for (uint32_t h = 0; h < l->count; h++) {
        l->order[h] = h;
        int w = (int)strlen(chat_source_name(chat_store_meta(b->store, h)->source));
        l->source_cols = AK_MAX(l->source_cols, AK_MIN(w, chat_source_name_width())); // "unknown" too
    }
    sort_store = b->store;
    qsort(l->order, l->count, sizeof *l->order, newest_first);
    browse_list_apply_filter(b);
    return true;
}


// An untitled chat is shown by its first prompt, read from the database the first time it is
// drawn (one message, on the browser's arena for the command's life: at most one line).
typedef struct FirstPrompt {
    AkArena *arena;
    AkStr text;
} FirstPrompt;

static bool take_first_prompt(const ChatMsg *msg, uint32_t ordinal, void *user) {
    (void)ordinal;
    FirstPrompt *fp = user;
    AkStr t = ak_str_trim(msg->text);
    if (msg->role != CHAT_ROLE_USER || !t.len) return true; // keep looking
    uint64_t nl = ak_str_find_byte(t, '\n', 0);
    if (nl != AK_STR_NPOS) t = ak_str_head(t, nl);
    uint64_t used;
    t = ak_utf8_fit(t, 120, &used);
    fp->text = ak_str_copy(fp->arena, t);
    return false;
}

AkStr browse_chat_title(Browser *b, uint32_t handle, bool *preview) {
    const ChatMeta *m = chat_store_meta(b->store, handle);
    if (preview) *preview = false;
    if (m->title.len) return m->title;
    AkStr *p = &b->list.previews[handle];
    if (!p->ptr) {
        FirstPrompt fp = {b->arena, {0}};
        ChatError err = {{0}};
        (void)!chat_db_each_message(b->store->db, m->id, true, take_first_prompt, &fp, &err);
        *p = fp.text.ptr && fp.text.len ? fp.text : AK_STR("(untitled)");
    }
    if (preview) *preview = !ak_str_eq(*p, AK_STR("(untitled)"));
    return *p;
}

void browse_list_apply_filter(Browser *b) {
    BrowseList *l = &b->list;
    AkStr f = ak_str_cstr(l->filter);
    l->shown_count = 0;
    for (uint32_t i = 0; i < l->count; i++) {
        const ChatMeta *m = chat_store_meta(b->store, l->order[i]);
        AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
        if (chat_text_has_words(title, f)) l->shown[l->shown_count++] = l->order[i];
    }
    l->show_hits = false;
    l->sel = l->top = 0;
}

// The browser lists this many chats of a search (the CLI's --limit); the hits looked at, the
// grouping and the counts are chat_db_search_grouped's, as for `chatlog search`.
#define BROWSE_SEARCH_CHATS 200

void browse_list_search(Browser *b, const char *query, bool all) {
    BrowseList *l = &b->list;
    ak_arena_clear(l->search_arena);
    l->groups = (ChatHitGroups){0};
    l->hit_count = 0;
    l->search_all = all;
    snprintf(l->query, sizeof l->query, "%s", query);
    ChatSearchOpts so = {.limit = BROWSE_SEARCH_CHATS, .visible_only = !all, .snippet_tokens = 16, .operators = true};
    static const char mark_on[] = {BROWSE_MARK_ON, 0}, mark_off[] = {BROWSE_MARK_OFF, 0};
    so.mark_open = mark_on;
    so.mark_close = mark_off;
    ChatError err = {{0}};
    // source:, after:, before: as `chatlog search` takes them; the rest is the query.
    char words[BROWSE_INPUT_MAX], why[256];
    if (!app_search_split(query, &so, words, sizeof words, why, sizeof why)) {
        browse_notice(b, true, "search: %s", why);
        return;
    }
    if (!words[0]) {
        browse_notice(b, true, "search: %s has filters but nothing to look for", query);
        return;
    }
    if (!chat_db_search_grouped(b->store->db, l->search_arena, words, &so, &l->groups, &err)) {
        browse_notice(b, true, "search: %s", err.msg);
        return;
    }
    if (!l->groups.count) {
        browse_notice(b, true, "no matches for %s", query);
        return;
    }
    l->hit_count = l->groups.count;
    l->show_hits = true;
    l->sel = l->top = 0;
    browse_notice(b, false, "%s%u chat%s match %s: Enter opens the chat at its best hit, Esc goes back to the chats%s",
                  l->groups.capped ? "at least " : "", l->groups.chats, l->groups.chats == 1 ? "" : "s", query,
                  chat_db_index_outdated(b->store->db) ? " (old index: `chatlog check` rebuilds it to fold Greek and "
                                                         "Cyrillic accents)" : "");
}

static uint32_t item_count(const BrowseList *l) { return l->show_hits ? l->hit_count : l->shown_count; }

void browse_list_move(Browser *b, int64_t delta) {
    BrowseList *l = &b->list;
    uint32_t n = item_count(l);
    if (!n) return;
    int64_t s = (int64_t)l->sel + delta;
    l->sel = (uint32_t)(s < 0 ? 0 : s >= n ? n - 1 : s);
}

void browse_list_open_selected(Browser *b) {
    BrowseList *l = &b->list;
    if (!item_count(l)) return;
    if (!l->show_hits) {
        browse_tab_open(b, l->shown[l->sel], -1, NULL);
        return;
    }
    const ChatHit *h = &l->groups.groups[l->sel].best;
    uint32_t handle;
    if (!chat_store_handle_of_id(b->store, h->chat_id, &handle)) {
        browse_notice(b, true, "chat #%lld is not in the metadata loaded at start", (long long)h->chat_id);
        return;
    }
    // The tab finds and highlights every word of the query, and marks the hit's message; a
    // hit off the seen thread (or hidden) opens on the branch that holds it.
    if (!browse_tab_open(b, handle, h->kind == CHAT_HIT_TITLE ? -1 : h->ordinal, l->query)) return;
    if ((h->off_thread || h->hidden) && b->current)
        browse_tab_show_branch(b, &b->tabs[b->current - 1], (uint32_t)h->ordinal);
}

static const char *marker(Browser *b, uint32_t handle, const ChatMeta *m) {
    for (uint32_t i = 0; i < b->tab_count; i++)
        if (b->tabs[i].handle == handle) return "▣"; // open in a tab: pinned
    return m->loaded ? "●" : " ";                      // cached by the LRU: evictable
}

// The columns the list has room for: narrow terminals drop the source, then the date and
// the message count, so that the title keeps at least half the row.
typedef enum { COLS_ALL, COLS_NO_SOURCE, COLS_TITLE } ListCols;
static ListCols list_cols(int cols) { return cols >= 76 ? COLS_ALL : cols >= 56 ? COLS_NO_SOURCE : COLS_TITLE; }

static void row_head(char *buf, size_t cap, ListCols lc, int source_cols, const char *id, const char *when,
                     const char *source, const char *msgs) {
    if (lc == COLS_ALL) snprintf(buf, cap, " %5s  %-16s  %-*.*s %5s  ", id, when, source_cols, source_cols, source, msgs);
    else if (lc == COLS_NO_SOURCE) snprintf(buf, cap, " %5s  %-16s %5s  ", id, when, msgs);
    else snprintf(buf, cap, " %5s  ", id);
}

static void draw_chat_row(Browser *b, uint32_t handle, int y, int cols, bool sel) {
    const ChatMeta *m = chat_store_meta(b->store, handle);
    char when[32], head[128], id[24], msgs[16];
    attr_t attr = sel ? A_REVERSE : A_NORMAL;
    if (sel) mvhline(y, 0, ' ' | A_REVERSE, cols);
    int x = browse_put(y, 0, cols, ak_str_cstr(marker(b, handle, m)), attr | A_BOLD);
    snprintf(id, sizeof id, "%lld", (long long)m->id);
    snprintf(msgs, sizeof msgs, "%u", m->visible_count);
    row_head(head, sizeof head, list_cols(cols), b->list.source_cols, id, app_format_time(chat_time(m), when, sizeof when),
             chat_source_name(m->source), msgs);
    x += browse_put(y, x, cols - x, ak_str_cstr(head), attr);
    bool preview;
    AkStr title = browse_chat_title(b, handle, &preview);
    BrowseTerms words;
    browse_terms_parse(&words, b->list.filter, true);
    // A first prompt standing in for a missing title is dimmed, not bold.
    attr_t ta = preview ? (attr | browse_attr(b, PAIR_DIM)) : (attr | A_BOLD);
    browse_draw_text(y, x, cols - x - 1, title, ta, attr | browse_attr(b, PAIR_HIT), &words, false);
}

static void draw_hit_rows(Browser *b, const ChatHitGroup *g, bool capped, int y, int cols, bool sel) {
    const ChatHit *h = &g->best;
    char when[32], head[200], thread[64] = "", more[48] = "";
    // Off the seen thread, as `chatlog search` says it; how many more hits the chat has.
    if (h->hidden) snprintf(thread, sizeof thread, ", hidden");
    else if (h->off_thread && h->branch_count)
        snprintf(thread, sizeof thread, ", off-thread: branch %u of %u", h->branch_index, h->branch_count);
    else if (h->off_thread) snprintf(thread, sizeof thread, ", off-thread");
    if (g->more) snprintf(more, sizeof more, "  +%u%s more in this chat", g->more, capped ? " or" : "");
    attr_t attr = sel ? A_REVERSE : A_NORMAL;
    if (sel) mvhline(y, 0, ' ' | A_REVERSE, cols), mvhline(y + 1, 0, ' ' | A_REVERSE, cols);
    int x = browse_put(y, 1, cols - 1, AK_STR("#"), attr) + 1;
    snprintf(head, sizeof head, "%lld ", (long long)h->chat_id);
    x += browse_put(y, x, cols - x, ak_str_cstr(head), attr);
    AkStr title = h->title.len ? h->title : AK_STR("(untitled)");
    x += browse_put(y, x, cols - x, title, attr | A_BOLD);
    app_format_time(h->created, when, sizeof when);
    if (h->kind == CHAT_HIT_TITLE) snprintf(head, sizeof head, "  (title, %s)%s", when, more);
    else if (h->kind == CHAT_HIT_PART)
        snprintf(head, sizeof head, "  (message %d, %s %.*s, %s%s)%s", h->ordinal + 1, chat_part_kind_name(h->part_kind),
                 (int)AK_MIN(h->part_name.len, 40), h->part_name.ptr, when, thread, more);
    else snprintf(head, sizeof head, "  (message %d, %s, %s%s)%s", h->ordinal + 1, chat_role_name(h->role), when, thread,
                  more);
    browse_put(y, x, cols - x, ak_str_cstr(head), attr | browse_attr(b, PAIR_DIM));
    // Snippets keep the text's newlines out of the listing: the draw skips control characters.
    browse_draw_text(y + 1, 4, cols - 5, h->snippet, attr, attr | browse_attr(b, PAIR_HIT) | A_BOLD, NULL, true);
}

void browse_list_draw(Browser *b, int y, int rows, int cols) {
    BrowseList *l = &b->list;
    char head[BROWSE_INPUT_MAX + 128], pos[48];
    // The counts `chatlog search` prints: chats, and how many are not listed.
    if (l->show_hits && l->groups.chats > l->groups.count)
        snprintf(head, sizeof head, "Search%s \"%s\": %s%u chats match, best hit first; %u more not listed",
                 l->search_all ? " (every version)" : "", l->query, l->groups.capped ? "at least " : "", l->groups.chats,
                 l->groups.chats - l->groups.count);
    else if (l->show_hits)
        snprintf(head, sizeof head, "Search%s \"%s\": %u chat%s match%s, best hit first",
                 l->search_all ? " (every version)" : "", l->query, l->groups.chats, l->groups.chats == 1 ? "" : "s",
                 l->groups.chats == 1 ? "es" : "");
    else if (l->filter[0])
        snprintf(head, sizeof head, "Chats: %u of %u with \"%s\" in the title, newest first", l->shown_count, l->count,
                 l->filter);
    else snprintf(head, sizeof head, "Chats: %u, newest first   (▣ open in a tab, ● cached in memory)", l->count);
    uint32_t n = item_count(l);
    // The position, as less and fzf show it: the selected row of how many.
    snprintf(pos, sizeof pos, " %u/%u", n ? l->sel + 1 : 0, n);
    int pw = (int)browse_text_cols(ak_str_cstr(pos));
    browse_put(y, 0, cols - pw - 1, ak_str_cstr(head), A_BOLD);
    browse_put(y, cols - pw - 1, pw, ak_str_cstr(pos), A_BOLD);
    if (!l->show_hits) {
        char cols_head[128];
        row_head(cols_head, sizeof cols_head, list_cols(cols), l->source_cols, "#", "date", "source", "msgs");
        int x = browse_put(y + 1, 0, cols, AK_STR(" "), A_NORMAL);
        x += browse_put(y + 1, x, cols - x, ak_str_cstr(cols_head), A_UNDERLINE);
        browse_put(y + 1, x, cols - x - 1, AK_STR("title"), A_UNDERLINE);
        y++, rows--;
    }
    int per = l->show_hits ? 2 : 1, fit = (rows - 1) / per;
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
        if (l->show_hits) draw_hit_rows(b, &l->groups.groups[i], l->groups.capped, y + 1 + r * per, cols, i == l->sel);
        else draw_chat_row(b, l->shown[i], y + 1 + r, cols, i == l->sel);
    }
}

void browse_list_info(Browser *b, char *buf, size_t cap) {
    if (b->list.show_hits) snprintf(buf, cap, "Enter: open at the hit · Esc: back to the chats · s: new search");
    else snprintf(buf, cap, "Enter: open in a tab · /: filter titles · s: search all messages · ?: keys");
}
