#!/usr/bin/env bash
# End-to-end test of the newer sources through the chatlog program, on tests/data (see its
# README for the counts): a Claude Code projects folder, a Codex sessions folder, a Gemini
# Takeout folder and zip, a .jsonl file given alone, a bad line, a grown session re-imported;
# then list --source, search and show treat them like the exports. $1 is the build folder.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
data=$(dirname "$0")/data
db=$tmp/t.db
run() { "$chatlog" --db "$db" "$@"; }

[ -x "$chatlog" ] || setup_fail "no $chatlog"
[ -d "$data/claude-code" ] || setup_fail "no $data/claude-code"

# A copy, so the test can grow a session.
cp -r "$data/claude-code" "$tmp/claude-code" || setup_fail "cannot copy the fixtures"

expect "import claude code projects" 0 run import --quiet "$tmp/claude-code/projects"
contains "claude code counts" "$tmp/out" "3 chats (3 new, 0 updated, 0 unchanged), 16 messages (14 on the visible threads) from 3 files"
expect "import codex sessions" 0 run import --quiet "$data/codex/sessions"
contains "codex counts" "$tmp/out" "2 chats (2 new, 0 updated, 0 unchanged), 9 messages (9 on the visible threads) from 2 files"
expect "import gemini takeout" 0 run import --quiet "$data/gemini/Takeout"
contains "gemini counts" "$tmp/out" "3 chats (3 new, 0 updated, 0 unchanged), 10 messages"
expect "import german takeout" 0 run import --quiet "$data/gemini-de"
contains "german counts" "$tmp/out" "1 chats (1 new"

# One .jsonl alone (what the export reader refused before: "unexpected data after the top-level value").
expect "import one rollout file" 0 run import --quiet "$data/codex/sessions/2025/05/07/rollout-2025-05-07T10-00-00-4f3e2d1c-0b9a-4876-9543-210fedcba987.jsonl"
contains "one file is unchanged" "$tmp/out" "1 session file unchanged (not read)"
lacks "no top-level complaint" "$tmp/err" "top-level"

# A bad line is skipped and named; the rest is imported (no --skip-bad needed).
expect "import with bad lines (exit 3: something was skipped)" 3 run import --quiet "$data/bad-lines/session.jsonl"
contains "bad lines counted" "$tmp/out" "1 chats (1 new, 0 updated, 0 unchanged), 4 messages"
contains "bad lines skipped" "$tmp/out" "2 bad skipped"
contains "line 3 named" "$tmp/err" "session.jsonl: line 3 (starting at byte 486)"
contains "line 5 named" "$tmp/err" "line 5"

# Re-import: nothing changed; then a session grows and is updated in place.
expect "re-import unchanged" 0 run import --quiet "$tmp/claude-code/projects"
contains "all unchanged" "$tmp/out" "3 session files unchanged (not read)"
site=$tmp/claude-code/projects/-home-ada-site/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl
printf '%s\n' '{"parentUuid":"w-6","isSidechain":false,"cwd":"/home/ada/site","sessionId":"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","type":"user","uuid":"w-7","timestamp":"2025-10-03T09:00:00.000Z","message":{"role":"user","content":"One about mutexes"}}' >>"$site"
printf '%s\n' '{"parentUuid":"w-7","isSidechain":false,"cwd":"/home/ada/site","sessionId":"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","type":"assistant","uuid":"w-8","timestamp":"2025-10-03T09:00:04.000Z","message":{"role":"assistant","content":[{"type":"text","text":"Two threads knock, one waits: zanzibar"}]}}' >>"$site"
expect "re-import grown" 0 run import --quiet "$tmp/claude-code/projects"
contains "one updated" "$tmp/out" "1 chats (0 new, 1 updated, 0 unchanged), 8 messages (6 on the visible threads) from 1 file"
contains "the others not read" "$tmp/out" "2 session files unchanged (not read), 1 grown"

expect "list all" 0 run list
lines "ten chats" "$tmp/out" 10
expect "list claude-code" 0 run list --source claude-code
lines "four claude code chats" "$tmp/out" 4
contains "project in the title" "$tmp/out" "arenakit: Fix the flaky arena test"
contains "subagent chat" "$tmp/out" "arenakit: (subagent) Search the pool code"
expect "list codex" 0 run list --source codex
lines "two codex chats" "$tmp/out" 2
expect "list gemini json" 0 run list --source gemini --json
contains "gemini source in json" "$tmp/out" "\"source\": \"gemini\""
contains "gemini uuid" "$tmp/out" "gemini:2025-03-02T18:10:03.004Z"
expect "bad source" 2 run list --source bing
contains "sources named" "$tmp/err" "claude-code, codex or gemini"

expect "search across sources" 0 run search fence
contains "search finds claude code" "$tmp/out" "arenakit: Fix the flaky arena test"
expect "search the grown part" 0 run search zanzibar
contains "grown text indexed" "$tmp/out" "site: Write a haiku"
expect "search gemini answer" 0 run search --source gemini jacket
contains "gemini answer found" "$tmp/out" "weather in Lisbon tomorrow"
expect "search codex" 0 run search --source codex trailing
contains "codex answer found" "$tmp/out" "chatlog: Why does the import"

expect "show by uuid" 0 run show 9c8b7a6d
contains "show has the rewound thread" "$tmp/out" "Bump the pointer on"
contains "show has the grown end" "$tmp/out" "zanzibar"
lacks "show hides the abandoned branch" "$tmp/out" "Cache miss: splash."
expect "show gemini" 0 run show gemini:2025-03-02
contains "html made text" "$tmp/out" "- works on any iterable & generator"
lacks "script dropped" "$tmp/out" "alert"
expect "export codex markdown" 0 run export 019a2d7a --markdown
contains "codex tool call kept" "$tmp/out" "shell"

expect "stats" 0 run stats
contains "stats by source" "$tmp/out" "(0 Claude, 0 ChatGPT, 4 Claude Code, 2 Codex, 4 Gemini)"

# A Takeout zip: the member is found by its path and read by its content.
if command -v python3 >/dev/null; then
  (cd "$data/gemini" && python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED); z.write("Takeout/My Activity/Gemini Apps/MyActivity.json"); z.close()' "$tmp/takeout.zip") &&
    expect "import takeout zip" 0 run import --quiet "$tmp/takeout.zip" &&
    contains "zip unchanged" "$tmp/out" "3 chats (0 new, 0 updated, 3 unchanged)"
fi
# The generator's agent and Gemini trees import with the counts its manifest promises.
gen=$build/tools/genexport
if [ -x "$gen" ]; then
  for f in claude-code codex gemini; do
    "$gen" --format "$f" --chats 30 --seed 7 --out "$tmp/gen-$f" --manifest "$tmp/gen-$f.m" 2>"$tmp/err" ||
      bad "genexport $f" "$(head -c 300 "$tmp/err")"
    chats=$(awk '$1 == "chats" {print $2}' "$tmp/gen-$f.m")
    msgs=$(awk '$1 == "visible_messages" {print $2}' "$tmp/gen-$f.m")
    files=$(awk '$1 == "files" {print $2}' "$tmp/gen-$f.m")
    expect "import generated $f" 0 "$chatlog" --db "$tmp/gen.db" import --quiet "$tmp/gen-$f"
    contains "generated $f counts" "$tmp/out" "$chats chats ($chats new, 0 updated, 0 unchanged), $msgs messages ($msgs on the visible threads) from $files file"
  done
else
  bad "genexport" "no $gen"
fi
finish
