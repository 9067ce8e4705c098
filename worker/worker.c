/* worker.c: read a shard, verify each record, write the part (worker.h). */
#include "tracefarm/worker.h"

#include "tracefarm/domain.h"
#include "tracefarm/stats.h"
#include "tracefarm/zio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tf_part_path(const char *partdir, uint64_t id, const char *kind)
{
    size_t n = strlen(partdir) + strlen(kind) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/shard-%08" PRIu64 ".%s", partdir, id, kind);
    return p;
}

/* State of one shard being processed. */
typedef struct shard_ctx {
    const tf_job *job;
    const char *id_field; /* record field holding the item id */
    char *key;            /* group key of the current record (NULL: no group_by) */
    FILE *items;          /* the part's item lines */
    tf_stats *stats;      /* statistics of this shard */
    tf_shard_result *res; /* counts reported back */
} shard_ctx;

/* Write "<lineno>\t<json>\n" for item. */
static tf_err emit(shard_ctx *c, uint64_t lineno, cJSON *item, tf_diag *d)
{
    char *js = cJSON_PrintUnformatted(item);
    if (!js)
        return TF_ERR_NOMEM;
    int bad = fprintf(c->items, "%" PRIu64 "\t%s\n", lineno, js) < 0;
    free(js);
    if (bad) {
        tf_diag_set(d, "cannot write part: %s", strerror(errno));
        return TF_ERR_IO;
    }
    c->res->records++;
    return TF_OK;
}

/* An item that could not be verified. The "error" key comes first: the
 * merger recognises error items by that prefix and adds file:line to the
 * reason. */
static tf_err emit_error(shard_ctx *c, uint64_t lineno, const char *kind, const char *reason,
                         const cJSON *id, tf_diag *d)
{
    cJSON *item = cJSON_CreateObject();
    if (!item || !cJSON_AddStringToObject(item, "error", reason) ||
        !cJSON_AddStringToObject(item, "error_kind", kind) ||
        (id && !cJSON_AddItemToObject(item, "id", cJSON_Duplicate(id, 1)))) {
        cJSON_Delete(item);
        return TF_ERR_NOMEM;
    }
    tf_err err = emit(c, lineno, item, d);
    cJSON_Delete(item);
    if (err == TF_OK) {
        c->res->errors++;
        err = tf_stats_add_error_keyed(c->stats, c->key, kind);
    }
    return err;
}

/* A group_by value longer than this (as JSON text) stands in the key as a
 * string saying so, which keeps keys and memory bounded. */
#define GROUP_VALUE_MAX 1024

/* The group key of rec (NULL when it is not a JSON object): the values of
 * the job's group_by fields as a compact JSON array, null for a missing
 * field. Sets c->key (NULL when the job has no group_by). */
static tf_err group_key(shard_ctx *c, const cJSON *rec)
{
    free(c->key);
    c->key = NULL;
    if (c->job->ngroup_by == 0)
        return TF_OK;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < c->job->ngroup_by; i++) {
        const cJSON *v =
            cJSON_IsObject(rec) ? cJSON_GetObjectItemCaseSensitive(rec, c->job->group_by[i]) : NULL;
        cJSON *dup = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
        if (dup && (cJSON_IsArray(dup) || cJSON_IsObject(dup))) {
            char *t = cJSON_PrintUnformatted(dup);
            if (t && strlen(t) > GROUP_VALUE_MAX) {
                cJSON_Delete(dup);
                dup = cJSON_CreateString("(value over 1024 bytes)");
            }
            free(t);
        } else if (dup && cJSON_IsString(dup) && strlen(dup->valuestring) > GROUP_VALUE_MAX) {
            cJSON_Delete(dup);
            dup = cJSON_CreateString("(value over 1024 bytes)");
        }
        if (!dup || !cJSON_AddItemToArray(arr, dup)) {
            cJSON_Delete(dup);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    c->key = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return c->key ? TF_OK : TF_ERR_NOMEM;
}

/* The record's id if it is a string or a number (other types are ignored). */
static const cJSON *record_id(const shard_ctx *c, const cJSON *rec)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, c->id_field);
    return (cJSON_IsString(id) || cJSON_IsNumber(id)) ? id : NULL;
}

/* Verify one record line into one item line. */
static tf_err do_record(shard_ctx *c, uint64_t lineno, const char *text, size_t len, tf_diag *d)
{
    const tf_domain *dom = c->job->dom;
    const char *end = NULL;
    cJSON *rec = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    tf_err kerr = group_key(c, rec);
    if (kerr != TF_OK) {
        cJSON_Delete(rec);
        return kerr;
    }
    if (!rec) {
        char why[128];
        size_t col = end && end >= text ? (size_t)(end - text) + 1 : 1;
        snprintf(why, sizeof why, "malformed JSON near column %zu", col);
        return emit_error(c, lineno, "bad_json", why, NULL, d);
    }
    /* Trailing bytes after the JSON value (other than whitespace) are malformed too. */
    size_t rest = end ? (size_t)(text + len - end) : 0;
    while (rest && (*end == ' ' || *end == '\t' || *end == '\r')) {
        end++;
        rest--;
    }
    if (rest) {
        char why[128];
        snprintf(why, sizeof why, "malformed JSON: trailing data at column %zu",
                 (size_t)(end - text) + 1);
        cJSON_Delete(rec);
        return emit_error(c, lineno, "bad_json", why, NULL, d);
    }
    const cJSON *id = record_id(c, rec);
    void *problem = NULL;
    const char *out = NULL;
    size_t outlen = 0;
    tf_diag why;
    why.msg[0] = '\0';
    tf_err err = dom->parse_record(c->job->domain_cfg, rec, &problem, &out, &outlen, &why);
    if (err == TF_ERR_PARSE || (err == TF_OK && !out)) {
        if (err == TF_OK)
            tf_diag_set(&why, "record has no model output");
        dom->free_problem(problem);
        err = emit_error(c, lineno, "bad_record", why.msg, id, d);
        cJSON_Delete(rec);
        return err;
    }
    if (err != TF_OK) {
        cJSON_Delete(rec);
        tf_diag_set(d, "%s", why.msg[0] ? why.msg : tf_strerror(err));
        return err;
    }
    cJSON *item = cJSON_CreateObject();
    tf_facts facts;
    memset(&facts, 0, sizeof facts);
    if (!item || (id && !cJSON_AddItemToObject(item, "id", cJSON_Duplicate(id, 1))))
        err = TF_ERR_NOMEM;
    if (err == TF_OK)
        err = dom->verify(c->job->domain_cfg, problem, rec, out, outlen, item, &facts, &why);
    if (err == TF_ERR_TOO_BIG) {
        /* A trace past the verifier's caps is an item error, not a failure. */
        cJSON_Delete(item);
        item = NULL;
        err = emit_error(c, lineno, "too_big", why.msg, id, d);
    } else if (err == TF_OK) {
        err = emit(c, lineno, item, d);
        if (err == TF_OK)
            err = tf_stats_add_keyed(c->stats, c->key, &facts);
    } else {
        tf_diag_set(d, "%s", why.msg[0] ? why.msg : tf_strerror(err));
    }
    cJSON_Delete(item);
    dom->free_problem(problem);
    cJSON_Delete(rec);
    return err;
}

/* Write the meta file that marks the part complete. */
static tf_err write_meta(const shard_ctx *c, uint64_t id, const char *partdir, tf_diag *d)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *st = tf_stats_state_json(c->stats);
    if (!m || !st || !cJSON_AddNumberToObject(m, "shard", (double)id) ||
        !cJSON_AddNumberToObject(m, "lines", (double)c->res->lines) ||
        !cJSON_AddNumberToObject(m, "records", (double)c->res->records) ||
        !cJSON_AddItemToObject(m, "stats", st)) {
        cJSON_Delete(m);
        return TF_ERR_NOMEM;
    }
    char *js = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    char *path = tf_part_path(partdir, id, "meta");
    tf_err err = (js && path) ? tf_write_atomic(path, js, strlen(js), d) : TF_ERR_NOMEM;
    free(js);
    free(path);
    return err;
}

tf_err tf_worker_shard(const tf_job *job, uint64_t id, const tf_shard *s, const char *partdir,
                       tf_shard_result *res, tf_diag *d)
{
    memset(res, 0, sizeof *res);
    const char *path = job->corpus[s->file];
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(job->resolved, "fields");
    const cJSON *idf = cJSON_GetObjectItemCaseSensitive(fields, "id");
    shard_ctx c = {.job = job,
                   .id_field = cJSON_IsString(idf) ? idf->valuestring : "id",
                   .res = res,
                   .stats = tf_stats_create_with(&job->stats)};
    char *items_path = tf_part_path(partdir, id, "items");
    char *items_tmp = items_path ? malloc(strlen(items_path) + 5) : NULL;
    if (!c.stats || !items_tmp) {
        tf_stats_free(c.stats);
        free(items_path);
        free(items_tmp);
        return TF_ERR_NOMEM;
    }
    sprintf(items_tmp, "%s.tmp", items_path); /* sized above */
    tf_reader *r = NULL;
    tf_err err = TF_OK;
    c.items = fopen(items_tmp, "wb");
    if (!c.items) {
        tf_diag_set(d, "%s: cannot create: %s", items_tmp, strerror(errno));
        err = TF_ERR_IO;
    }
    if (err == TF_OK)
        err = tf_reader_open(path, s, job->max_line_bytes, &r, d);
    while (err == TF_OK) {
        const char *line;
        size_t len;
        uint64_t lineno = 0;
        tf_diag rd;
        rd.msg[0] = '\0';
        tf_err e = tf_reader_next(r, &line, &len, &lineno, &rd);
        if (e == TF_ERR_EOF)
            break;
        if (e == TF_OK) {
            err = do_record(&c, lineno, line, len, d);
        } else if (e == TF_ERR_TOO_BIG) {
            char why[160];
            snprintf(why, sizeof why, "line longer than max_line_bytes (%zu)", job->max_line_bytes);
            err = group_key(&c, NULL); /* unread: every group_by value is null */
            if (err == TF_OK)
                err = emit_error(&c, lineno, "line_too_long", why, NULL, d);
        } else if (e == TF_ERR_ZSTD || e == TF_ERR_IO) {
            /* The data past this point cannot be read: one error item
             * stands for it, and the shard ends here. */
            err = group_key(&c, NULL);
            if (err == TF_OK)
                err = emit_error(&c, lineno, "read_error", rd.msg, NULL, d);
            break;
        } else {
            tf_diag_set(d, "%s: %s", path, rd.msg[0] ? rd.msg : tf_strerror(e));
            err = e;
        }
    }
    if (r)
        res->lines = tf_reader_lines(r);
    tf_reader_free(r);
    if (c.items) {
        int bad = fflush(c.items) != 0 || fsync(fileno(c.items)) != 0;
        bad |= fclose(c.items) != 0;
        if (err == TF_OK && bad) {
            tf_diag_set(d, "%s: cannot write: %s", items_tmp, strerror(errno));
            err = TF_ERR_IO;
        }
        if (err == TF_OK && rename(items_tmp, items_path) != 0) {
            tf_diag_set(d, "%s: cannot rename: %s", items_path, strerror(errno));
            err = TF_ERR_IO;
        }
        if (err != TF_OK)
            unlink(items_tmp);
    }
    if (err == TF_OK)
        err = write_meta(&c, id, partdir, d);
    free(c.key);
    tf_stats_free(c.stats);
    free(items_path);
    free(items_tmp);
    return err;
}
