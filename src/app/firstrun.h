// firstrun.h: undoing what a failed first import made, so a failure leaves no empty database
// and no folders behind: `chatlog import` notes what exists before it opens the store, and
// when nothing was imported removes the database it made (only if it holds no chat) and the
// folders made for it (only if empty). Owns no memory beyond the struct the caller keeps.
#ifndef APP_FIRSTRUN_H
#define APP_FIRSTRUN_H

#include "app/cli.h"

typedef struct AppFirstRun {
    const char *db_path;
    bool db_existed;   // the database file was there before this run
    char kept[4096];   // the deepest folder on the database's path that already existed
} AppFirstRun;

// Call before app_open_store, with the path the store will open.
void app_first_run_begin(AppFirstRun *fr, const char *db_path);
// Call when the run imported nothing: closes the store (c->store becomes NULL), then removes
// what this run made. Prints a line on stderr if the database could not be removed.
void app_first_run_undo(AppCtx *c, const AppFirstRun *fr);

#endif
