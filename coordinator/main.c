/* main.c: the tracefarm command: parse the subcommand and dispatch.
 * All logic lives in the libraries the tests link too. */
#include "tracefarm/farm.h"
#include "tracefarm/gen.h"
#include "tracefarm/serve.h"
#include "tracefarm/show.h"

#include <mpi.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: tracefarm COMMAND [options]\n"
               "\n"
               "Verify every step of a corpus of reasoning traces, on one process or many\n"
               "MPI ranks, with outputs that are identical however it was run.\n"
               "\n"
               "commands:\n"
               "  run JOB.json [options]  run a job (under mpirun, or alone as one process)\n"
               "  gen maze [options]       generate a maze corpus (tracefarm gen maze --help)\n"
               "  serve [options]          a synthetic OpenAI-compatible maze model on loopback,\n"
               "                           for tests and demos (tracefarm serve --help)\n"
               "  show OUT [--json]        print the summary of a finished run as a table\n"
               "  version                  print the version\n"
               "  help                     this text\n"
               "\n"
               "examples:\n"
               "  tracefarm gen maze --count 1000 --rows 10 --cols 10 --out c.jsonl.zst\n"
               "  mpirun -n 4 tracefarm run jobs/maze-offline.json\n"
               "\n"
               "exit status: 0 all items verified; 3 done, some items are errors;\n"
               "2 bad usage, job spec or output directory (nothing done); 1 fatal error;\n"
               "75 stopped by SIGTERM/SIGUSR1, run again to resume.\n"
               "Job spec keys: docs/job.md; outputs: docs/outputs.md.\n");
}

static void run_usage(FILE *f)
{
    fprintf(f, "usage: tracefarm run JOB.json [--quiet] [--force]\n"
               "\n"
               "Runs the job described by JOB.json (docs/job.md). Under mpirun, rank 0\n"
               "coordinates and the other ranks verify shards; alone, one process does all.\n"
               "Writes OUTPUT/summary.json.zst, OUTPUT/items.jsonl.zst and OUTPUT/run.json.\n"
               "\n"
               "Finished shards are journaled in OUTPUT/.tracefarm-journal: running the same\n"
               "job again after a kill or a stop resumes where it stopped (docs/resume.md).\n"
               "SIGTERM or SIGUSR1 stops the job at the next shard boundary (exit 75).\n"
               "\n"
               "  --quiet   print no summary\n"
               "  --force   start over in an output directory that belongs to another job\n"
               "            spec, or whose corpus changed since the job started\n"
               "  --help    this text\n"
               "\n"
               "exit status:\n"
               "   0  finished; every item verified\n"
               "   3  finished; some items are error items\n"
               "   2  bad usage, bad job spec, or the output directory belongs to another\n"
               "      job or its corpus changed (without --force); nothing was done\n"
               "   1  fatal: the job could not finish (run again to resume)\n"
               "  75  stopped by SIGTERM/SIGUSR1 at a shard boundary; run again to resume\n"
               "      (a batch script requeues on it: jobs/slurm/maze.sbatch)\n");
}

/* Parse "run" options; returns -1 to continue, else an exit status. */
static int parse_run(int argc, char **argv, tf_run_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            run_usage(stdout);
            return TF_EXIT_OK;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            o->quiet = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            o->force = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "tracefarm run: unknown option \"%s\"\n", argv[i]);
            run_usage(stderr);
            return TF_EXIT_SPEC;
        } else if (!o->job_path) {
            o->job_path = argv[i];
        } else {
            fprintf(stderr, "tracefarm run: more than one job spec (\"%s\")\n", argv[i]);
            return TF_EXIT_SPEC;
        }
    }
    if (!o->job_path) {
        fprintf(stderr, "tracefarm run: missing JOB.json\n");
        run_usage(stderr);
        return TF_EXIT_SPEC;
    }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TF_EXIT_SPEC;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return TF_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tracefarm %s\n", TF_VERSION);
        return TF_EXIT_OK;
    }
    if (strcmp(cmd, "gen") == 0)
        return tf_gen_main(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0) /* no MPI: a plain server process */
        return tf_serve_main(argc - 1, argv + 1);
    if (strcmp(cmd, "show") == 0)
        return tf_show_main(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0) {
        tf_run_opts o;
        int st = parse_run(argc, argv, &o);
        if (st >= 0)
            return st;
        MPI_Init(&argc, &argv);
        st = tf_run(MPI_COMM_WORLD, &o);
        MPI_Finalize();
        return st;
    }
    fprintf(stderr, "tracefarm: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return TF_EXIT_SPEC;
}
