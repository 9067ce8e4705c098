/* fuzz_plantext_prompt.c: the PlanBench prompt reader (plantext.h) on any
 * bytes. A task read must be consistent (it passes tf_strips_check, every
 * object and action has its words, lower case) and writes back: a plan of
 * one step per action (objects in turn, one unknown) and, for the
 * Blocksworld, a prompt that reads again to the same task. An error must
 * be PARSE or TOO_BIG with a UTF-8 reason. */
#include "tracefarm/plantext.h"
#include "tracefarm/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int lower_case(const char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return 0;
    return 1;
}

static void check_task(const tf_plan_task *t)
{
    if (tf_strips_check(&t->dom, &t->prob, NULL) != TF_OK || t->prob.ngoal < 1)
        abort();
    for (int i = 0; i < t->prob.nobjects; i++)
        if (t->naliases[i] < 1 || strcmp(t->alias[i][0], t->prob.object[i]) != 0 ||
            !lower_case(t->prob.object[i]))
            abort();
    for (int a = 0; a < t->dom.nactions; a++)
        if (t->nphrases[a] < 1 || !t->phrase[a][0][0] || !lower_case(t->dom.action[a].name))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_plan_task *t = malloc(sizeof *t);
    if (!t)
        return 0;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err err = tf_plantext_prompt((const char *)data, size, t, &d);
    if (err == TF_OK) {
        check_task(t);
        tf_strips_step steps[TF_STRIPS_MAX_ACTIONS];
        for (int a = 0; a < t->dom.nactions; a++) {
            steps[a].action = a;
            for (int k = 0; k < TF_STRIPS_MAX_ARITY; k++)
                steps[a].arg[k] = t->prob.nobjects ? (a + k) % t->prob.nobjects : -1;
        }
        steps[0].arg[0] = -1;
        tf_buf b;
        tf_buf_init(&b, 1 << 20);
        if (tf_plantext_write_plan(t, steps, (size_t)t->dom.nactions, &b) != TF_OK || !b.data)
            abort();
        tf_buf_reset(&b);
        err = tf_plantext_write_prompt(t, &b);
        if (t->vocab == TF_PLAN_BLOCKSWORLD) {
            /* names that are PlanBench letters become colours: then not the same task */
            int letters = 0;
            for (int i = 0; i < t->prob.nobjects; i++)
                letters |= strlen(t->prob.object[i]) == 1;
            tf_plan_task *u = malloc(sizeof *u);
            if (err != TF_OK || !u || tf_plantext_prompt(b.data, b.len, u, NULL) != TF_OK)
                abort();
            if (!letters && (u->prob.nobjects != t->prob.nobjects ||
                             u->prob.ninit != t->prob.ninit || u->prob.ngoal != t->prob.ngoal))
                abort();
            free(u);
        } else if (err != TF_ERR_PARSE) {
            abort();
        }
        tf_buf_free(&b);
    } else if (err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG) {
        if (!d.msg[0] || tf_utf8_invalid_at(d.msg, strlen(d.msg)) != strlen(d.msg))
            abort();
    } else if (err != TF_ERR_NOMEM) {
        abort();
    }
    free(t);
    return 0;
}
