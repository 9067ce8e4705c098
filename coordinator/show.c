/* show.c: "tracefarm show" (see show.h). */
#include "tracefarm/show.h"

#include "tracefarm/buf.h"
#include "tracefarm/domain.h"
#include "tracefarm/journal.h"
#include "tracefarm/opt.h"
#include "tracefarm/outputs.h"
#include "tracefarm/zio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

/* Largest decompressed summary read. */
#define SUMMARY_MAX (1UL << 30)
/* Width of the key column. */
#define KEY_W 40

/* What "show" reads from the command line. */
typedef struct show_cli {
    const char *out; /* OUT: the output directory or its summary file */
    bool json;       /* --json */
} show_cli;

static const tf_opt show_table[] = {
    {.kind = TF_OPT_ARG,
     .arg = "OUT",
     .help = "a job's output directory, or its summary.json.zst",
     .off = offsetof(show_cli, out),
     .required = true},
    {.kind = TF_OPT_FLAG,
     .name = "json",
     .help = "print the summary JSON instead of the table",
     .off = offsetof(show_cli, json)},
    {.kind = TF_OPT_HELP, .name = "help", .letter = 'h', .help = "this text"},
    {0}};

static const tf_opt_cmd show_cmd = {
    .prog = "tracefarm show",
    .synopsis = "usage: tracefarm show OUT [--json]\n"
                "\n"
                "Prints the summary of a finished run: OUT is the job's output directory\n"
                "(or its summary.json.zst). One row per group, the overall group first,\n"
                "then what the items and requests came to (items, errors by kind, fetch\n"
                "failures by last status, truncated responses, tokens, cost; requests,\n"
                "retries and cache hits from run.json). On a run that has not finished it\n"
                "says how many shards are done; it warns when the summary is older than\n"
                "the journal (an earlier run's) or than a corpus file.\n",
    .epilog = "columns: n verified items; errors: items that could not be verified; plan%,\n"
              "trace% and strict% valid answers (the domain names them: a maze's answer is a\n"
              "plan), traces (reference verdict) and traces (strict verdict); vp-it% valid\n"
              "answer with an invalid trace; pearson, spearman, kendall: trace length versus\n"
              "complexity. Definitions: docs/statistics.md; the lines below the table:\n"
              "docs/outputs.md.\n"
              "exit status: 0 shown; 2 bad usage or no summary (an unfinished run says how\n"
              "many shards are done); 1 corrupt summary.\n",
    .opts = show_table};

/* Decompress the whole file at path into out (NUL-terminated). Returns 0,
 * 2 when the file cannot be opened, 1 when it is not a zstd stream. */
static int read_zstd(const char *path, tf_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tracefarm show: %s: cannot open: %s\n", path, strerror(errno));
        return 2;
    }
    ZSTD_DStream *z = ZSTD_createDStream();
    size_t incap = ZSTD_DStreamInSize(), outcap = ZSTD_DStreamOutSize();
    char *in = malloc(incap), *ob = malloc(outcap);
    int st = (!z || !in || !ob) ? 1 : 0;
    size_t last = 1, n;
    while (st == 0 && (n = fread(in, 1, incap, f)) > 0) {
        ZSTD_inBuffer ib = {in, n, 0};
        while (st == 0 && ib.pos < ib.size) {
            ZSTD_outBuffer obuf = {ob, outcap, 0};
            last = ZSTD_decompressStream(z, &obuf, &ib);
            if (ZSTD_isError(last)) {
                fprintf(stderr, "tracefarm show: %s: corrupt zstd data: %s\n", path,
                        ZSTD_getErrorName(last));
                st = 1;
            } else if (tf_buf_append(out, ob, obuf.pos) != TF_OK) {
                fprintf(stderr, "tracefarm show: %s: summary larger than %lu bytes\n", path,
                        SUMMARY_MAX);
                st = 1;
            }
        }
    }
    if (st == 0 && ferror(f)) {
        fprintf(stderr, "tracefarm show: %s: cannot read: %s\n", path, strerror(errno));
        st = 1;
    }
    if (st == 0 && (last != 0 || out->len == 0)) {
        fprintf(stderr, "tracefarm show: %s: truncated or empty zstd data\n", path);
        st = 1;
    }
    fclose(f);
    ZSTD_freeDStream(z);
    free(in);
    free(ob);
    return st;
}

/* A rate as a percentage, or "-" when null. */
static void fmt_pct(char *buf, size_t n, const cJSON *o, const char *key)
{
    const cJSON *r =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, key), "rate");
    if (cJSON_IsNumber(r))
        snprintf(buf, n, "%.2f", 100.0 * r->valuedouble);
    else
        snprintf(buf, n, "-");
}

/* A correlation, or "-" when null. */
static void fmt_corr(char *buf, size_t n, const cJSON *lvc, const char *key)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(lvc, key);
    if (cJSON_IsNumber(r))
        snprintf(buf, n, "%.4f", r->valuedouble);
    else
        snprintf(buf, n, "-");
}

/* The domain's word for its answer, read off the summary: the prefix of
 * its "NOUN_x_trace" key ("plan" for the maze; statistics.md). */
static void answer_noun(const cJSON *overall, char *buf, size_t n)
{
    snprintf(buf, n, "plan");
    const cJSON *e;
    cJSON_ArrayForEach(e, overall)
    {
        size_t l = strlen(e->string);
        if (l > 8 && strcmp(e->string + l - 8, "_x_trace") == 0 && l - 8 < n) {
            snprintf(buf, n, "%.*s", (int)(l - 8), e->string);
            return;
        }
    }
}

/* One row: the key (cut to KEY_W with "..."), then the figures. */
static void print_row(const char *key, const cJSON *g, const char *noun)
{
    char k[KEY_W + 1], pv[16], tv[16], ts[16], vi[16], pe[16], sp[16], ke[16];
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(g, "item_errors");
    size_t kl = strlen(key);
    if (kl > KEY_W)
        snprintf(k, sizeof k, "%.*s...", KEY_W - 3, key);
    else
        snprintf(k, sizeof k, "%s", key);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(g, "verified");
    char name[96];
    snprintf(name, sizeof name, "%s_x_trace", noun);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(g, name);
    const cJSON *lvc = cJSON_GetObjectItemCaseSensitive(g, "length_vs_complexity");
    snprintf(name, sizeof name, "%s_valid", noun);
    fmt_pct(pv, sizeof pv, g, name);
    fmt_pct(tv, sizeof tv, g, "trace_valid");
    fmt_pct(ts, sizeof ts, g, "trace_valid_strict");
    snprintf(name, sizeof name, "valid_%s_invalid_trace", noun);
    fmt_pct(vi, sizeof vi, x, name);
    fmt_corr(pe, sizeof pe, lvc, "pearson");
    fmt_corr(sp, sizeof sp, lvc, "spearman");
    fmt_corr(ke, sizeof ke, lvc, "kendall_tau_b");
    printf("%-*s %9.0f %7.0f %7s %7s %7s %7s %8s %8s %8s\n", KEY_W, k,
           cJSON_IsNumber(ver) ? ver->valuedouble : 0.0,
           cJSON_IsNumber(errs) ? errs->valuedouble : 0.0, pv, tv, ts, vi, pe, sp, ke);
}

/* The table: a title line, the header, the overall group, the groups;
 * then the accounting of the overall group and of run (run.json's
 * object, or NULL). */
static int print_table(const cJSON *s, const char *path, const cJSON *run)
{
    const cJSON *overall = cJSON_GetObjectItemCaseSensitive(s, "overall");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(s, "groups");
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(s, "job");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(s, "items");
    if (!cJSON_IsObject(overall) || !cJSON_IsArray(groups)) {
        fprintf(stderr, "tracefarm show: %s: not a tracefarm summary\n", path);
        return 1;
    }
    char *gb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(s, "group_by"));
    printf("job \"%s\": %.0f items, %d group%s by %s\n",
           cJSON_IsString(job) ? job->valuestring : "?",
           cJSON_IsNumber(items) ? items->valuedouble : 0.0, cJSON_GetArraySize(groups),
           cJSON_GetArraySize(groups) == 1 ? "" : "s", gb ? gb : "[]");
    free(gb);
    char noun[64], valid[80], cell[16];
    answer_noun(overall, noun, sizeof noun);
    snprintf(valid, sizeof valid, "%.6s%%", noun);
    snprintf(cell, sizeof cell, "v%c-it%%", noun[0]);
    printf("%-*s %9s %7s %7s %7s %7s %7s %8s %8s %8s\n", KEY_W, "group", "n", "errors", valid,
           "trace%", "strict%", cell, "pearson", "spearman", "kendall");
    print_row("(overall)", overall, noun);
    const cJSON *g;
    cJSON_ArrayForEach(g, groups)
    {
        char *key = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(g, "key"));
        print_row(key ? key : "?", g, noun);
        free(key);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "groups_overflow")))
        printf("(more distinct groups than stats.max_groups: groups were not kept)\n");
    printf("\noverall:\n");
    tf_print_accounting(overall, run, "the latest run, run.json");
    const tf_domain *dom =
        tf_domain_find(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "domain")));
    tf_print_domain_figures(overall, dom ? dom->answer_false_trace : NULL);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "exit_status");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(run, "finished");
    if (cJSON_IsNumber(st))
        printf("  run.json: exit status %d, finished %s\n", st->valueint,
               cJSON_IsString(fin) ? fin->valuestring : "?");
    return 0;
}

/* ----- where the run is ----------------------------------------------------------------- */

/* 1 when a is older than b (modification times, to the nanosecond). */
static int older(const struct stat *a, const struct stat *b)
{
    return a->st_mtim.tv_sec < b->st_mtim.tv_sec ||
           (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec < b->st_mtim.tv_nsec);
}

/* What the journal of dir says of the run, for notes: *loaded 0 when there
 * is none (a summary copied elsewhere, or a run of an older version);
 * else whether it ended, the shards done (distinct) and planned, the job's
 * name, and its file's status. */
typedef struct run_state {
    int loaded, ended;
    uint64_t done, shards;
    char name[256];
    struct stat st; /* the journal file */
} run_state;

static void read_run_state(const char *dir, run_state *rs)
{
    memset(rs, 0, sizeof *rs);
    char *jpath = tf_path_join(dir, ".tracefarm-journal");
    tf_journal_state *js = NULL;
    if (jpath && stat(jpath, &rs->st) == 0 && tf_journal_load(jpath, &js, NULL) == TF_OK) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(js->header, "shards");
        const cJSON *spec = cJSON_GetObjectItemCaseSensitive(js->header, "spec");
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "name"));
        rs->loaded = 1;
        rs->ended = js->ended;
        rs->shards = cJSON_IsNumber(n) && n->valuedouble > 0 ? (uint64_t)n->valuedouble : 0;
        snprintf(rs->name, sizeof rs->name, "%s", name ? name : "?");
        /* a shard is journaled once per run; count each once all the same */
        uint8_t *seen = calloc(rs->shards ? rs->shards : 1, 1);
        for (size_t i = 0; seen && i < js->nrecs; i++) {
            uint64_t k = js->recs[i].shard;
            if (k < rs->shards && !seen[k]) {
                seen[k] = 1;
                rs->done++;
            }
        }
        free(seen);
    }
    tf_journal_state_free(js);
    free(jpath);
}

/* Notes on a summary that may not say what the directory holds now: an
 * unfinished run (with or without an older summary), corpus files changed
 * after the summary was written. On f (stdout with the table, stderr with
 * --json). */
static void print_notes(FILE *f, const char *dir, const run_state *rs, const struct stat *sum,
                        const cJSON *s)
{
    if (rs->loaded && !rs->ended) {
        if (older(sum, &rs->st))
            fprintf(f,
                    "warning: this summary is older than %s/.tracefarm-journal: it is from an "
                    "earlier run; a run started since is unfinished (%" PRIu64 " of %" PRIu64
                    " shards done): running now, or stopped before its end\n",
                    dir, rs->done, rs->shards);
        else
            fprintf(f,
                    "warning: the run that wrote this summary stopped before its end (%" PRIu64
                    " of %" PRIu64 " shards done); run the same job again to finish it\n",
                    rs->done, rs->shards);
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s, "corpus"))
    {
        struct stat cs;
        if (cJSON_IsString(c) && stat(c->valuestring, &cs) == 0 && older(sum, &cs))
            fprintf(f,
                    "warning: corpus file %s was modified after this summary was written: the "
                    "summary may not describe it\n",
                    c->valuestring);
    }
}

/* run.json of dir, parsed; NULL when absent or not JSON (it is optional
 * here: a summary copied elsewhere has none). */
static cJSON *read_run_json(const char *dir)
{
    char *p = tf_path_join(dir, "run.json");
    FILE *f = p ? fopen(p, "rb") : NULL;
    free(p);
    if (!f)
        return NULL;
    tf_buf b;
    tf_buf_init(&b, 64UL << 20);
    char chunk[65536];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = tf_buf_append(&b, chunk, n) == TF_OK;
    fclose(f);
    cJSON *j = ok && b.len ? cJSON_ParseWithLength(b.data, b.len) : NULL;
    tf_buf_free(&b);
    return j;
}

int tf_show_main(int argc, char **argv)
{
    show_cli c = {0};
    int usage = tf_opt_parse(&show_cmd, &c, argc, argv, NULL);
    if (usage != TF_OPT_GO_ON)
        return usage;
    const char *out = c.out;
    bool json = c.json;
    struct stat sb;
    size_t n = strlen(out) + 32;
    char *path = malloc(n);
    char *dir = malloc(n);
    if (!path || !dir) {
        free(path);
        free(dir);
        return 1;
    }
    if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode)) {
        /* a summary file: its directory holds the journal and run.json */
        snprintf(path, n, "%s", out);
        const char *slash = strrchr(out, '/');
        if (!slash)
            snprintf(dir, n, ".");
        else if (slash == out)
            snprintf(dir, n, "/");
        else
            snprintf(dir, n, "%.*s", (int)(slash - out), out);
    } else {
        snprintf(path, n, "%s/summary.json.zst", out);
        snprintf(dir, n, "%s", out);
    }
    run_state rs;
    read_run_state(dir, &rs);
    struct stat sum;
    if (stat(path, &sum) != 0 && rs.loaded && !rs.ended) {
        /* no summary yet: say how far the run got rather than only that
         * the file is missing */
        printf("job \"%s\": unfinished: %" PRIu64 " of %" PRIu64
               " shards done (%s/.tracefarm-journal); no summary yet: the run is running now, "
               "or stopped before its end (run the same job again to resume)\n",
               rs.name, rs.done, rs.shards, dir);
        free(path);
        free(dir);
        return 2;
    }
    tf_buf b;
    tf_buf_init(&b, SUMMARY_MAX);
    int st = read_zstd(path, &b);
    cJSON *s = st == 0 ? cJSON_ParseWithLength(b.data, b.len) : NULL;
    if (st == 0 && !s) {
        fprintf(stderr, "tracefarm show: %s: corrupt summary (not JSON)\n", path);
        st = 1;
    }
    if (st == 0)
        print_notes(json ? stderr : stdout, dir, &rs, &sum, s);
    if (st == 0 && json) {
        fwrite(b.data, 1, b.len, stdout);
    } else if (st == 0) {
        cJSON *run = read_run_json(dir);
        st = print_table(s, path, run);
        cJSON_Delete(run);
    }
    cJSON_Delete(s);
    tf_buf_free(&b);
    free(path);
    free(dir);
    return st;
}
