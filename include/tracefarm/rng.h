/* rng.h: the one source of reproducible randomness in tracefarm.
 *
 * A splitmix64 stream: state x advances by the golden-ratio increment and
 * each output is the splitmix64 finaliser of the state. Same seed, same
 * stream, on every machine. No rand(), no clock. Header-only: the
 * functions are small and used in hot loops of the generator.
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

#endif
