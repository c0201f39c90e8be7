#!/usr/bin/env bash
# End-to-end test of the chatlog program on the shared samples: import (file, folder, zip),
# idempotent re-import, list / show / export / search / stats output, broken inputs that must
# fail cleanly and change nothing, exit codes. $1 is the build folder (e.g. build/asan).
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
samples=${AK_SAMPLES:-../shared/samples}
db=$tmp/t.db
run() { "$chatlog" --db "$db" "$@"; }
expect() { # name, expected exit code, command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name" "exit $rc, wanted $want: $(head -c 400 "$tmp/err")"; fi
}
contains() { # name, file, text
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "no '$3' in: $(head -c 400 "$2")"; fi
}
lacks() {
  if grep -qF -- "$3" "$2"; then bad "$1" "unexpected '$3'"; else ok "$1"; fi
}

[ -x "$chatlog" ] || setup_fail "no $chatlog"

expect "usage without a command" 2 "$chatlog"
expect "unknown command" 2 "$chatlog" frobnicate
expect "help" 0 "$chatlog" --help
contains "help lists commands" "$tmp/out" "search QUERY"
expect "import help" 0 "$chatlog" import --help
expect "list before any import fails clearly" 1 run list
contains "no database message" "$tmp/err" "chatlog import"

expect "import claude" 0 run import --quiet "$samples/claude/conversations.json"
contains "claude counts" "$tmp/out" "8 chats (8 new"
contains "claude visible" "$tmp/out" "(22 on the visible threads)"
expect "import chatgpt" 0 run import --quiet "$samples/chatgpt/conversations.json"
contains "chatgpt counts" "$tmp/out" "8 chats (8 new"
contains "chatgpt visible" "$tmp/out" "(29 on the visible threads)"
expect "import split folder" 0 run import --quiet "$samples/chatgpt-split"
contains "split counts" "$tmp/out" "5 chats (5 new"
contains "split visible" "$tmp/out" "(12 on the visible threads)"
expect "re-import zip of the split export" 0 run import --quiet "$samples/zips/chatgpt-split-export.zip"
contains "zip: no duplicates" "$tmp/out" "5 chats (0 new, 0 updated, 5 unchanged)"
expect "re-import claude zip (escaped copy)" 0 run import --quiet "$samples/zips/claude-export.zip"
contains "claude zip unchanged" "$tmp/out" "8 unchanged"

expect "list json" 0 run list --json
n=$(grep -c '"id":' "$tmp/out")
[ "$n" = 21 ] && ok "21 chats listed" || bad "21 chats listed" "got $n"
expect "list filter source" 0 run list --source claude
n=$(wc -l <"$tmp/out")
[ "$n" = 8 ] && ok "8 claude chats" || bad "8 claude chats" "got $n"
expect "list filter title" 0 run list --title "tlsf"
contains "title filter finds TLSF" "$tmp/out" "Why does my TLSF free list lose blocks?"
expect "list since" 0 run list --since 2026-01-01
n=$(wc -l <"$tmp/out")
[ "$n" = 7 ] && ok "7 chats since 2026" || bad "7 chats since 2026" "got $n: $(cat "$tmp/out")"
expect "bad date is a usage error" 2 run list --since yesterday

expect "search marker word" 0 run search quokkazebra
contains "search finds the attachment" "$tmp/out" "Review of arena.c"
expect "search json" 0 run search --json quokkazebra
contains "search json uuid" "$tmp/out" "c27a5e90-3d14-4b8f-a6c2-f0e9d8b7a615"
expect "search with FTS operators is plain text" 0 run search 'AND OR "unclosed NEAR('
expect "search non-Latin" 0 run search арена
contains "cyrillic hit" "$tmp/out" "多言語テスト"

expect "show by uuid prefix" 0 run show 6b8e0f27
contains "show edited branch" "$tmp/out" "Edited:"
expect "show branch chat (chatgpt)" 0 run show 67b4a3e2-1f5c-8009-b2a7-4d6e8f0a1c3e
lacks "regenerated answer off the thread" "$tmp/out" "REGENERATED AWAY"
lacks "edited prompt off the thread" "$tmp/out" "ORIGINAL PROMPT, EDITED AWAY"
expect "show escapes decoded" 0 run show 35d1e8b6
contains "escapes" "$tmp/out" "Escapes decoded: 日本語 🚀 👩‍💻 café"
expect "show unknown chat" 1 run show 00000000-dead
expect "export needs a format" 2 run export 1
expect "export markdown" 0 run export 1 --markdown
contains "markdown heading" "$tmp/out" "## User"
expect "export json" 0 run export 9d2f4b61 --json
contains "json parts" "$tmp/out" '"kind": "thinking"'
expect "stats" 0 run stats
contains "stats chats" "$tmp/out" "21 (8 Claude, 13 ChatGPT)"
contains "stats pool table" "$tmp/out" "chat metadata"
expect "stats json" 0 run stats --json
contains "stats json chats" "$tmp/out" '"chats": 21'

# Broken inputs: each fails with its reason and leaves the database byte-for-byte unchanged.
cp "$db" "$tmp/before.db"
sum_before=$(run list --json | md5sum)
check_broken() { # file, text expected in the error
  expect "broken $1 fails" 1 run import --quiet "$samples/broken/$1"
  contains "broken $1 says why" "$tmp/err" "$2"
}
check_broken truncated.json "3590"
check_broken not-json.json "byte 0"
# Well-formed, but no conversation can be read: each is skipped and named, none imported, exit 3.
expect "broken wrong-types.json skips all three" 3 run import --quiet "$samples/broken/wrong-types.json"
contains "broken wrong-types.json names the first" "$tmp/err" "a3c5e7f9-1b2d-4f46-8a8c-9e0f1a2b3c4d"
expect "broken wrong-types.json --strict fails" 1 run import --quiet --strict "$samples/broken/wrong-types.json"
check_broken bad-utf8.json "699"
check_broken deep-nesting.json "nesting"
check_broken empty.json "empty file"
check_broken trailing-garbage.json "3976"
check_broken nul-byte.json "300"
expect "empty array is fine" 0 run import --quiet "$samples/broken/empty-array.json"
contains "empty array says 0" "$tmp/out" "0 chats"
expect "missing file" 1 run import --quiet "$tmp/nope.json"
[ "$(run list --json | md5sum)" = "$sum_before" ] && ok "database unchanged by broken imports" || bad "database unchanged" "listing differs"
expect "skip-bad imports the good ones, exit 3" 3 run import --quiet --skip-bad "$samples/broken/wrong-types.json"
contains "skip-bad lists the bad" "$tmp/err" "skipped"

# A file that is not a database is refused and left alone.
echo "hello, not a database" >"$tmp/notdb"
cp "$tmp/notdb" "$tmp/notdb.orig"
expect "not a database" 1 "$chatlog" --db "$tmp/notdb" stats
cmp -s "$tmp/notdb" "$tmp/notdb.orig" && ok "not-a-database unchanged" || bad "not-a-database unchanged" "file changed"

finish
