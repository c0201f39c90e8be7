#!/usr/bin/env bash
# deps.sh: make sure the Debian packages the build, the tests and the benches use are here.
# As root it installs what is missing (apt-get); otherwise it names the missing packages and
# the command to install them. Quiet when nothing is missing.
set -u
need=(gcc make pkg-config libsqlite3-dev libarchive-dev libncurses-dev valgrind clang
      libclang-rt-14-dev tmux libmimalloc-dev libjemalloc-dev gcc-mingw-w64-x86-64 sqlite3)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/arenakit-deps.log 2>&1; then
    echo "deps: apt-get failed; see /tmp/arenakit-deps.log" >&2
    tail -n 5 /tmp/arenakit-deps.log >&2
    exit 1
  fi
else
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
