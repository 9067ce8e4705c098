/* test_serve_plan.c: the planner model of tracefarm serve, as functions.
 *
 *   test_serve_plan            hand-made Blocksworld problems (PDDL, and the
 *                              PlanBench prompt written for them): every
 *                              mode's answer read back and simulated here
 *                              (optimal: valid and of the planner's length;
 *                              padded: valid, two steps longer; invalid: a
 *                              precondition fails at the step the model
 *                              says; refused, unsolvable, limit: no plan);
 *                              the draws' frequencies; determinism per seed;
 *                              reasoning that grows with the plan;
 *   test_serve_plan DIR        every prompt of PlanBench's three files in
 *                              DIR (Blocksworld, Mystery, obfuscated), each
 *                              mode once; exit 77 when they are missing.
 */
#include "tf_test.h"
#include "tracefarm/pddl.h"
#include "tracefarm/plantext.h"
#include "tracefarm/serve.h"
#include "tracefarm/strips.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Blocksworld task from a PDDL problem, in PlanBench's colour words when
 * prose is true (the prompt written for it, then read back as serve
 * reads it), else in PDDL names. */
static tf_serve_plan_problem *problem_of(const tf_serve_plan_opts *o, const char *pddl, bool prose)
{
    tf_plan_task *t = calloc(1, sizeof *t);
    tf_serve_plan_problem *p = NULL;
    tf_diag d = {{0}};
    const char *dom = tf_pddl_blocksworld();
    if (!t || tf_pddl_domain(dom, strlen(dom), &t->dom, &d) != TF_OK ||
        tf_pddl_problem(&t->dom, pddl, strlen(pddl), &t->prob, &d) != TF_OK) {
        fprintf(stderr, "pddl: %s\n", d.msg);
        free(t);
        return NULL;
    }
    tf_plantext_words_from_names(t);
    if (prose) {
        tf_buf b;
        tf_buf_init(&b, 1 << 20);
        if (tf_plantext_write_prompt(t, &b) != TF_OK ||
            tf_serve_plan_load(o, b.data, b.len, &p) != TF_OK)
            p = NULL;
        tf_buf_free(&b);
    } else if (tf_serve_plan_from_task(o, t, &p) != TF_OK) {
        p = NULL;
    }
    free(t);
    return p;
}

/* Read the plan of an answer (from its plan on) and simulate it. */
typedef struct seen {
    tf_plan_read_status status;
    size_t n;
    tf_strips_sim sim;
} seen;

static bool look(const tf_serve_plan_problem *p, const char *text, size_t n, seen *s)
{
    tf_plan_read r;
    tf_diag d = {{0}};
    memset(s, 0, sizeof *s);
    bool ok = tf_plantext_read_plan(&p->task, text, n, &r, &d) == TF_OK;
    s->status = r.status;
    s->n = r.n;
    s->sim.first_invalid = -1;
    if (ok && r.status == TF_PLAN_READ_OK)
        ok = tf_strips_simulate(&p->task.dom, &p->task.prob, r.steps, r.n, &s->sim) == TF_OK;
    tf_plan_read_free(&r);
    return ok;
}

/* One answer of the model with every flaw at rate 1 (mode m), checked
 * against what its mode promises. Returns the mode it got. */
static tf_serve_plan_mode answer_checked(const tf_serve_plan_problem *p, tf_serve_plan_mode m,
                                         uint64_t seed, const char *what)
{
    tf_serve_plan_opts o = {0};
    if (m == TF_SERVE_PLAN_INVALID)
        o.invalid_rate = 1;
    else if (m == TF_SERVE_PLAN_PADDED)
        o.padding_rate = 1;
    else if (m == TF_SERVE_PLAN_REFUSED)
        o.refuse_rate = 1;
    tf_buf b;
    tf_buf_init(&b, 1 << 20);
    tf_serve_plan_info info;
    tf_err e = tf_serve_plan_answer(&o, p, seed, &b, &info);
    CHECKF(e == TF_OK, "%s: %s", what, tf_strerror(e));
    if (e != TF_OK) {
        tf_buf_free(&b);
        return TF_SERVE_PLAN_MODE_COUNT;
    }
    seen s;
    CHECKF(look(p, b.data + info.answer_at, b.len - info.answer_at, &s), "%s", what);
    long opt = p->found == TF_STRIPS_FOUND ? (long)p->len : -1;
    CHECK(info.optimal_len == opt);
    switch (info.mode) {
    case TF_SERVE_PLAN_OPTIMAL:
        CHECKF(s.status == TF_PLAN_READ_OK && s.n == p->len && s.sim.executable &&
                   s.sim.goal_reached,
               "%s: optimal: %zu steps of %zu", what, s.n, p->len);
        CHECK(info.valid && info.optimal && !info.first_error[0] && info.first_invalid == -1);
        CHECK(info.plan_len == (long)p->len);
        break;
    case TF_SERVE_PLAN_PADDED:
        CHECKF(s.status == TF_PLAN_READ_OK && s.n == p->len + 2 && s.sim.executable &&
                   s.sim.goal_reached,
               "%s: padded: %zu steps of %zu", what, s.n, p->len);
        CHECK(info.valid && !info.optimal && !info.first_error[0]);
        break;
    case TF_SERVE_PLAN_INVALID: {
        CHECKF(s.status == TF_PLAN_READ_OK && !s.sim.executable &&
                   s.sim.why == TF_STRIPS_PRECONDITION && s.sim.first_invalid == info.first_invalid,
               "%s: invalid at %ld, read %ld", what, info.first_invalid, s.sim.first_invalid);
        CHECK(s.n == p->len - 1 || s.n == p->len + 1);
        char code[TF_SERVE_PLAN_MAX_CODE];
        snprintf(code, sizeof code, "unmet_%s", p->task.dom.pred[s.sim.unmet.pred].name);
        CHECKF(!strcmp(info.first_error, code), "%s: %s, read %s", what, info.first_error, code);
        CHECK(!info.valid && !info.optimal);
        break;
    }
    case TF_SERVE_PLAN_REFUSED:
    case TF_SERVE_PLAN_UNSOLVABLE:
        CHECKF(s.status == TF_PLAN_READ_REFUSED, "%s: refusal read as %d", what, (int)s.status);
        CHECK(!strcmp(info.first_error, "plan_refused") && !info.valid && info.plan_len == 0);
        break;
    case TF_SERVE_PLAN_LIMIT:
        CHECKF(s.status == TF_PLAN_READ_NONE, "%s: limit read as %d", what, (int)s.status);
        CHECK(!strcmp(info.first_error, "no_plan") && !info.valid);
        break;
    default:
        CHECK(!"a mode");
    }
    /* the reasoning part names no action: the whole text reads the same */
    seen whole;
    CHECK(look(p, b.data, b.len, &whole) && whole.status == s.status && whole.n == s.n);
    tf_buf_free(&b);
    return info.mode;
}

/* Three towers of 2..6 blocks, goals that take 2 to 12 steps. */
static const char *const problems[] = {
    "(define (problem p1) (:domain blocksworld-4ops) (:objects a b c)"
    " (:init (handempty) (clear a) (on a b) (ontable b) (clear c) (ontable c))"
    " (:goal (and (on b c))))",
    "(define (problem p2) (:domain blocksworld-4ops) (:objects a b c d)"
    " (:init (handempty) (clear a) (on a b) (on b c) (ontable c) (clear d) (ontable d))"
    " (:goal (and (on c b) (on b a) (on d c))))",
    "(define (problem p3) (:domain blocksworld-4ops) (:objects a b c d e f)"
    " (:init (handempty) (clear a) (on a b) (on b c) (on c d) (on d e) (on e f) (ontable f))"
    " (:goal (and (on f e) (on e d) (on d c) (on c b) (on b a))))",
    "(define (problem p4) (:domain blocksworld-4ops) (:objects a b)"
    " (:init (handempty) (clear a) (on a b) (ontable b))"
    " (:goal (and (on b a))))",
};
#define NPROBLEMS (sizeof problems / sizeof *problems)

static void test_modes(void)
{
    tf_serve_plan_opts o = {0};
    size_t prev_len = 0;
    for (size_t i = 0; i < NPROBLEMS; i++) {
        for (int prose = 0; prose < 2; prose++) {
            tf_serve_plan_problem *p = problem_of(&o, problems[i], prose);
            CHECKF(p && p->found == TF_STRIPS_FOUND, "problem %zu", i);
            if (!p)
                continue;
            CHECK(p->task.vocab == (prose ? TF_PLAN_BLOCKSWORLD : TF_PLAN_PDDL));
            char what[64];
            for (uint64_t seed = 1; seed <= 8; seed++) {
                for (int m = TF_SERVE_PLAN_OPTIMAL; m <= TF_SERVE_PLAN_REFUSED; m++) {
                    snprintf(what, sizeof what, "problem %zu%s seed %d mode %s", i,
                             prose ? " (prose)" : "", (int)seed,
                             tf_serve_plan_mode_name((tf_serve_plan_mode)m));
                    tf_serve_plan_mode got = answer_checked(p, (tf_serve_plan_mode)m, seed, what);
                    CHECKF(got == (tf_serve_plan_mode)m, "%s: got %s", what,
                           tf_serve_plan_mode_name(got));
                }
            }
            if (i == 1)
                prev_len = p->len;
            tf_serve_plan_free(p);
        }
    }
    CHECK(prev_len == 8);
}

/* The reasoning grows with the optimal plan's length. */
static void test_reasoning_grows(void)
{
    tf_serve_plan_opts o = {0};
    size_t at[3] = {0};
    long len[3] = {0};
    for (size_t i = 0; i < 3; i++) {
        tf_serve_plan_problem *p = problem_of(&o, problems[i], true);
        if (!p)
            continue;
        tf_buf b;
        tf_buf_init(&b, 1 << 20);
        tf_serve_plan_info info;
        CHECK(tf_serve_plan_answer(&o, p, 7, &b, &info) == TF_OK);
        at[i] = info.answer_at;
        len[i] = info.optimal_len;
        tf_buf_free(&b);
        tf_serve_plan_free(p);
    }
    CHECKF(len[0] < len[1] && len[1] < len[2], "%ld %ld %ld", len[0], len[1], len[2]);
    /* at most two sentences of checking again differ between two samples */
    CHECKF(at[0] + 200 < at[1] && at[1] + 200 < at[2], "%zu %zu %zu", at[0], at[1], at[2]);
}

/* Unsolvable and bounded tasks: honest refusals, whatever was drawn. */
static void test_no_plan(void)
{
    tf_serve_plan_opts o = {0};
    tf_serve_plan_problem *p = problem_of(
        &o,
        "(define (problem u) (:domain blocksworld-4ops) (:objects a b)"
        " (:init (handempty) (clear a) (ontable a) (clear b) (ontable b)) (:goal (and (on a a))))",
        true);
    CHECK(p && p->found == TF_STRIPS_UNSOLVABLE);
    if (p) {
        CHECK(answer_checked(p, TF_SERVE_PLAN_OPTIMAL, 3, "unsolvable") ==
              TF_SERVE_PLAN_UNSOLVABLE);
        CHECK(answer_checked(p, TF_SERVE_PLAN_PADDED, 3, "unsolvable, padded") ==
              TF_SERVE_PLAN_UNSOLVABLE);
    }
    tf_serve_plan_free(p);
    o.max_states = 3;
    p = problem_of(&o, problems[2], true);
    CHECK(p && p->found == TF_STRIPS_LIMIT);
    if (p)
        CHECK(answer_checked(p, TF_SERVE_PLAN_INVALID, 3, "limit") == TF_SERVE_PLAN_LIMIT);
    tf_serve_plan_free(p);
}

/* Draws: the frequencies follow the rates; the same seed gives the same
 * bytes, another seed may not; a rate's change leaves the others' draws. */
static void test_draws(void)
{
    tf_serve_plan_opts o = {.invalid_rate = 0.2, .padding_rate = 0.3, .refuse_rate = 0.1};
    tf_serve_plan_problem *p = problem_of(&o, problems[1], true);
    CHECK(p != NULL);
    if (!p)
        return;
    long count[TF_SERVE_PLAN_MODE_COUNT] = {0};
    int N = 2000;
    bool differ = false;
    char *first_padded = NULL;
    for (int i = 0; i < N; i++) {
        tf_buf a, b;
        tf_buf_init(&a, 1 << 20);
        tf_buf_init(&b, 1 << 20);
        tf_serve_plan_info ia, ib;
        uint64_t seed = (uint64_t)i * 7919u + 1;
        CHECK(tf_serve_plan_answer(&o, p, seed, &a, &ia) == TF_OK);
        CHECK(tf_serve_plan_answer(&o, p, seed, &b, &ib) == TF_OK);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0 && ia.mode == ib.mode);
        count[ia.mode]++;
        tf_buf_reset(&b);
        tf_serve_plan_opts o2 = o;
        o2.refuse_rate = 0; /* refusals become optimal plans; nothing else changes */
        CHECK(tf_serve_plan_answer(&o2, p, seed, &b, &ib) == TF_OK);
        if (ia.mode == TF_SERVE_PLAN_REFUSED)
            CHECK(ib.mode == TF_SERVE_PLAN_OPTIMAL);
        else
            CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        if (ia.mode == TF_SERVE_PLAN_PADDED && !first_padded)
            first_padded = strdup(a.data + ia.answer_at);
        else if (ia.mode == TF_SERVE_PLAN_PADDED && strcmp(first_padded, a.data + ia.answer_at))
            differ = true; /* padding placed elsewhere */
        tf_buf_free(&a);
        tf_buf_free(&b);
    }
    CHECK(differ);
    free(first_padded);
    const double want[] = {0.4, 0.3, 0.2, 0.1};
    for (int m = 0; m < 4; m++)
        CHECKF(count[m] > (long)(N * want[m] * 0.85) && count[m] < (long)(N * want[m] * 1.15),
               "%s: %ld of %d", tf_serve_plan_mode_name((tf_serve_plan_mode)m), count[m], N);
    tf_serve_plan_free(p);
}

/* Not planning tasks: no [STATEMENT], a maze prompt, a broken statement. */
static void test_not_a_task(void)
{
    tf_serve_plan_opts o = {0};
    tf_serve_plan_problem *p = NULL;
    const char *maze = "start 0 0 goal 2 2 wall 1 1";
    CHECK(tf_serve_plan_load(&o, maze, strlen(maze), &p) == TF_ERR_PARSE && !p);
    const char *bad = "[STATEMENT]\nAs initial conditions I have that, nothing at all.";
    tf_err e = tf_serve_plan_load(&o, bad, strlen(bad), &p);
    CHECK((e == TF_ERR_PARSE || e == TF_ERR_TOO_BIG) && !p);
    CHECK(tf_serve_plan_load(&o, "", 0, &p) == TF_ERR_PARSE && !p);
}

/* Every PlanBench prompt of DIR, each mode once (the seed its index). */
static int sweep(const char *dir)
{
    static const char *const files[] = {"blocksworld-o1-mini.jsonl",
                                        "mystery_blocksworld-o1-mini.jsonl",
                                        "obfuscated_randomized_blocksworld-o1-mini.jsonl"};
    tf_serve_plan_opts o = {0};
    long prompts = 0;
    for (int f = 0; f < 3; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            printf("SKIP: %s is missing\n", path);
            return 77;
        }
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, fp) > 0) {
            cJSON *j = cJSON_Parse(line);
            const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "query");
            tf_serve_plan_problem *p = NULL;
            CHECK(cJSON_IsString(q));
            if (cJSON_IsString(q))
                CHECKF(tf_serve_plan_load(&o, q->valuestring, strlen(q->valuestring), &p) ==
                               TF_OK &&
                           p->found == TF_STRIPS_FOUND,
                       "%s: prompt %ld", files[f], prompts);
            for (int m = TF_SERVE_PLAN_OPTIMAL; p && m <= TF_SERVE_PLAN_REFUSED; m++) {
                char what[128];
                snprintf(what, sizeof what, "%s prompt %ld mode %d", files[f], prompts, m);
                CHECKF(answer_checked(p, (tf_serve_plan_mode)m, (uint64_t)prompts, what) ==
                           (tf_serve_plan_mode)m,
                       "%s", what);
            }
            tf_serve_plan_free(p);
            cJSON_Delete(j);
            prompts++;
        }
        free(line);
        fclose(fp);
    }
    printf("%ld PlanBench prompts, every mode\n", prompts);
    return tf_test_done();
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return sweep(argv[1]);
    test_modes();
    test_reasoning_grows();
    test_no_plan();
    test_draws();
    test_not_a_task();
    return tf_test_done();
}
