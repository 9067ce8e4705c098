/* test_corpus.c: shard reading, the frame walk and sampling (corpus.h) on
 * real files.
 *
 * The core is a property check: for a file (plain or zstd, frames aligned
 * to lines or cut anywhere) and many shard sizes, the records of all shards
 * read in order equal what a naive reader finds in the uncompressed bytes,
 * with the same line numbers, and the shards' line counts add up to the
 * file's. The expected values come from that naive reader, never from the
 * code under test. The shards come from the planner (plan.h), because
 * those are the splits a job reads; the planner's own arithmetic is checked
 * in test_plan.c.
 *
 * TF_CORPUS_BIG=0 skips the large-file test (>= 200 MB single frame, peak
 * RSS and throughput); it runs by default.
 */
#include "tracefarm/plan.h"

#include "corpus_files.h"
#include "tf_test.h"

#include <zstd.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* the reference: a naive reader of the uncompressed bytes                */
/* ---------------------------------------------------------------------- */

enum { EV_REC, EV_BIG, EV_ERR };

typedef struct ev {
    int kind;
    uint64_t lineno; /* global, 1-based */
    const unsigned char *p;
    size_t len;
} ev;

typedef struct evs {
    ev *v;
    size_t n, cap;
    uint64_t lines;
    vec msgs; /* read events: each error's message and '\n', in order */
} evs;

static void evs_add(evs *e, int kind, uint64_t lineno, const void *p, size_t len)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 64;
        e->v = realloc(e->v, e->cap * sizeof *e->v);
        if (!e->v)
            exit(2);
    }
    e->v[e->n++] = (ev){kind, lineno, p, len};
}

static void evs_free(evs *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].kind == EV_REC && e->v[i].p && e->v[i].len)
            free((void *)e->v[i].p); /* read events own copies */
    free(e->v);
    free(e->msgs.p);
    memset(e, 0, sizeof *e);
}

static bool ref_blank(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n\f\v", p[i]) || p[i] == '\0')
            return false;
    return true;
}

/* Lines of data per the documented rules; events point into data. Only
 * lines that end with '\n' count when complete_only (a truncated tail).
 * marks (sorted offsets into data, may be NULL) are bytes that stand for
 * the unreadable rest of a damaged frame: a line holding k of them gives k
 * errors at its line number and nothing else. */
static void reference_marked(const unsigned char *data, size_t n, const size_t *marks,
                             size_t nmarks, size_t max_line, bool complete_only, evs *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0, m = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && data[j] != '\n')
            j++;
        if (j == n && complete_only)
            break;
        uint64_t no = ++out->lines;
        size_t len = j - i, k = 0;
        while (m < nmarks && marks[m] < j) {
            k++;
            m++;
        }
        if (len && data[i + len - 1] == '\r')
            len--;
        if (k) {
            while (k--)
                evs_add(out, EV_ERR, no, NULL, TF_ERR_ZSTD);
        } else if (len > max_line)
            evs_add(out, EV_BIG, no, NULL, 0);
        else if (!ref_blank(data + i, len))
            evs_add(out, EV_REC, no, data + i, len);
        i = j + 1;
    }
}

static void reference(const unsigned char *data, size_t n, size_t max_line, bool complete_only,
                      evs *out)
{
    reference_marked(data, n, NULL, 0, max_line, complete_only, out);
}

/* ---------------------------------------------------------------------- */
/* reading a whole plan                                                   */
/* ---------------------------------------------------------------------- */

typedef struct got {
    evs e;           /* events with global line numbers (records copied) */
    uint64_t lines;  /* sum of tf_reader_lines */
    size_t nshards;  /* shards in the plan */
    bool plan_ok;    /* contiguous cover of [0, size), ordered, flagged */
    bool lineno_ok;  /* local numbers increase and are 1-based */
    char diag[1024]; /* last error message */
    uint64_t err_at; /* global line of the error */
    tf_err plan_err; /* result of tf_plan_create */
} got;

static uint64_t file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long s = ftell(f);
    fclose(f);
    return s > 0 ? (uint64_t)s : 0;
}

/* Is x one of the allowed boundaries (sorted)? NULL allows any. */
static bool allowed(const uint64_t *b, size_t nb, uint64_t x)
{
    if (!b)
        return true;
    for (size_t i = 0; i < nb; i++)
        if (b[i] == x)
            return true;
    return false;
}

/* Plan path with target, read every shard in order and collect events. */
static void read_plan(const char *path, uint64_t target, size_t max_line, const uint64_t *bounds,
                      size_t nbounds, got *g)
{
    memset(g, 0, sizeof *g);
    g->plan_ok = true;
    g->lineno_ok = true;
    tf_plan *plan = NULL;
    tf_diag d = {{0}};
    const char *files[1] = {path};
    g->plan_err = tf_plan_create(files, 1, target, &plan, &d);
    if (g->plan_err != TF_OK) {
        snprintf(g->diag, sizeof g->diag, "%s", d.msg);
        return;
    }
    uint64_t size = file_size(path);
    bool z = tf_corpus_is_zstd(path);
    g->nshards = tf_plan_count(plan);
    uint64_t expect_begin = 0;
    for (size_t i = 0; i < g->nshards; i++) {
        const tf_shard *s = tf_plan_get(plan, i);
        if (s->file != 0 || s->zstd != z || s->begin != expect_begin || s->end <= s->begin ||
            !allowed(bounds, nbounds, s->begin))
            g->plan_ok = false;
        expect_begin = s->end;
        tf_reader *r = NULL;
        if (tf_reader_open(path, s, max_line, &r, &d) != TF_OK) {
            g->plan_ok = false;
            snprintf(g->diag, sizeof g->diag, "%s", d.msg);
            continue;
        }
        uint64_t base = g->lines, prev = 0;
        for (size_t guard = 0;; guard++) {
            if (guard > 10000000) { /* the reader must end */
                g->lineno_ok = false;
                break;
            }
            const char *line;
            size_t len;
            uint64_t no;
            tf_err e = tf_reader_next(r, &line, &len, &no, &d);
            if (e == TF_ERR_EOF)
                break;
            if (e == TF_OK || e == TF_ERR_TOO_BIG) {
                if (no <= prev)
                    g->lineno_ok = false;
                prev = no;
            }
            if (e == TF_OK) {
                void *copy = NULL;
                if (len) {
                    copy = malloc(len);
                    memcpy(copy, line, len);
                }
                if (line[len] != '\0')
                    g->lineno_ok = false;
                evs_add(&g->e, EV_REC, base + no, copy, len);
            } else if (e == TF_ERR_TOO_BIG) {
                evs_add(&g->e, EV_BIG, base + no, NULL, 0);
            } else {
                evs_add(&g->e, EV_ERR, base + no, NULL, (size_t)e);
                snprintf(g->diag, sizeof g->diag, "%s", d.msg);
                vec_add(&g->e.msgs, d.msg, strlen(d.msg));
                vec_byte(&g->e.msgs, '\n');
                g->err_at = base + no;
                /* damage may share the line of earlier damage, never an
                 * earlier one */
                if (no < prev)
                    g->lineno_ok = false;
                prev = no;
                if (e == TF_ERR_ZSTD)
                    continue; /* reading resumes at the next frame */
                /* after a read error: EOF, and again EOF */
                if (tf_reader_next(r, &line, &len, &no, &d) != TF_ERR_EOF ||
                    tf_reader_next(r, &line, &len, &no, &d) != TF_ERR_EOF)
                    g->lineno_ok = false;
                break;
            }
        }
        if (tf_reader_lines(r) < prev)
            g->lineno_ok = false;
        g->lines += tf_reader_lines(r);
        tf_reader_free(r);
    }
    if (g->nshards && expect_begin != size)
        g->plan_ok = false;
    tf_plan_free(plan);
}

/* Compare events; print the first difference. */
static bool same_events(const evs *want, const evs *have, const char *what)
{
    size_t n = want->n < have->n ? want->n : have->n;
    for (size_t i = 0; i < n; i++) {
        const ev *a = &want->v[i], *b = &have->v[i];
        if (a->kind != b->kind || a->lineno != b->lineno || a->len != b->len ||
            (a->kind == EV_REC && a->len && memcmp(a->p, b->p, a->len) != 0)) {
            fprintf(stderr,
                    "%s: event %zu differs: want kind %d line %" PRIu64 " len %zu, have kind %d "
                    "line %" PRIu64 " len %zu\n",
                    what, i, a->kind, a->lineno, a->len, b->kind, b->lineno, b->len);
            return false;
        }
    }
    if (want->n != have->n) {
        fprintf(stderr, "%s: %zu events wanted, %zu read\n", what, want->n, have->n);
        return false;
    }
    return true;
}

/* The property: for many shard sizes, all shards together give exactly the
 * expected events (records, over-long lines and errors, at their lines),
 * the same error messages, and the expected line count. n is the size of
 * the uncompressed data (some shard sizes are derived from it). */
static void check_partition_want(const char *path, const evs *wantp, size_t n,
                                 const uint64_t *bounds, size_t nbounds, size_t max_line,
                                 bool expect_one_shard, const char *what)
{
    const evs want = *wantp;
    vec msgs = {0};
    bool have_msgs = false;
    uint64_t size = file_size(path);
    uint64_t targets[] = {1,     2,        3,    5,          7,          16,
                          100,   333,      1000, 4096,       10000,      n / 7 + 1,
                          n / 2, n - 1,    n,    n + 1,      10 * n + 1, size / 3 + 1,
                          size,  size + 1, 0,    UINT64_MAX, 65536,      (uint64_t)1 << 20};
    size_t mult = 0;
    for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
        if (!tf_corpus_is_zstd(path) && targets[t] && size / targets[t] > 20000)
            continue; /* keep the suite fast: at most ~20k plain shards */
        got g;
        char label[256];
        snprintf(label, sizeof label, "%s target %" PRIu64, what, targets[t]);
        read_plan(path, targets[t], max_line, bounds, nbounds, &g);
        CHECKF(g.plan_err == TF_OK, "%s: %s", label, g.diag);
        CHECKF(g.plan_ok, "%s: shards do not tile the file", label);
        CHECKF(g.lineno_ok, "%s: local line numbers", label);
        CHECKF(same_events(&want, &g.e, label), "%s: records differ", label);
        CHECKF(g.lines == want.lines, "%s: %" PRIu64 " lines, want %" PRIu64, label, g.lines,
               want.lines);
        CHECKF(size == 0 || g.nshards >= 1, "%s: no shard", label);
        if (expect_one_shard)
            CHECKF(g.nshards == 1, "%s: %zu shards, want 1", label, g.nshards);
        if (g.nshards > 1)
            mult++;
        if (!have_msgs) {
            vec_add(&msgs, g.e.msgs.p, g.e.msgs.n);
            have_msgs = true;
        } else {
            CHECKF(msgs.n == g.e.msgs.n && (!msgs.n || !memcmp(msgs.p, g.e.msgs.p, msgs.n)),
                   "%s: error messages differ from the first split's", label);
        }
        evs_free(&g.e);
    }
    if (!expect_one_shard)
        CHECKF(mult > 0, "%s: never split into more than one shard", what);
    free(msgs.p);
}

/* check_partition_want against the naive reader of undamaged data. */
static void check_partition(const char *path, const unsigned char *data, size_t n,
                            const uint64_t *bounds, size_t nbounds, size_t max_line,
                            bool expect_one_shard, const char *what)
{
    evs want;
    reference(data, n, max_line, false, &want);
    check_partition_want(path, &want, n, bounds, nbounds, max_line, expect_one_shard, what);
    free(want.v);
}

/* ---------------------------------------------------------------------- */
/* property tests                                                         */
/* ---------------------------------------------------------------------- */

/* Multi-frame file over text with frames cut at the given uncompressed
 * offsets; records the compressed frame offsets in bounds. Skippable and
 * empty frames are sprinkled in when extras. */
static void build_frames(const vec *text, const size_t *cuts, size_t ncuts, bool extras, vec *out,
                         uint64_t *bounds, size_t *nbounds)
{
    size_t prev = 0;
    *nbounds = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : text->n;
        if (to < prev)
            to = prev;
        if (extras && rndn(6) == 0) {
            bounds[(*nbounds)++] = out->n;
            add_skippable(out, (unsigned)rndn(16), rndn(40));
        }
        if (extras && rndn(10) == 0) {
            bounds[(*nbounds)++] = out->n;
            add_frame(out, "", 0, 1, rndn(2), rndn(2)); /* an empty frame */
        }
        bounds[(*nbounds)++] = out->n;
        add_frame(out, text->p + prev, to - prev, 1 + (int)rndn(3), rndn(3) != 0, rndn(2));
        prev = to;
    }
    if (extras) {
        bounds[(*nbounds)++] = out->n;
        add_skippable(out, 0, 5);
    }
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void test_property(uint64_t seed, size_t nlines, size_t maxlen, size_t max_line)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    vec text = {0};
    gen_text(&text, nlines, maxlen, seed % 2 == 0);
    /* one long line spanning several small frames without a newline */
    size_t long_at = text.n;
    vec_add(&text, "\n", 1);
    for (size_t i = 0; i < 300; i++)
        vec_byte(&text, (unsigned char)('a' + i % 26));
    vec_add(&text, "\n", 1);
    gen_text(&text, nlines / 4 + 1, maxlen, seed % 3 != 0);

    char path[512], what[128];
    uint64_t *bounds = malloc((text.n + 64) * 3 * sizeof *bounds);
    size_t nb;

    /* plain */
    snprintf(what, sizeof what, "plain seed %" PRIu64, seed);
    tmp_path(path, sizeof path, "prop.jsonl");
    write_file(path, text.p, text.n);
    check_partition(path, text.p, text.n, NULL, 0, max_line, false, what);

    /* single frame */
    vec z = {0};
    size_t nocut = 0;
    build_frames(&text, &nocut, 0, false, &z, bounds, &nb);
    snprintf(what, sizeof what, "single-frame seed %" PRIu64, seed);
    tmp_path(path, sizeof path, "prop1.jsonl.zst");
    write_file(path, z.p, z.n);
    check_partition(path, text.p, text.n, bounds, nb, max_line, true, what);

    /* line-aligned frames: cut after some newlines */
    size_t *cuts = malloc((text.n + 1) * sizeof *cuts);
    size_t nc = 0;
    for (size_t i = 0; i < text.n; i++)
        if (text.p[i] == '\n' && rndn(4) == 0)
            cuts[nc++] = i + 1;
    z.n = 0;
    build_frames(&text, cuts, nc, false, &z, bounds, &nb);
    snprintf(what, sizeof what, "aligned seed %" PRIu64, seed);
    tmp_path(path, sizeof path, "propa.jsonl.zst");
    write_file(path, z.p, z.n);
    check_partition(path, text.p, text.n, bounds, nb, max_line, nc == 0, what);

    /* cut anywhere: random cuts, some 1-3 bytes apart, several inside the
     * long line (frames with no newline), skippable and empty frames */
    nc = 0;
    for (size_t i = 0; i < 12; i++)
        cuts[nc++] = rndn(text.n + 1);
    for (size_t i = 0; i < 5; i++)
        cuts[nc++] = long_at + 2 + 50 * i + rndn(20);
    size_t x = rndn(text.n + 1);
    cuts[nc++] = x;
    cuts[nc++] = x + 1 <= text.n ? x + 1 : x;
    cuts[nc++] = x + 3 <= text.n ? x + 3 : x;
    for (size_t i = 0; i < text.n && nc < 40; i++)
        if (text.p[i] == '\n' && rndn(16) == 0)
            cuts[nc++] = i + (rndn(2) ? 0 : 1); /* just before or after a '\n' */
    qsort(cuts, nc, sizeof *cuts, cmp_size);
    z.n = 0;
    build_frames(&text, cuts, nc, true, &z, bounds, &nb);
    snprintf(what, sizeof what, "unaligned seed %" PRIu64, seed);
    tmp_path(path, sizeof path, "propu.jsonl.zst");
    write_file(path, z.p, z.n);
    check_partition(path, text.p, text.n, bounds, nb, max_line, false, what);

    free(cuts);
    free(z.p);
    free(bounds);
    free(text.p);
}

/* Frames written by the zstd tool itself: `split -b` + `zstd` + `cat`, with
 * and without content sizes. */
static void test_cli(void)
{
    if (access("/usr/bin/zstd", X_OK) != 0 || access("/usr/bin/split", X_OK) != 0) {
        printf("skip: zstd or split not installed\n");
        return;
    }
    rng_state = 77;
    vec text = {0};
    gen_text(&text, 400, 120, false);
    char plain[512], zst[512], cmd[2048];
    tmp_path(plain, sizeof plain, "cli.jsonl");
    write_file(plain, text.p, text.n);
    for (int nosize = 0; nosize < 2; nosize++) {
        tmp_path(zst, sizeof zst, nosize ? "cli_ns.jsonl.zst" : "cli.jsonl.zst");
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && rm -f corpus_clip_* && split -b 1777 -a 4 '%s' corpus_clip_ && "
                 "for f in corpus_clip_*; do zstd -q -c %s \"$f\"; done > '%s' && "
                 "rm -f corpus_clip_*",
                 TF_TEST_TMP, plain, nosize ? "--no-content-size" : "", zst);
        int rc = system(cmd);
        CHECKF(rc == 0, "%s failed", cmd);
        check_partition(zst, text.p, text.n, NULL, 0, 1 << 20, false,
                        nosize ? "cli split -b, no content size" : "cli split -b");
    }
    /* the tool's single-frame output of the whole file */
    tmp_path(zst, sizeof zst, "cli1.jsonl.zst");
    snprintf(cmd, sizeof cmd, "zstd -q -f -o '%s' '%s'", zst, plain);
    CHECK(system(cmd) == 0);
    check_partition(zst, text.p, text.n, NULL, 0, 1 << 20, true, "cli single frame");
    free(text.p);
}

/* ---------------------------------------------------------------------- */
/* damaged and hostile input                                              */
/* ---------------------------------------------------------------------- */

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Reading the files whose frame grouping test_plan.c checks exactly: RLE
 * blocks, frames with and without a declared size, skippable and empty
 * frames at both ends. */
static void test_exact_read(void)
{
    exact_files x;
    exact_build(&x);
    char path[512];
    tmp_path(path, sizeof path, "exact.jsonl.zst");
    write_file(path, x.z.p, x.z.n);
    check_partition(path, x.text.p, x.text.n, x.f, 3, 1 << 20, false, "exact");
    /* skippable frames first and last join the neighbouring shard */
    write_file(path, x.z2.p, x.z2.n);
    check_partition(path, x.text.p + x.u1, 2 * x.u2, NULL, 0, 1 << 20, false, "skippable ends");
    exact_free(&x);
}

/* A file cut inside its last frame: the records of the whole frames come
 * out, then one TF_ERR_ZSTD naming the file and the cut frame's offset, at
 * the same line and with the same records for every split (a shard whose
 * last line runs into a later shard's damage leaves the report to it).
 * Variants: frames cut at newlines, cut anywhere, and a long line that
 * spans the whole third frame into the cut one. */
static void test_truncated(void)
{
    for (int variant = 0; variant < 3; variant++) {
        rng_state = 991;
        vec text = {0};
        gen_text(&text, 300, 60, true);
        size_t c[3] = {text.n / 4, text.n / 2, 3 * text.n / 4};
        if (variant == 1) {
            for (int i = 0; i < 3; i++)
                while (c[i] < text.n && text.p[c[i] - 1] != '\n')
                    c[i]++;
        } else if (variant == 2) {
            size_t at = text.n;
            vec_byte(&text, '{');
            for (int i = 0; i < 3000; i++)
                vec_byte(&text, (unsigned char)('a' + i % 26));
            vec_add(&text, "}\n{\"z\":1}\n", 10);
            c[0] = text.n / 3;
            c[1] = at + 500;
            c[2] = at + 2000;
        }
        vec z = {0};
        uint64_t bounds[16];
        size_t nb;
        build_frames(&text, c, 3, false, &z, bounds, &nb);
        uint64_t last = bounds[nb - 1];
        size_t cut_at = (size_t)(last + (z.n - last) / 2);
        char path[512], want[600];
        tmp_path(path, sizeof path, "trunc.jsonl.zst");
        write_file(path, z.p, cut_at);
        /* expected: the lines complete in the first three frames */
        evs ref;
        reference(text.p, c[2], 1 << 20, true, &ref);
        snprintf(want, sizeof want, "%s: truncated zstd frame at byte %" PRIu64, path, last);
        uint64_t targets[] = {0, 1, 1000, 5000};
        for (size_t t = 0; t < 4; t++) {
            got g;
            read_plan(path, targets[t], 1 << 20, bounds, nb, &g);
            CHECKF(g.plan_err == TF_OK, "truncated: planning failed: %s", g.diag);
            CHECKF(g.plan_ok, "truncated: plan does not tile the file");
            CHECKF(targets[t] != 1 || g.nshards == 4, "truncated: %zu shards", g.nshards);
            CHECKF(g.e.n == ref.n + 1,
                   "truncated variant %d target %" PRIu64 ": %zu events, want %zu", variant,
                   targets[t], g.e.n, ref.n + 1);
            if (g.e.n == ref.n + 1) {
                evs head = g.e;
                head.n = ref.n;
                CHECK(same_events(&ref, &head, "truncated"));
                const ev *er = &g.e.v[ref.n];
                CHECK(er->kind == EV_ERR && er->len == TF_ERR_ZSTD);
                CHECKF(er->lineno == ref.lines + 1,
                       "variant %d target %" PRIu64 ": error at line %" PRIu64 ", want %" PRIu64,
                       variant, targets[t], er->lineno, ref.lines + 1);
                CHECKF(strcmp(g.diag, want) == 0, "diag \"%s\", want \"%s\"", g.diag, want);
            }
            /* the lost tail is one line, even when the damage falls
             * between lines (variant 1) */
            CHECKF(g.lines == ref.lines + 1,
                   "variant %d target %" PRIu64 ": %" PRIu64 " lines, want %" PRIu64, variant,
                   targets[t], g.lines, ref.lines + 1);
            evs_free(&g.e);
        }
        free(ref.v);
        free(z.p);
        free(text.p);
    }
}

/* Cut two bytes into a frame header: planning still covers the file and
 * the reader reports the truncation at that frame. */
static void test_truncated_header(void)
{
    vec z = {0};
    const char *t = "{\"a\":1}\n{\"b\":2}\n";
    add_frame(&z, t, strlen(t), 3, true, false);
    uint64_t second = z.n;
    add_frame(&z, t, strlen(t), 3, true, false);
    char path[512], want[600];
    tmp_path(path, sizeof path, "trunch.jsonl.zst");
    write_file(path, z.p, (size_t)second + 2);
    got g;
    read_plan(path, 1, 1 << 20, NULL, 0, &g);
    CHECK(g.plan_err == TF_OK && g.plan_ok);
    CHECK(g.e.n == 3 && g.e.v[0].kind == EV_REC && g.e.v[1].kind == EV_REC);
    CHECK(g.e.n == 3 && g.e.v[2].kind == EV_ERR && g.e.v[2].len == TF_ERR_ZSTD);
    snprintf(want, sizeof want, "%s: truncated zstd frame at byte %" PRIu64, path, second);
    CHECKF(strcmp(g.diag, want) == 0, "diag \"%s\", want \"%s\"", g.diag, want);
    CHECK(g.lines == 3); /* the lost tail counts as a line */
    CHECK(g.e.n == 3 && g.e.v[2].lineno == 3);
    evs_free(&g.e);
    free(z.p);
}

/* Size of a zstd frame header (RFC 8878 3.1.1.1), to find a block. */
static size_t frame_header_size(const unsigned char *f)
{
    static const size_t did[4] = {0, 1, 2, 4}, fcs[4] = {0, 2, 4, 8};
    unsigned fhd = f[4], single = (fhd >> 5) & 1;
    return 5 + (single ? 0 : 1) + did[fhd & 3] + (fhd >> 6 ? fcs[fhd >> 6] : single);
}

/* Damage inside a frame: a block header turned reserved (the planner cannot
 * walk past it), and a flipped byte in checksummed compressed data. */
static void test_corrupt(void)
{
    rng_state = 4242;
    vec text = {0};
    gen_text(&text, 200, 80, true);
    size_t c = text.n / 2;
    while (text.p[c - 1] != '\n')
        c++;
    for (int mode = 0; mode < 2; mode++) {
        vec z = {0};
        uint64_t bounds[8];
        size_t nb;
        rng_state = 5;
        build_frames(&text, &c, 1, false, &z, bounds, &nb);
        vec z2 = {0};
        vec_add(&z2, z.p, (size_t)bounds[1]);
        uint64_t second = z2.n;
        add_frame(&z2, text.p + c, text.n - c, 3, true, true);
        size_t hsize = frame_header_size(z2.p + second);
        size_t bad;
        if (mode == 0) {
            bad = second + hsize;
            z2.p[bad] |= 0x06; /* block type 3: reserved */
        } else {
            bad = second + hsize + 3 + (z2.n - second - hsize - 7) / 2;
            z2.p[bad] ^= 0x5A;
        }
        char path[512], want[600];
        tmp_path(path, sizeof path, "corrupt.jsonl.zst");
        write_file(path, z2.p, z2.n);
        evs ref;
        reference(text.p, c, 1 << 20, true, &ref);
        snprintf(want, sizeof want, "%s: corrupt zstd data at byte ", path);
        for (uint64_t target = 0; target < 2; target++) {
            got g;
            read_plan(path, target, 1 << 20, NULL, 0, &g);
            CHECKF(g.plan_err == TF_OK && g.plan_ok, "corrupt mode %d: plan", mode);
            CHECKF(g.e.n > ref.n, "corrupt mode %d: %zu events, want > %zu", mode, g.e.n, ref.n);
            if (g.e.n > ref.n) {
                evs head = g.e;
                head.n = ref.n;
                CHECK(same_events(&ref, &head, "corrupt: first frame"));
                const ev *er = &g.e.v[g.e.n - 1];
                CHECK(er->kind == EV_ERR && er->len == TF_ERR_ZSTD);
                CHECKF(contains(g.diag, want), "diag \"%s\"", g.diag);
                CHECKF(contains(g.diag, "(frame at byte "), "diag \"%s\"", g.diag);
                if (mode == 0) {
                    char fr[64];
                    snprintf(fr, sizeof fr, "(frame at byte %" PRIu64 ")", second);
                    CHECKF(contains(g.diag, fr), "diag \"%s\" lacks %s", g.diag, fr);
                    CHECK(g.e.n == ref.n + 1);
                }
            }
            if (target == 1) /* frame 1 is its own shard and reads cleanly */
                CHECKF(g.nshards == 2, "corrupt mode %d: %zu shards", mode, g.nshards);
            evs_free(&g.e);
        }
        free(ref.v);
        free(z.p);
        free(z2.p);
    }
    free(text.p);
}

/* Offsets of the block headers of the frame at f (RFC 8878 3.1.1.2). */
static size_t block_offsets(const unsigned char *f, size_t n, size_t *out, size_t max)
{
    size_t pos = frame_header_size(f), k = 0;
    while (pos + 3 <= n && k < max) {
        uint32_t bh = (uint32_t)f[pos] | (uint32_t)f[pos + 1] << 8 | (uint32_t)f[pos + 2] << 16;
        out[k++] = pos;
        pos += 3 + (((bh >> 1) & 3) == 1 ? 1 : bh >> 3);
        if (bh & 1)
            break;
    }
    return k;
}

/* A bad block header in the middle of a large frame: every block before it
 * is delivered, and the records, the error and its offset are the same for
 * every split. The expected output is decoded independently from the
 * frame's bytes before the bad block. */
static void test_corrupt_block(void)
{
    rng_state = 808;
    vec text = {0};
    gen_text(&text, 6000, 150, true); /* several 128 KiB blocks */
    const char *head = "{\"first\":1}\n{\"cut";
    vec z = {0};
    add_frame(&z, head, strlen(head), 3, true, false);
    size_t fb = z.n;
    add_frame(&z, text.p, text.n, 1, true, true);
    size_t blk[64];
    size_t nblk = block_offsets(z.p + fb, z.n - fb, blk, 64);
    CHECKF(nblk >= 5, "only %zu blocks", nblk);
    if (nblk < 5) {
        free(z.p);
        free(text.p);
        return;
    }
    size_t bad = fb + blk[3];
    /* independent expectation: decode the frame's bytes up to block 4 */
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    vec pre = {0};
    vec_add(&pre, head, strlen(head));
    unsigned char *ob = malloc(1 << 20);
    ZSTD_inBuffer ib = {z.p + fb, bad - fb, 0};
    while (ib.pos < ib.size) {
        ZSTD_outBuffer o = {ob, 1 << 20, 0};
        if (ZSTD_isError(ZSTD_decompressStream(dc, &o, &ib)))
            break;
        vec_add(&pre, ob, o.pos);
    }
    ZSTD_freeDCtx(dc);
    free(ob);
    CHECK(pre.n > strlen(head) + 3 * 100000);
    evs ref;
    reference(pre.p, pre.n, 1 << 20, true, &ref);
    z.p[bad] |= 0x06; /* reserved block type */
    char path[512], want[700];
    tmp_path(path, sizeof path, "corruptblk.jsonl.zst");
    write_file(path, z.p, z.n);
    snprintf(want, sizeof want, "%s: corrupt zstd data at byte %zu (frame at byte %zu): ", path,
             bad, fb);
    uint64_t targets[] = {0, 1, 100};
    for (size_t t = 0; t < 3; t++) {
        got g;
        read_plan(path, targets[t], 1 << 20, NULL, 0, &g);
        CHECK(g.plan_err == TF_OK && g.plan_ok);
        CHECKF(g.e.n == ref.n + 1, "corrupt block target %" PRIu64 ": %zu events, want %zu",
               targets[t], g.e.n, ref.n + 1);
        if (g.e.n == ref.n + 1) {
            evs h = g.e;
            h.n = ref.n;
            CHECK(same_events(&ref, &h, "corrupt block"));
            CHECK(g.e.v[ref.n].kind == EV_ERR && g.e.v[ref.n].lineno == ref.lines + 1);
        }
        CHECKF(strncmp(g.diag, want, strlen(want)) == 0, "diag \"%s\", want \"%s...\"", g.diag,
               want);
        CHECK(g.lines == ref.lines + 1);
        evs_free(&g.e);
    }
    free(ref.v);
    free(pre.p);
    free(z.p);
    free(text.p);
}

/* ---------------------------------------------------------------------- */
/* damaged frames in the middle of a file                                 */
/* ---------------------------------------------------------------------- */

/* Decode the frames of a file (starting at bounds[], the last one ending at
 * zn) one by one, each with a fresh decoder fed one byte at a time, so the
 * expectation does not depend on how the reader feeds its decoder. A frame
 * that fails, or that the data ends inside, contributes what it decoded
 * before that, then one placeholder byte whose offset goes into marks: the
 * documented meaning of the lost bytes. */
static void ref_decode(const unsigned char *z, size_t zn, const uint64_t *bounds, size_t nb,
                       vec *virt, size_t *marks, size_t *nmarks)
{
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, 27); /* the reader's cap */
    unsigned char *ob = malloc((size_t)1 << 18);
    *nmarks = 0;
    for (size_t i = 0; i < nb && bounds[i] < zn; i++) {
        size_t from = (size_t)bounds[i];
        size_t to = i + 1 < nb && bounds[i + 1] < zn ? (size_t)bounds[i + 1] : zn;
        ZSTD_DCtx_reset(dc, ZSTD_reset_session_only);
        size_t ret = 1;
        bool bad = false;
        for (size_t k = from; k < to && !bad; k++) {
            ZSTD_inBuffer ib = {z + k, 1, 0};
            for (int spin = 0; ib.pos < ib.size && spin < 1000; spin++) {
                ZSTD_outBuffer o = {ob, (size_t)1 << 18, 0};
                ret = ZSTD_decompressStream(dc, &o, &ib);
                if (ZSTD_isError(ret)) {
                    bad = true;
                    break;
                }
                vec_add(virt, ob, o.pos);
            }
        }
        if (bad || ret != 0) {
            marks[(*nmarks)++] = virt->n;
            vec_byte(virt, 'X');
        }
    }
    free(ob);
    ZSTD_freeDCtx(dc);
}

/* Damage the zstd frame f[0..n) so that its frame and block headers still
 * walk (the planner cannot see it): 0 flip the checksum, 1 flip a bit of
 * a block's payload (may go undetected: the expectation decodes it too),
 * 2 change the declared content size, 3 ask for a 2 TiB window. False when
 * the kind does not apply to this frame. */
static bool damage_frame(unsigned char *f, size_t n, int kind)
{
    static const size_t fcs_size[4] = {0, 2, 4, 8};
    unsigned fhd = f[4], single = (fhd >> 5) & 1;
    size_t hs = frame_header_size(f);
    size_t fcs_len = fhd >> 6 ? fcs_size[fhd >> 6] : single;
    size_t blk[64];
    size_t nblk = block_offsets(f, n, blk, 64);
    if (kind == 0) {
        if (!((fhd >> 2) & 1))
            return false;
        f[n - 1 - rndn(4)] ^= (unsigned char)(1 + rndn(255));
    } else if (kind == 1) {
        size_t b = blk[rndn(nblk)];
        uint32_t bh = (uint32_t)f[b] | (uint32_t)f[b + 1] << 8 | (uint32_t)f[b + 2] << 16;
        size_t len = ((bh >> 1) & 3) == 1 ? 1 : bh >> 3;
        if (len == 0)
            return false;
        f[b + 3 + rndn(len)] ^= (unsigned char)(1u << rndn(8));
    } else if (kind == 2) {
        if (fcs_len == 0)
            return false;
        f[hs - fcs_len] ^= 0x01;
    } else {
        if (single)
            return false;
        f[5] = 0xF8; /* exponent 31: over the 2^27 cap */
    }
    return true;
}

/* The determinism property on damaged files: one to three frames in the
 * middle of a multi-frame file (line-aligned or cut anywhere, sometimes
 * adjacent, sometimes inside a line that spans several frames) are
 * damaged, and sometimes the file is also truncated. For every shard size
 * the records, errors, messages and line numbers equal the expectation
 * built from independently decoded frames; a damaged frame is reported
 * once and the frames after it are read. */
static void test_damaged(uint64_t seed)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 17;
    vec text = {0};
    gen_text(&text, 150 + rndn(300), 1 + rndn(150), seed % 2 == 0);
    size_t long_at = text.n;
    vec_add(&text, "\n", 1);
    for (size_t i = 0; i < 400; i++)
        vec_byte(&text, (unsigned char)('a' + i % 26));
    vec_add(&text, "\n", 1);
    gen_text(&text, 100 + rndn(100), 1 + rndn(80), true);
    size_t cuts[64], nc = 0;
    bool aligned = seed % 3 == 0;
    for (size_t i = 0; i < 14; i++) {
        size_t c = rndn(text.n + 1);
        while (aligned && c < text.n && c > 0 && text.p[c - 1] != '\n')
            c++;
        cuts[nc++] = c;
    }
    if (!aligned)
        for (size_t i = 0; i < 4; i++)
            cuts[nc++] = long_at + 2 + 80 * i + rndn(40); /* frames without '\n' */
    qsort(cuts, nc, sizeof *cuts, cmp_size);
    vec z = {0};
    uint64_t bounds[256];
    size_t nb;
    build_frames(&text, cuts, nc, seed % 2 == 1, &z, bounds, &nb);
    /* damage 1-3 data frames, never the first (it is read by every split's
     * first shard anyway: the middle is the interesting part) */
    size_t ndamage = 1 + rndn(3), done = 0;
    int kinds = 0;
    for (size_t tries = 0; done < ndamage && tries < 200; tries++) {
        size_t i = 1 + rndn(nb - 1);
        if (tries % 3 == 1 && done > 0)
            i = i + 1 < nb ? i : i - 1; /* often next to another */
        size_t from = (size_t)bounds[i], to = i + 1 < nb ? (size_t)bounds[i + 1] : z.n;
        if ((z.p[from] & 0xF0) == 0x50 && z.p[from + 3] == 0x18)
            continue; /* skippable */
        int kind = (int)rndn(4);
        if (damage_frame(z.p + from, to - from, kind)) {
            done++;
            kinds |= 1 << kind;
        }
    }
    size_t zn = z.n;
    if (seed % 4 == 3) /* also cut inside the last frame */
        zn = (size_t)bounds[nb - 1] + 1 + rndn(z.n - (size_t)bounds[nb - 1] - 1);
    char path[512], what[160];
    tmp_path(path, sizeof path, "damaged.jsonl.zst");
    write_file(path, z.p, zn);
    vec virt = {0};
    size_t marks[256], nm = 0;
    ref_decode(z.p, zn, bounds, nb, &virt, marks, &nm);
    size_t max_line = seed % 5 == 4 ? 40 : 1 << 20;
    evs want;
    reference_marked(virt.p, virt.n, marks, nm, max_line, false, &want);
    CHECKF(nm > 0 || kinds == 2, "damaged seed %" PRIu64 ": no damage detected", seed);
    snprintf(what, sizeof what, "damaged seed %" PRIu64 " (%zu frames, kinds %d, %zu marks%s)",
             seed, nb, kinds, nm, zn < z.n ? ", truncated" : "");
    check_partition_want(path, &want, text.n, bounds, nb, max_line, false, what);
    free(want.v);
    free(virt.p);
    free(z.p);
    free(text.p);
}

/* Saved fuzz inputs (byte 0 is the fuzzer's mode byte, the rest the file)
 * read as zstd: every split gives the same events, messages and line count
 * as one shard. zstd-damaged-frames has four damaged frames in a row; one of
 * them failed differently ("Destination buffer is too small" against "Data
 * corruption detected") depending on what the decoder had decoded before it
 * in the same shard, until every frame got a fresh decoder. */
static void test_saved_damage(void)
{
    static const char *const names[] = {"zstd-damaged-frames", "zstd-2"}; /* multi-frame */
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char src[512], path[512];
        snprintf(src, sizeof src, "%s/../fuzz/corpus/fuzz_corpus/%s", TF_TEST_DATA, names[k]);
        FILE *f = fopen(src, "rb");
        CHECKF(f != NULL, "cannot open %s", src);
        if (!f)
            continue;
        vec v = {0};
        unsigned char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            vec_add(&v, buf, n);
        fclose(f);
        tmp_path(path, sizeof path, "saved.jsonl.zst");
        write_file(path, v.n ? v.p + 1 : v.p, v.n ? v.n - 1 : 0);
        got whole;
        read_plan(path, 0, 64, NULL, 0, &whole);
        whole.e.lines = whole.lines;
        check_partition_want(path, &whole.e, v.n, NULL, 0, 64, false, names[k]);
        evs_free(&whole.e);
        free(v.p);
    }
}

/* A text file named .zst; tiny garbage; frames that declare absurd sizes. */
static void test_hostile(void)
{
    char path[512];
    got g;
    tmp_path(path, sizeof path, "notzstd.jsonl.zst");
    const char *t = "{\"a\":1}\n{\"b\":2}\n";
    write_file(path, t, strlen(t));
    read_plan(path, 1, 1 << 20, NULL, 0, &g);
    CHECK(g.plan_err == TF_OK && g.nshards == 1 && g.plan_ok);
    CHECK(g.e.n == 1 && g.e.v[0].kind == EV_ERR && g.e.v[0].len == TF_ERR_ZSTD);
    CHECKF(contains(g.diag, path) && contains(g.diag, "corrupt zstd data at byte"), "diag %s",
           g.diag);
    evs_free(&g.e);

    tmp_path(path, sizeof path, "tiny.jsonl.zst");
    write_file(path, "\x28\xb5", 2);
    read_plan(path, 1, 1 << 20, NULL, 0, &g);
    CHECK(g.plan_err == TF_OK && g.nshards == 1);
    CHECK(g.e.n == 1 && g.e.v[0].kind == EV_ERR && g.e.v[0].len == TF_ERR_ZSTD);
    CHECKF(contains(g.diag, "truncated zstd frame at byte 0"), "diag %s", g.diag);
    evs_free(&g.e);

    /* single-segment frame declaring 2^62 bytes, then a raw block */
    unsigned char f1[] = {0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0,   0,   0,   0,    0,   0,
                          0,    0x40, 0x29, 0,    0,    'a', 'b', 'c', '\n', '\n'};
    /* window descriptor asking for 2^31 bytes (exponent 21), raw block */
    unsigned char f2[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x29,
                          0,    0,    'a',  'b',  'c',  '\n',    '\n'};
    /* declares 100 bytes of content (single segment, 1-byte size), holds 5 */
    unsigned char f3[] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 100, 0x29, 0, 0, 'a', 'b', 'c', '\n', '\n'};
    const unsigned char *fs[] = {f1, f2, f3};
    size_t fl[] = {sizeof f1, sizeof f2, sizeof f3};
    for (int i = 0; i < 3; i++) {
        vec z = {0};
        const char *ok = "{\"ok\":1}\n";
        add_frame(&z, ok, strlen(ok), 1, true, false);
        vec_add(&z, fs[i], fl[i]);
        tmp_path(path, sizeof path, "absurd.jsonl.zst");
        write_file(path, z.p, z.n);
        for (uint64_t target = 1; target < 3; target += 1) {
            read_plan(path, target == 1 ? 1 : 0, 1 << 20, NULL, 0, &g);
            CHECKF(g.plan_err == TF_OK && g.plan_ok, "absurd %d: plan", i);
            CHECKF(g.e.n == 2 && g.e.v[0].kind == EV_REC && g.e.v[1].kind == EV_ERR &&
                       g.e.v[1].len == TF_ERR_ZSTD,
                   "absurd %d: %zu events", i, g.e.n);
            CHECKF(contains(g.diag, "corrupt zstd data") || contains(g.diag, "truncated"),
                   "absurd %d: diag %s", i, g.diag);
            evs_free(&g.e);
        }
        free(z.p);
    }
}

/* Over-long lines are skipped with their line number; reading goes on. */
static void test_line_cap(void)
{
    char path[512];
    vec t = {0};
    vec_add(&t, "{\"a\":1}\n", 8);
    for (int i = 0; i < 5000; i++)
        vec_byte(&t, 'x');
    vec_add(&t, "\n\n{\"c\":3}\r\n", 11);
    vec_add(&t, "0123456789\r\n0123456789x\n", 24); /* 10 fits, 11 does not */
    for (int zs = 0; zs < 2; zs++) {
        tmp_path(path, sizeof path, zs ? "cap.jsonl.zst" : "cap.jsonl");
        if (zs) {
            vec z = {0};
            add_frame(&z, t.p, t.n, 3, true, false);
            write_file(path, z.p, z.n);
            free(z.p);
        } else {
            write_file(path, t.p, t.n);
        }
        tf_plan *p = NULL;
        const char *files[] = {path};
        CHECK(tf_plan_create(files, 1, 0, &p, NULL) == TF_OK && tf_plan_count(p) == 1);
        tf_reader *r = NULL;
        tf_diag d = {{0}};
        CHECK(tf_reader_open(path, tf_plan_get(p, 0), 10, &r, &d) == TF_OK);
        const char *line;
        size_t len;
        uint64_t no;
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_OK && no == 1 && len == 7);
        d.msg[0] = '\0';
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_ERR_TOO_BIG && no == 2);
        CHECKF(contains(d.msg, path) && contains(d.msg, "line 2"), "diag %s", d.msg);
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_OK && no == 4 && len == 7 &&
              memcmp(line, "{\"c\":3}", 7) == 0);
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_OK && no == 5 && len == 10);
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_ERR_TOO_BIG && no == 6);
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_ERR_EOF);
        CHECK(tf_reader_lines(r) == 6);
        tf_reader_free(r);
        tf_plan_free(p);
    }
    free(t.p);
}

/* Missing and empty files as the reader and the sampler see them (the
 * planner's side is test_plan_files in test_plan.c). */
static void test_files(void)
{
    char missing[512], empty[512], emptyz[512];
    tmp_path(missing, sizeof missing, "does-not-exist.jsonl");
    unlink(missing);
    tf_diag d = {{0}};
    tf_reader *r = NULL;
    tf_shard s = {0, 0, 0, 10};
    CHECK(tf_reader_open(missing, &s, 100, &r, &d) == TF_ERR_IO && r == NULL);
    CHECKF(contains(d.msg, missing) && contains(d.msg, "No such file"), "diag %s", d.msg);
    double mean = -1;
    d.msg[0] = '\0';
    CHECK(tf_corpus_sample_line_bytes(missing, 100, &mean, &d) == TF_ERR_IO);
    CHECK(contains(d.msg, missing));

    tmp_path(empty, sizeof empty, "empty.jsonl");
    tmp_path(emptyz, sizeof emptyz, "empty.jsonl.zst");
    write_file(empty, "", 0);
    write_file(emptyz, "", 0);
    CHECK(tf_corpus_sample_line_bytes(empty, 100, &mean, &d) == TF_OK && mean == 0);
    CHECK(tf_corpus_sample_line_bytes(emptyz, 100, &mean, &d) == TF_OK && mean == 0);
    CHECK(tf_corpus_is_zstd("a.jsonl.zst") && !tf_corpus_is_zstd("a.jsonl") &&
          !tf_corpus_is_zstd("zst") && !tf_corpus_is_zstd("a.zst.jsonl"));
}

/* The frame walk: kinds, offsets and sizes of a file with every kind of
 * frame (they tile the file; a damaged frame is the rest of the file and
 * ends the walk); empty, not-zstd, missing and non-regular files. */
static void test_zwalk(void)
{
    char path[512];
    tmp_path(path, sizeof path, "walk.jsonl.zst");
    const char *t = "{\"a\":1}\n{\"b\":2}\n";
    vec z = {0};
    add_skippable(&z, 5, 7);
    uint64_t a = z.n;
    add_frame(&z, t, strlen(t), 3, true, true);
    uint64_t b = z.n;
    add_frame(&z, t, strlen(t), 3, false, false); /* no size: 4 x compressed */
    uint64_t c = z.n;
    add_frame(&z, "", 0, 1, true, false); /* declares 0 bytes */
    uint64_t e0 = z.n;
    vec_add(&z, "\x28\xb5\x2f\xfd\x08xxxxxxxx", 13); /* reserved bit set */
    write_file(path, z.p, z.n);
    const tf_zframe want[] = {
        {TF_ZFRAME_SKIP, 0, a, 0},           {TF_ZFRAME_DATA, a, b, strlen(t)},
        {TF_ZFRAME_DATA, b, c, 4 * (c - b)}, {TF_ZFRAME_DATA, c, e0, 0},
        {TF_ZFRAME_DAMAGED, e0, z.n, 0},
    };
    tf_zwalk *w = NULL;
    tf_diag d = {{0}};
    CHECK(tf_zwalk_open(path, &w, &d) == TF_OK && w != NULL);
    for (size_t i = 0; w && i < sizeof want / sizeof *want; i++) {
        tf_zframe f = {0};
        CHECK(tf_zwalk_next(w, &f, &d) == TF_OK);
        CHECKF(f.kind == want[i].kind && f.begin == want[i].begin && f.end == want[i].end &&
                   f.usize == want[i].usize,
               "frame %zu: kind %d [%" PRIu64 ", %" PRIu64 ") usize %" PRIu64, i, (int)f.kind,
               f.begin, f.end, f.usize);
    }
    tf_zframe f;
    CHECK(w && tf_zwalk_next(w, &f, &d) == TF_ERR_EOF && tf_zwalk_next(w, &f, &d) == TF_ERR_EOF);
    tf_zwalk_free(w);
    tf_zwalk_free(NULL);

    write_file(path, "", 0);
    CHECK(tf_zwalk_open(path, &w, &d) == TF_OK && tf_zwalk_next(w, &f, &d) == TF_ERR_EOF);
    tf_zwalk_free(w);
    write_file(path, t, strlen(t)); /* a text file named .zst: one damaged frame */
    CHECK(tf_zwalk_open(path, &w, &d) == TF_OK && tf_zwalk_next(w, &f, &d) == TF_OK &&
          f.kind == TF_ZFRAME_DAMAGED && f.begin == 0 && f.end == strlen(t) &&
          tf_zwalk_next(w, &f, &d) == TF_ERR_EOF);
    tf_zwalk_free(w);
    uint64_t size = 0;
    CHECK(tf_corpus_file_size(path, &size, &d) == TF_OK && size == strlen(t));

    char missing[512], fifo[512];
    tmp_path(missing, sizeof missing, "walk-missing.jsonl.zst");
    unlink(missing);
    d.msg[0] = '\0';
    CHECK(tf_zwalk_open(missing, &w, &d) == TF_ERR_IO && w == NULL);
    CHECKF(contains(d.msg, missing) && contains(d.msg, "No such file"), "diag %s", d.msg);
    d.msg[0] = '\0';
    CHECK(tf_corpus_file_size(missing, &size, &d) == TF_ERR_IO);
    CHECKF(contains(d.msg, missing) && contains(d.msg, "No such file"), "diag %s", d.msg);
    d.msg[0] = '\0';
    CHECK(tf_corpus_file_size(TF_TEST_TMP, &size, &d) == TF_ERR_IO);
    CHECKF(contains(d.msg, "Is a directory"), "diag %s", d.msg);
    tmp_path(fifo, sizeof fifo, "walk-fifo.jsonl.zst");
    unlink(fifo);
    if (mkfifo(fifo, 0600) == 0) { /* refused without blocking on the open */
        d.msg[0] = '\0';
        CHECK(tf_zwalk_open(fifo, &w, &d) == TF_ERR_IO && w == NULL);
        CHECKF(contains(d.msg, fifo) && contains(d.msg, "not a regular file"), "diag %s", d.msg);
        CHECK(tf_corpus_file_size(fifo, &size, &d) == TF_ERR_IO);
        unlink(fifo);
    }
    free(z.p);
}

/* The sample's mean line length, computed independently. */
static void test_sample(void)
{
    rng_state = 31337;
    vec t = {0};
    gen_text(&t, 500, 100, true);
    char path[512], pathz[512];
    tmp_path(path, sizeof path, "sample.jsonl");
    tmp_path(pathz, sizeof pathz, "sample.jsonl.zst");
    write_file(path, t.p, t.n);
    vec z = {0};
    size_t half = t.n / 2;
    add_frame(&z, t.p, half, 3, true, false);
    add_frame(&z, t.p + half, t.n - half, 3, false, false);
    write_file(pathz, z.p, z.n);
    size_t samples[] = {t.n * 2, t.n / 3, 1000};
    for (size_t i = 0; i < 3; i++) {
        size_t k = samples[i] < t.n ? samples[i] : t.n;
        size_t nl = 0, through = 0;
        for (size_t j = 0; j < k; j++)
            if (t.p[j] == '\n') {
                nl++;
                through = j + 1;
            }
        double want = (double)through / (double)nl;
        for (int zs = 0; zs < 2; zs++) {
            double mean = -1;
            tf_diag d = {{0}};
            CHECK(tf_corpus_sample_line_bytes(zs ? pathz : path, samples[i], &mean, &d) == TF_OK);
            CHECKF(mean > want - 1e-9 && mean < want + 1e-9, "sample %zu: %f, want %f", k, mean,
                   want);
        }
    }
    /* damage ends the sample: the estimate is the data before it */
    vec zd = {0};
    const char *head = "{\"a\":1}\n{\"b\":22}\n"; /* 8 + 9 bytes */
    add_frame(&zd, head, strlen(head), 3, true, true);
    size_t second = zd.n;
    add_frame(&zd, t.p, t.n, 3, true, true);
    zd.p[zd.n - 1] ^= 0xFF; /* its checksum */
    write_file(pathz, zd.p, zd.n);
    double mean = -1;
    tf_diag d = {{0}};
    CHECK(tf_corpus_sample_line_bytes(pathz, t.n * 2, &mean, &d) == TF_OK);
    double want = (double)(strlen(head) + t.n) / (double)(2 + 500);
    CHECKF(mean > want - 1e-9 && mean < want + 1e-9, "damaged sample: %f, want %f", mean, want);
    zd.p[second] ^= 0xFF; /* its magic number: nothing after the first frame */
    write_file(pathz, zd.p, zd.n);
    CHECK(tf_corpus_sample_line_bytes(pathz, t.n * 2, &mean, &d) == TF_OK && mean == 8.5);
    write_file(pathz, "not zstd\n", 9);
    CHECK(tf_corpus_sample_line_bytes(pathz, 100, &mean, &d) == TF_OK && mean == 0);
    free(zd.p);
    free(t.p);
    free(z.p);
}

/* ---------------------------------------------------------------------- */
/* large file: bounded memory and throughput                              */
/* ---------------------------------------------------------------------- */

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* >= 200 MB of lines in one zstd frame written by streaming compression;
 * read as one shard. Peak RSS must stay within 64 MB of the start. */
static void test_big(void)
{
    const char *env = getenv("TF_CORPUS_BIG");
    if (env && strcmp(env, "0") == 0) {
        printf("skip: large-file test (TF_CORPUS_BIG=0)\n");
        return;
    }
    long rss0 = max_rss_kb();
    char path[512];
    tmp_path(path, sizeof path, "big.jsonl.zst");
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
    size_t chunk = 1 << 20, outcap = ZSTD_CStreamOutSize();
    char *buf = malloc(chunk + 4096), *out = calloc(1, outcap);
    const uint64_t total_want = 210ull << 20;
    uint64_t total = 0, lines = 0, sum = 0;
    rng_state = 123;
    while (total < total_want) {
        size_t n = 0;
        while (n < chunk) {
            uint64_t id = lines++;
            int k = snprintf(buf + n, 4096,
                             "{\"id\":%" PRIu64 ",\"trace\":\"create %u %u c%u close %u %u\","
                             "\"pad\":\"%0*u\"}\n",
                             id, (unsigned)rndn(30), (unsigned)rndn(30), (unsigned)rndn(99),
                             (unsigned)rndn(30), (unsigned)rndn(30), (int)(1 + rndn(300)), 7u);
            sum += (uint64_t)k - 1;
            n += (size_t)k;
        }
        total += n;
        ZSTD_inBuffer ib = {buf, n, 0};
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = {out, outcap, 0};
            ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue);
            fwrite(out, 1, ob.pos, f);
        }
    }
    for (;;) {
        ZSTD_inBuffer ib = {NULL, 0, 0};
        ZSTD_outBuffer ob = {out, outcap, 0};
        size_t left = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
        fwrite(out, 1, ob.pos, f);
        if (left == 0)
            break;
    }
    fclose(f);
    ZSTD_freeCCtx(c);
    free(buf);
    free(out);

    tf_plan *p = NULL;
    tf_diag d = {{0}};
    const char *files[] = {path};
    CHECK(tf_plan_create(files, 1, 1 << 20, &p, &d) == TF_OK);
    CHECKF(tf_plan_count(p) == 1, "single frame: %zu shards", tf_plan_count(p));
    tf_reader *r = NULL;
    double t0 = now();
    uint64_t recs = 0, bytes = 0;
    if (tf_plan_count(p) == 1 &&
        tf_reader_open(path, tf_plan_get(p, 0), 1 << 20, &r, &d) == TF_OK) {
        const char *line;
        size_t len;
        uint64_t no;
        tf_err e;
        while ((e = tf_reader_next(r, &line, &len, &no, &d)) == TF_OK) {
            recs++;
            bytes += len;
        }
        CHECKF(e == TF_ERR_EOF, "big: %s", d.msg);
        tf_reader_free(r);
    }
    double dt = now() - t0;
    long grow = max_rss_kb() - rss0;
    tf_plan_free(p);
    CHECKF(recs == lines && bytes == sum, "big: %" PRIu64 " records, want %" PRIu64, recs, lines);
    CHECKF(grow < 64 * 1024, "big: peak RSS grew by %ld kB", grow);
    printf("big: %.1f MB uncompressed (%" PRIu64 " compressed) in %.2f s = %.0f MB/s; "
           "peak RSS +%ld kB\n",
           (double)total / 1e6, file_size(path), dt, (double)total / 1e6 / dt, grow);
    unlink(path);
}

/* The sniff (tf_corpus_sniff): JSONL passes, hostile JSONL too (a few bad
 * lines are items, not a refusal); each kind of file that is not JSONL is
 * refused with its name, plain and as the content of a .zst file. */
static void sniff_case(const char *name, const void *p, size_t n, bool zstd, const char *want)
{
    char path[512];
    tmp_path(path, sizeof path, zstd ? "sniff.jsonl.zst" : "sniff.jsonl");
    vec z = {0};
    if (zstd) {
        add_skippable(&z, 1, 5); /* the head comes from the frames after it */
        add_frame(&z, p, n, 3, true, true);
        write_file(path, z.p, z.n);
    } else {
        write_file(path, p, n);
    }
    tf_diag d = {{0}};
    tf_err e = tf_corpus_sniff(path, &d);
    if (want)
        CHECKF(e == TF_ERR_PARSE && contains(d.msg, want), "%s (%s): %s: %s", name,
               zstd ? "zst" : "plain", tf_strerror(e), d.msg);
    else
        CHECKF(e == TF_OK, "%s (%s): refused: %s", name, zstd ? "zst" : "plain", d.msg);
    free(z.p);
}

static void test_sniff(void)
{
    const char *rec = "{\"id\": 1, \"prompt\": \"start 0 0 goal 1 0\"}\n";
    vec jl = {0};
    for (int i = 0; i < 40; i++)
        vec_add(&jl, rec, strlen(rec));
    static const char hostile[] = "{\"id\": \"broken\", \"prompt\": \n[1, 2, 3]\n\x00\n"
                                  "{\"a\":1}}\n\xff\xfe\n   \n{\"id\": 2}\n";
    const char *pretty = "[\n  {\n    \"id\": 1,\n    \"prompt\": \"x\"\n  },\n  {\n    \"id\": 2\n"
                         "  }\n]\n";
    const char *pretty_obj = "{\n  \"records\": [\n    {\"id\": 1}\n  ]\n}\n";
    const char *oneline = "[{\"id\": 1}, {\"id\": 2}]\n";
    const char *csv = "id,prompt,output\n1,a,b\n2,a,b\n3,a,b\n4,a,b\n";
    const char *short_bad = "id,prompt\n1,a\n";
    unsigned char bin[3000];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 7919u >> 3);
    vec many = {0}; /* a good file longer than the head, one line longer than it */
    vec_add(&many, "{\"pad\": \"", 9);
    for (int i = 0; i < 70000; i++)
        vec_add(&many, "x", 1);
    vec_add(&many, "\"}\n", 3);
    for (int zst = 0; zst < 2; zst++) {
        sniff_case("jsonl", jl.p, jl.n, zst, NULL);
        sniff_case("hostile lines", hostile, sizeof hostile - 1, zst, NULL);
        sniff_case("blank only", "\n \n\r\n", 5, zst, NULL);
        sniff_case("a first line over 64 KiB", many.p, many.n, zst, NULL);
        sniff_case("short text", short_bad, strlen(short_bad), zst, NULL);
        sniff_case("pretty array", pretty, strlen(pretty), zst, "a JSON array spanning several");
        sniff_case("pretty object", pretty_obj, strlen(pretty_obj), zst,
                   "a JSON object spanning several");
        sniff_case("one-line array", oneline, strlen(oneline), zst,
                   "one JSON array of records on a single line");
        sniff_case("csv", csv, strlen(csv), zst, "none of its first 5 lines is a JSON value");
        sniff_case("binary", bin, sizeof bin, zst, "binary data");
        sniff_case("gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03xyz", 13, zst,
                   "gzip-compressed data");
        sniff_case("bzip2", "BZh91AY&SY", 10, zst, "bzip2-compressed data");
        sniff_case("xz",
                   "\xfd"
                   "7zXZ\x00\x00\x04",
                   8, zst, "xz-compressed data");
        sniff_case("lz4", "\x04\x22\x4d\x18\x64\x40\xa7", 7, zst, "lz4-compressed data");
        sniff_case("zip", "PK\x03\x04\x14\x00", 6, zst, "a zip archive");
        sniff_case("utf-16", "\xff\xfe{\x00\"\x00", 6, zst, "UTF-16 text");
    }
    /* zstd data in a file not named .zst; a .zst file that is not zstd is
     * left to the reader (one read_error item naming the offset) */
    vec z = {0};
    add_frame(&z, jl.p, jl.n, 3, true, true);
    sniff_case("zstd named .jsonl", z.p, z.n, false, "its name does not end in .zst");
    char path[512];
    tmp_path(path, sizeof path, "notzstd.jsonl.zst");
    write_file(path, jl.p, jl.n);
    tf_diag d = {{0}};
    CHECK(tf_corpus_sniff(path, &d) == TF_OK);
    tmp_path(path, sizeof path, "does-not-exist.jsonl");
    unlink(path);
    CHECK(tf_corpus_sniff(path, &d) == TF_ERR_IO && contains(d.msg, "No such file"));
    free(z.p);
    free(jl.p);
    free(many.p);
}

/* tf_reader_limit: the reader ends after that many results (records, over-
 * long lines and read errors alike), with the lines counted to the last. */
static void test_reader_limit(void)
{
    char path[512];
    tmp_path(path, sizeof path, "limit.jsonl");
    const char *t = "{\"a\":1}\n\n{\"a\":2}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n"
                    "{\"a\":3}\n\n";
    write_file(path, t, strlen(t));
    for (uint64_t lim = 0; lim <= 5; lim++) {
        tf_shard s = {0, 0, 0, strlen(t)};
        tf_reader *r = NULL;
        tf_diag d = {{0}};
        CHECK(tf_reader_open(path, &s, 20, &r, &d) == TF_OK);
        if (!r)
            return;
        tf_reader_limit(r, lim);
        uint64_t nres = 0, last = 0, no = 0;
        const char *line;
        size_t len;
        tf_err e;
        while ((e = tf_reader_next(r, &line, &len, &no, &d)) != TF_ERR_EOF) {
            nres++;
            last = no;
        }
        uint64_t want = lim == 0 || lim > 4 ? 4 : lim;
        static const uint64_t line_of[] = {0, 1, 3, 4, 5};
        CHECKF(nres == want && last == line_of[want], "limit %" PRIu64 ": %" PRIu64 " results", lim,
               nres);
        CHECKF(tf_reader_lines(r) == (lim == 0 || lim > 4 ? 6 : line_of[want]),
               "limit %" PRIu64 ": lines %" PRIu64, lim, tf_reader_lines(r));
        CHECK(tf_reader_next(r, &line, &len, &no, &d) == TF_ERR_EOF);
        tf_reader_free(r);
    }
}

int main(void)
{
    test_big(); /* first, so that its RSS baseline is the start's */
    for (uint64_t seed = 1; seed <= 6; seed++)
        test_property(seed, 60 + 40 * seed, 1 + 30 * seed, seed % 3 == 0 ? 40 : 1 << 20);
    test_property(99, 3000, 200, 1 << 20); /* frames with several blocks */
    test_cli();
    test_exact_read();
    test_truncated();
    test_truncated_header();
    test_corrupt();
    test_corrupt_block();
    for (uint64_t seed = 1; seed <= 40; seed++)
        test_damaged(seed);
    test_saved_damage();
    test_hostile();
    test_line_cap();
    test_files();
    test_zwalk();
    test_sample();
    test_sniff();
    test_reader_limit();
    return tf_test_done();
}
