/* fuzz_arith_scan.c: the step scanner, the answer finder and the
 * reference reader (arith.h) on any text. Bad arithmetic is a verdict, so
 * everything must return normally, and the results must hold together:
 * steps in text order within the text, verdicts with their reasons, links
 * both ways, the last result a step with a value, tallies that add up,
 * messages in UTF-8, the answer inside the text. */
#include "tracefarm/arith.h"
#include "tracefarm/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_scan(const char *s, size_t n, const tf_arith_scan *sc)
{
    size_t count = tf_arith_scan_count(sc);
    long ok = 0, wrong = 0, unparsed = 0;
    for (size_t i = 0; i < count; i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        if (st->index != i || st->off > n || st->len > n - st->off)
            abort();
        if (st->lhs_off > n || st->lhs_len > n - st->lhs_off || st->rhs_off > n ||
            st->rhs_len > n - st->rhs_off)
            abort();
        if (i > 0 && tf_arith_scan_step(sc, i - 1)->off > st->off)
            abort();
        if ((st->verdict == TF_ARITH_OK) != (st->reason == TF_ARITH_R_NONE) ||
            (st->verdict == TF_ARITH_OK) != (st->why[0] == '\0'))
            abort();
        if (st->verdict == TF_ARITH_WRONG && st->reason != TF_ARITH_R_MISMATCH &&
            st->reason != TF_ARITH_R_UNDEFINED)
            abort();
        if (st->verdict == TF_ARITH_OK && (!st->has_lhs || !st->has_rhs))
            abort();
        if (st->verdict == TF_ARITH_OK && !st->rounded && !mpq_equal(st->lhs, st->rhs)) {
            /* only the percent readings make unequal values ok without rounding */
            if (!memchr(s + st->off, '%', st->len))
                abort();
        }
        if (st->link >= 0) {
            const tf_arith_step *o = tf_arith_scan_step(sc, (size_t)st->link);
            if (!o || o->kind == st->kind || o->link != (long)i)
                abort();
        }
        if (tf_utf8_invalid_at(st->why, strlen(st->why)) != strlen(st->why))
            abort();
        ok += st->verdict == TF_ARITH_OK;
        wrong += st->verdict == TF_ARITH_WRONG;
        unparsed += st->verdict == TF_ARITH_UNPARSED;
    }
    tf_arith_tally t = tf_arith_scan_tally(sc, -1);
    if (t.ok != ok || t.wrong != wrong || t.unparsed != unparsed)
        abort();
    const tf_arith_step *last = tf_arith_scan_last_result(sc);
    if (last && !last->has_rhs)
        abort();
    if (!last)
        for (size_t i = 0; i < count; i++)
            if (tf_arith_scan_step(sc, i)->has_rhs)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    tf_arith_opts o = {0};
    o.max_steps = 4096;
    tf_arith_scan *sc = NULL;
    tf_err err = tf_arith_scan_text(s, size, &o, &sc, NULL);
    if ((err == TF_OK) != (sc != NULL))
        abort();
    if (sc)
        check_scan(s, size, sc);
    else if (err != TF_ERR_TOO_BIG && err != TF_ERR_NOMEM)
        abort();
    tf_arith_scan_free(sc);

    tf_arith_answer a;
    tf_arith_answer_init(&a);
    err = tf_arith_find_answer(s, size, NULL, &a);
    if (err == TF_OK) {
        if (a.off > size || a.len > size - a.off)
            abort();
        if ((a.status == TF_ARITH_ANSWER_NONE) != (a.method == TF_ARITH_ANS_NONE))
            abort();
        if (a.status == TF_ARITH_ANSWER_UNREADABLE &&
            (!a.why[0] || tf_utf8_invalid_at(a.why, strlen(a.why)) != strlen(a.why)))
            abort();
    } else if (err != TF_ERR_TOO_BIG && err != TF_ERR_NOMEM) {
        abort();
    }
    tf_arith_answer_clear(&a);

    tf_arith_reference r;
    tf_arith_reference_init(&r);
    err = tf_arith_reference_parse(s, size, &o, &r, NULL);
    if (err == TF_OK && (r.annotations < 0 || r.complexity < -1 || r.wrong > r.annotations * 64))
        abort();
    tf_arith_reference_clear(&r);
    return 0;
}
