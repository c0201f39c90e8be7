// UTF-8: encode/decode round trip over every scalar value, each kind of error with its
// offset, maximal-subpart replacement (the Unicode standard's example), validation checked
// exhaustively against an independent reference for every 1-, 2- and 3-byte sequence and
// random 4-byte ones, counting, sanitizing, and display width.
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/utf8.h"

#define S AK_STR

// Reference: decode by bit patterns first, judge the value afterwards. Different shape from
// the library's range-table decoder, so a shared mistake is unlikely. Returns the length of a
// valid sequence at p, or 0.
static int ref_valid_len(const unsigned char *p, int len) {
    if (len < 1) return 0;
    int n;
    uint32_t v;
    if (p[0] < 0x80) return 1;
    else if ((p[0] & 0xE0) == 0xC0) n = 2, v = p[0] & 0x1F;
    else if ((p[0] & 0xF0) == 0xE0) n = 3, v = p[0] & 0x0F;
    else if ((p[0] & 0xF8) == 0xF0) n = 4, v = p[0] & 0x07;
    else return 0;
    if (len < n) return 0;
    for (int k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[k] & 0x3F);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_for_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    return n;
}

static bool ref_valid(const unsigned char *p, int len) {
    int i = 0;
    while (i < len) {
        int n = ref_valid_len(p + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

static void test_round_trip(void) {
    int bad = 0;
    for (uint32_t cp = 0; cp <= AK_UTF8_MAX; cp++) {
        char buf[4];
        uint32_t n = ak_utf8_encode(cp, buf);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            bad += n != 0;
            continue;
        }
        uint32_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        uint32_t back = 0;
        AkUtf8Error e = AK_UTF8_TRUNCATED;
        bad += n != want || ak_utf8_decode(buf, n, &back, &e) != n || back != cp || e != AK_UTF8_OK;
        bad += !ak_utf8_validate(ak_str(buf, n), NULL, NULL);
        if (bad) {
            CHECK_MSG(0, "code point U+%04X", cp);
            break;
        }
    }
    CHECK(bad == 0);
    char buf[4];
    CHECK(ak_utf8_encode(0x110000, buf) == 0);
    CHECK(ak_utf8_encode(UINT32_MAX, buf) == 0);
    uint32_t cp = 1;
    CHECK(ak_utf8_decode("x", 0, &cp, NULL) == 0 && cp == 0);
}

static void check_error(const char *bytes, uint64_t len, uint64_t want_offset, AkUtf8Error want) {
    uint64_t off = 999;
    AkUtf8Error e = AK_UTF8_OK;
    CHECK_MSG(!ak_utf8_validate(ak_str(bytes, len), &off, &e), "accepted case at %llu", (unsigned long long)want_offset);
    CHECK_MSG(off == want_offset && e == want, "offset %llu error %s, wanted %llu %s", (unsigned long long)off,
              ak_utf8_error_str(e), (unsigned long long)want_offset, ak_utf8_error_str(want));
}

static void test_errors(void) {
    uint64_t off = 7;
    AkUtf8Error e = AK_UTF8_TRUNCATED;
    CHECK(ak_utf8_validate(S(""), &off, &e) && off == 0 && e == AK_UTF8_OK);
    CHECK(ak_utf8_validate(S("plain ascii, long enough for the word loop"), NULL, NULL));
    CHECK(ak_utf8_validate(S("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"), NULL, NULL));
    check_error("abc\x80", 4, 3, AK_UTF8_STRAY_CONTINUATION);
    check_error("0123456789\xbf", 11, 10, AK_UTF8_STRAY_CONTINUATION);
    check_error("\xc0\xaf", 2, 0, AK_UTF8_OVERLONG);
    check_error("ab\xc1\xbf", 4, 2, AK_UTF8_OVERLONG);
    check_error("\xe0\x80\xaf", 3, 0, AK_UTF8_OVERLONG);
    check_error("\xe0\x9f\xbf", 3, 0, AK_UTF8_OVERLONG);
    check_error("\xf0\x80\x80\xaf", 4, 0, AK_UTF8_OVERLONG);
    check_error("\xf0\x8f\xbf\xbf", 4, 0, AK_UTF8_OVERLONG);
    check_error("x\xed\xa0\x80", 4, 1, AK_UTF8_SURROGATE);
    check_error("\xed\xbf\xbf", 3, 0, AK_UTF8_SURROGATE);
    check_error("\xf4\x90\x80\x80", 4, 0, AK_UTF8_TOO_LARGE);
    check_error("\xf5\x80\x80\x80", 4, 0, AK_UTF8_TOO_LARGE);
    check_error("\xf7\xbf\xbf\xbf", 4, 0, AK_UTF8_TOO_LARGE);
    check_error("\xf8\x88\x80\x80\x80", 5, 0, AK_UTF8_INVALID_BYTE);
    check_error("ok\xff", 3, 2, AK_UTF8_INVALID_BYTE);
    check_error("\xe2\x82", 2, 0, AK_UTF8_TRUNCATED);          // cut at the end
    check_error("x\xe2\x82y", 4, 1, AK_UTF8_TRUNCATED);        // cut by an ASCII byte
    check_error("\xf0\x9f\x98", 3, 0, AK_UTF8_TRUNCATED);
    check_error("\xc3", 1, 0, AK_UTF8_TRUNCATED);
    check_error("\xc3\xc3\xa9", 3, 0, AK_UTF8_TRUNCATED);      // a lead where a continuation goes
    check_error("\xe6\x97\xa5\xe6", 4, 3, AK_UTF8_TRUNCATED);
    for (int k = AK_UTF8_OK; k <= AK_UTF8_INVALID_BYTE; k++) CHECK(ak_utf8_error_str((AkUtf8Error)k)[0] != 0);
    CHECK(ak_utf8_error_str((AkUtf8Error)99)[0] != 0);
}

// Unicode 15, section 3.9, table 3-8: U+FFFD for each maximal subpart.
static void test_maximal_subparts(void) {
    static const char in[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    static const uint32_t want[] = {0x61, 0xFFFD, 0xFFFD, 0xFFFD, 0x62, 0xFFFD, 0x63, 0xFFFD, 0xFFFD, 0x64};
    uint64_t i = 0, len = sizeof in - 1;
    size_t k = 0;
    while (i < len && k < AK_ARRAY_COUNT(want)) {
        uint32_t cp;
        uint32_t n = ak_utf8_decode(in + i, len - i, &cp, NULL);
        REQUIRE(n >= 1);
        CHECK_MSG(cp == want[k], "piece %zu: U+%04X, wanted U+%04X", k, cp, want[k]);
        i += n, k++;
    }
    CHECK(i == len && k == AK_ARRAY_COUNT(want));
    CHECK(ak_utf8_count(ak_str(in, len)) == AK_ARRAY_COUNT(want));

    AkArena *a = ak_arena_create();
    REQUIRE(a);
    AkStr clean = ak_utf8_sanitize(a, ak_str(in, len));
    CHECK(ak_str_eq(clean, S("a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d")));
    CHECK(ak_utf8_validate(clean, NULL, NULL));
    CHECK(clean.ptr[clean.len] == 0);
    AkStr same = ak_utf8_sanitize(a, S("fine \xc3\xa9"));
    CHECK(ak_str_eq(same, S("fine \xc3\xa9")));
    AkStr empty = ak_utf8_sanitize(a, S(""));
    CHECK(empty.ptr && empty.len == 0);
    ak_arena_release(a);
}

static void test_exhaustive_against_reference(void) {
    unsigned char b[4];
    int bad = 0;
    for (int x = 0; x < 256; x++) {
        b[0] = (unsigned char)x;
        bad += ak_utf8_validate(ak_str((char *)b, 1), NULL, NULL) != ref_valid(b, 1);
        for (int y = 0; y < 256; y++) {
            b[1] = (unsigned char)y;
            bad += ak_utf8_validate(ak_str((char *)b, 2), NULL, NULL) != ref_valid(b, 2);
        }
    }
    CHECK(bad == 0);
    // Every 3-byte sequence (16.7M) at full scale; a stride under Valgrind.
    uint32_t step = test_scale() < 1 ? 97 : 1;
    for (uint32_t v = 0; v < (1u << 24) && !bad; v += step) {
        b[0] = (unsigned char)(v >> 16), b[1] = (unsigned char)(v >> 8), b[2] = (unsigned char)v;
        bool got = ak_utf8_validate(ak_str((char *)b, 3), NULL, NULL);
        if (got != ref_valid(b, 3)) {
            bad++;
            CHECK_MSG(0, "%02x %02x %02x: library %d", b[0], b[1], b[2], got);
        }
        // The decoder always makes progress and stays inside the input.
        uint32_t n = ak_utf8_decode((char *)b, 3, NULL, NULL);
        bad += n < 1 || n > 3;
    }
    CHECK(bad == 0);
    uint64_t seed = 99;
    uint64_t rounds = (uint64_t)(4000000 * test_scale());
    for (uint64_t r = 0; r < rounds && !bad; r++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t v = (uint32_t)(seed >> 32);
        // Bias the lead byte toward F0..F4 and continuations toward 80..BF, where the cases are.
        b[0] = (unsigned char)(0xEE + (v & 7));
        b[1] = (unsigned char)(0x78 + ((v >> 3) & 0x4F));
        b[2] = (unsigned char)(0x78 + ((v >> 10) & 0x4F));
        b[3] = (unsigned char)(v >> 24);
        bad += ak_utf8_validate(ak_str((char *)b, 4), NULL, NULL) != ref_valid(b, 4);
    }
    CHECK(bad == 0);
}

static void test_count(void) {
    CHECK(ak_utf8_count(S("")) == 0);
    CHECK(ak_utf8_count(S("hello")) == 5);
    CHECK(ak_utf8_count(S("h\xc3\xa9llo \xe6\x97\xa5\xf0\x9f\x98\x80")) == 8);
    CHECK(ak_utf8_count(S("\x80\x80")) == 2);
    CHECK(ak_utf8_count(S("\xe6\x97")) == 1); // one truncated sequence, one U+FFFD
    CHECK(ak_utf8_count(S("0123456789abcdef\xc3\xa9")) == 17);
}

static void test_width(void) {
    CHECK(ak_utf8_cp_width(0) == 0);
    CHECK(ak_utf8_cp_width('\n') == -1);
    CHECK(ak_utf8_cp_width(0x7F) == -1);
    CHECK(ak_utf8_cp_width(0x9B) == -1);
    CHECK(ak_utf8_cp_width('a') == 1);
    CHECK(ak_utf8_cp_width(0xE9) == 1);     // é
    CHECK(ak_utf8_cp_width(0x0301) == 0);   // combining acute
    CHECK(ak_utf8_cp_width(0x200D) == 0);   // zero width joiner
    // Yijing hexagram symbols sit between CJK extension A and the unified ideographs but are
    // narrow (East Asian width N); the old table made the whole 3250..A4CF block wide.
    CHECK(ak_utf8_cp_width(0x4DBF) == 2);
    CHECK(ak_utf8_cp_width(0x4DC0) == 1);
    CHECK(ak_utf8_cp_width(0x4DFF) == 1);
    CHECK(ak_utf8_cp_width(0x4E00) == 2);
    CHECK(ak_utf8_width(AK_STR("\xE4\xB7\x80\xE4\xB8\x80")) == 3); // U+4DC0 U+4E00
    CHECK(ak_utf8_cp_width(0xFE0F) == 0);   // variation selector 16
    CHECK(ak_utf8_cp_width(0x1160) == 0);   // Hangul medial jamo
    CHECK(ak_utf8_cp_width(0x1100) == 2);   // Hangul initial jamo
    CHECK(ak_utf8_cp_width(0x65E5) == 2);   // 日
    CHECK(ak_utf8_cp_width(0x3042) == 2);   // あ
    CHECK(ak_utf8_cp_width(0x3099) == 0);   // combining kana voiced mark, inside the wide block
    CHECK(ak_utf8_cp_width(0xAC00) == 2);   // 가
    CHECK(ak_utf8_cp_width(0xFF21) == 2);   // fullwidth A
    CHECK(ak_utf8_cp_width(0xFF61) == 1);   // halfwidth ideographic full stop
    CHECK(ak_utf8_cp_width(0x1F600) == 2);  // 😀
    CHECK(ak_utf8_cp_width(0x1F44D) == 2);  // 👍
    CHECK(ak_utf8_cp_width(0x2764) == 1);   // ❤ (text presentation by default)
    CHECK(ak_utf8_cp_width(0x20000) == 2);  // CJK extension B
    CHECK(ak_utf8_cp_width(0x0410) == 1);   // Cyrillic А
    CHECK(ak_utf8_cp_width(0xE0100) == 0);  // variation selector supplement
    CHECK(ak_utf8_cp_width(0x10FFFF) == 1);

    CHECK(ak_utf8_width(S("")) == 0);
    CHECK(ak_utf8_width(S("abc")) == 3);
    CHECK(ak_utf8_width(S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")) == 6);    // 日本語
    CHECK(ak_utf8_width(S("e\xcc\x81")) == 1);                               // e + combining acute
    CHECK(ak_utf8_width(S("\xf0\x9f\x98\x80!")) == 3);
    CHECK(ak_utf8_width(S("a\tb\n")) == 2);                                  // controls: 0
    CHECK(ak_utf8_width(S("\xff\x80x")) == 3);                               // invalid: 1 each

    uint64_t used = 99;
    AkStr jp = S("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
    CHECK(ak_str_eq(ak_utf8_fit(jp, 5, &used), S("\xe6\x97\xa5\xe6\x9c\xac")) && used == 4);
    CHECK(ak_utf8_fit(jp, 1, &used).len == 0 && used == 0);
    CHECK(ak_str_eq(ak_utf8_fit(jp, 100, &used), jp) && used == 6);
    // A combining mark stays with its base character.
    CHECK(ak_str_eq(ak_utf8_fit(S("ae\xcc\x81z"), 2, &used), S("ae\xcc\x81")) && used == 2);
    CHECK(ak_str_eq(ak_utf8_fit(S("abc"), 0, NULL), S("")));
    // A truncated sequence at the end is not split further: it is one column.
    CHECK(ak_str_eq(ak_utf8_fit(S("ab\xe6\x97"), 3, &used), S("ab\xe6\x97")) && used == 3);
}

// ---- against CPython's decoder (tests/utf8_reference.py, run by tests/test_utf8_python.sh) ----
_Static_assert(AK_UTF8_OK == 0 && AK_UTF8_TRUNCATED == 1 && AK_UTF8_OVERLONG == 2 && AK_UTF8_SURROGATE == 3 &&
                   AK_UTF8_TOO_LARGE == 4 && AK_UTF8_STRAY_CONTINUATION == 5 && AK_UTF8_INVALID_BYTE == 6,
               "utf8_reference.py numbers the error kinds the same way");

static unsigned char *ref_data;
static size_t ref_len;

// Every record: each decode step's length, error kind and code point, as CPython decodes the
// bytes (maximal subparts); validate, count and sanitize must agree with the same steps.
static void test_against_python(void) {
    REQUIRE(ref_data && ref_len > 0);
    uint64_t records = 0, bad = 0, invalid = 0;
    AkArena *a = ak_arena_create(.name = "reference");
    REQUIRE(a);
    for (size_t at = 0; at < ref_len && bad < 20;) {
        unsigned n = ref_data[at];
        REQUIRE(n >= 1 && n <= 4 && at + 1 + n + 1 <= ref_len);
        const char *seq = (const char *)ref_data + at + 1;
        unsigned steps = ref_data[at + 1 + n];
        const unsigned char *st = ref_data + at + 2 + n;
        REQUIRE(at + 2 + n + 5 * (size_t)steps <= ref_len);
        at += 2 + n + 5 * (size_t)steps;
        records++;
        uint64_t i = 0, first_bad = UINT64_MAX, out_len = 0;
        AkUtf8Error first_err = AK_UTF8_OK;
        char want_out[16];
        bool ok = true;
        for (unsigned k = 0; k < steps; k++, st += 5) {
            uint32_t want_cp = st[2] | (uint32_t)st[3] << 8 | (uint32_t)st[4] << 16, cp = 0;
            AkUtf8Error e = AK_UTF8_OK;
            uint32_t used = ak_utf8_decode(seq + i, n - i, &cp, &e);
            if (used != st[0] || e != (AkUtf8Error)st[1] || cp != want_cp) {
                ok = false;
                CHECK_MSG(0, "step %u of %02x %02x %02x %02x (len %u): library %u bytes, %s, U+%04X; CPython %u bytes, "
                          "%s, U+%04X", k, (unsigned char)seq[0], n > 1 ? (unsigned char)seq[1] : 0,
                          n > 2 ? (unsigned char)seq[2] : 0, n > 3 ? (unsigned char)seq[3] : 0, n, used,
                          ak_utf8_error_str(e), cp, st[0], ak_utf8_error_str((AkUtf8Error)st[1]), want_cp);
                break;
            }
            if (e != AK_UTF8_OK && first_bad == UINT64_MAX) first_bad = i, first_err = e;
            if (e == AK_UTF8_OK) memcpy(want_out + out_len, seq + i, used), out_len += used;
            else memcpy(want_out + out_len, "\xEF\xBF\xBD", 3), out_len += 3;
            i += used;
        }
        if (!ok) {
            bad++;
            continue;
        }
        if (i != n) {
            bad++;
            CHECK_MSG(0, "record %llu: CPython's steps cover %llu of %u bytes", (unsigned long long)records,
                      (unsigned long long)i, n);
            continue;
        }
        invalid += first_bad != UINT64_MAX;
        uint64_t off = 0;
        AkUtf8Error e = AK_UTF8_OK;
        bool valid = ak_utf8_validate(ak_str(seq, n), &off, &e);
        AkStr clean = ak_utf8_sanitize(a, ak_str(seq, n));
        bool agree = valid == (first_bad == UINT64_MAX) && (valid || (off == first_bad && e == first_err)) &&
                     ak_utf8_count(ak_str(seq, n)) == steps && clean.ptr && clean.len == out_len &&
                     !memcmp(clean.ptr, want_out, (size_t)out_len);
        if (!agree) {
            bad++;
            CHECK_MSG(0, "%02x %02x %02x %02x (len %u): validate/count/sanitize disagree with the steps",
                      (unsigned char)seq[0], n > 1 ? (unsigned char)seq[1] : 0, n > 2 ? (unsigned char)seq[2] : 0,
                      n > 3 ? (unsigned char)seq[3] : 0, n);
        }
        if ((records & 4095) == 0) ak_arena_clear(a);
    }
    ak_arena_release(a);
    CHECK_EQ(bad, 0);
    CHECK(records > 100000 && invalid > records / 2);
    printf("  %llu sequences, %llu invalid, checked step by step against CPython\n", (unsigned long long)records,
           (unsigned long long)invalid);
}

// Every assigned code point Python's data gives a width class (utf8_reference.py --widths):
// wide and fullwidth take 2 columns, others 1 (the old table made U+4DC0..U+4DFF wide).
static void test_widths_against_python(void) {
    REQUIRE(ref_data && ref_len > 0);
    uint64_t n = 0, bad = 0;
    const char *p = (const char *)ref_data, *end = p + ref_len;
    while (p < end) {
        char *next;
        unsigned long cp = strtoul(p, &next, 16);
        long w = strtol(next, &next, 10);
        REQUIRE(next > p && next < end && *next == '\n');
        p = next + 1;
        n++;
        int got = ak_utf8_cp_width((uint32_t)cp);
        if (got != w && bad++ < 10) CHECK_MSG(0, "U+%04lX: width %d, East Asian Width says %ld", cp, got, w);
    }
    CHECK_EQ(bad, 0);
    CHECK(n > 100000);
    printf("  %llu code points checked against Python's East Asian Width\n", (unsigned long long)n);
}

int main(int argc, char **argv) {
    if (argc == 3 && (!strcmp(argv[1], "--reference") || !strcmp(argv[1], "--widths"))) {
        // tests/test_utf8_python.sh: python3 tests/utf8_reference.py [--widths] > FILE;
        // test_utf8 --reference FILE (or --widths FILE)
        FILE *f = fopen(argv[2], "rb");
        if (f) {
            size_t cap = 1 << 20;
            ref_data = malloc(cap);
            size_t got;
            while (ref_data && (got = fread(ref_data + ref_len, 1, cap - ref_len, f)) > 0) {
                ref_len += got;
                if (ref_len == cap) ref_data = realloc(ref_data, cap *= 2);
            }
            fclose(f);
        }
        if (!strcmp(argv[1], "--reference")) RUN(test_against_python);
        else RUN(test_widths_against_python);
        free(ref_data);
        return test_finish();
    }
    RUN(test_round_trip);
    RUN(test_errors);
    RUN(test_maximal_subparts);
    RUN(test_exhaustive_against_reference);
    RUN(test_count);
    RUN(test_width);
    return test_finish();
}
