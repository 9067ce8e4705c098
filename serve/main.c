/* main.c: the command line of "tracefarm serve" (tf_serve_main).
 *
 * Reads the options into srv_opts, loads --replay, and hands over to
 * tf_srv_run (http.c), which serves until a signal, --max-requests or
 * --idle-exit.
 */
#include "serve_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_MODEL "tracefarm-maze-astar"

/* ----- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: tracefarm serve [options]\n"
          "\n"
          "An OpenAI-compatible HTTP server that acts as a SYNTHETIC maze-solving model, for\n"
          "tests and demos: it is not a model. It parses the maze in the prompt, runs the\n"
          "farm's A* (a variant drawn from the request) and answers in the prompt's dialect\n"
          "(searchformer \"start ...\" or beyond \"query ...\"). Answers are a pure function of\n"
          "(--seed, model, prompt or messages, the request's seed, the sample index).\n"
          "Endpoints: GET /v1/models, POST /v1/completions, POST /v1/chat/completions,\n"
          "GET /stats, GET /health. See docs/serve.md.\n"
          "\n"
          "server:\n"
          "  --host ADDR             numeric address to bind (default 127.0.0.1)\n"
          "  --port P                TCP port, 0 = any free one (default 0)\n"
          "  --port-file PATH        write the bound port there (after binding)\n"
          "  --model NAME            the model id served (default " DEFAULT_MODEL ")\n"
          "  --strict-model          404 for another requested model (default: any name is\n"
          "                          accepted, echoed and mixed into the answer's seed)\n"
          "  --api-key KEY           require \"Authorization: Bearer KEY\" (401 otherwise)\n"
          "  --api-key-env VAR       the same, with the key read from environment variable VAR\n"
          "                          (preferred: a command line is visible to other users)\n"
          "  --max-body BYTES        request body cap, 413 past it (default 16777216)\n"
          "  --stats-file PATH       write the /stats JSON there on exit\n"
          "  --verbose               one line per request on stderr\n"
          "  --max-requests N        exit after N answered requests (default 0: no limit)\n"
          "  --idle-exit SECONDS     exit after SECONDS without a request (default 0: never)\n"
          "\n"
          "model:\n"
          "  --seed S                server seed (default 1)\n"
          "  --rows R|auto --cols C|auto\n"
          "                          grid size (default 30 30; auto: the prompt's extent,\n"
          "                          largest coordinate + 1)\n"
          "  --invalid-step-rate P   fraction of answers with one altered step (g, h, coord,\n"
          "                          drop or duplicate); the plan stays correct\n"
          "  --swap-rate P           fraction with another maze's trace and this maze's plan\n"
          "  --length-noise-rate P   fraction with the trace of a maze of a random size and\n"
          "                          kind (length unrelated to complexity) and this plan\n"
          "  --wrong-plan-rate P     fraction with an illegal plan (independent of the above)\n"
          "  --reasoning-field       chat: the trace in message.reasoning_content, the plan\n"
          "                          in message.content\n"
          "  --replay FILE.jsonl     answer recorded outputs instead (exact prompt match;\n"
          "                          404 for an unknown prompt)\n"
          "\n"
          "faults (per attempt at /v1/completions and /v1/chat/completions, drawn from a\n"
          "counter; the five rates together at most 1):\n"
          "  --latency-ms MS         delay every attempt (default 0)\n"
          "  --jitter-ms MS          plus a delay uniform in 0..MS (default 0)\n"
          "  --rate-429 P            429 with a Retry-After header\n"
          "  --retry-after S         its value in seconds (default 1)\n"
          "  --rate-500 P            500 with a JSON error\n"
          "  --rate-hang P           answer only after --hang-ms (other connections go on)\n"
          "  --hang-ms MS            (default 30000)\n"
          "  --rate-truncated P      200 with the JSON body cut in half (Content-Length of the\n"
          "                          cut body)\n"
          "  --rate-nonjson P        200 with an HTML page\n"
          "  --fail-first K          the first K attempts of each distinct request (same path\n"
          "                          and body) fail with 500\n"
          "  --help                  this text\n"
          "\n"
          "Prints \"listening on http://HOST:PORT\" when ready; exits 0 on SIGTERM/SIGINT,\n"
          "--max-requests or --idle-exit; 2 on bad usage; 1 if it cannot start.\n"
          "\n"
          "example:\n"
          "  tracefarm serve --port 8000 --rows 10 --cols 10 --invalid-step-rate 0.3 &\n"
          "  curl -s localhost:8000/v1/completions -d '{\"prompt\": \"start 0 0 goal 2 2\"}'\n",
          f);
}

static int bad(const char *opt, const char *val, const char *why)
{
    if (val)
        fprintf(stderr, "tracefarm serve: %s '%s': %s\n", opt, val, why);
    else
        fprintf(stderr, "tracefarm serve: %s: %s\n", opt, why);
    fprintf(stderr, "try 'tracefarm serve --help'\n");
    return 2;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo && x <= hi))
        return false;
    *out = x;
    return true;
}

/* Options with a value; the rest are flags. */
static const char *const valued[] = {"--host",
                                     "--port",
                                     "--port-file",
                                     "--model",
                                     "--seed",
                                     "--rows",
                                     "--cols",
                                     "--invalid-step-rate",
                                     "--swap-rate",
                                     "--length-noise-rate",
                                     "--wrong-plan-rate",
                                     "--latency-ms",
                                     "--jitter-ms",
                                     "--rate-429",
                                     "--retry-after",
                                     "--rate-500",
                                     "--rate-hang",
                                     "--hang-ms",
                                     "--rate-truncated",
                                     "--rate-nonjson",
                                     "--fail-first",
                                     "--replay",
                                     "--api-key",
                                     "--api-key-env",
                                     "--stats-file",
                                     "--max-requests",
                                     "--idle-exit",
                                     "--max-body"};

/* A rate option's target, or NULL. */
static double *rate_of(srv_opts *o, const char *name)
{
    if (!strcmp(name, "--invalid-step-rate"))
        return &o->mo.invalid_step_rate;
    if (!strcmp(name, "--swap-rate"))
        return &o->mo.swap_rate;
    if (!strcmp(name, "--length-noise-rate"))
        return &o->mo.length_noise_rate;
    if (!strcmp(name, "--wrong-plan-rate"))
        return &o->mo.wrong_plan_rate;
    if (!strcmp(name, "--rate-429"))
        return &o->rate_429;
    if (!strcmp(name, "--rate-500"))
        return &o->rate_500;
    if (!strcmp(name, "--rate-hang"))
        return &o->rate_hang;
    if (!strcmp(name, "--rate-truncated"))
        return &o->rate_truncated;
    if (!strcmp(name, "--rate-nonjson"))
        return &o->rate_nonjson;
    return NULL;
}

/* A millisecond or count option's target and upper bound, or NULL. */
static long *long_of(srv_opts *o, const char *name, long *hi)
{
    static const struct {
        const char *name;
        size_t off;
        long hi;
    } t[] = {{"--port", offsetof(srv_opts, port), 65535},
             {"--latency-ms", offsetof(srv_opts, latency_ms), 3600000},
             {"--jitter-ms", offsetof(srv_opts, jitter_ms), 3600000},
             {"--retry-after", offsetof(srv_opts, retry_after), 86400},
             {"--hang-ms", offsetof(srv_opts, hang_ms), 3600000},
             {"--fail-first", offsetof(srv_opts, fail_first), 1000000},
             {"--max-requests", offsetof(srv_opts, max_requests), 1000000000000L},
             {"--max-body", offsetof(srv_opts, max_body), (long)1 << 30}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(name, t[i].name)) {
            *hi = t[i].hi;
            return (long *)(void *)((char *)o + t[i].off);
        }
    return NULL;
}

/* Parse argv into o; returns -1 to go on, else an exit status. */
static int parse_args(int argc, char **argv, srv_opts *o)
{
    const char *key_env = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return bad(a, NULL, "unexpected argument (options start with --)");
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name)
            return bad(a, NULL, "unknown option");
        memcpy(name, a, nl);
        name[nl] = '\0';
        if (!strcmp(name, "--strict-model") || !strcmp(name, "--reasoning-field") ||
            !strcmp(name, "--verbose")) {
            if (eq)
                return bad(name, NULL, "takes no value");
            if (name[2] == 's')
                o->strict_model = true;
            else if (name[2] == 'r')
                o->reasoning_field = true;
            else
                o->verbose = true;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
            known = known || !strcmp(name, valued[k]);
        if (!known)
            return bad(name, NULL, "unknown option");
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v)
            return bad(name, NULL, "needs a value");
        double *rate = rate_of(o, name);
        long hi, *lp = long_of(o, name, &hi);
        if (rate) {
            if (!parse_num(v, 0.0, 1.0, rate))
                return bad(name, v, "not a number in [0, 1]");
        } else if (lp) {
            if (!parse_long(v, 0, hi, lp))
                return bad(name, v, "not an integer in range");
        } else if (!strcmp(name, "--rows") || !strcmp(name, "--cols")) {
            long n = 0;
            if (strcmp(v, "auto") != 0 && !parse_long(v, 1, TF_MAZE_MAX_SIDE, &n))
                return bad(name, v, "not auto or an integer in 1..4096");
            *(name[2] == 'r' ? &o->mo.rows : &o->mo.cols) = (int)n;
        } else if (!strcmp(name, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(v, &end, 10);
            if (!*v || *v == '-' || *end || errno)
                return bad(name, v, "not an unsigned 64-bit integer");
            o->seed = (uint64_t)x;
        } else if (!strcmp(name, "--idle-exit")) {
            if (!parse_num(v, 0.0, 1e7, &o->idle_exit))
                return bad(name, v, "not a number of seconds in [0, 10^7]");
        } else if (!strcmp(name, "--host")) {
            o->host = v;
        } else if (!strcmp(name, "--port-file")) {
            o->port_file = v;
        } else if (!strcmp(name, "--model")) {
            if (!*v)
                return bad(name, NULL, "must not be empty");
            o->model = v;
        } else if (!strcmp(name, "--replay")) {
            o->replay_path = v;
        } else if (!strcmp(name, "--api-key")) {
            key = v;
        } else if (!strcmp(name, "--api-key-env")) {
            key_env = v;
        } else { /* --stats-file */
            o->stats_file = v;
        }
    }
    if (key && key_env)
        return bad("--api-key", NULL, "give --api-key or --api-key-env, not both");
    if (key_env) {
        key = getenv(key_env);
        if (!key || !*key)
            return bad("--api-key-env", key_env, "the variable is unset or empty");
    }
    if (key) {
        if (!*key)
            return bad("--api-key", NULL, "must not be empty");
        o->api_key = strdup(key);
        if (!o->api_key)
            return 1;
    }
    if (o->rate_429 + o->rate_500 + o->rate_hang + o->rate_truncated + o->rate_nonjson > 1.0 + 1e-9)
        return bad("--rate-*", NULL, "the fault rates add up to more than 1");
    if (o->max_body < 1)
        return bad("--max-body", NULL, "must be at least 1");
    return -1;
}

/* See serve.h. */
int tf_serve_main(int argc, char **argv)
{
    server *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    srv_opts *o = &s->o;
    o->host = "127.0.0.1";
    o->model = DEFAULT_MODEL;
    o->seed = 1;
    o->mo.rows = 30;
    o->mo.cols = 30;
    o->retry_after = 1;
    o->hang_ms = 30000;
    o->max_body = 16L << 20;
    int rc = parse_args(argc, argv, o);
    if (rc >= 0) {
        free(o->api_key);
        free(s);
        return rc;
    }
    tf_diag d = {{0}};
    if (o->replay_path && tf_serve_replay_load(o->replay_path, &s->replay, &d) != TF_OK) {
        fprintf(stderr, "tracefarm serve: --replay %s\n", d.msg);
        rc = 1;
    } else {
        rc = tf_srv_run(s);
    }
    tf_serve_replay_free(s->replay);
    tf_srv_ff_free(&s->ff);
    free(o->api_key);
    free(s);
    return rc;
}
