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
#include "tracefarm/job.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

/* What a finished shard reports to the coordinator. */
typedef struct tf_shard_result {
    uint64_t lines;   /* lines owned by the shard */
    uint64_t records; /* item lines written */
    uint64_t errors;  /* of which error items */
} tf_shard_result;

/* Where a worker stands among the workers (an endpoint's replica and the
 * share of the job's rate limit follow from it). */
typedef struct tf_worker_place {
    unsigned ordinal;  /* 0-based */
    unsigned nworkers; /* at least 1 */
} tf_worker_place;

/* Process shard id (plan entry s) of the work into its part in partdir.
 * Record-level problems become error items; only failures to read the
 * corpus at all, to reach a source or to write the part are errors (d says
 * which). MPI-free. */
tf_err tf_worker_shard(const tf_work *work, const tf_worker_place *place, uint64_t id,
                       const tf_shard *s, const char *partdir, tf_shard_result *res,
                       tf_diag *d) TF_MUST_USE;

/* ----- the protocol between rank 0 and the workers ------------------------------ */

/* Message tags on the farm's communicator. */
enum {
    TF_TAG_READY = 1, /* worker -> 0: uint64[TF_READY_N] */
    TF_TAG_WORK = 2,  /* 0 -> worker: uint64[TF_WORK_N] */
    TF_TAG_STOP = 3,  /* 0 -> worker: empty */
    TF_TAG_FAIL = 4,  /* worker -> 0: char[] the message of a failed shard */
};

/* READY: {shard just finished or TF_NO_SHARD, failed, lines, records,
 * errors, attempt, signal received}. */
enum {
    TF_READY_SHARD,
    TF_READY_FAILED,
    TF_READY_LINES,
    TF_READY_RECORDS,
    TF_READY_ERRORS,
    TF_READY_ATTEMPT,
    TF_READY_SIGNAL,
    TF_READY_N
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
 * so rank 0 stops everyone. Returns 0 when stopped, 1 when a shard failed
 * (its message was sent with FAIL). */
int tf_worker_loop(MPI_Comm comm, const tf_work *work, const char *partdir,
                   const volatile sig_atomic_t *signal);

#endif
