/* fetch_stats.c: the fetch client's accounting: a mergeable log-linear
 * latency histogram and the per-client counters, with their JSON form. */
#include "tracefarm/fetch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- latency histogram ---- */

#define SUB (1u << TF_LAT_SUB_BITS) /* buckets per power of two above the exact range */
#define EXACT (2u * SUB)            /* values below this have a bucket each */

/* Bucket of a value: exact below EXACT; above, the power of two k and the
 * TF_LAT_SUB_BITS bits under the leading one. */
static unsigned bucket_of(uint64_t v)
{
    if (v < EXACT)
        return (unsigned)v;
    if (v >= (1ULL << TF_LAT_MAX_EXP))
        v = (1ULL << TF_LAT_MAX_EXP) - 1;
    unsigned k = 63 - (unsigned)__builtin_clzll(v);
    unsigned shift = k - TF_LAT_SUB_BITS;
    unsigned m = (unsigned)(v >> shift); /* in [SUB, 2 SUB) */
    return EXACT + (k - TF_LAT_SUB_BITS - 1) * SUB + (m - SUB);
}

/* Lowest value and width of bucket i. */
static void bucket_range(unsigned i, uint64_t *lo, uint64_t *width)
{
    if (i < EXACT) {
        *lo = i;
        *width = 1;
        return;
    }
    unsigned k = (i - EXACT) / SUB + TF_LAT_SUB_BITS + 1;
    unsigned m = (i - EXACT) % SUB + SUB;
    unsigned shift = k - TF_LAT_SUB_BITS;
    *lo = (uint64_t)m << shift;
    *width = 1ULL << shift;
}

void tf_lat_init(tf_lat_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min_us = UINT64_MAX;
}

void tf_lat_add(tf_lat_hist *h, uint64_t us)
{
    h->count++;
    h->sum_us += us;
    if (us < h->min_us)
        h->min_us = us;
    if (us > h->max_us)
        h->max_us = us;
    h->bucket[bucket_of(us)]++;
}

void tf_lat_merge(tf_lat_hist *into, const tf_lat_hist *from)
{
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->min_us < into->min_us)
        into->min_us = from->min_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (unsigned i = 0; i < TF_LAT_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
}

uint64_t tf_lat_quantile(const tf_lat_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q >= 0))
        q = 0;
    if (q > 1)
        q = 1;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1)
        rank = 1;
    if (rank >= h->count)
        return h->max_us;
    if (rank == 1)
        return h->min_us;
    uint64_t seen = 0;
    for (unsigned i = 0; i < TF_LAT_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t lo, w;
            bucket_range(i, &lo, &w);
            uint64_t v = lo + w / 2;
            if (v < h->min_us)
                v = h->min_us;
            if (v > h->max_us)
                v = h->max_us;
            return v;
        }
    }
    return h->max_us;
}

/* ---- counters ---- */

void tf_fetch_stats_init(tf_fetch_stats *s)
{
    memset(s, 0, sizeof *s);
    tf_lat_init(&s->latency);
}

void tf_fetch_stats_merge(tf_fetch_stats *into, const tf_fetch_stats *from)
{
    into->submitted += from->submitted;
    into->ok += from->ok;
    into->failed += from->failed;
    into->requests += from->requests;
    into->retries += from->retries;
    into->connections += from->connections;
    into->cache_hits += from->cache_hits;
    into->cache_misses += from->cache_misses;
    into->cache_write_errors += from->cache_write_errors;
    into->truncated += from->truncated;
    into->prompt_tokens += from->prompt_tokens;
    into->completion_tokens += from->completion_tokens;
    into->reasoning_tokens += from->reasoning_tokens;
    for (unsigned i = 0; i < TF_FETCH_STATUS_SLOTS; i++)
        into->status[i] += from->status[i];
    tf_lat_merge(&into->latency, &from->latency);
}

/* The scalar counters, by JSON name, for both directions. */
#define COUNTERS(X)                                                                                \
    X(submitted)                                                                                   \
    X(ok)                                                                                          \
    X(failed)                                                                                      \
    X(requests)                                                                                    \
    X(retries)                                                                                     \
    X(connections)                                                                                 \
    X(cache_hits)                                                                                  \
    X(cache_misses)                                                                                \
    X(cache_write_errors)                                                                          \
    X(truncated)                                                                                   \
    X(prompt_tokens)                                                                               \
    X(completion_tokens)                                                                           \
    X(reasoning_tokens)

cJSON *tf_fetch_stats_json(const tf_fetch_stats *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *st = cJSON_AddObjectToObject(j, "status");
    cJSON *lat = cJSON_AddObjectToObject(j, "latency_ms");
    cJSON *hist = cJSON_AddObjectToObject(j, "latency_hist");
    cJSON *buckets = cJSON_CreateArray();
    if (!j || !st || !lat || !hist || !buckets) {
        cJSON_Delete(buckets);
        cJSON_Delete(j);
        return NULL;
    }
    int ok = 1;
#define ADD(name) ok = ok && cJSON_AddNumberToObject(j, #name, (double)s->name);
    COUNTERS(ADD)
#undef ADD
    for (unsigned i = 0; i < TF_FETCH_STATUS_SLOTS; i++) {
        if (!s->status[i])
            continue;
        char key[16];
        snprintf(key, sizeof key, "%u", i);
        ok = ok && cJSON_AddNumberToObject(st, key, (double)s->status[i]);
    }
    const tf_lat_hist *h = &s->latency;
    ok = ok && cJSON_AddNumberToObject(lat, "count", (double)h->count);
    if (h->count) {
        ok = ok && cJSON_AddNumberToObject(lat, "mean", (double)h->sum_us / (double)h->count / 1e3);
        ok = ok && cJSON_AddNumberToObject(lat, "min", (double)h->min_us / 1e3);
        ok = ok && cJSON_AddNumberToObject(lat, "p50", (double)tf_lat_quantile(h, 0.50) / 1e3);
        ok = ok && cJSON_AddNumberToObject(lat, "p95", (double)tf_lat_quantile(h, 0.95) / 1e3);
        ok = ok && cJSON_AddNumberToObject(lat, "p99", (double)tf_lat_quantile(h, 0.99) / 1e3);
        ok = ok && cJSON_AddNumberToObject(lat, "max", (double)h->max_us / 1e3);
    }
    ok = ok && cJSON_AddNumberToObject(hist, "sub_bits", TF_LAT_SUB_BITS);
    ok = ok && cJSON_AddNumberToObject(hist, "count", (double)h->count);
    ok = ok && cJSON_AddNumberToObject(hist, "sum_us", (double)h->sum_us);
    ok = ok && cJSON_AddNumberToObject(hist, "min_us", h->count ? (double)h->min_us : 0);
    ok = ok && cJSON_AddNumberToObject(hist, "max_us", (double)h->max_us);
    cJSON_AddItemToObject(hist, "buckets", buckets);
    for (unsigned i = 0; ok && i < TF_LAT_BUCKETS; i++) {
        if (!h->bucket[i])
            continue;
        const double pair[2] = {(double)i, (double)h->bucket[i]};
        cJSON *p = cJSON_CreateDoubleArray(pair, 2);
        ok = p != NULL;
        cJSON_AddItemToArray(buckets, p);
    }
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* A non-negative integer member, or -1. */
static double count_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble))
        return -1;
    return v->valuedouble;
}

tf_err tf_fetch_stats_from_json(const cJSON *j, tf_fetch_stats *out, tf_diag *d)
{
    tf_fetch_stats_init(out);
    double v;
#define GET(name)                                                                                  \
    v = count_member(j, #name);                                                                    \
    if (v < 0) {                                                                                   \
        tf_diag_set(d, "fetch stats: \"%s\" is not a count", #name);                               \
        return TF_ERR_PARSE;                                                                       \
    }                                                                                              \
    out->name = (uint64_t)v;
    COUNTERS(GET)
#undef GET
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *e;
    cJSON_ArrayForEach(e, st)
    {
        char *endp;
        unsigned long code = strtoul(e->string, &endp, 10);
        if (*endp || code >= TF_FETCH_STATUS_SLOTS || !cJSON_IsNumber(e) || e->valuedouble < 0) {
            tf_diag_set(d, "fetch stats: bad status entry \"%.32s\"", e->string);
            return TF_ERR_PARSE;
        }
        out->status[code] = (uint64_t)e->valuedouble;
    }
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(j, "latency_hist");
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(hist, "sub_bits");
    if (!cJSON_IsNumber(sub) || sub->valuedouble != TF_LAT_SUB_BITS) {
        tf_diag_set(d, "fetch stats: \"latency_hist.sub_bits\" is not %d", TF_LAT_SUB_BITS);
        return TF_ERR_PARSE;
    }
    tf_lat_hist *h = &out->latency;
    double c = count_member(hist, "count"), sum = count_member(hist, "sum_us");
    double mn = count_member(hist, "min_us"), mx = count_member(hist, "max_us");
    if (c < 0 || sum < 0 || mn < 0 || mx < 0) {
        tf_diag_set(d, "fetch stats: \"latency_hist\" lacks count, sum_us, min_us or max_us");
        return TF_ERR_PARSE;
    }
    h->count = (uint64_t)c;
    h->sum_us = (uint64_t)sum;
    h->min_us = h->count ? (uint64_t)mn : UINT64_MAX;
    h->max_us = (uint64_t)mx;
    uint64_t total = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(hist, "buckets"))
    {
        const cJSON *bi = cJSON_GetArrayItem(e, 0), *bc = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsNumber(bi) || !cJSON_IsNumber(bc) || bi->valuedouble < 0 ||
            bi->valuedouble >= TF_LAT_BUCKETS || bc->valuedouble < 0) {
            tf_diag_set(d, "fetch stats: bad \"latency_hist.buckets\" entry");
            return TF_ERR_PARSE;
        }
        h->bucket[(unsigned)bi->valuedouble] += (uint64_t)bc->valuedouble;
        total += (uint64_t)bc->valuedouble;
    }
    if (total != h->count) {
        tf_diag_set(d, "fetch stats: \"latency_hist.buckets\" do not add up to its count");
        return TF_ERR_PARSE;
    }
    return TF_OK;
}
