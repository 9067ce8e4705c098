/* plan_model.c: the synthetic planner behind tracefarm serve.
 *
 * A PlanBench prompt (Blocksworld, Mystery, obfuscated: the domain is read
 * from the prompt's own words, plantext.h) is planned once, optimally, by
 * the planning module's breadth-first search (strips.h). Each sample is a
 * pure function of (options, task, sample seed): a reasoning text whose
 * length grows with the optimal plan's length, then the plan in the
 * task's words (tf_plantext_write_plan), with at most one flaw drawn from
 * the seed:
 *
 *   padded   an action and its inverse inserted at a drawn step (pick-up
 *            x / put-down x; in any domain, a pair that leads back to the
 *            state it left): valid, two steps longer than optimal;
 *   invalid  one step of the optimal plan dropped, so that a later step's
 *            precondition fails (the first drop, from a drawn step on,
 *            that makes the plan not executable); when no drop does, an
 *            action not applicable in the state of a drawn step inserted
 *            there;
 *   refused  "no plan exists" for a task that has one.
 *
 * Every answer is read back before it is returned (tf_plantext_read_plan,
 * whole and from its plan on) and must give exactly the steps written, or
 * no plan for a refusal; what the read-back plan simulates to (valid,
 * optimal, the first error's code as the blocksworld domain names it) is
 * in the info for /stats. docs/serve.md, "Plans (Blocksworld)".
 */
#include "tracefarm/plantext.h"
#include "tracefarm/rng.h"
#include "tracefarm/serve.h"
#include "tracefarm/strips.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_PLAN UINT64_C(0x706c616e) /* "plan" */
#define MAX_GROUND 65536L              /* ground actions enumerated in one state */
#define MAX_WORK 4000000L              /* applicability checks for one flaw */
#define MAX_CANDIDATES 64              /* pairs kept at one step, one drawn */

static const char *const mode_names[TF_SERVE_PLAN_MODE_COUNT] = {"optimal", "padded",     "invalid",
                                                                 "refused", "unsolvable", "limit"};

const char *tf_serve_plan_mode_name(tf_serve_plan_mode m)
{
    return (int)m >= 0 && m < TF_SERVE_PLAN_MODE_COUNT ? mode_names[m] : NULL;
}

/* ----- loading and planning ----------------------------------------------------- */

static bool has_statement(const char *s, size_t n)
{
    static const char key[] = "[STATEMENT]";
    size_t k = sizeof key - 1;
    for (size_t i = 0; i + k <= n; i++)
        if (s[i] == '[' && memcmp(s + i, key, k) == 0)
            return true;
    return false;
}

void tf_serve_plan_free(tf_serve_plan_problem *p)
{
    if (!p)
        return;
    free(p->plan);
    free(p);
}

tf_err tf_serve_plan_from_task(const tf_serve_plan_opts *o, const tf_plan_task *task,
                               tf_serve_plan_problem **out)
{
    *out = NULL;
    tf_serve_plan_problem *p = calloc(1, sizeof *p);
    if (!p)
        return TF_ERR_NOMEM;
    p->task = *task;
    uint64_t bound = o->max_states ? o->max_states : TF_STRIPS_DEFAULT_MAX_STATES;
    tf_err e =
        tf_strips_plan(&p->task.dom, &p->task.prob, bound, &p->found, &p->plan, &p->len, NULL);
    if (e != TF_OK) {
        tf_serve_plan_free(p);
        return e;
    }
    *out = p;
    return TF_OK;
}

tf_err tf_serve_plan_load(const tf_serve_plan_opts *o, const char *prompt, size_t len,
                          tf_serve_plan_problem **out)
{
    *out = NULL;
    if (len > TF_PLANTEXT_MAX_PROMPT)
        return TF_ERR_TOO_BIG;
    if (!has_statement(prompt, len))
        return TF_ERR_PARSE;
    tf_plan_task *t = malloc(sizeof *t);
    if (!t)
        return TF_ERR_NOMEM;
    tf_diag d = {{0}};
    tf_err e = tf_plantext_prompt(prompt, len, t, &d);
    if (e == TF_OK)
        e = tf_serve_plan_from_task(o, t, out);
    free(t);
    return e;
}

/* ----- states ---------------------------------------------------------------------- */

/* The problem a sample's flaws are placed in, and its states' size
 * (strips.h's state functions). */
typedef struct world {
    const tf_strips_domain *dom;
    const tf_strips_problem *prob;
    size_t words; /* 64-bit words of a state */
} world;

static bool world_make(const tf_strips_domain *dom, const tf_strips_problem *prob, world *w)
{
    w->dom = dom;
    w->prob = prob;
    w->words = tf_strips_words(dom, prob);
    return w->words > 0;
}

static int unmet_pre(const world *w, const uint64_t *s, const tf_strips_step *st)
{
    return tf_strips_unmet(w->dom, w->prob, s, st);
}

static void apply(const world *w, uint64_t *s, const tf_strips_step *st)
{
    tf_strips_apply(w->dom, w->prob, s, st);
}

/* The state after steps[0..k) (all applicable) into s. */
static void state_at(const world *w, const tf_strips_step *steps, size_t k, uint64_t *s)
{
    tf_strips_state(w->dom, w->prob, steps, k, s);
}

/* Ground action number g (actions in order, arguments in base nobjects)
 * into st; false past the last one. */
static bool ground_action(const world *w, long g, tf_strips_step *st)
{
    long n = w->prob->nobjects;
    memset(st, 0, sizeof *st);
    for (int a = 0; a < w->dom->nactions; a++) {
        long k = 1;
        for (int i = 0; i < w->dom->action[a].arity; i++)
            k *= n;
        if (n == 0 && w->dom->action[a].arity > 0)
            k = 0;
        if (g < k) {
            st->action = a;
            for (int i = w->dom->action[a].arity - 1; i >= 0; i--) {
                st->arg[i] = (int)(g % n);
                g /= n;
            }
            return true;
        }
        g -= k;
    }
    return false;
}

static long ground_count(const world *w)
{
    long total = 0;
    tf_strips_step st;
    while (total < MAX_GROUND && ground_action(w, total, &st))
        total++;
    return total;
}

/* ----- the flaws -------------------------------------------------------------------- */

/* Insert n steps ins[] at position k of steps[0..len) into out (room for
 * len + n). */
static void splice(const tf_strips_step *steps, size_t len, size_t k, const tf_strips_step *ins,
                   size_t n, tf_strips_step *out)
{
    memcpy(out, steps, k * sizeof *steps);
    memcpy(out + k, ins, n * sizeof *ins);
    memcpy(out + k + n, steps + k, (len - k) * sizeof *steps);
}

/* Padded: a pair (a, b), a applicable at a step, b applicable after it and
 * leading back to the same state, inserted there. The step is drawn and
 * the others tried in turn; at the first step with pairs, one of the first
 * MAX_CANDIDATES is drawn. */
static tf_err pad(const world *w, const tf_serve_plan_problem *p, tf_rng *g, tf_strips_step *out,
                  size_t *n, bool *placed)
{
    *placed = false;
    long G = ground_count(w), work = 0;
    uint64_t *s = calloc(3 * w->words, sizeof *s);
    tf_strips_step(*cand)[2] = calloc(MAX_CANDIDATES, sizeof *cand);
    if (!s || !cand) {
        free(s);
        free((void *)cand);
        return TF_ERR_NOMEM;
    }
    uint64_t *s1 = s + w->words, *s2 = s1 + w->words;
    size_t k0 = (size_t)tf_rng_below(g, p->len + 1);
    uint64_t pick = tf_rng_next(g);
    for (size_t t = 0; t <= p->len && !*placed && work < MAX_WORK; t++) {
        size_t k = (k0 + t) % (p->len + 1);
        state_at(w, p->plan, k, s);
        int nc = 0;
        for (long a = 0; a < G && nc < MAX_CANDIDATES && work < MAX_WORK; a++) {
            tf_strips_step sa, sb;
            if (!ground_action(w, a, &sa) || (work++, unmet_pre(w, s, &sa) >= 0))
                continue;
            memcpy(s1, s, w->words * sizeof *s);
            apply(w, s1, &sa);
            for (long b = 0; b < G && nc < MAX_CANDIDATES && work < MAX_WORK; b++) {
                if (!ground_action(w, b, &sb) || (work++, unmet_pre(w, s1, &sb) >= 0))
                    continue;
                memcpy(s2, s1, w->words * sizeof *s);
                apply(w, s2, &sb);
                if (memcmp(s2, s, w->words * sizeof *s) == 0) {
                    cand[nc][0] = sa;
                    cand[nc][1] = sb;
                    nc++;
                }
            }
        }
        if (nc > 0) {
            splice(p->plan, p->len, k, cand[pick % (uint64_t)nc], 2, out);
            *n = p->len + 2;
            *placed = true;
        }
    }
    free(s);
    free((void *)cand);
    return TF_OK;
}

/* Invalid: one step dropped so that the plan is no longer executable (from
 * a drawn step on, the first that does it); else an action not applicable
 * in the state of a drawn step inserted there (from a drawn ground action
 * on). *first is the index of the first step that is not applicable. */
static tf_err invalidate(const world *w, const tf_serve_plan_problem *p, tf_rng *g,
                         tf_strips_step *out, size_t *n, long *first, bool *placed)
{
    *placed = false;
    size_t k0 = p->len ? (size_t)tf_rng_below(g, p->len) : 0;
    size_t i0 = (size_t)tf_rng_below(g, p->len + 1);
    uint64_t a0 = tf_rng_next(g);
    for (size_t t = 0; t < p->len && p->len > 1; t++) {
        size_t k = (k0 + t) % p->len;
        memcpy(out, p->plan, k * sizeof *out);
        memcpy(out + k, p->plan + k + 1, (p->len - k - 1) * sizeof *out);
        tf_strips_sim sim;
        tf_err e = tf_strips_simulate(w->dom, w->prob, out, p->len - 1, &sim);
        if (e != TF_OK)
            return e;
        if (!sim.executable) {
            *n = p->len - 1;
            *first = sim.first_invalid;
            *placed = true;
            return TF_OK;
        }
    }
    long G = ground_count(w);
    if (G == 0)
        return TF_OK;
    uint64_t *s = calloc(w->words, sizeof *s);
    if (!s)
        return TF_ERR_NOMEM;
    long work = 0;
    for (size_t t = 0; t <= p->len && !*placed && work < MAX_WORK; t++) {
        size_t k = (i0 + t) % (p->len + 1);
        state_at(w, p->plan, k, s);
        for (long j = 0; j < G && work < MAX_WORK; j++, work++) {
            tf_strips_step st;
            if (!ground_action(w, (long)((a0 + (uint64_t)j) % (uint64_t)G), &st) ||
                unmet_pre(w, s, &st) < 0)
                continue;
            splice(p->plan, p->len, k, &st, 1, out);
            *n = p->len + 1;
            *first = (long)k;
            *placed = true;
            break;
        }
    }
    free(s);
    return TF_OK;
}

/* ----- the text -------------------------------------------------------------------- */

/* The reasoning: an opening, one sentence per step of the optimal plan,
 * and 0 to 2 sentences of checking again (drawn). Its words name no
 * action and say nothing of failure, so that reading the whole answer
 * finds the plan after it and nothing else. */
static tf_err write_reasoning(const tf_serve_plan_problem *p, tf_serve_plan_mode mode,
                              unsigned extra, tf_buf *out)
{
    tf_err e = tf_buf_printf(out,
                             "I need a sequence of moves that takes the initial conditions to "
                             "the %d goal condition%s, with %d objects in play.\n",
                             p->task.prob.ngoal, p->task.prob.ngoal == 1 ? "" : "s",
                             p->task.prob.nobjects);
    if (mode == TF_SERVE_PLAN_UNSOLVABLE || mode == TF_SERVE_PLAN_LIMIT)
        return e == TF_OK ? tf_buf_puts(out, "I search the states reachable from the initial "
                                             "conditions, shortest sequences first.\n")
                          : e;
    for (size_t i = 0; e == TF_OK && i < p->len; i++)
        e = tf_buf_printf(out,
                          "Move %zu of %zu: its conditions hold in the state reached so far, "
                          "and its effects bring that state one move closer to the goal.\n",
                          i + 1, p->len);
    for (unsigned i = 0; e == TF_OK && i < extra; i++)
        e = tf_buf_puts(out, "Checking the sequence again from the start, every move's "
                             "conditions hold where it is made.\n");
    return e;
}

static const char *refusal(tf_serve_plan_mode mode)
{
    switch (mode) {
    case TF_SERVE_PLAN_LIMIT:
        return "I could not find a plan within my search limit, so I cannot give one.";
    case TF_SERVE_PLAN_UNSOLVABLE:
        return "There is no plan that achieves the goal: it is impossible to reach it from "
               "these initial conditions.";
    default:
        return "There is no plan that achieves the goal: it is impossible to reach it from "
               "these initial conditions.";
    }
}

/* What the blocksworld domain reads: the plan in text[0..n), read and
 * simulated (verify/blocksworld.c's first_error codes). *r is to be freed
 * by the caller whatever the result. */
static tf_err read_back(const tf_serve_plan_problem *p, const char *text, size_t n, tf_plan_read *r,
                        tf_serve_plan_info *info)
{
    tf_diag d = {{0}};
    tf_err e = tf_plantext_read_plan(&p->task, text, n, r, &d);
    if (e != TF_OK)
        return e;
    info->valid = info->optimal = false;
    info->first_error[0] = 0;
    const char *code = r->status == TF_PLAN_READ_NONE         ? "no_plan"
                       : r->status == TF_PLAN_READ_REFUSED    ? "plan_refused"
                       : r->status == TF_PLAN_READ_INCOMPLETE ? "plan_incomplete"
                                                              : NULL;
    if (code) {
        snprintf(info->first_error, sizeof info->first_error, "%s", code);
        return TF_OK;
    }
    tf_strips_sim sim;
    e = tf_strips_simulate(&p->task.dom, &p->task.prob, r->steps, r->n, &sim);
    if (e != TF_OK)
        return e;
    if (!sim.executable && sim.why == TF_STRIPS_UNKNOWN_OBJECT)
        snprintf(info->first_error, sizeof info->first_error, "unknown_object");
    else if (!sim.executable)
        snprintf(info->first_error, sizeof info->first_error, "unmet_%s",
                 p->task.dom.pred[sim.unmet.pred].name);
    info->valid = sim.executable && sim.goal_reached;
    info->optimal = info->valid && p->found == TF_STRIPS_FOUND && r->n == p->len;
    return TF_OK;
}

static bool same_steps(const tf_serve_plan_problem *p, const tf_plan_read *r,
                       const tf_strips_step *steps, size_t n)
{
    if (r->status != TF_PLAN_READ_OK || r->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (r->steps[i].action != steps[i].action)
            return false;
        for (int j = 0; j < p->task.dom.action[steps[i].action].arity; j++)
            if (r->steps[i].arg[j] != steps[i].arg[j])
                return false;
    }
    return true;
}

/* Read the answer back, from its plan on and whole: both must give the
 * steps written (none for a refusal). */
static tf_err check(const tf_serve_plan_problem *p, const char *text, size_t n, size_t at,
                    const tf_strips_step *steps, size_t nsteps, bool refused,
                    tf_serve_plan_info *info)
{
    tf_plan_read part, whole;
    tf_err e = read_back(p, text + at, n - at, &part, info);
    tf_serve_plan_info wi = *info;
    if (e == TF_OK)
        e = read_back(p, text, n, &whole, &wi);
    else
        memset(&whole, 0, sizeof whole);
    if (e == TF_OK) {
        bool ok = refused
                      ? part.status != TF_PLAN_READ_OK && whole.status != TF_PLAN_READ_OK
                      : same_steps(p, &part, steps, nsteps) && same_steps(p, &whole, steps, nsteps);
        if (!ok || strcmp(wi.first_error, info->first_error) != 0)
            e = TF_ERR_INTERNAL;
    }
    tf_plan_read_free(&part);
    tf_plan_read_free(&whole);
    return e;
}

tf_err tf_serve_plan_answer(const tf_serve_plan_opts *o, const tf_serve_plan_problem *p,
                            uint64_t seed, tf_buf *out, tf_serve_plan_info *info)
{
    memset(info, 0, sizeof *info);
    info->first_invalid = -1;
    info->optimal_len = p->found == TF_STRIPS_FOUND ? (long)p->len : -1;
    tf_rng g = {tf_mix64(seed ^ SALT_PLAN)};
    double u = tf_rng_unit(&g);
    unsigned extra = (unsigned)tf_rng_below(&g, 3);
    tf_rng gs = {tf_rng_next(&g)};
    tf_serve_plan_mode mode = TF_SERVE_PLAN_OPTIMAL;
    if (u < o->invalid_rate)
        mode = TF_SERVE_PLAN_INVALID;
    else if (u < o->invalid_rate + o->padding_rate)
        mode = TF_SERVE_PLAN_PADDED;
    else if (u < o->invalid_rate + o->padding_rate + o->refuse_rate)
        mode = TF_SERVE_PLAN_REFUSED;
    info->drawn = mode;
    if (p->found == TF_STRIPS_UNSOLVABLE)
        mode = TF_SERVE_PLAN_UNSOLVABLE;
    else if (p->found == TF_STRIPS_LIMIT)
        mode = TF_SERVE_PLAN_LIMIT;

    world w;
    if (!world_make(&p->task.dom, &p->task.prob, &w))
        return TF_ERR_INTERNAL; /* tf_strips_check refuses such problems */
    tf_strips_step *steps = calloc(p->len + 2, sizeof *steps);
    if (!steps)
        return TF_ERR_NOMEM;
    size_t n = p->len;
    if (p->len)
        memcpy(steps, p->plan, p->len * sizeof *steps);
    bool placed = true;
    tf_err e = TF_OK;
    if (mode == TF_SERVE_PLAN_PADDED)
        e = pad(&w, p, &gs, steps, &n, &placed);
    else if (mode == TF_SERVE_PLAN_INVALID)
        e = invalidate(&w, p, &gs, steps, &n, &info->first_invalid, &placed);
    if (e == TF_OK && !placed) {
        mode = TF_SERVE_PLAN_OPTIMAL;
        n = p->len;
        if (p->len)
            memcpy(steps, p->plan, p->len * sizeof *steps);
    }
    info->mode = mode;
    bool refused = mode == TF_SERVE_PLAN_REFUSED || mode == TF_SERVE_PLAN_UNSOLVABLE ||
                   mode == TF_SERVE_PLAN_LIMIT;
    info->plan_len = refused ? 0 : (long)n;
    size_t start = out->len;
    if (e == TF_OK)
        e = write_reasoning(p, mode, extra, out);
    if (e == TF_OK)
        e = tf_buf_puts(out, "\n");
    info->answer_at = out->len - start;
    if (e == TF_OK)
        e = refused ? tf_buf_puts(out, refusal(mode))
                    : tf_plantext_write_plan(&p->task, steps, n, out);
    if (e == TF_OK)
        e = check(p, out->data + start, out->len - start, info->answer_at, steps, n, refused, info);
    free(steps);
    if (e != TF_OK && out->data) {
        out->len = start;
        out->data[start] = 0;
    }
    return e;
}
