/* fetch_parse.c: the pure parts of the fetch client: response bodies,
 * sample seeds, backoff schedule and Retry-After (see fetch.h). No I/O. */
#include "tracefarm/fetch.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *tf_fetch_api_name(tf_fetch_api api)
{
    return api == TF_FETCH_CHAT ? "chat" : "completions";
}

/* splitmix64: a bijective 64-bit mixer (Steele, Lea, Flood 2014). */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t tf_fetch_sample_seed(uint64_t item_seed, unsigned i)
{
    return splitmix64(item_seed + 0x9e3779b97f4a7c15ULL * ((uint64_t)i + 1)) >> 33;
}

long tf_fetch_backoff_ms(uint64_t *rng, unsigned attempt, long base_ms, long max_ms)
{
    if (attempt < 1)
        attempt = 1;
    if (base_ms < 0)
        base_ms = 0;
    if (max_ms < 0)
        max_ms = 0;
    long cap = base_ms;
    for (unsigned k = 1; k < attempt && cap < max_ms; k++)
        cap = cap > max_ms / 2 ? max_ms : cap * 2;
    if (cap > max_ms)
        cap = max_ms;
    /* xorshift64* step; a zero state would stick at zero. */
    uint64_t x = *rng ? *rng : 0x2545f4914f6cdd1dULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    uint64_t r = x * 0x2545f4914f6cdd1dULL;
    return (long)(r % ((uint64_t)cap + 1));
}

long tf_fetch_retry_after_ms(const char *value, time_t now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (*value >= '0' && *value <= '9') {
        long s = 0;
        const char *p = value;
        for (; *p >= '0' && *p <= '9'; p++)
            s = s > 100000000L ? s : s * 10 + (*p - '0');
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p)
            return -1;
        return s * 1000;
    }
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    if (t <= now)
        return 0;
    double ms = difftime(t, now) * 1000.0;
    return ms > 1e11 ? 100000000000L : (long)ms;
}

/* ---- response bodies ---- */

void tf_fetch_reply_clear(tf_fetch_reply *r)
{
    if (!r)
        return;
    free(r->text);
    free(r->reasoning);
    free(r->finish_reason);
    memset(r, 0, sizeof *r);
    r->prompt_tokens = r->completion_tokens = r->reasoning_tokens = -1;
}

/* A non-negative integer count, or -1 when absent or not a count. */
static int64_t count_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > 9e15)
        return -1;
    return (int64_t)v->valuedouble;
}

/* Duplicate a string member, NULL when absent; *nomem on failure. */
static char *dup_str(const cJSON *v, int *nomem)
{
    if (!cJSON_IsString(v))
        return NULL;
    char *s = strdup(v->valuestring);
    if (!s)
        *nomem = 1;
    return s;
}

/* Whether a body that failed to parse is a cut-off JSON document: it
 * starts like one and ends inside a string or an open object or array. */
static int looks_truncated(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i == len || (p[i] != '{' && p[i] != '['))
        return 0;
    long depth = 0;
    int in_str = 0;
    for (; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return 0; /* a whole document: garbled, not cut */
        }
    }
    return in_str || depth > 0;
}

tf_err tf_fetch_parse_response(tf_fetch_api api, const char *body, size_t len, tf_fetch_reply *out,
                               tf_diag *d)
{
    memset(out, 0, sizeof *out);
    out->prompt_tokens = out->completion_tokens = out->reasoning_tokens = -1;
    if (!body || len == 0) {
        tf_diag_set(d, "empty response body");
        return TF_ERR_PARSE;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (j && end) {
        /* Only white space may follow the document. */
        size_t at = (size_t)(end - body);
        while (at < len &&
               (body[at] == ' ' || body[at] == '\t' || body[at] == '\r' || body[at] == '\n'))
            at++;
        if (at < len) {
            cJSON_Delete(j);
            tf_diag_set(d, "response body is not JSON (trailing bytes at byte %zu of %zu)", at,
                        len);
            return TF_ERR_PARSE;
        }
    }
    if (!j) {
        size_t at = end && end >= body ? (size_t)(end - body) : 0;
        if (looks_truncated(body, len))
            tf_diag_set(d, "truncated JSON response body (%zu bytes)", len);
        else
            tf_diag_set(d, "response body is not JSON (error at byte %zu of %zu)", at, len);
        return TF_ERR_PARSE;
    }
    tf_err err = TF_ERR_PARSE;
    int nomem = 0;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
    const cJSON *c0 = cJSON_GetArrayItem(choices, 0);
    if (!cJSON_IsObject(j)) {
        tf_diag_set(d, "response body is not a JSON object");
        goto out;
    }
    if (e && !cJSON_IsNull(e)) {
        const cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
        tf_diag_set(d, "error in response: %.300s",
                    cJSON_IsString(m) ? m->valuestring : "(no message)");
        goto out;
    }
    if (!cJSON_IsArray(choices) || !cJSON_IsObject(c0)) {
        tf_diag_set(d, "response has no choices");
        goto out;
    }
    const cJSON *text;
    if (api == TF_FETCH_CHAT) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(c0, "message");
        if (!cJSON_IsObject(msg)) {
            tf_diag_set(d, "choices[0] has no message");
            goto out;
        }
        text = cJSON_GetObjectItemCaseSensitive(msg, "content");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(msg, "reasoning_content");
        if (!cJSON_IsString(r))
            r = cJSON_GetObjectItemCaseSensitive(msg, "reasoning");
        out->reasoning = dup_str(r, &nomem);
        if (!cJSON_IsString(text) && !(cJSON_IsNull(text) && out->reasoning) && !nomem) {
            tf_diag_set(d, "choices[0].message has no content");
            goto out;
        }
    } else {
        text = cJSON_GetObjectItemCaseSensitive(c0, "text");
        if (!cJSON_IsString(text)) {
            tf_diag_set(d, "choices[0] has no text");
            goto out;
        }
    }
    out->text = cJSON_IsString(text) ? strdup(text->valuestring) : strdup("");
    if (!out->text)
        nomem = 1;
    out->finish_reason = dup_str(cJSON_GetObjectItemCaseSensitive(c0, "finish_reason"), &nomem);
    out->truncated = out->finish_reason && strcmp(out->finish_reason, "length") == 0;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    if (cJSON_IsObject(u)) {
        out->prompt_tokens = count_of(u, "prompt_tokens");
        out->completion_tokens = count_of(u, "completion_tokens");
        out->reasoning_tokens = count_of(
            cJSON_GetObjectItemCaseSensitive(u, "completion_tokens_details"), "reasoning_tokens");
    }
    err = TF_OK;
out:
    cJSON_Delete(j);
    if (nomem)
        err = TF_ERR_NOMEM;
    return err;
}
