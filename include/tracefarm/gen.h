/* gen.h: "tracefarm gen maze", the deterministic maze corpus generator.
 *
 * Mazes from a seed with the generators the literature uses, their
 * reference A* traces and plans in either dialect, and the corruptions
 * studies apply (the primitives are in maze.h). Same options and seed,
 * same bytes out (docs/gen.md).
 */
#ifndef TRACEFARM_GEN_H
#define TRACEFARM_GEN_H

/* Entry point of "tracefarm gen ..." (argv[0] is "gen"). Prints --help.
 * Returns a process exit status (0 ok, 2 usage, 1 failure). */
int tf_gen_main(int argc, char **argv);

#endif
