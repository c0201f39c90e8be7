#!/usr/bin/env bash
# run.sh MODE...: run every built test of each mode and print one closing line for them all.
#   asan      every tests/test_*.c binary (AddressSanitizer + UBSan) and every tests/test_*.sh
#   valgrind  every binary under valgrind memcheck, at a reduced scale (AK_TEST_SCALE)
#   tsan      the thread tests (test_*_mt) under ThreadSanitizer
# A binary's own closing line "N passed, N failed" is added to the totals; a binary that
# crashes, hangs (timeout) or prints no closing line counts as one failure.
set -u
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0
failed_names=()

run_one() { # label, command...
  local label=$1; shift
  local log; log=$(mktemp)
  timeout "${AK_TEST_TIMEOUT:-900}" "$@" >"$log" 2>&1
  local rc=$?
  local line; line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  local p=0 f=0
  if [ -n "$line" ]; then
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
  fi
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  if [ "$f" != 0 ]; then
    failed_names+=("$label")
    echo "---- $label: FAILED (exit $rc)"
    grep -vE '^PASS ' "$log" | tail -n 40
  else
    echo "---- $label: $p passed"
  fi
  rm -f "$log"
}

for mode in "$@"; do
  dir=build/$mode/tests
  [ -d "$dir" ] || { echo "no $dir: build it with make MODE=$mode tests-build"; total_fail=$((total_fail+1)); continue; }
  for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    case $mode in
      asan)
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
          run_one "asan/$name" "$t" ;;
      valgrind)
        # --fair-sched: valgrind runs one thread at a time, and its default lock lets the two
        # readers of test_db_mt take it back-to-back until the writer starves (a 900 s timeout).
        AK_TEST_SCALE=${AK_TEST_SCALE:-0.05} run_one "valgrind/$name" \
          valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
          --child-silent-after-fork=yes --trace-children=no "$t" ;;
      tsan)
        case $name in *_mt) ;; *) continue ;; esac
        TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 run_one "tsan/$name" "$t" ;;
    esac
  done
  if [ "$mode" = asan ]; then
    for s in tests/test_*.sh; do
      [ -f "$s" ] || continue
      run_one "sh/$(basename "$s")" bash "$s" build/asan
    done
  fi
done

if [ ${#failed_names[@]} -gt 0 ]; then echo "failed: ${failed_names[*]}"; fi
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" = 0 ]
