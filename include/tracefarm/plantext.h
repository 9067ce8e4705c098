/* plantext.h: planning tasks and plans in natural language, the way
 * PlanBench asks and reasoning models answer.
 *
 * A task (a STRIPS domain and problem, strips.h, with the words that name
 * its actions and objects in prose) is read from a PlanBench prompt: the
 * domain from the prompt's own text (the four block actions of
 * Blocksworld, or the action list and the "To perform X action, the
 * following facts need to be true: ..." restrictions that Mystery and
 * obfuscated Blocksworld spell out; the predicate and action words are
 * read from there, never from a table), the problem from its last
 * "[STATEMENT]" ("As initial conditions I have that, ... My goal is to
 * have that ..."). A task can also come from PDDL (pddl.h).
 *
 * A plan is read from a model's answer text: PDDL-style "(unstack c b)"
 * lines and prose ("Unstack the yellow block from the red block",
 * "1. **Pick up** the red block", "stack red on yellow"), numbered or not,
 * with markdown. docs/blocksworld.md gives the rules.
 *
 * Pure: text in, values out; inputs need not be NUL-terminated.
 */
#ifndef TRACEFARM_PLANTEXT_H
#define TRACEFARM_PLANTEXT_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"
#include "tracefarm/strips.h"

#include <stddef.h>

/* Most bytes of a prompt read, and of an answer text a plan is read from. */
#define TF_PLANTEXT_MAX_PROMPT (1u << 20)
#define TF_PLANTEXT_MAX_TEXT (16u << 20)
/* Most steps of a plan read from text (more: TF_ERR_TOO_BIG). */
#define TF_PLANTEXT_MAX_STEPS 100000
#define TF_PLANTEXT_MAX_WORDS 4 /* phrases per action, aliases per object */

/* Which vocabulary a task's prompt uses. */
typedef enum tf_plan_vocab {
    TF_PLAN_BLOCKSWORLD = 0, /* blocks by colour, the four block actions */
    TF_PLAN_MYSTERY,         /* words with other meanings ("attack", "craves") */
    TF_PLAN_OBFUSCATED,      /* random strings ("j4gv801gnu2it0yj", "object_0") */
    TF_PLAN_PDDL,            /* read from PDDL: the names are the words */
} tf_plan_vocab;

/* Its name: "blocksworld", "mystery", "obfuscated", "pddl". */
const char *tf_plan_vocab_name(tf_plan_vocab v);

/* A task: what to plan, and the words for it. */
typedef struct tf_plan_task {
    tf_plan_vocab vocab;
    tf_strips_domain dom;
    tf_strips_problem prob;
    /* Per action, the phrases that name it in prose, lower case ("pick
     * up", "pick-up", "pickup"; "attack"; "j4gv801gnu2it0yj"), the first
     * the prompt's own. */
    int nphrases[TF_STRIPS_MAX_ACTIONS];
    char phrase[TF_STRIPS_MAX_ACTIONS][TF_PLANTEXT_MAX_WORDS][TF_STRIPS_MAX_NAME];
    /* Per object, the names it goes by in prose and in PDDL form ("red";
     * "a" for "object a"; "object_0", "o0"), lower case, the first the
     * prompt's own. */
    int naliases[TF_STRIPS_MAX_OBJECTS];
    char alias[TF_STRIPS_MAX_OBJECTS][TF_PLANTEXT_MAX_WORDS][TF_STRIPS_MAX_NAME];
    /* Per action, the word(s) the prompt puts between its first and second
     * object ("from" in "Feast object from another object"; Blocksworld:
     * "from" for unstack, "on" for stack), lower case, "" when none. */
    char connector[TF_STRIPS_MAX_ACTIONS][TF_STRIPS_MAX_NAME];
} tf_plan_task;

/* Read a task from a PlanBench prompt into *task (caller-allocated,
 * overwritten). TF_ERR_PARSE with the reason in d (no "[STATEMENT]", no
 * goal, a fact or an action definition that cannot be read: quoted);
 * TF_ERR_TOO_BIG past TF_PLANTEXT_MAX_PROMPT or a cap of strips.h. */
tf_err tf_plantext_prompt(const char *prompt, size_t len, tf_plan_task *task,
                          tf_diag *d) TF_MUST_USE;

/* Fill task->vocab = TF_PLAN_PDDL and the words of a task whose dom and
 * prob were read from PDDL: action names (and "-" as a space), object
 * names. */
void tf_plantext_words_from_names(tf_plan_task *task);

/* What reading a plan from text found. */
typedef enum tf_plan_read_status {
    TF_PLAN_READ_OK = 0,     /* a plan (possibly of unknown objects) */
    TF_PLAN_READ_NONE,       /* no action found in the text */
    TF_PLAN_READ_REFUSED,    /* the text says no plan exists */
    TF_PLAN_READ_INCOMPLETE, /* an action named without its objects */
} tf_plan_read_status;

typedef struct tf_plan_read {
    tf_plan_read_status status;
    tf_strips_step *steps; /* n steps (owned; tf_plan_read_free) */
    size_t n;
    const char *form;   /* "pddl" or "text": how the plan was written */
    long first_line;    /* line of the text (1-based) of the first step, 0 */
    long unknown_step;  /* first step naming an object the problem lacks, -1 */
    char unknown[TF_STRIPS_MAX_NAME]; /* that object as written */
    char reason[256];   /* NONE, REFUSED, INCOMPLETE: what was seen, quoted */
} tf_plan_read;

/* Read the plan in text[0..len). Status OK with n >= 1 steps, or another
 * status with the reason; TF_ERR_TOO_BIG past TF_PLANTEXT_MAX_STEPS steps
 * or TF_PLANTEXT_MAX_TEXT bytes; TF_ERR_NOMEM. *out is overwritten; free it
 * with tf_plan_read_free whatever the result. */
tf_err tf_plantext_read_plan(const tf_plan_task *task, const char *text, size_t len,
                             tf_plan_read *out, tf_diag *d) TF_MUST_USE;
void tf_plan_read_free(tf_plan_read *r);

/* Write steps the way a model answers: "1. **Unstack blue from orange**"
 * for Blocksworld, "1. **Overcome a from b**" for Mystery, "(j4gv...
 * object_1 object_2)" for obfuscated and PDDL tasks, one a line. Appends
 * to out. */
tf_err tf_plantext_write_plan(const tf_plan_task *task, const tf_strips_step *steps, size_t n,
                              tf_buf *out) TF_MUST_USE;

/* Write a PlanBench-style Blocksworld prompt for a task whose domain is the
 * four-operator Blocksworld (pddl.h), with blocks named by colour when the
 * task's objects are PlanBench's letters. Appends to out; TF_ERR_PARSE
 * when the domain is another. */
tf_err tf_plantext_write_prompt(const tf_plan_task *task, tf_buf *out) TF_MUST_USE;

#endif
