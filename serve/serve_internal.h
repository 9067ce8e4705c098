/* serve_internal.h: what the files of "tracefarm serve" share (private to
 * serve/).
 *
 *   main.c    the command line: options into srv_opts, then tf_srv_run
 *   http.c    libmicrohttpd: the server's lifecycle and signals, routing,
 *             authorisation, responses, accounting and /stats
 *   proto.c   the OpenAI protocol: completions and chat requests parsed
 *             and validated, answered from the maze model (model.c), the
 *             arith model (arith_model.c, its corpus in arith_corpus.c),
 *             the planner model (plan_model.c) or the replay table
 *             (replay.c) in the response shapes
 *   faults.c  injected faults: latency, --fail-first, 429, 500, hangs,
 *             truncated and non-JSON bodies
 *
 * One server value is shared by every connection thread; the fields below
 * "mu" are guarded by it.
 */
#ifndef TRACEFARM_SERVE_INTERNAL_H
#define TRACEFARM_SERVE_INTERNAL_H

#include "tracefarm/buf.h"
#include "tracefarm/hash.h"
#include "tracefarm/serve.h"

#include <microhttpd.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* ----- options ------------------------------------------------------------ */

/* The command line, read once by main.c and constant while serving. */
typedef struct srv_opts {
    const char *host;      /* numeric address to bind */
    long port;             /* 0: any free port */
    const char *port_file; /* where to write the bound port, or NULL */
    const char *model;     /* the model id served */
    bool strict_model;     /* 404 for another requested model */
    uint64_t seed;         /* server seed, mixed into every answer and fault draw */
    tf_serve_model_opts mo;
    bool reasoning_field;     /* chat: trace in reasoning_content, plan in content */
    bool think;               /* the reasoning part in <think>...</think> in the text
                                 (completions; chat without reasoning_field) */
    const char *arith_path;   /* --arith-corpus FILE.jsonl, or NULL */
    const char *arith_qfield; /* its question field */
    const char *arith_afield; /* its reference field */
    tf_serve_arith_opts ao;   /* style and injection rates */
    tf_serve_plan_opts po;    /* the planner model's rates and bound */
    long latency_ms, jitter_ms;
    double rate_429, rate_500, rate_hang, rate_truncated, rate_nonjson;
    long retry_after, hang_ms, fail_first;
    const char *replay_path; /* --replay FILE.jsonl, or NULL */
    char *api_key;           /* owned; never printed */
    const char *stats_file;  /* where to write /stats on exit, or NULL */
    bool verbose;            /* one line per request on stderr */
    long max_requests;       /* 0: no limit */
    double idle_exit;        /* seconds; 0: never */
    long max_body;           /* request body cap in bytes */
} srv_opts;

/* ----- accounting --------------------------------------------------------- */

/* The endpoints, in the order of ep_names (http.c). */
enum { EP_MODELS, EP_COMPLETIONS, EP_CHAT, EP_STATS, EP_HEALTH, EP_OTHER, EP_COUNT };

/* The faults an attempt can get, in the order of tf_srv_fault_names. */
enum { F_NONE, F_FAIL_FIRST, F_HANG, F_429, F_500, F_TRUNCATED, F_NONJSON, F_COUNT };
extern const char *const tf_srv_fault_names[F_COUNT]; /* "none", "fail_first", ... */

/* A histogram of the planner model's first_error codes ("unmet_clear",
 * "plan_refused"): the first SRV_CODES distinct codes by name, the others
 * together (a task's predicates are the prompt's, so the names are not
 * known in advance; the cap keeps the table fixed). */
enum { SRV_CODES = 48 };
typedef struct srv_codes {
    int n;
    char name[SRV_CODES][TF_SERVE_PLAN_MAX_CODE];
    long count[SRV_CODES];
    long other;
} srv_codes;

/* Add k to code's count (a new code takes the next slot, else "other"). */
void tf_srv_codes_add(srv_codes *t, const char *code, long k);

/* The HTTP statuses counted one by one in /stats (known_status, http.c). */
enum { N_STATUS = 8 };

typedef struct counters {
    long requests;
    long by_endpoint[EP_COUNT];
    long by_status[N_STATUS + 1]; /* last: any other */
    long aborted;                 /* connection ended without a response */
    long faults[F_COUNT];
    long delayed; /* attempts held back by --latency-ms/--jitter-ms */
    long completions_ok, choices;
    long by_mode[TF_SERVE_MODE_COUNT + 1]; /* last: replay */
    long wrong_plan;
    long prompt_tokens, completion_tokens;
    long arith_by_mode[TF_SERVE_ARITH_MODE_COUNT];  /* arith choices by what they got */
    long arith_no_place[TF_SERVE_ARITH_MODE_COUNT]; /* drawn flaws that had no place */
    long arith_by_style[TF_SERVE_ARITH_STYLE_COUNT];
    long arith_reference_wrong; /* arith choices whose reference has a wrong step */
    long arith_unknown;         /* 404s: no known question and no maze */
    long plan_by_mode[TF_SERVE_PLAN_MODE_COUNT];  /* plan choices by what they got */
    long plan_no_place[TF_SERVE_PLAN_MODE_COUNT]; /* drawn flaws that had no place */
    long plan_valid, plan_optimal;                /* plan choices read back valid, optimal */
    srv_codes plan_errors;                        /* their first_error codes */
} counters;

/* The failure counts of --fail-first, keyed by a hash of the request. */
typedef struct ff_table {
    uint64_t *keys; /* 0: empty */
    unsigned *counts;
    size_t cap, n;
} ff_table;

typedef struct server {
    srv_opts o;
    tf_serve_replay *replay; /* owned; NULL without --replay */
    tf_serve_arith *arith;   /* owned; NULL without --arith-corpus */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; broadcast when stopping */
    bool stopping;
    uint64_t attempts;        /* completion attempts so far: the fault counter */
    long inflight, completed; /* for --max-requests and --idle-exit */
    struct timespec last;     /* when a request last started or ended */
    counters c;
    ff_table ff; /* owned; freed by tf_srv_ff_free */
} server;

/* One request while it is being received and answered. */
typedef struct req {
    int ep;
    bool is_post, is_get;
    tf_buf body;
    bool too_big;
    bool accounted;
    int status; /* 0 until a response is queued */
    int fault;
    long choices, wrong_plan, ptok, ctok;
    long mode_counts[TF_SERVE_MODE_COUNT + 1];
    long arith_mode[TF_SERVE_ARITH_MODE_COUNT], arith_no_place[TF_SERVE_ARITH_MODE_COUNT];
    long arith_style[TF_SERVE_ARITH_STYLE_COUNT], arith_ref_wrong;
    bool arith_unknown;
    long plan_mode[TF_SERVE_PLAN_MODE_COUNT], plan_no_place[TF_SERVE_PLAN_MODE_COUNT];
    long plan_valid, plan_optimal;
    srv_codes plan_errors;
    struct timespec t0;
    char method[8];
    char path[64];
} req;

/* ----- small helpers ------------------------------------------------------ */

static inline double tf_srv_since_ms(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static inline struct timespec tf_srv_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

/* Hash a string and its terminating NUL (so "ab","c" differs from
 * "a","bc"). */
static inline uint64_t tf_srv_fnv_str(uint64_t h, const char *s)
{
    return tf_fnv64(h, s, strlen(s) + 1);
}

/* ----- http.c --------------------------------------------------------------- */

/* Serve until SIGTERM/SIGINT, --max-requests or --idle-exit, then write
 * --stats-file. s holds the options (and the replay table); its lock,
 * condition and counters are set up and torn down here. Returns the exit
 * status: 0, or 1 when the server cannot start or the stats file cannot
 * be written (a message on stderr). */
int tf_srv_run(server *s);

/* Queue a response with a body copied from body[0..len) and an optional
 * extra header; records the status in r. */
enum MHD_Result tf_srv_respond(struct MHD_Connection *c, req *r, int status, const char *ctype,
                               const char *body, size_t len, const char *hname, const char *hval);

/* The body of an OpenAI-style error, {"error":{"message","type","param",
 * "code"}}; NULL on allocation failure. Caller frees with cJSON_free. */
char *tf_srv_error_json(const char *msg, const char *type, const char *code);

/* tf_srv_respond with an OpenAI-style error body. */
enum MHD_Result tf_srv_respond_error(struct MHD_Connection *c, req *r, int status, const char *msg,
                                     const char *type, const char *code, const char *hname,
                                     const char *hval);

/* ----- proto.c -------------------------------------------------------------- */

/* GET /v1/models: the one model served. */
enum MHD_Result tf_srv_models(server *s, struct MHD_Connection *c, req *r);

/* POST /v1/completions (chat false) or /v1/chat/completions: faults
 * first (faults.c), then the request parsed and answered. */
enum MHD_Result tf_srv_completion(server *s, struct MHD_Connection *c, req *r, bool chat);

/* ----- faults.c ------------------------------------------------------------- */

/* The faults that come before the answer, for one attempt: latency and
 * jitter, --fail-first, then the draw of this attempt's fault (in
 * r->fault), which may hang or answer 429 or 500. Returns true when a
 * response was queued (or failed to be: *ret says), false when the
 * request is to be answered. */
bool tf_srv_fault_before(server *s, struct MHD_Connection *c, req *r, enum MHD_Result *ret);

/* Send the answer body with status as the attempt's fault wants it:
 * whole, cut in half (F_TRUNCATED) or replaced by an HTML page
 * (F_NONJSON). */
enum MHD_Result tf_srv_fault_send(struct MHD_Connection *c, req *r, int status, const char *body);

/* Free the --fail-first table (its memory only). */
void tf_srv_ff_free(ff_table *t);

#endif
