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
#include "tracefarm/opt.h"
#include "tracefarm/rng.h"

#include <cjson/cJSON.h>
#include <zstd.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
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

/* why = "must be one of A, B, ...". */
static void must_be_one_of(tf_diag *why, const char *const *names, int n)
{
    size_t k = (size_t)snprintf(why->msg, sizeof why->msg, "must be one of");
    for (int i = 0; i < n && k < sizeof why->msg; i++)
        k += (size_t)snprintf(why->msg + k, sizeof why->msg - k, "%s %s", i ? "," : "", names[i]);
}

/* --generator: a generator's name, or "mix" (GEN_MIX). */
static bool generator_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    int k = tf_maze_gen_parse(val);
    if (k < 0 && strcmp(val, "mix") != 0) {
        const char *names[TF_MAZE_GEN_COUNT + 1];
        for (int i = 0; i < TF_MAZE_GEN_COUNT; i++)
            names[i] = tf_maze_gen_name((tf_maze_gen)i);
        names[TF_MAZE_GEN_COUNT] = "mix";
        must_be_one_of(why, names, TF_MAZE_GEN_COUNT + 1);
        return false;
    }
    *(int *)dest = k < 0 ? GEN_MIX : k;
    return true;
}

/* --corrupt: a corruption's name (or "none"), or "mix" (GEN_MIX). */
static bool corrupt_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    int k = tf_maze_corruption_parse(val);
    if (k < 0 && strcmp(val, "mix") != 0) {
        const char *names[TF_MAZE_CORRUPT_COUNT + 1];
        for (int i = 0; i < TF_MAZE_CORRUPT_COUNT; i++)
            names[i] = tf_maze_corruption_name((tf_maze_corruption)i);
        names[TF_MAZE_CORRUPT_COUNT] = "mix";
        must_be_one_of(why, names, TF_MAZE_CORRUPT_COUNT + 1);
        return false;
    }
    *(int *)dest = k < 0 ? GEN_MIX : k;
    return true;
}

/* --dialect: searchformer or beyond. */
static bool dialect_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    if (!strcmp(val, "searchformer"))
        *(tf_maze_dialect *)dest = TF_MAZE_SEARCHFORMER;
    else if (!strcmp(val, "beyond"))
        *(tf_maze_dialect *)dest = TF_MAZE_BEYOND;
    else {
        static const char *const names[] = {"searchformer", "beyond"};
        must_be_one_of(why, names, 2);
        return false;
    }
    return true;
}

/* --out: the suffix picks the format, so it must be one we write. */
static bool out_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    (void)o;
    if (!ends_with(val, ".jsonl") && !ends_with(val, ".jsonl.zst")) {
        tf_diag_set(why, "must end in .jsonl or .jsonl.zst");
        return false;
    }
    *(const char **)dest = val;
    return true;
}

static const tf_opt maze_table[] = {
    {.kind = TF_OPT_CUSTOM,
     .name = "out",
     .arg = "FILE",
     .help = "the corpus: FILE.jsonl for plain JSON lines, FILE.jsonl.zst for zstd with one "
             "frame per --frame-items records",
     .off = offsetof(gen_opts, out),
     .fn = out_value,
     .required = true},
    {.kind = TF_OPT_LONG,
     .name = "count",
     .arg = "N",
     .help = "records",
     .off = offsetof(gen_opts, count),
     .lo = 0,
     .hi = 1e12,
     .def = "100"},
    {.kind = TF_OPT_INT,
     .name = "rows",
     .arg = "R",
     .help = "grid size: rows; rows x cols is at most 4194304 cells",
     .off = offsetof(gen_opts, rows),
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .def = "30"},
    {.kind = TF_OPT_INT,
     .name = "cols",
     .arg = "C",
     .help = "grid size: columns",
     .off = offsetof(gen_opts, cols),
     .lo = 1,
     .hi = TF_MAZE_MAX_SIDE,
     .def = "30"},
    {.kind = TF_OPT_CUSTOM,
     .name = "generator",
     .arg = "G",
     .help = "wilson, kruskal, dfs, drunkard, searchformer or mix; mix cycles through all by "
             "record index",
     .off = offsetof(gen_opts, kind),
     .fn = generator_value,
     .def = "wilson"},
    {.kind = TF_OPT_NUM,
     .name = "coverage",
     .arg = "F",
     .help = "drunkard: open fraction to reach",
     .off = offsetof(gen_opts, coverage),
     .lo = 0,
     .lo_open = true,
     .hi = 1,
     .def = "0.5"},
    {.kind = TF_OPT_CUSTOM,
     .name = "dialect",
     .arg = "D",
     .help = "searchformer or beyond",
     .off = offsetof(gen_opts, dialect),
     .fn = dialect_value,
     .def = "searchformer"},
    {.kind = TF_OPT_CUSTOM,
     .name = "corrupt",
     .arg = "K",
     .help = "none, swapped, g, h, coord, drop, duplicate, truncate, wrong_plan or mix; mix "
             "cycles none and every corruption",
     .off = offsetof(gen_opts, corruption),
     .fn = corrupt_value,
     .def = "none"},
    {.kind = TF_OPT_NUM,
     .name = "corrupt-rate",
     .arg = "P",
     .help = "fraction of records corrupted; needs --corrupt",
     .off = offsetof(gen_opts, rate),
     .lo = 0,
     .hi = 1,
     .def = "1"},
    {.kind = TF_OPT_U64,
     .name = "seed",
     .arg = "S",
     .help = "64-bit seed; record i uses a seed derived from (S, i), written to its \"seed\" "
             "field",
     .off = offsetof(gen_opts, seed),
     .def = "1"},
    {.kind = TF_OPT_LONG,
     .name = "frame-items",
     .arg = "K",
     .help = "records per zstd frame",
     .off = offsetof(gen_opts, frame_items),
     .lo = 1,
     .hi = 1e8,
     .def = "1000"},
    {.kind = TF_OPT_HELP, .name = "help", .letter = 'h', .help = "this text"},
    {0}};

static const tf_opt_cmd maze_cmd = {
    .prog = "tracefarm gen maze",
    .synopsis = "usage: tracefarm gen maze --out FILE [options]\n"
                "\n"
                "Write a deterministic corpus of maze problems with their reference A* traces\n"
                "(and optional corruptions) as JSON lines. Same options, same bytes.\n",
    .epilog =
        "examples:\n"
        "  tracefarm gen maze --count 1000 --out mazes.jsonl\n"
        "  tracefarm gen maze --generator searchformer --rows 30 --cols 30 --count 100000 \\\n"
        "      --out sf.jsonl.zst\n"
        "  tracefarm gen maze --dialect beyond --generator mix --corrupt mix \\\n"
        "      --corrupt-rate 0.5 --seed 7 --out mixed.jsonl\n",
    .opts = maze_table};

/* Parse "gen maze [options]" (argv[0] = "gen"). Every error names the
 * option and exits 2 before anything is written. */
int tf_gen_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        tf_opt_help(&maze_cmd, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "maze") != 0) {
        fprintf(stderr, "tracefarm gen: expected the corpus kind 'maze'%s%s%s\n",
                argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
        tf_opt_help(&maze_cmd, stderr);
        return 2;
    }
    gen_opts g = {0};
    bool given[sizeof maze_table / sizeof *maze_table];
    int st = tf_opt_parse(&maze_cmd, &g, argc - 1, argv + 1, given);
    if (st != TF_OPT_GO_ON)
        return st;
    if ((long)g.rows * g.cols > TF_MAZE_MAX_CELLS)
        return tf_opt_usage_error(&maze_cmd, "--rows/--cols", NULL, "the grid exceeds %ld cells",
                                  TF_MAZE_MAX_CELLS);
    if (tf_opt_given(&maze_cmd, given, "corrupt-rate") && g.corruption == TF_MAZE_CORRUPT_NONE)
        return tf_opt_usage_error(&maze_cmd, "--corrupt-rate", NULL, "needs --corrupt");
    return run(&g);
}
