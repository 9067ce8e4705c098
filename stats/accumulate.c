/* accumulate.c: fold items into groups, merge states, enforce the caps
 * (stats.h, docs/statistics.md). The state's structs are in
 * stats_internal.h. */
#include "stats_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- histograms of names ---------------------------------------------- */

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
tf_err tf_hist_add(hist *h, const char *name, uint64_t count)
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
        tf_err e = tf_hist_add(into, from->e[i].name, from->e[i].count);
        if (e != TF_OK)
            return e;
    }
    return TF_OK;
}

/* ----- moments and count tables ----------------------------------------- */

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
tf_err tf_ptab_add(ptab *t, uint64_t key, const uint64_t c[NPC], uint64_t cap)
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
            tf_err err = tf_ptab_add(into, from->e[i].key, from->e[i].c, cap);
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
pent *tf_ptab_sorted(const ptab *t, size_t *k)
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

const char *const tf_stats_ep_names[EP_N] = {
    "samples",       "fetch_failures",    "truncated",       "responses_without_usage",
    "prompt_tokens", "completion_tokens", "reasoning_tokens"};

static void grp_free(grp *g)
{
    if (!g)
        return;
    free(g->key);
    hist_free(&g->first_error);
    hist_free(&g->strict_first_error);
    hist_free(&g->flags);
    hist_free(&g->errors);
    hist_free(&g->fail_status);
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
    g->answer_valid += f->answer_valid;
    g->answer_optimal += f->answer_optimal;
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
    tf_err e = tf_ptab_add(&g->pairs, (x >= 0 ? (uint64_t)x : X_NONE) << 32 | y, c, cap);
    if (e == TF_OK && t >= 0) {
        uint64_t one[NPC] = {1, 0, 0, 0, 0};
        mom1_add(&g->tok, (uint64_t)t);
        e = tf_ptab_add(&g->toks, (uint64_t)t, one, cap);
    }
    if (e == TF_OK && f->first_error)
        e = tf_hist_add(&g->first_error, f->first_error, 1);
    if (e == TF_OK && f->strict_first_error)
        e = tf_hist_add(&g->strict_first_error, f->strict_first_error, 1);
    for (size_t i = 0; e == TF_OK && i < f->nflags; i++)
        e = tf_hist_add(&g->flags, f->flags[i], 1);
    return e;
}

static tf_err grp_merge(grp *into, const grp *from, uint64_t cap)
{
    into->items += from->items;
    into->verified += from->verified;
    into->answer_valid += from->answer_valid;
    into->answer_optimal += from->answer_optimal;
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
        e = hist_merge(&into->flags, &from->flags);
    if (e == TF_OK)
        e = hist_merge(&into->errors, &from->errors);
    if (e == TF_OK)
        e = hist_merge(&into->fail_status, &from->fail_status);
    return e;
}

tf_stats *tf_stats_create_with(const tf_stats_config *c)
{
    tf_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *c;
    if (s->cfg.error_position_bins < 1 || s->cfg.error_position_bins > TF_STATS_LIMIT_ERRPOS_BINS) {
        tf_stats_config dflt;
        tf_stats_config_default(&dflt);
        s->cfg.error_position_bins = dflt.error_position_bins;
    }
    if (!s->cfg.answer_noun) /* documented default of a zeroed configuration */
        s->cfg.answer_noun = TF_STATS_DEFAULT_ANSWER_NOUN;
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
grp *tf_stats_group(tf_stats *s, const char *key, tf_err *err)
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
        grp *g = tf_stats_group(s, key, &e);
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
    tf_err e = tf_hist_add(&s->all.errors, kind, 1);
    if (e == TF_OK && key) {
        grp *g = tf_stats_group(s, key, &e);
        if (g) {
            g->items++;
            e = tf_hist_add(&g->errors, kind, 1);
        }
    }
    return e;
}

tf_err tf_stats_add_error(tf_stats *s, const char *kind)
{
    return tf_stats_add_error_keyed(s, NULL, kind);
}

/* Add one endpoint sample's outcome and usage to g. A failed sample is
 * also counted under its last status, so that a run refused by the server
 * (401) reads differently from one that overloaded it (503). */
static tf_err grp_add_sample(grp *g, const tf_sample_usage *u)
{
    g->ep[EP_SAMPLES]++;
    if (u->failed) {
        char st[24];
        snprintf(st, sizeof st, "%ld",
                 u->last_status > 0 && u->last_status < 1000 ? u->last_status : 0L);
        g->ep[EP_FAILED]++;
        return tf_hist_add(&g->fail_status, st, 1);
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
    return TF_OK;
}

tf_err tf_stats_add_sample_keyed(tf_stats *s, const char *key, const tf_sample_usage *u)
{
    tf_err e = grp_add_sample(&s->all, u);
    if (e == TF_OK && key) {
        grp *g = tf_stats_group(s, key, &e);
        if (g)
            e = grp_add_sample(g, u);
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
        grp *g = tf_stats_group(into, from->groups[i]->key, &e);
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
