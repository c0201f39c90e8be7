// lru.c: the list is most-recent-first through lru_prev/lru_next; eviction walks from the
// tail. A record is "settled" once the main thread has seen its load finish (chat_lru_poll):
// only settled records without view references may be evicted, which also keeps a record
// that sits on the IO thread's done list from being reused before the main thread has
// taken it off that list.
//
// An evicted record keeps its arena, cleared down to one commit step, on the free list
// ("parked"): the next chat to load reuses pages that are already resident instead of
// faulting fresh ones in (most of a cold open's time otherwise). Parked arenas still count
// against the budget, and they are the first memory given back when room is needed.
#include "chat/lru.h"

#include "arenakit/os.h"

#include <math.h>
#include <stdio.h>

typedef struct LruRecord {
    ChatMessages m;
    bool settled; // main thread has taken it off the done list
    bool stale;   // the chat changed in the database: dropped once nobody pins it
} LruRecord;

struct ChatLru {
    AkArena *arena;
    ChatLruConfig cfg;
    ChatIo *io;
    ChatMessages *head, *tail;
    ChatMessages *free_list; // through lru_next
    ChatLruStats st;
};

static LruRecord *rec_of(ChatMessages *m) { return (LruRecord *)m; }

static void list_unlink(ChatLru *lru, ChatMessages *m) {
    if (m->lru_prev) m->lru_prev->lru_next = m->lru_next;
    else lru->head = m->lru_next;
    if (m->lru_next) m->lru_next->lru_prev = m->lru_prev;
    else lru->tail = m->lru_prev;
    m->lru_prev = m->lru_next = NULL;
}

static void list_push_front(ChatLru *lru, ChatMessages *m) {
    m->lru_prev = NULL;
    m->lru_next = lru->head;
    if (lru->head) lru->head->lru_prev = m;
    lru->head = m;
    if (!lru->tail) lru->tail = m;
}

static bool is_pinned(ChatMessages *m) { return m->view_refs > 0 || !rec_of(m)->settled; }

// Forget the record's history and park it, with its cleared arena, on the free list.
static void lru_drop(ChatLru *lru, ChatMessages *m) {
    AK_ASSERT(!is_pinned(m), "evicting pinned chat %u", m->handle);
    list_unlink(lru, m);
    ak_arena_clear(m->arena); // back to `keep` (one commit step), chained blocks released
    uint64_t kept = ak_arena_stats(m->arena).committed;
    if (m->owner_slot) *m->owner_slot = NULL;
    m->owner_slot = NULL;
    lru->st.used = lru->st.used - m->charged + kept;
    m->charged = kept;
    lru->st.active--;
    lru->st.parked++;
    m->lru_next = lru->free_list;
    lru->free_list = m;
}

// Release the arena of a parked record other than `keep`; false if none holds one.
static bool lru_release_parked(ChatLru *lru, ChatMessages *keep) {
    for (ChatMessages *m = lru->free_list; m; m = m->lru_next) {
        if (m == keep || !m->arena) continue;
        ak_arena_release(m->arena);
        m->arena = NULL;
        lru->st.used -= m->charged;
        m->charged = 0;
        lru->st.parked--;
        return true;
    }
    return false;
}

// Evict the least recently used unpinned record other than `keep`; false if there is none.
static bool lru_evict_one(ChatLru *lru, ChatMessages *keep) {
    for (ChatMessages *m = lru->tail; m; m = m->lru_prev) {
        if (m == keep || is_pinned(m)) continue;
        lru_drop(lru, m);
        lru->st.evictions++;
        return true;
    }
    return false;
}

// Bytes held by what no one uses (unpinned cached histories and parked arenas) and by the
// pinned records (open in a view or loading).
static uint64_t lru_idle_bytes(const ChatLru *lru, uint64_t *pinned) {
    uint64_t idle = 0, pin = 0;
    for (ChatMessages *m = lru->head; m; m = m->lru_next) {
        if (is_pinned(m)) pin += m->charged;
        else idle += m->charged;
    }
    for (ChatMessages *m = lru->free_list; m; m = m->lru_next)
        if (m->arena) idle += m->charged;
    if (pinned) *pinned = pin;
    return idle;
}

// Down to the cache target, which counts the pinned records too: the LRU holds the larger of
// the target and what is open. Parked arenas but the free list's head go first (the next load
// reuses it), then the least recently used idle chats, then that head. Pinned records are
// never touched, so a chat bigger than the target loads (up to the budget) and stays while
// it is open, with nothing idle beside it.
static void lru_trim(ChatLru *lru) {
    if (lru->cfg.cache_target >= lru->cfg.budget) return;
    uint64_t pinned, idle = lru_idle_bytes(lru, &pinned);
    uint64_t room = lru->cfg.cache_target > pinned ? lru->cfg.cache_target - pinned : 0;
    while (idle > room) {
        // Each step gives back only idle bytes (pinned records are never touched), so what
        // st.used loses is what idle loses: one walk of the lists, not one per step.
        uint64_t before = lru->st.used;
        if (!lru_release_parked(lru, lru->free_list) && !lru_evict_one(lru, NULL) && !lru_release_parked(lru, NULL)) break;
        idle -= AK_MIN(idle, before - lru->st.used);
    }
}

ChatLru *chat_lru_create(AkArena *arena, const ChatLruConfig *cfg, ChatLoadFn *load, void *load_ctx, ChatError *err) {
    ChatLru *lru = ak_push_struct(arena, ChatLru);
    if (!lru) return chat_fail(err, "LRU: %s", ak_arena_error(arena)), NULL;
    lru->arena = arena;
    lru->cfg = *cfg;
    if (!lru->cfg.arena_reserve) lru->cfg.arena_reserve = AK_MB(1);
    if (!lru->cfg.arena_commit) lru->cfg.arena_commit = AK_KB(512);
    if (!lru->cfg.budget) lru->cfg.budget = AK_MB(64);
    if (!lru->cfg.cache_target || lru->cfg.cache_target > lru->cfg.budget) lru->cfg.cache_target = lru->cfg.budget;
    lru->st.budget = lru->cfg.budget;
    lru->st.cache_target = lru->cfg.cache_target;
    lru->io = chat_io_start(arena, load, load_ctx, err);
    return lru->io ? lru : NULL;
}

void chat_lru_set_notify(ChatLru *lru, ChatNotifyFn *fn, void *user) { chat_io_set_notify(lru->io, fn, user); }

// Settle finished records (linked through io_next): charge their real size, drop failures
// nobody is looking at.
static uint32_t lru_settle(ChatLru *lru, ChatMessages *done) {
    uint32_t n = 0;
    for (ChatMessages *m = done; m; n++) {
        ChatMessages *next = m->io_next;
        rec_of(m)->settled = true;
        // The IO thread is done with the arena (release store of state, acquired by the
        // done-list mutex): its real size replaces the estimate.
        uint64_t actual = ak_arena_stats(m->arena).committed;
        lru->st.used = lru->st.used - m->charged + actual;
        m->charged = actual;
        if ((chat_messages_state(m) != CHAT_LOAD_READY || rec_of(m)->stale) && m->view_refs == 0) lru_drop(lru, m);
        m = next;
    }
    // An estimate that fell short can leave us over budget: give back what is not pinned.
    while (lru->st.used > lru->cfg.budget && (lru_release_parked(lru, NULL) || lru_evict_one(lru, NULL))) {}
    if (n) lru_trim(lru);
    return n;
}

uint32_t chat_lru_poll(ChatLru *lru) { return lru_settle(lru, chat_io_take_done(lru->io)); }

// Committed bytes a history of `hint` bytes is expected to take: whole commit steps.
static uint64_t lru_estimate(const ChatLru *lru, uint64_t hint) {
    uint64_t step = lru->cfg.arena_commit;
    return AK_ALIGN_UP(AK_MAX(hint + AK_KB(4), step), step);
}

// Take the free list's head (keeping its parked arena and what that is charged), or a new
// record.
static ChatMessages *lru_take_record(ChatLru *lru) {
    ChatMessages *m = lru->free_list;
    if (m) {
        lru->free_list = m->lru_next;
        AkArena *arena = m->arena;
        uint64_t charged = m->charged;
        *rec_of(m) = (LruRecord){0};
        m->arena = arena;
        m->charged = charged;
        if (arena) lru->st.parked--;
        return m;
    }
    LruRecord *r = ak_push_struct(lru->arena, LruRecord);
    if (!r) return NULL;
    lru->st.total++;
    return &r->m;
}

// (Re)start the load of an active record: fresh message array, pinned by io_ref.
static void lru_queue_load(ChatLru *lru, ChatMessages *m) {
    m->msgs = ChatMessageArray_init(m->arena, CHAT_MESSAGES_CHUNK);
    m->error[0] = 0;
    rec_of(m)->settled = false;
    atomic_store_explicit(&m->state, CHAT_LOAD_PENDING, memory_order_relaxed);
    atomic_store_explicit(&m->io_ref, true, memory_order_relaxed);
    lru->st.loads++;
    chat_io_submit(lru->io, m); // the queue's mutex publishes the fields above
}

ChatMessages *chat_lru_acquire(ChatLru *lru, uint32_t handle, int64_t chat_id, ChatMessages **slot, uint64_t size_hint,
                               ChatError *err) {
    chat_lru_poll(lru);
    ChatMessages *m = *slot;
    if (m) {
        AK_ASSERT(m->handle == handle, "chat %u's slot holds chat %u's record", handle, m->handle);
        m->view_refs++;
        list_unlink(lru, m);
        list_push_front(lru, m);
        lru->st.hits++;
        // A load that failed earlier is tried again when nobody is looking at the error.
        if (m->view_refs == 1 && rec_of(m)->settled && chat_messages_state(m) != CHAT_LOAD_READY) {
            ak_arena_clear(m->arena);
            lru_queue_load(lru, m);
        }
        return m;
    }
    uint64_t need = lru_estimate(lru, size_hint);
    if (need > lru->cfg.budget) {
        lru->st.refusals++;
        // Under a process budget the message budget is what it leaves (store.h), less a 1/16
        // margin and SQLite's quarter: name the process budget that would make room.
        uint64_t limit = ak_os_commit_limit();
        if (limit)
            return chat_fail(err, "chat #%lld needs about %.1f MB, more than the whole message budget of %.1f MB; "
                             "raise --memory-budget to %.0f MB or more", (long long)chat_id, need / 1048576.0,
                             lru->cfg.budget / 1048576.0,
                             ceil((limit + (need - lru->cfg.budget) * 16 / 11) / 1048576.0) + 1), NULL;
        return chat_fail(err, "chat #%lld needs about %.1f MB, more than the whole message budget of %.1f MB",
                         (long long)chat_id, need / 1048576.0, lru->cfg.budget / 1048576.0), NULL;
    }
    // Make room: empty parked arenas go first, then the least recently used chats. The record
    // that will be reused (the free list's head) brings the memory its arena already holds.
    for (;;) {
        ChatMessages *next = lru->free_list;
        uint64_t have = next && next->arena ? next->charged : 0;
        uint64_t extra = need > have ? need - have : 0;
        bool over_cap = lru->cfg.max_loaded && lru->st.active >= lru->cfg.max_loaded;
        if (lru->st.used + extra <= lru->cfg.budget && !over_cap) break;
        if (!over_cap && lru_release_parked(lru, next)) continue;
        if (lru_evict_one(lru, NULL)) continue;
        if (over_cap) {
            lru->st.refusals++;
            return chat_fail(err, "%u chats are loaded, the most allowed, and all are pinned (open in a view or "
                             "loading); close a view to open chat #%lld", lru->st.active, (long long)chat_id), NULL;
        }
        lru->st.refusals++;
        return chat_fail(err, "memory budget full: %u chats loaded use %.1f of %.1f MB and all are pinned "
                         "(open in a view or loading); close a view to open chat #%lld",
                         lru->st.active, lru->st.used / 1048576.0, lru->cfg.budget / 1048576.0, (long long)chat_id), NULL;
    }
    m = lru_take_record(lru);
    if (!m) return chat_fail(err, "cannot record chat #%lld: %s", (long long)chat_id, ak_arena_error(lru->arena)), NULL;
    uint64_t reserve = AK_MAX(lru->cfg.arena_reserve, AK_ALIGN_UP(2 * size_hint + lru->cfg.arena_commit, AK_KB(64)));
    if (m->arena && ak_arena_stats(m->arena).reserved < size_hint + lru->cfg.arena_commit) {
        // Too small for this chat: it would chain a second block, and what the first block
        // committed would come on top of the estimate. A fresh arena sized for the chat instead.
        ak_arena_release(m->arena);
        m->arena = NULL;
        lru->st.used -= m->charged;
        m->charged = 0;
    }
    if (!m->arena) {
        // The IO thread fills what it commits at once: prefaulting each step in one call beats
        // a page fault per 4 KB (the bulk of a cold open on a VM).
        m->arena = ak_arena_create(.name = "chat messages", .reserve = reserve, .commit = lru->cfg.arena_commit,
                                   .keep = lru->cfg.arena_commit, .flags = AK_ARENA_PREFAULT);
        if (!m->arena) {
            m->lru_next = lru->free_list;
            lru->free_list = m;
            return chat_fail(err, "cannot open chat #%lld: %s", (long long)chat_id, ak_arena_last_create_error()), NULL;
        }
    }
    lru->st.used -= m->charged;
    m->handle = handle;
    m->chat_id = chat_id;
    m->size_hint = size_hint;
    m->owner_slot = slot;
    m->view_refs = 1;
    m->charged = need;
    lru->st.used += need;
    lru->st.active++;
    list_push_front(lru, m);
    *slot = m;
    lru_queue_load(lru, m);
    lru_trim(lru); // the new record is pinned now: idle chats make room for it under the target
    return m;
}

void chat_lru_release(ChatLru *lru, ChatMessages *m) {
    AK_ASSERT(m->view_refs > 0, "chat %u released more often than acquired", m->handle);
    m->view_refs--;
    if (m->view_refs == 0 && rec_of(m)->settled && (chat_messages_state(m) != CHAT_LOAD_READY || rec_of(m)->stale))
        lru_drop(lru, m);
    if (m->view_refs == 0) lru_trim(lru);
}

void chat_lru_forget(ChatLru *lru, ChatMessages *m) {
    // Off its chat's slot at once, so the next acquire loads afresh; the memory goes now, or
    // when the last view lets go (or its load in flight settles).
    if (m->owner_slot) *m->owner_slot = NULL;
    m->owner_slot = NULL;
    rec_of(m)->stale = true;
    if (!is_pinned(m)) lru_drop(lru, m);
}

bool chat_lru_wait(ChatLru *lru, ChatMessages *m, ChatError *err) {
    chat_io_wait(lru->io, m);
    chat_lru_poll(lru);
    if (chat_messages_state(m) == CHAT_LOAD_READY) return true;
    return chat_fail(err, "%s", m->error[0] ? m->error : "load failed");
}

ChatLruStats chat_lru_stats(const ChatLru *lru) {
    ChatLruStats s = lru->st;
    s.idle = lru_idle_bytes(lru, NULL);
    s.pinned = s.loading = 0;
    for (ChatMessages *m = lru->head; m; m = m->lru_next) {
        s.pinned += is_pinned(m);
        s.loading += !rec_of(m)->settled;
    }
    return s;
}

void chat_lru_destroy(ChatLru *lru) {
    if (!lru) return;
    lru_settle(lru, chat_io_stop(lru->io));
    while (lru->head) {
        ChatMessages *m = lru->head;
        AK_ASSERT(m->view_refs == 0, "chat %u is still open in a view at shutdown", m->handle);
        m->view_refs = 0;
        rec_of(m)->settled = true;
        lru_drop(lru, m);
    }
    while (lru_release_parked(lru, NULL)) {}
}
