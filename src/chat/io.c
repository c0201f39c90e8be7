// io.c: one worker thread, one mutex, two condition variables. The queue and the done list
// are intrusive lists through ChatMessages.io_next, so submitting allocates nothing.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "chat/io.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct ChatIo {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; // new request or stop
    pthread_cond_t done_cv; // a record finished
    ChatMessages *queue_head, *queue_tail;
    ChatMessages *done;
    bool stop;
    ChatLoadFn *load;
    void *load_ctx;
    ChatNotifyFn *notify;
    void *notify_user;
};

static void io_finish(ChatIo *io, ChatMessages *rec, ChatLoadState state) {
    pthread_mutex_lock(&io->mu);
    atomic_store_explicit(&rec->state, state, memory_order_release);
    atomic_store_explicit(&rec->io_ref, false, memory_order_release);
    rec->io_next = io->done;
    io->done = rec;
    pthread_cond_broadcast(&io->done_cv);
    ChatNotifyFn *notify = io->notify;
    void *user = io->notify_user;
    pthread_mutex_unlock(&io->mu);
    if (notify) notify(user);
}

static void *io_main(void *arg) {
    ChatIo *io = arg;
    pthread_mutex_lock(&io->mu);
    for (;;) {
        while (!io->queue_head && !io->stop) pthread_cond_wait(&io->work_cv, &io->mu);
        if (io->stop) break;
        ChatMessages *rec = io->queue_head;
        io->queue_head = rec->io_next;
        if (!io->queue_head) io->queue_tail = NULL;
        pthread_mutex_unlock(&io->mu);

        ChatError err = {{0}};
        bool ok = io->load(io->load_ctx, rec, &err);
        if (!ok) snprintf(rec->error, sizeof rec->error, "%.250s", err.msg[0] ? err.msg : "load failed");
        io_finish(io, rec, ok ? CHAT_LOAD_READY : CHAT_LOAD_FAILED);
        pthread_mutex_lock(&io->mu);
    }
    // Cancel what is still queued: the records go back to the main thread unfilled.
    ChatMessages *rec = io->queue_head;
    io->queue_head = io->queue_tail = NULL;
    pthread_mutex_unlock(&io->mu);
    while (rec) {
        ChatMessages *next = rec->io_next;
        snprintf(rec->error, sizeof rec->error, "cancelled: the store was closed before the load ran");
        io_finish(io, rec, CHAT_LOAD_CANCELLED);
        rec = next;
    }
    return NULL;
}

ChatIo *chat_io_start(AkArena *arena, ChatLoadFn *load, void *load_ctx, ChatError *err) {
    ChatIo *io = ak_push_struct(arena, ChatIo);
    if (!io) return chat_fail(err, "IO thread: %s", ak_arena_error(arena)), NULL;
    io->load = load;
    io->load_ctx = load_ctx;
    pthread_mutex_init(&io->mu, NULL);
    pthread_cond_init(&io->work_cv, NULL);
    pthread_cond_init(&io->done_cv, NULL);
    int rc = pthread_create(&io->thread, NULL, io_main, io);
    if (rc != 0) {
        pthread_mutex_destroy(&io->mu);
        pthread_cond_destroy(&io->work_cv);
        pthread_cond_destroy(&io->done_cv);
        return chat_fail(err, "cannot start the IO thread: %s", strerror(rc)), NULL;
    }
    return io;
}

void chat_io_set_notify(ChatIo *io, ChatNotifyFn *fn, void *user) {
    pthread_mutex_lock(&io->mu);
    io->notify = fn;
    io->notify_user = user;
    pthread_mutex_unlock(&io->mu);
}

void chat_io_submit(ChatIo *io, ChatMessages *rec) {
    AK_ASSERT(atomic_load(&rec->io_ref), "chat_io_submit: record of chat %u has no io_ref", rec->handle);
    pthread_mutex_lock(&io->mu);
    rec->io_next = NULL;
    if (io->queue_tail) io->queue_tail->io_next = rec;
    else io->queue_head = rec;
    io->queue_tail = rec;
    pthread_cond_signal(&io->work_cv);
    pthread_mutex_unlock(&io->mu);
}

ChatMessages *chat_io_take_done(ChatIo *io) {
    pthread_mutex_lock(&io->mu);
    ChatMessages *done = io->done;
    io->done = NULL;
    pthread_mutex_unlock(&io->mu);
    return done;
}

void chat_io_wait(ChatIo *io, ChatMessages *rec) {
    pthread_mutex_lock(&io->mu);
    while (atomic_load_explicit(&rec->state, memory_order_acquire) == CHAT_LOAD_PENDING)
        pthread_cond_wait(&io->done_cv, &io->mu);
    pthread_mutex_unlock(&io->mu);
}

ChatMessages *chat_io_stop(ChatIo *io) {
    pthread_mutex_lock(&io->mu);
    io->stop = true;
    pthread_cond_signal(&io->work_cv);
    pthread_mutex_unlock(&io->mu);
    pthread_join(io->thread, NULL);
    ChatMessages *done = chat_io_take_done(io);
    pthread_mutex_destroy(&io->mu);
    pthread_cond_destroy(&io->work_cv);
    pthread_cond_destroy(&io->done_cv);
    return done;
}
