// cli.c: helpers shared by the chatlog commands.
#if !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "app/cli.h"
#include "app/out.h"

#include "arenakit/os.h"
#include "chat/sqlmem.h"

#include <errno.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

bool app_make_dirs_for(const char *file_path) {
    char buf[4096];
    size_t n = strlen(file_path);
    if (n >= sizeof buf) return false;
    memcpy(buf, file_path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return false;
        *p = '/';
    }
    return true;
}

const char *app_default_db_path(AkArena *arena, bool create) {
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    AkStr path;
    if (xdg && xdg[0] == '/') path = ak_str_pushf(arena, "%s/chatlog/chatlog.db", xdg);
    else if (home && home[0]) path = ak_str_pushf(arena, "%s/.local/share/chatlog/chatlog.db", home);
    else {
        fprintf(stderr, "chatlog: neither XDG_DATA_HOME nor HOME is set; pass --db PATH\n");
        return NULL;
    }
    if (create && !app_make_dirs_for(path.ptr)) {
        fprintf(stderr, "chatlog: cannot create the folder for %s: %s\n", path.ptr, strerror(errno));
        return NULL;
    }
    return path.ptr;
}

bool app_parse_count(const char *s, uint64_t *out) {
    AkParseError perr;
    return s[0] >= '0' && s[0] <= '9' && ak_str_parse_u64(ak_str_cstr(s), 10, out, &perr);
}

bool app_parse_size(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0)) return false;
    double mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1048576.0; end++; break;
    case 'g': case 'G': mul = 1073741824.0; end++; break;
    default: break;
    }
    if ((*end == 'b' || *end == 'B') && mul > 1) end++;
    if (*end || v * mul > 1e15) return false;
    *out = (uint64_t)(v * mul);
    return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date (no libc time zone involved).
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool time_utc;
void app_set_utc(bool utc) { time_utc = utc; }
bool app_is_utc(void) { return time_utc; }

// Seconds since the epoch of a wall-clock time, in UTC or the local zone (TZ). mktime
// normalises out-of-range fields, so "the day after" is d + 1.
static double civil_to_time(int y, int mo, int d, int h, int mi, int sec, bool utc) {
    if (utc) return (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600 + mi * 60 + sec;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec,
                    .tm_isdst = -1};
    return (double)mktime(&tm);
}

// Days of a month in the proleptic Gregorian calendar: 2025-02-29 and 2025-04-31 are no dates.
static int days_in_month(int y, int mo) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mo == 2 && leap ? 29 : days[mo - 1];
}

bool app_parse_date(const char *s, bool end_of_day, double *out) {
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    // A period: the year, the month or the day; its start, or its last second for --until.
    if (len == 4 && sscanf(s, "%4d%n", &y, &n) == 1 && n == 4) {
        *out = civil_to_time(y + end_of_day, 1, 1, 0, 0, 0, time_utc) - end_of_day;
        return true;
    }
    if (len == 7 && sscanf(s, "%4d-%2d%n", &y, &mo, &n) == 2 && n == 7) {
        if (mo < 1 || mo > 12) return false;
        *out = civil_to_time(y, mo + end_of_day, 1, 0, 0, 0, time_utc) - end_of_day;
        return true;
    }
    if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
        time_t now = time(NULL);
        struct tm tm;
        if (time_utc) gmtime_r(&now, &tm);
        else localtime_r(&now, &tm);
        int back = s[0] == 'y';
        *out = civil_to_time(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday - back + end_of_day, 0, 0, 0, time_utc) -
               end_of_day;
        return true;
    }
    // Relative: 36h, 7d, 2w ago from now.
    if (len >= 2 && strchr("hdw", s[len - 1]) && s[0] >= '0' && s[0] <= '9') {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end != s + len - 1 || v > 100000) return false;
        double unit = s[len - 1] == 'h' ? 3600 : s[len - 1] == 'd' ? 86400 : 7 * 86400;
        *out = (double)time(NULL) - (double)v * unit;
        return true;
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
        const char *rest = s + 10;
        bool time_given = false;
        if (*rest == 'T' || *rest == ' ') {
            int k = 0;
            if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &k) != 2) return false;
            rest += 1 + k;
            if (*rest == ':') {
                if (sscanf(rest + 1, "%2d%n", &sec, &k) != 1) return false;
                rest += 1 + k;
            }
            time_given = true;
        }
        bool zulu = *rest == 'Z';
        if (zulu) rest++;
        if (*rest || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) return false;
        double t = civil_to_time(y, mo, d, h, mi, sec, time_utc || zulu);
        if (!time_given && end_of_day) t = civil_to_time(y, mo, d + 1, 0, 0, 0, time_utc || zulu) - 1;
        *out = t;
        return true;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool to_tm(double t, struct tm *tm) {
    if (t < 0 || !isfinite(t)) return false;
    time_t secs = (time_t)t;
    return time_utc ? gmtime_r(&secs, tm) != NULL : localtime_r(&secs, tm) != NULL;
}

const char *app_format_time(double t, char *buf, size_t cap) {
    struct tm tm;
    if (!to_tm(t, &tm)) snprintf(buf, cap, "-");
    else strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

const char *app_format_time_zone(double t, char *buf, size_t cap) {
    struct tm tm;
    if (!to_tm(t, &tm)) snprintf(buf, cap, "-");
    else strftime(buf, cap, time_utc ? "%Y-%m-%d %H:%M UTC" : "%Y-%m-%d %H:%M %Z", &tm);
    return buf;
}

const char *app_zone_label(char *buf, size_t cap) {
    if (time_utc) {
        snprintf(buf, cap, "UTC");
        return buf;
    }
    // The zone's names in winter and in summer of this year: "CET/CEST", or one name.
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char a[16] = "", b[16] = "";
    struct tm jan = {.tm_year = tm.tm_year, .tm_mday = 1, .tm_isdst = -1}, jul = jan;
    jul.tm_mon = 6;
    time_t tj = mktime(&jan), tl = mktime(&jul);
    localtime_r(&tj, &jan);
    localtime_r(&tl, &jul);
    strftime(a, sizeof a, "%Z", &jan);
    strftime(b, sizeof b, "%Z", &jul);
    if (strcmp(a, b)) snprintf(buf, cap, "%s/%s", a, b);
    else snprintf(buf, cap, "%s", a);
    return buf;
}

const char *app_expand_home(AkArena *arena, const char *path) {
    if (path[0] != '~' || (path[1] && path[1] != '/')) return path;
    const char *home = getenv("HOME");
    if (!home || !home[0]) return path;
    return ak_str_pushf(arena, "%s%s", home, path + 1).ptr;
}

void app_json_str(FILE *out, AkStr s) {
    fputc('"', out);
    for (uint64_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            // C0, DEL and the C1 controls (U+0080..U+009F, C2 80..C2 9F in UTF-8) as \u escapes:
            // the same JSON, and nothing a terminal would act on if it is printed.
            if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
            else if (c == 0xc2 && i + 1 < s.len && (unsigned char)s.ptr[i + 1] >= 0x80 &&
                     (unsigned char)s.ptr[i + 1] <= 0x9f)
                fprintf(out, "\\u%04x", (unsigned char)s.ptr[++i]);
            else fputc(c, out);
        }
    }
    fputc('"', out);
}

void app_json_time(FILE *out, double t) {
    if (t < 0 || !isfinite(t)) {
        fputs("null", out);
        return;
    }
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[40];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "\"%s.%03dZ\"", buf, (int)((t - floor(t)) * 1000));
}

static const char *opt_missing; // the last option app_opt_value found without its value
const char *app_opt_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] == 0 && *i + 1 < argc) return argv[++*i];
    if (a[n] == 0) opt_missing = name;
    return NULL;
}

const char *app_opt_missing(const char *arg) {
    return opt_missing && !strcmp(arg, opt_missing) ? opt_missing : NULL;
}

bool app_load_config(AppOptions *opt, AkArena *arena) {
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    AkStr path;
    if (xdg && xdg[0] == '/') path = ak_str_pushf(arena, "%s/chatlog/config", xdg);
    else if (home && home[0]) path = ak_str_pushf(arena, "%s/.config/chatlog/config", home);
    else return true;
    FILE *f = fopen(path.ptr, "r");
    if (!f) return true; // no config file: defaults
    char line[4096];
    bool ok = true;
    for (int n = 1; ok && fgets(line, sizeof line, f); n++) {
        AkStr l = ak_str_trim(ak_str_cstr(line)), key, value;
        if (!l.len || l.ptr[0] == '#') continue;
        if (!ak_str_cut(l, AK_STR("="), &key, &value)) {
            fprintf(stderr, "chatlog: %s:%d: expected `key = value`\n", path.ptr, n);
            ok = false;
            break;
        }
        key = ak_str_trim(key);
        const char *v = ak_str_cstr_copy(arena, ak_str_trim(value));
        if (ak_str_eq(key, AK_STR("memory-budget"))) {
            uint64_t b;
            if (!app_parse_size(v, &b) || b < AK_MB(4)) {
                fprintf(stderr, "chatlog: %s:%d: memory-budget needs a size of at least 4M, like 64M, not %s\n", path.ptr, n, v);
                ok = false;
            } else if (!opt->memory_budget) {
                opt->memory_budget = b;
            }
        } else if (ak_str_eq(key, AK_STR("db"))) {
            if (!opt->db_path) opt->db_path = app_expand_home(arena, v);
        } else {
            fprintf(stderr, "chatlog: %s:%d: unknown setting %.*s (known: memory-budget, db)\n", path.ptr, n,
                    AK_STR_FMT(key));
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

bool app_memory_begin(uint64_t budget) {
    ak_os_set_commit_limit(budget);
    // For measuring what the heap costs (tools/sqlite_alloc_bench.sh): SQLite on libc malloc,
    // outside the budget and the reports.
    if (getenv("CHATLOG_SQLITE_SYSTEM_MALLOC")) return true;
    uint64_t sqlite_share = AK_MIN(AK_MAX(budget / 4, AK_MB(1)), AK_MB(64));
    ChatError err;
    if (!chat_sqlmem_install(sqlite_share, &err)) {
        fprintf(stderr, "chatlog: %s\n", err.msg);
        return false;
    }
    return true;
}

void app_memory_end(void) {
    chat_sqlmem_uninstall();
    ak_os_set_commit_limit(0);
}

static bool open_store(AppCtx *c, bool write, bool db_only);
bool app_open_store(AppCtx *c, bool write) { return open_store(c, write, false); }
bool app_open_db(AppCtx *c) { return open_store(c, false, true); }

static bool open_store(AppCtx *c, bool write, bool db_only) {
    if (!c->opt.db_path) c->opt.db_path = app_default_db_path(c->arena, write);
    if (!c->opt.db_path) return false;
    if (write && !app_make_dirs_for(c->opt.db_path)) {
        fprintf(stderr, "chatlog: cannot create the folder of %s\n", c->opt.db_path);
        return false;
    }
    if (!write && access(c->opt.db_path, F_OK) != 0) {
        fprintf(stderr, "chatlog: no database at %s yet: run `chatlog import EXPORT` first\n", c->opt.db_path);
        return false;
    }
    // The loaded-chat budget is what the process budget leaves (store.h).
    ChatStoreConfig cfg = {.path = c->opt.db_path, .read_only = !write, .db_only = db_only};
    ChatError err = {{0}};
    c->store = chat_store_open(&cfg, &err);
    if (!c->store) app_errorf("%s", err.msg);
    return c->store != NULL;
}
