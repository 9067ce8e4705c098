/* pddl.h: the PDDL subset of STRIPS domains and problems (strips.h).
 *
 * Domain: (define (domain NAME) [(:requirements ...)] [(:types ...)]
 * (:predicates (P ?x ?y) ...) (:action NAME :parameters (?x ?y)
 * :precondition (and ATOM...) :effect (and ATOM... (not ATOM)...)) ...).
 * A single atom may stand for an (and ...) of one; types are read and
 * ignored; anything else (negative preconditions, conditional effects,
 * quantifiers, functions) is refused with the reason.
 * Problem: (define (problem NAME) (:domain NAME) (:objects a b c ...)
 * (:init ATOM...) (:goal (and ATOM...))).
 * Plan: one "(action arg ...)" a line (";" comments and blank lines
 * skipped), PlanBench's and VAL's plan form.
 *
 * Case-insensitive, ";" comments; inputs need not be NUL-terminated. Every
 * error is TF_ERR_PARSE with the line and what was expected in d, or
 * TF_ERR_TOO_BIG past a cap of strips.h. Pure.
 */
#ifndef TRACEFARM_PDDL_H
#define TRACEFARM_PDDL_H

#include "tracefarm/err.h"
#include "tracefarm/strips.h"

#include <stddef.h>

/* Most bytes of a domain or problem text, and most steps of a plan. */
#define TF_PDDL_MAX_TEXT (1u << 20)
#define TF_PDDL_MAX_PLAN 100000

/* Read a domain into *dom (caller-allocated, overwritten). */
tf_err tf_pddl_domain(const char *text, size_t len, tf_strips_domain *dom, tf_diag *d) TF_MUST_USE;

/* Read a problem for dom into *prob (caller-allocated, overwritten);
 * tf_strips_check passes on success. */
tf_err tf_pddl_problem(const tf_strips_domain *dom, const char *text, size_t len,
                       tf_strips_problem *prob, tf_diag *d) TF_MUST_USE;

/* Read a plan: *steps (caller frees; NULL when n is 0) and *n. An object
 * the problem lacks is argument -1; an unknown action or a wrong number
 * of arguments is TF_ERR_PARSE naming the line. */
tf_err tf_pddl_plan(const tf_strips_domain *dom, const tf_strips_problem *prob, const char *text,
                    size_t len, tf_strips_step **steps, size_t *n, tf_diag *d) TF_MUST_USE;

/* The four-operator Blocksworld of PlanBench (pick-up, put-down, stack,
 * unstack over on, ontable, clear, handempty, holding), as PDDL text. */
const char *tf_pddl_blocksworld(void);

#endif
