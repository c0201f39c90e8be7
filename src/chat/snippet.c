// snippet.c: chatlog_snippet() (see snippet.h). FTS5 lists a row's hits (instances) sorted by
// column and token position; a window is `tokens` tokens of one column. The text is tokenized
// with the table's own tokenizer, so token positions are the index's, and the tokenizer is
// stopped as soon as the window is read.
#include "chat/snippet.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SNIP_MAX_TOKENS 64
#define SNIP_CANDIDATES 64 // windows scored, at the first hits of the chosen column
#define SNIP_STOP SQLITE_DONE // what the token callback returns to end tokenizing early

typedef struct SnipWin {
    int first, count; // the window: tokens [first, first + count)
    int next;         // position of the next token the tokenizer gives
    int got;          // tokens of the window seen so far
    bool more;        // a token follows the window
    int start[SNIP_MAX_TOKENS], end[SNIP_MAX_TOKENS]; // byte ranges of the window's tokens
} SnipWin;

static int snip_token(void *p, int tflags, const char *token, int n, int start, int end) {
    (void)token, (void)n;
    SnipWin *w = p;
    if (tflags & FTS5_TOKEN_COLOCATED) return SQLITE_OK; // a synonym at the same position
    int pos = w->next++;
    if (pos < w->first) return SQLITE_OK;
    if (pos >= w->first + w->count) {
        w->more = true;
        return SNIP_STOP;
    }
    w->start[w->got] = start;
    w->end[w->got] = end;
    w->got++;
    return SQLITE_OK;
}

static int read_window(const Fts5ExtensionApi *api, Fts5Context *fts, const char *z, int n, SnipWin *w) {
    w->next = w->got = 0;
    w->more = false;
    int rc = api->xTokenize(fts, z, n, w, snip_token);
    return rc == SNIP_STOP ? SQLITE_OK : rc;
}

static const char *arg_text(sqlite3_value *v) {
    const char *s = (const char *)sqlite3_value_text(v);
    return s ? s : "";
}

// Index of the first hit at or after (col, off) in FTS5's sorted hit list.
static int inst_lower_bound(const Fts5ExtensionApi *api, Fts5Context *fts, int ninst, int col, int off) {
    int lo = 0, hi = ninst;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, p, c, o;
        if (api->xInst(fts, mid, &p, &c, &o) != SQLITE_OK) return ninst;
        if (c < col || (c == col && o < off)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void snippet_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                       sqlite3_value **argv) {
    if (argc != 5) {
        sqlite3_result_error(ctx, "chatlog_snippet(table, column, open, close, ellipsis, tokens): wrong arguments", -1);
        return;
    }
    int want = sqlite3_value_int(argv[0]);
    const char *open = arg_text(argv[1]), *close = arg_text(argv[2]), *ellipsis = arg_text(argv[3]);
    int ntok = sqlite3_value_int(argv[4]);
    if (ntok < 1) ntok = 1;
    if (ntok > SNIP_MAX_TOKENS) ntok = SNIP_MAX_TOKENS;

    // The best window: one placed at each of the first hits of the column and at the first hit
    // of each phrase; the most distinct phrases win, then the most hits. Each window is scored
    // from its first hit (found by bisection) to its end, so the work is bounded by the window.
    int ninst = 0, rc = api->xInstCount(fts, &ninst);
    if (rc != SQLITE_OK) { sqlite3_result_error_code(ctx, rc); return; }
    int nphrase = api->xPhraseCount(fts);
    int best = -1, best_col = want < 0 ? 0 : want, best_off = 0, best_score = -1, seen = 0;
    for (int k = 0; k < ninst + nphrase; k++) {
        int ph, col, off;
        if (k < ninst) { // the first hits of the column
            if (seen >= SNIP_CANDIDATES) { k = ninst - 1; continue; }
            if (api->xInst(fts, k, &ph, &col, &off) != SQLITE_OK) break;
            if (want >= 0 && col != want) continue;
            seen++;
        } else { // the first hit of phrase k - ninst in the column
            Fts5PhraseIter it;
            if (api->xPhraseFirst(fts, k - ninst, &it, &col, &off) != SQLITE_OK) continue;
            while (col >= 0 && want >= 0 && col != want) api->xPhraseNext(fts, &it, &col, &off);
            if (col < 0) continue;
        }
        int from = off - ntok / 4 < 0 ? 0 : off - ntok / 4;
        int i = inst_lower_bound(api, fts, ninst, col, from);
        uint64_t phrases = 0;
        int hits = 0, first_hit = -1;
        for (int j = i; j < ninst; j++) {
            int p2, c2, o2;
            if (api->xInst(fts, j, &p2, &c2, &o2) != SQLITE_OK || c2 != col || o2 >= from + ntok) break;
            if (first_hit < 0) first_hit = j;
            phrases |= 1ull << (p2 & 63);
            hits++;
        }
        int score = __builtin_popcountll(phrases) * 1000 + (hits < 999 ? hits : 999);
        if (first_hit >= 0 && score > best_score) best = first_hit, best_col = col, best_off = off, best_score = score;
    }

    // Place the window so the hit has a little context before it, and a short column is
    // shown whole.
    int size = 0;
    SnipWin w = {.first = best_off - ntok / 4, .count = ntok};
    if (api->xColumnSize(fts, best_col, &size) == SQLITE_OK && w.first + ntok > size) w.first = size - ntok;
    if (w.first < 0) w.first = 0;
    const char *z = NULL;
    int n = 0;
    rc = api->xColumnText(fts, best_col, &z, &n);
    if (rc == SQLITE_OK && z && n > 0) rc = read_window(api, fts, z, n, &w);
    if (rc == SQLITE_OK && z && n > 0 && w.got == 0 && w.first > 0) { // sizes out of step: from the start
        w.first = 0;
        rc = read_window(api, fts, z, n, &w);
    }
    if (rc != SQLITE_OK) { sqlite3_result_error_code(ctx, rc); return; }
    if (!z || n <= 0 || w.got == 0) { sqlite3_result_text(ctx, "", 0, SQLITE_STATIC); return; }

    // Which tokens of the window are hits, and where each hit's span starts.
    bool hit[SNIP_MAX_TOKENS] = {0}, starts[SNIP_MAX_TOKENS] = {0};
    if (best >= 0) {
        int lo = best;
        while (lo > 0 && best - lo < 4 * SNIP_MAX_TOKENS) { // phrases starting before the window
            int p, c, o;
            if (api->xInst(fts, lo - 1, &p, &c, &o) != SQLITE_OK || c != best_col || o < w.first - SNIP_MAX_TOKENS) break;
            lo--;
        }
        for (int i = lo; i < ninst; i++) {
            int p, c, o;
            if (api->xInst(fts, i, &p, &c, &o) != SQLITE_OK || c != best_col || o >= w.first + w.got) break;
            int len = api->xPhraseSize(fts, p);
            for (int t = o; t < o + len; t++)
                if (t >= w.first && t < w.first + w.got) hit[t - w.first] = true;
            if (o >= w.first) starts[o - w.first] = true;
        }
    }

    sqlite3_str *s = sqlite3_str_new(NULL);
    if (w.first > 0) sqlite3_str_appendall(s, ellipsis);
    int pos = w.first > 0 ? w.start[0] : 0;
    for (int t = 0; t < w.got; t++) {
        sqlite3_str_append(s, z + pos, w.start[t] - pos);
        if (hit[t] && (t == 0 || !hit[t - 1] || starts[t])) sqlite3_str_appendall(s, open);
        sqlite3_str_append(s, z + w.start[t], w.end[t] - w.start[t]);
        if (hit[t] && (t == w.got - 1 || !hit[t + 1] || starts[t + 1])) sqlite3_str_appendall(s, close);
        pos = w.end[t];
    }
    if (w.more) sqlite3_str_appendall(s, ellipsis);
    else sqlite3_str_append(s, z + pos, n - pos);
    rc = sqlite3_str_errcode(s);
    int len = sqlite3_str_length(s);
    char *out = sqlite3_str_finish(s);
    if (rc != SQLITE_OK) {
        sqlite3_free(out);
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    sqlite3_result_text(ctx, out ? out : "", len, out ? sqlite3_free : SQLITE_STATIC);
}

int chat_snippet_register(fts5_api *api) {
    return api->xCreateFunction(api, "chatlog_snippet", NULL, snippet_fn, NULL);
}
