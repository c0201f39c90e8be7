// browse.c: `chatlog browse`. One thread draws and reads keys; the store's IO thread loads
// histories and writes a byte to a pipe when one is done, so the loop waits in poll() on the
// keyboard and that pipe together and never blocks on a load. Every key redraws the screen
// from the state (curses sends only what changed).
//
// The status line tells the memory story on every frame: committed bytes of the message
// arenas against the budget, loaded chats (active / records, pinned, loading) and evictions.
// When the budget cannot make room for another tab, the store's refusal is shown as it is.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse.h"

#include "app/browse_ui.h"
#include "app/cli.h"
#include "app/render.h"
#include "arenakit/arenakit.h"
#include "arenakit/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char app_usage_browse[] =
    "usage: chatlog browse [CHAT...]\n"
    "  A terminal browser: the chat list (newest first; / filters titles, s searches every\n"
    "  message) and tabs that each show one chat. Press ? inside for every key, q to quit.\n"
    "  CHAT numbers (the # column of `chatlog list`) open in tabs at start; : opens one inside.\n"
    "  The status line shows where you are, how many chats are loaded, and the memory used of\n"
    "  --memory-budget; m shows every arena, the message budget and the cache.\n"
    "  CHATLOG_BROWSE_STATS=FILE writes the memory figures (peak, budget, evictions) at exit.\n";

// ---- small helpers shared by the browse files ------------------------------------------------------

attr_t browse_attr(const Browser *b, int pair) {
    if (b->colors) return COLOR_PAIR(pair);
    switch (pair) {
    case PAIR_HIT: return A_STANDOUT;
    case PAIR_DIM: return A_DIM;
    case PAIR_ERROR: return A_BOLD;
    case PAIR_TABBAR: return A_REVERSE;
    default: return A_NORMAL;
    }
}

void browse_notice(Browser *b, bool error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->notice, sizeof b->notice, fmt, ap);
    va_end(ap);
    b->notice_error = error;
}

// Peaks as seen between events: message arenas (the LRU's charge) and the whole process.
static void track_budget(Browser *b) {
    ChatLruStats s = chat_lru_stats(b->store->lru);
    b->peak_used = AK_MAX(b->peak_used, s.used);
    b->peak_process = AK_MAX(b->peak_process, ak_os_committed());
}

// ---- drawing --------------------------------------------------------------------------------------

// One tab's label: " N title… ⋯ │", its title cut to `label` columns. Drawn at x when `draw`;
// returns its width either way.
static int tab_label(Browser *b, uint32_t k, int x, int cols, int label, bool draw) {
    attr_t bar = browse_attr(b, PAIR_TABBAR);
    attr_t a = k == b->current ? (A_REVERSE | A_BOLD) : bar;
    if (k == b->current && b->colors) a = A_BOLD;
    char num[16];
    snprintf(num, sizeof num, " %u ", k + 1);
    AkStr title = k == 0 ? AK_STR("Chats") : browse_tab_title(b, &b->tabs[k - 1]);
    uint64_t used;
    AkStr fitted = ak_utf8_fit(title, (uint64_t)label, &used);
    bool cut = fitted.len < title.len;
    bool pending = k > 0 && chat_messages_state(b->tabs[k - 1].rec) == CHAT_LOAD_PENDING;
    int w = (int)strlen(num) + (int)browse_text_cols(fitted) + (cut ? 1 : 0) + (pending ? 2 : 0) + 2;
    if (!draw) return w;
    int x0 = x;
    x += browse_put(0, x, cols - x, ak_str_cstr(num), a);
    x += browse_put(0, x, cols - x, fitted, a);
    if (cut) x += browse_put(0, x, cols - x, AK_STR("…"), a);
    if (pending) x += browse_put(0, x, cols - x, AK_STR(" ⋯"), a);
    x += browse_put(0, x, cols - x, AK_STR(" "), a);
    x += browse_put(0, x, cols - x, AK_STR("│"), bar);
    return x - x0;
}

// The tab bar scrolls: the current tab is always on it, with as many neighbours as fit on
// either side, and «N / N» counting the tabs out of view to the left and right.
static void draw_tabbar(Browser *b, int cols) {
    attr_t bar = browse_attr(b, PAIR_TABBAR);
    mvhline(0, 0, ' ' | bar, cols);
    uint32_t n = b->tab_count + 1;
    int label = (cols - 2) / (int)n - 6;
    label = label < 10 ? 10 : label > 28 ? 28 : label;
    int room = cols - 10; // the «N and N» marks
    uint32_t first = b->current, last = b->current;
    int used = tab_label(b, b->current, 0, cols, label, false);
    for (bool grew = true; grew;) {
        grew = false;
        if (last + 1 < n) {
            int w = tab_label(b, last + 1, 0, cols, label, false);
            if (used + w <= room) used += w, last++, grew = true;
        }
        if (first > 0) {
            int w = tab_label(b, first - 1, 0, cols, label, false);
            if (used + w <= room) used += w, first--, grew = true;
        }
    }
    int x = 0;
    char more[16];
    if (first > 0) {
        snprintf(more, sizeof more, "«%u ", first);
        x += browse_put(0, x, cols - x, ak_str_cstr(more), bar | A_BOLD);
    }
    for (uint32_t k = first; k <= last && x < cols - 4; k++) x += tab_label(b, k, x, cols, label, true);
    if (last + 1 < n) {
        snprintf(more, sizeof more, " %u»", n - 1 - last);
        browse_put(0, x, cols - x, ak_str_cstr(more), bar | A_BOLD);
    }
}

static const char *prompt_name(BrowsePrompt p) {
    switch (p) {
    case PROMPT_FILTER: return "filter titles: ";
    case PROMPT_SEARCH: return "search all messages: ";
    case PROMPT_SEARCH_ALL: return "search every version, hidden ones too: ";
    case PROMPT_FIND: return "find in this chat: ";
    case PROMPT_GOTO: return "open chat number: ";
    default: return "";
    }
}

// The row above the status line (two rows for a long notice). Returns the rows it took.
static int info_rows(Browser *b, int cols) {
    if (b->prompt != PROMPT_NONE || !b->notice[0]) return 1;
    return browse_text_cols(ak_str_cstr(b->notice)) >= (uint64_t)cols ? 2 : 1;
}

static void draw_info(Browser *b, int y, int rows, int cols) {
    if (b->prompt != PROMPT_NONE) {
        int x = browse_put(y, 0, cols, ak_str_cstr(prompt_name(b->prompt)), A_BOLD);
        AkStr in = ak_str(b->input, b->input_len);
        // Keep the end of a long input in view.
        while (browse_text_cols(in) >= (uint64_t)(cols - x - 1) && in.len) {
            in = ak_str_skip(in, 1);
            while (in.len && (in.ptr[0] & 0xC0) == 0x80) in = ak_str_skip(in, 1); // whole code points
        }
        x += browse_put(y, x, cols - x - 1, in, A_NORMAL);
        move(y, x);
        curs_set(1);
        return;
    }
    curs_set(0);
    if (b->notice[0]) {
        attr_t a = b->notice_error ? (browse_attr(b, PAIR_ERROR) | A_BOLD) : A_BOLD;
        AkStr s = ak_str_cstr(b->notice);
        for (int r = 0; r < rows && s.len; r++) {
            uint64_t used;
            AkStr part = ak_utf8_fit(s, (uint64_t)cols - 1, &used);
            if (!part.len) break;
            browse_put(y + r, 0, cols - 1, part, a);
            s = ak_str_skip(s, part.len);
        }
        return;
    }
    char buf[1024];
    if (b->current == 0) browse_list_info(b, buf, sizeof buf);
    else browse_tab_info(b, &b->tabs[b->current - 1], buf, sizeof buf);
    browse_put(y, 0, cols - 1, ak_str_cstr(buf), browse_attr(b, PAIR_DIM));
}

// The allocator's figures, for the memory overlay (m) and the stats file: the message arenas
// against their budget, the LRU's records and what it evicted.
static void lru_summary(Browser *b, char *buf, size_t cap) {
    ChatLruStats s = chat_lru_stats(b->store->lru);
    char loading[32] = "";
    if (s.loading) snprintf(loading, sizeof loading, ", %u loading", s.loading);
    snprintf(buf, cap, "msg arenas %.1f/%.1f MB │ chats %u active/%u records, %u pinned%s │ evictions %llu",
             s.used / 1048576.0, s.budget / 1048576.0, s.active, s.total, s.pinned, loading,
             (unsigned long long)s.evictions);
}

// The status line, for a reader: where you are (the chat and the position in it, or in the
// list), how many chats are in memory of all, and memory used of the budget (the whole
// process against --memory-budget). The allocator's details are one key away (m).
static void draw_status(Browser *b, int y, int cols) {
    track_budget(b);
    ChatLruStats s = chat_lru_stats(b->store->lru);
    char where[256], right[256], mem[64];
    uint64_t limit = ak_os_commit_limit();
    if (limit)
        snprintf(mem, sizeof mem, "memory %.1f/%.1f MB", ak_os_committed() / 1048576.0, limit / 1048576.0);
    else snprintf(mem, sizeof mem, "memory %.1f MB", ak_os_committed() / 1048576.0);
    snprintf(right, sizeof right, " │ loaded %u/%u%s │ %s │ ? help ", s.active, b->list.count,
             s.loading ? " …" : "", mem);
    AkStr title = {0};
    if (b->current == 0) {
        BrowseList *l = &b->list;
        uint32_t n = l->show_hits ? l->hit_count : l->shown_count;
        snprintf(where, sizeof where, " %s %u of %u", l->show_hits ? "Hit" : "Chat", n ? l->sel + 1 : 0, n);
    } else {
        BrowseTab *t = &b->tabs[b->current - 1];
        int64_t cur = browse_tab_current(t);
        const ChatMeta *m = chat_store_meta(b->store, t->handle);
        title = browse_tab_title(b, t);
        if (cur >= 0) snprintf(where, sizeof where, " #%lld message %lld of %u · ", (long long)m->id, (long long)cur + 1, t->msg_count);
        else snprintf(where, sizeof where, " #%lld %s · ", (long long)m->id, t->laid_out ? "no messages" : "loading");
    }
    attr_t a = A_REVERSE;
    mvhline(y, 0, ' ' | a, cols);
    int w = cols - 1, rw = (int)browse_text_cols(ak_str_cstr(right));
    if (w - rw < 28) { // narrow: the memory item alone on the right, the position in short
        snprintf(right, sizeof right, " │ %s ", mem);
        rw = (int)browse_text_cols(ak_str_cstr(right));
        if (b->current) {
            BrowseTab *t = &b->tabs[b->current - 1];
            int64_t cur = browse_tab_current(t);
            if (cur >= 0) snprintf(where, sizeof where, " %lld/%u ", (long long)cur + 1, t->msg_count);
        }
    }
    int x = browse_put(y, 0, w - rw, ak_str_cstr(where), a);
    if (title.len) {
        uint64_t used;
        AkStr fitted = ak_utf8_fit(title, (uint64_t)AK_MAX(0, w - rw - x - 1), &used);
        x += browse_put(y, x, w - rw - x, fitted, a | A_BOLD);
        if (fitted.len < title.len) x += browse_put(y, x, w - rw - x, AK_STR("…"), a | A_BOLD);
    }
    browse_put(y, AK_MAX(x, w - rw), w - AK_MAX(x, w - rw), ak_str_cstr(right), a);
}

void browse_draw_box(int y, int x, int h, int w, const char *title) {
    for (int r = 0; r < h; r++) mvhline(y + r, x, ' ', w);
    mvaddch(y, x, ACS_ULCORNER), mvaddch(y, x + w - 1, ACS_URCORNER);
    mvaddch(y + h - 1, x, ACS_LLCORNER), mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
    mvhline(y, x + 1, ACS_HLINE, w - 2), mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
    mvvline(y + 1, x, ACS_VLINE, h - 2), mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
    browse_put(y, x + 2, w - 4, ak_str_cstr(title), A_BOLD);
}

static void draw_help(Browser *b, int rows, int cols) {
    int h = rows, w = AK_MIN(cols - 2, 124);
    int y = 1, x = (cols - w) / 2;
    b->overlay_scroll = browse_help_draw(y, x, h, w, b->overlay_scroll);
}

// The pool report, made fresh on each draw into a buffer on a scratch arena (fmemopen's FILE
// itself comes from libc's malloc, freed by fclose).
static void draw_pool(Browser *b, int rows, int cols) {
    int h = rows, w = cols - 2, y = 1, x = 1;
    ChatLruStats s = chat_lru_stats(b->store->lru);
    AkMemStats all = ak_pool_totals(AK_POOL_KIND_COUNT);
    char title[256], summary[512];
    snprintf(title, sizeof title,
             " memory: %u arenas commit %.1f MB (process %.1f MB); message arenas %.1f of %.1f MB; j k scroll, Esc closes ",
             ak_pool_count(), all.committed / 1048576.0, ak_os_committed() / 1048576.0, s.used / 1048576.0,
             s.budget / 1048576.0);
    browse_draw_box(y, x, h, w, title);
    lru_summary(b, summary, sizeof summary);
    browse_put(y + 1, x + 2, w - 4, ak_str_cstr(summary), A_BOLD);
    y++, h--;
    AkTemp t = ak_scratch_begin(NULL, 0);
    uint64_t cap = (uint64_t)(ak_pool_count() + 8) * 256;
    char *buf = ak_push_array_nz(t.arena, char, cap);
    FILE *f = buf ? fmemopen(buf, cap, "w") : NULL;
    if (!f) {
        mvprintw(y + 1, x + 2, "cannot render the pool report");
        ak_scratch_end(t);
        return;
    }
    ak_pool_report(f);
    long len = ftell(f);
    fclose(f);
    AkStr text = ak_str(buf, len > 0 ? (uint64_t)AK_MIN((uint64_t)len, cap) : 0);
    int lines = 0;
    for (uint64_t i = 0; i < text.len; i++) lines += text.ptr[i] == '\n';
    int view = h - 2;
    if (b->overlay_scroll > lines - view) b->overlay_scroll = lines - view;
    if (b->overlay_scroll < 0) b->overlay_scroll = 0;
    AkStr line, rest = text;
    for (int i = 0, row = 0; row < view && ak_str_cut(rest, AK_STR("\n"), &line, &rest); i++) {
        if (i < b->overlay_scroll) continue;
        browse_put(y + 1 + row++, x + 2, w - 4, line, i == 0 ? A_BOLD : A_NORMAL);
    }
    ak_scratch_end(t);
}

static void draw(Browser *b) {
    erase();
    int rows = LINES, cols = COLS;
    if (rows < 6 || cols < 30) {
        mvprintw(0, 0, "terminal too small (%dx%d)", cols, rows);
        refresh();
        return;
    }
    int info = info_rows(b, cols), body = rows - 2 - info;
    draw_tabbar(b, cols);
    if (b->current == 0) browse_list_draw(b, 1, body, cols);
    else browse_tab_draw(b, &b->tabs[b->current - 1], 1, body, cols);
    draw_status(b, rows - 1, cols);
    if (b->overlay == OVERLAY_HELP) draw_help(b, body, cols);
    else if (b->overlay == OVERLAY_POOL) draw_pool(b, body, cols);
    draw_info(b, rows - 1 - info, info, cols); // last: it places the cursor of a prompt
    refresh();
}

// ---- copying a message -------------------------------------------------------------------------

static bool in_path(const char *prog) {
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog) < (int)sizeof buf && access(buf, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

static AkStr base64(AkArena *arena, AkStr s) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = ak_push_array_nz(arena, char, (s.len + 2) / 3 * 4 + 1);
    if (!out) return (AkStr){0};
    uint64_t o = 0;
    const unsigned char *p = (const unsigned char *)s.ptr;
    for (uint64_t i = 0; i < s.len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < s.len ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < s.len ? p[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < s.len ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < s.len ? tab[v & 63] : '=';
    }
    return ak_str(out, o);
}

// Whether a clipboard write through OSC 52 can reach a clipboard from here: not on a dumb or
// console terminal, not under screen (which drops it), and under tmux only when its
// set-clipboard option is not off (tmux swallows the sequence then). Elsewhere the terminal
// decides (xterm, kitty, iTerm2, WezTerm, foot, Windows Terminal take it), so it can have worked.
static bool osc52_can_work(void) {
    const char *term = getenv("TERM");
    if (!term || !*term || !strcmp(term, "dumb") || !strcmp(term, "linux")) return false;
    if (getenv("STY")) return false;
    if (!getenv("TMUX")) return true;
    FILE *p = popen("tmux show-options -sv set-clipboard 2>/dev/null", "r");
    if (!p) return false;
    char buf[32] = "";
    bool got = fgets(buf, sizeof buf, p) != NULL;
    int rc = pclose(p);
    return got && rc == 0 && strncmp(buf, "off", 3) != 0;
}

// Puts text on the clipboard: wl-copy or xclip when a display says they can work, else the
// terminal's own clipboard through OSC 52 when that can work (osc52_can_work). Returns how, or
// NULL. popen is libc's (it allocates with malloc; nothing stays).
static const char *to_clipboard(AkArena *arena, AkStr text) {
    const char *cmd = NULL, *how = NULL;
    if (getenv("WAYLAND_DISPLAY") && in_path("wl-copy")) cmd = "wl-copy 2>/dev/null", how = "wl-copy";
    else if (getenv("DISPLAY") && in_path("xclip")) cmd = "xclip -selection clipboard 2>/dev/null", how = "xclip";
    if (cmd) {
        FILE *p = popen(cmd, "w");
        if (p) {
            bool ok = fwrite(text.ptr, 1, text.len, p) == text.len;
            if (pclose(p) == 0 && ok) return how;
        }
    }
    if (text.len > 75000 || !osc52_can_work()) return NULL; // terminals cap OSC 52 payloads near 100 KB
    AkStr b64 = base64(arena, text);
    if (!b64.ptr) return NULL;
    fflush(stdout);
    bool ok = write(STDOUT_FILENO, "\033]52;c;", 7) == 7 && write(STDOUT_FILENO, b64.ptr, b64.len) == (ssize_t)b64.len &&
              write(STDOUT_FILENO, "\a", 1) == 1;
    return ok ? (getenv("TMUX") ? "tmux (OSC 52)" : "the terminal (OSC 52)") : NULL;
}

// The marked message as text: a header line (role, time, chat, number), then its body and
// parts. On `arena`; empty on refusal.
static AkStr message_text(Browser *b, BrowseTab *t, int64_t i, AkArena *arena) {
    const ChatMessage *m = browse_tab_msg(t, (uint32_t)i);
    const ChatMeta *meta = chat_store_meta(b->store, t->handle);
    AkStrBuilder sb = ak_str_builder(arena);
    char when[32];
    AkStr title = browse_tab_title(b, t);
    ak_str_builder_appendf(&sb, "── %s · %s · %.*s (#%lld), message %lld ──\n", app_role_title(m->role),
                           app_format_time(m->created, when, sizeof when), AK_STR_FMT(title), (long long)meta->id,
                           (long long)i + 1);
    if (!m->part_count) ak_str_builder_append(&sb, m->text), ak_str_builder_append(&sb, AK_STR("\n"));
    for (uint32_t k = 0; k < m->part_count; k++) {
        const ChatPart *p = &m->parts[k];
        if (p->kind != CHAT_PART_TEXT)
            ak_str_builder_appendf(&sb, "[%s%s%.*s]\n", chat_part_kind_name(p->kind), p->name.len ? ": " : "",
                                   AK_STR_FMT(p->name));
        if (p->text.len) ak_str_builder_append(&sb, p->text), ak_str_builder_append(&sb, AK_STR("\n"));
    }
    return ak_str_builder_finish(&sb, arena);
}

// c: the marked message to the clipboard; no file is written unless asked for (w).
// w: the marked message to ./chatlog-ID-N.txt.
static void copy_message(Browser *b, BrowseTab *t, bool to_file) {
    int64_t i = browse_tab_current(t);
    if (i < 0) {
        browse_notice(b, true, "nothing to copy yet: the chat is still loading");
        return;
    }
    const ChatMeta *meta = chat_store_meta(b->store, t->handle);
    AkTemp s = ak_scratch_begin(NULL, 0);
    AkStr text = message_text(b, t, i, s.arena);
    if (!text.ptr) {
        browse_notice(b, true, "cannot copy message %lld: out of memory", (long long)i + 1);
    } else if (to_file) {
        char path[96];
        snprintf(path, sizeof path, "chatlog-%lld-%lld.txt", (long long)meta->id, (long long)i + 1);
        FILE *f = fopen(path, "w");
        bool ok = f && fwrite(text.ptr, 1, text.len, f) == text.len;
        if (f && fclose(f) != 0) ok = false;
        if (!ok) browse_notice(b, true, "cannot write %s: %s", path, strerror(errno));
        else
            browse_notice(b, false, "wrote message %lld (%llu bytes) to ./%s", (long long)i + 1,
                          (unsigned long long)text.len, path);
    } else {
        const char *how = to_clipboard(s.arena, text);
        if (how)
            browse_notice(b, false, "copied message %lld (%llu bytes) to the clipboard via %s", (long long)i + 1,
                          (unsigned long long)text.len, how);
        else
            browse_notice(b, true,
                          "no clipboard reachable (no wl-copy or xclip with a display, and OSC 52 cannot work here): "
                          "w writes message %lld to a file",
                          (long long)i + 1);
    }
    ak_scratch_end(s);
}

// ---- keys -----------------------------------------------------------------------------------------

enum { KEY_ESC = 27, CTRL_C = 3, CTRL_L = 12, CTRL_U = 21, CTRL_W = 23, CTRL_B = 2, CTRL_F = 6 };

// `:` and `chatlog browse N`: the chat whose number (#, as list shows it) is `text`, in a tab.
static bool open_by_number(Browser *b, const char *text) {
    const char *p = text;
    while (*p == ' ' || *p == '#') p++;
    uint64_t id;
    uint32_t handle;
    if (!app_parse_count(p, &id) || id > INT64_MAX) {
        browse_notice(b, true, "not a chat number: %s (chat numbers are the # column of the list)", text);
        return false;
    }
    if (!chat_store_handle_of_id(b->store, (int64_t)id, &handle)) {
        browse_notice(b, true, "no chat #%llu in this database (%u chats)", (unsigned long long)id, b->list.count);
        return false;
    }
    return browse_tab_open(b, handle, -1, NULL);
}

static void start_prompt(Browser *b, BrowsePrompt p, const char *initial) {
    b->prompt = p;
    snprintf(b->input, sizeof b->input, "%s", initial ? initial : "");
    b->input_len = (uint32_t)strlen(b->input);
}

static void prompt_key(Browser *b, bool fkey, wint_t ch) {
    bool changed = false;
    if (!fkey && (ch == '\n' || ch == '\r')) {
        BrowsePrompt p = b->prompt;
        b->prompt = PROMPT_NONE;
        if ((p == PROMPT_SEARCH || p == PROMPT_SEARCH_ALL) && b->input_len)
            browse_list_search(b, b->input, p == PROMPT_SEARCH_ALL);
        else if (p == PROMPT_GOTO && b->input_len) open_by_number(b, b->input);
        else if (p == PROMPT_FIND && b->current) browse_tab_set_find(b, &b->tabs[b->current - 1], b->input, false);
        return;
    }
    if (fkey && ch == KEY_ENTER) {
        prompt_key(b, false, '\n');
        return;
    }
    if (!fkey && ch == KEY_ESC) {
        if (b->prompt == PROMPT_FILTER) {
            b->list.filter[0] = 0;
            browse_list_apply_filter(b);
        }
        b->prompt = PROMPT_NONE;
        return;
    }
    if ((fkey && ch == KEY_BACKSPACE) || (!fkey && (ch == 127 || ch == 8))) {
        while (b->input_len && (b->input[b->input_len - 1] & 0xC0) == 0x80) b->input_len--; // whole code point
        if (b->input_len) b->input_len--;
        changed = true;
    } else if (!fkey && ch == CTRL_U) {
        b->input_len = 0;
        changed = true;
    } else if (!fkey && ch >= 32 && ch != 127) {
        char enc[4];
        uint32_t n = ak_utf8_encode((uint32_t)ch, enc);
        if (n && b->input_len + n < sizeof b->input) {
            memcpy(b->input + b->input_len, enc, n);
            b->input_len += n;
            changed = true;
        }
    }
    b->input[b->input_len] = 0;
    if (changed && b->prompt == PROMPT_FILTER) {
        // The filter follows every keystroke.
        snprintf(b->list.filter, sizeof b->list.filter, "%s", b->input);
        browse_list_apply_filter(b);
    }
}

static void overlay_key(Browser *b, bool fkey, wint_t ch) {
    int page = LINES - 5;
    if ((!fkey && (ch == KEY_ESC || ch == 'q' || ch == '\n')) || (!fkey && b->overlay == OVERLAY_HELP && ch == '?') ||
        (!fkey && b->overlay == OVERLAY_POOL && ch == 'm')) {
        b->overlay = OVERLAY_NONE;
        return;
    }
    if ((fkey && ch == KEY_DOWN) || (!fkey && ch == 'j')) b->overlay_scroll++;
    else if ((fkey && ch == KEY_UP) || (!fkey && ch == 'k')) b->overlay_scroll--;
    else if ((fkey && ch == KEY_NPAGE) || (!fkey && ch == ' ')) b->overlay_scroll += page;
    else if ((fkey && ch == KEY_PPAGE) || (!fkey && ch == 'b')) b->overlay_scroll -= page;
    else if ((fkey && ch == KEY_HOME) || (!fkey && ch == 'g')) b->overlay_scroll = 0;
    else if ((fkey && ch == KEY_END) || (!fkey && ch == 'G')) b->overlay_scroll = 1 << 30;
}

static void list_key(Browser *b, bool fkey, wint_t ch) {
    int page = LINES - 4;
    if (!fkey) {
        switch (ch) {
        case 'j': browse_list_move(b, 1); return;
        case 'k': browse_list_move(b, -1); return;
        case 'g': browse_list_move(b, -(1 << 30)); return;
        case 'G': browse_list_move(b, 1 << 30); return;
        case ' ': case CTRL_F: browse_list_move(b, page); return;
        case CTRL_B: browse_list_move(b, -page); return;
        case '\n': case '\r': case 'o': browse_list_open_selected(b); return;
        case '/': start_prompt(b, PROMPT_FILTER, NULL); return; // a new filter, typed from empty
        case KEY_ESC:
            if (b->list.show_hits) b->list.show_hits = false;
            else if (b->list.filter[0]) b->list.filter[0] = 0, browse_list_apply_filter(b);
            return;
        }
        return;
    }
    switch (ch) {
    case KEY_DOWN: browse_list_move(b, 1); break;
    case KEY_UP: browse_list_move(b, -1); break;
    case KEY_NPAGE: browse_list_move(b, page); break;
    case KEY_PPAGE: browse_list_move(b, -page); break;
    case KEY_HOME: browse_list_move(b, -(1 << 30)); break;
    case KEY_END: browse_list_move(b, 1 << 30); break;
    case KEY_ENTER: browse_list_open_selected(b); break;
    }
}

static void tab_key(Browser *b, BrowseTab *t, bool fkey, wint_t ch) {
    int64_t page = AK_MAX(1, (int64_t)t->rows - 1);
    if (!fkey) {
        switch (ch) {
        case 'j': browse_tab_scroll(t, 1); return;
        case 'k': browse_tab_scroll(t, -1); return;
        case ' ': case CTRL_F: browse_tab_scroll(t, page); return;
        case 'b': case CTRL_B: browse_tab_scroll(t, -page); return;
        case 'g': browse_tab_home(t); return;
        case 'G': browse_tab_end(t); return;
        case ']': browse_tab_message_step(t, 1); return;
        case '[': browse_tab_message_step(t, -1); return;
        case '/': start_prompt(b, PROMPT_FIND, NULL); return;
        case 'n': browse_tab_find_next(b, t, 1); return;
        case 'N': browse_tab_find_next(b, t, -1); return;
        case 'c': copy_message(b, t, false); return;
        case 'w': copy_message(b, t, true); return;
        case 'v': browse_tab_switch_version(b, t, 1); return;
        case 'V': browse_tab_switch_version(b, t, -1); return;
        case KEY_ESC: t->find[0] = 0, t->hit_valid = false; return;
        }
        return;
    }
    switch (ch) {
    case KEY_DOWN: browse_tab_scroll(t, 1); break;
    case KEY_UP: browse_tab_scroll(t, -1); break;
    case KEY_NPAGE: browse_tab_scroll(t, page); break;
    case KEY_PPAGE: browse_tab_scroll(t, -page); break;
    case KEY_HOME: browse_tab_home(t); break;
    case KEY_END: browse_tab_end(t); break;
    }
}

static void on_key(Browser *b, bool fkey, wint_t ch) {
    if (fkey && ch == KEY_RESIZE) return; // curses has resized stdscr; the redraw follows
    if (!fkey && ch == CTRL_C) { // from anywhere, prompts and overlays too: exit 130, as a shell expects
        b->quit = b->interrupted = true;
        return;
    }
    if (b->prompt != PROMPT_NONE) {
        prompt_key(b, fkey, ch);
        return;
    }
    if (b->overlay != OVERLAY_NONE) {
        overlay_key(b, fkey, ch);
        return;
    }
    b->notice[0] = 0;
    uint32_t n = b->tab_count + 1;
    if (!fkey) {
        switch (ch) {
        case 'q': b->quit = true; return;
        case '?': b->overlay = OVERLAY_HELP, b->overlay_scroll = 0; return;
        case 'm': b->overlay = OVERLAY_POOL, b->overlay_scroll = 0; return;
        case '\t': b->current = (b->current + 1) % n; return;
        case 's': b->current = 0, start_prompt(b, PROMPT_SEARCH, NULL); return;
        case 'S': b->current = 0, start_prompt(b, PROMPT_SEARCH_ALL, NULL); return;
        case ':': case '#': start_prompt(b, PROMPT_GOTO, NULL); return;
        case CTRL_L: clearok(curscr, TRUE); return;
        case 'x': case CTRL_W:
            if (b->current) browse_tab_close(b, b->current - 1);
            else browse_notice(b, false, "the chat list stays; x closes a chat's tab");
            return;
        }
        if (ch >= '1' && ch <= '9') {
            if ((uint32_t)(ch - '1') < n) b->current = (uint32_t)(ch - '1');
            return;
        }
    } else {
        switch (ch) {
        case KEY_BTAB: case KEY_LEFT: b->current = (b->current + n - 1) % n; return;
        case KEY_RIGHT: b->current = (b->current + 1) % n; return;
        case KEY_F(1): b->overlay = OVERLAY_HELP, b->overlay_scroll = 0; return;
        }
    }
    if (b->current == 0) list_key(b, fkey, ch);
    else tab_key(b, &b->tabs[b->current - 1], fkey, ch);
}

// ---- the command ---------------------------------------------------------------------------------

// Runs on the IO thread: wake the poll loop. A full pipe already holds a wake-up.
static void on_load_done(void *user) {
    const Browser *b = user;
    char one = 1;
    ssize_t r = write(b->wake[1], &one, 1);
    (void)r;
}

static void run(Browser *b) {
    bool dirty = true;
    while (!b->quit) {
        if (dirty) draw(b);
        dirty = false;
        struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = b->wake[0], .events = POLLIN}};
        int r = poll(fds, 2, -1);
        if (r < 0 && errno != EINTR) break;
        if (r > 0 && (fds[1].revents & POLLIN)) {
            char buf[64];
            while (read(b->wake[0], buf, sizeof buf) > 0) {}
            chat_lru_poll(b->store->lru);
            track_budget(b);
            dirty = true;
        }
        wint_t ch;
        int kind;
        while (!b->quit && (kind = get_wch(&ch)) != ERR) {
            on_key(b, kind == KEY_CODE_YES, ch);
            track_budget(b);
            dirty = true;
        }
        if (r < 0) dirty = true; // a signal (SIGWINCH): curses reports the resize as a key
        if (r > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))) break; // the terminal went away
    }
}

static void write_stats(Browser *b, ChatLruStats s) {
    const char *path = getenv("CHATLOG_BROWSE_STATS");
    if (!path || !*path) return;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "chatlog: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    fprintf(f, "budget %llu\npeak_used %llu\nused %llu\nactive %u\nrecords %u\nevictions %llu\nrefusals %llu\n"
               "loads %llu\nhits %llu\ntabs_opened %u\ntabs_open_at_exit %u\nprocess_budget %llu\npeak_process %llu\n",
            (unsigned long long)s.budget, (unsigned long long)b->peak_used, (unsigned long long)s.used, s.active, s.total,
            (unsigned long long)s.evictions, (unsigned long long)s.refusals, (unsigned long long)s.loads,
            (unsigned long long)s.hits, b->tabs_opened, b->tab_count, (unsigned long long)ak_os_commit_limit(),
            (unsigned long long)b->peak_process);
    fclose(f);
}

static void init_colors(Browser *b) {
    if (!has_colors() || start_color() == ERR) return;
    use_default_colors();
    init_pair(PAIR_USER, COLOR_CYAN, -1);
    init_pair(PAIR_ASSISTANT, COLOR_GREEN, -1);
    init_pair(PAIR_OTHER, COLOR_MAGENTA, -1);
    init_pair(PAIR_CODE, COLOR_YELLOW, -1);
    init_pair(PAIR_ERROR, COLOR_RED, -1);
    init_pair(PAIR_HIT, COLOR_BLACK, COLOR_YELLOW);
    init_pair(PAIR_DIM, COLOR_BLUE, -1);
    init_pair(PAIR_TABBAR, COLOR_BLACK, COLOR_WHITE);
    b->colors = true;
}

int cmd_browse(AppCtx *c, int argc, char **argv) {
    const char *open_ids[BROWSE_MAX_TABS];
    int open_count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(app_usage_browse, stdout), APP_EXIT_OK;
        uint64_t id;
        const char *num = argv[i][0] == '#' ? argv[i] + 1 : argv[i];
        if (app_parse_count(num, &id) && open_count < BROWSE_MAX_TABS) {
            open_ids[open_count++] = argv[i];
            continue;
        }
        fprintf(stderr, "chatlog: browse: %s is not a chat number (see `chatlog browse --help`)\n", argv[i]);
        return APP_EXIT_USAGE;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "chatlog: browse needs a terminal (try `chatlog list` or `chatlog show` in scripts)\n");
        return APP_EXIT_FAIL;
    }
    AkArena *arena = ak_arena_create(.name = "browse", .commit = AK_KB(64));
    if (!arena) return fprintf(stderr, "chatlog: %s\n", ak_arena_last_create_error()), APP_EXIT_FAIL;
    Browser *b = ak_push_struct(arena, Browser);
    int rc = APP_EXIT_FAIL;
    SCREEN *screen = NULL;
    if (!b) goto out;
    b->arena = arena;
    b->wake[0] = b->wake[1] = -1;
    if (!app_open_store(c, false)) goto out;
    // The browser closes the store itself, before its wake-up pipe (the IO thread writes to it).
    b->store = c->store;
    c->store = NULL;
    if (pipe(b->wake) != 0) {
        fprintf(stderr, "chatlog: browse: cannot make a pipe: %s\n", strerror(errno));
        goto out;
    }
    fcntl(b->wake[0], F_SETFL, O_NONBLOCK);
    fcntl(b->wake[1], F_SETFL, O_NONBLOCK); // the IO thread must never wait on the UI
    if (!browse_list_init(b)) {
        fprintf(stderr, "chatlog: browse: %s\n", ak_arena_error(arena));
        goto out;
    }
    chat_lru_set_notify(b->store->lru, on_load_done, b);
    // A chat that is not there is an error before the screen starts; one the memory budget
    // cannot hold opens no tab, and the browser shows the store's refusal.
    for (int k = 0; k < open_count; k++) {
        uint64_t id;
        uint32_t handle;
        const char *num = open_ids[k][0] == '#' ? open_ids[k] + 1 : open_ids[k];
        if (!app_parse_count(num, &id) || id > INT64_MAX || !chat_store_handle_of_id(b->store, (int64_t)id, &handle)) {
            fprintf(stderr, "chatlog: browse: no chat #%s in %s (see `chatlog list`)\n", num, c->opt.db_path);
            goto out;
        }
    }
    for (int k = 0; k < open_count && open_by_number(b, open_ids[k]); k++) {}
    signal(SIGPIPE, SIG_IGN); // a clipboard program that quits early must not end us
    setlocale(LC_ALL, "");
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        fprintf(stderr, "chatlog: browse: cannot drive this terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
        goto out;
    }
    raw(); // Ctrl-C arrives as a key, so quitting that way also releases everything
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    init_colors(b);
    run(b);
    endwin();
    rc = b->interrupted ? 130 : APP_EXIT_OK;
out:
    if (screen) delscreen(screen);
    if (b) {
        while (b->tab_count) browse_tab_close(b, b->tab_count - 1);
        if (b->store) {
            chat_lru_poll(b->store->lru);
            write_stats(b, chat_lru_stats(b->store->lru));
            chat_store_close(b->store); // joins the IO thread: nothing writes to the pipe after this
        }
        if (b->wake[0] >= 0) close(b->wake[0]), close(b->wake[1]);
        if (b->list.search_arena) ak_arena_release(b->list.search_arena);
    }
    ak_arena_release(arena);
    return rc;
}
