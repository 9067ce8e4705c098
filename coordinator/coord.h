/* coord.h: rank 0's state while a job runs, shared by the lifecycle of a
 * run (farm.c) and the shard queue (queue.c). Private to coordinator/. */
#ifndef TRACEFARM_COORD_H
#define TRACEFARM_COORD_H

#include "tracefarm/plan.h"
#include "tracefarm/job.h"
#include "tracefarm/journal.h"
#include "tracefarm/outputs.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>

/* Per-shard state on rank 0. */
typedef struct shard_state {
    uint8_t done;     /* journaled */
    uint8_t resumed;  /* journaled by an earlier run (resume): not this run's work */
    uint8_t attempts; /* attempts handed out in this run */
    double started;   /* MPI_Wtime of the latest attempt */
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
    double straggler;   /* seconds; 0: off */
    uint64_t journaled; /* done records written by this run */
    tf_run_info *ri;    /* for run.json */
    uint64_t *shards_by_rank;
    const volatile sig_atomic_t *signal; /* the signal that asked the job to stop, or 0 */
    int stop_signal;                     /* the signal that stopped the run, or 0 */
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

#endif
