// search.c: search hits grouped by chat (see search.h). One pass over the hits, best first: a
// map from chat id to its group makes the grouping linear in the hits.
#include "chat/search.h"

#include "arenakit/map.h"

uint32_t chat_search_group_cap(uint32_t limit) {
    if (limit == 0) limit = 20;
    return (uint32_t)AK_MIN(AK_MAX((uint64_t)limit * 10, 500), 100000);
}

bool chat_db_search_grouped(ChatDb *db, AkArena *arena, const char *query, const ChatSearchOpts *opts,
                            ChatHitGroups *out, ChatError *err) {
    AK_ASSERT(db && arena && query && out, "chat_db_search_grouped: NULL argument");
    *out = (ChatHitGroups){0};
    ChatSearchOpts o = opts ? *opts : (ChatSearchOpts){0};
    uint32_t shown = o.limit ? o.limit : 20;
    o.limit = chat_search_group_cap(shown);
    ChatHit *hits;
    uint32_t count;
    if (!chat_db_search(db, arena, query, &o, &hits, &count, err)) return false;
    out->hits = count;
    out->capped = count == o.limit;
    if (!count) return true;
    ChatHitGroup *groups = ak_push_array_nz(arena, ChatHitGroup, count);
    AkMap group = ak_map_u64(arena, count);
    if (!groups) return chat_fail(err, "no memory to group %u search hits", count);
    uint32_t chats = 0;
    for (uint32_t i = 0; i < count; i++) {
        bool added;
        uint64_t *g = ak_map_upsert_u64(&group, (uint64_t)hits[i].chat_id, &added);
        if (!g) return chat_fail(err, "no memory to group %u search hits", count);
        if (added) *g = chats, groups[chats++] = (ChatHitGroup){hits[i], 0};
        else groups[*g].more++;
    }
    out->groups = groups;
    out->chats = chats;
    out->count = AK_MIN(chats, shown);
    return true;
}
