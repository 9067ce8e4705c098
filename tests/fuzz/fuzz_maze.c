/* fuzz_maze.c: the maze prompt parser and trace verifier on any bytes.
 * Byte 0 picks the dialect and grid size; the rest is "prompt\noutput"
 * (searchformer) or one text (beyond). Bad model output is a verdict, so
 * everything must return normally and the verdict must be self-consistent. */
#include "tracefarm/maze_verify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tf_maze_dialect d = (data[0] & 1) ? TF_MAZE_BEYOND : TF_MAZE_SEARCHFORMER;
    int side = 1 + ((data[0] >> 1) & 15);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *nl = memchr(text, '\n', len);
    size_t plen = (d == TF_MAZE_SEARCHFORMER && nl) ? (size_t)(nl - text) : len;
    const char *out = (d == TF_MAZE_SEARCHFORMER && nl) ? nl + 1 : text;
    size_t olen = len - (size_t)(out - text);
    /* the prompt parser takes a NUL-free C view of its bytes */
    char *prompt = malloc(plen + 1);
    if (!prompt)
        return 0;
    memcpy(prompt, text, plen);
    prompt[plen] = '\0';
    tf_maze *m = NULL;
    if (tf_maze_parse_prompt(prompt, plen, side, side, &m, NULL) == TF_OK) {
        tf_maze_verdict v;
        if (tf_maze_verify(m, d, out, olen, &v) == TF_OK) {
            if (v.ref.valid != (v.ref.errors == 0) || v.strict.valid != (v.strict.errors == 0) ||
                (v.plan_optimal && !v.plan_valid) || v.trace_len < 0)
                abort();
        }
        (void)tf_maze_count_ops(d, out, olen);
        tf_maze_free(m);
    }
    free(prompt);
    return 0;
}
