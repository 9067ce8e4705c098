/* journal.h: the coordinator's journal of finished shards, and what makes
 * an output directory belong to a job (docs/resume.md).
 *
 * OUTPUT/.tracefarm-journal is a text file, one record per line, each line
 * ending in " #" and the 16-hex-digit FNV-1a hash of the text before it:
 *   tracefarm-journal/1 {header JSON}    written atomically at a fresh start
 *   done SHARD ATTEMPT RANK LINES RECORDS ERRORS   appended + fsync'ed
 *   end STATUS                           the outputs are written
 * The header holds the job's identity (its resolved spec less the keys that
 * do not change outputs), the shard size in bytes, the plan's hash
 * (tf_plan_hash, plan.h) and the size and modification time of every
 * corpus file. A last line cut short by a crash (no newline or a bad hash)
 * is ignored and cut off on reopening.
 *
 * Only rank 0 reads or writes the journal.
 */
#ifndef TRACEFARM_JOURNAL_H
#define TRACEFARM_JOURNAL_H

#include "tracefarm/err.h"
#include "tracefarm/job.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* One finished shard. */
typedef struct tf_journal_rec {
    uint64_t shard;   /* plan index */
    uint32_t attempt; /* whose part is merged (parts of attempt k > 0 are in attempt-k/) */
    uint32_t rank;    /* the rank that did it (informational) */
    uint64_t lines, records, errors;
} tf_journal_rec;

/* A journal as read back. */
typedef struct tf_journal_state {
    cJSON *header;        /* the header object (owned) */
    tf_journal_rec *recs; /* done records, in file order */
    size_t nrecs;
    int ended;            /* an "end" record was seen */
    int end_status;       /* its status */
    long long good_bytes; /* length of the intact prefix */
    int torn;             /* a cut-off last line was dropped */
} tf_journal_state;

typedef struct tf_journal tf_journal; /* opaque: open for appending */

/* Read path. TF_ERR_EOF when the file does not exist; TF_ERR_PARSE naming
 * the line when an inner line is damaged. Free with tf_journal_state_free. */
tf_err tf_journal_load(const char *path, tf_journal_state **out, tf_diag *d) TF_MUST_USE;
void tf_journal_state_free(tf_journal_state *s); /* accepts NULL */

/* Start a new journal at path holding header (atomically replacing any old
 * one), open for appending. */
tf_err tf_journal_create(const char *path, const cJSON *header, tf_journal **out,
                         tf_diag *d) TF_MUST_USE;

/* Reopen an existing journal for appending, cutting it to good_bytes. */
tf_err tf_journal_reopen(const char *path, long long good_bytes, tf_journal **out,
                         tf_diag *d) TF_MUST_USE;

/* Append a done record and fsync. */
tf_err tf_journal_done(tf_journal *j, const tf_journal_rec *r, tf_diag *d) TF_MUST_USE;

/* Append the end record and fsync. */
tf_err tf_journal_end(tf_journal *j, int status, tf_diag *d) TF_MUST_USE;

void tf_journal_close(tf_journal *j); /* accepts NULL */

/* The inputs array of a header: [{"path", "size", "mtime"}] of each corpus
 * file (strings, so 64-bit values stay exact). NULL and d set on failure. */
cJSON *tf_journal_inputs(const tf_job *job, tf_diag *d);

#endif
