# bash completion for chatlog (arenakit). Installed by `make install` as
# $PREFIX/share/bash-completion/completions/chatlog; or source it from ~/.bashrc.
_chatlog() {
  local cur prev cmd i w
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local commands="import list show search export stats check browse help walk"
  local global="--db --memory-budget --memory-trace --color --no-color --no-pager --utc --help --version"
  # The command is the first word that is not an option or an option's value.
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --db|--memory-budget|--memory-trace|--color|--since|--until|--source|-s|--title|-t|--model|--limit|-n|--output|-o|--search) ((i++)) ;;
      -*) ;;
      *) cmd=$w; break ;;
    esac
  done
  case $prev in
    --db|--memory-trace|--output|-o) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --source|-s) COMPREPLY=($(compgen -W "claude chatgpt claude-code codex gemini" -- "$cur")); return ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --since|--until) COMPREPLY=($(compgen -W "today yesterday 7d 30d $(date +%Y) $(date +%Y-%m)" -- "$cur")); return ;;
    --memory-budget|--limit|-n|--title|-t|--model|--search) return ;;
  esac
  local opts=""
  case $cmd in
    "") if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$global" -- "$cur"))
        else COMPREPLY=($(compgen -W "$commands" -- "$cur")); fi; return ;;
    import) opts="--skip-bad --strict --quiet" ;;
    list) opts="--since --until --source --title --model --limit --json" ;;
    show) opts="--markdown --json --all-branches --no-pager" ;;
    search) opts="--limit --source --since --until --all-branches --json" ;;
    export) opts="--all --search --markdown --json --all-branches --output" ;;
    stats) opts="--json --memory" ;;
    walk) opts="--limit --json" ;;
    help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $global --help" -- "$cur"))
  elif [ "$cmd" = import ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _chatlog chatlog
