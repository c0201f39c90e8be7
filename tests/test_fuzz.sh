#!/usr/bin/env bash
# A short run of every libFuzzer target (fuzz/*.c, built with clang by `make fuzz`), seeded with
# the shared samples and broken files: a smoke test that the targets build and that nothing
# found in earlier runs has come back. Long runs are for people: see the top of each target.
# FUZZ_SECONDS sets the time per target (default 15).
. "$(dirname "$0")/lib.sh"
secs=${FUZZ_SECONDS:-15}
samples=${AK_SAMPLES:-../shared/samples}
command -v clang >/dev/null || setup_fail "clang missing (tools/deps.sh installs it)"
if make -s fuzz >"$tmp/build.log" 2>&1; then ok "fuzz targets build"
else bad "fuzz targets build" "$(tail -5 "$tmp/build.log")"; fi
for t in build/fuzz/fuzz/*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus=$tmp/$name
  mkdir -p "$corpus"
  # Every target gets the samples as seeds: JSON for the reader, bytes for the others.
  find "$samples" -type f -name '*.json' -size -200k -exec cp {} "$corpus"/ \; 2>/dev/null
  find tests/data -type f -size -200k -exec sh -c 'cp "$1" "$2/data-$(echo "$1" | md5sum | cut -c1-12)"' _ {} "$corpus" \; 2>/dev/null
  if "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 "$corpus" >"$corpus.log" 2>&1; then
    ok "$name ($(grep -oE 'DONE.*' "$corpus.log" | head -1))"
  else
    bad "$name" "$(grep -E "ERROR|SUMMARY|==[0-9]+==" "$corpus.log" | head -10)"
  fi
  rm -rf "$corpus" "$corpus.log"
done
finish
