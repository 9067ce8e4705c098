/* plan.h: shard planning, done by rank 0 (the coordinator).
 *
 * The corpus files are split into shards without reading them whole and
 * without decompressing (docs/corpus.md, "How files are split"):
 * - plain JSONL into byte ranges of target_bytes (nothing is read);
 * - zstd files at frame boundaries: consecutive frames, as walked by
 *   tf_zwalk_next (corpus.h), are grouped until their uncompressed size
 *   reaches target_bytes. A single-frame file is one shard.
 * Workers read the shards with tf_reader_open (corpus.h), which relies on
 * these ranges ending at frame boundaries.
 *
 * The journal stores tf_plan_hash of the plan, and a resumed job must plan
 * the same shards: the grouping arithmetic is part of the journal format.
 */
#ifndef TRACEFARM_PLAN_H
#define TRACEFARM_PLAN_H

#include "tracefarm/corpus.h"
#include "tracefarm/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct tf_plan tf_plan; /* opaque: the ordered shard list */

/* Plan shards over files (in the given order; shards of file i come before
 * those of file i+1) so that each holds about target_bytes of uncompressed
 * data (zstd: frames are grouped; a frame's declared content size is used,
 * or its compressed size times 4 when it declares none). target_bytes 0
 * means no limit: one shard per file (a zstd frame that declares an absurd
 * size, near 2^64, still closes one). An empty file gives no shard. TF_ERR_IO naming
 * the path if a file cannot be opened, sized or walked; TF_ERR_TOO_BIG for
 * more than 2^32 - 1 files; TF_ERR_NOMEM. On failure *out is NULL. files
 * is only read during the call. Caller frees with tf_plan_free. */
tf_err tf_plan_create(const char *const *files, size_t nfiles, uint64_t target_bytes, tf_plan **out,
                      tf_diag *d) TF_MUST_USE;

/* "tracefarm run --limit N": the plan of the corpus cut to its first limit
 * records, as if the corpus ended after the limit-th. Files are planned as
 * tf_plan_create plans them, one at a time, and the records of each shard
 * counted with the reader (max_line as the job's; a record, an over-long
 * line and a read error each count one, as each becomes one item) until
 * the limit is reached: the plan ends with that shard, and tf_plan_cut says
 * how many records it reads (the worker stops its reader there:
 * tf_reader_limit). Files after it are neither planned nor read. A corpus
 * of fewer than limit records is planned whole, without a cut (one of exactly limit
 * records ends at the shard of its last record, which gives the same items). Reads the
 * corpus up to the cut once. limit 0: tf_plan_create. Errors as
 * tf_plan_create, and the reader's TF_ERR_IO / TF_ERR_NOMEM. */
tf_err tf_plan_create_limited(const char *const *files, size_t nfiles, uint64_t target_bytes,
                              uint64_t limit, size_t max_line, tf_plan **out,
                              tf_diag *d) TF_MUST_USE;

/* Whether the plan ends in a cut (tf_plan_create_limited): then 1, with the
 * last shard's index in *shard and the records it reads in *records. */
int tf_plan_cut(const tf_plan *p, uint64_t *shard, uint64_t *records);

/* Number of shards (0 for NULL). */
size_t tf_plan_count(const tf_plan *p);

/* The i-th shard, owned by the plan (valid until tf_plan_free), or NULL
 * past the end. */
const tf_shard *tf_plan_get(const tf_plan *p, size_t i);

/* The uncompressed size of the i-th shard as planned (plain: its byte
 * range; zstd: its frames' declared sizes, or 4 x compressed where none
 * is declared): an estimate for progress, not part of the hash. 0 past the
 * end. */
uint64_t tf_plan_bytes(const tf_plan *p, size_t i);

void tf_plan_free(tf_plan *p); /* accepts NULL */

/* Hash (FNV-1a, hash.h) of every shard's file, kind and range, in plan
 * order, then of the cut's records when the plan has a cut. Stored in the
 * journal: it must not change for the same plan. */
uint64_t tf_plan_hash(const tf_plan *plan);

#endif
