// chat_bench.c: the chat store on a generated history (issue 6, "report, not test"). Cases:
//   import_<M>mb    chat_store_import of an M MB export (half Claude, half ChatGPT, 50 chats per
//                   MB) into a fresh database, each repetition in its own child: best and median
//                   wall time, CPU time, MB/s, peak RSS. 10 MB and the main export (200 MB by
//                   default; --big adds 1000 MB), to show that RSS does not grow with the file.
//   parse_<M>mb     the same main export through the importer with a sink that stores nothing:
//                   the JSON reader's and the normalizers' share of an import.
//   open1000_warm   chat_store_open_chat + chat_store_wait of a 1,000-message chat already in the
//                   LRU (a hit), then close.
//   open1000_cold_lru   the same chat after it was evicted from the LRU by opening other chats
//                   under a 4 MB budget (untimed): loaded from SQLite by the IO thread; the
//                   connection's page cache and the OS file cache may still hold its pages.
//   open1000_cold_conn  the first open on a store opened just before (fresh connections: SQLite's
//                   page cache empty, statements not yet prepared); the OS file cache is warm.
//   open1000_cold_disk  as cold_conn after posix_fadvise(DONTNEED) dropped the database file
//                   from the OS page cache: the pages come from the disk.
//   walk_store      every chat in turn (open, wait, read every byte of every message's text,
//                   close) under a 16 MB budget: time, open latency, evictions, LRU peak use, RSS.
//   walk_naive      the same walk as a program without a budget: every chat's messages read
//                   through chat_db_each_message into malloc'd records (a strdup per string),
//                   all kept to the end.
// Only the glibc build runs (the store's own memory is arenas; SQLite's malloc is not what this
// bench compares); the mimalloc and jemalloc builds print nothing. Under callgrind (the --quick
// pass of tools/bench.sh) only import_10mb runs, counting instructions per message imported.
//
// Beside wall times each row gives cpu_ms (user + system time of all the process's threads),
// runq_ms (time its threads were runnable but waiting for a CPU: on a shared machine most of the
// gap between the two) and minor page faults, which cost tens of microseconds each on these VMs.
//
// Data, made once and reused (stamp files record the arguments that made it): a work folder
// (default build/bench-data, found from this binary's path; --data DIR) holds export-<M>/ with
// conversations-000.json (Claude) and conversations-001.json (ChatGPT) from tools/genexport
// (default ../tools/genexport next to this binary; --genexport PATH), chat1000/ (one Claude
// chat of exactly 1,000 messages written here), and walk-<M>.db (export-<M> plus chat1000).
//
// Options: --n N (chats in the main export, default 10000 = 200 MB; --quick: 500 = 10 MB),
// --case NAME, --big, --reps R (repetitions of the import and walk cases, default 3 / 1),
// --data DIR, --genexport PATH. Times on a shared machine: read best and median together.
#include "bench.h"

#include "arenakit/arenakit.h"
#include "chat/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define CHAT1000_UUID "c1000000-0000-4000-8000-000000001000"
#define CHAT1000_MSGS 1000
#define MAX_REPS 16

typedef struct Opts {
    BenchArgs args;
    char data[PATH_MAX];
    char genexport[PATH_MAX];
    bool big;
    int reps, walk_reps;
    uint32_t main_mb; // size of the main export (the walk's and the open tests' database)
} Opts;

static Opts opt;

// What a child reports back through shared memory (one per repetition).
typedef struct Res {
    int ok;
    double wall_ms, cpu_ms, runq_ms, close_ms, rss_mb, rss_start_mb;
    double in_mb, db_mb, held_mb;
    uint64_t chats, msgs, evictions, loads, refusals, max_used;
    double open_mean_us, open_p50_us, open_p99_us, open_max_us;
    double faults_per_open;
    double stream_rss_mb, scratch_mb, sqlite_mb, meta_mb; // where an import's memory went
} Res;

static Res *shared; // MAX_REPS entries, MAP_SHARED so children can fill them

static void die(const char *what, const char *why) {
    fprintf(stderr, "chat_bench: %s: %s\n", what, why);
    fflush(stderr);
    _exit(1);
}

// snprintf for paths and stamps: a name that does not fit is an error, not a silent cut.
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void pathf(char *out, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) die(fmt, "path too long");
}

static double now_ms(void) { return (double)bench_now_ns() / 1e6; }

static double cpu_ms(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

// Time this process's threads spent runnable but waiting for a CPU (/proc/PID/task/*/schedstat):
// on a shared machine it is most of the gap between wall and CPU time.
static double runq_ms(void) {
    double sum = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300];
        unsigned long long run = 0, wait = 0;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fscanf(f, "%llu %llu", &run, &wait) == 2) sum += (double)wait / 1e6;
        if (f) fclose(f);
    }
    if (d) closedir(d);
    return sum;
}

static double rss_now_mb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void mkdir_p(const char *path) {
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') *p = 0, mkdir(tmp, 0755), *p = '/';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) die(path, strerror(errno));
}

static void unlink_db(const char *path) {
    char side[PATH_MAX + 8];
    unlink(path);
    pathf(side, sizeof side, "%s-wal", path), unlink(side);
    pathf(side, sizeof side, "%s-shm", path), unlink(side);
}

// A stamp names what made a file; data is reused only when its stamp says the same.
static bool stamp_ok(const char *stamp, const char *want) {
    char have[512] = {0};
    FILE *f = fopen(stamp, "r");
    if (!f) return false;
    size_t n = fread(have, 1, sizeof have - 1, f);
    fclose(f);
    have[n] = 0;
    return strcmp(have, want) == 0;
}

static void stamp_write(const char *stamp, const char *what) {
    FILE *f = fopen(stamp, "w");
    if (!f || fputs(what, f) < 0 || fclose(f) != 0) die(stamp, "cannot write");
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

// Mean and percentiles of n latencies in ns, into r (as us). Sorts v.
static void latency(Res *r, uint64_t *v, uint64_t n) {
    if (!n) return;
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) sum += (double)v[i];
    qsort(v, n, sizeof *v, cmp_u64);
    r->open_mean_us = sum / (double)n / 1e3;
    r->open_p50_us = (double)v[n / 2] / 1e3;
    r->open_p99_us = (double)v[(uint64_t)((double)(n - 1) * 0.99)] / 1e3;
    r->open_max_us = (double)v[n - 1] / 1e3;
}

// ---- data ------------------------------------------------------------------------------------

static void run_genexport(const char *format, uint32_t chats, double mb, uint32_t seed, const char *out) {
    char c[32], m[32], s[32];
    snprintf(c, sizeof c, "%u", chats), snprintf(m, sizeof m, "%g", mb), snprintf(s, sizeof s, "%u", seed);
    char *argv[] = {opt.genexport, "--format", (char *)format, "--chats", c, "--target-mb", m, "--seed", s,
                    "--minify", "--out", (char *)out, NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execv(opt.genexport, argv);
        die(opt.genexport, strerror(errno));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        die(opt.genexport, "failed (build it: make MODE=release build/release/tools/genexport)");
}

// export-<mb>/: mb/2 MB of Claude and mb/2 MB of ChatGPT, 25 chats per MB each.
static void export_path(char *out, size_t cap, uint32_t mb) { pathf(out, cap, "%s/export-%u", opt.data, mb); }

static uint64_t ensure_export(uint32_t mb) {
    char dir[PATH_MAX], stamp[PATH_MAX + 16], want[256], f0[PATH_MAX + 32], f1[PATH_MAX + 32];
    export_path(dir, sizeof dir, mb);
    pathf(stamp, sizeof stamp, "%s/STAMP", dir);
    pathf(f0, sizeof f0, "%s/conversations-000.json", dir);
    pathf(f1, sizeof f1, "%s/conversations-001.json", dir);
    uint32_t chats = mb * 25;
    snprintf(want, sizeof want, "genexport v1: claude %u chats %g MB seed 1; chatgpt %u chats %g MB seed 2\n", chats,
             mb / 2.0, chats, mb / 2.0);
    if (!stamp_ok(stamp, want)) {
        fprintf(stderr, "chat_bench: generating %s (%u chats, %u MB)\n", dir, 2 * chats, mb);
        mkdir_p(dir);
        unlink(stamp);
        run_genexport("claude", chats, mb / 2.0, 1, f0);
        run_genexport("chatgpt", chats, mb / 2.0, 2, f1);
        stamp_write(stamp, want);
    }
    return file_size(f0) + file_size(f1);
}

// Words for the 1,000-message chat: technical English, a code block now and then, and some
// non-Latin sentences, so the tokenizer and the byte counts look like a real chat's.
static const char *const words[] = {
    "arena", "allocator", "page", "commit", "reserve", "pointer", "the", "a", "of", "to", "and", "in", "is",
    "that", "for", "it", "with", "as", "on", "this", "buffer", "thread", "cache", "chunk", "index", "query",
    "SQLite", "budget", "evict", "record", "load", "memory", "bytes", "faster", "because", "when", "which",
    "function", "returns", "value", "struct", "field", "array", "list", "free", "release", "kernel", "mmap"};
static const char *const foreign[] = {"内存分配器在这里保留地址空间。", "メモリは必要なときにだけコミットされます。",
                                      "Память освобождается целиком при сбросе арены.", "아레나는 한 번에 해제됩니다."};

static size_t gen_body(char *p, uint64_t *s, bool user) {
    size_t n = 0;
    uint32_t count = user ? 8 + (uint32_t)(bench_rand(s) % 50) : 40 + (uint32_t)(bench_rand(s) % 260);
    for (uint32_t i = 0; i < count; i++) {
        const char *w = words[bench_rand(s) % (sizeof words / sizeof *words)];
        n += (size_t)sprintf(p + n, "%s%s", i ? (bench_rand(s) % 12 ? " " : ". ") : "", w);
    }
    if (!user && bench_rand(s) % 3 == 0)
        n += (size_t)sprintf(p + n, "\\n\\n```c\\nvoid *p = ak_arena_push(arena, %u, 8);\\nmemset(p, 0, %u);\\n```\\n",
                             (unsigned)(bench_rand(s) % 4096), (unsigned)(bench_rand(s) % 4096));
    if (bench_rand(s) % 8 == 0) n += (size_t)sprintf(p + n, " %s", foreign[bench_rand(s) % 4]);
    return n;
}

static void iso_time(char *out, size_t cap, int64_t t) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
}

// chat1000/conversations.json: one Claude conversation of exactly CHAT1000_MSGS messages.
static void ensure_chat1000(char *path, size_t cap) {
    char dir[PATH_MAX + 16], stamp[PATH_MAX + 32];
    pathf(dir, sizeof dir, "%s/chat1000", opt.data);
    pathf(path, cap, "%s/conversations.json", dir);
    pathf(stamp, sizeof stamp, "%s/STAMP", dir);
    const char *want = "chat1000 v1\n";
    if (stamp_ok(stamp, want)) return;
    mkdir_p(dir);
    FILE *f = fopen(path, "w");
    if (!f) die(path, strerror(errno));
    int64_t t0 = 1735689600; // 2025-01-01
    char created[40], updated[40], when[40], body[8192], prev[40] = "00000000-0000-4000-8000-000000000000";
    iso_time(created, sizeof created, t0), iso_time(updated, sizeof updated, t0 + 30 * CHAT1000_MSGS);
    fprintf(f, "[{\"uuid\":\"%s\",\"name\":\"A thousand messages about arenas\",\"summary\":\"\","
               "\"created_at\":\"%s\",\"updated_at\":\"%s\","
               "\"account\":{\"uuid\":\"c1000000-0000-4000-8000-00000000acc0\"},\"chat_messages\":[",
            CHAT1000_UUID, created, updated);
    uint64_t s = 0x1000;
    for (uint32_t i = 0; i < CHAT1000_MSGS; i++) {
        char uuid[40];
        snprintf(uuid, sizeof uuid, "c1000000-0000-4000-8000-%012u", i);
        size_t n = gen_body(body, &s, i % 2 == 0);
        iso_time(when, sizeof when, t0 + 30 * i);
        fprintf(f, "%s{\"uuid\":\"%s\",\"text\":\"%.*s\",\"content\":[{\"type\":\"text\",\"text\":\"%.*s\","
                   "\"citations\":[]}],\"sender\":\"%s\",\"created_at\":\"%s\",\"updated_at\":\"%s\","
                   "\"attachments\":[],\"files\":[],\"parent_message_uuid\":\"%s\"}",
                i ? "," : "", uuid, (int)n, body, (int)n, body, i % 2 ? "assistant" : "human", when, when, prev);
        memcpy(prev, uuid, sizeof uuid);
    }
    fprintf(f, "]}]\n");
    if (fclose(f) != 0) die(path, "cannot write");
    stamp_write(stamp, want);
}

static void walk_db_path(char *out, size_t cap, uint32_t mb) { pathf(out, cap, "%s/walk-%u.db", opt.data, mb); }

typedef struct PrepJob {
    const char *db, *export_dir, *chat1000;
} PrepJob;

static void store_import(ChatStore *s, AkArena *a, const char *path, const ChatImportOptions *io,
                         ChatStoreImport *out) {
    ChatError err = {{0}};
    if (!chat_store_import(s, a, path, io, out, &err)) die(path, err.msg);
}

static void prep_walk_db(void *arg) {
    PrepJob *j = arg;
    ChatError err = {{0}};
    unlink_db(j->db);
    ChatStore *s = chat_store_open(&(ChatStoreConfig){.path = j->db}, &err);
    if (!s) die(j->db, err.msg);
    AkArena *a = ak_arena_create(.name = "bench import");
    ChatStoreImport r;
    store_import(s, a, j->export_dir, &(ChatImportOptions){0}, &r);
    store_import(s, a, j->chat1000, &(ChatImportOptions){0}, &r);
    ak_arena_release(a);
    chat_store_close(s); // the last connection to close checkpoints the WAL into the file
}

// walk-<mb>.db: export-<mb> and chat1000, imported once (in a child) and reused.
static void ensure_walk_db(char *db, size_t cap, uint32_t mb) {
    char dir[PATH_MAX], c1000[PATH_MAX + 40], stamp[PATH_MAX + 16], want[256];
    ensure_export(mb);
    ensure_chat1000(c1000, sizeof c1000);
    export_path(dir, sizeof dir, mb);
    walk_db_path(db, cap, mb);
    pathf(stamp, sizeof stamp, "%s.stamp", db);
    pathf(want, sizeof want, "walk v1: export-%u + chat1000 v1, schema %d\n", mb, CHAT_DB_SCHEMA_VERSION);
    if (stamp_ok(stamp, want) && file_exists(db)) return;
    unlink(stamp);
    fprintf(stderr, "chat_bench: importing %s into %s (once)\n", dir, db);
    PrepJob j = {db, dir, c1000};
    if (bench_in_child(prep_walk_db, &j) != 0) die(db, "could not be prepared");
    stamp_write(stamp, want);
}

// ---- import and parse --------------------------------------------------------------------------

typedef struct ImportJob {
    char export_dir[PATH_MAX];
    char db[PATH_MAX + 16];
    uint64_t in_bytes;
    bool parse_only, measure;
    Res *out;
} ImportJob;

static bool count_sink(const ChatConv *conv, void *user, ChatError *err) {
    (void)err;
    uint64_t *n = user;
    *n += conv->msg_count;
    return true;
}

// Samples the resident set every 4 MB of input while the import streams (before its commit
// and the metadata refresh that follow).
typedef struct RssSampler {
    uint64_t next;
    double max_mb;
} RssSampler;

static void sample_rss(uint64_t done, uint64_t total, void *user) {
    RssSampler *rs = user;
    (void)total;
    if (done < rs->next) return;
    rs->next = done + AK_MB(4);
    rs->max_mb = AK_MAX(rs->max_mb, rss_now_mb());
}

// The largest high water of the scratch arenas: the biggest conversation's parse.
static double scratch_peak_mb(void) {
    uint32_t n = ak_pool_count() + 16;
    AkPoolEntry *e = calloc(n, sizeof *e);
    uint64_t peak = 0;
    if (!e) return 0;
    n = ak_pool_snapshot(e, n);
    for (uint32_t i = 0; i < n; i++)
        if (e[i].kind == AK_POOL_KIND_SCRATCH) peak = AK_MAX(peak, e[i].stats.high_water);
    free(e);
    return (double)peak / 1048576.0;
}

static void import_child(void *arg) {
    ImportJob *j = arg;
    Res *r = j->out;
    ChatError err = {{0}};
    AkArena *a = ak_arena_create(.name = "bench import");
    if (j->parse_only) {
        ChatImportReport rep;
        uint64_t msgs = 0;
        double t0 = now_ms(), c0 = cpu_ms(), q0 = runq_ms();
        if (!chat_import_path(a, j->export_dir, NULL, count_sink, &msgs, &rep, &err)) die(j->export_dir, err.msg);
        r->wall_ms = now_ms() - t0, r->cpu_ms = cpu_ms() - c0, r->runq_ms = runq_ms() - q0;
        r->chats = rep.chats, r->msgs = rep.messages;
        r->scratch_mb = scratch_peak_mb();
    } else {
        unlink_db(j->db);
        ChatStore *s = chat_store_open(&(ChatStoreConfig){.path = j->db}, &err);
        if (!s) die(j->db, err.msg);
        ChatStoreImport out;
        RssSampler rs = {0, 0};
        double t0 = now_ms(), c0 = cpu_ms(), q0 = runq_ms();
        if (j->measure) bench_measure_begin();
        store_import(s, a, j->export_dir, &(ChatImportOptions){.progress = sample_rss, .progress_user = &rs}, &out);
        if (j->measure) bench_measure_end("import_10mb", bench_peer(), out.report.messages);
        r->wall_ms = now_ms() - t0, r->cpu_ms = cpu_ms() - c0, r->runq_ms = runq_ms() - q0;
        r->stream_rss_mb = rs.max_mb;
        r->scratch_mb = scratch_peak_mb();
        r->sqlite_mb = (double)sqlite3_memory_highwater(0) / 1048576.0;
        r->meta_mb = (double)ak_arena_stats(s->meta_arena).committed / 1048576.0;
        double t1 = now_ms();
        chat_store_close(s);
        r->close_ms = now_ms() - t1;
        r->chats = out.report.chats, r->msgs = out.report.messages;
        r->db_mb = (double)file_size(j->db) / 1e6;
        unlink_db(j->db);
    }
    ak_arena_release(a);
    r->rss_mb = bench_peak_rss_mb();
    r->in_mb = (double)j->in_bytes / 1e6;
    r->ok = 1;
}

static void case_import(uint32_t mb, bool parse_only) {
    char name[64];
    snprintf(name, sizeof name, "%s_%umb", parse_only ? "parse" : "import", mb);
    if (!bench_wanted(&opt.args, name, "glibc")) return;
    static ImportJob j;
    memset(&j, 0, sizeof j);
    j.in_bytes = ensure_export(mb);
    export_path(j.export_dir, sizeof j.export_dir, mb);
    pathf(j.db, sizeof j.db, "%s/import.db", opt.data);
    j.parse_only = parse_only;
    int reps = bench_under_valgrind() ? 1 : mb >= 1000 ? 1 : opt.reps;
    j.measure = bench_under_valgrind();
    double wall[MAX_REPS], cpu[MAX_REPS], rss = 0;
    int done = 0, best = -1;
    for (int i = 0; i < reps; i++) {
        fprintf(stderr, "chat_bench: %s, repetition %d of %d\n", name, i + 1, reps);
        memset(&shared[i], 0, sizeof shared[i]);
        j.out = &shared[i];
        if (bench_in_child(import_child, &j) != 0 || !shared[i].ok) continue;
        wall[done] = shared[i].wall_ms, cpu[done] = shared[i].cpu_ms;
        rss = AK_MAX(rss, shared[i].rss_mb);
        if (best < 0 || shared[i].wall_ms < shared[best].wall_ms) best = i;
        done++;
    }
    if (!done) { fprintf(stderr, "chat_bench: %s failed\n", name); return; }
    // The fastest repetition's figures, with the medians of wall and CPU time beside them.
    Res *r = &shared[best];
    double min_cpu = cpu[0];
    for (int i = 1; i < done; i++) min_cpu = AK_MIN(min_cpu, cpu[i]);
    double med = bench_median(wall, done), med_cpu = bench_median(cpu, done);
    char db[200] = "";
    if (parse_only)
        snprintf(db, sizeof db, "\tscratch_mb=%.1f", r->scratch_mb);
    else
        snprintf(db, sizeof db, "\tstream_rss_mb=%.1f\tscratch_mb=%.1f\tsqlite_mb=%.1f\tmeta_mb=%.1f\tclose_ms=%.0f"
                 "\tdb_mb=%.1f", r->stream_rss_mb, r->scratch_mb, r->sqlite_mb, r->meta_mb, r->close_ms, r->db_mb);
    bench_row(name, "glibc", "mb_s=%.1f\tbest_ms=%.0f\tmedian_ms=%.0f\tcpu_ms=%.0f\tcpu_median_ms=%.0f\tcpu_mb_s=%.1f"
              "\trunq_ms=%.0f\tpeak_rss_mb=%.1f\tin_mb=%.1f%s\tchats=%llu\tmsgs=%llu\treps=%d",
              r->in_mb / (r->wall_ms / 1e3), r->wall_ms, med, min_cpu, med_cpu, r->in_mb / (min_cpu / 1e3), r->runq_ms,
              rss, r->in_mb, db, (unsigned long long)r->chats, (unsigned long long)r->msgs, done);
}

// ---- open one 1,000-message chat ---------------------------------------------------------------

typedef enum OpenMode { OPEN_WARM, OPEN_COLD_LRU, OPEN_COLD_CONN, OPEN_COLD_DISK } OpenMode;
static const char *const open_names[] = {"open1000_warm", "open1000_cold_lru", "open1000_cold_conn",
                                         "open1000_cold_disk"};

typedef struct OpenJob {
    char db[PATH_MAX];
    OpenMode mode;
    int reps;
} OpenJob;

static ChatStore *store_open_ro(const char *db, uint64_t budget, uint32_t *target) {
    ChatError err = {{0}};
    ChatStoreConfig cfg = {.path = db, .read_only = true, .lru = {.budget = budget}};
    ChatStore *s = chat_store_open(&cfg, &err);
    if (!s) die(db, err.msg);
    if (target && !chat_store_find(s, CHAT1000_UUID, target, &err)) die(db, err.msg);
    return s;
}

// Open, wait, close; returns the ns from open to ready and checks the message count.
static uint64_t open_timed(ChatStore *s, uint32_t h, uint64_t *msgs) {
    ChatError err = {{0}};
    uint64_t t0 = bench_now_ns();
    ChatMessages *m = chat_store_open_chat(s, h, &err);
    if (!m || !chat_store_wait(s, m, &err)) die("open chat", err.msg);
    uint64_t ns = bench_now_ns() - t0;
    *msgs = ChatMessageArray_count(&m->msgs);
    chat_store_close_chat(s, m);
    return ns;
}

static void drop_file_cache(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

static void open_child(void *arg) {
    OpenJob *j = arg;
    uint64_t *ns = calloc((size_t)j->reps, sizeof *ns), msgs = 0;
    if (!ns) die("open", "no memory for the samples");
    uint32_t h = 0;
    Res r = {0};
    long faults = 0;
    double cpu = 0, runq = 0;
    if (j->mode == OPEN_WARM || j->mode == OPEN_COLD_LRU) {
        ChatStore *s = store_open_ro(j->db, j->mode == OPEN_WARM ? AK_MB(64) : AK_MB(4), &h);
        uint32_t count = chat_store_count(s), other = 0;
        open_timed(s, h, &msgs); // the first load, untimed
        if (j->mode == OPEN_WARM) bench_measure_begin();
        for (int i = 0; i < j->reps; i++) {
            // Cold: open other chats (untimed) until the LRU has evicted ours.
            for (int guard = 0; j->mode == OPEN_COLD_LRU && chat_store_meta(s, h)->loaded; guard++) {
                if (guard > 10000) die("open1000_cold_lru", "the chat is never evicted");
                other = (other + 1) % count;
                uint64_t n;
                if (other != h) open_timed(s, other, &n);
            }
            long f0 = bench_minor_faults();
            double c0 = cpu_ms(), q0 = runq_ms();
            ns[i] = open_timed(s, h, &msgs);
            faults += bench_minor_faults() - f0, cpu += cpu_ms() - c0, runq += runq_ms() - q0;
        }
        if (j->mode == OPEN_WARM) bench_measure_end("open1000_warm", bench_peer(), (uint64_t)j->reps);
        ChatLruStats st = chat_lru_stats(s->lru);
        r.evictions = st.evictions, r.loads = st.loads;
        chat_store_close(s);
    } else {
        for (int i = 0; i < j->reps; i++) {
            if (j->mode == OPEN_COLD_DISK) drop_file_cache(j->db);
            ChatStore *s = store_open_ro(j->db, AK_MB(64), &h);
            long f0 = bench_minor_faults();
            double c0 = cpu_ms(), q0 = runq_ms();
            ns[i] = open_timed(s, h, &msgs);
            faults += bench_minor_faults() - f0, cpu += cpu_ms() - c0, runq += runq_ms() - q0;
            chat_store_close(s);
        }
    }
    latency(&r, ns, (uint64_t)j->reps);
    bench_row(open_names[j->mode], "glibc", "mean_us=%.1f\tp50_us=%.1f\tp99_us=%.1f\tmax_us=%.1f\tcpu_us=%.1f"
              "\trunq_us=%.1f\tfaults=%.1f\treps=%d\tmsgs=%llu",
              r.open_mean_us, r.open_p50_us, r.open_p99_us, r.open_max_us, cpu * 1e3 / j->reps, runq * 1e3 / j->reps,
              (double)faults / j->reps, j->reps, (unsigned long long)msgs);
    free(ns);
}

static void case_open(OpenMode mode) {
    if (!bench_wanted(&opt.args, open_names[mode], "glibc")) return;
    static const int reps[] = {100000, 500, 50, 30};
    static OpenJob j;
    memset(&j, 0, sizeof j);
    ensure_walk_db(j.db, sizeof j.db, opt.main_mb);
    j.mode = mode;
    j.reps = opt.args.quick ? (reps[mode] + 9) / 10 : reps[mode];
    bench_in_child(open_child, &j);
}

// ---- walks -------------------------------------------------------------------------------------

typedef struct WalkJob {
    char db[PATH_MAX];
    Res *out;
} WalkJob;

// Reads every byte, so the pages of the text are really touched.
static uint64_t touch(AkStr s, uint64_t sum) {
    for (uint64_t i = 0; i < s.len; i++) sum = sum * 31 + (unsigned char)s.ptr[i];
    return sum;
}

static volatile uint64_t sink_sum;

static void walk_store_child(void *arg) {
    WalkJob *j = arg;
    Res *r = j->out;
    ChatError err = {{0}};
    ChatStore *s = store_open_ro(j->db, AK_MB(16), NULL);
    uint32_t count = chat_store_count(s);
    uint64_t *ns = calloc(count, sizeof *ns), sum = 0, used = 0, msgs = 0, bytes = 0;
    if (!ns) die("walk", "no memory for the samples");
    r->rss_start_mb = rss_now_mb();
    long f0 = bench_minor_faults();
    double t0 = now_ms(), c0 = cpu_ms(), q0 = runq_ms();
    for (uint32_t h = 0; h < count; h++) {
        uint64_t t = bench_now_ns();
        ChatMessages *m = chat_store_open_chat(s, h, &err);
        if (!m || !chat_store_wait(s, m, &err)) die("walk_store", err.msg);
        ns[h] = bench_now_ns() - t;
        used = AK_MAX(used, chat_lru_stats(s->lru).used);
        uint64_t n = ChatMessageArray_count(&m->msgs);
        for (uint64_t i = 0; i < n; i++) {
            AkStr text = ChatMessageArray_get(&m->msgs, i)->text;
            sum = touch(text, sum), bytes += text.len;
        }
        msgs += n;
        chat_store_close_chat(s, m);
    }
    r->wall_ms = now_ms() - t0, r->cpu_ms = cpu_ms() - c0, r->runq_ms = runq_ms() - q0;
    r->faults_per_open = (double)(bench_minor_faults() - f0) / count;
    ChatLruStats st = chat_lru_stats(s->lru);
    r->evictions = st.evictions, r->loads = st.loads, r->refusals = st.refusals, r->max_used = used;
    r->chats = count, r->msgs = msgs, r->held_mb = (double)bytes / 1e6;
    latency(r, ns, count);
    chat_store_close(s);
    free(ns);
    sink_sum = sum;
    r->rss_mb = bench_peak_rss_mb();
    r->ok = 1;
}

// The naive program's copy of a chat: malloc'd records and a strdup'd copy of every string.
typedef struct NaivePart {
    ChatPartKind kind;
    char *name, *text;
} NaivePart;

typedef struct NaiveMsg {
    uint32_t ordinal;
    ChatRole role;
    double created;
    char *author, *text;
    size_t text_len;
    NaivePart *parts;
    uint32_t part_count;
} NaiveMsg;

typedef struct NaiveChat {
    NaiveMsg *msgs;
    uint32_t count, cap;
} NaiveChat;

static uint64_t naive_bytes; // what the naive walk asked malloc for

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) die("walk_naive", "out of memory");
    naive_bytes += n;
    return p;
}

static char *dup_str(AkStr s) {
    char *p = xmalloc(s.len + 1);
    memcpy(p, s.ptr, s.len);
    p[s.len] = 0;
    return p;
}

static bool naive_msg(const ChatMsg *msg, uint32_t ordinal, void *user) {
    NaiveChat *c = user;
    if (c->count == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        NaiveMsg *grown = realloc(c->msgs, c->cap * sizeof *grown);
        if (!grown) die("walk_naive", "out of memory");
        naive_bytes += (c->cap / 2) * sizeof *grown;
        c->msgs = grown;
    }
    NaiveMsg *m = &c->msgs[c->count++];
    *m = (NaiveMsg){ordinal, msg->role, msg->created, dup_str(msg->author), dup_str(msg->text), msg->text.len, NULL,
                    msg->part_count};
    if (msg->part_count) m->parts = xmalloc(msg->part_count * sizeof *m->parts);
    for (uint32_t i = 0; i < msg->part_count; i++)
        m->parts[i] = (NaivePart){msg->parts[i].kind, dup_str(msg->parts[i].name), dup_str(msg->parts[i].text)};
    return true;
}

static bool collect_id(const ChatRow *row, void *user) {
    int64_t **ids = user;
    *(*ids)++ = row->id;
    return true;
}

static void walk_naive_child(void *arg) {
    WalkJob *j = arg;
    Res *r = j->out;
    ChatError err = {{0}};
    ChatDb *db = chat_db_open(j->db, CHAT_DB_READONLY, &err);
    if (!db) die(j->db, err.msg);
    ChatDbStats dst;
    if (!chat_db_stats(db, &dst, &err)) die(j->db, err.msg);
    uint32_t count = (uint32_t)dst.chats;
    int64_t *ids = calloc(count + 1, sizeof *ids), *end = ids;
    NaiveChat *chats = calloc(count + 1, sizeof *chats);
    uint64_t *ns = calloc(count + 1, sizeof *ns), sum = 0, msgs = 0;
    if (!ids || !chats || !ns || !chat_db_each_chat(db, collect_id, &end, &err)) die("walk_naive", err.msg);
    r->rss_start_mb = rss_now_mb();
    long f0 = bench_minor_faults();
    double t0 = now_ms(), c0 = cpu_ms(), q0 = runq_ms();
    for (uint32_t k = 0; k < count; k++) {
        uint64_t t = bench_now_ns();
        if (!chat_db_each_message(db, ids[k], true, naive_msg, &chats[k], &err)) die("walk_naive", err.msg);
        ns[k] = bench_now_ns() - t;
        for (uint32_t i = 0; i < chats[k].count; i++)
            sum = touch(ak_str(chats[k].msgs[i].text, chats[k].msgs[i].text_len), sum);
        msgs += chats[k].count;
    }
    r->wall_ms = now_ms() - t0, r->cpu_ms = cpu_ms() - c0, r->runq_ms = runq_ms() - q0;
    r->faults_per_open = (double)(bench_minor_faults() - f0) / count;
    r->rss_mb = bench_peak_rss_mb(); // everything is still held here, as in the naive program
    r->chats = count, r->msgs = msgs, r->held_mb = (double)naive_bytes / 1e6;
    latency(r, ns, count);
    chat_db_close(db);
    sink_sum = sum;
    r->ok = 1; // the process exits without freeing, as such a program would
}

static void case_walk(bool naive) {
    const char *name = naive ? "walk_naive" : "walk_store";
    if (!bench_wanted(&opt.args, name, "glibc")) return;
    static WalkJob j;
    memset(&j, 0, sizeof j);
    ensure_walk_db(j.db, sizeof j.db, opt.main_mb);
    double wall[MAX_REPS], rss = 0;
    int done = 0, best = -1;
    for (int i = 0; i < opt.walk_reps; i++) {
        fprintf(stderr, "chat_bench: %s, repetition %d of %d\n", name, i + 1, opt.walk_reps);
        memset(&shared[i], 0, sizeof shared[i]);
        j.out = &shared[i];
        if (bench_in_child(naive ? walk_naive_child : walk_store_child, &j) != 0 || !shared[i].ok) continue;
        wall[done++] = shared[i].wall_ms;
        rss = AK_MAX(rss, shared[i].rss_mb);
        if (best < 0 || shared[i].wall_ms < shared[best].wall_ms) best = i;
    }
    if (!done) { fprintf(stderr, "chat_bench: %s failed\n", name); return; }
    Res *r = &shared[best]; // the fastest repetition; peak RSS is the largest of them all
    char extra[400] = "";
    if (naive)
        snprintf(extra, sizeof extra, "\theld_mb=%.1f", r->held_mb);
    else
        snprintf(extra, sizeof extra, "\tlru_max_mb=%.1f\tbudget_mb=16\tevictions=%llu\tloads=%llu\trefusals=%llu"
                 "\ttext_mb=%.1f", (double)r->max_used / 1048576.0, (unsigned long long)r->evictions,
                 (unsigned long long)r->loads, (unsigned long long)r->refusals, r->held_mb);
    bench_row(name, "glibc", "peak_rss_mb=%.1f\tbest_ms=%.0f\tmedian_ms=%.0f\tcpu_ms=%.0f\trunq_ms=%.0f"
              "\topen_mean_us=%.0f\topen_p99_us=%.0f\topen_max_us=%.0f\tfaults_per_chat=%.1f"
              "\trss_start_mb=%.1f%s\tchats=%llu\tmsgs=%llu\treps=%d",
              rss, r->wall_ms, bench_median(wall, done), r->cpu_ms, r->runq_ms, r->open_mean_us, r->open_p99_us,
              r->open_max_us, r->faults_per_open, r->rss_start_mb, extra, (unsigned long long)r->chats,
              (unsigned long long)r->msgs, done);
}

// ---- main --------------------------------------------------------------------------------------

// This binary's folder, for the default data folder and genexport.
static void self_dir(char *out, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    out[n > 0 ? n : 0] = 0;
    char *slash = strrchr(out, '/');
    if (slash) *slash = 0;
    else snprintf(out, cap, ".");
}

static int parse_uint(const char *flag, const char *s) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || *end || v < 1 || v > MAX_REPS) {
        fprintf(stderr, "chat_bench: %s wants 1..%d, got '%s'\n", flag, MAX_REPS, s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv) {
    if (strcmp(bench_peer(), "glibc") != 0) return 0; // the store's peers are not malloc's
    char here[PATH_MAX];
    self_dir(here, sizeof here);
    pathf(opt.data, sizeof opt.data, "%s/../../bench-data", here);
    pathf(opt.genexport, sizeof opt.genexport, "%s/../tools/genexport", here);
    opt.reps = 3, opt.walk_reps = 1;
    // Our own options first; the shared ones (--n, --quick, --case) go to bench_args.
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, reps = 0;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--big")) opt.big = true;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) pathf(opt.data, sizeof opt.data, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--genexport") && i + 1 < argc)
            pathf(opt.genexport, sizeof opt.genexport, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = parse_uint("--reps", argv[++i]);
        else rest[nrest++] = argv[i];
    }
    opt.args = bench_args(nrest, rest, 10000, 500);
    if (reps) opt.reps = opt.walk_reps = reps;
    opt.main_mb = (uint32_t)AK_MAX(opt.args.n / 50, 1);
    if (access(opt.genexport, X_OK) != 0) {
        fprintf(stderr, "chat_bench: no genexport at %s (make MODE=release build/release/tools/genexport, or "
                        "--genexport PATH)\n", opt.genexport);
        return 1;
    }
    mkdir_p(opt.data);
    shared = mmap(NULL, MAX_REPS * sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) die("mmap", strerror(errno));

    // Under callgrind (tools/bench.sh's --quick pass) only the small import is counted.
    if (bench_under_valgrind()) {
        case_import(10, false);
        return 0;
    }
    printf("# data in %s; main export %u MB (%u chats, half Claude, half ChatGPT, tools/genexport);\n"
           "# times: best and median of the repetitions (a shared 2-core machine), cpu_ms = user+sys of the best;\n"
           "# peak_rss_mb = ru_maxrss of the child process that ran the case\n",
           opt.data, opt.main_mb, opt.main_mb * 50);
    if (opt.main_mb != 10) case_import(10, false);
    case_import(opt.main_mb, false);
    if (opt.big) case_import(1000, false);
    case_import(opt.main_mb, true);
    for (int m = OPEN_WARM; m <= OPEN_COLD_DISK; m++) case_open((OpenMode)m);
    case_walk(false);
    case_walk(true);
    free(rest);
    return 0;
}
