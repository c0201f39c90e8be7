#!/usr/bin/env bash
# test_store_safety.sh BUILD_DIR: the chat store never loses or rolls back data (issue 13):
# an older export keeps the newer chats, duplicate uuids keep the newest copy, a killed or
# failed first import leaves a usable (or no) database, read-only folders can be read, and
# `chatlog check` finds damage that an import then refuses.
. "$(dirname "$0")/lib.sh"
build=${1:-build/asan}
chatlog=$build/chatlog
gen=$build/tools/genexport
[ -x "$chatlog" ] || setup_fail "no $chatlog"

# A Claude conversation (format of ../shared/samples/claude): uuid, updated_at, words of its
# messages (one message each).
claude_conv() {
  local uuid=$1 updated=$2; shift 2
  printf '{"uuid": "%s", "name": "chat %s", "summary": "", "created_at": "2024-01-01T00:00:00Z",' "$uuid" "$uuid"
  printf ' "updated_at": "%s", "account": {"uuid": "acc"}, "chat_messages": [' "$updated"
  local i=0 w
  for w in "$@"; do
    [ $i -gt 0 ] && printf ', '
    printf '{"uuid": "%s-m%d", "text": "%s", "sender": "%s", "created_at": "2024-01-01T00:0%d:00Z",' \
      "$uuid" $i "$w" "$([ $((i % 2)) = 0 ] && echo human || echo assistant)" $i
    printf ' "updated_at": "2024-01-01T00:0%d:00Z", "attachments": [], "files": []}' $i
    i=$((i + 1))
  done
  printf ']}'
}

# ---- item 2: an older export does not roll chats back ----------------------------------------
db=$tmp/roll.db
uuid_a=11111111-1111-4111-8111-111111111111
uuid_b=22222222-2222-4222-8222-222222222222
{ echo '['; claude_conv $uuid_a 2024-03-01T00:00:00Z alpha beta gamma newword; echo ','
  claude_conv $uuid_b 2024-03-01T00:00:00Z one two; echo ']'; } >"$tmp/new.json"
{ echo '['; claude_conv $uuid_a 2024-02-01T00:00:00Z alpha beta; echo ','
  claude_conv $uuid_b 2024-04-01T00:00:00Z one two three; echo ']'; } >"$tmp/old.json"
expect "import the newer export" 0 "$chatlog" --db "$db" import --quiet "$tmp/new.json"
expect "import an older export" 0 "$chatlog" --db "$db" import --quiet "$tmp/old.json"
contains "older export: one chat updated (the one that is newer in it)" "$tmp/out" "(0 new, 1 updated, 0 unchanged)"
contains "older export: the other kept newer" "$tmp/out" "1 chat kept newer"
expect "search after the older export" 0 "$chatlog" --db "$db" search newword
contains "the newer words are still found" "$tmp/out" "newword"
expect "show the kept chat" 0 "$chatlog" --db "$db" show $uuid_a
contains "the kept chat has its newer messages" "$tmp/out" "gamma"

# Duplicate uuids in one export: the newest copy wins wherever it sits, said once.
{ echo '['; claude_conv $uuid_a 2024-01-05T00:00:00Z old1; echo ','
  claude_conv $uuid_a 2024-01-09T00:00:00Z newest1 newest2; echo ','
  claude_conv $uuid_a 2024-01-07T00:00:00Z middle; echo ']'; } >"$tmp/dup.json"
db=$tmp/dup.db
expect "import an export with a uuid three times" 0 "$chatlog" --db "$db" import --quiet "$tmp/dup.json"
contains "duplicates counted once" "$tmp/out" "3 chats (1 new, 0 updated, 0 unchanged)"
contains "duplicates said once" "$tmp/out" "the export holds 2 extra copies of chats it already had (same uuid); the newest copy of each chat was kept"
expect "show the duplicated chat" 0 "$chatlog" --db "$db" show $uuid_a
contains "the newest copy is kept" "$tmp/out" "newest2"
lacks "not the later, older copy" "$tmp/out" "middle"

# Importing the database itself would open and close its file beside the store's connections.
expect "importing the database itself is refused" 1 "$chatlog" --db "$tmp/roll.db" import --quiet "$tmp/roll.db"
contains "and said so" "$tmp/err" "this is the database itself"

# ---- item 3: a failed first import leaves nothing; a killed one leaves a usable database ------
echo '[{"uuid": "broken' >"$tmp/broken.json"
expect "a failed first import fails" 1 "$chatlog" --db "$tmp/new/deeper/first.db" import --quiet "$tmp/broken.json"
if [ -e "$tmp/new" ]; then bad "a failed first import leaves no database or folder" "$(find "$tmp/new")"
else ok "a failed first import leaves no database or folder"; fi
chatlog_abs=$(cd "$(dirname "$chatlog")" && pwd)/$(basename "$chatlog")
(cd "$tmp" && "$chatlog_abs" --db rel/x/y.db import --quiet broken.json >/dev/null 2>&1)
if [ -e "$tmp/rel" ]; then bad "a failed first import at a relative path leaves no folder" "$(find "$tmp/rel")"
else ok "a failed first import at a relative path leaves no folder"; fi
mkdir -p "$tmp/xdg"
expect "a failed first import at the default place fails" 1 env XDG_DATA_HOME="$tmp/xdg" "$chatlog" import --quiet "$tmp/broken.json"
if [ -e "$tmp/xdg/chatlog" ]; then bad "no default folder left behind" "$(find "$tmp/xdg")"
else ok "no default folder left behind"; fi
expect "a failed import into an existing database fails" 1 "$chatlog" --db "$tmp/roll.db" import --quiet "$tmp/broken.json"
expect "and the database stays" 0 "$chatlog" --db "$tmp/roll.db" show $uuid_a

if [ -x "$gen" ]; then
  "$gen" --format chatgpt --chats 300 --seed 77 --target-mb 6 --out "$tmp/big.json" || setup_fail "genexport"
  db=$tmp/killed.db
  "$chatlog" --db "$db" import --quiet "$tmp/big.json" >/dev/null 2>&1 &
  pid=$!
  sleep 0.5 # wherever the kill lands (or after the import ended), what follows must hold
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  if [ -e "$db" ]; then
    expect "after a kill -9 mid-import the database reads" 0 "$chatlog" --db "$db" stats # (list exits 1 when the kill left no chat)
    expect "after a kill -9 mid-import the database checks sound" 0 "$chatlog" --db "$db" check
  fi
  expect "after a kill -9 the import runs again" 0 "$chatlog" --db "$db" import --quiet "$tmp/big.json"
  expect "and every chat is there" 0 "$chatlog" --db "$db" list --json
  n=$(grep -c '"uuid"' "$tmp/out")
  if [ "$n" = 300 ]; then ok "300 chats after the kill and re-import"; else bad "300 chats after the kill and re-import" "$n"; fi
fi

# ---- item 5: chatlog check, and an import refusing a damaged database ------------------------
db=$tmp/roll.db
expect "check a sound database" 0 "$chatlog" --db "$db" check
contains "check says sound" "$tmp/out" "sound"
expect "check --quick" 0 "$chatlog" --db "$db" check --quick
expect "check help" 0 "$chatlog" check --help
expect "check without a database" 1 "$chatlog" --db "$tmp/none.db" check
if [ -x "$gen" ]; then
  db=$tmp/damaged.db
  "$gen" --format claude --chats 120 --seed 5 --out "$tmp/five.json"
  "$chatlog" --db "$db" import --quiet "$tmp/five.json" >/dev/null || setup_fail "import five"
  pages=$(( $(wc -c <"$db") / 16384 ))
  # Text over a page in the middle of the (closed, checkpointed) file.
  yes damaged | head -c 16384 | dd of="$db" bs=16384 seek=$((pages / 2)) conv=notrunc status=none
  expect "check finds the damaged page" 1 "$chatlog" --db "$db" check
  contains "check prints its findings" "$tmp/out" "damaged: "
  "$gen" --format chatgpt --chats 5 --seed 6 --out "$tmp/six.json"
  expect "an import into the damaged database refuses" 1 "$chatlog" --db "$db" import --quiet "$tmp/six.json"
  contains "the import says it is damaged" "$tmp/err" "damaged"
  contains "and that nothing was imported" "$tmp/err" "nothing was imported"
fi
if command -v sqlite3 >/dev/null; then
  # The store's own rules, broken in an ordinary table the sqlite3 shell can write.
  cp "$tmp/roll.db" "$tmp/rules.db"
  sqlite3 "$tmp/rules.db" "UPDATE chats SET message_count = 42 WHERE id = 1" || setup_fail "sqlite3"
  expect "check finds a broken message count" 1 "$chatlog" --db "$tmp/rules.db" check
  contains "and names the chat" "$tmp/out" "chat 1: message_count says 42"
fi

# ---- item 4: a database in a read-only folder, or a read-only file, can be read ---------------
# Root writes whatever the permission bits say, so the checks run as an unprivileged user.
as_user=
if [ "$(id -u)" != 0 ]; then as_user=env
elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
if [ -n "$as_user" ]; then
  chmod 755 "$tmp"
  mkdir -p "$tmp/ro" "$tmp/rofile"
  cp "$tmp/new.json" "$tmp/ro.json"; chmod 644 "$tmp/ro.json"
  "$chatlog" --db "$tmp/ro/db" import --quiet "$tmp/new.json" >/dev/null || setup_fail "import ro"
  "$chatlog" --db "$tmp/rofile/db" import --quiet "$tmp/new.json" >/dev/null || setup_fail "import rofile"
  chmod 444 "$tmp/ro/db" "$tmp/rofile/db"; chmod 555 "$tmp/ro"
  [ "$(id -u)" = 0 ] && chown 65534 "$tmp/rofile" # its own folder, writable, with a file it cannot write
  for where in ro rofile; do
    expect "list in a read-only $where" 0 $as_user "$chatlog" --db "$tmp/$where/db" list
    contains "list in a read-only $where shows the chats" "$tmp/out" "chat $uuid_a"
    expect "search in a read-only $where" 0 $as_user "$chatlog" --db "$tmp/$where/db" search newword
    contains "search in a read-only $where finds" "$tmp/out" "newword"
    expect "show in a read-only $where" 0 $as_user "$chatlog" --db "$tmp/$where/db" show $uuid_b
    expect "check in a read-only $where" 0 $as_user "$chatlog" --db "$tmp/$where/db" check
    expect "import into a read-only $where fails" 1 $as_user "$chatlog" --db "$tmp/$where/db" import --quiet "$tmp/ro.json"
  done
  expect "import into a read-only folder fails" 1 $as_user "$chatlog" --db "$tmp/ro/db" import --quiet "$tmp/ro.json"
  contains "and names the folder" "$tmp/err" "cannot write in the folder $tmp/ro "
  expect "import into a read-only file fails" 1 $as_user "$chatlog" --db "$tmp/rofile/db" import --quiet "$tmp/ro.json"
  contains "and says the file is read-only" "$tmp/err" "$tmp/rofile/db: the file is read-only"
  chmod 755 "$tmp/ro" # so the EXIT trap can remove it
else
  echo "(no unprivileged user to run as: read-only checks skipped)"
fi

finish
