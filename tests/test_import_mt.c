// The import's parser thread (import.c: the reader and normalizers fill one slot while the sink
// stores the other): order, error semantics and the caller's thread, over many rounds, under
// ThreadSanitizer too. Every conversation's text names it, and the sink reads all of it, so a
// slot handed over too early (refilled while the sink still reads it) shows as a wrong text
// here or as a race under TSan.
#include "test.h"

#include "arenakit/arenakit.h"
#include "chat/import.h"

#include <pthread.h>

enum { CONVS = 300 };

static AkArena *arena;
static pthread_t caller;

// Conversation k (1-based); every 7th has no uuid (bad: skipped and listed as "element k").
// Bodies are long (the reader's 256 KB buffer refills inside some of them) and repeat in
// `text` and the text block as Claude exports do.
static AkStr make_doc(uint32_t n, bool any_bad) {
    AkStrBuilder b = ak_str_builder(arena);
    ak_str_builder_append(&b, AK_STR("["));
    for (uint32_t k = 1; k <= n; k++) {
        char body[3000];
        int len = snprintf(body, sizeof body, "conversation %u says:", k);
        for (uint32_t i = 0; i < 40 + k % 50 && len < (int)sizeof body - 40; i++)
            len += snprintf(body + len, sizeof body - (size_t)len, " word%u\\n", (k * 31 + i) % 997);
        bool bad = any_bad && k % 7 == 0;
        // The uuid goes last, so a bad conversation differs from a good one only by its absence.
        ak_str_builder_appendf(&b, "%s{\"name\": \"chat %u\", \"created_at\": \"2024-01-01T00:00:00Z\", \"chat_messages\": [",
                               k > 1 ? "," : "", k);
        for (uint32_t m = 0; m < 1 + k % 4; m++)
            ak_str_builder_appendf(&b, "%s{\"uuid\": \"m%u-%u\", \"sender\": \"%s\", \"created_at\": \"2024-01-01T00:%02u:00Z\", "
                                       "\"text\": \"%s\", \"content\": [{\"type\": \"text\", \"text\": \"%s\"}]}",
                                   m ? "," : "", k, m, m % 2 ? "assistant" : "human", m, body, body);
        ak_str_builder_append(&b, AK_STR("]"));
        if (!bad) ak_str_builder_appendf(&b, ", \"uuid\": \"c%u\"", k);
        ak_str_builder_append(&b, AK_STR("}"));
    }
    ak_str_builder_append(&b, AK_STR("]"));
    return ak_str_builder_finish(&b, arena);
}

typedef struct Seen {
    uint32_t order[CONVS + 1]; // conversation numbers in the order the sink got them
    uint32_t count;
    uint32_t fail_at;          // the sink refuses its fail_at-th call (0: never)
    bool wrong_thread, wrong_text;
    uint64_t progress_calls, last_done, last_total;
    bool progress_back, progress_thread;
} Seen;

static bool sink(const ChatConv *c, void *user, ChatError *err) {
    Seen *s = user;
    if (!pthread_equal(pthread_self(), caller)) s->wrong_thread = true;
    uint32_t k = (uint32_t)strtoul(c->uuid.ptr + 1, NULL, 10);
    char want[64];
    snprintf(want, sizeof want, "conversation %u says:", k);
    // Read every byte the sink could store: a refilled slot would change them under us.
    uint64_t sum = 0;
    for (uint32_t i = 0; i < c->msg_count; i++) {
        for (uint64_t j = 0; j < c->msgs[i].text.len; j++) sum += (uint8_t)c->msgs[i].text.ptr[j];
        if (!ak_str_starts_with(c->msgs[i].text, ak_str_cstr(want))) s->wrong_text = true;
    }
    if (c->msg_count != 1 + k % 4 || !sum) s->wrong_text = true;
    if (s->count < CONVS) s->order[s->count] = k;
    s->count++;
    if (s->fail_at && s->count == s->fail_at) return chat_fail(err, "refused on purpose"), false;
    return true;
}

static void on_progress(uint64_t done, uint64_t total, void *user) {
    Seen *s = user;
    if (!pthread_equal(pthread_self(), caller)) s->progress_thread = true;
    if (done < s->last_done) s->progress_back = true;
    s->progress_calls++, s->last_done = done, s->last_total = total;
}

// Rounds: fewer under Valgrind (AK_TEST_SCALE), at least one.
static int rounds(int n) { return AK_MAX(1, (int)(n * test_scale())); }

static uint32_t good_before(uint32_t n) { return n - n / 7; } // good conversations among 1..n

// The sink saw the good conversations 1, 2, ... (every 7th skipped) in the file's order.
static void check_order(const Seen *s) {
    uint32_t k = 1;
    for (uint32_t i = 0; i < s->count && i < CONVS; i++, k++) {
        while (k % 7 == 0) k++;
        if (s->order[i] != k) {
            CHECK_MSG(false, "sink call %u got conversation %u, expected %u", i + 1, s->order[i], k);
            return;
        }
    }
}

// Default options: bad ones listed, all good ones stored in order, the sink on this thread.
static void test_order_and_bad_list(void) {
    AkStr doc = make_doc(CONVS, true);
    REQUIRE(doc.ptr);
    for (int round = 0; round < rounds(20); round++) {
        Seen s = {0};
        ChatImportOptions opt = {.progress = on_progress, .progress_user = &s};
        ChatImportReport rep;
        ChatError err = {{0}};
        AkTemp t = ak_temp_begin(arena);
        CHECK_MSG(chat_import_memory(arena, "mt.json", doc.ptr, doc.len, &opt, sink, &s, &rep, &err), "%s", err.msg);
        CHECK_EQ(s.count, good_before(CONVS));
        CHECK_EQ(rep.chats, good_before(CONVS));
        CHECK_EQ(rep.bad, CONVS / 7);
        CHECK(rep.bad_listed == CONVS / 7 && strstr(rep.bad_list[0].ptr, "mt.json: element 7: ") == rep.bad_list[0].ptr);
        check_order(&s);
        CHECK(!s.wrong_thread && !s.wrong_text && !s.progress_thread && !s.progress_back);
        CHECK(s.last_done == doc.len && s.last_total == doc.len);
        CHECK(s.progress_calls >= good_before(CONVS));
        ak_temp_end(t);
    }
}

// A sink failure stops the import at once: no call after it, the error names the conversation.
static void test_sink_failure_stops(void) {
    AkStr doc = make_doc(CONVS, true);
    REQUIRE(doc.ptr);
    const uint32_t fails[] = {1, 2, 3, 50, 199, good_before(CONVS) - 1, good_before(CONVS)};
    for (int round = 0; round < rounds(5); round++)
        for (size_t f = 0; f < AK_ARRAY_COUNT(fails); f++) {
            Seen s = {.fail_at = fails[f]};
            ChatImportReport rep;
            ChatError err = {{0}};
            AkTemp t = ak_temp_begin(arena);
            CHECK(!chat_import_memory(arena, "mt.json", doc.ptr, doc.len, NULL, sink, &s, &rep, &err));
            CHECK_EQ(s.count, fails[f]);
            CHECK_EQ(rep.chats, fails[f] - 1);
            char want[80];
            snprintf(want, sizeof want, "mt.json: conversation c%u: refused on purpose", s.order[fails[f] - 1]);
            CHECK_STR_CONTAINS(err.msg, want);
            check_order(&s);
            CHECK(!s.wrong_thread && !s.wrong_text);
            ak_temp_end(t);
        }
}

// --strict: the sink is not called after the first bad one, and the import fails naming them all.
static void test_strict(void) {
    AkStr doc = make_doc(CONVS, true);
    REQUIRE(doc.ptr);
    for (int round = 0; round < rounds(10); round++) {
        Seen s = {0};
        ChatImportOptions opt = {.strict = true};
        ChatImportReport rep;
        ChatError err = {{0}};
        AkTemp t = ak_temp_begin(arena);
        CHECK(!chat_import_memory(arena, "mt.json", doc.ptr, doc.len, &opt, sink, &s, &rep, &err));
        CHECK_EQ(s.count, 6);
        CHECK_EQ(rep.bad, CONVS / 7);
        char want[80];
        snprintf(want, sizeof want, "mt.json: %u bad conversations: element 7: ", CONVS / 7);
        CHECK_STR_CONTAINS(err.msg, want);
        CHECK(!s.wrong_thread && !s.wrong_text);
        ak_temp_end(t);
    }
}

// A syntax fault: fatal by default (after the conversations before it reached the sink, which
// the caller rolls back), salvaged with skip_bad; the cut can fall anywhere in the document.
static void test_syntax_fault(void) {
    AkStr doc = make_doc(60, false);
    REQUIRE(doc.ptr);
    for (uint64_t cut = doc.len / 9; cut < doc.len; cut += doc.len / 9) {
        for (int salvage = 0; salvage < 2; salvage++) {
            Seen s = {0};
            ChatImportOptions opt = {.skip_bad = salvage};
            ChatImportReport rep;
            ChatError err = {{0}};
            AkTemp t = ak_temp_begin(arena);
            bool ok = chat_import_memory(arena, "cut.json", doc.ptr, cut, &opt, sink, &s, &rep, &err);
            CHECK_EQ(ok, (bool)salvage);
            CHECK(s.count > 0 && s.count < 60);
            CHECK_EQ(rep.chats, s.count);
            if (salvage) {
                CHECK_EQ(rep.broken_files, 1);
                char want[80];
                snprintf(want, sizeof want, "(%u complete conversation%s before it kept)", s.count, s.count == 1 ? "" : "s");
                CHECK(rep.bad_listed == 1 && strstr(rep.bad_list[0].ptr, want));
            } else {
                CHECK_STR_CONTAINS(err.msg, "cut.json: unexpected end of input");
            }
            for (uint32_t i = 0; i < s.count; i++) CHECK_EQ(s.order[i], i + 1);
            CHECK(!s.wrong_thread && !s.wrong_text);
            ak_temp_end(t);
        }
    }
}

int main(void) {
    arena = ak_arena_create(.name = "test_import_mt", .reserve = AK_MB(256));
    caller = pthread_self();
    RUN(test_order_and_bad_list);
    RUN(test_sink_failure_stops);
    RUN(test_strict);
    RUN(test_syntax_fault);
    ak_arena_release(arena);
    ak_scratch_release_thread();
    return test_finish();
}
