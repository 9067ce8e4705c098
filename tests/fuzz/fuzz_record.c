/* fuzz_record.c: one corpus line as a worker takes it, for every domain of
 * the registry: the record module (tf_record_parse: JSON, NUL bytes,
 * UTF-8, \u0000, trailing data, the generic fields, chat messages and the
 * group key), then the domain's parse_record, the output the record holds
 * (tf_record_output) split into its parts (tf_parts_split: <think>
 * blocks) and the domain's verify: the worker's functions, in its order. */
#include "tracefarm/domain.h"
#include "tracefarm/job.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JOBS 64

static tf_job *jobs[MAX_JOBS];
static size_t njobs;
static tf_buf scratch; /* the parts of a <think> split, as the worker's */

/* The record fields of the jobs: flat with nested group_by paths, a chat
 * messages list, and an OpenAI batch output line with its request. */
static const char *const fields[] = {
    "\"group_by\": [\"generator\", \"a.b[0]\", \"c[-1].d\"], \"fields\": {\"id\": \"meta.id\", "
    "\"tokens\": \"usage.completion_tokens\"}",
    "\"fields\": {\"messages\": \"messages\"}",
    "\"fields\": {\"id\": \"custom_id\", \"prompt\": \"request.body.messages[-1].content\", "
    "\"output\": \"response.body.choices[0].message.content\", "
    "\"reasoning\": \"response.body.choices[0].message.reasoning_content\"}",
};

/* Each domain with each set of fields. */
static void setup(void)
{
    for (const tf_domain *const *dp = tf_domains(); *dp; dp++)
        for (size_t f = 0; f < sizeof fields / sizeof *fields && njobs < MAX_JOBS; f++) {
            char spec[1024];
            snprintf(spec, sizeof spec,
                     "{\"name\": \"fuzz\", \"domain\": \"%s\", \"corpus\": [\"x.jsonl\"], "
                     "\"output\": \"o\", %s}",
                     (*dp)->name, fields[f]);
            if (tf_job_parse(spec, strlen(spec), "fuzz", 0, &jobs[njobs], NULL) != TF_OK)
                abort();
            njobs++;
        }
    tf_buf_init(&scratch, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!njobs)
        setup();
    for (size_t k = 0; k < njobs; k++) {
        const tf_work *w = &jobs[k]->work;
        tf_record rec;
        if (tf_record_parse(&w->record, (const char *)data, size, &rec) != TF_OK)
            abort();
        if (w->record.ngroup_by && !rec.key)
            abort(); /* every line counts in a group */
        if (!rec.error_kind) {
            void *problem = NULL;
            tf_text own = {NULL, 0}, out = {NULL, 0}, reasoning = {NULL, 0};
            const char *from = NULL, *why = "";
            if (w->dom->parse_record(w->dom_cfg, &rec, &problem, &own, NULL) == TF_OK) {
                tf_record_output(&rec, own, &out, &reasoning, &from, &why);
                if (!out.p && !*why)
                    abort(); /* a record without output says why */
            }
            tf_parts parts;
            if (problem && out.p &&
                tf_parts_split(out.p, out.n, reasoning.p, reasoning.n, from, &scratch, &parts) ==
                    TF_OK) {
                if (!parts.answer || parts.answer[parts.answer_len] != '\0' ||
                    (parts.reasoning && parts.reasoning[parts.reasoning_len] != '\0') ||
                    (!parts.reasoning != !parts.reasoning_from))
                    abort(); /* the parts are NUL-terminated, and say where reasoning came from */
                cJSON *item = cJSON_CreateObject();
                tf_facts f;
                memset(&f, 0, sizeof f);
                tf_err err = w->dom->verify(w->dom_cfg, problem, &rec, &parts, item, &f, NULL);
                if (err == TF_OK && !item->child)
                    abort(); /* a verdict has fields */
                cJSON_Delete(item);
            }
            w->dom->free_problem(problem);
        }
        tf_record_clear(&rec);
    }
    return 0;
}
