// map.c: open addressing with linear probing. A slot's hash is never 0 (the top bit is forced
// on), so 0 marks an empty slot; removal shifts the following run back instead of leaving
// tombstones (Knuth's algorithm R). Tables are powers of two, at most 3/4 full.
#include "arenakit/map.h"

#define MAP_MIN_CAP 16u

static uint64_t str_hash(AkStr k) { return ak_str_hash(k) | (1ull << 63); }
static uint64_t u64_hash(uint64_t k) { return ak_hash_u64(k) | (1ull << 63); }

// Smallest power-of-two table that holds n keys at 3/4 load (0 if n is absurd).
static uint64_t cap_for(uint64_t n) {
    if (n > (UINT64_MAX >> 3)) return 0;
    uint64_t need = n + n / 3 + 1, cap = MAP_MIN_CAP;
    while (cap < need) cap <<= 1;
    return cap;
}

static AkMap map_init(AkArena *arena, uint64_t expected, uint32_t flags, bool str_keys) {
    AK_ASSERT(arena, "map needs an arena");
    AkMap m = {0};
    m.arena = arena;
    m.cap = expected ? cap_for(expected) : 0; // planned size while slots is NULL
    m.flags = flags;
    m.str_keys = str_keys;
    return m;
}

AkMap ak_map_str(AkArena *arena, uint64_t expected, uint32_t flags) { return map_init(arena, expected, flags, true); }
AkMap ak_map_u64(AkArena *arena, uint64_t expected) { return map_init(arena, expected, 0, false); }

static bool slot_matches(const AkMap *m, const AkMapSlot *s, uint64_t h, AkStr skey, uint64_t ukey) {
    if (s->hash != h) return false;
    return m->str_keys ? ak_str_eq(s->key.str, skey) : s->key.u64 == ukey;
}

// The slot holding the key, or the empty slot where it would go. Needs a table.
static AkMapSlot *probe(const AkMap *m, uint64_t h, AkStr skey, uint64_t ukey) {
    uint64_t mask = m->cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        AkMapSlot *s = &m->slots[i];
        if (!s->hash || slot_matches(m, s, h, skey, ukey)) return s;
    }
}

// Move every key into a fresh table of new_cap slots on the arena; false (map unchanged) if
// the arena refuses. The old table stays on the arena: it cannot be given back piecemeal.
static bool rehash(AkMap *m, uint64_t new_cap) {
    if (!new_cap) { // beyond any address space: let the arena record the overflow as its error
        (void)ak_arena_push_overflow(m->arena, UINT64_MAX, sizeof(AkMapSlot));
        return false;
    }
    AkMapSlot *slots = ak_push_array_nz(m->arena, AkMapSlot, new_cap);
    if (!slots) return false;
    memset(slots, 0, (size_t)(new_cap * sizeof *slots)); // the arena may be AK_ARENA_NO_ZERO
    uint64_t mask = new_cap - 1;
    for (uint64_t k = 0; m->slots && k < m->cap; k++) {
        if (!m->slots[k].hash) continue;
        uint64_t i = m->slots[k].hash & mask;
        while (slots[i].hash) i = (i + 1) & mask;
        slots[i] = m->slots[k];
    }
    m->slots = slots;
    m->cap = new_cap;
    return true;
}

bool ak_map_reserve(AkMap *m, uint64_t n) {
    uint64_t want = cap_for(n);
    if (m->slots && want && want <= m->cap) return true;
    if (!m->slots && want && m->cap > want) want = m->cap;
    return rehash(m, want);
}

static uint64_t *upsert(AkMap *m, uint64_t h, AkStr skey, uint64_t ukey, bool *added) {
    if (!m->slots || (m->count + 1) > m->cap - m->cap / 4) {
        uint64_t want = m->slots ? m->cap * 2 : AK_MAX(m->cap, (uint64_t)MAP_MIN_CAP);
        if (!rehash(m, want)) return NULL;
    }
    AkMapSlot *s = probe(m, h, skey, ukey);
    if (added) *added = !s->hash;
    if (s->hash) return &s->value;
    if (m->str_keys && !(m->flags & AK_MAP_BORROW_KEYS)) {
        skey = ak_str_copy(m->arena, skey);
        if (!skey.ptr) return NULL;
    }
    s->hash = h;
    if (m->str_keys) s->key.str = skey;
    else s->key.u64 = ukey;
    s->value = 0;
    m->count++;
    return &s->value;
}

static bool remove_slot(AkMap *m, uint64_t h, AkStr skey, uint64_t ukey, uint64_t *old) {
    if (!m->slots || !m->count) return false;
    AkMapSlot *s = probe(m, h, skey, ukey);
    if (!s->hash) return false;
    if (old) *old = s->value;
    // Shift back every later entry of the run whose home is not in (i, j]: it would become
    // unreachable across the hole otherwise.
    uint64_t mask = m->cap - 1, i = (uint64_t)(s - m->slots), j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].hash) break;
        uint64_t home = m->slots[j].hash & mask;
        if (((j - home) & mask) < ((j - i) & mask)) continue; // home in (i, j]: stays
        m->slots[i] = m->slots[j];
        i = j;
    }
    memset(&m->slots[i], 0, sizeof m->slots[i]);
    m->count--;
    return true;
}

static const AkStr no_str = {NULL, 0};

#define ASSERT_KIND(m, want_str)                                                              \
    AK_ASSERT((m)->str_keys == (want_str), "map with %s keys used with a %s key",            \
              (m)->str_keys ? "string" : "64-bit", (want_str) ? "string" : "64-bit")

uint64_t *ak_map_get_str(const AkMap *m, AkStr key) {
    ASSERT_KIND(m, true);
    if (!m->slots || !m->count || !m->str_keys) return NULL;
    AkMapSlot *s = probe(m, str_hash(key), key, 0);
    return s->hash ? &s->value : NULL;
}

uint64_t *ak_map_get_u64(const AkMap *m, uint64_t key) {
    ASSERT_KIND(m, false);
    if (!m->slots || !m->count || m->str_keys) return NULL;
    AkMapSlot *s = probe(m, u64_hash(key), no_str, key);
    return s->hash ? &s->value : NULL;
}

uint64_t *ak_map_upsert_str(AkMap *m, AkStr key, bool *added) {
    ASSERT_KIND(m, true);
    return m->str_keys ? upsert(m, str_hash(key), key, 0, added) : NULL;
}

uint64_t *ak_map_upsert_u64(AkMap *m, uint64_t key, bool *added) {
    ASSERT_KIND(m, false);
    return m->str_keys ? NULL : upsert(m, u64_hash(key), no_str, key, added);
}

bool ak_map_put_str(AkMap *m, AkStr key, uint64_t value) {
    uint64_t *v = ak_map_upsert_str(m, key, NULL);
    if (v) *v = value;
    return v != NULL;
}

bool ak_map_put_u64(AkMap *m, uint64_t key, uint64_t value) {
    uint64_t *v = ak_map_upsert_u64(m, key, NULL);
    if (v) *v = value;
    return v != NULL;
}

bool ak_map_remove_str(AkMap *m, AkStr key, uint64_t *old) {
    ASSERT_KIND(m, true);
    return m->str_keys && remove_slot(m, str_hash(key), key, 0, old);
}

bool ak_map_remove_u64(AkMap *m, uint64_t key, uint64_t *old) {
    ASSERT_KIND(m, false);
    return !m->str_keys && remove_slot(m, u64_hash(key), no_str, key, old);
}

void ak_map_clear(AkMap *m) {
    if (m->slots) memset(m->slots, 0, (size_t)(m->cap * sizeof *m->slots));
    m->count = 0;
}

bool ak_map_next(AkMapIter *it) {
    const AkMap *m = it->m;
    for (; m->slots && it->i < m->cap; it->i++) {
        const AkMapSlot *s = &m->slots[it->i];
        if (!s->hash) continue;
        if (m->str_keys) it->key = s->key.str;
        else it->key_u64 = s->key.u64;
        it->value = s->value;
        it->i++;
        return true;
    }
    return false;
}
