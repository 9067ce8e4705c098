/* worker.h: a worker: one shard into one part, and the worker's side of
 * the farm's MPI protocol.
 *
 * Every record of a shard takes one path, whatever its model output comes
 * from (source.h):
 *
 *     read (corpus.h) -> record (record.h) -> problem (the domain)
 *       -> source: the outputs -> verify (the domain) -> item + facts
 *       -> part (part.h) + statistics (stats.h)
 *
 * Every line becomes exactly one item (one per sample with a source that
 * requests samples): verified, or an error item with its kind and reason
 * (bad_json, bad_record, line_too_long, read_error, too_big, fetch_failed,
 * cache_miss).
 */
#ifndef TRACEFARM_WORKER_H
#define TRACEFARM_WORKER_H

#include "tracefarm/corpus.h"
#include "tracefarm/err.h"
#include "tracefarm/fetch.h"
#include "tracefarm/job.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

/* What a finished shard reports to the coordinator (and, so far, to a
 * progress tick). */
typedef struct tf_shard_result {
    uint64_t lines;      /* lines owned by the shard */
    uint64_t records;    /* item lines written */
    uint64_t errors;     /* of which error items */
    uint64_t requests;   /* HTTP attempts sent (sources that send) */
    uint64_t retries;    /* of which retries */
    uint64_t cache_hits; /* samples the response cache answered */
    uint64_t in_flight;  /* a tick only: requests in flight now */
} tf_shard_result;

/* What a worker brings to every shard: where it stands among the workers
 * (an endpoint's replica and the share of the job's rate limit follow from
 * it) and what lives from shard to shard. */
typedef struct tf_worker_ctx {
    unsigned ordinal;          /* 0-based */
    unsigned nworkers;         /* at least 1 */
    tf_fetch_breaker *breaker; /* borrowed: the worker's circuit breaker (fetch.h), or NULL */
    /* Called as items are written, with the shard's counts so far (NULL:
     * none). It must be cheap: it runs once per record written. */
    void (*tick)(void *tick_ctx, const tf_shard_result *so_far);
    void *tick_ctx;
} tf_worker_ctx;

/* Process shard id (plan entry s) of the work into its part in partdir.
 * Record-level problems become error items; only failures to read the
 * corpus at all, to reach a source or to write the part are errors (d says
 * which). TF_ERR_STOPPED (d says why): the worker's circuit breaker
 * tripped; the shard is dropped unfinished (its part is not committed) and
 * the job must stop. MPI-free. */
tf_err tf_worker_shard(const tf_work *work, const tf_worker_ctx *wc, uint64_t id, const tf_shard *s,
                       const char *partdir, tf_shard_result *res, tf_diag *d) TF_MUST_USE;

/* The first request of an endpoint job (source "endpoint"): the prompt
 * and item seed of the first line of shard s that makes a request, built
 * exactly as the endpoint source builds them, so that the request (sample
 * 0) is the one a worker later sends for that line (the preflight,
 * docs/endpoint.md). At most max_lines lines are read. TF_OK with *prompt
 * (owned by the caller: free) and *line (its line number); TF_ERR_EOF when
 * no line within reach makes a request; TF_ERR_IO and others (d) when the
 * shard cannot be read. */
tf_err tf_worker_first_request(const tf_work *work, const tf_shard *s, uint64_t max_lines,
                               char **prompt, uint64_t *item_seed, uint64_t *line,
                               tf_diag *d) TF_MUST_USE;

/* ----- the protocol between rank 0 and the workers ------------------------------ */

/* Message tags on the farm's communicator. */
enum {
    TF_TAG_READY = 1, /* worker -> 0: uint64[TF_READY_N] */
    TF_TAG_WORK = 2,  /* 0 -> worker: uint64[TF_WORK_N] */
    TF_TAG_STOP = 3,  /* 0 -> worker: empty */
    TF_TAG_FAIL = 4,  /* worker -> 0: char[] the message of a failed shard */
};

/* READY: {shard just finished or TF_NO_SHARD, failed (TF_SHARD_*), lines,
 * records, errors, attempt, signal received, then the shard's requests,
 * retries and cache hits (the coordinator's progress)}. A failed or
 * tripped shard is followed by FAIL, its message. */
enum {
    TF_READY_SHARD,
    TF_READY_FAILED,
    TF_READY_LINES,
    TF_READY_RECORDS,
    TF_READY_ERRORS,
    TF_READY_ATTEMPT,
    TF_READY_SIGNAL,
    TF_READY_REQUESTS,
    TF_READY_RETRIES,
    TF_READY_CACHE_HITS,
    TF_READY_N
};
/* READY's failed: how the shard ended. */
enum {
    TF_SHARD_DONE = 0,    /* its part is committed */
    TF_SHARD_FAILED = 1,  /* an error: the job fails */
    TF_SHARD_TRIPPED = 2, /* the worker's circuit breaker tripped: the job stops, resumable */
};
/* WORK: {shard, file, zstd, begin, end, attempt}. */
enum {
    TF_WORK_SHARD,
    TF_WORK_FILE,
    TF_WORK_ZSTD,
    TF_WORK_BEGIN,
    TF_WORK_END,
    TF_WORK_ATTEMPT,
    TF_WORK_N
};
#define TF_NO_SHARD UINT64_MAX

/* The directory of the parts of attempt a of a shard (0: partdir itself,
 * a > 0: partdir/attempt-a, so that a straggler's second attempt never
 * writes over the first). Caller frees. */
char *tf_part_dir(const char *partdir, uint32_t attempt);

/* A worker rank's loop on comm: ask rank 0 for shards (READY), process
 * each (WORK), until STOP. *signal is read before each READY and reported,
 * so rank 0 stops everyone. The worker keeps one circuit breaker for all
 * its shards (the endpoint section's breaker_* keys); when it trips, the
 * shard is reported TF_SHARD_TRIPPED and the worker waits for STOP.
 * Returns 0 when stopped, 1 when a shard failed (its message was sent
 * with FAIL). */
int tf_worker_loop(MPI_Comm comm, const tf_work *work, const char *partdir,
                   const volatile sig_atomic_t *signal);

#endif
