#!/usr/bin/env bash
# `chatlog browse` as a reader sees it, in a real terminal (a private tmux server, screens read
# with capture-pane, -e where attributes matter): hostile titles and messages shown as visible
# escapes and never interpreted (the pane's title and screen survive), column headers and the
# position, untitled chats by their first prompt, title filters across scripts (Greek,
# Cyrillic, words in any order), prompts that start empty, a search hit that marks its own
# message and highlights every term, more than 9 tabs, `:` and `browse N`, help at 80x24 and
# 120x40, 40 columns, Markdown, branches, and Ctrl-C's exit status.
# $1 is the build folder (e.g. build/asan). Screens are polled with a timeout, never slept on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
. "$(dirname "$0")/browse_fixture.sh"
build=${1:-build/asan}
samples=${AK_SAMPLES:-../shared/samples}

command -v tmux >/dev/null || setup_fail "tmux missing"
[ -x "$build/chatlog" ] || setup_fail "no $build/chatlog"
chatlog=$(cd "$build" && pwd)/chatlog
samples=$(cd "$samples" 2>/dev/null && pwd) || setup_fail "no samples at $samples"
db=$tmp/t.db
browse_fixture "$tmp/fixture.json"
"$chatlog" --db "$db" import --quiet "$tmp/fixture.json" >/dev/null &&
  "$chatlog" --db "$db" import --quiet "$samples/claude/conversations.json" "$samples/chatgpt/conversations.json" >/dev/null ||
  setup_fail "import failed"
nchats=$("$chatlog" --db "$db" list | wc -l)
id_of() { "$chatlog" --db "$db" list --json | grep -F "\"title\": \"$1\"" | grep -oE '"id": [0-9]+' | grep -oE '[0-9]+'; }
forty=$(id_of "Forty short messages") md=$(id_of "Markdown sampler") branchy=$(id_of "Branchy edit")

cape() { T capture-pane -p -e -t b >"$screen" 2>/dev/null; }
dump() { sed "s/^/    | /" "$screen" | head -n 30; }
see() { if wait_for "$2"; then ok "$1"; else bad "$1" "no '$2' on screen:"; dump; fi; }
lacks() { if grep -qF -- "$2" "$screen"; then bad "$1" "unexpected '$2' on screen"; dump; else ok "$1"; fi; }
until_ok() { if wait_cond 15 "$2"; then ok "$1"; else bad "$1" "$(eval "echo $3")"; dump; fi; }
keys() { T send-keys -t b "$@"; }
text() { T send-keys -t b -l -- "$1"; }
start() { # columns rows [browse arguments]: a fresh browser in the tmux session b
  local w=$1 h=$2; shift 2
  local cmd="LANG=C.UTF-8 LC_ALL=C.UTF-8 ASAN_OPTIONS=detect_leaks=1 $chatlog --db $db --memory-budget 64M browse $* 2>$tmp/err; echo \$? >$tmp/rc; sleep 60"
  rm -f "$tmp/rc" # the pane's last browser has exited: its shell is in its sleep
  if T has-session -t b 2>/dev/null; then
    # The same server and pane (killing the last session would race the server's exit).
    T resize-window -t b -x "$w" -y "$h"
    T respawn-pane -k -t b "$cmd"
  else
    T -f /dev/null new-session -d -s b -x "$w" -y "$h" -c "$tmp" "$cmd"
    T set-option -s set-clipboard on
  fi
  wait_cond 15 'grep -qF "memory " "$screen" || [ -s "$tmp/rc" ]'
}
exit_code() { # waits for the browser to exit, prints its status
  local end=$((SECONDS + 20))
  until [ -s "$tmp/rc" ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
  cat "$tmp/rc" 2>/dev/null
}
prompt_row() { tail -n 2 "$screen" | head -n 1; }

# ---- 80x24: the list --------------------------------------------------------------------------
start 80 24
see "column headers" "#  date              source   msgs  title"
see "position in the list" "1/$nchats"
see "status line: position" "Chat 1 of $nchats"
see "hostile title shown escaped" "Evil ^[]0;PWNED^G ^[[31mRED"
see "an untitled chat shows its first prompt" "how do I untitledprompt a ring"
[ "$(T display -p -t b '#{pane_title}')" != PWNED ] && ok "the title's OSC did not retitle the pane" ||
  bad "the title's OSC did not retitle the pane" "pane title $(T display -p -t b '#{pane_title}')"

# ---- hostile message text ------------------------------------------------------------------------
keys 1
keys /
text evil
keys Enter Enter
see "hostile message: escape, BEL, DEL and C1 shown" "clear ^[[2J now, bell ^G, del ^?, csi <U+009B>31m end"
see "an OSC ended by ST shown" "title ^[]2;OWNED^["
see "the screen was not cleared by the message (tab bar still there)" " 1 Chats │"
[ "$(T display -p -t b '#{pane_title}')" != OWNED ] && ok "the message's OSC did not retitle the pane" ||
  bad "the message's OSC did not retitle the pane" "pane title $(T display -p -t b '#{pane_title}')"
cape
grep -qF $'\e[31mRED' "$screen" && bad "no red from the title's SGR" "$(grep -F RED "$screen" | cat -v)" ||
  ok "no red from the title's SGR"
keys x 1 Escape

# ---- filters across scripts, words in any order, prompts that start empty ----------------------------
keys /
text ελληνικα
see "Greek folded: ελληνικα finds Ελληνικά" "Ελληνικά κείμενα"
see "the filter counts" "Chats: 1 of $nchats with \"ελληνικα\""
keys Enter /
until_ok "/ starts an empty prompt" '[ "$(prompt_row | sed "s/ *$//")" = "filter titles:" ]' '"prompt row: $(prompt_row)"'
text "арене выравнивание"
see "Cyrillic folded, words in any order" "Выравнивание памяти в арене"
lacks "the Greek chat is filtered out" "Ελληνικά κείμενα"
keys Escape

# ---- search: the hit's message is marked, every term highlighted -----------------------------------
keys s
until_ok "s starts an empty prompt" '[ "$(prompt_row | sed "s/ *$//")" = "search all messages:" ]' '"prompt row: $(prompt_row)"'
text "alpha zanzibarword"
keys Enter
see "the search lists its hit" "Forty short messages"
keys Enter
see "the hit opens its chat" "alpha and zanzibarword here"
until_ok "the marker is on the hit's message" 'grep -qE "^▶─ .* · #33 ─" "$screen"' 'marker at: $(grep "^▶" "$screen")'
cape
grep -qE $'\e\\[43malpha' "$screen" && ok "the first term is highlighted" || bad "the first term is highlighted" "$(grep -a zanzibar "$screen" | cat -v)"
grep -qE $'\e\\[43mzanzibarword' "$screen" && ok "and the second" || bad "and the second" "$(grep -a zanzibar "$screen" | cat -v)"
keys c
see "c copies the hit's message" "copied message 33 "
keys x 1 Escape
see "Esc leaves the search hits" "Chats: $nchats, newest first"

# ---- more than 9 tabs: the tab bar scrolls -----------------------------------------------------------
for i in $(seq 1 11); do keys 1 j Enter; done
until_ok "11 tabs opened" 'head -n 1 "$screen" | grep -qF " 12 "' '$(head -n 1 $screen)'
keys :
text "$(id_of "Ελληνικά κείμενα")"
keys Enter
see "the current tab (13, opened by :N) is on the bar" " 13 Ελληνικά"
see "hidden tabs are counted on the left" "«"
keys 1
see "going back to the list scrolls the bar back" " 1 Chats │"
see "tabs out of view counted on the right" "»"
keys BTab
see "Shift-Tab from the list goes round to the last tab" " 13 Ελληνικά"
keys :
text 99999
keys Enter
see ": with an unknown number says so" "no chat #99999 in this database"

# ---- help at 80x24 ----------------------------------------------------------------------------------
keys '?'
see "help opens" "chatlog browse: keys"
[ "$(wc -L <"$screen")" -le 80 ] && ok "help fits 80 columns" || bad "help fits 80 columns" "$(wc -L <"$screen")"
see "help says it scrolls at 24 rows" "more below ↓"
keys G
see "the end of the help" "evicted when the budget needs room."
keys Escape
T resize-window -t b -x 120 -y 40
keys '?'
until_ok "help at 120x40: two columns" 'grep -qE "│ Anywhere +In a chat" "$screen"' 'no two columns'
lacks "help at 120x40 needs no scrolling" "more below"
[ "$(wc -L <"$screen")" -le 120 ] && ok "help fits 120 columns" || bad "help fits 120 columns" "$(wc -L <"$screen")"
keys Escape

# ---- 40 columns: titles stay ---------------------------------------------------------------------------
T resize-window -t b -x 40 -y 20
keys 1 g
see "titles visible at 40 columns" "Forty short messages"
see "the position stays too" "1/$nchats"
[ "$(wc -L <"$screen")" -le 40 ] && ok "nothing wider than 40 columns" || bad "nothing wider than 40 columns" "$(wc -L <"$screen")"

# ---- Ctrl-C exits 130 ------------------------------------------------------------------------------------
keys C-c
[ "$(exit_code)" = 130 ] && ok "Ctrl-C exits with status 130" || bad "Ctrl-C exits with status 130" "rc $(cat "$tmp/rc" 2>/dev/null): $(head -c 400 "$tmp/err")"
grep -qE "leak check|Sanitizer|runtime error" "$tmp/err" && bad "no leak or sanitizer report" "$(head -c 800 "$tmp/err")" ||
  ok "no leak or sanitizer report"

# ---- browse N opens the chat in a tab; an unknown one is an error ----------------------------------------
start 120 40 "$md" "$branchy"
see "browse N M opens the chats in tabs" " 3 Branchy edit"
keys 2
see "browse N opens chat N in a tab" "Arena guide"
lacks "a heading loses its marks" "# Arena guide"
see "bold and italic lose their marks" "Some bold words and italic words and inline code."
see "a list item gets a bullet" "• first item"
see "a nested ordered item keeps its number, indented" "  1. nested one"
see "a link shows its text, then its address" "See the docs https://example.com/docs for more."
see "a fenced block is framed with its language" "╭─ python"
see "the code inside the frame" "│ print(\"hello\")"
lacks "no fence marks left" '```'
see "a 【N†source】 citation becomes [N+1]" "A fact.[1] Another fact."
lacks "private-use cite marks are dropped" "turn0search1"
see "tool calls are pretty-printed JSON" '│   "query": "arena allocator",'
see "nested JSON indented" '│     "deep": ['
cape
grep -qE $'\e\[1m[^\e]*bold words' "$screen" && ok "bold is bold" || bad "bold is bold" "$(grep -a 'bold words' "$screen" | cat -v)"
grep -qE $'\e\[3m[^\e]*italic words' "$screen" && ok "italic is italic" || bad "italic is italic" "$(grep -a 'italic words' "$screen" | cat -v)"
grep -qE $'\e\[4m[^\e]*the docs' "$screen" && ok "a link is underlined" || bad "a link is underlined" "$(grep -a 'the docs' "$screen" | cat -v)"
grep -qE $'\e\[1;4m[^\e]*(\e\[[0-9;]*m)*Arena guide' "$screen" && ok "a heading is bold and underlined" ||
  bad "a heading is bold and underlined" "$(grep -a 'Arena guide' "$screen" | cat -v)"

# ---- branches: v switches the version of the marked message --------------------------------------------
keys 3
see "the seen thread has the edited prompt" "SECONDDRAFT prompt"
see "its header says which version" "version 2 of 2"
keys ']' ']'
until_ok "] moves the marker to the edited prompt" 'grep -qE "^▶─ User .*version 2 of 2" "$screen"' '$(grep "^▶" "$screen")'
keys v
see "v shows the other version" "FIRSTDRAFT prompt"
see "with its reply" "answer to the first draft"
see "the header says version 1 of 2, off the seen thread" "version 1 of 2 · off-thread"
lacks "the other version's reply is gone" "answer to the second draft"
see "the switch says so" "message 3: version 1 of 2"
keys c
see "c copies the version shown" "copied message 3 "
until_ok "the clipboard holds the first draft" 'T show-buffer 2>/dev/null | grep -qF FIRSTDRAFT' '$(T show-buffer 2>&1 | head -c 200)'
keys V
see "V goes back" "answer to the second draft"
keys q
[ "$(exit_code)" = 0 ] && ok "q exits 0" || bad "q exits 0" "rc $(cat "$tmp/rc" 2>/dev/null)"
start 80 24 99999
[ "$(exit_code)" = 1 ] && grep -qF "no chat #99999" "$tmp/err" && ok "browse with an unknown chat fails before the screen" ||
  bad "browse with an unknown chat fails before the screen" "rc $(cat "$tmp/rc" 2>/dev/null): $(cat "$tmp/err")"
finish
