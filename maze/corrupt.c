/* corrupt.c: the corruptions studies apply to A* outputs (tf_maze_corrupt).
 *
 * An output written by the farm's A* (tf_maze_astar, any variant) is parsed
 * back into operations and a plan, altered in one place chosen by a
 * splitmix64 stream, and rendered again in the same layout. Used by the
 * corpus generator (gen/genmain.c) and by the synthetic model of "tracefarm
 * serve". See docs/gen.md for why each corruption is detectable.
 */
#include "tracefarm/buf.h"
#include "tracefarm/maze.h"
#include "tracefarm/rng.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_LIMIT ((size_t)1 << 30)         /* one trace text */
#define MASK53 ((UINT64_C(1) << 53) - 1)     /* seeds stay exact as JSON numbers */
#define SALT_SWAP UINT64_C(0x73776170706564) /* "swapped" */
#define SWAP_TRIES 64

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
    tf_maze_gen kind;
    double coverage;
    uint64_t rseed;
    int rows, cols; /* swapped: size of the other mazes */
    tf_rng *r;
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
    long k = (long)tf_rng_below(c->r, (uint64_t)count);
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
    long k = (long)tf_rng_below(c->r, (uint64_t)cand);
    for (long i = 0; i < t->n; i++) {
        if (t->ops[i].close || is_start_create(c, i) || k-- != 0)
            continue;
        long *v = is_g ? &t->ops[i].g : &t->ops[i].h;
        long delta = tf_rng_below(c->r, 2) ? 1 : -1;
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
    long k = (long)tf_rng_below(c->r, (uint64_t)cand), j = -1, exp = -1;
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
        long k = (long)tf_rng_below(c->r, (uint64_t)cand[set]);
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
        long k = (long)tf_rng_below(c->r, (uint64_t)cand[set]);
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
    t->n = 1 + (long)tf_rng_below(c->r, (uint64_t)gi);
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
    long i = t->np >= 3 ? 1 + (long)tf_rng_below(c->r, (uint64_t)(t->np - 2)) : t->np - 1;
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
        uint64_t os = tf_mix64((c->rseed ^ SALT_SWAP) + (uint64_t)(k + 1) * TF_RNG_GOLDEN) & MASK53;
        tf_maze *o = NULL;
        if (tf_maze_generate(c->kind, c->rows, c->cols, c->coverage, os, &o, NULL) != TF_OK)
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
                    tf_maze_gen_name(c->kind), SWAP_TRIES);
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
static tf_err corrupt(const corr_ctx *c, tf_maze_corruption k, trace *t)
{
    switch (k) {
    case TF_MAZE_CORRUPT_SWAPPED:
        return corrupt_swapped(c, t);
    case TF_MAZE_CORRUPT_G:
        return corrupt_gh(c, t, true);
    case TF_MAZE_CORRUPT_H:
        return corrupt_gh(c, t, false);
    case TF_MAZE_CORRUPT_COORD:
        return corrupt_coord(c, t);
    case TF_MAZE_CORRUPT_DROP:
        return corrupt_drop(c, t);
    case TF_MAZE_CORRUPT_DUPLICATE:
        return corrupt_duplicate(c, t);
    case TF_MAZE_CORRUPT_TRUNCATE:
        return corrupt_truncate(c, t);
    case TF_MAZE_CORRUPT_WRONG_PLAN:
        return corrupt_wrong_plan(c, t);
    case TF_MAZE_CORRUPT_NONE:
    default:
        return TF_OK;
    }
}

/* Parse ref_output, apply corruption c with the choices drawn from the
 * stream o->stream, render the result into out. The parsed form owns its
 * arrays; everything is freed on every path. */
tf_err tf_maze_corrupt(const tf_maze *m, tf_maze_dialect d, tf_maze_corruption c,
                       const tf_maze_corrupt_opts *o, const char *ref_output, tf_buf *out,
                       tf_diag *diag)
{
    if ((int)c < 0 || c >= TF_MAZE_CORRUPT_COUNT || !ref_output) {
        tf_diag_set(diag, "no such corruption %d", (int)c);
        return TF_ERR_USAGE;
    }
    tf_rng r = {o->stream};
    corr_ctx ctx = {m,
                    d,
                    o->kind,
                    o->coverage,
                    o->seed,
                    o->rows > 0 ? o->rows : tf_maze_rows(m),
                    o->cols > 0 ? o->cols : tf_maze_cols(m),
                    &r,
                    diag};
    trace t = {0};
    tf_err e = parse_trace(ref_output, &t);
    if (e == TF_ERR_INTERNAL)
        tf_diag_set(diag, "the output to corrupt is not in the layout tf_maze_astar writes");
    if (e == TF_OK)
        e = corrupt(&ctx, c, &t);
    if (e == TF_OK)
        e = render(&t, d, out);
    trace_free(&t);
    return e;
}
