/* testhook.h: fault injection for tests, driven by the environment
 * (docs/resume.md, "Test hooks"). Without the variables these do nothing.
 *
 *   TF_TEST_KILL_AT=POINT:N    SIGKILL the Nth time POINT is reached
 *   TF_TEST_SLOW=RANK:MS[:K]   rank RANK ("*": every rank) sleeps MS ms
 *                              before each of its first K shards (all
 *                              when K is absent)
 */
#ifndef TRACEFARM_TESTHOOK_H
#define TRACEFARM_TESTHOOK_H

#include <stdint.h>

/* Nonzero when TF_TEST_KILL_AT is "POINT:N" with N == count. */
int tf_test_at(const char *point, uint64_t count);

/* raise(SIGKILL) when tf_test_at(point, count). */
void tf_test_kill(const char *point, uint64_t count);

/* Sleep as TF_TEST_SLOW says, before shard number nth (0-based) of rank. */
void tf_test_slow(int rank, uint64_t nth);

#endif
