/* farm.c: the MPI side of "tracefarm run" (see farm.h, docs/resume.md).
 *
 * Protocol on a duplicate of the caller's communicator:
 *   worker -> 0  TAG_READY  uint64[7] {shard or NONE, status, lines, records, errors,
 *                                      attempt, signal}
 *   0 -> worker  TAG_WORK   uint64[6] {shard, file, zstd, begin, end, attempt}
 *   0 -> worker  TAG_STOP   (empty)
 *   worker -> 0  TAG_FAIL   char[]    the message of a failed shard
 * A worker asks for work with READY, reporting the shard it just finished
 * (and a signal it received); rank 0 answers each READY with the next
 * shard or STOP, so fast ranks take more shards. Rank 0 journals each
 * finished shard (journal.h) before handing out more, so a killed job
 * resumes where it stopped. With straggler_seconds set, a shard running
 * longer than that is handed to an idle rank as well (attempt 1, 2): the
 * first result is journaled and merged, later ones are dropped. Only rank
 * 0 prints to the user.
 */
#include "tracefarm/farm.h"

#include "tracefarm/hash.h"
#include "tracefarm/journal.h"
#include "tracefarm/plan.h"
#include "tracefarm/testhook.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

enum { TAG_READY = 1, TAG_WORK = 2, TAG_STOP = 3, TAG_FAIL = 4 };
#define NONE UINT64_MAX
#define READY_N 7
#define WORK_N 6

/* Sample this much of the first corpus file to size shards. */
#define SAMPLE_BYTES (1UL << 20)

/* At most this many attempts of one shard in flight (straggler_seconds). */
#define MAX_ATTEMPTS 3

/* The signal that asked the job to stop (SIGTERM, SIGUSR1), or 0. */
static volatile sig_atomic_t g_signal;

/* Signal handler: only records the signal; loops look at it between shards. */
static void on_signal(int sig)
{
    g_signal = sig;
}

/* What rank 0 knows of the run, for run.json. */
typedef struct run_info {
    double t_start, t_planned, t_worked, t_merged; /* MPI_Wtime stamps */
    uint64_t *shards_by_rank;                      /* shards each rank did */
    int nranks;
    char *hosts;           /* nranks * MPI_MAX_PROCESSOR_NAME */
    size_t resumed;        /* shards done by earlier runs (journal) */
    size_t extra_attempts; /* straggler attempts handed out */
    size_t dropped;        /* straggler results that came second */
    int signal;            /* the signal that stopped the run, or 0 */
} run_info;

/* Per-shard state on rank 0. */
typedef struct shard_state {
    uint8_t done;     /* journaled */
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
    uint32_t *winners; /* per shard, for the merge */
    size_t nshards, ndone, next;
    double straggler;   /* seconds; 0: off */
    uint64_t journaled; /* done records written by this run */
    run_info *ri;
} coord;

/* Remove part files ("shard-*") from dir; with recurse, also the
 * attempt-K directories in it. */
static void clear_parts_in(const char *dir, int recurse)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        int part = strncmp(e->d_name, "shard-", 6) == 0;
        int att = recurse && strncmp(e->d_name, "attempt-", 8) == 0;
        if (!part && !att)
            continue;
        char *p = tf_path_join(dir, e->d_name);
        if (p && part)
            unlink(p);
        if (p && att) {
            clear_parts_in(p, 0);
            rmdir(p);
        }
        free(p);
    }
    closedir(dh);
}

/* Remove every part of every attempt. */
static void clear_parts(const char *partdir)
{
    clear_parts_in(partdir, 1);
}

/* Plan the shards. target 0: shard_items records per shard, turned into
 * bytes from a sample of the first file (and returned in *target);
 * otherwise that many bytes (a resumed job keeps its journaled size). */
static tf_err plan_job(const tf_job *job, uint64_t *target, tf_plan **plan, tf_diag *d)
{
    if (*target == 0) {
        double per_line = 0;
        tf_err err = tf_corpus_sample_line_bytes(job->corpus[0], SAMPLE_BYTES, &per_line, d);
        if (err != TF_OK)
            return err;
        if (per_line < 1)
            per_line = 256;
        double t = per_line * (double)job->shard_items;
        if (t < 1)
            t = 1;
        if (t > (double)(1ULL << 40))
            t = (double)(1ULL << 40);
        *target = (uint64_t)t;
    }
    return tf_plan_create((const char *const *)job->corpus, job->ncorpus, *target, plan, d);
}

/* ----- rank 0: the output directory, the journal, resume -------------- */

/* First corpus file whose size or mtime differs from the journal's
 * inputs, described into buf; 0 when they all match. */
static int inputs_changed(const cJSON *old, const cJSON *now, char *buf, size_t n)
{
    if (cJSON_GetArraySize(old) != cJSON_GetArraySize(now)) {
        snprintf(buf, n, "%d corpus files before, %d now", cJSON_GetArraySize(old),
                 cJSON_GetArraySize(now));
        return 1;
    }
    const cJSON *b = now ? now->child : NULL;
    for (const cJSON *a = old ? old->child : NULL; a && b; a = a->next, b = b->next) {
        if (cJSON_Compare(a, b, 1))
            continue;
        const char *k[3] = {"path", "size", "mtime"};
        const char *va[3], *vb[3];
        for (int i = 0; i < 3; i++) {
            va[i] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, k[i]));
            vb[i] = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, k[i]));
            if (!va[i])
                va[i] = "?";
        }
        snprintf(buf, n, "corpus file \"%s\" was %s bytes, modified %s; now %s bytes, modified %s",
                 vb[0] ? vb[0] : va[0], va[1], va[2], vb[1] ? vb[1] : "?", vb[2] ? vb[2] : "?");
        return 1;
    }
    return 0;
}

/* Remove the outputs of an earlier job (--force into another job's
 * directory), so that a crash never leaves them beside a new journal. */
static void remove_outputs(const char *out)
{
    static const char *const names[] = {"summary.json.zst", "items.jsonl.zst", "run.json", NULL};
    for (int i = 0; names[i]; i++) {
        char *p = tf_path_join(out, names[i]);
        if (p)
            unlink(p);
        free(p);
    }
}

/* Try to resume from journal js: the same plan (journaled shard size,
 * same hash) and every journaled shard's part present. Returns
 * TF_EXIT_OK and fills c (plan, states), or TF_EXIT_SPEC with d set. */
static int resume(coord *c, tf_journal_state *js, tf_plan **plan, const char *jpath, tf_diag *d)
{
    const cJSON *h = js->header;
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(h, "target_bytes");
    const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "plan"));
    uint64_t target = cJSON_IsNumber(tb) && tb->valuedouble >= 1 ? (uint64_t)tb->valuedouble : 0;
    if (!target || !ph) {
        tf_diag_set(d, "%s: header lacks the plan", jpath);
        return TF_EXIT_FATAL;
    }
    tf_err err = plan_job(c->job, &target, plan, d);
    if (err != TF_OK)
        return TF_EXIT_FATAL;
    char hex[20];
    snprintf(hex, sizeof hex, "%016" PRIx64, tf_plan_hash(*plan));
    if (strcmp(hex, ph) != 0) {
        tf_diag_set(d,
                    "%s: cannot resume: the corpus now splits into different shards than when "
                    "the job started; run with --force to start over",
                    c->job->output);
        return TF_EXIT_SPEC;
    }
    c->nshards = tf_plan_count(*plan);
    c->sh = calloc(c->nshards ? c->nshards : 1, sizeof *c->sh);
    c->winners = calloc(c->nshards ? c->nshards : 1, sizeof *c->winners);
    if (!c->sh || !c->winners)
        return TF_EXIT_FATAL;
    for (size_t i = 0; i < js->nrecs; i++) {
        const tf_journal_rec *r = &js->recs[i];
        if (r->shard >= c->nshards || c->sh[r->shard].done)
            continue;
        char *dir = tf_part_dir(c->partdir, r->attempt);
        char *meta = dir ? tf_part_path(dir, r->shard, "meta") : NULL;
        int ok = meta && access(meta, R_OK) == 0;
        if (!ok)
            fprintf(stderr, "tracefarm: %s is missing: shard %" PRIu64 " will be done again\n",
                    meta ? meta : "a part", r->shard);
        free(dir);
        free(meta);
        if (!ok)
            continue;
        c->sh[r->shard].done = 1;
        c->winners[r->shard] = r->attempt;
        c->ndone++;
    }
    c->ri->resumed = c->ndone;
    return TF_EXIT_OK;
}

/* Start the job afresh: clear old parts, plan, write a new journal. */
static int start_fresh(coord *c, cJSON *header, tf_plan **plan, const char *jpath, tf_diag *d)
{
    clear_parts(c->partdir);
    uint64_t target = 0;
    tf_err err = plan_job(c->job, &target, plan, d);
    if (err != TF_OK)
        return TF_EXIT_FATAL;
    c->nshards = tf_plan_count(*plan);
    c->sh = calloc(c->nshards ? c->nshards : 1, sizeof *c->sh);
    c->winners = calloc(c->nshards ? c->nshards : 1, sizeof *c->winners);
    char hex[20];
    snprintf(hex, sizeof hex, "%016" PRIx64, tf_plan_hash(*plan));
    if (!c->sh || !c->winners || !cJSON_AddNumberToObject(header, "target_bytes", (double)target) ||
        !cJSON_AddNumberToObject(header, "shards", (double)c->nshards) ||
        !cJSON_AddStringToObject(header, "plan", hex))
        return TF_EXIT_FATAL;
    return tf_journal_create(jpath, header, &c->jr, d) == TF_OK ? TF_EXIT_OK : TF_EXIT_FATAL;
}

/* Rank 0 before any work: decide between a fresh start and a resume
 * (docs/resume.md), refuse an output directory of another job or a
 * changed corpus unless force, plan, and open the journal. */
static int prepare(coord *c, int force, tf_plan **plan, tf_diag *d)
{
    char *jpath = tf_path_join(c->job->output, ".tracefarm-journal");
    cJSON *ident = tf_job_identity(c->job);
    cJSON *inputs = tf_journal_inputs(c->job, d);
    cJSON *header = cJSON_CreateObject();
    tf_journal_state *js = NULL;
    int status = TF_EXIT_FATAL;
    if (!jpath || !ident || !inputs || !header)
        goto out;
    char *itext = cJSON_PrintUnformatted(ident);
    char hex[20];
    snprintf(hex, sizeof hex, "%016" PRIx64,
             itext ? tf_fnv64(TF_FNV_SEED, itext, strlen(itext)) : 0);
    free(itext);
    cJSON_AddStringToObject(header, "job", hex);
    cJSON_AddItemToObject(header, "spec", ident);
    cJSON_AddItemToObject(header, "inputs", inputs);
    const cJSON *spec = ident, *now_inputs = inputs;
    ident = inputs = NULL; /* owned by header */

    tf_err err = tf_journal_load(jpath, &js, d);
    int fresh = 1, other_job = 0;
    char what[700];
    if (err == TF_OK) {
        if (tf_json_diff(cJSON_GetObjectItemCaseSensitive(js->header, "spec"), spec, what,
                         sizeof what)) {
            other_job = 1;
            if (!force) {
                tf_diag_set(d,
                            "%s: the output directory belongs to a different job (%s); use "
                            "another \"output\", or \"tracefarm run --force\" to start over",
                            c->job->output, what);
                status = TF_EXIT_SPEC;
                goto out;
            }
        } else if (!js->ended) {
            if (inputs_changed(cJSON_GetObjectItemCaseSensitive(js->header, "inputs"), now_inputs,
                               what, sizeof what)) {
                if (!force) {
                    tf_diag_set(d,
                                "%s: cannot resume: the corpus changed since the job started "
                                "(%s); run with --force to start over",
                                c->job->output, what);
                    status = TF_EXIT_SPEC;
                    goto out;
                }
            } else {
                fresh = 0;
            }
        }
    } else if (err != TF_ERR_EOF) {
        if (!force) {
            tf_diag_prefix(d, "cannot resume: ");
            size_t n = strlen(d->msg);
            snprintf(d->msg + n, sizeof d->msg - n, "; run with --force to start over");
            goto out;
        }
    }
    if (!fresh) {
        status = resume(c, js, plan, jpath, d);
        if (status == TF_EXIT_SPEC && force) {
            tf_plan_free(*plan);
            *plan = NULL;
            free(c->sh);
            free(c->winners);
            c->sh = NULL;
            c->winners = NULL;
            c->ndone = 0;
            fresh = 1;
        } else if (status == TF_EXIT_OK) {
            status = tf_journal_reopen(jpath, js->good_bytes, &c->jr, d) == TF_OK ? TF_EXIT_OK
                                                                                  : TF_EXIT_FATAL;
            if (js->torn)
                fprintf(stderr, "tracefarm: %s: dropped a record cut short by a crash\n", jpath);
        }
    }
    if (fresh) {
        if (other_job || force)
            remove_outputs(c->job->output);
        status = start_fresh(c, header, plan, jpath, d);
    }
out:
    cJSON_Delete(ident);
    cJSON_Delete(inputs);
    cJSON_Delete(header);
    tf_journal_state_free(js);
    free(jpath);
    return status;
}

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
    c->winners[r->shard] = r->attempt;
    c->ndone++;
    c->ri->shards_by_rank[r->rank]++;
    tf_test_kill("shard", ++c->journaled);
    return TF_OK;
}

/* ----- worker ranks ----------------------------------------------------- */

/* Ask for shards until STOP; returns 1 if a shard failed. */
static int worker_loop(MPI_Comm comm, int rank, const tf_job *job, const char *partdir)
{
    uint64_t ready[READY_N] = {NONE, 0, 0, 0, 0, 0, 0};
    uint64_t nth = 0;
    for (;;) {
        ready[6] = (uint64_t)g_signal;
        MPI_Send(ready, READY_N, MPI_UINT64_T, 0, TAG_READY, comm);
        uint64_t msg[WORK_N];
        MPI_Status st;
        MPI_Recv(msg, WORK_N, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &st);
        if (st.MPI_TAG == TAG_STOP)
            return 0;
        tf_shard s = {
            .file = (uint32_t)msg[1], .zstd = (uint8_t)msg[2], .begin = msg[3], .end = msg[4]};
        tf_shard_result res;
        memset(&res, 0, sizeof res);
        tf_diag d;
        d.msg[0] = '\0';
        tf_test_slow(rank, nth);
        char *dir = tf_part_dir(partdir, (uint32_t)msg[5]);
        tf_err err = !dir                    ? TF_ERR_NOMEM
                     : s.file < job->ncorpus ? tf_worker_shard(job, msg[0], &s, dir, &res, &d)
                                             : TF_ERR_INTERNAL;
        free(dir);
        if (err == TF_OK)
            tf_test_kill("part", ++nth);
        ready[0] = msg[0];
        ready[1] = err != TF_OK;
        ready[2] = res.lines;
        ready[3] = res.records;
        ready[4] = res.errors;
        ready[5] = msg[5];
        if (err != TF_OK) {
            ready[6] = (uint64_t)g_signal;
            MPI_Send(ready, READY_N, MPI_UINT64_T, 0, TAG_READY, comm);
            char text[TF_DIAG_LEN + 64];
            int n = snprintf(text, sizeof text, "shard %" PRIu64 ": %s", msg[0],
                             d.msg[0] ? d.msg : tf_strerror(err));
            MPI_Send(text, n + 1, MPI_CHAR, 0, TAG_FAIL, comm);
            /* wait for STOP, then leave */
            MPI_Recv(msg, WORK_N, MPI_UINT64_T, 0, TAG_STOP, comm, MPI_STATUS_IGNORE);
            return 1;
        }
    }
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
    uint64_t msg[WORK_N] = {k, s->file, s->zstd, s->begin, s->end, a};
    MPI_Send(msg, WORK_N, MPI_UINT64_T, dst, TAG_WORK, comm);
    c->sh[k].attempts = (uint8_t)(a + 1);
    c->sh[k].started = MPI_Wtime();
    return 1;
}

/* The running shard whose latest attempt is older than the straggler
 * bound (the oldest such), or NONE. */
static uint64_t pick_straggler(const coord *c)
{
    double now = MPI_Wtime(), oldest = now - c->straggler;
    uint64_t best = NONE;
    for (size_t k = 0; k < c->nshards; k++) {
        const shard_state *s = &c->sh[k];
        if (!s->done && s->attempts > 0 && s->attempts < MAX_ATTEMPTS && s->started <= oldest) {
            oldest = s->started;
            best = k;
        }
    }
    return best;
}

/* Hand out every shard on demand, journaling each finished one. Returns 0
 * when every shard is done (workers still busy with a redundant attempt
 * are left to drain()), 1 when a shard failed, 2 when a signal stopped the
 * job first. *active gets the workers not yet stopped. */
static int coordinate(MPI_Comm comm, int nranks, coord *c, int *active)
{
    int failed = 0, stopping = 0, nheld = 0;
    int *held = calloc((size_t)nranks, sizeof *held); /* idle workers kept for stragglers */
    tf_diag d;
    d.msg[0] = '\0';
    *active = nranks - 1;
    if (!held)
        failed = 1;
    while (*active > 0) {
        if (g_signal && !stopping) {
            stopping = 1;
            c->ri->signal = g_signal;
        }
        if (!failed && c->ndone == c->nshards && nheld == 0)
            break;
        if (nheld && (failed || stopping || c->ndone == c->nshards)) {
            for (int i = 0; i < nheld; i++)
                MPI_Send(NULL, 0, MPI_UINT64_T, held[i], TAG_STOP, comm);
            *active -= nheld;
            nheld = 0;
            continue;
        }
        for (int i = 0; i < nheld;) {
            uint64_t k = pick_straggler(c);
            if (k == NONE)
                break;
            if (!send_work(c, comm, held[i], (size_t)k, c->sh[k].attempts, &d)) {
                fprintf(stderr, "tracefarm: %s\n", d.msg);
                failed = 1;
                break;
            }
            held[i] = held[--nheld];
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_READY, comm, &flag, &st);
        if (!flag) { /* poll, so that a signal or a straggler is seen */
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        int src = st.MPI_SOURCE;
        uint64_t ready[READY_N];
        MPI_Recv(ready, READY_N, MPI_UINT64_T, src, TAG_READY, comm, MPI_STATUS_IGNORE);
        if (ready[6] && !stopping) { /* a worker was signalled: stop everyone */
            stopping = 1;
            c->ri->signal = (int)ready[6];
        }
        if (ready[0] != NONE) {
            if (ready[1]) {
                char text[TF_DIAG_LEN + 64];
                MPI_Recv(text, (int)sizeof text, MPI_CHAR, src, TAG_FAIL, comm, MPI_STATUS_IGNORE);
                text[sizeof text - 1] = '\0';
                if (ready[0] < c->nshards && c->sh[ready[0]].done) {
                    c->ri->dropped++; /* a redundant attempt failed: the shard is done */
                } else {
                    fprintf(stderr, "tracefarm: rank %d: %s\n", src, text);
                    failed = 1;
                }
            } else {
                tf_journal_rec r = {.shard = ready[0],
                                    .attempt = (uint32_t)ready[5],
                                    .rank = (uint32_t)src,
                                    .lines = ready[2],
                                    .records = ready[3],
                                    .errors = ready[4]};
                if (record_done(c, &r, &d) != TF_OK) {
                    fprintf(stderr, "tracefarm: %s\n", d.msg);
                    failed = 1;
                }
            }
        }
        while (c->next < c->nshards && (c->sh[c->next].done || c->sh[c->next].attempts))
            c->next++;
        if (!failed && !stopping && c->next < c->nshards) {
            if (send_work(c, comm, src, c->next, 0, &d))
                continue;
            fprintf(stderr, "tracefarm: %s\n", d.msg);
            failed = 1;
        }
        if (!failed && !stopping && c->straggler > 0 && c->ndone < c->nshards) {
            held[nheld++] = src;
            continue;
        }
        MPI_Send(NULL, 0, MPI_UINT64_T, src, TAG_STOP, comm);
        (*active)--;
    }
    free(held);
    if (failed)
        return 1;
    return c->ndone == c->nshards ? 0 : 2;
}

/* After the outputs are written: stop the workers still busy with a
 * redundant attempt (their results are dropped). */
static void drain(MPI_Comm comm, coord *c, int active)
{
    while (active > 0) {
        uint64_t ready[READY_N];
        MPI_Status st;
        MPI_Recv(ready, READY_N, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_READY, comm, &st);
        if (ready[0] != NONE && ready[1]) {
            char text[TF_DIAG_LEN + 64];
            MPI_Recv(text, (int)sizeof text, MPI_CHAR, st.MPI_SOURCE, TAG_FAIL, comm,
                     MPI_STATUS_IGNORE);
        }
        if (ready[0] != NONE)
            c->ri->dropped++;
        MPI_Send(NULL, 0, MPI_UINT64_T, st.MPI_SOURCE, TAG_STOP, comm);
        active--;
    }
}

/* One process does everything. Returns as coordinate(). */
static int run_alone(coord *c)
{
    uint64_t nth = 0;
    for (size_t k = 0; k < c->nshards; k++) {
        if (g_signal) {
            c->ri->signal = g_signal;
            return 2;
        }
        if (c->sh[k].done)
            continue;
        tf_shard_result res;
        memset(&res, 0, sizeof res);
        tf_diag d;
        d.msg[0] = '\0';
        tf_test_slow(0, nth);
        if (tf_worker_shard(c->job, k, tf_plan_get(c->plan, k), c->partdir, &res, &d) != TF_OK) {
            fprintf(stderr, "tracefarm: shard %zu: %s\n", k, d.msg);
            return 1;
        }
        tf_test_kill("part", ++nth);
        tf_journal_rec r = {
            .shard = k, .lines = res.lines, .records = res.records, .errors = res.errors};
        if (record_done(c, &r, &d) != TF_OK) {
            fprintf(stderr, "tracefarm: %s\n", d.msg);
            return 1;
        }
    }
    return 0;
}

/* Current UTC time as ISO 8601. */
static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* run.json: everything that varies between runs of the same job. */
static tf_err write_run_json(const tf_job *job, const tf_plan *plan, const tf_stats *total,
                             const run_info *ri, const char *started, int status, tf_diag *d)
{
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return TF_ERR_NOMEM;
    char finished[32];
    iso_now(finished, sizeof finished);
    char mpiver[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(mpiver, &len);
    char *nl = strchr(mpiver, '\n');
    if (nl)
        *nl = '\0';
    cJSON_AddStringToObject(r, "format", "tracefarm-run/1");
    cJSON_AddStringToObject(r, "job", job->name);
    cJSON_AddItemToObject(r, "spec", cJSON_Duplicate(job->resolved, 1));
    cJSON_AddStringToObject(r, "started", started);
    cJSON_AddStringToObject(r, "finished", finished);
    cJSON_AddNumberToObject(r, "exit_status", status);
    cJSON *t = cJSON_AddObjectToObject(r, "seconds");
    cJSON_AddNumberToObject(t, "plan", ri->t_planned - ri->t_start);
    cJSON_AddNumberToObject(t, "work", ri->t_worked - ri->t_planned);
    cJSON_AddNumberToObject(t, "merge", ri->t_merged - ri->t_worked);
    cJSON_AddNumberToObject(t, "total", ri->t_merged - ri->t_start);
    cJSON_AddNumberToObject(r, "ranks", ri->nranks);
    cJSON_AddNumberToObject(r, "workers", ri->nranks > 1 ? ri->nranks - 1 : 1);
    cJSON_AddNumberToObject(r, "shards", (double)tf_plan_count(plan));
    cJSON_AddNumberToObject(r, "shards_resumed", (double)ri->resumed);
    cJSON_AddNumberToObject(r, "straggler_attempts", (double)ri->extra_attempts);
    cJSON_AddNumberToObject(r, "straggler_results_dropped", (double)ri->dropped);
    cJSON_AddNumberToObject(r, "items", (double)tf_stats_items(total));
    cJSON_AddNumberToObject(r, "item_errors", (double)tf_stats_errors(total));
    double secs = ri->t_merged - ri->t_start;
    cJSON_AddNumberToObject(r, "items_per_second",
                            secs > 0 ? (double)tf_stats_items(total) / secs : 0);
    cJSON *by = cJSON_AddArrayToObject(r, "shards_by_rank");
    cJSON *hosts = cJSON_AddArrayToObject(r, "hosts");
    for (int i = 0; i < ri->nranks; i++) {
        cJSON_AddItemToArray(by, cJSON_CreateNumber((double)ri->shards_by_rank[i]));
        cJSON_AddItemToArray(hosts,
                             cJSON_CreateString(ri->hosts + (size_t)i * MPI_MAX_PROCESSOR_NAME));
    }
    /* source "endpoint": requests, retries, statuses, latency, cache, throughput */
    cJSON *fetch = NULL;
    char *fpd = tf_path_join(job->output, ".tracefarm-parts");
    if (fpd && tf_fetch_report(fpd, tf_plan_count(plan), &fetch) == TF_OK && fetch)
        cJSON_AddItemToObject(r, "fetch", fetch);
    free(fpd);
    cJSON *v = cJSON_AddObjectToObject(r, "versions");
    cJSON_AddStringToObject(v, "tracefarm", TF_VERSION);
    cJSON_AddStringToObject(v, "mpi", mpiver);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    cJSON_AddStringToObject(v, "zstd", ZSTD_versionString());
    cJSON_AddStringToObject(v, "curl", curl_version());
    char *text = cJSON_Print(r);
    cJSON_Delete(r);
    char *path = tf_path_join(job->output, "run.json");
    tf_err err = TF_ERR_NOMEM;
    if (text && path) {
        size_t n = strlen(text);
        text[n] = '\n';
        err = tf_write_atomic(path, text, n + 1, d);
    }
    free(text);
    free(path);
    return err;
}

/* A count and its percentage of den, for the terminal. */
static void print_rate(const char *label, const cJSON *o, const char *key)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, key);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "count");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "rate");
    if (cJSON_IsNumber(p))
        printf("  %-34s %10.0f  %6.2f %%\n", label, c->valuedouble, 100.0 * p->valuedouble);
    else
        printf("  %-34s %10.0f       -\n", label, cJSON_IsNumber(c) ? c->valuedouble : 0.0);
}

/* A histogram object as "label: key n, key n". */
static void print_hist(const char *label, const cJSON *h)
{
    printf("  %s:", label);
    if (!h || !h->child)
        printf(" none");
    const cJSON *e;
    const char *sep = "";
    cJSON_ArrayForEach(e, h)
    {
        printf("%s %s %.0f", sep, e->string, e->valuedouble);
        sep = ",";
    }
    printf("\n");
}

/* The readable summary printed at the end of a run. */
static void print_summary(const tf_job *job, const tf_stats *total, const run_info *ri,
                          size_t nshards)
{
    cJSON *o = tf_stats_summary_json(total);
    if (!o)
        return;
    printf("tracefarm: job \"%s\" (%s): %" PRIu64 " items, %zu file%s, %zu shard%s, %d rank%s, "
           "%.2f s\n",
           job->name, job->domain, tf_stats_items(total), job->ncorpus,
           job->ncorpus == 1 ? "" : "s", nshards, nshards == 1 ? "" : "s", ri->nranks,
           ri->nranks == 1 ? "" : "s", ri->t_merged - ri->t_start);
    print_rate("plan valid", o, "plan_valid");
    print_rate("plan optimal", o, "plan_optimal");
    print_rate("trace valid (reference)", o, "trace_valid");
    print_rate("trace valid (strict)", o, "trace_valid_strict");
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "plan_x_trace");
    print_rate("valid plan, valid trace", x, "valid_plan_valid_trace");
    print_rate("valid plan, invalid trace", x, "valid_plan_invalid_trace");
    print_rate("invalid plan, valid trace", x, "invalid_plan_valid_trace");
    print_rate("invalid plan, invalid trace", x, "invalid_plan_invalid_trace");
    print_hist("first errors (reference)", cJSON_GetObjectItemCaseSensitive(o, "first_error"));
    print_hist("item errors", cJSON_GetObjectItemCaseSensitive(o, "item_error_kinds"));
    const cJSON *lvc = cJSON_GetObjectItemCaseSensitive(o, "length_vs_complexity");
    const cJSON *lvn = cJSON_GetObjectItemCaseSensitive(lvc, "n");
    printf("  trace length vs complexity (n %.0f):", cJSON_IsNumber(lvn) ? lvn->valuedouble : 0.0);
    static const char *const corr[] = {"pearson", "spearman", "kendall_tau_b", NULL};
    for (int i = 0; corr[i]; i++) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(lvc, corr[i]);
        if (cJSON_IsNumber(r))
            printf(" %s %.4f", corr[i], r->valuedouble);
        else
            printf(" %s -", corr[i]);
    }
    printf("\n");
    const cJSON *tables = cJSON_GetObjectItemCaseSensitive(o, "tables");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tables, "pairs_overflow")))
        printf("  note: more distinct (complexity, length) pairs than stats.max_pairs: quantiles, "
               "Spearman, Kendall and bins are null (docs/statistics.md)\n");
    if (job->ngroup_by) {
        int ovf = 0;
        size_t ng = tf_stats_groups(total, &ovf);
        printf("  groups: %zu%s (tracefarm show %s)\n", ng,
               ovf ? ", more than stats.max_groups: not kept" : "", job->output);
    }
    printf("  outputs: %s/summary.json.zst %s/items.jsonl.zst %s/run.json\n", job->output,
           job->output, job->output);
    cJSON_Delete(o);
}

/* Rank 0 after the shards are done: merge, write outputs, mark the journal
 * ended, remove the parts, report. */
static int finish(coord *c, const char *started, int quiet)
{
    const tf_job *job = c->job;
    run_info *ri = c->ri;
    tf_diag d;
    d.msg[0] = '\0';
    tf_stats *total = NULL;
    tf_err err = tf_merge_items(job, c->plan, c->partdir, c->winners, &total, &d);
    if (err == TF_OK) {
        tf_test_kill("output", 1);
        err = tf_write_summary(job, total, &d);
    }
    ri->t_merged = MPI_Wtime();
    int status = TF_EXIT_FATAL;
    if (err == TF_OK) {
        tf_test_kill("output", 2);
        status = tf_stats_errors(total) ? TF_EXIT_ITEM_ERRORS : TF_EXIT_OK;
        err = write_run_json(job, c->plan, total, ri, started, status, &d);
    }
    if (err == TF_OK) {
        tf_test_kill("output", 3);
        err = tf_journal_end(c->jr, status, &d);
    }
    if (err != TF_OK) {
        fprintf(stderr, "tracefarm: cannot write outputs: %s\n",
                d.msg[0] ? d.msg : tf_strerror(err));
        status = TF_EXIT_FATAL;
    } else {
        tf_test_kill("output", 4);
        clear_parts(c->partdir);
        rmdir(c->partdir);
        if (!quiet)
            print_summary(job, total, ri, tf_plan_count(c->plan));
        if (tf_stats_errors(total))
            fprintf(stderr,
                    "tracefarm: %" PRIu64 " item(s) could not be verified; see \"error\" "
                    "in %s/items.jsonl.zst\n",
                    tf_stats_errors(total), job->output);
    }
    tf_stats_free(total);
    return status;
}

/* Name of a stop signal for messages. */
static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" : "a signal";
}

/* straggler_seconds of the job (0: off). */
static double straggler_seconds(const tf_job *job)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(job->resolved, "straggler_seconds");
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble : 0;
}

/* Run a job on every rank (farm.h): rank 0 prepares and coordinates, the
 * others work; all return rank 0's status. */
/* One run at a time per output directory: rank 0 holds an exclusive
 * flock on OUTPUT/.tracefarm-lock for the whole run (the kernel drops it
 * if the process dies, so a killed run can be resumed at once). Returns
 * the descriptor to close at the end, or -1 with d saying why. */
static int lock_output(const char *out, tf_diag *d)
{
    char *p = tf_path_join(out, ".tracefarm-lock");
    int fd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd < 0) {
        tf_diag_set(d, "%s: cannot create the lock file: %s", p ? p : out, strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        tf_diag_set(d, "%s: another tracefarm run is using this output directory", out);
        close(fd);
        fd = -1;
    }
    free(p);
    return fd;
}

int tf_run(MPI_Comm parent, const tf_run_opts *o)
{
    MPI_Comm comm;
    MPI_Comm_dup(parent, &comm);
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    run_info ri = {.nranks = nranks, .t_start = MPI_Wtime()};
    char started[32];
    iso_now(started, sizeof started);

    /* SIGTERM and SIGUSR1 (Slurm's warnings, forwarded by mpirun) stop
     * the job at the next shard boundary: the handler only sets a flag. */
    struct sigaction sa, old_term, old_usr1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_signal = 0;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGUSR1, &sa, &old_usr1);

    /* Rank 0 validates, claims or resumes the output directory and plans;
     * the outcome and the resolved spec are broadcast, so a bad spec stops
     * every rank before any work. */
    tf_job *job = NULL;
    tf_plan *plan = NULL;
    char *partdir = NULL;
    char *spec = NULL;
    long long speclen = 0;
    int status = TF_EXIT_OK;
    int lockfd = -1; /* rank 0: the output directory's lock (lock_output) */
    coord c;
    memset(&c, 0, sizeof c);
    c.ri = &ri;
    tf_diag d;
    d.msg[0] = '\0';
    if (rank == 0) {
        tf_err err = tf_job_load(o->job_path, &job, &d);
        if (err != TF_OK) {
            status = err == TF_ERR_SPEC ? TF_EXIT_SPEC : TF_EXIT_FATAL;
        } else {
            partdir = tf_path_join(job->output, ".tracefarm-parts");
            err = partdir ? tf_mkdirs(partdir, &d) : TF_ERR_NOMEM;
            c.job = job;
            c.partdir = partdir;
            c.straggler = straggler_seconds(job);
            if (err == TF_OK)
                lockfd = lock_output(job->output, &d);
            if (err == TF_OK && lockfd < 0)
                status = TF_EXIT_SPEC; /* nothing done: the other run owns it */
            else
                status = err == TF_OK ? prepare(&c, o->force, &plan, &d) : TF_EXIT_FATAL;
            c.plan = plan;
        }
        if (status != TF_EXIT_OK) {
            fprintf(stderr, "tracefarm: %s\n", d.msg[0] ? d.msg : "cannot start the job");
        } else {
            if (ri.resumed)
                fprintf(stderr, "tracefarm: resuming job \"%s\": %zu of %zu shards already done\n",
                        job->name, ri.resumed, c.nshards);
            spec = tf_job_resolved_json(job);
            speclen = spec ? (long long)strlen(spec) + 1 : 0;
            if (!spec)
                status = TF_EXIT_FATAL;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
    if (status != TF_EXIT_OK)
        goto out;
    MPI_Bcast(&speclen, 1, MPI_LONG_LONG, 0, comm);
    if (rank != 0) {
        spec = malloc((size_t)speclen);
        if (!spec)
            MPI_Abort(comm, TF_EXIT_FATAL);
    }
    MPI_Bcast(spec, (int)speclen, MPI_CHAR, 0, comm);
    if (rank != 0) {
        int ok = tf_job_parse(spec, (size_t)speclen - 1, "(resolved job)", 0, &job, &d) == TF_OK;
        partdir = ok ? tf_path_join(job->output, ".tracefarm-parts") : NULL;
        if (!ok || !partdir) {
            fprintf(stderr, "tracefarm: rank %d: %s\n", rank, d.msg);
            MPI_Abort(comm, TF_EXIT_FATAL);
        }
    }
    ri.t_planned = MPI_Wtime();

    /* Host names for run.json. */
    char host[MPI_MAX_PROCESSOR_NAME];
    memset(host, 0, sizeof host);
    int hl = 0;
    MPI_Get_processor_name(host, &hl);
    if (rank == 0) {
        ri.hosts = calloc((size_t)nranks, MPI_MAX_PROCESSOR_NAME);
        ri.shards_by_rank = calloc((size_t)nranks, sizeof *ri.shards_by_rank);
        if (!ri.hosts || !ri.shards_by_rank)
            MPI_Abort(comm, TF_EXIT_FATAL);
    }
    MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, ri.hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
               0, comm);

    /* 0: every shard done; 1: a shard failed; 2: stopped by a signal. */
    int outcome = 0, active = 0;
    if (nranks == 1)
        outcome = run_alone(&c);
    else if (rank == 0)
        outcome = coordinate(comm, nranks, &c, &active);
    else
        outcome = worker_loop(comm, rank, job, partdir);
    ri.t_worked = MPI_Wtime();
    if (rank == 0) {
        if (outcome == 0) {
            status = finish(&c, started, o->quiet);
        } else if (outcome == 2) {
            status = TF_EXIT_REQUEUE;
            fprintf(stderr,
                    "tracefarm: stopped by %s: %zu of %zu shards are done and journaled in "
                    "%s/.tracefarm-journal; run the same job again to resume (exit status %d)\n",
                    signal_name(ri.signal), c.ndone, c.nshards, job->output, TF_EXIT_REQUEUE);
        } else {
            status = TF_EXIT_FATAL;
        }
        drain(comm, &c, active);
    }
    /* Everyone learns the outcome from rank 0 (workers that failed told it). */
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);

out:
    tf_journal_close(c.jr);
    if (lockfd >= 0)
        close(lockfd); /* releases the lock, after the journal's last record */
    free(c.sh);
    free(c.winners);
    free(spec);
    free(partdir);
    free(ri.hosts);
    free(ri.shards_by_rank);
    tf_plan_free(plan);
    tf_job_free(job);
    MPI_Comm_free(&comm);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGUSR1, &old_usr1, NULL);
    return status;
}
