/* stats.c: exact, mergeable statistics per group (see stats.h and
 * docs/statistics.md). The arithmetic on merged states is in stats_num.c. */
#include "tracefarm/stats.h"

#include "stats_num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- configuration ---------------------------------------------------- */

void tf_stats_config_default(tf_stats_config *c)
{
    memset(c, 0, sizeof *c);
    c->complexity_bins.deciles = 1;
    c->length_bins.deciles = 1;
    c->error_position_bins = TF_STATS_DEFAULT_ERRPOS_BINS;
    c->max_pairs = TF_STATS_DEFAULT_MAX_PAIRS;
    c->max_groups = TF_STATS_DEFAULT_MAX_GROUPS;
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

/* ----- histograms of names ---------------------------------------------- */

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

static tf_err hist_merge(hist *into, const hist *from)
{
    for (size_t i = 0; i < from->n; i++) {
        tf_err e = hist_add(into, from->e[i].name, from->e[i].count);
        if (e != TF_OK)
            return e;
    }
    return TF_OK;
}

/* ----- moments and count tables ----------------------------------------- */

/* Exact sums of one variable. */
typedef struct mom1 {
    uint64_t n;        /* values */
    tf_u128 s, ss;     /* sum, sum of squares */
    uint64_t min, max; /* 0 when n == 0 */
} mom1;

/* Exact sums of a pair of variables (x complexity, y length). */
typedef struct mom2 {
    uint64_t n;
    tf_u128 sx, sy, sxx, syy, sxy;
} mom2;

static void mom1_add(mom1 *m, uint64_t v)
{
    if (m->n == 0 || v < m->min)
        m->min = v;
    if (m->n == 0 || v > m->max)
        m->max = v;
    m->n++;
    m->s += v;
    m->ss += (tf_u128)v * v;
}

static void mom1_merge(mom1 *into, const mom1 *from)
{
    if (from->n == 0)
        return;
    if (into->n == 0 || from->min < into->min)
        into->min = from->min;
    if (into->n == 0 || from->max > into->max)
        into->max = from->max;
    into->n += from->n;
    into->s += from->s;
    into->ss += from->ss;
}

static void mom2_add(mom2 *m, uint64_t x, uint64_t y)
{
    m->n++;
    m->sx += x;
    m->sy += y;
    m->sxx += (tf_u128)x * x;
    m->syy += (tf_u128)y * y;
    m->sxy += (tf_u128)x * y;
}

static void mom2_merge(mom2 *into, const mom2 *from)
{
    into->n += from->n;
    into->sx += from->sx;
    into->sy += from->sy;
    into->sxx += from->sxx;
    into->syy += from->syy;
    into->sxy += from->sxy;
}

/* Counts kept per (complexity, length) pair. */
enum { PC_N, PC_TV, PC_PV, PC_PVTV, PC_TVS, NPC };

/* Complexity of a pair whose complexity is unknown (sorts last). */
#define X_NONE 0xFFFFFFFFULL
/* Empty hash slot (y is never 2^32 - 1). */
#define KEY_EMPTY UINT64_MAX

typedef struct pent {
    uint64_t key;    /* x << 32 | y (or the value, for token tables) */
    uint64_t c[NPC]; /* counts; token tables use c[PC_N] only */
} pent;

/* An open-addressing hash table of distinct keys. */
typedef struct ptab {
    pent *e;      /* slots (power of two), KEY_EMPTY when free */
    size_t slots; /* allocated slots */
    size_t n;     /* distinct keys */
    int overflow; /* more than max_pairs distinct keys: table dropped */
} ptab;

static void ptab_free(ptab *t)
{
    free(t->e);
    t->e = NULL;
    t->slots = t->n = 0;
}

static size_t ptab_hash(uint64_t k, size_t mask)
{
    k ^= k >> 31;
    k *= 0x7fb5d329728ea185ULL;
    k ^= k >> 27;
    k *= 0x81dadef4bc2dd44dULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static tf_err ptab_grow(ptab *t)
{
    size_t ns = t->slots ? t->slots * 2 : 64;
    pent *e = malloc(ns * sizeof *e);
    if (!e)
        return TF_ERR_NOMEM;
    for (size_t i = 0; i < ns; i++)
        e[i].key = KEY_EMPTY;
    for (size_t i = 0; i < t->slots; i++) {
        if (t->e[i].key == KEY_EMPTY)
            continue;
        size_t h = ptab_hash(t->e[i].key, ns - 1);
        while (e[h].key != KEY_EMPTY)
            h = (h + 1) & (ns - 1);
        e[h] = t->e[i];
    }
    free(t->e);
    t->e = e;
    t->slots = ns;
    return TF_OK;
}

/* Add counts c to key. A new key past cap drops the table (overflow). */
static tf_err ptab_add(ptab *t, uint64_t key, const uint64_t c[NPC], uint64_t cap)
{
    if (t->overflow)
        return TF_OK;
    if (t->slots) {
        size_t h = ptab_hash(key, t->slots - 1);
        while (t->e[h].key != KEY_EMPTY) {
            if (t->e[h].key == key) {
                for (int i = 0; i < NPC; i++)
                    t->e[h].c[i] += c[i];
                return TF_OK;
            }
            h = (h + 1) & (t->slots - 1);
        }
    }
    if (t->n >= cap) {
        ptab_free(t);
        t->overflow = 1;
        return TF_OK;
    }
    if (2 * (t->n + 1) > t->slots) {
        tf_err err = ptab_grow(t);
        if (err != TF_OK)
            return err;
    }
    size_t h = ptab_hash(key, t->slots - 1);
    while (t->e[h].key != KEY_EMPTY)
        h = (h + 1) & (t->slots - 1);
    t->e[h].key = key;
    memcpy(t->e[h].c, c, sizeof t->e[h].c);
    t->n++;
    return TF_OK;
}

static tf_err ptab_merge(ptab *into, const ptab *from, uint64_t cap)
{
    if (from->overflow) {
        ptab_free(into);
        into->overflow = 1;
    }
    for (size_t i = 0; !into->overflow && i < from->slots; i++)
        if (from->e[i].key != KEY_EMPTY) {
            tf_err err = ptab_add(into, from->e[i].key, from->e[i].c, cap);
            if (err != TF_OK)
                return err;
        }
    return TF_OK;
}

static int cmp_pent_key(const void *a, const void *b)
{
    uint64_t x = ((const pent *)a)->key, y = ((const pent *)b)->key;
    return (x > y) - (x < y);
}

/* The entries of t sorted by key (caller frees; *k entries). NULL with
 * *k == 0 for an empty table; NULL with *k != 0 when memory is short. */
static pent *ptab_sorted(const ptab *t, size_t *k)
{
    *k = t->n;
    if (t->n == 0)
        return NULL;
    pent *a = malloc(t->n * sizeof *a);
    if (!a)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < t->slots; i++)
        if (t->e[i].key != KEY_EMPTY)
            a[j++] = t->e[i];
    qsort(a, j, sizeof *a, cmp_pent_key);
    return a;
}

/* ----- groups ----------------------------------------------------------- */

/* Endpoint accounting of a group (source "endpoint"), in grp.ep. */
enum {
    EP_SAMPLES,    /* samples requested */
    EP_FAILED,     /* of which failed after every attempt */
    EP_TRUNCATED,  /* responses cut by max_tokens */
    EP_NO_USAGE,   /* responses without usage.prompt/completion_tokens */
    EP_PROMPT,     /* sum of usage.prompt_tokens */
    EP_COMPLETION, /* sum of usage.completion_tokens */
    EP_REASONING,  /* sum of usage.completion_tokens_details.reasoning_tokens */
    EP_N
};
static const char *const ep_names[EP_N] = {
    "samples",       "fetch_failures",    "truncated",       "responses_without_usage",
    "prompt_tokens", "completion_tokens", "reasoning_tokens"};

/* Everything known of one group (the overall group has key NULL). */
typedef struct grp {
    char *key;                   /* group_by values as JSON text; owned */
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
    mom1 len;                    /* trace length, every verified item */
    mom1 cx;                     /* complexity, where known */
    mom1 tok;                    /* tokens, where known */
    mom2 lc;                     /* (complexity, length), complexity known */
    ptab pairs;                  /* (complexity or X_NONE, length) counts */
    ptab toks;                   /* tokens -> count */
    uint64_t *errpos;            /* first-error position bins */
    int nerrpos;                 /* how many */
    uint64_t errpos_n;           /* items with a first error step */
    uint64_t errpos_empty;       /* ... whose trace is empty */
    uint64_t ep[EP_N];           /* endpoint samples: counts and usage sums (EP_*) */
} grp;

struct tf_stats {
    tf_stats_config cfg; /* bins and caps */
    grp all;             /* the overall group */
    grp **groups;        /* sorted by key (strcmp) */
    size_t ngroups;      /* in use */
    int groups_overflow; /* more than cfg.max_groups keys: groups dropped */
};

static void grp_free(grp *g)
{
    if (!g)
        return;
    free(g->key);
    hist_free(&g->first_error);
    hist_free(&g->strict_first_error);
    hist_free(&g->errors);
    ptab_free(&g->pairs);
    ptab_free(&g->toks);
    free(g->errpos);
}

static tf_err grp_init(grp *g, int nerrpos)
{
    memset(g, 0, sizeof *g);
    g->nerrpos = nerrpos;
    g->errpos = calloc((size_t)nerrpos, sizeof *g->errpos);
    return g->errpos ? TF_OK : TF_ERR_NOMEM;
}

/* A value counted by the statistics, or -1 (unknown / out of range). */
static long long counted(long v)
{
    return v >= 0 && (unsigned long)v <= TF_STATS_MAX_VALUE ? (long long)v : -1;
}

static tf_err grp_add(grp *g, const tf_facts *f, uint64_t cap)
{
    uint64_t y = (uint64_t)f->trace_len;
    long long x = counted(f->complexity), t = counted(f->tokens);
    g->items++;
    g->verified++;
    g->plan_valid += f->answer_valid;
    g->plan_optimal += f->answer_optimal;
    g->trace_valid += f->trace_valid;
    g->trace_valid_strict += f->trace_valid_strict;
    g->cell[f->answer_valid][f->trace_valid]++;
    g->cell_strict[f->answer_valid][f->trace_valid_strict]++;
    mom1_add(&g->len, y);
    if (x >= 0) {
        mom1_add(&g->cx, (uint64_t)x);
        mom2_add(&g->lc, (uint64_t)x, y);
    }
    if (!f->trace_valid && f->first_error_step >= 0) {
        g->errpos_n++;
        if (y == 0) {
            g->errpos_empty++;
        } else {
            /* bin floor(step / len * B), the end of the trace in the last */
            tf_u128 b = (tf_u128)(uint64_t)f->first_error_step * (unsigned)g->nerrpos / y;
            g->errpos[b >= (unsigned)g->nerrpos ? g->nerrpos - 1 : (int)b]++;
        }
    }
    uint64_t c[NPC] = {1, f->trace_valid, f->answer_valid, f->answer_valid && f->trace_valid,
                       f->trace_valid_strict};
    tf_err e = ptab_add(&g->pairs, (x >= 0 ? (uint64_t)x : X_NONE) << 32 | y, c, cap);
    if (e == TF_OK && t >= 0) {
        uint64_t one[NPC] = {1, 0, 0, 0, 0};
        mom1_add(&g->tok, (uint64_t)t);
        e = ptab_add(&g->toks, (uint64_t)t, one, cap);
    }
    if (e == TF_OK && f->first_error)
        e = hist_add(&g->first_error, f->first_error, 1);
    if (e == TF_OK && f->strict_first_error)
        e = hist_add(&g->strict_first_error, f->strict_first_error, 1);
    return e;
}

static tf_err grp_merge(grp *into, const grp *from, uint64_t cap)
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
    mom1_merge(&into->len, &from->len);
    mom1_merge(&into->cx, &from->cx);
    mom1_merge(&into->tok, &from->tok);
    mom2_merge(&into->lc, &from->lc);
    for (int i = 0; i < into->nerrpos; i++)
        into->errpos[i] += from->errpos[i];
    into->errpos_n += from->errpos_n;
    into->errpos_empty += from->errpos_empty;
    for (int i = 0; i < EP_N; i++)
        into->ep[i] += from->ep[i];
    tf_err e = ptab_merge(&into->pairs, &from->pairs, cap);
    if (e == TF_OK)
        e = ptab_merge(&into->toks, &from->toks, cap);
    if (e == TF_OK)
        e = hist_merge(&into->first_error, &from->first_error);
    if (e == TF_OK)
        e = hist_merge(&into->strict_first_error, &from->strict_first_error);
    if (e == TF_OK)
        e = hist_merge(&into->errors, &from->errors);
    return e;
}

tf_stats *tf_stats_create_with(const tf_stats_config *c)
{
    tf_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *c;
    if (s->cfg.error_position_bins < 1 || s->cfg.error_position_bins > TF_STATS_LIMIT_ERRPOS_BINS)
        s->cfg.error_position_bins = TF_STATS_DEFAULT_ERRPOS_BINS;
    if (grp_init(&s->all, s->cfg.error_position_bins) != TF_OK) {
        free(s);
        return NULL;
    }
    return s;
}

tf_stats *tf_stats_create(void)
{
    tf_stats_config c;
    tf_stats_config_default(&c);
    return tf_stats_create_with(&c);
}

static void drop_groups(tf_stats *s)
{
    for (size_t i = 0; i < s->ngroups; i++) {
        grp_free(s->groups[i]);
        free(s->groups[i]);
    }
    free(s->groups);
    s->groups = NULL;
    s->ngroups = 0;
}

void tf_stats_free(tf_stats *s)
{
    if (!s)
        return;
    drop_groups(s);
    grp_free(&s->all);
    free(s);
}

/* The group of key, created if new; NULL with *err == TF_OK when groups
 * are (or have just been) dropped for overflow. */
static grp *group_of(tf_stats *s, const char *key, tf_err *err)
{
    *err = TF_OK;
    if (s->groups_overflow)
        return NULL;
    size_t lo = 0, hi = s->ngroups;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->groups[mid]->key, key);
        if (c == 0)
            return s->groups[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->ngroups >= s->cfg.max_groups) {
        drop_groups(s);
        s->groups_overflow = 1;
        return NULL;
    }
    grp **p = realloc(s->groups, (s->ngroups + 1) * sizeof *p);
    if (!p) {
        *err = TF_ERR_NOMEM;
        return NULL;
    }
    s->groups = p;
    grp *g = malloc(sizeof *g);
    if (!g || grp_init(g, s->cfg.error_position_bins) != TF_OK || !(g->key = strdup(key))) {
        if (g)
            grp_free(g);
        free(g);
        *err = TF_ERR_NOMEM;
        return NULL;
    }
    memmove(s->groups + lo + 1, s->groups + lo, (s->ngroups - lo) * sizeof *s->groups);
    s->groups[lo] = g;
    s->ngroups++;
    return g;
}

tf_err tf_stats_add_keyed(tf_stats *s, const char *key, const tf_facts *f)
{
    if (f->trace_len < 0 || (unsigned long)f->trace_len > TF_STATS_MAX_VALUE)
        return TF_ERR_TOO_BIG;
    tf_err e = grp_add(&s->all, f, s->cfg.max_pairs);
    if (e == TF_OK && key) {
        grp *g = group_of(s, key, &e);
        if (g)
            e = grp_add(g, f, s->cfg.max_pairs);
    }
    return e;
}

tf_err tf_stats_add(tf_stats *s, const tf_facts *f)
{
    return tf_stats_add_keyed(s, NULL, f);
}

tf_err tf_stats_add_error_keyed(tf_stats *s, const char *key, const char *kind)
{
    s->all.items++;
    tf_err e = hist_add(&s->all.errors, kind, 1);
    if (e == TF_OK && key) {
        grp *g = group_of(s, key, &e);
        if (g) {
            g->items++;
            e = hist_add(&g->errors, kind, 1);
        }
    }
    return e;
}

tf_err tf_stats_add_error(tf_stats *s, const char *kind)
{
    return tf_stats_add_error_keyed(s, NULL, kind);
}

/* Add one endpoint sample's outcome and usage to g. */
static void grp_add_sample(grp *g, const tf_sample_usage *u)
{
    g->ep[EP_SAMPLES]++;
    if (u->failed) {
        g->ep[EP_FAILED]++;
        return;
    }
    g->ep[EP_TRUNCATED] += u->truncated;
    if (u->prompt_tokens < 0 || u->completion_tokens < 0)
        g->ep[EP_NO_USAGE]++;
    if (u->prompt_tokens > 0)
        g->ep[EP_PROMPT] += (uint64_t)u->prompt_tokens;
    if (u->completion_tokens > 0)
        g->ep[EP_COMPLETION] += (uint64_t)u->completion_tokens;
    if (u->reasoning_tokens > 0)
        g->ep[EP_REASONING] += (uint64_t)u->reasoning_tokens;
}

tf_err tf_stats_add_sample_keyed(tf_stats *s, const char *key, const tf_sample_usage *u)
{
    grp_add_sample(&s->all, u);
    tf_err e = TF_OK;
    if (key) {
        grp *g = group_of(s, key, &e);
        if (g)
            grp_add_sample(g, u);
    }
    return e;
}

tf_err tf_stats_merge(tf_stats *into, const tf_stats *from)
{
    if (into->cfg.error_position_bins != from->cfg.error_position_bins)
        return TF_ERR_PARSE;
    tf_err e = grp_merge(&into->all, &from->all, into->cfg.max_pairs);
    if (from->groups_overflow && !into->groups_overflow) {
        drop_groups(into);
        into->groups_overflow = 1;
    }
    for (size_t i = 0; e == TF_OK && i < from->ngroups; i++) {
        grp *g = group_of(into, from->groups[i]->key, &e);
        if (g)
            e = grp_merge(g, from->groups[i], into->cfg.max_pairs);
    }
    return e;
}

uint64_t tf_stats_items(const tf_stats *s)
{
    return s->all.items;
}

uint64_t tf_stats_errors(const tf_stats *s)
{
    return s->all.items - s->all.verified;
}

size_t tf_stats_groups(const tf_stats *s, int *overflow)
{
    *overflow = s->groups_overflow;
    return s->ngroups;
}

/* ----- state <-> JSON --------------------------------------------------- */

/* Counts stay below 2^53 (9e15 items), so JSON numbers carry them exactly. */
static int add_u64(cJSON *o, const char *k, uint64_t v)
{
    return cJSON_AddNumberToObject(o, k, (double)v) != NULL;
}

/* A 128-bit integer as decimal text. */
static cJSON *u128_json(tf_u128 v)
{
    char buf[48], *p = buf + sizeof buf - 1;
    *p = '\0';
    do {
        *--p = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    return cJSON_CreateString(p);
}

static int u128_from(const cJSON *j, tf_u128 *out)
{
    if (!cJSON_IsString(j) || !j->valuestring[0] || strlen(j->valuestring) > 39)
        return 0;
    tf_u128 v = 0;
    for (const char *p = j->valuestring; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        tf_u128 nv = v * 10 + (unsigned)(*p - '0');
        if (nv / 10 != v)
            return 0;
        v = nv;
    }
    *out = v;
    return 1;
}

/* A non-negative integer below 2^53 from a JSON number. */
static int u64_from(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != floor(v->valuedouble))
        return 0;
    *out = (uint64_t)v->valuedouble;
    return 1;
}

static int get_u64(const cJSON *o, const char *k, uint64_t *out)
{
    return u64_from(cJSON_GetObjectItemCaseSensitive(o, k), out);
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

static int hist_from(const cJSON *o, hist *h)
{
    if (!cJSON_IsObject(o))
        return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, o)
    {
        uint64_t c;
        if (!u64_from(e, &c) || hist_add(h, e->string, c) != TF_OK)
            return 0;
    }
    return 1;
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

static int cells_from(const cJSON *o, uint64_t c[2][2])
{
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++)
            if (!get_u64(o, cell_names[p][t], &c[p][t]))
                return 0;
    return 1;
}

/* [n, "s", "ss", min, max] */
static cJSON *mom1_json(const mom1 *m)
{
    cJSON *a = cJSON_CreateArray();
    if (a && cJSON_AddItemToArray(a, cJSON_CreateNumber((double)m->n)) &&
        cJSON_AddItemToArray(a, u128_json(m->s)) && cJSON_AddItemToArray(a, u128_json(m->ss)) &&
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)m->min)) &&
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)m->max)))
        return a;
    cJSON_Delete(a);
    return NULL;
}

static int mom1_from(const cJSON *a, mom1 *m)
{
    return cJSON_GetArraySize(a) == 5 && u64_from(cJSON_GetArrayItem(a, 0), &m->n) &&
           u128_from(cJSON_GetArrayItem(a, 1), &m->s) &&
           u128_from(cJSON_GetArrayItem(a, 2), &m->ss) &&
           u64_from(cJSON_GetArrayItem(a, 3), &m->min) &&
           u64_from(cJSON_GetArrayItem(a, 4), &m->max) && m->min <= m->max;
}

/* [n, "sx", "sy", "sxx", "syy", "sxy"] */
static cJSON *mom2_json(const mom2 *m)
{
    cJSON *a = cJSON_CreateArray();
    if (a && cJSON_AddItemToArray(a, cJSON_CreateNumber((double)m->n)) &&
        cJSON_AddItemToArray(a, u128_json(m->sx)) && cJSON_AddItemToArray(a, u128_json(m->sy)) &&
        cJSON_AddItemToArray(a, u128_json(m->sxx)) && cJSON_AddItemToArray(a, u128_json(m->syy)) &&
        cJSON_AddItemToArray(a, u128_json(m->sxy)))
        return a;
    cJSON_Delete(a);
    return NULL;
}

static int mom2_from(const cJSON *a, mom2 *m)
{
    return cJSON_GetArraySize(a) == 6 && u64_from(cJSON_GetArrayItem(a, 0), &m->n) &&
           u128_from(cJSON_GetArrayItem(a, 1), &m->sx) &&
           u128_from(cJSON_GetArrayItem(a, 2), &m->sy) &&
           u128_from(cJSON_GetArrayItem(a, 3), &m->sxx) &&
           u128_from(cJSON_GetArrayItem(a, 4), &m->syy) &&
           u128_from(cJSON_GetArrayItem(a, 5), &m->sxy);
}

/* A table as [[key parts..., counts...], ...] sorted by key, or null when
 * it overflowed. Pair tables: [x or -1, y, n, tv, pv, pvtv, tvs]; token
 * tables: [t, n]. */
static cJSON *ptab_json(const ptab *t, int pairs)
{
    if (t->overflow)
        return cJSON_CreateNull();
    size_t k;
    pent *a = ptab_sorted(t, &k);
    if (!a && k)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < k; i++) {
        double row[2 + NPC];
        int m = 0;
        if (pairs) {
            uint64_t x = a[i].key >> 32;
            row[m++] = x == X_NONE ? -1.0 : (double)x;
            row[m++] = (double)(a[i].key & 0xFFFFFFFFULL);
            for (int c = 0; c < NPC; c++)
                row[m++] = (double)a[i].c[c];
        } else {
            row[m++] = (double)a[i].key;
            row[m++] = (double)a[i].c[PC_N];
        }
        if (!cJSON_AddItemToArray(arr, cJSON_CreateDoubleArray(row, m))) {
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    free(a);
    return arr;
}

static int ptab_from(const cJSON *arr, ptab *t, int pairs)
{
    if (cJSON_IsNull(arr)) {
        t->overflow = 1;
        return 1;
    }
    if (!cJSON_IsArray(arr))
        return 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, arr)
    {
        uint64_t c[NPC] = {0, 0, 0, 0, 0}, key, y;
        if (pairs) {
            const cJSON *xj = cJSON_GetArrayItem(row, 0);
            uint64_t x = X_NONE;
            int xok = (cJSON_IsNumber(xj) && xj->valuedouble == -1.0) ||
                      (u64_from(xj, &x) && x <= TF_STATS_MAX_VALUE);
            if (cJSON_GetArraySize(row) != 2 + NPC || !xok)
                return 0;
            if (!u64_from(cJSON_GetArrayItem(row, 1), &y) || y > TF_STATS_MAX_VALUE)
                return 0;
            for (int i = 0; i < NPC; i++)
                if (!u64_from(cJSON_GetArrayItem(row, 2 + i), &c[i]))
                    return 0;
            key = x << 32 | y;
        } else {
            if (cJSON_GetArraySize(row) != 2 || !u64_from(cJSON_GetArrayItem(row, 0), &key) ||
                key > TF_STATS_MAX_VALUE || !u64_from(cJSON_GetArrayItem(row, 1), &c[PC_N]))
                return 0;
        }
        if (c[PC_N] == 0 || ptab_add(t, key, c, UINT64_MAX) != TF_OK)
            return 0;
    }
    return 1;
}

static cJSON *grp_state_json(const grp *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ep = cJSON_CreateArray();
    for (int i = 0; ep && i < g->nerrpos; i++)
        if (!cJSON_AddItemToArray(ep, cJSON_CreateNumber((double)g->errpos[i]))) {
            cJSON_Delete(ep);
            ep = NULL;
        }
    int ok = o && ep && (!g->key || cJSON_AddStringToObject(o, "key", g->key)) &&
             add_u64(o, "items", g->items) && add_u64(o, "verified", g->verified) &&
             add_u64(o, "plan_valid", g->plan_valid) &&
             add_u64(o, "plan_optimal", g->plan_optimal) &&
             add_u64(o, "trace_valid", g->trace_valid) &&
             add_u64(o, "trace_valid_strict", g->trace_valid_strict) &&
             cJSON_AddItemToObject(o, "cells", cells_json(g->cell)) &&
             cJSON_AddItemToObject(o, "cells_strict", cells_json(g->cell_strict)) &&
             cJSON_AddItemToObject(o, "first_error", hist_json(&g->first_error)) &&
             cJSON_AddItemToObject(o, "strict_first_error", hist_json(&g->strict_first_error)) &&
             cJSON_AddItemToObject(o, "errors", hist_json(&g->errors)) &&
             cJSON_AddItemToObject(o, "len", mom1_json(&g->len)) &&
             cJSON_AddItemToObject(o, "cx", mom1_json(&g->cx)) &&
             cJSON_AddItemToObject(o, "tok", mom1_json(&g->tok)) &&
             cJSON_AddItemToObject(o, "lc", mom2_json(&g->lc)) &&
             cJSON_AddItemToObject(o, "pairs", ptab_json(&g->pairs, 1)) &&
             cJSON_AddItemToObject(o, "tokens", ptab_json(&g->toks, 0)) &&
             cJSON_AddItemToObject(o, "errpos", ep) && add_u64(o, "errpos_n", g->errpos_n) &&
             add_u64(o, "errpos_empty", g->errpos_empty);
    cJSON *epj = ok ? cJSON_AddObjectToObject(o, "endpoint") : NULL;
    ok = ok && epj;
    for (int i = 0; ok && i < EP_N; i++)
        ok = add_u64(epj, ep_names[i], g->ep[i]);
    if (!ok) {
        if (o && !cJSON_GetObjectItemCaseSensitive(o, "errpos"))
            cJSON_Delete(ep);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int grp_from_state(const cJSON *j, grp *g)
{
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(j, "errpos");
    int ok = cJSON_IsObject(j) && get_u64(j, "items", &g->items) &&
             get_u64(j, "verified", &g->verified) && get_u64(j, "plan_valid", &g->plan_valid) &&
             get_u64(j, "plan_optimal", &g->plan_optimal) &&
             get_u64(j, "trace_valid", &g->trace_valid) &&
             get_u64(j, "trace_valid_strict", &g->trace_valid_strict) &&
             cells_from(cJSON_GetObjectItemCaseSensitive(j, "cells"), g->cell) &&
             cells_from(cJSON_GetObjectItemCaseSensitive(j, "cells_strict"), g->cell_strict) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "first_error"), &g->first_error) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "strict_first_error"),
                       &g->strict_first_error) &&
             hist_from(cJSON_GetObjectItemCaseSensitive(j, "errors"), &g->errors) &&
             mom1_from(cJSON_GetObjectItemCaseSensitive(j, "len"), &g->len) &&
             mom1_from(cJSON_GetObjectItemCaseSensitive(j, "cx"), &g->cx) &&
             mom1_from(cJSON_GetObjectItemCaseSensitive(j, "tok"), &g->tok) &&
             mom2_from(cJSON_GetObjectItemCaseSensitive(j, "lc"), &g->lc) &&
             ptab_from(cJSON_GetObjectItemCaseSensitive(j, "pairs"), &g->pairs, 1) &&
             ptab_from(cJSON_GetObjectItemCaseSensitive(j, "tokens"), &g->toks, 0) &&
             cJSON_GetArraySize(ep) == g->nerrpos && get_u64(j, "errpos_n", &g->errpos_n) &&
             get_u64(j, "errpos_empty", &g->errpos_empty) && g->verified <= g->items &&
             g->len.n == g->verified;
    for (int i = 0; ok && i < g->nerrpos; i++)
        ok = u64_from(cJSON_GetArrayItem(ep, i), &g->errpos[i]);
    /* "endpoint" is absent from states of older parts: zeros */
    const cJSON *epj = cJSON_GetObjectItemCaseSensitive(j, "endpoint");
    for (int i = 0; ok && epj && i < EP_N; i++)
        ok = get_u64(epj, ep_names[i], &g->ep[i]);
    return ok;
}

cJSON *tf_stats_state_json(const tf_stats *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *groups = cJSON_CreateArray();
    for (size_t i = 0; groups && i < s->ngroups; i++)
        if (!cJSON_AddItemToArray(groups, grp_state_json(s->groups[i]))) {
            cJSON_Delete(groups);
            groups = NULL;
        }
    if (!o || !groups || !add_u64(o, "error_position_bins", (uint64_t)s->cfg.error_position_bins) ||
        !cJSON_AddItemToObject(o, "overall", grp_state_json(&s->all)) ||
        !cJSON_AddBoolToObject(o, "groups_overflow", s->groups_overflow)) {
        cJSON_Delete(o);
        cJSON_Delete(groups);
        return NULL;
    }
    cJSON_AddItemToObject(o, "groups", groups);
    return o;
}

tf_err tf_stats_from_state(const cJSON *j, tf_stats **out, tf_diag *d)
{
    *out = NULL;
    tf_stats_config c;
    tf_stats_config_default(&c);
    uint64_t bins = 0;
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(j, "groups");
    const cJSON *ovf = cJSON_GetObjectItemCaseSensitive(j, "groups_overflow");
    tf_stats *s = NULL;
    int ok = cJSON_IsObject(j) && get_u64(j, "error_position_bins", &bins) && bins >= 1 &&
             bins <= TF_STATS_LIMIT_ERRPOS_BINS && cJSON_IsArray(groups) && cJSON_IsBool(ovf);
    if (ok) {
        c.error_position_bins = (int)bins;
        c.max_groups = TF_STATS_LIMIT_MAX_GROUPS;
        s = tf_stats_create_with(&c);
        if (!s)
            return TF_ERR_NOMEM;
        s->groups_overflow = cJSON_IsTrue(ovf);
        ok = grp_from_state(cJSON_GetObjectItemCaseSensitive(j, "overall"), &s->all) &&
             !(s->groups_overflow && cJSON_GetArraySize(groups) > 0);
    }
    const cJSON *gj;
    cJSON_ArrayForEach(gj, groups)
    {
        if (!ok)
            break;
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(gj, "key");
        tf_err e = TF_OK;
        grp *g = cJSON_IsString(key) ? group_of(s, key->valuestring, &e) : NULL;
        ok = g && g->items == 0 && grp_from_state(gj, g);
    }
    if (!ok) {
        tf_diag_set(d, "not a statistics state");
        tf_stats_free(s);
        return TF_ERR_PARSE;
    }
    *out = s;
    return TF_OK;
}

/* ----- summary ---------------------------------------------------------- */

/* The normal quantile of the 95 % intervals: scipy.stats.norm.ppf(0.975). */
#define Z95 1.959963984540054L

/* x, with -0 turned into 0 (JSON readers would keep the sign). */
static double no_neg_zero(double x)
{
    return x == 0 ? 0.0 : x;
}

/* Add a number, or null when undefined or not finite; never -0. */
static int add_num(cJSON *o, const char *k, long double v, int defined)
{
    if (!defined || !isfinite(v))
        return cJSON_AddNullToObject(o, k) != NULL;
    return cJSON_AddNumberToObject(o, k, no_neg_zero((double)v)) != NULL;
}

/* [lo, hi] or null. */
static int add_interval(cJSON *o, const char *k, long double lo, long double hi, int defined)
{
    if (!defined || !isfinite(lo) || !isfinite(hi))
        return cJSON_AddNullToObject(o, k) != NULL;
    double v[2] = {no_neg_zero((double)lo), no_neg_zero((double)hi)};
    return cJSON_AddItemToObject(o, k, cJSON_CreateDoubleArray(v, 2));
}

/* {"count": n, "rate": n/den or null, "ci95": Wilson interval or null}. */
static cJSON *rate(uint64_t n, uint64_t den)
{
    cJSON *o = cJSON_CreateObject();
    long double lo = 0, hi = 0;
    if (den)
        tf_wilson(n, den, Z95, &lo, &hi);
    if (!o || !add_u64(o, "count", n) ||
        !add_num(o, "rate", den ? (long double)n / (long double)den : 0, den != 0) ||
        !add_interval(o, "ci95", lo, hi, den != 0)) {
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

/* Mean of n values summing to s. */
static long double mean_of(tf_u128 s, uint64_t n)
{
    return (long double)s / (long double)n;
}

/* {n, mean, sd, min, max, p10, p25, median, p75, p90}: moments from m,
 * quantiles from the value-count array v (NULL: the table overflowed). */
static cJSON *describe(const mom1 *m, const tf_vc *v, size_t k)
{
    static const char *const qk[] = {"p10", "p25", "median", "p75", "p90"};
    static const unsigned qh[] = {10, 25, 50, 75, 90};
    cJSON *o = cJSON_CreateObject();
    uint64_t n = m->n;
    int sg = 0;
    long double var = 0;
    if (n >= 2)
        var = tf_comoment(n, m->s, m->s, tf_u256_of(m->ss), &sg) / ((long double)n * (n - 1));
    int ok = o && add_u64(o, "n", n) && add_num(o, "mean", n ? mean_of(m->s, n) : 0, n > 0) &&
             add_num(o, "sd", sqrtl(var), n >= 2) &&
             add_num(o, "min", (long double)m->min, n > 0) &&
             add_num(o, "max", (long double)m->max, n > 0);
    for (int i = 0; ok && i < 5; i++)
        ok = add_num(o, qk[i], n && v ? tf_quantile(v, k, n, qh[i]) : 0, n > 0 && v != NULL);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Fisher-z 95 % interval of a correlation r from n pairs: n > 3; |r| = 1
 * gives [r, r]. */
static int add_fisher(cJSON *o, const char *k, long double r, uint64_t n, int defined)
{
    long double lo = r, hi = r;
    if (defined && n > 3 && fabsl(r) < 1) {
        long double z = atanhl(r), se = 1.0L / sqrtl((long double)(n - 3));
        lo = tanhl(z - Z95 * se);
        hi = tanhl(z + Z95 * se);
    }
    return add_interval(o, k, lo, hi, defined && n > 3);
}

static int cmp_vc(const void *a, const void *b)
{
    uint64_t x = ((const tf_vc *)a)->v, y = ((const tf_vc *)b)->v;
    return (x > y) - (x < y);
}

/* Sort v (k entries) by value and merge equal values; returns the new k. */
static size_t vc_compact(tf_vc *v, size_t k)
{
    if (k == 0)
        return 0;
    qsort(v, k, sizeof *v, cmp_vc);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && v[m - 1].v == v[i].v)
            v[m - 1].c += v[i].c;
        else
            v[m++] = v[i];
    }
    return m;
}

/* Bin edges: explicit, or the deciles of the distribution v (k values, n
 * items) with repeated edges removed. Writes *ne edges (0 when n == 0). */
static void make_edges(const tf_stats_bins *b, const tf_vc *v, size_t k, uint64_t n,
                       long double *edges, size_t *ne)
{
    *ne = 0;
    if (!b->deciles) {
        for (size_t i = 0; i < b->nedges; i++)
            edges[(*ne)++] = b->edges[i];
        return;
    }
    if (n == 0)
        return;
    for (unsigned h = 0; h <= 100; h += 10) {
        long double e = tf_quantile(v, k, n, h);
        if (*ne == 0 || e > edges[*ne - 1])
            edges[(*ne)++] = e;
    }
}

/* The bin of value x among ne edges: -1 below, ne - 1 above (with one
 * edge, everything equal to it is bin 0). Bins are [e_i, e_i+1), the last
 * one closed. */
static long bin_of(long double x, const long double *edges, size_t ne)
{
    if (ne == 1)
        return x == edges[0] ? 0 : x < edges[0] ? -1 : 1;
    if (x < edges[0])
        return -1;
    if (x > edges[ne - 1])
        return (long)ne - 1;
    if (x == edges[ne - 1])
        return (long)ne - 2;
    size_t lo = 0, hi = ne - 1; /* edges[lo] <= x < edges[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (edges[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

/* Per-bin accumulators. */
typedef struct binacc {
    uint64_t c[NPC]; /* summed pair counts */
    tf_u128 sy;      /* sum of lengths (complexity bins) */
    tf_vc *ys;       /* length distribution (complexity bins) */
    size_t nys;
} binacc;

/* The common head of a bins object: method, edges, below, above. */
static cJSON *bins_head(const tf_stats_bins *b, const long double *edges, size_t ne, uint64_t below,
                        uint64_t above)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ej = cJSON_CreateArray();
    for (size_t i = 0; ej && i < ne; i++)
        if (!cJSON_AddItemToArray(ej, cJSON_CreateNumber((double)edges[i]))) {
            cJSON_Delete(ej);
            ej = NULL;
        }
    if (!o || !ej || !cJSON_AddStringToObject(o, "method", b->deciles ? "deciles" : "edges") ||
        !cJSON_AddItemToObject(o, "edges", ej)) {
        if (o && !cJSON_GetObjectItemCaseSensitive(o, "edges"))
            cJSON_Delete(ej);
        cJSON_Delete(o);
        return NULL;
    }
    if (!add_u64(o, "below", below) || !add_u64(o, "above", above)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Complexity bins over the known pairs p[0..k) (sorted by x, then y). */
static cJSON *complexity_bins(const tf_stats_bins *b, const pent *p, size_t k, const tf_vc *cxv,
                              size_t ncx, uint64_t ncxn)
{
    long double edges[TF_STATS_MAX_EDGES > 11 ? TF_STATS_MAX_EDGES : 11];
    size_t ne;
    make_edges(b, cxv, ncx, ncxn, edges, &ne);
    size_t nb = ne > 1 ? ne - 1 : ne;
    binacc *acc = calloc(nb ? nb : 1, sizeof *acc);
    if (!acc)
        return NULL;
    uint64_t below = 0, above = 0;
    int ok = 1;
    for (size_t i = 0; ok && i < k; i++) {
        uint64_t x = p[i].key >> 32, y = p[i].key & 0xFFFFFFFFULL;
        long bi = ne ? bin_of((long double)x, edges, ne) : -1;
        if (bi < 0) {
            below += p[i].c[PC_N];
            continue;
        }
        if ((size_t)bi >= nb) {
            above += p[i].c[PC_N];
            continue;
        }
        binacc *a = &acc[bi];
        for (int c = 0; c < NPC; c++)
            a->c[c] += p[i].c[c];
        a->sy += (tf_u128)y * p[i].c[PC_N];
        tf_vc *nv = realloc(a->ys, (a->nys + 1) * sizeof *nv);
        if (!nv) {
            ok = 0;
            break;
        }
        a->ys = nv;
        a->ys[a->nys].v = y;
        a->ys[a->nys++].c = p[i].c[PC_N];
    }
    cJSON *o = ok ? bins_head(b, edges, ne, below, above) : NULL;
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    ok = arr != NULL;
    for (size_t i = 0; ok && i < nb; i++) {
        binacc *a = &acc[i];
        uint64_t n = a->c[PC_N];
        a->nys = vc_compact(a->ys, a->nys);
        cJSON *bj = cJSON_CreateObject();
        ok = bj && cJSON_AddItemToArray(arr, bj) && add_num(bj, "lo", edges[i], 1) &&
             add_num(bj, "hi", edges[ne > 1 ? i + 1 : i], 1) && add_u64(bj, "n", n) &&
             add_num(bj, "mean_len", n ? mean_of(a->sy, n) : 0, n > 0) &&
             add_num(bj, "median_len", n ? tf_quantile(a->ys, a->nys, n, 50) : 0, n > 0) &&
             cJSON_AddItemToObject(bj, "trace_valid", rate(a->c[PC_TV], n)) &&
             cJSON_AddItemToObject(bj, "plan_valid", rate(a->c[PC_PV], n));
    }
    for (size_t i = 0; i < nb; i++)
        free(acc[i].ys);
    free(acc);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Length bins over all pairs p[0..k) (any order). */
static cJSON *length_bins(const tf_stats_bins *b, const pent *p, size_t k, const tf_vc *lv,
                          size_t nl, uint64_t nln)
{
    long double edges[TF_STATS_MAX_EDGES > 11 ? TF_STATS_MAX_EDGES : 11];
    size_t ne;
    make_edges(b, lv, nl, nln, edges, &ne);
    size_t nb = ne > 1 ? ne - 1 : ne;
    binacc *acc = calloc(nb ? nb : 1, sizeof *acc);
    if (!acc)
        return NULL;
    uint64_t below = 0, above = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t y = p[i].key & 0xFFFFFFFFULL;
        long bi = ne ? bin_of((long double)y, edges, ne) : -1;
        if (bi < 0)
            below += p[i].c[PC_N];
        else if ((size_t)bi >= nb)
            above += p[i].c[PC_N];
        else
            for (int c = 0; c < NPC; c++)
                acc[bi].c[c] += p[i].c[c];
    }
    cJSON *o = bins_head(b, edges, ne, below, above);
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    int ok = arr != NULL;
    for (size_t i = 0; ok && i < nb; i++) {
        const uint64_t *c = acc[i].c;
        cJSON *bj = cJSON_CreateObject();
        ok = bj && cJSON_AddItemToArray(arr, bj) && add_num(bj, "lo", edges[i], 1) &&
             add_num(bj, "hi", edges[ne > 1 ? i + 1 : i], 1) && add_u64(bj, "n", c[PC_N]) &&
             cJSON_AddItemToObject(bj, "trace_valid", rate(c[PC_TV], c[PC_N])) &&
             cJSON_AddItemToObject(bj, "plan_valid", rate(c[PC_PV], c[PC_N])) &&
             cJSON_AddItemToObject(bj, "valid_plan_trace_valid", rate(c[PC_PVTV], c[PC_PV]));
    }
    free(acc);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Length versus complexity: moments from g->lc, ranks from the known
 * pairs xy[0..k) (NULL: the table overflowed). */
static cJSON *lvc_json(const grp *g, const tf_xyc *xy, size_t k, int *oom)
{
    const mom2 *m = &g->lc;
    uint64_t n = m->n;
    int sxx = 0, syy = 0, sxy = 0;
    long double dxx = 0, dyy = 0, dxy = 0;
    if (n >= 2) {
        dxx = tf_comoment(n, m->sx, m->sx, tf_u256_of(m->sxx), &sxx);
        dyy = tf_comoment(n, m->sy, m->sy, tf_u256_of(m->syy), &syy);
        dxy = tf_comoment(n, m->sx, m->sy, tf_u256_of(m->sxy), &sxy);
        if (sxy < 0)
            dxy = -dxy;
    }
    int has_r = sxx > 0 && syy > 0, has_b = sxx > 0;
    long double r = has_r ? dxy / (sqrtl(dxx) * sqrtl(dyy)) : 0;
    if (r > 1)
        r = 1;
    if (r < -1)
        r = -1;
    long double slope = has_b ? dxy / dxx : 0;
    long double icept = has_b ? (mean_of(m->sy, n) - slope * mean_of(m->sx, n)) : 0;
    long double rho = 0, tau = 0;
    int has_rho = 0, has_tau = 0;
    if (xy) {
        has_rho = tf_spearman(xy, k, n, &rho);
        has_tau = tf_kendall_tau_b(xy, k, n, &tau);
        if (has_rho < 0 || has_tau < 0) {
            *oom = 1;
            return NULL;
        }
    }
    cJSON *o = cJSON_CreateObject();
    if (!o || !add_u64(o, "n", n) || !add_num(o, "pearson", r, has_r) ||
        !add_fisher(o, "pearson_ci95", r, n, has_r) || !add_num(o, "spearman", rho, has_rho) ||
        !add_fisher(o, "spearman_ci95", rho, n, has_rho) ||
        !add_num(o, "kendall_tau_b", tau, has_tau) || !add_num(o, "ols_slope", slope, has_b) ||
        !add_num(o, "ols_intercept", icept, has_b) || !add_num(o, "r2", r * r, has_r)) {
        cJSON_Delete(o);
        *oom = 1;
        return NULL;
    }
    return o;
}

/* Where the first reference error falls, as a fraction of the trace. */
static cJSON *errpos_json(const grp *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = o ? cJSON_AddArrayToObject(o, "bins") : NULL;
    int ok = arr && add_u64(o, "items", g->errpos_n) && add_u64(o, "empty_trace", g->errpos_empty);
    for (int i = 0; ok && i < g->nerrpos; i++) {
        cJSON *b = cJSON_CreateObject();
        ok = b && cJSON_AddItemToArray(arr, b) &&
             add_num(b, "lo", (long double)i / g->nerrpos, 1) &&
             add_num(b, "hi", (long double)(i + 1) / g->nerrpos, 1) &&
             add_u64(b, "count", g->errpos[i]);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The endpoint figures of a group: counts, usage sums and, with prices,
 * the cost (docs/statistics.md). */
static cJSON *endpoint_json(const grp *g, const tf_stats_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    for (int i = 0; ok && i < EP_N; i++)
        ok = add_u64(o, ep_names[i], g->ep[i]);
    if (ok && cfg->has_prices) {
        double p = (double)g->ep[EP_PROMPT] / 1e6 * cfg->price_prompt;
        double c = (double)g->ep[EP_COMPLETION] / 1e6 * cfg->price_completion;
        cJSON *cost = cJSON_AddObjectToObject(o, "cost");
        ok = cost && cJSON_AddNumberToObject(cost, "prompt", no_neg_zero(p)) &&
             cJSON_AddNumberToObject(cost, "completion", no_neg_zero(c)) &&
             cJSON_AddNumberToObject(cost, "total", no_neg_zero(p + c));
    } else if (ok) {
        ok = cJSON_AddNullToObject(o, "cost") != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The summary of one group. */
static cJSON *grp_summary(const grp *g, const tf_stats_config *cfg)
{
    size_t k = 0, kt = 0;
    pent *p = g->pairs.overflow ? NULL : ptab_sorted(&g->pairs, &k);
    pent *tp = g->toks.overflow ? NULL : ptab_sorted(&g->toks, &kt);
    if ((!p && k) || (!tp && kt)) {
        free(p);
        free(tp);
        return NULL;
    }
    int have = !g->pairs.overflow;
    /* known pairs come first (unknown complexity sorts last) */
    size_t kk = 0;
    while (kk < k && (p[kk].key >> 32) != X_NONE)
        kk++;
    tf_vc *lenv = malloc((k ? k : 1) * sizeof *lenv);
    tf_vc *cxv = malloc((kk ? kk : 1) * sizeof *cxv);
    tf_vc *tokv = malloc((kt ? kt : 1) * sizeof *tokv);
    tf_xyc *xy = malloc((kk ? kk : 1) * sizeof *xy);
    cJSON *o = NULL;
    int oom = 0;
    if (!lenv || !cxv || !tokv || !xy)
        goto out;
    for (size_t i = 0; i < k; i++) {
        lenv[i].v = p[i].key & 0xFFFFFFFFULL;
        lenv[i].c = p[i].c[PC_N];
    }
    size_t nlen = vc_compact(lenv, k);
    size_t ncx = 0;
    for (size_t i = 0; i < kk; i++) {
        uint64_t x = p[i].key >> 32;
        xy[i].x = x;
        xy[i].y = p[i].key & 0xFFFFFFFFULL;
        xy[i].c = p[i].c[PC_N];
        if (ncx && cxv[ncx - 1].v == x) {
            cxv[ncx - 1].c += xy[i].c;
        } else {
            cxv[ncx].v = x;
            cxv[ncx++].c = xy[i].c;
        }
    }
    for (size_t i = 0; i < kt; i++) {
        tokv[i].v = tp[i].key;
        tokv[i].c = tp[i].c[PC_N];
    }
    o = cJSON_CreateObject();
    uint64_t den = g->verified;
    int ok =
        o && add_u64(o, "items", g->items) && add_u64(o, "verified", g->verified) &&
        add_u64(o, "item_errors", g->items - g->verified) &&
        cJSON_AddItemToObject(o, "plan_valid", rate(g->plan_valid, den)) &&
        cJSON_AddItemToObject(o, "plan_optimal", rate(g->plan_optimal, den)) &&
        cJSON_AddItemToObject(o, "trace_valid", rate(g->trace_valid, den)) &&
        cJSON_AddItemToObject(o, "trace_valid_strict", rate(g->trace_valid_strict, den)) &&
        cJSON_AddItemToObject(o, "plan_x_trace", cells_rates(g->cell, den)) &&
        cJSON_AddItemToObject(o, "plan_x_trace_strict", cells_rates(g->cell_strict, den)) &&
        cJSON_AddItemToObject(o, "trace_len", describe(&g->len, have ? lenv : NULL, nlen)) &&
        cJSON_AddItemToObject(o, "complexity", describe(&g->cx, have ? cxv : NULL, ncx)) &&
        cJSON_AddItemToObject(o, "tokens", describe(&g->tok, g->toks.overflow ? NULL : tokv, kt));
    if (ok) {
        cJSON *l = lvc_json(g, have ? xy : NULL, kk, &oom);
        ok = l && cJSON_AddItemToObject(o, "length_vs_complexity", l);
    }
    if (ok)
        ok = have ? cJSON_AddItemToObject(
                        o, "complexity_bins",
                        complexity_bins(&cfg->complexity_bins, p, kk, cxv, ncx, g->cx.n)) &&
                        cJSON_AddItemToObject(
                            o, "length_bins",
                            length_bins(&cfg->length_bins, p, k, lenv, nlen, g->len.n))
                  : cJSON_AddNullToObject(o, "complexity_bins") &&
                        cJSON_AddNullToObject(o, "length_bins");
    ok = ok && cJSON_AddItemToObject(o, "first_error", hist_json(&g->first_error)) &&
         cJSON_AddItemToObject(o, "strict_first_error", hist_json(&g->strict_first_error)) &&
         cJSON_AddItemToObject(o, "first_error_position", errpos_json(g)) &&
         cJSON_AddItemToObject(o, "item_error_kinds", hist_json(&g->errors));
    if (ok && cfg->endpoint)
        ok = cJSON_AddItemToObject(o, "endpoint", endpoint_json(g, cfg));
    cJSON *t = ok ? cJSON_AddObjectToObject(o, "tables") : NULL;
    ok = t && add_u64(t, "pairs", g->pairs.n) &&
         cJSON_AddBoolToObject(t, "pairs_overflow", g->pairs.overflow) &&
         add_u64(t, "token_values", g->toks.n) &&
         cJSON_AddBoolToObject(t, "tokens_overflow", g->toks.overflow);
    if (!ok) {
        cJSON_Delete(o);
        o = NULL;
    }
out:
    free(p);
    free(tp);
    free(lenv);
    free(cxv);
    free(tokv);
    free(xy);
    return o;
}

cJSON *tf_stats_summary_json(const tf_stats *s)
{
    return grp_summary(&s->all, &s->cfg);
}

cJSON *tf_stats_groups_json(const tf_stats *s, int *overflow)
{
    *overflow = s->groups_overflow;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < s->ngroups; i++) {
        cJSON *g = grp_summary(s->groups[i], &s->cfg);
        cJSON *key = cJSON_Parse(s->groups[i]->key);
        if (!key)
            key = cJSON_CreateString(s->groups[i]->key);
        cJSON *o = cJSON_CreateObject();
        int added = g && key && o && cJSON_AddItemToObject(o, "key", key);
        if (!added) {
            if (!o || !cJSON_GetObjectItemCaseSensitive(o, "key"))
                cJSON_Delete(key);
            cJSON_Delete(g);
            cJSON_Delete(o);
            cJSON_Delete(arr);
            return NULL;
        }
        /* key first, then the group's figures */
        while (g->child) {
            cJSON *c = cJSON_DetachItemViaPointer(g, g->child);
            cJSON_AddItemToObject(o, c->string, c);
        }
        cJSON_Delete(g);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}
