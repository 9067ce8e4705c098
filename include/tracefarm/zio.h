/* zio.h: durable output files: zstd-compressed streams and atomic writes.
 *
 * Every output is written to "<path>.tmp", fsync'ed, then renamed over
 * path (and the directory fsync'ed), so a reader never sees a partial file
 * and a crash leaves either the old file or the new one.
 */
#ifndef TRACEFARM_ZIO_H
#define TRACEFARM_ZIO_H

#include "tracefarm/err.h"

#include <stddef.h>

typedef struct tf_zwriter tf_zwriter; /* opaque: a zstd stream to a file */

/* Start writing a zstd-compressed file at level. Caller ends it with
 * tf_zwriter_close. */
tf_err tf_zwriter_open(const char *path, int level, tf_zwriter **out, tf_diag *d) TF_MUST_USE;

/* Compress and write n bytes. */
tf_err tf_zwriter_write(tf_zwriter *w, const void *p, size_t n, tf_diag *d) TF_MUST_USE;

/* commit != 0: end the frame, fsync, rename into place. commit == 0:
 * discard the temporary file. Frees w either way; accepts NULL. */
tf_err tf_zwriter_close(tf_zwriter *w, int commit, tf_diag *d);

/* Write data to path atomically (tmp, fsync, rename, fsync dir). */
tf_err tf_write_atomic(const char *path, const void *data, size_t len, tf_diag *d) TF_MUST_USE;

/* Compress data with zstd at level and write it to path atomically. */
tf_err tf_write_zstd_atomic(const char *path, const void *data, size_t len, int level,
                            tf_diag *d) TF_MUST_USE;

/* "dir/name". Caller frees; NULL on allocation failure. */
char *tf_path_join(const char *dir, const char *name);

/* Read a whole file of at most cap bytes into a NUL-terminated buffer.
 * Caller frees. NULL on failure, with d naming the path and the reason
 * (cannot open, read error, larger than cap). */
char *tf_read_file(const char *path, size_t cap, tf_diag *d);

/* mkdir -p; TF_ERR_IO naming the path on failure. */
tf_err tf_mkdirs(const char *path, tf_diag *d) TF_MUST_USE;

#endif
