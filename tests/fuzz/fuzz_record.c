/* fuzz_record.c: one corpus record through the maze domain, as a worker
 * handles it: JSON parse, record fields, problem, verdict. */
#include "tracefarm/domain.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tf_domain *dom = tf_domain_find("maze");
    if (!cfg) {
        cJSON *job = cJSON_Parse("{\"maze\": {\"rows\": 12, \"cols\": 12}}");
        if (!job || dom->configure(job, "fuzz", &cfg, NULL) != TF_OK)
            abort();
        cJSON_Delete(job);
    }
    cJSON *rec = cJSON_ParseWithLength((const char *)data, size);
    if (!rec)
        return 0;
    void *problem = NULL;
    const char *out = NULL;
    size_t len = 0;
    if (dom->parse_record(cfg, rec, &problem, &out, &len, NULL) == TF_OK && out) {
        cJSON *item = cJSON_CreateObject();
        tf_facts f;
        memset(&f, 0, sizeof f);
        if (dom->verify(cfg, problem, rec, out, len, item, &f, NULL) == TF_OK) {
            if (!cJSON_GetObjectItem(item, "trace_valid"))
                abort();
        }
        cJSON_Delete(item);
    }
    dom->free_problem(problem);
    cJSON_Delete(rec);
    return 0;
}
