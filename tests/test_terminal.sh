#!/usr/bin/env bash
# chatlog's output on a real terminal (a private tmux server, 120x40): an export whose title,
# model and messages carry escape sequences (OSC 0/2 that retitle the pane, ESC[2J that clears
# the screen, ESC[31m, BEL, DEL, a C1 CSI) must show them escaped and never act on them, in
# list, show (direct and through less, the default pager), search, stats, export to the
# terminal and the error a bad conversation gives; export into a file keeps the raw bytes.
# A control run prints the same bytes raw first, to prove the pane would have shown the attack.
# Also colour: on in a terminal, off with NO_COLOR, TERM=dumb, --color=never, and in pipes.
# $1 is the build folder (e.g. build/asan). Screens are polled with a timeout, never slept on.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}

command -v tmux >/dev/null || setup_fail "tmux missing"
[ -x "$build/chatlog" ] || setup_fail "no $build/chatlog"
chatlog=$(cd "$build" && pwd)/chatlog
sock=$tmp/tmux.sock
T() { tmux -u -S "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
db=$tmp/e.db

# The hostile export: JSON escapes, so the file itself is plain ASCII. The second conversation
# is malformed on purpose, with a hostile uuid that the import's error message quotes.
cat >"$tmp/evil.json" <<'EOF'
[{"uuid": "e0e0e0e0-1111-4222-8333-444455556666", "name": "Evil \u001b]0;PWNED\u0007 \u001b[31mRED", "summary": "",
  "model": "claude-\u001b[2Jevil", "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:05:00Z",
  "chat_messages": [
   {"uuid": "e0e0e0e0-1111-4222-8333-000000000001", "sender": "human",
    "text": "hostilezebra please \u001b[2J\u001b[H cleared? bell\u0007 del\u007f c1\u009b31m csi",
    "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z", "attachments": [], "files": []},
   {"uuid": "e0e0e0e0-1111-4222-8333-000000000002", "sender": "assistant",
    "text": "answer \u001b]2;PWNED2\u001b\\ done\r\nnext line",
    "created_at": "2025-03-01T10:01:00Z", "updated_at": "2025-03-01T10:01:00Z", "attachments": [], "files": []}]},
 {"uuid": "e0e0e0e0-1111-4222-8333-777788889999", "name": "Fake\n   999  2025-01-01 00:00  claude      9  forged row",
  "created_at": "2025-02-01T10:00:00Z", "updated_at": "2025-02-01T10:05:00Z",
  "chat_messages": [{"uuid": "e0e0e0e0-1111-4222-8333-000000000003", "sender": "human", "text": "hi",
    "created_at": "2025-02-01T10:00:00Z", "updated_at": "2025-02-01T10:00:00Z", "attachments": [], "files": []}]},
 {"uuid": "\u001b]0;BADUUID\u0007", "name": "bad \u001b[2J one", "created_at": "2025-03-01T10:00:00Z",
  "updated_at": "2025-03-01T10:05:00Z", "chat_messages": 7}]
EOF
"$chatlog" --db "$db" import --quiet --skip-bad "$tmp/evil.json" >/dev/null 2>&1
rc=$? # 3: imported, the malformed one skipped (0 on a store that stops at nothing)
[ $rc = 0 ] || [ $rc = 3 ] || setup_fail "import of the hostile export failed (exit $rc)"

T -f /dev/null new-session -d -s t -x 120 -y 40 -c "$tmp" "sleep 600"
T set-option -g allow-rename on 2>/dev/null
screen=$tmp/screen
# run NAME SCRIPT: a fresh window runs the script (in the private tmux, a real pty) between two
# markers; waits for the end marker, then leaves the screen in $screen and the title in $title.
nwin=0
run() {
  nwin=$((nwin + 1))
  local w="w$nwin"
  # The script waits for go.$w, so the pane's title is set before anything runs in it.
  printf '%s\n' "while [ ! -e go.$w ]; do sleep 0.02; done" "printf 'BEFORE-MARK\\n'" "$2" "printf 'AFTER-MARK\\n'" \
    "exec sleep 600" >"$tmp/$w.sh"
  T new-window -d -n "$w" -c "$tmp" -t "t:" "env -u NO_COLOR TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC \
    ASAN_OPTIONS=detect_leaks=1 CHATLOG=$chatlog DB=$db bash --norc $tmp/$w.sh"
  T select-pane -t "t:$w" -T ORIGINAL
  touch "$tmp/go.$w"
  local end=$((SECONDS + 20))
  while :; do
    T capture-pane -p -t "t:$w" >"$screen" 2>/dev/null
    grep -q AFTER-MARK "$screen" && break
    [ $SECONDS -ge $end ] && break
    # A pager waiting for its reader: quit it.
    grep -qE '^(:|\(END\))' "$screen" && T send-keys -t "t:$w" q
    sleep 0.05
  done
  T capture-pane -p -e -t "t:$w" >"$screen.e" 2>/dev/null
  title=$(T display-message -p -t "t:$w" '#{pane_title}')
  cur=$1
}
safe() { # the checks every hostile run must pass
  if grep -q AFTER-MARK "$screen"; then ok "$cur: finished"; else bad "$cur: finished" "no end marker"; sed 's/^/    | /' "$screen"; fi
  if grep -q BEFORE-MARK "$screen"; then ok "$cur: screen not cleared"; else bad "$cur: screen not cleared" "the first line is gone"; fi
  case $title in *PWNED*|*BADUUID*) bad "$cur: pane title unchanged" "title is now '$title'" ;; *) ok "$cur: pane title unchanged" ;; esac
  if grep -qE $'\x1b\\[([0-9]+;)*31m' "$screen.e"; then bad "$cur: no red from the data" "the pane shows ESC[31m colour"; else ok "$cur: no red from the data"; fi
}
shows() { # name, text on the screen
  if grep -qF -- "$2" "$screen"; then ok "$cur: $1"; else bad "$cur: $1" "no '$2' on screen:"; sed 's/^/    | /' "$screen"; fi
}

# ---- the control: the same bytes printed raw do retitle the pane and clear the screen ----------
run "control (raw bytes)" "printf 'x\\033]0;PWNED\\007 \\033[31mRED\\033[0m\\n\\033[2J\\033[H'"
case $title in *PWNED*) ok "control: raw OSC 0 retitles the pane (the test can see an attack)" ;;
  *) bad "control: raw OSC 0 retitles the pane" "title '$title'" ;; esac
grep -q BEFORE-MARK "$screen" && bad "control: raw ESC[2J clears the screen" "marker still there" ||
  ok "control: raw ESC[2J clears the screen (the test can see an attack)"

run "control (raw colour)" "printf 'x \033[31mRED\033[0m\n'"
grep -qE $'\x1b\\[([0-9]+;)*31m' "$screen.e" && ok "control: raw ESC[31m shows red (the test can see it)" ||
  bad "control: raw ESC[31m shows red" "no red attribute in the capture"

# ---- every command that prints data, on the terminal -----------------------------------------
run "list" '"$CHATLOG" --db "$DB" list'
safe
shows "title escaped visibly" 'Evil \e]0;PWNED\x07 \e[31mRED'
shows "model escaped visibly" 'claude-\e[2Jevil'

run "show --no-pager" '"$CHATLOG" --db "$DB" show 1 --no-pager'
safe
shows "message escapes visible" 'please \e[2J\e[H cleared? bell\x07 del\x7f c1\u009b31m csi'
shows "OSC 2 with ST visible" 'answer \e]2;PWNED2\e\ done'
shows "CR LF is a line end" 'next line'

run "show in less" 'unset PAGER LESS; "$CHATLOG" --db "$DB" show 1'
safe
shows "through the pager, escapes visible" 'please \e[2J\e[H cleared?'

run "show in colour" '"$CHATLOG" --db "$DB" --color=always show 1 --no-pager'
safe
if grep -q $'\x1b\[1;3[0-9]m' "$screen.e" || grep -q $'\x1b\[1m' "$screen.e"; then ok "show in colour: headers are coloured"
else bad "show in colour: headers are coloured" "no bold/colour attribute on screen"; fi

run "search" '"$CHATLOG" --db "$DB" --color=always search hostilezebra'
safe
shows "snippet escaped" '\e[2J\e[H cleared?'
shows "title in the hit escaped" 'Evil \e]0;PWNED\x07'

run "stats" '"$CHATLOG" --db "$DB" stats'
safe
shows "model in the stats escaped" 'claude-\e[2Jevil'

run "export to the terminal" '"$CHATLOG" --db "$DB" export 1'
safe
shows "export on a terminal is escaped too" '# Evil \e]0;PWNED\x07'

run "import error" '"$CHATLOG" --db "$DB" import --quiet --skip-bad "$PWD/evil.json"'
safe
shows "the error quotes the uuid escaped" 'conversation \e]0;BADUUID\x07'

# ---- pipes: export keeps the bytes, the other commands never pass them ---------------------------
"$chatlog" --db "$db" export 1 >"$tmp/raw.md"
grep -q $'\x1b\\]0;PWNED\x07' "$tmp/raw.md" && ok "export into a file keeps the raw text" || bad "export into a file keeps the raw text" "no ESC in the file"
"$chatlog" --db "$db" export 1 --json >"$tmp/raw.json"
grep -q '\\u001b]0;PWNED\\u0007' "$tmp/raw.json" && grep -q '\\u009b31m' "$tmp/raw.json" &&
  ! grep -q $'\x1b' "$tmp/raw.json" && ok "export --json escapes controls as JSON (C0 and C1)" || bad "export --json" "$(head -c 300 "$tmp/raw.json")"
rows=$("$chatlog" --db "$db" list | wc -l)
[ "$rows" = 2 ] && ok "a newline in a title cannot forge a row of the listing" || bad "newline in a title" "$rows lines for 2 chats"
"$chatlog" --db "$db" list | grep -qF 'Fake\n   999' && ok "the newline shows as \\n" || bad "the newline shows as \\n" "$("$chatlog" --db "$db" list)"
for cmd in "list" "show 1" "search hostilezebra" "stats"; do
  # shellcheck disable=SC2086 # cmd is a command and its arguments
  "$chatlog" --db "$db" $cmd >"$tmp/pipe" 2>&1
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/pipe" || grep -q $'\xc2[\x80-\x9f]' "$tmp/pipe"; then
    bad "$cmd into a pipe: no control characters" "$(cat -v "$tmp/pipe" | head -5)"
  else ok "$cmd into a pipe: no control characters"; fi
done

# ---- colour: on a terminal by default; NO_COLOR, TERM=dumb, --color=never turn it off ------------
run "colour default" '"$CHATLOG" --db "$DB" search hostilezebra'
grep -qE $'\x1b\\[([0-9]+;)*33m' "$screen.e" && ok "colour on a terminal by default" || bad "colour on a terminal by default" "no highlight"
run "NO_COLOR" 'NO_COLOR=1 "$CHATLOG" --db "$DB" search hostilezebra'
grep -qE $'\x1b\\[([0-9]+;)*33m' "$screen.e" && bad "NO_COLOR turns colour off" "highlight shown" || ok "NO_COLOR turns colour off"
shows "without colour the hit is bracketed" '[hostilezebra]'
run "TERM=dumb" 'TERM=dumb "$CHATLOG" --db "$DB" search hostilezebra'
grep -qE $'\x1b\\[([0-9]+;)*33m' "$screen.e" && bad "TERM=dumb turns colour off" "highlight shown" || ok "TERM=dumb turns colour off"
run "--color=never" '"$CHATLOG" --db "$DB" search --color=never hostilezebra'
grep -qE $'\x1b\\[([0-9]+;)*33m' "$screen.e" && bad "--color=never after the command" "highlight shown" || ok "--color=never after the command"
"$chatlog" --db "$db" search hostilezebra | grep -q $'\x1b' && bad "no colour into a pipe" "ESC in piped output" || ok "no colour into a pipe"
"$chatlog" --db "$db" --color=always search hostilezebra | grep -q $'\x1b\[1;33m' && ok "--color=always into a pipe" || bad "--color=always into a pipe" "no highlight"

# ---- show through a pager, only on a terminal ------------------------------------------------------
run "PAGER" 'PAGER="sed s/^/PAGED:/" "$CHATLOG" --db "$DB" show 1'
shows "show goes through \$PAGER on a terminal" 'PAGED:── User'
run "--no-pager" 'PAGER="sed s/^/PAGED:/" "$CHATLOG" --db "$DB" --no-pager show 1'
grep -q PAGED: "$screen" && bad "--no-pager skips the pager" "paged" || ok "--no-pager skips the pager"
PAGER="sed s/^/PAGED:/" "$chatlog" --db "$db" show 1 | grep -q PAGED: && bad "no pager into a pipe" "paged" || ok "no pager into a pipe"

# ---- columns after an escaped field; bidi controls ----------------------------------------------
# stats pads the model column by what was printed: an escaped model ("claude-\e[2Jevil", where
# the raw name is 4 columns narrower) still has its count in the same column as the header's.
"$chatlog" --db "$db" stats >"$tmp/stats.txt" 2>&1
hdr=$(grep '^top models' "$tmp/stats.txt"); row=$(grep -F 'claude-\e[2Jevil' "$tmp/stats.txt")
if [ -n "$row" ] && [ "${#row}" = "${#hdr}" ]; then ok "stats: the count after an escaped model stays in its column"
else bad "stats: the count after an escaped model stays in its column" "header '${hdr}' (${#hdr}), row '${row}' (${#row})"; fi
# Bidi overrides and isolates reorder a line on terminals that do bidi (a title could hide
# another): escaped like C1 controls; the plain marks (U+200F) pass.
cat >"$tmp/bidi.json" <<'EOF'
[{"uuid": "b1d1b1d1-1111-4222-8333-444455556666", "name": "invoice \u202egnp.exe\u202c and \u2067iso\u2069 \u200fmark",
  "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:05:00Z",
  "chat_messages": [{"uuid": "b1d1b1d1-1111-4222-8333-000000000001", "sender": "human",
    "text": "bidizebra \u202eevil\u202c", "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:00:00Z",
    "attachments": [], "files": []}]}]
EOF
"$chatlog" --db "$tmp/bidi.db" import --quiet "$tmp/bidi.json" >/dev/null 2>&1
"$chatlog" --db "$tmp/bidi.db" list >"$tmp/bidi.out" 2>&1
contains "list: a bidi override in a title is escaped" "$tmp/bidi.out" 'invoice \u202egnp.exe\u202c and \u2067iso\u2069'
contains "list: the right-to-left mark passes" "$tmp/bidi.out" $'\u200fmark'
"$chatlog" --db "$tmp/bidi.db" --no-pager show 1 >"$tmp/bidi.out" 2>&1
contains "show: a bidi override in a message is escaped" "$tmp/bidi.out" 'bidizebra \u202eevil\u202c'
grep -q $'\u202e' "$tmp/bidi.out" && bad "show: no raw U+202E" "raw override printed" || ok "show: no raw U+202E"
"$chatlog" --db "$tmp/bidi.db" export 1 >"$tmp/bidi.md" 2>&1
grep -q $'\u202e' "$tmp/bidi.md" && ok "export into a file keeps the bidi controls" || bad "export into a file keeps the bidi controls" "escaped"

finish
