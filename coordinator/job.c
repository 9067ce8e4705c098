/* job.c: job spec parsing, validation and resolution (see job.h). */
#include "tracefarm/job.h"

#include "tracefarm/domain.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Top-level keys. The domain's own section and "fields" are checked by the
 * domain; every other key here is checked below. */
static const char *const known_keys[] = {"name",   "description", "domain",      "corpus",
                                         "output", "source",      "shard_items", "max_line_bytes",
                                         "fields", "group_by",    "stats",       NULL};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void tf_job_free(tf_job *j)
{
    if (!j)
        return;
    free(j->name);
    free(j->domain);
    for (size_t i = 0; i < j->ncorpus; i++)
        free(j->corpus[i]);
    free(j->corpus);
    free(j->output);
    free(j->source);
    for (size_t i = 0; i < j->ngroup_by; i++)
        free(j->group_by[i]);
    free(j->group_by);
    if (j->dom && j->domain_cfg)
        j->dom->free_config(j->domain_cfg);
    cJSON_Delete(j->resolved);
    free(j);
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

/* A required or optional string key. */
static tf_err get_string(const cJSON *o, const char *key, const char *origin, int required,
                         const char *dflt, char **out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required) {
            tf_diag_set(d, "%s: missing required key \"%s\"", origin, key);
            return TF_ERR_SPEC;
        }
        *out = xstrdup(dflt);
        return TF_OK;
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        tf_diag_set(d, "%s: key \"%s\" must be a non-empty string", origin, key);
        return TF_ERR_SPEC;
    }
    *out = xstrdup(v->valuestring);
    return *out ? TF_OK : TF_ERR_NOMEM;
}

/* An optional integer key within [lo, hi]. */
static tf_err get_long(const cJSON *o, const char *key, const char *origin, long lo, long hi,
                       long dflt, long *out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = dflt;
        return TF_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi) {
        tf_diag_set(d, "%s: key \"%s\" must be an integer from %ld to %ld", origin, key, lo, hi);
        return TF_ERR_SPEC;
    }
    *out = (long)v->valuedouble;
    return TF_OK;
}

static int has_glob_magic(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* Append path to the job's corpus list. */
static tf_err push_path(tf_job *j, const char *path)
{
    char **p = realloc(j->corpus, (j->ncorpus + 1) * sizeof *p);
    if (!p)
        return TF_ERR_NOMEM;
    j->corpus = p;
    j->corpus[j->ncorpus] = strdup(path);
    if (!j->corpus[j->ncorpus])
        return TF_ERR_NOMEM;
    j->ncorpus++;
    return TF_OK;
}

/* A corpus path must be a readable regular file ending in .jsonl or .zst. */
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
    return TF_OK;
}

/* Expand the corpus list: globs to their sorted matches, each file checked. */
static tf_err resolve_corpus(tf_job *j, const cJSON *list, const char *origin, int check_files,
                             tf_diag *d)
{
    size_t idx = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
            tf_diag_set(d, "%s: corpus[%zu] must be a non-empty string (a path or glob)", origin,
                        idx);
            return TF_ERR_SPEC;
        }
        const char *pat = e->valuestring;
        if (!check_files || !has_glob_magic(pat)) {
            if (check_files) {
                tf_err err = check_file(pat, origin, idx, d);
                if (err != TF_OK)
                    return err;
            }
            if (push_path(j, pat) != TF_OK)
                return TF_ERR_NOMEM;
        } else {
            glob_t g;
            int rc = glob(pat, GLOB_ERR, NULL, &g);
            if (rc == GLOB_NOMATCH) {
                tf_diag_set(d, "%s: corpus[%zu]: pattern \"%s\" matches no file", origin, idx, pat);
                return TF_ERR_SPEC;
            }
            if (rc != 0) {
                tf_diag_set(d, "%s: corpus[%zu]: cannot expand \"%s\"", origin, idx, pat);
                return TF_ERR_SPEC;
            }
            tf_err err = TF_OK;
            for (size_t k = 0; k < g.gl_pathc && err == TF_OK; k++) {
                err = check_file(g.gl_pathv[k], origin, idx, d);
                if (err == TF_OK)
                    err = push_path(j, g.gl_pathv[k]);
            }
            globfree(&g);
            if (err != TF_OK)
                return err;
        }
        idx++;
    }
    if (j->ncorpus == 0) {
        tf_diag_set(d, "%s: key \"corpus\" must list at least one file", origin);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* Check every top-level key against the known list and the domain name. */
static tf_err check_keys(const cJSON *root, const char *origin, const char *domain, tf_diag *d)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, root)
    {
        int ok = domain && strcmp(e->string, domain) == 0;
        for (int k = 0; !ok && known_keys[k]; k++)
            ok = strcmp(e->string, known_keys[k]) == 0;
        if (!ok) {
            tf_diag_set(d,
                        "%s: unknown key \"%s\" (known: name, description, domain, corpus, "
                        "output, source, shard_items, max_line_bytes, fields, group_by, stats, "
                        "and the domain's section \"%s\")",
                        origin, e->string, domain ? domain : "maze");
            return TF_ERR_SPEC;
        }
    }
    return TF_OK;
}

/* Most fields in "group_by". */
#define TF_JOB_MAX_GROUP_BY 16

/* "group_by": a list of distinct non-empty field names (default []). */
static tf_err parse_group_by(tf_job *j, const cJSON *root, const char *origin, tf_diag *d)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(root, "group_by");
    if (!g)
        return TF_OK;
    if (!cJSON_IsArray(g) || cJSON_GetArraySize(g) > TF_JOB_MAX_GROUP_BY) {
        tf_diag_set(d, "%s: key \"group_by\" must be a list of at most %d record field names",
                    origin, TF_JOB_MAX_GROUP_BY);
        return TF_ERR_SPEC;
    }
    j->group_by = calloc((size_t)cJSON_GetArraySize(g) + 1, sizeof *j->group_by);
    if (!j->group_by)
        return TF_ERR_NOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, g)
    {
        if (!cJSON_IsString(e) || e->valuestring[0] == '\0') {
            tf_diag_set(d, "%s: group_by[%zu] must be a non-empty string (a record field name)",
                        origin, j->ngroup_by);
            return TF_ERR_SPEC;
        }
        for (size_t i = 0; i < j->ngroup_by; i++)
            if (strcmp(j->group_by[i], e->valuestring) == 0) {
                tf_diag_set(d, "%s: group_by[%zu]: field \"%s\" is listed twice", origin,
                            j->ngroup_by, e->valuestring);
                return TF_ERR_SPEC;
            }
        j->group_by[j->ngroup_by] = strdup(e->valuestring);
        if (!j->group_by[j->ngroup_by])
            return TF_ERR_NOMEM;
        j->ngroup_by++;
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

tf_err tf_job_parse(const char *text, size_t len, const char *origin, int check_files, tf_job **out,
                    tf_diag *d)
{
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        int line, col;
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        if (off > len)
            off = len;
        line_col(text, off, &line, &col);
        tf_diag_set(d, "%s:%d:%d: invalid JSON", origin, line, col);
        return TF_ERR_SPEC;
    }
    if (!cJSON_IsObject(root)) {
        tf_diag_set(d, "%s: the job spec must be a JSON object", origin);
        cJSON_Delete(root);
        return TF_ERR_SPEC;
    }
    if (check_duplicates(root, "", origin, d) != TF_OK) {
        cJSON_Delete(root);
        return TF_ERR_SPEC;
    }
    tf_job *j = calloc(1, sizeof *j);
    if (!j) {
        cJSON_Delete(root);
        return TF_ERR_NOMEM;
    }
    j->resolved = root;
    tf_err err = get_string(root, "domain", origin, 1, NULL, &j->domain, d);
    if (err == TF_OK) {
        j->dom = tf_domain_find(j->domain);
        if (!j->dom) {
            tf_diag_set(d, "%s: key \"domain\": unknown domain \"%s\" (known: %s)", origin,
                        j->domain, tf_domain_names());
            err = TF_ERR_SPEC;
        }
    }
    if (err == TF_OK)
        err = check_keys(root, origin, j->domain, d);
    if (err == TF_OK)
        err = get_string(root, "name", origin, 1, NULL, &j->name, d);
    if (err == TF_OK)
        err = get_string(root, "output", origin, 1, NULL, &j->output, d);
    if (err == TF_OK)
        err = get_string(root, "source", origin, 0, "record", &j->source, d);
    if (err == TF_OK && strcmp(j->source, "record") != 0) {
        tf_diag_set(d, "%s: key \"source\": \"%s\" is not supported (supported: \"record\")",
                    origin, j->source);
        err = TF_ERR_SPEC;
    }
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (err == TF_OK && desc && !cJSON_IsString(desc)) {
        tf_diag_set(d, "%s: key \"description\" must be a string", origin);
        err = TF_ERR_SPEC;
    }
    if (err == TF_OK)
        err = get_long(root, "shard_items", origin, 1, 1L << 30, TF_JOB_DEFAULT_SHARD_ITEMS,
                       &j->shard_items, d);
    long maxline = 0;
    if (err == TF_OK)
        err = get_long(root, "max_line_bytes", origin, 1024, 1L << 30,
                       (long)TF_JOB_DEFAULT_MAX_LINE, &maxline, d);
    j->max_line_bytes = (size_t)maxline;
    if (err == TF_OK) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "corpus");
        if (!c) {
            tf_diag_set(d, "%s: missing required key \"corpus\"", origin);
            err = TF_ERR_SPEC;
        } else if (!cJSON_IsArray(c)) {
            tf_diag_set(d, "%s: key \"corpus\" must be a list of paths or globs", origin);
            err = TF_ERR_SPEC;
        } else {
            err = resolve_corpus(j, c, origin, check_files, d);
        }
    }
    if (err == TF_OK)
        err = parse_group_by(j, root, origin, d);
    cJSON *stats = NULL;
    if (err == TF_OK)
        err = tf_stats_config_parse(cJSON_GetObjectItemCaseSensitive(root, "stats"), origin,
                                    &j->stats, &stats, d);
    if (err == TF_OK) {
        /* the resolved spec names every statistics setting */
        cJSON_DeleteItemFromObjectCaseSensitive(root, "stats");
        if (!cJSON_AddItemToObject(root, "stats", stats)) {
            cJSON_Delete(stats);
            err = TF_ERR_NOMEM;
        }
        if (err == TF_OK && !cJSON_GetObjectItemCaseSensitive(root, "group_by") &&
            !cJSON_AddArrayToObject(root, "group_by"))
            err = TF_ERR_NOMEM;
    }
    if (err == TF_OK)
        err = j->dom->configure(root, origin, &j->domain_cfg, d);
    if (err == TF_OK) {
        /* Write back the resolved values so every rank sees the same job. */
        cJSON *list = cJSON_CreateArray();
        for (size_t i = 0; list && i < j->ncorpus; i++)
            cJSON_AddItemToArray(list, cJSON_CreateString(j->corpus[i]));
        if (!list || !cJSON_ReplaceItemInObjectCaseSensitive(root, "corpus", list))
            err = TF_ERR_NOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(root, "source");
        cJSON_DeleteItemFromObjectCaseSensitive(root, "shard_items");
        cJSON_DeleteItemFromObjectCaseSensitive(root, "max_line_bytes");
        if (!cJSON_AddStringToObject(root, "source", j->source) ||
            !cJSON_AddNumberToObject(root, "shard_items", (double)j->shard_items) ||
            !cJSON_AddNumberToObject(root, "max_line_bytes", (double)j->max_line_bytes))
            err = TF_ERR_NOMEM;
    }
    if (err != TF_OK) {
        tf_job_free(j);
        return err;
    }
    *out = j;
    return TF_OK;
}

/* Largest job spec file accepted. */
#define TF_JOB_MAX_BYTES (16UL << 20)

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

char *tf_job_resolved_json(const tf_job *j)
{
    return cJSON_PrintUnformatted(j->resolved);
}
