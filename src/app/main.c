// main.c: chatlog, the program a person runs. Parses the common options, opens the store,
// and runs one command: import, list, show, search, export, stats (and browse). Exit codes:
// 0 success, 1 the command failed (message on stderr), 2 the command line was wrong.
#include "app/browse.h"
#include "app/cli.h"
#include "app/progress.h"
#include "app/render.h"
#include "app/trace.h"
#include "arenakit/arenakit.h"
#include "chat/store.h"
#include "chat/textmatch.h"

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
    "usage: chatlog import [--skip-bad] [--quiet] EXPORT...\n"
    "  EXPORT is a conversations.json (or conversations-NNN.json), an unpacked export folder,\n"
    "  or the export .zip from Claude.ai or ChatGPT; the format is detected from the content.\n"
    "  An import is all or nothing; importing again adds new chats and updates changed ones.\n"
    "  --skip-bad  import the good conversations and list the bad ones\n"
    "  --quiet     no progress bar\n";

static void import_progress(uint64_t done, uint64_t total, void *user) {
    app_progress_update(user, done, total);
    app_trace_sample(false);
}

static int cmd_import(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_import, stdout), APP_EXIT_OK;
    bool skip_bad = false;
    int first = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--skip-bad")) skip_bad = true;
        else if (!strcmp(argv[i], "--quiet")) c->opt.quiet = true;
        else if (argv[i][0] == '-' && argv[i][1]) return usage_error(usage_import, "unknown option %s", argv[i]);
        else {
            if (!first) first = i;
            argv[first + n++] = argv[i];
        }
    }
    if (!n) return usage_error(usage_import, "%s", "import needs the path of an export");
    if (!app_open_store(c, true)) return APP_EXIT_FAIL;
    int rc = APP_EXIT_OK;
    for (int k = 0; k < n; k++) {
        const char *path = argv[first + k];
        AppProgress bar;
        app_progress_begin(&bar, "importing", c->opt.quiet);
        ChatImportOptions io = {.skip_bad = skip_bad, .progress = import_progress, .progress_user = &bar};
        ChatStoreImport res;
        ChatError err = {{0}};
        uint64_t t0 = app_now_ns();
        bool ok = chat_store_import(c->store, c->arena, path, &io, &res, &err);
        app_progress_end(&bar);
        double secs = (app_now_ns() - t0) / 1e9;
        if (!ok) { // err names the bad conversations itself
            fprintf(stderr, "chatlog: import of %s failed, nothing was imported: %s\n", path, err.msg);
            rc = APP_EXIT_FAIL;
            continue;
        }
        const ChatImportReport *r = &res.report;
        printf("%s: %u chats (%u new, %u updated, %u unchanged), %u messages (%u on the visible threads) "
               "from %u file%s, %.1f MB in %.2f s",
               path, r->chats, res.added, res.updated, res.unchanged, r->messages, r->visible_messages, r->files,
               r->files == 1 ? "" : "s", r->bytes / 1048576.0, secs);
        if (r->bad) printf(", %u bad skipped", r->bad);
        for (uint32_t b = 0; b < r->bad_listed; b++) fprintf(stderr, "chatlog: skipped %.*s\n", AK_STR_FMT(r->bad_list[b]));
        if (r->bad > r->bad_listed) fprintf(stderr, "chatlog: ... and %u more bad conversations\n", r->bad - r->bad_listed);
        if (r->unknown_parts) printf(", %u unknown blocks kept as raw JSON", r->unknown_parts);
        printf("\n");
        if (r->chats == 0 && r->bad == 0) printf("%s: the export holds no conversations\n", path);
    }
    return rc;
}

// ---- list -------------------------------------------------------------------------------------

static const char *usage_list =
    "usage: chatlog list [--since DATE] [--until DATE] [--source claude|chatgpt] [--title TEXT]\n"
    "                    [--limit N] [--json]\n"
    "  Chats newest first (by last update). DATE is 2025-06-03 or 2025-06-03T19:40.\n"
    "  --title keeps chats whose title has every word of TEXT, in any order (case and accents\n"
    "  do not count: \"creme\" finds \"Crème\", \"ελληνικα\" finds \"Ελληνικά\").\n";

typedef struct ListFilter {
    double since, until;
    ChatSource source;
    AkStr title;
    uint64_t limit;
} ListFilter;

static bool parse_source(const char *s, ChatSource *out) {
    if (!strcmp(s, "claude")) *out = CHAT_SOURCE_CLAUDE;
    else if (!strcmp(s, "chatgpt")) *out = CHAT_SOURCE_CHATGPT;
    else return false;
    return true;
}

static double chat_time(const ChatMeta *m) { return m->updated >= 0 ? m->updated : m->created; }

// Every word of the filter, in any order, case and accents folded (Latin, Greek, Cyrillic).
static bool title_contains(AkStr title, AkStr needle) { return chat_text_has_words(title, needle); }

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
            if (!parse_source(v, &f.source)) return usage_error(usage_list, "--source is claude or chatgpt, not %s", v);
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
    "usage: chatlog show CHAT [--markdown|--json]\n"
    "  CHAT is the chat's number from `chatlog list`, its uuid, or a unique uuid prefix.\n";
static const char *usage_export =
    "usage: chatlog export CHAT --markdown|--json\n"
    "  Writes the chat to stdout as Markdown or JSON (redirect it to a file).\n";

static int show_chat(AppCtx *c, int argc, char **argv, const char *usage, bool need_format) {
    if (wants_help(argc, argv)) return fputs(usage, stdout), APP_EXIT_OK;
    const char *key = NULL;
    AppFormat fmt = APP_FORMAT_PLAIN;
    bool format_given = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown")) fmt = APP_FORMAT_MARKDOWN, format_given = true;
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
    "usage: chatlog search QUERY... [--limit N] [--source claude|chatgpt] [--since DATE] [--until DATE]\n"
    "                      [--all-branches] [--json]\n"
    "  Every word must match; \"a phrase\" matches in order; word* matches a prefix.\n"
    "  Searches message text, attachments, tool output, thinking and titles, best match first.\n";

static int cmd_search(AppCtx *c, int argc, char **argv) {
    if (wants_help(argc, argv)) return fputs(usage_search, stdout), APP_EXIT_OK;
    ChatSearchOpts so = {.limit = 20, .visible_only = true};
    AkStrList words = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = app_opt_value(argc, argv, &i, "--limit"))) {
            uint64_t n;
            if (!app_parse_count(v, &n) || !n || n > UINT32_MAX) return usage_error(usage_search, "bad number for --limit: %s", v);
            so.limit = (uint32_t)n;
        } else if ((v = app_opt_value(argc, argv, &i, "--source"))) {
            if (!parse_source(v, &so.source)) return usage_error(usage_search, "--source is claude or chatgpt, not %s", v);
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
            ak_str_list_push(c->arena, &words, ak_str_cstr(argv[i]));
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
    if (!chat_db_search(c->store->db, c->arena, query.ptr, &so, &hits, &count, &err))
        return fprintf(stderr, "chatlog: search: %s\n", err.msg), APP_EXIT_FAIL;
    if (c->opt.json) fputc('[', stdout);
    for (uint32_t i = 0; i < count; i++) {
        ChatHit *h = &hits[i];
        const char *where = h->kind == CHAT_HIT_TITLE ? "title" : h->kind == CHAT_HIT_PART ? "part" : "message";
        if (c->opt.json) {
            printf("%s\n  {\"chat\": %lld, \"uuid\": ", i ? "," : "", (long long)h->chat_id);
            app_json_str(stdout, h->chat_uuid);
            fputs(", \"title\": ", stdout);
            app_json_str(stdout, h->title);
            printf(", \"in\": \"%s\", \"ordinal\": %d, \"role\": \"%s\", \"score\": %.4f, \"created\": ", where,
                   h->ordinal, h->kind == CHAT_HIT_TITLE ? "" : chat_role_name(h->role), h->score);
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
        }
    }
    if (c->opt.json) fputs(count ? "\n]\n" : "]\n", stdout);
    else if (!count) fprintf(stderr, "no matches for %s\n", query.ptr);
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
    uint32_t by_source[3] = {0};
    for (uint32_t h = 0; h < chat_store_count(c->store); h++) by_source[chat_store_meta(c->store, h)->source % 3]++;
    ChatLruStats ls = chat_lru_stats(c->store->lru);
    AkMemStats total = ak_pool_totals(AK_POOL_KIND_COUNT);
    if (c->opt.json) {
        printf("{\"database\": ");
        app_json_str(stdout, ak_str_cstr(c->opt.db_path));
        printf(", \"chats\": %llu, \"claude\": %u, \"chatgpt\": %u, \"messages\": %llu, \"parts\": %llu, "
               "\"file_bytes\": %llu, \"wal_bytes\": %llu, \"schema\": %u,\n \"cache\": {\"active\": %u, \"total\": %u, "
               "\"pinned\": %u, \"used\": %llu, \"budget\": %llu, \"evictions\": %llu},\n \"arenas\": {\"reserved\": %llu, "
               "\"committed\": %llu, \"used\": %llu},\n \"pool\": ",
               (unsigned long long)ds.chats, by_source[CHAT_SOURCE_CLAUDE], by_source[CHAT_SOURCE_CHATGPT],
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
        printf("chats      %llu (%u Claude, %u ChatGPT)\n", (unsigned long long)ds.chats, by_source[CHAT_SOURCE_CLAUDE],
               by_source[CHAT_SOURCE_CHATGPT]);
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
