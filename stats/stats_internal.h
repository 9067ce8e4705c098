/* stats_internal.h: what the files of the statistics module share
 * (internal to stats/; everyone else sees only tracefarm/stats.h).
 *
 * The module is split along its seams:
 *   config.c      the job's "stats" section: parse, validate, defaults
 *   accumulate.c  groups: add items, merge states, caps
 *   state.c       the state as JSON, as it travels between ranks
 *   summary.c     the summary JSON (docs/statistics.md)
 *   stats_num.c   exact arithmetic, quantiles, rank correlations
 * The structs below are the state itself; accumulate.c owns their memory
 * (create, grow, free), the others read them (state.c also fills a fresh
 * state through the functions declared here).
 */
#ifndef TRACEFARM_STATS_INTERNAL_H
#define TRACEFARM_STATS_INTERNAL_H

#include "tracefarm/stats.h"

#include "stats_num.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* ----- histograms of names ---------------------------------------------- */

/* A small string -> count histogram, kept sorted by name so that its JSON
 * form does not depend on the order items arrived in. */
typedef struct hist_entry {
    char *name;     /* owned */
    uint64_t count; /* occurrences */
} hist_entry;

typedef struct hist {
    hist_entry *e; /* sorted by name */
    size_t n;      /* entries in use */
} hist;

/* ----- moments and count tables ----------------------------------------- */

/* Exact sums of one variable. */
typedef struct mom1 {
    uint64_t n;        /* values */
    tf_u128 s, ss;     /* sum, sum of squares */
    uint64_t min, max; /* 0 when n == 0 */
} mom1;

/* Exact sums of a pair of variables (x complexity, y length). */
typedef struct mom2 {
    uint64_t n;
    tf_u128 sx, sy, sxx, syy, sxy;
} mom2;

/* Counts kept per (complexity, length) pair: items, valid traces, valid
 * answers, valid answers with valid traces, valid strict traces. */
enum { PC_N, PC_TV, PC_AV, PC_AVTV, PC_TVS, NPC };

/* Complexity of a pair whose complexity is unknown (sorts last). */
#define X_NONE 0xFFFFFFFFULL
/* Empty hash slot (y is never 2^32 - 1). */
#define KEY_EMPTY UINT64_MAX

typedef struct pent {
    uint64_t key;    /* x << 32 | y (or the value, for token tables) */
    uint64_t c[NPC]; /* counts; token tables use c[PC_N] only */
} pent;

/* An open-addressing hash table of distinct keys. */
typedef struct ptab {
    pent *e;      /* slots (power of two), KEY_EMPTY when free */
    size_t slots; /* allocated slots */
    size_t n;     /* distinct keys */
    int overflow; /* more than max_pairs distinct keys: table dropped */
} ptab;

/* ----- groups ----------------------------------------------------------- */

/* Endpoint accounting of a group (source "endpoint"), in grp.ep. */
enum {
    EP_SAMPLES,    /* samples requested */
    EP_FAILED,     /* of which failed after every attempt */
    EP_TRUNCATED,  /* responses cut by max_tokens */
    EP_NO_USAGE,   /* responses without usage.prompt/completion_tokens */
    EP_PROMPT,     /* sum of usage.prompt_tokens */
    EP_COMPLETION, /* sum of usage.completion_tokens */
    EP_REASONING,  /* sum of usage.completion_tokens_details.reasoning_tokens */
    EP_N
};
/* The names of EP_* in states and summaries (accumulate.c). */
extern const char *const tf_stats_ep_names[EP_N];

/* Everything known of one group (the overall group has key NULL). */
typedef struct grp {
    char *key;                   /* group_by values as JSON text; owned */
    uint64_t items;              /* verified + errors */
    uint64_t verified;           /* items with a verdict */
    uint64_t answer_valid;       /* verified with a valid answer */
    uint64_t answer_optimal;     /* ... and optimal */
    uint64_t trace_valid;        /* reference verdict valid */
    uint64_t trace_valid_strict; /* strict verdict valid */
    uint64_t cell[2][2];         /* [answer valid][trace valid], reference */
    uint64_t cell_strict[2][2];  /* [answer valid][trace valid], strict */
    hist first_error;            /* reference first error codes */
    hist strict_first_error;     /* strict first error codes */
    hist flags;                  /* the domain's item flags (tf_facts.flags) */
    hist errors;                 /* item error kinds */
    mom1 len;                    /* trace length, every verified item */
    mom1 cx;                     /* complexity, where known */
    mom1 tok;                    /* tokens, where known */
    mom2 lc;                     /* (complexity, length), complexity known */
    ptab pairs;                  /* (complexity or X_NONE, length) counts */
    ptab toks;                   /* tokens -> count */
    uint64_t *errpos;            /* first-error position bins */
    int nerrpos;                 /* how many */
    uint64_t errpos_n;           /* items with a first error step */
    uint64_t errpos_empty;       /* ... whose trace is empty */
    uint64_t ep[EP_N];           /* endpoint samples: counts and usage sums (EP_*) */
    hist fail_status;            /* failed samples by their last HTTP status ("0": none) */
} grp;

struct tf_stats {
    tf_stats_config cfg; /* bins, caps, answer noun */
    grp all;             /* the overall group */
    grp **groups;        /* sorted by key (strcmp) */
    size_t ngroups;      /* in use */
    int groups_overflow; /* more than cfg.max_groups keys: groups dropped */
};

/* ----- shared functions -------------------------------------------------- */

/* Add count to name's entry, inserting it in order if new. TF_ERR_TOO_BIG
 * past the histogram's cap of distinct names (accumulate.c). */
tf_err tf_hist_add(hist *h, const char *name, uint64_t count);

/* Add counts c to key. A new key past cap drops the table (overflow)
 * (accumulate.c). */
tf_err tf_ptab_add(ptab *t, uint64_t key, const uint64_t c[NPC], uint64_t cap);

/* The entries of t sorted by key (caller frees; *k entries). NULL with
 * *k == 0 for an empty table; NULL with *k != 0 when memory is short
 * (accumulate.c). */
pent *tf_ptab_sorted(const ptab *t, size_t *k);

/* The group of key, created if new; NULL with *err == TF_OK when groups
 * are (or have just been) dropped for overflow (accumulate.c). */
grp *tf_stats_group(tf_stats *s, const char *key, tf_err *err);

/* Add a count as a JSON number (exact: counts stay below 2^53) (state.c). */
int tf_json_add_u64(cJSON *o, const char *k, uint64_t v);

/* A histogram as {"name": count} in name order: the same form in states
 * and summaries. Caller frees; NULL when memory is short (state.c). */
cJSON *tf_hist_json(const hist *h);

#endif
