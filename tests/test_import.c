// The importers against the shared samples (counts, threads, branches, parts, escapes, every
// broken file with its exact error) and against hand-made edge cases: cycles, missing links,
// unknown types, skip_bad, sink failures, and bounded memory on a large streamed file.
//
//   test_import                      run the tests (samples from $AK_SAMPLES or ../shared/samples)
//   test_import --measure PATH...    import PATH with a no-op sink; print chats, MB/s, peak RSS
#define _DEFAULT_SOURCE
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/import.h"

#include <archive.h>
#include <archive_entry.h>
#include <math.h>
#include <sys/resource.h>
#include <time.h>

static AkArena *arena; // copies of the conversations the sink saw, per test
static char samples[512];

// ---- a sink that keeps deep copies ----------------------------------------------------------

typedef struct Got {
    ChatConv convs[64];
    uint32_t count;
    uint32_t fail_on; // 1-based: the sink refuses that conversation
} Got;

static AkStr keep_str(AkStr s) { return ak_str_copy(arena, s); }

static bool keep_sink(const ChatConv *c, void *user, ChatError *err) {
    Got *g = user;
    if (g->fail_on && g->count + 1 == g->fail_on) return chat_fail(err, "disk full (test)");
    if (g->count >= AK_ARRAY_COUNT(g->convs)) return true;
    ChatConv *o = &g->convs[g->count++];
    *o = *c;
    o->uuid = keep_str(c->uuid), o->title = keep_str(c->title), o->model = keep_str(c->model);
    o->msgs = ak_push_array(arena, ChatMsg, c->msg_count ? c->msg_count : 1);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        ChatMsg *m = &o->msgs[i];
        *m = c->msgs[i];
        m->uuid = keep_str(m->uuid), m->parent_uuid = keep_str(m->parent_uuid), m->author = keep_str(m->author), m->text = keep_str(m->text);
        m->parts = ak_push_array(arena, ChatPart, m->part_count ? m->part_count : 1);
        for (uint32_t k = 0; k < m->part_count; k++) {
            m->parts[k] = c->msgs[i].parts[k];
            m->parts[k].name = keep_str(m->parts[k].name), m->parts[k].text = keep_str(m->parts[k].text);
        }
    }
    return true;
}

static bool str_is(AkStr s, const char *lit) { return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0; }
static bool has(AkStr s, const char *needle) { return ak_str_contains(s, ak_str_cstr(needle)); }

static const ChatConv *conv_by(const Got *g, const char *uuid) {
    for (uint32_t i = 0; i < g->count; i++)
        if (str_is(g->convs[i].uuid, uuid)) return &g->convs[i];
    return NULL;
}

// By uuid prefix, as the README names messages.
static const ChatMsg *msg_by(const ChatConv *c, const char *prefix) {
    for (uint32_t i = 0; c && i < c->msg_count; i++)
        if (ak_str_starts_with(c->msgs[i].uuid, ak_str_cstr(prefix))) return &c->msgs[i];
    return NULL;
}

static uint32_t msg_index(const ChatConv *c, const char *prefix) { return (uint32_t)(msg_by(c, prefix) - c->msgs); }

static const ChatPart *part_of(const ChatMsg *m, ChatPartKind kind, uint32_t nth) {
    for (uint32_t i = 0; m && i < m->part_count; i++)
        if (m->parts[i].kind == kind && nth-- == 0) return &m->parts[i];
    return NULL;
}

static const char *sample(const char *rel) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", samples, rel);
    return path;
}

static bool have_samples(void) {
    FILE *f = fopen(sample("README.md"), "r");
    if (f) fclose(f);
    else printf("  samples not found at %s (set AK_SAMPLES)\n", samples);
    return f != NULL;
}

// How an import treats what it cannot read: the default skips bad conversations and fails on
// a syntax fault; SKIP_BAD also salvages before a syntax fault; STRICT is all or nothing.
enum { DEFAULT = 0, SKIP_BAD = 1, STRICT = 2 };

static bool import(const char *path, int mode, Got *g, ChatImportReport *rep, ChatError *err) {
    ChatImportOptions opt = {.skip_bad = mode & SKIP_BAD, .strict = mode & STRICT};
    memset(err, 0, sizeof *err);
    return chat_import_path(arena, path, &opt, keep_sink, g, rep, err);
}

static bool import_mem(const char *doc, int mode, Got *g, ChatImportReport *rep, ChatError *err) {
    ChatImportOptions opt = {.skip_bad = mode & SKIP_BAD, .strict = mode & STRICT};
    memset(err, 0, sizeof *err);
    return chat_import_memory(arena, "mem.json", doc, strlen(doc), &opt, keep_sink, g, rep, err);
}

static uint32_t visible_of(const Got *g, const char *uuid) {
    const ChatConv *c = conv_by(g, uuid);
    return c ? c->visible_count : 999;
}

// ---- Claude --------------------------------------------------------------------------------

static void check_claude_convs(const Got *g) {
    CHECK_EQ(g->count, 8);
    CHECK_EQ(visible_of(g, "4e0c6a1f-7b2d-4f51-9a3e-2c8d51e0b7a4"), 4);
    CHECK_EQ(visible_of(g, "9d2f4b61-c8e3-4a7f-b0d5-61e2a9c73f08"), 4);
    CHECK_EQ(visible_of(g, "c27a5e90-3d14-4b8f-a6c2-f0e9d8b7a615"), 2);
    CHECK_EQ(visible_of(g, "6b8e0f27-a3d9-4c51-8f64-d2b1e0c9a837"), 4);
    CHECK_EQ(visible_of(g, "0a7d3c58-91e6-4f2b-b5a0-e4c3d2f1b698"), 2);
    CHECK_EQ(visible_of(g, "e83b1f04-6a2c-4d97-8e15-a0b9c8d7e6f1"), 2);
    CHECK_EQ(visible_of(g, "f49c2a15-7b3d-4ea8-9f26-b1c0d9e8f702"), 0);
    CHECK_EQ(visible_of(g, "35d1e8b6-0c4f-4a29-8d73-c6b5a4f3e210"), 4);
    for (uint32_t i = 0; i < g->count; i++) CHECK(g->convs[i].source == CHAT_SOURCE_CLAUDE);

    // Old style: only text, no links: the array is the thread.
    const ChatConv *c = conv_by(g, "4e0c6a1f-7b2d-4f51-9a3e-2c8d51e0b7a4");
    REQUIRE(c && c->msg_count == 4);
    CHECK(str_is(c->title, "Reserving address space on Linux"));
    CHECK(c->msgs[0].role == CHAT_ROLE_USER && c->msgs[1].role == CHAT_ROLE_ASSISTANT);
    CHECK(str_is(c->msgs[0].author, "human"));
    CHECK(has(c->msgs[1].text, "MAP_NORESERVE") && c->msgs[1].part_count == 1);
    CHECK(c->msgs[0].parent_uuid.len == 0 && ak_str_eq(c->msgs[1].parent_uuid, c->msgs[0].uuid));
    for (uint32_t i = 0; i < 4; i++) CHECK(c->msgs[i].visible && c->msgs[i].sibling_count == 1);
    CHECK(fabs(c->created - 1694678531.482913) < 1e-6); // 2023-09-14T08:02:11.482913Z
    CHECK(fabs(c->msgs[3].created - 1694678986.872590) < 1e-6);

    // Blocks only: thinking, tool_use, tool_result (is_error false, then true), text, unknown.
    c = conv_by(g, "9d2f4b61-c8e3-4a7f-b0d5-61e2a9c73f08");
    REQUIRE(c);
    CHECK_EQ(c->unknown_parts, 1);
    const ChatMsg *m = msg_by(c, "01973a1e-9a41-7c05-8f2e-b3d7e1a4c962");
    REQUIRE(m);
    CHECK(part_of(m, CHAT_PART_THINKING, 0) && has(part_of(m, CHAT_PART_THINKING, 0)->text, "second-level index"));
    const ChatPart *p = part_of(m, CHAT_PART_TOOL_USE, 0);
    // The call and its result carry the tool id (tool_use.id = tool_result.tool_use_id).
    CHECK(p && str_is(p->name, "repl #toolu_01Hq7XbN3wR5tYk2PzLm8vDc") && has(p->text, "\"code\":\"const sizes = [48, 80, 128];\\n"));
    p = part_of(m, CHAT_PART_TOOL_RESULT, 0);
    CHECK(p && !p->is_error && has(p->text, "{\"status\":\"success\",\"logs\":[\"[ 1, 3, 6 ]\"]}"));
    CHECK(p && ak_str_ends_with(p->name, AK_STR(" #toolu_01Hq7XbN3wR5tYk2PzLm8vDc")));
    // Thinking summaries are searchable thinking text.
    CHECK(part_of(m, CHAT_PART_THINKING, 1) && str_is(part_of(m, CHAT_PART_THINKING, 1)->name, "summary") &&
          str_is(part_of(m, CHAT_PART_THINKING, 1)->text, "Suspecting a mismatch between insert and search size classes."));
    p = part_of(m, CHAT_PART_UNKNOWN, 0);
    CHECK(p && str_is(p->name, "future_block_type") && has(p->text, "\"payload\":{\"note\":\"a block type this importer has never seen\"}"));
    CHECK(m->parts[m->part_count - 2].kind == CHAT_PART_UNKNOWN); // export order kept, then the block times
    // Per-block start/stop times, one pair per block (the unknown block has none).
    p = part_of(m, CHAT_PART_META, 0);
    CHECK(p && str_is(p->name, "block_times") && has(p->text, "[[\"2025-06-03T19:40:07.902215Z\",") && ak_str_ends_with(p->text, AK_STR(",[null,null]]")));
    CHECK(has(m->text, "second-level list 3") && !has(m->text, "free count drops")); // text parts only
    bool error_result = false;
    for (uint32_t i = 0; i < c->msg_count; i++)
        for (uint32_t k = 0; k < c->msgs[i].part_count; k++)
            error_result |= c->msgs[i].parts[k].kind == CHAT_PART_TOOL_RESULT && c->msgs[i].parts[k].is_error;
    CHECK(error_result);
    CHECK(c->msgs[0].text.len > 0 && c->msgs[0].part_count == 2); // "text": "" with the body in a block, + times
    CHECK(part_of(&c->msgs[0], CHAT_PART_TEXT, 0) && part_of(&c->msgs[0], CHAT_PART_META, 0)); // no empty citations part

    // Attachments are searchable text; files are names; 2024 style text stored once.
    c = conv_by(g, "c27a5e90-3d14-4b8f-a6c2-f0e9d8b7a615");
    REQUIRE(c);
    m = &c->msgs[0];
    p = part_of(m, CHAT_PART_ATTACHMENT, 1);
    CHECK(p && str_is(p->name, "notes.txt") && has(p->text, "quokkazebra"));
    CHECK(part_of(m, CHAT_PART_ATTACHMENT, 0) && has(part_of(m, CHAT_PART_ATTACHMENT, 0)->text, "arena_push"));
    CHECK(part_of(m, CHAT_PART_FILE, 0) && str_is(part_of(m, CHAT_PART_FILE, 0)->name, "flamegraph.png"));
    CHECK(part_of(m, CHAT_PART_FILE, 1) && str_is(part_of(m, CHAT_PART_FILE, 1)->name, "1732111897004_image.png"));
    CHECK(str_is(m->text, "Please review this arena for alignment bugs. The flame graph is attached too."));
    CHECK(part_of(m, CHAT_PART_TEXT, 0) && !part_of(m, CHAT_PART_TEXT, 1));

    // Branches: the thread, then the other branch in order, marked 1 of 2.
    c = conv_by(g, "6b8e0f27-a3d9-4c51-8f64-d2b1e0c9a837");
    REQUIRE(c && c->msg_count == 6 && c->visible_count == 4);
    const char *thread[] = {"a1c4e7f0", "b2d5f8a1", "e5a8c1d4", "f6b9d2e5", "c3e6a9b2", "d4f7b0c3"};
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_MSG(ak_str_starts_with(c->msgs[i].uuid, ak_str_cstr(thread[i])), "msgs[%u] is %.*s", i, AK_STR_FMT(c->msgs[i].uuid));
        CHECK(c->msgs[i].visible == (i < 4));
    }
    m = msg_by(c, "c3e6a9b2");
    CHECK(m && m->sibling_index == 1 && m->sibling_count == 2 && !m->visible);
    m = msg_by(c, "e5a8c1d4");
    CHECK(m && m->sibling_index == 2 && m->sibling_count == 2 && m->visible && has(m->text, "Edited:"));
    m = msg_by(c, "d4f7b0c3");
    CHECK(m && !m->visible && str_is(m->parent_uuid, "c3e6a9b2-4d7f-4a05-9c38-e9b2d5f8a143"));
    CHECK(c->msgs[0].parent_uuid.len == 0); // the all-zero root sentinel is no parent

    CHECK(conv_by(g, "0a7d3c58-91e6-4f2b-b5a0-e4c3d2f1b698")->title.len == 0);
    CHECK(conv_by(g, "e83b1f04-6a2c-4d97-8e15-a0b9c8d7e6f1")->title.len == 0);
    c = conv_by(g, "f49c2a15-7b3d-4ea8-9f26-b1c0d9e8f702");
    CHECK(c && c->msg_count == 0 && str_is(c->title, "Untitled"));

    // Non-Latin text and escapes decoded exactly.
    c = conv_by(g, "35d1e8b6-0c4f-4a29-8d73-c6b5a4f3e210");
    REQUIRE(c && c->msg_count == 4);
    CHECK(str_is(c->title, "多言語テスト: арена, ذاكرة, 👩‍💻"));
    CHECK(has(c->msgs[2].text, "cafe\xCC\x81 vs caf\xC3\xA9") && has(c->msgs[2].text, "👋🏽"));
    const char *want = "Escapes decoded: 日本語 🚀 👩‍💻 café\nPath: C:\\arena\\bin\\chatlog.exe\tURL: https://example.com/a?b=1&c=%22\n"
                       "Quote: \"arena\" and a backslash-n literal: \\n\nControl: bell\x07 nul-free, DEL\x7F, BOM-in-text \xEF\xBB\xBF" "end";
    CHECK_MSG(str_is(c->msgs[3].text, want), "got: %.*s", AK_STR_FMT(c->msgs[3].text));
}

static void test_claude_sample(void) {
    if (!have_samples()) return;
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    bool ok = import(sample("claude/conversations.json"), DEFAULT, &g, &rep, &err);
    REQUIRE(ok);
    CHECK_EQ(rep.files, 1);
    CHECK_EQ(rep.chats, 8);
    CHECK_EQ(rep.visible_messages, 22);
    CHECK_EQ(rep.messages, 24);
    CHECK_EQ(rep.bad, 0);
    CHECK_EQ(rep.unknown_parts, 1);
    CHECK_EQ(rep.bytes, 25259);
    check_claude_convs(&g);
}

static void test_claude_zip(void) {
    if (!have_samples()) return;
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    bool ok = import(sample("zips/claude-export.zip"), DEFAULT, &g, &rep, &err);
    CHECK_MSG(ok, "%s", err.msg);
    CHECK_EQ(rep.files, 1); // users.json and projects.json are not read
    CHECK_EQ(rep.chats, 8);
    CHECK_EQ(rep.visible_messages, 22);
    CHECK_EQ(rep.messages, 24);
    check_claude_convs(&g); // minified with \u escapes: the same text, byte for byte
}

// ---- ChatGPT -------------------------------------------------------------------------------

static void test_chatgpt_sample(void) {
    if (!have_samples()) return;
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    bool ok = import(sample("chatgpt/conversations.json"), DEFAULT, &g, &rep, &err);
    CHECK_MSG(ok, "%s", err.msg);
    CHECK_EQ(rep.chats, 8);
    CHECK_EQ(rep.visible_messages, 29);
    CHECK_EQ(rep.messages, 32); // 29 visible + 3 off-thread
    CHECK_EQ(rep.hidden_messages, 3);
    CHECK_EQ(rep.unknown_parts, 0);
    CHECK_EQ(visible_of(&g, "6650a1e2-7c44-800f-9a1b-3e5d7f9b1c2d"), 4);
    CHECK_EQ(visible_of(&g, "67b4a3e2-1f5c-8009-b2a7-4d6e8f0a1c3e"), 4);
    CHECK_EQ(visible_of(&g, "c5a6b7d8-e9f0-4a1b-8c2d-3e4f5a6b7c8d"), 2);
    CHECK_EQ(visible_of(&g, "6836b1ce-9a0f-8004-a5d2-7e1c3b9f0d24"), 2);
    CHECK_EQ(visible_of(&g, "66a26319-5d2e-8006-9c4b-1f8e3a7d6c50"), 4);
    CHECK_EQ(visible_of(&g, "689b0a3c-4e1d-8326-b9f5-0a7c2e4d6b18"), 4);
    CHECK_EQ(visible_of(&g, "b1e9c6a2-0f7d-4e35-8a41-d2c9b8a7f603"), 5);
    CHECK_EQ(visible_of(&g, "690c4e2f-8b1a-8327-a6d4-3f0e9c2b7a15"), 4);
    for (uint32_t i = 0; i < g.count; i++) CHECK(g.convs[i].source == CHAT_SOURCE_CHATGPT);

    // Linear, with a hidden system message at the root: kept, hidden, not visible, after the thread.
    const ChatConv *c = conv_by(&g, "6650a1e2-7c44-800f-9a1b-3e5d7f9b1c2d");
    REQUIRE(c && c->msg_count == 5);
    const ChatMsg *m = msg_by(c, "0c1d2e3f");
    CHECK(m && m->hidden && !m->visible && m->role == CHAT_ROLE_SYSTEM && msg_index(c, "0c1d2e3f") == 4);
    CHECK(c->msgs[0].parent_uuid.len == 0 || str_is(c->msgs[0].parent_uuid, "0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e"));
    CHECK(has(c->msgs[1].text, "```c\ntypedef struct"));
    CHECK(str_is(c->model, "gpt-4o") && str_is(c->title, "Token bucket rate limiter in C"));
    CHECK(fabs(c->created - 1716560354.123456) < 1e-6);

    // Branches: the current_node path, never children[0]; off-thread texts not on it.
    c = conv_by(&g, "67b4a3e2-1f5c-8009-b2a7-4d6e8f0a1c3e");
    REQUIRE(c && c->msg_count == 8);
    const char *thread[] = {"aaa2a0b1", "d2e3f4a5", "aaa27f3e", "b7c8d9e0"};
    for (uint32_t i = 0; i < 4; i++) CHECK(ak_str_starts_with(c->msgs[i].uuid, ak_str_cstr(thread[i])) && c->msgs[i].visible);
    for (uint32_t i = 0; i < c->visible_count; i++)
        CHECK(!has(c->msgs[i].text, "REGENERATED AWAY") && !has(c->msgs[i].text, "EDITED AWAY") &&
              !has(c->msgs[i].text, "ABANDONED BRANCH"));
    uint32_t off_thread = 0;
    for (uint32_t i = c->visible_count; i < c->msg_count; i++)
        off_thread += has(c->msgs[i].text, "REGENERATED AWAY") + has(c->msgs[i].text, "ORIGINAL PROMPT, EDITED AWAY") +
                      has(c->msgs[i].text, "ANSWER ON THE ABANDONED BRANCH");
    CHECK_EQ(off_thread, 3);
    m = msg_by(c, "c1d2e3f4");
    CHECK(m && m->sibling_index == 1 && m->sibling_count == 2 && !m->visible);
    CHECK(msg_by(c, "d2e3f4a5")->sibling_index == 2);
    CHECK(msg_by(c, "aaa2f1e0")->sibling_index == 1 && msg_by(c, "aaa2f1e0")->sibling_count == 2);
    CHECK(msg_by(c, "aaa27f3e")->sibling_index == 2);
    CHECK(msg_index(c, "aaa2f1e0") + 1 == msg_index(c, "e3f4a5b6")); // a branch reads root to leaf
    CHECK(str_is(msg_by(c, "aaa2a0b1")->parent_uuid, "6744fb79-ffd7-484c-a9cd-7e826dca1e21"));

    // Nulls: title, times, model.
    c = conv_by(&g, "c5a6b7d8-e9f0-4a1b-8c2d-3e4f5a6b7c8d");
    REQUIRE(c);
    CHECK(c->title.len == 0 && c->model.len == 0 && c->created == CHAT_TIME_UNKNOWN && c->updated == CHAT_TIME_UNKNOWN);
    CHECK(c->msgs[0].created == CHAT_TIME_UNKNOWN && c->msgs[1].created == 1701298837.5);

    // Multimodal: pointers kept as images, never as text.
    c = conv_by(&g, "6836b1ce-9a0f-8004-a5d2-7e1c3b9f0d24");
    REQUIRE(c);
    m = &c->msgs[0];
    CHECK(str_is(m->text, "Left is the malloc build, right is the arena build. Where did the time go?"));
    CHECK(part_of(m, CHAT_PART_IMAGE, 0) && str_is(part_of(m, CHAT_PART_IMAGE, 0)->name, "file-service://file-7QdWm2RkX9cLp4VbNz8hTy"));
    CHECK(part_of(m, CHAT_PART_IMAGE, 1) && str_is(part_of(m, CHAT_PART_IMAGE, 1)->name, "sediment://file_00000000329c620cae9335c4e8ff1a2b"));
    CHECK(!part_of(m, CHAT_PART_TEXT, 1) && !has(m->text, "asset_pointer"));
    CHECK(part_of(m, CHAT_PART_FILE, 0) && str_is(part_of(m, CHAT_PART_FILE, 0)->name, "malloc-flame.png"));

    // Code interpreter: code to python, its output from tool:python.
    c = conv_by(&g, "66a26319-5d2e-8006-9c4b-1f8e3a7d6c50");
    REQUIRE(c && c->msg_count == 4);
    const ChatPart *p = part_of(&c->msgs[1], CHAT_PART_TOOL_USE, 0);
    CHECK(p && str_is(p->name, "python") && has(p->text, "pd.read_csv"));
    CHECK(c->msgs[2].role == CHAT_ROLE_TOOL && str_is(c->msgs[2].author, "tool:python"));
    p = part_of(&c->msgs[2], CHAT_PART_TOOL_RESULT, 0);
    CHECK(p && str_is(p->text, "48.0") && !p->is_error);

    // Reasoning: thoughts and the recap are thinking, not text.
    c = conv_by(&g, "689b0a3c-4e1d-8326-b9f5-0a7c2e4d6b18");
    REQUIRE(c);
    p = part_of(&c->msgs[1], CHAT_PART_THINKING, 1);
    CHECK(p && str_is(p->name, "Checking the full-mask case") && has(p->text, "ctz of zero"));
    CHECK(c->msgs[1].text.len == 0);
    p = part_of(&c->msgs[2], CHAT_PART_THINKING, 0);
    CHECK(p && str_is(p->text, "Thought for 12s"));

    // Browsing: results and quotes are tool results; citation marks stay as written.
    c = conv_by(&g, "b1e9c6a2-0f7d-4e35-8a41-d2c9b8a7f603");
    REQUIRE(c && c->msg_count == 5);
    CHECK(part_of(&c->msgs[1], CHAT_PART_TOOL_USE, 0) && str_is(part_of(&c->msgs[1], CHAT_PART_TOOL_USE, 0)->name, "browser"));
    p = part_of(&c->msgs[2], CHAT_PART_TOOL_RESULT, 0);
    CHECK(p && has(p->text, "threshold size of 1000 pages") && str_is(p->name, "browser"));
    p = part_of(&c->msgs[3], CHAT_PART_TOOL_RESULT, 0);
    CHECK(p && str_is(p->name, "https://www.sqlite.org/wal.html") && has(p->text, "Write-Ahead Logging"));
    CHECK(has(c->msgs[4].text, "【0†source】") && has(c->msgs[4].text, "\xEE\x88\x80" "cite\xEE\x88\x82turn0search1\xEE\x88\x81"));

    // 2025 shape: keys sorted, root last, 7-digit floats, hidden context, system_error.
    c = conv_by(&g, "690c4e2f-8b1a-8327-a6d4-3f0e9c2b7a15");
    REQUIRE(c && c->msg_count == 5);
    CHECK(str_is(c->title, "Timing arena pushes"));
    CHECK(fabs(c->created - 1762451796.9816742) < 1e-6);
    CHECK(fabs(c->msgs[0].created - 1762451797.3769689) < 1e-6 && c->msgs[0].created != floor(c->msgs[0].created));
    p = part_of(&c->msgs[2], CHAT_PART_TOOL_RESULT, 0);
    CHECK(p && p->is_error && str_is(p->name, "AceInternalException"));
    m = msg_by(c, "14cff990");
    CHECK(m && m->hidden && !m->visible && part_of(m, CHAT_PART_TEXT, 0) && has(m->text, "arenakit"));
}

static void test_chatgpt_split(void) {
    if (!have_samples()) return;
    const char *paths[] = {"chatgpt-split", "zips/chatgpt-split-export.zip"};
    for (size_t i = 0; i < 2; i++) {
        Got g = {0};
        ChatImportReport rep;
        ChatError err;
        bool ok = import(sample(paths[i]), DEFAULT, &g, &rep, &err);
        CHECK_MSG(ok, "%s: %s", paths[i], err.msg);
        CHECK_EQ(rep.files, 2);
        CHECK_EQ(rep.chats, 5);
        CHECK_EQ(rep.visible_messages, 12);
        CHECK_EQ(g.count, 5);
        // Shards in natural order, conversations in file order.
        const char *order[] = {"6955a201", "6956f380", "69584501", "6959968a", "695ae803"};
        for (uint32_t k = 0; k < 5 && k < g.count; k++) CHECK(ak_str_starts_with(g.convs[k].uuid, ak_str_cstr(order[k])));
        CHECK_EQ(visible_of(&g, "6956f380-0c2a-8325-a7e1-4b9d3f5c7e02"), 2);
        const ChatConv *c = conv_by(&g, "6956f380-0c2a-8325-a7e1-4b9d3f5c7e02");
        for (uint32_t k = 0; c && k < c->visible_count; k++) CHECK(!has(c->msgs[k].text, "REGENERATED AWAY"));
        CHECK(c && c->msg_count >= 3);
        CHECK_EQ(visible_of(&g, "6959968a-2e4b-8331-8d5f-0c6e8a2b4d71"), 4);
        CHECK(conv_by(&g, "6959968a-2e4b-8331-8d5f-0c6e8a2b4d71")->title.len == 0);
    }
    // One shard on its own.
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    CHECK(import(sample("chatgpt-split/conversations-001.json"), DEFAULT, &g, &rep, &err));
    CHECK_EQ(rep.chats, 3);
}

typedef struct Progress {
    uint64_t calls, last, total;
    bool monotonic;
} Progress;

static void on_progress(uint64_t done, uint64_t total, void *user) {
    Progress *p = user;
    p->monotonic &= done >= p->last && done <= total;
    p->calls++, p->last = done, p->total = total;
}

static void test_progress(void) {
    if (!have_samples()) return;
    const char *paths[] = {"claude/conversations.json", "chatgpt-split", "zips/chatgpt-split-export.zip"};
    const uint64_t sizes[] = {25259, 3975 + 6796, 3975 + 6796};
    for (size_t i = 0; i < AK_ARRAY_COUNT(paths); i++) {
        Progress p = {.monotonic = true};
        Got g = {0};
        ChatImportReport rep;
        ChatError err = {{0}};
        ChatImportOptions opt = {.progress = on_progress, .progress_user = &p};
        CHECK(chat_import_path(arena, sample(paths[i]), &opt, keep_sink, &g, &rep, &err));
        CHECK(p.monotonic && p.calls >= g.count);
        CHECK_MSG(p.last == sizes[i] && p.total == sizes[i], "%s: %llu of %llu", paths[i], (unsigned long long)p.last,
                  (unsigned long long)p.total);
    }
}

// ---- broken files --------------------------------------------------------------------------

static void expect_fail(const char *rel, int mode, const char *const *needles, size_t n) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    bool ok = import(sample(rel), mode, &g, &rep, &err);
    CHECK_MSG(!ok, "%s imported", rel);
    for (size_t i = 0; i < n; i++) CHECK_MSG(strstr(err.msg, needles[i]), "%s: \"%s\" lacks \"%s\"", rel, err.msg, needles[i]);
}
#define EXPECT_FAIL(rel, mode, ...) do { \
    const char *n_[] = {__VA_ARGS__}; \
    expect_fail(rel, mode, n_, AK_ARRAY_COUNT(n_)); \
} while (0)

// With skip_bad a syntax fault is listed, not fatal: `kept` complete conversations before it
// reach the sink and the listed line says what the error says without it.
static void expect_salvaged(const char *rel, uint32_t kept, const char *const *needles, size_t n) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    bool ok = import(sample(rel), SKIP_BAD, &g, &rep, &err);
    CHECK_MSG(ok, "%s: %s", rel, err.msg);
    CHECK_MSG(g.count == kept && rep.chats == kept, "%s: %u kept, wanted %u", rel, g.count, kept);
    CHECK_MSG(rep.broken_files == 1 && rep.bad == 0 && rep.bad_listed == 1, "%s: broken %u bad %u listed %u", rel,
              rep.broken_files, rep.bad, rep.bad_listed);
    for (size_t i = 0; ok && rep.bad_listed && i < n; i++)
        CHECK_MSG(has(rep.bad_list[0], needles[i]), "%s: \"%.*s\" lacks \"%s\"", rel, AK_STR_FMT(rep.bad_list[0]), needles[i]);
    if (rep.bad_listed) CHECK(has(rep.bad_list[0], "the rest of the file was skipped"));
}
#define EXPECT_SALVAGED(rel, kept, ...) do { \
    const char *n_[] = {__VA_ARGS__}; \
    expect_salvaged(rel, kept, n_, AK_ARRAY_COUNT(n_)); \
} while (0)

#define SYNTAX_CASES(X) \
    X("broken/truncated.json", 1, "broken/truncated.json: unexpected end of input at byte 3590, inside a string that opens at byte 3560", \
      "in conversation 9d2f4b61-c8e3-4a7f-b0d5-61e2a9c73f08 (message 01973a1e-9a41-7c05-8f2e-b3d7e1a4c962)") \
    X("broken/not-json.json", 0, "not a JSON array or object: 'H' at byte 0 (expected '[' or '{')") \
    X("broken/bad-utf8.json", 0, "invalid UTF-8 at byte 699: FF is a byte that never appears in UTF-8", \
      "in conversation e7a9c1d3-5f6b-4d8a-9e0c-3c4d5e6f7a81 (message 09c1e3f5-7b8d-4fa0-9a2e-5e6f7a8b9ca3)") \
    X("broken/deep-nesting.json", 0, "nesting deeper than 512 levels at byte 512") \
    X("broken/empty.json", 0, "broken/empty.json: empty file") \
    X("broken/trailing-garbage.json", 2, "unexpected data after the top-level value at byte 3976: ']'") \
    X("broken/nul-byte.json", 0, "control character 0x00 in a string at byte 300", "in conversation 1a3c5e7f-9b0d-4f22-8b4c-6d7e8f9a0b1c")

static void test_broken(void) {
    if (!have_samples()) return;
    // A file that is not valid JSON imports nothing, by default and with strict ...
#define FAILS(rel, kept, ...) EXPECT_FAIL(rel, DEFAULT, __VA_ARGS__); EXPECT_FAIL(rel, STRICT, __VA_ARGS__);
    SYNTAX_CASES(FAILS)
    // ... and skip_bad keeps the complete conversations before the fault (truncated.json: the
    // one before the cut; trailing-garbage.json: the whole array before the extra bytes).
#define SALVAGED(rel, kept, ...) EXPECT_SALVAGED(rel, kept, __VA_ARGS__);
    SYNTAX_CASES(SALVAGED)
    {
        Got g = {0};
        ChatImportReport rep;
        ChatError err;
        CHECK(import(sample("broken/truncated.json"), SKIP_BAD, &g, &rep, &err));
        CHECK(g.count == 1 && str_is(g.convs[0].uuid, "4e0c6a1f-7b2d-4f51-9a3e-2c8d51e0b7a4"));
        CHECK(rep.bad_listed == 1 && has(rep.bad_list[0], "(1 complete conversation before it kept)"));
    }
    // Wrong types, strict: every bad conversation named, with field, expected and found type, offset.
    EXPECT_FAIL("broken/wrong-types.json", STRICT, "3 bad conversations",
                "conversation a3c5e7f9-1b2d-4f46-8a8c-9e0f1a2b3c4d: field \"chat_messages\" at byte 297: expected array, found string",
                "conversation b4d6f8a0-2c3e-4a57-9b9d-0f1a2b3c4d5e: field \"created_at\" at byte 476: expected string or null, found number",
                "conversation c5e7a9b1-3d4f-4b68-8cae-1a2b3c4d5e6f, message d6f8b0c2-4e5a-4c79-9dbf-2b3c4d5e6f70: field \"sender\" is missing (expected string) in the object at byte 976");
    // By default (and with skip_bad) each is skipped and listed; the import itself succeeds.
    for (int mode = DEFAULT; mode <= SKIP_BAD; mode++) {
        Got g = {0};
        ChatImportReport rep;
        ChatError err;
        CHECK_MSG(import(sample("broken/wrong-types.json"), mode, &g, &rep, &err), "%s", err.msg);
        CHECK_EQ(rep.chats, 0);
        CHECK_EQ(rep.bad, 3);
        CHECK_EQ(rep.broken_files, 0);
        CHECK_EQ(rep.bad_listed, 3);
        CHECK(rep.bad_listed == 3 && has(rep.bad_list[0], "broken/wrong-types.json: conversation a3c5e7f9-1b2d-4f46-8a8c-9e0f1a2b3c4d: field \"chat_messages\" at byte 297"));
        CHECK(rep.bad_listed == 3 && has(rep.bad_list[2], "broken/wrong-types.json: conversation c5e7a9b1"));
    }
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    // An empty array is a valid export of nothing.
    CHECK(import(sample("broken/empty-array.json"), DEFAULT, &g, &rep, &err));
    CHECK(rep.files == 1 && rep.chats == 0 && rep.bad == 0);
    // A folder or path without any conversations file is an error, never "0 chats".
    EXPECT_FAIL("broken", DEFAULT, "no conversations.json or conversations-NNN.json in this folder (it holds ");
    EXPECT_FAIL("does-not-exist.json", DEFAULT, "does-not-exist.json: No such file or directory");
}

// A zip written with libarchive: names[i] holding texts[i].
static void write_zip(const char *path, const char *const *names, const char *const *texts, size_t n) {
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_filename(a, path);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
        archive_write_header(a, e);
        archive_write_data(a, texts[i], strlen(texts[i]));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static void test_archives(void) {
    char path[] = "/tmp/test_import_XXXXXX.zip";
    int fd = mkstemps(path, 4);
    REQUIRE(fd >= 0);
    close(fd);
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    // No conversations file: an error naming what is there, not "0 chats".
    const char *names[] = {"export/users.json", "export/projects.json", "export/conversations.json.index"};
    const char *texts[] = {"[]", "[]", "{}"};
    write_zip(path, names, texts, 3);
    CHECK(!import(path, DEFAULT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "no conversations.json or conversations-NNN.json in this archive (it holds export/users.json, export/projects.json");
    // Shards in a subfolder, stored out of order, with a bad one: natural order, and the error names the member.
    const char *n2[] = {"x/conversations-10.json", "x/conversations-9.json", "x/chat.html"};
    const char *t2[] = {"[{\"uuid\":\"ten\",\"chat_messages\":[]}]", "[{\"uuid\":\"nine\",\"chat_messages\":[]}]", "<html>"};
    write_zip(path, n2, t2, 3);
    CHECK_MSG(import(path, DEFAULT, &g, &rep, &err), "%s", err.msg);
    CHECK(rep.files == 2 && g.count == 2 && str_is(g.convs[0].uuid, "nine") && str_is(g.convs[1].uuid, "ten"));
    t2[0] = "[{\"uuid\":\"ten\",\"chat_messages\":[]}";
    write_zip(path, n2, t2, 3);
    CHECK(!import(path, DEFAULT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "x/conversations-10.json in ");
    CHECK_STR_CONTAINS(err.msg, ": unexpected end of input at byte 34, inside the top-level array that opens at byte 0");
    // skip_bad: the cut shard keeps its complete conversation, the fault is listed by member,
    // and the other shard is read too.
    memset(&g, 0, sizeof g);
    CHECK_MSG(import(path, SKIP_BAD, &g, &rep, &err), "%s", err.msg);
    CHECK(rep.files == 2 && g.count == 2 && rep.broken_files == 1 && rep.bad_listed == 1);
    CHECK(rep.bad_listed == 1 && has(rep.bad_list[0], "x/conversations-10.json in ") &&
          has(rep.bad_list[0], "(1 complete conversation before it kept)"));
    // A zip cut short.
    FILE *f = fopen(path, "r+b");
    REQUIRE(f);
    CHECK(ftruncate(fileno(f), 60) == 0);
    fclose(f);
    CHECK(!import(path, DEFAULT, &g, &rep, &err));
    CHECK_MSG(strstr(err.msg, path) != NULL && err.msg[strlen(path)] == ':', "%s", err.msg);
    unlink(path);
}

static void test_bad_list_is_bounded(void) {
    AkStrBuilder b = ak_str_builder(arena);
    ak_str_builder_append(&b, AK_STR("["));
    for (int i = 0; i < 150; i++) ak_str_builder_appendf(&b, "%s{\"uuid\":\"b%d\",\"chat_messages\":7}", i ? "," : "", i);
    ak_str_builder_append(&b, AK_STR(",{\"uuid\":\"ok\",\"chat_messages\":[]}]"));
    AkStr doc = ak_str_builder_finish(&b, arena);
    REQUIRE(doc.ptr);
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    CHECK(import_mem(doc.ptr, SKIP_BAD, &g, &rep, &err));
    CHECK(rep.bad == 150 && rep.bad_listed == CHAT_IMPORT_BAD_LIST_MAX && rep.chats == 1);
    CHECK(has(rep.bad_list[99], "conversation b99: field \"chat_messages\""));
    CHECK(import_mem(doc.ptr, DEFAULT, &g, &rep, &err));
    CHECK(rep.bad == 150 && rep.bad_listed == CHAT_IMPORT_BAD_LIST_MAX && rep.chats == 1);
    CHECK(!import_mem(doc.ptr, STRICT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "mem.json: 150 bad conversations: conversation b0:");
    CHECK(strlen(err.msg) < sizeof err.msg);
}

// ---- hand-made edge cases --------------------------------------------------------------------

static void test_skip_bad_and_sink_failure(void) {
    const char *doc = "[{\"uuid\":\"good-1\",\"chat_messages\":[]},"
                      "{\"uuid\":\"bad-1\",\"chat_messages\":[{\"uuid\":\"m\",\"sender\":7}]},"
                      "{\"uuid\":\"good-2\",\"chat_messages\":[]},"
                      "{\"title\":\"neither\"},"
                      "42]";
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    CHECK(!import_mem(doc, STRICT, &g, &rep, &err));
    CHECK_EQ(g.count, 1); // not called after the first bad one: the caller rolls back anyway
    CHECK_EQ(rep.bad, 3);
    CHECK_STR_CONTAINS(err.msg, "mem.json: 3 bad conversations: conversation bad-1, message m: field \"sender\" at byte");
    CHECK_STR_CONTAINS(err.msg, "expected string, found number");
    CHECK_STR_CONTAINS(err.msg, "element 4: the object at byte 134 is not a conversation: it has neither chat_messages (Claude) nor mapping (ChatGPT)");
    CHECK_STR_CONTAINS(err.msg, "element 5: the element at byte 154 is a number, expected a conversation object");

    // The default: the good ones in, the bad ones listed by uuid or by their place in the array.
    for (int mode = DEFAULT; mode <= SKIP_BAD; mode++) {
        memset(&g, 0, sizeof g);
        CHECK(import_mem(doc, mode, &g, &rep, &err));
        CHECK_EQ(g.count, 2);
        CHECK(rep.chats == 2 && rep.bad == 3 && rep.bad_listed == 3 && rep.broken_files == 0);
        CHECK(str_is(g.convs[1].uuid, "good-2"));
        CHECK(rep.bad_listed == 3 && has(rep.bad_list[0], "mem.json: conversation bad-1, message m: field \"sender\""));
        CHECK(rep.bad_listed == 3 && has(rep.bad_list[1], "mem.json: element 4: the object at byte 134 is not a conversation"));
        CHECK(rep.bad_listed == 3 && has(rep.bad_list[2], "mem.json: element 5: the element at byte 154 is a number"));
    }

    // Records seen in real exports and other projects' fixtures: no chat_messages and no
    // mapping, no id, mapping null, and one with no `account` (which is fine: it is not needed).
    const char *odd = "[{\"uuid\":\"only-meta\",\"name\":\"x\",\"account\":{\"uuid\":\"u\"}},"
                      "{\"name\":\"no id\",\"chat_messages\":[]},"
                      "{\"id\":\"g-null\",\"title\":\"t\",\"mapping\":null},"
                      "{\"title\":\"no id either\",\"mapping\":{}},"
                      "{\"uuid\":\"no-account\",\"name\":\"fine\",\"chat_messages\":[{\"uuid\":\"m\",\"sender\":\"human\",\"text\":\"hello\"}]}]";
    memset(&g, 0, sizeof g);
    CHECK_MSG(import_mem(odd, DEFAULT, &g, &rep, &err), "%s", err.msg);
    CHECK(g.count == 1 && str_is(g.convs[0].uuid, "no-account") && g.convs[0].visible_count == 1);
    CHECK(rep.bad == 4 && rep.bad_listed == 4);
    CHECK(rep.bad_listed == 4 && has(rep.bad_list[0], "conversation only-meta: the object at byte 1 has neither chat_messages"));
    CHECK(rep.bad_listed == 4 && has(rep.bad_list[1], "element 2: conversation at byte"));
    CHECK(rep.bad_listed == 4 && has(rep.bad_list[2], "conversation g-null: field \"mapping\""));
    CHECK(rep.bad_listed == 4 && has(rep.bad_list[3], "element 4: conversation at byte"));
    CHECK(!import_mem(odd, STRICT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "mem.json: 4 bad conversations: conversation only-meta");

    memset(&g, 0, sizeof g);
    g.fail_on = 2;
    CHECK(!import_mem("[{\"uuid\":\"a\",\"chat_messages\":[]},{\"uuid\":\"b\",\"chat_messages\":[]}]", DEFAULT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "mem.json: conversation b: disk full (test)");

    // A single conversation object as the whole document is accepted.
    memset(&g, 0, sizeof g);
    CHECK(import_mem("{\"uuid\":\"solo\",\"chat_messages\":[{\"uuid\":\"m1\",\"sender\":\"human\",\"text\":\"hi\"}]}", DEFAULT, &g, &rep, &err));
    CHECK(g.count == 1 && g.convs[0].visible_count == 1);
    CHECK(!import_mem("\"just a string\"", DEFAULT, &g, &rep, &err));
    CHECK_STR_CONTAINS(err.msg, "not a JSON array or object");
}

static void test_claude_edge_cases(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    // A parent cycle, a self-parent, an unknown parent, null fields, a string content block, a
    // text block whose text is a number (kept raw), an image block (unknown), times with offsets.
    const char *doc =
        "[{\"uuid\":\"c\",\"name\":null,\"created_at\":\"2024-02-29T23:00:00+01:00\",\"updated_at\":null,\"chat_messages\":["
        "{\"uuid\":\"a\",\"sender\":\"human\",\"text\":\"A\",\"parent_message_uuid\":\"b\",\"created_at\":\"2024-01-01T00:00:00Z\"},"
        "{\"uuid\":\"b\",\"sender\":\"assistant\",\"text\":\"B\",\"parent_message_uuid\":\"a\",\"created_at\":\"2024-01-01T00:00:01Z\"},"
        "{\"uuid\":\"s\",\"sender\":\"human\",\"text\":\"S\",\"parent_message_uuid\":\"s\",\"created_at\":null},"
        "{\"uuid\":\"o\",\"sender\":\"robot\",\"parent_message_uuid\":\"nowhere\",\"content\":[\"str\",{\"type\":\"text\",\"text\":5},"
        "{\"type\":\"image\",\"source\":{}},{\"type\":\"text\",\"text\":\"one\"},{\"type\":\"text\",\"text\":\"two\"}],"
        "\"attachments\":null,\"files\":[{\"file_name\":\"f\"}],\"created_at\":\"2024-01-01 00:00:05\"}]}]";
    CHECK_MSG(import_mem(doc, DEFAULT, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    const ChatConv *c = &g.convs[0];
    CHECK_EQ(c->msg_count, 4);
    CHECK(c->title.len == 0 && c->updated == CHAT_TIME_UNKNOWN);
    CHECK_EQ((int64_t)c->created, 1709244000); // 2024-02-29T22:00:00Z
    CHECK_EQ(c->unknown_parts, 3);
    const ChatMsg *o = msg_by(c, "o");
    REQUIRE(o);
    CHECK(o->role == CHAT_ROLE_OTHER && str_is(o->author, "robot") && str_is(o->text, "one\n\ntwo"));
    CHECK(o->created == 1704067205.0 && o->visible); // the latest leaf
    CHECK(str_is(o->parent_uuid, "nowhere"));
    CHECK(part_of(o, CHAT_PART_UNKNOWN, 0) && str_is(part_of(o, CHAT_PART_UNKNOWN, 0)->text, "\"str\""));
    CHECK(part_of(o, CHAT_PART_UNKNOWN, 1) && str_is(part_of(o, CHAT_PART_UNKNOWN, 1)->text, "{\"type\":\"text\",\"text\":5}"));
    CHECK(part_of(o, CHAT_PART_FILE, 0) && str_is(part_of(o, CHAT_PART_FILE, 0)->name, "f"));
    uint32_t visible = 0;
    for (uint32_t i = 0; i < c->msg_count; i++) visible += c->msgs[i].visible;
    CHECK_EQ(visible, c->visible_count);

    // Every message on the root sentinel and none linked to another: array order, not 3 branches.
    memset(&g, 0, sizeof g);
    CHECK(import_mem("[{\"uuid\":\"r\",\"chat_messages\":["
                     "{\"uuid\":\"1\",\"sender\":\"human\",\"parent_message_uuid\":\"00000000-0000-4000-8000-000000000000\"},"
                     "{\"uuid\":\"2\",\"sender\":\"assistant\",\"parent_message_uuid\":\"00000000-0000-4000-8000-000000000000\"},"
                     "{\"uuid\":\"3\",\"sender\":\"human\",\"parent_message_uuid\":null}]}]", false, &g, &rep, &err));
    CHECK(g.count == 1 && g.convs[0].visible_count == 3 && str_is(g.convs[0].msgs[2].parent_uuid, "2"));

    // Wrong types on the skeleton are errors with offsets.
    const char *bad[][2] = {
        {"[{\"uuid\":5,\"chat_messages\":[]}]", "conversation at byte 1: field \"uuid\" at byte 2: expected string, found number"},
        {"[{\"chat_messages\":[]}]", "conversation at byte 1: field \"uuid\" is missing (expected string) in the object at byte 1"},
        {"[{\"uuid\":\"x\",\"chat_messages\":null}]", "conversation x: field \"chat_messages\" at byte 13 is null (expected array)"},
        {"[{\"uuid\":\"x\",\"chat_messages\":[7]}]", "conversation x: chat_messages element at byte 30: expected object, found number"},
        {"[{\"uuid\":\"x\",\"created_at\":\"yesterday\",\"chat_messages\":[]}]", "field \"created_at\" at byte 13: expected an ISO 8601 time, found \"yesterday\""},
        {"[{\"uuid\":\"x\",\"created_at\":\"2024-02-30T00:00:00Z\",\"chat_messages\":[]}]", "expected an ISO 8601 time"},
        {"[{\"uuid\":\"x\",\"chat_messages\":[{\"uuid\":\"m\",\"sender\":\"human\",\"content\":{}}]}]", "conversation x, message m: field \"content\" at byte 59: expected array or null, found object"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(bad); i++) {
        memset(&g, 0, sizeof g);
        CHECK_MSG(!import_mem(bad[i][0], STRICT, &g, &rep, &err), "case %zu imported", i);
        CHECK_STR_CONTAINS(err.msg, bad[i][1]);
    }
}

// Item 10 of issue 13: no parent_message_uuid anywhere (older exports) and chat_messages listed
// out of time order, as real 2024 exports do: the thread is by created_at, stable (equal times
// keep array order), and a message without a time stays after the one before it in the array.
static void test_claude_time_order(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    const char *doc =
        "[{\"uuid\":\"old\",\"name\":\"out of order\",\"chat_messages\":["
        "{\"uuid\":\"m4\",\"sender\":\"assistant\",\"text\":\"fourth\",\"created_at\":\"2024-03-05T03:37:10.000000Z\"},"
        "{\"uuid\":\"m1\",\"sender\":\"human\",\"text\":\"first\",\"created_at\":\"2024-03-05T03:28:00.000000Z\"},"
        "{\"uuid\":\"m3\",\"sender\":\"human\",\"text\":\"third\",\"created_at\":\"2024-03-05T03:37:10.000000Z\"},"
        "{\"uuid\":\"m5\",\"sender\":\"human\",\"text\":\"fifth, no time\",\"created_at\":null},"
        "{\"uuid\":\"m2\",\"sender\":\"assistant\",\"text\":\"second\",\"created_at\":\"2024-03-05T03:28:30Z\"},"
        "{\"uuid\":\"m6\",\"sender\":\"assistant\",\"text\":\"sixth\",\"created_at\":\"2024-03-05T03:40:00Z\",\"parent_message_uuid\":\"00000000-0000-4000-8000-000000000000\"}"
        "]}]";
    CHECK_MSG(import_mem(doc, DEFAULT, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    const ChatConv *c = &g.convs[0];
    REQUIRE(c->msg_count == 6);
    CHECK_EQ(c->visible_count, 6);
    // m4 and m3 share a time: array order (m4 first). m5 has none: right after m3, its array predecessor.
    const char *want[] = {"m1", "m2", "m4", "m3", "m5", "m6"};
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_MSG(str_is(c->msgs[i].uuid, want[i]), "position %u: %.*s, wanted %s", i, AK_STR_FMT(c->msgs[i].uuid), want[i]);
        CHECK(c->msgs[i].visible && c->msgs[i].sibling_count == 1);
        if (i) CHECK(ak_str_eq(c->msgs[i].parent_uuid, c->msgs[i - 1].uuid));
    }
    CHECK(c->msgs[0].parent_uuid.len == 0);
}

// tests/data, next to this file (the tests run from the repository's root).
static const char *test_data(const char *name) {
    static char path[1024];
    const char *src = __FILE__, *slash = strrchr(src, '/');
    snprintf(path, sizeof path, "%.*s/data/%s", slash ? (int)(slash - src) : 1, slash ? src : ".", name);
    return path;
}

static const ChatPart *part_named(const ChatMsg *m, ChatPartKind kind, const char *name) {
    for (uint32_t i = 0; m && i < m->part_count; i++)
        if (m->parts[i].kind == kind && str_is(m->parts[i].name, name)) return &m->parts[i];
    return NULL;
}

// Item 12 of issue 13: content seen in 2025-2026 Claude exports (tests/data/claude-2025.json,
// written from the format's description): every block kept, none of them unknown, the visible
// thread from current_leaf_message_uuid, and times with minutes only or a date alone.
static void test_claude_2025_content(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    CHECK_MSG(import(test_data("claude-2025.json"), DEFAULT, &g, &rep, &err), "%s", err.msg);
    CHECK_EQ(g.count, 2);
    CHECK_EQ(rep.unknown_parts, 0);
    // An impossible date (2025-02-29) makes its conversation unreadable, and only that one.
    CHECK(rep.bad == 1 && rep.bad_listed == 1 &&
          has(rep.bad_list[0], "conversation 7a1b2c3d-0000-4000-8000-00000000c003: field \"created_at\" at byte") &&
          has(rep.bad_list[0], "expected an ISO 8601 time, found \"2025-02-29T10:00:00.000000Z\""));
    const ChatConv *c = conv_by(&g, "7a1b2c3d-0000-4000-8000-00000000c001");
    REQUIRE(c && c->msg_count == 5);
    // current_leaf_message_uuid picks the thread even though the other branch is newer.
    CHECK_EQ(c->visible_count, 4);
    CHECK(str_is(c->msgs[3].uuid, "019a4b00-0004-7000-8000-000000000004") && c->msgs[3].visible);
    const ChatMsg *later = msg_by(c, "019a4b00-0005");
    CHECK(later && !later->visible && later->sibling_count == 2);

    const ChatMsg *m = msg_by(c, "019a4b00-0001");
    REQUIRE(m);
    const ChatPart *p = part_named(m, CHAT_PART_CONTEXT, "memory");
    CHECK(p && has(p->text, "marmosetfjord"));
    CHECK(str_is(m->text, "Draft a haiku about arenas.")); // injected context is not the person's text

    m = msg_by(c, "019a4b00-0002");
    REQUIRE(m);
    CHECK(part_named(m, CHAT_PART_THINKING, "summary") && str_is(part_named(m, CHAT_PART_THINKING, "summary")->text, "Counting syllables carefully."));
    p = part_named(m, CHAT_PART_META, "token_budget");
    CHECK(p && has(p->text, "\"remaining\":12000"));
    p = part_named(m, CHAT_PART_TOOL_USE, "artifacts #toolu_01ArtifactHaiku000000001");
    CHECK(p && str_is(p->text, "Bump the pointer on\nfree it all at once at dusk\nno leaks, only calm")); // the body, decoded
    p = part_named(m, CHAT_PART_META, "artifacts input");
    CHECK(p && has(p->text, "\"title\":\"Arena haiku\"") && has(p->text, "\"command\":\"create\"") && !has(p->text, "Bump"));
    p = part_named(m, CHAT_PART_TOOL_RESULT, "artifacts #toolu_01ArtifactHaiku000000001");
    CHECK(p && str_is(p->text, "OK"));
    p = part_named(m, CHAT_PART_META, "citations");
    CHECK(p && has(p->text, "https://example.org/arena-poems"));
    p = part_named(m, CHAT_PART_META, "block_times");
    CHECK(p && has(p->text, "[\"2025-11-02T10:00:01.000000Z\",\"2025-11-02T10:00:03.000000Z\"],[null,null],"));

    m = msg_by(c, "019a4b00-0004");
    REQUIRE(m);
    p = part_named(m, CHAT_PART_TOOL_RESULT, "web_search #toolu_01WebSearch0000000000002");
    CHECK(p && has(p->text, "Region-based memory management\n\nA region, also called a zone or arena") && has(p->text, "tapirglade") &&
          has(p->text, "https://en.example.org/wiki/Region-based_memory_management"));
    p = part_named(m, CHAT_PART_TOOL_RESULT, "https://example.org/notes"); // a knowledge block of its own
    CHECK(p && has(p->text, "ocelotprism"));
    CHECK(str_is(m->text, "Regions are arenas by another name."));

    c = conv_by(&g, "7a1b2c3d-0000-4000-8000-00000000c002");
    REQUIRE(c && c->msg_count == 1);
    CHECK_EQ((int64_t)c->created, 1762112400); // 2025-11-02T19:40Z
    CHECK_EQ((int64_t)c->updated, 1762128000); // 2025-11-03
    CHECK_EQ((int64_t)c->msgs[0].created, 1762112400);
}

// The same for ChatGPT (tests/data/chatgpt-2025.json): sonic_webpage as a content and inside
// parts, audio parts in multimodal_text, reasoning_recap with parts, web.run with real_author.
static void test_chatgpt_2025_content(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    CHECK_MSG(import(test_data("chatgpt-2025.json"), DEFAULT, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    CHECK_EQ(rep.unknown_parts, 0);
    CHECK_EQ(rep.bad, 0);
    const ChatConv *c = &g.convs[0];
    CHECK_EQ(c->msg_count, 6);
    CHECK_EQ(c->visible_count, 6);
    const ChatMsg *m = msg_by(c, "u1");
    REQUIRE(m);
    CHECK(str_is(m->text, "tell me about pangolinquartz")); // the transcription is the text
    CHECK(part_named(m, CHAT_PART_MEDIA, "sediment://file_00000000audio1") &&
          has(part_named(m, CHAT_PART_MEDIA, "sediment://file_00000000audio1")->text, "\"format\":\"wav\""));
    CHECK(part_named(m, CHAT_PART_MEDIA, "sediment://file_00000000audio2") &&
          has(part_named(m, CHAT_PART_MEDIA, "sediment://file_00000000audio2")->text, "real_time_user_audio_video_asset_pointer"));
    m = msg_by(c, "t1");
    REQUIRE(m);
    CHECK(m->role == CHAT_ROLE_TOOL && str_is(m->author, "tool:web.run (real author: tool:web)"));
    const ChatPart *p = part_named(m, CHAT_PART_TOOL_RESULT, "https://example.com/pangolin");
    CHECK(p && str_is(p->text, "Pangolins\n\nPangolins are scaly mammals (jacarandaveil)."));
    m = msg_by(c, "t2");
    p = part_named(m, CHAT_PART_TOOL_RESULT, "https://example.net/pangolin-2");
    CHECK(p && has(p->text, "wolverinecobalt")); // the snippet when the page has no text
    m = msg_by(c, "r1");
    CHECK(m && part_of(m, CHAT_PART_THINKING, 0) && str_is(part_of(m, CHAT_PART_THINKING, 0)->text, "Thought for 8s about otterlumen"));
    CHECK(m && m->text.len == 0); // a recap is thinking, not the answer
    m = msg_by(c, "a1");
    CHECK(m && part_named(m, CHAT_PART_TOOL_USE, "web.run"));
}

// Item 13 of issue 13: chatlog's own export format reads back as written (flags, branch
// positions, exact times, parts), and what it cannot hold is refused with the place.
static void test_native_format(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    const char *doc =
        "{\"id\": 9, \"source\": \"chatgpt\", \"uuid\": \"n1\", \"title\": \"T\", \"model\": \"\", \"created\": \"2025-11-02T10:00:00.123Z\","
        " \"updated\": null, \"created_epoch\": 1762077600.1234567, \"updated_epoch\": null, \"chatlog_export\": 1, \"messages\": ["
        "{\"ordinal\": 0, \"uuid\": \"a\", \"parent_uuid\": \"\", \"role\": \"user\", \"author\": \"user\", \"created_epoch\": 5.5,"
        " \"visible\": true, \"hidden\": false, \"branch\": [1, 1], \"text\": \"hi\", \"parts\": [{\"kind\": \"text\", \"name\": \"\", \"text\": \"hi\", \"is_error\": false}]},"
        "{\"ordinal\": 1, \"uuid\": \"s\", \"parent_uuid\": \"a\", \"role\": \"system\", \"author\": \"system\", \"created\": null,"
        " \"visible\": false, \"hidden\": true, \"branch\": [1, 2], \"text\": \"\", \"parts\": [{\"kind\": \"meta\", \"name\": \"x\", \"text\": \"{}\", \"is_error\": true}]},"
        "{\"ordinal\": 2, \"uuid\": \"b\", \"parent_uuid\": \"a\", \"role\": \"tool\", \"author\": \"tool:web.run\", \"created\": \"2025-11-02T10:00:00Z\","
        " \"visible\": false, \"hidden\": false, \"branch\": [2, 2], \"text\": \"\", \"parts\": []}]}";
    CHECK_MSG(import_mem(doc, DEFAULT, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    const ChatConv *c = &g.convs[0];
    CHECK(c->source == CHAT_SOURCE_CHATGPT && str_is(c->uuid, "n1") && c->created == 1762077600.1234567 && c->updated == CHAT_TIME_UNKNOWN);
    CHECK(c->msg_count == 3 && c->visible_count == 1);
    CHECK(c->msgs[0].created == 5.5 && c->msgs[0].visible && str_is(c->msgs[0].text, "hi") && c->msgs[0].part_count == 1);
    CHECK(c->msgs[1].hidden && !c->msgs[1].visible && c->msgs[1].sibling_index == 1 && c->msgs[1].sibling_count == 2);
    CHECK(c->msgs[1].parts[0].kind == CHAT_PART_META && c->msgs[1].parts[0].is_error && c->msgs[1].created == CHAT_TIME_UNKNOWN);
    CHECK(c->msgs[2].role == CHAT_ROLE_TOOL && str_is(c->msgs[2].parent_uuid, "a") && c->msgs[2].created == 1762077600);

    const char *bad[][2] = {
        {"{\"uuid\":\"n\",\"source\":\"claude\",\"chatlog_export\":2,\"messages\":[]}", "conversation n: chatlog export format 2; this chatlog reads format 1"},
        // Every row of the source table reads back (tests/test_source_table.c); a word no row has is refused.
        {"{\"uuid\":\"n\",\"source\":\"bing\",\"chatlog_export\":1,\"messages\":[]}", "conversation n: source \"bing\" is not claude, chatgpt, claude-code, codex or gemini"},
        {"{\"uuid\":\"n\",\"source\":\"claude\",\"chatlog_export\":1,\"messages\":[{\"uuid\":\"m\",\"role\":\"robot\"}]}", "conversation n, message m: role \"robot\" is not user"},
        {"{\"uuid\":\"n\",\"source\":\"claude\",\"chatlog_export\":1,\"messages\":[{\"uuid\":\"m\",\"role\":\"user\",\"parts\":[{\"kind\":\"hologram\"}]}]}", "kind \"hologram\" is not one this chatlog knows"},
        {"{\"uuid\":\"n\",\"source\":\"claude\",\"chatlog_export\":1,\"messages\":[{\"uuid\":\"m\",\"role\":\"user\",\"branch\":[0,1]}]}", "branch[0] at byte"},
        {"{\"uuid\":\"n\",\"source\":\"claude\",\"chatlog_export\":1,\"messages\":[{\"uuid\":\"m\",\"role\":\"user\"},{\"uuid\":\"v\",\"role\":\"user\",\"visible\":true}]}",
         "conversation n, message v: a visible message after an off-thread one"},
        {"{\"source\":\"claude\",\"chatlog_export\":1,\"messages\":[]}", "field \"uuid\" is missing"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(bad); i++) {
        memset(&g, 0, sizeof g);
        CHECK_MSG(!import_mem(bad[i][0], STRICT, &g, &rep, &err), "case %zu imported", i);
        CHECK_STR_CONTAINS(err.msg, bad[i][1]);
    }
}

static void test_chatgpt_edge_cases(void) {
    Got g = {0};
    ChatImportReport rep;
    ChatError err;
    // No current_node, a null message mid-chain, no children keys, an unknown content type, a
    // parts list mixing null, an unknown object and an audio transcription, a parent cycle.
    const char *doc =
        "[{\"id\":\"g\",\"title\":\"t\",\"create_time\":1.5,\"mapping\":{"
        "\"r\":{\"id\":\"r\",\"message\":null,\"parent\":null},"
        "\"u\":{\"message\":{\"id\":\"u\",\"author\":{\"role\":\"user\"},\"create_time\":10,\"content\":{\"content_type\":\"text\",\"parts\":[null,\"hi\",{\"content_type\":\"audio_transcription\",\"text\":\"spoken\"},{\"content_type\":\"real_time_user_audio_video_asset_pointer\"}]}},\"parent\":\"r\"},"
        "\"gap\":{\"message\":null,\"parent\":\"u\"},"
        "\"a1\":{\"message\":{\"id\":\"a1\",\"author\":{\"role\":\"assistant\"},\"create_time\":11,\"content\":{\"content_type\":\"brand_new_type\",\"x\":[1]}},\"parent\":\"gap\"},"
        "\"a2\":{\"message\":{\"id\":\"a2\",\"author\":{\"role\":\"assistant\"},\"create_time\":12,\"content\":{\"content_type\":\"text\",\"parts\":[\"later\"]}},\"parent\":\"gap\"},"
        "\"x\":{\"message\":{\"id\":\"x\",\"author\":{\"role\":\"critic\"},\"content\":{\"content_type\":\"text\",\"parts\":[\"loop\"]}},\"parent\":\"y\"},"
        "\"y\":{\"message\":{\"id\":\"y\",\"author\":{\"role\":\"critic\"}},\"parent\":\"x\"}"
        "}}]";
    CHECK_MSG(import_mem(doc, DEFAULT, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    const ChatConv *c = &g.convs[0];
    CHECK_EQ(c->msg_count, 5);
    CHECK_EQ(c->visible_count, 2); // u → a2, the latest leaf
    CHECK(str_is(c->msgs[0].uuid, "u") && str_is(c->msgs[1].uuid, "a2"));
    CHECK(str_is(c->msgs[0].text, "hi\n\nspoken"));
    CHECK(str_is(c->msgs[1].parent_uuid, "u")); // the null-message node is spliced out
    const ChatMsg *a1 = msg_by(c, "a1");
    CHECK(a1 && !a1->visible && a1->sibling_index == 1 && a1->sibling_count == 2);
    CHECK(a1 && part_of(a1, CHAT_PART_UNKNOWN, 0) && str_is(part_of(a1, CHAT_PART_UNKNOWN, 0)->name, "brand_new_type") &&
          str_is(part_of(a1, CHAT_PART_UNKNOWN, 0)->text, "{\"content_type\":\"brand_new_type\",\"x\":[1]}"));
    CHECK_EQ(c->unknown_parts, 1); // the audio/video pointer is known now (a media part)
    CHECK(part_of(&c->msgs[0], CHAT_PART_MEDIA, 0));
    CHECK(msg_by(c, "x") && msg_by(c, "x")->role == CHAT_ROLE_OTHER);

    const char *bad[][2] = {
        {"[{\"mapping\":{}}]", "conversation at byte 1: field \"id\" is missing (expected string)"},
        {"[{\"id\":\"g\",\"mapping\":[]}]", "conversation g: field \"mapping\" at byte 11: expected object, found array"},
        {"[{\"id\":\"g\",\"create_time\":\"2024\",\"mapping\":{}}]", "conversation g: field \"create_time\" at byte 11: expected number or null, found string"},
        {"[{\"id\":\"g\",\"mapping\":{\"n\":{\"message\":{\"id\":\"n\"}}}}]", "conversation g, message n: field \"author\" is missing (expected object)"},
        {"[{\"id\":\"g\",\"mapping\":{\"n\":{\"message\":{\"author\":{}}}}}]", "conversation g, message n: field \"role\" is missing"},
        {"[{\"id\":\"g\",\"mapping\":{\"n\":7}}]", "conversation g: mapping node \"n\" at byte 22: expected object, found number"},
        {"[{\"id\":\"g\",\"create_time\":1e999,\"mapping\":{}}]", "field \"create_time\" at byte 11: 1e999 is not a time"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(bad); i++) {
        memset(&g, 0, sizeof g);
        CHECK_MSG(!import_mem(bad[i][0], STRICT, &g, &rep, &err), "case %zu imported", i);
        CHECK_STR_CONTAINS(err.msg, bad[i][1]);
    }
}

static void test_iso_times(void) {
    double t = 0;
    CHECK(chat_parse_iso_time(AK_STR("1970-01-01T00:00:00Z"), &t) && t == 0);
    CHECK(chat_parse_iso_time(AK_STR("2000-03-01T00:00:00.25Z"), &t) && t == 951868800.25);
    CHECK(chat_parse_iso_time(AK_STR("1969-12-31T23:59:59Z"), &t) && t == -1);
    CHECK(chat_parse_iso_time(AK_STR("2025-06-03T21:40:05.471002+02:00"), &t) && fabs(t - 1748979605.471002) < 1e-6);
    CHECK(chat_parse_iso_time(AK_STR("2025-06-03T18:40:05-0100"), &t) && t == 1748979605);
    // Seconds are optional (2025-06-03T19:40Z, as some exports write them); a date alone is
    // midnight UTC; a leap day only in a leap year.
    CHECK(chat_parse_iso_time(AK_STR("2025-06-03T19:40Z"), &t) && t == 1748979600);
    CHECK(chat_parse_iso_time(AK_STR("2025-06-03T21:40+02:00"), &t) && t == 1748979600);
    CHECK(chat_parse_iso_time(AK_STR("2025-06-03"), &t) && t == 1748908800);
    CHECK(chat_parse_iso_time(AK_STR("2024-02-29T00:00:00Z"), &t) && t == 1709164800);
    CHECK(chat_parse_iso_time(AK_STR("2000-02-29"), &t) && t == 951782400);
    const char *bad[] = {"2025-02-29T00:00:00Z", "2025-02-29", "1900-02-29", "2025-06-03T19Z", "2025-06-03T19:4Z",
                         "2025-06-03T19:40:5Z", "2025-06-03T19:40.5Z", "2025-06-03Z", "2025-06-3", "2025-13-01T00:00:00Z", "2025-06-03T24:00:00Z", "2025-06-03T00:00:00.Z",
                         "2025-06-03T00:00:00Zjunk", "2025-06-03T00:00:00+2", "2025-06-31T00:00:00Z", "20x5-06-03T00:00:00Z"};
    for (size_t i = 0; i < AK_ARRAY_COUNT(bad); i++) CHECK_MSG(!chat_parse_iso_time(ak_str_cstr(bad[i]), &t), "%s", bad[i]);
}

// ---- memory stays bounded by one conversation ---------------------------------------------------

static bool count_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)err;
    *(uint64_t *)user += c->msg_count;
    return true;
}

static void test_memory_bounded(void) {
    // A file far larger than any one conversation: the scratch arena's high water stays near one
    // conversation, not the file.
    char path[] = "/tmp/test_import_XXXXXX.json";
    int fd = mkstemps(path, 5);
    REQUIRE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    uint32_t chats = (uint32_t)(4000 * test_scale()) + 10;
    fputc('[', f);
    for (uint32_t i = 0; i < chats; i++) {
        fprintf(f, "%s{\"uuid\":\"c%u\",\"name\":\"chat %u\",\"created_at\":\"2024-01-01T00:00:00Z\",\"chat_messages\":[", i ? "," : "", i, i);
        for (int m = 0; m < 20; m++)
            fprintf(f, "%s{\"uuid\":\"c%u-m%d\",\"sender\":\"%s\",\"text\":\"%0400d \\u00e9\",\"parent_message_uuid\":\"%s%u-m%d\"}",
                    m ? "," : "", i, m, m % 2 ? "assistant" : "human", m, m ? "c" : "none", i, m - 1);
        fputs("]}", f);
    }
    fputs("]\n", f);
    long size = ftell(f);
    fclose(f);
    uint64_t msgs = 0;
    ChatImportReport rep;
    ChatError err = {{0}};
    ChatImportOptions opt = {0};
    AkArena *dummy = ak_arena_create(.name = "report"); // scratch 0 is free for the import
    bool ok = chat_import_path(dummy, path, &opt, count_sink, &msgs, &rep, &err);
    CHECK_MSG(ok, "%s", err.msg);
    CHECK_EQ(rep.chats, chats);
    CHECK_EQ(msgs, chats * 20ull);
    CHECK_EQ(rep.visible_messages, chats * 20ull);
    CHECK_EQ(rep.bytes, (uint64_t)size);
    AkMemStats s = ak_pool_totals(AK_POOL_KIND_SCRATCH);
    CHECK_MSG(s.high_water < AK_MB(1), "scratch high water %llu for a %ld-byte file", (unsigned long long)s.high_water, size);
    CHECK(size > (long)AK_MB(1) || test_scale() < 1);
    ak_arena_release(dummy);
    unlink(path);
}

// ---- --measure: peak RSS and speed of a real import with a no-op sink -------------------------

// Tracks the largest conversation in bytes of JSON (the distance between the starts of two
// neighbours, so the last one of a file is not measured).
typedef struct Largest {
    uint64_t prev, bytes;
} Largest;

static bool noop_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)err;
    Largest *l = user;
    if (c->byte_offset > l->prev && c->byte_offset - l->prev > l->bytes) l->bytes = c->byte_offset - l->prev;
    l->prev = c->byte_offset;
    return true;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Wall time and CPU time (user + system) both: on a shared machine the wall clock also counts
// the time other processes held the CPU.
static int measure(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        ChatImportReport rep;
        ChatError err = {{0}};
        ChatImportOptions opt = {.skip_bad = true};
        struct timespec t0, t1;
        double c0 = cpu_seconds();
        clock_gettime(CLOCK_MONOTONIC, &t0);
        Largest largest = {0};
        bool ok = chat_import_path(arena, argv[i], &opt, noop_sink, &largest, &rep, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double cpu = cpu_seconds() - c0;
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, mb = (double)rep.bytes / 1e6;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%s: %s: %u files, %u chats, %u messages (%u visible, %u hidden), %u bad, %u unknown parts\n"
               "  %.1f MB in %.3f s wall (%.1f MB/s), %.3f s CPU (%.1f MB/s); peak RSS %.1f MB\n"
               "  largest conversation %.1f MB of JSON; scratch arena high water %.1f MB\n",
               argv[i], ok ? "ok" : err.msg, rep.files, rep.chats, rep.messages, rep.visible_messages, rep.hidden_messages,
               rep.bad, rep.unknown_parts, mb, secs, mb / secs, cpu, mb / cpu, (double)ru.ru_maxrss / 1024.0,
               (double)largest.bytes / 1e6, (double)ak_pool_totals(AK_POOL_KIND_SCRATCH).high_water / 1e6);
    }
    return 0;
}

int main(int argc, char **argv) {
    arena = ak_arena_create(.name = "test_import");
    snprintf(samples, sizeof samples, "%s", getenv("AK_SAMPLES") ? getenv("AK_SAMPLES") : "../shared/samples");
    if (argc > 2 && strcmp(argv[1], "--measure") == 0) return measure(argc, argv);
    RUN(test_claude_sample);
    RUN(test_claude_zip);
    RUN(test_chatgpt_sample);
    RUN(test_chatgpt_split);
    RUN(test_progress);
    RUN(test_broken);
    RUN(test_archives);
    RUN(test_bad_list_is_bounded);
    RUN(test_skip_bad_and_sink_failure);
    RUN(test_claude_time_order);
    RUN(test_claude_2025_content);
    RUN(test_chatgpt_2025_content);
    RUN(test_native_format);
    RUN(test_claude_edge_cases);
    RUN(test_chatgpt_edge_cases);
    RUN(test_iso_times);
    RUN(test_memory_bounded);
    ak_arena_release(arena);
    ak_scratch_release_thread();
    return test_finish();
}
