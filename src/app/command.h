// command.h: chatlog's command line as data. One table of every option (long name, short
// flag, the kind of value it takes) and one descriptor per command (name, summary, usage,
// the options it takes, its operands, run). Everything a person sees of the command line is
// produced from them: `chatlog --help` (commands, developer ones in their own section),
// `chatlog help CMD` and `CMD --help`, the option parser every command loops with, "did you
// mean", and the bash/zsh completions and the man page's command entries
// (`chatlog --print-completion bash|zsh`, `--print-man synopsis|commands|developer|short-flags`, see
// command_docs.c; `make completions` rewrites the checked-in files and
// tests/test_commands.sh fails when they disagree with the tables).
// Owns no memory: the tables are static constants; the parser hands out pointers into argv.
#ifndef APP_COMMAND_H
#define APP_COMMAND_H

#include "app/cli.h"

#include <stdint.h>
#include <stdio.h>

// Every option of every command, and the global ones. A command's descriptor names the ones
// it takes with APP_O(...); a short flag means the same long option in every command.
typedef enum AppOptId {
    APP_OPT_OPERAND = 0, // app_opt_next: the word is an operand, not an option
    APP_OPT_LIMIT,
    APP_OPT_JSON,
    APP_OPT_MARKDOWN,
    APP_OPT_SOURCE,
    APP_OPT_SINCE,
    APP_OPT_UNTIL,
    APP_OPT_TITLE,
    APP_OPT_MODEL,
    APP_OPT_ALL,
    APP_OPT_ALL_BRANCHES,
    APP_OPT_SEARCH,
    APP_OPT_OUTPUT,
    APP_OPT_STRICT,
    APP_OPT_SKIP_BAD,
    APP_OPT_QUIET,
    APP_OPT_MEMORY,
    APP_OPT_QUICK,
    // the global options (before or after the command; main's take_global_options)
    APP_OPT_DB,
    APP_OPT_MEMORY_BUDGET,
    APP_OPT_MEMORY_TRACE,
    APP_OPT_COLOR,
    APP_OPT_NO_COLOR,
    APP_OPT_NO_PAGER,
    APP_OPT_UTC,
    APP_OPT_HELP,
    APP_OPT_VERSION,
    APP_OPT_COUNT
} AppOptId;
enum { APP_OPT_ERROR = -1 }; // app_opt_next printed a usage error

#define APP_O(id) (UINT64_C(1) << APP_OPT_##id)
#define APP_GLOBAL_OPTS                                                                                  \
    (APP_O(DB) | APP_O(MEMORY_BUDGET) | APP_O(MEMORY_TRACE) | APP_O(COLOR) | APP_O(NO_COLOR) |           \
     APP_O(NO_PAGER) | APP_O(UTC) | APP_O(HELP) | APP_O(VERSION))
// The global options a user sees; --memory-trace is for developers (its own help section).
#define APP_DEVELOPER_OPTS APP_O(MEMORY_TRACE)

// What an option's value is: how completion offers it (files, the source names...).
typedef enum AppValue {
    APP_VALUE_NONE = 0, // a flag
    APP_VALUE_TEXT,
    APP_VALUE_COUNT,
    APP_VALUE_SIZE,
    APP_VALUE_DATE,
    APP_VALUE_FILE,
    APP_VALUE_SOURCE,
    APP_VALUE_COLOR,
} AppValue;

typedef struct AppOptSpec {
    const char *name;  // "--limit"
    char short_flag;   // 'n' for -n, 0 for none
    AppValue value;    // APP_VALUE_NONE: a flag, else it takes a value (--x V or --x=V)
    const char *value_name; // "N", "DATE": for completion prompts
    const char *help;  // a few words for the zsh completion ("most results")
} AppOptSpec;

extern const AppOptSpec app_opts[APP_OPT_COUNT];

// What follows a command besides its options.
typedef enum AppOperands {
    APP_OPERANDS_NONE = 0, // a word that is not an option is an error
    APP_OPERANDS_FILES,    // paths (import)
    APP_OPERANDS_CHAT,     // one chat number or uuid (show)
    APP_OPERANDS_CHATS,    // chat numbers or uuids (export, browse)
    APP_OPERANDS_QUERY,    // query words; a single-dash word such as -word is a query word too
    APP_OPERANDS_COMMAND,  // a command's name (help)
} AppOperands;

typedef struct AppCommand {
    const char *name;      // "list"
    const char *args;      // its operands as the command list shows them: "EXPORT...", "" for none
    const char *summary;   // one line: the command list, the zsh completion
    const char *usage;     // `chatlog CMD --help`: "usage: chatlog CMD ..." then what it does
    bool developer;        // listed under "for developers" in the help and the man page
    uint64_t opts;         // APP_O(...) of the options it takes, besides the global ones
    AppOperands operands;
    int (*run)(AppCtx *c, int argc, char **argv); // NULL for help (main prints it)
} AppCommand;

// The commands, in the order of `chatlog --help` (main.c).
extern const AppCommand app_commands[];
extern const size_t app_command_count;

// The command called `name`, or NULL.
const AppCommand *app_command_find(const char *name);
// The command whose usage text is `usage` (the same pointer), or NULL.
const AppCommand *app_command_by_usage(const char *usage);

// `chatlog --help`: the general usage with the command list from the table (main.c gives
// the head and the options text).
void app_print_main_usage(FILE *out, const char *head, const char *options, const char *developer_tail);

// The next word of a command's arguments, argv[*i]: an option `cmd` takes (its id; for one
// that takes a value *value is it, from `--x=V` or the next word, which *i then passes),
// APP_OPT_OPERAND for a word that is not an option (or "-"), or APP_OPT_ERROR after printing
// the usage error (unknown option with "did you mean", a missing value): the command returns
// APP_EXIT_USAGE. Short flags were turned into long ones by main before.
int app_opt_next(const AppCommand *cmd, int argc, char **argv, int *i, const char **value);

// A one-line usage error for `cmd` (NULL: the command line as a whole): "chatlog: list: MSG
// (did you mean --limit?); see `chatlog list --help`". `fmt` has one %s for `arg`; an
// "unknown ..." message about an option gets the closest option the command takes. Returns
// APP_EXIT_USAGE.
int app_usage_error(const AppCommand *cmd, const char *fmt, const char *arg);

// The closest of `names` to `typed`: a unique prefix (3+ letters), or within two edits (one
// for words of up to four letters). NULL when none is close.
const char *app_closest(const char *typed, const char *const *names, size_t count);

// command_docs.c: the generated completions and man page text, from the tables above.
// `what` is "bash" or "zsh"; "synopsis", "commands", "developer" or "short-flags". False for
// another word.
bool app_print_completion(FILE *out, const char *what);
bool app_print_man(FILE *out, const char *what);

#endif
