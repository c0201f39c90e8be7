// tokenizer.c: the FTS5 tokenizer "chatlog" (see tokenizer.h). unicode61 does the work; this
// file only cuts the text into segments around Han, kana, Hangul and emoji characters, hands each
// segment to unicode61 (offsets moved to the whole text) and gives each such character as a
// token of its own. Uses nothing but SQLite and libc, so the loadable extension
// (ext/chatlog_fts.c) builds this same file against the extension API.
#include "chat/tokenizer.h"
#include "chat/snippet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
} ChatTok;

typedef int ChatTokenFn(void *ctx, int tflags, const char *token, int n, int start, int end);

// Forwards unicode61's tokens from one segment with offsets moved to the whole text.
typedef struct ChatTokFwd {
    void *ctx;
    ChatTokenFn *token;
    int base;
} ChatTokFwd;

static int tok_forward(void *p, int tflags, const char *token, int n, int start, int end) {
    ChatTokFwd *f = p;
    return f->token(f->ctx, tflags, token, n, start + f->base, end + f->base);
}

static int tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out) {
    (void)argv, (void)argc;
    fts5_api *api = api_ptr;
    void *ud = NULL;
    fts5_tokenizer inner;
    int rc = api->xFindTokenizer(api, "unicode61", &ud, &inner);
    if (rc != SQLITE_OK) return rc;
    ChatTok *t = sqlite3_malloc(sizeof *t); // SQLite owns tokenizer instances: freed in tok_delete
    if (!t) return SQLITE_NOMEM;
    t->inner = inner;
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
                ChatTokFwd f = {ctx, token, seg};
                rc = t->inner.xTokenize(t->inner_tok, &f, flags, text + seg, i - seg, tok_forward);
                if (rc != SQLITE_OK) break;
            }
            rc = token(ctx, 0, text + i, len, i, i + len);
            seg = i + len;
        }
        i += len;
    }
    if (rc == SQLITE_OK && seg < n) {
        ChatTokFwd f = {ctx, token, seg};
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
