// store.c: glue between the database, the metadata and the LRU. The loader below is what the
// IO thread runs: it streams one chat's messages from its own connection and copies them into
// the record's arena, which is the only memory it touches.
#include "chat/store.h"

#include "arenakit/os.h"
#include "arenakit/scratch.h"
#include "chat/sqlmem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

uint64_t chat_store_size_hint(const ChatMeta *m) {
    uint64_t n = m->message_count;
    return m->bytes + n * (sizeof(ChatMessage) + 96) + (uint64_t)m->part_count * (sizeof(ChatPart) + 32) +
           (n / CHAT_MESSAGES_CHUNK + 1) * 64;
}

// ak_str_copy that records a refusal in *ok; empty strings take no arena memory.
static AkStr copy_str(AkArena *a, AkStr s, bool *ok) {
    if (!s.len) return (AkStr){"", 0};
    AkStr c = ak_str_copy(a, s);
    if (!c.ptr) {
        *ok = false;
        return (AkStr){"", 0};
    }
    return c;
}

typedef struct LoadCtx {
    ChatMessages *rec;
    ChatError *err;
    bool failed;
} LoadCtx;

static bool load_one(const ChatMsg *msg, uint32_t ordinal, void *user) {
    LoadCtx *c = user;
    AkArena *a = c->rec->arena;
    ChatMessage *m = ChatMessageArray_push(&c->rec->msgs);
    bool ok = m != NULL;
    if (ok) {
        m->ordinal = ordinal;
        m->role = msg->role;
        m->created = msg->created;
        m->author = copy_str(a, msg->author, &ok);
        m->text = copy_str(a, msg->text, &ok);
        m->sibling_index = msg->sibling_index;
        m->sibling_count = msg->sibling_count;
        m->visible = msg->visible;
        m->hidden = msg->hidden;
        if (msg->part_count) {
            m->parts = ak_push_array_nz(a, ChatPart, msg->part_count);
            ok = ok && m->parts;
            for (uint32_t i = 0; ok && i < msg->part_count; i++) {
                const ChatPart *p = &msg->parts[i];
                // A text part stored as a range of its message's text (db.h) arrives as a view
                // into msg->text: it stays a view into our copy, so the bytes are held once, as
                // the size hint (ChatMeta.bytes) counts them.
                uintptr_t pp = (uintptr_t)p->text.ptr, mp = (uintptr_t)msg->text.ptr;
                uint64_t at = (uint64_t)(pp - mp);
                bool shared = p->text.len && msg->text.len && pp >= mp && at <= msg->text.len &&
                              p->text.len <= msg->text.len - at;
                AkStr text = shared ? ak_str(m->text.ptr + at, p->text.len) : copy_str(a, p->text, &ok);
                m->parts[i] = (ChatPart){p->kind, copy_str(a, p->name, &ok), text, p->is_error};
            }
            m->part_count = ok ? msg->part_count : 0;
        }
    }
    if (!ok) {
        chat_fail(c->err, "chat %" PRId64 " does not fit in its arena: %s", c->rec->chat_id, ak_arena_error(a));
        c->failed = true;
    }
    return ok;
}

bool chat_store_each_message(ChatStore *s, uint32_t handle, bool visible_only, ChatMsgFn *fn, void *user, ChatError *err) {
    if (handle >= chat_store_count(s)) return chat_fail(err, "no chat with handle %u", handle);
    return chat_db_each_message(s->db, chat_store_meta(s, handle)->id, visible_only, fn, user, err);
}

static bool store_load(void *ctx, ChatMessages *rec, ChatError *err) {
    ChatStore *s = ctx;
    LoadCtx c = {rec, err, false};
    if (!chat_db_each_message(s->io_db, rec->chat_id, !s->cfg.load_branches, load_one, &c, err)) return false;
    return !c.failed;
}

// A model name from the store's table, added when new and there is room.
static AkStr intern_model(ChatStore *s, AkStr model, bool *ok) {
    if (!model.len) return (AkStr){"", 0};
    for (uint32_t i = 0; i < s->model_count; i++)
        if (ak_str_eq(s->models[i], model)) return s->models[i];
    AkStr c = copy_str(s->meta_arena, model, ok);
    if (*ok && s->model_count < AK_ARRAY_COUNT(s->models)) s->models[s->model_count++] = c;
    return c;
}

typedef struct RefreshCtx {
    ChatStore *s;
    bool failed;
    bool first; // the first load: every row is new
} RefreshCtx;

// One metadata row: update the chat we know (same handle) or append a new one.
static bool meta_put(const ChatRow *row, void *user) {
    RefreshCtx *c = user;
    ChatStore *s = c->s;
    AkArena *a = s->meta_arena;
    uint32_t h = 0;
    bool known = !c->first && chat_store_handle_of_id(s, row->id, &h);
    ChatMeta *m;
    bool ok = true;
    if (known) {
        m = ChatMetaArray_get(&s->meta, h);
        if (!ak_str_eq(m->title, row->title)) m->title = copy_str(a, row->title, &ok);
        if (!ak_str_eq(m->model, row->model)) m->model = intern_model(s, row->model, &ok);
        if (m->content_hash != row->content_hash && m->loaded) chat_lru_forget(s->lru, m->loaded);
    } else {
        uint64_t handle = ChatMetaArray_count(&s->meta);
        m = ChatMetaArray_push(&s->meta);
        if (!m) return c->failed = true, false;
        m->id = row->id;
        m->source = row->source;
        m->title = copy_str(a, row->title, &ok);
        m->model = intern_model(s, row->model, &ok);
        // In id order (every first load, and refreshes that only add chats): the sorted part
        // grows; otherwise the map holds the chat.
        if (handle == s->sorted && (handle == 0 || ChatMetaArray_get(&s->meta, handle - 1)->id < row->id)) s->sorted++;
        else ok = ok && ak_map_put_u64(&s->by_id, (uint64_t)row->id, handle);
    }
    m->created = row->created;
    m->updated = row->updated;
    m->message_count = row->message_count;
    m->visible_count = row->visible_count;
    m->part_count = row->part_count;
    m->bytes = row->bytes;
    m->content_hash = row->content_hash;
    if (!ok) c->failed = true;
    return ok;
}

bool chat_store_refresh(ChatStore *s, ChatError *err) {
    if (s->cfg.db_only) return chat_fail(err, "%s: opened for database queries only, without chat metadata", chat_db_path(s->db));
    RefreshCtx c = {s, false, ChatMetaArray_count(&s->meta) == 0};
    if (!chat_db_each_chat(s->db, meta_put, &c, err)) return false;
    if (c.failed) return chat_fail(err, "chat metadata: %s", ak_arena_error(s->meta_arena));
    return true;
}

// Under a process memory budget (ak_os_commit_limit), the loaded histories get what is left
// once the metadata is in memory, SQLite has room to grow to its limit, and a working margin
// for imports and scratch remains.
static bool store_budget_messages(ChatStore *s, uint64_t *out, ChatError *err) {
    uint64_t limit = ak_os_commit_limit();
    if (!limit) return true; // the LRU's default
    uint64_t committed = ak_os_committed();
    uint64_t sqlite_room = 0;
    if (chat_sqlmem_heap() && chat_sqlmem_limit()) {
        uint64_t size = ak_heap_stats(chat_sqlmem_heap()).size;
        sqlite_room = chat_sqlmem_limit() > size ? chat_sqlmem_limit() - size : 0;
    }
    uint64_t margin = AK_MAX(AK_MB(2), limit / 16);
    uint64_t need = committed + sqlite_room + margin + AK_MB(1);
    if (need > limit)
        return chat_fail(err, "the memory budget of %.1f MB is too small for %u chats: their metadata and the "
                         "program take %.1f MB, SQLite up to %.1f MB more, and loading chats needs at least %.1f MB; "
                         "raise --memory-budget to %.0f MB or more",
                         limit / 1048576.0, chat_store_count(s), committed / 1048576.0, sqlite_room / 1048576.0,
                         (margin + AK_MB(1)) / 1048576.0, need / 1048576.0 + 1);
    *out = limit - committed - sqlite_room - margin;
    return true;
}

ChatStore *chat_store_open(const ChatStoreConfig *cfg, ChatError *err) {
    AkArena *arena = ak_arena_create(.name = "chat store", .reserve = AK_MB(8));
    AkArena *meta = ak_arena_create(.name = "chat metadata", .reserve = AK_MB(256));
    if (!arena || !meta) {
        chat_fail(err, "%s", ak_arena_last_create_error());
        ak_arena_release(arena);
        ak_arena_release(meta);
        return NULL;
    }
    ChatStore *s = ak_push_struct(arena, ChatStore);
    s->arena = arena;
    s->meta_arena = meta;
    s->cfg = *cfg;
    s->meta = ChatMetaArray_init(meta, CHAT_META_CHUNK);
    s->by_id = ak_map_u64(meta, 0);
    s->db = chat_db_open(cfg->path, cfg->read_only ? CHAT_DB_READONLY : 0, err);
    if (!s->db) goto fail;
    // A query-only process (search) needs none of the rest: at 80,000 chats the metadata
    // alone is 33 MB and most of a search's start-up.
    if (cfg->db_only) return s;
    if (!chat_store_refresh(s, err)) goto fail;
    // The IO thread reads through its own connection: SQLite connections are single-thread.
    s->io_db = chat_db_open(cfg->path, CHAT_DB_READONLY, err);
    if (!s->io_db) goto fail;
    ChatLruConfig lru = cfg->lru;
    if (!lru.budget && !store_budget_messages(s, &lru.budget, err)) goto fail;
    if (!lru.cache_target) lru.cache_target = CHAT_STORE_CACHE_TARGET;
    s->lru = chat_lru_create(arena, &lru, store_load, s, err);
    if (!s->lru) goto fail;
    return s;
fail:
    chat_db_close(s->io_db);
    chat_db_close(s->db);
    ak_arena_release(meta);
    ak_arena_release(arena);
    return NULL;
}

void chat_store_close(ChatStore *s) {
    if (!s) return;
    chat_lru_destroy(s->lru); // joins the IO thread before its connection closes
    chat_db_close(s->io_db);
    chat_db_close(s->db);
    ak_arena_release(s->meta_arena);
    ak_arena_release(s->arena);
}

bool chat_store_handle_of_id(const ChatStore *s, int64_t id, uint32_t *handle) {
    uint32_t lo = 0, hi = s->sorted; // handles [0, sorted) in ascending id order
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t at = ChatMetaArray_get(&s->meta, mid)->id;
        if (at == id) return *handle = mid, true;
        if (at < id) lo = mid + 1;
        else hi = mid;
    }
    if (!s->by_id.count) return false;
    uint64_t *h = ak_map_get_u64(&s->by_id, (uint64_t)id);
    if (h) *handle = (uint32_t)*h;
    return h != NULL;
}

bool chat_store_uuid(ChatStore *s, uint32_t handle, AkArena *arena, AkStr *uuid, ChatError *err) {
    if (handle >= chat_store_count(s)) return chat_fail(err, "no chat with handle %u", handle);
    ChatRow row;
    if (!chat_db_get_chat(s->db, arena, chat_store_meta(s, handle)->id, &row, err)) return false;
    *uuid = row.uuid;
    return true;
}

bool chat_store_find(ChatStore *s, const char *key, uint32_t *handle, ChatError *err) {
    AkTemp t = ak_scratch_begin(NULL, 0);
    ChatRow row;
    bool ok = chat_db_find_chat(s->db, t.arena, ak_str_cstr(key), &row, err);
    if (ok && !chat_store_handle_of_id(s, row.id, handle)) {
        // Added by another process since we started: pick it up.
        ok = chat_store_refresh(s, err) && chat_store_handle_of_id(s, row.id, handle);
        if (!ok && !err->msg[0]) chat_fail(err, "chat %s: not in the loaded metadata", key);
    }
    ak_scratch_end(t);
    return ok;
}

ChatMessages *chat_store_open_chat(ChatStore *s, uint32_t handle, ChatError *err) {
    if (!s->lru) return chat_fail(err, "%s: opened for database queries only, no chat can be loaded", chat_db_path(s->db)), NULL;
    ChatMeta *m = chat_store_meta(s, handle);
    return chat_lru_acquire(s->lru, handle, m->id, &m->loaded, chat_store_size_hint(m), err);
}

bool chat_store_wait(ChatStore *s, ChatMessages *m, ChatError *err) { return chat_lru_wait(s->lru, m, err); }

void chat_store_close_chat(ChatStore *s, ChatMessages *m) {
    if (m) chat_lru_release(s->lru, m);
}

typedef struct ImportCtx {
    ChatStore *s;
    ChatStoreImport *out;
} ImportCtx;

static bool import_sink(const ChatConv *conv, void *user, ChatError *err) {
    ImportCtx *c = user;
    ChatPutResult r;
    if (!chat_db_put(c->s->db, conv, &r, err)) return false;
    if (r.duplicate) { // counted once, as its first copy
        c->out->duplicates++;
        return true;
    }
    c->out->added += r.status == CHAT_PUT_ADDED;
    c->out->updated += r.status == CHAT_PUT_UPDATED;
    c->out->unchanged += r.status == CHAT_PUT_UNCHANGED;
    c->out->kept_newer += r.status == CHAT_PUT_KEPT_NEWER;
    return true;
}

// The session files an earlier import read (import.h's file_get / file_put), in the database.
// A failed look-up reads the file as if unknown (whole: never wrong, only slower).
static bool import_file_get(void *user, const char *path, ChatFileStamp *out) {
    ImportCtx *c = user;
    ChatError e = {{0}};
    bool found = false;
    return chat_db_file_get(c->s->db, path, out, &found, &e) && found;
}
static bool import_file_put(void *user, const char *path, ChatSource source, const ChatFileStamp *st, ChatError *err) {
    ImportCtx *c = user;
    return chat_db_file_put(c->s->db, path, source, st, err);
}

bool chat_store_import(ChatStore *s, AkArena *arena, const char *path, const ChatImportOptions *opt,
                       ChatStoreImport *out, ChatError *err) {
    *out = (ChatStoreImport){0};
    if (s->cfg.read_only) return chat_fail(err, "%s: opened read-only", chat_db_path(s->db));
    // Reading the database itself as an export would open and close its file beside our
    // connections, dropping their locks (db.c): refuse it by name.
    struct stat es, ds;
    if (stat(path, &es) == 0 && stat(chat_db_path(s->db), &ds) == 0 && es.st_dev == ds.st_dev && es.st_ino == ds.st_ino)
        return chat_fail(err, "%s: this is the database itself, not an export", path);
    // Damage an import would not notice (pages it does not read) must not be hidden under a
    // "success": a quick check first (PRAGMA quick_check reads every page: 0.25 s for a 48 MB
    // database, release build, warm cache), its answer the error.
    if (!chat_db_check_quick(s->db, err)) return false;
    if (!chat_db_begin(s->db, err)) return false;
    ImportCtx c = {s, out};
    ChatImportOptions o = opt ? *opt : (ChatImportOptions){0};
    o.file_get = import_file_get, o.file_put = import_file_put, o.file_user = &c;
    if (!chat_import_path(arena, path, &o, import_sink, &c, &out->report, err)) {
        chat_db_rollback(s->db);
        out->added = out->updated = out->unchanged = out->kept_newer = out->duplicates = 0;
        return false;
    }
    return chat_db_commit(s->db, err);
}
