/* main.c: the command line of "tracefarm serve" (tf_serve_main).
 *
 * Reads the options (one table, serve_table, for parsing, defaults and
 * --help) into srv_opts, checks what no single option can (the fault rates
 * together, the API key), loads --replay, and hands over to tf_srv_run
 * (http.c), which serves until a signal, --max-requests or --idle-exit.
 */
#include "serve_internal.h"
#include "tracefarm/opt.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MODEL "tracefarm-maze-astar"

/* The command line: the server's options plus the two ways of giving the
 * API key, which become o.api_key. */
typedef struct serve_cli {
    srv_opts o;
    const char *key;     /* --api-key, or NULL */
    const char *key_env; /* --api-key-env, or NULL */
    long max_states;     /* --plan-max-states, into o.po.max_states */
} serve_cli;

/* --rows/--cols: "auto" (0: the prompt's extent) or a side in [lo, hi]. */
static bool side_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    long n = 0;
    if (strcmp(val, "auto") != 0 && !tf_opt_long_in(val, (long)o->lo, (long)o->hi, &n)) {
        tf_diag_set(why, "must be auto or an integer from %.0f to %.0f", o->lo, o->hi);
        return false;
    }
    *(int *)dest = (int)n;
    return true;
}

/* --arith-style: gsm8k, prose, boxed or mix. */
static bool style_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    for (int i = 0; i <= TF_SERVE_ARITH_STYLE_COUNT; i++) {
        const char *name = i < TF_SERVE_ARITH_STYLE_COUNT
                               ? tf_serve_arith_style_name((tf_serve_arith_style)i)
                               : "mix";
        if (!strcmp(val, name)) {
            *(int *)dest = i;
            return true;
        }
    }
    tf_diag_set(why, "must be gsm8k, prose, boxed or mix");
    return false;
}

/* --model: any name but the empty one (it is echoed in every answer). */
static bool model_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    if (!*val) {
        tf_diag_set(why, "must not be empty");
        return false;
    }
    *(const char **)dest = val;
    return true;
}

static const tf_opt serve_table[] = {
    {.kind = TF_OPT_HEADING, .help = "server:"},
    {.kind = TF_OPT_STR,
     .name = "host",
     .arg = "ADDR",
     .help = "numeric address to bind",
     .off = offsetof(serve_cli, o.host),
     .def = "127.0.0.1"},
    {.kind = TF_OPT_LONG,
     .name = "port",
     .arg = "P",
     .help = "TCP port, 0 = any free one",
     .off = offsetof(serve_cli, o.port),
     .lo = 0,
     .hi = 65535,
     .def = "0"},
    {.kind = TF_OPT_STR,
     .name = "port-file",
     .arg = "PATH",
     .help = "write the bound port there (after binding)",
     .off = offsetof(serve_cli, o.port_file)},
    {.kind = TF_OPT_CUSTOM,
     .name = "model",
     .arg = "NAME",
     .help = "the model id served",
     .off = offsetof(serve_cli, o.model),
     .fn = model_value,
     .def = DEFAULT_MODEL},
    {.kind = TF_OPT_FLAG,
     .name = "strict-model",
     .help = "404 for another requested model; without it any name is accepted, echoed and "
             "mixed into the answer's seed",
     .off = offsetof(serve_cli, o.strict_model)},
    {.kind = TF_OPT_STR,
     .name = "api-key",
     .arg = "KEY",
     .help = "require \"Authorization: Bearer KEY\", 401 otherwise",
     .off = offsetof(serve_cli, key)},
    {.kind = TF_OPT_STR,
     .name = "api-key-env",
     .arg = "VAR",
     .help = "the same, with the key read from environment variable VAR; preferred, as a "
             "command line is visible to other users",
     .off = offsetof(serve_cli, key_env)},
    {.kind = TF_OPT_LONG,
     .name = "max-body",
     .arg = "BYTES",
     .help = "request body cap, 413 past it",
     .off = offsetof(serve_cli, o.max_body),
     .lo = 1,
     .hi = (double)(1L << 30),
     .def = "16777216"},
    {.kind = TF_OPT_STR,
     .name = "stats-file",
     .arg = "PATH",
     .help = "write the /stats JSON there on exit",
     .off = offsetof(serve_cli, o.stats_file)},
    {.kind = TF_OPT_FLAG,
     .name = "verbose",
     .help = "one line per request on stderr",
     .off = offsetof(serve_cli, o.verbose)},
    {.kind = TF_OPT_LONG,
     .name = "max-requests",
     .arg = "N",
     .help = "exit after N answered requests, 0: no limit",
     .off = offsetof(serve_cli, o.max_requests),
     .lo = 0,
     .hi = 1e12,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "idle-exit",
     .arg = "SECONDS",
     .help = "exit after SECONDS without a request, 0: never",
     .off = offsetof(serve_cli, o.idle_exit),
     .lo = 0,
     .hi = 1e7,
     .def = "0"},

    {.kind = TF_OPT_HEADING, .help = "model:"},
    {.kind = TF_OPT_U64,
     .name = "seed",
     .arg = "S",
     .help = "server seed",
     .off = offsetof(serve_cli, o.seed),
     .def = "1"},
    {.kind = TF_OPT_CUSTOM,
     .name = "rows",
     .arg = "R|auto",
     .help = "grid size: rows from 1 to 4096, or auto for the prompt's extent, its largest "
             "coordinate + 1",
     .off = offsetof(serve_cli, o.mo.rows),
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .fn = side_value,
     .def = "30"},
    {.kind = TF_OPT_CUSTOM,
     .name = "cols",
     .arg = "C|auto",
     .help = "grid size: columns, as --rows",
     .off = offsetof(serve_cli, o.mo.cols),
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .fn = side_value,
     .def = "30"},
    {.kind = TF_OPT_NUM,
     .name = "invalid-step-rate",
     .arg = "P",
     .help = "fraction of answers with one altered step (g, h, coord, drop or duplicate); the "
             "plan stays correct",
     .off = offsetof(serve_cli, o.mo.invalid_step_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "swap-rate",
     .arg = "P",
     .help = "fraction with another maze's trace and this maze's plan",
     .off = offsetof(serve_cli, o.mo.swap_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "length-noise-rate",
     .arg = "P",
     .help = "fraction with the trace of a maze of a random size and kind (length unrelated to "
             "complexity) and this plan",
     .off = offsetof(serve_cli, o.mo.length_noise_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "wrong-plan-rate",
     .arg = "P",
     .help = "fraction with an illegal plan, independent of the above",
     .off = offsetof(serve_cli, o.mo.wrong_plan_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_FLAG,
     .name = "reasoning-field",
     .help = "chat: the reasoning (maze: the trace; arith: the working) in "
             "message.reasoning_content, the answer (the plan; the final answer's sentence) in "
             "message.content",
     .off = offsetof(serve_cli, o.reasoning_field)},
    {.kind = TF_OPT_FLAG,
     .name = "think",
     .help = "the reasoning in <think>...</think> before the answer, in the text (completions, "
             "and chat without --reasoning-field)",
     .off = offsetof(serve_cli, o.think)},
    {.kind = TF_OPT_STR,
     .name = "replay",
     .arg = "FILE.jsonl",
     .help = "answer recorded outputs instead: exact prompt match, 404 for an unknown prompt",
     .off = offsetof(serve_cli, o.replay_path)},

    {.kind = TF_OPT_HEADING,
     .help = "arith (GSM8K-style problems; a prompt that asks a known question gets its "
             "reference solution, other prompts the maze model):"},
    {.kind = TF_OPT_STR,
     .name = "arith-corpus",
     .arg = "FILE.jsonl",
     .help = "the problems: one JSON object a line with a question and its reference solution "
             "(working with <<expr=result>> annotations, then \"#### N\")",
     .off = offsetof(serve_cli, o.arith_path)},
    {.kind = TF_OPT_STR,
     .name = "arith-question-field",
     .arg = "NAME",
     .help = "the question's field",
     .off = offsetof(serve_cli, o.arith_qfield),
     .def = "question"},
    {.kind = TF_OPT_STR,
     .name = "arith-answer-field",
     .arg = "NAME",
     .help = "the reference solution's field",
     .off = offsetof(serve_cli, o.arith_afield),
     .def = "answer"},
    {.kind = TF_OPT_CUSTOM,
     .name = "arith-style",
     .arg = "gsm8k|prose|boxed|mix",
     .help = "how answers are written: the reference's annotations and \"#### N\"; equations in "
             "the prose and \"The answer is N.\"; the same with \\boxed{N}; or drawn per sample",
     .off = offsetof(serve_cli, o.ao.style),
     .fn = style_value,
     .def = "gsm8k"},
    {.kind = TF_OPT_NUM,
     .name = "arith-carry-rate",
     .arg = "P",
     .help = "fraction of answers with one wrong intermediate result carried through: one wrong "
             "step, a wrong final answer",
     .off = offsetof(serve_cli, o.ao.carry_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "arith-fix-rate",
     .arg = "P",
     .help = "fraction with one wrong intermediate result that later steps ignore: one wrong "
             "step, the right final answer",
     .off = offsetof(serve_cli, o.ao.fix_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "arith-final-rate",
     .arg = "P",
     .help = "fraction with right steps and another final answer (the three rates together at "
             "most 1)",
     .off = offsetof(serve_cli, o.ao.final_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},

    {.kind = TF_OPT_HEADING,
     .help = "plans (a PlanBench prompt, Blocksworld or a variant, gets an optimal plan from the "
             "farm's planner; the three rates together at most 1):"},
    {.kind = TF_OPT_NUM,
     .name = "plan-invalid-rate",
     .arg = "P",
     .help = "fraction of plans with one action dropped (or an inapplicable one inserted): a "
             "precondition fails at that step",
     .off = offsetof(serve_cli, o.po.invalid_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "plan-padding-rate",
     .arg = "P",
     .help = "fraction with a useless pair of actions inserted (an action and its inverse): "
             "valid, two steps longer than optimal",
     .off = offsetof(serve_cli, o.po.padding_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "plan-refuse-rate",
     .arg = "P",
     .help = "fraction answered \"there is no plan\" although there is one",
     .off = offsetof(serve_cli, o.po.refuse_rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_LONG,
     .name = "plan-max-states",
     .arg = "N",
     .help = "states the planner may store per prompt (as the blocksworld section's "
             "max_states); past it the answer is \"no plan found\"",
     .off = offsetof(serve_cli, max_states),
     .lo = 1,
     .hi = 50000000,
     .def = "1000000"},

    {.kind = TF_OPT_HEADING,
     .help = "faults (per attempt at /v1/completions and /v1/chat/completions, drawn from a "
             "counter; the five rates together at most 1):"},
    {.kind = TF_OPT_LONG,
     .name = "latency-ms",
     .arg = "MS",
     .help = "delay every attempt",
     .off = offsetof(serve_cli, o.latency_ms),
     .lo = 0,
     .hi = 3600000,
     .def = "0"},
    {.kind = TF_OPT_LONG,
     .name = "jitter-ms",
     .arg = "MS",
     .help = "plus a delay uniform in 0..MS",
     .off = offsetof(serve_cli, o.jitter_ms),
     .lo = 0,
     .hi = 3600000,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "rate-429",
     .arg = "P",
     .help = "429 with a Retry-After header",
     .off = offsetof(serve_cli, o.rate_429),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_LONG,
     .name = "retry-after",
     .arg = "S",
     .help = "its value in seconds",
     .off = offsetof(serve_cli, o.retry_after),
     .lo = 0,
     .hi = 86400,
     .def = "1"},
    {.kind = TF_OPT_NUM,
     .name = "rate-500",
     .arg = "P",
     .help = "500 with a JSON error",
     .off = offsetof(serve_cli, o.rate_500),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "rate-hang",
     .arg = "P",
     .help = "answer only after --hang-ms; other connections go on",
     .off = offsetof(serve_cli, o.rate_hang),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_LONG,
     .name = "hang-ms",
     .arg = "MS",
     .help = "how long a hang lasts",
     .off = offsetof(serve_cli, o.hang_ms),
     .lo = 0,
     .hi = 3600000,
     .def = "30000"},
    {.kind = TF_OPT_NUM,
     .name = "rate-truncated",
     .arg = "P",
     .help = "200 with the JSON body cut in half, and the Content-Length of the cut body",
     .off = offsetof(serve_cli, o.rate_truncated),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "rate-nonjson",
     .arg = "P",
     .help = "200 with an HTML page",
     .off = offsetof(serve_cli, o.rate_nonjson),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_LONG,
     .name = "fail-first",
     .arg = "K",
     .help = "the first K attempts of each distinct request (same path and body) fail with 500",
     .off = offsetof(serve_cli, o.fail_first),
     .lo = 0,
     .hi = 1000000,
     .def = "0"},
    {.kind = TF_OPT_HELP, .name = "help", .letter = 'h', .help = "this text"},
    {0}};

static const tf_opt_cmd serve_cmd = {
    .prog = "tracefarm serve",
    .synopsis =
        "usage: tracefarm serve [options]\n"
        "\n"
        "An OpenAI-compatible HTTP server that acts as a SYNTHETIC maze-solving model, for\n"
        "tests and demos: it is not a model. It parses the maze in the prompt, runs the\n"
        "farm's A* (a variant drawn from the request) and answers in the prompt's dialect\n"
        "(searchformer \"start ...\" or beyond \"query ...\"). With --arith-corpus it also\n"
        "answers the GSM8K-style questions of the corpus from their reference solutions,\n"
        "with injected slips. It plans PlanBench's Blocksworld tasks (and Mystery and\n"
        "obfuscated ones): optimal plans, with injected invalid actions, padding and\n"
        "refusals. Answers are a pure function of (--seed, model, prompt or messages,\n"
        "the request's seed, the sample index).\n"
        "Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions,\n"
        "GET /stats, GET /health. See docs/serve.md.\n",
    .epilog = "Prints \"listening on http://HOST:PORT\" when ready; exits 0 on SIGTERM/SIGINT,\n"
              "--max-requests or --idle-exit; 2 on bad usage; 1 if it cannot start.\n"
              "\n"
              "example:\n"
              "  tracefarm serve --port 8000 --rows 10 --cols 10 --invalid-step-rate 0.3 &\n"
              "  curl -s localhost:8000/v1/completions -d '{\"prompt\": \"start 0 0 goal 2 2\"}'\n",
    .opts = serve_table};

/* Parse argv into *o: the table, then the checks across options. Returns
 * TF_OPT_GO_ON, else an exit status. On TF_OPT_GO_ON o->api_key is owned
 * by o (NULL without a key). */
static int parse_args(int argc, char **argv, srv_opts *o)
{
    serve_cli cli;
    memset(&cli, 0, sizeof cli);
    int st = tf_opt_parse(&serve_cmd, &cli, argc, argv, NULL);
    if (st != TF_OPT_GO_ON)
        return st;
    const char *key = cli.key;
    if (key && cli.key_env)
        return tf_opt_usage_error(&serve_cmd, "--api-key", NULL,
                                  "give --api-key or --api-key-env, not both");
    if (cli.key_env) {
        key = getenv(cli.key_env);
        if (!key || !*key)
            return tf_opt_usage_error(&serve_cmd, "--api-key-env", cli.key_env,
                                      "the variable is unset or empty");
    }
    if (key && !*key)
        return tf_opt_usage_error(&serve_cmd, "--api-key", NULL, "must not be empty");
    const srv_opts *c = &cli.o;
    double faults = c->rate_429 + c->rate_500 + c->rate_hang + c->rate_truncated + c->rate_nonjson;
    if (faults > 1.0 + 1e-9)
        return tf_opt_usage_error(&serve_cmd, "--rate-*", NULL,
                                  "the fault rates add up to %g, more than 1", faults);
    double flaws = c->ao.carry_rate + c->ao.fix_rate + c->ao.final_rate;
    if (flaws > 1.0 + 1e-9)
        return tf_opt_usage_error(&serve_cmd, "--arith-*-rate", NULL,
                                  "the arith rates add up to %g, more than 1", flaws);
    if (flaws > 0 && !c->arith_path)
        return tf_opt_usage_error(&serve_cmd, "--arith-*-rate", NULL,
                                  "the arith rates need --arith-corpus");
    double plan = c->po.invalid_rate + c->po.padding_rate + c->po.refuse_rate;
    if (plan > 1.0 + 1e-9)
        return tf_opt_usage_error(&serve_cmd, "--plan-*-rate", NULL,
                                  "the plan rates add up to %g, more than 1", plan);
    if (c->arith_path && c->replay_path)
        return tf_opt_usage_error(&serve_cmd, "--arith-corpus", NULL,
                                  "give --arith-corpus or --replay, not both");
    *o = cli.o;
    o->po.max_states = (uint64_t)cli.max_states;
    o->api_key = NULL;
    if (key) {
        o->api_key = strdup(key);
        if (!o->api_key)
            return 1;
    }
    return TF_OPT_GO_ON;
}

/* See serve.h. */
int tf_serve_main(int argc, char **argv)
{
    server *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    srv_opts *o = &s->o;
    int rc = parse_args(argc, argv, o);
    if (rc != TF_OPT_GO_ON) {
        free(o->api_key);
        free(s);
        return rc;
    }
    tf_diag d = {{0}};
    if (o->replay_path && tf_serve_replay_load(o->replay_path, &s->replay, &d) != TF_OK) {
        fprintf(stderr, "tracefarm serve: --replay %s\n", d.msg);
        rc = 1;
    } else if (o->arith_path && tf_serve_arith_load(o->arith_path, o->arith_qfield, o->arith_afield,
                                                    &s->arith, &d) != TF_OK) {
        fprintf(stderr, "tracefarm serve: --arith-corpus %s\n", d.msg);
        rc = 1;
    } else {
        if (s->arith && o->verbose)
            fprintf(stderr,
                    "tracefarm serve: --arith-corpus %s: %zu questions (%zu repeated ones "
                    "dropped)\n",
                    o->arith_path, tf_serve_arith_count(s->arith),
                    tf_serve_arith_duplicates(s->arith));
        rc = tf_srv_run(s);
    }
    tf_serve_arith_free(s->arith);
    tf_serve_replay_free(s->replay);
    tf_srv_ff_free(&s->ff);
    free(o->api_key);
    free(s);
    return rc;
}
