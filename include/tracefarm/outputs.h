/* outputs.h: the outputs of a run, written by rank 0 (docs/outputs.md).
 *
 *   items.jsonl.zst   every shard's items in plan (= corpus) order, each
 *                     given its index, file and absolute line (part.h)
 *   summary.json.zst  the merged statistics
 *   run.json          what varies between runs: times, ranks, hosts,
 *                     versions, the source's accounting
 *
 * The first two are a pure function of the job, the corpus and the model
 * outputs: byte-identical for any rank count, shard size or resume.
 */
#ifndef TRACEFARM_OUTPUTS_H
#define TRACEFARM_OUTPUTS_H

#include "tracefarm/err.h"
#include "tracefarm/fetch.h"
#include "tracefarm/job.h"
#include "tracefarm/plan.h"
#include "tracefarm/stats.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* Merge the parts of every shard of plan (in plan order) into
 * items.jsonl.zst, and return the merged statistics in *total (caller
 * frees with tf_stats_free). The part of shard k is read from
 * tf_part_dir(partdir, attempts[k]) (attempts NULL: attempt 0 for every
 * shard). */
tf_err tf_merge_items(const tf_job *job, const tf_plan *plan, const char *partdir,
                      const uint32_t *attempts, tf_stats **total, tf_diag *d) TF_MUST_USE;

/* Write summary.json.zst for the merged statistics. */
tf_err tf_write_summary(const tf_job *job, const tf_stats *total, tf_diag *d) TF_MUST_USE;

/* The current UTC time as ISO 8601 ("2026-11-30T02:04:32Z") into buf. */
void tf_iso_now(char *buf, size_t n);

/* What rank 0 knows of a run, for run.json. */
typedef struct tf_run_info {
    const char *started;                           /* ISO 8601 UTC start time */
    double t_start, t_planned, t_worked, t_merged; /* MPI_Wtime stamps */
    int nranks;                                    /* ranks of the run */
    const uint64_t *shards_by_rank;                /* nranks: shards each rank did */
    const char *hosts;                             /* nranks names of host_len bytes each */
    size_t host_len;
    size_t resumed;          /* shards done by earlier runs (journal) */
    const uint8_t *this_run; /* per shard of the plan: 1 when this invocation did (journaled)
                                it, 0 when it was resumed from an earlier run's journal;
                                NULL: every shard. Borrowed */
    size_t extra_attempts;   /* straggler attempts handed out */
    size_t dropped;          /* straggler results that came second */
    const tf_fetch_stats *preflight;     /* the preflight's requests in this run, or NULL */
    const tf_fetch_stats *preflight_all; /* ... over every run of the job, or NULL */
} tf_run_info;

/* run.json as an object: everything that varies between runs of the same
 * job (times, ranks, hosts, versions, the resolved spec, status) and what
 * this invocation did (docs/outputs.md): "this_run" and, for sources
 * "endpoint" and "cache", "fetch" (requests, retries, statuses, latency
 * percentiles, cache hits, tokens, throughput) count only the shards
 * ri->this_run marks, and this run's preflight; "fetch_all_runs" sums
 * every merged part, whichever invocation did it, and every preflight. The parts of shard k are
 * read from tf_part_dir(partdir, attempts[k]). Caller frees with cJSON_Delete; NULL with d set on
 * failure. */
cJSON *tf_run_json(const tf_job *job, const tf_plan *plan, const tf_stats *total,
                   const tf_run_info *ri, const char *partdir, const uint32_t *attempts, int status,
                   tf_diag *d);

/* Write run (from tf_run_json) to OUTPUT/run.json, atomically. */
tf_err tf_write_run_json(const tf_job *job, const cJSON *run, tf_diag *d) TF_MUST_USE;

/* How far a finished run falls short, read off its overall summary
 * (tf_stats_summary_json): error items among items and truncated
 * responses (finish_reason "length") among the samples that got a
 * response, each against the job's warn_share (docs/outputs.md). */
typedef struct tf_shortfall {
    uint64_t items, item_errors; /* every item; those that could not be verified */
    uint64_t responses;          /* endpoint samples that got a response (0 otherwise) */
    uint64_t truncated;          /* ... of which cut by max_tokens */
    int errors_over;             /* item_errors / items > warn_share */
    int truncated_over;          /* truncated / responses > warn_share */
} tf_shortfall;

void tf_shortfall_of(const tf_job *job, const cJSON *overall, tf_shortfall *f);

/* On stderr, one warning line per share over warn_share, each naming the
 * counts, the share, the kinds or the cause, and exit status 4. */
void tf_warn_shortfall(const tf_job *job, const cJSON *overall, const tf_shortfall *f);

/* On stdout, what the items and the requests came to: items, item errors
 * by kind, and with an endpoint the samples, fetch failures by last status,
 * truncated responses with their share, tokens, cost (from overall, a
 * summary group) and requests, retries and cache hits (from run, run.json's
 * object, whose invocation which names, e.g. "this run"; NULL: not shown).
 * The end of a run and "tracefarm show" both print it. */
void tf_print_accounting(const cJSON *overall, const cJSON *run, const char *which);

/* On stdout, the figures a domain adds to a summary group (group): its
 * named cell (domain.h answer_false_trace) with its 95 % interval, and the
 * rate of each of its flags ("flags"). Nothing for a domain without them.
 * The end of a run and "tracefarm show" both print them. */
void tf_print_domain_figures(const cJSON *group, const char *answer_false_trace);

/* The readable end of a run on stdout: the overall figures of the merged
 * statistics (overall: their tf_stats_summary_json) and run.json's
 * accounting (run: tf_run_json). */
void tf_print_summary(const tf_job *job, const tf_stats *total, const cJSON *overall,
                      const cJSON *run);

#endif
