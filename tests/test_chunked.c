// Chunked array: typed push/get/iterate, pointer stability across chunks, pop across chunk
// boundaries, clear and the free list reusing chunks without growing the arena, alignment,
// capacity rounding, a refusing arena leaving the array intact, out-of-range get asserting,
// and random operations checked against a plain array.
#include "test.h"

#include "arenakit/arenakit.h"
#include "arenakit/chunked.h"

typedef struct Item {
    uint64_t id;
    uint32_t tag;
    char name[12];
} Item;
AK_CHUNKED_DEFINE(ItemArray, Item);
AK_CHUNKED_DEFINE(U32Array, uint32_t);

typedef struct Wide {
    _Alignas(64) unsigned char bytes[40];
} Wide;
AK_CHUNKED_DEFINE(WideArray, Wide);

static void test_push_get_iterate(void) {
    AkArena *a = ak_arena_create(.name = "chunked");
    REQUIRE(a);
    ItemArray arr = ItemArray_init(a, 16);
    CHECK(ItemArray_count(&arr) == 0);
    CHECK(ItemArray_last(&arr) == NULL);
    AkChunkedIter it;
    CHECK(ItemArray_first(&arr, &it) == NULL);
    CHECK(ItemArray_next(&it) == NULL);
    Item *ptrs[1000];
    for (uint32_t i = 0; i < 1000; i++) {
        Item *x = ItemArray_push(&arr);
        REQUIRE(x);
        CHECK(x->id == 0 && x->tag == 0 && x->name[0] == 0);
        x->id = i * 7u;
        x->tag = i;
        ptrs[i] = x;
    }
    CHECK(ItemArray_count(&arr) == 1000);
    CHECK(arr.core.chunk_count == (1000 + 15) / 16);
    int bad = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        Item *x = ItemArray_get(&arr, i);
        bad += x != ptrs[i] || x->id != i * 7u || x->tag != i;
    }
    CHECK(bad == 0);
    uint32_t n = 0;
    for (Item *x = ItemArray_first(&arr, &it); x; x = ItemArray_next(&it)) {
        bad += x != ptrs[n] || x->tag != n;
        n++;
    }
    CHECK(bad == 0);
    CHECK(n == 1000);
    CHECK(ItemArray_last(&arr) == ptrs[999]);
    // The generic core sees the same items.
    CHECK(ak_chunked_get(&arr.core, 500) == ptrs[500]);
    ak_arena_release(a);
}

static void test_capacity_and_alignment(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    U32Array u = U32Array_init(a, 100);
    CHECK(u.core.chunk_cap == 128);
    U32Array d = U32Array_init(a, 0);
    CHECK(d.core.chunk_cap == AK_CHUNKED_DEFAULT_CAP);
    U32Array one = U32Array_init(a, 1);
    CHECK(one.core.chunk_cap == 1);
    for (uint32_t i = 0; i < 10; i++) *U32Array_push(&one) = i;
    CHECK(one.core.chunk_count == 10);
    CHECK(*U32Array_get(&one, 9) == 9);

    WideArray w = WideArray_init(a, 3);
    int misaligned = 0;
    for (int i = 0; i < 50; i++) {
        Wide *x = WideArray_push(&w);
        REQUIRE(x);
        misaligned += ((uintptr_t)x % 64) != 0;
        memset(x->bytes, 0xFF, sizeof x->bytes);
    }
    CHECK(misaligned == 0);
    CHECK(w.core.item_size == 64);

    // The generic core with an odd size: stride is the size rounded up to the alignment.
    AkChunked odd = ak_chunked_init(a, 8, 3, 1);
    CHECK(odd.item_size == 3);
    for (int i = 0; i < 20; i++) {
        unsigned char *p = ak_chunked_push(&odd);
        REQUIRE(p);
        p[0] = (unsigned char)i, p[1] = p[2] = 0xEE;
    }
    CHECK(((unsigned char *)ak_chunked_get(&odd, 19))[0] == 19);
    CHECK(((unsigned char *)ak_chunked_get(&odd, 8))[0] == 8);
    AkChunked odd4 = ak_chunked_init(a, 8, 5, 4);
    CHECK(odd4.item_size == 8);
    ak_arena_release(a);
}

static void test_pop(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    U32Array u = U32Array_init(a, 4);
    uint32_t out = 99;
    CHECK(!U32Array_pop(&u, &out));
    CHECK(out == 99);
    for (uint32_t i = 0; i < 9; i++) *U32Array_push(&u) = i + 1;
    CHECK(u.core.chunk_count == 3);
    CHECK(U32Array_pop(&u, &out) && out == 9); // empties the third chunk
    CHECK(u.core.chunk_count == 2);
    CHECK(u.core.free != NULL);
    CHECK(*U32Array_last(&u) == 8);
    CHECK(U32Array_pop(&u, NULL));
    CHECK(U32Array_count(&u) == 7);
    uint64_t pos = ak_arena_pos(a);
    // Refill past the boundary: the freed chunk comes back, nothing new from the arena, and
    // the reused slots read zero.
    for (int i = 0; i < 2; i++) {
        uint32_t *x = U32Array_push(&u);
        REQUIRE(x);
        CHECK(*x == 0);
        *x = 100;
    }
    CHECK(ak_arena_pos(a) == pos);
    CHECK(u.core.chunk_count == 3);
    while (U32Array_pop(&u, NULL)) {}
    CHECK(U32Array_count(&u) == 0);
    CHECK(u.core.first == NULL && u.core.chunk_count == 0);
    AkChunkedIter it;
    CHECK(U32Array_first(&u, &it) == NULL);
    *U32Array_push(&u) = 5;
    CHECK(*U32Array_get(&u, 0) == 5);
    CHECK(ak_arena_pos(a) == pos);
    ak_arena_release(a);
}

static void test_clear_reuses_chunks(void) {
    AkArena *a = ak_arena_create();
    REQUIRE(a);
    ItemArray arr = ItemArray_init(a, 32);
    for (int i = 0; i < 1000; i++) ItemArray_push(&arr)->tag = 7;
    uint64_t pos = ak_arena_pos(a);
    uint64_t bytes = ak_chunked_bytes(&arr.core);
    CHECK(bytes >= 1000 * sizeof(Item));
    for (int round = 0; round < 5; round++) {
        ItemArray_clear(&arr);
        CHECK(ItemArray_count(&arr) == 0);
        AkChunkedIter it;
        CHECK(ItemArray_first(&arr, &it) == NULL);
        int nonzero = 0;
        for (int i = 0; i < 1000; i++) {
            Item *x = ItemArray_push(&arr);
            REQUIRE(x);
            nonzero += x->tag != 0;
            x->tag = (uint32_t)round;
        }
        CHECK(nonzero == 0);
        CHECK(ak_arena_pos(a) == pos);
        CHECK(ak_chunked_bytes(&arr.core) == bytes);
        CHECK(ItemArray_get(&arr, 999)->tag == (uint32_t)round);
    }
    // Fewer items after a clear: the unused chunks wait on the free list, still counted.
    ItemArray_clear(&arr);
    CHECK(ItemArray_push(&arr) != NULL);
    CHECK(ak_chunked_bytes(&arr.core) == bytes);
    ak_arena_release(a);
}

static void test_arena_refuses(void) {
    AkArena *a = ak_arena_create(.reserve = AK_KB(64), .commit = AK_KB(4), .flags = AK_ARENA_FIXED, .name = "small");
    REQUIRE(a);
    ItemArray arr = ItemArray_init(a, 64); // 64 * 24 bytes + header per chunk
    uint64_t n = 0;
    Item *x;
    while ((x = ItemArray_push(&arr)) != NULL) {
        x->id = n++;
        REQUIRE(n < 100000);
    }
    CHECK(n > 1000);
    CHECK_STR_CONTAINS(ak_arena_error(a), "full");
    CHECK(ItemArray_count(&arr) == n);
    int bad = 0;
    for (uint64_t i = 0; i < n; i++) bad += ItemArray_get(&arr, i)->id != i;
    CHECK(bad == 0);
    CHECK(ItemArray_push(&arr) == NULL); // still refused, still intact
    CHECK(ItemArray_count(&arr) == n);
    // Popping gives a slot back; pushing fits again without the arena.
    CHECK(ItemArray_pop(&arr, NULL));
    CHECK(ItemArray_push(&arr) != NULL);
    ItemArray_clear(&arr);
    for (uint64_t i = 0; i < n; i++) REQUIRE(ItemArray_push(&arr));
    ak_arena_release(a);
}

// Item sizes at and past 4 GB keep their exact stride (the old 32-bit stride made 2^32 - 1 at
// 4096 alignment a stride of 0, whose push recursed forever, and 2^32 + 16 a stride of 16,
// overlapping items). A chunk beyond any address space is refused in every build.
static void test_huge_items(void) {
    AkArena *a = ak_arena_create(.reserve = AK_MB(1), .flags = AK_ARENA_FIXED, .name = "huge");
    REQUIRE(a);
    AkChunked c = ak_chunked_init(a, 1, UINT32_MAX, 4096);
    REQUIRE(c.item_size == (uint64_t)1 << 32);
    CHECK(ak_chunked_push(&c) == NULL); // 4 GB does not fit in 1 MB: refused, not stride 0
    CHECK(c.count == 0);
    CHECK(ak_arena_error(a)[0] != 0);
    AkChunked d = ak_chunked_init(a, 4, ((uint64_t)1 << 32) + 16, 16);
    REQUIRE(d.item_size == ((uint64_t)1 << 32) + 16);
    CHECK(ak_chunked_push(&d) == NULL);
    // chunk_cap x stride beyond 2^64: refused as beyond the address space, not wrapped small.
    AkChunked e = ak_chunked_init(a, (uint64_t)1 << 32, (uint64_t)1 << 40, 8);
    CHECK(e.item_size == (uint64_t)1 << 40);
    CHECK(ak_chunked_push(&e) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "address space");
    AkChunked f = ak_chunked_init(a, 1, UINT64_MAX - 8, 4096);
    CHECK(ak_chunked_push(&f) == NULL);
    CHECK_STR_CONTAINS(ak_arena_error(a), "address space");
    // The arena is still usable and a normal array works beside the refused ones.
    AkChunked g = ak_chunked_init(a, 4, 100, 8);
    CHECK(ak_chunked_push(&g) != NULL);
    CHECK(g.item_size == 104);
    ak_arena_release(a);
}

// A bad alignment is asserted in debug builds; a release build (test_build_modes.sh runs this
// file with -DNDEBUG) refuses every push with the reason instead of handing out items at an
// alignment nobody asked for (it used to pick 16 silently: 8192-aligned items 16-aligned).
static void test_bad_alignment_refused(void) {
#ifdef NDEBUG
    AkArena *a = ak_arena_create(.name = "align");
    REQUIRE(a);
    uint64_t bad[] = {8192, 3, 0, (uint64_t)1 << 40};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        AkChunked c = ak_chunked_init(a, 8, 32, bad[i]);
        CHECK(ak_chunked_push(&c) == NULL);
        CHECK(ak_chunked_push(&c) == NULL);
        CHECK(c.count == 0);
        CHECK_STR_CONTAINS(ak_arena_error(a), "not a power of two up to 4096");
        CHECK(ak_chunked_bytes(&c) == 0);
    }
    AkChunked ok = ak_chunked_init(a, 8, 32, 4096);
    void *p = ak_chunked_push(&ok);
    CHECK(p && (uintptr_t)p % 4096 == 0);
    ak_arena_release(a);
#endif
}

static void get_out_of_range(void) {
    AkArena *a = ak_arena_create();
    U32Array u = U32Array_init(a, 8);
    *U32Array_push(&u) = 1;
    volatile uint32_t *p = U32Array_get(&u, 1);
    (void)p;
}

static void get_on_empty(void) {
    AkArena *a = ak_arena_create();
    AkChunked c = ak_chunked_init(a, 8, 4, 4);
    volatile void *p = ak_chunked_get(&c, 0);
    (void)p;
}

static void test_out_of_range(void) {
#ifdef NDEBUG // release: no assertion, the documented NULL
    AkArena *a = ak_arena_create();
    AkChunked c = ak_chunked_init(a, 8, 4, 4);
    CHECK(ak_chunked_get(&c, 0) == NULL);
    REQUIRE(ak_chunked_push(&c));
    CHECK(ak_chunked_get(&c, 1) == NULL);
    ak_arena_release(a);
    return;
#endif
    char err[2048];
    CHECK(ak_test_expect_abort(get_out_of_range, err, sizeof err));
    CHECK_STR_CONTAINS(err, "U32Array index 1 out of range (count 1)");
    CHECK(ak_test_expect_abort(get_on_empty, err, sizeof err));
    CHECK_STR_CONTAINS(err, "index 0 out of range (count 0)");
}

// Random push / pop / clear / get against a plain array of the same values.
static void test_model(void) {
    AkArena *a = ak_arena_create(.name = "model");
    REQUIRE(a);
    uint64_t ops = (uint64_t)(200000 * test_scale());
    uint32_t *model = ak_push_array(a, uint32_t, ops + 1);
    REQUIRE(model);
    uint64_t n = 0, seed = 12345;
    U32Array u = U32Array_init(a, 8);
    int bad = 0;
    for (uint64_t op = 0; op < ops; op++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(seed >> 33);
        uint32_t kind = r % 100;
        if (kind < 60) {
            uint32_t *x = U32Array_push(&u);
            REQUIRE(x);
            bad += *x != 0;
            *x = model[n++] = r;
        } else if (kind < 85) {
            uint32_t out = 0;
            bool ok = U32Array_pop(&u, &out);
            bad += ok != (n > 0);
            if (n) bad += out != model[--n];
        } else if (kind < 99) {
            if (n) bad += *U32Array_get(&u, r % n) != model[r % n];
        } else {
            U32Array_clear(&u);
            n = 0;
        }
        bad += U32Array_count(&u) != n;
        if (bad) break;
    }
    CHECK(bad == 0);
    uint64_t i = 0;
    AkChunkedIter it;
    for (uint32_t *x = U32Array_first(&u, &it); x; x = U32Array_next(&it), i++) bad += *x != model[i];
    CHECK(bad == 0);
    CHECK(i == n);
    ak_arena_release(a);
}

int main(void) {
    RUN(test_push_get_iterate);
    RUN(test_capacity_and_alignment);
    RUN(test_bad_alignment_refused);
    RUN(test_pop);
    RUN(test_clear_reuses_chunks);
    RUN(test_arena_refuses);
    RUN(test_huge_items);
    RUN(test_out_of_range);
    RUN(test_model);
    return test_finish();
}
