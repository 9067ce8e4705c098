/* answer.c: final answers and reference solutions (arith.h).
 *
 * The answer forms are looked for in a fixed order (docs/arith.md): the
 * last "####", the last "\boxed{...}", the last "answer is" / "Answer:" /
 * line-initial "A:" with a number after it, and else the last number of
 * the text. A value is read from a window after its form (at most
 * 2 * max_digits + 64 bytes), so every search is linear in the text. */
#include "arith_int.h"

#include <stdlib.h>
#include <string.h>

const char *tf_arith_method_name(tf_arith_method m)
{
    static const char *const names[] = {"none", "hash", "boxed", "answer_is", "last_number"};
    return (unsigned)m < sizeof names / sizeof *names ? names[m] : NULL;
}

void tf_arith_answer_init(tf_arith_answer *a)
{
    memset(a, 0, sizeof *a);
    mpq_init(a->value);
}

void tf_arith_answer_clear(tf_arith_answer *a)
{
    if (a)
        mpq_clear(a->value);
}

bool tf_arith_answer_matches(const tf_arith_answer *a, const mpq_t want, double rel_tol)
{
    return a->status == TF_ARITH_ANSWER_FOUND && tf_arith_close(a->value, want, rel_tol);
}

/* ----- reading a value ------------------------------------------------------------ */

enum { M_HASH, M_BOXED, M_IS };

typedef struct finder {
    const char *text;
    size_t n;
    arith_lim L;
    tokvec v;
    side s;
    tf_arith_answer *a;
} finder;

typedef struct first1 {
    size_t n, s, e, next;
} first1;

static tf_err first_span(void *ctx, tok *t, size_t m, size_t s, size_t e, size_t prev, size_t next)
{
    (void)t, (void)m, (void)prev;
    first1 *o = ctx;
    if (o->n++ == 0) {
        o->s = s;
        o->e = e;
        o->next = next;
    }
    return TF_OK;
}

static void unreadable(finder *f, int method, size_t off, size_t len, tf_arith_reason r,
                       const char *why)
{
    tf_arith_answer *a = f->a;
    a->status = TF_ARITH_ANSWER_UNREADABLE;
    a->method = (tf_arith_method)method;
    a->off = off;
    a->len = len;
    a->reason = r;
    arith_msg(a->why, sizeof a->why, "%s", why);
}

/* Read the answer value of text[a..b) (the text after a form). Returns
 * TF_OK with *found set when it holds a value (f->a filled); for the
 * strong forms (####, \boxed) an unreadable value is an answer too
 * (UNREADABLE, *found set); for "answer is" it only means "not here". */
static tf_err read_value(finder *f, size_t a, size_t b, int mode, tf_arith_method method,
                         size_t form_off, bool *found)
{
    *found = false;
    size_t w = 2 * (size_t)f->L.max_digits + 64;
    bool cut = b - a > w;
    if (cut)
        b = a + w;
    tf_err err = arith_lex(f->text, a, b, 0, &f->L, &f->v, NULL);
    if (err != TF_OK)
        return err;
    tok *t = f->v.t;
    size_t m = f->v.n;
    first1 sp = {0, 0, 0, 0};
    err = arith_spans(f->text, t, m, first_span, &sp);
    if (err != TF_OK)
        return err;
    size_t first = arith_next(t, 0, m);
    bool strong = mode != M_IS;
    if (sp.n == 0 || sp.s != first) {
        if (strong) {
            unreadable(f, method, form_off, b - form_off, TF_ARITH_R_SYNTAX,
                       "no number where the answer should be");
            *found = true;
        }
        return TF_OK;
    }
    if (cut && sp.e == m) {
        if (strong) {
            unreadable(f, method, form_off, b - form_off, TF_ARITH_R_TOO_LONG,
                       "the answer is too long");
            *found = true;
        }
        return TF_OK;
    }
    /* the value is the last side: "\boxed{x = 5}" is 5 */
    size_t sa = sp.s, sb = sp.e;
    for (size_t i = sp.s; i < sp.e; i++)
        if ((t[i].kind == T_EQ || t[i].kind == T_APPROX) && !(t[i].flags & F_SKIP))
            sa = i + 1;
    size_t l = arith_prev(t, sa, sb);
    if (l != SIZE_MAX && t[l].kind == T_PCT)
        sb = l;        /* "#### 25%" is 25 */
    bool more = false; /* another number after the value */
    for (size_t i = sp.e; i < m && strong; i++)
        more |= t[i].kind == T_NUM;
    if (!strong && sp.next < m && t[sp.next].kind == T_NUM)
        return TF_OK; /* "the answer is 2 1/2": not read */
    err = arith_eval_range(f->text, t, sa, sb, &f->L, &f->s);
    if (err != TF_OK)
        return err;
    side *S = &f->s;
    if (!S->has_num || S->reason != TF_ARITH_R_NONE || more) {
        if (strong) {
            unreadable(f, method, S->has_num ? S->off : form_off,
                       S->has_num ? S->len : b - form_off,
                       more         ? TF_ARITH_R_AMBIGUOUS
                       : S->has_num ? S->reason
                                    : TF_ARITH_R_SYNTAX,
                       more         ? "more than one number in the answer"
                       : S->has_num ? S->why
                                    : "no number where the answer should be");
            *found = true;
        }
        return TF_OK;
    }
    tf_arith_answer *ans = f->a;
    ans->status = TF_ARITH_ANSWER_FOUND;
    ans->method = method;
    ans->off = S->off;
    ans->len = S->len;
    ans->reason = TF_ARITH_R_NONE;
    ans->why[0] = '\0';
    mpq_set(ans->value, S->v);
    *found = true;
    return TF_OK;
}

/* ----- the forms ----------------------------------------------------------------------- */

/* The end of the line at i, looked for at most 4 KiB on (a value is read
 * from a window shorter than that), so that many forms stay linear. */
static size_t line_end(const char *p, size_t i, size_t n)
{
    size_t lim = n - i > 4096 ? i + 4096 : n;
    const char *q = memchr(p + i, '\n', lim - i);
    return q ? (size_t)(q - p) : lim;
}

/* The offset of the last occurrence of lit in p[0..n), or n. */
static size_t last_of(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit), at = n, i = 0;
    while (i + k <= n) {
        const char *q = memchr(p + i, lit[0], n - i - k + 1);
        if (!q)
            break;
        i = (size_t)(q - p);
        if (memcmp(p + i, lit, k) == 0)
            at = i;
        i++;
    }
    return at;
}

static tf_err by_hash(finder *f, bool *found)
{
    size_t at = last_of(f->text, f->n, "####");
    if (at == f->n)
        return TF_OK;
    size_t i = at;
    while (i < f->n && f->text[i] == '#')
        i++;
    return read_value(f, i, line_end(f->text, i, f->n), M_HASH, TF_ARITH_ANS_HASH, at, found);
}

static tf_err by_boxed(finder *f, bool *found)
{
    const char *p = f->text;
    size_t at = last_of(p, f->n, "\\boxed");
    if (at == f->n)
        return TF_OK;
    size_t i = at + 6;
    while (i < f->n && p[i] == ' ')
        i++;
    if (i >= f->n || p[i] != '{')
        return TF_OK; /* "\boxed" in prose, no argument */
    size_t open = i;
    long depth = 0;
    for (; i < f->n; i++) {
        if (p[i] == '\\' && i + 1 < f->n) {
            i++; /* \{ \} are not grouping */
            continue;
        }
        if (p[i] == '{')
            depth++;
        else if (p[i] == '}' && --depth == 0)
            break;
    }
    if (i >= f->n) {
        unreadable(f, TF_ARITH_ANS_BOXED, at, f->n - at, TF_ARITH_R_SYNTAX,
                   "\\boxed{ without its closing brace");
        *found = true;
        return TF_OK;
    }
    return read_value(f, open + 1, i, M_BOXED, TF_ARITH_ANS_BOXED, at, found);
}

static bool ieq(const char *p, const char *lit, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if ((char)(p[i] | 32) != lit[i])
            return false;
    return true;
}

static bool is_letter(char c)
{
    return ((unsigned)c | 32u) >= 'a' && ((unsigned)c | 32u) <= 'z';
}

/* After "answer" at i: the offset of the value, or 0 when no verb or
 * punctuation links them ("the answer is", "Answer:", "answer =", "answer
 * would be"). */
static size_t after_answer(const char *p, size_t i, size_t n)
{
    size_t j = i + 6;
    while (j < n && (p[j] == ' ' || p[j] == '*'))
        j++;
    static const char *const verbs[] = {"is", "would be", "will be", "should be", "was"};
    size_t k = 0;
    if (j < n && (p[j] == ':' || p[j] == '=')) {
        k = j + 1;
    } else {
        for (size_t v = 0; v < sizeof verbs / sizeof *verbs && !k; v++) {
            size_t l = strlen(verbs[v]);
            if (j + l <= n && ieq(p + j, verbs[v], l) && (j + l == n || !is_letter(p[j + l])))
                k = j + l;
        }
        if (k && k < n && p[k] == ':')
            k++;
    }
    if (!k)
        return 0;
    while (k < n && (p[k] == ' ' || p[k] == '*' || p[k] == '"' || p[k] == '\t'))
        k++;
    return k;
}

/* "A:" first on a line (after spaces, "*" or "#"). */
static bool line_initial(const char *p, size_t i)
{
    size_t back = 0;
    while (i > 0 && back < 8 && (p[i - 1] == ' ' || p[i - 1] == '*' || p[i - 1] == '#'))
        i--, back++;
    return i == 0 || p[i - 1] == '\n';
}

static tf_err by_answer_is(finder *f, bool *found)
{
    const char *p = f->text;
    size_t n = f->n;
    for (size_t i = n; i-- > 0;) {
        size_t v = 0;
        if (i + 6 <= n && ieq(p + i, "answer", 6) && (i == 0 || !is_letter(p[i - 1])) &&
            (i + 6 == n || !is_letter(p[i + 6])))
            v = after_answer(p, i, n);
        else if (i + 2 <= n && p[i] == 'A' && p[i + 1] == ':' && line_initial(p, i))
            v = i + 2;
        if (!v)
            continue;
        tf_err err = read_value(f, v, line_end(p, v, n), M_IS, TF_ARITH_ANS_ANSWER_IS, i, found);
        if (err != TF_OK || *found)
            return err;
    }
    return TF_OK;
}

static tf_err by_last_number(finder *f, bool *found)
{
    const char *p = f->text;
    size_t end = f->n;
    for (;;) {
        size_t start = end;
        while (start > 0 && p[start - 1] != '\n')
            start--;
        tf_err err = arith_lex(p, start, end, LEX_ANNOT | LEX_LINESTART, &f->L, &f->v, NULL);
        if (err != TF_OK)
            return err;
        tok *t = f->v.t;
        for (size_t k = f->v.n; k-- > 0;) {
            if (t[k].kind != T_NUM)
                continue;
            /* a minus sign attached to it, not after an operand: "-3" */
            size_t a = k;
            if (k > 0 && t[k - 1].kind == T_OP && t[k - 1].op == '-' && !(t[k].flags & F_SPACE) &&
                (k == 1 ||
                 (t[k - 2].kind != T_NUM && t[k - 2].kind != T_RP && t[k - 2].kind != T_PCT)))
                a = k - 1;
            err = arith_eval_range(p, t, a, k + 1, &f->L, &f->s);
            if (err != TF_OK)
                return err;
            *found = true;
            if (f->s.reason != TF_ARITH_R_NONE) {
                unreadable(f, TF_ARITH_ANS_LAST_NUMBER, t[k].off, t[k].len, f->s.reason, f->s.why);
                return TF_OK;
            }
            tf_arith_answer *ans = f->a;
            ans->status = TF_ARITH_ANSWER_FOUND;
            ans->method = TF_ARITH_ANS_LAST_NUMBER;
            ans->off = t[a].off;
            ans->len = t[k].off + t[k].len - t[a].off;
            mpq_set(ans->value, f->s.v);
            return TF_OK;
        }
        if (start == 0)
            return TF_OK;
        end = start - 1;
    }
}

tf_err tf_arith_find_answer(const char *text, size_t n, const tf_arith_opts *o, tf_arith_answer *a)
{
    a->status = TF_ARITH_ANSWER_NONE;
    a->method = TF_ARITH_ANS_NONE;
    a->off = a->len = 0;
    a->reason = TF_ARITH_R_NONE;
    a->why[0] = '\0';
    mpq_set_ui(a->value, 0, 1);
    finder f;
    f.text = text ? text : "";
    f.n = text ? n : 0;
    f.L = arith_limits(o);
    f.a = a;
    tokvec_init(&f.v, (size_t)TF_ARITH_MAX_LINE_TOKENS);
    side_init(&f.s);
    bool found = false;
    tf_err err = by_hash(&f, &found);
    if (err == TF_OK && !found)
        err = by_boxed(&f, &found);
    if (err == TF_OK && !found)
        err = by_answer_is(&f, &found);
    if (err == TF_OK && !found)
        err = by_last_number(&f, &found);
    side_clear(&f.s);
    tokvec_free(&f.v);
    return err;
}

/* ----- reference solutions ------------------------------------------------------------- */

void tf_arith_reference_init(tf_arith_reference *r)
{
    tf_arith_answer_init(&r->answer);
    r->annotations = 0;
    r->complexity = -1;
    r->wrong = 0;
}

void tf_arith_reference_clear(tf_arith_reference *r)
{
    if (r)
        tf_arith_answer_clear(&r->answer);
}

tf_err tf_arith_reference_parse(const char *text, size_t n, const tf_arith_opts *o,
                                tf_arith_reference *r, tf_diag *why)
{
    r->annotations = 0;
    r->complexity = -1;
    r->wrong = 0;
    tf_arith_scan *s = NULL;
    tf_err err = tf_arith_scan_text(text, n, o, &s, why);
    if (err != TF_OK)
        return err;
    long ops = 0;
    bool known = true;
    size_t last_off = SIZE_MAX;
    for (size_t i = 0; i < tf_arith_scan_count(s); i++) {
        const tf_arith_step *st = tf_arith_scan_step(s, i);
        if (st->kind != TF_ARITH_ANNOTATION)
            continue;
        if (st->off != last_off) /* a chained annotation is one annotation */
            r->annotations++;
        last_off = st->off;
        if (st->verdict == TF_ARITH_UNPARSED || st->ops < 0)
            known = false;
        else
            ops += st->ops;
        r->wrong += st->verdict == TF_ARITH_WRONG;
    }
    tf_arith_scan_free(s);
    r->complexity = known && r->annotations > 0 ? ops : -1;
    return tf_arith_find_answer(text, n, o, &r->answer);
}
