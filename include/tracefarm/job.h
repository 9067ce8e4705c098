/* job.h: the job spec: parse, check, resolve.
 *
 * A job spec is a JSON object (docs/job.md lists every key). It is checked
 * completely before any work starts: an unknown key, a wrong type, a value
 * out of range, a bad path or a corpus file that does not exist is
 * TF_ERR_SPEC with a message naming the spec file and the key (or the
 * path). Each section is checked by the module that owns it, through its
 * key table (schema.h): the top level, "fields" and "group_by" here, the
 * domain's own section by the domain table (domain.h), "stats" by the
 * statistics, "endpoint" by the fetch module.
 *
 * Resolution expands corpus globs (each pattern's matches sorted, patterns
 * in the order given) and fills every default into the spec, so the
 * resolved spec (tf_job_resolved_json) names every setting; rank 0
 * broadcasts it and every rank parses the very same job from it.
 */
#ifndef TRACEFARM_JOB_H
#define TRACEFARM_JOB_H

#include "tracefarm/domain.h"
#include "tracefarm/err.h"
#include "tracefarm/fetch.h"
#include "tracefarm/record.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Where model outputs come from ("source"). */
typedef enum tf_source_kind {
    TF_SOURCE_RECORD = 0, /* the record holds it */
    TF_SOURCE_CACHE,      /* the response cache of an earlier endpoint run; never sends */
    TF_SOURCE_ENDPOINT,   /* an OpenAI-compatible endpoint (through the cache) */
} tf_source_kind;

/* What a worker needs of a job: everything that decides an item. All of it
 * is owned by the job and valid while it lives. */
typedef struct tf_work {
    const char *const *corpus;           /* resolved corpus paths, in order */
    size_t ncorpus;                      /* at least 1 */
    size_t max_line_bytes;               /* cap on one corpus line */
    const tf_domain *dom;                /* the domain table */
    const void *dom_cfg;                 /* its configuration */
    tf_record_spec record;               /* the generic fields: id, tokens, group_by */
    tf_source_kind source;               /* where outputs come from */
    const tf_fetch_config *fetch;        /* the endpoint section (cache, endpoint); else NULL */
    const tf_path *const *prompt_fields; /* the {field:PATH} paths of the prompt template,
                                            in order (endpoint, cache) */
    size_t nprompt_fields;
    tf_stats_config stats; /* the "stats" section, resolved */
    int keep_output;       /* "keep_output": items carry the output's text */
    /* --limit (the spec's "limit"): shard cut_shard of the plan reads only its first
     * cut_records records (tf_reader_limit) and is the plan's last; set on every rank
     * from rank 0's plan (plan.h), not by the job. cut_records 0: no cut. */
    uint64_t cut_shard, cut_records;
} tf_work;

typedef struct tf_job_priv tf_job_priv; /* opaque: the resolved spec and what backs tf_work */

typedef struct tf_job {
    char *name;             /* job name */
    char *output;           /* output directory */
    long shard_items;       /* target records per shard */
    long straggler_seconds; /* 0: off (docs/resume.md) */
    double warn_share;      /* more error items or truncated responses than this share:
                               a warning and exit status 4 (docs/outputs.md) */
    uint64_t limit;         /* "limit" (or --limit): only the first limit records; 0: all */
    const char *const
        *group_by;        /* the group_by paths as written (ngroup_by = work.record.ngroup_by) */
    tf_work work;         /* what every worker needs */
    const char *warnings; /* lines for the user, each ending in '\n' (rank 0 prints them),
                             e.g. an endpoint.params key no server knows; NULL: none */
    tf_job_priv *priv;    /* owned */
} tf_job;

/* Defaults (docs/job.md). */
#define TF_JOB_DEFAULT_SHARD_ITEMS 4096L
#define TF_JOB_DEFAULT_MAX_LINE (64UL << 20)
/* Largest "limit" (2^53 - 1: exact as a JSON number). */
#define TF_JOB_MAX_LIMIT 9007199254740991L
/* Most paths in "group_by". */
#define TF_JOB_MAX_GROUP_BY 16

/* Parse and check spec text. origin names the spec in messages (a path).
 * When check_files is nonzero (rank 0), corpus globs are expanded, every
 * file must be readable and the API key variable must be set; otherwise
 * the corpus list is taken as given (the resolved spec on other ranks). On
 * error, *out is NULL and d names the key. Caller frees with tf_job_free. */
tf_err tf_job_parse(const char *text, size_t len, const char *origin, int check_files, tf_job **out,
                    tf_diag *d) TF_MUST_USE;

/* Read a spec file and parse it with check_files set. */
tf_err tf_job_load(const char *path, tf_job **out, tf_diag *d) TF_MUST_USE;

/* "tracefarm run --limit N": set the job's "limit" to n (1 to 2^53), over
 * the spec's, in the resolved spec too, so that the identity and every rank
 * see it. Call before the identity is taken. TF_ERR_SPEC for n out of
 * range, TF_ERR_NOMEM. */
tf_err tf_job_set_limit(tf_job *j, uint64_t n, tf_diag *d) TF_MUST_USE;

/* The resolved spec as compact JSON text. Caller frees with free(). */
char *tf_job_resolved_json(const tf_job *j);

/* A copy of the resolved spec (for run.json). Caller frees with
 * cJSON_Delete; NULL on allocation failure. */
cJSON *tf_job_spec(const tf_job *j);

/* The job's identity: its resolved spec less the keys that do not change
 * the outputs ("description", "output", "shard_items",
 * "straggler_seconds", "warn_share", the endpoint's base_url and its fetch
 * settings: docs/resume.md lists them), with object keys sorted. Caller frees with
 * cJSON_Delete; NULL on allocation failure. */
cJSON *tf_job_identity(const tf_job *job);

/* Describe the first difference between JSON values a (before) and b (now)
 * into buf, e.g. `key "maze.rows": 10 before, 12 now`. Returns 0 when they
 * are equal. */
int tf_json_diff(const cJSON *a, const cJSON *b, char *buf, size_t n);

void tf_job_free(tf_job *j); /* accepts NULL */

/* Append the reference of every section of a job spec, as Markdown tables
 * generated from the key tables that check them (the top level, "fields"
 * for every domain, each domain's own section, "stats", "endpoint"): what
 * "tracefarm spec" prints. */
tf_err tf_job_reference(tf_buf *out) TF_MUST_USE;

#endif
