/* maze.c: the maze domain table: from a corpus record to a verdict.
 *
 * The rules themselves live in maze_rules.c (verifier) and maze/astar.c
 * (the farm's own A*, for complexity when a record carries no reference
 * trace); this file only maps records and job options onto them.
 */
#include "tracefarm/domain.h"
#include "tracefarm/maze_verify.h"

#include <stdlib.h>
#include <string.h>

/* Field names of a record; defaults in docs/job.md. */
typedef struct maze_cfg {
    int rows, cols;        /* grid size unless the record says otherwise */
    int dialect;           /* -1 auto, else tf_maze_dialect */
    char *f_prompt;        /* searchformer prompt field */
    char *f_output;        /* searchformer output field */
    char *f_text;          /* beyond text field */
    char *f_reference;     /* reference output (for complexity) */
    char *f_rows, *f_cols; /* per-record grid size */
    char *f_tokens;        /* completion token count (statistics only) */
} maze_cfg;

typedef struct maze_problem {
    tf_maze *m;              /* the grid */
    tf_maze_dialect dialect; /* dialect of this record */
} maze_problem;

static const char *const field_keys[] = {"id",   "prompt", "output", "text", "reference",
                                         "rows", "cols",   "tokens", NULL};
static const char *const field_defaults[] = {
    "id", "prompt", "output", "text", "reference", "rows", "cols", "completion_tokens", NULL};

static void maze_free_config(void *p)
{
    maze_cfg *c = p;
    if (!c)
        return;
    free(c->f_prompt);
    free(c->f_output);
    free(c->f_text);
    free(c->f_reference);
    free(c->f_rows);
    free(c->f_cols);
    free(c->f_tokens);
    free(c);
}

/* Validate "fields": an object of string values with known keys; fill the
 * defaults in so the resolved spec names every field. */
static tf_err config_fields(cJSON *job, const char *origin, tf_diag *d)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(job, "fields");
    if (!f) {
        f = cJSON_AddObjectToObject(job, "fields");
        if (!f)
            return TF_ERR_NOMEM;
    }
    if (!cJSON_IsObject(f)) {
        tf_diag_set(d, "%s: key \"fields\" must be an object of record field names", origin);
        return TF_ERR_SPEC;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, f)
    {
        int known = 0;
        for (int k = 0; field_keys[k]; k++)
            known |= strcmp(e->string, field_keys[k]) == 0;
        if (!known) {
            tf_diag_set(d,
                        "%s: unknown key \"fields.%s\" (known: id, prompt, output, text, "
                        "reference, rows, cols, tokens)",
                        origin, e->string);
            return TF_ERR_SPEC;
        }
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
            tf_diag_set(d, "%s: key \"fields.%s\" must be a non-empty string", origin, e->string);
            return TF_ERR_SPEC;
        }
    }
    for (int k = 0; field_keys[k]; k++)
        if (!cJSON_GetObjectItemCaseSensitive(f, field_keys[k]) &&
            !cJSON_AddStringToObject(f, field_keys[k], field_defaults[k]))
            return TF_ERR_NOMEM;
    return TF_OK;
}

/* An integer member of the maze section within [lo, hi], with a default. */
static tf_err maze_int(cJSON *mz, const char *key, const char *origin, int dflt, int *out,
                       tf_diag *d)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(mz, key);
    if (!v) {
        *out = dflt;
        return cJSON_AddNumberToObject(mz, key, dflt) ? TF_OK : TF_ERR_NOMEM;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble || v->valuedouble < 1 ||
        v->valuedouble > TF_MAZE_MAX_SIDE) {
        tf_diag_set(d, "%s: key \"maze.%s\" must be an integer from 1 to %d", origin, key,
                    TF_MAZE_MAX_SIDE);
        return TF_ERR_SPEC;
    }
    *out = (int)v->valuedouble;
    return TF_OK;
}

static char *field_name(cJSON *job, const char *key)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(job, "fields");
    return strdup(cJSON_GetObjectItemCaseSensitive(f, key)->valuestring);
}

static tf_err maze_configure(cJSON *job, const char *origin, void **out, tf_diag *d)
{
    *out = NULL;
    tf_err err = config_fields(job, origin, d);
    if (err != TF_OK)
        return err;
    cJSON *mz = cJSON_GetObjectItemCaseSensitive(job, "maze");
    if (!mz) {
        mz = cJSON_AddObjectToObject(job, "maze");
        if (!mz)
            return TF_ERR_NOMEM;
    }
    if (!cJSON_IsObject(mz)) {
        tf_diag_set(d, "%s: key \"maze\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, mz)
    {
        if (strcmp(e->string, "rows") != 0 && strcmp(e->string, "cols") != 0 &&
            strcmp(e->string, "dialect") != 0) {
            tf_diag_set(d, "%s: unknown key \"maze.%s\" (known: rows, cols, dialect)", origin,
                        e->string);
            return TF_ERR_SPEC;
        }
    }
    maze_cfg *c = calloc(1, sizeof *c);
    if (!c)
        return TF_ERR_NOMEM;
    err = maze_int(mz, "rows", origin, 30, &c->rows, d);
    if (err == TF_OK)
        err = maze_int(mz, "cols", origin, 30, &c->cols, d);
    if (err == TF_OK && (long)c->rows * c->cols > TF_MAZE_MAX_CELLS) {
        tf_diag_set(d, "%s: keys \"maze.rows\" x \"maze.cols\" exceed %ld cells", origin,
                    TF_MAZE_MAX_CELLS);
        err = TF_ERR_SPEC;
    }
    if (err == TF_OK) {
        cJSON *dl = cJSON_GetObjectItemCaseSensitive(mz, "dialect");
        const char *s = cJSON_IsString(dl) ? dl->valuestring : NULL;
        if (!dl) {
            c->dialect = -1;
            if (!cJSON_AddStringToObject(mz, "dialect", "auto"))
                err = TF_ERR_NOMEM;
        } else if (s && strcmp(s, "auto") == 0) {
            c->dialect = -1;
        } else if (s && strcmp(s, "searchformer") == 0) {
            c->dialect = TF_MAZE_SEARCHFORMER;
        } else if (s && strcmp(s, "beyond") == 0) {
            c->dialect = TF_MAZE_BEYOND;
        } else {
            tf_diag_set(d,
                        "%s: key \"maze.dialect\" must be \"auto\", \"searchformer\" or "
                        "\"beyond\"",
                        origin);
            err = TF_ERR_SPEC;
        }
    }
    if (err == TF_OK) {
        c->f_prompt = field_name(job, "prompt");
        c->f_output = field_name(job, "output");
        c->f_text = field_name(job, "text");
        c->f_reference = field_name(job, "reference");
        c->f_rows = field_name(job, "rows");
        c->f_cols = field_name(job, "cols");
        c->f_tokens = field_name(job, "tokens");
        if (!c->f_prompt || !c->f_output || !c->f_text || !c->f_reference || !c->f_rows ||
            !c->f_cols || !c->f_tokens)
            err = TF_ERR_NOMEM;
    }
    if (err != TF_OK) {
        maze_free_config(c);
        return err;
    }
    *out = c;
    return TF_OK;
}

static void maze_free_problem(void *p)
{
    maze_problem *pb = p;
    if (!pb)
        return;
    tf_maze_free(pb->m);
    free(pb);
}

/* The record's grid side: its own field if present, else the job's. */
static tf_err record_side(const cJSON *rec, const char *field, int dflt, int *out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
    if (!v) {
        *out = dflt;
        return TF_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble || v->valuedouble < 1 ||
        v->valuedouble > TF_MAZE_MAX_SIDE) {
        tf_diag_set(d, "field \"%s\" must be an integer from 1 to %d", field, TF_MAZE_MAX_SIDE);
        return TF_ERR_PARSE;
    }
    *out = (int)v->valuedouble;
    return TF_OK;
}

/* A string field of the record, or NULL with a message. */
static const cJSON *string_field(const cJSON *rec, const char *field, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
    if (!v) {
        tf_diag_set(d, "missing field \"%s\"", field);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        tf_diag_set(d, "field \"%s\" must be a string", field);
        return NULL;
    }
    return v;
}

static tf_err maze_parse_record(const void *cfgp, const cJSON *rec, void **out, const char **output,
                                size_t *output_len, tf_diag *d)
{
    const maze_cfg *c = cfgp;
    *out = NULL;
    *output = NULL;
    *output_len = 0;
    if (!cJSON_IsObject(rec)) {
        tf_diag_set(d, "record is not a JSON object");
        return TF_ERR_PARSE;
    }
    int rows, cols;
    tf_err err = record_side(rec, c->f_rows, c->rows, &rows, d);
    if (err == TF_OK)
        err = record_side(rec, c->f_cols, c->cols, &cols, d);
    if (err != TF_OK)
        return err;
    tf_maze_dialect dl;
    if (c->dialect >= 0)
        dl = (tf_maze_dialect)c->dialect;
    else
        dl = cJSON_GetObjectItemCaseSensitive(rec, c->f_text) ? TF_MAZE_BEYOND
                                                              : TF_MAZE_SEARCHFORMER;
    /* A record without a usable output still yields its problem (source
     * "endpoint" asks a model for the output); the reason goes to d. */
    const cJSON *prompt, *outv;
    tf_diag outwhy;
    outwhy.msg[0] = '\0';
    if (dl == TF_MAZE_BEYOND) {
        prompt = string_field(rec, c->f_text, d);
        outv = prompt;
    } else {
        prompt = string_field(rec, c->f_prompt, d);
        outv = prompt ? string_field(rec, c->f_output, &outwhy) : NULL;
    }
    if (!prompt)
        return TF_ERR_PARSE;
    maze_problem *pb = calloc(1, sizeof *pb);
    if (!pb)
        return TF_ERR_NOMEM;
    pb->dialect = dl;
    err = tf_maze_parse_prompt(prompt->valuestring, strlen(prompt->valuestring), rows, cols, &pb->m,
                               d);
    if (err != TF_OK) {
        tf_diag_prefix(d, "bad maze problem: ");
        free(pb);
        return err == TF_ERR_NOMEM ? err : TF_ERR_PARSE;
    }
    *out = pb;
    if (!outv) {
        tf_diag_set(d, "%s", outwhy.msg);
        return TF_OK;
    }
    *output = outv->valuestring;
    *output_len = strlen(outv->valuestring);
    return TF_OK;
}

static tf_err maze_build_prompt(const void *cfg, const void *problem, tf_buf *out)
{
    (void)cfg;
    const maze_problem *pb = problem;
    return tf_maze_write_prompt(pb->m, pb->dialect, out);
}

/* Add a nullable code name. */
static int add_code(cJSON *item, const char *key, tf_maze_code code)
{
    return code == TF_MAZE_OK ? cJSON_AddNullToObject(item, key) != NULL
                              : cJSON_AddStringToObject(item, key, tf_maze_code_name(code)) != NULL;
}

static tf_err maze_verify(const void *cfgp, const void *problem, const cJSON *rec,
                          const char *output, size_t len, cJSON *item, tf_facts *facts, tf_diag *d)
{
    const maze_cfg *c = cfgp;
    const maze_problem *pb = problem;
    tf_maze_verdict v;
    tf_err err = tf_maze_verify(pb->m, pb->dialect, output, len, &v);
    if (err != TF_OK) {
        tf_diag_set(d, "cannot verify trace: %s", tf_strerror(err));
        return err;
    }
    /* Complexity: the reference trace's operation count when the record has
     * one, else the farm's own A* (docs/maze.md). */
    long complexity = -1, ref_plan = 0;
    const char *csrc = "reference";
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(rec, c->f_reference);
    if (cJSON_IsString(ref)) {
        complexity = tf_maze_count_ops(pb->dialect, ref->valuestring, strlen(ref->valuestring));
    } else {
        tf_astar_opts o = tf_astar_default();
        csrc = "astar";
        if (tf_maze_astar_count(pb->m, &o, pb->dialect, &complexity, &ref_plan) != TF_OK)
            complexity = -1; /* unsolvable: no reference search */
    }
    int ok =
        cJSON_AddStringToObject(item, "dialect",
                                pb->dialect == TF_MAZE_BEYOND ? "beyond" : "searchformer") &&
        cJSON_AddBoolToObject(item, "trace_valid", v.ref.valid) &&
        cJSON_AddBoolToObject(item, "trace_valid_strict", v.strict.valid) &&
        cJSON_AddBoolToObject(item, "plan_valid", v.plan_valid) &&
        cJSON_AddBoolToObject(item, "plan_optimal", v.plan_optimal) &&
        add_code(item, "first_error", v.ref.first) &&
        (v.ref.valid ? cJSON_AddNullToObject(item, "first_error_step") != NULL
                     : cJSON_AddNumberToObject(item, "first_error_step",
                                               (double)v.ref.first_step) != NULL) &&
        add_code(item, "first_error_in_order", v.ref.first_in_order) &&
        (v.ref.valid ? cJSON_AddNullToObject(item, "first_error_in_order_step") != NULL
                     : cJSON_AddNumberToObject(item, "first_error_in_order_step",
                                               (double)v.ref.first_in_order_step) != NULL) &&
        cJSON_AddNumberToObject(item, "error_count", (double)v.ref.errors) &&
        add_code(item, "strict_first_error", v.strict.first) &&
        (v.strict.valid ? cJSON_AddNullToObject(item, "strict_first_error_step") != NULL
                        : cJSON_AddNumberToObject(item, "strict_first_error_step",
                                                  (double)v.strict.first_step) != NULL) &&
        cJSON_AddNumberToObject(item, "strict_error_count", (double)v.strict.errors) &&
        add_code(item, "plan_error", v.plan_error) &&
        cJSON_AddNumberToObject(item, "trace_len", (double)v.trace_len) &&
        cJSON_AddNumberToObject(item, "plan_len", (double)v.plan_len) &&
        (complexity >= 0 ? cJSON_AddNumberToObject(item, "complexity", (double)complexity) != NULL
                         : cJSON_AddNullToObject(item, "complexity") != NULL) &&
        cJSON_AddStringToObject(item, "complexity_source", csrc) &&
        cJSON_AddNumberToObject(item, "optimal_plan_len", (double)v.optimal_plan_len);
    if (!ok)
        return TF_ERR_NOMEM;
    facts->plan_valid = v.plan_valid;
    facts->plan_optimal = v.plan_optimal;
    facts->trace_valid = v.ref.valid;
    facts->trace_valid_strict = v.strict.valid;
    facts->first_error = v.ref.valid ? NULL : tf_maze_code_name(v.ref.first);
    facts->strict_first_error = v.strict.valid ? NULL : tf_maze_code_name(v.strict.first);
    facts->trace_len = v.trace_len;
    facts->first_error_step = v.ref.valid ? -1 : v.ref.first_step;
    facts->complexity = complexity;
    facts->optimal_plan_len = v.optimal_plan_len;
    /* Tokens: the record's count when it is a non-negative integer. */
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(rec, c->f_tokens);
    facts->tokens = -1;
    if (cJSON_IsNumber(tok) && tok->valuedouble >= 0 && tok->valuedouble <= 4294967294.0 &&
        tok->valuedouble == (double)(long)tok->valuedouble)
        facts->tokens = (long)tok->valuedouble;
    return TF_OK;
}

const tf_domain tf_domain_maze = {
    .name = "maze",
    .configure = maze_configure,
    .free_config = maze_free_config,
    .parse_record = maze_parse_record,
    .free_problem = maze_free_problem,
    .build_prompt = maze_build_prompt,
    .verify = maze_verify,
};
