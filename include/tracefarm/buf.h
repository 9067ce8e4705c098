/* buf.h: a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * Every buffer that grows from untrusted input is a tf_buf with a limit.
 * The contents are always NUL-terminated (the NUL is not counted in len),
 * so text can be handed to C string functions directly.
 */
#ifndef TRACEFARM_BUF_H
#define TRACEFARM_BUF_H

#include "tracefarm/err.h"

#include <stddef.h>

typedef struct tf_buf {
    char *data;   /* owned; NULL until the first append */
    size_t len;   /* bytes in use, excluding the trailing NUL */
    size_t alloc; /* bytes allocated */
    size_t limit; /* len may never exceed this */
} tf_buf;

/* Start an empty buffer that may hold at most limit bytes. */
void tf_buf_init(tf_buf *b, size_t limit);

/* Release the memory; b can be re-initialised afterwards. Accepts NULL. */
void tf_buf_free(tf_buf *b);

/* Empty the buffer, keeping its allocation. */
void tf_buf_reset(tf_buf *b);

/* Append n bytes. Returns TF_ERR_TOO_BIG (buffer unchanged) past the limit,
 * TF_ERR_NOMEM when allocation fails (buffer unchanged). */
tf_err tf_buf_append(tf_buf *b, const void *p, size_t n) TF_MUST_USE;

/* Append a NUL-terminated string. Same errors as tf_buf_append. */
tf_err tf_buf_puts(tf_buf *b, const char *s) TF_MUST_USE;

/* Append printf-formatted text. Same errors as tf_buf_append. */
tf_err tf_buf_printf(tf_buf *b, const char *fmt, ...) TF_PRINTF(2, 3) TF_MUST_USE;

/* Take ownership of the data (NUL-terminated, possibly NULL when empty);
 * the buffer is left empty. Caller frees with free(). */
char *tf_buf_steal(tf_buf *b);

#endif
