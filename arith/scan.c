/* scan.c: the steps of a whole response and their verdicts (arith.h).
 *
 * Line by line (an equation never spans lines): lex the line, check each
 * calculator annotation <<...>> on its own, then find the expression spans
 * of the prose (span.c) and make a step of each "=" or "≈" whose two sides
 * hold a number and at least one of which computes something. Memory is
 * the tokens of one line plus the steps; time is linear in the text. */
#include "arith_int.h"

#include <stdlib.h>
#include <string.h>

struct tf_arith_scan {
    tf_arith_step *steps; /* in text order */
    size_t n, alloc;
    long last; /* the last result, -1: none */
};

typedef struct sc {
    const char *text;
    arith_lim L;
    tf_arith_scan *out;
    tokvec line; /* the tokens of the current line */
    tokvec ann;  /* the tokens of one annotation */
    side s[2];   /* the two sides of the step being judged */
    tf_diag *why;
} sc;

/* ----- steps ----------------------------------------------------------------- */

static tf_err new_step(sc *c, tf_arith_kind kind, tf_arith_step **out)
{
    tf_arith_scan *o = c->out;
    if (o->n >= (size_t)c->L.max_steps) {
        tf_diag_set(c->why, "more than %ld arithmetic steps", c->L.max_steps);
        return TF_ERR_TOO_BIG;
    }
    if (o->n == o->alloc) {
        size_t na = o->alloc ? o->alloc * 2 : 16;
        tf_arith_step *ns = realloc(o->steps, na * sizeof *ns);
        if (!ns)
            return TF_ERR_NOMEM;
        o->steps = ns;
        o->alloc = na;
    }
    tf_arith_step *st = &o->steps[o->n];
    memset(st, 0, sizeof *st);
    st->index = o->n++; /* the creation id until the steps are sorted */
    st->kind = kind;
    st->link = -1;
    st->ops = -1;
    mpq_init(st->lhs);
    mpq_init(st->rhs);
    *out = st;
    return TF_OK;
}

static bool parse_error(tf_arith_reason r)
{
    return r != TF_ARITH_R_NONE && r != TF_ARITH_R_UNDEFINED;
}

/* 2|a - b| <= 10^k: a is b within half a unit of 10^k. */
static bool within_half(const mpq_t a, const mpq_t b, long k)
{
    mpq_t d, u;
    mpq_init(d);
    mpq_init(u);
    mpq_sub(d, a, b);
    mpq_abs(d, d);
    mpq_add(d, d, d);
    mpz_ui_pow_ui(mpq_numref(u), 10, (unsigned long)labs(k));
    if (k < 0)
        mpq_inv(u, u);
    bool ok = mpq_cmp(d, u) <= 0;
    mpq_clear(d);
    mpq_clear(u);
    return ok;
}

/* Does the right side r, as written, round the value v? The unit is the
 * last digit r shows: its decimals, or (≈ only) the last nonzero digit
 * of an integer ("≈ 140" is to the ten). Plain "=" only rounds when
 * r shows decimals. scale: 2 when r's % is read as "/100". */
static bool rounds_to(const mpq_t v, const mpq_t r, const side *R, bool approx, int scale)
{
    long k;
    if (R->lit_decimals > 0)
        k = -(long)R->lit_decimals - scale;
    else if (approx)
        k = R->lit_zeros - scale;
    else
        return false;
    return within_half(v, r, k);
}

/* The verdict of lhs (L) = rhs (R) with both values at hand. */
static void compare(const sc *c, tf_arith_step *st, const side *L, const side *R)
{
    if (mpq_equal(L->v, R->v)) {
        st->verdict = TF_ARITH_OK;
        return;
    }
    if (!c->L.no_rounding && R->literal &&
        rounds_to(L->v, R->v, R, st->approx, R->lit_pct ? 2 : 0)) {
        st->verdict = TF_ARITH_OK;
        st->rounded = true;
        return;
    }
    /* "20/50*100 = 40%": a lone percent on the right read as points */
    if (R->literal && R->lit_pct && !L->has_pct) {
        mpq_t p;
        mpq_init(p);
        mpz_mul_ui(mpq_numref(p), mpq_numref(R->v), 100);
        mpz_set(mpq_denref(p), mpq_denref(R->v));
        mpq_canonicalize(p);
        bool eq = mpq_equal(L->v, p);
        bool rd = !eq && !c->L.no_rounding && rounds_to(L->v, p, R, st->approx, 0);
        mpq_clear(p);
        if (eq || rd) {
            st->verdict = TF_ARITH_OK;
            st->rounded = rd;
            return;
        }
    }
    /* "32 / 96 * 100% = 33.3": a share times 100% written as points */
    if (L->times100 && !R->has_pct) {
        mpq_t p;
        mpq_init(p);
        mpz_mul_ui(mpq_numref(p), mpq_numref(L->v), 100);
        mpz_set(mpq_denref(p), mpq_denref(L->v));
        mpq_canonicalize(p);
        bool eq = mpq_equal(p, R->v);
        bool rd = !eq && !c->L.no_rounding && R->literal && rounds_to(p, R->v, R, st->approx, 0);
        mpq_clear(p);
        if (eq || rd) {
            st->verdict = TF_ARITH_OK;
            st->rounded = rd;
            return;
        }
    }
    double tol = c->L.rel_tol;
    if (st->approx && c->L.approx_rel_tol > tol)
        tol = c->L.approx_rel_tol;
    if (tol > 0 && tf_arith_close(R->v, L->v, tol)) {
        st->verdict = TF_ARITH_OK;
        st->rounded = true;
        return;
    }
    /* "drank 1.5 quarts = 4 * 1.5", "48 = 100% + 20%": a lone quantity on
     * the left is a label or a conversion, not a computation */
    if (L->literal && R->has_op && (L->unit || (R->has_pct && !L->has_pct))) {
        st->verdict = TF_ARITH_UNPARSED;
        st->reason = TF_ARITH_R_AMBIGUOUS;
        arith_msg(st->why, sizeof st->why, "%s",
                  "a lone quantity on the left: a label or a conversion, not a computation");
        return;
    }
    st->verdict = TF_ARITH_WRONG;
    st->reason = TF_ARITH_R_MISMATCH;
    char a[64], b[64];
    arith_format_short(L->v, a, sizeof a);
    arith_format_short(R->v, b, sizeof b);
    arith_msg(st->why, sizeof st->why, "the left side is %s, not %s", a, b);
}

/* Fill st from its two sides (evaluated) and a context problem (NULL: none). */
static void judge(const sc *c, tf_arith_step *st, const side *L, const side *R, const char *context)
{
    st->lhs_off = L->off;
    st->lhs_len = L->len;
    st->rhs_off = R->off;
    st->rhs_len = R->len;
    if (st->kind == TF_ARITH_INLINE) {
        st->off = L->off;
        st->len = R->off + R->len > L->off ? R->off + R->len - L->off : 0;
    }
    st->ops = parse_error(L->reason) ? -1 : L->ops;
    st->has_lhs = L->reason == TF_ARITH_R_NONE;
    st->has_rhs = R->reason == TF_ARITH_R_NONE;
    if (st->has_lhs)
        mpq_set(st->lhs, L->v);
    if (st->has_rhs)
        mpq_set(st->rhs, R->v);
    if (context) {
        st->verdict = TF_ARITH_UNPARSED;
        st->reason = TF_ARITH_R_CONTEXT;
        arith_msg(st->why, sizeof st->why, "%s", context);
    } else if (parse_error(L->reason) || parse_error(R->reason)) {
        bool left = parse_error(L->reason);
        st->verdict = TF_ARITH_UNPARSED;
        st->reason = left ? L->reason : R->reason;
        arith_msg(st->why, sizeof st->why, "%s side: %s", left ? "left" : "right",
                  left ? L->why : R->why);
    } else if (L->reason == TF_ARITH_R_UNDEFINED || R->reason == TF_ARITH_R_UNDEFINED) {
        bool left = L->reason == TF_ARITH_R_UNDEFINED;
        st->verdict = TF_ARITH_WRONG;
        st->reason = TF_ARITH_R_UNDEFINED;
        arith_msg(st->why, sizeof st->why, "%s side: %s", left ? "left" : "right",
                  left ? L->why : R->why);
    } else {
        compare(c, st, L, R);
    }
}

/* ----- annotations -------------------------------------------------------------- */

typedef struct spans1 {
    size_t n, s, e;
} spans1;

static tf_err count_spans(void *ctx, tok *t, size_t m, size_t s, size_t e, size_t prev, size_t next)
{
    (void)t, (void)m, (void)prev, (void)next;
    spans1 *o = ctx;
    if (o->n++ == 0) {
        o->s = s;
        o->e = e;
    }
    return TF_OK;
}

/* The steps of annotation a (a T_ANNOT of the line); a->aux becomes the id
 * of its last step. */
static tf_err annotation(sc *c, tok *a)
{
    size_t from = a->off + 2, to = a->off + a->len - 2;
    tf_err err = arith_lex(c->text, from, to, 0, &c->L, &c->ann, c->why);
    if (err != TF_OK)
        return err;
    tok *t = c->ann.t;
    size_t m = c->ann.n;
    spans1 sp = {0, 0, 0};
    err = arith_spans(c->text, t, m, count_spans, &sp);
    if (err != TF_OK)
        return err;
    size_t neq = 0;
    for (size_t i = 0; i < m; i++)
        neq += t[i].kind == T_EQ || t[i].kind == T_APPROX;
    tf_arith_step *st;
    if (sp.n != 1 || sp.s != 0 || sp.e != m || neq == 0) {
        err = new_step(c, TF_ARITH_ANNOTATION, &st);
        if (err != TF_OK)
            return err;
        st->off = a->off;
        st->len = a->len;
        st->lhs_off = st->rhs_off = from;
        st->verdict = TF_ARITH_UNPARSED;
        st->reason = TF_ARITH_R_SYNTAX;
        arith_msg(st->why, sizeof st->why, "%s",
                  m == 0     ? "an empty annotation"
                  : neq == 0 ? "an annotation without \"=\""
                             : "the annotation is not one expression");
        a->aux = (uint32_t)st->index;
        return TF_OK;
    }
    /* every "=" is a step: a = b, b = c */
    size_t lo = 0;
    int cur = 0;
    bool first = true;
    for (size_t i = 0; i <= m; i++) {
        if (i < m && t[i].kind != T_EQ && t[i].kind != T_APPROX)
            continue;
        side *S = &c->s[cur];
        err = arith_eval_range(c->text, t, lo, i, &c->L, S);
        if (err != TF_OK)
            return err;
        if (lo == i)
            S->off = i < m ? t[i].off : to;
        if (!first) {
            err = new_step(c, TF_ARITH_ANNOTATION, &st);
            if (err != TF_OK)
                return err;
            st->off = a->off;
            st->len = a->len;
            st->approx = t[lo - 1].kind == T_APPROX;
            judge(c, st, &c->s[1 - cur], S, NULL);
            a->aux = (uint32_t)st->index;
        }
        first = false;
        cur = 1 - cur;
        lo = i + 1;
    }
    return TF_OK;
}

/* ----- prose -------------------------------------------------------------------------- */

static bool is_eq(const tok *k)
{
    return (k->kind == T_EQ || k->kind == T_APPROX) && !(k->flags & F_SKIP);
}

static bool computes(const tok *k)
{
    return (k->kind == T_WORD && k->cls == W_WORDOP) ||
           (k->kind == T_OP && !(k->flags & F_SKIP) && k->op != '^');
}

static bool word_by(const char *text, const tok *k)
{
    return k->kind == T_WORD && k->len == 2 && (text[k->off] | 32) == 'b' &&
           (text[k->off + 1] | 32) == 'y';
}

/* Why the text before a span's first step may belong to it, or NULL. */
static const char *left_context(const char *text, const tok *t, size_t prev, size_t s, size_t e)
{
    if (prev == SIZE_MAX || s >= e)
        return NULL;
    const tok *p = &t[prev], *f = &t[s];
    const tok *pp = prev > 0 ? &t[prev - 1] : NULL; /* the token before that */
    bool attached = !(f->flags & F_SPACE);
    bool sign = f->kind == T_OP && (f->op == '-' || f->op == '+');
    switch (p->kind) {
    case T_SEP:
        return (p->flags & F_SUSP) ? "a symbol before the left side may belong to it" : NULL;
    case T_WORD:
        if (p->cls == W_WORDOP)
            return "a word before the left side computes (\"times\", \"half\", \"plus\")";
        if (p->cls == W_OF) /* "half of 10 + 4"; not "a total of 9 + 6" */
            return pp && (computes(pp) || pp->kind == T_NUM || pp->kind == T_PCT ||
                          pp->kind == T_RP)
                       ? "\"of\" before the left side takes a part of it"
                       : NULL;
        if (attached)
            return "a word is attached to the left side";
        /* "25 classmates + his 1 teacher", "divided by 4 + 2" */
        if (pp && ((pp->kind == T_OP && computes(pp)) || (computes(pp) && word_by(text, p))))
            return "an operator before the word before the left side";
        /* "owes -5 + 3" reads as a sign; "apples - 3 + 1" as a minus */
        if (sign && p->cls != W_STOP &&
            !(s + 1 < e && (f->flags & F_SPACE) && !(t[s + 1].flags & F_SPACE)))
            return "the sign before the left side may be a minus of the text before it";
        return NULL;
    case T_NUM:
    case T_RP:
    case T_PCT:
    case T_SUP:
    case T_X:
        return "a number or bracket stands right before the left side";
    case T_OP:
        return "an operator before the left side has no number before it";
    default:
        return NULL;
    }
}

/* Why the text after a span's last step may belong to it, or NULL. */
static const char *right_context(const tok *t, size_t m, size_t next)
{
    if (next >= m)
        return NULL;
    const tok *n = &t[next];
    switch (n->kind) {
    case T_NUM:
        /* "15 4-packs": a number that starts a compound word */
        if (next + 1 < m && t[next + 1].kind == T_SEP && !(t[next + 1].flags & F_SPACE) &&
            t[next + 1].len == 1 && next + 2 < m && t[next + 2].kind == T_WORD &&
            !(t[next + 2].flags & F_SPACE))
            return NULL;
        return "a number stands right after the right side";
    case T_SEP:
        return (n->flags & F_SUSP) ? "a symbol after the right side may belong to it" : NULL;
    case T_X:
        return "an \"x\" after the right side";
    case T_LP:
        return (n->flags & F_SPACE) ? NULL : "a bracket after the right side";
    case T_WORD:
        if (n->cls == W_VAR && !(n->flags & F_SPACE))
            return "a letter is attached to the right side";
        if (n->cls == W_WORDOP) {
            size_t k = arith_next(t, next + 1, m);
            if (k < m && t[k].kind == T_NUM)
                return "a word after the right side computes (\"times\", \"plus\")";
        }
        return NULL;
    default:
        return NULL;
    }
}

/* Leading unmatched opening brackets of [a, b) are not part of it (they
 * open a parenthesis around the equation: "(3 + 4 = 7)"); likewise
 * trailing unmatched closing ones. */
static void strip(const tok *t, size_t *a, size_t *b, bool lead, bool trail)
{
    long bal = 0;
    for (size_t i = *a; i < *b; i++)
        bal += t[i].kind == T_LP ? 1 : t[i].kind == T_RP ? -1 : 0;
    while (lead && bal > 0) {
        size_t f = arith_next(t, *a, *b);
        if (f >= *b || t[f].kind != T_LP)
            break;
        *a = f + 1;
        bal--;
    }
    while (trail && bal < 0) {
        size_t l = arith_prev(t, *a, *b);
        if (l == SIZE_MAX || t[l].kind != T_RP)
            break;
        *b = l;
        bal++;
    }
}

static tf_err prose_span(void *ctx, tok *t, size_t m, size_t s, size_t e, size_t prev, size_t next)
{
    sc *c = ctx;
    size_t q = s;
    while (q < e && !is_eq(&t[q]))
        q++;
    if (q == e)
        return TF_OK; /* no "=": an expression, not a step */
    const char *lctx = left_context(c->text, t, prev, arith_next(t, s, e), e);
    const char *rctx = right_context(t, m, next);
    side *P = &c->s[0], *C = &c->s[1];
    bool have_prev = false, prev_eval = false;
    size_t pa = 0, pb = 0, eqtok = 0;
    size_t a = s;
    for (int k = 0;; k++) {
        size_t b = a;
        while (b < e && !is_eq(&t[b]))
            b++;
        bool last = b == e;
        size_t sa = a, sb = b;
        strip(t, &sa, &sb, k == 0, last);
        /* numbers and operations, before any evaluation */
        bool cur_eval = false;
        C->has_num = C->has_op = false;
        for (size_t i = arith_next(t, sa, sb); i < sb; i = arith_next(t, i + 1, sb)) {
            C->has_num |= t[i].kind == T_NUM;
            C->has_op |= (t[i].flags & F_BIN) != 0;
        }
        if (have_prev && P->has_num && C->has_num && (P->has_op || C->has_op)) {
            tf_err err = prev_eval ? TF_OK : arith_eval_range(c->text, t, pa, pb, &c->L, P);
            if (err != TF_OK)
                return err;
            err = arith_eval_range(c->text, t, sa, sb, &c->L, C);
            if (err != TF_OK)
                return err;
            cur_eval = true;
            tf_arith_step *st;
            err = new_step(c, TF_ARITH_INLINE, &st);
            if (err != TF_OK)
                return err;
            st->approx = t[eqtok].kind == T_APPROX;
            const char *why = k == 1 && lctx ? lctx : last && rctx ? rctx : NULL;
            judge(c, st, P, C, why);
            /* the right side is the shown result of an annotation */
            size_t f = sa;
            while (f < sb && (t[f].flags & F_SKIP))
                f++;
            if (f < sb && t[f].kind == T_ANNOT) {
                st->link = (long)t[f].aux;
                c->out->steps[t[f].aux].link = (long)st->index;
            }
        }
        if (last)
            break;
        /* the current side becomes the previous one */
        side *tmp = P;
        P = C;
        C = tmp;
        pa = sa;
        pb = sb;
        prev_eval = cur_eval;
        have_prev = true;
        eqtok = b;
        a = b + 1;
    }
    return TF_OK;
}

/* ----- the scan ------------------------------------------------------------------------- */

static int by_offset(const void *x, const void *y)
{
    const tf_arith_step *a = x, *b = y;
    if (a->off != b->off)
        return a->off < b->off ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Sort the steps into text order and turn creation ids into indices. */
static tf_err finish(tf_arith_scan *o)
{
    if (o->n == 0)
        return TF_OK;
    size_t *map = malloc(o->n * sizeof *map);
    if (!map)
        return TF_ERR_NOMEM;
    qsort(o->steps, o->n, sizeof *o->steps, by_offset);
    for (size_t i = 0; i < o->n; i++)
        map[o->steps[i].index] = i;
    size_t best_end = 0;
    for (size_t i = 0; i < o->n; i++) {
        tf_arith_step *st = &o->steps[i];
        st->index = i;
        if (st->link >= 0)
            st->link = (long)map[st->link];
        if (st->has_rhs && (o->last < 0 || st->rhs_off + st->rhs_len >= best_end)) {
            o->last = (long)i;
            best_end = st->rhs_off + st->rhs_len;
        }
    }
    free(map);
    return TF_OK;
}

void tf_arith_scan_free(tf_arith_scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        mpq_clear(s->steps[i].lhs);
        mpq_clear(s->steps[i].rhs);
    }
    free(s->steps);
    free(s);
}

tf_err tf_arith_scan_text(const char *text, size_t n, const tf_arith_opts *o, tf_arith_scan **out,
                          tf_diag *why)
{
    *out = NULL;
    tf_arith_scan *res = calloc(1, sizeof *res);
    if (!res)
        return TF_ERR_NOMEM;
    res->last = -1;
    sc c;
    c.text = text ? text : "";
    if (!text)
        n = 0;
    c.L = arith_limits(o);
    c.out = res;
    c.why = why;
    tokvec_init(&c.line, (size_t)TF_ARITH_MAX_LINE_TOKENS);
    tokvec_init(&c.ann, (size_t)TF_ARITH_MAX_LINE_TOKENS);
    side_init(&c.s[0]);
    side_init(&c.s[1]);
    tf_err err = TF_OK;
    size_t pos = 0;
    while (err == TF_OK && pos < n) {
        const char *nl = memchr(c.text + pos, '\n', n - pos);
        size_t eol = nl ? (size_t)(nl - c.text) : n;
        err = arith_lex(c.text, pos, eol, LEX_ANNOT | LEX_LINESTART, &c.L, &c.line, why);
        for (size_t i = 0; err == TF_OK && i < c.line.n; i++)
            if (c.line.t[i].kind == T_ANNOT)
                err = annotation(&c, &c.line.t[i]);
        if (err == TF_OK)
            err = arith_spans(c.text, c.line.t, c.line.n, prose_span, &c);
        pos = eol + 1;
    }
    if (err == TF_OK)
        err = finish(res);
    side_clear(&c.s[0]);
    side_clear(&c.s[1]);
    tokvec_free(&c.line);
    tokvec_free(&c.ann);
    if (err != TF_OK) {
        tf_arith_scan_free(res);
        return err;
    }
    *out = res;
    return TF_OK;
}

size_t tf_arith_scan_count(const tf_arith_scan *s)
{
    return s ? s->n : 0;
}

const tf_arith_step *tf_arith_scan_step(const tf_arith_scan *s, size_t i)
{
    return s && i < s->n ? &s->steps[i] : NULL;
}

const tf_arith_step *tf_arith_scan_last_result(const tf_arith_scan *s)
{
    return s && s->last >= 0 ? &s->steps[s->last] : NULL;
}

tf_arith_tally tf_arith_scan_tally(const tf_arith_scan *s, int kind)
{
    tf_arith_tally t = {0, 0, 0};
    for (size_t i = 0; s && i < s->n; i++) {
        const tf_arith_step *st = &s->steps[i];
        if (kind >= 0 && (int)st->kind != kind)
            continue;
        if (st->verdict == TF_ARITH_OK)
            t.ok++;
        else if (st->verdict == TF_ARITH_WRONG)
            t.wrong++;
        else
            t.unparsed++;
    }
    return t;
}

const char *tf_arith_kind_name(tf_arith_kind k)
{
    return k == TF_ARITH_ANNOTATION ? "annotation" : k == TF_ARITH_INLINE ? "inline" : NULL;
}

const char *tf_arith_verdict_name(tf_arith_verdict v)
{
    static const char *const names[] = {"ok", "wrong", "unparsed"};
    return (unsigned)v < 3 ? names[v] : NULL;
}
