#!/usr/bin/env bash
# `chatlog search` queries the database only: it loads no chat metadata, loaded-chat cache or
# IO thread (store.h, db_only), so its memory does not grow with the number of chats (at
# 80,000 chats the metadata alone was 33 MB of a 49 MB search; tools/scale_bench.sh).
# Observable without timing: under the smallest --memory-budget (4M), too small for the store a `walk` needs
# (metadata plus the loaded-chat minimum), `walk` fails with its clear message while `search`
# still answers. Under the old open path both failed. (`list` streams from the database too
# now: test_budget.sh.)
# $1: the build folder (build/asan...).
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
gen=$build/tools/genexport
chatlog=$build/chatlog
[ -x "$gen" ] && [ -x "$chatlog" ] || setup_fail "need $gen and $chatlog"

"$gen" --format claude --chats 300 --seed 5 --target-mb 3 --out "$tmp/c.json" --manifest "$tmp/man" >/dev/null \
  || setup_fail "genexport"
marker=$(sed -n 's/^marker //p' "$tmp/man")
db=$tmp/t.db
"$chatlog" --db "$db" import --quiet "$tmp/c.json" >"$tmp/out" 2>&1 || setup_fail "import: $(tail -3 "$tmp/out")"

budget=4M
if "$chatlog" --db "$db" --memory-budget $budget walk >"$tmp/out" 2>"$tmp/err"; then
  bad "walk under $budget is refused (the premise)" "it ran: raise the chat count or lower the budget"
elif grep -q "too small" "$tmp/err"; then ok "walk under $budget: $(cut -c1-60 "$tmp/err")..."
else bad "walk under $budget: the budget message" "$(cat "$tmp/err")"; fi

if "$chatlog" --db "$db" --memory-budget $budget --color never search "$marker" >"$tmp/out" 2>"$tmp/err"; then
  grep -q "^1 chat matches" "$tmp/out" && ok "search under $budget finds the marker's one chat" \
    || bad "search under $budget: its one chat" "$(tail -2 "$tmp/out")"
else bad "search under $budget needs no metadata" "$(cat "$tmp/err")"; fi

"$chatlog" --db "$db" --memory-budget $budget --color never search --json "$marker" >"$tmp/out" 2>"$tmp/err" \
  && grep -q '"chat":' "$tmp/out" && ok "search --json under $budget" || bad "search --json under $budget" "$(cat "$tmp/err")"
finish
