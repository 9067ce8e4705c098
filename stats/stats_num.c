/* stats_num.c: exact integer arithmetic, quantiles, Wilson intervals and
 * rank correlations from count tables (see stats_num.h). */
#include "stats_num.h"

#include <math.h>
#include <stdlib.h>

tf_u256 tf_u256_of(tf_u128 a)
{
    tf_u256 r = {{(uint64_t)a, (uint64_t)(a >> 64), 0, 0}};
    return r;
}

/* Add v to r at word i, carrying upwards (carries past word 3 are lost;
 * callers guarantee there are none). */
static void add_at(tf_u256 *r, int i, tf_u128 v)
{
    while (v && i < 4) {
        tf_u128 s = (tf_u128)r->w[i] + (uint64_t)v;
        r->w[i] = (uint64_t)s;
        v = (v >> 64) + (s >> 64);
        i++;
    }
}

tf_u256 tf_u256_mul(tf_u128 a, tf_u128 b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    tf_u256 r = {{0, 0, 0, 0}};
    add_at(&r, 0, (tf_u128)a0 * b0);
    add_at(&r, 1, (tf_u128)a0 * b1);
    add_at(&r, 1, (tf_u128)a1 * b0);
    add_at(&r, 2, (tf_u128)a1 * b1);
    return r;
}

tf_u256 tf_u256_mul64(tf_u256 a, uint64_t b)
{
    tf_u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 4; i++)
        add_at(&r, i, (tf_u128)a.w[i] * b);
    return r;
}

tf_u256 tf_u256_add(tf_u256 a, tf_u256 b)
{
    for (int i = 0; i < 4; i++)
        add_at(&a, i, b.w[i]);
    return a;
}

int tf_u256_cmp(tf_u256 a, tf_u256 b)
{
    for (int i = 3; i >= 0; i--)
        if (a.w[i] != b.w[i])
            return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
}

tf_u256 tf_u256_sub(tf_u256 a, tf_u256 b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a.w[i], y = b.w[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) || (x - y < borrow);
        a.w[i] = d;
    }
    return a;
}

long double tf_u256_ld(tf_u256 a)
{
    long double r = 0;
    for (int i = 3; i >= 0; i--)
        r = r * 18446744073709551616.0L + (long double)a.w[i];
    return r;
}

long double tf_comoment(uint64_t n, tf_u128 sx, tf_u128 sy, tf_u256 sxy, int *sign)
{
    tf_u256 a = tf_u256_mul64(sxy, n), b = tf_u256_mul(sx, sy);
    int c = tf_u256_cmp(a, b);
    *sign = c;
    if (c == 0)
        return 0;
    return tf_u256_ld(c > 0 ? tf_u256_sub(a, b) : tf_u256_sub(b, a));
}

/* The value of order statistic i (0-based) of m. */
static uint64_t order_stat(const tf_vc *m, size_t k, tf_u128 i)
{
    tf_u128 cum = 0;
    for (size_t j = 0; j < k; j++) {
        cum += m[j].c;
        if (i < cum)
            return m[j].v;
    }
    return k ? m[k - 1].v : 0;
}

long double tf_quantile(const tf_vc *m, size_t k, uint64_t n, unsigned h)
{
    tf_u128 num = (tf_u128)h * (n - 1);
    tf_u128 lo = num / 100;
    unsigned rem = (unsigned)(num % 100);
    uint64_t a = order_stat(m, k, lo);
    if (rem == 0)
        return (long double)a;
    uint64_t b = order_stat(m, k, lo + 1);
    return (long double)a + (long double)(b - a) * (long double)rem / 100.0L;
}

void tf_wilson(uint64_t k, uint64_t n, long double z, long double *lo, long double *hi)
{
    long double nn = (long double)n, p = (long double)k / nn, z2 = z * z;
    long double denom = 1.0L + z2 / nn;
    long double center = (p + z2 / (2.0L * nn)) / denom;
    long double half = z / denom * sqrtl(p * (1.0L - p) / nn + z2 / (4.0L * nn * nn));
    *lo = center - half;
    *hi = center + half;
    if (k == 0 || *lo < 0)
        *lo = 0;
    if (k == n || *hi > 1)
        *hi = 1;
}

/* Distinct y values of p, sorted, and each pair's index among them. */
typedef struct yindex {
    uint64_t *ys;  /* distinct y, sorted */
    size_t m;      /* how many */
    size_t *idx;   /* per pair: index of its y in ys */
    uint64_t *cnt; /* per distinct y: items */
} yindex;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void yindex_free(yindex *yi)
{
    free(yi->ys);
    free(yi->idx);
    free(yi->cnt);
}

/* Build the y index of p (k > 0 pairs). Returns -1 when memory is short. */
static int yindex_build(const tf_xyc *p, size_t k, yindex *yi)
{
    yi->ys = malloc(k * sizeof *yi->ys);
    yi->idx = malloc(k * sizeof *yi->idx);
    yi->cnt = calloc(k, sizeof *yi->cnt);
    yi->m = 0;
    if (!yi->ys || !yi->idx || !yi->cnt) {
        yindex_free(yi);
        return -1;
    }
    for (size_t i = 0; i < k; i++)
        yi->ys[i] = p[i].y;
    qsort(yi->ys, k, sizeof *yi->ys, cmp_u64);
    for (size_t i = 0; i < k; i++)
        if (yi->m == 0 || yi->ys[yi->m - 1] != yi->ys[i])
            yi->ys[yi->m++] = yi->ys[i];
    for (size_t i = 0; i < k; i++) {
        size_t lo = 0, hi = yi->m;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (yi->ys[mid] <= p[i].y)
                lo = mid;
            else
                hi = mid;
        }
        yi->idx[i] = lo;
        yi->cnt[lo] += p[i].c;
    }
    return 0;
}

/* Items are counted in JSON numbers, so n stays below 2^53; the rank sums
 * below rely on it. */
#define N_LIMIT (1ULL << 53)

int tf_kendall_tau_b(const tf_xyc *p, size_t k, uint64_t n, long double *tau)
{
    if (n < 2 || n >= N_LIMIT || k == 0)
        return 0;
    yindex yi;
    if (yindex_build(p, k, &yi) != 0)
        return -1;
    uint64_t *bit = calloc(yi.m + 1, sizeof *bit); /* Fenwick tree, 1-based */
    if (!bit) {
        yindex_free(&yi);
        return -1;
    }
    tf_u128 tot = (tf_u128)n * (n - 1) / 2, xtie = 0, ytie = 0, ntie = 0, dis = 0;
    uint64_t seen = 0;
    for (size_t g = 0; g < k;) {
        size_t e = g;
        uint64_t cx = 0;
        while (e < k && p[e].x == p[g].x)
            cx += p[e++].c;
        xtie += (tf_u128)cx * (cx - 1) / 2;
        for (size_t i = g; i < e; i++) {
            uint64_t le = 0; /* items seen so far with y <= this y */
            for (size_t j = yi.idx[i] + 1; j > 0; j -= j & (~j + 1))
                le += bit[j];
            dis += (tf_u128)p[i].c * (seen - le);
            ntie += (tf_u128)p[i].c * (p[i].c - 1) / 2;
        }
        for (size_t i = g; i < e; i++) {
            for (size_t j = yi.idx[i] + 1; j <= yi.m; j += j & (~j + 1))
                bit[j] += p[i].c;
            seen += p[i].c;
        }
        g = e;
    }
    for (size_t j = 0; j < yi.m; j++)
        ytie += (tf_u128)yi.cnt[j] * (yi.cnt[j] - 1) / 2;
    free(bit);
    yindex_free(&yi);
    if (xtie == tot || ytie == tot)
        return 0;
    __int128 cmd = (__int128)(tot - xtie - ytie + ntie) - 2 * (__int128)dis;
    long double num = cmd < 0 ? -(long double)(tf_u128)(-cmd) : (long double)(tf_u128)cmd;
    long double t = num / sqrtl((long double)(tot - xtie)) / sqrtl((long double)(tot - ytie));
    *tau = t > 1 ? 1 : t < -1 ? -1 : t;
    return 1;
}

int tf_spearman(const tf_xyc *p, size_t k, uint64_t n, long double *rho)
{
    if (n < 2 || n >= N_LIMIT || k == 0)
        return 0;
    yindex yi;
    if (yindex_build(p, k, &yi) != 0)
        return -1;
    /* Doubled mid-rank of the j-th distinct y: 2 * (items below) + c + 1. */
    tf_u128 *ry = malloc(yi.m * sizeof *ry);
    if (!ry) {
        yindex_free(&yi);
        return -1;
    }
    tf_u256 syy = {{0, 0, 0, 0}}, sxx = syy, sxy = syy;
    uint64_t below = 0;
    for (size_t j = 0; j < yi.m; j++) {
        ry[j] = 2 * (tf_u128)below + yi.cnt[j] + 1;
        syy = tf_u256_add(syy, tf_u256_mul(ry[j] * ry[j], yi.cnt[j]));
        below += yi.cnt[j];
    }
    below = 0;
    for (size_t g = 0; g < k;) {
        size_t e = g;
        uint64_t cx = 0;
        while (e < k && p[e].x == p[g].x)
            cx += p[e++].c;
        tf_u128 rx = 2 * (tf_u128)below + cx + 1;
        sxx = tf_u256_add(sxx, tf_u256_mul(rx * rx, cx));
        for (size_t i = g; i < e; i++)
            sxy = tf_u256_add(sxy, tf_u256_mul(rx * ry[yi.idx[i]], p[i].c));
        below += cx;
        g = e;
    }
    free(ry);
    yindex_free(&yi);
    /* The doubled ranks sum to n (n + 1) in both variables. */
    tf_u128 s = (tf_u128)n * (n + 1);
    int gx, gy, gxy;
    long double dxx = tf_comoment(n, s, s, sxx, &gx);
    long double dyy = tf_comoment(n, s, s, syy, &gy);
    long double dxy = tf_comoment(n, s, s, sxy, &gxy);
    if (gx <= 0 || gy <= 0)
        return 0;
    long double r = (gxy < 0 ? -dxy : dxy) / (sqrtl(dxx) * sqrtl(dyy));
    *rho = r > 1 ? 1 : r < -1 ? -1 : r;
    return 1;
}
