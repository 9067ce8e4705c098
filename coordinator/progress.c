/* progress.c: rank 0's progress display (coord.h, docs/outputs.md
 * "Progress").
 *
 * Everything it shows comes from what rank 0 learns anyway: the plan (the
 * uncompressed bytes of every shard), the journal (resumed shards) and the
 * READY messages of the workers (worker.h), which carry each shard's counts;
 * one process adds the counts of the shard it is running. No message and
 * no collective exist for it, so it costs nothing the queue does not
 * already do. The total of items is an estimate until the last shard is
 * done: the items per byte of the shards done so far (before the first:
 * the planner's sample of bytes per line) times the bytes still to do.
 */
#include "coord.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* A terminal line is refreshed at most this often (seconds). */
#define TTY_REFRESH 0.25

struct tf_progress {
    const tf_plan *plan;
    size_t nshards;
    uint64_t total_bytes;   /* of every shard, as planned */
    double items_per_byte0; /* from the planner's sample; 0: unknown */
    int tty;                /* one line rewritten in place */
    double interval;        /* plain lines: seconds between two */
    int fetching;           /* show requests, retries, cache hits */
    double t0, last;        /* start, last line shown (monotonic seconds) */
    uint64_t done_shards, done_bytes, done_items;
    uint64_t run_items; /* items of shards done in this run (for the rate) */
    uint64_t errors, requests, retries, cache_hits;
    tf_shard_result partial; /* one process: the running shard so far */
    size_t running;          /* shards being worked on */
    int open;                /* a terminal line is on screen, not ended */
    int shown;               /* lines shown so far */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

tf_progress *tf_progress_create(const tf_plan *plan, double bytes_per_line,
                                unsigned items_per_record, int fetching, int tty, double interval)
{
    tf_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->plan = plan;
    p->nshards = tf_plan_count(plan);
    for (size_t k = 0; k < p->nshards; k++)
        p->total_bytes += tf_plan_bytes(plan, k);
    p->items_per_byte0 = bytes_per_line > 0 ? (double)items_per_record / bytes_per_line : 0;
    p->fetching = fetching;
    p->tty = tty;
    p->interval = interval;
    p->t0 = p->last = mono();
    return p;
}

void tf_progress_free(tf_progress *p)
{
    free(p);
}

void tf_progress_done(tf_progress *p, size_t k, uint64_t items, int this_run)
{
    if (!p)
        return;
    p->done_shards++;
    p->done_bytes += tf_plan_bytes(p->plan, k);
    p->done_items += items;
    if (this_run)
        p->run_items += items;
    memset(&p->partial, 0, sizeof p->partial);
}

void tf_progress_add(tf_progress *p, uint64_t errors, uint64_t requests, uint64_t retries,
                     uint64_t cache_hits)
{
    if (!p)
        return;
    p->errors += errors;
    p->requests += requests;
    p->retries += retries;
    p->cache_hits += cache_hits;
}

void tf_progress_partial(tf_progress *p, const tf_shard_result *so_far)
{
    if (!p)
        return;
    if (so_far)
        p->partial = *so_far;
}

void tf_progress_running(tf_progress *p, size_t running)
{
    if (p)
        p->running = running;
}

/* A duration for people: "42s", "3m05s", "1h02m"; "--" when unknown. */
static void duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(buf, n, "%lds", t);
    else if (t < 3600)
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

/* Append printf text to buf (n bytes, *len used), cut at the end. */
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...) TF_PRINTF(4, 5);
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (m > 0)
        *len = *len + (size_t)m < n ? *len + (size_t)m : n - 1;
}

/* The line's text into buf: items done of the (estimated) total, the
 * rate, the ETA, item errors, and for jobs that fetch: retries, cache
 * hits, requests in flight (one process only); then shards. compact (a
 * terminal line): short words, the least needed last, as the line is cut
 * to the terminal's width. */
static void compose(const tf_progress *p, double now, int compact, char *buf, size_t n)
{
    int all = p->done_shards >= p->nshards;
    uint64_t done = p->done_items + p->partial.records;
    uint64_t errors = p->errors + p->partial.errors;
    uint64_t retries = p->retries + p->partial.retries;
    uint64_t hits = p->cache_hits + p->partial.cache_hits;
    double ipb = p->done_bytes > 0 && p->done_items > 0
                     ? (double)p->done_items / (double)p->done_bytes
                     : p->items_per_byte0;
    double total = all ? (double)p->done_items
                       : (double)p->done_items + (double)(p->total_bytes - p->done_bytes) * ipb;
    if (total < (double)done)
        total = (double)done;
    double secs = now - p->t0;
    double rate = secs > 0 ? (double)(p->run_items + p->partial.records) / secs : 0;
    double frac = ipb > 0 && total > 0 ? (double)done / total
                  : p->total_bytes     ? (double)p->done_bytes / (double)p->total_bytes
                                       : 0;
    char eta[32], el[32];
    duration(all ? 0 : rate > 0 && ipb > 0 ? (total - (double)done) / rate : -1, eta, sizeof eta);
    duration(secs, el, sizeof el);
    size_t len = 0;
    buf[0] = '\0';
    unsigned long long dn = (unsigned long long)done;
    if (compact) {
        if (ipb > 0)
            add(buf, n, &len, "%3.0f%% %llu/%s%.0f items", 100 * frac, dn, all ? "" : "~", total);
        else
            add(buf, n, &len, "%3.0f%% %llu items", 100 * frac, dn);
        add(buf, n, &len, ", %.*f/s, ETA %s, %llu err", rate < 100 ? 1 : 0, rate, eta,
            (unsigned long long)errors);
        if (p->fetching) {
            add(buf, n, &len, ", %llu retries, %llu cached", (unsigned long long)retries,
                (unsigned long long)hits);
            if (p->partial.in_flight)
                add(buf, n, &len, ", %llu in flight", (unsigned long long)p->partial.in_flight);
        }
        add(buf, n, &len, ", shards %llu/%zu", (unsigned long long)p->done_shards, p->nshards);
        return;
    }
    if (ipb > 0)
        add(buf, n, &len, "%.0f%%, %llu of %s%.0f items", 100 * frac, dn, all ? "" : "about ",
            total);
    else
        add(buf, n, &len, "%.0f%%, %llu items", 100 * frac, dn);
    add(buf, n, &len, ", %.1f items/s, %s elapsed, ETA %s, %llu item error%s", rate, el, eta,
        (unsigned long long)errors, errors == 1 ? "" : "s");
    if (p->fetching) {
        add(buf, n, &len, ", %llu retr%s, %llu cache hit%s", (unsigned long long)retries,
            retries == 1 ? "y" : "ies", (unsigned long long)hits, hits == 1 ? "" : "s");
        if (p->partial.in_flight)
            add(buf, n, &len, ", %llu requests in flight",
                (unsigned long long)p->partial.in_flight);
    }
    add(buf, n, &len, ", %llu of %zu shards done", (unsigned long long)p->done_shards, p->nshards);
    if (p->running)
        add(buf, n, &len, ", %zu running", p->running);
}

void tf_progress_show(tf_progress *p, int force)
{
    if (!p)
        return;
    double now = mono();
    if (!force && now - p->last < (p->tty ? TTY_REFRESH : p->interval))
        return;
    if (force && !p->tty && !p->shown)
        return; /* a run shorter than the interval: its summary says it all */
    p->shown++;
    p->last = now;
    char text[512];
    compose(p, now, p->tty, text, sizeof text);
    if (!p->tty) {
        fprintf(stderr, "tracefarm: progress: %s\n", text);
        return;
    }
    /* one line, cut to the terminal's width so that \r rewrites it */
    struct winsize ws;
    size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
    if (strlen(text) > cols - 1)
        text[cols - 1] = '\0';
    fprintf(stderr, "\r%s\033[K", text);
    fflush(stderr);
    p->open = 1;
}

void tf_progress_break(tf_progress *p)
{
    if (!p || !p->open)
        return;
    fputc('\n', stderr);
    fflush(stderr);
    p->open = 0;
}
