// firstrun.c: see firstrun.h. Removal goes through chat_db_remove_if_empty, which takes the
// database's write lock first: another process importing into the same new file is never
// cut off midway (it either committed first, and the file stays, or is told to run again).
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/firstrun.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// Cuts `path` at its last slash (in place); false when there is none left to cut.
static bool parent_of(char *path) {
    char *slash = strrchr(path, '/');
    if (!slash || slash == path) return false;
    *slash = 0;
    return true;
}

void app_first_run_begin(AppFirstRun *fr, const char *db_path) {
    struct stat st;
    *fr = (AppFirstRun){.db_path = db_path, .db_existed = stat(db_path, &st) == 0};
    snprintf(fr->kept, sizeof fr->kept, "%s", db_path);
    for (;;) {
        if (!parent_of(fr->kept)) { // past the top of the path: "/" or the current folder
            snprintf(fr->kept, sizeof fr->kept, "%s", fr->kept[0] == '/' ? "/" : "");
            break;
        }
        if (stat(fr->kept, &st) == 0) break;
    }
}

void app_first_run_undo(AppCtx *c, const AppFirstRun *fr) {
    chat_store_close(c->store);
    c->store = NULL;
    if (fr->db_existed || !fr->db_path) return;
    bool removed = false;
    ChatError err = {{0}};
    struct stat st;
    if (stat(fr->db_path, &st) == 0 && !chat_db_remove_if_empty(fr->db_path, &removed, &err))
        fprintf(stderr, "chatlog: could not remove the database this import made: %s\n", err.msg);
    if (stat(fr->db_path, &st) == 0) return; // still there (another import filled it): keep its folders
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fr->db_path);
    // rmdir refuses a folder that is not empty, so only the folders this run made and left
    // empty go.
    while (parent_of(dir) && strlen(dir) > strlen(fr->kept) && rmdir(dir) == 0) {}
}
