#!/usr/bin/env bash
# test_memplot.sh BUILD_DIR: checks tools/memplot, the SVG timeline of a memory trace, on small
# hand-written traces: the picture is complete and names every band, heaps are not stacked on
# their arenas, names past eight share "other", and bad input fails with the line and exit 1.
# Needs bash, grep and awk (xmllint, when installed, also checks the XML is well formed).
# Prints PASS name / FAIL name: reason, then "N passed, N failed"; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

bin=${1:-build/asan}/tools/memplot
[ -x "$bin" ] || setup_fail "no memplot binary at '$bin' (give the build folder, e.g. build/asan)"
check() { # name, condition-command...: PASS if the command succeeds
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name" "$*"; fi
}
count() { grep -o -- "$2" "$1" | wc -l | tr -d ' '; }
well_formed() { # file: starts as XML or SVG, ends with </svg>, parses where xmllint exists
  head -c 64 "$1" | grep -qE '^(<\?xml|<svg)' || return 1
  [ "$(tail -c 8 "$1" | tr -d '\n')" = "</svg>" ] || return 1
  if command -v xmllint >/dev/null; then xmllint --noout "$1" || return 1; fi
}

# ---- a small trace: three samples, a heap inside "sqlite", two "chat messages" arenas ------
cat >"$tmp/small.csv" <<'CSV'
# command chatlog --db x.db --memory-budget 4M --memory-trace t.csv walk
# budget 4194304
t_ms,slot,kind,name,reserved,committed,used
0.000,0,arena,command,67108864,65536,29
0.000,64,arena,sqlite,268435456,131072,75824
0.000,65,heap,sqlite,131072,131072,75824
1.500,0,arena,command,67108864,65536,29
1.500,64,arena,sqlite,268435456,1048576,900000
1.500,65,heap,sqlite,1000000,1000000,900000
1.500,66,arena,chat messages,1048576,524288,1000
1.500,67,arena,chat messages,1048576,524288,2000
1.500,68,scratch,scratch,67108864,65536,0
1.500,69,arena,"odd, ""q"" <n>",65536,65536,10
3.000,0,arena,command,67108864,65536,29
3.000,64,arena,sqlite,268435456,1048576,950000
3.000,66,arena,chat messages,1048576,524288,1000
CSV
out=$tmp/small.svg
if "$bin" "$tmp/small.csv" "$out" 2>"$tmp/err"; then
  ok small/exit-0
  check small/well-formed well_formed "$out"
  for name in command sqlite 'chat messages' scratch 'odd, &quot;q&quot; &lt;n&gt;'; do
    check "small/legend '$name'" grep -qF ">$name</text>" "$out"
  done
  check small/one-path-per-band [ "$(count "$out" 'class="band"')" = 5 ]
  check small/budget-line grep -q '<line class="budget"' "$out"
  check small/title-is-the-command grep -qF 'chatlog --db x.db --memory-budget 4M' "$out"
  # The heap's bytes are inside the sqlite arena: 1.0 MB, not 2 MB. Two arenas of one name sum.
  check small/heap-not-stacked grep -qF 'sqlite: peak 1.0 MB' "$out"
  check small/names-summed grep -qF 'chat messages: peak 1.0 MB' "$out"
  check small/total grep -qF '>2.2 MB</text>' "$out"
else
  bad small/exit-0 "exit $?: $(head -c 300 "$tmp/err")"
fi

# ---- options: title (escaped), used bytes, size; bad options are usage errors (exit 2) -----
if "$bin" "$tmp/small.csv" "$tmp/opt.svg" --title 'A & B' --metric used --width 640 --height 400 2>"$tmp/err"; then
  check options/title grep -qF '>A &amp; B</text>' "$tmp/opt.svg"
  check options/used grep -qF 'sqlite: peak 928 KB' "$tmp/opt.svg"
  check options/size grep -qF 'width="640" height="400"' "$tmp/opt.svg"
else
  bad options "exit $?: $(head -c 300 "$tmp/err")"
fi
"$bin" "$tmp/small.csv" "$tmp/x.svg" --metric reserved 2>/dev/null
check options/bad-metric [ $? = 2 ]

# ---- one sample, no budget, no command: still a picture ------------------------------------
printf 't_ms,slot,kind,name,reserved,committed,used\n5.000,0,arena,only,65536,65536,10\n' >"$tmp/one.csv"
if "$bin" "$tmp/one.csv" "$tmp/one.svg" 2>"$tmp/err"; then
  check one-sample/well-formed well_formed "$tmp/one.svg"
  check one-sample/band [ "$(count "$tmp/one.svg" 'class="band"')" = 1 ]
  check one-sample/no-budget [ "$(count "$tmp/one.svg" 'class="budget"')" = 0 ]
else
  bad one-sample "exit $?: $(head -c 300 "$tmp/err")"
fi

# ---- eleven names: the seven largest keep a band, the other four share "other" -------------
{
  echo 't_ms,slot,kind,name,reserved,committed,used'
  for s in 0 1 2; do
    for i in $(seq 1 11); do echo "$s.5,$i,arena,name $i,1048576,$((i * 65536)),1"; done
  done
} >"$tmp/many.csv"
if "$bin" "$tmp/many.csv" "$tmp/many.svg" 2>"$tmp/err"; then
  check many/eight-bands [ "$(count "$tmp/many.svg" 'class="band"')" = 8 ]
  check many/other grep -qF '>other (4 names)</text>' "$tmp/many.svg"
  check many/largest-named grep -qF '>name 11</text>' "$tmp/many.svg"
  check many/smallest-in-other [ "$(count "$tmp/many.svg" '>name 1</text>')" = 0 ]
else
  bad many "exit $?: $(head -c 300 "$tmp/err")"
fi

# ---- a long trace (120k rows) streams into at most 1000 columns ----------------------------
awk 'BEGIN { print "t_ms,slot,kind,name,reserved,committed,used";
  for (s = 0; s < 20000; s++) for (i = 0; i < 6; i++)
    printf "%.3f,%d,arena,a%d,1048576,%d,1\n", s * 2.0, i, i, 65536 * (1 + (s + i * 997) % 50) }' >"$tmp/long.csv"
if "$bin" "$tmp/long.csv" "$tmp/long.svg" 2>"$tmp/err"; then
  check long/well-formed well_formed "$tmp/long.svg"
  # Each band's path holds at most 2 points per column and edge: under 4000 points.
  check long/bounded awk -F' L' '/class="band"/ { if (NF > 4001) exit 1 }' "$tmp/long.svg"
  check long/seconds grep -qF 'time since the command started (s)' "$tmp/long.svg"
else
  bad long "exit $?: $(head -c 300 "$tmp/err")"
fi

# ---- bad input: exit 1 and a message naming the file and the line --------------------------
hdr='t_ms,slot,kind,name,reserved,committed,used'
bad_case() { # name, expected text in the message, file contents (printf format)
  local name=$1 want=$2
  printf "$3" >"$tmp/$name.csv"
  "$bin" "$tmp/$name.csv" "$tmp/$name.svg" 2>"$tmp/err" >/dev/null
  local rc=$?
  if [ $rc = 1 ] && grep -qF -- "$want" "$tmp/err" && [ ! -e "$tmp/$name.svg" ]; then
    ok "bad/$name"
  else
    bad "bad/$name" "exit $rc, wanted '$want' in: $(head -c 300 "$tmp/err")"
  fi
}
bad_case number "$tmp/number.csv:4: committed '12x'" "# budget 1\n$hdr\n0,0,arena,a,1,1,1\n1,0,arena,a,1,12x,1\n"
bad_case fields ":3: expected 7 fields" "$hdr\n0,0,arena,a,1,1,1\n0,0,arena,a,1,1\n"
bad_case backwards ":3: t_ms 1.000 goes back in time" "$hdr\n2,0,arena,a,1,1,1\n1,0,arena,a,1,1,1\n"
bad_case kind ":2: kind 'pool'" "$hdr\n0,0,pool,a,1,1,1\n"
bad_case quote ":2: field 4: quoted field without its closing quote" "$hdr\n0,0,arena,\"a,1,1,1\n"
bad_case time ":2: t_ms 'soon' is not a number" "$hdr\nsoon,0,arena,a,1,1,1\n"
bad_case budget ":1: budget 'lots'" "# budget lots\n$hdr\n0,0,arena,a,1,1,1\n"
bad_case header ":2: expected the header line" "# command x\n0,0,arena,a,1,1,1\n"
bad_case empty "empty file" ""
bad_case blank "empty file" "\n\n"
bad_case no-rows "no samples after the header" "# command x\n$hdr\n"
"$bin" "$tmp/does-not-exist.csv" "$tmp/x.svg" 2>"$tmp/err"
check bad/missing-file [ $? = 1 ]

finish
