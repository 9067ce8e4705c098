/* test_pddl.c: the PDDL reader (pddl.h): PlanBench's Blocksworld read into
 * the exact model, typed and untyped forms alike, problems and plans; every
 * refusal with its line and reason; every cap; inputs that are not
 * NUL-terminated. */
#include "tracefarm/pddl.h"
#include "tf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tf_strips_domain bw;

/* Read text as a domain into *dom; the error and the message. */
static tf_err dom_read(const char *text, tf_strips_domain *dom, tf_diag *d)
{
    d->msg[0] = '\0';
    return tf_pddl_domain(text, strlen(text), dom, d);
}

static tf_err prob_read(const tf_strips_domain *dom, const char *text, tf_strips_problem *p,
                        tf_diag *d)
{
    d->msg[0] = '\0';
    return tf_pddl_problem(dom, text, strlen(text), p, d);
}

/* The domain text fails with e and a message holding both parts. */
static void dom_fails(const char *text, tf_err e, const char *part1, const char *part2)
{
    static tf_strips_domain dom;
    tf_diag d;
    tf_err got = dom_read(text, &dom, &d);
    CHECKF(got == e && strstr(d.msg, part1) && (!part2 || strstr(d.msg, part2)),
           "got %d '%s', want %d '%s' '%s'", (int)got, d.msg, (int)e, part1, part2 ? part2 : "");
}

static void prob_fails(const char *text, tf_err e, const char *part1, const char *part2)
{
    static tf_strips_problem p;
    tf_diag d;
    tf_err got = prob_read(&bw, text, &p, &d);
    CHECKF(got == e && strstr(d.msg, part1) && (!part2 || strstr(d.msg, part2)),
           "got %d '%s', want %d '%s' '%s'", (int)got, d.msg, (int)e, part1, part2 ? part2 : "");
}

static int lit_is(const tf_strips_domain *dom, const tf_strips_lit *l, const char *pred, int a0,
                  int a1)
{
    int p = tf_strips_find_pred(dom, pred);
    if (p < 0 || l->pred != p)
        return 0;
    int ar = dom->pred[p].arity;
    return (ar < 1 || l->arg[0] == a0) && (ar < 2 || l->arg[1] == a1);
}

/* The exact model of the 4-operator Blocksworld. */
static void check_blocksworld(const tf_strips_domain *d, int planbench_order)
{
    CHECK(d->npreds == 5 && d->nactions == 4);
    if (planbench_order) {
        const char *names[] = {"clear", "ontable", "handempty", "holding", "on"};
        const int arity[] = {1, 1, 0, 1, 2};
        for (int i = 0; i < 5; i++)
            CHECKF(strcmp(d->pred[i].name, names[i]) == 0 && d->pred[i].arity == arity[i],
                   "predicate %d: %s/%d", i, d->pred[i].name, d->pred[i].arity);
    }
    int pu = tf_strips_find_action(d, "pick-up"), pd = tf_strips_find_action(d, "put-down"),
        st = tf_strips_find_action(d, "stack"), us = tf_strips_find_action(d, "unstack");
    CHECK(pu == 0 && pd == 1 && st == 2 && us == 3);
    if (pu != 0 || pd != 1 || st != 2 || us != 3)
        return;
    const tf_strips_action *a = &d->action[0];
    CHECK(strcmp(a->name, "pick-up") == 0 && a->arity == 1);
    CHECK(a->npre == 3 && lit_is(d, &a->pre[0], "clear", 0, 0) &&
          lit_is(d, &a->pre[1], "ontable", 0, 0) && lit_is(d, &a->pre[2], "handempty", 0, 0));
    CHECK(a->nadd == 1 && lit_is(d, &a->add[0], "holding", 0, 0));
    CHECK(a->ndel == 3);
    a = &d->action[1];
    CHECK(a->arity == 1 && a->npre == 1 && lit_is(d, &a->pre[0], "holding", 0, 0));
    CHECK(a->nadd == 3 && a->ndel == 1 && lit_is(d, &a->del[0], "holding", 0, 0));
    a = &d->action[2];
    CHECK(a->arity == 2 && a->npre == 2);
    CHECK(lit_is(d, &a->pre[0], "clear", 1, 0) && lit_is(d, &a->pre[1], "holding", 0, 0));
    CHECK(a->nadd == 3 && a->ndel == 2);
    int on_add = 0;
    for (int i = 0; i < a->nadd; i++)
        on_add += lit_is(d, &a->add[i], "on", 0, 1);
    CHECK(on_add == 1);
    a = &d->action[3];
    CHECK(a->arity == 2 && a->npre == 3);
    CHECK(lit_is(d, &a->pre[0], "on", 0, 1) && lit_is(d, &a->pre[1], "clear", 0, 0) &&
          lit_is(d, &a->pre[2], "handempty", 0, 0));
    CHECK(a->nadd == 2 && lit_is(d, &a->add[0], "holding", 0, 0) &&
          lit_is(d, &a->add[1], "clear", 1, 0));
    CHECK(a->ndel == 3 && lit_is(d, &a->del[0], "on", 0, 1));
}

static void test_blocksworld(void)
{
    tf_diag d;
    const char *t = tf_pddl_blocksworld();
    CHECK(t == tf_pddl_blocksworld());
    CHECKF(dom_read(t, &bw, &d) == TF_OK, "%s", d.msg);
    CHECK(strcmp(bw.name, "blocksworld-4ops") == 0);
    check_blocksworld(&bw, 1);
    CHECK(tf_strips_check(&bw, NULL, &d) == TF_OK);

    /* IPC's typed form, upper case, other order of predicates: the same
     * actions */
    static tf_strips_domain typed;
    const char *ipc =
        ";; 4 Op-blocks world\n"
        "(DEFINE (DOMAIN BLOCKS)\n"
        "  (:requirements :strips :typing)\n"
        "  (:types block - object)\n"
        "  (:predicates (on ?x - block ?y - block) (ontable ?x - block) (clear ?x - block)\n"
        "               (handempty) (holding ?x - (either block object)))\n"
        "  (:action pick-up :parameters (?x - block)\n"
        "   :precondition (and (clear ?x) (ontable ?x) (handempty))\n"
        "   :effect (and (not (ontable ?x)) (not (clear ?x)) (not (handempty)) (holding ?x)))\n"
        "  (:action put-down :parameters (?x - block) :precondition (holding ?x)\n"
        "   :effect (and (not (holding ?x)) (clear ?x) (handempty) (ontable ?x)))\n"
        "  (:action stack :parameters (?x ?y - block)\n"
        "   :precondition (and (clear ?y) (holding ?x))\n"
        "   :effect (and (not (holding ?x)) (not (clear ?y)) (clear ?x) (handempty) (on ?x ?y)))\n"
        "  (:action UNSTACK :parameters (?x - block ?y - block)\n"
        "   :precondition (and (on ?x ?y) (clear ?x) (handempty))\n"
        "   :effect (and (holding ?x) (clear ?y) (not (on ?x ?y)) (not (clear ?x))\n"
        "            (not (handempty)))))\n";
    CHECKF(dom_read(ipc, &typed, &d) == TF_OK, "%s", d.msg);
    CHECK(strcmp(typed.name, "blocks") == 0 && strcmp(typed.action[3].name, "unstack") == 0);
    check_blocksworld(&typed, 0);
    CHECK(strcmp(typed.pred[0].name, "on") == 0 && typed.pred[0].arity == 2);
}

static void test_domain_errors(void)
{
    const char *head = "(define (domain d) (:predicates (p ?x) (q ?x ?y) (r))\n";
    char t[4096];
#define DOM(body) (snprintf(t, sizeof t, "%s%s", head, body), t)
    dom_fails(DOM("(:action a :parameters (?x) :precondition (not (p ?x)) :effect (r)))"),
              TF_ERR_PARSE, "line 2:", "negative preconditions");
    dom_fails(DOM("(:action a :parameters (?x)\n :precondition (and (p ?x) (not (r)))\n"
                  " :effect (r)))"),
              TF_ERR_PARSE, "line 3:", "negative preconditions");
    dom_fails(DOM("(:action a :parameters (?x) :precondition (forall (?y) (q ?x ?y))\n"
                  " :effect (r)))"),
              TF_ERR_PARSE, "line 2:", "quantified conditions");
    dom_fails(DOM("(:action a :parameters (?x) :effect\n (forall (?y) (q ?x ?y))))"), TF_ERR_PARSE,
              "line 3:", "quantified effects");
    dom_fails(DOM("(:action a :parameters (?x) :effect (and (r)\n\n (when (p ?x) (r)))))"),
              TF_ERR_PARSE, "line 4:", "conditional effects");
    dom_fails(DOM("(:action a :parameters (?x) :effect (increase (cost) 1)))"), TF_ERR_PARSE,
              "line 2:", "functions");
    dom_fails(DOM("(:functions (cost)))"), TF_ERR_PARSE, "line 2:", "functions");
    dom_fails(DOM("(:constants k)))"), TF_ERR_PARSE, "line 2:", "constants");
    dom_fails(DOM("(:action a :parameters (?x) :effect (q ?x k)))"), TF_ERR_PARSE,
              "line 2:", "constants in action bodies are not supported");
    dom_fails(DOM("(:action a :parameters (?x) :precondition (= ?x ?x) :effect (r)))"),
              TF_ERR_PARSE, "line 2:", "equality");
    dom_fails(DOM("(:action a :parameters (?x) :precondition (or (p ?x) (r)) :effect (r)))"),
              TF_ERR_PARSE, "line 2:", "disjunctive");
    dom_fails(DOM("(:action a :parameters (?x) :effect (s ?x)))"), TF_ERR_PARSE,
              "line 2:", "unknown predicate 's'");
    dom_fails(DOM("(:action a :parameters (?x) :effect (q ?x)))"), TF_ERR_PARSE,
              "line 2:", "q takes 2 argument(s), not 1");
    dom_fails(DOM("(:action a :parameters (?x) :effect (p ?x ?x)))"), TF_ERR_PARSE,
              "line 2:", "expected ')' after the 1 argument(s) of p");
    dom_fails(DOM("(:action a :parameters (?x) :effect (p ?y)))"), TF_ERR_PARSE,
              "line 2:", "not a parameter of the action: '?y'");
    dom_fails(DOM("(:action a :parameters (?x ?x) :effect (r)))"), TF_ERR_PARSE,
              "line 2:", "twice");
    dom_fails(DOM("(:action a :effect (r))\n(:action A :effect (r)))"), TF_ERR_PARSE,
              "line 3:", "an action defined twice: 'A'");
    dom_fails(DOM("(:action a :effect (r)) (:predicates (s)))"), TF_ERR_PARSE,
              "line 2:", "expected :requirements");
    dom_fails(DOM("(:action a :effect (r) :parameters (?x)))"), TF_ERR_PARSE,
              "line 2:", "expected one each of :parameters");
    dom_fails(DOM("(:action a :effect (r))"), TF_ERR_PARSE, "line 2:",
              "expected '(' of a section or ')' closing define, found the end of the text");
    dom_fails(DOM("(:action a :effect (r))) x"), TF_ERR_PARSE,
              "line 2:", "expected the end of the text");
    dom_fails(DOM(")"), TF_ERR_PARSE, "line 2:", "no (:action");
    dom_fails(DOM("(:action a :effect (and (and (r)))))"), TF_ERR_PARSE, "line 2:", "nested");
    dom_fails(DOM("(:action a :effect (not (not (r)))))"), TF_ERR_PARSE, "line 2:", "only an atom");
    dom_fails("(define (problem d))", TF_ERR_PARSE, "line 1:", "expected domain");
    dom_fails("", TF_ERR_PARSE, "line 1:", "found the end of the text");
    dom_fails("\n\n  ; nothing\n", TF_ERR_PARSE, "line 4:", "found the end");
    dom_fails(DOM("(:action a :effect (r\001)))"), TF_ERR_PARSE, "line 2:", "byte 0x01");
    dom_fails(DOM("(:requirements :strips (:x)"), TF_ERR_PARSE,
              "line 2:", "')' closing the list of line 2");
    /* requirements and comments are skipped; an empty precondition is none */
    static tf_strips_domain ok;
    tf_diag d;
    CHECKF(dom_read(DOM("(:requirements :strips :negative-preconditions) ; (not\n"
                        "(:action a :parameters () :precondition () :effect (and)))"),
                    &ok, &d) == TF_OK,
           "%s", d.msg);
    CHECK(ok.nactions == 1 && ok.action[0].arity == 0 && ok.action[0].npre == 0 &&
          ok.action[0].nadd == 0);
    /* not NUL-terminated: the length is the end */
    char buf[256];
    const char *good = "(define (domain d) (:predicates (r)) (:action a :effect (r)))";
    size_t n = strlen(good);
    memcpy(buf, good, n);
    memset(buf + n, 'x', sizeof buf - n);
    CHECK(tf_pddl_domain(buf, n, &ok, &d) == TF_OK && ok.action[0].nadd == 1);
    CHECK(tf_pddl_domain(buf, n - 1, &ok, &d) == TF_ERR_PARSE);
    /* a NUL byte is not a name's byte */
    memcpy(buf, good, n);
    buf[32] = '\0'; /* inside "(r)" of :predicates */
    CHECKF(tf_pddl_domain(buf, n, &ok, &d) == TF_ERR_PARSE && strstr(d.msg, "byte 0x00"), "%s",
           d.msg);
#undef DOM
}

static void test_domain_caps(void)
{
    static char t[1 << 16];
    size_t at;
    /* 32 predicates fit, 33 do not */
    for (int np = 32; np <= 33; np++) {
        at = (size_t)snprintf(t, sizeof t, "(define (domain d) (:predicates");
        for (int i = 0; i < np; i++)
            at += (size_t)snprintf(t + at, sizeof t - at, " (p%d)", i);
        snprintf(t + at, sizeof t - at, ") (:action a :effect (p0)))");
        if (np == 32) {
            static tf_strips_domain ok;
            tf_diag d;
            CHECKF(dom_read(t, &ok, &d) == TF_OK && ok.npreds == 32, "%s", d.msg);
        } else {
            dom_fails(t, TF_ERR_TOO_BIG, "line 1:", "more than 32 predicates");
        }
    }
    dom_fails("(define (domain d) (:predicates (p ?a ?b ?c ?d)))", TF_ERR_TOO_BIG,
              "line 1:", "more than 3 names");
    dom_fails("(define (domain d) (:predicates (p ?a))\n(:action a :parameters (?a ?b ?c ?d) "
              ":effect (p ?a)))",
              TF_ERR_TOO_BIG, "line 2:", "more than 3 names");
    /* 16 atoms in a list fit, 17 do not */
    for (int nl = 16; nl <= 17; nl++) {
        at = (size_t)snprintf(t, sizeof t,
                              "(define (domain d) (:predicates (p ?x))\n(:action a "
                              ":parameters (?x) :precondition (and");
        for (int i = 0; i < nl; i++)
            at += (size_t)snprintf(t + at, sizeof t - at, " (p ?x)");
        snprintf(t + at, sizeof t - at, ") :effect (p ?x)))");
        if (nl == 16) {
            static tf_strips_domain ok;
            tf_diag d;
            CHECKF(dom_read(t, &ok, &d) == TF_OK && ok.action[0].npre == 16, "%s", d.msg);
        } else {
            dom_fails(t, TF_ERR_TOO_BIG, "line 2:", "more than 16 atoms");
        }
    }
    /* 33 actions */
    at = (size_t)snprintf(t, sizeof t, "(define (domain d) (:predicates (r))");
    for (int i = 0; i < 33; i++)
        at += (size_t)snprintf(t + at, sizeof t - at, "\n(:action a%d :effect (r))", i);
    snprintf(t + at, sizeof t - at, ")");
    dom_fails(t, TF_ERR_TOO_BIG, "line 34:", "more than 32 actions");
    /* names: 63 bytes fit, 64 do not */
    char n63[64], n64[65];
    memset(n63, 'n', 63);
    n63[63] = '\0';
    memset(n64, 'n', 64);
    n64[64] = '\0';
    snprintf(t, sizeof t, "(define (domain %s) (:predicates (r)) (:action a :effect (r)))", n63);
    static tf_strips_domain ok;
    tf_diag d;
    CHECK(dom_read(t, &ok, &d) == TF_OK && strlen(ok.name) == 63);
    snprintf(t, sizeof t, "(define (domain d) (:predicates (r))\n(:action %s :effect (r)))", n64);
    dom_fails(t, TF_ERR_TOO_BIG, "line 2:", "longer than 63");
    /* the text itself */
    size_t big = TF_PDDL_MAX_TEXT + 1;
    char *huge = malloc(big);
    if (huge) {
        memset(huge, ' ', big);
        CHECK(tf_pddl_domain(huge, big, &ok, &d) == TF_ERR_TOO_BIG);
        /* exactly the cap: read (and found empty) */
        CHECK(tf_pddl_domain(huge, big - 1, &ok, &d) == TF_ERR_PARSE);
        free(huge);
    }
}

static const char *PB = "; PlanBench instance\n"
                        "(define (problem BW-rand-3)\n"
                        "(:domain blocksworld-4ops)\n"
                        "(:objects A b c )\n"
                        "(:init\n(handempty)\n(ontable a)\n(on b a)\n(ontable c)\n"
                        "(clear b)\n(clear C)\n)\n"
                        "(:goal\n(and\n(on a b)\n(on c a))\n)\n)\n";

static void test_problem(void)
{
    static tf_strips_problem p;
    tf_diag d;
    CHECKF(prob_read(&bw, PB, &p, &d) == TF_OK, "%s", d.msg);
    CHECK(p.nobjects == 3 && strcmp(p.object[0], "a") == 0 && strcmp(p.object[2], "c") == 0);
    CHECK(p.ninit == 6 && p.ngoal == 2);
    char buf[64];
    tf_strips_fact_str(&bw, &p, &p.init[2], buf, sizeof buf);
    CHECKF(strcmp(buf, "(on b a)") == 0, "%s", buf);
    tf_strips_fact_str(&bw, &p, &p.goal[1], buf, sizeof buf);
    CHECKF(strcmp(buf, "(on c a)") == 0, "%s", buf);
    tf_strips_fact_str(&bw, &p, &p.init[0], buf, sizeof buf);
    CHECKF(strcmp(buf, "(handempty)") == 0, "%s", buf);
    /* typed objects, a single-atom goal, an empty init */
    CHECKF(prob_read(&bw,
                     "(define (problem x) (:domain blocks) (:requirements :typing)\n"
                     "(:objects a b - block c) (:init) (:goal (ontable c)))",
                     &p, &d) == TF_OK,
           "%s", d.msg);
    CHECK(p.nobjects == 3 && p.ninit == 0 && p.ngoal == 1 && strcmp(p.object[2], "c") == 0);
    CHECK(prob_read(&bw, "(define (problem x) (:goal (and)))", &p, &d) == TF_OK && p.ngoal == 0);

    prob_fails("(define (problem x) (:objects a)\n(:init (on a z)) (:goal (on a a)))", TF_ERR_PARSE,
               "line 2:", "not an object of the problem: 'z'");
    prob_fails("(define (problem x) (:objects a)\n(:init) (:goal (and (not (on a a)))))",
               TF_ERR_PARSE, "line 2:", "negative atoms in the goal");
    prob_fails("(define (problem x) (:objects a)\n(:init (not (clear a))) (:goal (and)))",
               TF_ERR_PARSE, "line 2:", "negative atoms in :init");
    prob_fails("(define (problem x) (:objects a)\n(:init (= (cost) 0)) (:goal (and)))",
               TF_ERR_PARSE, "line 2:", "functions");
    prob_fails("(define (problem x) (:objects a)\n(:init (clear a))\n)", TF_ERR_PARSE,
               "line 3:", "no (:goal");
    prob_fails("(define (problem x) (:objects a)\n(:init (clear a a)) (:goal (and)))", TF_ERR_PARSE,
               "line 2:", "after the 1 argument(s) of clear");
    prob_fails("(define (problem x) (:objects a)\n(:init (on a)) (:goal (and)))", TF_ERR_PARSE,
               "line 2:", "on takes 2 argument(s), not 1");
    prob_fails("(define (problem x) (:objects a)\n(:init (above a a)) (:goal (and)))", TF_ERR_PARSE,
               "line 2:", "unknown predicate 'above'");
    prob_fails("(define (problem x) (:objects a A) (:goal (and)))", TF_ERR_PARSE,
               "line 1:", "twice");
    prob_fails("(define (problem x) (:objects ?a) (:goal (and)))", TF_ERR_PARSE,
               "line 1:", "expected an object name");
    prob_fails("(define (problem x) (:goal (and)) (:init))", TF_ERR_PARSE,
               "line 1:", "expected one each of :domain");
    prob_fails("(define (problem x) (:goal (and)) (:metric minimize (total-cost)))", TF_ERR_PARSE,
               "line 1:", "not a STRIPS section");
    prob_fails("(define (domain x))", TF_ERR_PARSE, "line 1:", "expected problem");
    prob_fails("(define (problem x) (:goal (and))", TF_ERR_PARSE, "line 1:", "found the end");
    /* caps: 64 objects fit, 65 do not; 1024 facts fit, 1025 do not */
    static char t[1 << 16];
    for (int no = 64; no <= 65; no++) {
        size_t at = (size_t)snprintf(t, sizeof t, "(define (problem x) (:objects");
        for (int i = 0; i < no; i++)
            at += (size_t)snprintf(t + at, sizeof t - at, " o%d", i);
        snprintf(t + at, sizeof t - at, ")\n(:goal (and)))");
        if (no == 64)
            CHECKF(prob_read(&bw, t, &p, &d) == TF_OK && p.nobjects == 64, "%s", d.msg);
        else
            prob_fails(t, TF_ERR_TOO_BIG, "line 1:", "more than 64 names");
    }
    for (int nf = 1024; nf <= 1025; nf++) {
        size_t at = (size_t)snprintf(t, sizeof t, "(define (problem x) (:objects a b)\n(:init");
        for (int i = 0; i < nf; i++)
            at += (size_t)snprintf(t + at, sizeof t - at, "\n(on a b)");
        snprintf(t + at, sizeof t - at, ")\n(:goal (and)))");
        if (nf == 1024)
            CHECKF(prob_read(&bw, t, &p, &d) == TF_OK && p.ninit == 1024, "%s", d.msg);
        else
            prob_fails(t, TF_ERR_TOO_BIG, "line 1027:", "more than 1024 atoms");
    }
    /* ground atoms past TF_STRIPS_MAX_ATOMS: tf_strips_check, with the line */
    static tf_strips_domain d3;
    CHECK(dom_read("(define (domain d) (:predicates (t ?a ?b ?c)) (:action a :effect (and)))", &d3,
                   &d) == TF_OK);
    size_t at = (size_t)snprintf(t, sizeof t, "(define (problem x) (:objects");
    for (int i = 0; i < 41; i++) /* 41^3 = 68921 > 65536 */
        at += (size_t)snprintf(t + at, sizeof t - at, " o%d", i);
    snprintf(t + at, sizeof t - at, ")\n(:goal (and)))");
    CHECKF(prob_read(&d3, t, &p, &d) == TF_ERR_TOO_BIG && strstr(d.msg, "line 2:") &&
               strstr(d.msg, "ground atoms"),
           "%s", d.msg);
    /* not NUL-terminated */
    char pb[512];
    size_t n = strlen(PB);
    memcpy(pb, PB, n);
    memset(pb + n, '(', sizeof pb - n);
    CHECK(tf_pddl_problem(&bw, pb, n, &p, &d) == TF_OK && p.ngoal == 2);
}

static void test_plan(void)
{
    static tf_strips_problem p;
    tf_diag d;
    if (prob_read(&bw, PB, &p, &d) != TF_OK) {
        CHECK(0);
        return;
    }
    tf_strips_step *st = NULL;
    size_t n = 0;
    const char *plan = "; a plan\n\n(unstack b a)\n  (PUT-DOWN B) ; comment\r\n"
                       "(pick-up a)\n(stack a b)\n(pick-up c)\n(stack c a)\n";
    CHECKF(tf_pddl_plan(&bw, &p, plan, strlen(plan), &st, &n, &d) == TF_OK, "%s", d.msg);
    CHECK(n == 6 && st);
    if (n == 6) {
        CHECK(st[0].action == 3 && st[0].arg[0] == 1 && st[0].arg[1] == 0);
        CHECK(st[1].action == 1 && st[1].arg[0] == 1);
        tf_strips_sim s;
        CHECK(tf_strips_simulate(&bw, &p, st, n, &s) == TF_OK && s.executable && s.goal_reached);
    }
    free(st);
    /* empty plans */
    CHECK(tf_pddl_plan(&bw, &p, "", 0, &st, &n, &d) == TF_OK && st == NULL && n == 0);
    CHECK(tf_pddl_plan(&bw, &p, "; none\n\n", 8, &st, &n, &d) == TF_OK && st == NULL && n == 0);
    /* an unknown object is -1, not an error */
    plan = "(pick-up zz)\n(stack a q)";
    CHECK(tf_pddl_plan(&bw, &p, plan, strlen(plan), &st, &n, &d) == TF_OK && n == 2);
    if (n == 2)
        CHECK(st[0].arg[0] == -1 && st[1].arg[0] == 0 && st[1].arg[1] == -1);
    free(st);
    struct {
        const char *text, *part;
    } bad[] = {
        {"(pick-up a)\n\n(fly a)", "line 3: unknown action 'fly'"},
        {"(pick-up a b)", "line 1: pick-up takes 1 argument(s), not 2"},
        {"(pick-up a)\n(stack a)", "line 2: stack takes 2 argument(s), not 1"},
        {"(pick-up a) (put-down a)", "line 1: expected the end of the line"},
        {"(pick-up\na)", "line 1: expected an object or ')'"},
        {"1. (pick-up a)", "line 1: expected '(' of a step"},
        {"(pick-up (a))", "line 1: expected an object"},
        {"()", "line 1: expected an action name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tf_strips_step junk;
        st = &junk; /* overwritten */
        tf_err e = tf_pddl_plan(&bw, &p, bad[i].text, strlen(bad[i].text), &st, &n, &d);
        CHECKF(e == TF_ERR_PARSE && strstr(d.msg, bad[i].part) && st == NULL && n == 0,
               "%s: %d '%s'", bad[i].text, (int)e, d.msg);
    }
    /* not NUL-terminated: stops at len mid-line */
    plan = "(pick-up a)\n(put-down a)";
    CHECK(tf_pddl_plan(&bw, &p, plan, 12, &st, &n, &d) == TF_OK && n == 1);
    free(st);
    CHECK(tf_pddl_plan(&bw, &p, plan, 20, &st, &n, &d) == TF_ERR_PARSE);
    /* TF_PDDL_MAX_PLAN steps fit, one more does not */
    size_t cap = (size_t)(TF_PDDL_MAX_PLAN + 1) * 14 + 1;
    char *t = malloc(cap);
    if (!t) {
        CHECK(0);
        return;
    }
    size_t at = 0;
    for (int i = 0; i < TF_PDDL_MAX_PLAN + 1; i++) {
        memcpy(t + at, i % 2 ? "(put-down  c)\n" : "(pick-up   c)\n", 14);
        at += 14;
    }
    CHECK(tf_pddl_plan(&bw, &p, t, at - 14, &st, &n, &d) == TF_OK && n == TF_PDDL_MAX_PLAN);
    if (n == TF_PDDL_MAX_PLAN) {
        tf_strips_sim s;
        CHECK(tf_strips_simulate(&bw, &p, st, n, &s) == TF_OK && s.executable);
    }
    free(st);
    CHECKF(tf_pddl_plan(&bw, &p, t, at, &st, &n, &d) == TF_ERR_TOO_BIG && st == NULL &&
               strstr(d.msg, "line 100001:"),
           "%s", d.msg);
    free(t);
}

/* A plan the planner finds, written with tf_strips_step_str and read back,
 * is the same plan. */
static void test_round_trip(void)
{
    static tf_strips_problem p;
    tf_diag d;
    if (prob_read(&bw, PB, &p, &d) != TF_OK) {
        CHECK(0);
        return;
    }
    tf_strips_found f;
    tf_strips_step *plan = NULL, *back = NULL;
    size_t len = 0, n = 0;
    CHECK(tf_strips_plan(&bw, &p, 1000, &f, &plan, &len, NULL) == TF_OK && f == TF_STRIPS_FOUND);
    CHECK(len == 6);
    char text[1024];
    size_t at = 0;
    for (size_t i = 0; i < len; i++) {
        char s[64];
        tf_strips_step_str(&bw, &p, &plan[i], s, sizeof s);
        at += (size_t)snprintf(text + at, sizeof text - at, "%s\n", s);
    }
    CHECK(tf_pddl_plan(&bw, &p, text, at, &back, &n, &d) == TF_OK && n == len);
    int same = n == len;
    for (size_t i = 0; same && i < len; i++) {
        same = plan[i].action == back[i].action;
        for (int j = 0; same && j < bw.action[plan[i].action].arity; j++)
            same = plan[i].arg[j] == back[i].arg[j];
    }
    CHECK(same);
    free(plan);
    free(back);
}

int main(void)
{
    test_blocksworld();
    test_domain_errors();
    test_domain_caps();
    test_problem();
    test_plan();
    test_round_trip();
    return tf_test_done();
}
