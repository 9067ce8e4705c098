/* fuzz_serve_arith.c: the arith side of tracefarm serve on any bytes: the
 * corpus loader's line parser (tf_serve_arith_add_line), the search for the
 * question in a prompt (tf_serve_arith_match) and the model
 * (tf_serve_arith_answer) on every reference the loader keeps.
 *
 * Input: corpus lines, then a NUL byte and the prompt (no NUL: the whole
 * input is both). Everything must return normally, and the results must
 * hold together: a match is a question that is the prompt or stands in it,
 * an answer is UTF-8 (the reference was), its final answer's sentence
 * starts inside it, it is the same for the same seed, and its mode is the
 * one drawn or "correct". */
#include "tracefarm/hash.h"
#include "tracefarm/serve.h"
#include "tracefarm/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWERED 4 /* references answered per input */

static void answer_checked(const char *ref, size_t n, uint64_t seed, int style)
{
    tf_serve_arith_opts o = {style, 0.3, 0.3, 0.3};
    tf_buf a, b;
    tf_buf_init(&a, (size_t)1 << 22);
    tf_buf_init(&b, (size_t)1 << 22);
    tf_serve_arith_info ia, ib;
    tf_err ea = tf_serve_arith_answer(&o, ref, n, seed, &a, &ia);
    tf_err eb = tf_serve_arith_answer(&o, ref, n, seed, &b, &ib);
    if (ea != eb)
        abort();
    if (ea == TF_OK) {
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
            abort();
        if (ia.answer_at > a.len || ia.mode != ib.mode)
            abort();
        if (ia.mode != ia.drawn && ia.mode != TF_SERVE_ARITH_CORRECT)
            abort();
        if ((ia.step >= 0) !=
            (ia.mode == TF_SERVE_ARITH_CARRIED || ia.mode == TF_SERVE_ARITH_FIXED))
            abort();
        if (a.len && tf_utf8_invalid_at(a.data, a.len) != a.len)
            abort();
    } else if (ea != TF_ERR_TOO_BIG && ea != TF_ERR_NOMEM) {
        abort(); /* the loader keeps only references the model answers */
    }
    tf_buf_free(&a);
    tf_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t cn = nul ? (size_t)(nul - s) : size;
    const char *prompt = nul ? nul + 1 : s;
    size_t pn = nul ? size - cn - 1 : size;
    tf_serve_arith *t = NULL;
    if (tf_serve_arith_create(NULL, NULL, &t) != TF_OK)
        return 0;
    for (size_t b = 0; b < cn;) {
        const char *nl = memchr(s + b, '\n', cn - b);
        size_t e = nl ? (size_t)(nl - s) : cn;
        tf_diag d = {{0}};
        tf_err err = tf_serve_arith_add_line(t, s + b, e - b, &d);
        if (err != TF_OK && err != TF_ERR_PARSE && err != TF_ERR_TOO_BIG)
            abort();
        if (err != TF_OK && !d.msg[0])
            abort();
        b = e + 1;
    }
    long m = tf_serve_arith_match(t, prompt, pn);
    if (m >= (long)tf_serve_arith_count(t))
        abort();
    if (m >= 0) {
        size_t qn;
        const char *q = tf_serve_arith_question(t, (size_t)m, &qn);
        if (qn > pn)
            abort();
        bool in = false;
        for (size_t i = 0; i + qn <= pn && !in; i++)
            in = memcmp(prompt + i, q, qn) == 0;
        if (!in)
            abort();
    }
    uint64_t seed = tf_fnv64(TF_FNV_SEED, data, size);
    for (size_t i = 0; i < tf_serve_arith_count(t) && i < MAX_ANSWERED; i++) {
        size_t rn, qn;
        const char *ref = tf_serve_arith_reference(t, i, &rn);
        const char *q = tf_serve_arith_question(t, i, &qn);
        if (tf_serve_arith_match(t, q, qn) < 0)
            abort(); /* a kept question is found (the first of a hash, or by its window) */
        answer_checked(ref, rn, seed + i, (int)((seed >> 8) % (TF_SERVE_ARITH_STYLE_COUNT + 1)));
    }
    tf_serve_arith_free(t);
    return 0;
}
