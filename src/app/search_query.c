// search_query.c: search filters in a query (see search_query.h).
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/search_query.h"

#include "app/cli.h"
#include "chat/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

AppQueryWord app_search_filter(AkStr w, ChatSearchOpts *so, char *why, size_t why_cap) {
    uint64_t colon = ak_str_find_byte(w, ':', 0);
    if (colon == AK_STR_NPOS || colon == 0) return APP_QUERY_WORD;
    AkStr key = ak_str_head(w, colon);
    char v[128];
    snprintf(v, sizeof v, "%.*s", (int)AK_MIN(w.len - colon - 1, sizeof v - 1), w.ptr + colon + 1);
    if (ak_str_eq(key, AK_STR("source"))) {
        const ChatSourceInfo *src = chat_source_by_name(v);
        if (src) return so->source = src->id, APP_QUERY_FILTER;
        char names[256];
        snprintf(why, why_cap, "source: is %s, not '%s'", chat_source_names_text(names, sizeof names), v);
    } else if (ak_str_eq(key, AK_STR("after")) || ak_str_eq(key, AK_STR("since"))) {
        if (app_parse_date(v, false, &so->since)) return APP_QUERY_FILTER;
        snprintf(why, why_cap, "bad date in %.*s", AK_STR_FMT(w));
    } else if (ak_str_eq(key, AK_STR("before")) || ak_str_eq(key, AK_STR("until"))) {
        if (app_parse_date(v, true, &so->until)) return APP_QUERY_FILTER;
        snprintf(why, why_cap, "bad date in %.*s", AK_STR_FMT(w));
    } else if (ak_str_eq(key, AK_STR("title")) || ak_str_eq(key, AK_STR("model")) || ak_str_eq(key, AK_STR("role")) ||
               ak_str_eq(key, AK_STR("author")) || ak_str_eq(key, AK_STR("in"))) {
        snprintf(why, why_cap, "%.*s is not a search filter (filters: source:, after:, before:); search the words "
                 "themselves, or list titles with `chatlog list --title TEXT`", AK_STR_FMT(w));
    } else {
        return APP_QUERY_WORD;
    }
    return APP_QUERY_BAD;
}

bool app_search_split(const char *query, ChatSearchOpts *so, char *out, size_t cap, char *why, size_t why_cap) {
    AkStr q = ak_str_cstr(query);
    size_t n = 0;
    if (cap) out[0] = 0;
    for (uint64_t i = 0; i < q.len;) {
        while (i < q.len && (q.ptr[i] == ' ' || q.ptr[i] == '\t')) i++;
        if (i >= q.len) break;
        uint64_t start = i;
        if (q.ptr[i] == '"') { // a phrase, whatever it holds
            for (i++; i < q.len && q.ptr[i] != '"'; i++) {}
            if (i < q.len) i++;
        }
        while (i < q.len && q.ptr[i] != ' ' && q.ptr[i] != '\t') i++;
        AkStr w = ak_str(q.ptr + start, i - start);
        AppQueryWord kind = w.ptr[0] == '"' ? APP_QUERY_WORD : app_search_filter(w, so, why, why_cap);
        if (kind == APP_QUERY_BAD) return false;
        if (kind == APP_QUERY_FILTER || n + w.len + 2 > cap) continue;
        if (n) out[n++] = ' ';
        memcpy(out + n, w.ptr, w.len);
        n += w.len;
        out[n] = 0;
    }
    return true;
}
