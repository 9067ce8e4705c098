/* corpus.h: shard reading for JSONL and JSONL.zst, and what the shard
 * planner (plan.h) needs to know of a corpus file.
 *
 * The planner splits a corpus file into shards without reading it whole:
 * - plain JSONL by byte ranges;
 * - zstd files at frame boundaries (found here by walking frame and block
 *   headers, no decompression: tf_zwalk_*). A single-frame file is one shard.
 * A record (line) belongs to the shard in which its first byte lies, so
 * the shards of a file partition its lines exactly, whatever the split.
 * A reader therefore skips a partial first line (unless the byte before
 * the shard is a newline) and reads past its end to finish its last line.
 *
 * Blank lines (only whitespace) are not records but are counted as lines,
 * so line numbers match the file. Files are read with pread; nothing is
 * read whole into memory.
 */
#ifndef TRACEFARM_CORPUS_H
#define TRACEFARM_CORPUS_H

#include "tracefarm/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One shard: a range of one file, planned by tf_plan_create (plan.h) and
 * read with tf_reader_open. Plain files: [begin, end) are byte
 * offsets. Zstd files: [begin, end) are compressed offsets at frame
 * boundaries (end may be the file size of a truncated last frame). */
typedef struct tf_shard {
    uint32_t file;  /* index into the corpus file list */
    uint8_t zstd;   /* 1 if the file is zstd-compressed */
    uint64_t begin; /* see above */
    uint64_t end;
} tf_shard;

/* True if the path names a zstd file (ends in ".zst"). */
bool tf_corpus_is_zstd(const char *path);

/* Mean bytes per line over at most the first sample_bytes of uncompressed
 * data of a file (the coordinator uses it to turn "items per shard" into
 * the planner's target bytes). Returns 0 in
 * *out for an empty file. Damaged zstd data ends the sample (the estimate
 * comes from the bytes before it; 0 if none): only TF_ERR_IO (naming the
 * path) or TF_ERR_NOMEM fail. */
tf_err tf_corpus_sample_line_bytes(const char *path, size_t sample_bytes, double *out,
                                   tf_diag *d) TF_MUST_USE;

/* Whether path holds JSONL at all, judged from its first bytes and lines
 * (for a .zst file: the decompressed start of its first frames), so that a
 * file of another kind is refused once before any work instead of becoming
 * one bad_json item per line. TF_ERR_PARSE with what it looks like in
 * what (e.g. "gzip-compressed data (decompress it, ...)"): data of a known
 * compressed, archive or binary format by its magic number (zstd in a file
 * not named .zst too), binary data (a tenth of its first 4 KiB control
 * bytes or invalid UTF-8), UTF-16 text, a JSON array or object spanning
 * several lines (pretty-printed JSON), one JSON array of records on a
 * single line, or at least 4 complete lines of which none of the first 16
 * is a JSON value (CSV, plain text). TF_OK otherwise, also for an empty
 * file and for damaged or non-zstd data in a .zst file (the reader reports
 * those as items, naming the offset). TF_ERR_IO naming the path as
 * tf_corpus_file_size does; TF_ERR_NOMEM. Reads at most 64 KiB of the file
 * (plus the compressed input of 64 KiB of output). */
tf_err tf_corpus_sniff(const char *path, tf_diag *what) TF_MUST_USE;

/* ---- What the planner (plan.h) needs to know of a file, without reading
 * it: its size, and for zstd the frame boundaries. The zstd format is parsed
 * only here, so the planner's ranges and the reader's idea of a frame
 * boundary cannot drift apart. */

/* Size in bytes of path, opened the way tf_reader_open opens it: only a
 * regular file is accepted, else TF_ERR_IO naming the path and the reason
 * (e.g. "c.jsonl: No such file or directory", "f: not a regular file").
 * Nothing is read. */
tf_err tf_corpus_file_size(const char *path, uint64_t *size, tf_diag *d) TF_MUST_USE;

typedef enum tf_zframe_kind {
    TF_ZFRAME_DATA,    /* a zstd frame */
    TF_ZFRAME_SKIP,    /* a skippable frame (magic 0x184D2A50..0x184D2A5F) */
    TF_ZFRAME_DAMAGED, /* not a whole frame: a bad magic number, a reserved bit
                        * or block type, a block over 128 KiB, or cut by the
                        * end of the file; [begin, end) is the rest of the file */
} tf_zframe_kind;

/* One frame as found by walking headers (no decompression). */
typedef struct tf_zframe {
    tf_zframe_kind kind;
    uint64_t begin, end; /* compressed offsets, [begin, end) */
    /* Uncompressed bytes the frame stands for: its declared content size
     * (0 for an empty frame), or 4 x (end - begin) when it declares none.
     * 0 for skippable and damaged frames. */
    uint64_t usize;
} tf_zframe;

typedef struct tf_zwalk tf_zwalk; /* opaque: a walk over one file's frames */

/* Start walking the frames of path from offset 0. The walk reads one 4 KiB
 * window per block header it needs (docs/corpus.md, "How files are split").
 * TF_ERR_IO naming the path as tf_corpus_file_size does, or TF_ERR_NOMEM.
 * path is copied. Caller frees with tf_zwalk_free. */
tf_err tf_zwalk_open(const char *path, tf_zwalk **out, tf_diag *d) TF_MUST_USE;

/* The next frame in *f. The frames tile the file: the first begins at 0,
 * each begins where the previous one ended, and the last one ends at the
 * file size. A TF_ZFRAME_DAMAGED frame is the last (a file that is not
 * zstd at all is one damaged frame). Results: TF_OK; TF_ERR_EOF after the
 * last frame (at once for an empty file); TF_ERR_IO when a read fails, d
 * naming the path and the frame's offset ("<path>: read failed at byte N:
 * <strerror>"). After TF_ERR_IO every call returns TF_ERR_EOF. */
tf_err tf_zwalk_next(tf_zwalk *w, tf_zframe *f, tf_diag *d) TF_MUST_USE;

void tf_zwalk_free(tf_zwalk *w); /* closes the file; accepts NULL */

typedef struct tf_reader tf_reader; /* opaque: one open shard */

/* Open a shard of path for reading. max_line caps one line's length.
 * Caller frees with tf_reader_free. */
tf_err tf_reader_open(const char *path, const tf_shard *s, size_t max_line, tf_reader **out,
                      tf_diag *d) TF_MUST_USE;

/* The next record of the shard. On TF_OK, *line and *len give the record
 * (valid until the next call, NUL-terminated, without the newline) and
 * *lineno its 1-based line number counted from the shard's first line.
 * Other results:
 * - TF_ERR_EOF: no more records in the shard.
 * - TF_ERR_TOO_BIG: the line at *lineno exceeds max_line; it was skipped;
 *   the next call goes on with the following line.
 * - TF_ERR_ZSTD: a frame of this shard is damaged (corrupt content, or cut
 *   by the end of the file); d names the file and the compressed offsets.
 *   Reported once per damaged frame; the next call goes on at the next frame
 *   (docs/corpus.md, "Damaged frames"), or returns TF_ERR_EOF when there is
 *   none in this shard. The unreadable rest of the frame counts as one byte
 *   that is not a newline: *lineno is the line it falls in (the line being
 *   read, or a new one between lines; 0 while skipping the line carried over
 *   from the previous shard), and the partial line after it is skipped.
 *   Every split of a file gives the same records, errors and line numbers.
 * - TF_ERR_IO: a read failed; d names the file and offset; *lineno is the
 *   line being read. Further calls return TF_ERR_EOF.
 */
tf_err tf_reader_next(tf_reader *r, const char **line, size_t *len, uint64_t *lineno,
                      tf_diag *d) TF_MUST_USE;

/* Make the reader end (TF_ERR_EOF) after results results of
 * tf_reader_next: records, over-long lines and read errors each count one,
 * as each becomes one item. tf_reader_lines then stops at the line of the
 * last result, so the shard reads as if its file ended there ("tracefarm
 * run --limit": plan.h). 0: no limit (the default). */
void tf_reader_limit(tf_reader *r, uint64_t results);

/* Lines owned by the shard so far (all of them after TF_ERR_EOF),
 * blank lines included. */
uint64_t tf_reader_lines(const tf_reader *r);

void tf_reader_free(tf_reader *r); /* accepts NULL */

#endif
