/* merge.c: parts -> items.jsonl.zst and summary.json.zst, in shard order.
 *
 * Outputs are a pure function of the job and the corpus: items are written
 * in corpus order (plan order is file order, then offset order), each with
 * its global index and its absolute file line; statistics are exact counts
 * merged in the same order. Nothing about ranks, hosts or time goes here.
 */
#include "tracefarm/farm.h"
#include "tracefarm/text.h"
#include "tracefarm/testhook.h"
#include "tracefarm/worker.h"
#include "tracefarm/zio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cap on one line of a part file (parts hold verdicts, not records). */
#define PART_LINE_MAX (16UL << 20)

/* JSON-escaped form of a string, e.g. "\"c.jsonl\"". Caller frees. */
static char *json_string(const char *s)
{
    cJSON *j = cJSON_CreateString(s);
    char *out = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return out;
}

/* Rewrite an error item: index, file and line first, and the reason
 * prefixed with file:line so that it stands on its own. */
static tf_err write_error_item(tf_zwriter *w, uint64_t index, const char *file, uint64_t line,
                               const char *json, tf_diag *d)
{
    cJSON *in = cJSON_Parse(json);
    cJSON *out = cJSON_CreateObject();
    tf_err err = TF_OK;
    if (!in || !out) {
        err = in ? TF_ERR_NOMEM : TF_ERR_PARSE;
        tf_diag_set(d, "corrupt part line (error item)");
    }
    if (err == TF_OK && (!cJSON_AddNumberToObject(out, "index", (double)index) ||
                         !cJSON_AddStringToObject(out, "file", file) ||
                         !cJSON_AddNumberToObject(out, "line", (double)line)))
        err = TF_ERR_NOMEM;
    cJSON *e = in ? in->child : NULL;
    while (err == TF_OK && e) {
        cJSON *next = e->next;
        if (strcmp(e->string, "error") == 0 && cJSON_IsString(e)) {
            size_t n = strlen(file) + strlen(e->valuestring) + 48;
            char *msg = malloc(n);
            if (!msg) {
                err = TF_ERR_NOMEM;
                break;
            }
            snprintf(msg, n, "%s:%" PRIu64 ": %s", file, line, e->valuestring);
            int ok = cJSON_AddStringToObject(out, "error", msg) != NULL;
            free(msg);
            if (!ok)
                err = TF_ERR_NOMEM;
        } else {
            cJSON_AddItemToObject(out, e->string, cJSON_DetachItemViaPointer(in, e));
        }
        e = next;
    }
    char *js = err == TF_OK ? cJSON_PrintUnformatted(out) : NULL;
    if (err == TF_OK && !js)
        err = TF_ERR_NOMEM;
    if (err == TF_OK)
        err = tf_zwriter_write(w, js, strlen(js), d);
    if (err == TF_OK)
        err = tf_zwriter_write(w, "\n", 1, d);
    free(js);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return err;
}

/* Copy the item lines of one part into the output, adding index, file and
 * absolute line. */
static tf_err merge_part(tf_zwriter *w, const char *items_path, const char *file,
                         const char *file_js, uint64_t line_base, uint64_t *index,
                         uint64_t expect_records, tf_diag *d)
{
    FILE *f = fopen(items_path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: cannot open: %s", items_path, strerror(errno));
        return TF_ERR_IO;
    }
    char *ln = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t count = 0;
    tf_err err = TF_OK;
    char head[96];
    while (err == TF_OK && (n = getline(&ln, &cap, f)) > 0) {
        if ((size_t)n > PART_LINE_MAX || ln[n - 1] != '\n') {
            tf_diag_set(d, "%s: corrupt part line", items_path);
            err = TF_ERR_PARSE;
            break;
        }
        ln[--n] = '\0';
        char *tab = NULL;
        uint64_t local = strtoull(ln, &tab, 10);
        if (!tab || *tab != '\t' || tab[1] != '{') {
            tf_diag_set(d, "%s: corrupt part line", items_path);
            err = TF_ERR_PARSE;
            break;
        }
        const char *js = tab + 1;
        uint64_t line = line_base + local;
        if (strncmp(js, "{\"error\":", 9) == 0) {
            err = write_error_item(w, *index, file, line, js, d);
        } else {
            int m = snprintf(head, sizeof head, "{\"index\":%" PRIu64 ",\"file\":", *index);
            err = tf_zwriter_write(w, head, (size_t)m, d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, file_js, strlen(file_js), d);
            m = snprintf(head, sizeof head, ",\"line\":%" PRIu64 "%s", line,
                         js[1] == '}' ? "" : ",");
            if (err == TF_OK)
                err = tf_zwriter_write(w, head, (size_t)m, d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, js + 1, strlen(js + 1), d);
            if (err == TF_OK)
                err = tf_zwriter_write(w, "\n", 1, d);
        }
        (*index)++;
        count++;
    }
    free(ln);
    fclose(f);
    if (err == TF_OK && count != expect_records) {
        tf_diag_set(d, "%s: part has %" PRIu64 " items, its meta says %" PRIu64, items_path, count,
                    expect_records);
        err = TF_ERR_PARSE;
    }
    return err;
}

/* Read a part's meta: line count, record count and statistics state. */
static tf_err read_meta(const char *partdir, uint64_t id, uint64_t *lines, uint64_t *records,
                        tf_stats **st, tf_diag *d)
{
    char *path = tf_part_path(partdir, id, "meta");
    if (!path)
        return TF_ERR_NOMEM;
    char *text = tf_read_file(path, 256UL << 20, d);
    cJSON *m = text ? cJSON_Parse(text) : NULL;
    free(text);
    tf_err err = TF_OK;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(m, "lines");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "records");
    if (!m || !cJSON_IsNumber(l) || !cJSON_IsNumber(r)) {
        if (m || !d || d->msg[0] == '\0')
            tf_diag_set(d, "%s: corrupt part meta", path);
        err = TF_ERR_PARSE;
    } else {
        *lines = (uint64_t)l->valuedouble;
        *records = (uint64_t)r->valuedouble;
        err = tf_stats_from_state(cJSON_GetObjectItemCaseSensitive(m, "stats"), st, d);
        if (err != TF_OK)
            tf_diag_prefix(d, "%s: ", path);
    }
    cJSON_Delete(m);
    free(path);
    return err;
}

/* Directory of an attempt's parts (farm.h). */
char *tf_part_dir(const char *partdir, uint32_t attempt)
{
    if (attempt == 0)
        return strdup(partdir);
    char name[32];
    snprintf(name, sizeof name, "attempt-%" PRIu32, attempt);
    return tf_path_join(partdir, name);
}

/* Merge every shard's part in plan order (farm.h). */
tf_err tf_merge_items(const tf_job *job, const tf_plan *plan, const char *partdir,
                      const uint32_t *attempts, tf_stats **total, tf_diag *d)
{
    *total = tf_stats_create_with(&job->stats);
    char *out_path = tf_path_join(job->output, "items.jsonl.zst");
    uint64_t *line_base = calloc(job->ncorpus ? job->ncorpus : 1, sizeof *line_base);
    if (!*total || !out_path || !line_base) {
        free(out_path);
        free(line_base);
        return TF_ERR_NOMEM;
    }
    tf_zwriter *w = NULL;
    tf_err err = tf_zwriter_open(out_path, 3, &w, d);
    uint64_t index = 0;
    char *file_js = NULL; /* the file name as a JSON string */
    char *fname = NULL;   /* the file name, invalid UTF-8 replaced */
    uint32_t file_js_for = UINT32_MAX;
    for (size_t k = 0; err == TF_OK && k < tf_plan_count(plan); k++) {
        const tf_shard *s = tf_plan_get(plan, k);
        uint64_t lines = 0, records = 0;
        tf_stats *st = NULL;
        char *dir = tf_part_dir(partdir, attempts ? attempts[k] : 0);
        err = dir ? read_meta(dir, k, &lines, &records, &st, d) : TF_ERR_NOMEM;
        if (err == TF_OK && tf_stats_merge(*total, st) != TF_OK) {
            tf_diag_set(d, "shard %zu: cannot merge its statistics", k);
            err = TF_ERR_PARSE;
        }
        tf_stats_free(st);
        if (err == TF_OK && file_js_for != s->file) {
            free(file_js);
            free(fname);
            fname = strdup(job->corpus[s->file]);
            if (fname)
                tf_utf8_sanitize(fname); /* outputs are UTF-8 JSON */
            file_js = fname ? json_string(fname) : NULL;
            file_js_for = s->file;
            if (!file_js)
                err = TF_ERR_NOMEM;
        }
        char *items = err == TF_OK ? tf_part_path(dir, k, "items") : NULL;
        free(dir);
        if (err == TF_OK && !items)
            err = TF_ERR_NOMEM;
        if (err == TF_OK)
            err = merge_part(w, items, fname, file_js, line_base[s->file], &index, records, d);
        free(items);
        line_base[s->file] += lines;
        if (err == TF_OK)
            tf_test_kill("merge", k + 1);
    }
    tf_err e2 = tf_zwriter_close(w, err == TF_OK, d);
    if (err == TF_OK)
        err = e2;
    free(file_js);
    free(fname);
    free(out_path);
    free(line_base);
    if (err != TF_OK) {
        tf_stats_free(*total);
        *total = NULL;
    }
    return err;
}

/* The summary of the merged statistics, compressed, atomically (farm.h). */
tf_err tf_write_summary(const tf_job *job, const tf_stats *total, tf_diag *d)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *overall = tf_stats_summary_json(total);
    int groups_overflow = 0;
    cJSON *groups = tf_stats_groups_json(total, &groups_overflow);
    cJSON *group_by =
        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(job->resolved, "group_by"), 1);
    cJSON *corpus = cJSON_CreateArray();
    for (size_t i = 0; corpus && i < job->ncorpus; i++)
        cJSON_AddItemToArray(corpus, cJSON_CreateString(job->corpus[i]));
    int ok = s && overall && corpus && groups && group_by &&
             cJSON_AddStringToObject(s, "format", "tracefarm-summary/1") &&
             cJSON_AddStringToObject(s, "job", job->name) &&
             cJSON_AddStringToObject(s, "domain", job->domain) &&
             cJSON_AddItemToObject(s, "corpus", corpus) &&
             cJSON_AddNumberToObject(s, "items", (double)tf_stats_items(total)) &&
             cJSON_AddItemToObject(s, "group_by", group_by) &&
             cJSON_AddItemToObject(s, "overall", overall) &&
             cJSON_AddBoolToObject(s, "groups_overflow", groups_overflow) &&
             cJSON_AddItemToObject(s, "groups", groups);
    if (!ok) {
        if (!s || !cJSON_GetObjectItem(s, "overall"))
            cJSON_Delete(overall);
        if (!s || !cJSON_GetObjectItem(s, "corpus"))
            cJSON_Delete(corpus);
        if (!s || !cJSON_GetObjectItem(s, "groups"))
            cJSON_Delete(groups);
        if (!s || !cJSON_GetObjectItem(s, "group_by"))
            cJSON_Delete(group_by);
        cJSON_Delete(s);
        return TF_ERR_NOMEM;
    }
    char *text = cJSON_Print(s);
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
