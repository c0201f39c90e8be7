#!/usr/bin/env bash
# chatlog import as a user meets real exports (issue 13, items 11-13): one odd conversation is
# skipped and named while the rest is imported (exit 3), --strict is all or nothing (exit 1),
# a file that is not valid JSON imports nothing unless --skip-bad salvages what came before
# the fault. $1 is the build folder (e.g. build/asan).
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
samples=${AK_SAMPLES:-../shared/samples}
db=$tmp/t.db
run() { "$chatlog" --db "$db" "$@"; }
chats() { run list --json 2>/dev/null | grep -c '"id":'; }

[ -x "$chatlog" ] || setup_fail "no $chatlog"

expect "import help" 0 "$chatlog" import --help
contains "help names --strict" "$tmp/out" "--strict"
contains "help names exit 3" "$tmp/out" "3 imported, but something was skipped"
expect "--strict with --skip-bad is a usage error" 2 run import --strict --skip-bad "$samples/claude/conversations.json"

# A Claude export with odd records between good ones, as real exports and other projects'
# fixtures hold them: no chat_messages nor mapping, no id, chat_messages of the wrong type,
# and a good one without `account` (which is not needed).
cat >"$tmp/odd.json" <<'JSON'
[
 {"uuid": "aaaa0001-0000-4000-8000-000000000001", "name": "good one", "account": {"uuid": "acc"},
  "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:05:00Z",
  "chat_messages": [{"uuid": "m1", "sender": "human", "text": "hello wombatquill", "created_at": "2025-03-01T10:00:00Z"}]},
 {"uuid": "bbbb0002-0000-4000-8000-000000000002", "name": "project stub", "account": {"uuid": "acc"}},
 {"name": "no id at all", "chat_messages": []},
 {"uuid": "cccc0003-0000-4000-8000-000000000003", "name": "wrong type", "chat_messages": "none"},
 {"uuid": "dddd0004-0000-4000-8000-000000000004", "name": "no account",
  "chat_messages": [{"uuid": "m2", "sender": "human", "text": "second good", "created_at": "2025-03-02T10:00:00Z"}]}
]
JSON
expect "--strict: one bad conversation fails the import" 1 run import --quiet --strict "$tmp/odd.json"
contains "--strict says nothing was imported" "$tmp/err" "nothing was imported"
contains "--strict says what the default would do" "$tmp/err" "without it the bad conversations are skipped"
expect "odd records: the rest is imported, exit 3" 3 run import --quiet "$tmp/odd.json"
contains "odd records: 2 chats in" "$tmp/out" "2 chats (2 new"
contains "odd records: 3 skipped" "$tmp/out" "3 bad skipped"
contains "odd records: no chat_messages nor mapping, by uuid" "$tmp/err" "conversation bbbb0002-0000-4000-8000-000000000002: the object at byte"
contains "odd records: no id, by place" "$tmp/err" "element 3: conversation at byte"
contains "odd records: wrong type, by uuid and field" "$tmp/err" "conversation cccc0003-0000-4000-8000-000000000003: field \"chat_messages\""
[ "$(chats)" = 2 ] && ok "odd records: 2 chats stored" || bad "odd records: 2 chats stored" "got $(chats)"
expect "odd records: search finds the good one" 0 run search wombatquill
contains "odd records: found" "$tmp/out" "good one"

# Not valid JSON: nothing imported (not even the complete conversation before the cut), exit 1;
# --skip-bad keeps the complete ones before the fault, names the fault, exit 3.
rm -f "$db"
expect "truncated: nothing imported" 1 run import --quiet "$samples/claude/conversations.json" "$samples/broken/truncated.json"
contains "truncated: names the byte" "$tmp/err" "byte 3590"
[ "$(chats)" = 8 ] && ok "truncated: the good export beside it still went in" || bad "truncated: other export" "got $(chats)"
rm -f "$db"
expect "truncated --skip-bad: salvaged, exit 3" 3 run import --quiet --skip-bad "$samples/broken/truncated.json"
contains "truncated --skip-bad: 1 chat" "$tmp/out" "1 chats (1 new"
contains "truncated --skip-bad: says the file is not valid JSON" "$tmp/out" "1 file not valid JSON"
contains "truncated --skip-bad: names the byte" "$tmp/err" "byte 3590"
expect "truncated --skip-bad: the salvaged chat opens" 0 run show 4e0c6a1f
expect "trailing garbage --skip-bad: both chats kept" 3 run import --quiet --skip-bad "$samples/broken/trailing-garbage.json"
contains "trailing garbage --skip-bad: 2 chats" "$tmp/out" "2 chats (2 new"
expect "not JSON --skip-bad: nothing to salvage, still non-zero" 3 run import --quiet --skip-bad "$samples/broken/not-json.json"
expect "a clean import exits 0" 0 run import --quiet "$samples/chatgpt/conversations.json"

# Content of 2025-2026 exports (tests/data): kept, none of it unknown, text searchable.
rm -f "$db"
data=$(dirname "$0")/data
expect "2025 Claude content: imported, the impossible date skipped" 3 run import --quiet "$data/claude-2025.json"
contains "2025 Claude content: no unknown blocks" "$tmp/out" "2 chats (2 new"
contains "2025 Claude content: impossible date named" "$tmp/err" "found \"2025-02-29T10:00:00.000000Z\""
expect "2025 ChatGPT content: imported" 0 run import --quiet "$data/chatgpt-2025.json"
if grep -q "unknown blocks" "$tmp/out"; then bad "2025 ChatGPT content: no unknown blocks" "$(cat "$tmp/out")"; else ok "2025 ChatGPT content: no unknown blocks"; fi
for word in marmosetfjord tapirglade ocelotprism syllables pangolinquartz jacarandaveil wolverinecobalt otterlumen; do
  expect "search finds $word" 0 run search "$word"
  n=$(grep -c . "$tmp/out")
  [ "$n" -gt 0 ] && ok "search $word has a hit" || bad "search $word has a hit" "no output"
done
expect "show: the chosen thread, not the later regeneration" 0 run show 7a1b2c3d-0000-4000-8000-00000000c001
if grep -q "A LATER REGENERATION" "$tmp/out"; then bad "current leaf thread" "regeneration shown"; else ok "current leaf thread"; fi
contains "show: the artifact's body" "$tmp/out" "free it all at once at dusk"
contains "show: tool ids" "$tmp/out" "[tool use: artifacts #toolu_01ArtifactHaiku000000001]"

# What is stored can be seen: every branch, uuid and parent link.
rm -f "$db"
run import --quiet "$samples/claude/conversations.json" >/dev/null 2>&1
run import --quiet "$samples/chatgpt/conversations.json" >/dev/null 2>&1
run import --quiet "$samples/chatgpt-split" >/dev/null 2>&1
run import --quiet "$data/claude-2025.json" >/dev/null 2>&1
run import --quiet "$data/chatgpt-2025.json" >/dev/null 2>&1
expect "show --all-branches" 0 run show 6b8e0f27 --all-branches
contains "all branches: the other branch is there" "$tmp/out" "c3e6a9b2"
contains "all branches: marked off-thread" "$tmp/out" "version 1 of 2 · off-thread"
contains "all branches: parent links" "$tmp/out" "· parent b2d5f8a1"
expect "show without --all-branches" 0 run show 6b8e0f27
if grep -q "c3e6a9b2" "$tmp/out"; then bad "plain show keeps to the thread" "off-thread uuid shown"; else ok "plain show keeps to the thread"; fi
# Block times are kept (and shown in the full view) but are no reading matter.
expect "show a chat with block times" 0 run show c27a5e90 --no-pager
lacks "plain show leaves bookkeeping out" "$tmp/out" "[meta: block_times]"
expect "show --all-branches of a chat with block times" 0 run show c27a5e90 --all-branches --no-pager
contains "the full view shows bookkeeping" "$tmp/out" "[meta: block_times]"
expect "export --json has the abandoned branches" 0 run export 67b4a3e2-1f5c-8009-b2a7-4d6e8f0a1c3e --json
contains "export --json: regenerated answer kept" "$tmp/out" "REGENERATED AWAY"
contains "export --json: marked not visible" "$tmp/out" '"visible": false'
contains "export --json: parent links" "$tmp/out" '"parent_uuid": "'
contains "export --json: format marker" "$tmp/out" '"chatlog_export": 1'
expect "export --json: tool ids" 0 run export 9d2f4b61 --json
contains "export --json: call id" "$tmp/out" '"call_id": "toolu_01Hq7XbN3wR5tYk2PzLm8vDc"'

# Round trip: export --json of every chat re-imports to the same content (the store's content
# hash: "unchanged"), and into a fresh database gives the same export again, byte for byte.
n=$(chats)
[ "$n" = 24 ] && ok "24 chats to round-trip" || bad "24 chats to round-trip" "got $n"
mkdir -p "$tmp/ex"
rt_ok=0
for i in $(seq 1 "$n"); do
  run export "$i" --json >"$tmp/ex/$i.json" 2>"$tmp/err" || { bad "export $i" "$(cat "$tmp/err")"; continue; }
  if run import --quiet "$tmp/ex/$i.json" 2>"$tmp/err" | grep -qF "1 chats (0 new, 0 updated, 1 unchanged)"; then
    rt_ok=$((rt_ok + 1))
  else
    bad "round trip of chat $i" "not unchanged: $(head -c 300 "$tmp/err")"
  fi
done
[ "$rt_ok" = "$n" ] && ok "every chat re-imports unchanged" || bad "every chat re-imports unchanged" "$rt_ok of $n"
db=$tmp/fresh.db
for i in $(seq 1 "$n"); do run import --quiet "$tmp/ex/$i.json" >/dev/null 2>&1; done
same=0
for i in $(seq 1 "$n"); do run export "$i" --json 2>/dev/null | cmp -s - "$tmp/ex/$i.json" && same=$((same + 1)); done
[ "$same" = "$n" ] && ok "a fresh database gives the same exports" || bad "a fresh database gives the same exports" "$same of $n"

finish
