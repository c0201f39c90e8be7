// os.h: virtual memory from the operating system, in four steps: reserve address space,
// commit pages (make them usable, zero-filled on first touch), decommit (give the pages back,
// keep the addresses), release (give the addresses back). Linux and macOS use mmap, mprotect
// and madvise; Windows uses VirtualAlloc. The caller owns what it reserves until it releases.
//
// Failures return NULL or false and leave a thread-local message with the OS's own error text
// (ak_os_error()). For tests, ak_os_inject_failure() makes the Nth future call of an operation
// fail as if the OS had refused, so every caller's error path can be exercised.
#ifndef ARENAKIT_OS_H
#define ARENAKIT_OS_H

#include "base.h"

uint64_t ak_os_page_size(void);       // the granularity of commit and protection (4 KB usually)
uint64_t ak_os_large_page_size(void); // transparent huge page / large page size (2 MB usually;
                                      // Linux reads it from /sys with open/read, no malloc)
uint64_t ak_os_reserve_granularity(void); // address-space granularity (64 KB on Windows)

// Reserve `size` bytes of address space, no memory behind it. `large` asks for large pages
// where the OS can give them (Linux: transparent huge pages through madvise; Windows needs the
// lock-pages privilege and falls back to normal pages without it).
AK_NODISCARD AK_MALLOC void *ak_os_reserve(uint64_t size, bool large);
AK_NODISCARD bool ak_os_commit(void *ptr, uint64_t size);
// Make committed pages resident now, in one call, instead of one page fault per page on first
// touch (much cheaper where faults are slow, as in VMs). Best effort: false where the OS has
// no such call (Linux before 5.14, macOS, Windows); the pages then fault in as usual.
bool ak_os_prefault(void *ptr, uint64_t size);
// Decommitted pages read back as zero after a later commit.
AK_NODISCARD bool ak_os_decommit(void *ptr, uint64_t size);
// `committed`: how many bytes of the range the caller still has committed (for the process
// accounting below).
AK_NODISCARD bool ak_os_release(void *ptr, uint64_t size, uint64_t committed);

// Process-wide accounting of committed bytes, and an optional cap: the process's memory
// budget. With a limit set, a commit that would take the total past it fails like an OS
// refusal (and only that one: a concurrent commit that fits is never refused because of it) ("process memory budget of N MB reached"), so every caller's out-of-memory path
// applies: arenas return NULL, heaps refuse, SQLite on a heap reports SQLITE_NOMEM.
void ak_os_set_commit_limit(uint64_t bytes); // 0: no limit
uint64_t ak_os_commit_limit(void);
uint64_t ak_os_committed(void);

// Let another thread run (a waiter whose peer was preempted: sched_yield, SwitchToThread).
void ak_os_yield(void);

// Text of this thread's last OS failure ("" if none): the operation, size and errno text.
const char *ak_os_error(void);

typedef enum AkOsOp {
    AK_OS_RESERVE,
    AK_OS_COMMIT,
    AK_OS_DECOMMIT,
    AK_OS_OP_COUNT
} AkOsOp;

// Fault injection: the nth call of `op` from now (1 = the next one) fails; 0 disarms. Process-
// wide, for tests. The simulated failure reports "injected failure" as its errno text.
void ak_os_inject_failure(AkOsOp op, uint64_t nth);

#endif
