/* test_maze_astar.c: the maze grid, prompts, BFS and the reference A*.
 *
 * The A* is checked three ways: against BFS (plan length), against the
 * verifier (every variant must pass the strict verdict), and against a
 * small independent reader in this file (no cell closed twice, nothing
 * after the goal's close, plan cells adjacent).
 */
#include "tf_test.h"
#include "tracefarm/maze_verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ----- helpers ------------------------------------------------------------ */

/* Build a maze from rows of text: '#' wall, 'S' start, 'G' goal, '.' open. */
static tf_maze *from_art(const char *const *art, int rows)
{
    int cols = (int)strlen(art[0]);
    tf_maze *m = NULL;
    if (tf_maze_create(rows, cols, &m) != TF_OK)
        return NULL;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < cols; x++) {
            char c = art[y][x];
            tf_maze_set_wall(m, x, y, c == '#');
            if (c == 'S')
                tf_maze_set_start(m, x, y);
            if (c == 'G')
                tf_maze_set_goal(m, x, y);
        }
    return m;
}

/* True if two mazes have the same size, walls, start and goal. */
static bool same_maze(const tf_maze *a, const tf_maze *b)
{
    if (tf_maze_rows(a) != tf_maze_rows(b) || tf_maze_cols(a) != tf_maze_cols(b))
        return false;
    for (int y = 0; y < tf_maze_rows(a); y++)
        for (int x = 0; x < tf_maze_cols(a); x++)
            if (tf_maze_is_wall(a, x, y) != tf_maze_is_wall(b, x, y))
                return false;
    int ax, ay, bx, by;
    tf_maze_start(a, &ax, &ay);
    tf_maze_start(b, &bx, &by);
    if (ax != bx || ay != by)
        return false;
    tf_maze_goal(a, &ax, &ay);
    tf_maze_goal(b, &bx, &by);
    return ax == bx && ay == by;
}

/* An independent reading of an A* text: counts operations, checks that no
 * cell is closed twice, that the last operation closes the goal, and that
 * the plan is a chain of adjacent open cells from start to goal; *recreated
 * tells whether some cell was created more than once (a g improvement or
 * create_always). Returns the number of operations, or -1 with *why set. */
static long independent_check(const tf_maze *m, tf_maze_dialect d, const char *s, long *plan,
                              bool *recreated, const char **why)
{
    int rows = tf_maze_rows(m), cols = tf_maze_cols(m);
    unsigned char *closed = calloc((size_t)rows * (size_t)cols, 1);
    unsigned char *created = calloc((size_t)rows * (size_t)cols, 1);
    *recreated = false;
    int sx, sy, gx, gy;
    tf_maze_start(m, &sx, &sy);
    tf_maze_goal(m, &gx, &gy);
    long ops = 0, np = 0;
    int lastx = -1, lasty = -1, px = -1, py = -1;
    bool last_is_goal_close = false;
    *why = NULL;
    char *copy = strdup(s), *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w && !*why; w = strtok_r(NULL, " ", &save)) {
        if (!strcmp(w, "create") || !strcmp(w, "close")) {
            bool is_close = w[1] == 'l';
            char *xs = strtok_r(NULL, " ", &save), *ys = strtok_r(NULL, " ", &save);
            char *gs = strtok_r(NULL, " ", &save), *hs = strtok_r(NULL, " ", &save);
            if (!xs || !ys || !gs || !hs || gs[0] != 'c' || hs[0] != 'c') {
                *why = "garbled operation";
                break;
            }
            if (np > 0) {
                *why = "operation after the plan";
                break;
            }
            int x = atoi(xs), y = atoi(ys);
            ops++;
            if (ops == 1 && d == TF_MAZE_SEARCHFORMER && (is_close || x != sx || y != sy))
                *why = "searchformer trace does not begin by creating the start";
            if (ops == 1 && d == TF_MAZE_BEYOND && (!is_close || x != sx || y != sy))
                *why = "beyond trace does not begin by closing the start";
            if (!is_close) {
                if (created[(size_t)y * (size_t)cols + (size_t)x])
                    *recreated = true;
                created[(size_t)y * (size_t)cols + (size_t)x] = 1;
            }
            if (is_close) {
                if (closed[(size_t)y * (size_t)cols + (size_t)x])
                    *why = "a cell closed twice (stale entry not skipped)";
                closed[(size_t)y * (size_t)cols + (size_t)x] = 1;
                if (atoi(hs + 1) != abs(x - gx) + abs(y - gy))
                    *why = "closed h is not Manhattan";
            }
            last_is_goal_close = is_close && x == gx && y == gy;
            lastx = x;
            lasty = y;
        } else if (!strcmp(w, "plan")) {
            char *xs = strtok_r(NULL, " ", &save), *ys = strtok_r(NULL, " ", &save);
            if (!xs || !ys) {
                *why = "garbled plan";
                break;
            }
            int x = atoi(xs), y = atoi(ys);
            if (np == 0 && (x != sx || y != sy))
                *why = "plan does not start at the start";
            if (np > 0 && abs(x - px) + abs(y - py) != 1)
                *why = "plan step is not a move";
            if (tf_maze_is_wall(m, x, y))
                *why = "plan crosses a wall";
            px = x;
            py = y;
            np++;
        } else if (strcmp(w, "reasoning") && strcmp(w, "solution") && strcmp(w, "end")) {
            *why = "unexpected word";
        }
    }
    (void)lastx;
    (void)lasty;
    if (!*why && !last_is_goal_close)
        *why = "the last operation is not the goal's close";
    if (!*why && (px != gx || py != gy))
        *why = "plan does not end at the goal";
    free(copy);
    free(closed);
    free(created);
    *plan = np;
    return *why ? -1 : ops;
}

/* ----- grid and prompt ---------------------------------------------------- */

static void test_create_caps(void)
{
    tf_maze *m = NULL;
    CHECK(tf_maze_create(0, 5, &m) == TF_ERR_PARSE && !m);
    CHECK(tf_maze_create(5, 0, &m) == TF_ERR_PARSE && !m);
    CHECK(tf_maze_create(TF_MAZE_MAX_SIDE + 1, 1, &m) == TF_ERR_PARSE && !m);
    CHECK(tf_maze_create(TF_MAZE_MAX_SIDE, (int)(TF_MAZE_MAX_CELLS / TF_MAZE_MAX_SIDE) + 1, &m) ==
          TF_ERR_PARSE);
    CHECK(tf_maze_create(TF_MAZE_MAX_SIDE, (int)(TF_MAZE_MAX_CELLS / TF_MAZE_MAX_SIDE), &m) ==
          TF_OK);
    tf_maze_free(m);
    CHECK(tf_maze_create(3, 4, &m) == TF_OK);
    if (!m)
        return;
    int x, y;
    tf_maze_start(m, &x, &y);
    CHECK(x == 0 && y == 0);
    tf_maze_goal(m, &x, &y);
    CHECK(x == 3 && y == 2);
    CHECK(tf_maze_rows(m) == 3 && tf_maze_cols(m) == 4);
    CHECK(tf_maze_in_grid(m, 3, 2) && !tf_maze_in_grid(m, 4, 0) && !tf_maze_in_grid(m, 0, 3));
    CHECK(!tf_maze_in_grid(m, -1, 0) && !tf_maze_in_grid(m, 0, 1L << 40));
    tf_maze_set_wall(m, 2, 1, true);
    CHECK(tf_maze_is_wall(m, 2, 1) && !tf_maze_is_wall(m, 1, 2));
    tf_maze_set_wall(m, 9, 9, true); /* ignored */
    CHECK(!tf_maze_is_wall(m, 9, 9));
    tf_maze_set_wall(m, 2, 1, false);
    CHECK(!tf_maze_is_wall(m, 2, 1));
    tf_maze_free(m);
    tf_maze_free(NULL);
}

/* Parse, write and re-parse: the grid survives and the text is stable. */
static void test_prompt_round_trip(void)
{
    const char *p = "query start 3 1 goal 0 2 wall 1 0 wall 1 1 wall 1 1 wall 2 2 reasoning "
                    "close 3 1 c0 c4";
    tf_maze *m = NULL;
    tf_diag d = {{0}};
    CHECK(tf_maze_parse_prompt(p, strlen(p), 3, 4, &m, &d) == TF_OK);
    if (!m)
        return;
    int x, y;
    tf_maze_start(m, &x, &y);
    CHECK(x == 3 && y == 1);
    tf_maze_goal(m, &x, &y);
    CHECK(x == 0 && y == 2);
    CHECK(tf_maze_is_wall(m, 1, 0) && tf_maze_is_wall(m, 1, 1) && tf_maze_is_wall(m, 2, 2));
    CHECK(!tf_maze_is_wall(m, 0, 0) && !tf_maze_is_wall(m, 3, 1));
    tf_buf b;
    tf_buf_init(&b, 1 << 16);
    CHECK(tf_maze_write_prompt(m, TF_MAZE_SEARCHFORMER, &b) == TF_OK);
    CHECK(b.data && !strcmp(b.data, "start 3 1 goal 0 2 wall 1 0 wall 1 1 wall 2 2"));
    tf_buf_reset(&b);
    CHECK(tf_maze_write_prompt(m, TF_MAZE_BEYOND, &b) == TF_OK);
    CHECK(b.data && !strcmp(b.data, "query start 3 1 goal 0 2 wall 1 0 wall 1 1 wall 2 2"));
    tf_buf_free(&b);
    tf_maze_free(m);

    /* walls before start/goal, other whitespace, no query */
    const char *q = "wall 0 1\n\tstart 0 0  goal 2 1";
    CHECK(tf_maze_parse_prompt(q, strlen(q), 2, 3, &m, &d) == TF_OK);
    if (m)
        CHECK(tf_maze_is_wall(m, 0, 1));
    tf_maze_free(m);

    /* generated mazes of every kind and both dialects round-trip exactly */
    for (int k = 0; k < TF_MAZE_GEN_COUNT; k++)
        for (uint64_t seed = 1; seed <= 6; seed++) {
            tf_maze *g = NULL, *back = NULL;
            if (tf_maze_generate((tf_maze_gen)k, 9 + (int)seed, 12, 0.5, seed, &g, NULL) != TF_OK) {
                CHECKF(0, "tf_maze_generate %d seed %lu", k, (unsigned long)seed);
                continue;
            }
            for (int dl = 0; dl < 2; dl++) {
                tf_buf t1, t2;
                tf_buf_init(&t1, 1 << 20);
                tf_buf_init(&t2, 1 << 20);
                CHECK(tf_maze_write_prompt(g, (tf_maze_dialect)dl, &t1) == TF_OK);
                CHECK(tf_maze_parse_prompt(t1.data, t1.len, tf_maze_rows(g), tf_maze_cols(g), &back,
                                           &d) == TF_OK);
                if (back) {
                    CHECK(same_maze(g, back));
                    CHECK(tf_maze_write_prompt(back, (tf_maze_dialect)dl, &t2) == TF_OK);
                    CHECK(t1.len == t2.len && !memcmp(t1.data, t2.data, t1.len));
                }
                tf_maze_free(back);
                back = NULL;
                tf_buf_free(&t1);
                tf_buf_free(&t2);
            }
            tf_maze_free(g);
        }
}

/* Every parse error: TF_ERR_PARSE, no maze, and a message with the token
 * position and the problem. */
static void test_prompt_errors(void)
{
    static const struct {
        const char *text;
        int rows, cols;
        const char *want; /* substring of the message */
    } cases[] = {
        {"start 0 0 goal 9 9 wall 12 3", 10, 10, "token 7: wall 12 3 is off the 10x10 grid"},
        {"start 0 0 goal 9 10", 10, 10, "token 4: goal 9 10 is off the 10x10 grid"},
        {"start -1 0 goal 1 1", 3, 3, "token 1: start -1 0 is off the 3x3 grid"},
        {"goal 1 1 wall 0 0", 3, 3, "no start"},
        {"start 1 1", 3, 3, "no goal"},
        {"", 3, 3, "no start"},
        {"start 0 0 goal 1 1 wall 0 0", 3, 3, "start 0 0 is on a wall"},
        {"wall 1 1 start 0 0 goal 1 1", 3, 3, "token 7: goal 1 1 is on a wall"},
        {"start 0 x goal 1 1", 3, 3, "token 3"},
        {"start 0 0 goal 1 1 foo 2 2", 3, 3, "token 7: expected start, goal or wall"},
        {"start 0 0 goal 1", 3, 3, "missing its y coordinate"},
        {"start 0 0 start 1 1 goal 2 2", 3, 3, "token 4: a second start"},
        {"start 0 0 goal 1 1 goal 2 2", 3, 3, "a second goal"},
        {"query query start 0 0 goal 1 1", 3, 3, "token 2"},
        {"start 0 0 goal 1 99999999999999999999999", 3, 3, "off the 3x3 grid"},
        {"start 0 0 goal 1 1", 0, 3, "outside"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tf_maze *m = (tf_maze *)&cases; /* must be reset to NULL */
        tf_diag d = {{0}};
        tf_err e = tf_maze_parse_prompt(cases[i].text, strlen(cases[i].text), cases[i].rows,
                                        cases[i].cols, &m, &d);
        CHECKF(e == TF_ERR_PARSE && m == NULL, "case %zu: e=%d", i, (int)e);
        CHECKF(strstr(d.msg, cases[i].want) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i,
               d.msg, cases[i].want);
    }
    /* NULL diag is allowed */
    tf_maze *m = NULL;
    CHECK(tf_maze_parse_prompt("goal 1 1", 8, 3, 3, &m, NULL) == TF_ERR_PARSE && !m);
}

/* ----- BFS and A* --------------------------------------------------------- */

static void test_bfs_and_astar_small(void)
{
    /* optimum counted by hand: S down the left, along the bottom, up to G */
    static const char *const art[] = {
        "S#G.",
        ".#..",
        "....",
    };
    tf_maze *m = from_art(art, 3);
    if (!m) {
        CHECK(0);
        return;
    }
    CHECK(tf_maze_optimal_plan_len(m) == 7);
    tf_astar_opts o = tf_astar_default();
    CHECK(o.order[0] == 0 && o.order[1] == 1 && o.order[2] == 2 && o.order[3] == 3);
    CHECK(o.tie == TF_ASTAR_TIE_LOW_H && !o.create_always);
    tf_buf b;
    tf_buf_init(&b, 1 << 16);
    long ops = -1, plan = -1;
    CHECK(tf_maze_astar(m, &o, TF_MAZE_SEARCHFORMER, &b, &ops, &plan) == TF_OK);
    CHECK(plan == 7);
    /* the trace is the unique one here: a corridor with no choices */
    CHECK(b.data && !strncmp(b.data, "create 0 0 c0 c2 close 0 0 c0 c2 create 0 1 c1 c3 ", 50));
    CHECK(b.data &&
          strstr(b.data, "plan 0 0 plan 0 1 plan 0 2 plan 1 2 plan 2 2 plan 2 1 plan 2 0") &&
          b.data[b.len - 1] != ' ');
    long cops = -1, cplan = -1;
    CHECK(tf_maze_astar_count(m, &o, TF_MAZE_SEARCHFORMER, &cops, &cplan) == TF_OK && cops == ops &&
          cplan == plan);
    CHECK(tf_maze_count_ops(TF_MAZE_SEARCHFORMER, b.data, b.len) == ops);
    tf_buf_reset(&b);
    long bops = -1;
    CHECK(tf_maze_astar(m, &o, TF_MAZE_BEYOND, &b, &bops, &plan) == TF_OK);
    CHECK(bops == ops - 1); /* no create of the start */
    CHECK(tf_maze_astar_count(m, &o, TF_MAZE_BEYOND, &cops, &cplan) == TF_OK && cops == bops);
    CHECK(b.data && !strncmp(b.data, "reasoning close 0 0 c0 c2 create", 32));
    CHECK(b.data && b.len > 4 && !strcmp(b.data + b.len - 4, " end") &&
          strstr(b.data, " solution plan 0 0 "));

    /* appending after a prompt gets a separating space */
    tf_buf_reset(&b);
    CHECK(tf_maze_write_prompt(m, TF_MAZE_BEYOND, &b) == TF_OK);
    size_t plen = b.len;
    CHECK(tf_maze_astar(m, &o, TF_MAZE_BEYOND, &b, &bops, &plan) == TF_OK);
    CHECK(b.len > plen && !strncmp(b.data + plen, " reasoning close", 16));
    tf_buf_free(&b);

    /* unsolvable: BFS 0, A* TF_ERR_PARSE and nothing appended */
    tf_maze_set_wall(m, 1, 2, true);
    CHECK(tf_maze_optimal_plan_len(m) == 0);
    tf_buf_init(&b, 1 << 16);
    CHECK(tf_buf_puts(&b, "keep") == TF_OK);
    CHECK(tf_maze_astar(m, &o, TF_MAZE_SEARCHFORMER, &b, &ops, &plan) == TF_ERR_PARSE);
    CHECK(b.len == 4 && !strcmp(b.data, "keep"));
    CHECK(tf_maze_astar_count(m, &o, TF_MAZE_SEARCHFORMER, &ops, &plan) == TF_ERR_PARSE);
    /* a cap too small: the buffer error passes through, buffer unchanged */
    tf_maze_set_wall(m, 1, 2, false);
    tf_buf small;
    tf_buf_init(&small, 20);
    CHECK(tf_maze_astar(m, &o, TF_MAZE_SEARCHFORMER, &small, &ops, &plan) == TF_ERR_TOO_BIG);
    CHECK(small.len == 0);
    tf_buf_free(&small);
    tf_buf_free(&b);

    /* start == goal: one close, a one-cell plan */
    tf_maze_set_goal(m, 0, 0);
    CHECK(tf_maze_optimal_plan_len(m) == 1);
    CHECK(tf_maze_astar_count(m, &o, TF_MAZE_SEARCHFORMER, &ops, &plan) == TF_OK && plan == 1 &&
          ops == 2);
    tf_maze_free(m);
}

/* All 24 permutations of {0,1,2,3}, in lexicographic order. */
static int make_orders(int orders[24][4])
{
    int n = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++)
                for (int d = 0; d < 4; d++)
                    if (a != b && a != c && a != d && b != c && b != d && c != d) {
                        orders[n][0] = a;
                        orders[n][1] = b;
                        orders[n][2] = c;
                        orders[n][3] = d;
                        n++;
                    }
    return n;
}

/* Every variant of A* on generated mazes of all kinds, both dialects:
 * strict verdict valid, plan valid and optimal, trace length equal to the
 * A*'s operation count, and the independent reader agrees. The reference
 * verdict must accept the default variant; for the others its objections
 * (entries of closed cells still counting for the lowest f) are counted. */
static void test_variants(void)
{
    int orders[24][4];
    CHECK(make_orders(orders) == 24);
    static const int sizes[][2] = {{5, 5}, {8, 13}, {15, 15}, {21, 10}};
    long mazes = 0, runs = 0, ref_flags = 0, ref_flag_default = 0, strict_bad = 0;
    long distinct_order = 0, distinct_tie = 0, distinct_always = 0;
    tf_buf b, first;
    tf_buf_init(&b, 1 << 24);
    tf_buf_init(&first, 1 << 24);
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
        for (int k = 0; k < TF_MAZE_GEN_COUNT; k++)
            for (uint64_t seed = 100; seed < 115; seed++) {
                tf_maze *m = NULL;
                tf_diag gd = {{0}};
                if (tf_maze_generate((tf_maze_gen)k, sizes[si][0], sizes[si][1], 0.45,
                                     seed * 7919 + si, &m, &gd) != TF_OK) {
                    CHECKF(0, "gen %d %dx%d: %s", k, sizes[si][0], sizes[si][1], gd.msg);
                    continue;
                }
                mazes++;
                long opt = tf_maze_optimal_plan_len(m);
                CHECK(opt >= 2);
                for (int dl = 0; dl < 2; dl++)
                    for (int oi = 0; oi < 24; oi++)
                        for (int tie = 0; tie < 4; tie++)
                            for (int ca = 0; ca < 2; ca++) {
                                tf_astar_opts o;
                                memcpy(o.order, orders[oi], sizeof o.order);
                                o.tie = (tf_astar_tie)tie;
                                o.create_always = ca;
                                bool is_default = oi == 0 && tie == 0 && !ca;
                                tf_buf_reset(&b);
                                long ops = -1, plan = -1;
                                if (tf_maze_astar(m, &o, (tf_maze_dialect)dl, &b, &ops, &plan) !=
                                    TF_OK) {
                                    CHECK(0);
                                    continue;
                                }
                                runs++;
                                tf_maze_verdict v;
                                if (tf_maze_verify(m, (tf_maze_dialect)dl, b.data, b.len, &v) !=
                                    TF_OK) {
                                    CHECK(0);
                                    continue;
                                }
                                bool ok = v.strict.valid && v.plan_valid && v.plan_optimal &&
                                          v.trace_len == ops && plan == opt &&
                                          v.optimal_plan_len == opt;
                                if (!ok && strict_bad++ < 5)
                                    fprintf(stderr,
                                            "variant order %d%d%d%d tie %d always %d dialect %d: "
                                            "strict %s at %ld, plan %s, len %ld/%ld ops %ld/%ld\n"
                                            "  trace: %.400s\n",
                                            o.order[0], o.order[1], o.order[2], o.order[3], tie, ca,
                                            dl, tf_maze_code_name(v.strict.first),
                                            v.strict.first_step, tf_maze_code_name(v.plan_error),
                                            plan, opt, v.trace_len, ops, b.data);
                                CHECK(ok);
                                const char *why;
                                long iplan;
                                bool recreated;
                                long iops = independent_check(m, (tf_maze_dialect)dl, b.data,
                                                              &iplan, &recreated, &why);
                                CHECKF(iops == ops && iplan == plan, "independent reader: %s",
                                       why ? why : "counts differ");
                                if (!v.ref.valid && !is_default)
                                    ref_flags++;
                                if (is_default && !recreated) {
                                    /* no stale entry: the published rules must accept it */
                                    CHECKF(v.ref.valid, "reference verdict %s at %ld on %s",
                                           tf_maze_code_name(v.ref.first), v.ref.first_step,
                                           b.data);
                                } else if (is_default && !v.ref.valid) {
                                    /* A g improvement leaves the worse entry in the published
                                     * open list, where it counts for the lowest f forever. */
                                    ref_flag_default++;
                                    CHECKF(v.ref.first == TF_MAZE_CLOSE_NOT_LOWEST_F_VALUE,
                                           "reference verdict %s on the default variant",
                                           tf_maze_code_name(v.ref.first));
                                }
                                /* do the options change anything? (default = baseline) */
                                if (dl == 0 && is_default) {
                                    tf_buf_reset(&first);
                                    CHECK(tf_buf_append(&first, b.data, b.len) == TF_OK);
                                } else if (dl == 0) {
                                    bool diff = b.len != first.len ||
                                                memcmp(b.data, first.data, b.len) != 0;
                                    if (diff && tie == 0 && !ca)
                                        distinct_order++;
                                    if (diff && oi == 0 && !ca)
                                        distinct_tie++;
                                    if (diff && oi == 0 && tie == 0)
                                        distinct_always++;
                                }
                            }
                long cops = -1, cplan = -1, sops = -1, splan = -1;
                tf_astar_opts def = tf_astar_default();
                CHECK(tf_maze_astar_count(m, &def, TF_MAZE_SEARCHFORMER, &cops, &cplan) == TF_OK);
                tf_buf_reset(&b);
                CHECK(tf_maze_astar(m, &def, TF_MAZE_SEARCHFORMER, &b, &sops, &splan) == TF_OK);
                CHECK(cops == sops && cplan == splan && cplan == opt);
                tf_maze_free(m);
            }
    printf("variants: %ld mazes, %ld runs, strict failures %ld; reference verdict flagged %ld "
           "non-default runs and %ld default runs (each with an improved cell)\n",
           mazes, runs, strict_bad, ref_flags, ref_flag_default);
    CHECK(mazes >= 300);
    CHECK(runs == mazes * 2 * 24 * 4 * 2);
    CHECK(distinct_order > 0 && distinct_tie > 0 && distinct_always > 0);
    tf_buf_free(&b);
    tf_buf_free(&first);
}

/* A 1000 x 1000 maze: fast, optimal, and accepted by the verifier. It is
 * a tree maze, so every cell has one path and no g ever improves: both
 * verdicts must accept the trace. */
static void test_large(void)
{
    tf_maze *m = NULL;
    tf_diag d = {{0}};
    if (tf_maze_generate(TF_MAZE_GEN_WILSON, 1000, 1000, 0.5, 42, &m, &d) != TF_OK) {
        CHECKF(0, "%s", d.msg);
        return;
    }
    tf_astar_opts o = tf_astar_default();
    tf_buf b;
    tf_buf_init(&b, (size_t)1 << 30);
    long ops = 0, plan = 0;
    clock_t t0 = clock();
    CHECK(tf_maze_astar(m, &o, TF_MAZE_SEARCHFORMER, &b, &ops, &plan) == TF_OK);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("1000x1000 wilson: %ld ops, plan %ld, %.2f s\n", ops, plan, secs);
    CHECK(secs < 20.0);
    CHECK(plan == tf_maze_optimal_plan_len(m));
    tf_maze_verdict v;
    CHECK(tf_maze_verify(m, TF_MAZE_SEARCHFORMER, b.data, b.len, &v) == TF_OK);
    CHECK(v.strict.valid && v.ref.valid && v.plan_optimal && v.trace_len == ops);
    tf_buf_free(&b);
    tf_maze_free(m);
}

int main(void)
{
    test_create_caps();
    test_prompt_round_trip();
    test_prompt_errors();
    test_bfs_and_astar_small();
    test_variants();
    test_large();
    return tf_test_done();
}
