/* schema.c: job-spec sections checked against their key tables (schema.h). */
#include "tracefarm/schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The member's full name for messages: "path.name", or "name" at the top. */
static void full_name(char *buf, size_t n, const char *path, const char *name)
{
    if (path && *path)
        snprintf(buf, n, "%s.%s", path, name);
    else
        snprintf(buf, n, "%s", name);
}

/* Levenshtein distance of a and b, capped: returns cap + 1 when larger
 * (names are short, so a small row on the stack is enough). */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return cap + 1;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t v = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < v)
                v = up + 1;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

/* A typo is at most a third of the name away (at least 1, at most 3). */
static size_t typo_cap(const char *name)
{
    size_t n = strlen(name) / 3;
    return n < 1 ? 1 : n > 3 ? 3 : n;
}

const char *tf_schema_nearest(const tf_key *keys, size_t nkeys, const char *name)
{
    const char *best = NULL;
    size_t cap = typo_cap(name), bestd = cap + 1;
    for (size_t i = 0; i < nkeys; i++) {
        size_t dist = edit_distance(name, keys[i].name, cap);
        if (dist < bestd) {
            bestd = dist;
            best = keys[i].name;
        }
    }
    return best;
}

const char *tf_schema_nearest_name(const char *const *names, const char *name)
{
    const char *best = NULL;
    size_t cap = typo_cap(name), bestd = cap + 1;
    for (size_t i = 0; names[i]; i++) {
        size_t dist = edit_distance(name, names[i], cap);
        if (dist < bestd) {
            bestd = dist;
            best = names[i];
        }
    }
    return best;
}

static const tf_key *find_key(const tf_key *keys, size_t nkeys, const char *name)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Refuse the first member that no table knows. */
static tf_err check_known(const tf_schema *tables, size_t n, const cJSON *section, const char *path,
                          const char *origin, tf_diag *d)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, section)
    {
        int known = 0;
        for (size_t t = 0; t < n && !known; t++)
            known = find_key(tables[t].keys, tables[t].nkeys, m->string) != NULL;
        if (known)
            continue;
        char name[256];
        full_name(name, sizeof name, path, m->string);
        const char *near = NULL;
        for (size_t t = 0; t < n && !near; t++)
            near = tf_schema_nearest(tables[t].keys, tables[t].nkeys, m->string);
        if (near)
            tf_diag_set(d, "%s: unknown key \"%s\" (did you mean \"%s\"?)", origin, name, near);
        else
            tf_diag_set(d, "%s: unknown key \"%s\" (docs/job.md lists the keys)", origin, name);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* "must be ..." of a key, for messages. */
static void expectation(const tf_key *k, char *buf, size_t n)
{
    switch (k->type) {
    case TF_KEY_STRING:
        snprintf(buf, n, "a non-empty string");
        break;
    case TF_KEY_INT:
        snprintf(buf, n, "an integer from %.0f to %.0f", k->lo, k->hi);
        break;
    case TF_KEY_NUMBER:
        snprintf(buf, n, "a number from %g to %g", k->lo, k->hi);
        break;
    case TF_KEY_BOOL:
        snprintf(buf, n, "true or false");
        break;
    case TF_KEY_CHOICE: {
        size_t used = 0;
        for (size_t i = 0; k->choices[i] && used < n; i++) {
            const char *sep = i == 0 ? "" : k->choices[i + 1] ? ", " : " or ";
            int w = snprintf(buf + used, n - used, "%s\"%s\"", sep, k->choices[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        break;
    }
    case TF_KEY_SECTION:
        snprintf(buf, n, "an object");
        break;
    case TF_KEY_CUSTOM:
        snprintf(buf, n, "valid");
        break;
    }
    if (k->flags & TF_KEY_NULLABLE) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, ", or null");
    }
}

/* Check v against k and store it into target (when not NULL). */
static tf_err read_value(const tf_key *k, const tf_key_ctx *ctx, cJSON *v, void *target, tf_diag *d)
{
    if (k->type == TF_KEY_CUSTOM)
        return k->parse(ctx, v, target, d);
    if (cJSON_IsNull(v) && (k->flags & TF_KEY_NULLABLE))
        return TF_OK;
    char *field = target ? (char *)target + k->offset : NULL;
    int ok = 0;
    switch (k->type) {
    case TF_KEY_STRING:
        ok = cJSON_IsString(v) && v->valuestring[0] != '\0';
        if (ok && field) {
            char *copy = strdup(v->valuestring);
            if (!copy)
                return TF_ERR_NOMEM;
            free(*(char **)field);
            *(char **)field = copy;
        }
        break;
    case TF_KEY_INT:
        ok = cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= k->lo &&
             v->valuedouble <= k->hi && v->valuedouble == floor(v->valuedouble);
        if (ok && field) {
            long x = (long)v->valuedouble;
            memcpy(field, &x, sizeof x);
        }
        break;
    case TF_KEY_NUMBER:
        ok = cJSON_IsNumber(v) && v->valuedouble >= k->lo && v->valuedouble <= k->hi;
        if (ok && field)
            memcpy(field, &v->valuedouble, sizeof(double));
        break;
    case TF_KEY_BOOL:
        ok = cJSON_IsBool(v);
        if (ok && field)
            *(int *)field = cJSON_IsTrue(v);
        break;
    case TF_KEY_CHOICE:
        for (int i = 0; cJSON_IsString(v) && k->choices[i]; i++)
            if (strcmp(v->valuestring, k->choices[i]) == 0) {
                ok = 1;
                if (field)
                    *(int *)field = i;
            }
        break;
    case TF_KEY_SECTION:
        ok = cJSON_IsObject(v);
        break;
    case TF_KEY_CUSTOM:
        break;
    }
    if (!ok) {
        char want[512];
        expectation(k, want, sizeof want);
        tf_diag_set(d, "%s: key \"%s\" must be %s", ctx->origin, ctx->path, want);
        return TF_ERR_SPEC;
    }
    return TF_OK;
}

/* One key of one table: given, defaulted or missing. */
static tf_err apply_key(const tf_key *k, cJSON *section, const char *path, const char *origin,
                        void *target, tf_diag *d)
{
    char name[256];
    full_name(name, sizeof name, path, k->name);
    tf_key_ctx ctx = {.origin = origin, .path = name, .section = section};
    cJSON *v = section ? cJSON_GetObjectItemCaseSensitive(section, k->name) : NULL;
    if (!v && k->dflt) {
        cJSON *dv = cJSON_Parse(k->dflt);
        if (!dv) {
            tf_diag_set(d, "%s: the default of key \"%s\" is not JSON (a bug)", origin, name);
            return TF_ERR_INTERNAL;
        }
        if (section && !cJSON_AddItemToObject(section, k->name, dv)) {
            cJSON_Delete(dv);
            return TF_ERR_NOMEM;
        }
        tf_err err = read_value(k, &ctx, dv, target, d);
        if (!section)
            cJSON_Delete(dv);
        return err;
    }
    if (!v) {
        if (k->type == TF_KEY_CUSTOM)
            return k->parse(&ctx, NULL, target, d);
        if (k->flags & TF_KEY_OPTIONAL)
            return TF_OK;
        tf_diag_set(d, "%s: missing required key \"%s\"", origin, name);
        return TF_ERR_SPEC;
    }
    return read_value(k, &ctx, v, target, d);
}

tf_err tf_schema_apply(const tf_schema *tables, size_t n, cJSON *section, const char *path,
                       const char *origin, tf_diag *d)
{
    if (section && !cJSON_IsObject(section)) {
        tf_diag_set(d, "%s: key \"%s\" must be an object", origin, path && *path ? path : "(top)");
        return TF_ERR_SPEC;
    }
    tf_err err = section ? check_known(tables, n, section, path, origin, d) : TF_OK;
    for (size_t t = 0; err == TF_OK && t < n; t++)
        for (size_t i = 0; err == TF_OK && i < tables[t].nkeys; i++)
            err = apply_key(&tables[t].keys[i], section, path, origin, tables[t].target, d);
    return err;
}

void tf_schema_free(const tf_key *keys, size_t nkeys, void *target)
{
    for (size_t i = 0; target && i < nkeys; i++) {
        if (keys[i].type != TF_KEY_STRING)
            continue;
        char **p = (char **)((char *)target + keys[i].offset);
        free(*p);
        *p = NULL;
    }
}

tf_err tf_schema_doc(const tf_key *keys, size_t nkeys, const char *prefix, tf_buf *out)
{
    static const char *const types[] = {
        [TF_KEY_STRING] = "string",      [TF_KEY_INT] = "integer",   [TF_KEY_NUMBER] = "number",
        [TF_KEY_BOOL] = "true or false", [TF_KEY_CHOICE] = "choice", [TF_KEY_SECTION] = "object",
        [TF_KEY_CUSTOM] = "see meaning"};
    tf_err err = TF_OK;
    for (size_t i = 0; err == TF_OK && i < nkeys; i++) {
        const tf_key *k = &keys[i];
        char want[512];
        if (k->type == TF_KEY_INT || k->type == TF_KEY_NUMBER || k->type == TF_KEY_CHOICE)
            expectation(k, want, sizeof want);
        else
            snprintf(want, sizeof want, "%s%s", types[k->type],
                     k->flags & TF_KEY_NULLABLE ? ", or null" : "");
        const char *dflt = k->dflt ? k->dflt : (k->flags & TF_KEY_OPTIONAL) ? "(none)" : "required";
        err = tf_buf_printf(out, "| `%s%s` | %s | %s%s%s | %s |\n", prefix ? prefix : "", k->name,
                            want, k->dflt ? "`" : "", dflt, k->dflt ? "`" : "",
                            k->help ? k->help : "");
    }
    return err;
}
