// The table of sources (src/chat/source.h): every row is reachable. Its name round-trips (any
// case, through the database's word and chatlog's own export), its fields are those its way of
// reading needs, the usage text lists exactly the table's names, and each source's fixture in
// tests/data is detected as that source and no other. A row added without a fixture here, or
// with a half-filled row, fails this test. (tests/test_source_table.sh checks the command line:
// --source, stats keys, completions and the man page.)
#define _DEFAULT_SOURCE
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"
#include "chat/import.h"
#include "chat/source.h"
#include "chat/sources.h"

#include <ctype.h>
#include <sys/stat.h>

static AkArena *arena;
static char tmp_dir[256];

// One fixture per source, in tests/data (README.md there says what each holds).
static const struct {
    const char *name, *path;
} fixtures[] = {
    {"claude", "tests/data/claude-2025.json"},
    {"chatgpt", "tests/data/chatgpt-2025.json"},
    {"claude-code", "tests/data/claude-code/projects"},
    {"codex", "tests/data/codex/sessions"},
    {"gemini", "tests/data/gemini/Takeout"},
};

static const char *fixture_of(const char *name) {
    for (size_t i = 0; i < AK_ARRAY_COUNT(fixtures); i++)
        if (!strcmp(fixtures[i].name, name)) return fixtures[i].path;
    return NULL;
}

static void test_rows_complete(void) {
    size_t n = chat_source_count();
    REQUIRE(n >= 5);
    for (size_t i = 0; i < n; i++) {
        const ChatSourceInfo *r = chat_source_at(i);
        REQUIRE(r && r->name && r->label && r->json_key && r->product);
        CHECK_MSG(r->id != 0, "row %zu has id 0 (0 is no source)", i);
        CHECK_MSG(r->name[0] && r->label[0] && r->product[0], "row %zu: an empty name, label or product", i);
        for (size_t j = 0; j < i; j++) {
            const ChatSourceInfo *o = chat_source_at(j);
            CHECK_MSG(o->id != r->id, "rows %zu and %zu share id %d", j, i, (int)r->id);
            CHECK_MSG(strcasecmp(o->name, r->name), "rows %zu and %zu share the name %s", j, i, r->name);
            CHECK_MSG(strcmp(o->json_key, r->json_key), "rows %zu and %zu share the JSON key %s", j, i, r->json_key);
        }
        // Names are what people type and the database stores: lower case, digits, '-'.
        for (const char *p = r->name; *p; p++)
            CHECK_MSG(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-', "name %s: '%c'", r->name, *p);
        // The JSON key is the name with '-' as '_' (test_source_table.sh counts on it).
        char key[64];
        snprintf(key, sizeof key, "%s", r->name);
        for (char *p = key; *p; p++)
            if (*p == '-') *p = '_';
        CHECK_MSG(!strcmp(key, r->json_key), "row %s: JSON key %s, expected %s", r->name, r->json_key, key);
        switch (r->reading) {
        case CHAT_SOURCE_READ_EXPORT:
            CHECK_MSG(r->mark && r->mark[0] && r->import_conv, "export row %s needs a mark and import_conv", r->name);
            break;
        case CHAT_SOURCE_READ_SESSION:
            CHECK_MSG(r->claims_head && r->claims_record && r->session_begin && r->session_record && r->session_finish,
                      "session row %s needs claims_head, claims_record and the session functions", r->name);
            break;
        case CHAT_SOURCE_READ_DOCUMENT:
            CHECK_MSG(r->claims_head && r->import_document && r->claims_member,
                      "document row %s needs claims_head, import_document and claims_member", r->name);
            break;
        default:
            CHECK_MSG(false, "row %s: reading %d", r->name, (int)r->reading);
        }
        CHECK(chat_source_name_width() >= (int)strlen(r->name));
    }
    CHECK(chat_source_at(n) == NULL);
}

static void test_names_round_trip(void) {
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *r = chat_source_at(i);
        CHECK(chat_source_info(r->id) == r);
        CHECK(chat_source_by_name(r->name) == r);
        CHECK_MSG(!strcmp(chat_source_name(r->id), r->name), "chat_source_name(%d) is %s", (int)r->id, chat_source_name(r->id));
        char upper[64];
        snprintf(upper, sizeof upper, "%s", r->name);
        for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
        CHECK_MSG(chat_source_by_name(upper) == r, "%s is not found by %s", r->name, upper);
        CHECK(chat_source_by_name_str(ak_str_cstr(r->name)) == r);
    }
    CHECK(chat_source_info((ChatSource)0) == NULL && chat_source_info((ChatSource)999) == NULL);
    CHECK(chat_source_by_name("bing") == NULL && chat_source_by_name("") == NULL && chat_source_by_name(NULL) == NULL);
    CHECK(chat_source_by_name("claude-cod") == NULL && chat_source_by_name("claude-code ") == NULL);
    CHECK(!strcmp(chat_source_name((ChatSource)0), "unknown"));
    // The usage texts' literal is the table's list, in its order.
    char names[256];
    CHECK_MSG(!strcmp(chat_source_names_text(names, sizeof names), CHAT_SOURCE_NAMES_TEXT),
              "CHAT_SOURCE_NAMES_TEXT is \"%s\", the table says \"%s\": update source.h", CHAT_SOURCE_NAMES_TEXT, names);
    char tiny[8];
    CHECK(strlen(chat_source_names_text(tiny, sizeof tiny)) == sizeof tiny - 1); // cut, terminated
}

typedef struct Seen {
    uint32_t chats, other;
    ChatSource want;
} Seen;

static bool count_sink(const ChatConv *c, void *user, ChatError *err) {
    (void)err;
    Seen *s = user;
    s->chats++;
    if (c->source != s->want) s->other++;
    return true;
}

// Each source's fixture: detected as that source (every chat it yields), by content.
static void test_fixture_detected(void) {
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *r = chat_source_at(i);
        const char *path = fixture_of(r->name);
        CHECK_MSG(path, "source %s has no fixture in this test: add one to fixtures[]", r->name);
        if (!path) continue;
        Seen s = {.want = r->id};
        ChatImportReport rep;
        ChatError err = {{0}};
        CHECK_MSG(chat_import_path(arena, path, NULL, count_sink, &s, &rep, &err), "%s: %s", path, err.msg);
        CHECK_MSG(s.chats > 0 && s.other == 0, "%s: %u chats, %u of another source than %s", path, s.chats, s.other, r->name);
    }
}

// The head detection names the row's way of reading for each fixture file's first bytes.
static void test_fixture_heads(void) {
    static const char *const files[][2] = {
        {"claude", "tests/data/claude-2025.json"},
        {"chatgpt", "tests/data/chatgpt-2025.json"},
        {"claude-code", "tests/data/claude-code/projects/-home-ada-site/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl"},
        {"codex", "tests/data/codex/sessions/2025/10/29/rollout-2025-10-29T00-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl"},
        {"gemini", "tests/data/gemini/Takeout/My Activity/Gemini Apps/MyActivity.json"},
    };
    for (size_t i = 0; i < AK_ARRAY_COUNT(files); i++) {
        const ChatSourceInfo *r = chat_source_by_name(files[i][0]);
        REQUIRE(r);
        FILE *f = fopen(files[i][1], "rb");
        CHECK_MSG(f, "cannot open %s", files[i][1]);
        if (!f) continue;
        char head[16384];
        size_t n = fread(head, 1, sizeof head, f);
        fclose(f);
        ChatSourceKind want = r->reading == CHAT_SOURCE_READ_EXPORT    ? CHAT_SOURCE_KIND_EXPORT
                              : r->reading == CHAT_SOURCE_READ_SESSION ? CHAT_SOURCE_KIND_JSONL
                                                                       : CHAT_SOURCE_KIND_DOCUMENT;
        CHECK_MSG(chat_sources_sniff(head, n) == want, "%s: sniffed %d, want %d", files[i][1],
                  (int)chat_sources_sniff(head, n), (int)want);
    }
    // Archive members are offered by name to the document rows only.
    CHECK(chat_sources_wanted("Takeout/My Activity/Gemini Apps/MyActivity.json", true));
    CHECK(chat_sources_wanted("Takeout/My Activity/Bard/MyActivity.json", true));
    CHECK(!chat_sources_wanted("Takeout/My Activity/Search/MyActivity.json", true));
}

// chatlog's own export of a chat of each source reads back as that source (it took only
// claude and chatgpt: an export of Claude Code, Codex or Gemini chats could not be re-imported).
static void test_native_every_source(void) {
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *r = chat_source_at(i);
        char doc[400];
        snprintf(doc, sizeof doc,
                 "[{\"chatlog_export\":1,\"uuid\":\"n-%s\",\"source\":\"%s\",\"title\":\"t\",\"messages\":["
                 "{\"uuid\":\"m\",\"role\":\"user\",\"visible\":true,\"text\":\"hi\",\"parts\":[{\"kind\":\"text\",\"text\":\"hi\"}]}]}]",
                 r->name, r->name);
        Seen s = {.want = r->id};
        ChatImportReport rep;
        ChatError err = {{0}};
        ChatImportOptions strict = {.strict = true};
        CHECK_MSG(chat_import_memory(arena, "native", doc, strlen(doc), &strict, count_sink, &s, &rep, &err), "%s: %s",
                  r->name, err.msg);
        CHECK_MSG(s.chats == 1 && s.other == 0, "%s: %u chats, %u of another source", r->name, s.chats, s.other);
    }
}

// A chat of each source through the database: stored under the row's name, read back as its id.
static void test_db_every_source(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/sources.db", tmp_dir);
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(path, 0, &err);
    REQUIRE(db);
    for (size_t i = 0; i < chat_source_count(); i++) {
        const ChatSourceInfo *r = chat_source_at(i);
        ChatMsg msg = {.uuid = AK_STR("m"), .role = CHAT_ROLE_USER, .created = 1, .text = AK_STR("hello"), .visible = true};
        AkStr uuid = ak_str_pushf(arena, "db-%s", r->name);
        ChatConv conv = {.source = r->id, .uuid = uuid, .title = AK_STR("t"), .created = 1, .updated = 2, .msgs = &msg,
                         .msg_count = 1, .visible_count = 1};
        ChatPutResult res;
        CHECK_MSG(chat_db_put(db, &conv, &res, &err), "%s: %s", r->name, err.msg);
        ChatRow row;
        CHECK_MSG(chat_db_find_chat(db, arena, uuid, &row, &err), "%s: %s", r->name, err.msg);
        CHECK_MSG(row.source == r->id, "%s: read back as %d", r->name, (int)row.source);
    }
    ChatMsg msg = {.uuid = AK_STR("m"), .role = CHAT_ROLE_USER, .text = AK_STR("x"), .visible = true};
    ChatConv none = {.source = (ChatSource)0, .uuid = AK_STR("db-none"), .msgs = &msg, .msg_count = 1, .visible_count = 1};
    ChatPutResult res;
    CHECK(!chat_db_put(db, &none, &res, &err));
    CHECK_STR_CONTAINS(err.msg, "has no known source (0)");
    chat_db_close(db);
}

int main(void) {
    arena = ak_arena_create(.name = "test_source_table");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test_source_table.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!arena || !mkdtemp(tmp_dir)) {
        printf("FAIL setup\n0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_rows_complete);
    RUN(test_names_round_trip);
    RUN(test_fixture_detected);
    RUN(test_fixture_heads);
    RUN(test_native_every_source);
    RUN(test_db_every_source);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) printf("(could not remove %s)\n", tmp_dir);
    ak_arena_release(arena);
    return test_finish();
}
