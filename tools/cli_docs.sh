#!/usr/bin/env bash
# cli_docs.sh CHATLOG [--check]: the completions (completions/chatlog.bash, completions/_chatlog)
# and the generated parts of docs/chatlog.1 (between `.\" BEGIN GENERATED NAME` and
# `.\" END GENERATED NAME`) as CHATLOG prints them from its command table
# (`--print-completion bash|zsh`, `--print-man NAME`). Writes the files (`make completions`),
# or with --check only says which differ (exit 1), as tests/test_commands.sh runs it.
set -eu
chatlog=$1
check=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$chatlog" --print-completion bash >"$out/chatlog.bash"
"$chatlog" --print-completion zsh >"$out/_chatlog"
# The man page: each generated region replaced by what the binary prints for its name.
awk -v chatlog="$chatlog" '
  /^\.\\" BEGIN GENERATED / { print; name = $4; sub(/:$/, "", name); cmd = chatlog " --print-man " name
                             while ((cmd | getline line) > 0) print line
                             if (close(cmd) != 0) { print "cli_docs.sh: " cmd " failed" > "/dev/stderr"; exit 1 }
                             skip = 1; next }
  /^\.\\" END GENERATED / { skip = 0 }
  !skip { print }' "$root/docs/chatlog.1" >"$out/chatlog.1"
status=0
for f in completions/chatlog.bash completions/_chatlog docs/chatlog.1; do
  new=$out/$(basename "$f")
  if [ "$check" = --check ]; then
    if ! cmp -s "$new" "$root/$f"; then
      echo "$f differs from what $chatlog prints (run \`make completions\`):"
      diff -u "$root/$f" "$new" | head -40
      status=1
    fi
  elif ! cmp -s "$new" "$root/$f"; then
    cp "$new" "$root/$f" && echo "wrote $f"
  fi
done
exit $status
