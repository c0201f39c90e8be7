// libFuzzer target for the UTF-8 decoder, validator, counter, sanitizer and width functions.
// Checks, on any bytes: the decoder consumes 1..4 bytes inside the input and yields a scalar
// value; validate agrees with a decode loop and names the first bad byte; count equals the
// number of decode steps; sanitize's output is valid, equals the input when that was valid,
// and re-encodes each decoded step; fit never returns more columns than asked.
#include "arenakit/arenakit.h"
#include "arenakit/utf8.h"

#include <stdio.h>
#include <stdlib.h>

static AkArena *arena;

#define FUZZ_CHECK(c) \
    do { if (!(c)) { fprintf(stderr, "fuzz_utf8: %s failed\n", #c); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!arena) arena = ak_arena_create(.name = "fuzz_utf8");
    AkTemp t = ak_temp_begin(arena);
    AkStr s = ak_str((const char *)data, size);

    uint64_t steps = 0, first_bad = AK_STR_NPOS, out_len = 0;
    AkUtf8Error first_err = AK_UTF8_OK;
    for (uint64_t i = 0; i < size;) {
        uint32_t cp = 0;
        AkUtf8Error e;
        uint32_t n = ak_utf8_decode(s.ptr + i, size - i, &cp, &e);
        FUZZ_CHECK(n >= 1 && n <= 4 && n <= size - i);
        FUZZ_CHECK(cp <= AK_UTF8_MAX && !(cp >= 0xD800 && cp <= 0xDFFF));
        char buf[4];
        uint32_t m = ak_utf8_encode(cp, buf);
        if (e == AK_UTF8_OK) {
            FUZZ_CHECK(m == n && memcmp(buf, s.ptr + i, n) == 0); // only the shortest form decodes
        } else {
            FUZZ_CHECK(cp == AK_UTF8_REPLACEMENT);
            if (first_bad == AK_STR_NPOS) first_bad = i, first_err = e;
        }
        out_len += e == AK_UTF8_OK ? n : 3;
        i += n;
        steps++;
    }

    uint64_t off = 0;
    AkUtf8Error err = AK_UTF8_OK;
    bool ok = ak_utf8_validate(s, &off, &err);
    FUZZ_CHECK(ok == (first_bad == AK_STR_NPOS));
    if (!ok) FUZZ_CHECK(off == first_bad && err == first_err);
    FUZZ_CHECK(ak_utf8_count(s) == steps);

    AkStr clean = ak_utf8_sanitize(arena, s);
    FUZZ_CHECK(clean.ptr && clean.len == out_len);
    FUZZ_CHECK(ak_utf8_validate(clean, NULL, NULL));
    FUZZ_CHECK(ak_utf8_count(clean) == steps);
    if (ok) FUZZ_CHECK(ak_str_eq(clean, s));

    uint64_t width = ak_utf8_width(s), used = 0;
    for (uint64_t cols = 0; cols < 6; cols++) {
        AkStr fit = ak_utf8_fit(s, cols, &used);
        FUZZ_CHECK(used <= cols && fit.len <= size);
        FUZZ_CHECK(ak_utf8_width(fit) == used);
    }
    AkStr all = ak_utf8_fit(s, width, &used);
    FUZZ_CHECK(all.len == size && used == width);

    ak_temp_end(t);
    return 0;
}
