// cli.h: what every chatlog command shares: the options common to all commands, the default
// database location, parsing of sizes and dates as a person types them, and output helpers
// (JSON strings, dates). Owns no memory; strings it makes go on the caller's arena.
#ifndef APP_CLI_H
#define APP_CLI_H

#include "arenakit/str.h"
#include "chat/store.h"

#include <stdio.h>

enum { APP_EXIT_OK = 0, APP_EXIT_FAIL = 1, APP_EXIT_USAGE = 2, APP_EXIT_PARTIAL = 3 }; // 3: import skipped some

#define APP_DEFAULT_BUDGET AK_MB(256)

typedef struct AppOptions {
    const char *db_path;     // --db, the config file's `db`, else the XDG default
    uint64_t memory_budget;  // --memory-budget or the config file's `memory-budget` (bytes)
    const char *trace_path;  // --memory-trace FILE
    bool json;               // --json
    bool quiet;              // --quiet: no progress bar
    bool color;              // stdout is a terminal (highlights in search)
    bool no_pager;           // --no-pager: `show` writes to the terminal itself
} AppOptions;

// What a command runs with: the options, an arena for the command's life, and the store once
// app_open_store opened it (main closes it after the command, unless the command did).
typedef struct AppCtx {
    const struct AppCommand *cmd; // the command running (command.h)
    AppOptions opt;
    AkArena *arena;
    ChatStore *store;
} AppCtx;

// Open the database for a command: `write` creates it (and its folder) when missing; a read
// needs it to exist. False with a message on stderr.
bool app_open_store(AppCtx *c, bool write);
// The same, read-only, for a command that only queries the database (search): no chat
// metadata, loaded-chat cache or IO thread (store.h, db_only), so its memory and start-up do
// not grow with the number of chats.
bool app_open_db(AppCtx *c);

// $XDG_DATA_HOME/chatlog/chatlog.db, or ~/.local/share/chatlog/chatlog.db; creates the folder
// when `create` is set. NULL with a message on stderr if neither variable is usable.
const char *app_default_db_path(AkArena *arena, bool create);
bool app_make_dirs_for(const char *file_path); // mkdir -p of the file's folder

// $XDG_CONFIG_HOME/chatlog/config (or ~/.config/chatlog/config), if present: lines
// `memory-budget = 64M` and `db = PATH`, # comments. Fills only what the command line left
// unset. False with a message (file and line) on a malformed file.
bool app_load_config(AppOptions *opt, AkArena *arena);

// The whole process's memory budget: caps committed memory (ak_os_set_commit_limit) and
// gives SQLite a heap of its own with a quarter of it (at most 64 MB). Call before any SQLite
// use; app_memory_end after every database is closed. CHATLOG_SQLITE_SYSTEM_MALLOC=1 in the
// environment leaves SQLite on libc malloc (to measure the difference; not for normal use).
bool app_memory_begin(uint64_t budget);
void app_memory_end(void);

// A count as a person types it: decimal digits only ("20"). False on anything else.
bool app_parse_count(const char *s, uint64_t *out);

// "64M", "1.5G", "512K", "4096" (bytes). False on anything else.
bool app_parse_size(const char *s, uint64_t *out);
// A date as a person types it, in local time (TZ) unless app_set_utc(true): "2025",
// "2025-06", "2025-06-03", "2025-06-03T19:40[:05]" (a trailing Z means UTC), "today",
// "yesterday", "36h", "7d", "2w" (ago), or seconds since the epoch. `end_of_day` makes a
// period (year, month, day) mean its last second (for --until).
bool app_parse_date(const char *s, bool end_of_day, double *out);

// --utc: times are shown and dates read in UTC instead of the local zone.
void app_set_utc(bool utc);
bool app_is_utc(void);
// "2025-06-03 19:40" in local time (or UTC), or "-" for an unknown time.
const char *app_format_time(double t, char *buf, size_t cap);
// The same with its zone: "2025-06-03 19:40 CEST", "2025-06-03 17:40 UTC".
const char *app_format_time_zone(double t, char *buf, size_t cap);
// The zone the times are shown in, for a header: "UTC", "CET/CEST".
const char *app_zone_label(char *buf, size_t cap);
// "~/x" as $HOME/x (on the arena); anything else unchanged.
const char *app_expand_home(AkArena *arena, const char *path);
void app_json_str(FILE *out, AkStr s);
void app_json_time(FILE *out, double t); // ISO 8601 string or null

// `chatlog check` (cmd_check.c): the database's integrity report; exit 1 when damaged.
int app_cmd_check(AppCtx *c, int argc, char **argv);
extern const char app_usage_check[];

// The value of `--name VALUE` / `--name=VALUE` at argv[*i] (advancing *i), or NULL. A `--name`
// that ends the command line is remembered: app_opt_missing(arg) then returns its name, so
// the error can say the value is missing rather than that the option is unknown.
const char *app_opt_value(int argc, char **argv, int *i, const char *name);
const char *app_opt_missing(const char *arg);

#endif
