/* job.h: the job spec: parse, validate, resolve.
 *
 * A job spec is a JSON object (docs/job.md lists every key). Validation is
 * complete before any work starts: an unknown key, a wrong type, a value
 * out of range or a corpus file that does not exist is TF_ERR_SPEC with a
 * message naming the spec file and the key (or the path).
 *
 * Resolution expands corpus globs (each pattern's matches sorted, patterns
 * in the order given) and fills defaults; tf_job_resolved_json gives the
 * resolved spec, which rank 0 broadcasts so every rank runs the very same
 * job. The domain's own section (e.g. "maze") and "fields" are validated by
 * the domain (tf_domain.configure).
 */
#ifndef TRACEFARM_JOB_H
#define TRACEFARM_JOB_H

#include "tracefarm/err.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* The "endpoint" section (source "endpoint"), resolved; docs/job.md. */
typedef struct tf_endpoint {
    char **base_urls;          /* replicas; a worker uses (rank - 1) % n */
    size_t n_base_urls;        /* at least 1 */
    int chat;                  /* api: 0 "completions", 1 "chat" */
    char *model;               /* "model" of each request */
    char *prompt_template;     /* "{prompt}", "{field:NAME}", "{{", "}}" */
    double temperature, top_p; /* < 0: not sent */
    long max_tokens;           /* <= 0: not sent */
    char **stop;               /* n_stop stop strings */
    size_t n_stop;             /* at most 16 */
    char *extra_json;          /* other params keys as a JSON object; NULL: none */
    uint64_t seed;             /* params.seed (0 when absent); mixed into item seeds */
    int has_seed;              /* params.seed was given */
    unsigned samples;          /* samples per record */
    char *api_key_env;         /* variable holding the key; NULL: no key */
    unsigned concurrency;      /* requests in flight per worker */
    long connect_timeout_ms;   /* per attempt */
    long timeout_ms;           /* per attempt */
    unsigned max_attempts;     /* first included */
    long backoff_ms;           /* first backoff cap */
    long backoff_max_ms;       /* largest backoff and Retry-After honoured */
    double rate_limit_rps;     /* job-wide attempts per second; 0: unlimited */
    char *cache_dir;           /* response cache directory */
    size_t max_response_bytes; /* cap on one response body */
} tf_endpoint;

typedef struct tf_job {
    char *name;                  /* job name */
    char *domain;                /* verifier domain, e.g. "maze" */
    char **corpus;               /* resolved corpus paths, in order */
    size_t ncorpus;              /* number of corpus paths */
    char *output;                /* output directory */
    char *source;                /* where model outputs come from: "record", "endpoint" */
    tf_endpoint *endpoint;       /* source "endpoint": its section; else NULL */
    long shard_items;            /* target records per shard */
    size_t max_line_bytes;       /* cap on one corpus line */
    void *domain_cfg;            /* the domain's configuration (opaque) */
    const struct tf_domain *dom; /* the domain table */
    char **group_by;             /* record fields that define groups */
    size_t ngroup_by;            /* how many (0: the overall group only) */
    tf_stats_config stats;       /* the "stats" section, resolved */
    cJSON *resolved;             /* the resolved spec (owned) */
} tf_job;

/* Defaults (docs/job.md). */
#define TF_JOB_DEFAULT_SHARD_ITEMS 4096L
#define TF_JOB_DEFAULT_MAX_LINE (64UL << 20)

/* Parse and validate spec text. origin names the spec in messages (a path).
 * When check_files is nonzero, corpus globs are expanded and every file
 * must exist (rank 0); otherwise the corpus list is taken as given (the
 * resolved spec on other ranks). On error, *out is NULL and d names the
 * key. Caller frees with tf_job_free. */
tf_err tf_job_parse(const char *text, size_t len, const char *origin, int check_files, tf_job **out,
                    tf_diag *d) TF_MUST_USE;

/* Read a spec file and parse it with check_files set. */
tf_err tf_job_load(const char *path, tf_job **out, tf_diag *d) TF_MUST_USE;

/* The resolved spec as compact JSON text. Caller frees with free(). */
char *tf_job_resolved_json(const tf_job *j);

void tf_job_free(tf_job *j); /* accepts NULL */

#endif
