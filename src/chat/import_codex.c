// import_codex.c: one OpenAI Codex CLI rollout (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl,
// JSON Lines) into a ChatConv. What the records hold, from the format's public descriptions:
//  - the current shape wraps each line as {timestamp, type, payload}: `session_meta` (payload
//    id, timestamp, cwd, cli_version, git), `turn_context` (model, cwd), `response_item` (what
//    the model saw and said), `event_msg` (the UI's copy of the same turns, token counts:
//    skipped, or every turn would be stored twice), `compacted` (skipped);
//  - older files have no wrapper: a first line {id, timestamp, instructions}, `record_type`
//    state lines (skipped), then the response items themselves;
//  - response items: `message` (role user / assistant / developer / system, content[] of
//    input_text / output_text, input_image), `reasoning` (summary[] of summary_text; encrypted
//    content alone is unreadable and skipped), `function_call` (name, arguments as a JSON string,
//    call_id), `function_call_output` (call_id, output), `custom_tool_call` / `_output`,
//    `local_shell_call`, `web_search_call`; other kinds are kept as raw JSON.
// A chat is a file; its uuid is the session id (session_meta), which appending never changes, so
// a re-import of a grown rollout updates the same chat. Items have no ids: a message's uuid is
// its line number in the file (stable as the file grows), and the thread is the file's order.
// Context Codex injects as user or developer messages (<environment_context>, AGENTS.md and
// <user_instructions> blocks, developer instructions) is kept hidden. The title is the first
// prompt, prefixed with the project (the last part of `cwd`).
#include "chat/sources.h"

struct ChatCodex {
    AkArena *a;
    ChatMsgList msgs;
    AkStr *calls;      // per message: the call_id of a tool call ("" otherwise), for naming results
    AkStr *call_names; // per message: that call's tool name
    uint32_t calls_cap;
    AkStr session, cwd, model, first_prompt;
    double created, updated;
    uint32_t unknown;
};

static AkStr str_of(const ChatJson *obj, const char *key) {
    const ChatJson *v = obj ? chat_json_get(obj, key) : NULL;
    return v && v->kind == CHAT_JSON_STRING ? v->str : ak_str("", 0);
}

static bool is(AkStr s, const char *lit) { return ak_str_eq(s, ak_str_cstr(lit)); }

static const char *const wrapper_types[] = {"session_meta", "response_item", "event_msg", "turn_context", "compacted", NULL};
static const char *const item_types[] = {"message", "reasoning", "function_call", "function_call_output", "custom_tool_call",
                                         "custom_tool_call_output", "local_shell_call", "web_search_call", NULL};

static bool type_in(AkStr t, const char *const *list) {
    for (; *list; list++)
        if (is(t, *list)) return true;
    return false;
}

// A first line's keys: the types a rollout starts with (fewer than a record may have: what the
// detection has always taken), a payload wrapper, or the older bare first line {id, timestamp,
// instructions} (instructions can be long: only its key need be in the head).
static const char *const head_types[] = {"session_meta", "response_item", "event_msg", "turn_context", "compacted",
                                         "message", "reasoning", "function_call", "function_call_output", NULL};

bool chat_codex_claims_head(const ChatSourceHead *h) {
    bool type = chat_source_head_has(h, "type");
    if (chat_source_head_has(h, "record_type")) return true;
    if (type && chat_source_head_has(h, "payload")) return true;
    if (!type && chat_source_head_has(h, "id") && chat_source_head_has(h, "timestamp") &&
        chat_source_head_has(h, "instructions"))
        return true;
    return type && type_in(chat_source_head_str(h, "type"), head_types);
}

bool chat_codex_is_record(const ChatJson *rec) {
    if (!rec || rec->kind != CHAT_JSON_OBJECT || chat_json_get(rec, "sessionId")) return false;
    AkStr type = str_of(rec, "type");
    const ChatJson *payload = chat_json_get(rec, "payload");
    if (payload && payload->kind == CHAT_JSON_OBJECT) return type_in(type, wrapper_types);
    if (chat_json_get(rec, "record_type")) return true;
    if (type_in(type, item_types)) return true;
    return !type.len && str_of(rec, "id").len && (chat_json_get(rec, "instructions") || chat_json_get(rec, "timestamp"));
}

ChatCodex *chat_codex_begin(AkArena *a) {
    ChatCodex *s = ak_push_struct(a, ChatCodex);
    if (!s) return NULL;
    s->a = a;
    s->created = s->updated = CHAT_TIME_UNKNOWN;
    return s;
}

static double time_of(const ChatJson *obj, const char *key) {
    AkStr ts = str_of(obj, key);
    double t;
    return ts.len && chat_parse_iso_time(ts, &t) ? t : CHAT_TIME_UNKNOWN;
}

static void note_time(ChatCodex *s, double t) {
    if (t == CHAT_TIME_UNKNOWN) return;
    if (s->created == CHAT_TIME_UNKNOWN || t < s->created) s->created = t;
    if (t > s->updated) s->updated = t;
}

static bool injected_context(AkStr t) {
    static const char *const openers[] = {"<environment_context>", "<user_instructions>", "# AGENTS.md instructions",
                                          "<permissions instructions>", "<user_shell_command>", NULL};
    t = ak_str_trim_left(t);
    for (const char *const *o = openers; *o; o++)
        if (ak_str_starts_with(t, ak_str_cstr(*o))) return true;
    return false;
}

// A message at the end of the list, with its call slots kept in step.
static ChatMsg *new_msg(ChatCodex *s, uint64_t line, double t, ChatError *err) {
    ChatMsg *m = chat_msgs_push(s->a, &s->msgs);
    if (m && s->msgs.count > s->calls_cap) {
        uint32_t cap = s->calls_cap ? s->calls_cap * 2 : 16;
        AkStr *c = ak_push_array(s->a, AkStr, cap), *nm = ak_push_array(s->a, AkStr, cap);
        if (!c || !nm) m = NULL;
        else {
            if (s->calls_cap) memcpy(c, s->calls, s->calls_cap * sizeof *c), memcpy(nm, s->call_names, s->calls_cap * sizeof *nm);
            s->calls = c, s->call_names = nm, s->calls_cap = cap;
        }
    }
    if (!m) return chat_fail(err, "out of memory for message %u", s->msgs.count), NULL;
    m->uuid = ak_str_pushf(s->a, "%.*s:%llu", AK_STR_FMT(s->session.len ? s->session : AK_STR("line")), (unsigned long long)line);
    m->created = t;
    note_time(s, t);
    return m;
}

static AkStr output_text(AkArena *a, const ChatJson *out, bool *is_error) {
    *is_error = false;
    if (!out || out->kind == CHAT_JSON_NULL) return ak_str("", 0);
    if (out->kind == CHAT_JSON_STRING) return ak_str_copy(a, out->str);
    if (out->kind == CHAT_JSON_OBJECT) {
        const ChatJson *ok = chat_json_get(out, "success");
        *is_error = ok && ok->kind == CHAT_JSON_FALSE;
        const ChatJson *c = chat_json_get(out, "content");
        if (c && c->kind == CHAT_JSON_STRING) return ak_str_copy(a, c->str);
    }
    return chat_json_write(a, out);
}

static bool item(ChatCodex *s, const ChatJson *p, uint64_t line, double t, ChatError *err) {
    AkArena *a = s->a;
    AkStr type = str_of(p, "type");
    ChatPartList parts = {0};
    ChatRole role = CHAT_ROLE_ASSISTANT;
    AkStr author = AK_STR("assistant"), call = {0}, call_name = {0};
    bool hidden = false;
    if (is(type, "message")) {
        AkStr r = str_of(p, "role");
        const ChatJson *content = chat_json_get(p, "content");
        if (content && content->kind == CHAT_JSON_STRING) {
            if (content->str.len) chat_parts_add(a, &parts, CHAT_PART_TEXT, ak_str("", 0), ak_str_copy(a, content->str));
        } else if (content && content->kind == CHAT_JSON_ARRAY) {
            for (const ChatJson *c = content->child; c; c = c->next) {
                AkStr ct = str_of(c, "type"), text = str_of(c, "text");
                if ((is(ct, "input_text") || is(ct, "output_text") || is(ct, "text")) && chat_json_get(c, "text")) {
                    if (text.len) chat_parts_add(a, &parts, CHAT_PART_TEXT, ak_str("", 0), ak_str_copy(a, text));
                } else if (is(ct, "input_image")) {
                    AkStr url = str_of(c, "image_url");
                    chat_parts_add(a, &parts, CHAT_PART_IMAGE, ak_str_starts_with(url, AK_STR("data:")) ? AK_STR("data:") : ak_str_copy(a, url),
                                   ak_str("", 0));
                } else {
                    chat_parts_add_unknown(a, &parts, ak_str_copy(a, ct), c);
                }
            }
        } else if (content && content->kind != CHAT_JSON_NULL) {
            return chat_fail(err, "a message whose content is a %s", chat_json_kind_name(content->kind));
        }
        role = is(r, "user") ? CHAT_ROLE_USER : is(r, "assistant") ? CHAT_ROLE_ASSISTANT
             : is(r, "developer") || is(r, "system") ? CHAT_ROLE_SYSTEM : CHAT_ROLE_OTHER;
        author = r.len ? ak_str_copy(a, r) : AK_STR("unknown");
        hidden = role == CHAT_ROLE_SYSTEM;
    } else if (is(type, "reasoning")) {
        static const char *const lists[] = {"summary", "content"};
        for (size_t k = 0; k < AK_ARRAY_COUNT(lists); k++) {
            const ChatJson *l = chat_json_get(p, lists[k]);
            for (const ChatJson *c = l && l->kind == CHAT_JSON_ARRAY ? l->child : NULL; c; c = c->next) {
                AkStr text = c->kind == CHAT_JSON_STRING ? c->str : str_of(c, "text");
                if (text.len) chat_parts_add(a, &parts, CHAT_PART_THINKING, ak_str("", 0), ak_str_copy(a, text));
            }
        }
        if (!parts.count) return true; // encrypted only: nothing a person can read
    } else if (is(type, "function_call") || is(type, "custom_tool_call")) {
        const ChatJson *args = chat_json_get(p, is(type, "function_call") ? "arguments" : "input");
        call_name = ak_str_copy(a, str_of(p, "name"));
        call = ak_str_copy(a, str_of(p, "call_id"));
        chat_parts_add(a, &parts, CHAT_PART_TOOL_USE, call_name,
                       args && args->kind == CHAT_JSON_STRING ? ak_str_copy(a, args->str) : chat_json_write(a, args));
    } else if (is(type, "local_shell_call") || is(type, "web_search_call")) {
        call_name = is(type, "local_shell_call") ? AK_STR("shell") : AK_STR("web_search");
        call = ak_str_copy(a, str_of(p, "call_id"));
        chat_parts_add(a, &parts, CHAT_PART_TOOL_USE, call_name, chat_json_write(a, chat_json_get(p, "action")));
    } else if (is(type, "function_call_output") || is(type, "custom_tool_call_output")) {
        AkStr id = str_of(p, "call_id"), name = {0};
        for (uint32_t i = s->msgs.count; i-- > 0 && !name.len;) // the call, usually just before
            if (s->calls[i].len && ak_str_eq(s->calls[i], id)) name = s->call_names[i];
        bool is_error;
        AkStr text = output_text(a, chat_json_get(p, "output"), &is_error);
        ChatPart *part = chat_parts_add(a, &parts, CHAT_PART_TOOL_RESULT, name.len ? name : ak_str_copy(a, id), text);
        if (part) part->is_error = is_error;
        role = CHAT_ROLE_TOOL, author = AK_STR("tool");
    } else {
        chat_parts_add_unknown(a, &parts, ak_str_copy(a, type), p);
        role = CHAT_ROLE_OTHER, author = type.len ? ak_str_copy(a, type) : AK_STR("unknown");
    }
    if (parts.oom) return chat_fail(err, "out of memory for the parts of a %.*s item", AK_STR_FMT(ak_str_head(type, 40)));
    ChatMsg *m = new_msg(s, line, t, err);
    if (!m) return false;
    s->calls[s->msgs.count - 1] = call;
    s->call_names[s->msgs.count - 1] = call_name;
    m->role = role, m->author = author;
    chat_msg_set_parts(a, m, &parts);
    s->unknown += parts.unknown;
    if (role == CHAT_ROLE_USER && injected_context(m->text)) hidden = true;
    m->hidden = hidden;
    if (role == CHAT_ROLE_USER && !hidden && !s->first_prompt.len && m->text.len) s->first_prompt = m->text;
    return true;
}

bool chat_codex_record(ChatCodex *s, const ChatJson *rec, uint64_t line, ChatError *err) {
    AkArena *a = s->a;
    if (rec->kind != CHAT_JSON_OBJECT) return chat_fail(err, "a JSON %s, not a record object", chat_json_kind_name(rec->kind));
    AkStr type = str_of(rec, "type");
    const ChatJson *payload = chat_json_get(rec, "payload");
    double t = time_of(rec, "timestamp");
    if (payload && payload->kind == CHAT_JSON_OBJECT) {
        if (is(type, "session_meta")) {
            if (!s->session.len) s->session = ak_str_copy(a, str_of(payload, "id"));
            if (!s->cwd.len) s->cwd = ak_str_copy(a, str_of(payload, "cwd"));
            note_time(s, time_of(payload, "timestamp"));
            return true;
        }
        if (is(type, "turn_context")) {
            AkStr model = str_of(payload, "model");
            if (model.len) s->model = ak_str_copy(a, model);
            if (!s->cwd.len) s->cwd = ak_str_copy(a, str_of(payload, "cwd"));
            return true;
        }
        if (is(type, "response_item")) return item(s, payload, line, t, err);
        note_time(s, t);
        return true; // event_msg (the UI's copy of the turns), compacted, newer kinds
    }
    if (payload) return chat_fail(err, "a %.*s record whose payload is a %s, expected an object",
                                  AK_STR_FMT(ak_str_head(type, 40)), chat_json_kind_name(payload->kind));
    if (chat_json_get(rec, "record_type")) return true; // older files: state lines
    if (type.len) return item(s, rec, line, t, err);    // older files: a bare response item
    if (!s->session.len) s->session = ak_str_copy(a, str_of(rec, "id")); // older files: the first line
    note_time(s, t);
    return true;
}

bool chat_codex_finish(ChatCodex *s, ChatConv *out, ChatError *err) {
    AkArena *a = s->a;
    memset(out, 0, sizeof *out);
    err->msg[0] = 0;
    if (!s->msgs.count) return false;
    if (!s->session.len) return chat_fail(err, "%u messages but no session id (no session_meta record)", s->msgs.count);
    out->source = CHAT_SOURCE_CODEX;
    out->uuid = s->session;
    out->title = chat_title_with_project(a, s->cwd, chat_title_from(a, s->first_prompt));
    out->model = s->model;
    out->created = s->created, out->updated = s->updated;
    out->unknown_parts = s->unknown;
    uint32_t n = s->msgs.count;
    int32_t *parent = ak_push_array_nz(a, int32_t, n);
    if (!parent) return chat_fail(err, "out of memory for %u messages", n);
    // Messages made before the session id was known (it comes first in every file seen, but a
    // file may be cut) keep "line:N"; the thread is the file's order.
    for (uint32_t i = 0; i < n; i++) {
        parent[i] = (int32_t)i - 1;
        s->msgs.items[i].parent_uuid = i ? s->msgs.items[i - 1].uuid : ak_str("", 0);
    }
    out->msgs = s->msgs.items;
    out->msg_count = n;
    if (!chat_thread_order(a, out, parent, (int64_t)n - 1)) return chat_fail(err, "out of memory ordering %u messages", n);
    return true;
}
