/* cache.h: the response cache.
 *
 * A cache is a directory shared by every rank of every run that names it.
 * Each successful model response is one file
 *
 *     DIR/ab/abcdef...(64 hex).json   {"cache_version": 1, "api": "chat",
 *                                      "sample": 0, "request": {...},
 *                                      "response": "<body as received>"}
 *
 * where the name is the SHA-256 (tf_cache_key) of the exact request body
 * sent, the API kind and the sample index, and "ab" is its first two hex
 * digits. The base URL is not part of the key: replicas of one model share
 * entries. Files are written to a unique temporary name in the same
 * directory (".<hex>.<pid>.<counter>.tmp") and rename(2)d into place, so
 * many processes can write at once and a reader sees a whole entry or
 * none. An entry that cannot be read, parsed, or whose stored request
 * differs from the one asked for is a miss, never an error: the request is
 * simply sent again and the entry overwritten.
 *
 * Entries are not fsync'ed: losing one in a crash costs one request.
 * The cache never sees the API key (it is not part of the body).
 */
#ifndef TRACEFARM_CACHE_H
#define TRACEFARM_CACHE_H

#include "tracefarm/err.h"

#include <stddef.h>
#include <stdint.h>

/* ---- the cache ---- */

typedef struct tf_cache tf_cache; /* opaque: a cache directory and counters */

/* Counters of one tf_cache handle (this process only). */
typedef struct tf_cache_counts {
    uint64_t hits;         /* lookups that found a usable entry */
    uint64_t misses;       /* lookups that did not (absent, unreadable, other request) */
    uint64_t corrupt;      /* of the misses: entries present but unusable */
    uint64_t writes;       /* entries stored */
    uint64_t write_errors; /* entries that could not be stored */
} tf_cache_counts;

/* The key of a request: SHA-256 (hash.h) of "tracefarm-cache-v1\n" + api +
 * "\n" + decimal sample + "\n" + body, as 64 hex digits into hex. api is
 * the API kind ("completions" or "chat"); body the exact request body sent.
 * Errors: those of tf_sha256. */
tf_err tf_cache_key(const char *api, unsigned sample, const char *body, size_t body_len,
                    char hex[65]) TF_MUST_USE;

/* Open (and create, mkdir -p) the cache directory dir. *out is owned by
 * the caller, freed with tf_cache_free. TF_ERR_IO naming dir if it cannot
 * be created; TF_ERR_NOMEM. */
tf_err tf_cache_open(const char *dir, tf_cache **out, tf_diag *d) TF_MUST_USE;

/* Release the handle (the files stay). Accepts NULL. */
void tf_cache_free(tf_cache *c);

/* Look up key hex, whose request body was body. On a hit, *response (owned
 * by the caller, free()) is the stored response body, NUL-terminated, and
 * *len its length; returns TF_OK. On a miss returns TF_ERR_EOF and *response
 * is NULL. Entries over max_bytes are misses. TF_ERR_NOMEM is the only
 * error. Counts a hit or a miss. */
tf_err tf_cache_get(tf_cache *c, const char *hex, const char *api, unsigned sample,
                    const char *body, size_t max_bytes, char **response, size_t *len) TF_MUST_USE;

/* Store an entry for key hex atomically (temporary file + rename).
 * TF_ERR_IO (naming the file in d) or TF_ERR_NOMEM; a failed store leaves
 * no temporary file behind and counts a write error. */
tf_err tf_cache_put(tf_cache *c, const char *hex, const char *api, unsigned sample,
                    const char *body, const char *response, size_t response_len,
                    tf_diag *d) TF_MUST_USE;

/* This handle's counters. */
tf_cache_counts tf_cache_counts_get(const tf_cache *c);

/* Path of the entry for key hex in c (DIR/ab/hex.json). Caller frees;
 * NULL on allocation failure. */
char *tf_cache_path(const tf_cache *c, const char *hex);

#endif
