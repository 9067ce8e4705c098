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

/* ----- the parts of a model output ---------------------------------------- */

/* The first occurrence of needle in the n bytes at hay, or NULL. */
static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    const char *end = hay + n;
    for (const char *p = hay; k <= (size_t)(end - p);) {
        const char *q = memchr(p, needle[0], (size_t)(end - p) - k + 1);
        if (!q)
            return NULL;
        if (memcmp(q, needle, k) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* Copy the reasoning (r, rn bytes) and the answer (a1 then a2) into
 * scratch, each NUL-terminated, and point out at the copies. */
static tf_err copy_parts(tf_buf *scratch, const char *r, size_t rn, const char *a1, size_t n1,
                         const char *a2, size_t n2, tf_parts *out)
{
    tf_err err = tf_buf_append(scratch, r, rn);
    if (err == TF_OK)
        err = tf_buf_append(scratch, "", 1); /* the reasoning's NUL */
    if (err == TF_OK)
        err = tf_buf_append(scratch, a1, n1);
    if (err == TF_OK)
        err = tf_buf_append(scratch, a2, n2);
    if (err != TF_OK)
        return err == TF_ERR_TOO_BIG ? TF_ERR_INTERNAL : err; /* the limit always fits */
    out->reasoning = scratch->data;
    out->reasoning_len = rn;
    out->answer = scratch->data + rn + 1;
    out->answer_len = n1 + n2;
    out->reasoning_from = "think";
    return TF_OK;
}

tf_err tf_parts_split(const char *text, size_t len, const char *reasoning, size_t rlen,
                      const char *from, tf_buf *scratch, tf_parts *out)
{
    static const char open[] = "<think>", close[] = "</think>";
    memset(out, 0, sizeof *out);
    out->reasoning_tokens = out->completion_tokens = -1;
    out->answer = text ? text : "";
    out->answer_len = text ? len : 0;
    if (reasoning && rlen > 0) {
        out->reasoning = reasoning;
        out->reasoning_len = rlen;
        out->reasoning_from = from;
        return TF_OK;
    }
    if (!text)
        return TF_OK;
    tf_buf_reset(scratch);
    scratch->limit = len + 2;
    const char *o = find(text, len, open);
    if (o) {
        const char *r = o + sizeof open - 1;
        const char *end = text + len;
        const char *c = find(r, (size_t)(end - r), close);
        if (!c)
            return copy_parts(scratch, r, (size_t)(end - r), text, (size_t)(o - text), "", 0, out);
        const char *after = c + sizeof close - 1;
        return copy_parts(scratch, r, (size_t)(c - r), text, (size_t)(o - text), after,
                          (size_t)(end - after), out);
    }
    const char *c = find(text, len, close);
    if (c) {
        const char *after = c + sizeof close - 1;
        return copy_parts(scratch, text, (size_t)(c - text), after, (size_t)(text + len - after),
                          "", 0, out);
    }
    return TF_OK;
}

/* ----- records ------------------------------------------------------------ */

void tf_record_clear(tf_record *rec)
{
    cJSON_Delete(rec->json);
    cJSON_Delete(rec->group);
    free(rec->key);
    free(rec->joined[0]);
    free(rec->joined[1]);
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

/* ----- the generic texts: prompt, output, reasoning ------------------------- */

#define WHY(buf, ...) snprintf(buf, TF_RECORD_WHY_LEN, __VA_ARGS__)

/* Where a record's chat messages supply the prompt and the output. */
typedef struct chat {
    const tf_path *path;         /* fields.messages */
    const cJSON *user;           /* the last "user" message, or NULL */
    const cJSON *asst;           /* the last "assistant" message after it, or NULL */
    int user_at, asst_at;        /* their indexes */
    int asst_before;             /* an "assistant" message came, but before the last "user" one */
    char why[TF_RECORD_WHY_LEN]; /* the list is missing or malformed: why; else "" */
} chat;

/* Find the last "user" message of the list at fields.messages, and the
 * last "assistant" message after it (the answer to that prompt). Every
 * element must be an object with a string "role"; other roles ("system",
 * "tool", ...) are passed over. */
static void find_chat(const tf_path *p, const cJSON *json, chat *c)
{
    memset(c, 0, sizeof *c);
    c->path = p;
    c->user_at = c->asst_at = -1;
    const cJSON *list = tf_path_get(p, json);
    if (!list) {
        WHY(c->why, "missing field \"%s\"", tf_path_text(p));
        return;
    }
    if (!cJSON_IsArray(list)) {
        WHY(c->why, "field \"%s\" must be a list of messages", tf_path_text(p));
        return;
    }
    int i = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, list)
    {
        const cJSON *role = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, "role") : NULL;
        if (!cJSON_IsString(role)) {
            WHY(c->why, "field \"%s\": message %d is not an object with a string \"role\"",
                tf_path_text(p), i);
            return;
        }
        if (strcmp(role->valuestring, "user") == 0) {
            c->user = m;
            c->user_at = i;
            c->asst_before = c->asst_before || c->asst != NULL;
            c->asst = NULL;
            c->asst_at = -1;
        } else if (strcmp(role->valuestring, "assistant") == 0) {
            c->asst = m;
            c->asst_at = i;
        }
        i++;
    }
}

/* A content part that holds text: {"type": "text", "text": ...} (OpenAI's
 * Responses API says "input_text" and "output_text"). */
static int text_part(const cJSON *type)
{
    return strcmp(type->valuestring, "text") == 0 || strcmp(type->valuestring, "input_text") == 0 ||
           strcmp(type->valuestring, "output_text") == 0;
}

/* The content of message m (number at in the list) as text into *out: a
 * string, or a list of parts whose text parts are joined with "\n" into
 * rec->joined[slot] (capped at cap bytes; other parts, such as images, are
 * skipped); null or absent content sets *none. TF_ERR_PARSE with the
 * reason in why for content of another shape; TF_ERR_NOMEM. */
static tf_err content_text(const chat *c, const cJSON *m, int at, tf_record *rec, int slot,
                           size_t cap, tf_text *out, int *none, char *why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "content");
    *none = 0;
    if (cJSON_IsString(v)) {
        *out = (tf_text){v->valuestring, strlen(v->valuestring)};
        return TF_OK;
    }
    if (!v || cJSON_IsNull(v)) {
        *none = 1;
        *out = (tf_text){"", 0};
        return TF_OK;
    }
    int ok = cJSON_IsArray(v);
    tf_buf b;
    tf_buf_init(&b, cap);
    tf_err err = ok ? tf_buf_append(&b, "", 0) : TF_OK;
    size_t texts = 0;
    const cJSON *part;
    for (part = ok ? v->child : NULL; part && ok && err == TF_OK; part = part->next) {
        const cJSON *type =
            cJSON_IsObject(part) ? cJSON_GetObjectItemCaseSensitive(part, "type") : NULL;
        ok = cJSON_IsString(type);
        if (!ok || !text_part(type))
            continue;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        ok = cJSON_IsString(t);
        if (ok && texts++ > 0)
            err = tf_buf_append(&b, "\n", 1);
        if (ok && err == TF_OK)
            err = tf_buf_puts(&b, t->valuestring);
    }
    if (err != TF_OK || !ok) {
        tf_buf_free(&b);
        if (err == TF_ERR_NOMEM)
            return err;
        WHY(why,
            "field \"%s\": the content of message %d must be a string or a list of "
            "{\"type\", \"text\"} parts",
            tf_path_text(c->path), at);
        return TF_ERR_PARSE;
    }
    rec->joined[slot] = b.data;
    *out = (tf_text){b.data, b.len};
    return TF_OK;
}

/* A string at path p into *out, or the reason in why (null_ok: null is the
 * empty text). */
static void string_at(const tf_path *p, const cJSON *json, int null_ok, tf_text *out, char *why)
{
    const cJSON *v = tf_path_get(p, json);
    if (cJSON_IsString(v))
        *out = (tf_text){v->valuestring, strlen(v->valuestring)};
    else if (cJSON_IsNull(v) && null_ok)
        *out = (tf_text){"", 0};
    else if (!v)
        WHY(why, "missing field \"%s\"", tf_path_text(p));
    else
        WHY(why, "field \"%s\" must be a string", tf_path_text(p));
}

/* The prompt: fields.prompt, else the last user message. */
static tf_err read_prompt(const tf_record_spec *spec, const chat *c, tf_record *rec, size_t cap)
{
    if (spec->prompt) {
        string_at(spec->prompt, rec->json, 0, &rec->prompt, rec->prompt_why);
        return TF_OK;
    }
    if (!spec->messages) {
        WHY(rec->prompt_why, "the job reads no prompt (\"fields.prompt\" is null)");
        return TF_OK;
    }
    if (c->why[0]) {
        WHY(rec->prompt_why, "%s", c->why);
        return TF_OK;
    }
    if (!c->user) {
        WHY(rec->prompt_why, "field \"%s\" has no \"user\" message", tf_path_text(c->path));
        return TF_OK;
    }
    int none;
    tf_err err =
        content_text(c, c->user, c->user_at, rec, 0, cap, &rec->prompt, &none, rec->prompt_why);
    if (err == TF_OK && none) {
        rec->prompt.p = NULL;
        WHY(rec->prompt_why, "field \"%s\": message %d (the last \"user\" message) has no content",
            tf_path_text(c->path), c->user_at);
    }
    return err == TF_ERR_PARSE ? TF_OK : err;
}

/* A reasoning value: a string that is not empty is the reasoning part;
 * "" and null are none; anything else is refused (0, reason in why). */
static int take_reasoning(const cJSON *v, const char *from, tf_record *rec)
{
    if (cJSON_IsString(v) && v->valuestring[0]) {
        rec->reasoning = (tf_text){v->valuestring, strlen(v->valuestring)};
        rec->reasoning_from = from;
    }
    return cJSON_IsString(v) || cJSON_IsNull(v);
}

/* The output and its reasoning: fields.output (with fields.reasoning),
 * else the last assistant message after the prompt (with its
 * reasoning_content or reasoning, unless fields.reasoning names one). A
 * null output is the empty output when a reasoning comes with it (a
 * response cut inside its reasoning has no content yet), as it is for an
 * endpoint's responses. */
static tf_err read_output(const tf_record_spec *spec, const chat *c, tf_record *rec, size_t cap)
{
    if (spec->output && !tf_path_get(spec->output, rec->json)) {
        WHY(rec->output_why, "missing field \"%s\"", tf_path_text(spec->output));
        return TF_OK; /* named first: a failed batch line lacks both */
    }
    if (spec->reasoning) {
        const cJSON *v = tf_path_get(spec->reasoning, rec->json);
        if (!v) {
            WHY(rec->output_why, "missing field \"%s\"", tf_path_text(spec->reasoning));
            return TF_OK;
        }
        if (!take_reasoning(v, "field", rec)) {
            WHY(rec->output_why, "field \"%s\" must be a string or null",
                tf_path_text(spec->reasoning));
            return TF_OK;
        }
    }
    if (spec->output) {
        string_at(spec->output, rec->json, rec->reasoning.p != NULL, &rec->output, rec->output_why);
        return TF_OK;
    }
    if (!spec->messages) {
        WHY(rec->output_why, "the job reads no output (\"fields.output\" is null)");
        return TF_OK;
    }
    if (c->why[0]) {
        WHY(rec->output_why, "%s", c->why);
        return TF_OK;
    }
    if (!c->asst) {
        WHY(rec->output_why, "field \"%s\" has no \"assistant\" message%s", tf_path_text(c->path),
            c->asst_before ? " after its last \"user\" message" : "");
        return TF_OK;
    }
    if (!spec->reasoning) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(c->asst, "reasoning_content");
        if (!cJSON_IsString(r) || !r->valuestring[0])
            r = cJSON_GetObjectItemCaseSensitive(c->asst, "reasoning");
        (void)take_reasoning(r, "messages", rec); /* only strings count, as for an endpoint */
    }
    int none;
    tf_err err =
        content_text(c, c->asst, c->asst_at, rec, 1, cap, &rec->output, &none, rec->output_why);
    if (err == TF_OK && none && !rec->reasoning.p) {
        rec->output.p = NULL;
        WHY(rec->output_why,
            "field \"%s\": message %d (the last \"assistant\" message) has no content",
            tf_path_text(c->path), c->asst_at);
    }
    if (err == TF_ERR_PARSE || !rec->output.p) {
        rec->reasoning = (tf_text){NULL, 0}; /* no output, no reasoning */
        rec->reasoning_from = NULL;
    }
    return err == TF_ERR_PARSE ? TF_OK : err;
}

/* The record's prompt, output and reasoning (record.h). Joined texts are
 * capped at cap bytes, the line's length: they cannot be longer. */
static tf_err read_texts(const tf_record_spec *spec, tf_record *rec, size_t cap)
{
    chat c;
    memset(&c, 0, sizeof c);
    if (spec->messages && (!spec->prompt || !spec->output))
        find_chat(spec->messages, rec->json, &c);
    tf_err err = read_prompt(spec, &c, rec, cap);
    if (err == TF_OK)
        err = read_output(spec, &c, rec, cap);
    if (!rec->output.p) {
        rec->reasoning = (tf_text){NULL, 0};
        rec->reasoning_from = NULL;
    }
    return err;
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
    return read_texts(spec, rec, len + 1);
}

void tf_record_output(const tf_record *rec, tf_text own, tf_text *output, tf_text *reasoning,
                      const char **from, const char **why)
{
    *reasoning = (tf_text){NULL, 0};
    *from = NULL;
    *why = "";
    if (own.p) {
        *output = own;
        return;
    }
    *output = rec->output;
    if (!output->p) {
        *why = rec->output_why[0] ? rec->output_why : "record has no model output";
        return;
    }
    if (rec->reasoning.p) {
        *reasoning = rec->reasoning;
        *from = rec->reasoning_from;
    }
}
