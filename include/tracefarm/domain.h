/* domain.h: verifier domains as plug-in tables (after IOR's backends).
 *
 * A domain knows one kind of problem: how to read it from a corpus record,
 * how to build the prompt a model would get, how to verify a model's
 * output step by step, and how complex the problem is. Each domain is one
 * file filling a const tf_domain; verify/registry.c lists them.
 *
 * The functions are pure (no MPI, no network, no files).
 */
#ifndef TRACEFARM_DOMAIN_H
#define TRACEFARM_DOMAIN_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"
#include "tracefarm/stats.h" /* tf_facts */

#include <cjson/cJSON.h>

typedef struct tf_domain {
    const char *name; /* the job's "domain" value */

    /* Validate the domain's parts of the job spec (its own section named
     * after the domain, and "fields") and fill defaults into it (so the
     * resolved spec shows them). origin names the spec in messages. On
     * success *cfg is the domain's configuration, freed by free_config. */
    tf_err (*configure)(cJSON *job, const char *origin, void **cfg, tf_diag *d);
    void (*free_config)(void *cfg);

    /* Read the problem and the model output from a record. *output points
     * into the record (valid while it lives); NULL when the record has no
     * usable output (e.g. prompt only), with the reason in d: source
     * "record" reports it, source "endpoint" ignores it. A record the domain cannot use (missing
     * field, wrong type, bad problem) is TF_ERR_PARSE with the reason in d.
     * Caller frees *problem with free_problem. */
    tf_err (*parse_record)(const void *cfg, const cJSON *record, void **problem,
                           const char **output, size_t *output_len, tf_diag *d);
    void (*free_problem)(void *problem);

    /* Append the prompt a model would get for the problem. */
    tf_err (*build_prompt)(const void *cfg, const void *problem, tf_buf *out);

    /* Verify an output: add the verdict fields to item (a JSON object) and
     * fill facts (stats.h) for the statistics. Bad output is a verdict,
     * never an error; errors are resource failures (TF_ERR_NOMEM,
     * TF_ERR_TOO_BIG). */
    tf_err (*verify)(const void *cfg, const void *problem, const cJSON *record, const char *output,
                     size_t len, cJSON *item, tf_facts *facts, tf_diag *d);
} tf_domain;

/* The domain named name, or NULL. */
const tf_domain *tf_domain_find(const char *name);

/* Comma-separated names of all domains (for messages). */
const char *tf_domain_names(void);

#endif
