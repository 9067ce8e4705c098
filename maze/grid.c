/* grid.c: the maze grid (one byte per cell), prompt parsing and
 * writing, and the BFS optimum.
 *
 * Cells are stored row-major, index y * cols + x, as bytes (0 open, 1 wall):
 * the verifier and the generators touch cells far more often than they
 * allocate grids, and a byte is cheaper to address than a bit, while
 * TF_MAZE_MAX_CELLS (4 Mi) keeps the array at 4 MiB at most.
 */
#include "tracefarm/maze.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tf_maze {
    int rows, cols;
    int sx, sy; /* start */
    int gx, gy; /* goal */
    unsigned char *cells;
};

/* Allocate an open grid. The side and cell caps are checked here, before
 * any allocation, so a hostile "rows" field can never size the array. */
tf_err tf_maze_create(int rows, int cols, tf_maze **out)
{
    *out = NULL;
    if (rows < 1 || cols < 1 || rows > TF_MAZE_MAX_SIDE || cols > TF_MAZE_MAX_SIDE)
        return TF_ERR_PARSE;
    if ((long)rows * (long)cols > TF_MAZE_MAX_CELLS)
        return TF_ERR_PARSE;
    tf_maze *m = calloc(1, sizeof *m);
    if (!m)
        return TF_ERR_NOMEM;
    m->cells = calloc((size_t)rows * (size_t)cols, 1);
    if (!m->cells) {
        free(m);
        return TF_ERR_NOMEM;
    }
    m->rows = rows;
    m->cols = cols;
    m->sx = 0;
    m->sy = 0;
    m->gx = cols - 1;
    m->gy = rows - 1;
    *out = m;
    return TF_OK;
}

/* Free a grid; NULL is a no-op so error paths can free unconditionally. */
void tf_maze_free(tf_maze *m)
{
    if (!m)
        return;
    free(m->cells);
    free(m);
}

/* Plain accessors. */
int tf_maze_rows(const tf_maze *m)
{
    return m->rows;
}

int tf_maze_cols(const tf_maze *m)
{
    return m->cols;
}

/* Coordinates arrive as long because the verifier parses model text that
 * may hold any number; the comparison must not overflow an int first. */
bool tf_maze_in_grid(const tf_maze *m, long x, long y)
{
    return x >= 0 && y >= 0 && x < m->cols && y < m->rows;
}

/* Off-grid cells are not walls: callers check in_grid separately, so the
 * two errors (invalid_coordinates, create_close_wall) stay distinct. */
bool tf_maze_is_wall(const tf_maze *m, int x, int y)
{
    if (!tf_maze_in_grid(m, x, y))
        return false;
    return m->cells[(size_t)y * (size_t)m->cols + (size_t)x] != 0;
}

/* Off-grid writes are ignored rather than trusted: the grid is the one
 * array every other check relies on. */
void tf_maze_set_wall(tf_maze *m, int x, int y, bool wall)
{
    if (!tf_maze_in_grid(m, x, y))
        return;
    m->cells[(size_t)y * (size_t)m->cols + (size_t)x] = wall ? 1 : 0;
}

void tf_maze_start(const tf_maze *m, int *x, int *y)
{
    *x = m->sx;
    *y = m->sy;
}

void tf_maze_goal(const tf_maze *m, int *x, int *y)
{
    *x = m->gx;
    *y = m->gy;
}

void tf_maze_set_start(tf_maze *m, int x, int y)
{
    m->sx = x;
    m->sy = y;
}

void tf_maze_set_goal(tf_maze *m, int x, int y)
{
    m->gx = x;
    m->gy = y;
}

/* ----- prompt ----------------------------------------------------------- */

/* A whitespace-delimited token of the prompt text. */
typedef struct tok {
    const char *p;
    size_t n;
} tok;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Advance *pos to the next token; false at the end of the text. */
static bool next_tok(const char *s, size_t len, size_t *pos, tok *t)
{
    size_t i = *pos;
    while (i < len && is_space(s[i]))
        i++;
    if (i >= len)
        return false;
    size_t b = i;
    while (i < len && !is_space(s[i]) && s[i] != '\0')
        i++;
    if (i == b) /* an embedded NUL: treat it as the end of the text */
        return false;
    t->p = s + b;
    t->n = i - b;
    *pos = i;
    return true;
}

static bool tok_is(const tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->n == n && memcmp(t->p, w, n) == 0;
}

/* Parse an integer token: an optional '-' then decimal digits, nothing
 * else. Values beyond long saturate with *overflow set, so the caller can
 * report "off the grid" instead of a misleading syntax error. */
static bool tok_long(const tok *t, long *v, bool *overflow)
{
    char tmp[32];
    *overflow = false;
    size_t i = 0;
    if (t->n > 0 && t->p[0] == '-')
        i = 1;
    if (i >= t->n)
        return false;
    for (size_t k = i; k < t->n; k++)
        if (t->p[k] < '0' || t->p[k] > '9')
            return false;
    if (t->n >= sizeof tmp) {
        *overflow = true;
        *v = t->p[0] == '-' ? LONG_MIN : LONG_MAX;
        return true;
    }
    memcpy(tmp, t->p, t->n);
    tmp[t->n] = '\0';
    errno = 0;
    *v = strtol(tmp, NULL, 10);
    if (errno == ERANGE)
        *overflow = true;
    return true;
}

/* Show at most 40 bytes of a token in a message. */
static int tok_show(const tok *t)
{
    return t->n > 40 ? 40 : (int)t->n;
}

/* Parse "[query] (start x y | goal x y | wall x y)* [reasoning ...]".
 * Every problem is reported with its 1-based token position, so a bad
 * record in a corpus of millions can be found by eye. Duplicate walls are
 * harmless and accepted; a second start or goal is ambiguous and is not. */
tf_err tf_maze_parse_prompt(const char *text, size_t len, int rows, int cols, tf_maze **out,
                            tf_diag *d)
{
    *out = NULL;
    tf_maze *m = NULL;
    tf_err e = tf_maze_create(rows, cols, &m);
    if (e == TF_ERR_PARSE) {
        tf_diag_set(d, "grid %dx%d is outside 1..%d per side or %ld cells", rows, cols,
                    TF_MAZE_MAX_SIDE, (long)TF_MAZE_MAX_CELLS);
        return e;
    }
    if (e != TF_OK) {
        tf_diag_set(d, "cannot allocate a %dx%d grid", rows, cols);
        return e;
    }
    if (!text)
        len = 0;
    size_t pos = 0;
    long ti = 0; /* 1-based index of the current token */
    bool have_start = false, have_goal = false;
    long start_tok = 0, goal_tok = 0;
    tok t;
    while (next_tok(text, len, &pos, &t)) {
        ti++;
        if (tok_is(&t, "reasoning"))
            break;
        if (ti == 1 && tok_is(&t, "query"))
            continue;
        int kind; /* 0 start, 1 goal, 2 wall */
        if (tok_is(&t, "start"))
            kind = 0;
        else if (tok_is(&t, "goal"))
            kind = 1;
        else if (tok_is(&t, "wall"))
            kind = 2;
        else {
            tf_diag_set(d, "token %ld: expected start, goal or wall, got \"%.*s\"", ti,
                        tok_show(&t), t.p);
            goto bad;
        }
        static const char *const names[] = {"start", "goal", "wall"};
        long kw_tok = ti;
        long xy[2];
        for (int k = 0; k < 2; k++) {
            tok c;
            if (!next_tok(text, len, &pos, &c)) {
                tf_diag_set(d, "token %ld: %s is missing its %s coordinate at the end of the text",
                            kw_tok, names[kind], k == 0 ? "x" : "y");
                goto bad;
            }
            ti++;
            bool ovf;
            if (!tok_long(&c, &xy[k], &ovf)) {
                tf_diag_set(d, "token %ld: %s %s coordinate \"%.*s\" is not an integer", ti,
                            names[kind], k == 0 ? "x" : "y", tok_show(&c), c.p);
                goto bad;
            }
            if (ovf) {
                tf_diag_set(d, "token %ld: %s %s coordinate \"%.*s\" is off the %dx%d grid", ti,
                            names[kind], k == 0 ? "x" : "y", tok_show(&c), c.p, rows, cols);
                goto bad;
            }
        }
        if (!tf_maze_in_grid(m, xy[0], xy[1])) {
            tf_diag_set(d, "token %ld: %s %ld %ld is off the %dx%d grid", kw_tok, names[kind],
                        xy[0], xy[1], rows, cols);
            goto bad;
        }
        int x = (int)xy[0], y = (int)xy[1];
        if (kind == 0) {
            if (have_start) {
                tf_diag_set(d, "token %ld: a second start (first at token %ld)", kw_tok, start_tok);
                goto bad;
            }
            have_start = true;
            start_tok = kw_tok;
            tf_maze_set_start(m, x, y);
        } else if (kind == 1) {
            if (have_goal) {
                tf_diag_set(d, "token %ld: a second goal (first at token %ld)", kw_tok, goal_tok);
                goto bad;
            }
            have_goal = true;
            goal_tok = kw_tok;
            tf_maze_set_goal(m, x, y);
        } else {
            tf_maze_set_wall(m, x, y, true);
        }
    }
    if (!have_start) {
        tf_diag_set(d, "the prompt has no start");
        goto bad;
    }
    if (!have_goal) {
        tf_diag_set(d, "the prompt has no goal");
        goto bad;
    }
    /* Walls may be listed before or after start/goal, so these checks wait
     * until the whole prompt is read. */
    if (tf_maze_is_wall(m, m->sx, m->sy)) {
        tf_diag_set(d, "token %ld: start %d %d is on a wall", start_tok, m->sx, m->sy);
        goto bad;
    }
    if (tf_maze_is_wall(m, m->gx, m->gy)) {
        tf_diag_set(d, "token %ld: goal %d %d is on a wall", goal_tok, m->gx, m->gy);
        goto bad;
    }
    *out = m;
    return TF_OK;
bad:
    tf_maze_free(m);
    return TF_ERR_PARSE;
}

/* Write the canonical prompt. Walls go in row-major order so the same grid
 * always gives the same bytes (generator determinism depends on it). */
tf_err tf_maze_write_prompt(const tf_maze *m, tf_maze_dialect d, tf_buf *out)
{
    tf_err e;
    if (d == TF_MAZE_BEYOND) {
        e = tf_buf_puts(out, "query ");
        if (e != TF_OK)
            return e;
    }
    e = tf_buf_printf(out, "start %d %d goal %d %d", m->sx, m->sy, m->gx, m->gy);
    if (e != TF_OK)
        return e;
    for (int y = 0; y < m->rows; y++)
        for (int x = 0; x < m->cols; x++)
            if (m->cells[(size_t)y * (size_t)m->cols + (size_t)x]) {
                e = tf_buf_printf(out, " wall %d %d", x, y);
                if (e != TF_OK)
                    return e;
            }
    return TF_OK;
}

/* Breadth-first search from the start; the distance in moves plus one is
 * the plan length in cells. A start or goal off the grid or on a wall is
 * unsolvable (0). Allocation failure also returns 0: the function has no
 * error channel, and callers treat 0 as "no optimum known". */
long tf_maze_optimal_plan_len(const tf_maze *m)
{
    if (!tf_maze_in_grid(m, m->sx, m->sy) || !tf_maze_in_grid(m, m->gx, m->gy))
        return 0;
    if (tf_maze_is_wall(m, m->sx, m->sy) || tf_maze_is_wall(m, m->gx, m->gy))
        return 0;
    size_t n = (size_t)m->rows * (size_t)m->cols;
    int32_t *dist = malloc(n * sizeof *dist);
    int32_t *queue = malloc(n * sizeof *queue);
    if (!dist || !queue) {
        free(dist);
        free(queue);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        dist[i] = -1;
    size_t cols = (size_t)m->cols;
    int32_t s = (int32_t)((size_t)m->sy * cols + (size_t)m->sx);
    int32_t g = (int32_t)((size_t)m->gy * cols + (size_t)m->gx);
    size_t head = 0, tail = 0;
    dist[s] = 0;
    queue[tail++] = s;
    long result = 0;
    while (head < tail) {
        int32_t c = queue[head++];
        if (c == g) {
            result = (long)dist[c] + 1;
            break;
        }
        int x = (int)((size_t)c % cols), y = (int)((size_t)c / cols);
        static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int k = 0; k < 4; k++) {
            int nx = x + dx[k], ny = y + dy[k];
            if (!tf_maze_in_grid(m, nx, ny))
                continue;
            int32_t ni = (int32_t)((size_t)ny * cols + (size_t)nx);
            if (m->cells[ni] || dist[ni] >= 0)
                continue;
            dist[ni] = dist[c] + 1;
            queue[tail++] = ni;
        }
    }
    free(dist);
    free(queue);
    return result;
}
