/* queue.c: rank 0 hands out shards on demand and journals each finished
 * one (coord.h; the protocol is in worker.h, docs/resume.md).
 *
 * A worker asks for work with READY, reporting the shard it just finished
 * (and a signal it received); rank 0 answers each READY with the next shard
 * or STOP, so fast ranks take more shards. Rank 0 journals each finished
 * shard (journal.h) before handing out more, so a killed job resumes where
 * it stopped. With straggler_seconds set, a shard running longer than that
 * is handed to an idle rank as well (attempt 1, 2): the first result is
 * journaled and merged, later ones are dropped. A shard whose worker's
 * circuit breaker tripped is not journaled, and stops the job like a
 * signal. The counts READY carries feed the progress line.
 */
#include "coord.h"

#include "tracefarm/testhook.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* At most this many attempts of one shard in flight (straggler_seconds). */
#define MAX_ATTEMPTS 3

/* A finished shard: journal it unless another attempt was first. */
static tf_err record_done(coord *c, const tf_journal_rec *r, tf_diag *d)
{
    if (r->shard >= c->nshards) {
        tf_diag_set(d, "a worker reported shard %" PRIu64 ", which is not in the plan", r->shard);
        return TF_ERR_INTERNAL;
    }
    shard_state *s = &c->sh[r->shard];
    if (s->done) {
        c->ri->dropped++;
        return TF_OK;
    }
    tf_err err = tf_journal_done(c->jr, r, d);
    if (err != TF_OK)
        return err;
    s->done = 1;
    s->items = r->records;
    s->errors = r->errors;
    tf_progress_done(c->progress, (size_t)r->shard, r->records, 1);
    tf_progress_add(c->progress, r->errors, 0, 0, 0);
    c->winners[r->shard] = r->attempt;
    c->ndone++;
    c->shards_by_rank[r->rank]++;
    tf_test_kill("shard", ++c->journaled);
    return TF_OK;
}

/* ----- rank 0 ----------------------------------------------------------- */

/* Send shard k (attempt a) to worker dst. */
static int send_work(coord *c, MPI_Comm comm, int dst, size_t k, uint32_t a, tf_diag *d)
{
    if (a > 0) { /* the attempt's own directory: parts never collide */
        char *dir = tf_part_dir(c->partdir, a);
        tf_err err = dir ? tf_mkdirs(dir, d) : TF_ERR_NOMEM;
        free(dir);
        if (err != TF_OK)
            return 0;
        c->ri->extra_attempts++;
    }
    const tf_shard *s = tf_plan_get(c->plan, k);
    uint64_t msg[TF_WORK_N] = {k, s->file, s->zstd, s->begin, s->end, a};
    MPI_Send(msg, TF_WORK_N, MPI_UINT64_T, dst, TF_TAG_WORK, comm);
    c->sh[k].attempts = (uint8_t)(a + 1);
    c->sh[k].started = MPI_Wtime();
    return 1;
}

/* The running shard whose latest attempt is older than the straggler
 * bound (the oldest such), or TF_NO_SHARD. */
static uint64_t pick_straggler(const coord *c)
{
    double now = MPI_Wtime(), oldest = now - c->straggler;
    uint64_t best = TF_NO_SHARD;
    for (size_t k = 0; k < c->nshards; k++) {
        const shard_state *s = &c->sh[k];
        if (!s->done && s->attempts > 0 && s->attempts < MAX_ATTEMPTS && s->started <= oldest) {
            oldest = s->started;
            best = k;
        }
    }
    return best;
}

/* Hand out every shard on demand, journaling each finished one (coord.h).
 * Workers still busy with a redundant attempt when every shard is done are
 * left to tf_queue_drain. */
int tf_queue_run(MPI_Comm comm, int nranks, coord *c, int *active)
{
    int failed = 0, stopping = 0, nheld = 0;
    size_t running = 0; /* shard attempts handed out and not reported */
    int *held = calloc((size_t)nranks, sizeof *held); /* idle workers kept for stragglers */
    tf_diag d;
    d.msg[0] = '\0';
    *active = nranks - 1;
    if (!held)
        failed = 1;
    while (*active > 0) {
        tf_progress_running(c->progress, running);
        tf_progress_show(c->progress, 0);
        if (*c->signal && !stopping) {
            stopping = 1;
            c->stop_signal = *c->signal;
        }
        if (!failed && c->ndone == c->nshards && nheld == 0)
            break;
        if (nheld && (failed || stopping || c->ndone == c->nshards)) {
            for (int i = 0; i < nheld; i++)
                MPI_Send(NULL, 0, MPI_UINT64_T, held[i], TF_TAG_STOP, comm);
            *active -= nheld;
            nheld = 0;
            continue;
        }
        for (int i = 0; i < nheld;) {
            uint64_t k = pick_straggler(c);
            if (k == TF_NO_SHARD)
                break;
            if (!send_work(c, comm, held[i], (size_t)k, c->sh[k].attempts, &d)) {
                tf_progress_break(c->progress);
                fprintf(stderr, "tracefarm: %s\n", d.msg);
                failed = 1;
                break;
            }
            running++;
            held[i] = held[--nheld];
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TF_TAG_READY, comm, &flag, &st);
        if (!flag) { /* poll, so that a signal or a straggler is seen */
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        int src = st.MPI_SOURCE;
        uint64_t ready[TF_READY_N];
        MPI_Recv(ready, TF_READY_N, MPI_UINT64_T, src, TF_TAG_READY, comm, MPI_STATUS_IGNORE);
        if (ready[TF_READY_SIGNAL] && !stopping) { /* a worker was signalled: stop everyone */
            stopping = 1;
            c->stop_signal = (int)ready[TF_READY_SIGNAL];
        }
        if (ready[TF_READY_SHARD] != TF_NO_SHARD) {
            if (running)
                running--;
            tf_progress_add(c->progress, 0, ready[TF_READY_REQUESTS], ready[TF_READY_RETRIES],
                            ready[TF_READY_CACHE_HITS]);
            if (ready[TF_READY_FAILED]) {
                char text[TF_DIAG_LEN + 64];
                MPI_Recv(text, (int)sizeof text, MPI_CHAR, src, TF_TAG_FAIL, comm,
                         MPI_STATUS_IGNORE);
                text[sizeof text - 1] = '\0';
                if (ready[TF_READY_SHARD] < c->nshards && c->sh[ready[TF_READY_SHARD]].done) {
                    c->ri->dropped++; /* a redundant attempt failed: the shard is done */
                } else if (ready[TF_READY_FAILED] == TF_SHARD_TRIPPED) {
                    /* a stop, not a failure: the shard is not journaled, the
                     * other workers finish theirs and get STOP */
                    if (!stopping && !c->stop_why[0])
                        snprintf(c->stop_why, sizeof c->stop_why, "%.1000s (rank %d)", text, src);
                    stopping = 1;
                } else {
                    tf_progress_break(c->progress);
                    fprintf(stderr, "tracefarm: rank %d: %s\n", src, text);
                    failed = 1;
                }
            } else {
                tf_journal_rec r = {.shard = ready[TF_READY_SHARD],
                                    .attempt = (uint32_t)ready[TF_READY_ATTEMPT],
                                    .rank = (uint32_t)src,
                                    .lines = ready[TF_READY_LINES],
                                    .records = ready[TF_READY_RECORDS],
                                    .errors = ready[TF_READY_ERRORS]};
                if (record_done(c, &r, &d) != TF_OK) {
                    tf_progress_break(c->progress);
                    fprintf(stderr, "tracefarm: %s\n", d.msg);
                    failed = 1;
                }
            }
        }
        while (c->next < c->nshards && (c->sh[c->next].done || c->sh[c->next].attempts))
            c->next++;
        if (!failed && !stopping && c->next < c->nshards) {
            if (send_work(c, comm, src, c->next, 0, &d)) {
                running++;
                continue;
            }
            tf_progress_break(c->progress);
            fprintf(stderr, "tracefarm: %s\n", d.msg);
            failed = 1;
        }
        if (!failed && !stopping && c->straggler > 0 && c->ndone < c->nshards) {
            held[nheld++] = src;
            continue;
        }
        MPI_Send(NULL, 0, MPI_UINT64_T, src, TF_TAG_STOP, comm);
        (*active)--;
    }
    free(held);
    if (failed)
        return TF_QUEUE_FAILED;
    return c->ndone == c->nshards ? TF_QUEUE_DONE : TF_QUEUE_STOPPED;
}

void tf_queue_drain(MPI_Comm comm, coord *c, int active)
{
    while (active > 0) {
        uint64_t ready[TF_READY_N];
        MPI_Status st;
        MPI_Recv(ready, TF_READY_N, MPI_UINT64_T, MPI_ANY_SOURCE, TF_TAG_READY, comm, &st);
        if (ready[TF_READY_SHARD] != TF_NO_SHARD && ready[TF_READY_FAILED]) {
            char text[TF_DIAG_LEN + 64];
            MPI_Recv(text, (int)sizeof text, MPI_CHAR, st.MPI_SOURCE, TF_TAG_FAIL, comm,
                     MPI_STATUS_IGNORE);
        }
        if (ready[TF_READY_SHARD] != TF_NO_SHARD)
            c->ri->dropped++;
        MPI_Send(NULL, 0, MPI_UINT64_T, st.MPI_SOURCE, TF_TAG_STOP, comm);
        active--;
    }
}

/* One process: the progress line as the shard's items are written. */
static void alone_tick(void *ctx, const tf_shard_result *so_far)
{
    coord *c = ctx;
    tf_progress_partial(c->progress, so_far);
    tf_progress_show(c->progress, 0);
}

/* One process does everything (coord.h). */
int tf_queue_alone(coord *c)
{
    uint64_t nth = 0;
    const tf_work *w = &c->job->work;
    tf_fetch_breaker *breaker = NULL; /* one for every shard, as a worker rank has */
    if (w->source == TF_SOURCE_ENDPOINT &&
        tf_fetch_breaker_from_config(w->fetch, &breaker) != TF_OK)
        return TF_QUEUE_FAILED;
    tf_worker_ctx alone = {.ordinal = 0,
                           .nworkers = 1,
                           .breaker = breaker,
                           .tick = c->progress ? alone_tick : NULL,
                           .tick_ctx = c};
    int outcome = TF_QUEUE_DONE;
    tf_progress_running(c->progress, 1);
    for (size_t k = 0; k < c->nshards && outcome == TF_QUEUE_DONE; k++) {
        tf_progress_show(c->progress, 0);
        if (*c->signal) {
            c->stop_signal = *c->signal;
            outcome = TF_QUEUE_STOPPED;
            break;
        }
        if (c->sh[k].done)
            continue;
        tf_shard_result res;
        memset(&res, 0, sizeof res);
        tf_diag d;
        d.msg[0] = '\0';
        tf_test_slow(0, nth);
        tf_err err = tf_worker_shard(w, &alone, k, tf_plan_get(c->plan, k), c->partdir, &res, &d);
        tf_progress_partial(c->progress, NULL);
        tf_progress_add(c->progress, 0, res.requests, res.retries, res.cache_hits);
        if (err == TF_ERR_STOPPED) { /* the breaker: the shard is dropped, not journaled */
            snprintf(c->stop_why, sizeof c->stop_why, "%s", d.msg);
            outcome = TF_QUEUE_STOPPED;
            break;
        }
        if (err != TF_OK) {
            tf_progress_break(c->progress);
            fprintf(stderr, "tracefarm: shard %zu: %s\n", k, d.msg);
            outcome = TF_QUEUE_FAILED;
            break;
        }
        tf_test_kill("part", ++nth);
        tf_journal_rec r = {
            .shard = k, .lines = res.lines, .records = res.records, .errors = res.errors};
        if (record_done(c, &r, &d) != TF_OK) {
            tf_progress_break(c->progress);
            fprintf(stderr, "tracefarm: %s\n", d.msg);
            outcome = TF_QUEUE_FAILED;
        }
    }
    tf_fetch_breaker_free(breaker);
    return outcome;
}
