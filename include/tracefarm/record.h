/* record.h: one corpus record, and paths to the fields inside it.
 *
 * A corpus line is checked and parsed into a tf_record: bytes in, a record
 * or a reason out. Pure: no files, no MPI, no globals. The checks are
 * those of JSON text (RFC 8259) that cJSON does not make itself: no NUL
 * byte, valid UTF-8, no \u0000 escape (a C string would end there and hide
 * the rest of a trace), nothing but whitespace after the value; and a
 * record is a JSON object.
 *
 * A path names a value inside a record: keys separated by '.', array
 * elements by [N] (N < 0 counts from the end), a backslash escapes the next
 * character of a key ("a\.b" is the key "a.b"):
 *
 *     id    response.choices[0].message.content    messages[-1].content
 *
 * The job's generic fields (id, tokens, group_by, and the texts: prompt,
 * output, reasoning, or a chat messages list that supplies them;
 * docs/job.md) are read here once per record; a domain reads its own
 * fields with tf_path_get. A model output is split into its reasoning part
 * and answer part here too (tf_parts_split), whatever its source.
 */
#ifndef TRACEFARM_RECORD_H
#define TRACEFARM_RECORD_H

#include "tracefarm/buf.h"
#include "tracefarm/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* ----- paths ------------------------------------------------------------- */

typedef struct tf_path tf_path; /* opaque: a compiled path */

/* Most steps in a path, and the longest path text. */
#define TF_PATH_MAX_STEPS 32
#define TF_PATH_MAX_LEN 1024

/* Compile text into *out (caller frees with tf_path_free). TF_ERR_SPEC with
 * the reason in why (an empty key, a bad index, a trailing backslash, too
 * long); TF_ERR_NOMEM. */
tf_err tf_path_compile(const char *text, tf_path **out, tf_diag *why) TF_MUST_USE;
void tf_path_free(tf_path *p); /* accepts NULL */

/* The path as written. */
const char *tf_path_text(const tf_path *p);

/* The value at p in v, or NULL when a step is missing (a key that is not
 * there, an index past the end, or a step into a value of another type). */
const cJSON *tf_path_get(const tf_path *p, const cJSON *v);

/* ----- texts and the parts of a model output ---------------------------- */

/* A text that need not be NUL-terminated: n bytes at p (p NULL: none). */
typedef struct tf_text {
    const char *p;
    size_t n;
} tf_text;

/* A model output as a domain verifies it, in two parts (docs/outputs.md,
 * "The reasoning part"): the reasoning, when the output has a separate one
 * (a response's reasoning_content, a record's reasoning field, the
 * reasoning of the last assistant message, or a <think>...</think> block
 * in the text), and the answer, the rest (for a <think> block: the text
 * around it). The worker splits every output once, whatever its source,
 * and hands the parts to domain->verify (domain.h).
 *
 * Both parts are NUL-terminated at their lengths and live until verify
 * returns. An output without a reasoning part has reasoning NULL and its
 * whole text as the answer. */
typedef struct tf_parts {
    const char *reasoning;      /* the reasoning part; NULL: the output has none */
    size_t reasoning_len;       /* its length (0 when NULL; may be 0 for an empty
                                   <think></think> block) */
    const char *answer;         /* the answer part, never NULL (may be "") */
    size_t answer_len;          /* its length */
    const char *reasoning_from; /* where the reasoning part came from, as items say it
                                   ("reasoning_from"): "endpoint", "field", "messages"
                                   or "think"; NULL when reasoning is NULL */
    long reasoning_tokens;      /* the model's usage, when its source knows it (an
                                   endpoint's usage.completion_tokens_details.reasoning_tokens);
                                   -1 unknown. tf_parts_split sets -1; the worker fills it */
    long completion_tokens;     /* the same for the completion tokens (an endpoint's usage,
                                   a record's tokens field); -1 unknown */
    int from_request;           /* nonzero: the output is a response to a request (sources
                                   "endpoint", "cache"), not the record's own, so the record's
                                   fields say nothing of it. tf_parts_split sets 0 */
} tf_parts;

/* Split a model output into its parts (docs/outputs.md, "The reasoning
 * part"). text (len bytes) is the output as the model gave it (a record's
 * output, a response's content); reasoning (rlen bytes) its separate
 * reasoning channel, or NULL, and from where that came from ("endpoint",
 * "field", "messages"). Both NUL-terminated. In this order:
 *
 *   - a separate reasoning that is not empty is the reasoning part, and
 *     text, whole, the answer (no <think> is looked for in it);
 *   - a text holding "<think>": the reasoning is what follows its first
 *     "<think>" up to the first "</think>" after it, the answer the text
 *     before "<think>" followed by the text after "</think>". Without a
 *     "</think>" (a response cut inside its reasoning) the reasoning runs
 *     to the end and the answer is the text before "<think>" (mostly
 *     nothing);
 *   - a text with "</think>" but no "<think>" (DeepSeek-R1's shape: its
 *     chat template puts "<think>" into the prompt): the reasoning is the
 *     text up to the first "</think>", the answer the text after it;
 *   - else no reasoning part: the answer is the whole text.
 * The last three give reasoning_from "think"; an empty <think></think>
 * block is a reasoning part of length 0.
 *
 * *out points into text and reasoning, or into scratch, where the parts of
 * a <think> split are copied (each NUL-terminated; scratch's limit is set
 * to len + 2, which they always fit). *out lives while they do. Only
 * TF_ERR_NOMEM fails. */
tf_err tf_parts_split(const char *text, size_t len, const char *reasoning, size_t rlen,
                      const char *from, tf_buf *scratch, tf_parts *out) TF_MUST_USE;

/* ----- records ------------------------------------------------------------ */

/* The generic fields of a job (docs/job.md, "fields"), compiled; borrowed.
 * A NULL path is a field the job does not read. */
typedef struct tf_record_spec {
    const tf_path *id;              /* the item's id: a string or a number */
    const tf_path *tokens;          /* completion tokens, a count for the statistics */
    const tf_path *prompt;          /* the prompt: a string */
    const tf_path *output;          /* the model output: a string */
    const tf_path *reasoning;       /* the output's separate reasoning: a string or null */
    const tf_path *messages;        /* a chat list of {"role", "content"} messages: the
                                       prompt is its last "user" message, the output its
                                       last "assistant" message (when prompt or output
                                       is NULL) */
    const tf_path *const *group_by; /* the values that name a record's group */
    size_t ngroup_by;               /* 0: the overall group only */
} tf_record_spec;

/* Largest token count kept (larger ones are unknown). */
#define TF_RECORD_MAX_TOKENS 4294967294L
/* A group value longer than this (as JSON text) stands in the key as the
 * string "(value over 1024 bytes)", which keeps keys and memory bounded. */
#define TF_RECORD_GROUP_VALUE_MAX 1024
/* Room for the reason a record lacks its prompt or output (a longer path
 * is cut). */
#define TF_RECORD_WHY_LEN 256

typedef struct tf_record {
    cJSON *json;            /* the value (owned); NULL when the line is not JSON */
    const cJSON *id;        /* into json: the id when it is a string or number, else NULL */
    long tokens;            /* the tokens field: a count up to TF_RECORD_MAX_TOKENS, else -1 */
    char *key;              /* the group key: the group_by values as a compact JSON
                               array, null for a missing one (owned; NULL without
                               group_by) */
    cJSON *group;           /* the same values as an object keyed by the group_by paths
                               as written, for the item (owned; NULL without group_by) */
    const char *error_kind; /* NULL: a usable record; else "bad_json" or "bad_record" */
    char error[160];        /* the reason, when error_kind is set */

    /* The generic texts of a usable record (NUL-terminated, into json or
     * joined, valid while the record lives). One the record lacks has p
     * NULL and its reason, which names the path as written, in *_why
     * (`missing field "response.choices[0].message.content"`); whoever
     * needs it (a domain the prompt, source "record" the output) makes
     * the record a bad_record item with that reason. */
    tf_text prompt;             /* fields.prompt, or the last user message */
    tf_text output;             /* fields.output, or the last assistant message; p NULL
                                   also when a fields.reasoning given is unusable */
    tf_text reasoning;          /* the output's separate reasoning (not empty), or p NULL */
    const char *reasoning_from; /* "field" (fields.reasoning) or "messages" (the
                                   assistant message's reasoning_content or reasoning);
                                   NULL without reasoning */
    char prompt_why[TF_RECORD_WHY_LEN];
    char output_why[TF_RECORD_WHY_LEN];
    char *joined[2]; /* owned: texts joined from a message's content parts */
} tf_record;

/* Parse one line (len bytes, need not be NUL-terminated) into *rec, which
 * the caller clears with tf_record_clear. Bad input is never an error: it
 * is rec->error_kind with the reason in rec->error ("bad_json":
 * "malformed JSON near column 12", "malformed JSON: trailing data at
 * column 80", ...; "bad_record": "record is not a JSON object"), or, for
 * the prompt and the output, a reason in rec->prompt_why or
 * rec->output_why (docs/job.md, "fields": strings; null output is the
 * empty output when a reasoning comes with it, as an endpoint's null
 * content is; a message's content may be a string or a list of text
 * parts, joined with "\n"). The group
 * key is set whenever the spec has group_by, also for bad input (from the
 * value before trailing data, else every value null), so that every line
 * counts in its group; so is rec->group, the same values keyed by the
 * group_by paths as written ({"generator": "wilson", "meta.run": null}).
 * Only TF_ERR_NOMEM fails. line may be NULL (len 0)
 * for a line that could not be read at all: the record is empty, with the
 * key of every value null and no error kind. */
tf_err tf_record_parse(const tf_record_spec *spec, const char *line, size_t len,
                       tf_record *rec) TF_MUST_USE;

/* The model output a usable record holds, as the worker verifies it
 * (source "record"): own, a domain's own output (parse_record's: the maze
 * beyond dialect's text) when it has one, else the job's output
 * (rec->output) with its reasoning. *output p NULL: none, and *why says
 * why; *reasoning p NULL: no separate reasoning (*from NULL). A reasoning
 * field goes with the job's output, not with a domain's own. */
void tf_record_output(const tf_record *rec, tf_text own, tf_text *output, tf_text *reasoning,
                      const char **from, const char **why);

/* Free what rec holds and zero it. Accepts a zeroed record. */
void tf_record_clear(tf_record *rec);

#endif
