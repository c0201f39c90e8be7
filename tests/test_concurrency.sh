#!/usr/bin/env bash
# test_concurrency.sh BUILD_DIR: several `chatlog import` processes into one database at once
# (issue 13 item 1). Each imports a different generated export; every run must end with the
# union of all chats, every time, and every import must say it succeeded. A database that
# starts missing (all processes race to create it) and one that already exists are both run.
# The reader that stays open across other processes' imports is tests/test_db_procs.c.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
gen=$build/tools/genexport
[ -x "$chatlog" ] || setup_fail "no $chatlog"
[ -x "$gen" ] || setup_fail "no $gen"

procs=4
chats=150 # per export: enough that the imports overlap in time, few enough to stay quick
rounds=3
for i in $(seq 1 $procs); do
  fmt=claude; [ $((i % 2)) = 0 ] && fmt=chatgpt
  "$gen" --format $fmt --chats $chats --seed $((4100 + i)) --out "$tmp/e$i.json" ||
    setup_fail "genexport $i failed"
done
want=$((procs * chats))

count_chats() { # the number of chats `list` prints, or a message
  "$chatlog" --db "$1" list --json 2>"$tmp/list.err" | grep -c '"uuid"'
}

for round in $(seq 1 $rounds); do
  for start in missing existing; do
    db=$tmp/r$round-$start.db
    if [ $start = existing ]; then
      "$chatlog" --db "$db" import --quiet "$tmp/e1.json" >/dev/null 2>&1 || setup_fail "first import"
    fi
    pids=()
    for i in $(seq 1 $procs); do
      "$chatlog" --db "$db" import --quiet "$tmp/e$i.json" >"$tmp/out$i" 2>"$tmp/err$i" &
      pids+=($!)
    done
    failed=0
    for i in $(seq 1 $procs); do
      wait "${pids[$((i - 1))]}" || { failed=1; echo "  import $i: $(head -c 300 "$tmp/err$i")"; }
    done
    name="round $round, database $start: $procs imports"
    if [ $failed = 0 ]; then ok "$name all succeed"; else bad "$name all succeed" "an import failed"; fi
    got=$(count_chats "$db")
    if [ "$got" = "$want" ]; then ok "$name keep all $want chats"
    else bad "$name keep all $want chats" "the database holds $got: $(head -c 300 "$tmp/list.err")"; fi
    if "$chatlog" --db "$db" check >"$tmp/check" 2>&1; then ok "$name leave a sound database"
    else bad "$name leave a sound database" "$(head -c 300 "$tmp/check")"; fi
  done
done
finish
