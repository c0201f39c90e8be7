// chatlog_fts.c: the SQLite loadable extension that lets other programs (the sqlite3 shell,
// datasette, sqlite-utils, Python's sqlite3) query chatlog's full-text tables. It registers
// the "chatlog" tokenizer and chatlog_snippet() on each connection that loads it. Built as
// build/<mode>/chatlog_fts.so from the very files chatlog links (tokenizer.c, textfold.c,
// snippet.c), so both tokenize alike; compiled here against the extension API (calls go
// through the routines the loading SQLite hands over), without arenakit and without sanitizers.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "chat/snippet.c"
#include "chat/textfold.c"
#include "chat/tokenizer.c"

#if defined(_WIN32)
__declspec(dllexport)
#endif
// The name SQLite derives from the file name chatlog_fts.so ("sqlite3_" + its letters + "_init").
int sqlite3_chatlogfts_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
    SQLITE_EXTENSION_INIT2(api);
    int rc = chat_fts_register(db);
    if (rc != SQLITE_OK && err)
        *err = sqlite3_mprintf("chatlog_fts: %s", rc == SQLITE_ERROR ? "this SQLite has no FTS5 (3.20 or later)"
                                                                     : sqlite3_errstr(rc));
    return rc;
}
