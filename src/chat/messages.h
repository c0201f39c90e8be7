// messages.h: one loaded chat history, the unit the LRU caches and evicts. A ChatMessages
// record owns an arena (1 MB reserved, 512 KB committed by default) holding every message
// of one chat in a chunked array of 128-message chunks, plus their strings. The LRU owns the
// record itself; the record's arena belongs to the IO thread while `io_ref` is set, then to
// the main thread. Views pin a record with `view_refs` so it is not evicted under them.
#ifndef CHAT_MESSAGES_H
#define CHAT_MESSAGES_H

#include "arenakit/chunked.h"
#include "chat/conv.h"

#include <stdatomic.h>

typedef struct ChatMessage {
    uint32_t ordinal;
    ChatRole role;
    double created;         // seconds since the epoch, CHAT_TIME_UNKNOWN if unknown
    AkStr author;
    AkStr text;
    ChatPart *parts;        // structured parts (thinking, tool use, attachments...)
    uint32_t part_count;
    uint32_t sibling_index; // "2 of 3" at a branch point; 1 of 1 otherwise
    uint32_t sibling_count;
    bool visible;           // on the thread the person saw
    bool hidden;
} ChatMessage;

AK_CHUNKED_DEFINE(ChatMessageArray, ChatMessage);
#define CHAT_MESSAGES_CHUNK 128

typedef enum ChatLoadState {
    CHAT_LOAD_PENDING,   // queued or being filled by the IO thread
    CHAT_LOAD_READY,     // msgs may be read (by the main thread)
    CHAT_LOAD_FAILED,    // error[] says why; the record holds no messages
    CHAT_LOAD_CANCELLED, // shut down before the IO thread got to it
} ChatLoadState;

typedef struct ChatMessages {
    AkArena *arena;          // NULL while the record sits on the free list
    ChatMessageArray msgs;
    uint32_t handle;         // the chat this history belongs to (index into the metadata)
    int64_t chat_id;         // what the loader looks the chat up by (its database id)
    uint64_t size_hint;      // bytes the store expects the history to need
    struct ChatMessages **owner_slot; // cleared on eviction (the metadata's pointer to us)
    struct ChatMessages *lru_prev, *lru_next; // main thread only
    struct ChatMessages *io_next;             // IO queues, under the IO mutex
    _Atomic int state;       // ChatLoadState; stored with release by the IO thread
    _Atomic bool io_ref;     // the IO thread owns the arena
    uint32_t view_refs;      // views showing it (main thread only)
    uint64_t charged;        // bytes counted against the budget (main thread only)
    char error[256];         // written before a FAILED state is published
} ChatMessages;

static inline ChatLoadState chat_messages_state(const ChatMessages *m) {
    return (ChatLoadState)atomic_load_explicit(&m->state, memory_order_acquire);
}

#endif
