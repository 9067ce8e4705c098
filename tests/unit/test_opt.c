/* test_opt.c: the option tables of opt.h: every kind of value, ranges,
 * missing values, unknown and abbreviated options, "--name=value" and
 * "--name value", flags and clusters, positional arguments, required
 * options, defaults, and the generated help. */
#include "tf_test.h"
#include "tracefarm/opt.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct topts {
    bool verbose, quiet;
    int rows;
    long port;
    uint64_t seed;
    double rate, coverage;
    const char *host, *out, *file, *extra;
    int size; /* --size N|auto: 0 for auto */
} topts;

/* --size: "auto" or an integer in the entry's range. */
static bool size_value(const tf_opt *o, const char *val, void *dest, tf_diag *why)
{
    long n = 0;
    if (strcmp(val, "auto") != 0 && !tf_opt_long_in(val, (long)o->lo, (long)o->hi, &n)) {
        tf_diag_set(why, "must be auto or an integer from %.0f to %.0f", o->lo, o->hi);
        return false;
    }
    *(int *)dest = (int)n;
    return true;
}

static const tf_opt table[] = {
    {.kind = TF_OPT_HEADING, .help = "general:"},
    {.kind = TF_OPT_ARG,
     .arg = "FILE",
     .help = "the input",
     .off = offsetof(topts, file),
     .required = true},
    {.kind = TF_OPT_ARG, .arg = "EXTRA", .help = "another one", .off = offsetof(topts, extra)},
    {.kind = TF_OPT_FLAG,
     .name = "verbose",
     .letter = 'v',
     .help = "say more",
     .off = offsetof(topts, verbose)},
    {.kind = TF_OPT_FLAG,
     .name = "quiet",
     .letter = 'q',
     .help = "say less",
     .off = offsetof(topts, quiet)},
    {.kind = TF_OPT_INT,
     .name = "rows",
     .arg = "R",
     .help = "rows of the grid",
     .off = offsetof(topts, rows),
     .lo = 1,
     .hi = 4096,
     .def = "30"},
    {.kind = TF_OPT_LONG,
     .name = "port",
     .letter = 'p',
     .arg = "P",
     .help = "TCP port",
     .off = offsetof(topts, port),
     .lo = 0,
     .hi = 65535,
     .def = "8000"},
    {.kind = TF_OPT_U64,
     .name = "seed",
     .arg = "S",
     .help = "the seed",
     .off = offsetof(topts, seed),
     .def = "1"},
    {.kind = TF_OPT_HEADING, .help = "numbers:"},
    {.kind = TF_OPT_NUM,
     .name = "rate",
     .arg = "P",
     .help = "a probability",
     .off = offsetof(topts, rate),
     .lo = 0,
     .hi = 1,
     .def = "0"},
    {.kind = TF_OPT_NUM,
     .name = "coverage",
     .arg = "F",
     .help = "a fraction that must not be zero; this help text is long enough to be wrapped "
             "over more than one line of the generated help",
     .off = offsetof(topts, coverage),
     .lo = 0,
     .hi = 1,
     .lo_open = true,
     .def = "0.5"},
    {.kind = TF_OPT_STR,
     .name = "host",
     .arg = "ADDR",
     .help = "address",
     .off = offsetof(topts, host),
     .def = "127.0.0.1"},
    {.kind = TF_OPT_STR,
     .name = "out",
     .arg = "FILE",
     .help = "output",
     .off = offsetof(topts, out),
     .required = true},
    {.kind = TF_OPT_CUSTOM,
     .name = "size",
     .arg = "N|auto",
     .help = "a size or auto",
     .off = offsetof(topts, size),
     .lo = 1,
     .hi = 99,
     .fn = size_value,
     .def = "auto"},
    {.kind = TF_OPT_STR,
     .name = "a-very-long-option-name-indeed",
     .arg = "VALUE",
     .help = "its help goes on the next line",
     .off = offsetof(topts, extra)},
    {.kind = TF_OPT_HELP, .name = "help", .letter = 'h', .help = "this text"},
    {0}};

static const tf_opt_cmd cmd = {.prog = "tracefarm test",
                               .synopsis = "usage: tracefarm test FILE [EXTRA] [options]\n",
                               .epilog = "the end\n",
                               .opts = table};

#define NENTRIES (sizeof table / sizeof *table - 1)
#define END ((const char *)NULL)

static char err_text[4096], out_text[16384];

/* Read the file at path into buf (NUL-terminated). */
static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = '\0';
    if (f)
        fclose(f);
}

/* Parse "test ARGS..." into *o with stderr and stdout captured in
 * err_text and out_text; returns tf_opt_parse's result. Checks that argv
 * was not reordered. */
static int parse(topts *o, bool *given, ...)
{
    char *argv[64];
    char *copy[64];
    int argc = 0;
    argv[argc++] = "test";
    va_list ap;
    va_start(ap, given);
    for (const char *a = va_arg(ap, const char *); a && argc < 62; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    memcpy(copy, argv, sizeof argv);
    memset(o, 0, sizeof *o);

    char errp[1024], outp[1024];
    snprintf(errp, sizeof errp, "%s/opt_%ld.err", TF_TEST_TMP, (long)getpid());
    snprintf(outp, sizeof outp, "%s/opt_%ld.out", TF_TEST_TMP, (long)getpid());
    fflush(stdout);
    fflush(stderr);
    int saved_err = dup(2), saved_out = dup(1);
    int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fe, 2);
    dup2(fo, 1);
    int st = tf_opt_parse(&cmd, o, argc, argv, given);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_err, 2);
    dup2(saved_out, 1);
    close(saved_err);
    close(saved_out);
    close(fe);
    close(fo);
    slurp(errp, err_text, sizeof err_text);
    slurp(outp, out_text, sizeof out_text);
    unlink(errp);
    unlink(outp);
    CHECK(memcmp(copy, argv, sizeof argv) == 0);
    return st;
}

/* The first line of err_text equals want, and the second is the "try"
 * line. */
static bool err_is(const char *want)
{
    size_t n = strlen(want);
    return strncmp(err_text, want, n) == 0 &&
           !strcmp(err_text + n, "\ntry 'tracefarm test --help'\n");
}

static void test_values(void)
{
    topts o;
    bool given[NENTRIES];
    CHECK(parse(&o, given, "in.txt", "--out", "o.txt", END) == TF_OPT_GO_ON);
    CHECK(err_text[0] == '\0' && out_text[0] == '\0');
    /* defaults from the table */
    CHECK(o.rows == 30 && o.port == 8000 && o.seed == 1 && o.rate == 0.0 && o.coverage == 0.5);
    CHECK(!strcmp(o.host, "127.0.0.1") && o.size == 0 && !o.verbose && !o.quiet);
    CHECK(!strcmp(o.file, "in.txt") && !strcmp(o.out, "o.txt") && o.extra == NULL);
    CHECK(given[1] && !given[2] && tf_opt_given(&cmd, given, "out") &&
          !tf_opt_given(&cmd, given, "port") && !tf_opt_given(&cmd, given, "nosuch"));

    /* --name=value and --name value, short letters, clusters, in any
     * order with the positionals */
    CHECK(parse(&o, given, "--port=81", "in", "--rows", "7", "-qv", "--seed",
                "18446744073709551615", "--rate=0.25", "x", "--coverage", "1", "--host=", "-p",
                "82", "--out=o", "--size", "12", END) == TF_OPT_GO_ON);
    CHECK(o.port == 82 && o.rows == 7 && o.quiet && o.verbose && o.seed == UINT64_MAX);
    CHECK(o.rate == 0.25 && o.coverage == 1.0 && !strcmp(o.host, "") && o.size == 12);
    CHECK(!strcmp(o.file, "in") && !strcmp(o.extra, "x") && !strcmp(o.out, "o"));
    CHECK(tf_opt_given(&cmd, given, "port") && tf_opt_given(&cmd, given, "quiet") && given[2]);
    CHECK(parse(&o, NULL, "-p82", "--out", "o", "in", END) == TF_OPT_GO_ON && o.port == 82);
    /* the last of a repeated option wins */
    CHECK(parse(&o, NULL, "--rows", "3", "in", "--out", "o", "--rows=4", END) == TF_OPT_GO_ON &&
          o.rows == 4);
    /* a value may look like an option: it is the next word */
    CHECK(parse(&o, NULL, "in", "--out", "--quiet", END) == TF_OPT_GO_ON &&
          !strcmp(o.out, "--quiet") && !o.quiet);
    /* after "--" everything is positional */
    CHECK(parse(&o, NULL, "--out", "o", "--", "-in", "--port", END) == TF_OPT_GO_ON &&
          !strcmp(o.file, "-in") && !strcmp(o.extra, "--port") && o.port == 8000);
    /* "-" alone is a positional */
    CHECK(parse(&o, NULL, "--out", "o", "-", END) == TF_OPT_GO_ON && !strcmp(o.file, "-"));
}

static void test_errors(void)
{
    topts o;
    /* ranges */
    CHECK(parse(&o, NULL, "in", "--out", "o", "--port", "65536", END) == 2);
    CHECKF(err_is("tracefarm test: --port \"65536\": must be an integer from 0 to 65535"), "%s",
           err_text);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rows=0", END) == 2);
    CHECK(err_is("tracefarm test: --rows \"0\": must be an integer from 1 to 4096"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rows", "3x", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rows", "", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rows", "99999999999999999999", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rate", "2", END) == 2);
    CHECKF(err_is("tracefarm test: --rate \"2\": must be a number from 0 to 1"), "%s", err_text);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rate", "nan", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rate", "-0.1", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--rate", "0.5x", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--coverage", "0", END) == 2);
    CHECKF(err_is("tracefarm test: --coverage \"0\": must be a number greater than 0 and at "
                  "most 1"),
           "%s", err_text);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--seed", "-1", END) == 2);
    CHECK(err_is("tracefarm test: --seed \"-1\": must be an unsigned 64-bit integer"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--seed", "18446744073709551616", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--seed", " 5", END) == 2);
    CHECK(parse(&o, NULL, "in", "--out", "o", "--size", "100", END) == 2);
    CHECKF(err_is("tracefarm test: --size \"100\": must be auto or an integer from 1 to 99"), "%s",
           err_text);
    /* a failed value leaves the field at its default */
    CHECK(o.size == 0 && o.rows == 30);

    /* missing values */
    CHECK(parse(&o, NULL, "in", "--out", "o", "--port", END) == 2);
    CHECK(err_is("tracefarm test: --port: needs a value"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "-p", END) == 2);
    CHECK(err_is("tracefarm test: --port: needs a value"));

    /* unknown and abbreviated options, values on flags */
    CHECK(parse(&o, NULL, "in", "--out", "o", "--bogus", END) == 2);
    CHECK(err_is("tracefarm test: --bogus: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--bogus=1", END) == 2);
    CHECK(err_is("tracefarm test: --bogus: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "-x", END) == 2);
    CHECK(err_is("tracefarm test: -x: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--verb", END) == 2);
    CHECK(err_is("tracefarm test: --verb: unknown option"));
    CHECK(parse(&o, NULL, "in", "--ou", "o", END) == 2);
    CHECK(err_is("tracefarm test: --ou: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--por=1", END) == 2);
    CHECK(err_is("tracefarm test: --por: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--po", END) == 2);
    CHECK(err_is("tracefarm test: --po: unknown option"));
    CHECK(parse(&o, NULL, "in", "--out", "o", "--verbose=1", END) == 2);
    CHECK(err_is("tracefarm test: --verbose: takes no value"));

    /* positionals and required options */
    CHECK(parse(&o, NULL, "--out", "o", END) == 2);
    CHECK(err_is("tracefarm test: missing FILE: the input"));
    CHECK(parse(&o, NULL, "a", "b", "c", "--out", "o", END) == 2);
    CHECKF(err_is("tracefarm test: \"c\": unexpected argument (EXTRA was given already)"), "%s",
           err_text);
    CHECK(parse(&o, NULL, "in", END) == 2);
    CHECK(err_is("tracefarm test: --out: is required"));

    /* errors in order: the first one is reported */
    CHECK(parse(&o, NULL, "--bogus", "--port", "x", END) == 2);
    CHECK(err_is("tracefarm test: --bogus: unknown option"));

    /* messages from the caller in the same words */
    fflush(stderr);
    int saved = dup(2), dn = open("/dev/null", O_WRONLY);
    dup2(dn, 2);
    int st = tf_opt_usage_error(&cmd, "--rate", NULL, "the rates add up to %d", 2);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(dn);
    CHECK(st == 2);
}

/* A table whose default does not convert is a bug: exit status 1. */
static void test_bad_table(void)
{
    static const tf_opt bad[] = {{.kind = TF_OPT_LONG,
                                  .name = "n",
                                  .arg = "N",
                                  .lo = 0,
                                  .hi = 9,
                                  .def = "10",
                                  .off = offsetof(topts, port)},
                                 {0}};
    static const tf_opt_cmd bad_cmd = {.prog = "bad", .synopsis = "usage: bad\n", .opts = bad};
    topts o;
    char *argv[] = {"bad", NULL};
    int saved = dup(2), dn = open("/dev/null", O_WRONLY);
    dup2(dn, 2);
    int st = tf_opt_parse(&bad_cmd, &o, 1, argv, NULL);
    dup2(saved, 2);
    close(saved);
    close(dn);
    CHECK(st == 1);
}

/* --help prints the synopsis, every entry from the table (with range,
 * default and "required"), wrapped within 79 columns, and the epilog. */
static void test_help(void)
{
    topts o;
    CHECK(parse(&o, NULL, "--help", END) == 0); /* before FILE and --out are checked */
    CHECK(err_text[0] == '\0');
    const char *h = out_text;
    printf("%s", h);
    CHECK(!strncmp(h, "usage: tracefarm test FILE [EXTRA] [options]\n\ngeneral:\n", 55));
    CHECK(strstr(h, "\n  FILE ") && strstr(h, "the input\n"));
    CHECK(strstr(h, "\n  -v, --verbose "));
    CHECK(strstr(h, "\n      --rows R "));
    CHECK(strstr(h, "rows of the grid (1 to 4096; default 30)\n"));
    CHECK(strstr(h, "\n  -p, --port P "));
    CHECK(strstr(h, "TCP port (0 to 65535; default 8000)\n"));
    CHECK(strstr(h, "the seed (default 1)\n"));
    CHECK(strstr(h, "\n\nnumbers:\n"));
    CHECK(strstr(h, "(greater than 0 and at most 1; default 0.5)"));
    CHECK(strstr(h, "output (required)\n"));
    CHECK(strstr(h, "a size or auto (default auto)\n"));
    CHECK(strstr(h, "\n      --a-very-long-option-name-indeed VALUE\n"));
    CHECK(strstr(h, "\n  -h, --help "));
    size_t n = strlen(h);
    CHECK(n > 8 && !strcmp(h + n - 9, "\nthe end\n"));
    /* every line within 79 columns, and the help texts in one column */
    const char *line = h;
    long col = -1;
    bool aligned = true;
    while (*line) {
        size_t len = strcspn(line, "\n");
        CHECKF(len <= 79, "%.*s", (int)len, line);
        if (!strncmp(line, "  -q, --quiet", 13)) {
            col = (long)(strstr(line, "say less") - line);
        } else if (col > 0 && !strncmp(line, "      --rows R", 14)) {
            aligned = aligned && strstr(line, "rows of the grid") - line == col;
        }
        line += len + (line[len] == '\n');
    }
    CHECK(col > 0 && aligned);
    /* the wrapped help text of --coverage continues in the help column */
    const char *cov = strstr(h, "      --coverage F");
    const char *next = cov ? strchr(cov, '\n') + 1 : NULL;
    CHECK(next && col > 0 && strspn(next, " ") == (size_t)col);

    /* tf_opt_help writes the same text to any stream */
    char path[1024];
    snprintf(path, sizeof path, "%s/opt_help_%ld.txt", TF_TEST_TMP, (long)getpid());
    FILE *f = fopen(path, "w");
    tf_opt_help(&cmd, f);
    fclose(f);
    static char again[16384];
    slurp(path, again, sizeof again);
    unlink(path);
    CHECK(!strcmp(again, out_text));
    /* -h as well */
    CHECK(parse(&o, NULL, "-h", END) == 0 && !strcmp(out_text, again));
    /* an error before --help wins */
    CHECK(parse(&o, NULL, "--port", "x", "--help", END) == 2 && out_text[0] == '\0');
}

int main(void)
{
    mkdir(TF_TEST_TMP, 0755);
    test_values();
    test_errors();
    test_bad_table();
    test_help();
    return tf_test_done();
}
