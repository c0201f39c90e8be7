// conv.h: one conversation normalized from any source (source.h: Claude.ai, ChatGPT, ...). The
// importers build it in a scratch arena, hand it to the store, and pop it; nothing in it
// outlives that arena. All strings are AkStr views into the same arena (valid UTF-8).
#ifndef CHAT_CONV_H
#define CHAT_CONV_H

#include "arenakit/str.h"

#define CHAT_TIME_UNKNOWN (-1.0) // a null or missing timestamp

// Where a chat came from. Names, labels, detection and importers are the table's (source.h):
// a new source adds a value here and a row there. 0 is no source (unknown).
typedef enum ChatSource {
    CHAT_SOURCE_CLAUDE = 1,
    CHAT_SOURCE_CHATGPT = 2,
    CHAT_SOURCE_CLAUDE_CODE = 3, // Claude Code session logs (sources.h)
    CHAT_SOURCE_CODEX = 4,       // OpenAI Codex CLI rollouts
    CHAT_SOURCE_GEMINI = 5,      // Gemini from Google Takeout My Activity
} ChatSource;

typedef enum ChatRole {
    CHAT_ROLE_USER,
    CHAT_ROLE_ASSISTANT,
    CHAT_ROLE_SYSTEM,
    CHAT_ROLE_TOOL,
    CHAT_ROLE_OTHER,
} ChatRole;

typedef enum ChatPartKind {
    CHAT_PART_TEXT,        // readable text (a Claude text block, a ChatGPT string part)
    CHAT_PART_THINKING,    // Claude thinking, ChatGPT thoughts / reasoning_recap
    CHAT_PART_TOOL_USE,    // Claude tool_use (name = tool, text = input JSON); ChatGPT code to a recipient
    CHAT_PART_TOOL_RESULT, // Claude tool_result, ChatGPT execution_output / system_error / browsing results
    CHAT_PART_ATTACHMENT,  // name = file name, text = extracted content
    CHAT_PART_FILE,        // name only (Claude files[])
    CHAT_PART_IMAGE,       // name = asset pointer (file-service://, sediment://)
    CHAT_PART_UNKNOWN,     // a block type this importer does not know: name = its type, text = raw JSON
    // New kinds go last: the numbers are part of the stored content hash.
    CHAT_PART_CONTEXT,     // text the system injected into a turn (Claude injected_prompt_block): name = its source
    CHAT_PART_MEDIA,       // audio or video (ChatGPT audio parts): name = asset pointer, text = raw JSON
    CHAT_PART_META,        // known machinery without prose (token_budget, citations, block times): name = what, text = raw JSON
} ChatPartKind;

// Tool parts (TOOL_USE, TOOL_RESULT) whose export names the call (Claude tool_use.id,
// tool_result.tool_use_id) carry it in the name after " #": "artifacts #toolu_01A…", so a call
// and its result share the same tail and the id is stored, shown and searchable.
typedef struct ChatPart {
    ChatPartKind kind;
    AkStr name;
    AkStr text;
    bool is_error; // tool_result with is_error, system_error
} ChatPart;

typedef struct ChatMsg {
    AkStr uuid;
    AkStr parent_uuid;     // empty at a root
    ChatRole role;
    AkStr author;          // raw sender / author.role, plus author.name for tools ("python")
    double created;        // seconds since the epoch, CHAT_TIME_UNKNOWN if null
    AkStr text;            // the body a reader sees: text parts joined by blank lines
    ChatPart *parts;       // every part, text ones included, in export order
    uint32_t part_count;
    bool visible;          // on the thread the person saw, and not hidden
    bool hidden;           // hidden from the conversation by the vendor (system context)
    uint32_t sibling_index; // 1-based position among its parent's children (by creation)
    uint32_t sibling_count; // how many children its parent has (2+ means a branch point)
} ChatMsg;

typedef struct ChatConv {
    ChatSource source;
    AkStr uuid;
    AkStr title;           // empty when the export has null or ""
    AkStr model;           // default model slug, if known
    double created, updated;
    ChatMsg *msgs;         // the visible thread first (root to leaf), then the other branches
    uint32_t msg_count;
    uint32_t visible_count;
    uint64_t byte_offset;  // where the conversation's object starts in its file
    uint32_t unknown_parts; // parts kept as raw JSON because their type is unknown
} ChatConv;

// What an import read of one append-only source file (a session log), so the next one can tell
// an unchanged file from one that grew or was rewritten (import.h, db.h's source_files).
typedef struct ChatFileStamp {
    uint64_t size;        // the file's size when it was read
    int64_t mtime_ns;     // its modification time, nanoseconds since the epoch
    uint64_t offset;      // the end of the last complete line imported (a partial last line is not)
    uint64_t fingerprint; // a hash of the bytes before offset: its first and last 4 KB, and offset
} ChatFileStamp;

#endif
