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

/* Entry point of "tracefarm gen ..." (argv[0] is "gen"). Prints --help.
 * Returns a process exit status (0 ok, 2 usage, 1 failure). */
int tf_gen_main(int argc, char **argv);

#endif
