#!/usr/bin/env bash
# End-to-end test of the chatlog program on the shared samples: import (file, folder, zip),
# idempotent re-import, list / show / export / search / stats output, broken inputs that must
# fail cleanly and change nothing, exit codes. $1 is the build folder (e.g. build/asan).
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
samples=${AK_SAMPLES:-../shared/samples}
db=$tmp/t.db
# The samples' dates are checked in UTC (the checks of TZ itself set it per command).
export TZ=UTC
run() { "$chatlog" --db "$db" "$@"; }

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
expect "bad date is a usage error" 2 run list --since 2025-13
expect "an impossible day is a usage error" 2 run list --since 2025-02-29
expect "so is April 31st" 2 run list --until 2025-04-31
expect "a leap day is a date" 0 run list --until 2024-02-29T12:00
expect "--since a year" 0 run list --since 2026
n=$(wc -l <"$tmp/out")
[ "$n" = 7 ] && ok "a year means from its first day" || bad "a year means from its first day" "got $n"
expect "--until a month" 0 run list --until 2023-12 --json
n=$(grep -c '"id":' "$tmp/out")
[ "$n" = 1 ] && ok "a month as --until means to its last day" || bad "--until 2023-12" "got $n"
expect "--since relative days" 0 run list --since 100000d
n=$(wc -l <"$tmp/out")
[ "$n" = 20 ] && ok "100000d ago keeps every chat with a time (20 of 21)" || bad "100000d" "got $n"
expect "--since yesterday (nothing that new)" 1 run list --since yesterday
expect "list matching nothing exits 1" 1 run list --title "no such title anywhere"
[ -s "$tmp/out" ] && bad "list matching nothing prints nothing" "$(head -c 200 "$tmp/out")" || ok "list matching nothing prints nothing"
# Times are local (TZ) unless --utc; filters read dates in the same zone.
TZ=UTC run list --json -n 1 | grep -o '"updated": "[^"]*"' >"$tmp/u1"
t_utc=$(TZ=UTC run list -n 1 | awk '{ print $3 }')
t_tokyo=$(TZ=Asia/Tokyo run list -n 1 | awk '{ print $3 }')
t_tokyo_utc=$(TZ=Asia/Tokyo run --utc list -n 1 | awk '{ print $3 }')
[ -n "$t_utc" ] && [ "$t_utc" != "$t_tokyo" ] && ok "list times follow TZ" || bad "list times follow TZ" "utc $t_utc tokyo $t_tokyo"
[ "$t_utc" = "$t_tokyo_utc" ] && ok "--utc shows UTC" || bad "--utc" "utc $t_utc, tokyo --utc $t_tokyo_utc"
expect "show marks the zone" 0 env TZ=UTC "$chatlog" --db "$db" show 1
contains "show header has the zone" "$tmp/out" " UTC · updated"
# --model, and the model in list and show.
expect "list --model" 0 run list --model GPT-4O
n=$(wc -l <"$tmp/out")
[ "$n" -ge 1 ] && ! grep -qv "gpt-4o" "$tmp/out" && ok "--model keeps that model's chats (any case)" || bad "--model" "$(cat "$tmp/out")"
expect "list shows the model" 0 run list --source chatgpt
contains "model in the listing" "$tmp/out" "· gpt-4o"

expect "search marker word" 0 run search quokkazebra
contains "search finds the attachment" "$tmp/out" "Review of arena.c"
expect "search json" 0 run search --json quokkazebra
contains "search json uuid" "$tmp/out" "c27a5e90-3d14-4b8f-a6c2-f0e9d8b7a615"
expect "search with FTS operators is plain text (no crash, no match)" 1 run search 'AND OR "unclosed NEAR('
expect "search matching nothing exits 1" 1 run search zzzqqqnothing
contains "search says there is no match" "$tmp/err" "no matches for zzzqqqnothing"
expect "empty search is a usage error" 2 run search ''
expect "blank search is a usage error" 2 run search '  '
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
expect "export defaults to markdown" 0 run export 1
contains "export default heading" "$tmp/out" "## User"
expect "export markdown" 0 run export 1 --markdown
contains "markdown heading" "$tmp/out" "## User"
expect "export json" 0 run export 9d2f4b61 --json
contains "json parts" "$tmp/out" '"kind": "thinking"'
expect "stats" 0 run stats
contains "stats chats" "$tmp/out" "21 (8 Claude, 13 ChatGPT)"
lacks "stats: no pool table by default" "$tmp/out" "chat metadata"
contains "stats by year" "$tmp/out" "(chats / messages)"
contains "stats top models" "$tmp/out" "gpt-4o"
expect "stats --memory" 0 run stats --memory
contains "stats --memory pool table" "$tmp/out" "chat metadata"
expect "stats json" 0 run stats --json
contains "stats json chats" "$tmp/out" '"chats": 21'

# ---- conventions: options anywhere, one-line errors with suggestions, short flags ------------------
expect "--db after the command" 0 "$chatlog" list --db "$db" --source claude
n=$(wc -l <"$tmp/out")
[ "$n" = 8 ] && ok "--db after the command is the same database" || bad "--db after the command" "got $n"
expect "--source is case-insensitive" 0 run list --source Claude
n=$(wc -l <"$tmp/out")
[ "$n" = 8 ] && ok "--source Claude keeps 8" || bad "--source Claude" "got $n"
expect "short flags -n -j" 0 run list -n 3 -j
n=$(grep -c '"id":' "$tmp/out")
[ "$n" = 3 ] && ok "-n 3 -j lists 3 as JSON" || bad "-n 3 -j" "got $n"
expect "-n3 attached" 0 run list -n3
n=$(wc -l <"$tmp/out")
[ "$n" = 3 ] && ok "-n3 lists 3" || bad "-n3" "got $n"
expect "mistyped command" 2 run lsit
contains "did you mean the command" "$tmp/err" "did you mean list?"
n=$(wc -l <"$tmp/err")
[ "$n" = 1 ] && ok "a usage error is one line" || bad "a usage error is one line" "$n lines: $(cat "$tmp/err")"
contains "points to --help" "$tmp/err" "chatlog --help"
expect "mistyped option" 2 run list --limt 3
contains "did you mean the option" "$tmp/err" "did you mean --limit?"
contains "points to the command's help" "$tmp/err" "chatlog list --help"
n=$(wc -l <"$tmp/err")
[ "$n" = 1 ] && ok "an option error is one line" || bad "an option error is one line" "$n lines"
expect "mistyped global option" 2 run search --colr=never x
contains "did you mean a global option" "$tmp/err" "did you mean --color?"
expect "--db without a value" 2 "$chatlog" --db
contains "says the value is missing" "$tmp/err" "--db needs a value"
expect "--db without a value after the command" 2 "$chatlog" list --db
contains "says the value is missing (after)" "$tmp/err" "--db needs a value"
expect "--limit without a value" 2 run list --limit
contains "says --limit needs a value" "$tmp/err" "--limit needs a value"
expect "--version" 0 "$chatlog" --version
contains "version line" "$tmp/out" "chatlog 0."
expect "help CMD" 0 "$chatlog" help search
contains "help search is the search usage" "$tmp/out" "usage: chatlog search"
expect "help unknown command" 2 "$chatlog" help serch
contains "help suggests" "$tmp/err" "did you mean search?"
expect "help lists walk under developers" 0 "$chatlog" --help
awk '/for developers/ { dev = 1 } /^  walk/ { print dev ? "dev" : "user" }' "$tmp/out" | grep -qx dev &&
  ok "walk is in the developer section" || bad "walk is in the developer section" "$(cat "$tmp/out")"
awk '/for developers/ { dev = 1 } /--memory-trace/ { print dev ? "dev" : "user" }' "$tmp/out" | grep -qx dev &&
  ok "--memory-trace is in the developer section" || bad "--memory-trace in the developer section" "not there"
expect "--color needs a known word" 2 run --color=sometimes list
# ~ in the config file's db path.
mkdir -p "$tmp/home/.config/chatlog"
cp "$db" "$tmp/home/mine.db"
echo "db = ~/mine.db" >"$tmp/home/.config/chatlog/config"
expect "~ in the config's db" 0 env HOME="$tmp/home" XDG_CONFIG_HOME= XDG_DATA_HOME= "$chatlog" list -n 1
expect "--db=~/x expanded too" 0 env HOME="$tmp/home" "$chatlog" --db=~/mine.db list -n 1

# ---- export: several chats, --all, --search, to a file or a folder ---------------------------------
expect "export two chats as JSON" 0 run export 1 2 --json
n=$(grep -c '"ordinal": 0' "$tmp/out")
head -c 1 "$tmp/out" | grep -q '\[' && [ "$n" = 2 ] && ok "two chats: one JSON array of 2" || bad "export 1 2 --json" "n=$n $(head -c 100 "$tmp/out")"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) == 2' "$tmp/out" && ok "the array parses" || bad "the array parses" "python3 json.load failed"
fi
expect "export --all -o FILE.json" 0 run export --all -o "$tmp/all.json"
n=$(grep -o '"chatlog_export"' "$tmp/all.json" | wc -l)
[ "$n" = 21 ] && ok "--all writes 21 chats, JSON from the .json name" || bad "--all -o all.json" "got $n"
expect "the --all JSON array imports back" 0 "$chatlog" --db "$tmp/back.db" import --quiet "$tmp/all.json"
contains "every chat comes back" "$tmp/out" "21 chats (21 new"
expect "export --all into a folder" 0 run export --all -o "$tmp/outdir/"
n=$(ls "$tmp/outdir" | grep -c '\.md$')
[ "$n" = 21 ] && ok "one Markdown file per chat" || bad "one file per chat" "got $n: $(ls "$tmp/outdir" | head)"
ls "$tmp/outdir" | grep -q '^2-why-does-my-tlsf-free-list-lose-blocks\.md$' && ok "files named NUMBER-title.md" || bad "file names" "$(ls "$tmp/outdir" | head -3)"
expect "export --search" 0 run export --search quokkazebra --json
contains "export --search finds the chat" "$tmp/out" "Review of arena.c"
n=$(grep -c '"ordinal": 0,' "$tmp/out")
[ "$n" = 1 ] && ok "export --search: the one matching chat" || bad "export --search" "got $n"
expect "export --search nothing" 1 run export --search zzzqqqnothing
expect "export chats and --all is a usage error" 2 run export 1 --all
expect "export nothing is a usage error" 2 run export

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
