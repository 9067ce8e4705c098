/* fuzz_job.c: the job spec parser on any bytes (files are not checked:
 * the resolved-spec path that workers take). */
#include "tracefarm/job.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tf_job *j = NULL;
    tf_diag d;
    if (tf_job_parse((const char *)data, size, "fuzz.json", 0, &j, &d) == TF_OK) {
        char *again = tf_job_resolved_json(j);
        if (!again)
            abort();
        /* the resolved spec must parse again */
        tf_job *k = NULL;
        size_t n = 0;
        while (again[n])
            n++;
        if (tf_job_parse(again, n, "fuzz.json", 0, &k, &d) != TF_OK)
            abort();
        /* ... to itself: every rank runs the very same job */
        char *third = tf_job_resolved_json(k);
        if (!third || strcmp(third, again) != 0)
            abort();
        free(third);
        tf_job_free(k);
        free(again);
    }
    tf_job_free(j);
    return 0;
}
