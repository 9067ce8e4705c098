/* loop.c: a worker rank's side of the farm's protocol (worker.h). */
#include "tracefarm/worker.h"

#include "tracefarm/testhook.h"
#include "tracefarm/zio.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tf_part_dir(const char *partdir, uint32_t attempt)
{
    if (attempt == 0)
        return strdup(partdir);
    char name[32];
    snprintf(name, sizeof name, "attempt-%" PRIu32, attempt);
    return tf_path_join(partdir, name);
}

int tf_worker_loop(MPI_Comm comm, const tf_work *work, const char *partdir,
                   const volatile sig_atomic_t *signal)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    tf_worker_ctx wc = {.ordinal = (unsigned)rank - 1, .nworkers = (unsigned)size - 1};
    uint64_t ready[TF_READY_N];
    memset(ready, 0, sizeof ready);
    ready[TF_READY_SHARD] = TF_NO_SHARD;
    uint64_t nth = 0;
    /* one breaker for all of this worker's shards: a small shard must not
     * reset the count of a server that refuses everything */
    tf_fetch_breaker *breaker = NULL;
    if (work->source == TF_SOURCE_ENDPOINT &&
        tf_fetch_breaker_from_config(work->fetch, &breaker) != TF_OK)
        MPI_Abort(comm, 1);
    wc.breaker = breaker;
    for (;;) {
        ready[TF_READY_SIGNAL] = (uint64_t)*signal;
        MPI_Send(ready, TF_READY_N, MPI_UINT64_T, 0, TF_TAG_READY, comm);
        uint64_t msg[TF_WORK_N];
        MPI_Status st;
        MPI_Recv(msg, TF_WORK_N, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &st);
        if (st.MPI_TAG == TF_TAG_STOP) {
            tf_fetch_breaker_free(breaker);
            return 0;
        }
        tf_shard s = {.file = (uint32_t)msg[TF_WORK_FILE],
                      .zstd = (uint8_t)msg[TF_WORK_ZSTD],
                      .begin = msg[TF_WORK_BEGIN],
                      .end = msg[TF_WORK_END]};
        tf_shard_result res;
        memset(&res, 0, sizeof res);
        tf_diag d;
        d.msg[0] = '\0';
        tf_test_slow(rank, nth);
        char *dir = tf_part_dir(partdir, (uint32_t)msg[TF_WORK_ATTEMPT]);
        tf_err err = !dir ? TF_ERR_NOMEM
                     : s.file < work->ncorpus
                         ? tf_worker_shard(work, &wc, msg[TF_WORK_SHARD], &s, dir, &res, &d)
                         : TF_ERR_INTERNAL;
        free(dir);
        if (err == TF_OK)
            tf_test_kill("part", ++nth);
        ready[TF_READY_SHARD] = msg[TF_WORK_SHARD];
        ready[TF_READY_FAILED] = err == TF_OK            ? TF_SHARD_DONE
                                 : err == TF_ERR_STOPPED ? TF_SHARD_TRIPPED
                                                         : TF_SHARD_FAILED;
        ready[TF_READY_LINES] = res.lines;
        ready[TF_READY_RECORDS] = res.records;
        ready[TF_READY_ERRORS] = res.errors;
        ready[TF_READY_ATTEMPT] = msg[TF_WORK_ATTEMPT];
        ready[TF_READY_REQUESTS] = res.requests;
        ready[TF_READY_RETRIES] = res.retries;
        ready[TF_READY_CACHE_HITS] = res.cache_hits;
        if (err != TF_OK) {
            ready[TF_READY_SIGNAL] = (uint64_t)*signal;
            MPI_Send(ready, TF_READY_N, MPI_UINT64_T, 0, TF_TAG_READY, comm);
            char text[TF_DIAG_LEN + 64];
            int n = snprintf(text, sizeof text, "shard %" PRIu64 ": %s", msg[TF_WORK_SHARD],
                             d.msg[0] ? d.msg : tf_strerror(err));
            if (n < 0 || (size_t)n >= sizeof text)
                n = (int)sizeof text - 1;
            MPI_Send(text, n + 1, MPI_CHAR, 0, TF_TAG_FAIL, comm);
            /* wait for STOP, then leave: a tripped breaker is a stop,
             * not a failure (rank 0 stops every worker) */
            MPI_Recv(msg, TF_WORK_N, MPI_UINT64_T, 0, TF_TAG_STOP, comm, MPI_STATUS_IGNORE);
            tf_fetch_breaker_free(breaker);
            return err == TF_ERR_STOPPED ? 0 : 1;
        }
    }
}
