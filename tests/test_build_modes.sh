#!/usr/bin/env bash
# The base library in the modes the other suites never build: release (-DNDEBUG, the inline
# push path on, assertions off) and AK_DEBUG=2 (expensive invariant checks after every
# slow-path operation). Runs test_arena and test_scratch against each; checks that the
# library's own mode decides whether creation sites are kept (a debug caller of a release
# library stores none), and that the arena, scratch, pool and OS layers never call malloc.
. "$(dirname "$0")/lib.sh"

cc=${CC:-cc}
base="-std=c11 -Iinclude -Isrc -pthread -w"
build_lib() { # name, flags...
  local name=$1; shift
  mkdir -p "$tmp/$name"
  for f in src/base/*.c; do
    "$cc" $base "$@" -c "$f" -o "$tmp/$name/$(basename "$f" .c).o" || return 1
  done
  ar rcs "$tmp/lib$name.a" "$tmp/$name"/*.o
}

build_lib rel -O1 -DNDEBUG >"$tmp/log" 2>&1 || setup_fail "release build of src/base: $(tail -5 "$tmp/log")"
build_lib dbg2 -O1 -g -DAK_DEBUG=2 >"$tmp/log" 2>&1 || setup_fail "AK_DEBUG=2 build of src/base: $(tail -5 "$tmp/log")"

run_test() { # label, library, test source, flags...
  local label=$1 lib=$2 src=$3; shift 3
  local bin; bin="$tmp/$(basename "$src" .c)-$lib"
  if ! "$cc" $base "$@" "$src" "$tmp/lib$lib.a" -o "$bin" >"$tmp/log" 2>&1; then bad "$label" "does not build: $(tail -5 "$tmp/log")"; return; fi
  "$bin" >"$tmp/out" 2>&1
  local rc=$? line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/out" | tail -n 1)
  if [ $rc -eq 0 ] && [ -n "$line" ] && [ "$(echo "$line" | awk '{print $3}')" = 0 ]; then ok "$label ($line)"
  else bad "$label" "exit $rc: $(grep -v '^PASS' "$tmp/out" | tail -8)"; fi
}
run_test "test_arena, release library and caller" rel tests/test_arena.c -O1 -DNDEBUG
run_test "test_scratch, release (all-conflict scratch gives a NULL scope, no crash)" rel tests/test_scratch.c -O1 -DNDEBUG
run_test "test_chunked, release (a bad alignment refuses every push with the reason)" rel tests/test_chunked.c -O1 -DNDEBUG
run_test "test_arena at AK_DEBUG=2" dbg2 tests/test_arena.c -O1 -DAK_DEBUG=2
run_test "test_scratch at AK_DEBUG=2" dbg2 tests/test_scratch.c -O1 -DAK_DEBUG=2

# A debug caller (AK_HERE passes its file and line) of a release library: nothing is kept.
cat >"$tmp/loc.c" <<'C'
#include <arenakit/arenakit.h>
#include <stdio.h>
int main(void) {
    AkArena *a = ak_arena_create(.name = "located");
    if (!a) return 2;
    AkPoolEntry e[8];
    uint32_t n = ak_pool_snapshot(e, 8);
    int kept = ak_arena_loc(a).file != NULL;
    for (uint32_t i = 0; i < n; i++) kept |= e[i].loc.file != NULL;
    printf("kept=%d\n", kept);
    ak_arena_release(a);
    return 0;
}
C
if "$cc" $base -O1 -DAK_DEBUG=1 "$tmp/loc.c" "$tmp/librel.a" -o "$tmp/loc" >"$tmp/log" 2>&1 && out=$("$tmp/loc") && [ "$out" = "kept=0" ]
then ok "a release library keeps no creation site from a debug caller"
else bad "release library, debug caller" "${out:-$(tail -5 "$tmp/log")}"; fi

# No malloc: the program's own malloc family counts calls while the library works.
cat >"$tmp/nomalloc.c" <<'C'
#include <arenakit/arenakit.h>
#include <stdio.h>
#include <string.h>
static _Alignas(64) char heap[1 << 22];
static size_t used;
static int counting, calls;
void *malloc(size_t n) {
    calls += counting;
    n = (n + 63) & ~(size_t)63;
    if (used + n > sizeof heap) return NULL;
    void *p = heap + used;
    used += n;
    return p;
}
void free(void *p) { (void)p; }
void *calloc(size_t a, size_t b) { void *p = malloc(a * b); if (p) memset(p, 0, a * b); return p; }
void *realloc(void *p, size_t n) { void *q = malloc(n); if (q && p) memcpy(q, p, n); return q; }
int main(void) {
    counting = 1;
    uint64_t large = ak_os_large_page_size();
    AkArena *a = ak_arena_create(.name = "no-malloc", .reserve = AK_KB(256));
    for (int i = 0; a && i < 200; i++) (void)!ak_arena_push(a, 4000, 16); // chains
    (void)!ak_arena_push(a, 100, AK_MB(4));                                // placed for alignment
    AkTemp s = ak_scratch_begin1(a);
    if (s.arena) (void)!ak_arena_push(s.arena, 1000, 8);
    ak_scratch_end(s);
    AkPoolEntry e[8];
    uint32_t n = ak_pool_snapshot(e, 8);
    ak_arena_clear(a);
    ak_arena_release(a);
    counting = 0;
    printf("calls=%d large=%llu entries=%u\n", calls, (unsigned long long)large, n);
    return 0;
}
C
if "$cc" $base -O1 -DNDEBUG "$tmp/nomalloc.c" "$tmp/librel.a" -o "$tmp/nomalloc" >"$tmp/log" 2>&1 && out=$("$tmp/nomalloc") \
   && case $out in calls=0\ *) true ;; *) false ;; esac
then ok "arena, scratch, pool and OS layers call no malloc ($out)"
else bad "no malloc" "${out:-$(tail -5 "$tmp/log")}"; fi
finish
