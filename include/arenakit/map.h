// map.h: an open-addressing hash map on an arena, from string or 64-bit keys to 64-bit values.
// Linear probing with backward-shift removal (no tombstones, so lookups stay short after
// many removes). Values are uint64_t: a handle, an index into a chunked array, a count, or a
// pointer through uintptr_t.
//
// Memory: the arena owns the slot table and, unless AK_MAP_BORROW_KEYS, a copy of every
// string key (so a key from a read buffer can be let go). Growing rehashes into a fresh table
// pushed on the arena; the outgrown table stays there until the arena is popped or released
// (at most as much again as the final table). Removed keys' bytes stay on the arena too.
// There is nothing to free: release the arena. One thread at a time.
//
//   AkMap m = ak_map_str(arena, 0, 0);
//   if (!ak_map_put_str(&m, uuid, handle)) ... the arena refused: ak_arena_error(arena)
//   uint64_t *h = ak_map_get_str(&m, uuid);   // NULL if absent
//   for (AkMapIter it = ak_map_iter(&m); ak_map_next(&it);) use it.key / it.key_u64, it.value
#ifndef ARENAKIT_MAP_H
#define ARENAKIT_MAP_H

#include "str.h"

enum {
    AK_MAP_BORROW_KEYS = 1u << 0, // do not copy string keys: they must outlive the map
};

typedef struct AkMapSlot {
    uint64_t hash; // 0: empty (real hashes are never 0)
    union {
        AkStr str;
        uint64_t u64;
    } key;
    uint64_t value;
} AkMapSlot;

typedef struct AkMap {
    AkArena *arena;
    AkMapSlot *slots; // NULL until the first insert (or reserve)
    uint64_t cap;     // slots, a power of two, at most 3/4 full (while slots is NULL: the
                      // size the first table will have, from `expected`)
    uint64_t count;
    uint32_t flags;
    bool str_keys;    // string keys (ak_map_str) or 64-bit keys (ak_map_u64)
} AkMap;

// Nothing is pushed until the first insert, so these cannot fail. `expected` sizes the first
// table for that many keys (0: start small).
AK_NODISCARD AkMap ak_map_str(AkArena *arena, uint64_t expected, uint32_t flags);
AK_NODISCARD AkMap ak_map_u64(AkArena *arena, uint64_t expected);
// Make room for n keys now, so inserts up to that count need no new table (string keys are
// still copied per insert unless borrowed). False if the arena refused.
AK_NODISCARD bool ak_map_reserve(AkMap *m, uint64_t n);

// The value's address, or NULL if absent. Valid until the next insert of an absent key or remove.
uint64_t *ak_map_get_str(const AkMap *m, AkStr key);
uint64_t *ak_map_get_u64(const AkMap *m, uint64_t key);
// Insert or overwrite. False if the arena refused the table or the key copy (map unchanged).
// Overwriting a key that is present asks nothing of the arena, so it never fails, never moves
// the table (value addresses stay valid) and may be done while iterating.
AK_NODISCARD bool ak_map_put_str(AkMap *m, AkStr key, uint64_t value);
AK_NODISCARD bool ak_map_put_u64(AkMap *m, uint64_t key, uint64_t value);
// The value's address, inserting the key with value 0 when absent (*added says which; may be
// NULL). NULL if the arena refused. Valid until the next insert of an absent key or remove.
AK_NODISCARD uint64_t *ak_map_upsert_str(AkMap *m, AkStr key, bool *added);
AK_NODISCARD uint64_t *ak_map_upsert_u64(AkMap *m, uint64_t key, bool *added);
// Remove the key; true (and its value in *old, if not NULL) if it was there.
bool ak_map_remove_str(AkMap *m, AkStr key, uint64_t *old);
bool ak_map_remove_u64(AkMap *m, uint64_t key, uint64_t *old);
// Forget every key; the table is kept for reuse.
void ak_map_clear(AkMap *m);
static inline uint64_t ak_map_count(const AkMap *m) { return m->count; }

// Iteration in table order. Do not insert absent keys or remove while iterating (either may
// move entries); overwriting present ones is fine.
typedef struct AkMapIter {
    const AkMap *m;
    uint64_t i;
    AkStr key;        // string maps
    uint64_t key_u64; // 64-bit maps
    uint64_t value;
} AkMapIter;
static inline AkMapIter ak_map_iter(const AkMap *m) {
    AkMapIter it = {m, 0, {0, 0}, 0, 0};
    return it;
}
bool ak_map_next(AkMapIter *it);

// The 64-bit mixer the map uses for integer keys (a bijection: distinct keys, distinct hashes).
static inline uint64_t ak_hash_u64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

#endif
