/* serve.h: "tracefarm serve", an OpenAI-compatible HTTP server on loopback
 * that acts as a SYNTHETIC maze-solving model, for tests and demos.
 *
 * It is not a model: it parses the maze in the prompt, runs the farm's A*
 * (a variant picked from the request's seed) and answers in the prompt's
 * dialect, optionally with the flaws studies report (invalid steps,
 * swapped traces, length noise, wrong plans), and optionally with network
 * faults (latency, 429, 500, hangs, truncated and non-JSON bodies).
 * docs/serve.md is the reference.
 *
 * The model (tf_serve_model_answer) and the replay table are pure or
 * file-only and tested alone; tf_serve_main is the HTTP server.
 */
#ifndef TRACEFARM_SERVE_H
#define TRACEFARM_SERVE_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"
#include "tracefarm/maze.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entry point of "tracefarm serve" (argv[0] is "serve"). Runs until
 * SIGTERM/SIGINT, --max-requests or --idle-exit. Returns a process exit
 * status: 0 clean exit, 2 bad usage, 1 failure (cannot bind, bad --replay
 * file, ...). */
int tf_serve_main(int argc, char **argv);

/* ----- the synthetic model ---------------------------------------------- */

/* What the model did with one sample. */
typedef enum tf_serve_mode {
    TF_SERVE_CORRECT = 0,  /* the A* output, trace and plan correct */
    TF_SERVE_INVALID_STEP, /* one altered step (g, h, coord, drop, duplicate) */
    TF_SERVE_SWAP,         /* another maze's trace, this maze's plan */
    TF_SERVE_LENGTH_NOISE, /* the trace of a maze of a random size and kind */
    TF_SERVE_UNPARSEABLE,  /* "I cannot parse this maze: ..." */
    TF_SERVE_UNSOLVABLE,   /* "I cannot solve this maze: ..." */
    TF_SERVE_MODE_COUNT
} tf_serve_mode;

/* "correct", "invalid_step", "swap", "length_noise", "unparseable",
 * "unsolvable"; NULL out of range. */
const char *tf_serve_mode_name(tf_serve_mode m);

typedef struct tf_serve_model_opts {
    int rows, cols;           /* grid size; 0 = the prompt's extent (largest
                                 coordinate + 1) */
    double invalid_step_rate; /* each a probability in [0, 1], drawn per */
    double swap_rate;         /* sample from its seed */
    double length_noise_rate;
    double wrong_plan_rate;
} tf_serve_model_opts;

typedef struct tf_serve_answer_info {
    tf_serve_mode mode;
    tf_maze_corruption corruption; /* the gen corruption used for the trace
                                     (TF_MAZE_CORRUPT_NONE when correct) */
    bool wrong_plan;               /* the plan was made illegal */
    tf_maze_dialect dialect;       /* the prompt's dialect (beyond: "query") */
    tf_astar_opts variant;         /* the A* variant that wrote the trace */
    size_t plan_at;                /* byte offset in the answer where the plan
                                      part starts ("plan" / "solution"); the
                                      answer's length when there is none */
} tf_serve_answer_info;

/* Answer a prompt as the synthetic model, for one sample whose seed is
 * seed, appending the output text to out. The maze starts at the first
 * token "query" (beyond dialect) or "start" (searchformer); words before
 * it are ignored. The answer is a pure function of (o, prompt, seed). A
 * prompt without a parseable maze is an honest "I cannot parse this maze:
 * ..." answer, not an error. Errors: TF_ERR_TOO_BIG (answer over out's
 * limit), TF_ERR_NOMEM, TF_ERR_INTERNAL. */
tf_err tf_serve_model_answer(const tf_serve_model_opts *o, const char *prompt, size_t len,
                             uint64_t seed, tf_buf *out, tf_serve_answer_info *info) TF_MUST_USE;

/* ----- replay ------------------------------------------------------------ */

typedef struct tf_serve_replay tf_serve_replay; /* opaque: prompt -> output */

/* Load recorded outputs from a JSONL file. Each line is an object with a
 * "prompt" string (or "messages", whose last "user" content is the
 * prompt) and an "output" (or "text") string; a line with only a "text"
 * holding "... reasoning ..." (a beyond corpus record) maps the part
 * before "reasoning" to the rest. Blank lines are skipped; the first line
 * of a prompt wins. Lines over 64 MiB or files over 1 GiB of text are
 * TF_ERR_TOO_BIG; a bad line is TF_ERR_PARSE naming it in d. */
tf_err tf_serve_replay_load(const char *path, tf_serve_replay **out, tf_diag *d) TF_MUST_USE;
void tf_serve_replay_free(tf_serve_replay *r); /* accepts NULL */

/* The recorded output of exactly this prompt, or NULL. */
const char *tf_serve_replay_find(const tf_serve_replay *r, const char *prompt, size_t len);

/* Number of distinct prompts loaded. */
size_t tf_serve_replay_count(const tf_serve_replay *r);

#endif
