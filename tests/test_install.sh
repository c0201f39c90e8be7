#!/usr/bin/env bash
# `make install PREFIX=...` gives a user what the README promises: headers under
# include/arenakit/, the static and shared library, and arenakit.pc; a program built with
# `pkg-config --cflags --libs arenakit` against them runs (static and shared).
. "$(dirname "$0")/lib.sh"

if make -s install PREFIX="$tmp/prefix" >"$tmp/log" 2>&1; then ok "make install"; else bad "make install" "$(tail -5 "$tmp/log")"; fi
for f in include/arenakit/arenakit.h include/arenakit/arena.h include/arenakit/heap.h lib/libarenakit.a \
         lib/libarenakit.so lib/pkgconfig/arenakit.pc; do
  [ -f "$tmp/prefix/$f" ] && ok "installed $f" || bad "installed $f" "missing"
done
cat >"$tmp/hello.c" <<'C'
#include <arenakit/arenakit.h>
#include <stdio.h>
int main(void) {
    AkArena *a = ak_arena_create(.name = "hello");
    int *xs = ak_push_array(a, int, 1000);
    for (int i = 0; i < 1000; i++) xs[i] = i;
    AkHeap *h = ak_heap_create(.name = "h");
    char *s = ak_heap_malloc(h, 32);
    snprintf(s, 32, "sum %d", xs[999] + xs[1]);
    puts(s);
    ak_heap_release(h);
    ak_arena_release(a);
    return ak_leak_check(NULL) != 0;
}
C
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig
flags=$(pkg-config --cflags --libs arenakit 2>&1) && ok "pkg-config knows arenakit" || bad "pkg-config" "$flags"
if cc -std=c11 "$tmp/hello.c" -o "$tmp/hello" $flags >"$tmp/log" 2>&1 && LD_LIBRARY_PATH=$tmp/prefix/lib "$tmp/hello" | grep -q "sum 1000"
then ok "program built with pkg-config runs (shared)"; else bad "shared build" "$(cat "$tmp/log")"; fi
if cc -std=c11 "$tmp/hello.c" -o "$tmp/hello-static" $(pkg-config --cflags arenakit) "$tmp/prefix/lib/libarenakit.a" -pthread \
     >"$tmp/log" 2>&1 && "$tmp/hello-static" | grep -q "sum 1000"
then ok "program linked with libarenakit.a runs"; else bad "static build" "$(cat "$tmp/log")"; fi
finish
