#!/usr/bin/env bash
# bench.sh DIR: run every benchmark family in DIR and print one table per case.
# A family is the three builds of one bench/X.c (X-glibc, X-mimalloc, X-jemalloc; see the
# Makefile); each binary prints "ROW <case> <allocator> key=value..." lines (bench/bench.h,
# bench_row). Per case the table lists each allocator, every metric in the order the bench
# printed them, instructions/op when callgrind counted them, and how the first metric compares
# with glibc's and mimalloc's (when the case has such a row): "glibc/this" is glibc's value
# divided by this row's, so for a time 10.0x means ten times faster than glibc. Values may hold
# spaces: a word that is not "key=..." continues the value before it.
#
# Instructions: these machines have no hardware counters, so when valgrind is installed each
# binary runs again with --quick under `valgrind --tool=callgrind --collect-atstart=no`; the
# bench marks its measured region with bench_measure_begin/end, which dumps the count with the
# case, allocator and operation count. A bench without those markers gets "-".
#
# Environment:
#   BENCH_ARGS       extra arguments for the timed runs (e.g. "--quick", "--n 1000000")
#   BENCH_ONLY       family names to run (space separated; default every family in DIR)
#   BENCH_PEERS      allocator builds to run (default "glibc mimalloc jemalloc")
#   BENCH_CALLGRIND  0 skips the callgrind pass
#   BENCH_TIMEOUT    seconds per binary and pass (default 1800)
set -u
dir=${1:?usage: tools/bench.sh DIR (e.g. build/release/bench)}
peers=${BENCH_PEERS:-glibc mimalloc jemalloc}
limit=${BENCH_TIMEOUT:-1800}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/rows"
: >"$tmp/instr"
status=0

families=$(for p in $peers; do
  for f in "$dir"/*-"$p"; do [ -x "$f" ] && basename "$f" "-$p"; done
done | sort -u)
if [ -n "${BENCH_ONLY:-}" ]; then
  families=$(for f in $families; do case " $BENCH_ONLY " in *" $f "*) echo "$f" ;; esac; done)
fi
if [ -z "$families" ]; then
  echo "bench.sh: no bench binaries (NAME-glibc, NAME-mimalloc, NAME-jemalloc) in $dir" >&2
  exit 1
fi

callgrind=0
if [ "${BENCH_CALLGRIND:-1}" != 0 ]; then
  if command -v valgrind >/dev/null; then callgrind=1
  else echo "bench.sh: valgrind not installed, no instructions/op (apt-get install valgrind)" >&2; fi
fi

# ---- timed runs: gather "family case allocator key=value..." ------------------------------
for fam in $families; do
  for p in $peers; do
    bin="$dir/$fam-$p"
    [ -x "$bin" ] || continue
    echo "bench.sh: running $fam-$p ${BENCH_ARGS:-}" >&2
    # shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
    timeout "$limit" "$bin" ${BENCH_ARGS:-} >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ]; then
      echo "bench.sh: $fam-$p failed (exit $rc):" >&2
      tail -n 20 "$tmp/err" >&2
      status=1
    fi
    awk -v fam="$fam" '$1 == "ROW" { $1 = fam; print }' "$tmp/out" >>"$tmp/rows"
    grep -v '^ROW' "$tmp/out" >>"$tmp/notes.$fam"
  done
done

# ---- callgrind pass at --quick size: "family case allocator instructions/op" ---------------
if [ $callgrind = 1 ]; then
  for fam in $families; do
    for p in $peers; do
      bin="$dir/$fam-$p"
      [ -x "$bin" ] || continue
      echo "bench.sh: counting instructions of $fam-$p --quick under callgrind" >&2
      mkdir -p "$tmp/cg"
      timeout "$limit" valgrind -q --tool=callgrind --collect-atstart=no \
        --callgrind-out-file="$tmp/cg/$fam-$p.%p" "$bin" --quick >/dev/null 2>"$tmp/err"
      rc=$?
      if [ $rc -ne 0 ]; then
        echo "bench.sh: $fam-$p --quick under callgrind failed (exit $rc):" >&2
        tail -n 20 "$tmp/err" >&2
        status=1
      fi
      # One file per dump; ours carry the label of bench_measure_end in their "desc: Trigger".
      for f in "$tmp/cg/$fam-$p".*; do
        [ -f "$f" ] || continue
        awk -v fam="$fam" '
          /^desc: Trigger: Client Request: bench / {
            for (i = 1; i <= NF; i++) {
              split($i, kv, "=")
              if (kv[1] == "case") c = kv[2]; else if (kv[1] == "alloc") a = kv[2]; else if (kv[1] == "ops") n = kv[2]
            }
          }
          /^(summary|totals):/ { ir = $2 }
          END { if (c != "" && n > 0) printf "%s %s %s %.1f\n", fam, c, a, ir / n }' "$f" >>"$tmp/instr"
      done
      rm -rf "$tmp/cg"
    done
    if ! grep -q "^$fam " "$tmp/instr"; then
      echo "# $fam prints no callgrind markers (bench_measure_begin/end): no instructions/op" >>"$tmp/notes.$fam"
    fi
  done
fi

# ---- tables -------------------------------------------------------------------------------
for fam in $families; do
  echo
  echo "== $fam"
  [ -s "$tmp/notes.$fam" ] && cat "$tmp/notes.$fam"
  awk -v fam="$fam" '
    FILENAME ~ /instr$/ { if ($1 == fam) instr[$2 SUBSEP $3] = $4; next }
    $1 != fam { next }
    {
      c = $2; a = $3
      if (!(c in seen)) { seen[c] = 1; cases[++ncases] = c }
      if (!((c, a) in hasrow)) { hasrow[c, a] = 1; rows[c, ++nrows[c]] = a }
      # A word that does not start with "key=" continues the previous value, so a value
      # may hold spaces (query="arena allocator").
      k = ""
      for (i = 4; i <= NF; i++) {
        if ($i ~ /^[A-Za-z_][A-Za-z0-9_.\/-]*=/) {
          k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v)
          if (!((c, k) in haskey)) { haskey[c, k] = 1; keys[c, ++nkeys[c]] = k }
          val[c, a, k] = v
        } else if (k != "") {
          val[c, a, k] = val[c, a, k] " " $i
        }
      }
    }
    function ratio(base, x) {
      if (base == "" || x == "" || x + 0 == 0) return "-"
      return sprintf("%.1fx", base / x)
    }
    END {
      for (ci = 1; ci <= ncases; ci++) {
        c = cases[ci]
        nk = nkeys[c]; first = keys[c, 1]
        # Header, then one line per allocator; instr_op joins when callgrind counted any row.
        ncol = 0
        col[++ncol] = "allocator"
        for (k = 1; k <= nk; k++) col[++ncol] = keys[c, k]
        withinstr = 0
        for (r = 1; r <= nrows[c]; r++) if ((c SUBSEP rows[c, r]) in instr) withinstr = 1
        if (withinstr) col[++ncol] = "instr_op"
        col[++ncol] = "glibc/this"
        withmi = (c, "mimalloc") in hasrow
        if (withmi) col[++ncol] = "mimalloc/this"
        for (j = 1; j <= ncol; j++) { cell[0, j] = col[j]; w[j] = length(col[j]) }
        for (r = 1; r <= nrows[c]; r++) {
          a = rows[c, r]; j = 0
          cell[r, ++j] = a
          for (k = 1; k <= nk; k++) cell[r, ++j] = ((c, a, keys[c, k]) in val) ? val[c, a, keys[c, k]] : "-"
          if (withinstr) cell[r, ++j] = ((c SUBSEP a) in instr) ? instr[c, a] : "-"
          cell[r, ++j] = ratio(val[c, "glibc", first], val[c, a, first])
          if (withmi) cell[r, ++j] = ratio(val[c, "mimalloc", first], val[c, a, first])
          for (j = 1; j <= ncol; j++) if (length(cell[r, j]) > w[j]) w[j] = length(cell[r, j])
        }
        printf "\n%s / %s   (ratios on %s)\n", fam, c, first
        for (r = 0; r <= nrows[c]; r++) {
          line = sprintf("%-" w[1] "s", cell[r, 1])
          for (j = 2; j <= ncol; j++) line = line sprintf("  %" w[j] "s", cell[r, j])
          print line
        }
      }
    }' "$tmp/instr" "$tmp/rows"
done
exit $status
