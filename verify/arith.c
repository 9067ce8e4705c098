/* arith.c: the arithmetic-chain domain (domain.h): every step of a math
 * word problem's solution checked, and right answers that rest on wrong
 * steps found.
 *
 * The problem is the record's question (the job's prompt, which is also the
 * prompt a model is sent, verbatim); the domain's own field is the
 * reference: a GSM8K-style solution ("<<48/2=24>>", "#### 18") or the
 * answer alone ("18", "$1,234", "3/4", a JSON number). The arith module
 * (arith.h) does the reading: the steps of each part of the output
 * (tf_arith_scan_text), its final answer (tf_arith_find_answer) and the
 * reference (tf_arith_reference_parse); this file maps records and the
 * job's "arith" section onto it and turns its steps into the written steps
 * a study counts (below). docs/arith.md, "The arith domain", is the
 * reference.
 *
 * Written steps: the scan gives a GSM8K line "16 - 3 - 4 = <<16-3-4=9>>9"
 * as two linked steps, the calculator annotation and the prose equation
 * whose right side is the annotation's shown result. They are one written
 * step here, so that GSM8K-style text does not count its steps twice: it
 * is wrong when either is wrong (an annotation that computes right under
 * prose that says something else is "prose_mismatch", GSM8K problem 501),
 * ok when either is ok and neither is wrong, and unparsed only when
 * neither could be read. Every other step is a written step of its own.
 */
#include "tracefarm/arith.h"
#include "tracefarm/domain.h"
#include "tracefarm/text.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

/* ----- the job's "arith" section and the record fields -------------------------- */

typedef struct arith_section {
    double rel_tol;        /* every step: accept |lhs - rhs| <= rel_tol * |lhs| */
    double approx_rel_tol; /* the same for steps written with "≈" only */
    int no_rounding;       /* refuse right sides that round the left one */
    double answer_rel_tol; /* the final answer against the reference */
    int require_reference; /* a record without a reference is an error item */
} arith_section;

static const tf_key arith_keys[] = {
    {.name = "rel_tol",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .dflt = "0",
     .offset = offsetof(arith_section, rel_tol),
     .help = "a step is also ok when its sides differ by at most this fraction of the left "
             "side (0: exact, with the rounding rule of docs/arith.md)"},
    {.name = "approx_rel_tol",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .dflt = "0",
     .offset = offsetof(arith_section, approx_rel_tol),
     .help = "the same for steps written with an approximate sign (≈, \\approx, ~=) only"},
    {.name = "no_rounding",
     .type = TF_KEY_BOOL,
     .dflt = "false",
     .offset = offsetof(arith_section, no_rounding),
     .help = "refuse right sides that round the left one (1/3 = 0.33 is then wrong)"},
    {.name = "answer_rel_tol",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .dflt = "0",
     .offset = offsetof(arith_section, answer_rel_tol),
     .help = "the final answer is correct when it differs from the reference answer by at "
             "most this fraction of it (0: exactly equal)"},
    {.name = "require_reference",
     .type = TF_KEY_BOOL,
     .dflt = "true",
     .offset = offsetof(arith_section, require_reference),
     .help = "a record without its reference field (or with null there) is an error item; "
             "false: its steps are checked and answer_correct is null"},
};

/* The record fields, in the order configure receives their paths. The
 * job's own fields give the rest: the question (the prompt), the model
 * output and its reasoning (domain.h). */
enum { F_REFERENCE, F_COUNT };
static const tf_field arith_fields[F_COUNT] = {
    [F_REFERENCE] = {"reference", "reference",
                     "arith: the reference, a GSM8K-style solution (\"#### N\") or the answer "
                     "alone (\"18\", \"$1,234\", \"3/4\", a JSON number)"},
};

typedef struct arith_cfg {
    tf_arith_opts opts;      /* the steps' options (the module's caps) */
    double answer_rel_tol;   /* the answer against the reference */
    bool require_reference;  /* a record without one is an error item */
    const tf_path *const *f; /* field paths, F_* (borrowed from the job) */
} arith_cfg;

typedef struct arith_problem {
    char *question;      /* the prompt, NUL-terminated (owned) */
    size_t question_len; /* its length */
    bool has_ref;        /* the record has a reference */
    mpq_t ref;           /* its answer (initialised always) */
    long complexity;     /* the reference's operations, -1 unknown */
} arith_problem;

static tf_err arith_configure(const void *section, const tf_path *const *fields, const char *origin,
                              void **out, tf_diag *d)
{
    (void)origin, (void)d;
    const arith_section *sec = section;
    *out = NULL;
    arith_cfg *c = calloc(1, sizeof *c);
    if (!c)
        return TF_ERR_NOMEM;
    c->opts.rel_tol = sec->rel_tol;
    c->opts.approx_rel_tol = sec->approx_rel_tol;
    c->opts.no_rounding = sec->no_rounding != 0;
    c->answer_rel_tol = sec->answer_rel_tol;
    c->require_reference = sec->require_reference != 0;
    c->f = fields;
    *out = c;
    return TF_OK;
}

static void arith_free_config(void *p)
{
    free(p);
}

/* ----- records -------------------------------------------------------------------- */

static void arith_free_problem(void *p)
{
    arith_problem *pb = p;
    if (!pb)
        return;
    free(pb->question);
    mpq_clear(pb->ref);
    free(pb);
}

/* A JSON number as the decimal its writer most likely wrote: the shortest
 * that reads back as the same double (0.1 is "0.1", not the binary
 * 0.1000000000000000055...), spelled out without an exponent (1e21 is
 * 1 and 21 zeros), into out (at least 400 bytes). 0 when not finite. */
static int number_text(double v, char *out, size_t n)
{
    if (!isfinite(v) || n < 400)
        return 0;
    char e[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is "[-]d[.ddd]e[+-]XX": the digits D and the exponent x, so that
     * v = D * 10^(x - (k - 1)) for the k digits of D */
    char digits[24];
    size_t k = 0;
    const char *q = e + (e[0] == '-');
    for (; *q && *q != 'e' && k + 1 < sizeof digits; q++)
        if (*q >= '0' && *q <= '9')
            digits[k++] = *q;
    digits[k] = '\0';
    long x = *q == 'e' ? strtol(q + 1, NULL, 10) : 0;
    long shift = x - (long)(k - 1);
    size_t w = 0;
    if (e[0] == '-')
        out[w++] = '-';
    if (shift >= 0) { /* D and shift zeros (|x| <= 308) */
        memcpy(out + w, digits, k);
        w += k;
        for (long i = 0; i < shift; i++)
            out[w++] = '0';
    } else if ((long)k + shift > 0) { /* the point inside D */
        size_t ip = (size_t)((long)k + shift);
        memcpy(out + w, digits, ip);
        w += ip;
        out[w++] = '.';
        memcpy(out + w, digits + ip, k - ip);
        w += k - ip;
    } else { /* 0.000D */
        out[w++] = '0';
        out[w++] = '.';
        for (long i = 0; i < -((long)k + shift); i++)
            out[w++] = '0';
        memcpy(out + w, digits, k);
        w += k;
    }
    out[w] = '\0';
    return 1;
}

/* The reference's answer (and its complexity) into pb, from its text
 * (a solution or the answer alone). A solution's answer is its "#### N"
 * (or \boxed{N}, "The answer is N"); a text without one must be one value
 * ("18", "$1,234", "3/4", "18 dollars"): the last-number guess is never
 * taken for a reference. TF_ERR_PARSE with the reason in d, naming path. */
static tf_err read_reference(const arith_cfg *c, const char *path, const char *text, size_t n,
                             arith_problem *pb, tf_diag *d)
{
    tf_arith_reference r;
    tf_arith_reference_init(&r);
    tf_diag why = {{0}};
    tf_err err = tf_arith_reference_parse(text, n, &c->opts, &r, &why);
    const tf_arith_answer *a = &r.answer;
    bool strong = a->method != TF_ARITH_ANS_LAST_NUMBER && a->method != TF_ARITH_ANS_NONE;
    if (err == TF_ERR_TOO_BIG) {
        tf_diag_set(d, "field \"%s\": %s", path, why.msg);
        err = TF_ERR_PARSE;
    } else if (err == TF_OK && strong && a->status == TF_ARITH_ANSWER_FOUND) {
        mpq_set(pb->ref, a->value);
        pb->complexity = r.complexity;
    } else if (err == TF_OK && strong) {
        tf_diag_set(d, "field \"%s\": its answer (%s) cannot be read: %s", path,
                    tf_arith_method_name(a->method), a->why);
        err = TF_ERR_PARSE;
    } else if (err == TF_OK) {
        tf_arith_reason reason = TF_ARITH_R_NONE;
        err = tf_arith_eval(text, n, &c->opts, pb->ref, &reason, &why);
        if (err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG) {
            tf_diag_set(d,
                        "field \"%s\" has no answer: neither \"#### N\" (\\boxed{N}, \"The answer "
                        "is N\") nor one value (%s)",
                        path, why.msg[0] ? why.msg : tf_arith_reason_name(reason));
            err = TF_ERR_PARSE;
        }
        pb->complexity = -1;
    }
    tf_arith_reference_clear(&r);
    if (err == TF_ERR_PARSE)
        tf_utf8_sanitize(d ? d->msg : why.msg);
    return err;
}

/* The problem is the record's question (the job's prompt field, or the
 * last user message), kept whole for build_prompt; the reference is the
 * domain's own field. The output is always the job's. */
static tf_err arith_parse_record(const void *cfgp, const tf_record *rec, void **out,
                                 tf_text *output, tf_diag *d)
{
    const arith_cfg *c = cfgp;
    *out = NULL;
    output->p = NULL;
    output->n = 0;
    if (!rec->prompt.p) {
        tf_diag_set(d, "%s", rec->prompt_why);
        return TF_ERR_PARSE;
    }
    const char *path = tf_path_text(c->f[F_REFERENCE]);
    const cJSON *v = tf_path_get(c->f[F_REFERENCE], rec->json);
    if ((!v || cJSON_IsNull(v)) && c->require_reference) {
        tf_diag_set(d,
                    v ? "field \"%s\" is null (no reference; \"arith.require_reference\": "
                        "false checks the steps of records without one)"
                      : "missing field \"%s\"",
                    path);
        return TF_ERR_PARSE;
    }
    if (v && !cJSON_IsNull(v) && !cJSON_IsString(v) && !cJSON_IsNumber(v)) {
        tf_diag_set(d, "field \"%s\" must be a string or a number", path);
        return TF_ERR_PARSE;
    }
    arith_problem *pb = calloc(1, sizeof *pb);
    if (!pb)
        return TF_ERR_NOMEM;
    mpq_init(pb->ref);
    pb->complexity = -1;
    pb->question = malloc(rec->prompt.n + 1);
    if (!pb->question) {
        arith_free_problem(pb);
        return TF_ERR_NOMEM;
    }
    memcpy(pb->question, rec->prompt.p, rec->prompt.n);
    pb->question[rec->prompt.n] = '\0';
    pb->question_len = rec->prompt.n;
    tf_err err = TF_OK;
    if (cJSON_IsString(v)) {
        pb->has_ref = true;
        err = read_reference(c, path, v->valuestring, strlen(v->valuestring), pb, d);
    } else if (cJSON_IsNumber(v)) {
        char num[400];
        pb->has_ref = true;
        if (number_text(v->valuedouble, num, sizeof num))
            err = read_reference(c, path, num, strlen(num), pb, d);
        else {
            tf_diag_set(d, "field \"%s\" is not a finite number", path);
            err = TF_ERR_PARSE;
        }
    }
    if (err != TF_OK) {
        arith_free_problem(pb);
        return err;
    }
    *out = pb;
    return TF_OK;
}

/* The prompt is the question itself, verbatim: an endpoint's
 * prompt_template wraps it ("{prompt}"). */
static tf_err arith_build_prompt(const void *cfg, const void *problem, tf_buf *out)
{
    (void)cfg;
    const arith_problem *pb = problem;
    return tf_buf_append(out, pb->question, pb->question_len);
}

/* ----- written steps ----------------------------------------------------------------- */

/* One written step (see the top of the file): a lone step of the scan, or
 * a prose equation and the annotation it shows. */
typedef struct wstep {
    tf_arith_verdict verdict;
    const char *code; /* wrong: its error code; unparsed: "unparsed_<reason>" */
    const char *why;  /* the scan's one line ("" when ok) */
    size_t off, len;  /* bytes in its part: from the first step's start to the last's end */
} wstep;

/* The strict verdict's code of an unparsed step, by reason. */
static const char *const unparsed_codes[TF_ARITH_R_COUNT] = {
    [TF_ARITH_R_NONE] = "unparsed",
    [TF_ARITH_R_MISMATCH] = "unparsed",
    [TF_ARITH_R_UNDEFINED] = "unparsed",
    [TF_ARITH_R_SYNTAX] = "unparsed_syntax",
    [TF_ARITH_R_VARIABLE] = "unparsed_variable",
    [TF_ARITH_R_AMBIGUOUS] = "unparsed_ambiguous",
    [TF_ARITH_R_CONTEXT] = "unparsed_context",
    [TF_ARITH_R_BAD_NUMBER] = "unparsed_bad_number",
    [TF_ARITH_R_EXPONENT] = "unparsed_exponent",
    [TF_ARITH_R_TOO_DEEP] = "unparsed_nested_too_deep",
    [TF_ARITH_R_TOO_LONG] = "unparsed_number_too_long",
    [TF_ARITH_R_TOO_LARGE] = "unparsed_result_too_large",
};

static const char *step_code(const tf_arith_step *st)
{
    if (st->verdict == TF_ARITH_WRONG)
        return st->reason == TF_ARITH_R_UNDEFINED ? "undefined_operation" : "wrong_result";
    if (st->verdict == TF_ARITH_UNPARSED)
        return (unsigned)st->reason < TF_ARITH_R_COUNT ? unparsed_codes[st->reason] : "unparsed";
    return NULL;
}

static void lone(wstep *w, const tf_arith_step *st)
{
    w->verdict = st->verdict;
    w->code = step_code(st);
    w->why = st->why;
    w->off = st->off;
    w->len = st->len;
}

/* Step i of s as a written step into *w; 0 when it is an annotation that
 * belongs to the prose equation showing its result (counted there). */
static int written(const tf_arith_scan *s, size_t i, wstep *w)
{
    const tf_arith_step *st = tf_arith_scan_step(s, i);
    const tf_arith_step *o = st->link >= 0 ? tf_arith_scan_step(s, (size_t)st->link) : NULL;
    bool pair = o && o->link == (long)i && o->kind != st->kind;
    if (pair && st->kind == TF_ARITH_ANNOTATION)
        return 0;
    lone(w, st);
    if (!pair)
        return 1;
    const tf_arith_step *A = o; /* the annotation; st is the prose equation */
    size_t end = st->off + st->len > A->off + A->len ? st->off + st->len : A->off + A->len;
    w->off = st->off < A->off ? st->off : A->off;
    w->len = end - w->off;
    if (A->verdict == TF_ARITH_WRONG) {
        w->verdict = TF_ARITH_WRONG;
        w->code = step_code(A);
        w->why = A->why;
    } else if (st->verdict == TF_ARITH_WRONG) {
        if (A->verdict == TF_ARITH_OK)
            w->code = "prose_mismatch"; /* the calculator is right, the prose is not */
    } else if (A->verdict == TF_ARITH_OK || st->verdict == TF_ARITH_OK) {
        w->verdict = TF_ARITH_OK;
        w->code = NULL;
        w->why = "";
    } else { /* neither could be read: the annotation's reason */
        w->code = step_code(A);
        w->why = A->why;
    }
    return 1;
}

/* What one part's steps come to. */
typedef struct part_tally {
    long steps, wrong, unparsed;
    long first;        /* index (in the part) of the first wrong step, -1 none */
    wstep first_w;     /* that step */
    long strict;       /* the first wrong or unparsed step, -1 none */
    const char *scode; /* its code */
} part_tally;

static void tally_part(const tf_arith_scan *s, part_tally *t)
{
    memset(t, 0, sizeof *t);
    t->first = t->strict = -1;
    for (size_t i = 0; i < tf_arith_scan_count(s); i++) {
        wstep w;
        if (!written(s, i, &w))
            continue;
        if (w.verdict != TF_ARITH_OK && t->strict < 0) {
            t->strict = t->steps;
            t->scode = w.code;
        }
        if (w.verdict == TF_ARITH_WRONG && t->first < 0) {
            t->first = t->steps;
            t->first_w = w;
        }
        t->wrong += w.verdict == TF_ARITH_WRONG;
        t->unparsed += w.verdict == TF_ARITH_UNPARSED;
        t->steps++;
    }
}

/* ----- item fields ------------------------------------------------------------------- */

/* Characters (code points) of p[0..n): the bytes that do not continue a
 * UTF-8 sequence. Offsets in items count characters, as the strings of
 * JSON readers do. */
static long chars(const char *p, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)p[i] & 0xC0) != 0x80;
    return k;
}

/* The longest text of a step an item quotes, in bytes. */
#define QUOTE_MAX 200

/* Add key: p[0..n), at most QUOTE_MAX bytes cut at a character boundary
 * with "..." after a cut, any byte that is not UTF-8 as '?'. */
static int add_quote(cJSON *item, const char *key, const char *p, size_t n)
{
    char q[QUOTE_MAX + 4];
    size_t k = n;
    if (k > QUOTE_MAX) {
        k = QUOTE_MAX;
        while (k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80)
            k--;
    }
    memcpy(q, p, k);
    if (k < n) {
        memcpy(q + k, "...", 3);
        k += 3;
    }
    q[k] = '\0';
    for (size_t i = 0; i < k; i++)
        if (q[i] == '\0')
            q[i] = '?'; /* a NUL byte of an endpoint's output would end the string */
    tf_utf8_sanitize(q);
    return cJSON_AddStringToObject(item, key, q) != NULL;
}

/* Add key: v as text (tf_arith_format), or null when v is NULL. */
static int add_value(cJSON *item, const char *key, const mpq_t *v)
{
    if (!v)
        return cJSON_AddNullToObject(item, key) != NULL;
    tf_buf b;
    tf_buf_init(&b, 1 << 14); /* results have at most 4096-bit terms: 2 x 1234 digits */
    tf_err err = tf_arith_format(*v, &b);
    int ok = err == TF_OK && cJSON_AddStringToObject(item, key, b.data ? b.data : "0") != NULL;
    tf_buf_free(&b);
    return ok;
}

static int add_bool_or_null(cJSON *item, const char *key, int v)
{
    return v < 0 ? cJSON_AddNullToObject(item, key) != NULL
                 : cJSON_AddBoolToObject(item, key, v) != NULL;
}

/* ----- flags ------------------------------------------------------------------------- */

/* The flags the domain counts (tf_facts.flags, docs/arith.md), each also
 * an item field that is true exactly when the flag is set. */
#define FLAG_CONTRADICTS "answer_contradicts_reasoning"
#define FLAG_LAST_NUMBER "answer_by_last_number"
#define FLAG_NO_ANSWER "no_answer"
#define FLAG_NO_REFERENCE "no_reference"
static const char *const arith_flags[] = {FLAG_CONTRADICTS, FLAG_LAST_NUMBER, FLAG_NO_ANSWER,
                                          FLAG_NO_REFERENCE};

/* Every set of them, by bit (1: contradicts, 2: last number, 4: no answer,
 * 8: no reference), for tf_facts.flags, which must outlive verify. */
#define C FLAG_CONTRADICTS
#define L FLAG_LAST_NUMBER
#define N FLAG_NO_ANSWER
#define R FLAG_NO_REFERENCE
static const char *const flag_sets[16][4] = {
    {NULL}, {C},    {L},    {C, L},    {N},    {C, N},    {L, N},    {C, L, N},
    {R},    {C, R}, {L, R}, {C, L, R}, {N, R}, {C, N, R}, {L, N, R}, {C, L, N, R},
};
#undef C
#undef L
#undef N
#undef R

/* ----- verify ------------------------------------------------------------------------ */

/* The steps of both parts, the final answer of the answer part, and the
 * verdicts (docs/arith.md, "The arith domain"). */
typedef struct verdict {
    tf_arith_scan *rs, *as; /* the scans of the reasoning part (NULL: none) and the answer */
    part_tally rt, at;      /* their written steps */
    tf_arith_answer ans;    /* the final answer */
    tf_arith_answer rans;   /* the reasoning part's own stated answer, if any */
} verdict;

static tf_err scan_parts(const arith_cfg *c, const tf_parts *out, verdict *v, tf_diag *d)
{
    tf_diag why = {{0}};
    tf_err err = TF_OK;
    if (out->reasoning) {
        err = tf_arith_scan_text(out->reasoning, out->reasoning_len, &c->opts, &v->rs, &why);
        if (err == TF_ERR_TOO_BIG)
            tf_diag_set(d, "reasoning part: %s", why.msg);
    }
    if (err == TF_OK) {
        err = tf_arith_scan_text(out->answer, out->answer_len, &c->opts, &v->as, &why);
        if (err == TF_ERR_TOO_BIG)
            tf_diag_set(d, "%s%s", out->reasoning ? "answer part: " : "", why.msg);
    }
    if (err == TF_OK) {
        err = tf_arith_find_answer(out->answer, out->answer_len, &c->opts, &v->ans);
        if (err == TF_OK && out->reasoning)
            err = tf_arith_find_answer(out->reasoning, out->reasoning_len, &c->opts, &v->rans);
        if (err == TF_ERR_TOO_BIG)
            tf_diag_set(d, "final answer: a line of more than %ld tokens",
                        (long)TF_ARITH_MAX_LINE_TOKENS);
    }
    if (err == TF_OK) {
        tally_part(v->rs, &v->rt); /* an empty tally without a reasoning part */
        tally_part(v->as, &v->at);
    }
    return err;
}

/* The reasoning part's result (docs/arith.md): the answer it states itself
 * ("#### 18", "\boxed{18}", "the answer is 18"; *how is its form), else the
 * right side of its last step (*how "last_step"); NULL when it has neither. */
static const mpq_t *reasoning_result(const verdict *v, const char **how)
{
    *how = NULL;
    if (!v->rs)
        return NULL;
    if (v->rans.status == TF_ARITH_ANSWER_FOUND && v->rans.method != TF_ARITH_ANS_LAST_NUMBER) {
        *how = tf_arith_method_name(v->rans.method);
        return &v->rans.value;
    }
    const tf_arith_step *last = tf_arith_scan_last_result(v->rs);
    if (!last)
        return NULL;
    *how = "last_step";
    return &last->rhs;
}

/* Does text[0..n) write the value of a anywhere, as a plain number
 * ("18", "1,200", "4.50"; within rel_tol)? Linear: each number is read
 * once, and one over the digit cap is skipped. */
static bool writes_value(const char *text, size_t n, const tf_arith_answer *a, double rel_tol)
{
    mpq_t x;
    mpq_init(x);
    bool found = false;
    size_t i = 0;
    while (!found && i < n) {
        if (!isdigit((unsigned char)text[i]) || (i > 0 && isalnum((unsigned char)text[i - 1]))) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && (isdigit((unsigned char)text[j]) ||
                         ((text[j] == ',' || text[j] == '.') && j + 1 < n &&
                          isdigit((unsigned char)text[j + 1]))))
            j++;
        if (j - i <= TF_ARITH_MAX_DIGITS &&
            tf_arith_eval(text + i, j - i, NULL, x, NULL, NULL) == TF_OK &&
            tf_arith_answer_matches(a, x, rel_tol))
            found = true;
        i = j;
    }
    mpq_clear(x);
    return found;
}

/* Does the answer part's final answer contradict the reasoning's result?
 * 1 yes, 0 no, -1 not comparable (no reasoning part, no result in it, or
 * no answer). Against a stated answer, any difference; against the last
 * step, only when the reasoning nowhere writes the answer's value either
 * (a reasoning that ends by checking a part, "16 - 7 = 9" after
 * "9 x 2 = 18", or that solves for it in algebra, "x = 18", does not
 * contradict 18). */
static int contradicts(const arith_cfg *c, const tf_parts *out, const verdict *v)
{
    const char *how;
    const mpq_t *r = reasoning_result(v, &how);
    if (!r || v->ans.status != TF_ARITH_ANSWER_FOUND)
        return -1;
    if (tf_arith_answer_matches(&v->ans, *r, c->answer_rel_tol))
        return 0;
    if (strcmp(how, "last_step") != 0)
        return 1;
    return !writes_value(out->reasoning, out->reasoning_len, &v->ans, c->answer_rel_tol);
}

static tf_err arith_verify(const void *cfgp, const void *problem, const tf_record *rec,
                           const tf_parts *out, cJSON *item, tf_facts *facts, tf_diag *d)
{
    (void)rec;
    const arith_cfg *c = cfgp;
    const arith_problem *pb = problem;
    verdict v;
    memset(&v, 0, sizeof v);
    tf_arith_answer_init(&v.ans);
    tf_arith_answer_init(&v.rans);
    tf_err err = scan_parts(c, out, &v, d);
    if (err != TF_OK) {
        tf_arith_scan_free(v.rs);
        tf_arith_scan_free(v.as);
        tf_arith_answer_clear(&v.ans);
        tf_arith_answer_clear(&v.rans);
        return err;
    }
    const part_tally *rt = &v.rt, *at = &v.at;
    long steps = rt->steps + at->steps, wrong = rt->wrong + at->wrong;
    long unparsed = rt->unparsed + at->unparsed;
    /* the first wrong step, the reasoning's first: its index over both parts */
    bool in_reasoning = rt->first >= 0;
    const part_tally *ft = in_reasoning ? rt : at;
    const char *ftext = in_reasoning ? out->reasoning : out->answer;
    long first = ft->first < 0 ? -1 : ft->first + (in_reasoning ? 0 : rt->steps);
    const wstep *fw = &ft->first_w;
    long strict = rt->strict >= 0 ? rt->strict : at->strict >= 0 ? rt->steps + at->strict : -1;
    const char *scode = rt->strict >= 0 ? rt->scode : at->scode;
    if (strict < 0 && steps == 0)
        scode = "no_steps";
    /* the answer */
    bool found = v.ans.status == TF_ARITH_ANSWER_FOUND;
    bool by_last = found && v.ans.method == TF_ARITH_ANS_LAST_NUMBER;
    int correct = !pb->has_ref ? -1 : tf_arith_answer_matches(&v.ans, pb->ref, c->answer_rel_tol);
    int contra = contradicts(c, out, &v);
    const char *rhow;
    const mpq_t *rres = reasoning_result(&v, &rhow);

    int ok = cJSON_AddNumberToObject(item, "steps", (double)steps) &&
             cJSON_AddNumberToObject(item, "steps_checked", (double)(steps - unparsed)) &&
             cJSON_AddNumberToObject(item, "steps_wrong", (double)wrong) &&
             cJSON_AddNumberToObject(item, "steps_unparsed", (double)unparsed) &&
             cJSON_AddBoolToObject(item, "trace_valid", wrong == 0) &&
             cJSON_AddBoolToObject(item, "trace_valid_strict", strict < 0 && steps > 0) &&
             tf_item_add_str(item, "first_error", first < 0 ? NULL : fw->code) &&
             tf_item_add_count(item, "first_error_step", first);
    if (ok && first >= 0)
        ok = cJSON_AddNumberToObject(item, "first_error_offset", (double)chars(ftext, fw->off)) &&
             add_quote(item, "first_error_text", ftext + fw->off, fw->len) &&
             add_quote(item, "first_error_why", fw->why, strlen(fw->why));
    else if (ok)
        ok = cJSON_AddNullToObject(item, "first_error_offset") &&
             cJSON_AddNullToObject(item, "first_error_text") &&
             cJSON_AddNullToObject(item, "first_error_why");
    ok = ok && tf_item_add_str(item, "strict_first_error", scode) &&
         tf_item_add_count(item, "strict_first_error_step", strict) &&
         add_value(item, "answer", found ? &v.ans.value : NULL) &&
         tf_item_add_str(
             item, "answer_method",
             v.ans.status == TF_ARITH_ANSWER_NONE ? NULL : tf_arith_method_name(v.ans.method)) &&
         tf_item_add_count(item, "answer_offset",
                           v.ans.status == TF_ARITH_ANSWER_NONE ? -1
                                                                : chars(out->answer, v.ans.off));
    if (ok && v.ans.status == TF_ARITH_ANSWER_UNREADABLE)
        ok = add_quote(item, "answer_error", v.ans.why, strlen(v.ans.why));
    else if (ok)
        ok = cJSON_AddNullToObject(item, "answer_error") != NULL;
    ok = ok && add_value(item, "reference_answer", pb->has_ref ? &pb->ref : NULL) &&
         add_bool_or_null(item, "answer_correct", correct) &&
         cJSON_AddBoolToObject(item, FLAG_LAST_NUMBER, by_last) &&
         cJSON_AddBoolToObject(item, FLAG_NO_ANSWER, !found) &&
         cJSON_AddBoolToObject(item, FLAG_NO_REFERENCE, !pb->has_ref) &&
         tf_item_add_count(item, "complexity", pb->complexity) &&
         cJSON_AddNumberToObject(
             item, "output_chars",
             (double)(chars(out->answer, out->answer_len) +
                      (out->reasoning ? chars(out->reasoning, out->reasoning_len) : 0)));
    /* per part, only for outputs with a reasoning part */
    if (ok && out->reasoning)
        ok = cJSON_AddNumberToObject(item, "reasoning_steps", (double)rt->steps) &&
             cJSON_AddNumberToObject(item, "reasoning_steps_wrong", (double)rt->wrong) &&
             cJSON_AddNumberToObject(item, "reasoning_steps_unparsed", (double)rt->unparsed) &&
             cJSON_AddNumberToObject(item, "answer_steps", (double)at->steps) &&
             cJSON_AddNumberToObject(item, "answer_steps_wrong", (double)at->wrong) &&
             cJSON_AddNumberToObject(item, "answer_steps_unparsed", (double)at->unparsed) &&
             tf_item_add_str(item, "first_error_part",
                             first < 0      ? NULL
                             : in_reasoning ? "reasoning"
                                            : "answer") &&
             add_value(item, "reasoning_result", rres) &&
             tf_item_add_str(item, "reasoning_result_from", rhow) &&
             add_bool_or_null(item, FLAG_CONTRADICTS, contra);
    if (ok) {
        facts->answer_valid = correct == 1;
        facts->answer_optimal = correct == 1 && !by_last;
        facts->trace_valid = wrong == 0;
        facts->trace_valid_strict = strict < 0 && steps > 0;
        facts->first_error = first < 0 ? NULL : fw->code;
        facts->strict_first_error = strict < 0 && steps > 0 ? NULL : scode;
        facts->trace_len = steps;
        facts->first_error_step = first;
        facts->complexity = pb->complexity;
        unsigned mask = (contra == 1 ? 1u : 0u) | (by_last ? 2u : 0u) | (!found ? 4u : 0u) |
                        (!pb->has_ref ? 8u : 0u);
        facts->flags = mask ? flag_sets[mask] : NULL;
        facts->nflags =
            (size_t)((mask & 1u) + (mask >> 1 & 1u) + (mask >> 2 & 1u) + (mask >> 3 & 1u));
    }
    tf_arith_scan_free(v.rs);
    tf_arith_scan_free(v.as);
    tf_arith_answer_clear(&v.ans);
    tf_arith_answer_clear(&v.rans);
    return ok ? TF_OK : TF_ERR_NOMEM;
}

const tf_domain tf_domain_arith = {
    .name = "arith",
    .answer_noun = "answer",
    .answer_false_trace = "correct_answer_false_step",
    .flags = arith_flags,
    .nflags = sizeof arith_flags / sizeof *arith_flags,
    .keys = arith_keys,
    .nkeys = sizeof arith_keys / sizeof *arith_keys,
    .section_size = sizeof(arith_section),
    .fields = arith_fields,
    .nfields = F_COUNT,
    .configure = arith_configure,
    .free_config = arith_free_config,
    .parse_record = arith_parse_record,
    .free_problem = arith_free_problem,
    .build_prompt = arith_build_prompt,
    .verify = arith_verify,
};
