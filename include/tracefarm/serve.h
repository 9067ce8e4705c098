/* serve.h: "tracefarm serve", an OpenAI-compatible HTTP server on loopback
 * that acts as a SYNTHETIC maze-solving model, for tests and demos, and
 * with a corpus of GSM8K-style problems as a synthetic solver of those.
 *
 * It is not a model: it parses the maze in the prompt, runs the farm's A*
 * (a variant picked from the request's seed) and answers in the prompt's
 * dialect, optionally with the flaws studies report (invalid steps,
 * swapped traces, length noise, wrong plans); it answers a known math
 * question with its reference solution, optionally with one slip (carried
 * through, silently fixed, a wrong final answer); and optionally it has
 * network faults (latency, 429, 500, hangs, truncated and non-JSON
 * bodies). docs/serve.md is the reference.
 *
 * The models (tf_serve_model_answer, tf_serve_arith_answer), the arith
 * corpus and the replay table are pure or file-only and tested alone;
 * tf_serve_main is the HTTP server.
 */
#ifndef TRACEFARM_SERVE_H
#define TRACEFARM_SERVE_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"
#include "tracefarm/maze.h"
#include "tracefarm/plantext.h"
#include "tracefarm/strips.h"

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

/* ----- the synthetic arith model ------------------------------------------ */

/* What the arith model did with one sample (docs/serve.md, "Arithmetic"). */
typedef enum tf_serve_arith_mode {
    TF_SERVE_ARITH_CORRECT = 0, /* the reference's working and answer */
    TF_SERVE_ARITH_CARRIED,     /* one step's result changed and carried through:
                                   one wrong step, a wrong final answer */
    TF_SERVE_ARITH_FIXED,       /* one step's result changed, later steps use the
                                   right one: one wrong step, the right answer */
    TF_SERVE_ARITH_FINAL,       /* right steps, another final answer */
    TF_SERVE_ARITH_MODE_COUNT
} tf_serve_arith_mode;

/* "correct", "carried", "fixed", "final"; NULL out of range. */
const char *tf_serve_arith_mode_name(tf_serve_arith_mode m);

/* How the working is written. */
typedef enum tf_serve_arith_style {
    TF_SERVE_ARITH_GSM8K = 0, /* the reference's own: calculator annotations
                                 <<48/2=24>>, the answer as "#### N" */
    TF_SERVE_ARITH_PROSE,     /* equations in the prose, no annotations;
                                 "The answer is N." */
    TF_SERVE_ARITH_BOXED,     /* the same; "The final answer is $\boxed{N}$." */
    TF_SERVE_ARITH_STYLE_COUNT,
    TF_SERVE_ARITH_MIX = TF_SERVE_ARITH_STYLE_COUNT /* option only: drawn per sample */
} tf_serve_arith_style;

/* "gsm8k", "prose", "boxed"; NULL out of range (and for MIX). */
const char *tf_serve_arith_style_name(tf_serve_arith_style s);

typedef struct tf_serve_arith_opts {
    int style;         /* a tf_serve_arith_style, or TF_SERVE_ARITH_MIX */
    double carry_rate; /* fractions of answers in [0, 1], drawn per sample */
    double fix_rate;   /* from one uniform (cumulative thresholds in this */
    double final_rate; /* order), so they add up to at most 1 */
} tf_serve_arith_opts;

typedef struct tf_serve_arith_info {
    tf_serve_arith_mode mode;   /* what the answer got */
    tf_serve_arith_mode drawn;  /* what was drawn; differs from mode (which is
                                   then CORRECT) when the flaw had no place */
    tf_serve_arith_style style; /* the style written */
    long step;                  /* carried, fixed: which candidate step was made
                                   wrong (0-based, text order); else -1 */
    size_t answer_at;           /* byte offset in the answer where the final
                                   answer's sentence starts (the working ends
                                   before it): the split for a reasoning part */
    bool reference_wrong;       /* the reference itself has a wrong step, so the
                                   answer has one more than its mode says */
} tf_serve_arith_info;

/* Answer with the reference solution reference[0..len) (GSM8K: working
 * with <<expr=result>> annotations, then a line "#### N"), for one sample
 * whose seed is seed, appending the text to out. A pure function of (o,
 * reference, seed). Every injected answer is checked by rescanning it
 * (tf_arith_scan_text, tf_arith_find_answer) against the uninjected one;
 * a flaw with no place leaves the answer correct (info->mode).
 * Errors: TF_ERR_PARSE (the reference has no "#### N" line with one plain
 * number), TF_ERR_TOO_BIG (over out's limit), TF_ERR_NOMEM; out is then
 * as it was. */
tf_err tf_serve_arith_answer(const tf_serve_arith_opts *o, const char *reference, size_t len,
                             uint64_t seed, tf_buf *out, tf_serve_arith_info *info) TF_MUST_USE;

/* ----- the synthetic planner (Blocksworld) ------------------------------- */

/* What the planner model did with one sample (docs/serve.md, "Plans
 * (Blocksworld)"). */
typedef enum tf_serve_plan_mode {
    TF_SERVE_PLAN_OPTIMAL = 0, /* the optimal plan (breadth-first search) */
    TF_SERVE_PLAN_PADDED,      /* the optimal plan with one useless pair of actions
                                  (an action and its inverse) inserted: valid, two
                                  steps longer than optimal */
    TF_SERVE_PLAN_INVALID,     /* one action of the optimal plan dropped (else one
                                  inapplicable action inserted): a precondition
                                  fails at a known step */
    TF_SERVE_PLAN_REFUSED,     /* a solvable task answered "no plan exists" */
    TF_SERVE_PLAN_UNSOLVABLE,  /* the planner proved there is no plan: an honest
                                  refusal */
    TF_SERVE_PLAN_LIMIT,       /* the planner's bound was reached: "no plan found" */
    TF_SERVE_PLAN_MODE_COUNT
} tf_serve_plan_mode;

/* "optimal", "padded", "invalid", "refused", "unsolvable", "limit"; NULL
 * out of range. */
const char *tf_serve_plan_mode_name(tf_serve_plan_mode m);

typedef struct tf_serve_plan_opts {
    double invalid_rate; /* fractions of answers in [0, 1], drawn per sample */
    double padding_rate; /* from one uniform (cumulative thresholds in this */
    double refuse_rate;  /* order), so they add up to at most 1 */
    uint64_t max_states; /* the planner's bound; 0: TF_STRIPS_DEFAULT_MAX_STATES */
} tf_serve_plan_opts;

/* A task read from a prompt and planned once; answered per sample. */
typedef struct tf_serve_plan_problem {
    tf_plan_task task;
    tf_strips_found found; /* the planner's result */
    tf_strips_step *plan;  /* FOUND: the optimal plan (owned), len steps */
    size_t len;
} tf_serve_plan_problem;

/* Read a PlanBench planning task from a prompt (a prompt without
 * "[STATEMENT]" is refused at once; else tf_plantext_prompt) and plan it
 * (tf_strips_plan bounded by o->max_states). *out is NULL unless TF_OK;
 * free it with tf_serve_plan_free. Errors: TF_ERR_PARSE or TF_ERR_TOO_BIG
 * (not a planning task: the prompt is for another model), TF_ERR_NOMEM. */
tf_err tf_serve_plan_load(const tf_serve_plan_opts *o, const char *prompt, size_t len,
                          tf_serve_plan_problem **out) TF_MUST_USE;

/* The same for a task already read (copied into *out). */
tf_err tf_serve_plan_from_task(const tf_serve_plan_opts *o, const tf_plan_task *task,
                               tf_serve_plan_problem **out) TF_MUST_USE;
void tf_serve_plan_free(tf_serve_plan_problem *p); /* accepts NULL */

/* The longest first_error code of a plan answer, NUL included. */
#define TF_SERVE_PLAN_MAX_CODE (TF_STRIPS_MAX_NAME + 8)

typedef struct tf_serve_plan_info {
    tf_serve_plan_mode mode;  /* what the answer got */
    tf_serve_plan_mode drawn; /* what was drawn (OPTIMAL, PADDED, INVALID or
                                 REFUSED); mode is OPTIMAL when a drawn flaw had
                                 no place, UNSOLVABLE or LIMIT when there was no
                                 plan to answer with */
    long plan_len;            /* steps written; 0 for a refusal */
    long optimal_len;         /* the optimal plan's length; -1 without one */
    long first_invalid;       /* INVALID: the index of the first step that is
                                 not applicable; else -1 */
    /* What the blocksworld domain reads from the answer part (the plan read
     * back with tf_plantext_read_plan and simulated, as verify does):
     * plan_valid, plan_optimal, and first_error ("" for none;
     * "unmet_PRED", "unknown_object", "plan_refused", "no_plan",
     * "plan_incomplete"). */
    bool valid, optimal;
    char first_error[TF_SERVE_PLAN_MAX_CODE];
    size_t answer_at; /* byte offset in the answer where the plan (or the
                         refusal) starts: the reasoning ends before it */
} tf_serve_plan_info;

/* Answer a planning task for one sample whose seed is seed, appending the
 * text to out: a reasoning text whose length grows with the optimal
 * plan's, then the plan in the task's words (tf_plantext_write_plan) or a
 * refusal, with at most one flaw drawn from the seed. A pure function of
 * (o, p, seed). The answer is read back (tf_plantext_read_plan), whole and
 * from answer_at, and must give the steps written (or no plan for a
 * refusal): else TF_ERR_INTERNAL. Errors: TF_ERR_TOO_BIG (over out's
 * limit), TF_ERR_NOMEM, TF_ERR_INTERNAL; out is then as it was. */
tf_err tf_serve_plan_answer(const tf_serve_plan_opts *o, const tf_serve_plan_problem *p,
                            uint64_t seed, tf_buf *out, tf_serve_plan_info *info) TF_MUST_USE;

/* ----- the arith corpus: question -> reference ------------------------------ */

typedef struct tf_serve_arith tf_serve_arith; /* opaque */

/* Caps of a corpus (a record past one is refused, naming its line). */
#define TF_SERVE_ARITH_MAX_LINE ((size_t)1 << 20)    /* one JSONL line */
#define TF_SERVE_ARITH_MAX_TEXT ((size_t)64 << 10)   /* a question or a reference */
#define TF_SERVE_ARITH_MAX_RECORDS 1000000L          /* records kept */
#define TF_SERVE_ARITH_MAX_BYTES ((size_t)256 << 20) /* questions + references kept */

/* An empty table reading fields qfield (the question) and afield (the
 * reference solution) of each record; NULL names mean "question" and
 * "answer" (GSM8K). Caller frees with tf_serve_arith_free. */
tf_err tf_serve_arith_create(const char *qfield, const char *afield,
                             tf_serve_arith **out) TF_MUST_USE;
void tf_serve_arith_free(tf_serve_arith *t); /* accepts NULL */

/* Add one JSONL line (any bytes; blank lines are skipped). The line must
 * be one JSON object whose two fields are non-empty strings of valid
 * UTF-8 without NUL, of at most TF_SERVE_ARITH_MAX_TEXT bytes, and whose
 * reference ends with a "#### N" line with one number. A question seen
 * before keeps its first reference (tf_serve_arith_duplicates counts the
 * others). Errors: TF_ERR_PARSE (a bad line: d says why, without the line
 * number), TF_ERR_TOO_BIG (a cap), TF_ERR_NOMEM. */
tf_err tf_serve_arith_add_line(tf_serve_arith *t, const char *line, size_t len,
                               tf_diag *d) TF_MUST_USE;

/* Load a JSONL file (line by line through a capped buffer). Errors as
 * tf_serve_arith_add_line, and TF_ERR_IO, with d naming the file and the
 * line; a file without any record is TF_ERR_PARSE. */
tf_err tf_serve_arith_load(const char *path, const char *qfield, const char *afield,
                           tf_serve_arith **out, tf_diag *d) TF_MUST_USE;

/* Records kept, and records dropped as repeated questions. */
size_t tf_serve_arith_count(const tf_serve_arith *t);
size_t tf_serve_arith_duplicates(const tf_serve_arith *t);

/* The question a prompt asks (docs/serve.md, "Finding the question"):
 * the index of the question the prompt is (surrounding whitespace
 * ignored), else of the known question that starts last in the prompt
 * (the longest of those starting there); -1 for none. Linear in len: the
 * search compares at most 4 len + 1 MiB bytes, and a prompt that would
 * need more is answered -1. */
long tf_serve_arith_match(const tf_serve_arith *t, const char *prompt, size_t len);

/* Question and reference i (i < count); NUL-terminated, owned by t. */
const char *tf_serve_arith_question(const tf_serve_arith *t, size_t i, size_t *len);
const char *tf_serve_arith_reference(const tf_serve_arith *t, size_t i, size_t *len);

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
