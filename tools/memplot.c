// memplot: draws a memory trace (chatlog --memory-trace, ak_pool_trace_sample) as a stacked
// area chart in one self-contained SVG file.
//
//   memplot TRACE.csv OUT.svg [--title TEXT] [--metric committed|used] [--width PX --height PX]
//
// One band per name ("chat messages" arenas summed into one band), the largest at the bottom,
// at most 8 bands (the smallest names summed as "other"). Only arena and scratch rows are
// stacked: a heap's bytes already live inside the arena it grows on. The input is streamed:
// samples fall into at most 1000 time columns whose width doubles as the trace grows, and a
// column keeps its largest sample whole (the one with the highest stacked total), so the top
// of the stack is always a total the process really had and never a sum of maxima taken at
// different moments. Peaks in the legend are exact, over every sample.
//
// Memory: everything lives on one arena released at exit; the columns take 1000 x names x 8
// bytes whatever the length of the trace. Exit 0 on success, 1 on bad input (the message
// names the file and line), 2 on a bad command line.
#define _POSIX_C_SOURCE 200809L
#include "arenakit/arena.h"
#include "arenakit/map.h"
#include "arenakit/str.h"
#include "arenakit/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 1000
#define MAX_BANDS 8
#define MAX_LINE (64 * 1024)
#define MAX_SLOT (1u << 20)
#define MAX_NAMES 4096 // distinct names; the columns take 8 KB per name
#define HEADER "t_ms,slot,kind,name,reserved,committed,used"

typedef struct Group {
    AkStr name; // sanitized UTF-8, on the arena
    uint64_t peak;
} Group;

typedef struct Column {
    double t;       // time of the sample the column keeps
    uint64_t total; // its stacked total
    bool used;
} Column;

typedef struct Trace {
    AkArena *arena;
    const char *path;
    uint64_t line;
    char error[512];
    bool metric_used;
    AkStr command;
    uint64_t budget;
    // Names, each a group: index in the map, peaks in groups[], columns in vals[col * cap + g].
    AkMap index;
    Group *groups;
    uint64_t ngroups, cap;
    uint64_t *vals;
    Column cols[MAX_COLUMNS];
    double t0, width; // column c holds samples with t0 + c*width <= t < t0 + (c+1)*width
    // The sample being read: per-group sums, and the sample number each slot was last seen in
    // (a slot seen twice at the same t_ms starts a new sample).
    uint64_t *cur, cur_total, samples, rows;
    double cur_t, last_t;
    uint32_t *slot_seen;
    uint64_t slot_cap;
    uint64_t peak_total;
    double peak_t;
} Trace;

static bool bad(Trace *tr, const char *fmt, ...) {
    int n = tr->line ? snprintf(tr->error, sizeof tr->error, "%s:%llu: ", tr->path, (unsigned long long)tr->line)
                     : snprintf(tr->error, sizeof tr->error, "%s: ", tr->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tr->error + n, sizeof tr->error - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

// Room for `want` groups: the group table, the current sample and every column grow together.
static bool grow_groups(Trace *tr, uint64_t want) {
    if (want <= tr->cap) return true;
    uint64_t cap = tr->cap ? tr->cap * 2 : 16;
    while (cap < want) cap *= 2;
    Group *groups = ak_push_array(tr->arena, Group, cap);
    uint64_t *cur = ak_push_array(tr->arena, uint64_t, cap);
    uint64_t *vals = ak_push_array(tr->arena, uint64_t, (uint64_t)MAX_COLUMNS * cap);
    if (!groups || !cur || !vals) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena));
    if (tr->ngroups) {
        memcpy(groups, tr->groups, tr->ngroups * sizeof *groups);
        memcpy(cur, tr->cur, tr->ngroups * sizeof *cur);
        for (uint64_t c = 0; c < MAX_COLUMNS; c++)
            memcpy(vals + c * cap, tr->vals + c * tr->cap, tr->ngroups * sizeof *vals);
    }
    tr->groups = groups, tr->cur = cur, tr->vals = vals, tr->cap = cap;
    return true;
}

static int64_t group_of(Trace *tr, AkStr name) {
    bool added = false;
    uint64_t *v = ak_map_upsert_str(&tr->index, name, &added);
    if (!v) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena)), -1;
    if (!added) return (int64_t)*v;
    if (tr->ngroups == MAX_NAMES) return bad(tr, "more than %d distinct names", MAX_NAMES), -1;
    if (!grow_groups(tr, tr->ngroups + 1)) return -1;
    AkStr clean = ak_utf8_sanitize(tr->arena, name.len ? name : AK_STR("(unnamed)"));
    if (!clean.ptr) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena)), -1;
    tr->groups[tr->ngroups] = (Group){clean, 0};
    *v = tr->ngroups;
    return (int64_t)tr->ngroups++;
}

// Twice as wide columns: column j keeps the larger of the old 2j and 2j+1.
static void widen(Trace *tr) {
    for (uint64_t j = 0; j < MAX_COLUMNS / 2; j++) {
        Column *a = &tr->cols[2 * j], *b = &tr->cols[2 * j + 1];
        uint64_t from = (b->used && (!a->used || b->total > a->total)) ? 2 * j + 1 : 2 * j;
        tr->cols[j] = tr->cols[from];
        if (from != j) memmove(tr->vals + j * tr->cap, tr->vals + from * tr->cap, tr->ngroups * sizeof *tr->vals);
    }
    for (uint64_t j = MAX_COLUMNS / 2; j < MAX_COLUMNS; j++) tr->cols[j].used = false;
    tr->width *= 2;
}

static void end_sample(Trace *tr) {
    if (!tr->rows) return;
    uint64_t n = tr->samples++;
    for (uint64_t g = 0; g < tr->ngroups; g++)
        if (tr->cur[g] > tr->groups[g].peak) tr->groups[g].peak = tr->cur[g];
    if (n == 0 || tr->cur_total > tr->peak_total) tr->peak_total = tr->cur_total, tr->peak_t = tr->cur_t;
    if (n == 0) tr->t0 = tr->cur_t, tr->width = 1e-3; // the trace prints microseconds
    while (tr->cur_t - tr->t0 >= tr->width * MAX_COLUMNS) widen(tr);
    uint64_t c = AK_MIN((uint64_t)((tr->cur_t - tr->t0) / tr->width), MAX_COLUMNS - 1);
    if (!tr->cols[c].used || tr->cur_total > tr->cols[c].total) {
        tr->cols[c] = (Column){tr->cur_t, tr->cur_total, true};
        memcpy(tr->vals + c * tr->cap, tr->cur, tr->ngroups * sizeof *tr->cur);
    }
    memset(tr->cur, 0, tr->ngroups * sizeof *tr->cur);
    tr->cur_total = 0;
}

// RFC 4180 fields of one line (no line breaks inside quotes: the trace never writes them).
// Quoted fields are unescaped into `unq`; the others are views into the line.
static int split_fields(Trace *tr, AkStr line, AkStr *f, int max, char *unq) {
    int n = 0;
    uint64_t i = 0, u = 0;
    for (;;) {
        AkStr field;
        if (i < line.len && line.ptr[i] == '"') {
            uint64_t start = u;
            for (i++;; i++) {
                if (i >= line.len) return bad(tr, "field %d: quoted field without its closing quote", n + 1), -1;
                if (line.ptr[i] == '"') {
                    if (i + 1 < line.len && line.ptr[i + 1] == '"') i++;
                    else break;
                }
                unq[u++] = line.ptr[i];
            }
            i++;
            if (i < line.len && line.ptr[i] != ',')
                return bad(tr, "field %d: text after the closing quote", n + 1), -1;
            field = ak_str(unq + start, u - start);
        } else {
            uint64_t end = ak_str_find_byte(line, ',', i);
            if (end == AK_STR_NPOS) end = line.len;
            field = ak_str_slice(line, i, end);
            i = end;
        }
        if (n < max) f[n] = field;
        n++;
        if (i >= line.len) return n;
        i++; // the comma
    }
}

static bool parse_u64_field(Trace *tr, AkStr s, const char *col, uint64_t *out) {
    AkParseError e = {0, ""};
    if (ak_str_parse_u64(s, 10, out, &e)) return true;
    return bad(tr, "%s '%.*s' is not a byte count (%s at byte %llu)", col, (int)AK_MIN(s.len, 40), s.ptr, e.what,
               (unsigned long long)e.offset + 1);
}

static bool parse_row(Trace *tr, AkStr line, char *unq) {
    AkStr f[7];
    int n = split_fields(tr, line, f, 7, unq);
    if (n < 0) return false;
    if (n != 7) return bad(tr, "expected 7 fields (" HEADER "), found %d", n);
    double t;
    AkParseError e = {0, ""};
    if (!ak_str_parse_f64(f[0], &t, &e))
        return bad(tr, "t_ms '%.*s' is not a number (%s)", (int)AK_MIN(f[0].len, 40), f[0].ptr, e.what);
    if (tr->rows && t < tr->last_t) return bad(tr, "t_ms %.3f goes back in time (the row before has %.3f)", t, tr->last_t);
    uint64_t slot, reserved, committed, used;
    if (!parse_u64_field(tr, f[1], "slot", &slot)) return false;
    if (slot >= MAX_SLOT) return bad(tr, "slot %llu is out of range (below %u)", (unsigned long long)slot, MAX_SLOT);
    bool stacked = ak_str_eq(f[2], AK_STR("arena")) || ak_str_eq(f[2], AK_STR("scratch"));
    if (!stacked && !ak_str_eq(f[2], AK_STR("heap")) && !ak_str_eq(f[2], AK_STR("other")))
        return bad(tr, "kind '%.*s' is none of arena, scratch, heap, other", (int)AK_MIN(f[2].len, 40), f[2].ptr);
    if (!parse_u64_field(tr, f[4], "reserved", &reserved) || !parse_u64_field(tr, f[5], "committed", &committed) ||
        !parse_u64_field(tr, f[6], "used", &used))
        return false;

    if (slot >= tr->slot_cap) {
        uint64_t cap = AK_MAX(tr->slot_cap * 2, 256);
        while (cap <= slot) cap *= 2;
        uint32_t *seen = ak_push_array(tr->arena, uint32_t, cap);
        if (!seen) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena));
        if (tr->slot_cap) memcpy(seen, tr->slot_seen, tr->slot_cap * sizeof *seen);
        tr->slot_seen = seen, tr->slot_cap = cap;
    }
    if (tr->rows && (t != tr->cur_t || tr->slot_seen[slot] == tr->samples + 1)) end_sample(tr);
    tr->slot_seen[slot] = (uint32_t)tr->samples + 1;
    tr->cur_t = tr->last_t = t;
    tr->rows++;
    if (!stacked) return true;
    int64_t g = group_of(tr, f[3]);
    if (g < 0) return false;
    uint64_t v = tr->metric_used ? used : committed;
    tr->cur[g] += v;
    tr->cur_total += v;
    return true;
}

static bool read_trace(Trace *tr, FILE *in) {
    char *buf = ak_arena_push_nz(tr->arena, MAX_LINE, 1), *unq = ak_arena_push_nz(tr->arena, MAX_LINE, 1);
    if (!buf || !unq) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena));
    bool header = false, any = false;
    while (fgets(buf, MAX_LINE, in)) {
        tr->line++;
        AkStr line = ak_str_cstr(buf);
        // fgets stops at a newline, a full buffer or the end; anything else means a NUL byte.
        if (!feof(in) && (line.len == 0 || buf[line.len - 1] != '\n'))
            return line.len == MAX_LINE - 1 ? bad(tr, "line longer than %d KB", MAX_LINE / 1024)
                                            : bad(tr, "NUL byte in the line (not a text file?)");
        line = ak_str_trim_right(line);
        any = any || line.len;
        if (line.len == 0) continue;
        if (line.ptr[0] == '#') {
            if (header) continue; // comments come first; later ones are only comments
            if (ak_str_starts_with(line, AK_STR("# command "))) {
                tr->command = ak_utf8_sanitize(tr->arena, ak_str_trim(ak_str_skip(line, 10)));
                if (!tr->command.ptr) return bad(tr, "out of memory: %s", ak_arena_error(tr->arena));
            } else if (ak_str_starts_with(line, AK_STR("# budget "))) {
                if (!parse_u64_field(tr, ak_str_trim(ak_str_skip(line, 9)), "budget", &tr->budget)) return false;
            }
            continue;
        }
        if (!header) {
            if (!ak_str_eq(line, AK_STR(HEADER)))
                return bad(tr, "expected the header line '" HEADER "', found '%.*s'", (int)AK_MIN(line.len, 60), line.ptr);
            header = true;
            continue;
        }
        if (!parse_row(tr, line, unq)) return false;
    }
    if (ferror(in)) return bad(tr, "read error");
    tr->line = 0;
    if (!any) return bad(tr, "empty file: no trace in it (expected comment lines, the header '" HEADER "' and rows)");
    if (!header) return bad(tr, "no header line '" HEADER "'");
    if (!tr->rows) return bad(tr, "no samples after the header");
    end_sample(tr);
    return true;
}

// ---- the picture --------------------------------------------------------------------------

// Calm, distinguishable fills (Tableau 10 family); grey is kept for "other".
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948",
                                      "#b07aa1", "#ff9da7", "#9c755f"};
#define OTHER_COLOR "#bab0ac"
#define BUDGET_COLOR "#c0392b"
#define FONT "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

typedef struct Band {
    AkStr label;
    uint64_t peak;
    const char *color;
    uint64_t *v; // value per drawn column
} Band;

// What the drawing steps share: the output, the plot area and what it spans, and the columns.
typedef struct Chart {
    Trace *tr;
    AkArena *a;
    FILE *out;
    double w, h;
    double px0, px1, py0, py1; // the plot area; py1 is its bottom
    double tmin, tmax, ymax;   // what the area spans: ms across, bytes up
    bool secs;                 // times in s (past two seconds), else in ms
    uint64_t nc, *col;         // drawn columns (indices into tr->cols), in time order
    double *x;                 // their x
    Band band[MAX_BANDS];
    uint64_t nb;
} Chart;

static double cx(const Chart *c, double t) { return c->px0 + (t - c->tmin) / (c->tmax - c->tmin) * (c->px1 - c->px0); }
static double cy(const Chart *c, double v) { return c->py1 - v / c->ymax * (c->py1 - c->py0); }

// Text for XML: markup characters escaped, control bytes (not allowed in XML 1.0) as spaces.
static void put_text(FILE *out, AkStr s) {
    for (uint64_t i = 0; i < s.len; i++) {
        char ch = s.ptr[i];
        if (ch == '&') fputs("&amp;", out);
        else if (ch == '<') fputs("&lt;", out);
        else if (ch == '>') fputs("&gt;", out);
        else if (ch == '"') fputs("&quot;", out);
        else if ((unsigned char)ch < 0x20 || ch == 0x7f) fputc(' ', out);
        else fputc(ch, out);
    }
}

// At most `cols` characters, with an ellipsis when cut.
static void put_fitted(FILE *out, AkStr s, uint64_t cols) {
    uint64_t used = 0;
    AkStr fit = ak_utf8_fit(s, cols, &used);
    if (fit.len == s.len) {
        put_text(out, s);
        return;
    }
    put_text(out, ak_utf8_fit(s, cols ? cols - 1 : 0, &used));
    fputs("\xe2\x80\xa6", out);
}

static AkStr size_text(AkArena *a, double b) {
    if (b >= AK_GB(1)) return ak_str_pushf(a, "%.1f GB", b / (double)AK_GB(1));
    if (b >= AK_MB(1)) return ak_str_pushf(a, "%.1f MB", b / (double)AK_MB(1));
    if (b >= AK_KB(1)) return ak_str_pushf(a, "%.0f KB", b / (double)AK_KB(1));
    return ak_str_pushf(a, "%.0f B", b);
}

// A round tick step for bytes: 1, 2, 4 or 5 times a power of ten of B, KB, MB or GB, so the
// labels read "4 MB, 8 MB" or "200 KB, 400 KB"; *unit gets the unit the labels use.
static double byte_step(double max, int ticks, uint64_t *unit) {
    static const double steps[] = {1, 2, 4, 5, 10, 20, 40, 50, 100, 200, 250, 500};
    double raw = max / ticks;
    uint64_t u = raw >= AK_GB(1) ? AK_GB(1) : raw >= AK_MB(1) ? AK_MB(1) : raw >= AK_KB(1) ? AK_KB(1) : 1;
    *unit = u;
    for (size_t i = 0; i < AK_ARRAY_COUNT(steps); i++)
        if (steps[i] * (double)u >= raw) return steps[i] * (double)u;
    *unit = u < AK_GB(1) ? u * 1024 : u;
    return (double)u * 1024;
}

static double time_step(double range, int ticks) {
    double raw = range / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_peak(const void *a, const void *b) {
    const Group *x = *(const Group *const *)a, *y = *(const Group *const *)b;
    if (x->peak != y->peak) return x->peak < y->peak ? 1 : -1;
    return x < y ? -1 : x > y; // first seen first
}

// One filled path per band: its top edge left to right, its bottom edge back. A value holds
// until the next sample (memory changes in steps, and a gap between samples is not a ramp).
// Points on a flat run are dropped: memory is flat most of the time, so the file stays small.
static void put_edge(FILE *out, const double *x, const double *y, uint64_t n, bool reverse, double *px, double *py) {
    uint64_t m = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (k > 0) px[m] = x[k], py[m++] = y[k - 1];
        px[m] = x[k], py[m++] = y[k];
    }
    for (uint64_t k = 0; k < m; k++) {
        uint64_t i = reverse ? m - 1 - k : k;
        if (k > 0 && k + 1 < m && fabs(py[i] - py[i - 1]) < 0.05 && fabs(py[i] - py[i + 1]) < 0.05) continue;
        fprintf(out, "%s%.1f,%.1f", !reverse && k == 0 ? "M" : " L", px[i], py[i]);
    }
}

// Bands: the largest names at the bottom; past MAX_BANDS the smallest share "other", on top.
static bool make_bands(Chart *c) {
    Trace *tr = c->tr;
    Group **order = ak_push_array(c->a, Group *, tr->ngroups + 1);
    if (!order) return false;
    for (uint64_t g = 0; g < tr->ngroups; g++) order[g] = &tr->groups[g];
    qsort(order, tr->ngroups, sizeof *order, cmp_peak);
    uint64_t named = tr->ngroups > MAX_BANDS ? MAX_BANDS - 1 : tr->ngroups;
    c->nb = AK_MIN(tr->ngroups, MAX_BANDS);
    for (uint64_t b = 0; b < c->nb; b++) {
        Band *bd = &c->band[b];
        bd->v = ak_push_array(c->a, uint64_t, c->nc);
        if (!bd->v) return false;
        for (uint64_t k = 0; k < c->nc; k++) {
            const uint64_t *row = tr->vals + c->col[k] * tr->cap;
            if (b < named) bd->v[k] = row[order[b] - tr->groups];
            else
                for (uint64_t g = named; g < tr->ngroups; g++) bd->v[k] += row[order[g] - tr->groups];
        }
        if (b < named) {
            bd->label = order[b]->name, bd->peak = order[b]->peak, bd->color = palette[b];
        } else {
            // Its peak is read off the columns (exact peaks are kept per name, not per subset).
            bd->label = ak_str_pushf(c->a, "other (%llu names)", (unsigned long long)(tr->ngroups - named));
            bd->color = OTHER_COLOR, bd->peak = 0;
            for (uint64_t k = 0; k < c->nc; k++) bd->peak = AK_MAX(bd->peak, bd->v[k]);
        }
    }
    return true;
}

// Long stretches without a sample (a phase that never calls the tracer) are shaded and
// named, so the step held across them is not read as a measurement.
static bool put_gaps(Chart *c) {
    Trace *tr = c->tr;
    if (c->nc <= 2) return true;
    double *gap = ak_push_array(c->a, double, c->nc - 1);
    if (!gap) return false;
    for (uint64_t k = 0; k + 1 < c->nc; k++) gap[k] = tr->cols[c->col[k + 1]].t - tr->cols[c->col[k]].t;
    qsort(gap, c->nc - 1, sizeof *gap, cmp_double);
    double median = gap[(c->nc - 1) / 2];
    for (uint64_t k = 0; k + 1 < c->nc; k++) {
        double g = tr->cols[c->col[k + 1]].t - tr->cols[c->col[k]].t, gw = c->x[k + 1] - c->x[k];
        if (g < 10 * median || gw < 0.04 * (c->px1 - c->px0)) continue;
        fprintf(c->out, "<rect class=\"gap\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f5f5f5\"/>\n",
                c->x[k], c->py0, gw, c->py1 - c->py0);
        AkStr len = c->secs ? ak_str_pushf(c->a, " for %.2f s", g / 1000) : ak_str_pushf(c->a, " for %.1f ms", g);
        if (gw >= 60)
            fprintf(c->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" fill=\"#888\">no "
                            "samples%.*s</text>\n",
                    c->x[k] + gw / 2, c->py0 + 14, gw >= 130 && len.ptr ? (int)len.len : 0, len.ptr ? len.ptr : "");
    }
    return true;
}

// Grid lines with round byte labels up the side, time ticks along the bottom.
static void put_axes(Chart *c, double ystep, uint64_t unit) {
    FILE *out = c->out;
    const char *uname = unit == 1 ? "B" : unit == AK_KB(1) ? "KB" : unit == AK_MB(1) ? "MB" : "GB";
    fputs("<g font-size=\"11\" fill=\"#666\" text-anchor=\"end\">\n", out);
    for (double v = 0; v <= c->ymax + ystep / 2; v += ystep) {
        double y = cy(c, v);
        fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", c->px0, c->px1, y, y,
                v == 0 ? "#888" : "#e6e6e6");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%.0f%s%s</text>\n", c->px0 - 8, y + 4, v / (double)unit,
                v == 0 ? "" : " ", v == 0 ? "" : uname);
    }
    fputs("</g>\n", out);

    double scale = c->secs ? 1000 : 1;
    double tstep = time_step((c->tmax - c->tmin) / scale, (int)AK_MAX(2, (c->px1 - c->px0) / 90));
    int decimals = tstep >= 1 ? 0 : (int)ceil(-log10(tstep) - 1e-9);
    fputs("<g font-size=\"11\" fill=\"#666\" text-anchor=\"middle\">\n", out);
    for (double t = ceil(c->tmin / scale / tstep - 1e-9) * tstep; t <= c->tmax / scale + tstep * 1e-6; t += tstep) {
        double xx = cx(c, t * scale);
        fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>", xx, xx, c->py1,
                c->py1 + 4);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", xx, c->py1 + 17, decimals,
                fabs(t) < tstep / 2 ? 0.0 : t);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#444\">time since the command started (%s)</text>\n</g>\n",
            (c->px0 + c->px1) / 2, c->py1 + 38, c->secs ? "s" : "ms");
}

static bool put_bands(Chart *c) {
    uint64_t nc = c->nc;
    double *ylo = ak_push_array(c->a, double, nc), *yhi = ak_push_array(c->a, double, nc);
    double *px = ak_push_array(c->a, double, 2 * nc), *py = ak_push_array(c->a, double, 2 * nc);
    uint64_t *base = ak_push_array(c->a, uint64_t, nc);
    if (!ylo || !yhi || !px || !py || !base) return false;
    fputs("<g>\n", c->out);
    for (uint64_t b = 0; b < c->nb; b++) {
        for (uint64_t k = 0; k < nc; k++) {
            ylo[k] = cy(c, (double)base[k]);
            base[k] += c->band[b].v[k];
            yhi[k] = cy(c, (double)base[k]);
        }
        fprintf(c->out, "<path class=\"band\" fill=\"%s\" d=\"", c->band[b].color);
        put_edge(c->out, c->x, yhi, nc, false, px, py);
        put_edge(c->out, c->x, ylo, nc, true, px, py);
        fputs(" Z\"><title>", c->out);
        put_text(c->out, c->band[b].label);
        fprintf(c->out, ": peak %.*s</title></path>\n", AK_STR_FMT(size_text(c->a, (double)c->band[b].peak)));
    }
    fputs("</g>\n", c->out);
    return true;
}

// Legend right of the plot, in the order of the stack (top band first), with each name's peak.
static void put_legend(Chart *c, AkStr metric, bool budget_in_view) {
    FILE *out = c->out;
    double lx = c->px1 + 24, lr = c->w - 16, ly = c->py0 + 4;
    fprintf(out, "<g class=\"legend\">\n<text x=\"%.1f\" y=\"%.1f\" font-weight=\"600\">%.*s by name</text>"
                 "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-weight=\"600\">peak</text>\n",
            lx, ly, AK_STR_FMT(metric), lr, ly);
    ly += 22;
    for (uint64_t k = 0; k < c->nb; k++, ly += 20) {
        const Band *bd = &c->band[c->nb - 1 - k];
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\" fill=\"%s\"/><text x=\"%.1f\" "
                     "y=\"%.1f\">",
                lx, ly - 10, bd->color, lx + 18, ly);
        put_fitted(out, bd->label, (uint64_t)((lr - lx - 80) / 6.6));
        fprintf(out, "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*s</text>\n", lr, ly,
                AK_STR_FMT(size_text(c->a, (double)bd->peak)));
    }
    ly += 6;
    fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", lx, lr, ly - 14, ly - 14);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">stacked total</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                 "font-weight=\"600\">%.*s</text>\n",
            lx + 18, ly, lr, ly, AK_STR_FMT(size_text(c->a, (double)c->tr->peak_total)));
    if (c->tr->budget) {
        ly += 20;
        fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" "
                     "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\">budget%s</text><text x=\"%.1f\" y=\"%.1f\" "
                     "text-anchor=\"end\">%.*s</text>\n",
                lx, lx + 12, ly - 4, ly - 4, BUDGET_COLOR, lx + 18, ly, budget_in_view ? "" : " (off scale)", lr, ly,
                AK_STR_FMT(size_text(c->a, (double)c->tr->budget)));
    }
    fputs("</g>\n", out);
}

static bool render(Trace *tr, FILE *out, AkStr title, double w, double h) {
    Chart c = {.tr = tr, .a = tr->arena, .out = out, .w = w, .h = h, .px0 = 76, .px1 = w - 250, .py0 = 64, .py1 = h - 52};
    AkStr metric = tr->metric_used ? AK_STR("used") : AK_STR("committed");

    // Drawn columns in time order; a single sample is a flat band across the plot.
    c.col = ak_push_array(c.a, uint64_t, MAX_COLUMNS);
    c.x = ak_push_array(c.a, double, MAX_COLUMNS);
    if (!c.col || !c.x) return false;
    for (uint64_t i = 0; i < MAX_COLUMNS; i++)
        if (tr->cols[i].used) c.col[c.nc++] = i;
    double first = tr->cols[c.col[0]].t, last = tr->cols[c.col[c.nc - 1]].t;
    c.tmin = first >= 0 && first <= 0.05 * last ? 0 : first; // the start of the command
    c.tmax = last;
    if (last <= c.tmin) c.tmin = first - 0.5, c.tmax = first + 0.5;
    c.secs = c.tmax - c.tmin >= 2000;
    for (uint64_t k = 0; k < c.nc; k++) c.x[k] = cx(&c, tr->cols[c.col[k]].t);
    if (c.nc == 1) c.col[1] = c.col[0], c.x[0] = c.px0, c.x[1] = c.px1, c.nc = 2;
    if (!make_bands(&c)) return false;

    // The y axis reaches up to the budget when it is in view (within twice the peak).
    bool budget_in_view = tr->budget && (double)tr->budget <= 2.0 * (double)tr->peak_total;
    double top = AK_MAX((double)tr->peak_total, budget_in_view ? (double)tr->budget : 0);
    if (top <= 0) top = AK_KB(1);
    uint64_t unit;
    double ystep = byte_step(top * 1.04, 5, &unit);
    c.ymax = ceil(top * 1.04 / ystep) * ystep;

    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                 "font-family=\"%s\" font-size=\"12\" fill=\"#333\">\n",
            w, h, w, h, FONT);
    fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n<text x=\"16\" y=\"28\" font-size=\"16\" "
                 "font-weight=\"600\" fill=\"#222\">");
    put_fitted(out, title, (uint64_t)((w - 32) / 8.8));
    fputs("</text>\n<text x=\"16\" y=\"47\" fill=\"#666\">", out);
    AkStr sub = ak_str_pushf(c.a, "%.*s bytes of arenas and scratch arenas, stacked by name (heaps live inside their "
                                  "arenas) \xc2\xb7 %llu sample%s",
                             AK_STR_FMT(metric), (unsigned long long)tr->samples, tr->samples == 1 ? "" : "s");
    put_fitted(out, sub, (uint64_t)((w - 32) / 6.4));
    fputs("</text>\n", out);

    if (!put_gaps(&c)) return false;
    put_axes(&c, ystep, unit);
    if (!put_bands(&c)) return false;
    if (budget_in_view) {
        double y = cy(&c, (double)tr->budget);
        fprintf(out, "<line class=\"budget\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
                c.px0, c.px1, y, y, BUDGET_COLOR);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">budget %.*s</text>\n", c.px1 - 4,
                y - 6, BUDGET_COLOR, AK_STR_FMT(size_text(c.a, (double)tr->budget)));
    }
    // The peak of the stack: a real sample, since every column keeps its largest one whole.
    double pxp = cx(&c, tr->peak_t), pyp = cy(&c, (double)tr->peak_total);
    bool left = pxp > c.px1 - 160;
    AkStr when = c.secs ? ak_str_pushf(c.a, "%.2f s", tr->peak_t / 1000) : ak_str_pushf(c.a, "%.1f ms", tr->peak_t);
    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#222\"/>\n", pxp, pyp);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#222\">peak %.*s at %.*s</text>\n",
            pxp + (left ? -6 : 6), pyp - 8, left ? "end" : "start",
            AK_STR_FMT(size_text(c.a, (double)tr->peak_total)), AK_STR_FMT(when));
    put_legend(&c, metric, budget_in_view);
    fputs("</svg>\n", out);
    return true;
}

static int usage(const char *why) {
    if (why) fprintf(stderr, "memplot: %s\n", why);
    fputs("usage: memplot TRACE.csv OUT.svg [--title TEXT] [--metric committed|used] [--width PX --height PX]\n"
          "  draws a memory trace (chatlog --memory-trace FILE) as a stacked area chart, one band per\n"
          "  arena name; TRACE may be - for stdin, OUT - for stdout\n",
          why ? stderr : stdout);
    return why ? 2 : 0;
}

static bool parse_px(const char *s, double lo, double hi, double *out) {
    uint64_t v;
    if (!ak_str_parse_u64(ak_str_cstr(s), 10, &v, NULL) || v < lo || v > hi) return false;
    *out = (double)v;
    return true;
}

int main(int argc, char **argv) {
    const char *in_path = NULL, *out_path = NULL, *title = NULL;
    double w = 960, h = 520;
    bool metric_used = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return usage(NULL);
        if (!strcmp(arg, "--title") || !strcmp(arg, "--metric") || !strcmp(arg, "--width") || !strcmp(arg, "--height")) {
            if (!val) return usage("an option is missing its value");
            i++;
            if (!strcmp(arg, "--title")) title = val;
            else if (!strcmp(arg, "--metric")) {
                if (strcmp(val, "committed") && strcmp(val, "used")) return usage("--metric is committed or used");
                metric_used = !strcmp(val, "used");
            } else if (!parse_px(val, arg[2] == 'w' ? 480 : 300, 10000, arg[2] == 'w' ? &w : &h)) {
                return usage("--width is 480 to 10000 pixels, --height 300 to 10000");
            }
        } else if (arg[0] == '-' && arg[1]) {
            return usage("unknown option");
        } else if (!in_path) in_path = arg;
        else if (!out_path) out_path = arg;
        else return usage("too many arguments");
    }
    if (!in_path || !out_path) return usage("give a trace file and an output file");

    AkArena *arena = ak_arena_create(.name = "memplot");
    if (!arena) return fprintf(stderr, "memplot: %s\n", ak_arena_last_create_error()), 1;
    Trace *tr = ak_push_struct(arena, Trace);
    if (!tr) return fprintf(stderr, "memplot: out of memory\n"), 1;
    tr->arena = arena, tr->path = in_path, tr->metric_used = metric_used;
    tr->index = ak_map_str(arena, 64, 0);
    bool std_in = !strcmp(in_path, "-");
    FILE *in = std_in ? stdin : fopen(in_path, "r");
    if (!in) {
        perror(in_path); // "PATH: No such file or directory"
        ak_arena_release(arena);
        return 1;
    }
    bool ok = read_trace(tr, in);
    if (!std_in) fclose(in);
    if (!ok) {
        fprintf(stderr, "memplot: %s\n", tr->error);
        ak_arena_release(arena);
        return 1;
    }

    bool std_out = !strcmp(out_path, "-");
    FILE *out = std_out ? stdout : fopen(out_path, "w");
    if (!out) {
        perror(out_path);
        ak_arena_release(arena);
        return 1;
    }
    AkStr t = title ? ak_str_cstr(title) : tr->command.len ? tr->command : ak_str_cstr(in_path);
    ok = render(tr, out, ak_utf8_sanitize(arena, t), w, h);
    if (!ok) fprintf(stderr, "memplot: out of memory: %s\n", ak_arena_error(arena));
    if (ferror(out) || (!std_out && fclose(out) != 0)) ok = (perror(out_path), false);
    if (!ok && !std_out) remove(out_path); // no half-written picture left behind
    ak_arena_release(arena);
    return ok ? 0 : 1;
}
