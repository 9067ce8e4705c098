/* fuzz_path.c: the path compiler (record.h) on any text, and every path
 * that compiles looked up in a nested record and used as a group key. */
#include "tracefarm/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char doc[] = "{\"a\": {\"b\": [1, {\"c\": \"x\"}, [2, 3]]}, \"a.b\": true, "
                          "\"k[0]\": null, \"\": 1, \"messages\": [{\"content\": \"q\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tf_path *p = NULL;
    tf_err err = tf_path_compile(text, &p, NULL);
    if ((err == TF_OK) != (p != NULL) ||
        (err != TF_OK && err != TF_ERR_SPEC && err != TF_ERR_NOMEM))
        abort();
    if (p) {
        if (strcmp(tf_path_text(p), text) != 0)
            abort(); /* the path keeps its text */
        cJSON *v = cJSON_Parse(doc);
        (void)tf_path_get(p, v);
        const tf_path *g[1] = {p};
        tf_record_spec spec = {.id = p, .tokens = p, .group_by = g, .ngroup_by = 1};
        tf_record rec;
        if (tf_record_parse(&spec, doc, sizeof doc - 1, &rec) != TF_OK || !rec.key)
            abort();
        tf_record_clear(&rec);
        cJSON_Delete(v);
        tf_path_free(p);
    }
    free(text);
    return 0;
}
