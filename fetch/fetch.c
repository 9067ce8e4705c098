/* fetch.c: the fetch client: a queue of sample requests driven through one
 * libcurl multi handle, with retries, the response cache and accounting
 * (see fetch.h and docs/endpoint.md).
 *
 * A sample request lives in exactly one place at a time: the wait list
 * (new, or backing off before a retry), the running set (an easy handle
 * attached to the multi handle), or, turned into a result, the done queue.
 * pending counts all three, so tf_fetch_room bounds the memory.
 */
#include "tracefarm/buf.h"
#include "tracefarm/cache.h"
#include "tracefarm/fetch.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TF_VERSION
#define TF_VERSION "0"
#endif

/* One sample of one item, from submit to result. */
typedef struct req {
    struct req *next;             /* wait list or running list link */
    struct req *prev;             /* running list back link */
    uint64_t tag;                 /* caller's tag */
    unsigned sample;              /* sample index */
    uint64_t seed;                /* "seed" in the body */
    char *body;                   /* owned: canonical request body (cJSON_PrintUnformatted) */
    char key[65];                 /* cache key */
    unsigned attempts;            /* requests started */
    long status;                  /* last HTTP status, 0 if none */
    tf_fetch_cause cause;         /* the class of the last attempt's failure */
    char *reason;                 /* owned: why the last attempt failed */
    int64_t submitted_us;         /* when submitted */
    int64_t ready_us;             /* may start (again) at this time */
    int64_t started_us;           /* current attempt's start */
    CURL *easy;                   /* while running */
    tf_buf resp;                  /* response body of the current attempt, capped */
    int too_big;                  /* the body passed max_response_bytes */
    char errbuf[CURL_ERROR_SIZE]; /* curl's error text for this transfer */
} req;

/* A finished result waiting for tf_fetch_next. */
typedef struct done_node {
    struct done_node *next;
    tf_fetch_result *res; /* owned */
} done_node;

struct tf_fetch {
    char *base;  /* owned: the base URL, without trailing slashes (for messages) */
    char *url;   /* owned: base URL + endpoint path */
    char *key;   /* owned: the API key, or NULL; only for the header */
    char *model; /* owned */
    tf_fetch_api api;
    double temperature, top_p; /* < 0: not sent */
    long max_tokens;           /* <= 0: not sent */
    cJSON *stop;               /* owned array or NULL */
    cJSON *extra;              /* owned object or NULL */
    unsigned samples, concurrency, max_pending, max_attempts;
    long connect_timeout_ms, timeout_ms, backoff_base_ms, backoff_max_ms;
    double rate_per_s;
    int64_t next_slot_us; /* rate limit: the next attempt may start at this time */
    size_t max_response_bytes;
    int http2;
    int cache_only;            /* never send: a cache miss is a failed sample */
    int fail_fast;             /* no retry of no connection, DNS, TLS */
    tf_fetch_breaker *breaker; /* borrowed, or NULL */
    uint64_t rng;              /* backoff jitter state */
    CURLM *multi;
    struct curl_slist *headers; /* owned; holds the Authorization header */
    tf_cache *cache;            /* owned or NULL */
    req *wait_head, *wait_tail; /* waiting to start */
    req *run_head;              /* running: easy handle attached */
    unsigned running;           /* length of the running list */
    done_node *done_head, *done_tail;
    size_t pending; /* samples submitted, not yet delivered */
    tf_fetch_stats stats;
};

static int curl_ready; /* curl_global_init done (once per process) */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- secrets ---- */

/* A copy of s with every occurrence of the key replaced by "[redacted]",
 * capped at 1000 bytes. Texts quoted from a server are cut (at 300 bytes)
 * before they get here, and always end the reason, so a key cut in two
 * would leave its head at the very end: a trailing head of the key (4
 * bytes or more) is redacted too. Caller frees; NULL on allocation
 * failure. */
static char *scrubbed(const tf_fetch *f, const char *s)
{
    tf_buf b;
    tf_buf_init(&b, 1000);
    size_t kl = f->key ? strlen(f->key) : 0;
    tf_err e = tf_buf_puts(&b, "");
    while (e == TF_OK && *s) {
        const char *hit = kl ? strstr(s, f->key) : NULL;
        size_t n = hit ? (size_t)(hit - s) : strlen(s);
        if (n > b.limit - b.len)
            n = b.limit - b.len;
        e = tf_buf_append(&b, s, n);
        if (e != TF_OK || !hit || b.len == b.limit)
            break;
        e = tf_buf_puts(&b, "[redacted]");
        s = hit + kl;
    }
    for (size_t m = kl > 0 ? kl - 1 : 0; e != TF_ERR_NOMEM && m >= 4; m--)
        if (b.len >= m && memcmp(b.data + b.len - m, f->key, m) == 0) {
            b.len -= m;
            b.data[b.len] = '\0';
            e = tf_buf_puts(&b, "[redacted]");
            break;
        }
    if (e == TF_ERR_NOMEM) {
        tf_buf_free(&b);
        return NULL;
    }
    return tf_buf_steal(&b);
}

/* Replace r->reason with printf text, scrubbed of the key. */
static void set_reason(tf_fetch *f, req *r, const char *fmt, ...) TF_PRINTF(3, 4);
static void set_reason(tf_fetch *f, req *r, const char *fmt, ...)
{
    char tmp[4096]; /* more than any reason's parts together: no cut here */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    free(r->reason);
    r->reason = scrubbed(f, tmp);
}

/* ---- create / free ---- */

static tf_err spec(tf_diag *d, const char *what)
{
    tf_diag_set(d, "fetch options: %s", what);
    return TF_ERR_SPEC;
}

tf_err tf_fetch_create(const tf_fetch_opts *o, tf_fetch **out, tf_diag *d)
{
    *out = NULL;
    if (!o->base_urls || o->n_base_urls == 0)
        return spec(d, "no base URL");
    const char *base = o->base_urls[o->ordinal % o->n_base_urls];
    if (!base || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
        return spec(d, "base URL must start with http:// or https://");
    if (!o->model || !*o->model)
        return spec(d, "no model");
    if (o->samples < 1 || o->concurrency < 1 || o->max_attempts < 1)
        return spec(d, "samples, concurrency and max_attempts must be at least 1");
    if (o->n_stop > 16)
        return spec(d, "more than 16 stop strings");
    if (o->connect_timeout_ms < 1 || o->timeout_ms < 1 || o->backoff_base_ms < 0 ||
        o->backoff_max_ms < 0 || o->rate_per_s < 0 || o->max_response_bytes < 1)
        return spec(d, "timeouts, backoff, rate and max_response_bytes must be positive");
    if (o->api_key && strpbrk(o->api_key, "\r\n"))
        return spec(d, "the API key contains a line break");
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
            tf_diag_set(d, "fetch: libcurl initialisation failed");
            return TF_ERR_INTERNAL;
        }
        curl_ready = 1;
    }
    tf_fetch *f = calloc(1, sizeof *f);
    if (!f)
        return TF_ERR_NOMEM;
    tf_err err = TF_ERR_NOMEM;
    tf_fetch_stats_init(&f->stats);
    f->api = o->api;
    f->temperature = o->temperature;
    f->top_p = o->top_p;
    f->max_tokens = o->max_tokens;
    f->samples = o->samples;
    f->concurrency = o->concurrency;
    f->max_pending = o->max_pending ? o->max_pending : 4 * o->concurrency;
    if (f->max_pending < o->samples)
        f->max_pending = o->samples;
    f->max_attempts = o->max_attempts;
    f->connect_timeout_ms = o->connect_timeout_ms;
    f->timeout_ms = o->timeout_ms;
    f->backoff_base_ms = o->backoff_base_ms;
    f->backoff_max_ms = o->backoff_max_ms;
    f->rate_per_s = o->rate_per_s;
    f->max_response_bytes = o->max_response_bytes;
    f->http2 = o->http2;
    f->cache_only = o->cache_only;
    f->fail_fast = o->fail_fast;
    f->breaker = o->breaker;
    f->rng = o->jitter_seed ^ (0x9e3779b97f4a7c15ULL * ((uint64_t)o->ordinal + 1));
    if (!f->rng)
        f->rng = 1;

    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    const char *path = o->api == TF_FETCH_CHAT ? "/chat/completions" : "/completions";
    f->url = malloc(bl + strlen(path) + 1);
    f->base = strndup(base, bl);
    f->model = strdup(o->model);
    if (!f->url || !f->base || !f->model)
        goto fail;
    memcpy(f->url, base, bl);
    strcpy(f->url + bl, path);
    if (o->api_key && *o->api_key && !(f->key = strdup(o->api_key)))
        goto fail;

    if (o->n_stop) {
        f->stop = cJSON_CreateArray();
        for (size_t i = 0; f->stop && i < o->n_stop; i++) {
            cJSON *s = cJSON_CreateString(o->stop[i] ? o->stop[i] : "");
            if (!s)
                goto fail;
            cJSON_AddItemToArray(f->stop, s);
        }
        if (!f->stop)
            goto fail;
    }
    if (o->extra_json) {
        f->extra = cJSON_Parse(o->extra_json);
        if (!cJSON_IsObject(f->extra)) {
            err = spec(d, "extra body is not a JSON object");
            goto fail;
        }
        static const char *const reserved[] = {"model", "prompt", "messages", "seed"};
        for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
            if (cJSON_GetObjectItemCaseSensitive(f->extra, reserved[i])) {
                tf_diag_set(d, "fetch options: extra body may not set \"%s\"", reserved[i]);
                err = TF_ERR_SPEC;
                goto fail;
            }
    }

    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (h)
        f->headers = h;
    h = h ? curl_slist_append(f->headers, "Expect:") : NULL;
    if (h && f->key) {
        size_t n = strlen(f->key) + 32;
        char *line = malloc(n);
        if (line) {
            snprintf(line, n, "Authorization: Bearer %s", f->key);
            h = curl_slist_append(f->headers, line);
            memset(line, 0, n);
            free(line);
        } else {
            h = NULL;
        }
    }
    if (!h)
        goto fail;

    f->multi = curl_multi_init();
    if (!f->multi) {
        tf_diag_set(d, "fetch: curl_multi_init failed");
        err = TF_ERR_INTERNAL;
        goto fail;
    }
    curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->concurrency + 4);
    curl_multi_setopt(f->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)f->concurrency);

    if (o->cache_dir) {
        err = tf_cache_open(o->cache_dir, &f->cache, d);
        if (err != TF_OK)
            goto fail;
    }
    *out = f;
    return TF_OK;
fail:
    tf_fetch_free(f);
    return err;
}

/* ---- lists ---- */

static void wait_push(tf_fetch *f, req *r)
{
    r->next = NULL;
    if (f->wait_tail)
        f->wait_tail->next = r;
    else
        f->wait_head = r;
    f->wait_tail = r;
}

static void run_link(tf_fetch *f, req *r)
{
    r->prev = NULL;
    r->next = f->run_head;
    if (f->run_head)
        f->run_head->prev = r;
    f->run_head = r;
    f->running++;
}

static void run_unlink(tf_fetch *f, req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        f->run_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
    f->running--;
}

static void req_free(req *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->reason);
    tf_buf_free(&r->resp);
    free(r);
}

/* Detach and free the easy handle of a running request. */
static void detach(tf_fetch *f, req *r)
{
    curl_multi_remove_handle(f->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    run_unlink(f, r);
}

void tf_fetch_free(tf_fetch *f)
{
    if (!f)
        return;
    while (f->run_head) {
        req *r = f->run_head;
        detach(f, r);
        req_free(r);
    }
    for (req *r = f->wait_head, *nx; r; r = nx) {
        nx = r->next;
        req_free(r);
    }
    for (done_node *n = f->done_head, *nx; n; n = nx) {
        nx = n->next;
        tf_fetch_result_free(n->res);
        free(n);
    }
    if (f->multi)
        curl_multi_cleanup(f->multi);
    for (struct curl_slist *h = f->headers; h; h = h->next)
        memset(h->data, 0, strlen(h->data)); /* the Authorization line */
    curl_slist_free_all(f->headers);
    if (f->key) {
        memset(f->key, 0, strlen(f->key));
        free(f->key);
    }
    free(f->url);
    free(f->base);
    free(f->model);
    cJSON_Delete(f->stop);
    cJSON_Delete(f->extra);
    tf_cache_free(f->cache);
    free(f);
}

int tf_fetch_room(const tf_fetch *f)
{
    return f->pending == 0 || f->pending + f->samples <= f->max_pending;
}

size_t tf_fetch_pending(const tf_fetch *f)
{
    return f->pending;
}

size_t tf_fetch_in_flight(const tf_fetch *f)
{
    return f->running;
}

const tf_fetch_stats *tf_fetch_stats_get(const tf_fetch *f)
{
    return &f->stats;
}

void tf_fetch_result_free(tf_fetch_result *r)
{
    if (!r)
        return;
    tf_fetch_reply_clear(&r->reply);
    free(r->reason);
    free(r);
}

/* ---- results ---- */

/* Turn r into a result on the done queue and free r. ok: rep (moved) is
 * the reply; otherwise r->reason says why. TF_ERR_NOMEM if the result
 * cannot be allocated (r is freed either way). */
static tf_err deliver(tf_fetch *f, req *r, int ok, int from_cache, tf_fetch_reply *rep)
{
    tf_fetch_result *res = calloc(1, sizeof *res);
    done_node *n = malloc(sizeof *n);
    if (!ok && !r->reason)
        r->reason = strdup("failed (no detail)");
    if (!res || !n || (!ok && !r->reason)) {
        free(res);
        free(n);
        if (rep)
            tf_fetch_reply_clear(rep);
        req_free(r);
        return TF_ERR_NOMEM;
    }
    res->tag = r->tag;
    res->sample = r->sample;
    res->seed = r->seed;
    res->ok = ok;
    res->from_cache = from_cache;
    tf_fetch_reply_clear(&res->reply);
    if (ok && rep) {
        res->reply = *rep;
        memset(rep, 0, sizeof *rep);
    }
    if (!ok) {
        res->reason = r->reason;
        r->reason = NULL;
    }
    res->attempts = r->attempts;
    res->status = r->status;
    res->cause = ok ? TF_FETCH_CAUSE_NONE : r->cause;
    res->latency_ms = (double)(now_us() - r->submitted_us) / 1e3;
    memcpy(res->cache_key, r->key, sizeof res->cache_key);
    if (ok)
        f->stats.ok++;
    else
        f->stats.failed++;
    n->res = res;
    n->next = NULL;
    if (f->done_tail)
        f->done_tail->next = n;
    else
        f->done_head = n;
    f->done_tail = n;
    req_free(r);
    return TF_OK;
}

/* A successful response: account its usage, store it, deliver it. */
static tf_err succeed(tf_fetch *f, req *r, tf_fetch_reply *rep)
{
    if (rep->prompt_tokens > 0)
        f->stats.prompt_tokens += (uint64_t)rep->prompt_tokens;
    if (rep->completion_tokens > 0)
        f->stats.completion_tokens += (uint64_t)rep->completion_tokens;
    if (rep->reasoning_tokens > 0)
        f->stats.reasoning_tokens += (uint64_t)rep->reasoning_tokens;
    if (rep->truncated)
        f->stats.truncated++;
    if (f->cache) {
        tf_err e = tf_cache_put(f->cache, r->key, tf_fetch_api_name(f->api), r->sample, r->body,
                                r->resp.data, r->resp.len, NULL);
        if (e != TF_OK)
            f->stats.cache_write_errors++;
    }
    return deliver(f, r, 1, 0, rep);
}

/* ---- requests ---- */

/* The canonical body of one sample request (see docs/endpoint.md for the
 * key order). Caller frees; NULL on allocation failure. */
static char *build_body(const tf_fetch *f, const char *prompt, uint64_t seed)
{
    cJSON *b = cJSON_CreateObject();
    int ok = b && cJSON_AddStringToObject(b, "model", f->model);
    if (ok && f->api == TF_FETCH_CHAT) {
        cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
        cJSON *m = cJSON_CreateObject();
        ok = msgs && m;
        if (ok)
            cJSON_AddItemToArray(msgs, m);
        else
            cJSON_Delete(m);
        ok = ok && cJSON_AddStringToObject(m, "role", "user") &&
             cJSON_AddStringToObject(m, "content", prompt);
    } else if (ok) {
        ok = cJSON_AddStringToObject(b, "prompt", prompt) != NULL;
    }
    if (ok && f->max_tokens > 0)
        ok = cJSON_AddNumberToObject(b, "max_tokens", (double)f->max_tokens) != NULL;
    if (ok && f->temperature >= 0)
        ok = cJSON_AddNumberToObject(b, "temperature", f->temperature) != NULL;
    if (ok && f->top_p >= 0)
        ok = cJSON_AddNumberToObject(b, "top_p", f->top_p) != NULL;
    if (ok && f->stop) {
        cJSON *s = cJSON_Duplicate(f->stop, 1);
        ok = s != NULL;
        if (s)
            cJSON_AddItemToObject(b, "stop", s);
    }
    ok = ok && cJSON_AddNumberToObject(b, "seed", (double)seed);
    const cJSON *x;
    cJSON_ArrayForEach(x, f->extra)
    {
        cJSON *dup = ok ? cJSON_Duplicate(x, 1) : NULL;
        ok = dup != NULL;
        if (!ok)
            break;
        if (cJSON_GetObjectItemCaseSensitive(b, x->string))
            cJSON_ReplaceItemInObjectCaseSensitive(b, x->string, dup);
        else
            cJSON_AddItemToObject(b, x->string, dup);
    }
    char *text = ok ? cJSON_PrintUnformatted(b) : NULL;
    cJSON_Delete(b);
    return text;
}

tf_err tf_fetch_submit(tf_fetch *f, uint64_t tag, const char *prompt, uint64_t item_seed,
                       tf_diag *d)
{
    if (!tf_fetch_room(f)) {
        tf_diag_set(d, "fetch: %zu samples pending (max_pending %u): collect results first",
                    f->pending, f->max_pending);
        return TF_ERR_TOO_BIG;
    }
    const char *api = tf_fetch_api_name(f->api);
    for (unsigned i = 0; i < f->samples; i++) {
        req *r = calloc(1, sizeof *r);
        if (!r)
            return TF_ERR_NOMEM;
        r->tag = tag;
        r->sample = i;
        r->seed = tf_fetch_sample_seed(item_seed, i);
        r->submitted_us = r->ready_us = now_us();
        tf_buf_init(&r->resp, f->max_response_bytes);
        r->body = build_body(f, prompt, r->seed);
        if (!r->body) {
            req_free(r);
            return TF_ERR_NOMEM;
        }
        tf_err kerr = tf_cache_key(api, i, r->body, strlen(r->body), r->key);
        if (kerr != TF_OK) {
            req_free(r);
            return kerr;
        }
        f->stats.submitted++;
        f->pending++;
        if (f->cache) {
            char *cached = NULL;
            size_t cl = 0;
            tf_err e = tf_cache_get(f->cache, r->key, api, i, r->body, f->max_response_bytes,
                                    &cached, &cl);
            if (e == TF_ERR_NOMEM) {
                f->pending--;
                req_free(r);
                return e;
            }
            tf_fetch_reply rep;
            if (e == TF_OK && tf_fetch_parse_response(f->api, cached, cl, &rep, NULL) == TF_OK) {
                free(cached);
                f->stats.cache_hits++;
                if (rep.truncated)
                    f->stats.truncated++;
                e = deliver(f, r, 1, 1, &rep);
                if (e != TF_OK)
                    return e;
                continue;
            }
            if (e == TF_OK)
                tf_fetch_reply_clear(&rep);
            free(cached);
            f->stats.cache_misses++;
        }
        if (f->cache_only) { /* never sent: a miss is the sample's result */
            r->reason = strdup("not in the response cache");
            tf_err e = r->reason ? deliver(f, r, 0, 0, NULL) : TF_ERR_NOMEM;
            if (e != TF_OK) {
                if (!r->reason)
                    req_free(r);
                return e;
            }
            continue;
        }
        wait_push(f, r);
    }
    return TF_OK;
}

tf_err tf_fetch_request_text(const tf_fetch *f, const char *prompt, uint64_t item_seed,
                             unsigned sample, const char **url, char **body)
{
    *url = f->url;
    *body = build_body(f, prompt, tf_fetch_sample_seed(item_seed, sample));
    return *body ? TF_OK : TF_ERR_NOMEM;
}

/* Append a response body to the request's capped buffer; a refused append
 * stops the transfer (curl reports a write error). */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    req *r = ud;
    size_t n = size * nmemb;
    tf_err e = tf_buf_append(&r->resp, p, n);
    if (e != TF_OK) {
        r->too_big = e == TF_ERR_TOO_BIG ? 1 : 2;
        return 0;
    }
    return n;
}

/* Start the next attempt of r at time t on a fresh easy handle (the
 * connections live in the multi handle's pool, so they are reused). */
static tf_err start_attempt(tf_fetch *f, req *r, int64_t t)
{
    CURL *e = curl_easy_init();
    if (!e)
        return TF_ERR_NOMEM;
    tf_buf_reset(&r->resp);
    r->too_big = 0;
    r->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, f->url);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, f->timeout_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tracefarm/" TF_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     f->http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
    /* Wait for an HTTP/2 connection to multiplex on rather than open
     * another; only TLS connections can turn out to be HTTP/2. */
    if (f->http2 && strncmp(f->url, "https:", 6) == 0)
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        return TF_ERR_INTERNAL;
    }
    r->easy = e;
    r->attempts++;
    r->started_us = t;
    f->stats.requests++;
    if (r->attempts > 1)
        f->stats.retries++;
    run_link(f, r);
    return TF_OK;
}

/* The server's own words from an error body: error.message, error,
 * message or detail when the body is JSON, else its first bytes, with
 * control characters blanked; into msg (at most 300 characters). */
static void server_message(const char *body, size_t len, char *msg, size_t cap)
{
    msg[0] = '\0';
    if (!body || !len)
        return;
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsObject(m))
        m = cJSON_GetObjectItemCaseSensitive(m, "message");
    if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (!cJSON_IsString(m))
        m = cJSON_GetObjectItemCaseSensitive(j, "detail");
    const char *s = cJSON_IsString(m) ? m->valuestring : body;
    size_t n = cJSON_IsString(m) ? strlen(s) : len;
    if (n > 300)
        n = 300;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        msg[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    msg[n] = '\0';
    cJSON_Delete(j);
}

/* The class of a transfer's curl error (fetch.h). */
static tf_fetch_cause curl_cause(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
        return TF_FETCH_CAUSE_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return TF_FETCH_CAUSE_DNS;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return TF_FETCH_CAUSE_TLS;
    case CURLE_OPERATION_TIMEDOUT:
        return TF_FETCH_CAUSE_TIMEOUT;
    default:
        return TF_FETCH_CAUSE_NETWORK;
    }
}

/* curl errors that no retry can cure. */
static int curl_permanent(CURLcode c)
{
    return c == CURLE_UNSUPPORTED_PROTOCOL || c == CURLE_URL_MALFORMAT || c == CURLE_NOT_BUILT_IN ||
           c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CERTPROBLEM ||
           c == CURLE_SSL_CACERT_BADFILE || c == CURLE_FAILED_INIT ||
           c == CURLE_BAD_FUNCTION_ARGUMENT || c == CURLE_OUT_OF_MEMORY;
}

/* An attempt of r ended with code: succeed, schedule a retry, or fail. */
static tf_err finish_attempt(tf_fetch *f, req *r, CURLcode code)
{
    int64_t t = now_us();
    long status = 0, ra = -1;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    long connects = 0;
    if (curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        f->stats.connections += (uint64_t)connects;
    struct curl_header *h = NULL;
    if (status && curl_easy_header(r->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
        ra = tf_fetch_retry_after_ms(h->value, time(NULL));
    detach(f, r);
    r->status = status;
    f->stats.status[status > 0 && status < TF_FETCH_STATUS_SLOTS ? status : 0]++;
    tf_lat_add(&f->stats.latency, (uint64_t)(t - r->started_us));

    int retry = 0;
    r->cause = TF_FETCH_CAUSE_BODY;
    if (r->too_big == 1) {
        set_reason(f, r, "response body exceeds max_response_bytes (%zu)", f->max_response_bytes);
    } else if (r->too_big) {
        set_reason(f, r, "out of memory reading the response");
    } else if (code != CURLE_OK) {
        r->cause = curl_cause(code);
        /* curl's own text, and its detail unless the detail already says it
         * ("Failed to connect to h port 9 after 0 ms: Couldn't connect to server") */
        const char *what = curl_easy_strerror(code);
        if (r->errbuf[0] && strstr(r->errbuf, what))
            set_reason(f, r, "%s", r->errbuf);
        else
            set_reason(f, r, "%s%s%s", what, r->errbuf[0] ? ": " : "", r->errbuf);
        retry =
            !curl_permanent(code) && !(f->fail_fast && tf_fetch_cause_permanent(r->cause, status));
    } else if (status >= 200 && status < 300) {
        tf_fetch_reply rep;
        tf_diag pd = {{0}};
        tf_err e = tf_fetch_parse_response(f->api, r->resp.data, r->resp.len, &rep, &pd);
        if (e == TF_OK) {
            if (f->breaker)
                tf_fetch_breaker_add(f->breaker, f->base, 1, TF_FETCH_CAUSE_NONE, status, NULL);
            return succeed(f, r, &rep);
        }
        tf_fetch_reply_clear(&rep);
        if (e == TF_ERR_NOMEM) {
            set_reason(f, r, "out of memory parsing the response");
        } else {
            set_reason(f, r, "HTTP %ld with a malformed body: %s", status, pd.msg);
            retry = 1;
        }
    } else {
        char msg[320];
        r->cause = TF_FETCH_CAUSE_HTTP;
        server_message(r->resp.data, r->resp.len, msg, sizeof msg);
        set_reason(f, r, "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
        retry = status == 429 || status >= 500;
    }
    /* every failed attempt counts, retried or not: a server that refuses
     * everything trips the breaker in attempts, not in samples */
    if (f->breaker)
        tf_fetch_breaker_add(f->breaker, f->base, 0, r->cause, status, r->reason);
    if (retry && r->attempts < f->max_attempts) {
        long delay = ra >= 0 ? (ra < f->backoff_max_ms ? ra : f->backoff_max_ms)
                             : tf_fetch_backoff_ms(&f->rng, r->attempts, f->backoff_base_ms,
                                                   f->backoff_max_ms);
        r->ready_us = t + (int64_t)delay * 1000;
        wait_push(f, r);
        return TF_OK;
    }
    return deliver(f, r, 0, 0, NULL);
}

/* Start waiting requests that are due, within the concurrency and the
 * rate limit. A request that cannot even start fails with a reason. */
static tf_err start_ready(tf_fetch *f, int64_t t)
{
    req *prev = NULL, *r = f->wait_head;
    while (r && f->running < f->concurrency) {
        if (r->ready_us > t) {
            prev = r;
            r = r->next;
            continue;
        }
        if (f->rate_per_s > 0) {
            if (t < f->next_slot_us)
                break;
            int64_t base = f->next_slot_us > t - 1000000 ? f->next_slot_us : t;
            f->next_slot_us = base + (int64_t)(1e6 / f->rate_per_s);
        }
        req *nx = r->next;
        if (prev)
            prev->next = nx;
        else
            f->wait_head = nx;
        if (f->wait_tail == r)
            f->wait_tail = prev;
        r->next = NULL;
        tf_err e = start_attempt(f, r, t);
        if (e != TF_OK) {
            set_reason(f, r, "cannot start a transfer: %s", tf_strerror(e));
            e = deliver(f, r, 0, 0, NULL);
            if (e != TF_OK)
                return e;
        }
        r = nx;
    }
    return TF_OK;
}

/* Microseconds until a waiting request may start, or -1 if none waits
 * (or the concurrency is full, so only a finishing transfer matters). */
static int64_t next_due(const tf_fetch *f, int64_t t)
{
    if (f->running >= f->concurrency || !f->wait_head)
        return -1;
    int64_t due = INT64_MAX;
    for (const req *r = f->wait_head; r; r = r->next)
        if (r->ready_us < due)
            due = r->ready_us;
    if (f->rate_per_s > 0 && f->next_slot_us > due)
        due = f->next_slot_us;
    return due <= t ? 0 : due - t;
}

/* Hand over the first done result, if any. */
static tf_fetch_result *pop_done(tf_fetch *f)
{
    done_node *n = f->done_head;
    if (!n)
        return NULL;
    f->done_head = n->next;
    if (!f->done_head)
        f->done_tail = NULL;
    tf_fetch_result *res = n->res;
    free(n);
    f->pending--;
    return res;
}

tf_err tf_fetch_next(tf_fetch *f, int timeout_ms, tf_fetch_result **out, tf_diag *d)
{
    *out = NULL;
    int64_t t0 = now_us();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : t0 + (int64_t)timeout_ms * 1000;
    for (;;) {
        /* a tripped breaker ends the client's work at once: what is in
         * flight or done is dropped with the shard (worker.h) */
        const char *why = f->breaker ? tf_fetch_breaker_why(f->breaker) : NULL;
        if (why) {
            tf_diag_set(d, "%s", why);
            return TF_ERR_STOPPED;
        }
        *out = pop_done(f);
        if (*out)
            return TF_OK;
        if (f->pending == 0)
            return TF_ERR_EOF;
        int64_t t = now_us();
        tf_err e = start_ready(f, t);
        if (e != TF_OK)
            return e;
        int still = 0;
        CURLMcode mc = curl_multi_perform(f->multi, &still);
        if (mc != CURLM_OK) {
            tf_diag_set(d, "fetch: curl_multi_perform: %s", curl_multi_strerror(mc));
            return TF_ERR_INTERNAL;
        }
        for (;;) {
            int left = 0;
            CURLMsg *m = curl_multi_info_read(f->multi, &left);
            if (!m)
                break;
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *easy = m->easy_handle;
            CURLcode code = m->data.result;
            void *priv = NULL;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
            e = finish_attempt(f, (req *)priv, code);
            if (e != TF_OK) {
                tf_diag_set(d, "fetch: %s", tf_strerror(e));
                return e;
            }
        }
        if (f->done_head)
            continue;
        t = now_us();
        if (t >= deadline)
            return TF_OK;
        int64_t wait = deadline - t;
        int64_t due = next_due(f, t);
        if (due >= 0 && due < wait)
            wait = due;
        if (due == 0)
            continue;
        if (wait > 1000000)
            wait = 1000000; /* wake at least each second: cheap, and robust */
        int wait_ms = (int)((wait + 999) / 1000);
        mc = curl_multi_poll(f->multi, NULL, 0, wait_ms, NULL);
        if (mc != CURLM_OK) {
            tf_diag_set(d, "fetch: curl_multi_poll: %s", curl_multi_strerror(mc));
            return TF_ERR_INTERNAL;
        }
    }
}
