/* genmain.c: corpus records and the "tracefarm gen maze" CLI.
 *
 * A record is a pure function of (options, index): its seed is derived from
 * (--seed, i), the maze from that seed (tf_maze_generate), the reference output
 * from the farm's A* (tf_maze_astar, default variant), and the corruption
 * (which one, and where) from a splitmix64 stream of the record seed,
 * applied by tf_maze_corrupt (corrupt.c). See docs/gen.md for the derivation
 * and for why each corruption is detectable.
 */
#include "tracefarm/buf.h"
#include "tracefarm/gen.h"
#include "tracefarm/maze.h"
#include "tracefarm/rng.h"

#include <cjson/cJSON.h>
#include <zstd.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEXT_LIMIT ((size_t)1 << 30)            /* one trace text */
#define FRAME_SOFT ((size_t)256 << 20)          /* flush a zstd frame early past this */
#define FRAME_LIMIT ((size_t)3 << 30)           /* hard cap of one frame's input */
#define MASK53 ((UINT64_C(1) << 53) - 1)        /* seeds stay exact as JSON numbers */
#define SALT_CORRUPT UINT64_C(0x636f7272757074) /* "corrupt" */

/* ----- randomness --------------------------------------------------------- */

/* Seed of record i: tf_mix64(tf_mix64(seed) + (i + 1) * TF_RNG_GOLDEN), low 53 bits.
 * Distinct i give distinct mixer inputs, the outer mix decorrelates
 * neighbouring records, and 53 bits keep the value exact in JSON. */
static uint64_t record_seed(uint64_t seed, long i)
{
    return tf_mix64(tf_mix64(seed) + (uint64_t)(i + 1) * TF_RNG_GOLDEN) & MASK53;
}

/* The reference A* text (default variant, dialect d) of a maze. */
static tf_err astar_text(const tf_maze *m, tf_maze_dialect d, tf_buf *out, long *ops)
{
    tf_astar_opts o = tf_astar_default();
    long plan;
    return tf_maze_astar(m, &o, d, out, ops, &plan);
}

/* ----- records ------------------------------------------------------------ */

#define GEN_MIX (-1)

typedef struct gen_opts {
    long count;
    int rows, cols;
    int kind; /* tf_maze_gen or GEN_MIX */
    double coverage;
    tf_maze_dialect dialect;
    int corruption; /* tf_maze_corruption or GEN_MIX */
    double rate;
    uint64_t seed;
    long frame_items;
    const char *out;
} gen_opts;

/* Add a string member; false on allocation failure. */
static bool add_str(cJSON *o, const char *k, const char *v)
{
    return cJSON_AddStringToObject(o, k, v ? v : "") != NULL;
}

/* Build the JSON line of record i (caller frees *line). The corruption
 * choice is drawn first from the record's own stream (rate, then the
 * corruption's positions), so adding a corruption never shifts the mazes. */
static tf_err build_record(const gen_opts *g, long i, char **line, tf_diag *d)
{
    *line = NULL;
    uint64_t rs = record_seed(g->seed, i);
    tf_maze_gen kind =
        g->kind == GEN_MIX ? (tf_maze_gen)(i % TF_MAZE_GEN_COUNT) : (tf_maze_gen)g->kind;
    tf_maze *m = NULL;
    tf_err e = tf_maze_generate(kind, g->rows, g->cols, g->coverage, rs, &m, d);
    if (e != TF_OK)
        return e;

    tf_buf prompt, ref, out;
    tf_buf_init(&prompt, TEXT_LIMIT);
    tf_buf_init(&ref, TEXT_LIMIT);
    tf_buf_init(&out, TEXT_LIMIT);
    cJSON *o = NULL;
    long ops = 0;

    tf_rng r = {tf_mix64(rs ^ SALT_CORRUPT)};
    tf_maze_corruption k = TF_MAZE_CORRUPT_NONE;
    if (g->corruption != TF_MAZE_CORRUPT_NONE) {
        tf_maze_corruption want = g->corruption == GEN_MIX
                                      ? (tf_maze_corruption)(i % TF_MAZE_CORRUPT_COUNT)
                                      : (tf_maze_corruption)g->corruption;
        if (tf_rng_unit(&r) < g->rate)
            k = want;
    }

    if ((e = tf_maze_write_prompt(m, g->dialect, &prompt)) != TF_OK ||
        (e = astar_text(m, g->dialect, &ref, &ops)) != TF_OK) {
        tf_diag_set(d, "reference A* failed: %s", tf_strerror(e));
        goto done;
    }
    const char *output = ref.data;
    if (k != TF_MAZE_CORRUPT_NONE) {
        tf_maze_corrupt_opts co = {kind, g->coverage, rs, 0, 0, r.x};
        if ((e = tf_maze_corrupt(m, g->dialect, k, &co, ref.data, &out, d)) != TF_OK)
            goto done;
        output = out.data;
    }

    char id[96], seedtxt[32];
    snprintf(id, sizeof id, "maze-%" PRIu64 "-%ld", g->seed, i);
    snprintf(seedtxt, sizeof seedtxt, "%" PRIu64, rs);
    e = TF_ERR_NOMEM;
    o = cJSON_CreateObject();
    if (!o || !add_str(o, "id", id) || !cJSON_AddNumberToObject(o, "rows", g->rows) ||
        !cJSON_AddNumberToObject(o, "cols", g->cols) ||
        !add_str(o, "generator", tf_maze_gen_name(kind)) ||
        !add_str(o, "corruption", tf_maze_corruption_name(k)) ||
        !cJSON_AddRawToObject(o, "seed", seedtxt))
        goto done;
    if (g->dialect == TF_MAZE_SEARCHFORMER) {
        if (!add_str(o, "prompt", prompt.data) || !add_str(o, "output", output) ||
            !add_str(o, "reference", ref.data))
            goto done;
    } else {
        /* beyond: one text, query then reasoning */
        tf_buf full;
        tf_buf_init(&full, 2 * TEXT_LIMIT);
        bool ok = tf_buf_printf(&full, "%s %s", prompt.data, output) == TF_OK &&
                  add_str(o, "text", full.data);
        tf_buf_reset(&full);
        ok = ok && tf_buf_printf(&full, "%s %s", prompt.data, ref.data) == TF_OK &&
             add_str(o, "reference", full.data);
        tf_buf_free(&full);
        if (!ok)
            goto done;
    }
    if (!cJSON_AddNumberToObject(o, "optimal_plan_len", (double)tf_maze_optimal_plan_len(m)) ||
        !cJSON_AddNumberToObject(o, "reference_ops", (double)ops))
        goto done;
    *line = cJSON_PrintUnformatted(o);
    e = *line ? TF_OK : TF_ERR_NOMEM;
done:
    if (e != TF_OK && d && !d->msg[0])
        tf_diag_set(d, "%s", tf_strerror(e));
    cJSON_Delete(o);
    tf_buf_free(&prompt);
    tf_buf_free(&ref);
    tf_buf_free(&out);
    tf_maze_free(m);
    return e;
}

/* ----- output ------------------------------------------------------------- */

/* A .jsonl or multi-frame .jsonl.zst sink. Frames hold whole lines, K per
 * frame (fewer if a frame's input passes FRAME_SOFT), so a reader can
 * decompress frames independently and never split a record. */
typedef struct writer {
    FILE *f;
    bool zst;
    ZSTD_CCtx *cctx;
    tf_buf frame;
    long in_frame, frame_items;
    void *z;
    size_t zcap;
} writer;

static tf_err flush_frame(writer *w, tf_diag *d)
{
    if (!w->zst || w->frame.len == 0)
        return TF_OK;
    size_t bound = ZSTD_compressBound(w->frame.len);
    if (bound > w->zcap) {
        void *p = realloc(w->z, bound);
        if (!p)
            return TF_ERR_NOMEM;
        w->z = p;
        w->zcap = bound;
    }
    size_t n = ZSTD_compress2(w->cctx, w->z, w->zcap, w->frame.data, w->frame.len);
    if (ZSTD_isError(n)) {
        tf_diag_set(d, "zstd: %s", ZSTD_getErrorName(n));
        return TF_ERR_ZSTD;
    }
    if (fwrite(w->z, 1, n, w->f) != n) {
        tf_diag_set(d, "write failed: %s", strerror(errno));
        return TF_ERR_IO;
    }
    tf_buf_reset(&w->frame);
    w->in_frame = 0;
    return TF_OK;
}

static tf_err write_line(writer *w, const char *line, tf_diag *d)
{
    size_t n = strlen(line);
    if (!w->zst) {
        if (fwrite(line, 1, n, w->f) != n || fputc('\n', w->f) == EOF) {
            tf_diag_set(d, "write failed: %s", strerror(errno));
            return TF_ERR_IO;
        }
        return TF_OK;
    }
    tf_err e;
    if (w->in_frame > 0 && w->frame.len + n + 1 > FRAME_SOFT && (e = flush_frame(w, d)) != TF_OK)
        return e;
    if ((e = tf_buf_append(&w->frame, line, n)) != TF_OK ||
        (e = tf_buf_append(&w->frame, "\n", 1)) != TF_OK) {
        tf_diag_set(d, "frame buffer: %s", tf_strerror(e));
        return e;
    }
    if (++w->in_frame >= w->frame_items)
        return flush_frame(w, d);
    return TF_OK;
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Generate every record into a temporary file beside --out and rename it
 * into place at the end, so a failed run never leaves a truncated corpus
 * under the requested name. */
static int run(const gen_opts *g)
{
    tf_diag d = {{0}};
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", g->out, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "tracefarm gen maze: --out: path too long\n");
        return 2;
    }
    writer w = {0};
    w.zst = ends_with(g->out, ".zst");
    w.frame_items = g->frame_items;
    tf_buf_init(&w.frame, FRAME_LIMIT);
    w.f = fopen(tmp, "wb");
    if (!w.f) {
        fprintf(stderr, "tracefarm gen maze: %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    tf_err e = TF_OK;
    if (w.zst) {
        w.cctx = ZSTD_createCCtx();
        if (!w.cctx || ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel, 3)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1))) {
            tf_diag_set(&d, "cannot set up the zstd compressor");
            e = TF_ERR_ZSTD;
        }
    }
    long i = 0;
    for (; i < g->count && e == TF_OK; i++) {
        char *line = NULL;
        e = build_record(g, i, &line, &d);
        if (e == TF_OK)
            e = write_line(&w, line, &d);
        cJSON_free(line);
        if (e != TF_OK)
            tf_diag_prefix(&d, "record %ld (maze-%" PRIu64 "-%ld): ", i, g->seed, i);
    }
    if (e == TF_OK)
        e = flush_frame(&w, &d);
    if (fclose(w.f) != 0 && e == TF_OK) {
        tf_diag_set(&d, "close failed: %s", strerror(errno));
        e = TF_ERR_IO;
    }
    ZSTD_freeCCtx(w.cctx);
    tf_buf_free(&w.frame);
    free(w.z);
    if (e == TF_OK && rename(tmp, g->out) != 0) {
        tf_diag_set(&d, "cannot rename %s to %s: %s", tmp, g->out, strerror(errno));
        e = TF_ERR_IO;
    }
    if (e != TF_OK) {
        unlink(tmp);
        fprintf(stderr, "tracefarm gen maze: %s\n", d.msg);
        return 1;
    }
    return 0;
}

/* ----- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: tracefarm gen maze --out FILE [options]\n"
          "\n"
          "Write a deterministic corpus of maze problems with their reference A* traces\n"
          "(and optional corruptions) as JSON lines. Same options, same bytes.\n"
          "\n"
          "  --out FILE           output: FILE.jsonl (plain) or FILE.jsonl.zst (zstd, one\n"
          "                       frame per --frame-items records); required\n"
          "  --count N            records (default 100)\n"
          "  --rows R --cols C    grid size (default 30 30; 1..4096 per side)\n"
          "  --generator G        wilson|kruskal|dfs|drunkard|searchformer|mix (default\n"
          "                       wilson; mix cycles through all by record index)\n"
          "  --coverage F         drunkard: open fraction to reach, 0 < F <= 1 (default 0.5)\n"
          "  --dialect D          searchformer|beyond (default searchformer)\n"
          "  --corrupt K          none|swapped|g|h|coord|drop|duplicate|truncate|wrong_plan|mix\n"
          "                       (default none; mix cycles none and every corruption)\n"
          "  --corrupt-rate P     fraction of records corrupted, 0..1 (default 1 with --corrupt)\n"
          "  --seed S             64-bit seed (default 1); record i uses a seed derived from\n"
          "                       (S, i), written to its \"seed\" field\n"
          "  --frame-items K      records per zstd frame (default 1000)\n"
          "  --help               this text\n"
          "\n"
          "examples:\n"
          "  tracefarm gen maze --count 1000 --out mazes.jsonl\n"
          "  tracefarm gen maze --generator searchformer --rows 30 --cols 30 --count 100000 \\\n"
          "      --out sf.jsonl.zst\n"
          "  tracefarm gen maze --dialect beyond --generator mix --corrupt mix \\\n"
          "      --corrupt-rate 0.5 --seed 7 --out mixed.jsonl\n",
          f);
}

/* Strict integer in [lo, hi]: digits only (optional '-'), no trailing text. */
static bool parse_long(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    if (!*s)
        return false;
    long x = strtol(s, &end, 10);
    if (*end || errno || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno)
        return false;
    *v = (uint64_t)x;
    return true;
}

static bool parse_frac(const char *s, double *v)
{
    char *end;
    errno = 0;
    if (!*s)
        return false;
    double x = strtod(s, &end);
    if (*end || errno || !isfinite(x))
        return false;
    *v = x;
    return true;
}

/* Report a usage error naming the option; returns the usage exit code. */
static int bad(const char *opt, const char *val, const char *why)
{
    if (val)
        fprintf(stderr, "tracefarm gen maze: %s '%s': %s\n", opt, val, why);
    else
        fprintf(stderr, "tracefarm gen maze: %s: %s\n", opt, why);
    fprintf(stderr, "try 'tracefarm gen maze --help'\n");
    return 2;
}

/* Parse "gen maze [options]" (argv[0] = "gen"). Options take their value
 * as the next argument or after '='. Every error names the option and
 * exits 2 before anything is written. */
int tf_gen_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "maze") != 0) {
        fprintf(stderr, "tracefarm gen: expected the corpus kind 'maze'%s%s%s\n",
                argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
        usage(stderr);
        return 2;
    }
    gen_opts g = {
        100, 30,   30,  TF_MAZE_GEN_WILSON, 0.5, TF_MAZE_SEARCHFORMER, TF_MAZE_CORRUPT_NONE, 1.0,
        1,   1000, NULL};
    bool rate_given = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return bad(a, NULL, "unexpected argument (options start with --)");
        char name[64];
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl >= sizeof name)
            return bad(a, NULL, "unknown option");
        memcpy(name, a, nl);
        name[nl] = '\0';
        static const char *const known[] = {
            "--count",   "--rows", "--cols",         "--generator", "--coverage",   "--dialect",
            "--corrupt", "--seed", "--corrupt-rate", "--out",       "--frame-items"};
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            ok = ok || !strcmp(name, known[k]);
        if (!ok)
            return bad(name, NULL, "unknown option");
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v)
            return bad(name, NULL, "needs a value");
        long n;
        if (!strcmp(name, "--count")) {
            if (!parse_long(v, 0, 1000000000000L, &n))
                return bad(name, v, "not an integer in 0..10^12");
            g.count = n;
        } else if (!strcmp(name, "--rows") || !strcmp(name, "--cols")) {
            if (!parse_long(v, 1, TF_MAZE_MAX_SIDE, &n))
                return bad(name, v, "not an integer in 1..4096");
            *(name[2] == 'r' ? &g.rows : &g.cols) = (int)n;
        } else if (!strcmp(name, "--generator")) {
            int k = tf_maze_gen_parse(v);
            if (k < 0 && strcmp(v, "mix") != 0)
                return bad(name, v, "not one of wilson, kruskal, dfs, drunkard, searchformer, mix");
            g.kind = k < 0 ? GEN_MIX : k;
        } else if (!strcmp(name, "--coverage")) {
            if (!parse_frac(v, &g.coverage) || !(g.coverage > 0.0 && g.coverage <= 1.0))
                return bad(name, v, "not a number in (0, 1]");
        } else if (!strcmp(name, "--dialect")) {
            if (!strcmp(v, "searchformer"))
                g.dialect = TF_MAZE_SEARCHFORMER;
            else if (!strcmp(v, "beyond"))
                g.dialect = TF_MAZE_BEYOND;
            else
                return bad(name, v, "not one of searchformer, beyond");
        } else if (!strcmp(name, "--corrupt")) {
            int k = tf_maze_corruption_parse(v);
            if (k < 0 && strcmp(v, "mix") != 0)
                return bad(name, v,
                           "not one of none, swapped, g, h, coord, drop, duplicate, truncate, "
                           "wrong_plan, mix");
            g.corruption = k < 0 ? GEN_MIX : k;
        } else if (!strcmp(name, "--corrupt-rate")) {
            if (!parse_frac(v, &g.rate) || !(g.rate >= 0.0 && g.rate <= 1.0))
                return bad(name, v, "not a number in [0, 1]");
            rate_given = true;
        } else if (!strcmp(name, "--seed")) {
            if (!parse_u64(v, &g.seed))
                return bad(name, v, "not an unsigned 64-bit integer");
        } else if (!strcmp(name, "--frame-items")) {
            if (!parse_long(v, 1, 100000000L, &n))
                return bad(name, v, "not an integer in 1..10^8");
            g.frame_items = n;
        } else { /* --out */
            if (!ends_with(v, ".jsonl") && !ends_with(v, ".jsonl.zst"))
                return bad(name, v, "must end in .jsonl or .jsonl.zst");
            g.out = v;
        }
    }
    if (!g.out)
        return bad("--out", NULL, "is required");
    if ((long)g.rows * g.cols > TF_MAZE_MAX_CELLS)
        return bad("--rows/--cols", NULL, "the grid exceeds 4194304 cells");
    if (rate_given && g.corruption == TF_MAZE_CORRUPT_NONE)
        return bad("--corrupt-rate", NULL, "needs --corrupt");
    return run(&g);
}
