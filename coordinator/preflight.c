/* preflight.c: before any shard is handed out, one real request per
 * distinct endpoint of the job (coord.h, docs/endpoint.md "Failing fast").
 *
 * The request is the one a worker will send for the first record that
 * makes a request (its sample 0), built by the worker module itself
 * (tf_worker_first_request) and sent through the response cache, so the
 * answer is not paid twice: the worker's request is then a cache hit. A
 * cache hit here sends nothing at all, so a re-run answered by the cache
 * needs no server. Only a permanent cause stops the job (exit 2);
 * transient failures are retried as usual and then only reported.
 */
#include "coord.h"

#include "tracefarm/fetch.h"
#include "tracefarm/farm.h"
#include "tracefarm/worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where to look for the first request: shards, and lines in each. */
#define FIRST_SHARDS 16
#define FIRST_LINES 1000

/* Base URLs i and j name the same endpoint (trailing slashes aside). */
static int same_url(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '/')
        la--;
    while (lb > 0 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* Print the request that sample 0 of the first record makes (--check),
 * without the key. */
static tf_err show_request(const tf_fetch_opts *o, const tf_fetch_config *c, const char *where,
                           const char *prompt, uint64_t seed, tf_diag *d)
{
    tf_fetch_opts q = *o;
    q.cache_dir = NULL; /* only to build the text: nothing is opened or sent */
    tf_fetch *f = NULL;
    tf_err err = tf_fetch_create(&q, &f, d);
    const char *url = NULL;
    char *body = NULL;
    if (err == TF_OK)
        err = tf_fetch_request_text(f, prompt, seed, 0, &url, &body);
    if (err == TF_OK) {
        printf("first request (%s, sample 0 of %ld):\n  POST %s\n", where, c->samples, url);
        if (c->api_key_env)
            printf("  Authorization: Bearer $%s (the key is not shown)\n", c->api_key_env);
        printf("  %s\n", body);
    }
    free(body);
    tf_fetch_free(f);
    return err;
}

int tf_preflight(const tf_job *job, const tf_plan *plan, unsigned flags, tf_fetch_stats *acc,
                 tf_diag *d)
{
    const tf_work *w = &job->work;
    int show = (flags & TF_PREFLIGHT_SHOW) != 0, quiet = (flags & TF_PREFLIGHT_QUIET) != 0;
    if (w->source != TF_SOURCE_ENDPOINT) {
        if (show)
            printf("source \"%s\": no request is sent, so there is no preflight\n",
                   w->source == TF_SOURCE_CACHE ? "cache" : "record");
        return TF_EXIT_OK;
    }
    const tf_fetch_config *c = w->fetch;

    /* the first record that makes a request */
    char *prompt = NULL;
    uint64_t seed = 0, line = 0;
    size_t k = 0;
    tf_err err = TF_ERR_EOF;
    tf_diag rd;
    rd.msg[0] = '\0';
    for (; k < tf_plan_count(plan) && k < FIRST_SHARDS && err == TF_ERR_EOF; k++)
        err = tf_worker_first_request(w, tf_plan_get(plan, k), FIRST_LINES, &prompt, &seed, &line,
                                      &rd);
    if (err == TF_ERR_NOMEM) {
        tf_diag_set(d, "preflight: out of memory");
        return TF_EXIT_FATAL;
    }
    if (err != TF_OK) {
        if (!quiet || show)
            fprintf(show ? stdout : stderr, "%spreflight skipped: %s\n", show ? "" : "tracefarm: ",
                    err == TF_ERR_EOF ? "no record near the start of the corpus makes a request"
                                      : rd.msg);
        return TF_EXIT_OK;
    }
    const tf_shard *s = tf_plan_get(plan, k - 1);
    char where[600];
    if (s->begin == 0)
        snprintf(where, sizeof where, "%s line %" PRIu64, w->corpus[s->file], line);
    else
        snprintf(where, sizeof where, "shard %zu, its line %" PRIu64, k - 1, line);

    const char *key = c->api_key_env ? getenv(c->api_key_env) : NULL;
    int status = TF_EXIT_OK;
    for (size_t i = 0; i < c->n_base_urls && status == TF_EXIT_OK; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= same_url(c->base_urls[i], c->base_urls[j]);
        if (dup)
            continue;
        tf_fetch_opts o;
        tf_fetch_opts_from_config(c, (unsigned)i, 1, key, &o);
        o.jitter_seed = 1;
        /* the first endpoint through the cache (a hit sends nothing; an
         * answer is kept for the worker); replicas only to check them */
        if (i > 0)
            o.cache_dir = NULL;
        if (i == 0 && show && show_request(&o, c, where, prompt, seed, d) != TF_OK) {
            status = TF_EXIT_FATAL;
            break;
        }
        if (!(flags & TF_PREFLIGHT_SEND))
            break;
        tf_fetch_check chk;
        err = tf_fetch_preflight(&o, prompt, seed, &chk, acc, d);
        if (err == TF_OK && chk.verdict == TF_FETCH_CACHED && show) {
            /* --check is asked to check the endpoint: a cached answer says
             * nothing of today's key or server, so ask it (the cached answer
             * stays: outputs do not change) */
            printf("preflight: %s: the response cache holds the answer; asking the server "
                   "anyway (--check), without storing its answer\n",
                   chk.url);
            o.cache_dir = NULL;
            err = tf_fetch_preflight(&o, prompt, seed, &chk, acc, d);
        }
        if (err != TF_OK) {
            status = TF_EXIT_FATAL;
            break;
        }
        switch (chk.verdict) {
        case TF_FETCH_CACHED:
            if (show)
                printf("preflight: %s: the response cache holds the answer; nothing was sent\n",
                       chk.url);
            i = c->n_base_urls; /* the job may need no server at all */
            break;
        case TF_FETCH_PASSED:
            if (show)
                printf("preflight: %s: ok (HTTP %ld, %u attempt%s, %.2f s)\n", chk.url, chk.status,
                       chk.attempts, chk.attempts == 1 ? "" : "s", chk.seconds);
            break;
        case TF_FETCH_TRANSIENT:
            fprintf(show ? stdout : stderr,
                    "%spreflight: %s: %s, after %u attempt%s; this may pass, so the job goes on\n",
                    show ? "" : "tracefarm: ", chk.url, chk.cause_text, chk.attempts,
                    chk.attempts == 1 ? "" : "s");
            break;
        case TF_FETCH_REFUSED: {
            char var[200] = "";
            if (chk.status == 401 || chk.status == 403) {
                const char *env_key = c->api_key_env ? getenv(c->api_key_env) : NULL;
                if (!c->api_key_env)
                    snprintf(var, sizeof var,
                             " (endpoint.api_key_env names the environment variable that holds "
                             "the key)");
                else if (!env_key || !*env_key)
                    snprintf(var, sizeof var, " ($%.150s, named by endpoint.api_key_env, is empty)",
                             c->api_key_env);
                else
                    snprintf(var, sizeof var, " (the key in $%.150s, endpoint.api_key_env)",
                             c->api_key_env);
            }
            tf_diag_set(d,
                        "preflight: POST %s: %s: %s%s; nothing was done (tracefarm run "
                        "--no-preflight skips this check)",
                        chk.url, chk.cause_text, chk.hint, var);
            status = TF_EXIT_SPEC;
            break;
        }
        }
    }
    free(prompt);
    return status;
}
