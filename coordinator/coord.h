/* coord.h: rank 0's state while a job runs, shared by the lifecycle of a
 * run (farm.c), the shard queue (queue.c), the preflight (preflight.c) and
 * the progress line (progress.c). Private to coordinator/. */
#ifndef TRACEFARM_COORD_H
#define TRACEFARM_COORD_H

#include "tracefarm/fetch.h"
#include "tracefarm/plan.h"
#include "tracefarm/job.h"
#include "tracefarm/journal.h"
#include "tracefarm/outputs.h"
#include "tracefarm/worker.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

typedef struct tf_progress tf_progress; /* progress.c */

/* Per-shard state on rank 0. */
typedef struct shard_state {
    uint8_t done;     /* journaled */
    uint8_t resumed;  /* journaled by an earlier run (resume): not this run's work */
    uint8_t attempts; /* attempts handed out in this run */
    double started;   /* MPI_Wtime of the latest attempt */
    uint64_t items;   /* when done: the item lines of its part (journaled) */
    uint64_t errors;  /* when done: of which error items */
} shard_state;

/* Rank 0's view of the job while shards are handed out. */
typedef struct coord {
    const tf_job *job;
    const tf_plan *plan;
    const char *partdir;
    tf_journal *jr;
    shard_state *sh;
    uint32_t *winners; /* per shard: the attempt whose part is merged */
    size_t nshards, ndone, next;
    double straggler;      /* seconds; 0: off */
    double bytes_per_line; /* the planner's sample of the first file (progress); 0: unknown */
    uint64_t journaled;    /* done records written by this run */
    tf_run_info *ri;       /* for run.json */
    uint64_t *shards_by_rank;
    const volatile sig_atomic_t *signal; /* the signal that asked the job to stop, or 0 */
    int stop_signal;                     /* the signal that stopped the run, or 0 */
    char stop_why[TF_DIAG_LEN + 64];     /* a stop without a signal: why (a circuit
                                            breaker, "rank 2: the last 20 ..."), or "" */
    tf_progress *progress;               /* the progress line, or NULL */
    tf_fetch_stats *preflight;           /* the preflight's requests in this run (owned) */
    tf_fetch_stats *preflight_all;       /* ... summed over every run of the job (owned) */
} coord;

/* How handing out the shards ended. */
enum { TF_QUEUE_DONE = 0, TF_QUEUE_FAILED = 1, TF_QUEUE_STOPPED = 2 };

/* Hand out every shard on demand to the workers of comm, journaling each
 * finished one (queue.c). Returns TF_QUEUE_*; *active gets the workers not
 * yet stopped (tf_queue_drain stops them). */
int tf_queue_run(MPI_Comm comm, int nranks, coord *c, int *active);

/* After the outputs are written: stop the workers still busy with a
 * redundant attempt (their results are dropped). */
void tf_queue_drain(MPI_Comm comm, coord *c, int active);

/* One process does every shard itself. Returns TF_QUEUE_*. */
int tf_queue_alone(coord *c);

/* ----- the preflight (preflight.c) -------------------------------------------- */

/* What tf_preflight does. */
enum {
    TF_PREFLIGHT_SEND = 1,  /* send the requests (without it: --check --no-preflight) */
    TF_PREFLIGHT_SHOW = 2,  /* print the first request and each verdict on stdout (--check) */
    TF_PREFLIGHT_QUIET = 4, /* no note when there is nothing to ask */
};

/* Before any shard is handed out: one real request per distinct base URL
 * of an endpoint job, for the first record's sample 0, built as a worker
 * builds it (docs/endpoint.md, "Failing fast"). Returns TF_EXIT_OK (passed,
 * answered by the cache, failed transiently: a note on stderr, or nothing
 * to ask), TF_EXIT_SPEC with d naming the endpoint and the cause, or
 * TF_EXIT_FATAL (d). flags: TF_PREFLIGHT_*. The requests it sends are
 * counted into *acc when acc is not NULL (run.json counts them). */
int tf_preflight(const tf_job *job, const tf_plan *plan, unsigned flags, tf_fetch_stats *acc,
                 tf_diag *d);

/* ----- progress (progress.c) --------------------------------------------------- */

/* A progress display for rank 0: on a terminal (tty) one line rewritten
 * in place at most 4 times a second, else one plain line every interval
 * seconds, on stderr. items_per_record is the job's samples per record;
 * bytes_per_line the planner's sample of the first corpus file (0:
 * unknown); fetching: the job asks an endpoint or the cache (retries and
 * cache hits are shown). Caller frees with tf_progress_free; NULL when out
 * of memory. */
tf_progress *tf_progress_create(const tf_plan *plan, double bytes_per_line,
                                unsigned items_per_record, int fetching, int tty, double interval);
void tf_progress_free(tf_progress *p); /* accepts NULL */

/* Shard k is done with items item lines: in this run, or resumed from the
 * journal (this_run 0: not in the rate). */
void tf_progress_done(tf_progress *p, size_t k, uint64_t items, int this_run);

/* Add one shard attempt's counts: item errors (done shards only), requests,
 * retries, cache hits. */
void tf_progress_add(tf_progress *p, uint64_t errors, uint64_t requests, uint64_t retries,
                     uint64_t cache_hits);

/* The shard running in this process, so far (one process only; NULL:
 * none). */
void tf_progress_partial(tf_progress *p, const tf_shard_result *so_far);

/* Shards being worked on now. */
void tf_progress_running(tf_progress *p, size_t running);

/* Show the line if it is time (force: now, unless no plain line was shown
 * yet). Cheap when it is not time. */
void tf_progress_show(tf_progress *p, int force);

/* Before other text on stderr: end the line on a terminal so the text
 * starts on its own line. */
void tf_progress_break(tf_progress *p);

#endif
