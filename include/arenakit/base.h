// base.h: the few definitions every arenakit module shares: size helpers, the debug switch,
// assertions that name what failed, and the call-site capture that lets creation macros record
// where an arena or heap was made (kept by debug builds of the library only).
// Owns no memory.
#ifndef ARENAKIT_BASE_H
#define ARENAKIT_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// AK_DEBUG: 1 in debug builds (assertions, call-site capture, heap checks), 0 in release,
// 2 or more adds expensive invariant checks after every slow-path operation.
#ifndef AK_DEBUG
#  ifdef NDEBUG
#    define AK_DEBUG 0
#  else
#    define AK_DEBUG 1
#  endif
#endif

#define AK_KB(n) ((uint64_t)(n) << 10)
#define AK_MB(n) ((uint64_t)(n) << 20)
#define AK_GB(n) ((uint64_t)(n) << 30)

#define AK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define AK_MAX(a, b) ((a) > (b) ? (a) : (b))
#define AK_ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))
// Power-of-two alignment only; callers check that before using these.
#define AK_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define AK_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define AK_IS_POW2(x) ((x) != 0 && (((x) & ((x) - 1)) == 0))

// Where something was created. The creation macros pass AK_HERE: the caller's file and line
// when the caller is compiled with AK_DEBUG, AK_NO_LOC otherwise (so a release caller's
// binary holds no file names). What is kept is decided by the library's own build mode, not
// the caller's: a release library stores AK_NO_LOC whatever it is given, a debug library
// stores what the caller passed (nothing, for a release caller).
typedef struct AkLoc {
    const char *file;
    int line;
} AkLoc;

#define AK_NO_LOC ((AkLoc){0, 0})
#if AK_DEBUG
#  define AK_HERE ((AkLoc){__FILE__, __LINE__})
#else
#  define AK_HERE AK_NO_LOC
#endif

// Assertions guard programmer errors (a NULL arena, a double free). They print the condition,
// the message and the source location, then abort. Release builds compile them out.
void ak_assert_fail(const char *cond, const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 4, 5)))
#endif
    ;

#if AK_DEBUG
#  define AK_ASSERT(c, ...) \
    ((c) ? (void)0 : ak_assert_fail(#c, __FILE__, __LINE__, __VA_ARGS__))
#else
#  define AK_ASSERT(c, ...) ((void)0)
#endif

// Attributes that let the compiler check the contract of a declaration:
//   AK_NODISCARD       the result reports a failure or owns memory; dropping it is a bug
//                      (gcc ignores a (void) cast here: write `(void)!f()` to drop on purpose)
//   AK_MALLOC          returns fresh memory that aliases nothing live
//   AK_ALLOC_SIZE(i)   parameter i (1-based) is the size in bytes; AK_ALLOC_SIZE2(i, j): i * j
//   AK_ALLOC_ALIGN(i)  parameter i is the alignment of the result
#if defined(__GNUC__) || defined(__clang__)
#  define AK_NODISCARD __attribute__((warn_unused_result))
#  define AK_MALLOC __attribute__((malloc))
#  define AK_ALLOC_SIZE(i) __attribute__((alloc_size(i)))
#  define AK_ALLOC_SIZE2(i, j) __attribute__((alloc_size(i, j)))
#  define AK_ALLOC_ALIGN(i) __attribute__((alloc_align(i)))
#else
#  define AK_NODISCARD
#  define AK_MALLOC
#  define AK_ALLOC_SIZE(i)
#  define AK_ALLOC_SIZE2(i, j)
#  define AK_ALLOC_ALIGN(i)
#endif

// AK_ASSUME(c): the compiler may take c as true (a fact it cannot see, such as "a pointer into
// a live block is not NULL"); UBSan checks it. Nothing on other compilers.
#if defined(__GNUC__) || defined(__clang__)
#  define AK_ASSUME(c) ((c) ? (void)0 : __builtin_unreachable())
#else
#  define AK_ASSUME(c) ((void)0)
#endif

// Sanitizer detection, shared by the modules that poison memory.
#if defined(__SANITIZE_ADDRESS__)
#  define AK_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define AK_ASAN 1
#  endif
#endif
#ifndef AK_ASAN
#  define AK_ASAN 0
#endif

#endif
