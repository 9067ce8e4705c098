/* err.c: tf_strerror and tf_diag helpers. */
#include "tracefarm/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tf_strerror(tf_err e)
{
    switch (e) {
    case TF_OK:
        return "success";
    case TF_ERR_NOMEM:
        return "out of memory";
    case TF_ERR_IO:
        return "input/output error";
    case TF_ERR_PARSE:
        return "malformed input";
    case TF_ERR_TOO_BIG:
        return "input exceeds a size cap";
    case TF_ERR_ZSTD:
        return "corrupt or truncated zstd data";
    case TF_ERR_SPEC:
        return "invalid job spec";
    case TF_ERR_USAGE:
        return "invalid usage";
    case TF_ERR_MPI:
        return "MPI error";
    case TF_ERR_EOF:
        return "end of data";
    case TF_ERR_INTERNAL:
        return "internal error";
    case TF_ERR_STOPPED:
        return "stopped";
    }
    return "unknown error";
}

void tf_diag_set(tf_diag *d, const char *fmt, ...)
{
    if (!d)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
}

void tf_diag_prefix(tf_diag *d, const char *fmt, ...)
{
    if (!d)
        return;
    char head[TF_DIAG_LEN];
    char old[TF_DIAG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, d->msg, sizeof old);
    size_t h = strlen(head);
    memcpy(d->msg, head, h + 1);
    if (h + 1 < sizeof d->msg) {
        size_t room = sizeof d->msg - h - 1;
        size_t o = strnlen(old, room);
        memcpy(d->msg + h, old, o);
        d->msg[h + o] = '\0';
    }
}
