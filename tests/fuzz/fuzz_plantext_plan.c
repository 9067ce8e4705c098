/* fuzz_plantext_plan.c: the plan reader (plantext.h) on any bytes, as the
 * answer to a fixed hand-built Blocksworld task (byte 0 even) or a
 * Mystery-like one (odd); the rest is the text. The result must be
 * consistent (a status, steps only with OK or INCOMPLETE, every action
 * and argument in range, a NUL-terminated reason within its array) and
 * the plan must simulate. */
#include "tracefarm/plantext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_action(tf_plan_task *t, const char *name, int arity, const char *p0, const char *p1)
{
    int a = t->dom.nactions++;
    snprintf(t->dom.action[a].name, TF_STRIPS_MAX_NAME, "%s", name);
    t->dom.action[a].arity = arity;
    snprintf(t->phrase[a][t->nphrases[a]++], TF_STRIPS_MAX_NAME, "%s", p0);
    if (p1)
        snprintf(t->phrase[a][t->nphrases[a]++], TF_STRIPS_MAX_NAME, "%s", p1);
    /* one precondition: clear / province of the first argument */
    t->dom.action[a].npre = 1;
    t->dom.action[a].pre[0].pred = 0;
    t->dom.action[a].pre[0].arg[0] = 0;
    t->dom.action[a].nadd = 1;
    t->dom.action[a].add[0].pred = 1;
}

static void build(tf_plan_task *t, int mystery)
{
    memset(t, 0, sizeof *t);
    snprintf(t->dom.pred[0].name, TF_STRIPS_MAX_NAME, "%s", mystery ? "province" : "clear");
    t->dom.pred[0].arity = 1;
    snprintf(t->dom.pred[1].name, TF_STRIPS_MAX_NAME, "%s", "done");
    t->dom.npreds = 2;
    static const char *const COLOUR[] = {"red", "blue", "orange", "yellow"};
    if (mystery) {
        t->vocab = TF_PLAN_MYSTERY;
        add_action(t, "attack", 1, "attack", NULL);
        add_action(t, "succumb", 1, "succumb", NULL);
        add_action(t, "overcome", 2, "overcome", NULL);
        add_action(t, "feast", 2, "feast", NULL);
    } else {
        t->vocab = TF_PLAN_BLOCKSWORLD;
        add_action(t, "pick-up", 1, "pick up", "pick-up");
        add_action(t, "put-down", 1, "put down", "put-down");
        add_action(t, "stack", 2, "stack", NULL);
        add_action(t, "unstack", 2, "unstack", NULL);
    }
    for (int o = 0; o < 4; o++) {
        char letter[2] = {(char)('a' + o), '\0'};
        snprintf(t->prob.object[o], TF_STRIPS_MAX_NAME, "%s", mystery ? letter : COLOUR[o]);
        snprintf(t->alias[o][0], TF_STRIPS_MAX_NAME, "%s", t->prob.object[o]);
        t->naliases[o] = 1;
        if (!mystery)
            snprintf(t->alias[o][t->naliases[o]++], TF_STRIPS_MAX_NAME, "%s", letter);
        t->prob.init[t->prob.ninit].pred = 0;
        t->prob.init[t->prob.ninit++].arg[0] = o;
    }
    t->prob.nobjects = 4;
    t->prob.goal[0].pred = 1;
    t->prob.ngoal = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tf_plan_task *t = malloc(sizeof *t);
    if (!t)
        return 0;
    build(t, data[0] & 1);
    tf_plan_read r;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err e = tf_plantext_read_plan(t, (const char *)data + 1, size - 1, &r, &d);
    if (e != TF_OK && e != TF_ERR_TOO_BIG && e != TF_ERR_NOMEM)
        abort();
    if (e == TF_ERR_TOO_BIG && !d.msg[0])
        abort();
    if (!memchr(r.reason, '\0', sizeof r.reason) || !memchr(r.unknown, '\0', sizeof r.unknown))
        abort();
    if (e == TF_OK) {
        if (r.status == TF_PLAN_READ_OK || r.status == TF_PLAN_READ_INCOMPLETE) {
            if (r.n == 0 || !r.steps || r.first_line < 1 || !r.form)
                abort();
        } else if (r.n != 0 ||
                   (r.status != TF_PLAN_READ_NONE && r.status != TF_PLAN_READ_REFUSED)) {
            abort();
        }
        if (r.status == TF_PLAN_READ_INCOMPLETE && !r.reason[0])
            abort();
        if (r.unknown_step >= (long)r.n || (r.unknown_step >= 0) != (r.unknown[0] != '\0'))
            abort();
        for (size_t i = 0; i < r.n; i++) {
            const tf_strips_step *s = &r.steps[i];
            if (s->action < 0 || s->action >= t->dom.nactions)
                abort();
            for (int k = 0; k < t->dom.action[s->action].arity; k++)
                if (s->arg[k] < -1 || s->arg[k] >= t->prob.nobjects)
                    abort();
        }
        tf_strips_sim sim;
        if (tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim) != TF_OK && r.n > 0)
            abort();
    }
    tf_plan_read_free(&r);
    free(t);
    return 0;
}
