/* tf_test.h: a minimal test harness: CHECK records a failure and goes on,
 * tf_test_done prints "N passed, M failed" and gives the exit status. */
#ifndef TF_TEST_H
#define TF_TEST_H

#include <stdio.h>

static int tf_test_pass, tf_test_fail;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            tf_test_pass++;                                                                        \
        } else {                                                                                   \
            tf_test_fail++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECKF(cond, ...)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
            tf_test_pass++;                                                                        \
        } else {                                                                                   \
            tf_test_fail++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

static inline int tf_test_done(void)
{
    printf("%d passed, %d failed\n", tf_test_pass, tf_test_fail);
    return (tf_test_fail == 0 && tf_test_pass > 0) ? 0 : 1;
}

#endif
