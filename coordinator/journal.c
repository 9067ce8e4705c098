/* journal.c: the journal of finished shards (see journal.h, docs/resume.md). */
#include "tracefarm/journal.h"

#include "tracefarm/hash.h"
#include "tracefarm/testhook.h"
#include "tracefarm/zio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "tracefarm-journal/1 "

struct tf_journal {
    int fd;           /* O_APPEND */
    char *path;       /* for messages */
    uint64_t appends; /* records appended by this process (test hook) */
};

/* Free a loaded journal (journal.h). */
void tf_journal_state_free(tf_journal_state *s)
{
    if (!s)
        return;
    cJSON_Delete(s->header);
    free(s->recs);
    free(s);
}

/* Check a line's trailing " #<hash>" and cut it off; 0 if it is damaged. */
static int check_line(char *ln, size_t n)
{
    if (n < 19 || ln[n - 18] != ' ' || ln[n - 17] != '#')
        return 0;
    char *end = NULL;
    uint64_t want = strtoull(ln + n - 16, &end, 16);
    if (end != ln + n)
        return 0;
    if (tf_fnv64(TF_FNV_SEED, ln, n - 18) != want)
        return 0;
    ln[n - 18] = '\0';
    return 1;
}

/* Parse one checked record line into s. */
static int parse_record(tf_journal_state *s, const char *ln)
{
    if (strncmp(ln, "done ", 5) == 0) {
        tf_journal_rec r;
        unsigned a = 0, rk = 0;
        if (sscanf(ln + 5, "%" SCNu64 " %u %u %" SCNu64 " %" SCNu64 " %" SCNu64, &r.shard, &a, &rk,
                   &r.lines, &r.records, &r.errors) != 6)
            return 0;
        r.attempt = a;
        r.rank = rk;
        tf_journal_rec *p = realloc(s->recs, (s->nrecs + 1) * sizeof *p);
        if (!p)
            return 0;
        s->recs = p;
        s->recs[s->nrecs++] = r;
        return 1;
    }
    if (strncmp(ln, "end ", 4) == 0) {
        s->ended = 1;
        s->end_status = atoi(ln + 4);
        return 1;
    }
    return 0;
}

/* Read and check every line; the intact prefix is kept (journal.h). */
tf_err tf_journal_load(const char *path, tf_journal_state **out, tf_diag *d)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return TF_ERR_EOF;
        tf_diag_set(d, "%s: cannot open: %s", path, strerror(errno));
        return TF_ERR_IO;
    }
    tf_journal_state *s = calloc(1, sizeof *s);
    if (!s) {
        fclose(f);
        return TF_ERR_NOMEM;
    }
    char *ln = NULL;
    size_t cap = 0;
    ssize_t n;
    long long off = 0;
    unsigned long lineno = 0;
    int bad_at = 0; /* line number of a damaged line */
    tf_err err = TF_OK;
    while ((n = getline(&ln, &cap, f)) > 0) {
        lineno++;
        int whole = ln[n - 1] == '\n';
        if (whole)
            ln[n - 1] = '\0';
        int good = whole && check_line(ln, (size_t)n - 1);
        if (good && lineno == 1) {
            good = strncmp(ln, MAGIC, strlen(MAGIC)) == 0 &&
                   (s->header = cJSON_Parse(ln + strlen(MAGIC))) != NULL;
        } else if (good) {
            good = parse_record(s, ln);
        }
        if (bad_at) { /* a good or bad line after a damaged one */
            tf_diag_set(d, "%s: line %d is damaged", path, bad_at);
            err = TF_ERR_PARSE;
            break;
        }
        if (!good) {
            bad_at = (int)lineno;
            continue;
        }
        off += n;
    }
    free(ln);
    fclose(f);
    if (err == TF_OK && !s->header) {
        tf_diag_set(d, "%s: no valid header", path);
        err = TF_ERR_PARSE;
    }
    if (err != TF_OK) {
        tf_journal_state_free(s);
        return err;
    }
    s->good_bytes = off;
    s->torn = bad_at != 0;
    *out = s;
    return TF_OK;
}

/* Append one record line (text + " #hash\n") and fsync. Test hook
 * "journal:N" writes half of the Nth line and is killed. */
static tf_err append(tf_journal *j, const char *text, tf_diag *d)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s #%016" PRIx64 "\n", text,
                     tf_fnv64(TF_FNV_SEED, text, strlen(text)));
    if (n < 0 || (size_t)n >= sizeof line)
        return TF_ERR_INTERNAL;
    j->appends++;
    size_t len = (size_t)n;
    if (tf_test_at("journal", j->appends))
        len = (size_t)n / 2; /* a torn write, then the kill below */
    if (write(j->fd, line, len) != (ssize_t)len || fsync(j->fd) != 0) {
        tf_diag_set(d, "%s: cannot append: %s", j->path, strerror(errno));
        return TF_ERR_IO;
    }
    if (len != (size_t)n)
        raise(SIGKILL);
    return TF_OK;
}

/* Open path for appending into a new journal handle. */
static tf_err open_append(const char *path, tf_journal **out, tf_diag *d)
{
    tf_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return TF_ERR_NOMEM;
    }
    j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (j->fd < 0) {
        tf_diag_set(d, "%s: cannot open: %s", path, strerror(errno));
        free(j->path);
        free(j);
        return TF_ERR_IO;
    }
    *out = j;
    return TF_OK;
}

/* Write the header line atomically, then open for appending (journal.h). */
tf_err tf_journal_create(const char *path, const cJSON *header, tf_journal **out, tf_diag *d)
{
    *out = NULL;
    char *js = cJSON_PrintUnformatted(header);
    size_t n = js ? strlen(js) + strlen(MAGIC) + 24 : 0;
    char *line = js ? malloc(n) : NULL;
    if (!line) {
        free(js);
        return TF_ERR_NOMEM;
    }
    int m = snprintf(line, n, "%s%s", MAGIC, js);
    uint64_t h = tf_fnv64(TF_FNV_SEED, line, (size_t)m);
    snprintf(line + m, n - (size_t)m, " #%016" PRIx64 "\n", h);
    free(js);
    tf_err err = tf_write_atomic(path, line, strlen(line), d);
    free(line);
    if (err == TF_OK)
        err = open_append(path, out, d);
    return err;
}

/* Open for appending after cutting a torn last line (journal.h). */
tf_err tf_journal_reopen(const char *path, long long good_bytes, tf_journal **out, tf_diag *d)
{
    *out = NULL;
    tf_err err = open_append(path, out, d);
    if (err != TF_OK)
        return err;
    if (ftruncate((*out)->fd, (off_t)good_bytes) != 0 || fsync((*out)->fd) != 0) {
        tf_diag_set(d, "%s: cannot cut the damaged last line: %s", path, strerror(errno));
        tf_journal_close(*out);
        *out = NULL;
        return TF_ERR_IO;
    }
    return TF_OK;
}

/* Append one "done" record (journal.h). */
tf_err tf_journal_done(tf_journal *j, const tf_journal_rec *r, tf_diag *d)
{
    char text[192];
    snprintf(text, sizeof text,
             "done %" PRIu64 " %" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64 " %" PRIu64, r->shard,
             r->attempt, r->rank, r->lines, r->records, r->errors);
    return append(j, text, d);
}

/* Append the "end" record (journal.h). */
tf_err tf_journal_end(tf_journal *j, int status, tf_diag *d)
{
    char text[32];
    snprintf(text, sizeof text, "end %d", status);
    return append(j, text, d);
}

/* Close the append handle (journal.h). */
void tf_journal_close(tf_journal *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j->path);
    free(j);
}

/* Size and mtime of every corpus file, as strings (journal.h). */
cJSON *tf_journal_inputs(const tf_job *job, tf_diag *d)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < job->work.ncorpus; i++) {
        struct stat st;
        if (stat(job->work.corpus[i], &st) != 0) {
            tf_diag_set(d, "%s: %s", job->work.corpus[i], strerror(errno));
            cJSON_Delete(arr);
            return NULL;
        }
        char size[32], mtime[48];
        snprintf(size, sizeof size, "%lld", (long long)st.st_size);
        snprintf(mtime, sizeof mtime, "%lld.%09ld", (long long)st.st_mtim.tv_sec,
                 (long)st.st_mtim.tv_nsec);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) ||
            !cJSON_AddStringToObject(o, "path", job->work.corpus[i]) ||
            !cJSON_AddStringToObject(o, "size", size) ||
            !cJSON_AddStringToObject(o, "mtime", mtime)) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}
