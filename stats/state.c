/* state.c: a statistics state as JSON and back: what travels between
 * ranks in part files (stats.h, docs/statistics.md). Exact: counts as JSON
 * numbers, 128-bit sums as decimal strings. */
#include "stats_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Counts stay below 2^53 (9e15 items), so JSON numbers carry them exactly. */
int tf_json_add_u64(cJSON *o, const char *k, uint64_t v)
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

/* get_u64 of k, or of legacy when k is absent: states name the answer
 * neutrally ("answer"), the parts of earlier versions said "plan", and an
 * unfinished job resumed by a newer binary merges both. */
static int get_u64_or(const cJSON *o, const char *k, const char *legacy, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return u64_from(v ? v : cJSON_GetObjectItemCaseSensitive(o, legacy), out);
}

cJSON *tf_hist_json(const hist *h)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < h->n; i++)
        if (!tf_json_add_u64(o, h->e[i].name, h->e[i].count)) {
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
        if (!u64_from(e, &c) || tf_hist_add(h, e->string, c) != TF_OK)
            return 0;
    }
    return 1;
}

/* The answer x trace cells, [answer valid][trace valid]; legacy: the
 * names in parts of earlier versions (get_u64_or). */
static const char *const cell_names[2][2] = {
    {"invalid_answer_invalid_trace", "invalid_answer_valid_trace"},
    {"valid_answer_invalid_trace", "valid_answer_valid_trace"},
};
static const char *const legacy_cell_names[2][2] = {
    {"invalid_plan_invalid_trace", "invalid_plan_valid_trace"},
    {"valid_plan_invalid_trace", "valid_plan_valid_trace"},
};

static cJSON *cells_json(const uint64_t c[2][2])
{
    cJSON *o = cJSON_CreateObject();
    for (int p = 1; o && p >= 0; p--)
        for (int t = 1; t >= 0; t--)
            if (!tf_json_add_u64(o, cell_names[p][t], c[p][t])) {
                cJSON_Delete(o);
                return NULL;
            }
    return o;
}

static int cells_from(const cJSON *o, uint64_t c[2][2])
{
    for (int p = 0; p < 2; p++)
        for (int t = 0; t < 2; t++)
            if (!get_u64_or(o, cell_names[p][t], legacy_cell_names[p][t], &c[p][t]))
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
 * it overflowed. Pair tables: [x or -1, y, n, tv, av, avtv, tvs]; token
 * tables: [t, n]. */
static cJSON *ptab_json(const ptab *t, int pairs)
{
    if (t->overflow)
        return cJSON_CreateNull();
    size_t k;
    pent *a = tf_ptab_sorted(t, &k);
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
        if (c[PC_N] == 0 || tf_ptab_add(t, key, c, UINT64_MAX) != TF_OK)
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
             tf_json_add_u64(o, "items", g->items) && tf_json_add_u64(o, "verified", g->verified) &&
             tf_json_add_u64(o, "answer_valid", g->answer_valid) &&
             tf_json_add_u64(o, "answer_optimal", g->answer_optimal) &&
             tf_json_add_u64(o, "trace_valid", g->trace_valid) &&
             tf_json_add_u64(o, "trace_valid_strict", g->trace_valid_strict) &&
             cJSON_AddItemToObject(o, "cells", cells_json(g->cell)) &&
             cJSON_AddItemToObject(o, "cells_strict", cells_json(g->cell_strict)) &&
             cJSON_AddItemToObject(o, "first_error", tf_hist_json(&g->first_error)) &&
             cJSON_AddItemToObject(o, "strict_first_error", tf_hist_json(&g->strict_first_error)) &&
             cJSON_AddItemToObject(o, "errors", tf_hist_json(&g->errors)) &&
             cJSON_AddItemToObject(o, "len", mom1_json(&g->len)) &&
             cJSON_AddItemToObject(o, "cx", mom1_json(&g->cx)) &&
             cJSON_AddItemToObject(o, "tok", mom1_json(&g->tok)) &&
             cJSON_AddItemToObject(o, "lc", mom2_json(&g->lc)) &&
             cJSON_AddItemToObject(o, "pairs", ptab_json(&g->pairs, 1)) &&
             cJSON_AddItemToObject(o, "tokens", ptab_json(&g->toks, 0)) &&
             cJSON_AddItemToObject(o, "errpos", ep) &&
             tf_json_add_u64(o, "errpos_n", g->errpos_n) &&
             tf_json_add_u64(o, "errpos_empty", g->errpos_empty);
    cJSON *epj = ok ? cJSON_AddObjectToObject(o, "endpoint") : NULL;
    ok = ok && epj;
    for (int i = 0; ok && i < EP_N; i++)
        ok = tf_json_add_u64(epj, tf_stats_ep_names[i], g->ep[i]);
    ok = ok && cJSON_AddItemToObject(epj, "failures_by_status", tf_hist_json(&g->fail_status));
    if (ok && g->flags.n)
        ok = cJSON_AddItemToObject(o, "flags", tf_hist_json(&g->flags));
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
             get_u64(j, "verified", &g->verified) &&
             get_u64_or(j, "answer_valid", "plan_valid", &g->answer_valid) &&
             get_u64_or(j, "answer_optimal", "plan_optimal", &g->answer_optimal) &&
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
    /* "endpoint" is absent from states of older parts: zeros; so is its
     * "failures_by_status" (an unfinished job resumed by a newer binary) */
    const cJSON *epj = cJSON_GetObjectItemCaseSensitive(j, "endpoint");
    for (int i = 0; ok && epj && i < EP_N; i++)
        ok = get_u64(epj, tf_stats_ep_names[i], &g->ep[i]);
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(epj, "failures_by_status");
    if (ok && fs)
        ok = hist_from(fs, &g->fail_status);
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(j, "flags");
    if (ok && fl)
        ok = hist_from(fl, &g->flags);
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
    if (!o || !groups ||
        !tf_json_add_u64(o, "error_position_bins", (uint64_t)s->cfg.error_position_bins) ||
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
        grp *g = cJSON_IsString(key) ? tf_stats_group(s, key->valuestring, &e) : NULL;
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
