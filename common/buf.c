/* buf.c: bounded growable buffer. */
#include "tracefarm/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tf_buf_init(tf_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->limit = limit;
}

void tf_buf_free(tf_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void tf_buf_reset(tf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL. */
static tf_err reserve(tf_buf *b, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return TF_ERR_TOO_BIG;
    size_t need = b->len + n + 1;
    if (need <= b->alloc)
        return TF_OK;
    size_t a = b->alloc ? b->alloc : 64;
    while (a < need)
        a = a > ((size_t)-1) / 2 ? need : a * 2;
    char *p = realloc(b->data, a);
    if (!p)
        return TF_ERR_NOMEM;
    b->data = p;
    b->alloc = a;
    return TF_OK;
}

tf_err tf_buf_append(tf_buf *b, const void *p, size_t n)
{
    tf_err e = reserve(b, n);
    if (e != TF_OK)
        return e;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TF_OK;
}

tf_err tf_buf_puts(tf_buf *b, const char *s)
{
    return tf_buf_append(b, s, strlen(s));
}

tf_err tf_buf_printf(tf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TF_ERR_INTERNAL;
    tf_err e = reserve(b, (size_t)n);
    if (e != TF_OK)
        return e;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return TF_OK;
}

char *tf_buf_steal(tf_buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}
