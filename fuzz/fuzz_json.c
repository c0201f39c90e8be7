// libFuzzer target for the streaming JSON reader and the Claude / ChatGPT normalizers. On any
// bytes it checks:
//  - reading through a 64-byte buffer with reads of 1..8 bytes gives the same items (written
//    back as JSON) and the same error (offset and text) as reading the input in one piece;
//  - every decoded key and string is valid UTF-8, and writing an item and parsing that again
//    gives the same text (so numbers and escapes survive);
//  - each object item either normalizes or fails with a message, and a normalized conversation
//    keeps its invariants: the visible thread first, sibling positions in range, every part
//    readable and valid UTF-8; the driver over the whole input agrees with the item count in
//    each mode (default: bad conversations skipped; skip_bad: also salvage before a syntax
//    fault; strict: all or nothing).
//
//   make fuzz && build/fuzz/fuzz/fuzz_json -max_total_time=300 CORPUS_DIR ../shared/samples/*/
#include "arenakit/arenakit.h"
#include "arenakit/utf8.h"
#include "chat/import.h"
#include "chat/sources.h"

#define FUZZ_NAME "fuzz_json"
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>

static AkArena *arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(AkStr s) { FUZZ_CHECK(ak_utf8_validate(s, NULL, NULL)); }

static void check_tree(const ChatJson *v, uint32_t depth) {
    FUZZ_CHECK(depth <= CHAT_JSON_DEFAULT_DEPTH);
    check_utf8(v->key);
    if (v->kind == CHAT_JSON_STRING) check_utf8(v->str);
    uint32_t n = 0;
    for (const ChatJson *c = v->child; c; c = c->next, n++) check_tree(c, depth + 1);
    FUZZ_CHECK(n == v->count);
}

static void check_conv(const ChatConv *c) {
    check_utf8(c->uuid);
    check_utf8(c->title);
    FUZZ_CHECK(c->visible_count <= c->msg_count);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        FUZZ_CHECK(m->visible == (i < c->visible_count));
        FUZZ_CHECK(!(m->visible && m->hidden));
        FUZZ_CHECK(m->sibling_index >= 1 && m->sibling_index <= m->sibling_count);
        check_utf8(m->uuid);
        check_utf8(m->parent_uuid);
        check_utf8(m->text);
        for (uint32_t k = 0; k < m->part_count; k++) {
            check_utf8(m->parts[k].name);
            check_utf8(m->parts[k].text);
        }
    }
}

static uint32_t sunk;
static bool fuzz_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)user, (void)err;
    check_conv(c);
    sunk++;
    return true;
}

// Items written back as JSON, one per line, then "ERR@offset: text" if it failed.
static AkStr read_all(ChatJsonReader *r, uint32_t *objects, uint32_t *good) {
    AkStrBuilder b = ak_str_builder(arena);
    for (;;) {
        ChatJson *v = NULL;
        ChatJsonStep st = chat_json_next(r, arena, &v);
        if (st == CHAT_JSON_END) break;
        if (st == CHAT_JSON_ERROR) {
            ak_str_builder_appendf(&b, "ERR@%llu: %s", (unsigned long long)chat_json_error_offset(r), chat_json_error(r));
            break;
        }
        check_tree(v, 1);
        AkStr w = chat_json_write(arena, v);
        ChatError e;
        ChatJson *again = chat_json_parse(arena, w.ptr, w.len, &e);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(ak_str_eq(chat_json_write(arena, again), w));
        ak_str_builder_append(&b, w);
        ak_str_builder_append(&b, AK_STR("\n"));
        if (objects) { // every item: the driver counts a non-object one as a bad conversation
            ChatConv conv;
            (*objects)++;
            if (chat_import_conv(arena, v, &conv, &e)) {
                check_conv(&conv);
                (*good)++;
            } else {
                FUZZ_CHECK(e.msg[0] != 0);
            }
        }
    }
    return ak_str_builder_finish(&b, arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!arena) arena = ak_arena_create(.name = "fuzz_json");
    ak_arena_clear(arena);
    ChatError err;
    uint32_t objects = 0, good = 0;

    ChatJsonReader *r = chat_json_reader_create(&err, .data = (const char *)data, .len = size, .max_string = size + 64);
    FUZZ_CHECK(r);
    AkStr whole = read_all(r, &objects, &good);
    bool whole_ok = !chat_json_error(r)[0];
    chat_json_reader_release(r);

    Trickle t = {data, size, 0, (uint32_t)size * 2654435761u};
    r = chat_json_reader_create(&err, .read = trickle_read, .user = &t, .buffer_size = 64, .max_string = size + 64);
    FUZZ_CHECK(r);
    AkStr trickled = read_all(r, NULL, NULL);
    chat_json_reader_release(r);
    if (!ak_str_eq(whole, trickled)) {
        fprintf(stderr, "whole:\n%.*s\ntrickled:\n%.*s\n", AK_STR_FMT(whole), AK_STR_FMT(trickled));
        abort();
    }

    // The driver sees the same document. By default a syntax fault fails the import and bad
    // conversations are skipped; with skip_bad the fault is listed instead, and the objects
    // before it still reach the sink; strict fails on any bad conversation too.
    // Documents the driver hands to the newer sources (JSON Lines, Gemini; decided on the
    // same first bytes) are fuzz_sources' to check.
    if (chat_sources_sniff((const char *)data, size < sizeof(((ChatSourcePeek *)0)->head) ? size : sizeof(((ChatSourcePeek *)0)->head)) !=
        CHAT_SOURCE_KIND_EXPORT)
        return 0;
    ChatImportReport rep;
    ChatImportOptions opt = {0};
    sunk = 0;
    bool ok = chat_import_memory(arena, "fuzz", (const char *)data, size, &opt, fuzz_sink, NULL, &rep, &err);
    FUZZ_CHECK(ok == whole_ok);
    if (ok) FUZZ_CHECK(sunk == good && rep.chats == good && rep.bad == objects - good && rep.broken_files == 0);
    if (!ok) FUZZ_CHECK(err.msg[0] != 0);

    opt = (ChatImportOptions){.skip_bad = true};
    sunk = 0;
    ok = chat_import_memory(arena, "fuzz", (const char *)data, size, &opt, fuzz_sink, NULL, &rep, &err);
    FUZZ_CHECK(ok); // nothing but a sink failure is fatal, and this sink never fails
    FUZZ_CHECK(sunk == good && rep.chats == good && rep.broken_files == (whole_ok ? 0u : 1u));
    FUZZ_CHECK(whole_ok || (rep.bad_listed > 0 && rep.bad_list[rep.bad_listed - 1].len > 0));

    opt = (ChatImportOptions){.strict = true};
    ok = chat_import_memory(arena, "fuzz", (const char *)data, size, &opt, fuzz_sink, NULL, &rep, &err);
    FUZZ_CHECK(ok == (whole_ok && good == objects));
    if (!ok) FUZZ_CHECK(err.msg[0] != 0);
    return 0;
}
