/* hash.h: the two hashes of tracefarm.
 *
 * - FNV-1a 64: cheap and stable, for names and checks that need no
 *   defence against tampering (journal lines, job and plan identities,
 *   hash tables of "tracefarm serve").
 * - SHA-256 (OpenSSL's libcrypto): for keys that must not collide, the
 *   response cache's file names and the seeds of endpoint samples.
 */
#ifndef TRACEFARM_HASH_H
#define TRACEFARM_HASH_H

#include "tracefarm/err.h"

#include <stddef.h>
#include <stdint.h>

/* The FNV-1a 64 offset basis: start a hash with it. */
#define TF_FNV_SEED UINT64_C(14695981039346656037)

/* FNV-1a 64 of n bytes at p, continuing from h. */
uint64_t tf_fnv64(uint64_t h, const void *p, size_t n);

/* One piece of a message. */
typedef struct tf_bytes {
    const void *p; /* IN: n bytes (may be NULL when n is 0) */
    size_t n;
} tf_bytes;

/* SHA-256 of the concatenation of the n pieces into out. TF_ERR_NOMEM
 * when libcrypto cannot make a digest context; TF_ERR_INTERNAL if it
 * fails otherwise. */
tf_err tf_sha256(const tf_bytes *pieces, size_t n, uint8_t out[32]) TF_MUST_USE;

/* Lower-case hex of n bytes into hex (2n digits and a NUL). */
void tf_hex(const uint8_t *bytes, size_t n, char *hex);

#endif
