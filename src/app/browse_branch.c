// browse_branch.c: switching a tab between the versions of a message (an edited prompt, a
// regenerated answer). The store loads only the thread the person saw; the first switch in a
// tab reads every message of the chat, with its parent, from the database into the tab's
// branch arena. A switch keeps the thread up to the marked message, puts its next (or
// previous) sibling in its place, and follows that version down to its last reply (the child
// on the seen thread when there is one, else the latest), so the tab reads as the
// conversation would have gone.
// Memory: t->branch_arena, made on the first switch and released with the tab: the chat's
// messages (copied out of the database's row buffers) for the tab's life, and the shown
// thread (pointers), rebuilt from its mark on each switch.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#define _XOPEN_SOURCE 700
#define _XOPEN_SOURCE_EXTENDED 1
#include "app/browse_ui.h"

#include "arenakit/arenakit.h"
#include "chat/db.h"

#include <string.h>

typedef struct Load {
    AkArena *arena;
    BrowseBranchMsg *all;
    uint32_t count, cap;
    bool refused;
} Load;

static bool take(const ChatMsg *msg, uint32_t ordinal, void *user) {
    Load *l = user;
    if (l->count == l->cap) return false;
    BrowseBranchMsg *bm = &l->all[l->count];
    ChatMessage *m = &bm->m;
    *m = (ChatMessage){.ordinal = ordinal, .role = msg->role, .created = msg->created,
                       .sibling_index = msg->sibling_index, .sibling_count = msg->sibling_count,
                       .visible = msg->visible, .hidden = msg->hidden};
    m->author = ak_str_copy(l->arena, msg->author);
    m->text = ak_str_copy(l->arena, msg->text);
    bm->uuid = ak_str_copy(l->arena, msg->uuid);
    bm->parent = ak_str_copy(l->arena, msg->parent_uuid);
    if (msg->part_count) {
        ChatPart *parts = ak_push_array(l->arena, ChatPart, msg->part_count);
        if (!parts) return l->refused = true, false;
        for (uint32_t k = 0; k < msg->part_count; k++) {
            parts[k] = msg->parts[k];
            parts[k].name = ak_str_copy(l->arena, msg->parts[k].name);
            parts[k].text = ak_str_copy(l->arena, msg->parts[k].text);
            if ((msg->parts[k].text.len && !parts[k].text.ptr) || (msg->parts[k].name.len && !parts[k].name.ptr))
                return l->refused = true, false;
        }
        m->parts = parts;
        m->part_count = msg->part_count;
    }
    if ((msg->text.len && !m->text.ptr) || (msg->uuid.len && !bm->uuid.ptr) || (msg->parent_uuid.len && !bm->parent.ptr))
        return l->refused = true, false;
    l->count++;
    return true;
}

static bool load_all(Browser *b, BrowseTab *t) {
    if (t->all) return true;
    const ChatMeta *meta = chat_store_meta(b->store, t->handle);
    if (!t->branch_arena) t->branch_arena = ak_arena_create(.name = "browse branches", .commit = AK_KB(64));
    if (!t->branch_arena) {
        browse_notice(b, true, "cannot read the other versions: %s", ak_arena_last_create_error());
        return false;
    }
    Load l = {t->branch_arena, ak_push_array(t->branch_arena, BrowseBranchMsg, meta->message_count ? meta->message_count : 1),
              0, meta->message_count, false};
    ChatError err = {{0}};
    if (!l.all || !chat_db_each_message(b->store->db, meta->id, false, take, &l, &err) || l.refused) {
        browse_notice(b, true, "cannot read the other versions: %s",
                      l.refused || !l.all ? ak_arena_error(t->branch_arena) : err.msg);
        ak_arena_clear(t->branch_arena);
        return false;
    }
    t->all = l.all;
    t->all_count = l.count;
    t->thread_base = ak_arena_pos(t->branch_arena);
    return true;
}

static const BrowseBranchMsg *by_ordinal(const BrowseTab *t, uint32_t ordinal) {
    for (uint32_t i = 0; i < t->all_count; i++)
        if (t->all[i].m.ordinal == ordinal) return &t->all[i];
    return NULL;
}

// The child of `uuid` to follow: the one on the seen thread, else the latest version.
static const BrowseBranchMsg *child_of(const BrowseTab *t, AkStr uuid) {
    const BrowseBranchMsg *best = NULL;
    for (uint32_t i = 0; i < t->all_count; i++) {
        const BrowseBranchMsg *c = &t->all[i];
        if (!ak_str_eq(c->parent, uuid) || !c->uuid.len) continue;
        if (c->m.visible) return c;
        if (!best || c->m.sibling_index > best->m.sibling_index) best = c;
    }
    return best;
}

bool browse_tab_switch_version(Browser *b, BrowseTab *t, int dir) {
    int64_t cur = browse_tab_current(t);
    if (cur < 0) return false;
    const ChatMessage *m = browse_tab_msg(t, (uint32_t)cur);
    if (m->sibling_count < 2) {
        browse_notice(b, false, "message %lld has one version (v switches where a prompt was edited or an answer regenerated)",
                      (long long)cur + 1);
        return false;
    }
    if (!load_all(b, t)) return false;
    const BrowseBranchMsg *self = by_ordinal(t, m->ordinal);
    if (!self) {
        browse_notice(b, true, "message %lld is not in the database any more", (long long)cur + 1);
        return false;
    }
    // The siblings, by their position among the parent's children.
    const BrowseBranchMsg *pick = NULL;
    uint32_t want = (uint32_t)((m->sibling_index - 1 + (dir > 0 ? 1 : m->sibling_count - 1)) % m->sibling_count) + 1;
    for (uint32_t i = 0; i < t->all_count && !pick; i++)
        if (ak_str_eq(t->all[i].parent, self->parent) && t->all[i].m.sibling_index == want) pick = &t->all[i];
    if (!pick) {
        browse_notice(b, true, "version %u of message %lld is not in the database", want, (long long)cur + 1);
        return false;
    }
    // The new thread: the shown one up to here, then the picked version and its replies.
    uint32_t cap = (uint32_t)cur + t->all_count + 1, n = 0;
    const ChatMessage **saved = NULL;
    uint32_t keep = (uint32_t)cur;
    // The prefix is read from the old thread before its memory is reused.
    AkTemp tmp = ak_scratch_begin(NULL, 0);
    saved = ak_push_array_nz(tmp.arena, const ChatMessage *, keep ? keep : 1);
    if (!saved) {
        ak_scratch_end(tmp);
        browse_notice(b, true, "cannot switch versions: %s", ak_arena_error(tmp.arena));
        return false;
    }
    for (uint32_t i = 0; i < keep; i++) saved[i] = browse_tab_msg(t, i);
    ak_arena_pop_to(t->branch_arena, t->thread_base);
    const ChatMessage **thread = ak_push_array_nz(t->branch_arena, const ChatMessage *, cap);
    if (!thread) {
        ak_scratch_end(tmp);
        t->thread = NULL; // back to the seen thread
        browse_tab_relayout(t);
        browse_notice(b, true, "cannot switch versions: %s", ak_arena_error(t->branch_arena));
        return false;
    }
    for (uint32_t i = 0; i < keep; i++) thread[n++] = saved[i];
    ak_scratch_end(tmp);
    for (const BrowseBranchMsg *x = pick; x && n < cap; x = x->uuid.len ? child_of(t, x->uuid) : NULL) {
        if (!x->m.hidden) thread[n++] = &x->m;
    }
    t->thread = thread;
    t->thread_count = n;
    browse_tab_relayout(t);
    t->goto_ordinal = (int32_t)pick->m.ordinal;
    browse_notice(b, false, "message %lld: version %u of %u%s", (long long)cur + 1, pick->m.sibling_index,
                  pick->m.sibling_count, pick->m.visible ? " (the one the chat went on with)" : "");
    return true;
}

static const BrowseBranchMsg *by_uuid(const BrowseTab *t, AkStr uuid) {
    for (uint32_t i = 0; uuid.len && i < t->all_count; i++)
        if (ak_str_eq(t->all[i].uuid, uuid)) return &t->all[i];
    return NULL;
}

bool browse_tab_show_branch(Browser *b, BrowseTab *t, uint32_t ordinal) {
    if (!load_all(b, t)) return false;
    const BrowseBranchMsg *target = by_ordinal(t, ordinal);
    if (!target) {
        browse_notice(b, true, "message %u is not in the database any more", ordinal + 1);
        return false;
    }
    // Its ancestors, nearest first (a parent cycle in a damaged tree stops at all_count).
    uint32_t depth = 0;
    for (const BrowseBranchMsg *x = by_uuid(t, target->parent); x && depth < t->all_count; x = by_uuid(t, x->parent))
        depth++;
    ak_arena_pop_to(t->branch_arena, t->thread_base);
    uint32_t cap = depth + t->all_count + 1, n = 0;
    const ChatMessage **thread = ak_push_array_nz(t->branch_arena, const ChatMessage *, cap);
    if (!thread) {
        t->thread = NULL;
        browse_tab_relayout(t);
        browse_notice(b, true, "cannot show that version: %s", ak_arena_error(t->branch_arena));
        return false;
    }
    // Root first: the ancestors go in from the back, hidden ones left out as the store does.
    uint32_t k = depth;
    for (const BrowseBranchMsg *x = by_uuid(t, target->parent); x && k > 0; x = by_uuid(t, x->parent))
        thread[--k] = &x->m;
    for (uint32_t i = 0; i < depth; i++)
        if (!thread[i]->hidden) thread[n++] = thread[i];
    thread[n++] = &target->m; // the hit itself, even when hidden
    for (const BrowseBranchMsg *x = target->uuid.len ? child_of(t, target->uuid) : NULL; x && n < cap;
         x = x->uuid.len ? child_of(t, x->uuid) : NULL)
        if (!x->m.hidden) thread[n++] = &x->m;
    t->thread = thread;
    t->thread_count = n;
    browse_tab_relayout(t);
    t->goto_ordinal = (int32_t)ordinal;
    browse_notice(b, false, "message %u is %s: this tab shows the thread through it (v switches versions)",
                  ordinal + 1, target->m.hidden ? "hidden" : "off the seen thread");
    return true;
}
