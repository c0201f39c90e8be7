#!/usr/bin/env python3
"""utf8_reference.py: expectations for arenakit's UTF-8 decoder from CPython's own decoder.

CPython's UTF-8 codec replaces each maximal subpart of an ill-formed sequence (Unicode 15,
section 3.9, "U+FFFD substitution of maximal subparts"), so its error spans are an
independent reference for the length ak_utf8_decode returns on invalid input. The error kind
comes from the codec's reason ("invalid start byte", "invalid continuation byte", "unexpected
end of data") and, where a continuation byte is refused right after the lead byte, from the
value the two bytes would start (overlong, surrogate, above U+10FFFF), not from byte tables.

Sequences: every 1- and 2-byte sequence; every lead byte with every second byte, followed by
one or two bytes from a set that has a byte of each class (ASCII, each continuation sub-range,
each lead kind, never-valid bytes), so every 3- and 4-byte sequence is represented by its
class (see main for which leads take which). For
each sequence the record holds every decode step over the whole input:
    u8 len, len bytes, u8 steps, steps x (u8 used, u8 kind, u24 code point little-endian)
written to stdout; tests/test_utf8_python.sh pipes it into `test_utf8 --reference`.
"""
import codecs
import sys

# AkUtf8Error values (utf8.h); test_utf8.c asserts the same numbers.
OK, TRUNCATED, OVERLONG, SURROGATE, TOO_LARGE, STRAY, INVALID = range(7)

REPS = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
        0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF]

spans = []


def record(exc):
    spans.append((exc.start, exc.end, exc.reason))
    return ("\ufffd", exc.end)


codecs.register_error("arenakit-ref", record)


def kind(seq, start, end, reason):
    b0 = seq[start]
    if reason == "invalid start byte":
        if 0x80 <= b0 <= 0xBF:
            return STRAY
        if b0 in (0xC0, 0xC1):
            return OVERLONG
        if 0xF5 <= b0 <= 0xF7:
            return TOO_LARGE
        if b0 >= 0xF8:
            return INVALID
        raise ValueError("start byte %02x refused" % b0)
    nxt = seq[end] if end < len(seq) else None
    if end - start == 1 and nxt is not None and 0x80 <= nxt <= 0xBF:
        # A continuation byte refused right after the lead: judge the value it would start.
        if 0xE0 <= b0 <= 0xEF:
            v, least = (b0 & 0x0F) << 12 | (nxt & 0x3F) << 6, 0x800
        else:
            v, least = (b0 & 0x07) << 18 | (nxt & 0x3F) << 12, 0x10000
        if v < least:
            return OVERLONG
        if 0xD800 <= v <= 0xDFFF:
            return SURROGATE
        if v > 0x10FFFF:
            return TOO_LARGE
        raise ValueError("%s refused" % seq.hex())
    return TRUNCATED


def steps(seq):
    del spans[:]
    seq.decode("utf-8", "arenakit-ref")
    out, i = [], 0
    for start, end, reason in spans + [(len(seq), len(seq), None)]:
        if start > i:  # a valid run: one step per character
            for ch in seq[i:start].decode("utf-8"):
                n = len(ch.encode("utf-8"))
                out.append((n, OK, ord(ch)))
        if reason is not None:
            out.append((end - start, kind(seq, start, end, reason), 0xFFFD))
        i = end
    return out


def emit(w, seq):
    st = steps(seq)
    rec = bytearray([len(seq)]) + seq + bytearray([len(st)])
    for used, k, cp in st:
        rec += bytes([used, k, cp & 0xFF, (cp >> 8) & 0xFF, cp >> 16])
    w(rec)


def main():
    buf = bytearray()
    w = buf.extend
    # After an ASCII or a stray byte the decoder starts afresh, so longer sequences after those
    # leads repeat shorter ones: they take representatives only. Lead bytes get every second
    # byte; 4-byte leads every continuation byte second, then representatives.
    for a in range(256):
        emit(w, bytes([a]))
        lead = a >= 0xC0 or a in REPS
        for b in range(256):
            emit(w, bytes([a, b]))
            if not lead:
                continue
            for c in REPS:
                emit(w, bytes([a, b, c]))
                if a >= 0xF0 and (0x80 <= b <= 0xBF or b in REPS):
                    for d in REPS:
                        emit(w, bytes([a, b, c, d]))
    sys.stdout.buffer.write(buf)


def widths():
    """--widths: "cp width" lines from the East Asian Width property (W, F: 2 columns; others
    1) for every code point Python's Unicode data assigns that is not a mark, a format or
    control character, a separator or a conjoining Hangul jamo (whose 0 columns follow
    wcwidth, not this property). Code points newer than Python's data are unassigned to it and
    left out."""
    import unicodedata
    out = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:
            continue
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat[0] in "MCZ":
            continue
        out.append("%x %d\n" % (cp, 2 if unicodedata.east_asian_width(ch) in "WF" else 1))
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    if sys.argv[1:] == ["--widths"]:
        widths()
    else:
        main()
