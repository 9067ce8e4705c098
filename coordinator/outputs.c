/* outputs.c: items.jsonl.zst, summary.json.zst, the run's accounting and
 * the readable end of a run (outputs.h).
 *
 * Items are written in corpus order (plan order is file order, then offset
 * order): the worker finished each item, the merge adds its index, its file
 * and its absolute line by concatenation (part.h), never parsing it.
 * Statistics are exact and merged in the same order. Nothing about ranks,
 * hosts or time goes into these two files.
 */
#include "tracefarm/outputs.h"

#include "tracefarm/farm.h"

#include "tracefarm/fetch.h"
#include "tracefarm/part.h"
#include "tracefarm/testhook.h"
#include "tracefarm/text.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

/* ----- items.jsonl.zst ---------------------------------------------------------- */

/* A corpus file's name as the items show it: valid UTF-8, JSON-escaped,
 * with (quoted) and without (bare) the quotes. */
typedef struct file_name {
    uint32_t file; /* corpus index, UINT32_MAX: none yet */
    char *quoted;  /* "\"c.jsonl\"" */
    char *bare;    /* points into quoted, without the quotes (NUL where the closing quote was) */
    char *bare_buf;
} file_name;

static tf_err name_file(file_name *fn, uint32_t file, const char *path)
{
    free(fn->quoted);
    free(fn->bare_buf);
    fn->quoted = fn->bare_buf = NULL;
    fn->file = file;
    char *safe = strdup(path);
    if (!safe)
        return TF_ERR_NOMEM;
    tf_utf8_sanitize(safe); /* outputs are UTF-8 JSON */
    cJSON *s = cJSON_CreateString(safe);
    free(safe);
    fn->quoted = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    fn->bare_buf = fn->quoted ? strdup(fn->quoted + 1) : NULL;
    if (!fn->bare_buf)
        return TF_ERR_NOMEM;
    fn->bare_buf[strlen(fn->bare_buf) - 1] = '\0';
    fn->bare = fn->bare_buf;
    return TF_OK;
}

/* Copy the items of one part into the output, each given its index, file
 * and absolute line (part.h). */
static tf_err merge_part(tf_zwriter *w, const char *dir, uint64_t k, const file_name *fn,
                         uint64_t line_base, uint64_t *index, uint64_t expect, tf_diag *d)
{
    tf_part_reader *r = NULL;
    tf_err err = tf_part_open(dir, k, &r, d);
    uint64_t count = 0;
    tf_part_line pl;
    char head[96];
    while (err == TF_OK && (err = tf_part_next(r, &pl, d)) == TF_OK) {
        uint64_t line = line_base + pl.line;
        int m = snprintf(head, sizeof head, "{\"index\":%" PRIu64 ",\"file\":", *index);
        err = tf_zwriter_write(w, head, (size_t)m, d);
        if (err == TF_OK)
            err = tf_zwriter_write(w, fn->quoted, strlen(fn->quoted), d);
        m = snprintf(head, sizeof head, ",\"line\":%" PRIu64, line);
        if (err == TF_OK)
            err = tf_zwriter_write(w, head, (size_t)m, d);
        if (err == TF_OK && pl.error) {
            /* "error":"FILE:LINE: REASON" */
            err = tf_zwriter_write(w, ",\"error\":\"", 10, d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, fn->bare, strlen(fn->bare), d);
            m = snprintf(head, sizeof head, ":%" PRIu64 ": ", line);
            if (err == TF_OK)
                err = tf_zwriter_write(w, head, (size_t)m, d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, pl.reason, pl.reason_len, d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, "\"", 1, d);
        }
        if (err == TF_OK && pl.members_len)
            err = tf_zwriter_write(w, ",", 1, d);
        if (err == TF_OK)
            err = tf_zwriter_write(w, pl.members, pl.members_len, d);
        if (err == TF_OK)
            err = tf_zwriter_write(w, "}\n", 2, d);
        (*index)++;
        count++;
    }
    if (err == TF_ERR_EOF)
        err = TF_OK;
    tf_part_reader_free(r);
    if (err == TF_OK && count != expect) {
        tf_diag_set(d, "shard %" PRIu64 ": its part has %" PRIu64 " items, its meta says %" PRIu64,
                    k, count, expect);
        err = TF_ERR_PARSE;
    }
    return err;
}

tf_err tf_merge_items(const tf_job *job, const tf_plan *plan, const char *partdir,
                      const uint32_t *attempts, tf_stats **total, tf_diag *d)
{
    const tf_work *work = &job->work;
    *total = tf_stats_create_with(&work->stats);
    char *out_path = tf_path_join(job->output, "items.jsonl.zst");
    uint64_t *line_base = calloc(work->ncorpus ? work->ncorpus : 1, sizeof *line_base);
    if (!*total || !out_path || !line_base) {
        free(out_path);
        free(line_base);
        tf_stats_free(*total);
        *total = NULL;
        return TF_ERR_NOMEM;
    }
    tf_zwriter *w = NULL;
    tf_err err = tf_zwriter_open(out_path, 3, &w, d);
    uint64_t index = 0;
    file_name fn = {.file = UINT32_MAX};
    for (size_t k = 0; err == TF_OK && k < tf_plan_count(plan); k++) {
        const tf_shard *s = tf_plan_get(plan, k);
        tf_part_meta meta;
        memset(&meta, 0, sizeof meta);
        char *dir = tf_part_dir(partdir, attempts ? attempts[k] : 0);
        err = dir ? tf_part_read_meta(dir, k, &meta, d) : TF_ERR_NOMEM;
        if (err == TF_OK && tf_stats_merge(*total, meta.stats) != TF_OK) {
            tf_diag_set(d, "shard %zu: cannot merge its statistics", k);
            err = TF_ERR_PARSE;
        }
        if (err == TF_OK && fn.file != s->file)
            err = name_file(&fn, s->file, work->corpus[s->file]);
        if (err == TF_OK)
            err = merge_part(w, dir, k, &fn, line_base[s->file], &index, meta.records, d);
        line_base[s->file] += meta.lines;
        tf_part_meta_clear(&meta);
        free(dir);
        if (err == TF_OK)
            tf_test_kill("merge", k + 1);
    }
    tf_err e2 = tf_zwriter_close(w, err == TF_OK, d);
    if (err == TF_OK)
        err = e2;
    free(fn.quoted);
    free(fn.bare_buf);
    free(out_path);
    free(line_base);
    if (err != TF_OK) {
        tf_stats_free(*total);
        *total = NULL;
    }
    return err;
}

/* ----- summary.json.zst ---------------------------------------------------------- */

tf_err tf_write_summary(const tf_job *job, const tf_stats *total, tf_diag *d)
{
    const tf_work *work = &job->work;
    cJSON *s = cJSON_CreateObject();
    cJSON *overall = tf_stats_summary_json(total);
    int groups_overflow = 0;
    cJSON *groups = tf_stats_groups_json(total, &groups_overflow);
    cJSON *group_by = cJSON_CreateArray();
    for (size_t i = 0; group_by && i < work->record.ngroup_by; i++)
        if (!cJSON_AddItemToArray(group_by, cJSON_CreateString(job->group_by[i]))) {
            cJSON_Delete(group_by);
            group_by = NULL;
        }
    cJSON *corpus = cJSON_CreateArray();
    for (size_t i = 0; corpus && i < work->ncorpus; i++)
        if (!cJSON_AddItemToArray(corpus, cJSON_CreateString(work->corpus[i]))) {
            cJSON_Delete(corpus);
            corpus = NULL;
        }
    int ok = s && overall && corpus && groups && group_by &&
             cJSON_AddStringToObject(s, "format", "tracefarm-summary/1") &&
             cJSON_AddStringToObject(s, "job", job->name) &&
             cJSON_AddStringToObject(s, "domain", work->dom->name);
    /* from here on each piece belongs to s once added */
    if (ok && (ok = cJSON_AddItemToObject(s, "corpus", corpus)))
        corpus = NULL;
    ok = ok && cJSON_AddNumberToObject(s, "items", (double)tf_stats_items(total));
    if (ok && (ok = cJSON_AddItemToObject(s, "group_by", group_by)))
        group_by = NULL;
    if (ok && (ok = cJSON_AddItemToObject(s, "overall", overall)))
        overall = NULL;
    ok = ok && cJSON_AddBoolToObject(s, "groups_overflow", groups_overflow);
    if (ok && (ok = cJSON_AddItemToObject(s, "groups", groups)))
        groups = NULL;
    cJSON_Delete(overall);
    cJSON_Delete(corpus);
    cJSON_Delete(groups);
    cJSON_Delete(group_by);
    char *text = ok ? cJSON_Print(s) : NULL;
    cJSON_Delete(s);
    char *path = tf_path_join(job->output, "summary.json.zst");
    tf_err err = TF_ERR_NOMEM;
    if (text && path) {
        size_t n = strlen(text);
        text[n] = '\n'; /* replace the NUL: the file ends with a newline */
        err = tf_write_zstd_atomic(path, text, n + 1, 19, d);
    }
    free(text);
    free(path);
    return err;
}

/* ----- the source's accounting (run.json) -------------------------------------------- */

static int add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) != NULL;
}

/* The "fetch" figures of the merged parts of the shards k with mine[k]
 * set (mine NULL: every shard), summed. With timing, also the wall-clock
 * span from the first shard's start to the last one's end and the
 * throughput over it; without (the totals over several invocations, whose
 * span would include the time between them), neither. extra (the
 * preflight's requests, not in any part) is added when not NULL. */
static tf_err fetch_report(const char *partdir, size_t nshards, const uint32_t *attempts,
                           const uint8_t *mine, int timing, const tf_fetch_stats *extra,
                           cJSON **out)
{
    *out = NULL;
    tf_fetch_stats *total = malloc(sizeof *total);
    tf_fetch_stats *one = malloc(sizeof *one);
    tf_err err = total && one ? TF_OK : TF_ERR_NOMEM;
    size_t shards = 0;
    double t0 = 0, t1 = 0;
    if (total)
        tf_fetch_stats_init(total);
    if (total && extra)
        tf_fetch_stats_merge(total, extra);
    for (size_t k = 0; err == TF_OK && k < nshards; k++) {
        if (mine && !mine[k])
            continue;
        char *dir = tf_part_dir(partdir, attempts ? attempts[k] : 0);
        tf_part_meta m;
        memset(&m, 0, sizeof m);
        if (!dir) {
            err = TF_ERR_NOMEM;
        } else if (tf_part_read_meta(dir, k, &m, NULL) == TF_OK && m.fetch &&
                   tf_fetch_stats_from_json(m.fetch, one, NULL) == TF_OK) {
            tf_fetch_stats_merge(total, one);
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(m.fetch, "wall_start");
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(m.fetch, "wall_end");
            if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
                if (shards == 0 || a->valuedouble < t0)
                    t0 = a->valuedouble;
                if (shards == 0 || b->valuedouble > t1)
                    t1 = b->valuedouble;
            }
            shards++;
        }
        tf_part_meta_clear(&m);
        free(dir);
    }
    /* zeros, not nothing, when no shard of this run asked: a fully resumed
     * run sent no request */
    cJSON *j = err == TF_OK ? tf_fetch_stats_json(total) : NULL;
    if (err == TF_OK && !j)
        err = TF_ERR_NOMEM;
    if (j) {
        /* the bucket list is for merging, not for reading */
        cJSON_DeleteItemFromObjectCaseSensitive(j, "latency_hist");
        double secs = t1 > t0 ? t1 - t0 : 0;
        double toks = (double)(total->prompt_tokens + total->completion_tokens);
        if (!add_num(j, "shards", (double)shards) ||
            (timing &&
             (!add_num(j, "seconds", secs) ||
              !add_num(j, "requests_per_second", secs > 0 ? (double)total->requests / secs : 0) ||
              !add_num(j, "tokens_per_second", secs > 0 ? toks / secs : 0)))) {
            cJSON_Delete(j);
            j = NULL;
            err = TF_ERR_NOMEM;
        }
    }
    *out = j;
    free(total);
    free(one);
    return err;
}

/* Items and error items of the shards k with mine[k] set, from their
 * parts' statistics. */
static tf_err items_of(const char *partdir, size_t nshards, const uint32_t *attempts,
                       const uint8_t *mine, uint64_t *items, uint64_t *errors, tf_diag *d)
{
    *items = *errors = 0;
    for (size_t k = 0; k < nshards; k++) {
        if (mine && !mine[k])
            continue;
        char *dir = tf_part_dir(partdir, attempts ? attempts[k] : 0);
        tf_part_meta m;
        memset(&m, 0, sizeof m);
        tf_err err = dir ? tf_part_read_meta(dir, k, &m, d) : TF_ERR_NOMEM;
        if (err == TF_OK) {
            *items += tf_stats_items(m.stats);
            *errors += tf_stats_errors(m.stats);
        }
        tf_part_meta_clear(&m);
        free(dir);
        if (err != TF_OK)
            return err;
    }
    return TF_OK;
}

void tf_iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

cJSON *tf_run_json(const tf_job *job, const tf_plan *plan, const tf_stats *total,
                   const tf_run_info *ri, const char *partdir, const uint32_t *attempts, int status,
                   tf_diag *d)
{
    cJSON *r = cJSON_CreateObject();
    if (!r)
        return NULL;
    size_t nshards = tf_plan_count(plan);
    char finished[32];
    tf_iso_now(finished, sizeof finished);
    char mpiver[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(mpiver, &len);
    char *nl = strchr(mpiver, '\n');
    if (nl)
        *nl = '\0';
    /* what this invocation did: the shards it journaled, not those resumed
     * from an earlier run's journal */
    uint64_t my_items = 0, my_errors = 0;
    size_t my_shards = 0;
    for (size_t k = 0; k < nshards; k++)
        my_shards += !ri->this_run || ri->this_run[k];
    int ok = items_of(partdir, nshards, attempts, ri->this_run, &my_items, &my_errors, d) == TF_OK;
    cJSON_AddStringToObject(r, "format", "tracefarm-run/1");
    cJSON_AddStringToObject(r, "job", job->name);
    cJSON_AddItemToObject(r, "spec", tf_job_spec(job));
    cJSON_AddStringToObject(r, "started", ri->started);
    cJSON_AddStringToObject(r, "finished", finished);
    cJSON_AddNumberToObject(r, "exit_status", status);
    cJSON *t = cJSON_AddObjectToObject(r, "seconds");
    cJSON_AddNumberToObject(t, "plan", ri->t_planned - ri->t_start);
    cJSON_AddNumberToObject(t, "work", ri->t_worked - ri->t_planned);
    cJSON_AddNumberToObject(t, "merge", ri->t_merged - ri->t_worked);
    cJSON_AddNumberToObject(t, "total", ri->t_merged - ri->t_start);
    cJSON_AddNumberToObject(r, "ranks", ri->nranks);
    cJSON_AddNumberToObject(r, "workers", ri->nranks > 1 ? ri->nranks - 1 : 1);
    cJSON_AddNumberToObject(r, "shards", (double)nshards);
    cJSON_AddNumberToObject(r, "shards_resumed", (double)ri->resumed);
    cJSON_AddNumberToObject(r, "straggler_attempts", (double)ri->extra_attempts);
    cJSON_AddNumberToObject(r, "straggler_results_dropped", (double)ri->dropped);
    cJSON_AddNumberToObject(r, "items", (double)tf_stats_items(total));
    cJSON_AddNumberToObject(r, "item_errors", (double)tf_stats_errors(total));
    cJSON *mine = cJSON_AddObjectToObject(r, "this_run");
    cJSON_AddNumberToObject(mine, "shards", (double)my_shards);
    cJSON_AddNumberToObject(mine, "items", (double)my_items);
    cJSON_AddNumberToObject(mine, "item_errors", (double)my_errors);
    double secs = ri->t_merged - ri->t_start;
    cJSON_AddNumberToObject(r, "items_per_second", secs > 0 ? (double)my_items / secs : 0);
    cJSON *by = cJSON_AddArrayToObject(r, "shards_by_rank");
    cJSON *hosts = cJSON_AddArrayToObject(r, "hosts");
    for (int i = 0; i < ri->nranks; i++) {
        cJSON_AddItemToArray(by, cJSON_CreateNumber((double)ri->shards_by_rank[i]));
        cJSON_AddItemToArray(hosts, cJSON_CreateString(ri->hosts + (size_t)i * ri->host_len));
    }
    /* sources "endpoint" and "cache": requests, retries, statuses, latency,
     * cache, throughput of this invocation; the same counts over every
     * invocation whose parts were merged, apart */
    if (job->work.source != TF_SOURCE_RECORD) {
        cJSON *fetch = NULL, *all = NULL;
        ok = ok &&
             fetch_report(partdir, nshards, attempts, ri->this_run, 1, ri->preflight, &fetch) ==
                 TF_OK &&
             fetch_report(partdir, nshards, attempts, NULL, 0, ri->preflight_all, &all) == TF_OK &&
             cJSON_AddItemToObject(r, "fetch", fetch);
        if (ok)
            fetch = NULL;
        ok = ok && cJSON_AddItemToObject(r, "fetch_all_runs", all);
        if (ok)
            all = NULL;
        cJSON_Delete(fetch);
        cJSON_Delete(all);
    }
    cJSON *v = cJSON_AddObjectToObject(r, "versions");
    cJSON_AddStringToObject(v, "tracefarm", TF_VERSION);
    cJSON_AddStringToObject(v, "mpi", mpiver);
    cJSON_AddStringToObject(v, "cjson", cJSON_Version());
    cJSON_AddStringToObject(v, "zstd", ZSTD_versionString());
    cJSON_AddStringToObject(v, "curl", curl_version());
    if (!ok || !v || !mine || !t) {
        if (!d->msg[0])
            tf_diag_set(d, "run.json: %s", tf_strerror(TF_ERR_NOMEM));
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

tf_err tf_write_run_json(const tf_job *job, const cJSON *run, tf_diag *d)
{
    char *text = cJSON_Print(run);
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

/* ----- the readable end of a run ------------------------------------------------------ */

/* A count from a summary or run.json (JSON numbers: exact below 2^53), 0
 * when absent. */
static uint64_t count_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* A histogram object as "key n, key n" into buf ("none" when empty);
 * with statuses, its keys are HTTP statuses: "HTTP 503", "no response"
 * for "0". */
static void hist_text(const cJSON *h, int statuses, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const cJSON *e = h ? h->child : NULL; e && used < n; e = e->next) {
        int none = statuses && strcmp(e->string, "0") == 0;
        int m = snprintf(buf + used, n - used, "%s%s%s %" PRIu64, used ? ", " : "",
                         statuses && !none ? "HTTP " : "", none ? "no response" : e->string,
                         cJSON_IsNumber(e) ? (uint64_t)e->valuedouble : 0);
        used += m > 0 ? (size_t)m : 0;
    }
    if (!buf[0])
        snprintf(buf, n, "none");
}

/* k / n as a percentage, or "-" when n is 0. */
static void pct_text(uint64_t k, uint64_t n, char *buf, size_t len)
{
    if (n)
        snprintf(buf, len, "%6.2f %%", 100.0 * (double)k / (double)n);
    else
        snprintf(buf, len, "     -  ");
}

void tf_shortfall_of(const tf_job *job, const cJSON *overall, tf_shortfall *f)
{
    memset(f, 0, sizeof *f);
    f->items = count_of(overall, "items");
    f->item_errors = count_of(overall, "item_errors");
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(overall, "endpoint");
    uint64_t samples = count_of(ep, "samples"), failed = count_of(ep, "fetch_failures");
    f->responses = samples > failed ? samples - failed : 0;
    f->truncated = count_of(ep, "truncated");
    /* strictly more: warn_share 1 never warns, 0 warns on the first one */
    f->errors_over = f->items && (double)f->item_errors > job->warn_share * (double)f->items;
    f->truncated_over =
        f->responses && (double)f->truncated > job->warn_share * (double)f->responses;
}

void tf_warn_shortfall(const tf_job *job, const cJSON *overall, const tf_shortfall *f)
{
    char pct[16];
    if (f->errors_over) {
        char kinds[512], st[256];
        pct_text(f->item_errors, f->items, pct, sizeof pct);
        hist_text(cJSON_GetObjectItemCaseSensitive(overall, "item_error_kinds"), 0, kinds,
                  sizeof kinds);
        const cJSON *fs = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(overall, "endpoint"), "fetch_failures_by_status");
        hist_text(fs, 1, st, sizeof st);
        fprintf(stderr,
                "tracefarm: warning: %" PRIu64 " of %" PRIu64 " items (%s) could not be "
                "verified (%s%s%s), more than warn_share %g; see \"error\" in "
                "%s/items.jsonl.zst (exit status %d)\n",
                f->item_errors, f->items, pct + strspn(pct, " "), kinds,
                fs && fs->child ? "; fetch failures by last status: " : "",
                fs && fs->child ? st : "", job->warn_share, job->output, TF_EXIT_OVER_SHARE);
    }
    if (f->truncated_over) {
        pct_text(f->truncated, f->responses, pct, sizeof pct);
        fprintf(stderr,
                "tracefarm: warning: %" PRIu64 " of %" PRIu64 " responses (%s) were cut by "
                "max_tokens (finish_reason \"length\"), more than warn_share %g: their traces "
                "end early; raise the endpoint's max_tokens (exit status %d)\n",
                f->truncated, f->responses, pct + strspn(pct, " "), job->warn_share,
                TF_EXIT_OVER_SHARE);
    }
}

/* One line of the accounting: a label, a count and, with a denominator,
 * its percentage, then a note. */
static void acc_line(const char *label, uint64_t k, uint64_t den, int with_pct, const char *note)
{
    char pct[16] = "";
    if (with_pct)
        pct_text(k, den, pct, sizeof pct);
    printf("  %-34s %10" PRIu64 "%s%s%s%s\n", label, k, with_pct ? "  " : "", pct,
           note[0] ? "  " : "", note);
}

void tf_print_accounting(const cJSON *overall, const cJSON *run, const char *which)
{
    char note[640], hist[512];
    uint64_t items = count_of(overall, "items"), errors = count_of(overall, "item_errors");
    acc_line("items", items, 0, 0, "");
    hist_text(cJSON_GetObjectItemCaseSensitive(overall, "item_error_kinds"), 0, hist, sizeof hist);
    snprintf(note, sizeof note, "by kind: %s", hist);
    acc_line("item errors", errors, items, 1, errors ? note : "");
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(overall, "endpoint");
    if (cJSON_IsObject(ep)) {
        uint64_t samples = count_of(ep, "samples"), failed = count_of(ep, "fetch_failures");
        uint64_t responses = samples > failed ? samples - failed : 0;
        acc_line("samples requested", samples, 0, 0, "");
        hist_text(cJSON_GetObjectItemCaseSensitive(ep, "fetch_failures_by_status"), 1, hist,
                  sizeof hist);
        snprintf(note, sizeof note, "by last status: %s", hist);
        acc_line("fetch failures", failed, samples, 1, failed ? note : "");
        snprintf(note, sizeof note, "of %" PRIu64 " responses", responses);
        acc_line("truncated (finish_reason length)", count_of(ep, "truncated"), responses, 1, note);
        printf("  tokens: prompt %" PRIu64 ", completion %" PRIu64 ", reasoning %" PRIu64
               " (every response, cached or not)\n",
               count_of(ep, "prompt_tokens"), count_of(ep, "completion_tokens"),
               count_of(ep, "reasoning_tokens"));
        const cJSON *cost = cJSON_GetObjectItemCaseSensitive(ep, "cost");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cost, "total");
        if (cJSON_IsNumber(ct))
            printf("  cost: %.6g (prompt %.6g, completion %.6g; endpoint.price_per_million)\n",
                   ct->valuedouble,
                   cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cost, "prompt")),
                   cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cost, "completion")));
        else
            printf("  cost: - (no endpoint.price_per_million)\n");
    }
    const cJSON *fetch = cJSON_GetObjectItemCaseSensitive(run, "fetch");
    if (cJSON_IsObject(fetch)) {
        const cJSON *all = cJSON_GetObjectItemCaseSensitive(run, "fetch_all_runs");
        printf("  requests sent %" PRIu64 ", retries %" PRIu64 ", cache hits %" PRIu64 " (%s)",
               count_of(fetch, "requests"), count_of(fetch, "retries"),
               count_of(fetch, "cache_hits"), which);
        if (cJSON_IsObject(all) && count_of(all, "shards") != count_of(fetch, "shards"))
            printf("; every invocation of the job: requests %" PRIu64 ", retries %" PRIu64
                   ", cache hits %" PRIu64,
                   count_of(all, "requests"), count_of(all, "retries"),
                   count_of(all, "cache_hits"));
        printf("\n");
    }
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
    char text[512];
    hist_text(h, 0, text, sizeof text);
    printf("  %s: %s\n", label, text);
}

/* See outputs.h. */
void tf_print_domain_figures(const cJSON *group, const char *answer_false_trace)
{
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(group, answer_false_trace);
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(cell, "ci95");
    if (answer_false_trace && cJSON_IsObject(cell)) {
        print_rate(answer_false_trace, group, answer_false_trace);
        if (cJSON_GetArraySize(ci) == 2)
            printf("  %-34s %10s  [%.2f, %.2f] %% (95 %% Wilson interval)\n", "", "",
                   100.0 * cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 0)),
                   100.0 * cJSON_GetNumberValue(cJSON_GetArrayItem(ci, 1)));
    }
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(group, "flags");
    const cJSON *f;
    cJSON_ArrayForEach(f, flags)
    {
        print_rate(f->string, flags, f->string);
    }
}

void tf_print_summary(const tf_job *job, const tf_stats *total, const cJSON *o, const cJSON *run)
{
    const tf_work *work = &job->work;
    const char *a = work->dom->answer_noun;
    if (!o)
        return;
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(run, "seconds");
    size_t nshards = (size_t)count_of(run, "shards");
    uint64_t nranks = count_of(run, "ranks");
    printf("tracefarm: job \"%s\" (%s): %" PRIu64 " items, %zu file%s, %zu shard%s, %" PRIu64
           " rank%s, %.2f s\n",
           job->name, work->dom->name, tf_stats_items(total), work->ncorpus,
           work->ncorpus == 1 ? "" : "s", nshards, nshards == 1 ? "" : "s", nranks,
           nranks == 1 ? "" : "s",
           cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(seconds, "total")));
    tf_print_accounting(o, run, "this run");
    char label[64], key[64];
    snprintf(label, sizeof label, "%s valid", a);
    snprintf(key, sizeof key, "%s_valid", a);
    print_rate(label, o, key);
    snprintf(label, sizeof label, "%s optimal", a);
    snprintf(key, sizeof key, "%s_optimal", a);
    print_rate(label, o, key);
    print_rate("trace valid (reference)", o, "trace_valid");
    print_rate("trace valid (strict)", o, "trace_valid_strict");
    snprintf(key, sizeof key, "%s_x_trace", a);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    static const char *const cells[4][2] = {
        {"valid", "valid"}, {"valid", "invalid"}, {"invalid", "valid"}, {"invalid", "invalid"}};
    for (int i = 0; i < 4; i++) {
        snprintf(label, sizeof label, "%s %s, %s trace", cells[i][0], a, cells[i][1]);
        snprintf(key, sizeof key, "%s_%s_%s_trace", cells[i][0], a, cells[i][1]);
        print_rate(label, x, key);
    }
    tf_print_domain_figures(o, work->dom->answer_false_trace);
    print_hist("first errors (reference)", cJSON_GetObjectItemCaseSensitive(o, "first_error"));
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
    if (work->record.ngroup_by) {
        int ovf = 0;
        size_t ng = tf_stats_groups(total, &ovf);
        printf("  groups: %zu%s (tracefarm show %s)\n", ng,
               ovf ? ", more than stats.max_groups: not kept" : "", job->output);
    }
    printf("  outputs: %s/summary.json.zst %s/items.jsonl.zst %s/run.json\n", job->output,
           job->output, job->output);
}
