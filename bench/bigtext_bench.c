// bigtext_bench.c: one huge message (a pasted log, an extracted PDF) through the chat store
// under chatlog's default budget (256 MB for the process, 64 MB of it SQLite's heap), as
// issue 13 items 6 and 7 ask. For each size M (1, 16 and 50 MB; --quick: 1 and 4; --n M: that
// size alone), in a child process of its own:
//   bigtext_import_<M>mb  chat_store_import of a Claude export holding one chat whose first
//                         message is M MB of words ("arena" every 8th word, about half the
//                         words unique, the worst case for FTS5's memory), into a fresh
//                         database: wall and CPU time, peak RSS of the child
//   bigtext_open_<M>mb    opening the chat (the IO thread loads it whole) and waiting for it
//   bigtext_search_<M>mb  chat_db_search with snippets: a word in every 8th position of the
//                         message ("arena", the case FTS5's snippet() took minutes for) and one
//                         word found once, at its end; best of 5
// Only the glibc build runs (the store's memory is arenas, not malloc's); under callgrind
// nothing runs. Data: build/bench-data/bigtext-<M>.json, made once.
#include "bench.h"

#include "arenakit/arenakit.h"
#include "chat/sqlmem.h"
#include "chat/store.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct BigRes {
    bool ok;
    char error[1100];
    double import_ms, import_cpu_ms, open_ms, search_common_ms, search_rare_ms;
    uint64_t committed_peak;
} BigRes;

static BigRes *shared;
static char data_dir[PATH_MAX + 32];

static double cpu_ms(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void make_export(const char *path, uint32_t mb) {
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > (off_t)mb * 1000000) return;
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "[{\"uuid\": \"bigtext-%u\", \"name\": \"A %u MB paste\", \"created_at\": \"2025-01-01T00:00:00Z\","
               " \"updated_at\": \"2025-01-01T00:00:00Z\", \"account\": {\"uuid\": \"a\"}, \"chat_messages\": ["
               "{\"uuid\": \"m1\", \"sender\": \"human\", \"created_at\": \"2025-01-01T00:00:00Z\", \"text\": \"\","
               " \"content\": [{\"type\": \"text\", \"text\": \"", mb, mb);
    static const char *const pool[] = {"reserve", "commit", "page", "block", "list", "free", "chunk", "budget"};
    uint64_t n = 0, want = (uint64_t)mb * 1048576;
    for (uint64_t w = 0; n < want; w++) {
        const char *s = w % 8 == 5 ? "arena" : pool[rng() % 8];
        n += (uint64_t)(w % 2 && w % 8 != 5 ? fprintf(f, "%s%u ", s, (unsigned)(rng() % 1000000)) : fprintf(f, "%s ", s));
    }
    fprintf(f, "needle\"}], \"attachments\": [], \"files\": []},"
               "{\"uuid\": \"m2\", \"parent_message_uuid\": \"m1\", \"sender\": \"assistant\","
               " \"created_at\": \"2025-01-01T00:00:01Z\", \"text\": \"Noted.\", \"attachments\": [], \"files\": []}]}]");
    fclose(f);
}

static double search_ms(ChatStore *s, const char *q, BigRes *r) {
    double best = 1e30;
    for (int i = 0; i < 5; i++) {
        AkTemp t = ak_scratch_begin(NULL, 0);
        ChatHit *h;
        uint32_t n;
        ChatError err = {{0}};
        uint64_t t0 = bench_now_ns();
        bool ok = chat_db_search(s->db, t.arena, q, NULL, &h, &n, &err);
        double ms = (bench_now_ns() - t0) / 1e6;
        if (!ok || n == 0) {
            snprintf(r->error, sizeof r->error, "search %s: %s", q, ok ? "no hit" : err.msg);
            r->ok = false;
        }
        ak_scratch_end(t);
        if (ms < best) best = ms;
    }
    return best;
}

static void child(uint32_t mb, const char *json, const char *db) {
    BigRes *r = shared;
    *r = (BigRes){.ok = true};
    ChatError err = {{0}};
    ak_os_set_commit_limit(AK_MB(256)); // chatlog's default --memory-budget and SQLite share
    if (!chat_sqlmem_install(AK_MB(64), &err)) { snprintf(r->error, sizeof r->error, "%s", err.msg); r->ok = false; return; }
    ChatStoreConfig cfg = {.path = db};
    ChatStore *s = chat_store_open(&cfg, &err);
    AkArena *a = ak_arena_create(.name = "bench import", .reserve = AK_GB(1));
    ChatStoreImport res;
    double c0 = cpu_ms();
    uint64_t t0 = bench_now_ns();
    bool ok = s && chat_store_import(s, a, json, NULL, &res, &err) && chat_store_refresh(s, &err);
    r->import_ms = (bench_now_ns() - t0) / 1e6;
    r->import_cpu_ms = cpu_ms() - c0;
    if (ok) {
        t0 = bench_now_ns();
        ChatMessages *m = chat_store_open_chat(s, 0, &err);
        ok = m && chat_store_wait(s, m, &err);
        r->open_ms = (bench_now_ns() - t0) / 1e6;
        chat_store_close_chat(s, m);
    }
    if (ok) {
        r->search_common_ms = search_ms(s, "arena", r);
        r->search_rare_ms = search_ms(s, "needle", r);
    } else {
        snprintf(r->error, sizeof r->error, "%u MB: %s", mb, err.msg);
        r->ok = false;
    }
    r->committed_peak = ak_os_committed();
    chat_store_close(s);
    ak_arena_release(a);
    chat_sqlmem_uninstall();
}

static void run_size(const BenchArgs *args, uint32_t mb) {
    char name[64], json[PATH_MAX + 64], db[PATH_MAX + 64];
    snprintf(name, sizeof name, "bigtext_import_%umb", mb);
    if (!bench_wanted(args, name, "glibc")) return;
    snprintf(json, sizeof json, "%s/bigtext-%u.json", data_dir, mb);
    snprintf(db, sizeof db, "%s/bigtext-%u.db", data_dir, mb);
    make_export(json, mb);
    static const char *const files[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[PATH_MAX + 80];
        snprintf(p, sizeof p, "%s%s", db, files[i]);
        unlink(p);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { child(mb, json, db); _exit(0); }
    int status = 0;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    BigRes *r = shared;
    if (!WIFEXITED(status) || !r->ok) {
        printf("# %s failed: %s\n", name, r->error[0] ? r->error : "the child crashed");
        return;
    }
    double rss = ru.ru_maxrss / 1024.0;
    bench_row(name, "glibc", "ms=%.0f cpu_ms=%.0f peak_rss_mb=%.1f", r->import_ms, r->import_cpu_ms, rss);
    snprintf(name, sizeof name, "bigtext_open_%umb", mb);
    bench_row(name, "glibc", "ms=%.1f", r->open_ms);
    snprintf(name, sizeof name, "bigtext_search_%umb", mb);
    bench_row(name, "glibc", "common_word_ms=%.2f rare_word_ms=%.2f", r->search_common_ms, r->search_rare_ms);
}

int main(int argc, char **argv) {
    if (strcmp(bench_peer(), "glibc") != 0 || bench_under_valgrind()) return 0;
    BenchArgs args = bench_args(argc, argv, 0, 0);
    char here[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", here, sizeof here - 1);
    here[n > 0 ? n : 0] = 0;
    char *slash = strrchr(here, '/');
    if (slash) *slash = 0;
    snprintf(data_dir, sizeof data_dir, "%s/../../bench-data", here);
    mkdir(data_dir, 0755);
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { perror("mmap"); return 1; }
    printf("# one chat with an M MB message, imported, opened and searched under the default budget\n"
           "# (256 MB, SQLite 64 MB); peak_rss_mb = ru_maxrss of the child that ran the size\n");
    if (args.n) run_size(&args, (uint32_t)args.n);
    else if (args.quick) { run_size(&args, 1); run_size(&args, 4); }
    else { run_size(&args, 1); run_size(&args, 16); run_size(&args, 50); }
    return 0;
}
