/* test_serve_arith.c: the arith side of tracefarm serve, as functions.
 *
 *   test_serve_arith               the corpus loader (every refusal names
 *                                  its line), finding the question in a
 *                                  prompt, the model on hand-made
 *                                  references (exact texts of each style
 *                                  and injection), determinism;
 *   test_serve_arith PATH.jsonl    every problem of the GSM8K test split
 *                                  in every style with every injection:
 *                                  rescanned (tf_arith_scan_text,
 *                                  tf_arith_find_answer), each answer has
 *                                  exactly what its mode promises; exit 77
 *                                  when the file is missing.
 *
 * "Wrong steps" are counted here as written steps: an annotation and the
 * equation of the prose that shows its result ("9 = <<16-3-4=9>>9", linked
 * by the scan) are one step. */
#include "tf_test.h"
#include "tracefarm/arith.h"
#include "tracefarm/serve.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ----- helpers ------------------------------------------------------------ */

typedef struct look {
    long steps, unparsed, wrong; /* wrong: written steps */
    size_t wrong_off, wrong_end; /* the span of the first wrong step */
    bool found;
    tf_arith_method method;
    mpq_t value; /* the final answer when found */
} look;

static void look_text(const char *t, size_t n, look *v)
{
    memset(v, 0, sizeof *v);
    mpq_init(v->value);
    tf_arith_scan *sc = NULL;
    if (tf_arith_scan_text(t, n, NULL, &sc, NULL) != TF_OK) {
        v->steps = -1;
        return;
    }
    bool first = true;
    for (size_t i = 0; i < tf_arith_scan_count(sc); i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        v->steps++;
        v->unparsed += st->verdict == TF_ARITH_UNPARSED;
        if (st->verdict != TF_ARITH_WRONG)
            continue;
        if (first) {
            v->wrong_off = st->off;
            v->wrong_end = st->off + st->len;
            first = false;
        }
        if (!(st->kind == TF_ARITH_INLINE && st->link >= 0 &&
              tf_arith_scan_step(sc, (size_t)st->link)->verdict == TF_ARITH_WRONG))
            v->wrong++;
    }
    tf_arith_scan_free(sc);
    tf_arith_answer a;
    tf_arith_answer_init(&a);
    if (tf_arith_find_answer(t, n, NULL, &a) == TF_OK && a.status == TF_ARITH_ANSWER_FOUND) {
        v->found = true;
        v->method = a.method;
        mpq_set(v->value, a.value);
    }
    tf_arith_answer_clear(&a);
}

static void look_clear(look *v)
{
    mpq_clear(v->value);
}

static tf_serve_arith_opts aopts(int style, double carry, double fix, double final)
{
    tf_serve_arith_opts o = {style, carry, fix, final};
    return o;
}

/* The answer to ref for one sample; NULL on error. Caller frees. */
static char *answer(tf_serve_arith_opts o, const char *ref, uint64_t seed,
                    tf_serve_arith_info *info)
{
    tf_buf b;
    tf_buf_init(&b, (size_t)1 << 22);
    if (tf_serve_arith_answer(&o, ref, strlen(ref), seed, &b, info) != TF_OK) {
        tf_buf_free(&b);
        return NULL;
    }
    return b.data ? tf_buf_steal(&b) : strdup("");
}

static const char *tmp_file(const char *name, const char *text)
{
    static char path[16][1024];
    static int k;
    char *p = path[k++ % 16];
    snprintf(p, 1024, "%s/serve-arith-%ld-%s", TF_TEST_TMP, (long)getpid(), name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(text, 1, strlen(text), f);
        fclose(f);
    }
    return p;
}

/* ----- the corpus ----------------------------------------------------------- */

#define R_JANET                                                                                    \
    "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 "    \
    "every day at the farmer's market.\n#### 18"
#define Q_JANET "Janet's ducks lay 16 eggs per day. How much does she make every day?"
#define J_JANET                                                                                    \
    "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\\nShe makes 9 * 2 = "                 \
    "$<<9*2=18>>18 every day at the farmer's market.\\n#### 18"

static void test_load(void)
{
    tf_serve_arith *t = NULL;
    tf_diag d = {{0}};
    const char *ok =
        tmp_file("ok.jsonl", "{\"question\": \"" Q_JANET "\", \"answer\": \"" J_JANET "\"}\n"
                             "\n"
                             "   \n"
                             "{\"question\": \"A robe takes 2 bolts of blue fiber and half that "
                             "much white fiber. How many bolts?\", \"answer\": \"It takes "
                             "2/2=<<2/2=1>>1 bolt\\nSo 2+1=<<2+1=3>>3\\n#### 3\", \"x\": 1}\n"
                             "{\"question\": \"" Q_JANET "\", \"answer\": \"#### 99\"}\n"
                             "{\"question\": \"Short one?\", \"answer\": \"#### -3\"}");
    CHECK(tf_serve_arith_load(ok, NULL, NULL, &t, &d) == TF_OK);
    CHECKF(tf_serve_arith_count(t) == 3 && tf_serve_arith_duplicates(t) == 1, "%zu %zu",
           tf_serve_arith_count(t), tf_serve_arith_duplicates(t));
    size_t n = 0;
    long i = tf_serve_arith_match(t, Q_JANET, strlen(Q_JANET));
    CHECK(i == 0 && !strcmp(tf_serve_arith_reference(t, 0, &n), R_JANET) && n == strlen(R_JANET));
    CHECK(!strcmp(tf_serve_arith_question(t, 0, &n), Q_JANET)); /* the first wins */
    tf_serve_arith_free(t);

    /* other field names */
    const char *named = tmp_file("named.jsonl", "{\"problem\": \"What is 2+2?\", \"solution\": "
                                                "\"2+2=<<2+2=4>>4\\n#### 4\"}\n");
    CHECK(tf_serve_arith_load(named, "problem", "solution", &t, &d) == TF_OK &&
          tf_serve_arith_count(t) == 1);
    tf_serve_arith_free(t);
    CHECK(tf_serve_arith_load(named, NULL, NULL, &t, &d) == TF_ERR_PARSE && !t);
    CHECKF(strstr(d.msg, "named.jsonl:1: no field \"question\""), "%s", d.msg);

    /* every refusal names the file and the line */
    static const struct {
        const char *text, *msg;
        tf_err e;
    } bad[] = {
        {"{\"question\": \"q\", \"answer\": \"#### 1\"}\n{not json\n", ":2: not valid JSON",
         TF_ERR_PARSE},
        {"[1, 2]\n", ":1: not a JSON object", TF_ERR_PARSE},
        {"{\"question\": \"q\", \"answer\": \"#### 1\"} x\n", ":1: text after the JSON value",
         TF_ERR_PARSE},
        {"{\"question\": 5, \"answer\": \"#### 1\"}\n", ":1: field \"question\" is not a string",
         TF_ERR_PARSE},
        {"{\"question\": \"\", \"answer\": \"#### 1\"}\n", ":1: field \"question\" is empty",
         TF_ERR_PARSE},
        {"{\"question\": \"q\"}\n", ":1: no field \"answer\"", TF_ERR_PARSE},
        {"{\"question\": \"q\", \"answer\": \"It is 5.\"}\n", ":1: field \"answer\" does not end",
         TF_ERR_PARSE},
        {"{\"question\": \"q\", \"answer\": \"#### 5\\nMore text.\"}\n",
         ":1: field \"answer\" does not end", TF_ERR_PARSE},
        {"{\"question\": \"q\", \"answer\": \"#### five\"}\n", ":1: field \"answer\" does not end",
         TF_ERR_PARSE},
        {"{\"question\": \"q\", \"answer\": \"#### 5 or 6\"}\n",
         ":1: field \"answer\" does not end", TF_ERR_PARSE},
        {"{\"question\": \"q\\u0000x\", \"answer\": \"#### 1\"}\n", ":1: a string holds \\u0000",
         TF_ERR_PARSE},
        {"{\"question\": \"q\xff\", \"answer\": \"#### 1\"}\n",
         ":1: field \"question\" is not valid UTF-8", TF_ERR_PARSE},
        {"", ": no record", TF_ERR_PARSE},
        {"\n\n  \n", ": no record", TF_ERR_PARSE},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.jsonl", k);
        const char *p = tmp_file(name, bad[k].text);
        memset(&d, 0, sizeof d);
        tf_err e = tf_serve_arith_load(p, NULL, NULL, &t, &d);
        CHECKF(e == bad[k].e && !t && strstr(d.msg, name) && strstr(d.msg, bad[k].msg),
               "case %zu: %d %s", k, (int)e, d.msg);
        tf_serve_arith_free(t);
    }
    /* a NUL byte in a line, and a line over the cap */
    const char *nul = tmp_file("nul.jsonl", "");
    FILE *f = fopen(nul, "wb");
    fwrite("{\"question\": \"q\"\0, \"answer\": \"#### 1\"}\n", 1, 39, f);
    fclose(f);
    CHECK(tf_serve_arith_load(nul, NULL, NULL, &t, &d) == TF_ERR_PARSE &&
          strstr(d.msg, ":1: a NUL byte"));
    const char *big = tmp_file("big.jsonl", "");
    f = fopen(big, "wb");
    fputs("{\"question\": \"q\", \"answer\": \"#### 1\"}\n{\"question\": \"", f);
    for (int k = 0; k < (1 << 20) / 64 + 1; k++)
        fputs("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", f);
    fputs("\", \"answer\": \"#### 1\"}\n", f);
    fclose(f);
    CHECK(tf_serve_arith_load(big, NULL, NULL, &t, &d) == TF_ERR_TOO_BIG &&
          strstr(d.msg, ":2: longer than"));
    /* a question over 64 KiB in a line under the cap */
    f = fopen(big, "wb");
    fputs("{\"question\": \"", f);
    for (int k = 0; k < (64 << 10) / 64 + 1; k++)
        fputs("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", f);
    fputs("\", \"answer\": \"#### 1\"}\n", f);
    fclose(f);
    CHECK(tf_serve_arith_load(big, NULL, NULL, &t, &d) == TF_ERR_TOO_BIG &&
          strstr(d.msg, ":1: field \"question\" is longer than"));
    unlink(big);
    CHECK(tf_serve_arith_load(big, NULL, NULL, &t, &d) == TF_ERR_IO && strstr(d.msg, big));
}

/* ----- finding the question --------------------------------------------------- */

static void add(tf_serve_arith *t, const char *q, const char *ref)
{
    char line[4096];
    snprintf(line, sizeof line, "{\"question\": \"%s\", \"answer\": \"%s\"}", q, ref);
    tf_diag d = {{0}};
    CHECKF(tf_serve_arith_add_line(t, line, strlen(line), &d) == TF_OK, "%s", d.msg);
}

static long match(const tf_serve_arith *t, const char *p)
{
    return tf_serve_arith_match(t, p, strlen(p));
}

static void test_match(void)
{
    tf_serve_arith *t = NULL;
    CHECK(tf_serve_arith_create(NULL, NULL, &t) == TF_OK);
    const char *qa = "Tom has 3 apples and buys 4 more. How many apples does he have?";
    const char *qb = "Tom has 3 apples and buys 4 more. How many apples does he have? Then he "
                     "eats one.";
    const char *qc = "Mia reads 10 pages a day for a week. How many pages?";
    const char *qs = "What is 2+2?"; /* shorter than the window: exact match only */
    add(t, qa, "3+4=<<3+4=7>>7\\n#### 7");
    add(t, qb, "3+4-1=<<3+4-1=6>>6\\n#### 6");
    add(t, qc, "10*7=<<10*7=70>>70\\n#### 70");
    add(t, qs, "#### 4");
    CHECK(tf_serve_arith_count(t) == 4);
    CHECK(match(t, qa) == 0 && match(t, qb) == 1 && match(t, qc) == 2 && match(t, qs) == 3);
    CHECK(match(t, "  What is 2+2?\n") == 3); /* surrounding whitespace */
    CHECK(match(t, "Question: What is 2+2?") == -1);
    char p[1024];
    /* templates around it */
    snprintf(p, sizeof p, "Solve step by step.\nQuestion: %s\nAnswer:", qc);
    CHECK(match(t, p) == 2);
    snprintf(p, sizeof p, "%s Put the answer after ####.", qa);
    CHECK(match(t, p) == 0);
    /* qa is a prefix of qb: at the same start the longest wins */
    snprintf(p, sizeof p, "Q: %s\nA:", qb);
    CHECK(match(t, p) == 1);
    /* few-shot: the question asked comes last */
    snprintf(p, sizeof p, "Q: %s\nA: 70\n\nQ: %s\nA:", qc, qa);
    CHECK(match(t, p) == 0);
    snprintf(p, sizeof p, "Q: %s\nA: 7\n\nQ: %s\nA:", qa, qc);
    CHECK(match(t, p) == 2);
    /* not there: a change of one byte, a cut question, nothing */
    snprintf(p, sizeof p, "Q: %s", qc);
    p[10] = 'X';
    CHECK(match(t, p) == -1);
    CHECK(match(t, "Mia reads 10 pages a day for a week. How many") == -1);
    CHECK(match(t, "") == -1 && match(t, "start 0 0 goal 1 1") == -1);
    CHECK(tf_serve_arith_match(NULL, qa, strlen(qa)) == -1);
    /* bytes of any kind, NUL included */
    char bin[600];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(i * 37);
    CHECK(tf_serve_arith_match(t, bin, sizeof bin) == -1);
    memcpy(bin + 300, qc, strlen(qc));
    CHECK(tf_serve_arith_match(t, bin, sizeof bin) == 2);
    tf_serve_arith_free(t);

    /* hostile: questions sharing a long prefix and a prompt that repeats
     * it; the search gives up within its budget (it returns) */
    CHECK(tf_serve_arith_create(NULL, NULL, &t) == TF_OK);
    char q[200];
    for (int k = 0; k < 20; k++) {
        memset(q, 'a', 150);
        snprintf(q + 150, sizeof q - 150, "b%d", k);
        add(t, q, "#### 1");
    }
    size_t big = (size_t)4 << 20;
    char *hostile = malloc(big + 200);
    memset(hostile, 'a', big);
    CHECK(tf_serve_arith_match(t, hostile, big) == -1);
    memcpy(hostile + big, q, strlen(q)); /* the last question, at the end */
    CHECK(tf_serve_arith_match(t, hostile, big + strlen(q)) == 19);
    free(hostile);
    tf_serve_arith_free(t);
}

/* ----- the model on hand-made references ------------------------------------- */

static void expect_text(tf_serve_arith_opts o, const char *ref, uint64_t seed,
                        tf_serve_arith_mode mode, const char *want)
{
    tf_serve_arith_info info;
    char *got = answer(o, ref, seed, &info);
    CHECKF(got && info.mode == mode && !strcmp(got, want), "mode %d:\n%s\n--- want:\n%s",
           (int)info.mode, got ? got : "(null)", want);
    free(got);
}

/* The value of the first annotation's result in t: "<<...=R>>". */
static long first_result(const char *t)
{
    const char *a = strstr(t, "<<");
    const char *eq = a ? strchr(a, '=') : NULL;
    return eq ? strtol(eq + 1, NULL, 10) : -1;
}

static void test_model(void)
{
    tf_serve_arith_opts clean = aopts(TF_SERVE_ARITH_GSM8K, 0, 0, 0);
    /* correct: the reference itself; the styles */
    expect_text(clean, R_JANET, 1, TF_SERVE_ARITH_CORRECT, R_JANET);
    expect_text(aopts(TF_SERVE_ARITH_PROSE, 0, 0, 0), R_JANET, 1, TF_SERVE_ARITH_CORRECT,
                "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at "
                "the farmer's market.\nThe answer is 18.");
    expect_text(aopts(TF_SERVE_ARITH_BOXED, 0, 0, 0), R_JANET, 1, TF_SERVE_ARITH_CORRECT,
                "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day at "
                "the farmer's market.\nThe final answer is $\\boxed{18}$.");
    /* annotations the prose does not show become prose equations */
    expect_text(aopts(TF_SERVE_ARITH_PROSE, 0, 0, 0),
                "He runs <<9*60=540>>540 meters, him<<2*3=6>>6 times.\n\n#### 3,240\n", 1,
                TF_SERVE_ARITH_CORRECT,
                "He runs 9*60 = 540 meters, him 2*3 = 6 times.\nThe answer is 3,240.");

    /* carried: the first result slips and the second step follows it */
    tf_serve_arith_info info;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        char *t = answer(aopts(TF_SERVE_ARITH_GSM8K, 1, 0, 0), R_JANET, seed, &info);
        long r = t ? first_result(t) : -1;
        CHECK(info.mode == TF_SERVE_ARITH_CARRIED && info.drawn == info.mode && info.step == 0 &&
              r > 0 && r != 9 && r <= 18);
        char want[512];
        snprintf(want, sizeof want,
                 "Janet sells 16 - 3 - 4 = <<16-3-4=%ld>>%ld duck eggs a day.\nShe makes %ld * 2 "
                 "= $<<%ld*2=%ld>>%ld every day at the farmer's market.\n#### %ld",
                 r, r, r, r, 2 * r, 2 * r, 2 * r);
        CHECKF(t && !strcmp(t, want), "%s", t ? t : "(null)");
        CHECK(t && info.answer_at == (size_t)(strstr(t, "####") - t));
        free(t);
        /* fixed: the first result slips, the second step uses 9 */
        t = answer(aopts(TF_SERVE_ARITH_GSM8K, 0, 1, 0), R_JANET, seed, &info);
        r = t ? first_result(t) : -1;
        snprintf(want, sizeof want,
                 "Janet sells 16 - 3 - 4 = <<16-3-4=%ld>>%ld duck eggs a day.\nShe makes 9 * 2 = "
                 "$<<9*2=18>>18 every day at the farmer's market.\n#### 18",
                 r, r);
        CHECKF(t && info.mode == TF_SERVE_ARITH_FIXED && r != 9 && !strcmp(t, want), "%s",
               t ? t : "(null)");
        free(t);
        /* final: the working untouched */
        t = answer(aopts(TF_SERVE_ARITH_PROSE, 0, 0, 1), R_JANET, seed, &info);
        const char *fin = t ? strstr(t, "The answer is ") : NULL;
        long v = fin ? strtol(fin + 14, NULL, 10) : -1;
        CHECKF(t && info.mode == TF_SERVE_ARITH_FINAL && fin && v >= 9 && v <= 27 && v != 18 &&
                   !strncmp(t,
                            "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = "
                            "$18 every day at the farmer's market.\nThe answer is ",
                            (size_t)(fin + 14 - t)),
               "%s", t ? t : "(null)");
        free(t);
    }
    /* a reference without a step: carried and fixed have no place, final has */
    const char *bare = "Let x be the number of cats. Then x = 5.\n#### 5";
    expect_text(aopts(TF_SERVE_ARITH_GSM8K, 1, 0, 0), bare, 3, TF_SERVE_ARITH_CORRECT, bare);
    char *t = answer(aopts(TF_SERVE_ARITH_GSM8K, 0, 1, 0), bare, 3, &info);
    CHECK(t && info.mode == TF_SERVE_ARITH_CORRECT && info.drawn == TF_SERVE_ARITH_FIXED &&
          info.step == -1 && !strcmp(t, bare));
    free(t);
    t = answer(aopts(TF_SERVE_ARITH_GSM8K, 0, 0, 1), "#### -3", 3, &info);
    CHECKF(t && info.mode == TF_SERVE_ARITH_FINAL && !strncmp(t, "#### ", 5) &&
               strcmp(t, "#### -3"),
           "%s", t ? t : "(null)");
    free(t);
    /* a bad reference is an error, the buffer untouched */
    tf_buf b;
    tf_buf_init(&b, 1 << 20);
    CHECK(tf_buf_puts(&b, "keep") == TF_OK);
    tf_serve_arith_opts o = clean;
    CHECK(tf_serve_arith_answer(&o, "no answer line", 14, 1, &b, &info) == TF_ERR_PARSE &&
          !strcmp(b.data, "keep"));
    /* and an answer over the buffer's cap */
    tf_buf small;
    tf_buf_init(&small, 20);
    CHECK(tf_serve_arith_answer(&o, R_JANET, strlen(R_JANET), 1, &small, &info) == TF_ERR_TOO_BIG &&
          small.len == 0);
    tf_buf_free(&small);
    tf_buf_free(&b);

    /* determinism: the same inputs give the same bytes; other seeds give
     * other answers; the style of "mix" does not depend on the rates */
    long differ = 0, styles[TF_SERVE_ARITH_STYLE_COUNT] = {0};
    char *prev = NULL;
    for (uint64_t seed = 0; seed < 60; seed++) {
        tf_serve_arith_info i1, i2, i3;
        char *a = answer(aopts(TF_SERVE_ARITH_MIX, 0.3, 0.3, 0.2), R_JANET, seed, &i1);
        char *a2 = answer(aopts(TF_SERVE_ARITH_MIX, 0.3, 0.3, 0.2), R_JANET, seed, &i2);
        char *a3 = answer(aopts(TF_SERVE_ARITH_MIX, 0, 0, 0), R_JANET, seed, &i3);
        CHECK(a && a2 && !strcmp(a, a2) && i1.mode == i2.mode && i1.style == i3.style);
        styles[i1.style]++;
        differ += prev && a && strcmp(prev, a) != 0;
        free(prev);
        free(a2);
        free(a3);
        prev = a;
    }
    free(prev);
    CHECK(differ > 30 && styles[0] > 5 && styles[1] > 5 && styles[2] > 5);
}

/* ----- every GSM8K problem --------------------------------------------------- */

static const char *const mode_word[] = {"correct", "carried", "fixed", "final"};

/* One problem in one style: the uninjected answer, then each injection at
 * rate 1. placed[m] counts the answers that got mode m. */
static void sweep_one(size_t pi, const char *ref, int style, uint64_t seed, long placed[4],
                      long *ref_wrong)
{
    tf_serve_arith_info bi;
    char *base = answer(aopts(style, 0, 0, 0), ref, seed, &bi);
    if (!base) {
        CHECKF(0, "problem %zu: no answer", pi);
        return;
    }
    tf_arith_reference rr;
    tf_arith_reference_init(&rr);
    CHECK(tf_arith_reference_parse(ref, strlen(ref), NULL, &rr, NULL) == TF_OK &&
          rr.answer.status == TF_ARITH_ANSWER_FOUND);
    look lb;
    look_text(base, strlen(base), &lb);
    CHECKF(bi.mode == TF_SERVE_ARITH_CORRECT && (int)bi.style == style && lb.found &&
               mpq_equal(lb.value, rr.answer.value) && lb.wrong == (bi.reference_wrong ? 1 : 0),
           "problem %zu style %d: base wrong %ld", pi, style, lb.wrong);
    if (style == TF_SERVE_ARITH_GSM8K)
        CHECKF(!strcmp(base, ref), "problem %zu: the gsm8k answer is not the reference", pi);
    *ref_wrong += bi.reference_wrong;
    placed[0]++;
    for (int m = 1; m < 4; m++) {
        tf_serve_arith_info in;
        char *t = answer(aopts(style, m == 1, m == 2, m == 3), ref, seed, &in);
        if (!t) {
            CHECKF(0, "problem %zu: no answer", pi);
            continue;
        }
        CHECK((int)in.drawn == m && in.style == bi.style);
        if ((int)in.mode != m) {
            CHECKF(in.mode == TF_SERVE_ARITH_CORRECT && !strcmp(t, base) && in.step == -1,
                   "problem %zu %s: no place, yet not the correct answer", pi, mode_word[m]);
            free(t);
            continue;
        }
        placed[m]++;
        look l;
        look_text(t, strlen(t), &l);
        bool right = l.found && mpq_equal(l.value, rr.answer.value);
        bool ok = l.steps == lb.steps && l.unparsed == lb.unparsed && l.found &&
                  l.wrong == lb.wrong + (m == 3 ? 0 : 1) && right == (m == 2);
        CHECKF(ok, "problem %zu style %d %s: steps %ld/%ld unparsed %ld/%ld wrong %ld/%ld %s\n%s",
               pi, style, mode_word[m], l.steps, lb.steps, l.unparsed, lb.unparsed, l.wrong,
               lb.wrong, right ? "right" : "wrong answer", t);
        /* the slip is where the first wrong step is: the first byte that
         * differs from the uninjected answer lies in it */
        if (m != 3 && style == TF_SERVE_ARITH_GSM8K && lb.wrong == 0) {
            size_t k = 0;
            while (t[k] && t[k] == base[k])
                k++;
            CHECKF(k >= l.wrong_off && k < l.wrong_end,
                   "problem %zu %s: first change at %zu, "
                   "wrong step at %zu..%zu",
                   pi, mode_word[m], k, l.wrong_off, l.wrong_end);
        }
        /* final: the working is untouched */
        if (m == 3)
            CHECKF(in.answer_at == bi.answer_at && !strncmp(t, base, in.answer_at),
                   "problem %zu: final changed the working", pi);
        /* the answer part alone holds the final answer, in its form */
        look la;
        look_text(t + in.answer_at, strlen(t + in.answer_at), &la);
        static const tf_arith_method form[] = {TF_ARITH_ANS_HASH, TF_ARITH_ANS_ANSWER_IS,
                                               TF_ARITH_ANS_BOXED};
        CHECKF(la.found && la.method == form[in.style] && mpq_equal(la.value, l.value) &&
                   la.steps == 0,
               "problem %zu: the answer part '%s'", pi, t + in.answer_at);
        look_clear(&la);
        look_clear(&l);
        free(t);
    }
    look_clear(&lb);
    tf_arith_reference_clear(&rr);
    free(base);
}

static int sweep(const char *path)
{
    tf_serve_arith *t = NULL;
    tf_diag d = {{0}};
    if (access(path, R_OK) != 0) {
        printf("skipped: %s is missing\n", path);
        return 77;
    }
    CHECKF(tf_serve_arith_load(path, NULL, NULL, &t, &d) == TF_OK, "%s", d.msg);
    if (!t)
        return tf_test_done();
    size_t n = tf_serve_arith_count(t);
    CHECK(n == 1319 && tf_serve_arith_duplicates(t) == 0);
    long placed[3][4] = {{0}}, ref_wrong = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len, qlen;
        const char *ref = tf_serve_arith_reference(t, i, &len);
        const char *q = tf_serve_arith_question(t, i, &qlen);
        CHECK(tf_serve_arith_match(t, q, qlen) == (long)i);
        for (int s = 0; s < TF_SERVE_ARITH_STYLE_COUNT; s++)
            sweep_one(i, ref, s, 1000 + i, placed[s], &ref_wrong);
    }
    for (int s = 0; s < TF_SERVE_ARITH_STYLE_COUNT; s++) {
        printf("%-6s", tf_serve_arith_style_name((tf_serve_arith_style)s));
        for (int m = 1; m < 4; m++)
            printf("  %s %ld/%ld", mode_word[m], placed[s][m], placed[s][0]);
        printf("\n");
        /* floors: carried needs a step the final answer depends on */
        CHECK(placed[s][1] * 100 >= placed[s][0] * 90);
        CHECK(placed[s][2] * 100 >= placed[s][0] * 95);
        CHECK(placed[s][3] == placed[s][0]);
    }
    /* the three slips of the references themselves (docs/arith.md), in
     * every style */
    printf("answers whose reference has a wrong step: %ld\n", ref_wrong);
    CHECK(ref_wrong == 3 * TF_SERVE_ARITH_STYLE_COUNT);

    /* the rates are fractions of answers: one uniform per sample */
    long drawn[4] = {0}, total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *ref = tf_serve_arith_reference(t, i, &len);
        for (uint64_t k = 0; k < 3; k++) {
            tf_serve_arith_info in;
            char *a = answer(aopts(TF_SERVE_ARITH_MIX, 0.2, 0.3, 0.1), ref, i * 3 + k, &in);
            free(a);
            drawn[in.drawn]++;
            total++;
        }
    }
    printf("drawn of %ld: carried %ld fixed %ld final %ld\n", total, drawn[1], drawn[2], drawn[3]);
    CHECK(labs(drawn[1] * 100 - total * 20) < total * 3);
    CHECK(labs(drawn[2] * 100 - total * 30) < total * 3);
    CHECK(labs(drawn[3] * 100 - total * 10) < total * 3);
    tf_serve_arith_free(t);
    return tf_test_done();
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return sweep(argv[1]);
    test_load();
    test_match();
    test_model();
    return tf_test_done();
}
