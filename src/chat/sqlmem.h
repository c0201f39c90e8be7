// sqlmem.h: SQLite's memory, taken from arenakit. chat_sqlmem_install() gives SQLite a locked
// TLSF heap (heap.h) named "sqlite" for every allocation it makes (page cache, statements,
// FTS buffers), so SQLite shows up in the pool report and stays inside its share of the
// process budget: past `limit` bytes the heap refuses, SQLite takes its SQLITE_NOMEM path
// (the statement fails, the transaction rolls back) and the caller reports it.
//
// The heap is process-wide and shared by every thread that uses SQLite (hence locked). It
// must be installed before the first SQLite call of the process, and uninstalled (after every
// connection is closed) to give its arena back.
#ifndef CHAT_SQLMEM_H
#define CHAT_SQLMEM_H

#include "arenakit/heap.h"
#include "chat/error.h"

// limit: bytes SQLite may hold at once (0: no limit). False with err if SQLite was already
// initialized or the heap cannot be created.
bool chat_sqlmem_install(uint64_t limit, ChatError *err);
// Shuts SQLite down (every connection must be closed) and releases the heap.
void chat_sqlmem_uninstall(void);
AkHeap *chat_sqlmem_heap(void); // NULL when not installed
uint64_t chat_sqlmem_limit(void); // the limit given to install (0: none)
// Page-cache size, in KB, that a connection should use so its cache fits the SQLite share
// (a quarter of the limit per connection, at least 512 KB, at most 8 MB; 8 MB when no limit).
int64_t chat_sqlmem_cache_kb(void);

#endif
