// tokenizer.c: the FTS5 tokenizer "chatlog" (see tokenizer.h). unicode61 does the work; this
// file only cuts the text into segments around Han, kana, Hangul and emoji characters, hands each
// segment to unicode61 (offsets moved to the whole text) and gives each such character as a
// token of its own. Declared `tokenize='chatlog fold'` (schema 2 on), each token is then folded
// through chat_fold_cp (textfold.h), which takes the accents off Greek and Cyrillic too (unicode61's
// remove_diacritics knows Latin only); plain `chatlog` is the tokenizer of schema 1, kept so
// that such a database reads as it was indexed until it is rebuilt (db.c, "Tokenizer
// versions"). Uses nothing but SQLite and libc, so the loadable extension (ext/chatlog_fts.c)
// builds this same file against the extension API.
#include "chat/tokenizer.h"
#include "chat/snippet.h"
#include "chat/textfold.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static bool is_cjk(uint32_t c) {
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFF66 && c <= 0xFF9D) || (c >= 0x20000 && c <= 0x3134F) ||
           (c >= 0x1F000 && c <= 0x1FAFF); // emoji (unicode61 drops them as separators): one token each
}

// Length of the UTF-8 sequence at p (1 for anything malformed) and its code point.
static int utf8_next(const unsigned char *p, int n, uint32_t *cp) {
    unsigned char c = p[0];
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len == 1 || len > n) { *cp = c; return 1; }
    uint32_t v = c & (0x3F >> (len - 1));
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) { *cp = c; return 1; }
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return len;
}

typedef struct ChatTok {
    fts5_tokenizer inner; // unicode61's functions
    Fts5Tokenizer *inner_tok;
    bool fold;            // 'chatlog fold': every token through chat_fold_cp
} ChatTok;

typedef int ChatTokenFn(void *ctx, int tflags, const char *token, int n, int start, int end);

// Forwards unicode61's tokens from one segment with offsets moved to the whole text, folded
// when the table asks for it.
typedef struct ChatTokFwd {
    void *ctx;
    ChatTokenFn *token;
    int base;
    bool fold;
} ChatTokFwd;

static int put_utf8(uint32_t c, char *o) {
    if (c < 0x80) return o[0] = (char)c, 1;
    if (c < 0x800) return o[0] = (char)(0xC0 | c >> 6), o[1] = (char)(0x80 | (c & 0x3F)), 2;
    if (c < 0x10000)
        return o[0] = (char)(0xE0 | c >> 12), o[1] = (char)(0x80 | ((c >> 6) & 0x3F)), o[2] = (char)(0x80 | (c & 0x3F)), 3;
    o[0] = (char)(0xF0 | c >> 18), o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)), o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

// The token folded into `out`, which holds n + n / 2 + 4 bytes: a code point of one byte
// folds to one, of two bytes to at most three (the table's values are below U+10000), of
// three or four to at most as many; a malformed byte stays as it is. Returns the length.
static int fold_token(const char *token, int n, char *out) {
    const unsigned char *u = (const unsigned char *)token;
    int o = 0;
    for (int i = 0; i < n;) {
        uint32_t cp;
        int len = utf8_next(u + i, n - i, &cp);
        if (len == 1 && u[i] >= 0x80) out[o++] = (char)u[i]; // malformed: as it is
        else {
            uint32_t f = chat_fold_cp(cp);
            if (f) o += put_utf8(f, out + o);
        }
        i += len;
    }
    return o;
}

static int tok_forward(void *p, int tflags, const char *token, int n, int start, int end) {
    ChatTokFwd *f = p;
    bool ascii = true; // unicode61 already folded ASCII: nothing to do
    for (int i = 0; i < n && ascii; i++) ascii = (unsigned char)token[i] < 0x80;
    if (!f->fold || ascii) return f->token(f->ctx, tflags, token, n, start + f->base, end + f->base);
    char buf[256], *out = buf;
    size_t cap = (size_t)n + (size_t)n / 2 + 4;
    if (cap > sizeof buf && !(out = sqlite3_malloc64(cap))) return SQLITE_NOMEM; // SQLite's memory, freed below
    int len = fold_token(token, n, out);
    // A token of combining marks alone folds to nothing and is no token (alike in index and query).
    int rc = len ? f->token(f->ctx, tflags, out, len, start + f->base, end + f->base) : SQLITE_OK;
    if (out != buf) sqlite3_free(out);
    return rc;
}

static int tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out) {
    // `fold` is the only argument there is; anything else (a newer chatlog's table) is an
    // error rather than an index read with the wrong folding.
    bool fold = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "fold") != 0) return SQLITE_ERROR;
        fold = true;
    }
    fts5_api *api = api_ptr;
    void *ud = NULL;
    fts5_tokenizer inner;
    int rc = api->xFindTokenizer(api, "unicode61", &ud, &inner);
    if (rc != SQLITE_OK) return rc;
    ChatTok *t = sqlite3_malloc(sizeof *t); // SQLite owns tokenizer instances: freed in tok_delete
    if (!t) return SQLITE_NOMEM;
    t->inner = inner;
    t->fold = fold;
    const char *args[] = {"remove_diacritics", "2"};
    rc = inner.xCreate(ud, args, 2, &t->inner_tok);
    if (rc != SQLITE_OK) { sqlite3_free(t); return rc; }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *p) {
    ChatTok *t = (ChatTok *)p;
    t->inner.xDelete(t->inner_tok);
    sqlite3_free(t);
}

static int tok_run(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int n, ChatTokenFn *token) {
    ChatTok *t = (ChatTok *)p;
    const unsigned char *u = (const unsigned char *)text;
    int seg = 0, i = 0, rc = SQLITE_OK;
    while (i < n && rc == SQLITE_OK) {
        if (u[i] < 0xE3) { i++; continue; } // below U+3040 in UTF-8: never split here
        uint32_t cp;
        int len = utf8_next(u + i, n - i, &cp);
        if (is_cjk(cp)) {
            if (i > seg) {
                ChatTokFwd f = {ctx, token, seg, t->fold};
                rc = t->inner.xTokenize(t->inner_tok, &f, flags, text + seg, i - seg, tok_forward);
                if (rc != SQLITE_OK) break;
            }
            rc = token(ctx, 0, text + i, len, i, i + len);
            seg = i + len;
        }
        i += len;
    }
    if (rc == SQLITE_OK && seg < n) {
        ChatTokFwd f = {ctx, token, seg, t->fold};
        rc = t->inner.xTokenize(t->inner_tok, &f, flags, text + seg, n - seg, tok_forward);
    }
    return rc;
}

static fts5_tokenizer chat_tokenizer = {tok_create, tok_delete, tok_run};

int chat_fts_register(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL);
    if (rc != SQLITE_OK) return (rc & 0xFF) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR; // else: no fts5()
    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return (rc & 0xFF) == SQLITE_NOMEM ? SQLITE_NOMEM : rc;
    if (!api || api->iVersion < 2) return SQLITE_ERROR;
    rc = api->xCreateTokenizer(api, "chatlog", api, &chat_tokenizer, NULL);
    return rc == SQLITE_OK ? chat_snippet_register(api) : rc;
}
