/* stats_driver.c: feed facts from a JSONL file to the statistics module and
 * print the summary, for tests/integration/stats_scipy.py (not a test by
 * itself).
 *
 *   stats_driver FACTS.jsonl [--parts K] [--seed S] [--stats JSON]
 *
 * Each line is one item:
 *   {"group": KEY or null, "complexity": int or null, "length": int,
 *    "tokens": int or null, "answer_valid": b, "answer_optimal": b,
 *    "trace_valid": b, "trace_valid_strict": b, "first_error": code or null,
 *    "first_error_step": int or null, "strict_first_error": code or null}
 * or an error item {"group": KEY or null, "error": KIND}.
 * With --parts K the items are dealt pseudo-randomly (seed S) to K states,
 * each sent through its JSON state and merged in reverse order, as ranks
 * would be. --stats is a job's "stats" section. Prints
 * {"overall": ..., "groups": [...], "groups_overflow": b} on stdout.
 */
#include "tracefarm/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest input line accepted. */
#define LINE_MAX_BYTES (1UL << 20)

static long int_or(const cJSON *o, const char *k, long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static const char *str_or_null(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* One line into one state. */
static int feed(tf_stats *s, const cJSON *o)
{
    const char *key = str_or_null(o, "group");
    const char *err = str_or_null(o, "error");
    if (err)
        return tf_stats_add_error_keyed(s, key, err) == TF_OK;
    tf_facts f;
    memset(&f, 0, sizeof f);
    f.answer_valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "answer_valid"));
    f.answer_optimal = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "answer_optimal"));
    f.trace_valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "trace_valid"));
    f.trace_valid_strict = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "trace_valid_strict"));
    f.first_error = str_or_null(o, "first_error");
    f.strict_first_error = str_or_null(o, "strict_first_error");
    f.trace_len = int_or(o, "length", -1);
    f.first_error_step = int_or(o, "first_error_step", -1);
    f.complexity = int_or(o, "complexity", -1);
    f.tokens = int_or(o, "tokens", -1);
    return tf_stats_add_keyed(s, key, &f) == TF_OK;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *stats_json = NULL;
    int parts = 1;
    unsigned long seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--parts") == 0 && i + 1 < argc)
            parts = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--stats") == 0 && i + 1 < argc)
            stats_json = argv[++i];
        else
            path = argv[i];
    }
    if (!path || parts < 1 || parts > 64) {
        fprintf(stderr, "usage: stats_driver FACTS.jsonl [--parts 1..64] [--seed S] "
                        "[--stats JSON]\n");
        return 2;
    }
    tf_stats_config cfg;
    cJSON *sec = stats_json ? cJSON_Parse(stats_json) : NULL;
    cJSON *resolved = NULL;
    tf_diag d;
    d.msg[0] = '\0';
    if ((stats_json && !sec) ||
        tf_stats_config_parse(sec, "--stats", &cfg, &resolved, &d) != TF_OK) {
        fprintf(stderr, "stats_driver: %s\n", d.msg[0] ? d.msg : "bad --stats");
        cJSON_Delete(sec);
        return 2;
    }
    cJSON_Delete(sec);
    cJSON_Delete(resolved);
    FILE *in = fopen(path, "r");
    if (!in) {
        perror(path);
        return 1;
    }
    tf_stats *part[64];
    for (int p = 0; p < parts; p++)
        part[p] = tf_stats_create_with(&cfg);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0, x = seed * 2654435761UL + 1;
    int bad = 0;
    while (!bad && (n = getline(&line, &cap, in)) > 0) {
        lineno++;
        if ((size_t)n > LINE_MAX_BYTES) {
            fprintf(stderr, "%s:%lu: line too long\n", path, lineno);
            bad = 1;
            break;
        }
        cJSON *o = cJSON_Parse(line);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (!o || !feed(part[x % (unsigned long)parts], o)) {
            fprintf(stderr, "%s:%lu: bad item\n", path, lineno);
            bad = 1;
        }
        cJSON_Delete(o);
    }
    free(line);
    fclose(in);
    tf_stats *all = tf_stats_create_with(&cfg);
    for (int p = parts - 1; p >= 0 && !bad; p--) {
        cJSON *st = tf_stats_state_json(part[p]);
        tf_stats *back = NULL;
        if (!st || tf_stats_from_state(st, &back, &d) != TF_OK ||
            tf_stats_merge(all, back) != TF_OK) {
            fprintf(stderr, "stats_driver: state round trip failed: %s\n", d.msg);
            bad = 1;
        }
        tf_stats_free(back);
        cJSON_Delete(st);
    }
    for (int p = 0; p < parts; p++)
        tf_stats_free(part[p]);
    if (bad) {
        tf_stats_free(all);
        return 1;
    }
    int overflow = 0;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "overall", tf_stats_summary_json(all));
    cJSON_AddItemToObject(out, "groups", tf_stats_groups_json(all, &overflow));
    cJSON_AddBoolToObject(out, "groups_overflow", overflow);
    char *text = cJSON_PrintUnformatted(out);
    int ok = text != NULL;
    if (ok)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(out);
    tf_stats_free(all);
    return ok ? 0 : 1;
}
