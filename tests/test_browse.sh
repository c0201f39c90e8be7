#!/usr/bin/env bash
# End-to-end test of `chatlog browse` in a real terminal: a private tmux server runs it
# detached at 120x40, send-keys types, capture-pane reads the screen. Covers the title filter,
# opening more tabs than the message budget holds (the store's refusal on the screen, the budget
# never exceeded), closing tabs and the eviction that follows, scrolling a long chat, find in
# a chat, full-text search opening a chat at its hit, copying a message (file and OSC 52
# clipboard), resize, the pool and help overlays, and a clean quit (exit 0, no leak report).
# --memory-budget 8M is the whole process's budget; the loaded chats get what the store
# leaves of it (about 2.8 MB here: five chats at the 512 KB commit step).
# $1 is the build folder (e.g. build/asan). Screens are polled with a timeout, never slept on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
build=${1:-build/asan}
samples=${AK_SAMPLES:-../shared/samples}

command -v tmux >/dev/null || setup_fail "tmux missing"
[ -x "$build/chatlog" ] || setup_fail "no $build/chatlog"
chatlog=$(cd "$build" && pwd)/chatlog
samples=$(cd "$samples" 2>/dev/null && pwd) || setup_fail "no samples at $samples"
db=$tmp/t.db

# ---- a database: the samples plus a generated export with long chats ------------------------
"$chatlog" --db "$db" import --quiet "$samples/claude/conversations.json" >/dev/null &&
  "$chatlog" --db "$db" import --quiet "$samples/chatgpt/conversations.json" >/dev/null ||
  { bad "import samples" "chatlog import failed"; finish; }
if [ -x "$build/tools/genexport" ]; then
  "$build/tools/genexport" --format claude --chats 24 --seed 7 --target-mb 1 --out "$tmp/gen.json" &&
    "$chatlog" --db "$db" import --quiet "$tmp/gen.json" >/dev/null || bad "import generated export" "failed"
fi
# The chat with the most messages, and its row in the list (newest first, as browse sorts).
"$chatlog" --db "$db" list >"$tmp/list"
read -r long_row long_id long_n < <(awk '{ if ($5 > n) { n = $5; id = $1; row = NR } } END { print row, id, n }' "$tmp/list")
nchats=$(wc -l <"$tmp/list")

# ---- helpers -----------------------------------------------------------------------------------
dump() { sed 's/^/    | /' "$screen"; }
see() { # name, text: wait until the screen shows it
  if wait_for "$2"; then ok "$1"; else bad "$1" "no '$2' on screen:"; dump; fi
}
until_ok() { # name, condition, what to show on failure
  if wait_cond 15 "$2"; then ok "$1"; else bad "$1" "$(eval "echo $3")"; dump; fi
}
lacks() { # name, text (on the screen as last captured)
  if grep -qF -- "$2" "$screen"; then bad "$1" "unexpected '$2' on screen"; else ok "$1"; fi
}
keys() { T send-keys -t b "$@"; }
text() { T send-keys -t b -l -- "$1"; }
lru_line() { # the allocator's figures, one key away: open the memory overlay (m), read, close it
  keys m
  wait_cond 10 'grep -qE "msg arenas [0-9.]+/[0-9.]+ MB" "$screen"'
  grep -E 'msg arenas [0-9.]+/[0-9.]+ MB' "$screen" | tail -n 1 >"$tmp/lru"
  keys Escape
  wait_cond 10 '! grep -qF "pool slots in use" "$screen"'
  cat "$tmp/lru"
}
status() { # the overlay's figures: used budget active records pinned evictions
  lru_line | sed -E 's/.*msg arenas ([0-9.]+)\/([0-9.]+) MB.* ([0-9]+) active\/([0-9]+) records, ([0-9]+) pinned.*evictions ([0-9]+).*/\1 \2 \3 \4 \5 \6/'
}
field() { status | awk -v k="$1" '{ print $k }'; }
budget_checks=0 budget_over=""
check_budget() { # the status line's memory never above the budget (the message arenas' is checked at exit)
  local s; s=$(grep -oE 'memory [0-9.]+/[0-9.]+ MB' "$screen" | tail -n 1)
  budget_checks=$((budget_checks+1))
  echo "$s" | awk '{ split($(NF-1), f, "/"); exit !(f[1] <= f[2]) }' || budget_over="$budget_over [${s:-no status}]"
}
tabs() { head -n 1 "$screen" | grep -oE '│ [0-9]+ ' | wc -l; } # chat tabs in the tab bar
top_msg() { grep -oE 'messages [0-9]+-' "$screen" | grep -oE '[0-9]+' | head -n 1; }
header_cols() { grep -m1 -E '^(▶─|──) ' "$screen" | wc -L; }

# ---- start ---------------------------------------------------------------------------------------
T -f /dev/null new-session -d -s b -x 120 -y 40 -c "$tmp" \
  "LANG=C.UTF-8 LC_ALL=C.UTF-8 CHATLOG_BROWSE_STATS=$tmp/stats ASAN_OPTIONS=detect_leaks=1 \
   $chatlog --db $db --memory-budget 8M browse 2>$tmp/err; echo \$? >$tmp/rc; sleep 60"
T set-option -s set-clipboard on
see "list shows every chat, newest first" "Chats: $nchats, newest first"
see "status line shows memory used of the budget" "/8.0 MB"
see "status line shows loaded of all chats" "loaded 0/$nchats"
see "status line shows the position" "Chat 1 of $nchats"
lacks "the allocator's figures are not on the status line" "msg arenas"
lru=$(lru_line)
case $lru in *"msg arenas 0.0/"*) ok "m shows the message arenas against their budget" ;;
  *) bad "m shows the message arenas against their budget" "overlay line: $lru" ;; esac
case $lru in *"chats 0 active/0 records, 0 pinned"*) ok "and the cache" ;; *) bad "and the cache" "overlay line: $lru" ;; esac
see "wide characters in titles" "多言語テスト"
check_budget

# ---- filter by title ---------------------------------------------------------------------------
first_tlsf=$(grep -i tlsf "$tmp/list" | head -n 1 | cut -c42- | cut -c1-12)
keys /
text tlsf
see "filter as you type" "with \"tlsf\" in the title"
see "filter keeps the TLSF chat" "Why does my TLSF free list lose blocks?"
lacks "filter drops other chats" "Review of arena.c"
keys Enter Enter
see "open the filtered chat in a tab" "2 $first_tlsf"
see "the tab shows messages with role headers" "── Assistant ·"
check_budget
keys x
until_ok "x closes the tab" '[ "$(tabs)" = 0 ]' '$(head -n 1 $screen)'
keys Escape
see "Esc clears the filter" "Chats: $nchats, newest first"

# ---- more tabs than the budget holds -------------------------------------------------------------
refused=0
for i in 1 2 3 4 5 6 7 8; do
  n=$(tabs)
  keys 1 j Enter
  wait_cond 10 '[ "$(tabs)" -gt "$n" ] || grep -qF "cannot open" "$screen"'
  check_budget
  if grep -qF "memory budget full" "$screen"; then refused=1; break; fi
done
[ $refused = 1 ] && ok "opening past the budget shows the store's refusal" ||
  { bad "opening past the budget shows the store's refusal" "no 'memory budget full' after 8 tabs"; dump; }
see "the refusal says what to do" "close a view to open chat"
pinned=$(field 5) open_tabs=$(tabs)
[ "$pinned" = "$open_tabs" ] && ok "every open tab pins its chat ($pinned tabs)" ||
  bad "every open tab pins its chat" "pinned $pinned, tabs $open_tabs: $(head -n 1 "$screen")"
keys 1
see "open chats are marked in the list" "▣"

# ---- close tabs: their chats stay cached until the budget needs room -------------------------------
keys 2 x
until_ok "closing a tab drops its pin" '[ "$(field 5)" = $((pinned - 1)) ]' '$(status)'
[ "$(field 3)" = "$pinned" ] && ok "the closed chat stays cached" || bad "the closed chat stays cached" "$(status)"
check_budget
keys 2 x
until_ok "and another" '[ "$(field 5)" = $((pinned - 2)) ]' '$(status)'
keys 1
see "cached chats are marked in the list" "●"
ev0=$(field 6)
keys G Enter   # the oldest chat: not loaded yet, so the LRU must evict for it
until_ok "opening made room by evicting an unpinned chat" '[ "$(field 6)" -gt "$ev0" ]' '$(status)'
check_budget
keys x

# ---- a long chat: scroll by line, page, bottom, top, message -----------------------------------------
keys 1 g
[ "$long_row" -gt 1 ] && keys -N $((long_row - 1)) j
keys Enter
until_ok "the long chat opens ($long_n messages)" 'grep -qE "^#$long_id .* · messages 1-" "$screen"' '$(tail -n 2 $screen)'
check_budget
keys G
see "End goes to the bottom" "-$long_n of $long_n"
keys g
until_ok "g goes to the top" '[ "$(top_msg)" = 1 ]' '$(tail -n 2 $screen)'
row2=$(sed -n 2p "$screen")
keys NPage
until_ok "page down moves on" '[ "$(sed -n 2p "$screen")" != "$row2" ]' '$(tail -n 2 $screen)'
p=$(top_msg)
keys ']'
until_ok "] goes to the next message" '[ "$(top_msg)" = $((p + 1)) ]' '$(tail -n 2 $screen)'
keys '['
until_ok "[ goes back" '[ "$(top_msg)" = "$p" ]' '$(tail -n 2 $screen)'
keys -N 3 j
keys PPage g
until_ok "back at the top" '[ "$(top_msg)" = 1 ]' '$(tail -n 2 $screen)'

# ---- find in the chat --------------------------------------------------------------------------------
keys /
text the
keys Enter
see "find shows the first match" "match 1 of"
keys n
see "n goes to the next match" "match 2 of"
keys N
see "N goes back" "match 1 of"
keys Escape x

# ---- full-text search opens the chat at the hit ------------------------------------------------------
keys s
text quokkazebra
keys Enter
see "search lists the hit, by chat" "Search \"quokkazebra\": 1 chat matches"
see "the hit names its chat" "Review of arena.c"
keys Enter
see "the hit opens its chat" "Review of arena.c · messages"
see "at the hit, highlighted" "quokkazebra: the marker word"
see "find follows the search word" "match 1 of 1 for \"quokkazebra\""
check_budget

# ---- copy a message ----------------------------------------------------------------------------------
keys c
see "copy says where it went" "copied message"
see "through tmux's clipboard (set-clipboard is on)" "via tmux (OSC 52)"
until_ok "OSC 52 reached tmux's clipboard" 'T show-buffer 2>/dev/null | grep -qF "Review of arena.c"' \
  '$(T show-buffer 2>&1 | head -c 200)'
[ -z "$(ls "$tmp"/chatlog-*.txt 2>/dev/null)" ] && ok "copy writes no file unless asked" ||
  bad "copy writes no file unless asked" "$(ls "$tmp"/chatlog-*.txt)"
keys w
see "w says where it wrote" "wrote message"
f=$(ls "$tmp"/chatlog-*.txt 2>/dev/null | head -n 1)
[ -n "$f" ] && grep -qF "Review of arena.c" "$f" && ok "the message is in the file" ||
  bad "the message is in the file" "no file or no title in ${f:-none}"
T set-option -s set-clipboard off
keys c
see "with tmux's clipboard off, copy does not claim it worked" "no clipboard reachable"
T set-option -s set-clipboard on

# ---- tabs: switch, and a hit in an open chat goes to its tab --------------------------------------
n=$(tabs)
keys 1
see "1 shows the list of hits again" "Search \"quokkazebra\""
keys Tab
until_ok "Tab goes to the next tab" 'grep -qE "^#[0-9]+ .* · (messages|no messages)" "$screen"' '$(tail -n 2 $screen)'
keys BTab Enter
until_ok "a hit in an open chat goes to its tab" 'grep -qF "Review of arena.c · messages" "$screen" && [ "$(tabs)" = "$n" ]' \
  '$(head -n 1 $screen)'

# ---- resize: rewrap at the new width -------------------------------------------------------------
T resize-window -t b -x 80 -y 30
until_ok "after resize the status line is on the last of 30 rows" \
  '[ "$(wc -l <"$screen")" = 30 ] && tail -n 1 "$screen" | grep -qE "[0-9.]+/[0-9.]+ MB"' '$(tail -n 2 $screen)'
until_ok "headers rewrapped to the new width" '[ "$(header_cols)" = 79 ]' 'header is $(header_cols) columns'
[ "$(wc -L <"$screen")" -le 80 ] && ok "nothing wider than the window" || bad "nothing wider than the window" "$(wc -L <"$screen")"
check_budget
T resize-window -t b -x 120 -y 40
until_ok "and back to 120 columns" '[ "$(header_cols)" = 119 ]' 'header is $(header_cols) columns'

# ---- overlays ----------------------------------------------------------------------------------------
keys m
see "the pool report overlay" "of 2048 pool slots in use"
see "message arenas in the report" "chat messages"
see "tab arenas in the report" "browse tab"
if grep -qF "main.c:" "$screen"; then # debug builds record where each arena was made
  see "tab arenas with their file:line" "browse_tab.c:"
fi
keys Escape
until_ok "Esc closes the overlay" '! grep -qF "pool slots in use" "$screen"' 'still open'
keys '?'
see "the help overlay" "chatlog browse: keys"
keys Escape
until_ok "Esc closes the help" '! grep -qF "chatlog browse: keys" "$screen"' 'still open'

# ---- quit ----------------------------------------------------------------------------------------------
keys q
end=$((SECONDS + 20))
until [ -s "$tmp/rc" ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] && ok "q exits 0" || bad "q exits 0" "rc $(cat "$tmp/rc" 2>/dev/null): $(head -c 600 "$tmp/err")"
grep -qE "leak check|Sanitizer|runtime error" "$tmp/err" && bad "no leak or sanitizer report" "$(head -c 800 "$tmp/err")" ||
  ok "no leak or sanitizer report"
[ -z "$budget_over" ] && ok "the status line never showed more than the budget ($budget_checks checks)" ||
  bad "the status line never showed more than the budget" "$budget_over"
if [ -s "$tmp/stats" ]; then
  echo "    final memory: $(tr '\n' ' ' <"$tmp/stats")"
  awk '/^budget/ {b=$2} /^peak_used/ {p=$2} END { exit !(p > 0 && p <= b) }' "$tmp/stats" &&
    ok "peak message bytes within their budget" || bad "peak message bytes within their budget" "$(cat "$tmp/stats")"
  awk '/^process_budget/ {b=$2} /^peak_process/ {p=$2} END { exit !(p > 0 && p <= b) }' "$tmp/stats" &&
    ok "peak process commit within --memory-budget" || bad "peak process commit within --memory-budget" "$(cat "$tmp/stats")"
  awk '/^refusals/ {r=$2} /^evictions/ {e=$2} END { exit !(r >= 1 && e >= 1) }' "$tmp/stats" &&
    ok "the store refused and evicted" || bad "the store refused and evicted" "$(cat "$tmp/stats")"
else
  bad "stats file" "CHATLOG_BROWSE_STATS was not written"
fi
finish
