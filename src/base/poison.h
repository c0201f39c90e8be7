// poison.h (internal): tell AddressSanitizer and Valgrind which bytes of an arena or heap are
// handed out. Memory not handed out is poisoned, so a use after pop or free is reported at the
// faulting access. Compiles to nothing when neither tool is present.
#ifndef ARENAKIT_POISON_H
#define ARENAKIT_POISON_H

#include "arenakit/base.h"

#if AK_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#  define AK_ASAN_POISON(p, n) __asan_poison_memory_region((p), (size_t)(n))
#  define AK_ASAN_UNPOISON(p, n) __asan_unpoison_memory_region((p), (size_t)(n))
#else
#  define AK_ASAN_POISON(p, n) ((void)(p), (void)(n))
#  define AK_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if !defined(AK_NO_VALGRIND) && defined(__has_include)
#  if __has_include(<valgrind/memcheck.h>)
#    include <valgrind/memcheck.h>
#    define AK_VALGRIND 1
#  endif
#endif

#ifdef AK_VALGRIND
#  define AK_VG_NOACCESS(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#  define AK_VG_UNDEFINED(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#  define AK_VG_DEFINED(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#  define AK_VG_NOACCESS(p, n) ((void)(p), (void)(n))
#  define AK_VG_UNDEFINED(p, n) ((void)(p), (void)(n))
#  define AK_VG_DEFINED(p, n) ((void)(p), (void)(n))
#endif

// Bytes nobody may touch (free, popped, padding).
static inline void ak_poison(void *p, uint64_t n) {
    if (n) { AK_ASAN_POISON(p, n); AK_VG_NOACCESS(p, n); }
}
// Bytes handed out whose contents are unspecified (a push without zeroing, a malloc).
static inline void ak_unpoison_undefined(void *p, uint64_t n) {
    if (n) { AK_ASAN_UNPOISON(p, n); AK_VG_UNDEFINED(p, n); }
}
// Bytes handed out with known contents (zeroed pushes, the allocator's own headers).
static inline void ak_unpoison_defined(void *p, uint64_t n) {
    if (n) { AK_ASAN_UNPOISON(p, n); AK_VG_DEFINED(p, n); }
}

// True when pushes must go through the poisoning slow path (ASan build, or running under
// Valgrind), so the arena's inline fast path is switched off.
static inline bool ak_poison_active(void) {
#if AK_ASAN
    return true;
#elif defined(AK_VALGRIND)
    // Only memcheck tracks addressability; under callgrind or cachegrind the fast path stays
    // on so instruction counts are the real ones. Memcheck answers its requests with -1.
    char probe = 0;
    return RUNNING_ON_VALGRIND && VALGRIND_MAKE_MEM_DEFINED(&probe, 1) != 0;
#else
    return false;
#endif
}

#endif
