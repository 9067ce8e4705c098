/* stats.h: mergeable statistics over verified items, per group.
 *
 * A tf_stats holds, for the overall group and for each group key, exact
 * sufficient statistics only: integer counts, exact integer sums and
 * co-moments (128-bit), and a joint count table of (complexity, length)
 * pairs. Merging the states of any partition of the items, in any order,
 * gives the same state, so the summary (docs/statistics.md) is a pure
 * function of the multiset of items. Its state travels between ranks as
 * JSON (tf_stats_state_json / tf_stats_from_state).
 *
 * Memory is bounded by the number of distinct (complexity, length) pairs
 * and distinct token counts per group, not by the number of items; past
 * config.max_pairs a group drops its table (rank statistics become null,
 * moments stay exact) and past config.max_groups the per-group part is
 * dropped (the overall group stays exact). Both are deterministic: they
 * depend only on the multiset of items.
 */
#ifndef TRACEFARM_STATS_H
#define TRACEFARM_STATS_H

#include "tracefarm/err.h"
#include "tracefarm/schema.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tf_stats tf_stats; /* opaque */

/* Most explicit bin edges in a job's stats section. */
#define TF_STATS_MAX_EDGES 256
/* Largest value of a length, complexity or token count that is counted
 * (larger values are counted as unknown). */
#define TF_STATS_MAX_VALUE 4294967294UL
/* Hard limits of the configuration (its defaults are in stats/config.c's
 * key table, docs/job.md). */
#define TF_STATS_LIMIT_MAX_PAIRS 16777216UL
#define TF_STATS_LIMIT_MAX_GROUPS 65536UL
#define TF_STATS_LIMIT_ERRPOS_BINS 1000
/* The default noun of the answer in summary keys ("plan_valid", ...). */
#define TF_STATS_DEFAULT_ANSWER_NOUN "plan"

/* What the statistics need to know of one verified item, in words that
 * fit every domain; a domain's verify fills it (domain.h). The statistics
 * copy what they keep: the strings need only live during tf_stats_add. */
typedef struct tf_facts {
    bool answer_valid;              /* the final answer is valid */
    bool answer_optimal;            /* ... and optimal */
    bool trace_valid;               /* reference-compatible trace verdict */
    bool trace_valid_strict;        /* strict trace verdict */
    const char *first_error;        /* code name of the first reference
                                       error, NULL if the trace is valid */
    const char *strict_first_error; /* same for the strict verdict */
    long trace_len;                 /* operations (steps) in the trace */
    long first_error_step;          /* step of the first reference error, -1 */
    long complexity;                /* reference operation count, -1 unknown */
    long tokens;                    /* completion tokens, -1 unknown */
    const char *const *flags;       /* names of the domain's flags this item has
                                       (tf_stats_config.flag_names), each counted
                                       per group; NULL when nflags is 0 */
    size_t nflags;
} tf_facts;

/* How a variable is binned: by its deciles, or by explicit edges. */
typedef struct tf_stats_bins {
    int deciles;                      /* nonzero: edges are the deciles */
    size_t nedges;                    /* explicit edges (2 or more) */
    double edges[TF_STATS_MAX_EDGES]; /* strictly increasing */
} tf_stats_bins;

/* The "stats" section of a job spec, resolved. */
typedef struct tf_stats_config {
    tf_stats_bins complexity_bins; /* bins of complexity */
    tf_stats_bins length_bins;     /* bins of trace length */
    int error_position_bins;       /* bins of first-error position */
    uint64_t max_pairs;            /* distinct pairs per group table */
    uint64_t max_groups;           /* distinct group keys */
    int endpoint;                  /* source "endpoint": summaries have "endpoint" */
    int has_prices;                /* price_per_million given: "cost" is computed */
    double price_prompt;           /* per million prompt tokens */
    double price_completion;       /* per million completion tokens */
    /* The domain's word for its answer, in the summary keys that name it
     * ("plan": "plan_valid", "plan_x_trace", "valid_plan_valid_trace", ...;
     * states always use the neutral "answer"). Not owned: tf_stats_create_with
     * copies the pointer, so the text must outlive every state made with
     * it (a string literal). NULL means TF_STATS_DEFAULT_ANSWER_NOUN. */
    const char *answer_noun;
    /* A domain's name for the cell "valid answer, invalid trace" (e.g.
     * "correct_answer_false_step"): the summary then gives that cell's
     * rate under this name in every group. NULL: none. Not owned (a
     * string literal, as answer_noun). */
    const char *answer_false_trace;
    /* The flags a domain counts per item (tf_facts.flags): the summary's
     * "flags" gives each one's rate over the verified items, in this order
     * (zero when none had it), then any other name an item had, by name.
     * NULL / 0: no "flags" key. Not owned (string literals). */
    const char *const *flag_names;
    size_t nflag_names;
} tf_stats_config;

/* Fill the defaults of the "stats" section (deciles, 10 error position
 * bins, 2^24 pairs, 4096 groups) and TF_STATS_DEFAULT_ANSWER_NOUN. */
void tf_stats_config_default(tf_stats_config *c);

/* Validate the job's "stats" section (NULL: all defaults) into c; on
 * success, *resolved (caller owns) is the section with every default
 * filled. TF_ERR_SPEC with a message naming "stats.KEY" and origin. */
tf_err tf_stats_config_parse(const cJSON *section, const char *origin, tf_stats_config *c,
                             cJSON **resolved, tf_diag *d) TF_MUST_USE;

/* The key table of the "stats" section (schema.h), *n keys: for the
 * reference that "tracefarm spec" prints. */
const tf_key *tf_stats_config_keys(size_t *n);

/* An empty state with the default configuration / with c (copied). Caller
 * frees with tf_stats_free. NULL on allocation failure. */
tf_stats *tf_stats_create(void);
tf_stats *tf_stats_create_with(const tf_stats_config *c);
void tf_stats_free(tf_stats *s); /* accepts NULL */

/* Fold one verified item into the overall group and, when key is not
 * NULL, into the group key (its group_by values as JSON text).
 * TF_ERR_TOO_BIG if f->trace_len is negative or over TF_STATS_MAX_VALUE. */
tf_err tf_stats_add(tf_stats *s, const tf_facts *f) TF_MUST_USE;
tf_err tf_stats_add_keyed(tf_stats *s, const char *key, const tf_facts *f) TF_MUST_USE;

/* Fold one item that could not be verified; kind is its error kind
 * ("bad_json", "bad_record", "line_too_long", "read_error"). */
tf_err tf_stats_add_error(tf_stats *s, const char *kind) TF_MUST_USE;
tf_err tf_stats_add_error_keyed(tf_stats *s, const char *key, const char *kind) TF_MUST_USE;

/* One sample requested from a remote endpoint (source "endpoint"): its
 * outcome and the usage its response reported (cached or not, so the sums
 * are a pure function of the responses). Token counts are -1 when the
 * response did not give them (or the sample failed). */
typedef struct tf_sample_usage {
    bool failed;               /* no response after every attempt */
    long last_status;          /* failed: the last attempt's HTTP status, 0 when no HTTP
                                  response came (or, source "cache", the cache lacked it);
                                  counted per status in the summary's
                                  fetch_failures_by_status. Ignored unless failed */
    bool truncated;            /* finish_reason "length" */
    int64_t prompt_tokens;     /* usage.prompt_tokens, or -1 */
    int64_t completion_tokens; /* usage.completion_tokens, or -1 */
    int64_t reasoning_tokens;  /* usage.completion_tokens_details.reasoning_tokens, or -1 */
} tf_sample_usage;

/* Fold one requested sample into the overall group and the group key. The
 * item itself is added separately (tf_stats_add_keyed or, when it failed,
 * tf_stats_add_error_keyed with "fetch_failed"). */
tf_err tf_stats_add_sample_keyed(tf_stats *s, const char *key,
                                 const tf_sample_usage *u) TF_MUST_USE;

/* into += from. TF_ERR_PARSE if their error position bins differ. */
tf_err tf_stats_merge(tf_stats *into, const tf_stats *from) TF_MUST_USE;

/* Items folded (verified + errors). */
uint64_t tf_stats_items(const tf_stats *s);
/* Items that could not be verified. */
uint64_t tf_stats_errors(const tf_stats *s);
/* Groups kept (0 when none or dropped); *overflow set when dropped. */
size_t tf_stats_groups(const tf_stats *s, int *overflow);

/* The state as JSON (exact: counts as integers, 128-bit sums as decimal
 * strings). Caller frees with cJSON_Delete; NULL on allocation failure. */
cJSON *tf_stats_state_json(const tf_stats *s);

/* Rebuild a state (with the default configuration for summaries and caps,
 * the answer noun included, and the state's own error position bins);
 * TF_ERR_PARSE (message in d) if j is not a state. A state carries no
 * configuration but its error position bins: to summarize it as a job
 * asks (bins, caps, prices, noun), merge it into a state made with the
 * job's configuration (tf_stats_create_with), as rank 0 does. */
tf_err tf_stats_from_state(const cJSON *j, tf_stats **out, tf_diag *d) TF_MUST_USE;

/* The summary of the overall group (docs/statistics.md). Caller frees with
 * cJSON_Delete; NULL on allocation failure. */
cJSON *tf_stats_summary_json(const tf_stats *s);

/* The summaries of the groups, as an array sorted by key text (bytewise),
 * each with its "key" (the group_by values). *overflow is set when the
 * groups were dropped (more than max_groups keys); the array is then
 * empty. Caller frees with cJSON_Delete; NULL on allocation failure. */
cJSON *tf_stats_groups_json(const tf_stats *s, int *overflow);

#endif
