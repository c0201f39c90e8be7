// The streaming JSON reader: values, escapes, strict UTF-8 with exact offsets, numbers, depth,
// top-level streaming, and the same trees and errors whatever the read sizes (refills inside
// strings, escapes, numbers and UTF-8 sequences).
#define _DEFAULT_SOURCE
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/json.h"

#include <locale.h>
#include <math.h>

static AkArena *arena;

static ChatJson *parse(const char *s) {
    ChatError err = {{0}};
    return chat_json_parse(arena, s, strlen(s), &err);
}

static ChatJson *parse_n(const char *s, uint64_t n) {
    ChatError err = {{0}};
    return chat_json_parse(arena, s, n, &err);
}

// The error text of parsing s (whole-document mode), or "" if it parsed.
static const char *parse_err(const char *s, uint64_t n) {
    static ChatError err;
    memset(&err, 0, sizeof err);
    return chat_json_parse(arena, s, n, &err) ? "" : err.msg;
}
#define ERR(lit) parse_err(lit, sizeof(lit) - 1)

static bool str_is(AkStr s, const char *lit) { return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0; }

static void test_values(void) {
    ChatJson *v = parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
    REQUIRE(v && v->kind == CHAT_JSON_OBJECT);
    CHECK_EQ(v->count, 3);
    CHECK_EQ(v->offset, 1);
    const ChatJson *a = chat_json_get(v, "a");
    REQUIRE(a && a->kind == CHAT_JSON_ARRAY);
    CHECK_EQ(a->count, 6);
    CHECK_EQ(a->key_offset, 2);
    CHECK_EQ(a->offset, 7);
    const ChatJson *e = a->child;
    CHECK(e->kind == CHAT_JSON_NUMBER && str_is(e->str, "1") && chat_json_num(e) == 1.0);
    e = e->next;
    CHECK(e->kind == CHAT_JSON_NUMBER && str_is(e->str, "-2.5e3") && chat_json_num(e) == -2500.0);
    e = e->next;
    CHECK(e->kind == CHAT_JSON_TRUE);
    e = e->next;
    CHECK(e->kind == CHAT_JSON_FALSE);
    e = e->next;
    CHECK(e->kind == CHAT_JSON_NULL);
    e = e->next;
    CHECK(e->kind == CHAT_JSON_STRING && str_is(e->str, "x") && e->str.ptr[1] == 0);
    CHECK(e->next == NULL);
    const ChatJson *b = chat_json_get(v, "b");
    CHECK(b && b->kind == CHAT_JSON_OBJECT && b->count == 0 && !b->child);
    CHECK(chat_json_get(v, "c") && chat_json_get(v, "c")->count == 0);
    CHECK(chat_json_get(v, "missing") == NULL);
    CHECK(chat_json_get(a, "a") == NULL); // not an object
    // Duplicate keys: the last one wins, as in JavaScript.
    v = parse("{\"k\":1,\"k\":2}");
    REQUIRE(v);
    CHECK(str_is(chat_json_get(v, "k")->str, "2"));
    // Scalars as whole documents.
    CHECK(parse("42") && parse("42")->kind == CHAT_JSON_NUMBER);
    CHECK(parse("\"s\"") && parse("\"s\"")->kind == CHAT_JSON_STRING);
    CHECK(parse("null") && parse(" true ")->kind == CHAT_JSON_TRUE);
    CHECK(strcmp(chat_json_kind_name(CHAT_JSON_OBJECT), "object") == 0);
    CHECK(strcmp(chat_json_kind_name(CHAT_JSON_FALSE), "boolean") == 0);
}

static void test_escapes(void) {
    ChatJson *v = parse("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\\u0041\\u00e9\\u65e5\\ud83d\\ude80\\u0000z\"");
    REQUIRE(v);
    const char want[] = "a\"b\\c/d\be\ff\ng\rh\tiA\xC3\xA9\xE6\x97\xA5\xF0\x9F\x9A\x80\0z";
    CHECK_EQ(v->str.len, sizeof want - 1);
    CHECK(memcmp(v->str.ptr, want, sizeof want - 1) == 0);
    // Raw UTF-8 of every length passes untouched.
    v = parse("\"\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x9A\x80 \xF4\x8F\xBF\xBF \xEF\xBB\xBF\x7F\"");
    REQUIRE(v);
    CHECK(str_is(v->str, "\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x9A\x80 \xF4\x8F\xBF\xBF \xEF\xBB\xBF\x7F"));
    CHECK_STR_CONTAINS(ERR("\"\\x\""), "invalid escape in a string at byte 1: a backslash followed by 'x'");
    CHECK_STR_CONTAINS(ERR("\"ab\\u12G4\""), "invalid \\u escape at byte 3");
    CHECK_STR_CONTAINS(ERR("\"\\u12\""), "invalid \\u escape at byte 1");
    CHECK_STR_CONTAINS(ERR("\"\\"), "unexpected end of input at byte 1");
}

static void test_surrogates(void) {
    // Unpaired surrogate escapes decode to U+FFFD (EF BF BD) and are counted.
    const char *cases[][2] = {
        {"\"\\ud83d\"", "\xEF\xBF\xBD"},
        {"\"\\ude80x\"", "\xEF\xBF\xBDx"},
        {"\"\\ud83d\\u0041\"", "\xEF\xBF\xBD" "A"},
        {"\"\\ud83d\\ud83d\\ude80\"", "\xEF\xBF\xBD\xF0\x9F\x9A\x80"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(cases); i++) {
        ChatError err = {{0}};
        ChatJsonReader *r = chat_json_reader_create(&err, .data = cases[i][0], .len = strlen(cases[i][0]), .whole = true);
        REQUIRE(r);
        ChatJson *v = NULL;
        CHECK(chat_json_next(r, arena, &v) == CHAT_JSON_ITEM);
        CHECK_MSG(v && str_is(v->str, cases[i][1]), "case %zu", i);
        CHECK_EQ(chat_json_replaced(r), 1);
        chat_json_reader_release(r);
    }
}

static void test_utf8(void) {
    CHECK_STR_CONTAINS(ERR("[\"ab\xFF\"]"), "invalid UTF-8 at byte 4: FF is a byte that never appears in UTF-8");
    CHECK_STR_CONTAINS(ERR("[\"\xC0\xAF\"]"), "invalid UTF-8 at byte 2: C0 AF is an overlong encoding");
    CHECK_STR_CONTAINS(ERR("[\"\xC1\xBF\"]"), "at byte 2: C1 BF is an overlong encoding");
    CHECK_STR_CONTAINS(ERR("[\"\xE0\x80\xAF\"]"), "at byte 2: E0 80 AF is an overlong encoding");
    CHECK_STR_CONTAINS(ERR("[\"\xF0\x80\x80\xAF\"]"), "at byte 2: F0 80 80 AF is an overlong encoding");
    CHECK_STR_CONTAINS(ERR("[\"cut \xE6\x97 short\"]"), "invalid UTF-8 at byte 6: E6 97 is a truncated sequence");
    CHECK_STR_CONTAINS(ERR("[\"\xED\xA0\x80\"]"), "at byte 2: ED A0 80 is an encoded surrogate");
    CHECK_STR_CONTAINS(ERR("[\"\xF4\x90\x80\x80\"]"), "at byte 2: F4 90 80 80 is a code point above U+10FFFF");
    CHECK_STR_CONTAINS(ERR("[\"\xF5\x80\x80\x80\"]"), "at byte 2: F5 is a byte that never appears");
    CHECK_STR_CONTAINS(ERR("[\"\x9D\x9C\x90\x8A\"]"), "at byte 2: 9D is a continuation byte without a lead byte");
    CHECK_STR_CONTAINS(ERR("[\"x\x80\"]"), "at byte 3: 80 is a continuation byte without a lead byte");
    CHECK_STR_CONTAINS(ERR("[\"\xC3\"]"), "at byte 2: C3 is a truncated sequence");
    CHECK_STR_CONTAINS(ERR("[\"\xF0\x9F\x9A\"]"), "at byte 2: F0 9F 9A is a truncated sequence");
    // The first bad byte is the one reported, and a valid sequence before it is not flagged.
    CHECK_STR_CONTAINS(ERR("[\"caf\xC3\xA9\", \"\xFF \xC0\xAF\"]"), "invalid UTF-8 at byte 11:");
    // Invalid bytes outside strings are plain syntax errors.
    CHECK_STR_CONTAINS(ERR("[1, \xFF]"), "expected a value at byte 4, found byte 0xFF");
}

static void test_control_chars(void) {
    CHECK_STR_CONTAINS(parse_err("[\"before\0after\"]", 15), "control character 0x00 in a string at byte 8");
    CHECK_STR_CONTAINS(ERR("[\"tab\there\"]"), "control character 0x09 in a string at byte 5");
    CHECK_STR_CONTAINS(ERR("[\"a\nb\"]"), "control character 0x0A in a string at byte 3");
    CHECK_STR_CONTAINS(ERR("[\"\x1F\"]"), "control character 0x1F");
    CHECK(parse("\"\x7F\"") != NULL); // DEL is not a control character for JSON
}

static void test_numbers(void) {
    const char *good[] = {"0", "-0", "1", "-1", "10", "0.5", "-0.5", "1e5", "1E+5", "1e-5", "123.456e-7",
                          "1762451797.3769689", "9007199254740993", "1e400", "-1e-400"};
    for (size_t i = 0; i < AK_ARRAY_COUNT(good); i++) {
        ChatJson *v = parse(good[i]);
        CHECK_MSG(v && v->kind == CHAT_JSON_NUMBER && str_is(v->str, good[i]), "good number %s", good[i]);
    }
    struct { const char *s; const char *msg; } bad[] = {
        {"[01]", "invalid number '01' at byte 2"},
        {"[1.]", "invalid number '1.' at byte 3"},
        {"[.5]", "expected a value at byte 1, found '.'"},
        {"[-]", "invalid number '-' at byte 2"},
        {"[+1]", "expected a value at byte 1, found '+'"},
        {"[1e]", "invalid number '1e' at byte 3"},
        {"[1e+]", "invalid number '1e+' at byte 4"},
        {"[--1]", "invalid number '--1' at byte 2"},
        {"[1.2.3]", "invalid number '1.2.3' at byte 4"},
        {"[0x10]", "expected ',' or ']' at byte 2, found 'x'"},
        {"[NaN]", "expected a value at byte 1, found 'N'"},
        {"[-Infinity]", "invalid number '-' at byte 2"},
        {"[1-2]", "invalid number '1-2' at byte 2"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(bad); i++) CHECK_STR_CONTAINS(parse_err(bad[i].s, strlen(bad[i].s)), bad[i].msg);
    // Timestamps keep microseconds (and better): 7 fractional digits as ChatGPT writes them.
    ChatJson *t = parse("1762451797.3769689");
    REQUIRE(t);
    CHECK(fabs(chat_json_num(t) - 1762451797.3769689) < 1e-6);
    CHECK(chat_json_num(t) != 1762451797.0);
    t = parse("1716560354.123456");
    REQUIRE(t);
    CHECK(fabs(chat_json_num(t) - 1716560354.123456) < 5e-7);
    CHECK(chat_json_num(parse("-0.25")) == -0.25);
    CHECK(chat_json_num(parse("\"1\"")) == 0.0); // not a number: 0 by contract, kind says why
    // A ',' decimal point in the program's locale must not cut "1.5" to 1.
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        CHECK(chat_json_num(parse("1.5")) == 1.5);
        setlocale(LC_NUMERIC, "C");
    }
}

static void test_literals_and_syntax(void) {
    CHECK_STR_CONTAINS(ERR("[tru]"), "invalid literal at byte 4: ']' where 'true' was expected");
    CHECK_STR_CONTAINS(ERR("[nulL]"), "invalid literal at byte 4");
    CHECK_STR_CONTAINS(ERR("[fals"), "unexpected end of input at byte 1, inside a literal");
    CHECK_STR_CONTAINS(ERR("[1,]"), "expected a value at byte 3, found ']'");
    CHECK_STR_CONTAINS(ERR("{\"a\":1,}"), "expected a string key at byte 7, found '}'");
    CHECK_STR_CONTAINS(ERR("{\"a\" 1}"), "expected ':' after an object key at byte 5, found '1'");
    CHECK_STR_CONTAINS(ERR("{1:2}"), "expected a string key or '}' at byte 1, found '1'");
    CHECK_STR_CONTAINS(ERR("[1 2]"), "expected ',' or ']' at byte 3, found '2' (inside the array that opens at byte 0)");
    CHECK_STR_CONTAINS(ERR("{\"a\":1]"), "expected ',' or '}' at byte 6, found ']'");
    CHECK_STR_CONTAINS(ERR("[1] x"), "unexpected data after the top-level value at byte 4: 'x'");
    CHECK_STR_CONTAINS(ERR("[{\"a\":[1,2"), "unexpected end of input at byte 10, inside the array that opens at byte 6");
    CHECK_STR_CONTAINS(ERR("\"abc"), "unexpected end of input at byte 4, inside a string that opens at byte 0");
    CHECK_STR_CONTAINS(ERR(""), "empty file");
    CHECK_STR_CONTAINS(ERR(" \n\t"), "only whitespace (3 bytes)");
    CHECK(parse("\xEF\xBB\xBF[1]") != NULL); // a byte order mark at the start is skipped
    CHECK_STR_CONTAINS(ERR("[1]\xEF\xBB\xBF"), "unexpected data after the top-level value at byte 3");
}

static void test_depth(void) {
    char buf[1200];
    for (int depth = 511; depth <= 513; depth++) {
        int n = 0;
        for (int i = 0; i < depth; i++) buf[n++] = '[';
        for (int i = 0; i < depth; i++) buf[n++] = ']';
        const char *e = parse_err(buf, (uint64_t)n);
        if (depth <= 512) CHECK_MSG(e[0] == 0, "depth %d: %s", depth, e);
        else CHECK_STR_CONTAINS(e, "nesting deeper than 512 levels at byte 512");
    }
    // The longest string, whether it fits in the buffer or spans refills.
    ChatError e2 = {{0}};
    for (uint64_t bufsz = 64; bufsz <= 4096; bufsz *= 64) {
        const char *doc = "[\"0123456789\", \"01234567890123456789012345678901234567890123456789012345678901234567890123456789\"]";
        ChatJsonReader *rs = chat_json_reader_create(&e2, .data = doc, .len = strlen(doc), .max_string = 10, .buffer_size = bufsz);
        REQUIRE(rs);
        CHECK(chat_json_next(rs, arena, NULL) == CHAT_JSON_ITEM);
        CHECK(chat_json_next(rs, arena, NULL) == CHAT_JSON_ERROR);
        CHECK_STR_CONTAINS(chat_json_error(rs), "string longer than 10 bytes at byte");
        chat_json_reader_release(rs);
    }
    // A custom limit.
    ChatError err = {{0}};
    ChatJsonReader *r = chat_json_reader_create(&err, .data = "[[[[1]]]]", .len = 9, .max_depth = 3, .whole = true);
    REQUIRE(r);
    CHECK(chat_json_next(r, arena, NULL) == CHAT_JSON_ERROR);
    CHECK_STR_CONTAINS(chat_json_error(r), "nesting deeper than 3 levels at byte 3");
    CHECK_EQ(chat_json_error_offset(r), 3);
    chat_json_reader_release(r);
}

// A source that hands out `step` bytes per read, to put refills everywhere.
typedef struct Trickle {
    const char *data;
    uint64_t len, pos, step;
    bool fail_at_end;
} Trickle;

static int64_t trickle_read(void *user, char *buf, uint64_t cap, ChatError *err) {
    Trickle *t = user;
    if (t->pos == t->len && t->fail_at_end) {
        chat_fail(err, "disk on fire");
        return -1;
    }
    uint64_t n = AK_MIN(AK_MIN(cap, t->step), t->len - t->pos);
    memcpy(buf, t->data + t->pos, (size_t)n);
    t->pos += n;
    return (int64_t)n;
}

// Streams `doc` with the given read step and buffer size; returns the items written out joined
// by '\n', or "ERR@offset: message".
static const char *stream(const char *doc, uint64_t len, uint64_t step, uint64_t bufsz) {
    static char out[1 << 16];
    Trickle t = {doc, len, 0, step, false};
    ChatError err = {{0}};
    ChatJsonReader *r = chat_json_reader_create(&err, .read = trickle_read, .user = &t, .buffer_size = bufsz);
    if (!r) return "no reader";
    out[0] = 0;
    size_t n = 0;
    for (;;) {
        AkTemp tmp = ak_temp_begin(arena);
        ChatJson *v = NULL;
        ChatJsonStep st = chat_json_next(r, arena, &v);
        if (st == CHAT_JSON_ITEM) {
            AkStr s = chat_json_write(arena, v);
            n += (size_t)snprintf(out + n, sizeof out - n, "%.*s\n", AK_STR_FMT(s));
        } else if (st == CHAT_JSON_ERROR) {
            snprintf(out + n, sizeof out - n, "ERR@%llu: %s", (unsigned long long)chat_json_error_offset(r), chat_json_error(r));
        }
        ak_temp_end(tmp);
        if (st != CHAT_JSON_ITEM) break;
    }
    chat_json_reader_release(r);
    return out;
}

static void test_streaming_same_for_any_read_size(void) {
    const char *docs[] = {
        "[{\"k\\u00e9y\": \"caf\xC3\xA9 \\ud83d\\ude80 \xF0\x9F\x91\xA9\\n\", \"n\": [-12.5e-3, 0, 1762451797.3769689]},"
        " {\"long\": \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"},"
        " true, null, \"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\", [[[]]], {}]",
        "{\"single\": [1, 2, {\"x\": \"\\\"q\\\"\"}]}",
        "[]",
        "[1, \"ab\xFF\"]",
        "[{\"a\": \"unterminated",
        "[1, 2] ]",
        "[123456789012345678901234567890.5e10, \"\\ud83d\"]",
    };
    for (size_t d = 0; d < AK_ARRAY_COUNT(docs); d++) {
        char ref[1 << 16];
        snprintf(ref, sizeof ref, "%s", stream(docs[d], strlen(docs[d]), 1u << 20, 0));
        for (uint64_t step = 1; step <= 9; step++)
            for (uint64_t bufsz = 64; bufsz <= 80; bufsz += 16) {
                const char *got = stream(docs[d], strlen(docs[d]), step, bufsz);
                CHECK_MSG(strcmp(ref, got) == 0, "doc %zu step %llu buf %llu:\n%s\nvs\n%s", d,
                          (unsigned long long)step, (unsigned long long)bufsz, ref, got);
            }
    }
    CHECK(strcmp(stream("[]", 2, 1, 0), "") == 0);
    CHECK_STR_CONTAINS(stream("[1, \"ab\xFF\"]", 9, 3, 64), "ERR@7: invalid UTF-8 at byte 7");
    CHECK_STR_CONTAINS(stream("[1, 2] ]", 8, 1, 64), "1\n2\nERR@7: unexpected data after the top-level value at byte 7");
    CHECK_STR_CONTAINS(stream("[{\"a\": \"unterminated", 20, 2, 64),
                       "ERR@20: unexpected end of input at byte 20, inside a string that opens at byte 7");
    CHECK_STR_CONTAINS(stream("[1, 2", 5, 2, 64), "1\n2\nERR@5: unexpected end of input at byte 5, inside the top-level array that opens at byte 0");
    CHECK_STR_CONTAINS(stream("\"s\"", 3, 2, 64), "not a JSON array or object: '\"' at byte 0");
    CHECK_STR_CONTAINS(stream("Here is my chat", 15, 4, 64), "not a JSON array or object: 'H' at byte 0 (expected '[' or '{')");
    CHECK_STR_CONTAINS(stream("", 0, 4, 64), "ERR@0: empty file");
    CHECK_STR_CONTAINS(stream("[1,]", 4, 1, 64), "1\nERR@3: expected a value at byte 3, found ']'");
}

static void test_partial_tree_and_read_error(void) {
    const char *doc = "[{\"uuid\": \"c1\", \"msgs\": [{\"uuid\": \"m1\"}, {\"uuid\": \"m2\", \"text\": \"cut";
    ChatError err = {{0}};
    ChatJsonReader *r = chat_json_reader_create(&err, .data = doc, .len = strlen(doc));
    REQUIRE(r);
    ChatJson *v = NULL;
    CHECK(chat_json_next(r, arena, &v) == CHAT_JSON_ERROR);
    REQUIRE(v && v->kind == CHAT_JSON_OBJECT);
    CHECK(str_is(chat_json_get(v, "uuid")->str, "c1"));
    const ChatJson *msgs = chat_json_get(v, "msgs");
    REQUIRE(msgs && msgs->count == 2);
    CHECK(str_is(chat_json_get(msgs->child->next, "uuid")->str, "m2"));
    CHECK(chat_json_next(r, arena, &v) == CHAT_JSON_ERROR); // sticky
    chat_json_reader_release(r);

    Trickle t = {"[1, 2", 5, 0, 2, true};
    r = chat_json_reader_create(&err, .read = trickle_read, .user = &t);
    REQUIRE(r);
    CHECK(chat_json_next(r, arena, &v) == CHAT_JSON_ITEM);
    CHECK(chat_json_next(r, arena, &v) == CHAT_JSON_ERROR);
    CHECK_STR_CONTAINS(chat_json_error(r), "read error at byte 5: disk on fire");
    chat_json_reader_release(r);
}

static void test_write_roundtrip(void) {
    const char *doc = "{\"a\\n\\\"\":[1.50,-0,\"\\u0001\\t\\u001f\xC3\xA9\",{},[],null,true,false],\"b\":{\"c\":\"\\\\\"}}";
    ChatJson *v = parse(doc);
    REQUIRE(v);
    AkStr w = chat_json_write(arena, v);
    CHECK(str_is(w, "{\"a\\n\\\"\":[1.50,-0,\"\\u0001\\t\\u001f\xC3\xA9\",{},[],null,true,false],\"b\":{\"c\":\"\\\\\"}}"));
    ChatJson *v2 = parse_n(w.ptr, w.len);
    REQUIRE(v2);
    CHECK(ak_str_eq(chat_json_write(arena, v2), w));
    CHECK(chat_json_write(arena, NULL).len == 0);
}

static void test_sample_broken_files(void) {
    const char *dir = getenv("AK_SAMPLES") ? getenv("AK_SAMPLES") : "../shared/samples";
    char path[512];
    snprintf(path, sizeof path, "%s/broken/deep-nesting.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) { printf("  (samples not found at %s: skipped)\n", dir); return; }
    static char data[200000];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    CHECK_EQ(n, 200000);
    const char *got = stream(data, n, 4096, 0);
    CHECK_STR_CONTAINS(got, "ERR@512: nesting deeper than 512 levels at byte 512");
}

// A long string repeated within one item (a Claude message's `text` and its text block) is
// stored once: both nodes point at the same bytes, and the arena holds one copy. The next
// item, after the caller popped the first, gets its own copy (never a view into popped
// memory), and strings that only share a length stay apart. Escaped strings and strings cut
// by a refill (the string builder's path) are shared too.
static void test_repeated_strings_shared(void) {
    char body[400], doc[4096];
    for (size_t i = 0; i < sizeof body - 1; i++) body[i] = (char)('a' + i % 26);
    body[sizeof body - 1] = 0;
    snprintf(doc, sizeof doc,
             "[{\"text\": \"%s\", \"content\": [{\"type\": \"text\", \"text\": \"%s\"}], \"other\": \"%sX\"},"
             " {\"text\": \"%s\", \"esc\": \"%s\\n\", \"esc2\": \"%s\\n\"}]",
             body, body, body + 1, body, body, body);
    for (uint64_t bufsz = 64; bufsz <= 65536; bufsz *= 32) {
        ChatError err = {{0}};
        ChatJsonReader *r = chat_json_reader_create(&err, .data = doc, .len = strlen(doc), .buffer_size = bufsz);
        REQUIRE(r);
        AkTemp t = ak_temp_begin(arena);
        ChatJson *a = NULL;
        REQUIRE(chat_json_next(r, arena, &a) == CHAT_JSON_ITEM);
        const ChatJson *t1 = chat_json_get(a, "text"), *c = chat_json_get(a, "content"), *o = chat_json_get(a, "other");
        REQUIRE(t1 && c && c->child && o);
        const ChatJson *t2 = chat_json_get(c->child, "text");
        REQUIRE(t2);
        CHECK(str_is(t1->str, body) && str_is(t2->str, body));
        CHECK_MSG(t1->str.ptr == t2->str.ptr, "buffer %llu: the repeated body was copied twice", (unsigned long long)bufsz);
        CHECK(o->str.len == t1->str.len && o->str.ptr != t1->str.ptr && o->str.ptr[o->str.len - 1] == 'X');
        uint64_t used = ak_arena_pos(arena) - t.pos;
        CHECK_MSG(used < 2 * sizeof body + 20 * sizeof(ChatJson), "buffer %llu: %llu bytes for one item",
                  (unsigned long long)bufsz, (unsigned long long)used);
        ak_temp_end(t);
        // The arena is popped: the same body must be copied again, not taken from the first item.
        char *junk = ak_arena_push_nz(arena, 4 * sizeof body, 1);
        REQUIRE(junk);
        memset(junk, '#', 4 * sizeof body);
        ak_temp_end(t);
        ChatJson *b = NULL;
        REQUIRE(chat_json_next(r, arena, &b) == CHAT_JSON_ITEM);
        const ChatJson *bt = chat_json_get(b, "text"), *e1 = chat_json_get(b, "esc"), *e2 = chat_json_get(b, "esc2");
        REQUIRE(bt && e1 && e2);
        CHECK(str_is(bt->str, body));
        CHECK(e1->str.len == sizeof body && e1->str.ptr[sizeof body - 1] == '\n');
        CHECK(e1->str.ptr == e2->str.ptr);
        CHECK(chat_json_next(r, arena, NULL) == CHAT_JSON_END);
        ak_temp_end(t);
        chat_json_reader_release(r);
    }
}

int main(void) {
    arena = ak_arena_create(.name = "test_json");
    RUN(test_values);
    RUN(test_escapes);
    RUN(test_surrogates);
    RUN(test_utf8);
    RUN(test_control_chars);
    RUN(test_numbers);
    RUN(test_literals_and_syntax);
    RUN(test_depth);
    RUN(test_streaming_same_for_any_read_size);
    RUN(test_partial_tree_and_read_error);
    RUN(test_write_roundtrip);
    RUN(test_repeated_strings_shared);
    RUN(test_sample_broken_files);
    ak_arena_release(arena);
    ak_scratch_release_thread();
    return test_finish();
}
