/* fuzz_pddl.c: the PDDL reader (pddl.h) on any bytes. The input is
 * DOMAIN NUL PROBLEM NUL PLAN (missing parts empty; with one NUL the plan
 * is read from the problem's bytes too). Against the built-in Blocksworld,
 * the first part is also read as a problem and the second as its plan. Every result
 * must be consistent: an error is PARSE or TOO_BIG with a one-line ASCII
 * message naming its line; what was read passes tf_strips_check; a plan
 * read simulates; a plan the planner finds (small bound) reaches the goal. */
#include "tracefarm/pddl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_err(tf_err e, const tf_diag *d)
{
    if (e == TF_OK || e == TF_ERR_NOMEM)
        return;
    if (e != TF_ERR_PARSE && e != TF_ERR_TOO_BIG)
        abort();
    /* "line N: ..." except for the text cap, which names no line */
    if (strncmp(d->msg, "line ", 5) != 0 && !strstr(d->msg, "bytes (at most"))
        abort();
    for (const char *p = d->msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            abort();
}

/* Read a plan for dom/prob and simulate it; with plan_it, also plan. */
static void plan_and_simulate(const tf_strips_domain *dom, const tf_strips_problem *prob,
                              const char *text, size_t len, int plan_it)
{
    tf_diag d;
    d.msg[0] = '\0';
    tf_strips_step *st = NULL;
    size_t n = 0;
    tf_err e = tf_pddl_plan(dom, prob, text, len, &st, &n, &d);
    check_err(e, &d);
    if (e != TF_OK && (st || n))
        abort();
    if (e == TF_OK) {
        if (n > TF_PDDL_MAX_PLAN || (n == 0) != (st == NULL))
            abort();
        for (size_t i = 0; i < n; i++)
            if (st[i].action < 0 || st[i].action >= dom->nactions)
                abort();
        tf_strips_sim s;
        if (tf_strips_simulate(dom, prob, st, n, &s) == TF_OK &&
            (s.first_invalid < -1 || s.first_invalid >= (long)n ||
             s.executable != (s.first_invalid == -1) || s.goal_reached != (s.unmet_goals == 0)))
            abort();
    }
    free(st);
    /* successors cost objects^arity each: plan small problems only */
    if (!plan_it || prob->nobjects > 8)
        return;
    tf_strips_found f;
    uint64_t stored = 0;
    if (tf_strips_plan(dom, prob, 200, &f, &st, &n, &stored) != TF_OK)
        return;
    if (stored > 200 || (f != TF_STRIPS_FOUND && (st || n)))
        abort();
    if (f == TF_STRIPS_FOUND) {
        tf_strips_sim s;
        if (tf_strips_simulate(dom, prob, st, n, &s) == TF_OK && (!s.executable || !s.goal_reached))
            abort();
    }
    free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *a = (const char *)data, *b = "", *c;
    size_t na = size, nb = 0, nc;
    const char *z = memchr(a, '\0', size);
    if (z) {
        na = (size_t)(z - a);
        b = z + 1;
        nb = size - na - 1;
    }
    c = b;
    nc = nb;
    z = memchr(b, '\0', nb);
    if (z) {
        nb = (size_t)(z - b);
        c = z + 1;
        nc = (size_t)((const char *)data + size - c);
    }
    /* the structs are large (a domain about 27 KB, a problem 37 KB) */
    tf_strips_domain *dom = malloc(sizeof *dom), *bw = malloc(sizeof *bw);
    tf_strips_problem *prob = malloc(sizeof *prob);
    if (!dom || !bw || !prob)
        goto out;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err e = tf_pddl_domain(a, na, dom, &d);
    check_err(e, &d);
    if (e == TF_OK) {
        if (tf_strips_check(dom, NULL, &d) != TF_OK)
            abort();
        e = tf_pddl_problem(dom, b, nb, prob, &d);
        check_err(e, &d);
        if (e == TF_OK) {
            if (tf_strips_check(dom, prob, &d) != TF_OK)
                abort();
            plan_and_simulate(dom, prob, c, nc, 1);
        }
    }
    /* the same bytes against the built-in Blocksworld */
    const char *t = tf_pddl_blocksworld();
    if (tf_pddl_domain(t, strlen(t), bw, &d) != TF_OK)
        abort();
    e = tf_pddl_problem(bw, a, na, prob, &d);
    check_err(e, &d);
    if (e == TF_OK) {
        if (tf_strips_check(bw, prob, &d) != TF_OK)
            abort();
        plan_and_simulate(bw, prob, b, nb, 1);
    }
out:
    free(dom);
    free(bw);
    free(prob);
    return 0;
}
