/* test_fetch.c: the fetch client's pure parts (response parser, sample
 * seeds, backoff schedule, Retry-After, latency histogram, accounting
 * JSON, failure causes, the circuit breaker) and what needs no server:
 * option checks, a refused connection failing with a reason after max
 * attempts, a cache hit sending nothing, a breaker stopping a client that
 * cannot connect, and the preflight's verdict on a closed port. The client
 * against a real server: test_fetch_serve.c. */
#include "tf_test.h"
#include "tracefarm/cache.h"
#include "tracefarm/fetch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tf_err parse(tf_fetch_api api, const char *body, tf_fetch_reply *r, tf_diag *d)
{
    return tf_fetch_parse_response(api, body, strlen(body), r, d);
}

static void test_parser(void)
{
    tf_fetch_reply r;
    tf_diag d;
    /* completions, with usage */
    CHECK(parse(TF_FETCH_COMPLETIONS,
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"text\":\"plan 1 2\",\"finish_reason\":"
                "\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5}}",
                &r, &d) == TF_OK);
    CHECK(r.text && strcmp(r.text, "plan 1 2") == 0 && !r.reasoning);
    CHECK(r.finish_reason && strcmp(r.finish_reason, "stop") == 0 && !r.truncated);
    CHECK(r.prompt_tokens == 12 && r.completion_tokens == 5 && r.reasoning_tokens == -1);
    tf_fetch_reply_clear(&r);
    /* chat with reasoning_content, length-truncated, reasoning tokens */
    CHECK(parse(TF_FETCH_CHAT,
                "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"42\","
                "\"reasoning_content\":\"think\\u00e9\"},\"finish_reason\":\"length\"}],"
                "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":9,"
                "\"completion_tokens_details\":{\"reasoning_tokens\":7}}}",
                &r, &d) == TF_OK);
    CHECK(r.text && strcmp(r.text, "42") == 0);
    CHECK(r.reasoning && strcmp(r.reasoning, "think\xc3\xa9") == 0);
    CHECK(r.truncated && r.reasoning_tokens == 7 && r.completion_tokens == 9);
    tf_fetch_reply_clear(&r);
    /* chat: null content with reasoning (cut off while thinking) is "" */
    CHECK(parse(TF_FETCH_CHAT,
                "{\"choices\":[{\"message\":{\"content\":null,\"reasoning\":\"hm\"},"
                "\"finish_reason\":\"length\"}]}",
                &r, &d) == TF_OK);
    CHECK(r.text && r.text[0] == '\0' && r.reasoning && r.truncated && r.prompt_tokens == -1);
    tf_fetch_reply_clear(&r);
    /* failures, each with a reason */
    static const struct {
        tf_fetch_api api;
        const char *body;
        const char *reason;
    } bad[] = {
        {TF_FETCH_COMPLETIONS, "{\"choices\":[{\"text\":\"abc", "truncated"},
        {TF_FETCH_COMPLETIONS, "<html>502 Bad Gateway</html>", "not JSON"},
        {TF_FETCH_COMPLETIONS, "", "empty"},
        {TF_FETCH_COMPLETIONS, "[1,2]", "not a JSON object"},
        {TF_FETCH_COMPLETIONS, "{\"object\":\"text_completion\"}", "no choices"},
        {TF_FETCH_COMPLETIONS, "{\"choices\":[]}", "no choices"},
        {TF_FETCH_COMPLETIONS, "{\"choices\":[{\"text\":null}]}", "no text"},
        {TF_FETCH_COMPLETIONS, "{\"choices\":[{\"message\":{\"content\":\"x\"}}]}", "no text"},
        {TF_FETCH_CHAT, "{\"choices\":[{\"text\":\"x\"}]}", "no message"},
        {TF_FETCH_CHAT, "{\"choices\":[{\"message\":{\"content\":null}}]}", "no content"},
        {TF_FETCH_CHAT, "{\"error\":{\"message\":\"overloaded\",\"code\":503}}", "overloaded"},
        {TF_FETCH_CHAT, "{\"choices\":[{\"message\":{\"content\":\"x\"}}]} trailing", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        d.msg[0] = '\0';
        tf_err e = parse(bad[i].api, bad[i].body, &r, &d);
        CHECKF(e == TF_ERR_PARSE && strstr(d.msg, bad[i].reason), "case %zu: %s: %s", i,
               tf_strerror(e), d.msg);
        CHECK(r.text == NULL);
        tf_fetch_reply_clear(&r);
    }
    /* the body need not be NUL-terminated: only len bytes are read */
    const char *two = "{\"choices\":[{\"text\":\"a\"}]}GARBAGE";
    CHECK(tf_fetch_parse_response(TF_FETCH_COMPLETIONS, two, 26, &r, &d) == TF_OK);
    tf_fetch_reply_clear(&r);
    /* a huge text parses (the size cap is the transfer's, not the parser's) */
    size_t n = 4u << 20;
    char *huge = malloc(n + 64);
    if (huge) {
        strcpy(huge, "{\"choices\":[{\"text\":\"");
        size_t at = strlen(huge);
        memset(huge + at, 'x', n);
        strcpy(huge + at + n, "\"}]}");
        CHECK(parse(TF_FETCH_COMPLETIONS, huge, &r, &d) == TF_OK);
        CHECK(r.text && strlen(r.text) == n);
        tf_fetch_reply_clear(&r);
        /* and cut anywhere it is an error, never a partial answer */
        for (size_t cut = 1; cut < at + 10; cut += 3) {
            CHECK(tf_fetch_parse_response(TF_FETCH_COMPLETIONS, huge, cut, &r, &d) == TF_ERR_PARSE);
            tf_fetch_reply_clear(&r);
        }
        free(huge);
    }
    tf_fetch_reply_clear(NULL);

    /* Mutated bodies (byte flips, cuts, insertions): the parser returns a
     * reply or a reason, never crashes (run under the sanitizer build). */
    const char *seedbody =
        "{\"choices\":[{\"message\":{\"content\":\"plan 0 0\",\"reasoning_content\":\"x\"},"
        "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
        "\"completion_tokens_details\":{\"reasoning_tokens\":1}}}";
    size_t sl = strlen(seedbody);
    char buf[512];
    uint64_t x = 12345;
    int okn = 0, errn = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, seedbody, sl);
        size_t len = sl;
        for (int k = 0; k < 1 + it % 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t at = (size_t)(x % len);
            switch ((x >> 20) % 3) {
            case 0:
                buf[at] = (char)(x >> 32);
                break;
            case 1:
                len = at + 1;
                break;
            default:
                if (len < sizeof buf - 1) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = "{}[]\",:\\"[(x >> 40) % 8];
                    len++;
                }
            }
        }
        tf_err e = tf_fetch_parse_response((it & 1) ? TF_FETCH_CHAT : TF_FETCH_COMPLETIONS, buf,
                                           len, &r, &d);
        okn += e == TF_OK;
        errn += e == TF_ERR_PARSE;
        CHECK(e == TF_OK || e == TF_ERR_PARSE);
        CHECK(e != TF_OK || r.text);
        tf_fetch_reply_clear(&r);
    }
    CHECK(okn > 0 && errn > 0);
}

static void test_policy(void)
{
    /* Seeds: deterministic, distinct per sample, below 2^31. */
    CHECK(tf_fetch_sample_seed(5, 0) == tf_fetch_sample_seed(5, 0));
    CHECK(tf_fetch_sample_seed(5, 0) != tf_fetch_sample_seed(5, 1));
    CHECK(tf_fetch_sample_seed(5, 0) != tf_fetch_sample_seed(6, 0));
    for (unsigned i = 0; i < 1000; i++)
        CHECK(tf_fetch_sample_seed(i * 7919ULL, i) < (1ULL << 31));

    /* Backoff: full jitter within [0, min(max, base 2^(k-1))], covering
     * the range, deterministic for a seed. */
    for (unsigned k = 1; k <= 12; k++) {
        uint64_t rng = 42;
        long cap = 100L << (k - 1);
        if (cap > 5000)
            cap = 5000;
        long lo = cap, hi = 0;
        for (int i = 0; i < 2000; i++) {
            long b = tf_fetch_backoff_ms(&rng, k, 100, 5000);
            if (b < lo)
                lo = b;
            if (b > hi)
                hi = b;
        }
        CHECKF(lo >= 0 && hi <= cap && lo < cap / 10 + 1 && hi > cap * 9 / 10,
               "k %u: [%ld,%ld] cap %ld", k, lo, hi, cap);
    }
    uint64_t r1 = 9, r2 = 9;
    CHECK(tf_fetch_backoff_ms(&r1, 3, 100, 5000) == tf_fetch_backoff_ms(&r2, 3, 100, 5000));
    uint64_t r0 = 0;
    CHECK(tf_fetch_backoff_ms(&r0, 100, 100, 5000) <= 5000);
    CHECK(tf_fetch_backoff_ms(&r0, 1, 0, 5000) == 0);

    /* Retry-After: seconds, HTTP-date, junk. */
    CHECK(tf_fetch_retry_after_ms("2", 0) == 2000);
    CHECK(tf_fetch_retry_after_ms(" 0 ", 0) == 0);
    CHECK(tf_fetch_retry_after_ms("120\r\n", 0) == 120000);
    CHECK(tf_fetch_retry_after_ms("1.5", 0) == -1);
    CHECK(tf_fetch_retry_after_ms("soon", 0) == -1);
    CHECK(tf_fetch_retry_after_ms("", 0) == -1);
    CHECK(tf_fetch_retry_after_ms(NULL, 0) == -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 */
    CHECK(tf_fetch_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770) == 7000);
    CHECK(tf_fetch_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800) == 0);
    CHECK(tf_fetch_retry_after_ms("99999999999999", 0) > 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_latency(void)
{
    /* Percentiles from the histogram are within 1/256 of the exact ones
     * (nearest rank) on random data over six decades, and merging two
     * halves gives the same histogram as adding all values. */
    enum { N = 20000 };
    static uint64_t v[N];
    static tf_lat_hist all, a, b;
    tf_lat_init(&all);
    tf_lat_init(&a);
    tf_lat_init(&b);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double u = (double)(x >> 11) / 9007199254740992.0;
        v[i] = (uint64_t)exp(u * log(5e6)); /* 1 us .. 5 s, log-uniform */
        tf_lat_add(&all, v[i]);
        tf_lat_add(i % 2 ? &a : &b, v[i]);
    }
    tf_lat_merge(&a, &b);
    CHECK(memcmp(&a, &all, sizeof a) == 0);
    qsort(v, N, sizeof *v, cmp_u64);
    const double qs[] = {0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        size_t rank = (size_t)ceil(qs[i] * N);
        if (rank < 1)
            rank = 1;
        uint64_t exact = v[rank - 1], got = tf_lat_quantile(&all, qs[i]);
        double err = fabs((double)got - (double)exact);
        CHECKF(err <= (double)exact / 256.0 + 0.5, "q %g: exact %llu got %llu", qs[i],
               (unsigned long long)exact, (unsigned long long)got);
    }
    CHECK(tf_lat_quantile(&all, 0) == v[0] && tf_lat_quantile(&all, 1) == v[N - 1]);
    tf_lat_hist e;
    tf_lat_init(&e);
    CHECK(tf_lat_quantile(&e, 0.5) == 0);
    tf_lat_add(&e, 1ULL << 50); /* clamped into the last bucket, max exact */
    CHECK(tf_lat_quantile(&e, 0.5) == 1ULL << 50);

    /* Stats: JSON round trip and merge. */
    static tf_fetch_stats s, t, u;
    tf_fetch_stats_init(&s);
    s.submitted = 10;
    s.ok = 9;
    s.failed = 1;
    s.requests = 14;
    s.retries = 4;
    s.status[200] = 9;
    s.status[429] = 3;
    s.status[0] = 2;
    s.prompt_tokens = 1000;
    s.reasoning_tokens = 77;
    s.latency = all;
    cJSON *j = tf_fetch_stats_json(&s);
    CHECK(j != NULL);
    char *txt = cJSON_PrintUnformatted(j);
    CHECK(txt && strstr(txt, "\"429\":3") && strstr(txt, "\"p99\":"));
    tf_diag d;
    CHECK(tf_fetch_stats_from_json(j, &t, &d) == TF_OK);
    CHECK(memcmp(&s, &t, sizeof s) == 0);
    tf_fetch_stats_init(&u);
    tf_fetch_stats_merge(&u, &s);
    tf_fetch_stats_merge(&u, &t);
    CHECK(u.requests == 28 && u.status[429] == 6 && u.latency.count == 2 * N);
    cJSON_DeleteItemFromObject(j, "retries");
    CHECK(tf_fetch_stats_from_json(j, &t, &d) == TF_ERR_PARSE && strstr(d.msg, "retries"));
    cJSON_Delete(j);
    free(txt);
}

static void test_client_offline(void)
{
    tf_diag d;
    tf_fetch *f = NULL;
    tf_fetch_opts o;
    tf_fetch_opts_default(&o);
    /* Options are checked, naming the problem. */
    CHECK(tf_fetch_create(&o, &f, &d) == TF_ERR_SPEC && strstr(d.msg, "URL"));
    const char *urls[] = {"http://127.0.0.1:1/v1", "ftp://x"};
    o.base_urls = urls;
    o.n_base_urls = 2;
    CHECK(tf_fetch_create(&o, &f, &d) == TF_ERR_SPEC && strstr(d.msg, "model"));
    o.model = "m";
    o.ordinal = 1; /* replica 1 % 2 -> ftp://x */
    CHECK(tf_fetch_create(&o, &f, &d) == TF_ERR_SPEC && strstr(d.msg, "http"));
    o.ordinal = 2;
    o.extra_json = "{\"seed\": 3}";
    CHECK(tf_fetch_create(&o, &f, &d) == TF_ERR_SPEC && strstr(d.msg, "seed"));
    o.extra_json = "[1]";
    CHECK(tf_fetch_create(&o, &f, &d) == TF_ERR_SPEC);
    o.extra_json = "{\"logprobs\": 2, \"temperature\": 0.25}";
    tf_fetch_free(NULL);

    /* Nothing listens on port 1: each sample fails after max_attempts
     * with curl's reason, and every sample yields exactly one result. */
    char cache[512];
    snprintf(cache, sizeof cache, "%s/fetch-offline-%ld", TF_TEST_TMP, (long)getpid());
    o.cache_dir = cache;
    o.max_attempts = 3;
    o.backoff_base_ms = 5;
    o.backoff_max_ms = 20;
    o.samples = 2;
    o.temperature = 0.7;
    o.api_key = "sk-canary-offline-0123456789";
    CHECK(tf_fetch_create(&o, &f, &d) == TF_OK);
    if (!f)
        return;
    CHECK(tf_fetch_next(f, 0, &(tf_fetch_result *){NULL}, &d) == TF_ERR_EOF);
    int got[3][2] = {{0}};
    for (uint64_t tag = 0; tag < 3; tag++)
        CHECK(tf_fetch_submit(f, tag, "start 0 0 goal 1 1", 100 + tag, &d) == TF_OK);
    CHECK(tf_fetch_pending(f) == 6);
    tf_fetch_result *res = NULL;
    int n = 0;
    char key0[65] = "";
    uint64_t seed0 = 0;
    for (;;) {
        tf_err e = tf_fetch_next(f, -1, &res, &d);
        if (e == TF_ERR_EOF)
            break;
        CHECK(e == TF_OK && res);
        if (!res)
            break;
        n++;
        CHECK(!res->ok && res->attempts == 3 && res->status == 0 && res->reply.text == NULL);
        CHECKF(res->reason && strstr(res->reason, "onnect"), "%s", res->reason);
        CHECK(res->reason && !strstr(res->reason, "canary"));
        CHECK(res->tag < 3 && res->sample < 2);
        if (res->tag < 3 && res->sample < 2)
            got[res->tag][res->sample]++;
        CHECK(res->seed == tf_fetch_sample_seed(100 + res->tag, res->sample));
        if (res->tag == 0 && res->sample == 0) {
            memcpy(key0, res->cache_key, sizeof key0);
            seed0 = res->seed;
        }
        tf_fetch_result_free(res);
    }
    CHECK(n == 6);
    for (int i = 0; i < 3; i++)
        CHECK(got[i][0] == 1 && got[i][1] == 1);
    const tf_fetch_stats *s = tf_fetch_stats_get(f);
    CHECK(s->requests == 18 && s->retries == 12 && s->failed == 6 && s->status[0] == 18);
    CHECK(s->cache_misses == 6 && s->cache_hits == 0);
    tf_fetch_free(f);

    /* The canonical body is what the docs say; a cache entry for it is a
     * hit that sends nothing (the port would refuse it anyway). */
    char body[512];
    snprintf(
        body, sizeof body,
        "{\"model\":\"m\",\"prompt\":\"start 0 0 goal 1 1\",\"temperature\":0.25,\"seed\":%llu,"
        "\"logprobs\":2}",
        (unsigned long long)seed0);
    char key[65];
    CHECK(tf_cache_key("completions", 0, body, strlen(body), key) == TF_OK);
    CHECKF(strcmp(key, key0) == 0, "body %s", body);
    tf_cache *c = NULL;
    CHECK(tf_cache_open(cache, &c, &d) == TF_OK);
    const char *resp = "{\"choices\":[{\"text\":\"plan 0 0\",\"finish_reason\":\"length\"}]}";
    CHECK(c && tf_cache_put(c, key, "completions", 0, body, resp, strlen(resp), &d) == TF_OK);
    tf_cache_free(c);
    o.samples = 1;
    CHECK(tf_fetch_create(&o, &f, &d) == TF_OK);
    if (!f)
        return;
    CHECK(tf_fetch_submit(f, 0, "start 0 0 goal 1 1", 100, &d) == TF_OK);
    CHECK(tf_fetch_next(f, 0, &res, &d) == TF_OK && res);
    if (res) {
        CHECK(res->ok && res->from_cache && res->attempts == 0 && res->reply.truncated);
        CHECK(res->reply.text && strcmp(res->reply.text, "plan 0 0") == 0);
    }
    tf_fetch_result_free(res);
    s = tf_fetch_stats_get(f);
    CHECK(s->requests == 0 && s->cache_hits == 1 && s->truncated == 1);
    /* Room: max_pending (default 4 x concurrency) bounds the queue. */
    o.concurrency = 1;
    tf_fetch *g = NULL;
    CHECK(tf_fetch_create(&o, &g, &d) == TF_OK);
    for (uint64_t i = 0; g && i < 4; i++)
        CHECK(tf_fetch_submit(g, i, "x", i, &d) == TF_OK);
    CHECK(g && !tf_fetch_room(g));
    CHECK(g && tf_fetch_submit(g, 9, "x", 9, &d) == TF_ERR_TOO_BIG);
    tf_fetch_free(g); /* frees undelivered requests */
    tf_fetch_free(f);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -rq canary '%s'", cache);
    CHECK(system(cmd) != 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache);
    CHECK(system(cmd) == 0);
}

/* The circuit breaker's two rules, pure. */
static void test_breaker(void)
{
    const char *u = "http://h:8000/v1";
    /* permanent causes */
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_CONNECT, 0));
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_DNS, 0));
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_TLS, 0));
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 401));
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 404));
    CHECK(tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 400));
    CHECK(!tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 429));
    CHECK(!tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 500));
    CHECK(!tf_fetch_cause_permanent(TF_FETCH_CAUSE_HTTP, 413));
    CHECK(!tf_fetch_cause_permanent(TF_FETCH_CAUSE_TIMEOUT, 0));
    CHECK(!tf_fetch_cause_permanent(TF_FETCH_CAUSE_BODY, 200));

    /* rule 1: 3 in a row of one permanent cause; anything else resets */
    tf_fetch_breaker *b = NULL;
    CHECK(tf_fetch_breaker_create(3, 0, 1, &b) == TF_OK && b);
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 401, "HTTP 401: no"));
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 401, "HTTP 401: no"));
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 500, "HTTP 500")); /* transient */
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 401, "HTTP 401: no"));
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 401, "HTTP 401: no"));
    CHECK(!tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL)); /* a success */
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 401, "HTTP 401: no"));
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 404, "HTTP 404")); /* another */
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 404, "HTTP 404"));
    CHECK(!tf_fetch_breaker_why(b));
    CHECK(tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 404, "HTTP 404: no model"));
    const char *why = tf_fetch_breaker_why(b);
    CHECKF(why && strstr(why, "the last 3 attempts at http://h:8000/v1 failed with HTTP 404") &&
               strstr(why, "no model") && strstr(why, "breaker_consecutive"),
           "%s", why ? why : "(null)");
    CHECK(tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL)); /* stays tripped */
    tf_fetch_breaker_free(b);

    /* rule 2: at least half of the last 4 failed; waits for a full window */
    CHECK(tf_fetch_breaker_create(0, 0.5, 4, &b) == TF_OK);
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 500, "HTTP 500"));
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 500, "HTTP 500"));
    CHECK(!tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL));
    CHECK(
        !tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL)); /* 2 of 4, on a success */
    CHECK(!tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL)); /* 1 of 4 */
    CHECK(!tf_fetch_breaker_add(b, u, 1, TF_FETCH_CAUSE_NONE, 200, NULL)); /* 0 of 4 */
    CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_TIMEOUT, 0, "Timeout"));
    CHECK(tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_HTTP, 429, "HTTP 429")); /* 2 of 4 */
    why = tf_fetch_breaker_why(b);
    CHECKF(why && strstr(why, "2 of the last 4 attempts at http://h:8000/v1 failed") &&
               strstr(why, "breaker_failure_rate"),
           "%s", why ? why : "(null)");
    tf_fetch_breaker_free(b);

    /* both off: never trips; from a config */
    CHECK(tf_fetch_breaker_create(0, 0, 1, &b) == TF_OK);
    for (int i = 0; i < 1000; i++)
        CHECK(!tf_fetch_breaker_add(b, u, 0, TF_FETCH_CAUSE_CONNECT, 0, "refused"));
    tf_fetch_breaker_free(b);
    tf_fetch_config c;
    memset(&c, 0, sizeof c);
    CHECK(tf_fetch_breaker_from_config(&c, &b) == TF_OK && !b);
    c.breaker_consecutive = 2;
    CHECK(tf_fetch_breaker_from_config(&c, &b) == TF_OK && b);
    tf_fetch_breaker_free(b);
    tf_fetch_breaker_free(NULL);
}

/* A client with a breaker against a closed port stops (TF_ERR_STOPPED)
 * after breaker_consecutive attempts, long before every sample has used
 * its attempts; the preflight there is REFUSED at once (fail_fast: one
 * attempt), with a hint. */
static void test_fail_fast_offline(void)
{
    const char *urls[] = {"http://127.0.0.1:1/v1"};
    tf_fetch_opts o;
    tf_fetch_opts_default(&o);
    o.base_urls = urls;
    o.n_base_urls = 1;
    o.model = "m";
    o.samples = 2;
    o.max_attempts = 50;
    o.backoff_base_ms = 1;
    o.backoff_max_ms = 2;
    tf_fetch_breaker *b = NULL;
    CHECK(tf_fetch_breaker_create(6, 0, 1, &b) == TF_OK);
    o.breaker = b;
    tf_fetch *f = NULL;
    tf_diag d = {{0}};
    CHECK(tf_fetch_create(&o, &f, &d) == TF_OK);
    for (uint64_t t = 0; f && t < 10; t++)
        CHECK(tf_fetch_submit(f, t, "start 0 0 goal 1 1", t, &d) == TF_OK);
    tf_err err = TF_OK;
    int results = 0;
    while (f && err == TF_OK) {
        tf_fetch_result *r = NULL;
        err = tf_fetch_next(f, 2000, &r, &d);
        if (r) {
            CHECK(!r->ok && r->cause == TF_FETCH_CAUSE_CONNECT);
            results++;
        }
        tf_fetch_result_free(r);
    }
    CHECKF(err == TF_ERR_STOPPED && strstr(d.msg, "the last 6 attempts at http://127.0.0.1:1/v1"),
           "%d %s", (int)err, d.msg);
    CHECK(results == 0); /* 20 samples x 50 attempts were never used up */
    CHECK(tf_fetch_stats_get(f)->requests < 20);
    tf_fetch_free(f);
    tf_fetch_breaker_free(b);

    o.breaker = NULL;
    o.samples = 3;
    tf_fetch_check chk;
    CHECK(tf_fetch_preflight(&o, "start 0 0 goal 1 1", 7, &chk, NULL, &d) == TF_OK);
    CHECK(chk.verdict == TF_FETCH_REFUSED && chk.cause == TF_FETCH_CAUSE_CONNECT);
    CHECK(chk.attempts == 1); /* not retried: fail_fast */
    CHECK(strcmp(chk.url, "http://127.0.0.1:1/v1/completions") == 0);
    CHECK(strstr(chk.hint, "server running") != NULL);

    /* the body --check shows is the body submit sends (sample i's seed) */
    CHECK(tf_fetch_create(&o, &f, &d) == TF_OK);
    const char *url = NULL;
    char *body = NULL;
    CHECK(tf_fetch_request_text(f, "P", 7, 1, &url, &body) == TF_OK);
    char seed[64];
    snprintf(seed, sizeof seed, "\"seed\":%llu", (unsigned long long)tf_fetch_sample_seed(7, 1));
    CHECKF(body && strstr(body, "\"prompt\":\"P\"") && strstr(body, seed), "%s",
           body ? body : "(no body)");
    free(body);
    tf_fetch_free(f);
}

/* The endpoint section's params: an unknown key draws one warning naming
 * the nearest known parameter and is still sent; extra_params are sent
 * after them without a warning; reserved keys, typed keys in extra_params
 * and a key in both are refused. The known list holds no reserved key and
 * no repeat. */
static tf_err parse_section(const char *text, tf_fetch_config *c, tf_diag *d)
{
    cJSON *sec = cJSON_Parse(text);
    tf_err e = tf_fetch_config_parse(sec, "j.json", "out/cache", 0, c, d);
    cJSON_Delete(sec);
    return e;
}

static void test_config_params(void)
{
    tf_fetch_config c;
    tf_diag d = {{0}};
    const char *base = "{\"base_url\": \"http://h/v1\", \"model\": \"m\", ";
    char text[1024];
    snprintf(text, sizeof text,
             "%s\"params\": {\"temprature\": 0.7, \"min_p\": 0.1, \"my_knob\": 3, \"seed\": 2}, "
             "\"extra_params\": {\"my_other\": 1, \"guided_json\": {\"a\": [1]}}}",
             base);
    CHECK(parse_section(text, &c, &d) == TF_OK);
    CHECKF(c.extra_json && strcmp(c.extra_json, "{\"temprature\":0.7,\"min_p\":0.1,\"my_knob\":3,"
                                                "\"my_other\":1,\"guided_json\":{\"a\":[1]}}") == 0,
           "%s", c.extra_json ? c.extra_json : "(null)");
    const char *w = c.warnings ? c.warnings : "";
    CHECKF(strstr(w, "j.json: key \"endpoint.params.temprature\" is not a known OpenAI or vLLM "
                     "sampling parameter (did you mean \"temperature\"?)") != NULL,
           "%s", w);
    CHECKF(strstr(w, "\"endpoint.params.my_knob\" is not a known") != NULL, "%s", w);
    CHECKF(!strstr(w, "min_p") && !strstr(w, "my_other") && !strstr(w, "guided_json"), "%s", w);
    int lines = 0;
    for (const char *p = w; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 2);
    tf_fetch_config_free(&c);
    /* known keys only: no warning, and the body as before */
    snprintf(text, sizeof text, "%s\"params\": {\"temperature\": 0.7, \"top_k\": 5}}", base);
    CHECK(parse_section(text, &c, &d) == TF_OK && c.warnings == NULL);
    CHECK(c.extra_json && strcmp(c.extra_json, "{\"top_k\":5}") == 0);
    tf_fetch_config_free(&c);
    static const struct {
        const char *section, *msg;
    } bad[] = {
        {"\"extra_params\": {\"n\": 2}}", "\"endpoint.extra_params.n\" cannot be set"},
        {"\"extra_params\": {\"stream\": true}}", "\"endpoint.extra_params.stream\" cannot be set"},
        {"\"params\": {\"messages\": []}}", "\"endpoint.params.messages\" cannot be set"},
        {"\"extra_params\": {\"temperature\": 1}}", "belongs in \"endpoint.params\""},
        {"\"extra_params\": {\"stop\": \"x\"}}", "belongs in \"endpoint.params\""},
        {"\"params\": {\"min_p\": 0.1}, \"extra_params\": {\"min_p\": 0.2}}",
         "\"endpoint.extra_params.min_p\" is given in \"endpoint.params\" too"},
        {"\"extra_params\": [1]}", "\"endpoint.extra_params\" must be an object"},
        {"\"extra_param\": {}}", "(did you mean \"extra_params\"?)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "%s%s", base, bad[i].section);
        tf_err e = parse_section(text, &c, &d);
        CHECKF(e == TF_ERR_SPEC && strstr(d.msg, bad[i].msg), "case %zu: %s", i, d.msg);
        tf_fetch_config_free(&c);
    }
    const char *const *known = tf_fetch_known_params();
    size_t n = 0;
    for (; known[n]; n++) {
        for (size_t k = 0; k < n; k++)
            CHECKF(strcmp(known[k], known[n]) != 0, "%s twice", known[n]);
        CHECKF(strcmp(known[n], "n") && strcmp(known[n], "stream") && strcmp(known[n], "model") &&
                   strcmp(known[n], "prompt") && strcmp(known[n], "messages"),
               "%s is reserved", known[n]);
    }
    CHECK(n > 40);
}

int main(void)
{
    test_parser();
    test_policy();
    test_latency();
    test_client_offline();
    test_breaker();
    test_fail_fast_offline();
    test_config_params();
    return tf_test_done();
}
