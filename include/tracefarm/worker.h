/* worker.h: process one shard of the corpus into a part.
 *
 * A part is two files in the parts directory:
 *   shard-NNNNNNNN.items  one line per record of the shard, in file order:
 *                         "<line>\t<item JSON>" where <line> is the
 *                         record's line number counted from the shard's
 *                         first line (the merger makes it absolute);
 *   shard-NNNNNNNN.meta   JSON: {"shard", "lines", "records", "stats"} and,
 *                         with source "endpoint", "fetch" (the shard's
 *                         tf_fetch_stats_json plus "wall_start"/"wall_end"),
 *                         written last (atomically): its presence means
 *                         the part is complete.
 * Every record becomes exactly one item line (source "endpoint": one per
 * sample, each with "sample"): verified, or an error item
 * {"error": reason, "error_kind": kind} (bad JSON, missing field, line too
 * long, unreadable data, fetch failed).
 */
#ifndef TRACEFARM_WORKER_H
#define TRACEFARM_WORKER_H

#include "tracefarm/corpus.h"
#include "tracefarm/err.h"
#include "tracefarm/job.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* What a finished shard reports to the coordinator. */
typedef struct tf_shard_result {
    uint64_t lines;   /* lines owned by the shard */
    uint64_t records; /* item lines written */
    uint64_t errors;  /* of which error items */
} tf_shard_result;

/* Path of part file kind ("items" or "meta") of shard id. Caller frees. */
char *tf_part_path(const char *partdir, uint64_t id, const char *kind);

/* The fetch accounting of a run (source "endpoint") for run.json: the
 * "fetch" counters of the metas of shards 0 .. nshards-1 (in partdir, or
 * in its latest attempt-N directory that has the shard), merged: requests
 * sent, retries, status histogram, latency percentiles, cache hits and
 * misses, token sums of server answers, and throughput over the span from
 * the first shard's start to the last one's end. *out is NULL (and TF_OK)
 * when no part has fetch counters; caller frees with cJSON_Delete. */
tf_err tf_fetch_report(const char *partdir, size_t nshards, cJSON **out) TF_MUST_USE;

/* Process shard id (plan entry s) of job, writing its part into partdir.
 * Record-level problems become error items; only failures to read the
 * corpus at all or to write the part are errors (d says which file). */
tf_err tf_worker_shard(const tf_job *job, uint64_t id, const tf_shard *s, const char *partdir,
                       tf_shard_result *res, tf_diag *d) TF_MUST_USE;

#endif
