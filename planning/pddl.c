/* pddl.c: the STRIPS subset of PDDL domains, problems and plans (pddl.h).
 *
 * A recursive-descent reader over tokens: the grammar is fixed, so nesting
 * is bounded by it and no input drives recursion. Names are stored in
 * lower case; every error names its line. */
#include "tracefarm/pddl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_kind { T_LP, T_RP, T_NAME, T_END, T_BAD } tok_kind;

typedef struct tok {
    tok_kind kind;
    const char *s; /* T_NAME: the bytes; T_BAD: the offending byte */
    size_t n;
    long line;
} tok;

/* The reader: a lexer with one token of look-ahead, and the first error. */
typedef struct rd {
    const char *text;
    size_t len, pos;
    long line;
    tok peek;
    int has_peek;
    tf_diag *d;
    tf_err err; /* TF_OK until the first error */
} rd;

static void rd_init(rd *R, const char *text, size_t len, tf_diag *d)
{
    memset(R, 0, sizeof *R);
    R->text = text;
    R->len = len;
    R->line = 1;
    R->d = d;
}

/* Names are printable ASCII: a NUL or a control byte inside a name would
 * cut it short in the model's C strings, and diagnostics stay ASCII. */
static int name_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != ';';
}

static tok lex(rd *R)
{
    tok t = {T_END, NULL, 0, 0};
    while (R->pos < R->len) {
        unsigned char c = (unsigned char)R->text[R->pos];
        if (c == '\n') {
            R->line++;
            R->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            R->pos++;
        } else if (c == ';') {
            while (R->pos < R->len && R->text[R->pos] != '\n')
                R->pos++;
        } else {
            break;
        }
    }
    t.line = R->line;
    if (R->pos >= R->len)
        return t;
    unsigned char c = (unsigned char)R->text[R->pos];
    t.s = R->text + R->pos;
    if (c == '(' || c == ')') {
        t.kind = c == '(' ? T_LP : T_RP;
        t.n = 1;
        R->pos++;
    } else if (name_byte(c)) {
        t.kind = T_NAME;
        while (R->pos < R->len && name_byte((unsigned char)R->text[R->pos]))
            R->pos++;
        t.n = (size_t)(R->text + R->pos - t.s);
    } else {
        t.kind = T_BAD;
        t.n = 1;
        R->pos++;
    }
    return t;
}

static tok next(rd *R)
{
    if (R->has_peek) {
        R->has_peek = 0;
        return R->peek;
    }
    return lex(R);
}

static tok peek(rd *R)
{
    if (!R->has_peek) {
        R->peek = lex(R);
        R->has_peek = 1;
    }
    return R->peek;
}

/* What a token is, for "found ..." in messages. */
static void tok_desc(const tok *t, char *buf, size_t n)
{
    switch (t->kind) {
    case T_LP:
        snprintf(buf, n, "'('");
        break;
    case T_RP:
        snprintf(buf, n, "')'");
        break;
    case T_END:
        snprintf(buf, n, "the end of the text");
        break;
    case T_BAD:
        snprintf(buf, n, "byte 0x%02x", (unsigned char)t->s[0]);
        break;
    case T_NAME:
        snprintf(buf, n, "'%.*s%s'", (int)(t->n > 40 ? 40 : t->n), t->s, t->n > 40 ? "..." : "");
        break;
    }
}

/* Record the first error: "line N: expected WHAT, found TOKEN". */
static int expected(rd *R, const tok *t, const char *what)
{
    if (R->err == TF_OK) {
        char found[64];
        tok_desc(t, found, sizeof found);
        tf_diag_set(R->d, "line %ld: expected %s, found %s", t->line, what, found);
        R->err = TF_ERR_PARSE;
    }
    return -1;
}

/* Record the first error with a message of its own. */
static int fail(rd *R, tf_err e, long line, const char *msg, const tok *t)
{
    if (R->err == TF_OK) {
        if (t)
            tf_diag_set(R->d, "line %ld: %s '%.*s'", line, msg, (int)(t->n > 40 ? 40 : t->n), t->s);
        else
            tf_diag_set(R->d, "line %ld: %s", line, msg);
        R->err = e;
    }
    return -1;
}

static int is_kw(const tok *t, const char *kw)
{
    size_t k = strlen(kw);
    if (t->kind != T_NAME || t->n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)t->s[i]) != kw[i])
            return 0;
    return 1;
}

static int expect(rd *R, tok_kind kind, const char *what)
{
    tok t = next(R);
    return t.kind == kind ? 0 : expected(R, &t, what);
}

static int expect_kw(rd *R, const char *kw, const char *what)
{
    tok t = next(R);
    return is_kw(&t, kw) ? 0 : expected(R, &t, what);
}

/* Copy a name token, lower-cased, into out (TF_STRIPS_MAX_NAME bytes). */
static int copy_name(rd *R, const tok *t, char *out)
{
    if (t->n >= TF_STRIPS_MAX_NAME)
        return fail(R, TF_ERR_TOO_BIG, t->line, "name longer than 63 bytes:", t);
    for (size_t i = 0; i < t->n; i++)
        out[i] = (char)tolower((unsigned char)t->s[i]);
    out[t->n] = '\0';
    return 0;
}

static int expect_name(rd *R, const char *what, char *out, tok *tp)
{
    tok t = next(R);
    if (t.kind != T_NAME)
        return expected(R, &t, what);
    if (tp)
        *tp = t;
    return copy_name(R, &t, out);
}

/* Skip to the ')' that closes a list whose '(' and head were read. */
static int skip_list(rd *R, long opened)
{
    long depth = 1;
    for (;;) {
        tok t = next(R);
        if (t.kind == T_LP) {
            depth++;
        } else if (t.kind == T_RP) {
            if (--depth == 0)
                return 0;
        } else if (t.kind == T_END) {
            char what[64];
            snprintf(what, sizeof what, "')' closing the list of line %ld", opened);
            return expected(R, &t, what);
        }
    }
}

/* Anything after the closing ')' of define but comments and space. */
static int expect_end(rd *R)
{
    tok t = next(R);
    return t.kind == T_END ? 0 : expected(R, &t, "the end of the text after define's ')'");
}

/* Read "?a ?b - type ?c ..." up to and including ')': variables (when
 * vars) or object names, types skipped. Names go to out[max]. */
static int typed_list(rd *R, int vars, char (*out)[TF_STRIPS_MAX_NAME], int max, int *n,
                      const char *what)
{
    *n = 0;
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            return 0;
        if (is_kw(&t, "-")) {
            tok ty = next(R);
            if (ty.kind == T_LP) { /* (either t1 t2) */
                if (skip_list(R, ty.line) != 0)
                    return -1;
            } else if (ty.kind != T_NAME) {
                return expected(R, &ty, "a type after '-'");
            }
            continue;
        }
        if (t.kind != T_NAME || (vars && t.s[0] != '?') || (!vars && t.s[0] == '?'))
            return expected(R, &t, what);
        if (*n >= max) {
            char msg[96];
            snprintf(msg, sizeof msg, "more than %d names in the list (the cap):", max);
            return fail(R, TF_ERR_TOO_BIG, t.line, msg, &t);
        }
        char name[TF_STRIPS_MAX_NAME];
        if (copy_name(R, &t, name) != 0)
            return -1;
        for (int i = 0; i < *n; i++)
            if (strcmp(out[i], name) == 0)
                return fail(R, TF_ERR_PARSE, t.line, "a name listed twice:", &t);
        memcpy(out[(*n)++], name, sizeof name);
    }
}

/* A head that is PDDL but not STRIPS: the reason it is refused, or NULL. */
static const char *refused_head(const tok *t, int effect)
{
    static const char *const fn[] = {"increase", "decrease", "assign", "scale-up", "scale-down"};
    for (size_t i = 0; i < sizeof fn / sizeof fn[0]; i++)
        if (is_kw(t, fn[i]))
            return "functions are not supported:";
    if (is_kw(t, "="))
        return "equality and functions are not supported:";
    if (is_kw(t, "when"))
        return "conditional effects are not supported:";
    if (is_kw(t, "forall") || is_kw(t, "exists"))
        return effect ? "quantified effects are not supported:"
                      : "quantified conditions are not supported:";
    if (is_kw(t, "or") || is_kw(t, "imply"))
        return "disjunctive conditions are not supported:";
    return NULL;
}

/* ---- domain ----------------------------------------------------------- */

typedef struct act_ctx {
    tf_strips_domain *dom;
    tf_strips_action *a;
    char param[TF_STRIPS_MAX_ARITY][TF_STRIPS_MAX_NAME];
    int nparam, has_params;
} act_ctx;

/* After "(" and the head: an atom of the action's parameters, to ")". */
static int action_atom(rd *R, act_ctx *C, const tok *head, tf_strips_lit *lit)
{
    char name[TF_STRIPS_MAX_NAME];
    if (copy_name(R, head, name) != 0)
        return -1;
    lit->pred = tf_strips_find_pred(C->dom, name);
    if (lit->pred < 0)
        return fail(R, TF_ERR_PARSE, head->line, "unknown predicate", head);
    int arity = C->dom->pred[lit->pred].arity, n = 0;
    for (int i = 0; i < TF_STRIPS_MAX_ARITY; i++)
        lit->arg[i] = 0;
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            break;
        if (t.kind != T_NAME)
            return expected(R, &t, "a parameter ?x or ')'");
        if (t.s[0] != '?')
            return fail(R, TF_ERR_PARSE, t.line,
                        "constants in action bodies are not supported (use a parameter):", &t);
        if (n >= arity) {
            char what[96];
            snprintf(what, sizeof what, "')' after the %d argument(s) of %s", arity, name);
            return expected(R, &t, what);
        }
        char v[TF_STRIPS_MAX_NAME];
        if (copy_name(R, &t, v) != 0)
            return -1;
        int k = -1;
        for (int i = 0; i < C->nparam && k < 0; i++)
            if (strcmp(C->param[i], v) == 0)
                k = i;
        if (k < 0)
            return fail(R, TF_ERR_PARSE, t.line, "not a parameter of the action:", &t);
        lit->arg[n++] = k;
    }
    if (n != arity) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s takes %d argument(s), not %d:", name, arity, n);
        return fail(R, TF_ERR_PARSE, head->line, msg, head);
    }
    return 0;
}

static int list_add(rd *R, tf_strips_lit *list, int *n, const tf_strips_lit *lit, long line,
                    const char *what)
{
    if (*n >= TF_STRIPS_MAX_LIST) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %d atoms in a%s list", TF_STRIPS_MAX_LIST, what);
        return fail(R, TF_ERR_TOO_BIG, line, msg, NULL);
    }
    list[(*n)++] = *lit;
    return 0;
}

/* One element of a precondition (effect: or effect) after its "(". */
static int action_elem(rd *R, act_ctx *C, int effect)
{
    tok head = next(R);
    if (head.kind != T_NAME)
        return expected(R, &head, "a predicate name");
    const char *why = refused_head(&head, effect);
    if (why)
        return fail(R, TF_ERR_PARSE, head.line, why, &head);
    tf_strips_lit lit;
    if (is_kw(&head, "not")) {
        if (!effect)
            return fail(R, TF_ERR_PARSE, head.line,
                        "negative preconditions are not supported:", &head);
        if (expect(R, T_LP, "'(' of the deleted atom") != 0)
            return -1;
        tok h = next(R);
        if (h.kind != T_NAME)
            return expected(R, &h, "a predicate name");
        if (refused_head(&h, 1) || is_kw(&h, "not") || is_kw(&h, "and"))
            return fail(R, TF_ERR_PARSE, h.line, "only an atom may be negated in an effect:", &h);
        if (action_atom(R, C, &h, &lit) != 0 || expect(R, T_RP, "')' closing (not ...)") != 0)
            return -1;
        return list_add(R, C->a->del, &C->a->ndel, &lit, h.line, " delete");
    }
    if (is_kw(&head, "and"))
        return fail(R, TF_ERR_PARSE, head.line, "a nested (and ...) is not supported:", &head);
    if (action_atom(R, C, &head, &lit) != 0)
        return -1;
    if (effect)
        return list_add(R, C->a->add, &C->a->nadd, &lit, head.line, "n add");
    return list_add(R, C->a->pre, &C->a->npre, &lit, head.line, " precondition");
}

/* A precondition or an effect: "()", one element, or "(and ...)". */
static int action_body(rd *R, act_ctx *C, int effect)
{
    if (expect(R, T_LP, effect ? "'(' of the effect" : "'(' of the precondition") != 0)
        return -1;
    tok t = peek(R);
    if (t.kind == T_RP) {
        next(R);
        return 0;
    }
    if (!is_kw(&t, "and")) {
        return action_elem(R, C, effect);
    }
    next(R);
    for (;;) {
        t = next(R);
        if (t.kind == T_RP)
            return 0;
        if (t.kind != T_LP)
            return expected(R, &t, "'(' of an atom or ')' closing (and ...)");
        if (action_elem(R, C, effect) != 0)
            return -1;
    }
}

/* After "(:action": the action, to its ")". */
static int read_action(rd *R, tf_strips_domain *dom, long opened)
{
    if (dom->nactions >= TF_STRIPS_MAX_ACTIONS)
        return fail(R, TF_ERR_TOO_BIG, opened, "more than 32 actions", NULL);
    act_ctx C;
    memset(&C, 0, sizeof C);
    C.dom = dom;
    C.a = &dom->action[dom->nactions];
    memset(C.a, 0, sizeof *C.a);
    tok nt;
    if (expect_name(R, "the action's name", C.a->name, &nt) != 0)
        return -1;
    if (tf_strips_find_action(dom, C.a->name) >= 0)
        return fail(R, TF_ERR_PARSE, nt.line, "an action defined twice:", &nt);
    int seen_pre = 0, seen_eff = 0;
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            break;
        if (is_kw(&t, ":parameters") && !C.has_params && !seen_pre && !seen_eff) {
            if (expect(R, T_LP, "'(' of the parameters") != 0)
                return -1;
            if (typed_list(R, 1, C.param, TF_STRIPS_MAX_ARITY, &C.nparam,
                           "a parameter ?x or ')'") != 0)
                return -1;
            C.has_params = 1;
            C.a->arity = C.nparam;
        } else if (is_kw(&t, ":precondition") && !seen_pre) {
            seen_pre = 1;
            if (action_body(R, &C, 0) != 0)
                return -1;
        } else if (is_kw(&t, ":effect") && !seen_eff) {
            seen_eff = 1;
            if (action_body(R, &C, 1) != 0)
                return -1;
        } else {
            return expected(R, &t,
                            "one each of :parameters, :precondition, :effect (in that order) "
                            "or ')'");
        }
    }
    dom->nactions++;
    return 0;
}

/* After "(:predicates": the predicates, to ")". */
static int read_predicates(rd *R, tf_strips_domain *dom)
{
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            return 0;
        if (t.kind != T_LP)
            return expected(R, &t, "'(' of a predicate or ')'");
        if (dom->npreds >= TF_STRIPS_MAX_PREDS)
            return fail(R, TF_ERR_TOO_BIG, t.line, "more than 32 predicates", NULL);
        tf_strips_pred *p = &dom->pred[dom->npreds];
        tok nt;
        if (expect_name(R, "a predicate name", p->name, &nt) != 0)
            return -1;
        if (p->name[0] == '?' || strcmp(p->name, "not") == 0 || strcmp(p->name, "and") == 0 ||
            strcmp(p->name, "-") == 0)
            return expected(R, &nt, "a predicate name");
        if (tf_strips_find_pred(dom, p->name) >= 0)
            return fail(R, TF_ERR_PARSE, nt.line, "a predicate declared twice:", &nt);
        char vars[TF_STRIPS_MAX_ARITY][TF_STRIPS_MAX_NAME];
        if (typed_list(R, 1, vars, TF_STRIPS_MAX_ARITY, &p->arity, "a variable ?x or ')'") != 0)
            return -1;
        dom->npreds++;
    }
}

tf_err tf_pddl_domain(const char *text, size_t len, tf_strips_domain *dom, tf_diag *d)
{
    memset(dom, 0, sizeof *dom);
    if (len > TF_PDDL_MAX_TEXT) {
        tf_diag_set(d, "domain of %zu bytes (at most %u)", len, TF_PDDL_MAX_TEXT);
        return TF_ERR_TOO_BIG;
    }
    rd R;
    rd_init(&R, text, len, d);
    if (expect(&R, T_LP, "'(' of (define (domain NAME) ...)") != 0 ||
        expect_kw(&R, "define", "define") != 0 || expect(&R, T_LP, "'(' of (domain NAME)") != 0 ||
        expect_kw(&R, "domain", "domain (this reads a domain)") != 0 ||
        expect_name(&R, "the domain's name", dom->name, NULL) != 0 ||
        expect(&R, T_RP, "')' closing (domain NAME)") != 0)
        return R.err;
    for (;;) {
        tok t = next(&R);
        if (t.kind == T_RP)
            break;
        if (t.kind != T_LP) {
            expected(&R, &t, "'(' of a section or ')' closing define");
            return R.err;
        }
        tok k = next(&R);
        int r;
        if (is_kw(&k, ":requirements") || is_kw(&k, ":types"))
            r = skip_list(&R, k.line);
        else if (is_kw(&k, ":predicates") && dom->nactions == 0)
            r = read_predicates(&R, dom);
        else if (is_kw(&k, ":action"))
            r = read_action(&R, dom, k.line);
        else if (is_kw(&k, ":constants"))
            r = fail(&R, TF_ERR_PARSE, k.line, "domain constants are not supported:", &k);
        else if (is_kw(&k, ":functions"))
            r = fail(&R, TF_ERR_PARSE, k.line, "functions are not supported:", &k);
        else if (is_kw(&k, ":derived") || is_kw(&k, ":durative-action"))
            r = fail(&R, TF_ERR_PARSE, k.line, "not a STRIPS section:", &k);
        else
            r = expected(&R, &k,
                         ":requirements, :types, :predicates (before the actions) "
                         "or :action");
        if (r != 0)
            return R.err;
    }
    if (expect_end(&R) != 0)
        return R.err;
    if (dom->nactions == 0) {
        fail(&R, TF_ERR_PARSE, R.line, "the domain has no (:action ...)", NULL);
        return R.err;
    }
    tf_err e = tf_strips_check(dom, NULL, d);
    if (e != TF_OK)
        tf_diag_prefix(d, "line %ld: ", R.line);
    return e;
}

/* ---- problem ---------------------------------------------------------- */

/* After "(" : a ground atom (its head not yet read), to ")". */
static int ground_atom(rd *R, const tf_strips_domain *dom, const tf_strips_problem *prob,
                       tf_strips_fact *f, const char *where)
{
    tok head = next(R);
    if (head.kind != T_NAME)
        return expected(R, &head, "a predicate name");
    if (is_kw(&head, "not")) {
        char msg[96];
        snprintf(msg, sizeof msg, "negative atoms in %s are not supported:", where);
        return fail(R, TF_ERR_PARSE, head.line, msg, &head);
    }
    const char *why = refused_head(&head, 0);
    if (why)
        return fail(R, TF_ERR_PARSE, head.line, why, &head);
    char name[TF_STRIPS_MAX_NAME];
    if (copy_name(R, &head, name) != 0)
        return -1;
    f->pred = tf_strips_find_pred(dom, name);
    if (f->pred < 0)
        return fail(R, TF_ERR_PARSE, head.line, "unknown predicate", &head);
    int arity = dom->pred[f->pred].arity, n = 0;
    for (int i = 0; i < TF_STRIPS_MAX_ARITY; i++)
        f->arg[i] = 0;
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            break;
        if (t.kind != T_NAME)
            return expected(R, &t, "an object or ')'");
        if (n >= arity) {
            char what[96];
            snprintf(what, sizeof what, "')' after the %d argument(s) of %s", arity, name);
            return expected(R, &t, what);
        }
        char o[TF_STRIPS_MAX_NAME];
        if (t.n >= TF_STRIPS_MAX_NAME || copy_name(R, &t, o) != 0 ||
            (f->arg[n] = tf_strips_find_object(prob, o)) < 0) {
            /* too long a name is no object either: checked before copy_name */
            return fail(R, TF_ERR_PARSE, t.line, "not an object of the problem:", &t);
        }
        n++;
    }
    if (n != arity) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s takes %d argument(s), not %d:", name, arity, n);
        return fail(R, TF_ERR_PARSE, head.line, msg, &head);
    }
    return 0;
}

static int fact_add(rd *R, tf_strips_fact *list, int *n, const tf_strips_fact *f, long line,
                    const char *what)
{
    if (*n >= TF_STRIPS_MAX_FACTS) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %d atoms in the %s", TF_STRIPS_MAX_FACTS, what);
        return fail(R, TF_ERR_TOO_BIG, line, msg, NULL);
    }
    list[(*n)++] = *f;
    return 0;
}

/* After "(:init": atoms to ")". */
static int read_init(rd *R, const tf_strips_domain *dom, tf_strips_problem *prob)
{
    for (;;) {
        tok t = next(R);
        if (t.kind == T_RP)
            return 0;
        if (t.kind != T_LP)
            return expected(R, &t, "'(' of an atom or ')' closing :init");
        tf_strips_fact f;
        if (ground_atom(R, dom, prob, &f, ":init") != 0 ||
            fact_add(R, prob->init, &prob->ninit, &f, t.line, ":init") != 0)
            return -1;
    }
}

/* After "(:goal": "()", an atom or "(and ATOM...)", then ")". */
static int read_goal(rd *R, const tf_strips_domain *dom, tf_strips_problem *prob)
{
    if (expect(R, T_LP, "'(' of the goal") != 0)
        return -1;
    tok t = peek(R);
    tf_strips_fact f;
    if (t.kind == T_RP) {
        next(R);
    } else if (is_kw(&t, "and")) {
        next(R);
        for (;;) {
            t = next(R);
            if (t.kind == T_RP)
                break;
            if (t.kind != T_LP)
                return expected(R, &t, "'(' of an atom or ')' closing (and ...)");
            if (ground_atom(R, dom, prob, &f, "the goal") != 0 ||
                fact_add(R, prob->goal, &prob->ngoal, &f, t.line, "goal") != 0)
                return -1;
        }
    } else if (ground_atom(R, dom, prob, &f, "the goal") != 0 ||
               fact_add(R, prob->goal, &prob->ngoal, &f, t.line, "goal") != 0) {
        return -1;
    }
    return expect(R, T_RP, "')' closing (:goal ...)");
}

tf_err tf_pddl_problem(const tf_strips_domain *dom, const char *text, size_t len,
                       tf_strips_problem *prob, tf_diag *d)
{
    memset(prob, 0, sizeof *prob);
    if (len > TF_PDDL_MAX_TEXT) {
        tf_diag_set(d, "problem of %zu bytes (at most %u)", len, TF_PDDL_MAX_TEXT);
        return TF_ERR_TOO_BIG;
    }
    rd R;
    rd_init(&R, text, len, d);
    char name[TF_STRIPS_MAX_NAME];
    if (expect(&R, T_LP, "'(' of (define (problem NAME) ...)") != 0 ||
        expect_kw(&R, "define", "define") != 0 || expect(&R, T_LP, "'(' of (problem NAME)") != 0 ||
        expect_kw(&R, "problem", "problem (this reads a problem)") != 0 ||
        expect_name(&R, "the problem's name", name, NULL) != 0 ||
        expect(&R, T_RP, "')' closing (problem NAME)") != 0)
        return R.err;
    /* sections in the usual order, each at most once; (:domain NAME) is
     * read, not compared: the caller chose the domain */
    int seen_dom = 0, seen_obj = 0, seen_init = 0, seen_goal = 0;
    for (;;) {
        tok t = next(&R);
        if (t.kind == T_RP)
            break;
        if (t.kind != T_LP) {
            expected(&R, &t, "'(' of a section or ')' closing define");
            return R.err;
        }
        tok k = next(&R);
        int r;
        if (is_kw(&k, ":domain") && !seen_dom) {
            seen_dom = 1;
            r = expect_name(&R, "the domain's name", name, NULL) != 0 ||
                        expect(&R, T_RP, "')' closing (:domain NAME)") != 0
                    ? -1
                    : 0;
        } else if (is_kw(&k, ":requirements")) {
            r = skip_list(&R, k.line);
        } else if (is_kw(&k, ":objects") && !seen_obj && !seen_init && !seen_goal) {
            seen_obj = 1;
            r = typed_list(&R, 0, prob->object, TF_STRIPS_MAX_OBJECTS, &prob->nobjects,
                           "an object name or ')'");
        } else if (is_kw(&k, ":init") && !seen_init && !seen_goal) {
            seen_init = 1;
            r = read_init(&R, dom, prob);
        } else if (is_kw(&k, ":goal") && !seen_goal) {
            seen_goal = 1;
            r = read_goal(&R, dom, prob);
        } else if (is_kw(&k, ":metric") || is_kw(&k, ":constraints")) {
            r = fail(&R, TF_ERR_PARSE, k.line, "not a STRIPS section:", &k);
        } else {
            r = expected(&R, &k,
                         "one each of :domain, :objects, :init, :goal (in that order) "
                         "or :requirements");
        }
        if (r != 0)
            return R.err;
    }
    if (expect_end(&R) != 0)
        return R.err;
    if (!seen_goal) {
        fail(&R, TF_ERR_PARSE, R.line, "the problem has no (:goal ...)", NULL);
        return R.err;
    }
    tf_err e = tf_strips_check(dom, prob, d);
    if (e != TF_OK)
        tf_diag_prefix(d, "line %ld: ", R.line);
    return e;
}

/* ---- plan ------------------------------------------------------------- */

/* One line "(action arg ...)" (comment stripped by the lexer) into *s.
 * 0: a step; 1: a blank line; -1: an error. */
static int plan_line(rd *R, const tf_strips_domain *dom, const tf_strips_problem *prob,
                     tf_strips_step *s)
{
    tok t = next(R);
    if (t.kind == T_END)
        return 1;
    if (t.kind != T_LP)
        return expected(R, &t, "'(' of a step (action arg ...)");
    tok h = next(R);
    if (h.kind != T_NAME)
        return expected(R, &h, "an action name");
    char name[TF_STRIPS_MAX_NAME];
    s->action = -1;
    if (h.n < TF_STRIPS_MAX_NAME && copy_name(R, &h, name) == 0)
        s->action = tf_strips_find_action(dom, name);
    if (s->action < 0)
        return fail(R, TF_ERR_PARSE, h.line, "unknown action", &h);
    int arity = dom->action[s->action].arity, n = 0;
    for (int i = 0; i < TF_STRIPS_MAX_ARITY; i++)
        s->arg[i] = -1;
    for (;;) {
        t = next(R);
        if (t.kind == T_RP)
            break;
        if (t.kind != T_NAME)
            return expected(R, &t, "an object or ')'");
        if (n < arity && t.n < TF_STRIPS_MAX_NAME && prob) {
            char o[TF_STRIPS_MAX_NAME];
            if (copy_name(R, &t, o) == 0)
                s->arg[n] = tf_strips_find_object(prob, o); /* -1: not an object */
        }
        n++;
    }
    if (n != arity) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s takes %d argument(s), not %d:", name, arity, n);
        return fail(R, TF_ERR_PARSE, h.line, msg, &h);
    }
    t = next(R);
    if (t.kind != T_END)
        return expected(R, &t, "the end of the line after the step (one step a line)");
    return 0;
}

tf_err tf_pddl_plan(const tf_strips_domain *dom, const tf_strips_problem *prob, const char *text,
                    size_t len, tf_strips_step **steps, size_t *n, tf_diag *d)
{
    *steps = NULL;
    *n = 0;
    tf_strips_step *v = NULL;
    size_t cap = 0, k = 0;
    long line = 1;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        /* each line is its own text, so a step cannot span lines */
        rd R;
        rd_init(&R, text + at, end - at, d);
        R.line = line;
        tf_strips_step s;
        int r = plan_line(&R, dom, prob, &s);
        if (r < 0) {
            free(v);
            return R.err;
        }
        if (r == 0) {
            if (k >= TF_PDDL_MAX_PLAN) {
                free(v);
                tf_diag_set(d, "line %ld: more than %d steps", line, TF_PDDL_MAX_PLAN);
                return TF_ERR_TOO_BIG;
            }
            if (k == cap) {
                size_t nc = cap ? cap * 2 : 64;
                if (nc > TF_PDDL_MAX_PLAN)
                    nc = TF_PDDL_MAX_PLAN;
                tf_strips_step *nv = realloc(v, nc * sizeof *nv);
                if (!nv) {
                    free(v);
                    return TF_ERR_NOMEM;
                }
                v = nv;
                cap = nc;
            }
            v[k++] = s;
        }
        at = end + 1;
        line++;
    }
    if (k == 0) {
        free(v);
        v = NULL;
    }
    *steps = v;
    *n = k;
    return TF_OK;
}

/* ---- the built-in Blocksworld ------------------------------------------ */

/* PlanBench's generated_domain.pddl (the IPC 4-operator Blocksworld), with
 * its predicate and precondition order: simulation reports the first unmet
 * precondition in this order. */
static const char blocksworld[] =
    "(define (domain blocksworld-4ops)\n"
    "  (:requirements :strips)\n"
    "  (:predicates (clear ?x)\n"
    "               (ontable ?x)\n"
    "               (handempty)\n"
    "               (holding ?x)\n"
    "               (on ?x ?y))\n"
    "\n"
    "  (:action pick-up\n"
    "    :parameters (?ob)\n"
    "    :precondition (and (clear ?ob) (ontable ?ob) (handempty))\n"
    "    :effect (and (holding ?ob) (not (clear ?ob)) (not (ontable ?ob))\n"
    "                 (not (handempty))))\n"
    "\n"
    "  (:action put-down\n"
    "    :parameters (?ob)\n"
    "    :precondition (holding ?ob)\n"
    "    :effect (and (clear ?ob) (handempty) (ontable ?ob)\n"
    "                 (not (holding ?ob))))\n"
    "\n"
    "  (:action stack\n"
    "    :parameters (?ob ?underob)\n"
    "    :precondition (and (clear ?underob) (holding ?ob))\n"
    "    :effect (and (handempty) (clear ?ob) (on ?ob ?underob)\n"
    "                 (not (clear ?underob)) (not (holding ?ob))))\n"
    "\n"
    "  (:action unstack\n"
    "    :parameters (?ob ?underob)\n"
    "    :precondition (and (on ?ob ?underob) (clear ?ob) (handempty))\n"
    "    :effect (and (holding ?ob) (clear ?underob)\n"
    "                 (not (on ?ob ?underob)) (not (clear ?ob)) (not (handempty)))))\n";

const char *tf_pddl_blocksworld(void)
{
    return blocksworld;
}
