/* test_plantext_plan.c: plans read from answer text (plantext.h,
 * tf_plantext_read_plan) on tasks built here by hand: a Blocksworld task
 * (the four block actions with their phrases, blocks by colour with
 * PlanBench's letters), a Mystery-like one ("attack", "overcome" ...,
 * "object a") and an obfuscated one ("j4gv801gnu2it0yj", object_0).
 * Every form of a step, the choice of the plan's block, refusals, the
 * statuses and hostile texts: 100,000 and 100,001 steps, 1,000,000 lines,
 * unknown blocks, a block stacked on itself, empty text, binary junk. */
#include "tf_test.h"
#include "tracefarm/plantext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { P_ON, P_ONTABLE, P_CLEAR, P_HANDEMPTY, P_HOLDING };
enum { A_PICKUP, A_PUTDOWN, A_STACK, A_UNSTACK };
enum { RED, BLUE, ORANGE, YELLOW };

static void pred(tf_strips_domain *d, const char *name, int arity)
{
    snprintf(d->pred[d->npreds].name, TF_STRIPS_MAX_NAME, "%s", name);
    d->pred[d->npreds++].arity = arity;
}

static void lit(tf_strips_lit *l, int *n, int p, int a0, int a1)
{
    l[*n].pred = p;
    l[*n].arg[0] = a0;
    l[*n].arg[1] = a1;
    (*n)++;
}

static int action(tf_plan_task *t, const char *name, int arity, const char *p0, const char *p1,
                  const char *p2)
{
    int a = t->dom.nactions++;
    snprintf(t->dom.action[a].name, TF_STRIPS_MAX_NAME, "%s", name);
    t->dom.action[a].arity = arity;
    const char *p[3] = {p0, p1, p2};
    for (int k = 0; k < 3; k++)
        if (p[k])
            snprintf(t->phrase[a][t->nphrases[a]++], TF_STRIPS_MAX_NAME, "%s", p[k]);
    return a;
}

static void object(tf_plan_task *t, const char *name, const char *alias)
{
    int o = t->prob.nobjects++;
    snprintf(t->prob.object[o], TF_STRIPS_MAX_NAME, "%s", name);
    snprintf(t->alias[o][0], TF_STRIPS_MAX_NAME, "%s", name);
    t->naliases[o] = 1;
    if (alias)
        snprintf(t->alias[o][t->naliases[o]++], TF_STRIPS_MAX_NAME, "%s", alias);
}

static void fact(tf_strips_fact *f, int *n, int p, int a0, int a1)
{
    f[*n].pred = p;
    f[*n].arg[0] = a0;
    f[*n].arg[1] = a1;
    (*n)++;
}

/* Blocksworld: red on blue, blue and orange and yellow on the table; the
 * goal red on yellow. */
static void blocksworld(tf_plan_task *t)
{
    memset(t, 0, sizeof *t);
    t->vocab = TF_PLAN_BLOCKSWORLD;
    tf_strips_domain *d = &t->dom;
    pred(d, "on", 2);
    pred(d, "ontable", 1);
    pred(d, "clear", 1);
    pred(d, "handempty", 0);
    pred(d, "holding", 1);
    tf_strips_action *x = &d->action[action(t, "pick-up", 1, "pick up", "pick-up", "pickup")];
    lit(x->pre, &x->npre, P_CLEAR, 0, 0);
    lit(x->pre, &x->npre, P_ONTABLE, 0, 0);
    lit(x->pre, &x->npre, P_HANDEMPTY, 0, 0);
    lit(x->add, &x->nadd, P_HOLDING, 0, 0);
    lit(x->del, &x->ndel, P_CLEAR, 0, 0);
    lit(x->del, &x->ndel, P_ONTABLE, 0, 0);
    lit(x->del, &x->ndel, P_HANDEMPTY, 0, 0);
    x = &d->action[action(t, "put-down", 1, "put down", "put-down", "putdown")];
    lit(x->pre, &x->npre, P_HOLDING, 0, 0);
    lit(x->add, &x->nadd, P_CLEAR, 0, 0);
    lit(x->add, &x->nadd, P_ONTABLE, 0, 0);
    lit(x->add, &x->nadd, P_HANDEMPTY, 0, 0);
    lit(x->del, &x->ndel, P_HOLDING, 0, 0);
    x = &d->action[action(t, "stack", 2, "stack", NULL, NULL)];
    lit(x->pre, &x->npre, P_HOLDING, 0, 0);
    lit(x->pre, &x->npre, P_CLEAR, 1, 0);
    lit(x->add, &x->nadd, P_ON, 0, 1);
    lit(x->add, &x->nadd, P_CLEAR, 0, 0);
    lit(x->add, &x->nadd, P_HANDEMPTY, 0, 0);
    lit(x->del, &x->ndel, P_HOLDING, 0, 0);
    lit(x->del, &x->ndel, P_CLEAR, 1, 0);
    x = &d->action[action(t, "unstack", 2, "unstack", NULL, NULL)];
    lit(x->pre, &x->npre, P_ON, 0, 1);
    lit(x->pre, &x->npre, P_CLEAR, 0, 0);
    lit(x->pre, &x->npre, P_HANDEMPTY, 0, 0);
    lit(x->add, &x->nadd, P_HOLDING, 0, 0);
    lit(x->add, &x->nadd, P_CLEAR, 1, 0);
    lit(x->del, &x->ndel, P_ON, 0, 1);
    lit(x->del, &x->ndel, P_CLEAR, 0, 0);
    lit(x->del, &x->ndel, P_HANDEMPTY, 0, 0);
    object(t, "red", "a");
    object(t, "blue", "b");
    object(t, "orange", "c");
    object(t, "yellow", "d");
    tf_strips_problem *p = &t->prob;
    fact(p->init, &p->ninit, P_ON, RED, BLUE);
    fact(p->init, &p->ninit, P_ONTABLE, BLUE, 0);
    fact(p->init, &p->ninit, P_ONTABLE, ORANGE, 0);
    fact(p->init, &p->ninit, P_ONTABLE, YELLOW, 0);
    fact(p->init, &p->ninit, P_CLEAR, RED, 0);
    fact(p->init, &p->ninit, P_CLEAR, ORANGE, 0);
    fact(p->init, &p->ninit, P_CLEAR, YELLOW, 0);
    fact(p->init, &p->ninit, P_HANDEMPTY, 0, 0);
    fact(p->goal, &p->ngoal, P_ON, RED, YELLOW);
}

/* Mystery-like words (no lists: reading needs none). */
static void mystery(tf_plan_task *t)
{
    memset(t, 0, sizeof *t);
    t->vocab = TF_PLAN_MYSTERY;
    action(t, "attack", 1, "attack", NULL, NULL);
    action(t, "succumb", 1, "succumb", NULL, NULL);
    action(t, "overcome", 2, "overcome", NULL, NULL);
    action(t, "feast", 2, "feast", NULL, NULL);
    const char *names[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        object(t, names[i], NULL);
}

static void obfuscated(tf_plan_task *t)
{
    memset(t, 0, sizeof *t);
    t->vocab = TF_PLAN_OBFUSCATED;
    action(t, "j4gv801gnu2it0yj", 2, "j4gv801gnu2it0yj", NULL, NULL);
    action(t, "u64y1a9apusmslxb", 1, "u64y1a9apusmslxb", NULL, NULL);
    for (int i = 0; i < 4; i++) {
        char n[16], a[16];
        snprintf(n, sizeof n, "object_%d", i);
        snprintf(a, sizeof a, "o%d", i);
        object(t, n, a);
    }
}

/* Read text; the plan written "(action arg ...)" per step, "?" for -1. */
static tf_err rd(const tf_plan_task *t, const char *text, tf_plan_read *r, char *out, size_t cap)
{
    tf_diag d;
    d.msg[0] = '\0';
    tf_err e = tf_plantext_read_plan(t, text, strlen(text), r, &d);
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n && k + 80 < cap; i++) {
        const tf_strips_step *s = &r->steps[i];
        k += (size_t)snprintf(out + k, cap - k, "%s(%s", i ? " " : "",
                              t->dom.action[s->action].name);
        for (int a = 0; a < t->dom.action[s->action].arity; a++)
            k += (size_t)snprintf(out + k, cap - k, " %s",
                                  s->arg[a] >= 0 ? t->prob.object[s->arg[a]] : "?");
        k += (size_t)snprintf(out + k, cap - k, ")");
    }
    return e;
}

/* The text reads OK as want. */
static void ok(const tf_plan_task *t, const char *text, const char *want)
{
    tf_plan_read r;
    char got[4096];
    tf_err e = rd(t, text, &r, got, sizeof got);
    CHECKF(e == TF_OK && r.status == TF_PLAN_READ_OK && strcmp(got, want) == 0,
           "%s\n  got status %d %s [%s], want %s", text, (int)r.status, got, r.reason, want);
    tf_plan_read_free(&r);
}

static void status(const tf_plan_task *t, const char *text, tf_plan_read_status want,
                   const char *reason_has)
{
    tf_plan_read r;
    char got[4096];
    tf_err e = rd(t, text, &r, got, sizeof got);
    CHECKF(e == TF_OK && r.status == want && strstr(r.reason, reason_has) &&
               (want == TF_PLAN_READ_INCOMPLETE || r.n == 0),
           "%s\n  got status %d [%s] %s", text, (int)r.status, r.reason, got);
    tf_plan_read_free(&r);
}

static void test_forms(void)
{
    tf_plan_task *t = malloc(sizeof *t);
    blocksworld(t);
    /* PDDL form, letters and names */
    ok(t, "(unstack a b)\n(stack a d)", "(unstack red blue) (stack red yellow)");
    ok(t, "(unstack red blue)\n(stack red yellow)\n", "(unstack red blue) (stack red yellow)");
    ok(t, "```\n(UNSTACK A B)\n(stack a d)\n```", "(unstack red blue) (stack red yellow)");
    ok(t, "1. (pick-up c)\n2. (put-down c)", "(pick-up orange) (put-down orange)");
    /* prose */
    ok(t, "Unstack the yellow block from the red block", "(unstack yellow red)");
    ok(t, "1. **Pick up** the red block", "(pick-up red)");
    ok(t, "stack red on yellow", "(stack red yellow)");
    ok(t, "Put down blue on table", "(put-down blue)");
    ok(t, "Put red on the table", "(put-down red)");
    ok(t, "Put blue down on the table.", "(put-down blue)");
    ok(t, "pickup orange\nput-down orange", "(pick-up orange) (put-down orange)");
    ok(t, "Stack the orange block on top of the yellow block.", "(stack orange yellow)");
    ok(t, "1. Unstack(Yellow, Blue)\n2. Put down(Yellow)",
       "(unstack yellow blue) (put-down yellow)");
    ok(t, "Then stack red onto yellow", "(stack red yellow)");
    /* numbering, bullets, markdown */
    ok(t, "1) unstack red from blue\n2) stack red on yellow",
       "(unstack red blue) (stack red yellow)");
    ok(t, "Step 1: Unstack red from blue\nStep 2: Stack red on yellow",
       "(unstack red blue) (stack red yellow)");
    ok(t, "**Step 1:** Unstack red from blue\n**Step 2:** Stack red on yellow",
       "(unstack red blue) (stack red yellow)");
    ok(t, "### Step 1: Unstack red from blue\n### Step 2: Stack red on yellow",
       "(unstack red blue) (stack red yellow)");
    ok(t, "- Unstack red from blue\n* Stack red on yellow",
       "(unstack red blue) (stack red yellow)");
    ok(t, "\xE2\x80\xA2 Unstack _red_ from *blue*\n\xE2\x80\xA2 Stack `red` on __yellow__",
       "(unstack red blue) (stack red yellow)");
    ok(t, "Unstack red from blue\nStack red on yellow", "(unstack red blue) (stack red yellow)");
    ok(t,
       "1. **Unstack red from blue**: now blue is clear, so stack orange on it\n"
       "2. **Stack red on yellow** \xE2\x80\x94 done",
       "(unstack red blue) (stack red yellow)");
    /* the plan twice; a draft and the corrected plan; explanations */
    ok(t,
       "Here is the plan:\n\n1. **Unstack the red block from the blue block.**\n2. **Stack the "
       "red block on the yellow block.**\n\n---\n\n**Action Sequence:**\n1. Unstack red from "
       "blue\n2. Stack red on yellow\n",
       "(unstack red blue) (stack red yellow)");
    ok(t,
       "Draft:\n1. Pick up red\n2. Stack red on yellow\n\nThat fails: red is on blue.\n\n"
       "**Final Plan:**\n1. Unstack red from blue\n2. Stack red on yellow\n",
       "(unstack red blue) (stack red yellow)");
    ok(t,
       "1. **Unstack red from blue**\n   - Red is clear and the hand is empty.\n   - Restores "
       "harmony between blue and orange.\n\n2. **Stack red on yellow**\n   - Yellow is clear.\n",
       "(unstack red blue) (stack red yellow)");
    ok(t, "1. **Unstack red from blue**\nThis frees blue.\n2. **Stack red on yellow**\nDone.\n",
       "(unstack red blue) (stack red yellow)");
    ok(t,
       "1. Unstack red from blue\n2. Stack red on yellow\n\n**Explanation:**\n- **Stack red on "
       "yellow** puts red where the goal wants it.\n- Step 2: Stack red on yellow finishes.\n",
       "(unstack red blue) (stack red yellow)");
    /* a block stacked on itself is a step; the simulator judges it */
    {
        tf_plan_read r;
        char got[256];
        CHECK(rd(t, "(stack red red)", &r, got, sizeof got) == TF_OK);
        CHECK(r.status == TF_PLAN_READ_OK && strcmp(got, "(stack red red)") == 0);
        tf_strips_sim sim;
        CHECK(tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim) == TF_OK);
        CHECK(!sim.executable && sim.first_invalid == 0 && sim.why == TF_STRIPS_PRECONDITION);
        tf_plan_read_free(&r);
    }
    /* a valid plan simulates to the goal; form and first line */
    {
        tf_plan_read r;
        char got[256];
        CHECK(rd(t, "Plan:\n\n(unstack red blue)\n(stack red yellow)\n", &r, got, sizeof got) ==
              TF_OK);
        tf_strips_sim sim;
        CHECK(r.status == TF_PLAN_READ_OK && r.n == 2 && strcmp(r.form, "pddl") == 0 &&
              r.first_line == 3 && r.unknown_step == -1);
        CHECK(tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim) == TF_OK &&
              sim.executable && sim.goal_reached);
        tf_plan_read_free(&r);
        CHECK(rd(t, "x\n1. Unstack red from blue", &r, got, sizeof got) == TF_OK);
        CHECK(strcmp(r.form, "text") == 0 && r.first_line == 2);
        tf_plan_read_free(&r);
    }
    /* unknown objects */
    {
        tf_plan_read r;
        char got[256];
        CHECK(rd(t, "1. Pick up orange\n2. Stack the purple block on red", &r, got, sizeof got) ==
              TF_OK);
        CHECKF(r.status == TF_PLAN_READ_OK && strcmp(got, "(pick-up orange) (stack ? red)") == 0 &&
                   r.unknown_step == 1 && strcmp(r.unknown, "purple") == 0,
               "%s %ld %s", got, r.unknown_step, r.unknown);
        tf_plan_read_free(&r);
        CHECK(rd(t, "(stack x y)", &r, got, sizeof got) == TF_OK);
        CHECK(r.status == TF_PLAN_READ_OK && strcmp(got, "(stack ? ?)") == 0 &&
              r.unknown_step == 0 && strcmp(r.unknown, "x") == 0);
        tf_strips_sim sim;
        CHECK(tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim) == TF_OK &&
              !sim.executable && sim.why == TF_STRIPS_UNKNOWN_OBJECT);
        tf_plan_read_free(&r);
    }
    /* statuses */
    status(t, "", TF_PLAN_READ_NONE, "no step");
    status(t, "The blocks are nice.\nRed is on blue.", TF_PLAN_READ_NONE, "no step");
    status(t, "No valid sequence of actions exists to reach the goal.", TF_PLAN_READ_REFUSED,
           "No valid sequence");
    status(t, "This goal is not feasible.", TF_PLAN_READ_REFUSED, "not feasible");
    status(t, "It is **impossible**: red cannot move.", TF_PLAN_READ_REFUSED, "impossible");
    status(t,
           "It is not possible to reach the goal. Here is why:\n1. **Unstack red from blue** "
           "requires an empty hand\n",
           TF_PLAN_READ_REFUSED, "not possible");
    status(t, "1. **Unstack**\n2. **Stack red on yellow**", TF_PLAN_READ_INCOMPLETE,
           "line 1: \"1. **Unstack**\"");
    free(t);
}

/* Several steps on one line: lists after a colon, prose sentences,
 * arrows, table rows; what is not a step there. */
static void test_one_line(void)
{
    tf_plan_task *t = malloc(sizeof *t);
    blocksworld(t);
    const char *four = "(unstack red blue) (put-down red) (pick-up orange) (stack orange red)";
    /* a colon, then commas, "then", "and then", ";" */
    ok(t, "The plan is: unstack red from blue, put down red, pick up orange, stack orange on red.",
       four);
    ok(t,
       "Unstack red from blue, then put down red, and then pick up orange and stack orange on red",
       four);
    ok(t, "unstack red blue; put-down red; pick-up orange; stack orange red", four);
    ok(t,
       "**Plan:** Unstack red from blue then put down red then pick up orange then stack orange "
       "on red.",
       four);
    /* prose sentences */
    ok(t,
       "First, unstack the red block from the blue block. Then put down the red block. Next, "
       "pick up the orange block. Finally, stack the orange block on the red block.",
       four);
    ok(t, "Unstack red from blue. After that, put down red. Lastly, pick up orange.",
       "(unstack red blue) (put-down red) (pick-up orange)");
    /* arrows */
    ok(t, "unstack(red, blue) -> put-down(red) -> pick-up(orange) -> stack(orange, red)", four);
    ok(t, "Unstack red from blue \xE2\x86\x92 Put down red \xE2\x86\x92 Pick up orange",
       "(unstack red blue) (put-down red) (pick-up orange)");
    ok(t, "(unstack red blue) => (put-down red) => (pick-up orange) => (stack orange red)", four);
    /* PDDL calls side by side, with or without a space; a gloss in
     * parentheses after a step is not a call */
    ok(t, "(unstack red blue) (put-down red) (pick-up orange) (stack orange red)", four);
    ok(t, "Plan: (unstack red blue)(put-down red)(pick-up orange)(stack orange red)", four);
    ok(t, "1. Unstack(Red, Blue) (now holding red)\n2. Put-down(Red)",
       "(unstack red blue) (put-down red)");
    /* markdown tables: a step in a cell, the number cell numbers it */
    ok(t,
       "| Step | Action |\n|---|---|\n| 1 | Unstack red from blue |\n| 2 | Put down red |\n| 3 "
       "| Pick up orange |\n| 4 | Stack orange on red |",
       four);
    ok(t,
       "| # | Action | Block | Target |\n|---|---|---|---|\n| 1 | Unstack | red | blue |\n| 2 | "
       "Put down | red | |\n| 3 | Pick up | orange | |\n| 4 | Stack | orange | red |\n",
       four);
    ok(t,
       "| Step | Action | Result |\n|--|--|--|\n| **Step 1** | Pick up orange | Holding orange |\n"
       "| **Step 2** | Stack orange on red | Orange on red |",
       "(pick-up orange) (stack orange red)");
    /* numbered lines with several steps: the number is the line's first
     * step's; "it" as a step's first object is the first object of the step
     * before it on the line (not on another line) */
    ok(t, "1. Unstack red from blue, then put it down.\n2. Pick up orange and stack it on red.",
       four);
    ok(t, "Pick up orange. Stack it on red.\nStack it on blue.",
       "(pick-up orange) (stack orange red)");
    ok(t, "1. Unstack red from blue; put down red.\n2. Pick up orange; stack orange on red.", four);
    ok(t, "Put the blue block down on the table", "(put-down blue)");
    ok(t,
       "[PLAN]\nunstack the red block from on top of the blue block\nput down the red block\n"
       "[PLAN END]",
       "(unstack red blue) (put-down red)");
    /* not steps: an explanation with an action word inside, "and" between
     * objects, what follows a step's ":" or dash */
    ok(t,
       "Unstack red from blue. This moves the red block to the table, so the blue block is "
       "clear.",
       "(unstack red blue)");
    status(t, "Red is clear, so we can stack red on yellow. Blue stays put.", TF_PLAN_READ_NONE,
           "no step");
    status(t, "We should unstack red from blue, because then we could pick up blue.",
           TF_PLAN_READ_NONE, "no step");
    ok(t, "Stack red on blue and yellow", "(stack red blue)");
    ok(t, "1. **Pick up orange**: Now, with red on blue, pick up the orange block. Pick it up.",
       "(pick-up orange)");
    ok(t, "1. Pick up orange \xE2\x80\x94 then stack orange on red", "(pick-up orange)");
    ok(t,
       "1. Unstack red from blue\n2. Put down red\n\nWhy: blue must be clear before we pick up "
       "blue, then stack orange on red.",
       "(unstack red blue) (put-down red)");
    free(t);
    /* Mystery and obfuscated words on one line */
    mystery(t = malloc(sizeof *t));
    ok(t, "Attack b, overcome b from c; feast d from a -> succumb d",
       "(attack b) (overcome b c) (feast d a) (succumb d)");
    ok(t, "- **Attack**: requires Province object\n1. Attack c", "(attack c)");
    obfuscated(t);
    ok(t, "(u64y1a9apusmslxb object_0), then (j4gv801gnu2it0yj object_0 object_1)",
       "(u64y1a9apusmslxb object_0) (j4gv801gnu2it0yj object_0 object_1)");
    free(t);
}

static void test_mystery_obfuscated(void)
{
    tf_plan_task *t = malloc(sizeof *t);
    mystery(t);
    ok(t, "1. **Attack b**\n2. **Overcome a from b**", "(attack b) (overcome a b)");
    ok(t, "Feast object c from object a", "(feast c a)");
    ok(t, "Attack **b**", "(attack b)");
    ok(t, "(feast c a)\n(succumb c)", "(feast c a) (succumb c)");
    ok(t,
       "1. Feast\xE2\x80\xAF(c,\xE2\x80\xAF"
       "d)\n2. Succumb (c)",
       "(feast c d) (succumb c)");
    ok(t, "1. **Feast _a_ from _c_**\n2. **Succumb _a_**", "(feast a c) (succumb a)");
    ok(t,
       "1. **Attack object d**\n2. **Overcome object b from object a**\n\n**Explanation:**\n\n1. "
       "**Attack object d**: Initiates Pain on object a.\n2. **Overcome object b from object "
       "a**: Changes the craving so that object b craves object a.\n",
       "(attack d) (overcome b a)");
    ok(t, "- **Attack**: requires Province object\n1. Attack c", "(attack c)");
    status(t, "1. **Attack**\n2. **Overcome**", TF_PLAN_READ_INCOMPLETE, "**Attack**");
    status(t, "1. Attack object d\n2. Succumb object\n", TF_PLAN_READ_INCOMPLETE,
           "line 2: \"2. Succumb object\"");
    obfuscated(t);
    ok(t, "j4gv801gnu2it0yj object_1 object_2", "(j4gv801gnu2it0yj object_1 object_2)");
    ok(t, "1. `U64y1a9apusmslxb object_0`\n2. `j4gv801gnu2it0yj object_0 object_1`",
       "(u64y1a9apusmslxb object_0) (j4gv801gnu2it0yj object_0 object_1)");
    ok(t, "(j4gv801gnu2it0yj o1 o2)", "(j4gv801gnu2it0yj object_1 object_2)");
    ok(t, "1. **Perform `u64y1a9apusmslxb` on `object_2`.**", "(u64y1a9apusmslxb object_2)");
    status(t,
           "Based on the facts, it is **not possible** to reach the goal.\n\n1. "
           "**`j4gv801gnu2it0yj object_0 object_1`**\n   - **Requires:** a46 object_0\n",
           TF_PLAN_READ_REFUSED, "not possible");
    status(t,
           "### Available Actions:\n- **`j4gv801gnu2it0yj object_0 object_1`:**\n  - Requires x\n"
           "\nThere is no feasible sequence of actions.",
           TF_PLAN_READ_REFUSED, "no feasible sequence");
    free(t);
}

/* n steps "(pick-up a)", one a line, into a new string. */
static char *repeat(const char *line, size_t n, size_t *len)
{
    size_t m = strlen(line);
    char *s = malloc(n * m + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * m, line, m);
    s[n * m] = '\0';
    *len = n * m;
    return s;
}

static void test_hostile(void)
{
    tf_plan_task *t = malloc(sizeof *t);
    blocksworld(t);
    tf_plan_read r;
    tf_diag d;
    size_t len;
    /* 100,000 steps read; 100,001 are too many */
    char *s = repeat("(pick-up a)\n", TF_PLANTEXT_MAX_STEPS, &len);
    clock_t t0 = clock();
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK && r.status == TF_PLAN_READ_OK &&
          r.n == TF_PLANTEXT_MAX_STEPS);
    tf_plan_read_free(&r);
    free(s);
    s = repeat("(pick-up a)\n", TF_PLANTEXT_MAX_STEPS + 1, &len);
    d.msg[0] = '\0';
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_ERR_TOO_BIG && d.msg[0] && r.n == 0);
    tf_plan_read_free(&r);
    free(s);
    /* 1,000,000 lines: blocks of one step each between prose (the last is
     * the plan), and numbered steps past the cap */
    s = repeat("Pick up red\nsome words here\n", 500000, &len);
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK && r.status == TF_PLAN_READ_OK &&
          r.n == 1 && r.first_line == 999999);
    tf_plan_read_free(&r);
    free(s);
    s = repeat("1. Pick up red\n", 1000000, &len);
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK && r.n == 1);
    tf_plan_read_free(&r);
    free(s);
    s = repeat("- Pick up red\n", 1000000, &len);
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_ERR_TOO_BIG);
    tf_plan_read_free(&r);
    free(s);
    /* one long line */
    s = repeat("red blue ", 1000000, &len);
    memcpy(s, "stack    ", 9);
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK && r.status == TF_PLAN_READ_OK);
    tf_plan_read_free(&r);
    free(s);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("hostile texts: %.2f s (linearity is measured by bench/plantext.sh)\n", secs);
    /* one line: 100,000 steps read, 100,001 too many; separators that
     * lead nowhere */
    s = repeat("pick-up a -> ", TF_PLANTEXT_MAX_STEPS, &len);
    t0 = clock();
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK && r.status == TF_PLAN_READ_OK &&
          r.n == TF_PLANTEXT_MAX_STEPS && r.first_line == 1);
    tf_plan_read_free(&r);
    free(s);
    s = repeat("pick-up a, ", TF_PLANTEXT_MAX_STEPS + 1, &len);
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_ERR_TOO_BIG);
    tf_plan_read_free(&r);
    free(s);
    const char *junk_lines[] = {",", " and", ". x", ": ", "|", " then", "->", "1: -> "};
    for (size_t k = 0; k < sizeof junk_lines / sizeof *junk_lines; k++) {
        s = repeat(junk_lines[k], 100000, &len);
        memcpy(s, "1. Stack red on", 15);
        CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK);
        tf_plan_read_free(&r);
        free(s);
    }
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("hostile one-line texts: %.2f s\n", secs);
    /* past the text cap */
    len = (size_t)TF_PLANTEXT_MAX_TEXT + 1;
    s = calloc(len, 1);
    CHECK(s && tf_plantext_read_plan(t, s, len, &r, &d) == TF_ERR_TOO_BIG);
    tf_plan_read_free(&r);
    free(s);
    /* empty, NULL, binary junk */
    CHECK(tf_plantext_read_plan(t, "", 0, &r, &d) == TF_OK && r.status == TF_PLAN_READ_NONE);
    tf_plan_read_free(&r);
    CHECK(tf_plantext_read_plan(t, NULL, 0, &r, &d) == TF_OK && r.status == TF_PLAN_READ_NONE);
    tf_plan_read_free(&r);
    unsigned char junk[4096];
    unsigned x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof junk; i++) {
            x = x * 1103515245u + 12345u;
            junk[i] = (unsigned char)(x >> 16);
            if (round % 2 && (x >> 8) % 7 == 0)
                junk[i] = "\n(1. *stack red a"[(x >> 4) % 16];
        }
        tf_err e = tf_plantext_read_plan(t, (const char *)junk, sizeof junk, &r, &d);
        CHECK(e == TF_OK && strlen(r.reason) < sizeof r.reason);
        for (size_t i = 0; i < r.n; i++)
            CHECK(r.steps[i].action >= 0 && r.steps[i].action < t->dom.nactions);
        tf_plan_read_free(&r);
    }
    /* a reason quoting a long line is capped */
    s = repeat(" ", 5000, &len);
    memcpy(s, "1. Stack", 8);
    s[len - 1] = 'z';
    CHECK(tf_plantext_read_plan(t, s, len, &r, &d) == TF_OK &&
          r.status == TF_PLAN_READ_INCOMPLETE && strlen(r.reason) < sizeof r.reason);
    tf_plan_read_free(&r);
    free(s);
    free(t);
}

int main(void)
{
    test_forms();
    test_one_line();
    test_mystery_obfuscated();
    test_hostile();
    return tf_test_done();
}
