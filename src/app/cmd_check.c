// cmd_check.c: `chatlog check`, the integrity report a person can run: SQLite's own
// integrity check, the store's rules and the search indexes (chat_db_check_run), every
// finding on its own line. Exit 0 when sound, 1 when damaged or when it cannot check.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/cli.h"
#include "app/command.h"

#include <string.h>
#include <unistd.h>

const char app_usage_check[] =
    "usage: chatlog check [--quick]\n"
    "  Checks the database: SQLite's integrity check of every page and index, the store's own\n"
    "  rules (message and part counts, ordinals, text ranges) and the search indexes against\n"
    "  their tables. Prints what it finds; exit status 1 when the database is damaged.\n"
    "  --quick  SQLite's quick check only (what every import runs first)\n";

static void print_finding(const char *text, void *user) {
    const char *path = user;
    printf("%s: %s\n", path, text);
}

int app_cmd_check(AppCtx *c, int argc, char **argv) {
    bool quick = false;
    for (int i = 1; i < argc; i++) { // main answered --help (app_commands)
        const char *v;
        switch (app_opt_next(c->cmd, argc, argv, &i, &v)) {
        case APP_OPT_QUICK: quick = true; break;
        default: return APP_EXIT_USAGE; // app_opt_next said why
        }
    }
    if (!c->opt.db_path && !(c->opt.db_path = app_default_db_path(c->arena, false))) return APP_EXIT_FAIL;
    const char *path = c->opt.db_path;
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "chatlog: no database at %s yet: run `chatlog import EXPORT` first\n", path);
        return APP_EXIT_FAIL;
    }
    // The search-index check runs as an INSERT in SQLite, so it needs a writable handle; a
    // database that cannot be written gets the rest.
    bool writable = access(path, W_OK) == 0;
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, writable ? 0 : CHAT_DB_READONLY, &err);
    if (!db && writable) db = chat_db_open(path, CHAT_DB_READONLY, &err), writable = false;
    if (!db) return fprintf(stderr, "chatlog: %s\n", err.msg), APP_EXIT_FAIL;
    uint32_t findings = 0;
    bool ran = chat_db_check_run(db, !quick, print_finding, (void *)path, &findings, &err);
    ChatDbStats st = {0};
    bool counted = ran && findings == 0 && chat_db_stats(db, &st, &err);
    chat_db_close(db);
    if (!ran) return fprintf(stderr, "chatlog: check: %s\n", err.msg), APP_EXIT_FAIL;
    if (findings) {
        printf("%s: damaged: %u finding%s above\n", path, findings, findings == 1 ? "" : "s");
        return APP_EXIT_FAIL;
    }
    printf("%s: sound (%s%s)", path, quick ? "quick check" : "pages, indexes, the store's rules",
           quick || writable ? "" : "; search indexes not checked: the database is read-only");
    if (counted)
        printf(": %llu chats, %llu messages, %llu parts", (unsigned long long)st.chats,
               (unsigned long long)st.messages, (unsigned long long)st.parts);
    printf("\n");
    return APP_EXIT_OK;
}
