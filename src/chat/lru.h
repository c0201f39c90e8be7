// lru.h: the budgeted cache of loaded chat histories. Each loaded chat is a ChatMessages record
// with its own arena; the records form a most-recently-used list, and records whose arena was
// released go to a free list to be reused. The committed bytes of all message arenas together
// stay within `budget`: opening a chat evicts the least recently used records that are not
// pinned (no io_ref, no view_refs); if everything is pinned, the open fails with a reason
// instead of going over. Main thread only, except what the IO thread does to a record while
// its io_ref is set (see io.h). The LRU and its records live on the arena given at creation.
#ifndef CHAT_LRU_H
#define CHAT_LRU_H

#include "chat/io.h"

typedef struct ChatLruConfig {
    uint64_t budget;        // bytes of message arenas (committed), all chats together
    uint32_t max_loaded;    // cap on chats holding an arena; 0 = no cap
    uint64_t arena_reserve; // per chat; default 1 MB (more for a chat whose hint needs it)
    uint64_t arena_commit;  // per chat commit step; default 512 KB
    uint64_t cache_target;  // bytes the LRU keeps once a chat is opened, a load settles or a view
                            // lets go, pinned records included: idle histories (unpinned, and
                            // parked arenas) beyond it are evicted then, so a long walk or browse
                            // holds the larger of this and the open chats, while one chat bigger
                            // than it still loads up to `budget`. 0 = the budget (idle histories
                            // stay until the budget needs their memory)
} ChatLruConfig;

typedef struct ChatLruStats {
    uint32_t active;     // records holding a loaded (or loading) history
    uint32_t total;      // records ever made (active + free list)
    uint32_t parked;     // free records still holding a cleared arena (counted in used)
    uint32_t pinned;     // active records with view_refs or io_ref
    uint32_t loading;
    uint64_t used;       // bytes charged against the budget
    uint64_t budget;
    uint64_t cache_target; // what idle histories are trimmed to (lru.h: ChatLruConfig)
    uint64_t idle;         // bytes of unpinned histories and parked arenas (part of used)
    uint64_t evictions, loads, hits, refusals;
} ChatLruStats;

typedef struct ChatLru ChatLru;

// Starts the IO thread that runs `load`. NULL with err if it cannot.
ChatLru *chat_lru_create(AkArena *arena, const ChatLruConfig *cfg, ChatLoadFn *load, void *load_ctx, ChatError *err);
// Stops the IO thread (the load in flight finishes, queued ones are cancelled) and releases
// every message arena. Views must have released their records before.
void chat_lru_destroy(ChatLru *lru);
void chat_lru_set_notify(ChatLru *lru, ChatNotifyFn *fn, void *user);

// Take a view reference on chat `handle`'s history. `slot` is the caller's per-chat pointer
// to its record (stable for the LRU's life, e.g. a field of the chat's metadata): when it is
// set the chat is cached and this is a hit; when NULL a record is taken, its arena created,
// and a load queued (returned at once, state PENDING) for the loader to find by `chat_id`.
// `size_hint` is the bytes the history is expected to need. NULL with err if the budget cannot make room.
ChatMessages *chat_lru_acquire(ChatLru *lru, uint32_t handle, int64_t chat_id, ChatMessages **slot, uint64_t size_hint,
                               ChatError *err);
// Drop a view reference; the record stays cached until the budget needs its memory.
void chat_lru_release(ChatLru *lru, ChatMessages *rec);
// The chat's history changed in the database: `rec` no longer answers for its chat. The next
// acquire of the chat loads it again; views that hold `rec` keep reading the old history
// until they release it, and then its memory is given back.
void chat_lru_forget(ChatLru *lru, ChatMessages *rec);
// Account for finished loads (charge their real size, evict if that went over). Returns how
// many finished. Call from the main loop, or rely on acquire/wait, which call it too.
uint32_t chat_lru_poll(ChatLru *lru);
// Block until rec's load finished; true if READY, false with err otherwise.
bool chat_lru_wait(ChatLru *lru, ChatMessages *rec, ChatError *err);
ChatLruStats chat_lru_stats(const ChatLru *lru);

#endif
