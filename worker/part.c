/* part.c: writing and reading a shard's part (part.h). */
#include "tracefarm/part.h"

#include "tracefarm/text.h"
#include "tracefarm/zio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cap on one line of an items file: a verdict, plus with "keep_output" the
 * output's text, which the job caps at 2^30 bytes (max_line_bytes, or
 * max_response_bytes for a response; JSON escaping is no longer than the
 * text it came from). A part is written by our own worker, so a longer line
 * is damage. */
#define PART_LINE_MAX ((1UL << 30) + (16UL << 20))
/* A meta is read whole up to this size (it holds a statistics state). */
#define META_MAX (256UL << 20)

char *tf_part_path(const char *partdir, uint64_t id, const char *kind)
{
    size_t n = strlen(partdir) + strlen(kind) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/shard-%08" PRIu64 ".%s", partdir, id, kind);
    return p;
}

/* ----- writing ----------------------------------------------------------------- */

struct tf_part_writer {
    char *partdir;
    uint64_t id;
    char *path; /* the items file */
    char *tmp;  /* ... while written */
    FILE *f;
    uint64_t records, errors;
};

tf_err tf_part_create(const char *partdir, uint64_t id, tf_part_writer **out, tf_diag *d)
{
    *out = NULL;
    tf_part_writer *w = calloc(1, sizeof *w);
    if (!w)
        return TF_ERR_NOMEM;
    w->id = id;
    w->partdir = strdup(partdir);
    w->path = tf_part_path(partdir, id, "items");
    w->tmp = w->path ? malloc(strlen(w->path) + 5) : NULL;
    if (!w->partdir || !w->tmp) {
        tf_part_close(w, 0, 0, NULL, NULL, NULL);
        return TF_ERR_NOMEM;
    }
    sprintf(w->tmp, "%s.tmp", w->path); /* sized above */
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        tf_diag_set(d, "%s: cannot create: %s", w->tmp, strerror(errno));
        tf_part_close(w, 0, 0, NULL, NULL, NULL);
        return TF_ERR_IO;
    }
    *out = w;
    return TF_OK;
}

/* The members of an object as compact JSON without the braces. Caller
 * frees. */
static char *members_of(const cJSON *o, size_t *len)
{
    char *t = cJSON_PrintUnformatted(o);
    if (!t)
        return NULL;
    size_t n = strlen(t);
    if (n < 2 || t[0] != '{' || t[n - 1] != '}') {
        free(t);
        return NULL;
    }
    memmove(t, t + 1, n - 2);
    t[n - 2] = '\0';
    *len = n - 2;
    return t;
}

static tf_err put(tf_part_writer *w, tf_diag *d, const char *fmt, ...) TF_PRINTF(3, 4);

static tf_err put(tf_part_writer *w, tf_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int bad = vfprintf(w->f, fmt, ap) < 0;
    va_end(ap);
    if (bad) {
        tf_diag_set(d, "%s: cannot write: %s", w->tmp, strerror(errno));
        return TF_ERR_IO;
    }
    return TF_OK;
}

tf_err tf_part_item(tf_part_writer *w, uint64_t line, const cJSON *item, tf_diag *d)
{
    size_t n = 0;
    char *m = members_of(item, &n);
    if (!m)
        return TF_ERR_NOMEM;
    tf_err err = put(w, d, "%" PRIu64 "\tv\t%s\n", line, m);
    free(m);
    if (err == TF_OK)
        w->records++;
    return err;
}

tf_err tf_part_error(tf_part_writer *w, uint64_t line, const char *reason, const cJSON *members,
                     tf_diag *d)
{
    /* The reason may quote untrusted bytes (a prompt token, a server's
     * message, a cut diagnostic): outputs stay UTF-8. */
    char *safe = strdup(reason);
    if (!safe)
        return TF_ERR_NOMEM;
    tf_utf8_sanitize(safe);
    cJSON *s = cJSON_CreateString(safe);
    free(safe);
    char *esc = s ? cJSON_PrintUnformatted(s) : NULL; /* "..." */
    cJSON_Delete(s);
    size_t n = 0;
    char *m = esc ? members_of(members, &n) : NULL;
    tf_err err = m ? TF_OK : TF_ERR_NOMEM;
    if (err == TF_OK) {
        esc[strlen(esc) - 1] = '\0';
        err = put(w, d, "%" PRIu64 "\te\t%s\t%s\n", line, esc + 1, m);
    }
    free(esc);
    free(m);
    if (err == TF_OK) {
        w->records++;
        w->errors++;
    }
    return err;
}

uint64_t tf_part_records(const tf_part_writer *w)
{
    return w->records;
}

uint64_t tf_part_errors(const tf_part_writer *w)
{
    return w->errors;
}

/* The meta that marks the part complete, written atomically. */
static tf_err write_meta(const tf_part_writer *w, uint64_t lines, const tf_stats *stats,
                         const cJSON *fetch, tf_diag *d)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *st = tf_stats_state_json(stats);
    int ok = m && st && cJSON_AddNumberToObject(m, "shard", (double)w->id) &&
             cJSON_AddNumberToObject(m, "lines", (double)lines) &&
             cJSON_AddNumberToObject(m, "records", (double)w->records) &&
             cJSON_AddNumberToObject(m, "errors", (double)w->errors);
    if (ok && cJSON_AddItemToObject(m, "stats", st))
        st = NULL;
    else
        ok = 0;
    /* a reference: fetch stays the caller's */
    if (ok && fetch)
        ok = cJSON_AddItemReferenceToObject(m, "fetch", (cJSON *)fetch);
    char *js = ok ? cJSON_PrintUnformatted(m) : NULL;
    cJSON_Delete(st);
    cJSON_Delete(m);
    char *path = tf_part_path(w->partdir, w->id, "meta");
    tf_err err = (js && path) ? tf_write_atomic(path, js, strlen(js), d) : TF_ERR_NOMEM;
    free(js);
    free(path);
    return err;
}

tf_err tf_part_close(tf_part_writer *w, int commit, uint64_t lines, const tf_stats *stats,
                     const cJSON *fetch, tf_diag *d)
{
    if (!w)
        return TF_OK;
    tf_err err = TF_OK;
    if (w->f) {
        int bad = fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
        bad |= fclose(w->f) != 0;
        if (commit && bad) {
            tf_diag_set(d, "%s: cannot write: %s", w->tmp, strerror(errno));
            err = TF_ERR_IO;
        }
        if (commit && err == TF_OK && rename(w->tmp, w->path) != 0) {
            tf_diag_set(d, "%s: cannot rename: %s", w->path, strerror(errno));
            err = TF_ERR_IO;
        }
        if (!commit || err != TF_OK)
            unlink(w->tmp);
    }
    if (commit && err == TF_OK)
        err = write_meta(w, lines, stats, fetch, d);
    free(w->partdir);
    free(w->path);
    free(w->tmp);
    free(w);
    return err;
}

/* ----- reading -------------------------------------------------------------------- */

void tf_part_meta_clear(tf_part_meta *m)
{
    tf_stats_free(m->stats);
    cJSON_Delete(m->fetch);
    memset(m, 0, sizeof *m);
}

tf_err tf_part_read_meta(const char *partdir, uint64_t id, tf_part_meta *m, tf_diag *d)
{
    memset(m, 0, sizeof *m);
    char *path = tf_part_path(partdir, id, "meta");
    if (!path)
        return TF_ERR_NOMEM;
    char *text = tf_read_file(path, META_MAX, d);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    tf_err err = TF_OK;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(j, "lines");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "records");
    if (!j || !cJSON_IsNumber(l) || !cJSON_IsNumber(r)) {
        if (j || !d || d->msg[0] == '\0')
            tf_diag_set(d, "%s: corrupt part meta", path);
        err = text || j ? TF_ERR_PARSE : TF_ERR_IO;
    } else {
        m->lines = (uint64_t)l->valuedouble;
        m->records = (uint64_t)r->valuedouble;
        err = tf_stats_from_state(cJSON_GetObjectItemCaseSensitive(j, "stats"), &m->stats, d);
        if (err != TF_OK)
            tf_diag_prefix(d, "%s: ", path);
        m->fetch = cJSON_DetachItemFromObjectCaseSensitive(j, "fetch");
    }
    cJSON_Delete(j);
    free(path);
    if (err != TF_OK)
        tf_part_meta_clear(m);
    return err;
}

struct tf_part_reader {
    char *path;
    FILE *f;
    char *ln;
    size_t cap;
};

void tf_part_reader_free(tf_part_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->ln);
    free(r->path);
    free(r);
}

tf_err tf_part_open(const char *partdir, uint64_t id, tf_part_reader **out, tf_diag *d)
{
    *out = NULL;
    tf_part_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = tf_part_path(partdir, id, "items"))) {
        free(r);
        return TF_ERR_NOMEM;
    }
    r->f = fopen(r->path, "rb");
    if (!r->f) {
        tf_diag_set(d, "%s: cannot open: %s", r->path, strerror(errno));
        tf_part_reader_free(r);
        return TF_ERR_IO;
    }
    *out = r;
    return TF_OK;
}

tf_err tf_part_next(tf_part_reader *r, tf_part_line *out, tf_diag *d)
{
    ssize_t n = getline(&r->ln, &r->cap, r->f);
    if (n <= 0)
        return ferror(r->f) ? TF_ERR_IO : TF_ERR_EOF;
    char *s = r->ln;
    char *tab = NULL;
    out->line = strtoull(s, &tab, 10);
    int ok = (size_t)n <= PART_LINE_MAX && s[n - 1] == '\n' && tab && tab != s && tab[0] == '\t' &&
             (tab[1] == 'v' || tab[1] == 'e') && tab[2] == '\t';
    if (ok) {
        s[--n] = '\0';
        out->error = tab[1] == 'e';
        char *rest = tab + 3;
        out->reason = NULL;
        out->reason_len = 0;
        if (out->error) {
            char *t2 = strchr(rest, '\t');
            ok = t2 != NULL;
            if (ok) {
                out->reason = rest;
                out->reason_len = (size_t)(t2 - rest);
                rest = t2 + 1;
            }
        }
        out->members = rest;
        out->members_len = strlen(rest);
    }
    if (!ok) {
        tf_diag_set(d, "%s: corrupt part line", r->path);
        return TF_ERR_PARSE;
    }
    return TF_OK;
}
