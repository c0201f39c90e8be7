#!/usr/bin/env bash
# memtrace.sh [BUILD_DIR]: regenerates the memory pictures in docs/ from real runs.
#   docs/memory-import.svg  chatlog import of a generated ~30 MB Claude export (2,000 chats)
#   docs/memory-walk.svg    chatlog walk over every chat of it under --memory-budget 16M
# Both runs record --memory-trace; tools/memplot draws each trace as a stacked timeline of
# committed bytes by arena name. The export is deterministic (genexport seed 1); the timings,
# and so the pictures, vary a little from run to run. BUILD_DIR defaults to build/release.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build/release}
mode=${build#build/}
make -s MODE="$mode" "$build/chatlog" "$build/tools/genexport" "$build/tools/memplot"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p docs
"$build/tools/genexport" --format claude --chats 2000 --seed 1 --target-mb 30 --out "$work/c.json" \
  --manifest "$work/c.manifest"
mb=$(( $(wc -c <"$work/c.json") / 1048576 ))

"$build/chatlog" --db "$work/m.db" --memory-trace "$work/import.csv" import --quiet "$work/c.json"
"$build/chatlog" --db "$work/m.db" --memory-budget 16M --memory-trace "$work/walk.csv" walk

"$build/tools/memplot" "$work/import.csv" docs/memory-import.svg \
  --title "chatlog import: a $mb MB Claude export, 2,000 chats (default budget)"
"$build/tools/memplot" "$work/walk.csv" docs/memory-walk.svg \
  --title "chatlog walk: open every one of 2,000 chats under --memory-budget 16M"
ls -l docs/memory-import.svg docs/memory-walk.svg
