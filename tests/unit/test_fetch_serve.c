/* test_fetch_serve.c: the fetch client against a real server, "tracefarm
 * serve" on 127.0.0.1 (argv[1] is the tracefarm binary): many requests in
 * flight, each fault type, 4xx not retried, exactly one result per
 * sample, a cached re-run sending nothing (the server's GET /stats), and a
 * canary API key that reaches the server yet appears nowhere else. */
#include "tf_test.h"
#include "tracefarm/fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CANARY "sk-canary-7f3a9c1e5b2d4f6a8c0e"

static const char *bin;  /* the tracefarm binary */
static char tmpdir[512]; /* this run's scratch directory */
static int server_seq;   /* numbers the servers' files */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A running "tracefarm serve". */
typedef struct server {
    pid_t pid;
    int port;
    char url[64]; /* base URL: http://127.0.0.1:PORT/v1 */
} server;

/* Start "tracefarm serve --port 0 --port-file F --idle-exit 30" plus the
 * NULL-terminated extra arguments; wait (at most 20 s) for its port. */
static int server_start(server *s, const char *const *extra)
{
    char portfile[600], log[600];
    int id = server_seq++;
    snprintf(portfile, sizeof portfile, "%s/port-%d", tmpdir, id);
    snprintf(log, sizeof log, "%s/serve-%d.log", tmpdir, id);
    const char *argv[40] = {"tracefarm",   "serve",  "--port",      "0",
                            "--port-file", portfile, "--idle-exit", "30"};
    int n = 8;
    for (int i = 0; extra[i] && n < 39; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    fflush(NULL);
    s->pid = fork();
    if (s->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (s->pid < 0)
        return -1;
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(portfile, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        }
        if (port > 0) {
            s->port = port;
            snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", port);
            return 0;
        }
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            fprintf(stderr, "tracefarm serve exited early; see %s\n", log);
            s->pid = 0;
            return -1;
        }
        usleep(10000);
    }
    return -1;
}

/* SIGTERM the server and reap it (SIGKILL after 10 s). */
static void server_stop(server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 1000; i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n, *have = ud;
    char *buf = (char *)(have + 1);
    if (*have + len < 65536) {
        memcpy(buf + *have, p, len);
        *have += len;
        buf[*have] = '\0';
    }
    return len;
}

/* GET /stats as text (static buffer) and the completion attempts it
 * counts (both endpoints), or -1. key: the server's API key, or NULL. */
static long server_attempts(const server *s, const char *key, const char **text)
{
    static struct {
        size_t have;
        char buf[65536];
    } b;
    b.have = 0;
    b.buf[0] = '\0';
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", s->port);
    CURL *e = curl_easy_init();
    if (!e)
        return -1;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    struct curl_slist *h = NULL;
    if (key) {
        char auth[128];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
        h = curl_slist_append(NULL, auth);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    }
    CURLcode rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    if (text)
        *text = b.buf;
    cJSON *j = rc == CURLE_OK ? cJSON_Parse(b.buf) : NULL;
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(j, "by_endpoint");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(ep, "/v1/completions");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(ep, "/v1/chat/completions");
    long n = cJSON_IsNumber(a) && cJSON_IsNumber(c) ? (long)(a->valuedouble + c->valuedouble) : -1;
    cJSON_Delete(j);
    return n;
}

/* One run: submit `items` items (prompts "start 0 0 goal X Y"), keep
 * submitting while there is room, collect every result. res[tag * samples
 * + sample] holds each (owned by the caller: free_results). Checks that
 * every sample gets exactly one result. */
typedef struct run {
    tf_fetch_result **res; /* items * samples */
    int n;                 /* results received */
    double wall_s;         /* submit of the first to the last result */
    tf_fetch_stats stats;  /* the client's counters */
} run;

static int run_items(const tf_fetch_opts *o, int items, uint64_t seed0, run *out)
{
    memset(out, 0, sizeof *out);
    unsigned ns = o->samples;
    out->res = calloc((size_t)items * ns, sizeof *out->res);
    tf_fetch *f = NULL;
    tf_diag d = {{0}};
    if (!out->res || tf_fetch_create(o, &f, &d) != TF_OK) {
        fprintf(stderr, "create: %s\n", d.msg);
        return -1;
    }
    double t0 = now_s();
    int next = 0, dup = 0, bad = 0;
    for (;;) {
        while (next < items && tf_fetch_room(f)) {
            char prompt[64];
            snprintf(prompt, sizeof prompt, "start 0 0 goal %d %d", next % 25 + 1, next / 25 + 1);
            if (tf_fetch_submit(f, (uint64_t)next, prompt, seed0 + (uint64_t)next, &d) != TF_OK) {
                fprintf(stderr, "submit: %s\n", d.msg);
                bad++;
                break;
            }
            next++;
        }
        tf_fetch_result *r = NULL;
        tf_err e = tf_fetch_next(f, -1, &r, &d);
        if (e == TF_ERR_EOF && next >= items)
            break;
        if (e != TF_OK || bad) {
            fprintf(stderr, "next: %s %s\n", tf_strerror(e), d.msg);
            bad++;
            break;
        }
        if (!r)
            continue;
        size_t at = (size_t)r->tag * ns + r->sample;
        if (r->tag >= (uint64_t)items || r->sample >= ns || out->res[at]) {
            dup++;
            tf_fetch_result_free(r);
            continue;
        }
        out->res[at] = r;
        out->n++;
    }
    out->wall_s = now_s() - t0;
    out->stats = *tf_fetch_stats_get(f);
    tf_fetch_free(f);
    CHECKF(dup == 0 && bad == 0, "dup %d bad %d", dup, bad);
    int want = items * (int)ns;
    CHECKF(out->n == want, "%d results for %d samples", out->n, want);
    return bad || dup ? -1 : 0;
}

static void free_results(run *r, int n)
{
    for (int i = 0; r->res && i < n; i++)
        tf_fetch_result_free(r->res[i]);
    free(r->res);
    r->res = NULL;
}

/* Options for a test server: quick backoff, short timeouts. */
static void opts_for(tf_fetch_opts *o, const server *s, const char *const *urls)
{
    tf_fetch_opts_default(o);
    o->base_urls = urls;
    o->n_base_urls = 1;
    o->model = "synthetic-maze";
    o->max_tokens = 4096;
    o->temperature = 0;
    o->backoff_base_ms = 20;
    o->backoff_max_ms = 5000;
    o->timeout_ms = 20000;
    o->jitter_seed = 7;
    (void)s;
}

/* 200 requests, 16 in flight, 50 ms each: far quicker than serial; then
 * the same run from the cache sends nothing. */
static void test_in_flight(const char *cache)
{
    server s;
    const char *extra[] = {"--latency-ms", "50", NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.concurrency = 16;
    o.cache_dir = cache;
    run r;
    int items = 200;
    if (run_items(&o, items, 1000, &r) == 0) {
        int ok = 0;
        for (int i = 0; i < items; i++)
            ok += r.res[i]->ok && r.res[i]->attempts == 1 && !r.res[i]->from_cache &&
                  r.res[i]->reply.text && r.res[i]->reply.text[0];
        CHECKF(ok == items, "%d of %d ok on the first attempt", ok, items);
        double serial = items * 0.050;
        printf("in flight: %d requests, concurrency 16, 50 ms each: %.3f s (serial >= %.1f s), "
               "speedup %.1fx; %llu connections; p50 %.1f ms p99 %.1f ms\n",
               items, r.wall_s, serial, serial / r.wall_s, (unsigned long long)r.stats.connections,
               (double)tf_lat_quantile(&r.stats.latency, 0.5) / 1e3,
               (double)tf_lat_quantile(&r.stats.latency, 0.99) / 1e3);
        CHECKF(r.wall_s < serial / 3, "wall %.3f s", r.wall_s);
        CHECK(r.stats.requests == (uint64_t)items && r.stats.retries == 0);
        /* keep-alive: the connections are reused, not one per request */
        CHECKF(r.stats.connections >= 1 && r.stats.connections <= 16 + 4, "%llu connections",
               (unsigned long long)r.stats.connections);
        CHECK(r.stats.status[200] == (uint64_t)items && r.stats.cache_misses == (uint64_t)items);
        CHECK(r.stats.prompt_tokens > 0 && r.stats.completion_tokens > 0);
        CHECK(r.stats.latency.count == (uint64_t)items &&
              tf_lat_quantile(&r.stats.latency, 0.5) >= 50000);
    }
    long before = server_attempts(&s, NULL, NULL);
    CHECKF(before == items, "server saw %ld attempts", before);
    char *text0 = r.res && r.res[0] && r.res[0]->reply.text ? strdup(r.res[0]->reply.text) : NULL;
    free_results(&r, items);

    /* Again, from the cache: zero requests reach the server. */
    if (run_items(&o, items, 1000, &r) == 0) {
        int hits = 0;
        for (int i = 0; i < items; i++)
            hits += r.res[i]->ok && r.res[i]->from_cache && r.res[i]->attempts == 0;
        CHECKF(hits == items, "%d of %d from the cache", hits, items);
        CHECK(r.stats.requests == 0 && r.stats.cache_hits == (uint64_t)items);
        CHECK(text0 && r.res[0]->reply.text && strcmp(text0, r.res[0]->reply.text) == 0);
        printf("cached re-run: %d results in %.3f s, %llu requests sent\n", items, r.wall_s,
               (unsigned long long)r.stats.requests);
    }
    free(text0);
    free_results(&r, items);
    long after = server_attempts(&s, NULL, NULL);
    CHECKF(after == before, "server attempts %ld -> %ld", before, after);
    server_stop(&s);
}

/* 429 with Retry-After 1: each retry after a 429 waits at least 1 s. */
static void test_429(void)
{
    server s;
    const char *extra[] = {"--rate-429", "0.5", "--retry-after", "1", NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.max_attempts = 12;
    run r;
    int items = 8;
    if (run_items(&o, items, 2000, &r) == 0) {
        int retried = 0;
        for (int i = 0; i < items; i++) {
            tf_fetch_result *x = r.res[i];
            CHECKF(x->ok && x->status == 200, "item %d: %s", i, x->reason);
            if (x->attempts > 1)
                retried++;
            CHECKF(x->latency_ms >= 1000.0 * (x->attempts - 1) - 5, "%u attempts in %.0f ms",
                   x->attempts, x->latency_ms);
        }
        CHECK(retried > 0 && r.stats.status[429] > 0);
        CHECK(r.stats.status[429] == r.stats.retries);
        printf("429: %llu rate-limited attempts, each honoured for >= 1 s (wall %.2f s)\n",
               (unsigned long long)r.stats.status[429], r.wall_s);
    }
    free_results(&r, items);
    /* All 429: fails after max_attempts with the server's message. */
    server_stop(&s);
    const char *all[] = {"--rate-429", "1", "--retry-after", "1", NULL};
    CHECK(server_start(&s, all) == 0);
    if (!s.port)
        return;
    urls[0] = s.url;
    o.max_attempts = 2;
    if (run_items(&o, 2, 2100, &r) == 0) {
        for (int i = 0; i < 2; i++) {
            tf_fetch_result *x = r.res[i];
            CHECK(!x->ok && x->attempts == 2 && x->status == 429 && x->latency_ms >= 995);
            CHECKF(x->reason && strstr(x->reason, "HTTP 429") && strstr(x->reason, "rate limit"),
                   "%s", x->reason);
        }
    }
    free_results(&r, 2);
    server_stop(&s);
}

/* --fail-first 2: every request fails twice with 500, then succeeds. */
static void test_500(void)
{
    server s;
    const char *extra[] = {"--fail-first", "2", NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.samples = 2;
    run r;
    int items = 10;
    if (run_items(&o, items, 3000, &r) == 0) {
        int good = 0;
        for (int i = 0; i < items * 2; i++)
            good += r.res[i]->ok && r.res[i]->attempts == 3;
        CHECKF(good == items * 2, "%d of %d ok after 3 attempts", good, items * 2);
        CHECK(r.stats.status[500] == (uint64_t)items * 4 && r.stats.retries == (uint64_t)items * 4);
    }
    free_results(&r, items * 2);
    /* With 2 attempts allowed, each fails with the 500's message. */
    o.max_attempts = 2;
    o.samples = 1;
    if (run_items(&o, 3, 3100, &r) == 0) {
        for (int i = 0; i < 3; i++) {
            tf_fetch_result *x = r.res[i];
            CHECK(!x->ok && x->attempts == 2 && x->status == 500 && !x->reply.text);
            CHECKF(x->reason && strstr(x->reason, "HTTP 500: injected failure"), "%s", x->reason);
        }
    }
    free_results(&r, 3);
    server_stop(&s);
}

/* The rate limit spaces attempts; a body over max_response_bytes fails at
 * once (the same seeded request would be as large again). */
static void test_rate_and_cap(void)
{
    server s;
    const char *extra[] = {NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.rate_per_s = 20;
    run r;
    int items = 21;
    if (run_items(&o, items, 7000, &r) == 0) {
        CHECKF(r.wall_s >= 0.95, "21 requests at 20/s took %.3f s", r.wall_s);
        printf("rate limit: 21 requests at 20/s in %.2f s\n", r.wall_s);
    }
    free_results(&r, items);
    o.rate_per_s = 0;
    o.max_response_bytes = 20;
    if (run_items(&o, 2, 7100, &r) == 0)
        for (int i = 0; i < 2; i++)
            CHECKF(!r.res[i]->ok && r.res[i]->attempts == 1 && r.res[i]->status == 200 &&
                       strstr(r.res[i]->reason, "max_response_bytes"),
                   "%s", r.res[i]->reason);
    free_results(&r, 2);
    server_stop(&s);
}

/* Hangs past the client's timeout are timed out and retried. */
static void test_hang(void)
{
    server s;
    const char *extra[] = {"--rate-hang", "0.3", "--hang-ms", "3000", NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.timeout_ms = 400;
    o.max_attempts = 10;
    run r;
    int items = 12;
    if (run_items(&o, items, 4000, &r) == 0) {
        int ok = 0;
        for (int i = 0; i < items; i++)
            ok += r.res[i]->ok;
        CHECKF(ok == items, "%d of %d ok", ok, items);
        CHECK(r.stats.status[0] > 0 && r.stats.retries == r.stats.status[0]);
        printf("hang: %llu attempts timed out after 400 ms and were retried (wall %.2f s)\n",
               (unsigned long long)r.stats.status[0], r.wall_s);
    }
    free_results(&r, items);
    server_stop(&s);
    /* Every attempt hangs: failed, with curl's timeout as the reason. */
    const char *all[] = {"--rate-hang", "1", "--hang-ms", "2000", NULL};
    CHECK(server_start(&s, all) == 0);
    if (!s.port)
        return;
    urls[0] = s.url;
    o.timeout_ms = 200;
    o.max_attempts = 2;
    if (run_items(&o, 2, 4100, &r) == 0)
        for (int i = 0; i < 2; i++)
            CHECKF(!r.res[i]->ok && r.res[i]->attempts == 2 && r.res[i]->status == 0 &&
                       strstr(r.res[i]->reason, "imed out"),
                   "%s", r.res[i]->reason);
    free_results(&r, 2);
    server_stop(&s);
}

/* Truncated and non-JSON 200 bodies: retried; at rate 1, failed with the
 * parse error and attempts == max. At rate 0.5, recovered. */
static void test_bad_bodies(void)
{
    static const struct {
        const char *flag, *rate, *reason;
    } cases[] = {
        {"--rate-truncated", "1", "truncated JSON"},
        {"--rate-nonjson", "1", "not JSON"},
        {"--rate-truncated", "0.5", NULL},
        {"--rate-nonjson", "0.5", NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        server s;
        const char *extra[] = {cases[c].flag, cases[c].rate, NULL};
        CHECK(server_start(&s, extra) == 0);
        if (!s.port)
            return;
        const char *urls[] = {s.url};
        tf_fetch_opts o;
        opts_for(&o, &s, urls);
        o.max_attempts = cases[c].reason ? 3 : 12;
        run r;
        int items = 6;
        if (run_items(&o, items, 5000 + c * 100, &r) == 0) {
            for (int i = 0; i < items; i++) {
                tf_fetch_result *x = r.res[i];
                if (cases[c].reason)
                    CHECKF(!x->ok && x->attempts == 3 && x->status == 200 && !x->reply.text &&
                               x->reason && strstr(x->reason, cases[c].reason),
                           "%s %s: %s", cases[c].flag, cases[c].rate, x->reason);
                else
                    CHECKF(x->ok && x->reply.text, "%s %s: %s", cases[c].flag, cases[c].rate,
                           x->reason);
            }
            if (!cases[c].reason)
                CHECK(r.stats.retries > 0);
        }
        free_results(&r, items);
        server_stop(&s);
    }
}

/* The canary key: accepted by the server, in no result, reason, cache
 * file, stats JSON or stderr; a wrong key is a 401, not retried. */
static void test_secrets(const char *cache)
{
    setenv("TF_TEST_FETCH_KEY", CANARY, 1);
    server s;
    const char *extra[] = {"--api-key-env", "TF_TEST_FETCH_KEY", "--rate-500", "0.3", NULL};
    CHECK(server_start(&s, extra) == 0);
    if (!s.port)
        return;
    const char *urls[] = {s.url};
    tf_fetch_opts o;
    opts_for(&o, &s, urls);
    o.api = TF_FETCH_CHAT;
    o.samples = 2;
    o.cache_dir = cache;
    o.api_key = CANARY;

    /* Capture this process's stderr for the run. */
    char errpath[600];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    run r;
    int items = 10;
    int rc = run_items(&o, items, 6000, &r);
    /* A wrong key: 401 at once. */
    o.api_key = "sk-wrong-key";
    o.cache_dir = NULL;
    o.samples = 1;
    run w;
    int rcw = run_items(&o, 3, 6100, &w);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
    if (rc == 0) {
        int ok = 0;
        for (int i = 0; i < items * 2; i++) {
            tf_fetch_result *x = r.res[i];
            ok += x->ok && x->reply.text;
            CHECK(!x->reason || !strstr(x->reason, "canary"));
            CHECK(!x->reply.text || !strstr(x->reply.text, "canary"));
        }
        CHECKF(ok == items * 2, "%d of %d chat samples ok", ok, items * 2);
        CHECK(r.res[0]->seed != r.res[1]->seed && r.res[0]->seed == tf_fetch_sample_seed(6000, 0));
        CHECK(strcmp(r.res[0]->cache_key, r.res[1]->cache_key) != 0);
        cJSON *j = tf_fetch_stats_json(&r.stats);
        char *t = j ? cJSON_PrintUnformatted(j) : NULL;
        CHECK(t && !strstr(t, "canary"));
        free(t);
        cJSON_Delete(j);
    }
    if (rcw == 0) {
        for (int i = 0; i < 3; i++) {
            tf_fetch_result *x = w.res[i];
            CHECKF(!x->ok && x->attempts == 1 && x->status == 401 && x->reason &&
                       strstr(x->reason, "HTTP 401"),
                   "%u attempts, %ld: %s", x->attempts, x->status, x->reason);
            CHECK(x->reason && !strstr(x->reason, "sk-wrong-key") && !strstr(x->reason, "canary"));
        }
        CHECK(w.stats.requests == 3 && w.stats.retries == 0);
    }
    free_results(&r, items * 2);
    free_results(&w, 3);
    const char *st = NULL;
    CHECK(server_attempts(&s, CANARY, &st) > 0 && st && !strstr(st, "canary"));
    server_stop(&s);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "grep -rqF '%s' '%s' '%s'", "canary", cache, errpath);
    CHECK(system(cmd) != 0);
    snprintf(cmd, sizeof cmd, "test -n \"$(ls -A '%s')\"", cache);
    CHECK(system(cmd) == 0); /* the cache is not simply empty */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_fetch_serve PATH/TO/tracefarm\n");
        return 2;
    }
    bin = argv[1];
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);
    snprintf(tmpdir, sizeof tmpdir, "%s/fetch-serve-%ld", TF_TEST_TMP, (long)getpid());
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmpdir);
    CHECK(system(cmd) == 0);
    char cache[600], cache2[600];
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    snprintf(cache2, sizeof cache2, "%s/cache-secrets", tmpdir);

    test_in_flight(cache);
    test_429();
    test_500();
    test_rate_and_cap();
    test_hang();
    test_bad_bodies();
    test_secrets(cache2);

    int rc = tf_test_done();
    if (rc == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        CHECK(system(cmd) == 0);
    }
    curl_global_cleanup();
    return rc;
}
