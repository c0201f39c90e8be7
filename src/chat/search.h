// search.h: full-text search results as chatlog's listings show them, by chat: the CLI's
// `chatlog search` and the browser's `s` both list these, so they cannot drift apart. Each
// chat appears once, at its best hit, with how many more hits it has; chats come best hit
// first; and the listing knows how many chats matched in all and whether that is a lower bound.
//
// Memory: everything (the hits looked at, the groups) goes on the caller's arena; nothing is
// kept. Same thread rules as the ChatDb (db.h).
#ifndef CHAT_SEARCH_H
#define CHAT_SEARCH_H

#include "chat/db.h"

typedef struct ChatHitGroup {
    ChatHit best;  // the chat's best hit
    uint32_t more; // its other hits among those looked at
} ChatHitGroup;

typedef struct ChatHitGroups {
    ChatHitGroup *groups; // best first, `count` of them
    uint32_t count;       // at most opts->limit (the chats a listing shows)
    uint32_t chats;       // chats among the hits looked at (>= count)
    uint32_t hits;        // hits looked at: chat_search_group_cap(opts->limit) at most
    bool capped;          // the hits looked at were cut at that cap: `chats` and `more` are
                          // then lower bounds ("at least", "+N or more")
} ChatHitGroups;

// How many hits a listing of `limit` chats looks at: ten per chat, at least 500, at most
// 100000, so the counts are exact for any but the most common words.
uint32_t chat_search_group_cap(uint32_t limit);

// chat_db_search grouped by chat. opts->limit (0: 20) is the number of chats to list; the
// rest of opts is as for chat_db_search. An empty or all-blank query gives no groups.
bool chat_db_search_grouped(ChatDb *db, AkArena *arena, const char *query, const ChatSearchOpts *opts,
                            ChatHitGroups *out, ChatError *err);

#endif
