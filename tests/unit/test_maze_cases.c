/* test_maze_cases.c: runs every hand-built case in tests/data/maze/.
 *
 * Each case file holds one problem, one model output and the verdict
 * expected for it (see docs/maze.md). Every key present in "expect" is
 * checked; an unknown key fails the case, so a typo cannot silently skip a
 * check. The runner also fails if fewer than MIN_CASES cases ran or if an
 * error code that a dialect can produce is the expected first error of no
 * case of that dialect.
 */
#include "tracefarm/maze_verify.h"
#include "tf_test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CASES 40
#define MAX_CASES 1024

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Which (dialect, code) pairs appear as an expected first error. */
static bool seen[2][TF_MAZE_CODE_COUNT];

static void mark_seen(int dialect, const cJSON *val)
{
    if (!cJSON_IsString(val))
        return;
    for (int c = 0; c < TF_MAZE_CODE_COUNT; c++)
        if (strcmp(val->valuestring, tf_maze_code_name((tf_maze_code)c)) == 0)
            seen[dialect][c] = true;
}

/* Compare an expected code name (string or null = none) with a code. */
static void check_code(const char *file, const char *key, const cJSON *want, tf_maze_code got)
{
    if (cJSON_IsNull(want)) {
        CHECKF(got == TF_MAZE_OK, "%s: %s: want null, got %s", file, key, tf_maze_code_name(got));
    } else if (cJSON_IsString(want)) {
        CHECKF(strcmp(want->valuestring, tf_maze_code_name(got)) == 0, "%s: %s: want %s, got %s",
               file, key, want->valuestring, tf_maze_code_name(got));
    } else {
        CHECKF(false, "%s: %s: must be a string or null", file, key);
    }
}

static void check_bool(const char *file, const char *key, const cJSON *want, bool got)
{
    CHECKF(cJSON_IsBool(want) && cJSON_IsTrue(want) == got, "%s: %s: want %s, got %s", file, key,
           cJSON_IsBool(want) ? (cJSON_IsTrue(want) ? "true" : "false") : "(not a bool)",
           got ? "true" : "false");
}

static void check_long(const char *file, const char *key, const cJSON *want, long got)
{
    CHECKF(cJSON_IsNumber(want) && (long)want->valuedouble == got, "%s: %s: want %g, got %ld", file,
           key, cJSON_IsNumber(want) ? want->valuedouble : -999.0, got);
}

static bool run_case(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len = 0;
    char *raw = read_all(path, &len);
    CHECKF(raw != NULL, "%s: cannot read", path);
    if (!raw)
        return false;
    cJSON *j = cJSON_ParseWithLength(raw, len);
    free(raw);
    CHECKF(j != NULL, "%s: bad JSON", file);
    if (!j)
        return false;

    bool ok = false;
    tf_maze *m = NULL;
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(j, "dialect");
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(j, "rows");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(j, "cols");
    const cJSON *jx = cJSON_GetObjectItemCaseSensitive(j, "expect");
    CHECKF(cJSON_IsString(jd) && cJSON_IsNumber(jr) && cJSON_IsNumber(jc) && cJSON_IsObject(jx),
           "%s: needs dialect, rows, cols, expect", file);
    if (!cJSON_IsString(jd) || !cJSON_IsNumber(jr) || !cJSON_IsNumber(jc) || !cJSON_IsObject(jx))
        goto out;
    tf_maze_dialect d;
    const char *prompt, *output;
    if (strcmp(jd->valuestring, "searchformer") == 0) {
        d = TF_MAZE_SEARCHFORMER;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "prompt");
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "output");
        CHECKF(cJSON_IsString(p) && cJSON_IsString(o), "%s: needs prompt and output", file);
        if (!cJSON_IsString(p) || !cJSON_IsString(o))
            goto out;
        prompt = p->valuestring;
        output = o->valuestring;
    } else if (strcmp(jd->valuestring, "beyond") == 0) {
        d = TF_MAZE_BEYOND;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
        CHECKF(cJSON_IsString(t), "%s: needs text", file);
        if (!cJSON_IsString(t))
            goto out;
        prompt = output = t->valuestring;
    } else {
        CHECKF(false, "%s: unknown dialect %s", file, jd->valuestring);
        goto out;
    }
    CHECKF(strncmp(file, jd->valuestring, strlen(jd->valuestring)) == 0 &&
               file[strlen(jd->valuestring)] == '-',
           "%s: file name must start with its dialect", file);

    tf_diag diag = {{0}};
    tf_err err =
        tf_maze_parse_prompt(prompt, strlen(prompt), jr->valueint, jc->valueint, &m, &diag);
    CHECKF(err == TF_OK, "%s: prompt: %s (%s)", file, tf_strerror(err), diag.msg);
    if (err)
        goto out;
    tf_maze_verdict v;
    err = tf_maze_verify(m, d, output, strlen(output), &v);
    CHECKF(err == TF_OK, "%s: verify: %s", file, tf_strerror(err));
    if (err)
        goto out;
    CHECKF(tf_maze_count_ops(d, output, strlen(output)) == v.trace_len,
           "%s: count_ops %ld != trace_len %ld", file, tf_maze_count_ops(d, output, strlen(output)),
           v.trace_len);
    /* Internal consistency of the verdict, whatever the expectations. */
    CHECKF(v.ref.valid == (v.ref.errors == 0) && v.ref.valid == (v.ref.first == TF_MAZE_OK) &&
               v.ref.valid == (v.ref.first_step == -1) &&
               v.ref.valid == (v.ref.first_in_order == TF_MAZE_OK) &&
               v.ref.first_in_order_step <= v.ref.first_step,
           "%s: inconsistent reference verdict", file);
    CHECKF(v.strict.valid == (v.strict.errors == 0) &&
               v.strict.valid == (v.strict.first == TF_MAZE_OK) &&
               v.strict.valid == (v.strict.first_step == -1),
           "%s: inconsistent strict verdict", file);
    CHECKF(v.plan_valid == (v.plan_error == TF_MAZE_OK), "%s: inconsistent plan verdict", file);

    int nkeys = 0;
    for (const cJSON *e = jx->child; e; e = e->next) {
        const char *k = e->string;
        nkeys++;
        if (strcmp(k, "trace_valid") == 0)
            check_bool(file, k, e, v.ref.valid);
        else if (strcmp(k, "first_error") == 0)
            check_code(file, k, e, v.ref.first), mark_seen(d, e);
        else if (strcmp(k, "first_error_step") == 0)
            check_long(file, k, e, v.ref.first_step);
        else if (strcmp(k, "first_error_in_order") == 0)
            check_code(file, k, e, v.ref.first_in_order);
        else if (strcmp(k, "first_error_in_order_step") == 0)
            check_long(file, k, e, v.ref.first_in_order_step);
        else if (strcmp(k, "error_count") == 0)
            check_long(file, k, e, v.ref.errors);
        else if (strcmp(k, "trace_valid_strict") == 0)
            check_bool(file, k, e, v.strict.valid);
        else if (strcmp(k, "strict_first_error") == 0)
            check_code(file, k, e, v.strict.first), mark_seen(d, e);
        else if (strcmp(k, "strict_first_error_step") == 0)
            check_long(file, k, e, v.strict.first_step);
        else if (strcmp(k, "strict_error_count") == 0)
            check_long(file, k, e, v.strict.errors);
        else if (strcmp(k, "plan_valid") == 0)
            check_bool(file, k, e, v.plan_valid);
        else if (strcmp(k, "plan_error") == 0)
            check_code(file, k, e, v.plan_error), mark_seen(d, e);
        else if (strcmp(k, "plan_len") == 0)
            check_long(file, k, e, v.plan_len);
        else if (strcmp(k, "plan_optimal") == 0)
            check_bool(file, k, e, v.plan_optimal);
        else if (strcmp(k, "optimal_plan_len") == 0)
            check_long(file, k, e, v.optimal_plan_len);
        else if (strcmp(k, "trace_len") == 0)
            check_long(file, k, e, v.trace_len);
        else {
            CHECKF(false, "%s: unknown expect key \"%s\"", file, k);
            nkeys--;
        }
    }
    CHECKF(nkeys > 0, "%s: expects nothing", file);
    ok = true;
out:
    tf_maze_free(m);
    cJSON_Delete(j);
    return ok;
}

int main(void)
{
    const char *dir = TF_TEST_DATA "/maze";
    DIR *dp = opendir(dir);
    CHECKF(dp != NULL, "cannot open %s", dir);
    if (!dp)
        return tf_test_done();
    char *names[MAX_CASES] = {0};
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0 && n < MAX_CASES)
            names[n++] = strdup(de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);

    int ran = 0;
    for (int i = 0; i < n; i++) {
        int before = tf_test_fail;
        if (names[i] && run_case(dir, names[i]))
            ran++;
        if (tf_test_fail != before)
            fprintf(stderr, "  ^ case %s failed\n", names[i]);
        free(names[i]);
    }
    printf("%d maze cases ran\n", ran);
    CHECKF(ran >= MIN_CASES, "only %d cases ran (want >= %d)", ran, MIN_CASES);

    /* Every code a dialect can produce is some case's expected first error. */
    for (int dl = 0; dl < 2; dl++) {
        for (int c = 1; c < TF_MAZE_CODE_COUNT; c++) {
            if (c == TF_MAZE_EXTRACTED_PLAN_INVALID)
                continue; /* unreachable: parent edges are always legal moves */
            if (dl == TF_MAZE_SEARCHFORMER && c == TF_MAZE_FIRST_CREATE_NOT_LAST_CLOSED)
                continue;
            if (dl == TF_MAZE_BEYOND &&
                (c == TF_MAZE_STRICT_START_NOT_FIRST || c == TF_MAZE_PLAN_EXTRACTION_ERROR))
                continue;
            CHECKF(seen[dl][c], "no %s case expects %s",
                   dl == TF_MAZE_BEYOND ? "beyond" : "searchformer",
                   tf_maze_code_name((tf_maze_code)c));
        }
    }
    return tf_test_done();
}
