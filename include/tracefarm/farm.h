/* farm.h: running a job across MPI ranks ("tracefarm run").
 *
 * Rank 0 (the coordinator) validates the job, plans shards and hands them
 * out on demand; every other rank (a worker) processes shards into parts
 * (worker.h); rank 0 then merges the parts in shard order into the
 * outputs. With one rank, rank 0 processes every shard itself.
 */
#ifndef TRACEFARM_FARM_H
#define TRACEFARM_FARM_H

#include "tracefarm/err.h"
#include "tracefarm/job.h"
#include "tracefarm/plan.h"
#include "tracefarm/stats.h"

#include <mpi.h>
#include <stdint.h>

/* Process exit statuses (docs/outputs.md, "Exit status"). */
enum {
    TF_EXIT_OK = 0,          /* every item verified */
    TF_EXIT_FATAL = 1,       /* the job could not finish */
    TF_EXIT_SPEC = 2,        /* bad usage, job spec or output directory: nothing was done */
    TF_EXIT_ITEM_ERRORS = 3, /* finished; some items are error items */
    TF_EXIT_REQUEUE = 75,    /* stopped by SIGTERM/SIGUSR1: run again to resume (EX_TEMPFAIL) */
};

/* Options of "tracefarm run". */
typedef struct tf_run_opts {
    const char *job_path; /* the job spec file */
    int quiet;            /* no summary on stdout */
    int force;            /* start over in an output directory of another job or a changed corpus */
} tf_run_opts;

/* Run a job on comm (MPI must be initialised). Every rank calls this and
 * every rank returns the same exit status. */
int tf_run(MPI_Comm comm, const tf_run_opts *o);

/* The directory of the parts of attempt (0: partdir itself, k > 0:
 * partdir/attempt-k). Caller frees. */
char *tf_part_dir(const char *partdir, uint32_t attempt);

/* Merge the parts of every shard of plan (in plan order) into
 * items.jsonl.zst, and return the merged statistics in *total (caller
 * frees). The part of shard k is read from tf_part_dir(partdir,
 * attempts[k]) (attempts NULL: attempt 0 for every shard). */
tf_err tf_merge_items(const tf_job *job, const tf_plan *plan, const char *partdir,
                      const uint32_t *attempts, tf_stats **total, tf_diag *d) TF_MUST_USE;

/* Write summary.json.zst for the merged statistics. */
tf_err tf_write_summary(const tf_job *job, const tf_stats *total, tf_diag *d) TF_MUST_USE;

#endif
