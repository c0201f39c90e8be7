// SQLite on the arenakit heap: every allocation goes through the "sqlite" heap (it appears in
// the pool), and when its limit is reached SQLite's out-of-memory path is taken: the import
// or search fails with a clear message, the transaction rolls back, and what was stored
// before is intact. The limits are lowered step by step until SQLite fails.
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/heap.h"
#include "chat/db.h"
#include "chat/import.h"
#include "chat/sqlmem.h"

#include <sqlite3.h>

static const char *samples(void) {
    const char *s = getenv("AK_SAMPLES");
    return s ? s : "../shared/samples";
}

static char db_path[256];

static bool put_sink(const ChatConv *conv, void *user, ChatError *err) {
    ChatPutResult r;
    return chat_db_put(user, conv, &r, err);
}

// Import one sample file into the database in one transaction.
static bool import_file(const char *path, ChatError *err) {
    ChatDb *db = chat_db_open(db_path, 0, err);
    if (!db) return false;
    AkArena *a = ak_arena_create(.name = "report");
    ChatImportReport rep;
    bool ok = chat_db_begin(db, err) && chat_import_path(a, path, NULL, put_sink, db, &rep, err) && chat_db_commit(db, err);
    if (!ok) chat_db_rollback(db);
    chat_db_close(db);
    ak_arena_release(a);
    return ok;
}

static uint64_t chat_count(void) {
    ChatError err;
    ChatDb *db = chat_db_open(db_path, CHAT_DB_READONLY, &err);
    if (!db) return UINT64_MAX;
    ChatDbStats st;
    uint64_t n = chat_db_stats(db, &st, &err) ? st.chats : UINT64_MAX;
    if (!chat_db_check(db, &err)) n = UINT64_MAX - 1;
    chat_db_close(db);
    sqlite3_shutdown(); // so the next install can configure SQLite again
    return n;
}

static void test_sqlite_allocates_from_the_heap(void) {
    ChatError err;
    REQUIRE(chat_sqlmem_install(0, &err));
    AkHeap *h = chat_sqlmem_heap();
    REQUIRE(h);
    char path[512];
    snprintf(path, sizeof path, "%s/claude/conversations.json", samples());
    CHECK_MSG(import_file(path, &err), "%s", err.msg);
    ChatDb *db = chat_db_open(db_path, CHAT_DB_READONLY, &err);
    REQUIRE(db);
    AkHeapStats s = ak_heap_stats(h);
    CHECK(s.used > AK_KB(16)); // connection, schema, page cache
    CHECK(ak_heap_check(h));
    AkPoolEntry e[64];
    uint32_t n = ak_pool_snapshot(e, 64);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= e[i].kind == AK_POOL_KIND_HEAP && !strcmp(e[i].name, "sqlite");
    CHECK(found);
    // xRoundup agrees with the heap's real usable sizes.
    for (int k = 1; k < 5000; k += 37) {
        void *p = sqlite3_malloc(k);
        CHECK(p && sqlite3_msize(p) >= (sqlite3_uint64)k);
        CHECK_EQ(sqlite3_msize(p), ak_heap_usable_size(h, p));
        sqlite3_free(p);
    }
    chat_db_close(db);
    chat_sqlmem_uninstall();
    CHECK_EQ(chat_count(), 8);
}

// Runs `what` under SQLite limits growing from tiny until it succeeds; returns how many
// limits made it fail. Every failure must say it ran out of memory and leave the database
// with exactly `expect` chats; the final success adds the sample's 8.
static int fail_under_limits(bool (*what)(ChatError *), uint64_t expect, const char *label) {
    int failures = 0;
    for (uint64_t limit = AK_KB(16); limit <= AK_MB(64); limit = limit * 5 / 4) {
        ChatError err = {{0}};
        if (!chat_sqlmem_install(limit, &err)) {
            test_fail_at(__FILE__, __LINE__, "install: %s", err.msg);
            return failures;
        }
        bool ok = what(&err);
        chat_sqlmem_uninstall();
        uint64_t n = chat_count();
        if (ok) {
            CHECK_EQ(n, expect + 8);
            return failures;
        }
        failures++;
        if (!strstr(err.msg, "out of memory"))
            test_fail_at(__FILE__, __LINE__, "%s under %llu bytes: unclear error: %s", label,
                         (unsigned long long)limit, err.msg);
        if (n != expect)
            test_fail_at(__FILE__, __LINE__, "%s under %llu bytes lost data: %llu chats", label,
                         (unsigned long long)limit, (unsigned long long)n);
    }
    test_fail_at(__FILE__, __LINE__, "%s never succeeded", label);
    return failures;
}

static bool import_chatgpt(ChatError *err) {
    char path[512];
    snprintf(path, sizeof path, "%s/chatgpt/conversations.json", samples());
    return import_file(path, err);
}

static void test_nomem_during_import(void) {
    int failures = fail_under_limits(import_chatgpt, 8, "import");
    printf("  import failed cleanly under %d limits\n", failures);
    CHECK(failures >= 1);
}

static bool search_opened; // the failure, if any, came from the search, not the open

static bool search_once(ChatError *err) {
    ChatDb *db = chat_db_open(db_path, CHAT_DB_READONLY, err);
    search_opened = db != NULL;
    if (!db) return false;
    AkArena *a = ak_arena_create(.name = "hits");
    ChatHit *hits;
    uint32_t count;
    bool ok = chat_db_search(db, a, "arena OR memory", NULL, &hits, &count, err);
    chat_db_close(db);
    ak_arena_release(a);
    return ok;
}

static void test_nomem_during_search(void) {
    uint64_t before = chat_count();
    int failures = 0;
    for (uint64_t limit = AK_KB(512); limit >= AK_KB(16); limit = limit * 15 / 16) {
        ChatError err = {{0}};
        REQUIRE(chat_sqlmem_install(limit, &err));
        bool ok = search_once(&err);
        chat_sqlmem_uninstall();
        if (!ok) {
            failures += search_opened;
            CHECK_MSG(strstr(err.msg, "out of memory") != NULL, "unclear error: %s", err.msg);
        }
    }
    printf("  the search itself (not the open) failed cleanly under %d limits\n", failures);
    CHECK(failures >= 1);
    CHECK_EQ(chat_count(), before);
}

int main(void) {
    snprintf(db_path, sizeof db_path, "/tmp/arenakit-sqlmem-%d.db", (int)getpid());
    RUN(test_sqlite_allocates_from_the_heap);
    RUN(test_nomem_during_import);
    RUN(test_nomem_during_search);
    char p[300];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path), unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path), unlink(p);
    ak_scratch_release_thread();
    CHECK_EQ(ak_leak_check(stdout), 0);
    return test_finish();
}
