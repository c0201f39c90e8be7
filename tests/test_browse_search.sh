#!/usr/bin/env bash
# The browser's full-text search (s, S) as `chatlog search` does it (issue 14 item 8): the same
# syntax (a OR b, -word), the same grouping (each chat once, "+N more in this chat", how many
# chats match), Greek found without its accents; S searches every version too, marks a hit
# off the seen thread, and opening it shows the branch that holds it. In a real terminal (a
# private tmux server); screens are polled with a timeout, never slept on.
# $1 is the build folder (e.g. build/asan).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
. "$(dirname "$0")/browse_fixture.sh"
build=${1:-build/asan}
command -v tmux >/dev/null || setup_fail "tmux missing"
[ -x "$build/chatlog" ] || setup_fail "no $build/chatlog"
chatlog=$(cd "$build" && pwd)/chatlog
db=$tmp/t.db
browse_fixture "$tmp/fixture.json"
"$chatlog" --db "$db" import --quiet "$tmp/fixture.json" >/dev/null || setup_fail "import failed"

dump() { sed "s/^/    | /" "$screen" | head -n 30; }
see() { if wait_for "$2"; then ok "$1"; else bad "$1" "no '$2' on screen:"; dump; fi; }
lacks() { if grep -qF -- "$2" "$screen"; then bad "$1" "unexpected '$2' on screen"; dump; else ok "$1"; fi; }
keys() { T send-keys -t b "$@"; }
text() { T send-keys -t b -l -- "$1"; }
cmd="LANG=C.UTF-8 LC_ALL=C.UTF-8 ASAN_OPTIONS=detect_leaks=1 $chatlog --db $db --memory-budget 64M browse 2>$tmp/err; echo \$? >$tmp/rc; sleep 60"
T -f /dev/null new-session -d -s b -x 120 -y 40 -c "$tmp" "$cmd"
wait_for "memory " || setup_fail "the browser did not start: $(cat "$tmp/err")"

keys s; text "message"; keys Enter
see "hits are grouped by chat, with the rest counted" "+38 more in this chat" # message 33 says something else
see "the header counts chats" "Search \"message\": 1 chat matches"
keys Escape s; text "zanzibarword OR untitledprompt"; keys Enter
see "OR is an operator" "Search \"zanzibarword OR untitledprompt\": 2 chats match"
keys Escape s; text "zanzibarword -alpha"; keys Enter
see "-word excludes" "no matches for zanzibarword -alpha"
keys Escape s; text "message source:chatgpt"; keys Enter
see "source: filters as in chatlog search" "no matches for message source:chatgpt"
keys s; text "message source:claude after:2025-01-07"; keys Enter
see "source: and after: keep what they name" "+38 more in this chat"
keys Escape s; text "message title:forty"; keys Enter
see "title: is refused with a reason" "title:forty is not a search filter"
keys s; text "γεια"; keys Enter
see "Greek without accents finds it" "Ελληνικά κείμενα"
keys Escape s; text "FIRSTDRAFT"; keys Enter
see "s keeps to the seen thread" "no matches for FIRSTDRAFT"
keys S; text "FIRSTDRAFT"; keys Enter
see "S searches every version" "Search (every version) \"FIRSTDRAFT\""
see "the hit is marked off-thread" "off-thread: branch 1 of 2"
keys Enter
see "opening it shows its branch" "answer to the first draft"
see "the hit's message is there" "FIRSTDRAFT prompt"
lacks "not the seen version" "SECONDDRAFT prompt"
see "and it says so" "off the seen thread"
if wait_cond 15 'grep -qE "^▶─ User .*version 1 of 2" "$screen"'; then ok "the marker is on the hit's message (item 11)"
else bad "the marker is on the hit's message" "$(grep "▶" "$screen")"; dump; fi
keys c
see "c copies the hit's message" "copied message 3 "
keys q
end=$((SECONDS + 20))
until [ -s "$tmp/rc" ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] && ok "q exits 0" || bad "q exits 0" "rc $(cat "$tmp/rc" 2>/dev/null): $(cat "$tmp/err")"
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
