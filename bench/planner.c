/* bench/planner.c: the breadth-first planner (strips.h) on one random
 * Blocksworld problem: N blocks in random towers, the goal a random full
 * arrangement (every block's on/ontable), hand empty; SEED 0 asks for
 * (on a a) instead, which makes the planner store the whole reachable
 * space. Prints one line:
 *   N SEED RESULT LENGTH STATES SECONDS
 * Built and run by bench/planner.sh (peak memory from /usr/bin/time).
 *   planner N SEED [MAX_STATES]
 */
#include "tracefarm/pddl.h"
#include "tracefarm/strips.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* pos[b]: the block b is on, or n for the table. */
static void arrangement(uint64_t *r, int n, int *pos)
{
    int perm[TF_STRIPS_MAX_OBJECTS];
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(next(r) % (uint64_t)(i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < n; i++)
        pos[perm[i]] = i == 0 || next(r) % 3 == 0 ? n : perm[i - 1];
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: planner N SEED [MAX_STATES]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    uint64_t seed = strtoull(argv[2], NULL, 10);
    uint64_t max = argc > 3 ? strtoull(argv[3], NULL, 10) : TF_STRIPS_DEFAULT_MAX_STATES;
    if (n < 1 || n > 26)
        return 2;
    static tf_strips_domain dom;
    static tf_strips_problem p;
    tf_diag d = {{0}};
    const char *t = tf_pddl_blocksworld();
    if (tf_pddl_domain(t, strlen(t), &dom, &d) != TF_OK) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    int on = tf_strips_find_pred(&dom, "on"), ontable = tf_strips_find_pred(&dom, "ontable"),
        clear = tf_strips_find_pred(&dom, "clear"), hand = tf_strips_find_pred(&dom, "handempty");
    uint64_t r = seed * 0x9e3779b97f4a7c15ULL + 1;
    int init[TF_STRIPS_MAX_OBJECTS], goal[TF_STRIPS_MAX_OBJECTS];
    arrangement(&r, n, init);
    arrangement(&r, n, goal);
    p.nobjects = n;
    for (int b = 0; b < n; b++) {
        p.object[b][0] = (char)('a' + b);
        p.init[p.ninit++] =
            (tf_strips_fact){.pred = init[b] == n ? ontable : on, .arg = {b, init[b], 0}};
        int covered = 0;
        for (int c = 0; c < n; c++)
            covered |= init[c] == b;
        if (!covered)
            p.init[p.ninit++] = (tf_strips_fact){.pred = clear, .arg = {b, 0, 0}};
        p.goal[p.ngoal++] =
            (tf_strips_fact){.pred = goal[b] == n ? ontable : on, .arg = {b, goal[b], 0}};
    }
    p.init[p.ninit++] = (tf_strips_fact){.pred = hand};
    if (seed == 0) { /* unsolvable: every reachable state is stored */
        p.ngoal = 1;
        p.goal[0] = (tf_strips_fact){.pred = on, .arg = {0, 0, 0}};
    }
    if (tf_strips_check(&dom, &p, &d) != TF_OK) {
        fprintf(stderr, "%s\n", d.msg);
        return 1;
    }
    tf_strips_found found;
    tf_strips_step *plan = NULL;
    size_t len = 0;
    uint64_t stored = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tf_err e = tf_strips_plan(&dom, &p, max, &found, &plan, &len, &stored);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (e != TF_OK) {
        fprintf(stderr, "planner: %s\n", tf_strerror(e));
        return 1;
    }
    static const char *const what[] = {"found", "unsolvable", "limit"};
    printf("%d %llu %s %zu %llu %.3f\n", n, (unsigned long long)seed, what[found], len,
           (unsigned long long)stored,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    free(plan);
    return 0;
}
