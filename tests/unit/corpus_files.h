/* corpus_files.h: test corpus files for test_corpus.c and test_plan.c:
 * a seeded random generator, a byte vector, zstd frames written by libzstd
 * (with or without content size and checksum), skippable frames, random
 * JSONL-ish text, and the files of the exact frame-grouping test (planned
 * in test_plan.c, read in test_corpus.c). Static inline so that a test that
 * uses only some of them builds without unused-function warnings.
 *
 * Files go to TF_TEST_TMP, named CORPUS_TMP_PREFIX + name: each test sets
 * its own prefix so that the two tests can run in parallel.
 */
#ifndef TF_CORPUS_FILES_H
#define TF_CORPUS_FILES_H

#ifndef CORPUS_TMP_PREFIX
#define CORPUS_TMP_PREFIX "corpus_"
#endif

#include <zstd.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
    /* xorshift64*: deterministic per seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static inline size_t rndn(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* A growable byte vector for test data. */
typedef struct vec {
    unsigned char *p;
    size_t n, cap;
} vec;

static inline void vec_add(vec *v, const void *p, size_t n)
{
    if (v->n + n > v->cap) {
        size_t cap = v->cap ? v->cap : 256;
        while (cap < v->n + n)
            cap *= 2;
        v->p = realloc(v->p, cap);
        if (!v->p) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        v->cap = cap;
    }
    if (n)
        memcpy(v->p + v->n, p, n);
    v->n += n;
}

static inline void vec_byte(vec *v, unsigned char c)
{
    vec_add(v, &c, 1);
}

static inline void tmp_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s%s", TF_TEST_TMP, CORPUS_TMP_PREFIX, name);
}

static inline void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* Append one zstd frame of src to out. Flags vary how real writers differ:
 * with or without a content size, with or without a checksum. */
static inline void add_frame(vec *out, const void *src, size_t n, int level, bool size_flag,
                             bool checksum)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, size_flag ? 1 : 0);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    size_t bound = ZSTD_compressBound(n);
    unsigned char *dst = malloc(bound);
    size_t r = ZSTD_compress2(c, dst, bound, src, n);
    if (ZSTD_isError(r)) {
        fprintf(stderr, "compress: %s\n", ZSTD_getErrorName(r));
        exit(2);
    }
    vec_add(out, dst, r);
    free(dst);
    ZSTD_freeCCtx(c);
}

static inline void add_skippable(vec *out, unsigned variant, size_t payload)
{
    unsigned char h[8];
    uint32_t m = 0x184D2A50u | (variant & 15);
    uint32_t s = (uint32_t)payload;
    for (int i = 0; i < 4; i++) {
        h[i] = (unsigned char)(m >> (8 * i));
        h[4 + i] = (unsigned char)(s >> (8 * i));
    }
    vec_add(out, h, 8);
    for (size_t i = 0; i < payload; i++)
        vec_byte(out, (unsigned char)rnd());
}

/* Random JSONL-ish text: blank and whitespace-only lines, CRLF, NUL bytes,
 * lone '\r', long lines; the last line with or without '\n'. */
static inline void gen_text(vec *v, size_t nlines, size_t maxlen, bool final_newline)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz {}[]\":,0123456789\t";
    for (size_t i = 0; i < nlines; i++) {
        size_t kind = rndn(20);
        if (kind == 0) {
            /* empty line */
        } else if (kind == 1) {
            size_t k = 1 + rndn(5);
            for (size_t j = 0; j < k; j++)
                vec_byte(v, " \t\f\v"[rndn(4)]);
        } else if (kind == 2) {
            vec_byte(v, '\r');
        } else {
            size_t len = kind == 3 ? rndn(maxlen * 8) : 1 + rndn(maxlen);
            vec_byte(v, '{');
            for (size_t j = 0; j < len; j++)
                vec_byte(v, (unsigned char)alpha[rndn(sizeof alpha - 1)]);
            if (kind == 4)
                vec_byte(v, '\0');
            if (kind == 5)
                vec_byte(v, '\r');
            if (kind == 6)
                vec_add(v, "\r\r", 2);
            vec_byte(v, '}');
            if (kind == 7)
                vec_byte(v, ' ');
        }
        if (kind == 8 || kind == 9)
            vec_byte(v, '\r');
        if (i + 1 < nlines || final_newline)
            vec_byte(v, '\n');
    }
}

/* The files of the exact frame-grouping test: z is a 400 KB line of one
 * byte (zstd stores it as RLE blocks) in a frame with a declared size and
 * a checksum, then two small frames without a declared size (planned as 4 x
 * their compressed size); z2 is the two small frames between a skippable
 * frame and a trailing skippable plus empty frame. */
typedef struct exact_files {
    vec text;      /* the uncompressed bytes of z */
    size_t u1, u2; /* uncompressed sizes of the first and of each small frame */
    uint64_t f[4]; /* offsets of z's three frames, and z's size */
    uint64_t g1;   /* offset of the first small frame in z2 */
    vec z, z2;
} exact_files;

static inline void exact_build(exact_files *x)
{
    memset(x, 0, sizeof *x);
    vec_add(&x->text, "{\"run\":\"", 8);
    for (size_t i = 0; i < 400000; i++)
        vec_byte(&x->text, 'r');
    vec_add(&x->text, "\"}\n", 3);
    x->u1 = x->text.n;
    const char *small = "{\"a\":1}\n{\"b\":2}\n";
    vec_add(&x->text, small, strlen(small));
    vec_add(&x->text, small, strlen(small));
    x->u2 = strlen(small);
    x->f[0] = x->z.n;
    add_frame(&x->z, x->text.p, x->u1, 3, true, true);
    x->f[1] = x->z.n;
    add_frame(&x->z, x->text.p + x->u1, x->u2, 3, false, false); /* no size: 4 x compressed */
    x->f[2] = x->z.n;
    add_frame(&x->z, x->text.p + x->u1 + x->u2, x->u2, 3, false, false);
    x->f[3] = x->z.n;
    add_skippable(&x->z2, 3, 10);
    x->g1 = x->z2.n;
    vec_add(&x->z2, x->z.p + x->f[1], (size_t)(x->f[3] - x->f[1]));
    add_skippable(&x->z2, 15, 0);
    add_frame(&x->z2, "", 0, 1, true, false);
}

static inline void exact_free(exact_files *x)
{
    free(x->text.p);
    free(x->z.p);
    free(x->z2.p);
}

#endif
