/* opt.c: the option tables of opt.h, read with getopt_long.
 *
 * getopt_long does the scanning (clusters, "--name=value", "--"); this file
 * builds its tables from the tf_opt table, converts and range-checks the
 * values, refuses what getopt_long would let through that we do not want
 * (abbreviated long names), words every error the same way, and prints
 * the options part of --help from the same table.
 */
#include "tracefarm/opt.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long returns this plus the table index for a long option, so the
 * values never collide with short letters (chars) or getopt's own codes. */
#define LONG_BASE 256
#define HELP_WIDTH 79   /* the longest line of generated help */
#define HELP_COL_MAX 30 /* an option wider than this has its help on the next line */

/* ----- the table ---------------------------------------------------------- */

static size_t table_len(const tf_opt *t)
{
    size_t n = 0;
    while (t[n].kind != TF_OPT_END)
        n++;
    return n;
}

/* Whether an option of this kind is followed by a value. */
static bool takes_value(const tf_opt *o)
{
    switch (o->kind) {
    case TF_OPT_INT:
    case TF_OPT_LONG:
    case TF_OPT_U64:
    case TF_OPT_NUM:
    case TF_OPT_STR:
    case TF_OPT_CUSTOM:
        return true;
    default:
        return false;
    }
}

/* One bound in words: whole numbers in full (2^53 as 9007199254740992,
 * not 9.00719925474099e+15), others with %.15g. */
static void bound_text(double x, char *buf, size_t n)
{
    if (x > -1e18 && x < 1e18 && x == (double)(long long)x)
        snprintf(buf, n, "%lld", (long long)x);
    else
        snprintf(buf, n, "%.15g", x);
}

/* The accepted range in words ("0 to 1"), or "" for kinds without one. */
static void range_text(const tf_opt *o, char *buf, size_t n)
{
    char lo[32], hi[32];
    buf[0] = '\0';
    bound_text(o->lo, lo, sizeof lo);
    bound_text(o->hi, hi, sizeof hi);
    if (o->kind == TF_OPT_NUM && o->lo_open)
        snprintf(buf, n, "greater than %s and at most %s", lo, hi);
    else if (o->kind == TF_OPT_INT || o->kind == TF_OPT_LONG || o->kind == TF_OPT_NUM)
        snprintf(buf, n, "%s to %s", lo, hi);
}

/* ----- conversions -------------------------------------------------------- */

/* See opt.h. */
bool tf_opt_long_in(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || *end || errno || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

/* Digits only: strtoull alone would take "-1" as 2^64 - 1. */
static bool to_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end || errno)
        return false;
    *out = (uint64_t)x;
    return true;
}

static bool to_num(const tf_opt *o, const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!*s || *end || errno)
        return false;
    bool above_lo = o->lo_open ? x > o->lo : x >= o->lo;
    if (!(above_lo && x <= o->hi)) /* also refuses NaN */
        return false;
    *out = x;
    return true;
}

/* Convert val as entry o wants and store it at base + o->off. On failure
 * nothing is stored and why says what the value must be. */
static bool store(const tf_opt *o, const char *val, void *base, tf_diag *why)
{
    void *dest = (char *)base + o->off;
    char range[96];
    range_text(o, range, sizeof range);
    long l;
    switch (o->kind) {
    case TF_OPT_FLAG:
        *(bool *)dest = true;
        return true;
    case TF_OPT_INT:
    case TF_OPT_LONG: {
        long lo = (long)o->lo, hi = (long)o->hi;
        if (o->kind == TF_OPT_INT) {
            lo = lo < INT_MIN ? INT_MIN : lo;
            hi = hi > INT_MAX ? INT_MAX : hi;
        }
        if (!tf_opt_long_in(val, lo, hi, &l)) {
            tf_diag_set(why, "must be an integer from %s", range);
            return false;
        }
        if (o->kind == TF_OPT_INT)
            *(int *)dest = (int)l;
        else
            *(long *)dest = l;
        return true;
    }
    case TF_OPT_U64:
        if (!to_u64(val, (uint64_t *)dest)) {
            tf_diag_set(why, "must be an unsigned 64-bit integer");
            return false;
        }
        return true;
    case TF_OPT_NUM:
        if (!to_num(o, val, (double *)dest)) {
            tf_diag_set(why, "must be a number %s%s", o->lo_open ? "" : "from ", range);
            return false;
        }
        return true;
    case TF_OPT_STR:
    case TF_OPT_ARG:
        *(const char **)dest = val;
        return true;
    case TF_OPT_CUSTOM:
        why->msg[0] = '\0';
        if (o->fn(o, val, dest, why))
            return true;
        if (!why->msg[0])
            tf_diag_set(why, "not a valid value");
        return false;
    default:
        tf_diag_set(why, "internal error: entry of kind %d has no value", (int)o->kind);
        return false;
    }
}

/* ----- messages ----------------------------------------------------------- */

static int vusage_error(const tf_opt_cmd *cmd, const char *what, const char *val, const char *fmt,
                        va_list ap)
{
    char msg[TF_DIAG_LEN];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s: ", cmd->prog);
    if (what)
        fprintf(stderr, "%s%s", what, val ? " " : ": ");
    if (val)
        fprintf(stderr, "\"%s\": ", val);
    fprintf(stderr, "%s\ntry '%s --help'\n", msg, cmd->prog);
    return 2;
}

/* See opt.h. */
int tf_opt_usage_error(const tf_opt_cmd *cmd, const char *what, const char *val, const char *fmt,
                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    int st = vusage_error(cmd, what, val, fmt, ap);
    va_end(ap);
    return st;
}

/* "--name", or "-x" for an option that has no long name. */
static void option_label(const tf_opt *o, char *buf, size_t n)
{
    if (o->name)
        snprintf(buf, n, "--%s", o->name);
    else
        snprintf(buf, n, "-%c", o->letter);
}

/* ----- parsing ------------------------------------------------------------ */

/* What one parse carries besides getopt_long's globals. */
typedef struct scan {
    const tf_opt_cmd *cmd;
    const tf_opt *t;
    size_t n;      /* entries in t */
    void *base;    /* the caller's struct */
    bool *seen;    /* one per entry: given or present */
    size_t arg_at; /* the next ARG entry to fill is at or after this */
    int argc;
    char **argv;
} scan;

/* Whether the command-line word elem spells the long name of o in full
 * ("--name" or "--name=..."), not as getopt_long's abbreviation. */
static bool spelled_out(const tf_opt *o, const char *elem)
{
    size_t len = strlen(o->name);
    return strncmp(elem, "--", 2) == 0 && strncmp(elem + 2, o->name, len) == 0 &&
           (elem[2 + len] == '\0' || elem[2 + len] == '=');
}

/* "PROG: --bogus: unknown option" for a word that is no long option
 * (shown up to any '='). */
static int unknown_long(const scan *s, const char *elem)
{
    char what[256];
    snprintf(what, sizeof what, "%.*s", (int)strcspn(elem, "="), elem);
    return tf_opt_usage_error(s->cmd, what, NULL, "unknown option");
}

/* A positional argument: the next ARG entry takes it. */
static int positional(scan *s, const char *val)
{
    const tf_opt *last = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i].kind == TF_OPT_ARG)
            last = &s->t[i];
    while (s->arg_at < s->n && s->t[s->arg_at].kind != TF_OPT_ARG)
        s->arg_at++;
    if (s->arg_at == s->n) {
        if (last)
            return tf_opt_usage_error(s->cmd, NULL, val,
                                      "unexpected argument (%s was given already)", last->arg);
        return tf_opt_usage_error(s->cmd, NULL, val, "unexpected argument (options start with --)");
    }
    tf_diag why = {{0}};
    if (!store(&s->t[s->arg_at], val, s->base, &why))
        return tf_opt_usage_error(s->cmd, s->t[s->arg_at].arg, val, "%s", why.msg);
    s->seen[s->arg_at++] = true;
    return TF_OPT_GO_ON;
}

/* The table entry getopt_long's code c (or optopt) stands for, or -1. */
static long entry_of(const scan *s, int c)
{
    if (c >= LONG_BASE && (size_t)(c - LONG_BASE) < s->n)
        return c - LONG_BASE;
    for (size_t i = 0; c > 0 && c < LONG_BASE && i < s->n; i++)
        if (s->t[i].letter == c)
            return (long)i;
    return -1;
}

/* getopt_long said '?' or ':': say what is wrong in our words. */
static int getopt_error(const scan *s, int c)
{
    long i = entry_of(s, optopt);
    const char *elem = optind >= 1 && optind <= s->argc ? s->argv[optind - 1] : "";
    char what[256];
    if (i < 0 && optopt > 0 && optopt < LONG_BASE) {
        snprintf(what, sizeof what, "-%c", optopt);
        return tf_opt_usage_error(s->cmd, what, NULL, "unknown option");
    }
    if (i < 0 || (optopt >= LONG_BASE && !spelled_out(&s->t[i], elem)))
        return unknown_long(s, elem);
    option_label(&s->t[i], what, sizeof what);
    if (c == ':')
        return tf_opt_usage_error(s->cmd, what, NULL, "needs a value");
    return tf_opt_usage_error(s->cmd, what, NULL, "takes no value");
}

/* The scanning loop; returns TF_OPT_GO_ON or an exit status. */
static int scan_args(scan *s, const struct option *longs, const char *shorts)
{
    /* optind = 0 makes glibc start afresh (a parse may follow another in
     * one process: the tests call the subcommands' mains repeatedly). */
    optind = 0;
    opterr = 0;
    for (;;) {
        int c = getopt_long(s->argc, s->argv, shorts, longs, NULL);
        if (c == -1)
            break;
        if (c == 1) { /* "-" at the front of shorts: a positional, in order */
            int st = positional(s, optarg);
            if (st != TF_OPT_GO_ON)
                return st;
            continue;
        }
        if (c == '?' || c == ':')
            return getopt_error(s, c);
        long i = entry_of(s, c);
        if (i < 0)
            return tf_opt_usage_error(s->cmd, NULL, NULL, "internal error: option code %d", c);
        const tf_opt *o = &s->t[i];
        if (c >= LONG_BASE) {
            /* the word that named the option: before its value when the
             * value was the next word */
            const char *elem = s->argv[optind - 1];
            if (optarg && optarg == elem && optind >= 2)
                elem = s->argv[optind - 2];
            if (!spelled_out(o, elem))
                return unknown_long(s, elem);
        }
        if (o->kind == TF_OPT_HELP) {
            tf_opt_help(s->cmd, stdout);
            return 0;
        }
        tf_diag why = {{0}};
        if (!store(o, optarg, s->base, &why)) {
            char what[128];
            option_label(o, what, sizeof what);
            return tf_opt_usage_error(s->cmd, what, optarg, "%s", why.msg);
        }
        s->seen[i] = true;
    }
    for (; optind < s->argc; optind++) { /* everything after "--" */
        int st = positional(s, s->argv[optind]);
        if (st != TF_OPT_GO_ON)
            return st;
    }
    for (size_t i = 0; i < s->n; i++) {
        const tf_opt *o = &s->t[i];
        if (!o->required || s->seen[i])
            continue;
        if (o->kind == TF_OPT_ARG)
            return tf_opt_usage_error(s->cmd, NULL, NULL, "missing %s%s%s", o->arg,
                                      o->help ? ": " : "", o->help ? o->help : "");
        char what[128];
        option_label(o, what, sizeof what);
        return tf_opt_usage_error(s->cmd, what, NULL, "is required");
    }
    return TF_OPT_GO_ON;
}

/* See opt.h. */
int tf_opt_parse(const tf_opt_cmd *cmd, void *base, int argc, char **argv, bool *given)
{
    scan s = {.cmd = cmd,
              .t = cmd->opts,
              .n = table_len(cmd->opts),
              .base = base,
              .argc = argc,
              .argv = argv};
    for (size_t i = 0; i < s.n; i++) {
        const tf_opt *o = &s.t[i];
        tf_diag why = {{0}};
        if (o->def && takes_value(o) && !store(o, o->def, base, &why)) {
            fprintf(stderr, "%s: internal error: the default \"%s\" of --%s: %s\n", cmd->prog,
                    o->def, o->name ? o->name : "?", why.msg);
            return 1;
        }
    }
    /* getopt_long's tables: every named entry as a long option whose code
     * is LONG_BASE + its index; the letters in shorts after "-" (hand
     * positionals over in order instead of permuting argv) and ":" (report
     * a missing value as ':', not '?'). */
    struct option *longs = calloc(s.n + 1, sizeof *longs);
    char *shorts = malloc(2 * s.n + 3);
    s.seen = calloc(s.n + 1, sizeof *s.seen);
    int st = 1;
    if (longs && shorts && s.seen) {
        size_t k = 0, m = 0;
        shorts[m++] = '-';
        shorts[m++] = ':';
        for (size_t i = 0; i < s.n; i++) {
            const tf_opt *o = &s.t[i];
            if (o->name) {
                longs[k].name = o->name;
                longs[k].has_arg = takes_value(o) ? required_argument : no_argument;
                longs[k].val = LONG_BASE + (int)i;
                k++;
            }
            if (o->letter) {
                shorts[m++] = o->letter;
                if (takes_value(o))
                    shorts[m++] = ':';
            }
        }
        shorts[m] = '\0';
        st = scan_args(&s, longs, shorts);
        if (given)
            memcpy(given, s.seen, s.n * sizeof *given);
    } else {
        fprintf(stderr, "%s: out of memory\n", cmd->prog);
    }
    free(longs);
    free(shorts);
    free(s.seen);
    return st;
}

/* See opt.h. */
bool tf_opt_given(const tf_opt_cmd *cmd, const bool *given, const char *name)
{
    for (size_t i = 0; cmd->opts[i].kind != TF_OPT_END; i++)
        if (cmd->opts[i].name && !strcmp(cmd->opts[i].name, name))
            return given[i];
    return false;
}

/* ----- help --------------------------------------------------------------- */

/* The left column of an entry: "  -x, --name ARG", "      --name ARG"
 * (when some entry has a letter, so the long names line up), "  --name
 * ARG" or "  ARG" (a positional). Returns its length. */
static size_t left_column(const tf_opt *o, bool letters, char *buf, size_t n)
{
    int len;
    if (o->kind == TF_OPT_ARG)
        len = snprintf(buf, n, "  %s", o->arg);
    else if (o->letter && o->name)
        len = snprintf(buf, n, "  -%c, --%s%s%s", o->letter, o->name, o->arg ? " " : "",
                       o->arg ? o->arg : "");
    else if (o->letter)
        len = snprintf(buf, n, "  -%c%s%s", o->letter, o->arg ? " " : "", o->arg ? o->arg : "");
    else
        len = snprintf(buf, n, "  %s--%s%s%s", letters ? "    " : "", o->name, o->arg ? " " : "",
                       o->arg ? o->arg : "");
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

/* Print text word by word from column indent, wrapping before
 * HELP_WIDTH; used is how much of the current line is already taken.
 * "\n" in text starts a new line. Ends the line. */
static void put_wrapped(FILE *f, const char *text, size_t indent, size_t used)
{
    size_t pos = used;
    for (; pos < indent; pos++)
        fputc(' ', f);
    bool fresh = true; /* no word on this line yet */
    const char *p = text;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p == '\n' || (!fresh && pos + 1 + strcspn(p, " \n") > HELP_WIDTH)) {
            fputc('\n', f);
            for (pos = 0; pos < indent; pos++)
                fputc(' ', f);
            fresh = true;
            if (*p == '\n')
                p++;
            continue;
        }
        size_t w = strcspn(p, " \n");
        if (!fresh) {
            fputc(' ', f);
            pos++;
        }
        fwrite(p, 1, w, f);
        pos += w;
        p += w;
        fresh = false;
    }
    fputc('\n', f);
}

/* The entry's help text plus what the table knows: "(RANGE; default
 * DEF; required)". */
static void help_text(const tf_opt *o, char *buf, size_t n)
{
    char range[96], extra[512] = "";
    range_text(o, range, sizeof range);
    size_t k = 0;
    if (range[0])
        k += (size_t)snprintf(extra + k, sizeof extra - k, "%s", range);
    if (o->def && k < sizeof extra)
        k += (size_t)snprintf(extra + k, sizeof extra - k, "%sdefault %s", k ? "; " : "", o->def);
    if (o->required && o->kind != TF_OPT_ARG && k < sizeof extra) /* ARGs: see the synopsis */
        snprintf(extra + k, sizeof extra - k, "%srequired", k ? "; " : "");
    const char *h = o->help ? o->help : "";
    if (extra[0])
        snprintf(buf, n, "%s%s(%s)", h, h[0] ? " " : "", extra);
    else
        snprintf(buf, n, "%s", h);
}

/* See opt.h. */
void tf_opt_help(const tf_opt_cmd *cmd, FILE *f)
{
    const tf_opt *t = cmd->opts;
    bool letters = false;
    size_t col = 0;
    char left[128], text[2048];
    for (size_t i = 0; t[i].kind != TF_OPT_END; i++)
        letters = letters || t[i].letter;
    for (size_t i = 0; t[i].kind != TF_OPT_END; i++) {
        if (t[i].kind == TF_OPT_HEADING)
            continue;
        size_t w = left_column(&t[i], letters, left, sizeof left);
        if (w <= HELP_COL_MAX && w > col)
            col = w;
    }
    col += 2;
    if (cmd->synopsis)
        fprintf(f, "%s\n", cmd->synopsis);
    for (size_t i = 0; t[i].kind != TF_OPT_END; i++) {
        if (t[i].kind == TF_OPT_HEADING) {
            if (i > 0)
                fputc('\n', f);
            put_wrapped(f, t[i].help, 0, 0);
            continue;
        }
        size_t w = left_column(&t[i], letters, left, sizeof left);
        fputs(left, f);
        if (w + 2 > col) { /* too wide: the help goes below */
            fputc('\n', f);
            w = 0;
        }
        help_text(&t[i], text, sizeof text);
        put_wrapped(f, text, col, w);
    }
    if (cmd->epilog)
        fprintf(f, "\n%s", cmd->epilog);
}
