/* breaker.c: failure causes and the circuit breaker of a worker (fetch.h,
 * docs/endpoint.md "Failing fast"). Which causes are permanent, and how
 * they read; the breaker sees every finished attempt of a worker's clients
 * and trips when the last N failed with one permanent cause, or when too
 * many of a window of attempts failed. Pure: counters and a ring of
 * outcomes. */
#include "tracefarm/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tf_fetch_breaker {
    long consecutive; /* rule 1: streak length that trips; 0 off */
    double rate;      /* rule 2: failed fraction of the window that trips; 0 off */
    long window;      /* rule 2: attempts in the window */

    long streak;                 /* attempts in a row failed with one permanent cause */
    tf_fetch_cause streak_cause; /* that cause */
    long streak_status;          /* and its status, for HTTP */

    unsigned char *ring; /* rule 2: the last `window` outcomes, 1 failed (owned) */
    long seen;           /* outcomes in the ring, at most window */
    long pos;            /* where the next outcome goes */
    long failed;         /* failed outcomes in the ring */

    int tripped;
    char why[TF_DIAG_LEN];
};

tf_err tf_fetch_breaker_create(long consecutive, double rate, long window, tf_fetch_breaker **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return TF_ERR_NOMEM;
    tf_fetch_breaker *b = *out;
    b->consecutive = consecutive > 0 ? consecutive : 0;
    b->rate = rate > 0 ? rate : 0;
    b->window = window > 0 ? window : 1;
    if (b->rate > 0 && !(b->ring = calloc((size_t)b->window, 1))) {
        free(b);
        *out = NULL;
        return TF_ERR_NOMEM;
    }
    return TF_OK;
}

void tf_fetch_breaker_free(tf_fetch_breaker *b)
{
    if (!b)
        return;
    free(b->ring);
    free(b);
}

tf_err tf_fetch_breaker_from_config(const tf_fetch_config *c, tf_fetch_breaker **out)
{
    *out = NULL;
    if (c->breaker_consecutive <= 0 && c->breaker_failure_rate <= 0)
        return TF_OK;
    return tf_fetch_breaker_create(c->breaker_consecutive, c->breaker_failure_rate,
                                   c->breaker_window, out);
}

/* ----- failure causes ----------------------------------------------------------- */

int tf_fetch_cause_permanent(tf_fetch_cause cause, long status)
{
    switch (cause) {
    case TF_FETCH_CAUSE_CONNECT:
    case TF_FETCH_CAUSE_DNS:
    case TF_FETCH_CAUSE_TLS:
        return 1;
    case TF_FETCH_CAUSE_HTTP:
        return status == 400 || status == 401 || status == 403 || status == 404 || status == 405 ||
               status == 407 || status == 422;
    default:
        return 0;
    }
}

void tf_fetch_cause_text(tf_fetch_cause cause, long status, char *buf, size_t n)
{
    switch (cause) {
    case TF_FETCH_CAUSE_NONE:
        snprintf(buf, n, "no failure");
        break;
    case TF_FETCH_CAUSE_HTTP:
        snprintf(buf, n, "HTTP %ld", status);
        break;
    case TF_FETCH_CAUSE_CONNECT:
        snprintf(buf, n, "no connection");
        break;
    case TF_FETCH_CAUSE_DNS:
        snprintf(buf, n, "an unresolved host name");
        break;
    case TF_FETCH_CAUSE_TLS:
        snprintf(buf, n, "a TLS failure");
        break;
    case TF_FETCH_CAUSE_TIMEOUT:
        snprintf(buf, n, "a timeout");
        break;
    case TF_FETCH_CAUSE_NETWORK:
        snprintf(buf, n, "a network error");
        break;
    case TF_FETCH_CAUSE_BODY:
        snprintf(buf, n, "a bad response body");
        break;
    }
}

/* ----- the breaker ----------------------------------------------------------------- */

/* The attempt's reason, for the message: what the server or curl said. */
static const char *last_words(const char *reason)
{
    return reason && *reason ? reason : "no detail";
}

int tf_fetch_breaker_add(tf_fetch_breaker *b, const char *base_url, int ok, tf_fetch_cause cause,
                         long status, const char *reason)
{
    if (!b)
        return 0;
    if (b->tripped)
        return 1;
    const char *url = base_url ? base_url : "the endpoint";

    /* rule 1: one permanent cause, again and again */
    int perm = !ok && tf_fetch_cause_permanent(cause, status);
    if (perm && b->streak > 0 && cause == b->streak_cause &&
        (cause != TF_FETCH_CAUSE_HTTP || status == b->streak_status)) {
        b->streak++;
    } else {
        b->streak = perm ? 1 : 0;
        b->streak_cause = cause;
        b->streak_status = status;
    }
    if (b->consecutive > 0 && b->streak >= b->consecutive) {
        char what[64];
        tf_fetch_cause_text(cause, status, what, sizeof what);
        snprintf(b->why, sizeof b->why,
                 "the last %ld attempts at %s failed with %s (the last one: %.600s); "
                 "endpoint.breaker_consecutive is %ld",
                 b->streak, url, what, last_words(reason), b->consecutive);
        b->tripped = 1;
        return 1;
    }

    /* rule 2: the failure rate over the window */
    if (b->rate > 0) {
        if (b->seen == b->window)
            b->failed -= b->ring[b->pos];
        else
            b->seen++;
        b->ring[b->pos] = ok ? 0 : 1;
        b->failed += b->ring[b->pos];
        b->pos = (b->pos + 1) % b->window;
        if (b->seen == b->window && (double)b->failed >= b->rate * (double)b->window - 1e-9 &&
            !ok) {
            snprintf(b->why, sizeof b->why,
                     "%ld of the last %ld attempts at %s failed (the last one: %.600s); "
                     "endpoint.breaker_failure_rate is %g",
                     b->failed, b->window, url, last_words(reason), b->rate);
            b->tripped = 1;
            return 1;
        }
    }
    return 0;
}

const char *tf_fetch_breaker_why(const tf_fetch_breaker *b)
{
    return b && b->tripped ? b->why : NULL;
}
