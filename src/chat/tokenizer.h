// tokenizer.h: the FTS5 tokenizer "chatlog" that the store's full-text tables are declared
// with (db.h), and the registration of everything those tables need on a connection.
//
// The tokenizer is SQLite's unicode61 (case folded, diacritics removed: remove_diacritics 2)
// for scripts with spaces, and one token per character for Han, kana and Hangul, so a quoted
// Chinese or Japanese word matches as a phrase of characters. With the argument `fold`
// (`tokenize='chatlog fold'`, the tables of schema 2) every token is also folded as title
// filters fold (textfold.h): case and accents of Greek and Cyrillic too, so "γεια" finds "Γειά".
//
// Other programs reach the tables through the loadable extension built from the same code
// (build/<mode>/chatlog_fts.so, installed as $(PREFIX)/lib/chatlog/chatlog_fts.so):
//   sqlite3 chatlog.db   then   .load /usr/local/lib/chatlog/chatlog_fts
//   datasette --load-extension /usr/local/lib/chatlog/chatlog_fts.so chatlog.db
//
// Memory: tokenizer instances are SQLite's (sqlite3_malloc), created and freed by FTS5.
#ifndef CHAT_TOKENIZER_H
#define CHAT_TOKENIZER_H

#include <sqlite3.h>

// Registers the "chatlog" tokenizer and chatlog_snippet() (snippet.h) with the connection's
// FTS5. SQLITE_OK, SQLITE_ERROR when the SQLite has no FTS5 (or one before 3.20), else the
// code SQLite gave (SQLITE_NOMEM when its allocator refused).
int chat_fts_register(sqlite3 *db);

#endif
