/* zio.c: zstd output streams and atomic file replacement (see zio.h). */
#include "tracefarm/zio.h"

#include "tracefarm/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct tf_zwriter {
    char *path;      /* final path */
    char *tmp;       /* path + ".tmp" */
    FILE *f;         /* the temporary file */
    ZSTD_CCtx *cctx; /* compression context */
    void *out;       /* output staging buffer */
    size_t outcap;   /* its size */
};

/* fsync the directory holding path so a rename in it is durable. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

static char *tmp_name(const char *path)
{
    size_t n = strlen(path) + 5;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%s.tmp", path);
    return t;
}

/* Flush, fsync and close f, then rename tmp to path. */
static tf_err finish_file(FILE *f, const char *tmp, const char *path, tf_diag *d)
{
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved = errno;
    bad |= fclose(f) != 0;
    if (bad) {
        tf_diag_set(d, "%s: cannot write: %s", path, strerror(saved ? saved : errno));
        unlink(tmp);
        return TF_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        tf_diag_set(d, "%s: cannot rename into place: %s", path, strerror(errno));
        unlink(tmp);
        return TF_ERR_IO;
    }
    sync_dir(path);
    return TF_OK;
}

tf_err tf_zwriter_open(const char *path, int level, tf_zwriter **out, tf_diag *d)
{
    *out = NULL;
    tf_zwriter *w = calloc(1, sizeof *w);
    if (!w)
        return TF_ERR_NOMEM;
    w->path = strdup(path);
    w->tmp = tmp_name(path);
    w->cctx = ZSTD_createCCtx();
    w->outcap = ZSTD_CStreamOutSize();
    w->out = malloc(w->outcap);
    if (!w->path || !w->tmp || !w->cctx || !w->out) {
        tf_zwriter_close(w, 0, NULL);
        return TF_ERR_NOMEM;
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        tf_diag_set(d, "%s: cannot create: %s", w->tmp, strerror(errno));
        tf_zwriter_close(w, 0, NULL);
        return TF_ERR_IO;
    }
    *out = w;
    return TF_OK;
}

/* Run the compressor over input with directive mode, writing all output. */
static tf_err pump(tf_zwriter *w, ZSTD_inBuffer *in, ZSTD_EndDirective mode, tf_diag *d)
{
    for (;;) {
        ZSTD_outBuffer ob = {w->out, w->outcap, 0};
        size_t rem = ZSTD_compressStream2(w->cctx, &ob, in, mode);
        if (ZSTD_isError(rem)) {
            tf_diag_set(d, "%s: zstd: %s", w->path, ZSTD_getErrorName(rem));
            return TF_ERR_ZSTD;
        }
        if (ob.pos && fwrite(w->out, 1, ob.pos, w->f) != ob.pos) {
            tf_diag_set(d, "%s: cannot write: %s", w->tmp, strerror(errno));
            return TF_ERR_IO;
        }
        int done = mode == ZSTD_e_end ? rem == 0 : in->pos == in->size;
        if (done)
            return TF_OK;
    }
}

tf_err tf_zwriter_write(tf_zwriter *w, const void *p, size_t n, tf_diag *d)
{
    ZSTD_inBuffer in = {p, n, 0};
    return pump(w, &in, ZSTD_e_continue, d);
}

tf_err tf_zwriter_close(tf_zwriter *w, int commit, tf_diag *d)
{
    if (!w)
        return TF_OK;
    tf_err err = TF_OK;
    if (commit && w->f) {
        ZSTD_inBuffer in = {NULL, 0, 0};
        err = pump(w, &in, ZSTD_e_end, d);
        if (err == TF_OK) {
            err = finish_file(w->f, w->tmp, w->path, d);
            w->f = NULL;
        }
    }
    if (w->f) {
        fclose(w->f);
        unlink(w->tmp);
    }
    ZSTD_freeCCtx(w->cctx);
    free(w->out);
    free(w->path);
    free(w->tmp);
    free(w);
    return err;
}

tf_err tf_write_atomic(const char *path, const void *data, size_t len, tf_diag *d)
{
    char *tmp = tmp_name(path);
    if (!tmp)
        return TF_ERR_NOMEM;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        tf_diag_set(d, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return TF_ERR_IO;
    }
    tf_err err;
    if (len && fwrite(data, 1, len, f) != len) {
        tf_diag_set(d, "%s: cannot write: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        err = TF_ERR_IO;
    } else {
        err = finish_file(f, tmp, path, d);
    }
    free(tmp);
    return err;
}

tf_err tf_write_zstd_atomic(const char *path, const void *data, size_t len, int level, tf_diag *d)
{
    tf_zwriter *w;
    tf_err err = tf_zwriter_open(path, level, &w, d);
    if (err != TF_OK)
        return err;
    err = tf_zwriter_write(w, data, len, d);
    tf_err e2 = tf_zwriter_close(w, err == TF_OK, d);
    return err != TF_OK ? err : e2;
}

tf_err tf_mkdirs(const char *path, tf_diag *d)
{
    char *p = strdup(path);
    if (!p)
        return TF_ERR_NOMEM;
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                tf_diag_set(d, "%s: cannot create directory: %s", p, strerror(errno));
                free(p);
                return TF_ERR_IO;
            }
            p[i] = c;
        }
    }
    struct stat st;
    int ok = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    free(p);
    if (!ok) {
        tf_diag_set(d, "%s: not a directory", path);
        return TF_ERR_IO;
    }
    return TF_OK;
}

char *tf_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *tf_read_file(const char *path, size_t cap, tf_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tf_diag_set(d, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    tf_buf b;
    tf_buf_init(&b, cap);
    char chunk[65536];
    size_t n;
    tf_err err = TF_OK;
    while (err == TF_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = tf_buf_append(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (err == TF_OK && !bad && !b.data)
        err = tf_buf_append(&b, "", 0); /* an empty file is an empty string */
    if (err != TF_OK || bad) {
        tf_diag_set(d, "%s: cannot read (%s)", path, bad ? strerror(errno) : tf_strerror(err));
        tf_buf_free(&b);
        return NULL;
    }
    return tf_buf_steal(&b);
}
