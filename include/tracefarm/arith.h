/* arith.h: exact arithmetic in natural-language math: expressions, the
 * steps of a chain of thought, final answers and GSM8K reference solutions.
 *
 * Four parts, all pure (bytes in, values out: no files, no MPI, no
 * globals), all exact (GMP rationals, mpq_t):
 *
 *   - tf_arith_eval: one expression ("1,200 / 4", "12.5% of 80",
 *     "\frac{3}{4} \cdot 12", "$2 x 9") into a rational;
 *   - tf_arith_scan: every arithmetic step of a whole response: GSM8K
 *     calculator annotations <<48/2=24>> and equations in the prose
 *     ("16 - 3 - 4 = 9", chains "a = b = c"), each with its verdict;
 *   - tf_arith_find_answer: the final answer ("#### 18", "\boxed{18}",
 *     "The answer is 18", or the last number, flagged);
 *   - tf_arith_reference: a GSM8K reference solution: its answer and its
 *     complexity (the arithmetic operations of its annotations).
 *
 * docs/arith.md has the rules (number forms, operators, what counts as a
 * step, the rounding rule, the order of answer forms, the caps) with
 * examples. Untrusted text never crashes and never takes more than linear
 * time: every literal, result, nesting and list has a cap (below), and
 * going past one is a per-step result ("unparsed", with the reason), or
 * TF_ERR_TOO_BIG for the lists that hold a whole response.
 *
 * Values are GMP rationals: the caller initialises an mpq_t it passes in
 * (mpq_init) and clears it (mpq_clear); values inside the structs below
 * belong to their owner (the scan, the answer) and are read only.
 */
#ifndef TRACEFARM_ARITH_H
#define TRACEFARM_ARITH_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>

/* ----- caps and options ------------------------------------------------ */

#define TF_ARITH_MAX_DIGITS 200             /* digits in one number literal */
#define TF_ARITH_MAX_BITS 4096              /* bits of a numerator or denominator */
#define TF_ARITH_MAX_DEPTH 100              /* nested brackets, signs and powers */
#define TF_ARITH_MAX_EXPONENT 4096          /* |n| in a^n */
#define TF_ARITH_MAX_STEPS 65536            /* steps kept by one scan */
#define TF_ARITH_MAX_LINE_TOKENS (1L << 20) /* tokens on one line of a response */

/* Options. A zeroed struct (or NULL where an options pointer is taken)
 * means the defaults: the caps above, exact comparison with the rounding
 * rule of docs/arith.md and no relative tolerance. */
typedef struct tf_arith_opts {
    int max_digits;        /* 0: TF_ARITH_MAX_DIGITS */
    int max_bits;          /* 0: TF_ARITH_MAX_BITS */
    int max_depth;         /* 0: TF_ARITH_MAX_DEPTH */
    long max_exponent;     /* 0: TF_ARITH_MAX_EXPONENT */
    long max_steps;        /* 0: TF_ARITH_MAX_STEPS */
    double rel_tol;        /* also accept |lhs - rhs| <= rel_tol * |lhs| in every
                              step (0: off); such steps are ok and "rounded" */
    double approx_rel_tol; /* the same for "≈" steps only (0: off) */
    bool no_rounding;      /* refuse rounded right sides ("1/3 = 0.33" is wrong) */
} tf_arith_opts;

/* Why a value could not be had, or why a step is wrong. */
typedef enum tf_arith_reason {
    TF_ARITH_R_NONE = 0,
    TF_ARITH_R_MISMATCH,   /* wrong: the two sides differ */
    TF_ARITH_R_UNDEFINED,  /* wrong: division by zero, 0^0, 0^-n */
    TF_ARITH_R_SYNTAX,     /* unparsed: not an expression ("3 + * 4", "(3") */
    TF_ARITH_R_VARIABLE,   /* unparsed: a letter stands for a number ("3x + 1") */
    TF_ARITH_R_AMBIGUOUS,  /* unparsed: two readings ("6/2(1+2)", "2 + 10%") */
    TF_ARITH_R_CONTEXT,    /* unparsed: the text next to the step may belong to it
                              ("half of 10 + 4 = 9", "2 1/2 * 4 = 10") */
    TF_ARITH_R_BAD_NUMBER, /* unparsed: "1,20" (bad thousands grouping) */
    TF_ARITH_R_EXPONENT,   /* unparsed: an exponent that is not a small integer */
    TF_ARITH_R_TOO_DEEP,   /* unparsed: nested too deep (max_depth) */
    TF_ARITH_R_TOO_LONG,   /* unparsed: a number literal over max_digits */
    TF_ARITH_R_TOO_LARGE,  /* unparsed: a result over max_bits */
    TF_ARITH_R_COUNT
} tf_arith_reason;

/* "mismatch", "undefined", "syntax", "variable", "ambiguous", "context",
 * "bad_number", "exponent", "nested_too_deep", "number_too_long",
 * "result_too_large"; "none" for TF_ARITH_R_NONE; NULL out of range. */
const char *tf_arith_reason_name(tf_arith_reason r);

/* ----- one expression ---------------------------------------------------- */

/* Evaluate the expression s[0..n) (need not be NUL-terminated; may hold any
 * bytes) into out, which the caller has initialised. The whole text must be
 * one expression, optionally followed by unit words ("18 dollars"); number
 * forms and operators are those of docs/arith.md. Returns TF_OK with the
 * value; TF_ERR_PARSE (bad syntax, a variable, an ambiguity, a bad number,
 * division by zero: *reason says which) or TF_ERR_TOO_BIG (a cap: too long
 * a literal, too large a result or exponent, nested too deep), with the
 * reason in *reason (may be NULL) and a message in why (may be NULL); out
 * is then unspecified. TF_ERR_NOMEM. */
tf_err tf_arith_eval(const char *s, size_t n, const tf_arith_opts *o, mpq_t out,
                     tf_arith_reason *reason, tf_diag *why) TF_MUST_USE;

/* Append v as text: an integer ("-18"), a terminating decimal of at most 40
 * decimals ("0.125"), else a fraction ("1/3"). TF_ERR_TOO_BIG past out's
 * cap, TF_ERR_NOMEM. */
tf_err tf_arith_format(const mpq_t v, tf_buf *out) TF_MUST_USE;

/* a == b, or |a - b| <= rel_tol * |b| when rel_tol > 0. */
bool tf_arith_close(const mpq_t a, const mpq_t b, double rel_tol);

/* ----- the steps of a response -------------------------------------------- */

typedef enum tf_arith_kind {
    TF_ARITH_ANNOTATION, /* a GSM8K calculator annotation <<expr=result>> */
    TF_ARITH_INLINE,     /* an equation in the prose, "16 - 3 - 4 = 9" */
} tf_arith_kind;

typedef enum tf_arith_verdict {
    TF_ARITH_OK,       /* the sides are equal (or the right side is the left rounded) */
    TF_ARITH_WRONG,    /* they differ, or a side is undefined (reason says which) */
    TF_ARITH_UNPARSED, /* a side could not be read: counted, never guessed */
} tf_arith_verdict;

/* "annotation", "inline"; "ok", "wrong", "unparsed". */
const char *tf_arith_kind_name(tf_arith_kind k);
const char *tf_arith_verdict_name(tf_arith_verdict v);

/* One step: "lhs = rhs" (or "lhs ≈ rhs"); a chain "a = b = c" is two steps,
 * a = b and b = c. Offsets are bytes into the scanned text. */
typedef struct tf_arith_step {
    size_t index;             /* position in the scan, in text order */
    tf_arith_kind kind;       /* annotation or inline */
    size_t off, len;          /* the step: from its left side to its right side
                                 (an annotation: the whole <<...>>) */
    size_t lhs_off, lhs_len;  /* the left side's text */
    size_t rhs_off, rhs_len;  /* the right side's text */
    bool approx;              /* written with "≈" (or \approx, ~=) */
    tf_arith_verdict verdict; /* ok, wrong or unparsed */
    tf_arith_reason reason;   /* NONE when ok; MISMATCH or UNDEFINED when wrong;
                                 why it could not be read when unparsed */
    bool rounded;             /* ok only by the rounding rule or a tolerance */
    bool has_lhs, has_rhs;    /* lhs, rhs hold the sides' values */
    mpq_t lhs, rhs;           /* the values (owned by the scan) */
    long link;                /* inline: index of the annotation whose shown
                                 result is this step's right side
                                 ("9 = <<16-3-4=9>>9"); annotation: the index
                                 of that inline step; -1: none */
    long ops;                 /* arithmetic operations in the left side
                                 (docs/arith.md, "complexity"); -1 unknown */
    char why[160];            /* one line for wrong and unparsed steps ("" when ok):
                                 "12 * 3 is 36, not 35", "division by zero" */
} tf_arith_step;

typedef struct tf_arith_scan tf_arith_scan; /* opaque: the steps of one text */

/* Find and check every step of text[0..n) (any bytes). *out holds the
 * steps in text order (caller frees with tf_arith_scan_free); bad
 * arithmetic and unreadable steps are verdicts, never errors. Errors:
 * TF_ERR_TOO_BIG (more than max_steps steps, or a line of more than
 * TF_ARITH_MAX_LINE_TOKENS tokens; message in why), TF_ERR_NOMEM. On error
 * *out is NULL. */
tf_err tf_arith_scan_text(const char *text, size_t n, const tf_arith_opts *o, tf_arith_scan **out,
                          tf_diag *why) TF_MUST_USE;
void tf_arith_scan_free(tf_arith_scan *s); /* accepts NULL */

/* The number of steps, and step i (i < count; owned by the scan). */
size_t tf_arith_scan_count(const tf_arith_scan *s);
const tf_arith_step *tf_arith_scan_step(const tf_arith_scan *s, size_t i);

/* The last result: of the steps whose right side has a value, the one whose
 * right side ends last in the text (its rhs is what the reasoning arrived
 * at), or NULL when there is none. */
const tf_arith_step *tf_arith_scan_last_result(const tf_arith_scan *s);

/* Counts of steps by verdict, of one kind (kind >= 0) or of all (-1). */
typedef struct tf_arith_tally {
    long ok, wrong, unparsed;
} tf_arith_tally;
tf_arith_tally tf_arith_scan_tally(const tf_arith_scan *s, int kind);

/* ----- final answers -------------------------------------------------------- */

typedef enum tf_arith_method {
    TF_ARITH_ANS_NONE,        /* no answer form and no number at all */
    TF_ARITH_ANS_HASH,        /* "#### 18" (GSM8K) */
    TF_ARITH_ANS_BOXED,       /* "\boxed{18}" */
    TF_ARITH_ANS_ANSWER_IS,   /* "The answer is 18", "Answer: 18", "A: 18" */
    TF_ARITH_ANS_LAST_NUMBER, /* no answer form: the last number of the text */
} tf_arith_method;

/* "none", "hash", "boxed", "answer_is", "last_number". */
const char *tf_arith_method_name(tf_arith_method m);

typedef enum tf_arith_status {
    TF_ARITH_ANSWER_NONE,       /* no answer: a result, not an error */
    TF_ARITH_ANSWER_FOUND,      /* value holds the answer */
    TF_ARITH_ANSWER_UNREADABLE, /* a "####" or "\boxed{" whose value cannot be read
                                   ("#### five", "\boxed{x+1}"): reason, why */
} tf_arith_status;

typedef struct tf_arith_answer {
    tf_arith_status status;
    tf_arith_method method; /* the form it was read from */
    size_t off, len;        /* the value's text (FOUND, UNREADABLE: the form's text) */
    mpq_t value;            /* FOUND: the answer (owned by the struct) */
    tf_arith_reason reason; /* UNREADABLE: why */
    char why[160];          /* UNREADABLE: one line */
} tf_arith_answer;

/* Initialise a (its value too) / free what it holds. Clear each answer that
 * was initialised, whatever happened in between. */
void tf_arith_answer_init(tf_arith_answer *a);
void tf_arith_answer_clear(tf_arith_answer *a);

/* The final answer of text[0..n) into a (initialised by the caller; any
 * earlier result is overwritten). The forms are tried in the order of
 * docs/arith.md: the last "####", the last "\boxed{}", the last "answer is"
 * / "Answer:" / line-initial "A:" followed by a number, and else the last
 * number in the text (method last_number: a guess, flagged as such). A
 * trailing "%" is not applied ("#### 25%" is 25). Errors: TF_ERR_TOO_BIG
 * (a line of more than TF_ARITH_MAX_LINE_TOKENS tokens), TF_ERR_NOMEM. */
tf_err tf_arith_find_answer(const char *text, size_t n, const tf_arith_opts *o,
                            tf_arith_answer *a) TF_MUST_USE;

/* The answer was found and equals want exactly (or within rel_tol > 0,
 * relative to want). */
bool tf_arith_answer_matches(const tf_arith_answer *a, const mpq_t want, double rel_tol);

/* ----- reference solutions (GSM8K) ------------------------------------------- */

typedef struct tf_arith_reference {
    tf_arith_answer answer; /* from "####"; a text without "####" is read as an
                               answer by tf_arith_find_answer */
    long annotations;       /* calculator annotations <<...>> in the text */
    long complexity;        /* arithmetic operations in the annotations' left
                               sides (docs/arith.md); -1 unknown: no annotation
                               (a bare answer) or one that does not parse */
    long wrong;             /* annotations whose two sides differ (a slip in the
                               reference itself) */
} tf_arith_reference;

void tf_arith_reference_init(tf_arith_reference *r);
void tf_arith_reference_clear(tf_arith_reference *r);

/* Read a reference solution (text[0..n)) into r (initialised by the
 * caller). Errors as tf_arith_scan_text. */
tf_err tf_arith_reference_parse(const char *text, size_t n, const tf_arith_opts *o,
                                tf_arith_reference *r, tf_diag *why) TF_MUST_USE;

#endif
