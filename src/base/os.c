// os.c: the virtual-memory primitives behind every arena. POSIX (Linux, macOS) and Windows.
// Reserve maps inaccessible address space; commit makes pages read-write; decommit drops the
// pages and makes them inaccessible again, so a stray pointer faults instead of reading stale
// data and a later commit reads zeros.
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "arenakit/os.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char os_error[256];
static _Atomic uint64_t os_fail_at[AK_OS_OP_COUNT];
static _Atomic uint64_t os_committed, os_commit_limit;

void ak_os_set_commit_limit(uint64_t bytes) { atomic_store(&os_commit_limit, bytes); }
uint64_t ak_os_commit_limit(void) { return atomic_load(&os_commit_limit); }
uint64_t ak_os_committed(void) { return atomic_load_explicit(&os_committed, memory_order_relaxed); }

// Take `size` bytes of the commit budget before committing; false (error set) if over. The
// total only grows by a charge that fits (compare and swap), so a refused charge never makes
// another thread's fitting commit fail, as an add-then-undo would in between.
static bool os_charge(uint64_t size) {
    uint64_t limit = atomic_load_explicit(&os_commit_limit, memory_order_relaxed);
    if (!limit) {
        atomic_fetch_add_explicit(&os_committed, size, memory_order_relaxed);
        return true;
    }
    uint64_t was = atomic_load_explicit(&os_committed, memory_order_relaxed);
    while (was <= limit && size <= limit - was) {
        if (atomic_compare_exchange_weak_explicit(&os_committed, &was, was + size, memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    }
    snprintf(os_error, sizeof os_error,
             "commit of %llu bytes failed: the process memory budget of %.1f MB is reached (%.1f MB committed)",
             (unsigned long long)size, limit / 1048576.0, was / 1048576.0);
    return false;
}

static void os_uncharge(uint64_t size) { atomic_fetch_sub_explicit(&os_committed, size, memory_order_relaxed); }

_Static_assert(AK_OS_OP_COUNT == 3, "os_op_name and the injection counters cover every AkOsOp");

static const char *os_op_name(AkOsOp op) {
    switch (op) {
    case AK_OS_RESERVE: return "reserve";
    case AK_OS_COMMIT: return "commit";
    case AK_OS_DECOMMIT: return "decommit";
    default: return "?";
    }
}

void ak_os_inject_failure(AkOsOp op, uint64_t nth) {
    AK_ASSERT(op < AK_OS_OP_COUNT, "bad op %d", (int)op);
    atomic_store(&os_fail_at[op], nth);
}

// True when an armed injection fires on this call. Counts down without locks: whichever
// thread moves the counter from 1 to 0 takes the failure.
static bool os_injected(AkOsOp op) {
    uint64_t n = atomic_load_explicit(&os_fail_at[op], memory_order_relaxed);
    while (n != 0) {
        if (atomic_compare_exchange_weak(&os_fail_at[op], &n, n - 1)) return n == 1;
    }
    return false;
}

static void os_set_error(AkOsOp op, uint64_t size, const char *why) {
    snprintf(os_error, sizeof os_error, "%s of %llu bytes failed: %s", os_op_name(op),
             (unsigned long long)size, why);
}

const char *ak_os_error(void) { return os_error; }

// Precondition of commit and decommit: whole pages (the accounting counts what the caller
// passes, the OS rounds to pages).
#define OS_CHECK_PAGES(op, ptr, size)                                                              \
    AK_ASSERT((uintptr_t)(ptr) % ak_os_page_size() == 0 && (size) % ak_os_page_size() == 0,       \
              "%s of %llu bytes at %p: not whole pages of %llu bytes", op, (unsigned long long)(size), \
              (ptr), (unsigned long long)ak_os_page_size())

#if defined(_WIN32)
#include <windows.h>

static const char *os_win_error(void) {
    static _Thread_local char buf[160];
    DWORD code = GetLastError();
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             code, 0, buf, sizeof buf, NULL);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.')) buf[--n] = 0;
    if (n == 0) snprintf(buf, sizeof buf, "error %lu", (unsigned long)code);
    return buf;
}

void ak_os_yield(void) { (void)SwitchToThread(); }

uint64_t ak_os_page_size(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwPageSize;
}

uint64_t ak_os_reserve_granularity(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwAllocationGranularity;
}

uint64_t ak_os_large_page_size(void) {
    SIZE_T n = GetLargePageMinimum();
    return n ? (uint64_t)n : AK_MB(2);
}

void *ak_os_reserve(uint64_t size, bool large) {
    if (os_injected(AK_OS_RESERVE)) return os_set_error(AK_OS_RESERVE, size, "injected failure"), NULL;
    void *p = NULL;
    if (large) p = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES, PAGE_READWRITE);
    if (!p) p = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
    if (!p) os_set_error(AK_OS_RESERVE, size, os_win_error());
    return p;
}

bool ak_os_commit(void *ptr, uint64_t size) {
    OS_CHECK_PAGES("commit", ptr, size);
    if (os_injected(AK_OS_COMMIT)) return os_set_error(AK_OS_COMMIT, size, "injected failure"), false;
    if (!os_charge(size)) return false;
    if (VirtualAlloc(ptr, size, MEM_COMMIT, PAGE_READWRITE)) return true;
    os_uncharge(size);
    os_set_error(AK_OS_COMMIT, size, os_win_error());
    return false;
}

bool ak_os_prefault(void *ptr, uint64_t size) {
    (void)ptr;
    (void)size;
    return false;
}

bool ak_os_decommit(void *ptr, uint64_t size) {
    OS_CHECK_PAGES("decommit", ptr, size);
    if (os_injected(AK_OS_DECOMMIT)) return os_set_error(AK_OS_DECOMMIT, size, "injected failure"), false;
    if (VirtualFree(ptr, size, MEM_DECOMMIT)) return os_uncharge(size), true;
    os_set_error(AK_OS_DECOMMIT, size, os_win_error());
    return false;
}

bool ak_os_release(void *ptr, uint64_t size, uint64_t committed) {
    os_uncharge(committed);
    if (VirtualFree(ptr, 0, MEM_RELEASE)) return true;
    snprintf(os_error, sizeof os_error, "release of %llu bytes failed: %s",
             (unsigned long long)size, os_win_error());
    return false;
}

#else
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_NORESERVE
#  define MAP_NORESERVE 0
#endif

void ak_os_yield(void) { (void)sched_yield(); }

uint64_t ak_os_page_size(void) {
    static _Atomic uint64_t cached;
    uint64_t n = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!n) {
        long v = sysconf(_SC_PAGESIZE);
        n = v > 0 ? (uint64_t)v : 4096;
        atomic_store_explicit(&cached, n, memory_order_relaxed);
    }
    return n;
}

uint64_t ak_os_reserve_granularity(void) { return ak_os_page_size(); }

uint64_t ak_os_large_page_size(void) {
#if defined(__linux__)
    static _Atomic uint64_t cached;
    uint64_t n = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!n) {
        // open and read into a stack buffer: the library never calls malloc (fopen does).
        n = AK_MB(2);
        int fd = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char buf[32];
            ssize_t len = read(fd, buf, sizeof buf - 1);
            close(fd);
            uint64_t v = 0;
            int digits = 0;
            for (ssize_t i = 0; i < len && buf[i] >= '0' && buf[i] <= '9' && digits < 19; i++, digits++)
                v = v * 10 + (uint64_t)(buf[i] - '0');
            if (digits > 0 && AK_IS_POW2(v) && v >= ak_os_page_size()) n = v;
        }
        atomic_store_explicit(&cached, n, memory_order_relaxed);
    }
    return n;
#else
    return AK_MB(2);
#endif
}

void *ak_os_reserve(uint64_t size, bool large) {
    if (os_injected(AK_OS_RESERVE)) return os_set_error(AK_OS_RESERVE, size, "injected failure"), NULL;
    // Large pages need a range aligned to the large-page size: map one extra large page and
    // trim both ends, so release() later sees exactly [p, p + size).
    uint64_t align = large ? ak_os_large_page_size() : 0;
    uint64_t span = size + align;
    if (span < size) return os_set_error(AK_OS_RESERVE, size, "size overflows the address space"), NULL;
    char *p = mmap(NULL, (size_t)span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        os_set_error(AK_OS_RESERVE, size, strerror(errno));
        return NULL;
    }
    if (align) {
        char *start = (char *)AK_ALIGN_UP((uintptr_t)p, align);
        if (start > p) munmap(p, (size_t)(start - p));
        if (p + span > start + size) munmap(start + size, (size_t)(p + span - (start + size)));
        p = start;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        // Transparent huge pages need no administrator set-up, unlike MAP_HUGETLB; a kernel
        // that refuses just gives normal pages, which is not an error for the caller.
        (void)madvise(p, (size_t)size, MADV_HUGEPAGE);
#endif
    }
    return p;
}

bool ak_os_commit(void *ptr, uint64_t size) {
    OS_CHECK_PAGES("commit", ptr, size);
    if (os_injected(AK_OS_COMMIT)) return os_set_error(AK_OS_COMMIT, size, "injected failure"), false;
    if (!os_charge(size)) return false;
    if (mprotect(ptr, (size_t)size, PROT_READ | PROT_WRITE) == 0) return true;
    os_uncharge(size);
    os_set_error(AK_OS_COMMIT, size, strerror(errno));
    return false;
}

bool ak_os_prefault(void *ptr, uint64_t size) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    return madvise(ptr, (size_t)size, MADV_POPULATE_WRITE) == 0;
#else
    (void)ptr;
    (void)size;
    return false;
#endif
}

bool ak_os_decommit(void *ptr, uint64_t size) {
    OS_CHECK_PAGES("decommit", ptr, size);
    if (os_injected(AK_OS_DECOMMIT)) return os_set_error(AK_OS_DECOMMIT, size, "injected failure"), false;
#if defined(__APPLE__)
    // MADV_FREE on macOS may keep the old contents; mapping fresh anonymous memory over the
    // range guarantees zeros on the next commit, as on Linux.
    void *p = mmap(ptr, (size_t)size, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) return os_uncharge(size), true;
#else
    if (madvise(ptr, (size_t)size, MADV_DONTNEED) == 0 &&
        mprotect(ptr, (size_t)size, PROT_NONE) == 0)
        return os_uncharge(size), true;
#endif
    os_set_error(AK_OS_DECOMMIT, size, strerror(errno));
    return false;
}

bool ak_os_release(void *ptr, uint64_t size, uint64_t committed) {
    os_uncharge(committed);
    if (munmap(ptr, (size_t)size) == 0) return true;
    snprintf(os_error, sizeof os_error, "release of %llu bytes failed: %s",
             (unsigned long long)size, strerror(errno));
    return false;
}
#endif
