// textfold.h: folding one code point for matching: lowercase, accents off, for Latin, Greek
// and Cyrillic (a table made from the Unicode data, textfold_table.h); other scripts as they
// are. Shared by the title matcher (textmatch.h) and the full-text tokenizer (tokenizer.h), so
// a title filter and a full-text search fold alike. Needs nothing but <stdint.h>, so the
// SQLite extension (ext/chatlog_fts.c) builds it too. Owns no memory.
#ifndef CHAT_TEXTFOLD_H
#define CHAT_TEXTFOLD_H

#include <stdint.h>

// The folded form of one code point: lowercase, accents off; 0 for a combining mark (dropped).
uint32_t chat_fold_cp(uint32_t cp);

#endif
