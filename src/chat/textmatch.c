// textmatch.c: finding with folding (see textmatch.h; the folding itself is textfold.c). A
// match is tried at each code point of the haystack by folding both sides one code point at a
// time, skipping combining marks on either side; no folded copy is made, so nothing allocates and offsets stay the original's.
#include "chat/textmatch.h"

#include "arenakit/utf8.h"

// The next folded code point of s at or after *i (advancing *i past it and any marks it
// dropped), or 0 at the end.
static uint32_t next_folded(AkStr s, uint64_t *i) {
    while (*i < s.len) {
        uint32_t cp;
        *i += ak_utf8_decode(s.ptr + *i, s.len - *i, &cp, NULL);
        uint32_t f = chat_fold_cp(cp);
        if (f) return f;
    }
    return 0;
}

// Whether the needle matches at hay byte `at` (a code point that does not fold to nothing);
// the match's end (after any combining marks on its last letter) in *end.
static bool match_at(AkStr hay, AkStr needle, uint64_t at, uint64_t *end) {
    uint64_t h = at, n = 0;
    for (;;) {
        uint32_t nc = next_folded(needle, &n);
        if (!nc) break;
        if (next_folded(hay, &h) != nc) return false;
    }
    // Marks on the last matched letter belong to the match ("café" as "cafe" + U+0301).
    while (h < hay.len) {
        uint32_t cp;
        uint32_t len = ak_utf8_decode(hay.ptr + h, hay.len - h, &cp, NULL);
        if (chat_fold_cp(cp)) break;
        h += len;
    }
    *end = h;
    return true;
}

static bool needle_empty(AkStr needle) {
    uint64_t i = 0;
    return next_folded(needle, &i) == 0;
}

uint64_t chat_text_find(AkStr hay, AkStr needle, uint64_t from, uint64_t *match_len) {
    if (needle_empty(needle)) return AK_STR_NPOS;
    while (from < hay.len && ((unsigned char)hay.ptr[from] & 0xC0) == 0x80) from++; // a code point's start
    for (uint64_t i = from; i < hay.len;) {
        uint32_t cp;
        uint32_t n = ak_utf8_decode(hay.ptr + i, hay.len - i, &cp, NULL);
        uint64_t end;
        if (chat_fold_cp(cp) && match_at(hay, needle, i, &end)) {
            if (match_len) *match_len = end - i;
            return i;
        }
        i += n;
    }
    return AK_STR_NPOS;
}

uint64_t chat_text_find_before(AkStr hay, AkStr needle, uint64_t before, uint64_t *match_len) {
    uint64_t last = AK_STR_NPOS, last_len = 0, len = 0;
    for (uint64_t at = chat_text_find(hay, needle, 0, &len); at != AK_STR_NPOS && at < before;
         at = chat_text_find(hay, needle, at + 1, &len))
        last = at, last_len = len;
    if (match_len && last != AK_STR_NPOS) *match_len = last_len;
    return last;
}

bool chat_text_has_words(AkStr hay, AkStr words) {
    AkStr word, rest = words;
    while (rest.len) {
        ak_str_cut(rest, AK_STR(" "), &word, &rest);
        if (word.len && !needle_empty(word) && chat_text_find(hay, word, 0, NULL) == AK_STR_NPOS) return false;
    }
    return true;
}
