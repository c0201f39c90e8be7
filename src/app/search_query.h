// search_query.h: the filters a search query may hold, as the browser's `s` reads them:
// source:NAME, after:DATE (since:), before:DATE (until:), applied to the search's options as
// `chatlog search` applies them; title:, model:, role:, author: and in: are refused with a
// reason rather than searched as words. Other key:value words are text. `chatlog search`
// reads its arguments through the same function, so the browser and the CLI agree.
// Owns no memory.
#ifndef APP_SEARCH_QUERY_H
#define APP_SEARCH_QUERY_H

#include "arenakit/str.h"
#include "chat/db.h"

#include <stddef.h>

typedef enum AppQueryWord {
    APP_QUERY_WORD,   // text to search
    APP_QUERY_FILTER, // a filter, applied to the options
    APP_QUERY_BAD,    // a filter with a bad value, or one there is not: `why` says which
} AppQueryWord;

AppQueryWord app_search_filter(AkStr word, ChatSearchOpts *so, char *why, size_t why_cap);

// A query typed as one line: its filters applied to `so`, its other words (quoted phrases
// kept whole) copied to `out` (`cap` bytes; a query longer than that is cut at a word).
// False with `why` on a bad filter.
bool app_search_split(const char *query, ChatSearchOpts *so, char *out, size_t cap, char *why, size_t why_cap);

#endif
