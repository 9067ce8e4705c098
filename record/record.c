/* record.c: a corpus line into a record, and paths into records (record.h). */
#include "tracefarm/record.h"

#include "tracefarm/text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----- paths ------------------------------------------------------------- */

typedef struct step {
    char *key;  /* object member, or NULL for an array index */
    long index; /* array index (negative: from the end) */
} step;

struct tf_path {
    char *text;                    /* as written */
    size_t n;                      /* steps in use */
    step steps[TF_PATH_MAX_STEPS]; /* in order */
};

void tf_path_free(tf_path *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->steps[i].key);
    free(p->text);
    free(p);
}

const char *tf_path_text(const tf_path *p)
{
    return p->text;
}

/* Read "[N]" at *s into the next step. */
static tf_err compile_index(tf_path *p, const char **s, tf_diag *why)
{
    const char *q = *s + 1;
    char *end = NULL;
    errno = 0;
    long v = strtol(q, &end, 10);
    if (end == q || *end != ']' || errno != 0 || (*q != '-' && (*q < '0' || *q > '9'))) {
        tf_diag_set(why, "path \"%s\": \"[\" must be followed by an integer and \"]\"", p->text);
        return TF_ERR_SPEC;
    }
    p->steps[p->n].key = NULL;
    p->steps[p->n].index = v;
    p->n++;
    *s = end + 1;
    return TF_OK;
}

/* Read a key (up to an unescaped '.' or '[') at *s into the next step. */
static tf_err compile_key(tf_path *p, const char **s, tf_diag *why)
{
    size_t n = strlen(*s);
    char *key = malloc(n + 1);
    if (!key)
        return TF_ERR_NOMEM;
    size_t k = 0;
    const char *q = *s;
    while (*q && *q != '.' && *q != '[') {
        if (*q == '\\') {
            if (!q[1]) {
                free(key);
                tf_diag_set(why, "path \"%s\" ends with a lone backslash", p->text);
                return TF_ERR_SPEC;
            }
            q++;
        }
        key[k++] = *q++;
    }
    key[k] = '\0';
    if (k == 0) {
        free(key);
        tf_diag_set(why, "path \"%s\" has an empty key", p->text);
        return TF_ERR_SPEC;
    }
    p->steps[p->n].key = key;
    p->steps[p->n].index = 0;
    p->n++;
    *s = q;
    return TF_OK;
}

tf_err tf_path_compile(const char *text, tf_path **out, tf_diag *why)
{
    *out = NULL;
    if (!text || !*text || strlen(text) > TF_PATH_MAX_LEN) {
        tf_diag_set(why, "a path must be 1 to %d characters", TF_PATH_MAX_LEN);
        return TF_ERR_SPEC;
    }
    tf_path *p = calloc(1, sizeof *p);
    if (!p || !(p->text = strdup(text))) {
        free(p);
        return TF_ERR_NOMEM;
    }
    const char *s = text;
    tf_err err = TF_OK;
    while (err == TF_OK && *s) {
        if (p->n == TF_PATH_MAX_STEPS) {
            tf_diag_set(why, "path \"%s\" has more than %d steps", text, TF_PATH_MAX_STEPS);
            err = TF_ERR_SPEC;
        } else if (*s == '[') {
            err = compile_index(p, &s, why);
        } else {
            err = compile_key(p, &s, why);
        }
        /* after a step: the end, a '[', or a '.' followed by a key */
        if (err == TF_OK && *s == '.') {
            s++;
            if (!*s || *s == '.' || *s == '[') {
                tf_diag_set(why, "path \"%s\": a \".\" must be followed by a key", text);
                err = TF_ERR_SPEC;
            }
        } else if (err == TF_OK && *s && *s != '[') {
            tf_diag_set(why, "path \"%s\": unexpected \"%c\"", text, *s);
            err = TF_ERR_SPEC;
        }
    }
    if (err != TF_OK) {
        tf_path_free(p);
        return err;
    }
    *out = p;
    return TF_OK;
}

const cJSON *tf_path_get(const tf_path *p, const cJSON *v)
{
    for (size_t i = 0; v && i < p->n; i++) {
        const step *st = &p->steps[i];
        if (st->key) {
            v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, st->key) : NULL;
        } else if (cJSON_IsArray(v)) {
            long n = cJSON_GetArraySize(v);
            long at = st->index < 0 ? n + st->index : st->index;
            v = at >= 0 && at < n ? cJSON_GetArrayItem(v, (int)at) : NULL;
        } else {
            v = NULL;
        }
    }
    return v;
}

/* ----- records ------------------------------------------------------------ */

void tf_record_clear(tf_record *rec)
{
    cJSON_Delete(rec->json);
    cJSON_Delete(rec->group);
    free(rec->key);
    memset(rec, 0, sizeof *rec);
}

/* Offset of a \u0000 escape (an odd run of backslashes before "u0000"),
 * or len if there is none. */
static size_t nul_escape_at(const char *text, size_t len)
{
    for (size_t i = 0; i + 6 <= len; i++) {
        if (text[i] != '\\' || memcmp(text + i + 1, "u0000", 5) != 0)
            continue;
        size_t run = 1;
        while (run <= i && text[i - run] == '\\')
            run++;
        if (run % 2 == 1)
            return i;
    }
    return len;
}

/* Parse text into rec->json, or say why not. On trailing data rec->json
 * keeps the value (it still names the group). */
static void parse_json(const char *text, size_t len, tf_record *rec)
{
    const char *why = "bad_json";
    const char *nul = memchr(text, '\0', len);
    size_t bad;
    if (nul) {
        snprintf(rec->error, sizeof rec->error, "malformed JSON: NUL byte at column %zu",
                 (size_t)(nul - text) + 1);
    } else if ((bad = tf_utf8_invalid_at(text, len)) < len) {
        snprintf(rec->error, sizeof rec->error, "malformed JSON: invalid UTF-8 at column %zu",
                 bad + 1);
    } else if ((bad = nul_escape_at(text, len)) < len) {
        snprintf(rec->error, sizeof rec->error,
                 "a string holds \\u0000 (NUL) at column %zu, which is not accepted", bad + 1);
    } else {
        const char *end = NULL;
        rec->json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (!rec->json) {
            size_t col = end && end >= text ? (size_t)(end - text) + 1 : 1;
            snprintf(rec->error, sizeof rec->error, "malformed JSON near column %zu", col);
        } else {
            size_t rest = end ? (size_t)(text + len - end) : 0;
            while (rest && (*end == ' ' || *end == '\t' || *end == '\r')) {
                end++;
                rest--;
            }
            if (!rest)
                return;
            snprintf(rec->error, sizeof rec->error, "malformed JSON: trailing data at column %zu",
                     (size_t)(end - text) + 1);
        }
    }
    rec->error_kind = why;
}

/* The group key of v: the values at the group_by paths as a compact JSON
 * array (null where missing; long values replaced), and the same values as
 * an object keyed by the paths as written (*group: what an item shows, so
 * an item can be traced to its group without the record). */
static tf_err group_key(const tf_record_spec *spec, const cJSON *v, char **out, cJSON **group)
{
    *out = NULL;
    *group = NULL;
    if (spec->ngroup_by == 0)
        return TF_OK;
    cJSON *obj = cJSON_CreateObject();
    cJSON *arr = obj ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; arr && i < spec->ngroup_by; i++) {
        const cJSON *x = v ? tf_path_get(spec->group_by[i], v) : NULL;
        cJSON *dup = x ? cJSON_Duplicate(x, 1) : cJSON_CreateNull();
        if (dup && (cJSON_IsArray(dup) || cJSON_IsObject(dup))) {
            char *t = cJSON_PrintUnformatted(dup);
            if (t && strlen(t) > TF_RECORD_GROUP_VALUE_MAX) {
                cJSON_Delete(dup);
                dup = cJSON_CreateString("(value over 1024 bytes)");
            }
            free(t);
        } else if (dup && cJSON_IsString(dup) &&
                   strlen(dup->valuestring) > TF_RECORD_GROUP_VALUE_MAX) {
            cJSON_Delete(dup);
            dup = cJSON_CreateString("(value over 1024 bytes)");
        }
        cJSON *named = dup ? cJSON_Duplicate(dup, 1) : NULL;
        if (!named || !cJSON_AddItemToObject(obj, tf_path_text(spec->group_by[i]), named)) {
            cJSON_Delete(named);
            cJSON_Delete(dup);
            dup = NULL;
        }
        if (!dup || !cJSON_AddItemToArray(arr, dup)) {
            cJSON_Delete(dup);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    *out = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (!*out) {
        cJSON_Delete(obj);
        return TF_ERR_NOMEM;
    }
    *group = obj;
    return TF_OK;
}

tf_err tf_record_parse(const tf_record_spec *spec, const char *line, size_t len, tf_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->tokens = -1;
    if (line)
        parse_json(line, len, rec);
    tf_err err = group_key(spec, rec->json, &rec->key, &rec->group);
    if (err != TF_OK || !line)
        return err;
    if (rec->error_kind) {
        /* the value before trailing data only named the group */
        cJSON_Delete(rec->json);
        rec->json = NULL;
        return TF_OK;
    }
    if (!cJSON_IsObject(rec->json)) {
        rec->error_kind = "bad_record";
        snprintf(rec->error, sizeof rec->error, "record is not a JSON object");
        return TF_OK;
    }
    const cJSON *id = spec->id ? tf_path_get(spec->id, rec->json) : NULL;
    rec->id = cJSON_IsString(id) || cJSON_IsNumber(id) ? id : NULL;
    const cJSON *tok = spec->tokens ? tf_path_get(spec->tokens, rec->json) : NULL;
    if (cJSON_IsNumber(tok) && tok->valuedouble >= 0 &&
        tok->valuedouble <= (double)TF_RECORD_MAX_TOKENS &&
        tok->valuedouble == (double)(long)tok->valuedouble)
        rec->tokens = (long)tok->valuedouble;
    return TF_OK;
}
