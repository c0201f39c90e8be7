#!/usr/bin/env bash
# `chatlog search` syntax (issue 14 item 7): an argument with spaces is a phrase (the shell ate
# its quotes), a OR b, -word / NOT word, prefix*, and the filters source:, after:, before: work
# like --source, --since, --until; title: and other filters we do not have are refused with a
# message instead of being searched as words (item 7). The listing groups hits by chat (best
# hit first, "+N more in this chat"), says how many chats match and how many more --limit
# would show; --json gives every hit with its source (item 8). Counts are hits in --json.
# Usage: test_search_syntax.sh BUILD_DIR (e.g. build/asan)
. "$(dirname "$0")/lib.sh"
b=${1:-build/asan}
chatlog=$b/chatlog
samples=$(dirname "$0")/../../shared/samples
[ -d "$samples" ] || samples=$(dirname "$0")/../shared/samples
[ -x "$chatlog" ] || setup_fail "build $chatlog first"
db=$tmp/chat.db
for f in claude/conversations.json chatgpt/conversations.json; do
  "$chatlog" --db "$db" import --quiet "$samples/$f" >"$tmp/log" 2>&1 || setup_fail "import $f: $(cat "$tmp/log")"
done
hits() { "$chatlog" --db "$db" search --json --limit 1000 --all-branches "$@" 2>"$tmp/err" | grep -c '"chat":'; }
check() { # name, condition
  if eval "$2"; then ok "$1"; else bad "$1" "$2 (a=$a b=$b2 c=$c)"; fi
}

a=$(hits '"address space"'); b2=$(hits 'address space'); c=$(hits 'space address')
check "an argument with spaces is a phrase" '[ "$a" -gt 0 ] && [ "$b2" = "$a" ]'
check "the phrase keeps its order" '[ "$c" = 0 ] && [ "$(hits space address)" -ge "$a" ]'

a=$(hits mmap); b2=$(hits arena); c=$(hits mmap OR arena)
check "a OR b finds either" '[ "$a" -gt 0 ] && [ "$b2" -gt 0 ] && [ "$c" -ge "$b2" ] && [ "$c" -le $((a + b2)) ] && [ "$c" -gt "$a" ]'
a=$(hits arena); b2=$(hits arena -malloc); c=$(hits arena NOT malloc)
check "-word and NOT word exclude" '[ "$b2" -lt "$a" ] && [ "$b2" = "$c" ] && [ $((b2 + $(hits arena malloc))) = "$a" ]'
a=$(hits reserve); b2=$(hits reserve mmap); c=$(hits reserve mmap OR arena)
check "OR binds tighter than AND" '[ "$c" -ge "$b2" ] && [ "$c" -le "$a" ]'
a=$(hits alloc); b2=$(hits 'alloc*')
check "prefix* matches longer words" '[ "$b2" -gt "$a" ]'

"$chatlog" --db "$db" search -arena NOT malloc >"$tmp/out" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "excluded" "$tmp/out"; then ok "a query of exclusions only is refused with a reason"
else bad "exclusions only" "exit $rc: $(cat "$tmp/out")"; fi

a=$(hits arena source:chatgpt); b2=$(hits arena --source chatgpt); c=$(hits arena)
check "source: filters like --source" '[ "$a" = "$b2" ] && [ "$a" -gt 0 ] && [ "$a" -lt "$c" ]'
a=$(hits arena after:2025-01-01); b2=$(hits arena --since 2025-01-01)
check "after: filters like --since" '[ "$a" = "$b2" ] && [ "$a" -lt "$c" ]'
a=$(hits arena before:2025-01-01); b2=$(hits arena --until 2025-01-01)
check "before: filters like --until" '[ "$a" = "$b2" ] && [ "$a" -lt "$c" ]'

"$chatlog" --db "$db" search title:linux arena >"$tmp/out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "title:linux is not a search filter" "$tmp/out"; then ok "title: is refused with a message"
else bad "title: refused" "exit $rc: $(head -2 "$tmp/out")"; fi
"$chatlog" --db "$db" search source:nowhere arena >"$tmp/out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "source: is" "$tmp/out"; then ok "a bad source: value is refused"
else bad "bad source:" "exit $rc: $(head -2 "$tmp/out")"; fi
"$chatlog" --db "$db" search 'x:y:z' >"$tmp/out" 2>&1
rc=$?
if ! grep -q "not a search filter\|syntax error" "$tmp/out"; then ok "other word:word text is searched as text"
else bad "x:y:z" "exit $rc: $(head -2 "$tmp/out")"; fi

"$chatlog" --db "$db" search arena --limit 3 >"$tmp/out" 2>&1
chats=$(grep -c '^#' "$tmp/out"); distinct=$(grep '^#' "$tmp/out" | awk '{print $1}' | sort -u | wc -l)
[ "$chats" = 3 ] && [ "$distinct" = 3 ] && ok "the listing shows --limit chats, each once" \
  || bad "grouped listing" "$chats chats, $distinct distinct: $(head -12 "$tmp/out")"
grep -q "^    +[0-9]* more in this chat" "$tmp/out" && ok "+N more in this chat" || bad "+N more" "$(head -12 "$tmp/out")"
total=$("$chatlog" --db "$db" search --json --limit 1000 arena | grep -o '"chat": [0-9]*' | sort -u | wc -l)
grep -q "^$total chats match; $((total - 3)) more, use --limit $total" "$tmp/out" && ok "the total and how to see the rest" \
  || bad "total line" "want $total chats: $(tail -2 "$tmp/out")"
"$chatlog" --db "$db" search --json arena source:claude | grep -q '"source": "claude"' && ok "source in --json" \
  || bad "source in --json" "missing"
finish
