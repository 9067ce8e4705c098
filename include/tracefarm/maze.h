/* maze.h: the maze model: grids, prompts, shortest paths, the farm's A*
 * (with the variants a correct A* may take), maze generators and the
 * corruptions studies apply to A* outputs. Used by the maze verifier
 * (maze_verify.h), "tracefarm gen" and "tracefarm serve".
 *
 * Pure: no files, no MPI, no network. Bytes in, values out. See
 * docs/maze.md for the trace language and docs/gen.md for the generators.
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
/* Most operations (create/close) in one trace that is verified or corrupted. */
#define TF_MAZE_MAX_OPS (1L << 24)

typedef enum tf_maze_dialect {
    /* prompt "start x y goal x y wall x y ..."; output
     * "[bos] create x y cG cH ... close ... plan x y ... [eos]";
     * the first operation creates the start node. */
    TF_MAZE_SEARCHFORMER = 0,
    /* one text "query start ... goal ... wall ... reasoning close ... create
     * ... solution plan x y ... end"; the start is implicitly open. */
    TF_MAZE_BEYOND = 1,
} tf_maze_dialect;

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

/* ----- generators and corruptions (tracefarm gen, tracefarm serve) ------- */

typedef enum tf_maze_gen {
    TF_MAZE_GEN_WILSON = 0,   /* uniform spanning tree (loop-erased random walks) */
    TF_MAZE_GEN_KRUSKAL,      /* randomised Kruskal */
    TF_MAZE_GEN_DFS,          /* randomised depth-first backtracker */
    TF_MAZE_GEN_DRUNKARD,     /* random walk carving until a coverage is reached */
    TF_MAZE_GEN_SEARCHFORMER, /* random walls, 30-50 %, solvable, plan >= max(rows,cols) */
    TF_MAZE_GEN_COUNT
} tf_maze_gen;

/* "wilson", "kruskal", "dfs", "drunkard", "searchformer"; NULL if out of range. */
const char *tf_maze_gen_name(tf_maze_gen k);
/* Inverse of tf_maze_gen_name; -1 if unknown. */
int tf_maze_gen_parse(const char *name);

typedef enum tf_maze_corruption {
    TF_MAZE_CORRUPT_NONE = 0,
    TF_MAZE_CORRUPT_SWAPPED,    /* another maze's trace, this maze's correct plan */
    TF_MAZE_CORRUPT_G,          /* one create's g altered */
    TF_MAZE_CORRUPT_H,          /* one create's h altered */
    TF_MAZE_CORRUPT_COORD,      /* one create moved to a non-neighbour cell */
    TF_MAZE_CORRUPT_DROP,       /* one operation dropped */
    TF_MAZE_CORRUPT_DUPLICATE,  /* one operation duplicated */
    TF_MAZE_CORRUPT_TRUNCATE,   /* trace cut before the goal is closed */
    TF_MAZE_CORRUPT_WRONG_PLAN, /* plan altered to an illegal one */
    TF_MAZE_CORRUPT_COUNT
} tf_maze_corruption;

/* "none", "swapped", "g", "h", "coord", "drop", "duplicate", "truncate",
 * "wrong_plan"; NULL if out of range. */
const char *tf_maze_corruption_name(tf_maze_corruption c);
int tf_maze_corruption_parse(const char *name);

/* Build one maze of kind k from a 64-bit seed (same seed, same maze).
 * For TF_MAZE_GEN_DRUNKARD, coverage is the open fraction to reach (0 < c <= 1);
 * other kinds ignore it. Start and goal are distinct open cells and the
 * maze is solvable. TF_ERR_PARSE if no such maze exists for the size (for
 * example 1 x 1) after a bounded number of tries. Caller frees *out. */
tf_err tf_maze_generate(tf_maze_gen k, int rows, int cols, double coverage, uint64_t seed,
                        tf_maze **out, tf_diag *d) TF_MUST_USE;

/* Where a corruption's random choices come from. */
typedef struct tf_maze_corrupt_opts {
    tf_maze_gen kind; /* swapped: generator of the other mazes */
    double coverage;  /* swapped, TF_MAZE_GEN_DRUNKARD: open fraction */
    uint64_t seed;    /* swapped: try k uses the maze of seed
                         mix64((seed ^ "swapped") + (k + 1) * golden) & (2^53 - 1) */
    int rows, cols;   /* swapped: size of the other mazes; 0 = m's own */
    uint64_t stream;  /* state of the splitmix64 stream that places the
                         corruption (first draw: mix64(stream + golden)) */
} tf_maze_corrupt_opts;

/* Apply corruption c to ref_output, an output of maze m in dialect d as
 * tf_maze_astar writes it (any variant; no prompt), and append the
 * corrupted output, in the same layout, to out. TF_MAZE_CORRUPT_NONE copies it.
 * docs/gen.md says what each corruption changes and why the verifier
 * catches it. The result is a pure function of the arguments. Errors:
 * TF_ERR_PARSE when the output has no place for the corruption (say coord
 * on a 1 x 2 grid; message in d), TF_ERR_INTERNAL when ref_output is not
 * in tf_maze_astar's layout, TF_ERR_USAGE for a corruption out of range,
 * and those of tf_buf_append. */
tf_err tf_maze_corrupt(const tf_maze *m, tf_maze_dialect d, tf_maze_corruption c,
                       const tf_maze_corrupt_opts *o, const char *ref_output, tf_buf *out,
                       tf_diag *diag) TF_MUST_USE;

#endif
