/* preflight.c: one real request before a job starts (fetch.h,
 * docs/endpoint.md "Failing fast"). A misconfigured endpoint (nothing
 * listening, a wrong host, a wrong key, a wrong model or path, parameters
 * the server refuses) then stops the job before any work, with a message
 * that names the cause and what to do, instead of failing every request of
 * the job one by one. */
#include "tracefarm/buf.h"
#include "tracefarm/fetch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TF_VERSION
#define TF_VERSION "0"
#endif

/* Cap on the body of GET {base}/models: a list of model ids. */
#define MODELS_MAX_BYTES (1u << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The base URL without trailing slashes, into buf. */
static void base_of(const tf_fetch_opts *o, char *buf, size_t n)
{
    const char *b = o->base_urls[o->ordinal % o->n_base_urls];
    size_t len = strlen(b);
    while (len > 0 && b[len - 1] == '/')
        len--;
    snprintf(buf, n, "%.*s", (int)len, b);
}

/* Whether the base URL's path has a "v1" segment (OpenAI-compatible
 * servers serve their API under /v1). */
static int has_v1(const char *base)
{
    const char *p = strstr(base, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    for (; p; p = strchr(p + 1, '/'))
        if (strncmp(p, "/v1", 3) == 0 && (p[3] == '/' || p[3] == '\0'))
            return 1;
    return 0;
}

/* Append a refused write past the cap: the transfer ends (curl reports a
 * write error, and the list is then unknown). */
static size_t on_models(char *p, size_t size, size_t nmemb, void *ud)
{
    size_t n = size * nmemb;
    return tf_buf_append(ud, p, n) == TF_OK ? n : 0;
}

/* GET {base}/models with the client's key and timeouts (at most 30 s):
 * the HTTP status (0: no answer), the body into *body (capped). */
static long get_models(const tf_fetch_opts *o, const char *base, tf_buf *body)
{
    char url[600];
    snprintf(url, sizeof url, "%s/models", base);
    CURL *e = curl_easy_init();
    if (!e)
        return 0;
    struct curl_slist *h = NULL;
    char *line = NULL;
    if (o->api_key && *o->api_key) {
        size_t n = strlen(o->api_key) + 32;
        line = malloc(n);
        if (line) {
            snprintf(line, n, "Authorization: Bearer %s", o->api_key);
            h = curl_slist_append(NULL, line);
            memset(line, 0, n);
            free(line);
        }
    }
    /* the job's timeout, at most 30 s (0: none given) */
    long timeout = o->timeout_ms > 0 && o->timeout_ms < 30000 ? o->timeout_ms : 30000;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_models);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tracefarm/" TF_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    long status = 0;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    for (struct curl_slist *x = h; x; x = x->next)
        memset(x->data, 0, strlen(x->data)); /* the Authorization line */
    curl_slist_free_all(h);
    return status;
}

/* A 404: GET {base}/models tells an unknown model (the list lacks it) from
 * an unknown path (no list there either); the hint says which. */
static void explain_404(const tf_fetch_opts *o, const char *base, tf_fetch_check *out)
{
    tf_buf body;
    tf_buf_init(&body, MODELS_MAX_BYTES);
    long st = get_models(o, base, &body);
    cJSON *j =
        st >= 200 && st < 300 && body.len ? cJSON_ParseWithLength(body.data, body.len) : NULL;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    char have[320] = "";
    int listed = 0, known = 0;
    if (cJSON_IsArray(data)) {
        listed = 1;
        const cJSON *m;
        cJSON_ArrayForEach(m, data)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "id"));
            if (!id)
                continue;
            known |= strcmp(id, o->model) == 0;
            size_t n = strlen(have);
            if (n < sizeof have - 8)
                snprintf(have + n, sizeof have - n, "%s\"%s\"", n ? ", " : "", id);
        }
        if (strlen(have) >= sizeof have - 8)
            snprintf(have + sizeof have - 8, 8, ", ...");
    }
    const char *api = o->api == TF_FETCH_CHAT ? "chat" : "completions";
    const char *other = o->api == TF_FETCH_CHAT ? "completions" : "chat";
    if (listed && !known) {
        snprintf(out->hint, sizeof out->hint,
                 "unknown model \"%.100s\" (endpoint.model): the server serves %s", o->model,
                 have[0] ? have : "no model");
    } else if (listed) {
        snprintf(out->hint, sizeof out->hint,
                 "unknown path: the server serves model \"%.100s\" but not this path; is "
                 "endpoint.api \"%s\" right (the other is \"%s\")?",
                 o->model, api, other);
    } else if (!has_v1(base)) {
        snprintf(out->hint, sizeof out->hint,
                 "unknown path: nothing answers at %.200s/models either; base_url usually ends in "
                 "/v1: did you mean \"%.200s/v1\"?",
                 base, base);
    } else {
        snprintf(out->hint, sizeof out->hint,
                 "unknown path: nothing answers at %.200s/models either; check base_url", base);
    }
    cJSON_Delete(j);
    tf_buf_free(&body);
}

/* What to do about a permanent failure (REFUSED), into out->hint. */
static void explain(const tf_fetch_opts *o, const char *base, tf_fetch_check *out)
{
    char *h = out->hint;
    size_t n = sizeof out->hint;
    switch (out->cause) {
    case TF_FETCH_CAUSE_CONNECT:
        snprintf(h, n,
                 "nothing accepts connections there: is the server running, and are the "
                 "host and port of base_url right?");
        return;
    case TF_FETCH_CAUSE_DNS:
        snprintf(h, n, "the host name of base_url does not resolve");
        return;
    case TF_FETCH_CAUSE_TLS:
        snprintf(h, n,
                 "TLS failed: a server without TLS needs http://, not https://; otherwise "
                 "check its certificate");
        return;
    default:
        break;
    }
    switch (out->status) {
    case 401:
        snprintf(h, n, "%s",
                 o->api_key && *o->api_key
                     ? "the server refused the API key"
                     : "the server wants an API key, and the request sent none");
        return;
    case 403:
        snprintf(h, n, "the server refuses this API key for this model or path");
        return;
    case 404:
        explain_404(o, base, out);
        return;
    case 405:
        snprintf(h, n, "the server takes no POST there: base_url must be the API's base%s",
                 has_v1(base) ? "" : " (it usually ends in /v1)");
        return;
    case 407:
        snprintf(h, n, "a proxy wants credentials (the proxy variables of the environment)");
        return;
    default: /* 400, 422 */
        snprintf(h, n,
                 "the server refused the job's request: check endpoint.params and "
                 "endpoint.model (tracefarm run --check prints the request)");
        return;
    }
}

tf_err tf_fetch_preflight(const tf_fetch_opts *o, const char *prompt, uint64_t item_seed,
                          tf_fetch_check *out, tf_fetch_stats *acc, tf_diag *d)
{
    memset(out, 0, sizeof *out);
    tf_fetch_opts po = *o;
    po.samples = 1; /* sample 0 only: the worker's first request */
    po.max_pending = 1;
    po.fail_fast = 1;
    po.breaker = NULL;
    po.cache_only = 0;
    tf_fetch *f = NULL;
    tf_err err = tf_fetch_create(&po, &f, d);
    if (err != TF_OK)
        return err;
    const char *url = NULL;
    char *body = NULL;
    err = tf_fetch_request_text(f, prompt, item_seed, 0, &url, &body);
    free(body);
    if (err == TF_OK)
        snprintf(out->url, sizeof out->url, "%s", url);
    double t0 = now_s();
    if (err == TF_OK)
        err = tf_fetch_submit(f, 0, prompt, item_seed, d);
    tf_fetch_result *res = NULL;
    while (err == TF_OK && !res)
        err = tf_fetch_next(f, -1, &res, d);
    out->seconds = now_s() - t0;
    if (acc)
        tf_fetch_stats_merge(acc, tf_fetch_stats_get(f));
    if (err != TF_OK || !res) {
        tf_fetch_free(f);
        tf_fetch_result_free(res);
        return err == TF_OK ? TF_ERR_INTERNAL : err;
    }
    out->status = res->status;
    out->cause = res->cause;
    out->attempts = res->attempts;
    if (res->ok) {
        out->verdict = res->from_cache ? TF_FETCH_CACHED : TF_FETCH_PASSED;
    } else {
        snprintf(out->cause_text, sizeof out->cause_text, "%s",
                 res->reason ? res->reason : "failed");
        out->verdict = tf_fetch_cause_permanent(res->cause, res->status) ? TF_FETCH_REFUSED
                                                                         : TF_FETCH_TRANSIENT;
    }
    tf_fetch_result_free(res);
    tf_fetch_free(f);
    if (out->verdict == TF_FETCH_REFUSED) {
        char base[512];
        base_of(o, base, sizeof base);
        explain(o, base, out);
    }
    return TF_OK;
}
