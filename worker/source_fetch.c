/* source_fetch.c: sources "endpoint" and "cache" (source.h): each record's
 * samples are asked of an OpenAI-compatible endpoint through the fetch
 * client (fetch.h), many in flight, or, for "cache", looked up in the
 * response cache of an earlier run without sending anything. The job's
 * first request, which the coordinator's preflight sends, is built here
 * too (tf_worker_first_request), by the same code as every other. */
#include "tracefarm/fetch.h"
#include "tracefarm/hash.h"
#include "tracefarm/source.h"
#include "tracefarm/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One finished sample, as the loop sees it. */
typedef struct fetch_output {
    tf_output out;       /* what the loop reads (first member) */
    tf_fetch_result *r;  /* the fetch result behind it (owned) */
    tf_sample_usage use; /* its accounting */
    char reason[TF_DIAG_LEN];
} fetch_output;

typedef struct fetch_state {
    const tf_work *work;
    const tf_fetch_config *cfg;
    int cache_only; /* source "cache" */
    tf_fetch *f;
    tf_buf prompt;  /* the prompt being built (capped) */
    double started; /* wall clock at the start of the shard */
} fetch_state;

/* Wall-clock seconds since the epoch (for run.json's throughput only). */
static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fetch_close(void *state)
{
    fetch_state *s = state;
    if (!s)
        return;
    tf_fetch_free(s->f);
    tf_buf_free(&s->prompt);
    free(s);
}

/* The fetch client of one shard: this worker's replica, its share of the
 * job's rate, the key from the environment (source "endpoint" only). */
static tf_err open_common(const tf_source_ctx *ctx, int cache_only, void **state, tf_diag *d)
{
    const tf_fetch_config *c = ctx->work->fetch;
    const char *key = NULL;
    if (!cache_only && c->api_key_env) {
        key = getenv(c->api_key_env);
        if (!key) {
            tf_diag_set(d,
                        "environment variable \"%s\" (endpoint.api_key_env) is not set on "
                        "this rank (mpirun -x %s passes it on)",
                        c->api_key_env, c->api_key_env);
            return TF_ERR_SPEC;
        }
    }
    fetch_state *s = calloc(1, sizeof *s);
    if (!s)
        return TF_ERR_NOMEM;
    s->work = ctx->work;
    s->cfg = c;
    s->cache_only = cache_only;
    s->started = wall_now();
    tf_buf_init(&s->prompt, 2 * ctx->work->max_line_bytes + 65536);
    tf_fetch_opts o;
    tf_fetch_opts_from_config(c, ctx->ordinal, ctx->nworkers, key, &o);
    o.jitter_seed = ctx->shard + 1;
    o.cache_only = cache_only;
    o.breaker = ctx->breaker;
    tf_err err = tf_fetch_create(&o, &s->f, d);
    if (err != TF_OK) {
        fetch_close(s);
        return err;
    }
    *state = s;
    return TF_OK;
}

static tf_err endpoint_open(const tf_source_ctx *ctx, void **state, tf_diag *d)
{
    return open_common(ctx, 0, state, d);
}

static tf_err cache_open(const tf_source_ctx *ctx, void **state, tf_diag *d)
{
    return open_common(ctx, 1, state, d);
}

static unsigned fetch_samples(const void *state)
{
    return (unsigned)((const fetch_state *)state)->cfg->samples;
}

/* Records in the window: enough to keep the requests in flight busy. */
static size_t fetch_window(const void *state)
{
    const tf_fetch_config *c = ((const fetch_state *)state)->cfg;
    size_t per = 8 * (size_t)c->concurrency / (size_t)c->samples;
    return per < 2 ? 2 : per;
}

static int fetch_room(const void *state)
{
    return tf_fetch_room(((const fetch_state *)state)->f);
}

/* The seed of a record's samples: a pure function of the request (the
 * prompt and params.seed), never of rank, shard or time, so every run
 * sends the same bodies and re-runs hit the cache. The first 8 bytes of
 * SHA-256("tracefarm-item-seed-v1\n" + seed or "none" + "\n" + prompt). */
static tf_err item_seed(const tf_fetch_config *c, const char *prompt, size_t n, uint64_t *seed)
{
    char head[64];
    int m = c->has_seed
                ? snprintf(head, sizeof head, "tracefarm-item-seed-v1\n%" PRIu64 "\n", c->seed)
                : snprintf(head, sizeof head, "tracefarm-item-seed-v1\nnone\n");
    tf_bytes parts[] = {{head, (size_t)m}, {prompt, n}};
    uint8_t dig[32];
    tf_err err = tf_sha256(parts, 2, dig);
    *seed = 0;
    for (int i = 0; err == TF_OK && i < 8; i++)
        *seed = *seed << 8 | dig[i];
    return err;
}

/* Expand the prompt template for a record into b: "{prompt}" is the
 * domain's prompt, "{field:PATH}" the record's value at PATH (a string, or
 * a number as JSON text), "{{" and "}}" single braces (the job checked the
 * template and compiled its paths, in order). TF_ERR_PARSE with why for a
 * missing or unusable field; TF_ERR_TOO_BIG past the prompt cap. */
static tf_err build_prompt(const tf_work *w, tf_buf *b, const tf_source_req *req, tf_diag *why)
{
    tf_buf_reset(b);
    const char *t = w->fetch->prompt_template;
    size_t field = 0;
    tf_err err = tf_buf_append(b, "", 0);
    while (err == TF_OK && *t) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            err = tf_buf_append(b, t, 1);
            t += 2;
        } else if (strncmp(t, "{prompt}", 8) == 0) {
            err = w->dom->build_prompt(w->dom_cfg, req->problem, b);
            t += 8;
        } else if (strncmp(t, "{field:", 7) == 0 && strchr(t, '}') && field < w->nprompt_fields) {
            const tf_path *path = w->prompt_fields[field++];
            const cJSON *v = tf_path_get(path, req->rec->json);
            if (cJSON_IsString(v)) {
                err = tf_buf_puts(b, v->valuestring);
            } else if (cJSON_IsNumber(v)) {
                char *num = cJSON_PrintUnformatted(v);
                err = num ? tf_buf_puts(b, num) : TF_ERR_NOMEM;
                free(num);
            } else {
                if (v)
                    tf_diag_set(why, "prompt_template: field \"%s\" must be a string or a number",
                                tf_path_text(path));
                else
                    tf_diag_set(why, "prompt_template: missing field \"%s\"", tf_path_text(path));
                return TF_ERR_PARSE;
            }
            t = strchr(t, '}') + 1;
        } else {
            err = tf_buf_append(b, t, 1);
            t++;
        }
    }
    if (err == TF_ERR_TOO_BIG)
        tf_diag_set(why, "prompt longer than %zu bytes", b->limit);
    return err;
}

static tf_err fetch_submit(void *state, const tf_source_req *req, tf_diag *why)
{
    fetch_state *s = state;
    tf_err err = build_prompt(s->work, &s->prompt, req, why);
    uint64_t seed = 0;
    if (err == TF_OK)
        err = item_seed(s->cfg, s->prompt.data, s->prompt.len, &seed);
    if (err == TF_OK)
        err = tf_fetch_submit(s->f, req->seq, s->prompt.data, seed, why);
    return err;
}

/* Turn a fetch result into the loop's output. */
static tf_err make_output(fetch_state *s, tf_fetch_result *r, tf_output **out)
{
    fetch_output *fo = calloc(1, sizeof *fo);
    if (!fo) {
        tf_fetch_result_free(r);
        return TF_ERR_NOMEM;
    }
    fo->r = r;
    fo->out.seq = r->tag;
    fo->out.sample = r->sample;
    fo->out.usage = &fo->use;
    fo->use = (tf_sample_usage){.failed = !r->ok,
                                .last_status = r->ok ? 0 : r->status,
                                .truncated = r->ok && r->reply.truncated,
                                .prompt_tokens = r->ok ? r->reply.prompt_tokens : -1,
                                .completion_tokens = r->ok ? r->reply.completion_tokens : -1,
                                .reasoning_tokens = r->ok ? r->reply.reasoning_tokens : -1};
    /* the tokens statistics count the response's completion tokens */
    fo->out.tokens = r->ok && r->reply.completion_tokens >= 0 &&
                             (uint64_t)r->reply.completion_tokens <= TF_STATS_MAX_VALUE
                         ? (long)r->reply.completion_tokens
                         : -1;
    *out = &fo->out;
    if (!r->ok) {
        const char *reason = r->reason ? r->reason : "";
        if (s->cache_only) {
            fo->out.kind = "cache_miss";
            snprintf(fo->reason, sizeof fo->reason, "%s", reason);
        } else {
            char st[32] = "no response";
            int rlen = (int)strlen(reason);
            if (r->status > 0) {
                snprintf(st, sizeof st, "HTTP %ld", r->status);
            } else if (strstr(reason, ": ")) {
                /* no response: curl's error class only; its detail holds
                 * timings ("after 1001 milliseconds"), which would make items
                 * vary */
                rlen = (int)(strstr(reason, ": ") - reason);
            }
            fo->out.kind = "fetch_failed";
            snprintf(fo->reason, sizeof fo->reason,
                     "fetch failed after %u attempt%s (last status: %s): %.*s", r->attempts,
                     r->attempts == 1 ? "" : "s", st, rlen, reason);
        }
        fo->out.reason = fo->reason;
        return TF_OK;
    }
    /* The two channels as the response gave them: a reasoning model's
     * trace is in its reasoning content, the answer in the content; the
     * worker splits the output into its parts (docs/outputs.md). */
    const char *rs = r->reply.reasoning;
    fo->out.text = r->reply.text ? r->reply.text : "";
    fo->out.len = strlen(fo->out.text);
    if (rs && *rs) {
        fo->out.reasoning = rs;
        fo->out.reasoning_len = strlen(rs);
        fo->out.reasoning_from = "endpoint";
    }
    return TF_OK;
}

static tf_err fetch_next(void *state, int timeout_ms, tf_output **out, tf_diag *d)
{
    fetch_state *s = state;
    *out = NULL;
    tf_fetch_result *r = NULL;
    tf_err err = tf_fetch_next(s->f, timeout_ms, &r, d);
    if (err != TF_OK || !r)
        return err;
    return make_output(s, r, out);
}

static tf_err fetch_annotate(const tf_output *o, cJSON *item)
{
    const tf_fetch_reply *rep = &((const fetch_output *)o)->r->reply;
    int ok = tf_item_add_str(item, "finish_reason", rep->finish_reason) &&
             cJSON_AddBoolToObject(item, "truncated", rep->truncated) &&
             tf_item_add_count(item, "prompt_tokens", (long)rep->prompt_tokens) &&
             tf_item_add_count(item, "completion_tokens", (long)rep->completion_tokens) &&
             tf_item_add_count(item, "reasoning_tokens", (long)rep->reasoning_tokens);
    return ok ? TF_OK : TF_ERR_NOMEM;
}

static void fetch_release(void *state, tf_output *o)
{
    (void)state;
    fetch_output *fo = (fetch_output *)o;
    if (!fo)
        return;
    tf_fetch_result_free(fo->r);
    free(fo);
}

/* The shard's fetch counters, with its wall-clock span for the run's
 * throughput. */
static cJSON *fetch_report(void *state)
{
    fetch_state *s = state;
    cJSON *j = tf_fetch_stats_json(tf_fetch_stats_get(s->f));
    if (!j || !cJSON_AddNumberToObject(j, "wall_start", s->started) ||
        !cJSON_AddNumberToObject(j, "wall_end", wall_now())) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* The counts so far, for progress. */
static void fetch_tally(const void *state, tf_source_tally *t)
{
    const fetch_state *s = state;
    const tf_fetch_stats *st = tf_fetch_stats_get(s->f);
    t->requests = st->requests;
    t->retries = st->retries;
    t->cache_hits = st->cache_hits;
    t->in_flight = tf_fetch_in_flight(s->f);
}

/* ----- the first request of a job (the preflight) ----------------------------------- */

/* Line text into the prompt and item seed of its request, as fetch_submit
 * would build them. TF_ERR_EOF: the line makes no request (it is an error
 * item, whatever the reason). */
static tf_err line_request(const tf_work *w, tf_buf *b, const char *text, size_t len,
                           uint64_t *seed)
{
    tf_record rec;
    memset(&rec, 0, sizeof rec);
    tf_err err = tf_record_parse(&w->record, text, len, &rec);
    if (err != TF_OK)
        return err;
    void *problem = NULL;
    tf_text out = {NULL, 0};
    tf_diag why;
    why.msg[0] = '\0';
    err = rec.error_kind ? TF_ERR_PARSE
                         : w->dom->parse_record(w->dom_cfg, &rec, &problem, &out, &why);
    if (err == TF_OK) {
        tf_source_req req = {.rec = &rec, .problem = problem, .output = out};
        err = build_prompt(w, b, &req, &why);
    }
    if (err == TF_OK)
        err = item_seed(w->fetch, b->data, b->len, seed);
    if (problem)
        w->dom->free_problem(problem);
    tf_record_clear(&rec);
    return err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG ? TF_ERR_EOF : err;
}

tf_err tf_worker_first_request(const tf_work *work, const tf_shard *s, uint64_t max_lines,
                               char **prompt, uint64_t *seed, uint64_t *line, tf_diag *d)
{
    *prompt = NULL;
    *seed = 0;
    *line = 0;
    if (!work->fetch)
        return TF_ERR_EOF;
    tf_reader *rd = NULL;
    tf_err err = tf_reader_open(work->corpus[s->file], s, work->max_line_bytes, &rd, d);
    tf_buf b;
    tf_buf_init(&b, 2 * work->max_line_bytes + 65536); /* the endpoint source's cap */
    for (uint64_t n = 0; err == TF_OK && n < max_lines; n++) {
        const char *text;
        size_t len;
        err = tf_reader_next(rd, &text, &len, line, d);
        if (err == TF_ERR_TOO_BIG || err == TF_ERR_ZSTD) {
            err = TF_OK; /* an error item; the reader goes on */
            continue;
        }
        if (err != TF_OK)
            break; /* the end of the shard, or a read error */
        err = line_request(work, &b, text, len, seed);
        if (err == TF_ERR_EOF) {
            err = TF_OK; /* this line makes no request: the next one */
            continue;
        }
        if (err == TF_OK)
            *prompt = b.data ? tf_buf_steal(&b) : strdup("");
        if (err == TF_OK && !*prompt)
            err = TF_ERR_NOMEM;
        break;
    }
    if (err == TF_OK && !*prompt)
        err = TF_ERR_EOF;
    tf_buf_free(&b);
    tf_reader_free(rd);
    return err;
}

const tf_source tf_source_endpoint = {
    .name = "endpoint",
    .per_sample = 1,
    .open = endpoint_open,
    .close = fetch_close,
    .samples = fetch_samples,
    .window = fetch_window,
    .room = fetch_room,
    .submit = fetch_submit,
    .next = fetch_next,
    .annotate = fetch_annotate,
    .release = fetch_release,
    .report = fetch_report,
    .tally = fetch_tally,
};

const tf_source tf_source_cache = {
    .name = "cache",
    .per_sample = 1,
    .open = cache_open,
    .close = fetch_close,
    .samples = fetch_samples,
    .window = fetch_window,
    .room = fetch_room,
    .submit = fetch_submit,
    .next = fetch_next,
    .annotate = fetch_annotate,
    .release = fetch_release,
    .report = fetch_report,
    .tally = fetch_tally,
};
