#!/usr/bin/env bash
# demo.sh BUILD_DIR [EXPORT]: the main job of `make run`.
# Without EXPORT: generates a realistic demo history (Claude and ChatGPT exports, a few
# thousand chats) with tools/genexport, imports it into build/demo/chatlog.db with the progress
# bar, and shows it. With EXPORT (a conversations.json, an export folder or the .zip): imports
# that into your own database (chatlog's default location, or $CHATLOG_DB) and shows it.
# When the terminal is interactive the browser opens at the end (q quits).
set -eu
build=$1
export_path=${2:-}
chatlog=$build/chatlog
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "$export_path" ]; then
  demo=build/demo
  mkdir -p "$demo"
  db=$demo/chatlog.db
  rm -f "$db" "$db-wal" "$db-shm"
  if [ ! -f "$demo/claude/conversations.json" ]; then
    say "generating a demo history with tools/genexport (deterministic, seed 7)"
    mkdir -p "$demo/claude" "$demo/chatgpt"
    "$build/tools/genexport" --format claude --chats 1800 --seed 7 --target-mb 24 \
      --out "$demo/claude/conversations.json" --manifest "$demo/claude.manifest"
    "$build/tools/genexport" --format chatgpt --chats 1700 --seed 8 --target-mb 24 --shard-chats 400 \
      --out "$demo/chatgpt" --manifest "$demo/chatgpt.manifest"
  fi
  sources=("$demo/claude/conversations.json" "$demo/chatgpt")
  marker=$(awk '$1=="marker"{print $2}' "$demo/claude.manifest")
else
  db=${CHATLOG_DB:-}
  sources=("$export_path")
  marker=""
fi
dbopt=()
[ -n "$db" ] && dbopt=(--db "$db")

say "chatlog import ${sources[*]}"
for s in "${sources[@]}"; do "$chatlog" "${dbopt[@]}" import "$s"; done

say "chatlog stats"
"$chatlog" "${dbopt[@]}" stats

say "chatlog list --limit 10"
"$chatlog" "${dbopt[@]}" list --limit 10 || true

say "chatlog search arena --limit 5"
# search exits 1 when nothing matches (as grep does): not a failure of the demo.
"$chatlog" "${dbopt[@]}" search arena --limit 5 || true
if [ -n "$marker" ]; then
  say "chatlog search $marker   (a word that occurs in exactly one chat)"
  "$chatlog" "${dbopt[@]}" search "$marker" || true
fi

first=$("$chatlog" "${dbopt[@]}" list --limit 1 | awk '{print $1}' || true)
if [ -n "$first" ]; then
  say "chatlog show $first | head -40"
  "$chatlog" "${dbopt[@]}" show "$first" | head -40 || true # a pipe: no pager
fi

if [ -t 0 ] && [ -t 1 ] && "$chatlog" --help | grep -q browse; then
  say "chatlog browse   (q quits, ? shows the keys)"
  "$chatlog" "${dbopt[@]}" --memory-budget 16M browse
fi
printf '\nThe database is %s. Try: %s%s search WORDS\n' "${db:-the default database}" "$chatlog" "${db:+ --db $db}"
