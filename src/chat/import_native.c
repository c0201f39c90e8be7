// import_native.c: chatlog's own JSON export (`chatlog export CHAT --json`, marked by
// "chatlog_export": 1) back into a ChatConv. The format mirrors the store: every message on
// every branch in stored order, with its uuid, parent link, role, author, time, flags, branch
// position, text and parts. It is read as written, not re-threaded, so exporting a chat and
// importing the file gives the same stored content (the same content hash): a round trip.
// Times are read from the exact `*_epoch` numbers when present, else from the ISO strings.
#include "chat/db.h"
#include "chat/import.h"
#include "chat/source.h"

#include <math.h>

#define K(kind) CHAT_KIND_BIT(CHAT_JSON_##kind)

// `key_epoch` (a number, exact) or `key` (ISO 8601), or unknown.
static double native_time(ChatNorm *n, const ChatJson *obj, const char *key, const char *key_epoch) {
    if (chat_json_get(obj, key_epoch)) return chat_norm_epoch(n, obj, key_epoch);
    return chat_norm_iso_time(n, obj, key);
}

static bool native_flag(ChatNorm *n, const ChatJson *obj, const char *key) {
    const ChatJson *v = chat_norm_get(n, obj, key, K(TRUE), CHAT_NORM_OPTIONAL);
    return v && v->kind == CHAT_JSON_TRUE;
}

// A whole number in [lo, hi], or fail naming the field.
static bool native_count(ChatNorm *n, const ChatJson *v, const char *what, double lo, double hi, uint32_t *out) {
    double d = v && v->kind == CHAT_JSON_NUMBER ? chat_json_num(v) : NAN;
    if (!(d >= lo && d <= hi) || d != floor(d))
        return chat_norm_fail_at(n, v ? v->offset : 0, "%s at byte %llu: expected a whole number from %.0f to %.0f", what,
                                 (unsigned long long)(v ? v->offset : 0), lo, hi);
    *out = (uint32_t)d;
    return true;
}

static bool native_part(ChatNorm *n, const ChatJson *pj, ChatPart *p) {
    if (pj->kind != CHAT_JSON_OBJECT)
        return chat_norm_fail_at(n, pj->offset, "part at byte %llu: expected object, found %s",
                                 (unsigned long long)pj->offset, chat_json_kind_name(pj->kind));
    AkStr kind = chat_norm_str(n, pj, "kind", CHAT_NORM_REQUIRED);
    p->name = chat_norm_str(n, pj, "name", CHAT_NORM_OPTIONAL);
    p->text = chat_norm_str(n, pj, "text", CHAT_NORM_OPTIONAL);
    p->is_error = native_flag(n, pj, "is_error");
    if (n->failed) return false;
    for (int k = CHAT_PART_TEXT; k <= CHAT_PART_META; k++)
        if (ak_str_eq(kind, ak_str_cstr(chat_part_kind_name((ChatPartKind)k)))) return (p->kind = (ChatPartKind)k), true;
    return chat_norm_fail_at(n, pj->offset, "part at byte %llu: kind \"%.*s\" is not one this chatlog knows",
                             (unsigned long long)pj->offset, (int)AK_MIN(kind.len, 40), kind.ptr);
}

static bool native_message(ChatNorm *n, const ChatJson *mj, ChatMsg *m, uint32_t *unknown) {
    n->msg_uuid = ak_str("", 0);
    if (mj->kind != CHAT_JSON_OBJECT)
        return chat_norm_fail_at(n, mj->offset, "messages element at byte %llu: expected object, found %s",
                                 (unsigned long long)mj->offset, chat_json_kind_name(mj->kind));
    m->uuid = chat_norm_str(n, mj, "uuid", CHAT_NORM_OPTIONAL);
    n->msg_uuid = m->uuid;
    m->parent_uuid = chat_norm_str(n, mj, "parent_uuid", CHAT_NORM_OPTIONAL);
    AkStr role = chat_norm_str(n, mj, "role", CHAT_NORM_REQUIRED);
    m->author = chat_norm_str(n, mj, "author", CHAT_NORM_OPTIONAL);
    m->created = native_time(n, mj, "created", "created_epoch");
    m->visible = native_flag(n, mj, "visible");
    m->hidden = native_flag(n, mj, "hidden");
    m->text = chat_norm_str(n, mj, "text", CHAT_NORM_OPTIONAL);
    const ChatJson *branch = chat_norm_get(n, mj, "branch", K(ARRAY), CHAT_NORM_OPTIONAL);
    const ChatJson *parts = chat_norm_get(n, mj, "parts", K(ARRAY), CHAT_NORM_OPTIONAL);
    if (n->failed) return false;
    bool known = false;
    for (int r = CHAT_ROLE_USER; r <= CHAT_ROLE_OTHER && !known; r++)
        if (ak_str_eq(role, ak_str_cstr(chat_role_name((ChatRole)r)))) m->role = (ChatRole)r, known = true;
    if (!known)
        return chat_norm_fail_at(n, mj->offset, "role \"%.*s\" is not user, assistant, system, tool or other",
                                 (int)AK_MIN(role.len, 40), role.ptr);
    m->sibling_index = m->sibling_count = 1;
    if (branch && (branch->count != 2 || !native_count(n, branch->child, "branch[0]", 1, UINT32_MAX, &m->sibling_index) ||
                   !native_count(n, branch->child->next, "branch[1]", 1, UINT32_MAX, &m->sibling_count)))
        return chat_norm_fail_at(n, branch->offset, "branch at byte %llu: expected [index, count]",
                                 (unsigned long long)branch->offset); // false; keeps a count's own message
    m->part_count = parts ? parts->count : 0;
    m->parts = m->part_count ? ak_push_array(n->arena, ChatPart, m->part_count) : NULL;
    if (m->part_count && !m->parts) return chat_norm_fail_at(n, mj->offset, "out of memory for %u parts", m->part_count);
    uint32_t i = 0;
    for (const ChatJson *pj = parts ? parts->child : NULL; pj; pj = pj->next, i++) {
        if (!native_part(n, pj, &m->parts[i])) return false;
        *unknown += m->parts[i].kind == CHAT_PART_UNKNOWN;
    }
    return true;
}

bool chat_import_native(AkArena *a, const ChatJson *obj, ChatConv *out, ChatError *err) {
    ChatNorm n = {.arena = a, .err = err, .conv_obj = obj};
    memset(out, 0, sizeof *out);
    out->byte_offset = obj->offset;
    out->uuid = chat_norm_str(&n, obj, "uuid", CHAT_NORM_REQUIRED);
    if (n.failed) return false;
    n.conv_uuid = out->uuid;
    const ChatJson *version = chat_norm_get(&n, obj, "chatlog_export", K(NUMBER), CHAT_NORM_REQUIRED);
    AkStr source = chat_norm_str(&n, obj, "source", CHAT_NORM_REQUIRED);
    out->title = chat_norm_str(&n, obj, "title", CHAT_NORM_OPTIONAL);
    out->model = chat_norm_str(&n, obj, "model", CHAT_NORM_OPTIONAL);
    out->created = native_time(&n, obj, "created", "created_epoch");
    out->updated = native_time(&n, obj, "updated", "updated_epoch");
    const ChatJson *list = chat_norm_get(&n, obj, "messages", K(ARRAY), CHAT_NORM_REQUIRED);
    if (n.failed) return false;
    if (chat_json_num(version) != 1)
        return chat_norm_fail_at(&n, version->offset, "chatlog export format %.*s; this chatlog reads format 1",
                                 (int)AK_MIN(version->str.len, 20), version->str.ptr);
    // Any row of the table: an export of Claude Code or Gemini chats reads back too.
    const ChatSourceInfo *row = chat_source_by_name_str(source);
    if (!row || !ak_str_eq(source, ak_str_cstr(row->name))) {
        char names[200];
        return chat_norm_fail_at(&n, obj->offset, "source \"%.*s\" is not %s", (int)AK_MIN(source.len, 40), source.ptr,
                                 chat_source_names_text(names, sizeof names));
    }
    out->source = row->id;

    out->msg_count = list->count;
    out->msgs = list->count ? ak_push_array(a, ChatMsg, list->count) : NULL;
    if (list->count && !out->msgs) return chat_norm_fail_at(&n, obj->offset, "out of memory for %u messages", list->count);
    uint32_t i = 0;
    for (const ChatJson *mj = list->child; mj; mj = mj->next, i++) {
        if (!native_message(&n, mj, &out->msgs[i], &out->unknown_parts)) return false;
        // The store's rule: the visible thread comes first, then everything else.
        if (out->msgs[i].visible && out->visible_count != i)
            return chat_norm_fail_at(&n, mj->offset, "a visible message after an off-thread one (the visible thread comes first)");
        out->visible_count += out->msgs[i].visible;
    }
    return true;
}
