#!/usr/bin/env bash
# One budget for the whole process: on a generated history, `chatlog walk` opens every chat
# under --memory-budget and must stay inside it by the process's own accounting (committed
# bytes of every arena and of SQLite's heap) and, for an uninstrumented build, by its RSS. An
# import under a budget too small for it fails with a clear message and changes nothing.
# $1: the build folder (build/asan...); the RSS check uses build/release when it is built.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
gen=$build/tools/genexport
chatlog=$build/chatlog
[ -x "$gen" ] && [ -x "$chatlog" ] || setup_fail "need $gen and $chatlog"

"$gen" --format claude --chats 400 --seed 3 --target-mb 8 --out "$tmp/claude.json" >/dev/null
"$gen" --format chatgpt --chats 400 --seed 4 --target-mb 8 --out "$tmp/chatgpt.json" >/dev/null
db=$tmp/t.db
if "$chatlog" --db "$db" --memory-budget 32M import --quiet "$tmp/claude.json" "$tmp/chatgpt.json" >"$tmp/out" 2>&1
then ok "import under 32M"; else bad "import under 32M" "$(tail -3 "$tmp/out")"; fi

field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$2"; }
walk_check() { # binary, budget, check_rss
  local bin=$1 budget=$2 rss=$3 label; label="walk $(basename "$(dirname "$bin")") $budget"
  if ! "$bin" --db "$db" --memory-budget "$budget" --memory-trace "$tmp/trace.csv" walk --json >"$tmp/walk" 2>"$tmp/err"; then
    bad "$label" "$(cat "$tmp/err")"; return
  fi
  local chats peak limit loaded lbudget prss
  chats=$(field chats "$tmp/walk"); peak=$(field peak_committed "$tmp/walk"); limit=$(field budget "$tmp/walk")
  loaded=$(field peak_loaded "$tmp/walk"); lbudget=$(field loaded_budget "$tmp/walk"); prss=$(field peak_rss "$tmp/walk")
  [ "$chats" = 800 ] && ok "$label: every chat opened" || bad "$label: every chat opened" "$chats"
  [ "$peak" -le "$limit" ] && ok "$label: committed $peak <= $limit" || bad "$label: committed within budget" "$peak > $limit"
  [ "$loaded" -le "$lbudget" ] && ok "$label: loaded chats $loaded <= $lbudget" || bad "$label: loaded within their share" "$loaded > $lbudget"
  grep -q '^# budget' "$tmp/trace.csv" && [ "$(wc -l <"$tmp/trace.csv")" -gt 20 ] && ok "$label: memory trace written" \
    || bad "$label: memory trace" "$(head -3 "$tmp/trace.csv")"
  if [ "$rss" = 1 ]; then
    # RSS also holds the program's code, libc and SQLite's text: 10 MB over the budget at most.
    local cap=$((limit + 10 * 1048576))
    [ "$prss" -le "$cap" ] && ok "$label: peak RSS $prss <= budget + 10 MB" || bad "$label: RSS" "$prss > $cap"
  fi
}
walk_check "$chatlog" 12M 0
if [ -x build/release/chatlog ]; then walk_check build/release/chatlog 12M 1; walk_check build/release/chatlog 8M 1; fi

# A budget below what the metadata needs is refused up front with the size to ask for.
if "$chatlog" --db "$db" --memory-budget 4M walk >"$tmp/out" 2>&1; then bad "tiny budget refused" "it ran"
else grep -q "raise --memory-budget" "$tmp/out" && ok "tiny budget refused with advice" || bad "tiny budget message" "$(cat "$tmp/out")"; fi

# `list` streams rows from the database instead of loading every chat's metadata (main.c): it
# runs under the budget `walk` was just refused, and prints what it prints without a budget.
# (Before, it loaded the metadata and was refused like walk.)
"$chatlog" --db "$db" list --json >"$tmp/list.free" 2>&1
if "$chatlog" --db "$db" --memory-budget 4M list --json >"$tmp/list.4m" 2>"$tmp/err"; then
  cmp -s "$tmp/list.free" "$tmp/list.4m" && [ "$(grep -c '"id"' "$tmp/list.4m")" = 800 ] && ok "list under 4M: all 800 chats, same output" \
    || bad "list under 4M: same output" "$(diff "$tmp/list.free" "$tmp/list.4m" | head -3)"
else bad "list under 4M" "$(cat "$tmp/err")"; fi

# An import that cannot fit fails cleanly: nothing changes.
before=$("$chatlog" --db "$db" list --json | md5sum)
"$gen" --format claude --chats 3 --seed 9 --target-mb 12 --out "$tmp/huge.json" >/dev/null
if "$chatlog" --db "$db" --memory-budget 8M import --quiet "$tmp/huge.json" >"$tmp/out" 2>&1; then
  bad "import past the budget fails" "it succeeded: $(cat "$tmp/out")"
else
  grep -qiE "budget|memory" "$tmp/out" && ok "import past the budget says why" || bad "import past the budget says why" "$(cat "$tmp/out")"
fi
[ "$("$chatlog" --db "$db" list --json | md5sum)" = "$before" ] && ok "nothing changed" || bad "nothing changed" "listing differs"

finish
