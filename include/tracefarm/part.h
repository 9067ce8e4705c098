/* part.h: a shard's part, the one format between a worker and the merge.
 *
 * A worker finishes every item of its shard; only what it cannot know (the
 * item's index in the run, the absolute line) is added by the merge, by
 * concatenation: the merge never parses or inspects an item. Two files in
 * the parts directory:
 *
 *   shard-NNNNNNNN.items, one line per item, in corpus order:
 *       LINE TAB "v" TAB MEMBERS NL             a verified item
 *       LINE TAB "e" TAB REASON TAB MEMBERS NL  an error item
 *     LINE is the record's line counted from the shard's first line;
 *     MEMBERS the item's members as compact JSON without the braces (may
 *     be empty for a verified item); REASON the error's text, JSON-escaped
 *     without the quotes. The merge writes
 *       {"index":I,"file":"F","line":L,MEMBERS}
 *       {"index":I,"file":"F","line":L,"error":"F:L: REASON",MEMBERS}
 *     Compact JSON from cJSON holds no raw TAB or NL, so the fields split
 *     cleanly.
 *   shard-NNNNNNNN.meta, JSON {"shard", "lines", "records", "errors",
 *     "stats" (the statistics state), "fetch" (the source's accounting, when
 *     it has one)}, written last and atomically: its presence means the part
 *     is complete.
 */
#ifndef TRACEFARM_PART_H
#define TRACEFARM_PART_H

#include "tracefarm/err.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Path of part file kind ("items" or "meta") of shard id. Caller frees. */
char *tf_part_path(const char *partdir, uint64_t id, const char *kind);

/* ----- writing (the worker) --------------------------------------------------- */

typedef struct tf_part_writer tf_part_writer; /* opaque: a part being written */

/* Start the part of shard id in partdir (items go to a temporary file). */
tf_err tf_part_create(const char *partdir, uint64_t id, tf_part_writer **out,
                      tf_diag *d) TF_MUST_USE;

/* A verified item (an object) of the record at line. */
tf_err tf_part_item(tf_part_writer *w, uint64_t line, const cJSON *item, tf_diag *d) TF_MUST_USE;

/* An error item: reason (any bytes; made valid UTF-8) and the item's other
 * members (an object, e.g. error_kind, id, sample). */
tf_err tf_part_error(tf_part_writer *w, uint64_t line, const char *reason, const cJSON *members,
                     tf_diag *d) TF_MUST_USE;

/* Items and error items written so far. */
uint64_t tf_part_records(const tf_part_writer *w);
uint64_t tf_part_errors(const tf_part_writer *w);

/* Finish: with commit, make the items durable under their name and write
 * the meta {"shard", "lines", "records", "errors", "stats": the state of
 * stats, "fetch": fetch (when not NULL; borrowed)}; without, remove what
 * was written. Frees w either way; accepts NULL. */
tf_err tf_part_close(tf_part_writer *w, int commit, uint64_t lines, const tf_stats *stats,
                     const cJSON *fetch, tf_diag *d);

/* ----- reading (the merge) ------------------------------------------------------ */

/* What a part's meta says. */
typedef struct tf_part_meta {
    uint64_t lines;   /* lines the shard owns */
    uint64_t records; /* item lines */
    tf_stats *stats;  /* its statistics (owned: tf_stats_free) */
    cJSON *fetch;     /* its accounting, or NULL (owned: cJSON_Delete) */
} tf_part_meta;

/* Read the meta of shard id in partdir. TF_ERR_IO / TF_ERR_PARSE naming the
 * file. On success free with tf_part_meta_clear. */
tf_err tf_part_read_meta(const char *partdir, uint64_t id, tf_part_meta *m, tf_diag *d) TF_MUST_USE;
void tf_part_meta_clear(tf_part_meta *m);

/* One item line, split. */
typedef struct tf_part_line {
    uint64_t line;      /* LINE */
    int error;          /* kind "e" */
    const char *reason; /* REASON (error items), not NUL-terminated */
    size_t reason_len;
    const char *members; /* MEMBERS, not NUL-terminated */
    size_t members_len;
} tf_part_line;

typedef struct tf_part_reader tf_part_reader; /* opaque: an items file being read */

tf_err tf_part_open(const char *partdir, uint64_t id, tf_part_reader **out, tf_diag *d) TF_MUST_USE;

/* The next line (valid until the next call). TF_ERR_EOF at the end;
 * TF_ERR_PARSE naming the file for a line that is not in the format. */
tf_err tf_part_next(tf_part_reader *r, tf_part_line *out, tf_diag *d) TF_MUST_USE;

void tf_part_reader_free(tf_part_reader *r); /* accepts NULL */

#endif
