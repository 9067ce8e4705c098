/* http.c: the HTTP side of "tracefarm serve" (libmicrohttpd).
 *
 * One thread per connection, so a request held back on purpose
 * (--rate-hang, --latency-ms) never holds up another. This file owns the
 * server's lifecycle (listen, signals, --max-requests, --idle-exit,
 * --stats-file), routing and authorisation, and the accounting behind
 * /stats; the completion endpoints are in proto.c, the faults in faults.c
 * and the responses themselves in respond.c (the bottom of the three).
 */
#include "serve_internal.h"

#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const ep_names[EP_COUNT] = {
    "/v1/models", "/v1/completions", "/v1/chat/completions", "/stats", "/health", "other"};

static const int known_status[N_STATUS] = {200, 400, 401, 404, 405, 413, 429, 500};

/* ----- accounting --------------------------------------------------------- */

/* The arith model's counters into cp: "arith": {"by_mode", "no_place",
 * "by_style", "reference_wrong", "unknown_question"}. */
static bool arith_stats(cJSON *cp, const counters *k)
{
    cJSON *a = cJSON_AddObjectToObject(cp, "arith");
    cJSON *bm = a ? cJSON_AddObjectToObject(a, "by_mode") : NULL;
    cJSON *np = a ? cJSON_AddObjectToObject(a, "no_place") : NULL;
    cJSON *bs = a ? cJSON_AddObjectToObject(a, "by_style") : NULL;
    bool ok = bm && np && bs;
    for (int i = 0; ok && i < TF_SERVE_ARITH_MODE_COUNT; i++) {
        const char *name = tf_serve_arith_mode_name((tf_serve_arith_mode)i);
        ok = cJSON_AddNumberToObject(bm, name, (double)k->arith_by_mode[i]) != NULL &&
             (i == TF_SERVE_ARITH_CORRECT ||
              cJSON_AddNumberToObject(np, name, (double)k->arith_no_place[i]) != NULL);
    }
    for (int i = 0; ok && i < TF_SERVE_ARITH_STYLE_COUNT; i++)
        ok = cJSON_AddNumberToObject(bs, tf_serve_arith_style_name((tf_serve_arith_style)i),
                                     (double)k->arith_by_style[i]) != NULL;
    return ok && cJSON_AddNumberToObject(a, "reference_wrong", (double)k->arith_reference_wrong) &&
           cJSON_AddNumberToObject(a, "unknown_question", (double)k->arith_unknown);
}

/* The planner model's counters into cp: "plan": {"by_mode", "no_place",
 * "valid", "optimal", "first_error"}. */
static bool plan_stats(cJSON *cp, const counters *k)
{
    cJSON *p = cJSON_AddObjectToObject(cp, "plan");
    cJSON *bm = p ? cJSON_AddObjectToObject(p, "by_mode") : NULL;
    cJSON *np = p ? cJSON_AddObjectToObject(p, "no_place") : NULL;
    bool ok = bm && np;
    for (int i = 0; ok && i < TF_SERVE_PLAN_MODE_COUNT; i++) {
        const char *name = tf_serve_plan_mode_name((tf_serve_plan_mode)i);
        bool drawable = i == TF_SERVE_PLAN_PADDED || i == TF_SERVE_PLAN_INVALID;
        ok = cJSON_AddNumberToObject(bm, name, (double)k->plan_by_mode[i]) != NULL &&
             (!drawable || cJSON_AddNumberToObject(np, name, (double)k->plan_no_place[i]) != NULL);
    }
    ok = ok && cJSON_AddNumberToObject(p, "valid", (double)k->plan_valid) &&
         cJSON_AddNumberToObject(p, "optimal", (double)k->plan_optimal);
    cJSON *fe = ok ? cJSON_AddObjectToObject(p, "first_error") : NULL;
    ok = ok && fe;
    for (int i = 0; ok && i < k->plan_errors.n; i++)
        ok = cJSON_AddNumberToObject(fe, k->plan_errors.name[i], (double)k->plan_errors.count[i]) !=
             NULL;
    if (ok && k->plan_errors.other)
        ok = cJSON_AddNumberToObject(p, "first_error_other", (double)k->plan_errors.other) != NULL;
    return ok;
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
        ok = cJSON_AddNumberToObject(f, tf_srv_fault_names[i], (double)k.faults[i]) != NULL;
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
    ok = ok && arith_stats(cp, &k) && plan_stats(cp, &k);
    if (ok)
        out = cJSON_Print(j);
    cJSON_Delete(j);
    return out;
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
        for (int i = 0; i < TF_SERVE_ARITH_MODE_COUNT; i++) {
            k->arith_by_mode[i] += r->arith_mode[i];
            k->arith_no_place[i] += r->arith_no_place[i];
        }
        for (int i = 0; i < TF_SERVE_ARITH_STYLE_COUNT; i++)
            k->arith_by_style[i] += r->arith_style[i];
        k->arith_reference_wrong += r->arith_ref_wrong;
        for (int i = 0; i < TF_SERVE_PLAN_MODE_COUNT; i++) {
            k->plan_by_mode[i] += r->plan_mode[i];
            k->plan_no_place[i] += r->plan_no_place[i];
        }
        k->plan_valid += r->plan_valid;
        k->plan_optimal += r->plan_optimal;
        for (int i = 0; i < r->plan_errors.n; i++)
            tf_srv_codes_add(&k->plan_errors, r->plan_errors.name[i], r->plan_errors.count[i]);
        k->plan_errors.other += r->plan_errors.other;
    }
    if (r->arith_unknown && r->fault == F_NONE)
        k->arith_unknown++;
    pthread_mutex_unlock(&s->mu);
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
        return tf_srv_respond_error(c, r, 413, "the request body exceeds --max-body",
                                    "invalid_request_error", "request_too_large", NULL, NULL);
    if (!authorized(&s->o, c))
        return tf_srv_respond_error(c, r, 401,
                                    "missing or invalid API key (Authorization: Bearer ...)",
                                    "invalid_request_error", "invalid_api_key", NULL, NULL);
    switch (r->ep) {
    case EP_MODELS:
    case EP_STATS:
    case EP_HEALTH:
        if (!r->is_get)
            return tf_srv_respond_error(c, r, 405, "method not allowed: use GET",
                                        "invalid_request_error", "method_not_allowed",
                                        MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        if (r->ep == EP_MODELS)
            return tf_srv_models(s, c, r);
        if (r->ep == EP_HEALTH)
            return tf_srv_respond(c, r, 200, "application/json", "{\"status\":\"ok\"}", 15, NULL,
                                  NULL);
        {
            char *j = stats_json(s);
            if (!j)
                return MHD_NO;
            enum MHD_Result ret =
                tf_srv_respond(c, r, 200, "application/json", j, strlen(j), NULL, NULL);
            cJSON_free(j);
            return ret;
        }
    case EP_COMPLETIONS:
    case EP_CHAT:
        if (!r->is_post)
            return tf_srv_respond_error(c, r, 405, "method not allowed: use POST",
                                        "invalid_request_error", "method_not_allowed",
                                        MHD_HTTP_HEADER_ALLOW, "POST");
        return tf_srv_completion(s, c, r, r->ep == EP_CHAT);
    default:
        return tf_srv_respond_error(c, r, 404, "no such path", "invalid_request_error", "not_found",
                                    NULL, NULL);
    }
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
        r->t0 = tf_srv_now();
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
    struct timespec t1 = tf_srv_now();
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
                tf_srv_since_ms(&r->t0, &t1), r->fault ? " fault=" : "",
                r->fault ? tf_srv_fault_names[r->fault] : "");
    tf_buf_free(&r->body);
    free(r);
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
        struct timespec t = tf_srv_now();
        bool done = (s->o.max_requests > 0 && s->completed >= s->o.max_requests) ||
                    (s->o.idle_exit > 0 && s->inflight == 0 &&
                     tf_srv_since_ms(&s->last, &t) >= s->o.idle_exit * 1e3);
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

/* See serve_internal.h. */
int tf_srv_run(server *s)
{
    const srv_opts *o = &s->o;
    int rc = 1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s->mu, NULL);
    s->last = tf_srv_now();

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
    return rc;
}
