/* source.h: where a record's model outputs come from, as plug-in tables
 * (after IOR's backends): "record" (the record holds it), "cache" (the
 * response cache of an earlier endpoint run) and "endpoint" (an
 * OpenAI-compatible server, many requests in flight).
 *
 * The worker's one loop (worker.h) drives every source the same way:
 *
 *     open; for each record r, in order:  submit(r)       (while room())
 *                                         next() ... outputs, any order
 *     report (the accounting for the part); close
 *
 * A source hands back samples(state) outputs per submitted record, each
 * naming its record (seq) and sample index, in any order; the loop keeps a
 * window of window(state) records and writes items in record order.
 */
#ifndef TRACEFARM_SOURCE_H
#define TRACEFARM_SOURCE_H

#include "tracefarm/domain.h"
#include "tracefarm/err.h"
#include "tracefarm/fetch.h"
#include "tracefarm/job.h"
#include "tracefarm/record.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* What a source is opened with. */
typedef struct tf_source_ctx {
    const tf_work *work;       /* the job's worker part */
    unsigned ordinal;          /* this worker among the workers, 0-based */
    unsigned nworkers;         /* how many workers share the job's rate limit */
    uint64_t shard;            /* the shard (seeds the retry jitter) */
    tf_fetch_breaker *breaker; /* borrowed: the worker's circuit breaker, or NULL */
} tf_source_ctx;

/* A source's running counts (tally), for progress. */
typedef struct tf_source_tally {
    uint64_t requests;   /* HTTP attempts sent */
    uint64_t retries;    /* of which retries */
    uint64_t cache_hits; /* samples the response cache answered */
    uint64_t in_flight;  /* requests in flight now */
} tf_source_tally;

/* One record, as the loop hands it to a source. Valid until every output
 * of the record has been released. */
typedef struct tf_source_req {
    uint64_t seq;               /* the record's sequence number in the shard */
    const tf_record *rec;       /* the parsed record (a JSON object) */
    const void *problem;        /* the domain's problem */
    tf_text output;             /* the output the record holds (p NULL: none) */
    const char *no_output;      /* when output.p is NULL: why ("" when nothing was said) */
    tf_text reasoning;          /* the output's separate reasoning in the record (p NULL: none) */
    const char *reasoning_from; /* "field" or "messages" (tf_record); NULL without */
} tf_source_req;

/* One model output of one record. Owned by the source: give it back with
 * release. */
typedef struct tf_output {
    uint64_t seq;                 /* the record it belongs to */
    unsigned sample;              /* 0 <= sample < samples(state) */
    const char *text;             /* the output as the model gave it (a record's output, a
                                     response's content; NUL-terminated), or NULL: failed */
    size_t len;                   /* its length */
    const char *reasoning;        /* its separate reasoning channel (NUL-terminated, not
                                     empty), or NULL: none (a <think> block in text is
                                     split by the worker, not here) */
    size_t reasoning_len;         /* its length */
    const char *reasoning_from;   /* where it came from: "endpoint", "field", "messages";
                                     NULL with reasoning */
    const char *kind;             /* when text is NULL: the error kind ("fetch_failed", ...) */
    const char *reason;           /* when text is NULL: why, for the error item */
    long tokens;                  /* completion tokens for the statistics, -1 unknown */
    const tf_sample_usage *usage; /* a requested sample's accounting, or NULL */
} tf_output;

typedef struct tf_source {
    const char *name; /* the job's "source" value */
    int per_sample;   /* items carry "sample" (sources that request samples) */

    tf_err (*open)(const tf_source_ctx *ctx, void **state, tf_diag *d);
    void (*close)(void *state); /* accepts NULL */

    unsigned (*samples)(const void *state); /* outputs per record */
    size_t (*window)(const void *state);    /* records between the first unwritten and the
                                               last read, at most (>= 1) */
    int (*room)(const void *state);         /* nonzero: submit may be called */

    /* Ask for the outputs of one record. A record that cannot be asked
     * about is TF_ERR_PARSE ("bad_record": a missing template field, no
     * output in the record) or TF_ERR_TOO_BIG ("too_big": a prompt over the
     * cap), with the reason in why: the record becomes one error item and
     * no output of it will come. Other errors end the shard. */
    tf_err (*submit)(void *state, const tf_source_req *req, tf_diag *why);

    /* The next finished output of any submitted record, waiting at most
     * timeout_ms (0: never, -1: until one is ready). TF_OK with *out NULL:
     * none ready in time; TF_ERR_EOF: nothing is pending. */
    tf_err (*next)(void *state, int timeout_ms, tf_output **out, tf_diag *d);

    /* Add the output's own keys to its item, after the verdict (NULL: none). */
    tf_err (*annotate)(const tf_output *o, cJSON *item);

    void (*release)(void *state, tf_output *o); /* accepts NULL */

    /* The shard's accounting for the part meta ("fetch"), or NULL. Caller
     * frees with cJSON_Delete. */
    cJSON *(*report)(void *state);

    /* The counts so far, for progress (NULL: a source that sends nothing). */
    void (*tally)(const void *state, tf_source_tally *t);
} tf_source;

/* The table of a source kind. */
const tf_source *tf_source_of(tf_source_kind kind);

#endif
