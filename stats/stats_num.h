/* stats_num.h: exact integer arithmetic and the order statistics that the
 * statistics module computes from its merged state (internal to stats/).
 *
 * Sums are unsigned 128-bit integers; products of two of them (the
 * numerators of variances and co-moments) are 256-bit integers, so every
 * figure is computed from exact integers and rounded once, in one fixed
 * order, whatever the partition of the items was.
 */
#ifndef TRACEFARM_STATS_NUM_H
#define TRACEFARM_STATS_NUM_H

#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 tf_u128;

/* An unsigned 256-bit integer, least significant word first. */
typedef struct tf_u256 {
    uint64_t w[4];
} tf_u256;

tf_u256 tf_u256_of(tf_u128 a);
/* a * b (exact: 128 x 128 bits fit in 256). */
tf_u256 tf_u256_mul(tf_u128 a, tf_u128 b);
/* a * b; the caller guarantees that the product fits in 256 bits. */
tf_u256 tf_u256_mul64(tf_u256 a, uint64_t b);
/* a + b (the caller guarantees no overflow). */
tf_u256 tf_u256_add(tf_u256 a, tf_u256 b);
/* -1, 0, 1 as a <, ==, > b. */
int tf_u256_cmp(tf_u256 a, tf_u256 b);
/* a - b for a >= b. */
tf_u256 tf_u256_sub(tf_u256 a, tf_u256 b);
/* The nearest long double (rounded once per word; relative error below
 * 2^-62). */
long double tf_u256_ld(tf_u256 a);

/* The signed co-moment numerator D = n * sxy - sx * sy, exactly; returns
 * |D| as a long double and its sign (-1, 0, 1) in *sign. With x == y this
 * is n^2 times the population variance. */
long double tf_comoment(uint64_t n, tf_u128 sx, tf_u128 sy, tf_u256 sxy, int *sign);

/* A distinct value and its count. Arrays of them are sorted by value. */
typedef struct tf_vc {
    uint64_t v; /* value */
    uint64_t c; /* count, > 0 */
} tf_vc;

/* The quantile at h/100 (0 <= h <= 100) of the n values described by the
 * sorted value-count array m (k entries, counts summing to n >= 1), with
 * numpy's default "linear" rule: position h/100 * (n - 1), linear
 * interpolation between the neighbouring order statistics. The position
 * is computed exactly in integers. */
long double tf_quantile(const tf_vc *m, size_t k, uint64_t n, unsigned h);

/* The Wilson score interval of k successes in n > 0 trials at the normal
 * quantile z: *lo, *hi within [0, 1]. */
void tf_wilson(uint64_t k, uint64_t n, long double z, long double *lo, long double *hi);

/* One (x, y) pair class of the joint table: its count. */
typedef struct tf_xyc {
    uint64_t x, y, c;
} tf_xyc;

/* Kendall's tau-b of the n items described by p (k distinct pairs sorted
 * by x, then y; counts summing to n), computed exactly as scipy's
 * kendalltau(variant="b"): P - Q = tot - xtie - ytie + ntie - 2 dis, over
 * sqrt(tot - xtie) sqrt(tot - ytie). O(k log k): discordant pairs are
 * counted with a Fenwick tree over the distinct y values. Returns 0 and
 * leaves *tau unset when undefined (n < 2, all x equal or all y equal);
 * -1 when memory is short. */
int tf_kendall_tau_b(const tf_xyc *p, size_t k, uint64_t n, long double *tau);

/* Spearman's rho with mid-ranks for ties: Pearson's r of the ranks, from
 * exact integer sums of doubled mid-ranks. Same arguments and returns as
 * tf_kendall_tau_b (undefined: n < 2 or all x or all y equal). */
int tf_spearman(const tf_xyc *p, size_t k, uint64_t n, long double *rho);

#endif
