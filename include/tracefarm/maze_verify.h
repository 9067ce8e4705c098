/* maze_verify.h: the maze domain's verifier: reference and strict
 * verdicts of an A* search trace, and the plan verdict.
 *
 * Pure: no files, no MPI, no network. See docs/maze.md for the trace
 * language and every error code.
 */
#ifndef TRACEFARM_MAZE_VERIFY_H
#define TRACEFARM_MAZE_VERIFY_H

#include "tracefarm/err.h"
#include "tracefarm/maze.h"

#include <stdbool.h>
#include <stddef.h>

/* Error codes, trace then plan. Names (tf_maze_code_name) are the strings
 * written to outputs. STRICT_ codes are only ever reported by the strict
 * verdict; the others by both. */
typedef enum tf_maze_code {
    TF_MAZE_OK = 0,
    /* trace, reference-compatible */
    TF_MAZE_OPERATION_SYNTAX_ERROR,
    TF_MAZE_INVALID_COORDINATES,
    TF_MAZE_CREATE_CLOSE_WALL,
    TF_MAZE_FIRST_CREATE_NOT_LAST_CLOSED, /* create before any close (beyond
                                             dialect; searchformer allows the
                                             start to be created first) */
    TF_MAZE_CREATE_NON_NEIGHBOR,
    TF_MAZE_CREATE_ALREADY_CLOSED,
    TF_MAZE_CLOSE_NOT_IN_OPEN_LIST,
    TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE,
    TF_MAZE_GOAL_NOT_REACHED,
    TF_MAZE_PLAN_EXTRACTION_ERROR,
    TF_MAZE_PLAN_LENGTH_MISMATCH,
    TF_MAZE_EXTRACTED_PLAN_INVALID,
    /* trace, strict only */
    TF_MAZE_STRICT_WRONG_G,         /* g != parent g + 1 (start: g != 0) */
    TF_MAZE_STRICT_WRONG_H,         /* h != Manhattan distance to goal */
    TF_MAZE_STRICT_START_NOT_FIRST, /* searchformer: first create is not
                                       the start (or a second pre-close
                                       create) */
    TF_MAZE_STRICT_CLOSE_ALREADY_CLOSED,
    TF_MAZE_STRICT_MISSING_NEIGHBOR, /* an improvable neighbour of the
                                        expanded node was not created */
    TF_MAZE_STRICT_AFTER_GOAL,       /* operations after the goal closed */
    /* plan */
    TF_MAZE_PLAN_SYNTAX_ERROR,
    TF_MAZE_ILLEGAL_START,
    TF_MAZE_ILLEGAL_MOVE,
    TF_MAZE_PLAN_GOAL_NOT_REACHED,
    TF_MAZE_CODE_COUNT
} tf_maze_code;

/* "operation_syntax_error", ... ; "ok" for TF_MAZE_OK; NULL out of range. */
const char *tf_maze_code_name(tf_maze_code c);

/* ----- verifier -------------------------------------------------------- */

/* One verdict of a trace: first error and count. */
typedef struct tf_maze_check {
    bool valid;                  /* no error at all */
    tf_maze_code first;          /* first error, TF_MAZE_OK if valid; the reference
                                    verdict puts any operation_syntax_error first
                                    (published precedence, docs/maze.md) */
    long first_step;             /* operation index (0-based) of the first error;
                                    for end-of-trace checks: the operation count;
                                    -1 if valid */
    tf_maze_code first_in_order; /* first error in trace order, TF_MAZE_OK
                                    if valid; equals first for the strict
                                    verdict, which has no precedence */
    long first_in_order_step;    /* its step, -1 if valid */
    long errors;                 /* number of errors */
} tf_maze_check;

typedef struct tf_maze_verdict {
    long trace_len;          /* operations parsed (create + close) */
    tf_maze_check ref;       /* reference-compatible verdict */
    tf_maze_check strict;    /* strict verdict (see docs/maze.md) */
    bool plan_valid;         /* the plan is a legal start-goal path */
    tf_maze_code plan_error; /* first plan error, TF_MAZE_OK if valid */
    long plan_len;           /* cells in the model's plan (0 if none) */
    bool plan_optimal;       /* plan_valid and plan_len == optimal */
    long optimal_plan_len;   /* BFS optimum in cells, 0 if unsolvable */
} tf_maze_verdict;

/* Verify a model output against a problem. For TF_MAZE_SEARCHFORMER the
 * output is "[bos] create ... plan ... [eos]"; for TF_MAZE_BEYOND it is
 * "[reasoning] close ... solution plan ... end" (the text after the query;
 * a full "query ... reasoning ..." text is accepted too: everything up to
 * and including "reasoning" is skipped). Never fails on bad model output:
 * that is a verdict. Errors: TF_ERR_NOMEM, TF_ERR_TOO_BIG (more than
 * TF_MAZE_MAX_OPS operations). */
tf_err tf_maze_verify(const tf_maze *m, tf_maze_dialect d, const char *output, size_t len,
                      tf_maze_verdict *v) TF_MUST_USE;

/* Count the create/close operations in an output (as tf_maze_verify would
 * parse them). Used for the complexity of a record's reference trace. */
long tf_maze_count_ops(tf_maze_dialect d, const char *output, size_t len);

/* The two parts of an output verified as one text, reasoning + "\n" +
 * answer (the reasoning is its first at bytes), as tf_maze_verify reads the
 * whole text. */
typedef struct tf_maze_parts {
    long reasoning_ops;    /* operations whose keyword lies in the reasoning part (the
                              rest of trace_len are the answer's) */
    long reasoning_syntax; /* operation_syntax_errors of the reference verdict there
                              (stray tokens, garbled operations and plan entries) */
    int plans_differ;      /* each part ends in a plan (a run of well-formed plan
                              entries after the part's last create/close, with no
                              garbled entry): 1 when the two differ, 0 when they are
                              the same cells; -1 when a part has none */
} tf_maze_parts;

/* Scan output (len bytes) for *out. Pure, linear, allocates nothing. */
void tf_maze_scan_parts(tf_maze_dialect d, const char *output, size_t len, size_t at,
                        tf_maze_parts *out);

#endif
