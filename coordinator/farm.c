/* farm.c: the MPI side of "tracefarm run" (see farm.h).
 *
 * Protocol on a duplicate of the caller's communicator:
 *   worker -> 0  TAG_READY  uint64[5] {shard or NONE, status, lines, records, errors}
 *   0 -> worker  TAG_WORK   uint64[5] {shard, file, zstd, begin, end}
 *   0 -> worker  TAG_STOP   (empty)
 *   worker -> 0  TAG_FAIL   char[]    the message of a failed shard
 * A worker asks for work with READY, reporting the shard it just finished;
 * rank 0 answers each READY with the next shard or STOP, so fast ranks
 * take more shards. Only rank 0 prints to the user.
 */
#include "tracefarm/farm.h"

#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

enum { TAG_READY = 1, TAG_WORK = 2, TAG_STOP = 3, TAG_FAIL = 4 };
#define NONE UINT64_MAX

/* Sample this much of the first corpus file to size shards. */
#define SAMPLE_BYTES (1UL << 20)

/* What rank 0 knows of the run, for run.json. */
typedef struct run_info {
    double t_start, t_planned, t_worked, t_merged; /* MPI_Wtime stamps */
    uint64_t *shards_by_rank;                      /* shards each rank did */
    int nranks;
    char *hosts; /* nranks * MPI_MAX_PROCESSOR_NAME */
} run_info;

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Remove leftover part files (a previous run) from partdir. */
static void clear_parts(const char *partdir)
{
    DIR *dir = opendir(partdir);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, "shard-", 6) != 0)
            continue;
        char *p = join(partdir, e->d_name);
        if (p)
            unlink(p);
        free(p);
    }
    closedir(dir);
}

/* Plan the shards: shard_items records per shard, turned into bytes from a
 * sample of the first file. */
static tf_err plan_job(const tf_job *job, tf_plan **plan, tf_diag *d)
{
    double per_line = 0;
    tf_err err = tf_corpus_sample_line_bytes(job->corpus[0], SAMPLE_BYTES, &per_line, d);
    if (err != TF_OK)
        return err;
    if (per_line < 1)
        per_line = 256;
    double target = per_line * (double)job->shard_items;
    if (target < 1)
        target = 1;
    if (target > (double)(1ULL << 40))
        target = (double)(1ULL << 40);
    return tf_plan_create((const char *const *)job->corpus, job->ncorpus, (uint64_t)target, plan,
                          d);
}

/* ----- worker ranks ----------------------------------------------------- */

static int worker_loop(MPI_Comm comm, const tf_job *job, const char *partdir)
{
    uint64_t ready[5] = {NONE, 0, 0, 0, 0};
    for (;;) {
        MPI_Send(ready, 5, MPI_UINT64_T, 0, TAG_READY, comm);
        uint64_t msg[5];
        MPI_Status st;
        MPI_Recv(msg, 5, MPI_UINT64_T, 0, MPI_ANY_TAG, comm, &st);
        if (st.MPI_TAG == TAG_STOP)
            return 0;
        tf_shard s = {
            .file = (uint32_t)msg[1], .zstd = (uint8_t)msg[2], .begin = msg[3], .end = msg[4]};
        tf_shard_result res;
        tf_diag d;
        d.msg[0] = '\0';
        tf_err err = s.file < job->ncorpus ? tf_worker_shard(job, msg[0], &s, partdir, &res, &d)
                                           : TF_ERR_INTERNAL;
        ready[0] = msg[0];
        ready[1] = err != TF_OK;
        ready[2] = res.lines;
        ready[3] = res.records;
        ready[4] = res.errors;
        if (err != TF_OK) {
            MPI_Send(ready, 5, MPI_UINT64_T, 0, TAG_READY, comm);
            char text[TF_DIAG_LEN + 64];
            int n = snprintf(text, sizeof text, "shard %" PRIu64 ": %s", msg[0],
                             d.msg[0] ? d.msg : tf_strerror(err));
            MPI_Send(text, n + 1, MPI_CHAR, 0, TAG_FAIL, comm);
            /* wait for STOP, then leave */
            MPI_Recv(msg, 5, MPI_UINT64_T, 0, TAG_STOP, comm, MPI_STATUS_IGNORE);
            return 1;
        }
    }
}

/* ----- rank 0 ----------------------------------------------------------- */

/* Hand out every shard on demand; returns 0 when all succeeded. */
static int coordinate(MPI_Comm comm, int nranks, const tf_plan *plan, run_info *ri)
{
    size_t next = 0, nshards = tf_plan_count(plan);
    int stopped = 0, failed = 0;
    while (stopped < nranks - 1) {
        uint64_t ready[5];
        MPI_Status st;
        MPI_Recv(ready, 5, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_READY, comm, &st);
        int src = st.MPI_SOURCE;
        if (ready[0] != NONE) {
            if (ready[1]) {
                char text[TF_DIAG_LEN + 64];
                MPI_Recv(text, (int)sizeof text, MPI_CHAR, src, TAG_FAIL, comm, MPI_STATUS_IGNORE);
                text[sizeof text - 1] = '\0';
                fprintf(stderr, "tracefarm: rank %d: %s\n", src, text);
                failed = 1;
            } else {
                ri->shards_by_rank[src]++;
            }
        }
        if (!failed && next < nshards) {
            const tf_shard *s = tf_plan_get(plan, next);
            uint64_t msg[5] = {next, s->file, s->zstd, s->begin, s->end};
            MPI_Send(msg, 5, MPI_UINT64_T, src, TAG_WORK, comm);
            next++;
        } else {
            MPI_Send(NULL, 0, MPI_UINT64_T, src, TAG_STOP, comm);
            stopped++;
        }
    }
    return failed;
}

/* One process does everything. */
static int run_alone(const tf_job *job, const tf_plan *plan, const char *partdir, run_info *ri)
{
    for (size_t k = 0; k < tf_plan_count(plan); k++) {
        tf_shard_result res;
        tf_diag d;
        d.msg[0] = '\0';
        if (tf_worker_shard(job, k, tf_plan_get(plan, k), partdir, &res, &d) != TF_OK) {
            fprintf(stderr, "tracefarm: shard %zu: %s\n", k, d.msg);
            return 1;
        }
        ri->shards_by_rank[0]++;
    }
    return 0;
}

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
    cJSON *v = cJSON_AddObjectToObject(r, "versions");
    cJSON_AddStringToObject(v, "tracefarm", TF_VERSION);
    cJSON_AddStringToObject(v, "mpi", mpiver);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    cJSON_AddStringToObject(v, "zstd", ZSTD_versionString());
    cJSON_AddStringToObject(v, "curl", curl_version());
    char *text = cJSON_Print(r);
    cJSON_Delete(r);
    char *path = join(job->output, "run.json");
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

/* Rank 0 after the shards are done: merge, write outputs, report. */
static int finish(const tf_job *job, const tf_plan *plan, const char *partdir, run_info *ri,
                  const char *started, int quiet)
{
    tf_diag d;
    d.msg[0] = '\0';
    tf_stats *total = NULL;
    tf_err err = tf_merge_items(job, plan, partdir, &total, &d);
    if (err == TF_OK)
        err = tf_write_summary(job, total, &d);
    ri->t_merged = MPI_Wtime();
    int status = TF_EXIT_FATAL;
    if (err == TF_OK) {
        status = tf_stats_errors(total) ? TF_EXIT_ITEM_ERRORS : TF_EXIT_OK;
        err = write_run_json(job, plan, total, ri, started, status, &d);
    }
    if (err != TF_OK) {
        fprintf(stderr, "tracefarm: cannot write outputs: %s\n",
                d.msg[0] ? d.msg : tf_strerror(err));
        status = TF_EXIT_FATAL;
    } else {
        clear_parts(partdir);
        rmdir(partdir);
        if (!quiet)
            print_summary(job, total, ri, tf_plan_count(plan));
        if (tf_stats_errors(total))
            fprintf(stderr,
                    "tracefarm: %" PRIu64 " item(s) could not be verified; see \"error\" "
                    "in %s/items.jsonl.zst\n",
                    tf_stats_errors(total), job->output);
    }
    tf_stats_free(total);
    return status;
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

    /* Rank 0 validates and plans; the outcome and the resolved spec are
     * broadcast, so a bad spec stops every rank before any work. */
    tf_job *job = NULL;
    tf_plan *plan = NULL;
    char *partdir = NULL;
    char *spec = NULL;
    long long speclen = 0;
    int status = TF_EXIT_OK;
    tf_diag d;
    d.msg[0] = '\0';
    if (rank == 0) {
        tf_err err = tf_job_load(o->job_path, &job, &d);
        if (err != TF_OK) {
            status = err == TF_ERR_SPEC ? TF_EXIT_SPEC : TF_EXIT_FATAL;
        } else {
            partdir = join(job->output, ".tracefarm-parts");
            err = partdir ? tf_mkdirs(partdir, &d) : TF_ERR_NOMEM;
            if (err == TF_OK)
                err = plan_job(job, &plan, &d);
            if (err != TF_OK)
                status = TF_EXIT_FATAL;
        }
        if (status != TF_EXIT_OK) {
            fprintf(stderr, "tracefarm: %s\n", d.msg[0] ? d.msg : "cannot start the job");
        } else {
            clear_parts(partdir);
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
        partdir = ok ? join(job->output, ".tracefarm-parts") : NULL;
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

    int failed;
    if (nranks == 1)
        failed = run_alone(job, plan, partdir, &ri);
    else if (rank == 0)
        failed = coordinate(comm, nranks, plan, &ri);
    else
        failed = worker_loop(comm, job, partdir);
    ri.t_worked = MPI_Wtime();
    /* Everyone learns whether any shard failed. */
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, comm);
    if (failed)
        status = TF_EXIT_FATAL;
    else if (rank == 0)
        status = finish(job, plan, partdir, &ri, started, o->quiet);
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);

out:
    free(spec);
    free(partdir);
    free(ri.hosts);
    free(ri.shards_by_rank);
    tf_plan_free(plan);
    tf_job_free(job);
    MPI_Comm_free(&comm);
    return status;
}
