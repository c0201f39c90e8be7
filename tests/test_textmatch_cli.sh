#!/usr/bin/env bash
# Text matching from the command line: `chatlog list --title` matches every word in any order,
# case and accents folded beyond ASCII (Greek, Cyrillic, Latin), and full-text search finds
# emoji (the tokenizer gives each emoji a token of its own). $1 is the build folder.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/browse_fixture.sh"
build=${1:-build/asan}
samples=${AK_SAMPLES:-../shared/samples}
[ -x "$build/chatlog" ] || setup_fail "no $build/chatlog"
db=$tmp/t.db
browse_fixture "$tmp/fixture.json"
"$build/chatlog" --db "$db" import --quiet "$tmp/fixture.json" "$samples/claude/conversations.json" >/dev/null ||
  setup_fail "import failed"
cl() { "$build/chatlog" --db "$db" "$@"; }

titles() { cl list --title "$1" | sed -E 's/^ *[0-9]+ +[0-9-]+ [0-9:]+ +[a-z]+ +[0-9]+ +//'; }
expect() { # name, filter, title that must be listed
  local got; got=$(titles "$2")
  case $got in *"$3"*) ok "$1" ;; *) bad "$1" "list --title '$2' gave: ${got:-nothing}" ;; esac
}
expect "Greek without accents finds the accented title" "ελληνικα" "Ελληνικά κείμενα"
expect "Greek in capitals" "ΕΛΛΗΝΙΚΆ" "Ελληνικά κείμενα"
expect "Cyrillic in lower case finds the capitalised title" "выравнивание" "Выравнивание памяти в арене"
expect "words in any order" "арене выравнивание" "Выравнивание памяти в арене"
expect "Latin words in any order, either case" "LOSE tlsf" "Why does my TLSF free list lose blocks?"
[ -z "$(titles "арене куча")" ] && ok "every word must be there" || bad "every word must be there" "$(titles "арене куча")"
[ "$(titles "ελληνικα" | wc -l)" = 1 ] && ok "only the matching chat" || bad "only the matching chat" "$(titles ελληνικα)"

out=$(cl search '🚀' 2>&1)
case $out in *"多言語テスト"*) ok "search finds an emoji" ;; *) bad "search finds an emoji" "$out" ;; esac
out=$(cl search '👋🏽' 2>&1)
case $out in *"[👋🏽]"*) ok "search finds an emoji with a skin tone" ;; *) bad "search finds an emoji with a skin tone" "$out" ;; esac
finish
