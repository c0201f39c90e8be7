// out.h: how chatlog writes to a person's terminal. Text from the data (titles, messages,
// snippets, names in error messages) goes through here so that control characters an export
// carries (ESC sequences that retitle the window or clear the screen, BEL, DEL, C1 controls,
// bytes that are not UTF-8) are shown visibly escaped (`\e`, `\x07`, `\u009b`) and never
// reach the terminal as commands. Only `export` and `--json` into a file or pipe get the raw
// bytes (JSON escapes controls itself). Also the colour decision (--color, NO_COLOR,
// TERM=dumb, a terminal on stdout) and the pager (`show` through $PAGER, less -R by default).
// Owns no memory beyond the pager's process; state is process-wide (one command per process).
#ifndef APP_OUT_H
#define APP_OUT_H

#include "arenakit/str.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum AppColorMode { APP_COLOR_AUTO, APP_COLOR_ALWAYS, APP_COLOR_NEVER } AppColorMode;

// "auto", "always", "never" (also "yes"/"no"). False on anything else.
bool app_parse_color(const char *s, AppColorMode *out);
// Decides colour for stdout once, before any pager replaces it: always / never as asked;
// auto means stdout is a terminal, NO_COLOR is unset or empty and TERM is not "dumb".
void app_out_setup(AppColorMode mode);
bool app_out_color(void); // the decision above

// Raw output: data text is written as it is. Set it only for export and --json, and only
// when stdout is not a terminal (app_out_set_raw(!isatty(1)) is the usual call).
void app_out_set_raw(bool raw);
bool app_out_is_raw(void);

// Data text, many lines: tabs and newlines pass, CR LF becomes LF; every other control, and
// the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), is escaped
// unless raw.
void app_out_text(FILE *out, AkStr s);
// One field on one line (a title, a name): newlines and tabs are escaped too, so a hostile
// title cannot fake a second row of a listing. Raw output keeps them. Returns the columns
// it took on the screen, escapes included, for padding what follows.
uint64_t app_out_field(FILE *out, AkStr s);
// A search snippet: newlines become spaces; APP_MARK_OPEN/APP_MARK_CLOSE (noncharacters no
// export carries, given to the search as its marks) become `open`/`close`.
#define APP_MARK_OPEN "\xef\xb7\x90"  // U+FDD0
#define APP_MARK_CLOSE "\xef\xb7\x91" // U+FDD1
void app_out_snippet(FILE *out, AkStr s, const char *open, const char *close);

// An SGR style when colour is on, else nothing: app_sgr(out, "1") ... app_sgr(out, "0").
void app_sgr(FILE *out, const char *codes);

// `chatlog: ` + the formatted message + newline on stderr, with data escaped (a message may
// quote a title or a file's content). Always escaped: stderr is for people.
void app_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// When stdout is a terminal and `enable` is set, starts $CHATLOG_PAGER, else $PAGER, else
// `less -R` (with LESS=FRX unless LESS is set, as git does) and sends stdout to it. An empty
// pager or "cat" means none. app_pager_end flushes, closes and waits for it (call before exit).
void app_pager_start(bool enable);
void app_pager_end(void);

#endif
