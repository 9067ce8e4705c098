/* domain.h: the domain kit. A domain is one kind of problem the farm can
 * verify (maze A* traces, arithmetic chains, Blocksworld plans); it is one file filling a const
 * tf_domain, as IOR's storage backends are, and one line in verify/registry.c.
 * docs/architecture.md, "Adding a domain", is the checklist.
 *
 * What a domain declares, and the farm does for it:
 *   - its own section of the job spec (named after the domain): a key
 *     table (schema.h) and the struct it fills; the job checks it, fills
 *     defaults and hands the struct to configure;
 *   - the record fields of its own it reads, each with a default path
 *     (record.h); the job takes their paths from "fields", compiles them
 *     and hands them to configure in the order declared. The job owns
 *     id, tokens, prompt, output, reasoning and messages: a domain does
 *     not declare them, and finds the prompt read in the record
 *     (rec->prompt, or rec->prompt_why saying why it is missing);
 *   - the word for its final answer in summaries ("plan": plan_valid).
 * What it implements: read a problem (and the model output when the record
 * holds one) from a record, write the prompt a model gets, and verify an
 * output into item fields and the facts the statistics count.
 *
 * The output a domain verifies comes in two parts (tf_parts, record.h):
 * a reasoning part, when the model gave one (an endpoint's
 * reasoning_content, a record's reasoning field, a <think> block), and the
 * answer part. The farm finds and splits them, once, for every source;
 * the domain checks steps in both parts and takes the final answer from
 * the answer part.
 *
 * Every function is pure: no MPI, no network, no files. The farm does the
 * rest: reading the corpus, the generic fields (id, tokens, group_by, the
 * prompt, the output and its reasoning), asking endpoints, splitting
 * outputs, writing items and statistics.
 */
#ifndef TRACEFARM_DOMAIN_H
#define TRACEFARM_DOMAIN_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"
#include "tracefarm/record.h"
#include "tracefarm/schema.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* A record field a domain reads: its name in the job's "fields" section
 * and the path used when the job does not say. */
typedef struct tf_field {
    const char *name; /* e.g. "prompt" */
    const char *dflt; /* default path, e.g. "prompt" */
    const char *help; /* one line for docs/job.md */
} tf_field;

typedef struct tf_domain {
    const char *name;        /* the job's "domain" value and the name of its section */
    const char *answer_noun; /* the final answer in summary keys: "plan" -> plan_valid */
    /* What the statistics count for it beyond the shared facts (stats.h),
     * string literals: its own name for the cell "valid answer, invalid
     * trace" (NULL: none), and the flags its verify may set in
     * tf_facts.flags, each counted per group in the summary's "flags". A
     * flag is set exactly when the item has a field of the flag's name
     * that is true (test_cases checks it on every data case). */
    const char *answer_false_trace;
    const char *const *flags;
    size_t nflags;

    const tf_key *keys; /* the keys of its section */
    size_t nkeys;
    size_t section_size; /* bytes of the struct they fill (zeroed first) */

    const tf_field *fields; /* the record fields it reads */
    size_t nfields;

    /* Build the domain's configuration from its checked section (a struct
     * of section_size bytes, filled by the key table; its strings are the
     * job's, valid while the job lives) and its field paths (nfields, in
     * the order of fields; borrowed for the job's life). Checks that span
     * keys go here: TF_ERR_SPEC with a message naming origin and the key.
     * *cfg is freed with free_config. */
    tf_err (*configure)(const void *section, const tf_path *const *fields, const char *origin,
                        void **cfg, tf_diag *d);
    void (*free_config)(void *cfg);

    /* Read the problem from a record (a JSON object): from rec->prompt (the
     * job's prompt field or last user message; p NULL when the record has
     * none, with the reason in rec->prompt_why) and the domain's own
     * fields. *output is set only when the domain reads the model output
     * from a field of its own (the maze's beyond text); left {NULL, 0}, the
     * job's output (rec->output and its reasoning) is verified, or, with
     * source "endpoint", a model is asked. A record the domain cannot use
     * (a missing field, a wrong type, a bad problem) is TF_ERR_PARSE with
     * the reason in d, which names the field's path. *problem is freed
     * with free_problem. */
    tf_err (*parse_record)(const void *cfg, const tf_record *rec, void **problem, tf_text *output,
                           tf_diag *d);
    void (*free_problem)(void *problem);

    /* Append the prompt a model gets for the problem. */
    tf_err (*build_prompt)(const void *cfg, const void *problem, tf_buf *out);

    /* Verify an output, given in its two parts (out, borrowed until the
     * call returns; record.h):
     *   - out->reasoning, out->reasoning_len: the reasoning part, or NULL
     *     when the output has none (then out->answer is the whole output);
     *   - out->answer, out->answer_len: the answer part (never NULL);
     *   - out->reasoning_from: where the reasoning came from ("endpoint",
     *     "field", "messages", "think"), NULL without one. The farm adds it
     *     to the item itself ("reasoning_from"): a domain need not.
     * Both parts are NUL-terminated at their lengths. Check the steps in
     * both parts and take the final answer from the answer part. Per-part
     * item fields (e.g. the steps of each part, an answer that contradicts
     * the reasoning's own last result) go only on items whose output has a
     * reasoning part, so that the items of outputs without one do not
     * change.
     *
     * Add the verdict's fields to item (an object) and fill facts (zeroed
     * by the caller; tokens is the caller's). Bad output is a verdict,
     * never an error; errors are resources (TF_ERR_NOMEM) or an output past
     * the domain's caps (TF_ERR_TOO_BIG, reason in d: the item becomes a
     * "too_big" error item). */
    tf_err (*verify)(const void *cfg, const void *problem, const tf_record *rec,
                     const tf_parts *out, cJSON *item, tf_facts *facts, tf_diag *d);
} tf_domain;

/* The domain named name, or NULL. */
const tf_domain *tf_domain_find(const char *name);

/* The domains, in registry order, NULL-terminated. */
const tf_domain *const *tf_domains(void);

/* Their names as "maze, arith" into buf (for messages). */
void tf_domain_names(char *buf, size_t n);

/* Item helpers for verify: a string or null (NULL), a count or null (< 0).
 * Return 0 when allocation fails. */
int tf_item_add_str(cJSON *item, const char *key, const char *value);
int tf_item_add_count(cJSON *item, const char *key, long value);

#endif
