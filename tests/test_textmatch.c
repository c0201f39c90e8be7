// Text matching across scripts (src/chat/textmatch.c): case and accents folded for Latin,
// Greek and Cyrillic, combining marks ignored on both sides, offsets and lengths in the
// original's bytes, words in any order, and scripts without case compared as they are.
#include "test.h"

#include "chat/textmatch.h"

#define S AK_STR

static uint64_t find(const char *hay, const char *needle, uint64_t *len) {
    return chat_text_find(ak_str_cstr(hay), ak_str_cstr(needle), 0, len);
}

static void test_fold_table(void) {
    CHECK_EQ(chat_fold_cp('A'), 'a');
    CHECK_EQ(chat_fold_cp(0xC9), 'e');      // É
    CHECK_EQ(chat_fold_cp(0x0391), 0x03B1); // Α -> α
    CHECK_EQ(chat_fold_cp(0x0386), 0x03B1); // Ά -> α
    CHECK_EQ(chat_fold_cp(0x03AC), 0x03B1); // ά -> α
    CHECK_EQ(chat_fold_cp(0x03C2), 0x03C3); // final sigma
    CHECK_EQ(chat_fold_cp(0x0412), 0x0432); // В -> в
    CHECK_EQ(chat_fold_cp(0x0401), 0x0435); // Ё -> е
    CHECK_EQ(chat_fold_cp(0x0130), 'i');    // İ
    CHECK_EQ(chat_fold_cp(0x0301), 0);      // combining acute: dropped
    CHECK_EQ(chat_fold_cp(0x65E5), 0x65E5); // 日: as is
    CHECK_EQ(chat_fold_cp(0x1F600), 0x1F600);
}

static void test_scripts(void) {
    uint64_t len = 0;
    CHECK_EQ(find("Ελληνικά κείμενα", "ελληνικα", &len), 0);
    CHECK_EQ(len, strlen("Ελληνικά"));
    CHECK_EQ(find("Про Выравнивание памяти", "выравнивание", &len), strlen("Про "));
    CHECK_EQ(len, strlen("Выравнивание"));
    CHECK_EQ(find("ΟΔΟΣ", "οδος", NULL), 0); // final sigma in the needle vs capital in the text
    CHECK_EQ(find("Ёлка", "елка", NULL), 0);
    CHECK_EQ(find("Crème Brûlée", "creme brulee", NULL), 0);
    CHECK_EQ(find("naïve", "NAIVE", NULL), 0);
    CHECK_EQ(find("x 多言語テスト", "言語", NULL), strlen("x 多"));
    CHECK_EQ(find("deploy 🚀 now", "🚀", NULL), strlen("deploy "));
    CHECK(find("abc", "abd", NULL) == AK_STR_NPOS);
    CHECK(find("abc", "", NULL) == AK_STR_NPOS);
    CHECK(find("abc", "\xcc\x81", NULL) == AK_STR_NPOS); // a needle of only a mark
}

static void test_combining(void) {
    uint64_t len = 0;
    // Decomposed in the text: the match takes the mark with its letter.
    CHECK_EQ(find("a cafe\xcc\x81 b", "café", &len), 2);
    CHECK_EQ(len, 6);
    // Decomposed in the needle, precomposed in the text.
    CHECK_EQ(find("un café", "cafe\xcc\x81", &len), 3);
    CHECK_EQ(len, 5);
    // A match never starts on a mark.
    CHECK(find("\xcc\x81", "a", NULL) == AK_STR_NPOS);
}

static void test_from_and_before(void) {
    AkStr hay = S("Ärger, ärger, ÄRGER");
    uint64_t len = 0, first = chat_text_find(hay, S("arger"), 0, &len);
    CHECK_EQ(first, 0);
    uint64_t second = chat_text_find(hay, S("arger"), first + 1, &len); // +1 lands inside Ä: skipped to the next
    CHECK_EQ(second, strlen("Ärger, "));
    CHECK_EQ(chat_text_find_before(hay, S("arger"), hay.len, &len), strlen("Ärger, ärger, "));
    CHECK_EQ(len, strlen("ÄRGER"));
    CHECK_EQ(chat_text_find_before(hay, S("arger"), second, NULL), 0);
    CHECK(chat_text_find_before(hay, S("arger"), 0, NULL) == AK_STR_NPOS);
}

static void test_words(void) {
    AkStr t = S("Выравнивание памяти в арене");
    CHECK(chat_text_has_words(t, S("арене выравнивание")));
    CHECK(chat_text_has_words(t, S("  ПАМЯТИ  ")));
    CHECK(!chat_text_has_words(t, S("арене куча")));
    CHECK(chat_text_has_words(t, S("")));
    CHECK(chat_text_has_words(S("Why does my TLSF free list lose blocks?"), S("blocks tlsf")));
}

int main(void) {
    RUN(test_fold_table);
    RUN(test_scripts);
    RUN(test_combining);
    RUN(test_from_and_before);
    RUN(test_words);
    return test_finish();
}
