/* eval.c: exact evaluation of a range of tokens (arith_int.h), the one
 * expression of tf_arith_eval, and formatting (arith.h).
 *
 * A recursive-descent parser whose every recursion (a bracket, a sign, an
 * exponent) first checks the depth against max_depth, so 10,000 nested
 * brackets are "nested too deep" after max_depth frames. Every result is
 * checked against max_bits after each operation, and a power is refused
 * before it is computed when its result would pass the cap.
 *
 *   sum     := term (('+' | '-') term)*
 *   term    := unary (('*' | '/' | of) unary | implicit power)*
 *   unary   := ('+' | '-') unary | power
 *   power   := postfix ('^' unary)?
 *   postfix := primary ('%' | '²' | '³')*
 *   primary := number [\frac{int}{int}] | ( sum ) | [ sum ] | { sum }
 *            | \frac { sum } { sum }
 */
#include "arith_int.h"

#include "tracefarm/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t arith_vulgar(const char *p, size_t left, int *num, int *den);

typedef struct ev {
    const char *text;
    const tok *t;
    size_t i, end;
    const arith_lim *L;
    int depth;
    long ops;
    tf_arith_reason err; /* the first error; NONE while all is well */
    const char *undef;   /* what first made a value undefined */
    char *why;
    size_t whyn;
    char digits[ARITH_DIGITS_CEIL + 1];
} ev;

/* A value and what the rules need to know of it. */
typedef struct val {
    mpq_t q;
    bool undef; /* division by zero (or 0^0) somewhere inside: no value */
    bool pct;   /* a bare percent ("20%"): its sum with a plain number is ambiguous */
} val;

static void val_init(val *v)
{
    mpq_init(v->q);
    v->undef = false;
    v->pct = false;
}

static void val_clear(val *v)
{
    mpq_clear(v->q);
}

static bool fail(ev *e, tf_arith_reason r, const char *fmt, const char *arg)
{
    if (e->err == TF_ARITH_R_NONE) {
        e->err = r;
        arith_msg(e->why, e->whyn, fmt, arg ? arg : "");
    }
    return false;
}

static const tok *peek(ev *e)
{
    e->i = arith_next(e->t, e->i, e->end);
    return e->i < e->end ? &e->t[e->i] : NULL;
}

static bool fail_at(ev *e, tf_arith_reason r, const char *fmt)
{
    const tok *k = peek(e);
    char q[40] = "the end";
    if (k)
        arith_tok_text(e->text, k, q, sizeof q);
    return fail(e, r, fmt, q);
}

static bool enter(ev *e)
{
    if (++e->depth > e->L->max_depth) {
        char n[24];
        snprintf(n, sizeof n, "%d", e->L->max_depth);
        return fail(e, TF_ARITH_R_TOO_DEEP, "nested too deep (over %s levels)", n);
    }
    return true;
}

static bool size_ok(ev *e, const val *v)
{
    if (v->undef)
        return true;
    if ((long)mpz_sizeinbase(mpq_numref(v->q), 2) > e->L->max_bits ||
        (long)mpz_sizeinbase(mpq_denref(v->q), 2) > e->L->max_bits) {
        char n[24];
        snprintf(n, sizeof n, "%ld", e->L->max_bits);
        return fail(e, TF_ARITH_R_TOO_LARGE, "a result of more than %s bits", n);
    }
    return true;
}

/* ----- number literals ------------------------------------------------------ */

/* The value of number token k. */
static bool literal(ev *e, const tok *k, val *out)
{
    if (k->flags & F_LONG) {
        char n[24];
        snprintf(n, sizeof n, "%d", e->L->max_digits);
        return fail(e, TF_ARITH_R_TOO_LONG, "a number of more than %s digits", n);
    }
    if (k->flags & F_BAD) {
        char q[40];
        arith_tok_text(e->text, k, q, sizeof q);
        return fail(e, TF_ARITH_R_BAD_NUMBER, "%s is not a number (thousands are grouped by 3)", q);
    }
    const char *p = e->text + k->off;
    size_t n = k->len, nd = 0, i = 0;
    long decimals = 0;
    bool point = false;
    int vn = 0, vd = 1;
    while (i < n) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            if (nd < ARITH_DIGITS_CEIL)
                e->digits[nd++] = c;
            if (point)
                decimals++;
            i++;
        } else if (c == '.') {
            point = true;
            i++;
        } else if (c == ',') {
            i++;
        } else {
            size_t l = arith_vulgar(p + i, n - i, &vn, &vd);
            i += l ? l : 1;
        }
    }
    if (nd == 0)
        e->digits[nd++] = '0';
    e->digits[nd] = '\0';
    mpz_set_str(mpq_numref(out->q), e->digits, 10);
    mpz_ui_pow_ui(mpq_denref(out->q), 10, (unsigned long)decimals);
    mpq_canonicalize(out->q);
    if (vn) {
        mpq_t f;
        mpq_init(f);
        mpq_set_ui(f, (unsigned long)vn, (unsigned long)vd);
        mpq_add(out->q, out->q, f);
        mpq_clear(f);
    }
    out->undef = false;
    out->pct = false;
    return true;
}

/* An integer literal: no decimals, no ½, not refused. */
static bool plain_integer(const ev *e, const tok *k)
{
    return k && k->kind == T_NUM && !(k->flags & (F_BAD | F_LONG | F_VULGAR)) &&
           !memchr(e->text + k->off, '.', k->len);
}

/* ----- the grammar -------------------------------------------------------------- */

static bool sum(ev *e, val *out);
static bool unary(ev *e, val *out);

/* "{" sum "}" */
static bool brace_arg(ev *e, val *out)
{
    const tok *k = peek(e);
    if (!k || k->kind != T_LP || k->op != '{')
        return fail_at(e, TF_ARITH_R_SYNTAX, "\\frac needs {a}{b}, not %s");
    e->i++;
    if (!sum(e, out))
        return false;
    k = peek(e);
    if (!k || k->kind != T_RP || k->op != '{')
        return fail_at(e, TF_ARITH_R_SYNTAX, "expected \"}\", not %s");
    e->i++;
    return true;
}

/* acc = acc / b; undefined when b is 0 */
static void divide(ev *e, val *acc, const val *b)
{
    if (!acc->undef && !b->undef && mpq_sgn(b->q) == 0 && !e->undef)
        e->undef = "division by zero";
    if (acc->undef || b->undef || mpq_sgn(b->q) == 0)
        acc->undef = true;
    else
        mpq_div(acc->q, acc->q, b->q);
    acc->pct = false;
}

/* A mixed number "2\frac{1}{2}": the \frac's arguments must be plain
 * integers, the numerator below the denominator; else the reading (sum or
 * product) is not clear. */
static bool mixed(ev *e, val *out)
{
    size_t at = e->i; /* the \frac */
    const tok *t = e->t;
    size_t end = e->end;
    /* \frac { n1 } { n2 }: positions j, n1, r1, l2, n2, r2 */
    size_t j = arith_next(t, at + 1, end);
    size_t n1 = j < end ? arith_next(t, j + 1, end) : end;
    size_t r1 = n1 < end ? arith_next(t, n1 + 1, end) : end;
    size_t l2 = r1 < end ? arith_next(t, r1 + 1, end) : end;
    size_t n2 = l2 < end ? arith_next(t, l2 + 1, end) : end;
    size_t r2 = n2 < end ? arith_next(t, n2 + 1, end) : end;
    bool simple = r2 < end && t[j].kind == T_LP && t[j].op == '{' && plain_integer(e, &t[n1]) &&
                  t[r1].kind == T_RP && t[l2].kind == T_LP && plain_integer(e, &t[n2]) &&
                  t[r2].kind == T_RP;
    if (!simple)
        return fail(e, TF_ARITH_R_AMBIGUOUS,
                    "a number next to \\frac: a mixed number or a product?%s", NULL);
    val a, b;
    val_init(&a);
    val_init(&b);
    bool ok = literal(e, &t[n1], &a) && literal(e, &t[n2], &b);
    if (ok && (mpq_sgn(b.q) == 0 || mpq_cmp(a.q, b.q) >= 0))
        ok = fail(e, TF_ARITH_R_AMBIGUOUS,
                  "a number next to \\frac: a mixed number or a product?%s", NULL);
    if (ok) {
        mpq_div(a.q, a.q, b.q);
        mpq_add(out->q, out->q, a.q);
        e->i = r2 + 1;
        ok = size_ok(e, out);
    }
    val_clear(&a);
    val_clear(&b);
    return ok;
}

static bool primary(ev *e, val *out)
{
    const tok *k = peek(e);
    if (!k)
        return fail(e, TF_ARITH_R_SYNTAX, "expected a number at the end%s", NULL);
    if (k->kind == T_NUM) {
        if (!literal(e, k, out) || !size_ok(e, out))
            return false;
        e->i++;
        if (k->flags & F_MIXED) { /* "3 1/2": the builder checked the form */
            const tok *n = peek(e);
            size_t d = arith_next(e->t, e->i + 2, e->end);
            val a, b;
            val_init(&a);
            val_init(&b);
            bool ok = n && d < e->end && literal(e, n, &a) && literal(e, &e->t[d], &b) &&
                      mpq_sgn(b.q) != 0;
            if (ok) {
                mpq_div(a.q, a.q, b.q);
                mpq_add(out->q, out->q, a.q);
                e->i = d + 1;
            }
            val_clear(&a);
            val_clear(&b);
            if (!ok)
                return fail(e, TF_ARITH_R_SYNTAX, "a broken mixed number%s", NULL);
            return size_ok(e, out);
        }
        const tok *n = peek(e);
        if (n && n->kind == T_FRAC) {
            if (!plain_integer(e, k))
                return fail(e, TF_ARITH_R_AMBIGUOUS,
                            "a number next to \\frac: a mixed number or a product?%s", NULL);
            return mixed(e, out);
        }
        return true;
    }
    if (k->kind == T_LP) {
        int open = k->op;
        if (!enter(e))
            return false;
        e->i++;
        if (!sum(e, out))
            return false;
        const tok *c = peek(e);
        if (!c || c->kind != T_RP || c->op != open) {
            char want[4] = {open == '(' ? ')' : open == '[' ? ']' : '}', '\0'};
            char msg[64];
            snprintf(msg, sizeof msg, "expected \"%s\", not %%s", want);
            return fail_at(e, TF_ARITH_R_SYNTAX, msg);
        }
        e->i++;
        e->depth--;
        out->pct = false;
        return true;
    }
    if (k->kind == T_FRAC) {
        if (!enter(e))
            return false;
        e->i++;
        val d;
        val_init(&d);
        bool ok = brace_arg(e, out) && brace_arg(e, &d);
        if (ok) {
            divide(e, out, &d);
            e->ops++;
            ok = size_ok(e, out);
        }
        val_clear(&d);
        e->depth--;
        return ok;
    }
    if (k->kind == T_WORD && k->cls == W_VAR) {
        char q[40];
        arith_tok_text(e->text, k, q, sizeof q);
        return fail(e, TF_ARITH_R_VARIABLE, "%s is a variable", q);
    }
    return fail_at(e, TF_ARITH_R_SYNTAX, "expected a number, not %s");
}

static bool postfix(ev *e, val *out)
{
    if (!primary(e, out))
        return false;
    for (;;) {
        const tok *k = peek(e);
        if (k && k->kind == T_PCT) {
            e->i++;
            if (!out->undef) {
                mpq_t h;
                mpq_init(h);
                mpq_set_ui(h, 1, 100);
                mpq_mul(out->q, out->q, h);
                mpq_clear(h);
            }
            out->pct = true;
        } else if (k && k->kind == T_SUP) {
            e->i++;
            e->ops++;
            if (!out->undef) {
                mpz_pow_ui(mpq_numref(out->q), mpq_numref(out->q), k->op);
                mpz_pow_ui(mpq_denref(out->q), mpq_denref(out->q), k->op);
            }
            out->pct = false;
            if (!size_ok(e, out))
                return false;
        } else {
            return true;
        }
    }
}

/* out = out ^ x, x an integer of at most max_exponent, refused before it
 * is computed when the result would pass max_bits. */
static bool raise(ev *e, val *out, const val *x)
{
    e->ops++;
    out->pct = false;
    if (out->undef || x->undef) {
        out->undef = true;
        return true;
    }
    char q[48];
    if (mpz_cmp_ui(mpq_denref(x->q), 1) != 0) {
        arith_format_short(x->q, q, sizeof q);
        return fail(e, TF_ARITH_R_EXPONENT, "the exponent %s is not an integer", q);
    }
    if (mpz_cmpabs_ui(mpq_numref(x->q), (unsigned long)e->L->max_exponent) > 0) {
        arith_format_short(x->q, q, sizeof q);
        return fail(e, TF_ARITH_R_EXPONENT, "the exponent %s is over the cap", q);
    }
    long n = mpz_get_si(mpq_numref(x->q));
    unsigned long an = (unsigned long)labs(n);
    if (mpq_sgn(out->q) == 0 && n <= 0) {
        if (!e->undef)
            e->undef = n == 0 ? "0^0 is undefined" : "a negative power of 0 (division by zero)";
        out->undef = true;
        return true;
    }
    /* the result has at least (bits - 1) * |n| + 1 bits */
    size_t bn = mpz_sizeinbase(mpq_numref(out->q), 2);
    size_t bd = mpz_sizeinbase(mpq_denref(out->q), 2);
    size_t big = bn > bd ? bn : bd;
    if ((double)(big - 1) * (double)an >= (double)e->L->max_bits) {
        char c[24];
        snprintf(c, sizeof c, "%ld", e->L->max_bits);
        return fail(e, TF_ARITH_R_TOO_LARGE, "a result of more than %s bits", c);
    }
    mpz_pow_ui(mpq_numref(out->q), mpq_numref(out->q), an);
    mpz_pow_ui(mpq_denref(out->q), mpq_denref(out->q), an);
    if (n < 0)
        mpq_inv(out->q, out->q);
    return size_ok(e, out);
}

static bool power(ev *e, val *out)
{
    if (!postfix(e, out))
        return false;
    const tok *k = peek(e);
    if (!k || k->kind != T_OP || k->op != '^')
        return true;
    e->i++;
    if (!enter(e))
        return false;
    val x;
    val_init(&x);
    bool ok = unary(e, &x) && raise(e, out, &x);
    val_clear(&x);
    e->depth--;
    return ok;
}

static bool unary(ev *e, val *out)
{
    const tok *k = peek(e);
    if (k && k->kind == T_OP && (k->op == '-' || k->op == '+')) {
        bool neg = k->op == '-';
        e->i++;
        if (!enter(e))
            return false;
        bool ok = unary(e, out);
        e->depth--;
        if (ok && neg && !out->undef)
            mpq_neg(out->q, out->q);
        return ok;
    }
    return power(e, out);
}

static bool term(ev *e, val *out)
{
    if (!unary(e, out))
        return false;
    bool divided = false;
    for (;;) {
        const tok *k = peek(e);
        int op;
        if (k && k->kind == T_OP && (k->op == '*' || k->op == '/' || k->op == 'o')) {
            op = k->op;
            e->i++;
            /* "1 1/2 / 1/2", "12 / 3/4": a spaced division by a tight fraction */
            const tok *n = peek(e);
            if (op == '/' && (k->flags & F_SPACE) && n && n->kind == T_NUM && e->i + 2 < e->end &&
                e->t[e->i + 1].kind == T_OP && e->t[e->i + 1].op == '/' &&
                !(e->t[e->i + 1].flags & (F_SPACE | F_SKIP)) && e->t[e->i + 2].kind == T_NUM)
                return fail(e, TF_ARITH_R_AMBIGUOUS,
                            "a division by a fraction without brackets (12 / 3/4)%s", NULL);
        } else if (k && (k->flags & F_BIN) &&
                   ((k->kind == T_LP && (k->op == '(' || k->op == '[')) || k->kind == T_FRAC)) {
            if (divided)
                return fail(e, TF_ARITH_R_AMBIGUOUS,
                            "a product written without a sign after a division (6/2(1+2))%s", NULL);
            op = 'i'; /* implicit product */
        } else {
            return true;
        }
        val r;
        val_init(&r);
        bool ok = op == 'i' ? power(e, &r) : unary(e, &r);
        if (ok) {
            e->ops++;
            if (op == '/') {
                divide(e, out, &r);
                divided = true;
            } else {
                if (out->undef || r.undef)
                    out->undef = true;
                else
                    mpq_mul(out->q, out->q, r.q);
                out->pct = false;
            }
            ok = size_ok(e, out);
        }
        val_clear(&r);
        if (!ok)
            return false;
    }
}

static bool sum(ev *e, val *out)
{
    if (!term(e, out))
        return false;
    for (;;) {
        const tok *k = peek(e);
        if (!k || k->kind != T_OP || (k->op != '+' && k->op != '-'))
            return true;
        int op = k->op;
        e->i++;
        val r;
        val_init(&r);
        bool ok = term(e, &r);
        if (ok && out->pct != r.pct)
            ok = fail(e, TF_ARITH_R_AMBIGUOUS,
                      "a percent added to a plain number (percent of what?)%s", NULL);
        if (ok) {
            e->ops++;
            if (out->undef || r.undef)
                out->undef = true;
            else if (op == '+')
                mpq_add(out->q, out->q, r.q);
            else
                mpq_sub(out->q, out->q, r.q);
            out->pct = out->pct && r.pct;
            ok = size_ok(e, out);
        }
        val_clear(&r);
        if (!ok)
            return false;
    }
}

/* ----- sides ------------------------------------------------------------------------ */

void side_init(side *s)
{
    memset(s, 0, sizeof *s);
    mpq_init(s->v);
}

void side_clear(side *s)
{
    mpq_clear(s->v);
}

/* The facts of tokens [a, b) that do not need evaluation. */
static void side_facts(const char *text, const tok *t, size_t a, size_t b, side *s)
{
    int nums = 0;
    const tok *num = NULL;
    bool var = false;
    s->has_num = s->has_op = s->has_pct = s->literal = s->lit_pct = false;
    s->lit_decimals = s->lit_zeros = 0;
    for (size_t i = arith_next(t, a, b); i < b; i = arith_next(t, i + 1, b)) {
        const tok *k = &t[i];
        if (k->kind == T_NUM) {
            nums++;
            num = k;
        }
        if (k->flags & F_BIN)
            s->has_op = true;
        if (k->kind == T_PCT)
            s->has_pct = true;
        if (k->kind == T_WORD && k->cls == W_VAR)
            var = true;
    }
    s->has_num = nums > 0;
    s->unit = false;
    for (size_t i = a; i < b; i++)
        s->unit |= t[i].kind == T_WORD && (t[i].flags & F_SKIP);
    size_t l3 = arith_prev(t, a, b);
    size_t l2 = l3 == SIZE_MAX ? SIZE_MAX : arith_prev(t, a, l3);
    size_t l1 = l2 == SIZE_MAX ? SIZE_MAX : arith_prev(t, a, l2);
    s->times100 = l1 != SIZE_MAX && t[l1].kind == T_OP && t[l1].op == '*' && t[l2].kind == T_NUM &&
                  t[l2].len == 3 && memcmp(text + t[l2].off, "100", 3) == 0 && t[l3].kind == T_PCT;
    /* one literal: no operation but its percent */
    bool only_pct = true;
    for (size_t i = arith_next(t, a, b); i < b; i = arith_next(t, i + 1, b))
        if ((t[i].flags & F_BIN) && t[i].kind != T_PCT)
            only_pct = false;
    if (nums == 1 && only_pct && !var && !(num->flags & (F_BAD | F_LONG))) {
        s->literal = true;
        s->lit_pct = s->has_pct;
        const char *p = text + num->off;
        bool point = false;
        int zeros = 0;
        for (size_t i = 0; i < num->len; i++) {
            if (p[i] == '.')
                point = true;
            else if (p[i] >= '0' && p[i] <= '9') {
                if (point)
                    s->lit_decimals++;
                zeros = p[i] == '0' ? zeros + 1 : 0;
            }
        }
        s->lit_zeros = point || (num->flags & F_VULGAR) ? 0 : zeros;
    }
}

tf_err arith_eval_range(const char *text, const tok *t, size_t a, size_t b, const arith_lim *L,
                        side *s)
{
    s->reason = TF_ARITH_R_NONE;
    s->why[0] = '\0';
    s->ops = 0;
    side_facts(text, t, a, b, s);
    size_t f = arith_next(t, a, b), l = arith_prev(t, a, b);
    s->off = f < b ? t[f].off : (a < b ? t[a].off : 0);
    s->len = f < b && l != SIZE_MAX ? t[l].off + t[l].len - t[f].off : 0;
    ev *e = malloc(sizeof *e);
    if (!e)
        return TF_ERR_NOMEM;
    e->text = text;
    e->t = t;
    e->i = a;
    e->end = b;
    e->L = L;
    e->depth = 0;
    e->ops = 0;
    e->err = TF_ARITH_R_NONE;
    e->undef = NULL;
    e->why = s->why;
    e->whyn = sizeof s->why;
    /* a variable anywhere makes the side unreadable, whatever else it holds */
    for (size_t i = f; i < b; i = arith_next(t, i + 1, b)) {
        if (t[i].kind == T_WORD && t[i].cls == W_VAR) {
            char q[40];
            arith_tok_text(text, &t[i], q, sizeof q);
            fail(e, TF_ARITH_R_VARIABLE, "%s is a variable", q);
            break;
        }
    }
    val v;
    val_init(&v);
    if (e->err == TF_ARITH_R_NONE && f >= b)
        fail(e, TF_ARITH_R_SYNTAX, "nothing to compute%s", NULL);
    if (e->err == TF_ARITH_R_NONE && sum(e, &v) && peek(e))
        fail_at(e, TF_ARITH_R_SYNTAX, "unexpected %s");
    s->ops = e->ops;
    if (e->err != TF_ARITH_R_NONE) {
        s->reason = e->err;
    } else if (v.undef) {
        s->reason = TF_ARITH_R_UNDEFINED;
        arith_msg(s->why, sizeof s->why, "%s", e->undef ? e->undef : "undefined");
    } else {
        mpq_set(s->v, v.q);
    }
    val_clear(&v);
    free(e);
    return TF_OK;
}

/* ----- tf_arith_eval ----------------------------------------------------------------- */

const char *tf_arith_reason_name(tf_arith_reason r)
{
    static const char *const names[] = {
        "none",     "mismatch",        "undefined",       "syntax",
        "variable", "ambiguous",       "context",         "bad_number",
        "exponent", "nested_too_deep", "number_too_long", "result_too_large"};
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : NULL;
}

typedef struct one {
    size_t n;    /* spans seen */
    size_t s, e; /* the first */
} one;

static tf_err first_span(void *ctx, tok *t, size_t m, size_t s, size_t e, size_t prev, size_t next)
{
    (void)t, (void)m, (void)prev, (void)next;
    one *o = ctx;
    if (o->n++ == 0) {
        o->s = s;
        o->e = e;
    }
    return TF_OK;
}

tf_err tf_arith_eval(const char *s, size_t n, const tf_arith_opts *o, mpq_t out,
                     tf_arith_reason *reason, tf_diag *why)
{
    arith_lim L = arith_limits(o);
    tokvec v;
    tokvec_init(&v, (size_t)TF_ARITH_MAX_LINE_TOKENS);
    tf_arith_reason r = TF_ARITH_R_NONE;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err err = arith_lex(s ? s : "", 0, s ? n : 0, 0, &L, &v, &d);
    one sp = {0, 0, 0};
    if (err == TF_OK)
        err = arith_spans(s, v.t, v.n, first_span, &sp);
    side sd;
    side_init(&sd);
    if (err == TF_OK) {
        size_t first = arith_next(v.t, 0, v.n);
        size_t bad = SIZE_MAX;
        if (sp.n == 0 || sp.s != first) {
            bad = first;
        } else {
            /* after the expression: unit words only ("18 dollars", "700/week") */
            for (size_t i = sp.e; i < v.n && bad == SIZE_MAX; i++) {
                const tok *k = &v.t[i];
                bool unit = (k->kind == T_WORD && k->cls != W_VAR) ||
                            (k->kind == T_OP && k->op == '/' && i + 1 < v.n &&
                             v.t[i + 1].kind == T_WORD && v.t[i + 1].cls != W_VAR);
                if (!unit)
                    bad = i;
            }
            for (size_t i = sp.s; i < sp.e && bad == SIZE_MAX; i++)
                if (v.t[i].kind == T_EQ || v.t[i].kind == T_APPROX)
                    bad = i;
        }
        if (bad != SIZE_MAX || first >= v.n) {
            r = TF_ARITH_R_SYNTAX;
            if (first >= v.n) {
                tf_diag_set(&d, "nothing to compute");
            } else {
                char q[40];
                arith_tok_text(s, &v.t[bad], q, sizeof q);
                tf_diag_set(&d, "unexpected %s", q);
                tf_utf8_sanitize(d.msg);
            }
        } else {
            err = arith_eval_range(s, v.t, sp.s, sp.e, &L, &sd);
            if (err == TF_OK) {
                r = sd.reason;
                if (r == TF_ARITH_R_NONE)
                    mpq_set(out, sd.v);
                else
                    tf_diag_set(&d, "%s", sd.why);
            }
        }
    }
    side_clear(&sd);
    tokvec_free(&v);
    if (err == TF_OK && r != TF_ARITH_R_NONE)
        err = (r == TF_ARITH_R_TOO_DEEP || r == TF_ARITH_R_TOO_LONG || r == TF_ARITH_R_TOO_LARGE ||
               (r == TF_ARITH_R_EXPONENT && strstr(d.msg, "cap")))
                  ? TF_ERR_TOO_BIG
                  : TF_ERR_PARSE;
    if (reason)
        *reason = r;
    if (why)
        *why = d;
    return err;
}

/* ----- formatting ------------------------------------------------------------------- */

/* Terminating decimal digits of v (den = 2^a 5^b), or -1. */
static long decimal_places(const mpq_t v)
{
    mpz_t d;
    mpz_init_set(d, mpq_denref(v));
    unsigned long twos = mpz_scan1(d, 0);
    mpz_tdiv_q_2exp(d, d, twos);
    unsigned long fives = 0;
    while (mpz_divisible_ui_p(d, 5) && fives < 100000) {
        mpz_divexact_ui(d, d, 5);
        fives++;
    }
    long places = mpz_cmp_ui(d, 1) == 0 ? (long)(twos > fives ? twos : fives) : -1;
    mpz_clear(d);
    return places;
}

tf_err tf_arith_format(const mpq_t v, tf_buf *out)
{
    long places = decimal_places(v);
    tf_err err;
    if (places <= 0 || places > 40) { /* an integer, or no short decimal */
        char *s = mpq_get_str(NULL, 10, v);
        if (!s)
            return TF_ERR_NOMEM;
        err = tf_buf_puts(out, s);
        free(s);
        return err;
    }
    /* v * 10^places is an integer; print it with the point put back */
    mpz_t x, p;
    mpz_init(x);
    mpz_init(p);
    mpz_ui_pow_ui(p, 10, (unsigned long)places);
    mpz_mul(x, mpq_numref(v), p);
    mpz_divexact(x, x, mpq_denref(v));
    bool neg = mpz_sgn(x) < 0;
    mpz_abs(x, x);
    char *s = mpz_get_str(NULL, 10, x);
    mpz_clear(x);
    mpz_clear(p);
    if (!s)
        return TF_ERR_NOMEM;
    size_t n = strlen(s);
    err = neg ? tf_buf_puts(out, "-") : TF_OK;
    if (err == TF_OK && n <= (size_t)places) {
        err = tf_buf_puts(out, "0.");
        for (size_t i = n; err == TF_OK && i < (size_t)places; i++)
            err = tf_buf_puts(out, "0");
        if (err == TF_OK)
            err = tf_buf_puts(out, s);
    } else if (err == TF_OK) {
        err = tf_buf_append(out, s, n - (size_t)places);
        if (err == TF_OK)
            err = tf_buf_puts(out, ".");
        if (err == TF_OK)
            err = tf_buf_puts(out, s + n - places);
    }
    free(s);
    return err;
}

void arith_format_short(const mpq_t v, char *buf, size_t n)
{
    tf_buf b;
    tf_buf_init(&b, n > 1 ? n - 1 : 0);
    if (n == 0)
        return;
    if (tf_arith_format(v, &b) == TF_OK) {
        snprintf(buf, n, "%s", b.data ? b.data : "");
    } else {
        size_t d = mpz_sizeinbase(mpq_numref(v), 10);
        snprintf(buf, n, "a number of about %zu digits", d);
    }
    tf_buf_free(&b);
}

bool tf_arith_close(const mpq_t a, const mpq_t b, double rel_tol)
{
    if (mpq_equal(a, b))
        return true;
    if (!(rel_tol > 0) || !isfinite(rel_tol))
        return false;
    mpq_t d, t;
    mpq_init(d);
    mpq_init(t);
    mpq_sub(d, a, b);
    mpq_abs(d, d);
    mpq_set_d(t, rel_tol);
    mpq_mul(t, t, b);
    mpq_abs(t, t);
    bool ok = mpq_cmp(d, t) <= 0;
    mpq_clear(d);
    mpq_clear(t);
    return ok;
}
