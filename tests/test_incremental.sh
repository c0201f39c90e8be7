#!/usr/bin/env bash
# Re-import of session logs (Claude Code, Codex CLI) that only grow: an unchanged file is not
# read at all, a grown one adds its new messages in order, a partial last line waits for the
# next import, a bad appended line is named by its line number in the whole file, a rewritten
# file is read whole again; `chatlog check` stays sound throughout. $1 is the build folder.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
data=$(dirname "$0")/data
db=$tmp/t.db
run() { "$chatlog" --db "$db" "$@"; }

[ -x "$chatlog" ] || setup_fail "no $chatlog"
cp -r "$data/claude-code" "$tmp/claude-code" && cp -r "$data/codex" "$tmp/codex" || setup_fail "cannot copy the fixtures"
site=$tmp/claude-code/projects/-home-ada-site/9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl
rollout=$(find "$tmp/codex" -name 'rollout-2025-05-07*.jsonl' | head -1)
[ -f "$site" ] && [ -f "$rollout" ] || setup_fail "fixture files missing"
cc_line() { # a Claude Code record: uuid, parent, type, text
  printf '{"parentUuid":"%s","isSidechain":false,"cwd":"/home/ada/site","sessionId":"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","type":"%s","uuid":"%s","timestamp":"2025-10-03T09:00:0%s.000Z","message":{"role":"%s","content":"%s"}}' \
    "$2" "$3" "$1" "$5" "$3" "$4"
}

expect "first import" 0 run import --quiet "$tmp/claude-code/projects" "$tmp/codex/sessions"
contains "claude code read" "$tmp/out" "3 chats (3 new, 0 updated, 0 unchanged), 16 messages"

# Nothing changed: no file is read (0 bytes parsed, 0 files), every one is named unchanged.
expect "re-import unchanged tree" 0 run import --quiet "$tmp/claude-code/projects" "$tmp/codex/sessions"
contains "claude code not read" "$tmp/out" "projects: 0 chats (0 new, 0 updated, 0 unchanged), 0 messages (0 on the visible threads) from 0 files, 0.0 MB"
contains "claude code files unchanged" "$tmp/out" "3 session files unchanged (not read)"
contains "codex files unchanged" "$tmp/out" "sessions: 0 chats (0 new, 0 updated, 0 unchanged), 0 messages (0 on the visible threads) from 0 files, 0.0 MB"
lacks "no 'holds no conversations'" "$tmp/out" "holds no conversations"

# Grown: two lines on the thread's end are added after the stored ones, in order.
{ cc_line w-7 w-6 user "One about mutexes" 1; echo; cc_line w-8 w-7 assistant "Two threads knock: zanzibar" 4; echo; } >>"$site"
expect "re-import grown" 0 run import --quiet "$tmp/claude-code/projects"
contains "one chat updated, only its file read" "$tmp/out" "1 chats (0 new, 1 updated, 0 unchanged), 8 messages (6 on the visible threads) from 1 file"
contains "grown counted" "$tmp/out" "2 session files unchanged (not read), 1 grown"
expect "show the grown chat" 0 run show 9c8b7a6d
tail -n 6 "$tmp/out" >"$tmp/tail"
contains "appended prompt shown" "$tmp/tail" "One about mutexes"
contains "appended answer shown" "$tmp/tail" "zanzibar"
awk '/One about mutexes/ {a = NR} /zanzibar/ {b = NR} END {exit !(a && b && a < b)}' "$tmp/out" && ok "appended in order" || bad "appended in order" "$(cat "$tmp/out")"
expect "list json counts" 0 run list --json --source claude-code
grep -q '"uuid": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d".*"messages": 6,' "$tmp/out" && ok "6 visible messages listed" ||
  bad "6 visible messages listed" "$(head -c 600 "$tmp/out")"
expect "check sound after grow" 0 run check
contains "sound" "$tmp/out" "sound"

# A summary arriving later retitles the chat.
printf '{"type":"summary","summary":"Haiku about locks","leafUuid":"w-8"}\n' >>"$site"
expect "re-import summary" 0 run import --quiet "$tmp/claude-code/projects"
expect "list after summary" 0 run list --source claude-code
contains "retitled" "$tmp/out" "site: Haiku about locks"

# A partial last line (the session is being written): neither imported nor reported...
printf '%s' "$(cc_line w-9 w-8 user "Partial quokka" 6)" | head -c 150 >>"$site"
expect "partial line: exit 0" 0 run import --quiet "$tmp/claude-code/projects"
lacks "partial not bad" "$tmp/out" "bad skipped"
lacks "partial not named" "$tmp/err" "skipped"
expect "partial not stored" 1 run search quokka
# ... and read whole once its writer finished it.
printf '%s\n' "$(cc_line w-9 w-8 user "Partial quokka" 6 | tail -c +151)" >>"$site"
expect "completed line imported" 0 run import --quiet "$tmp/claude-code/projects"
contains "completed: grown" "$tmp/out" "1 grown"
expect "completed line found" 0 run search quokka
contains "quokka in the site chat" "$tmp/out" "site: Haiku about locks"

# A bad appended line: reported with its number in the whole file, the rest imported; the file
# is read again (and the line reported again) at each import until it is fixed.
n=$(($(wc -l <"$site") + 1))
{ echo '{"type":"user", broken'; cc_line w-10 w-9 assistant "After the bad line: narwhal" 7; echo; } >>"$site"
expect "bad appended line: exit 3" 3 run import --quiet "$tmp/claude-code/projects"
contains "bad line numbered in the whole file" "$tmp/err" "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d.jsonl: line $n "
expect "line after the bad one imported" 0 run search narwhal
expect "bad line reported again" 3 run import --quiet "$tmp/claude-code/projects"
contains "again numbered" "$tmp/err" "line $n "

# Codex grows too (no ids: order is the file's), with a hidden message stored after the thread.
printf '%s\n' '{"timestamp":"2025-05-07T11:00:00.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"codex appended walrus"}]}}' >>"$rollout"
printf '%s\n' '{"timestamp":"2025-05-07T11:00:05.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"walrus answered"}]}}' >>"$rollout"
expect "codex grown" 0 run import --quiet "$tmp/codex/sessions"
contains "codex 1 grown" "$tmp/out" "1 grown"
uuid=$(grep -o '"sessionId": *"[^"]*"\|"id": *"[^"]*"' "$rollout" | head -1 | sed 's/.*: *"\([^"]*\)"/\1/')
expect "show codex" 0 run show "$uuid"
awk '/codex appended walrus/ {a = NR} /walrus answered/ {b = NR} END {exit !(a && b && a < b)}' "$tmp/out" &&
  ok "codex appended in order" || bad "codex appended in order" "$(tail -n 8 "$tmp/out")"
expect "check sound after codex" 0 run check

# Rewritten in place (same size, other bytes): read whole again, the new words stored.
sed -i 's/fence/FENCE/' "$tmp/claude-code/projects/-home-ada-src-arenakit/"*.jsonl 2>/dev/null
sed -i 's/Two threads knock/Six threads knock/' "$site"
expect "rewritten re-import" 3 run import --quiet "$tmp/claude-code/projects"
contains "rewritten counted" "$tmp/out" "rewritten"
expect "rewritten text stored" 0 run search "Six threads"
# Truncated (shorter): read whole again; the store keeps its newer, longer copy.
head -n 3 "$site" >"$tmp/short" && cat "$tmp/short" >"$site"
expect "truncated re-import" 0 run import --quiet "$tmp/claude-code/projects"
contains "truncated counted as rewritten" "$tmp/out" "1 rewritten"
contains "longer copy kept" "$tmp/out" "kept newer"
expect "check sound at the end" 0 run check
contains "sound at the end" "$tmp/out" "sound"
finish
