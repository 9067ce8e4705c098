/* stats.h: mergeable statistics over verified items.
 *
 * A tf_stats holds exact integer counts only, so merging the states of any
 * partition of the items, in any order, gives the same state, and the
 * summary is a pure function of the multiset of items. Its state travels
 * between ranks as JSON (tf_stats_state_json / tf_stats_from_state).
 */
#ifndef TRACEFARM_STATS_H
#define TRACEFARM_STATS_H

#include "tracefarm/domain.h"
#include "tracefarm/err.h"

#include <cjson/cJSON.h>
#include <stdint.h>

typedef struct tf_stats tf_stats; /* opaque */

/* An empty state. Caller frees with tf_stats_free. NULL on allocation
 * failure. */
tf_stats *tf_stats_create(void);
void tf_stats_free(tf_stats *s); /* accepts NULL */

/* Fold one verified item. */
tf_err tf_stats_add(tf_stats *s, const tf_facts *f) TF_MUST_USE;

/* Fold one item that could not be verified; kind is its error kind
 * ("bad_json", "bad_record", "line_too_long", "read_error"). */
tf_err tf_stats_add_error(tf_stats *s, const char *kind) TF_MUST_USE;

/* into += from. */
tf_err tf_stats_merge(tf_stats *into, const tf_stats *from) TF_MUST_USE;

/* Items folded (verified + errors). */
uint64_t tf_stats_items(const tf_stats *s);
/* Items that could not be verified. */
uint64_t tf_stats_errors(const tf_stats *s);

/* The state as JSON (exact: counts as integers). Caller frees with
 * cJSON_Delete; NULL on allocation failure. */
cJSON *tf_stats_state_json(const tf_stats *s);

/* Rebuild a state; TF_ERR_PARSE (message in d) if j is not a state. */
tf_err tf_stats_from_state(const cJSON *j, tf_stats **out, tf_diag *d) TF_MUST_USE;

/* The summary of the state (docs/outputs.md), as the "overall" group.
 * Caller frees with cJSON_Delete; NULL on allocation failure. */
cJSON *tf_stats_summary_json(const tf_stats *s);

#endif
