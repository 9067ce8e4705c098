/* test_strips.c: the STRIPS simulator and the breadth-first planner
 * (strips.h) on PlanBench's 4-operator Blocksworld (read with pddl.h).
 * Every precondition of every action violated in turn; the planner's
 * lengths against an independent brute-force search over a block model of
 * its own, on random problems of a fixed seed. */
#include "tracefarm/pddl.h"
#include "tracefarm/strips.h"
#include "tf_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static tf_strips_domain dom;

static void load_domain(void)
{
    tf_diag d = {{0}};
    const char *t = tf_pddl_blocksworld();
    tf_err e = tf_pddl_domain(t, strlen(t), &dom, &d);
    CHECKF(e == TF_OK, "%s", d.msg);
}

static int problem(tf_strips_problem *p, const char *text)
{
    tf_diag d = {{0}};
    tf_err e = tf_pddl_problem(&dom, text, strlen(text), p, &d);
    CHECKF(e == TF_OK, "%s", d.msg);
    return e == TF_OK;
}

/* Simulate plan text on p. */
static tf_strips_sim sim(const tf_strips_problem *p, const char *plan)
{
    tf_strips_sim s;
    memset(&s, 0, sizeof s);
    tf_strips_step *st = NULL;
    size_t n = 0;
    tf_diag d = {{0}};
    tf_err e = tf_pddl_plan(&dom, p, plan, strlen(plan), &st, &n, &d);
    CHECKF(e == TF_OK, "%s", d.msg);
    if (e == TF_OK) {
        e = tf_strips_simulate(&dom, p, st, n, &s);
        CHECK(e == TF_OK);
    }
    free(st);
    return s;
}

/* The plan fails at step idx on the unmet precondition want. */
static void fails_at(const tf_strips_problem *p, const char *plan, long idx, const char *want)
{
    tf_strips_sim s = sim(p, plan);
    char got[128];
    tf_strips_fact_str(&dom, p, &s.unmet, got, sizeof got);
    CHECKF(!s.executable && s.first_invalid == idx && s.why == TF_STRIPS_PRECONDITION &&
               strcmp(got, want) == 0,
           "%s: executable %d first_invalid %ld why %d unmet %s (want %ld %s)", plan, s.executable,
           s.first_invalid, (int)s.why, got, idx, want);
}

/* a on b; b and c on the table. */
static const char *P1 = "(define (problem p1) (:domain blocksworld-4ops) (:objects a b c)\n"
                        "(:init (on a b) (ontable b) (ontable c) (clear a) (clear c) "
                        "(handempty))\n(:goal (and (ontable a))))";
/* the tower c on a on b. */
static const char *P2 = "(define (problem p2) (:domain blocksworld-4ops) (:objects a b c)\n"
                        "(:init (on c a) (on a b) (ontable b) (clear c) (handempty))\n"
                        "(:goal (and (on b c) (on a b))))";

static void test_preconditions(void)
{
    tf_strips_problem p1, p2;
    if (!problem(&p1, P1) || !problem(&p2, P2))
        return;
    /* pick-up: (clear ?ob) (ontable ?ob) (handempty) */
    fails_at(&p1, "(pick-up c)\n(put-down c)\n(pick-up b)", 2, "(clear b)");
    fails_at(&p1, "(pick-up a)", 0, "(ontable a)");
    fails_at(&p1, "(unstack a b)\n(put-down a)\n(pick-up b)\n(pick-up c)", 3, "(handempty)");
    /* put-down: (holding ?ob) */
    fails_at(&p1, "(put-down c)", 0, "(holding c)");
    fails_at(&p1, "(pick-up c)\n(put-down c)\n(put-down c)", 2, "(holding c)");
    /* stack: (clear ?underob) (holding ?ob) */
    fails_at(&p1, "(pick-up c)\n(stack c b)", 1, "(clear b)");
    fails_at(&p1, "(stack c a)", 0, "(holding c)");
    /* unstack: (on ?ob ?underob) (clear ?ob) (handempty) */
    fails_at(&p1, "(unstack c a)", 0, "(on c a)");
    fails_at(&p2, "(unstack a b)", 0, "(clear a)");
    fails_at(&p1, "(pick-up c)\n(unstack a b)", 1, "(handempty)");
    /* several false at once: the first in PlanBench's order */
    fails_at(&p2, "(pick-up a)", 0, "(clear a)");                /* not ontable either */
    fails_at(&p1, "(pick-up c)\n(pick-up a)", 1, "(ontable a)"); /* hand full */
    fails_at(&p1, "(stack c b)", 0, "(clear b)");                /* c not held */
    fails_at(&p2, "(unstack a c)", 0, "(on a c)");               /* a not clear */
    tf_strips_problem p3;
    if (problem(&p3, "(define (problem p3) (:objects a b c d)\n"
                     "(:init (on d c) (on c b) (ontable b) (ontable a) (clear a) (clear d)\n"
                     " (handempty)) (:goal (and)))"))
        fails_at(&p3, "(pick-up a)\n(unstack c b)", 1, "(clear c)"); /* hand full */
    /* a block on itself: holding a deletes (clear a) */
    fails_at(&p1, "(unstack a b)\n(put-down a)\n(pick-up a)\n(stack a a)", 3, "(clear a)");
    fails_at(&p1, "(unstack a a)", 0, "(on a a)");

    /* an unknown object: argument -1, which argument */
    tf_strips_sim s = sim(&p1, "(pick-up c)\n(stack c zz)");
    CHECK(!s.executable && s.first_invalid == 1 && s.why == TF_STRIPS_UNKNOWN_OBJECT &&
          s.arg_index == 1);
    s = sim(&p1, "(pick-up z)");
    CHECK(!s.executable && s.first_invalid == 0 && s.why == TF_STRIPS_UNKNOWN_OBJECT &&
          s.arg_index == 0);
    /* by hand: -1 and an index past the objects are both unknown */
    tf_strips_step st[2] = {{.action = 0, .arg = {-1, 0, 0}}, {.action = 0, .arg = {3, 0, 0}}};
    tf_strips_sim s2;
    CHECK(tf_strips_simulate(&dom, &p1, st, 1, &s2) == TF_OK && !s2.executable &&
          s2.why == TF_STRIPS_UNKNOWN_OBJECT);
    CHECK(tf_strips_simulate(&dom, &p1, st + 1, 1, &s2) == TF_OK && !s2.executable &&
          s2.why == TF_STRIPS_UNKNOWN_OBJECT && s2.arg_index == 0);
    char buf[64];
    tf_strips_step_str(&dom, &p1, &st[0], buf, sizeof buf);
    CHECKF(strcmp(buf, "(pick-up ?)") == 0, "%s", buf);
    tf_strips_step_str(&dom, &p1, &st[0], buf, 5);
    CHECKF(strcmp(buf, "(pic") == 0, "%s", buf);
}

static void test_goals(void)
{
    tf_strips_problem p1, p2;
    if (!problem(&p1, P1) || !problem(&p2, P2))
        return;
    tf_strips_sim s = sim(&p1, "");
    CHECK(s.executable && s.first_invalid == -1 && !s.goal_reached && s.unmet_goals == 1);
    s = sim(&p1, "(unstack a b)\n(put-down a)\n");
    CHECK(s.executable && s.goal_reached && s.unmet_goals == 0);
    /* the goal is judged after the last applicable step */
    s = sim(&p1, "(unstack a b)\n(put-down a)\n(pick-up q)\n(pick-up b)");
    CHECK(!s.executable && s.first_invalid == 2 && s.goal_reached && s.unmet_goals == 0);
    s = sim(&p1, "(unstack a b)\n(stack a a)\n(put-down a)");
    CHECK(!s.executable && s.first_invalid == 1 && !s.goal_reached && s.unmet_goals == 1);
    /* p2: (on b c) (on a b) from c/a/b */
    s = sim(&p2, "(unstack c a)\n(put-down c)");
    CHECK(s.executable && !s.goal_reached && s.unmet_goals == 1);
    s = sim(&p2, "(unstack c a)\n(put-down c)\n(unstack a b)\n(put-down a)");
    CHECK(s.executable && !s.goal_reached && s.unmet_goals == 2);
    s = sim(&p2, "(unstack c a)\n(put-down c)\n(unstack a b)\n(put-down a)\n(pick-up b)\n"
                 "(stack b c)");
    CHECK(s.executable && !s.goal_reached && s.unmet_goals == 1);
    s = sim(&p2, "(unstack c a)\n(put-down c)\n(unstack a b)\n(put-down a)\n(pick-up b)\n"
                 "(stack b c)\n(pick-up a)\n(stack a b)");
    CHECK(s.executable && s.goal_reached && s.unmet_goals == 0 && s.first_invalid == -1);
}

static void test_long_plan(void)
{
    tf_strips_problem p1;
    if (!problem(&p1, P1))
        return;
    size_t n = 100000;
    tf_strips_step *st = calloc(n, sizeof *st);
    if (!st) {
        CHECK(0);
        return;
    }
    int pick = tf_strips_find_action(&dom, "pick-up"),
        put = tf_strips_find_action(&dom, "PUT-DOWN");
    int c = tf_strips_find_object(&p1, "C");
    CHECK(pick >= 0 && put >= 0 && c == 2);
    for (size_t i = 0; i < n; i++) {
        st[i].action = i % 2 ? put : pick;
        st[i].arg[0] = c;
    }
    tf_strips_sim s;
    CHECK(tf_strips_simulate(&dom, &p1, st, n, &s) == TF_OK);
    CHECK(s.executable && s.first_invalid == -1 && !s.goal_reached && s.unmet_goals == 1);
    /* one more pick-up at the end leaves c held, and is valid */
    st[n - 1].action = pick;
    CHECK(tf_strips_simulate(&dom, &p1, st, n, &s) == TF_OK);
    CHECK(!s.executable && s.first_invalid == (long)n - 1);
    free(st);
}

/* ---- an independent model: pos[b] is the block b is on, n the table,
 * n + 1 the hand; a state is pos in base n + 2 ---------------------------- */

typedef struct bw {
    int n;
    int init[8];
    int ngoal;
    int goal_x[8], goal_y[8]; /* pos[goal_x] == goal_y */
} bw;

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random arrangement of n blocks: a random order cut into towers. */
static void random_arrangement(uint64_t *r, int n, int *pos)
{
    int perm[8];
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng_next(r) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < n; i++)
        pos[perm[i]] = i == 0 || rng_next(r) % 3 == 0 ? n : perm[i - 1];
}

static long encode(const int *pos, int n)
{
    long k = 0;
    for (int i = n - 1; i >= 0; i--)
        k = k * (n + 2) + pos[i];
    return k;
}

static void decode(long k, int n, int *pos)
{
    for (int i = 0; i < n; i++) {
        pos[i] = (int)(k % (n + 2));
        k /= n + 2;
    }
}

static int bw_clear(const int *pos, int n, int b)
{
    if (pos[b] == n + 1)
        return 0;
    for (int c = 0; c < n; c++)
        if (pos[c] == b)
            return 0;
    return 1;
}

static int bw_goal(const bw *P, const int *pos)
{
    for (int i = 0; i < P->ngoal; i++)
        if (pos[P->goal_x[i]] != P->goal_y[i])
            return 0;
    return 1;
}

/* The optimal plan length by breadth-first search over pos, or -1. */
static int brute_force(const bw *P)
{
    int n = P->n;
    long size = 1;
    for (int i = 0; i < n; i++)
        size *= n + 2;
    int *dist = malloc((size_t)size * sizeof *dist);
    long *queue = malloc((size_t)size * sizeof *queue);
    if (!dist || !queue) {
        free(dist);
        free(queue);
        return -2;
    }
    for (long i = 0; i < size; i++)
        dist[i] = -1;
    long qh = 0, qt = 0, start = encode(P->init, n);
    dist[start] = 0;
    queue[qt++] = start;
    int found = -1;
    while (qh < qt && found < 0) {
        long k = queue[qh++];
        int pos[8], nx[8];
        decode(k, n, pos);
        if (bw_goal(P, pos)) {
            found = dist[k];
            break;
        }
        int held = -1;
        for (int b = 0; b < n; b++)
            if (pos[b] == n + 1)
                held = b;
        for (int m = 0; m < n + 1; m++) {
            memcpy(nx, pos, sizeof nx);
            if (held < 0) { /* pick-up or unstack block m */
                if (m == n || !bw_clear(pos, n, m))
                    continue;
                nx[m] = n + 1;
            } else if (m == n) { /* put-down */
                nx[held] = n;
            } else { /* stack on m */
                if (!bw_clear(pos, n, m))
                    continue;
                nx[held] = m;
            }
            long j = encode(nx, n);
            if (dist[j] < 0) {
                dist[j] = dist[k] + 1;
                queue[qt++] = j;
            }
        }
    }
    free(dist);
    free(queue);
    return found;
}

/* The same problem as a tf_strips_problem, built by hand. */
static void to_strips(const bw *P, tf_strips_problem *p)
{
    memset(p, 0, sizeof *p);
    int on = tf_strips_find_pred(&dom, "on"), ontable = tf_strips_find_pred(&dom, "ontable"),
        clear = tf_strips_find_pred(&dom, "clear"), hand = tf_strips_find_pred(&dom, "handempty");
    p->nobjects = P->n;
    for (int b = 0; b < P->n; b++) {
        p->object[b][0] = (char)('a' + b);
        tf_strips_fact f = {.pred = P->init[b] == P->n ? ontable : on, .arg = {b, P->init[b], 0}};
        p->init[p->ninit++] = f;
        if (bw_clear(P->init, P->n, b))
            p->init[p->ninit++] = (tf_strips_fact){.pred = clear, .arg = {b, 0, 0}};
    }
    p->init[p->ninit++] = (tf_strips_fact){.pred = hand};
    for (int i = 0; i < P->ngoal; i++) {
        int y = P->goal_y[i];
        p->goal[p->ngoal++] =
            (tf_strips_fact){.pred = y == P->n ? ontable : on, .arg = {P->goal_x[i], y, 0}};
    }
}

static void test_planner_random(void)
{
    uint64_t r = 0x9e3779b97f4a7c15ULL;
    int checked = 0;
    for (int n = 3; n <= 6; n++)
        for (int k = 0; k < 6; k++) {
            bw P = {.n = n};
            int g[8];
            random_arrangement(&r, n, P.init);
            random_arrangement(&r, n, g);
            /* even k: the full arrangement; odd k: its (on x y) only, as
             * PlanBench's goals */
            for (int b = 0; b < n; b++)
                if (k % 2 == 0 || g[b] != n) {
                    P.goal_x[P.ngoal] = b;
                    P.goal_y[P.ngoal++] = g[b];
                }
            tf_strips_problem p;
            to_strips(&P, &p);
            tf_diag d = {{0}};
            CHECKF(tf_strips_check(&dom, &p, &d) == TF_OK, "%s", d.msg);
            int want = brute_force(&P);
            tf_strips_found found;
            tf_strips_step *plan = NULL;
            size_t len = 0;
            uint64_t expanded = 0;
            tf_err e = tf_strips_plan(&dom, &p, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                                      &expanded);
            CHECK(e == TF_OK && found == TF_STRIPS_FOUND && want >= 0);
            CHECKF((long)len == want, "n=%d k=%d: planner %zu, brute force %d", n, k, len, want);
            CHECK((len == 0) == (plan == NULL));
            CHECK(expanded >= 1);
            tf_strips_sim s;
            CHECK(tf_strips_simulate(&dom, &p, plan, len, &s) == TF_OK);
            CHECK(s.executable && s.goal_reached && s.unmet_goals == 0);
            free(plan);
            checked++;
        }
    CHECK(checked == 24);
}

static void test_planner_cases(void)
{
    tf_strips_problem p;
    tf_strips_found found;
    tf_strips_step *plan = NULL;
    size_t len = 99;
    uint64_t expanded = 0;
    /* the Sussman anomaly: 6 steps */
    if (problem(&p, "(define (problem s) (:domain x) (:objects a b c)\n"
                    "(:init (on c a) (ontable a) (ontable b) (clear c) (clear b) (handempty))\n"
                    "(:goal (and (on a b) (on b c))))")) {
        CHECK(tf_strips_plan(&dom, &p, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                             &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_FOUND && len == 6 && plan != NULL);
        if (plan && len == 6) {
            char buf[64];
            tf_strips_step_str(&dom, &p, &plan[0], buf, sizeof buf);
            CHECKF(strcmp(buf, "(unstack c a)") == 0, "%s", buf);
            tf_strips_step_str(&dom, &p, &plan[5], buf, sizeof buf);
            CHECKF(strcmp(buf, "(stack a b)") == 0, "%s", buf);
        }
        free(plan);
        /* LIMIT: 10 states stored, no plan */
        tf_strips_step junk;
        plan = &junk; /* overwritten */
        CHECK(tf_strips_plan(&dom, &p, 10, &found, &plan, &len, &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_LIMIT && plan == NULL && len == 0 && expanded == 10);
        CHECK(tf_strips_plan(&dom, &p, 0, &found, &plan, &len, NULL) == TF_OK);
        CHECK(found == TF_STRIPS_LIMIT && plan == NULL && len == 0);
    }
    /* UNSOLVABLE: (on a a); the whole space of 3 blocks is 13 arrangements
     * with the hand empty and 3 x 3 with a block held */
    if (problem(&p, "(define (problem u) (:domain x) (:objects a b c)\n"
                    "(:init (ontable a) (ontable b) (ontable c) (clear a) (clear b) (clear c)\n"
                    " (handempty)) (:goal (on a a)))")) {
        CHECK(tf_strips_plan(&dom, &p, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                             &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_UNSOLVABLE && plan == NULL && len == 0 && expanded == 22);
        /* a bound of exactly the space still proves it */
        CHECK(tf_strips_plan(&dom, &p, 22, &found, &plan, &len, &expanded) == TF_OK);
        CHECKF(found == TF_STRIPS_UNSOLVABLE, "found %d", (int)found);
        CHECK(tf_strips_plan(&dom, &p, 21, &found, &plan, &len, &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_LIMIT && expanded == 21);
    }
    /* 4 blocks: 73 arrangements + 4 x 13 held */
    if (problem(&p, "(define (problem u) (:domain x) (:objects a b c d)\n"
                    "(:init (ontable a) (ontable b) (ontable c) (ontable d) (clear a) (clear b)\n"
                    " (clear c) (clear d) (handempty)) (:goal (and (on a b) (on b a))))")) {
        CHECK(tf_strips_plan(&dom, &p, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                             &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_UNSOLVABLE && expanded == 125);
    }
    /* the goal holds initially: FOUND, no steps */
    if (problem(&p, P1)) {
        tf_strips_problem q = p;
        q.ngoal = 1;
        q.goal[0] = q.init[0]; /* (on a b) */
        tf_strips_step junk;
        plan = &junk;
        CHECK(tf_strips_plan(&dom, &q, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                             &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_FOUND && len == 0 && plan == NULL && expanded == 1);
        q.ngoal = 0; /* the empty goal */
        CHECK(tf_strips_plan(&dom, &q, 1, &found, &plan, &len, &expanded) == TF_OK);
        CHECK(found == TF_STRIPS_FOUND && len == 0 && plan == NULL);
    }
}

static void test_check(void)
{
    tf_strips_problem p;
    if (!problem(&p, P1))
        return;
    tf_diag d = {{0}};
    CHECK(tf_strips_check(&dom, &p, &d) == TF_OK);
    tf_strips_problem q = p;
    q.init[0].arg[1] = 3; /* no such object */
    CHECK(tf_strips_check(&dom, &q, &d) == TF_ERR_PARSE && strstr(d.msg, "initial state"));
    q = p;
    q.nobjects = TF_STRIPS_MAX_OBJECTS + 1;
    CHECK(tf_strips_check(&dom, &q, &d) == TF_ERR_TOO_BIG);
    tf_strips_domain e = dom;
    e.action[2].pre[0].arg[0] = 2; /* stack has 2 parameters */
    CHECK(tf_strips_check(&e, NULL, &d) == TF_ERR_PARSE && strstr(d.msg, "stack"));
    e = dom;
    e.nactions = 0;
    CHECK(tf_strips_check(&e, NULL, &d) == TF_ERR_PARSE);
    CHECK(tf_strips_find_pred(&dom, "HandEmpty") == 2 && tf_strips_find_pred(&dom, "hand") < 0);
    CHECK(tf_strips_find_action(&dom, "unstack") == 3);
}

int main(void)
{
    load_domain();
    test_check();
    test_preconditions();
    test_goals();
    test_long_plan();
    test_planner_random();
    test_planner_cases();
    return tf_test_done();
}
