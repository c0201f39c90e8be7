// utf8.h: decoding, encoding and checking UTF-8, and how many terminal columns text takes.
// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. The
// decoder never reads past the length it is given and always makes progress, so a loop over
// hostile bytes terminates; invalid bytes decode as U+FFFD, one per maximal invalid subpart
// (as the Unicode standard recommends and browsers do).
// Owns no memory except ak_utf8_sanitize's result, pushed on the caller's arena.
//
// Display width follows wcwidth(): 2 columns for East Asian wide and fullwidth characters and
// emoji presentation, 0 for combining marks, zero-width spaces and joiners, variation
// selectors; -1 (ak_utf8_cp_width) for control characters. The tables are written here from
// Unicode 15 (common ranges, not every property) so the result does not depend on the libc
// locale tables the program happens to run with.
#ifndef ARENAKIT_UTF8_H
#define ARENAKIT_UTF8_H

#include "str.h"

#define AK_UTF8_REPLACEMENT 0xFFFDu
#define AK_UTF8_MAX 0x10FFFFu

typedef enum AkUtf8Error {
    AK_UTF8_OK = 0,
    AK_UTF8_TRUNCATED,     // a lead byte without all its continuation bytes
    AK_UTF8_OVERLONG,      // a code point encoded in more bytes than it needs (C0, C1, E0 80..)
    AK_UTF8_SURROGATE,     // U+D800..U+DFFF (ED A0..)
    AK_UTF8_TOO_LARGE,     // above U+10FFFF (F4 90.., F5..F7)
    AK_UTF8_STRAY_CONTINUATION, // a continuation byte (80..BF) where a lead byte should be
    AK_UTF8_INVALID_BYTE,  // F8..FF never appear in UTF-8
} AkUtf8Error;

const char *ak_utf8_error_str(AkUtf8Error e); // "truncated sequence", ...

// Decode the code point at p[0..len). Returns the bytes it used: 1..4 when len > 0, 0 when
// len == 0. On invalid input *cp is U+FFFD, *err (may be NULL) says why, and the return is
// the length of the maximal invalid subpart (at least 1), so the next call resumes after it.
uint32_t ak_utf8_decode(const char *p, uint64_t len, uint32_t *cp, AkUtf8Error *err);
// Encode cp into out; returns 1..4, or 0 for a surrogate or a value above U+10FFFF.
uint32_t ak_utf8_encode(uint32_t cp, char out[4]);

// True if s is valid UTF-8. Otherwise *offset is the byte where the first bad sequence starts
// and *err why (both may be NULL).
AK_NODISCARD bool ak_utf8_validate(AkStr s, uint64_t *offset, AkUtf8Error *err);
// Code points in s; each maximal invalid subpart counts as one (the U+FFFD it decodes to).
uint64_t ak_utf8_count(AkStr s);
// A copy of s with each invalid subpart replaced by U+FFFD (EF BF BD); NUL-terminated, ptr
// NULL if the arena refused. Valid input is copied unchanged.
AK_NODISCARD AkStr ak_utf8_sanitize(AkArena *arena, AkStr s);

// Columns one code point takes: 0, 1 or 2; -1 for C0/C1 controls and DEL (not printable).
int ak_utf8_cp_width(uint32_t cp);
// Columns s takes on a terminal: controls count 0, invalid subparts 1 (they show as U+FFFD).
uint64_t ak_utf8_width(AkStr s);
// The longest prefix of s that fits in `cols` columns without splitting a code point (or a
// zero-width mark from the character before it); *used (may be NULL) gets its width.
AkStr ak_utf8_fit(AkStr s, uint64_t cols, uint64_t *used);

#endif
