#!/usr/bin/env bash
# The command line comes from one table (src/app/command.h, main.c's app_commands): every
# command has a summary in `chatlog --help`, a usage (`help CMD`, `CMD --help`), an entry in
# the man page and in the bash and zsh completions; the checked-in completions and man page
# are what the binary prints from the table (else: `make completions`); every option a usage
# text names is one the parser and the completion know; "did you mean" knows every command's
# options, `check` included.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
[ -x "$chatlog" ] || setup_fail "no $chatlog"
root=$(cd "$(dirname "$0")/.." && pwd)

if out=$("$root/tools/cli_docs.sh" "$chatlog" --check 2>&1); then ok "completions and man page are what chatlog prints"
else bad "completions and man page are what chatlog prints" "$out"; fi

"$chatlog" --help >"$tmp/help" || setup_fail "chatlog --help failed"
# The commands: the user section ("commands:") and the developer one.
awk '/^commands:/ { on = 1; next } /^for developers/ { on = 2; next } /^$/ { on = 0 }
     on && /^  [a-z]/ && !seen[$1]++ { print $1 }' "$tmp/help" >"$tmp/cmds"
n=$(wc -l <"$tmp/cmds")
[ "$n" -ge 10 ] && ok "--help lists $n commands" || bad "--help lists the commands" "$(cat "$tmp/cmds")"
# Every command the bash completion knows is in --help and the other way round.
bash_cmds=$("$chatlog" --print-completion bash | sed -n 's/^  local commands="\(.*\)"$/\1/p' | tr ' ' '\n' | sort)
[ "$bash_cmds" = "$(sort "$tmp/cmds")" ] && ok "bash completes the commands of --help" ||
  bad "bash completes the commands of --help" "bash: $bash_cmds; help: $(sort "$tmp/cmds" | tr '\n' ' ')"

complete_words() { # the completions bash offers for the words "$@" (the last one being typed)
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _chatlog; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$root/completions/chatlog.bash" "$@"
}
for c in $(cat "$tmp/cmds"); do
  summary=$(awk -v c="$c" '$1 == c { sub(/^  [^ ]+( [^ ]+)? +/, ""); print; exit }' "$tmp/help")
  [ -n "$summary" ] && ok "$c has a summary" || bad "$c has a summary" "none in --help"
  "$chatlog" help "$c" >"$tmp/usage" 2>&1 && head -1 "$tmp/usage" | grep -q "^usage: chatlog $c\b" &&
    ok "$c has a usage" || bad "$c has a usage" "$(head -2 "$tmp/usage")"
  "$chatlog" "$c" --help | cmp -s - "$tmp/usage" && ok "$c --help is help $c" || bad "$c --help is help $c" "differs"
  grep -q "^\.BI\? $c\( \|$\)" "$root/docs/chatlog.1" && ok "$c has a man entry" || bad "$c has a man entry" "no .B $c in docs/chatlog.1"
  complete_words chatlog "${c:0:2}" | grep -qx "$c" && ok "bash completes $c" || bad "bash completes $c" "$(complete_words chatlog "${c:0:2}")"
  grep -q "^    '$c:" "$root/completions/_chatlog" && ok "zsh describes $c" || bad "zsh describes $c" "no '$c:' in _chatlog"
  # Every option the usage names is one the completion offers for the command (the table).
  for o in $(grep -o -- '--[a-z][a-z-]*' "$tmp/usage" | sort -u); do
    complete_words chatlog "$c" "$o" | grep -qx -- "$o" || bad "$c: $o of its usage is in the table" "not completed"
  done
  ok "$c: the options of its usage are in the table"
done

# The global options of the table are explained in --help (--no-color is --color never).
for o in $("$chatlog" --print-completion bash | sed -n 's/^  local global="\(.*\)"$/\1/p'); do
  [ "$o" = --no-color ] && continue
  grep -q -- "^  \(-[a-zA-Z], \)\?$o\b" "$tmp/help" || { bad "--help explains $o" "not in $(cat "$tmp/help")"; continue; }
  ok "--help explains $o"
done

# did you mean, for every command that takes options: the first option, mistyped.
for c in $(cat "$tmp/cmds"); do
  o=$("$chatlog" --print-completion bash | sed -n "s/^    $c) opts=\"\([^ \"]*\).*/\1/p")
  [ -n "$o" ] || continue
  typo=${o%?}
  "$chatlog" --db "$tmp/none.db" "$c" "$typo" >/dev/null 2>"$tmp/err"; rc=$?
  [ $rc = 2 ] && grep -q "did you mean $o?" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] &&
    ok "$c $typo: did you mean $o" || bad "$c $typo: did you mean $o" "exit $rc: $(cat "$tmp/err")"
done
# Every option of every command's table row reaches the command: none ends in the parser's
# silent fallback (an option in the row the command's switch forgot is exit 2 with no message).
zsh_rows=$("$chatlog" --print-completion zsh | sed -n "s/^        \([a-z]*\)) _arguments \$global/\1/p")
while read -r c rest; do
  for spec in $(grep -oE -- "--[a-z-]+(\}')?\[[^]]*\](:[A-Z]+)?" <<<"$rest" | sed "s/}'//; s/\[[^]]*\]//; s/ /_/g"); do
    o=${spec%%:*}
    case $spec in *:N) v=3 ;; *:DATE) v=2025 ;; *:SOURCE) v=claude ;; *:FILE) v=$tmp/out.md ;; *:*) v=x ;; *) v= ;; esac
    args=("$c" "$o" ${v:+"$v"})
    case $c in import) args+=("$tmp/none.json") ;; show) args+=(1) ;; esac
    "$chatlog" --db "$tmp/none.db" "${args[@]}" </dev/null >/dev/null 2>"$tmp/err"; rc=$?
    if [ $rc = 2 ] && [ ! -s "$tmp/err" ]; then bad "$c $o reaches the command" "exit 2 without a message"; fi
  done
  ok "$c: every option of its row reaches the command"
done <<<"$zsh_rows"

# A flag given a value, a value option without one: one-line errors that say so.
"$chatlog" --db "$tmp/none.db" stats --json=yes >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--json takes no value" "$tmp/err" && ok "a flag with a value is a usage error" ||
  bad "a flag with a value is a usage error" "exit $rc: $(cat "$tmp/err")"
"$chatlog" --db "$tmp/none.db" export --output >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--output needs a value" "$tmp/err" && ok "export --output without a value" ||
  bad "export --output without a value" "exit $rc: $(cat "$tmp/err")"
# Hidden generators refuse what they do not know.
"$chatlog" --print-completion fish >/dev/null 2>&1; [ $? = 2 ] && ok "--print-completion fish is a usage error" || bad "--print-completion fish" "not exit 2"
finish
