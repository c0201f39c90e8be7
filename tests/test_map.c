// Hash map: basic string and 64-bit use, upsert, growth keeping every key, key copying versus
// borrowing, awkward keys (empty, embedded NUL, long, colliding integers), a refusing arena
// leaving the map intact, clear, kind mismatch asserting, and random insert/remove/lookup
// checked against a plain array model (small key universes force long runs, wrap-around and
// many backward shifts; large ones force growth).
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/map.h"

#define S AK_STR

static void test_basic_str(void) {
    AkArena *a = ak_arena_create(.name = "map");
    REQUIRE(a);
    AkMap m = ak_map_str(a, 0, 0);
    CHECK(ak_map_count(&m) == 0);
    CHECK(ak_map_get_str(&m, S("x")) == NULL);
    CHECK(!ak_map_remove_str(&m, S("x"), NULL));
    AkMapIter it = ak_map_iter(&m);
    CHECK(!ak_map_next(&it));
    CHECK(ak_map_put_str(&m, S("550e8400-e29b-41d4-a716-446655440000"), 7));
    CHECK(ak_map_put_str(&m, S("other"), 8));
    CHECK(ak_map_count(&m) == 2);
    uint64_t *v = ak_map_get_str(&m, S("550e8400-e29b-41d4-a716-446655440000"));
    CHECK(v && *v == 7);
    CHECK(ak_map_put_str(&m, S("other"), 80)); // overwrite
    CHECK(*ak_map_get_str(&m, S("other")) == 80);
    CHECK(ak_map_count(&m) == 2);
    bool added = false;
    uint64_t *c = ak_map_upsert_str(&m, S("counter"), &added);
    REQUIRE(c);
    CHECK(added && *c == 0);
    (*c)++;
    c = ak_map_upsert_str(&m, S("counter"), &added);
    CHECK(!added && *c == 1);
    uint64_t old = 0;
    CHECK(ak_map_remove_str(&m, S("other"), &old) && old == 80);
    CHECK(!ak_map_remove_str(&m, S("other"), &old));
    CHECK(ak_map_get_str(&m, S("other")) == NULL);
    CHECK(ak_map_count(&m) == 2);
    ak_arena_release(a);
}

static void test_awkward_keys(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    AkMap m = ak_map_str(a, 0, 0);
    CHECK(ak_map_put_str(&m, S(""), 1));
    CHECK(ak_map_put_str(&m, ak_str("a\0b", 3), 2));
    CHECK(ak_map_put_str(&m, ak_str("a\0c", 3), 3));
    CHECK(ak_map_put_str(&m, S("a"), 4));
    CHECK(ak_map_put_str(&m, S("A"), 5)); // case matters
    char longkey[300];
    memset(longkey, 'k', sizeof longkey);
    CHECK(ak_map_put_str(&m, ak_str(longkey, 300), 6));
    longkey[299] = 'j';
    CHECK(ak_map_put_str(&m, ak_str(longkey, 300), 7));
    CHECK(*ak_map_get_str(&m, S("")) == 1);
    CHECK(*ak_map_get_str(&m, ak_str("a\0b", 3)) == 2);
    CHECK(*ak_map_get_str(&m, ak_str("a\0c", 3)) == 3);
    CHECK(*ak_map_get_str(&m, S("a")) == 4);
    CHECK(*ak_map_get_str(&m, S("A")) == 5);
    CHECK(*ak_map_get_str(&m, ak_str(longkey, 300)) == 7);
    longkey[299] = 'k';
    CHECK(*ak_map_get_str(&m, ak_str(longkey, 300)) == 6);
    CHECK(ak_map_get_str(&m, ak_str(longkey, 299)) == NULL);
    CHECK(ak_map_count(&m) == 7);

    // 64-bit keys: 0, all ones, and multiples of a large power of two (same low bits).
    AkMap u = ak_map_u64(a, 0);
    CHECK(ak_map_put_u64(&u, 0, 100));
    CHECK(ak_map_put_u64(&u, UINT64_MAX, 101));
    for (uint64_t i = 1; i <= 1000; i++) CHECK(ak_map_put_u64(&u, i << 40, i));
    CHECK(ak_map_count(&u) == 1002);
    CHECK(*ak_map_get_u64(&u, 0) == 100);
    CHECK(*ak_map_get_u64(&u, UINT64_MAX) == 101);
    int bad = 0;
    for (uint64_t i = 1; i <= 1000; i++) bad += *ak_map_get_u64(&u, i << 40) != i;
    CHECK(bad == 0);
    CHECK(ak_map_get_u64(&u, 1) == NULL);
    ak_arena_release(a);
}

static void test_key_ownership(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    char buf[32];
    AkMap copied = ak_map_str(a, 0, 0);
    AkMap borrowed = ak_map_str(a, 0, AK_MAP_BORROW_KEYS);
    strcpy(buf, "read-buffer-key");
    CHECK(ak_map_put_str(&copied, ak_str_cstr(buf), 1));
    CHECK(ak_map_put_str(&borrowed, ak_str_cstr(buf), 2));
    AkMapIter it = ak_map_iter(&borrowed);
    REQUIRE(ak_map_next(&it));
    CHECK(it.key.ptr == buf); // the map points at the caller's bytes
    it = ak_map_iter(&copied);
    REQUIRE(ak_map_next(&it));
    CHECK(it.key.ptr != buf && it.key.ptr[it.key.len] == 0);
    memset(buf, 'z', 15); // the buffer is reused for the next record
    CHECK(*ak_map_get_str(&copied, S("read-buffer-key")) == 1);
    CHECK(ak_map_get_str(&borrowed, S("read-buffer-key")) == NULL);
    ak_arena_release(a);
}

static void test_growth_and_iteration(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    uint64_t n = (uint64_t)(100000 * test_scale());
    AkMap m = ak_map_str(a, 0, 0);
    for (uint64_t i = 0; i < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "conv-%llu", (unsigned long long)i);
        REQUIRE(ak_map_put_str(&m, ak_str(k, (uint64_t)len), i));
    }
    CHECK(ak_map_count(&m) == n);
    CHECK(m.count * 4 <= m.cap * 3);
    uint8_t *seen = ak_push_array(a, uint8_t, n);
    REQUIRE(seen);
    uint64_t visited = 0;
    int bad = 0;
    for (AkMapIter it = ak_map_iter(&m); ak_map_next(&it);) {
        char k[32];
        int len = snprintf(k, sizeof k, "conv-%llu", (unsigned long long)it.value);
        bad += it.value >= n || seen[it.value]++ || !ak_str_eq(it.key, ak_str(k, (uint64_t)len));
        visited++;
    }
    CHECK(bad == 0);
    CHECK(visited == n);

    // Reserve up front: no table is pushed while filling up to the reserved count.
    AkMap r = ak_map_u64(a, 5000);
    CHECK(r.slots == NULL && r.cap >= 5000 * 4 / 3);
    REQUIRE(ak_map_put_u64(&r, 1, 1));
    uint64_t pos = ak_arena_pos(a);
    for (uint64_t i = 2; i <= 5000; i++) REQUIRE(ak_map_put_u64(&r, i, i));
    CHECK(ak_arena_pos(a) == pos);
    AkMap r2 = ak_map_u64(a, 0);
    REQUIRE(ak_map_reserve(&r2, 3000));
    pos = ak_arena_pos(a);
    for (uint64_t i = 0; i < 3000; i++) REQUIRE(ak_map_put_u64(&r2, i * 7919, i));
    CHECK(ak_arena_pos(a) == pos);
    CHECK(ak_map_reserve(&r2, 10)); // already roomy: nothing changes
    CHECK(ak_arena_pos(a) == pos);

    // Clear keeps the table: refilling pushes nothing (u64 keys are not copied).
    ak_map_clear(&r2);
    CHECK(ak_map_count(&r2) == 0 && ak_map_get_u64(&r2, 7919) == NULL);
    AkMapIter it = ak_map_iter(&r2);
    CHECK(!ak_map_next(&it));
    for (uint64_t i = 0; i < 3000; i++) REQUIRE(ak_map_put_u64(&r2, i, i));
    CHECK(ak_arena_pos(a) == pos);
    ak_arena_release(a);
}

static void test_refusing_arena(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(4), .flags = AK_ARENA_FIXED, .name = "tiny");
    REQUIRE(a);
    AkMap m = ak_map_str(a, 0, 0);
    uint64_t n = 0;
    for (;; n++) {
        char k[32];
        int len = snprintf(k, sizeof k, "key-%llu", (unsigned long long)n);
        if (!ak_map_put_str(&m, ak_str(k, (uint64_t)len), n)) break;
        REQUIRE(n < 100000);
    }
    CHECK(n > 100);
    CHECK_STR_CONTAINS(ak_arena_error(a), "full");
    CHECK(ak_map_count(&m) == n);
    int bad = 0;
    for (uint64_t i = 0; i < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "key-%llu", (unsigned long long)i);
        uint64_t *v = ak_map_get_str(&m, ak_str(k, (uint64_t)len));
        bad += !v || *v != i;
    }
    CHECK(bad == 0);
    // Overwriting an existing key needs no memory, however full the table and the arena.
    for (uint64_t i = 0; i < n; i++) {
        char k[32];
        int len = snprintf(k, sizeof k, "key-%llu", (unsigned long long)i);
        bad += !ak_map_put_str(&m, ak_str(k, (uint64_t)len), i + 1);
    }
    CHECK(bad == 0);
    CHECK(ak_map_count(&m) == n);
    CHECK(*ak_map_get_str(&m, S("key-0")) == 1);
    CHECK(ak_map_remove_str(&m, S("key-0"), NULL));
    CHECK(ak_map_count(&m) == n - 1);

    AkArena *b = ak_arena_create();
    REQUIRE(b);
    AkMap huge = ak_map_u64(b, 0);
    CHECK(!ak_map_reserve(&huge, UINT64_MAX / 2));
    CHECK_STR_CONTAINS(ak_arena_error(b), "overflow");
    CHECK(ak_map_put_u64(&huge, 1, 1)); // still usable
    ak_arena_release(b);
    ak_arena_release(a);
}

// A put of a present key at exactly 3/4 load (the point where the next insert rehashes) is an
// overwrite: no new table, the value pointer stays valid, an iteration may go on, and it works
// with not one byte left on a fixed arena. The old code checked the load before probing.
static void test_overwrite_at_load_limit(void) {
    for (int str_keys = 0; str_keys < 2; str_keys++) {
        AkArena *a = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(4), .flags = AK_ARENA_FIXED, .name = "full");
        REQUIRE(a);
        AkMap m = str_keys ? ak_map_str(a, 0, 0) : ak_map_u64(a, 0);
        char kb[32];
#define KEY(i) ak_str(kb, (uint64_t)snprintf(kb, sizeof kb, "k%d", (int)(i)))
        int i = 0;
        // Fill to the load limit: the table of 16 slots holds 12 keys.
        for (; i < 12; i++) REQUIRE(str_keys ? ak_map_put_str(&m, KEY(i), (uint64_t)i) : ak_map_put_u64(&m, (uint64_t)i, (uint64_t)i));
        REQUIRE(m.cap == 16);
        while (ak_arena_push(a, 256, 1)) {}
        while (ak_arena_push(a, 1, 1)) {}
        AkMapSlot *table = m.slots;
        uint64_t *v0 = str_keys ? ak_map_get_str(&m, KEY(0)) : ak_map_get_u64(&m, 0);
        REQUIRE(v0);
        AkMapIter it = ak_map_iter(&m);
        int seen = 0, bad = 0;
        while (ak_map_next(&it)) {
            seen++;
            // Overwrite every key while iterating, the current one and others.
            for (int k = 0; k < 12; k++)
                bad += !(str_keys ? ak_map_put_str(&m, KEY(k), 100 + (uint64_t)k) : ak_map_put_u64(&m, (uint64_t)k, 100 + (uint64_t)k));
            bool added = true;
            uint64_t *u = str_keys ? ak_map_upsert_str(&m, KEY(5), &added) : ak_map_upsert_u64(&m, 5, &added);
            bad += !u || added || *u != 105;
        }
        CHECK_EQ(bad, 0);
        CHECK_EQ(seen, 12);
        CHECK(m.slots == table);
        CHECK_EQ(m.cap, 16);
        CHECK_EQ(*v0, 100);
        CHECK_EQ(ak_map_count(&m), 12);
        // A new key needs a table the arena cannot give: refused, the map unchanged.
        CHECK(!(str_keys ? ak_map_put_str(&m, KEY(12), 12) : ak_map_put_u64(&m, 12, 12)));
        CHECK(m.slots == table && ak_map_count(&m) == 12);
        for (int k = 0; k < 12; k++) {
            uint64_t *v = str_keys ? ak_map_get_str(&m, KEY(k)) : ak_map_get_u64(&m, (uint64_t)k);
            bad += !v || *v != 100 + (uint64_t)k;
        }
        CHECK_EQ(bad, 0);
#undef KEY
        ak_arena_release(a);
    }
}

static void wrong_kind(void) {
    AkArena *a = ak_arena_create();
    AkMap m = ak_map_u64(a, 0);
    (void)!ak_map_put_str(&m, S("x"), 1);
}

static void test_wrong_kind(void) {
    char err[1024];
    CHECK(ak_test_expect_abort(wrong_kind, err, sizeof err));
    CHECK_STR_CONTAINS(err, "map with 64-bit keys used with a string key");
}

// Multiplicative inverse of an odd number mod 2^64 (Newton: each step doubles the good bits).
static uint64_t inverse_u64(uint64_t m) {
    uint64_t inv = m;
    for (int i = 0; i < 6; i++) inv *= 2 - m * inv;
    return inv;
}

// Model: present[k] and value[k] for keys 0..universe-1; string maps use "id-<k>".
static void run_model(bool str_keys, uint64_t universe, uint64_t ops, uint64_t seed) {
    AkArena *a = ak_arena_create(.name = "model");
    REQUIRE(a);
    bool *present = ak_push_array(a, bool, universe);
    uint64_t *value = ak_push_array(a, uint64_t, universe);
    uint8_t *seen = ak_push_array(a, uint8_t, universe);
    REQUIRE(present && value && seen);
    AkMap m = str_keys ? ak_map_str(a, 0, 0) : ak_map_u64(a, 0);
    uint64_t count = 0;
    int bad = 0;
    for (uint64_t op = 0; op < ops && !bad; op++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t r = seed >> 20, k = r % universe, kind = (r / universe) % 10;
        char kb[32];
        AkStr ks = ak_str(kb, (uint64_t)snprintf(kb, sizeof kb, "id-%llu", (unsigned long long)k));
        // Integer keys spread over the high bits too, so their low bits collide.
        uint64_t ku = k * 0x9E3779B97F4A7C15ull;
        if (kind < 5) {
            bool ok = str_keys ? ak_map_put_str(&m, ks, op) : ak_map_put_u64(&m, ku, op);
            REQUIRE(ok);
            count += !present[k];
            present[k] = true;
            value[k] = op;
        } else if (kind < 8) {
            uint64_t old = 0;
            bool had = str_keys ? ak_map_remove_str(&m, ks, &old) : ak_map_remove_u64(&m, ku, &old);
            bad += had != present[k] || (had && old != value[k]);
            count -= present[k];
            present[k] = false;
        } else {
            uint64_t *v = str_keys ? ak_map_get_str(&m, ks) : ak_map_get_u64(&m, ku);
            bad += (v != NULL) != present[k] || (v && *v != value[k]);
        }
        bad += ak_map_count(&m) != count;
        if (bad) CHECK_MSG(0, "op %llu key %llu kind %llu", (unsigned long long)op, (unsigned long long)k,
                           (unsigned long long)kind);
    }
    // Every key the model has is found, and iteration yields exactly those.
    for (uint64_t k = 0; k < universe; k++) {
        char kb[32];
        AkStr ks = ak_str(kb, (uint64_t)snprintf(kb, sizeof kb, "id-%llu", (unsigned long long)k));
        uint64_t *v = str_keys ? ak_map_get_str(&m, ks) : ak_map_get_u64(&m, k * 0x9E3779B97F4A7C15ull);
        bad += (v != NULL) != present[k] || (v && *v != value[k]);
    }
    uint64_t visited = 0;
    for (AkMapIter it = ak_map_iter(&m); ak_map_next(&it); visited++) {
        uint64_t k;
        if (str_keys) {
            AkStr digits = ak_str_skip(it.key, 3);
            REQUIRE(ak_str_parse_u64(digits, 10, &k, NULL));
        } else {
            k = it.key_u64 * inverse_u64(0x9E3779B97F4A7C15ull);
        }
        bad += k >= universe || !present[k] || seen[k]++ || it.value != value[k];
    }
    CHECK(visited == count);
    CHECK(bad == 0);
    ak_arena_release(a);
}

static void test_model(void) {
    uint64_t ops = (uint64_t)(300000 * test_scale());
    run_model(false, 13, ops, 1);     // tiny: one table, long runs, constant wrap-around
    run_model(true, 13, ops, 2);
    run_model(false, 200, ops, 3);
    run_model(true, 200, ops, 4);
    run_model(false, 5000, ops, 5);   // growth
    run_model(true, 50000, ops, 6);
}

int main(void) {
    RUN(test_basic_str);
    RUN(test_awkward_keys);
    RUN(test_key_ownership);
    RUN(test_growth_and_iteration);
    RUN(test_refusing_arena);
    RUN(test_overwrite_at_load_limit);
    RUN(test_wrong_kind);
    RUN(test_model);
    return test_finish();
}
