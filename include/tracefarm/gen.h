/* gen.h: deterministic maze corpus generator ("tracefarm gen maze").
 *
 * Mazes from a seed with the generators the literature uses, their
 * reference A* traces and plans in either dialect, and the corruptions
 * studies apply. Same options and seed, same bytes out.
 */
#ifndef TRACEFARM_GEN_H
#define TRACEFARM_GEN_H

#include "tracefarm/err.h"
#include "tracefarm/maze.h"

#include <stdint.h>

typedef enum tf_gen_kind {
    TF_GEN_WILSON = 0,   /* uniform spanning tree (loop-erased random walks) */
    TF_GEN_KRUSKAL,      /* randomised Kruskal */
    TF_GEN_DFS,          /* randomised depth-first backtracker */
    TF_GEN_DRUNKARD,     /* random walk carving until a coverage is reached */
    TF_GEN_SEARCHFORMER, /* random walls, 30-50 %, solvable, plan >= max(rows,cols) */
    TF_GEN_KIND_COUNT
} tf_gen_kind;

/* "wilson", "kruskal", "dfs", "drunkard", "searchformer"; NULL if out of range. */
const char *tf_gen_kind_name(tf_gen_kind k);
/* Inverse of tf_gen_kind_name; -1 if unknown. */
int tf_gen_kind_parse(const char *name);

typedef enum tf_gen_corruption {
    TF_CORRUPT_NONE = 0,
    TF_CORRUPT_SWAPPED,    /* another maze's trace, this maze's correct plan */
    TF_CORRUPT_G,          /* one create's g altered */
    TF_CORRUPT_H,          /* one create's h altered */
    TF_CORRUPT_COORD,      /* one create moved to a non-neighbour cell */
    TF_CORRUPT_DROP,       /* one operation dropped */
    TF_CORRUPT_DUPLICATE,  /* one operation duplicated */
    TF_CORRUPT_TRUNCATE,   /* trace cut before the goal is closed */
    TF_CORRUPT_WRONG_PLAN, /* plan altered to an illegal one */
    TF_CORRUPT_COUNT
} tf_gen_corruption;

/* "none", "swapped", "g", "h", "coord", "drop", "duplicate", "truncate",
 * "wrong_plan"; NULL if out of range. */
const char *tf_gen_corruption_name(tf_gen_corruption c);
int tf_gen_corruption_parse(const char *name);

/* Build one maze of kind k from a 64-bit seed (same seed, same maze).
 * For TF_GEN_DRUNKARD, coverage is the open fraction to reach (0 < c <= 1);
 * other kinds ignore it. Start and goal are distinct open cells and the
 * maze is solvable. TF_ERR_PARSE if no such maze exists for the size (for
 * example 1 x 1) after a bounded number of tries. Caller frees *out. */
tf_err tf_gen_maze(tf_gen_kind k, int rows, int cols, double coverage, uint64_t seed, tf_maze **out,
                   tf_diag *d) TF_MUST_USE;

/* The splitmix64 finaliser, a bijection of 64-bit words: the mixer every
 * seed derivation of the generator uses (docs/gen.md). */
uint64_t tf_gen_mix64(uint64_t z);

/* Where a corruption's random choices come from. */
typedef struct tf_gen_corrupt_opts {
    tf_gen_kind kind; /* swapped: generator of the other mazes */
    double coverage;  /* swapped, TF_GEN_DRUNKARD: open fraction */
    uint64_t seed;    /* swapped: try k uses the maze of seed
                         mix64((seed ^ "swapped") + (k + 1) * golden) & (2^53 - 1) */
    int rows, cols;   /* swapped: size of the other mazes; 0 = m's own */
    uint64_t stream;  /* state of the splitmix64 stream that places the
                         corruption (first draw: mix64(stream + golden)) */
} tf_gen_corrupt_opts;

/* Apply corruption c to ref_output, an output of maze m in dialect d as
 * tf_maze_astar writes it (any variant; no prompt), and append the
 * corrupted output, in the same layout, to out. TF_CORRUPT_NONE copies it.
 * docs/gen.md says what each corruption changes and why the verifier
 * catches it. The result is a pure function of the arguments. Errors:
 * TF_ERR_PARSE when the output has no place for the corruption (say coord
 * on a 1 x 2 grid; message in d), TF_ERR_INTERNAL when ref_output is not
 * in tf_maze_astar's layout, TF_ERR_USAGE for a corruption out of range,
 * and those of tf_buf_append. */
tf_err tf_gen_corrupt(const tf_maze *m, tf_maze_dialect d, tf_gen_corruption c,
                      const tf_gen_corrupt_opts *o, const char *ref_output, tf_buf *out,
                      tf_diag *diag) TF_MUST_USE;

/* Entry point of "tracefarm gen ..." (argv[0] is "gen"). Prints --help.
 * Returns a process exit status (0 ok, 2 usage, 1 failure). */
int tf_gen_main(int argc, char **argv);

#endif
