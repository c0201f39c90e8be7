# tmux_lib.sh: what the tests that drive chatlog in a real terminal share. Source it after
# lib.sh; it gives
#   T ARGS...          tmux on a private server (socket in $tmp), killed at exit
#   $screen            the file the last capture of pane `b` went to
#   cap                capture pane `b` (plain text) into $screen
#   wait_cond SECS SH  recapture until shell code SH holds on $screen, or SECS pass (false)
#   wait_for TEXT [SECS]  wait_cond until TEXT is on the screen (15 s by default)
# Screens are polled with a timeout, never slept on.
# shellcheck shell=bash
sock=$tmp/tmux.sock
T() { tmux -u -S "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
screen=$tmp/screen
cap() { T capture-pane -p -t b >"$screen" 2>/dev/null; }
wait_cond() {
  local end=$((SECONDS + $1)); shift
  while :; do
    cap
    eval "$@" && return 0
    [ $SECONDS -ge $end ] && return 1
    sleep 0.05
  done
}
wait_for() { needle=$1; wait_cond "${2:-15}" 'grep -qF -- "$needle" "$screen"'; }
