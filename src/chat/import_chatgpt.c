// import_chatgpt.c: one ChatGPT conversation object (conversations.json or a
// conversations-NNN.json shard) into a ChatConv. The messages form a tree in `mapping` (node id
// → {message or null, parent, children}); the thread the person saw is the path from
// `current_node` up through `parent` links (children lists are not followed: they also hold
// abandoned regenerations, and newer exports may omit them). Nodes without a message (the
// root) are spliced out; hidden system context (metadata.is_visually_hidden_from_conversation)
// is kept but not visible. Content types this code does not know are kept as raw JSON.
#include "chat/import.h"

#define K(kind) CHAT_KIND_BIT(CHAT_JSON_##kind)

static bool is(AkStr s, const char *lit) { return ak_str_eq(s, ak_str_cstr(lit)); }

// A string member, or "" when missing or null; false for another kind.
static bool field_str(const ChatJson *obj, const char *key, AkStr *out) {
    const ChatJson *v = chat_json_get(obj, key);
    *out = ak_str("", 0);
    if (!v || v->kind == CHAT_JSON_NULL) return true;
    if (v->kind != CHAT_JSON_STRING) return false;
    *out = v->str;
    return true;
}

static AkStr join2(AkArena *a, AkStr x, AkStr y) {
    if (!x.len) return y;
    if (!y.len) return x;
    char *p = ak_arena_push_nz(a, x.len + y.len + 3, 1);
    if (!p) return x;
    memcpy(p, x.ptr, (size_t)x.len);
    memcpy(p + x.len, "\n\n", 2);
    memcpy(p + x.len + 2, y.ptr, (size_t)y.len);
    p[x.len + y.len + 2] = 0;
    return ak_str(p, x.len + y.len + 2);
}

// A web page the browsing tool read (sonic_webpage, a whole content or an object in parts[]):
// url as the name, title and text (or the snippet when there is no text) as the text.
static bool webpage(AkArena *a, ChatPartList *parts, const ChatJson *c) {
    AkStr url, title, text, snippet;
    if (!field_str(c, "url", &url) || !field_str(c, "title", &title) || !field_str(c, "text", &text) ||
        !field_str(c, "snippet", &snippet))
        return false;
    chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, url, join2(a, title, text.len ? text : snippet));
    return true;
}

// Audio (and video) in multimodal_text: the pointer as the name, the object raw (format, size,
// duration) as the text. A real-time conversation's part nests its audio pointer.
static bool media(AkArena *a, ChatPartList *parts, const ChatJson *p, AkStr type) {
    AkStr ptr = ak_str("", 0);
    if (!field_str(p, "asset_pointer", &ptr)) return false;
    if (is(type, "real_time_user_audio_video_asset_pointer")) {
        const ChatJson *audio = chat_json_get(p, "audio_asset_pointer");
        const ChatJson *video = chat_json_get(p, "video_container_asset_pointer");
        if (audio && audio->kind == CHAT_JSON_OBJECT) field_str(audio, "asset_pointer", &ptr);
        if (!ptr.len && video && video->kind == CHAT_JSON_OBJECT) field_str(video, "asset_pointer", &ptr);
    }
    chat_parts_add(a, parts, CHAT_PART_MEDIA, ptr, chat_json_write(a, p));
    return true;
}

// parts[] of text, multimodal_text and reasoning_recap: strings are text (of `kind`); objects
// are image and audio pointers, audio transcriptions, web pages, or kept raw.
static bool content_parts(AkArena *a, ChatPartList *parts, const ChatJson *list, ChatPartKind kind) {
    if (!list) return true;
    if (list->kind != CHAT_JSON_ARRAY) return false;
    for (const ChatJson *p = list->child; p; p = p->next) {
        AkStr type = ak_str("", 0), s;
        bool obj = p->kind == CHAT_JSON_OBJECT && field_str(p, "content_type", &type);
        if (p->kind == CHAT_JSON_NULL) continue;
        if (p->kind == CHAT_JSON_STRING) {
            if (p->str.len) chat_parts_add(a, parts, kind, ak_str("", 0), p->str);
        } else if (obj && is(type, "image_asset_pointer") && field_str(p, "asset_pointer", &s)) {
            chat_parts_add(a, parts, CHAT_PART_IMAGE, s, ak_str("", 0));
        } else if (obj && is(type, "audio_transcription") && field_str(p, "text", &s)) {
            if (s.len) chat_parts_add(a, parts, CHAT_PART_TEXT, ak_str("", 0), s);
        } else if (obj && (is(type, "audio_asset_pointer") || is(type, "real_time_user_audio_video_asset_pointer") ||
                           is(type, "video_container_asset_pointer")) && media(a, parts, p, type)) {
        } else if (obj && is(type, "sonic_webpage") && webpage(a, parts, p)) {
        } else {
            const ChatJson *t = chat_json_get(p, "content_type");
            chat_parts_add_unknown(a, parts, t && t->kind == CHAT_JSON_STRING ? t->str : ak_str("", 0), p);
        }
    }
    return true;
}

// The content object by its content_type; false if its shape is not the one the type promises
// (the caller then keeps it raw).
static bool chatgpt_content(AkArena *a, ChatPartList *parts, const ChatJson *c, AkStr type, AkStr tool, AkStr recipient) {
    AkStr s1, s2;
    if (is(type, "text") || is(type, "multimodal_text")) return content_parts(a, parts, chat_json_get(c, "parts"), CHAT_PART_TEXT);
    if (is(type, "sonic_webpage")) return webpage(a, parts, c);
    if (is(type, "code")) {
        if (!field_str(c, "text", &s1)) return false;
        chat_parts_add(a, parts, CHAT_PART_TOOL_USE, recipient, s1);
        return true;
    }
    if (is(type, "execution_output")) {
        if (!field_str(c, "text", &s1)) return false;
        chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, tool, s1);
        return true;
    }
    if (is(type, "system_error")) {
        if (!field_str(c, "name", &s1) || !field_str(c, "text", &s2)) return false;
        ChatPart *p = chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, s1, s2);
        if (p) p->is_error = true;
        return true;
    }
    if (is(type, "tether_browsing_display")) {
        if (!field_str(c, "result", &s1) || !field_str(c, "summary", &s2)) return false;
        chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, tool, join2(a, s1, s2));
        return true;
    }
    if (is(type, "tether_quote")) {
        AkStr url;
        if (!field_str(c, "url", &url) || !field_str(c, "title", &s1) || !field_str(c, "text", &s2)) return false;
        chat_parts_add(a, parts, CHAT_PART_TOOL_RESULT, url, join2(a, s1, s2));
        return true;
    }
    if (is(type, "thoughts")) {
        const ChatJson *list = chat_json_get(c, "thoughts");
        if (!list || list->kind != CHAT_JSON_ARRAY) return false;
        for (const ChatJson *t = list->child; t; t = t->next)
            if (t->kind != CHAT_JSON_OBJECT || !field_str(t, "summary", &s1) || !field_str(t, "content", &s2)) return false;
        for (const ChatJson *t = list->child; t; t = t->next) {
            field_str(t, "summary", &s1);
            field_str(t, "content", &s2);
            chat_parts_add(a, parts, CHAT_PART_THINKING, s1, s2);
        }
        return true;
    }
    if (is(type, "reasoning_recap")) { // "Thought for 12s": in `content`, or (newer) in `parts`
        if (!field_str(c, "content", &s1)) return false;
        if (s1.len) chat_parts_add(a, parts, CHAT_PART_THINKING, ak_str("", 0), s1);
        return content_parts(a, parts, chat_json_get(c, "parts"), CHAT_PART_THINKING);
    }
    if (is(type, "user_editable_context")) {
        if (!field_str(c, "user_profile", &s1) || !field_str(c, "user_instructions", &s2)) return false;
        if (s1.len) chat_parts_add(a, parts, CHAT_PART_TEXT, AK_STR("user_profile"), s1);
        if (s2.len) chat_parts_add(a, parts, CHAT_PART_TEXT, AK_STR("user_instructions"), s2);
        return true;
    }
    if (is(type, "model_editable_context")) {
        if (!field_str(c, "model_set_context", &s1)) return false;
        if (s1.len) chat_parts_add(a, parts, CHAT_PART_TEXT, AK_STR("model_set_context"), s1);
        return true;
    }
    return false;
}

static bool chatgpt_message(ChatNorm *n, const ChatJson *node, const ChatJson *m, ChatMsg *msg, uint32_t *unknown) {
    msg->uuid = chat_norm_str(n, m, "id", CHAT_NORM_OPTIONAL);
    if (!msg->uuid.len) msg->uuid = node->key;
    n->msg_uuid = msg->uuid;
    const ChatJson *author = chat_norm_get(n, m, "author", K(OBJECT), CHAT_NORM_REQUIRED);
    if (n->failed) return false;
    AkStr role = chat_norm_str(n, author, "role", CHAT_NORM_REQUIRED);
    AkStr tool = chat_norm_str(n, author, "name", CHAT_NORM_OPTIONAL);
    msg->created = chat_norm_epoch(n, m, "create_time");
    AkStr recipient = chat_norm_str(n, m, "recipient", CHAT_NORM_OPTIONAL);
    const ChatJson *content = chat_norm_get(n, m, "content", K(OBJECT), CHAT_NORM_OPTIONAL);
    const ChatJson *meta = chat_norm_get(n, m, "metadata", K(OBJECT), CHAT_NORM_OPTIONAL);
    if (n->failed) return false;

    msg->role = is(role, "user") ? CHAT_ROLE_USER : is(role, "assistant") ? CHAT_ROLE_ASSISTANT
              : is(role, "system") ? CHAT_ROLE_SYSTEM : is(role, "tool") ? CHAT_ROLE_TOOL : CHAT_ROLE_OTHER;
    msg->author = role;
    if (tool.len) { // "tool:python", "tool:browser"
        char *p = ak_arena_push_nz(n->arena, role.len + tool.len + 2, 1);
        if (p) {
            memcpy(p, role.ptr, (size_t)role.len);
            p[role.len] = ':';
            memcpy(p + role.len + 1, tool.ptr, (size_t)tool.len);
            p[role.len + tool.len + 1] = 0;
            msg->author = ak_str(p, role.len + tool.len + 1);
        }
    }
    // Tools of newer exports ("web.run") name who really spoke in metadata.real_author.
    const ChatJson *real = chat_json_get(meta, "real_author");
    if (real && real->kind == CHAT_JSON_STRING && real->str.len && !ak_str_eq(real->str, msg->author)) {
        AkStr both = ak_str_pushf(n->arena, "%.*s (real author: %.*s)", AK_STR_FMT(msg->author), AK_STR_FMT(real->str));
        if (both.ptr) msg->author = both;
    }
    const ChatJson *hidden = chat_json_get(meta, "is_visually_hidden_from_conversation");
    msg->hidden = hidden && hidden->kind == CHAT_JSON_TRUE;

    ChatPartList parts = {0};
    if (content) {
        AkStr type = ak_str("", 0);
        bool typed = field_str(content, "content_type", &type);
        uint32_t before = parts.count;
        if (!typed || !chatgpt_content(n->arena, &parts, content, type, tool, recipient.len ? recipient : tool)) {
            parts.count = before; // drop what a half-read shape added, keep the whole raw instead
            chat_parts_add_unknown(n->arena, &parts, type, content);
        }
    }
    // Files the person attached: names only (ChatGPT exports do not carry their text).
    const ChatJson *att = chat_json_get(meta, "attachments");
    for (const ChatJson *f = att && att->kind == CHAT_JSON_ARRAY ? att->child : NULL; f; f = f->next) {
        AkStr name;
        if (f->kind == CHAT_JSON_OBJECT && field_str(f, "name", &name))
            chat_parts_add(n->arena, &parts, CHAT_PART_FILE, name, ak_str("", 0));
        else
            chat_parts_add_unknown(n->arena, &parts, AK_STR("attachment"), f);
    }
    if (parts.oom) return chat_norm_fail_at(n, m->offset, "out of memory for the parts of a message");
    chat_msg_set_parts(n->arena, msg, &parts);
    *unknown += parts.unknown;
    return true;
}

bool chat_import_chatgpt(AkArena *a, const ChatJson *obj, ChatConv *out, ChatError *err) {
    ChatNorm n = {.arena = a, .err = err, .conv_obj = obj};
    memset(out, 0, sizeof *out);
    out->source = CHAT_SOURCE_CHATGPT;
    out->byte_offset = obj->offset;
    out->uuid = chat_norm_str(&n, obj, "conversation_id", CHAT_NORM_OPTIONAL);
    if (!out->uuid.len && !n.failed) out->uuid = chat_norm_str(&n, obj, "id", CHAT_NORM_REQUIRED);
    if (n.failed) return false;
    n.conv_uuid = out->uuid;
    out->title = chat_norm_str(&n, obj, "title", CHAT_NORM_OPTIONAL);
    out->model = chat_norm_str(&n, obj, "default_model_slug", CHAT_NORM_OPTIONAL);
    out->created = chat_norm_epoch(&n, obj, "create_time");
    out->updated = chat_norm_epoch(&n, obj, "update_time");
    AkStr current = chat_norm_str(&n, obj, "current_node", CHAT_NORM_OPTIONAL);
    const ChatJson *mapping = chat_norm_get(&n, obj, "mapping", K(OBJECT), CHAT_NORM_REQUIRED);
    if (n.failed) return false;

    // Nodes by id, their parent node, and the message index of those that carry one.
    uint32_t count = mapping->count, msgs = 0;
    const ChatJson **nodes = ak_push_array(a, const ChatJson *, count);
    const ChatJson **messages = ak_push_array(a, const ChatJson *, count);
    int32_t *node_parent = ak_push_array(a, int32_t, count), *msg_of = ak_push_array(a, int32_t, count);
    AkMap ids;
    if (!nodes || !messages || !node_parent || !msg_of || !chat_idmap_init(a, &ids, count))
        return chat_norm_fail_at(&n, obj->offset, "out of memory for %u nodes", count);
    uint32_t i = 0;
    for (const ChatJson *node = mapping->child; node; node = node->next, i++) {
        if (node->kind != CHAT_JSON_OBJECT)
            return chat_norm_fail_at(&n, node->key_offset, "mapping node \"%.*s\" at byte %llu: expected object, found %s",
                                     (int)AK_MIN(node->key.len, 64), node->key.ptr, (unsigned long long)node->key_offset,
                                     chat_json_kind_name(node->kind));
        nodes[i] = node;
        n.msg_uuid = node->key;
        messages[i] = chat_norm_get(&n, node, "message", K(OBJECT), CHAT_NORM_OPTIONAL);
        chat_norm_get(&n, node, "parent", K(STRING), CHAT_NORM_OPTIONAL);
        if (n.failed) return false;
        msg_of[i] = messages[i] ? (int32_t)msgs++ : -1;
        chat_idmap_put(&ids, node->key, (int32_t)i);
    }
    for (i = 0; i < count; i++) {
        const ChatJson *p = chat_json_get(nodes[i], "parent");
        node_parent[i] = p && p->kind == CHAT_JSON_STRING ? chat_idmap_get(&ids, p->str) : -1;
    }

    out->msgs = ak_push_array(a, ChatMsg, msgs);
    int32_t *parent = ak_push_array(a, int32_t, msgs);
    if (!out->msgs || !parent) return chat_norm_fail_at(&n, obj->offset, "out of memory for %u messages", msgs);
    out->msg_count = msgs;
    for (i = 0; i < count; i++) {
        if (msg_of[i] < 0) continue;
        ChatMsg *msg = &out->msgs[msg_of[i]];
        if (!chatgpt_message(&n, nodes[i], messages[i], msg, &out->unknown_parts)) return false;
        // The parent message: up through nodes without one, at most `count` steps (a cycle ends it).
        int32_t p = node_parent[i];
        for (uint32_t steps = 0; p >= 0 && msg_of[p] < 0 && steps < count; steps++) p = node_parent[p];
        parent[msg_of[i]] = p >= 0 ? msg_of[p] : -1;
    }
    for (i = 0; i < msgs; i++) out->msgs[i].parent_uuid = parent[i] >= 0 ? out->msgs[parent[i]].uuid : ak_str("", 0);
    n.msg_uuid = ak_str("", 0);

    // The current node, or the nearest ancestor with a message; without one, the latest leaf.
    int64_t leaf = -1;
    int32_t cur = current.len ? chat_idmap_get(&ids, current) : -1;
    for (uint32_t steps = 0; cur >= 0 && msg_of[cur] < 0 && steps < count; steps++) cur = node_parent[cur];
    if (cur >= 0 && msg_of[cur] >= 0) leaf = msg_of[cur];
    if (!chat_thread_order(a, out, parent, leaf))
        return chat_norm_fail_at(&n, obj->offset, "out of memory ordering %u messages", msgs);
    return true;
}
