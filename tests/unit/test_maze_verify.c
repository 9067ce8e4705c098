/* test_maze_verify.c: what the case files do not show well: code names,
 * length handling, scale (millions of operations), the operation cap,
 * every A* variant accepted by the strict verdict, and random bytes.
 */
#include "tracefarm/maze_verify.h"
#include "tf_test.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static unsigned rndn(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* The invariants every verdict must satisfy, whatever the input. */
static void check_verdict(const tf_maze_verdict *v, tf_maze_dialect d, const char *s, size_t len,
                          const char *what)
{
    CHECKF(v->trace_len >= 0 && v->trace_len == tf_maze_count_ops(d, s, len),
           "%s: trace_len %ld vs count_ops %ld", what, v->trace_len, tf_maze_count_ops(d, s, len));
    const tf_maze_check *c[2] = {&v->ref, &v->strict};
    for (int i = 0; i < 2; i++) {
        CHECKF(c[i]->valid == (c[i]->errors == 0) && c[i]->valid == (c[i]->first == TF_MAZE_OK),
               "%s: verdict %d inconsistent", what, i);
        CHECKF(c[i]->valid ? c[i]->first_step == -1
                           : (c[i]->first_step >= 0 && c[i]->first_step <= v->trace_len),
               "%s: verdict %d first_step %ld out of range", what, i, c[i]->first_step);
        CHECKF(tf_maze_code_name(c[i]->first) != NULL && c[i]->first < TF_MAZE_PLAN_SYNTAX_ERROR,
               "%s: verdict %d code %d", what, i, (int)c[i]->first);
        /* the first error in trace order is no later than the first one;
         * they differ only when a syntax error takes precedence */
        CHECKF(c[i]->valid == (c[i]->first_in_order == TF_MAZE_OK) &&
                   c[i]->valid == (c[i]->first_in_order_step == -1) &&
                   c[i]->first_in_order_step <= c[i]->first_step,
               "%s: verdict %d first in order %d at %ld", what, i, (int)c[i]->first_in_order,
               c[i]->first_in_order_step);
        CHECKF(c[i]->first == TF_MAZE_OPERATION_SYNTAX_ERROR ||
                   (c[i]->first_in_order == c[i]->first &&
                    c[i]->first_in_order_step == c[i]->first_step),
               "%s: verdict %d: first in order differs without a syntax error", what, i);
    }
    CHECKF(v->strict.first_in_order == v->strict.first &&
               v->strict.first_in_order_step == v->strict.first_step,
           "%s: strict errors are in order", what);
    CHECKF(v->ref.first < TF_MAZE_STRICT_WRONG_G, "%s: strict code in the reference verdict", what);
    CHECKF(v->plan_valid == (v->plan_error == TF_MAZE_OK), "%s: plan verdict inconsistent", what);
    CHECKF(v->plan_error == TF_MAZE_OK || v->plan_error >= TF_MAZE_PLAN_SYNTAX_ERROR,
           "%s: plan code %d", what, (int)v->plan_error);
    CHECKF(v->plan_len >= 0 && (v->plan_error != TF_MAZE_PLAN_SYNTAX_ERROR || v->plan_len == 0),
           "%s: plan_len %ld", what, v->plan_len);
    CHECKF(!v->plan_optimal || v->plan_valid, "%s: optimal but invalid", what);
}

static tf_maze *parse(const char *prompt, int rows, int cols)
{
    tf_maze *m = NULL;
    tf_err e = tf_maze_parse_prompt(prompt, strlen(prompt), rows, cols, &m, NULL);
    CHECKF(e == TF_OK && m, "prompt \"%s\": %s", prompt, tf_strerror(e));
    return m;
}

static void test_code_names(void)
{
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_OK), "ok") == 0);
    CHECK(tf_maze_code_name(TF_MAZE_CODE_COUNT) == NULL);
    CHECK(tf_maze_code_name((tf_maze_code)-1) == NULL);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_STRICT_WRONG_G), "wrong_g") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_STRICT_CLOSE_ALREADY_CLOSED), "close_already_closed") ==
          0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_STRICT_MISSING_NEIGHBOR), "missing_neighbor") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_STRICT_AFTER_GOAL), "after_goal") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_STRICT_START_NOT_FIRST), "start_not_first") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_PLAN_GOAL_NOT_REACHED), "plan_goal_not_reached") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_OPERATION_SYNTAX_ERROR), "operation_syntax_error") == 0);
    CHECK(strcmp(tf_maze_code_name(TF_MAZE_EXTRACTED_PLAN_INVALID), "extracted_plan_invalid") == 0);
    /* every name present, lower case, and unique */
    for (int i = 0; i < TF_MAZE_CODE_COUNT; i++) {
        const char *a = tf_maze_code_name((tf_maze_code)i);
        CHECKF(a != NULL && a[0] != '\0', "code %d has no name", i);
        if (!a)
            continue;
        for (const char *p = a; *p; p++)
            CHECKF((*p >= 'a' && *p <= 'z') || *p == '_', "name %s", a);
        for (int j = 0; j < i; j++) {
            const char *b = tf_maze_code_name((tf_maze_code)j);
            CHECKF(!b || strcmp(a, b) != 0, "codes %d and %d share the name %s", i, j, a);
        }
    }
}

/* The length argument is honoured: bytes past len are never read, and a
 * NUL byte is an ordinary token byte. */
static void test_lengths(void)
{
    tf_maze *m = parse("start 0 0 goal 1 0", 1, 2);
    if (!m)
        return;
    const char *ok = "create 0 0 c0 c1 close 0 0 c0 c1 create 1 0 c1 c0 close 1 0 c1 c0 "
                     "plan 0 0 plan 1 0";
    tf_maze_verdict v;
    CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, ok, strlen(ok), &v) == TF_OK);
    CHECK(v.ref.valid && v.strict.valid && v.plan_valid && v.plan_optimal && v.trace_len == 4);
    CHECK(v.plan_len == 2 && v.optimal_plan_len == 2);

    /* cut inside the last plan's y: "plan 1" is garbled, a syntax error of
     * the reference verdict after the last operation; strict leaves it to
     * the plan verdict */
    CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, ok, strlen(ok) - 2, &v) == TF_OK);
    CHECK(v.ref.first == TF_MAZE_OPERATION_SYNTAX_ERROR && v.ref.first_step == 4 &&
          v.ref.errors == 1 && v.strict.valid);
    CHECK(v.plan_error == TF_MAZE_PLAN_SYNTAX_ERROR && v.plan_len == 0);

    /* a NUL inside a token garbles it */
    char buf[128];
    size_t n = strlen(ok);
    memcpy(buf, ok, n);
    buf[15] = '\0'; /* "c1" -> "c\0" */
    CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, buf, n, &v) == TF_OK);
    CHECK(!v.ref.valid && v.ref.first == TF_MAZE_OPERATION_SYNTAX_ERROR && v.ref.first_step == 0);
    CHECK(v.trace_len == 4 && tf_maze_count_ops(TF_MAZE_SEARCHFORMER, buf, n) == 4);

    /* NULL output with length 0 is the empty output */
    CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, NULL, 0, &v) == TF_OK);
    CHECK(v.trace_len == 0 && v.ref.first == TF_MAZE_GOAL_NOT_REACHED && v.ref.errors == 1);
    CHECK(tf_maze_count_ops(TF_MAZE_BEYOND, NULL, 0) == 0);

    /* start == goal: the empty search closes the start, plan of one cell */
    tf_maze *one = parse("start 0 0 goal 0 0", 1, 1);
    if (one) {
        const char *s = "create 0 0 c0 c0 close 0 0 c0 c0 plan 0 0";
        CHECK(tf_maze_verify(one, TF_MAZE_SEARCHFORMER, s, strlen(s), &v) == TF_OK);
        CHECK(v.ref.valid && v.strict.valid && v.plan_optimal && v.plan_len == 1);
        const char *b = "reasoning close 0 0 c0 c0 solution plan 0 0 end";
        CHECK(tf_maze_verify(one, TF_MAZE_BEYOND, b, strlen(b), &v) == TF_OK);
        CHECK(v.ref.valid && v.strict.valid && v.plan_optimal && v.trace_len == 1);
        tf_maze_free(one);
    }

    /* bad arguments are errors, not crashes */
    CHECK(tf_maze_verify(NULL, TF_MAZE_SEARCHFORMER, ok, strlen(ok), &v) != TF_OK);
    CHECK(tf_maze_verify(m, (tf_maze_dialect)7, ok, strlen(ok), &v) != TF_OK);
    tf_maze_free(m);
}

/* Every variant of a correct A* passes the strict verdict, in both
 * dialects, on random mazes. */
static void test_astar_variants(void)
{
    static const int orders[4][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}};
    int runs = 0;
    for (int t = 0; t < 150; t++) {
        int rows = 3 + (int)rndn(8), cols = 3 + (int)rndn(8);
        tf_maze *m = NULL;
        if (tf_maze_create(rows, cols, &m) != TF_OK)
            continue;
        unsigned density = rndn(45);
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++)
                if (rndn(100) < density)
                    tf_maze_set_wall(m, x, y, true);
        int sx = (int)rndn((unsigned)cols), sy = (int)rndn((unsigned)rows);
        int gx = (int)rndn((unsigned)cols), gy = (int)rndn((unsigned)rows);
        tf_maze_set_wall(m, sx, sy, false);
        tf_maze_set_wall(m, gx, gy, false);
        tf_maze_set_start(m, sx, sy);
        tf_maze_set_goal(m, gx, gy);
        for (int oi = 0; oi < 4; oi++) {
            for (int tie = 0; tie < 4; tie++) {
                for (int always = 0; always < 2; always++) {
                    tf_astar_opts o;
                    memcpy(o.order, orders[oi], sizeof o.order);
                    o.tie = (tf_astar_tie)tie;
                    o.create_always = always;
                    for (int d = 0; d < 2; d++) {
                        tf_buf b;
                        tf_buf_init(&b, 1 << 24);
                        long ops = 0, plen = 0;
                        tf_err e = tf_maze_astar(m, &o, (tf_maze_dialect)d, &b, &ops, &plen);
                        if (e == TF_OK) {
                            tf_maze_verdict v;
                            CHECK(tf_maze_verify(m, (tf_maze_dialect)d, b.data, b.len, &v) ==
                                  TF_OK);
                            CHECKF(v.strict.valid && v.plan_optimal && v.trace_len == ops,
                                   "maze %d order %d tie %d always %d dialect %d: strict %s at %ld "
                                   "(%ld errors): %s",
                                   t, oi, tie, always, d, tf_maze_code_name(v.strict.first),
                                   v.strict.first_step, v.strict.errors, b.data);
                            check_verdict(&v, (tf_maze_dialect)d, b.data, b.len, "astar");
                            runs++;
                        }
                        tf_buf_free(&b);
                    }
                }
            }
        }
        tf_maze_free(m);
    }
    CHECKF(runs > 1000, "only %d A* runs", runs);
}

/* A 1000 x 1000 open grid searched with highest-h ties closes nearly every
 * cell (all share f = 1998): about two million operations. */
static void test_scale(void)
{
    tf_maze *m = NULL;
    CHECK(tf_maze_create(1000, 1000, &m) == TF_OK);
    if (!m)
        return;
    tf_astar_opts o = tf_astar_default();
    o.tie = TF_ASTAR_TIE_HIGH_H;
    for (int d = 0; d < 1; d++) { /* one dialect: the A* text alone takes a second */
        tf_buf b;
        tf_buf_init(&b, (size_t)1 << 30);
        long ops = 0, plen = 0;
        CHECK(tf_maze_astar(m, &o, (tf_maze_dialect)d, &b, &ops, &plen) == TF_OK);
        CHECKF(ops >= 1000000, "only %ld operations", ops);
        tf_maze_verdict v;
        CHECK(tf_maze_verify(m, (tf_maze_dialect)d, b.data, b.len, &v) == TF_OK);
        CHECKF(v.ref.valid && v.strict.valid && v.plan_optimal && v.trace_len == ops &&
                   v.plan_len == 1999,
               "scale dialect %d: ref %s strict %s len %ld", d, tf_maze_code_name(v.ref.first),
               tf_maze_code_name(v.strict.first), v.trace_len);
        tf_buf_free(&b);
    }

    /* Many stale duplicates: every cell of the first row is created from
     * the start region again and again would need a special maze; instead
     * the trace repeats one create a million times, so the reference's
     * open list holds a million copies of one entry and the heap must
     * still answer in O(log n). */
    tf_buf b;
    tf_buf_init(&b, (size_t)1 << 30);
    tf_err e = tf_buf_puts(&b, "close 0 0 c0 c1998 ");
    for (long i = 0; e == TF_OK && i < 1000000; i++)
        e = tf_buf_puts(&b, "create 1 0 c1 c1997 ");
    for (long i = 0; e == TF_OK && i < 1000; i++)
        e = tf_buf_puts(&b, "close 1 0 c1 c1997 ");
    CHECK(e == TF_OK);
    tf_maze_verdict v;
    CHECK(tf_maze_verify(m, TF_MAZE_BEYOND, b.data, b.len, &v) == TF_OK);
    CHECK(v.trace_len == 1001001);
    /* reference: the first close of (1,0) succeeds; the other 999 close a
     * live copy with the lowest f: also fine. Then goal not reached. */
    CHECK(v.ref.errors == 1 && v.ref.first == TF_MAZE_GOAL_NOT_REACHED);
    /* strict: the expansion of (0,0) misses (0,1) at op 1000001; at the
     * next close that of (1,0) misses (2,0) and (1,1); the 999 closes of
     * a closed cell; goal not reached. */
    CHECK(v.strict.first == TF_MAZE_STRICT_MISSING_NEIGHBOR && v.strict.first_step == 1000001);
    CHECK(v.strict.errors == 1 + 2 + 999 + 1);
    tf_buf_free(&b);
    tf_maze_free(m);
}

/* More than TF_MAZE_MAX_OPS operations is TF_ERR_TOO_BIG; the cheapest
 * such text is a run of bare "close" keywords (each a garbled op). */
static void test_cap(void)
{
    tf_maze *m = NULL;
    CHECK(tf_maze_create(2, 2, &m) == TF_OK);
    if (!m)
        return;
    size_t n = (size_t)TF_MAZE_MAX_OPS + 1;
    char *s = malloc(n * 6);
    CHECK(s != NULL);
    if (s) {
        for (size_t i = 0; i < n; i++)
            memcpy(s + i * 6, "close\n", 6);
        tf_maze_verdict v;
        CHECK(tf_maze_count_ops(TF_MAZE_SEARCHFORMER, s, n * 6) == (long)n);
        CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, s, n * 6, &v) == TF_ERR_TOO_BIG);
        CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, s, (n - 1) * 6, &v) == TF_OK);
        CHECK(v.trace_len == TF_MAZE_MAX_OPS && v.ref.first == TF_MAZE_OPERATION_SYNTAX_ERROR);
        CHECK(v.ref.errors == TF_MAZE_MAX_OPS + 1); /* + goal_not_reached */
        free(s);
    }
    tf_maze_free(m);
}

static const char *const vocab[] = {
    "create",      "close",       "plan",        "bos",
    "eos",         "solution",    "end",         "reasoning",
    "query",       "0",           "1",           "2",
    "3",           "-1",          "c0",          "c1",
    "c2",          "c3",          "c4",          "c-1",
    "c+1",         "c",           "2147483647",  "2147483648",
    "-2147483648", "c2147483647", "c4294967296", "99999999999999999999",
    "x",           "\xff\xfe",    "0x1",         "007",
    "c007",        "create0",     "+2"};

static size_t random_input(char *buf, size_t cap)
{
    size_t n = 0;
    switch (rndn(3)) {
    case 0: /* raw bytes, NULs and high bytes included */
        n = rndn((unsigned)cap);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)rndn(256);
        break;
    case 1: /* token soup, biased to the trace language */
    default:
        while (n + 40 < cap && rndn(200) != 0) {
            const char *w = vocab[rndn(sizeof vocab / sizeof vocab[0])];
            size_t l = strlen(w);
            memcpy(buf + n, w, l);
            n += l;
            buf[n++] = " \t\n\r\v\f"[rndn(6)];
        }
        break;
    case 2: { /* near-valid: random operations on a 4x4 grid */
        while (n + 40 < cap && rndn(100) != 0) {
            static const char *const kw[] = {"create", "close", "plan"};
            int k = (int)rndn(3);
            int w = k == 2 ? snprintf(buf + n, cap - n, "plan %u %u ", rndn(5), rndn(5))
                           : snprintf(buf + n, cap - n, "%s %u %u c%u c%u ", kw[k], rndn(5),
                                      rndn(5), rndn(8), rndn(8));
            if (w < 0)
                break;
            n += (size_t)w;
        }
        break;
    }
    }
    return n;
}

static void test_random_bytes(void)
{
    tf_maze *m = parse("start 0 0 goal 3 3 wall 1 1 wall 2 2", 4, 4);
    if (!m)
        return;
    static char buf[4096];
    for (int i = 0; i < 2400; i++) {
        size_t n = random_input(buf, sizeof buf);
        for (int d = 0; d < 2; d++) {
            tf_maze_verdict v;
            tf_err e = tf_maze_verify(m, (tf_maze_dialect)d, buf, n, &v);
            CHECKF(e == TF_OK, "random input %d: %s", i, tf_strerror(e));
            if (e == TF_OK)
                check_verdict(&v, (tf_maze_dialect)d, buf, n, "random");
        }
    }
    tf_maze_free(m);
}

/* The hand-built cases of tests/data/maze (test_cases runs them through
 * the domain and checks their expectations): here each one's verdict must
 * satisfy the invariants, and every code a dialect can produce must be the
 * expected first error of at least one case of that dialect. */
static void test_case_coverage(void)
{
    bool seen[2][TF_MAZE_CODE_COUNT] = {{false}};
    const char *dir = TF_TEST_DATA "/maze";
    DIR *dp = opendir(dir);
    CHECKF(dp != NULL, "cannot open %s", dir);
    struct dirent *de;
    int n = 0;
    while (dp && (de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        static char buf[1 << 20];
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[len] = '\0';
        cJSON *c = cJSON_Parse(buf);
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "expect");
        const cJSON *job = cJSON_GetObjectItemCaseSensitive(c, "job");
        if (cJSON_GetObjectItemCaseSensitive(x, "error_kind") ||
            cJSON_GetObjectItemCaseSensitive(job, "fields")) {
            /* a refused record has no verdict to check; one read through
             * the job's fields (messages, a reasoning field) is the record
             * module's case, which test_cases runs */
            cJSON_Delete(c);
            continue;
        }
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(x, "dialect");
        /* the grid size: the record's own, else the case job's "maze" section */
        const cJSON *jm = cJSON_GetObjectItemCaseSensitive(job, "maze");
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(c, "rows");
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(c, "cols");
        if (!rows)
            rows = cJSON_GetObjectItemCaseSensitive(jm, "rows");
        if (!cols)
            cols = cJSON_GetObjectItemCaseSensitive(jm, "cols");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
        const cJSON *prompt = text ? text : cJSON_GetObjectItemCaseSensitive(c, "prompt");
        const cJSON *out = text ? text : cJSON_GetObjectItemCaseSensitive(c, "output");
        CHECKF(cJSON_IsString(dl) && cJSON_IsNumber(rows) && cJSON_IsNumber(cols) &&
                   cJSON_IsString(prompt) && cJSON_IsString(out),
               "%s: needs expect.dialect, rows and cols (of the record or the job) and "
               "prompt+output or text, or expect.error_kind",
               de->d_name);
        if (cJSON_IsString(dl) && cJSON_IsNumber(rows) && cJSON_IsNumber(cols) &&
            cJSON_IsString(prompt) && cJSON_IsString(out)) {
            tf_maze_dialect d =
                strcmp(dl->valuestring, "beyond") == 0 ? TF_MAZE_BEYOND : TF_MAZE_SEARCHFORMER;
            CHECKF(strncmp(de->d_name, dl->valuestring, strlen(dl->valuestring)) == 0,
                   "%s: the file name starts with its dialect", de->d_name);
            tf_maze *m = parse(prompt->valuestring, rows->valueint, cols->valueint);
            tf_maze_verdict v;
            if (m && tf_maze_verify(m, d, out->valuestring, strlen(out->valuestring), &v) == TF_OK)
                check_verdict(&v, d, out->valuestring, strlen(out->valuestring), de->d_name);
            tf_maze_free(m);
            static const char *const keys[] = {"first_error", "strict_first_error", "plan_error"};
            for (int k = 0; k < 3; k++) {
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(x, keys[k]);
                for (int code = 0; cJSON_IsString(e) && code < TF_MAZE_CODE_COUNT; code++)
                    if (strcmp(e->valuestring, tf_maze_code_name((tf_maze_code)code)) == 0)
                        seen[d][code] = true;
            }
            n++;
        }
        cJSON_Delete(c);
    }
    if (dp)
        closedir(dp);
    CHECKF(n >= 40, "only %d maze cases", n);
    for (int dl = 0; dl < 2; dl++)
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

int main(void)
{
    test_case_coverage();
    test_code_names();
    test_lengths();
    test_astar_variants();
    test_scale();
    test_cap();
    test_random_bytes();
    return tf_test_done();
}
