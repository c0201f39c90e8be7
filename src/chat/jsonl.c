// jsonl.c: JSON Lines through one fixed buffer; each line handed to a JSON reader of its own
// whose source stops at the line's newline (see jsonl.h).
#include "chat/jsonl.h"

#include <stdio.h>
#include <string.h>

struct ChatJsonl {
    ChatJsonReadFn *read;
    void *user;
    char *buf;             // the read buffer (or the caller's memory)
    uint64_t cap, pos, end; // bytes [pos, end) are buffered and not yet consumed
    uint64_t base;         // input offset of buf[0]
    bool eof;              // the source said 0
    bool failed;           // the source failed: msg holds why, sticky
    bool in_line_done;     // the current line's newline (or the input's end) was consumed
    uint64_t line_len;     // bytes of the current line handed to its JSON reader
    uint64_t max_line;
    uint64_t newlines;     // newlines consumed: the current line's number is this + 1 at its start
    uint64_t line, line_offset;
    uint64_t replaced;
    ChatJsonReader *jr;    // one JSON reader, restarted at each line
    ChatError err;
};

static int64_t line_read(void *user, char *out, uint64_t cap, ChatError *err);

ChatJsonl *chat_jsonl_open(AkArena *arena, ChatJsonlParams p, ChatError *err) {
    ChatJsonl *r = ak_push_struct(arena, ChatJsonl);
    if (!r) return chat_fail(err, "no memory for the JSON Lines reader: %s", ak_arena_error(arena)), NULL;
    r->max_line = p.max_line ? p.max_line : CHAT_JSONL_DEFAULT_MAX_LINE;
    if (!p.read) { // memory: the caller's bytes are the buffer, read in place
        r->buf = (char *)p.data; // only read, never written
        r->cap = r->end = p.data ? p.len : 0;
        r->eof = true;
    } else {
        r->read = p.read, r->user = p.user;
        r->cap = p.buffer_size ? AK_MAX(p.buffer_size, 64) : CHAT_JSONL_DEFAULT_BUFFER;
        r->buf = ak_push_array_nz(arena, char, r->cap);
        if (!r->buf) return chat_fail(err, "no memory for the JSON Lines buffer: %s", ak_arena_error(arena)), NULL;
    }
    // No string is longer than its line: the reader reserves (not commits) that much.
    uint64_t max_string = p.read ? r->max_line : AK_MIN(r->max_line, AK_MAX(r->end, 64));
    r->jr = chat_json_reader_create(err, .read = line_read, .user = r, .whole = true, .buffer_size = AK_KB(64),
                                    .max_string = max_string);
    return r->jr ? r : NULL;
}

void chat_jsonl_close(ChatJsonl *r) {
    if (r) chat_json_reader_release(r->jr);
}

// More bytes at [pos, end) once everything before was consumed; false at the end or a failure.
static bool fill(ChatJsonl *r) {
    if (r->pos < r->end) return true;
    if (r->eof || r->failed) return false;
    r->base += r->end;
    r->pos = r->end = 0;
    for (;;) {
        int64_t n = r->read(r->user, r->buf, r->cap, &r->err);
        if (n < 0) {
            char why[sizeof r->err.msg];
            snprintf(why, sizeof why, "%s", r->err.msg[0] ? r->err.msg : "read failed");
            chat_fail(&r->err, "cannot read at byte %llu: %s", (unsigned long long)r->base, why);
            r->failed = true;
            return false;
        }
        if (n == 0) return r->eof = true, false;
        r->end = (uint64_t)n;
        return true;
    }
}

// The JSON reader's source: the current line's bytes, then 0 at its newline.
static int64_t line_read(void *user, char *out, uint64_t cap, ChatError *err) {
    ChatJsonl *r = user;
    if (r->in_line_done) return 0;
    if (!fill(r)) {
        if (r->failed) return chat_fail(err, "%s", r->err.msg), -1;
        r->in_line_done = true;
        return 0;
    }
    uint64_t n = AK_MIN(r->end - r->pos, cap);
    const char *nl = memchr(r->buf + r->pos, '\n', (size_t)n);
    if (nl) n = (uint64_t)(nl - (r->buf + r->pos));
    if (r->line_len + n > r->max_line)
        return chat_fail(err, "the line is longer than the limit of %llu MB", (unsigned long long)(r->max_line >> 20)), -1;
    memcpy(out, r->buf + r->pos, (size_t)n);
    r->pos += n;
    r->line_len += n;
    if (nl) r->pos++, r->newlines++, r->in_line_done = true;
    return (int64_t)n;
}

// Consumes the rest of the current line (after a bad value); false if the source failed.
static bool skip_line(ChatJsonl *r) {
    while (!r->in_line_done) {
        if (!fill(r)) {
            r->in_line_done = true;
            return !r->failed;
        }
        const char *nl = memchr(r->buf + r->pos, '\n', (size_t)(r->end - r->pos));
        if (nl) {
            r->pos = (uint64_t)(nl - r->buf) + 1;
            r->newlines++;
            r->in_line_done = true;
        } else {
            r->pos = r->end;
        }
    }
    return true;
}

ChatJsonlStep chat_jsonl_next(ChatJsonl *r, AkArena *arena, ChatJson **out) {
    if (out) *out = NULL;
    if (r->failed) return CHAT_JSONL_ERROR;
    // Blank space and empty lines up to the next value.
    for (;;) {
        if (!fill(r)) return r->failed ? CHAT_JSONL_ERROR : CHAT_JSONL_END;
        char c = r->buf[r->pos];
        if (c == '\n') r->newlines++;
        else if (c != ' ' && c != '\t' && c != '\r') break;
        r->pos++;
    }
    r->line = r->newlines + 1;
    r->line_offset = r->base + r->pos;
    r->line_len = 0;
    r->in_line_done = false;
    ChatJsonReader *jr = r->jr;
    chat_json_reader_restart(jr, line_read, r, NULL, 0);
    ChatJson *v = NULL;
    ChatJsonStep st = chat_json_next(jr, arena, &v);
    if (st == CHAT_JSON_ITEM) st = chat_json_next(jr, arena, NULL) == CHAT_JSON_END ? CHAT_JSON_ITEM : CHAT_JSON_ERROR;
    if (st != CHAT_JSON_ITEM) {
        if (r->failed) return CHAT_JSONL_ERROR;
        chat_fail(&r->err, "line %llu (starting at byte %llu): %s", (unsigned long long)r->line,
                  (unsigned long long)r->line_offset, chat_json_error(jr));
        if (!skip_line(r)) return CHAT_JSONL_ERROR;
        return CHAT_JSONL_BAD;
    }
    r->replaced += chat_json_replaced(jr);
    if (out) *out = v;
    return CHAT_JSONL_RECORD;
}

const char *chat_jsonl_error(const ChatJsonl *r) { return r->err.msg; }
uint64_t chat_jsonl_line(const ChatJsonl *r) { return r->line; }
uint64_t chat_jsonl_line_offset(const ChatJsonl *r) { return r->line_offset; }
uint64_t chat_jsonl_offset(const ChatJsonl *r) { return r->base + r->pos; }
uint64_t chat_jsonl_replaced(const ChatJsonl *r) { return r->replaced; }

// Its newline was consumed once `newlines` counts it: the line's number is newlines + 1 at its start.
bool chat_jsonl_line_ended(const ChatJsonl *r) { return r->newlines >= r->line; }
