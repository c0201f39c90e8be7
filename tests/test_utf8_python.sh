#!/usr/bin/env bash
# The UTF-8 decoder against CPython's (an independent implementation of the Unicode standard's
# maximal-subpart replacement): tests/utf8_reference.py writes, for every 1- and 2-byte
# sequence and every 3- and 4-byte one by byte class, each decode step's length, error kind
# and code point; `test_utf8 --reference` checks decode, validate, count and sanitize against it.
# Then display widths against Python's East Asian Width data (`--widths`).
# Usage: tests/test_utf8_python.sh BUILD_DIR (build/asan)
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
bin=$build/tests/test_utf8
[ -x "$bin" ] || setup_fail "$bin not built (make MODE=asan tests-build)"
command -v python3 >/dev/null || setup_fail "python3 missing"
if python3 "$(dirname "$0")/utf8_reference.py" >"$tmp/ref.bin" 2>"$tmp/py.err"; then
  ok "CPython wrote the expectations ($(wc -c <"$tmp/ref.bin") bytes)"
else
  bad "utf8_reference.py" "$(tail -3 "$tmp/py.err")"
  finish
fi
"$bin" --reference "$tmp/ref.bin" >"$tmp/out.txt" 2>&1
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/out.txt" | tail -1)
if [ $rc = 0 ] && [ "$line" = "1 passed, 0 failed" ]; then
  ok "decoder agrees with CPython: $(grep -oE '[0-9]+ sequences.*' "$tmp/out.txt")"
else
  bad "decoder agrees with CPython" "$(grep -v '^PASS' "$tmp/out.txt" | head -20)"
fi
if python3 "$(dirname "$0")/utf8_reference.py" --widths >"$tmp/widths.txt" 2>"$tmp/py.err"; then
  "$bin" --widths "$tmp/widths.txt" >"$tmp/out.txt" 2>&1
  rc=$?
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/out.txt" | tail -1)
  if [ $rc = 0 ] && [ "$line" = "1 passed, 0 failed" ]; then
    ok "widths agree with East Asian Width: $(grep -oE '[0-9]+ code points' "$tmp/out.txt")"
  else
    bad "widths agree with East Asian Width" "$(grep -v '^PASS' "$tmp/out.txt" | head -12)"
  fi
else
  bad "utf8_reference.py --widths" "$(tail -3 "$tmp/py.err")"
fi
finish
