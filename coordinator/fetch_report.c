/* fetch_report.c: the run's fetch accounting for run.json (see worker.h).
 *
 * Each worker writes its shard's fetch counters (tf_fetch_stats_json plus
 * the shard's wall-clock span) into the part meta under "fetch"; this file
 * merges them for run.json: requests sent, retries, statuses, latency
 * percentiles, cache hits and misses, throughput. None of it is in the
 * deterministic outputs.
 */
#include "tracefarm/fetch.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A part meta is read whole up to this size (it holds statistics states). */
#define META_MAX (256UL << 20)

/* Most resume attempts looked at (attempt-N directories of partdir). */
#define MAX_ATTEMPTS 4096

/* Descending numbers N of the "attempt-N" directories of partdir (parts of
 * resumed runs); *n how many. */
static unsigned *attempt_dirs(const char *partdir, size_t *n)
{
    *n = 0;
    DIR *dir = opendir(partdir);
    if (!dir)
        return NULL;
    unsigned *a = malloc(MAX_ATTEMPTS * sizeof *a);
    struct dirent *e;
    while (a && *n < MAX_ATTEMPTS && (e = readdir(dir)) != NULL) {
        unsigned k;
        char tail;
        if (sscanf(e->d_name, "attempt-%u%c", &k, &tail) == 1)
            a[(*n)++] = k;
    }
    closedir(dir);
    for (size_t i = 1; a && i < *n; i++) /* insertion sort, descending */
        for (size_t j = i; j > 0 && a[j - 1] < a[j]; j--) {
            unsigned t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    return a;
}

/* The meta of shard k: in partdir, else in the latest attempt directory
 * that has it. NULL if none can be read. */
static cJSON *read_meta(const char *partdir, uint64_t k, const unsigned *att, size_t natt)
{
    for (size_t i = 0; i <= natt; i++) {
        char *dir = NULL;
        if (i > 0) {
            size_t n = strlen(partdir) + 32;
            dir = malloc(n);
            if (!dir)
                return NULL;
            snprintf(dir, n, "%s/attempt-%u", partdir, att[i - 1]);
        }
        char *path = tf_part_path(dir ? dir : partdir, k, "meta");
        free(dir);
        char *text = path ? tf_read_file(path, META_MAX, NULL) : NULL;
        free(path);
        if (text) {
            cJSON *m = cJSON_Parse(text);
            free(text);
            return m;
        }
    }
    return NULL;
}

/* Add a number member; 0 on allocation failure. */
static int add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) != NULL;
}

tf_err tf_fetch_report(const char *partdir, size_t nshards, cJSON **out)
{
    *out = NULL;
    tf_fetch_stats *total = malloc(sizeof *total);
    tf_fetch_stats *one = malloc(sizeof *one);
    size_t natt = 0;
    unsigned *att = attempt_dirs(partdir, &natt);
    tf_err err = total && one ? TF_OK : TF_ERR_NOMEM;
    size_t shards = 0;
    double t0 = 0, t1 = 0;
    if (total)
        tf_fetch_stats_init(total);
    for (size_t k = 0; err == TF_OK && k < nshards; k++) {
        cJSON *m = read_meta(partdir, k, att, natt);
        const cJSON *fj = cJSON_GetObjectItemCaseSensitive(m, "fetch");
        if (fj && tf_fetch_stats_from_json(fj, one, NULL) == TF_OK) {
            tf_fetch_stats_merge(total, one);
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(fj, "wall_start");
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(fj, "wall_end");
            if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
                if (shards == 0 || a->valuedouble < t0)
                    t0 = a->valuedouble;
                if (shards == 0 || b->valuedouble > t1)
                    t1 = b->valuedouble;
            }
            shards++;
        }
        cJSON_Delete(m);
    }
    cJSON *j = err == TF_OK && shards ? tf_fetch_stats_json(total) : NULL;
    if (err == TF_OK && shards && !j)
        err = TF_ERR_NOMEM;
    if (j) {
        /* the bucket list is for merging, not for reading */
        cJSON_DeleteItemFromObjectCaseSensitive(j, "latency_hist");
        double secs = t1 > t0 ? t1 - t0 : 0;
        double toks = (double)(total->prompt_tokens + total->completion_tokens);
        if (!add_num(j, "shards", (double)shards) || !add_num(j, "seconds", secs) ||
            !add_num(j, "requests_per_second", secs > 0 ? (double)total->requests / secs : 0) ||
            !add_num(j, "tokens_per_second", secs > 0 ? toks / secs : 0)) {
            cJSON_Delete(j);
            j = NULL;
            err = TF_ERR_NOMEM;
        }
    }
    *out = j;
    free(att);
    free(total);
    free(one);
    return err;
}
