/* test_arith.c: the arith module (arith.h), table by table: expressions
 * (each number form and operator, each error kind), the steps of a text
 * (kinds, verdicts, links, the rounding rule, the context rules), final
 * answers (each form and the order between them), reference solutions,
 * formatting, and hostile input (a 1 MB number, 10,000 nested brackets,
 * 10^400, towers of powers, NUL bytes, invalid UTF-8, a long text with
 * many steps in linear time, the caps). */
#include "tf_test.h"
#include "tracefarm/arith.h"
#include "tracefarm/text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* v formatted (static buffer) */
static const char *fmt(const mpq_t v)
{
    static char out[256];
    tf_buf b;
    tf_buf_init(&b, sizeof out - 1);
    if (tf_arith_format(v, &b) == TF_OK)
        snprintf(out, sizeof out, "%s", b.data ? b.data : "");
    else
        snprintf(out, sizeof out, "(too long)");
    tf_buf_free(&b);
    return out;
}

/* ----- expressions --------------------------------------------------------- */

typedef struct ecase {
    const char *in;
    const char *want; /* formatted value; NULL: an error */
    const char *reason;
} ecase;

static const ecase EVAL[] = {
    /* number forms */
    {"42", "42", NULL},
    {"3.25", "3.25", NULL},
    {".5", "0.5", NULL},
    {"1,200", "1200", NULL},
    {"1,234,567.5", "1234567.5", NULL},
    {"1,20", NULL, "bad_number"},
    {"12,34,567", NULL, "bad_number"},
    {"1.200,50", NULL, "bad_number"},
    {"3, 4", NULL, "syntax"},
    {"$18", "18", NULL},
    {"\\$18", "18", NULL},
    {"\xE2\x82\xAC"
     "5 + \xC2\xA3"
     "3",
     "8", NULL},
    {"18 dollars", "18", NULL},
    {"$700/week", "700", NULL},
    {"12.5%", "0.125", NULL},
    {"12.5\\%", "0.125", NULL},
    {"12.5% of 80", "10", NULL},
    {"50 percent of 30", "15", NULL},
    {"3/4 of 12", "9", NULL},
    {"\xC2\xBD", "0.5", NULL},
    {"2\xC2\xBD * 2", "5", NULL},
    {"3 1/2 * 2", "7", NULL},
    {"2\\frac{1}{2}", "2.5", NULL},
    {"2\\frac{3}{2}", NULL, "ambiguous"},
    {"0.1 + 0.2", "0.3", NULL},
    {"1/3", "1/3", NULL},
    /* operators */
    {"16 - 3 - 4", "9", NULL},
    {"7 \xE2\x88\x92 2", "5", NULL},
    {"2 * 9", "18", NULL},
    {"2 x 9", "18", NULL},
    {"2 X 9", "18", NULL},
    {"2x9", "18", NULL},
    {"2 \xC3\x97 9", "18", NULL},
    {"2 \xC2\xB7 9", "18", NULL},
    {"2 \\cdot 9", "18", NULL},
    {"2 \\times 9", "18", NULL},
    {"18 / 4", "4.5", NULL},
    {"18 \xC3\xB7 4", "4.5", NULL},
    {"18 \\div 4", "4.5", NULL},
    {"2^10", "1024", NULL},
    {"2^-2", "0.25", NULL},
    {"2^3^2", "512", NULL},
    {"-2^2", "-4", NULL},
    {"5\xC2\xB2", "25", NULL},
    {"2 + 3 * 4", "14", NULL},
    {"(2 + 3) * 4", "20", NULL},
    {"[2 + 3] * 4", "20", NULL},
    {"{2 + 3} * 4", "20", NULL},
    {"2(3 + 4)", "14", NULL},
    {"\\left(2 + 3\\right) \\cdot 4", "20", NULL},
    {"-(-3)", "3", NULL},
    {"--3", "3", NULL},
    {"\\frac{3}{4} \\cdot 12", "9", NULL},
    {"\\dfrac{3}{4}", "0.75", NULL},
    {"\\tfrac{1}{8}", "0.125", NULL},
    {"\\frac{1+2}{3*4}", "0.25", NULL},
    {"50% + 10%", "0.6", NULL},
    {"10 - 2 - 3", "5", NULL},
    {"100 / 10 / 2", "5", NULL},
    /* errors */
    {"", NULL, "syntax"},
    {"3 +", NULL, "syntax"},
    {"3 + * 4", NULL, "syntax"},
    {"(3 + 4", NULL, "syntax"},
    {"(3 + 4]", NULL, "syntax"},
    {"3 + 4)", NULL, "syntax"},
    {"3 + 4 = 7", NULL, "syntax"},
    {"x + 1", NULL, "variable"},
    {"3x + 1", NULL, "variable"},
    {"2 * n", NULL, "variable"},
    {"6/2(1+2)", NULL, "ambiguous"},
    {"12 / 3/4", NULL, "ambiguous"},
    {"2 + 10%", NULL, "ambiguous"},
    {"1/0", NULL, "undefined"},
    {"\\frac{1}{0}", NULL, "undefined"},
    {"0^0", NULL, "undefined"},
    {"0^-1", NULL, "undefined"},
    {"(1/0) * 0", NULL, "undefined"},
    {"4^0.5", NULL, "exponent"},
    {"3^3000", NULL, "result_too_large"},
    {"2^2^2^2^2", NULL, "exponent"},
    {"10^(10^9)", NULL, "exponent"},
    {"\\sqrt{16}", NULL, "syntax"},
    {"3 + four", NULL, "syntax"},
};

static void test_eval(void)
{
    mpq_t v;
    mpq_init(v);
    for (size_t i = 0; i < sizeof EVAL / sizeof *EVAL; i++) {
        const ecase *c = &EVAL[i];
        tf_arith_reason r = TF_ARITH_R_COUNT;
        tf_diag d = {{0}};
        tf_err err = tf_arith_eval(c->in, strlen(c->in), NULL, v, &r, &d);
        if (c->want) {
            CHECKF(err == TF_OK && strcmp(fmt(v), c->want) == 0,
                   "eval \"%s\": want %s, got %s (%s)", c->in, c->want,
                   err == TF_OK ? fmt(v) : tf_strerror(err), d.msg);
        } else {
            CHECKF(err != TF_OK && strcmp(tf_arith_reason_name(r), c->reason) == 0 && d.msg[0],
                   "eval \"%s\": want %s, got %s (%s)", c->in, c->reason,
                   err == TF_OK ? fmt(v) : tf_arith_reason_name(r), d.msg);
        }
    }
    /* 10^400 is fine; its value is exact */
    CHECK(tf_arith_eval("10^400", 6, NULL, v, NULL, NULL) == TF_OK);
    CHECK(mpz_sizeinbase(mpq_numref(v), 10) == 401);
    /* error codes: caps are TF_ERR_TOO_BIG, the rest TF_ERR_PARSE */
    CHECK(tf_arith_eval("3^3000", 6, NULL, v, NULL, NULL) == TF_ERR_TOO_BIG);
    CHECK(tf_arith_eval("1/0", 3, NULL, v, NULL, NULL) == TF_ERR_PARSE);
    /* options: a lower bit cap, a lower digit cap */
    tf_arith_opts o = {0};
    o.max_bits = 64;
    CHECK(tf_arith_eval("2^63", 4, &o, v, NULL, NULL) == TF_OK);
    CHECK(tf_arith_eval("2^64", 4, &o, v, NULL, NULL) == TF_ERR_TOO_BIG);
    o.max_bits = 0;
    o.max_digits = 3;
    CHECK(tf_arith_eval("999", 3, &o, v, NULL, NULL) == TF_OK);
    CHECK(tf_arith_eval("1,000", 5, &o, v, NULL, NULL) == TF_ERR_TOO_BIG);
    /* the text need not be NUL-terminated, and may hold NUL bytes */
    CHECK(tf_arith_eval("12+3garbage", 4, NULL, v, NULL, NULL) == TF_OK &&
          strcmp(fmt(v), "12+3") != 0 && mpq_cmp_ui(v, 15, 1) == 0);
    CHECK(tf_arith_eval("1\0+2", 4, NULL, v, NULL, NULL) == TF_ERR_PARSE);
    CHECK(tf_arith_eval(NULL, 0, NULL, v, NULL, NULL) == TF_ERR_PARSE);
    mpq_clear(v);
}

static void test_format(void)
{
    const char *in[] = {"0", "-18", "1/8", "-1/3", "1/1024", "123456789/100"};
    const char *want[] = {"0", "-18", "0.125", "-1/3", "0.0009765625", "1234567.89"};
    mpq_t v;
    mpq_init(v);
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        mpq_set_str(v, in[i], 10);
        mpq_canonicalize(v);
        CHECKF(strcmp(fmt(v), want[i]) == 0, "format %s: %s", in[i], fmt(v));
    }
    mpq_set_ui(v, 1, 3);
    mpq_t w;
    mpq_init(w);
    mpq_set_str(w, "333/1000", 10);
    CHECK(!tf_arith_close(v, w, 0) && tf_arith_close(v, w, 0.01) && !tf_arith_close(v, w, 1e-4));
    tf_buf b;
    tf_buf_init(&b, 3);
    mpq_set_ui(v, 123456, 1);
    CHECK(tf_arith_format(v, &b) == TF_ERR_TOO_BIG);
    tf_buf_free(&b);
    mpq_clear(w);
    mpq_clear(v);
}

/* ----- steps ------------------------------------------------------------------ */

typedef struct scase {
    const char *text;
    const char *want; /* one word per step in text order: kind letter (A, I) and
                         verdict (ok, rounded, wrong, unparsed), "I:ok A:ok" */
} scase;

static const scase SCAN[] = {
    /* GSM8K: the prose equation and its annotation, linked */
    {"Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.", "I:ok A:ok"},
    {"She makes 9 * 2 = $<<9*2=18>>18 every day.", "I:ok A:ok"},
    {"He makes <<9*2=18>>18 dollars.", "A:ok"},
    {"<<9*2=19>>", "A:wrong"},
    {"<<9*2>>", "A:unparsed"},
    {"<<2+3=5=5>>", "A:ok A:ok"},
    {"<<5/0=1>>", "A:wrong"},
    {"<<x+1=2>>", "A:unparsed"},
    /* the forms of the brief */
    {"16 - 3 - 4 = 9", "I:ok"},
    {"$2 x 9 = $18", "I:ok"},
    {"12.5% of 80 = 10", "I:ok"},
    {"3/4 * 12 = 9", "I:ok"},
    {"1,200 / 4 = 300", "I:ok"},
    {"2 \xC3\x97 (3 + 4) = 14", "I:ok"},
    {"\\frac{3}{4} \\cdot 12 = 9", "I:ok"},
    {"so $\\frac{3}{4} \\cdot 12 = 9$ eggs", "I:ok"},
    {"so \\(\\frac{3}{4} \\cdot 12 = 9\\) eggs", "I:ok"},
    {"\\[\\dfrac{3}{4} \\times 12 = 9\\]", "I:ok"},
    /* aligned rows: "&=" is "=", "\\" ends a row, \begin/\end are boundaries */
    {"\\begin{align*} 16 - 3 - 4 &= 9 \\\\ 9 \\times 2 &= 18 \\end{align*}", "I:ok I:ok"},
    {"\\begin{aligned}\n12 \\cdot 3 &= 35 \\\\\n35 + 1 &= 36\n\\end{aligned}", "I:wrong I:ok"},
    {"2 \xC3\x97 (3 + 4) = 2 \xC3\x97 7 = 14", "I:ok I:ok"},
    {"5 apples * 2 = 10 apples", "I:ok"},
    {"$20/hour * 35 hours/week = $700/week", "I:ok"},
    {"3 + 4 = 8", "I:wrong"},
    {"7 \xE2\x88\x92 2 = 5", "I:ok"},
    {"9 \xC3\xB7 2 = 4.5", "I:ok"},
    {"2^10 = 1024", "I:ok"},
    {"5\xC2\xB2 = 25", "I:ok"},
    {"Total = 5 + 3 = 8", "I:ok"},
    {"(so 3 + 4 = 7)", "I:ok"},
    {"1 1/2 + 2 = 3 1/2 hours", "I:ok"},
    /* not steps: no operation, no number on a side */
    {"x = 5", ""},
    {"Step 1 = 5", ""},
    {"a total of 12 = 12 eggs", ""},
    {"3 + 4 <= 10", ""},
    {"3 + 4 == 7", ""},
    /* rounding and tolerance */
    {"10/3 = 3.33", "I:rounded"},
    {"2/3 = 0.67", "I:rounded"},
    {"2/3 = 0.66", "I:wrong"},
    {"10/3 = 3", "I:wrong"},
    {"10/3 \xE2\x89\x88 3", "I:rounded"},
    {"1000/7 \\approx 140", "I:rounded"},
    {"1000/7 ~= 150", "I:wrong"},
    {"1/8 = 12.5%", "I:ok"},
    {"20/50*100 = 40%", "I:ok"},
    {"32 / 96 * 100% = 33.3", "I:rounded"},
    /* wrong and undefined */
    {"12 * 3 = 35", "I:wrong"},
    {"6 / 0 = 0", "I:wrong"},
    /* unparsed: counted, never guessed */
    {"3x + 1 = 7", "I:unparsed"},
    {"half of 10 + 4 = 9", "I:unparsed"},
    {"2 times 3 + 4 = 10", "I:unparsed"},
    {"25 classmates + his 1 teacher + 1 kid = 27", "I:unparsed"},
    {"It is 3:30 + 2 = 5", "I:unparsed"},
    {"5 - 3 = 2:00 pm", "I:unparsed"},
    {"6/2(1+2) = 9", "I:unparsed"},
    {"1,20 + 1 = 121", "I:unparsed"},
    {"drank 1.5 quarts = 4 * 1.5", "I:unparsed"},
    {"2 + 10% = 2.1", "I:unparsed"},
    {"2 \\sqrt{16} + 1 = 5", "I:unparsed"},
    {"3 + 2 = 5!", "I:unparsed"},
    {"him16*5=80", "I:unparsed"},
    {"$350 000 x 5/100 = $17500", "I:unparsed"},
    /* lines and chains */
    {"3 + 4\n= 7", ""},
    {"1 + 1 = 2. 2 + 2 = 5.\n3 * 3 = 9", "I:ok I:wrong I:ok"},
};

static void describe(const tf_arith_scan *s, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t k = 0;
    for (size_t i = 0; i < tf_arith_scan_count(s); i++) {
        const tf_arith_step *st = tf_arith_scan_step(s, i);
        const char *v = st->verdict == TF_ARITH_OK && st->rounded
                            ? "rounded"
                            : tf_arith_verdict_name(st->verdict);
        k += (size_t)snprintf(buf + k, n - k, "%s%c:%s", i ? " " : "",
                              st->kind == TF_ARITH_ANNOTATION ? 'A' : 'I', v);
        if (k >= n)
            break;
    }
}

static void test_scan(void)
{
    char got[512];
    for (size_t i = 0; i < sizeof SCAN / sizeof *SCAN; i++) {
        tf_arith_scan *s = NULL;
        tf_diag d = {{0}};
        CHECK(tf_arith_scan_text(SCAN[i].text, strlen(SCAN[i].text), NULL, &s, &d) == TF_OK);
        describe(s, got, sizeof got);
        CHECKF(strcmp(got, SCAN[i].want) == 0, "scan \"%s\": want \"%s\", got \"%s\"", SCAN[i].text,
               SCAN[i].want, got);
        for (size_t j = 0; j < tf_arith_scan_count(s); j++) {
            const tf_arith_step *st = tf_arith_scan_step(s, j);
            CHECK(st->index == j);
            CHECK(st->off + st->len <= strlen(SCAN[i].text));
            CHECK((st->verdict == TF_ARITH_OK) == (st->why[0] == '\0'));
            CHECK((st->verdict == TF_ARITH_OK) == (st->reason == TF_ARITH_R_NONE));
        }
        tf_arith_scan_free(s);
    }

    /* the fields of one GSM8K line */
    const char *t = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\n"
                    "She makes 9 * 2 = $<<9*2=19>>19 every day.\n#### 19";
    tf_arith_scan *s = NULL;
    CHECK(tf_arith_scan_text(t, strlen(t), NULL, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_count(s) == 4);
    const tf_arith_step *a = tf_arith_scan_step(s, 0), *b = tf_arith_scan_step(s, 1);
    CHECK(a->kind == TF_ARITH_INLINE && b->kind == TF_ARITH_ANNOTATION);
    CHECK(a->link == 1 && b->link == 0 && a->ops == 2 && b->ops == 2);
    CHECK(a->off == 12 && strncmp(t + a->off, "16 - 3 - 4 = <<16-3-4=9>>9", a->len) == 0);
    CHECK(strncmp(t + a->lhs_off, "16 - 3 - 4", a->lhs_len) == 0 && a->lhs_len == 10);
    CHECK(strncmp(t + a->rhs_off, "9", a->rhs_len) == 0 && a->rhs_off == 37);
    CHECK(strncmp(t + b->off, "<<16-3-4=9>>", b->len) == 0 && b->len == 12);
    CHECK(a->has_lhs && a->has_rhs && mpq_cmp_ui(a->lhs, 9, 1) == 0);
    const tf_arith_step *w = tf_arith_scan_step(s, 3);
    CHECK(w->kind == TF_ARITH_ANNOTATION && w->verdict == TF_ARITH_WRONG &&
          w->reason == TF_ARITH_R_MISMATCH && strcmp(w->why, "the left side is 18, not 19") == 0);
    CHECK(mpq_cmp_ui(w->lhs, 18, 1) == 0 && mpq_cmp_ui(w->rhs, 19, 1) == 0);
    const tf_arith_step *last = tf_arith_scan_last_result(s);
    CHECK(last && last->index == 2 && mpq_cmp_ui(last->rhs, 19, 1) == 0);
    tf_arith_tally all = tf_arith_scan_tally(s, -1), ann = tf_arith_scan_tally(s, 0);
    CHECK(all.ok == 2 && all.wrong == 2 && all.unparsed == 0);
    CHECK(ann.ok == 1 && ann.wrong == 1);
    tf_arith_scan_free(s);

    /* division by zero: wrong, the reason says so */
    CHECK(tf_arith_scan_text("6 / 0 = 0", 9, NULL, &s, NULL) == TF_OK);
    w = tf_arith_scan_step(s, 0);
    CHECK(w && w->reason == TF_ARITH_R_UNDEFINED && strstr(w->why, "division by zero") &&
          !w->has_lhs && w->has_rhs);
    CHECK(tf_arith_scan_last_result(s) == w);
    tf_arith_scan_free(s);

    /* options: no rounding, a relative tolerance */
    tf_arith_opts o = {0};
    o.no_rounding = true;
    CHECK(tf_arith_scan_text("10/3 = 3.33", 11, &o, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_step(s, 0)->verdict == TF_ARITH_WRONG);
    tf_arith_scan_free(s);
    o.no_rounding = false;
    o.rel_tol = 0.01;
    CHECK(tf_arith_scan_text("3.33 * 3 = 10", 13, &o, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_step(s, 0)->verdict == TF_ARITH_OK && tf_arith_scan_step(s, 0)->rounded);
    tf_arith_scan_free(s);
    o.rel_tol = 0;
    o.approx_rel_tol = 0.05;
    CHECK(tf_arith_scan_text("1000/7 \xE2\x89\x88 145", 14, &o, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_step(s, 0)->verdict == TF_ARITH_OK);
    tf_arith_scan_free(s);

    /* no text at all */
    CHECK(tf_arith_scan_text(NULL, 0, NULL, &s, NULL) == TF_OK && tf_arith_scan_count(s) == 0 &&
          !tf_arith_scan_last_result(s) && !tf_arith_scan_step(s, 0));
    tf_arith_scan_free(s);
    tf_arith_scan_free(NULL);
}

/* ----- answers ------------------------------------------------------------------ */

typedef struct acase {
    const char *text;
    const char *method;
    const char *value; /* NULL: not found */
} acase;

static const acase ANSWERS[] = {
    {"She makes 18.\n#### 18", "hash", "18"},
    {"#### 1,234", "hash", "1234"},
    {"#### -10", "hash", "-10"},
    {"#### $1,450,000", "hash", "1450000"},
    {"#### 25%", "hash", "25"},
    {"#### 3/4", "hash", "0.75"},
    {"#### five", "hash", NULL},
    {"#### 18 or 20", "hash", NULL},
    {"The answer is $\\boxed{18}$.", "boxed", "18"},
    {"the final answer is $\\boxed{18}$", "boxed", "18"},
    {"\\boxed{\\frac{3}{4}}", "boxed", "0.75"},
    {"\\boxed{\\$1,234}", "boxed", "1234"},
    {"\\boxed{18 \\text{ dollars}}", "boxed", "18"},
    {"\\boxed{x = 5}", "boxed", "5"},
    {"\\boxed{x + 1}", "boxed", NULL},
    {"\\boxed{18", "boxed", NULL},
    {"first \\boxed{3}, then \\boxed{4}", "boxed", "4"},
    {"The answer is 18.", "answer_is", "18"},
    {"The answer is: 18 apples", "answer_is", "18"},
    {"The final answer is 3 * 6 = 18", "answer_is", "18"},
    {"Answer: $1,200", "answer_is", "1200"},
    {"**Answer:** 42", "answer_is", "42"},
    {"Q: how many?\nA: 7", "answer_is", "7"},
    {"The answer is clear. So 3 + 4 = 7 eggs.", "last_number", "7"},
    {"It drops to -3 degrees.", "last_number", "-3"},
    {"5 - 3 leaves 2", "last_number", "2"},
    {"The answer is 7. #### 8", "hash", "8"},
    {"\\boxed{9} and #### 8", "hash", "8"},
    {"no digits here", "none", NULL},
    {"", "none", NULL},
};

static void test_answers(void)
{
    tf_arith_answer a;
    tf_arith_answer_init(&a);
    for (size_t i = 0; i < sizeof ANSWERS / sizeof *ANSWERS; i++) {
        const acase *c = &ANSWERS[i];
        CHECK(tf_arith_find_answer(c->text, strlen(c->text), NULL, &a) == TF_OK);
        bool ok = strcmp(tf_arith_method_name(a.method), c->method) == 0;
        if (c->value)
            ok = ok && a.status == TF_ARITH_ANSWER_FOUND && strcmp(fmt(a.value), c->value) == 0;
        else
            ok = ok && a.status != TF_ARITH_ANSWER_FOUND &&
                 (a.status == TF_ARITH_ANSWER_NONE) == (strcmp(c->method, "none") == 0) &&
                 (a.status == TF_ARITH_ANSWER_NONE || a.why[0]);
        CHECKF(ok, "answer \"%s\": want %s %s, got %s %s (status %d: %s)", c->text, c->method,
               c->value ? c->value : "(none)", tf_arith_method_name(a.method),
               a.status == TF_ARITH_ANSWER_FOUND ? fmt(a.value) : "-", (int)a.status, a.why);
    }
    /* the value's place in the text */
    const char *t = "So the answer is $1,234 today.";
    CHECK(tf_arith_find_answer(t, strlen(t), NULL, &a) == TF_OK);
    CHECK(strncmp(t + a.off, "1,234", a.len) == 0 && a.len == 5);
    mpq_t want;
    mpq_init(want);
    mpq_set_ui(want, 1234, 1);
    CHECK(tf_arith_answer_matches(&a, want, 0));
    mpq_set_ui(want, 1235, 1);
    CHECK(!tf_arith_answer_matches(&a, want, 0) && tf_arith_answer_matches(&a, want, 0.01));
    mpq_clear(want);
    tf_arith_answer_clear(&a);
}

static void test_reference(void)
{
    tf_arith_reference r;
    tf_arith_reference_init(&r);
    const char *t =
        "It takes 2/2=<<2/2=1>>1 bolt\nSo 2+1=<<2+1=3>>3 and (2+3)*4-1=<<(2+3)*4-1=19>>19"
        "\n#### 3";
    CHECK(tf_arith_reference_parse(t, strlen(t), NULL, &r, NULL) == TF_OK);
    CHECK(r.annotations == 3 && r.complexity == 5 && r.wrong == 0);
    CHECK(r.answer.status == TF_ARITH_ANSWER_FOUND && r.answer.method == TF_ARITH_ANS_HASH &&
          mpq_cmp_ui(r.answer.value, 3, 1) == 0);
    /* percent is not an operation; "of" is; a sign is not */
    t = "<<-5+20%*10=-3>> <<50% of 8=4>>\n#### 4";
    CHECK(tf_arith_reference_parse(t, strlen(t), NULL, &r, NULL) == TF_OK);
    CHECK(r.annotations == 2 && r.complexity == 3);
    /* a bare answer: complexity unknown */
    CHECK(tf_arith_reference_parse("18", 2, NULL, &r, NULL) == TF_OK);
    CHECK(r.complexity == -1 && r.annotations == 0 && r.answer.method == TF_ARITH_ANS_LAST_NUMBER &&
          mpq_cmp_ui(r.answer.value, 18, 1) == 0);
    /* a slip in a reference is counted; an unreadable annotation makes the
     * complexity unknown */
    t = "<<2*3=7>> <<x*2=4>>\n#### 4";
    CHECK(tf_arith_reference_parse(t, strlen(t), NULL, &r, NULL) == TF_OK);
    CHECK(r.wrong == 1 && r.complexity == -1 && r.annotations == 2);
    tf_arith_reference_clear(&r);
}

/* ----- hostile input --------------------------------------------------------------- */

static char *repeat(const char *unit, size_t times, const char *head, const char *tail, size_t *n)
{
    size_t u = strlen(unit), h = strlen(head), t = strlen(tail);
    char *s = malloc(h + u * times + t + 1);
    memcpy(s, head, h);
    for (size_t i = 0; i < times; i++)
        memcpy(s + h + i * u, unit, u);
    memcpy(s + h + u * times, tail, t + 1);
    *n = h + u * times + t;
    return s;
}

static void one_step(const char *text, size_t n, const char *verdict, const char *reason)
{
    tf_arith_scan *s = NULL;
    CHECK(tf_arith_scan_text(text, n, NULL, &s, NULL) == TF_OK);
    const tf_arith_step *st = tf_arith_scan_step(s, 0);
    CHECKF(
        tf_arith_scan_count(s) == 1 && strcmp(tf_arith_verdict_name(st->verdict), verdict) == 0 &&
            strcmp(tf_arith_reason_name(st->reason), reason) == 0,
        "%.40s...: want one %s step (%s), got %zu: %s %s", text, verdict, reason,
        tf_arith_scan_count(s), st ? tf_arith_verdict_name(st->verdict) : "-", st ? st->why : "-");
    tf_arith_scan_free(s);
}

static void test_hostile(void)
{
    mpq_t v;
    mpq_init(v);
    tf_arith_reason r;
    size_t n;

    /* a 1 MB number: a clear result */
    char *big = repeat("7", 1 << 20, "", "", &n);
    CHECK(tf_arith_eval(big, n, NULL, v, &r, NULL) == TF_ERR_TOO_BIG && r == TF_ARITH_R_TOO_LONG);
    free(big);
    big = repeat("7", 1 << 20, "", " + 1 = 2", &n);
    one_step(big, n, "unparsed", "number_too_long");
    free(big);
    big = repeat("1,000", 1 << 18, "", "", &n);
    CHECK(tf_arith_eval(big, n, NULL, v, &r, NULL) == TF_ERR_TOO_BIG);
    free(big);
    tf_arith_answer a;
    tf_arith_answer_init(&a);
    big = repeat("9", 1 << 20, "#### ", "", &n);
    CHECK(tf_arith_find_answer(big, n, NULL, &a) == TF_OK &&
          a.status == TF_ARITH_ANSWER_UNREADABLE && a.method == TF_ARITH_ANS_HASH);
    free(big);
    big = repeat("9", 1 << 20, "The answer is ", "", &n);
    CHECK(tf_arith_find_answer(big, n, NULL, &a) == TF_OK && a.status != TF_ARITH_ANSWER_FOUND);
    free(big);

    /* 10,000 nested brackets: "nested too deep", no recursion past the cap */
    char *open = repeat("(", 10000, "", "1", &n);
    char *deep = malloc(n + 10000 + 16);
    memcpy(deep, open, n);
    memset(deep + n, ')', 10000);
    memcpy(deep + n + 10000, " + 1 = 2", 9);
    size_t dn = n + 10000 + 8;
    CHECK(tf_arith_eval(deep, n + 10000, NULL, v, &r, NULL) == TF_ERR_TOO_BIG &&
          r == TF_ARITH_R_TOO_DEEP);
    one_step(deep, dn, "unparsed", "nested_too_deep");
    free(open);
    free(deep);
    deep = repeat("-", 100000, "", "1", &n);
    CHECK(tf_arith_eval(deep, n, NULL, v, &r, NULL) == TF_ERR_TOO_BIG && r == TF_ARITH_R_TOO_DEEP);
    free(deep);
    deep = repeat("2^", 100000, "", "2", &n);
    CHECK(tf_arith_eval(deep, n, NULL, v, &r, NULL) == TF_ERR_TOO_BIG && r == TF_ARITH_R_TOO_DEEP);
    free(deep);
    deep = repeat("\\frac{1}{", 20000, "", "2", &n);
    CHECK(tf_arith_eval(deep, n, NULL, v, &r, NULL) == TF_ERR_TOO_BIG && r == TF_ARITH_R_TOO_DEEP);
    free(deep);
    /* 99 levels are fine */
    open = repeat("(", 99, "", "7", &n);
    char *ok = malloc(n + 99 + 1);
    memcpy(ok, open, n);
    memset(ok + n, ')', 99);
    CHECK(tf_arith_eval(ok, n + 99, NULL, v, NULL, NULL) == TF_OK && mpq_cmp_ui(v, 7, 1) == 0);
    free(open);
    free(ok);

    /* huge values: 10^400 is fine, towers are refused before they are computed */
    one_step("10^400 / 10^399 = 10", 20, "ok", "none");
    one_step("2^2^2^2^2 = 4", 13, "unparsed", "exponent");
    one_step("10^(10^9) = 1", 13, "unparsed", "exponent");
    one_step("(2^4000)^2 = 1", 14, "unparsed", "result_too_large");
    /* products that grow past the cap stop there */
    big = repeat("*99999999999999999999", 1000, "1", " = 1", &n);
    one_step(big, n, "unparsed", "result_too_large");
    free(big);

    /* NUL bytes and invalid UTF-8 anywhere: no crash, messages stay UTF-8 */
    const char nul[] = "3 + 4\0= 7\0 and 2 * 2 = 4\0";
    tf_arith_scan *s = NULL;
    CHECK(tf_arith_scan_text(nul, sizeof nul - 1, NULL, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_count(s) == 1 && tf_arith_scan_step(s, 0)->verdict == TF_ARITH_OK);
    tf_arith_scan_free(s);
    const char bad[] = "\xff\xfe 3 + 4 = 8 \xc3\x28 <<\xff=1>> 1\xe2\x82 + 1 = 2 \xf0\x9f\x98";
    CHECK(tf_arith_scan_text(bad, sizeof bad - 1, NULL, &s, NULL) == TF_OK);
    CHECK(tf_arith_scan_count(s) >= 2);
    for (size_t i = 0; i < tf_arith_scan_count(s); i++) {
        const char *why = tf_arith_scan_step(s, i)->why;
        CHECK(tf_utf8_invalid_at(why, strlen(why)) == strlen(why));
    }
    tf_arith_scan_free(s);
    tf_diag d = {{0}};
    CHECK(tf_arith_eval("\xff", 1, NULL, v, &r, &d) == TF_ERR_PARSE &&
          tf_utf8_invalid_at(d.msg, strlen(d.msg)) == strlen(d.msg));
    CHECK(tf_arith_find_answer(bad, sizeof bad - 1, NULL, &a) == TF_OK);

    /* a long text with many steps (its time against a text 4x shorter:
     * bench/arith.sh; here only what the scan finds) */
    tf_arith_opts o = {0};
    o.max_steps = 1 << 20;
    size_t n1, n2;
    char *t1 = repeat("She has 12 * 3 = <<12*3=36>>36 eggs and 1/3 = 0.33.\n", 10000, "", "", &n1);
    char *t2 = repeat("She has 12 * 3 = <<12*3=36>>36 eggs and 1/3 = 0.33.\n", 40000, "", "", &n2);
    CHECK(tf_arith_scan_text(t1, n1, &o, &s, NULL) == TF_OK && tf_arith_scan_count(s) == 30000);
    tf_arith_scan_free(s);
    CHECK(tf_arith_scan_text(t2, n2, &o, &s, NULL) == TF_OK && tf_arith_scan_count(s) == 120000);
    tf_arith_tally tl = tf_arith_scan_tally(s, -1);
    CHECK(tl.ok == 120000 && tl.wrong == 0);
    tf_arith_scan_free(s);
    /* the step cap: TF_ERR_TOO_BIG with a message, nothing returned */
    s = (tf_arith_scan *)&o;
    CHECK(tf_arith_scan_text(t2, n2, NULL, &s, &d) == TF_ERR_TOO_BIG && !s &&
          strstr(d.msg, "65536"));
    free(t1);
    free(t2);
    /* one line of more than TF_ARITH_MAX_LINE_TOKENS tokens */
    big = repeat("+", (size_t)TF_ARITH_MAX_LINE_TOKENS + 1, "", "", &n);
    CHECK(tf_arith_scan_text(big, n, NULL, &s, &d) == TF_ERR_TOO_BIG && strstr(d.msg, "tokens"));
    free(big);
    /* many unclosed annotations, \text{ and \boxed{: no crash (and no hang:
     * CTest's timeout) */
    big = repeat("<<1+", 200000, "", ">>", &n);
    CHECK(tf_arith_scan_text(big, n, &o, &s, NULL) == TF_OK);
    tf_arith_scan_free(s);
    free(big);
    big = repeat("\\text{", 200000, "", "", &n);
    CHECK(tf_arith_scan_text(big, n, &o, &s, NULL) == TF_OK);
    tf_arith_scan_free(s);
    CHECK(tf_arith_find_answer(big, n, NULL, &a) == TF_OK);
    free(big);
    big = repeat("\\boxed{", 200000, "", "", &n);
    CHECK(tf_arith_find_answer(big, n, NULL, &a) == TF_OK && a.method == TF_ARITH_ANS_BOXED &&
          a.status == TF_ARITH_ANSWER_UNREADABLE);
    free(big);
    big = repeat("answer is (", 100000, "", "", &n);
    CHECK(tf_arith_find_answer(big, n, NULL, &a) == TF_OK && a.status == TF_ARITH_ANSWER_NONE);
    free(big);
    big = repeat("=", 1 << 20, "1+", "1", &n);
    CHECK(tf_arith_scan_text(big, n, &o, &s, NULL) == TF_OK);
    tf_arith_scan_free(s);
    free(big);
    tf_arith_answer_clear(&a);
    mpq_clear(v);
}

int main(void)
{
    double t0 = now();
    test_eval();
    test_format();
    test_scan();
    test_answers();
    test_reference();
    double t1 = now();
    test_hostile();
    printf("tables %.2f s, hostile input %.2f s\n", t1 - t0, now() - t1);
    return tf_test_done();
}
