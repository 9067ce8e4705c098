/* farm.c: the life of a run, "tracefarm run" (farm.h, docs/resume.md).
 *
 * Every rank calls tf_run on a duplicate of the caller's communicator.
 * Rank 0 checks the job, claims its output directory (a lock), decides
 * between a fresh start and a resume from the journal and plans the shards;
 * then, before it writes anything, it asks each endpoint of the job one real
 * request (the preflight, preflight.c); only then it opens the journal and
 * broadcasts the resolved spec, so a bad spec or a misconfigured endpoint
 * stops every rank before any work. Then rank 0 hands out shards (queue.c)
 * while the other ranks work (worker.h), or one process does both, with a
 * progress line (progress.c). At the end rank 0 merges the parts into the
 * outputs (outputs.h), marks the journal ended and reports. Only rank 0
 * prints to the user. SIGTERM, SIGUSR1 and SIGINT stop the job at the next
 * shard boundary (exit status 75): the handler only sets a flag; a second
 * SIGINT ends the process at once (the journal is consistent at every
 * instant, so the job still resumes).
 */
#include "tracefarm/farm.h"

#include "coord.h"

#include "tracefarm/hash.h"
#include "tracefarm/part.h"
#include "tracefarm/journal.h"
#include "tracefarm/plan.h"
#include "tracefarm/testhook.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <cjson/cJSON.h>
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
#include <unistd.h>

/* Sample this much of the first corpus file to size shards. */
#define SAMPLE_BYTES (1UL << 20)

/* The signal that asked the job to stop (SIGTERM, SIGUSR1, SIGINT), or 0. */
static volatile sig_atomic_t g_signal;
/* This process speaks to the user (rank 0), and stderr is a terminal. */
static volatile sig_atomic_t g_speaker, g_tty;

/* write(2) of a constant string, from a signal handler. */
static void say(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* Signal handler: records the signal; loops look at it between shards. A
 * first SIGINT (Ctrl-C) says so at once; a second one ends the process
 * here: the journal holds only whole records (journal.h), so the job
 * resumes as after a kill. Only async-signal-safe calls. */
static void on_signal(int sig)
{
    if (sig == SIGINT && g_signal) {
        if (g_speaker)
            say(g_tty ? "\r\033[Ktracefarm: stopped at once by a second SIGINT; run the same job "
                        "again to resume (exit status 75)\n"
                      : "tracefarm: stopped at once by a second SIGINT; run the same job again to "
                        "resume (exit status 75)\n");
        _exit(TF_EXIT_REQUEUE);
    }
    g_signal = sig;
    if (sig == SIGINT && g_speaker)
        say(g_tty ? "\r\033[Ktracefarm: SIGINT: stopping after the shards in progress (Ctrl-C "
                    "again to stop at once)\n"
                  : "tracefarm: SIGINT: stopping after the shards in progress (SIGINT again to "
                    "stop at once)\n");
}

/* Remove part files ("shard-*") from dir; with recurse, also the
 * attempt-K directories in it. */
static void clear_parts_in(const char *dir, int recurse)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        int part = strncmp(e->d_name, "shard-", 6) == 0 || strcmp(e->d_name, "preflight.json") == 0;
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
 * otherwise that many bytes (a resumed job keeps its journaled size). The
 * sample's bytes per line go to *bytes_per_line (for progress; 0 for an
 * empty sample). */
static tf_err plan_job(const tf_job *job, uint64_t *target, tf_plan **plan, double *bytes_per_line,
                       tf_diag *d)
{
    double per_line = 0;
    tf_err err = tf_corpus_sample_line_bytes(job->work.corpus[0], SAMPLE_BYTES, &per_line, d);
    if (err != TF_OK)
        return err;
    *bytes_per_line = per_line;
    if (*target == 0) {
        if (per_line < 1)
            per_line = 256;
        double t = per_line * (double)job->shard_items;
        if (t < 1)
            t = 1;
        if (t > (double)(1ULL << 40))
            t = (double)(1ULL << 40);
        *target = (uint64_t)t;
    }
    return tf_plan_create_limited(job->work.corpus, job->work.ncorpus, *target, job->limit,
                                  job->work.max_line_bytes, plan, d);
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

/* How the journal will be opened once the preflight passed (commit): a
 * fresh start writes a new journal (and may clear an earlier job's
 * outputs), a resume reopens the existing one. Nothing is written before. */
typedef struct start {
    int fresh;           /* 1: a new journal with header; 0: reopen */
    int clear_outputs;   /* fresh: remove an earlier job's outputs first */
    cJSON *header;       /* fresh: the new journal's header (owned) */
    char *jpath;         /* the journal's path (owned) */
    uint64_t good_bytes; /* resume: the journal's whole records end here */
    int torn;            /* resume: a record was cut short by a crash */
} start;

/* Try to resume from journal js: the same plan (journaled shard size,
 * same hash) and every journaled shard's part present. Returns
 * TF_EXIT_OK and fills c (plan, states), or TF_EXIT_SPEC with d set.
 * Writes nothing. */
static int resume(coord *c, tf_journal_state *js, tf_plan **plan, tf_diag *d)
{
    const cJSON *h = js->header;
    const cJSON *tb = cJSON_GetObjectItemCaseSensitive(h, "target_bytes");
    const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "plan"));
    uint64_t target = cJSON_IsNumber(tb) && tb->valuedouble >= 1 ? (uint64_t)tb->valuedouble : 0;
    if (!target || !ph) {
        tf_diag_set(d, "%s/.tracefarm-journal: header lacks the plan", c->job->output);
        return TF_EXIT_FATAL;
    }
    tf_err err = plan_job(c->job, &target, plan, &c->bytes_per_line, d);
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
        c->sh[r->shard].resumed = 1;
        c->sh[r->shard].items = r->records;
        c->sh[r->shard].errors = r->errors;
        c->winners[r->shard] = r->attempt;
        c->ndone++;
    }
    c->ri->resumed = c->ndone;
    return TF_EXIT_OK;
}

/* Plan a fresh start and complete the journal's header with the plan.
 * Writes nothing. */
static int plan_fresh(coord *c, cJSON *header, tf_plan **plan, tf_diag *d)
{
    uint64_t target = 0;
    tf_err err = plan_job(c->job, &target, plan, &c->bytes_per_line, d);
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
    return TF_EXIT_OK;
}

/* The endpoint's base_url in a spec (a string or a list), or NULL. */
static const cJSON *base_url_in(const cJSON *spec)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "endpoint"),
                                            "base_url");
}

/* A resumed job whose server moved: the base_url is not part of the job
 * (tf_job_identity), so the resume goes on, and says so. The journal's
 * header keeps the URL the job started with. */
static void note_moved_server(const cJSON *header, const cJSON *now)
{
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(header, "base_url");
    if (!was || !now || cJSON_Compare(was, now, 1))
        return;
    char *a = cJSON_PrintUnformatted(now), *b = cJSON_PrintUnformatted(was);
    fprintf(stderr,
            "tracefarm: resuming with a new base_url: %s (the job started with %s); the job and "
            "its response cache do not depend on it\n",
            a ? a : "?", b ? b : "?");
    free(a);
    free(b);
}

/* Rank 0 before any work: decide between a fresh start and a resume
 * (docs/resume.md), refuse an output directory of another job or a
 * changed corpus unless force, and plan. Writes nothing: *st says how
 * commit will open the journal. */
static int prepare(coord *c, int force, tf_plan **plan, start *st, tf_diag *d)
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
    cJSON *full = tf_job_spec(c->job);
    const cJSON *url = base_url_in(full);
    if (url)
        cJSON_AddItemToObject(header, "base_url", cJSON_Duplicate(url, 1));
    cJSON_Delete(full);
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
        status = resume(c, js, plan, d);
        if (status == TF_EXIT_SPEC && force) {
            tf_plan_free(*plan);
            *plan = NULL;
            free(c->sh);
            free(c->winners);
            c->sh = NULL;
            c->winners = NULL;
            c->ndone = 0;
            c->ri->resumed = 0;
            fresh = 1;
        } else if (status == TF_EXIT_OK) {
            st->fresh = 0;
            st->good_bytes = js->good_bytes;
            st->torn = js->torn;
            note_moved_server(js->header, cJSON_GetObjectItemCaseSensitive(header, "base_url"));
        }
    }
    if (fresh) {
        status = plan_fresh(c, header, plan, d);
        st->fresh = 1;
        st->clear_outputs = other_job || force;
        st->header = header;
        header = NULL;
    }
    st->jpath = jpath;
    jpath = NULL;
out:
    cJSON_Delete(ident);
    cJSON_Delete(inputs);
    cJSON_Delete(header);
    tf_journal_state_free(js);
    free(jpath);
    return status;
}

/* Rank 0, once the preflight passed: open the journal as prepare decided.
 * A fresh start clears old parts (and an earlier job's outputs) and writes
 * a new journal; a resume reopens the journal after its last whole
 * record. */
static int commit(coord *c, start *st, tf_diag *d)
{
    if (st->fresh) {
        if (st->clear_outputs)
            remove_outputs(c->job->output);
        clear_parts(c->partdir);
        return tf_journal_create(st->jpath, st->header, &c->jr, d) == TF_OK ? TF_EXIT_OK
                                                                            : TF_EXIT_FATAL;
    }
    if (tf_journal_reopen(st->jpath, st->good_bytes, &c->jr, d) != TF_OK)
        return TF_EXIT_FATAL;
    if (st->torn)
        fprintf(stderr, "tracefarm: %s: dropped a record cut short by a crash\n", st->jpath);
    return TF_EXIT_OK;
}

/* The preflight's requests are in no part: rank 0 keeps their sum over
 * every run of the job in PARTDIR/preflight.json (removed with the
 * parts), so that run.json's fetch_all_runs counts them too. */
static int remember_preflight(coord *c, tf_diag *d)
{
    char *path = tf_path_join(c->partdir, "preflight.json");
    char *text = path ? tf_read_file(path, 1 << 20, NULL) : NULL;
    cJSON *old = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!old || tf_fetch_stats_from_json(old, c->preflight_all, NULL) != TF_OK)
        tf_fetch_stats_init(c->preflight_all); /* the first run, or a torn file: from here */
    cJSON_Delete(old);
    tf_fetch_stats_merge(c->preflight_all, c->preflight);
    cJSON *j = tf_fetch_stats_json(c->preflight_all);
    char *js = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    tf_err err = path && js ? tf_write_atomic(path, js, strlen(js), d) : TF_ERR_NOMEM;
    free(js);
    free(path);
    return err == TF_OK ? TF_EXIT_OK : TF_EXIT_FATAL;
}

/* Rank 0 after the shards are done: merge, write outputs, mark the journal
 * ended, remove the parts, report. The status says whether every item was
 * verified (0), some were not (3), or more than warn_share of the items
 * were errors or of the responses truncated (4, with a warning). */
static int finish(coord *c, int quiet)
{
    const tf_job *job = c->job;
    tf_run_info *ri = c->ri;
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
    /* run.json counts what this invocation did: the shards not resumed */
    uint8_t *mine = calloc(c->nshards ? c->nshards : 1, 1);
    for (size_t k = 0; mine && k < c->nshards; k++)
        mine[k] = !c->sh[k].resumed;
    ri->this_run = mine;
    cJSON *run = NULL;
    cJSON *overall = err == TF_OK ? tf_stats_summary_json(total) : NULL;
    if (err == TF_OK && (!mine || !overall))
        err = TF_ERR_NOMEM;
    tf_shortfall sf;
    memset(&sf, 0, sizeof sf);
    if (err == TF_OK) {
        tf_test_kill("output", 2);
        tf_shortfall_of(job, overall, &sf);
        status = sf.errors_over || sf.truncated_over ? TF_EXIT_OVER_SHARE
                 : tf_stats_errors(total)            ? TF_EXIT_ITEM_ERRORS
                                                     : TF_EXIT_OK;
        if (tf_stats_items(total) == 0)
            status = TF_EXIT_ITEM_ERRORS; /* nothing verified is no success */
        run = tf_run_json(job, c->plan, total, ri, c->partdir, c->winners, status, &d);
        err = run ? tf_write_run_json(job, run, &d) : TF_ERR_NOMEM;
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
            tf_print_summary(job, total, overall, run);
        /* the warnings come last, on stderr, whatever --quiet says */
        fflush(stdout);
        if (tf_stats_items(total) == 0)
            fprintf(stderr,
                    "tracefarm: warning: the corpus holds no records (%zu file%s, no line that "
                    "is not blank): nothing was verified\n",
                    job->work.ncorpus, job->work.ncorpus == 1 ? "" : "s");
        if (tf_stats_errors(total) && !sf.errors_over)
            fprintf(stderr,
                    "tracefarm: %" PRIu64 " item(s) could not be verified; see \"error\" "
                    "in %s/items.jsonl.zst\n",
                    tf_stats_errors(total), job->output);
        tf_warn_shortfall(job, overall, &sf);
    }
    cJSON_Delete(overall);
    cJSON_Delete(run);
    ri->this_run = NULL;
    free(mine);
    tf_stats_free(total);
    return status;
}

/* "tracefarm run --check": the spec was checked; plan the shards, show the
 * first request and run the preflight (unless no_preflight), on stdout.
 * No output directory, lock, journal or part is touched (the preflight's
 * answer goes into the response cache, like any answer). Returns
 * TF_EXIT_OK, TF_EXIT_SPEC or TF_EXIT_FATAL with d. */
static int check_job(const tf_job *job, const tf_run_opts *o, tf_diag *d)
{
    tf_plan *plan = NULL;
    uint64_t target = 0;
    double per_line = 0;
    if (plan_job(job, &target, &plan, &per_line, d) != TF_OK)
        return TF_EXIT_FATAL;
    static const char *const sources[] = {"record", "cache", "endpoint"};
    size_t n = tf_plan_count(plan);
    printf("job \"%s\": spec ok; source \"%s\"; %zu corpus file%s in %zu shard%s of about %ld "
           "records (%" PRIu64 " bytes)\n",
           job->name, sources[job->work.source], job->work.ncorpus,
           job->work.ncorpus == 1 ? "" : "s", n, n == 1 ? "" : "s", job->shard_items, target);
    unsigned flags = TF_PREFLIGHT_SHOW | (o->no_preflight ? 0u : (unsigned)TF_PREFLIGHT_SEND);
    int status = tf_preflight(job, plan, flags, NULL, d);
    if (status == TF_EXIT_OK)
        printf("check passed: nothing was written%s\n",
               job->work.source == TF_SOURCE_ENDPOINT && !o->no_preflight
                   ? " (but for the preflight's answer, kept in the response cache)"
                   : "");
    fflush(stdout);
    tf_plan_free(plan);
    return status;
}

/* Name of a stop signal for messages. */
static const char *signal_name(int sig)
{
    return sig == SIGTERM   ? "SIGTERM"
           : sig == SIGUSR1 ? "SIGUSR1"
           : sig == SIGINT  ? "SIGINT"
                            : "a signal";
}

/* The output directory, created if needed, and its working directory
 * (partdir) in it. Every refusal names the path the user gave in "output"
 * (a message about OUTPUT/.tracefarm-parts would name a path they never
 * wrote) and is a spec error: exit 2, nothing done. */
static tf_err claim_output_dir(const char *origin, const char *out, const char *partdir, tf_diag *d)
{
    struct stat st;
    tf_diag why;
    why.msg[0] = '\0';
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
        tf_diag_set(d, "%s: key \"output\": \"%s\" exists and is not a directory", origin, out);
        return TF_ERR_SPEC;
    }
    tf_err err = tf_mkdirs(out, &why);
    if (err == TF_ERR_NOMEM)
        return err;
    if (err != TF_OK) {
        tf_diag_set(d, "%s: key \"output\": cannot create the directory \"%s\" (%s)", origin, out,
                    why.msg);
        return TF_ERR_SPEC;
    }
    if (access(out, W_OK | X_OK) != 0) {
        tf_diag_set(d, "%s: key \"output\": the directory \"%s\" is not writable: %s", origin, out,
                    strerror(errno));
        return TF_ERR_SPEC;
    }
    err = tf_mkdirs(partdir, &why);
    if (err != TF_OK && err != TF_ERR_NOMEM) {
        tf_diag_set(d, "%s: key \"output\": cannot work in \"%s\" (%s)", origin, out, why.msg);
        err = TF_ERR_SPEC;
    }
    return err;
}

/* The job's warnings (lines, job.h), one "tracefarm: warning:" each. */
static void print_warnings(const char *w)
{
    while (w && *w) {
        const char *nl = strchr(w, '\n');
        int n = nl ? (int)(nl - w) : (int)strlen(w);
        fprintf(stderr, "tracefarm: warning: %.*s\n", n, w);
        w += n + (nl != NULL);
    }
}

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

/* Run a job on every rank (farm.h): rank 0 prepares and coordinates, the
 * others work; all return rank 0's status. */
int tf_run(MPI_Comm parent, const tf_run_opts *o)
{
    MPI_Comm comm;
    MPI_Comm_dup(parent, &comm);
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    char started[32];
    tf_iso_now(started, sizeof started);
    tf_run_info ri = {.started = started,
                      .nranks = nranks,
                      .t_start = MPI_Wtime(),
                      .host_len = MPI_MAX_PROCESSOR_NAME};

    /* SIGTERM and SIGUSR1 (Slurm's warnings, forwarded by mpirun) and
     * SIGINT (Ctrl-C without mpirun) stop the job at the next shard
     * boundary: the handler only sets a flag. */
    struct sigaction sa, old_term, old_usr1, old_int;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_signal = 0;
    g_speaker = rank == 0;
    g_tty = isatty(STDERR_FILENO);
    /* --check writes nothing: a signal may end it as it would any command */
    if (!o->check) {
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGUSR1, &sa, &old_usr1);
        sigaction(SIGINT, &sa, &old_int);
    }

    /* Rank 0 checks the job, claims or resumes the output directory,
     * plans, asks the endpoints (the preflight) and only then writes the
     * journal; the outcome and the resolved spec are broadcast, so a bad
     * spec or endpoint stops every rank before any work. */
    tf_job *job = NULL;
    tf_plan *plan = NULL;
    char *partdir = NULL;
    char *spec = NULL;
    char *hosts = NULL;
    long long speclen = 0;
    int status = TF_EXIT_OK;
    int lockfd = -1; /* rank 0: the output directory's lock (lock_output) */
    coord c;
    memset(&c, 0, sizeof c);
    c.ri = &ri;
    c.signal = &g_signal;
    start st;
    memset(&st, 0, sizeof st);
    tf_diag d;
    d.msg[0] = '\0';
    uint64_t cut[2] = {0, 0}; /* --limit: the plan's cut (plan.h), for every rank */
    if (rank == 0) {
        tf_err err = tf_job_load(o->job_path, &job, &d);
        if (err == TF_OK && o->limit)
            err = tf_job_set_limit(job, o->limit, &d);
        if (err == TF_OK)
            print_warnings(job->warnings);
        if (err != TF_OK) {
            status = err == TF_ERR_SPEC ? TF_EXIT_SPEC : TF_EXIT_FATAL;
        } else if (o->check) {
            status = check_job(job, o, &d);
        } else {
            partdir = tf_path_join(job->output, ".tracefarm-parts");
            err = partdir ? claim_output_dir(o->job_path, job->output, partdir, &d) : TF_ERR_NOMEM;
            c.job = job;
            c.partdir = partdir;
            c.straggler = (double)job->straggler_seconds;
            if (err == TF_OK)
                lockfd = lock_output(job->output, &d);
            if (err == TF_OK && lockfd < 0)
                status = TF_EXIT_SPEC; /* nothing done: the other run owns it */
            else
                status = err == TF_OK         ? prepare(&c, o->force, &plan, &st, &d)
                         : err == TF_ERR_SPEC ? TF_EXIT_SPEC
                                              : TF_EXIT_FATAL;
            c.plan = plan;
            if (tf_plan_cut(plan, &cut[0], &cut[1])) {
                job->work.cut_shard = cut[0];
                job->work.cut_records = cut[1];
            }
            c.preflight = malloc(sizeof *c.preflight);
            c.preflight_all = malloc(sizeof *c.preflight_all);
            if (!c.preflight || !c.preflight_all)
                status = TF_EXIT_FATAL;
            else
                tf_fetch_stats_init(c.preflight);
            if (status == TF_EXIT_OK && !o->no_preflight)
                status = tf_preflight(
                    job, plan, TF_PREFLIGHT_SEND | (o->quiet ? (unsigned)TF_PREFLIGHT_QUIET : 0u),
                    c.preflight, &d);
            if (status == TF_EXIT_OK)
                status = commit(&c, &st, &d);
            if (status == TF_EXIT_OK)
                status = remember_preflight(&c, &d);
            ri.preflight = c.preflight;
            ri.preflight_all = c.preflight_all;
        }
        if (status != TF_EXIT_OK) {
            fprintf(stderr, "tracefarm: %s\n", d.msg[0] ? d.msg : "cannot start the job");
        } else if (!o->check) {
            if (ri.resumed)
                fprintf(stderr, "tracefarm: resuming job \"%s\": %zu of %zu shards already done\n",
                        job->name, ri.resumed, c.nshards);
            if (!o->quiet && o->progress > 0) {
                const tf_work *w = &job->work;
                c.progress = tf_progress_create(
                    plan, c.bytes_per_line,
                    w->source == TF_SOURCE_RECORD ? 1u : (unsigned)w->fetch->samples,
                    w->source != TF_SOURCE_RECORD, isatty(STDERR_FILENO), o->progress);
                for (size_t k = 0; c.progress && k < c.nshards; k++)
                    if (c.sh[k].done) {
                        tf_progress_done(c.progress, k, c.sh[k].items, 0);
                        tf_progress_add(c.progress, c.sh[k].errors, 0, 0, 0);
                    }
            }
            spec = tf_job_resolved_json(job);
            speclen = spec ? (long long)strlen(spec) + 1 : 0;
            if (!spec)
                status = TF_EXIT_FATAL;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
    if (status != TF_EXIT_OK || o->check)
        goto out;
    MPI_Bcast(&speclen, 1, MPI_LONG_LONG, 0, comm);
    if (rank != 0) {
        spec = malloc((size_t)speclen);
        if (!spec)
            MPI_Abort(comm, TF_EXIT_FATAL);
    }
    MPI_Bcast(spec, (int)speclen, MPI_CHAR, 0, comm);
    MPI_Bcast(cut, 2, MPI_UINT64_T, 0, comm);
    if (rank != 0) {
        int ok = tf_job_parse(spec, (size_t)speclen - 1, "(resolved job)", 0, &job, &d) == TF_OK;
        if (ok) {
            job->work.cut_shard = cut[0];
            job->work.cut_records = cut[1];
        }
        partdir = ok ? tf_path_join(job->output, ".tracefarm-parts") : NULL;
        if (!ok || !partdir) {
            fprintf(stderr, "tracefarm: rank %d: %s\n", rank, d.msg);
            MPI_Abort(comm, TF_EXIT_FATAL);
        }
    }
    // cppcheck-suppress unreadVariable ; read through c.ri
    ri.t_planned = MPI_Wtime();

    /* Host names for run.json. */
    char host[MPI_MAX_PROCESSOR_NAME];
    memset(host, 0, sizeof host);
    int hl = 0;
    MPI_Get_processor_name(host, &hl);
    if (rank == 0) {
        hosts = calloc((size_t)nranks, MPI_MAX_PROCESSOR_NAME);
        c.shards_by_rank = calloc((size_t)nranks, sizeof *c.shards_by_rank);
        if (!hosts || !c.shards_by_rank)
            MPI_Abort(comm, TF_EXIT_FATAL);
        // cppcheck-suppress unreadVariable ; read through c.ri
        ri.hosts = hosts;
        // cppcheck-suppress unreadVariable ; read through c.ri
        ri.shards_by_rank = c.shards_by_rank;
    }
    MPI_Gather(host, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0,
               comm);

    int outcome = TF_QUEUE_DONE, active = 0;
    if (nranks == 1)
        outcome = tf_queue_alone(&c);
    else if (rank == 0)
        outcome = tf_queue_run(comm, nranks, &c, &active);
    else
        outcome =
            tf_worker_loop(comm, &job->work, partdir, &g_signal) ? TF_QUEUE_FAILED : TF_QUEUE_DONE;
    // cppcheck-suppress unreadVariable ; read through c.ri
    ri.t_worked = MPI_Wtime();
    if (rank == 0) {
        tf_progress_running(c.progress, 0);
        tf_progress_show(c.progress, 1); /* where it ended */
        tf_progress_break(c.progress);
        if (outcome == TF_QUEUE_DONE) {
            status = finish(&c, o->quiet);
        } else if (outcome == TF_QUEUE_STOPPED && c.stop_signal) {
            status = TF_EXIT_REQUEUE;
            fprintf(stderr,
                    "tracefarm: stopped by %s: %zu of %zu shards are done and journaled in "
                    "%s/.tracefarm-journal; run the same job again to resume (exit status %d)\n",
                    signal_name(c.stop_signal), c.ndone, c.nshards, job->output, TF_EXIT_REQUEUE);
        } else if (outcome == TF_QUEUE_STOPPED) {
            /* a circuit breaker: the shard that tripped it was dropped, so
             * the journal holds no shard of failures it caused */
            status = TF_EXIT_REQUEUE;
            fprintf(stderr,
                    "tracefarm: stopped: %s\ntracefarm: %zu of %zu shards are done and journaled "
                    "in %s/.tracefarm-journal; fix the cause and run the same job again to resume "
                    "(exit status %d)\n",
                    c.stop_why, c.ndone, c.nshards, job->output, TF_EXIT_REQUEUE);
        } else {
            status = TF_EXIT_FATAL;
        }
        tf_queue_drain(comm, &c, active);
    }
    /* Everyone learns the outcome from rank 0 (workers that failed told it). */
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);

out:
    tf_progress_free(c.progress);
    free(st.jpath);
    cJSON_Delete(st.header);
    tf_journal_close(c.jr);
    if (lockfd >= 0)
        close(lockfd); /* releases the lock, after the journal's last record */
    free(c.sh);
    free(c.winners);
    free(c.shards_by_rank);
    free(c.preflight);
    free(c.preflight_all);
    free(spec);
    free(partdir);
    free(hosts);
    tf_plan_free(plan);
    tf_job_free(job);
    MPI_Comm_free(&comm);
    if (!o->check) {
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGUSR1, &old_usr1, NULL);
        sigaction(SIGINT, &old_int, NULL);
    }
    return status;
}
