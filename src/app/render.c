// render.c: plain text puts a rule with role, time and branch position above each message;
// Markdown uses a heading per message and fences for code-like parts; JSON mirrors the store.
#include "app/render.h"

#include "arenakit/scratch.h"

#include "app/cli.h"
#include "app/out.h"

#include <math.h>

const char *app_role_title(ChatRole role) {
    switch (role) {
    case CHAT_ROLE_USER: return "User";
    case CHAT_ROLE_ASSISTANT: return "Assistant";
    case CHAT_ROLE_SYSTEM: return "System";
    case CHAT_ROLE_TOOL: return "Tool";
    default: return "Other";
    }
}

const char *app_part_label(ChatPartKind k) {
    switch (k) {
    case CHAT_PART_THINKING: return "thinking";
    case CHAT_PART_TOOL_USE: return "tool use";
    case CHAT_PART_TOOL_RESULT: return "tool result";
    case CHAT_PART_ATTACHMENT: return "attachment";
    case CHAT_PART_FILE: return "file";
    case CHAT_PART_IMAGE: return "image";
    case CHAT_PART_UNKNOWN: return "unknown block";
    case CHAT_PART_CONTEXT: return "context";
    case CHAT_PART_MEDIA: return "media";
    case CHAT_PART_META: return "meta";
    default: return "text";
    }
}

static void render_title(FILE *out, const ChatMeta *meta, AkStr uuid, AppFormat fmt) {
    char c[48], u[48];
    AkStr title = meta->title.len ? meta->title : AK_STR("(untitled)");
    if (fmt == APP_FORMAT_MARKDOWN) fputs("# ", out);
    else app_sgr(out, "1");
    app_out_field(out, title);
    app_sgr(out, "0");
    fputs(fmt == APP_FORMAT_MARKDOWN ? "\n\n" : "\n", out);
    fprintf(out, "%s%s · #%lld · ", fmt == APP_FORMAT_MARKDOWN ? "*" : "", chat_source_name(meta->source),
            (long long)meta->id);
    app_out_field(out, uuid);
    if (meta->model.len) {
        fputs(" · ", out);
        app_out_field(out, meta->model);
    }
    fprintf(out, " · created %s · updated %s · %u messages%s\n\n", app_format_time_zone(meta->created, c, sizeof c),
            app_format_time_zone(meta->updated, u, sizeof u), meta->visible_count, fmt == APP_FORMAT_MARKDOWN ? "*" : "");
}

static void render_part_plain(FILE *out, const ChatPart *p) {
    if (p->kind == CHAT_PART_TEXT) {
        app_out_text(out, p->text);
        fputc('\n', out);
        return;
    }
    fprintf(out, "[%s%s", app_part_label(p->kind), p->name.len ? ": " : "");
    app_out_field(out, p->name);
    fprintf(out, "%s]", p->is_error ? " (error)" : "");
    if (p->kind == CHAT_PART_ATTACHMENT) fprintf(out, " %llu bytes of text\n", (unsigned long long)p->text.len);
    else if (p->kind == CHAT_PART_META || p->kind == CHAT_PART_MEDIA) // machinery: one line (export --json has it all)
        fprintf(out, " %llu bytes of JSON\n", (unsigned long long)p->text.len);
    else if (p->text.len) fputc('\n', out), app_out_text(out, p->text), fputc('\n', out);
    else fputc('\n', out);
}

static void render_part_markdown(FILE *out, const ChatPart *p) {
    switch (p->kind) {
    case CHAT_PART_TEXT:
        app_out_text(out, p->text);
        fputs("\n\n", out);
        return;
    case CHAT_PART_THINKING:
        fputs("<details><summary>Thinking</summary>\n\n", out);
        app_out_text(out, p->text);
        fputs("\n\n</details>\n\n", out);
        return;
    case CHAT_PART_FILE:
    case CHAT_PART_IMAGE:
    case CHAT_PART_MEDIA:
        fprintf(out, "*%s: ", app_part_label(p->kind));
        app_out_field(out, p->name);
        fputs("*\n\n", out);
        return;
    case CHAT_PART_META: // machinery (block times, token budgets, citations): export --json has it
        return;
    default:
        fprintf(out, "**%s%s", app_part_label(p->kind), p->name.len ? ": " : "");
        app_out_field(out, p->name);
        fprintf(out, "%s**\n\n", p->is_error ? " (error)" : "");
        // A fence longer than any backtick run inside keeps the block closed where it should be.
        if (p->text.len) fputs("`````\n", out), app_out_text(out, p->text), fputs("\n`````\n\n", out);
    }
}

void app_render_meta_json(FILE *out, const ChatMeta *meta, AkStr uuid) {
    fprintf(out, "{\"id\": %lld, \"source\": \"%s\", \"uuid\": ", (long long)meta->id, chat_source_name(meta->source));
    app_json_str(out, uuid);
    fputs(", \"title\": ", out);
    app_json_str(out, meta->title);
    fputs(", \"model\": ", out);
    app_json_str(out, meta->model);
    fputs(", \"created\": ", out);
    app_json_time(out, meta->created);
    fputs(", \"updated\": ", out);
    app_json_time(out, meta->updated);
}

static void json_epoch(FILE *out, double t) { // exact: %.17g reads back to the same double
    if (t == CHAT_TIME_UNKNOWN || !isfinite(t)) fputs("null", out);
    else fprintf(out, "%.17g", t);
}

// The call id a tool part carries after " #" in its name (conv.h; "#id" when the tool has no
// name), or "".
static AkStr call_id(const ChatPart *p) {
    if (p->kind != CHAT_PART_TOOL_USE && p->kind != CHAT_PART_TOOL_RESULT) return ak_str("", 0);
    for (uint64_t i = p->name.len; i >= 2; i--)
        if (p->name.ptr[i - 1] == '#' && p->name.ptr[i - 2] == ' ') return ak_str_skip(p->name, i);
    return p->name.len > 1 && p->name.ptr[0] == '#' ? ak_str_skip(p->name, 1) : ak_str("", 0);
}

// One message of the chatlog JSON export format (README "The JSON export").
static void render_json_msg(FILE *out, const ChatMsg *m, uint32_t ordinal, bool first) {
    fprintf(out, "%s\n  {\"ordinal\": %u, \"uuid\": ", first ? "" : ",", ordinal);
    app_json_str(out, m->uuid);
    fputs(", \"parent_uuid\": ", out);
    app_json_str(out, m->parent_uuid);
    fprintf(out, ", \"role\": \"%s\", \"author\": ", chat_role_name(m->role));
    app_json_str(out, m->author);
    fputs(", \"created\": ", out);
    app_json_time(out, m->created);
    fputs(", \"created_epoch\": ", out);
    json_epoch(out, m->created);
    fprintf(out, ", \"visible\": %s, \"hidden\": %s, \"branch\": [%u, %u], \"text\": ", m->visible ? "true" : "false",
            m->hidden ? "true" : "false", m->sibling_index, m->sibling_count);
    app_json_str(out, m->text);
    fputs(", \"parts\": [", out);
    for (uint32_t i = 0; i < m->part_count; i++) {
        const ChatPart *p = &m->parts[i];
        AkStr id = call_id(p);
        fprintf(out, "%s{\"kind\": \"%s\", \"name\": ", i ? ", " : "", chat_part_kind_name(p->kind));
        app_json_str(out, p->name);
        if (id.len) fputs(", \"call_id\": ", out), app_json_str(out, id);
        fputs(", \"text\": ", out);
        app_json_str(out, p->text);
        fprintf(out, ", \"is_error\": %s}", p->is_error ? "true" : "false");
    }
    fputs("]}", out);
}

// One message as a person reads it: a rule (or heading) with role, time and branch position,
// then its parts. `ids` adds the message's uuid and parent link under the rule.
static void render_message(FILE *out, const ChatMessage *m, AppFormat fmt, const ChatMsg *ids) {
    char when[32], branch[48] = "";
    app_format_time(m->created, when, sizeof when);
    if (m->sibling_count > 1) snprintf(branch, sizeof branch, " · version %u of %u", m->sibling_index, m->sibling_count);
    if (!m->visible) snprintf(branch + strlen(branch), sizeof branch - strlen(branch), m->hidden ? " · hidden" : " · off-thread");
    if (fmt == APP_FORMAT_MARKDOWN) fprintf(out, "## %s · %s%s\n\n", app_role_title(m->role), when, branch);
    else {
        app_sgr(out, m->role == CHAT_ROLE_USER ? "1;36" : "1;32");
        fprintf(out, "── %s · %s%s ──", app_role_title(m->role), when, branch);
        app_sgr(out, "0");
        fputc('\n', out);
    }
    if (ids) {
        AkStr parent = ids->parent_uuid.len ? ids->parent_uuid : AK_STR("(root)");
        fputs(fmt == APP_FORMAT_MARKDOWN ? "*message `" : "message ", out);
        app_out_field(out, ids->uuid);
        fputs(fmt == APP_FORMAT_MARKDOWN ? "` · parent `" : " · parent ", out);
        app_out_field(out, parent);
        fputs(fmt == APP_FORMAT_MARKDOWN ? "`*\n\n" : "\n", out);
    }
    if (m->part_count == 0) {
        app_out_text(out, m->text);
        fputs(fmt == APP_FORMAT_MARKDOWN ? "\n\n" : "\n", out);
    }
    for (uint32_t i = 0; i < m->part_count; i++) {
        // Bookkeeping kept from the export (block times, token budgets) is for the full view
        // (--all-branches) and the JSON export, not for reading.
        if (!ids && m->parts[i].kind == CHAT_PART_META) continue;
        if (fmt == APP_FORMAT_MARKDOWN) render_part_markdown(out, &m->parts[i]);
        else render_part_plain(out, &m->parts[i]);
    }
    if (fmt == APP_FORMAT_PLAIN) fputc('\n', out);
}

void app_render_chat(FILE *out, const ChatMeta *meta, AkStr uuid, const ChatMessages *msgs, AppFormat fmt) {
    if (fmt == APP_FORMAT_JSON) { // the visible thread only; app_render_chat_stored has it all
        app_render_meta_json(out, meta, uuid);
        fputs(", \"messages\": [", out);
        AkChunkedIter it;
        bool first = true;
        for (ChatMessage *m = ChatMessageArray_first(&msgs->msgs, &it); m; m = ChatMessageArray_next(&it)) {
            ChatMsg view = {.role = m->role, .author = m->author, .created = m->created, .text = m->text,
                            .parts = m->parts, .part_count = m->part_count, .visible = m->visible, .hidden = m->hidden,
                            .sibling_index = m->sibling_index, .sibling_count = m->sibling_count};
            render_json_msg(out, &view, m->ordinal, first);
            first = false;
        }
        fputs(first ? "]}\n" : "\n]}\n", out);
        return;
    }
    render_title(out, meta, uuid, fmt);
    AkChunkedIter it;
    for (ChatMessage *m = ChatMessageArray_first(&msgs->msgs, &it); m; m = ChatMessageArray_next(&it))
        render_message(out, m, fmt, NULL);
}

typedef struct StoredCtx {
    FILE *out;
    AppFormat fmt;
    bool first;
} StoredCtx;

static bool stored_one(const ChatMsg *msg, uint32_t ordinal, void *user) {
    StoredCtx *c = user;
    if (c->fmt == APP_FORMAT_JSON) {
        render_json_msg(c->out, msg, ordinal, c->first);
    } else {
        ChatMessage m = {.ordinal = ordinal, .role = msg->role, .created = msg->created, .author = msg->author,
                         .text = msg->text, .parts = msg->parts, .part_count = msg->part_count,
                         .sibling_index = msg->sibling_index, .sibling_count = msg->sibling_count,
                         .visible = msg->visible, .hidden = msg->hidden};
        render_message(c->out, &m, c->fmt, msg);
    }
    c->first = false;
    return true;
}

bool app_render_chat_stored(FILE *out, ChatStore *s, uint32_t handle, AppFormat fmt, ChatError *err) {
    const ChatMeta *meta = chat_store_meta(s, handle);
    AkTemp t = ak_scratch_begin(NULL, 0);
    AkStr uuid;
    if (!chat_store_uuid(s, handle, t.arena, &uuid, err)) return ak_scratch_end(t), false;
    StoredCtx c = {out, fmt, true};
    if (fmt == APP_FORMAT_JSON) {
        app_render_meta_json(out, meta, uuid);
        fputs(", \"created_epoch\": ", out);
        json_epoch(out, meta->created);
        fputs(", \"updated_epoch\": ", out);
        json_epoch(out, meta->updated);
        fprintf(out, ", \"message_count\": %u, \"visible_count\": %u, \"chatlog_export\": %d, \"messages\": [",
                meta->message_count, meta->visible_count, APP_EXPORT_FORMAT_VERSION);
    } else {
        render_title(out, meta, uuid, fmt);
    }
    ak_scratch_end(t); // the uuid is printed
    if (!chat_store_each_message(s, handle, false, stored_one, &c, err)) {
        if (fmt == APP_FORMAT_JSON) fputs("\n]}\n", out); // the document still closes; the caller reports err
        return false;
    }
    if (fmt == APP_FORMAT_JSON) fputs(c.first ? "]}\n" : "\n]}\n", out);
    return true;
}
