/* proto.c: the OpenAI protocol of "tracefarm serve".
 *
 * Completions and chat requests are validated like a real server would
 * (400 naming the field), answered by the synthetic models (model.c,
 * arith_model.c, plan_model.c) or the replay table (replay.c), and
 * returned in OpenAI's response shapes
 * with stop sequences, max_tokens and usage applied. The answer is a pure
 * function of (--seed, model, prompt or messages, the request's seed, the
 * sample index): see docs/serve.md.
 */
#include "serve_internal.h"
#include "tracefarm/rng.h"

#include <cjson/cJSON.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SALT_SAMPLE UINT64_C(0x73616d706c65) /* "sample" */
#define MAX_N 128                            /* choices per request */
#define ANSWER_LIMIT ((size_t)64 << 20)      /* all choices' text of one request */
#define PROMPT_LIMIT ((size_t)16 << 20)      /* a chat prompt assembled from parts */

/* ----- request parsing ---------------------------------------------------- */

/* A request, validated; strings point into the parsed JSON. */
typedef struct creq {
    bool chat;
    const char *model;
    char *prompt; /* owned: the prompt (chat: the last user message) */
    long n;
    long max_tokens; /* -1: no limit */
    const char *stop[4];
    int nstop;
    uint64_t key; /* hash of (model, prompt or messages, seed) */
} creq;

static void creq_free(creq *q)
{
    free(q->prompt);
}

/* Whitespace tokens of s[0..n). */
static long count_tokens(const char *s, size_t n)
{
    long k = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        bool sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
                  s[i] == '\v';
        if (!sp && !in)
            k++;
        in = !sp;
    }
    return k;
}

/* The text of a message's content: a string, or an array of parts whose
 * "text" members are joined with newlines. Appended to out. */
static bool content_text(const cJSON *content, tf_buf *out, const char **why)
{
    if (cJSON_IsString(content))
        return tf_buf_puts(out, content->valuestring) == TF_OK || (*why = "too long", false);
    if (!cJSON_IsArray(content)) {
        *why = "\"content\" must be a string or an array of text parts";
        return false;
    }
    const cJSON *part;
    bool first = true;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (!cJSON_IsString(t)) {
            *why = "a content part has no string \"text\"";
            return false;
        }
        if ((!first && tf_buf_puts(out, "\n") != TF_OK) ||
            tf_buf_puts(out, t->valuestring) != TF_OK) {
            *why = "too long";
            return false;
        }
        first = false;
    }
    return true;
}

/* Validate a completions or chat request body into q; on failure *why
 * says what is wrong (400). Numbers the model does not use (temperature,
 * top_p) are still range-checked, as a real server would. */
static bool parse_request(const srv_opts *o, const cJSON *j, bool chat, creq *q, long *ptok,
                          const char **why)
{
    memset(q, 0, sizeof *q);
    q->chat = chat;
    q->n = 1;
    q->max_tokens = -1;
    if (!cJSON_IsObject(j)) {
        *why = "the request body must be a JSON object";
        return false;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "model");
    if (v && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
        *why = "\"model\" must be a string";
        return false;
    }
    q->model = cJSON_IsString(v) ? v->valuestring : o->model;
    uint64_t h = tf_srv_fnv_str(TF_FNV_SEED, "tracefarm-serve");
    h = tf_srv_fnv_str(h, q->model);
    *ptok = 0;
    if (!chat) {
        v = cJSON_GetObjectItemCaseSensitive(j, "prompt");
        if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 &&
            cJSON_IsString(cJSON_GetArrayItem(v, 0)))
            v = cJSON_GetArrayItem(v, 0);
        if (!cJSON_IsString(v)) {
            *why = "\"prompt\" must be a string";
            return false;
        }
        q->prompt = strdup(v->valuestring);
        if (!q->prompt) {
            *why = "out of memory";
            return false;
        }
        h = tf_srv_fnv_str(tf_srv_fnv_str(h, "prompt"), q->prompt);
        *ptok = count_tokens(q->prompt, strlen(q->prompt));
    } else {
        v = cJSON_GetObjectItemCaseSensitive(j, "messages");
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
            *why = "\"messages\" must be a non-empty array";
            return false;
        }
        h = tf_srv_fnv_str(h, "messages");
        const cJSON *m;
        tf_buf text;
        tf_buf_init(&text, PROMPT_LIMIT);
        bool ok = true;
        cJSON_ArrayForEach(m, v)
        {
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
            if (!cJSON_IsString(role)) {
                *why = "every message needs a string \"role\"";
                ok = false;
                break;
            }
            tf_buf_reset(&text);
            if (!cJSON_IsNull(content) && !content_text(content, &text, why)) {
                ok = false;
                break;
            }
            const char *t = text.data ? text.data : "";
            h = tf_srv_fnv_str(tf_srv_fnv_str(h, role->valuestring), t);
            *ptok += count_tokens(t, text.len);
            if (!strcmp(role->valuestring, "user")) {
                free(q->prompt);
                q->prompt = strdup(t);
                if (!q->prompt) {
                    *why = "out of memory";
                    ok = false;
                    break;
                }
            }
        }
        tf_buf_free(&text);
        if (!ok)
            return false;
        if (!q->prompt) {
            *why = "\"messages\" has no message with role \"user\"";
            return false;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "seed");
    if (v && !cJSON_IsNull(v)) {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!(d == floor(d) && fabs(d) < 9.2e18)) {
            *why = "\"seed\" must be an integer";
            return false;
        }
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%lld", (long long)d);
        h = tf_srv_fnv_str(tf_srv_fnv_str(h, "seed"), tmp);
    }
    q->key = h;
    v = cJSON_GetObjectItemCaseSensitive(j, "n");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > MAX_N) {
            *why = "\"n\" must be an integer from 1 to 128";
            return false;
        }
        q->n = (long)v->valuedouble;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "max_tokens");
    if (chat && (!v || cJSON_IsNull(v)))
        v = cJSON_GetObjectItemCaseSensitive(j, "max_completion_tokens");
    if (v && !cJSON_IsNull(v)) {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > 1e15) {
            *why = "\"max_tokens\" must be a positive integer";
            return false;
        }
        q->max_tokens = (long)v->valuedouble;
    }
    static const char *const ranged[] = {"temperature", "top_p"};
    static const double hi[] = {2.0, 1.0};
    for (int k = 0; k < 2; k++) {
        v = cJSON_GetObjectItemCaseSensitive(j, ranged[k]);
        if (v && !cJSON_IsNull(v) &&
            (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0 && v->valuedouble <= hi[k]))) {
            *why = k == 0 ? "\"temperature\" must be a number from 0 to 2"
                          : "\"top_p\" must be a number from 0 to 1";
            return false;
        }
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "stream");
    if (cJSON_IsTrue(v)) {
        *why = "\"stream\": true is not supported by tracefarm serve";
        return false;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "stop");
    if (cJSON_IsString(v)) {
        if (v->valuestring[0])
            q->stop[q->nstop++] = v->valuestring;
    } else if (cJSON_IsArray(v)) {
        const cJSON *s;
        cJSON_ArrayForEach(s, v)
        {
            if (!cJSON_IsString(s) || q->nstop == 4) {
                *why = "\"stop\" must be a string or an array of at most 4 strings";
                return false;
            }
            if (s->valuestring[0])
                q->stop[q->nstop++] = s->valuestring;
        }
    } else if (v && !cJSON_IsNull(v)) {
        *why = "\"stop\" must be a string or an array of at most 4 strings";
        return false;
    }
    return true;
}

/* ----- answers ------------------------------------------------------------ */

/* See serve_internal.h. */
void tf_srv_codes_add(srv_codes *t, const char *code, long k)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->name[i], code)) {
            t->count[i] += k;
            return;
        }
    if (t->n == SRV_CODES) {
        t->other += k;
        return;
    }
    snprintf(t->name[t->n], sizeof t->name[t->n], "%s", code);
    t->count[t->n++] = k;
}

/* Byte length of the first max whitespace tokens of s[0..n) (separators
 * between them kept, trailing whitespace dropped); *more is set when
 * tokens were dropped. */
static size_t first_tokens(const char *s, size_t n, long max, bool *more)
{
    long k = 0;
    size_t end = 0;
    bool in = false;
    *more = false;
    for (size_t i = 0; i < n; i++) {
        bool sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
                  s[i] == '\v';
        if (!sp && !in) {
            if (k == max) {
                *more = true;
                return end;
            }
            k++;
        }
        if (!sp)
            end = i + 1;
        in = !sp;
    }
    return end;
}

/* Offset of the plan part: the first token "solution", else the first
 * token "plan"; n when neither occurs. */
static size_t plan_part(const char *s, size_t n)
{
    const char *words[2] = {"solution", "plan"};
    for (int w = 0; w < 2; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++) {
            bool start = i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n' || s[i - 1] == '\t';
            bool stop = i + wl == n || s[i + wl] == ' ' || s[i + wl] == '\n' || s[i + wl] == '\t';
            if (start && stop && memcmp(s + i, words[w], wl) == 0)
                return i;
        }
    }
    return n;
}

/* Strip surrounding whitespace of s[*b..*e). */
static void trim(const char *s, size_t *b, size_t *e)
{
    while (*b < *e && (s[*b] == ' ' || s[*b] == '\n' || s[*b] == '\t'))
        (*b)++;
    while (*e > *b && (s[*e - 1] == ' ' || s[*e - 1] == '\n' || s[*e - 1] == '\t'))
        (*e)--;
}

/* The text of a --think answer: "<think>\n" R "\n</think>\n\n" A, or A
 * alone without a reasoning part, or "<think>\n" R when max_tokens cut
 * the reasoning (cut). NULL on allocation failure; caller frees. */
static char *think_text(const char *r, size_t rn, const char *a, size_t an, bool cut)
{
    tf_buf b;
    tf_buf_init(&b, rn + an + 64);
    bool ok = true;
    if (rn)
        ok = tf_buf_puts(&b, "<think>\n") == TF_OK && tf_buf_append(&b, r, rn) == TF_OK &&
             (cut || tf_buf_puts(&b, "\n</think>\n\n") == TF_OK);
    if (ok && !cut)
        ok = tf_buf_append(&b, a, an) == TF_OK;
    if (ok && !b.data)
        ok = tf_buf_puts(&b, "") == TF_OK;
    if (!ok) {
        tf_buf_free(&b);
        return NULL;
    }
    return tf_buf_steal(&b);
}

/* Add one choice built from the answer text t[0..n): stop sequences cut
 * it first, then max_tokens (finish_reason "length"). The reasoning part
 * ends, and the answer part starts, at split (the arith model's final
 * sentence), or with SIZE_MAX at the first "solution" or "plan" (a maze
 * answer: the trace is the reasoning). For chat with --reasoning-field the
 * reasoning goes to reasoning_content and the answer part to content; with
 * --think (completions, and chat without --reasoning-field) the reasoning
 * is written in <think>...</think> before the answer part. The token
 * budget is spent on the reasoning first. */
static bool add_choice(const srv_opts *o, const creq *q, cJSON *choices, long index, const char *t,
                       size_t n, size_t split, long *ctok, long *rtok)
{
    for (int k = 0; k < q->nstop; k++) {
        const char *hit = strstr(t, q->stop[k]); /* t is NUL-terminated at n */
        if (hit && (size_t)(hit - t) < n)
            n = (size_t)(hit - t);
    }
    size_t rb = 0, re = 0, cb = 0, ce = n;
    bool field = q->chat && o->reasoning_field, think = o->think && !field;
    if (field || think) {
        size_t p = split != SIZE_MAX ? (split < n ? split : n) : plan_part(t, n);
        if (p < n || split != SIZE_MAX) {
            re = p;
            cb = p;
        }
    }
    trim(t, &rb, &re);
    trim(t, &cb, &ce);
    bool length = false;
    if (q->max_tokens >= 0) {
        long budget = q->max_tokens;
        bool more;
        long rn = count_tokens(t + rb, re - rb);
        if (rn >= budget) {
            re = rb + first_tokens(t + rb, re - rb, budget, &more);
            length = more || ce > cb;
            ce = cb;
        } else {
            ce = cb + first_tokens(t + cb, ce - cb, budget - rn, &more);
            length = more;
        }
    }
    long rn = count_tokens(t + rb, re - rb), cn = count_tokens(t + cb, ce - cb);
    cJSON *ch = cJSON_CreateObject();
    if (!ch || !cJSON_AddItemToArray(choices, ch))
        return (cJSON_Delete(ch), false);
    if (!cJSON_AddNumberToObject(ch, "index", (double)index))
        return false;
    char *content = think ? think_text(t + rb, re - rb, t + cb, ce - cb, length && ce == cb)
                          : strndup(t + cb, ce - cb);
    char *reasoning = strndup(t + rb, re - rb);
    bool ok = content && reasoning;
    if (think) { /* usage counts the text as sent, tags included */
        cn = ok ? count_tokens(content, strlen(content)) : 0;
        rn = 0;
    }
    *ctok += rn + cn;
    *rtok += field ? rn : 0;
    if (ok && q->chat) {
        cJSON *m = cJSON_AddObjectToObject(ch, "message");
        ok = m && cJSON_AddStringToObject(m, "role", "assistant") &&
             cJSON_AddStringToObject(m, "content", content) &&
             (!o->reasoning_field || cJSON_AddStringToObject(m, "reasoning_content", reasoning));
    } else if (ok) {
        ok = cJSON_AddStringToObject(ch, "text", content) && cJSON_AddNullToObject(ch, "logprobs");
    }
    free(content);
    free(reasoning);
    return ok && cJSON_AddStringToObject(ch, "finish_reason", length ? "length" : "stop");
}

/* The answers of a valid request: builds the response JSON into *body. A
 * replayed prompt that is not recorded is a 404, and so is a prompt that
 * asks no known question and holds no maze with --arith-corpus; an answer
 * over the cap a 500. Returns the HTTP status; *why explains an error
 * status. */
static int answer(server *s, req *r, const creq *q, long ptok, char **body, const char **why)
{
    const srv_opts *o = &s->o;
    *body = NULL;
    if (s->replay && !tf_serve_replay_find(s->replay, q->prompt, strlen(q->prompt))) {
        *why = "no recorded output for this prompt (--replay)";
        return 404;
    }
    long question = s->arith ? tf_serve_arith_match(s->arith, q->prompt, strlen(q->prompt)) : -1;
    const char *reference = NULL;
    size_t reflen = 0;
    if (question >= 0)
        reference = tf_serve_arith_reference(s->arith, (size_t)question, &reflen);
    /* a PlanBench task (its "[STATEMENT]" read by the planning module)
     * goes to the planner model; any other prompt on as before */
    tf_serve_plan_problem *plan = NULL;
    if (!s->replay && !reference) {
        tf_err e = tf_serve_plan_load(&o->po, q->prompt, strlen(q->prompt), &plan);
        if (e == TF_ERR_NOMEM) {
            *why = "out of memory";
            return 500;
        }
    }
    cJSON *j = cJSON_CreateObject();
    cJSON *choices = NULL;
    char id[40];
    snprintf(id, sizeof id, "%s-%016" PRIx64, q->chat ? "chatcmpl" : "cmpl", q->key);
    bool ok =
        j && cJSON_AddStringToObject(j, "id", id) &&
        cJSON_AddStringToObject(j, "object", q->chat ? "chat.completion" : "text_completion") &&
        cJSON_AddNumberToObject(j, "created", 0) && cJSON_AddStringToObject(j, "model", q->model) &&
        (choices = cJSON_AddArrayToObject(j, "choices")) != NULL;
    long ctok = 0, rtok = 0;
    size_t budget = ANSWER_LIMIT;
    int status = 200;
    uint64_t base = tf_mix64(q->key ^ tf_mix64(o->seed ^ SALT_SAMPLE));
    for (long i = 0; ok && i < q->n; i++) {
        tf_buf text;
        tf_buf_init(&text, budget);
        const char *t;
        size_t n, split = SIZE_MAX;
        if (s->replay) {
            t = tf_serve_replay_find(s->replay, q->prompt, strlen(q->prompt));
            n = strlen(t);
            r->mode_counts[TF_SERVE_MODE_COUNT]++;
        } else if (reference) {
            uint64_t seed = tf_mix64(base + (uint64_t)(i + 1) * TF_RNG_GOLDEN);
            tf_serve_arith_info info;
            tf_err e = tf_serve_arith_answer(&o->ao, reference, reflen, seed, &text, &info);
            if (e != TF_OK) {
                tf_buf_free(&text);
                *why = e == TF_ERR_TOO_BIG ? "the answer exceeds 64 MiB" : tf_strerror(e);
                status = 500;
                break;
            }
            budget -= text.len;
            r->arith_mode[info.mode]++;
            if (info.mode != info.drawn)
                r->arith_no_place[info.drawn]++;
            r->arith_style[info.style]++;
            r->arith_ref_wrong += info.reference_wrong;
            t = text.data ? text.data : "";
            n = text.len;
            split = info.answer_at;
        } else if (plan) {
            uint64_t seed = tf_mix64(base + (uint64_t)(i + 1) * TF_RNG_GOLDEN);
            tf_serve_plan_info info;
            tf_err e = tf_serve_plan_answer(&o->po, plan, seed, &text, &info);
            if (e != TF_OK) {
                tf_buf_free(&text);
                *why = e == TF_ERR_TOO_BIG    ? "the answer exceeds 64 MiB"
                       : e == TF_ERR_INTERNAL ? "the plan written cannot be read back as written"
                                              : tf_strerror(e);
                status = 500;
                break;
            }
            budget -= text.len;
            r->plan_mode[info.mode]++;
            if (info.mode == TF_SERVE_PLAN_OPTIMAL && info.drawn != TF_SERVE_PLAN_OPTIMAL)
                r->plan_no_place[info.drawn]++;
            r->plan_valid += info.valid;
            r->plan_optimal += info.optimal;
            if (info.first_error[0])
                tf_srv_codes_add(&r->plan_errors, info.first_error, 1);
            t = text.data ? text.data : "";
            n = text.len;
            split = info.answer_at;
        } else {
            uint64_t seed = tf_mix64(base + (uint64_t)(i + 1) * TF_RNG_GOLDEN);
            tf_serve_answer_info info;
            tf_err e =
                tf_serve_model_answer(&o->mo, q->prompt, strlen(q->prompt), seed, &text, &info);
            if (e != TF_OK) {
                tf_buf_free(&text);
                *why = e == TF_ERR_TOO_BIG ? "the answer exceeds 64 MiB" : tf_strerror(e);
                status = 500;
                break;
            }
            if (s->arith && info.mode == TF_SERVE_UNPARSEABLE) {
                tf_buf_free(&text);
                *why = "the prompt asks none of the questions of --arith-corpus and holds no maze";
                r->arith_unknown = true;
                status = 404;
                break;
            }
            budget -= text.len;
            r->mode_counts[info.mode]++;
            r->wrong_plan += info.wrong_plan;
            t = text.data ? text.data : "";
            n = text.len;
        }
        ok = add_choice(o, q, choices, i, t, n, split, &ctok, &rtok);
        tf_buf_free(&text);
    }
    if (status == 200 && ok) {
        cJSON *u = cJSON_AddObjectToObject(j, "usage");
        ok = u && cJSON_AddNumberToObject(u, "prompt_tokens", (double)ptok) &&
             cJSON_AddNumberToObject(u, "completion_tokens", (double)ctok) &&
             cJSON_AddNumberToObject(u, "total_tokens", (double)(ptok + ctok));
        if (ok && q->chat && o->reasoning_field) {
            cJSON *dt = cJSON_AddObjectToObject(u, "completion_tokens_details");
            ok = dt && cJSON_AddNumberToObject(dt, "reasoning_tokens", (double)rtok);
        }
        if (ok)
            *body = cJSON_PrintUnformatted(j);
        ok = ok && *body;
        r->choices = q->n;
        r->ptok = ptok;
        r->ctok = ctok;
    }
    cJSON_Delete(j);
    tf_serve_plan_free(plan);
    if (status == 200 && !ok) {
        *why = "out of memory";
        status = 500;
    }
    return status;
}

/* ----- endpoints ---------------------------------------------------------- */

/* See serve_internal.h. */
enum MHD_Result tf_srv_models(server *s, struct MHD_Connection *c, req *r)
{
    cJSON *j = cJSON_CreateObject(), *data = cJSON_AddArrayToObject(j, "data"),
          *m = cJSON_CreateObject();
    char *body = NULL;
    if (data && m && cJSON_AddItemToArray(data, m)) {
        if (cJSON_AddStringToObject(j, "object", "list") &&
            cJSON_AddStringToObject(m, "id", s->o.model) &&
            cJSON_AddStringToObject(m, "object", "model") &&
            cJSON_AddNumberToObject(m, "created", 0) &&
            cJSON_AddStringToObject(m, "owned_by", "tracefarm"))
            body = cJSON_PrintUnformatted(j);
    } else {
        cJSON_Delete(m);
    }
    cJSON_Delete(j);
    if (!body)
        return MHD_NO;
    enum MHD_Result ret =
        tf_srv_respond(c, r, 200, "application/json", body, strlen(body), NULL, NULL);
    cJSON_free(body);
    return ret;
}

/* A completions or chat request: the faults before the answer
 * (faults.c), then the request parsed and answered, then sent as the
 * attempt's fault wants (possibly truncated or not JSON). */
enum MHD_Result tf_srv_completion(server *s, struct MHD_Connection *c, req *r, bool chat)
{
    enum MHD_Result ret;
    if (tf_srv_fault_before(s, c, r, &ret))
        return ret;
    const srv_opts *o = &s->o;
    int status;
    char *body = NULL;
    const char *why = "";
    creq q;
    long ptok = 0;
    cJSON *j = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
    if (!j) {
        status = 400;
        why = "the request body is not valid JSON";
        memset(&q, 0, sizeof q);
    } else if (!parse_request(o, j, chat, &q, &ptok, &why)) {
        status = 400;
    } else if (o->strict_model && strcmp(q.model, o->model) != 0) {
        status = 404;
        why = "the model does not exist (--strict-model)";
    } else {
        status = answer(s, r, &q, ptok, &body, &why);
    }
    const char *type = status == 500 ? "server_error" : "invalid_request_error";
    const char *code = status == 404 ? (s->replay          ? "not_found"
                                        : r->arith_unknown ? "question_not_found"
                                                           : "model_not_found")
                                     : NULL;
    if (!body) {
        body = tf_srv_error_json(why, type, code);
        if (!body) {
            creq_free(&q);
            cJSON_Delete(j);
            return MHD_NO;
        }
    }
    ret = tf_srv_fault_send(c, r, status, body);
    cJSON_free(body);
    creq_free(&q);
    cJSON_Delete(j);
    return ret;
}
