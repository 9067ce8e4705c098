/* opt.h: command-line options described once, in a table.
 *
 * Every subcommand (run, gen maze, serve, show) describes its options in a
 * const array of tf_opt: the long name, an optional short letter, the
 * value's name and help text, the kind of value with its range and
 * default, and where the value goes (an offset into the subcommand's own
 * options struct). tf_opt_parse reads argv with getopt_long against that
 * table, and tf_opt_help prints the options part of --help from it, so
 * parsing, ranges, defaults and help cannot drift apart (after IOR's
 * option_help and curl's aliases table).
 *
 * What the parser promises:
 * - "--name=value" and "--name value" both work; a short letter takes
 *   "-x value" (or "-xvalue"); flags cluster ("-qh").
 * - Long names must be spelled out: getopt_long's unique-prefix
 *   abbreviations are refused, so adding an option never breaks a script.
 * - Options and positional arguments may come in any order; after "--"
 *   everything is a positional argument.
 * - Every error names the option and the value, e.g.
 *   tracefarm serve: --rate-500 "2": must be a number from 0 to 1
 *   followed by "try 'PROG --help'", and nothing else has happened.
 */
#ifndef TRACEFARM_OPT_H
#define TRACEFARM_OPT_H

#include "tracefarm/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What an entry of the table is, and the C type of its destination. */
typedef enum tf_opt_kind {
    TF_OPT_END = 0, /* ends a table: {0} */
    TF_OPT_HEADING, /* not an option: a heading line in --help (the help text) */
    TF_OPT_FLAG,    /* no value; sets a bool to true */
    TF_OPT_INT,     /* an int in [lo, hi] (decimal, as strtol reads it) */
    TF_OPT_LONG,    /* a long in [lo, hi] */
    TF_OPT_U64,     /* a uint64_t: decimal digits only, any 64-bit value */
    TF_OPT_NUM,     /* a double in [lo, hi], or in (lo, hi] with lo_open */
    TF_OPT_STR,     /* a const char *: points into argv (or at def) */
    TF_OPT_CUSTOM,  /* converted and stored by fn (e.g. "R|auto") */
    TF_OPT_HELP,    /* no value: tf_opt_parse prints the help on stdout, returns 0 */
    TF_OPT_ARG,     /* a positional argument, a const char *; ARGs fill in table order */
} tf_opt_kind;

typedef struct tf_opt tf_opt;

/* Converter of a TF_OPT_CUSTOM entry: store the value text val in dest
 * (the caller's struct plus o->off) and return true, or return false with
 * why saying what the value must be ("must be auto or an integer from 1 to
 * 4096"); the parser adds the option and the value in front. */
typedef bool (*tf_opt_fn)(const tf_opt *o, const char *val, void *dest, tf_diag *why);

/* One entry of an option table. Fields a kind does not use stay 0. */
struct tf_opt {
    tf_opt_kind kind;
    const char *name; /* long name without "--" ("max-body"); NULL for HEADING, ARG */
    char letter;      /* short option letter, or 0 */
    const char *arg;  /* the value's name in --help ("BYTES"); ARG: the argument's name */
    const char *help; /* wrapped by tf_opt_help; "\n" forces a line break */
    size_t off;       /* where the value goes: offsetof(the caller's struct, field) */
    double lo, hi;    /* INT, LONG, NUM: the accepted range (integers exact up to 2^53);
                         CUSTOM: free for fn to use */
    bool lo_open;     /* NUM: lo itself is not accepted */
    const char *def;  /* default, converted like a given value before argv is read
                         and shown in --help; NULL: the field keeps what the
                         caller put there */
    bool required;    /* an option that must be given, an ARG that must be present */
    tf_opt_fn fn;     /* CUSTOM: the converter */
};

/* A subcommand: its name for messages, its table, and the hand-written
 * parts of its --help around the generated options. */
typedef struct tf_opt_cmd {
    const char *prog;     /* "tracefarm serve": starts every message */
    const char *synopsis; /* printed first by --help ("usage: ...\n\nWhat it does.\n") */
    const char *epilog;   /* printed last, after a blank line; NULL for none */
    const tf_opt *opts;   /* the table, ended by {0} */
} tf_opt_cmd;

/* tf_opt_parse's "no exit status yet": the options were read, go on. */
#define TF_OPT_GO_ON (-1)

/* Parse argv[1..argc) (argv[0] is the subcommand's name) into the struct
 * at base: first every default (def) is stored, then the arguments are
 * read in order. given, when not NULL, has one bool per table entry (END
 * excluded) and is set for every option given and every ARG present.
 * Returns TF_OPT_GO_ON, or an exit status: 0 after --help was printed on
 * stdout, 2 after a usage error was printed on stderr, 1 when the table
 * itself is broken (a default that does not convert) or memory ran out.
 * argv is not reordered; values stored as strings point into argv. Not
 * thread-safe (getopt_long's state is global). */
int tf_opt_parse(const tf_opt_cmd *cmd, void *base, int argc, char **argv, bool *given) TF_MUST_USE;

/* Print the whole --help to f: the synopsis, the options (one entry per
 * table row, help wrapped at 80 columns, with the range, the default and
 * "required" of options added from the table), then the epilog. */
void tf_opt_help(const tf_opt_cmd *cmd, FILE *f);

/* Report a usage error found after parsing (a combination of options, say)
 * in the parser's words: "PROG: WHAT \"VAL\": MESSAGE" (VAL may be NULL)
 * and the "try" line, on stderr. Returns 2, the usage exit status. */
int tf_opt_usage_error(const tf_opt_cmd *cmd, const char *what, const char *val, const char *fmt,
                       ...) TF_PRINTF(4, 5);

/* Whether the option called name (long name without "--") was given,
 * according to the given array filled by tf_opt_parse. False for a name
 * the table does not have. */
bool tf_opt_given(const tf_opt_cmd *cmd, const bool *given, const char *name);

/* The integer conversion of TF_OPT_LONG, for custom converters: the whole
 * of s, in [lo, hi]. */
bool tf_opt_long_in(const char *s, long lo, long hi, long *out) TF_MUST_USE;

#endif
