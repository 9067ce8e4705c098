/* arith_corpus.c: the problems of "tracefarm serve --arith-corpus FILE".
 *
 * A table question -> reference solution, read once at start from JSONL
 * (GSM8K's "question" and "answer" by default), and the search that finds
 * which known question a prompt asks: the prompt itself (surrounding
 * whitespace ignored), else the known question that starts last in it, as
 * a prompt template puts instructions around the question and a few-shot
 * prompt puts the question asked after its examples. Questions are
 * indexed by a polynomial hash of their first WINDOW bytes; the prompt's
 * windows are hashed from its end backwards (a rolling hash), each hit is
 * checked byte for byte, and the bytes compared are capped, so the search
 * is linear in the prompt whatever it holds. Every line, field and total
 * has a cap (serve.h), and a bad line is refused naming it.
 */
#include "arith_internal.h"
#include "tracefarm/hash.h"
#include "tracefarm/rng.h"
#include "tracefarm/serve.h"
#include "tracefarm/text.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 32                      /* bytes of a question's index key */
#define BASE UINT64_C(0x100000001b3)   /* of the rolling hash (odd) */
#define SEARCH_SLACK ((size_t)1 << 20) /* bytes compared beyond 4 x the prompt */
#define NONE UINT32_MAX

typedef struct qrec {
    char *q, *ref; /* owned, NUL-terminated */
    size_t qlen, rlen;
    uint32_t next; /* the next record with the same window key, NONE */
} qrec;

/* An open-addressing table from a 64-bit key to a record index. */
typedef struct itable {
    uint64_t *keys;
    uint32_t *vals; /* NONE: empty */
    size_t cap;     /* a power of two, or 0 */
    size_t n;
} itable;

struct tf_serve_arith {
    char *qfield, *afield; /* owned */
    qrec *recs;
    size_t n, cap;
    size_t dups;
    size_t bytes;
    itable full; /* FNV-1a of the whole question -> first record with it */
    itable win;  /* hash of the first WINDOW bytes -> last record added with it */
};

/* ----- index tables ---------------------------------------------------------- */

static void itable_free(itable *t)
{
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof *t);
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t itable_slot(const itable *t, uint64_t key)
{
    size_t i = (size_t)tf_mix64(key) & (t->cap - 1);
    while (t->vals[i] != NONE && t->keys[i] != key)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Room for one more key (doubling at half full). */
static tf_err itable_room(itable *t)
{
    if (t->cap && (t->n + 1) * 2 <= t->cap)
        return TF_OK;
    size_t nc = t->cap ? t->cap * 2 : 1024;
    itable nt = {malloc(nc * sizeof *nt.keys), malloc(nc * sizeof *nt.vals), nc, t->n};
    if (!nt.keys || !nt.vals) {
        itable_free(&nt);
        return TF_ERR_NOMEM;
    }
    for (size_t i = 0; i < nc; i++)
        nt.vals[i] = NONE;
    for (size_t i = 0; i < t->cap; i++)
        if (t->vals[i] != NONE) {
            size_t j = itable_slot(&nt, t->keys[i]);
            nt.keys[j] = t->keys[i];
            nt.vals[j] = t->vals[i];
        }
    itable_free(t);
    *t = nt;
    return TF_OK;
}

static uint32_t itable_get(const itable *t, uint64_t key)
{
    return t->cap ? t->vals[itable_slot(t, key)] : NONE;
}

/* ----- hashing -------------------------------------------------------------- */

/* sum of s[j] * BASE^j for j < WINDOW (mod 2^64): the window key. */
static uint64_t window_hash(const char *s)
{
    uint64_t h = 0, p = 1;
    for (size_t j = 0; j < WINDOW; j++) {
        h += (uint64_t)(unsigned char)s[j] * p;
        p *= BASE;
    }
    return h;
}

static uint64_t full_hash(const char *s, size_t n)
{
    return tf_fnv64(TF_FNV_SEED, s, n);
}

/* ----- the table ------------------------------------------------------------ */

tf_err tf_serve_arith_create(const char *qfield, const char *afield, tf_serve_arith **out)
{
    *out = NULL;
    tf_serve_arith *t = calloc(1, sizeof *t);
    if (!t)
        return TF_ERR_NOMEM;
    t->qfield = strdup(qfield ? qfield : "question");
    t->afield = strdup(afield ? afield : "answer");
    if (!t->qfield || !t->afield) {
        tf_serve_arith_free(t);
        return TF_ERR_NOMEM;
    }
    *out = t;
    return TF_OK;
}

void tf_serve_arith_free(tf_serve_arith *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->recs[i].q);
        free(t->recs[i].ref);
    }
    free(t->recs);
    itable_free(&t->full);
    itable_free(&t->win);
    free(t->qfield);
    free(t->afield);
    free(t);
}

size_t tf_serve_arith_count(const tf_serve_arith *t)
{
    return t ? t->n : 0;
}

size_t tf_serve_arith_duplicates(const tf_serve_arith *t)
{
    return t ? t->dups : 0;
}

const char *tf_serve_arith_question(const tf_serve_arith *t, size_t i, size_t *len)
{
    *len = t->recs[i].qlen;
    return t->recs[i].q;
}

const char *tf_serve_arith_reference(const tf_serve_arith *t, size_t i, size_t *len)
{
    *len = t->recs[i].rlen;
    return t->recs[i].ref;
}

/* The string field name of o, checked: non-empty, at most the cap, UTF-8.
 * NULL with *why set otherwise. */
static const char *text_field(const cJSON *o, const char *name, tf_err *e, tf_diag *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *e = TF_ERR_PARSE;
    if (!v) {
        tf_diag_set(d, "no field \"%s\"", name);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        tf_diag_set(d, "field \"%s\" is not a string", name);
        return NULL;
    }
    size_t n = strlen(v->valuestring);
    if (n == 0) {
        tf_diag_set(d, "field \"%s\" is empty", name);
        return NULL;
    }
    if (n > TF_SERVE_ARITH_MAX_TEXT) {
        *e = TF_ERR_TOO_BIG;
        tf_diag_set(d, "field \"%s\" is longer than %zu bytes", name, TF_SERVE_ARITH_MAX_TEXT);
        return NULL;
    }
    if (tf_utf8_invalid_at(v->valuestring, n) != n) {
        tf_diag_set(d, "field \"%s\" is not valid UTF-8", name);
        return NULL;
    }
    *e = TF_OK;
    return v->valuestring;
}

/* Keep a record (copies both texts) and index it. */
static tf_err keep(tf_serve_arith *t, const char *q, const char *ref, tf_diag *d)
{
    size_t qn = strlen(q), rn = strlen(ref);
    uint64_t fk = full_hash(q, qn);
    uint32_t seen = itable_get(&t->full, fk);
    if (seen != NONE && t->recs[seen].qlen == qn && memcmp(t->recs[seen].q, q, qn) == 0) {
        t->dups++; /* the first reference of a question wins */
        return TF_OK;
    }
    if (t->n >= (size_t)TF_SERVE_ARITH_MAX_RECORDS) {
        tf_diag_set(d, "more than %ld records", TF_SERVE_ARITH_MAX_RECORDS);
        return TF_ERR_TOO_BIG;
    }
    if (qn + rn + 2 > TF_SERVE_ARITH_MAX_BYTES - t->bytes) {
        tf_diag_set(d, "the questions and references pass %zu MiB", TF_SERVE_ARITH_MAX_BYTES >> 20);
        return TF_ERR_TOO_BIG;
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        qrec *nr = realloc(t->recs, nc * sizeof *nr);
        if (!nr)
            return TF_ERR_NOMEM;
        t->recs = nr;
        t->cap = nc;
    }
    if (itable_room(&t->full) != TF_OK || itable_room(&t->win) != TF_OK)
        return TF_ERR_NOMEM;
    qrec *r = &t->recs[t->n];
    r->q = strdup(q);
    r->ref = strdup(ref);
    if (!r->q || !r->ref) {
        free(r->q);
        free(r->ref);
        return TF_ERR_NOMEM;
    }
    r->qlen = qn;
    r->rlen = rn;
    r->next = NONE;
    uint32_t idx = (uint32_t)t->n;
    size_t j = itable_slot(&t->full, fk);
    if (t->full.vals[j] == NONE) { /* a second question with one hash is found
                                      by the window search only */
        t->full.keys[j] = fk;
        t->full.vals[j] = idx;
        t->full.n++;
    }
    if (qn >= WINDOW) {
        uint64_t wk = window_hash(q);
        j = itable_slot(&t->win, wk);
        if (t->win.vals[j] == NONE) {
            t->win.keys[j] = wk;
            t->win.n++;
        } else {
            r->next = t->win.vals[j];
        }
        t->win.vals[j] = idx;
    }
    t->n++;
    t->bytes += qn + rn + 2;
    return TF_OK;
}

tf_err tf_serve_arith_add_line(tf_serve_arith *t, const char *line, size_t len, tf_diag *d)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
        i++;
    if (i == len)
        return TF_OK; /* blank */
    if (len > TF_SERVE_ARITH_MAX_LINE) {
        tf_diag_set(d, "longer than %zu bytes", TF_SERVE_ARITH_MAX_LINE);
        return TF_ERR_TOO_BIG;
    }
    if (memchr(line, '\0', len)) {
        tf_diag_set(d, "a NUL byte");
        return TF_ERR_PARSE;
    }
    /* cJSON would cut a string at an escaped NUL: refuse it (an escaped
     * backslash before "u0000" is refused too, which is harmless) */
    for (size_t k = 0; k + 6 <= len; k++)
        if (line[k] == '\\' && memcmp(line + k + 1, "u0000", 5) == 0) {
            tf_diag_set(d, "a string holds \\u0000");
            return TF_ERR_PARSE;
        }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (!o) {
        tf_diag_set(d, "not valid JSON");
        return TF_ERR_PARSE;
    }
    tf_err e = TF_OK;
    for (const char *p = end; p && p < line + len && e == TF_OK; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            tf_diag_set(d, "text after the JSON value");
            e = TF_ERR_PARSE;
        }
    if (e == TF_OK && !cJSON_IsObject(o)) {
        tf_diag_set(d, "not a JSON object");
        e = TF_ERR_PARSE;
    }
    const char *q = NULL, *ref = NULL;
    if (e == TF_OK)
        q = text_field(o, t->qfield, &e, d);
    if (e == TF_OK)
        ref = text_field(o, t->afield, &e, d);
    if (e == TF_OK && !tf_srv_arith_has_final(ref, strlen(ref))) {
        tf_diag_set(d,
                    "field \"%s\" does not end with a line \"#### N\" (N one number), as GSM8K "
                    "solutions do",
                    t->afield);
        e = TF_ERR_PARSE;
    }
    if (e == TF_OK)
        e = keep(t, q, ref, d);
    cJSON_Delete(o);
    return e;
}

tf_err tf_serve_arith_load(const char *path, const char *qfield, const char *afield,
                           tf_serve_arith **out, tf_diag *d)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: %s", path, strerror(errno));
        return TF_ERR_IO;
    }
    tf_serve_arith *t = NULL;
    tf_err e = tf_serve_arith_create(qfield, afield, &t);
    tf_buf line;
    tf_buf_init(&line, TF_SERVE_ARITH_MAX_LINE);
    char *chunk = malloc(65536);
    long lineno = 1;
    if (e == TF_OK && !chunk)
        e = TF_ERR_NOMEM;
    while (e == TF_OK) {
        size_t got = fread(chunk, 1, 65536, f);
        if (got == 0)
            break;
        size_t b = 0;
        while (b < got && e == TF_OK) {
            const char *nl = memchr(chunk + b, '\n', got - b);
            size_t end = nl ? (size_t)(nl - chunk) : got;
            e = tf_buf_append(&line, chunk + b, end - b);
            if (e == TF_ERR_TOO_BIG) {
                tf_diag_set(d, "longer than %zu bytes", TF_SERVE_ARITH_MAX_LINE);
                break;
            }
            b = end;
            if (e != TF_OK || !nl)
                break;
            b++; /* the newline */
            e = tf_serve_arith_add_line(t, line.data ? line.data : "", line.len, d);
            if (e != TF_OK)
                break;
            tf_buf_reset(&line);
            lineno++;
        }
    }
    if (e == TF_OK && ferror(f)) {
        tf_diag_set(d, "read error: %s", strerror(errno));
        e = TF_ERR_IO;
        lineno = 0;
    }
    if (e == TF_OK && line.len) {
        e = tf_serve_arith_add_line(t, line.data, line.len, d); /* no final newline */
    }
    if (e == TF_OK && tf_serve_arith_count(t) == 0) {
        tf_diag_set(d, "no record");
        e = TF_ERR_PARSE;
        lineno = 0;
    }
    fclose(f);
    free(chunk);
    tf_buf_free(&line);
    if (e != TF_OK) {
        if (e == TF_ERR_NOMEM)
            tf_diag_set(d, "out of memory");
        if (lineno > 0)
            tf_diag_prefix(d, "%s:%ld: ", path, lineno);
        else
            tf_diag_prefix(d, "%s: ", path);
        tf_serve_arith_free(t);
        return e;
    }
    *out = t;
    return TF_OK;
}

/* ----- finding the question -------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

long tf_serve_arith_match(const tf_serve_arith *t, const char *p, size_t len)
{
    if (!t || !p || t->n == 0)
        return -1;
    /* the prompt is a question, as it is or without surrounding whitespace */
    size_t b = 0, e = len;
    while (b < e && is_ws(p[b]))
        b++;
    while (e > b && is_ws(p[e - 1]))
        e--;
    for (int k = 0; k < 2; k++) {
        size_t qb = k ? b : 0, qe = k ? e : len;
        uint32_t i = itable_get(&t->full, full_hash(p + qb, qe - qb));
        if (i != NONE && t->recs[i].qlen == qe - qb && memcmp(t->recs[i].q, p + qb, qe - qb) == 0)
            return (long)i;
    }
    if (len < WINDOW || t->win.n == 0)
        return -1;
    /* the question starting last in it: windows from the end backwards,
     * H(s) = s[0] + BASE * H(s + 1 ...) */
    uint64_t top = 1; /* BASE^(WINDOW-1) */
    for (int k = 1; k < WINDOW; k++)
        top *= BASE;
    size_t budget = 4 * len + SEARCH_SLACK;
    size_t pos = len - WINDOW;
    uint64_t h = window_hash(p + pos);
    for (;;) {
        long best = -1;
        for (uint32_t r = itable_get(&t->win, h); r != NONE; r = t->recs[r].next) {
            const qrec *q = &t->recs[r];
            size_t cost = q->qlen < len - pos ? q->qlen : len - pos;
            if (cost < WINDOW)
                cost = WINDOW;
            if (cost > budget)
                return -1;
            budget -= cost;
            if (q->qlen <= len - pos && memcmp(p + pos, q->q, q->qlen) == 0 &&
                (best < 0 || q->qlen > t->recs[best].qlen))
                best = (long)r;
        }
        if (best >= 0)
            return best;
        if (pos == 0)
            return -1;
        pos--;
        h = (uint64_t)(unsigned char)p[pos] +
            BASE * (h - (uint64_t)(unsigned char)p[pos + WINDOW] * top);
    }
}
