/* test_plantext_prompt.c: PlanBench prompts read into planning tasks and
 * plans and prompts written back (plantext.h, planning/prompt.c), on
 * hand-written prompts: each vocabulary, holding in the initial state, a
 * one-shot prompt, CRLF and case, and hostile prompts that must give an
 * error with its reason (never a crash). */
#include "tf_test.h"
#include "tracefarm/plantext.h"

#include <stdlib.h>
#include <string.h>

static const char BW_DOMAIN[] =
    "I am playing with a set of blocks where I need to arrange the blocks into stacks. Here "
    "are the actions I can do\n\nPick up a block\nUnstack a block from on top of another "
    "block\nPut down a block\nStack a block on top of another block\n\nI have the following "
    "restrictions on my actions:\nI can only pick up or unstack one block at a time.\n\n";

static const char MY_DOMAIN[] =
    "I am playing with a set of objects. Here are the actions I can do\n\n"
    "   Attack object\n   Feast object from another object\n   Succumb object\n"
    "   Overcome object from another object\n\n"
    "I have the following restrictions on my actions:\n"
    "    To perform Attack action, the following facts need to be true: Province object, "
    "Planet object, Harmony.\n"
    "    Once Attack action is performed the following facts will be true: Pain object.\n"
    "    Once Attack action is performed the following facts will be false: Province object, "
    "Planet object, Harmony.\n"
    "    To perform Succumb action, the following facts need to be true: Pain object.\n"
    "    Once Succumb action is performed the following facts will be true: Province object, "
    "Planet object, Harmony.    \n"
    "    Once Succumb action is performed the following facts will be false: Pain object.\n"
    "    To perform Overcome action, the following needs to be true: Province other object, "
    "Pain object.\n"
    "    Once Overcome action is performed the following will be true: Harmony, Province "
    "object, Object Craves other object.\n"
    "    Once Overcome action is performed the following will be false: Province other "
    "object, Pain object.\n"
    "    To perform Feast action, the following needs to be true: Object Craves other "
    "object, Province object, Harmony.\n"
    "    Once Feast action is performed the following will be true: Pain object, Province "
    "other object.\n"
    "    Once Feast action is performed the following will be false:, Object Craves other "
    "object, Province object, Harmony.\n\n";

static const char OB_DOMAIN[] =
    "I am playing with a set of objects. Here are the actions I can do\n\n"
    "J4gv801gnu2it0yj object_0 object_1.\nU64y1a9apusmslxb object_0.\n"
    "Kip9uw781pv62umn object_0.\nWio5amhq7814n006 object_0 object_1.\n\n"
    "I have the following restrictions on my actions:\n"
    "To perform j4gv801gnu2it0yj action, the following facts need to be true: "
    "tv30k33pzoulql6w object_1, and a46zhwykn6jvbabk object_0\n"
    "Once j4gv801gnu2it0yj is performed the following facts will be true: cql4o62p1yeke3ok, "
    "tv30k33pzoulql6w object_0, and b6e9q4r60gagvdcn object_0 object_1\n"
    "Once j4gv801gnu2it0yj is performed the following facts will be false: tv30k33pzoulql6w "
    "object_1, and a46zhwykn6jvbabk object_0\n"
    "To perform u64y1a9apusmslxb action, the following facts need to be true: "
    "tv30k33pzoulql6w object_0, af9tse23ljclsqad object_0, and cql4o62p1yeke3ok\n"
    "Once u64y1a9apusmslxb is performed the following facts will be true: a46zhwykn6jvbabk "
    "object_0\n"
    "Once u64y1a9apusmslxb is performed the following facts will be false: tv30k33pzoulql6w "
    "object_0, af9tse23ljclsqad object_0, and cql4o62p1yeke3ok\n"
    "To perform kip9uw781pv62umn action, the following facts need to be true:a46zhwykn6jvbabk "
    "object_0\n"
    "Once kip9uw781pv62umn is performed the following facts will be true: tv30k33pzoulql6w "
    "object_0, cql4o62p1yeke3ok, and af9tse23ljclsqad object_0\n"
    "Once kip9uw781pv62umn is performed the following facts will be false: a46zhwykn6jvbabk "
    "object_0\n"
    "To perform wio5amhq7814n006 action, the following facts need to be true: "
    "b6e9q4r60gagvdcn object_0 object_1, tv30k33pzoulql6w object_0, and cql4o62p1yeke3ok\n"
    "Once wio5amhq7814n006 is performed the following facts will be true: a46zhwykn6jvbabk "
    "object_0, and tv30k33pzoulql6w object_1\n"
    "Once wio5amhq7814n006 is performed the following facts will be false: b6e9q4r60gagvdcn "
    "object_0 object_1, tv30k33pzoulql6w object_0, and cql4o62p1yeke3ok\n\n";

static const char QUESTION[] =
    "\n\nWhat is the plan to achieve my goal? Just give the actions in the plan.";

/* domain + statement + question, in a malloc'd string */
static char *cat3(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = malloc(na + nb + nc + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

static tf_err read_prompt(const char *s, tf_plan_task *t, tf_diag *d)
{
    d->msg[0] = '\0';
    return tf_plantext_prompt(s, strlen(s), t, d);
}

/* The optimal plan's length, or -1. */
static long optimal(const tf_plan_task *t)
{
    tf_strips_found found;
    tf_strips_step *plan = NULL;
    size_t len = 0;
    tf_err err =
        tf_strips_plan(&t->dom, &t->prob, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len, NULL);
    free(plan);
    return err == TF_OK && found == TF_STRIPS_FOUND ? (long)len : -1;
}

static int has_fact(const tf_plan_task *t, const tf_strips_fact *f, int n, const char *want)
{
    char buf[256];
    for (int i = 0; i < n; i++) {
        tf_strips_fact_str(&t->dom, &t->prob, &f[i], buf, sizeof buf);
        if (strcmp(buf, want) == 0)
            return 1;
    }
    return 0;
}

static void test_blocksworld(tf_plan_task *t)
{
    char *s = cat3(BW_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, the red block is clear, the "
                   "blue block is clear, the yellow block is clear, the hand is empty, the blue "
                   "block is on top of the orange block, the red block is on the table, the "
                   "orange block is on the table and the yellow block is on the table.\nMy goal "
                   "is to have that the orange block is on top of the blue block.",
                   QUESTION);
    tf_diag d;
    CHECKF(read_prompt(s, t, &d) == TF_OK, "%s", d.msg);
    CHECK(t->vocab == TF_PLAN_BLOCKSWORLD);
    CHECK(strcmp(tf_plan_vocab_name(t->vocab), "blocksworld") == 0);
    CHECK(t->dom.nactions == 4 && t->dom.npreds == 5);
    CHECK(t->prob.nobjects == 4 && t->prob.ninit == 8 && t->prob.ngoal == 1);
    /* objects in PlanBench's letter order, the colour first, the letter second */
    CHECK(strcmp(t->prob.object[0], "red") == 0 && strcmp(t->prob.object[2], "orange") == 0);
    CHECK(t->naliases[1] == 2 && strcmp(t->alias[1][0], "blue") == 0 &&
          strcmp(t->alias[1][1], "b") == 0);
    int pu = tf_strips_find_action(&t->dom, "pick-up");
    CHECK(pu >= 0 && t->nphrases[pu] == 3 && strcmp(t->phrase[pu][0], "pick up") == 0 &&
          strcmp(t->phrase[pu][2], "pickup") == 0);
    CHECK(has_fact(t, t->prob.init, t->prob.ninit, "(on blue orange)"));
    CHECK(has_fact(t, t->prob.init, t->prob.ninit, "(handempty)"));
    CHECK(has_fact(t, t->prob.goal, t->prob.ngoal, "(on orange blue)"));
    CHECK(optimal(t) == 4);

    /* the plan as a model writes it */
    int us = tf_strips_find_action(&t->dom, "unstack"),
        pd = tf_strips_find_action(&t->dom, "put-down"),
        st = tf_strips_find_action(&t->dom, "stack");
    int red = tf_strips_find_object(&t->prob, "red"),
        blue = tf_strips_find_object(&t->prob, "blue"),
        orange = tf_strips_find_object(&t->prob, "orange");
    tf_strips_step plan[4] = {
        {us, {blue, orange, 0}}, {pd, {blue, 0, 0}}, {pu, {red, 0, 0}}, {st, {red, blue, 0}}};
    tf_buf b;
    tf_buf_init(&b, 4096);
    CHECK(tf_plantext_write_plan(t, plan, 4, &b) == TF_OK);
    CHECKF(b.data && strcmp(b.data, "1. **Unstack blue from orange**\n2. **Put down blue**\n"
                                    "3. **Pick up red**\n4. **Stack red on blue**\n") == 0,
           "%s", b.data);
    /* and the prompt written back is the prompt but for the restrictions cut above */
    tf_buf_reset(&b);
    CHECK(tf_plantext_write_prompt(t, &b) == TF_OK);
    CHECK(b.data && strstr(b.data, strstr(s, "[STATEMENT]")) != NULL);
    tf_buf_free(&b);
    free(s);
}

static void test_holding_crlf_case(tf_plan_task *t)
{
    /* CRLF throughout, odd case and spacing, and a block in the hand */
    const char *src = "i am playing.  HERE ARE THE ACTIONS I CAN DO\r\n\r\n"
                      "PICK UP A BLOCK\r\nUnstack  a block from on top of another block.\r\n"
                      "Put down a block\r\nStack a block on top of another block\r\n\r\n"
                      "[Statement]\r\nAs initial  conditions I have that, The Red Block is "
                      "clear, I am holding the blue block, the red block is on the table "
                      "and the green block is on the table.\r\nMy goal is to have that the "
                      "blue block is on top of the red block\r\n\r\nWhat is the plan?";
    tf_diag d;
    CHECKF(read_prompt(src, t, &d) == TF_OK, "%s", d.msg);
    CHECK(t->vocab == TF_PLAN_BLOCKSWORLD && t->prob.nobjects == 3);
    CHECK(has_fact(t, t->prob.init, t->prob.ninit, "(holding blue)"));
    CHECK(!has_fact(t, t->prob.init, t->prob.ninit, "(handempty)"));
    CHECK(t->prob.ngoal == 1 && optimal(t) == 1);
    int green = tf_strips_find_object(&t->prob, "green");
    CHECK(green >= 0 && t->naliases[green] == 2 && strcmp(t->alias[green][1], "i") == 0);
    tf_buf b;
    tf_buf_init(&b, 1 << 16);
    CHECK(tf_plantext_write_prompt(t, &b) == TF_OK);
    CHECKF(b.data && strstr(b.data, "that, the red block is clear, I am holding the blue block, "
                                    "the red block is on the table and the green block is on "
                                    "the table.\nMy goal is to have that the blue block is on "
                                    "top of the red block.\n\nWhat is the plan") != NULL,
           "%s", b.data);
    tf_buf_free(&b);
}

static void test_mystery(tf_plan_task *t)
{
    char *s = cat3(MY_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, object b craves object c, "
                   "harmony, planet object a, planet object c, planet object d, province object "
                   "a, province object b and province object d.\nMy goal is to have that object "
                   "c craves object b.",
                   QUESTION);
    tf_diag d;
    CHECKF(read_prompt(s, t, &d) == TF_OK, "%s", d.msg);
    CHECK(t->vocab == TF_PLAN_MYSTERY);
    CHECK(t->dom.nactions == 4 && t->dom.npreds == 5 && t->prob.nobjects == 4);
    CHECK(tf_strips_find_pred(&t->dom, "craves") >= 0 &&
          t->dom.pred[tf_strips_find_pred(&t->dom, "craves")].arity == 2);
    CHECK(tf_strips_find_pred(&t->dom, "harmony") >= 0 &&
          t->dom.pred[tf_strips_find_pred(&t->dom, "harmony")].arity == 0);
    int feast = tf_strips_find_action(&t->dom, "feast");
    CHECK(feast >= 0 && t->dom.action[feast].arity == 2 && t->dom.action[feast].npre == 3 &&
          t->dom.action[feast].ndel == 3 && strcmp(t->connector[feast], "from") == 0);
    /* "Province other object" is the second parameter */
    int ov = tf_strips_find_action(&t->dom, "overcome");
    CHECK(ov >= 0);
    if (ov >= 0) {
        CHECK(t->dom.action[ov].pre[0].arg[0] == 1);
        CHECK(strcmp(t->phrase[ov][0], "overcome") == 0 && t->nphrases[ov] == 1);
    }
    CHECK(strcmp(t->prob.object[0], "a") == 0 && t->naliases[0] == 1);
    CHECK(has_fact(t, t->prob.init, t->prob.ninit, "(craves b c)"));
    CHECK(optimal(t) == 4);
    int b = tf_strips_find_object(&t->prob, "b"), c = tf_strips_find_object(&t->prob, "c");
    tf_strips_step plan[2] = {{ov, {c, b, 0}}, {tf_strips_find_action(&t->dom, "attack"), {c}}};
    tf_buf out;
    tf_buf_init(&out, 4096);
    CHECK(tf_plantext_write_plan(t, plan, 2, &out) == TF_OK);
    CHECKF(out.data && strcmp(out.data, "1. **Overcome c from b**\n2. **Attack c**\n") == 0, "%s",
           out.data);
    tf_buf_reset(&out);
    CHECK(tf_plantext_write_prompt(t, &out) == TF_ERR_PARSE);
    tf_buf_free(&out);
    free(s);
}

static void test_obfuscated(tf_plan_task *t)
{
    char *s = cat3(OB_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, af9tse23ljclsqad object_0, "
                   "af9tse23ljclsqad object_2, af9tse23ljclsqad object_3, b6e9q4r60gagvdcn "
                   "object_1 object_2, cql4o62p1yeke3ok, tv30k33pzoulql6w object_0, "
                   "tv30k33pzoulql6w object_1 and tv30k33pzoulql6w object_3.\nMy goal is to "
                   "have that b6e9q4r60gagvdcn object_2 object_1.",
                   QUESTION);
    tf_diag d;
    CHECKF(read_prompt(s, t, &d) == TF_OK, "%s", d.msg);
    CHECK(t->vocab == TF_PLAN_OBFUSCATED && t->prob.nobjects == 4);
    CHECK(strcmp(t->prob.object[3], "object_3") == 0 && t->naliases[3] == 2 &&
          strcmp(t->alias[3][1], "o3") == 0);
    int j4 = tf_strips_find_action(&t->dom, "j4gv801gnu2it0yj");
    CHECK(j4 >= 0 && strcmp(t->phrase[j4][0], "j4gv801gnu2it0yj") == 0 &&
          t->connector[j4][0] == '\0');
    /* "tv30k33pzoulql6w object_1" is the second parameter */
    CHECK(j4 >= 0 && t->dom.action[j4].npre == 2 && t->dom.action[j4].pre[0].arg[0] == 1);
    CHECK(optimal(t) == 4);
    tf_strips_step plan[1] = {{j4, {1, 2, 0}}};
    tf_buf b;
    tf_buf_init(&b, 4096);
    CHECK(tf_plantext_write_plan(t, plan, 1, &b) == TF_OK);
    CHECKF(b.data && strcmp(b.data, "(j4gv801gnu2it0yj object_1 object_2)\n") == 0, "%s", b.data);
    tf_buf_free(&b);
    free(s);
}

static void test_one_shot(tf_plan_task *t)
{
    /* the worked example first: its statement must not be read */
    char *s = cat3(BW_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, the red block is clear, the "
                   "hand is empty and the red block is on the table.\nMy goal is to have that "
                   "the red block is clear.\n\nMy plan is as follows:\n\n[PLAN]\n[PLAN END]\n\n"
                   "[STATEMENT]\nAs initial conditions I have that, the white block is clear, "
                   "the cyan block is clear, the hand is empty, the white block is on the "
                   "table and the cyan block is on the table\nMy goal is to have that the cyan "
                   "block is on top of the white block\n\nMy plan is as follows:\n\n[PLAN]",
                   "");
    tf_diag d;
    CHECKF(read_prompt(s, t, &d) == TF_OK, "%s", d.msg);
    CHECK(t->prob.nobjects == 2 && tf_strips_find_object(&t->prob, "red") < 0);
    CHECK(strcmp(t->prob.object[0], "white") == 0 && strcmp(t->alias[1][1], "h") == 0);
    CHECK(t->prob.ngoal == 1 && optimal(t) == 2);
    free(s);
}

static void test_pddl_words(tf_plan_task *t)
{
    /* a task as pddl.c fills it: letters for blocks; the prompt uses colours */
    char *s = cat3(BW_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, the red block is clear, the "
                   "hand is empty and the red block is on the table.\nMy goal is to have that "
                   "I am holding the red block.",
                   QUESTION);
    tf_diag d;
    CHECKF(read_prompt(s, t, &d) == TF_OK, "%s", d.msg);
    snprintf(t->prob.object[0], TF_STRIPS_MAX_NAME, "a");
    snprintf(t->dom.action[0].name, TF_STRIPS_MAX_NAME, "Pick-Up");
    tf_plantext_words_from_names(t);
    CHECK(t->vocab == TF_PLAN_PDDL && strcmp(tf_plan_vocab_name(t->vocab), "pddl") == 0);
    CHECK(t->nphrases[0] == 2 && strcmp(t->phrase[0][0], "pick-up") == 0 &&
          strcmp(t->phrase[0][1], "pick up") == 0);
    CHECK(t->naliases[0] == 1 && strcmp(t->alias[0][0], "a") == 0);
    tf_buf b;
    tf_buf_init(&b, 1 << 16);
    tf_strips_step st = {0, {0, 0, 0}};
    CHECK(tf_plantext_write_plan(t, &st, 1, &b) == TF_OK);
    CHECKF(b.data && strcmp(b.data, "(Pick-Up a)\n") == 0, "%s", b.data);
    tf_buf_reset(&b);
    /* letters become colours in the prompt; other names are used as they are */
    snprintf(t->prob.object[0], TF_STRIPS_MAX_NAME, "x");
    CHECK(tf_plantext_write_prompt(t, &b) == TF_OK);
    CHECK(b.data && strstr(b.data, "the x block is clear, the hand is empty and the x block is "
                                   "on the table.\nMy goal is to have that I am holding the x "
                                   "block.") != NULL);
    tf_buf_reset(&b);
    snprintf(t->prob.object[0], TF_STRIPS_MAX_NAME, "a");
    CHECK(tf_plantext_write_prompt(t, &b) == TF_OK);
    CHECK(b.data && strstr(b.data, "the red block is clear") != NULL);
    /* another domain: no prompt */
    t->dom.action[1].npre = 0;
    tf_buf_reset(&b);
    CHECK(tf_plantext_write_prompt(t, &b) == TF_ERR_PARSE);
    tf_buf_free(&b);
    free(s);
}

/* Each prompt must fail with code want and a message containing why. */
static void expect_error(tf_plan_task *t, const char *s, size_t n, tf_err want, const char *why)
{
    tf_diag d;
    d.msg[0] = '\0';
    tf_err err = tf_plantext_prompt(s, n, t, &d);
    CHECKF(err == want && strstr(d.msg, why) != NULL, "got %d \"%s\", want %d \"%s\"", (int)err,
           d.msg, (int)want, why);
}

static void test_hostile(tf_plan_task *t)
{
    expect_error(t, "", 0, TF_ERR_PARSE, "no \"[STATEMENT]\"");
    expect_error(t, BW_DOMAIN, strlen(BW_DOMAIN), TF_ERR_PARSE, "no \"[STATEMENT]\"");
    const char *no_goal = "Here are the actions I can do\nPick up a block\nUnstack a block from "
                          "on top of another block\nPut down a block\nStack a block on top of "
                          "another block\n[STATEMENT]\nAs initial conditions I have that, the "
                          "hand is empty.";
    expect_error(t, no_goal, strlen(no_goal), TF_ERR_PARSE, "no goal");
    char *s = cat3(BW_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, the red block is clear, the "
                   "red block is levitating.\nMy goal is to have that the red block is clear.",
                   QUESTION);
    expect_error(t, s, strlen(s), TF_ERR_PARSE,
                 "cannot read the fact \"the red block is "
                 "levitating\"");
    free(s);
    s = cat3(BW_DOMAIN,
             "[STATEMENT]\nAs initial conditions I have that, the hand is empty.\nMy goal is to "
             "have that.",
             QUESTION);
    expect_error(t, s, strlen(s), TF_ERR_PARSE, "goal");
    free(s);
    /* three of the four block actions */
    const char *three = "Here are the actions I can do\nPick up a block\nPut down a block\nStack "
                        "a block on top of another block\n[STATEMENT]\nAs initial conditions I "
                        "have that, the hand is empty.\nMy goal is to have that the hand is "
                        "empty.";
    expect_error(t, three, strlen(three), TF_ERR_PARSE, "without \"unstack a block");
    /* a restriction on an action not listed, and a slot the action lacks */
    s = cat3("Here are the actions I can do\nAttack object\n\nI have the following restrictions "
             "on my actions:\nTo perform Fly action, the following facts need to be true: "
             "Harmony.\n",
             "[STATEMENT]\nAs initial conditions I have that, harmony.\nMy goal is to have "
             "that harmony.",
             "");
    expect_error(t, s, strlen(s), TF_ERR_PARSE, "no such action");
    free(s);
    s = cat3("Here are the actions I can do\nAttack object\n\nI have the following restrictions "
             "on my actions:\nTo perform Attack action, the following facts need to be true: "
             "Province other object.\n",
             "[STATEMENT]\nAs initial conditions I have that, harmony.\nMy goal is to have "
             "that harmony.",
             "");
    expect_error(t, s, strlen(s), TF_ERR_PARSE, "does not take");
    free(s);
    s = cat3("Here are the actions I can do\nAttack object\n\nI have the following restrictions "
             "on my actions:\nAttack whenever you like\n",
             "[STATEMENT]\nAs initial conditions I have that, harmony.\nMy goal is to have "
             "that harmony.",
             "");
    expect_error(t, s, strlen(s), TF_ERR_PARSE, "cannot read the restriction");
    free(s);
    /* punctuation inside a fact, quoted with its bytes made printable */
    s = cat3(MY_DOMAIN,
             "[STATEMENT]\nAs initial conditions I have that, harmony; \x01\xff.\nMy goal is "
             "to have that harmony.",
             QUESTION);
    expect_error(t, s, strlen(s), TF_ERR_PARSE, "unexpected character in \"harmony; ??\"");
    free(s);
    /* 100 objects */
    tf_buf b;
    tf_buf_init(&b, 1 << 20);
    CHECK(tf_buf_puts(&b, BW_DOMAIN) == TF_OK);
    CHECK(tf_buf_puts(&b, "[STATEMENT]\nAs initial conditions I have that, the hand is empty") ==
          TF_OK);
    for (int i = 0; i < 100; i++)
        CHECK(tf_buf_printf(&b, ", the b%d block is on the table", i) == TF_OK);
    CHECK(tf_buf_puts(&b, ".\nMy goal is to have that the b1 block is clear.") == TF_OK);
    expect_error(t, b.data, b.len, TF_ERR_TOO_BIG, "more than 64 objects");
    /* a fact too long to quote whole */
    tf_buf_reset(&b);
    CHECK(tf_buf_puts(&b, BW_DOMAIN) == TF_OK);
    CHECK(tf_buf_puts(&b, "[STATEMENT]\nAs initial conditions I have that, the hand is") == TF_OK);
    for (int i = 0; i < 15; i++)
        CHECK(tf_buf_puts(&b, " very") == TF_OK);
    CHECK(tf_buf_puts(&b, ".\nMy goal is to have that the hand is empty.") == TF_OK);
    expect_error(t, b.data, b.len, TF_ERR_PARSE, "...\"");
    /* 1 MB and more: too big; 1 MB of filler after a valid domain: a reason */
    tf_buf_free(&b);
    size_t big = TF_PLANTEXT_MAX_PROMPT + 1;
    char *m = malloc(big);
    memset(m, 'x', big);
    expect_error(t, m, big, TF_ERR_TOO_BIG, "bytes");
    memcpy(m, BW_DOMAIN, strlen(BW_DOMAIN));
    memcpy(m + big - 200, "[STATEMENT] As initial conditions I have that, the", 50);
    expect_error(t, m, big - 1, TF_ERR_PARSE, "no goal");
    memset(m, ' ', big);
    memcpy(m + 10, "[STATEMENT]", 11);
    expect_error(t, m, big - 1, TF_ERR_PARSE, "no action list");
    free(m);
    /* NULL-free corner: a prompt cut inside the goal */
    const char *cut = "Here are the actions I can do\nPick up a block\nUnstack a block from on top "
                      "of another block\nPut down a block\nStack a block on top of another "
                      "block\n[STATEMENT]\nAs initial conditions I have that, the hand is "
                      "empty.\nMy goal is to have that the red";
    expect_error(t, cut, strlen(cut), TF_ERR_PARSE, "cannot read the fact \"the red\"");
    /* every prefix of a real prompt: an error with a reason, or a task */
    char *p = cat3(MY_DOMAIN,
                   "[STATEMENT]\nAs initial conditions I have that, object b craves object c, "
                   "harmony and province object b.\nMy goal is to have that object c craves "
                   "object b.",
                   QUESTION);
    long ok = 0, bad = 0;
    for (size_t n = 0; n <= strlen(p); n += 7) {
        tf_diag d;
        d.msg[0] = '\0';
        tf_err err = tf_plantext_prompt(p, n, t, &d);
        if (err == TF_OK)
            ok++;
        else
            bad += err == TF_ERR_PARSE && d.msg[0];
    }
    CHECK(ok > 0 && ok + bad == (long)(strlen(p) / 7 + 1));
    free(p);
}

int main(void)
{
    tf_plan_task *t = malloc(sizeof *t);
    if (!t)
        return 1;
    test_blocksworld(t);
    test_holding_crlf_case(t);
    test_mystery(t);
    test_obfuscated(t);
    test_one_shot(t);
    test_pddl_words(t);
    test_hostile(t);
    free(t);
    return tf_test_done();
}
