/* config.c: the job's "stats" section: parse, validate, resolve the
 * defaults (stats.h, docs/job.md). */
#include "tracefarm/stats.h"

#include <math.h>
#include <string.h>

void tf_stats_config_default(tf_stats_config *c)
{
    memset(c, 0, sizeof *c);
    c->complexity_bins.deciles = 1;
    c->length_bins.deciles = 1;
    c->error_position_bins = TF_STATS_DEFAULT_ERRPOS_BINS;
    c->max_pairs = TF_STATS_DEFAULT_MAX_PAIRS;
    c->max_groups = TF_STATS_DEFAULT_MAX_GROUPS;
    c->answer_noun = TF_STATS_DEFAULT_ANSWER_NOUN;
}

/* "deciles" or a list of 2..TF_STATS_MAX_EDGES strictly increasing finite
 * numbers. */
static tf_err parse_bins(const cJSON *v, const char *key, const char *origin, tf_stats_bins *b,
                         tf_diag *d)
{
    memset(b, 0, sizeof *b);
    if (!v || (cJSON_IsString(v) && strcmp(v->valuestring, "deciles") == 0)) {
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
                    "%s: key \"stats.%s\" must be \"deciles\" or a list of 2 to %d strictly "
                    "increasing numbers",
                    origin, key, TF_STATS_MAX_EDGES);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* An optional integer member within [lo, hi]. */
static tf_err parse_int(const cJSON *o, const char *key, const char *origin, double lo, double hi,
                        double dflt, double *out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = dflt;
        return TF_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi) {
        tf_diag_set(d, "%s: key \"stats.%s\" must be an integer from %.0f to %.0f", origin, key, lo,
                    hi);
        return TF_ERR_SPEC;
    }
    *out = v->valuedouble;
    return TF_OK;
}

/* The resolved form of a bins setting. */
static cJSON *bins_spec_json(const tf_stats_bins *b)
{
    if (b->deciles)
        return cJSON_CreateString("deciles");
    return cJSON_CreateDoubleArray(b->edges, (int)b->nedges);
}

tf_err tf_stats_config_parse(const cJSON *section, const char *origin, tf_stats_config *c,
                             cJSON **resolved, tf_diag *d)
{
    static const char *const keys[] = {"complexity_bins", "length_bins", "error_position_bins",
                                       "max_pairs",       "max_groups",  NULL};
    *resolved = NULL;
    tf_stats_config_default(c);
    if (section && !cJSON_IsObject(section)) {
        tf_diag_set(d, "%s: key \"stats\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, section)
    {
        int known = 0;
        for (int k = 0; keys[k]; k++)
            known |= strcmp(e->string, keys[k]) == 0;
        if (!known) {
            tf_diag_set(d,
                        "%s: unknown key \"stats.%s\" (known: complexity_bins, length_bins, "
                        "error_position_bins, max_pairs, max_groups)",
                        origin, e->string);
            return TF_ERR_SPEC;
        }
    }
    double bins, pairs, groups;
    tf_err err = parse_bins(cJSON_GetObjectItemCaseSensitive(section, "complexity_bins"),
                            "complexity_bins", origin, &c->complexity_bins, d);
    if (err == TF_OK)
        err = parse_bins(cJSON_GetObjectItemCaseSensitive(section, "length_bins"), "length_bins",
                         origin, &c->length_bins, d);
    if (err == TF_OK)
        err = parse_int(section, "error_position_bins", origin, 1, TF_STATS_LIMIT_ERRPOS_BINS,
                        TF_STATS_DEFAULT_ERRPOS_BINS, &bins, d);
    if (err == TF_OK)
        err = parse_int(section, "max_pairs", origin, 1, (double)TF_STATS_DEFAULT_MAX_PAIRS,
                        (double)TF_STATS_DEFAULT_MAX_PAIRS, &pairs, d);
    if (err == TF_OK)
        err = parse_int(section, "max_groups", origin, 1, (double)TF_STATS_LIMIT_MAX_GROUPS,
                        (double)TF_STATS_DEFAULT_MAX_GROUPS, &groups, d);
    if (err != TF_OK)
        return err;
    c->error_position_bins = (int)bins;
    c->max_pairs = (uint64_t)pairs;
    c->max_groups = (uint64_t)groups;
    cJSON *r = cJSON_CreateObject();
    if (!r || !cJSON_AddItemToObject(r, "complexity_bins", bins_spec_json(&c->complexity_bins)) ||
        !cJSON_AddItemToObject(r, "length_bins", bins_spec_json(&c->length_bins)) ||
        !cJSON_AddNumberToObject(r, "error_position_bins", bins) ||
        !cJSON_AddNumberToObject(r, "max_pairs", pairs) ||
        !cJSON_AddNumberToObject(r, "max_groups", groups)) {
        cJSON_Delete(r);
        return TF_ERR_NOMEM;
    }
    *resolved = r;
    return TF_OK;
}
