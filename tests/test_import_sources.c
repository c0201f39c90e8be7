// The new sources against the fixtures in tests/data (written from the formats' public
// descriptions; tests/data/README.md lists what each holds and the counts asserted here):
// Claude Code projects, Codex CLI sessions (wrapped and older bare records), Gemini Takeouts
// (English, older Bard, German). Also: detection by content, HTML to text, a bad line skipped
// with its number, a line of 20 MB (through the file's fixed buffer and from memory), and a
// grown session re-imported into a database (updated in place, more messages, no duplicate).
#define _DEFAULT_SOURCE
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"
#include "chat/import.h"
#include "chat/sources.h"

#include <sys/stat.h>

static AkArena *arena;
static char tmp_dir[256];

// ---- a sink that keeps deep copies ----------------------------------------------------------

typedef struct Got {
    ChatConv convs[16];
    uint32_t count;
} Got;

static AkStr keep(AkStr s) { return ak_str_copy(arena, s); }

static bool keep_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)err;
    Got *g = user;
    if (g->count >= AK_ARRAY_COUNT(g->convs)) return true;
    ChatConv *o = &g->convs[g->count++];
    *o = *c;
    o->uuid = keep(c->uuid), o->title = keep(c->title), o->model = keep(c->model);
    o->msgs = ak_push_array(arena, ChatMsg, c->msg_count ? c->msg_count : 1);
    for (uint32_t i = 0; i < c->msg_count; i++) {
        ChatMsg *m = &o->msgs[i];
        *m = c->msgs[i];
        m->uuid = keep(m->uuid), m->parent_uuid = keep(m->parent_uuid), m->author = keep(m->author), m->text = keep(m->text);
        m->parts = ak_push_array(arena, ChatPart, m->part_count ? m->part_count : 1);
        for (uint32_t k = 0; k < m->part_count; k++) {
            m->parts[k] = c->msgs[i].parts[k];
            m->parts[k].name = keep(m->parts[k].name), m->parts[k].text = keep(m->parts[k].text);
        }
    }
    return true;
}

static bool str_is(AkStr s, const char *lit) { return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0; }
static bool has(AkStr s, const char *needle) { return ak_str_contains(s, ak_str_cstr(needle)); }

static const ChatMsg *msg_by(const ChatConv *c, const char *uuid) {
    for (uint32_t i = 0; c && i < c->msg_count; i++)
        if (str_is(c->msgs[i].uuid, uuid)) return &c->msgs[i];
    return NULL;
}

static const ChatPart *part_of(const ChatMsg *m, ChatPartKind kind) {
    for (uint32_t i = 0; m && i < m->part_count; i++)
        if (m->parts[i].kind == kind) return &m->parts[i];
    return NULL;
}

static bool import(const char *path, Got *g, ChatImportReport *rep, ChatError *err) {
    memset(g, 0, sizeof *g);
    return chat_import_path(arena, path, NULL, keep_sink, g, rep, err);
}

// ---- detection ---------------------------------------------------------------------------------

static ChatSourceKind sniff(const char *s) { return chat_sources_sniff(s, strlen(s)); }

static void test_sniff(void) {
    CHECK(sniff("{\"parentUuid\":null,\"sessionId\":\"s\",\"type\":\"user\"}\n") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("{\"type\":\"summary\",\"summary\":\"x\",\"leafUuid\":\"u\"}\n{\"type\":\"user\"") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("{\"timestamp\":\"t\",\"type\":\"session_meta\",\"payload\":{\"id\":\"x\"}}") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("{\"id\":\"x\",\"timestamp\":\"t\",\"instructions\":null}\n{\"record_type\":\"state\"}\n") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("\xEF\xBB\xBF  {\"a\":1}\n{\"b\":2}\n") == CHAT_SOURCE_KIND_JSONL); // any JSON Lines: the reader names it
    // A record cut by the head (a 20 MB first line) is still known by its first keys.
    CHECK(sniff("{\"parentUuid\":\"p\",\"isSidechain\":false,\"message\":{\"content\":\"aaaaaaaa") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("{\"id\":\"x\",\"timestamp\":\"t\",\"instructions\":\"# AGENTS.md, longer than the head") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("{\"timestamp\":\"t\",\"type\":\"session_meta\",\"payload\":{\"instructions\":\"long") == CHAT_SOURCE_KIND_JSONL);
    CHECK(sniff("[\n {\"header\": \"Gemini Apps\", \"title\": \"Prompted hi\", \"time\": \"2025-01-01T00:00:00Z\"}]") ==
          CHAT_SOURCE_KIND_GEMINI);
    CHECK(sniff("[{\"header\":\"Bard\",\"title\":\"Prompted") == CHAT_SOURCE_KIND_GEMINI);
    CHECK(sniff("[{\"header\":\"Gemini-Apps\",\"title\":\"Eingegebener Prompt: x\"}]") == CHAT_SOURCE_KIND_GEMINI);
    CHECK(sniff("[{\"header\":\"Search\",\"title\":\"Searched for x\",\"time\":\"t\"}]") == CHAT_SOURCE_KIND_EXPORT);
    // The exports stay exports: arrays of conversations, one conversation object, and not-JSON.
    CHECK(sniff("[{\"uuid\":\"c\",\"name\":\"n\",\"chat_messages\":[]}]") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("[{\"title\":\"t\",\"create_time\":1,\"mapping\":{}}]") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("{\"uuid\":\"c\",\"type\":\"user\",\"chat_messages\":[]}") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("{\"uuid\":\"c\",\"name\":\"n\"}") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("PK\3\4") == CHAT_SOURCE_KIND_EXPORT);
    CHECK(sniff("[]") == CHAT_SOURCE_KIND_EXPORT);
}

// ---- Claude Code ---------------------------------------------------------------------------------

static void test_claude_code_projects(void) {
    Got g;
    ChatImportReport rep;
    ChatError err = {{0}};
    REQUIRE(import("tests/data/claude-code/projects", &g, &rep, &err));
    CHECK_EQ(rep.files, 3);
    CHECK_EQ(g.count, 3);
    CHECK_EQ(rep.bad, 0);
    REQUIRE(g.count == 3);
    // Natural order of the paths: -home-ada-site/ before -home-ada-src-arenakit/, the session before agent-*.
    const ChatConv *site = &g.convs[0], *main_ = &g.convs[1], *agent = &g.convs[2];
    CHECK(site->source == CHAT_SOURCE_CLAUDE_CODE && main_->source == CHAT_SOURCE_CLAUDE_CODE);

    CHECK(str_is(main_->uuid, "5b1e6f2a-0c3d-4e8f-9a7b-1c2d3e4f5a61"));
    CHECK(str_is(main_->title, "arenakit: Fix the flaky arena test")); // the summary, with the project
    CHECK(str_is(main_->model, "claude-opus-4-1-20250805"));          // the last assistant's
    CHECK_EQ(main_->msg_count, 9);
    CHECK_EQ(main_->visible_count, 8); // the isMeta caveat is kept, hidden
    // The compaction does not cut the thread: it goes on through logicalParentUuid.
    CHECK(str_is(main_->msgs[0].uuid, "u-0001"));
    CHECK(str_is(main_->msgs[5].uuid, "u-0006") && main_->msgs[5].role == CHAT_ROLE_SYSTEM);
    CHECK(str_is(main_->msgs[5].author, "system:compact_boundary"));
    CHECK(str_is(main_->msgs[7].uuid, "u-0009"));
    const ChatMsg *m = msg_by(main_, "u-0002");
    CHECK(m && m->role == CHAT_ROLE_ASSISTANT && part_of(m, CHAT_PART_THINKING) &&
          str_is(part_of(m, CHAT_PART_THINKING)->text, "Probably a race in the pool."));
    m = msg_by(main_, "u-0003");
    const ChatPart *p = part_of(m, CHAT_PART_TOOL_USE);
    CHECK(p && str_is(p->name, "Bash") && has(p->text, "\"command\":\"make test-arena\""));
    m = msg_by(main_, "u-0004");
    p = part_of(m, CHAT_PART_TOOL_RESULT);
    CHECK(m && m->role == CHAT_ROLE_TOOL && p && p->is_error && str_is(p->name, "toolu_01") && has(p->text, "slot reused"));
    m = msg_by(main_, "u-0008");
    CHECK(m && m->hidden && !m->visible);
    CHECK(main_->created < main_->updated);

    // No summary: the first prompt's first line; a rewind is a branch, the last written is the thread.
    CHECK(str_is(site->uuid, "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"));
    CHECK(str_is(site->title, "site: Write a haiku about caches"));
    CHECK_EQ(site->msg_count, 6);
    CHECK_EQ(site->visible_count, 4);
    CHECK(str_is(site->msgs[2].uuid, "w-5") && str_is(site->msgs[3].uuid, "w-6"));
    m = msg_by(site, "w-3");
    CHECK(m && !m->visible && m->sibling_count == 2);

    // A subagent's file: a chat of its own, named after the session and the agent.
    CHECK(str_is(agent->uuid, "5b1e6f2a-0c3d-4e8f-9a7b-1c2d3e4f5a61/agent-a1b2c3d4"));
    CHECK(str_is(agent->title, "arenakit: (subagent) Search the pool code for fences."));
    CHECK_EQ(agent->msg_count, 2);
    CHECK_EQ(agent->visible_count, 2);
}

static void test_bad_lines(void) {
    Got g;
    ChatImportReport rep;
    ChatError err = {{0}};
    // Line 3 is cut mid-record, line 5 is an array: both skipped and named, the rest imported,
    // without skip_bad too.
    REQUIRE(import("tests/data/bad-lines/session.jsonl", &g, &rep, &err));
    CHECK_EQ(g.count, 1);
    CHECK_EQ(rep.bad, 2);
    REQUIRE(rep.bad_listed == 2);
    CHECK_STR_CONTAINS(rep.bad_list[0].ptr, "session.jsonl: line 3 ");
    CHECK_STR_CONTAINS(rep.bad_list[0].ptr, "unexpected end of input");
    CHECK_STR_CONTAINS(rep.bad_list[1].ptr, "line 5 ");
    CHECK_STR_CONTAINS(rep.bad_list[1].ptr, "not a record object");
    REQUIRE(g.count == 1);
    CHECK_EQ(g.convs[0].msg_count, 4);
    CHECK(str_is(g.convs[0].title, "scratch: first prompt"));
    CHECK(msg_by(&g.convs[0], "x-5") != NULL && msg_by(&g.convs[0], "x-3") == NULL);
}

// ---- Codex CLI -----------------------------------------------------------------------------------

static void test_codex_sessions(void) {
    Got g;
    ChatImportReport rep;
    ChatError err = {{0}};
    REQUIRE(import("tests/data/codex/sessions", &g, &rep, &err));
    CHECK_EQ(rep.files, 2);
    REQUIRE(g.count == 2);
    const ChatConv *old = &g.convs[0], *cur = &g.convs[1]; // 2025/05 before 2025/10
    CHECK(old->source == CHAT_SOURCE_CODEX && cur->source == CHAT_SOURCE_CODEX);

    CHECK(str_is(cur->uuid, "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5"));
    CHECK(str_is(cur->title, "chatlog: Why does the import of a .jsonl fail?"));
    CHECK(str_is(cur->model, "gpt-5-codex"));
    CHECK_EQ(cur->msg_count, 7);     // developer + context (hidden), prompt, reasoning, call, output, answer
    CHECK_EQ(cur->visible_count, 5); // event_msg copies and the encrypted-only reasoning are not messages
    CHECK(cur->msgs[0].role == CHAT_ROLE_USER && str_is(cur->msgs[0].text, "Why does the import of a .jsonl fail?"));
    CHECK(part_of(&cur->msgs[1], CHAT_PART_THINKING) && str_is(part_of(&cur->msgs[1], CHAT_PART_THINKING)->text, "**Reading the JSON reader**"));
    const ChatPart *p = part_of(&cur->msgs[2], CHAT_PART_TOOL_USE);
    CHECK(p && str_is(p->name, "shell") && has(p->text, "top-level value"));
    p = part_of(&cur->msgs[3], CHAT_PART_TOOL_RESULT);
    CHECK(cur->msgs[3].role == CHAT_ROLE_TOOL && p && str_is(p->name, "shell") && has(p->text, "exit_code"));
    CHECK(cur->msgs[4].role == CHAT_ROLE_ASSISTANT && has(cur->msgs[4].text, "second line is trailing data"));
    CHECK(str_is(cur->msgs[1].parent_uuid, cur->msgs[0].uuid.ptr));
    CHECK(str_is(cur->msgs[0].uuid, "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5:4")); // its line number
    CHECK_EQ(rep.hidden_messages, 2);

    CHECK(str_is(old->uuid, "4f3e2d1c-0b9a-4876-9543-210fedcba987")); // the older bare shape
    CHECK(str_is(old->title, "List the biggest files here"));
    CHECK_EQ(old->msg_count, 4);
    CHECK_EQ(old->visible_count, 4);
    p = part_of(&old->msgs[2], CHAT_PART_TOOL_RESULT);
    CHECK(p && str_is(p->name, "shell") && has(p->text, "120K"));
}

// The .jsonl a Claude/ChatGPT reader refused ("unexpected data after the top-level value"),
// here from memory.
static void test_jsonl_from_memory(void) {
    const char *doc = "{\"timestamp\":\"2025-01-01T00:00:00Z\",\"type\":\"session_meta\",\"payload\":{\"id\":\"mem-1\"}}\n"
                      "{\"timestamp\":\"2025-01-01T00:00:01Z\",\"type\":\"response_item\",\"payload\":{\"type\":\"message\","
                      "\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello\"}]}}\n";
    Got g = {0};
    ChatImportReport rep;
    ChatError err = {{0}};
    REQUIRE(chat_import_memory(arena, "mem.jsonl", doc, strlen(doc), NULL, keep_sink, &g, &rep, &err));
    REQUIRE(g.count == 1);
    CHECK(str_is(g.convs[0].uuid, "mem-1") && g.convs[0].msg_count == 1);
    // A first record both readers could claim (Claude Code keys, a Codex item type): Claude Code's.
    const char *both = "{\"parentUuid\":null,\"type\":\"message\",\"uuid\":\"z-0\"}\n"
                       "{\"parentUuid\":null,\"sessionId\":\"both-1\",\"type\":\"user\",\"uuid\":\"z-1\","
                       "\"message\":{\"role\":\"user\",\"content\":\"hi\"}}\n";
    memset(&g, 0, sizeof g);
    CHECK_MSG(chat_import_memory(arena, "both.jsonl", both, strlen(both), NULL, keep_sink, &g, &rep, &err), "%s", err.msg);
    CHECK(g.count == 1 && g.convs[0].source == CHAT_SOURCE_CLAUDE_CODE && str_is(g.convs[0].uuid, "both-1"));
    // JSON Lines of no known kind (Codex's history.jsonl, say): no chat, one entry in the bad list.
    const char *other = "{\"session_id\":\"a\",\"ts\":1,\"text\":\"x\"}\n{\"session_id\":\"b\",\"ts\":2,\"text\":\"y\"}\n";
    memset(&g, 0, sizeof g);
    REQUIRE(chat_import_memory(arena, "history.jsonl", other, strlen(other), NULL, keep_sink, &g, &rep, &err));
    CHECK_EQ(g.count, 0);
    CHECK_EQ(rep.bad, 1);
    CHECK(rep.bad_listed == 1 && has(rep.bad_list[0], "none of them a Claude Code or Codex CLI session record"));
}

// ---- Gemini ------------------------------------------------------------------------------------

static void test_gemini_takeout(void) {
    Got g;
    ChatImportReport rep;
    ChatError err = {{0}};
    REQUIRE(import("tests/data/gemini/Takeout", &g, &rep, &err));
    CHECK_EQ(rep.files, 1);
    REQUIRE(g.count == 3);
    const ChatConv *sum = &g.convs[0], *weather = &g.convs[1], *bard = &g.convs[2]; // file order: newest first
    CHECK(sum->source == CHAT_SOURCE_GEMINI);
    CHECK(str_is(sum->uuid, "gemini:2025-03-02T18:10:03.004Z"));
    CHECK(str_is(sum->title, "how do I sum a list in python"));
    CHECK_EQ(sum->msg_count, 4);
    CHECK_EQ(sum->visible_count, 4);
    // Oldest first, prompt then answer.
    CHECK(sum->msgs[0].role == CHAT_ROLE_USER && str_is(sum->msgs[0].text, "how do I sum a list in python"));
    CHECK(sum->msgs[1].role == CHAT_ROLE_ASSISTANT);
    CHECK(str_is(sum->msgs[1].text, "Use sum():\n\n- sum([1, 2, 3]) == 6\n- works on any iterable & generator\n\nDone\nbye"));
    CHECK(!has(sum->msgs[1].text, "alert") && !has(sum->msgs[1].text, "color"));
    CHECK(str_is(sum->msgs[2].text, "and in C?"));
    CHECK(str_is(sum->msgs[3].text, "In C you write it by hand:\n\nfor (i = 0; i < n; i++)\n    sum += a[i];\n\nThat's all."));
    CHECK(sum->created < sum->updated);
    // 25 minutes apart: one chat; "Used Gemini Apps" (no prompt, no answer) and Search: skipped.
    CHECK(str_is(weather->uuid, "gemini:2025-03-01T09:00:12.000Z"));
    CHECK_EQ(weather->msg_count, 4);
    CHECK(str_is(weather->msgs[1].text, "Mild, 18 \xC2\xB0" "C, light wind \xE2\x80\x94 take a jacket."));
    CHECK(str_is(weather->msgs[3].text, "Sunny \xF0\x9F\x98\x80 and warm."));
    CHECK(str_is(bard->title, "write a limerick about a segfault")); // the older header
    CHECK_EQ(bard->msg_count, 2);
    CHECK_EQ(rep.messages, 10);

    REQUIRE(import("tests/data/gemini-de", &g, &rep, &err)); // localized names and prompt verb
    REQUIRE(g.count == 1);
    CHECK(str_is(g.convs[0].title, "\xC3\x9C" "bersetze Guten Morgen, Sonntag"));
    CHECK_EQ(g.convs[0].msg_count, 4);
    CHECK(str_is(g.convs[0].msgs[3].text, "Good morning, Sunday."));
}

static void test_html_to_text(void) {
    static const struct { const char *html, *text; } cases[] = {
        {"<p>a</p><p>b</p>", "a\n\nb"},
        {"x<script type=\"a>b\">alert(1)</script>y<style>p{}</style>z", "xyz"},
        {"<SCRIPT>never</Script >ok", "ok"},
        {"a &lt;b&gt; &amp;amp; &quot;q&quot; &#39;s&#39; &#x41;&#66;", "a <b> &amp; \"q\" 's' AB"},
        {"bad &#xD800; &#0; &#1114112; &bogus; & alone", "bad \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD &bogus; & alone"},
        {"  lots   of\n\n  space  ", "lots of space"},
        {"a<br>b<br/>c", "a\nb\nc"},
        {"<ul><li>one</li><li>two</li></ul>after", "- one\n- two\n\nafter"},
        {"<pre>  keep\n   this</pre>", "keep\n   this"},
        {"if a < b then<!-- hidden -->!", "if a < b then!"},
        {"<p>cut tag <b", "cut tag"},
        {"<script>never closed", ""},
        {"<h1>Title</h1>body", "Title\n\nbody"},
        {"", ""},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(cases); i++) {
        AkStr got = chat_html_to_text(arena, ak_str_cstr(cases[i].html));
        CHECK_MSG(str_is(got, cases[i].text), "case %zu: \"%.*s\", expected \"%s\"", i, (int)got.len, got.ptr, cases[i].text);
    }
}

// ---- a 20 MB line ------------------------------------------------------------------------------

static char *big_session(uint64_t body, uint64_t *len) {
    const char *head = "{\"parentUuid\":null,\"sessionId\":\"big-1\",\"type\":\"user\",\"uuid\":\"b-1\",\"message\":{\"role\":\"user\",\"content\":\"";
    const char *tail = "\"}}\n{\"parentUuid\":\"b-1\",\"sessionId\":\"big-1\",\"type\":\"assistant\",\"uuid\":\"b-2\","
                       "\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"short\"}]}}\n";
    uint64_t n = strlen(head) + body + strlen(tail);
    char *p = ak_arena_push_nz(arena, n + 1, 1);
    if (!p) return NULL;
    memcpy(p, head, strlen(head));
    for (uint64_t i = 0; i < body; i++) p[strlen(head) + i] = (char)('a' + i % 26);
    memcpy(p + strlen(head) + body, tail, strlen(tail) + 1);
    *len = n;
    return p;
}

static void test_long_line(void) {
    uint64_t body = (uint64_t)(AK_MB(20) * test_scale()), len;
    if (body < AK_MB(1)) body = AK_MB(1); // always longer than the 256 KB read buffer
    char *doc = big_session(body, &len);
    REQUIRE(doc);
    char path[512];
    snprintf(path, sizeof path, "%s/big.jsonl", tmp_dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    REQUIRE(fwrite(doc, 1, len, f) == len);
    fclose(f);
    Got g;
    ChatImportReport rep;
    ChatError err = {{0}};
    CHECK_MSG(import(path, &g, &rep, &err), "%s", err.msg);
    REQUIRE(g.count == 1);
    CHECK_EQ(g.convs[0].msg_count, 2);
    CHECK_EQ(g.convs[0].msgs[0].text.len, body);
    CHECK(str_is(g.convs[0].msgs[1].text, "short"));
    CHECK_EQ(rep.bytes, len);
    memset(&g, 0, sizeof g);
    CHECK(chat_import_memory(arena, "big.jsonl", doc, len, NULL, keep_sink, &g, &rep, &err));
    CHECK(g.count == 1 && g.convs[0].msgs[0].text.len == body);
}

// ---- re-import of a grown session into a database ---------------------------------------------

typedef struct DbSink {
    ChatDb *db;
    uint32_t added, updated, unchanged;
} DbSink;

static bool db_sink(const ChatConv *c, void *user, ChatError *err) {
    DbSink *d = user;
    ChatPutResult r;
    if (!chat_db_put(d->db, c, &r, err)) return false;
    d->added += r.status == CHAT_PUT_ADDED, d->updated += r.status == CHAT_PUT_UPDATED;
    d->unchanged += r.status == CHAT_PUT_UNCHANGED;
    return true;
}

static bool import_db(ChatDb *db, const char *path, DbSink *d) {
    ChatImportReport rep;
    ChatError err = {{0}};
    *d = (DbSink){.db = db};
    bool ok = chat_db_begin(db, &err) && chat_import_path(arena, path, NULL, db_sink, d, &rep, &err) && chat_db_commit(db, &err);
    if (!ok) printf("  import of %s: %s\n", path, err.msg), chat_db_rollback(db);
    return ok;
}

static void append(const char *path, const char *lines) {
    FILE *f = fopen(path, "a");
    if (!f) return;
    fputs(lines, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[4096];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

static void test_grown_session_reimport(void) {
    char dbp[512], dir[512], cc[600], cx[600];
    snprintf(dbp, sizeof dbp, "%s/grow.db", tmp_dir);
    snprintf(dir, sizeof dir, "%s/grow", tmp_dir);
    mkdir(dir, 0700);
    snprintf(cc, sizeof cc, "%s/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl", dir);
    snprintf(cx, sizeof cx, "%s/rollout-2025-10-29T00-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl", dir);
    copy_file("tests/data/claude-code/projects/-home-ada-site/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl", cc);
    copy_file("tests/data/codex/sessions/2025/10/29/rollout-2025-10-29T00-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl", cx);
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(dbp, 0, &err);
    REQUIRE(db);
    DbSink d;
    ChatDbStats st;
    CHECK(import_db(db, dir, &d) && d.added == 2 && d.updated == 0);
    CHECK(chat_db_stats(db, &st, &err) && st.chats == 2 && st.messages == 13);
    CHECK(import_db(db, dir, &d) && d.unchanged == 2 && d.added == 0 && d.updated == 0); // nothing new
    // Both sessions go on: lines appended, as the tools write them.
    append(cc, "{\"parentUuid\":\"w-6\",\"isSidechain\":false,\"cwd\":\"/home/ada/site\",\"sessionId\":\"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\","
               "\"type\":\"user\",\"uuid\":\"w-7\",\"timestamp\":\"2025-10-03T09:00:00.000Z\",\"message\":{\"role\":\"user\",\"content\":\"One more, about mutexes\"}}\n"
               "{\"parentUuid\":\"w-7\",\"isSidechain\":false,\"cwd\":\"/home/ada/site\",\"sessionId\":\"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\","
               "\"type\":\"assistant\",\"uuid\":\"w-8\",\"timestamp\":\"2025-10-03T09:00:04.000Z\",\"message\":{\"role\":\"assistant\","
               "\"content\":[{\"type\":\"text\",\"text\":\"Two threads knock / one waits at the locked door / the other is done\"}]}}\n");
    append(cx, "{\"timestamp\":\"2025-10-30T08:00:00.000Z\",\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\","
               "\"content\":[{\"type\":\"input_text\",\"text\":\"and the fix?\"}]}}\n");
    CHECK(import_db(db, dir, &d) && d.updated == 2 && d.added == 0 && d.unchanged == 0);
    CHECK(chat_db_stats(db, &st, &err) && st.chats == 2 && st.messages == 16); // grown, not duplicated
    ChatRow row;
    CHECK(chat_db_find_chat(db, arena, AK_STR("9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"), &row, &err));
    CHECK_EQ(row.message_count, 8);
    CHECK_EQ(row.visible_count, 6);
    chat_db_close(db);
}

int main(void) {
    arena = ak_arena_create(.name = "test_import_sources");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_import_sources.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!arena || !mkdtemp(tmp_dir)) {
        printf("FAIL setup\n0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_sniff);
    RUN(test_claude_code_projects);
    RUN(test_bad_lines);
    RUN(test_codex_sessions);
    RUN(test_jsonl_from_memory);
    RUN(test_gemini_takeout);
    RUN(test_html_to_text);
    RUN(test_long_line);
    RUN(test_grown_session_reimport);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("  could not remove %s\n", tmp_dir);
    ak_arena_release(arena);
    return test_finish();
}
