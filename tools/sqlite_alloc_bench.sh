#!/usr/bin/env bash
# sqlite_alloc_bench.sh [BUILD_DIR]: what routing SQLite through the arenakit heap costs.
# Runs the same import, searches and walk with SQLite on its arenakit heap (the default) and on
# libc malloc (CHATLOG_SQLITE_SYSTEM_MALLOC=1), interleaved, best of 3 each, and prints a
# table. Uses a generated ~60 MB export (4,000 chats, both formats).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
mode=${build#build/}
make -s MODE="$mode" "$build/chatlog" "$build/tools/genexport"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tools/genexport" --format claude --chats 2000 --seed 11 --target-mb 30 --out "$work/c.json" >/dev/null
"$build/tools/genexport" --format chatgpt --chats 2000 --seed 12 --target-mb 30 --out "$work/g.json" >/dev/null

now() { date +%s.%N; }
run_case() { # label, malloc (heap|system), command...
  local label=$1 alloc=$2; shift 2
  local best=999999 t0 t1 el
  for _ in 1 2 3; do
    [ "$label" = import ] && rm -f "$work/$alloc.db" "$work/$alloc.db-wal" "$work/$alloc.db-shm"
    t0=$(now)
    if [ "$alloc" = system ]; then CHATLOG_SQLITE_SYSTEM_MALLOC=1 "$@" >/dev/null; else "$@" >/dev/null; fi
    t1=$(now)
    el=$(echo "$t1 - $t0" | bc)
    best=$(echo "if ($el < $best) $el else $best" | bc)
  done
  echo "$best"
}
printf '%-34s %12s %12s %8s\n' "case (best of 3, seconds)" "arenakit" "libc malloc" "ratio"
for c in import search walk; do
  for alloc in heap system; do
    db="$work/$alloc.db"
    case $c in
      import) t=$(run_case import $alloc "$build/chatlog" --db "$db" import --quiet "$work/c.json" "$work/g.json") ;;
      search) t=$(run_case search $alloc sh -c "for q in arena 'free list' sqlite* 'page cache' utf-8 tlsf mmap valgrind; do \"$build/chatlog\" --db \"$db\" search --limit 20 \"\$q\"; done") ;;
      walk) t=$(run_case walk $alloc "$build/chatlog" --db "$db" --memory-budget 32M walk) ;;
    esac
    eval "t_$alloc=$t"
  done
  # shellcheck disable=SC2154
  printf '%-34s %12.3f %12.3f %7.2fx\n' "$c" "$t_heap" "$t_system" "$(echo "$t_heap / $t_system" | bc -l)"
done
