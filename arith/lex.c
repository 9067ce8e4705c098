/* lex.c: text into tokens for the arith module (arith_int.h).
 *
 * One pass, left to right, constant work per byte (the searches for ">>",
 * "<<" and the "}" of \text{...} are bounded or cached), so any input lexes
 * in linear time. Every byte becomes part of a token or is whitespace; a
 * byte that is not valid UTF-8 is a T_SEP of its own. */
#include "arith_int.h"

#include "tracefarm/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISDIGIT(c) ((c) >= '0' && (c) <= '9')
#define ISALPHA(c) ((((unsigned)(c)) | 32u) >= 'a' && (((unsigned)(c)) | 32u) <= 'z')

/* The longest \text{...} argument looked for (its "}" is searched at most
 * this far, which keeps the lexer linear). */
#define TEXT_ARG_MAX 256

arith_lim arith_limits(const tf_arith_opts *o)
{
    arith_lim L = {TF_ARITH_MAX_DIGITS,
                   TF_ARITH_MAX_BITS,
                   TF_ARITH_MAX_DEPTH,
                   TF_ARITH_MAX_EXPONENT,
                   TF_ARITH_MAX_STEPS,
                   0,
                   0,
                   false};
    if (!o)
        return L;
    if (o->max_digits > 0)
        L.max_digits = o->max_digits > ARITH_DIGITS_CEIL ? ARITH_DIGITS_CEIL : o->max_digits;
    if (o->max_bits > 0)
        L.max_bits = o->max_bits > ARITH_BITS_CEIL ? ARITH_BITS_CEIL : o->max_bits;
    if (o->max_depth > 0)
        L.max_depth = o->max_depth > ARITH_DEPTH_CEIL ? ARITH_DEPTH_CEIL : o->max_depth;
    if (o->max_exponent > 0)
        L.max_exponent = o->max_exponent;
    if (o->max_steps > 0)
        L.max_steps = o->max_steps;
    L.rel_tol = o->rel_tol > 0 ? o->rel_tol : 0;
    L.approx_rel_tol = o->approx_rel_tol > 0 ? o->approx_rel_tol : 0;
    L.no_rounding = o->no_rounding;
    return L;
}

void arith_msg(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    tf_utf8_sanitize(buf);
}

void arith_tok_text(const char *text, const tok *k, char *buf, size_t n)
{
    size_t len = k->len;
    if (len > 16)
        len = 16;
    char tmp[24];
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[k->off + i];
        tmp[j++] = (c == '\0' || c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    tmp[j] = '\0';
    arith_msg(buf, n, "\"%s%s\"", tmp, k->len > 16 ? "..." : "");
}

/* ----- token arrays ----------------------------------------------------------- */

void tokvec_init(tokvec *v, size_t limit)
{
    v->t = NULL;
    v->n = v->alloc = 0;
    v->limit = limit;
}

void tokvec_free(tokvec *v)
{
    free(v->t);
    v->t = NULL;
    v->n = v->alloc = 0;
}

static tf_err push(tokvec *v, size_t off, size_t len, int kind, int op, int cls, int flags)
{
    if (v->n == v->alloc) {
        if (v->n >= v->limit)
            return TF_ERR_TOO_BIG;
        size_t na = v->alloc ? v->alloc * 2 : 64;
        if (na > v->limit)
            na = v->limit;
        tok *nt = realloc(v->t, na * sizeof *nt);
        if (!nt)
            return TF_ERR_NOMEM;
        v->t = nt;
        v->alloc = na;
    }
    tok *k = &v->t[v->n++];
    k->off = off;
    k->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    k->aux = 0;
    k->kind = (uint8_t)kind;
    k->op = (uint8_t)op;
    k->cls = (uint8_t)cls;
    k->flags = (uint8_t)flags;
    return TF_OK;
}

/* ----- words --------------------------------------------------------------------- */

static const char *const stop_words[] = {
    "a",       "an",        "and",       "are",    "as",     "at",    "be",     "been",  "but",
    "can",     "could",     "did",       "do",     "does",   "each",  "every",  "for",   "from",
    "gives",   "had",       "has",       "have",   "he",     "her",   "here",   "his",   "i",
    "if",      "in",        "into",      "is",     "it",     "its",   "makes",  "me",    "my",
    "not",     "now",       "on",        "or",     "our",    "she",   "should", "so",    "than",
    "that",    "the",       "their",     "them",   "then",   "there", "these",  "they",  "this",
    "those",   "thus",      "to",        "by",     "was",    "we",    "were",   "when",  "where",
    "which",   "while",     "who",       "will",   "with",   "would", "yields", "you",   "your",
    "because", "since",     "therefore", "hence",  "equals", "gets",  "get",    "got",   "leaves",
    "left",    "remaining", "answer",    "result", "step",   "means", "need",   "needs", "out",
    "off"};

static const char *const word_ops[] = {
    "times",   "plus",     "minus",   "divided", "multiplied", "half",     "halves",  "twice",
    "double",  "triple",   "thrice",  "quarter", "quarters",   "third",    "thirds",  "over",
    "less",    "more",     "product", "sum",     "difference", "quotient", "squared", "cubed",
    "fourth",  "fifth",    "fifths",  "fourths", "tenth",      "tenths",   "dozen",   "dozens",
    "hundred", "thousand", "million", "billion"};

static bool word_is(const char *p, size_t n, const char *w)
{
    if ((char)(p[0] | 32) != w[0])
        return false;
    size_t k = strlen(w);
    if (k != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((char)(p[i] | 32) != w[i])
            return false;
    return true;
}

static int word_class(const char *p, size_t n)
{
    if (n == 1)
        return W_VAR;
    if (word_is(p, n, "of"))
        return W_OF;
    if (word_is(p, n, "per"))
        return W_PER;
    for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++)
        if (word_is(p, n, stop_words[i]))
            return W_STOP;
    for (size_t i = 0; i < sizeof word_ops / sizeof *word_ops; i++)
        if (word_is(p, n, word_ops[i]))
            return W_WORDOP;
    return W_UNIT;
}

/* Length of a UTF-8 letter of the Latin ranges at p (U+00C0..U+024F but
 * × and ÷), or 0. */
static size_t latin_letter(const unsigned char *p, size_t left)
{
    if (left < 2 || p[0] < 0xC3 || p[0] > 0xC9 || (p[1] & 0xC0) != 0x80)
        return 0;
    if (p[0] == 0xC3 && (p[1] == 0x97 || p[1] == 0xB7))
        return 0;
    return 2;
}

/* ----- UTF-8 symbols ---------------------------------------------------------------- */

enum sym_kind { S_NONE, S_SPACE, S_CURRENCY, S_TOKEN, S_VULGAR };

typedef struct sym {
    const char *bytes;
    int what;     /* enum sym_kind */
    int kind;     /* S_TOKEN: token kind */
    int op;       /* its op */
    int flags;    /* its flags */
    int num, den; /* S_VULGAR */
} sym;

static const sym syms[] = {
    {"\xC3\x97", S_TOKEN, T_OP, '*', 0, 0, 0},           /* × */
    {"\xC3\xB7", S_TOKEN, T_OP, '/', 0, 0, 0},           /* ÷ */
    {"\xC2\xB7", S_TOKEN, T_OP, '*', 0, 0, 0},           /* · */
    {"\xE2\x8B\x85", S_TOKEN, T_OP, '*', 0, 0, 0},       /* ⋅ */
    {"\xE2\x88\x97", S_TOKEN, T_OP, '*', 0, 0, 0},       /* ∗ */
    {"\xE2\x88\x92", S_TOKEN, T_OP, '-', 0, 0, 0},       /* − */
    {"\xE2\x89\x88", S_TOKEN, T_APPROX, 0, 0, 0, 0},     /* ≈ */
    {"\xE2\x89\xA0", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* ≠ */
    {"\xE2\x89\xA4", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* ≤ */
    {"\xE2\x89\xA5", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* ≥ */
    {"\xE2\x80\x93", S_TOKEN, T_OP, '-', F_MIXED, 0, 0}, /* – (a minus between operands) */
    {"\xE2\x80\x94", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* — */
    {"\xE2\x80\xA6", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* … */
    {"\xC2\xB1", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},       /* ± */
    {"\xE2\x88\x93", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* ∓ */
    {"\xE2\x88\x9A", S_TOKEN, T_SEP, 0, F_SUSP, 0, 0},   /* √ */
    {"\xC2\xB2", S_TOKEN, T_SUP, 2, 0, 0, 0},            /* ² */
    {"\xC2\xB3", S_TOKEN, T_SUP, 3, 0, 0, 0},            /* ³ */
    {"\xE2\x82\xAC", S_CURRENCY, 0, 0, 0, 0, 0},         /* € */
    {"\xC2\xA3", S_CURRENCY, 0, 0, 0, 0, 0},             /* £ */
    {"\xC2\xA0", S_SPACE, 0, 0, 0, 0, 0},                /* no-break space */
    {"\xE2\x80\xAF", S_SPACE, 0, 0, 0, 0, 0},            /* narrow no-break space */
    {"\xE2\x80\x89", S_SPACE, 0, 0, 0, 0, 0},            /* thin space */
    {"\xC2\xBD", S_VULGAR, 0, 0, 0, 1, 2},               /* ½ */
    {"\xC2\xBC", S_VULGAR, 0, 0, 0, 1, 4},               /* ¼ */
    {"\xC2\xBE", S_VULGAR, 0, 0, 0, 3, 4},               /* ¾ */
    {"\xE2\x85\x90", S_VULGAR, 0, 0, 0, 1, 7},           /* ⅐ */
    {"\xE2\x85\x91", S_VULGAR, 0, 0, 0, 1, 9},           /* ⅑ */
    {"\xE2\x85\x92", S_VULGAR, 0, 0, 0, 1, 10},          /* ⅒ */
    {"\xE2\x85\x93", S_VULGAR, 0, 0, 0, 1, 3},           /* ⅓ */
    {"\xE2\x85\x94", S_VULGAR, 0, 0, 0, 2, 3},           /* ⅔ */
    {"\xE2\x85\x95", S_VULGAR, 0, 0, 0, 1, 5},           /* ⅕ */
    {"\xE2\x85\x96", S_VULGAR, 0, 0, 0, 2, 5},           /* ⅖ */
    {"\xE2\x85\x97", S_VULGAR, 0, 0, 0, 3, 5},           /* ⅗ */
    {"\xE2\x85\x98", S_VULGAR, 0, 0, 0, 4, 5},           /* ⅘ */
    {"\xE2\x85\x99", S_VULGAR, 0, 0, 0, 1, 6},           /* ⅙ */
    {"\xE2\x85\x9A", S_VULGAR, 0, 0, 0, 5, 6},           /* ⅚ */
    {"\xE2\x85\x9B", S_VULGAR, 0, 0, 0, 1, 8},           /* ⅛ */
    {"\xE2\x85\x9C", S_VULGAR, 0, 0, 0, 3, 8},           /* ⅜ */
    {"\xE2\x85\x9D", S_VULGAR, 0, 0, 0, 5, 8},           /* ⅝ */
    {"\xE2\x85\x9E", S_VULGAR, 0, 0, 0, 7, 8},           /* ⅞ */
};

/* The symbol at p[0..left), or NULL. */
static const sym *find_sym(const char *p, size_t left)
{
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        size_t k = strlen(syms[i].bytes);
        if (k <= left && memcmp(p, syms[i].bytes, k) == 0)
            return &syms[i];
    }
    return NULL;
}

/* The vulgar fraction at p (num/den) and its length, or 0. Used by eval.c
 * through arith_vulgar. */
size_t arith_vulgar(const char *p, size_t left, int *num, int *den);
size_t arith_vulgar(const char *p, size_t left, int *num, int *den)
{
    const sym *s = find_sym(p, left);
    if (!s || s->what != S_VULGAR)
        return 0;
    *num = s->num;
    *den = s->den;
    return strlen(s->bytes);
}

/* Length of the UTF-8 sequence at p (1 for a byte that starts none). */
static size_t utf8_len(const char *p, size_t left)
{
    size_t n = tf_utf8_invalid_at(p, left < 4 ? left : 4);
    if (n == 0)
        return 1;
    unsigned char c = (unsigned char)p[0];
    size_t want = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return want <= n ? want : 1;
}

/* ----- LaTeX commands ------------------------------------------------------------------ */

static bool name_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(p, w, n) == 0;
}

static bool name_in(const char *p, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (name_is(p, n, *list))
            return true;
    return false;
}

static const char *const cmd_frac[] = {"frac", "dfrac", "tfrac", "cfrac", NULL};
static const char *const cmd_mul[] = {"cdot", "times", "ast", NULL};
static const char *const cmd_size[] = {"left", "right", "bigl", "bigr",  "Bigl",  "Bigr", "big",
                                       "Big",  "bigg",  "Bigg", "biggl", "biggr", NULL};
static const char *const cmd_text[] = {"text",   "textbf", "textrm",       "textit", "mathrm",
                                       "mathit", "mbox",   "operatorname", "textsf", NULL};
static const char *const cmd_clear[] = {"boxed",     "displaystyle", "mathbf", "bf", "rm",
                                        "it",        "mathbb",       "color",  "bm", "pmb",
                                        "textstyle", "limits",       "hbox",   NULL};
static const char *const cmd_space[] = {"quad", "qquad", "enspace", "thinspace", NULL};

/* ----- the lexer -------------------------------------------------------------------------- */

typedef struct lexer {
    const char *p;
    size_t b;
    const arith_lim *L;
    tokvec *v;
    bool space;      /* whitespace before the next token */
    size_t emitted;  /* tokens emitted so far */
    size_t close_at; /* cached: the next ">>" at or after some position (b: none) */
    size_t open_at;  /* cached: the next "<<" */
} lexer;

/* Position of the next "ab" at or after i in [i, b), or b. */
static size_t find2(const char *p, size_t i, size_t b, char x, char y)
{
    while (i + 1 < b) {
        const char *q = memchr(p + i, x, b - 1 - i);
        if (!q)
            return b;
        i = (size_t)(q - p);
        if (p[i + 1] == y)
            return i;
        i++;
    }
    return b;
}

static tf_err emit(lexer *x, size_t off, size_t len, int kind, int op, int cls, int flags)
{
    tf_err err = push(x->v, off, len, kind, op, cls, flags | (x->space ? F_SPACE : 0));
    x->space = false;
    x->emitted++;
    return err;
}

/* A number at i: digits with grouping commas ("1,200"), decimals (".5",
 * "3.25"), a vulgar fraction after an integer ("2½"). */
static tf_err lex_number(lexer *x, size_t *ip)
{
    const char *p = x->p;
    size_t i = *ip, b = x->b, start = i;
    long digits = 0;
    int flags = 0;
    if (p[i] != '.') {
        size_t g = 0;
        while (i < b && ISDIGIT(p[i]))
            i++, g++;
        digits += (long)g;
        size_t first = g;
        bool grouped = false;
        while (i + 1 < b && p[i] == ',' && ISDIGIT(p[i + 1])) {
            size_t k = 0;
            while (i + 1 + k < b && ISDIGIT(p[i + 1 + k]))
                k++;
            if (k != 3 || first > 3 || (first == 1 && p[start] == '0' && !grouped))
                flags |= F_BAD;
            grouped = true;
            digits += (long)k;
            i += 1 + k;
        }
    }
    bool decimals = false;
    if (i + 1 < b && p[i] == '.' && ISDIGIT(p[i + 1])) {
        decimals = true;
        i++;
        while (i < b && ISDIGIT(p[i]))
            i++, digits++;
        /* a grouping comma after the decimals ("1.200,50") */
        while (i + 1 < b && p[i] == ',' && ISDIGIT(p[i + 1])) {
            flags |= F_BAD;
            i++;
            while (i < b && ISDIGIT(p[i]))
                i++, digits++;
        }
    }
    int num, den;
    size_t vl = !decimals && !(flags & F_BAD) ? arith_vulgar(p + i, b - i, &num, &den) : 0;
    if (vl > 0) {
        flags |= F_VULGAR;
        i += vl;
    }
    if (digits > x->L->max_digits)
        flags |= F_LONG;
    *ip = i;
    return emit(x, start, i - start, T_NUM, 0, 0, flags);
}

/* A word at i: letters (ASCII and Latin), with inner ' and -. */
static tf_err lex_word(lexer *x, size_t *ip)
{
    const char *p = x->p;
    size_t i = *ip, b = x->b, start = i;
    for (;;) {
        size_t l;
        if (i < b && ISALPHA(p[i])) {
            i++;
        } else if ((l = latin_letter((const unsigned char *)p + i, b - i)) > 0) {
            i += l;
        } else if (i + 1 < b && (p[i] == '\'' || p[i] == '-') && i > start && ISALPHA(p[i + 1])) {
            i++;
        } else {
            break;
        }
    }
    *ip = i;
    size_t n = i - start;
    if (n == 1 && (p[start] == 'x' || p[start] == 'X'))
        return emit(x, start, n, T_X, 0, 0, 0);
    if (word_is(p + start, n, "percent"))
        return emit(x, start, n, T_PCT, 0, 0, 0);
    return emit(x, start, n, T_WORD, 0, word_class(p + start, n), 0);
}

/* A backslash at i: a LaTeX command or an escaped character. */
static tf_err lex_command(lexer *x, size_t *ip)
{
    const char *p = x->p;
    size_t i = *ip, b = x->b, start = i;
    if (i + 1 >= b) {
        *ip = i + 1;
        return emit(x, start, 1, T_SEP, 0, 0, 0);
    }
    char c = p[i + 1];
    if (!ISALPHA(c)) {
        *ip = i + 2;
        switch (c) {
        case '$':
            x->space = true; /* currency */
            return TF_OK;
        case '%':
            return emit(x, start, 2, T_PCT, 0, 0, 0);
        case ',':
        case ';':
        case '!':
        case ':':
        case ' ':
            x->space = true;
            return TF_OK;
        default: /* \( \) \[ \] \\ \{ \}: boundaries */
            return emit(x, start, 2, T_SEP, 0, 0, 0);
        }
    }
    size_t j = i + 1;
    while (j < b && ISALPHA(p[j]))
        j++;
    const char *name = p + i + 1;
    size_t n = j - i - 1;
    *ip = j;
    if (name_in(name, n, cmd_frac))
        return emit(x, start, j - start, T_FRAC, 0, 0, 0);
    if (name_in(name, n, cmd_mul))
        return emit(x, start, j - start, T_OP, '*', 0, 0);
    if (name_is(name, n, "div"))
        return emit(x, start, j - start, T_OP, '/', 0, 0);
    if (name_is(name, n, "approx"))
        return emit(x, start, j - start, T_APPROX, 0, 0, 0);
    if (name_in(name, n, cmd_space)) {
        x->space = true;
        return TF_OK;
    }
    if (name_in(name, n, cmd_clear))
        return TF_OK; /* its argument's braces are ordinary grouping */
    if (name_in(name, n, cmd_size)) {
        size_t k = j;
        while (k < b && p[k] == ' ')
            k++;
        if (k < b && (p[k] == '(' || p[k] == '[')) {
            *ip = k + 1;
            return emit(x, start, k + 1 - start, T_LP, p[k], 0, 0);
        }
        if (k < b && (p[k] == ')' || p[k] == ']')) {
            *ip = k + 1;
            return emit(x, start, k + 1 - start, T_RP, p[k] == ')' ? '(' : '[', 0, 0);
        }
        if (k + 1 < b && p[k] == '\\' && (p[k + 1] == '{' || p[k + 1] == '}')) {
            *ip = k + 2;
            return emit(x, start, k + 2 - start, p[k + 1] == '{' ? T_LP : T_RP, '{', 0, 0);
        }
        if (k < b && (p[k] == '.' || p[k] == '|')) {
            *ip = k + 1; /* \left. is nothing */
            return TF_OK;
        }
        return emit(x, start, j - start, T_SEP, 0, 0, F_SUSP);
    }
    if (name_in(name, n, cmd_text)) {
        size_t k = j;
        while (k < b && p[k] == ' ')
            k++;
        if (k < b && p[k] == '{') {
            size_t lim = b - k > TEXT_ARG_MAX ? k + TEXT_ARG_MAX : b;
            const char *q = memchr(p + k, '}', lim - k);
            if (q) {
                *ip = (size_t)(q - p) + 1;
                return emit(x, start, *ip - start, T_WORD, 0, W_UNIT, 0);
            }
        }
        return emit(x, start, j - start, T_SEP, 0, 0, F_SUSP);
    }
    if (name_is(name, n, "percent"))
        return emit(x, start, j - start, T_PCT, 0, 0, 0);
    /* \begin{align*}, \end{aligned}: a boundary, with the environment's
     * name (rows end at "\\", cells at "&", which is space) */
    if (name_is(name, n, "begin") || name_is(name, n, "end")) {
        if (j < b && p[j] == '{') {
            const char *q = memchr(p + j, '}', b - j > 32 ? 32 : b - j);
            if (q)
                *ip = (size_t)(q - p) + 1;
        }
        return emit(x, start, *ip - start, T_SEP, 0, 0, 0);
    }
    /* \sqrt, \pi, \le, \cdots, \pm, ...: may belong to the expression next to it */
    return emit(x, start, j - start, T_SEP, 0, 0, F_SUSP);
}

/* "<<" at i: an annotation when a ">>" follows before any other "<<". */
static bool annotation_end(lexer *x, size_t i, size_t *end)
{
    /* both caches only move forward: each byte is searched once */
    if (x->close_at != x->b && x->close_at < i + 2)
        x->close_at = find2(x->p, i + 2, x->b, '>', '>');
    if (x->close_at == x->b)
        return false;
    if (x->open_at != x->b && x->open_at < i + 2)
        x->open_at = find2(x->p, i + 2, x->b, '<', '<');
    if (x->open_at < x->close_at)
        return false;
    *end = x->close_at + 2;
    return true;
}

tf_err arith_lex(const char *p, size_t a, size_t b, unsigned mode, const arith_lim *L, tokvec *v,
                 tf_diag *why)
{
    lexer x = {p, b, L, v, true, 0, 0, 0};
    v->n = 0;
    bool linestart = (mode & LEX_LINESTART) != 0;
    size_t i = a;
    tf_err err = TF_OK;
    while (i < b && err == TF_OK) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == '&') {
            x.space = true;
            i++;
            continue;
        }
        /* bullets: "- ", "* ", "+ " first on a line */
        if (linestart && x.emitted == 0 && (c == '-' || c == '*' || c == '+') && i + 1 < b &&
            (p[i + 1] == ' ' || p[i + 1] == '\t')) {
            err = emit(&x, i, 1, T_SEP, 0, 0, 0);
            i++;
            continue;
        }
        if (ISDIGIT(c) || (c == '.' && i + 1 < b && ISDIGIT(p[i + 1]))) {
            err = lex_number(&x, &i);
            continue;
        }
        if (ISALPHA(c) || latin_letter((const unsigned char *)p + i, b - i)) {
            err = lex_word(&x, &i);
            continue;
        }
        size_t end;
        switch (c) {
        case '\\':
            err = lex_command(&x, &i);
            continue;
        case '$':
            if (i + 1 < b && p[i + 1] == '$') {
                err = emit(&x, i, 2, T_SEP, 0, 0, 0); /* display math */
                i += 2;
            } else {
                x.space = true; /* currency, or inline math: either way nothing */
                i++;
            }
            continue;
        case '<':
        case '>':
            if (i + 1 < b && p[i + 1] == '=') {
                err = emit(&x, i, 2, T_SEP, 0, 0, F_SUSP); /* <= >= */
                i += 2;
                continue;
            }
            if (c == '<' && (mode & LEX_ANNOT) && i + 1 < b && p[i + 1] == '<' &&
                annotation_end(&x, i, &end)) {
                err = emit(&x, i, end - i, T_ANNOT, 0, 0, 0);
                i = end;
                continue;
            }
            break;
        case '=':
            if (i + 1 < b && (p[i + 1] == '=' || p[i + 1] == '>')) {
                err = emit(&x, i, 2, T_SEP, 0, 0, F_SUSP);
                i += 2;
            } else {
                err = emit(&x, i, 1, T_EQ, 0, 0, 0);
                i++;
            }
            continue;
        case '~':
            if (i + 1 < b && p[i + 1] == '=') {
                err = emit(&x, i, 2, T_APPROX, 0, 0, 0);
                i += 2;
            } else {
                err = emit(&x, i, 1, T_SEP, 0, 0, F_SUSP);
                i++;
            }
            continue;
        case '*':
            if (i + 1 < b && p[i + 1] == '*') {
                err = emit(&x, i, 2, T_SEP, 0, 0, 0); /* markdown bold */
                i += 2;
            } else {
                err = emit(&x, i, 1, T_OP, '*', 0, 0);
                i++;
            }
            continue;
        case '+':
        case '-':
        case '/':
        case '^':
            /* a hyphen between a digit and a letter ("5-year") is not minus */
            if (c == '-' && i > a && ISDIGIT(p[i - 1]) && i + 1 < b && ISALPHA(p[i + 1]))
                err = emit(&x, i, 1, T_SEP, 0, 0, 0);
            else
                err = emit(&x, i, 1, T_OP, c, 0, 0);
            i++;
            continue;
        case '(':
        case '[':
        case '{':
            err = emit(&x, i, 1, T_LP, c, 0, 0);
            i++;
            continue;
        case ')':
        case ']':
        case '}':
            err = emit(&x, i, 1, T_RP, c == ')' ? '(' : c == ']' ? '[' : '{', 0, 0);
            i++;
            continue;
        case '%':
            err = emit(&x, i, 1, T_PCT, 0, 0, 0);
            i++;
            continue;
        case ':':
            if (i + 1 < b && p[i + 1] == '=') {
                err = emit(&x, i, 2, T_SEP, 0, 0, F_SUSP); /* := */
                i += 2;
                continue;
            }
            /* 3:30, 2:1 */
            err =
                emit(&x, i, 1, T_SEP, 0, 0,
                     (i > a && ISDIGIT(p[i - 1])) && (i + 1 < b && ISDIGIT(p[i + 1])) ? F_SUSP : 0);
            i++;
            continue;
        case '!':
            err =
                emit(&x, i, i + 1 < b && p[i + 1] == '=' ? 2 : 1, T_SEP, 0, 0, F_SUSP); /* 5! != */
            i += i + 1 < b && p[i + 1] == '=' ? 2 : 1;
            continue;
        default:
            break;
        }
        if (c >= 0x80) {
            const sym *s = find_sym(p + i, b - i);
            if (s && s->what == S_VULGAR) {
                err = lex_number(&x, &i); /* ½ alone */
                continue;
            }
            if (s) {
                size_t k = strlen(s->bytes);
                if (s->what == S_SPACE || s->what == S_CURRENCY)
                    x.space = true;
                else
                    err = emit(&x, i, k, s->kind, s->op, 0, s->flags);
                i += k;
                continue;
            }
            size_t k = utf8_len(p + i, b - i);
            err = emit(&x, i, k, T_SEP, 0, 0, 0);
            i += k;
            continue;
        }
        if (c == '.' && i + 2 < b && p[i + 1] == '.' && p[i + 2] == '.') {
            err = emit(&x, i, 3, T_SEP, 0, 0, F_SUSP); /* 33.333... */
            i += 3;
            continue;
        }
        /* other ASCII punctuation, control bytes, NUL */
        err = emit(&x, i, 1, T_SEP, 0, 0, 0);
        i++;
    }
    if (err == TF_ERR_TOO_BIG)
        tf_diag_set(why, "a line of more than %zu tokens", v->limit);
    return err;
}
