/* show.h: "tracefarm show": read a run's summary and print it.
 *
 * tracefarm show OUT [--json]: OUT is a job's output directory (or its
 * summary.json.zst). Prints the groups as rows of a table (the overall
 * group first; columns: key, verified items, error items, plan valid %,
 * trace valid %, strict trace valid %, valid plan with invalid trace %,
 * Pearson r, Spearman rho, Kendall tau-b) that fits 120 columns, then the
 * overall group's accounting (tf_print_accounting: items, errors by kind,
 * fetch failures by last status, truncated responses, tokens, cost, and
 * from run.json requests, retries, cache hits and the exit status), or
 * with --json the summary JSON itself. Before it, from the directory's
 * journal and the corpus files' modification times: a warning when the
 * summary is older than an unfinished run's journal (an earlier run's) or
 * than a corpus file, or when the run that wrote it stopped before its end
 * (on stderr with --json). Exit status: 0 shown; 2 bad usage or no summary
 * at that path (for an unfinished run it prints how many shards of how many
 * are done); 1 the summary is corrupt.
 */
#ifndef TRACEFARM_SHOW_H
#define TRACEFARM_SHOW_H

/* argv[0] is "show". Returns the exit status. */
int tf_show_main(int argc, char **argv);

#endif
