#!/usr/bin/env bash
# scale_bench.sh [BUILD]: chatlog at scale, as whole processes (issue 16, items 6 and 7).
# Generates a Claude.ai export with tools/genexport, imports it with BUILD/chatlog (default
# build/release) into a fresh database and prints one table: import time, MB/s and peak RSS;
# the database's size against the text it holds; `search` as a whole process on a cold page
# cache (when /proc/sys/vm/drop_caches may be written) and warm; `list` of every chat; the
# browser's first screen (in tmux, when installed) and `walk` under the default budget and
# under --memory-budget 32M and 64M. Peak RSS is the child's (/usr/bin/time %M, or the browser's
# VmHWM); times are wall clock. A report, not a test: it checks no threshold.
#
# Environment:
#   SCALE      quick (800 chats, ~10k messages, seconds; the default), 100k (8,000 chats,
#              ~97 MB), 1m (80,000 chats, ~1M messages, ~1 GB of export plus ~1 GB of
#              database: needs 2.5 GB free and about two minutes) or 5m (400,000 chats,
#              ~5 GB plus ~5 GB)
#   CHATS      overrides the chat count of SCALE (about 12.5 messages and 12 KB a chat)
#   SCALE_DIR  where the export and database go (default BUILD/scale-bench; removed at the
#              end unless SCALE_KEEP=1)
#   CHATLOG    the chatlog binary to measure (default BUILD/chatlog), e.g. an older build
#   SCALE_DB   an existing database to measure instead of generating and importing (the
#              import rows are then left out)
# Examples:  tools/scale_bench.sh                     (quick, a smoke run)
#            SCALE=1m tools/scale_bench.sh build/release
set -u
build=${1:-build/release}
gen=$build/tools/genexport
chatlog=${CHATLOG:-$build/chatlog}
scale=${SCALE:-quick}
case $scale in
  quick) chats=800 ;;
  100k) chats=8000 ;;
  1m) chats=80000 ;;
  5m) chats=400000 ;;
  *) echo "scale_bench.sh: SCALE is quick, 100k, 1m or 5m, not $scale" >&2; exit 2 ;;
esac
chats=${CHATS:-$chats}
[ -x "$chatlog" ] || { echo "scale_bench.sh: no $chatlog (make MODE=release)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale_bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
dir=${SCALE_DIR:-$build/scale-bench}
mkdir -p "$dir" || exit 1
[ "${SCALE_KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"/export.json "$dir"/scale.db "$dir"/scale.db-* "$dir"/out "$dir"/err "$dir"/man "$dir"/time' EXIT

rows=()
row() { rows+=("$(printf '%-44s %10s %10s  %s' "$1" "$2" "$3" "$4")"); }
# run LABEL NOTE CMD...: one process, its wall time and peak RSS; NOTE is what the row says
# (empty: the last line of the output; @lines: how many lines it wrote; @walk: the walk's
# figures; on a failure: its last error line).
run() {
  local label=$1 note=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err"
  local rc=$? t rss
  read -r t rss <"$dir/time" 2>/dev/null || { t=- rss=0; }
  # /usr/bin/time writes "Command exited with non-zero status N" first on a failure.
  [ $rc -ne 0 ] && read -r t rss < <(tail -n 1 "$dir/time")
  local what
  if [ $rc -eq 0 ] && [ "$note" = @lines ]; then what="$(wc -l <"$dir/out") lines"
  elif [ $rc -eq 0 ] && [ "$note" = @walk ]; then
    what=$(sed -n 's/^walked \([0-9]* chats\).*: \([0-9]* evictions\).*\(the process committed at most [0-9.]* of its [0-9.]* MB budget\).*/\1, \2, \3/p' "$dir/out")
  elif [ $rc -eq 0 ]; then what=${note:-$(tail -n 1 "$dir/out" | cut -c1-90)}
  else what="exit $rc: $(tail -n 1 "$dir/err" | cut -c1-120)"; fi
  row "$label" "${t}s" "$((rss / 1024)) MB" "$what"
  last_t=$t last_rc=$rc
}
cold() { # drop the page cache: root and a writable /proc/sys/vm/drop_caches
  sync && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

db=${SCALE_DB:-$dir/scale.db}
cl=("$chatlog" --db "$db" --color never --no-pager)
echo "scale_bench.sh: $chatlog, SCALE=$scale ($chats chats), data in $dir" >&2
if [ -z "${SCALE_DB:-}" ]; then
  [ -x "$gen" ] || { echo "scale_bench.sh: no $gen (make MODE=release)" >&2; exit 1; }
  avail=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
  need=$((chats * 12 * 2 * 13 / 10)) # KB: the export, the database and a WAL margin
  if [ "$avail" -lt "$need" ]; then
    echo "scale_bench.sh: $((avail / 1024)) MB free in $dir, about $((need / 1024)) MB needed for $chats chats" >&2
    exit 1
  fi
  rm -f "$db" "$db"-*
  run "genexport (claude, $chats chats)" "" "$gen" --format claude --chats "$chats" --seed 1 \
    --target-mb $((chats * 12 / 1000 > 0 ? chats * 12 / 1000 : 1)) --minify --out "$dir/export.json" --manifest "$dir/man"
  bytes=$(stat -c %s "$dir/export.json")
  msgs=$(sed -n 's/^all_messages //p' "$dir/man")
  marker=$(sed -n 's/^marker //p' "$dir/man")
  row "  export" "" "" "$(mb "$bytes"), $msgs messages"
  cold
  run "import (cold cache, one transaction, FTS)" "$msgs messages in $chats chats" "${cl[@]}" import --quiet "$dir/export.json"
  [ "$last_rc" = 0 ] || { printf '%s\n' "${rows[@]}"; exit 1; }
  row "  import rate" "" "" "$(awk -v b="$bytes" -v t="$last_t" 'BEGIN { printf "%.1f MB/s (%.0f messages/s)", b / 1e6 / t, '"$msgs"' / t }')"
  rm -f "$dir/export.json"
else
  marker=${SCALE_WORD:-zqkxvxryrhxmws}
fi

dbytes=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
if command -v sqlite3 >/dev/null; then
  text=$(sqlite3 "$db" "SELECT (SELECT total(length(CAST(text AS BLOB))) FROM messages) + (SELECT total(length(CAST(text AS BLOB))) FROM parts) + (SELECT total(length(CAST(title AS BLOB))) FROM chats)")
  nmsg=$(sqlite3 "$db" "SELECT count(*) FROM messages")
  row "database size" "" "" "$(mb "$dbytes") for $(mb "${text%.*}") of text ($(awk -v d="$dbytes" -v t="$text" 'BEGIN { printf "%.2f", d / t }')x), $nmsg messages"
else
  row "database size" "" "" "$(mb "$dbytes") (sqlite3 not installed: no text size)"
fi

if cold; then state=cold; else state="cold NOT POSSIBLE (drop_caches refused), so warm"; fi
run "search RAREWORD ($state)" "" "${cl[@]}" search "$marker"
run "search RAREWORD (warm)" "" "${cl[@]}" search "$marker"
run "search 'cache' (warm, a common word)" "" "${cl[@]}" search cache
run "search --json --limit 5 'cache stack' (warm)" "five hits as JSON" "${cl[@]}" search --json --limit 5 cache stack
cold
run "list, every chat (cold)" @lines "${cl[@]}" list
run "list, every chat (warm)" @lines "${cl[@]}" list
run "list --limit 20 (warm)" @lines "${cl[@]}" list --limit 20

# The browser's first screen: start it in a detached tmux pane, poll until the chat list is
# drawn, read its VmHWM, quit with q.
if command -v tmux >/dev/null; then
  sess=scale_bench_$$
  start=$(date +%s.%N)
  tmux new-session -d -s "$sess" -x 120 -y 40 "exec ${cl[*]} browse"
  drawn=0
  for _ in $(seq 1 3000); do
    tmux capture-pane -p -t "$sess" 2>/dev/null | grep -q "newest first" && { drawn=1; break; }
    sleep 0.005
  done
  end=$(date +%s.%N)
  pid=$(tmux display -p -t "$sess" '#{pane_pid}' 2>/dev/null)
  hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null)
  tmux send-keys -t "$sess" q 2>/dev/null
  sleep 0.3
  tmux kill-session -t "$sess" 2>/dev/null
  if [ $drawn = 1 ]; then
    row "browse: first screen (tmux, warm)" "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2fs", e - s }')" "${hwm:-?} MB" "time to the drawn chat list, RSS then"
  else row "browse: first screen (tmux, warm)" "-" "-" "the chat list did not appear within 15 s"; fi
else
  row "browse: first screen" "-" "-" "tmux not installed: see walk --limit 20"
fi
run "walk --limit 20 (browse-like open, warm)" @walk "${cl[@]}" walk --limit 20
run "walk, every chat (default budget)" @walk "${cl[@]}" walk
run "walk --memory-budget 32M, every chat" @walk "${cl[@]}" --memory-budget 32M walk
run "walk --memory-budget 64M, every chat" @walk "${cl[@]}" --memory-budget 64M walk

printf '%-44s %10s %10s  %s\n' "command ($scale: $chats chats)" "wall" "peak RSS" "result"
printf '%s\n' "${rows[@]}"
