/* test_plantext_planbench.c: the prompt reader (plantext.h) on real data:
 * the 1,500 PlanBench prompts of shared/data/planbench (Blocksworld,
 * Mystery Blocksworld, obfuscated Blocksworld, 500 each).
 *
 *   - every prompt reads, in the vocabulary of its file;
 *   - the ground-truth plan (PDDL form with PlanBench's names: letters for
 *     the colours, "o3" for object_3), its names looked up here through the
 *     task's words, simulates executable and reaches the goal;
 *   - the optimal length (tf_strips_plan) equals the ground truth's
 *     length (the count of equal and shorter is printed);
 *   - a Blocksworld task written back as a prompt is the prompt, byte for
 *     byte; every ground truth writes as a plan.
 *
 * Usage: test_plantext_planbench DIR  (exit 77: the directory is missing). */
#include "tf_test.h"
#include "tracefarm/plantext.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *file;
    tf_plan_vocab vocab;
} FILES[] = {
    {"blocksworld-o1-mini.jsonl", TF_PLAN_BLOCKSWORLD},
    {"mystery_blocksworld-o1-mini.jsonl", TF_PLAN_MYSTERY},
    {"obfuscated_randomized_blocksworld-o1-mini.jsonl", TF_PLAN_OBFUSCATED},
};

/* An object by any of its words, or -1. */
static int object_by_word(const tf_plan_task *t, const char *w)
{
    for (int i = 0; i < t->prob.nobjects; i++)
        for (int k = 0; k < t->naliases[i]; k++)
            if (strcmp(t->alias[i][k], w) == 0)
                return i;
    return -1;
}

/* The ground truth's "(action a b)" lines into steps; -1 on a line that
 * does not read. */
static long parse_gt(const tf_plan_task *t, const char *s, tf_strips_step *steps, size_t cap)
{
    size_t n = 0;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char line[256];
        if (len >= sizeof line)
            return -1;
        memcpy(line, s, len);
        line[len] = '\0';
        s += len + (e != NULL);
        char *p = strchr(line, '(');
        if (!p)
            continue;
        char *q = strchr(p, ')');
        if (!q || n == cap)
            return -1;
        *q = '\0';
        char *save = NULL, *tok = strtok_r(p + 1, " \t", &save);
        if (!tok)
            return -1;
        tf_strips_step *st = &steps[n];
        st->action = tf_strips_find_action(&t->dom, tok);
        if (st->action < 0)
            return -1;
        int k = 0;
        while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
            if (k == TF_STRIPS_MAX_ARITY)
                return -1;
            st->arg[k++] = object_by_word(t, tok);
        }
        if (k != t->dom.action[st->action].arity)
            return -1;
        n++;
    }
    return (long)n;
}

static void run_file(const char *dir, int f, tf_plan_task *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, FILES[f].file);
    FILE *fp = fopen(path, "rb");
    CHECKF(fp != NULL, "cannot open %s", path);
    if (!fp)
        return;
    long records = 0, read = 0, gt_valid = 0, opt_equal = 0, opt_shorter = 0, roundtrip = 0;
    size_t cap = 1 << 24;
    char *line = malloc(cap);
    while (line && fgets(line, (int)cap, fp)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "query");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "ground_truth_plan");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        const char *name = cJSON_IsString(id) ? id->valuestring : "?";
        records++;
        if (!cJSON_IsString(q) || !cJSON_IsString(g)) {
            CHECKF(0, "%s: record %ld lacks query or ground_truth_plan", path, records);
            cJSON_Delete(j);
            continue;
        }
        tf_diag d = {""};
        tf_err err = tf_plantext_prompt(q->valuestring, strlen(q->valuestring), t, &d);
        CHECKF(err == TF_OK, "%s: %s", name, d.msg);
        if (err != TF_OK) {
            cJSON_Delete(j);
            continue;
        }
        read++;
        CHECKF(t->vocab == FILES[f].vocab, "%s: vocabulary %s", name, tf_plan_vocab_name(t->vocab));
        tf_strips_step steps[64];
        long n = parse_gt(t, g->valuestring, steps, 64);
        CHECKF(n > 0, "%s: ground truth does not read: %s", name, g->valuestring);
        tf_strips_sim sim;
        if (n > 0 && tf_strips_simulate(&t->dom, &t->prob, steps, (size_t)n, &sim) == TF_OK) {
            CHECKF(sim.executable && sim.goal_reached, "%s: ground truth fails at step %ld", name,
                   sim.first_invalid);
            gt_valid += sim.executable && sim.goal_reached;
        }
        tf_strips_found found;
        tf_strips_step *plan = NULL;
        size_t len = 0;
        err = tf_strips_plan(&t->dom, &t->prob, TF_STRIPS_DEFAULT_MAX_STATES, &found, &plan, &len,
                             NULL);
        CHECKF(err == TF_OK && found == TF_STRIPS_FOUND, "%s: no optimal plan", name);
        if (err == TF_OK && found == TF_STRIPS_FOUND && n > 0) {
            CHECKF((long)len <= n, "%s: optimal %zu > ground truth %ld", name, len, n);
            opt_equal += (long)len == n;
            opt_shorter += (long)len < n;
        }
        free(plan);
        tf_buf b;
        tf_buf_init(&b, 1 << 20);
        if (n > 0) {
            CHECK(tf_plantext_write_plan(t, steps, (size_t)n, &b) == TF_OK && b.len > 0);
            tf_buf_reset(&b);
        }
        if (t->vocab == TF_PLAN_BLOCKSWORLD) {
            int same = tf_plantext_write_prompt(t, &b) == TF_OK &&
                       strcmp(b.data ? b.data : "", q->valuestring) == 0;
            CHECKF(same, "%s: the prompt written back differs:\n%s", name, b.data);
            roundtrip += same;
        } else {
            CHECK(tf_plantext_write_prompt(t, &b) == TF_ERR_PARSE);
        }
        tf_buf_free(&b);
        cJSON_Delete(j);
    }
    free(line);
    fclose(fp);
    printf("%-50s records %ld  read %ld  GT valid %ld  optimal = GT %ld  optimal < GT %ld",
           FILES[f].file, records, read, gt_valid, opt_equal, opt_shorter);
    if (FILES[f].vocab == TF_PLAN_BLOCKSWORLD)
        printf("  prompt written back %ld", roundtrip);
    printf("\n");
    CHECK(records == 500 && read == records && gt_valid == records);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_plantext_planbench DIR\n");
        return 2;
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/%s", argv[1], FILES[0].file);
    FILE *fp = fopen(probe, "rb");
    if (!fp) {
        printf("SKIP: %s is missing\n", probe);
        return 77;
    }
    fclose(fp);
    tf_plan_task *t = malloc(sizeof *t);
    if (!t)
        return 1;
    clock_t t0 = clock();
    for (int f = 0; f < 3; f++)
        run_file(argv[1], f, t);
    printf("%.2f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
    free(t);
    return tf_test_done();
}
