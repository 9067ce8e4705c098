/* fuzz_arith_expr.c: the expression evaluator (arith.h) on any bytes.
 * Byte 0 picks the caps (the defaults, or small ones so that every cap is
 * reached often); the rest is the expression. The result must be
 * consistent: a value with no reason, or an error with its reason and a
 * UTF-8 message; the value formats within its cap. */
#include "tracefarm/arith.h"
#include "tracefarm/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tf_arith_opts o = {0};
    if (data[0] & 1) {
        o.max_digits = 1 + (data[0] >> 1) % 8;
        o.max_bits = 8 + (data[0] >> 4) * 4;
        o.max_depth = 1 + (data[0] >> 2) % 6;
        o.max_exponent = 1 + (data[0] >> 3) % 5;
    }
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    mpq_t v;
    mpq_init(v);
    tf_arith_reason r = TF_ARITH_R_COUNT;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err err = tf_arith_eval(s, n, &o, v, &r, &d);
    if (err == TF_OK) {
        if (r != TF_ARITH_R_NONE)
            abort();
        tf_buf b;
        tf_buf_init(&b, 1 << 16);
        if (tf_arith_format(v, &b) != TF_OK || !b.data)
            abort();
        tf_buf_free(&b);
        if ((long)mpz_sizeinbase(mpq_numref(v), 2) > (o.max_bits ? o.max_bits : 4096))
            abort();
    } else if (err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG) {
        if (r == TF_ARITH_R_NONE || r >= TF_ARITH_R_COUNT || !d.msg[0] ||
            tf_utf8_invalid_at(d.msg, strlen(d.msg)) != strlen(d.msg))
            abort();
    } else if (err != TF_ERR_NOMEM) {
        abort();
    }
    mpq_clear(v);
    return 0;
}
