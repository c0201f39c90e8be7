#!/usr/bin/env bash
# The full-text tables are readable by ordinary SQLite tools: the sqlite3 shell cannot query
# them on its own (`no such tokenizer: chatlog`), and can once it loads the chatlog_fts
# extension: MATCH finds what `chatlog search` finds, the index agrees with the extension's
# tokenizer (FTS5 integrity-check re-tokenizes every row), chatlog_snippet() works, and
# `make install` puts the extension under $(PREFIX)/lib/chatlog/ where it loads from too.
# Usage: test_extension.sh BUILD_DIR (e.g. build/asan)
. "$(dirname "$0")/lib.sh"
b=${1:-build/asan}
chatlog=$b/chatlog
ext=$b/chatlog_fts
samples=$(dirname "$0")/../../shared/samples
[ -d "$samples" ] || samples=$(dirname "$0")/../shared/samples
command -v sqlite3 >/dev/null || setup_fail "no sqlite3 shell (Debian package sqlite3; tools/deps.sh installs it)"
[ -x "$chatlog" ] && [ -f "$ext.so" ] || setup_fail "build $chatlog and $ext.so first (make MODE=... tests-build)"
db=$tmp/chat.db
"$chatlog" --db "$db" import --quiet "$samples/claude/conversations.json" >"$tmp/log" 2>&1 || setup_fail "import: $(cat "$tmp/log")"
"$chatlog" --db "$db" import --quiet "$samples/chatgpt/conversations.json" >"$tmp/log" 2>&1 || setup_fail "import: $(cat "$tmp/log")"

q="select count(*) from msg_fts where msg_fts match 'mmap'"
if sqlite3 "$db" "$q" >"$tmp/out" 2>&1; then bad "without the extension" "the query worked: $(cat "$tmp/out")"
elif grep -q "no such tokenizer: chatlog" "$tmp/out"; then ok "without the extension: no such tokenizer"
else bad "without the extension" "$(cat "$tmp/out")"; fi

want=$("$chatlog" --db "$db" search --json --limit 100 mmap | grep -c '"in": "message"')
got=$(sqlite3 -cmd ".load $ext" "$db" "$q" 2>&1)
[ "$got" = "$want" ] && [ "$got" -gt 0 ] && ok "MATCH after .load finds what chatlog search finds ($got)" \
  || bad "MATCH after .load" "sqlite3 says '$got', chatlog search found $want"

out=$(sqlite3 -cmd ".load $ext" "$db" \
  "insert into msg_fts(msg_fts, rank) values('integrity-check', 1);
   insert into part_fts(part_fts, rank) values('integrity-check', 1);
   insert into title_fts(title_fts, rank) values('integrity-check', 1); select 'same';" 2>&1)
[ "$out" = same ] && ok "the index matches the extension's tokenizer" || bad "integrity-check with the extension" "$out"

out=$(sqlite3 -cmd ".load $ext" "$db" \
  "select chatlog_snippet(msg_fts, 0, '<', '>', '...', 6) from msg_fts where msg_fts match 'mmap' limit 1" 2>&1)
case $out in *"<mmap>"*|*"<MMAP>"*|*"<Mmap>"*) ok "chatlog_snippet in the shell" ;; *) bad "chatlog_snippet in the shell" "$out" ;; esac

# Every script's words: whatever chatlog finds, the shell finds through the extension.
for w in 'arena' 'alloc*' '"address space"'; do
  want=$("$chatlog" --db "$db" search --json --limit 1000 --all-branches "$w" | grep -c '"in": "message"')
  got=$(sqlite3 -cmd ".load $ext" "$db" "select count(*) from msg_fts where msg_fts match '$w'" 2>&1)
  [ "$got" = "$want" ] && ok "same hits for $w ($got)" || bad "same hits for $w" "sqlite3 '$got', chatlog $want"
done

if make -s install-fts PREFIX="$tmp/prefix" >"$tmp/log" 2>&1 && [ -f "$tmp/prefix/lib/chatlog/chatlog_fts.so" ]; then
  ok "make install puts chatlog_fts.so under lib/chatlog"
  got=$(sqlite3 -cmd ".load $tmp/prefix/lib/chatlog/chatlog_fts" "$db" "$q" 2>&1)
  [ "$got" -gt 0 ] 2>/dev/null && ok "the installed extension loads" || bad "the installed extension" "$got"
else
  bad "make install-fts" "$(tail -5 "$tmp/log")"
fi
finish
