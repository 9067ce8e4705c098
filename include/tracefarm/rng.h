/* rng.h: the one source of reproducible randomness in tracefarm.
 *
 * Two streams, each the same sequence for the same seed on every machine
 * (no rand(), no clock):
 * - tf_rng, splitmix64: state x advances by the golden-ratio increment and
 *   each output is the splitmix64 finaliser of the state. Used wherever a
 *   value is derived from a seed (records, samples, faults, corruptions).
 * - tf_xoshiro, xoshiro256** (Blackman and Vigna), seeded from splitmix64:
 *   the long streams of the maze generators (tracefarm gen's mazes are
 *   defined by it, docs/gen.md).
 * Header-only: the functions are small and used in hot loops.
 */
#ifndef TRACEFARM_RNG_H
#define TRACEFARM_RNG_H

#include <stdint.h>

#define TF_RNG_GOLDEN UINT64_C(0x9e3779b97f4a7c15) /* splitmix64 increment */

/* The splitmix64 finaliser, a bijection of 64-bit words. */
static inline uint64_t tf_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A splitmix64 stream; initialise with {seed}. */
typedef struct tf_rng {
    uint64_t x; /* state */
} tf_rng;

/* The next 64 random bits. */
static inline uint64_t tf_rng_next(tf_rng *r)
{
    r->x += TF_RNG_GOLDEN;
    return tf_mix64(r->x);
}

/* Uniform in [0, n), n >= 1, without modulo bias (rejection). */
static inline uint64_t tf_rng_below(tf_rng *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = tf_rng_next(r);
    } while (x >= lim);
    return x % n;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double tf_rng_unit(tf_rng *r)
{
    return (double)(tf_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* A xoshiro256** stream; initialise with tf_xoshiro_seed. */
typedef struct tf_xoshiro {
    uint64_t s[4]; /* state, never all zero */
} tf_xoshiro;

/* Seed from the splitmix64 sequence of seed, as the authors recommend; the
 * state is never all zero since tf_mix64 is a bijection of four distinct
 * inputs. */
static inline void tf_xoshiro_seed(tf_xoshiro *r, uint64_t seed)
{
    for (int k = 0; k < 4; k++) {
        seed += TF_RNG_GOLDEN;
        r->s[k] = tf_mix64(seed);
    }
}

static inline uint64_t tf_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits. */
static inline uint64_t tf_xoshiro_next(tf_xoshiro *r)
{
    uint64_t *s = r->s;
    uint64_t res = tf_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = tf_rotl64(s[3], 45);
    return res;
}

/* Uniform in [0, n), n >= 1, without modulo bias (rejection). */
static inline uint64_t tf_xoshiro_below(tf_xoshiro *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = tf_xoshiro_next(r);
    } while (x >= lim);
    return x % n;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double tf_xoshiro_unit(tf_xoshiro *r)
{
    return (double)(tf_xoshiro_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
