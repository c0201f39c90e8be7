// main.c: chatlog, the program a person runs. Parses the common options, opens the store,
// and runs one command: import, list, show, search, export, stats (and browse). Exit codes:
// 0 success, 1 the command failed (message on stderr), 2 the command line was wrong, 3 an
// import committed what it could read but skipped something (listed on stderr).
#include "app/browse.h"
#include "app/cli.h"
#include "app/command.h"
#include "app/firstrun.h"
#include "app/progress.h"
#include "app/render.h"
#include "app/out.h"
#include "app/search_query.h"
#include "app/trace.h"
#include "arenakit/arenakit.h"
#include "chat/source.h"
#include "chat/search.h"
#include "chat/store.h"
#include "chat/textmatch.h"

#include <math.h>
#include <time.h>
#include <stdint.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define APP_VERSION "0.1.0" // arenakit.pc.in's Version (tests/test_install.sh checks they agree)

// `chatlog --help` around the command list, which comes from the command table (app_commands
// at the end of this file; command.h).
static const char usage_main[] =
    "usage: chatlog [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Keeps your Claude.ai, ChatGPT, Claude Code, Codex CLI and Gemini history in one SQLite\n"
    "database and searches it.\n"
    "\n";
static const char usage_options[] =
    "options (before or after the command):\n"
    "  --db PATH             database file (default: $XDG_DATA_HOME/chatlog/chatlog.db)\n"
    "  --memory-budget SIZE  memory for the whole process (arenas, SQLite, loaded chats),\n"
    "                        e.g. 64M (default 256M); past it chatlog evicts, shrinks caches\n"
    "                        or fails with a clear message, never grows beyond it\n"
    "  --color WHEN          auto (default: on a terminal, unless NO_COLOR or TERM=dumb),\n"
    "                        always or never\n"
    "  --no-pager            `show` writes to the terminal directly ($PAGER, default less)\n"
    "  --utc                 times in UTC (default: local time, TZ)\n"
    "  -h, --help            this text; `chatlog help COMMAND` for a command\n"
    "  -V, --version         the version\n"
    "\n"
    "Exit status: 0 success, 1 failure or nothing matched (list, search), 2 a wrong command line,\n"
    "3 an import that skipped something it could not read (and imported the rest).\n"
    "Settings file: $XDG_CONFIG_HOME/chatlog/config (`memory-budget = 64M`, `db = ~/chats.db`).\n";
static const char usage_developer[] =
    "  stats --memory        every live arena (the pool table) and the loaded-chat cache\n"
    "  --memory-trace FILE   record every arena's memory over time (draw it: tools/memplot)\n";

static void print_usage(FILE *out) { app_print_main_usage(out, usage_main, usage_options, usage_developer); }

// A usage error of the command whose usage text is `usage` (usage_main: the command line as
// a whole): one line, "did you mean", a pointer to --help (command.h).
static int usage_error(const char *usage, const char *fmt, const char *arg) {
    return app_usage_error(app_command_by_usage(usage), fmt, arg);
}

// ---- import -----------------------------------------------------------------------------------

static const char usage_import[] =
    "usage: chatlog import [--strict | --skip-bad] [--quiet] EXPORT...\n"
    "  EXPORT is a conversations.json (or conversations-NNN.json), an unpacked export folder,\n"
    "  or the export .zip from Claude.ai or ChatGPT; also Claude Code (~/.claude/projects), Codex\n"
    "  CLI (~/.codex/sessions) and a Google Takeout of Gemini Apps. The format is detected from\n"
    "  the content.\n"
    "  Importing again adds new chats and updates changed ones, but never replaces a chat with an\n"
    "  older copy (by update time, then message count). A session log (Claude Code, Codex)\n"
    "  that has not changed since the last import is not read again; one that grew adds its\n"
    "  new messages; a last line still being written waits for the next import. A conversation\n"
    "  that cannot be read is skipped and named, the rest is imported, and the exit status is 3.\n"
    "  A file that is not valid JSON (cut short, bad UTF-8) imports nothing and exits 1.\n"
    "  --strict    all or nothing: any conversation that cannot be read fails the import\n"
    "  --skip-bad  also salvage a file that is not valid JSON: keep the complete conversations\n"
    "              before the fault (exit 3)\n"
    "  --quiet     no progress bar\n"
    "  exit status: 0 all imported, 1 failed (nothing imported), 2 bad command line,\n"
    "               3 imported, but something was skipped\n";

static void import_progress(uint64_t done, uint64_t total, void *user) {
    app_progress_update(user, done, total);
    app_trace_sample(false);
}

static int cmd_import(AppCtx *c, int argc, char **argv) {
    bool skip_bad = false, strict = false;
    int first = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_SKIP_BAD: skip_bad = true; break;
        case APP_OPT_STRICT: strict = true; break;
        case APP_OPT_QUIET: c->opt.quiet = true; break;
        case APP_OPT_OPERAND:
            if (!first) first = i;
            argv[first + n++] = argv[i];
            break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!n) return usage_error(usage_import, "%s", "import needs the path of an export");
    if (strict && skip_bad) return usage_error(usage_import, "%s", "--strict and --skip-bad contradict each other");
    if (!c->opt.db_path && !(c->opt.db_path = app_default_db_path(c->arena, false))) return APP_EXIT_FAIL;
    AppFirstRun first_run; // a run that imports nothing leaves no database or folder it made
    app_first_run_begin(&first_run, c->opt.db_path);
    if (!app_open_store(c, true)) return app_first_run_undo(c, &first_run), APP_EXIT_FAIL;
    int rc = APP_EXIT_OK, imported = 0;
    for (int k = 0; k < n; k++) {
        const char *path = argv[first + k];
        AppProgress bar;
        app_progress_begin(&bar, "importing", c->opt.quiet);
        ChatImportOptions io = {.skip_bad = skip_bad, .strict = strict, .progress = import_progress, .progress_user = &bar};
        ChatStoreImport res;
        ChatError err = {{0}};
        uint64_t t0 = app_now_ns();
        bool ok = chat_store_import(c->store, c->arena, path, &io, &res, &err);
        app_progress_end(&bar);
        double secs = (app_now_ns() - t0) / 1e9;
        if (!ok) { // err names the bad conversations itself
            app_errorf("import of %s failed, nothing was imported: %s", path, err.msg);
            if (strict && res.report.bad)
                fprintf(stderr, "chatlog: (--strict: without it the bad conversations are skipped and the rest imported)\n");
            rc = APP_EXIT_FAIL;
            continue;
        }
        imported++;
        const ChatImportReport *r = &res.report;
        printf("%s: %u chats (%u new, %u updated, %u unchanged), %u messages (%u on the visible threads) "
               "from %u file%s, %.1f MB in %.2f s",
               path, r->chats, res.added, res.updated, res.unchanged, r->messages, r->visible_messages, r->files,
               r->files == 1 ? "" : "s", r->bytes / 1048576.0, secs);
        if (r->files_unchanged) printf(", %u session file%s unchanged (not read)", r->files_unchanged, r->files_unchanged == 1 ? "" : "s");
        if (r->files_grown) printf(", %u grown", r->files_grown);
        if (r->files_rewritten) printf(", %u rewritten", r->files_rewritten);
        if (r->bad) printf(", %u bad skipped", r->bad);
        if (r->broken_files) printf(", %u file%s not valid JSON", r->broken_files, r->broken_files == 1 ? "" : "s");
        if ((r->bad || r->broken_files) && rc == APP_EXIT_OK) rc = APP_EXIT_PARTIAL;
        for (uint32_t b = 0; b < r->bad_listed; b++) app_errorf("skipped %.*s", AK_STR_FMT(r->bad_list[b]));
        if (r->bad > r->bad_listed) fprintf(stderr, "chatlog: ... and %u more bad conversations\n", r->bad - r->bad_listed);
        if (r->unknown_parts) printf(", %u unknown blocks kept as raw JSON", r->unknown_parts);
        printf("\n");
        if (res.kept_newer)
            printf("%s: %u chat%s kept newer: the database holds a newer copy than this export\n", path,
                   res.kept_newer, res.kept_newer == 1 ? "" : "s");
        if (res.duplicates)
            printf("%s: the export holds %u extra cop%s of chats it already had (same uuid); the newest copy "
                   "of each chat was kept\n", path, res.duplicates, res.duplicates == 1 ? "y" : "ies");
        if (r->chats == 0 && r->bad == 0 && r->broken_files == 0 && r->files_unchanged == 0) printf("%s: the export holds no conversations\n", path);
    }
    if (!imported) app_first_run_undo(c, &first_run);
    return rc;
}

// ---- list -------------------------------------------------------------------------------------

static const char usage_list[] =
    "usage: chatlog list [--since DATE] [--until DATE] [-s|--source SOURCE] [-t|--title TEXT]\n"
    "                    [--model TEXT] [-n|--limit N] [-j|--json]\n"
    "  Chats newest first (by last update), with their model. DATE is 2025, 2025-06, 2025-06-03,\n"
    "  2025-06-03T19:40, today, yesterday, or 36h / 7d / 2w ago; in local time unless --utc.\n"
    "  SOURCE is " CHAT_SOURCE_NAMES_TEXT " (any case).\n"
    "  --title keeps chats whose title has every word of TEXT, in any order (case and accents\n"
    "  do not count: \"creme\" finds \"Crème\", \"ελληνικα\" finds \"Ελληνικά\");\n"
    "  --model those whose model contains TEXT (any case). Exit status 1 when none match.\n";

typedef struct ListFilter {
    double since, until;
    ChatSource source;
    AkStr title, model;
    uint64_t limit;
} ListFilter;

// A source by the table's name, any case (source.h).
static bool parse_source(const char *s, ChatSource *out) {
    const ChatSourceInfo *row = chat_source_by_name(s);
    if (row) *out = row->id;
    return row != NULL;
}

// "PREFIX claude, chatgpt, ... or gemini, not ARG" as a usage error: the list is the table's.
static int source_error(const char *usage, const char *prefix, const char *arg, const char *quote) {
    char names[256], msg[400];
    snprintf(msg, sizeof msg, "%s %s, not %s%s%s", prefix, chat_source_names_text(names, sizeof names), quote, arg, quote);
    return usage_error(usage, "%s", msg);
}

// Model names are ASCII slugs ("claude-sonnet-4", "gpt-4o"): any case matches.
static bool model_contains(AkStr model, AkStr needle) {
    if (!needle.len) return true;
    for (uint64_t i = 0; i + needle.len <= model.len; i++)
        if (ak_str_eq_nocase(ak_str(model.ptr + i, needle.len), needle)) return true;
    return false;
}

// The time a chat is listed by: its last update, else its start.
static double shown_time(double updated, double created) { return updated >= 0 ? updated : created; }
static double chat_time(const ChatMeta *m) { return shown_time(m->updated, m->created); }

// Every word of the filter, in any order, case and accents folded (Latin, Greek, Cyrillic).
static bool title_contains(AkStr title, AkStr needle) { return chat_text_has_words(title, needle); }

// `list` reads the database without the store's metadata (app_open_db, as `search` does), so
// its memory does not grow with the chat count: one scan keeps a key (time, id, source: 24
// bytes) per chat that passes the filter, the keys are sorted newest first, and each row
// shown is read again by id. At 80,000 chats that is 1.9 MB of keys instead of 18 MB of
// metadata (bench/SCALE.md); the output is the same as the loaded store's.
typedef struct ListKey {
    double t;
    int64_t id;
    ChatSource source;
} ListKey;
AK_CHUNKED_DEFINE(ListKeyArray, ListKey);

typedef struct ListScan {
    const ListFilter *f;
    ListKeyArray keys;
    bool failed;
} ListScan;

static bool list_keep(const ListFilter *f, ChatSource source, double t, AkStr title, AkStr model) {
    if (f->source && source != f->source) return false;
    if (t < f->since || t > f->until) return false;
    if (t < 0 && (f->since > -INFINITY || f->until < INFINITY)) return false; // no time: not in any range
    return title_contains(title, f->title) && model_contains(model, f->model);
}

static bool list_scan_row(const ChatRow *r, void *user) {
    ListScan *ls = user;
    double t = shown_time(r->updated, r->created);
    if (!list_keep(ls->f, r->source, t, r->title, r->model)) return true;
    ListKey *k = ListKeyArray_push(&ls->keys);
    if (!k) return ls->failed = true, false;
    *k = (ListKey){t, r->id, r->source};
    return true;
}

static int by_time_desc(const void *a, const void *b) {
    const ListKey *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? 1 : -1;
    return x->id < y->id ? 1 : -1;
}

static int cmd_list(AppCtx *c, int argc, char **argv) {
    ListFilter f = {.since = -INFINITY, .until = INFINITY};
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_SINCE:
            if (!app_parse_date(v, false, &f.since)) return usage_error(usage_list, "bad date for --since: %s (dates look like 2025, 2025-06, 2025-06-03, yesterday or 7d)", v);
            break;
        case APP_OPT_UNTIL:
            if (!app_parse_date(v, true, &f.until)) return usage_error(usage_list, "bad date for --until: %s (dates look like 2025, 2025-06, 2025-06-03, yesterday or 7d)", v);
            break;
        case APP_OPT_SOURCE:
            if (!parse_source(v, &f.source)) return source_error(usage_list, "--source is", v, "");
            break;
        case APP_OPT_TITLE: f.title = ak_str_cstr(v); break;
        case APP_OPT_MODEL: f.model = ak_str_cstr(v); break;
        case APP_OPT_LIMIT:
            if (!app_parse_count(v, &f.limit)) return usage_error(usage_list, "bad number for --limit: %s", v);
            break;
        case APP_OPT_JSON: c->opt.json = true; break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!app_open_db(c)) return APP_EXIT_FAIL;
    ChatError err = {{0}};
    ListScan scan = {&f, ListKeyArray_init(c->arena, 8192), false};
    if (!chat_db_each_chat(c->store->db, list_scan_row, &scan, &err) || scan.failed) {
        if (scan.failed) app_errorf("list: %s", ak_arena_error(c->arena));
        else app_errorf("list: %s", err.msg);
        return APP_EXIT_FAIL;
    }
    uint64_t n = ListKeyArray_count(&scan.keys);
    ListKey *order = ak_push_array_nz(c->arena, ListKey, n ? n : 1);
    if (!order) return app_errorf("list: %s", ak_arena_error(c->arena)), APP_EXIT_FAIL;
    AkChunkedIter it;
    uint64_t kept = 0;
    for (ListKey *k = ListKeyArray_first(&scan.keys, &it); k; k = ListKeyArray_next(&it)) order[kept++] = *k;
    qsort(order, kept, sizeof *order, by_time_desc);
    if (f.limit && kept > f.limit) kept = f.limit;
    // The source column fits the widest name listed ("claude-code"), 7 at least as it always was.
    int source_cols = 7;
    for (uint64_t i = 0; i < kept; i++) source_cols = AK_MAX(source_cols, (int)strlen(chat_source_name(order[i].source)));
    if (c->opt.json) fputc('[', stdout);
    else if (kept && isatty(1)) { // a header for people; pipes get rows only (as gh and docker do)
        char zone[40], col[48];
        snprintf(col, sizeof col, "time (%s)", app_zone_label(zone, sizeof zone));
        if (strlen(col) > 16) snprintf(col, sizeof col, "%s", zone);
        app_sgr(stdout, "1");
        printf("%6s  %-16s  %-*s %5s  %s", "chat", col, source_cols, "source", "msgs", "title · model");
        app_sgr(stdout, "0");
        fputc('\n', stdout);
    }
    for (uint64_t i = 0; i < kept; i++) {
        AkTemp t = ak_temp_begin(c->arena);
        ChatRow row;
        if (!chat_db_get_chat(c->store->db, c->arena, order[i].id, &row, &err)) {
            ak_temp_end(t);
            if (c->opt.json) fputs("\n]\n", stdout);
            return app_errorf("list: %s", err.msg), APP_EXIT_FAIL;
        }
        const ChatMeta meta = {.id = row.id, .title = row.title, .model = row.model,
                               .created = row.created, .updated = row.updated, .message_count = row.message_count,
                               .visible_count = row.visible_count, .part_count = row.part_count,
                               .source = row.source, .bytes = row.bytes, .content_hash = row.content_hash};
        const ChatMeta *m = &meta;
        if (c->opt.json) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            app_render_meta_json(stdout, m, row.uuid);
            printf(", \"messages\": %u, \"bytes\": %llu}", m->visible_count, (unsigned long long)m->bytes);
        } else {
            char when[32];
            AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
            printf("%6lld  %-16s  %-*s %5u  ", (long long)m->id, app_format_time(chat_time(m), when, sizeof when),
                   source_cols, chat_source_name(m->source), m->visible_count);
            app_out_field(stdout, title);
            if (m->model.len) {
                app_sgr(stdout, "2");
                fputs("  · ", stdout);
                app_out_field(stdout, m->model);
                app_sgr(stdout, "0");
            }
            fputc('\n', stdout);
        }
        ak_temp_end(t);
    }
    if (c->opt.json) fputs(kept ? "\n]\n" : "]\n", stdout);
    return kept ? APP_EXIT_OK : APP_EXIT_FAIL; // nothing matched: 1, as grep and rg
}

// ---- show / export ------------------------------------------------------------------------------

static const char usage_show[] =
    "usage: chatlog show CHAT [--markdown|-j|--json] [--all-branches] [--no-pager]\n"
    "  CHAT is the chat's number from `chatlog list`, its uuid, or a unique uuid prefix.\n"
    "  On a terminal the chat opens in $PAGER (default `less -R`); control characters from the\n"
    "  export are shown escaped (\\e, \\x07), never sent to the terminal.\n"
    "  --all-branches  also the edited and regenerated versions (marked off-thread), with\n"
    "                  each message's uuid and parent\n"
    "  --json          everything the store holds (as export --json)\n";
static const char usage_export[] =
    "usage: chatlog export (CHAT... | -a|--all | --search QUERY) [--markdown|-j|--json] [--all-branches]\n"
    "                      [-o|--output FILE|FOLDER]\n"
    "  Writes chats as Markdown (the default; JSON when FILE ends in .json) or JSON: to stdout,\n"
    "  to FILE (several chats one after another; JSON as one array), or into FOLDER (an existing\n"
    "  folder, or a path ending in /) as one file per chat, named NUMBER-title.md or .json.\n"
    "  Several chats, --all or --search give a JSON array; one CHAT gives one object. The JSON\n"
    "  holds every branch, uuid and parent link, and `chatlog import` reads it back.\n";

// Writes chat `h`: the loaded visible thread, or for JSON and --all-branches what the store
// holds. False with a message on stderr.
static bool render_handle(AppCtx *c, uint32_t h, FILE *out, AppFormat fmt, bool all_branches) {
    ChatError err = {{0}};
    long long id = (long long)chat_store_meta(c->store, h)->id;
    if (all_branches || fmt == APP_FORMAT_JSON) {
        if (app_render_chat_stored(out, c->store, h, fmt, &err)) return true;
        app_errorf("cannot read chat #%lld: %s", id, err.msg);
        return false;
    }
    ChatMessages *msgs = chat_store_open_chat(c->store, h, &err);
    if (!msgs || !chat_store_wait(c->store, msgs, &err)) {
        app_errorf("cannot load chat #%lld: %s", id, err.msg);
        chat_store_close_chat(c->store, msgs);
        return false;
    }
    AkTemp t = ak_scratch_begin(NULL, 0);
    AkStr uuid;
    bool ok = chat_store_uuid(c->store, h, t.arena, &uuid, &err);
    if (ok) app_render_chat(out, chat_store_meta(c->store, h), uuid, msgs, fmt);
    else app_errorf("cannot read chat #%lld: %s", id, err.msg);
    ak_scratch_end(t);
    chat_store_close_chat(c->store, msgs);
    return ok;
}

static int cmd_show(AppCtx *c, int argc, char **argv) {
    const char *usage = usage_show;
    const char *key = NULL;
    AppFormat fmt = APP_FORMAT_PLAIN;
    bool all_branches = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_ALL_BRANCHES: all_branches = true; break;
        case APP_OPT_MARKDOWN: fmt = APP_FORMAT_MARKDOWN; break;
        case APP_OPT_JSON: fmt = APP_FORMAT_JSON; break;
        case APP_OPT_OPERAND:
            if (key) return usage_error(usage, "one chat at a time (also got %s); `chatlog export` takes several", argv[i]);
            key = argv[i];
            break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!key) return usage_error(usage, "%s", "which chat? give its number or uuid");
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    ChatError err = {{0}};
    uint32_t h;
    if (!chat_store_find(c->store, key, &h, &err)) return app_errorf("%s", err.msg), APP_EXIT_FAIL;
    app_pager_start(!c->opt.no_pager);
    return render_handle(c, h, stdout, fmt, all_branches) ? APP_EXIT_OK : APP_EXIT_FAIL;
}

// "1234-why-does-my-tlsf-free-list-lose.md": the number keeps names unique, the title readable.
static AkStr export_file_name(AkArena *arena, const ChatMeta *m, AppFormat fmt) {
    char slug[48];
    size_t n = 0;
    bool dash = false;
    for (uint64_t i = 0; i < m->title.len && n < 40; i++) {
        unsigned char ch = (unsigned char)m->title.ptr[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) slug[n++] = (char)ch, dash = false;
        else if (ch >= 'A' && ch <= 'Z') slug[n++] = (char)(ch - 'A' + 'a'), dash = false;
        else if (n && !dash) slug[n++] = '-', dash = true;
    }
    while (n && slug[n - 1] == '-') n--;
    slug[n] = 0;
    return ak_str_pushf(arena, "%lld%s%s.%s", (long long)m->id, n ? "-" : "", slug, fmt == APP_FORMAT_JSON ? "json" : "md");
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

static int cmd_export(AppCtx *c, int argc, char **argv) {
    const char *usage = usage_export;
    AppFormat fmt = APP_FORMAT_MARKDOWN;
    bool format_given = false, all = false, all_branches = false;
    const char *output = NULL, *query = NULL;
    AkStrList keys = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_MARKDOWN: fmt = APP_FORMAT_MARKDOWN, format_given = true; break;
        case APP_OPT_JSON: fmt = APP_FORMAT_JSON, format_given = true; break;
        case APP_OPT_ALL: all = true; break;
        case APP_OPT_ALL_BRANCHES: all_branches = true; break;
        case APP_OPT_OUTPUT: output = v; break;
        case APP_OPT_SEARCH:
            if (!v[0]) return usage_error(usage, "%s", "--search needs a query, not an empty one");
            query = v;
            break;
        case APP_OPT_OPERAND:
            if (!ak_str_list_push(c->arena, &keys, ak_str_cstr(argv[i]))) {
                app_errorf("chatlog: out of memory for the list of chats to export\n");
                return APP_EXIT_FAIL;
            }
            break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!keys.count && !all && !query) return usage_error(usage, "%s", "which chats? give numbers or uuids, --all or --search QUERY");
    if ((keys.count != 0) + all + (query != NULL) > 1)
        return usage_error(usage, "%s", "give chats, --all or --search, one of them");
    if (output) output = app_expand_home(c->arena, output);
    if (!format_given && output && ends_with(output, ".json")) fmt = APP_FORMAT_JSON;
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;

    // The chats, in the order asked (numbers), or oldest first (--all), or best match first.
    uint32_t total = chat_store_count(c->store), n = 0;
    uint32_t *handles = ak_push_array_nz(c->arena, uint32_t, AK_MAX(total, (uint32_t)keys.count) + 1);
    ChatError err = {{0}};
    if (all) {
        for (uint32_t h = 0; h < total; h++) handles[n++] = h;
    } else if (query) {
        ChatSearchOpts so = {.limit = AK_MAX(total, 1u) * 4, .visible_only = true, .mark_open = "", .mark_close = ""};
        ChatHit *hits;
        uint32_t count;
        if (!chat_db_search(c->store->db, c->arena, query, &so, &hits, &count, &err))
            return app_errorf("export --search: %s", err.msg), APP_EXIT_FAIL;
        bool *seen = ak_push_array(c->arena, bool, total + 1);
        for (uint32_t k = 0; k < count; k++) {
            uint32_t h;
            if (chat_store_handle_of_id(c->store, hits[k].chat_id, &h) && !seen[h]) seen[h] = true, handles[n++] = h;
        }
        if (!n) return app_errorf("export --search: no chats match %s", query), APP_EXIT_FAIL;
    } else {
        for (AkStrNode *nd = keys.first; nd; nd = nd->next) {
            uint32_t h;
            const char *key = nd->str.ptr; // argv strings, NUL-terminated
            if (!chat_store_find(c->store, key, &h, &err)) return app_errorf("%s", err.msg), APP_EXIT_FAIL;
            handles[n++] = h;
        }
    }
    bool array = fmt == APP_FORMAT_JSON && !(keys.count == 1 && !all && !query);

    struct stat st;
    bool folder = output && (ends_with(output, "/") || (stat(output, &st) == 0 && S_ISDIR(st.st_mode)));
    if (folder) {
        AkStr dir = ak_str_pushf(c->arena, "%s%s", output, ends_with(output, "/") ? "" : "/");
        if (!app_make_dirs_for(ak_str_pushf(c->arena, "%sx", dir.ptr).ptr))
            return app_errorf("cannot create the folder %s: %s", dir.ptr, strerror(errno)), APP_EXIT_FAIL;
        app_out_set_raw(true); // files get the export as it is
        for (uint32_t k = 0; k < n; k++) {
            const ChatMeta *m = chat_store_meta(c->store, handles[k]);
            AkStr path = ak_str_pushf(c->arena, "%s%s", dir.ptr, export_file_name(c->arena, m, fmt).ptr);
            FILE *f = fopen(path.ptr, "w");
            if (!f) return app_errorf("cannot write %s: %s", path.ptr, strerror(errno)), APP_EXIT_FAIL;
            bool ok = render_handle(c, handles[k], f, fmt, all_branches);
            if (fclose(f) != 0 || !ok) return ok ? app_errorf("cannot write %s", path.ptr), APP_EXIT_FAIL : APP_EXIT_FAIL;
        }
        if (!c->opt.quiet) fprintf(stderr, "chatlog: wrote %u chat%s into %s\n", n, n == 1 ? "" : "s", dir.ptr);
        return APP_EXIT_OK;
    }
    FILE *out = stdout;
    if (output && strcmp(output, "-")) {
        out = fopen(output, "w");
        if (!out) return app_errorf("cannot write %s: %s", output, strerror(errno)), APP_EXIT_FAIL;
        app_out_set_raw(true);
    } else {
        app_out_set_raw(!isatty(1)); // a terminal still gets the control characters escaped
    }
    bool ok = true;
    if (array) fputs("[\n", out);
    for (uint32_t k = 0; k < n && ok; k++) {
        if (k) fputs(fmt == APP_FORMAT_JSON ? ",\n" : "\n---\n\n", out);
        ok = render_handle(c, handles[k], out, fmt, all_branches);
    }
    if (array) fputs("]\n", out);
    if (out != stdout && fclose(out) != 0 && ok) return app_errorf("cannot write %s", output), APP_EXIT_FAIL;
    return ok ? APP_EXIT_OK : APP_EXIT_FAIL;
}

// ---- search -----------------------------------------------------------------------------------

static const char usage_search[] =
    "usage: chatlog search QUERY... [--limit N] [--source SOURCE] [--since DATE] [--until DATE]\n"
    "                      [--all-branches] [-j|--json]\n"
    "  Every word must match. An argument with spaces is a phrase: 'arena allocator' (or \"...\")\n"
    "  matches the words in order. a OR b: either; -word or NOT word: without it; word*: a prefix.\n"
    "  Filters in the query: source:NAME, after:DATE, before:DATE (as --source, --since, --until).\n"
    "  Searches message text, attachments, tool output, thinking and titles, best match first:\n"
    "  --limit chats (default 20), each at its best hit with how many more it has, then how many\n"
    "  chats match. --json lists the hits themselves, --limit of them. --all-branches also\n"
    "  searches other versions of messages and hidden ones, marked off-thread.\n"
    "  Exit status 1 when nothing matches; an empty query is a usage error (2).\n";

static int cmd_search(AppCtx *c, int argc, char **argv) {
    ChatSearchOpts so = {.limit = 20, .visible_only = true, .operators = true};
    AkStrList words = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        uint64_t limit;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_LIMIT:
            if (!app_parse_count(v, &limit) || !limit || limit > UINT32_MAX) return usage_error(usage_search, "bad number for --limit: %s", v);
            so.limit = (uint32_t)limit;
            break;
        case APP_OPT_SOURCE:
            if (!parse_source(v, &so.source)) return source_error(usage_search, "--source is", v, "");
            break;
        case APP_OPT_SINCE:
            if (!app_parse_date(v, false, &so.since)) return usage_error(usage_search, "bad date for --since: %s", v);
            break;
        case APP_OPT_UNTIL:
            if (!app_parse_date(v, true, &so.until)) return usage_error(usage_search, "bad date for --until: %s", v);
            break;
        case APP_OPT_JSON: c->opt.json = true; break;
        case APP_OPT_ALL_BRANCHES: so.visible_only = false; break;
        case APP_OPT_OPERAND: {
            char why[320];
            AppQueryWord kind = app_search_filter(ak_str_cstr(argv[i]), &so, why, sizeof why);
            if (kind == APP_QUERY_BAD) return usage_error(usage_search, "%s", why);
            if (kind == APP_QUERY_FILTER) continue;
            // The shell took the quotes off "arena allocator": an argument with spaces is a
            // phrase. Quotes inside it would end the phrase early, so they go.
            AkStr w = ak_str_cstr(argv[i]);
            if (!ak_str_trim(w).len) continue; // a blank argument adds nothing (all blank: a usage error below)
            if (argv[i][0] != '"' && strpbrk(argv[i], " \t\n")) {
                char *q = ak_arena_push_nz(c->arena, w.len + 3, 1);
                if (!q) return app_errorf("search: %s", ak_arena_error(c->arena)), APP_EXIT_FAIL;
                uint64_t n = 0;
                q[n++] = '"';
                for (uint64_t k = 0; k < w.len; k++) if (w.ptr[k] != '"') q[n++] = w.ptr[k];
                q[n++] = '"';
                w = ak_str(q, n);
            }
            if (!ak_str_list_push(c->arena, &words, w)) return app_errorf("search: %s", ak_arena_error(c->arena)), APP_EXIT_FAIL;
            break;
        }
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!words.count) return usage_error(usage_search, "%s", "search needs a query, not an empty one");
    AkStr query = ak_str_list_join(c->arena, &words, AK_STR(" "));
    if (!query.ptr) return app_errorf("search: %s", ak_arena_error(c->arena)), APP_EXIT_FAIL;
    if (!app_open_db(c)) return APP_EXIT_FAIL;
    if (chat_db_index_outdated(c->store->db))
        fprintf(stderr, "chatlog: note: the search index predates accent folding for Greek and Cyrillic; "
                        "`chatlog check` (or the next import) rebuilds it\n");
    // Text output marks hits with noncharacters the output layer turns into colour or [ ],
    // after it escaped the snippet's own control characters (out.h).
    bool color = !c->opt.json && app_out_color();
    so.mark_open = c->opt.json ? "" : APP_MARK_OPEN;
    so.mark_close = c->opt.json ? "" : APP_MARK_CLOSE;
    ChatHit *hits = NULL;
    uint32_t count = 0;
    ChatError err = {{0}};
    // A listing shows --limit chats, each at its best hit with how many more it has, grouped
    // as the browser groups them (search.h); --json lists the hits themselves, --limit of them.
    ChatHitGroups groups = {0};
    if (c->opt.json ? !chat_db_search(c->store->db, c->arena, query.ptr, &so, &hits, &count, &err)
                    : !chat_db_search_grouped(c->store->db, c->arena, query.ptr, &so, &groups, &err))
        return app_errorf("search: %s", err.msg), APP_EXIT_FAIL;
    if (!c->opt.json) count = groups.count;
    if (c->opt.json) fputc('[', stdout);
    for (uint32_t i = 0; i < count; i++) {
        ChatHit *h = c->opt.json ? &hits[i] : &groups.groups[i].best;
        const char *where = h->kind == CHAT_HIT_TITLE ? "title" : h->kind == CHAT_HIT_PART ? "part" : "message";
        if (c->opt.json) {
            printf("%s\n  {\"chat\": %lld, \"uuid\": ", i ? "," : "", (long long)h->chat_id);
            app_json_str(stdout, h->chat_uuid);
            fputs(", \"title\": ", stdout);
            app_json_str(stdout, h->title);
            printf(", \"source\": \"%s\", \"in\": \"%s\", \"ordinal\": %d, \"role\": \"%s\", \"score\": %.4f, "
                   "\"created\": ", chat_source_name(h->source), where, h->ordinal,
                   h->kind == CHAT_HIT_TITLE ? "" : chat_role_name(h->role), h->score);
            app_json_time(stdout, h->created);
            // Off the seen thread: another version of a message (branch [index, count], as
            // export's `branch`), or hidden by the vendor.
            printf(", \"off_thread\": %s, \"hidden\": %s, \"branch\": ", h->off_thread ? "true" : "false",
                   h->hidden ? "true" : "false");
            if (h->off_thread && h->branch_count) printf("[%u, %u]", h->branch_index, h->branch_count);
            else fputs("null", stdout);
            fputs(", \"snippet\": ", stdout);
            app_json_str(stdout, h->snippet);
            fputc('}', stdout);
        } else {
            char when[32], thread[64] = "";
            if (h->hidden) snprintf(thread, sizeof thread, ", hidden");
            else if (h->off_thread && h->branch_count)
                snprintf(thread, sizeof thread, ", off-thread: branch %u of %u", h->branch_index, h->branch_count);
            else if (h->off_thread) snprintf(thread, sizeof thread, ", off-thread");
            AkStr title = h->title.len ? h->title : AK_STR("(untitled)");
            printf("#%lld ", (long long)h->chat_id);
            app_sgr(stdout, "1");
            app_out_field(stdout, title);
            app_sgr(stdout, "0");
            printf("  (%s, %s", chat_source_name(h->source), app_format_time(h->created, when, sizeof when));
            if (h->kind == CHAT_HIT_TITLE) printf(", title)\n");
            else if (h->kind == CHAT_HIT_PART) {
                printf(", message %d, %s ", h->ordinal + 1, chat_part_kind_name(h->part_kind));
                app_out_field(stdout, h->part_name);
                printf("%s)\n", thread);
            }
            else printf(", message %d, %s%s)\n", h->ordinal + 1, chat_role_name(h->role), thread);
            // Snippets keep the text's newlines out of the listing.
            printf("    ");
            app_out_snippet(stdout, h->snippet, color ? "\x1b[1;33m" : "[", color ? "\x1b[0m" : "]");
            printf("\n");
            uint32_t more = groups.groups[i].more;
            if (more) printf("    +%u%s more in this chat\n", more, groups.capped ? " or" : "");
        }
    }
    uint32_t chats = groups.chats;
    if (c->opt.json) fputs(count ? "\n]\n" : "]\n", stdout);
    else if (!count) app_errorf("no matches for %s", query.ptr);
    else if (chats > count)
        printf("%s%u chats match; %u more, use --limit %u\n", groups.capped ? "at least " : "", chats, chats - count,
               AK_MIN(chats, 100000u));
    else
        printf("%u chat%s match%s\n", chats, chats == 1 ? "" : "s", chats == 1 ? "es" : "");
    return count ? APP_EXIT_OK : APP_EXIT_FAIL; // nothing matched: 1, as grep and rg
}

// ---- stats ------------------------------------------------------------------------------------

static const char usage_stats[] =
    "usage: chatlog stats [-j|--json] [--memory]\n"
    "  Your history: chats and messages by source and by year, the models used most, the\n"
    "  database's size. --memory prints the memory report instead (for developers): every\n"
    "  live arena (the pool table), the loaded-chat cache and its budget.\n";

static int str_cmp(const void *a, const void *b) {
    const AkStr *x = a, *y = b;
    uint64_t n = AK_MIN(x->len, y->len);
    int r = n ? memcmp(x->ptr, y->ptr, n) : 0;
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

typedef struct ModelCount {
    AkStr model;
    uint32_t chats;
} ModelCount;

static int by_count_desc(const void *a, const void *b) {
    const ModelCount *x = a, *y = b;
    if (x->chats != y->chats) return x->chats < y->chats ? 1 : -1;
    return str_cmp(&x->model, &y->model);
}

// Counts by source are by the table's row (source.h), in its order; the last slot in use,
// chat_source_count(), is chats of no known source (a newer writer's).
enum { STATS_SOURCES = 32 };
typedef uint32_t YearChats[STATS_SOURCES];       // by source
typedef uint64_t YearMsgs[STATS_SOURCES];
enum { STATS_YEARS = 200, STATS_TOP_MODELS = 8 }; // years 1970..2169

static int cmd_stats(AppCtx *c, int argc, char **argv) {
    bool memory_only = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_JSON: c->opt.json = true; break;
        case APP_OPT_MEMORY: memory_only = true; break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    ChatDbStats ds;
    ChatError err = {{0}};
    if (!chat_db_stats(c->store->db, &ds, &err)) return app_errorf("%s", err.msg), APP_EXIT_FAIL;
    uint32_t n = chat_store_count(c->store);
    const int rows = (int)chat_source_count();
    AK_ASSERT(rows < STATS_SOURCES, "stats: %d sources, room for %d", rows, STATS_SOURCES - 1);
    uint32_t by_source[STATS_SOURCES] = {0};
    uint64_t msgs_by_source[STATS_SOURCES] = {0}, visible = 0;
    YearChats *year_chats = ak_push_array(c->arena, YearChats, STATS_YEARS);
    YearMsgs *year_msgs = ak_push_array(c->arena, YearMsgs, STATS_YEARS);
    AkStr *models = ak_push_array_nz(c->arena, AkStr, n + 1);
    double first = INFINITY, last = -INFINITY;
    for (uint32_t h = 0; h < n; h++) {
        const ChatMeta *m = chat_store_meta(c->store, h);
        const ChatSourceInfo *row = chat_source_info(m->source);
        int src = row ? (int)(row - chat_source_at(0)) : rows;
        by_source[src]++;
        msgs_by_source[src] += m->visible_count;
        visible += m->visible_count;
        models[h] = m->model;
        double t = m->created >= 0 ? m->created : chat_time(m);
        if (t >= 0) {
            first = AK_MIN(first, t), last = AK_MAX(last, chat_time(m));
            time_t secs = (time_t)t;
            struct tm tm;
            if (app_is_utc() ? gmtime_r(&secs, &tm) : localtime_r(&secs, &tm)) {
                int y = tm.tm_year + 1900 - 1970;
                if (y >= 0 && y < STATS_YEARS) year_chats[y][src]++, year_msgs[y][src] += m->visible_count;
            }
        }
    }
    // Models by the chats that use them, most first ("" is an export that names none).
    qsort(models, n, sizeof *models, str_cmp);
    ModelCount *mc = ak_push_array_nz(c->arena, ModelCount, n + 1);
    uint32_t nm = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (nm && ak_str_eq(mc[nm - 1].model, models[k])) mc[nm - 1].chats++;
        else mc[nm++] = (ModelCount){models[k], 1};
    }
    qsort(mc, nm, sizeof *mc, by_count_desc);

    ChatLruStats ls = chat_lru_stats(c->store->lru);
    AkMemStats total = ak_pool_totals(AK_POOL_KIND_COUNT);
    if (c->opt.json) {
        printf("{\"database\": ");
        app_json_str(stdout, ak_str_cstr(c->opt.db_path));
        printf(", \"chats\": %llu, ", (unsigned long long)ds.chats);
        for (int k = 0; k < rows; k++) printf("\"%s\": %u, ", chat_source_at((size_t)k)->json_key, by_source[k]);
        printf("\"messages\": %llu, \"visible_messages\": %llu, \"parts\": %llu, \"file_bytes\": %llu, \"wal_bytes\": %llu, "
               "\"schema\": %u,\n \"years\": [",
               (unsigned long long)ds.messages, (unsigned long long)visible, (unsigned long long)ds.parts,
               (unsigned long long)ds.file_bytes, (unsigned long long)ds.wal_bytes, ds.schema_version);
        bool any = false;
        for (int y = 0; y < STATS_YEARS; y++) {
            bool year_any = false;
            for (int k = 0; k < rows; k++) {
                if (!year_chats[y][k]) continue;
                printf("%s{\"year\": %d, \"source\": \"%s\", \"chats\": %u, \"messages\": %llu}", any ? ", " : "",
                       1970 + y, chat_source_at((size_t)k)->name, year_chats[y][k], (unsigned long long)year_msgs[y][k]);
                any = year_any = true;
            }
            (void)year_any;
        }
        printf("],\n \"models\": [");
        for (uint32_t k = 0; k < nm; k++) {
            printf("%s{\"model\": ", k ? ", " : "");
            app_json_str(stdout, mc[k].model);
            printf(", \"chats\": %u}", mc[k].chats);
        }
        printf("],\n \"cache\": {\"active\": %u, \"total\": %u, "
               "\"pinned\": %u, \"used\": %llu, \"budget\": %llu, \"evictions\": %llu},\n \"arenas\": {\"reserved\": %llu, "
               "\"committed\": %llu, \"used\": %llu},\n \"pool\": ",
               ls.active, ls.total, ls.pinned, (unsigned long long)ls.used, (unsigned long long)ls.budget,
               (unsigned long long)ls.evictions, (unsigned long long)total.reserved,
               (unsigned long long)total.committed, (unsigned long long)total.used);
        ak_pool_report_json(stdout);
        printf("}\n");
        return APP_EXIT_OK;
    }
    if (memory_only) {
        printf("memory: arenas reserve %.1f MB of address space, commit %.1f MB, use %.1f MB\n",
               total.reserved / 1048576.0, total.committed / 1048576.0, total.used / 1048576.0);
        printf("loaded chats: %u active of %u records, %u pinned; %.1f of %.1f MB budget; %llu evictions\n\n",
               ls.active, ls.total, ls.pinned, ls.used / 1048576.0, ls.budget / 1048576.0,
               (unsigned long long)ls.evictions);
        ak_pool_report(stdout);
        return APP_EXIT_OK;
    }
    char t0[32], t1[32];
    printf("database   ");
    app_out_field(stdout, ak_str_cstr(c->opt.db_path));
    printf(" (schema %u)\n", ds.schema_version);
    printf("size       %.1f MB on disk (+ %.1f MB write-ahead log)\n", ds.file_bytes / 1048576.0, ds.wal_bytes / 1048576.0);
    printf("chats      %llu (", (unsigned long long)ds.chats);
    for (int k = 0, shown = 0; k < rows; k++) // the headline sources always, the others when present
        if (by_source[k] || chat_source_at((size_t)k)->headline)
            printf("%s%u %s", shown++ ? ", " : "", by_source[k], chat_source_at((size_t)k)->label);
    printf(")");
    if (first <= last) printf(", %s to %s", app_format_time(first, t0, sizeof t0), app_format_time(last, t1, sizeof t1));
    printf("\nmessages   %llu on the visible threads (", (unsigned long long)visible);
    for (int k = 0, shown = 0; k < rows; k++)
        if (by_source[k] || chat_source_at((size_t)k)->headline)
            printf("%s%llu %s", shown++ ? ", " : "", (unsigned long long)msgs_by_source[k], chat_source_at((size_t)k)->label);
    printf("); %llu stored with branches, %llu structured parts\n", (unsigned long long)ds.messages,
           (unsigned long long)ds.parts);
    // By year: one column per source present, "chats / messages" (by the chat's start).
    bool header = false;
    for (int y = 0; y < STATS_YEARS; y++) {
        uint32_t chats = 0;
        for (int k = 0; k < STATS_SOURCES; k++) chats += year_chats[y][k];
        if (!chats) continue;
        if (!header) {
            app_sgr(stdout, "1");
            printf("\n%-6s", "year");
            for (int k = 0; k < rows; k++)
                if (by_source[k]) printf(" %17s", chat_source_at((size_t)k)->label);
            app_sgr(stdout, "0");
            printf("   (chats / messages)\n");
            header = true;
        }
        printf("%-6d", 1970 + y);
        for (int k = 0; k < rows; k++) {
            if (!by_source[k]) continue;
            char cell[40];
            snprintf(cell, sizeof cell, "%u / %llu", year_chats[y][k], (unsigned long long)year_msgs[y][k]);
            printf(" %17s", cell);
        }
        fputc('\n', stdout);
    }
    if (nm) {
        app_sgr(stdout, "1");
        printf("\n%-30s %6s", "top models", "chats");
        app_sgr(stdout, "0");
        fputc('\n', stdout);
        for (uint32_t k = 0; k < nm && k < STATS_TOP_MODELS; k++) {
            AkStr name = mc[k].model.len ? mc[k].model : AK_STR("(not named in the export)");
            uint64_t used = app_out_field(stdout, name);
            printf("%*s %6u\n", (int)(used < 30 ? 30 - used : 0), "", mc[k].chats);
        }
        if (nm > STATS_TOP_MODELS) printf("... and %u more\n", nm - STATS_TOP_MODELS);
    }
    return APP_EXIT_OK;
}

// ---- walk -------------------------------------------------------------------------------------

static const char usage_walk[] =
    "usage: chatlog walk [--limit N] [--json]\n"
    "  Opens every chat in turn, reads all of its messages and closes it, as a reader paging\n"
    "  through the whole history would. Prints the memory figures of the walk: chats opened,\n"
    "  evictions, the most the loaded chats and the whole process ever held, and peak RSS.\n";

static int cmd_walk(AppCtx *c, int argc, char **argv) {
    uint64_t limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_LIMIT:
            if (!app_parse_count(v, &limit)) return usage_error(usage_walk, "bad number for --limit: %s", v);
            break;
        case APP_OPT_JSON: c->opt.json = true; break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    uint32_t n = chat_store_count(c->store);
    if (limit && limit < n) n = (uint32_t)limit;
    uint64_t peak_process = ak_os_committed(), peak_lru = 0, bytes = 0, messages = 0, t0 = app_now_ns();
    for (uint32_t h = 0; h < n; h++) {
        ChatError err = {{0}};
        ChatMessages *m = chat_store_open_chat(c->store, h, &err);
        if (!m || !chat_store_wait(c->store, m, &err)) {
            fprintf(stderr, "chatlog: walk: chat #%lld: %s\n", (long long)chat_store_meta(c->store, h)->id, err.msg);
            chat_store_close_chat(c->store, m);
            return APP_EXIT_FAIL;
        }
        AkChunkedIter it;
        for (ChatMessage *msg = ChatMessageArray_first(&m->msgs, &it); msg; msg = ChatMessageArray_next(&it)) {
            messages++;
            for (uint64_t k = 0; k < msg->text.len; k += 64) bytes += (unsigned char)msg->text.ptr[k];
        }
        ChatLruStats ls = chat_lru_stats(c->store->lru);
        peak_lru = AK_MAX(peak_lru, ls.used);
        peak_process = AK_MAX(peak_process, ak_os_committed());
        chat_store_close_chat(c->store, m);
        app_trace_sample(false);
    }
    double secs = (app_now_ns() - t0) / 1e9;
    ChatLruStats ls = chat_lru_stats(c->store->lru);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (c->opt.json)
        printf("{\"chats\": %u, \"messages\": %llu, \"seconds\": %.3f, \"evictions\": %llu, \"peak_loaded\": %llu, "
               "\"loaded_budget\": %llu, \"peak_committed\": %llu, \"budget\": %llu, \"peak_rss\": %llu}\n",
               n, (unsigned long long)messages, secs, (unsigned long long)ls.evictions, (unsigned long long)peak_lru,
               (unsigned long long)ls.budget, (unsigned long long)peak_process,
               (unsigned long long)ak_os_commit_limit(), (unsigned long long)ru.ru_maxrss * 1024);
    else
        printf("walked %u chats (%llu messages) in %.2f s: %llu evictions; loaded chats peaked at %.1f of %.1f MB; "
               "the process committed at most %.1f of its %.1f MB budget; peak RSS %.1f MB (checksum %llu)\n",
               n, (unsigned long long)messages, secs, (unsigned long long)ls.evictions, peak_lru / 1048576.0,
               ls.budget / 1048576.0, peak_process / 1048576.0, ak_os_commit_limit() / 1048576.0,
               ru.ru_maxrss / 1024.0, (unsigned long long)(bytes % 1000));
    return APP_EXIT_OK;
}

// ---- main -------------------------------------------------------------------------------------

static const char usage_help[] =
    "usage: chatlog help [COMMAND]\n"
    "  The general usage (the commands, and the options every command takes), or COMMAND's:\n"
    "  the same as `chatlog COMMAND --help`.\n";

// The commands, in the order of `chatlog --help`: everything about the command line comes
// from here and from app_opts (command.h). A new command is one row (and its man page text
// and completions regenerated: `make completions`; tests/test_commands.sh says when due).
const AppCommand app_commands[] = {
    {.name = "import", .args = "EXPORT...", .usage = usage_import, .run = cmd_import,
     .summary = "import an export (.zip, folder, conversations.json) or session logs",
     .opts = APP_O(STRICT) | APP_O(SKIP_BAD) | APP_O(QUIET), .operands = APP_OPERANDS_FILES},
    {.name = "list", .args = "", .usage = usage_list, .run = cmd_list,
     .summary = "chats, newest first (filters: --since --until --source --title --model)",
     .opts = APP_O(SINCE) | APP_O(UNTIL) | APP_O(SOURCE) | APP_O(TITLE) | APP_O(MODEL) | APP_O(LIMIT) | APP_O(JSON)},
    {.name = "show", .args = "CHAT", .usage = usage_show, .run = cmd_show,
     .summary = "one chat (by number, uuid or uuid prefix), in a pager on a terminal",
     .opts = APP_O(MARKDOWN) | APP_O(JSON) | APP_O(ALL_BRANCHES), .operands = APP_OPERANDS_CHAT},
    {.name = "search", .args = "QUERY", .usage = usage_search, .run = cmd_search,
     .summary = "full-text search, ranked, with highlighted snippets",
     .opts = APP_O(LIMIT) | APP_O(SOURCE) | APP_O(SINCE) | APP_O(UNTIL) | APP_O(ALL_BRANCHES) | APP_O(JSON),
     .operands = APP_OPERANDS_QUERY},
    {.name = "export", .args = "CHAT...", .usage = usage_export, .run = cmd_export,
     .summary = "chats as Markdown or JSON (--all, --search QUERY; -o FILE or FOLDER)",
     .opts = APP_O(ALL) | APP_O(SEARCH) | APP_O(MARKDOWN) | APP_O(JSON) | APP_O(ALL_BRANCHES) | APP_O(OUTPUT),
     .operands = APP_OPERANDS_CHATS},
    {.name = "stats", .args = "", .usage = usage_stats, .run = cmd_stats,
     .summary = "chats, messages by source and year, models, database size", .opts = APP_O(JSON) | APP_O(MEMORY)},
    {.name = "check", .args = "", .usage = app_usage_check, .run = app_cmd_check,
     .summary = "the database's integrity: pages, search indexes, the store's rules", .opts = APP_O(QUICK)},
    {.name = "browse", .args = "[CHAT...]", .usage = app_usage_browse, .run = cmd_browse,
     .summary = "the terminal browser: chat list, search, tabs (? for keys)", .operands = APP_OPERANDS_CHATS},
    {.name = "help", .args = "[COMMAND]", .usage = usage_help, .run = NULL, // main prints it
     .summary = "this text, or a command's", .operands = APP_OPERANDS_COMMAND},
    {.name = "walk", .args = "", .usage = usage_walk, .run = cmd_walk, .developer = true,
     .summary = "open every chat in turn, as a reader would; prints memory figures", .opts = APP_O(LIMIT) | APP_O(JSON)},
};
const size_t app_command_count = AK_ARRAY_COUNT(app_commands);

static bool wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
    return false;
}

// A short flag's long option (-n: --limit), or NULL: the short flags of app_opts.
static const char *long_of_short(const char *a) {
    if (a[0] != '-' || !a[1] || a[2]) return NULL;
    for (int id = 1; id < APP_OPT_COUNT; id++)
        if (app_opts[id].short_flag && app_opts[id].short_flag == a[1]) return app_opts[id].name;
    return NULL;
}

// Takes the options every command shares out of argv wherever they stand (before or after
// the command, up to a `--`), turns short flags into long ones, and leaves the command and its
// own arguments in argv[0..*argc). Returns -1 to go on, else an exit status (help, version,
// a usage error).
static int take_global_options(AppCtx *c, int *argc, char **argv, AppColorMode *color) {
    int n = 1;
    bool rest = false;
    for (int i = 1; i < *argc; i++) {
        char *a = argv[i];
        const char *v;
        if (rest || a[0] != '-') {
            argv[n++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { // what follows is the command's words, even if they start with -
            rest = true;
            continue;
        }
        const char *long_name = long_of_short(a); // -n 20 (or -n20), -j, -q...: the long options
        if (long_name) a = argv[i] = (char *)long_name;
        if (a[1] == 'n' && a[2] >= '0' && a[2] <= '9') // -n20
            a = argv[i] = (char *)ak_str_pushf(c->arena, "--limit=%s", a + 2).ptr;
        if ((v = app_opt_value(*argc, argv, &i, "--db"))) c->opt.db_path = app_expand_home(c->arena, v);
        else if ((v = app_opt_value(*argc, argv, &i, "--memory-budget"))) {
            if (!app_parse_size(v, &c->opt.memory_budget) || c->opt.memory_budget < AK_MB(4))
                return usage_error(usage_main, "--memory-budget needs a size of at least 4M, like 64M or 1G, not %s", v);
        } else if ((v = app_opt_value(*argc, argv, &i, "--memory-trace"))) c->opt.trace_path = v;
        else if (!strncmp(a, "--color=", 8) || !strcmp(a, "--colour") || !strncmp(a, "--colour=", 9) ||
                 !strcmp(a, "--color")) {
            const char *w = strchr(a, '=') ? strchr(a, '=') + 1 : "always";
            // `--color never` (a separate word) too, when the word is one of the three.
            AppColorMode m;
            if (!strchr(a, '=') && i + 1 < *argc && app_parse_color(argv[i + 1], &m)) w = argv[++i];
            if (!app_parse_color(w, color)) return usage_error(usage_main, "--color is auto, always or never, not %s", w);
        } else if (!strcmp(a, "--no-color")) *color = APP_COLOR_NEVER;
        else if (!strcmp(a, "--no-pager")) c->opt.no_pager = true;
        else if (!strcmp(a, "--utc")) app_set_utc(true);
        else if (!strcmp(a, "--version")) return printf("chatlog %s (arenakit %s)\n", APP_VERSION, APP_VERSION), APP_EXIT_OK;
        else if (n == 1 && (!strcmp(a, "--help") || !strcmp(a, "-h"))) return print_usage(stdout), APP_EXIT_OK;
        else if (n == 1) return usage_error(usage_main, "unknown option %s", a); // before any command
        else if (app_opt_missing(a)) return usage_error(usage_main, "%s", a);
        else argv[n++] = a; // the command's own option
    }
    *argc = n;
    return -1;
}

int main(int argc, char **argv) {
    ak_leak_check_at_exit();
    AppCtx c = {0};
    c.arena = ak_arena_create(.name = "command");
    if (!c.arena) return fprintf(stderr, "chatlog: %s\n", ak_arena_last_create_error()), APP_EXIT_FAIL;
    int rc = APP_EXIT_FAIL;
    AppColorMode color = APP_COLOR_AUTO;
    // Hidden: the generated completions and man page text (make completions, command_docs.c).
    if (argc == 3 && !strcmp(argv[1], "--print-completion")) {
        rc = app_print_completion(stdout, argv[2]) ? APP_EXIT_OK : usage_error(usage_main, "--print-completion is bash or zsh, not %s", argv[2]);
        goto done;
    }
    if (argc == 3 && !strcmp(argv[1], "--print-man")) {
        rc = app_print_man(stdout, argv[2]) ? APP_EXIT_OK : usage_error(usage_main, "--print-man is synopsis, commands, developer or short-flags, not %s", argv[2]);
        goto done;
    }
    int early = take_global_options(&c, &argc, argv, &color);
    if (early >= 0) {
        rc = early;
        goto done;
    }
    app_out_setup(color);
    if (argc < 2) { // a bare `chatlog`: the whole usage is what a newcomer wants to see
        print_usage(stderr);
        rc = APP_EXIT_USAGE;
        goto done;
    }
    int i = 1;
    bool help = !strcmp(argv[i], "help"); // `chatlog help` and `chatlog help CMD`
    if (help && argc < 3) {
        print_usage(stdout);
        rc = APP_EXIT_OK;
        goto done;
    }
    if (help) i = 2;
    // `chatlog help --help` is help's own usage.
    const AppCommand *cmd = app_command_find(help && !strcmp(argv[i], "--help") ? "help" : argv[i]);
    if (!cmd) {
        const char *names[64];
        size_t count = AK_MIN(app_command_count, AK_ARRAY_COUNT(names));
        for (size_t k = 0; k < count; k++) names[k] = app_commands[k].name;
        const char *near = app_closest(argv[i], names, count);
        if (near) app_errorf("unknown command %s (did you mean %s?); see `chatlog --help`", argv[i], near);
        else app_errorf("unknown command %s; see `chatlog --help` for the commands", argv[i]);
        rc = APP_EXIT_USAGE;
        goto done;
    }
    if (help || wants_help(argc - i, argv + i)) { // `help CMD`, `CMD --help` (before the config is read)
        fputs(cmd->usage, stdout);
        rc = APP_EXIT_OK;
        goto done;
    }
    c.cmd = cmd;
    if (!app_load_config(&c.opt, c.arena)) goto done;
    uint64_t budget = c.opt.memory_budget ? c.opt.memory_budget : APP_DEFAULT_BUDGET;
    if (!app_memory_begin(budget)) goto done;
    if (c.opt.trace_path && !app_trace_open(c.opt.trace_path, argc, argv, budget)) {
        app_errorf("cannot write the memory trace %s", c.opt.trace_path);
        app_memory_end();
        goto done;
    }
    rc = cmd->run(&c, argc - i, argv + i);
    app_trace_sample(true);
    chat_store_close(c.store);
    app_trace_close();
    app_memory_end();
done:
    if (fflush(stdout) != 0 && rc == APP_EXIT_OK && errno != EPIPE) rc = APP_EXIT_FAIL;
    app_pager_end();
    ak_arena_release(c.arena);
    ak_scratch_release_thread();
    return rc;
}
