#!/usr/bin/env bash
# `make install PREFIX=...` gives a user what the README promises: headers under
# include/arenakit/, the static and shared library, and arenakit.pc; a program built with
# `pkg-config --cflags --libs arenakit` against them runs (static and shared); and chatlog: the
# program in bin/ (the release build, its version the library's), the manual page chatlog(1)
# that man renders without warnings, bash and zsh completions that complete commands and options.
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
# ---- chatlog: program, manual page, completions ---------------------------------------------------
p=$tmp/prefix
for f in bin/chatlog share/man/man1/chatlog.1 share/bash-completion/completions/chatlog share/zsh/site-functions/_chatlog; do
  [ -f "$p/$f" ] && ok "installed $f" || bad "installed $f" "missing"
done
v=$("$p/bin/chatlog" --version 2>&1)
pcv=$(sed -n 's/^Version: //p' arenakit.pc.in)
[ "$v" = "chatlog $pcv (arenakit $pcv)" ] && ok "chatlog --version is the package's version" || bad "chatlog --version" "'$v', arenakit.pc.in says $pcv"
# The release build: no debug call-site capture (AK_DEBUG), so it is the optimised one (-O2 -DNDEBUG).
if cmp -s "$p/bin/chatlog" build/release/chatlog; then ok "bin/chatlog is build/release/chatlog"; else bad "bin/chatlog is the release build" "differs from build/release/chatlog"; fi
PATH=$p/bin:$PATH chatlog --help | grep -q "usage: chatlog" && ok "chatlog runs from PATH" || bad "chatlog runs from PATH" "no usage"
if command -v groff >/dev/null; then
  w=$(groff -man -Tutf8 -ww -z "$p/share/man/man1/chatlog.1" 2>&1)
  [ -z "$w" ] && ok "man page renders without warnings" || bad "man page renders without warnings" "$w"
  groff -man -Tutf8 -P-cbou "$p/share/man/man1/chatlog.1" 2>/dev/null | grep -q "EXIT STATUS" && ok "man page has its sections" || bad "man page sections" "no EXIT STATUS"
fi
if command -v man >/dev/null; then
  MANPATH=$p/share/man man -w chatlog 2>/dev/null | grep -q "$p/share/man/man1/chatlog.1" && ok "man finds chatlog(1) under PREFIX" ||
    bad "man finds chatlog(1)" "$(MANPATH=$p/share/man man -w chatlog 2>&1)"
fi
# Every command of `chatlog --help` is documented in the man page and completed by bash.
cmds=$("$p/bin/chatlog" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
for c in $cmds; do
  grep -q "^\.B.* $c\b\|^\.BI $c \|^\.B $c\|^\.BR $c " "$p/share/man/man1/chatlog.1" || { bad "man page documents $c" "not found"; continue; }
  ok "man page documents $c"
done
complete_words() { # the completions bash offers for the words "$@" (the last one being typed)
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _chatlog; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$p/share/bash-completion/completions/chatlog" "$@"
}
complete_words chatlog li | grep -qx list && ok "bash completes a command" || bad "bash completes a command" "$(complete_words chatlog li)"
complete_words chatlog list --so | grep -qx -- --source && ok "bash completes a command's option" || bad "bash completes an option" "$(complete_words chatlog list --so)"
complete_words chatlog --db x.db search --li | grep -qx -- --limit && ok "bash finds the command after a global option" || bad "bash after --db" "$(complete_words chatlog --db x.db search --li)"
complete_words chatlog list --source c | grep -qx claude && ok "bash completes --source values" || bad "bash --source" "$(complete_words chatlog list --source c)"
for c in $cmds; do
  complete_words chatlog "${c:0:3}" | grep -qx "$c" || { bad "bash completes $c" "$(complete_words chatlog "${c:0:3}")"; continue; }
  ok "bash completes $c"
done
# The installed completions are what the installed chatlog prints from its command table.
"$p/bin/chatlog" --print-completion bash | cmp -s - "$p/share/bash-completion/completions/chatlog" &&
  ok "installed bash completion is the binary's" || bad "installed bash completion is the binary's" "differs: make completions"
"$p/bin/chatlog" --print-completion zsh | cmp -s - "$p/share/zsh/site-functions/_chatlog" &&
  ok "installed zsh completion is the binary's" || bad "installed zsh completion is the binary's" "differs: make completions"
if command -v zsh >/dev/null; then
  zsh -n "$p/share/zsh/site-functions/_chatlog" && ok "zsh completion parses" || bad "zsh completion parses" "zsh -n failed"
fi
grep -q "^#compdef chatlog" "$p/share/zsh/site-functions/_chatlog" && ok "zsh completion is a compdef for chatlog" || bad "zsh compdef" "no #compdef line"
finish
