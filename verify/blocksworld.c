/* blocksworld.c: the plan domain (domain.h): PlanBench's Blocksworld and
 * its Mystery and obfuscated variants, plans read from a model's answer
 * and simulated action by action.
 *
 * The problem is the record's prompt, read by the planning module
 * (plantext.h: the domain from the prompt's own words, the problem from
 * its last [STATEMENT]), or a PDDL problem in the record (pddl.h). The
 * farm's own planner (strips.h, breadth-first, bounded by
 * "blocksworld.max_states") gives the optimal plan length once per record;
 * the record's ground-truth plan, when it has one, is read and simulated
 * as a check of both. The plan is read from the answer part of the output
 * and simulated with every precondition.
 *
 * For the statistics (docs/blocksworld.md, "Statistics"): the answer is
 * the plan (plan_valid: every action applicable and the goal reached), the
 * "trace" is the plan's actions (trace_valid: every action applicable),
 * its length is the length of the model's reasoning (reasoning tokens from
 * usage, else estimated from the text), and complexity is the optimal plan
 * length (or the block count), so that length_vs_complexity answers "does
 * the reasoning grow with the problem". The first invalid action's index
 * is in the item (first_invalid), not in first_error_position, whose
 * positions are relative to the trace length.
 */
#include "tracefarm/domain.h"
#include "tracefarm/pddl.h"
#include "tracefarm/plantext.h"
#include "tracefarm/strips.h"
#include "tracefarm/text.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most plan steps written into an item ("plan"); plan_len is always whole. */
#define BW_ITEM_STEPS 1000

/* ----- the job's "blocksworld" section and the record fields -------------------- */

typedef struct bw_section {
    int complexity;  /* index into complexities */
    long max_states; /* the planner's bound */
} bw_section;

static const char *const complexities[] = {"optimal_plan_len", "blocks", NULL};
enum { CX_OPTIMAL, CX_BLOCKS };

static const tf_key bw_keys[] = {
    {.name = "complexity",
     .type = TF_KEY_CHOICE,
     .choices = complexities,
     .dflt = "\"optimal_plan_len\"",
     .offset = offsetof(bw_section, complexity),
     .help = "what the statistics take as a problem's complexity: the optimal plan's length "
             "(the farm's planner) or the number of blocks (objects)"},
    {.name = "max_states",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 50000000,
     .dflt = "1000000",
     .offset = offsetof(bw_section, max_states),
     .help = "states the optimal planner may store per problem (about 40 bytes each, plus 8 per "
             "64 ground atoms): 1,000,000 settle every problem of up to 8 blocks; past the "
             "bound the optimal length is null"},
};

enum { F_PDDL_PROBLEM, F_PDDL_DOMAIN, F_GROUND_TRUTH, F_REASONING_TOKENS, F_COUNT };
static const tf_field bw_fields[F_COUNT] = {
    [F_PDDL_PROBLEM] = {"pddl_problem", "pddl_problem",
                        "blocksworld: a PDDL problem; when present it is the problem (else the "
                        "prompt's [STATEMENT])"},
    [F_PDDL_DOMAIN] = {"pddl_domain", "pddl_domain",
                       "blocksworld: the PDDL domain of pddl_problem (absent: PlanBench's "
                       "four-operator Blocksworld)"},
    [F_GROUND_TRUTH] = {"ground_truth", "ground_truth_plan",
                        "blocksworld: a known valid plan, PDDL form, one action a line "
                        "(optional): simulated as a check of the problem and of the planner"},
    [F_REASONING_TOKENS] = {"reasoning_tokens",
                            "response_object.usage.completion_tokens_details.reasoning_tokens",
                            "blocksworld: the reasoning tokens of the record's own output "
                            "(optional; not read for an endpoint's answers, whose usage gives "
                            "them)"},
};

static const char *const bw_flags[] = {"ground_truth_invalid", "ground_truth_shorter"};

typedef struct bw_cfg {
    int complexity;
    uint64_t max_states;
    const tf_path *const *f; /* field paths, F_* (borrowed from the job) */
} bw_cfg;

typedef struct bw_problem {
    tf_plan_task task;
    char *prompt; /* the prompt a model gets (owned, NUL-terminated) */
    size_t prompt_len;
    tf_strips_found found; /* the planner's result */
    long optimal_len;      /* FOUND: its length, else -1 */
    long gt_len;           /* the ground truth's steps, -1 when the record has none */
    bool gt_valid;         /* ... and it solves the problem */
    long reasoning_tokens; /* the record's reasoning_tokens field, -1 */
    /* "unmet_" and each predicate's name: the first_error codes of the
     * problem's preconditions ("unmet_clear"; Mystery's "unmet_province"),
     * here because the statistics read them after verify returns */
    char unmet[TF_STRIPS_MAX_PREDS][TF_STRIPS_MAX_NAME + 8];
} bw_problem;

static tf_err bw_configure(const void *section, const tf_path *const *fields, const char *origin,
                           void **out, tf_diag *d)
{
    (void)origin, (void)d;
    const bw_section *sec = section;
    bw_cfg *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return TF_ERR_NOMEM;
    c->complexity = sec->complexity;
    c->max_states = (uint64_t)sec->max_states;
    c->f = fields;
    *out = c;
    return TF_OK;
}

static void bw_free_config(void *p)
{
    free(p);
}

static void bw_free_problem(void *p)
{
    bw_problem *pb = p;
    if (!pb)
        return;
    free(pb->prompt);
    free(pb);
}

/* A string field of the record at path i, or NULL (absent or null);
 * TF_ERR_PARSE when it has another type. */
static tf_err string_field(const bw_cfg *c, const tf_record *rec, int i, const char **s, tf_diag *d)
{
    const cJSON *v = tf_path_get(c->f[i], rec->json);
    *s = NULL;
    if (!v || cJSON_IsNull(v))
        return TF_OK;
    if (!cJSON_IsString(v)) {
        tf_diag_set(d, "field \"%s\" must be a string", tf_path_text(c->f[i]));
        return TF_ERR_PARSE;
    }
    *s = v->valuestring;
    return TF_OK;
}

/* The task from a PDDL problem (and domain) of the record. */
static tf_err task_from_pddl(const bw_cfg *c, const char *problem, const char *domain,
                             tf_plan_task *t, tf_diag *d)
{
    memset(t, 0, sizeof *t);
    const char *dt = domain ? domain : tf_pddl_blocksworld();
    tf_err err = tf_pddl_domain(dt, strlen(dt), &t->dom, d);
    if (err != TF_OK) {
        tf_diag_prefix(d, "field \"%s\": ", tf_path_text(c->f[F_PDDL_DOMAIN]));
        return err == TF_ERR_NOMEM ? err : TF_ERR_PARSE;
    }
    err = tf_pddl_problem(&t->dom, problem, strlen(problem), &t->prob, d);
    if (err != TF_OK) {
        tf_diag_prefix(d, "field \"%s\": ", tf_path_text(c->f[F_PDDL_PROBLEM]));
        return err == TF_ERR_NOMEM ? err : TF_ERR_PARSE;
    }
    tf_plantext_words_from_names(t);
    return TF_OK;
}

/* The ground truth: read in the task's words and simulated. */
static tf_err check_ground_truth(const bw_cfg *c, const char *gt, bw_problem *pb, tf_diag *d)
{
    tf_plan_read r;
    tf_err err = tf_plantext_read_plan(&pb->task, gt, strlen(gt), &r, d);
    if (err == TF_OK && r.status == TF_PLAN_READ_OK) {
        tf_strips_sim sim;
        err = tf_strips_simulate(&pb->task.dom, &pb->task.prob, r.steps, r.n, &sim);
        pb->gt_len = (long)r.n;
        pb->gt_valid = err == TF_OK && sim.executable && sim.goal_reached;
    } else if (err == TF_OK) {
        tf_diag_set(d, "field \"%s\": no plan can be read from it (%s)",
                    tf_path_text(c->f[F_GROUND_TRUTH]), r.reason);
        err = TF_ERR_PARSE;
    } else if (err != TF_ERR_NOMEM) {
        tf_diag_prefix(d, "field \"%s\": ", tf_path_text(c->f[F_GROUND_TRUTH]));
        err = TF_ERR_PARSE;
    }
    tf_plan_read_free(&r);
    return err;
}

static tf_err bw_parse_record(const void *cfgp, const tf_record *rec, void **out, tf_text *output,
                              tf_diag *d)
{
    const bw_cfg *c = cfgp;
    *out = NULL;
    output->p = NULL;
    output->n = 0;
    const char *pddl = NULL, *pddl_dom = NULL, *gt = NULL;
    tf_err err = string_field(c, rec, F_PDDL_PROBLEM, &pddl, d);
    if (err == TF_OK)
        err = string_field(c, rec, F_PDDL_DOMAIN, &pddl_dom, d);
    if (err == TF_OK)
        err = string_field(c, rec, F_GROUND_TRUTH, &gt, d);
    if (err != TF_OK)
        return err;
    if (!pddl && !rec->prompt.p) {
        tf_diag_set(d, "%s (and no field \"%s\")", rec->prompt_why,
                    tf_path_text(c->f[F_PDDL_PROBLEM]));
        return TF_ERR_PARSE;
    }
    bw_problem *pb = calloc(1, sizeof *pb);
    if (!pb)
        return TF_ERR_NOMEM;
    pb->gt_len = pb->optimal_len = pb->reasoning_tokens = -1;
    const cJSON *rt = tf_path_get(c->f[F_REASONING_TOKENS], rec->json);
    if (cJSON_IsNumber(rt) && rt->valuedouble >= 0 && rt->valuedouble <= 4294967294.0 &&
        rt->valuedouble == (double)(long)rt->valuedouble)
        pb->reasoning_tokens = (long)rt->valuedouble;
    if (pddl) {
        err = task_from_pddl(c, pddl, pddl_dom, &pb->task, d);
    } else {
        err = tf_plantext_prompt(rec->prompt.p, rec->prompt.n, &pb->task, d);
        if (err == TF_ERR_TOO_BIG)
            err = TF_ERR_PARSE;
        if (err == TF_ERR_PARSE)
            tf_diag_prefix(d, "the prompt: ");
    }
    tf_buf pr;
    tf_buf_init(&pr, TF_PLANTEXT_MAX_PROMPT);
    if (err == TF_OK && rec->prompt.p)
        err = tf_buf_append(&pr, rec->prompt.p, rec->prompt.n);
    else if (err == TF_OK)
        err = tf_plantext_write_prompt(&pb->task, &pr);
    if (err == TF_OK)
        err = tf_buf_append(&pr, "", 1);
    if (err == TF_OK) {
        pb->prompt = pr.data; /* the buffer's bytes, NUL-terminated */
        pb->prompt_len = pr.len - 1;
        pr.data = NULL;
    } else if (err == TF_ERR_PARSE && pddl && !rec->prompt.p) {
        tf_diag_set(d,
                    "field \"%s\": no prompt can be written for its domain (only for "
                    "Blocksworld): give the record a prompt",
                    tf_path_text(c->f[F_PDDL_DOMAIN]));
    }
    tf_buf_free(&pr);
    for (int i = 0; err == TF_OK && i < pb->task.dom.npreds; i++)
        snprintf(pb->unmet[i], sizeof pb->unmet[i], "unmet_%s", pb->task.dom.pred[i].name);
    if (err == TF_OK && gt)
        err = check_ground_truth(c, gt, pb, d);
    if (err == TF_OK) {
        tf_strips_step *plan = NULL;
        size_t n = 0;
        err = tf_strips_plan(&pb->task.dom, &pb->task.prob, c->max_states, &pb->found, &plan, &n,
                             NULL);
        free(plan);
        pb->optimal_len = err == TF_OK && pb->found == TF_STRIPS_FOUND ? (long)n : -1;
    }
    if (err != TF_OK) {
        if (d)
            tf_utf8_sanitize(d->msg);
        bw_free_problem(pb);
        return err;
    }
    *out = pb;
    return TF_OK;
}

/* The prompt: the record's own (a PlanBench query, verbatim), or one
 * written for a PDDL problem. */
static tf_err bw_build_prompt(const void *cfg, const void *problem, tf_buf *out)
{
    (void)cfg;
    const bw_problem *pb = problem;
    return tf_buf_append(out, pb->prompt, pb->prompt_len);
}

/* ----- verdicts ---------------------------------------------------------------------- */

/* Estimated tokens of a text: one per 4 bytes, rounded up (the usual rule
 * of thumb for English with OpenAI's tokenizers). */
static long estimate_tokens(size_t bytes)
{
    return (long)((bytes + 3) / 4);
}

/* The length of the model's reasoning and where it came from. */
static long reasoning_length(const bw_problem *pb, const tf_record *rec, const tf_parts *out,
                             const char **from)
{
    if (out->reasoning_tokens >= 0) {
        *from = "usage_reasoning_tokens";
        return out->reasoning_tokens;
    }
    if (pb->reasoning_tokens >= 0 && !out->from_request) { /* the record's own output's */
        *from = "field_reasoning_tokens";
        return pb->reasoning_tokens;
    }
    if (out->reasoning) {
        *from = "reasoning_text_estimate";
        return estimate_tokens(out->reasoning_len);
    }
    /* a response's own count, else the record's tokens field (which
     * describes the record's output, not a response to a request) */
    long ct = out->completion_tokens >= 0 ? out->completion_tokens
              : out->from_request         ? -1
                                          : rec->tokens;
    if (ct >= 0) {
        *from = "completion_tokens";
        return ct;
    }
    *from = "response_text_estimate";
    return estimate_tokens(out->answer_len);
}

static const char *read_error_code(tf_plan_read_status s)
{
    switch (s) {
    case TF_PLAN_READ_NONE:
        return "no_plan";
    case TF_PLAN_READ_REFUSED:
        return "plan_refused";
    case TF_PLAN_READ_INCOMPLETE:
        return "plan_incomplete";
    default:
        return NULL;
    }
}

static int add_plan(cJSON *item, const tf_plan_task *t, const tf_plan_read *r)
{
    cJSON *a = cJSON_AddArrayToObject(item, "plan");
    if (!a)
        return 0;
    char s[4 * TF_STRIPS_MAX_NAME];
    for (size_t i = 0; i < r->n && i < BW_ITEM_STEPS; i++) {
        tf_strips_step_str(&t->dom, &t->prob, &r->steps[i], s, sizeof s);
        cJSON *v = cJSON_CreateString(s);
        if (!v || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            return 0;
        }
    }
    if (r->n > BW_ITEM_STEPS && !cJSON_AddNumberToObject(item, "plan_shown", BW_ITEM_STEPS))
        return 0;
    return 1;
}

static tf_err bw_verify(const void *cfgp, const void *problem, const tf_record *rec,
                        const tf_parts *out, cJSON *item, tf_facts *facts, tf_diag *d)
{
    const bw_cfg *c = cfgp;
    const bw_problem *pb = problem;
    const tf_plan_task *t = &pb->task;
    tf_plan_read r;
    tf_err err = tf_plantext_read_plan(t, out->answer, out->answer_len, &r, d);
    if (err != TF_OK) {
        tf_plan_read_free(&r);
        return err; /* TF_ERR_TOO_BIG: a too_big error item, the reason in d */
    }
    tf_strips_sim sim;
    memset(&sim, 0, sizeof sim);
    sim.first_invalid = -1;
    if (r.status == TF_PLAN_READ_OK)
        err = tf_strips_simulate(&t->dom, &t->prob, r.steps, r.n, &sim);
    if (err != TF_OK) {
        tf_plan_read_free(&r);
        return err;
    }
    bool read = r.status == TF_PLAN_READ_OK;
    bool executable = read && sim.executable;
    bool valid = executable && sim.goal_reached;
    bool optimal = valid && pb->optimal_len >= 0 && (long)r.n == pb->optimal_len;
    const char *first_error = read_error_code(r.status); /* the trace's first error */
    if (read && !sim.executable) {
        if (sim.why == TF_STRIPS_UNKNOWN_OBJECT)
            first_error = "unknown_object";
        else
            first_error = pb->unmet[sim.unmet.pred];
    }
    const char *plan_error = first_error ? first_error : valid ? NULL : "goal_not_reached";
    const char *len_from = NULL;
    long rlen = reasoning_length(pb, rec, out, &len_from);
    long blocks = t->prob.nobjects;
    long complexity = c->complexity == CX_BLOCKS ? blocks : pb->optimal_len;

    int ok = tf_item_add_str(item, "vocabulary", tf_plan_vocab_name(t->vocab)) &&
             tf_item_add_count(item, "blocks", blocks) &&
             cJSON_AddBoolToObject(item, "plan_valid", valid) &&
             tf_item_add_str(item, "plan_error", plan_error);
    if (ok && !read)
        ok = tf_item_add_str(item, "plan_error_reason", r.reason);
    if (ok && read)
        ok = tf_item_add_str(item, "plan_form", r.form) && add_plan(item, t, &r);
    ok = ok && tf_item_add_count(item, "plan_len", read ? (long)r.n : 0) &&
         cJSON_AddBoolToObject(item, "trace_valid", executable) &&
         cJSON_AddBoolToObject(item, "trace_valid_strict", executable) &&
         tf_item_add_str(item, "first_error", first_error) &&
         tf_item_add_str(item, "strict_first_error", first_error);
    if (ok && read && !sim.executable) {
        cJSON *fi = cJSON_AddObjectToObject(item, "first_invalid");
        char s[4 * TF_STRIPS_MAX_NAME];
        tf_strips_step_str(&t->dom, &t->prob, &r.steps[sim.first_invalid], s, sizeof s);
        ok = fi && cJSON_AddNumberToObject(fi, "index", (double)sim.first_invalid) &&
             cJSON_AddStringToObject(fi, "action", s);
        if (ok && sim.why == TF_STRIPS_UNKNOWN_OBJECT) {
            ok = cJSON_AddStringToObject(fi, "unknown_object",
                                         r.unknown_step == sim.first_invalid ? r.unknown : "?") !=
                 NULL;
        } else if (ok) {
            tf_strips_fact_str(&t->dom, &t->prob, &sim.unmet, s, sizeof s);
            ok = cJSON_AddStringToObject(fi, "unmet_precondition", s) != NULL;
        }
    }
    ok = ok && cJSON_AddBoolToObject(item, "goal_reached", read && sim.goal_reached) &&
         tf_item_add_count(item, "optimal_plan_len", pb->optimal_len) &&
         cJSON_AddBoolToObject(item, "plan_optimal", optimal) &&
         tf_item_add_count(item, "complexity", complexity) &&
         tf_item_add_count(item, "reasoning_len", rlen) &&
         tf_item_add_str(item, "reasoning_len_from", len_from);
    bool gt_invalid = pb->gt_len >= 0 && !pb->gt_valid;
    bool gt_shorter =
        pb->gt_len >= 0 && pb->gt_valid && pb->optimal_len >= 0 && pb->gt_len < pb->optimal_len;
    if (ok && pb->gt_len >= 0)
        ok = tf_item_add_count(item, "ground_truth_len", pb->gt_len) &&
             cJSON_AddBoolToObject(item, "ground_truth_invalid", gt_invalid) &&
             cJSON_AddBoolToObject(item, "ground_truth_shorter", gt_shorter);
    tf_plan_read_free(&r);
    if (!ok)
        return TF_ERR_NOMEM;

    facts->answer_valid = valid;
    facts->answer_optimal = optimal;
    facts->trace_valid = facts->trace_valid_strict = executable;
    facts->first_error = facts->strict_first_error = first_error;
    facts->trace_len = rlen;
    facts->first_error_step = -1; /* the index is first_invalid.index (see the top) */
    facts->complexity = complexity;
    facts->flags = NULL;
    facts->nflags = 0;
    if (gt_invalid) {
        facts->flags = &bw_flags[0];
        facts->nflags = 1;
    } else if (gt_shorter) {
        facts->flags = &bw_flags[1];
        facts->nflags = 1;
    }
    return TF_OK;
}

const tf_domain tf_domain_blocksworld = {
    .name = "blocksworld",
    .answer_noun = "plan",
    .answer_false_trace = NULL,
    .flags = bw_flags,
    .nflags = sizeof bw_flags / sizeof *bw_flags,
    .keys = bw_keys,
    .nkeys = sizeof bw_keys / sizeof *bw_keys,
    .section_size = sizeof(bw_section),
    .fields = bw_fields,
    .nfields = F_COUNT,
    .configure = bw_configure,
    .free_config = bw_free_config,
    .parse_record = bw_parse_record,
    .free_problem = bw_free_problem,
    .build_prompt = bw_build_prompt,
    .verify = bw_verify,
};
