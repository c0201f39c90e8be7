// browse.h: `chatlog browse`, the terminal browser: a chat list (newest first, title filter,
// full-text search) and tabs that each show one chat's history while holding a view reference
// on it, with the memory budget on the status line. Built on ncursesw.
//
// Memory: the browser opens its own read-only store and owns one arena for its life (the
// browser state, the chat list's order), one for search results (cleared per search) and one
// per tab (the tab's cache of wrapped lines, released when the tab closes). Everything is
// released before the command returns.
#ifndef APP_BROWSE_H
#define APP_BROWSE_H

#include "app/cli.h"

int cmd_browse(AppCtx *c, int argc, char **argv);
extern const char app_usage_browse[]; // `chatlog browse --help` (main's command table)

#endif
