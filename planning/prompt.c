/* prompt.c: PlanBench prompts read into planning tasks, and plans and
 * Blocksworld prompts written back (plantext.h).
 *
 * A prompt is read in three parts: the domain (before the first
 * "[STATEMENT]": the four block actions, or an action list with its
 * restriction sentences), then the problem of the last "[STATEMENT]"
 * (one-shot prompts carry a worked example first). Facts of the statement
 * are matched against templates: a sequence of words and object slots
 * ("_ is on top of _" for Blocksworld; "_ craves _" as the restrictions
 * spell it for Mystery), so that every predicate word comes from the
 * prompt itself (or from the built-in Blocksworld). */
#include "tracefarm/plantext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 80    /* bytes of input quoted in a message */
#define ITEM_MAX 16     /* words of one fact, action line or restriction head */
#define TMPL_MAX 40     /* statement templates (a predicate may have several) */
#define LINE_MAX 160    /* bytes of a normalised action line */
#define SLOT_FIRST 1000 /* slot key of "object" */
#define SLOT_OTHER 1001 /* slot key of "other object" / "another object" */

typedef struct span {
    const char *p;
    size_t n;
} span;

enum { E_WORD, E_SLOT, E_REF };

/* A word of a phrase, a parameter slot ("object", "object_1") of a
 * restriction, or an object reference ("the red block", "object b") of a
 * statement. */
typedef struct elem {
    int kind;
    int key; /* E_SLOT: SLOT_FIRST, SLOT_OTHER or N of "object_N" */
    span w;  /* E_WORD: the word; E_REF: the object's name */
} elem;

/* How object references and slots look in a phrase. */
enum { M_SLOT, M_REF_BLOCKS, M_REF_OBJECTS };

typedef struct tmpl {
    int pred;
    int n;
    int slot[ITEM_MAX];
    char w[ITEM_MAX][TF_STRIPS_MAX_NAME];
} tmpl;

/* Per action of an action list: the slot keys of its parameters. */
typedef struct ctx {
    tf_plan_task *t;
    tf_diag *d;
    int ntmpl;
    tmpl tm[TMPL_MAX];
    int slotkey[TF_STRIPS_MAX_ACTIONS][TF_STRIPS_MAX_ARITY];
    int mention[TF_STRIPS_MAX_OBJECTS]; /* first mention order, for sorting */
} ctx;

/* ---- text helpers: the input is not NUL-terminated ---- */

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static span trim(span s)
{
    while (s.n && is_space((unsigned char)s.p[0]))
        s.p++, s.n--;
    while (s.n && is_space((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

static int span_is(span s, const char *lit)
{
    size_t k = strlen(lit);
    if (s.n != k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)s.p[i]) != lit[i])
            return 0;
    return 1;
}

/* Does needle match at s[i..n)? A space in the needle matches one or more
 * whitespace bytes (so CRLF and doubled spaces read alike); letters match
 * either case. The end of the match goes to *end. */
static int match_at(const char *s, size_t n, size_t i, const char *needle, size_t *end)
{
    for (const char *q = needle; *q; q++) {
        if (*q == ' ') {
            if (i >= n || !is_space((unsigned char)s[i]))
                return 0;
            while (i < n && is_space((unsigned char)s[i]))
                i++;
        } else {
            if (i >= n || lower((unsigned char)s[i]) != *q)
                return 0;
            i++;
        }
    }
    *end = i;
    return 1;
}

/* First match of needle in s[from..n), or -1. */
static long find(const char *s, size_t n, size_t from, const char *needle, size_t *end)
{
    for (size_t i = from; i < n; i++)
        if (lower((unsigned char)s[i]) == needle[0] && match_at(s, n, i, needle, end))
            return (long)i;
    return -1;
}

/* Last match of needle in s[0..n), or -1. */
static long find_last(const char *s, size_t n, const char *needle, size_t *end)
{
    for (size_t i = n; i-- > 0;)
        if (lower((unsigned char)s[i]) == needle[0] && match_at(s, n, i, needle, end))
            return (long)i;
    return -1;
}

/* The phrase as a message may quote it: at most QUOTE_MAX bytes, bytes
 * that are not printable ASCII as '?' (so the message stays UTF-8). */
static const char *quote(span s, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n && k + 4 < cap && i < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)s.p[i];
        buf[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s.n > QUOTE_MAX && k + 4 < cap) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

static void copy_lower(char *dst, size_t cap, span s)
{
    size_t k = 0;
    for (; k < s.n && k + 1 < cap; k++)
        dst[k] = (char)lower((unsigned char)s.p[k]);
    dst[k] = '\0';
}

/* N of "object_N" (case-insensitive, N below SLOT_FIRST), or -1. */
static int object_number(span w)
{
    if (w.n < 8 || w.n > 10 || !span_is((span){w.p, 7}, "object_"))
        return -1;
    int v = 0;
    for (size_t i = 7; i < w.n; i++) {
        if (w.p[i] < '0' || w.p[i] > '9')
            return -1;
        v = v * 10 + (w.p[i] - '0');
    }
    return v < SLOT_FIRST ? v : -1;
}

/* Split s into words and classify them per mode. Punctuation other than
 * the word characters is unreadable. */
static tf_err tokenize(ctx *c, span s, int mode, elem *e, int *ne)
{
    span w[ITEM_MAX];
    int nw = 0;
    char q[QUOTE_MAX + 8];
    for (size_t i = 0; i < s.n;) {
        unsigned char ch = (unsigned char)s.p[i];
        if (is_space(ch)) {
            i++;
            continue;
        }
        if (!is_word(ch)) {
            tf_diag_set(c->d, "unexpected character in \"%s\"", quote(s, q, sizeof q));
            return TF_ERR_PARSE;
        }
        size_t j = i;
        while (j < s.n && is_word((unsigned char)s.p[j]))
            j++;
        if (j - i >= TF_STRIPS_MAX_NAME) {
            tf_diag_set(c->d, "a word longer than %d bytes in \"%s\"", TF_STRIPS_MAX_NAME - 1,
                        quote(s, q, sizeof q));
            return TF_ERR_TOO_BIG;
        }
        if (nw == ITEM_MAX) {
            tf_diag_set(c->d, "more than %d words in \"%s\"", ITEM_MAX, quote(s, q, sizeof q));
            return TF_ERR_PARSE;
        }
        w[nw++] = (span){s.p + i, j - i};
        i = j;
    }
    int n = 0;
    for (int i = 0; i < nw; n++) {
        e[n] = (elem){E_WORD, 0, w[i]};
        int num = object_number(w[i]);
        if (mode == M_SLOT) {
            if ((span_is(w[i], "other") || span_is(w[i], "another")) && i + 1 < nw &&
                span_is(w[i + 1], "object")) {
                e[n].kind = E_SLOT, e[n].key = SLOT_OTHER, i += 2;
                continue;
            }
            if (span_is(w[i], "object"))
                e[n].kind = E_SLOT, e[n].key = SLOT_FIRST;
            else if (num >= 0)
                e[n].kind = E_SLOT, e[n].key = num;
        } else if (mode == M_REF_BLOCKS) {
            if (span_is(w[i], "the") && i + 2 < nw && span_is(w[i + 2], "block")) {
                e[n].kind = E_REF, e[n].w = w[i + 1], i += 3;
                continue;
            }
        } else {
            if (span_is(w[i], "object") && i + 1 < nw) {
                e[n].kind = E_REF, e[n].w = w[i + 1], i += 2;
                continue;
            }
            if (num >= 0)
                e[n].kind = E_REF;
        }
        i++;
    }
    *ne = n;
    return TF_OK;
}

/* The next item of a list joined by "," and the word "and"; 0 at the end.
 * Items may be empty ("false:, Object Craves ..."). */
static int next_item(span *rest, span *item)
{
    if (!rest->p)
        return 0;
    const char *s = rest->p;
    size_t n = rest->n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',') {
            *item = trim((span){s, i});
            *rest = (span){s + i + 1, n - i - 1};
            return 1;
        }
        if ((i == 0 || !is_word((unsigned char)s[i - 1])) && i + 3 <= n &&
            span_is((span){s + i, 3}, "and") && (i + 3 == n || !is_word((unsigned char)s[i + 3]))) {
            *item = trim((span){s, i});
            *rest = (span){s + i + 3, n - i - 3};
            return 1;
        }
    }
    *item = trim(*rest);
    rest->p = NULL;
    rest->n = 0;
    return 1;
}

/* ---- the built-in Blocksworld ---- */

enum { P_ON, P_ONTABLE, P_CLEAR, P_HANDEMPTY, P_HOLDING, P_COUNT };
enum { A_PICKUP, A_PUTDOWN, A_STACK, A_UNSTACK, A_COUNT };

typedef struct clit {
    int pred, a0, a1;
} clit;

typedef struct cact {
    const char *name, *connector;
    int arity, npre, nadd, ndel;
    clit pre[3], add[3], del[3];
    const char *phrase[3];
} cact;

static const char *const BW_PRED[P_COUNT] = {"on", "ontable", "clear", "handempty", "holding"};
static const int BW_ARITY[P_COUNT] = {2, 1, 1, 0, 1};

/* PlanBench's domain, preconditions in its order. */
static const cact BW_ACT[A_COUNT] = {
    {"pick-up",
     "",
     1,
     3,
     1,
     3,
     {{P_CLEAR, 0, 0}, {P_ONTABLE, 0, 0}, {P_HANDEMPTY, 0, 0}},
     {{P_HOLDING, 0, 0}},
     {{P_ONTABLE, 0, 0}, {P_CLEAR, 0, 0}, {P_HANDEMPTY, 0, 0}},
     {"pick up", "pick-up", "pickup"}},
    {"put-down",
     "",
     1,
     1,
     3,
     1,
     {{P_HOLDING, 0, 0}},
     {{P_CLEAR, 0, 0}, {P_HANDEMPTY, 0, 0}, {P_ONTABLE, 0, 0}},
     {{P_HOLDING, 0, 0}},
     {"put down", "put-down", "putdown"}},
    {"stack",
     "on",
     2,
     2,
     3,
     2,
     {{P_CLEAR, 1, 0}, {P_HOLDING, 0, 0}},
     {{P_HANDEMPTY, 0, 0}, {P_CLEAR, 0, 0}, {P_ON, 0, 1}},
     {{P_CLEAR, 1, 0}, {P_HOLDING, 0, 0}},
     {"stack", NULL, NULL}},
    {"unstack",
     "from",
     2,
     3,
     2,
     3,
     {{P_ON, 0, 1}, {P_CLEAR, 0, 0}, {P_HANDEMPTY, 0, 0}},
     {{P_HOLDING, 0, 0}, {P_CLEAR, 1, 0}},
     {{P_ON, 0, 1}, {P_CLEAR, 0, 0}, {P_HANDEMPTY, 0, 0}},
     {"unstack", NULL, NULL}},
};

/* The action lines of the Blocksworld prompt, as normalised by norm_line. */
static const char *const BW_LINE[A_COUNT] = {"pick up a block", "put down a block",
                                             "stack a block on top of another block",
                                             "unstack a block from on top of another block"};

/* How statements say the facts ("_" an object: "the red block"). */
static const struct {
    int pred;
    const char *words;
} BW_SAY[] = {
    {P_ON, "_ is on top of _"},
    {P_ONTABLE, "_ is on the table"},
    {P_CLEAR, "_ is clear"},
    {P_HANDEMPTY, "the hand is empty"},
    {P_HOLDING, "i am holding _"},
    {P_HOLDING, "the hand is holding _"},
    {P_HOLDING, "the hand is currently holding _"},
};

/* PlanBench's letters for the colours: a = red, ..., l = gold. */
static const char *const COLOUR[12] = {"red",   "blue", "orange", "yellow", "white",  "magenta",
                                       "black", "cyan", "green",  "violet", "silver", "gold"};

static int colour_index(const char *name)
{
    for (int i = 0; i < 12; i++)
        if (strcmp(COLOUR[i], name) == 0)
            return i;
    return -1;
}

static void set_lits(tf_strips_lit *dst, int *n, const clit *src, int k)
{
    *n = k;
    for (int i = 0; i < k; i++)
        dst[i] = (tf_strips_lit){src[i].pred, {src[i].a0, src[i].a1, 0}};
}

static void build_blocksworld(ctx *c)
{
    tf_plan_task *t = c->t;
    tf_strips_domain *dom = &t->dom;
    t->vocab = TF_PLAN_BLOCKSWORLD;
    snprintf(dom->name, sizeof dom->name, "blocksworld");
    dom->npreds = P_COUNT;
    for (int p = 0; p < P_COUNT; p++) {
        snprintf(dom->pred[p].name, sizeof dom->pred[p].name, "%s", BW_PRED[p]);
        dom->pred[p].arity = BW_ARITY[p];
    }
    dom->nactions = A_COUNT;
    for (int a = 0; a < A_COUNT; a++) {
        const cact *b = &BW_ACT[a];
        tf_strips_action *x = &dom->action[a];
        snprintf(x->name, sizeof x->name, "%s", b->name);
        x->arity = b->arity;
        set_lits(x->pre, &x->npre, b->pre, b->npre);
        set_lits(x->add, &x->nadd, b->add, b->nadd);
        set_lits(x->del, &x->ndel, b->del, b->ndel);
        for (int k = 0; k < 3 && b->phrase[k]; k++)
            snprintf(t->phrase[a][t->nphrases[a]++], TF_STRIPS_MAX_NAME, "%s", b->phrase[k]);
        snprintf(t->connector[a], TF_STRIPS_MAX_NAME, "%s", b->connector);
    }
    c->ntmpl = 0;
    for (size_t i = 0; i < sizeof BW_SAY / sizeof *BW_SAY; i++) {
        tmpl *m = &c->tm[c->ntmpl++];
        m->pred = BW_SAY[i].pred;
        m->n = 0;
        for (const char *p = BW_SAY[i].words; *p;) {
            const char *q = strchr(p, ' ');
            size_t k = q ? (size_t)(q - p) : strlen(p);
            m->slot[m->n] = (k == 1 && p[0] == '_');
            snprintf(m->w[m->n], TF_STRIPS_MAX_NAME, "%.*s", (int)k, p);
            m->n++;
            p += k + (q != NULL);
        }
    }
}

/* A line trimmed, lower case, single spaces, without a final '.'; "" when
 * longer than LINE_MAX. */
static void norm_line(span s, char *out)
{
    size_t k = 0;
    s = trim(s);
    while (s.n && (s.p[s.n - 1] == '.' || is_space((unsigned char)s.p[s.n - 1])))
        s.n--;
    for (size_t i = 0; i < s.n; i++) {
        int ch = lower((unsigned char)s.p[i]);
        if (is_space(ch)) {
            if (k && out[k - 1] == ' ')
                continue;
            ch = ' ';
        }
        if (k + 1 >= LINE_MAX) {
            k = 0;
            break;
        }
        out[k++] = (char)ch;
    }
    out[k] = '\0';
}

static int next_line(span *rest, span *line)
{
    if (!rest->p)
        return 0;
    const char *nl = memchr(rest->p, '\n', rest->n);
    if (!nl) {
        *line = *rest;
        rest->p = NULL;
        rest->n = 0;
        return 1;
    }
    *line = (span){rest->p, (size_t)(nl - rest->p)};
    *rest = (span){nl + 1, rest->n - line->n - 1};
    return 1;
}

/* 1: the domain part lists the four block actions; 0: none of them. */
static tf_err detect_blocksworld(ctx *c, span dom, int *yes)
{
    int seen = 0;
    char buf[LINE_MAX];
    span line, rest = dom;
    while (next_line(&rest, &line)) {
        norm_line(line, buf);
        for (int a = 0; a < A_COUNT; a++)
            if (strcmp(buf, BW_LINE[a]) == 0)
                seen |= 1 << a;
    }
    *yes = seen == (1 << A_COUNT) - 1;
    if (seen && !*yes) {
        for (int a = 0; a < A_COUNT; a++)
            if (!(seen & 1 << a)) {
                tf_diag_set(c->d, "the block actions are listed without \"%s\"", BW_LINE[a]);
                break;
            }
        return TF_ERR_PARSE;
    }
    return TF_OK;
}

/* ---- Mystery and obfuscated domains: the action list and restrictions ---- */

static void join_words(const elem *e, int from, int to, char sep, char *out)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = from; i < to; i++) {
        if (e[i].kind != E_WORD)
            continue;
        if (k && k + 1 < TF_STRIPS_MAX_NAME && sep)
            out[k++] = sep;
        for (size_t j = 0; j < e[i].w.n && k + 1 < TF_STRIPS_MAX_NAME; j++)
            out[k++] = (char)lower((unsigned char)e[i].w.p[j]);
        out[k] = '\0';
    }
}

static tf_err read_action_line(ctx *c, span line, int *kinds)
{
    tf_plan_task *t = c->t;
    tf_strips_domain *dom = &t->dom;
    char q[QUOTE_MAX + 8];
    elem e[ITEM_MAX];
    int ne;
    while (line.n && line.p[line.n - 1] == '.')
        line.n--;
    tf_err err = tokenize(c, line, M_SLOT, e, &ne);
    if (err != TF_OK)
        return err;
    int nname = 0;
    while (nname < ne && e[nname].kind == E_WORD)
        nname++;
    if (nname == 0) {
        tf_diag_set(c->d, "cannot read the action \"%s\": no name", quote(line, q, sizeof q));
        return TF_ERR_PARSE;
    }
    if (dom->nactions == TF_STRIPS_MAX_ACTIONS) {
        tf_diag_set(c->d, "more than %d actions", TF_STRIPS_MAX_ACTIONS);
        return TF_ERR_TOO_BIG;
    }
    int a = dom->nactions;
    tf_strips_action *x = &dom->action[a];
    join_words(e, 0, nname, '-', x->name);
    for (int i = 0; i < a; i++)
        if (strcmp(dom->action[i].name, x->name) == 0) {
            tf_diag_set(c->d, "the action \"%s\" is listed twice", x->name);
            return TF_ERR_PARSE;
        }
    x->arity = 0;
    int first_slot = -1, second_slot = -1;
    for (int i = nname; i < ne; i++) {
        if (e[i].kind != E_SLOT)
            continue;
        if (x->arity == TF_STRIPS_MAX_ARITY) {
            tf_diag_set(c->d, "the action \"%s\" has more than %d objects",
                        quote(line, q, sizeof q), TF_STRIPS_MAX_ARITY);
            return TF_ERR_TOO_BIG;
        }
        for (int k = 0; k < x->arity; k++)
            if (c->slotkey[a][k] == e[i].key) {
                tf_diag_set(c->d, "the action \"%s\" names one object twice",
                            quote(line, q, sizeof q));
                return TF_ERR_PARSE;
            }
        *kinds |= e[i].key >= SLOT_FIRST ? 1 : 2;
        c->slotkey[a][x->arity++] = e[i].key;
        if (first_slot < 0)
            first_slot = i;
        else if (second_slot < 0)
            second_slot = i;
    }
    if (second_slot > 0)
        join_words(e, first_slot + 1, second_slot, ' ', t->connector[a]);
    /* the prompt's phrase first, then the forms with '-' and run together */
    join_words(e, 0, nname, ' ', t->phrase[a][0]);
    t->nphrases[a] = 1;
    if (nname > 1) {
        snprintf(t->phrase[a][1], TF_STRIPS_MAX_NAME, "%s", x->name);
        join_words(e, 0, nname, '\0', t->phrase[a][2]);
        t->nphrases[a] = 3;
    }
    dom->nactions++;
    return TF_OK;
}

static int find_action_phrase(const tf_plan_task *t, const char *phrase)
{
    for (int a = 0; a < t->dom.nactions; a++)
        if (strcmp(t->phrase[a][0], phrase) == 0)
            return a;
    return -1;
}

/* The predicate of a restriction's atom: the template with the same words
 * and slots, or a new predicate named by its words. */
static tf_err atom_pred(ctx *c, const elem *e, int ne, span item, int *pred)
{
    tf_strips_domain *dom = &c->t->dom;
    char q[QUOTE_MAX + 8];
    for (int i = 0; i < c->ntmpl; i++) {
        const tmpl *m = &c->tm[i];
        int same = m->n == ne;
        for (int k = 0; same && k < ne; k++)
            same =
                (m->slot[k] == (e[k].kind == E_SLOT)) && (m->slot[k] || span_is(e[k].w, m->w[k]));
        if (same) {
            *pred = m->pred;
            return TF_OK;
        }
    }
    int arity = 0;
    for (int k = 0; k < ne; k++)
        arity += e[k].kind == E_SLOT;
    char name[TF_STRIPS_MAX_NAME];
    join_words(e, 0, ne, '-', name);
    if (!name[0] || arity > TF_STRIPS_MAX_ARITY) {
        tf_diag_set(c->d, "cannot read the fact \"%s\": %s", quote(item, q, sizeof q),
                    name[0] ? "too many objects" : "no predicate word");
        return TF_ERR_PARSE;
    }
    if (tf_strips_find_pred(dom, name) >= 0) {
        tf_diag_set(c->d, "the predicate \"%s\" is used in two ways (\"%s\")", name,
                    quote(item, q, sizeof q));
        return TF_ERR_PARSE;
    }
    if (dom->npreds == TF_STRIPS_MAX_PREDS || c->ntmpl == TMPL_MAX) {
        tf_diag_set(c->d, "more than %d predicates", dom->npreds);
        return TF_ERR_TOO_BIG;
    }
    *pred = dom->npreds++;
    snprintf(dom->pred[*pred].name, TF_STRIPS_MAX_NAME, "%s", name);
    dom->pred[*pred].arity = arity;
    tmpl *m = &c->tm[c->ntmpl++];
    m->pred = *pred;
    m->n = ne;
    for (int k = 0; k < ne; k++) {
        m->slot[k] = e[k].kind == E_SLOT;
        copy_lower(m->w[k], TF_STRIPS_MAX_NAME, m->slot[k] ? (span){"_", 1} : e[k].w);
    }
    return TF_OK;
}

static tf_err read_restriction(ctx *c, span s)
{
    tf_plan_task *t = c->t;
    char q[QUOTE_MAX + 8];
    const char *colon = memchr(s.p, ':', s.n);
    if (!colon) {
        tf_diag_set(c->d, "cannot read the restriction \"%s\"", quote(s, q, sizeof q));
        return TF_ERR_PARSE;
    }
    /* the head, its commas dropped: "to perform X action the following ..." */
    char head[LINE_MAX];
    span hs = {s.p, (size_t)(colon - s.p)};
    norm_line(hs, head);
    for (char *p = head; *p; p++)
        if (*p == ',')
            *p = ' ';
    char words[ITEM_MAX][TF_STRIPS_MAX_NAME];
    int nw = 0;
    for (char *p = head; *p && nw < ITEM_MAX;) {
        while (*p == ' ')
            p++;
        size_t k = strcspn(p, " ");
        if (k) {
            snprintf(words[nw++], TF_STRIPS_MAX_NAME, "%.*s", (int)k, p);
            p += k;
        }
    }
    int kind = -1, from = 0; /* 0 pre, 1 add, 2 del */
    int has_true = 0, has_false = 0, to = nw;
    for (int i = 0; i < nw; i++) {
        has_true |= strcmp(words[i], "true") == 0;
        has_false |= strcmp(words[i], "false") == 0;
    }
    if (nw >= 3 && strcmp(words[0], "to") == 0 && strcmp(words[1], "perform") == 0 && has_true)
        kind = 0, from = 2;
    else if (nw >= 2 && strcmp(words[0], "once") == 0 && (has_true != has_false))
        kind = has_true ? 1 : 2, from = 1;
    for (int i = from; kind >= 0 && i < nw; i++)
        if (strcmp(words[i], "action") == 0 || strcmp(words[i], "the") == 0 ||
            (kind > 0 && strcmp(words[i], "is") == 0)) {
            to = i;
            break;
        }
    char aname[TF_STRIPS_MAX_NAME] = "";
    size_t k = 0;
    for (int i = from; kind >= 0 && i < to && k < sizeof aname; i++)
        k += (size_t)snprintf(aname + k, sizeof aname - k, "%s%s", k ? " " : "", words[i]);
    int a = kind >= 0 && k > 0 && k < sizeof aname ? find_action_phrase(t, aname) : -1;
    if (a < 0) {
        tf_diag_set(c->d, "cannot read the restriction \"%s\"%s", quote(s, q, sizeof q),
                    kind >= 0 ? ": no such action in the list" : "");
        return TF_ERR_PARSE;
    }
    tf_strips_action *x = &t->dom.action[a];
    tf_strips_lit *list = kind == 0 ? x->pre : kind == 1 ? x->add : x->del;
    int *n = kind == 0 ? &x->npre : kind == 1 ? &x->nadd : &x->ndel;
    span item, rest = {colon + 1, s.n - (size_t)(colon + 1 - s.p)};
    while (next_item(&rest, &item)) {
        if (!item.n)
            continue;
        elem e[ITEM_MAX];
        int ne, pred;
        tf_err err = tokenize(c, item, M_SLOT, e, &ne);
        if (err == TF_OK)
            err = atom_pred(c, e, ne, item, &pred);
        if (err != TF_OK)
            return err;
        if (*n == TF_STRIPS_MAX_LIST) {
            tf_diag_set(c->d, "action %s: more than %d facts in one list", x->name,
                        TF_STRIPS_MAX_LIST);
            return TF_ERR_TOO_BIG;
        }
        tf_strips_lit *l = &list[*n];
        *l = (tf_strips_lit){pred, {0, 0, 0}};
        int na = 0;
        for (int i = 0; i < ne; i++) {
            if (e[i].kind != E_SLOT)
                continue;
            int p = -1;
            for (int j = 0; j < x->arity; j++)
                if (c->slotkey[a][j] == e[i].key)
                    p = j;
            if (p < 0) {
                tf_diag_set(c->d, "\"%s\" names an object the action %s does not take",
                            quote(item, q, sizeof q), x->name);
                return TF_ERR_PARSE;
            }
            l->arg[na++] = p;
        }
        (*n)++;
    }
    return TF_OK;
}

static tf_err read_generic_domain(ctx *c, span dom)
{
    tf_plan_task *t = c->t;
    size_t at;
    if (find(dom.p, dom.n, 0, "here are the actions i can do", &at) < 0) {
        tf_diag_set(c->d, "no action list (\"Here are the actions I can do\") before "
                          "\"[STATEMENT]\"");
        return TF_ERR_PARSE;
    }
    snprintf(t->dom.name, sizeof t->dom.name, "planbench");
    span rest = {dom.p + at, dom.n - at}, line;
    next_line(&rest, &line); /* the rest of the header's line */
    int kinds = 0, in_list = 1;
    char buf[LINE_MAX];
    tf_err err = TF_OK;
    while (err == TF_OK && next_line(&rest, &line)) {
        line = trim(line);
        if (!line.n)
            continue;
        norm_line(line, buf);
        int sentence = strncmp(buf, "to perform ", 11) == 0 || strncmp(buf, "once ", 5) == 0;
        if (in_list && !sentence && !strstr(buf, "restriction")) {
            err = read_action_line(c, line, &kinds);
            continue;
        }
        if (in_list && t->dom.nactions == 0)
            break;
        in_list = 0;
        if (!sentence && strstr(buf, "restriction"))
            continue; /* "I have the following restrictions on my actions:" */
        /* one restriction a sentence; lines may lack the period */
        span sent, more = line;
        while (err == TF_OK && more.p) {
            const char *dot = memchr(more.p, '.', more.n);
            if (dot) {
                sent = (span){more.p, (size_t)(dot - more.p)};
                more = (span){dot + 1, more.n - sent.n - 1};
            } else {
                sent = more;
                more = (span){NULL, 0};
            }
            sent = trim(sent);
            if (sent.n)
                err = read_restriction(c, sent);
        }
    }
    if (err != TF_OK)
        return err;
    if (t->dom.nactions == 0) {
        tf_diag_set(c->d, "the action list (\"Here are the actions I can do\") is empty");
        return TF_ERR_PARSE;
    }
    if (kinds == 3) {
        tf_diag_set(c->d, "the action list mixes \"object\" and \"object_N\" parameters");
        return TF_ERR_PARSE;
    }
    t->vocab = kinds == 2 ? TF_PLAN_OBFUSCATED : TF_PLAN_MYSTERY;
    return TF_OK;
}

/* ---- the statement ---- */

static tf_err object_of(ctx *c, span w, int *obj)
{
    tf_strips_problem *prob = &c->t->prob;
    char name[TF_STRIPS_MAX_NAME];
    copy_lower(name, sizeof name, w);
    for (int i = 0; i < prob->nobjects; i++)
        if (strcmp(prob->object[i], name) == 0) {
            *obj = i;
            return TF_OK;
        }
    if (prob->nobjects == TF_STRIPS_MAX_OBJECTS) {
        tf_diag_set(c->d, "more than %d objects", TF_STRIPS_MAX_OBJECTS);
        return TF_ERR_TOO_BIG;
    }
    *obj = prob->nobjects;
    c->mention[*obj] = *obj;
    memcpy(prob->object[prob->nobjects++], name, sizeof name);
    return TF_OK;
}

static tf_err read_facts(ctx *c, span list, tf_strips_fact *facts, int *nf, const char *what)
{
    char q[QUOTE_MAX + 8];
    int mode = c->t->vocab == TF_PLAN_BLOCKSWORLD ? M_REF_BLOCKS : M_REF_OBJECTS;
    span item, rest = list;
    while (next_item(&rest, &item)) {
        if (!item.n)
            continue;
        elem e[ITEM_MAX];
        int ne;
        tf_err err = tokenize(c, item, mode, e, &ne);
        if (err != TF_OK) {
            tf_diag_prefix(c->d, "%s: ", what);
            return err;
        }
        const tmpl *m = NULL;
        for (int i = 0; i < c->ntmpl && !m; i++) {
            const tmpl *x = &c->tm[i];
            int same = x->n == ne;
            for (int k = 0; same && k < ne; k++)
                same = (x->slot[k] == (e[k].kind == E_REF)) &&
                       (x->slot[k] || span_is(e[k].w, x->w[k]));
            if (same)
                m = x;
        }
        if (!m) {
            tf_diag_set(c->d, "%s: cannot read the fact \"%s\"", what, quote(item, q, sizeof q));
            return TF_ERR_PARSE;
        }
        if (*nf == TF_STRIPS_MAX_FACTS) {
            tf_diag_set(c->d, "%s: more than %d facts", what, TF_STRIPS_MAX_FACTS);
            return TF_ERR_TOO_BIG;
        }
        tf_strips_fact *f = &facts[*nf];
        *f = (tf_strips_fact){m->pred, {0, 0, 0}};
        int na = 0;
        for (int k = 0; k < ne; k++)
            if (e[k].kind == E_REF) {
                err = object_of(c, e[k].w, &f->arg[na++]);
                if (err != TF_OK)
                    return err;
            }
        (*nf)++;
    }
    return TF_OK;
}

static tf_err read_statement(ctx *c, const char *s, size_t n)
{
    size_t init_at, goal_at, x;
    long ip = find(s, n, 0, "as initial conditions i have that", &init_at);
    if (ip < 0) {
        tf_diag_set(c->d, "no \"As initial conditions I have that\" after the last "
                          "\"[STATEMENT]\"");
        return TF_ERR_PARSE;
    }
    long gp = find(s, n, init_at, "my goal is to have that", &goal_at);
    if (gp < 0) {
        tf_diag_set(c->d, "no goal (\"My goal is to have that\") after the initial conditions");
        return TF_ERR_PARSE;
    }
    span init = trim((span){s + init_at, (size_t)gp - init_at});
    while (init.n && (init.p[0] == ',' || init.p[0] == ':'))
        init = trim((span){init.p + 1, init.n - 1});
    while (init.n && init.p[init.n - 1] == '.')
        init = trim((span){init.p, init.n - 1});
    /* the goal ends at its sentence's end, a blank line, "[PLAN]" or the question */
    size_t end = goal_at;
    while (end < n && s[end] != '.' && s[end] != '[' && s[end] != '?' &&
           !match_at(s, n, end, "what is the plan", &x)) {
        if (s[end] == '\n') {
            size_t k = end + 1;
            while (k < n && s[k] != '\n' && is_space((unsigned char)s[k]))
                k++;
            if (k < n && s[k] == '\n')
                break;
        }
        end++;
    }
    span goal = trim((span){s + goal_at, end - goal_at});
    while (goal.n && (goal.p[0] == ',' || goal.p[0] == ':'))
        goal = trim((span){goal.p + 1, goal.n - 1});
    tf_strips_problem *prob = &c->t->prob;
    tf_err err = read_facts(c, init, prob->init, &prob->ninit, "initial conditions");
    if (err == TF_OK)
        err = read_facts(c, goal, prob->goal, &prob->ngoal, "goal");
    if (err == TF_OK && prob->ngoal == 0) {
        tf_diag_set(c->d, "the goal (\"My goal is to have that\") is empty");
        err = TF_ERR_PARSE;
    }
    return err;
}

/* Objects in a canonical order (PlanBench's letters, object_N by N, else
 * by name), so that a task does not depend on the order of mention. */
static long object_rank(const tf_plan_task *t, int i)
{
    const char *name = t->prob.object[i];
    if (t->vocab == TF_PLAN_BLOCKSWORLD) {
        int k = colour_index(name);
        return k >= 0 ? k : 100;
    }
    int v = object_number((span){name, strlen(name)});
    return v >= 0 ? v : SLOT_FIRST;
}

static void sort_objects(tf_plan_task *t)
{
    tf_strips_problem *prob = &t->prob;
    int n = prob->nobjects, perm[TF_STRIPS_MAX_OBJECTS], where[TF_STRIPS_MAX_OBJECTS];
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = 1; i < n; i++) { /* insertion sort: n <= 64 */
        int v = perm[i], j = i;
        while (j > 0) {
            int u = perm[j - 1];
            long ru = object_rank(t, u), rv = object_rank(t, v);
            if (ru < rv || (ru == rv && strcmp(prob->object[u], prob->object[v]) <= 0))
                break;
            perm[j] = u;
            j--;
        }
        perm[j] = v;
    }
    char names[TF_STRIPS_MAX_OBJECTS][TF_STRIPS_MAX_NAME];
    for (int i = 0; i < n; i++) {
        where[perm[i]] = i;
        memcpy(names[i], prob->object[perm[i]], TF_STRIPS_MAX_NAME);
    }
    memcpy(prob->object, names, sizeof names[0] * (size_t)n);
    for (int i = 0; i < prob->ninit; i++)
        for (int k = 0; k < t->dom.pred[prob->init[i].pred].arity; k++)
            prob->init[i].arg[k] = where[prob->init[i].arg[k]];
    for (int i = 0; i < prob->ngoal; i++)
        for (int k = 0; k < t->dom.pred[prob->goal[i].pred].arity; k++)
            prob->goal[i].arg[k] = where[prob->goal[i].arg[k]];
}

/* The prompt's name, then the PDDL-form alias (PlanBench's letter of a
 * colour, "o3" for "object_3") unless another object has that name. */
static void set_aliases(tf_plan_task *t)
{
    tf_strips_problem *prob = &t->prob;
    for (int i = 0; i < prob->nobjects; i++) {
        const char *name = prob->object[i];
        snprintf(t->alias[i][0], TF_STRIPS_MAX_NAME, "%s", name);
        t->naliases[i] = 1;
        char extra[TF_STRIPS_MAX_NAME] = "";
        int k = colour_index(name), v = object_number((span){name, strlen(name)});
        if (t->vocab == TF_PLAN_BLOCKSWORLD && k >= 0)
            snprintf(extra, sizeof extra, "%c", 'a' + k);
        else if (t->vocab == TF_PLAN_OBFUSCATED && v >= 0)
            snprintf(extra, sizeof extra, "o%d", v);
        if (extra[0] && tf_strips_find_object(prob, extra) < 0)
            snprintf(t->alias[i][t->naliases[i]++], TF_STRIPS_MAX_NAME, "%s", extra);
    }
}

const char *tf_plan_vocab_name(tf_plan_vocab v)
{
    switch (v) {
    case TF_PLAN_BLOCKSWORLD:
        return "blocksworld";
    case TF_PLAN_MYSTERY:
        return "mystery";
    case TF_PLAN_OBFUSCATED:
        return "obfuscated";
    case TF_PLAN_PDDL:
        return "pddl";
    }
    return "unknown";
}

tf_err tf_plantext_prompt(const char *prompt, size_t len, tf_plan_task *task, tf_diag *d)
{
    memset(task, 0, sizeof *task);
    if (len > TF_PLANTEXT_MAX_PROMPT) {
        tf_diag_set(d, "the prompt has %zu bytes (at most %u)", len, TF_PLANTEXT_MAX_PROMPT);
        return TF_ERR_TOO_BIG;
    }
    if (!prompt)
        len = 0, prompt = "";
    size_t first_end, last_end;
    long first = find(prompt, len, 0, "[statement]", &first_end);
    if (first < 0) {
        tf_diag_set(d, "no \"[STATEMENT]\" in the prompt");
        return TF_ERR_PARSE;
    }
    (void)find_last(prompt, len, "[statement]", &last_end);
    ctx *c = calloc(1, sizeof *c);
    if (!c)
        return TF_ERR_NOMEM;
    c->t = task;
    c->d = d;
    span dom = {prompt, (size_t)first};
    int bw = 0;
    tf_err err = detect_blocksworld(c, dom, &bw);
    if (err == TF_OK) {
        if (bw)
            build_blocksworld(c);
        else
            err = read_generic_domain(c, dom);
    }
    if (err == TF_OK)
        err = read_statement(c, prompt + last_end, len - last_end);
    free(c);
    if (err == TF_OK) {
        sort_objects(task);
        set_aliases(task);
        err = tf_strips_check(&task->dom, &task->prob, d);
    }
    if (err != TF_OK) {
        tf_plan_vocab v = task->vocab;
        memset(task, 0, sizeof *task);
        task->vocab = v;
    }
    return err;
}

void tf_plantext_words_from_names(tf_plan_task *task)
{
    task->vocab = TF_PLAN_PDDL;
    for (int a = 0; a < task->dom.nactions && a < TF_STRIPS_MAX_ACTIONS; a++) {
        const char *name = task->dom.action[a].name;
        copy_lower(task->phrase[a][0], TF_STRIPS_MAX_NAME, (span){name, strlen(name)});
        task->nphrases[a] = 1;
        task->connector[a][0] = '\0';
        if (strchr(name, '-')) {
            char *p = task->phrase[a][1];
            memcpy(p, task->phrase[a][0], TF_STRIPS_MAX_NAME);
            for (; *p; p++)
                if (*p == '-')
                    *p = ' ';
            task->nphrases[a] = 2;
        }
    }
    for (int i = 0; i < task->prob.nobjects && i < TF_STRIPS_MAX_OBJECTS; i++) {
        const char *name = task->prob.object[i];
        copy_lower(task->alias[i][0], TF_STRIPS_MAX_NAME, (span){name, strlen(name)});
        task->naliases[i] = 1;
    }
}

/* ---- writing ---- */

static const char *object_word(const tf_plan_task *t, int o)
{
    if (o < 0 || o >= t->prob.nobjects)
        return "?";
    return t->naliases[o] > 0 ? t->alias[o][0] : t->prob.object[o];
}

tf_err tf_plantext_write_plan(const tf_plan_task *task, const tf_strips_step *steps, size_t n,
                              tf_buf *out)
{
    int prose = task->vocab == TF_PLAN_BLOCKSWORLD || task->vocab == TF_PLAN_MYSTERY;
    for (size_t i = 0; i < n; i++) {
        const tf_strips_step *s = &steps[i];
        if (s->action < 0 || s->action >= task->dom.nactions)
            return TF_ERR_INTERNAL;
        const tf_strips_action *a = &task->dom.action[s->action];
        tf_err err;
        if (prose) {
            const char *ph = task->nphrases[s->action] > 0 ? task->phrase[s->action][0] : a->name;
            if (!ph[0])
                ph = "?";
            int up = ph[0] >= 'a' && ph[0] <= 'z' ? ph[0] - 'a' + 'A' : ph[0];
            err = tf_buf_printf(out, "%zu. **%c%s", i + 1, up, ph + 1);
            for (int k = 0; err == TF_OK && k < a->arity; k++) {
                if (k == 1 && task->connector[s->action][0])
                    err = tf_buf_printf(out, " %s", task->connector[s->action]);
                if (err == TF_OK)
                    err = tf_buf_printf(out, " %s", object_word(task, s->arg[k]));
            }
            if (err == TF_OK)
                err = tf_buf_puts(out, "**\n");
        } else {
            err = tf_buf_printf(out, "(%s", a->name);
            for (int k = 0; err == TF_OK && k < a->arity; k++)
                err = tf_buf_printf(out, " %s", object_word(task, s->arg[k]));
            if (err == TF_OK)
                err = tf_buf_puts(out, ")\n");
        }
        if (err != TF_OK)
            return err;
    }
    return TF_OK;
}

/* Predicate p of dom as a Blocksworld predicate (PDDL spellings too), or -1. */
static int bw_pred_of(const tf_strips_domain *dom, int p)
{
    static const char *const alt[P_COUNT][3] = {{"on", NULL, NULL},
                                                {"ontable", "on-table", "on_table"},
                                                {"clear", NULL, NULL},
                                                {"handempty", "arm-empty", "hand-empty"},
                                                {"holding", NULL, NULL}};
    for (int k = 0; k < P_COUNT; k++)
        for (int j = 0; j < 3 && alt[k][j]; j++)
            if (tf_strips_find_pred(dom, alt[k][j]) == p && dom->pred[p].arity == BW_ARITY[k])
                return k;
    return -1;
}

static int bw_action_of(const char *name)
{
    static const char *const alt[A_COUNT][3] = {{"pick-up", "pickup", "pick_up"},
                                                {"put-down", "putdown", "put_down"},
                                                {"stack", NULL, NULL},
                                                {"unstack", NULL, NULL}};
    for (int k = 0; k < A_COUNT; k++)
        for (int j = 0; j < 3 && alt[k][j]; j++) {
            const char *s = alt[k][j], *t = name;
            while (*s && lower((unsigned char)*t) == *s)
                s++, t++;
            if (!*s && !*t)
                return k;
        }
    return -1;
}

/* Do the lists hold the same atoms (as sets, predicates mapped)? */
static int same_lits(const int *pmap, const tf_strips_lit *l, int n, const clit *ref, int k)
{
    if (n != k)
        return 0;
    for (int i = 0; i < k; i++) {
        int found = 0;
        for (int j = 0; j < n && !found; j++) {
            int ar = BW_ARITY[ref[i].pred];
            found = pmap[l[j].pred] == ref[i].pred && (ar < 1 || l[j].arg[0] == ref[i].a0) &&
                    (ar < 2 || l[j].arg[1] == ref[i].a1);
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* The predicate map of a domain that is the four-operator Blocksworld. */
static int is_blocksworld(const tf_strips_domain *dom, int *pmap)
{
    if (dom->nactions != A_COUNT || dom->npreds > TF_STRIPS_MAX_PREDS)
        return 0;
    for (int p = 0; p < dom->npreds; p++)
        if ((pmap[p] = bw_pred_of(dom, p)) < 0)
            return 0;
    int seen = 0;
    for (int a = 0; a < A_COUNT; a++) {
        const tf_strips_action *x = &dom->action[a];
        int k = bw_action_of(x->name);
        if (k < 0 || (seen & 1 << k) || x->arity != BW_ACT[k].arity ||
            !same_lits(pmap, x->pre, x->npre, BW_ACT[k].pre, BW_ACT[k].npre) ||
            !same_lits(pmap, x->add, x->nadd, BW_ACT[k].add, BW_ACT[k].nadd) ||
            !same_lits(pmap, x->del, x->ndel, BW_ACT[k].del, BW_ACT[k].ndel))
            return 0;
        seen |= 1 << k;
    }
    return 1;
}

static const char BW_HEAD[] =
    "I am playing with a set of blocks where I need to arrange the blocks into stacks. Here "
    "are the actions I can do\n\nPick up a block\nUnstack a block from on top of another "
    "block\nPut down a block\nStack a block on top of another block\n\nI have the following "
    "restrictions on my actions:\nI can only pick up or unstack one block at a time.\nI can "
    "only pick up or unstack a block if my hand is empty.\nI can only pick up a block if the "
    "block is on the table and the block is clear. A block is clear if the block has no other "
    "blocks on top of it and if the block is not picked up.\nI can only unstack a block from "
    "on top of another block if the block I am unstacking was really on top of the other "
    "block.\nI can only unstack a block from on top of another block if the block I am "
    "unstacking is clear.\nOnce I pick up or unstack a block, I am holding the block.\nI can "
    "only put down a block that I am holding.\nI can only stack a block on top of another "
    "block if I am holding the block being stacked.\nI can only stack a block on top of "
    "another block if the block onto which I am stacking the block is clear.\nOnce I put down "
    "or stack a block, my hand becomes empty.\nOnce you stack a block on top of a second "
    "block, the second block is no longer clear.\n\n[STATEMENT]\nAs initial conditions I have "
    "that, ";

static const char *block_name(const tf_strips_problem *prob, int o)
{
    const char *s = prob->object[o];
    if (s[0] && !s[1]) {
        int k = lower((unsigned char)s[0]) - 'a';
        if (k >= 0 && k < 12)
            return COLOUR[k];
    }
    return s;
}

/* Facts joined "A, B and C", grouped by predicate in PlanBench's order
 * (alphabetical: clear, handempty, holding, on, ontable). */
static tf_err write_facts(const tf_plan_task *task, const int *pmap, const tf_strips_fact *f, int n,
                          tf_buf *out)
{
    static const int order[P_COUNT] = {P_CLEAR, P_HANDEMPTY, P_HOLDING, P_ON, P_ONTABLE};
    const tf_strips_problem *prob = &task->prob;
    tf_err err = TF_OK;
    int written = 0;
    for (int g = 0; g < P_COUNT; g++)
        for (int i = 0; i < n && err == TF_OK; i++) {
            if (pmap[f[i].pred] != order[g])
                continue;
            const char *x = block_name(prob, f[i].arg[0]);
            err = tf_buf_puts(out, written == 0 ? "" : written == n - 1 ? " and " : ", ");
            if (err != TF_OK)
                break;
            switch (order[g]) {
            case P_CLEAR:
                err = tf_buf_printf(out, "the %s block is clear", x);
                break;
            case P_HANDEMPTY:
                err = tf_buf_puts(out, "the hand is empty");
                break;
            case P_HOLDING:
                err = tf_buf_printf(out, "I am holding the %s block", x);
                break;
            case P_ON:
                err = tf_buf_printf(out, "the %s block is on top of the %s block", x,
                                    block_name(prob, f[i].arg[1]));
                break;
            default:
                err = tf_buf_printf(out, "the %s block is on the table", x);
                break;
            }
            written++;
        }
    return err;
}

tf_err tf_plantext_write_prompt(const tf_plan_task *task, tf_buf *out)
{
    int pmap[TF_STRIPS_MAX_PREDS];
    if (!is_blocksworld(&task->dom, pmap))
        return TF_ERR_PARSE;
    tf_err err = tf_buf_puts(out, BW_HEAD);
    if (err == TF_OK)
        err = write_facts(task, pmap, task->prob.init, task->prob.ninit, out);
    if (err == TF_OK)
        err = tf_buf_puts(out, ".\nMy goal is to have that ");
    if (err == TF_OK)
        err = write_facts(task, pmap, task->prob.goal, task->prob.ngoal, out);
    if (err == TF_OK)
        err = tf_buf_puts(out, ".\n\nWhat is the plan to achieve my goal? Just give the "
                               "actions in the plan.");
    return err;
}
