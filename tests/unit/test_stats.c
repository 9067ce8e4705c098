/* test_stats.c: statistics states merge exactly, in any partition and
 * order, and survive the JSON round trip that carries them between ranks. */
#include "tf_test.h"
#include "tracefarm/stats.h"

#include <stdlib.h>
#include <string.h>

static const char *const codes[] = {"close_not_in_open_list", "goal_not_reached",
                                    "create_non_neighbor", NULL};

/* A pseudo-random item from i. */
static tf_facts facts_of(unsigned i)
{
    unsigned h = i * 2654435761u;
    tf_facts f;
    memset(&f, 0, sizeof f);
    f.plan_valid = h & 1;
    f.plan_optimal = f.plan_valid && (h & 2);
    f.trace_valid = (h >> 2) & 1;
    f.trace_valid_strict = f.trace_valid && ((h >> 3) & 1);
    f.first_error = f.trace_valid ? NULL : codes[(h >> 4) % 3];
    f.strict_first_error = f.trace_valid_strict ? NULL : codes[(h >> 6) % 3];
    f.trace_len = (long)(h % 97);
    return f;
}

static char *summary_text(const tf_stats *s)
{
    cJSON *j = tf_stats_summary_json(s);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

int main(void)
{
    enum { N = 5000 };
    tf_stats *all = tf_stats_create();
    for (unsigned i = 0; i < N; i++) {
        tf_facts f = facts_of(i);
        CHECK(tf_stats_add(all, &f) == TF_OK);
        if (i % 101 == 0)
            CHECK(tf_stats_add_error(all, i % 2 ? "bad_json" : "read_error") == TF_OK);
    }
    char *want = summary_text(all);
    CHECK(want != NULL);

    /* Random partitions into k parts, merged in reverse order through the
     * JSON state, give the same summary. */
    srand(7);
    for (int trial = 0; trial < 20; trial++) {
        int k = 1 + rand() % 9;
        tf_stats *part[9];
        for (int p = 0; p < k; p++)
            part[p] = tf_stats_create();
        for (unsigned i = 0; i < N; i++) {
            tf_facts f = facts_of(i);
            int p = rand() % k;
            CHECK(tf_stats_add(part[p], &f) == TF_OK);
            if (i % 101 == 0)
                CHECK(tf_stats_add_error(part[p], i % 2 ? "bad_json" : "read_error") == TF_OK);
        }
        tf_stats *merged = tf_stats_create();
        for (int p = k - 1; p >= 0; p--) {
            cJSON *st = tf_stats_state_json(part[p]);
            tf_stats *back = NULL;
            CHECK(tf_stats_from_state(st, &back, NULL) == TF_OK);
            CHECK(back && tf_stats_merge(merged, back) == TF_OK);
            tf_stats_free(back);
            cJSON_Delete(st);
            tf_stats_free(part[p]);
        }
        char *got = summary_text(merged);
        CHECKF(got && want && strcmp(got, want) == 0, "trial %d (k=%d) differs", trial, k);
        free(got);
        tf_stats_free(merged);
    }

    /* Independent count of a few figures. */
    cJSON *j = tf_stats_summary_json(all);
    unsigned pv = 0, errs = 0, cell = 0;
    for (unsigned i = 0; i < N; i++) {
        tf_facts f = facts_of(i);
        pv += f.plan_valid;
        cell += f.plan_valid && !f.trace_valid;
        errs += i % 101 == 0;
    }
    CHECK(cJSON_GetObjectItem(j, "items")->valuedouble == N + errs);
    CHECK(cJSON_GetObjectItem(j, "item_errors")->valuedouble == errs);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "plan_valid"), "count")->valuedouble == pv);
    const cJSON *x = cJSON_GetObjectItem(j, "plan_x_trace");
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "valid_plan_invalid_trace"), "count")
              ->valuedouble == cell);
    cJSON_Delete(j);

    /* An empty state has null rates, not NaN. */
    tf_stats *empty = tf_stats_create();
    cJSON *e = tf_stats_summary_json(empty);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "plan_valid"), "rate")));
    cJSON_Delete(e);
    tf_stats_free(empty);

    /* Garbage is not a state. */
    cJSON *g = cJSON_Parse("{\"items\": -1}");
    tf_stats *bad = NULL;
    CHECK(tf_stats_from_state(g, &bad, NULL) == TF_ERR_PARSE && bad == NULL);
    cJSON_Delete(g);

    free(want);
    tf_stats_free(all);
    return tf_test_done();
}
