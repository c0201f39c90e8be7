// The store with one connection per thread: a writer imports in many transactions (new chats
// and updates of earlier ones) while readers list, search and load chats. Every message's text
// names its chat, version and the chat's message count, so a reader can tell a load that mixes
// two versions (a torn read) from a consistent snapshot. Runs under ThreadSanitizer too.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <stdatomic.h>

enum { READERS = 2 };

static char db_path[512];
static atomic_bool writer_done;
static uint32_t rounds, per_round;

// Messages in version v of chat k: changes with every version, so updates replace rows.
static uint32_t msg_count_of(uint32_t k, uint32_t v) { return 3 + (k * 7 + v * 5) % 30; }

static ChatConv make_conv(AkArena *a, uint32_t k, uint32_t v) {
    uint32_t n = msg_count_of(k, v);
    char *uuid = ak_push_array(a, char, 32);
    char *title = ak_push_array(a, char, 64);
    snprintf(uuid, 32, "mt-%u", k);
    snprintf(title, 64, "chat %u version %u about walruses", k, v);
    ChatConv c = {.source = k % 2 ? CHAT_SOURCE_CLAUDE : CHAT_SOURCE_CHATGPT, .uuid = ak_str_cstr(uuid),
                  .title = ak_str_cstr(title), .created = 1700000000.0 + k, .updated = 1700000000.0 + k + v,
                  .msg_count = n, .visible_count = n};
    c.msgs = ak_push_array(a, ChatMsg, n);
    for (uint32_t i = 0; i < n; i++) {
        ChatMsg *m = &c.msgs[i];
        char *text = ak_push_array(a, char, 128);
        snprintf(text, 128, "chat %u version %u msg %u of %u: walrus tusks and kelp", k, v, i, n);
        m->text = ak_str_cstr(text);
        m->role = i % 2 ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_USER;
        m->created = c.created + i;
        m->visible = true;
        m->sibling_index = m->sibling_count = 1;
        m->part_count = 2;
        m->parts = ak_push_array(a, ChatPart, 2);
        m->parts[0] = (ChatPart){CHAT_PART_TEXT, ak_str("", 0), m->text, false};
        char *extra = ak_push_array(a, char, 64);
        snprintf(extra, 64, "chat %u version %u part", k, v);
        m->parts[1] = (ChatPart){CHAT_PART_THINKING, ak_str("", 0), ak_str_cstr(extra), false};
    }
    return c;
}

typedef struct WriterResult {
    uint32_t added, updated, unchanged, failures;
    char error[1024];
} WriterResult;

static void *writer(void *arg) {
    WriterResult *res = arg;
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(db_path, 0, &err);
    AkArena *a = ak_arena_create(.name = "writer");
    uint32_t *version = ak_push_array(a, uint32_t, rounds * per_round);
    uint64_t seed = 7;
    for (uint32_t r = 0; db && r < rounds; r++) {
        if (!chat_db_begin(db, &err)) { res->failures++; break; }
        AkTemp t = ak_temp_begin(a);
        for (uint32_t j = 0; j < per_round; j++) { // new chats
            uint32_t k = r * per_round + j;
            ChatConv c = make_conv(a, k, 0);
            ChatPutResult pr;
            if (!chat_db_put(db, &c, &pr, &err)) res->failures++;
            else res->added += pr.status == CHAT_PUT_ADDED;
        }
        for (uint32_t j = 0; j < per_round / 2 && r > 0; j++) { // updates of earlier ones
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t k = (uint32_t)((seed >> 33) % (r * per_round));
            ChatConv c = make_conv(a, k, ++version[k]);
            ChatPutResult pr;
            if (!chat_db_put(db, &c, &pr, &err)) res->failures++;
            else res->updated += pr.status == CHAT_PUT_UPDATED;
            c = make_conv(a, k, version[k]); // the same again: nothing to do
            if (!chat_db_put(db, &c, &pr, &err)) res->failures++;
            else res->unchanged += pr.status == CHAT_PUT_UNCHANGED;
        }
        ak_temp_end(t);
        // Every fourth round is abandoned: readers must never see it.
        if (r % 4 == 3) {
            AkTemp t2 = ak_temp_begin(a);
            ChatConv ghost = make_conv(a, 1000000 + r, 0);
            ChatPutResult pr;
            if (!chat_db_put(db, &ghost, &pr, &err)) res->failures++;
            ak_temp_end(t2);
        }
        if (r % 4 == 3) chat_db_rollback(db);
        else if (!chat_db_commit(db, &err)) res->failures++;
        if (r % 4 == 3) { // redo the round's new chats so the totals stay simple
            if (!chat_db_begin(db, &err)) { res->failures++; break; }
            AkTemp t3 = ak_temp_begin(a);
            for (uint32_t j = 0; j < per_round; j++) {
                ChatConv c = make_conv(a, r * per_round + j, 0);
                ChatPutResult pr;
                if (!chat_db_put(db, &c, &pr, &err)) res->failures++;
            }
            ak_temp_end(t3);
            if (!chat_db_commit(db, &err)) res->failures++;
        }
    }
    if (!db) res->failures++;
    snprintf(res->error, sizeof res->error, "%s", err.msg);
    chat_db_close(db);
    ak_arena_release(a);
    atomic_store(&writer_done, true);
    return NULL;
}

typedef struct ReaderResult {
    uint32_t lists, loads, searches, messages, torn, torn_hits, errors, shrinks, ghosts;
    char error[1024];
} ReaderResult;

typedef struct ListState {
    int64_t ids[4096];
    uint32_t n;
    bool ghost;
} ListState;

static bool list_one(const ChatRow *row, void *user) {
    ListState *ls = user;
    unsigned k;
    if (sscanf(row->uuid.ptr, "mt-%u", &k) == 1 && k >= 1000000) ls->ghost = true;
    if (ls->n < AK_ARRAY_COUNT(ls->ids)) ls->ids[ls->n++] = row->id;
    return true;
}

typedef struct LoadState {
    unsigned chat, version, count;
    uint32_t seen;
    bool torn;
} LoadState;

static bool load_one(const ChatMsg *m, uint32_t ordinal, void *user) {
    LoadState *ls = user;
    unsigned k, v, i, n, pk, pv;
    if (sscanf(m->text.ptr, "chat %u version %u msg %u of %u", &k, &v, &i, &n) != 4) { ls->torn = true; return false; }
    if (ls->seen == 0) ls->chat = k, ls->version = v, ls->count = n;
    if (k != ls->chat || v != ls->version || n != ls->count || i != ordinal || ordinal != ls->seen) ls->torn = true;
    if (m->part_count != 2 || !ak_str_eq(m->parts[0].text, m->text) ||
        sscanf(m->parts[1].text.ptr, "chat %u version %u", &pk, &pv) != 2 || pk != k || pv != v)
        ls->torn = true;
    ls->seen++;
    return true;
}

static const char *j_query(uint32_t i) {
    static const char *const q[] = {"walrus", "kelp tusks", "version*", "\"walrus tusks\"", "about", "chat 5"};
    return q[i % AK_ARRAY_COUNT(q)];
}

static void *reader(void *arg) {
    ReaderResult *res = arg;
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(db_path, CHAT_DB_READONLY, &err);
    AkArena *a = ak_arena_create(.name = "reader");
    ListState *ls = ak_push_struct(a, ListState);
    uint32_t last_n = 0;
    uint64_t seed = (uint64_t)(uintptr_t)arg | 1;
    bool last_pass = false;
    while (db) {
        if (atomic_load(&writer_done)) last_pass = true; // one more pass after the writer
        ls->n = 0;
        ls->ghost = false;
        if (!chat_db_each_chat(db, list_one, ls, &err)) { res->errors++; break; }
        res->lists++;
        if (ls->n < last_n) res->shrinks++;
        if (ls->ghost) res->ghosts++;
        last_n = ls->n;
        for (int j = 0; j < 8 && ls->n; j++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            LoadState st = {0};
            if (!chat_db_each_message(db, ls->ids[(seed >> 33) % ls->n], j % 2, load_one, &st, &err)) {
                res->errors++;
                break;
            }
            res->loads++;
            res->messages += st.seen;
            if (st.torn || (st.seen && st.seen != st.count)) res->torn++;
        }
        AkTemp t = ak_temp_begin(a);
        ChatHit *hits;
        uint32_t n;
        if (!chat_db_search(db, a, j_query(res->searches), NULL, &hits, &n, &err)) res->errors++;
        for (uint32_t i = 0; i < n; i++)
            if (hits[i].chat_uuid.len == 0 || hits[i].snippet.len == 0) res->torn_hits++;
        res->searches++;
        ak_temp_end(t);
        if (last_pass) break;
    }
    if (!db) res->errors++;
    snprintf(res->error, sizeof res->error, "%s", err.msg);
    chat_db_close(db);
    ak_arena_release(a);
    return NULL;
}

static void test_writer_and_readers(void) {
    rounds = (uint32_t)(40 * test_scale()) + 4;
    per_round = 20;
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(db_path, 0, &err); // created before the readers start
    REQUIRE(db);
    chat_db_close(db);
    atomic_store(&writer_done, false);
    pthread_t w, r[READERS];
    WriterResult wres = {0};
    ReaderResult rres[READERS] = {{0}};
    REQUIRE(pthread_create(&w, NULL, writer, &wres) == 0);
    for (int i = 0; i < READERS; i++) REQUIRE(pthread_create(&r[i], NULL, reader, &rres[i]) == 0);
    pthread_join(w, NULL);
    for (int i = 0; i < READERS; i++) pthread_join(r[i], NULL);

    CHECK_MSG(wres.failures == 0, "writer: %u failures: %s", wres.failures, wres.error);
    CHECK_EQ(wres.added, rounds * per_round + 0);
    CHECK_EQ(wres.updated, (rounds - 1) * (per_round / 2));
    CHECK_EQ(wres.unchanged, (rounds - 1) * (per_round / 2));
    for (int i = 0; i < READERS; i++) {
        ReaderResult *rr = &rres[i];
        printf("  reader %d: %u lists, %u loads (%u messages), %u searches\n", i, rr->lists, rr->loads,
               rr->messages, rr->searches);
        CHECK_MSG(rr->errors == 0, "reader %d: %u errors: %s", i, rr->errors, rr->error);
        CHECK_EQ(rr->torn, 0);
        CHECK_EQ(rr->torn_hits, 0);
        CHECK_EQ(rr->shrinks, 0);
        CHECK_EQ(rr->ghosts, 0);
        CHECK(rr->lists > 0);
    }
    REQUIRE((db = chat_db_open(db_path, 0, &err)));
    ChatDbStats st;
    REQUIRE(chat_db_stats(db, &st, &err));
    CHECK_EQ(st.chats, rounds * per_round);
    CHECK(chat_db_check(db, &err));
    chat_db_close(db);
}

// Opening more connections beside one that exists must not drop its locks (issue 13 item 1):
// on POSIX, closing any descriptor of a file releases every lock the process holds on it, so
// chat_db_open must never open and close the database file itself. A WAL connection holds a
// shared lock on the file while it is open (that is how the last one to close knows it is
// the last, and only then deletes the -wal and -shm); another process asks the kernel
// whether that lock is still there after this process opened two more handles, as the
// store does for its IO thread and the readers above do.
static void test_open_beside_connections_keeps_locks(void) {
    ChatError err = {{0}};
    ChatDb *a = chat_db_open(db_path, 0, &err);
    REQUIRE(a);
    ChatDbStats st;
    REQUIRE(chat_db_stats(a, &st, &err)); // a read: the connection takes its shared lock
    ChatDb *b = chat_db_open(db_path, CHAT_DB_READONLY, &err);
    ChatDb *c = chat_db_open(db_path, 0, &err);
    CHECK(b && c);
    chat_db_close(b);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(db_path, O_RDWR);
        // SQLite's unix locking: shared locks are read locks on 510 bytes past 1 GB + 2.
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0x40000000 + 2, .l_len = 510};
        if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0) _exit(2);
        _exit(fl.l_type == F_UNLCK ? 1 : 0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the first connection's shared lock is gone after opening others (child status %d)", status);
    chat_db_close(c);
    chat_db_close(a);
}

int main(void) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/test_db_mt.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(db_path, sizeof db_path, "%s/mt.db", dir);
    RUN(test_writer_and_readers);
    RUN(test_open_beside_connections_keeps_locks);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("could not remove %s\n", dir);
    return test_finish();
}
