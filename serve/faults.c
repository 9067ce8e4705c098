/* faults.c: the faults "tracefarm serve" injects into completion attempts.
 *
 * Latency, jitter and the fault of an attempt (hang, 429, 500, truncated
 * or non-JSON body) are drawn from a counter of attempts mixed with
 * --seed, independent of the request's content, so the same options give
 * the same faults in the same order of attempts. --fail-first instead
 * counts attempts per distinct request (path and body), so that retrying
 * a request is what eventually gets it through. See docs/serve.md.
 */
#include "serve_internal.h"
#include "tracefarm/rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SALT_FAULT UINT64_C(0x6661756c74)    /* "fault" */
#define SALT_JITTER UINT64_C(0x6a6974746572) /* "jitter" */
#define FAILFIRST_CAP ((size_t)1 << 20)      /* distinct requests tracked by --fail-first */

const char *const tf_srv_fault_names[F_COUNT] = {"none", "fail_first", "hang",   "429",
                                                 "500",  "truncated",  "nonjson"};

/* Sleep ms milliseconds, or less if the server is stopping: a held-back
 * request must never delay shutdown. */
static void wait_ms(server *s, long ms)
{
    if (ms <= 0)
        return;
    struct timespec dl = tf_srv_now();
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

/* See serve_internal.h. */
void tf_srv_ff_free(ff_table *t)
{
    free(t->keys);
    free(t->counts);
    t->keys = NULL;
    t->counts = NULL;
}

/* See serve_internal.h. */
bool tf_srv_fault_before(server *s, struct MHD_Connection *c, req *r, enum MHD_Result *ret)
{
    const srv_opts *o = &s->o;
    pthread_mutex_lock(&s->mu);
    uint64_t k = s->attempts++;
    pthread_mutex_unlock(&s->mu);
    long delay = o->latency_ms;
    if (o->jitter_ms > 0)
        delay += (long)(tf_mix64((o->seed ^ SALT_JITTER) + (k + 1) * TF_RNG_GOLDEN) %
                        (uint64_t)(o->jitter_ms + 1));
    if (delay > 0) {
        pthread_mutex_lock(&s->mu);
        s->c.delayed++;
        pthread_mutex_unlock(&s->mu);
        wait_ms(s, delay);
    }
    if (o->fail_first > 0) {
        uint64_t key = tf_fnv64(tf_srv_fnv_str(TF_FNV_SEED, r->path),
                                r->body.data ? r->body.data : "", r->body.len);
        pthread_mutex_lock(&s->mu);
        unsigned before = ff_attempt(s, key);
        pthread_mutex_unlock(&s->mu);
        if (before < (unsigned long)o->fail_first) {
            r->fault = F_FAIL_FIRST;
            *ret = tf_srv_respond_error(c, r, 500, "injected failure (--fail-first)",
                                        "server_error", NULL, NULL, NULL);
            return true;
        }
    }
    double u = (double)(tf_mix64((o->seed ^ SALT_FAULT) + (k + 1) * TF_RNG_GOLDEN) >> 11) *
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
        *ret =
            tf_srv_respond_error(c, r, 429, "injected rate limit (--rate-429)", "rate_limit_error",
                                 "rate_limit_exceeded", MHD_HTTP_HEADER_RETRY_AFTER, ra);
        return true;
    }
    if (r->fault == F_500) {
        *ret = tf_srv_respond_error(c, r, 500, "injected server error (--rate-500)", "server_error",
                                    NULL, NULL, NULL);
        return true;
    }
    return false;
}

/* See serve_internal.h. */
enum MHD_Result tf_srv_fault_send(struct MHD_Connection *c, req *r, int status, const char *body)
{
    if (r->fault == F_NONJSON) {
        static const char html[] =
            "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
            "<body><h1>Bad Gateway</h1><p>injected non-JSON page (--rate-nonjson)</p></body>"
            "</html>\n";
        return tf_srv_respond(c, r, 200, "text/html; charset=utf-8", html, sizeof html - 1, NULL,
                              NULL);
    }
    size_t len = strlen(body);
    if (r->fault == F_TRUNCATED)
        len /= 2; /* mid-JSON: the closing braces are gone */
    return tf_srv_respond(c, r, status, "application/json", body, len, NULL, NULL);
}
