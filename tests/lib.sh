# lib.sh: what every tests/test_*.sh shares. Source it first; it gives
#   $tmp          a fresh folder, removed at exit (a test may replace the EXIT trap, keeping rm)
#   ok NAME       one passed check;  bad NAME REASON  one failed check
#   setup_fail M  the test cannot run at all: one failure, the closing line, exit 1
#   finish        prints "N passed, N failed" (tests/run.sh reads it) and exits non-zero on a failure
#   expect NAME CODE CMD...  runs CMD (stdout in $tmp/out, stderr in $tmp/err), checks its exit code
#   contains NAME FILE TEXT / lacks NAME FILE TEXT   FILE holds (or does not hold) TEXT
#   lines NAME FILE N        FILE has N lines
# shellcheck shell=bash
set -u
npass=0
nfail=0
ok() { npass=$((npass + 1)); echo "PASS $1"; }
bad() { nfail=$((nfail + 1)); echo "FAIL $1: $2"; }
setup_fail() { echo "FAIL setup: $1"; echo "0 passed, 1 failed"; exit 1; }
finish() { echo "$npass passed, $nfail failed"; [ "$nfail" = 0 ]; exit $?; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect() {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name" "exit $rc, wanted $want: $(head -c 400 "$tmp/err")"; fi
}
contains() {
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "no '$3' in: $(head -c 400 "$2")"; fi
}
lacks() {
  if grep -qF -- "$3" "$2"; then bad "$1" "unexpected '$3' in: $(head -c 400 "$2")"; else ok "$1"; fi
}
lines() {
  local n; n=$(wc -l <"$2")
  if [ "$n" = "$3" ]; then ok "$1"; else bad "$1" "$n lines, wanted $3: $(head -c 400 "$2")"; fi
}
