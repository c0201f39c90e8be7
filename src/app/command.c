// command.c: the option table, the option parser every command loops with, usage errors
// with "did you mean", and `chatlog --help`'s command list (command.h).
#include "app/command.h"
#include "app/out.h"

#include "arenakit/base.h"

#include <string.h>

const AppOptSpec app_opts[APP_OPT_COUNT] = {
    [APP_OPT_LIMIT] = {"--limit", 'n', APP_VALUE_COUNT, "N", "most results"},
    [APP_OPT_JSON] = {"--json", 'j', APP_VALUE_NONE, NULL, "JSON output"},
    [APP_OPT_MARKDOWN] = {"--markdown", 0, APP_VALUE_NONE, NULL, "Markdown output"},
    [APP_OPT_SOURCE] = {"--source", 's', APP_VALUE_SOURCE, "SOURCE", "only chats from this source"},
    [APP_OPT_SINCE] = {"--since", 0, APP_VALUE_DATE, "DATE", "from DATE"},
    [APP_OPT_UNTIL] = {"--until", 0, APP_VALUE_DATE, "DATE", "up to DATE"},
    [APP_OPT_TITLE] = {"--title", 't', APP_VALUE_TEXT, "TEXT", "title has these words"},
    [APP_OPT_MODEL] = {"--model", 0, APP_VALUE_TEXT, "TEXT", "model contains"},
    [APP_OPT_ALL] = {"--all", 'a', APP_VALUE_NONE, NULL, "every chat"},
    [APP_OPT_ALL_BRANCHES] = {"--all-branches", 0, APP_VALUE_NONE, NULL, "also the off-thread versions"},
    [APP_OPT_SEARCH] = {"--search", 0, APP_VALUE_TEXT, "QUERY", "the chats matching QUERY"},
    [APP_OPT_OUTPUT] = {"--output", 'o', APP_VALUE_FILE, "FILE", "file or folder"},
    [APP_OPT_STRICT] = {"--strict", 0, APP_VALUE_NONE, NULL, "all or nothing"},
    [APP_OPT_SKIP_BAD] = {"--skip-bad", 0, APP_VALUE_NONE, NULL, "also salvage a broken file"},
    [APP_OPT_QUIET] = {"--quiet", 'q', APP_VALUE_NONE, NULL, "no progress bar"},
    [APP_OPT_MEMORY] = {"--memory", 0, APP_VALUE_NONE, NULL, "the memory report"},
    [APP_OPT_QUICK] = {"--quick", 0, APP_VALUE_NONE, NULL, "quick check only"},
    [APP_OPT_DB] = {"--db", 0, APP_VALUE_FILE, "PATH", "database file"},
    [APP_OPT_MEMORY_BUDGET] = {"--memory-budget", 0, APP_VALUE_SIZE, "SIZE", "memory for the whole process"},
    [APP_OPT_MEMORY_TRACE] = {"--memory-trace", 0, APP_VALUE_FILE, "FILE", "record every arena over time"},
    [APP_OPT_COLOR] = {"--color", 0, APP_VALUE_COLOR, "WHEN", "colour"},
    [APP_OPT_NO_COLOR] = {"--no-color", 0, APP_VALUE_NONE, NULL, "no colour"},
    [APP_OPT_NO_PAGER] = {"--no-pager", 0, APP_VALUE_NONE, NULL, "show writes to the terminal itself"},
    [APP_OPT_UTC] = {"--utc", 0, APP_VALUE_NONE, NULL, "times in UTC"},
    [APP_OPT_HELP] = {"--help", 'h', APP_VALUE_NONE, NULL, "usage"},
    [APP_OPT_VERSION] = {"--version", 'V', APP_VALUE_NONE, NULL, "version"},
};

const AppCommand *app_command_find(const char *name) {
    for (size_t k = 0; k < app_command_count; k++)
        if (!strcmp(app_commands[k].name, name)) return &app_commands[k];
    return NULL;
}

const AppCommand *app_command_by_usage(const char *usage) {
    for (size_t k = 0; k < app_command_count; k++)
        if (app_commands[k].usage == usage) return &app_commands[k];
    return NULL;
}

static void print_list(FILE *out, bool developer, int width) {
    for (size_t k = 0; k < app_command_count; k++) {
        const AppCommand *c = &app_commands[k];
        if (c->developer != developer) continue;
        char head[64];
        snprintf(head, sizeof head, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        fprintf(out, "  %-*s%s\n", width, head, c->summary);
    }
}

void app_print_main_usage(FILE *out, const char *head, const char *options, const char *developer_tail) {
    fputs(head, out);
    fputs("commands:\n", out);
    print_list(out, false, 19);
    fputc('\n', out);
    fputs(options, out);
    fputs("\nfor developers (the allocator's view):\n", out);
    print_list(out, true, 22);
    fputs(developer_tail, out);
}

// ---- usage errors: one line, a suggestion, a pointer to --help -------------------------------------

// Optimal string alignment distance (edits, with adjacent swaps), for "did you mean".
static size_t edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40) return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = AK_MIN(AK_MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = AK_MIN(v, d[i - 2][j - 2] + 1);
            d[i][j] = v;
        }
    return d[n][m];
}

const char *app_closest(const char *typed, const char *const *names, size_t count) {
    const char *best = NULL, *prefix = NULL;
    size_t best_d = SIZE_MAX, prefixes = 0, tl = strlen(typed);
    for (size_t k = 0; k < count; k++) {
        if (tl >= 3 && !strncmp(names[k], typed, tl)) prefixes++, prefix = names[k];
        size_t d = edit_distance(typed, names[k]);
        if (d < best_d) best_d = d, best = names[k];
    }
    if (prefixes == 1) return prefix;
    size_t limit = tl <= 4 ? 1 : 2;
    return best_d <= limit ? best : NULL;
}

int app_usage_error(const AppCommand *cmd, const char *fmt, const char *arg) {
    const char *name = cmd ? cmd->name : "";
    char msg[512], hint[160] = "";
    const char *missing = arg ? app_opt_missing(arg) : NULL;
    if (missing) snprintf(msg, sizeof msg, "%s needs a value", missing);
    else snprintf(msg, sizeof msg, fmt, arg);
    if (!missing && arg && arg[0] == '-' && !strncmp(fmt, "unknown", 7)) {
        // The options this command takes and the global ones.
        uint64_t mask = (cmd ? cmd->opts : 0) | APP_GLOBAL_OPTS;
        const char *list[APP_OPT_COUNT];
        size_t n = 0;
        for (int id = 1; id < APP_OPT_COUNT; id++)
            if (mask & (UINT64_C(1) << id)) list[n++] = app_opts[id].name;
        char typed[64];
        snprintf(typed, sizeof typed, "%s", arg);
        char *eq = strchr(typed, '=');
        if (eq) *eq = 0;
        const char *near = app_closest(typed, list, n);
        if (near) snprintf(hint, sizeof hint, " (did you mean %s?)", near);
    }
    app_errorf("%s%s%s%s; see `chatlog %s%s--help`", name, name[0] ? ": " : "", msg, hint, name, name[0] ? " " : "");
    return APP_EXIT_USAGE;
}

// ---- the parser -----------------------------------------------------------------------------------

int app_opt_next(const AppCommand *cmd, int argc, char **argv, int *i, const char **value) {
    const char *a = argv[*i];
    *value = NULL;
    bool option = a[0] == '-' && a[1] && (a[1] == '-' || cmd->operands != APP_OPERANDS_QUERY); // -word: NOT word
    if (!option) {
        if (cmd->operands != APP_OPERANDS_NONE) return APP_OPT_OPERAND;
        app_usage_error(cmd, "unknown argument %s", a);
        return APP_OPT_ERROR;
    }
    for (int id = 1; id < APP_OPT_COUNT; id++) {
        if (!(cmd->opts & (UINT64_C(1) << id))) continue;
        const AppOptSpec *o = &app_opts[id];
        size_t n = strlen(o->name);
        if (strncmp(a, o->name, n) != 0 || (a[n] && a[n] != '=')) continue;
        if (o->value == APP_VALUE_NONE) {
            if (!a[n]) return id;
            app_usage_error(cmd, "%s takes no value", o->name);
            return APP_OPT_ERROR;
        }
        if (a[n] == '=') *value = a + n + 1;
        else if (*i + 1 < argc) *value = argv[++*i];
        else {
            app_usage_error(cmd, "%s needs a value", o->name);
            return APP_OPT_ERROR;
        }
        return id;
    }
    app_usage_error(cmd, "unknown option %s", a);
    return APP_OPT_ERROR;
}
