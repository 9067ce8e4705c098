/* generate.c: the five maze generators behind tf_maze_generate (maze.h).
 *
 * Randomness: the xoshiro256** stream of rng.h, seeded by four outputs of
 * splitmix64(seed). No rand(), no time, no global state: a maze is a pure
 * function of (kind, rows, cols, coverage, seed). Records and the command
 * line of "tracefarm gen" are in gen/genmain.c (docs/gen.md).
 */
#include "tracefarm/maze.h"
#include "tracefarm/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ----- names -------------------------------------------------------------- */

static const char *const kind_names[TF_MAZE_GEN_COUNT] = {"wilson", "kruskal", "dfs", "drunkard",
                                                          "searchformer"};

/* Names are the strings written to records and accepted by --generator. */
const char *tf_maze_gen_name(tf_maze_gen k)
{
    if ((int)k < 0 || k >= TF_MAZE_GEN_COUNT)
        return NULL;
    return kind_names[k];
}

int tf_maze_gen_parse(const char *name)
{
    if (!name)
        return -1;
    for (int k = 0; k < TF_MAZE_GEN_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

static const char *const corruption_names[TF_MAZE_CORRUPT_COUNT] = {
    "none", "swapped", "g", "h", "coord", "drop", "duplicate", "truncate", "wrong_plan"};

const char *tf_maze_corruption_name(tf_maze_corruption c)
{
    if ((int)c < 0 || c >= TF_MAZE_CORRUPT_COUNT)
        return NULL;
    return corruption_names[c];
}

int tf_maze_corruption_parse(const char *name)
{
    if (!name)
        return -1;
    for (int k = 0; k < TF_MAZE_CORRUPT_COUNT; k++)
        if (strcmp(name, corruption_names[k]) == 0)
            return k;
    return -1;
}

/* ----- helpers ------------------------------------------------------------ */

static const int DX[4] = {1, -1, 0, 0}, DY[4] = {0, 0, 1, -1};

/* Make every cell a wall: tree and drunkard mazes carve from solid rock. */
static void fill_walls(tf_maze *m)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++)
            tf_maze_set_wall(m, x, y, true);
}

/* ----- spanning-tree mazes ------------------------------------------------ */

/* The room graph of a tree maze: rooms at even (x, y), room (r, c) at cell
 * (2c, 2r); a passage between two adjacent rooms is the odd cell between
 * them. Every other cell stays a wall. */
typedef struct rooms {
    int rr, rc; /* rooms per column and per row */
    long n;     /* rr * rc */
} rooms;

/* Collect the neighbouring rooms of room u into nb (at most 4). */
static int room_neighbours(const rooms *g, long u, long nb[4])
{
    int r = (int)(u / g->rc), c = (int)(u % g->rc), k = 0;
    if (c + 1 < g->rc)
        nb[k++] = u + 1;
    if (c > 0)
        nb[k++] = u - 1;
    if (r + 1 < g->rr)
        nb[k++] = u + g->rc;
    if (r > 0)
        nb[k++] = u - g->rc;
    return k;
}

/* Open room u, room v and the passage cell between them (adjacent rooms). */
static void carve_passage(tf_maze *m, const rooms *g, long u, long v)
{
    int ux = (int)(u % g->rc) * 2, uy = (int)(u / g->rc) * 2;
    int vx = (int)(v % g->rc) * 2, vy = (int)(v / g->rc) * 2;
    tf_maze_set_wall(m, ux, uy, false);
    tf_maze_set_wall(m, vx, vy, false);
    tf_maze_set_wall(m, (ux + vx) / 2, (uy + vy) / 2, false);
}

/* Wilson's algorithm: loop-erased random walks from each room not yet in
 * the tree until they hit it. Overwriting next[] on revisits erases loops
 * implicitly. Gives a uniform spanning tree, unlike DFS (long corridors)
 * and Kruskal (many short dead ends). */
static tf_err wilson(tf_maze *m, const rooms *g, tf_xoshiro *r)
{
    unsigned char *in = calloc((size_t)g->n, 1);
    long *next = malloc((size_t)g->n * sizeof *next);
    if (!in || !next) {
        free(in);
        free(next);
        return TF_ERR_NOMEM;
    }
    in[tf_xoshiro_below(r, (uint64_t)g->n)] = 1;
    for (long i = 0; i < g->n; i++) {
        long u = i, nb[4];
        while (!in[u]) {
            int k = room_neighbours(g, u, nb);
            next[u] = nb[tf_xoshiro_below(r, (uint64_t)k)];
            u = next[u];
        }
        for (u = i; !in[u]; u = next[u]) {
            in[u] = 1;
            carve_passage(m, g, u, next[u]);
        }
    }
    free(in);
    free(next);
    return TF_OK;
}

/* Union-find root with path halving. */
static long dsu_find(long *p, long x)
{
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

/* Randomised Kruskal: all room edges in a shuffled order, each joined when
 * it links two different components. Edge e < H is horizontal (room e/(rc-1)
 * row, column e%(rc-1), to its right), otherwise vertical. */
static tf_err kruskal(tf_maze *m, const rooms *g, tf_xoshiro *r)
{
    long h = (long)g->rr * (g->rc - 1), v = (long)(g->rr - 1) * g->rc, ne = h + v;
    long *edges = malloc((size_t)(ne > 0 ? ne : 1) * sizeof *edges);
    long *parent = malloc((size_t)g->n * sizeof *parent);
    if (!edges || !parent) {
        free(edges);
        free(parent);
        return TF_ERR_NOMEM;
    }
    for (long e = 0; e < ne; e++)
        edges[e] = e;
    for (long e = ne - 1; e > 0; e--) { /* Fisher-Yates */
        long j = (long)tf_xoshiro_below(r, (uint64_t)e + 1);
        long t = edges[e];
        edges[e] = edges[j];
        edges[j] = t;
    }
    for (long i = 0; i < g->n; i++)
        parent[i] = i;
    for (long k = 0; k < ne; k++) {
        long e = edges[k], a, b;
        if (e < h) {
            long row = e / (g->rc - 1), col = e % (g->rc - 1);
            a = row * g->rc + col;
            b = a + 1;
        } else {
            a = e - h; /* vertical edges are numbered by their upper room */
            b = a + g->rc;
        }
        long ra = dsu_find(parent, a), rb = dsu_find(parent, b);
        if (ra == rb)
            continue;
        parent[ra] = rb;
        carve_passage(m, g, a, b);
    }
    free(edges);
    free(parent);
    return TF_OK;
}

/* Randomised depth-first backtracker with an explicit stack (recursion
 * would overflow on 2048 x 2048 rooms). */
static tf_err dfs(tf_maze *m, const rooms *g, tf_xoshiro *r)
{
    unsigned char *seen = calloc((size_t)g->n, 1);
    long *stack = malloc((size_t)g->n * sizeof *stack);
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return TF_ERR_NOMEM;
    }
    long top = 0, first = (long)tf_xoshiro_below(r, (uint64_t)g->n);
    stack[top++] = first;
    seen[first] = 1;
    while (top > 0) {
        long u = stack[top - 1], nb[4], open[4];
        int k = room_neighbours(g, u, nb), n = 0;
        for (int i = 0; i < k; i++)
            if (!seen[nb[i]])
                open[n++] = nb[i];
        if (n == 0) {
            top--;
            continue;
        }
        long v = open[tf_xoshiro_below(r, (uint64_t)n)];
        seen[v] = 1;
        carve_passage(m, g, u, v);
        stack[top++] = v;
    }
    free(seen);
    free(stack);
    return TF_OK;
}

/* A tree maze of the given kind; start and goal are two distinct random
 * rooms (a tree connects every pair, so it is always solvable). */
static tf_err tree_maze(tf_maze_gen k, tf_maze *m, tf_xoshiro *r, tf_diag *d)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    rooms g = {(rows + 1) / 2, (cols + 1) / 2, 0};
    g.n = (long)g.rr * g.rc;
    if (g.n < 2) {
        tf_diag_set(d,
                    "%s: a %dx%d grid has a single room (rooms sit at even x and y); "
                    "tree mazes need at least 1x3 or 3x1",
                    tf_maze_gen_name(k), rows, cols);
        return TF_ERR_PARSE;
    }
    fill_walls(m);
    /* carve_passage opens both rooms of every tree edge, and a spanning
     * tree of >= 2 rooms touches every room, so no room stays a wall. */
    tf_err e = k == TF_MAZE_GEN_WILSON    ? wilson(m, &g, r)
               : k == TF_MAZE_GEN_KRUSKAL ? kruskal(m, &g, r)
                                          : dfs(m, &g, r);
    if (e != TF_OK) {
        tf_diag_set(d, "%s: out of memory for a %dx%d grid", tf_maze_gen_name(k), rows, cols);
        return e;
    }
    long a = (long)tf_xoshiro_below(r, (uint64_t)g.n);
    long b = (long)tf_xoshiro_below(r, (uint64_t)g.n - 1);
    if (b >= a)
        b++;
    tf_maze_set_start(m, (int)(a % g.rc) * 2, (int)(a / g.rc) * 2);
    tf_maze_set_goal(m, (int)(b % g.rc) * 2, (int)(b / g.rc) * 2);
    return TF_OK;
}

/* ----- drunkard's walk ---------------------------------------------------- */

/* From a random cell, walk to random in-grid neighbours, opening every
 * cell visited, until ceil(coverage * cells) cells (at least 2) are open.
 * The open region is connected by construction. The step budget (1000 per
 * cell) bounds the run time; a 2-D walk covers its grid in about
 * n log^2 n steps, so only coverage near 1 on huge grids can exhaust it. */
static tf_err drunkard(tf_maze *m, double coverage, tf_xoshiro *r, tf_diag *d)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    long n = (long)rows * cols;
    if (!(coverage > 0.0 && coverage <= 1.0)) {
        tf_diag_set(d, "drunkard: coverage %g is not in (0, 1]", coverage);
        return TF_ERR_PARSE;
    }
    if (n < 2) {
        tf_diag_set(d, "drunkard: a %dx%d grid has fewer than 2 cells for start and goal", rows,
                    cols);
        return TF_ERR_PARSE;
    }
    long target = (long)ceil(coverage * (double)n);
    if (target < 2)
        target = 2;
    if (target > n)
        target = n;
    long *opened = malloc((size_t)target * sizeof *opened);
    if (!opened) {
        tf_diag_set(d, "drunkard: out of memory for a %dx%d grid", rows, cols);
        return TF_ERR_NOMEM;
    }
    fill_walls(m);
    int x = (int)tf_xoshiro_below(r, (uint64_t)cols), y = (int)tf_xoshiro_below(r, (uint64_t)rows);
    long count = 0;
    long budget = 1000 * n + 1000000;
    for (long step = 0;; step++) {
        if (tf_maze_is_wall(m, x, y)) {
            tf_maze_set_wall(m, x, y, false);
            opened[count++] = (long)y * cols + x;
            if (count >= target)
                break;
        }
        if (step >= budget) {
            free(opened);
            tf_diag_set(d, "drunkard: the walk did not open %ld of %ld cells in %ld steps", target,
                        n, budget);
            return TF_ERR_PARSE;
        }
        int dirs[4] = {0, 0, 0, 0}, nd = 0; /* n >= 2: never left empty */
        for (int k = 0; k < 4; k++)
            if (tf_maze_in_grid(m, x + DX[k], y + DY[k]))
                dirs[nd++] = k;
        int k = dirs[tf_xoshiro_below(r, (uint64_t)nd)];
        x += DX[k];
        y += DY[k];
    }
    long a = (long)tf_xoshiro_below(r, (uint64_t)count);
    long b = (long)tf_xoshiro_below(r, (uint64_t)count - 1);
    if (b >= a)
        b++;
    tf_maze_set_start(m, (int)(opened[a] % cols), (int)(opened[a] / cols));
    tf_maze_set_goal(m, (int)(opened[b] % cols), (int)(opened[b] / cols));
    free(opened);
    return TF_OK;
}

/* ----- Searchformer-style random walls ------------------------------------ */

#define SF_TRIES 1000

/* Random walls as in the Searchformer paper: a wall fraction p drawn
 * uniformly in [0.30, 0.50], exactly round(p * cells) walls (clamped so the
 * realised fraction stays in range), a random open start, and a goal drawn
 * uniformly among the open cells whose shortest path from the start has at
 * least max(rows, cols) cells. Drawing the goal among qualifying cells is
 * the rejection sampler of "random goal, reject if too close" conditioned on
 * the start, without its wasted BFS runs. A layout with no qualifying goal
 * is redrawn, SF_TRIES times at most. */
static tf_err searchformer(tf_maze *m, tf_xoshiro *r, tf_diag *d)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    long n = (long)rows * cols;
    long need = (rows > cols ? rows : cols); /* plan cells */
    long lo = (long)ceil(0.30 * (double)n), hi = (long)floor(0.50 * (double)n);
    if (lo > hi || n - lo < 2) {
        tf_diag_set(d,
                    "searchformer: a %dx%d grid cannot hold a 30-50%% wall fraction and two "
                    "open cells",
                    rows, cols);
        return TF_ERR_PARSE;
    }
    long *perm = malloc((size_t)n * sizeof *perm);
    long *dist = malloc((size_t)n * sizeof *dist);
    long *queue = malloc((size_t)n * sizeof *queue);
    if (!perm || !dist || !queue) {
        free(perm);
        free(dist);
        free(queue);
        tf_diag_set(d, "searchformer: out of memory for a %dx%d grid", rows, cols);
        return TF_ERR_NOMEM;
    }
    tf_err e = TF_ERR_PARSE;
    for (int t = 0; t < SF_TRIES; t++) {
        double p = 0.30 + 0.20 * tf_xoshiro_unit(r);
        long walls = (long)floor(p * (double)n + 0.5);
        if (walls < lo)
            walls = lo;
        if (walls > hi)
            walls = hi;
        /* partial Fisher-Yates: the first `walls` entries become walls */
        for (long i = 0; i < n; i++)
            perm[i] = i;
        for (long i = 0; i < walls; i++) {
            long j = i + (long)tf_xoshiro_below(r, (uint64_t)(n - i));
            long tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++)
                tf_maze_set_wall(m, x, y, false);
        for (long i = 0; i < walls; i++)
            tf_maze_set_wall(m, (int)(perm[i] % cols), (int)(perm[i] / cols), true);
        /* perm[walls..n) are the open cells */
        long s = perm[walls + (long)tf_xoshiro_below(r, (uint64_t)(n - walls))];
        for (long i = 0; i < n; i++)
            dist[i] = -1;
        long head = 0, tail = 0, far = 0;
        dist[s] = 0;
        queue[tail++] = s;
        while (head < tail) {
            long c = queue[head++];
            int x = (int)(c % cols), y = (int)(c / cols);
            if (dist[c] + 1 >= need)
                far++;
            for (int k = 0; k < 4; k++) {
                int nx = x + DX[k], ny = y + DY[k];
                if (!tf_maze_in_grid(m, nx, ny) || tf_maze_is_wall(m, nx, ny))
                    continue;
                long ni = (long)ny * cols + nx;
                if (dist[ni] >= 0)
                    continue;
                dist[ni] = dist[c] + 1;
                queue[tail++] = ni;
            }
        }
        if (far == 0)
            continue;
        /* the k-th qualifying cell in BFS order (a fixed, seed-free order) */
        long k = (long)tf_xoshiro_below(r, (uint64_t)far), g = -1;
        for (long i = 0; i < tail; i++)
            if (dist[queue[i]] + 1 >= need && k-- == 0) {
                g = queue[i];
                break;
            }
        tf_maze_set_start(m, (int)(s % cols), (int)(s / cols));
        tf_maze_set_goal(m, (int)(g % cols), (int)(g / cols));
        e = TF_OK;
        break;
    }
    if (e != TF_OK)
        tf_diag_set(d,
                    "searchformer: no %dx%d layout with a start-goal plan of at least %ld cells "
                    "in %d tries",
                    rows, cols, need, SF_TRIES);
    free(perm);
    free(dist);
    free(queue);
    return e;
}

/* ----- entry -------------------------------------------------------------- */

/* Build a maze. The grid size is checked by tf_maze_create; each generator
 * reports the sizes it cannot serve with a message naming the generator. */
tf_err tf_maze_generate(tf_maze_gen k, int rows, int cols, double coverage, uint64_t seed,
                        tf_maze **out, tf_diag *d)
{
    *out = NULL;
    if ((int)k < 0 || k >= TF_MAZE_GEN_COUNT) {
        tf_diag_set(d, "unknown maze generator %d", (int)k);
        return TF_ERR_PARSE;
    }
    tf_maze *m = NULL;
    tf_err e = tf_maze_create(rows, cols, &m);
    if (e != TF_OK) {
        if (e == TF_ERR_PARSE)
            tf_diag_set(d, "%s: grid %dx%d is outside 1..%d per side or %ld cells",
                        tf_maze_gen_name(k), rows, cols, TF_MAZE_MAX_SIDE, (long)TF_MAZE_MAX_CELLS);
        else
            tf_diag_set(d, "%s: cannot allocate a %dx%d grid", tf_maze_gen_name(k), rows, cols);
        return e;
    }
    tf_xoshiro r;
    tf_xoshiro_seed(&r, seed);
    switch (k) {
    case TF_MAZE_GEN_WILSON:
    case TF_MAZE_GEN_KRUSKAL:
    case TF_MAZE_GEN_DFS:
        e = tree_maze(k, m, &r, d);
        break;
    case TF_MAZE_GEN_DRUNKARD:
        e = drunkard(m, coverage, &r, d);
        break;
    case TF_MAZE_GEN_SEARCHFORMER:
    default:
        e = searchformer(m, &r, d);
        break;
    }
    if (e != TF_OK) {
        tf_maze_free(m);
        return e;
    }
    *out = m;
    return TF_OK;
}
