/* test_cases.c: every domain's hand-built cases, tests/data/DOMAIN/ (one JSON file each).
 *
 * One runner for every domain of the registry. A case file is one record
 * and what its item must hold:
 *
 *   {"note": "why this case exists",
 *    "job": {...}                      optional: keys added to the job spec,
 *                                      e.g. the domain's own section or
 *                                      "fields" (paths, messages, reasoning)
 *    "expect": {"trace_valid": false, "first_error": "create_non_neighbor", ...},
 *    "absent": ["reasoning_from", ...] optional: keys the item must not have
 *    "line": "{...}"                   optional: the corpus line itself, as raw
 *                                      text, for bytes a case file cannot carry
 *                                      through a JSON parse (a \u0000 escape,
 *                                      trailing data, malformed JSON)
 *    ...every other key is a field of the record}
 *
 * The record goes the way of a corpus line with source "record": the
 * record module (tf_record_parse with the job's generic fields), the
 * domain's parse_record, the output it holds (tf_record_output) split into
 * its parts (tf_parts_split), then the domain's verify. The item is the
 * verdict's fields, with "reasoning_from" as the worker adds it
 * ({"error_kind", "error"} when the record is refused); every key of
 * "expect" must be in it with an equal value ("error": a part of the
 * reason). A key that is not in the item fails the case, so a typo cannot
 * skip a check. Each domain must have at least MIN_CASES cases.
 *
 * A case file is read whole (up to MAX_CASE_BYTES, so that hostile records
 * of a megabyte fit). A \u0000 escape in a case file's record is refused:
 * cJSON would end the string there and the record would silently lose the
 * rest; such a line goes in "line", where it reaches the record module as
 * written.
 */
#include "tf_test.h"
#include "tracefarm/domain.h"
#include "tracefarm/job.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CASES 10
#define MAX_CASES 4096
#define MAX_CASE_BYTES (8 << 20)

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Offset of a \u0000 escape in s[0..n) (an odd run of backslashes before
 * "u0000"), or n. */
static size_t nul_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 6 <= n; i++) {
        if (s[i] != '\\')
            continue;
        size_t j = i;
        while (j < n && s[j] == '\\')
            j++;
        if ((j - i) % 2 == 1 && j + 5 <= n && memcmp(s + j, "u0000", 5) == 0)
            return j - 1;
        i = j - 1;
    }
    return n;
}

static cJSON *read_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MAX_CASE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_CASE_BYTES, f) : 0;
    int more = buf && fgetc(f) != EOF;
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    size_t nul = nul_escape(buf, n);
    CHECKF(!more, "%s: over %d bytes", path, MAX_CASE_BYTES);
    CHECKF(nul == n,
           "%s: a \\u0000 escape at byte %zu would cut its string: put the record in "
           "\"line\"",
           path, nul);
    cJSON *j = more || nul != n ? NULL : cJSON_ParseWithLength(buf, n);
    free(buf);
    return j;
}

/* The job of a case: a minimal spec of the domain plus the case's "job". */
static tf_job *case_job(const tf_domain *dom, const cJSON *extra, const char *file)
{
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "name", "case");
    cJSON_AddStringToObject(spec, "domain", dom->name);
    cJSON *corpus = cJSON_AddArrayToObject(spec, "corpus");
    cJSON_AddItemToArray(corpus, cJSON_CreateString("case.jsonl"));
    cJSON_AddStringToObject(spec, "output", "case-out");
    for (const cJSON *e = extra ? extra->child : NULL; e; e = e->next) {
        cJSON_DeleteItemFromObjectCaseSensitive(spec, e->string);
        cJSON_AddItemToObject(spec, e->string, cJSON_Duplicate(e, 1));
    }
    char *text = cJSON_PrintUnformatted(spec);
    cJSON_Delete(spec);
    tf_job *job = NULL;
    tf_diag d = {{0}};
    tf_err err = tf_job_parse(text, strlen(text), file, 0, &job, &d);
    CHECKF(err == TF_OK, "%s: job: %s", file, d.msg);
    free(text);
    return job;
}

/* The facts of a verified item agree with its fields where they say the
 * same thing (the keys both domains have, when the item has them), a flag
 * is set exactly when the item's field of its name is true (domain.h), and
 * only declared flags are set. */
static void check_facts(const tf_domain *dom, const cJSON *item, const tf_facts *f,
                        const char *file)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, "trace_valid");
    CHECKF(!v || cJSON_IsTrue(v) == f->trace_valid, "%s: facts.trace_valid", file);
    v = cJSON_GetObjectItemCaseSensitive(item, "trace_valid_strict");
    CHECKF(!v || cJSON_IsTrue(v) == f->trace_valid_strict, "%s: facts.trace_valid_strict", file);
    CHECKF(f->trace_valid == (f->first_error == NULL), "%s: facts.first_error", file);
    CHECKF(f->trace_valid_strict == (f->strict_first_error == NULL), "%s: facts.strict_first_error",
           file);
    static const char *const codes[] = {"first_error", "strict_first_error"};
    const char *fcodes[] = {f->first_error, f->strict_first_error};
    for (int k = 0; k < 2; k++) {
        v = cJSON_GetObjectItemCaseSensitive(item, codes[k]);
        CHECKF(!v || (cJSON_IsNull(v) && !fcodes[k]) ||
                   (cJSON_IsString(v) && fcodes[k] && strcmp(v->valuestring, fcodes[k]) == 0),
               "%s: facts.%s differs from the item's", file, codes[k]);
    }
    static const char *const counts[] = {"first_error_step", "complexity"};
    const long fcounts[] = {f->first_error_step, f->complexity};
    for (int k = 0; k < 2; k++) {
        v = cJSON_GetObjectItemCaseSensitive(item, counts[k]);
        CHECKF(!v || (cJSON_IsNull(v) && fcounts[k] < 0) ||
                   (cJSON_IsNumber(v) && v->valuedouble == (double)fcounts[k]),
               "%s: facts.%s %ld differs from the item's", file, counts[k], fcounts[k]);
    }
    /* a flag is set exactly when the item's field of its name is true
     * (domain.h), and only declared flags are set */
    for (size_t k = 0; k < dom->nflags; k++) {
        const char *name = dom->flags[k];
        int set = 0;
        for (size_t m = 0; m < f->nflags; m++)
            set |= strcmp(f->flags[m], name) == 0;
        CHECKF(set == cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, name)),
               "%s: flag %s: set %d, item field differs", file, name, set);
    }
    for (size_t m = 0; m < f->nflags; m++) {
        int declared = 0;
        for (size_t k = 0; k < dom->nflags; k++)
            declared |= strcmp(f->flags[m], dom->flags[k]) == 0;
        CHECKF(declared, "%s: flag %s is not declared by the domain", file, f->flags[m]);
    }
}

/* The item of the case's record: the verdict, or the refusal. */
static cJSON *case_item(const tf_job *job, const cJSON *record, const char *raw, const char *file)
{
    const tf_work *w = &job->work;
    char *line = raw ? strdup(raw) : cJSON_PrintUnformatted(record);
    tf_record rec;
    cJSON *item = cJSON_CreateObject();
    if (!line || tf_record_parse(&w->record, line, strlen(line), &rec) != TF_OK) {
        CHECKF(0, "%s: cannot parse the record", file);
        free(line);
        cJSON_Delete(item);
        return NULL;
    }
    free(line);
    if (rec.error_kind) {
        cJSON_AddStringToObject(item, "error_kind", rec.error_kind);
        cJSON_AddStringToObject(item, "error", rec.error);
        tf_record_clear(&rec);
        return item;
    }
    void *problem = NULL;
    tf_text own = {NULL, 0}, out = {NULL, 0}, reasoning = {NULL, 0};
    const char *from = NULL, *no_output = "";
    tf_diag why = {{0}};
    tf_err err = w->dom->parse_record(w->dom_cfg, &rec, &problem, &own, &why);
    if (err == TF_OK) {
        tf_record_output(&rec, own, &out, &reasoning, &from, &no_output);
        if (!out.p) {
            err = TF_ERR_PARSE;
            tf_diag_set(&why, "%s", no_output);
        }
    }
    if (err == TF_ERR_PARSE) {
        cJSON_AddStringToObject(item, "error_kind", "bad_record");
        cJSON_AddStringToObject(item, "error", why.msg);
    } else if (err == TF_OK) {
        tf_facts facts;
        memset(&facts, 0, sizeof facts);
        tf_buf scratch;
        tf_buf_init(&scratch, 0);
        tf_parts parts;
        err = tf_parts_split(out.p, out.n, reasoning.p, reasoning.n, from, &scratch, &parts);
        if (err == TF_OK)
            err = w->dom->verify(w->dom_cfg, problem, &rec, &parts, item, &facts, &why);
        if (err == TF_OK && parts.reasoning_from)
            cJSON_AddStringToObject(item, "reasoning_from", parts.reasoning_from);
        tf_buf_free(&scratch);
        if (err == TF_ERR_TOO_BIG) {
            cJSON_AddStringToObject(item, "error_kind", "too_big");
            cJSON_AddStringToObject(item, "error", why.msg);
        }
        CHECKF(err == TF_OK || err == TF_ERR_TOO_BIG, "%s: verify: %s", file, tf_strerror(err));
        if (err == TF_OK)
            check_facts(w->dom, item, &facts, file);
    } else {
        CHECKF(0, "%s: parse_record: %s", file, tf_strerror(err));
    }
    w->dom->free_problem(problem);
    tf_record_clear(&rec);
    return item;
}

static int run_case(const tf_domain *dom, const char *dir, const char *file)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    cJSON *c = read_json(path);
    CHECKF(cJSON_IsObject(c), "%s: not a JSON object", path);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    CHECKF(cJSON_IsObject(expect) && expect->child, "%s: no \"expect\"", file);
    CHECKF(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "note")), "%s: no \"note\"", file);
    if (!cJSON_IsObject(c) || !cJSON_IsObject(expect)) {
        cJSON_Delete(c);
        return 0;
    }
    tf_job *job = case_job(dom, cJSON_GetObjectItemCaseSensitive(c, "job"), file);
    cJSON *record = cJSON_Duplicate(c, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(record, "note");
    cJSON_DeleteItemFromObjectCaseSensitive(record, "job");
    cJSON_DeleteItemFromObjectCaseSensitive(record, "expect");
    cJSON_DeleteItemFromObjectCaseSensitive(record, "absent");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(c, "line");
    CHECKF(!raw || cJSON_IsString(raw), "%s: \"line\" must be a string", file);
    CHECKF(!raw || cJSON_GetArraySize(record) == 1,
           "%s: a case with \"line\" has no other record field", file);
    cJSON *item =
        job ? case_item(job, record, cJSON_IsString(raw) ? raw->valuestring : NULL, file) : NULL;
    int ran = item != NULL;
    for (const cJSON *e = expect->child; item && e; e = e->next) {
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(item, e->string);
        char *want = cJSON_PrintUnformatted(e);
        char *have = got ? cJSON_PrintUnformatted(got) : NULL;
        if (strcmp(e->string, "error") == 0)
            CHECKF(cJSON_IsString(e) && cJSON_IsString(got) &&
                       strstr(got->valuestring, e->valuestring),
                   "%s: error: want a reason holding %s, got %s", file, want,
                   have ? have : "(none)");
        else
            CHECKF(got && cJSON_Compare(e, got, 1), "%s: %s: want %s, got %s", file, e->string,
                   want, have ? have : "(not in the item)");
        free(want);
        free(have);
    }
    const cJSON *absent = cJSON_GetObjectItemCaseSensitive(c, "absent");
    CHECKF(!absent || cJSON_IsArray(absent), "%s: \"absent\" must be a list of keys", file);
    for (const cJSON *e = absent ? absent->child : NULL; item && e; e = e->next)
        CHECKF(cJSON_IsString(e) && !cJSON_GetObjectItemCaseSensitive(item, e->valuestring),
               "%s: the item has %s, which must be absent", file,
               cJSON_IsString(e) ? e->valuestring : "(not a string)");
    cJSON_Delete(item);
    cJSON_Delete(record);
    tf_job_free(job);
    cJSON_Delete(c);
    return ran;
}

int main(void)
{
    for (const tf_domain *const *dp = tf_domains(); *dp; dp++) {
        const tf_domain *dom = *dp;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", TF_TEST_DATA, dom->name);
        DIR *dh = opendir(dir);
        CHECKF(dh != NULL, "domain %s has no cases: cannot open %s", dom->name, dir);
        if (!dh)
            continue;
        char *names[MAX_CASES] = {0};
        int n = 0;
        struct dirent *de;
        while ((de = readdir(dh)) != NULL) {
            size_t l = strlen(de->d_name);
            if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0 && n < MAX_CASES)
                names[n++] = strdup(de->d_name);
        }
        closedir(dh);
        qsort(names, (size_t)n, sizeof names[0], cmp_str);
        int ran = 0;
        for (int i = 0; i < n; i++) {
            int before = tf_test_fail;
            ran += run_case(dom, dir, names[i]);
            if (tf_test_fail != before)
                fprintf(stderr, "  ^ case %s/%s failed\n", dom->name, names[i]);
            free(names[i]);
        }
        printf("%s: %d cases ran\n", dom->name, ran);
        CHECKF(ran >= MIN_CASES, "%s: only %d cases ran (want >= %d)", dom->name, ran, MIN_CASES);
    }
    return tf_test_done();
}
