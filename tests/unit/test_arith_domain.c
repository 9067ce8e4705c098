/* test_arith_domain.c: what the arith domain's data cases (tests/data/arith/,
 * run by test_cases) cannot carry, because a case is JSON text:
 *
 *   - outputs that are not UTF-8 and hold NUL bytes (an endpoint's content
 *     is not checked as a record line is): the item stays UTF-8, the steps
 *     are still found, and a quoted step is cut at a character boundary;
 *   - the prompt is the question, verbatim (tracefarm serve's arith model
 *     and every prompt template rely on it);
 *   - JSON numbers as references: each read as the decimal that was
 *     written (0.1, 1e-7, 1e21), and one too long to be a number.
 */
#include "tf_test.h"
#include "tracefarm/domain.h"
#include "tracefarm/job.h"
#include "tracefarm/text.h"

#include <stdlib.h>
#include <string.h>

static tf_job *arith_job(const char *extra)
{
    char spec[1024];
    snprintf(spec, sizeof spec,
             "{\"name\": \"t\", \"domain\": \"arith\", \"corpus\": [\"x.jsonl\"], \"output\": "
             "\"o\"%s}",
             extra);
    tf_job *job = NULL;
    tf_diag d = {{0}};
    CHECKF(tf_job_parse(spec, strlen(spec), "t", 0, &job, &d) == TF_OK, "job: %s", d.msg);
    return job;
}

/* Parse line as a record of job; *problem set (NULL: refused, why in d). */
static void parse(const tf_job *job, const char *line, tf_record *rec, void **problem, tf_diag *d)
{
    const tf_work *w = &job->work;
    *problem = NULL;
    CHECK(tf_record_parse(&w->record, line, strlen(line), rec) == TF_OK);
    CHECKF(!rec->error_kind, "%s", rec->error);
    tf_text own = {NULL, 0};
    if (!rec->error_kind)
        (void)w->dom->parse_record(w->dom_cfg, rec, problem, &own, d);
}

/* Verify reasoning (rlen bytes, or NULL) and answer (alen bytes) against
 * the record line; the item (caller deletes). */
static cJSON *verify(const tf_job *job, const char *line, const char *reasoning, size_t rlen,
                     const char *answer, size_t alen, tf_facts *facts)
{
    const tf_work *w = &job->work;
    tf_record rec;
    void *problem;
    tf_diag d = {{0}};
    parse(job, line, &rec, &problem, &d);
    CHECKF(problem != NULL, "parse_record: %s", d.msg);
    cJSON *item = cJSON_CreateObject();
    tf_parts parts = {
        reasoning, reasoning ? rlen : 0, answer, alen, reasoning ? "endpoint" : NULL, -1, -1, 0};
    memset(facts, 0, sizeof *facts);
    if (problem)
        CHECK(w->dom->verify(w->dom_cfg, problem, &rec, &parts, item, facts, &d) == TF_OK);
    w->dom->free_problem(problem);
    tf_record_clear(&rec);
    return item;
}

static const char *str(const cJSON *item, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num(const cJSON *item, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void test_bytes(const tf_job *job)
{
    const char *line = "{\"prompt\": \"q\", \"reference\": \"18\"}";
    /* bytes that are not UTF-8 around the steps, a NUL byte, a cut
     * sequence at the end */
    static const char reasoning[] = "\xff\xfe 3 + 4 = 8 \xc3\x28\n\x00 9 * 2 = 18 \xe2\x82";
    static const char answer[] = "caf\xe9 9 * 2 = 19\n#### 18 \xf0\x9f";
    tf_facts f;
    cJSON *item = verify(job, line, reasoning, sizeof reasoning - 1, answer, sizeof answer - 1, &f);
    char *text = cJSON_PrintUnformatted(item);
    CHECK(text && tf_utf8_invalid_at(text, strlen(text)) == strlen(text));
    CHECKF(num(item, "steps") == 3 && num(item, "steps_wrong") == 2 &&
               num(item, "reasoning_steps_wrong") == 1 && num(item, "answer_steps_wrong") == 1,
           "%s", text);
    CHECK(str(item, "first_error_text") && strcmp(str(item, "first_error_text"), "3 + 4 = 8") == 0);
    CHECK(str(item, "first_error_part") && strcmp(str(item, "first_error_part"), "reasoning") == 0);
    CHECK(str(item, "answer") && strcmp(str(item, "answer"), "18") == 0 && f.answer_valid);
    CHECK(!f.trace_valid && f.first_error_step == 0 && f.trace_len == 3);
    free(text);
    cJSON_Delete(item);

    /* a wrong step of 1,500 bytes with 3-byte minus signs: the quote is cut
     * at a character boundary, "..." after it */
    char long_step[2048];
    size_t n = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(long_step + n, i ? " \xe2\x88\x92 1" : "1000", i ? 6 : 4);
        n += i ? 6 : 4;
    }
    n += (size_t)snprintf(long_step + n, sizeof long_step - n, " = 1\n#### 18");
    item = verify(job, line, NULL, 0, long_step, n, &f);
    const char *q = str(item, "first_error_text");
    CHECKF(q && strlen(q) <= 203 && strlen(q) > 190 && strcmp(q + strlen(q) - 3, "...") == 0 &&
               tf_utf8_invalid_at(q, strlen(q)) == strlen(q),
           "quote: %s", q ? q : "(none)");
    CHECK(str(item, "first_error_why") && strstr(str(item, "first_error_why"), "701"));
    cJSON_Delete(item);
}

static void test_prompt(const tf_job *job)
{
    const tf_work *w = &job->work;
    const char *line = "{\"question\": \"Janet\\u2019s ducks lay 16 eggs.\\n  How many?  \", "
                       "\"answer\": \"#### 16\"}";
    tf_record rec;
    void *problem;
    tf_diag d = {{0}};
    parse(job, line, &rec, &problem, &d);
    tf_buf b;
    tf_buf_init(&b, 1 << 16);
    CHECK(problem && w->dom->build_prompt(w->dom_cfg, problem, &b) == TF_OK);
    CHECKF(b.data && strcmp(b.data, "Janet\xe2\x80\x99s ducks lay 16 eggs.\n  How many?  ") == 0,
           "prompt: %s", b.data ? b.data : "(none)");
    tf_buf_free(&b);
    w->dom->free_problem(problem);
    tf_record_clear(&rec);
}

static void test_numbers(const tf_job *job)
{
    static const struct {
        const char *json, *want; /* want NULL: refused */
    } T[] = {
        {"18", "18"},
        {"3.0", "3"},
        {"0.1", "0.1"},
        {"-2.5", "-2.5"},
        {"1e-7", "0.0000001"},
        {"1.5e-7", "0.00000015"},
        {"1e21", "1000000000000000000000"},
        {"123456789.125", "123456789.125"},
        {"0", "0"},
        {"1e300", NULL}, /* 301 digits: longer than a number literal may be */
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        char line[256];
        snprintf(line, sizeof line, "{\"prompt\": \"q\", \"reference\": %s, \"output\": \"x\"}",
                 T[i].json);
        tf_record rec;
        void *problem;
        tf_diag d = {{0}};
        parse(job, line, &rec, &problem, &d);
        if (!T[i].want) {
            CHECKF(!problem && strstr(d.msg, "field \"reference\""), "%s: %s", T[i].json, d.msg);
        } else {
            tf_parts parts = {NULL, 0, "", 0, NULL, -1, -1, 0};
            tf_facts f;
            memset(&f, 0, sizeof f);
            cJSON *item = cJSON_CreateObject();
            CHECK(problem && job->work.dom->verify(job->work.dom_cfg, problem, &rec, &parts, item,
                                                   &f, &d) == TF_OK);
            const char *got = str(item, "reference_answer");
            CHECKF(got && strcmp(got, T[i].want) == 0, "%s: got %s", T[i].json,
                   got ? got : "(none)");
            cJSON_Delete(item);
        }
        job->work.dom->free_problem(problem);
        tf_record_clear(&rec);
    }
}

int main(void)
{
    tf_job *job = arith_job("");
    tf_job *qjob = arith_job(", \"fields\": {\"prompt\": \"question\", \"reference\": \"answer\"}");
    if (job && qjob) {
        test_bytes(job);
        test_prompt(qjob);
        test_numbers(job);
    }
    tf_job_free(job);
    tf_job_free(qjob);
    return tf_test_done();
}
