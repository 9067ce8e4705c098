/* extract.c: the plan in a model's answer text (plantext.h,
 * tf_plantext_read_plan). The words come from the task: its action
 * phrases and object aliases; the only words written here are generic
 * English glue.
 *
 * RULES (for docs/blocksworld.md, "Reading a plan")
 *
 * Lines. The text is read line by line. A line's prefix is stripped, as
 * often as it appears: white space, markdown (* _ ` # > ~), quotes and
 * brackets (" ' [ {), list markers ("-", "+", "•", "–", "—"), numbers
 * ("1.", "1)", "(1)", "1:") and "Step N" with its ":" / "." / ")"; the
 * last number seen is the line's number.
 * Then up to two generic lead words may stand ("perform", "execute",
 * "apply", "do", "then", "next", "first", "finally", "now", "lastly",
 * "second", "third", "afterwards", "subsequently", "after that").
 *
 * Segments. A line may hold several steps. After its prefix it is split
 * into segments: always at a sentence end (". " and more text), ";",
 * "|" (table cells), an arrow ("->", "=>", "→" and the other arrows),
 * between PDDL calls side by side ("(unstack b c) (put-down b)");
 * at ",", " and ", " then " (which stays, a lead word) and ":" only when
 * what follows begins with an action phrase (after white space, markdown,
 * a "(" and lead words), and at ":" only when the segment before does not
 * itself begin with one ("The plan is: unstack ..."). After a segment that
 * begins with an action phrase, a ":" or a dash ("–", "—") ends the
 * splitting: the rest of the line is its explanation ("1. **Pick up
 * red**: now, ... pick up ..."). Each segment is read as a line (below);
 * one that follows ",", " and " or " then " is a step only when the
 * segment before it is a step, lead words only, or empty after a hard
 * split or the line's start ("we pick up blue, then stack ..." is not a
 * step; "Unstack blue from orange, then put down blue" is two). "it" as a
 * step's first object is the first object of the step before it on the
 * same line ("Unstack blue from orange, then put it down"). In a table row
 * (a line starting with "|") a cell that holds only a number ("1", "Step
 * 2", "**3.**") numbers the row's first step, and a step's objects may be
 * read across up to arity cell bars ("| 1 | Unstack | blue | orange |").
 * Segments that are no steps ("This moves the blue block to the table")
 * are skipped: a segment must START with an action phrase.
 *
 * Steps. A segment (the whole line when it is not split; "line" below,
 * numbered when its line is) is a step when it starts with an action
 * phrase of the task
 * (the longest that matches, case-insensitive, word by word; "pick-up"
 * and "pickup" are words of their own), optionally inside "(": the PDDL
 * form. A phrasal verb without its particle reads as its action when its
 * first word starts the phrases of one action only ("Put red on the
 * table", "Put blue down"). Objects follow in mention order, up to the
 * action's arity, also inside parentheses after the phrase ("Unstack(
 * Yellow, Blue)", "Feast (c, d)"): an alias of an object of the problem
 * is that object; glue words are skipped ("the", "a", "an", "block",
 * "object", "from", "on", "onto", "top", "of", "to", "table", "off", "in",
 * "into", "upon", "atop", "with", "and"); any other word is an object the
 * problem lacks (argument -1) in the PDDL form, and in prose when it looks
 * like a name (one letter, a digit or "_" in it) or stands between
 * "the"/"object" and "block"/"object" ("the purple block"); other prose
 * words are skipped, and another action's name ends the objects. The step
 * ends at the arity, or at a stop: ":" ";" "!" "?" "=" brackets "<" ">"
 * "|", an arrow or a dash ("→", "–", "—"), a "." that ends a sentence;
 * what follows (an explanation) is not read. Markdown around words
 * ("_a_", "**b**", "`object_1`") is not part of them.
 *
 * Not steps: a line whose first word after the phrase (glue aside) is an
 * ordinary word ("Attack action requires ..."); an unnumbered line ending
 * with ":" (a heading: "- **`j4gv... object_0 object_1`:**"); an
 * unnumbered line with the phrase, ":" and more text but no object (a
 * definition: "- **Attack**: requires ..."); an unnumbered line where an
 * ordinary word follows the objects (a sentence about the action: "-
 * **Overcome b from d** sets b to crave d"). A step line with fewer
 * objects than the arity is incomplete ("1. **Attack**", "Succumb
 * object").
 *
 * Blocks. Step lines (lines with at least one step) group into blocks;
 * the steps of one line go in order into the block its first step goes
 * into (none when that one is not read); the line's number is its first
 * step's, and the next line's number continues from it. A numbered step
 * continues the
 * current block when its number is the last one plus 1 (whatever stood
 * between: explanations under each step); number 0 or 1 starts a new
 * block; any other number is a reference to a step ("- Step 4: Perform
 * ..." in an explanation) and is not read. An unnumbered step continues
 * an unnumbered block that is still open and starts a new one otherwise;
 * under a numbered step, an unnumbered step indented deeper is a sub-item
 * and not read. A non-blank line that is not a step closes the block
 * unless it is indented deeper than the block's last step (an explanation
 * bullet); blank lines close nothing.
 *
 * The plan. THE plan is the last block whose steps are all complete, or
 * else the last block. Reasoning models write a list and then repeat it
 * ("Action Sequence:", "Final Plan:", "Explanation of the Plan:" with one
 * step a line), or a draft and then the corrected plan; the last complete
 * block is the one they stand by, and a repetition that names the actions
 * alone ("1. **wio5amhq7814n006**: Prepares ...") does not replace the
 * plan it explains. Status INCOMPLETE when one of its steps is (the
 * reason quotes the first such line, capped), else OK; a step naming an
 * object the problem lacks has argument -1 and is named in unknown /
 * unknown_step.
 *
 * Refusals. The text refuses when it says no plan exists ("no valid /
 * possible / feasible / viable ... sequence", "no sequence of actions",
 * "no valid plan", "no plan exists", "not possible", "impossible", "not
 * feasible", "infeasible", "cannot be achieved", "not achievable",
 * "unachievable", "unsolvable", "no solution", "none of the available
 * actions", "no actions can be performed"). Status REFUSED when it
 * refuses before its first step line (the model leads with its verdict,
 * then lists the actions it tried: "Here's why: 1. **`j4gv... object_0
 * object_1`** requires ..."), or anywhere when there is no step line; a
 * plan followed by a remark that part of the goal is not possible stays
 * a plan (the simulator judges it). NONE when no step line and no
 * refusal.
 *
 * Caps. TF_ERR_TOO_BIG past TF_PLANTEXT_MAX_TEXT bytes, or when a block
 * passes TF_PLANTEXT_MAX_STEPS steps. One pass over the text: every byte
 * is looked at a bounded number of times (linear time: telling whether an
 * action follows a separator looks at LOOK_AHEAD bytes at most); only the
 * current block's and the last complete block's steps are kept.
 */
#include "tracefarm/plantext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHRASE_WORDS 8 /* words of one action phrase */
#define QUOTE_MAX 160  /* bytes of a line quoted in a reason */

typedef struct word {
    const char *p;
    size_t n;
} word;

typedef struct words {
    int n[TF_STRIPS_MAX_ACTIONS][TF_PLANTEXT_MAX_WORDS];
    word w[TF_STRIPS_MAX_ACTIONS][TF_PLANTEXT_MAX_WORDS][PHRASE_WORDS];
    int maxw; /* words of the longest phrase */
} words;

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_wordc(int c)
{
    return is_alnum(c) || c == '_';
}

static int eq_ci(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static int word_is(word w, const char *s)
{
    return eq_ci(w.p, w.n, s, strlen(s));
}

/* Is s[i] a stop (the end of a step's words)? Sets *skip to its length. */
static int is_stop(const char *s, size_t n, size_t i, size_t *skip)
{
    unsigned char c = (unsigned char)s[i];
    *skip = 1;
    if (strchr(":;!?=([{<>|)]}", c) && c != '\0')
        return 1;
    if (c == '.')
        return !(i + 1 < n && is_alnum((unsigned char)s[i + 1]));
    if (c == 0xE2 && i + 2 < n) {
        unsigned char c1 = (unsigned char)s[i + 1], c2 = (unsigned char)s[i + 2];
        *skip = 3;
        if (c1 == 0x86 || c1 == 0x87) /* arrows */
            return 1;
        if (c1 == 0x80 && (c2 == 0x93 || c2 == 0x94)) /* en and em dash */
            return 1;
    }
    return 0;
}

/* The next word of s[*i..n), or 0 at a stop or the end (*stop set for a
 * stop). A word is letters, digits, "_", and "-" between them. */
static int next_word(const char *s, size_t n, size_t *i, word *w, int *stop)
{
    *stop = 0;
    while (*i < n) {
        unsigned char c = (unsigned char)s[*i];
        if (is_wordc(c))
            break;
        size_t skip;
        if (is_stop(s, n, *i, &skip)) {
            *stop = 1;
            return 0;
        }
        *i += skip;
    }
    if (*i >= n)
        return 0;
    size_t b = *i;
    while (*i < n) {
        unsigned char c = (unsigned char)s[*i];
        if (is_wordc(c) || (c == '-' && *i > b && *i + 1 < n && is_alnum((unsigned char)s[*i + 1])))
            (*i)++;
        else
            break;
    }
    size_t e = *i;
    while (b < e && s[b] == '_') /* markdown italics: "_a_" */
        b++;
    while (e > b && s[e - 1] == '_')
        e--;
    if (b == e)
        return next_word(s, n, i, w, stop);
    w->p = s + b;
    w->n = e - b;
    return 1;
}

static void split_phrases(const tf_plan_task *t, words *W)
{
    W->maxw = 0;
    for (int a = 0; a < t->dom.nactions && a < TF_STRIPS_MAX_ACTIONS; a++) {
        int np = t->nphrases[a] < TF_PLANTEXT_MAX_WORDS ? t->nphrases[a] : TF_PLANTEXT_MAX_WORDS;
        for (int k = 0; k < TF_PLANTEXT_MAX_WORDS; k++)
            W->n[a][k] = 0;
        for (int k = 0; k < np; k++) {
            const char *p = t->phrase[a][k];
            size_t n = strnlen(p, TF_STRIPS_MAX_NAME), i = 0;
            word w;
            int stop, m = 0;
            while (m < PHRASE_WORDS) {
                if (next_word(p, n, &i, &w, &stop))
                    W->w[a][k][m++] = w;
                else if (stop)
                    i++; /* a stop inside a phrase is only a separator */
                else
                    break;
            }
            W->n[a][k] = m;
            if (m > W->maxw)
                W->maxw = m;
        }
    }
}

static const char *const GLUE[] = {
    "the", "a",  "an",    "block", "blocks", "object", "objects", "from", "on",   "onto", "top",
    "of",  "to", "table", "off",   "in",     "into",   "upon",    "atop", "with", "and",  NULL};

static int is_glue(word w)
{
    for (int i = 0; GLUE[i]; i++)
        if (word_is(w, GLUE[i]))
            return 1;
    return 0;
}

static int find_alias(const tf_plan_task *t, word w)
{
    int no = t->prob.nobjects < TF_STRIPS_MAX_OBJECTS ? t->prob.nobjects : TF_STRIPS_MAX_OBJECTS;
    for (int o = 0; o < no; o++) {
        int na = t->naliases[o] < TF_PLANTEXT_MAX_WORDS ? t->naliases[o] : TF_PLANTEXT_MAX_WORDS;
        for (int k = 0; k < na; k++)
            if (eq_ci(w.p, w.n, t->alias[o][k], strnlen(t->alias[o][k], TF_STRIPS_MAX_NAME)))
                return o;
        if (eq_ci(w.p, w.n, t->prob.object[o], strnlen(t->prob.object[o], TF_STRIPS_MAX_NAME)))
            return o;
    }
    return -1;
}

static int name_like(word w)
{
    if (w.n == 1)
        return 1;
    for (size_t i = 0; i < w.n; i++)
        if ((w.p[i] >= '0' && w.p[i] <= '9') || w.p[i] == '_')
            return 1;
    return 0;
}

/* One line, read. */
typedef struct line_info {
    int step;       /* a step line */
    int incomplete; /* ... with fewer objects than its action's arity */
    int pddl;       /* written "(action args)" */
    long number;    /* its number, or -1 */
    size_t indent;  /* columns of leading white space */
    tf_strips_step s;
    word unknown; /* the first object mention the problem lacks */
} line_info;

/* Strip the prefix of a line: white space, markdown, list markers,
 * numbers, "Step N". Sets li->indent and li->number; returns the offset of
 * the body. */
static size_t strip_prefix(const char *s, size_t n, line_info *li)
{
    size_t i = 0;
    li->indent = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        li->indent += s[i] == '\t' ? 4 : 1;
        i++;
    }
    li->number = -1;
    for (;;) {
        size_t at = i;
        while (i < n && strchr(" \t*_`#>~+\"'[{", s[i]) && s[i] != '\0')
            i++;
        if (i < n && s[i] == '-' && (i + 1 >= n || !is_alnum((unsigned char)s[i + 1])))
            i++;
        if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA2 || (unsigned char)s[i + 2] == 0x93 ||
             (unsigned char)s[i + 2] == 0x94))
            i += 3;
        size_t j = i;
        int paren = 0;
        if (j < n && s[j] == '(' && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9') {
            paren = 1;
            j++;
        }
        if (i + 4 < n && eq_ci(s + i, 4, "step", 4) && !is_wordc((unsigned char)s[i + 4])) {
            j = i + 4;
            while (j < n && s[j] == ' ')
                j++;
        }
        if (j < n && s[j] >= '0' && s[j] <= '9') {
            long v = 0;
            size_t k = j;
            while (k < n && s[k] >= '0' && s[k] <= '9' && k - j < 9)
                v = v * 10 + (s[k++] - '0');
            if (k < n && (s[k] == '.' || s[k] == ')' || s[k] == ':') &&
                (k + 1 >= n || !is_alnum((unsigned char)s[k + 1]))) {
                li->number = v;
                i = k + 1;
            } else if (paren && k < n && s[k] == ')') {
                li->number = v;
                i = k + 1;
            } else if (j != i && (k >= n || !is_wordc((unsigned char)s[k]))) {
                li->number = v; /* "Step 3" without punctuation */
                i = k;
            }
        }
        if (i == at)
            return i;
    }
}

/* Does the line end with ":" (ignoring white space and markdown)? */
static int ends_with_colon(const char *s, size_t n)
{
    while (n > 0 && strchr(" \t\r*_`", s[n - 1]) && s[n - 1] != '\0')
        n--;
    return n > 0 && s[n - 1] == ':';
}

/* Length of the white space character at s[i] (ASCII, no-break and the
 * other Unicode spaces), or 0. */
static size_t space_len(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    const unsigned char *u = (const unsigned char *)s + i;
    if (u[0] == ' ' || u[0] == '\t')
        return 1;
    if (u[0] == 0xC2 && i + 1 < n && u[1] == 0xA0)
        return 2;
    if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x80 && (u[2] <= 0x8A || u[2] == 0xAF))
        return 3;
    if (u[0] == 0xE3 && i + 2 < n && u[1] == 0x80 && u[2] == 0x80)
        return 3;
    return 0;
}

/* Is w one of the task's one-word action phrases? */
static int is_action_word(const tf_plan_task *t, const words *W, word w)
{
    for (int a = 0; a < t->dom.nactions && a < TF_STRIPS_MAX_ACTIONS; a++)
        for (int p = 0; p < TF_PLANTEXT_MAX_WORDS; p++)
            if (W->n[a][p] == 1 && eq_ci(w.p, w.n, W->w[a][p][0].p, W->w[a][p][0].n))
                return 1;
    return 0;
}

/* Is w a word of one of action a's phrases ("down" of "put down")? */
static int in_phrase(const words *W, int a, word w)
{
    for (int p = 0; p < TF_PLANTEXT_MAX_WORDS; p++)
        for (int x = 0; x < W->n[a][p]; x++)
            if (eq_ci(w.p, w.n, W->w[a][p][x].p, W->w[a][p][x].n))
                return 1;
    return 0;
}

/* Generic verbs and adverbs that may stand before the action phrase. */
static const char *const LEAD[] = {"perform", "execute", "apply",      "do",           "then",
                                   "next",    "first",   "finally",    "now",          "lastly",
                                   "second",  "third",   "afterwards", "subsequently", NULL};

static int is_lead(word w)
{
    for (int i = 0; LEAD[i]; i++)
        if (word_is(w, LEAD[i]))
            return 1;
    return 0;
}

/* The action phrase at s[i..n) after up to two lead words ("then",
 * "after that"): the longest that matches, or a phrasal verb without its
 * particle. Returns the action, or -1; *end is set after the phrase. */
static int match_action(const tf_plan_task *t, const words *W, const char *s, size_t n, size_t i,
                        size_t *end)
{
    word lw[PHRASE_WORDS];
    int nlw = 0, stop = 0, lead = 0;
    size_t after[PHRASE_WORDS], k = i;
    for (int paren = 0; nlw < W->maxw;) {
        if (!next_word(s, n, &k, &lw[nlw], &stop)) {
            if (stop && nlw == 0 && lead > 0 && !paren && s[k] == '(') {
                paren = 1; /* "then (pick-up a)" */
                k++;
                continue;
            }
            break;
        }
        after[nlw] = k;
        if (nlw == 0 && lead < 2 && is_lead(lw[0])) {
            lead++;
            continue;
        }
        if (nlw == 0 && lead < 2 && word_is(lw[0], "after")) {
            size_t k2 = k;
            word w2;
            int st2;
            if (next_word(s, n, &k2, &w2, &st2) && word_is(w2, "that")) {
                k = k2;
                lead++;
                continue;
            }
        }
        nlw++;
    }
    int best = -1, bestm = 0;
    for (int a = 0; a < t->dom.nactions && a < TF_STRIPS_MAX_ACTIONS; a++)
        for (int p = 0; p < TF_PLANTEXT_MAX_WORDS; p++) {
            int m = W->n[a][p];
            if (m == 0 || m > nlw || m <= bestm)
                continue;
            int ok = 1;
            for (int x = 0; x < m && ok; x++)
                ok = eq_ci(lw[x].p, lw[x].n, W->w[a][p][x].p, W->w[a][p][x].n);
            if (ok) {
                best = a;
                bestm = m;
            }
        }
    if (best < 0 && nlw > 0) {
        /* a phrasal verb without its particle ("Put red on the table",
         * "Put blue down"): the first word of one action's phrases only */
        int found = 0;
        for (int a = 0; a < t->dom.nactions && a < TF_STRIPS_MAX_ACTIONS; a++)
            for (int p = 0; p < TF_PLANTEXT_MAX_WORDS; p++)
                if (W->n[a][p] > 1 && eq_ci(lw[0].p, lw[0].n, W->w[a][p][0].p, W->w[a][p][0].n) &&
                    best != a) {
                    best = a;
                    found++;
                }
        if (found != 1)
            return -1;
        bestm = 1;
    }
    if (best >= 0)
        *end = after[bestm - 1];
    return best;
}

#define LOOK_AHEAD 96 /* bytes looked at to tell whether an action follows */

/* Does an action phrase start at s[i..n) (after white space, markdown, a
 * "(" and lead words)? Looks at LOOK_AHEAD bytes at most. */
static int starts_action(const tf_plan_task *t, const words *W, const char *s, size_t n, size_t i)
{
    size_t lim = n - i > LOOK_AHEAD ? i + LOOK_AHEAD : n, end;
    while (i < lim && strchr(" \t*_`\"'[{", s[i]) && s[i] != '\0')
        i++;
    if (i < lim && s[i] == '(')
        i++;
    return match_action(t, W, s, lim, i, &end) >= 0;
}

/* How a segment of a line is read (several steps on one line). */
typedef struct seg_ctx {
    int later;    /* not the line's first segment: number is the line's */
    long number;  /* ... that number, or -1 */
    int it_obj;   /* the object "it" stands for, -1 */
    size_t bars;  /* table row: cell bars an object may be read across */
    size_t seg_n; /* the segment's end (objects may run to n in a table) */
} seg_ctx;

/* Read one line, or one segment of it (s[0..n), no newline). */
static void read_line(const tf_plan_task *t, const words *W, const char *s, size_t n, line_info *li,
                      const seg_ctx *c)
{
    memset(li, 0, sizeof *li);
    size_t i = strip_prefix(s, c->seg_n, li);
    if (c->later)
        li->number = c->number;
    if (i < c->seg_n && s[i] == '(') {
        li->pddl = 1;
        i++;
    }
    int stop = 0, best = match_action(t, W, s, c->seg_n, i, &i);
    if (best < 0)
        return;
    size_t lim = c->seg_n, bars = 0; /* objects are read in s[0..lim) */
    int arity = t->dom.action[best].arity;
    if (arity > TF_STRIPS_MAX_ARITY || arity < 0)
        return;
    /* "Unstack(Yellow, Blue)", "Feast (c, d)": the objects in parentheses */
    size_t j0 = i;
    for (;;) {
        size_t sp = space_len(s, lim, j0);
        if (sp == 0 && j0 < lim && (s[j0] == '*' || s[j0] == '`'))
            sp = 1;
        if (sp == 0)
            break;
        j0 += sp;
    }
    if (!li->pddl && j0 < lim && s[j0] == '(')
        i = j0 + 1;
    li->s.action = best;
    for (int x = 0; x < TF_STRIPS_MAX_ARITY; x++)
        li->s.arg[x] = -1;
    int got = 0, prev_det = 0;
    word w;
    for (;;) {
        if (got >= arity)
            break;
        if (!next_word(s, lim, &i, &w, &stop)) {
            /* a table row: "| 1 | Unstack | blue | orange |" */
            if ((stop || i >= lim) && i < n && s[i] == '|' && bars < c->bars) {
                bars++;
                lim = n;
                i++;
                continue;
            }
            break;
        }
        int o = find_alias(t, w);
        if (o < 0 && got == 0 && c->it_obj >= 0 && word_is(w, "it"))
            o = c->it_obj; /* "Unstack blue from orange, then put it down" */
        if (o >= 0) {
            li->s.arg[got++] = o;
            prev_det = 0;
            continue;
        }
        if (is_glue(w)) {
            prev_det = word_is(w, "the") || word_is(w, "object");
            continue;
        }
        if (is_action_word(t, W, w)) {
            if (got == 0)
                return; /* "Attack and Feast change ...": not a step */
            break;
        }
        /* a word the problem does not know */
        size_t j = i;
        word nx;
        int st2;
        int next_noun =
            next_word(s, lim, &j, &nx, &st2) && (word_is(nx, "block") || word_is(nx, "object"));
        if (li->pddl || name_like(w) || (prev_det && next_noun)) {
            if (!li->unknown.p)
                li->unknown = w;
            li->s.arg[got++] = -1;
            prev_det = 0;
            continue;
        }
        if (got == 0)
            return; /* "Attack action requires ...": not a step */
        prev_det = 0;
    }
    if (got < arity) {
        /* "- **Attack**: requires ...": a definition, not a step */
        if (got == 0 && li->number < 0 && stop && i < lim && s[i] == ':') {
            size_t j = i + 1;
            word nx;
            int st2;
            if (next_word(s, lim, &j, &nx, &st2))
                return;
        }
        li->incomplete = 1;
    } else if (li->number < 0 && !li->pddl) {
        /* "- **Overcome b from d** sets b to crave d": a sentence about
         * the action, not a step (bullets only) */
        while (next_word(s, lim, &i, &w, &stop)) {
            if (is_glue(w) || in_phrase(W, best, w))
                continue;
            if (find_alias(t, w) < 0)
                return;
            break;
        }
    }
    if (li->number < 0 && ends_with_colon(s, c->seg_n))
        return; /* a heading */
    li->step = 1;
}

/* Is s[i..n) the word w (case-insensitive, then a non-word byte)? */
static int word_at(const char *s, size_t n, size_t i, const char *w)
{
    size_t m = strlen(w);
    return i + m < n && eq_ci(s + i, m, w, m) && !is_wordc((unsigned char)s[i + m]);
}

/* Where the segment of a line that starts at s[b] ends, scanning from
 * s[i]: sets *e (its end) and *next (where the next one starts); returns
 * 0 when it runs to the end of the line. Splits at sentence ends, ";",
 * arrows and "|" always; at ",", ":" (when the segment does not itself
 * start with an action), " and " and " then " only when an action phrase
 * follows. */
static int next_sep(const tf_plan_task *t, const words *W, const char *s, size_t n, size_t b,
                    size_t i, size_t *e, size_t *next, int *soft)
{
    *soft = 0;
    int b_action = -1; /* does the segment start with an action phrase? */
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t skip = 0;
        if (c == ';' || c == '|')
            skip = 1;
        else if ((c == '-' || c == '=') && i + 1 < n && s[i + 1] == '>')
            skip = 2;
        else if (c == 0xE2 && i + 2 < n &&
                 ((unsigned char)s[i + 1] == 0x86 || (unsigned char)s[i + 1] == 0x87))
            skip = 3; /* arrows */
        else if (c == '.') {
            size_t j = i + 1, sp;
            while ((sp = space_len(s, n, j)) > 0)
                j += sp;
            if (j > i + 1 && j < n && s[j] != '\r')
                skip = 1; /* a sentence ends, another follows */
        } else if (c == ')') {
            /* "(unstack b c) (put-down b)": PDDL calls side by side */
            size_t j = i + 1, sp;
            while ((sp = space_len(s, n, j)) > 0)
                j += sp;
            if (j < n && s[j] == '(' && starts_action(t, W, s, n, j)) {
                *e = i + 1;
                *next = j;
                return 1;
            }
        } else if (c == ',') {
            if (starts_action(t, W, s, n, i + 1))
                skip = *soft = 1;
        } else if (c == ':' ||
                   (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                    ((unsigned char)s[i + 2] == 0x93 || (unsigned char)s[i + 2] == 0x94))) {
            if (b_action < 0) {
                line_info tmp;
                size_t m = n - b > LOOK_AHEAD ? LOOK_AHEAD : n - b;
                b_action = starts_action(t, W, s + b, m, strip_prefix(s + b, m, &tmp));
            }
            if (b_action)
                break; /* "1. **Pick up red**: now, ...": an explanation follows */
            if (c == ':' && starts_action(t, W, s, n, i + 1))
                skip = 1;
        } else if (i > b && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
            if (word_at(s, n, i, "and") && starts_action(t, W, s, n, i + 3)) {
                skip = 3;
                *soft = 1;
            } else if (word_at(s, n, i, "then") && starts_action(t, W, s, n, i)) {
                *e = *next = i; /* "then" stays: a lead word */
                *soft = 1;
                return 1;
            }
        }
        if (skip) {
            *e = i;
            *next = i + skip;
            return 1;
        }
    }
    *e = *next = n;
    return 0;
}

/* Does s[0..n) hold lead words only ("First", "**Then**")? 1 when it
 * does, 0 when it holds no word, -1 otherwise. */
static int lead_only(const char *s, size_t n)
{
    line_info tmp;
    size_t i = strip_prefix(s, n, &tmp);
    word w;
    int stop, any = 0;
    while (next_word(s, n, &i, &w, &stop)) {
        if (!is_lead(w) && !word_is(w, "after") && !word_is(w, "that"))
            return -1;
        any = 1;
    }
    return stop ? -1 : any;
}

/* Is s[0..n) a table cell holding a step number only ("1", "Step 2",
 * "**3.**")? Sets *v. */
static int cell_number(const char *s, size_t n, long *v)
{
    size_t i = 0;
    while (i < n && strchr(" \t*_`", s[i]) && s[i] != '\0')
        i++;
    if (i + 4 < n && eq_ci(s + i, 4, "step", 4))
        for (i += 4; i < n && s[i] == ' ';)
            i++;
    size_t d = i;
    *v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 9)
        *v = *v * 10 + (s[i++] - '0');
    if (i == d)
        return 0;
    if (i < n && (s[i] == '.' || s[i] == ')' || s[i] == ':'))
        i++;
    while (i < n && strchr(" \t\r*_`", s[i]) && s[i] != '\0')
        i++;
    return i == n;
}

/* The refusal phrases, lower case; "..." in a phrase skips up to 40 bytes
 * of the same line. */
static const char *const REFUSAL[] = {"no valid sequence",
                                      "no viable",
                                      "none of the available actions",
                                      "no actions can be performed",
                                      "no possible sequence",
                                      "no feasible sequence",
                                      "no sequence of actions",
                                      "no valid plan",
                                      "no possible plan",
                                      "no feasible plan",
                                      "no plan exists",
                                      "no plan is possible",
                                      "no plan can",
                                      "not possible",
                                      "impossible",
                                      "not feasible",
                                      "infeasible",
                                      "cannot be achieved",
                                      "can't be achieved",
                                      "cannot be accomplished",
                                      "not achievable",
                                      "unachievable",
                                      "unsolvable",
                                      "no solution",
                                      NULL};

/* Does a refusal phrase start at s[i]? Returns its length, or 0. */
static size_t refusal_at(const char *s, size_t n, size_t i)
{
    for (int r = 0; REFUSAL[r]; r++) {
        size_t m = strlen(REFUSAL[r]);
        if (i + m > n)
            continue;
        size_t k = 0;
        while (k < m && lower((unsigned char)s[i + k]) == REFUSAL[r][k])
            k++;
        if (k == m && (i + m >= n || !is_wordc((unsigned char)s[i + m])))
            return m;
    }
    return 0;
}

/* Quote s[0..n) into out (cap bytes), printable ASCII and whole UTF-8
 * sequences only, "..." when cut. */
static void quote(char *out, size_t cap, const char *prefix, const char *s, size_t n)
{
    size_t o = 0, pl = strlen(prefix);
    if (pl >= cap)
        pl = cap - 1;
    memcpy(out, prefix, pl);
    o = pl;
    size_t lim = cap > o + 6 ? cap - 6 : o, i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (o < cap - 1)
        out[o++] = '"';
    while (i < n && o < lim) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + len <= n && o + len <= lim;
        for (size_t x = 1; ok && x < len; x++)
            ok = ((unsigned char)s[i + x] >> 6) == 2;
        if (ok && len == 1 && (c < 0x20 || c == 0x7F))
            ok = 0;
        if (!ok) {
            out[o++] = '?';
            i++;
            continue;
        }
        memcpy(out + o, s + i, len);
        o += len;
        i += len;
    }
    if (i < n && o + 3 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (o < cap - 1)
        out[o++] = '"';
    out[o] = '\0';
}

/* The block being read. */
typedef struct block {
    tf_strips_step *steps;
    size_t n, cap;
    long first_line, last_number;
    size_t indent; /* of its last step */
    int open, pddl;
    long incomplete_line; /* first incomplete step's line, 0 */
    const char *inc_p;    /* ... its text */
    size_t inc_n;
    long unknown_step;
    word unknown;
} block;

static void block_reset(block *b)
{
    b->n = 0;
    b->first_line = 0;
    b->last_number = -1;
    b->indent = 0;
    b->open = 1;
    b->pddl = 0;
    b->incomplete_line = 0;
    b->inc_p = NULL;
    b->inc_n = 0;
    b->unknown_step = -1;
    b->unknown.p = NULL;
    b->unknown.n = 0;
}

static tf_err block_add(block *b, const line_info *li, long line, const char *s, size_t n,
                        tf_diag *d)
{
    if (b->n >= TF_PLANTEXT_MAX_STEPS) {
        tf_diag_set(d, "plan: more than %d steps (line %ld)", TF_PLANTEXT_MAX_STEPS, line);
        return TF_ERR_TOO_BIG;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        if (nc > TF_PLANTEXT_MAX_STEPS)
            nc = TF_PLANTEXT_MAX_STEPS;
        tf_strips_step *p = realloc(b->steps, nc * sizeof *p);
        if (!p)
            return TF_ERR_NOMEM;
        b->steps = p;
        b->cap = nc;
    }
    if (b->n == 0) {
        b->first_line = line;
        b->pddl = li->pddl;
    }
    if (li->incomplete && !b->incomplete_line) {
        b->incomplete_line = line;
        b->inc_p = s;
        b->inc_n = n;
    }
    if (li->unknown.p && b->unknown_step < 0) {
        b->unknown_step = (long)b->n;
        b->unknown = li->unknown;
    }
    b->steps[b->n++] = li->s;
    return TF_OK;
}

tf_err tf_plantext_read_plan(const tf_plan_task *task, const char *text, size_t len,
                             tf_plan_read *out, tf_diag *d)
{
    memset(out, 0, sizeof *out);
    out->status = TF_PLAN_READ_NONE;
    out->form = "text";
    out->unknown_step = -1;
    if (len > TF_PLANTEXT_MAX_TEXT) {
        tf_diag_set(d, "plan: text of %zu bytes, more than %u", len, TF_PLANTEXT_MAX_TEXT);
        return TF_ERR_TOO_BIG;
    }
    if (!text)
        len = 0;
    words *W = malloc(sizeof *W);
    if (!W)
        return TF_ERR_NOMEM;
    split_phrases(task, W);
    block cur = {0}, done = {0}; /* the block being read, the last complete one */
    block_reset(&cur);
    block_reset(&done);
    long line = 0, refusal_line = 0, first_step_line = 0;
    size_t refusal_len = 0;
    const char *refusal_p = NULL;
    tf_err err = TF_OK;
    size_t pos = 0;
    while (pos < len && err == TF_OK) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        line++;
        /* refusals before the first step line: at word starts */
        for (size_t i = 0; !refusal_p && !first_step_line && i < n; i++) {
            if (i > 0 && is_wordc((unsigned char)s[i - 1]))
                continue;
            if (refusal_at(s, n, i)) {
                refusal_p = s;
                refusal_len = n;
                refusal_line = line;
            }
        }
        /* the line's segments, each a step or not */
        line_info pl;
        size_t body = strip_prefix(s, n, &pl), b = 0, next = 0, e = 0;
        size_t ws = 0;
        while (ws < n && (s[ws] == ' ' || s[ws] == '\t'))
            ws++;
        int table = ws < n && s[ws] == '|';
        int nst = 0, skip = 0, it_obj = -1, more = 1, soft = 0, prev_ok = 1, lo;
        long num = pl.number;
        for (size_t i = body; more && err == TF_OK; b = i = next) {
            int after_soft = soft; /* this segment follows ",", "and", "then" */
            more = next_sep(task, W, s, n, b, i, &e, &next, &soft);
            seg_ctx c = {b > 0, num, it_obj, table ? TF_STRIPS_MAX_ARITY : 0, e - b};
            line_info li;
            read_line(task, W, s + b, table ? n - b : e - b, &li, &c);
            /* "we pick up blue, then stack ...": a list goes on from a step,
             * a lead word or a ":" */
            if (li.step && after_soft && !prev_ok)
                li.step = 0;
            if (li.step)
                prev_ok = 1;
            else if ((lo = lead_only(s + b, e - b)) != 0)
                prev_ok = lo > 0;
            else if (!after_soft)
                prev_ok = 1; /* nothing after a sentence end, ";", ":" ... */
            if (!li.step) {
                long v;
                if (table && nst == 0 && cell_number(s + b, e - b, &v))
                    num = v; /* "| 1 | Unstack blue from orange |" */
                continue;
            }
            it_obj = task->dom.action[li.s.action].arity >= 1 ? li.s.arg[0] : -1;
            if (!first_step_line)
                first_step_line = line;
            int cont;
            if (nst++ > 0)
                cont = skip ? -1 : 1; /* the line's next step */
            else if (li.number >= 0 && cur.n > 0 && cur.last_number >= 0 &&
                     li.number == cur.last_number + 1)
                cont = 1;
            else if (li.number > 1)
                cont = -1; /* "Step 4: Perform ...": a reference to a step */
            else if (li.number >= 0)
                cont = 0;
            else if (cur.n > 0 && cur.last_number >= 0 && pl.indent > cur.indent)
                cont = -1; /* a sub-item of a numbered step */
            else
                cont = cur.n > 0 && cur.open && cur.last_number < 0;
            skip = cont < 0;
            if (cont == 0) {
                if (cur.n > 0 && !cur.incomplete_line) {
                    block t = done;
                    done = cur;
                    cur = t;
                }
                block_reset(&cur);
            }
            if (cont >= 0) {
                err = block_add(&cur, &li, line, s, n, d);
                if (nst == 1)
                    cur.last_number = li.number;
                cur.indent = pl.indent;
                cur.open = 1;
            }
        }
        if (nst == 0) {
            size_t k = 0, ind = 0;
            while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) {
                ind += s[k] == '\t' ? 4 : 1;
                k++;
            }
            if (k < n && ind <= cur.indent)
                cur.open = 0;
        }
        pos += n + 1;
    }
    free(W);
    /* THE plan: the last complete block, else the last block */
    block *plan = (cur.n > 0 && !cur.incomplete_line) || done.n == 0 ? &cur : &done;
    block *other = plan == &cur ? &done : &cur;
    free(other->steps);
    if (err != TF_OK) {
        free(plan->steps);
        return err;
    }
    if (refusal_p) {
        free(plan->steps);
        out->status = TF_PLAN_READ_REFUSED;
        out->first_line = refusal_line;
        quote(out->reason, sizeof out->reason, "refused: ", refusal_p, refusal_len);
        return TF_OK;
    }
    if (plan->n == 0) {
        free(plan->steps);
        snprintf(out->reason, sizeof out->reason, "no step line in %ld line(s)", line);
        return TF_OK;
    }
    out->steps = plan->steps;
    out->n = plan->n;
    out->form = plan->pddl ? "pddl" : "text";
    out->first_line = plan->first_line;
    out->unknown_step = plan->unknown_step;
    if (plan->unknown.p) {
        size_t m =
            plan->unknown.n < TF_STRIPS_MAX_NAME - 1 ? plan->unknown.n : TF_STRIPS_MAX_NAME - 1;
        memcpy(out->unknown, plan->unknown.p, m);
        out->unknown[m] = '\0';
    }
    if (plan->incomplete_line) {
        char pre[48];
        snprintf(pre, sizeof pre, "line %ld: ", plan->incomplete_line);
        quote(out->reason, sizeof out->reason, pre, plan->inc_p, plan->inc_n);
        out->status = TF_PLAN_READ_INCOMPLETE;
    } else {
        out->status = TF_PLAN_READ_OK;
    }
    return TF_OK;
}

void tf_plan_read_free(tf_plan_read *r)
{
    if (!r)
        return;
    free(r->steps);
    r->steps = NULL;
    r->n = 0;
}
