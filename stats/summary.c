/* summary.c: the summary of a merged state: rates with Wilson intervals,
 * distributions, correlations, bins (docs/statistics.md). Computed once,
 * on rank 0, in one fixed order. */
#include "stats_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The normal quantile of the 95 % intervals: scipy.stats.norm.ppf(0.975). */
#define Z95 1.959963984540054L

/* x, with -0 turned into 0 (JSON readers would keep the sign). */
static double no_neg_zero(double x)
{
    return x == 0 ? 0.0 : x;
}

/* Add a number, or null when undefined or not finite; never -0. */
static int add_num(cJSON *o, const char *k, long double v, int defined)
{
    if (!defined || !isfinite(v))
        return cJSON_AddNullToObject(o, k) != NULL;
    return cJSON_AddNumberToObject(o, k, no_neg_zero((double)v)) != NULL;
}

/* [lo, hi] or null. */
static int add_interval(cJSON *o, const char *k, long double lo, long double hi, int defined)
{
    if (!defined || !isfinite(lo) || !isfinite(hi))
        return cJSON_AddNullToObject(o, k) != NULL;
    double v[2] = {no_neg_zero((double)lo), no_neg_zero((double)hi)};
    return cJSON_AddItemToObject(o, k, cJSON_CreateDoubleArray(v, 2));
}

/* {"count": n, "rate": n/den or null, "ci95": Wilson interval or null}. */
static cJSON *rate(uint64_t n, uint64_t den)
{
    cJSON *o = cJSON_CreateObject();
    long double lo = 0, hi = 0;
    if (den)
        tf_wilson(n, den, Z95, &lo, &hi);
    if (!o || !tf_json_add_u64(o, "count", n) ||
        !add_num(o, "rate", den ? (long double)n / (long double)den : 0, den != 0) ||
        !add_interval(o, "ci95", lo, hi, den != 0)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ----- keys that name the answer ---------------------------------------- */

/* The summary keys that name the domain's answer, built from the
 * configuration's answer_noun (for "plan": "plan_valid", "plan_x_trace",
 * "valid_plan_valid_trace", ...), so that each domain's summary says its
 * own word while states and the code stay neutral. Owned; cJSON copies
 * the keys it is given. */
typedef struct answer_keys {
    char *valid;             /* NOUN_valid */
    char *optimal;           /* NOUN_optimal */
    char *x_trace;           /* NOUN_x_trace */
    char *x_trace_strict;    /* NOUN_x_trace_strict */
    char *cell[2][2];        /* [answer valid][trace valid]: (in)valid_NOUN_(in)valid_trace */
    char *valid_trace_valid; /* valid_NOUN_trace_valid (length bins) */
} answer_keys;

/* pre NOUN post, or NULL when memory is short. */
static char *noun_key(const char *pre, const char *noun, const char *post)
{
    size_t n = strlen(pre) + strlen(noun) + strlen(post) + 1;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s%s", pre, noun, post);
    return k;
}

static void answer_keys_free(answer_keys *k)
{
    free(k->valid);
    free(k->optimal);
    free(k->x_trace);
    free(k->x_trace_strict);
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++)
            free(k->cell[p][t]);
    free(k->valid_trace_valid);
}

/* Build the keys for noun; 0 (nothing to free) when memory is short. */
static int answer_keys_make(answer_keys *k, const char *noun)
{
    k->valid = noun_key("", noun, "_valid");
    k->optimal = noun_key("", noun, "_optimal");
    k->x_trace = noun_key("", noun, "_x_trace");
    k->x_trace_strict = noun_key("", noun, "_x_trace_strict");
    int ok = k->valid && k->optimal && k->x_trace && k->x_trace_strict;
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++) {
            k->cell[p][t] =
                noun_key(p ? "valid_" : "invalid_", noun, t ? "_valid_trace" : "_invalid_trace");
            ok = ok && k->cell[p][t];
        }
    k->valid_trace_valid = noun_key("valid_", noun, "_trace_valid");
    if (ok && k->valid_trace_valid)
        return 1;
    answer_keys_free(k);
    return 0;
}

/* ----- figures ---------------------------------------------------------- */

static cJSON *cells_rates(const uint64_t c[2][2], uint64_t den, const answer_keys *ak)
{
    cJSON *o = cJSON_CreateObject();
    for (int p = 1; o && p >= 0; p--)
        for (int t = 1; t >= 0; t--)
            if (!cJSON_AddItemToObject(o, ak->cell[p][t], rate(c[p][t], den))) {
                cJSON_Delete(o);
                return NULL;
            }
    return o;
}

/* Mean of n values summing to s. */
static long double mean_of(tf_u128 s, uint64_t n)
{
    return (long double)s / (long double)n;
}

/* {n, mean, sd, min, max, p10, p25, median, p75, p90}: moments from m,
 * quantiles from the value-count array v (NULL: the table overflowed). */
static cJSON *describe(const mom1 *m, const tf_vc *v, size_t k)
{
    static const char *const qk[] = {"p10", "p25", "median", "p75", "p90"};
    static const unsigned qh[] = {10, 25, 50, 75, 90};
    cJSON *o = cJSON_CreateObject();
    uint64_t n = m->n;
    int sg = 0;
    long double var = 0;
    if (n >= 2)
        var = tf_comoment(n, m->s, m->s, tf_u256_of(m->ss), &sg) / ((long double)n * (n - 1));
    int ok =
        o && tf_json_add_u64(o, "n", n) && add_num(o, "mean", n ? mean_of(m->s, n) : 0, n > 0) &&
        add_num(o, "sd", sqrtl(var), n >= 2) && add_num(o, "min", (long double)m->min, n > 0) &&
        add_num(o, "max", (long double)m->max, n > 0);
    for (int i = 0; ok && i < 5; i++)
        ok = add_num(o, qk[i], n && v ? tf_quantile(v, k, n, qh[i]) : 0, n > 0 && v != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Fisher-z 95 % interval of a correlation r from n pairs: n > 3; |r| = 1
 * gives [r, r]. */
static int add_fisher(cJSON *o, const char *k, long double r, uint64_t n, int defined)
{
    long double lo = r, hi = r;
    if (defined && n > 3 && fabsl(r) < 1) {
        long double z = atanhl(r), se = 1.0L / sqrtl((long double)(n - 3));
        lo = tanhl(z - Z95 * se);
        hi = tanhl(z + Z95 * se);
    }
    return add_interval(o, k, lo, hi, defined && n > 3);
}

static int cmp_vc(const void *a, const void *b)
{
    uint64_t x = ((const tf_vc *)a)->v, y = ((const tf_vc *)b)->v;
    return (x > y) - (x < y);
}

/* Sort v (k entries) by value and merge equal values; returns the new k. */
static size_t vc_compact(tf_vc *v, size_t k)
{
    if (k == 0)
        return 0;
    qsort(v, k, sizeof *v, cmp_vc);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && v[m - 1].v == v[i].v)
            v[m - 1].c += v[i].c;
        else
            v[m++] = v[i];
    }
    return m;
}

/* Bin edges: explicit, or the deciles of the distribution v (k values, n
 * items) with repeated edges removed. Writes *ne edges (0 when n == 0). */
static void make_edges(const tf_stats_bins *b, const tf_vc *v, size_t k, uint64_t n,
                       long double *edges, size_t *ne)
{
    *ne = 0;
    if (!b->deciles) {
        for (size_t i = 0; i < b->nedges; i++)
            edges[(*ne)++] = b->edges[i];
        return;
    }
    if (n == 0)
        return;
    for (unsigned h = 0; h <= 100; h += 10) {
        long double e = tf_quantile(v, k, n, h);
        if (*ne == 0 || e > edges[*ne - 1])
            edges[(*ne)++] = e;
    }
}

/* The bin of value x among ne edges: -1 below, ne - 1 above (with one
 * edge, everything equal to it is bin 0). Bins are [e_i, e_i+1), the last
 * one closed. */
static long bin_of(long double x, const long double *edges, size_t ne)
{
    if (ne == 1)
        return x == edges[0] ? 0 : x < edges[0] ? -1 : 1;
    if (x < edges[0])
        return -1;
    if (x > edges[ne - 1])
        return (long)ne - 1;
    if (x == edges[ne - 1])
        return (long)ne - 2;
    size_t lo = 0, hi = ne - 1; /* edges[lo] <= x < edges[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (edges[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

/* Per-bin accumulators. */
typedef struct binacc {
    uint64_t c[NPC]; /* summed pair counts */
    tf_u128 sy;      /* sum of lengths (complexity bins) */
    tf_vc *ys;       /* length distribution (complexity bins) */
    size_t nys;
} binacc;

/* The common head of a bins object: method, edges, below, above. */
static cJSON *bins_head(const tf_stats_bins *b, const long double *edges, size_t ne, uint64_t below,
                        uint64_t above)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ej = cJSON_CreateArray();
    for (size_t i = 0; ej && i < ne; i++)
        if (!cJSON_AddItemToArray(ej, cJSON_CreateNumber((double)edges[i]))) {
            cJSON_Delete(ej);
            ej = NULL;
        }
    if (!o || !ej || !cJSON_AddStringToObject(o, "method", b->deciles ? "deciles" : "edges") ||
        !cJSON_AddItemToObject(o, "edges", ej)) {
        if (o && !cJSON_GetObjectItemCaseSensitive(o, "edges"))
            cJSON_Delete(ej);
        cJSON_Delete(o);
        return NULL;
    }
    if (!tf_json_add_u64(o, "below", below) || !tf_json_add_u64(o, "above", above)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Complexity bins over the known pairs p[0..k) (sorted by x, then y). */
static cJSON *complexity_bins(const tf_stats_bins *b, const pent *p, size_t k, const tf_vc *cxv,
                              size_t ncx, uint64_t ncxn, const answer_keys *ak)
{
    long double edges[TF_STATS_MAX_EDGES > 11 ? TF_STATS_MAX_EDGES : 11];
    size_t ne;
    make_edges(b, cxv, ncx, ncxn, edges, &ne);
    size_t nb = ne > 1 ? ne - 1 : ne;
    binacc *acc = calloc(nb ? nb : 1, sizeof *acc);
    if (!acc)
        return NULL;
    uint64_t below = 0, above = 0;
    int ok = 1;
    for (size_t i = 0; ok && i < k; i++) {
        uint64_t x = p[i].key >> 32, y = p[i].key & 0xFFFFFFFFULL;
        long bi = ne ? bin_of((long double)x, edges, ne) : -1;
        if (bi < 0) {
            below += p[i].c[PC_N];
            continue;
        }
        if ((size_t)bi >= nb) {
            above += p[i].c[PC_N];
            continue;
        }
        binacc *a = &acc[bi];
        for (int c = 0; c < NPC; c++)
            a->c[c] += p[i].c[c];
        a->sy += (tf_u128)y * p[i].c[PC_N];
        tf_vc *nv = realloc(a->ys, (a->nys + 1) * sizeof *nv);
        if (!nv) {
            ok = 0;
            break;
        }
        a->ys = nv;
        a->ys[a->nys].v = y;
        a->ys[a->nys++].c = p[i].c[PC_N];
    }
    cJSON *o = ok ? bins_head(b, edges, ne, below, above) : NULL;
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    ok = arr != NULL;
    for (size_t i = 0; ok && i < nb; i++) {
        binacc *a = &acc[i];
        uint64_t n = a->c[PC_N];
        a->nys = vc_compact(a->ys, a->nys);
        cJSON *bj = cJSON_CreateObject();
        ok = bj && cJSON_AddItemToArray(arr, bj) && add_num(bj, "lo", edges[i], 1) &&
             add_num(bj, "hi", edges[ne > 1 ? i + 1 : i], 1) && tf_json_add_u64(bj, "n", n) &&
             add_num(bj, "mean_len", n ? mean_of(a->sy, n) : 0, n > 0) &&
             add_num(bj, "median_len", n ? tf_quantile(a->ys, a->nys, n, 50) : 0, n > 0) &&
             cJSON_AddItemToObject(bj, "trace_valid", rate(a->c[PC_TV], n)) &&
             cJSON_AddItemToObject(bj, ak->valid, rate(a->c[PC_AV], n));
    }
    for (size_t i = 0; i < nb; i++)
        free(acc[i].ys);
    free(acc);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Length bins over all pairs p[0..k) (any order). */
static cJSON *length_bins(const tf_stats_bins *b, const pent *p, size_t k, const tf_vc *lv,
                          size_t nl, uint64_t nln, const answer_keys *ak)
{
    long double edges[TF_STATS_MAX_EDGES > 11 ? TF_STATS_MAX_EDGES : 11];
    size_t ne;
    make_edges(b, lv, nl, nln, edges, &ne);
    size_t nb = ne > 1 ? ne - 1 : ne;
    binacc *acc = calloc(nb ? nb : 1, sizeof *acc);
    if (!acc)
        return NULL;
    uint64_t below = 0, above = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t y = p[i].key & 0xFFFFFFFFULL;
        long bi = ne ? bin_of((long double)y, edges, ne) : -1;
        if (bi < 0)
            below += p[i].c[PC_N];
        else if ((size_t)bi >= nb)
            above += p[i].c[PC_N];
        else
            for (int c = 0; c < NPC; c++)
                acc[bi].c[c] += p[i].c[c];
    }
    cJSON *o = bins_head(b, edges, ne, below, above);
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < nb; i++) {
        const uint64_t *c = acc[i].c;
        cJSON *bj = cJSON_CreateObject();
        ok = bj && cJSON_AddItemToArray(arr, bj) && add_num(bj, "lo", edges[i], 1) &&
             add_num(bj, "hi", edges[ne > 1 ? i + 1 : i], 1) && tf_json_add_u64(bj, "n", c[PC_N]) &&
             cJSON_AddItemToObject(bj, "trace_valid", rate(c[PC_TV], c[PC_N])) &&
             cJSON_AddItemToObject(bj, ak->valid, rate(c[PC_AV], c[PC_N])) &&
             cJSON_AddItemToObject(bj, ak->valid_trace_valid, rate(c[PC_AVTV], c[PC_AV]));
    }
    free(acc);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Length versus complexity: moments from g->lc, ranks from the known
 * pairs xy[0..k) (NULL: the table overflowed). */
static cJSON *lvc_json(const grp *g, const tf_xyc *xy, size_t k, int *oom)
{
    const mom2 *m = &g->lc;
    uint64_t n = m->n;
    int sxx = 0, syy = 0, sxy = 0;
    long double dxx = 0, dyy = 0, dxy = 0;
    if (n >= 2) {
        dxx = tf_comoment(n, m->sx, m->sx, tf_u256_of(m->sxx), &sxx);
        dyy = tf_comoment(n, m->sy, m->sy, tf_u256_of(m->syy), &syy);
        dxy = tf_comoment(n, m->sx, m->sy, tf_u256_of(m->sxy), &sxy);
        if (sxy < 0)
            dxy = -dxy;
    }
    int has_r = sxx > 0 && syy > 0, has_b = sxx > 0;
    long double r = has_r ? dxy / (sqrtl(dxx) * sqrtl(dyy)) : 0;
    if (r > 1)
        r = 1;
    if (r < -1)
        r = -1;
    long double slope = has_b ? dxy / dxx : 0;
    long double icept = has_b ? (mean_of(m->sy, n) - slope * mean_of(m->sx, n)) : 0;
    long double rho = 0, tau = 0;
    int has_rho = 0, has_tau = 0;
    if (xy) {
        has_rho = tf_spearman(xy, k, n, &rho);
        has_tau = tf_kendall_tau_b(xy, k, n, &tau);
        if (has_rho < 0 || has_tau < 0) {
            *oom = 1;
            return NULL;
        }
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !tf_json_add_u64(o, "n", n) || !add_num(o, "pearson", r, has_r) ||
        !add_fisher(o, "pearson_ci95", r, n, has_r) || !add_num(o, "spearman", rho, has_rho) ||
        !add_fisher(o, "spearman_ci95", rho, n, has_rho) ||
        !add_num(o, "kendall_tau_b", tau, has_tau) || !add_num(o, "ols_slope", slope, has_b) ||
        !add_num(o, "ols_intercept", icept, has_b) || !add_num(o, "r2", r * r, has_r)) {
        cJSON_Delete(o);
        *oom = 1;
        return NULL;
    }
    return o;
}

/* Where the first reference error falls, as a fraction of the trace. */
static cJSON *errpos_json(const grp *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    int ok = arr && tf_json_add_u64(o, "items", g->errpos_n) &&
             tf_json_add_u64(o, "empty_trace", g->errpos_empty);
    for (int i = 0; ok && i < g->nerrpos; i++) {
        cJSON *b = cJSON_CreateObject();
        ok = b && cJSON_AddItemToArray(arr, b) &&
             add_num(b, "lo", (long double)i / g->nerrpos, 1) &&
             add_num(b, "hi", (long double)(i + 1) / g->nerrpos, 1) &&
             tf_json_add_u64(b, "count", g->errpos[i]);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The endpoint figures of a group: counts, usage sums and, with prices,
 * the cost (docs/statistics.md). */
static cJSON *endpoint_json(const grp *g, const tf_stats_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (int i = 0; ok && i < EP_N; i++) {
        ok = tf_json_add_u64(o, tf_stats_ep_names[i], g->ep[i]);
        /* the failures by last status follow their total */
        if (ok && i == EP_FAILED)
            ok =
                cJSON_AddItemToObject(o, "fetch_failures_by_status", tf_hist_json(&g->fail_status));
    }
    if (ok && cfg->has_prices) {
        double p = (double)g->ep[EP_PROMPT] / 1e6 * cfg->price_prompt;
        double c = (double)g->ep[EP_COMPLETION] / 1e6 * cfg->price_completion;
        cJSON *cost = cJSON_AddObjectToObject(o, "cost");
        ok = cost && cJSON_AddNumberToObject(cost, "prompt", no_neg_zero(p)) &&
             cJSON_AddNumberToObject(cost, "completion", no_neg_zero(c)) &&
             cJSON_AddNumberToObject(cost, "total", no_neg_zero(p + c));
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "cost") != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The count of name in h (0 when absent). */
static uint64_t hist_count(const hist *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->e[i].name, name) == 0)
            return h->e[i].count;
    return 0;
}

/* The domain's flags: each declared one's rate over den, in declared order,
 * then any other name an item had, by name (docs/statistics.md). */
static cJSON *flags_json(const grp *g, const tf_stats_config *cfg, uint64_t den)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (size_t i = 0; ok && i < cfg->nflag_names; i++)
        ok = cJSON_AddItemToObject(o, cfg->flag_names[i],
                                   rate(hist_count(&g->flags, cfg->flag_names[i]), den));
    for (size_t i = 0; ok && i < g->flags.n; i++)
        if (!cJSON_GetObjectItemCaseSensitive(o, g->flags.e[i].name))
            ok = cJSON_AddItemToObject(o, g->flags.e[i].name, rate(g->flags.e[i].count, den));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The summary of one group. */
static cJSON *grp_summary(const grp *g, const tf_stats_config *cfg, const answer_keys *ak)
{
    size_t k = 0, kt = 0;
    pent *p = g->pairs.overflow ? NULL : tf_ptab_sorted(&g->pairs, &k);
    pent *tp = g->toks.overflow ? NULL : tf_ptab_sorted(&g->toks, &kt);
    if ((!p && k) || (!tp && kt)) {
        free(p);
        free(tp);
        return NULL;
    }
    int have = !g->pairs.overflow;
    /* known pairs come first (unknown complexity sorts last) */
    size_t kk = 0;
    while (kk < k && (p[kk].key >> 32) != X_NONE)
        kk++;
    tf_vc *lenv = malloc((k ? k : 1) * sizeof *lenv);
    tf_vc *cxv = malloc((kk ? kk : 1) * sizeof *cxv);
    tf_vc *tokv = malloc((kt ? kt : 1) * sizeof *tokv);
    tf_xyc *xy = malloc((kk ? kk : 1) * sizeof *xy);
    cJSON *o = NULL;
    int oom = 0;
    if (!lenv || !cxv || !tokv || !xy)
        goto out;
    for (size_t i = 0; i < k; i++) {
        lenv[i].v = p[i].key & 0xFFFFFFFFULL;
        lenv[i].c = p[i].c[PC_N];
    }
    size_t nlen = vc_compact(lenv, k);
    size_t ncx = 0;
    for (size_t i = 0; i < kk; i++) {
        uint64_t x = p[i].key >> 32;
        xy[i].x = x;
        xy[i].y = p[i].key & 0xFFFFFFFFULL;
        xy[i].c = p[i].c[PC_N];
        if (ncx && cxv[ncx - 1].v == x) {
            cxv[ncx - 1].c += xy[i].c;
        } else {
            cxv[ncx].v = x;
            cxv[ncx++].c = xy[i].c;
        }
    }
    for (size_t i = 0; i < kt; i++) {
        tokv[i].v = tp[i].key;
        tokv[i].c = tp[i].c[PC_N];
    }
    o = cJSON_CreateObject();
    uint64_t den = g->verified;
    int ok =
        o && tf_json_add_u64(o, "items", g->items) && tf_json_add_u64(o, "verified", g->verified) &&
        tf_json_add_u64(o, "item_errors", g->items - g->verified) &&
        cJSON_AddItemToObject(o, ak->valid, rate(g->answer_valid, den)) &&
        cJSON_AddItemToObject(o, ak->optimal, rate(g->answer_optimal, den)) &&
        cJSON_AddItemToObject(o, "trace_valid", rate(g->trace_valid, den)) &&
        cJSON_AddItemToObject(o, "trace_valid_strict", rate(g->trace_valid_strict, den)) &&
        cJSON_AddItemToObject(o, ak->x_trace, cells_rates(g->cell, den, ak)) &&
        cJSON_AddItemToObject(o, ak->x_trace_strict, cells_rates(g->cell_strict, den, ak)) &&
        (!cfg->answer_false_trace ||
         cJSON_AddItemToObject(o, cfg->answer_false_trace, rate(g->cell[1][0], den))) &&
        ((!cfg->nflag_names && !g->flags.n) ||
         cJSON_AddItemToObject(o, "flags", flags_json(g, cfg, den))) &&
        cJSON_AddItemToObject(o, "trace_len", describe(&g->len, have ? lenv : NULL, nlen)) &&
        cJSON_AddItemToObject(o, "complexity", describe(&g->cx, have ? cxv : NULL, ncx)) &&
        cJSON_AddItemToObject(o, "tokens", describe(&g->tok, g->toks.overflow ? NULL : tokv, kt));
    if (ok) {
        cJSON *l = lvc_json(g, have ? xy : NULL, kk, &oom);
        ok = l && cJSON_AddItemToObject(o, "length_vs_complexity", l);
    }
    if (ok)
        ok = have ? cJSON_AddItemToObject(
                        o, "complexity_bins",
                        complexity_bins(&cfg->complexity_bins, p, kk, cxv, ncx, g->cx.n, ak)) &&
                        cJSON_AddItemToObject(
                            o, "length_bins",
                            length_bins(&cfg->length_bins, p, k, lenv, nlen, g->len.n, ak))
                  : cJSON_AddNullToObject(o, "complexity_bins") &&
                        cJSON_AddNullToObject(o, "length_bins");
    ok = ok && cJSON_AddItemToObject(o, "first_error", tf_hist_json(&g->first_error)) &&
         cJSON_AddItemToObject(o, "strict_first_error", tf_hist_json(&g->strict_first_error)) &&
         cJSON_AddItemToObject(o, "first_error_position", errpos_json(g)) &&
         cJSON_AddItemToObject(o, "item_error_kinds", tf_hist_json(&g->errors));
    if (ok && cfg->endpoint)
        ok = cJSON_AddItemToObject(o, "endpoint", endpoint_json(g, cfg));
    cJSON *t = ok ? cJSON_AddObjectToObject(o, "tables") : NULL;
    ok = t && tf_json_add_u64(t, "pairs", g->pairs.n) &&
         cJSON_AddBoolToObject(t, "pairs_overflow", g->pairs.overflow) &&
         tf_json_add_u64(t, "token_values", g->toks.n) &&
         cJSON_AddBoolToObject(t, "tokens_overflow", g->toks.overflow);
    if (!ok) {
        cJSON_Delete(o);
        o = NULL;
    }
out:
    free(p);
    free(tp);
    free(lenv);
    free(cxv);
    free(tokv);
    free(xy);
    return o;
}

cJSON *tf_stats_summary_json(const tf_stats *s)
{
    answer_keys ak;
    if (!answer_keys_make(&ak, s->cfg.answer_noun))
        return NULL;
    cJSON *o = grp_summary(&s->all, &s->cfg, &ak);
    answer_keys_free(&ak);
    return o;
}

cJSON *tf_stats_groups_json(const tf_stats *s, int *overflow)
{
    *overflow = s->groups_overflow;
    answer_keys ak;
    if (!answer_keys_make(&ak, s->cfg.answer_noun))
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < s->ngroups; i++) {
        cJSON *g = grp_summary(s->groups[i], &s->cfg, &ak);
        cJSON *key = cJSON_Parse(s->groups[i]->key);
        if (!key)
            key = cJSON_CreateString(s->groups[i]->key);
        cJSON *o = cJSON_CreateObject();
        int added = g && key && o && cJSON_AddItemToObject(o, "key", key);
        if (!added) {
            if (!o || !cJSON_GetObjectItemCaseSensitive(o, "key"))
                cJSON_Delete(key);
            cJSON_Delete(g);
            cJSON_Delete(o);
            cJSON_Delete(arr);
            answer_keys_free(&ak);
            return NULL;
        }
        /* key first, then the group's figures */
        while (g->child) {
            cJSON *c = cJSON_DetachItemViaPointer(g, g->child);
            cJSON_AddItemToObject(o, c->string, c);
        }
        cJSON_Delete(g);
        cJSON_AddItemToArray(arr, o);
    }
    answer_keys_free(&ak);
    return arr;
}
