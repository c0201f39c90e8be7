// snippet.h: chatlog_snippet(), an FTS5 auxiliary function that cuts a snippet around one hit
// of a row, with the same arguments as FTS5's snippet():
//   chatlog_snippet(fts_table, column, open, close, ellipsis, tokens)
// column -1 picks the column of the best window. FTS5's snippet() scores a window at every
// match against every other match, so its time grows with the square of the matches in one
// document (about 5 s for a 1 MB message full of the word, minutes at 16 MB). This one reads
// the hit list once, scores a window at each of the first 64 hits only (the one covering most
// of the query's phrases wins), and tokenizes the text only up to the end of that window:
// linear in the position of the hit, never in the number of matches.
//
// Memory: the result is built in SQLite's memory and handed to SQLite; nothing is kept.
#ifndef CHAT_SNIPPET_H
#define CHAT_SNIPPET_H

#include <sqlite3.h>

// Registers the function with the FTS5 of one connection. An SQLite result code.
int chat_snippet_register(fts5_api *api);

#endif
