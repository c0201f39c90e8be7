// textfold.c: chat_fold_cp (see textfold.h): a binary search of the generated pairs.
#include "chat/textfold.h"

#include "chat/textfold_table.h"

#define FOLD_PAIRS (sizeof textfold_pairs / sizeof textfold_pairs[0])

uint32_t chat_fold_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    // Combining marks: diacritics (U+0300..036F), Cyrillic titlo and friends (U+0483..0489),
    // the extended and supplementary diacritics blocks.
    if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x483 && cp <= 0x489) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F))
        return 0;
    if (cp < textfold_pairs[0][0] || cp > textfold_pairs[FOLD_PAIRS - 1][0]) return cp;
    uint32_t lo = 0, hi = (uint32_t)FOLD_PAIRS;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (textfold_pairs[mid][0] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < FOLD_PAIRS && textfold_pairs[lo][0] == cp ? textfold_pairs[lo][1] : cp;
}
