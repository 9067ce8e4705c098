/* testhook.c: fault injection for tests (testhook.h). */
#include "tracefarm/testhook.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tf_test_at(const char *point, uint64_t count)
{
    const char *v = getenv("TF_TEST_KILL_AT");
    size_t n = strlen(point);
    return v && strncmp(v, point, n) == 0 && v[n] == ':' && strtoull(v + n + 1, NULL, 10) == count;
}

void tf_test_kill(const char *point, uint64_t count)
{
    if (tf_test_at(point, count))
        raise(SIGKILL);
}

void tf_test_slow(int rank, uint64_t nth)
{
    const char *v = getenv("TF_TEST_SLOW");
    if (!v)
        return;
    char *end = NULL;
    long r = -1;
    if (*v == '*')
        end = (char *)v + 1;
    else
        r = strtol(v, &end, 10);
    if (!end || *end != ':' || (r >= 0 && r != rank))
        return;
    long ms = strtol(end + 1, &end, 10);
    unsigned long long count = *end == ':' ? strtoull(end + 1, NULL, 10) : UINT64_MAX;
    if (ms > 0 && nth < count) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}
