/* worker.c: one shard into one part: the record pipeline (worker.h).
 *
 * One loop for every source. Records have sequence numbers in the shard:
 * head is the first whose items are not written yet, tail the next to read;
 * record q lives in window slot q % nwin until all of its outputs are in,
 * then its items are written, in record order. A source that answers at
 * once (the record's own output) has a window of one record; an endpoint
 * keeps many records and their requests in flight.
 */
#include "tracefarm/worker.h"

#include "tracefarm/part.h"
#include "tracefarm/source.h"
#include "tracefarm/stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tf_source tf_source_record, tf_source_cache, tf_source_endpoint;

const tf_source *tf_source_of(tf_source_kind kind)
{
    switch (kind) {
    case TF_SOURCE_RECORD:
        return &tf_source_record;
    case TF_SOURCE_CACHE:
        return &tf_source_cache;
    case TF_SOURCE_ENDPOINT:
        return &tf_source_endpoint;
    }
    return NULL;
}

/* One record of the window. */
typedef struct slot {
    uint64_t line;        /* in the shard */
    tf_record rec;        /* the parsed record (or just its group key) */
    void *problem;        /* the domain's problem, or NULL */
    const char *err_kind; /* set: the record is one error item, no outputs */
    char err[TF_DIAG_LEN];
    tf_output **out; /* by sample index */
    unsigned got;    /* outputs received */
} slot;

typedef struct shard {
    const tf_work *w;
    const tf_worker_ctx *wc; /* the tick, if any */
    const tf_source *src;
    void *st; /* the source's state */
    tf_part_writer *part;
    tf_stats *stats;
    slot *win;
    size_t nwin;
    unsigned samples;
    uint64_t head, tail;
    tf_buf parts; /* the parts of a <think> split, while one output is verified */
} shard;

/* ----- one record in --------------------------------------------------------------- */

static void slot_error(slot *s, const char *kind, const char *reason)
{
    s->err_kind = kind;
    snprintf(s->err, sizeof s->err, "%s", reason);
}

/* Read one line into slot s and ask the source for its outputs (or make
 * it an error item). */
static tf_err take_line(shard *sh, slot *s, const char *text, size_t len, tf_diag *d)
{
    const tf_work *w = sh->w;
    tf_err err = tf_record_parse(&w->record, text, len, &s->rec);
    if (err != TF_OK)
        return err;
    if (s->rec.error_kind) {
        slot_error(s, s->rec.error_kind, s->rec.error);
        return TF_OK;
    }
    tf_text out = {NULL, 0};
    tf_diag why;
    why.msg[0] = '\0';
    err = w->dom->parse_record(w->dom_cfg, &s->rec, &s->problem, &out, &why);
    if (err == TF_ERR_PARSE) {
        w->dom->free_problem(s->problem);
        s->problem = NULL;
        slot_error(s, "bad_record", why.msg);
        return TF_OK;
    }
    if (err != TF_OK) {
        tf_diag_set(d, "%s", why.msg[0] ? why.msg : tf_strerror(err));
        return err;
    }
    /* the output a record holds: the domain's own (maze beyond: the text),
     * else the job's output field or messages, with its reasoning */
    tf_source_req req = {.seq = sh->tail, .rec = &s->rec, .problem = s->problem};
    tf_record_output(&s->rec, out, &req.output, &req.reasoning, &req.reasoning_from,
                     &req.no_output);
    tf_diag swhy;
    swhy.msg[0] = '\0';
    err = sh->src->submit(sh->st, &req, &swhy);
    if (err == TF_ERR_PARSE || err == TF_ERR_TOO_BIG) {
        slot_error(s, err == TF_ERR_PARSE ? "bad_record" : "too_big", swhy.msg);
        return TF_OK;
    }
    if (err != TF_OK)
        tf_diag_set(d, "%s", swhy.msg[0] ? swhy.msg : tf_strerror(err));
    return err;
}

/* Read the next record of the shard into the tail slot. *eof at the end
 * of the shard (and after an I/O error, whose error item is the last). */
static tf_err read_one(shard *sh, tf_reader *rd, const char *path, int *eof, tf_diag *d)
{
    const char *line;
    size_t len;
    uint64_t lineno = 0;
    tf_diag rdg;
    rdg.msg[0] = '\0';
    tf_err r = tf_reader_next(rd, &line, &len, &lineno, &rdg);
    if (r == TF_ERR_EOF) {
        *eof = 1;
        return TF_OK;
    }
    slot *s = &sh->win[sh->tail % sh->nwin];
    s->line = lineno;
    tf_err err = TF_OK;
    if (r == TF_OK) {
        err = take_line(sh, s, line, len, d);
    } else if (r == TF_ERR_TOO_BIG || r == TF_ERR_ZSTD || r == TF_ERR_IO) {
        /* One error item stands for what could not be read; every group_by
         * value of it is null. After a damaged zstd frame the reader goes on
         * at the next frame (corpus.h); after an I/O error nothing more can
         * be read. */
        err = tf_record_parse(&sh->w->record, NULL, 0, &s->rec);
        if (r == TF_ERR_TOO_BIG) {
            char why[160];
            snprintf(why, sizeof why, "line longer than max_line_bytes (%zu)",
                     sh->w->max_line_bytes);
            slot_error(s, "line_too_long", why);
        } else {
            slot_error(s, "read_error", rdg.msg);
        }
        *eof = r == TF_ERR_IO;
    } else {
        tf_diag_set(d, "%s: %s", path, rdg.msg[0] ? rdg.msg : tf_strerror(r));
        err = r;
    }
    sh->tail++;
    return err;
}

/* ----- outputs --------------------------------------------------------------------- */

/* Put a finished output into its record's slot. */
static tf_err take_output(shard *sh, tf_output *o, tf_diag *d)
{
    slot *s = o->seq >= sh->head && o->seq < sh->tail ? &sh->win[o->seq % sh->nwin] : NULL;
    if (!s || o->sample >= sh->samples || s->out[o->sample] || s->err_kind) {
        tf_diag_set(d,
                    "source \"%s\" returned an unexpected output (record %" PRIu64 ", sample %u)",
                    sh->src->name, o->seq, o->sample);
        sh->src->release(sh->st, o);
        return TF_ERR_INTERNAL;
    }
    s->out[o->sample] = o;
    s->got++;
    return TF_OK;
}

/* Collect every output that is ready, waiting at most timeout_ms for the
 * first (0: none). */
static tf_err collect(shard *sh, int timeout_ms, tf_diag *d)
{
    for (;;) {
        tf_output *o = NULL;
        tf_err err = sh->src->next(sh->st, timeout_ms, &o, d);
        if (err == TF_ERR_EOF || (err == TF_OK && !o))
            return timeout_ms && err == TF_ERR_EOF ? TF_ERR_EOF : TF_OK;
        if (err == TF_OK)
            err = take_output(sh, o, d);
        if (err != TF_OK)
            return err;
        timeout_ms = 0;
    }
}

/* ----- items out ------------------------------------------------------------------- */

/* Add the members that say which record (and sample) an item is of: its
 * id, the sample, and with group_by its group's values keyed by the paths
 * as written, so an item can be traced to its group without the corpus. */
static int add_origin(const shard *sh, const slot *s, long sample, cJSON *item)
{
    int ok = !s->rec.id || cJSON_AddItemToObject(item, "id", cJSON_Duplicate(s->rec.id, 1));
    if (ok && sample >= 0 && sh->src->per_sample)
        ok = cJSON_AddNumberToObject(item, "sample", (double)sample) != NULL;
    if (ok && s->rec.group)
        ok = cJSON_AddItemToObject(item, "group", cJSON_Duplicate(s->rec.group, 1));
    return ok;
}

/* The members every item of slot s starts with: id, the sample, the group. */
static cJSON *item_head(const shard *sh, const slot *s, long sample)
{
    cJSON *item = cJSON_CreateObject();
    if (item && !add_origin(sh, s, sample, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}

/* With "keep_output": the output as the model gave it ("output": the
 * record's field, or the response's content) and its separate reasoning
 * channel ("reasoning"), the two texts the parts verified are split from,
 * so that a verdict can be read against its text without the corpus or the
 * response cache. */
static int add_output(const tf_output *o, cJSON *item)
{
    int ok = cJSON_AddStringToObject(item, "output", o->text ? o->text : "") != NULL;
    if (ok && o->reasoning)
        ok = cJSON_AddStringToObject(item, "reasoning", o->reasoning) != NULL;
    return ok;
}

/* An error item of kind with reason (sample < 0: of the whole record). */
static tf_err emit_error(shard *sh, const slot *s, const char *kind, const char *reason,
                         long sample, tf_diag *d)
{
    cJSON *m = cJSON_CreateObject();
    int ok = m && cJSON_AddStringToObject(m, "error_kind", kind);
    if (ok)
        ok = add_origin(sh, s, sample, m);
    tf_err err = ok ? tf_part_error(sh->part, s->line, reason, m, d) : TF_ERR_NOMEM;
    cJSON_Delete(m);
    if (err == TF_OK)
        err = tf_stats_add_error_keyed(sh->stats, s->rec.key, kind);
    return err;
}

/* Verify one output into one item. */
static tf_err emit_output(shard *sh, const slot *s, const tf_output *o, tf_diag *d)
{
    const tf_work *w = sh->w;
    long sample = (long)o->sample;
    tf_err err = TF_OK;
    if (o->usage)
        err = tf_stats_add_sample_keyed(sh->stats, s->rec.key, o->usage);
    if (err != TF_OK)
        return err;
    if (!o->text)
        return emit_error(sh, s, o->kind, o->reason, sample, d);
    cJSON *item = item_head(sh, s, sample);
    tf_facts facts;
    memset(&facts, 0, sizeof facts);
    tf_diag why;
    why.msg[0] = '\0';
    /* the one place where every source's outputs are split into their
     * reasoning and answer parts */
    tf_parts parts;
    err = item ? tf_parts_split(o->text, o->len, o->reasoning, o->reasoning_len, o->reasoning_from,
                                &sh->parts, &parts)
               : TF_ERR_NOMEM;
    if (err == TF_OK) {
        parts.reasoning_tokens = o->usage ? (long)o->usage->reasoning_tokens : -1;
        parts.completion_tokens = o->tokens;
        parts.from_request = o->usage != NULL;
        err = w->dom->verify(w->dom_cfg, s->problem, &s->rec, &parts, item, &facts, &why);
    }
    if (err == TF_OK && sh->src->annotate)
        err = sh->src->annotate(o, item);
    if (err == TF_OK && parts.reasoning_from &&
        !cJSON_AddStringToObject(item, "reasoning_from", parts.reasoning_from))
        err = TF_ERR_NOMEM;
    if (err == TF_OK && w->keep_output && !add_output(o, item))
        err = TF_ERR_NOMEM;
    if (err == TF_OK) {
        facts.tokens = o->tokens;
        err = tf_part_item(sh->part, s->line, item, d);
        if (err == TF_OK)
            err = tf_stats_add_keyed(sh->stats, s->rec.key, &facts);
    } else if (err == TF_ERR_TOO_BIG) {
        /* an output past the verifier's caps is an item error, not a failure */
        err = emit_error(sh, s, "too_big", why.msg, sample, d);
    } else if (err != TF_ERR_NOMEM) {
        tf_diag_set(d, "%s", why.msg[0] ? why.msg : tf_strerror(err));
    }
    cJSON_Delete(item);
    return err;
}

/* Release what a slot holds and empty it (its output array stays). */
static void slot_clear(shard *sh, slot *s)
{
    if (s->problem)
        sh->w->dom->free_problem(s->problem);
    tf_record_clear(&s->rec);
    for (unsigned i = 0; i < sh->samples; i++) {
        sh->src->release(sh->st, s->out[i]);
        s->out[i] = NULL;
    }
    tf_output **out = s->out;
    memset(s, 0, sizeof *s);
    s->out = out;
}

/* The shard's counts so far (the part's, and the source's tally). */
static void counts(const shard *sh, tf_shard_result *res)
{
    if (sh->part) {
        res->records = tf_part_records(sh->part);
        res->errors = tf_part_errors(sh->part);
    }
    tf_source_tally t = {0};
    if (sh->st && sh->src->tally)
        sh->src->tally(sh->st, &t);
    res->requests = t.requests;
    res->retries = t.retries;
    res->cache_hits = t.cache_hits;
    res->in_flight = t.in_flight;
}

/* Write every finished record at the head of the window, in order. */
static tf_err flush(shard *sh, tf_diag *d)
{
    tf_err err = TF_OK;
    uint64_t head0 = sh->head;
    if (sh->wc->tick)
        sh->wc->tick(sh->wc->tick_ctx, NULL); /* a chance to refresh between items */
    while (err == TF_OK && sh->head < sh->tail) {
        slot *s = &sh->win[sh->head % sh->nwin];
        if (!s->err_kind && s->got < sh->samples)
            break;
        if (s->err_kind)
            err = emit_error(sh, s, s->err_kind, s->err, -1, d);
        for (unsigned i = 0; !s->err_kind && err == TF_OK && i < sh->samples; i++)
            err = emit_output(sh, s, s->out[i], d);
        slot_clear(sh, s);
        sh->head++;
    }
    if (err == TF_OK && sh->head != head0 && sh->wc->tick) {
        tf_shard_result so_far = {0};
        counts(sh, &so_far);
        sh->wc->tick(sh->wc->tick_ctx, &so_far);
    }
    return err;
}

/* ----- the shard ------------------------------------------------------------------- */

/* Read records while the window and the source have room, ask for their
 * outputs, and write items in record order as they complete. */
static tf_err run(shard *sh, tf_reader *rd, const char *path, tf_diag *d)
{
    int eof = 0;
    tf_err err = TF_OK;
    while (err == TF_OK) {
        while (err == TF_OK && !eof && sh->tail - sh->head < sh->nwin && sh->src->room(sh->st)) {
            err = read_one(sh, rd, path, &eof, d);
            if (err == TF_OK)
                err = collect(sh, 0, d);
            if (err == TF_OK)
                err = flush(sh, d);
        }
        if (err != TF_OK || (eof && sh->head == sh->tail))
            break;
        if (!eof && sh->tail - sh->head < sh->nwin && sh->src->room(sh->st))
            continue; /* the flush made room: read on */
        /* the head record waits for outputs in flight: wait for one */
        err = collect(sh, -1, d);
        if (err == TF_ERR_EOF) {
            tf_diag_set(d, "source \"%s\": record %" PRIu64 " waits but nothing is pending",
                        sh->src->name, sh->head);
            err = TF_ERR_INTERNAL;
        }
        if (err == TF_OK)
            err = flush(sh, d);
    }
    return err;
}

tf_err tf_worker_shard(const tf_work *work, const tf_worker_ctx *wc, uint64_t id, const tf_shard *s,
                       const char *partdir, tf_shard_result *res, tf_diag *d)
{
    memset(res, 0, sizeof *res);
    const char *path = work->corpus[s->file];
    shard sh = {.w = work, .wc = wc, .src = tf_source_of(work->source)};
    tf_buf_init(&sh.parts, 0); /* tf_parts_split sets its limit */
    tf_source_ctx ctx = {.work = work,
                         .ordinal = wc->ordinal,
                         .nworkers = wc->nworkers,
                         .shard = id,
                         .breaker = wc->breaker};
    tf_reader *rd = NULL;
    sh.stats = tf_stats_create_with(&work->stats);
    tf_err err = sh.stats && sh.src ? TF_OK : TF_ERR_NOMEM;
    if (err == TF_OK)
        err = sh.src->open(&ctx, &sh.st, d);
    if (err == TF_OK) {
        sh.samples = sh.src->samples(sh.st);
        sh.nwin = sh.src->window(sh.st);
        sh.win = calloc(sh.nwin, sizeof *sh.win);
        err = sh.win ? TF_OK : TF_ERR_NOMEM;
    }
    for (size_t i = 0; err == TF_OK && i < sh.nwin; i++)
        if (!(sh.win[i].out = calloc(sh.samples, sizeof *sh.win[i].out)))
            err = TF_ERR_NOMEM;
    if (err == TF_OK)
        err = tf_part_create(partdir, id, &sh.part, d);
    if (err == TF_OK)
        err = tf_reader_open(path, s, work->max_line_bytes, &rd, d);
    if (err == TF_OK && work->cut_records && id == work->cut_shard)
        tf_reader_limit(rd, work->cut_records); /* --limit: the corpus ends in this shard */
    if (err == TF_OK)
        err = run(&sh, rd, path, d);
    if (rd)
        res->lines = tf_reader_lines(rd);
    tf_reader_free(rd);
    cJSON *report = err == TF_OK && sh.src->report ? sh.src->report(sh.st) : NULL;
    if (err == TF_OK && sh.src->report && !report)
        err = TF_ERR_NOMEM;
    counts(&sh, res);
    res->in_flight = 0;
    tf_err e2 = tf_part_close(sh.part, err == TF_OK, res->lines, sh.stats, report, d);
    if (err == TF_OK)
        err = e2;
    cJSON_Delete(report);
    for (size_t i = 0; sh.win && i < sh.nwin; i++) {
        if (sh.win[i].out)
            slot_clear(&sh, &sh.win[i]);
        free(sh.win[i].out);
    }
    free(sh.win);
    tf_buf_free(&sh.parts);
    if (sh.st)
        sh.src->close(sh.st);
    tf_stats_free(sh.stats);
    return err;
}
