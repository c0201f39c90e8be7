// render.h: one chat's history as text a person reads (plain or Markdown) or as JSON. Reads
// the chat's metadata and its loaded messages; writes to a FILE; allocates nothing.
#ifndef APP_RENDER_H
#define APP_RENDER_H

#include "chat/store.h"

#include <stdio.h>

typedef enum AppFormat { APP_FORMAT_PLAIN, APP_FORMAT_MARKDOWN, APP_FORMAT_JSON } AppFormat;

void app_render_chat(FILE *out, const ChatMeta *meta, const ChatMessages *msgs, AppFormat fmt);
const char *app_role_title(ChatRole role); // "User", "Assistant", ...
const char *app_part_label(ChatPartKind kind); // "thinking", "tool use", ... for readers
// The chat's metadata as the opening fields of a JSON object ("{\"id\": ..., \"updated\": ...");
// the caller adds its own fields and the closing brace.
void app_render_meta_json(FILE *out, const ChatMeta *meta);

#endif
