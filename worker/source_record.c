/* source_record.c: source "record": the model output is in the record
 * (source.h). One record at a time: its output is ready when submitted. */
#include "tracefarm/source.h"

#include <stdlib.h>

typedef struct record_state {
    tf_output out; /* the output of the last record submitted */
    int ready;     /* out is waiting to be taken */
} record_state;

static tf_err rec_open(const tf_source_ctx *ctx, void **state, tf_diag *d)
{
    (void)ctx;
    (void)d;
    *state = calloc(1, sizeof(record_state));
    return *state ? TF_OK : TF_ERR_NOMEM;
}

static void rec_close(void *state)
{
    free(state);
}

static unsigned rec_samples(const void *state)
{
    (void)state;
    return 1;
}

static size_t rec_window(const void *state)
{
    (void)state;
    return 1;
}

static int rec_room(const void *state)
{
    return !((const record_state *)state)->ready;
}

static tf_err rec_submit(void *state, const tf_source_req *req, tf_diag *why)
{
    record_state *s = state;
    if (!req->output.p) {
        tf_diag_set(why, "%s",
                    req->no_output && *req->no_output ? req->no_output
                                                      : "record has no model output");
        return TF_ERR_PARSE;
    }
    s->out = (tf_output){.seq = req->seq,
                         .text = req->output.p,
                         .len = req->output.n,
                         .reasoning = req->reasoning.p,
                         .reasoning_len = req->reasoning.n,
                         .reasoning_from = req->reasoning.p ? req->reasoning_from : NULL,
                         .tokens = req->rec->tokens};
    s->ready = 1;
    return TF_OK;
}

static tf_err rec_next(void *state, int timeout_ms, tf_output **out, tf_diag *d)
{
    (void)timeout_ms;
    (void)d;
    record_state *s = state;
    *out = NULL;
    if (!s->ready)
        return TF_ERR_EOF;
    s->ready = 0;
    *out = &s->out;
    return TF_OK;
}

static void rec_release(void *state, tf_output *o)
{
    (void)state;
    (void)o;
}

const tf_source tf_source_record = {
    .name = "record",
    .per_sample = 0,
    .open = rec_open,
    .close = rec_close,
    .samples = rec_samples,
    .window = rec_window,
    .room = rec_room,
    .submit = rec_submit,
    .next = rec_next,
    .annotate = NULL,
    .release = rec_release,
    .report = NULL,
};
