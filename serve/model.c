/* model.c: the synthetic maze "model" behind tracefarm serve.
 *
 * A pure function of (options, prompt, sample seed): find the maze in the
 * prompt, run the farm's A* with a variant drawn from the seed (all
 * variants are correct A*, so traces vary as real models' do and the
 * strict verdict accepts every one), then apply the flaws the options ask
 * for, each with a probability drawn from the same seed. The corruptions
 * themselves are the generator's (tf_maze_corrupt), so their detectability
 * is the one docs/gen.md argues for.
 */
#include "tracefarm/rng.h"
#include "tracefarm/serve.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SALT_MODEL UINT64_C(0x6d6f64656c) /* "model" */
#define SALT_SWAP UINT64_C(0x73776170)    /* "swap" */
#define SALT_NOISE UINT64_C(0x6e6f697365) /* "noise" */
#define SALT_STEP UINT64_C(0x73746570)    /* "step" */
#define SALT_PLAN UINT64_C(0x706c616e)    /* "plan" */
#define MASK53 ((UINT64_C(1) << 53) - 1)

/* Mode names, indexed by tf_serve_mode. */
static const char *const mode_names[TF_SERVE_MODE_COUNT] = {
    "correct", "invalid_step", "swap", "length_noise", "unparseable", "unsolvable"};

const char *tf_serve_mode_name(tf_serve_mode m)
{
    return (int)m >= 0 && m < TF_SERVE_MODE_COUNT ? mode_names[m] : NULL;
}

/* ----- prompt ------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Next whitespace-delimited token at or after *pos; false at the end. */
static bool next_tok(const char *s, size_t len, size_t *pos, size_t *b, size_t *n)
{
    size_t i = *pos;
    while (i < len && is_space(s[i]))
        i++;
    if (i >= len)
        return false;
    *b = i;
    while (i < len && !is_space(s[i]))
        i++;
    *n = i - *b;
    *pos = i;
    return true;
}

static bool tok_eq(const char *s, size_t b, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(s + b, w, n) == 0;
}

/* Offset of the first token "query" or "start" (the maze problem), or
 * len when there is none. */
static size_t problem_start(const char *s, size_t len, bool *beyond)
{
    size_t pos = 0, b, n;
    while (next_tok(s, len, &pos, &b, &n)) {
        if (tok_eq(s, b, n, "query") || tok_eq(s, b, n, "start")) {
            *beyond = s[b] == 'q';
            return b;
        }
    }
    return len;
}

/* A small non-negative decimal integer token, else -1. */
static long tok_coord(const char *s, size_t b, size_t n)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[b + i] < '0' || s[b + i] > '9')
            return -1;
        v = v * 10 + (s[b + i] - '0');
    }
    return v;
}

/* The prompt's extent: largest x + 1 and largest y + 1 over start, goal
 * and walls (up to "reasoning"). Garbled coordinates are skipped here;
 * tf_maze_parse_prompt reports them. Values are clamped to one past the
 * side cap so that the parser, not this scan, rejects a huge grid. */
static void prompt_extent(const char *s, size_t len, int *rows, int *cols)
{
    long mx = 0, my = 0;
    size_t pos = 0, b, n;
    while (next_tok(s, len, &pos, &b, &n)) {
        if (tok_eq(s, b, n, "reasoning"))
            break;
        if (!tok_eq(s, b, n, "start") && !tok_eq(s, b, n, "goal") && !tok_eq(s, b, n, "wall"))
            continue;
        size_t bx, nx, by, ny;
        if (!next_tok(s, len, &pos, &bx, &nx) || !next_tok(s, len, &pos, &by, &ny))
            break;
        long x = tok_coord(s, bx, nx), y = tok_coord(s, by, ny);
        if (x + 1 > mx)
            mx = x + 1;
        if (y + 1 > my)
            my = y + 1;
    }
    if (mx > TF_MAZE_MAX_SIDE)
        mx = TF_MAZE_MAX_SIDE + 1;
    if (my > TF_MAZE_MAX_SIDE)
        my = TF_MAZE_MAX_SIDE + 1;
    *rows = my > 0 ? (int)my : 1;
    *cols = mx > 0 ? (int)mx : 1;
}

/* Append msg with every byte outside printable ASCII replaced by '?', so
 * an honest refusal never carries invalid UTF-8 into the JSON answer. */
static tf_err put_sanitized(tf_buf *out, const char *msg)
{
    for (const char *p = msg; *p; p++) {
        char c = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
        tf_err e = tf_buf_append(out, &c, 1);
        if (e != TF_OK)
            return e;
    }
    return TF_OK;
}

/* ----- variants and flaws ------------------------------------------------- */

/* The k-th (0..23) permutation of {0,1,2,3} (Lehmer code). */
static void permutation(unsigned k, int order[4])
{
    int pool[4] = {0, 1, 2, 3};
    int left = 4;
    for (int i = 0; i < 4; i++) {
        unsigned f = 1;
        for (int j = 2; j < left; j++)
            f *= (unsigned)j;
        unsigned idx = k / f;
        k %= f;
        order[i] = pool[idx];
        for (int j = (int)idx; j < left - 1; j++)
            pool[j] = pool[j + 1];
        left--;
    }
}

/* Offset of the plan part of an answer: the first token "plan"
 * (searchformer) or "solution" (beyond); len when absent. */
static size_t plan_offset(const char *s, size_t len, tf_maze_dialect d)
{
    size_t pos = 0, b, n;
    const char *w = d == TF_MAZE_BEYOND ? "solution" : "plan";
    while (next_tok(s, len, &pos, &b, &n))
        if (tok_eq(s, b, n, w))
            return b;
    return len;
}

/* Replace cur by corruption c of it; TF_ERR_PARSE (cur unchanged) when the
 * output has no place for c. */
static tf_err apply(const tf_maze *m, tf_maze_dialect d, tf_maze_corruption c,
                    const tf_maze_corrupt_opts *co, tf_buf *cur)
{
    tf_buf next;
    tf_buf_init(&next, cur->limit);
    tf_err e = tf_maze_corrupt(m, d, c, co, cur->data ? cur->data : "", &next, NULL);
    if (e == TF_OK) {
        tf_buf_free(cur);
        *cur = next;
    } else {
        tf_buf_free(&next);
    }
    return e;
}

/* Swap the trace for that of another maze: of the same size (swap) or of a
 * random size (length noise), of a generator kind drawn from the stream;
 * a kind that cannot make the size gives way to the next one. */
static tf_err swap_trace(const tf_maze *m, tf_maze_dialect d, tf_rng *r, bool noisy, uint64_t seed,
                         tf_buf *cur)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    int k0 = (int)tf_rng_below(r, TF_MAZE_GEN_COUNT);
    int orows = 0, ocols = 0;
    uint64_t stream = tf_rng_next(r);
    if (noisy) {
        /* a side uniform in [2, 2 * side], clamped to the caps */
        long hr = 2L * rows, hc = 2L * cols;
        hr = hr > TF_MAZE_MAX_SIDE ? TF_MAZE_MAX_SIDE : (hr < 2 ? 2 : hr);
        hc = hc > TF_MAZE_MAX_SIDE ? TF_MAZE_MAX_SIDE : (hc < 2 ? 2 : hc);
        orows = 2 + (int)tf_rng_below(r, (uint64_t)(hr - 1));
        ocols = 2 + (int)tf_rng_below(r, (uint64_t)(hc - 1));
        while ((long)orows * ocols > TF_MAZE_MAX_CELLS)
            orows /= 2;
    }
    tf_err e = TF_ERR_PARSE;
    for (int i = 0; i < TF_MAZE_GEN_COUNT && e == TF_ERR_PARSE; i++) {
        tf_maze_corrupt_opts co = {(tf_maze_gen)((k0 + i) % TF_MAZE_GEN_COUNT),
                                   0.5,
                                   tf_mix64(seed ^ (noisy ? SALT_NOISE : SALT_SWAP)) & MASK53,
                                   orows,
                                   ocols,
                                   stream};
        e = apply(m, d, TF_MAZE_CORRUPT_SWAPPED, &co, cur);
    }
    return e;
}

/* One altered step: a corruption among g, h, coord, drop and duplicate
 * drawn from the stream; when the output has no place for it (tiny
 * grids), the next one in that order is tried. *used gets the one
 * applied; TF_ERR_PARSE if none fits. */
static tf_err alter_step(const tf_maze *m, tf_maze_dialect d, tf_rng *r, tf_buf *cur,
                         tf_maze_corruption *used)
{
    static const tf_maze_corruption kinds[5] = {TF_MAZE_CORRUPT_G, TF_MAZE_CORRUPT_H,
                                                TF_MAZE_CORRUPT_COORD, TF_MAZE_CORRUPT_DROP,
                                                TF_MAZE_CORRUPT_DUPLICATE};
    int k0 = (int)tf_rng_below(r, 5);
    tf_maze_corrupt_opts co = {TF_MAZE_GEN_WILSON, 0.5, 0, 0, 0, tf_rng_next(r)};
    tf_err e = TF_ERR_PARSE;
    for (int i = 0; i < 5 && e == TF_ERR_PARSE; i++) {
        *used = kinds[(k0 + i) % 5];
        e = apply(m, d, *used, &co, cur);
    }
    return e;
}

/* ----- the model ---------------------------------------------------------- */

/* See serve.h. The stream is drawn in a fixed order (variant, the four
 * rates, then each flaw's own sub-stream seed) so that changing one rate
 * never changes the other choices of a sample. */
tf_err tf_serve_model_answer(const tf_serve_model_opts *o, const char *prompt, size_t len,
                             uint64_t seed, tf_buf *out, tf_serve_answer_info *info)
{
    memset(info, 0, sizeof *info);
    info->variant = tf_astar_default();
    size_t start0 = out->len;
    bool beyond = false;
    size_t at = prompt ? problem_start(prompt, len, &beyond) : 0;
    tf_maze_dialect d = beyond ? TF_MAZE_BEYOND : TF_MAZE_SEARCHFORMER;
    info->dialect = d;

    tf_maze *m = NULL;
    tf_diag diag = {{0}};
    tf_err e;
    if (!prompt || at >= len) {
        tf_diag_set(&diag, "the prompt has no \"start\" or \"query\"");
        e = TF_ERR_PARSE;
    } else {
        int rows = o->rows, cols = o->cols, er, ec;
        prompt_extent(prompt + at, len - at, &er, &ec);
        if (rows <= 0)
            rows = er;
        if (cols <= 0)
            cols = ec;
        e = tf_maze_parse_prompt(prompt + at, len - at, rows, cols, &m, &diag);
    }
    if (e == TF_ERR_PARSE) {
        info->mode = TF_SERVE_UNPARSEABLE;
        if ((e = tf_buf_puts(out, "I cannot parse this maze: ")) == TF_OK &&
            (e = put_sanitized(out, diag.msg)) == TF_OK)
            e = tf_buf_puts(out, ".");
        info->plan_at = out->len - start0;
        return e;
    }
    if (e != TF_OK)
        return e;

    tf_rng r = {tf_mix64(seed ^ SALT_MODEL)};
    tf_astar_opts v;
    permutation((unsigned)tf_rng_below(&r, 24), v.order);
    v.tie = (tf_astar_tie)tf_rng_below(&r, 4);
    v.create_always = tf_rng_below(&r, 2) != 0;
    info->variant = v;
    double u_swap = tf_rng_unit(&r), u_noise = tf_rng_unit(&r), u_step = tf_rng_unit(&r),
           u_plan = tf_rng_unit(&r);
    tf_rng r_swap = {tf_rng_next(&r)}, r_noise = {tf_rng_next(&r)}, r_step = {tf_rng_next(&r)},
           r_plan = {tf_rng_next(&r)};

    tf_buf cur;
    tf_buf_init(&cur, out->limit);
    long ops, plan_len;
    e = tf_maze_astar(m, &v, d, &cur, &ops, &plan_len);
    if (e == TF_ERR_PARSE) {
        info->mode = TF_SERVE_UNSOLVABLE;
        e = tf_buf_puts(out, "I cannot solve this maze: there is no path from the start to the "
                             "goal.");
        info->plan_at = out->len - start0;
        goto done;
    }
    if (e != TF_OK)
        goto done;

    info->mode = TF_SERVE_CORRECT;
    info->corruption = TF_MAZE_CORRUPT_NONE;
    if (u_swap < o->swap_rate) {
        e = swap_trace(m, d, &r_swap, false, seed, &cur);
        if (e == TF_OK) {
            info->mode = TF_SERVE_SWAP;
            info->corruption = TF_MAZE_CORRUPT_SWAPPED;
        }
    } else if (u_noise < o->length_noise_rate) {
        e = swap_trace(m, d, &r_noise, true, seed, &cur);
        if (e == TF_OK) {
            info->mode = TF_SERVE_LENGTH_NOISE;
            info->corruption = TF_MAZE_CORRUPT_SWAPPED;
        }
    } else if (u_step < o->invalid_step_rate) {
        tf_maze_corruption used;
        e = alter_step(m, d, &r_step, &cur, &used);
        if (e == TF_OK) {
            info->mode = TF_SERVE_INVALID_STEP;
            info->corruption = used;
        }
    }
    if (e == TF_ERR_PARSE) /* no place for the flaw: the output stays correct */
        e = TF_OK;
    if (e == TF_OK && u_plan < o->wrong_plan_rate) {
        tf_maze_corrupt_opts co = {TF_MAZE_GEN_WILSON, 0.5, 0, 0, 0, tf_rng_next(&r_plan)};
        e = apply(m, d, TF_MAZE_CORRUPT_WRONG_PLAN, &co, &cur);
        if (e == TF_OK)
            info->wrong_plan = true;
        else if (e == TF_ERR_PARSE)
            e = TF_OK;
    }
    if (e == TF_OK)
        e = tf_buf_append(out, cur.data ? cur.data : "", cur.len);
    if (e == TF_OK)
        info->plan_at = plan_offset(out->data + start0, out->len - start0, d);
done:
    tf_buf_free(&cur);
    tf_maze_free(m);
    return e;
}
