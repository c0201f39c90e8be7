// utf8.c: strict UTF-8 decoding and encoding, validation with the offset of the first error,
// and terminal display width from range tables written here (see utf8.h for the rules).
#include "arenakit/utf8.h"

const char *ak_utf8_error_str(AkUtf8Error e) {
    switch (e) {
    case AK_UTF8_OK: return "valid";
    case AK_UTF8_TRUNCATED: return "truncated sequence (lead byte without its continuation bytes)";
    case AK_UTF8_OVERLONG: return "overlong encoding";
    case AK_UTF8_SURROGATE: return "UTF-16 surrogate (U+D800..U+DFFF)";
    case AK_UTF8_TOO_LARGE: return "code point above U+10FFFF";
    case AK_UTF8_STRAY_CONTINUATION: return "continuation byte without a lead byte";
    case AK_UTF8_INVALID_BYTE: return "byte F8..FF never appears in UTF-8";
    }
    return "unknown UTF-8 error";
}

static uint32_t decode_fail(uint32_t *cp, AkUtf8Error *err, AkUtf8Error why, uint32_t used) {
    if (cp) *cp = AK_UTF8_REPLACEMENT;
    if (err) *err = why;
    return used;
}

uint32_t ak_utf8_decode(const char *p, uint64_t len, uint32_t *cp, AkUtf8Error *err) {
    if (len == 0) {
        if (cp) *cp = 0;
        if (err) *err = AK_UTF8_OK;
        return 0;
    }
    const unsigned char *s = (const unsigned char *)p;
    uint32_t b0 = s[0];
    if (b0 < 0x80) {
        if (cp) *cp = b0;
        if (err) *err = AK_UTF8_OK;
        return 1;
    }
    if (b0 < 0xC0) return decode_fail(cp, err, AK_UTF8_STRAY_CONTINUATION, 1);
    if (b0 < 0xC2) return decode_fail(cp, err, AK_UTF8_OVERLONG, 1); // C0, C1: 2 bytes for < 0x80
    if (b0 >= 0xF8) return decode_fail(cp, err, AK_UTF8_INVALID_BYTE, 1);
    if (b0 >= 0xF5) return decode_fail(cp, err, AK_UTF8_TOO_LARGE, 1);
    uint32_t n = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    // The second byte's range decides overlong, surrogate and too-large forms (Unicode table 3-7).
    uint32_t lo = 0x80, hi = 0xBF;
    AkUtf8Error below = AK_UTF8_OVERLONG, above = AK_UTF8_TRUNCATED;
    if (b0 == 0xE0) lo = 0xA0;
    else if (b0 == 0xED) hi = 0x9F, above = AK_UTF8_SURROGATE;
    else if (b0 == 0xF0) lo = 0x90;
    else if (b0 == 0xF4) hi = 0x8F, above = AK_UTF8_TOO_LARGE;
    if (len < 2 || (s[1] & 0xC0) != 0x80) return decode_fail(cp, err, AK_UTF8_TRUNCATED, 1);
    if (s[1] < lo) return decode_fail(cp, err, below, 1);
    if (s[1] > hi) return decode_fail(cp, err, above, 1);
    uint32_t v = n == 2 ? b0 & 0x1F : n == 3 ? b0 & 0x0F : b0 & 0x07;
    for (uint32_t k = 1; k < n; k++) {
        if (k >= len || (s[k] & 0xC0) != 0x80) return decode_fail(cp, err, AK_UTF8_TRUNCATED, k);
        v = (v << 6) | (s[k] & 0x3F);
    }
    if (cp) *cp = v;
    if (err) *err = AK_UTF8_OK;
    return n;
}

uint32_t ak_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > AK_UTF8_MAX) return 0;
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Bytes from i on that are plain ASCII, eight at a time where possible.
static uint64_t ascii_run(const unsigned char *s, uint64_t i, uint64_t len) {
    uint64_t start = i;
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < len && s[i] < 0x80) i++;
    return i - start;
}

bool ak_utf8_validate(AkStr s, uint64_t *offset, AkUtf8Error *err) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint64_t i = 0;
    while (i < s.len) {
        i += ascii_run(p, i, s.len);
        if (i == s.len) break;
        AkUtf8Error e;
        uint32_t n = ak_utf8_decode(s.ptr + i, s.len - i, NULL, &e);
        if (e != AK_UTF8_OK) {
            if (offset) *offset = i;
            if (err) *err = e;
            return false;
        }
        i += n;
    }
    if (offset) *offset = s.len;
    if (err) *err = AK_UTF8_OK;
    return true;
}

uint64_t ak_utf8_count(AkStr s) {
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint64_t i = 0, count = 0;
    while (i < s.len) {
        uint64_t run = ascii_run(p, i, s.len);
        i += run, count += run;
        if (i == s.len) break;
        i += ak_utf8_decode(s.ptr + i, s.len - i, NULL, NULL);
        count++;
    }
    return count;
}

AkStr ak_utf8_sanitize(AkArena *arena, AkStr s) {
    uint64_t bad_at;
    if (ak_utf8_validate(s, &bad_at, NULL)) return ak_str_copy(arena, s);
    // First pass sizes the result (each invalid subpart of 1..3 bytes becomes 3), second fills it.
    uint64_t out_len = bad_at;
    for (uint64_t i = bad_at; i < s.len;) {
        AkUtf8Error e;
        uint32_t n = ak_utf8_decode(s.ptr + i, s.len - i, NULL, &e);
        out_len += e == AK_UTF8_OK ? n : 3;
        i += n;
    }
    char *out = ak_arena_push_nz(arena, out_len + 1, 1);
    if (!out) return (AkStr){NULL, 0};
    memcpy(out, s.ptr, (size_t)bad_at);
    uint64_t o = bad_at;
    for (uint64_t i = bad_at; i < s.len;) {
        AkUtf8Error e;
        uint32_t n = ak_utf8_decode(s.ptr + i, s.len - i, NULL, &e);
        if (e == AK_UTF8_OK) memcpy(out + o, s.ptr + i, n), o += n;
        else memcpy(out + o, "\xEF\xBF\xBD", 3), o += 3;
        i += n;
    }
    out[o] = 0;
    return (AkStr){out, o};
}

// ---- display width ------------------------------------------------------------------------
// Sorted, non-overlapping inclusive ranges. Zero width: nonspacing and enclosing combining
// marks of the common scripts, Hangul medial and final jamo, zero-width and bidi format
// characters, variation selectors, tags. Wide: East Asian Wide and Fullwidth (CJK, kana,
// Hangul syllables, fullwidth forms) and the emoji that default to emoji presentation.

typedef struct Range {
    uint32_t lo, hi;
} Range;

static const Range zero_width[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x061C, 0x061C}, {0x064B, 0x065F},
    {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED},
    {0x0711, 0x0711}, {0x0730, 0x074A}, {0x07A6, 0x07B0}, {0x07EB, 0x07F3}, {0x07FD, 0x07FD}, {0x0816, 0x0819},
    {0x081B, 0x0823}, {0x0825, 0x0827}, {0x0829, 0x082D}, {0x0859, 0x085B}, {0x0898, 0x089F},
    {0x08CA, 0x08E1}, {0x08E3, 0x0902}, {0x093A, 0x093A}, {0x093C, 0x093C}, {0x0941, 0x0948},
    {0x094D, 0x094D}, {0x0951, 0x0957}, {0x0962, 0x0963}, {0x0981, 0x0981}, {0x09BC, 0x09BC},
    {0x09C1, 0x09C4}, {0x09CD, 0x09CD}, {0x09E2, 0x09E3}, {0x09FE, 0x09FE}, {0x0A01, 0x0A02},
    {0x0A3C, 0x0A3C}, {0x0A41, 0x0A42}, {0x0A47, 0x0A48}, {0x0A4B, 0x0A4D}, {0x0A51, 0x0A51},
    {0x0A70, 0x0A71}, {0x0A75, 0x0A75}, {0x0A81, 0x0A82}, {0x0ABC, 0x0ABC}, {0x0AC1, 0x0AC5},
    {0x0AC7, 0x0AC8}, {0x0ACD, 0x0ACD}, {0x0AE2, 0x0AE3}, {0x0AFA, 0x0AFF}, {0x0B01, 0x0B01}, {0x0B3C, 0x0B3C},
    {0x0B3F, 0x0B3F}, {0x0B41, 0x0B44}, {0x0B4D, 0x0B4D}, {0x0B55, 0x0B56}, {0x0B62, 0x0B63},
    {0x0B82, 0x0B82}, {0x0BC0, 0x0BC0}, {0x0BCD, 0x0BCD}, {0x0C00, 0x0C00}, {0x0C04, 0x0C04},
    {0x0C3C, 0x0C3C}, {0x0C3E, 0x0C40}, {0x0C46, 0x0C48}, {0x0C4A, 0x0C4D}, {0x0C55, 0x0C56},
    {0x0C62, 0x0C63}, {0x0C81, 0x0C81}, {0x0CBC, 0x0CBC}, {0x0CBF, 0x0CBF}, {0x0CC6, 0x0CC6},
    {0x0CCC, 0x0CCD}, {0x0CE2, 0x0CE3}, {0x0D00, 0x0D01}, {0x0D3B, 0x0D3C}, {0x0D41, 0x0D44},
    {0x0D4D, 0x0D4D}, {0x0D62, 0x0D63}, {0x0D81, 0x0D81}, {0x0DCA, 0x0DCA}, {0x0DD2, 0x0DD4},
    {0x0DD6, 0x0DD6}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x0EB1, 0x0EB1},
    {0x0EB4, 0x0EBC}, {0x0EC8, 0x0ECE}, {0x0F18, 0x0F19}, {0x0F35, 0x0F35}, {0x0F37, 0x0F37},
    {0x0F39, 0x0F39}, {0x0F71, 0x0F7E}, {0x0F80, 0x0F84}, {0x0F86, 0x0F87}, {0x0F8D, 0x0FBC},
    {0x0FC6, 0x0FC6}, {0x102D, 0x1030}, {0x1032, 0x1037}, {0x1039, 0x103A}, {0x103D, 0x103E},
    {0x1058, 0x1059}, {0x105E, 0x1060}, {0x1071, 0x1074}, {0x1082, 0x1082}, {0x1085, 0x1086},
    {0x108D, 0x108D}, {0x109D, 0x109D}, {0x1160, 0x11FF}, {0x135D, 0x135F}, {0x1712, 0x1714},
    {0x1732, 0x1733}, {0x1752, 0x1753}, {0x1772, 0x1773}, {0x17B4, 0x17B5}, {0x17B7, 0x17BD},
    {0x17C6, 0x17C6}, {0x17C9, 0x17D3}, {0x17DD, 0x17DD}, {0x180B, 0x180F}, {0x1885, 0x1886},
    {0x18A9, 0x18A9}, {0x1920, 0x1922}, {0x1927, 0x1928}, {0x1932, 0x1932}, {0x1939, 0x193B},
    {0x1A17, 0x1A18}, {0x1A1B, 0x1A1B}, {0x1A56, 0x1A56}, {0x1A58, 0x1A5E}, {0x1A60, 0x1A60},
    {0x1A62, 0x1A62}, {0x1A65, 0x1A6C}, {0x1A73, 0x1A7C}, {0x1A7F, 0x1A7F}, {0x1AB0, 0x1ACE},
    {0x1B00, 0x1B03}, {0x1B34, 0x1B34}, {0x1B36, 0x1B3A}, {0x1B3C, 0x1B3C}, {0x1B42, 0x1B42},
    {0x1B6B, 0x1B73}, {0x1B80, 0x1B81}, {0x1BA2, 0x1BA5}, {0x1BA8, 0x1BA9}, {0x1BAB, 0x1BAD},
    {0x1BE6, 0x1BE6}, {0x1BE8, 0x1BE9}, {0x1BED, 0x1BED}, {0x1BEF, 0x1BF1}, {0x1C2C, 0x1C33},
    {0x1C36, 0x1C37}, {0x1CD0, 0x1CD2}, {0x1CD4, 0x1CE0}, {0x1CE2, 0x1CE8}, {0x1CED, 0x1CED},
    {0x1CF4, 0x1CF4}, {0x1CF8, 0x1CF9}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E},
    {0x2060, 0x2064}, {0x2066, 0x206F}, {0x20D0, 0x20F0}, {0x2CEF, 0x2CF1}, {0x2D7F, 0x2D7F},
    {0x2DE0, 0x2DFF}, {0x302A, 0x302D}, {0x3099, 0x309A}, {0xA66F, 0xA672}, {0xA674, 0xA67D},
    {0xA69E, 0xA69F}, {0xA6F0, 0xA6F1}, {0xA802, 0xA802}, {0xA806, 0xA806}, {0xA80B, 0xA80B},
    {0xA825, 0xA826}, {0xA82C, 0xA82C}, {0xA8C4, 0xA8C5}, {0xA8E0, 0xA8F1}, {0xA8FF, 0xA8FF},
    {0xA926, 0xA92D}, {0xA947, 0xA951}, {0xA980, 0xA982}, {0xA9B3, 0xA9B3}, {0xA9B6, 0xA9B9},
    {0xA9BC, 0xA9BD}, {0xA9E5, 0xA9E5}, {0xAA29, 0xAA2E}, {0xAA31, 0xAA32}, {0xAA35, 0xAA36},
    {0xAA43, 0xAA43}, {0xAA4C, 0xAA4C}, {0xAA7C, 0xAA7C}, {0xAAB0, 0xAAB0}, {0xAAB2, 0xAAB4},
    {0xAAB7, 0xAAB8}, {0xAABE, 0xAABF}, {0xAAC1, 0xAAC1}, {0xAAEC, 0xAAED}, {0xAAF6, 0xAAF6},
    {0xABE5, 0xABE5}, {0xABE8, 0xABE8}, {0xABED, 0xABED}, {0xD7B0, 0xD7FF}, {0xFB1E, 0xFB1E},
    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}, {0x101FD, 0x101FD},
    {0x102E0, 0x102E0}, {0x10376, 0x1037A}, {0x10A01, 0x10A0F}, {0x10A38, 0x10A3F},
    {0x16FE4, 0x16FE4}, {0x1D167, 0x1D169}, {0x1D173, 0x1D182}, {0x1D185, 0x1D18B},
    {0x1D1AA, 0x1D1AD}, {0x1E8D0, 0x1E8D6}, {0x1E944, 0x1E94A}, {0xE0001, 0xE0001},
    {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};

static const Range wide[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0x303E}, {0x3041, 0x3247}, {0x3250, 0xA4CF}, {0xA960, 0xA97F},
    {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE3}, {0x16FF0, 0x16FF1}, {0x17000, 0x18CD5},
    {0x18D00, 0x18D08}, {0x1AFF0, 0x1B2FB}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B},
    {0x1F240, 0x1F248}, {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F320},
    {0x1F32D, 0x1F335}, {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA},
    {0x1F3CF, 0x1F3D3}, {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E},
    {0x1F440, 0x1F440}, {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E},
    {0x1F550, 0x1F567}, {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4},
    {0x1F5FB, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2},
    {0x1F6D5, 0x1F6D7}, {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC},
    {0x1F7E0, 0x1F7EB}, {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1F9FF}, {0x1FA70, 0x1FA7C}, {0x1FA80, 0x1FA88}, {0x1FA90, 0x1FABD},
    {0x1FABF, 0x1FAC5}, {0x1FACE, 0x1FADB}, {0x1FAE0, 0x1FAE8}, {0x1FAF0, 0x1FAF8},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool in_table(uint32_t cp, const Range *t, uint64_t n) {
    if (cp < t[0].lo || cp > t[n - 1].hi) return false;
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (cp > t[mid].hi) lo = mid + 1;
        else if (cp < t[mid].lo) hi = mid;
        else return true;
    }
    return false;
}

int ak_utf8_cp_width(uint32_t cp) {
    if (cp == 0) return 0;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return -1;
    if (cp < 0x300) return 1; // Latin and friends: the common case skips the tables
    if (in_table(cp, zero_width, AK_ARRAY_COUNT(zero_width))) return 0;
    if (in_table(cp, wide, AK_ARRAY_COUNT(wide))) return 2;
    return 1;
}

// Width of the code point at s[i] and its length; invalid subparts show as U+FFFD (1 column).
static int width_at(AkStr s, uint64_t i, uint32_t *n) {
    uint32_t cp;
    *n = ak_utf8_decode(s.ptr + i, s.len - i, &cp, NULL);
    int w = ak_utf8_cp_width(cp);
    return w < 0 ? 0 : w;
}

uint64_t ak_utf8_width(AkStr s) {
    uint64_t cols = 0;
    for (uint64_t i = 0; i < s.len;) {
        if ((unsigned char)s.ptr[i] >= 0x20 && (unsigned char)s.ptr[i] < 0x7F) {
            cols++, i++;
            continue;
        }
        uint32_t n;
        cols += (uint64_t)width_at(s, i, &n);
        i += n;
    }
    return cols;
}

AkStr ak_utf8_fit(AkStr s, uint64_t cols, uint64_t *used) {
    uint64_t w = 0, i = 0;
    while (i < s.len) {
        uint32_t n;
        int cw = width_at(s, i, &n);
        if (w + (uint64_t)cw > cols) break;
        w += (uint64_t)cw;
        i += n;
    }
    if (used) *used = w;
    return ak_str_head(s, i);
}
