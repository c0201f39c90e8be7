// source.c: the table of sources (source.h) and its lookups. The rows are in detection order:
// the exports first (a document with chat_messages or mapping is never taken for anything else),
// then the session logs (Claude Code before Codex CLI: the first record a row claims decides a
// file), then Gemini. The session importers keep their own state types; the small adapters
// below give them the table's void * shape.
#include "chat/source.h"

#include "chat/import.h"
#include "chat/sources.h"

#include <stdio.h>
#include <string.h>

static void *claude_code_begin(AkArena *a) { return chat_claude_code_begin(a); }
static bool claude_code_record(void *s, const ChatJson *rec, uint64_t line, ChatError *err) {
    return chat_claude_code_record(s, rec, line, err);
}
static bool claude_code_finish(void *s, ChatConv *out, ChatError *err) { return chat_claude_code_finish(s, out, err); }

static void *codex_begin(AkArena *a) { return chat_codex_begin(a); }
static bool codex_record(void *s, const ChatJson *rec, uint64_t line, ChatError *err) {
    return chat_codex_record(s, rec, line, err);
}
static bool codex_finish(void *s, ChatConv *out, ChatError *err) { return chat_codex_finish(s, out, err); }

static const ChatSourceInfo rows[] = {
    {.id = CHAT_SOURCE_CLAUDE, .name = "claude", .label = "Claude", .json_key = "claude", .product = "Claude",
     .headline = true, .reading = CHAT_SOURCE_READ_EXPORT, .mark = "chat_messages", .import_conv = chat_import_claude},
    {.id = CHAT_SOURCE_CHATGPT, .name = "chatgpt", .label = "ChatGPT", .json_key = "chatgpt", .product = "ChatGPT",
     .headline = true, .reading = CHAT_SOURCE_READ_EXPORT, .mark = "mapping", .import_conv = chat_import_chatgpt},
    {.id = CHAT_SOURCE_CLAUDE_CODE, .name = "claude-code", .label = "Claude Code", .json_key = "claude_code",
     .product = "Claude Code", .reading = CHAT_SOURCE_READ_SESSION, .claims_head = chat_claude_code_claims_head,
     .claims_record = chat_claude_code_is_record, .session_begin = claude_code_begin,
     .session_record = claude_code_record, .session_finish = claude_code_finish},
    {.id = CHAT_SOURCE_CODEX, .name = "codex", .label = "Codex", .json_key = "codex", .product = "Codex CLI",
     .reading = CHAT_SOURCE_READ_SESSION, .claims_head = chat_codex_claims_head, .claims_record = chat_codex_is_record,
     .session_begin = codex_begin, .session_record = codex_record, .session_finish = codex_finish},
    {.id = CHAT_SOURCE_GEMINI, .name = "gemini", .label = "Gemini", .json_key = "gemini", .product = "Gemini Apps",
     .reading = CHAT_SOURCE_READ_DOCUMENT, .claims_head = chat_gemini_claims_head, .import_document = chat_gemini_import,
     .claims_member = chat_gemini_claims_member},
};

size_t chat_source_count(void) { return AK_ARRAY_COUNT(rows); }

const ChatSourceInfo *chat_source_at(size_t i) { return i < AK_ARRAY_COUNT(rows) ? &rows[i] : NULL; }

const ChatSourceInfo *chat_source_info(ChatSource id) {
    for (size_t i = 0; i < AK_ARRAY_COUNT(rows); i++)
        if (rows[i].id == id) return &rows[i];
    return NULL;
}

const ChatSourceInfo *chat_source_by_name_str(AkStr name) {
    for (size_t i = 0; i < AK_ARRAY_COUNT(rows); i++)
        if (ak_str_eq_nocase(name, ak_str_cstr(rows[i].name))) return &rows[i];
    return NULL;
}

const ChatSourceInfo *chat_source_by_name(const char *name) {
    return name ? chat_source_by_name_str(ak_str_cstr(name)) : NULL;
}

int chat_source_name_width(void) {
    size_t w = 0;
    for (size_t i = 0; i < AK_ARRAY_COUNT(rows); i++) w = AK_MAX(w, strlen(rows[i].name));
    return (int)w;
}

char *chat_source_names_text(char *buf, size_t cap) {
    size_t n = AK_ARRAY_COUNT(rows), used = 0;
    if (!cap) return buf;
    buf[0] = 0;
    for (size_t i = 0; i < n && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + used, cap - used, "%s%s", sep, rows[i].name);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}
