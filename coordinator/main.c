/* main.c: the tracefarm command: parse the subcommand and dispatch.
 * All logic lives in the libraries the tests link too. */
#include "tracefarm/farm.h"
#include "tracefarm/job.h"
#include "tracefarm/gen.h"
#include "tracefarm/opt.h"
#include "tracefarm/serve.h"
#include "tracefarm/show.h"

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
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
               "  serve [options]          a synthetic OpenAI-compatible model of mazes, math\n"
               "                           word problems and Blocksworld plans on loopback, for\n"
               "                           tests and demos\n"
               "                           (tracefarm serve --help)\n"
               "  show OUT [--json]        print the summary of a finished run as a table\n"
               "  spec                     print every key of a job spec, with types and defaults\n"
               "  version                  print the version\n"
               "  help                     this text\n"
               "\n"
               "examples:\n"
               "  tracefarm gen maze --count 1000 --rows 10 --cols 10 --out c.jsonl.zst\n"
               "  mpirun -n 4 tracefarm run jobs/maze-offline.json\n"
               "\n"
               "exit status: 0 all items verified; 3 done, some items are errors;\n"
               "4 done, more than warn_share of the items are errors or of the responses\n"
               "truncated; 2 bad usage, job spec, output directory or endpoint (nothing\n"
               "done); 1 fatal error; 75 stopped by a signal or a circuit breaker, run again\n"
               "to resume.\n"
               "Job spec keys: docs/job.md; outputs: docs/outputs.md.\n");
}

/* ----- tracefarm run ------------------------------------------------------ */

/* What "run" reads from the command line, copied into tf_run_opts. */
typedef struct run_cli {
    const char *job;   /* the JOB.json argument */
    bool quiet;        /* --quiet */
    bool force;        /* --force */
    bool check;        /* --check */
    bool no_preflight; /* --no-preflight */
    double progress;   /* --progress SECONDS */
    long limit;        /* --limit N; 0: not given */
} run_cli;

static const tf_opt run_table[] = {
    {.kind = TF_OPT_ARG,
     .arg = "JOB.json",
     .help = "the job spec, see docs/job.md",
     .off = offsetof(run_cli, job),
     .required = true},
    {.kind = TF_OPT_FLAG,
     .name = "quiet",
     .letter = 'q',
     .help = "print no progress and no summary (errors, warnings and the reason of a stop are "
             "still printed)",
     .off = offsetof(run_cli, quiet)},
    {.kind = TF_OPT_NUM,
     .name = "progress",
     .arg = "SECONDS",
     .help = "progress on stderr: on a terminal one line kept up to date; otherwise one line "
             "every SECONDS; 0: none",
     .lo = 0,
     .hi = 86400,
     .def = "30",
     .off = offsetof(run_cli, progress)},
    {.kind = TF_OPT_FLAG,
     .name = "check",
     .help = "check the spec, plan the shards, run the preflight and print the first request "
             "(without the API key), then stop; writes no output, journal or part",
     .off = offsetof(run_cli, check)},
    {.kind = TF_OPT_FLAG,
     .name = "no-preflight",
     .help = "send no request before the job starts (an endpoint job asks each endpoint once "
             "first, and stops at once if it cannot work: docs/endpoint.md)",
     .off = offsetof(run_cli, no_preflight)},
    {.kind = TF_OPT_FLAG,
     .name = "force",
     .help = "start over in an output directory that belongs to another job spec, or whose "
             "corpus changed since the job started",
     .off = offsetof(run_cli, force)},
    {.kind = TF_OPT_LONG,
     .name = "limit",
     .arg = "N",
     .help = "run only the first N records of the corpus, exactly as if it ended there (the "
             "job's \"limit\"; part of the job, so its outputs need their own directory)",
     .off = offsetof(run_cli, limit),
     .lo = 1,
     .hi = 9007199254740991.0},
    {.kind = TF_OPT_HELP, .name = "help", .letter = 'h', .help = "this text"},
    {0}};

static const tf_opt_cmd run_cmd = {
    .prog = "tracefarm run",
    .synopsis = "usage: tracefarm run JOB.json [--quiet] [--progress SECONDS] [--force]\n"
                "                     [--check] [--no-preflight] [--limit N]\n"
                "\n"
                "Runs the job described by JOB.json (docs/job.md). Under mpirun, rank 0\n"
                "coordinates and the other ranks verify shards; alone, one process does all.\n"
                "Writes OUTPUT/summary.json.zst, OUTPUT/items.jsonl.zst and OUTPUT/run.json.\n"
                "\n"
                "An endpoint job first sends one real request to each endpoint (the\n"
                "preflight) and stops before any work if the endpoint cannot work (no\n"
                "server, a wrong host, key, model or path, refused parameters); during the\n"
                "run a circuit breaker stops it when requests keep failing (docs/endpoint.md).\n"
                "\n"
                "Finished shards are journaled in OUTPUT/.tracefarm-journal: running the same\n"
                "job again after a kill or a stop resumes where it stopped (docs/resume.md).\n"
                "SIGTERM, SIGUSR1 or SIGINT (Ctrl-C) stops the job at the next shard\n"
                "boundary (exit 75); a second SIGINT stops it at once, still resumable.\n",
    .epilog = "exit status:\n"
              "   0  finished; every item verified (--check: the check passed)\n"
              "   3  finished; some items are error items, or the corpus holds no record\n"
              "   4  finished; more than warn_share (job spec, default 0.1) of the items are\n"
              "      error items, or of the responses are truncated (finish_reason\n"
              "      \"length\"): a warning line says which\n"
              "   2  bad usage, bad job spec (a corpus file that is not JSONL or is listed\n"
              "      twice), an endpoint that cannot work (the preflight), an output\n"
              "      directory that cannot be used, or one that belongs to another job or\n"
              "      whose corpus changed (without --force); nothing was done\n"
              "   1  fatal: the job could not finish (run again to resume)\n"
              "  75  stopped by SIGTERM, SIGUSR1 or SIGINT, or by the circuit breaker;\n"
              "      run again to resume (a batch script requeues on it:\n"
              "      jobs/slurm/maze.sbatch)\n",
    .opts = run_table};

/* Parse "run" options (argv[0] is "run"); returns TF_OPT_GO_ON to
 * continue, else an exit status (0 after --help, 2 bad usage). */
static int parse_run(int argc, char **argv, tf_run_opts *o)
{
    run_cli c = {0};
    memset(o, 0, sizeof *o);
    int st = tf_opt_parse(&run_cmd, &c, argc, argv, NULL);
    if (st != TF_OPT_GO_ON)
        return st;
    o->job_path = c.job;
    o->quiet = c.quiet;
    o->force = c.force;
    o->check = c.check;
    o->no_preflight = c.no_preflight;
    o->progress = c.progress;
    o->limit = (unsigned long long)c.limit;
    return TF_OPT_GO_ON;
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
    if (strcmp(cmd, "spec") == 0) {
        tf_buf b;
        tf_buf_init(&b, 1 << 20);
        tf_err err = tf_job_reference(&b);
        if (err == TF_OK)
            fputs(b.data, stdout);
        tf_buf_free(&b);
        return err == TF_OK ? TF_EXIT_OK : TF_EXIT_FATAL;
    }
    if (strcmp(cmd, "run") == 0) {
        tf_run_opts o;
        int st = parse_run(argc - 1, argv + 1, &o);
        if (st != TF_OPT_GO_ON)
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
