/* fuzz_response.c: the endpoint response parser on any body. Byte 0 picks
 * completions or chat. A parse either fails with a reason or gives text. */
#include "tracefarm/fetch.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tf_fetch_api api = (data[0] & 1) ? TF_FETCH_CHAT : TF_FETCH_COMPLETIONS;
    tf_fetch_reply r;
    tf_diag d;
    d.msg[0] = '\0';
    tf_err e = tf_fetch_parse_response(api, (const char *)data + 1, size - 1, &r, &d);
    if (e == TF_OK && !r.text)
        abort();
    if (e == TF_ERR_PARSE && d.msg[0] == '\0')
        abort();
    tf_fetch_reply_clear(&r);
    return 0;
}
