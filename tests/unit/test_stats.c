/* test_stats.c: statistics states merge exactly, in any partition and
 * order, per group, and survive the JSON round trip that carries them
 * between ranks; the caps on distinct pairs and groups behave the same
 * whatever the partition. (Agreement with scipy: stats_scipy.py.) */
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
    f.answer_valid = h & 1;
    f.answer_optimal = f.answer_valid && (h & 2);
    f.trace_valid = (h >> 2) & 1;
    f.trace_valid_strict = f.trace_valid && ((h >> 3) & 1);
    f.first_error = f.trace_valid ? NULL : codes[(h >> 4) % 3];
    f.strict_first_error = f.trace_valid_strict ? NULL : codes[(h >> 6) % 3];
    f.complexity = (h >> 8) % 11 == 0 ? -1 : (long)((h >> 8) % 61);
    f.trace_len = (long)(h % 97);
    f.first_error_step = f.trace_valid ? -1 : (long)((h >> 12) % (unsigned)(f.trace_len + 1));
    f.tokens = (h >> 16) % 3 == 0 ? -1 : (long)((h >> 16) % 4000);
    return f;
}

static const char *const keys[] = {"[\"wilson\",\"none\"]", "[\"dfs\",null]", "[3,{\"a\":1}]"};

/* Summary of the overall group and of every group, as one text. */
static char *all_text(const tf_stats *s)
{
    int ovf = 0;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "overall", tf_stats_summary_json(s));
    cJSON_AddItemToObject(o, "groups", tf_stats_groups_json(s, &ovf));
    cJSON_AddBoolToObject(o, "overflow", ovf);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* Item i of the grouped corpus: its facts, its key, or an error. */
static tf_err add_item(tf_stats *s, unsigned i)
{
    tf_facts f = facts_of(i);
    const char *key = keys[(i * 7u) % 3];
    if (i % 53 == 0)
        return tf_stats_add_error_keyed(s, key, "bad_record");
    return tf_stats_add_keyed(s, key, &f);
}

/* Items [0, n) dealt at random to k parts, merged through JSON in reverse
 * order, into a state with configuration c. */
static tf_stats *partitioned(const tf_stats_config *c, unsigned n, int k,
                             tf_err (*add)(tf_stats *, unsigned))
{
    tf_stats *part[16];
    for (int p = 0; p < k; p++)
        part[p] = tf_stats_create_with(c);
    for (unsigned i = 0; i < n; i++)
        CHECK(add(part[rand() % k], i) == TF_OK);
    tf_stats *merged = tf_stats_create_with(c);
    for (int p = k - 1; p >= 0; p--) {
        cJSON *st = tf_stats_state_json(part[p]);
        tf_stats *back = NULL;
        CHECK(tf_stats_from_state(st, &back, NULL) == TF_OK);
        CHECK(back && tf_stats_merge(merged, back) == TF_OK);
        tf_stats_free(back);
        cJSON_Delete(st);
        tf_stats_free(part[p]);
    }
    return merged;
}

/* Groups: same summary for any partition; per-group counts add up. */
static void test_groups(void)
{
    enum { N = 3000 };
    tf_stats_config c;
    tf_stats_config_default(&c);
    tf_stats *one = partitioned(&c, N, 1, add_item);
    char *want = all_text(one);
    for (int trial = 0; trial < 8; trial++) {
        tf_stats *m = partitioned(&c, N, 1 + rand() % 16, add_item);
        char *got = all_text(m);
        CHECKF(got && want && strcmp(got, want) == 0, "grouped trial %d differs", trial);
        free(got);
        tf_stats_free(m);
    }
    int ovf = 1;
    cJSON *g = tf_stats_groups_json(one, &ovf);
    CHECK(ovf == 0 && cJSON_GetArraySize(g) == 3);
    /* sorted by key text, keys are the group_by values */
    double items = 0, errs = 0;
    char prev[64] = "";
    const cJSON *e;
    cJSON_ArrayForEach(e, g)
    {
        char *k = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "key"));
        CHECKF(k && strcmp(prev, k) < 0, "keys out of order at %s", k ? k : "?");
        int known = 0;
        for (int i = 0; i < 3; i++)
            known |= k && strcmp(k, keys[i]) == 0;
        CHECK(known);
        snprintf(prev, sizeof prev, "%s", k ? k : "");
        free(k);
        items += cJSON_GetObjectItem(e, "items")->valuedouble;
        errs += cJSON_GetObjectItem(e, "item_errors")->valuedouble;
    }
    cJSON *o = tf_stats_summary_json(one);
    CHECK(items == N && cJSON_GetObjectItem(o, "items")->valuedouble == N);
    CHECK(errs == cJSON_GetObjectItem(o, "item_errors")->valuedouble && errs > 0);
    /* unknown complexities are left out of the correlation, not of lengths */
    const cJSON *lvc = cJSON_GetObjectItem(o, "length_vs_complexity");
    double nl = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "trace_len"), "n")->valuedouble;
    CHECK(cJSON_GetObjectItem(lvc, "n")->valuedouble < nl);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(lvc, "kendall_tau_b")));
    cJSON_Delete(o);
    cJSON_Delete(g);
    free(want);
    tf_stats_free(one);
}

/* Item i with a distinct (complexity, length) pair for i < 60. */
static tf_err add_distinct(tf_stats *s, unsigned i)
{
    tf_facts f = facts_of(i);
    f.complexity = (long)(i % 60);
    f.trace_len = (long)(i % 60) * 2;
    f.tokens = -1;
    return tf_stats_add_keyed(s, keys[i % 3], &f);
}

/* Past max_pairs a table is dropped the same way for every partition:
 * moments stay, rank statistics become null. Past max_groups the groups
 * are dropped, the overall group stays. */
static void test_caps(void)
{
    tf_stats_config c;
    tf_stats_config_default(&c);
    c.max_pairs = 40;
    tf_stats *one = partitioned(&c, 600, 1, add_distinct);
    char *want = all_text(one);
    for (int trial = 0; trial < 6; trial++) {
        tf_stats *m = partitioned(&c, 600, 2 + trial * 2, add_distinct);
        char *got = all_text(m);
        CHECKF(got && want && strcmp(got, want) == 0, "capped trial %d differs", trial);
        free(got);
        tf_stats_free(m);
    }
    cJSON *o = tf_stats_summary_json(one);
    const cJSON *t = cJSON_GetObjectItem(o, "tables");
    const cJSON *lvc = cJSON_GetObjectItem(o, "length_vs_complexity");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(t, "pairs_overflow")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(lvc, "pearson")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(lvc, "spearman")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(lvc, "kendall_tau_b")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(o, "complexity_bins")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "trace_len"), "mean")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "trace_len"), "median")));
    cJSON_Delete(o);
    free(want);
    tf_stats_free(one);

    /* 60 distinct pairs fit a cap of 60: nothing dropped */
    c.max_pairs = 60;
    one = partitioned(&c, 600, 3, add_distinct);
    o = tf_stats_summary_json(one);
    t = cJSON_GetObjectItem(o, "tables");
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(t, "pairs_overflow")));
    CHECK(cJSON_GetObjectItem(t, "pairs")->valuedouble == 60);
    cJSON_Delete(o);
    tf_stats_free(one);

    /* three keys over a cap of two groups */
    c.max_pairs = TF_STATS_LIMIT_MAX_PAIRS; /* the default */
    c.max_groups = 2;
    one = partitioned(&c, 600, 1, add_distinct);
    want = all_text(one);
    for (int trial = 0; trial < 4; trial++) {
        tf_stats *m = partitioned(&c, 600, 2 + trial, add_distinct);
        char *got = all_text(m);
        CHECKF(got && want && strcmp(got, want) == 0, "group cap trial %d differs", trial);
        free(got);
        tf_stats_free(m);
    }
    int ovf = 0;
    cJSON *g = tf_stats_groups_json(one, &ovf);
    CHECK(ovf == 1 && cJSON_GetArraySize(g) == 0);
    CHECK(tf_stats_items(one) == 600);
    cJSON_Delete(g);
    free(want);
    tf_stats_free(one);
}

/* Bad input: negative lengths, mismatched configurations. */
static void test_bad(void)
{
    tf_stats *s = tf_stats_create();
    tf_facts f = facts_of(3);
    f.trace_len = -1;
    CHECK(tf_stats_add(s, &f) == TF_ERR_TOO_BIG && tf_stats_items(s) == 0);
    tf_stats_config c;
    tf_stats_config_default(&c);
    c.error_position_bins = 4;
    tf_stats *other = tf_stats_create_with(&c);
    CHECK(tf_stats_merge(s, other) == TF_ERR_PARSE);
    tf_stats_free(other);
    tf_stats_free(s);
    /* the job's stats section: defaults, explicit edges, named errors */
    tf_diag d;
    cJSON *r = NULL;
    CHECK(tf_stats_config_parse(NULL, "j", &c, &r, &d) == TF_OK && c.complexity_bins.deciles);
    cJSON_Delete(r);
    const char *bad[] = {"{\"bins\": 3}",
                         "{\"length_bins\": [3, 2]}",
                         "{\"complexity_bins\": \"quartiles\"}",
                         "{\"error_position_bins\": 0}",
                         "{\"max_groups\": 1.5}",
                         "[]"};
    const char *named[] = {"stats.bins",
                           "stats.length_bins",
                           "stats.complexity_bins",
                           "stats.error_position_bins",
                           "stats.max_groups",
                           "\"stats\""};
    for (int i = 0; i < 6; i++) {
        cJSON *sec = cJSON_Parse(bad[i]);
        d.msg[0] = '\0';
        r = NULL;
        CHECKF(tf_stats_config_parse(sec, "j", &c, &r, &d) == TF_ERR_SPEC && !r &&
                   strstr(d.msg, named[i]),
               "%s: %s", bad[i], d.msg);
        cJSON_Delete(sec);
    }
    cJSON *ok = cJSON_Parse("{\"length_bins\": [0, 10.5, 100], \"error_position_bins\": 5}");
    CHECK(tf_stats_config_parse(ok, "j", &c, &r, &d) == TF_OK && c.length_bins.nedges == 3 &&
          c.error_position_bins == 5 && c.complexity_bins.deciles);
    cJSON_Delete(r);
    cJSON_Delete(ok);
}

/* s with every "from" replaced by "to" (caller frees). */
static char *replaced(const char *s, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + nf, from))
        n++;
    char *out = malloc(strlen(s) + n * nt + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p; (p = strstr(s, from)) != NULL; s = p + nf) {
        memcpy(o, s, (size_t)(p - s));
        o += p - s;
        memcpy(o, to, nt);
        o += nt;
    }
    strcpy(o, s);
    return out;
}

/* States name the answer neutrally ("answer_valid", "valid_answer_..."),
 * and still read the "plan" of parts written by earlier versions. */
static void test_state_names(void)
{
    tf_stats_config c;
    tf_stats_config_default(&c);
    srand(13);
    tf_stats *s = partitioned(&c, 2000, 4, add_item);
    char *want = all_text(s);
    cJSON *st = tf_stats_state_json(s);
    char *st_text = cJSON_PrintUnformatted(st);
    CHECK(st_text && !strstr(st_text, "plan") && strstr(st_text, "\"answer_valid\"") &&
          strstr(st_text, "\"answer_optimal\"") &&
          strstr(st_text, "\"valid_answer_invalid_trace\""));
    cJSON_Delete(st);
    char *legacy_text = st_text ? replaced(st_text, "answer", "plan") : NULL;
    cJSON *legacy = legacy_text ? cJSON_Parse(legacy_text) : NULL;
    tf_stats *back = NULL, *merged = tf_stats_create_with(&c);
    CHECK(legacy && tf_stats_from_state(legacy, &back, NULL) == TF_OK);
    CHECK(back && merged && tf_stats_merge(merged, back) == TF_OK);
    char *got = merged ? all_text(merged) : NULL;
    CHECK(got && want && strcmp(got, want) == 0);
    free(got);
    tf_stats_free(merged);
    tf_stats_free(back);
    cJSON_Delete(legacy);
    free(legacy_text);
    free(st_text);
    free(want);
    tf_stats_free(s);
}

/* The answer's noun names the summary keys, and only those. */
static void test_answer_noun(void)
{
    enum { N = 2000 };
    tf_stats_config c;
    tf_stats_config_default(&c);
    CHECK(c.answer_noun && strcmp(c.answer_noun, "plan") == 0);
    srand(11);
    tf_stats *plan = partitioned(&c, N, 1, add_item);
    char *plan_text = all_text(plan);
    /* the parts went through tf_stats_from_state (default noun) and were
     * merged into a state with the noun, as rank 0 merges parts */
    c.answer_noun = "answer";
    tf_stats *answer = partitioned(&c, N, 5, add_item);
    char *answer_text = all_text(answer);
    char *want = plan_text ? replaced(plan_text, "plan", "answer") : NULL;
    CHECK(want && answer_text && strcmp(answer_text, want) == 0);
    CHECK(answer_text && !strstr(answer_text, "plan") && strstr(answer_text, "\"answer_valid\"") &&
          strstr(answer_text, "\"answer_x_trace_strict\"") &&
          strstr(answer_text, "\"invalid_answer_valid_trace\"") &&
          strstr(answer_text, "\"valid_answer_trace_valid\""));
    CHECK(plan_text && strstr(plan_text, "\"plan_optimal\"") &&
          strstr(plan_text, "\"valid_plan_invalid_trace\""));
    free(want);

    /* a configuration without a noun says "plan" */
    c.answer_noun = NULL;
    tf_stats *none = partitioned(&c, N, 3, add_item);
    char *got = all_text(none);
    CHECK(got && plan_text && strcmp(got, plan_text) == 0);
    free(got);
    tf_stats_free(none);

    free(plan_text);
    free(answer_text);
    tf_stats_free(plan);
    tf_stats_free(answer);
}

/* Endpoint sample i: failed ones with a last status drawn from a few
 * (0: no response), the others ok, some truncated. */
static const long statuses[] = {0, 401, 429, 500, 503};

static tf_sample_usage usage_of(unsigned i)
{
    unsigned h = i * 2246822519u;
    tf_sample_usage u = {.failed = h % 5 < 2,
                         .last_status = statuses[(h >> 3) % 5],
                         .truncated = (h >> 7) % 4 == 0,
                         .prompt_tokens = 10,
                         .completion_tokens = (h >> 9) % 300,
                         .reasoning_tokens = -1};
    return u;
}

/* A sample and its item: verified or, when it failed, a fetch_failed item. */
static tf_err add_sample(tf_stats *s, unsigned i)
{
    const char *key = keys[(i * 5u) % 3];
    tf_sample_usage u = usage_of(i);
    tf_err e = tf_stats_add_sample_keyed(s, key, &u);
    tf_facts f = facts_of(i);
    if (e == TF_OK)
        e = u.failed ? tf_stats_add_error_keyed(s, key, "fetch_failed")
                     : tf_stats_add_keyed(s, key, &f);
    return e;
}

/* Failed samples are counted per last status, per group, exactly and the
 * same for any partition; the counts add up to fetch_failures; states of
 * older parts (without them) still read. */
static void test_failure_status(void)
{
    enum { N = 3000 };
    tf_stats_config c;
    tf_stats_config_default(&c);
    c.endpoint = 1;
    srand(17);
    tf_stats *one = partitioned(&c, N, 1, add_sample);
    char *want = all_text(one);
    for (int trial = 0; trial < 8; trial++) {
        tf_stats *m = partitioned(&c, N, 1 + rand() % 16, add_sample);
        char *got = all_text(m);
        CHECKF(got && want && strcmp(got, want) == 0, "status trial %d differs", trial);
        free(got);
        tf_stats_free(m);
    }
    /* an independent count, overall and for the group keys[0] */
    double by[5] = {0}, by0[5] = {0}, failed = 0;
    for (unsigned i = 0; i < N; i++) {
        tf_sample_usage u = usage_of(i);
        if (!u.failed)
            continue;
        int k = (int)(((i * 2246822519u) >> 3) % 5);
        by[k]++;
        failed++;
        if ((i * 5u) % 3 == 0)
            by0[k]++;
    }
    cJSON *o = tf_stats_summary_json(one);
    const cJSON *ep = cJSON_GetObjectItem(o, "endpoint");
    const cJSON *fs = cJSON_GetObjectItem(ep, "fetch_failures_by_status");
    CHECK(cJSON_GetObjectItem(ep, "fetch_failures")->valuedouble == failed && failed > 0);
    CHECK(cJSON_GetArraySize(fs) == 5);
    double sum = 0;
    for (int k = 0; k < 5; k++) {
        char name[8];
        snprintf(name, sizeof name, "%ld", statuses[k]);
        const cJSON *v = cJSON_GetObjectItem(fs, name);
        CHECKF(cJSON_IsNumber(v) && v->valuedouble == by[k], "status %s", name);
        sum += cJSON_IsNumber(v) ? v->valuedouble : 0;
    }
    CHECK(sum == failed);
    /* the keys follow fetch_failures, in text order */
    CHECK(fs && fs->string && strcmp(fs->prev->string, "fetch_failures") == 0);
    CHECK(fs && fs->child && strcmp(fs->child->string, "0") == 0 &&
          strcmp(fs->child->next->string, "401") == 0);
    cJSON_Delete(o);
    int ovf = 0;
    cJSON *g = tf_stats_groups_json(one, &ovf);
    const cJSON *e;
    cJSON_ArrayForEach(e, g)
    {
        char *k = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "key"));
        if (k && strcmp(k, keys[0]) == 0) {
            const cJSON *gs =
                cJSON_GetObjectItem(cJSON_GetObjectItem(e, "endpoint"), "fetch_failures_by_status");
            for (int s = 0; s < 5; s++) {
                char name[8];
                snprintf(name, sizeof name, "%ld", statuses[s]);
                const cJSON *v = cJSON_GetObjectItem(gs, name);
                CHECKF(by0[s] == 0 ? !v : (cJSON_IsNumber(v) && v->valuedouble == by0[s]),
                       "group %s, status %s", k, name);
            }
        }
        free(k);
    }
    cJSON_Delete(g);
    /* a state without "failures_by_status" (an older part) reads as none */
    cJSON *st = tf_stats_state_json(one);
    char *text = cJSON_PrintUnformatted(st);
    CHECK(text && strstr(text, "\"failures_by_status\""));
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "overall"), "endpoint"),
                               "failures_by_status");
    tf_stats *back = NULL;
    CHECK(tf_stats_from_state(st, &back, NULL) == TF_OK);
    tf_stats *merged = tf_stats_create_with(&c);
    CHECK(back && merged && tf_stats_merge(merged, back) == TF_OK);
    o = merged ? tf_stats_summary_json(merged) : NULL;
    fs = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "endpoint"), "fetch_failures_by_status");
    CHECK(cJSON_IsObject(fs) && cJSON_GetArraySize(fs) == 0);
    cJSON_Delete(o);
    tf_stats_free(merged);
    tf_stats_free(back);
    free(text);
    cJSON_Delete(st);
    free(want);
    tf_stats_free(one);
}

static char *summary_text(const tf_stats *s)
{
    cJSON *j = tf_stats_summary_json(s);
    char *t = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return t;
}

/* A domain's flags and its named cell: counted per group, merged exactly
 * in any partition, named as the configuration says; no "flags" key for a
 * domain without flags. */
static const char *const flag_pool[] = {"fallback", "contradiction", "odd_one"};

static tf_err add_flagged(tf_stats *s, unsigned i)
{
    tf_facts f = facts_of(i);
    const char *on[3];
    size_t n = 0;
    for (unsigned b = 0; b < 3; b++)
        if ((i * 2246822519u >> (b + 3)) % (b + 2) == 0)
            on[n++] = flag_pool[b];
    f.flags = on;
    f.nflags = n;
    return tf_stats_add_keyed(s, keys[(i * 7u) % 3], &f);
}

static double rate_count(const cJSON *o, const char *k)
{
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, k);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "count");
    return cJSON_IsNumber(c) ? c->valuedouble : -1;
}

static void test_flags(void)
{
    enum { N = 3000 };
    static const char *const declared[] = {"contradiction", "fallback", "never_seen"};
    tf_stats_config c;
    tf_stats_config_default(&c);
    c.answer_noun = "answer";
    c.answer_false_trace = "correct_answer_false_step";
    c.flag_names = declared;
    c.nflag_names = 3;
    srand(5);
    tf_stats *one = partitioned(&c, N, 1, add_flagged);
    tf_stats *many = partitioned(&c, N, 7, add_flagged);
    char *a = all_text(one), *b = all_text(many);
    CHECK(a && b && strcmp(a, b) == 0);
    free(a);
    free(b);

    /* counts against a direct count of the items */
    unsigned want[3] = {0, 0, 0}, cell = 0;
    for (unsigned i = 0; i < N; i++) {
        tf_facts f = facts_of(i);
        cell += f.answer_valid && !f.trace_valid;
        for (unsigned k = 0; k < 3; k++)
            want[k] += (i * 2246822519u >> (k + 3)) % (k + 2) == 0;
    }
    cJSON *o = tf_stats_summary_json(many);
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flags");
    CHECK(rate_count(fl, "fallback") == want[0]);
    CHECK(rate_count(fl, "contradiction") == want[1]);
    CHECK(rate_count(fl, "odd_one") == want[2]); /* undeclared: still counted */
    CHECK(rate_count(fl, "never_seen") == 0);
    /* declared order first, then the others */
    CHECK(fl && fl->child && strcmp(fl->child->string, "contradiction") == 0 && fl->child->next &&
          strcmp(fl->child->next->string, "fallback") == 0);
    CHECK(cell > 0 && rate_count(o, "correct_answer_false_step") == cell);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "answer_x_trace");
    CHECK(rate_count(x, "valid_answer_invalid_trace") == cell);
    cJSON_Delete(o);
    tf_stats_free(one);
    tf_stats_free(many);

    /* without flags or a named cell: neither key */
    tf_stats_config_default(&c);
    tf_stats *plain = partitioned(&c, 200, 2, add_item);
    char *t = all_text(plain);
    CHECK(t && !strstr(t, "\"flags\"") && !strstr(t, "false_step"));
    free(t);
    tf_stats_free(plain);
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
        pv += f.answer_valid;
        cell += f.answer_valid && !f.trace_valid;
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
    test_groups();
    test_caps();
    test_bad();
    test_state_names();
    test_answer_noun();
    test_failure_status();
    test_flags();
    return tf_test_done();
}
