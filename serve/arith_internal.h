/* arith_internal.h: what the two arith files of "tracefarm serve" share
 * (private to serve/): the corpus loader (arith_corpus.c) checks each
 * reference with the rule the model (arith_model.c) answers by. */
#ifndef TRACEFARM_SERVE_ARITH_INTERNAL_H
#define TRACEFARM_SERVE_ARITH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Does the reference s[0..n) end its text with a line "#### N", N one
 * plain number literal ("18", "1,200", "2.5", "-3")? The model answers
 * only such references; the loader refuses the others. */
bool tf_srv_arith_has_final(const char *s, size_t n);

#endif
