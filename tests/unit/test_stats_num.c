/* test_stats_num.c: the exact arithmetic and the order statistics of
 * stats/stats_num.c against direct computations: 256-bit products and
 * differences, quantiles and rank correlations computed naively from the
 * expanded list of items (O(n^2) Kendall by definition, mid-ranks by
 * sorting), and properties of the Wilson interval. */
#include "../../stats/stats_num.h"
#include "tf_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;

/* xorshift64: a fixed sequence, so failures reproduce. */
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_u256(void)
{
    tf_u128 max = ~(tf_u128)0;
    /* (2^128 - 1)^2 = 2^256 - 2^129 + 1 */
    tf_u256 sq = tf_u256_mul(max, max);
    CHECK(sq.w[0] == 1 && sq.w[1] == 0 && sq.w[2] == UINT64_MAX - 1 && sq.w[3] == UINT64_MAX);
    for (int i = 0; i < 2000; i++) {
        tf_u128 a = (tf_u128)next() << 64 | next(), b = (tf_u128)next() << (next() % 64);
        tf_u128 c = next(), d = next();
        tf_u256 ab = tf_u256_mul(a, b), cd = tf_u256_mul(c, d);
        tf_u256 sum = tf_u256_add(ab, cd);
        CHECK(tf_u256_cmp(tf_u256_sub(sum, cd), ab) == 0);
        CHECK(tf_u256_cmp(sum, ab) >= 0);
        /* 64 x 64 products agree with the compiler's 128-bit ones */
        tf_u256 cd2 = tf_u256_mul64(tf_u256_of(c), d);
        tf_u128 ref = (tf_u128)c * d;
        CHECK(cd2.w[0] == (uint64_t)ref && cd2.w[1] == (uint64_t)(ref >> 64) && cd2.w[2] == 0);
        CHECK(tf_u256_cmp(cd, cd2) == 0);
        /* the long double value is within rounding of the 128-bit value */
        long double want = (long double)ref, got = tf_u256_ld(cd);
        CHECK(fabsl(got - want) <= want * 1e-18L);
    }
    /* co-moment sign and value: n sum(xy) - sum(x) sum(y) */
    int sg = 9;
    CHECK(tf_comoment(3, 6, 6, tf_u256_of(12), &sg) == 0 && sg == 0); /* 3*12 - 36 */
    CHECK(tf_comoment(2, 3, 3, tf_u256_of(4), &sg) == 1 && sg == -1); /* 8 - 9 */
    CHECK(tf_comoment(2, 3, 3, tf_u256_of(5), &sg) == 1 && sg == 1);
}

/* The expanded, sorted list of values of m. */
static uint64_t *expand(const tf_vc *m, size_t k, uint64_t n)
{
    uint64_t *v = malloc((n ? n : 1) * sizeof *v), j = 0;
    for (size_t i = 0; i < k; i++)
        for (uint64_t c = 0; c < m[i].c; c++)
            v[j++] = m[i].v;
    return v;
}

static void test_quantile(void)
{
    for (int t = 0; t < 300; t++) {
        size_t k = 1 + next() % 6;
        tf_vc m[6];
        uint64_t n = 0, v = next() % 5;
        for (size_t i = 0; i < k; i++) {
            v += 1 + next() % 1000;
            m[i].v = v;
            m[i].c = 1 + next() % 4;
            n += m[i].c;
        }
        uint64_t *x = expand(m, k, n);
        for (unsigned h = 0; h <= 100; h += 5) {
            long double pos = (long double)h / 100 * (long double)(n - 1);
            size_t lo = (size_t)floorl(pos);
            size_t hi = lo + 1 < n ? lo + 1 : lo;
            long double want = x[lo] + (pos - lo) * (long double)(x[hi] - x[lo]);
            long double got = tf_quantile(m, k, n, h);
            CHECKF(fabsl(got - want) <= 1e-12L * (fabsl(want) + 1), "h %u n %lu: %Lg vs %Lg", h,
                   (unsigned long)n, got, want);
        }
        CHECK(tf_quantile(m, k, n, 0) == m[0].v && tf_quantile(m, k, n, 100) == m[k - 1].v);
        free(x);
    }
    tf_vc one = {42, 1};
    CHECK(tf_quantile(&one, 1, 1, 50) == 42);
}

static void test_wilson(void)
{
    long double lo, hi, lo2, hi2;
    tf_wilson(0, 10, 1.959963984540054L, &lo, &hi);
    CHECK(lo == 0 && hi > 0 && hi < 1);
    tf_wilson(10, 10, 1.959963984540054L, &lo, &hi);
    CHECK(hi == 1 && lo > 0 && lo < 1);
    for (uint64_t n = 1; n < 60; n += 7)
        for (uint64_t k = 0; k <= n; k++) {
            tf_wilson(k, n, 1.959963984540054L, &lo, &hi);
            tf_wilson(n - k, n, 1.959963984540054L, &lo2, &hi2);
            long double p = (long double)k / n;
            CHECK(lo <= p && p <= hi && lo >= 0 && hi <= 1);
            CHECK(fabsl(lo - (1 - hi2)) < 1e-15L && fabsl(hi - (1 - lo2)) < 1e-15L);
        }
    /* 5 of 10: the formula evaluated in Python doubles */
    tf_wilson(5, 10, 1.959963984540054L, &lo, &hi);
    CHECK(fabsl(lo - 0.236593090512564L) < 1e-15L && fabsl(hi - 0.7634069094874361L) < 1e-15L);
}

/* Naive Kendall tau-b and Spearman rho from the expanded items. */
static void naive(const tf_xyc *p, size_t k, uint64_t n, long double *tau, int *has_tau,
                  long double *rho, int *has_rho)
{
    uint64_t *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), j = 0;
    for (size_t i = 0; i < k; i++)
        for (uint64_t c = 0; c < p[i].c; c++) {
            x[j] = p[i].x;
            y[j++] = p[i].y;
        }
    long double conc = 0, disc = 0, tx = 0, ty = 0;
    for (uint64_t a = 0; a < n; a++)
        for (uint64_t b = a + 1; b < n; b++) {
            int sx = (x[a] > x[b]) - (x[a] < x[b]), sy = (y[a] > y[b]) - (y[a] < y[b]);
            if (sx * sy > 0)
                conc++;
            else if (sx * sy < 0)
                disc++;
            if (sx == 0)
                tx++;
            if (sy == 0)
                ty++;
        }
    long double n0 = (long double)n * (n - 1) / 2;
    *has_tau = n >= 2 && tx < n0 && ty < n0;
    if (*has_tau)
        *tau = (conc - disc) / sqrtl((n0 - tx) * (n0 - ty));
    /* mid-ranks: average position among equal values */
    long double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
    for (uint64_t a = 0; a < n; a++) {
        long double lx = 0, ex = 0, ly = 0, ey = 0;
        for (uint64_t b = 0; b < n; b++) {
            lx += x[b] < x[a];
            ex += x[b] == x[a];
            ly += y[b] < y[a];
            ey += y[b] == y[a];
        }
        rx[a] = lx + (ex + 1) / 2;
        ry[a] = ly + (ey + 1) / 2;
    }
    long double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
    for (uint64_t a = 0; a < n; a++) {
        mx += rx[a] / n;
        my += ry[a] / n;
    }
    for (uint64_t a = 0; a < n; a++) {
        sxx += (rx[a] - mx) * (rx[a] - mx);
        syy += (ry[a] - my) * (ry[a] - my);
        sxy += (rx[a] - mx) * (ry[a] - my);
    }
    *has_rho = n >= 2 && sxx > 1e-9L && syy > 1e-9L;
    if (*has_rho)
        *rho = sxy / sqrtl(sxx * syy);
    free(x);
    free(y);
    free(rx);
    free(ry);
}

static int cmp_xy(const void *a, const void *b)
{
    const tf_xyc *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

static void test_ranks(void)
{
    for (int t = 0; t < 400; t++) {
        /* few distinct values: heavy ties; sometimes one x or one y */
        size_t k = 0;
        tf_xyc p[40] = {{0, 0, 0}};
        uint64_t n = 0;
        unsigned vx = 1 + (unsigned)(next() % 6), vy = 1 + (unsigned)(next() % 6);
        size_t want = (size_t)(next() % 30);
        for (size_t i = 0; i < want; i++) {
            tf_xyc e = {next() % vx * 1000003, next() % vy, 1 + next() % 5};
            int dup = 0;
            for (size_t j = 0; j < k; j++)
                if (p[j].x == e.x && p[j].y == e.y)
                    dup = 1;
            if (!dup) {
                p[k++] = e;
                n += e.c;
            }
        }
        qsort(p, k, sizeof *p, cmp_xy);
        long double tau = 9, rho = 9, ntau = 9, nrho = 9;
        int ht, hr;
        naive(p, k, n, &ntau, &ht, &nrho, &hr);
        int gt = tf_kendall_tau_b(p, k, n, &tau), gr = tf_spearman(p, k, n, &rho);
        CHECKF(gt == ht, "trial %d: tau defined %d vs %d (n %lu)", t, gt, ht, (unsigned long)n);
        CHECKF(gr == hr, "trial %d: rho defined %d vs %d", t, gr, hr);
        if (gt == 1 && ht)
            CHECKF(fabsl(tau - ntau) < 1e-12L, "trial %d: tau %Lg vs %Lg", t, tau, ntau);
        if (gr == 1 && hr)
            CHECKF(fabsl(rho - nrho) < 1e-12L, "trial %d: rho %Lg vs %Lg", t, rho, nrho);
    }
    /* perfect agreement and disagreement */
    tf_xyc up[3] = {{1, 10, 2}, {2, 20, 1}, {3, 30, 4}},
           down[3] = {{1, 30, 1}, {2, 20, 1}, {3, 10, 1}};
    long double v;
    CHECK(tf_kendall_tau_b(up, 3, 7, &v) == 1 && fabsl(v - 1) < 1e-18L);
    CHECK(tf_spearman(up, 3, 7, &v) == 1 && fabsl(v - 1) < 1e-18L);
    CHECK(tf_kendall_tau_b(down, 3, 3, &v) == 1 && fabsl(v + 1) < 1e-18L);
    CHECK(tf_spearman(down, 3, 3, &v) == 1 && fabsl(v + 1) < 1e-18L);
    /* n < 2 and a single x are undefined */
    tf_xyc one[1] = {{5, 5, 1}}, same[2] = {{5, 1, 3}, {5, 9, 2}};
    CHECK(tf_kendall_tau_b(one, 1, 1, &v) == 0 && tf_spearman(one, 1, 1, &v) == 0);
    CHECK(tf_kendall_tau_b(same, 2, 5, &v) == 0 && tf_spearman(same, 2, 5, &v) == 0);
}

int main(void)
{
    test_u256();
    test_quantile();
    test_wilson();
    test_ranks();
    return tf_test_done();
}
