/* maze.c: the maze domain (domain.h): from a corpus record to a verdict.
 *
 * The rules live in maze_rules.c (the verifier, maze_verify.h) and in the
 * maze model (maze/: grids, prompts, the farm's own A* for the complexity
 * when a record carries no reference trace); this file maps records and
 * the job's "maze" section onto them. docs/maze.md is the reference.
 */
#include "tracefarm/domain.h"
#include "tracefarm/maze_verify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ----- the job's "maze" section and the record fields --------------------- */

typedef struct maze_section {
    long rows, cols; /* grid size unless the record says otherwise; 0: not given */
    int dialect;     /* index into dialects */
} maze_section;

static const char *const dialects[] = {"auto", "searchformer", "beyond", NULL};

static const tf_key maze_keys[] = {
    {.name = "rows",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(maze_section, rows),
     .help = "grid rows of records without their own; no default: a record without either is "
             "an error item"},
    {.name = "cols",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .flags = TF_KEY_OPTIONAL,
     .offset = offsetof(maze_section, cols),
     .help = "grid columns of records without their own; no default: a record without either "
             "is an error item"},
    {.name = "dialect",
     .type = TF_KEY_CHOICE,
     .choices = dialects,
     .dflt = "\"auto\"",
     .offset = offsetof(maze_section, dialect),
     .help = "trace dialect; auto: beyond when the record has the text field, else "
             "searchformer"},
};

/* The record fields, in the order configure receives their paths. The
 * job's own fields give the rest: the prompt (searchformer: the problem,
 * start, goal, walls), the model output and its reasoning (domain.h). */
enum { F_TEXT, F_REFERENCE, F_ROWS, F_COLS, F_COUNT };
static const tf_field maze_fields[F_COUNT] = {
    [F_TEXT] = {"text", "text", "beyond: the problem and the model output in one text"},
    [F_REFERENCE] = {"reference", "reference", "a reference trace, whose length is the complexity"},
    [F_ROWS] = {"rows", "rows", "the record's own grid rows"},
    [F_COLS] = {"cols", "cols", "the record's own grid columns"},
};

typedef struct maze_cfg {
    int rows, cols;          /* grid size unless the record says otherwise; 0: unknown */
    int dialect;             /* -1 auto, else tf_maze_dialect */
    const tf_path *const *f; /* field paths, F_* (borrowed from the job) */
} maze_cfg;

typedef struct maze_problem {
    tf_maze *m;              /* the grid */
    tf_maze_dialect dialect; /* dialect of this record */
} maze_problem;

static tf_err maze_configure(const void *section, const tf_path *const *fields, const char *origin,
                             void **out, tf_diag *d)
{
    const maze_section *sec = section;
    *out = NULL;
    if (sec->rows * sec->cols > TF_MAZE_MAX_CELLS) {
        tf_diag_set(d, "%s: keys \"maze.rows\" x \"maze.cols\" exceed %ld cells", origin,
                    TF_MAZE_MAX_CELLS);
        return TF_ERR_SPEC;
    }
    maze_cfg *c = calloc(1, sizeof *c);
    if (!c)
        return TF_ERR_NOMEM;
    c->rows = (int)sec->rows;
    c->cols = (int)sec->cols;
    c->dialect = sec->dialect == 1 ? TF_MAZE_SEARCHFORMER : sec->dialect == 2 ? TF_MAZE_BEYOND : -1;
    c->f = fields;
    *out = c;
    return TF_OK;
}

static void maze_free_config(void *p)
{
    free(p);
}

/* ----- records -------------------------------------------------------------- */

static void maze_free_problem(void *p)
{
    maze_problem *pb = p;
    if (!pb)
        return;
    tf_maze_free(pb->m);
    free(pb);
}

/* The record's grid side: its own field if present, else the job's
 * (key, e.g. "maze.rows"). Neither is an error: a guessed size changes the
 * verdicts (walls off the guessed grid, moves past its edge) without a
 * trace of why, so the record is refused naming what is missing. */
static tf_err record_side(const tf_record *rec, const tf_path *field, int dflt, const char *key,
                          int *out, tf_diag *d)
{
    const cJSON *v = tf_path_get(field, rec->json);
    if (!v && dflt > 0) {
        *out = dflt;
        return TF_OK;
    }
    if (!v) {
        tf_diag_set(d, "grid size unknown: missing field \"%s\" and no \"%s\" in the job",
                    tf_path_text(field), key);
        return TF_ERR_PARSE;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble || v->valuedouble < 1 ||
        v->valuedouble > TF_MAZE_MAX_SIDE) {
        tf_diag_set(d, "field \"%s\" must be an integer from 1 to %d", tf_path_text(field),
                    TF_MAZE_MAX_SIDE);
        return TF_ERR_PARSE;
    }
    *out = (int)v->valuedouble;
    return TF_OK;
}

/* A string field of the record, or NULL with a message naming its path. */
static const cJSON *string_field(const tf_record *rec, const tf_path *field, tf_diag *d)
{
    const cJSON *v = tf_path_get(field, rec->json);
    if (!v) {
        tf_diag_set(d, "missing field \"%s\"", tf_path_text(field));
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        tf_diag_set(d, "field \"%s\" must be a string", tf_path_text(field));
        return NULL;
    }
    return v;
}

/* The problem is the record's prompt (the job's "fields.prompt", or the
 * last user message) and the output the job's too, except in the beyond
 * dialect, whose text field holds both. A beyond record without it (the
 * dialect named in the job) is read like a searchformer one: its prompt
 * ("query start ... ") and output ("reasoning close ... end"), as a chat
 * export splits them. */
static tf_err maze_parse_record(const void *cfgp, const tf_record *rec, void **out, tf_text *output,
                                tf_diag *d)
{
    const maze_cfg *c = cfgp;
    *out = NULL;
    output->p = NULL;
    output->n = 0;
    int rows, cols;
    tf_err err = record_side(rec, c->f[F_ROWS], c->rows, "maze.rows", &rows, d);
    if (err == TF_OK)
        err = record_side(rec, c->f[F_COLS], c->cols, "maze.cols", &cols, d);
    if (err != TF_OK)
        return err;
    const cJSON *text = tf_path_get(c->f[F_TEXT], rec->json);
    tf_maze_dialect dl;
    if (c->dialect >= 0)
        dl = (tf_maze_dialect)c->dialect;
    else
        dl = text ? TF_MAZE_BEYOND : TF_MAZE_SEARCHFORMER;
    tf_text prompt = rec->prompt;
    if (dl == TF_MAZE_BEYOND && (text || !prompt.p)) {
        const cJSON *t = string_field(rec, c->f[F_TEXT], d);
        if (!t)
            return TF_ERR_PARSE;
        prompt = (tf_text){t->valuestring, strlen(t->valuestring)};
        *output = prompt; /* the whole text: the verifier skips the query */
    } else if (!prompt.p) {
        tf_diag_set(d, "%s", rec->prompt_why);
        return TF_ERR_PARSE;
    }
    maze_problem *pb = calloc(1, sizeof *pb);
    if (!pb)
        return TF_ERR_NOMEM;
    pb->dialect = dl;
    err = tf_maze_parse_prompt(prompt.p, prompt.n, rows, cols, &pb->m, d);
    if (err != TF_OK) {
        tf_diag_prefix(d, "bad maze problem: ");
        free(pb);
        output->p = NULL;
        output->n = 0;
        return err == TF_ERR_NOMEM ? err : TF_ERR_PARSE;
    }
    *out = pb;
    return TF_OK;
}

static tf_err maze_build_prompt(const void *cfg, const void *problem, tf_buf *out)
{
    (void)cfg;
    const maze_problem *pb = problem;
    return tf_maze_write_prompt(pb->m, pb->dialect, out);
}

/* ----- verdicts ------------------------------------------------------------- */

/* A code name, null for no error. */
static int add_code(cJSON *item, const char *key, tf_maze_code code)
{
    return tf_item_add_str(item, key, code == TF_MAZE_OK ? NULL : tf_maze_code_name(code));
}

/* The text the maze verifies: with a reasoning part, the reasoning, a
 * newline, then the answer (a reasoning model searches in its reasoning and
 * gives the plan in its answer: one trace), else the answer alone. *owned
 * (NULL when the answer is used as is) is the caller's to free. */
static tf_err trace_text(const tf_parts *out, const char **text, size_t *len, char **owned)
{
    *owned = NULL;
    *text = out->answer;
    *len = out->answer_len;
    if (!out->reasoning)
        return TF_OK;
    if (out->reasoning_len > SIZE_MAX - 2 - out->answer_len)
        return TF_ERR_TOO_BIG;
    size_t n = out->reasoning_len + 1 + out->answer_len;
    char *t = malloc(n + 1);
    if (!t)
        return TF_ERR_NOMEM;
    memcpy(t, out->reasoning, out->reasoning_len);
    t[out->reasoning_len] = '\n';
    memcpy(t + out->reasoning_len + 1, out->answer, out->answer_len);
    t[n] = '\0';
    *owned = t;
    *text = t;
    *len = n;
    return TF_OK;
}

/* Where the first reference error lies: in an operation or a malformed
 * token of the reasoning part or of the answer part, or "end" for a check
 * of the whole trace at its end (goal_not_reached, plan_extraction_error,
 * plan_length_mismatch, extracted_plan_invalid); NULL when valid. The
 * reference's first error is a syntax error whenever there is one, the
 * first in text order. */
static const char *first_error_part(const tf_maze_verdict *v, const tf_maze_parts *p)
{
    if (v->ref.valid)
        return NULL;
    if (v->ref.first == TF_MAZE_OPERATION_SYNTAX_ERROR)
        return p->reasoning_syntax > 0 ? "reasoning" : "answer";
    if (v->ref.first_step < p->reasoning_ops)
        return "reasoning";
    return v->ref.first_step < v->trace_len ? "answer" : "end";
}

/* The per-part fields of an output with a reasoning part (docs/maze.md):
 * the operations of each part, where the first error lies, and whether
 * the answer's plan contradicts a plan the reasoning ended with. */
static int add_parts(cJSON *item, const tf_maze_verdict *v, const tf_maze_parts *p)
{
    long answer_ops = v->trace_len - p->reasoning_ops;
    return cJSON_AddNumberToObject(item, "reasoning_trace_len", (double)p->reasoning_ops) &&
           cJSON_AddNumberToObject(item, "answer_trace_len",
                                   (double)(answer_ops > 0 ? answer_ops : 0)) &&
           tf_item_add_str(item, "first_error_part", first_error_part(v, p)) &&
           (p->plans_differ < 0
                ? cJSON_AddNullToObject(item, "answer_contradicts_reasoning") != NULL
                : cJSON_AddBoolToObject(item, "answer_contradicts_reasoning", p->plans_differ) !=
                      NULL);
}

/* The flags the maze counts (tf_facts.flags, docs/statistics.md). */
static const char *const maze_flags[] = {"answer_contradicts_reasoning"};

static tf_err maze_verify(const void *cfgp, const void *problem, const tf_record *rec,
                          const tf_parts *out, cJSON *item, tf_facts *facts, tf_diag *d)
{
    const maze_cfg *c = cfgp;
    const maze_problem *pb = problem;
    tf_maze_verdict v;
    const char *text;
    size_t len;
    char *owned;
    tf_err err = trace_text(out, &text, &len, &owned);
    if (err == TF_OK)
        err = tf_maze_verify(pb->m, pb->dialect, text, len, &v);
    tf_maze_parts parts = {0, 0, -1};
    if (err == TF_OK && out->reasoning)
        tf_maze_scan_parts(pb->dialect, text, len, out->reasoning_len, &parts);
    free(owned);
    if (err != TF_OK) {
        tf_diag_set(d, "cannot verify trace: %s", tf_strerror(err));
        return err;
    }
    /* Complexity: the reference trace's operation count when the record has
     * one, else the farm's own A* (docs/maze.md). */
    long complexity = -1, ref_plan = 0;
    const char *csrc = "reference";
    const cJSON *ref = tf_path_get(c->f[F_REFERENCE], rec->json);
    if (cJSON_IsString(ref)) {
        complexity = tf_maze_count_ops(pb->dialect, ref->valuestring, strlen(ref->valuestring));
    } else {
        tf_astar_opts o = tf_astar_default();
        csrc = "astar";
        if (tf_maze_astar_count(pb->m, &o, pb->dialect, &complexity, &ref_plan) != TF_OK)
            complexity = -1; /* unsolvable: no reference search */
    }
    int ok = cJSON_AddStringToObject(item, "dialect",
                                     pb->dialect == TF_MAZE_BEYOND ? "beyond" : "searchformer") &&
             cJSON_AddBoolToObject(item, "trace_valid", v.ref.valid) &&
             cJSON_AddBoolToObject(item, "trace_valid_strict", v.strict.valid) &&
             cJSON_AddBoolToObject(item, "plan_valid", v.plan_valid) &&
             cJSON_AddBoolToObject(item, "plan_optimal", v.plan_optimal) &&
             add_code(item, "first_error", v.ref.first) &&
             tf_item_add_count(item, "first_error_step", v.ref.valid ? -1 : v.ref.first_step) &&
             add_code(item, "first_error_in_order", v.ref.first_in_order) &&
             tf_item_add_count(item, "first_error_in_order_step",
                               v.ref.valid ? -1 : v.ref.first_in_order_step) &&
             cJSON_AddNumberToObject(item, "error_count", (double)v.ref.errors) &&
             add_code(item, "strict_first_error", v.strict.first) &&
             tf_item_add_count(item, "strict_first_error_step",
                               v.strict.valid ? -1 : v.strict.first_step) &&
             cJSON_AddNumberToObject(item, "strict_error_count", (double)v.strict.errors) &&
             add_code(item, "plan_error", v.plan_error) &&
             cJSON_AddNumberToObject(item, "trace_len", (double)v.trace_len) &&
             cJSON_AddNumberToObject(item, "plan_len", (double)v.plan_len) &&
             tf_item_add_count(item, "complexity", complexity) &&
             cJSON_AddStringToObject(item, "complexity_source", csrc) &&
             cJSON_AddNumberToObject(item, "optimal_plan_len", (double)v.optimal_plan_len);
    if (ok && out->reasoning)
        ok = add_parts(item, &v, &parts);
    if (!ok)
        return TF_ERR_NOMEM;
    facts->answer_valid = v.plan_valid;
    facts->answer_optimal = v.plan_optimal;
    facts->trace_valid = v.ref.valid;
    facts->trace_valid_strict = v.strict.valid;
    facts->first_error = v.ref.valid ? NULL : tf_maze_code_name(v.ref.first);
    facts->strict_first_error = v.strict.valid ? NULL : tf_maze_code_name(v.strict.first);
    facts->trace_len = v.trace_len;
    facts->first_error_step = v.ref.valid ? -1 : v.ref.first_step;
    if (parts.plans_differ > 0) {
        facts->flags = maze_flags;
        facts->nflags = 1;
    }
    facts->complexity = complexity;
    return TF_OK;
}

const tf_domain tf_domain_maze = {
    .name = "maze",
    .answer_noun = "plan",
    .flags = maze_flags,
    .nflags = sizeof maze_flags / sizeof *maze_flags,
    .keys = maze_keys,
    .nkeys = sizeof maze_keys / sizeof *maze_keys,
    .section_size = sizeof(maze_section),
    .fields = maze_fields,
    .nfields = F_COUNT,
    .configure = maze_configure,
    .free_config = maze_free_config,
    .parse_record = maze_parse_record,
    .free_problem = maze_free_problem,
    .build_prompt = maze_build_prompt,
    .verify = maze_verify,
};
