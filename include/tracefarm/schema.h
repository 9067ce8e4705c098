/* schema.h: a section of the job spec, described once.
 *
 * Every object of the job spec (the top level, "fields", "stats",
 * "endpoint", a domain's own section) is described by a const table of
 * tf_key: name, type, range, default, help. One call checks a section
 * against its table(s) and turns it into a C struct:
 *
 *   - a member that no table knows is refused, and the message suggests
 *     the nearest known key: `job.json: unknown key "endpoint.cache_dri"
 *     (did you mean "cache_dir"?)`;
 *   - a value of the wrong type or out of range is refused, naming the key
 *     and what it must be: `key "maze.rows" must be an integer from 1 to
 *     4096`;
 *   - a missing key takes its default, which is also written into the
 *     section, so the resolved spec names every setting;
 *   - a missing key without a default is refused: `missing required key`.
 *
 * The same tables give the reference of docs/job.md (tf_schema_doc), so
 * parsing, defaults and documentation cannot drift apart.
 */
#ifndef TRACEFARM_SCHEMA_H
#define TRACEFARM_SCHEMA_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Flags of a key. */
#define TF_KEY_OPTIONAL 1u /* no default and not required: absent is fine, nothing written */
#define TF_KEY_NULLABLE 2u /* null is accepted and stores nothing */

typedef enum tf_key_type {
    TF_KEY_STRING,  /* a non-empty string -> char * (owned, freed by tf_schema_free) */
    TF_KEY_INT,     /* an integer within [lo, hi] -> long */
    TF_KEY_NUMBER,  /* a number within [lo, hi] -> double */
    TF_KEY_BOOL,    /* true or false -> int */
    TF_KEY_CHOICE,  /* one of choices (strings) -> int, its index */
    TF_KEY_SECTION, /* an object checked by someone else (e.g. "endpoint") -> nothing */
    TF_KEY_CUSTOM,  /* any value, checked by the key's parse function */
} tf_key_type;

/* What a custom key's parse function gets. */
typedef struct tf_key_ctx {
    const char *origin; /* IN: the spec's name for messages, e.g. "job.json" */
    const char *path;   /* IN: the key's full name, e.g. "endpoint.base_url" */
    cJSON *section;     /* IN/OUT: the section being checked (may be amended) */
} tf_key_ctx;

typedef struct tf_key {
    const char *name; /* the member's name */
    tf_key_type type;
    double lo, hi; /* TF_KEY_INT and TF_KEY_NUMBER: the inclusive range */
    /* The default as JSON text ("30", "\"auto\"", "[]", "null"), or NULL:
     * the key is required unless flags has TF_KEY_OPTIONAL. A null default
     * (with TF_KEY_NULLABLE) stores nothing: the field keeps its zero. */
    const char *dflt;
    const char *const *choices; /* TF_KEY_CHOICE: NULL-terminated names */
    unsigned flags;             /* TF_KEY_OPTIONAL, TF_KEY_NULLABLE */
    size_t offset;              /* where the value goes in the target struct */
    /* TF_KEY_CUSTOM: check v (NULL when absent and there is no default)
     * and store into target. Refusals are TF_ERR_SPEC with a message in d
     * that names ctx->path. */
    tf_err (*parse)(const tf_key_ctx *ctx, cJSON *v, void *target, tf_diag *d);
    const char *help; /* one line for the documentation */
} tf_key;

/* One table and the struct its values go to. */
typedef struct tf_schema {
    const tf_key *keys; /* IN */
    size_t nkeys;
    void *target; /* OUT: the struct the offsets point into (NULL: check only) */
} tf_schema;

/* Check section against the union of n tables: every member must be a key
 * of one of them; then each table's keys are read into its target, and
 * missing defaults are added to the section (after the given members, in
 * table order). section may be NULL when the whole section is absent
 * (then nothing is written back). path names the section in messages ("":
 * the top level, else e.g. "endpoint"), origin the spec. On error d says
 * which key and why (TF_ERR_SPEC) and the targets may be partly filled:
 * free them with tf_schema_free. */
tf_err tf_schema_apply(const tf_schema *tables, size_t n, cJSON *section, const char *path,
                       const char *origin, tf_diag *d) TF_MUST_USE;

/* Free the strings a table stored into target (TF_KEY_STRING members) and
 * set them to NULL. */
void tf_schema_free(const tf_key *keys, size_t nkeys, void *target);

/* The known key nearest to name (edit distance), or NULL when none is
 * close enough to be a likely typo. */
const char *tf_schema_nearest(const tf_key *keys, size_t nkeys, const char *name);

/* The same over a NULL-terminated list of names (e.g. the sampling
 * parameters servers know, fetch.h). */
const char *tf_schema_nearest_name(const char *const *names, const char *name);

/* Append the rows of a Markdown table of the keys (key, type, default,
 * meaning; TF_SCHEMA_DOC_HEAD is its head) to out, each key prefixed by
 * prefix (e.g. "endpoint."). */
#define TF_SCHEMA_DOC_HEAD "| key | type | default | meaning |\n|---|---|---|---|\n"
tf_err tf_schema_doc(const tf_key *keys, size_t nkeys, const char *prefix, tf_buf *out) TF_MUST_USE;

#endif
