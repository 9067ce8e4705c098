/* worker.c: read a shard, verify each record, write the part (worker.h). */
#include "tracefarm/worker.h"

#include "tracefarm/hash.h"
#include "tracefarm/domain.h"
#include "tracefarm/fetch.h"
#include "tracefarm/stats.h"
#include "tracefarm/text.h"
#include "tracefarm/zio.h"

#include <errno.h>
#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
    cJSON *fetch;         /* source "endpoint": the shard's fetch counters (part meta) */
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
 * reason. sample >= 0 adds the sample index (source "endpoint"). */
static tf_err emit_error_at(shard_ctx *c, uint64_t lineno, const char *kind, const char *reason,
                            const cJSON *id, long sample, tf_diag *d)
{
    /* The reason may quote untrusted bytes (a prompt token, a server's
     * message, a cut diagnostic): outputs stay UTF-8. */
    char *safe = strdup(reason);
    if (!safe)
        return TF_ERR_NOMEM;
    tf_utf8_sanitize(safe);
    cJSON *item = cJSON_CreateObject();
    int ok = item && cJSON_AddStringToObject(item, "error", safe);
    free(safe);
    if (!ok || !cJSON_AddStringToObject(item, "error_kind", kind) ||
        (id && !cJSON_AddItemToObject(item, "id", cJSON_Duplicate(id, 1))) ||
        (sample >= 0 && !cJSON_AddNumberToObject(item, "sample", (double)sample))) {
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

/* An error item of a whole record. */
static tf_err emit_error(shard_ctx *c, uint64_t lineno, const char *kind, const char *reason,
                         const cJSON *id, tf_diag *d)
{
    return emit_error_at(c, lineno, kind, reason, id, -1, d);
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

/* Offset of a \u0000 escape (an odd run of backslashes before "u0000"),
 * or len if there is none. cJSON would end the C string there, hiding the
 * rest of a trace from the verifier. */
static size_t nul_escape_at(const char *text, size_t len)
{
    for (size_t i = 0; i + 6 <= len; i++) {
        if (text[i] != '\\' || memcmp(text + i + 1, "u0000", 5) != 0)
            continue;
        size_t run = 1;
        while (run <= i && text[i - run] == '\\')
            run++;
        if (run % 2 == 1)
            return i;
    }
    return len;
}

/* Parse a record line: 1 and *rec, or 0 with the reason in why (malformed
 * JSON: *rec NULL; or bytes other than whitespace after the value: *rec is
 * the value, which still gives the group key). JSON text is UTF-8 with
 * control characters escaped (RFC 8259), so a raw NUL or invalid UTF-8 is
 * malformed; a \u0000 escape is valid JSON that C strings cannot hold, so
 * it is refused too rather than silently cutting a string short. */
static int parse_line(const char *text, size_t len, cJSON **rec, char *why, size_t nwhy)
{
    *rec = NULL;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        snprintf(why, nwhy, "malformed JSON: NUL byte at column %zu", (size_t)(nul - text) + 1);
        return 0;
    }
    size_t bad = tf_utf8_invalid_at(text, len);
    if (bad < len) {
        snprintf(why, nwhy, "malformed JSON: invalid UTF-8 at column %zu", bad + 1);
        return 0;
    }
    bad = nul_escape_at(text, len);
    if (bad < len) {
        snprintf(why, nwhy, "a string holds \\u0000 (NUL) at column %zu, which is not accepted",
                 bad + 1);
        return 0;
    }
    const char *end = NULL;
    *rec = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!*rec) {
        size_t col = end && end >= text ? (size_t)(end - text) + 1 : 1;
        snprintf(why, nwhy, "malformed JSON near column %zu", col);
        return 0;
    }
    size_t rest = end ? (size_t)(text + len - end) : 0;
    while (rest && (*end == ' ' || *end == '\t' || *end == '\r')) {
        end++;
        rest--;
    }
    if (rest) {
        snprintf(why, nwhy, "malformed JSON: trailing data at column %zu",
                 (size_t)(end - text) + 1);
        return 0;
    }
    return 1;
}

/* Verify one record line into one item line. */
static tf_err do_record(shard_ctx *c, uint64_t lineno, const char *text, size_t len, tf_diag *d)
{
    const tf_domain *dom = c->job->dom;
    char jwhy[128];
    cJSON *rec = NULL;
    int parsed = parse_line(text, len, &rec, jwhy, sizeof jwhy);
    tf_err kerr = group_key(c, rec);
    if (kerr != TF_OK) {
        cJSON_Delete(rec);
        return kerr;
    }
    if (!parsed) {
        cJSON_Delete(rec);
        return emit_error(c, lineno, "bad_json", jwhy, NULL, d);
    }
    const cJSON *id = record_id(c, rec);
    void *problem = NULL;
    const char *out = NULL;
    size_t outlen = 0;
    tf_diag why;
    why.msg[0] = '\0';
    tf_err err = dom->parse_record(c->job->domain_cfg, rec, &problem, &out, &outlen, &why);
    if (err == TF_ERR_PARSE || (err == TF_OK && !out)) {
        if (err == TF_OK && why.msg[0] == '\0')
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

/* ----- source "endpoint": ask a model for each record ------------------- */

/* One record of the window: its parsed form until every sample is back. */
typedef struct ep_slot {
    uint64_t lineno;       /* line in the shard */
    cJSON *rec;            /* the parsed record (NULL if it was not JSON) */
    void *problem;         /* the domain's problem (NULL for an error slot) */
    char *key;             /* group key (NULL: no group_by) */
    const char *err_kind;  /* set: the record is one error item, no samples */
    char *err_reason;      /* its reason (owned) */
    tf_fetch_result **res; /* results by sample index */
    unsigned got;          /* results received */
} ep_slot;

/* The endpoint loop of one shard. Records have sequence numbers: head is
 * the first not yet written, tail the next to read; slot s lives in
 * win[s % nwin]. */
typedef struct ep_ctx {
    shard_ctx *c;
    const tf_endpoint *ep;
    tf_fetch *f;
    ep_slot *win;   /* nwin slots */
    size_t nwin;    /* window in records */
    uint64_t head;  /* first record not yet written */
    uint64_t tail;  /* next record to read */
    tf_buf prompt;  /* the prompt being built (capped) */
    tf_buf output;  /* reasoning + "\n" + content (capped) */
    double started; /* wall clock at the start of the shard */
} ep_ctx;

/* Wall-clock seconds since the epoch (for run.json's throughput only). */
static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Release what a slot holds and empty it (its result array stays). */
static void ep_slot_clear(ep_ctx *e, ep_slot *s)
{
    if (s->problem)
        e->c->job->dom->free_problem(s->problem);
    cJSON_Delete(s->rec);
    free(s->key);
    free(s->err_reason);
    for (unsigned i = 0; i < e->ep->samples; i++) {
        tf_fetch_result_free(s->res[i]);
        s->res[i] = NULL;
    }
    tf_fetch_result **res = s->res;
    memset(s, 0, sizeof *s);
    s->res = res;
}

/* Mark slot s as one error item of kind with reason. */
static tf_err ep_slot_error(ep_slot *s, const char *kind, const char *reason)
{
    s->err_kind = kind;
    s->err_reason = strdup(reason);
    return s->err_reason ? TF_OK : TF_ERR_NOMEM;
}

/* The seed of a record's samples: a pure function of the request (the
 * prompt and params.seed), never of rank, shard or time, so every run
 * sends the same bodies and re-runs hit the cache. The first 8 bytes of
 * SHA-256("tracefarm-item-seed-v1\n" + seed or "none" + "\n" + prompt). */
static uint64_t ep_item_seed(const tf_endpoint *ep, const char *prompt, size_t n)
{
    char head[64];
    int m = ep->has_seed
                ? snprintf(head, sizeof head, "tracefarm-item-seed-v1\n%" PRIu64 "\n", ep->seed)
                : snprintf(head, sizeof head, "tracefarm-item-seed-v1\nnone\n");
    tf_bytes parts[] = {{head, (size_t)m}, {prompt, n}};
    uint8_t dig[32];
    if (tf_sha256(parts, 2, dig) != TF_OK)
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | dig[i];
    return v;
}

/* Expand the prompt template for a record into e->prompt: "{prompt}" is
 * the domain's prompt, "{field:NAME}" the record's field NAME (a string,
 * or a number as JSON text), "{{" and "}}" single braces (the template was
 * checked by the job spec). TF_ERR_PARSE with why for a missing or
 * unusable field; TF_ERR_TOO_BIG past the prompt cap. */
static tf_err ep_build_prompt(ep_ctx *e, const ep_slot *s, char *why, size_t nwhy)
{
    const tf_domain *dom = e->c->job->dom;
    tf_buf *b = &e->prompt;
    tf_buf_reset(b);
    const char *t = e->ep->prompt_template;
    tf_err err = TF_OK;
    while (err == TF_OK && *t) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            err = tf_buf_append(b, t, 1);
            t += 2;
        } else if (strncmp(t, "{prompt}", 8) == 0) {
            err = dom->build_prompt(e->c->job->domain_cfg, s->problem, b);
            t += 8;
        } else if (strncmp(t, "{field:", 7) == 0 && strchr(t, '}')) {
            const char *close = strchr(t, '}');
            char name[256];
            size_t n = (size_t)(close - (t + 7));
            snprintf(name, sizeof name, "%.*s", (int)(n < 255 ? n : 255), t + 7);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->rec, name);
            if (cJSON_IsString(v)) {
                err = tf_buf_puts(b, v->valuestring);
            } else if (cJSON_IsNumber(v)) {
                char *num = cJSON_PrintUnformatted(v);
                err = num ? tf_buf_puts(b, num) : TF_ERR_NOMEM;
                free(num);
            } else {
                snprintf(why, nwhy, "prompt_template: field \"%s\" %s", name,
                         v ? "must be a string or a number" : "is missing");
                return TF_ERR_PARSE;
            }
            t = close + 1;
        } else {
            err = tf_buf_append(b, t, 1);
            t++;
        }
    }
    if (err == TF_OK && !b->data)
        err = tf_buf_append(b, "", 0) == TF_OK && b->data ? TF_OK : TF_ERR_NOMEM;
    if (err == TF_ERR_TOO_BIG)
        snprintf(why, nwhy, "prompt longer than %zu bytes", b->limit);
    return err;
}

/* Read one record line into slot s and submit its samples (or mark it an
 * error item). */
static tf_err ep_read_record(ep_ctx *e, ep_slot *s, uint64_t lineno, const char *text, size_t len,
                             tf_diag *d)
{
    shard_ctx *c = e->c;
    const tf_domain *dom = c->job->dom;
    char why[TF_DIAG_LEN];
    s->lineno = lineno;
    if (!parse_line(text, len, &s->rec, why, sizeof why)) {
        tf_err err = group_key(c, s->rec);
        s->key = c->key;
        c->key = NULL;
        cJSON_Delete(s->rec); /* an error item without id, as with source "record" */
        s->rec = NULL;
        return err == TF_OK ? ep_slot_error(s, "bad_json", why) : err;
    }
    tf_err err = group_key(c, s->rec);
    s->key = c->key;
    c->key = NULL;
    if (err != TF_OK)
        return err;
    const char *out = NULL;
    size_t outlen = 0;
    tf_diag pw;
    pw.msg[0] = '\0';
    err = dom->parse_record(c->job->domain_cfg, s->rec, &s->problem, &out, &outlen, &pw);
    if (err == TF_ERR_PARSE) {
        dom->free_problem(s->problem);
        s->problem = NULL;
        return ep_slot_error(s, "bad_record", pw.msg);
    }
    if (err != TF_OK) {
        tf_diag_set(d, "%s", pw.msg[0] ? pw.msg : tf_strerror(err));
        return err;
    }
    err = ep_build_prompt(e, s, why, sizeof why);
    if (err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG)
        return ep_slot_error(s, err == TF_ERR_PARSE ? "bad_record" : "too_big", why);
    if (err != TF_OK)
        return err;
    uint64_t seed = ep_item_seed(e->ep, e->prompt.data, e->prompt.len);
    return tf_fetch_submit(e->f, e->tail, e->prompt.data, seed, d);
}

/* Put a finished sample into its record's slot. */
static tf_err ep_take(ep_ctx *e, tf_fetch_result *r, tf_diag *d)
{
    ep_slot *s = r->tag >= e->head && r->tag < e->tail ? &e->win[r->tag % e->nwin] : NULL;
    if (!s || r->sample >= e->ep->samples || s->res[r->sample] || s->err_kind) {
        tf_diag_set(d, "fetch returned an unexpected result (record %" PRIu64 ", sample %u)",
                    r->tag, r->sample);
        tf_fetch_result_free(r);
        return TF_ERR_INTERNAL;
    }
    s->res[r->sample] = r;
    s->got++;
    return TF_OK;
}

/* Collect every result that is ready without waiting. */
static tf_err ep_poll(ep_ctx *e, tf_diag *d)
{
    for (;;) {
        tf_fetch_result *r = NULL;
        tf_err err = tf_fetch_next(e->f, 0, &r, d);
        if (err == TF_ERR_EOF || (err == TF_OK && !r))
            return TF_OK;
        if (err != TF_OK)
            return err;
        err = ep_take(e, r, d);
        if (err != TF_OK)
            return err;
    }
}

/* Add a count that may be unknown (-1): null then. */
static int add_count(cJSON *item, const char *key, int64_t v)
{
    return v >= 0 ? cJSON_AddNumberToObject(item, key, (double)v) != NULL
                  : cJSON_AddNullToObject(item, key) != NULL;
}

/* Verify one finished sample of slot s into one item line. */
static tf_err ep_emit_sample(ep_ctx *e, const ep_slot *s, unsigned i, tf_diag *d)
{
    shard_ctx *c = e->c;
    const tf_fetch_result *r = s->res[i];
    const cJSON *id = record_id(c, s->rec);
    tf_sample_usage u = {.failed = !r->ok,
                         .truncated = r->ok && r->reply.truncated,
                         .prompt_tokens = r->ok ? r->reply.prompt_tokens : -1,
                         .completion_tokens = r->ok ? r->reply.completion_tokens : -1,
                         .reasoning_tokens = r->ok ? r->reply.reasoning_tokens : -1};
    tf_err err = tf_stats_add_sample_keyed(c->stats, c->key, &u);
    if (err != TF_OK)
        return err;
    if (!r->ok) {
        char why[TF_DIAG_LEN];
        char st[32] = "no response";
        const char *reason = r->reason ? r->reason : "";
        int rlen = (int)strlen(reason);
        if (r->status > 0) {
            snprintf(st, sizeof st, "HTTP %ld", r->status);
        } else if (strstr(reason, ": ")) {
            /* no response: curl's error class only; its detail holds timings
             * ("after 1001 milliseconds"), which would make items vary */
            rlen = (int)(strstr(reason, ": ") - reason);
        }
        snprintf(why, sizeof why, "fetch failed after %u attempt%s (last status: %s): %.*s",
                 r->attempts, r->attempts == 1 ? "" : "s", st, rlen, reason);
        return emit_error_at(c, s->lineno, "fetch_failed", why, id, (long)i, d);
    }
    /* The output verified: a reasoning model's trace is in its reasoning
     * content, the answer in the content (docs/outputs.md). */
    tf_buf *o = &e->output;
    tf_buf_reset(o);
    const char *rs = r->reply.reasoning;
    err = tf_buf_append(o, "", 0);
    if (err == TF_OK && rs && *rs)
        err = tf_buf_puts(o, rs);
    if (err == TF_OK && rs && *rs)
        err = tf_buf_puts(o, "\n");
    if (err == TF_OK)
        err = tf_buf_puts(o, r->reply.text ? r->reply.text : "");
    if (err == TF_ERR_TOO_BIG)
        return emit_error_at(c, s->lineno, "too_big", "model output over the response cap", id,
                             (long)i, d);
    if (err != TF_OK)
        return err;
    cJSON *item = cJSON_CreateObject();
    tf_facts facts;
    memset(&facts, 0, sizeof facts);
    tf_diag why;
    why.msg[0] = '\0';
    if (!item || (id && !cJSON_AddItemToObject(item, "id", cJSON_Duplicate(id, 1))) ||
        !cJSON_AddNumberToObject(item, "sample", (double)i))
        err = TF_ERR_NOMEM;
    if (err == TF_OK)
        err = c->job->dom->verify(c->job->domain_cfg, s->problem, s->rec, o->data ? o->data : "",
                                  o->len, item, &facts, &why);
    if (err == TF_OK && (!(r->reply.finish_reason ? cJSON_AddStringToObject(item, "finish_reason",
                                                                            r->reply.finish_reason)
                                                  : cJSON_AddNullToObject(item, "finish_reason")) ||
                         !cJSON_AddBoolToObject(item, "truncated", r->reply.truncated) ||
                         !add_count(item, "prompt_tokens", r->reply.prompt_tokens) ||
                         !add_count(item, "completion_tokens", r->reply.completion_tokens) ||
                         !add_count(item, "reasoning_tokens", r->reply.reasoning_tokens)))
        err = TF_ERR_NOMEM;
    /* the tokens statistics count the response's completion tokens */
    facts.tokens = r->reply.completion_tokens >= 0 &&
                           (uint64_t)r->reply.completion_tokens <= TF_STATS_MAX_VALUE
                       ? (long)r->reply.completion_tokens
                       : -1;
    if (err == TF_ERR_TOO_BIG) {
        err = emit_error_at(c, s->lineno, "too_big", why.msg, id, (long)i, d);
    } else if (err == TF_OK) {
        err = emit(c, s->lineno, item, d);
        if (err == TF_OK)
            err = tf_stats_add_keyed(c->stats, c->key, &facts);
    } else if (err != TF_ERR_NOMEM) {
        tf_diag_set(d, "%s", why.msg[0] ? why.msg : tf_strerror(err));
    }
    cJSON_Delete(item);
    return err;
}

/* Write every finished record at the head of the window, in order. */
static tf_err ep_flush(ep_ctx *e, tf_diag *d)
{
    tf_err err = TF_OK;
    while (err == TF_OK && e->head < e->tail) {
        ep_slot *s = &e->win[e->head % e->nwin];
        if (!s->err_kind && s->got < e->ep->samples)
            break;
        e->c->key = s->key;
        if (s->err_kind) {
            err = emit_error_at(e->c, s->lineno, s->err_kind, s->err_reason,
                                s->rec ? record_id(e->c, s->rec) : NULL, -1, d);
        } else {
            for (unsigned i = 0; err == TF_OK && i < e->ep->samples; i++)
                err = ep_emit_sample(e, s, i, d);
        }
        e->c->key = NULL;
        ep_slot_clear(e, s);
        e->head++;
    }
    return err;
}

/* Make the fetch client of one shard from the job's endpoint section: this
 * worker's replica, its share of the job's rate, the key from the
 * environment. */
static tf_err ep_client(const tf_endpoint *ep, uint64_t shard, tf_fetch **f, tf_diag *d)
{
    int rank = 0, size = 1, init = 0;
    MPI_Initialized(&init);
    if (init) {
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    unsigned workers = size > 1 ? (unsigned)size - 1 : 1;
    const char *key = NULL;
    if (ep->api_key_env) {
        key = getenv(ep->api_key_env);
        if (!key) {
            tf_diag_set(d,
                        "environment variable \"%s\" (endpoint.api_key_env) is not set on "
                        "this rank (mpirun -x %s passes it on)",
                        ep->api_key_env, ep->api_key_env);
            return TF_ERR_SPEC;
        }
    }
    tf_fetch_opts o;
    tf_fetch_opts_default(&o);
    o.base_urls = (const char *const *)ep->base_urls;
    o.n_base_urls = ep->n_base_urls;
    o.ordinal = rank > 0 ? (unsigned)rank - 1 : 0;
    o.api = ep->chat ? TF_FETCH_CHAT : TF_FETCH_COMPLETIONS;
    o.model = ep->model;
    o.api_key = key;
    o.temperature = ep->temperature;
    o.top_p = ep->top_p;
    o.max_tokens = ep->max_tokens;
    o.stop = (const char *const *)ep->stop;
    o.n_stop = ep->n_stop;
    o.extra_json = ep->extra_json;
    o.samples = ep->samples;
    o.concurrency = ep->concurrency;
    o.max_pending = 4 * ep->concurrency > ep->samples ? 4 * ep->concurrency : ep->samples;
    o.connect_timeout_ms = ep->connect_timeout_ms;
    o.timeout_ms = ep->timeout_ms;
    o.max_attempts = ep->max_attempts;
    o.backoff_base_ms = ep->backoff_ms;
    o.backoff_max_ms = ep->backoff_max_ms;
    o.rate_per_s = ep->rate_limit_rps / workers;
    o.max_response_bytes = ep->max_response_bytes;
    o.cache_dir = ep->cache_dir;
    o.jitter_seed = shard + 1;
    return tf_fetch_create(&o, f, d);
}

/* The shard's fetch counters for the part meta (key "fetch"), with the
 * wall-clock span of the shard for the run's throughput. */
static tf_err ep_stats(ep_ctx *e)
{
    cJSON *j = tf_fetch_stats_json(tf_fetch_stats_get(e->f));
    if (!j || !cJSON_AddNumberToObject(j, "wall_start", e->started) ||
        !cJSON_AddNumberToObject(j, "wall_end", wall_now())) {
        cJSON_Delete(j);
        return TF_ERR_NOMEM;
    }
    e->c->fetch = j;
    return TF_OK;
}

/* Process a shard with source "endpoint": read records in order, submit
 * their samples while earlier ones are in flight, and write items in
 * record order. At most nwin records are between the first unwritten one
 * and the last read (memory: nwin x (a record + samples x the response
 * cap)); the fetch client keeps at most max_pending samples in flight or
 * waiting. A read error item ends the shard as with source "record". */
static tf_err ep_shard(shard_ctx *c, tf_reader *rd, uint64_t id, const char *path, tf_diag *d)
{
    const tf_endpoint *ep = c->job->endpoint;
    ep_ctx e = {.c = c, .ep = ep, .started = wall_now()};
    size_t per = 8 * (size_t)ep->concurrency / ep->samples;
    e.nwin = per < 2 ? 2 : per;
    tf_buf_init(&e.prompt, 2 * c->job->max_line_bytes + 65536);
    tf_buf_init(&e.output, 2 * ep->max_response_bytes + 2);
    e.win = calloc(e.nwin, sizeof *e.win);
    tf_err err = e.win ? TF_OK : TF_ERR_NOMEM;
    for (size_t i = 0; err == TF_OK && i < e.nwin; i++)
        if (!(e.win[i].res = calloc(ep->samples, sizeof *e.win[i].res)))
            err = TF_ERR_NOMEM;
    if (err == TF_OK)
        err = ep_client(ep, id, &e.f, d);
    int eof = 0;
    while (err == TF_OK) {
        /* read and submit while the window and the client have room */
        while (err == TF_OK && !eof && e.tail - e.head < e.nwin && tf_fetch_room(e.f)) {
            const char *line;
            size_t len;
            uint64_t lineno = 0;
            tf_diag rdg;
            rdg.msg[0] = '\0';
            tf_err r = tf_reader_next(rd, &line, &len, &lineno, &rdg);
            if (r == TF_ERR_EOF) {
                eof = 1;
                break;
            }
            ep_slot *s = &e.win[e.tail % e.nwin];
            if (r == TF_OK) {
                err = ep_read_record(&e, s, lineno, line, len, d);
            } else if (r == TF_ERR_TOO_BIG || r == TF_ERR_ZSTD || r == TF_ERR_IO) {
                char why[160];
                snprintf(why, sizeof why, "line longer than max_line_bytes (%zu)",
                         c->job->max_line_bytes);
                s->lineno = lineno;
                err = group_key(c, NULL);
                s->key = c->key;
                c->key = NULL;
                if (err == TF_OK)
                    err = r == TF_ERR_TOO_BIG ? ep_slot_error(s, "line_too_long", why)
                                              : ep_slot_error(s, "read_error", rdg.msg);
                eof = r == TF_ERR_IO; /* a damaged frame is skipped; I/O errors end it */
            } else {
                tf_diag_set(d, "%s: %s", path, rdg.msg[0] ? rdg.msg : tf_strerror(r));
                err = r;
            }
            e.tail++;
            if (err == TF_OK)
                err = ep_poll(&e, d);
            if (err == TF_OK)
                err = ep_flush(&e, d);
        }
        if (err == TF_OK)
            err = ep_flush(&e, d);
        if (err != TF_OK || (eof && e.head == e.tail))
            break;
        if (!eof && e.tail - e.head < e.nwin && tf_fetch_room(e.f))
            continue; /* the flush made room: read on */
        /* the head record waits for samples in flight: wait for one */
        tf_fetch_result *r = NULL;
        err = tf_fetch_next(e.f, -1, &r, d);
        if (err == TF_ERR_EOF) {
            tf_diag_set(d, "fetch: record %" PRIu64 " waits but nothing is pending", e.head);
            err = TF_ERR_INTERNAL;
        }
        if (err == TF_OK && r)
            err = ep_take(&e, r, d);
        if (err == TF_OK)
            err = ep_poll(&e, d);
    }
    if (err == TF_OK)
        err = ep_stats(&e);
    for (size_t i = 0; e.win && i < e.nwin; i++) {
        if (e.win[i].res)
            ep_slot_clear(&e, &e.win[i]);
        free(e.win[i].res);
    }
    free(e.win);
    tf_fetch_free(e.f);
    tf_buf_free(&e.prompt);
    tf_buf_free(&e.output);
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
        if (!cJSON_GetObjectItemCaseSensitive(m, "stats"))
            cJSON_Delete(st);
        cJSON_Delete(m);
        return TF_ERR_NOMEM;
    }
    /* a reference: c->fetch stays owned by the shard */
    if (c->fetch && !cJSON_AddItemReferenceToObject(m, "fetch", c->fetch)) {
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
    if (err == TF_OK && job->endpoint)
        err = ep_shard(&c, r, id, path, d);
    while (err == TF_OK && !job->endpoint) {
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
            /* One error item stands for the unreadable data. After a
             * damaged zstd frame the reader goes on at the next frame
             * (corpus.h); after an I/O error nothing more can be read. */
            err = group_key(&c, NULL);
            if (err == TF_OK)
                err = emit_error(&c, lineno, "read_error", rd.msg, NULL, d);
            if (e == TF_ERR_IO)
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
    cJSON_Delete(c.fetch);
    tf_stats_free(c.stats);
    free(items_path);
    free(items_tmp);
    return err;
}
