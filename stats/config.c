/* config.c: the job's "stats" section: parse, validate, resolve the
 * defaults (stats.h, docs/job.md). */
#include "tracefarm/schema.h"
#include "tracefarm/stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* "deciles" or a list of 2..TF_STATS_MAX_EDGES strictly increasing finite
 * numbers (a custom key of the table below). */
static tf_err parse_bins(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_stats_bins *b = target;
    memset(b, 0, sizeof *b);
    if (cJSON_IsString(v) && strcmp(v->valuestring, "deciles") == 0) {
        b->deciles = 1;
        return TF_OK;
    }
    int ok = cJSON_IsArray(v);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!ok)
            break;
        ok = cJSON_IsNumber(e) && isfinite(e->valuedouble) && b->nedges < TF_STATS_MAX_EDGES &&
             (b->nedges == 0 || e->valuedouble > b->edges[b->nedges - 1]);
        if (ok)
            b->edges[b->nedges++] = e->valuedouble;
    }
    if (!ok || b->nedges < 2) {
        tf_diag_set(d,
                    "%s: key \"%s\" must be \"deciles\" or a list of 2 to %d strictly increasing "
                    "numbers",
                    x->origin, x->path, TF_STATS_MAX_EDGES);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* The section's values as the key table reads them. */
typedef struct section {
    tf_stats_bins complexity_bins, length_bins;
    long error_position_bins, max_pairs, max_groups;
} section;

static tf_err parse_complexity_bins(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_length_bins(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);

/* The section, with the one set of defaults (tf_stats_config_default reads
 * them from here too). */
static const tf_key keys[] = {
    {.name = "complexity_bins",
     .type = TF_KEY_CUSTOM,
     .dflt = "\"deciles\"",
     .parse = parse_complexity_bins,
     .help = "bins of complexity: \"deciles\" or a list of increasing edges"},
    {.name = "length_bins",
     .type = TF_KEY_CUSTOM,
     .dflt = "\"deciles\"",
     .parse = parse_length_bins,
     .help = "bins of trace length: \"deciles\" or a list of increasing edges"},
    {.name = "error_position_bins",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_STATS_LIMIT_ERRPOS_BINS,
     .dflt = "10",
     .offset = offsetof(section, error_position_bins),
     .help = "bins of the first error's position in the trace"},
    {.name = "max_pairs",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_STATS_LIMIT_MAX_PAIRS,
     .dflt = "16777216",
     .offset = offsetof(section, max_pairs),
     .help = "distinct (complexity, length) pairs a group keeps; past it its rank statistics "
             "are null"},
    {.name = "max_groups",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_STATS_LIMIT_MAX_GROUPS,
     .dflt = "4096",
     .offset = offsetof(section, max_groups),
     .help = "distinct group keys kept; past it only the overall group is reported"},
};

/* A custom key's parse function gets the whole target struct. */
static tf_err parse_complexity_bins(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    return parse_bins(x, v, &((section *)target)->complexity_bins, d);
}

static tf_err parse_length_bins(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    return parse_bins(x, v, &((section *)target)->length_bins, d);
}

/* Read sec (NULL: every default, nothing written back) into c. */
static tf_err apply(cJSON *sec, const char *origin, tf_stats_config *c, tf_diag *d)
{
    section v;
    memset(&v, 0, sizeof v);
    tf_schema table = {keys, sizeof keys / sizeof *keys, &v};
    tf_err err = tf_schema_apply(&table, 1, sec, "stats", origin, d);
    if (err == TF_OK) {
        c->complexity_bins = v.complexity_bins;
        c->length_bins = v.length_bins;
        c->error_position_bins = (int)v.error_position_bins;
        c->max_pairs = (uint64_t)v.max_pairs;
        c->max_groups = (uint64_t)v.max_groups;
    }
    return err;
}

const tf_key *tf_stats_config_keys(size_t *n)
{
    *n = sizeof keys / sizeof *keys;
    return keys;
}

void tf_stats_config_default(tf_stats_config *c)
{
    memset(c, 0, sizeof *c);
    c->answer_noun = TF_STATS_DEFAULT_ANSWER_NOUN;
    if (apply(NULL, "(defaults)", c, NULL) != TF_OK)
        abort(); /* the table's own defaults are valid: a bug */
}

tf_err tf_stats_config_parse(const cJSON *given, const char *origin, tf_stats_config *c,
                             cJSON **resolved, tf_diag *d)
{
    *resolved = NULL;
    tf_stats_config_default(c);
    if (given && !cJSON_IsObject(given)) {
        tf_diag_set(d, "%s: key \"stats\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    cJSON *sec = given ? cJSON_Duplicate(given, 1) : cJSON_CreateObject();
    if (!sec)
        return TF_ERR_NOMEM;
    tf_err err = apply(sec, origin, c, d);
    if (err != TF_OK) {
        cJSON_Delete(sec);
        return err;
    }
    *resolved = sec;
    return TF_OK;
}
