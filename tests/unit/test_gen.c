/* test_gen.c: the maze generators, the corpus records, the corruptions and
 * the "tracefarm gen maze" command line.
 *
 * Records are read back through the public API only (cJSON, the prompt
 * parser and the verifier), so the test checks what a consumer sees.
 */
#include "tf_test.h"
#include "tracefarm/gen.h"
#include "tracefarm/maze_verify.h"

#include <cjson/cJSON.h>
#include <zstd.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ----- helpers ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = n;
    return b;
}

/* Run "gen maze" with a list of extra arguments ended by END (a typed null
 * pointer: a bare NULL may be an int in a variadic call). */
#define END ((const char *)NULL)
static int gen(const char *out, ...)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "gen";
    argv[argc++] = "maze";
    va_list ap;
    va_start(ap, out);
    for (const char *a = va_arg(ap, const char *); a && argc < 60; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    if (out) {
        argv[argc++] = "--out";
        argv[argc++] = (char *)out;
    }
    argv[argc] = NULL;
    return tf_gen_main(argc, argv);
}

static const char *tmp_path(const char *name)
{
    static char buf[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/gen_%ld_%s", TF_TEST_TMP, (long)getpid(), name);
    return buf[k];
}

/* Load all JSON lines of a file; returns a cJSON array (caller deletes). */
static cJSON *load_records(const char *path)
{
    size_t len;
    char *b = slurp(path, &len);
    if (!b)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    char *p = b;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break; /* a last line without newline would be a bug: not loaded */
        *nl = '\0';
        cJSON *o = cJSON_Parse(p);
        if (!o)
            break;
        cJSON_AddItemToArray(arr, o);
        p = nl + 1;
    }
    free(b);
    return arr;
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Count the open cells reachable from the start (4-connected). */
static long reachable(const tf_maze *m)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    size_t n = (size_t)rows * (size_t)cols;
    unsigned char *seen = calloc(n, 1);
    int *q = malloc(n * sizeof *q);
    int sx, sy;
    tf_maze_start(m, &sx, &sy);
    long head = 0, tail = 0;
    q[tail++] = sy * cols + sx;
    seen[sy * cols + sx] = 1;
    while (head < tail) {
        int c = q[head++], x = c % cols, y = c / cols;
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int k = 0; k < 4; k++) {
            int nx = x + dx[k], ny = y + dy[k];
            if (!tf_maze_in_grid(m, nx, ny) || tf_maze_is_wall(m, nx, ny) || seen[ny * cols + nx])
                continue;
            seen[ny * cols + nx] = 1;
            q[tail++] = ny * cols + nx;
        }
    }
    free(seen);
    free(q);
    return tail;
}

static long open_cells(const tf_maze *m)
{
    long n = 0;
    for (int y = 0; y < tf_maze_rows(m); y++)
        for (int x = 0; x < tf_maze_cols(m); x++)
            n += !tf_maze_is_wall(m, x, y);
    return n;
}

/* True if some cell is created more than once in an output (then the
 * published rules keep a worse entry in the open list; see test_maze_astar). */
static bool recreates(const tf_maze *m, const char *s)
{
    int cols = tf_maze_cols(m);
    unsigned char *c = calloc((size_t)tf_maze_rows(m) * (size_t)cols, 1);
    bool rep = false;
    for (const char *p = strstr(s, "create "); p && !rep; p = strstr(p + 1, "create ")) {
        int x, y;
        if (sscanf(p, "create %d %d", &x, &y) == 2 && tf_maze_in_grid(m, x, y)) {
            rep = c[(size_t)y * (size_t)cols + (size_t)x];
            c[(size_t)y * (size_t)cols + (size_t)x] = 1;
        }
    }
    free(c);
    return rep;
}

/* The problem, output and reference of a record, in the dialect's fields. */
typedef struct rec {
    tf_maze *m;
    tf_maze_dialect d;
    const char *output;    /* what the model would have written */
    const char *reference; /* the correct one */
} rec;

static bool open_record(const cJSON *o, tf_maze_dialect d, rec *r, tf_diag *diag)
{
    r->d = d;
    r->m = NULL;
    const char *prompt = d == TF_MAZE_SEARCHFORMER ? str_of(o, "prompt") : str_of(o, "text");
    r->output = d == TF_MAZE_SEARCHFORMER ? str_of(o, "output") : str_of(o, "text");
    r->reference = str_of(o, "reference");
    int rows = (int)num_of(o, "rows"), cols = (int)num_of(o, "cols");
    if (!prompt || !r->output || !r->reference)
        return false;
    return tf_maze_parse_prompt(prompt, strlen(prompt), rows, cols, &r->m, diag) == TF_OK;
}

/* ----- names and mazes ---------------------------------------------------- */

static void test_names(void)
{
    for (int k = 0; k < TF_MAZE_GEN_COUNT; k++) {
        const char *n = tf_maze_gen_name((tf_maze_gen)k);
        CHECK(n && tf_maze_gen_parse(n) == k);
    }
    CHECK(tf_maze_gen_name(TF_MAZE_GEN_COUNT) == NULL && tf_maze_gen_name((tf_maze_gen)-1) == NULL);
    CHECK(tf_maze_gen_parse("mix") == -1 && tf_maze_gen_parse(NULL) == -1);
    CHECK(!strcmp(tf_maze_gen_name(TF_MAZE_GEN_SEARCHFORMER), "searchformer"));
    for (int k = 0; k < TF_MAZE_CORRUPT_COUNT; k++) {
        const char *n = tf_maze_corruption_name((tf_maze_corruption)k);
        CHECK(n && tf_maze_corruption_parse(n) == k);
    }
    CHECK(tf_maze_corruption_name(TF_MAZE_CORRUPT_COUNT) == NULL);
    CHECK(tf_maze_corruption_parse("Swapped") == -1);
    CHECK(!strcmp(tf_maze_corruption_name(TF_MAZE_CORRUPT_WRONG_PLAN), "wrong_plan"));
}

/* Every generator, several sizes and seeds: distinct open start and goal, a
 * solvable maze, and each generator's own property. */
static void test_generators(void)
{
    static const int sizes[][2] = {{1, 3},   {3, 1},   {2, 5},   {5, 5}, {8, 13},
                                   {30, 30}, {31, 31}, {17, 64}, {1, 40}};
    long made = 0;
    for (int k = 0; k < TF_MAZE_GEN_COUNT; k++)
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
            for (uint64_t seed = 1; seed <= 25; seed++) {
                int rows = sizes[si][0], cols = sizes[si][1];
                bool tiny = rows < 5 || cols < 5;
                if (k == TF_MAZE_GEN_SEARCHFORMER && tiny)
                    continue; /* covered by the error cases below */
                tf_maze *m = NULL, *again = NULL;
                tf_diag d = {{0}};
                tf_err e = tf_maze_generate((tf_maze_gen)k, rows, cols, 0.4, seed, &m, &d);
                CHECKF(e == TF_OK, "%s %dx%d seed %lu: %s", tf_maze_gen_name((tf_maze_gen)k), rows,
                       cols, (unsigned long)seed, d.msg);
                if (e != TF_OK)
                    continue;
                made++;
                int sx, sy, gx, gy;
                tf_maze_start(m, &sx, &sy);
                tf_maze_goal(m, &gx, &gy);
                CHECK(sx != gx || sy != gy);
                CHECK(!tf_maze_is_wall(m, sx, sy) && !tf_maze_is_wall(m, gx, gy));
                long opt = tf_maze_optimal_plan_len(m);
                CHECK(opt >= 2);
                long open = open_cells(m), n = (long)rows * cols;
                if (k <= TF_MAZE_GEN_DFS) {
                    /* a spanning tree of the rooms: rooms at even x, y, open;
                     * odd-odd cells walls; open = 2 rooms - 1; connected */
                    long rooms = (long)((rows + 1) / 2) * ((cols + 1) / 2);
                    bool ok = sx % 2 == 0 && sy % 2 == 0 && gx % 2 == 0 && gy % 2 == 0;
                    for (int y = 0; y < rows; y++)
                        for (int x = 0; x < cols; x++) {
                            if (x % 2 == 0 && y % 2 == 0 && tf_maze_is_wall(m, x, y))
                                ok = false;
                            if (x % 2 == 1 && y % 2 == 1 && !tf_maze_is_wall(m, x, y))
                                ok = false;
                        }
                    CHECK(ok);
                    CHECKF(open == 2 * rooms - 1, "open %ld rooms %ld", open, rooms);
                    CHECK(reachable(m) == open);
                } else if (k == TF_MAZE_GEN_DRUNKARD) {
                    CHECK(open >= (long)ceil(0.4 * (double)n) && reachable(m) == open);
                } else {
                    double frac = (double)(n - open) / (double)n;
                    CHECKF(frac >= 0.30 && frac <= 0.50, "wall fraction %.3f", frac);
                    CHECKF(opt >= (rows > cols ? rows : cols), "plan %ld", opt);
                }
                /* same seed, same maze; next seed, another maze */
                tf_buf a, b;
                tf_buf_init(&a, 1 << 20);
                tf_buf_init(&b, 1 << 20);
                CHECK(tf_maze_generate((tf_maze_gen)k, rows, cols, 0.4, seed, &again, NULL) ==
                      TF_OK);
                if (again) {
                    CHECK(tf_maze_write_prompt(m, TF_MAZE_SEARCHFORMER, &a) == TF_OK);
                    CHECK(tf_maze_write_prompt(again, TF_MAZE_SEARCHFORMER, &b) == TF_OK);
                    CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
                    tf_maze_free(again);
                    again = NULL;
                }
                if (!tiny && tf_maze_generate((tf_maze_gen)k, rows, cols, 0.4, seed + 1000, &again,
                                              NULL) == TF_OK) {
                    tf_buf_reset(&b);
                    CHECK(tf_maze_write_prompt(again, TF_MAZE_SEARCHFORMER, &b) == TF_OK);
                    CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
                    tf_maze_free(again);
                }
                tf_buf_free(&a);
                tf_buf_free(&b);
                tf_maze_free(m);
            }
    CHECK(made > 900);

    /* drunkard coverage, including full coverage and the smallest grid */
    const double covs[] = {0.05, 0.3, 0.75, 1.0};
    for (size_t ci = 0; ci < sizeof covs / sizeof *covs; ci++)
        for (uint64_t seed = 1; seed <= 10; seed++) {
            tf_maze *m = NULL;
            CHECK(tf_maze_generate(TF_MAZE_GEN_DRUNKARD, 20, 25, covs[ci], seed, &m, NULL) ==
                  TF_OK);
            if (m) {
                long open = open_cells(m);
                CHECKF(open >= (long)ceil(covs[ci] * 500.0), "coverage %.2f: %ld open", covs[ci],
                       open);
                CHECK(reachable(m) == open);
            }
            tf_maze_free(m);
        }
    tf_maze *m = NULL;
    CHECK(tf_maze_generate(TF_MAZE_GEN_DRUNKARD, 1, 2, 0.1, 3, &m, NULL) == TF_OK);
    if (m)
        CHECK(tf_maze_optimal_plan_len(m) == 2);
    tf_maze_free(m);

    /* sizes no generator can serve: TF_ERR_PARSE with a message */
    for (int k = 0; k < TF_MAZE_GEN_COUNT; k++) {
        tf_diag d = {{0}};
        m = NULL;
        CHECK(tf_maze_generate((tf_maze_gen)k, 1, 1, 0.5, 1, &m, &d) == TF_ERR_PARSE && !m &&
              d.msg[0]);
        d.msg[0] = '\0';
        CHECK(tf_maze_generate((tf_maze_gen)k, 0, 9, 0.5, 1, &m, &d) == TF_ERR_PARSE && d.msg[0]);
    }
    tf_diag d = {{0}};
    CHECK(tf_maze_generate(TF_MAZE_GEN_WILSON, 1, 2, 0.5, 1, &m, &d) == TF_ERR_PARSE &&
          strstr(d.msg, "wilson"));
    CHECK(tf_maze_generate(TF_MAZE_GEN_DRUNKARD, 5, 5, 0.0, 1, &m, &d) == TF_ERR_PARSE);
    CHECK(tf_maze_generate(TF_MAZE_GEN_DRUNKARD, 5, 5, 1.5, 1, &m, &d) == TF_ERR_PARSE);
    CHECK(tf_maze_generate(TF_MAZE_GEN_SEARCHFORMER, 1, 3, 0.5, 1, &m, &d) == TF_ERR_PARSE &&
          strstr(d.msg, "searchformer"));
    CHECK(tf_maze_generate(TF_MAZE_GEN_COUNT, 5, 5, 0.5, 1, &m, &d) == TF_ERR_PARSE);
}

/* ----- records ------------------------------------------------------------ */

/* Same options, same bytes; another seed, other bytes; the zstd file holds
 * exactly the plain bytes, in several frames of whole lines. */
static void test_determinism_and_zstd(void)
{
    const char *a = tmp_path("a.jsonl"), *b = tmp_path("b.jsonl"), *c = tmp_path("c.jsonl");
    const char *z = tmp_path("a.jsonl.zst");
    CHECK(gen(a, "--count", "25", "--generator", "mix", "--corrupt", "mix", "--rows", "9", "--cols",
              "11", "--seed", "77", END) == 0);
    CHECK(gen(b, "--count", "25", "--generator", "mix", "--corrupt", "mix", "--rows", "9", "--cols",
              "11", "--seed", "77", END) == 0);
    CHECK(gen(c, "--count", "25", "--generator", "mix", "--corrupt", "mix", "--rows", "9", "--cols",
              "11", "--seed", "78", END) == 0);
    CHECK(gen(z, "--count", "25", "--generator", "mix", "--corrupt", "mix", "--rows", "9", "--cols",
              "11", "--seed", "77", "--frame-items", "10", END) == 0);
    size_t la = 0, lb = 0, lc = 0, lz = 0;
    char *da = slurp(a, &la), *db = slurp(b, &lb), *dc = slurp(c, &lc), *dz = slurp(z, &lz);
    CHECK(da && db && dc && dz);
    if (da && db && dc && dz) {
        CHECK(la > 0 && la == lb && !memcmp(da, db, la));
        CHECK(la != lc || memcmp(da, dc, la) != 0);
        long lines = 0;
        for (size_t i = 0; i < la; i++)
            lines += da[i] == '\n';
        CHECK(lines == 25 && da[la - 1] == '\n');

        /* whole-stream decompression equals the plain file */
        ZSTD_DStream *ds = ZSTD_createDStream();
        char *plain = malloc(la + 1);
        ZSTD_inBuffer in = {dz, lz, 0};
        ZSTD_outBuffer out = {plain, la + 1, 0};
        size_t r = 1;
        while (in.pos < in.size && !ZSTD_isError(r) && out.pos <= la)
            r = ZSTD_decompressStream(ds, &out, &in);
        CHECK(!ZSTD_isError(r) && r == 0);
        CHECK(out.pos == la && !memcmp(plain, da, la));
        ZSTD_freeDStream(ds);
        free(plain);

        /* frames: 25 records at 10 per frame = 3 frames, each whole lines */
        size_t pos = 0;
        int frames = 0;
        bool whole = true;
        while (pos < lz) {
            size_t fl = ZSTD_findFrameCompressedSize(dz + pos, lz - pos);
            if (ZSTD_isError(fl))
                break;
            unsigned long long cs = ZSTD_getFrameContentSize(dz + pos, fl);
            if (cs == ZSTD_CONTENTSIZE_ERROR || cs == ZSTD_CONTENTSIZE_UNKNOWN || cs == 0) {
                whole = false;
            } else {
                char *fb = malloc(cs);
                size_t got = ZSTD_decompress(fb, cs, dz + pos, fl);
                if (ZSTD_isError(got) || got != cs || fb[cs - 1] != '\n')
                    whole = false;
                long fl_lines = 0;
                for (size_t i = 0; i < got && !ZSTD_isError(got); i++)
                    fl_lines += fb[i] == '\n';
                if (fl_lines != (frames < 2 ? 10 : 5))
                    whole = false;
                free(fb);
            }
            frames++;
            pos += fl;
        }
        CHECK(pos == lz && frames == 3 && whole);
    }
    free(da);
    free(db);
    free(dc);
    free(dz);
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(z);
}

/* Every reference is correct under both verdicts with an optimal plan; the
 * fields agree with the verifier; mix cycles the generators. */
static void check_references(tf_maze_dialect d, const char *rows, const char *cols)
{
    const char *p = tmp_path("ref.jsonl");
    const char *dial = d == TF_MAZE_SEARCHFORMER ? "searchformer" : "beyond";
    CHECK(gen(p, "--count", "250", "--generator", "mix", "--rows", rows, "--cols", cols,
              "--dialect", dial, "--seed", "5", "--coverage", "0.6", END) == 0);
    cJSON *arr = load_records(p);
    CHECK(arr && cJSON_GetArraySize(arr) == 250);
    long i = 0, ref_stale = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        char id[64];
        snprintf(id, sizeof id, "maze-5-%ld", i);
        CHECK(str_of(o, "id") && !strcmp(str_of(o, "id"), id));
        CHECK(str_of(o, "generator") &&
              !strcmp(str_of(o, "generator"), tf_maze_gen_name((tf_maze_gen)(i % 5))));
        CHECK(str_of(o, "corruption") && !strcmp(str_of(o, "corruption"), "none"));
        double seed = num_of(o, "seed");
        CHECK(seed >= 0 && seed <= 9007199254740992.0 && seed == floor(seed));
        rec r;
        tf_diag diag = {{0}};
        if (!open_record(o, d, &r, &diag)) {
            CHECKF(0, "%s: %s", id, diag.msg);
            i++;
            continue;
        }
        CHECK(!strcmp(r.output, r.reference));
        tf_maze_verdict v;
        CHECK(tf_maze_verify(r.m, d, r.reference, strlen(r.reference), &v) == TF_OK);
        CHECKF(v.strict.valid && v.plan_valid && v.plan_optimal, "%s: strict %s plan %s", id,
               tf_maze_code_name(v.strict.first), tf_maze_code_name(v.plan_error));
        if (!v.ref.valid) {
            /* only the stale-entry case of the published rules */
            CHECKF(recreates(r.m, r.reference) && v.ref.first == TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE,
                   "%s: reference verdict %s", id, tf_maze_code_name(v.ref.first));
            ref_stale++;
        }
        CHECK(v.trace_len == (long)num_of(o, "reference_ops"));
        CHECK(v.optimal_plan_len == (long)num_of(o, "optimal_plan_len"));
        CHECK(v.optimal_plan_len == tf_maze_optimal_plan_len(r.m));
        CHECK(num_of(o, "rows") == atof(rows) && num_of(o, "cols") == atof(cols));
        if (d == TF_MAZE_BEYOND)
            CHECK(!strncmp(r.output, "query start ", 12) && strstr(r.output, " reasoning close ") &&
                  strstr(r.output, " solution plan "));
        else
            CHECK(!strncmp(r.output, "create ", 7) && !strncmp(str_of(o, "prompt"), "start ", 6));
        tf_maze_free(r.m);
        i++;
    }
    printf("references %s %sx%s: %ld records, %ld flagged by the published rules (stale entry of "
           "an improved cell)\n",
           dial, rows, cols, i, ref_stale);
    cJSON_Delete(arr);
    unlink(p);
}

/* Detection histogram for messages. */
typedef struct hist {
    long n[TF_MAZE_CODE_COUNT];
} hist;

static void hist_print(const char *what, const hist *h)
{
    printf("  %s:", what);
    for (int c = 0; c < TF_MAZE_CODE_COUNT; c++)
        if (h->n[c])
            printf(" %s=%ld", tf_maze_code_name((tf_maze_code)c), h->n[c]);
    printf("\n");
}

/* Every corrupted record is caught as the corruption promises. Records
 * whose reference the published rules already reject (stale entries) prove
 * nothing for the reference verdict, so they are counted, not used, there;
 * the strict verdict and the plan checks apply to every record. */
static void check_corruption(tf_maze_corruption k, tf_maze_dialect d, const char *size,
                             const char *count)
{
    const char *p = tmp_path("corrupt.jsonl");
    const char *dial = d == TF_MAZE_SEARCHFORMER ? "searchformer" : "beyond";
    const char *name = tf_maze_corruption_name(k);
    CHECK(gen(p, "--count", count, "--generator", "mix", "--rows", size, "--cols", size,
              "--dialect", dial, "--corrupt", name, "--seed", "11", END) == 0);
    cJSON *arr = load_records(p);
    CHECK(arr && cJSON_GetArraySize(arr) == atoi(count));
    long n = 0, ref_checked = 0, caught = 0;
    hist hr = {{0}}, hs = {{0}};
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        rec r;
        tf_diag diag = {{0}};
        const char *id = str_of(o, "id");
        if (!open_record(o, d, &r, &diag)) {
            CHECKF(0, "%s: %s", id ? id : "?", diag.msg);
            continue;
        }
        n++;
        CHECK(str_of(o, "corruption") && !strcmp(str_of(o, "corruption"), name));
        CHECK(strcmp(r.output, r.reference) != 0);
        tf_maze_verdict v, rv;
        CHECK(tf_maze_verify(r.m, d, r.output, strlen(r.output), &v) == TF_OK);
        CHECK(tf_maze_verify(r.m, d, r.reference, strlen(r.reference), &rv) == TF_OK);
        CHECK(rv.strict.valid && rv.plan_optimal);
        bool ref_meaningful = rv.ref.valid;
        hr.n[v.ref.first]++;
        hs.n[v.strict.first]++;
        bool ok = true;
        switch (k) {
        case TF_MAZE_CORRUPT_G:
            ok = !v.strict.valid && v.strict.first == TF_MAZE_STRICT_WRONG_G;
            break;
        case TF_MAZE_CORRUPT_H:
            ok = !v.strict.valid && v.strict.first == TF_MAZE_STRICT_WRONG_H;
            break;
        case TF_MAZE_CORRUPT_WRONG_PLAN:
            /* the plan is illegal, the trace untouched */
            ok = !v.plan_valid && !v.plan_optimal && v.strict.valid &&
                 v.ref.valid == rv.ref.valid && v.trace_len == rv.trace_len &&
                 v.plan_len == rv.plan_len;
            break;
        case TF_MAZE_CORRUPT_COORD:
            ok = !v.strict.valid && (!ref_meaningful || !v.ref.valid);
            if (ref_meaningful)
                ok = ok && (v.ref.first == TF_MAZE_CREATE_NON_NEIGHBOR ||
                            v.ref.first == TF_MAZE_CREATE_CLOSE_WALL ||
                            v.ref.first == TF_MAZE_CREATE_ALREADY_CLOSED);
            break;
        case TF_MAZE_CORRUPT_DUPLICATE:
            ok = !v.strict.valid && (!ref_meaningful || !v.ref.valid);
            if (ref_meaningful)
                ok = ok && v.ref.first == TF_MAZE_CLOSE_NOT_IN_OPEN_LIST;
            break;
        case TF_MAZE_CORRUPT_DROP:
            ok = !v.strict.valid && (!ref_meaningful || !v.ref.valid);
            if (ref_meaningful)
                ok = ok && (v.ref.first == TF_MAZE_CLOSE_NOT_IN_OPEN_LIST ||
                            v.ref.first == TF_MAZE_GOAL_NOT_REACHED);
            break;
        case TF_MAZE_CORRUPT_TRUNCATE:
            ok = !v.strict.valid && (!ref_meaningful || !v.ref.valid) && v.plan_valid;
            if (ref_meaningful)
                ok = ok && v.ref.first == TF_MAZE_GOAL_NOT_REACHED;
            break;
        case TF_MAZE_CORRUPT_SWAPPED:
            /* this maze's correct plan, another maze's trace */
            ok = !v.strict.valid && (!ref_meaningful || !v.ref.valid) && v.plan_valid &&
                 v.plan_optimal && strstr(r.output, " plan ") &&
                 !strcmp(strstr(r.output, " plan "), strstr(r.reference, " plan "));
            break;
        default:
            ok = false;
        }
        ref_checked += ref_meaningful;
        caught += ok;
        CHECKF(ok, "%s %s %s: ref %s strict %s plan %s\n  output: %.300s", name, dial,
               id ? id : "?", tf_maze_code_name(v.ref.first), tf_maze_code_name(v.strict.first),
               tf_maze_code_name(v.plan_error), r.output);
        tf_maze_free(r.m);
    }
    printf("corruption %s, %s %sx%s: %ld/%ld caught (%ld with a reference the published rules "
           "accept)\n",
           name, dial, size, size, caught, n, ref_checked);
    hist_print("reference first", &hr);
    hist_print("strict first", &hs);
    CHECK(n == atoi(count));
    cJSON_Delete(arr);
    unlink(p);
}

/* --corrupt-rate and --corrupt mix. */
static void test_rate_and_mix(void)
{
    const char *p = tmp_path("rate.jsonl");
    CHECK(gen(p, "--count", "400", "--rows", "7", "--cols", "7", "--corrupt", "h", "--corrupt-rate",
              "0.5", END) == 0);
    cJSON *arr = load_records(p);
    long corrupted = 0, total = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, arr)
    {
        const char *c = str_of(o, "corruption");
        bool differs = strcmp(str_of(o, "output"), str_of(o, "reference")) != 0;
        CHECK(c && (!strcmp(c, "h") || !strcmp(c, "none")));
        CHECK(differs == (c && !strcmp(c, "h")));
        corrupted += differs;
        total++;
    }
    CHECK(total == 400);
    CHECKF(corrupted > 140 && corrupted < 260, "%ld of 400 corrupted at rate 0.5", corrupted);
    cJSON_Delete(arr);

    CHECK(gen(p, "--count", "30", "--rows", "7", "--cols", "7", "--corrupt", "g", "--corrupt-rate",
              "0", END) == 0);
    arr = load_records(p);
    cJSON_ArrayForEach(o, arr)
    {
        CHECK(!strcmp(str_of(o, "corruption"), "none"));
        CHECK(!strcmp(str_of(o, "output"), str_of(o, "reference")));
    }
    cJSON_Delete(arr);

    CHECK(gen(p, "--count", "27", "--rows", "7", "--cols", "9", "--corrupt", "mix", END) == 0);
    arr = load_records(p);
    long i = 0;
    cJSON_ArrayForEach(o, arr)
    {
        const char *want = tf_maze_corruption_name((tf_maze_corruption)(i % TF_MAZE_CORRUPT_COUNT));
        CHECK(str_of(o, "corruption") && !strcmp(str_of(o, "corruption"), want));
        i++;
    }
    CHECK(i == 27);
    cJSON_Delete(arr);
    unlink(p);
}

/* Bad usage exits 2 and writes nothing; a generation failure exits 1 and
 * leaves no file behind. */
static void test_cli_errors(void)
{
    const char *p = tmp_path("cli.jsonl");
    unlink(p);
    CHECK(gen(NULL, "--count", "3", END) == 2); /* no --out */
    CHECK(gen(p, "--count", "-1", END) == 2);
    CHECK(gen(p, "--count", "3x", END) == 2);
    CHECK(gen(p, "--rows", "0", END) == 2);
    CHECK(gen(p, "--cols", "4097", END) == 2);
    CHECK(gen(p, "--rows", "4096", "--cols", "4096", END) == 2);
    CHECK(gen(p, "--generator", "prim", END) == 2);
    CHECK(gen(p, "--dialect", "other", END) == 2);
    CHECK(gen(p, "--corrupt", "everything", END) == 2);
    CHECK(gen(p, "--corrupt-rate", "0.5", END) == 2); /* without --corrupt */
    CHECK(gen(p, "--corrupt", "g", "--corrupt-rate", "1.5", END) == 2);
    CHECK(gen(p, "--coverage", "0", END) == 2);
    CHECK(gen(p, "--seed", "-3", END) == 2);
    CHECK(gen(p, "--frame-items", "0", END) == 2);
    CHECK(gen(p, "--bogus", "1", END) == 2);
    CHECK(gen(p, "--count", END) == 2); /* --out is the value of --count: not a number */
    CHECK(gen(tmp_path("cli.txt"), END) == 2);
    CHECK(access(p, F_OK) != 0);
    char *other[] = {"gen", "mazes", NULL};
    CHECK(tf_gen_main(2, other) == 2);
    char *none[] = {"gen", NULL};
    CHECK(tf_gen_main(1, none) == 2);
    char *help[] = {"gen", "maze", "--help", NULL};
    CHECK(tf_gen_main(3, help) == 0);
    /* a size the generator cannot serve */
    CHECK(gen(p, "--rows", "1", "--cols", "1", "--count", "2", END) == 1);
    CHECK(access(p, F_OK) != 0);
    /* --opt=value works, --count 0 is an empty corpus */
    CHECK(gen(p, "--count=0", END) == 0);
    size_t len = 99;
    char *b = slurp(p, &len);
    CHECK(b && len == 0);
    free(b);
    unlink(p);
}

int main(void)
{
    test_names();
    test_generators();
    test_determinism_and_zstd();
    check_references(TF_MAZE_SEARCHFORMER, "12", "12");
    check_references(TF_MAZE_BEYOND, "12", "12");
    check_references(TF_MAZE_SEARCHFORMER, "20", "31");
    check_references(TF_MAZE_BEYOND, "7", "5");
    for (int k = 1; k < TF_MAZE_CORRUPT_COUNT; k++)
        for (int d = 0; d < 2; d++) {
            check_corruption((tf_maze_corruption)k, (tf_maze_dialect)d, "11", "300");
            check_corruption((tf_maze_corruption)k, (tf_maze_dialect)d, "5", "100");
        }
    test_rate_and_mix();
    test_cli_errors();
    return tf_test_done();
}
