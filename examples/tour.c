// tour.c: a short walk through arenakit for a new user: an arena per lifetime, temporary
// scopes, scratch arenas that never alias the caller's arena, a fixed arena that refuses
// politely, the pool report, and the leak check (with one arena left alive on purpose).
#include "arenakit/arenakit.h"

#include <stdio.h>

typedef struct Point {
    double x, y;
} Point;

// Returns a result on the caller's arena; temporaries go on scratch and vanish at the end.
static Point *centroids(AkArena *out, int groups, int per_group) {
    Point *result = ak_push_array(out, Point, (uint64_t)groups);
    AkTemp scratch = ak_scratch_begin1(out);
    for (int g = 0; g < groups; g++) {
        Point *pts = ak_push_array_nz(scratch.arena, Point, (uint64_t)per_group);
        for (int i = 0; i < per_group; i++) pts[i] = (Point){g + i * 0.5, g - i * 0.25};
        for (int i = 0; i < per_group; i++) {
            result[g].x += pts[i].x / per_group;
            result[g].y += pts[i].y / per_group;
        }
    }
    ak_scratch_end(scratch);
    return result;
}

int main(void) {
    ak_leak_check_at_exit(); // debug builds: report live arenas at exit

    // 1. One arena for everything that lives as long as the "level".
    AkArena *level = ak_arena_create(.name = "level", .reserve = AK_MB(64));
    if (!level) return fprintf(stderr, "%s\n", ak_arena_last_create_error()), 1;
    Point *c = centroids(level, 1000, 256);
    printf("1. centroid[999] = (%.2f, %.2f), computed with %d scratch points freed at once\n",
           c[999].x, c[999].y, 1000 * 256);

    // 2. A temporary scope: a spike of 40 MB, then back; committed memory beyond `keep` goes
    //    back to the OS at the pop.
    AkTemp t = ak_temp_begin(level);
    char *spike = ak_arena_push_nz(level, AK_MB(40), 64);
    for (uint64_t i = 0; i < AK_MB(40); i += 4096) spike[i] = 1;
    AkMemStats during = ak_arena_stats(level);
    ak_temp_end(t);
    AkMemStats after = ak_arena_stats(level);
    printf("2. spike: %.1f MB committed during, %.1f MB after the pop (high water %.1f MB)\n",
           during.committed / 1048576.0, after.committed / 1048576.0, after.high_water / 1048576.0);

    // 3. A fixed arena is a hard budget: past it, a push returns NULL and says why.
    AkArena *budget = ak_arena_create(.name = "budget", .reserve = AK_MB(1), .flags = AK_ARENA_FIXED);
    uint64_t n = 0;
    while (ak_arena_push(budget, 1000, 8)) n++;
    printf("3. fixed 1 MB arena took %llu pushes of 1000 bytes, then: %s\n", (unsigned long long)n,
           ak_arena_error(budget));

    // 4. A chained arena grows past its reserve by linking blocks.
    AkArena *log = ak_arena_create(.name = "log", .reserve = AK_MB(1));
    for (int i = 0; i < 3000; i++) (void)!ak_arena_push(log, 1000, 8);
    printf("4. chained 1 MB arena holds 3 MB in %llu blocks\n", (unsigned long long)ak_arena_stats(log).blocks);

    // 5. The pool knows every live arena, who made it and how big it is.
    printf("\n5. pool report:\n");
    ak_pool_report(stdout);

    ak_arena_release(budget);
    ak_arena_release(level);
    ak_scratch_release_thread();
    // 6. `log` is left alive on purpose: the leak check names it and where it was created.
    printf("\n6. leak check (one arena left alive on purpose):\n");
    uint32_t leaks = ak_leak_check(stdout);
    ak_arena_release(log);
    printf("   after releasing it: %u leak(s) -> ", leaks - 1);
    ak_leak_check(stdout);
    return 0;
}
