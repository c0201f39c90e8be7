// sqlmem.c: the sqlite3_mem_methods table over a locked AkHeap. SQLite asks sizes as int;
// the heap's usable sizes are 16k + 8 bytes (heap.h), which xRoundup reproduces so SQLite can
// use the slack of each block.
#include "chat/sqlmem.h"

#include <sqlite3.h>

static AkHeap *sqlmem_heap;
static uint64_t sqlmem_limit;

static void *mem_malloc(int n) { return n < 0 ? NULL : ak_heap_malloc(sqlmem_heap, (size_t)n); }
static void mem_free(void *p) { ak_heap_free(sqlmem_heap, p); }
static void *mem_realloc(void *p, int n) { return n < 0 ? NULL : ak_heap_realloc(sqlmem_heap, p, (size_t)n); }
static int mem_size(void *p) { return (int)ak_heap_usable_size(sqlmem_heap, p); }
static int mem_roundup(int n) {
    if (n <= AK_HEAP_MIN_BLOCK - AK_HEAP_OVERHEAD) return AK_HEAP_MIN_BLOCK - AK_HEAP_OVERHEAD;
    if (n > INT32_MAX - 32) return n;
    return (int)AK_ALIGN_UP((uint64_t)n - AK_HEAP_OVERHEAD, AK_HEAP_ALIGN) + AK_HEAP_OVERHEAD;
}
static int mem_init(void *unused) { (void)unused; return SQLITE_OK; }
static void mem_shutdown(void *unused) { (void)unused; }

bool chat_sqlmem_install(uint64_t limit, ChatError *err) {
    if (sqlmem_heap) return chat_fail(err, "SQLite's heap is already installed");
    AkHeap *heap = ak_heap_create(.name = "sqlite", .locked = true, .limit = limit, .reserve = AK_MB(256));
    if (!heap) return chat_fail(err, "cannot create SQLite's heap: %s", ak_heap_last_create_error());
    static const sqlite3_mem_methods methods = {mem_malloc, mem_free, mem_realloc, mem_size,
                                                mem_roundup, mem_init, mem_shutdown, NULL};
    sqlmem_heap = heap;
    int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
    if (rc != SQLITE_OK) {
        sqlmem_heap = NULL;
        ak_heap_release(heap);
        return chat_fail(err, "SQLite would not take our allocator (%s): it was initialized before",
                         sqlite3_errstr(rc));
    }
    sqlmem_limit = limit;
    // SQLite's own memory statistics would take a global mutex and an xSize call (another
    // heap lock) on every free; the heap keeps the same numbers. Its page cache is kept
    // inside the limit by each connection's cache_size (chat_sqlmem_cache_kb) instead of
    // a soft heap limit, which would need those statistics.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
}

void chat_sqlmem_uninstall(void) {
    if (!sqlmem_heap) return;
    sqlite3_shutdown();
    // Back to SQLite's default allocator for anything that initializes SQLite again.
    sqlite3_config(SQLITE_CONFIG_MALLOC, &(sqlite3_mem_methods){0});
    ak_heap_release(sqlmem_heap);
    sqlmem_heap = NULL;
    sqlmem_limit = 0;
}

AkHeap *chat_sqlmem_heap(void) { return sqlmem_heap; }
uint64_t chat_sqlmem_limit(void) { return sqlmem_limit; }

int64_t chat_sqlmem_cache_kb(void) {
    if (!sqlmem_limit) return 8192;
    int64_t kb = (int64_t)(sqlmem_limit / 4 / 1024);
    return kb < 512 ? 512 : kb > 8192 ? 8192 : kb;
}
