// io.h: the IO thread. It takes load requests (ChatMessages records whose io_ref is set),
// runs the loader on each, publishes the result with a release store of `state`, clears
// io_ref and puts the record on a done list that the main thread drains with chat_io_poll.
// Requests are records, not copies: a record is on at most one queue at a time. The IO
// thread owns nothing; records and their arenas belong to the LRU.
#ifndef CHAT_IO_H
#define CHAT_IO_H

#include "chat/error.h"
#include "chat/messages.h"

// Fills rec->msgs on rec->arena; runs on the IO thread. False with err on failure.
typedef bool ChatLoadFn(void *ctx, ChatMessages *rec, ChatError *err);
// Called on the IO thread after each completion (e.g. to wake a UI's poll loop).
typedef void ChatNotifyFn(void *user);

typedef struct ChatIo ChatIo;

ChatIo *chat_io_start(AkArena *arena, ChatLoadFn *load, void *load_ctx, ChatError *err);
void chat_io_set_notify(ChatIo *io, ChatNotifyFn *fn, void *user);
// Queue rec (its io_ref must be set). Never blocks on a load.
void chat_io_submit(ChatIo *io, ChatMessages *rec);
// Take every finished record (linked through io_next), or NULL. Main thread.
ChatMessages *chat_io_take_done(ChatIo *io);
// Block until rec is no longer pending.
void chat_io_wait(ChatIo *io, ChatMessages *rec);
// Finish the load in progress, cancel the queued ones, join the thread, and return every
// finished record not yet taken (the cancelled ones included, as CANCELLED). The ChatIo
// lives on `arena` and must not be used afterwards.
ChatMessages *chat_io_stop(ChatIo *io);

#endif
