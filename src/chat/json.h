// json.h: a strict RFC 8259 JSON reader that streams. Bytes come through one fixed read buffer
// from a caller's source (a file, a zip member, memory); a top-level array is walked one element
// at a time, and each element is parsed into a tree on an arena the caller passes per call, so
// memory is bounded by the largest element, not the document (a 1 GB export of conversations
// never needs more than one conversation in memory).
//
// Memory: the reader is its own arena (the struct, the read buffer, a string builder for
// strings that cross a buffer refill or carry escapes); chat_json_reader_release gives it back.
// Trees live on the caller's arena until the caller pops it; all their strings are decoded,
// valid UTF-8 and NUL-terminated (the NUL is not counted in len; a "\u0000" escape can still put
// a NUL inside a string). They are read-only: a long string equal to one of the last few long
// strings of the same item shares its bytes (Claude exports write every message body twice).
//
// Strictness: invalid UTF-8 (with the offset of the first bad byte), raw control characters in
// strings, bad escapes, bad numbers (no silent zero), trailing commas, data after the top-level
// value, and nesting deeper than the limit are errors. Decisions beyond the RFC:
//  - an unpaired surrogate escape ("\ud83d" alone, as JavaScript writes a string cut between
//    the two halves of an emoji) is valid JSON grammar but no character: it decodes to U+FFFD
//    and is counted (chat_json_replaced); raw invalid UTF-8 bytes are never replaced;
//  - a UTF-8 byte order mark at offset 0 is skipped (RFC 8259 section 8.1 allows that);
//  - duplicate keys are kept; chat_json_get returns the last one, as JavaScript and Python do;
//  - in streaming mode the document must be an array (streamed) or an object (one item).
// Errors are sticky: after one, every call returns CHAT_JSON_ERROR with the same message.
#ifndef CHAT_JSON_H
#define CHAT_JSON_H

#include "arenakit/str.h"
#include "chat/error.h"

typedef enum ChatJsonKind {
    CHAT_JSON_NULL,
    CHAT_JSON_FALSE,
    CHAT_JSON_TRUE,
    CHAT_JSON_NUMBER,
    CHAT_JSON_STRING,
    CHAT_JSON_ARRAY,
    CHAT_JSON_OBJECT,
} ChatJsonKind;

typedef struct ChatJson ChatJson;
struct ChatJson {
    ChatJsonKind kind;
    uint32_t count;      // ARRAY elements / OBJECT members
    uint64_t offset;     // input byte offset of the value's first byte
    uint64_t key_offset; // object members: offset of the key's opening quote; else == offset
    AkStr key;           // object members: the decoded key; else empty
    AkStr str;           // STRING: decoded text; NUMBER: the literal as written (validated)
    ChatJson *child;     // ARRAY / OBJECT: first element or member, linked through next
    ChatJson *next;
};

// A source of bytes: copy up to cap bytes into buf and return how many (0 at the end of the
// input), or -1 after filling err with what failed.
typedef int64_t ChatJsonReadFn(void *user, char *buf, uint64_t cap, ChatError *err);

typedef struct ChatJsonParams {
    ChatJsonReadFn *read; // the source, or NULL to read from data/len
    void *user;
    const char *data;     // in-memory input (when read is NULL); must outlive the reader
    uint64_t len;
    uint64_t buffer_size; // read buffer; default 256 KB
    uint32_t max_depth;   // nesting limit, the top-level container counting as 1; default 512
    uint64_t max_string;  // longest decoded string; default 1 GB
    bool whole;           // return the whole top-level value (any kind) as the one item
} ChatJsonParams;

#define CHAT_JSON_DEFAULT_BUFFER AK_KB(256)
#define CHAT_JSON_DEFAULT_DEPTH 512u
#define CHAT_JSON_DEFAULT_MAX_STRING AK_GB(1)

typedef struct ChatJsonReader ChatJsonReader;

// chat_json_reader_create(.read = fn, .user = f) or (.data = p, .len = n): NULL (reason in err)
// if the reader's arena cannot be had.
#define chat_json_reader_create(err, ...) chat_json_reader_create_with((err), (ChatJsonParams){__VA_ARGS__})
ChatJsonReader *chat_json_reader_create_with(ChatError *err, ChatJsonParams params);
void chat_json_reader_release(ChatJsonReader *r);
// Starts a new document from read/user (or data/len), keeping the reader's arena, frames and
// buffer and its other parameters: a JSON Lines reader parses line after line with one reader
// instead of creating one per line (an arena each: mmap, page faults, munmap). Errors,
// offsets and the replaced count start over.
void chat_json_reader_restart(ChatJsonReader *r, ChatJsonReadFn *read, void *user, const char *data, uint64_t len);

typedef enum ChatJsonStep {
    CHAT_JSON_ITEM,  // *out is the next element (or the whole document), on `arena`
    CHAT_JSON_END,   // the document ended cleanly (nothing but whitespace after it)
    CHAT_JSON_ERROR, // chat_json_error() says what and where
} ChatJsonStep;

// The next item: an element of the top-level array, or the top-level object itself (or, with
// .whole, the top-level value). On CHAT_JSON_ERROR while parsing an item, *out is the part of
// it parsed so far (still linked: the innermost open container is at the end of each child
// list), so a caller can name the record the error is in; it is on `arena`.
ChatJsonStep chat_json_next(ChatJsonReader *r, AkArena *arena, ChatJson **out);

const char *chat_json_error(const ChatJsonReader *r); // "" if none
uint64_t chat_json_error_offset(const ChatJsonReader *r);
uint64_t chat_json_offset(const ChatJsonReader *r);   // bytes consumed so far
uint64_t chat_json_replaced(const ChatJsonReader *r); // unpaired surrogate escapes made U+FFFD
bool chat_json_top_is_array(const ChatJsonReader *r); // after the first chat_json_next

// Parse one whole document from memory (any top-level value). NULL with err on a syntax error.
ChatJson *chat_json_parse(AkArena *arena, const char *data, uint64_t len, ChatError *err);

// ---- reading a tree ------------------------------------------------------------------------
const char *chat_json_kind_name(ChatJsonKind kind); // "string", "object", ...
const ChatJson *chat_json_get_key(const ChatJson *obj, AkStr key); // last member named key, or NULL
static inline const ChatJson *chat_json_get(const ChatJson *obj, const char *key) {
    return chat_json_get_key(obj, ak_str_cstr(key));
}
// A NUMBER's value (strtod's rounding; independent of the C locale). 0 for other kinds.
double chat_json_num(const ChatJson *v);
// Minified JSON text of v, strings re-escaped; on arena (NUL-terminated). Empty if v is NULL.
AkStr chat_json_write(AkArena *arena, const ChatJson *v);

#endif
