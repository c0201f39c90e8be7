// browse_ui.h: what the files of `chatlog browse` share: the browser's state, the chat list,
// the tabs, and the text layer (word wrap by display width, drawing, finding).
//   browse.c       the command: terminal set-up, event loop, keys, status line, overlays, copy
//   browse_list.c  the chat list pane: order, title filter, full-text search results
//   browse_tab.c   a tab: view reference, lazily wrapped lines, scrolling, find in the chat
//   browse_text.c  wrapping a message into display lines and drawing a line of text
//   browse_markdown.c  Markdown prose rendered for the terminal, tool JSON re-indented
//   browse_help.c  the help overlay, laid out for the window
// Memory: the Browser lives on its own arena (b->arena) for the command's life; search hits
// on b->list.search_arena until the next search; each tab's wrapped lines on the tab's arena
// until the width changes or the tab closes. Lines point into the chat's message arena, which
// stays put because the tab pins the chat (view_refs) for as long as it is open.
// Main thread only (the IO thread only writes a byte to the wake pipe).
#ifndef APP_BROWSE_UI_H
#define APP_BROWSE_UI_H

#include "chat/search.h"
#include "chat/store.h"

#include <curses.h>

#define BROWSE_MAX_TABS 32
#define BROWSE_TAB_COLS 4         // a tab character is drawn as this many spaces
#define BROWSE_LINE_MAX_BYTES 4096 // a display line never spans more bytes (zero-width runs)
#define BROWSE_INPUT_MAX 256

// ---- text: wrapping and drawing ------------------------------------------------------------

typedef enum BrowseStyle {
    BROWSE_TEXT,
    BROWSE_HEADER,   // "── Role · time ──": drawn with rules to the window's edge
    BROWSE_CODE,     // inside ``` fences, tool input and output, attachments: hard-wrapped, set apart
    BROWSE_FENCE,    // the ``` lines themselves
    BROWSE_LABEL,    // "[tool use: name]", "[attachment: x.pdf] 120 bytes of text"
    BROWSE_THINKING, // reasoning parts, dimmed
    BROWSE_HEADING,  // a Markdown heading, its marks taken off
    BROWSE_QUOTE,    // a "> " quote, drawn after a bar
    BROWSE_RULE,     // "---": a rule across the window
    BROWSE_FENCE_END, // a closing ``` line
} BrowseStyle;

// Attribute bits of rendered Markdown, one byte per byte of the rendered text.
enum { BROWSE_MD_BOLD = 1, BROWSE_MD_ITALIC = 2, BROWSE_MD_CODE = 4, BROWSE_MD_LINK = 8, BROWSE_MD_DIM = 16,
       BROWSE_MD_BULLET = 32 };

// One display line: a byte range of the message's text (or of a header or label made on the
// tab's arena), never more than the wrap width in columns.
typedef struct BrowseLine {
    const char *ptr;
    uint32_t len;
    uint8_t style;  // BrowseStyle
    uint8_t indent; // columns before the text
    uint8_t role;   // ChatRole, for the header's colour
    uint8_t level;  // a heading's level (1-6)
    const uint8_t *attrs; // BROWSE_MD_* per byte of ptr (rendered Markdown), or NULL
    const char *src;      // the source line this came from, in the message's own text (finding
    uint32_t src_len;     // a match's line, keeping the place on a rewrap); NULL for made-up lines
} BrowseLine;

// One source line of Markdown prose, rendered (browse_markdown.c): `text` is the source
// itself when nothing changes, else a copy on the arena with `attrs`.
typedef struct BrowseMdLine {
    AkStr text;
    const uint8_t *attrs;
    BrowseStyle style;     // BROWSE_TEXT, HEADING, QUOTE or RULE
    uint8_t level;
    uint32_t indent, hang; // columns before the text; more for a list item's continuation
} BrowseMdLine;
bool browse_md_line(AkArena *arena, AkStr src, BrowseMdLine *out);
// JSON re-indented two spaces a level (on `arena`), or `json` itself when it is not JSON.
AkStr browse_json_pretty(AkArena *arena, AkStr json);

AK_CHUNKED_DEFINE(BrowseLineArray, BrowseLine);

// Columns a code point takes as drawn here: tab BROWSE_TAB_COLS, a control its escape's width.
int browse_cp_cols(uint32_t cp);
// The visible form of a code point that must not reach the terminal as itself (C0 but tab and
// newline, DEL, C1, bidirectional overrides): "^[", "^?", "<U+009B>". Its length, 0 for others.
#define BROWSE_ESCAPE_MAX 12
int browse_escape(uint32_t cp, char out[BROWSE_ESCAPE_MAX]);
// Appends message `m`'s display lines (header, body wrapped at `width` columns, a blank line
// after) to `lines`; headers and labels are made on `arena`. Returns how many lines it
// appended, or -1 if the arena refused (what was appended stays, unused).
int64_t browse_wrap_message(AkArena *arena, BrowseLineArray *lines, const ChatMessage *m, uint32_t number,
                            uint32_t width);
// The texts of a message that the wrapped lines show, in display order (for find).
uint32_t browse_msg_segment_count(const ChatMessage *m);
AkStr browse_msg_segment(const ChatMessage *m, uint32_t k);
// What a find or search looks for and highlights: one phrase (find in a chat, as less does),
// or the words of a query (quotes keep a phrase; OR/AND/NOT, -excluded words, prefix '*' and
// filters like title: dropped). Terms point into the query string, which must outlive them.
#define BROWSE_TERMS_MAX 8
typedef struct BrowseTerms {
    uint32_t count;
    AkStr term[BROWSE_TERMS_MAX];
} BrowseTerms;
void browse_terms_parse(BrowseTerms *t, const char *query, bool words);
// The earliest match of any term at or after `from` (case and accents folded, textmatch.h),
// its length in *len; the latest match starting before `before`. AK_STR_NPOS if none.
uint64_t browse_terms_find(const BrowseTerms *t, AkStr hay, uint64_t from, uint64_t *len);
uint64_t browse_terms_find_before(const BrowseTerms *t, AkStr hay, uint64_t before);

enum { BROWSE_MARK_ON = 1, BROWSE_MARK_OFF = 2 }; // bytes that switch highlighting in snippets
// Draws s at (y, x) in at most `cols` columns, wide and combining characters placed by their
// display width, controls as their escapes; matches of every term of `hl` (if not NULL), and
// text between the mark bytes when `marks` is set, are drawn with `hl_attr`. Returns the
// columns used.
int browse_draw_text(int y, int x, int cols, AkStr s, attr_t attr, attr_t hl_attr, const BrowseTerms *hl, bool marks);
// browse_draw_text with Markdown attributes per byte (`rich`, may be NULL) over `attr`.
int browse_draw_rich(int y, int x, int cols, AkStr s, const uint8_t *rich, attr_t attr, attr_t hl_attr,
                     const BrowseTerms *hl, attr_t code_attr, attr_t dim_attr);
// Plain text, no highlighting: browse_draw_text with one attribute.
int browse_put(int y, int x, int cols, AkStr s, attr_t attr);
// Columns s takes as browse_draw_text draws it (marks not counted).
uint64_t browse_text_cols(AkStr s);

// ---- the browser -----------------------------------------------------------------------------

typedef struct BrowsePos {
    uint32_t msg, line;
} BrowsePos;

typedef struct BrowseMsgWrap {
    uint32_t first, count; // range in the tab's line array
    bool done;
} BrowseMsgWrap;

// A message of the whole chat (every branch), with its place in the tree (browse_branch.c).
typedef struct BrowseBranchMsg {
    ChatMessage m;
    AkStr uuid, parent;
} BrowseBranchMsg;

typedef struct BrowseTab {
    uint32_t handle;
    ChatMessages *rec;      // pinned by our view reference until the tab closes
    AkArena *arena;         // the tab's own: wrap cache, headers, labels
    bool laid_out;          // rec is READY and the fields below are set
    uint32_t msg_count;
    BrowseMsgWrap *wraps;   // one per message, on `arena`
    uint64_t wrap_base;     // arena position after `wraps`; popped to when the width changes
    BrowseLineArray lines;
    uint32_t width;         // wrap width of the cached lines (0: none yet)
    bool wrap_refused;      // the arena refused lines: some messages show as nothing
    uint32_t rows;          // text rows at the last draw
    BrowsePos top;
    int32_t goto_ordinal;   // open at this message once loaded (a search hit), -1 for none
    char find[BROWSE_INPUT_MAX];
    bool find_words;        // find's text is a search query: every word, not one phrase
    int64_t mark;           // the message a copy takes (▶), set by a jump to a hit; -1: the top one
    bool hit_valid;
    uint32_t hit_msg, hit_seg;
    uint64_t hit_off;
    uint32_t hit_index, hit_total;
    // Versions (v): the thread shown when it is not the one the store loaded.
    AkArena *branch_arena;  // NULL until the first switch
    BrowseBranchMsg *all;   // every message of the chat, on branch_arena
    uint32_t all_count;
    uint64_t thread_base;   // branch_arena position after `all`
    const ChatMessage **thread; // the shown thread, or NULL for the store's (rec->msgs)
    uint32_t thread_count;
} BrowseTab;

typedef struct BrowseList {
    uint32_t *order;        // every chat handle, newest first
    uint32_t *shown;        // the ones passing the filter
    uint32_t count, shown_count;
    uint32_t sel, top;
    AkStr *previews;        // per handle: an untitled chat's first prompt, once drawn
    int source_cols;        // width of the source column: the longest source name
    char filter[BROWSE_INPUT_MAX];
    AkArena *search_arena;  // hits of the last full-text search
    ChatHitGroups groups;   // its chats, each at its best hit, as `chatlog search` lists them
    uint32_t hit_count;     // groups.count: the rows listed
    bool search_all;        // the last search looked in every version and hidden message (S)
    bool show_hits;         // the pane lists search hits instead of chats
    char query[BROWSE_INPUT_MAX];
} BrowseList;

typedef enum BrowsePrompt { PROMPT_NONE, PROMPT_FILTER, PROMPT_SEARCH, PROMPT_FIND, PROMPT_GOTO, PROMPT_SEARCH_ALL } BrowsePrompt;
typedef enum BrowseOverlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_POOL } BrowseOverlay;

typedef struct Browser {
    ChatStore *store;
    AkArena *arena;
    BrowseList list;
    BrowseTab tabs[BROWSE_MAX_TABS];
    uint32_t tab_count;
    uint32_t current;       // 0: the chat list; k: tabs[k - 1]
    BrowsePrompt prompt;
    char input[BROWSE_INPUT_MAX];
    uint32_t input_len;
    BrowseOverlay overlay;
    int overlay_scroll;
    char notice[1024];
    bool notice_error;
    bool quit;
    bool interrupted;       // Ctrl-C: the command exits 130
    bool colors;
    int wake[2];            // the IO thread writes a byte to wake[1] when a load finishes
    uint64_t peak_used;     // most message-arena bytes seen charged between events
    uint64_t peak_process;  // most bytes the process had committed (ak_os_committed)
    uint32_t tabs_opened;
} Browser;

// Colour pairs (attributes only when the terminal has no colours).
enum { PAIR_USER = 1, PAIR_ASSISTANT, PAIR_OTHER, PAIR_CODE, PAIR_ERROR, PAIR_HIT, PAIR_DIM, PAIR_TABBAR };
attr_t browse_attr(const Browser *b, int pair);

void browse_notice(Browser *b, bool error, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// browse.c: a frame with a title, its inside cleared.
void browse_draw_box(int y, int x, int h, int w, const char *title);
// browse_help.c: the keys in a box at (y, x), at most h rows by w, scrolled by `scroll` rows; returns
// the scroll clamped to what there is.
int browse_help_draw(int y, int x, int h, int w, int scroll);

// browse_list.c
bool browse_list_init(Browser *b);
// A chat's title, or for an untitled chat its first prompt (*preview set), read once.
AkStr browse_chat_title(Browser *b, uint32_t handle, bool *preview);
void browse_list_apply_filter(Browser *b);
// Searches as `chatlog search` does (the same syntax, grouping and counts); `all`: every
// version and hidden message too (as --all-branches), off-thread hits marked.
void browse_list_search(Browser *b, const char *query, bool all);
void browse_list_move(Browser *b, int64_t delta);
void browse_list_open_selected(Browser *b);
void browse_list_draw(Browser *b, int y, int rows, int cols);
void browse_list_info(Browser *b, char *buf, size_t cap);

// browse_tab.c
bool browse_tab_open(Browser *b, uint32_t handle, int32_t goto_ordinal, const char *find);
void browse_tab_close(Browser *b, uint32_t index);
void browse_tab_draw(Browser *b, BrowseTab *t, int y, int rows, int cols);
void browse_tab_scroll(BrowseTab *t, int64_t lines);
void browse_tab_home(BrowseTab *t);
void browse_tab_end(BrowseTab *t);
void browse_tab_message_step(BrowseTab *t, int dir);
// Finds `query` in the chat from the top of the view: as one phrase, or (`words`, a search's
// query) any of its words; every match is highlighted.
void browse_tab_set_find(Browser *b, BrowseTab *t, const char *query, bool words);
void browse_tab_find_next(Browser *b, BrowseTab *t, int dir);
// Message i of the thread the tab shows.
const ChatMessage *browse_tab_msg(const BrowseTab *t, uint32_t i);
// Drops the layout (wrapped lines) so that the next draw lays the thread out again.
void browse_tab_relayout(BrowseTab *t);
// browse_branch.c: v / V: the next / previous version of the marked message.
bool browse_tab_switch_version(Browser *b, BrowseTab *t, int dir);
// Shows the thread through message `ordinal` (off the seen thread, or hidden): the thread up
// to it, then its replies as a switch would follow them. False with a notice if it cannot.
bool browse_tab_show_branch(Browser *b, BrowseTab *t, uint32_t ordinal);
// The message a copy takes (▶): the one a find or search hit jumped to, else the one at the
// top of the view. -1 while loading.
int64_t browse_tab_current(BrowseTab *t);
AkStr browse_tab_title(Browser *b, const BrowseTab *t);
void browse_tab_info(Browser *b, BrowseTab *t, char *buf, size_t cap);

#endif
