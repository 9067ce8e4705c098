/* farm.h: running a job across MPI ranks ("tracefarm run").
 *
 * Rank 0 (the coordinator) checks the job, plans shards and hands them out
 * on demand; every other rank (a worker) processes shards into parts
 * (worker.h); rank 0 then merges the parts in shard order into the outputs
 * (outputs.h). With one rank, rank 0 processes every shard itself.
 */
#ifndef TRACEFARM_FARM_H
#define TRACEFARM_FARM_H

#include <mpi.h>

/* Process exit statuses (docs/outputs.md, "Exit status"). */
enum {
    TF_EXIT_OK = 0,          /* every item verified */
    TF_EXIT_FATAL = 1,       /* the job could not finish */
    TF_EXIT_SPEC = 2,        /* bad usage, job spec or output directory: nothing was done */
    TF_EXIT_ITEM_ERRORS = 3, /* finished; some items are error items */
    TF_EXIT_OVER_SHARE = 4,  /* finished; more than warn_share of the items are error items,
                                or of the responses truncated (a warning says which) */
    TF_EXIT_REQUEUE = 75,    /* stopped by a signal or a circuit breaker: run again to resume
                                (EX_TEMPFAIL) */
};

/* Options of "tracefarm run". */
typedef struct tf_run_opts {
    const char *job_path; /* the job spec file */
    int quiet;            /* no progress, no summary */
    int force;            /* start over in an output directory of another job or a changed corpus */
    int check;            /* check, plan and preflight, print the first request, then stop:
                             no output directory, journal or outputs */
    int no_preflight;     /* send no preflight request */
    double progress;      /* seconds between two plain progress lines (no terminal);
                             0: no progress at all */
    unsigned long long limit; /* --limit: only the first limit records (the job's "limit"); 0: as
                                 the spec says */
} tf_run_opts;

/* Run a job on comm (MPI must be initialised). Every rank calls this and
 * every rank returns the same exit status. */
int tf_run(MPI_Comm comm, const tf_run_opts *o);

#endif
