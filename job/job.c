/* job.c: the job spec: parse, check, resolve (job.h). */
#include "tracefarm/job.h"

#include "tracefarm/corpus.h"
#include "tracefarm/schema.h"

#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Largest job spec file accepted. */
#define TF_JOB_MAX_BYTES (16UL << 20)
/* Most {field:PATH} placeholders in a prompt template. */
#define MAX_PROMPT_FIELDS 64

/* The top level's scalar keys (corpus and group_by go to the private part). */
typedef struct top {
    char *name;
    /* checked and filled by top_keys; the domain itself is found first
     * (find_domain), as its name is also its section's */
    // cppcheck-suppress unusedStructMember
    char *domain;
    char *output;
    int source; /* tf_source_kind */
    long shard_items, max_line_bytes, straggler_seconds;
    double warn_share;
    int keep_output; /* items carry the output's text */
    long limit;      /* only the first limit records; 0: absent (all) */
} top;

/* The generic record fields (the domain adds its own to "fields"); NULL:
 * not read. */
typedef struct generic_fields {
    char *id, *tokens, *prompt, *output, *reasoning, *messages;
} generic_fields;

struct tf_job_priv {
    cJSON *root;        /* the resolved spec */
    const char *origin; /* for messages while parsing */
    int check_files;    /* rank 0: corpus files must be readable */
    top top;            /* the top level */
    char **corpus;      /* resolved corpus paths */
    size_t *corpus_idx; /* ... the "corpus" entry each came from (rank 0) */
    size_t ncorpus;
    char **group_by;       /* group_by paths as written */
    tf_path **group_paths; /* ... compiled */
    size_t ngroup_by;
    generic_fields gf;      /* "fields.id", "fields.tokens", ... */
    tf_path *generic[6];    /* ... compiled, in the order of generic_fields (NULL: not read) */
    char **dfield;          /* the domain's field paths as written */
    tf_path **dpaths;       /* ... compiled, in the domain's order */
    void *section;          /* the domain's section, as its key table filled it */
    void *dom_cfg;          /* the domain's configuration */
    tf_fetch_config *fetch; /* source cache or endpoint */
    tf_path **prompt_paths; /* {field:PATH} of the prompt template */
    size_t nprompt;
};

static const char *const sources[] = {"record", "cache", "endpoint", NULL}; /* tf_source_kind */

static tf_err parse_description(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_corpus(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);
static tf_err parse_group_by(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d);

#define TOP(f) offsetof(top, f)

/* The top level; the domain's own section is a second table (its name). */
static const tf_key top_keys[] = {
    {.name = "name", .type = TF_KEY_STRING, .offset = TOP(name), .help = "the job's name"},
    {.name = "description",
     .type = TF_KEY_CUSTOM,
     .flags = TF_KEY_OPTIONAL,
     .parse = parse_description,
     .help = "free text, not part of the job's identity"},
    {.name = "domain",
     .type = TF_KEY_STRING,
     .offset = TOP(domain),
     .help = "the verifier: the name of a domain (each one's section and fields are below)"},
    {.name = "output", .type = TF_KEY_STRING, .offset = TOP(output), .help = "output directory"},
    {.name = "source",
     .type = TF_KEY_CHOICE,
     .choices = sources,
     .dflt = "\"record\"",
     .offset = TOP(source),
     .help = "where model outputs come from: the record, the response cache, or an endpoint"},
    {.name = "endpoint",
     .type = TF_KEY_SECTION,
     .flags = TF_KEY_OPTIONAL,
     .help = "the endpoint section (source cache or endpoint): docs/endpoint.md"},
    {.name = "shard_items",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = 1L << 30,
     .dflt = "4096",
     .offset = TOP(shard_items),
     .help = "target records per shard"},
    {.name = "max_line_bytes",
     .type = TF_KEY_INT,
     .lo = 1024,
     .hi = 1L << 30,
     .dflt = "67108864",
     .offset = TOP(max_line_bytes),
     .help = "cap on one corpus line; longer lines are line_too_long items"},
    {.name = "fields",
     .type = TF_KEY_SECTION,
     .dflt = "{}",
     .help = "paths of the record fields (below)"},
    {.name = "stats",
     .type = TF_KEY_SECTION,
     .dflt = "{}",
     .help = "statistics settings: docs/statistics.md"},
    {.name = "straggler_seconds",
     .type = TF_KEY_INT,
     .lo = 0,
     .hi = 604800,
     .dflt = "0",
     .offset = TOP(straggler_seconds),
     .help = "hand a shard running longer than this to an idle rank too; 0: off"},
    {.name = "warn_share",
     .type = TF_KEY_NUMBER,
     .lo = 0,
     .hi = 1,
     .dflt = "0.1",
     .offset = TOP(warn_share),
     .help = "a run with more than this share of error items, or of truncated responses, "
             "ends with a warning and exit status 4"},
    {.name = "keep_output",
     .type = TF_KEY_BOOL,
     .dflt = "false",
     .offset = TOP(keep_output),
     .help = "items keep the text verified (\"output\"; a response's separate reasoning as "
             "\"reasoning\")"},
    {.name = "limit",
     .type = TF_KEY_INT,
     .lo = 1,
     .hi = TF_JOB_MAX_LIMIT,
     .flags = TF_KEY_OPTIONAL,
     .offset = TOP(limit),
     .help = "only the first N records of the corpus, as if it ended there (tracefarm run "
             "--limit N sets it); absent: all"},
};
#define NTOP (sizeof top_keys / sizeof *top_keys)

/* The top-level keys whose values go to the private part. */
static const tf_key priv_keys[] = {
    {.name = "corpus",
     .type = TF_KEY_CUSTOM,
     .parse = parse_corpus,
     .help = "JSONL or JSONL.zst files or globs, in order"},
    {.name = "group_by",
     .type = TF_KEY_CUSTOM,
     .dflt = "[]",
     .parse = parse_group_by,
     .help = "paths of record values whose combinations are groups of the summary"},
};

static const tf_key generic_keys[] = {
    {.name = "id",
     .type = TF_KEY_STRING,
     .dflt = "\"id\"",
     .offset = offsetof(generic_fields, id),
     .help = "the item's id (a string or a number; other values are left out)"},
    {.name = "tokens",
     .type = TF_KEY_STRING,
     .dflt = "\"completion_tokens\"",
     .offset = offsetof(generic_fields, tokens),
     .help = "completion tokens (source record), for the token statistics"},
    {.name = "prompt",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_NULLABLE,
     .dflt = "\"prompt\"",
     .offset = offsetof(generic_fields, prompt),
     .help = "the prompt (the problem), a string; null with \"messages\" (the default then): "
             "its last user message"},
    {.name = "output",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_NULLABLE,
     .dflt = "\"output\"",
     .offset = offsetof(generic_fields, output),
     .help = "the model output (source record), a string; null with \"messages\" (the default "
             "then): its last assistant message"},
    {.name = "reasoning",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_OPTIONAL | TF_KEY_NULLABLE,
     .offset = offsetof(generic_fields, reasoning),
     .help = "the output's separate reasoning (source record), a string or null; absent: none "
             "(the assistant message's, or a <think> block)"},
    {.name = "messages",
     .type = TF_KEY_STRING,
     .flags = TF_KEY_OPTIONAL | TF_KEY_NULLABLE,
     .offset = offsetof(generic_fields, messages),
     .help = "a chat list of {role, content} messages: the prompt is the last user message, "
             "the output the last assistant message after it"},
};
#define NGENERIC (sizeof generic_keys / sizeof *generic_keys)
_Static_assert(NGENERIC == 6, "generic_keys, generic_fields and tf_job_priv.generic agree");

/* ----- custom keys -------------------------------------------------------------- */

static tf_err parse_description(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    (void)target;
    if (v && !cJSON_IsString(v)) {
        tf_diag_set(d, "%s: key \"%s\" must be a string", x->origin, x->path);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

static int has_glob_magic(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* Append path (from entry idx of "corpus") to the corpus list. */
static tf_err push_path(tf_job_priv *p, const char *path, size_t idx)
{
    char **c = realloc(p->corpus, (p->ncorpus + 1) * sizeof *c);
    if (!c)
        return TF_ERR_NOMEM;
    p->corpus = c;
    size_t *ci = realloc(p->corpus_idx, (p->ncorpus + 1) * sizeof *ci);
    if (!ci)
        return TF_ERR_NOMEM;
    p->corpus_idx = ci;
    if (!(c[p->ncorpus] = strdup(path)))
        return TF_ERR_NOMEM;
    ci[p->ncorpus] = idx;
    p->ncorpus++;
    return TF_OK;
}

/* A corpus path must be a readable regular file that holds JSONL: a file
 * of another kind (compressed, binary, pretty-printed JSON) is refused here,
 * once, rather than read as hundreds of bad_json items (tf_corpus_sniff). */
static tf_err check_file(const char *path, const char *origin, size_t idx, tf_diag *d)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tf_diag_set(d, "%s: corpus[%zu]: cannot open \"%s\": %s", origin, idx, path,
                    strerror(errno));
        return TF_ERR_SPEC;
    }
    if (!S_ISREG(st.st_mode)) {
        tf_diag_set(d, "%s: corpus[%zu]: \"%s\" is not a regular file", origin, idx, path);
        return TF_ERR_SPEC;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: corpus[%zu]: cannot read \"%s\": %s", origin, idx, path,
                    strerror(errno));
        return TF_ERR_SPEC;
    }
    fclose(f);
    tf_diag what;
    what.msg[0] = '\0';
    tf_err err = tf_corpus_sniff(path, &what);
    if (err == TF_ERR_PARSE) {
        tf_diag_set(d, "%s: corpus[%zu]: \"%s\" is not JSONL: %s", origin, idx, path, what.msg);
        return TF_ERR_SPEC;
    }
    if (err == TF_ERR_IO) {
        tf_diag_set(d, "%s: corpus[%zu]: cannot read %s", origin, idx, what.msg);
        return TF_ERR_SPEC;
    }
    return err;
}

/* A corpus file and where it came from, for finding one listed twice. */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    size_t i; /* index into the resolved list */
} file_id;

static int cmp_file_id(const void *a, const void *b)
{
    const file_id *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The same file listed twice ("f.jsonl" and "./f.jsonl", a path and a glob
 * that matches it, a hard link) would be read and counted twice: refused,
 * naming both entries and the file. Files are told apart by device and
 * inode, which see through every spelling of a path. */
static tf_err check_repeats(const tf_job_priv *p, const cJSON *list, const char *origin, tf_diag *d)
{
    file_id *ids = calloc(p->ncorpus ? p->ncorpus : 1, sizeof *ids);
    if (!ids)
        return TF_ERR_NOMEM;
    for (size_t i = 0; i < p->ncorpus; i++) {
        struct stat st;
        if (stat(p->corpus[i], &st) != 0) {
            tf_diag_set(d, "%s: corpus[%zu]: cannot open \"%s\": %s", origin, p->corpus_idx[i],
                        p->corpus[i], strerror(errno));
            free(ids);
            return TF_ERR_SPEC;
        }
        ids[i] = (file_id){st.st_dev, st.st_ino, i};
    }
    qsort(ids, p->ncorpus, sizeof *ids, cmp_file_id);
    /* Within a file's run the listings are in list order, so its first two
     * are a repeat; of all repeats, name the one whose second listing
     * comes first. */
    size_t first = 0, second = SIZE_MAX;
    for (size_t k = 1; k < p->ncorpus; k++)
        if (ids[k].dev == ids[k - 1].dev && ids[k].ino == ids[k - 1].ino &&
            (k == 1 || ids[k - 2].dev != ids[k].dev || ids[k - 2].ino != ids[k].ino) &&
            ids[k].i < second) {
            first = ids[k - 1].i;
            second = ids[k].i;
        }
    free(ids);
    if (second == SIZE_MAX)
        return TF_OK;
    char where[2][600];
    const size_t at[2] = {first, second};
    for (int k = 0; k < 2; k++) {
        size_t e = p->corpus_idx[at[k]];
        const cJSON *pat = cJSON_GetArrayItem(list, (int)e);
        const char *ps = cJSON_GetStringValue(pat);
        if (ps && strcmp(ps, p->corpus[at[k]]) != 0)
            snprintf(where[k], sizeof where[k], "corpus[%zu] (\"%s\" matches \"%s\")", e, ps,
                     p->corpus[at[k]]);
        else
            snprintf(where[k], sizeof where[k], "corpus[%zu] \"%s\"", e, p->corpus[at[k]]);
    }
    char *real = realpath(p->corpus[first], NULL);
    tf_diag_set(d, "%s: %s and %s are the same file%s%s%s; list each file once", origin, where[0],
                where[1], real ? " (" : "", real ? real : "", real ? ")" : "");
    free(real);
    return TF_ERR_SPEC;
}

/* "corpus": globs to their sorted matches, each file checked (rank 0);
 * then the list of paths replaces the patterns in the resolved spec. */
static tf_err parse_corpus(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_job_priv *p = target;
    if (!v) {
        tf_diag_set(d, "%s: missing required key \"corpus\"", x->origin);
        return TF_ERR_SPEC;
    }
    if (!cJSON_IsArray(v)) {
        tf_diag_set(d, "%s: key \"corpus\" must be a list of paths or globs", x->origin);
        return TF_ERR_SPEC;
    }
    size_t idx = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
            tf_diag_set(d, "%s: corpus[%zu] must be a non-empty string (a path or glob)", x->origin,
                        idx);
            return TF_ERR_SPEC;
        }
        const char *pat = e->valuestring;
        tf_err err = TF_OK;
        if (!p->check_files || !has_glob_magic(pat)) {
            if (p->check_files)
                err = check_file(pat, x->origin, idx, d);
            if (err == TF_OK)
                err = push_path(p, pat, idx);
        } else {
            glob_t g;
            int rc = glob(pat, GLOB_ERR, NULL, &g);
            if (rc == GLOB_NOMATCH) {
                tf_diag_set(d, "%s: corpus[%zu]: pattern \"%s\" matches no file", x->origin, idx,
                            pat);
                return TF_ERR_SPEC;
            }
            if (rc != 0) {
                tf_diag_set(d, "%s: corpus[%zu]: cannot expand \"%s\"", x->origin, idx, pat);
                return TF_ERR_SPEC;
            }
            for (size_t k = 0; k < g.gl_pathc && err == TF_OK; k++) {
                err = check_file(g.gl_pathv[k], x->origin, idx, d);
                if (err == TF_OK)
                    err = push_path(p, g.gl_pathv[k], idx);
            }
            globfree(&g);
        }
        if (err != TF_OK)
            return err;
        idx++;
    }
    if (p->ncorpus == 0) {
        tf_diag_set(d, "%s: key \"corpus\" must list at least one file", x->origin);
        return TF_ERR_SPEC;
    }
    if (p->check_files) {
        tf_err err = check_repeats(p, v, x->origin, d);
        if (err != TF_OK)
            return err;
    }
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < p->ncorpus; i++)
        if (!cJSON_AddItemToArray(list, cJSON_CreateString(p->corpus[i]))) {
            cJSON_Delete(list);
            list = NULL;
        }
    if (!list || !cJSON_ReplaceItemInObjectCaseSensitive(x->section, "corpus", list)) {
        cJSON_Delete(list);
        return TF_ERR_NOMEM;
    }
    return TF_OK;
}

/* Compile path text for key name, naming it in a refusal. */
static tf_err compile(const char *origin, const char *name, const char *text, tf_path **out,
                      tf_diag *d)
{
    tf_diag why;
    why.msg[0] = '\0';
    tf_err err = tf_path_compile(text, out, &why);
    if (err == TF_ERR_SPEC)
        tf_diag_set(d, "%s: key \"%s\": %s", origin, name, why.msg);
    return err;
}

/* "group_by": a list of distinct paths (default []). */
static tf_err parse_group_by(const tf_key_ctx *x, cJSON *v, void *target, tf_diag *d)
{
    tf_job_priv *p = target;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > TF_JOB_MAX_GROUP_BY) {
        tf_diag_set(d, "%s: key \"group_by\" must be a list of at most %d record field paths",
                    x->origin, TF_JOB_MAX_GROUP_BY);
        return TF_ERR_SPEC;
    }
    size_t n = (size_t)cJSON_GetArraySize(v);
    p->group_by = calloc(n + 1, sizeof *p->group_by);
    p->group_paths = calloc(n + 1, sizeof *p->group_paths);
    if (!p->group_by || !p->group_paths)
        return TF_ERR_NOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
    {
        char name[64];
        snprintf(name, sizeof name, "group_by[%zu]", p->ngroup_by);
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
            tf_diag_set(d, "%s: %s must be a non-empty string (a record field path)", x->origin,
                        name);
            return TF_ERR_SPEC;
        }
        for (size_t i = 0; i < p->ngroup_by; i++)
            if (strcmp(p->group_by[i], e->valuestring) == 0) {
                tf_diag_set(d, "%s: %s: field \"%s\" is listed twice", x->origin, name,
                            e->valuestring);
                return TF_ERR_SPEC;
            }
        if (!(p->group_by[p->ngroup_by] = strdup(e->valuestring)))
            return TF_ERR_NOMEM;
        tf_err err = compile(x->origin, name, e->valuestring, &p->group_paths[p->ngroup_by], d);
        p->ngroup_by++;
        if (err != TF_OK)
            return err;
    }
    return TF_OK;
}

/* A key given twice in one object is ambiguous (JSON parsers disagree on
 * which one wins), so the spec is refused, naming the key and its path. */
static tf_err check_duplicates(const cJSON *o, const char *path, const char *origin, tf_diag *d)
{
    for (const cJSON *a = o ? o->child : NULL; a; a = a->next) {
        char sub[256];
        if (cJSON_IsObject(o)) {
            for (const cJSON *b = a->next; b; b = b->next)
                if (strcmp(a->string, b->string) == 0) {
                    tf_diag_set(d, "%s: key \"%s%s\" is given more than once", origin, path,
                                a->string);
                    return TF_ERR_SPEC;
                }
            snprintf(sub, sizeof sub, "%s%s.", path, a->string);
        } else {
            snprintf(sub, sizeof sub, "%s", path);
        }
        if (a->child && check_duplicates(a, sub, origin, d) != TF_OK)
            return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* ----- sections ------------------------------------------------------------------ */

/* The domain named by the spec (read before the other keys: its name is
 * also the name of its section). */
static tf_err find_domain(const cJSON *root, const char *origin, const tf_domain **dom, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "domain");
    if (!v) {
        tf_diag_set(d, "%s: missing required key \"domain\"", origin);
        return TF_ERR_SPEC;
    }
    *dom = cJSON_IsString(v) ? tf_domain_find(v->valuestring) : NULL;
    if (!*dom) {
        char names[256];
        tf_domain_names(names, sizeof names);
        char *given = cJSON_PrintUnformatted(v);
        tf_diag_set(d, "%s: key \"domain\": unknown domain %s (known: %s)", origin,
                    given ? given : "?", names);
        free(given);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* "fields": the generic fields and the domain's, each a path. */
static tf_err parse_fields(tf_job *j, const tf_domain *dom, tf_diag *d)
{
    tf_job_priv *p = j->priv;
    cJSON *f = cJSON_GetObjectItemCaseSensitive(p->root, "fields");
    size_t n = dom->nfields;
    tf_key *dkeys = calloc(n ? n : 1, sizeof *dkeys);
    char **dflts = calloc(n ? n : 1, sizeof *dflts);
    p->dfield = calloc(n ? n : 1, sizeof *p->dfield);
    p->dpaths = calloc(n ? n : 1, sizeof *p->dpaths);
    tf_err err = dkeys && dflts && p->dfield && p->dpaths ? TF_OK : TF_ERR_NOMEM;
    /* the domain's fields as string keys whose defaults are JSON strings */
    for (size_t i = 0; err == TF_OK && i < n; i++) {
        cJSON *s = cJSON_CreateString(dom->fields[i].dflt);
        dflts[i] = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        if (!dflts[i])
            err = TF_ERR_NOMEM;
        dkeys[i] = (tf_key){.name = dom->fields[i].name,
                            .type = TF_KEY_STRING,
                            .dflt = dflts[i],
                            .offset = i * sizeof(char *)};
    }
    /* a domain's field may not take a generic field's name */
    for (size_t i = 0; err == TF_OK && i < n; i++)
        for (size_t k = 0; k < NGENERIC; k++)
            if (strcmp(dom->fields[i].name, generic_keys[k].name) == 0) {
                tf_diag_set(d, "domain \"%s\" declares the job's field \"%s\" (a bug)", dom->name,
                            generic_keys[k].name);
                err = TF_ERR_INTERNAL;
            }
    /* with "messages", the prompt and the output come from it unless
     * given: null in the resolved spec, which every rank parses the same */
    const cJSON *msgs = cJSON_IsObject(f) ? cJSON_GetObjectItemCaseSensitive(f, "messages") : NULL;
    if (err == TF_OK && msgs && !cJSON_IsNull(msgs)) {
        if (!cJSON_GetObjectItemCaseSensitive(f, "prompt") && !cJSON_AddNullToObject(f, "prompt"))
            err = TF_ERR_NOMEM;
        if (!cJSON_GetObjectItemCaseSensitive(f, "output") && !cJSON_AddNullToObject(f, "output"))
            err = TF_ERR_NOMEM;
    }
    if (err == TF_OK) {
        tf_schema tables[2] = {{generic_keys, NGENERIC, &p->gf}, {dkeys, n, p->dfield}};
        err = tf_schema_apply(tables, 2, f, "fields", p->origin, d);
    }
    const char *const given[6] = {p->gf.id,     p->gf.tokens,    p->gf.prompt,
                                  p->gf.output, p->gf.reasoning, p->gf.messages};
    for (size_t k = 0; err == TF_OK && k < NGENERIC; k++) {
        char name[96];
        snprintf(name, sizeof name, "fields.%s", generic_keys[k].name);
        if (given[k])
            err = compile(p->origin, name, given[k], &p->generic[k], d);
    }
    for (size_t i = 0; err == TF_OK && i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "fields.%s", dom->fields[i].name);
        err = compile(p->origin, name, p->dfield[i], &p->dpaths[i], d);
    }
    for (size_t i = 0; dflts && i < n; i++)
        free(dflts[i]);
    free(dflts);
    free(dkeys);
    return err;
}

/* The domain's own section: its key table, then its configure. */
static tf_err parse_domain_section(tf_job *j, const tf_domain *dom, tf_diag *d)
{
    tf_job_priv *p = j->priv;
    cJSON *sec = cJSON_GetObjectItemCaseSensitive(p->root, dom->name);
    if (!sec && !(sec = cJSON_AddObjectToObject(p->root, dom->name)))
        return TF_ERR_NOMEM;
    p->section = calloc(1, dom->section_size ? dom->section_size : 1);
    if (!p->section)
        return TF_ERR_NOMEM;
    tf_schema table = {dom->keys, dom->nkeys, p->section};
    tf_err err = tf_schema_apply(&table, 1, sec, dom->name, p->origin, d);
    if (err == TF_OK)
        err = dom->configure(p->section, (const tf_path *const *)p->dpaths, p->origin, &p->dom_cfg,
                             d);
    return err;
}

/* The {field:PATH} placeholders of the prompt template, compiled, read as
 * the endpoint source expands it (the template's syntax is checked). */
static tf_err parse_prompt_fields(tf_job_priv *p, const char *t, tf_diag *d)
{
    p->prompt_paths = calloc(MAX_PROMPT_FIELDS, sizeof *p->prompt_paths);
    if (!p->prompt_paths)
        return TF_ERR_NOMEM;
    while (*t) {
        if ((t[0] == '{' && t[1] == '{') || (t[0] == '}' && t[1] == '}')) {
            t += 2;
            continue;
        }
        if (strncmp(t, "{field:", 7) != 0 || !strchr(t, '}')) {
            t++;
            continue;
        }
        const char *close = strchr(t, '}');
        if (p->nprompt == MAX_PROMPT_FIELDS) {
            tf_diag_set(d, "%s: key \"endpoint.prompt_template\" has more than %d fields",
                        p->origin, MAX_PROMPT_FIELDS);
            return TF_ERR_SPEC;
        }
        char *text = strndup(t + 7, (size_t)(close - (t + 7)));
        if (!text)
            return TF_ERR_NOMEM;
        tf_err err =
            compile(p->origin, "endpoint.prompt_template", text, &p->prompt_paths[p->nprompt], d);
        free(text);
        if (err != TF_OK)
            return err;
        p->nprompt++;
        t = close + 1;
    }
    return TF_OK;
}

/* "endpoint": required by the cache and endpoint sources, refused without. */
static tf_err parse_endpoint(tf_job *j, tf_diag *d)
{
    tf_job_priv *p = j->priv;
    cJSON *s = cJSON_GetObjectItemCaseSensitive(p->root, "endpoint");
    if (p->top.source == TF_SOURCE_RECORD) {
        if (s) {
            tf_diag_set(d,
                        "%s: key \"endpoint\" is only used with \"source\": \"endpoint\" or "
                        "\"cache\"",
                        p->origin);
            return TF_ERR_SPEC;
        }
        return TF_OK;
    }
    if (!s) {
        tf_diag_set(d, "%s: missing required key \"endpoint\" (source \"%s\")", p->origin,
                    sources[p->top.source]);
        return TF_ERR_SPEC;
    }
    p->fetch = calloc(1, sizeof *p->fetch);
    size_t n = strlen(p->top.output) + 8;
    char *cache = malloc(n);
    if (!p->fetch || !cache) {
        free(cache);
        return TF_ERR_NOMEM;
    }
    snprintf(cache, n, "%s/cache", p->top.output);
    /* the cache source sends nothing, so it needs no key */
    int check_env = p->check_files && p->top.source == TF_SOURCE_ENDPOINT;
    tf_err err = tf_fetch_config_parse(s, p->origin, cache, check_env, p->fetch, d);
    free(cache);
    if (err == TF_OK && p->top.source == TF_SOURCE_CACHE && !p->fetch->cache_dir) {
        tf_diag_set(d, "%s: key \"endpoint.cache_dir\" cannot be null with \"source\": \"cache\"",
                    p->origin);
        err = TF_ERR_SPEC;
    }
    if (err == TF_OK)
        err = parse_prompt_fields(p, p->fetch->prompt_template, d);
    if (err == TF_OK) {
        j->work.stats.endpoint = 1;
        j->work.stats.has_prices = p->fetch->has_prices;
        j->work.stats.price_prompt = p->fetch->price_prompt;
        j->work.stats.price_completion = p->fetch->price_completion;
    }
    return err;
}

/* "stats": checked by the statistics module; the resolved section replaces it. */
static tf_err parse_stats(tf_job *j, tf_diag *d)
{
    tf_job_priv *p = j->priv;
    cJSON *resolved = NULL;
    tf_err err = tf_stats_config_parse(cJSON_GetObjectItemCaseSensitive(p->root, "stats"),
                                       p->origin, &j->work.stats, &resolved, d);
    if (err == TF_OK && !cJSON_ReplaceItemInObjectCaseSensitive(p->root, "stats", resolved)) {
        cJSON_Delete(resolved);
        err = TF_ERR_NOMEM;
    }
    return err;
}

/* ----- the job ---------------------------------------------------------------------- */

void tf_job_free(tf_job *j)
{
    if (!j)
        return;
    tf_job_priv *p = j->priv;
    if (p) {
        const tf_domain *dom = j->work.dom;
        if (dom && p->dom_cfg)
            dom->free_config(p->dom_cfg);
        if (dom && p->section)
            tf_schema_free(dom->keys, dom->nkeys, p->section);
        free(p->section);
        for (size_t i = 0; dom && p->dfield && i < dom->nfields; i++) {
            free(p->dfield[i]);
            tf_path_free(p->dpaths[i]);
        }
        free(p->dfield);
        free(p->dpaths);
        tf_schema_free(generic_keys, NGENERIC, &p->gf);
        for (size_t i = 0; i < NGENERIC; i++)
            tf_path_free(p->generic[i]);
        for (size_t i = 0; i < p->ngroup_by; i++) {
            free(p->group_by[i]);
            tf_path_free(p->group_paths[i]);
        }
        free(p->group_by);
        free(p->group_paths);
        for (size_t i = 0; i < p->ncorpus; i++)
            free(p->corpus[i]);
        free(p->corpus);
        free(p->corpus_idx);
        for (size_t i = 0; i < p->nprompt; i++)
            tf_path_free(p->prompt_paths[i]);
        free(p->prompt_paths);
        tf_fetch_config_free(p->fetch);
        free(p->fetch);
        tf_schema_free(top_keys, NTOP, &p->top);
        cJSON_Delete(p->root);
        free(p);
    }
    free(j);
}

/* Point the public view at the private part. */
static void publish(tf_job *j, const tf_domain *dom)
{
    tf_job_priv *p = j->priv;
    j->name = p->top.name;
    j->output = p->top.output;
    j->shard_items = p->top.shard_items;
    j->straggler_seconds = p->top.straggler_seconds;
    j->warn_share = p->top.warn_share;
    j->limit = (uint64_t)p->top.limit;
    j->group_by = (const char *const *)p->group_by;
    j->warnings = p->fetch ? p->fetch->warnings : NULL;
    tf_work *w = &j->work;
    w->corpus = (const char *const *)p->corpus;
    w->ncorpus = p->ncorpus;
    w->max_line_bytes = (size_t)p->top.max_line_bytes;
    w->dom = dom;
    w->dom_cfg = p->dom_cfg;
    w->record.id = p->generic[0];
    w->record.tokens = p->generic[1];
    w->record.prompt = p->generic[2];
    w->record.output = p->generic[3];
    w->record.reasoning = p->generic[4];
    w->record.messages = p->generic[5];
    w->record.group_by = (const tf_path *const *)p->group_paths;
    w->record.ngroup_by = p->ngroup_by;
    w->source = (tf_source_kind)p->top.source;
    w->fetch = p->fetch;
    w->prompt_fields = (const tf_path *const *)p->prompt_paths;
    w->nprompt_fields = p->nprompt;
    w->stats.answer_noun = dom->answer_noun;
    w->stats.answer_false_trace = dom->answer_false_trace;
    w->stats.flag_names = dom->flags;
    w->stats.nflag_names = dom->nflags;
    w->keep_output = p->top.keep_output;
}

tf_err tf_job_parse(const char *text, size_t len, const char *origin, int check_files, tf_job **out,
                    tf_diag *d)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        int line, col;
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        line_col(text, off > len ? len : off, &line, &col);
        tf_diag_set(d, "%s:%d:%d: invalid JSON", origin, line, col);
        return TF_ERR_SPEC;
    }
    if (!cJSON_IsObject(root)) {
        tf_diag_set(d, "%s: the job spec must be a JSON object", origin);
        cJSON_Delete(root);
        return TF_ERR_SPEC;
    }
    tf_job *j = calloc(1, sizeof *j);
    tf_job_priv *p = j ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        free(j);
        cJSON_Delete(root);
        return TF_ERR_NOMEM;
    }
    j->priv = p;
    p->root = root;
    p->origin = origin;
    p->check_files = check_files;
    const tf_domain *dom = NULL;
    tf_err err = check_duplicates(root, "", origin, d);
    if (err == TF_OK)
        err = find_domain(root, origin, &dom, d);
    j->work.dom = dom;
    if (err == TF_OK) {
        /* the top level, and the domain's section by its name */
        tf_key own = {.name = dom->name,
                      .type = TF_KEY_SECTION,
                      .flags = TF_KEY_OPTIONAL,
                      .help = "the domain's section"};
        tf_schema tables[] = {{top_keys, NTOP, &p->top},
                              {priv_keys, sizeof priv_keys / sizeof *priv_keys, p},
                              {&own, 1, NULL}};
        err = tf_schema_apply(tables, 3, root, "", origin, d);
    }
    if (err == TF_OK)
        err = parse_fields(j, dom, d);
    if (err == TF_OK)
        err = parse_stats(j, d);
    if (err == TF_OK)
        err = parse_endpoint(j, d);
    if (err == TF_OK)
        err = parse_domain_section(j, dom, d);
    if (err != TF_OK) {
        tf_job_free(j);
        return err;
    }
    publish(j, dom);
    *out = j;
    return TF_OK;
}

tf_err tf_job_load(const char *path, tf_job **out, tf_diag *d)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: cannot open job spec: %s", path, strerror(errno));
        return TF_ERR_SPEC;
    }
    char *buf = malloc(TF_JOB_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return TF_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, TF_JOB_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        tf_diag_set(d, "%s: cannot read job spec", path);
        free(buf);
        return TF_ERR_SPEC;
    }
    if (n > TF_JOB_MAX_BYTES) {
        tf_diag_set(d, "%s: job spec larger than %lu bytes", path, TF_JOB_MAX_BYTES);
        free(buf);
        return TF_ERR_SPEC;
    }
    buf[n] = '\0';
    tf_err err = tf_job_parse(buf, n, path, 1, out, d);
    free(buf);
    return err;
}

tf_err tf_job_set_limit(tf_job *j, uint64_t n, tf_diag *d)
{
    if (n < 1 || n > (uint64_t)TF_JOB_MAX_LIMIT) {
        tf_diag_set(d, "--limit must be an integer from 1 to %.0f", (double)TF_JOB_MAX_LIMIT);
        return TF_ERR_SPEC;
    }
    cJSON *v = cJSON_CreateNumber((double)n);
    cJSON *root = j->priv->root;
    int ok = v && (cJSON_GetObjectItemCaseSensitive(root, "limit")
                       ? cJSON_ReplaceItemInObjectCaseSensitive(root, "limit", v)
                       : cJSON_AddItemToObject(root, "limit", v));
    if (!ok) {
        cJSON_Delete(v);
        return TF_ERR_NOMEM;
    }
    j->priv->top.limit = (long)n;
    j->limit = n;
    return TF_OK;
}

char *tf_job_resolved_json(const tf_job *j)
{
    return cJSON_PrintUnformatted(j->priv->root);
}

cJSON *tf_job_spec(const tf_job *j)
{
    return cJSON_Duplicate(j->priv->root, 1);
}

/* ----- the reference ("tracefarm spec") -------------------------------------------- */

tf_err tf_job_reference(tf_buf *out)
{
    size_t n = 0;
    tf_err err = tf_buf_puts(out, "# tracefarm job spec: every key (docs/job.md explains them)\n\n"
                                  "## The top level\n\n" TF_SCHEMA_DOC_HEAD);
    if (err == TF_OK)
        err = tf_schema_doc(top_keys, NTOP, "", out);
    if (err == TF_OK)
        err = tf_schema_doc(priv_keys, sizeof priv_keys / sizeof *priv_keys, "", out);
    for (const tf_domain *const *dp = tf_domains(); err == TF_OK && *dp; dp++) {
        const tf_domain *dom = *dp;
        err = tf_buf_printf(out, "\n## \"fields\" (domain %s): record paths\n\n%s", dom->name,
                            TF_SCHEMA_DOC_HEAD);
        if (err == TF_OK)
            err = tf_schema_doc(generic_keys, NGENERIC, "fields.", out);
        for (size_t i = 0; err == TF_OK && i < dom->nfields; i++)
            err = tf_buf_printf(out, "| `fields.%s` | string (a path) | `\"%s\"` | %s |\n",
                                dom->fields[i].name, dom->fields[i].dflt, dom->fields[i].help);
        if (err == TF_OK)
            err = tf_buf_printf(out, "\n## \"%s\": the domain's section\n\n%s", dom->name,
                                TF_SCHEMA_DOC_HEAD);
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%s.", dom->name);
        if (err == TF_OK)
            err = tf_schema_doc(dom->keys, dom->nkeys, prefix, out);
    }
    const tf_key *k = err == TF_OK ? tf_stats_config_keys(&n) : NULL;
    if (k)
        err = tf_buf_puts(out, "\n## \"stats\"\n\n" TF_SCHEMA_DOC_HEAD);
    if (k && err == TF_OK)
        err = tf_schema_doc(k, n, "stats.", out);
    k = err == TF_OK ? tf_fetch_config_keys(&n) : NULL;
    if (k)
        err = tf_buf_puts(out,
                          "\n## \"endpoint\" (sources endpoint and cache)\n\n" TF_SCHEMA_DOC_HEAD);
    if (k && err == TF_OK)
        err = tf_schema_doc(k, n, "endpoint.", out);
    if (err == TF_OK)
        err = tf_buf_puts(out, "\n## \"endpoint.params\": the keys servers know (any other draws "
                               "a warning; \"extra_params\" holds keys meant as written)\n\n");
    for (const char *const *kp = tf_fetch_known_params(); err == TF_OK && *kp; kp++)
        err = tf_buf_printf(out, "- `%s`\n", *kp);
    return err;
}

/* ----- identity --------------------------------------------------------------------- */

/* Sort the keys of every object in v, recursively (insertion sort on the
 * child list: specs are small). */
static void sort_keys(cJSON *v)
{
    if (!v)
        return;
    for (cJSON *c = v->child; c; c = c->next)
        sort_keys(c);
    if (!cJSON_IsObject(v) || !v->child)
        return;
    cJSON *sorted = NULL;
    cJSON *c = v->child;
    while (c) {
        cJSON *next = c->next;
        cJSON **pp = &sorted;
        while (*pp && strcmp((*pp)->string, c->string) <= 0)
            pp = &(*pp)->next;
        c->next = *pp;
        *pp = c;
        c = next;
    }
    /* restore prev links: cJSON keeps head->prev pointing at the tail */
    cJSON *prev = NULL;
    for (c = sorted; c; c = c->next) {
        c->prev = prev;
        prev = c;
    }
    if (sorted)
        sorted->prev = prev;
    v->child = sorted;
}

/* The spec less the keys that do not change outputs, keys sorted (job.h). */
cJSON *tf_job_identity(const tf_job *job)
{
    /* Keys that change how the job runs, not what it writes
     * (docs/resume.md); "a.b" is key b of section a. */
    /* endpoint.base_url: where the model is served, not which model: the
     * response cache keys leave it out, so a moved server answers a resumed
     * job with the same responses (the farm says so when it resumes). */
    static const char *const ignored[] = {"description",
                                          "output",
                                          "shard_items",
                                          "straggler_seconds",
                                          "warn_share",
                                          "endpoint.base_url",
                                          "endpoint.concurrency",
                                          "endpoint.connect_timeout_s",
                                          "endpoint.timeout_s",
                                          "endpoint.backoff_ms",
                                          "endpoint.backoff_max_ms",
                                          "endpoint.rate_limit_rps",
                                          "endpoint.cache_dir",
                                          "endpoint.price_per_million",
                                          "endpoint.api_key_env",
                                          "endpoint.breaker_consecutive",
                                          "endpoint.breaker_failure_rate",
                                          "endpoint.breaker_window",
                                          NULL};
    cJSON *id = cJSON_Duplicate(job->priv->root, 1);
    if (!id)
        return NULL;
    for (int i = 0; ignored[i]; i++) {
        const char *dot = strchr(ignored[i], '.');
        if (!dot) {
            cJSON_DeleteItemFromObjectCaseSensitive(id, ignored[i]);
            continue;
        }
        char section[64];
        snprintf(section, sizeof section, "%.*s", (int)(dot - ignored[i]), ignored[i]);
        cJSON *sec = cJSON_GetObjectItemCaseSensitive(id, section);
        if (cJSON_IsObject(sec))
            cJSON_DeleteItemFromObjectCaseSensitive(sec, dot + 1);
    }
    sort_keys(id);
    return id;
}

/* Compact text of v, cut to fit a message. */
static void short_text(const cJSON *v, char *buf, size_t n)
{
    char *t = v ? cJSON_PrintUnformatted(v) : NULL;
    snprintf(buf, n, "%s", t ? t : "(absent)");
    if (t && strlen(t) >= n && n > 4)
        memcpy(buf + n - 4, "...", 4);
    free(t);
}

/* Recursive worker of tf_json_diff: path is the dotted key so far. */
static int diff_at(const cJSON *a, const cJSON *b, const char *path, char *buf, size_t n)
{
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        char sub[512];
        for (const cJSON *e = a->child; e; e = e->next) {
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", e->string);
            if (diff_at(e, cJSON_GetObjectItemCaseSensitive(b, e->string), sub, buf, n))
                return 1;
        }
        for (const cJSON *e = b->child; e; e = e->next)
            if (!cJSON_GetObjectItemCaseSensitive(a, e->string)) {
                snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", e->string);
                return diff_at(NULL, e, sub, buf, n);
            }
        return 0;
    }
    if (a && b && cJSON_Compare(a, b, 1))
        return 0;
    char ta[160], tb[160];
    short_text(a, ta, sizeof ta);
    short_text(b, tb, sizeof tb);
    snprintf(buf, n, "key \"%s\": %s before, %s now", *path ? path : "(spec)", ta, tb);
    return 1;
}

/* First difference between two specs, as a message (job.h). */
int tf_json_diff(const cJSON *a, const cJSON *b, char *buf, size_t n)
{
    return diff_at(a, b, "", buf, n);
}
