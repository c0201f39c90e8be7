// arenakit.h: the whole base library in one include.
#ifndef ARENAKIT_H
#define ARENAKIT_H
#include "base.h"
#include "os.h"
#include "arena.h"
#include "scratch.h"
#include "pool.h"
#include "heap.h"
#include "chunked.h"
#include "str.h"
#include "utf8.h"
#include "map.h"
#endif
