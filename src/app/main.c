// main.c: chatlog, the program a person runs. Parses the common options, opens the store,
// and runs one command: import, list, show, search, export, stats (and browse). Exit codes:
// 0 success, 1 the command failed (message on stderr), 2 the command line was wrong, 3 an
// import committed what it could read but skipped something (listed on stderr).
#include "app/browse.h"
#include "app/cli.h"
#include "app/firstrun.h"
#include "app/progress.h"
#include "app/render.h"
#include "app/trace.h"
#include "arenakit/arenakit.h"
#include "chat/store.h"

#include <math.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage_main =
    "usage: chatlog [--db PATH] [--memory-budget SIZE] COMMAND [ARGS]\n"
    "\n"
    "Keeps your Claude.ai and ChatGPT history in one SQLite database and searches it.\n"
    "\n"
    "commands:\n"
    "  import EXPORT...   import conversations.json, an export folder or the export .zip\n"
    "  list               chats, newest first (filters: --since --until --source --title)\n"
    "  show CHAT          one chat (by number, uuid or uuid prefix); --markdown\n"
    "  search QUERY       full-text search, ranked, with highlighted snippets\n"
    "  export CHAT        one chat as --markdown or --json\n"
    "  stats              chats, messages, database size and the memory report\n"
    "  walk               open every chat in turn, as a reader would; prints memory figures\n"
    "  check              the database's integrity: pages, search indexes, the store's rules\n"
    "  browse             the terminal browser: chat list, search, tabs (? for keys)\n"
    "\n"
    "options:\n"
    "  --db PATH             database file (default: $XDG_DATA_HOME/chatlog/chatlog.db)\n"
    "  --memory-budget SIZE  memory for the whole process (arenas, SQLite, loaded chats),\n"
    "                        e.g. 64M (default 256M); past it chatlog evicts, shrinks caches\n"
    "                        or fails with a clear message, never grows beyond it\n"
    "  --memory-trace FILE   record every arena's memory over time (draw it: tools/memplot)\n"
    "  --help                this text; `chatlog COMMAND --help` for a command\n"
    "\n"
    "settings file: $XDG_CONFIG_HOME/chatlog/config (`memory-budget = 64M`, `db = PATH`)\n";


static int usage_error(const char *usage, const char *fmt, const char *arg) {
    fprintf(stderr, "chatlog: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return APP_EXIT_USAGE;
}

static bool wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return true;
    return false;
}

// ---- import -----------------------------------------------------------------------------------

static const char *usage_import =
    "usage: chatlog import [--strict | --skip-bad] [--quiet] EXPORT...\n"
    "  EXPORT is a conversations.json (or conversations-NNN.json), an unpacked export folder,\n"
    "  or the export .zip from Claude.ai or ChatGPT; also Claude Code (~/.claude/projects), Codex\n"
    "  CLI (~/.codex/sessions) and a Google Takeout of Gemini Apps. The format is detected from\n"
    "  the content.\n"
    "  Importing again adds new chats and updates changed ones, but never replaces a chat with an\n"
    "  older copy (by update time, then message count). A conversation that cannot be\n"
    "  read is skipped and named, the rest is imported, and the exit status is 3. A file that\n"
    "  is not valid JSON (cut short, bad UTF-8) imports nothing and exits 1.\n"
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
    if (wants_help(argc, argv)) return fputs(usage_import, stdout), APP_EXIT_OK;
    bool skip_bad = false, strict = false;
    int first = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--skip-bad")) skip_bad = true;
        else if (!strcmp(argv[i], "--strict")) strict = true;
        else if (!strcmp(argv[i], "--quiet")) c->opt.quiet = true;
        else if (argv[i][0] == '-' && argv[i][1]) return usage_error(usage_import, "unknown option %s", argv[i]);
        else {
            if (!first) first = i;
            argv[first + n++] = argv[i];
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
            fprintf(stderr, "chatlog: import of %s failed, nothing was imported: %s\n", path, err.msg);
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
        if (r->bad) printf(", %u bad skipped", r->bad);
        if (r->broken_files) printf(", %u file%s not valid JSON", r->broken_files, r->broken_files == 1 ? "" : "s");
        if ((r->bad || r->broken_files) && rc == APP_EXIT_OK) rc = APP_EXIT_PARTIAL;
        for (uint32_t b = 0; b < r->bad_listed; b++) fprintf(stderr, "chatlog: skipped %.*s\n", AK_STR_FMT(r->bad_list[b]));
        if (r->bad > r->bad_listed) fprintf(stderr, "chatlog: ... and %u more bad conversations\n", r->bad - r->bad_listed);
        if (r->unknown_parts) printf(", %u unknown blocks kept as raw JSON", r->unknown_parts);
        printf("\n");
        if (res.kept_newer)
            printf("%s: %u chat%s kept newer: the database holds a newer copy than this export\n", path,
                   res.kept_newer, res.kept_newer == 1 ? "" : "s");
        if (res.duplicates)
            printf("%s: the export holds %u extra cop%s of chats it already had (same uuid); the newest copy "
                   "of each chat was kept\n", path, res.duplicates, res.duplicates == 1 ? "y" : "ies");
        if (r->chats == 0 && r->bad == 0 && r->broken_files == 0) printf("%s: the export holds no conversations\n", path);
    }
    if (!imported) app_first_run_undo(c, &first_run);
    return rc;
}

// ---- list -------------------------------------------------------------------------------------

static const char *usage_list =
    "usage: chatlog list [--since DATE] [--until DATE] [--source SOURCE] [--title TEXT]\n"
    "                    [--limit N] [--json]\n"
    "  Chats newest first (by last update). DATE is 2025-06-03 or 2025-06-03T19:40.\n"
    "  --title keeps chats whose title contains TEXT (ASCII letters match either case).\n";

typedef struct ListFilter {
    double since, until;
    ChatSource source;
    AkStr title;
    uint64_t limit;
} ListFilter;

static bool parse_source(const char *s, ChatSource *out) {
    if (!strcmp(s, "claude")) *out = CHAT_SOURCE_CLAUDE;
    else if (!strcmp(s, "chatgpt")) *out = CHAT_SOURCE_CHATGPT;
    else if (!strcmp(s, "claude-code")) *out = CHAT_SOURCE_CLAUDE_CODE;
    else if (!strcmp(s, "codex")) *out = CHAT_SOURCE_CODEX;
    else if (!strcmp(s, "gemini")) *out = CHAT_SOURCE_GEMINI;
    else return false;
    return true;
}

static double chat_time(const ChatMeta *m) { return m->updated >= 0 ? m->updated : m->created; }

static bool title_contains(AkStr title, AkStr needle) {
    if (!needle.len) return true;
    for (uint64_t i = 0; i + needle.len <= title.len; i++)
        if (ak_str_eq_nocase(ak_str(title.ptr + i, needle.len), needle)) return true;
    return false;
}

static ChatStore *sort_store;
static int by_time_desc(const void *a, const void *b) {
    const ChatMeta *x = chat_store_meta(sort_store, *(const uint32_t *)a);
    const ChatMeta *y = chat_store_meta(sort_store, *(const uint32_t *)b);
    double tx = chat_time(x), ty = chat_time(y);
    if (tx != ty) return tx < ty ? 1 : -1;
    return x->id < y->id ? 1 : -1;
}

static int cmd_list(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_list, stdout), APP_EXIT_OK;
    ListFilter f = {.since = -INFINITY, .until = INFINITY};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = app_opt_value(argc, argv, &i, "--since"))) {
            if (!app_parse_date(v, false, &f.since)) return usage_error(usage_list, "bad date for --since: %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--until"))) {
            if (!app_parse_date(v, true, &f.until)) return usage_error(usage_list, "bad date for --until: %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--source"))) {
            if (!parse_source(v, &f.source)) return usage_error(usage_list, "--source is claude, chatgpt, claude-code, codex or gemini, not %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--title"))) {
            f.title = ak_str_cstr(v);
        } else if ((v = app_opt_value(argc, argv, &i, "--limit"))) {
            if (!app_parse_count(v, &f.limit)) return usage_error(usage_list, "bad number for --limit: %s", v);
        } else if (!strcmp(argv[i], "--json")) {
            c->opt.json = true;
        } else {
            return usage_error(usage_list, "unknown argument %s", argv[i]);
        }
    }
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    uint32_t n = chat_store_count(c->store), kept = 0;
    uint32_t *order = ak_push_array_nz(c->arena, uint32_t, n ? n : 1);
    for (uint32_t h = 0; h < n; h++) {
        const ChatMeta *m = chat_store_meta(c->store, h);
        double t = chat_time(m);
        if (f.source && m->source != f.source) continue;
        if (t < f.since || t > f.until) continue;
        if (!title_contains(m->title, f.title)) continue;
        order[kept++] = h;
    }
    sort_store = c->store;
    qsort(order, kept, sizeof *order, by_time_desc);
    if (f.limit && kept > f.limit) kept = (uint32_t)f.limit;
    if (c->opt.json) fputc('[', stdout);
    for (uint32_t i = 0; i < kept; i++) {
        const ChatMeta *m = chat_store_meta(c->store, order[i]);
        if (c->opt.json) {
            fputs(i ? ",\n  " : "\n  ", stdout);
            app_render_meta_json(stdout, m);
            printf(", \"messages\": %u, \"bytes\": %llu}", m->visible_count, (unsigned long long)m->bytes);
        } else {
            char when[32];
            AkStr title = m->title.len ? m->title : AK_STR("(untitled)");
            printf("%6lld  %-16s  %-7s %5u  %.*s\n", (long long)m->id, app_format_time(chat_time(m), when, sizeof when),
                   chat_source_name(m->source), m->visible_count, AK_STR_FMT(title));
        }
    }
    if (c->opt.json) fputs(kept ? "\n]\n" : "]\n", stdout);
    return APP_EXIT_OK;
}

// ---- show / export ------------------------------------------------------------------------------

static const char *usage_show =
    "usage: chatlog show CHAT [--markdown|--json] [--all-branches]\n"
    "  CHAT is the chat's number from `chatlog list`, its uuid, or a unique uuid prefix.\n"
    "  --all-branches  also the edited and regenerated versions (marked off-thread), with\n"
    "                  each message's uuid and parent\n"
    "  --json          everything the store holds (as export --json)\n";
static const char *usage_export =
    "usage: chatlog export CHAT --markdown|--json [--all-branches]\n"
    "  Writes the chat to stdout as Markdown or JSON (redirect it to a file). The JSON holds\n"
    "  every branch, uuid and parent link, and `chatlog import` reads it back.\n";

static int show_chat(AppCtx *c, int argc, char **argv, const char *usage, bool need_format) {
    if (wants_help(argc, argv)) return fputs(usage, stdout), APP_EXIT_OK;
    const char *key = NULL;
    AppFormat fmt = APP_FORMAT_PLAIN;
    bool format_given = false, all_branches = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all-branches")) all_branches = true;
        else if (!strcmp(argv[i], "--markdown")) fmt = APP_FORMAT_MARKDOWN, format_given = true;
        else if (!strcmp(argv[i], "--json")) fmt = APP_FORMAT_JSON, format_given = true;
        else if (argv[i][0] == '-' && argv[i][1]) return usage_error(usage, "unknown option %s", argv[i]);
        else if (key) return usage_error(usage, "one chat at a time (also got %s)", argv[i]);
        else key = argv[i];
    }
    if (!key) return usage_error(usage, "%s", "which chat? give its number or uuid");
    if (need_format && !format_given) return usage_error(usage, "%s", "export needs --markdown or --json");
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    ChatError err = {{0}};
    uint32_t h;
    if (!chat_store_find(c->store, key, &h, &err)) return fprintf(stderr, "chatlog: %s\n", err.msg), APP_EXIT_FAIL;
    if (all_branches || fmt == APP_FORMAT_JSON) { // what the store holds, not the loaded thread
        if (app_render_chat_stored(stdout, c->store, h, fmt, &err)) return APP_EXIT_OK;
        fprintf(stderr, "chatlog: cannot read chat %s: %s\n", key, err.msg);
        return APP_EXIT_FAIL;
    }
    ChatMessages *msgs = chat_store_open_chat(c->store, h, &err);
    if (!msgs || !chat_store_wait(c->store, msgs, &err)) {
        fprintf(stderr, "chatlog: cannot load chat %s: %s\n", key, err.msg);
        chat_store_close_chat(c->store, msgs);
        return APP_EXIT_FAIL;
    }
    app_render_chat(stdout, chat_store_meta(c->store, h), msgs, fmt);
    chat_store_close_chat(c->store, msgs);
    return APP_EXIT_OK;
}

static int cmd_show(AppCtx *c, int argc, char **argv) { return show_chat(c, argc, argv, usage_show, false); }
static int cmd_export(AppCtx *c, int argc, char **argv) { return show_chat(c, argc, argv, usage_export, true); }

// ---- search -----------------------------------------------------------------------------------

static const char *usage_search =
    "usage: chatlog search QUERY... [--limit N] [--source SOURCE] [--since DATE] [--until DATE]\n"
    "                      [--all-branches] [--json]\n"
    "  Every word must match. An argument with spaces is a phrase: 'arena allocator' (or \"...\")\n"
    "  matches the words in order. a OR b: either; -word or NOT word: without it; word*: a prefix.\n"
    "  Filters in the query: source:NAME, after:DATE, before:DATE (as --source, --since, --until).\n"
    "  Searches message text, attachments, tool output, thinking and titles, best match first:\n"
    "  --limit chats (default 20), each at its best hit with how many more it has, then how many\n"
    "  chats match. --json lists the hits themselves, --limit of them.\n";

// A query word of the form key:value that is a filter: applied to `so`, true. A word like
// `x:y` whose key is no filter is text (false, *rc untouched); a filter we do not have, or a
// bad value, is a usage error (*rc set).
static bool search_filter(const char *w, ChatSearchOpts *so, int *rc) {
    const char *colon = strchr(w, ':');
    if (!colon || colon == w) return false;
    AkStr key = ak_str(w, (uint64_t)(colon - w));
    const char *v = colon + 1;
    if (ak_str_eq(key, AK_STR("source"))) {
        if (!parse_source(v, &so->source))
            *rc = usage_error(usage_search, "source: is claude, chatgpt, claude-code, codex or gemini, not '%s'", v);
    } else if (ak_str_eq(key, AK_STR("after")) || ak_str_eq(key, AK_STR("since"))) {
        if (!app_parse_date(v, false, &so->since)) *rc = usage_error(usage_search, "bad date in %s", w);
    } else if (ak_str_eq(key, AK_STR("before")) || ak_str_eq(key, AK_STR("until"))) {
        if (!app_parse_date(v, true, &so->until)) *rc = usage_error(usage_search, "bad date in %s", w);
    } else if (ak_str_eq(key, AK_STR("title")) || ak_str_eq(key, AK_STR("model")) || ak_str_eq(key, AK_STR("role")) ||
               ak_str_eq(key, AK_STR("author")) || ak_str_eq(key, AK_STR("in"))) {
        *rc = usage_error(usage_search, "%s is not a search filter (filters: source:, after:, before:); "
                          "search the words themselves, or use `chatlog list --title TEXT` for titles", w);
    } else {
        return false;
    }
    return true;
}

static int cmd_search(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_search, stdout), APP_EXIT_OK;
    ChatSearchOpts so = {.limit = 20, .visible_only = true, .operators = true};
    AkStrList words = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = app_opt_value(argc, argv, &i, "--limit"))) {
            uint64_t n;
            if (!app_parse_count(v, &n) || !n || n > UINT32_MAX) return usage_error(usage_search, "bad number for --limit: %s", v);
            so.limit = (uint32_t)n;
        } else if ((v = app_opt_value(argc, argv, &i, "--source"))) {
            if (!parse_source(v, &so.source)) return usage_error(usage_search, "--source is claude, chatgpt, claude-code, codex or gemini, not %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--since"))) {
            if (!app_parse_date(v, false, &so.since)) return usage_error(usage_search, "bad date for --since: %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--until"))) {
            if (!app_parse_date(v, true, &so.until)) return usage_error(usage_search, "bad date for --until: %s", v);
        } else if (!strcmp(argv[i], "--json")) {
            c->opt.json = true;
        } else if (!strcmp(argv[i], "--all-branches")) {
            so.visible_only = false;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return usage_error(usage_search, "unknown option %s", argv[i]);
        } else {
            int rc = -1;
            if (search_filter(argv[i], &so, &rc)) {
                if (rc >= 0) return rc;
                continue;
            }
            // The shell took the quotes off "arena allocator": an argument with spaces is a
            // phrase. Quotes inside it would end the phrase early, so they go.
            AkStr w = ak_str_cstr(argv[i]);
            if (argv[i][0] != '"' && strpbrk(argv[i], " \t\n")) {
                char *q = ak_arena_push_nz(c->arena, w.len + 3, 1);
                uint64_t n = 0;
                q[n++] = '"';
                for (uint64_t k = 0; k < w.len; k++) if (w.ptr[k] != '"') q[n++] = w.ptr[k];
                q[n++] = '"';
                w = ak_str(q, n);
            }
            ak_str_list_push(c->arena, &words, w);
        }
    }
    if (!words.count) return usage_error(usage_search, "%s", "search needs a query");
    AkStr query = ak_str_list_join(c->arena, &words, AK_STR(" "));
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    bool color = !c->opt.json && isatty(1);
    so.mark_open = color ? "\x1b[1;33m" : (c->opt.json ? "" : "[");
    so.mark_close = color ? "\x1b[0m" : (c->opt.json ? "" : "]");
    ChatHit *hits;
    uint32_t count;
    ChatError err = {{0}};
    // A listing shows --limit chats, each at its best hit with how many more it has, so it
    // asks for more hits than it shows (the count of the rest is exact up to that many);
    // --json lists the hits themselves, --limit of them.
    uint32_t shown = so.limit;
    if (!c->opt.json) so.limit = (uint32_t)AK_MIN(AK_MAX((uint64_t)shown * 10, 500), 100000);
    if (!chat_db_search(c->store->db, c->arena, query.ptr, &so, &hits, &count, &err))
        return fprintf(stderr, "chatlog: search: %s\n", err.msg), APP_EXIT_FAIL;
    bool capped = count == so.limit;
    uint32_t *more = NULL, chats = 0;
    if (!c->opt.json && count) {
        // Group by chat: best[] keeps the first (best) hit of each chat, more[] its other hits.
        uint32_t *best = ak_push_array(c->arena, uint32_t, count);
        more = ak_push_array(c->arena, uint32_t, count);
        int64_t *ids = ak_push_array(c->arena, int64_t, count);
        if (!best || !more || !ids) return fprintf(stderr, "chatlog: search: no memory for %u hits\n", count), APP_EXIT_FAIL;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t g = 0;
            while (g < chats && ids[g] != hits[i].chat_id) g++;
            if (g == chats) ids[chats] = hits[i].chat_id, best[chats] = i, more[chats++] = 0;
            else more[g]++;
        }
        for (uint32_t g = 0; g < chats; g++) hits[g] = hits[best[g]];
        count = AK_MIN(chats, shown);
    }
    if (c->opt.json) fputc('[', stdout);
    for (uint32_t i = 0; i < count; i++) {
        ChatHit *h = &hits[i];
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
            fputs(", \"snippet\": ", stdout);
            app_json_str(stdout, h->snippet);
            fputc('}', stdout);
        } else {
            char when[32];
            AkStr title = h->title.len ? h->title : AK_STR("(untitled)");
            printf("#%lld %.*s  (%s, %s", (long long)h->chat_id, AK_STR_FMT(title), chat_source_name(h->source),
                   app_format_time(h->created, when, sizeof when));
            if (h->kind == CHAT_HIT_TITLE) printf(", title)\n");
            else if (h->kind == CHAT_HIT_PART)
                printf(", message %d, %s %.*s)\n", h->ordinal + 1, chat_part_kind_name(h->part_kind), AK_STR_FMT(h->part_name));
            else printf(", message %d, %s)\n", h->ordinal + 1, chat_role_name(h->role));
            // Snippets keep the text's newlines out of the listing.
            printf("    ");
            for (uint64_t k = 0; k < h->snippet.len; k++) putchar(h->snippet.ptr[k] == '\n' ? ' ' : h->snippet.ptr[k]);
            printf("\n");
            if (more[i]) printf("    +%u%s more in this chat\n", more[i], capped ? " or" : "");
        }
    }
    if (c->opt.json) fputs(count ? "\n]\n" : "]\n", stdout);
    else if (!count) fprintf(stderr, "no matches for %s\n", query.ptr);
    else if (chats > count)
        printf("%s%u chats match; %u more, use --limit %u\n", capped ? "at least " : "", chats, chats - count,
               AK_MIN(chats, 100000u));
    else
        printf("%u chat%s match%s\n", chats, chats == 1 ? "" : "s", chats == 1 ? "es" : "");
    return APP_EXIT_OK;
}

// ---- stats ------------------------------------------------------------------------------------

static const char *usage_stats =
    "usage: chatlog stats [--json] [--memory]\n"
    "  Chats, messages and database size; then the memory report: every live arena (the pool\n"
    "  table), the loaded-chat cache and its budget. --memory prints only the memory report.\n";

static int cmd_stats(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_stats, stdout), APP_EXIT_OK;
    bool memory_only = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) c->opt.json = true;
        else if (!strcmp(argv[i], "--memory")) memory_only = true;
        else return usage_error(usage_stats, "unknown argument %s", argv[i]);
    }
    if (!app_open_store(c, false)) return APP_EXIT_FAIL;
    ChatDbStats ds;
    ChatError err = {{0}};
    if (!chat_db_stats(c->store->db, &ds, &err)) return fprintf(stderr, "chatlog: %s\n", err.msg), APP_EXIT_FAIL;
    uint32_t by_source[CHAT_SOURCE_GEMINI + 1] = {0};
    for (uint32_t h = 0; h < chat_store_count(c->store); h++) by_source[chat_store_meta(c->store, h)->source % (CHAT_SOURCE_GEMINI + 1)]++;
    ChatLruStats ls = chat_lru_stats(c->store->lru);
    AkMemStats total = ak_pool_totals(AK_POOL_KIND_COUNT);
    if (c->opt.json) {
        printf("{\"database\": ");
        app_json_str(stdout, ak_str_cstr(c->opt.db_path));
        printf(", \"chats\": %llu, \"claude\": %u, \"chatgpt\": %u, \"claude_code\": %u, \"codex\": %u, \"gemini\": %u, \"messages\": %llu, \"parts\": %llu, "
               "\"file_bytes\": %llu, \"wal_bytes\": %llu, \"schema\": %u,\n \"cache\": {\"active\": %u, \"total\": %u, "
               "\"pinned\": %u, \"used\": %llu, \"budget\": %llu, \"evictions\": %llu},\n \"arenas\": {\"reserved\": %llu, "
               "\"committed\": %llu, \"used\": %llu},\n \"pool\": ",
               (unsigned long long)ds.chats, by_source[CHAT_SOURCE_CLAUDE], by_source[CHAT_SOURCE_CHATGPT],
               by_source[CHAT_SOURCE_CLAUDE_CODE], by_source[CHAT_SOURCE_CODEX], by_source[CHAT_SOURCE_GEMINI],
               (unsigned long long)ds.messages, (unsigned long long)ds.parts, (unsigned long long)ds.file_bytes,
               (unsigned long long)ds.wal_bytes, ds.schema_version, ls.active, ls.total, ls.pinned,
               (unsigned long long)ls.used, (unsigned long long)ls.budget, (unsigned long long)ls.evictions,
               (unsigned long long)total.reserved, (unsigned long long)total.committed, (unsigned long long)total.used);
        ak_pool_report_json(stdout);
        printf("}\n");
        return APP_EXIT_OK;
    }
    if (!memory_only) {
        printf("database   %s (schema %u)\n", c->opt.db_path, ds.schema_version);
        printf("chats      %llu (%u Claude, %u ChatGPT", (unsigned long long)ds.chats, by_source[CHAT_SOURCE_CLAUDE],
               by_source[CHAT_SOURCE_CHATGPT]);
        static const char *const more[] = {[CHAT_SOURCE_CLAUDE_CODE] = "Claude Code", [CHAT_SOURCE_CODEX] = "Codex",
                                           [CHAT_SOURCE_GEMINI] = "Gemini"};
        for (int k = CHAT_SOURCE_CLAUDE_CODE; k <= CHAT_SOURCE_GEMINI; k++) // the newer sources when present
            if (by_source[k]) printf(", %u %s", by_source[k], more[k]);
        printf(")\n");
        printf("messages   %llu, with %llu structured parts\n", (unsigned long long)ds.messages, (unsigned long long)ds.parts);
        printf("size       %.1f MB on disk (+ %.1f MB write-ahead log)\n\n", ds.file_bytes / 1048576.0,
               ds.wal_bytes / 1048576.0);
    }
    printf("memory: arenas reserve %.1f MB of address space, commit %.1f MB, use %.1f MB\n", total.reserved / 1048576.0,
           total.committed / 1048576.0, total.used / 1048576.0);
    printf("loaded chats: %u active of %u records, %u pinned; %.1f of %.1f MB budget; %llu evictions\n\n", ls.active,
           ls.total, ls.pinned, ls.used / 1048576.0, ls.budget / 1048576.0, (unsigned long long)ls.evictions);
    ak_pool_report(stdout);
    return APP_EXIT_OK;
}

// ---- walk -------------------------------------------------------------------------------------

static const char *usage_walk =
    "usage: chatlog walk [--limit N] [--json]\n"
    "  Opens every chat in turn, reads all of its messages and closes it, as a reader paging\n"
    "  through the whole history would. Prints the memory figures of the walk: chats opened,\n"
    "  evictions, the most the loaded chats and the whole process ever held, and peak RSS.\n";

static int cmd_walk(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_walk, stdout), APP_EXIT_OK;
    uint64_t limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = app_opt_value(argc, argv, &i, "--limit"))) {
            if (!app_parse_count(v, &limit)) return usage_error(usage_walk, "bad number for --limit: %s", v);
        } else if (!strcmp(argv[i], "--json")) {
            c->opt.json = true;
        } else {
            return usage_error(usage_walk, "unknown argument %s", argv[i]);
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

typedef struct AppCommand {
    const char *name;
    int (*run)(AppCtx *c, int argc, char **argv);
} AppCommand;

static const AppCommand commands[] = {
    {"import", cmd_import}, {"list", cmd_list},     {"show", cmd_show},
    {"search", cmd_search}, {"export", cmd_export}, {"stats", cmd_stats},
    {"walk", cmd_walk},
    {"check", app_cmd_check},
    {"browse", cmd_browse},
};

int main(int argc, char **argv) {
    ak_leak_check_at_exit();
    AppCtx c = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(usage_main, stdout), APP_EXIT_OK;
        if ((v = app_opt_value(argc, argv, &i, "--db"))) c.opt.db_path = v;
        else if ((v = app_opt_value(argc, argv, &i, "--memory-budget"))) {
            if (!app_parse_size(v, &c.opt.memory_budget) || c.opt.memory_budget < AK_MB(4))
                return usage_error(usage_main, "--memory-budget needs a size of at least 4M, like 64M or 1G, not %s", v);
        } else if ((v = app_opt_value(argc, argv, &i, "--memory-trace"))) c.opt.trace_path = v;
        else return usage_error(usage_main, "unknown option %s", argv[i]);
    }
    if (i >= argc) return usage_error(usage_main, "%s", "which command?");
    const AppCommand *cmd = NULL;
    for (size_t k = 0; k < AK_ARRAY_COUNT(commands); k++)
        if (!strcmp(argv[i], commands[k].name)) cmd = &commands[k];
    if (!cmd) return usage_error(usage_main, "unknown command %s", argv[i]);
    c.arena = ak_arena_create(.name = "command");
    if (!c.arena) return fprintf(stderr, "chatlog: %s\n", ak_arena_last_create_error()), APP_EXIT_FAIL;
    int rc = APP_EXIT_FAIL;
    if (!app_load_config(&c.opt, c.arena)) goto done;
    uint64_t budget = c.opt.memory_budget ? c.opt.memory_budget : APP_DEFAULT_BUDGET;
    if (!app_memory_begin(budget)) goto done;
    if (c.opt.trace_path && !app_trace_open(c.opt.trace_path, argc, argv, budget)) {
        fprintf(stderr, "chatlog: cannot write the memory trace %s\n", c.opt.trace_path);
        goto done;
    }
    rc = cmd->run(&c, argc - i, argv + i);
    app_trace_sample(true);
    chat_store_close(c.store);
    app_trace_close();
    app_memory_end();
done:
    ak_arena_release(c.arena);
    ak_scratch_release_thread();
    return rc;
}
