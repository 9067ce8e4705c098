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
static const char *const known_keys[] = {"name",
                                         "description",
                                         "domain",
                                         "corpus",
                                         "output",
                                         "source",
                                         "endpoint",
                                         "shard_items",
                                         "max_line_bytes",
                                         "fields",
                                         "group_by",
                                         "stats",
                                         "straggler_seconds",
                                         NULL};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* forward: the endpoint section's parts are below */
static void endpoint_free(tf_endpoint *e);

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
    endpoint_free(j->endpoint);
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
                        "output, source, endpoint, shard_items, max_line_bytes, fields, group_by, "
                        "stats, straggler_seconds, "
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

/* ----- the "endpoint" section (source "endpoint") ----------------------- */

/* Keys of the endpoint section, in the order of the resolved spec. */
static const char *const ep_keys[] = {"base_url",
                                      "api",
                                      "model",
                                      "prompt_template",
                                      "params",
                                      "samples",
                                      "api_key_env",
                                      "concurrency",
                                      "connect_timeout_s",
                                      "timeout_s",
                                      "max_attempts",
                                      "backoff_ms",
                                      "backoff_max_ms",
                                      "rate_limit_rps",
                                      "cache_dir",
                                      "max_response_bytes",
                                      "price_per_million",
                                      NULL};

/* params keys that the farm sets itself or that would break the one
 * response per sample contract. */
static const char *const ep_reserved_params[] = {"model", "prompt", "messages",
                                                 "n",     "stream", NULL};

#define TF_EP_MAX_STOP 16

static void endpoint_free(tf_endpoint *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_base_urls; i++)
        free(e->base_urls[i]);
    free(e->base_urls);
    free(e->model);
    free(e->prompt_template);
    for (size_t i = 0; i < e->n_stop; i++)
        free(e->stop[i]);
    free(e->stop);
    free(e->extra_json);
    free(e->api_key_env);
    free(e->cache_dir);
    free(e);
}

/* A number member of o within [lo, hi] (a missing one is dflt); the key is
 * named "endpoint.PATH" in messages. */
static tf_err ep_number(const cJSON *o, const char *key, const char *path, const char *origin,
                        double lo, double hi, double dflt, double *out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = dflt;
        return TF_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) {
        tf_diag_set(d, "%s: key \"%s\" must be a number from %g to %g", origin, path, lo, hi);
        return TF_ERR_SPEC;
    }
    *out = v->valuedouble;
    return TF_OK;
}

/* An integer member of o within [lo, hi] (a missing one is dflt). */
static tf_err ep_int(const cJSON *o, const char *key, const char *path, const char *origin, long lo,
                     long hi, long dflt, long *out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        *out = dflt;
        return TF_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi) {
        tf_diag_set(d, "%s: key \"%s\" must be an integer from %ld to %ld", origin, path, lo, hi);
        return TF_ERR_SPEC;
    }
    *out = (long)v->valuedouble;
    return TF_OK;
}

/* A prompt template is text with the placeholders "{prompt}" and
 * "{field:NAME}" (NAME non-empty, without braces) and the escapes "{{" and
 * "}}"; any other brace is an error. */
static tf_err check_template(const char *t, const char *origin, tf_diag *d)
{
    for (size_t i = 0; t[i]; i++) {
        if ((t[i] == '{' && t[i + 1] == '{') || (t[i] == '}' && t[i + 1] == '}')) {
            i++;
            continue;
        }
        if (t[i] == '}') {
            tf_diag_set(d,
                        "%s: key \"endpoint.prompt_template\": unmatched \"}\" at offset %zu "
                        "(write \"}}\" for a literal brace)",
                        origin, i);
            return TF_ERR_SPEC;
        }
        if (t[i] != '{')
            continue;
        const char *close = strchr(t + i, '}');
        const char *open2 = strchr(t + i + 1, '{');
        int ok = close && (!open2 || open2 > close);
        if (ok) {
            size_t n = (size_t)(close - (t + i)) + 1;
            ok = (n == 8 && strncmp(t + i, "{prompt}", 8) == 0) ||
                 (n > 8 && strncmp(t + i, "{field:", 7) == 0);
            if (ok)
                i += n - 1;
        }
        if (!ok) {
            tf_diag_set(d,
                        "%s: key \"endpoint.prompt_template\": bad placeholder at offset %zu "
                        "(known: {prompt}, {field:NAME}; write \"{{\" for a literal brace)",
                        origin, i);
            return TF_ERR_SPEC;
        }
    }
    return TF_OK;
}

/* "endpoint.base_url": one URL or a non-empty list of replicas. */
static tf_err ep_base_urls(tf_endpoint *e, const cJSON *v, const char *origin, tf_diag *d)
{
#define BAD_URL "%s: key \"endpoint.base_url\" must be an http:// or https:// URL or a list of them"
    size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
    if (!v || (!cJSON_IsArray(v) && !cJSON_IsString(v)) || n == 0 || n > 4096) {
        if (!v)
            tf_diag_set(d, "%s: missing required key \"endpoint.base_url\"", origin);
        else
            tf_diag_set(d, BAD_URL, origin);
        return TF_ERR_SPEC;
    }
    e->base_urls = calloc(n, sizeof *e->base_urls);
    if (!e->base_urls)
        return TF_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const cJSON *u = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, (int)i) : v;
        if (!cJSON_IsString(u) || (strncmp(u->valuestring, "http://", 7) != 0 &&
                                   strncmp(u->valuestring, "https://", 8) != 0)) {
            tf_diag_set(d, BAD_URL, origin);
            return TF_ERR_SPEC;
        }
        e->base_urls[i] = strdup(u->valuestring);
        if (!e->base_urls[i])
            return TF_ERR_NOMEM;
        e->n_base_urls++;
    }
    return TF_OK;
#undef BAD_URL
}

/* "endpoint.params": the sampling parameters; unknown keys are passed
 * through into the request body (extra_json). */
static tf_err ep_params(tf_endpoint *e, const cJSON *p, const char *origin, tf_diag *d)
{
    e->temperature = -1;
    e->top_p = -1;
    if (!p)
        return TF_OK;
    if (!cJSON_IsObject(p)) {
        tf_diag_set(d, "%s: key \"endpoint.params\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    double seed = 0;
    long maxtok = 0;
    tf_err err = ep_number(p, "temperature", "endpoint.params.temperature", origin, 0, 100, -1,
                           &e->temperature, d);
    if (err == TF_OK)
        err = ep_number(p, "top_p", "endpoint.params.top_p", origin, 0, 1, -1, &e->top_p, d);
    if (err == TF_OK)
        err = ep_int(p, "max_tokens", "endpoint.params.max_tokens", origin, 1, 1L << 30, 0, &maxtok,
                     d);
    e->max_tokens = maxtok;
    if (err == TF_OK)
        err = ep_number(p, "seed", "endpoint.params.seed", origin, 0, 9007199254740991.0, 0, &seed,
                        d);
    if (err == TF_OK && seed != (double)(uint64_t)seed) {
        tf_diag_set(d, "%s: key \"endpoint.params.seed\" must be an integer", origin);
        err = TF_ERR_SPEC;
    }
    e->seed = (uint64_t)seed;
    e->has_seed = cJSON_GetObjectItemCaseSensitive(p, "seed") != NULL;
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(p, "stop");
    if (err == TF_OK && stop) {
        size_t n = cJSON_IsArray(stop) ? (size_t)cJSON_GetArraySize(stop) : 1;
        int ok = (cJSON_IsString(stop) || cJSON_IsArray(stop)) && n <= TF_EP_MAX_STOP;
        e->stop = ok ? calloc(n ? n : 1, sizeof *e->stop) : NULL;
        for (size_t i = 0; ok && e->stop && i < n; i++) {
            const cJSON *s = cJSON_IsArray(stop) ? cJSON_GetArrayItem(stop, (int)i) : stop;
            ok = cJSON_IsString(s) && s->valuestring[0];
            if (ok && !(e->stop[e->n_stop++] = strdup(s->valuestring)))
                return TF_ERR_NOMEM;
        }
        if (ok && !e->stop)
            return TF_ERR_NOMEM;
        if (!ok) {
            tf_diag_set(d,
                        "%s: key \"endpoint.params.stop\" must be a non-empty string or a "
                        "list of at most %d",
                        origin, TF_EP_MAX_STOP);
            err = TF_ERR_SPEC;
        }
    }
    if (err != TF_OK)
        return err;
    cJSON *extra = cJSON_CreateObject();
    if (!extra)
        return TF_ERR_NOMEM;
    const cJSON *x;
    cJSON_ArrayForEach(x, p)
    {
        if (!strcmp(x->string, "temperature") || !strcmp(x->string, "top_p") ||
            !strcmp(x->string, "max_tokens") || !strcmp(x->string, "seed") ||
            !strcmp(x->string, "stop"))
            continue;
        for (int k = 0; ep_reserved_params[k]; k++)
            if (strcmp(x->string, ep_reserved_params[k]) == 0) {
                tf_diag_set(d,
                            "%s: key \"endpoint.params.%s\" cannot be set (the farm sends "
                            "model, prompt or messages itself, one sample per request, "
                            "no streaming)",
                            origin, x->string);
                cJSON_Delete(extra);
                return TF_ERR_SPEC;
            }
        cJSON *dup = cJSON_Duplicate(x, 1);
        if (!dup || !cJSON_AddItemToObject(extra, x->string, dup)) {
            cJSON_Delete(dup);
            cJSON_Delete(extra);
            return TF_ERR_NOMEM;
        }
    }
    if (extra->child) {
        e->extra_json = cJSON_PrintUnformatted(extra);
        if (!e->extra_json)
            err = TF_ERR_NOMEM;
    }
    cJSON_Delete(extra);
    return err;
}

/* "endpoint.price_per_million": {"prompt": P, "completion": C}, both
 * required, non-negative; sets the cost figures of the summary. */
static tf_err ep_prices(tf_job *j, const cJSON *v, const char *origin, tf_diag *d)
{
    if (!v || cJSON_IsNull(v))
        return TF_OK;
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(v, "prompt");
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(v, "completion");
    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(pp) ||
        !cJSON_IsNumber(pc) || !(pp->valuedouble >= 0) || !(pc->valuedouble >= 0) ||
        pp->valuedouble > 1e12 || pc->valuedouble > 1e12) {
        tf_diag_set(d,
                    "%s: key \"endpoint.price_per_million\" must be an object "
                    "{\"prompt\": number, \"completion\": number} (non-negative)",
                    origin);
        return TF_ERR_SPEC;
    }
    j->stats.has_prices = 1;
    j->stats.price_prompt = pp->valuedouble;
    j->stats.price_completion = pc->valuedouble;
    return TF_OK;
}

/* A string member of the endpoint section, named "endpoint.KEY" in
 * messages; a missing optional one is dflt (NULL: none). */
static tf_err ep_string(const cJSON *o, const char *key, const char *origin, int required,
                        const char *dflt, char **out, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(v) && !required)
        v = NULL; /* null: none (the resolved spec writes it so) */
    if (!v && required) {
        tf_diag_set(d, "%s: missing required key \"endpoint.%s\"", origin, key);
        return TF_ERR_SPEC;
    }
    if (v && (!cJSON_IsString(v) || v->valuestring[0] == '\0')) {
        tf_diag_set(d, "%s: key \"endpoint.%s\" must be a non-empty string", origin, key);
        return TF_ERR_SPEC;
    }
    const char *val = v ? v->valuestring : dflt;
    *out = val ? strdup(val) : NULL;
    return (*out || !val) ? TF_OK : TF_ERR_NOMEM;
}

/* Replace (or add) key in o with item; TF_ERR_NOMEM on failure. */
static tf_err set_key(cJSON *o, const char *key, cJSON *item)
{
    if (!item)
        return TF_ERR_NOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (!cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return TF_ERR_NOMEM;
    }
    return TF_OK;
}

/* Write the resolved endpoint section (every default filled) over the
 * given one, keys in ep_keys order. */
static tf_err ep_resolve(const tf_job *j, cJSON *root)
{
    const tf_endpoint *e = j->endpoint;
    cJSON *o = cJSON_CreateObject();
    cJSON *urls = cJSON_CreateArray();
    tf_err err = o && urls ? TF_OK : TF_ERR_NOMEM;
    for (size_t i = 0; err == TF_OK && i < e->n_base_urls; i++)
        if (!cJSON_AddItemToArray(urls, cJSON_CreateString(e->base_urls[i])))
            err = TF_ERR_NOMEM;
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(given, "params");
    const cJSON *prices = cJSON_GetObjectItemCaseSensitive(given, "price_per_million");
    if (err == TF_OK) {
        err = set_key(o, "base_url", urls);
        urls = NULL;
    }
    if (err == TF_OK)
        err = set_key(o, "api", cJSON_CreateString(e->chat ? "chat" : "completions"));
    if (err == TF_OK)
        err = set_key(o, "model", cJSON_CreateString(e->model));
    if (err == TF_OK)
        err = set_key(o, "prompt_template", cJSON_CreateString(e->prompt_template));
    if (err == TF_OK)
        err = set_key(o, "params", params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject());
    if (err == TF_OK)
        err = set_key(o, "samples", cJSON_CreateNumber(e->samples));
    if (err == TF_OK)
        err = set_key(o, "api_key_env",
                      e->api_key_env ? cJSON_CreateString(e->api_key_env) : cJSON_CreateNull());
    if (err == TF_OK)
        err = set_key(o, "concurrency", cJSON_CreateNumber(e->concurrency));
    if (err == TF_OK)
        err = set_key(o, "connect_timeout_s", cJSON_CreateNumber(e->connect_timeout_ms / 1e3));
    if (err == TF_OK)
        err = set_key(o, "timeout_s", cJSON_CreateNumber(e->timeout_ms / 1e3));
    if (err == TF_OK)
        err = set_key(o, "max_attempts", cJSON_CreateNumber(e->max_attempts));
    if (err == TF_OK)
        err = set_key(o, "backoff_ms", cJSON_CreateNumber((double)e->backoff_ms));
    if (err == TF_OK)
        err = set_key(o, "backoff_max_ms", cJSON_CreateNumber((double)e->backoff_max_ms));
    if (err == TF_OK)
        err = set_key(o, "rate_limit_rps", cJSON_CreateNumber(e->rate_limit_rps));
    if (err == TF_OK)
        err = set_key(o, "cache_dir", cJSON_CreateString(e->cache_dir));
    if (err == TF_OK)
        err = set_key(o, "max_response_bytes", cJSON_CreateNumber((double)e->max_response_bytes));
    if (err == TF_OK)
        err = set_key(o, "price_per_million",
                      prices ? cJSON_Duplicate(prices, 1) : cJSON_CreateNull());
    cJSON_Delete(urls);
    if (err == TF_OK)
        return set_key(root, "endpoint", o);
    cJSON_Delete(o);
    return err;
}

/* Validate the "endpoint" section into j->endpoint (source "endpoint").
 * check_env: the variable named by api_key_env must be set (rank 0; other
 * ranks read it when they start a shard). */
static tf_err parse_endpoint(tf_job *j, cJSON *root, const char *origin, int check_env, tf_diag *d)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
    if (strcmp(j->source, "endpoint") != 0) {
        if (s) {
            tf_diag_set(d, "%s: key \"endpoint\" is only used with \"source\": \"endpoint\"",
                        origin);
            return TF_ERR_SPEC;
        }
        return TF_OK;
    }
    if (!s) {
        tf_diag_set(d, "%s: missing required key \"endpoint\" (source \"endpoint\")", origin);
        return TF_ERR_SPEC;
    }
    if (!cJSON_IsObject(s)) {
        tf_diag_set(d, "%s: key \"endpoint\" must be an object", origin);
        return TF_ERR_SPEC;
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, s)
    {
        int known = 0;
        for (int k = 0; ep_keys[k] && !known; k++)
            known = strcmp(x->string, ep_keys[k]) == 0;
        if (!known) {
            tf_diag_set(d,
                        "%s: unknown key \"endpoint.%s\" (known: base_url, api, model, "
                        "prompt_template, params, samples, api_key_env, concurrency, "
                        "connect_timeout_s, timeout_s, max_attempts, backoff_ms, backoff_max_ms, "
                        "rate_limit_rps, cache_dir, max_response_bytes, price_per_million)",
                        origin, x->string);
            return TF_ERR_SPEC;
        }
    }
    tf_endpoint *e = calloc(1, sizeof *e);
    if (!e)
        return TF_ERR_NOMEM;
    j->endpoint = e;
    tf_err err = ep_base_urls(e, cJSON_GetObjectItemCaseSensitive(s, "base_url"), origin, d);
    char *api = NULL;
    if (err == TF_OK)
        err = ep_string(s, "api", origin, 0, "completions", &api, d);
    if (err == TF_OK && strcmp(api, "chat") != 0 && strcmp(api, "completions") != 0) {
        tf_diag_set(d, "%s: key \"endpoint.api\" must be \"completions\" or \"chat\"", origin);
        err = TF_ERR_SPEC;
    }
    e->chat = err == TF_OK && strcmp(api, "chat") == 0;
    free(api);
    if (err == TF_OK)
        err = ep_string(s, "model", origin, 1, NULL, &e->model, d);
    if (err == TF_OK)
        err = ep_string(s, "prompt_template", origin, 0, "{prompt}", &e->prompt_template, d);
    if (err == TF_OK)
        err = check_template(e->prompt_template, origin, d);
    if (err == TF_OK)
        err = ep_params(e, cJSON_GetObjectItemCaseSensitive(s, "params"), origin, d);
    long v = 0;
    if (err == TF_OK)
        err = ep_int(s, "samples", "endpoint.samples", origin, 1, 1024, 1, &v, d);
    e->samples = (unsigned)v;
    if (err == TF_OK)
        err = ep_string(s, "api_key_env", origin, 0, NULL, &e->api_key_env, d);
    if (err == TF_OK && e->api_key_env && check_env && !getenv(e->api_key_env)) {
        tf_diag_set(d, "%s: key \"endpoint.api_key_env\": environment variable \"%s\" is not set",
                    origin, e->api_key_env);
        err = TF_ERR_SPEC;
    }
    if (err == TF_OK)
        err = ep_int(s, "concurrency", "endpoint.concurrency", origin, 1, 4096, 16, &v, d);
    e->concurrency = (unsigned)v;
    double t = 0;
    if (err == TF_OK)
        err = ep_number(s, "connect_timeout_s", "endpoint.connect_timeout_s", origin, 0.001, 86400,
                        10, &t, d);
    e->connect_timeout_ms = (long)(t * 1000 + 0.5);
    if (err == TF_OK)
        err = ep_number(s, "timeout_s", "endpoint.timeout_s", origin, 0.001, 604800, 600, &t, d);
    e->timeout_ms = (long)(t * 1000 + 0.5);
    if (err == TF_OK)
        err = ep_int(s, "max_attempts", "endpoint.max_attempts", origin, 1, 100, 5, &v, d);
    e->max_attempts = (unsigned)v;
    if (err == TF_OK)
        err = ep_int(s, "backoff_ms", "endpoint.backoff_ms", origin, 0, 3600000, 500,
                     &e->backoff_ms, d);
    if (err == TF_OK)
        err = ep_int(s, "backoff_max_ms", "endpoint.backoff_max_ms", origin, 0, 86400000, 60000,
                     &e->backoff_max_ms, d);
    if (err == TF_OK)
        err = ep_number(s, "rate_limit_rps", "endpoint.rate_limit_rps", origin, 0, 1e9, 0,
                        &e->rate_limit_rps, d);
    if (err == TF_OK && cJSON_GetObjectItemCaseSensitive(s, "cache_dir")) {
        err = ep_string(s, "cache_dir", origin, 0, NULL, &e->cache_dir, d);
    } else if (err == TF_OK) {
        size_t n = strlen(j->output) + 8;
        e->cache_dir = malloc(n);
        if (!e->cache_dir)
            err = TF_ERR_NOMEM;
        else
            snprintf(e->cache_dir, n, "%s/cache", j->output);
    }
    if (err == TF_OK)
        err = ep_int(s, "max_response_bytes", "endpoint.max_response_bytes", origin, 1024, 1L << 30,
                     16L << 20, &v, d);
    e->max_response_bytes = (size_t)v;
    if (err == TF_OK)
        err = ep_prices(j, cJSON_GetObjectItemCaseSensitive(s, "price_per_million"), origin, d);
    if (err == TF_OK) {
        j->stats.endpoint = 1;
        err = ep_resolve(j, root);
    }
    return err;
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
    if (err == TF_OK && strcmp(j->source, "record") != 0 && strcmp(j->source, "endpoint") != 0) {
        tf_diag_set(d,
                    "%s: key \"source\": \"%s\" is not supported (supported: \"record\", "
                    "\"endpoint\")",
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
    long straggler = 0; /* read by the coordinator from the resolved spec */
    if (err == TF_OK)
        err = get_long(root, "straggler_seconds", origin, 0, 604800, 0, &straggler, d);
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
        err = parse_endpoint(j, root, origin, check_files, d);
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
