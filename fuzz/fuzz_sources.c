// libFuzzer target for the newer sources (sources.h): detection, the JSON Lines reader, the
// Claude Code / Codex / Gemini importers and the HTML to text conversion. On any bytes it checks:
//  - the JSON Lines reader gives the same steps (records, bad lines with the same line
//    numbers and messages) through a 64-byte buffer fed 1..8 bytes at a time as from memory;
//  - the import of the bytes (whatever they are detected as) either fails with a message or
//    hands over conversations that keep their invariants: valid UTF-8 everywhere, the visible
//    thread within the messages, every part readable;
//  - HTML to text never grows the text, and gives valid UTF-8 for valid UTF-8.
//
//   make fuzz && build/fuzz/fuzz/fuzz_sources -max_total_time=300 CORPUS_DIR tests/data/*/
#include "arenakit/arenakit.h"
#include "arenakit/utf8.h"
#include "chat/jsonl.h"
#include "chat/sources.h"

#define FUZZ_NAME "fuzz_sources"
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>

static AkArena *arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(AkStr s) { FUZZ_CHECK(ak_utf8_validate(s, NULL, NULL)); }

static bool check_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)user, (void)err;
    check_utf8(c->uuid), check_utf8(c->title), check_utf8(c->model);
    FUZZ_CHECK(c->uuid.len > 0);
    FUZZ_CHECK(c->visible_count <= c->msg_count);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        const ChatMsg *m = &c->msgs[i];
        FUZZ_CHECK(m->visible == (i < c->visible_count));
        check_utf8(m->uuid), check_utf8(m->text), check_utf8(m->author);
        for (uint32_t k = 0; k < m->part_count; k++) check_utf8(m->parts[k].name), check_utf8(m->parts[k].text);
    }
    return true;
}

typedef struct Steps {
    uint32_t records, bad;
    uint64_t bad_lines_hash;
} Steps;

static Steps run_jsonl(ChatJsonlParams p) {
    Steps s = {0};
    AkTemp t = ak_temp_begin(arena);
    ChatError err = {{0}};
    ChatJsonl *r = chat_jsonl_open(arena, p, &err);
    FUZZ_CHECK(r);
    for (uint32_t guard = 0; guard < 100000; guard++) {
        AkTemp lt = ak_temp_begin(arena);
        ChatJsonlStep st = chat_jsonl_next(r, arena, NULL);
        ak_temp_end(lt);
        if (st == CHAT_JSONL_END) break;
        FUZZ_CHECK(st != CHAT_JSONL_ERROR); // neither source fails
        if (st == CHAT_JSONL_RECORD) s.records++;
        else s.bad++, s.bad_lines_hash = s.bad_lines_hash * 31 + chat_jsonl_line(r) + ak_str_hash(ak_str_cstr(chat_jsonl_error(r)));
    }
    chat_jsonl_close(r);
    ak_temp_end(t);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!arena) arena = ak_arena_create(.name = "fuzz_sources");
    const char *text = (const char *)data;

    Steps whole = run_jsonl((ChatJsonlParams){.data = text, .len = size});
    Trickle tr = {data, size, 0, (uint32_t)size};
    Steps bits = run_jsonl((ChatJsonlParams){.read = trickle_read, .user = &tr, .buffer_size = 64});
    FUZZ_CHECK(whole.records == bits.records && whole.bad == bits.bad && whole.bad_lines_hash == bits.bad_lines_hash);

    AkTemp t = ak_temp_begin(arena);
    ChatImportReport rep;
    ChatError err = {{0}};
    ChatImportOptions opt = {.skip_bad = true};
    if (!chat_import_memory(arena, "fuzz", text, size, &opt, check_sink, NULL, &rep, &err)) FUZZ_CHECK(err.msg[0]);
    ak_temp_end(t);

    t = ak_temp_begin(arena);
    AkStr html = ak_str(text, size);
    AkStr out = chat_html_to_text(arena, html);
    FUZZ_CHECK(out.len <= size);
    if (ak_utf8_validate(html, NULL, NULL)) check_utf8(out);
    ak_temp_end(t);
    return 0;
}
