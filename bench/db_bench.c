// db_bench.c: the chat store's SQLite layer (src/chat/db.c) on a generated history.
//   put            N chats (default 10,000) stored in one transaction: chats/s, MB/s of text
//   reput          the same N again: every one UNCHANGED (hash compare only)
//   size           the database file once closed (WAL checkpointed), against the text stored
//   each_chat      every chat's metadata in one query, as the program does at start
//   load1000_cold  a 1,000-message chat streamed on a connection opened just before (SQLite's
//                  page cache empty; the OS's file cache warm)
//   load1000_warm  the same chat again on the same connection
//   search_qN      ranked FTS queries with snippets, 20 hits each (median of 3)
// Chats have a long-tailed size (most 2-10 messages, some hundreds), user messages short and
// assistant ones long, thinking parts and attachments with extracted text. SQLite allocates
// with malloc, so the three peers differ only there. The database lives in $TMPDIR (or /tmp).
// Times are wall clock and CPU time of this process (on a shared machine the CPU figure is the
// steadier one); callgrind counts instructions per row for each_chat and the loads.
#include "bench.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"

#include <sys/stat.h>

#define SEED 0x5EED

static char vocab[4096][12];

static void vocab_init(void) {
    static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zen", "ar", "el", "on",
                                      "qu", "ix", "pra", "dor", "fen", "gil", "hum", "jor", "bel", "cin", "dax", "ot"};
    uint64_t s = SEED;
    for (int i = 0; i < 4096; i++) {
        int n = 1 + (int)(bench_rand(&s) % 3), len = 0;
        for (int j = 0; j < n; j++) len += snprintf(vocab[i] + len, sizeof vocab[i] - (size_t)len, "%s",
                                                    syl[bench_rand(&s) % (sizeof syl / sizeof *syl)]);
    }
    memcpy(vocab[7], "arena", 6);
    memcpy(vocab[99], "allocator", 10);
}

// About `bytes` of text from a skewed vocabulary, with a code block now and then.
static AkStr gen_text(AkArena *a, uint64_t *s, uint64_t bytes) {
    char *p = ak_arena_push_nz(a, bytes + 64, 1);
    uint64_t n = 0;
    while (n < bytes) {
        uint64_t r = bench_rand(s);
        if (r % 97 == 0) { n += (uint64_t)sprintf(p + n, "\n```c\nx = f(y);\n```\n"); continue; }
        const char *w = vocab[((r >> 8) % 4096) * ((r >> 24) % 4096) / 4096];
        size_t len = strlen(w);
        memcpy(p + n, w, len);
        n += len;
        p[n++] = r % 13 == 0 ? '.' : ' ';
    }
    return ak_str(p, n);
}

static uint32_t gen_count(uint64_t *s) {
    uint64_t r = bench_rand(s) % 100;
    if (r < 60) return 2 + (uint32_t)(bench_rand(s) % 9);
    if (r < 90) return 10 + (uint32_t)(bench_rand(s) % 31);
    return 40 + (uint32_t)(bench_rand(s) % 161);
}

// One conversation on `a`; *text_bytes counts its message and part text.
static ChatConv gen_conv(AkArena *a, uint64_t *s, uint32_t k, uint32_t msgs, uint64_t *text_bytes) {
    char *uuid = ak_push_array(a, char, 40);
    snprintf(uuid, 40, "bench-%08u-4000-8000-%010u", k, k * 7919u);
    ChatConv c = {.source = k % 3 ? CHAT_SOURCE_CLAUDE : CHAT_SOURCE_CHATGPT, .uuid = ak_str_cstr(uuid),
                  .title = gen_text(a, s, 20 + bench_rand(s) % 30), .model = AK_STR("model-x"),
                  .created = 1600000000.0 + k * 3600.0, .msg_count = msgs, .visible_count = msgs};
    c.updated = c.created + msgs * 60.0;
    c.msgs = ak_push_array(a, ChatMsg, msgs);
    for (uint32_t i = 0; i < msgs; i++) {
        ChatMsg *m = &c.msgs[i];
        bool user = i % 2 == 0;
        m->role = user ? CHAT_ROLE_USER : CHAT_ROLE_ASSISTANT;
        m->author = user ? AK_STR("human") : AK_STR("assistant");
        m->created = c.created + i * 60.0;
        m->text = gen_text(a, s, user ? 50 + bench_rand(s) % 350 : 300 + bench_rand(s) % 1500);
        m->visible = true;
        m->sibling_index = m->sibling_count = 1;
        bool think = !user && i % 8 == 1, attach = user && i % 20 == 0 && bench_rand(s) % 2;
        m->part_count = 1 + think + attach;
        m->parts = ak_push_array(a, ChatPart, m->part_count);
        uint32_t j = 0;
        if (think) m->parts[j++] = (ChatPart){CHAT_PART_THINKING, {0}, gen_text(a, s, 200 + bench_rand(s) % 600), false};
        m->parts[j++] = (ChatPart){CHAT_PART_TEXT, {0}, m->text, false};
        if (attach) m->parts[j++] = (ChatPart){CHAT_PART_ATTACHMENT, AK_STR("notes.txt"),
                                               gen_text(a, s, 2000 + bench_rand(s) % 6000), false};
        *text_bytes += m->text.len;
        for (uint32_t q = 0; q < j; q++) *text_bytes += m->parts[q].kind == CHAT_PART_TEXT ? 0 : m->parts[q].text.len;
    }
    return c;
}

// CPU time of this process: on a shared machine wall time includes other people's work.
static uint64_t cpu_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool count_row(const ChatRow *row, void *user) {
    uint64_t *n = user;
    *n += row->message_count;
    return true;
}

static bool count_msg(const ChatMsg *m, uint32_t ordinal, void *user) {
    uint64_t *n = user;
    *n += m->text.len + m->part_count + ordinal * 0;
    return true;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct Job {
    BenchArgs args;
    char path[512];
} Job;

static void fail(const char *what, const ChatError *err) {
    fprintf(stderr, "db_bench: %s: %s\n", what, err->msg);
    exit(1);
}

static void run(void *arg) {
    Job *job = arg;
    const char *peer = bench_peer();
    uint32_t n = (uint32_t)job->args.n;
    ChatError err = {{0}};
    char side[600];
    unlink(job->path);
    snprintf(side, sizeof side, "%s-wal", job->path), unlink(side);
    snprintf(side, sizeof side, "%s-shm", job->path), unlink(side);
    AkArena *a = ak_arena_create(.name = "bench");
    ChatDb *db = chat_db_open(job->path, 0, &err);
    if (!db) fail("open", &err);

    // put: generation is timed apart and subtracted, so the row is the store's own cost.
    uint64_t s = SEED, bytes = 0, gen_ns = 0, msgs = 0;
    uint64_t t0 = bench_now_ns(), c0 = cpu_now_ns(), gen_cpu = 0;
    if (!chat_db_begin(db, &err)) fail("begin", &err);
    int64_t long_id = 0;
    for (uint32_t k = 0; k <= n; k++) {
        AkTemp t = ak_temp_begin(a);
        uint64_t g0 = bench_now_ns(), gc = cpu_now_ns();
        ChatConv c = gen_conv(a, &s, k, k == n ? 1000 : gen_count(&s), &bytes);
        gen_ns += bench_now_ns() - g0;
        gen_cpu += cpu_now_ns() - gc;
        msgs += c.msg_count;
        ChatPutResult r;
        if (!chat_db_put(db, &c, &r, &err)) fail("put", &err);
        if (k == n) long_id = r.chat_id;
        ak_temp_end(t);
    }
    if (!chat_db_commit(db, &err)) fail("commit", &err);
    double put_ms = (double)(bench_now_ns() - t0 - gen_ns) / 1e6;
    double put_cpu = (double)(cpu_now_ns() - c0 - gen_cpu) / 1e6;
    ChatDbStats st;
    if (!chat_db_stats(db, &st, &err)) fail("stats", &err);
    if (bench_wanted(&job->args, "put", peer))
        bench_row("put", peer, "cpu_ms=%.0f\tms=%.0f\tchats_s=%.0f\tmb_s=%.1f\tchats=%u\tmsgs=%llu\ttext_mb=%.1f\tdb_wal_mb=%.1f\trss_mb=%.1f",
                  put_cpu, put_ms, (n + 1) / (put_cpu / 1e3), bytes / 1e6 / (put_cpu / 1e3), n + 1, (unsigned long long)msgs,
                  bytes / 1e6, (st.file_bytes + st.wal_bytes) / 1e6, bench_peak_rss_mb());

    // reput: the same stream again; everything is unchanged.
    s = SEED, bytes = 0, gen_ns = 0;
    t0 = bench_now_ns();
    if (!chat_db_begin(db, &err)) fail("begin", &err);
    uint32_t unchanged = 0;
    for (uint32_t k = 0; k <= n; k++) {
        AkTemp t = ak_temp_begin(a);
        uint64_t g0 = bench_now_ns();
        ChatConv c = gen_conv(a, &s, k, k == n ? 1000 : gen_count(&s), &bytes);
        gen_ns += bench_now_ns() - g0;
        ChatPutResult r;
        if (!chat_db_put(db, &c, &r, &err)) fail("reput", &err);
        unchanged += r.status == CHAT_PUT_UNCHANGED;
        ak_temp_end(t);
    }
    if (!chat_db_commit(db, &err)) fail("commit", &err);
    double reput_ms = (double)(bench_now_ns() - t0 - gen_ns) / 1e6;
    if (bench_wanted(&job->args, "reput", peer))
        bench_row("reput", peer, "ms=%.0f\tchats_s=%.0f\tunchanged=%u", reput_ms, (n + 1) / (reput_ms / 1e3), unchanged);
    chat_db_close(db);
    // Closing checkpoints the WAL into the file and removes it: what stays on disk.
    struct stat fst;
    if (bench_wanted(&job->args, "size", peer) && stat(job->path, &fst) == 0)
        bench_row("size", peer, "db_mb=%.1f\ttext_mb=%.1f\tdb_per_text=%.2f", fst.st_size / 1e6, bytes / 1e6,
                  (double)fst.st_size / (double)bytes);

    // each_chat on a fresh connection, then again: best and worst of 5.
    if (!(db = chat_db_open(job->path, CHAT_DB_READONLY, &err))) fail("open", &err);
    uint64_t times[20], first_cpu = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t total = 0, c1 = cpu_now_ns();
        t0 = bench_now_ns();
        if (i == 0) bench_measure_begin();
        if (!chat_db_each_chat(db, count_row, &total, &err)) fail("each_chat", &err);
        if (i == 0) bench_measure_end("each_chat", peer, n + 1);
        times[i] = bench_now_ns() - t0;
        if (i == 0) first_cpu = cpu_now_ns() - c1;
    }
    double first_ms = times[0] / 1e6;
    qsort(times, 5, sizeof *times, cmp_u64);
    if (bench_wanted(&job->args, "each_chat", peer))
        bench_row("each_chat", peer, "first_cpu_ms=%.2f\tfirst_ms=%.2f\tbest_ms=%.2f\trows=%u", first_cpu / 1e6,
                  first_ms, times[0] / 1e6, n + 1);
    chat_db_close(db);

    // load of the 1,000-message chat: cold on 20 fresh connections, warm 20 times on one.
    // Wall time and CPU time of each load: on a shared machine the CPU figure is the honest one.
    uint64_t open_ns = 0, sum = 0, cpu[20];
    for (int i = 0; i < 20; i++) {
        t0 = bench_now_ns();
        if (!(db = chat_db_open(job->path, CHAT_DB_READONLY, &err))) fail("open", &err);
        uint64_t t1 = bench_now_ns(), c1 = cpu_now_ns();
        open_ns += t1 - t0;
        if (i == 0) bench_measure_begin();
        if (!chat_db_each_message(db, long_id, false, count_msg, &sum, &err)) fail("load", &err);
        if (i == 0) bench_measure_end("load1000_cold", peer, 1000);
        times[i] = bench_now_ns() - t1;
        cpu[i] = cpu_now_ns() - c1;
        if (i < 19) chat_db_close(db);
    }
    qsort(times, 20, sizeof *times, cmp_u64);
    qsort(cpu, 20, sizeof *cpu, cmp_u64);
    if (bench_wanted(&job->args, "load1000_cold", peer))
        bench_row("load1000_cold", peer, "cpu_p50_us=%.0f\tp50_us=%.0f\tmax_us=%.0f\topen_us=%.0f", cpu[10] / 1e3,
                  times[10] / 1e3, times[19] / 1e3, open_ns / 20 / 1e3);
    for (int i = 0; i < 20; i++) {
        t0 = bench_now_ns();
        uint64_t c1 = cpu_now_ns();
        if (i == 0) bench_measure_begin();
        if (!chat_db_each_message(db, long_id, false, count_msg, &sum, &err)) fail("load", &err);
        if (i == 0) bench_measure_end("load1000_warm", peer, 1000);
        times[i] = bench_now_ns() - t0;
        cpu[i] = cpu_now_ns() - c1;
    }
    qsort(times, 20, sizeof *times, cmp_u64);
    qsort(cpu, 20, sizeof *cpu, cmp_u64);
    if (bench_wanted(&job->args, "load1000_warm", peer))
        bench_row("load1000_warm", peer, "cpu_p50_us=%.0f\tp50_us=%.0f\tmax_us=%.0f", cpu[10] / 1e3, times[10] / 1e3,
                  times[19] / 1e3);

    // search: a rare word, a common one, a phrase, a miss, a short common prefix; 20 hits each.
    static const char *const queries[] = {"allocator", "arena", "\"arena allocator\"", "nonexistentword", "pra*"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        uint32_t count = 0;
        for (int r = 0; r < 3; r++) {
            AkTemp t = ak_temp_begin(a);
            ChatHit *h;
            uint64_t c1 = cpu_now_ns();
            t0 = bench_now_ns();
            if (!chat_db_search(db, a, queries[q], &(ChatSearchOpts){.limit = 20}, &h, &count, &err))
                fail("search", &err);
            times[r] = bench_now_ns() - t0;
            cpu[r] = cpu_now_ns() - c1;
            ak_temp_end(t);
        }
        qsort(times, 3, sizeof *times, cmp_u64);
        qsort(cpu, 3, sizeof *cpu, cmp_u64);
        char name[64];
        snprintf(name, sizeof name, "search_q%zu", q + 1);
        if (bench_wanted(&job->args, name, peer))
            bench_row(name, peer, "cpu_ms=%.2f\tms=%.2f\thits=%u\tquery=%s", cpu[1] / 1e6, times[1] / 1e6, count,
                      queries[q]);
    }
    chat_db_close(db);
    ak_arena_release(a);
    unlink(job->path);
    (void)sum;
}

int main(int argc, char **argv) {
    // malloc here, not a static: this object then needs the peer's malloc, so the linker keeps
    // the peer library (it links with --as-needed) and SQLite's allocations go to it.
    Job *job = malloc(sizeof *job);
    if (!job) return 1;
    job->args = bench_args(argc, argv, 10000, 300);
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(job->path, sizeof job->path, "%s/db_bench-%s-%d.db", dir, bench_peer(), (int)getpid());
    vocab_init();
    int rc = bench_in_child(run, job);
    free(job);
    return rc;
}
