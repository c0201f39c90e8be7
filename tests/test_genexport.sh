#!/usr/bin/env bash
# test_genexport.sh GENEXPORT|BUILD_DIR: checks the synthetic export generator (tools/genexport.c).
# The argument is the built binary, or a build folder holding tools/genexport (tests/run.sh passes
# build/asan). Needs only bash and coreutils: no python, nothing is compiled here.
# Prints PASS name / FAIL name: reason, then "N passed, N failed"; exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"

bin=${1:-}
if [ -d "$bin" ]; then bin=$bin/tools/genexport; fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  setup_fail "no genexport binary at '${1:-}' (give the binary or a build folder)"
fi

SEED=20260214
UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
MANIFEST_KEYS="chats visible_messages all_messages branch_messages hidden_messages bytes
  largest_uuid largest_visible marker marker_uuid"

mval() { # manifest key -> value
  awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "" }' "$1"
}
size() { wc -c <"$1" | tr -d ' '; }
is_num() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }

# The key that appears exactly once per conversation object, whatever the format.
conv_key() { if [ "$1" = claude ]; then echo '"chat_messages":'; else echo '"current_node":'; fi; }

# ---- help ---------------------------------------------------------------------------------
if out=$("$bin" --help 2>&1) && echo "$out" | grep -q -- '--format' && echo "$out" | grep -q -- '--manifest'; then
  ok help
else
  bad help "--help did not exit 0 with the option list"
fi

for fmt in claude chatgpt; do
  a=$tmp/$fmt-a.json b=$tmp/$fmt-b.json
  # ---- determinism: same arguments, same bytes (file, second run, and stdout) ----------
  if ! "$bin" --format $fmt --chats 60 --seed $SEED --out "$a" --manifest "$a.man" 2>"$tmp/err"; then
    bad "$fmt/generate" "exit $?: $(head -c 300 "$tmp/err")"
    continue
  fi
  ok "$fmt/generate"
  "$bin" --format $fmt --chats 60 --seed $SEED --out "$b" --manifest "$b.man"
  "$bin" --format $fmt --chats 60 --seed $SEED >"$tmp/$fmt-stdout.json"
  if cmp -s "$a" "$b" && cmp -s "$a.man" "$b.man" && cmp -s "$a" "$tmp/$fmt-stdout.json"; then
    ok "$fmt/deterministic"
  else
    bad "$fmt/deterministic" "two runs with seed $SEED differ (or stdout differs from --out)"
  fi
  "$bin" --format $fmt --chats 60 --seed $((SEED + 1)) --out "$tmp/$fmt-other.json"
  if cmp -s "$a" "$tmp/$fmt-other.json"; then
    bad "$fmt/seed" "a different seed gave the same output"
  else
    ok "$fmt/seed"
  fi

  # ---- the document's outline: one array, pretty-printed, 60 conversations --------------
  first=$(head -c 1 "$a")
  last=$(tail -c 2 "$a" | head -c 1)
  convs=$(grep -o "$(conv_key $fmt)" "$a" | wc -l | tr -d ' ')
  if [ "$first" = "[" ] && [ "$last" = "]" ] && [ "$convs" = 60 ]; then
    ok "$fmt/outline"
  else
    bad "$fmt/outline" "expected a top-level array of 60 conversations, got '$first'...'$last' with $convs"
  fi

  # ---- manifest: every key, and values that fit together --------------------------------
  man=$a.man
  missing=""
  for k in $MANIFEST_KEYS; do [ -n "$(mval "$man" $k)" ] || missing="$missing $k"; done
  if [ -n "$missing" ]; then
    bad "$fmt/manifest-keys" "missing:$missing"
  else
    ok "$fmt/manifest-keys"
  fi
  chats=$(mval "$man" chats) vis=$(mval "$man" visible_messages) all=$(mval "$man" all_messages)
  br=$(mval "$man" branch_messages) hid=$(mval "$man" hidden_messages) bytes=$(mval "$man" bytes)
  lv=$(mval "$man" largest_visible) lu=$(mval "$man" largest_uuid)
  mk=$(mval "$man" marker) mu=$(mval "$man" marker_uuid)
  why=""
  for v in "$chats" "$vis" "$all" "$br" "$hid" "$bytes" "$lv"; do is_num "$v" || why="non-numeric count '$v'"; done
  if [ -z "$why" ]; then
    [ "$chats" = 60 ] || why="chats $chats, expected 60"
    [ $((vis + br)) = "$all" ] || why="all_messages $all != visible $vis + branch $br"
    [ "$vis" -ge $((chats * 3 / 2)) ] || why="only $vis visible messages for $chats chats"
    [ "$bytes" = "$(size "$a")" ] || why="bytes $bytes but the file has $(size "$a")"
    [ "$lv" -ge 2 ] && [ "$lv" -le "$vis" ] || why="largest_visible $lv out of range"
    if [ $fmt = claude ]; then [ "$hid" = 0 ] || why="claude export with $hid hidden messages"; fi
    echo "$lu" | grep -qxE "$UUID_RE" || why="largest_uuid '$lu' is not a uuid"
    echo "$mu" | grep -qxE "$UUID_RE" || why="marker_uuid '$mu' is not a uuid"
    grep -q "\"$lu\"" "$a" || why="largest_uuid $lu is not in the export"
    grep -q "$mk" "$a" || why="marker word $mk is not in the export"
  fi
  if [ -z "$why" ]; then ok "$fmt/manifest-values"; else bad "$fmt/manifest-values" "$why"; fi

  # ---- ids: every uuid-ish value is lowercase 8-4-4-4-12 --------------------------------
  bad=$(grep -oE '"(uuid|parent_message_uuid|conversation_id|current_node|id)": "[^"]*"' "$a" |
    sed 's/.*: "//; s/"$//' | grep -vxE "$UUID_RE|client-created-root|toolu_01[A-Za-z0-9]{22}|file[-_][A-Za-z0-9]+" | head -3)
  if [ -z "$bad" ]; then ok "$fmt/uuids"; else bad "$fmt/uuids" "malformed: $bad"; fi

  # ---- shards: K chats per file, vendor style (one line, no trailing newline) ------------
  d=$tmp/$fmt-shards
  "$bin" --format $fmt --chats 25 --seed $SEED --shard-chats 10 --out "$d" --manifest "$d.man"
  files=$(ls "$d" | tr '\n' ' ')
  why=""
  [ "$files" = "conversations-000.json conversations-001.json conversations-002.json " ] ||
    why="expected conversations-000..002.json, got: $files"
  total=0 n=0
  for f in "$d"/conversations-*.json; do
    [ -f "$f" ] || continue
    [ "$(wc -l <"$f" | tr -d ' ')" = 0 ] || why="$(basename "$f") is not one line without a newline"
    [ "$(head -c 1 "$f")$(tail -c 1 "$f")" = "[]" ] || why="$(basename "$f") is not a complete array"
    total=$((total + $(size "$f")))
    n=$((n + $(grep -o "$(conv_key $fmt)" "$f" | wc -l)))
  done
  [ "$n" = 25 ] || why="the shards hold $n conversations, expected 25"
  [ "$(mval "$d.man" bytes)" = "$total" ] || why="manifest bytes $(mval "$d.man" bytes) != $total on disk"
  [ "$(mval "$d.man" chats)" = 25 ] || why="manifest chats $(mval "$d.man" chats)"
  if [ -z "$why" ]; then ok "$fmt/shards"; else bad "$fmt/shards" "$why"; fi

  # ---- the marker word is in exactly one conversation (one chat per shard) --------------
  d1=$tmp/$fmt-one
  "$bin" --format $fmt --chats 30 --seed $SEED --shard-chats 1 --out "$d1" --manifest "$d1.man"
  mk=$(mval "$d1.man" marker) mu=$(mval "$d1.man" marker_uuid)
  hits=$(grep -l "$mk" "$d1"/*.json | wc -l | tr -d ' ')
  if [ "$(ls "$d1" | wc -l | tr -d ' ')" = 30 ] && [ "$hits" = 1 ] && grep -l "$mk" "$d1"/*.json | xargs grep -q "\"$mu\""; then
    ok "$fmt/marker"
  else
    bad "$fmt/marker" "marker $mk found in $hits of 30 one-chat shards (expected 1, holding $mu)"
  fi

  # ---- --target-mb lands within 15% ----------------------------------------------------
  t=$tmp/$fmt-target.json
  "$bin" --format $fmt --chats 40 --seed $SEED --target-mb 3 --minify --out "$t" 2>"$tmp/err"
  got=$(size "$t")
  if [ "$got" -ge 2550000 ] && [ "$got" -le 3450000 ]; then
    ok "$fmt/target-mb"
  else
    bad "$fmt/target-mb" "asked for 3 MB, got $got bytes"
  fi

  # ---- zero chats is a valid, empty export -----------------------------------------------
  if [ "$("$bin" --format $fmt --chats 0 --minify)" = "[]" ]; then
    ok "$fmt/empty"
  else
    bad "$fmt/empty" "--chats 0 did not write []"
  fi
done

# ---- bad arguments: a clear message and a non-zero exit, never output --------------------
bad_case() { # name, args...
  local name=$1
  shift
  "$bin" "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
  local rc=$?
  if [ $rc -ne 0 ] && [ -s "$tmp/bad.err" ]; then
    ok "args/$name"
  else
    bad "args/$name" "exit $rc for: $*"
  fi
}
bad_case none
bad_case no-format --chats 3
bad_case no-chats --format claude
bad_case bad-format --format bard --chats 3
bad_case negative-chats --format claude --chats -1
bad_case text-chats --format claude --chats many
bad_case missing-value --format claude --chats
bad_case bad-seed --format claude --chats 3 --seed -5
bad_case zero-shard --format chatgpt --chats 3 --shard-chats 0 --out "$tmp/z"
bad_case shard-without-out --format chatgpt --chats 3 --shard-chats 2
bad_case zero-target --format claude --chats 3 --target-mb 0
bad_case unknown-option --format claude --chats 3 --colour
bad_case stray-argument --format claude --chats 3 extra
bad_case unwritable --format claude --chats 3 --out "$tmp/no/such/dir/x.json"

finish
