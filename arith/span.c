/* span.c: where expressions start and end in prose (arith_int.h).
 *
 * A span is a maximal run of tokens that can belong to expressions joined
 * by "=" or "≈": numbers, operators, brackets, \frac, %, and unit words
 * between an operand and the operator after it ("5 apples * 2",
 * "$20/hour * 35 hours"). One pass over the tokens with a bounded look-ahead
 * (at most four unit words), so linear; no recursion. The rules are in
 * docs/arith.md ("What is a step"). */
#include "arith_int.h"

#include <string.h>

/* Unit words absorbed between an operand and an operator, at most. */
#define MAX_UNIT_WORDS 4

size_t arith_next(const tok *t, size_t i, size_t m)
{
    while (i < m && ((t[i].flags & F_SKIP) || t[i].kind == T_ANNOT))
        i++;
    return i;
}

size_t arith_prev(const tok *t, size_t s, size_t e)
{
    while (e > s) {
        e--;
        if (!(t[e].flags & F_SKIP) && t[e].kind != T_ANNOT)
            return e;
    }
    return SIZE_MAX;
}

static bool is_unit(const tok *k)
{
    return k->kind == T_WORD && k->cls == W_UNIT;
}

/* Can t[j] start an operand (after a binary operator)? */
static bool operand_start(const tok *t, size_t j, size_t m)
{
    j = arith_next(t, j, m);
    if (j >= m)
        return false;
    const tok *k = &t[j];
    if (k->kind == T_NUM || k->kind == T_FRAC || (k->kind == T_LP))
        return true;
    /* a sign only when it clearly belongs to the number: "2 x -3", not
     * "3x+1" or "3x + 1" */
    if (k->kind == T_OP && (k->op == '-' || k->op == '+') && (k->flags & F_SPACE)) {
        size_t n = arith_next(t, j + 1, m);
        return n < m && !(t[n].flags & F_SPACE) &&
               (t[n].kind == T_NUM || t[n].kind == T_LP || t[n].kind == T_FRAC);
    }
    return false;
}

/* Is t[j] an operator, "=" or "≈" (what a variable or a unit run may stand
 * before)? */
static bool op_or_eq(const tok *t, size_t j, size_t m)
{
    j = arith_next(t, j, m);
    if (j >= m)
        return false;
    const tok *k = &t[j];
    return (k->kind == T_OP && k->op != '^') || k->kind == T_EQ || k->kind == T_APPROX ||
           (k->kind == T_X && operand_start(t, j + 1, m));
}

/* Can a span start at t[i]? Every token that can start one is accepted as
 * the first token of a span (so the builder always moves on). */
static bool can_start(const tok *t, size_t i, size_t m)
{
    const tok *k = &t[i];
    switch (k->kind) {
    case T_NUM:
    case T_LP:
    case T_FRAC:
    case T_EQ:
    case T_APPROX:
        return true;
    case T_OP:
        return (k->op == '+' || k->op == '-') && !(k->flags & F_MIXED);
    case T_X:
        return op_or_eq(t, i + 1, m);
    case T_WORD:
        return k->cls == W_VAR && op_or_eq(t, i + 1, m);
    default:
        return false;
    }
}

/* Unit words from t[i] (a unit word, "/unit" or "per unit") to an operator:
 * the index after them, or 0 when they do not lead to one. */
static size_t units_to_op(const tok *t, size_t i, size_t m, int depth)
{
    size_t j = i;
    int words = 0;
    while (j < m && words <= MAX_UNIT_WORDS) {
        if (is_unit(&t[j])) {
            words++;
            j++;
        } else if (j + 1 < m &&
                   ((t[j].kind == T_OP && t[j].op == '/') ||
                    (t[j].kind == T_WORD && t[j].cls == W_PER)) &&
                   is_unit(&t[j + 1])) {
            j++;
        } else {
            break;
        }
    }
    if (words == 0 || words > MAX_UNIT_WORDS || j >= m)
        return 0;
    const tok *k = &t[j];
    bool ok = (k->kind == T_OP && k->op != '^') || k->kind == T_EQ || k->kind == T_APPROX ||
              (k->kind == T_X && operand_start(t, j + 1, m)) || (k->kind == T_RP && depth > 0);
    return ok ? j : 0;
}

/* An integer literal: no decimals, no ½, not refused. */
static bool plain_int(const char *text, const tok *k)
{
    return k->kind == T_NUM && !(k->flags & (F_BAD | F_LONG | F_VULGAR | F_MIXED)) &&
           !memchr(text + k->off, '.', k->len);
}

/* Is t[i] the fraction of a mixed number "3 1/2", after the integer
 * t[last]? The integer stands alone (no "/" or "^" before it), one space
 * apart, the fraction is written tight ("1/2") with numerator below
 * denominator, and nothing computes right after it. */
/* Compare the integers written in tokens a and b (digits and commas). */
static int cmp_int(const char *text, const tok *a, const tok *b)
{
    char x[2][64];
    const tok *k[2] = {a, b};
    for (int j = 0; j < 2; j++) {
        size_t n = 0;
        for (size_t i = 0; i < k[j]->len; i++) {
            char c = text[k[j]->off + i];
            if (c >= '0' && c <= '9' && (n > 0 || c != '0') && n + 1 < sizeof x[j])
                x[j][n++] = c;
        }
        x[j][n] = '\0';
    }
    size_t la = strlen(x[0]), lb = strlen(x[1]);
    return la != lb ? (la < lb ? -1 : 1) : strcmp(x[0], x[1]);
}

static bool mixed_number(const char *text, const tok *t, size_t m, size_t s, size_t last, size_t i)
{
    if (last == SIZE_MAX || !plain_int(text, &t[last]) || !plain_int(text, &t[i]) ||
        !(t[i].flags & F_SPACE))
        return false;
    size_t before = arith_prev(t, s, last);
    if (before != SIZE_MAX && t[before].kind == T_OP &&
        (t[before].op == '/' || t[before].op == '^'))
        return false;
    if (i + 2 >= m || t[i + 1].kind != T_OP || t[i + 1].op != '/' || (t[i + 1].flags & F_SPACE) ||
        !plain_int(text, &t[i + 2]) || (t[i + 2].flags & F_SPACE))
        return false;
    if (i + 3 < m && ((t[i + 3].kind == T_OP && t[i + 3].op == '^') || t[i + 3].kind == T_PCT ||
                      t[i + 3].kind == T_SUP))
        return false;
    return t[i].len < 40 && t[i + 2].len < 40 && cmp_int(text, &t[i], &t[i + 2]) < 0;
}

/* May "of" after the operand that ends at t[last] multiply? After a percent
 * or a fraction: "12.5% of 80", "3/4 of 12", "\frac{1}{2} of 10". */
static bool of_multiplies(const tok *t, size_t s, size_t last)
{
    if (last == SIZE_MAX)
        return false;
    if (t[last].kind == T_PCT || (t[last].kind == T_RP && t[last].op == '{'))
        return true;
    if (t[last].kind != T_NUM)
        return false;
    size_t o = arith_prev(t, s, last);
    size_t n = o == SIZE_MAX ? SIZE_MAX : arith_prev(t, s, o);
    return o != SIZE_MAX && n != SIZE_MAX && t[o].kind == T_OP && t[o].op == '/' &&
           t[n].kind == T_NUM;
}

tf_err arith_spans(const char *text, tok *t, size_t m, span_fn fn, void *ctx)
{
    bool in = false, expect = true;
    size_t s = 0, last = SIZE_MAX; /* span start; last accepted token */
    long depth = 0;
    size_t i = 0;
    while (i < m) {
        tok *k = &t[i];
        if (k->kind == T_ANNOT) { /* transparent */
            i++;
            continue;
        }
        if (!in) {
            if (!can_start(t, i, m)) {
                i++;
                continue;
            }
            in = true;
            s = i;
            expect = true;
            depth = 0;
            last = SIZE_MAX;
        }
        bool accept = false;
        size_t skip_to = 0;
        switch (k->kind) {
        case T_NUM:
            if (!expect && mixed_number(text, t, m, s, last, i)) {
                t[last].flags |= F_MIXED;
                last = i + 2;
                i += 3;
                continue;
            }
            accept = expect;
            expect = false;
            break;
        case T_PCT:
        case T_SUP:
            if (!expect) {
                accept = true;
                k->flags |= F_BIN;
            }
            break;
        case T_OP:
            if (!expect) {
                if (k->op == '/' && i + 1 < m && is_unit(&t[i + 1])) {
                    skip_to = units_to_op(t, i, m, (int)(depth > 0));
                } else {
                    accept = true;
                    k->flags |= F_BIN;
                    expect = true;
                }
            } else if ((k->op == '+' || k->op == '-') && !(k->flags & F_MIXED)) {
                accept = true;
            }
            if (accept && (k->flags & F_MIXED) && !operand_start(t, i + 1, m))
                accept = false; /* "10–15 minutes" is a range */
            break;
        case T_X:
            /* "2 x 9", "2x9", "72 x1/4", "2 x -3"; not "3x +4" */
            if (!expect && operand_start(t, i + 1, m) && i + 1 < m &&
                (t[i + 1].kind != T_OP || (k->flags & F_SPACE))) {
                k->kind = T_OP;
                k->op = '*';
                k->flags |= F_BIN;
                accept = true;
                expect = true;
            } else if ((expect || op_or_eq(t, i + 1, m))) {
                k->kind = T_WORD; /* a variable */
                k->cls = W_VAR;
                accept = true;
                expect = false;
            }
            break;
        case T_LP:
            if (expect) {
                accept = true;
            } else if ((k->op == '(' || k->op == '[') && (!(k->flags & F_SPACE) || k->len > 1)) {
                accept = true; /* implicit product: 2(3 + 4); "4 (15 minutes)" is not */
                k->flags |= F_BIN;
            } else if (last != SIZE_MAX && t[last].kind == T_RP && t[last].op == '{' &&
                       !(k->flags & F_SPACE)) {
                accept = true; /* the second argument of \frac{a}{b} */
            }
            if (accept) {
                depth++;
                expect = true;
            }
            break;
        case T_RP:
            if (depth > 0) {
                accept = true;
                depth--;
                expect = false;
            }
            break;
        case T_FRAC:
            accept = true;
            k->flags |= F_BIN;
            expect = true;
            break;
        case T_EQ:
        case T_APPROX:
            accept = true;
            expect = true;
            break;
        case T_WORD:
            if (k->cls == W_OF) {
                if (!expect && of_multiplies(t, s, last) && operand_start(t, i + 1, m)) {
                    k->kind = T_OP;
                    k->op = 'o';
                    k->flags |= F_BIN;
                    accept = true;
                    expect = true;
                }
            } else if (k->cls == W_UNIT || k->cls == W_PER) {
                if (!expect)
                    skip_to = units_to_op(t, i, m, (int)(depth > 0));
            } else if (k->cls == W_VAR) {
                if ((expect && last != SIZE_MAX) || op_or_eq(t, i + 1, m) ||
                    (!expect && !(k->flags & F_SPACE))) {
                    accept = true;
                    expect = false;
                }
            }
            break;
        default:
            break;
        }
        if (skip_to) {
            for (size_t j = i; j < skip_to; j++)
                t[j].flags |= F_SKIP;
            i = skip_to;
            continue;
        }
        if (accept) {
            last = i;
            i++;
            continue;
        }
        /* the span ends before t[i]; t[i] is looked at again as a start */
        size_t prev = s == 0 ? SIZE_MAX : arith_prev(t, 0, s);
        tf_err err = fn(ctx, t, m, s, i, prev, i);
        if (err != TF_OK)
            return err;
        in = false;
        if (!can_start(t, i, m))
            i++;
    }
    if (in) {
        size_t prev = s == 0 ? SIZE_MAX : arith_prev(t, 0, s);
        return fn(ctx, t, m, s, m, prev, m);
    }
    return TF_OK;
}
