/* strips.h: classical planning problems in the STRIPS subset that
 * Blocksworld and its obfuscated variants use: untyped objects, predicates
 * of arity 0 to 3, actions with parameters, positive preconditions, add and
 * delete lists. A plan simulator that names the first violated
 * precondition, and a bounded optimal planner (breadth-first search over
 * states; the bound is a state count, so results are deterministic).
 *
 * Domains and problems are plain data with fixed caps (no allocation
 * inside): readers (pddl.h, plantext.h) fill them, anyone may build one by
 * hand. Pure: no files, no I/O.
 */
#ifndef TRACEFARM_STRIPS_H
#define TRACEFARM_STRIPS_H

#include "tracefarm/err.h"

#include <stddef.h>
#include <stdint.h>

#define TF_STRIPS_MAX_ARITY 3
#define TF_STRIPS_MAX_NAME 64     /* bytes of a name, NUL included */
#define TF_STRIPS_MAX_PREDS 32    /* predicates of a domain */
#define TF_STRIPS_MAX_ACTIONS 32  /* actions of a domain */
#define TF_STRIPS_MAX_LIST 16     /* atoms in one precondition, add or delete list */
#define TF_STRIPS_MAX_OBJECTS 64  /* objects of a problem */
#define TF_STRIPS_MAX_FACTS 1024  /* atoms of an initial state or a goal */
#define TF_STRIPS_MAX_ATOMS 65536 /* ground atoms of a problem (the state's bits) */

/* A predicate: its name ("on", "clear", "handempty") and arity. */
typedef struct tf_strips_pred {
    char name[TF_STRIPS_MAX_NAME];
    int arity;
} tf_strips_pred;

/* An atom in an action's lists: a predicate and, per argument, the index
 * of one of the action's parameters (0 .. arity-1). */
typedef struct tf_strips_lit {
    int pred;
    int arg[TF_STRIPS_MAX_ARITY];
} tf_strips_lit;

typedef struct tf_strips_action {
    char name[TF_STRIPS_MAX_NAME]; /* e.g. "pick-up" */
    int arity;                     /* parameters */
    int npre, nadd, ndel;
    tf_strips_lit pre[TF_STRIPS_MAX_LIST];
    tf_strips_lit add[TF_STRIPS_MAX_LIST];
    tf_strips_lit del[TF_STRIPS_MAX_LIST];
} tf_strips_action;

typedef struct tf_strips_domain {
    char name[TF_STRIPS_MAX_NAME];
    int npreds, nactions;
    tf_strips_pred pred[TF_STRIPS_MAX_PREDS];
    tf_strips_action action[TF_STRIPS_MAX_ACTIONS];
} tf_strips_domain;

/* A ground atom: a predicate and object indices. */
typedef struct tf_strips_fact {
    int pred;
    int arg[TF_STRIPS_MAX_ARITY];
} tf_strips_fact;

typedef struct tf_strips_problem {
    int nobjects;
    char object[TF_STRIPS_MAX_OBJECTS][TF_STRIPS_MAX_NAME]; /* e.g. "red", "a", "object_0" */
    int ninit, ngoal;
    tf_strips_fact init[TF_STRIPS_MAX_FACTS]; /* everything else is false */
    tf_strips_fact goal[TF_STRIPS_MAX_FACTS]; /* a conjunction */
} tf_strips_problem;

/* A ground action of a plan: an action and one object per parameter. An
 * argument of -1 is an object the problem does not have (a plan read from
 * text may name one): the step is then not applicable. */
typedef struct tf_strips_step {
    int action;
    int arg[TF_STRIPS_MAX_ARITY];
} tf_strips_step;

/* Check a domain and a problem against it: indices in range, arities
 * matching, every action's atoms using its own parameters, the number of
 * ground atoms within TF_STRIPS_MAX_ATOMS. TF_ERR_PARSE with the reason.
 * Readers call it; the functions below assume it passed. */
tf_err tf_strips_check(const tf_strips_domain *dom, const tf_strips_problem *prob,
                       tf_diag *d) TF_MUST_USE;

/* Index of the predicate / action / object named name (ASCII
 * case-insensitive), or -1. */
int tf_strips_find_pred(const tf_strips_domain *dom, const char *name);
int tf_strips_find_action(const tf_strips_domain *dom, const char *name);
int tf_strips_find_object(const tf_strips_problem *prob, const char *name);

/* Why a step is not applicable. */
typedef enum tf_strips_why {
    TF_STRIPS_APPLICABLE = 0,
    TF_STRIPS_UNKNOWN_OBJECT, /* an argument is -1 */
    TF_STRIPS_PRECONDITION,   /* a precondition is false in the state */
} tf_strips_why;

/* What simulating a plan found. */
typedef struct tf_strips_sim {
    int executable;       /* every step applicable in turn */
    int goal_reached;     /* the goal holds after the last applicable step
                             (when executable: after the whole plan) */
    long first_invalid;   /* index of the first step not applicable, -1 */
    tf_strips_why why;    /* for that step */
    int arg_index;        /* TF_STRIPS_UNKNOWN_OBJECT: which argument */
    tf_strips_fact unmet; /* TF_STRIPS_PRECONDITION: the first false
                             precondition, in the action's list order */
    long unmet_goals;     /* goal atoms false at the end */
} tf_strips_sim;

/* Simulate steps[0..n) from the initial state, stopping at the first step
 * that is not applicable. Steps must use valid action indices (a reader
 * guarantees it); arguments may be -1. TF_ERR_NOMEM only. */
tf_err tf_strips_simulate(const tf_strips_domain *dom, const tf_strips_problem *prob,
                          const tf_strips_step *steps, size_t n, tf_strips_sim *out) TF_MUST_USE;

/* States, for tools that walk plans themselves (the synthetic planner of
 * tracefarm serve): a state is the bit set of a problem's ground atoms,
 * tf_strips_words(dom, prob) 64-bit words (0: more than
 * TF_STRIPS_MAX_ATOMS atoms, which tf_strips_check refuses). Steps must
 * name valid actions and objects (no -1). */
size_t tf_strips_words(const tf_strips_domain *dom, const tf_strips_problem *prob);
/* The state after steps[0..n) from the initial state, every step applied
 * (applicable or not: check with tf_strips_unmet first). */
void tf_strips_state(const tf_strips_domain *dom, const tf_strips_problem *prob,
                     const tf_strips_step *steps, size_t n, uint64_t *s);
/* The index of the first false precondition of st in s (in the action's
 * list order), or -1: applicable. */
int tf_strips_unmet(const tf_strips_domain *dom, const tf_strips_problem *prob, const uint64_t *s,
                    const tf_strips_step *st);
/* Apply st to s: deletes first, then adds. */
void tf_strips_apply(const tf_strips_domain *dom, const tf_strips_problem *prob, uint64_t *s,
                     const tf_strips_step *st);

/* Write a fact or a step in PDDL form, "(on red blue)", "(unstack red
 * blue)", into buf (NUL-terminated, truncated at n). An argument of -1 is
 * written "?". */
void tf_strips_fact_str(const tf_strips_domain *dom, const tf_strips_problem *prob,
                        const tf_strips_fact *f, char *buf, size_t n);
void tf_strips_step_str(const tf_strips_domain *dom, const tf_strips_problem *prob,
                        const tf_strips_step *s, char *buf, size_t n);

/* Default bound of tf_strips_plan: states stored (each a bit set of the
 * ground atoms plus a parent link). */
#define TF_STRIPS_DEFAULT_MAX_STATES 1000000UL

typedef enum tf_strips_found {
    TF_STRIPS_FOUND = 0,  /* an optimal plan */
    TF_STRIPS_UNSOLVABLE, /* the whole reachable space has no goal state */
    TF_STRIPS_LIMIT,      /* max_states states stored, no goal found */
} tf_strips_found;

/* An optimal (shortest) plan by breadth-first search, storing at most
 * max_states states. On TF_STRIPS_FOUND, *plan (caller frees) holds *len
 * steps (*plan is NULL when len is 0: the goal holds initially); else
 * *plan is NULL. *expanded (may be NULL) is the number of states stored.
 * Deterministic: successors in action order, then argument order.
 * TF_ERR_NOMEM only. */
tf_err tf_strips_plan(const tf_strips_domain *dom, const tf_strips_problem *prob,
                      uint64_t max_states, tf_strips_found *found, tf_strips_step **plan,
                      size_t *len, uint64_t *expanded) TF_MUST_USE;

#endif
