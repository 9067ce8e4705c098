/* bench/plantext.c: the time of tf_plantext_read_plan on an answer of N
 * and of 4N lines (numbered steps with an explanation under each, one
 * sentence plan per line), REPS times each, interleaved; prints the median
 * times and their ratio (4: linear). Built and run by bench/plantext.sh. */
#include "tracefarm/plantext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char PROMPT[] =
    "I am playing with a set of blocks where I need to arrange the blocks into stacks. Here are "
    "the actions I can do\n\nPick up a block\nUnstack a block from on top of another block\nPut "
    "down a block\nStack a block on top of another block\n\n[STATEMENT]\nAs initial conditions "
    "I have that, the red block is clear, the blue block is clear, the hand is empty, the red "
    "block is on the table and the blue block is on the table.\nMy goal is to have that the red "
    "block is on top of the blue block.\n\nWhat is the plan to achieve my goal?";

static const char LINE[] = "1. **Pick up red**\n   - this frees nothing, then put it down.\n"
                           "Put down red. Then pick up red -> stack red on blue | done\n";

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double one(const tf_plan_task *t, const char *s, size_t n)
{
    tf_plan_read r;
    double t0 = now();
    if (tf_plantext_read_plan(t, s, n, &r, NULL) != TF_OK) {
        fprintf(stderr, "bench: read failed\n");
        exit(1);
    }
    double dt = now() - t0;
    tf_plan_read_free(&r);
    return dt;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    tf_plan_task *t = malloc(sizeof *t);
    if (!t || reps < 1 || reps > 100 ||
        tf_plantext_prompt(PROMPT, strlen(PROMPT), t, NULL) != TF_OK)
        return 1;
    size_t l = strlen(LINE), big = 4 * n * l;
    char *s = malloc(big);
    if (!s)
        return 1;
    for (size_t i = 0; i < 4 * n; i++)
        memcpy(s + i * l, LINE, l);
    double a[100], b[100];
    for (int k = 0; k < reps; k++) {
        a[k] = one(t, s, n * l);
        b[k] = one(t, s, big);
    }
    qsort(a, (size_t)reps, sizeof *a, cmp);
    qsort(b, (size_t)reps, sizeof *b, cmp);
    printf("lines %zu: %.4f s (baseline)\nlines %zu: %.4f s\nratio %.2f (4: linear)\n", 2 * n,
           a[reps / 2], 8 * n, b[reps / 2], b[reps / 2] / a[reps / 2]);
    free(s);
    free(t);
    return 0;
}
