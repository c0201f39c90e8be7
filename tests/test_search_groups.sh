#!/usr/bin/env bash
# `chatlog search` marks hits off the seen thread (issue 14 item 8): with --all-branches an
# edited prompt's other version and the replies under it say "off-thread: branch 1 of 2" in the
# listing, and --json has off_thread, hidden and branch [index, count]; the default (the seen
# thread) does not find them. Greek and Cyrillic are found with accents and case folded (item
# 9), and a schema-1 database (the old tokenizer) is rebuilt by the next write open, with a
# note from a search until then.
# Usage: test_search_groups.sh BUILD_DIR (e.g. build/asan)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/browse_fixture.sh"
b=${1:-build/asan}
chatlog=$b/chatlog
[ -x "$chatlog" ] || setup_fail "build $chatlog first"
command -v sqlite3 >/dev/null || setup_fail "sqlite3 missing"
db=$tmp/chat.db
browse_fixture "$tmp/fixture.json"
"$chatlog" --db "$db" import --quiet "$tmp/fixture.json" >"$tmp/log" 2>&1 || setup_fail "import: $(cat "$tmp/log")"
run() { "$chatlog" --db "$db" "$@" >"$tmp/out" 2>"$tmp/err"; }
has() { if grep -qF -- "$2" "$tmp/out"; then ok "$1"; else bad "$1" "no '$2' in: $(cat "$tmp/out" "$tmp/err")"; fi; }

run search FIRSTDRAFT
[ $? = 1 ] && ok "the seen thread alone: an edited-away prompt is not found" || bad "seen thread" "$(cat "$tmp/out")"
run search --all-branches FIRSTDRAFT
has "--all-branches finds the other version, marked" "message 5, user, off-thread: branch 1 of 2)"
run search --all-branches "answer to the first draft"
has "a reply under it is in the same branch" "off-thread: branch 1 of 2)"
run search --all-branches --json FIRSTDRAFT
has "--json says off_thread" '"off_thread": true, "hidden": false, "branch": [1, 2]'
run search --all-branches --json SECONDDRAFT
has "--json: the seen version is on the thread" '"off_thread": false, "hidden": false, "branch": null'
run search --all-branches draft
has "both replies: one chat, one more hit" "+1 more in this chat"

run search γεια
has "Greek: accents and case folded" "Γειά"
run search ΕΛΛΗΝΙΚΑ
has "Greek title in capitals without accents" "Ελληνικά κείμενα"
run search привет
has "Cyrillic: case folded" "Привет"

# A schema-1 database: its tables as the old tokenizer declared them.
for t in "title_fts|title, content='chats'" "msg_fts|text, content='messages'" "part_fts|name, text, content='parts'"; do
  n=${t%%|*} args=${t#*|}
  sql+="DROP TABLE $n; CREATE VIRTUAL TABLE $n USING fts5($args, content_rowid='id', tokenize='chatlog');"
  sql+="INSERT INTO $n($n) VALUES('rebuild');"
done
sqlite3 -cmd ".load $b/chatlog_fts" "$db" "BEGIN; $sql PRAGMA user_version=1; COMMIT;" >"$tmp/log" 2>&1 ||
  setup_fail "making a schema-1 database: $(cat "$tmp/log")"
# search reads: it does not rebuild.
run search γειά
has "an old index still finds what it found" "Γειά"
grep -qF "chatlog check" "$tmp/err" && ok "a search on it says how to rebuild it" || bad "note" "$(cat "$tmp/err")"
run search γεια
[ $? = 1 ] && ok "the old index does not fold Greek accents" || bad "old index" "$(cat "$tmp/out")"
run check
has "check rebuilds it and finds it sound" "sound"
[ "$(sqlite3 "$db" 'PRAGMA user_version')" = 2 ] && ok "the database is schema 2 now" || bad "schema 2" "$(sqlite3 "$db" 'PRAGMA user_version')"
run search γεια
has "the rebuilt index folds" "Γειά"
grep -qF "chatlog check" "$tmp/err" && bad "no note after the rebuild" "$(cat "$tmp/err")" || ok "no note after the rebuild"
run list
[ "$(wc -l <"$tmp/out")" = 7 ] && ok "every chat is still there" || bad "chats kept" "$(cat "$tmp/out")"
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
