// store.h: the chat store as the program sees it: the database, every chat's metadata in
// memory, and the budgeted LRU of loaded histories with its IO thread.
//
// Memory: the store owns two arenas. `meta` holds the metadata (a chunked array of 8192-entry
// chunks, the model table, titles, the map of out-of-order ids) for the store's life; a refresh after an import
// appends new chats and updates changed ones in place, so a handle (an index into the array)
// stays valid for the whole session. `arena` holds the store, the LRU and its records. Each
// loaded history has its own arena (see lru.h, messages.h). SQLite allocates with its own
// malloc (see db.h). Main thread only; the IO thread has its own database connection.
#ifndef CHAT_STORE_H
#define CHAT_STORE_H

#include "arenakit/map.h"
#include "chat/db.h"
#include "chat/import.h"
#include "chat/lru.h"

typedef struct ChatMeta {
    int64_t id;              // database id, shown to people as the chat's number
    AkStr title, model;      // in the metadata arena; model points into the store's model
                             // table (a few distinct names shared by every chat). The uuid is
                             // not held (37 bytes a chat, 3 MB at 80,000): chat_store_uuid
    double created, updated;
    uint32_t message_count, visible_count, part_count;
    ChatSource source;       // beside the counts: no padding (96 bytes a chat, was 120)
    uint64_t bytes;
    ChatMessages *loaded;    // the LRU's record while the history is cached
    uint64_t content_hash;   // what the database said at the last refresh (see db.h)
} ChatMeta;

AK_CHUNKED_DEFINE(ChatMetaArray, ChatMeta);
#define CHAT_META_CHUNK 8192

// The loaded-chat cache's target unless the config names one (lru.h: cache_target): with
// the open chats it keeps 8 MB, idle histories beyond that are evicted after each open, load
// and close. A reader's recent chats (a typical one commits one 512 KB step, so about 16 of
// them) reopen at once, and a walk through every chat or a long browse holds the metadata and
// the larger of 8 MB and the open chats, not the whole budget (bench/SCALE.md); a chat bigger
// than 8 MB still loads, up to the budget, with nothing idle beside it.
#define CHAT_STORE_CACHE_TARGET AK_MB(8)

typedef struct ChatStoreConfig {
    const char *path;
    bool read_only;          // no import; the database must exist
    bool load_branches;      // load messages off the visible thread too (default: visible only)
    bool db_only;            // the caller queries the database only (`search`): no metadata
                             // load, no IO thread connection, no LRU. The store then has no
                             // chats (count 0) and refresh, find and open_chat fail; this keeps a
                             // search process's memory and start-up free of the chat count
    ChatLruConfig lru;       // message budget, cap on loaded chats, per-chat arena sizes; a zero
                             // budget under a process budget (ak_os_set_commit_limit) is what
                             // remains of it once the metadata is loaded; a zero cache_target
                             // is CHAT_STORE_CACHE_TARGET
} ChatStoreConfig;

typedef struct ChatStore {
    AkArena *arena;
    AkArena *meta_arena;
    ChatDb *db;              // main thread's connection
    ChatDb *io_db;           // the IO thread's connection
    ChatMetaArray meta;
    // Database id -> handle. The metadata arrives in id order and new chats get higher ids,
    // so handles [0, sorted) have ascending ids and are found by binary search; only a chat
    // appended out of order goes into by_id. At 80,000 chats a map of every id was 4 MB
    // (131,072 slots of 32 bytes), a quarter of the metadata.
    uint32_t sorted;
    AkMap by_id;
    // Distinct model names, each copied once (a store has a handful: "claude-sonnet-4",
    // "gpt-4o"); past 32 names a model is copied per chat like a title.
    AkStr models[32];
    uint32_t model_count;
    ChatLru *lru;
    ChatStoreConfig cfg;
} ChatStore;

ChatStore *chat_store_open(const ChatStoreConfig *cfg, ChatError *err);
// Stops the IO thread and releases every arena. Views must have closed their chats.
void chat_store_close(ChatStore *s);

static inline uint32_t chat_store_count(const ChatStore *s) { return (uint32_t)ChatMetaArray_count(&s->meta); }
static inline ChatMeta *chat_store_meta(const ChatStore *s, uint32_t handle) { return ChatMetaArray_get(&s->meta, handle); }
// A chat by what a person types: its number (database id), its uuid, or a unique uuid prefix.
bool chat_store_find(ChatStore *s, const char *key, uint32_t *handle, ChatError *err);
bool chat_store_handle_of_id(const ChatStore *s, int64_t id, uint32_t *handle);
// The chat's uuid (its source's id), read from the database onto `arena`: the metadata in
// memory does not hold it, only `show`, `export` and their JSON print it.
bool chat_store_uuid(ChatStore *s, uint32_t handle, AkArena *arena, AkStr *uuid, ChatError *err);
// Re-read metadata after the database changed (new chats appended, changed ones updated). A
// cached history of a chat whose content changed is forgotten, so opening it again loads the
// new version; a view that has it open keeps the old one until it closes it.
bool chat_store_refresh(ChatStore *s, ChatError *err);

// Open a chat's history for a view: a pinned record, loaded by the IO thread (poll its state,
// or wait). NULL with err if the budget cannot make room. Close drops the pin.
ChatMessages *chat_store_open_chat(ChatStore *s, uint32_t handle, ChatError *err);
bool chat_store_wait(ChatStore *s, ChatMessages *m, ChatError *err);
void chat_store_close_chat(ChatStore *s, ChatMessages *m);
uint64_t chat_store_size_hint(const ChatMeta *m); // bytes a chat's history needs in memory
// Every stored message of a chat as the store holds it (uuids, parent links, every branch), in
// ordinal order, read on the calling thread's connection without the LRU: for exports that
// mirror the store. Each msg (and its strings) is valid during its callback only.
bool chat_store_each_message(ChatStore *s, uint32_t handle, bool visible_only, ChatMsgFn *fn, void *user, ChatError *err);

typedef struct ChatStoreImport {
    ChatImportReport report;
    uint32_t added, updated, unchanged;
    uint32_t kept_newer; // the database held a newer copy (db.h): left as it was
    uint32_t duplicates; // further copies of a uuid already seen in this import (newest kept)
} ChatStoreImport;

// Import an export (file, folder or zip) in one transaction: all or nothing (with skip_bad,
// the good conversations and a list of the bad ones). The metadata in memory is not reloaded
// (an import of 1M chats should not end by holding them all): chat_store_refresh does that.
bool chat_store_import(ChatStore *s, AkArena *arena, const char *path, const ChatImportOptions *opt,
                       ChatStoreImport *out, ChatError *err);

#endif
