/* stats.c: exact, mergeable counts (see stats.h). */
#include "tracefarm/stats.h"

#include <stdlib.h>
#include <string.h>

/* A small string -> count histogram, kept sorted by name so that its JSON
 * form does not depend on the order items arrived in. */
typedef struct hist_entry {
    char *name;     /* owned */
    uint64_t count; /* occurrences */
} hist_entry;

typedef struct hist {
    hist_entry *e; /* sorted by name */
    size_t n;      /* entries in use */
} hist;

/* Histograms take at most this many distinct names (codes are a closed
 * set; the cap guards against a domain gone wrong). */
#define HIST_MAX 4096

struct tf_stats {
    uint64_t items;              /* verified + errors */
    uint64_t verified;           /* items with a verdict */
    uint64_t plan_valid;         /* verified with a valid plan */
    uint64_t plan_optimal;       /* ... and optimal */
    uint64_t trace_valid;        /* reference verdict valid */
    uint64_t trace_valid_strict; /* strict verdict valid */
    uint64_t cell[2][2];         /* [plan valid][trace valid], reference */
    uint64_t cell_strict[2][2];  /* [plan valid][trace valid], strict */
    hist first_error;            /* reference first error codes */
    hist strict_first_error;     /* strict first error codes */
    hist errors;                 /* item error kinds */
};

static void hist_free(hist *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->e[i].name);
    free(h->e);
    h->e = NULL;
    h->n = 0;
}

/* Add count to name's entry, inserting it in order if new. */
static tf_err hist_add(hist *h, const char *name, uint64_t count)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(h->e[mid].name, name);
        if (c == 0) {
            h->e[mid].count += count;
            return TF_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (h->n >= HIST_MAX)
        return TF_ERR_TOO_BIG;
    hist_entry *p = realloc(h->e, (h->n + 1) * sizeof *p);
    if (!p)
        return TF_ERR_NOMEM;
    h->e = p;
    char *copy = strdup(name);
    if (!copy)
        return TF_ERR_NOMEM;
    memmove(h->e + lo + 1, h->e + lo, (h->n - lo) * sizeof *h->e);
    h->e[lo].name = copy;
    h->e[lo].count = count;
    h->n++;
    return TF_OK;
}

tf_stats *tf_stats_create(void)
{
    return calloc(1, sizeof(tf_stats));
}

void tf_stats_free(tf_stats *s)
{
    if (!s)
        return;
    hist_free(&s->first_error);
    hist_free(&s->strict_first_error);
    hist_free(&s->errors);
    free(s);
}

tf_err tf_stats_add(tf_stats *s, const tf_facts *f)
{
    s->items++;
    s->verified++;
    s->plan_valid += f->plan_valid;
    s->plan_optimal += f->plan_optimal;
    s->trace_valid += f->trace_valid;
    s->trace_valid_strict += f->trace_valid_strict;
    s->cell[f->plan_valid][f->trace_valid]++;
    s->cell_strict[f->plan_valid][f->trace_valid_strict]++;
    tf_err e = TF_OK;
    if (f->first_error)
        e = hist_add(&s->first_error, f->first_error, 1);
    if (e == TF_OK && f->strict_first_error)
        e = hist_add(&s->strict_first_error, f->strict_first_error, 1);
    return e;
}

tf_err tf_stats_add_error(tf_stats *s, const char *kind)
{
    s->items++;
    return hist_add(&s->errors, kind, 1);
}

static tf_err hist_merge(hist *into, const hist *from)
{
    for (size_t i = 0; i < from->n; i++) {
        tf_err e = hist_add(into, from->e[i].name, from->e[i].count);
        if (e != TF_OK)
            return e;
    }
    return TF_OK;
}

tf_err tf_stats_merge(tf_stats *into, const tf_stats *from)
{
    into->items += from->items;
    into->verified += from->verified;
    into->plan_valid += from->plan_valid;
    into->plan_optimal += from->plan_optimal;
    into->trace_valid += from->trace_valid;
    into->trace_valid_strict += from->trace_valid_strict;
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++) {
            into->cell[p][t] += from->cell[p][t];
            into->cell_strict[p][t] += from->cell_strict[p][t];
        }
    tf_err e = hist_merge(&into->first_error, &from->first_error);
    if (e == TF_OK)
        e = hist_merge(&into->strict_first_error, &from->strict_first_error);
    if (e == TF_OK)
        e = hist_merge(&into->errors, &from->errors);
    return e;
}

uint64_t tf_stats_items(const tf_stats *s)
{
    return s->items;
}

uint64_t tf_stats_errors(const tf_stats *s)
{
    return s->items - s->verified;
}

/* ----- state <-> JSON --------------------------------------------------- */

/* Counts stay below 2^53 (9e15 items), so JSON numbers carry them exactly. */
static int add_u64(cJSON *o, const char *k, uint64_t v)
{
    return cJSON_AddNumberToObject(o, k, (double)v) != NULL;
}

static cJSON *hist_json(const hist *h)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < h->n; i++)
        if (!add_u64(o, h->e[i].name, h->e[i].count)) {
            cJSON_Delete(o);
            return NULL;
        }
    return o;
}

static const char *const cell_names[2][2] = {
    {"invalid_plan_invalid_trace", "invalid_plan_valid_trace"},
    {"valid_plan_invalid_trace", "valid_plan_valid_trace"},
};

static cJSON *cells_json(const uint64_t c[2][2])
{
    cJSON *o = cJSON_CreateObject();
    for (int p = 1; o && p >= 0; p--)
        for (int t = 1; t >= 0; t--)
            if (!add_u64(o, cell_names[p][t], c[p][t])) {
                cJSON_Delete(o);
                return NULL;
            }
    return o;
}

cJSON *tf_stats_state_json(const tf_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = add_u64(o, "items", s->items) && add_u64(o, "verified", s->verified) &&
             add_u64(o, "plan_valid", s->plan_valid) &&
             add_u64(o, "plan_optimal", s->plan_optimal) &&
             add_u64(o, "trace_valid", s->trace_valid) &&
             add_u64(o, "trace_valid_strict", s->trace_valid_strict) &&
             cJSON_AddItemToObject(o, "cells", cells_json(s->cell)) &&
             cJSON_AddItemToObject(o, "cells_strict", cells_json(s->cell_strict)) &&
             cJSON_AddItemToObject(o, "first_error", hist_json(&s->first_error)) &&
             cJSON_AddItemToObject(o, "strict_first_error", hist_json(&s->strict_first_error)) &&
             cJSON_AddItemToObject(o, "errors", hist_json(&s->errors));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Read a non-negative integer member. */
static int get_u64(const cJSON *o, const char *k, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
        return 0;
    *out = (uint64_t)v->valuedouble;
    return 1;
}

static int hist_from(const cJSON *o, hist *h)
{
    if (!cJSON_IsObject(o))
        return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, o)
    {
        uint64_t c;
        if (!get_u64(o, e->string, &c) || hist_add(h, e->string, c) != TF_OK)
            return 0;
    }
    return 1;
}

static int cells_from(const cJSON *o, uint64_t c[2][2])
{
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++)
            if (!get_u64(o, cell_names[p][t], &c[p][t]))
                return 0;
    return 1;
}

tf_err tf_stats_from_state(const cJSON *j, tf_stats **out, tf_diag *d)
{
    *out = NULL;
    tf_stats *s = tf_stats_create();
    if (!s)
        return TF_ERR_NOMEM;
    int ok = cJSON_IsObject(j) && get_u64(j, "items", &s->items) &&
             get_u64(j, "verified", &s->verified) && get_u64(j, "plan_valid", &s->plan_valid) &&
             get_u64(j, "plan_optimal", &s->plan_optimal) &&
             get_u64(j, "trace_valid", &s->trace_valid) &&
             get_u64(j, "trace_valid_strict", &s->trace_valid_strict) &&
             cells_from(cJSON_GetObjectItemCaseSensitive(j, "cells"), s->cell) &&
             cells_from(cJSON_GetObjectItemCaseSensitive(j, "cells_strict"), s->cell_strict) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "first_error"), &s->first_error) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "strict_first_error"),
                       &s->strict_first_error) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "errors"), &s->errors) &&
             s->verified <= s->items;
    if (!ok) {
        tf_diag_set(d, "not a statistics state");
        tf_stats_free(s);
        return TF_ERR_PARSE;
    }
    *out = s;
    return TF_OK;
}

/* ----- summary ---------------------------------------------------------- */

/* {"count": n, "rate": n/den or null}. */
static cJSON *rate(uint64_t n, uint64_t den)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = add_u64(o, "count", n) &&
             (den ? cJSON_AddNumberToObject(o, "rate", (double)n / (double)den) != NULL
                  : cJSON_AddNullToObject(o, "rate") != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *cells_rates(const uint64_t c[2][2], uint64_t den)
{
    cJSON *o = cJSON_CreateObject();
    for (int p = 1; o && p >= 0; p--)
        for (int t = 1; t >= 0; t--)
            if (!cJSON_AddItemToObject(o, cell_names[p][t], rate(c[p][t], den))) {
                cJSON_Delete(o);
                return NULL;
            }
    return o;
}

cJSON *tf_stats_summary_json(const tf_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    uint64_t den = s->verified;
    int ok = add_u64(o, "items", s->items) && add_u64(o, "verified", s->verified) &&
             add_u64(o, "item_errors", s->items - s->verified) &&
             cJSON_AddItemToObject(o, "plan_valid", rate(s->plan_valid, den)) &&
             cJSON_AddItemToObject(o, "plan_optimal", rate(s->plan_optimal, den)) &&
             cJSON_AddItemToObject(o, "trace_valid", rate(s->trace_valid, den)) &&
             cJSON_AddItemToObject(o, "trace_valid_strict", rate(s->trace_valid_strict, den)) &&
             cJSON_AddItemToObject(o, "plan_x_trace", cells_rates(s->cell, den)) &&
             cJSON_AddItemToObject(o, "plan_x_trace_strict", cells_rates(s->cell_strict, den)) &&
             cJSON_AddItemToObject(o, "first_error", hist_json(&s->first_error)) &&
             cJSON_AddItemToObject(o, "strict_first_error", hist_json(&s->strict_first_error)) &&
             cJSON_AddItemToObject(o, "item_error_kinds", hist_json(&s->errors));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
