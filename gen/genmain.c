/* genmain.c: corpus records, corruptions and the "tracefarm gen maze" CLI.
 *
 * A record is a pure function of (options, index): its seed is derived from
 * (--seed, i), the maze from that seed (tf_gen_maze), the reference output
 * from the farm's A* (tf_maze_astar, default variant), and the corruption
 * (which one, and where) from a splitmix64 stream of the record seed. See
 * docs/gen.md for the derivation and for why each corruption is detectable.
 */
#include "tracefarm/buf.h"
#include "tracefarm/gen.h"

#include <cjson/cJSON.h>
#include <zstd.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEXT_LIMIT ((size_t)1 << 30)            /* one trace text */
#define FRAME_SOFT ((size_t)256 << 20)          /* flush a zstd frame early past this */
#define FRAME_LIMIT ((size_t)3 << 30)           /* hard cap of one frame's input */
#define MASK53 ((UINT64_C(1) << 53) - 1)        /* seeds stay exact as JSON numbers */
#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)     /* splitmix64 increment */
#define SALT_CORRUPT UINT64_C(0x636f7272757074) /* "corrupt" */
#define SALT_SWAP UINT64_C(0x73776170706564)    /* "swapped" */
#define SWAP_TRIES 64

/* ----- randomness --------------------------------------------------------- */

/* The splitmix64 finaliser (a bijection of 64-bit words). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seed of record i: mix64(mix64(seed) + (i + 1) * GOLDEN), low 53 bits.
 * Distinct i give distinct mixer inputs, the outer mix decorrelates
 * neighbouring records, and 53 bits keep the value exact in JSON. */
static uint64_t record_seed(uint64_t seed, long i)
{
    return mix64(mix64(seed) + (uint64_t)(i + 1) * GOLDEN) & MASK53;
}

/* A splitmix64 stream: enough for the few choices a corruption makes. */
typedef struct sm {
    uint64_t x;
} sm;

static uint64_t sm_next(sm *s)
{
    s->x += GOLDEN;
    return mix64(s->x);
}

/* Uniform in [0, n), n >= 1, without modulo bias. */
static uint64_t sm_below(sm *s, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = sm_next(s);
    } while (x >= lim);
    return x % n;
}

static double sm_unit(sm *s)
{
    return (double)(sm_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ----- traces as data ----------------------------------------------------- */

typedef struct op {
    bool close; /* else create */
    int x, y;
    long g, h;
} op;

typedef struct cell {
    int x, y;
} cell;

/* A parsed output: operations and plan (the dialect framing words are
 * implied by the dialect when rendering). */
typedef struct trace {
    op *ops;
    long n, cap;
    cell *plan;
    long np, pcap;
} trace;

static void trace_free(trace *t)
{
    free(t->ops);
    free(t->plan);
    memset(t, 0, sizeof *t);
}

static tf_err push_op(trace *t, op o)
{
    if (t->n == t->cap) {
        long nc = t->cap ? t->cap * 2 : 256;
        if (nc > TF_MAZE_MAX_OPS + 1)
            return TF_ERR_TOO_BIG;
        op *p = realloc(t->ops, (size_t)nc * sizeof *p);
        if (!p)
            return TF_ERR_NOMEM;
        t->ops = p;
        t->cap = nc;
    }
    t->ops[t->n++] = o;
    return TF_OK;
}

static tf_err push_plan(trace *t, cell c)
{
    if (t->np == t->pcap) {
        long nc = t->pcap ? t->pcap * 2 : 64;
        if (nc > TF_MAZE_MAX_CELLS + 1)
            return TF_ERR_TOO_BIG;
        cell *p = realloc(t->plan, (size_t)nc * sizeof *p);
        if (!p)
            return TF_ERR_NOMEM;
        t->plan = p;
        t->pcap = nc;
    }
    t->plan[t->np++] = c;
    return TF_OK;
}

/* Read one integer (optionally after a 'c' prefix for g and h). */
static bool read_int(const char **pp, bool cprefix, long *v)
{
    const char *p = *pp;
    while (*p == ' ')
        p++;
    if (cprefix) {
        if (*p != 'c')
            return false;
        p++;
    }
    char *end;
    errno = 0;
    *v = strtol(p, &end, 10);
    if (end == p || errno || (*end != ' ' && *end != '\0'))
        return false;
    *pp = end;
    return true;
}

/* Parse the farm's own A* text back into operations. The text comes from
 * tf_maze_astar, never from a model, so anything unexpected is a bug
 * (TF_ERR_INTERNAL) rather than a verdict. */
static tf_err parse_trace(const char *s, trace *t)
{
    const char *p = s;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            return TF_OK;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t n = (size_t)(p - w);
        tf_err e;
        long x, y, g, h;
        if ((n == 6 && !memcmp(w, "create", 6)) || (n == 5 && !memcmp(w, "close", 5))) {
            if (!read_int(&p, false, &x) || !read_int(&p, false, &y) || !read_int(&p, true, &g) ||
                !read_int(&p, true, &h))
                return TF_ERR_INTERNAL;
            e = push_op(t, (op){n == 5, (int)x, (int)y, g, h});
        } else if (n == 4 && !memcmp(w, "plan", 4)) {
            if (!read_int(&p, false, &x) || !read_int(&p, false, &y))
                return TF_ERR_INTERNAL;
            e = push_plan(t, (cell){(int)x, (int)y});
        } else if ((n == 9 && !memcmp(w, "reasoning", 9)) ||
                   (n == 8 && !memcmp(w, "solution", 8)) || (n == 3 && !memcmp(w, "end", 3))) {
            e = TF_OK;
        } else {
            return TF_ERR_INTERNAL;
        }
        if (e != TF_OK)
            return e;
    }
}

/* Render operations and plan in a dialect, in exactly the layout
 * tf_maze_astar writes (single spaces, no trailing space). */
static tf_err render(const trace *t, tf_maze_dialect d, tf_buf *out)
{
    tf_err e = TF_OK;
    const char *sep = "";
    if (d == TF_MAZE_BEYOND) {
        e = tf_buf_puts(out, "reasoning");
        sep = " ";
    }
    for (long i = 0; i < t->n && e == TF_OK; i++) {
        const op *o = &t->ops[i];
        e = tf_buf_printf(out, "%s%s %d %d c%ld c%ld", sep, o->close ? "close" : "create", o->x,
                          o->y, o->g, o->h);
        sep = " ";
    }
    if (e == TF_OK && d == TF_MAZE_BEYOND)
        e = tf_buf_puts(out, " solution");
    for (long i = 0; i < t->np && e == TF_OK; i++) {
        e = tf_buf_printf(out, "%splan %d %d", sep, t->plan[i].x, t->plan[i].y);
        sep = " ";
    }
    if (e == TF_OK && d == TF_MAZE_BEYOND)
        e = tf_buf_puts(out, " end");
    return e;
}

/* ----- corruptions -------------------------------------------------------- */

/* What a corruption needs to know about its record. */
typedef struct corr_ctx {
    const tf_maze *m;
    tf_maze_dialect d;
    tf_gen_kind kind;
    double coverage;
    uint64_t rseed;
    sm *r;
    tf_diag *diag;
} corr_ctx;

static long manhattan(int ax, int ay, int bx, int by)
{
    return labs((long)ax - bx) + labs((long)ay - by);
}

static long cell_index(const tf_maze *m, int x, int y)
{
    return (long)y * tf_maze_cols(m) + x;
}

/* Pick uniformly one in-grid cell c with dist(c, (ax, ay)) >= 2 and, when
 * want_open, not a wall and not marked in `closed` (may be NULL). Two
 * passes over the grid (count, then find the k-th) keep it O(cells) and
 * deterministic. False if there is none. */
static bool far_ok(const corr_ctx *c, int x, int y, int ax, int ay, bool want_open,
                   const unsigned char *closed)
{
    if (manhattan(x, y, ax, ay) < 2)
        return false;
    if (!want_open)
        return true;
    return !tf_maze_is_wall(c->m, x, y) && !(closed && closed[cell_index(c->m, x, y)]);
}

static bool pick_far_cell(const corr_ctx *c, int ax, int ay, bool want_open,
                          const unsigned char *closed, cell *out)
{
    int rows = tf_maze_rows(c->m), cols = tf_maze_cols(c->m);
    long count = 0;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++)
            count += far_ok(c, x, y, ax, ay, want_open, closed);
    if (count == 0)
        return false;
    long k = (long)sm_below(c->r, (uint64_t)count);
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++)
            if (far_ok(c, x, y, ax, ay, want_open, closed) && k-- == 0) {
                *out = (cell){x, y};
                return true;
            }
    return false;
}

/* The searchformer start create (op 0) is left alone by g/h/drop: it has
 * no parent, and some readers treat it as implicit. */
static bool is_start_create(const corr_ctx *c, long i)
{
    return c->d == TF_MAZE_SEARCHFORMER && i == 0;
}

/* g or h of one non-start create, +-1. The strict verdict recomputes both
 * (g = parent g + 1 with the parent the node being expanded; h = Manhattan),
 * and the reference A* writes both exactly, so any change is wrong_g or
 * wrong_h at that operation. h 0 (the goal) only goes up. */
static tf_err corrupt_gh(const corr_ctx *c, trace *t, bool is_g)
{
    long cand = 0;
    for (long i = 0; i < t->n; i++)
        if (!t->ops[i].close && !is_start_create(c, i))
            cand++;
    if (cand == 0) {
        tf_diag_set(c->diag, "%s: the trace has no create to alter", is_g ? "g" : "h");
        return TF_ERR_PARSE;
    }
    long k = (long)sm_below(c->r, (uint64_t)cand);
    for (long i = 0; i < t->n; i++) {
        if (t->ops[i].close || is_start_create(c, i) || k-- != 0)
            continue;
        long *v = is_g ? &t->ops[i].g : &t->ops[i].h;
        long delta = sm_below(c->r, 2) ? 1 : -1;
        if (*v + delta < 0)
            delta = 1;
        *v += delta;
        break;
    }
    return TF_OK;
}

/* Move one create made during an expansion to a cell at distance >= 2 from
 * the node being expanded, preferring open cells not yet closed, so the
 * only rule broken there is create_non_neighbor (both verdicts). The h is
 * recomputed for the new cell so the lie is only the position. */
static tf_err corrupt_coord(const corr_ctx *c, trace *t)
{
    long cand = 0;
    bool seen_close = false;
    for (long i = 0; i < t->n; i++) {
        if (t->ops[i].close)
            seen_close = true;
        else if (seen_close)
            cand++;
    }
    if (cand == 0) {
        tf_diag_set(c->diag, "coord: the trace has no create after a close");
        return TF_ERR_PARSE;
    }
    long k = (long)sm_below(c->r, (uint64_t)cand), j = -1, exp = -1;
    seen_close = false;
    for (long i = 0; i < t->n && j < 0; i++) {
        if (t->ops[i].close) {
            seen_close = true;
            exp = i;
        } else if (seen_close && k-- == 0) {
            j = i;
        }
    }
    size_t ncells = (size_t)tf_maze_rows(c->m) * (size_t)tf_maze_cols(c->m);
    unsigned char *closed = calloc(ncells, 1);
    if (!closed)
        return TF_ERR_NOMEM;
    for (long i = 0; i < j; i++)
        if (t->ops[i].close)
            closed[cell_index(c->m, t->ops[i].x, t->ops[i].y)] = 1;
    int ex = t->ops[exp].x, ey = t->ops[exp].y;
    cell to;
    bool ok =
        pick_far_cell(c, ex, ey, true, closed, &to) || pick_far_cell(c, ex, ey, false, NULL, &to);
    free(closed);
    if (!ok) {
        tf_diag_set(c->diag, "coord: no in-grid cell off the neighbourhood of %d %d", ex, ey);
        return TF_ERR_PARSE;
    }
    int gx, gy;
    tf_maze_goal(c->m, &gx, &gy);
    t->ops[j].x = to.x;
    t->ops[j].y = to.y;
    t->ops[j].h = manhattan(to.x, to.y, gx, gy);
    return TF_OK;
}

/* Count the creates of every cell (lazy deletion means a cell may be
 * created more than once; only once-created cells give a guaranteed
 * close_not_in_open_list). */
static long *create_counts(const corr_ctx *c, const trace *t)
{
    size_t ncells = (size_t)tf_maze_rows(c->m) * (size_t)tf_maze_cols(c->m);
    long *cnt = calloc(ncells, sizeof *cnt);
    if (!cnt)
        return NULL;
    for (long i = 0; i < t->n; i++)
        if (!t->ops[i].close)
            cnt[cell_index(c->m, t->ops[i].x, t->ops[i].y)]++;
    return cnt;
}

static void remove_op(trace *t, long j)
{
    memmove(&t->ops[j], &t->ops[j + 1], (size_t)(t->n - j - 1) * sizeof *t->ops);
    t->n--;
}

/* Drop the only create of a node that is later closed: that close then
 * finds no open entry (close_not_in_open_list, both verdicts). The start's
 * searchformer create is used only when nothing else qualifies. Fallback:
 * drop the goal's close (goal_not_reached). */
static tf_err corrupt_drop(const corr_ctx *c, trace *t)
{
    long *cnt = create_counts(c, t);
    if (!cnt)
        return TF_ERR_NOMEM;
    /* closes of once-created cells: mark the cells whose close follows */
    size_t ncells = (size_t)tf_maze_rows(c->m) * (size_t)tf_maze_cols(c->m);
    unsigned char *later = calloc(ncells, 1);
    if (!later) {
        free(cnt);
        return TF_ERR_NOMEM;
    }
    for (long i = 0; i < t->n; i++)
        if (t->ops[i].close)
            later[cell_index(c->m, t->ops[i].x, t->ops[i].y)] = 1;
    long cand[2] = {0, 0}; /* [0] without the start create, [1] with it */
    for (long i = 0; i < t->n; i++) {
        long ci = cell_index(c->m, t->ops[i].x, t->ops[i].y);
        if (!t->ops[i].close && cnt[ci] == 1 && later[ci]) {
            cand[1]++;
            if (!is_start_create(c, i))
                cand[0]++;
        }
    }
    int set = cand[0] > 0 ? 0 : 1;
    if (cand[set] == 0) {
        remove_op(t, t->n - 1); /* the last operation is the goal's close */
    } else {
        long k = (long)sm_below(c->r, (uint64_t)cand[set]);
        for (long i = 0; i < t->n; i++) {
            long ci = cell_index(c->m, t->ops[i].x, t->ops[i].y);
            if (t->ops[i].close || cnt[ci] != 1 || !later[ci] ||
                (set == 0 && is_start_create(c, i)))
                continue;
            if (k-- == 0) {
                remove_op(t, i);
                break;
            }
        }
    }
    free(cnt);
    free(later);
    return TF_OK;
}

/* Repeat the close of a node created exactly once, right after itself: its
 * only open entry is gone, so the repeat is close_not_in_open_list for the
 * reference verdict and a second close for the strict one. The goal is
 * used only when no other node qualifies. Beyond's start has no create and
 * never qualifies (its implicit entry is not a create). */
static tf_err corrupt_duplicate(const corr_ctx *c, trace *t)
{
    long *cnt = create_counts(c, t);
    if (!cnt)
        return TF_ERR_NOMEM;
    int gx, gy;
    tf_maze_goal(c->m, &gx, &gy);
    long cand[2] = {0, 0}; /* [0] without the goal, [1] with it */
    for (long i = 0; i < t->n; i++)
        if (t->ops[i].close && cnt[cell_index(c->m, t->ops[i].x, t->ops[i].y)] == 1) {
            cand[1]++;
            if (t->ops[i].x != gx || t->ops[i].y != gy)
                cand[0]++;
        }
    int set = cand[0] > 0 ? 0 : 1;
    tf_err e = TF_OK;
    if (cand[set] == 0) {
        tf_diag_set(c->diag, "duplicate: no closed node with a single create");
        e = TF_ERR_PARSE;
    } else {
        long k = (long)sm_below(c->r, (uint64_t)cand[set]);
        for (long i = 0; i < t->n; i++) {
            const op *o = &t->ops[i];
            if (!o->close || cnt[cell_index(c->m, o->x, o->y)] != 1 ||
                (set == 0 && o->x == gx && o->y == gy) || k-- != 0)
                continue;
            op dup = *o;
            if ((e = push_op(t, dup)) != TF_OK) /* grow, then shift into place */
                break;
            memmove(&t->ops[i + 2], &t->ops[i + 1], (size_t)(t->n - i - 2) * sizeof *t->ops);
            t->ops[i + 1] = dup;
            break;
        }
    }
    free(cnt);
    return e;
}

/* Keep operations [0, k) with 1 <= k <= index of the goal's close (the last
 * operation), so the goal is never closed: goal_not_reached in both
 * verdicts, while the plan stays the correct one. */
static tf_err corrupt_truncate(const corr_ctx *c, trace *t)
{
    long gi = t->n - 1;
    if (gi < 1) {
        tf_diag_set(c->diag, "truncate: the trace is too short to cut");
        return TF_ERR_PARSE;
    }
    t->n = 1 + (long)sm_below(c->r, (uint64_t)gi);
    return TF_OK;
}

/* Replace one interior plan cell by a cell at distance >= 2 from its
 * predecessor, so the move into it is illegal (plan_valid false); the trace
 * is untouched and the plan length unchanged, so the trace verdicts stay
 * valid. A two-cell plan has no interior cell: its goal is replaced. */
static tf_err corrupt_wrong_plan(const corr_ctx *c, trace *t)
{
    if (t->np < 2) {
        tf_diag_set(c->diag, "wrong_plan: the plan has fewer than 2 cells");
        return TF_ERR_PARSE;
    }
    long i = t->np >= 3 ? 1 + (long)sm_below(c->r, (uint64_t)(t->np - 2)) : t->np - 1;
    cell prev = t->plan[i - 1], to;
    if (!pick_far_cell(c, prev.x, prev.y, false, NULL, &to)) {
        tf_diag_set(c->diag, "wrong_plan: no in-grid cell off the neighbourhood of %d %d", prev.x,
                    prev.y);
        return TF_ERR_PARSE;
    }
    t->plan[i] = to;
    return TF_OK;
}

/* The reference A* text (default variant, dialect d) of a maze. */
static tf_err astar_text(const tf_maze *m, tf_maze_dialect d, tf_buf *out, long *ops)
{
    tf_astar_opts o = tf_astar_default();
    long plan;
    return tf_maze_astar(m, &o, d, out, ops, &plan);
}

/* Replace the operations by the reference trace of another maze of the same
 * size and generator (seeds derived from the record seed and a try counter)
 * whose start differs. A candidate that never closes this maze's goal is
 * taken at once: the goal then cannot be closed (goal_not_reached in both
 * verdicts). In beyond any different start is caught at operation 0 (the
 * close of a cell that is not the implicit start). Grids too small for the
 * first condition fall back to the first different-start candidate. */
static tf_err corrupt_swapped(const corr_ctx *c, trace *t)
{
    int sx, sy, gx, gy;
    tf_maze_start(c->m, &sx, &sy);
    tf_maze_goal(c->m, &gx, &gy);
    trace best = {0};
    bool have = false;
    tf_err e = TF_OK;
    for (int k = 0; k < SWAP_TRIES && e == TF_OK; k++) {
        uint64_t os = mix64((c->rseed ^ SALT_SWAP) + (uint64_t)(k + 1) * GOLDEN) & MASK53;
        tf_maze *o = NULL;
        if (tf_gen_maze(c->kind, tf_maze_rows(c->m), tf_maze_cols(c->m), c->coverage, os, &o,
                        NULL) != TF_OK)
            continue;
        int ox, oy;
        tf_maze_start(o, &ox, &oy);
        if (ox == sx && oy == sy) {
            tf_maze_free(o);
            continue;
        }
        tf_buf txt;
        tf_buf_init(&txt, TEXT_LIMIT);
        long ops;
        trace cand = {0};
        e = astar_text(o, c->d, &txt, &ops);
        if (e == TF_OK)
            e = parse_trace(txt.data, &cand);
        tf_buf_free(&txt);
        tf_maze_free(o);
        if (e != TF_OK) {
            trace_free(&cand);
            break;
        }
        bool closes_goal = false;
        for (long i = 0; i < cand.n; i++)
            if (cand.ops[i].close && cand.ops[i].x == gx && cand.ops[i].y == gy)
                closes_goal = true;
        if (!closes_goal || c->d == TF_MAZE_BEYOND) {
            trace_free(&best);
            best = cand;
            have = true;
            break;
        }
        if (!have) {
            best = cand;
            have = true;
        } else {
            trace_free(&cand);
        }
    }
    if (e == TF_OK && !have) {
        tf_diag_set(c->diag, "swapped: no %s maze with a different start in %d tries",
                    tf_gen_kind_name(c->kind), SWAP_TRIES);
        e = TF_ERR_PARSE;
    }
    if (e != TF_OK) {
        trace_free(&best);
        return e;
    }
    free(t->ops);
    t->ops = best.ops;
    t->n = best.n;
    t->cap = best.cap;
    free(best.plan); /* this maze's correct plan stays */
    return TF_OK;
}

/* Apply corruption k to the parsed reference. */
static tf_err corrupt(const corr_ctx *c, tf_gen_corruption k, trace *t)
{
    switch (k) {
    case TF_CORRUPT_SWAPPED:
        return corrupt_swapped(c, t);
    case TF_CORRUPT_G:
        return corrupt_gh(c, t, true);
    case TF_CORRUPT_H:
        return corrupt_gh(c, t, false);
    case TF_CORRUPT_COORD:
        return corrupt_coord(c, t);
    case TF_CORRUPT_DROP:
        return corrupt_drop(c, t);
    case TF_CORRUPT_DUPLICATE:
        return corrupt_duplicate(c, t);
    case TF_CORRUPT_TRUNCATE:
        return corrupt_truncate(c, t);
    case TF_CORRUPT_WRONG_PLAN:
        return corrupt_wrong_plan(c, t);
    case TF_CORRUPT_NONE:
    default:
        return TF_OK;
    }
}

/* ----- records ------------------------------------------------------------ */

#define GEN_MIX (-1)

typedef struct gen_opts {
    long count;
    int rows, cols;
    int kind; /* tf_gen_kind or GEN_MIX */
    double coverage;
    tf_maze_dialect dialect;
    int corruption; /* tf_gen_corruption or GEN_MIX */
    double rate;
    uint64_t seed;
    long frame_items;
    const char *out;
} gen_opts;

/* Add a string member; false on allocation failure. */
static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v ? v : "") != NULL;
}

/* Build the JSON line of record i (caller frees *line). The corruption
 * choice is drawn first from the record's own stream (rate, then the
 * corruption's positions), so adding a corruption never shifts the mazes. */
static tf_err build_record(const gen_opts *g, long i, char **line, tf_diag *d)
{
    *line = NULL;
    uint64_t rs = record_seed(g->seed, i);
    tf_gen_kind kind =
        g->kind == GEN_MIX ? (tf_gen_kind)(i % TF_GEN_KIND_COUNT) : (tf_gen_kind)g->kind;
    tf_maze *m = NULL;
    tf_err e = tf_gen_maze(kind, g->rows, g->cols, g->coverage, rs, &m, d);
    if (e != TF_OK)
        return e;

    tf_buf prompt, ref, out;
    tf_buf_init(&prompt, TEXT_LIMIT);
    tf_buf_init(&ref, TEXT_LIMIT);
    tf_buf_init(&out, TEXT_LIMIT);
    trace t = {0};
    cJSON *o = NULL;
    long ops = 0;

    sm r = {mix64(rs ^ SALT_CORRUPT)};
    tf_gen_corruption k = TF_CORRUPT_NONE;
    if (g->corruption != TF_CORRUPT_NONE) {
        tf_gen_corruption want = g->corruption == GEN_MIX
                                     ? (tf_gen_corruption)(i % TF_CORRUPT_COUNT)
                                     : (tf_gen_corruption)g->corruption;
        if (sm_unit(&r) < g->rate)
            k = want;
    }

    if ((e = tf_maze_write_prompt(m, g->dialect, &prompt)) != TF_OK ||
        (e = astar_text(m, g->dialect, &ref, &ops)) != TF_OK) {
        tf_diag_set(d, "reference A* failed: %s", tf_strerror(e));
        goto done;
    }
    const char *output = ref.data;
    if (k != TF_CORRUPT_NONE) {
        corr_ctx c = {m, g->dialect, kind, g->coverage, rs, &r, d};
        if ((e = parse_trace(ref.data, &t)) != TF_OK || (e = corrupt(&c, k, &t)) != TF_OK ||
            (e = render(&t, g->dialect, &out)) != TF_OK)
            goto done;
        output = out.data;
    }

    char id[96], seedtxt[32];
    snprintf(id, sizeof id, "maze-%" PRIu64 "-%ld", g->seed, i);
    snprintf(seedtxt, sizeof seedtxt, "%" PRIu64, rs);
    e = TF_ERR_NOMEM;
    o = cJSON_CreateObject();
    if (!o || !add_str(o, "id", id) || !cJSON_AddNumberToObject(o, "rows", g->rows) ||
        !cJSON_AddNumberToObject(o, "cols", g->cols) ||
        !add_str(o, "generator", tf_gen_kind_name(kind)) ||
        !add_str(o, "corruption", tf_gen_corruption_name(k)) ||
        !cJSON_AddRawToObject(o, "seed", seedtxt))
        goto done;
    if (g->dialect == TF_MAZE_SEARCHFORMER) {
        if (!add_str(o, "prompt", prompt.data) || !add_str(o, "output", output) ||
            !add_str(o, "reference", ref.data))
            goto done;
    } else {
        /* beyond: one text, query then reasoning */
        tf_buf full;
        tf_buf_init(&full, 2 * TEXT_LIMIT);
        bool ok = tf_buf_printf(&full, "%s %s", prompt.data, output) == TF_OK &&
                  add_str(o, "text", full.data);
        tf_buf_reset(&full);
        ok = ok && tf_buf_printf(&full, "%s %s", prompt.data, ref.data) == TF_OK &&
             add_str(o, "reference", full.data);
        tf_buf_free(&full);
        if (!ok)
            goto done;
    }
    if (!cJSON_AddNumberToObject(o, "optimal_plan_len", (double)tf_maze_optimal_plan_len(m)) ||
        !cJSON_AddNumberToObject(o, "reference_ops", (double)ops))
        goto done;
    *line = cJSON_PrintUnformatted(o);
    e = *line ? TF_OK : TF_ERR_NOMEM;
done:
    if (e != TF_OK && d && !d->msg[0])
        tf_diag_set(d, "%s", tf_strerror(e));
    cJSON_Delete(o);
    trace_free(&t);
    tf_buf_free(&prompt);
    tf_buf_free(&ref);
    tf_buf_free(&out);
    tf_maze_free(m);
    return e;
}

/* ----- output ------------------------------------------------------------- */

/* A .jsonl or multi-frame .jsonl.zst sink. Frames hold whole lines, K per
 * frame (fewer if a frame's input passes FRAME_SOFT), so a reader can
 * decompress frames independently and never split a record. */
typedef struct writer {
    FILE *f;
    bool zst;
    ZSTD_CCtx *cctx;
    tf_buf frame;
    long in_frame, frame_items;
    void *z;
    size_t zcap;
} writer;

static tf_err flush_frame(writer *w, tf_diag *d)
{
    if (!w->zst || w->frame.len == 0)
        return TF_OK;
    size_t bound = ZSTD_compressBound(w->frame.len);
    if (bound > w->zcap) {
        void *p = realloc(w->z, bound);
        if (!p)
            return TF_ERR_NOMEM;
        w->z = p;
        w->zcap = bound;
    }
    size_t n = ZSTD_compress2(w->cctx, w->z, w->zcap, w->frame.data, w->frame.len);
    if (ZSTD_isError(n)) {
        tf_diag_set(d, "zstd: %s", ZSTD_getErrorName(n));
        return TF_ERR_ZSTD;
    }
    if (fwrite(w->z, 1, n, w->f) != n) {
        tf_diag_set(d, "write failed: %s", strerror(errno));
        return TF_ERR_IO;
    }
    tf_buf_reset(&w->frame);
    w->in_frame = 0;
    return TF_OK;
}

static tf_err write_line(writer *w, const char *line, tf_diag *d)
{
    size_t n = strlen(line);
    if (!w->zst) {
        if (fwrite(line, 1, n, w->f) != n || fputc('\n', w->f) == EOF) {
            tf_diag_set(d, "write failed: %s", strerror(errno));
            return TF_ERR_IO;
        }
        return TF_OK;
    }
    tf_err e;
    if (w->in_frame > 0 && w->frame.len + n + 1 > FRAME_SOFT && (e = flush_frame(w, d)) != TF_OK)
        return e;
    if ((e = tf_buf_append(&w->frame, line, n)) != TF_OK ||
        (e = tf_buf_append(&w->frame, "\n", 1)) != TF_OK) {
        tf_diag_set(d, "frame buffer: %s", tf_strerror(e));
        return e;
    }
    if (++w->in_frame >= w->frame_items)
        return flush_frame(w, d);
    return TF_OK;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Generate every record into a temporary file beside --out and rename it
 * into place at the end, so a failed run never leaves a truncated corpus
 * under the requested name. */
static int run(const gen_opts *g)
{
    tf_diag d = {{0}};
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", g->out, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "tracefarm gen maze: --out: path too long\n");
        return 2;
    }
    writer w = {0};
    w.zst = ends_with(g->out, ".zst");
    w.frame_items = g->frame_items;
    tf_buf_init(&w.frame, FRAME_LIMIT);
    w.f = fopen(tmp, "wb");
    if (!w.f) {
        fprintf(stderr, "tracefarm gen maze: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    tf_err e = TF_OK;
    if (w.zst) {
        w.cctx = ZSTD_createCCtx();
        if (!w.cctx || ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, 3)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1))) {
            tf_diag_set(&d, "cannot set up the zstd compressor");
            e = TF_ERR_ZSTD;
        }
    }
    long i = 0;
    for (; i < g->count && e == TF_OK; i++) {
        char *line = NULL;
        e = build_record(g, i, &line, &d);
        if (e == TF_OK)
            e = write_line(&w, line, &d);
        cJSON_free(line);
        if (e != TF_OK)
            tf_diag_prefix(&d, "record %ld (maze-%" PRIu64 "-%ld): ", i, g->seed, i);
    }
    if (e == TF_OK)
        e = flush_frame(&w, &d);
    if (fclose(w.f) != 0 && e == TF_OK) {
        tf_diag_set(&d, "close failed: %s", strerror(errno));
        e = TF_ERR_IO;
    }
    ZSTD_freeCCtx(w.cctx);
    tf_buf_free(&w.frame);
    free(w.z);
    if (e == TF_OK && rename(tmp, g->out) != 0) {
        tf_diag_set(&d, "cannot rename %s to %s: %s", tmp, g->out, strerror(errno));
        e = TF_ERR_IO;
    }
    if (e != TF_OK) {
        unlink(tmp);
        fprintf(stderr, "tracefarm gen maze: %s\n", d.msg);
        return 1;
    }
    return 0;
}

/* ----- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: tracefarm gen maze --out FILE [options]\n"
          "\n"
          "Write a deterministic corpus of maze problems with their reference A* traces\n"
          "(and optional corruptions) as JSON lines. Same options, same bytes.\n"
          "\n"
          "  --out FILE           output: FILE.jsonl (plain) or FILE.jsonl.zst (zstd, one\n"
          "                       frame per --frame-items records); required\n"
          "  --count N            records (default 100)\n"
          "  --rows R --cols C    grid size (default 30 30; 1..4096 per side)\n"
          "  --generator G        wilson|kruskal|dfs|drunkard|searchformer|mix (default\n"
          "                       wilson; mix cycles through all by record index)\n"
          "  --coverage F         drunkard: open fraction to reach, 0 < F <= 1 (default 0.5)\n"
          "  --dialect D          searchformer|beyond (default searchformer)\n"
          "  --corrupt K          none|swapped|g|h|coord|drop|duplicate|truncate|wrong_plan|mix\n"
          "                       (default none; mix cycles none and every corruption)\n"
          "  --corrupt-rate P     fraction of records corrupted, 0..1 (default 1 with --corrupt)\n"
          "  --seed S             64-bit seed (default 1); record i uses a seed derived from\n"
          "                       (S, i), written to its \"seed\" field\n"
          "  --frame-items K      records per zstd frame (default 1000)\n"
          "  --help               this text\n"
          "\n"
          "examples:\n"
          "  tracefarm gen maze --count 1000 --out mazes.jsonl\n"
          "  tracefarm gen maze --generator searchformer --rows 30 --cols 30 --count 100000 \\\n"
          "      --out sf.jsonl.zst\n"
          "  tracefarm gen maze --dialect beyond --generator mix --corrupt mix \\\n"
          "      --corrupt-rate 0.5 --seed 7 --out mixed.jsonl\n",
          f);
}

/* Strict integer in [lo, hi]: digits only (optional '-'), no trailing text. */
static bool parse_long(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    if (!*s)
        return false;
    long x = strtol(s, &end, 10);
    if (*end || errno || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno)
        return false;
    *v = (uint64_t)x;
    return true;
}

static bool parse_frac(const char *s, double *v)
{
    char *end;
    errno = 0;
    if (!*s)
        return false;
    double x = strtod(s, &end);
    if (*end || errno || !isfinite(x))
        return false;
    *v = x;
    return true;
}

/* Report a usage error naming the option; returns the usage exit code. */
static int bad(const char *opt, const char *val, const char *why)
{
    if (val)
        fprintf(stderr, "tracefarm gen maze: %s '%s': %s\n", opt, val, why);
    else
        fprintf(stderr, "tracefarm gen maze: %s: %s\n", opt, why);
    fprintf(stderr, "try 'tracefarm gen maze --help'\n");
    return 2;
}

/* Parse "gen maze [options]" (argv[0] = "gen"). Options take their value
 * as the next argument or after '='. Every error names the option and
 * exits 2 before anything is written. */
int tf_gen_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "maze") != 0) {
        fprintf(stderr, "tracefarm gen: expected the corpus kind 'maze'%s%s%s\n",
                argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
        usage(stderr);
        return 2;
    }
    gen_opts g = {100, 30, 30,   TF_GEN_WILSON, 0.5, TF_MAZE_SEARCHFORMER, TF_CORRUPT_NONE,
                  1.0, 1,  1000, NULL};
    bool rate_given = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return bad(a, NULL, "unexpected argument (options start with --)");
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name)
            return bad(a, NULL, "unknown option");
        memcpy(name, a, nl);
        name[nl] = '\0';
        static const char *const known[] = {
            "--count",   "--rows", "--cols",         "--generator", "--coverage",   "--dialect",
            "--corrupt", "--seed", "--corrupt-rate", "--out",       "--frame-items"};
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            ok = ok || !strcmp(name, known[k]);
        if (!ok)
            return bad(name, NULL, "unknown option");
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v)
            return bad(name, NULL, "needs a value");
        long n;
        if (!strcmp(name, "--count")) {
            if (!parse_long(v, 0, 1000000000000L, &n))
                return bad(name, v, "not an integer in 0..10^12");
            g.count = n;
        } else if (!strcmp(name, "--rows") || !strcmp(name, "--cols")) {
            if (!parse_long(v, 1, TF_MAZE_MAX_SIDE, &n))
                return bad(name, v, "not an integer in 1..4096");
            *(name[2] == 'r' ? &g.rows : &g.cols) = (int)n;
        } else if (!strcmp(name, "--generator")) {
            int k = tf_gen_kind_parse(v);
            if (k < 0 && strcmp(v, "mix") != 0)
                return bad(name, v, "not one of wilson, kruskal, dfs, drunkard, searchformer, mix");
            g.kind = k < 0 ? GEN_MIX : k;
        } else if (!strcmp(name, "--coverage")) {
            if (!parse_frac(v, &g.coverage) || !(g.coverage > 0.0 && g.coverage <= 1.0))
                return bad(name, v, "not a number in (0, 1]");
        } else if (!strcmp(name, "--dialect")) {
            if (!strcmp(v, "searchformer"))
                g.dialect = TF_MAZE_SEARCHFORMER;
            else if (!strcmp(v, "beyond"))
                g.dialect = TF_MAZE_BEYOND;
            else
                return bad(name, v, "not one of searchformer, beyond");
        } else if (!strcmp(name, "--corrupt")) {
            int k = tf_gen_corruption_parse(v);
            if (k < 0 && strcmp(v, "mix") != 0)
                return bad(name, v,
                           "not one of none, swapped, g, h, coord, drop, duplicate, truncate, "
                           "wrong_plan, mix");
            g.corruption = k < 0 ? GEN_MIX : k;
        } else if (!strcmp(name, "--corrupt-rate")) {
            if (!parse_frac(v, &g.rate) || !(g.rate >= 0.0 && g.rate <= 1.0))
                return bad(name, v, "not a number in [0, 1]");
            rate_given = true;
        } else if (!strcmp(name, "--seed")) {
            if (!parse_u64(v, &g.seed))
                return bad(name, v, "not an unsigned 64-bit integer");
        } else if (!strcmp(name, "--frame-items")) {
            if (!parse_long(v, 1, 100000000L, &n))
                return bad(name, v, "not an integer in 1..10^8");
            g.frame_items = n;
        } else { /* --out */
            if (!ends_with(v, ".jsonl") && !ends_with(v, ".jsonl.zst"))
                return bad(name, v, "must end in .jsonl or .jsonl.zst");
            g.out = v;
        }
    }
    if (!g.out)
        return bad("--out", NULL, "is required");
    if ((long)g.rows * g.cols > TF_MAZE_MAX_CELLS)
        return bad("--rows/--cols", NULL, "the grid exceeds 4194304 cells");
    if (rate_given && g.corruption == TF_CORRUPT_NONE)
        return bad("--corrupt-rate", NULL, "needs --corrupt");
    return run(&g);
}
