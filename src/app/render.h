// render.h: one chat's history as text a person reads (plain or Markdown) or as JSON. Reads
// the chat's metadata and its loaded messages (or the store's rows); writes to a FILE; allocates nothing.
#ifndef APP_RENDER_H
#define APP_RENDER_H

#include "chat/store.h"

#include <stdio.h>

typedef enum AppFormat { APP_FORMAT_PLAIN, APP_FORMAT_MARKDOWN, APP_FORMAT_JSON } AppFormat;

// The loaded history (the visible thread, or every branch if the store loads them). `uuid` is
// the chat's (chat_store_uuid: the metadata in memory does not hold it).
void app_render_chat(FILE *out, const ChatMeta *meta, AkStr uuid, const ChatMessages *msgs, AppFormat fmt);
// The chat as the store holds it: every message on every branch (off-thread ones marked), with
// uuids and parent links, read straight from the store rather than the loaded history. JSON is
// the chatlog export format (README, "The JSON export"; `"chatlog_export": 1`), which
// `chatlog import` reads back to the same stored content. False with err if reading failed.
bool app_render_chat_stored(FILE *out, ChatStore *s, uint32_t handle, AppFormat fmt, ChatError *err);
#define APP_EXPORT_FORMAT_VERSION 1
const char *app_role_title(ChatRole role); // "User", "Assistant", ...
const char *app_part_label(ChatPartKind kind); // "thinking", "tool use", ... for readers
// The chat's metadata as the opening fields of a JSON object ("{\"id\": ..., \"updated\": ...");
// the caller adds its own fields and the closing brace.
void app_render_meta_json(FILE *out, const ChatMeta *meta, AkStr uuid);

#endif
