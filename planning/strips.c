/* strips.c: STRIPS domains and problems checked, plans simulated, and
 * optimal plans found by breadth-first search (strips.h). */
#include "tracefarm/strips.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ground atoms of a problem are numbered: predicate p's atoms start at
 * off[p], and an atom's index adds its arguments in base nobjects. */
typedef struct layout {
    size_t off[TF_STRIPS_MAX_PREDS + 1];
    size_t natoms, words; /* atoms, and 64-bit words of a state */
} layout;

static int layout_make(const tf_strips_domain *dom, const tf_strips_problem *prob, layout *l)
{
    size_t n = (size_t)prob->nobjects, at = 0;
    for (int p = 0; p < dom->npreds; p++) {
        size_t k = 1;
        for (int i = 0; i < dom->pred[p].arity; i++)
            k *= n;
        l->off[p] = at;
        at += k;
        if (at > TF_STRIPS_MAX_ATOMS)
            return -1;
    }
    l->off[dom->npreds] = at;
    l->natoms = at;
    l->words = at / 64 + 1;
    return 0;
}

static size_t fact_index(const tf_strips_domain *dom, const tf_strips_problem *prob,
                         const layout *l, int pred, const int *arg)
{
    size_t ix = 0;
    for (int i = 0; i < dom->pred[pred].arity; i++)
        ix = ix * (size_t)prob->nobjects + (size_t)arg[i];
    return l->off[pred] + ix;
}

static int bit_get(const uint64_t *s, size_t i)
{
    return (int)(s[i / 64] >> (i % 64) & 1u);
}
static void bit_set(uint64_t *s, size_t i)
{
    s[i / 64] |= (uint64_t)1 << (i % 64);
}
static void bit_clear(uint64_t *s, size_t i)
{
    s[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static int lits_ok(const tf_strips_domain *dom, const tf_strips_action *a, const tf_strips_lit *l,
                   int n, const char *list, tf_diag *d)
{
    if (n < 0 || n > TF_STRIPS_MAX_LIST) {
        tf_diag_set(d, "action %s: %d atoms in its %s list", a->name, n, list);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (l[i].pred < 0 || l[i].pred >= dom->npreds) {
            tf_diag_set(d, "action %s: an atom of its %s list has no predicate", a->name, list);
            return 0;
        }
        for (int j = 0; j < dom->pred[l[i].pred].arity; j++)
            if (l[i].arg[j] < 0 || l[i].arg[j] >= a->arity) {
                tf_diag_set(d, "action %s: %s of its %s list uses a parameter it does not have",
                            a->name, dom->pred[l[i].pred].name, list);
                return 0;
            }
    }
    return 1;
}

static int facts_ok(const tf_strips_domain *dom, const tf_strips_problem *prob,
                    const tf_strips_fact *f, int n, const char *what, tf_diag *d)
{
    if (n < 0 || n > TF_STRIPS_MAX_FACTS) {
        tf_diag_set(d, "%d facts in the %s", n, what);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (f[i].pred < 0 || f[i].pred >= dom->npreds) {
            tf_diag_set(d, "a fact of the %s has no predicate", what);
            return 0;
        }
        for (int j = 0; j < dom->pred[f[i].pred].arity; j++)
            if (f[i].arg[j] < 0 || f[i].arg[j] >= prob->nobjects) {
                tf_diag_set(d, "a fact of the %s (%s) names no object of the problem", what,
                            dom->pred[f[i].pred].name);
                return 0;
            }
    }
    return 1;
}

tf_err tf_strips_check(const tf_strips_domain *dom, const tf_strips_problem *prob, tf_diag *d)
{
    if (dom->npreds < 0 || dom->npreds > TF_STRIPS_MAX_PREDS || dom->nactions < 1 ||
        dom->nactions > TF_STRIPS_MAX_ACTIONS) {
        tf_diag_set(d, "a domain needs 1 to %d actions and at most %d predicates",
                    TF_STRIPS_MAX_ACTIONS, TF_STRIPS_MAX_PREDS);
        return TF_ERR_PARSE;
    }
    for (int p = 0; p < dom->npreds; p++)
        if (dom->pred[p].arity < 0 || dom->pred[p].arity > TF_STRIPS_MAX_ARITY) {
            tf_diag_set(d, "predicate %s: arity %d (at most %d)", dom->pred[p].name,
                        dom->pred[p].arity, TF_STRIPS_MAX_ARITY);
            return TF_ERR_PARSE;
        }
    for (int i = 0; i < dom->nactions; i++) {
        const tf_strips_action *a = &dom->action[i];
        if (a->arity < 0 || a->arity > TF_STRIPS_MAX_ARITY) {
            tf_diag_set(d, "action %s: %d parameters (at most %d)", a->name, a->arity,
                        TF_STRIPS_MAX_ARITY);
            return TF_ERR_PARSE;
        }
        if (!lits_ok(dom, a, a->pre, a->npre, "precondition", d) ||
            !lits_ok(dom, a, a->add, a->nadd, "add", d) ||
            !lits_ok(dom, a, a->del, a->ndel, "delete", d))
            return TF_ERR_PARSE;
    }
    if (!prob)
        return TF_OK;
    if (prob->nobjects < 0 || prob->nobjects > TF_STRIPS_MAX_OBJECTS) {
        tf_diag_set(d, "%d objects (at most %d)", prob->nobjects, TF_STRIPS_MAX_OBJECTS);
        return TF_ERR_TOO_BIG;
    }
    layout l;
    if (layout_make(dom, prob, &l) != 0) {
        tf_diag_set(d, "%d objects make more than %d ground atoms", prob->nobjects,
                    TF_STRIPS_MAX_ATOMS);
        return TF_ERR_TOO_BIG;
    }
    if (!facts_ok(dom, prob, prob->init, prob->ninit, "initial state", d) ||
        !facts_ok(dom, prob, prob->goal, prob->ngoal, "goal", d))
        return TF_ERR_PARSE;
    return TF_OK;
}

static int find_name(const char *names, size_t stride, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        const char *s = names + (size_t)i * stride, *t = name;
        while (*s && *t && tolower((unsigned char)*s) == tolower((unsigned char)*t))
            s++, t++;
        if (!*s && !*t)
            return i;
    }
    return -1;
}

int tf_strips_find_pred(const tf_strips_domain *dom, const char *name)
{
    return find_name(dom->pred[0].name, sizeof dom->pred[0], dom->npreds, name);
}

int tf_strips_find_action(const tf_strips_domain *dom, const char *name)
{
    return find_name(dom->action[0].name, sizeof dom->action[0], dom->nactions, name);
}

int tf_strips_find_object(const tf_strips_problem *prob, const char *name)
{
    return find_name(prob->object[0], sizeof prob->object[0], prob->nobjects, name);
}

/* Ground lit with step's arguments into f. */
static void ground(const tf_strips_lit *lit, const int *arg, tf_strips_fact *f)
{
    f->pred = lit->pred;
    for (int i = 0; i < TF_STRIPS_MAX_ARITY; i++)
        f->arg[i] = arg[lit->arg[i] < 0 || lit->arg[i] >= TF_STRIPS_MAX_ARITY ? 0 : lit->arg[i]];
}

static void state_init(const tf_strips_domain *dom, const tf_strips_problem *prob, const layout *l,
                       uint64_t *s)
{
    memset(s, 0, l->words * sizeof *s);
    for (int i = 0; i < prob->ninit; i++)
        bit_set(s, fact_index(dom, prob, l, prob->init[i].pred, prob->init[i].arg));
}

static long goals_unmet(const tf_strips_domain *dom, const tf_strips_problem *prob, const layout *l,
                        const uint64_t *s)
{
    long k = 0;
    for (int i = 0; i < prob->ngoal; i++)
        k += !bit_get(s, fact_index(dom, prob, l, prob->goal[i].pred, prob->goal[i].arg));
    return k;
}

/* The first false precondition of a applied with arg in s, or -1. */
static int first_unmet(const tf_strips_domain *dom, const tf_strips_problem *prob, const layout *l,
                       const tf_strips_action *a, const int *arg, const uint64_t *s)
{
    for (int i = 0; i < a->npre; i++) {
        tf_strips_fact f;
        ground(&a->pre[i], arg, &f);
        if (!bit_get(s, fact_index(dom, prob, l, f.pred, f.arg)))
            return i;
    }
    return -1;
}

/* Apply a (applicable) with arg to s: deletes first, then adds. */
static void apply(const tf_strips_domain *dom, const tf_strips_problem *prob, const layout *l,
                  const tf_strips_action *a, const int *arg, uint64_t *s)
{
    tf_strips_fact f;
    for (int i = 0; i < a->ndel; i++) {
        ground(&a->del[i], arg, &f);
        bit_clear(s, fact_index(dom, prob, l, f.pred, f.arg));
    }
    for (int i = 0; i < a->nadd; i++) {
        ground(&a->add[i], arg, &f);
        bit_set(s, fact_index(dom, prob, l, f.pred, f.arg));
    }
}

tf_err tf_strips_simulate(const tf_strips_domain *dom, const tf_strips_problem *prob,
                          const tf_strips_step *steps, size_t n, tf_strips_sim *out)
{
    memset(out, 0, sizeof *out);
    out->first_invalid = -1;
    layout l;
    if (layout_make(dom, prob, &l) != 0)
        return TF_ERR_INTERNAL;
    uint64_t *s = calloc(l.words, sizeof *s);
    if (!s)
        return TF_ERR_NOMEM;
    state_init(dom, prob, &l, s);
    out->executable = 1;
    for (size_t k = 0; k < n; k++) {
        const tf_strips_action *a = &dom->action[steps[k].action];
        int bad = -1;
        for (int i = 0; i < a->arity && bad < 0; i++)
            if (steps[k].arg[i] < 0 || steps[k].arg[i] >= prob->nobjects)
                bad = i;
        if (bad >= 0) {
            out->why = TF_STRIPS_UNKNOWN_OBJECT;
            out->arg_index = bad;
        } else {
            int u = first_unmet(dom, prob, &l, a, steps[k].arg, s);
            if (u < 0) {
                apply(dom, prob, &l, a, steps[k].arg, s);
                continue;
            }
            out->why = TF_STRIPS_PRECONDITION;
            ground(&a->pre[u], steps[k].arg, &out->unmet);
        }
        out->executable = 0;
        out->first_invalid = (long)k;
        break;
    }
    out->unmet_goals = goals_unmet(dom, prob, &l, s);
    out->goal_reached = out->unmet_goals == 0;
    free(s);
    return TF_OK;
}

size_t tf_strips_words(const tf_strips_domain *dom, const tf_strips_problem *prob)
{
    layout l;
    return layout_make(dom, prob, &l) == 0 ? l.words : 0;
}

void tf_strips_state(const tf_strips_domain *dom, const tf_strips_problem *prob,
                     const tf_strips_step *steps, size_t n, uint64_t *s)
{
    layout l;
    if (layout_make(dom, prob, &l) != 0)
        return;
    state_init(dom, prob, &l, s);
    for (size_t i = 0; i < n; i++)
        apply(dom, prob, &l, &dom->action[steps[i].action], steps[i].arg, s);
}

int tf_strips_unmet(const tf_strips_domain *dom, const tf_strips_problem *prob, const uint64_t *s,
                    const tf_strips_step *st)
{
    layout l;
    if (layout_make(dom, prob, &l) != 0)
        return 0;
    return first_unmet(dom, prob, &l, &dom->action[st->action], st->arg, s);
}

void tf_strips_apply(const tf_strips_domain *dom, const tf_strips_problem *prob, uint64_t *s,
                     const tf_strips_step *st)
{
    layout l;
    if (layout_make(dom, prob, &l) == 0)
        apply(dom, prob, &l, &dom->action[st->action], st->arg, s);
}

static void write_atom(const char *head, int arity, const int *arg, const tf_strips_problem *prob,
                       char *buf, size_t n)
{
    if (n == 0)
        return;
    size_t at = 0;
    int k = snprintf(buf, n, "(%s", head);
    at = k < 0 ? 0 : (size_t)k;
    for (int i = 0; i < arity && at < n; i++) {
        const char *o = arg[i] >= 0 && arg[i] < prob->nobjects ? prob->object[arg[i]] : "?";
        k = snprintf(buf + at, n - at, " %s", o);
        at += k < 0 ? 0 : (size_t)k;
    }
    if (at < n)
        snprintf(buf + at, n - at, ")");
}

void tf_strips_fact_str(const tf_strips_domain *dom, const tf_strips_problem *prob,
                        const tf_strips_fact *f, char *buf, size_t n)
{
    write_atom(dom->pred[f->pred].name, dom->pred[f->pred].arity, f->arg, prob, buf, n);
}

void tf_strips_step_str(const tf_strips_domain *dom, const tf_strips_problem *prob,
                        const tf_strips_step *s, char *buf, size_t n)
{
    write_atom(dom->action[s->action].name, dom->action[s->action].arity, s->arg, prob, buf, n);
}

/* ---- breadth-first search ------------------------------------------- */

typedef struct node {
    uint64_t parent; /* index of the parent state; the root's is itself */
    tf_strips_step step;
} node;

typedef struct search {
    size_t words;
    uint64_t *states; /* words per state */
    node *nodes;
    uint64_t n, cap;
    uint64_t *table; /* open addressing: state index + 1, 0 empty */
    uint64_t tcap;   /* a power of two */
} search;

static uint64_t hash_state(const uint64_t *s, size_t words)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < words; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
        h ^= h >> 29;
    }
    return h;
}

static int grow(search *S)
{
    uint64_t cap = S->cap ? S->cap * 2 : 1024;
    uint64_t *st = realloc(S->states, cap * S->words * sizeof *st);
    if (!st)
        return -1;
    S->states = st;
    node *nd = realloc(S->nodes, cap * sizeof *nd);
    if (!nd)
        return -1;
    S->nodes = nd;
    S->cap = cap;
    /* the table stays at most half full */
    uint64_t tcap = S->tcap ? S->tcap : 2048;
    while (tcap < cap * 2)
        tcap *= 2;
    if (tcap != S->tcap) {
        uint64_t *t = calloc(tcap, sizeof *t);
        if (!t)
            return -1;
        for (uint64_t i = 0; i < S->n; i++) {
            uint64_t h = hash_state(S->states + i * S->words, S->words) & (tcap - 1);
            while (t[h])
                h = (h + 1) & (tcap - 1);
            t[h] = i + 1;
        }
        free(S->table);
        S->table = t;
        S->tcap = tcap;
    }
    return 0;
}

/* Index of state s if stored, else stores it (when room) and returns
 * UINT64_MAX - 1 for "new", UINT64_MAX for "no room / no memory". *ix is
 * the new index. */
static int lookup_or_add(search *S, const uint64_t *s, uint64_t max, uint64_t *ix, int *fresh)
{
    uint64_t h = hash_state(s, S->words) & (S->tcap - 1);
    while (S->table[h]) {
        uint64_t i = S->table[h] - 1;
        if (memcmp(S->states + i * S->words, s, S->words * sizeof *s) == 0) {
            *ix = i;
            *fresh = 0;
            return 0;
        }
        h = (h + 1) & (S->tcap - 1);
    }
    if (S->n >= max)
        return 1;
    if (S->n == S->cap) {
        if (grow(S) != 0)
            return -1;
        h = hash_state(s, S->words) & (S->tcap - 1);
        while (S->table[h])
            h = (h + 1) & (S->tcap - 1);
    }
    memcpy(S->states + S->n * S->words, s, S->words * sizeof *s);
    S->table[h] = S->n + 1;
    *ix = S->n++;
    *fresh = 1;
    return 0;
}

static void search_free(search *S)
{
    free(S->states);
    free(S->nodes);
    free(S->table);
}

/* Next argument tuple in base n over arity places; 0 when done. */
static int next_tuple(int *arg, int arity, int n)
{
    for (int i = arity - 1; i >= 0; i--) {
        if (++arg[i] < n)
            return 1;
        arg[i] = 0;
    }
    return 0;
}

tf_err tf_strips_plan(const tf_strips_domain *dom, const tf_strips_problem *prob,
                      uint64_t max_states, tf_strips_found *found, tf_strips_step **plan,
                      size_t *len, uint64_t *expanded)
{
    *plan = NULL;
    *len = 0;
    *found = TF_STRIPS_LIMIT;
    if (expanded)
        *expanded = 0;
    layout l;
    if (layout_make(dom, prob, &l) != 0)
        return TF_ERR_INTERNAL;
    search S = {.words = l.words};
    uint64_t *cur = calloc(l.words, sizeof *cur);
    tf_err e = TF_OK;
    if (!cur || grow(&S) != 0) {
        e = TF_ERR_NOMEM;
        goto out;
    }
    if (max_states < 1)
        goto out;
    state_init(dom, prob, &l, cur);
    uint64_t ix;
    int fresh, r = lookup_or_add(&S, cur, max_states, &ix, &fresh);
    if (r < 0) {
        e = TF_ERR_NOMEM;
        goto out;
    }
    S.nodes[0].parent = 0;
    uint64_t goal = UINT64_MAX;
    if (goals_unmet(dom, prob, &l, cur) == 0)
        goal = 0;
    int full = 0;
    /* once full, expanding the stored states can find nothing new */
    for (uint64_t q = 0; q < S.n && goal == UINT64_MAX && !full; q++) {
        for (int ai = 0; ai < dom->nactions && goal == UINT64_MAX; ai++) {
            const tf_strips_action *a = &dom->action[ai];
            int arg[TF_STRIPS_MAX_ARITY] = {0};
            if (a->arity > 0 && prob->nobjects == 0)
                continue;
            do {
                const uint64_t *s = S.states + q * S.words;
                if (first_unmet(dom, prob, &l, a, arg, s) >= 0)
                    continue;
                memcpy(cur, s, S.words * sizeof *cur);
                apply(dom, prob, &l, a, arg, cur);
                r = lookup_or_add(&S, cur, max_states, &ix, &fresh);
                if (r < 0) {
                    e = TF_ERR_NOMEM;
                    goto out;
                }
                if (r > 0) {
                    full = 1;
                    continue;
                }
                if (!fresh)
                    continue;
                S.nodes[ix].parent = q;
                S.nodes[ix].step.action = ai;
                memcpy(S.nodes[ix].step.arg, arg, sizeof arg);
                if (goals_unmet(dom, prob, &l, cur) == 0) {
                    goal = ix;
                    break;
                }
            } while (next_tuple(arg, a->arity, prob->nobjects));
        }
    }
    if (expanded)
        *expanded = S.n;
    if (goal == UINT64_MAX) {
        *found = full ? TF_STRIPS_LIMIT : TF_STRIPS_UNSOLVABLE;
        goto out;
    }
    size_t k = 0;
    for (uint64_t i = goal; i != 0; i = S.nodes[i].parent)
        k++;
    if (k > 0) {
        *plan = malloc(k * sizeof **plan);
        if (!*plan) {
            e = TF_ERR_NOMEM;
            goto out;
        }
        size_t j = k;
        for (uint64_t i = goal; i != 0; i = S.nodes[i].parent)
            (*plan)[--j] = S.nodes[i].step;
    }
    *len = k;
    *found = TF_STRIPS_FOUND;
out:
    free(cur);
    search_free(&S);
    return e;
}
