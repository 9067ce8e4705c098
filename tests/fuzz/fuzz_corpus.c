/* fuzz_corpus.c: the sniff, the frame walk, shard planning and reading of
 * hostile corpus files. Byte 0 picks plain or zstd and the shard size; the
 * rest is the file. The sniff must give a verdict (a refusal says what the
 * file looks like), the walk's frames must tile the file (a damaged frame
 * last), every shard must read to its end without crashing, and the shards
 * of a file must own as many lines as one shard over the whole file. */
#include "tracefarm/plan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Lines owned by every shard of a plan with target bytes. */
static uint64_t read_all(const char *path, uint64_t target)
{
    const char *files[1] = {path};
    tf_plan *p = NULL;
    if (tf_plan_create(files, 1, target, &p, NULL) != TF_OK)
        return UINT64_MAX;
    uint64_t lines = 0;
    for (size_t i = 0; i < tf_plan_count(p); i++) {
        tf_reader *r = NULL;
        if (tf_reader_open(path, tf_plan_get(p, i), 4096, &r, NULL) != TF_OK)
            continue;
        for (int k = 0; k < 100000; k++) {
            const char *line;
            size_t len;
            uint64_t no;
            tf_err e = tf_reader_next(r, &line, &len, &no, NULL);
            if (e == TF_ERR_EOF)
                break;
        }
        lines += tf_reader_lines(r);
        tf_reader_free(r);
    }
    tf_plan_free(p);
    return lines;
}

/* Walk the frames of path (whatever its name says) and abort unless they
 * tile its size bytes: each begins where the previous one ended, none is
 * empty, nothing follows a damaged frame, the last ends at the file size. */
static void walk_all(const char *path, uint64_t size)
{
    tf_zwalk *w = NULL;
    if (tf_zwalk_open(path, &w, NULL) != TF_OK)
        abort();
    uint64_t off = 0;
    bool damaged = false;
    tf_zframe f;
    tf_err e;
    while ((e = tf_zwalk_next(w, &f, NULL)) == TF_OK) {
        if (damaged || f.begin != off || f.end <= f.begin || f.end > size)
            abort();
        if (f.kind != TF_ZFRAME_DATA && f.usize != 0)
            abort();
        damaged = f.kind == TF_ZFRAME_DAMAGED;
        off = f.end;
    }
    if (e != TF_ERR_EOF || off != size)
        abort();
    tf_zwalk_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/tf-fuzz-%d.%s", (int)getpid(),
             (data[0] & 1) ? "jsonl.zst" : "jsonl");
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    tf_diag what;
    what.msg[0] = '\0';
    tf_err e = tf_corpus_sniff(path, &what);
    if (e != TF_OK && e != TF_ERR_PARSE)
        abort();
    if (e == TF_ERR_PARSE && strlen(what.msg) < 8)
        abort();
    walk_all(path, size - 1);
    uint64_t target = 1 + (data[0] >> 1);
    uint64_t split = read_all(path, target);
    uint64_t whole = read_all(path, UINT64_MAX / 4);
    /* plain files: any split owns the same lines as no split */
    if (!(data[0] & 1) && split != whole)
        abort();
    unlink(path);
    return 0;
}
