/* plan.c: shard planning (plan.h; the split rules are in docs/corpus.md).
 *
 * The planner only groups: what a file holds comes from the corpus module
 * (corpus.h), its size for plain files and its frames, walked without
 * decompressing, for zstd files. The arithmetic here decides the shard
 * list, whose hash the journal keeps, so a change to it makes every
 * interrupted job refuse to resume.
 */
#include "tracefarm/plan.h"

#include "tracefarm/hash.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* Add frame size estimates without wrapping: a frame may declare an absurd
 * content size, which must close a shard, not reopen it. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct tf_plan {
    tf_shard *v;
    uint64_t *bytes; /* per shard: its uncompressed size as planned (not hashed) */
    size_t n, cap;
    uint64_t cut_records; /* tf_plan_create_limited: records the last shard reads; 0: all */
};

/* Append one shard of about ubytes uncompressed bytes. TF_ERR_NOMEM leaves
 * the plan as it was. */
static tf_err plan_push(tf_plan *p, uint32_t file, bool zstd, uint64_t begin, uint64_t end,
                        uint64_t ubytes)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *p->v)
            return TF_ERR_NOMEM;
        tf_shard *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return TF_ERR_NOMEM;
        p->v = v;
        uint64_t *b = realloc(p->bytes, cap * sizeof *b);
        if (!b)
            return TF_ERR_NOMEM;
        p->bytes = b;
        p->cap = cap;
    }
    p->bytes[p->n] = ubytes;
    p->v[p->n++] = (tf_shard){.file = file, .zstd = zstd ? 1 : 0, .begin = begin, .end = end};
    return TF_OK;
}

/* Plan one zstd file: consecutive frames are grouped until their estimated
 * uncompressed size reaches target. Skippable and empty frames join the
 * range they fall in (a range never ends after them alone); a trailing run
 * of them joins the previous shard.
 * Where the walk meets something that is not a whole frame, the rest of the
 * file joins the current range and the walk stops, so a corrupt or truncated
 * file still plans (its reader reports the damage). Fails only on a read
 * error (TF_ERR_IO naming the path) or TF_ERR_NOMEM. */
static tf_err plan_zstd(tf_plan *p, uint32_t file, const char *path, uint64_t target, tf_diag *d)
{
    tf_zwalk *w = NULL;
    tf_err e = tf_zwalk_open(path, &w, d);
    if (e != TF_OK)
        return e;
    size_t first = p->n;
    /* size: the end of the last frame, which is the file size (corpus.h) */
    uint64_t begin = 0, acc = 0, size = 0, prev_end = 0; /* prev_end: where the walk ended */
    bool data = false;                                   /* the open range holds a zstd frame */
    for (;;) {
        tf_zframe f;
        e = tf_zwalk_next(w, &f, d);
        if (e != TF_OK)
            break;
        size = f.end;
        if (f.kind == TF_ZFRAME_DAMAGED) {
            prev_end = f.begin;
            data = true; /* damaged data: the reader must see it */
            break;
        }
        if (f.kind == TF_ZFRAME_DATA && f.usize > 0)
            data = true; /* an empty frame counts as no data, like a skippable one */
        acc = sat_add(acc, f.usize);
        prev_end = f.end;
        if (acc >= target && data) {
            e = plan_push(p, file, true, begin, f.end, acc);
            if (e != TF_OK)
                break;
            begin = f.end;
            acc = 0;
            data = false;
        }
    }
    if (e == TF_ERR_EOF)
        e = TF_OK;
    if (e == TF_OK && begin < size) {
        if (!data && p->n > first) {
            p->v[p->n - 1].end = size; /* only skippable/empty frames left */
            p->bytes[p->n - 1] = sat_add(p->bytes[p->n - 1], acc);
        } else {
            /* what was not walked (damage) counts at its compressed size */
            e = plan_push(p, file, true, begin, size, sat_add(acc, size - prev_end));
        }
    }
    tf_zwalk_free(w);
    return e;
}

/* Plan one file (index file of the list) onto the end of p: frame
 * groups of a zstd file, byte ranges of a plain one. */
static tf_err plan_file(tf_plan *p, uint32_t file, const char *path, uint64_t target, tf_diag *d)
{
    tf_err e;
    if (tf_corpus_is_zstd(path)) {
        e = plan_zstd(p, file, path, target, d);
    } else {
        uint64_t size = 0;
        e = tf_corpus_file_size(path, &size, d);
        for (uint64_t b = 0; b < size && e == TF_OK;) {
            uint64_t end = size - b > target ? b + target : size;
            e = plan_push(p, file, false, b, end, end - b);
            b = end;
        }
    }
    if (e == TF_ERR_NOMEM)
        tf_diag_set(d, "%s: out of memory while planning shards", path);
    return e;
}

/* Plan all files in order. Planning reads only headers (zstd) or nothing
 * (plain); on failure nothing is returned and the diag names the file. A
 * target of 0 is no limit (UINT64_MAX): one shard per file, unless the sum
 * of a zstd file's frame sizes saturates (sat_add). */
tf_err tf_plan_create(const char *const *files, size_t nfiles, uint64_t target_bytes, tf_plan **out,
                      tf_diag *d)
{
    *out = NULL;
    if (nfiles > UINT32_MAX) {
        tf_diag_set(d, "too many corpus files (%zu)", nfiles);
        return TF_ERR_TOO_BIG;
    }
    uint64_t target = target_bytes ? target_bytes : UINT64_MAX;
    tf_plan *p = calloc(1, sizeof *p);
    if (!p)
        return TF_ERR_NOMEM;
    for (size_t i = 0; i < nfiles; i++) {
        tf_err e = plan_file(p, (uint32_t)i, files[i], target, d);
        if (e != TF_OK) {
            tf_plan_free(p);
            return e;
        }
    }
    *out = p;
    return TF_OK;
}

/* Results a reader gives for shard s of path, at most max: records,
 * over-long lines and read errors, as the worker turns each into one item
 * (a read error ends the shard, as it ends the worker's). */
static tf_err count_shard(const char *path, const tf_shard *s, size_t max_line, uint64_t max,
                          uint64_t *count, tf_diag *d)
{
    *count = 0;
    tf_reader *r = NULL;
    tf_err e = tf_reader_open(path, s, max_line, &r, d);
    while (e == TF_OK && *count < max) {
        const char *line;
        size_t len;
        uint64_t no;
        tf_diag why;
        why.msg[0] = '\0';
        tf_err x = tf_reader_next(r, &line, &len, &no, &why);
        if (x == TF_ERR_EOF)
            break;
        if (x == TF_OK || x == TF_ERR_TOO_BIG || x == TF_ERR_ZSTD || x == TF_ERR_IO)
            ++*count;
        else
            e = x;
        if (x == TF_ERR_IO)
            break;
    }
    tf_reader_free(r);
    return e;
}

/* The plan of a corpus cut to its first limit records (plan.h): files are
 * planned one at a time as tf_plan_create plans them, and the records of
 * each new shard counted until the limit is reached in some shard, which
 * becomes the last. Reading stops there: the records after the cut are
 * never read. */
tf_err tf_plan_create_limited(const char *const *files, size_t nfiles, uint64_t target_bytes,
                              uint64_t limit, size_t max_line, tf_plan **out, tf_diag *d)
{
    *out = NULL;
    if (limit == 0)
        return tf_plan_create(files, nfiles, target_bytes, out, d);
    if (nfiles > UINT32_MAX) {
        tf_diag_set(d, "too many corpus files (%zu)", nfiles);
        return TF_ERR_TOO_BIG;
    }
    tf_plan *p = calloc(1, sizeof *p);
    if (!p)
        return TF_ERR_NOMEM;
    uint64_t left = limit;
    tf_err e = TF_OK;
    for (size_t i = 0; e == TF_OK && i < nfiles && left > 0; i++) {
        size_t first = p->n;
        e = plan_file(p, (uint32_t)i, files[i], target_bytes ? target_bytes : UINT64_MAX, d);
        for (size_t k = first; e == TF_OK && k < p->n; k++) {
            uint64_t n = 0;
            e = count_shard(files[i], &p->v[k], max_line, left, &n, d);
            left -= e == TF_OK ? n : 0;
            if (e == TF_OK && left == 0) {
                p->n = k + 1; /* the cut: nothing after this shard */
                p->cut_records = n;
                break;
            }
        }
    }
    if (e != TF_OK) {
        tf_plan_free(p);
        return e;
    }
    *out = p;
    return TF_OK;
}

int tf_plan_cut(const tf_plan *p, uint64_t *shard, uint64_t *records)
{
    if (!p || !p->cut_records)
        return 0;
    *shard = p->n - 1;
    *records = p->cut_records;
    return 1;
}

/* Accessors of the plan: the count (0 for NULL) and the i-th shard (NULL
 * past the end), so callers never index out of range. */
size_t tf_plan_count(const tf_plan *p)
{
    return p ? p->n : 0;
}

const tf_shard *tf_plan_get(const tf_plan *p, size_t i)
{
    return p && i < p->n ? &p->v[i] : NULL;
}

uint64_t tf_plan_bytes(const tf_plan *p, size_t i)
{
    return p && i < p->n ? p->bytes[i] : 0;
}

/* Release a plan; NULL is accepted so error paths can free blindly. */
void tf_plan_free(tf_plan *p)
{
    if (!p)
        return;
    free(p->bytes);
    free(p->v);
    free(p);
}

/* Hash of every shard's file, kind and range, in plan order, and of the
 * cut when there is one (a plan without a cut hashes as it always has). */
uint64_t tf_plan_hash(const tf_plan *plan)
{
    uint64_t h = TF_FNV_SEED;
    for (size_t i = 0; i < tf_plan_count(plan); i++) {
        const tf_shard *s = tf_plan_get(plan, i);
        uint64_t v[4] = {s->file, s->zstd, s->begin, s->end};
        h = tf_fnv64(h, v, sizeof v);
    }
    if (plan && plan->cut_records)
        h = tf_fnv64(h, &plan->cut_records, sizeof plan->cut_records);
    return h;
}
