// import_claude_code.c: one Claude Code session log (~/.claude/projects/<project>/<session>.jsonl,
// JSON Lines) into a ChatConv. What the records hold, from the format's public descriptions:
//  - `type` user / assistant / system carry a message: `uuid`, `parentUuid` (null at a root;
//    after a compaction the `compact_boundary` system record has a null parent and the link in
//    `logicalParentUuid`), `sessionId`, `timestamp`, `cwd`, `gitBranch`, `version`, `isSidechain`
//    (subagent work), `isMeta` (context the tool injected: kept hidden), and `message` with
//    `role`, `model` and `content` (a string, or blocks: text, thinking, tool_use, tool_result,
//    image; others are kept as raw JSON);
//  - `summary` records carry a title (`summary`) and the message it covers (`leafUuid`): the
//    last one whose leafUuid is in this file titles the chat (summaries of other sessions are
//    ignored);
//  - `file-history-snapshot`, `queue-operation` and other bookkeeping records are skipped.
// A chat is a file (a session; a subagent file `agent-*.jsonl` is a chat of its own, named
// session/agent-id). Its uuid is the first record's sessionId, which appending lines never
// changes, so a re-import of a grown session updates the same chat. The title is the summary
// or the first prompt, prefixed with the project (the last part of `cwd`): "arenakit: Fix ...".
// The messages form a tree through parentUuid (a rewind starts a branch); the thread the person
// saw ends at the last main-line (not sidechain) message written.
#include "chat/sources.h"

#include <stdio.h>

typedef struct Summary Summary;
struct Summary { // a summary record: its title and the message it summarizes up to
    AkStr text, leaf;
    Summary *prev;
};

struct ChatClaudeCode {
    AkArena *a;
    ChatMsgList msgs;
    Summary *summaries; // the last first
    AkStr session, agent, cwd, first_prompt, first_side_prompt, model, leaf;
    double created, updated;
    bool all_sidechain;
    uint32_t unknown;
};

static AkStr str_of(const ChatJson *obj, const char *key) {
    const ChatJson *v = obj ? chat_json_get(obj, key) : NULL;
    return v && v->kind == CHAT_JSON_STRING ? v->str : ak_str("", 0);
}

static bool flag_of(const ChatJson *obj, const char *key) {
    const ChatJson *v = obj ? chat_json_get(obj, key) : NULL;
    return v && v->kind == CHAT_JSON_TRUE;
}

static const char *const message_types[] = {"user", "assistant", "system", NULL};
static const char *const known_types[] = {"user", "assistant", "system", "summary", "file-history-snapshot",
                                          "queue-operation", "progress", "permission-mode", NULL};

static bool type_in(AkStr t, const char *const *list) {
    for (; *list; list++)
        if (ak_str_eq(t, ak_str_cstr(*list))) return true;
    return false;
}

// A first line's keys (source.h's head): a record of a session log, not a conversations.json
// object (the export rows are asked first).
bool chat_claude_code_claims_head(const ChatSourceHead *h) {
    if (chat_source_head_has(h, "sessionId") || chat_source_head_has(h, "parentUuid") || chat_source_head_has(h, "leafUuid"))
        return true;
    return chat_source_head_has(h, "type") && type_in(chat_source_head_str(h, "type"), known_types);
}

bool chat_claude_code_is_record(const ChatJson *rec) {
    if (!rec || rec->kind != CHAT_JSON_OBJECT || chat_json_get(rec, "payload")) return false;
    if (chat_json_get(rec, "sessionId") || chat_json_get(rec, "parentUuid") || chat_json_get(rec, "leafUuid")) return true;
    return type_in(str_of(rec, "type"), known_types);
}

ChatClaudeCode *chat_claude_code_begin(AkArena *a) {
    ChatClaudeCode *s = ak_push_struct(a, ChatClaudeCode);
    if (!s) return NULL;
    s->a = a;
    s->created = s->updated = CHAT_TIME_UNKNOWN;
    s->all_sidechain = true;
    return s;
}

// tool_result content: a string, or items whose text ones are joined by newlines (others raw).
static AkStr result_text(AkArena *a, const ChatJson *content) {
    if (!content || content->kind == CHAT_JSON_NULL) return ak_str("", 0);
    if (content->kind == CHAT_JSON_STRING) return ak_str_copy(a, content->str);
    if (content->kind != CHAT_JSON_ARRAY) return chat_json_write(a, content);
    AkStrBuilder b = ak_str_builder(a);
    uint32_t k = 0;
    for (const ChatJson *it = content->child; it; it = it->next) {
        bool text = ak_str_eq(str_of(it, "type"), AK_STR("text")) && chat_json_get(it, "text") &&
                    chat_json_get(it, "text")->kind == CHAT_JSON_STRING;
        if (k++) ak_str_builder_append(&b, AK_STR("\n"));
        ak_str_builder_append(&b, text ? chat_json_get(it, "text")->str : chat_json_write(a, it));
    }
    return ak_str_builder_finish(&b, a);
}

// One content block into parts (strings copied onto the session's arena).
static void add_block(ChatClaudeCode *s, ChatPartList *parts, const ChatJson *b, uint32_t *results) {
    AkArena *a = s->a;
    AkStr type = str_of(b, "type");
    const ChatJson *v;
    if (b->kind == CHAT_JSON_STRING) {
        if (b->str.len) chat_parts_add(a, parts, CHAT_PART_TEXT, ak_str("", 0), ak_str_copy(a, b->str));
    } else if (ak_str_eq(type, AK_STR("text")) && (v = chat_json_get(b, "text")) && v->kind == CHAT_JSON_STRING) {
        if (v->str.len) chat_parts_add(a, parts, CHAT_PART_TEXT, ak_str("", 0), ak_str_copy(a, v->str));
    } else if (ak_str_eq(type, AK_STR("thinking")) && (v = chat_json_get(b, "thinking")) && v->kind == CHAT_JSON_STRING) {
        chat_parts_add(a, parts, CHAT_PART_THINKING, ak_str("", 0), ak_str_copy(a, v->str));
    } else if (ak_str_eq(type, AK_STR("tool_use"))) {
        v = chat_json_get(b, "input");
        chat_parts_add(a, parts, CHAT_PART_TOOL_USE, ak_str_copy(a, str_of(b, "name")),
                       v && v->kind == CHAT_JSON_STRING ? ak_str_copy(a, v->str) : chat_json_write(a, v));
    } else if (ak_str_eq(type, AK_STR("tool_result"))) {
        // The tool's name is not in the result; its tool_use_id ties it to the call.
        ChatPart *p = chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, ak_str_copy(a, str_of(b, "tool_use_id")),
                                     result_text(a, chat_json_get(b, "content")));
        if (p) p->is_error = flag_of(b, "is_error");
        (*results)++;
    } else if (ak_str_eq(type, AK_STR("image"))) {
        const ChatJson *src = chat_json_get(b, "source");
        AkStr media = str_of(src, "media_type");
        chat_parts_add(a, parts, CHAT_PART_IMAGE, ak_str_copy(a, media.len ? media : AK_STR("image")), ak_str("", 0));
    } else {
        chat_parts_add_unknown(a, parts, ak_str_copy(a, type), b);
    }
}

static bool is_command_text(AkStr t) {
    return ak_str_starts_with(t, AK_STR("<command-")) || ak_str_starts_with(t, AK_STR("<local-command")) ||
           ak_str_starts_with(t, AK_STR("Caveat:"));
}

bool chat_claude_code_record(ChatClaudeCode *s, const ChatJson *rec, uint64_t line, ChatError *err) {
    AkArena *a = s->a;
    if (rec->kind != CHAT_JSON_OBJECT) return chat_fail(err, "a JSON %s, not a record object", chat_json_kind_name(rec->kind));
    AkStr type = str_of(rec, "type");
    if (ak_str_eq(type, AK_STR("summary"))) {
        AkStr sum = str_of(rec, "summary");
        Summary *x = sum.len ? ak_push_struct(a, Summary) : NULL;
        if (x) {
            *x = (Summary){ak_str_copy(a, sum), ak_str_copy(a, str_of(rec, "leafUuid")), s->summaries};
            s->summaries = x;
        }
        return true;
    }
    if (!type_in(type, message_types)) return true; // bookkeeping (snapshots, queue operations...)
    AkStr uuid = str_of(rec, "uuid");
    if (!uuid.len) return chat_fail(err, "a %.*s record without a uuid", AK_STR_FMT(ak_str_head(type, 40)));
    const ChatJson *message = chat_json_get(rec, "message");
    if (message && message->kind != CHAT_JSON_OBJECT && message->kind != CHAT_JSON_NULL)
        return chat_fail(err, "record %.*s: \"message\" is a %s, expected an object", AK_STR_FMT(ak_str_head(uuid, 80)),
                         chat_json_kind_name(message->kind));
    ChatMsg *m = chat_msgs_push(a, &s->msgs);
    if (!m) return chat_fail(err, "out of memory for message %llu", (unsigned long long)s->msgs.count);
    m->uuid = ak_str_copy(a, uuid);
    AkStr parent = str_of(rec, "parentUuid");
    if (!parent.len) parent = str_of(rec, "logicalParentUuid"); // across a compaction
    m->parent_uuid = ak_str_copy(a, parent);
    double t = CHAT_TIME_UNKNOWN;
    AkStr ts = str_of(rec, "timestamp");
    if (ts.len && !chat_parse_iso_time(ts, &t)) t = CHAT_TIME_UNKNOWN;
    m->created = t;
    if (t != CHAT_TIME_UNKNOWN) {
        if (s->created == CHAT_TIME_UNKNOWN || t < s->created) s->created = t;
        if (t > s->updated) s->updated = t;
    }
    if (!s->session.len) s->session = ak_str_copy(a, str_of(rec, "sessionId"));
    if (!s->agent.len) s->agent = ak_str_copy(a, str_of(rec, "agentId"));
    if (!s->cwd.len) s->cwd = ak_str_copy(a, str_of(rec, "cwd"));
    bool sidechain = flag_of(rec, "isSidechain");
    if (!sidechain) s->all_sidechain = false;
    m->hidden = flag_of(rec, "isMeta");
    (void)line;

    ChatPartList parts = {0};
    uint32_t results = 0, blocks = 0;
    const ChatJson *content = message && message->kind == CHAT_JSON_OBJECT ? chat_json_get(message, "content")
                                                                           : chat_json_get(rec, "content");
    if (content && content->kind == CHAT_JSON_ARRAY) {
        for (const ChatJson *b = content->child; b; b = b->next, blocks++) add_block(s, &parts, b, &results);
    } else if (content && content->kind == CHAT_JSON_STRING) {
        if (content->str.len) chat_parts_add(a, &parts, CHAT_PART_TEXT, ak_str("", 0), ak_str_copy(a, content->str));
    } else if (content && content->kind != CHAT_JSON_NULL) {
        chat_parts_add_unknown(a, &parts, AK_STR("content"), content);
    }
    if (parts.oom) return chat_fail(err, "out of memory for the parts of message %.*s", AK_STR_FMT(ak_str_head(uuid, 80)));
    chat_msg_set_parts(a, m, &parts);
    s->unknown += parts.unknown;

    if (ak_str_eq(type, AK_STR("assistant"))) {
        m->role = CHAT_ROLE_ASSISTANT, m->author = AK_STR("assistant");
        AkStr model = str_of(message, "model");
        if (model.len && !ak_str_eq(model, AK_STR("<synthetic>"))) s->model = ak_str_copy(a, model);
    } else if (ak_str_eq(type, AK_STR("system"))) {
        AkStr sub = str_of(rec, "subtype");
        m->role = CHAT_ROLE_SYSTEM;
        m->author = sub.len ? ak_str_pushf(a, "system:%.*s", AK_STR_FMT(sub)) : AK_STR("system");
    } else if (blocks && results == blocks) { // a user record that only carries tool results
        m->role = CHAT_ROLE_TOOL, m->author = AK_STR("tool");
    } else {
        m->role = CHAT_ROLE_USER, m->author = AK_STR("user");
        if (!m->hidden && m->text.len && !is_command_text(m->text)) {
            AkStr *first = sidechain ? &s->first_side_prompt : &s->first_prompt; // a subagent's file has only these
            if (!first->len) *first = m->text;
        }
    }
    if (!sidechain || s->all_sidechain) s->leaf = m->uuid;
    return true;
}

bool chat_claude_code_finish(ChatClaudeCode *s, ChatConv *out, ChatError *err) {
    AkArena *a = s->a;
    memset(out, 0, sizeof *out);
    err->msg[0] = 0;
    if (!s->msgs.count) return false; // snapshots or summaries only: no conversation in this file
    if (!s->session.len) return chat_fail(err, "%u messages but no sessionId in any record", s->msgs.count);
    out->source = CHAT_SOURCE_CLAUDE_CODE;
    out->uuid = s->all_sidechain && s->agent.len ? ak_str_pushf(a, "%.*s/agent-%.*s", AK_STR_FMT(s->session), AK_STR_FMT(s->agent))
                                                 : s->session;
    out->model = s->model;
    out->created = s->created, out->updated = s->updated;
    out->unknown_parts = s->unknown;

    // A uuid written twice (a resumed session repeats lines) is one message: the first stays.
    uint32_t n = s->msgs.count, kept = 0;
    AkMap ids;
    if (!chat_idmap_init(a, &ids, n)) return chat_fail(err, "out of memory indexing %u messages", n);
    for (uint32_t i = 0; i < n; i++) {
        if (chat_idmap_get(&ids, s->msgs.items[i].uuid) >= 0) continue;
        chat_idmap_put(&ids, s->msgs.items[i].uuid, (int32_t)kept);
        s->msgs.items[kept++] = s->msgs.items[i];
    }
    // The title: the latest summary of a message in this file (a file can also carry summaries
    // of other sessions: their leafUuid is elsewhere), else the first prompt.
    AkStr summary = ak_str("", 0);
    for (const Summary *x = s->summaries; x && !summary.len; x = x->prev)
        if (chat_idmap_get(&ids, x->leaf) >= 0) summary = x->text;
    AkStr title = chat_title_from(a, summary.len ? summary : s->first_prompt.len ? s->first_prompt : s->first_side_prompt);
    if (s->all_sidechain) title = ak_str_pushf(a, "(subagent) %.*s", AK_STR_FMT(title));
    out->title = chat_title_with_project(a, s->cwd, title);
    int32_t *parent = ak_push_array(a, int32_t, kept ? kept : 1);
    if (!parent) return chat_fail(err, "out of memory for %u messages", kept);
    for (uint32_t i = 0; i < kept; i++) {
        ChatMsg *m = &s->msgs.items[i];
        parent[i] = m->parent_uuid.len ? chat_idmap_get(&ids, m->parent_uuid) : -1;
    }
    out->msgs = s->msgs.items;
    out->msg_count = kept;
    if (!chat_thread_order(a, out, parent, s->leaf.len ? chat_idmap_get(&ids, s->leaf) : -1))
        return chat_fail(err, "out of memory ordering %u messages", kept);
    return true;
}
