/* show.h: "tracefarm show": read a run's summary and print it.
 *
 * tracefarm show OUT [--json]: OUT is a job's output directory (or its
 * summary.json.zst). Prints the groups as rows of a table (the overall
 * group first; columns: key, verified items, plan valid %, trace valid %,
 * strict trace valid %, valid plan with invalid trace %, Pearson r,
 * Spearman rho, Kendall tau-b) that fits 120 columns, or with --json the
 * summary JSON itself. Exit status: 0 shown; 2 bad usage or no summary at
 * that path; 1 the summary is corrupt.
 */
#ifndef TRACEFARM_SHOW_H
#define TRACEFARM_SHOW_H

/* argv[0] is "show". Returns the exit status. */
int tf_show_main(int argc, char **argv);

#endif
