/* test_plan.c: shard planning (plan.h) on real files.
 *
 * - exact frame grouping (declared sizes, 4 x compressed size, RLE blocks,
 *   skippable and empty frames at the ends) and exact shard lists;
 * - the shards of random multi-frame files against the frame walk
 *   (corpus.h): they tile the file at frame boundaries and close as soon
 *   as their frames reach the target;
 * - several files, empty and missing ones;
 * - tf_plan_hash pinned on files written byte by byte: the journal keeps
 *   it, so a resumed job only matches if neither the shard list nor the
 *   hash changes.
 * How shards are read is test_corpus.c's subject (it reads the files of
 * the exact test too).
 */
#define CORPUS_TMP_PREFIX "plan_"
#include "tracefarm/plan.h"

#include "tracefarm/hash.h"

#include "corpus_files.h"
#include "tf_test.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Plan a file and return its shards' begin offsets (up to 16) and count. */
static size_t plan_begins(const char *path, uint64_t target, uint64_t *begins, uint64_t *last_end)
{
    tf_plan *p = NULL;
    const char *files[] = {path};
    if (tf_plan_create(files, 1, target, &p, NULL) != TF_OK)
        return (size_t)-1;
    size_t n = tf_plan_count(p);
    for (size_t i = 0; i < n && i < 16; i++)
        begins[i] = tf_plan_get(p, i)->begin;
    *last_end = n ? tf_plan_get(p, n - 1)->end : 0;
    tf_plan_free(p);
    return n;
}

/* Exact frame grouping: declared sizes, compressed size x 4 when none is
 * declared, RLE blocks (one stored byte each) walked correctly, skippable
 * frames joined to their neighbours. */
static void test_plan_exact(void)
{
    exact_files x;
    exact_build(&x);
    char path[512];
    tmp_path(path, sizeof path, "exact.jsonl.zst");
    write_file(path, x.z.p, x.z.n);
    const uint64_t *f = x.f;
    size_t u1 = x.u1;
    uint64_t b[16], end = 0;
    uint64_t c2 = f[2] - f[1];
    CHECK(plan_begins(path, 1, b, &end) == 3 && b[0] == f[0] && b[1] == f[1] && b[2] == f[2] &&
          end == f[3]);
    CHECK(plan_begins(path, u1, b, &end) == 2 && b[1] == f[1]);
    CHECK(plan_begins(path, u1 + 1, b, &end) == 2 && b[1] == f[2]);
    CHECK(plan_begins(path, u1 + 4 * c2, b, &end) == 2 && b[1] == f[2]);
    CHECK(plan_begins(path, u1 + 4 * c2 + 1, b, &end) == 1 && end == f[3]);

    /* skippable frames first and last join the neighbouring shard */
    write_file(path, x.z2.p, x.z2.n);
    CHECK(plan_begins(path, 1, b, &end) == 2 && b[0] == 0 && b[1] == x.g1 + c2 && end == x.z2.n);
    exact_free(&x);
}

/* ---------------------------------------------------------------------- */
/* files written byte by byte (RFC 8878), independent of libzstd          */
/* ---------------------------------------------------------------------- */

/* A zstd frame of one block: raw (s) or RLE (n copies of s[0]), with a
 * declared content size (single segment, 1-byte size field) or without
 * (window descriptor only), and optionally a checksum field. The checksum
 * is zeros: these files are only planned, and the planner does not check
 * it. n < 256. */
static void hand_frame(vec *v, const char *s, size_t n, bool rle, bool declare, bool checksum)
{
    unsigned char h[6] = {0x28, 0xb5, 0x2f, 0xfd, 0, 0};
    h[4] = (unsigned char)((declare ? 0x20 : 0) | (checksum ? 0x04 : 0));
    h[5] = declare ? (unsigned char)n : 0; /* content size, or a 1 KiB window */
    vec_add(v, h, sizeof h);
    uint32_t bh = 1u | (rle ? 1u : 0u) << 1 | (uint32_t)n << 3; /* the last block */
    unsigned char b[3] = {(unsigned char)bh, (unsigned char)(bh >> 8), (unsigned char)(bh >> 16)};
    vec_add(v, b, 3);
    vec_add(v, s, rle ? 1 : n);
    if (checksum)
        vec_add(v, "\0\0\0\0", 4);
}

/* The zstd file of the hash test, 135 bytes:
 *   [0, 11)    skippable, 3 payload bytes        usize 0
 *   [11, 60)   raw, declares 40                  usize 40
 *   [60, 79)   raw, 10 bytes, declares nothing   usize 4 x 19 = 76
 *   [79, 88)   empty, declares 0                 usize 0
 *   [88, 98)   RLE of 200 bytes, declares 200    usize 200
 *   [98, 131)  raw, declares 20, checksum        usize 20
 *   [131, 135) "junk": damaged, the rest of the file */
static void hand_zstd(vec *v)
{
    vec_add(v, "\x5a\x2a\x4d\x18\x03\x00\x00\x00xyz", 11);
    hand_frame(v, "{\"a\":\"0123456789012345678901234567890\"}\n", 40, false, true, false);
    hand_frame(v, "{\"b\":12}\n\n", 10, false, false, false);
    hand_frame(v, "", 0, false, true, false);
    hand_frame(v, "r", 200, true, true, false);
    hand_frame(v, "{\"c\":\"0123456789\"}\n", 20, false, true, true);
    vec_add(v, "junk", 4);
}

/* Exact shard lists of the hand-made file for four targets, and the plan
 * hash of three files (plain, zstd, empty) pinned for each: the values were
 * computed by the planner as it was in corpus.c, before the move to
 * coordinator/plan.c. A change here makes every journaled job refuse to
 * resume ("the corpus now splits into different shards", exit 2). */
static void test_plan_hash(void)
{
    char plain[512], zst[512], empty[512];
    tmp_path(plain, sizeof plain, "hash.jsonl");
    tmp_path(zst, sizeof zst, "hash.jsonl.zst");
    tmp_path(empty, sizeof empty, "hash-empty.jsonl");
    vec t = {0};
    for (int i = 0; i < 100; i++)
        vec_add(&t, "{\"i\":123}\n", 10);
    write_file(plain, t.p, t.n);
    vec z = {0};
    hand_zstd(&z);
    CHECK(z.n == 135);
    write_file(zst, z.p, z.n);
    write_file(empty, "", 0);

    static const uint64_t targets[4] = {1, 50, 300, 0};
    static const uint64_t want[4][6] = {
        /* shard boundaries of the zstd file, 0-terminated after the first */
        {0, 60, 79, 98, 131, 135},
        {0, 79, 98, 135},
        {0, 98, 135},
        {0, 135},
    };
    for (int k = 0; k < 4; k++) {
        const char *one[] = {zst};
        tf_plan *p = NULL;
        CHECK(tf_plan_create(one, 1, targets[k], &p, NULL) == TF_OK);
        size_t nb = 1;
        while (nb < 6 && want[k][nb])
            nb++;
        CHECKF(tf_plan_count(p) == nb - 1, "target %" PRIu64 ": %zu shards, want %zu", targets[k],
               tf_plan_count(p), nb - 1);
        for (size_t i = 0; i < tf_plan_count(p) && i + 1 < nb; i++) {
            const tf_shard *s = tf_plan_get(p, i);
            CHECKF(s->file == 0 && s->zstd == 1 && s->begin == want[k][i] &&
                       s->end == want[k][i + 1],
                   "target %" PRIu64 " shard %zu: [%" PRIu64 ", %" PRIu64 ")", targets[k], i,
                   s->begin, s->end);
        }
        tf_plan_free(p);
    }

    /* file, kind and range of every shard, in plan order, little-endian
     * uint64s: the hash is taken over the host's representation */
    static const uint64_t pinned[4] = {
        UINT64_C(0xd568165a7c0dcbfb),
        UINT64_C(0x7bb38546d9c72183),
        UINT64_C(0x11b6d83eb3045af3),
        UINT64_C(0x27614a1e8a1f247b),
    };
    const char *files[] = {plain, zst, empty};
    for (int k = 0; k < 4; k++) {
        tf_plan *p = NULL;
        CHECK(tf_plan_create(files, 3, targets[k], &p, NULL) == TF_OK);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t h = tf_plan_hash(p);
        CHECKF(h == pinned[k], "target %" PRIu64 ": plan hash %016" PRIx64 ", pinned %016" PRIx64,
               targets[k], h, pinned[k]);
#endif
        tf_plan_free(p);
    }
    CHECK(tf_plan_hash(NULL) == TF_FNV_SEED); /* no shard: the seed */
    free(t.p);
    free(z.p);
}

/* ---------------------------------------------------------------------- */
/* against the frame walk                                                 */
/* ---------------------------------------------------------------------- */

/* Random multi-frame files (libzstd frames of random text with and without
 * declared sizes, skippable and empty frames, sometimes trailing junk)
 * planned with many targets. For each plan: the shards tile the file and
 * begin and end at frame boundaries of the walk; a shard holds data (a
 * frame that is damaged or stands for bytes) unless it is the file's only
 * one; and a shard closes at the first frame at which its frames reach the
 * target with data in them (after that frame, only a trailing run of
 * skippable or empty frames may join the last shard). */
static void test_plan_walk(uint64_t seed)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 7;
    vec text = {0};
    gen_text(&text, 400, 40, true);
    vec z = {0};
    size_t at = 0;
    if (rndn(2))
        add_skippable(&z, (unsigned)rndn(16), rndn(20));
    while (at < text.n) {
        size_t n = rndn(400);
        if (n > text.n - at)
            n = text.n - at;
        if (rndn(5) == 0)
            add_skippable(&z, (unsigned)rndn(16), rndn(30));
        if (rndn(7) == 0)
            add_frame(&z, "", 0, 1, rndn(2), rndn(2));
        add_frame(&z, text.p + at, n, 1 + (int)rndn(3), rndn(3) != 0, rndn(2));
        at += n;
    }
    if (rndn(2))
        add_skippable(&z, 0, rndn(8));
    if (seed % 3 == 0)
        vec_add(&z, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 1 + rndn(9)); /* junk */
    char path[512];
    tmp_path(path, sizeof path, "walk.jsonl.zst");
    write_file(path, z.p, z.n);

    tf_zframe *fr = malloc((z.n + 1) * sizeof *fr);
    size_t nf = 0;
    tf_zwalk *w = NULL;
    tf_diag d = {{0}};
    CHECK(tf_zwalk_open(path, &w, &d) == TF_OK);
    tf_err e = TF_ERR_EOF;
    while (w && (e = tf_zwalk_next(w, &fr[nf], &d)) == TF_OK)
        nf++;
    tf_zwalk_free(w);
    CHECK(e == TF_ERR_EOF && nf > 0 && fr[nf - 1].end == z.n);

    static const uint64_t targets[] = {1, 7, 64, 300, 1000, 5000, 1 << 20, 0};
    for (size_t k = 0; k < sizeof targets / sizeof *targets; k++) {
        uint64_t target = targets[k] ? targets[k] : UINT64_MAX;
        const char *files[] = {path};
        tf_plan *p = NULL;
        CHECK(tf_plan_create(files, 1, targets[k], &p, &d) == TF_OK);
        size_t ns = tf_plan_count(p), j = 0;
        bool ok = ns > 0;
        for (size_t i = 0; i < ns && ok; i++) {
            const tf_shard *s = tf_plan_get(p, i);
            ok = s->file == 0 && s->zstd == 1 && j < nf && s->begin == fr[j].begin;
            uint64_t acc = 0;
            bool data = false, closed = false;
            for (size_t q = j; ok && q < nf && fr[q].begin < s->end; q++) {
                if (closed && i + 1 < ns)
                    ok = false; /* a shard other than the last went on after closing */
                if (closed && (fr[q].kind == TF_ZFRAME_DAMAGED || fr[q].usize > 0))
                    ok = false; /* only frames without data may follow */
                if (fr[q].kind == TF_ZFRAME_DAMAGED || fr[q].usize > 0)
                    data = true;
                if (fr[q].kind != TF_ZFRAME_DAMAGED)
                    acc = acc > UINT64_MAX - fr[q].usize ? UINT64_MAX : acc + fr[q].usize;
                if (acc >= target && data)
                    closed = true;
                j = q + 1;
            }
            ok = ok && fr[j - 1].end == s->end && (data || ns == 1);
            ok = ok && (i + 1 == ns || closed);
        }
        ok = ok && j == nf;
        CHECKF(ok, "seed %" PRIu64 " target %" PRIu64 ": %zu shards do not follow the walk", seed,
               targets[k], ns);
        tf_plan_free(p);
    }
    free(fr);
    free(z.p);
    free(text.p);
}

/* ---------------------------------------------------------------------- */
/* several files                                                          */
/* ---------------------------------------------------------------------- */

/* Missing files, empty files, files of only newlines; several files in one
 * plan keep their order, and their shards read every line. */
static void test_plan_files(void)
{
    char missing[512], empty[512], emptyz[512], nl[512], nlz[512];
    tmp_path(missing, sizeof missing, "does-not-exist.jsonl");
    unlink(missing);
    tf_plan *p = NULL;
    tf_diag d = {{0}};
    const char *f1[] = {missing};
    CHECK(tf_plan_create(f1, 1, 100, &p, &d) == TF_ERR_IO && p == NULL);
    CHECKF(contains(d.msg, missing) && contains(d.msg, "No such file"), "diag %s", d.msg);
    tf_reader *r = NULL;

    tmp_path(empty, sizeof empty, "empty.jsonl");
    tmp_path(emptyz, sizeof emptyz, "empty.jsonl.zst");
    tmp_path(nl, sizeof nl, "nl.jsonl");
    tmp_path(nlz, sizeof nlz, "nl.jsonl.zst");
    write_file(empty, "", 0);
    write_file(emptyz, "", 0);
    write_file(nl, "\n\n\n\n\n", 5);
    vec z = {0};
    add_frame(&z, "\n\n\n\n\n", 5, 1, true, false);
    write_file(nlz, z.p, z.n);
    free(z.p);
    const char *files[] = {empty, nl, emptyz, nlz, nl};
    CHECK(tf_plan_create(files, 5, 2, &p, &d) == TF_OK);
    size_t n = tf_plan_count(p);
    CHECK(n >= 4);
    uint32_t prev = 0;
    uint64_t lines = 0, recs = 0;
    for (size_t i = 0; i < n; i++) {
        const tf_shard *sh = tf_plan_get(p, i);
        CHECK(sh->file != 0 && sh->file != 2 && sh->file >= prev);
        CHECK(sh->zstd == (sh->file == 3));
        prev = sh->file;
        CHECK(tf_reader_open(files[sh->file], sh, 100, &r, &d) == TF_OK);
        const char *line;
        size_t len;
        uint64_t no;
        while (tf_reader_next(r, &line, &len, &no, &d) == TF_OK)
            recs++;
        lines += tf_reader_lines(r);
        tf_reader_free(r);
    }
    CHECK(recs == 0 && lines == 15);
    CHECK(tf_plan_get(p, n) == NULL);
    tf_plan_free(p);
    CHECK(tf_plan_create(files, 1, 2, &p, &d) == TF_OK && tf_plan_count(p) == 0);
    tf_plan_free(p);
    CHECK(tf_plan_create(files + 2, 1, 2, &p, &d) == TF_OK && tf_plan_count(p) == 0);
    tf_plan_free(p);
    CHECK(tf_plan_count(NULL) == 0 && tf_plan_get(NULL, 0) == NULL);
}

/* tf_plan_create_limited: the plan of a corpus cut to its first N records
 * ends in the shard of the N-th, whose reader stops there; the shards of
 * the records read are tf_plan_create's; a limit past the corpus: no cut. */
static void test_plan_limited(void)
{
    char a[512], b[512];
    tmp_path(a, sizeof a, "lim-a.jsonl.zst");
    tmp_path(b, sizeof b, "lim-b.jsonl");
    vec z = {0}, t = {0};
    for (int f = 0; f < 5; f++) { /* 5 frames of 4 records */
        vec fr = {0};
        for (int i = 0; i < 4; i++) {
            char line[64];
            int n = snprintf(line, sizeof line, "{\"a\":%d}\n", f * 4 + i);
            vec_add(&fr, line, (size_t)n);
        }
        add_frame(&z, fr.p, fr.n, 1, true, false);
        free(fr.p);
    }
    write_file(a, z.p, z.n);
    vec_add(&t, "{\"b\":1}\n\n{\"b\":2}\n{\"b\":3}\n", 24);
    write_file(b, t.p, t.n);
    const char *files[] = {a, b};
    static const struct {
        uint64_t limit, target;
        int cut;
        uint64_t shards, records;
    } cases[] = {
        {6, 30, 1, 2, 2},    /* mid-frame: shard 1 (frames of ~32 bytes) reads 2 */
        {20, 30, 1, 5, 4},   /* the last record of a: no shard of b */
        {22, 1000, 1, 2, 2}, /* into b (one shard per file): b's shard reads 2 */
        {23, 5, 1, 9, 1},    /* exactly the corpus: cut after its last record (shard 8 of
                                b's 5-byte ranges); the empty range after it is dropped */
        {1000, 5, 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        tf_plan *p = NULL, *full = NULL;
        tf_diag d = {{0}};
        CHECK(tf_plan_create_limited(files, 2, cases[k].target, cases[k].limit, 100, &p, &d) ==
              TF_OK);
        CHECK(tf_plan_create(files, 2, cases[k].target, &full, &d) == TF_OK);
        uint64_t sh = 0, recs = 0;
        int cut = tf_plan_cut(p, &sh, &recs);
        CHECKF(cut == cases[k].cut, "case %zu: cut %d", k, cut);
        if (cut)
            CHECKF(tf_plan_count(p) == cases[k].shards && sh == cases[k].shards - 1 &&
                       recs == cases[k].records,
                   "case %zu: %zu shards, cut at %" PRIu64 " after %" PRIu64, k, tf_plan_count(p),
                   sh, recs);
        else
            CHECK(tf_plan_count(p) == tf_plan_count(full) && tf_plan_hash(p) == tf_plan_hash(full));
        /* the same shards as the full plan, as far as they go */
        for (size_t i = 0; i < tf_plan_count(p); i++) {
            const tf_shard *x = tf_plan_get(p, i), *y = tf_plan_get(full, i);
            CHECK(y && x->file == y->file && x->zstd == y->zstd && x->begin == y->begin &&
                  x->end == y->end);
        }
        /* reading the plan with the cut gives exactly limit records */
        uint64_t n = 0;
        for (size_t i = 0; i < tf_plan_count(p); i++) {
            tf_reader *r = NULL;
            const tf_shard *s = tf_plan_get(p, i);
            CHECK(tf_reader_open(files[s->file], s, 100, &r, &d) == TF_OK);
            if (!r)
                continue;
            if (cut && i == sh)
                tf_reader_limit(r, recs);
            const char *line;
            size_t len;
            uint64_t no;
            while (tf_reader_next(r, &line, &len, &no, &d) == TF_OK)
                n++;
            tf_reader_free(r);
        }
        CHECKF(n == (cases[k].limit < 23 ? cases[k].limit : 23), "case %zu: %" PRIu64 " records", k,
               n);
        if (cut)
            CHECK(tf_plan_hash(p) != tf_plan_hash(full));
        tf_plan_free(p);
        tf_plan_free(full);
    }
    free(z.p);
    free(t.p);
}

int main(void)
{
    test_plan_exact();
    test_plan_hash();
    for (uint64_t seed = 1; seed <= 12; seed++)
        test_plan_walk(seed);
    test_plan_files();
    test_plan_limited();
    return tf_test_done();
}
