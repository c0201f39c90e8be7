// test.h: the small test harness every tests/test_*.c uses. A test is a function; CHECK
// records a failure with its location and goes on, REQUIRE stops the test. main() runs tests
// through RUN() and ends with test_finish(), which prints "N passed, N failed".
// ak_test_expect_abort() runs a function in a child process and reports whether it aborted
// (for assertions that guard programmer errors), with what it printed to stderr.
#ifndef ARENAKIT_TEST_H
#define ARENAKIT_TEST_H

#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int test_failures_in_current;
static int test_passed, test_failed;
static const char *test_current;

#define CHECK(cond) \
    ((cond) ? (void)0 : test_fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond))
#define CHECK_MSG(cond, ...) ((cond) ? (void)0 : test_fail_at(__FILE__, __LINE__, __VA_ARGS__))
#define CHECK_EQ(a, b) do { \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
    if (a_ != b_) test_fail_at(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_); \
} while (0)
#define CHECK_STR_CONTAINS(hay, needle) do { \
    const char *h_ = (hay); \
    if (!h_ || !strstr(h_, (needle))) \
        test_fail_at(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", (needle)); \
} while (0)
#define REQUIRE(cond) do { if (!(cond)) { test_fail_at(__FILE__, __LINE__, "REQUIRE(%s)", #cond); return; } } while (0)

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void test_fail_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    if (test_failures_in_current++ < 5) {
        fprintf(stdout, "  %s:%d: %s: ", file, line, test_current);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
    }
}

#define RUN(fn) test_run(#fn, fn)
static void test_run(const char *name, void (*fn)(void)) {
    test_current = name;
    test_failures_in_current = 0;
    fn();
    if (test_failures_in_current) { test_failed++; printf("FAIL %s\n", name); }
    else { test_passed++; printf("PASS %s\n", name); }
    fflush(stdout);
}

static int test_finish(void) {
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

// Workload scale: 1 normally; smaller under Valgrind (set by tests/run.sh) so the suite
// stays inside CI's time. Tests multiply their loop counts by it.
static double test_scale(void) {
    const char *s = getenv("AK_TEST_SCALE");
    double v = s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

// Runs fn() in a child process with its stderr captured into err; returns the wait status.
static int ak_test_run_child(void (*fn)(void), char *err, size_t cap) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(fds[0], err + n, cap - 1 - n)) > 0) n += (size_t)r;
    err[n] = 0;
    char sink[4096];
    while (read(fds[0], sink, sizeof sink) > 0) {} // drain so the child never blocks
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

// True if fn() died of SIGABRT (an assertion), its stderr captured into err.
static int ak_test_expect_abort(void (*fn)(void), char *err, size_t cap) {
    int status = ak_test_run_child(fn, err, cap);
    return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

#endif
