/* replay.c: recorded outputs for "tracefarm serve --replay FILE.jsonl".
 *
 * The file is read once at start into an open-addressing hash table keyed
 * by the exact prompt bytes. Lines are read through a capped buffer and
 * the total text kept is capped too, so a huge or hostile file fails with
 * a message instead of exhausting memory.
 */
#include "tracefarm/hash.h"
#include "tracefarm/serve.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_LIMIT ((size_t)64 << 20) /* one JSONL line */
#define TOTAL_LIMIT ((size_t)1 << 30) /* prompts + outputs kept */

typedef struct entry {
    char *prompt; /* NULL: empty slot */
    size_t plen;
    char *output;
} entry;

struct tf_serve_replay {
    entry *slots;
    size_t cap; /* a power of two */
    size_t count;
    size_t bytes;
};

/* The slot holding prompt, or the empty slot where it would go. */
static entry *slot_for(const tf_serve_replay *r, const char *p, size_t n)
{
    size_t i = (size_t)tf_fnv64(TF_FNV_SEED, p, n) & (r->cap - 1);
    for (;;) {
        entry *s = &r->slots[i];
        if (!s->prompt || (s->plen == n && memcmp(s->prompt, p, n) == 0))
            return s;
        i = (i + 1) & (r->cap - 1);
    }
}

/* Double the table when it is half full (linear probing stays short). */
static tf_err grow(tf_serve_replay *r)
{
    if (r->count * 2 < r->cap)
        return TF_OK;
    size_t ncap = r->cap ? r->cap * 2 : 1024;
    entry *old = r->slots;
    size_t ocap = r->cap;
    r->slots = calloc(ncap, sizeof *r->slots);
    if (!r->slots) {
        r->slots = old;
        return TF_ERR_NOMEM;
    }
    r->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].prompt)
            *slot_for(r, old[i].prompt, old[i].plen) = old[i];
    free(old);
    return TF_OK;
}

/* Add a pair (copies both); a prompt already present keeps its first
 * output. */
static tf_err add(tf_serve_replay *r, const char *prompt, size_t plen, const char *output)
{
    size_t olen = strlen(output);
    if (plen + olen + 2 > TOTAL_LIMIT - r->bytes)
        return TF_ERR_TOO_BIG;
    tf_err e = grow(r);
    if (e != TF_OK)
        return e;
    entry *s = slot_for(r, prompt, plen);
    if (s->prompt)
        return TF_OK;
    char *p = malloc(plen + 1), *o = malloc(olen + 1);
    if (!p || !o) {
        free(p);
        free(o);
        return TF_ERR_NOMEM;
    }
    memcpy(p, prompt, plen);
    p[plen] = '\0';
    memcpy(o, output, olen + 1);
    s->prompt = p;
    s->plen = plen;
    s->output = o;
    r->count++;
    r->bytes += plen + olen + 2;
    return TF_OK;
}

/* The content of the last message whose role is "user", or NULL. */
static const char *last_user(const cJSON *msgs)
{
    const char *found = NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (cJSON_IsString(role) && !strcmp(role->valuestring, "user") && cJSON_IsString(content))
            found = content->valuestring;
    }
    return found;
}

/* One line: prompt (or messages) and output (or text); or a lone beyond
 * "text" split at its "reasoning" token. */
static tf_err add_line(tf_serve_replay *r, const char *line, size_t len, long lineno, tf_diag *d)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        tf_diag_set(d, "line %ld: not a JSON object", lineno);
        return TF_ERR_PARSE;
    }
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "prompt");
    const cJSON *mv = cJSON_GetObjectItemCaseSensitive(o, "messages");
    const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, "output");
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(o, "text");
    const char *prompt = cJSON_IsString(pv)  ? pv->valuestring
                         : cJSON_IsArray(mv) ? last_user(mv)
                                             : NULL;
    const char *output = cJSON_IsString(ov) ? ov->valuestring : NULL;
    if (!output && cJSON_IsString(tv) && prompt)
        output = tv->valuestring;
    tf_err e = TF_OK;
    if (prompt && output) {
        e = add(r, prompt, strlen(prompt), output);
    } else if (!prompt && !pv && !mv && cJSON_IsString(tv)) {
        const char *t = tv->valuestring, *at = strstr(t, " reasoning");
        while (at && at[10] != '\0' && at[10] != ' ')
            at = strstr(at + 1, " reasoning");
        if (!at) {
            tf_diag_set(d, "line %ld: \"text\" has no \"reasoning\" to split at", lineno);
            e = TF_ERR_PARSE;
        } else {
            e = add(r, t, (size_t)(at - t), at + 1);
        }
    } else {
        tf_diag_set(d,
                    "line %ld: needs a string \"prompt\" (or \"messages\" with a user message) "
                    "and a string \"output\" (or \"text\")",
                    lineno);
        e = TF_ERR_PARSE;
    }
    if (e == TF_ERR_TOO_BIG)
        tf_diag_set(d, "line %ld: the recorded text passes the 1 GiB cap", lineno);
    else if (e == TF_ERR_NOMEM)
        tf_diag_set(d, "line %ld: out of memory", lineno);
    cJSON_Delete(o);
    return e;
}

/* Read the file line by line through a capped buffer. */
tf_err tf_serve_replay_load(const char *path, tf_serve_replay **out, tf_diag *d)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: %s", path, strerror(errno));
        return TF_ERR_IO;
    }
    tf_serve_replay *r = calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        return TF_ERR_NOMEM;
    }
    tf_buf line;
    tf_buf_init(&line, LINE_LIMIT);
    tf_err e = TF_OK;
    long lineno = 0;
    char chunk[65536];
    bool eof = false;
    while (e == TF_OK && !eof) {
        /* gather one line */
        tf_buf_reset(&line);
        lineno++;
        for (;;) {
            if (!fgets(chunk, sizeof chunk, f)) {
                eof = true;
                break;
            }
            size_t n = strlen(chunk);
            bool nl = n > 0 && chunk[n - 1] == '\n';
            if ((e = tf_buf_append(&line, chunk, nl ? n - 1 : n)) != TF_OK) {
                tf_diag_set(d, "line %ld: %s", lineno,
                            e == TF_ERR_TOO_BIG ? "longer than 64 MiB" : tf_strerror(e));
                break;
            }
            if (nl)
                break;
        }
        if (e != TF_OK)
            break;
        bool blank = true;
        for (size_t i = 0; i < line.len && blank; i++)
            blank = line.data[i] == ' ' || line.data[i] == '\t' || line.data[i] == '\r';
        if (!blank)
            e = add_line(r, line.data, line.len, lineno, d);
    }
    if (e == TF_OK && ferror(f)) {
        tf_diag_set(d, "read error: %s", strerror(errno));
        e = TF_ERR_IO;
    }
    fclose(f);
    tf_buf_free(&line);
    if (e != TF_OK) {
        tf_diag_prefix(d, "%s: ", path);
        tf_serve_replay_free(r);
        return e;
    }
    if (!r->slots && (e = grow(r)) != TF_OK) {
        tf_serve_replay_free(r);
        return e;
    }
    *out = r;
    return TF_OK;
}

void tf_serve_replay_free(tf_serve_replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++) {
        free(r->slots[i].prompt);
        free(r->slots[i].output);
    }
    free(r->slots);
    free(r);
}

const char *tf_serve_replay_find(const tf_serve_replay *r, const char *prompt, size_t len)
{
    if (!r || !r->slots || !prompt)
        return NULL;
    const entry *s = slot_for(r, prompt, len);
    return s->prompt ? s->output : NULL;
}

size_t tf_serve_replay_count(const tf_serve_replay *r)
{
    return r ? r->count : 0;
}
