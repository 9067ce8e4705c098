/* maze.h: the maze domain's pure core: grids, prompts, the A* trace
 * verifier (reference and strict verdicts), and a reference A* search.
 *
 * Pure: no files, no MPI, no network. Bytes in, values out. See
 * docs/maze.md for the trace language and every error code.
 *
 * Coordinates: x is the column (0 <= x < cols), y the row (0 <= y < rows).
 * Moves are 4-connected, cost 1; h is the Manhattan distance to the goal.
 * Plan lengths count cells, start and goal included (a plan from a cell to
 * its neighbour has length 2).
 */
#ifndef TRACEFARM_MAZE_H
#define TRACEFARM_MAZE_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest grid side and cell count accepted (bounds per-item memory). */
#define TF_MAZE_MAX_SIDE 4096
#define TF_MAZE_MAX_CELLS (1L << 22)

typedef enum tf_maze_dialect {
    /* prompt "start x y goal x y wall x y ..."; output
     * "[bos] create x y cG cH ... close ... plan x y ... [eos]";
     * the first operation creates the start node. */
    TF_MAZE_SEARCHFORMER = 0,
    /* one text "query start ... goal ... wall ... reasoning close ... create
     * ... solution plan x y ... end"; the start is implicitly open. */
    TF_MAZE_BEYOND = 1,
} tf_maze_dialect;

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

/* ----- grid ------------------------------------------------------------ */

typedef struct tf_maze tf_maze; /* opaque: size, walls, start, goal */

/* A rows x cols grid with no walls, start (0,0), goal (cols-1,rows-1).
 * TF_ERR_PARSE if a side is < 1 or > TF_MAZE_MAX_SIDE or the cell count
 * exceeds TF_MAZE_MAX_CELLS. Caller frees with tf_maze_free. */
tf_err tf_maze_create(int rows, int cols, tf_maze **out) TF_MUST_USE;
void tf_maze_free(tf_maze *m); /* accepts NULL */

int tf_maze_rows(const tf_maze *m);
int tf_maze_cols(const tf_maze *m);
bool tf_maze_in_grid(const tf_maze *m, long x, long y);
bool tf_maze_is_wall(const tf_maze *m, int x, int y); /* false off-grid */
void tf_maze_set_wall(tf_maze *m, int x, int y, bool wall);
void tf_maze_start(const tf_maze *m, int *x, int *y);
void tf_maze_goal(const tf_maze *m, int *x, int *y);
void tf_maze_set_start(tf_maze *m, int x, int y);
void tf_maze_set_goal(tf_maze *m, int x, int y);

/* Parse a problem: "[query] start x y goal x y (wall x y)*", stopping at
 * "reasoning" or the end of the text. A missing start or goal, a garbled
 * token, a coordinate off the rows x cols grid, or start/goal on a wall is
 * TF_ERR_PARSE with a message in d. Caller frees *out with tf_maze_free. */
tf_err tf_maze_parse_prompt(const char *text, size_t len, int rows, int cols, tf_maze **out,
                            tf_diag *d) TF_MUST_USE;

/* Write the problem as prompt text ("start x y goal x y wall x y ...",
 * walls in row-major order), prefixed by "query " for TF_MAZE_BEYOND.
 * Errors: those of tf_buf_append. */
tf_err tf_maze_write_prompt(const tf_maze *m, tf_maze_dialect d, tf_buf *out) TF_MUST_USE;

/* Length in cells of a shortest start-goal path (BFS); 0 if unsolvable. */
long tf_maze_optimal_plan_len(const tf_maze *m);

/* ----- verifier -------------------------------------------------------- */

/* One verdict of a trace: first error and count. */
typedef struct tf_maze_check {
    bool valid;         /* no error at all */
    tf_maze_code first; /* first error, TF_MAZE_OK if valid */
    long first_step;    /* operation index (0-based) of the first error;
                           for end-of-trace checks: the operation count;
                           -1 if valid */
    long errors;        /* number of errors */
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
#define TF_MAZE_MAX_OPS (1L << 24)
tf_err tf_maze_verify(const tf_maze *m, tf_maze_dialect d, const char *output, size_t len,
                      tf_maze_verdict *v) TF_MUST_USE;

/* Count the create/close operations in an output (as tf_maze_verify would
 * parse them). Used for the complexity of a record's reference trace. */
long tf_maze_count_ops(tf_maze_dialect d, const char *output, size_t len);

/* ----- reference A* ----------------------------------------------------- */

typedef enum tf_astar_tie {
    TF_ASTAR_TIE_LOW_H = 0, /* among equal f: lowest h, then first created */
    TF_ASTAR_TIE_HIGH_H,    /* among equal f: highest h, then first created */
    TF_ASTAR_TIE_FIFO,      /* among equal f: first created */
    TF_ASTAR_TIE_LIFO,      /* among equal f: last created */
} tf_astar_tie;

/* Variants of a correct A*; the strict verdict accepts every one. */
typedef struct tf_astar_opts {
    int order[4];       /* neighbour order, a permutation of 0..3:
                           0 = (x+1,y), 1 = (x-1,y), 2 = (x,y+1), 3 = (x,y-1) */
    tf_astar_tie tie;   /* tie-breaking among equal f */
    bool create_always; /* create every non-closed neighbour, not only those
                           whose g improves */
} tf_astar_opts;

/* The farm's own A*: order {0,1,2,3}, TF_ASTAR_TIE_LOW_H, create on
 * improvement. Documented in docs/maze.md; complexity uses it. */
tf_astar_opts tf_astar_default(void);

/* Run A* and append the output text in dialect d to out (searchformer:
 * "create ... close ... plan ... "; beyond: "reasoning close ... solution
 * plan ... end"), with no prompt. *ops gets the operation count and
 * *plan_len the plan length in cells. An unsolvable maze is TF_ERR_PARSE
 * (nothing appended). Errors of tf_buf_append pass through. */
tf_err tf_maze_astar(const tf_maze *m, const tf_astar_opts *o, tf_maze_dialect d, tf_buf *out,
                     long *ops, long *plan_len) TF_MUST_USE;

/* The operation count (as the trace would have in dialect d: beyond has
 * no create of the start) and plan length of A* with options o, without
 * text. */
tf_err tf_maze_astar_count(const tf_maze *m, const tf_astar_opts *o, tf_maze_dialect d, long *ops,
                           long *plan_len) TF_MUST_USE;

#endif
