/* astar.c: the farm's reference A* (h = Manhattan, unit costs) and its
 * variants, writing traces in either dialect.
 *
 * One search core serves both the text writer and the counter. The open
 * list is a binary heap with lazy deletion: a cell may have several heap
 * entries (one per create), and an entry popped for a cell that is already
 * closed is skipped silently; it produces no trace operation, exactly as a
 * model that keeps duplicates in its open list would never write it out.
 *
 * With a consistent heuristic on a 4-connected grid, f = g + h has the same
 * parity for every cell (both g and h follow the chessboard colouring), so
 * a better entry for a cell always has a strictly lower f than a stale one
 * and is popped first: a popped entry of an open cell is always its best.
 */
#include "tracefarm/maze.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

tf_astar_opts tf_astar_default(void)
{
    tf_astar_opts o = {{0, 1, 2, 3}, TF_ASTAR_TIE_LOW_H, false};
    return o;
}

/* One open-list entry. seq numbers creates in trace order, so FIFO/LIFO
 * and the "first created" tie-breaks are total and deterministic. */
typedef struct entry {
    int32_t f, h, g, cell;
    int64_t seq;
} entry;

typedef struct heap {
    entry *a;
    size_t n, cap, max; /* max: hard bound on entries (4 per cell + 1) */
    tf_astar_tie tie;
} heap;

/* True if a must be popped before b. f decides first; among equal f the
 * variant's rule applies, ending in seq so no two entries ever compare
 * equal (the order of pops is then independent of heap layout). */
static bool before(const heap *hp, const entry *a, const entry *b)
{
    if (a->f != b->f)
        return a->f < b->f;
    switch (hp->tie) {
    case TF_ASTAR_TIE_LOW_H:
        if (a->h != b->h)
            return a->h < b->h;
        return a->seq < b->seq;
    case TF_ASTAR_TIE_HIGH_H:
        if (a->h != b->h)
            return a->h > b->h;
        return a->seq < b->seq;
    case TF_ASTAR_TIE_LIFO:
        return a->seq > b->seq;
    case TF_ASTAR_TIE_FIFO:
    default:
        return a->seq < b->seq;
    }
}

/* Push with sift-up. The array grows by doubling up to hp->max, which the
 * search can never exceed (each cell is expanded once, creating at most
 * four entries), so TF_ERR_INTERNAL flags a broken invariant. */
static tf_err heap_push(heap *hp, entry e)
{
    if (hp->n == hp->cap) {
        if (hp->cap >= hp->max)
            return TF_ERR_INTERNAL;
        size_t nc = hp->cap ? hp->cap * 2 : 256;
        if (nc > hp->max)
            nc = hp->max;
        entry *p = realloc(hp->a, nc * sizeof *p);
        if (!p)
            return TF_ERR_NOMEM;
        hp->a = p;
        hp->cap = nc;
    }
    size_t i = hp->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(hp, &e, &hp->a[parent]))
            break;
        hp->a[i] = hp->a[parent];
        i = parent;
    }
    hp->a[i] = e;
    return TF_OK;
}

/* Pop the minimum into *out (sift-down); false when empty. */
static bool heap_pop(heap *hp, entry *out)
{
    if (hp->n == 0)
        return false;
    *out = hp->a[0];
    entry last = hp->a[--hp->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= hp->n)
            break;
        size_t c = l;
        if (l + 1 < hp->n && before(hp, &hp->a[l + 1], &hp->a[l]))
            c = l + 1;
        if (!before(hp, &hp->a[c], &last))
            break;
        hp->a[i] = hp->a[c];
        i = c;
    }
    if (hp->n > 0)
        hp->a[i] = last;
    return true;
}

/* Options must name each neighbour exactly once and a known tie rule;
 * anything else would silently skip neighbours and produce an A* that the
 * strict verdict rightly rejects. */
static bool opts_ok(const tf_astar_opts *o)
{
    int seen = 0;
    for (int k = 0; k < 4; k++) {
        if (o->order[k] < 0 || o->order[k] > 3)
            return false;
        seen |= 1 << o->order[k];
    }
    return seen == 0xf && o->tie >= TF_ASTAR_TIE_LOW_H && o->tie <= TF_ASTAR_TIE_LIFO;
}

/* Text sink: out may be NULL (count only). */
typedef struct sink {
    tf_buf *out;
    bool sep; /* a token was written: put a space before the next */
} sink;

static tf_err emit(sink *s, const char *word, int x, int y)
{
    if (!s->out)
        return TF_OK;
    tf_err e = tf_buf_printf(s->out, "%s%s %d %d", s->sep ? " " : "", word, x, y);
    s->sep = true;
    return e;
}

static tf_err emit_op(sink *s, const char *word, int x, int y, int g, int h)
{
    if (!s->out)
        return TF_OK;
    tf_err e = tf_buf_printf(s->out, "%s%s %d %d c%d c%d", s->sep ? " " : "", word, x, y, g, h);
    s->sep = true;
    return e;
}

static tf_err emit_word(sink *s, const char *word)
{
    if (!s->out)
        return TF_OK;
    tf_err e = tf_buf_printf(s->out, "%s%s", s->sep ? " " : "", word);
    s->sep = true;
    return e;
}

/* The search. Writes the trace and plan through s (in dialect d) and
 * returns the counts. The unsolvable case is detected only when the heap
 * runs dry, after operations have been written, so the public wrapper
 * rolls the buffer back. */
static tf_err search(const tf_maze *m, const tf_astar_opts *o, tf_maze_dialect d, sink *s,
                     long *ops_out, long *plan_out)
{
    static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    int sx, sy, gx, gy;
    tf_maze_start(m, &sx, &sy);
    tf_maze_goal(m, &gx, &gy);
    if (!opts_ok(o))
        return TF_ERR_INTERNAL;
    if (!tf_maze_in_grid(m, sx, sy) || !tf_maze_in_grid(m, gx, gy) || tf_maze_is_wall(m, sx, sy) ||
        tf_maze_is_wall(m, gx, gy))
        return TF_ERR_PARSE;

    size_t n = (size_t)rows * (size_t)cols;
    int32_t *g = malloc(n * sizeof *g);
    int32_t *parent = malloc(n * sizeof *parent);
    unsigned char *closed = calloc(n, 1);
    heap hp = {NULL, 0, 0, 4 * n + 1, o->tie};
    tf_err e = TF_OK;
    long ops = 0;
    int32_t *path = NULL;
    if (!g || !parent || !closed) {
        e = TF_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        g[i] = INT32_MAX;
        parent[i] = -1;
    }

    int32_t start = (int32_t)((size_t)sy * (size_t)cols + (size_t)sx);
    int32_t goal = (int32_t)((size_t)gy * (size_t)cols + (size_t)gx);
    int64_t seq = 0;
    int32_t h0 = abs(sx - gx) + abs(sy - gy);
    g[start] = 0;
    if (d == TF_MAZE_SEARCHFORMER) {
        /* Searchformer writes the start's create; beyond leaves it implicit. */
        if ((e = emit_op(s, "create", sx, sy, 0, h0)) != TF_OK)
            goto done;
        ops++;
    } else if ((e = emit_word(s, "reasoning")) != TF_OK) {
        goto done;
    }
    if ((e = heap_push(&hp, (entry){h0, h0, 0, start, seq++})) != TF_OK)
        goto done;

    bool found = false;
    entry cur;
    while (heap_pop(&hp, &cur)) {
        if (closed[cur.cell])
            continue; /* stale duplicate: lazy deletion, no operation */
        closed[cur.cell] = 1;
        int x = (int)((size_t)cur.cell % (size_t)cols), y = (int)((size_t)cur.cell / (size_t)cols);
        if ((e = emit_op(s, "close", x, y, cur.g, cur.h)) != TF_OK)
            goto done;
        ops++;
        if (cur.cell == goal) {
            found = true;
            break;
        }
        for (int k = 0; k < 4; k++) {
            int dir = o->order[k];
            int nx = x + dx[dir], ny = y + dy[dir];
            if (!tf_maze_in_grid(m, nx, ny) || tf_maze_is_wall(m, nx, ny))
                continue;
            int32_t ni = (int32_t)((size_t)ny * (size_t)cols + (size_t)nx);
            if (closed[ni])
                continue;
            int32_t ng = cur.g + 1;
            bool improves = ng < g[ni];
            if (!improves && !o->create_always)
                continue;
            int32_t nh = abs(nx - gx) + abs(ny - gy);
            if (improves) {
                g[ni] = ng;
                parent[ni] = cur.cell;
            }
            if ((e = emit_op(s, "create", nx, ny, ng, nh)) != TF_OK)
                goto done;
            ops++;
            if ((e = heap_push(&hp, (entry){ng + nh, nh, ng, ni, seq++})) != TF_OK)
                goto done;
        }
    }
    if (!found) {
        e = TF_ERR_PARSE;
        goto done;
    }

    /* Recover the plan from parent pointers (goal back to start). */
    long plen = (long)g[goal] + 1;
    path = malloc((size_t)plen * sizeof *path);
    if (!path) {
        e = TF_ERR_NOMEM;
        goto done;
    }
    int32_t c = goal;
    for (long i = plen - 1; i >= 0; i--) {
        if (c < 0) {
            e = TF_ERR_INTERNAL;
            goto done;
        }
        path[i] = c;
        c = parent[c];
    }
    /* The chain must end exactly at the start (whose parent is -1). */
    if (c != -1 || plen < 1 || path[0] != start) {
        e = TF_ERR_INTERNAL;
        goto done;
    }
    if (d == TF_MAZE_BEYOND && (e = emit_word(s, "solution")) != TF_OK)
        goto done;
    for (long i = 0; i < plen; i++) {
        int px = (int)((size_t)path[i] % (size_t)cols), py = (int)((size_t)path[i] / (size_t)cols);
        if ((e = emit(s, "plan", px, py)) != TF_OK)
            goto done;
    }
    if (d == TF_MAZE_BEYOND && (e = emit_word(s, "end")) != TF_OK)
        goto done;
    *ops_out = ops;
    *plan_out = plen;
done:
    free(g);
    free(parent);
    free(closed);
    free(hp.a);
    free(path);
    return e;
}

/* Run A* and append its text. On any error the buffer is restored to its
 * previous length, so "nothing appended" holds for every failure, not just
 * the unsolvable one. A non-empty buffer gets a separating space first. */
tf_err tf_maze_astar(const tf_maze *m, const tf_astar_opts *o, tf_maze_dialect d, tf_buf *out,
                     long *ops, long *plan_len)
{
    size_t orig = out->len;
    sink s = {out, orig > 0 && out->data[orig - 1] != ' ' && out->data[orig - 1] != '\n'};
    long nops = 0, plen = 0;
    tf_err e = search(m, o, d, &s, &nops, &plen);
    if (e != TF_OK) {
        out->len = orig;
        if (out->data)
            out->data[orig] = '\0';
        return e;
    }
    if (ops)
        *ops = nops;
    if (plan_len)
        *plan_len = plen;
    return TF_OK;
}

/* The same search without text: used for complexity, where only the
 * counts matter and a multi-megabyte trace would be wasted. */
tf_err tf_maze_astar_count(const tf_maze *m, const tf_astar_opts *o, tf_maze_dialect d, long *ops,
                           long *plan_len)
{
    sink s = {NULL, false};
    long nops = 0, plen = 0;
    tf_err e = search(m, o, d, &s, &nops, &plen);
    if (e != TF_OK)
        return e;
    if (ops)
        *ops = nops;
    if (plan_len)
        *plan_len = plen;
    return TF_OK;
}
