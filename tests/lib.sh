# lib.sh: what every tests/test_*.sh shares. Source it first; it gives
#   $tmp          a fresh folder, removed at exit (a test may replace the EXIT trap, keeping rm)
#   ok NAME       one passed check;  bad NAME REASON  one failed check
#   setup_fail M  the test cannot run at all: one failure, the closing line, exit 1
#   finish        prints "N passed, N failed" (tests/run.sh reads it) and exits non-zero on a failure
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
