// out.c: escaping of data text for terminals, the colour decision and the pager.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/out.h"

#include "arenakit/utf8.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool out_color, out_raw;
static pid_t pager_pid;

bool app_parse_color(const char *s, AppColorMode *out) {
    if (!strcmp(s, "auto")) *out = APP_COLOR_AUTO;
    else if (!strcmp(s, "always") || !strcmp(s, "yes")) *out = APP_COLOR_ALWAYS;
    else if (!strcmp(s, "never") || !strcmp(s, "no")) *out = APP_COLOR_NEVER;
    else return false;
    return true;
}

void app_out_setup(AppColorMode mode) {
    if (mode != APP_COLOR_AUTO) {
        out_color = mode == APP_COLOR_ALWAYS;
        return;
    }
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    out_color = isatty(1) && !(no_color && no_color[0]) && !(term && !strcmp(term, "dumb"));
}

bool app_out_color(void) { return out_color; }
void app_out_set_raw(bool raw) { out_raw = raw; }
bool app_out_is_raw(void) { return out_raw; }

void app_sgr(FILE *out, const char *codes) {
    if (out_color && out == stdout) fprintf(out, "\x1b[%sm", codes); // never into files
}

enum { ESC_TEXT, ESC_FIELD, ESC_SNIPPET };

// One escaped control: reverse video when colour is on, so it reads as a mark, not as text.
// Returns the columns it takes (the escape is ASCII).
static uint64_t put_escape(FILE *out, bool color, const char *fmt, unsigned v) {
    if (color) fputs("\x1b[7m", out);
    int n = fprintf(out, fmt, v);
    if (color) fputs("\x1b[27m", out);
    return n > 0 ? (uint64_t)n : 0;
}

// Bidirectional embeddings, overrides and isolates reorder what a terminal that does bidi
// shows (a title could hide a second one, "Trojan Source"); they are escaped as the browser
// marks them. The plain marks (U+200E, U+200F) pass: they reorder nothing that follows.
static bool is_bidi_control(uint32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }

// Writes s escaped; returns the columns written (text by its display width, escapes by their
// length), so callers can pad a column after a field.
static uint64_t out_escaped(FILE *out, AkStr s, int how, bool color, const char *open, const char *close) {
    uint64_t i = 0, run = 0, cols = 0; // s[run..i) is text that passes as it is
    while (i < s.len) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c >= 0x20 && c < 0x7f) { // printable ASCII, the common case
            i++;
            continue;
        }
        uint32_t cp = c, n = 1;
        AkUtf8Error uerr = AK_UTF8_OK;
        if (c >= 0x80) {
            n = ak_utf8_decode(s.ptr + i, s.len - i, &cp, &uerr);
            bool special = uerr != AK_UTF8_OK || (cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp) ||
                           (how == ESC_SNIPPET && (cp == 0xFDD0 || cp == 0xFDD1));
            if (!special) { // printable UTF-8
                i += n;
                continue;
            }
        }
        fwrite(s.ptr + run, 1, i - run, out);
        cols += ak_utf8_width(ak_str(s.ptr + run, i - run));
        if (c == '\n' || c == '\t') {
            if (how == ESC_TEXT) fputc(c, out); // a line end or tab: columns are the terminal's
            else if (how == ESC_SNIPPET) fputc(' ', out), cols++;
            else cols += put_escape(out, color, c == '\n' ? "\\n" : "\\t", 0);
        } else if (c == '\r' && i + 1 < s.len && s.ptr[i + 1] == '\n' && how != ESC_FIELD) {
            // CR LF line ends: the LF does the work
        } else if (c == 0x1b) {
            cols += put_escape(out, color, "\\e", 0);
        } else if (c < 0x20 || c == 0x7f) {
            cols += put_escape(out, color, "\\x%02x", c);
        } else if (uerr != AK_UTF8_OK) {
            for (uint32_t k = 0; k < n; k++) cols += put_escape(out, color, "\\x%02x", (unsigned char)s.ptr[i + k]);
        } else if (cp == 0xFDD0) {
            fputs(open, out);
        } else if (cp == 0xFDD1) {
            fputs(close, out);
        } else { // C1 control U+0080..U+009F, or a bidi control
            cols += put_escape(out, color, "\\u%04x", cp);
        }
        i += n;
        run = i;
    }
    fwrite(s.ptr + run, 1, s.len - run, out);
    return cols + ak_utf8_width(ak_str(s.ptr + run, s.len - run));
}

void app_out_text(FILE *out, AkStr s) {
    if (out_raw) fwrite(s.ptr, 1, s.len, out);
    else out_escaped(out, s, ESC_TEXT, out_color && out == stdout, "", "");
}

uint64_t app_out_field(FILE *out, AkStr s) {
    if (out_raw) return fwrite(s.ptr, 1, s.len, out), ak_utf8_width(s);
    return out_escaped(out, s, ESC_FIELD, out_color && out == stdout, "", "");
}

void app_out_snippet(FILE *out, AkStr s, const char *open, const char *close) {
    out_escaped(out, s, ESC_SNIPPET, out_color && out == stdout, open, close); // always for people
}

void app_errorf(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
    fflush(stdout);
    fputs("chatlog: ", stderr);
    out_escaped(stderr, ak_str(buf, (uint64_t)n), ESC_TEXT, false, "", "");
    fputc('\n', stderr);
}

void app_pager_start(bool enable) {
    if (!enable || !isatty(1)) return;
    const char *pager = getenv("CHATLOG_PAGER");
    if (!pager) pager = getenv("PAGER");
    if (!pager) pager = "less -R"; // -R: our colours pass, as SGR only (the data is escaped already)
    if (!pager[0] || !strcmp(pager, "cat")) return;
    if (!getenv("LESS")) setenv("LESS", "FRX", 0);
    int fds[2];
    if (pipe(fds) != 0) return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
        _exit(127);
    }
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    pager_pid = pid;
    // A reader who quits the pager early ends our writes with EPIPE, not a signal; Ctrl-C
    // belongs to the pager while it runs.
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}

void app_pager_end(void) {
    if (!pager_pid) return;
    fflush(stdout);
    close(1);
    int status;
    while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR) {}
    pager_pid = 0;
}
