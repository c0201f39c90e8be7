# browse_fixture.sh: writes a Claude.ai export (the shape ../shared/EXPORTS.md gives) with
# the chats the browser tests need: hostile titles and text (escape sequences, BEL, DEL, C1),
# Greek and Cyrillic titles, an untitled chat, Markdown with code, citations and a tool call,
# an edited prompt (two branches), and a chat of 40 short messages with one marker word.
# Sourced by the tmux tests; browse_fixture FILE.
browse_fixture() {
  local out=$1 acct='"account": {"uuid": "f1d2c3b4-a596-4b87-8c9d-0e1f2a3b4c5d"}'
  local root=00000000-0000-4000-8000-000000000000
  msg() { # uuid parent sender time text(JSON-escaped)
    printf '{"uuid": "%s", "parent_message_uuid": "%s", "sender": "%s", "created_at": "2025-01-0%sZ", "text": "%s", "content": [{"type": "text", "text": "%s"}], "attachments": [], "files": []}' \
      "$1" "$2" "$3" "$4" "$5" "$5"
  }
  conv() { # uuid name time messages...
    local u=$1 n=$2 t=$3; shift 3
    printf '{"uuid": "%s", "name": %s, "summary": "", "created_at": "2025-01-0%sZ", "updated_at": "2025-01-0%sZ", %s, "chat_messages": [' "$u" "$n" "$t" "$t" "$acct"
    local first=1 m
    for m in "$@"; do [ $first = 1 ] || printf ', '; first=0; printf '%s' "$m"; done
    printf ']}'
  }
  {
    printf '[\n'
    conv 10000000-0000-4000-8000-000000000001 '"Evil \u001b]0;PWNED\u0007 \u001b[31mRED"' "1T10:00:00" \
      "$(msg 11000000-0000-4000-8000-000000000001 $root human 1T10:00:01 'clear \u001b[2J now, bell \u0007, del \u007f, csi \u009b31m end')" \
      "$(msg 11000000-0000-4000-8000-000000000002 11000000-0000-4000-8000-000000000001 assistant 1T10:00:02 'title \u001b]2;OWNED\u001b\\\\ done')"
    printf ',\n'
    conv 10000000-0000-4000-8000-000000000002 '"Ελληνικά κείμενα"' "2T10:00:00" \
      "$(msg 12000000-0000-4000-8000-000000000001 $root human 2T10:00:01 'Γειά σου')"
    printf ',\n'
    conv 10000000-0000-4000-8000-000000000003 '"Выравнивание памяти в арене"' "3T10:00:00" \
      "$(msg 13000000-0000-4000-8000-000000000001 $root human 3T10:00:01 'Привет')"
    printf ',\n'
    conv 10000000-0000-4000-8000-000000000004 'null' "4T10:00:00" \
      "$(msg 14000000-0000-4000-8000-000000000001 $root human 4T10:00:01 'how do I untitledprompt a ring buffer in C?')" \
      "$(msg 14000000-0000-4000-8000-000000000002 14000000-0000-4000-8000-000000000001 assistant 4T10:00:02 'Use two indices.')"
    printf ',\n'
    local md='# Arena guide\n\nSome **bold words** and *italic words* and `inline code`.\n\n## Steps\n\n- first item\n- second item\n  1. nested one\n\nSee [the docs](https://example.com/docs) for more.\n\n```python\nprint(\"hello\")\n```\n\nA fact.【0†source】 Another fact.\ue200cite\ue202turn0search1\ue201 End.'
    conv 10000000-0000-4000-8000-000000000005 '"Markdown sampler"' "5T10:00:00" \
      "$(msg 15000000-0000-4000-8000-000000000001 $root human 5T10:00:01 'show me markdown')" \
      "$(printf '{"uuid": "15000000-0000-4000-8000-000000000002", "parent_message_uuid": "15000000-0000-4000-8000-000000000001", "sender": "assistant", "created_at": "2025-01-05T10:00:02Z", "text": "", "content": [{"type": "tool_use", "id": "toolu_1", "name": "web_search", "input": {"query": "arena allocator", "limit": 3, "nested": {"deep": [1, 2]}}}, {"type": "text", "text": "%s"}], "attachments": [], "files": []}' "$md")"
    printf ',\n'
    conv 10000000-0000-4000-8000-000000000006 '"Branchy edit"' "6T10:00:00" \
      "$(msg 16000000-0000-4000-8000-000000000001 $root human 6T10:00:01 'root question')" \
      "$(msg 16000000-0000-4000-8000-000000000002 16000000-0000-4000-8000-000000000001 assistant 6T10:00:02 'root answer')" \
      "$(msg 16000000-0000-4000-8000-000000000003 16000000-0000-4000-8000-000000000002 human 6T10:00:03 'FIRSTDRAFT prompt')" \
      "$(msg 16000000-0000-4000-8000-000000000004 16000000-0000-4000-8000-000000000003 assistant 6T10:00:04 'answer to the first draft')" \
      "$(msg 16000000-0000-4000-8000-000000000005 16000000-0000-4000-8000-000000000002 human 6T10:00:05 'SECONDDRAFT prompt')" \
      "$(msg 16000000-0000-4000-8000-000000000006 16000000-0000-4000-8000-000000000005 assistant 6T10:00:06 'answer to the second draft')"
    printf ',\n'
    local ms=() i parent=$root u
    for i in $(seq 1 40); do
      u=$(printf '17000000-0000-4000-8000-%012d' "$i")
      if [ "$i" = 33 ]; then ms+=("$(msg "$u" "$parent" assistant 7T10:00:00 "line one of $i\nalpha and zanzibarword here\nline three")")
      else ms+=("$(msg "$u" "$parent" "$([ $((i % 2)) = 1 ] && echo human || echo assistant)" 7T10:00:00 "message number $i")"); fi
      parent=$u
    done
    conv 10000000-0000-4000-8000-000000000007 '"Forty short messages"' "7T10:00:00" "${ms[@]}"
    printf '\n]\n'
  } >"$out"
}
