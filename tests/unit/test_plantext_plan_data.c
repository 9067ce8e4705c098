/* test_plantext_plan_data.c: the plan reader (plantext.h,
 * tf_plantext_read_plan) on real data: the 1,500 o1-mini answers of
 * shared/data/planbench (Blocksworld, Mystery Blocksworld, obfuscated
 * Blocksworld, 500 each), each with its task read from its prompt.
 *
 *   - extraction: the plan read here, written in PDDL form with
 *     PlanBench's names (the last alias of each object: the letter of a
 *     colour, "a" for "object a", "o3" for object_3; a refusal as "no
 *     plan"), against PlanBench's own `extracted_llm_plan`;
 *   - verdict: the plan simulated (tf_strips_simulate; valid = status OK,
 *     executable and the goal reached) against PlanBench's `llm_correct`.
 *
 * Both agreements are printed per file, with every disagreement (id,
 * verdicts, both plans); the verdict agreement must reach the floors
 * below (every disagreement is explained in disagreements.md). The
 * extraction floors hold what the reader reaches; the rest are errors of
 * PlanBench's extraction (a step dropped, the plan doubled, "from" kept
 * as an argument, nothing extracted) or answers without a reading.
 *
 * Usage: test_plantext_plan_data DIR [-v]  (exit 77: DIR is missing). */
#include "tf_test.h"
#include "tracefarm/plantext.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *file;
    double min_verdict, min_extract; /* agreement floors, per cent */
} FILES[] = {
    {"blocksworld-o1-mini.jsonl", 98.5, 97.5},
    {"mystery_blocksworld-o1-mini.jsonl", 98.5, 92.5},
    {"obfuscated_randomized_blocksworld-o1-mini.jsonl", 99.5, 99.5},
};

/* Lower case, white space collapsed, none next to parentheses. */
static void norm(const char *s, char *o, size_t cap)
{
    size_t k = 0;
    int sp = 0;
    for (; *s && k + 2 < cap; s++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (c == ' ') {
            if (sp || k == 0 || o[k - 1] == '(')
                continue;
            sp = 1;
        } else {
            sp = 0;
        }
        if (c == ')' && k > 0 && o[k - 1] == ' ')
            k--;
        o[k++] = c;
    }
    while (k > 0 && o[k - 1] == ' ')
        k--;
    o[k] = '\0';
    /* "(no plan possible)", "(no valid plan exists ...)": a refusal */
    if (strncmp(o, "(no ", 4) == 0 && !strchr(o + 1, '('))
        snprintf(o, cap, "no plan");
}

/* The plan read, in PlanBench's form. */
static void write_ours(const tf_plan_task *t, const tf_plan_read *r, char *o, size_t cap)
{
    size_t k = 0;
    o[0] = '\0';
    if (r->status == TF_PLAN_READ_REFUSED) {
        snprintf(o, cap, "no plan");
        return;
    }
    for (size_t i = 0; i < r->n && k + 80 < cap; i++) {
        const tf_strips_step *s = &r->steps[i];
        k += (size_t)snprintf(o + k, cap - k, "%s(%s", i ? " " : "", t->dom.action[s->action].name);
        for (int a = 0; a < t->dom.action[s->action].arity; a++) {
            int ob = s->arg[a];
            if (ob >= 0)
                k += (size_t)snprintf(o + k, cap - k, " %s", t->alias[ob][t->naliases[ob] - 1]);
            else if (r->status != TF_PLAN_READ_INCOMPLETE)
                k += (size_t)snprintf(o + k, cap - k, " ?");
        }
        k += (size_t)snprintf(o + k, cap - k, ")");
    }
}

static const char *status_name(tf_plan_read_status s)
{
    switch (s) {
    case TF_PLAN_READ_OK:
        return "ok";
    case TF_PLAN_READ_NONE:
        return "none";
    case TF_PLAN_READ_REFUSED:
        return "refused";
    case TF_PLAN_READ_INCOMPLETE:
        return "incomplete";
    }
    return "?";
}

static void run_file(const char *dir, size_t fi, int verbose)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, FILES[fi].file);
    FILE *f = fopen(path, "rb");
    CHECKF(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    tf_plan_task *t = malloc(sizeof *t);
    char *ours = malloc(1 << 16), *pb = malloc(1 << 16);
    char *line = NULL;
    size_t cap = 0;
    long total = 0, same_plan = 0, same_verdict = 0, prompt_fail = 0;
    long st[4] = {0, 0, 0, 0};
    clock_t t0 = clock();
    while (t && ours && pb && getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItem(j, "id"), *q = cJSON_GetObjectItem(j, "query"),
                    *resp = cJSON_GetObjectItem(j, "llm_raw_response"),
                    *ext = cJSON_GetObjectItem(j, "extracted_llm_plan"),
                    *ok = cJSON_GetObjectItem(j, "llm_correct");
        if (!cJSON_IsString(id) || !cJSON_IsString(q) || !cJSON_IsString(resp) ||
            !cJSON_IsString(ext) || !cJSON_IsBool(ok)) {
            CHECKF(0, "%s: a record without its fields", FILES[fi].file);
            cJSON_Delete(j);
            continue;
        }
        total++;
        tf_diag d;
        d.msg[0] = '\0';
        if (tf_plantext_prompt(q->valuestring, strlen(q->valuestring), t, &d) != TF_OK) {
            prompt_fail++;
            CHECKF(0, "%s: prompt: %s", id->valuestring, d.msg);
            cJSON_Delete(j);
            continue;
        }
        tf_plan_read r;
        tf_err e = tf_plantext_read_plan(t, resp->valuestring, strlen(resp->valuestring), &r, &d);
        CHECKF(e == TF_OK, "%s: %s", id->valuestring, d.msg);
        int valid = 0;
        if (e == TF_OK && r.status == TF_PLAN_READ_OK) {
            tf_strips_sim sim;
            if (tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim) == TF_OK)
                valid = sim.executable && sim.goal_reached;
        }
        if (e == TF_OK)
            st[r.status]++;
        char tmp[1 << 12];
        write_ours(t, &r, tmp, sizeof tmp);
        norm(tmp, ours, 1 << 16);
        norm(ext->valuestring, pb, 1 << 16);
        int plan_eq = strcmp(ours, pb) == 0, verdict_eq = valid == cJSON_IsTrue(ok);
        same_plan += plan_eq;
        same_verdict += verdict_eq;
        if (!verdict_eq || (verbose && !plan_eq))
            printf("  %s %s: llm_correct %s, ours %s (%s%s%s)\n    ours: %s\n    pb:   %s\n",
                   verdict_eq ? "plan" : "VERDICT", id->valuestring,
                   cJSON_IsTrue(ok) ? "valid" : "invalid", valid ? "valid" : "invalid",
                   status_name(r.status), r.reason[0] ? ": " : "", r.reason, ours, pb);
        tf_plan_read_free(&r);
        cJSON_Delete(j);
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    double pv = total ? 100.0 * (double)same_verdict / (double)total : 0;
    double pp = total ? 100.0 * (double)same_plan / (double)total : 0;
    printf("%s: %ld records (%ld ok, %ld none, %ld refused, %ld incomplete); plan = "
           "extracted_llm_plan %ld (%.1f %%); verdict = llm_correct %ld (%.1f %%); %.2f s\n",
           FILES[fi].file, total, st[0], st[1], st[2], st[3], same_plan, pp, same_verdict, pv,
           secs);
    CHECKF(total == 500 && prompt_fail == 0, "%s: %ld records, %ld prompts unread", FILES[fi].file,
           total, prompt_fail);
    CHECKF(pv >= FILES[fi].min_verdict, "%s: verdict agreement %.1f %% < %.1f %%", FILES[fi].file,
           pv, FILES[fi].min_verdict);
    CHECKF(pp >= FILES[fi].min_extract, "%s: extraction agreement %.1f %% < %.1f %%",
           FILES[fi].file, pp, FILES[fi].min_extract);
    free(line);
    free(t);
    free(ours);
    free(pb);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [-v]\n", argv[0]);
        return 2;
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/%s", argv[1], FILES[0].file);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        printf("SKIP: no PlanBench data at %s\n", argv[1]);
        return 77;
    }
    fclose(f);
    int verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++)
        run_file(argv[1], i, verbose);
    return tf_test_done();
}
