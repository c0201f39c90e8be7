// render.c: plain text puts a rule with role, time and branch position above each message;
// Markdown uses a heading per message and fences for code-like parts; JSON mirrors the store.
#include "app/render.h"

#include "app/cli.h"
#include "app/out.h"

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
    default: return "text";
    }
}

static void render_title(FILE *out, const ChatMeta *meta, AppFormat fmt) {
    char c[48], u[48];
    AkStr title = meta->title.len ? meta->title : AK_STR("(untitled)");
    if (fmt == APP_FORMAT_MARKDOWN) fputs("# ", out);
    else app_sgr(out, "1");
    app_out_field(out, title);
    app_sgr(out, "0");
    fputs(fmt == APP_FORMAT_MARKDOWN ? "\n\n" : "\n", out);
    fprintf(out, "%s%s · #%lld · ", fmt == APP_FORMAT_MARKDOWN ? "*" : "", chat_source_name(meta->source),
            (long long)meta->id);
    app_out_field(out, meta->uuid);
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
        fprintf(out, "*%s: ", app_part_label(p->kind));
        app_out_field(out, p->name);
        fputs("*\n\n", out);
        return;
    default:
        fprintf(out, "**%s%s", app_part_label(p->kind), p->name.len ? ": " : "");
        app_out_field(out, p->name);
        fprintf(out, "%s**\n\n", p->is_error ? " (error)" : "");
        // A fence longer than any backtick run inside keeps the block closed where it should be.
        if (p->text.len) fputs("`````\n", out), app_out_text(out, p->text), fputs("\n`````\n\n", out);
    }
}

void app_render_meta_json(FILE *out, const ChatMeta *meta) {
    fprintf(out, "{\"id\": %lld, \"source\": \"%s\", \"uuid\": ", (long long)meta->id, chat_source_name(meta->source));
    app_json_str(out, meta->uuid);
    fputs(", \"title\": ", out);
    app_json_str(out, meta->title);
    fputs(", \"model\": ", out);
    app_json_str(out, meta->model);
    fputs(", \"created\": ", out);
    app_json_time(out, meta->created);
    fputs(", \"updated\": ", out);
    app_json_time(out, meta->updated);
}

static void render_json(FILE *out, const ChatMeta *meta, const ChatMessages *msgs) {
    app_render_meta_json(out, meta);
    fputs(", \"messages\": [", out);
    AkChunkedIter it;
    bool first = true;
    for (ChatMessage *m = ChatMessageArray_first(&msgs->msgs, &it); m; m = ChatMessageArray_next(&it)) {
        fprintf(out, "%s\n  {\"ordinal\": %u, \"role\": \"%s\", \"author\": ", first ? "" : ",", m->ordinal,
                chat_role_name(m->role));
        first = false;
        app_json_str(out, m->author);
        fputs(", \"created\": ", out);
        app_json_time(out, m->created);
        fprintf(out, ", \"visible\": %s, \"hidden\": %s, \"branch\": [%u, %u], \"text\": ", m->visible ? "true" : "false",
                m->hidden ? "true" : "false", m->sibling_index, m->sibling_count);
        app_json_str(out, m->text);
        fputs(", \"parts\": [", out);
        for (uint32_t i = 0; i < m->part_count; i++) {
            const ChatPart *p = &m->parts[i];
            fprintf(out, "%s{\"kind\": \"%s\", \"name\": ", i ? ", " : "", chat_part_kind_name(p->kind));
            app_json_str(out, p->name);
            fputs(", \"text\": ", out);
            app_json_str(out, p->text);
            fprintf(out, ", \"is_error\": %s}", p->is_error ? "true" : "false");
        }
        fputs("]}", out);
    }
    fputs(first ? "]}\n" : "\n]}\n", out);
}

void app_render_chat(FILE *out, const ChatMeta *meta, const ChatMessages *msgs, AppFormat fmt) {
    if (fmt == APP_FORMAT_JSON) {
        render_json(out, meta, msgs);
        return;
    }
    render_title(out, meta, fmt);
    AkChunkedIter it;
    for (ChatMessage *m = ChatMessageArray_first(&msgs->msgs, &it); m; m = ChatMessageArray_next(&it)) {
        char when[32], branch[48] = "";
        app_format_time(m->created, when, sizeof when);
        if (m->sibling_count > 1) snprintf(branch, sizeof branch, " · version %u of %u", m->sibling_index, m->sibling_count);
        if (!m->visible) snprintf(branch + strlen(branch), sizeof branch - strlen(branch), " · off-thread");
        if (fmt == APP_FORMAT_MARKDOWN) fprintf(out, "## %s · %s%s\n\n", app_role_title(m->role), when, branch);
        else {
            app_sgr(out, m->role == CHAT_ROLE_USER ? "1;36" : "1;32");
            fprintf(out, "── %s · %s%s ──", app_role_title(m->role), when, branch);
            app_sgr(out, "0");
            fputc('\n', out);
        }
        if (m->part_count == 0) {
            app_out_text(out, m->text);
            fputs(fmt == APP_FORMAT_MARKDOWN ? "\n\n" : "\n", out);
        }
        for (uint32_t i = 0; i < m->part_count; i++) {
            if (fmt == APP_FORMAT_MARKDOWN) render_part_markdown(out, &m->parts[i]);
            else render_part_plain(out, &m->parts[i]);
        }
        if (fmt == APP_FORMAT_PLAIN) fputc('\n', out);
    }
}
