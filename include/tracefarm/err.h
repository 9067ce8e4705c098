/* err.h: the one error enum of tracefarm, and a diagnostic message buffer.
 *
 * Every fallible function returns a tf_err. Functions that can say more than
 * the code (which file, which line, which key) also take a tf_diag * OUT
 * parameter and write a one-line human message there; a NULL tf_diag is
 * allowed everywhere and means "the caller does not want the detail".
 */
#ifndef TRACEFARM_ERR_H
#define TRACEFARM_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define TF_MUST_USE __attribute__((warn_unused_result))
#define TF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TF_MUST_USE
#define TF_PRINTF(a, b)
#endif

typedef enum tf_err {
    TF_OK = 0,
    TF_ERR_NOMEM,    /* an allocation failed */
    TF_ERR_IO,       /* a file could not be opened, read or written */
    TF_ERR_PARSE,    /* malformed input: JSON, a trace, a prompt */
    TF_ERR_TOO_BIG,  /* input exceeds a documented cap */
    TF_ERR_ZSTD,     /* a zstd frame is corrupt or truncated */
    TF_ERR_SPEC,     /* the job spec is invalid */
    TF_ERR_USAGE,    /* bad command-line usage */
    TF_ERR_MPI,      /* an MPI call failed */
    TF_ERR_EOF,      /* no more data (not a failure) */
    TF_ERR_INTERNAL, /* a broken invariant: a bug in tracefarm */
    TF_ERR_STOPPED,  /* stopped on purpose (a circuit breaker tripped): not a bug, resumable */
} tf_err;

/* Static English text for an error code; never NULL. */
const char *tf_strerror(tf_err e);

#define TF_DIAG_LEN 1024

/* A diagnostic: one line of text that names what went wrong and where. */
typedef struct tf_diag {
    char msg[TF_DIAG_LEN]; /* NUL-terminated; empty when nothing was said */
} tf_diag;

/* Format into d->msg (truncating at TF_DIAG_LEN); d may be NULL. */
void tf_diag_set(tf_diag *d, const char *fmt, ...) TF_PRINTF(2, 3);

/* Prefix d->msg with formatted context ("file.jsonl: " + old message). */
void tf_diag_prefix(tf_diag *d, const char *fmt, ...) TF_PRINTF(2, 3);

#endif
