/* farm.h: running a job across MPI ranks ("tracefarm run").
 *
 * Rank 0 (the coordinator) validates the job, plans shards and hands them
 * out on demand; every other rank (a worker) processes shards into parts
 * (worker.h); rank 0 then merges the parts in shard order into the
 * outputs. With one rank, rank 0 processes every shard itself.
 */
#ifndef TRACEFARM_FARM_H
#define TRACEFARM_FARM_H

#include "tracefarm/corpus.h"
#include "tracefarm/err.h"
#include "tracefarm/job.h"
#include "tracefarm/stats.h"

#include <mpi.h>
#include <stdint.h>

/* Process exit statuses (docs/exit-status.md). */
enum {
    TF_EXIT_OK = 0,          /* every item verified */
    TF_EXIT_FATAL = 1,       /* the job could not finish */
    TF_EXIT_SPEC = 2,        /* bad usage or job spec: nothing was done */
    TF_EXIT_ITEM_ERRORS = 3, /* finished; some items are error items */
};

/* Options of "tracefarm run". */
typedef struct tf_run_opts {
    const char *job_path; /* the job spec file */
    int quiet;            /* no summary on stdout */
} tf_run_opts;

/* Run a job on comm (MPI must be initialised). Every rank calls this and
 * every rank returns the same exit status. */
int tf_run(MPI_Comm comm, const tf_run_opts *o);

/* Merge the parts of every shard of plan (in plan order) into
 * items.jsonl.zst, and return the merged statistics in *total (caller
 * frees). Part files are read from partdir. */
tf_err tf_merge_items(const tf_job *job, const tf_plan *plan, const char *partdir, tf_stats **total,
                      tf_diag *d) TF_MUST_USE;

/* Write summary.json.zst for the merged statistics. */
tf_err tf_write_summary(const tf_job *job, const tf_stats *total, tf_diag *d) TF_MUST_USE;

#endif
