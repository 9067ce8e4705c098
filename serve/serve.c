/* serve.c: "tracefarm serve", a SYNTHETIC OpenAI-compatible maze model.
 *
 * libmicrohttpd with one thread per connection, so a request held back on
 * purpose (--rate-hang, --latency-ms) never holds up another. The answer
 * is a pure function of the request's content (docs/serve.md); faults are
 * drawn from a counter of attempts, independent of content. The main
 * thread only waits for a signal, --max-requests or --idle-exit, then
 * stops the daemon and writes --stats-file.
 */
#include "tracefarm/hash.h"
#include "tracefarm/rng.h"
#include "tracefarm/serve.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)
#define SALT_FAULT UINT64_C(0x6661756c74)    /* "fault" */
#define SALT_JITTER UINT64_C(0x6a6974746572) /* "jitter" */
#define SALT_SAMPLE UINT64_C(0x73616d706c65) /* "sample" */
#define DEFAULT_MODEL "tracefarm-maze-astar"
#define MAX_N 128                       /* choices per request */
#define ANSWER_LIMIT ((size_t)64 << 20) /* all choices' text of one request */
#define FAILFIRST_CAP ((size_t)1 << 20) /* distinct requests tracked by --fail-first */
#define PROMPT_LIMIT ((size_t)16 << 20) /* a chat prompt assembled from parts */

/* ----- options ------------------------------------------------------------ */

typedef struct srv_opts {
    const char *host;
    long port;
    const char *port_file;
    const char *model;
    bool strict_model;
    uint64_t seed;
    tf_serve_model_opts mo;
    bool reasoning_field;
    long latency_ms, jitter_ms;
    double rate_429, rate_500, rate_hang, rate_truncated, rate_nonjson;
    long retry_after, hang_ms, fail_first;
    const char *replay_path;
    char *api_key; /* owned; never printed */
    const char *stats_file;
    bool verbose;
    long max_requests;
    double idle_exit;
    long max_body;
} srv_opts;

/* ----- accounting --------------------------------------------------------- */

enum { EP_MODELS, EP_COMPLETIONS, EP_CHAT, EP_STATS, EP_HEALTH, EP_OTHER, EP_COUNT };
static const char *const ep_names[EP_COUNT] = {
    "/v1/models", "/v1/completions", "/v1/chat/completions", "/stats", "/health", "other"};

enum { F_NONE, F_FAIL_FIRST, F_HANG, F_429, F_500, F_TRUNCATED, F_NONJSON, F_COUNT };
static const char *const fault_names[F_COUNT] = {"none", "fail_first", "hang",   "429",
                                                 "500",  "truncated",  "nonjson"};

static const int known_status[] = {200, 400, 401, 404, 405, 413, 429, 500};
#define N_STATUS ((int)(sizeof known_status / sizeof *known_status))

typedef struct counters {
    long requests;
    long by_endpoint[EP_COUNT];
    long by_status[N_STATUS + 1]; /* last: any other */
    long aborted;                 /* connection ended without a response */
    long faults[F_COUNT];
    long delayed; /* attempts held back by --latency-ms/--jitter-ms */
    long completions_ok, choices;
    long by_mode[TF_SERVE_MODE_COUNT + 1]; /* last: replay */
    long wrong_plan;
    long prompt_tokens, completion_tokens;
} counters;

/* The failure counts of --fail-first, keyed by a hash of the request. */
typedef struct ff_table {
    uint64_t *keys; /* 0: empty */
    unsigned *counts;
    size_t cap, n;
} ff_table;

typedef struct server {
    srv_opts o;
    tf_serve_replay *replay;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; broadcast when stopping */
    bool stopping;
    uint64_t attempts;
    long inflight, completed;
    struct timespec last;
    counters c;
    ff_table ff;
} server;

/* One request while it is being received and answered. */
typedef struct req {
    int ep;
    bool is_post, is_get;
    tf_buf body;
    bool too_big;
    bool accounted;
    int status; /* 0 until a response is queued */
    int fault;
    long choices, wrong_plan, ptok, ctok;
    long mode_counts[TF_SERVE_MODE_COUNT + 1];
    struct timespec t0;
    char method[8];
    char path[64];
} req;

static double since_ms(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static struct timespec now_mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

/* Sleep ms milliseconds, or less if the server is stopping: a held-back
 * request must never delay shutdown. */
static void wait_ms(server *s, long ms)
{
    if (ms <= 0)
        return;
    struct timespec dl = now_mono();
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->mu);
}

/* ----- hashing ------------------------------------------------------------ */

/* Hash a string and its terminating NUL (so "ab","c" differs from
 * "a","bc"). */
static uint64_t fnv_str(uint64_t h, const char *s)
{
    return tf_fnv64(h, s, strlen(s) + 1);
}

/* --fail-first: count this attempt of the request with hash key and
 * return how many attempts came before it. The table is capped: past
 * FAILFIRST_CAP distinct requests new ones are not tracked (they pass). */
static unsigned ff_attempt(server *s, uint64_t key)
{
    ff_table *t = &s->ff;
    if (key == 0)
        key = 1;
    if (!t->keys) {
        t->cap = 4096;
        t->keys = calloc(t->cap, sizeof *t->keys);
        t->counts = calloc(t->cap, sizeof *t->counts);
        if (!t->keys || !t->counts) {
            free(t->keys);
            free(t->counts);
            t->keys = NULL;
            t->counts = NULL;
            return UINT32_MAX;
        }
    }
    if (t->n * 2 >= t->cap && t->cap < 2 * FAILFIRST_CAP) {
        size_t nc = t->cap * 2;
        uint64_t *nk = calloc(nc, sizeof *nk);
        unsigned *ncnt = calloc(nc, sizeof *ncnt);
        if (nk && ncnt) {
            for (size_t i = 0; i < t->cap; i++) {
                if (!t->keys[i])
                    continue;
                size_t j = (size_t)t->keys[i] & (nc - 1);
                while (nk[j])
                    j = (j + 1) & (nc - 1);
                nk[j] = t->keys[i];
                ncnt[j] = t->counts[i];
            }
            free(t->keys);
            free(t->counts);
            t->keys = nk;
            t->counts = ncnt;
            t->cap = nc;
        } else {
            free(nk);
            free(ncnt);
        }
    }
    size_t j = (size_t)key & (t->cap - 1);
    while (t->keys[j] && t->keys[j] != key)
        j = (j + 1) & (t->cap - 1);
    if (!t->keys[j]) {
        if (t->n >= FAILFIRST_CAP || t->n + 1 >= t->cap)
            return UINT32_MAX;
        t->keys[j] = key;
        t->n++;
    }
    return t->counts[j] < UINT32_MAX ? t->counts[j]++ : UINT32_MAX;
}

/* ----- responses ---------------------------------------------------------- */

/* Queue a response with a body copied from body[0..len). */
static enum MHD_Result respond(struct MHD_Connection *c, req *r, int status, const char *ctype,
                               const char *body, size_t len, const char *hname, const char *hval)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (hname)
        MHD_add_response_header(resp, hname, hval);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        r->status = status;
    return ret;
}

/* The body of an OpenAI-style error, {"error":{"message","type","param",
 * "code"}}; NULL on allocation failure. */
static char *error_json(const char *msg, const char *type, const char *code)
{
    cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
    char *s = NULL;
    if (e && cJSON_AddStringToObject(e, "message", msg) &&
        cJSON_AddStringToObject(e, "type", type) && cJSON_AddNullToObject(e, "param") &&
        (code ? cJSON_AddStringToObject(e, "code", code) : cJSON_AddNullToObject(e, "code")))
        s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, req *r, int status, const char *msg,
                                     const char *type, const char *code, const char *hname,
                                     const char *hval)
{
    char *s = error_json(msg, type, code);
    if (!s)
        return MHD_NO;
    enum MHD_Result ret = respond(c, r, status, "application/json", s, strlen(s), hname, hval);
    cJSON_free(s);
    return ret;
}

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
    uint64_t h = fnv_str(TF_FNV_SEED, "tracefarm-serve");
    h = fnv_str(h, q->model);
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
        h = fnv_str(fnv_str(h, "prompt"), q->prompt);
        *ptok = count_tokens(q->prompt, strlen(q->prompt));
    } else {
        v = cJSON_GetObjectItemCaseSensitive(j, "messages");
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
            *why = "\"messages\" must be a non-empty array";
            return false;
        }
        h = fnv_str(h, "messages");
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
            h = fnv_str(fnv_str(h, role->valuestring), t);
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
        h = fnv_str(fnv_str(h, "seed"), tmp);
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

/* Add one choice built from the answer text t[0..n): stop sequences cut
 * it first, then max_tokens (finish_reason "length"); for chat with
 * --reasoning-field the trace goes to reasoning_content and the plan part
 * to content, the token budget spent on the trace first. */
static bool add_choice(const srv_opts *o, const creq *q, cJSON *choices, long index, const char *t,
                       size_t n, long *ctok, long *rtok)
{
    for (int k = 0; k < q->nstop; k++) {
        const char *hit = strstr(t, q->stop[k]); /* t is NUL-terminated at n */
        if (hit && (size_t)(hit - t) < n)
            n = (size_t)(hit - t);
    }
    size_t rb = 0, re = 0, cb = 0, ce = n;
    if (q->chat && o->reasoning_field) {
        size_t p = plan_part(t, n);
        if (p < n) {
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
    *ctok += rn + cn;
    *rtok += rn;
    cJSON *ch = cJSON_CreateObject();
    if (!ch || !cJSON_AddItemToArray(choices, ch))
        return (cJSON_Delete(ch), false);
    if (!cJSON_AddNumberToObject(ch, "index", (double)index))
        return false;
    char *content = strndup(t + cb, ce - cb);
    char *reasoning = strndup(t + rb, re - rb);
    bool ok = content && reasoning;
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
 * replayed prompt that is not recorded is a 404; an answer over the cap a
 * 500. Returns the HTTP status; *why explains an error status. */
static int answer(server *s, req *r, const creq *q, long ptok, char **body, const char **why)
{
    const srv_opts *o = &s->o;
    *body = NULL;
    if (s->replay && !tf_serve_replay_find(s->replay, q->prompt, strlen(q->prompt))) {
        *why = "no recorded output for this prompt (--replay)";
        return 404;
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
        size_t n;
        if (s->replay) {
            t = tf_serve_replay_find(s->replay, q->prompt, strlen(q->prompt));
            n = strlen(t);
            r->mode_counts[TF_SERVE_MODE_COUNT]++;
        } else {
            uint64_t seed = tf_mix64(base + (uint64_t)(i + 1) * GOLDEN);
            tf_serve_answer_info info;
            tf_err e =
                tf_serve_model_answer(&o->mo, q->prompt, strlen(q->prompt), seed, &text, &info);
            if (e != TF_OK) {
                tf_buf_free(&text);
                *why = e == TF_ERR_TOO_BIG ? "the answer exceeds 64 MiB" : tf_strerror(e);
                status = 500;
                break;
            }
            budget -= text.len;
            r->mode_counts[info.mode]++;
            r->wrong_plan += info.wrong_plan;
            t = text.data ? text.data : "";
            n = text.len;
        }
        ok = add_choice(o, q, choices, i, t, n, &ctok, &rtok);
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
    if (status == 200 && !ok) {
        *why = "out of memory";
        status = 500;
    }
    return status;
}

/* ----- endpoints ---------------------------------------------------------- */

static enum MHD_Result do_models(server *s, struct MHD_Connection *c, req *r)
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
    enum MHD_Result ret = respond(c, r, 200, "application/json", body, strlen(body), NULL, NULL);
    cJSON_free(body);
    return ret;
}

/* The statistics as JSON (caller frees), taken under the lock. */
static char *stats_json(server *s)
{
    pthread_mutex_lock(&s->mu);
    counters k = s->c;
    pthread_mutex_unlock(&s->mu);
    cJSON *j = cJSON_CreateObject();
    bool ok = cJSON_AddNumberToObject(j, "requests", (double)k.requests) &&
              cJSON_AddNumberToObject(j, "aborted", (double)k.aborted);
    cJSON *ep = cJSON_AddObjectToObject(j, "by_endpoint");
    cJSON *st = cJSON_AddObjectToObject(j, "by_status");
    cJSON *f = cJSON_AddObjectToObject(j, "faults");
    cJSON *cp = cJSON_AddObjectToObject(j, "completions");
    char *out = NULL;
    ok = ok && ep && st && f && cp;
    for (int i = 0; ok && i < EP_COUNT; i++)
        ok = cJSON_AddNumberToObject(ep, ep_names[i], (double)k.by_endpoint[i]) != NULL;
    for (int i = 0; ok && i <= N_STATUS; i++) {
        char name[16];
        if (i < N_STATUS)
            snprintf(name, sizeof name, "%d", known_status[i]);
        else
            snprintf(name, sizeof name, "other");
        ok = cJSON_AddNumberToObject(st, name, (double)k.by_status[i]) != NULL;
    }
    for (int i = 1; ok && i < F_COUNT; i++)
        ok = cJSON_AddNumberToObject(f, fault_names[i], (double)k.faults[i]) != NULL;
    ok = ok && cJSON_AddNumberToObject(f, "delayed", (double)k.delayed);
    ok = ok && cJSON_AddNumberToObject(cp, "ok", (double)k.completions_ok) &&
         cJSON_AddNumberToObject(cp, "choices", (double)k.choices) &&
         cJSON_AddNumberToObject(cp, "wrong_plan", (double)k.wrong_plan) &&
         cJSON_AddNumberToObject(cp, "prompt_tokens", (double)k.prompt_tokens) &&
         cJSON_AddNumberToObject(cp, "completion_tokens", (double)k.completion_tokens);
    cJSON *bm = ok ? cJSON_AddObjectToObject(cp, "by_mode") : NULL;
    ok = ok && bm;
    for (int i = 0; ok && i <= TF_SERVE_MODE_COUNT; i++)
        ok = cJSON_AddNumberToObject(
                 bm, i < TF_SERVE_MODE_COUNT ? tf_serve_mode_name((tf_serve_mode)i) : "replay",
                 (double)k.by_mode[i]) != NULL;
    if (ok)
        out = cJSON_Print(j);
    cJSON_Delete(j);
    return out;
}

/* A completions or chat request: latency, --fail-first, the fault draw,
 * then the answer (possibly mangled by a truncated or non-JSON fault). */
static enum MHD_Result do_completion(server *s, struct MHD_Connection *c, req *r, bool chat)
{
    const srv_opts *o = &s->o;
    pthread_mutex_lock(&s->mu);
    uint64_t k = s->attempts++;
    pthread_mutex_unlock(&s->mu);
    long delay = o->latency_ms;
    if (o->jitter_ms > 0)
        delay += (long)(tf_mix64((o->seed ^ SALT_JITTER) + (k + 1) * GOLDEN) %
                        (uint64_t)(o->jitter_ms + 1));
    if (delay > 0) {
        pthread_mutex_lock(&s->mu);
        s->c.delayed++;
        pthread_mutex_unlock(&s->mu);
        wait_ms(s, delay);
    }
    if (o->fail_first > 0) {
        uint64_t key =
            tf_fnv64(fnv_str(TF_FNV_SEED, r->path), r->body.data ? r->body.data : "", r->body.len);
        pthread_mutex_lock(&s->mu);
        unsigned before = ff_attempt(s, key);
        pthread_mutex_unlock(&s->mu);
        if (before < (unsigned long)o->fail_first) {
            r->fault = F_FAIL_FIRST;
            return respond_error(c, r, 500, "injected failure (--fail-first)", "server_error", NULL,
                                 NULL, NULL);
        }
    }
    double u = (double)(tf_mix64((o->seed ^ SALT_FAULT) + (k + 1) * GOLDEN) >> 11) *
               (1.0 / 9007199254740992.0);
    double th[F_COUNT] = {0};
    th[F_HANG] = o->rate_hang;
    th[F_429] = th[F_HANG] + o->rate_429;
    th[F_500] = th[F_429] + o->rate_500;
    th[F_TRUNCATED] = th[F_500] + o->rate_truncated;
    th[F_NONJSON] = th[F_TRUNCATED] + o->rate_nonjson;
    for (int f = F_HANG; f < F_COUNT; f++)
        if (u < th[f]) {
            r->fault = f;
            break;
        }
    if (r->fault == F_HANG)
        wait_ms(s, o->hang_ms);
    if (r->fault == F_429) {
        char ra[32];
        snprintf(ra, sizeof ra, "%ld", o->retry_after);
        return respond_error(c, r, 429, "injected rate limit (--rate-429)", "rate_limit_error",
                             "rate_limit_exceeded", MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (r->fault == F_500)
        return respond_error(c, r, 500, "injected server error (--rate-500)", "server_error", NULL,
                             NULL, NULL);

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
    const char *code = status == 404 ? (s->replay ? "not_found" : "model_not_found") : NULL;
    if (!body) {
        body = error_json(why, type, code);
        if (!body) {
            creq_free(&q);
            cJSON_Delete(j);
            return MHD_NO;
        }
    }
    enum MHD_Result ret;
    if (r->fault == F_NONJSON) {
        static const char html[] =
            "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
            "<body><h1>Bad Gateway</h1><p>injected non-JSON page (--rate-nonjson)</p></body>"
            "</html>\n";
        ret = respond(c, r, 200, "text/html; charset=utf-8", html, sizeof html - 1, NULL, NULL);
    } else {
        size_t len = strlen(body);
        if (r->fault == F_TRUNCATED)
            len /= 2; /* mid-JSON: the closing braces are gone */
        ret = respond(c, r, status, "application/json", body, len, NULL, NULL);
    }
    cJSON_free(body);
    creq_free(&q);
    cJSON_Delete(j);
    return ret;
}

/* ----- the access handler ------------------------------------------------- */

/* Constant-time comparison of the Authorization header with "Bearer KEY". */
static bool authorized(const srv_opts *o, struct MHD_Connection *c)
{
    if (!o->api_key)
        return true;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    size_t a = strlen(h), b = strlen(o->api_key);
    unsigned char diff = (unsigned char)(a != b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned char)(h[i] ^ o->api_key[i]);
    return diff == 0;
}

static int endpoint_of(const char *url)
{
    for (int i = 0; i < EP_OTHER; i++)
        if (!strcmp(url, ep_names[i]))
            return i;
    return EP_OTHER;
}

/* Route a fully received request. */
static enum MHD_Result dispatch(server *s, struct MHD_Connection *c, req *r)
{
    if (r->too_big)
        return respond_error(c, r, 413, "the request body exceeds --max-body",
                             "invalid_request_error", "request_too_large", NULL, NULL);
    if (!authorized(&s->o, c))
        return respond_error(c, r, 401, "missing or invalid API key (Authorization: Bearer ...)",
                             "invalid_request_error", "invalid_api_key", NULL, NULL);
    switch (r->ep) {
    case EP_MODELS:
    case EP_STATS:
    case EP_HEALTH:
        if (!r->is_get)
            return respond_error(c, r, 405, "method not allowed: use GET", "invalid_request_error",
                                 "method_not_allowed", MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        if (r->ep == EP_MODELS)
            return do_models(s, c, r);
        if (r->ep == EP_HEALTH)
            return respond(c, r, 200, "application/json", "{\"status\":\"ok\"}", 15, NULL, NULL);
        {
            char *j = stats_json(s);
            if (!j)
                return MHD_NO;
            enum MHD_Result ret = respond(c, r, 200, "application/json", j, strlen(j), NULL, NULL);
            cJSON_free(j);
            return ret;
        }
    case EP_COMPLETIONS:
    case EP_CHAT:
        if (!r->is_post)
            return respond_error(c, r, 405, "method not allowed: use POST", "invalid_request_error",
                                 "method_not_allowed", MHD_HTTP_HEADER_ALLOW, "POST");
        return do_completion(s, c, r, r->ep == EP_CHAT);
    default:
        return respond_error(c, r, 404, "no such path", "invalid_request_error", "not_found", NULL,
                             NULL);
    }
}

/* Count an answered request, once, as soon as its response is queued:
 * before the client can read it, so a /stats asked right after an answer
 * always includes that answer. */
static void account(server *s, req *r)
{
    if (!r->status || r->accounted)
        return;
    r->accounted = true;
    pthread_mutex_lock(&s->mu);
    counters *k = &s->c;
    k->requests++;
    k->by_endpoint[r->ep]++;
    int si = N_STATUS;
    for (int i = 0; i < N_STATUS; i++)
        if (known_status[i] == r->status)
            si = i;
    k->by_status[si]++;
    k->faults[r->fault]++;
    if (r->status == 200 && r->fault == F_NONE && r->choices > 0 &&
        (r->ep == EP_COMPLETIONS || r->ep == EP_CHAT)) {
        k->completions_ok++;
        k->choices += r->choices;
        for (int i = 0; i <= TF_SERVE_MODE_COUNT; i++)
            k->by_mode[i] += r->mode_counts[i];
        k->wrong_plan += r->wrong_plan;
        k->prompt_tokens += r->ptok;
        k->completion_tokens += r->ctok;
    }
    pthread_mutex_unlock(&s->mu);
}

/* libmicrohttpd's access handler: called once with the headers, then per
 * body chunk, then once more when the body is complete. The body goes to
 * a capped buffer; past the cap it is discarded and the answer is 413
 * (immediately when Content-Length already says so). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->ep = endpoint_of(url);
        r->is_post = !strcmp(method, "POST");
        r->is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
        snprintf(r->method, sizeof r->method, "%s", method);
        snprintf(r->path, sizeof r->path, "%s", url);
        r->t0 = now_mono();
        tf_buf_init(&r->body, (size_t)s->o.max_body);
        *con_cls = r;
        pthread_mutex_lock(&s->mu);
        s->inflight++;
        s->last = r->t0;
        pthread_mutex_unlock(&s->mu);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)s->o.max_body) {
            r->too_big = true;
            enum MHD_Result ret = dispatch(s, c, r);
            account(s, r);
            return ret;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_big && tf_buf_append(&r->body, upload_data, *upload_data_size) != TF_OK) {
            r->too_big = true;
            tf_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->status)
        return MHD_YES;
    enum MHD_Result ret = dispatch(s, c, r);
    account(s, r);
    return ret;
}

/* Called when a request is over (answered or not): count it for
 * --max-requests and --idle-exit (only now, so that stopping never cuts
 * an answer being sent), log it, free it. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    server *s = cls;
    req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    struct timespec t1 = now_mono();
    pthread_mutex_lock(&s->mu);
    if (r->status)
        s->completed++;
    else
        s->c.aborted++;
    s->inflight--;
    s->last = t1;
    pthread_mutex_unlock(&s->mu);
    if (s->o.verbose)
        fprintf(stderr, "tracefarm serve: %s %s %d %.1f ms%s%s\n", r->method, r->path, r->status,
                since_ms(&r->t0, &t1), r->fault ? " fault=" : "",
                r->fault ? fault_names[r->fault] : "");
    tf_buf_free(&r->body);
    free(r);
}

/* ----- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: tracefarm serve [options]\n"
          "\n"
          "An OpenAI-compatible HTTP server that acts as a SYNTHETIC maze-solving model, for\n"
          "tests and demos: it is not a model. It parses the maze in the prompt, runs the\n"
          "farm's A* (a variant drawn from the request) and answers in the prompt's dialect\n"
          "(searchformer \"start ...\" or beyond \"query ...\"). Answers are a pure function of\n"
          "(--seed, model, prompt or messages, the request's seed, the sample index).\n"
          "Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions,\n"
          "GET /stats, GET /health. See docs/serve.md.\n"
          "\n"
          "server:\n"
          "  --host ADDR             numeric address to bind (default 127.0.0.1)\n"
          "  --port P                TCP port, 0 = any free one (default 0)\n"
          "  --port-file PATH        write the bound port there (after binding)\n"
          "  --model NAME            the model id served (default " DEFAULT_MODEL ")\n"
          "  --strict-model          404 for another requested model (default: any name is\n"
          "                          accepted, echoed and mixed into the answer's seed)\n"
          "  --api-key KEY           require \"Authorization: Bearer KEY\" (401 otherwise)\n"
          "  --api-key-env VAR       the same, with the key read from environment variable VAR\n"
          "                          (preferred: a command line is visible to other users)\n"
          "  --max-body BYTES        request body cap, 413 past it (default 16777216)\n"
          "  --stats-file PATH       write the /stats JSON there on exit\n"
          "  --verbose               one line per request on stderr\n"
          "  --max-requests N        exit after N answered requests (default 0: no limit)\n"
          "  --idle-exit SECONDS     exit after SECONDS without a request (default 0: never)\n"
          "\n"
          "model:\n"
          "  --seed S                server seed (default 1)\n"
          "  --rows R|auto --cols C|auto\n"
          "                          grid size (default 30 30; auto: the prompt's extent,\n"
          "                          largest coordinate + 1)\n"
          "  --invalid-step-rate P   fraction of answers with one altered step (g, h, coord,\n"
          "                          drop or duplicate); the plan stays correct\n"
          "  --swap-rate P           fraction with another maze's trace and this maze's plan\n"
          "  --length-noise-rate P   fraction with the trace of a maze of a random size and\n"
          "                          kind (length unrelated to complexity) and this plan\n"
          "  --wrong-plan-rate P     fraction with an illegal plan (independent of the above)\n"
          "  --reasoning-field       chat: the trace in message.reasoning_content, the plan\n"
          "                          in message.content\n"
          "  --replay FILE.jsonl     answer recorded outputs instead (exact prompt match;\n"
          "                          404 for an unknown prompt)\n"
          "\n"
          "faults (per attempt at /v1/completions and /v1/chat/completions, drawn from a\n"
          "counter; the five rates together at most 1):\n"
          "  --latency-ms MS         delay every attempt (default 0)\n"
          "  --jitter-ms MS          plus a delay uniform in 0..MS (default 0)\n"
          "  --rate-429 P            429 with a Retry-After header\n"
          "  --retry-after S         its value in seconds (default 1)\n"
          "  --rate-500 P            500 with a JSON error\n"
          "  --rate-hang P           answer only after --hang-ms (other connections go on)\n"
          "  --hang-ms MS            (default 30000)\n"
          "  --rate-truncated P      200 with the JSON body cut in half (Content-Length of the\n"
          "                          cut body)\n"
          "  --rate-nonjson P        200 with an HTML page\n"
          "  --fail-first K          the first K attempts of each distinct request (same path\n"
          "                          and body) fail with 500\n"
          "  --help                  this text\n"
          "\n"
          "Prints \"listening on http://HOST:PORT\" when ready; exits 0 on SIGTERM/SIGINT,\n"
          "--max-requests or --idle-exit; 2 on bad usage; 1 if it cannot start.\n"
          "\n"
          "example:\n"
          "  tracefarm serve --port 8000 --rows 10 --cols 10 --invalid-step-rate 0.3 &\n"
          "  curl -s localhost:8000/v1/completions -d '{\"prompt\": \"start 0 0 goal 2 2\"}'\n",
          f);
}

static int bad(const char *opt, const char *val, const char *why)
{
    if (val)
        fprintf(stderr, "tracefarm serve: %s '%s': %s\n", opt, val, why);
    else
        fprintf(stderr, "tracefarm serve: %s: %s\n", opt, why);
    fprintf(stderr, "try 'tracefarm serve --help'\n");
    return 2;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo && x <= hi))
        return false;
    *out = x;
    return true;
}

/* Options with a value; the rest are flags. */
static const char *const valued[] = {"--host",
                                     "--port",
                                     "--port-file",
                                     "--model",
                                     "--seed",
                                     "--rows",
                                     "--cols",
                                     "--invalid-step-rate",
                                     "--swap-rate",
                                     "--length-noise-rate",
                                     "--wrong-plan-rate",
                                     "--latency-ms",
                                     "--jitter-ms",
                                     "--rate-429",
                                     "--retry-after",
                                     "--rate-500",
                                     "--rate-hang",
                                     "--hang-ms",
                                     "--rate-truncated",
                                     "--rate-nonjson",
                                     "--fail-first",
                                     "--replay",
                                     "--api-key",
                                     "--api-key-env",
                                     "--stats-file",
                                     "--max-requests",
                                     "--idle-exit",
                                     "--max-body"};

/* A rate option's target, or NULL. */
static double *rate_of(srv_opts *o, const char *name)
{
    if (!strcmp(name, "--invalid-step-rate"))
        return &o->mo.invalid_step_rate;
    if (!strcmp(name, "--swap-rate"))
        return &o->mo.swap_rate;
    if (!strcmp(name, "--length-noise-rate"))
        return &o->mo.length_noise_rate;
    if (!strcmp(name, "--wrong-plan-rate"))
        return &o->mo.wrong_plan_rate;
    if (!strcmp(name, "--rate-429"))
        return &o->rate_429;
    if (!strcmp(name, "--rate-500"))
        return &o->rate_500;
    if (!strcmp(name, "--rate-hang"))
        return &o->rate_hang;
    if (!strcmp(name, "--rate-truncated"))
        return &o->rate_truncated;
    if (!strcmp(name, "--rate-nonjson"))
        return &o->rate_nonjson;
    return NULL;
}

/* A millisecond or count option's target and upper bound, or NULL. */
static long *long_of(srv_opts *o, const char *name, long *hi)
{
    static const struct {
        const char *name;
        size_t off;
        long hi;
    } t[] = {{"--port", offsetof(srv_opts, port), 65535},
             {"--latency-ms", offsetof(srv_opts, latency_ms), 3600000},
             {"--jitter-ms", offsetof(srv_opts, jitter_ms), 3600000},
             {"--retry-after", offsetof(srv_opts, retry_after), 86400},
             {"--hang-ms", offsetof(srv_opts, hang_ms), 3600000},
             {"--fail-first", offsetof(srv_opts, fail_first), 1000000},
             {"--max-requests", offsetof(srv_opts, max_requests), 1000000000000L},
             {"--max-body", offsetof(srv_opts, max_body), (long)1 << 30}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(name, t[i].name)) {
            *hi = t[i].hi;
            return (long *)(void *)((char *)o + t[i].off);
        }
    return NULL;
}

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, srv_opts *o)
{
    const char *key_env = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return bad(a, NULL, "unexpected argument (options start with --)");
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name)
            return bad(a, NULL, "unknown option");
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (!strcmp(name, "--strict-model") || !strcmp(name, "--reasoning-field") ||
            !strcmp(name, "--verbose")) {
            if (eq)
                return bad(name, NULL, "takes no value");
            if (name[2] == 's')
                o->strict_model = true;
            else if (name[2] == 'r')
                o->reasoning_field = true;
            else
                o->verbose = true;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
            known = known || !strcmp(name, valued[k]);
        if (!known)
            return bad(name, NULL, "unknown option");
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v)
            return bad(name, NULL, "needs a value");
        double *rate = rate_of(o, name);
        long hi, *lp = long_of(o, name, &hi);
        if (rate) {
            if (!parse_num(v, 0.0, 1.0, rate))
                return bad(name, v, "not a number in [0, 1]");
        } else if (lp) {
            if (!parse_long(v, 0, hi, lp))
                return bad(name, v, "not an integer in range");
        } else if (!strcmp(name, "--rows") || !strcmp(name, "--cols")) {
            long n = 0;
            if (strcmp(v, "auto") != 0 && !parse_long(v, 1, TF_MAZE_MAX_SIDE, &n))
                return bad(name, v, "not auto or an integer in 1..4096");
            *(name[2] == 'r' ? &o->mo.rows : &o->mo.cols) = (int)n;
        } else if (!strcmp(name, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(v, &end, 10);
            if (!*v || *v == '-' || *end || errno)
                return bad(name, v, "not an unsigned 64-bit integer");
            o->seed = (uint64_t)x;
        } else if (!strcmp(name, "--idle-exit")) {
            if (!parse_num(v, 0.0, 1e7, &o->idle_exit))
                return bad(name, v, "not a number of seconds in [0, 10^7]");
        } else if (!strcmp(name, "--host")) {
            o->host = v;
        } else if (!strcmp(name, "--port-file")) {
            o->port_file = v;
        } else if (!strcmp(name, "--model")) {
            if (!*v)
                return bad(name, NULL, "must not be empty");
            o->model = v;
        } else if (!strcmp(name, "--replay")) {
            o->replay_path = v;
        } else if (!strcmp(name, "--api-key")) {
            key = v;
        } else if (!strcmp(name, "--api-key-env")) {
            key_env = v;
        } else { /* --stats-file */
            o->stats_file = v;
        }
    }
    if (key && key_env)
        return bad("--api-key", NULL, "give --api-key or --api-key-env, not both");
    if (key_env) {
        key = getenv(key_env);
        if (!key || !*key)
            return bad("--api-key-env", key_env, "the variable is unset or empty");
    }
    if (key) {
        if (!*key)
            return bad("--api-key", NULL, "must not be empty");
        o->api_key = strdup(key);
        if (!o->api_key)
            return 1;
    }
    if (o->rate_429 + o->rate_500 + o->rate_hang + o->rate_truncated + o->rate_nonjson > 1.0 + 1e-9)
        return bad("--rate-*", NULL, "the fault rates add up to more than 1");
    if (o->max_body < 1)
        return bad("--max-body", NULL, "must be at least 1");
    return -1;
}

/* ----- lifecycle ---------------------------------------------------------- */

/* Bind and listen on host:port (numeric host); returns the socket or -1
 * with a message on stderr. *bound gets the port actually bound. */
static int open_listener(const char *host, long port, long *bound, bool *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    char ps[16];
    snprintf(ps, sizeof ps, "%ld", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "tracefarm serve: --host '%s': %s (a numeric address is needed)\n", host,
                gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        fprintf(stderr, "tracefarm serve: cannot listen on %s port %ld: %s\n", host, port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        close(fd);
        return -1;
    }
    *bound = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Write the port to path via a temporary file and a rename, so a reader
 * polling for the file never sees it half written. */
static bool write_port_file(const char *path, long port)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return false;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
    bool ok = fprintf(f, "%ld\n", port) > 0;
    ok = (fclose(f) == 0) && ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    return ok;
}

/* Wait for SIGTERM/SIGINT (blocked in every thread and taken here with
 * sigtimedwait), --max-requests or --idle-exit. */
static void wait_for_end(server *s, const sigset_t *sigs)
{
    for (;;) {
        struct timespec tick = {0, 50 * 1000000L};
        int sig = sigtimedwait(sigs, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            if (s->o.verbose)
                fprintf(stderr, "tracefarm serve: %s, stopping\n",
                        sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        pthread_mutex_lock(&s->mu);
        struct timespec t = now_mono();
        bool done = (s->o.max_requests > 0 && s->completed >= s->o.max_requests) ||
                    (s->o.idle_exit > 0 && s->inflight == 0 &&
                     since_ms(&s->last, &t) >= s->o.idle_exit * 1e3);
        pthread_mutex_unlock(&s->mu);
        if (done) {
            if (s->o.verbose)
                fprintf(stderr, "tracefarm serve: %s, stopping\n",
                        s->o.max_requests > 0 && s->completed >= s->o.max_requests
                            ? "--max-requests reached"
                            : "idle");
            return;
        }
    }
}

/* See serve.h. */
int tf_serve_main(int argc, char **argv)
{
    server *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    srv_opts *o = &s->o;
    o->host = "127.0.0.1";
    o->model = DEFAULT_MODEL;
    o->seed = 1;
    o->mo.rows = 30;
    o->mo.cols = 30;
    o->retry_after = 1;
    o->hang_ms = 30000;
    o->max_body = 16L << 20;
    int rc = parse_args(argc, argv, o);
    if (rc >= 0) {
        free(o->api_key);
        free(s);
        return rc;
    }
    rc = 1;
    tf_diag d = {{0}};
    if (o->replay_path && tf_serve_replay_load(o->replay_path, &s->replay, &d) != TF_OK) {
        fprintf(stderr, "tracefarm serve: --replay %s\n", d.msg);
        goto out;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    s->last = now_mono();

    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and only sigtimedwait below takes them. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    signal(SIGPIPE, SIG_IGN);

    long port = 0;
    bool v6 = false;
    int fd = open_listener(o->host, o->port, &port, &v6);
    struct MHD_Daemon *daemon = NULL;
    if (fd >= 0) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_POLL | (v6 ? MHD_USE_IPv6 : 0);
        daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_CONNECTION_TIMEOUT, 120U, MHD_OPTION_CONNECTION_LIMIT,
                                  1000U, MHD_OPTION_END);
        if (!daemon) {
            fprintf(stderr, "tracefarm serve: cannot start the HTTP daemon\n");
            close(fd);
        }
    }
    if (daemon) {
        if (o->port_file && !write_port_file(o->port_file, port)) {
            fprintf(stderr, "tracefarm serve: --port-file %s: cannot write: %s\n", o->port_file,
                    strerror(errno));
        } else {
            printf("listening on http://%s%s%s:%ld\n", v6 ? "[" : "", o->host, v6 ? "]" : "", port);
            fflush(stdout);
            wait_for_end(s, &sigs);
            rc = 0;
        }
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        MHD_stop_daemon(daemon);
    }
    if (rc == 0 && o->stats_file) {
        char *j = stats_json(s);
        FILE *f = j ? fopen(o->stats_file, "w") : NULL;
        if (!f || fputs(j, f) == EOF || fputc('\n', f) == EOF) {
            fprintf(stderr, "tracefarm serve: --stats-file %s: cannot write\n", o->stats_file);
            rc = 1;
        }
        if (f && fclose(f) != 0)
            rc = 1;
        cJSON_free(j);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
out:
    tf_serve_replay_free(s->replay);
    free(s->ff.keys);
    free(s->ff.counts);
    free(o->api_key);
    free(s);
    return rc;
}
