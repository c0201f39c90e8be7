// import_claude.c: one Claude.ai conversation object (conversations.json) into a ChatConv.
// What the exports hold (see samples/README.md): `chat_messages[]` with `sender`, `text` (empty
// in newer exports, the body then lives in `content[]` blocks: text, thinking, tool_use,
// tool_result and new kinds over time), `attachments[]` with extracted_content, `files[]` with
// names only, and `parent_message_uuid` (the all-zero uuid marks the root) making edits into
// branches. The skeleton (uuids, sender, times, the arrays) is checked strictly; a block this
// code cannot read is kept as raw JSON instead, so a new block kind never aborts an import.
#include "chat/import.h"

#include <math.h>
#include <stdlib.h>

#define K(kind) CHAT_KIND_BIT(CHAT_JSON_##kind)

#define CLAUDE_ROOT "00000000-0000-4000-8000-000000000000" // parent of the first message

// A field of a block, only if it is a string (or missing/null: ""); false for any other kind.
static bool block_str(const ChatJson *b, const char *key, AkStr *out) {
    const ChatJson *v = chat_json_get(b, key);
    *out = ak_str("", 0);
    if (!v || v->kind == CHAT_JSON_NULL) return true;
    if (v->kind != CHAT_JSON_STRING) return false;
    *out = v->str;
    return true;
}

// "name #id" for a tool part whose call has an id (conv.h); the name alone otherwise.
static AkStr tool_name(AkArena *a, AkStr name, const ChatJson *b, const char *id_key) {
    const ChatJson *id = chat_json_get(b, id_key);
    if (!id || id->kind != CHAT_JSON_STRING || !id->str.len) return name;
    AkStr s = ak_str_pushf(a, "%.*s%s#%.*s", AK_STR_FMT(name), name.len ? " " : "", AK_STR_FMT(id->str));
    return s.ptr ? s : name;
}

// A knowledge item (web search and project knowledge results): its title, url and text.
static bool knowledge_text(AkArena *a, const ChatJson *it, AkStr *url, AkStr *text) {
    AkStr title, body;
    if (it->kind != CHAT_JSON_OBJECT || !block_str(it, "title", &title) || !block_str(it, "url", url) ||
        !block_str(it, "text", &body))
        return false;
    *text = title.len && body.len ? ak_str_pushf(a, "%.*s\n\n%.*s", AK_STR_FMT(title), AK_STR_FMT(body)) : title.len ? title : body;
    return text->ptr != NULL;
}

// tool_result content: a string, or items of which the text ones (and the readable part of
// knowledge items) are joined and others kept raw.
static bool tool_result_text(AkArena *a, const ChatJson *content, AkStr *out) {
    *out = ak_str("", 0);
    if (!content || content->kind == CHAT_JSON_NULL) return true;
    if (content->kind == CHAT_JSON_STRING) return (*out = content->str), true;
    if (content->kind != CHAT_JSON_ARRAY) return false;
    uint64_t len = 0;
    AkStr *pieces = ak_push_array(a, AkStr, content->count);
    if (!pieces) return false;
    uint32_t k = 0;
    for (const ChatJson *it = content->child; it; it = it->next, k++) {
        const ChatJson *type = chat_json_get(it, "type"), *text = chat_json_get(it, "text");
        bool typed = type && type->kind == CHAT_JSON_STRING;
        bool is_text = typed && ak_str_eq(type->str, AK_STR("text")) && text && text->kind == CHAT_JSON_STRING;
        AkStr url, body;
        if (is_text) pieces[k] = text->str;
        else if (typed && ak_str_eq(type->str, AK_STR("knowledge")) && knowledge_text(a, it, &url, &body))
            pieces[k] = url.len ? ak_str_pushf(a, "%.*s\n%.*s", AK_STR_FMT(body), AK_STR_FMT(url)) : body;
        else pieces[k] = chat_json_write(a, it);
        if (!pieces[k].ptr) return false; // out of memory: the caller keeps the block raw (or says so)
        len += pieces[k].len + (k ? 1 : 0);
    }
    char *p = ak_arena_push_nz(a, len + 1, 1);
    if (!p) return false;
    uint64_t at = 0;
    for (uint32_t i = 0; i < k; i++) {
        if (i) p[at++] = '\n';
        memcpy(p + at, pieces[i].ptr, (size_t)pieces[i].len);
        at += pieces[i].len;
    }
    p[at] = 0;
    *out = ak_str(p, at);
    return true;
}

// The raw JSON of obj without its member `skip` (a shallow copy of the member list).
static AkStr json_without(AkArena *a, const ChatJson *obj, const char *skip) {
    ChatJson copy = *obj, *prev = NULL;
    copy.child = NULL, copy.count = 0;
    for (const ChatJson *c = obj->child; c; c = c->next) {
        if (ak_str_eq(c->key, ak_str_cstr(skip))) continue;
        ChatJson *n = ak_push_struct(a, ChatJson);
        if (!n) return ak_str("", 0);
        *n = *c, n->next = NULL;
        if (prev) prev->next = n;
        else copy.child = n;
        prev = n, copy.count++;
    }
    return chat_json_write(a, &copy);
}

// One content block into parts; false if its shape is not the one its type promises (the
// caller then keeps the whole block raw).
static bool claude_block(AkArena *a, ChatPartList *parts, const ChatJson *b, bool *has_text) {
    AkStr type, name, text;
    if (b->kind != CHAT_JSON_OBJECT || !block_str(b, "type", &type)) return false;
    if (ak_str_eq(type, AK_STR("text"))) {
        const ChatJson *cites = chat_json_get(b, "citations");
        if (!block_str(b, "text", &text)) return false;
        *has_text = true;
        if (text.len) chat_parts_add(a, parts, CHAT_PART_TEXT, ak_str("", 0), text);
        // Where each claim came from: kept as the export wrote it (urls and titles stay searchable).
        if (cites && !(cites->kind == CHAT_JSON_NULL || (cites->kind == CHAT_JSON_ARRAY && !cites->count)))
            chat_parts_add(a, parts, CHAT_PART_META, AK_STR("citations"), chat_json_write(a, cites));
        return true;
    }
    if (ak_str_eq(type, AK_STR("thinking"))) {
        const ChatJson *sums = chat_json_get(b, "summaries");
        if (!block_str(b, "thinking", &text)) return false;
        chat_parts_add(a, parts, CHAT_PART_THINKING, ak_str("", 0), text);
        for (const ChatJson *it = sums && sums->kind == CHAT_JSON_ARRAY ? sums->child : NULL; it; it = it->next) {
            AkStr sum;
            if (it->kind == CHAT_JSON_OBJECT && block_str(it, "summary", &sum)) {
                if (sum.len) chat_parts_add(a, parts, CHAT_PART_THINKING, AK_STR("summary"), sum);
            } else {
                chat_parts_add(a, parts, CHAT_PART_META, AK_STR("summary"), chat_json_write(a, it));
            }
        }
        if (sums && sums->kind != CHAT_JSON_ARRAY && sums->kind != CHAT_JSON_NULL)
            chat_parts_add(a, parts, CHAT_PART_META, AK_STR("summaries"), chat_json_write(a, sums));
        return true;
    }
    if (ak_str_eq(type, AK_STR("tool_use"))) {
        const ChatJson *input = chat_json_get(b, "input");
        if (!block_str(b, "name", &name)) return false;
        AkStr full = tool_name(a, name, b, "id");
        const ChatJson *body = input && input->kind == CHAT_JSON_OBJECT ? chat_json_get(input, "content") : NULL;
        if (ak_str_eq(name, AK_STR("artifacts")) && body && body->kind == CHAT_JSON_STRING) {
            // An artifact is the assistant's output: its body as text, the rest (id, title,
            // type, command) as the export wrote it.
            chat_parts_add(a, parts, CHAT_PART_TOOL_USE, full, body->str);
            chat_parts_add(a, parts, CHAT_PART_META, AK_STR("artifacts input"), json_without(a, input, "content"));
            return true;
        }
        text = input && input->kind == CHAT_JSON_STRING ? input->str : chat_json_write(a, input);
        chat_parts_add(a, parts, CHAT_PART_TOOL_USE, full, text);
        return true;
    }
    if (ak_str_eq(type, AK_STR("tool_result"))) {
        const ChatJson *is_error = chat_json_get(b, "is_error");
        if (!block_str(b, "name", &name) || !tool_result_text(a, chat_json_get(b, "content"), &text)) return false;
        if (is_error && is_error->kind != CHAT_JSON_TRUE && is_error->kind != CHAT_JSON_FALSE &&
            is_error->kind != CHAT_JSON_NULL)
            return false;
        ChatPart *p = chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, tool_name(a, name, b, "tool_use_id"), text);
        if (p) p->is_error = is_error && is_error->kind == CHAT_JSON_TRUE;
        return true;
    }
    if (ak_str_eq(type, AK_STR("injected_prompt_block"))) {
        // Context the system put into the turn (a date note, a memory snapshot): searchable,
        // but not the message's text.
        if (!block_str(b, "prompt", &text) || !block_str(b, "injection_source", &name)) return false;
        chat_parts_add(a, parts, CHAT_PART_CONTEXT, name, text);
        return true;
    }
    if (ak_str_eq(type, AK_STR("knowledge"))) {
        if (!knowledge_text(a, b, &name, &text)) return false;
        chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, name, text);
        return true;
    }
    if (ak_str_eq(type, AK_STR("token_budget"))) {
        chat_parts_add(a, parts, CHAT_PART_META, type, chat_json_write(a, b));
        return true;
    }
    return false;
}

// Per-block start_timestamp / stop_timestamp (2025+ exports), one [start, stop] pair per block
// in order, kept as one META part "block_times" when any block has them. Not checked as dates:
// they are kept as written, never a reason to refuse a conversation.
static void claude_block_times(AkArena *a, ChatPartList *parts, const ChatJson *content) {
    bool any = false;
    for (const ChatJson *b = content ? content->child : NULL; b && !any; b = b->next)
        any = chat_json_get(b, "start_timestamp") || chat_json_get(b, "stop_timestamp");
    if (!any) return;
    AkStrBuilder sb = ak_str_builder(a);
    ak_str_builder_append(&sb, AK_STR("["));
    for (const ChatJson *b = content->child; b; b = b->next) {
        const ChatJson *t0 = chat_json_get(b, "start_timestamp"), *t1 = chat_json_get(b, "stop_timestamp");
        AkStr s0 = t0 ? chat_json_write(a, t0) : AK_STR("null"), s1 = t1 ? chat_json_write(a, t1) : AK_STR("null");
        ak_str_builder_appendf(&sb, "%s[%.*s,%.*s]", b == content->child ? "" : ",", AK_STR_FMT(s0), AK_STR_FMT(s1));
    }
    ak_str_builder_append(&sb, AK_STR("]"));
    AkStr all = ak_str_builder_finish(&sb, a);
    if (!all.ptr) parts->oom = true;
    else chat_parts_add(a, parts, CHAT_PART_META, AK_STR("block_times"), all);
}

// attachments[] (name and extracted text) and files[] (names only).
static void claude_files(ChatNorm *n, ChatPartList *parts, const ChatJson *m) {
    const ChatJson *att = chat_norm_get(n, m, "attachments", K(ARRAY), CHAT_NORM_OPTIONAL);
    for (const ChatJson *f = att ? att->child : NULL; f; f = f->next) {
        AkStr name, text;
        if (f->kind == CHAT_JSON_OBJECT && block_str(f, "file_name", &name) && block_str(f, "extracted_content", &text))
            chat_parts_add(n->arena, parts, CHAT_PART_ATTACHMENT, name, text);
        else
            chat_parts_add_unknown(n->arena, parts, AK_STR("attachment"), f);
    }
    // Newer exports repeat files[] as files_v2[]; read the second only when the first is empty.
    const ChatJson *files = chat_norm_get(n, m, "files", K(ARRAY), CHAT_NORM_OPTIONAL);
    if (!files || !files->count) files = chat_norm_get(n, m, "files_v2", K(ARRAY), CHAT_NORM_OPTIONAL);
    for (const ChatJson *f = files ? files->child : NULL; f; f = f->next) {
        AkStr name;
        if (f->kind == CHAT_JSON_OBJECT && block_str(f, "file_name", &name))
            chat_parts_add(n->arena, parts, CHAT_PART_FILE, name, ak_str("", 0));
        else
            chat_parts_add_unknown(n->arena, parts, AK_STR("file"), f);
    }
}

static bool claude_message(ChatNorm *n, const ChatJson *m, ChatMsg *msg, AkStr *parent, bool *has_parent,
                           uint32_t *unknown) {
    n->msg_uuid = ak_str("", 0);
    if (m->kind != CHAT_JSON_OBJECT)
        return chat_norm_fail_at(n, m->offset, "chat_messages element at byte %llu: expected object, found %s",
                                 (unsigned long long)m->offset, chat_json_kind_name(m->kind));
    msg->uuid = chat_norm_str(n, m, "uuid", CHAT_NORM_REQUIRED);
    if (n->failed) return false;
    n->msg_uuid = msg->uuid;
    msg->author = chat_norm_str(n, m, "sender", CHAT_NORM_REQUIRED);
    msg->role = ak_str_eq(msg->author, AK_STR("human")) ? CHAT_ROLE_USER
              : ak_str_eq(msg->author, AK_STR("assistant")) ? CHAT_ROLE_ASSISTANT : CHAT_ROLE_OTHER;
    msg->created = chat_norm_iso_time(n, m, "created_at");
    const ChatJson *p = chat_norm_get(n, m, "parent_message_uuid", K(STRING), CHAT_NORM_OPTIONAL);
    // Only a real link counts: messages that all hang off the root sentinel (or have no parent)
    // read in time order, as the older exports without links do (their array order is not the
    // thread: real 2024 exports list chat_messages out of time order).
    *has_parent = p && p->str.len && !ak_str_eq(p->str, AK_STR(CLAUDE_ROOT));
    *parent = p ? p->str : ak_str("", 0);
    AkStr text = chat_norm_str(n, m, "text", CHAT_NORM_OPTIONAL);
    const ChatJson *content = chat_norm_get(n, m, "content", K(ARRAY), CHAT_NORM_OPTIONAL);
    if (n->failed) return false;

    ChatPartList parts = {0};
    bool has_text = false;
    for (const ChatJson *b = content ? content->child : NULL; b; b = b->next) {
        if (!claude_block(n->arena, &parts, b, &has_text)) {
            const ChatJson *type = chat_json_get(b, "type");
            chat_parts_add_unknown(n->arena, &parts, type && type->kind == CHAT_JSON_STRING ? type->str : ak_str("", 0), b);
        }
    }
    // Old exports have only `text`; 2024 ones repeat the text block's body there (store it
    // once); newer ones leave it empty. Keep it only when no block carried the text.
    if (!has_text && text.len) {
        chat_parts_add(n->arena, &parts, CHAT_PART_TEXT, ak_str("", 0), text);
        if (parts.count > 1) { // the body first, then what the blocks held
            ChatPart body = parts.items[parts.count - 1];
            memmove(parts.items + 1, parts.items, (parts.count - 1) * sizeof *parts.items);
            parts.items[0] = body;
        }
    }
    claude_block_times(n->arena, &parts, content);
    claude_files(n, &parts, m);
    if (n->failed) return false;
    if (parts.oom) return chat_norm_fail_at(n, m->offset, "out of memory for the parts of a message");
    chat_msg_set_parts(n->arena, msg, &parts);
    *unknown += parts.unknown;
    return true;
}

// Messages of a conversation without parent links, by creation time; equal times keep array
// order (the index breaks ties, which makes qsort stable).
typedef struct TimeOrder {
    double created;
    int32_t idx;
} TimeOrder;

static int time_order_cmp(const void *pa, const void *pb) {
    const TimeOrder *x = pa, *y = pb;
    if (x->created != y->created) return x->created < y->created ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

bool chat_import_claude(AkArena *a, const ChatJson *obj, ChatConv *out, ChatError *err) {
    ChatNorm n = {.arena = a, .err = err, .conv_obj = obj};
    memset(out, 0, sizeof *out);
    out->source = CHAT_SOURCE_CLAUDE;
    out->byte_offset = obj->offset;
    out->uuid = chat_norm_str(&n, obj, "uuid", CHAT_NORM_REQUIRED);
    if (n.failed) return false;
    n.conv_uuid = out->uuid;
    out->title = chat_norm_str(&n, obj, "name", CHAT_NORM_OPTIONAL);
    out->model = chat_norm_str(&n, obj, "model", CHAT_NORM_OPTIONAL);
    out->created = chat_norm_iso_time(&n, obj, "created_at");
    out->updated = chat_norm_iso_time(&n, obj, "updated_at");
    // The leaf the person last looked at (2025+ exports): it picks the visible thread.
    AkStr current_leaf = chat_norm_str(&n, obj, "current_leaf_message_uuid", CHAT_NORM_OPTIONAL);
    const ChatJson *list = chat_norm_get(&n, obj, "chat_messages", K(ARRAY), CHAT_NORM_REQUIRED);
    if (n.failed) return false;

    uint32_t count = list->count;
    out->msgs = ak_push_array(a, ChatMsg, count);
    AkStr *parents = ak_push_array(a, AkStr, count);
    int32_t *parent = ak_push_array(a, int32_t, count);
    AkMap ids;
    if (!out->msgs || !parents || !parent || !chat_idmap_init(a, &ids, count))
        return chat_norm_fail_at(&n, obj->offset, "out of memory for %u messages", count);
    bool any_parent = false;
    uint32_t i = 0;
    for (const ChatJson *m = list->child; m; m = m->next, i++) {
        bool has_parent = false;
        if (!claude_message(&n, m, &out->msgs[i], &parents[i], &has_parent, &out->unknown_parts)) return false;
        any_parent |= has_parent;
        chat_idmap_put(&ids, out->msgs[i].uuid, (int32_t)i);
    }
    out->msg_count = count;
    n.msg_uuid = ak_str("", 0);
    int64_t leaf = -1;
    if (!any_parent) { // no links (older exports): the thread is every message by creation time
        TimeOrder *order = ak_push_array_nz(a, TimeOrder, count ? count : 1);
        if (!order) return chat_norm_fail_at(&n, obj->offset, "out of memory ordering %u messages", count);
        for (i = 0; i < count; i++) {
            // A message without a time stays right after the one before it in the array.
            double t = out->msgs[i].created;
            order[i] = (TimeOrder){t != CHAT_TIME_UNKNOWN ? t : i ? order[i - 1].created : -INFINITY, (int32_t)i};
        }
        qsort(order, count, sizeof *order, time_order_cmp);
        for (i = 0; i < count; i++) {
            int32_t k = order[i].idx;
            parent[k] = i ? order[i - 1].idx : -1;
            out->msgs[k].parent_uuid = i ? out->msgs[order[i - 1].idx].uuid : ak_str("", 0);
        }
        leaf = count ? order[count - 1].idx : -1;
    }
    for (i = 0; i < count && any_parent; i++) {
        ChatMsg *msg = &out->msgs[i];
        if (ak_str_eq(parents[i], AK_STR(CLAUDE_ROOT)) || !parents[i].len) {
            parent[i] = -1;
        } else {
            parent[i] = chat_idmap_get(&ids, parents[i]); // -1 for a parent not in the export
            msg->parent_uuid = parents[i];
        }
    }
    if (any_parent && current_leaf.len) leaf = chat_idmap_get(&ids, current_leaf); // -1 (latest leaf) if absent
    if (!chat_thread_order(a, out, parent, leaf))
        return chat_norm_fail_at(&n, obj->offset, "out of memory ordering %u messages", count);
    return true;
}
