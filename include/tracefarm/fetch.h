/* fetch.h: model outputs from OpenAI-compatible endpoints (vLLM, SGLang,
 * llama.cpp, hosted APIs), many requests in flight, with retries, a
 * response cache and accounting. No MPI: one client per rank.
 *
 * The worker's loop, in brief:
 *
 *     tf_fetch_opts o;  tf_fetch_opts_default(&o);  ... fill o ...
 *     tf_fetch *f;      tf_fetch_create(&o, &f, &d);
 *     for each record r (in order):
 *         while (!tf_fetch_room(f) || window full)      // keep memory bounded
 *             tf_fetch_next(f, -1, &res) ... hold res until its record's turn
 *         tf_fetch_submit(f, r, prompt, item_seed, &d);  // o.samples results for tag r
 *         while (tf_fetch_next(f, 0, &res) == TF_OK && res) ... (non-blocking)
 *     while (tf_fetch_next(f, -1, &res) == TF_OK) ...    // drain; TF_ERR_EOF when all delivered
 *     tf_fetch_stats_get(f) -> merge, JSON;  tf_fetch_free(f);
 *
 * Results come back in completion order, each carrying the caller's tag and
 * the sample index; to write items in record order the caller keeps a
 * window (submit record r only while r - first_unwritten < W) and holds
 * finished results until their turn. Every submitted sample yields exactly
 * one result: ok, or failed with a reason; never an empty default answer.
 *
 * Samples: sample i of an item is its own request whose "seed" is
 * tf_fetch_sample_seed(item_seed, i) (the OpenAI "n" parameter is not used:
 * not every server honours it, and one request per sample gives one cache
 * entry and one retry per sample).
 *
 * Secrets: the API key is copied at create time and goes only into the
 * "Authorization: Bearer" header; it is never in a result, a reason, the
 * cache, the stats or their JSON, and is scrubbed from server error text.
 * See docs/endpoint.md.
 */
#ifndef TRACEFARM_FETCH_H
#define TRACEFARM_FETCH_H

#include "tracefarm/err.h"
#include "tracefarm/schema.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- options ---- */

typedef struct tf_fetch_breaker tf_fetch_breaker; /* a circuit breaker, below */

typedef enum tf_fetch_api {
    TF_FETCH_COMPLETIONS, /* POST {base}/completions, "prompt": the prompt */
    TF_FETCH_CHAT,        /* POST {base}/chat/completions, one user message: the prompt */
} tf_fetch_api;

/* Name of an API kind ("completions", "chat"); it is part of the cache key. */
const char *tf_fetch_api_name(tf_fetch_api api);

typedef struct tf_fetch_opts {
    /* Endpoint. All pointers are borrowed: tf_fetch_create copies them. */
    const char *const *base_urls; /* IN: n_base_urls URLs like "http://h:8000/v1" */
    size_t n_base_urls;           /* at least 1 */
    unsigned ordinal;             /* this client uses base_urls[ordinal % n_base_urls] */
    tf_fetch_api api;             /* completions (default) or chat */
    const char *model;            /* "model" of the body; required */
    const char *api_key;          /* key VALUE (not an env var name); NULL: none sent */

    /* Sampling, passed through into the body. */
    double temperature;      /* < 0: not sent (default -1) */
    double top_p;            /* < 0: not sent (default -1) */
    long max_tokens;         /* <= 0: not sent (default 0) */
    const char *const *stop; /* n_stop stop strings; n_stop 0: not sent */
    size_t n_stop;           /* at most 16 */
    const char *extra_json;  /* a JSON object merged into the body last (its keys
                                replace ours); "model", "prompt", "messages" and
                                "seed" may not appear. NULL: none */
    unsigned samples;        /* requests (results) per submitted item; default 1 */

    /* Transfers. */
    unsigned concurrency;      /* requests in flight at most; default 16 */
    unsigned max_pending;      /* samples submitted and not yet delivered, at most;
                                  default 4 * concurrency (tf_fetch_room) */
    long connect_timeout_ms;   /* default 10000 */
    long timeout_ms;           /* whole transfer, per attempt; default 600000 */
    unsigned max_attempts;     /* attempts per sample, >= 1; default 5 */
    long backoff_base_ms;      /* first backoff cap; default 500 */
    long backoff_max_ms;       /* largest backoff and Retry-After honoured; default 60000 */
    double rate_per_s;         /* attempts started per second by this client;
                                  0: unlimited (default) */
    size_t max_response_bytes; /* larger bodies fail (not retried); default 16 MiB */
    int http2;                 /* 1 (default): HTTP/2 over TLS where offered, multiplexed */

    /* Cache and determinism. */
    const char *cache_dir; /* response cache directory; NULL: no cache */
    int cache_only;        /* never send a request: a sample the cache does not
                              hold fails at once with reason "not in the
                              response cache" (attempts 0, status 0) */
    uint64_t jitter_seed;  /* seeds the backoff jitter PRNG (mixed with ordinal) */

    /* Failing fast. */
    int fail_fast;             /* 1: a refused connection, an unresolved host and a TLS
                                  failure are not retried (the preflight: they do not
                                  pass in the seconds a backoff waits); default 0 */
    tf_fetch_breaker *breaker; /* borrowed, or NULL: every finished attempt is told to
                                  it, and once it trips tf_fetch_next returns
                                  TF_ERR_STOPPED. It outlives the client, so one
                                  breaker can watch a worker's successive clients */
} tf_fetch_opts;

/* Fill o with the defaults (no URLs, no model, no key, no cache). The
 * defaults are those of the job's "endpoint" section (fetch/config.c): one
 * table holds them. */
void tf_fetch_opts_default(tf_fetch_opts *o);

/* ---- the job's "endpoint" section ---- */

/* The "endpoint" section of a job spec, resolved (docs/job.md). */
typedef struct tf_fetch_config {
    char **base_urls;          /* replicas; worker k uses k % n */
    size_t n_base_urls;        /* at least 1 */
    int api;                   /* tf_fetch_api */
    char *model;               /* "model" of each request */
    char *prompt_template;     /* "{prompt}", "{field:PATH}", "{{", "}}" */
    double temperature, top_p; /* < 0: not sent */
    long max_tokens;           /* <= 0: not sent */
    char **stop;               /* n_stop stop strings */
    size_t n_stop;             /* at most TF_FETCH_MAX_STOP */
    char *extra_json;          /* other params keys, then extra_params, as a JSON object;
                                  NULL: none */
    uint64_t seed;             /* params.seed (0 when absent); mixed into item seeds */
    int has_seed;              /* params.seed was given */
    long samples;              /* samples per record */
    char *api_key_env;         /* variable holding the key; NULL: no key */
    long concurrency;          /* requests in flight per worker */
    double connect_timeout_s;  /* per attempt */
    double timeout_s;          /* per attempt */
    long max_attempts;         /* first included */
    long backoff_ms;           /* first backoff cap */
    long backoff_max_ms;       /* largest backoff and Retry-After honoured */
    double rate_limit_rps;     /* job-wide attempts per second; 0: unlimited */
    char *cache_dir;           /* response cache directory; NULL: no cache */
    long max_response_bytes;   /* cap on one response body */
    int has_prices;            /* price_per_million was given */
    double price_prompt;       /* per million prompt tokens */
    double price_completion;   /* per million completion tokens */
    char *warnings; /* lines (each ending in '\n') the user should read, e.g. a params key no
                       server knows; NULL: none. Owned; only the first parse's are shown */
    long breaker_consecutive;    /* stop after this many attempts in a row failed with one
                                    permanent cause; 0: off */
    double breaker_failure_rate; /* stop when this fraction of the last breaker_window
                                    attempts failed; 0: off */
    long breaker_window;         /* attempts the failure rate is taken over */
} tf_fetch_config;

#define TF_FETCH_MAX_STOP 16

/* Check the "endpoint" section (an object) into *c and fill its defaults
 * into the section. A missing "cache_dir" is default_cache_dir (written
 * into the section); null means no cache. With check_env, the variable
 * named by api_key_env must be set. TF_ERR_SPEC with a message naming
 * origin and the key ("endpoint.concurrency"); TF_ERR_NOMEM. Free *c with
 * tf_fetch_config_free (also after an error). */
tf_err tf_fetch_config_parse(cJSON *section, const char *origin, const char *default_cache_dir,
                             int check_env, tf_fetch_config *c, tf_diag *d) TF_MUST_USE;
void tf_fetch_config_free(tf_fetch_config *c);

/* The key table of the "endpoint" section (schema.h), *n keys: for the
 * reference that "tracefarm spec" prints. */
const tf_key *tf_fetch_config_keys(size_t *n);

/* The circuit breaker the section asks for (breaker_* keys), for one
 * worker. *out is NULL when both of its rules are off. Caller frees with
 * tf_fetch_breaker_free. TF_ERR_NOMEM. */
tf_err tf_fetch_breaker_from_config(const tf_fetch_config *c, tf_fetch_breaker **out) TF_MUST_USE;

/* The request keys OpenAI-compatible servers know (OpenAI, vLLM), NULL-
 * terminated: a "params" key outside the list draws a warning naming the
 * nearest (c->warnings); docs/endpoint.md lists them. */
const char *const *tf_fetch_known_params(void);

/* Client options for worker ordinal (0-based) of nworkers: its replica,
 * its share of the job's rate, api_key (borrowed: the key's value, or
 * NULL). Pointers in *o borrow from c. */
void tf_fetch_opts_from_config(const tf_fetch_config *c, unsigned ordinal, unsigned nworkers,
                               const char *api_key, tf_fetch_opts *o);

/* ---- the client ---- */

/* A client is used by one thread; the first tf_fetch_create of the
 * process calls curl_global_init (call it yourself first if other threads
 * use libcurl). */
typedef struct tf_fetch tf_fetch; /* opaque: one curl multi handle, queue, cache, stats */

/* Make a client. Copies everything it keeps from o. TF_ERR_SPEC with a
 * message naming the option when o is invalid (no URL, no model, bad
 * extra_json, ...); TF_ERR_IO if the cache directory cannot be created;
 * TF_ERR_NOMEM; TF_ERR_INTERNAL if libcurl cannot be initialised. *out is
 * owned by the caller, freed with tf_fetch_free. */
tf_err tf_fetch_create(const tf_fetch_opts *o, tf_fetch **out, tf_diag *d) TF_MUST_USE;

/* Abort transfers in flight, drop undelivered results, free. Accepts NULL. */
void tf_fetch_free(tf_fetch *f);

/* Nonzero when one more item (o.samples samples) may be submitted without
 * passing max_pending. */
int tf_fetch_room(const tf_fetch *f);

/* Samples submitted and not yet delivered by tf_fetch_next. */
size_t tf_fetch_pending(const tf_fetch *f);

/* Requests in flight now (transfers running). */
size_t tf_fetch_in_flight(const tf_fetch *f);

/* The URL and the exact body that tf_fetch_submit would send for sample i
 * of an item with this prompt and item seed ("tracefarm run --check" shows
 * them). *url is the client's (valid until tf_fetch_free); *body is owned
 * by the caller (free). Neither holds the API key. TF_ERR_NOMEM. */
tf_err tf_fetch_request_text(const tf_fetch *f, const char *prompt, uint64_t item_seed,
                             unsigned sample, const char **url, char **body) TF_MUST_USE;

/* Seed of sample i of an item: the top 31 bits of
 * splitmix64(item_seed + 0x9e3779b97f4a7c15 * (i + 1)), so 0 <= seed < 2^31
 * (fits every server's seed type and a JSON double exactly). */
uint64_t tf_fetch_sample_seed(uint64_t item_seed, unsigned i);

/* Queue the o.samples requests of one item: prompt (copied) and tag (the
 * caller's, e.g. a record index, returned in each result). The cache is
 * looked up now: a hit is a finished result at once, and sends nothing.
 * Transfers start in tf_fetch_next. TF_ERR_TOO_BIG if there is no room
 * (tf_fetch_room) and samples are pending; TF_ERR_NOMEM. */
tf_err tf_fetch_submit(tf_fetch *f, uint64_t tag, const char *prompt, uint64_t item_seed,
                       tf_diag *d) TF_MUST_USE;

/* ---- results ---- */

/* A parsed response (tf_fetch_parse_response): the first choice. */
typedef struct tf_fetch_reply {
    char *text;            /* owned: choices[0].text or .message.content ("" if null
                              while reasoning is present) */
    char *reasoning;       /* owned: .message.reasoning_content (or .reasoning); NULL if absent */
    char *finish_reason;   /* owned: NULL if absent */
    int truncated;         /* finish_reason == "length" */
    int64_t prompt_tokens; /* usage; -1 when not given */
    int64_t completion_tokens; /* usage; -1 when not given */
    int64_t reasoning_tokens;  /* usage.completion_tokens_details; -1 when not given */
} tf_fetch_reply;

/* Parse a response body of len bytes (need not be NUL-terminated) of kind
 * api into *out (zeroed first; caller frees with tf_fetch_reply_clear,
 * also after an error). Pure: no I/O, no globals. TF_ERR_PARSE with a
 * reason in d when the body is not JSON, is truncated, has an "error"
 * object, no choices, or a choice without text; TF_ERR_NOMEM. */
tf_err tf_fetch_parse_response(tf_fetch_api api, const char *body, size_t len, tf_fetch_reply *out,
                               tf_diag *d) TF_MUST_USE;

/* Free the strings of r and zero it. Accepts NULL. */
void tf_fetch_reply_clear(tf_fetch_reply *r);

/* Why an attempt failed, in classes that say what to do about it. */
typedef enum tf_fetch_cause {
    TF_FETCH_CAUSE_NONE = 0, /* no failure (or a sample never sent: a cache miss) */
    TF_FETCH_CAUSE_HTTP,     /* an HTTP status other than 2xx (see status) */
    TF_FETCH_CAUSE_CONNECT,  /* no connection: refused, or no route to the host */
    TF_FETCH_CAUSE_DNS,      /* the host name does not resolve */
    TF_FETCH_CAUSE_TLS,      /* the TLS handshake or the certificate failed */
    TF_FETCH_CAUSE_TIMEOUT,  /* connect or transfer timeout */
    TF_FETCH_CAUSE_NETWORK,  /* another transport error: reset, empty reply, ... */
    TF_FETCH_CAUSE_BODY,     /* a 2xx body that is malformed, or over max_response_bytes */
} tf_fetch_cause;

/* Whether a failure no retry can cure and that every request of a job
 * would meet: no connection, an unresolved host, TLS, and the HTTP
 * statuses 400, 401, 403, 404, 405, 407 and 422. 429, 5xx, timeouts and
 * the rest may pass (docs/endpoint.md, "Failing fast"). */
int tf_fetch_cause_permanent(tf_fetch_cause cause, long status);

/* A few words for a cause ("HTTP 401", "no connection", ...) into buf. */
void tf_fetch_cause_text(tf_fetch_cause cause, long status, char *buf, size_t n);

/* One finished sample. Owned by the caller: tf_fetch_result_free. */
typedef struct tf_fetch_result {
    uint64_t tag;         /* as submitted */
    unsigned sample;      /* sample index, 0 <= sample < o.samples */
    uint64_t seed;        /* the "seed" sent: tf_fetch_sample_seed(item_seed, sample) */
    int ok;               /* 1: reply holds the model output; 0: failed, see reason */
    int from_cache;       /* 1: served by the cache, no request sent */
    tf_fetch_reply reply; /* when ok */
    char *reason;         /* owned, when !ok: curl error text or "HTTP 503: <server
                             message>" or the parse error; never contains the key */
    unsigned attempts;    /* requests sent for this sample (0 for a cache hit) */
    long status;          /* last HTTP status; 0 if no response was received */
    tf_fetch_cause cause; /* when !ok: the class of the last attempt's failure */
    double latency_ms;    /* submit to finish, including backoff waits */
    char cache_key[65];   /* hex key of the request (cache file name) */
} tf_fetch_result;

/* Free a result. Accepts NULL. */
void tf_fetch_result_free(tf_fetch_result *r);

/* Drive transfers and hand back one finished result. Waits at most
 * timeout_ms for one (0: never block; -1: until one is ready). TF_OK with
 * *out NULL: none ready in time. TF_OK with *out set: a result, owned by
 * the caller. TF_ERR_EOF: nothing is pending at all (not a failure).
 * TF_ERR_STOPPED (why in d): the breaker of o.breaker has tripped; the
 * client does no more work. TF_ERR_NOMEM / TF_ERR_INTERNAL (message in d):
 * the client is broken. */
tf_err tf_fetch_next(tf_fetch *f, int timeout_ms, tf_fetch_result **out, tf_diag *d) TF_MUST_USE;

/* ---- accounting ---- */

/* Latency histogram: log-linear in microseconds. Values below 256 us are
 * exact; above, each power of two is split into 128 buckets, so a bucket
 * spans less than 1/128 of its values and a percentile reported as the
 * bucket's midpoint is within 0.4% of the exact one. Values past 2^40 us
 * (12.7 days) are clamped. Mergeable by adding counts. */
#define TF_LAT_SUB_BITS 7
#define TF_LAT_MAX_EXP 40
#define TF_LAT_BUCKETS                                                                             \
    ((1u << (TF_LAT_SUB_BITS + 1)) +                                                               \
     (TF_LAT_MAX_EXP - TF_LAT_SUB_BITS - 1) * (1u << TF_LAT_SUB_BITS))

typedef struct tf_lat_hist {
    uint64_t count;                  /* values recorded */
    uint64_t sum_us;                 /* their sum */
    uint64_t min_us, max_us;         /* exact extremes (min UINT64_MAX when empty) */
    uint64_t bucket[TF_LAT_BUCKETS]; /* counts per bucket */
} tf_lat_hist;

/* An empty histogram. */
void tf_lat_init(tf_lat_hist *h);
/* Record one value in microseconds. */
void tf_lat_add(tf_lat_hist *h, uint64_t us);
/* into += from. */
void tf_lat_merge(tf_lat_hist *into, const tf_lat_hist *from);
/* The q-quantile (0 <= q <= 1) by nearest rank: the value of rank
 * ceil(q * count) (at least 1), as its bucket's midpoint clamped to
 * [min, max]. 0 when empty. */
uint64_t tf_lat_quantile(const tf_lat_hist *h, double q);

#define TF_FETCH_STATUS_SLOTS 600 /* HTTP statuses 0..599; 0: no response */

/* Counters of one client; a plain struct (no pointers), so ranks can also
 * ship it as bytes. */
typedef struct tf_fetch_stats {
    uint64_t submitted;          /* samples submitted */
    uint64_t ok;                 /* results delivered ok */
    uint64_t failed;             /* results delivered failed */
    uint64_t requests;           /* HTTP requests started (attempts) */
    uint64_t retries;            /* of which retries */
    uint64_t connections;        /* new connections opened (the rest reused one) */
    uint64_t cache_hits;         /* samples served by the cache */
    uint64_t cache_misses;       /* lookups that found nothing usable */
    uint64_t cache_write_errors; /* responses that could not be stored */
    uint64_t truncated;          /* ok results with finish_reason "length" */
    uint64_t prompt_tokens;      /* usage sums over requests answered by the server */
    uint64_t completion_tokens;
    uint64_t reasoning_tokens;
    uint64_t status[TF_FETCH_STATUS_SLOTS]; /* per attempt: HTTP status; [0] no response */
    tf_lat_hist latency;                    /* per attempt: request start to last byte, us */
} tf_fetch_stats;

/* The client's counters (valid until tf_fetch_free). */
const tf_fetch_stats *tf_fetch_stats_get(const tf_fetch *f);

/* Zero s (and empty its histogram). */
void tf_fetch_stats_init(tf_fetch_stats *s);

/* into += from. */
void tf_fetch_stats_merge(tf_fetch_stats *into, const tf_fetch_stats *from);

/* The counters as JSON: counts, "status" {"200": n, ...} (non-zero
 * only; "0" is no response), "latency_ms" {count, mean, min, p50, p95, p99,
 * max} and "latency_hist" {"sub_bits", "buckets": [[index, count], ...]}
 * (non-zero only) so the state can be rebuilt with tf_fetch_stats_from_json
 * and merged. Caller frees with cJSON_Delete; NULL on allocation failure. */
cJSON *tf_fetch_stats_json(const tf_fetch_stats *s);

/* Rebuild counters from tf_fetch_stats_json output. TF_ERR_PARSE (d names
 * the key) if j is not such a state. */
tf_err tf_fetch_stats_from_json(const cJSON *j, tf_fetch_stats *out, tf_diag *d) TF_MUST_USE;

/* ---- failing fast: the circuit breaker ---- */

/* A circuit breaker watches the finished attempts of one worker (across
 * its successive clients) and trips on either rule:
 * - consecutive (> 0): the last `consecutive` attempts all failed with
 *   the same permanent cause (tf_fetch_cause_permanent; an HTTP cause is
 *   the same when the status is);
 * - rate (> 0): the last `window` attempts are known and at least
 *   rate x window of them failed, whatever the cause.
 * A tripped breaker stays tripped. Pure: no I/O, no clock. */

/* A breaker; both rules off (consecutive 0, rate 0) is valid and never
 * trips. window is at least 1 when rate > 0. Caller frees with
 * tf_fetch_breaker_free. TF_ERR_NOMEM. */
tf_err tf_fetch_breaker_create(long consecutive, double rate, long window,
                               tf_fetch_breaker **out) TF_MUST_USE;
void tf_fetch_breaker_free(tf_fetch_breaker *b); /* accepts NULL */

/* Tell the breaker one finished attempt at base_url: ok, or failed with
 * cause, status and reason (the attempt's reason, quoted when it trips).
 * Returns 1 when the breaker is tripped (now or before). */
int tf_fetch_breaker_add(tf_fetch_breaker *b, const char *base_url, int ok, tf_fetch_cause cause,
                         long status, const char *reason);

/* NULL while the breaker holds, else why it tripped: "the last 20
 * attempts at http://h:8000/v1 failed with HTTP 401 (...)". Valid while b
 * lives. */
const char *tf_fetch_breaker_why(const tf_fetch_breaker *b);

/* ---- the preflight ---- */

/* What the preflight found at one endpoint. */
typedef enum tf_fetch_verdict {
    TF_FETCH_PASSED,    /* answered well: the answer is in the cache (if any) */
    TF_FETCH_CACHED,    /* the cache holds the answer: nothing was sent */
    TF_FETCH_TRANSIENT, /* failed for a cause that may pass (429, 5xx, a timeout, ...) */
    TF_FETCH_REFUSED,   /* failed for a permanent cause: the job cannot work */
} tf_fetch_verdict;

typedef struct tf_fetch_check {
    tf_fetch_verdict verdict;
    long status;                  /* last HTTP status; 0 if none */
    tf_fetch_cause cause;         /* of the failure */
    unsigned attempts;            /* requests sent */
    double seconds;               /* from the first attempt to the verdict */
    char url[512];                /* the URL asked (base URL + path) */
    char cause_text[TF_DIAG_LEN]; /* unless PASSED or CACHED: the failure, as the
                                     server or curl said it ("HTTP 401: bad key") */
    char hint[600];               /* REFUSED: what to do about it; may be empty */
} tf_fetch_check;

/* Ask the endpoint of o (base_urls[o->ordinal % n]) for sample 0 of one
 * item, exactly as tf_fetch_submit would (the same body, hence the same
 * cache key): through the cache when o has one, so a hit sends nothing
 * and an answer is stored for the worker that needs it. Retries as usual,
 * but with fail_fast. On a 404, GET {base}/models tells an unknown model
 * from an unknown path, and a base URL without /v1 gets a suggestion.
 * TF_OK with *out filled; the client's counters (requests, retries,
 * statuses, tokens, cache hits) are added to *acc when acc is not NULL.
 * Errors only for a client that cannot be made
 * (TF_ERR_SPEC, TF_ERR_IO for the cache directory, TF_ERR_NOMEM,
 * TF_ERR_INTERNAL, with d). */
tf_err tf_fetch_preflight(const tf_fetch_opts *o, const char *prompt, uint64_t item_seed,
                          tf_fetch_check *out, tf_fetch_stats *acc, tf_diag *d) TF_MUST_USE;

/* ---- retry policy helpers (pure; exposed for tests) ---- */

/* Backoff before attempt `attempt` + 1 after `attempt` failures (>= 1):
 * full jitter, uniform in [0, min(max_ms, base_ms * 2^(attempt-1))],
 * drawn from the xorshift state *rng (advanced). */
long tf_fetch_backoff_ms(uint64_t *rng, unsigned attempt, long base_ms, long max_ms);

/* A Retry-After header value in milliseconds: delta-seconds, or an
 * HTTP-date relative to now (past dates give 0). -1 if unparseable. */
long tf_fetch_retry_after_ms(const char *value, time_t now);

#endif
