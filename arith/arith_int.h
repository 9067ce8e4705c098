/* arith_int.h: the arith module's insides (arith.h is the interface):
 * tokens and the lexer (lex.c), the span builder that finds where an
 * expression starts and ends in prose (span.c), and the evaluator over a
 * range of tokens (eval.c). scan.c and answer.c build on them. */
#ifndef TRACEFARM_ARITH_INT_H
#define TRACEFARM_ARITH_INT_H

#include "tracefarm/arith.h"

#include <stdint.h>

/* ----- resolved options ---------------------------------------------------- */

/* Hard ceilings of the options (a caller cannot raise the caps past them:
 * the literal buffer and the evaluator's C stack depend on them). */
#define ARITH_DIGITS_CEIL 1000
#define ARITH_DEPTH_CEIL 1000
#define ARITH_BITS_CEIL (1L << 20)

typedef struct arith_lim {
    int max_digits;
    long max_bits;
    int max_depth;
    long max_exponent;
    long max_steps;
    double rel_tol, approx_rel_tol;
    bool no_rounding;
} arith_lim;

/* o (may be NULL) with its zero fields replaced by the defaults and its caps
 * clamped to the ceilings. */
arith_lim arith_limits(const tf_arith_opts *o);

/* ----- tokens ---------------------------------------------------------------- */

enum tok_kind {
    T_NUM,    /* a number literal: digits, grouping commas, decimals, ½ */
    T_OP,     /* op: '+', '-', '*', '/', '^'; after building also 'o' ("of") */
    T_X,      /* a lone letter x or X: "times" between operands, else a variable */
    T_LP,     /* op: '(', '[', '{' */
    T_RP,     /* op: '(', '[', '{' (the kind of bracket it closes) */
    T_FRAC,   /* \frac, \dfrac, \tfrac, \cfrac */
    T_EQ,     /* = */
    T_APPROX, /* ≈, \approx, ~= */
    T_PCT,    /* %, \%, the word "percent" */
    T_SUP,    /* ², ³ (op: 2 or 3) */
    T_WORD,   /* a word (cls says which kind), or \text{...} */
    T_SEP,    /* anything else: punctuation, unknown symbols and commands */
    T_ANNOT,  /* a calculator annotation <<...>> (aux: its first step's id) */
};

/* word classes (tok.cls of T_WORD) */
enum word_cls {
    W_UNIT,   /* a word that may stand between a number and an operator */
    W_STOP,   /* a function word: never a unit ("and", "is", "so") */
    W_WORDOP, /* a word that computes: "times", "half", "of" not after a percent */
    W_OF,     /* "of" */
    W_PER,    /* "per" */
    W_VAR,    /* a single letter (not x): a variable when next to an operator */
};

/* tok.flags */
#define F_SPACE 0x01 /* whitespace (or the start of the range) before it */
#define F_BIN                                                                                      \
    0x02            /* builder: an operation (binary operator, implicit product,                   \
                       %, ², \frac, "of") */
#define F_SKIP 0x04 /* builder: a unit word absorbed into an expression */
#define F_BAD 0x08  /* T_NUM: bad thousands grouping ("1,20") */
#define F_LONG 0x10 /* T_NUM: more digits than max_digits */
#define F_SUSP                                                                                     \
    0x20              /* T_SEP: a symbol that may belong to a neighbouring                         \
                         expression (":" in 3:30, "!", "–", "±", \sqrt) */
#define F_VULGAR 0x40 /* T_NUM: ends in a vulgar fraction (½, 2¼) */
#define F_MIXED                                                                                    \
    0x80 /* T_NUM: the integer of a mixed number "3 1/2" (builder);                                \
            T_OP: a dash that is a minus only between operands */

typedef struct tok {
    size_t off;   /* byte offset in the text */
    uint32_t len; /* bytes */
    uint32_t aux; /* T_ANNOT: id of its first step */
    uint8_t kind; /* enum tok_kind */
    uint8_t op;   /* see enum tok_kind */
    uint8_t cls;  /* T_WORD: enum word_cls */
    uint8_t flags;
} tok;

/* A growable token array with a cap. */
typedef struct tokvec {
    tok *t;
    size_t n, alloc, limit;
} tokvec;

void tokvec_init(tokvec *v, size_t limit);
void tokvec_free(tokvec *v);

/* lexer modes */
#define LEX_ANNOT 0x1     /* recognise <<...>> as T_ANNOT */
#define LEX_LINESTART 0x2 /* the range starts a line: "- ", "* " are bullets */

/* Append the tokens of p[a..b) to v (which is emptied first). Newlines are
 * whitespace. TF_ERR_TOO_BIG past v's limit (why says so), TF_ERR_NOMEM. */
tf_err arith_lex(const char *p, size_t a, size_t b, unsigned mode, const arith_lim *L, tokvec *v,
                 tf_diag *why);

/* ----- spans ------------------------------------------------------------------ */

/* An expression span: tokens [s, e) form expressions separated by = or ≈;
 * prev is the index of the token before it (SIZE_MAX: none), next the index
 * of the token after it (== m: none). */
typedef tf_err (*span_fn)(void *ctx, tok *t, size_t m, size_t s, size_t e, size_t prev,
                          size_t next);

/* Find the spans of t[0..m) in order, marking tokens (F_BIN, F_SKIP; T_X
 * and "of" become T_OP when they multiply), and call fn for each. Stops at
 * the first error fn returns. */
tf_err arith_spans(const char *text, tok *t, size_t m, span_fn fn, void *ctx);

/* The first token at or after i that is not absorbed or an annotation (m if
 * none), and the last one before e at or after s (SIZE_MAX if none). */
size_t arith_next(const tok *t, size_t i, size_t m);
size_t arith_prev(const tok *t, size_t s, size_t e);

/* ----- evaluation ----------------------------------------------------------------- */

/* What the evaluation of one side found. */
typedef struct side {
    tf_arith_reason reason; /* NONE: v holds the value */
    char why[120];          /* when reason is set */
    mpq_t v;
    long ops;         /* operations counted (docs/arith.md) */
    bool has_num;     /* a number literal somewhere */
    bool has_op;      /* an operation (F_BIN) somewhere */
    bool has_pct;     /* a % somewhere */
    bool unit;        /* a unit word was absorbed ("1.5 quarts =") */
    bool times100;    /* ends in "* 100%" (a share as percentage points) */
    bool literal;     /* one number literal, maybe signed, with % or units */
    bool lit_pct;     /* ... followed by % */
    int lit_decimals; /* ... its digits after the point */
    int lit_zeros;    /* ... trailing zeros of an integer literal */
    size_t off, len;  /* the text of the side */
} side;

void side_init(side *s);
void side_clear(side *s);

/* Evaluate tokens [a, b) of t into s (its value and facts). A parse error
 * or a cap is s->reason; only TF_ERR_NOMEM fails. */
tf_err arith_eval_range(const char *text, const tok *t, size_t a, size_t b, const arith_lim *L,
                        side *s);

/* Format v into buf (n bytes) as arith.h's tf_arith_format does, or as "a
 * number of N digits" when it would not fit. */
void arith_format_short(const mpq_t v, char *buf, size_t n);

/* snprintf into buf and replace any invalid UTF-8 with '?'. */
void arith_msg(char *buf, size_t n, const char *fmt, ...) TF_PRINTF(3, 4);

/* The text of token k for messages: at most 16 bytes, quoted. */
void arith_tok_text(const char *text, const tok *k, char *buf, size_t n);

#endif
