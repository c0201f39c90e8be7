// textmatch.h: text matching as a reader means it, for every script the importers see:
// case and accents do not count ("ελληνικα" finds "Ελληνικά", "выравнивание" finds
// "Выравнивание", "cafe" finds "Café" and "cafe\u0301"), and a filter of several words
// matches them in any order. Folding is one code point to one (or to nothing, for a combining
// mark), from a table made from the Unicode data for Latin, Greek and Cyrillic
// (textfold.h, tools/gen_textfold.py); other scripts compare as they are.
// Offsets and lengths are bytes of the original text, so a caller can highlight what matched.
// Owns no memory; nothing allocates.
#ifndef CHAT_TEXTMATCH_H
#define CHAT_TEXTMATCH_H

#include "arenakit/str.h"

#include "chat/textfold.h" // chat_fold_cp: one code point folded

// The first match of `needle` in `hay` that starts at or after byte `from`, folding both;
// *match_len (if not NULL) gets the match's length in hay's bytes. AK_STR_NPOS if none or if
// the needle folds to nothing.
uint64_t chat_text_find(AkStr hay, AkStr needle, uint64_t from, uint64_t *match_len);
// The last match that starts before byte `before`.
uint64_t chat_text_find_before(AkStr hay, AkStr needle, uint64_t before, uint64_t *match_len);

// Every word of `words` (separated by spaces) is in `hay`, in any order. True for no words.
bool chat_text_has_words(AkStr hay, AkStr words);

#endif
