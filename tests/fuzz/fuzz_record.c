/* fuzz_record.c: one corpus line as a worker takes it, for every domain of
 * the registry: the record module (tf_record_parse: JSON, NUL bytes,
 * UTF-8, \u0000, trailing data, the generic fields and the group key),
 * then the domain's parse_record and verify. */
#include "tracefarm/domain.h"
#include "tracefarm/job.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOMAINS 64

static tf_job *jobs[MAX_DOMAINS];
static size_t njobs;

/* A job of each domain, with nested group_by paths to exercise the key. */
static void setup(void)
{
    for (const tf_domain *const *dp = tf_domains(); *dp && njobs < MAX_DOMAINS; dp++) {
        char spec[512];
        snprintf(spec, sizeof spec,
                 "{\"name\": \"fuzz\", \"domain\": \"%s\", \"corpus\": [\"x.jsonl\"], "
                 "\"output\": \"o\", \"group_by\": [\"generator\", \"a.b[0]\", \"c[-1].d\"], "
                 "\"fields\": {\"id\": \"meta.id\", \"tokens\": \"usage.completion_tokens\"}}",
                 (*dp)->name);
        if (tf_job_parse(spec, strlen(spec), "fuzz", 0, &jobs[njobs], NULL) != TF_OK)
            abort();
        njobs++;
    }
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
            tf_text out = {NULL, 0};
            if (w->dom->parse_record(w->dom_cfg, &rec, &problem, &out, NULL) == TF_OK && out.p) {
                cJSON *item = cJSON_CreateObject();
                tf_facts f;
                memset(&f, 0, sizeof f);
                tf_parts parts = {.answer = out.p, .answer_len = out.n};
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
