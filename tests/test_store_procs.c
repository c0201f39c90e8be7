// The store against other processes writing the same database (issue 13 items 1 and 9). A
// long-lived store (two connections, as browse keeps) stays open while child processes, each
// with a store of its own, import new chats and newer versions of old ones. The open store
// must keep working, see the new chats after a refresh, and, once refreshed, load the new
// version of a chat it had cached. Children are forked before the parent starts any thread.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/store.h"

#include <sys/wait.h>

enum { CHILDREN = 2, PER_CHILD = 12 };

static char db_path[512];

#define S ak_str_pushf // a formatted string on the arena

// Chat `uuid` at `version`: 2 + version messages, each naming the version and a word.
static ChatConv make_conv(AkArena *a, const char *uuid, int version, const char *word) {
    uint32_t n = 2 + (uint32_t)version;
    ChatConv c = {.source = CHAT_SOURCE_CLAUDE, .uuid = S(a, "%s", uuid), .title = S(a, "chat %s", uuid),
                  .created = 1700000000.0, .updated = 1700000000.0 + version, .msg_count = n, .visible_count = n};
    c.msgs = ak_push_array(a, ChatMsg, n);
    for (uint32_t i = 0; i < n; i++) {
        ChatMsg *m = &c.msgs[i];
        m->role = i % 2 ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_USER;
        m->created = 1700000000.0 + i;
        m->text = S(a, "message %u of %s version %d %s", i, uuid, version, word);
        m->visible = true;
        m->sibling_index = m->sibling_count = 1;
    }
    return c;
}

static bool put_all(ChatStore *s, AkArena *a, int child, ChatError *err) {
    if (!chat_db_begin(s->db, err)) return false;
    for (int i = 0; i < PER_CHILD; i++) {
        char uuid[32];
        snprintf(uuid, sizeof uuid, "child%d-%d", child, i);
        ChatConv c = make_conv(a, uuid, 0, "narwhal");
        ChatPutResult r;
        if (!chat_db_put(s->db, &c, &r, err)) return chat_db_rollback(s->db), false;
    }
    ChatConv c = make_conv(a, "shared", child + 1, child ? "walrus" : "orca"); // newer each time
    ChatPutResult r;
    if (!chat_db_put(s->db, &c, &r, err)) return chat_db_rollback(s->db), false;
    return chat_db_commit(s->db, err);
}

// A child: waits for its go byte, imports through a store of its own (two connections, like
// `chatlog import`), closes it and exits 0 on success.
static void child_main(int child, int go_fd) {
    char b;
    if (read(go_fd, &b, 1) != 1) _exit(3);
    ChatError err = {{0}};
    ChatStoreConfig cfg = {.path = db_path};
    ChatStore *s = chat_store_open(&cfg, &err);
    AkArena *a = ak_arena_create(.name = "child");
    bool ok = s && a && put_all(s, a, child, &err);
    if (!ok) fprintf(stderr, "child %d: %s\n", child, err.msg);
    chat_store_close(s);
    ak_arena_release(a);
    _exit(ok ? 0 : 1);
}

// The text of message `ordinal` of the chat with uuid `uuid`, loaded through the store.
static bool load_text(ChatStore *s, const char *uuid, uint32_t ordinal, char *out, size_t cap, uint32_t *count) {
    ChatError err = {{0}};
    uint32_t h;
    if (!chat_store_find(s, uuid, &h, &err)) return printf("  find %s: %s\n", uuid, err.msg), false;
    ChatMessages *m = chat_store_open_chat(s, h, &err);
    if (!m || !chat_store_wait(s, m, &err)) {
        printf("  load %s: %s\n", uuid, err.msg);
        chat_store_close_chat(s, m);
        return false;
    }
    *count = (uint32_t)ChatMessageArray_count(&m->msgs);
    ChatMessage *msg = ordinal < *count ? ChatMessageArray_get(&m->msgs, ordinal) : NULL;
    snprintf(out, cap, "%.*s", msg ? (int)msg->text.len : 0, msg ? msg->text.ptr : "");
    chat_store_close_chat(s, m);
    return true;
}

static uint64_t hits_for(ChatStore *s, AkArena *a, const char *q) {
    ChatHit *hits;
    uint32_t n = 0;
    ChatError err = {{0}};
    if (!chat_db_search(s->db, a, q, &(ChatSearchOpts){.limit = 1000}, &hits, &n, &err))
        return printf("  search %s: %s\n", q, err.msg), UINT64_MAX;
    return n;
}

static void test_reader_across_imports(void) {
    int go[CHILDREN][2];
    pid_t pid[CHILDREN];
    fflush(stdout);
    for (int c = 0; c < CHILDREN; c++) {
        REQUIRE(pipe(go[c]) == 0);
        pid[c] = fork();
        REQUIRE(pid[c] >= 0);
        if (pid[c] == 0) child_main(c, go[c][0]);
    }
    // The database with one chat, then the long-lived store (main and IO connections).
    AkArena *a = ak_arena_create(.name = "parent");
    ChatError err = {{0}};
    ChatStoreConfig cfg = {.path = db_path};
    ChatStore *s = chat_store_open(&cfg, &err);
    REQUIRE(s);
    ChatConv c0 = make_conv(a, "shared", 0, "seal");
    ChatPutResult r;
    CHECK(chat_db_put(s->db, &c0, &r, &err));
    CHECK(chat_store_refresh(s, &err));
    char text[256];
    uint32_t count = 0;
    CHECK(load_text(s, "shared", 0, text, sizeof text, &count)); // cached from now on
    CHECK_STR_CONTAINS(text, "version 0");
    CHECK_EQ(count, 2);

    for (int c = 0; c < CHILDREN; c++) {
        CHECK(write(go[c][1], "g", 1) == 1);
        int status = 0;
        CHECK(waitpid(pid[c], &status, 0) == pid[c]);
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status %d)", c, status);
        // Still open, across another process's import: refresh and see it all.
        CHECK_MSG(chat_store_refresh(s, &err), "refresh after child %d: %s", c, err.msg);
        CHECK_EQ(chat_store_count(s), 1 + (c + 1) * PER_CHILD);
        char uuid[32];
        snprintf(uuid, sizeof uuid, "child%d-%d", c, PER_CHILD - 1);
        CHECK(load_text(s, uuid, 1, text, sizeof text, &count));
        CHECK_STR_CONTAINS(text, "narwhal");
        // The chat cached before the import now loads in its new version (item 9).
        CHECK(load_text(s, "shared", 0, text, sizeof text, &count));
        char want[32];
        snprintf(want, sizeof want, "version %d", c + 1);
        CHECK_STR_CONTAINS(text, want);
        CHECK_EQ(count, 2 + (uint32_t)c + 1);
        AkTemp t = ak_temp_begin(a);
        CHECK_EQ(hits_for(s, a, "narwhal"), (uint64_t)(c + 1) * PER_CHILD * 2);
        ak_temp_end(t);
    }
    ChatDbStats st;
    CHECK(chat_db_stats(s->db, &st, &err));
    CHECK_EQ(st.chats, 1 + CHILDREN * PER_CHILD);
    CHECK_MSG(chat_db_check(s->db, &err), "%s", err.msg);
    chat_store_close(s);
    ak_arena_release(a);
}

// A view that holds a chat across a refresh that changes it keeps its old history (valid
// memory); opening the chat again gives the new version, and closing both gives all back.
static void test_refresh_under_open_view(void) {
    AkArena *a = ak_arena_create(.name = "view");
    ChatError err = {{0}};
    ChatStoreConfig cfg = {.path = db_path};
    ChatStore *s = chat_store_open(&cfg, &err);
    REQUIRE(s);
    uint32_t h;
    REQUIRE(chat_store_find(s, "shared", &h, &err));
    ChatMessages *old = chat_store_open_chat(s, h, &err);
    REQUIRE(old && chat_store_wait(s, old, &err));
    uint32_t old_count = (uint32_t)ChatMessageArray_count(&old->msgs);
    ChatDb *other = chat_db_open(db_path, 0, &err); // another connection writes a newer version
    REQUIRE(other);
    ChatConv c = make_conv(a, "shared", 9, "beluga");
    ChatPutResult r;
    CHECK(chat_db_put(other, &c, &r, &err));
    CHECK_EQ(r.status, CHAT_PUT_UPDATED);
    chat_db_close(other);
    CHECK(chat_store_refresh(s, &err));
    ChatMessages *fresh = chat_store_open_chat(s, h, &err);
    REQUIRE(fresh && chat_store_wait(s, fresh, &err));
    CHECK(fresh != old);
    CHECK_EQ(ChatMessageArray_count(&fresh->msgs), 11);
    CHECK_STR_CONTAINS(ChatMessageArray_get(&fresh->msgs, 0)->text.ptr, "beluga");
    CHECK_EQ(ChatMessageArray_count(&old->msgs), old_count); // the view's copy is untouched
    CHECK_STR_CONTAINS(ChatMessageArray_get(&old->msgs, 0)->text.ptr, "walrus");
    chat_store_close_chat(s, old);
    chat_store_close_chat(s, fresh);
    ChatLruStats st = chat_lru_stats(s->lru);
    CHECK_EQ(st.active, 1); // the stale record went when its view closed
    chat_store_close(s);
    ak_arena_release(a);
}

int main(void) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/test_store_procs.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(db_path, sizeof db_path, "%s/procs.db", dir);
    RUN(test_reader_across_imports);
    RUN(test_refresh_under_open_view);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_finish();
}
