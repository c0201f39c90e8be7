#!/usr/bin/env bash
# The table of sources (src/chat/source.h) as the command line shows it: the sources an error
# names are exactly those `--help`, the completions and the man page offer; every source's
# fixture imports, lists under --source NAME, counts under its key in `stats --json`, and reads
# back from chatlog's own JSON export as the same source; the list's source column fits the
# longest name. (tests/test_source_table.c checks the rows themselves.) $1 is the build folder.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
here=$(dirname "$0")
data=$here/data
db=$tmp/t.db
run() { "$chatlog" --db "$db" "$@"; }
check() { # name, condition (a shell expression), detail on failure
  if eval "$2"; then ok "$1"; else bad "$1" "$3"; fi
}

[ -x "$chatlog" ] || setup_fail "no $chatlog"

# The table's names, from the error for a source no row has: "--source is a, b or c, not bing".
"$chatlog" --db "$db" list --source bing >/dev/null 2>"$tmp/err"
rc=$?
list=$(sed -n 's/.*--source is \(.*\), not bing.*/\1/p' "$tmp/err" | head -1)
names=$(printf '%s\n' "$list" | sed 's/ or /, /; s/, / /g')
[ "$rc" = 2 ] && [ -n "$names" ] || setup_fail "no source list in: $(head -c 300 "$tmp/err")"
count=$(printf '%s\n' $names | wc -l)
check "the table has the five sources or more" '[ "$count" -ge 5 ]' "got: $names"

"$chatlog" list --help >"$tmp/help"
check "list --help names the table's sources" 'grep -qF -- "SOURCE is $list (any case)" "$tmp/help"' "$(grep SOURCE "$tmp/help")"
"$chatlog" --db "$db" search x source:bing >/dev/null 2>"$tmp/err"
check "source: error names the table's sources" 'grep -qF -- "source: is $list, not '"'"'bing'"'"'" "$tmp/err"' "$(head -c 300 "$tmp/err")"
"$chatlog" --db "$db" search x --source bing >/dev/null 2>"$tmp/err"
check "search --source error names them" 'grep -qF -- "--source is $list, not bing" "$tmp/err"' "$(head -c 300 "$tmp/err")"

# Completions and the man page offer the same values for --source, in the table's order.
words=$(printf '%s ' $names)
words=${words% }
check "bash completion offers the table's sources" 'grep -qF -- "compgen -W \"$words\"" "$here/../completions/chatlog.bash"' \
  "no '$words' in completions/chatlog.bash"
check "zsh completion offers them" 'grep -qF -- ":SOURCE:($words)" "$here/../completions/_chatlog"' "no '($words)' in completions/_chatlog"
check "the man page lists them for --source" 'grep -qF -- "SOURCE is $list" "$here/../docs/chatlog.1"' "no 'SOURCE is $list' in docs/chatlog.1"

# One fixture per source (the same list as test_source_table.c).
fixture() {
  case $1 in
    claude) echo "$data/claude-2025.json" ;;
    chatgpt) echo "$data/chatgpt-2025.json" ;;
    claude-code) echo "$data/claude-code/projects" ;;
    codex) echo "$data/codex/sessions" ;;
    gemini) echo "$data/gemini/Takeout" ;;
  esac
}
for n in $names; do
  f=$(fixture "$n")
  if [ -z "$f" ]; then bad "fixture for $n" "no fixture: add it to this test and test_source_table.c"; continue; fi
  run import --quiet "$f" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  check "import the $n fixture" '[ "$rc" = 0 ] || [ "$rc" = 3 ]' "exit $rc: $(head -c 300 "$tmp/err")"
done

run stats --json >"$tmp/stats.json" 2>"$tmp/err" || bad "stats --json" "$(head -c 300 "$tmp/err")"
run export --all --json -o "$tmp/all.json" 2>"$tmp/err" || bad "export --all --json" "$(head -c 300 "$tmp/err")"
"$chatlog" --db "$tmp/back.db" import --quiet "$tmp/all.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "chatlog's own export of every source imports back" '[ "$rc" = 0 ]' "exit $rc: $(head -c 400 "$tmp/err")"
for n in $names; do
  key=$(printf '%s' "$n" | tr - _)
  chats=$(sed -n "s/.*\"$key\": \([0-9]*\),.*/\1/p" "$tmp/stats.json" | head -1)
  check "stats --json has $key" '[ -n "$chats" ] && [ "$chats" -gt 0 ]' "\"$key\" is '${chats}' in: $(head -c 300 "$tmp/stats.json")"
  got=$(run list --source "$n" 2>/dev/null | wc -l)
  check "list --source $n lists its chats" '[ "$got" = "$chats" ]' "$got listed, stats says $chats"
  back=$("$chatlog" --db "$tmp/back.db" list --source "$n" 2>/dev/null | wc -l)
  check "$n chats read back from the export as $n" '[ "$back" = "$chats" ]' "$back of $chats"
done

# The list's source column fits the longest name: titles start at one column on every row.
run list >"$tmp/list" 2>/dev/null
cols=$(awk '{ if (match($0, /^ *[0-9]+  [^ ]+ [^ ]+  [a-z-]+ +[0-9]+  /)) print RLENGTH; else print "none" }' "$tmp/list" | sort -u | wc -l)
check "the source column fits every name" '[ "$cols" = 1 ]' "$(head -5 "$tmp/list")"

finish
