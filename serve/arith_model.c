/* arith_model.c: the synthetic arith "model" behind tracefarm serve.
 *
 * A pure function of (options, reference solution, sample seed): the
 * answer is the GSM8K reference solution, in one of three styles (GSM8K's
 * own with calculator annotations, prose equations, prose with a boxed
 * answer), with at most one injected flaw drawn from the seed:
 *
 *   carried  one written step's result r becomes r' != r, and the rest of
 *            the working uses r': every later step whose numbers change is
 *            recomputed exactly (tf_arith_eval), so only that step is
 *            wrong and the final answer changes;
 *   fixed    one written step's result becomes r', the rest is untouched
 *            (later steps use the right r): one wrong step, right answer;
 *   final    the steps are untouched, the final answer is another number.
 *
 * Every injected answer is checked before it is returned: rescanned with
 * tf_arith_scan_text and tf_arith_find_answer, it must have exactly the
 * steps of the uninjected answer in the same style, the same unparsed
 * ones, one more wrong written step (carried, fixed; none for final),
 * and a final answer that differs from the reference's (carried, final)
 * or equals it (fixed). A step whose change does not give that is passed
 * over for the next one; when none does, the answer stays correct and
 * info->mode says so (the draw is kept in info->drawn). docs/serve.md,
 * "Arithmetic", has the rules.
 */
#include "arith_internal.h"
#include "tracefarm/arith.h"
#include "tracefarm/rng.h"
#include "tracefarm/serve.h"

#include <stdlib.h>
#include <string.h>

#define SALT_ARITH UINT64_C(0x6172697468) /* "arith" */
#define MAX_TOKEN 64                      /* digits and commas of a number we rewrite */
#define MAX_MAP 1024                      /* values carried at once */
#define MAX_TRIES 16                      /* steps tried for one injection */
#define MAX_DELTA 9                       /* r' = r +- 1..9 */

static const char *const mode_names[TF_SERVE_ARITH_MODE_COUNT] = {"correct", "carried", "fixed",
                                                                  "final"};
static const char *const style_names[TF_SERVE_ARITH_STYLE_COUNT] = {"gsm8k", "prose", "boxed"};

const char *tf_serve_arith_mode_name(tf_serve_arith_mode m)
{
    return (int)m >= 0 && m < TF_SERVE_ARITH_MODE_COUNT ? mode_names[m] : NULL;
}

const char *tf_serve_arith_style_name(tf_serve_arith_style s)
{
    return (int)s >= 0 && s < TF_SERVE_ARITH_STYLE_COUNT ? style_names[s] : NULL;
}

/* ----- number tokens ------------------------------------------------------ */

/* A plain number literal of the text: digits with optional thousands
 * commas (groups of exactly three) and an optional decimal part, or a
 * leading point (".25"). No sign, no currency, no percent: those stay
 * around it as prose. */
typedef struct numtok {
    size_t off, len;
    bool commas;  /* written with thousands commas */
    int decimals; /* digits after the point */
} numtok;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The token starting at s[i], if one does: a digit (or a point before a
 * digit) that does not continue a number (no digit, point or comma right
 * before it). Tokens longer than MAX_TOKEN are not tokens (left alone). */
static bool tok_at(const char *s, size_t n, size_t i, numtok *t)
{
    if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.' || s[i - 1] == ','))
        return false;
    size_t j = i;
    memset(t, 0, sizeof *t);
    if (is_digit(s[j])) {
        while (j < n && is_digit(s[j]))
            j++;
        while (j + 3 < n && s[j] == ',' && is_digit(s[j + 1]) && is_digit(s[j + 2]) &&
               is_digit(s[j + 3]) && (j + 4 >= n || !is_digit(s[j + 4]))) {
            t->commas = true;
            j += 4;
        }
    } else if (!(s[j] == '.' && j + 1 < n && is_digit(s[j + 1]))) {
        return false;
    }
    if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
        j++;
        while (j < n && is_digit(s[j])) {
            j++;
            t->decimals++;
        }
    }
    t->off = i;
    t->len = j - i;
    return t->len <= MAX_TOKEN;
}

/* The exact value of a token. */
static void tok_value(const char *s, const numtok *t, mpq_t v)
{
    char digits[MAX_TOKEN + 1];
    size_t k = 0;
    for (size_t i = 0; i < t->len; i++)
        if (is_digit(s[t->off + i]))
            digits[k++] = s[t->off + i];
    digits[k] = '\0';
    mpz_set_str(mpq_numref(v), k ? digits : "0", 10);
    mpz_ui_pow_ui(mpq_denref(v), 10, (unsigned long)t->decimals);
    mpq_canonicalize(v);
}

/* Is s[0..n) exactly one token (surrounding spaces allowed)? Its token in t. */
static bool one_token(const char *s, size_t n, size_t base, numtok *t)
{
    size_t b = 0, e = n;
    while (b < e && s[b] == ' ')
        b++;
    while (e > b && s[e - 1] == ' ')
        e--;
    if (b == e || !tok_at(s, e, b, t) || t->off + t->len != e)
        return false;
    t->off += base;
    return true;
}

/* Append v in the manner of a token written with (commas, decimals): a
 * terminating non-negative value as a decimal, grouped with commas when
 * the original was and padded to its decimals when that is exact; a
 * negative or non-terminating value in brackets ("(-5)", "(10/3)") so that
 * it stays one operand wherever it stands. */
static tf_err put_value(tf_buf *out, const mpq_t v, bool commas, int decimals)
{
    tf_buf t;
    tf_buf_init(&t, out->limit);
    tf_err e = tf_arith_format(v, &t);
    if (e != TF_OK) {
        tf_buf_free(&t);
        return e;
    }
    const char *s = t.data ? t.data : "";
    bool plain = mpq_sgn(v) >= 0 && !strchr(s, '/');
    if (!plain) {
        e = tf_buf_printf(out, "(%s)", s);
        tf_buf_free(&t);
        return e;
    }
    const char *dot = strchr(s, '.');
    size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
    int have = dot ? (int)strlen(dot + 1) : 0;
    for (size_t i = 0; i < ilen && e == TF_OK; i++) {
        if (commas && i > 0 && (ilen - i) % 3 == 0)
            e = tf_buf_append(out, ",", 1);
        if (e == TF_OK)
            e = tf_buf_append(out, s + i, 1);
    }
    if (e == TF_OK && dot)
        e = tf_buf_puts(out, dot);
    if (e == TF_OK && have < decimals) {
        if (!dot)
            e = tf_buf_append(out, ".", 1);
        for (int k = have; k < decimals && e == TF_OK; k++)
            e = tf_buf_append(out, "0", 1);
    }
    tf_buf_free(&t);
    return e;
}

/* ----- the value map of a carried slip ------------------------------------ */

/* Old value -> the value now shown for it, set where a step's result
 * changes (the latest setting of a value wins). */
typedef struct vmap {
    mpq_t *old, *now;
    size_t n;
} vmap;

static void vmap_free(vmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        mpq_clear(m->old[i]);
        mpq_clear(m->now[i]);
    }
    free(m->old);
    free(m->now);
    memset(m, 0, sizeof *m);
}

static const mpq_t *vmap_get(const vmap *m, const mpq_t v)
{
    for (size_t i = m->n; i-- > 0;)
        if (mpq_equal(m->old[i], v))
            return (const mpq_t *)&m->now[i];
    return NULL;
}

static tf_err vmap_set(vmap *m, const mpq_t old, const mpq_t now)
{
    for (size_t i = 0; i < m->n; i++)
        if (mpq_equal(m->old[i], old)) {
            mpq_set(m->now[i], now);
            return TF_OK;
        }
    if (m->n == MAX_MAP)
        return TF_ERR_TOO_BIG;
    if (!m->old) {
        m->old = malloc(MAX_MAP * sizeof *m->old);
        m->now = malloc(MAX_MAP * sizeof *m->now);
        if (!m->old || !m->now) {
            free(m->old);
            free(m->now);
            m->old = m->now = NULL;
            return TF_ERR_NOMEM;
        }
    }
    mpq_init(m->old[m->n]);
    mpq_init(m->now[m->n]);
    mpq_set(m->old[m->n], old);
    mpq_set(m->now[m->n], now);
    m->n++;
    return TF_OK;
}

/* Append s[b..e) with every token whose value the map changes rewritten;
 * *changed is set when one was. */
static tf_err put_mapped(tf_buf *out, const char *s, size_t b, size_t e, const vmap *m,
                         bool *changed)
{
    mpq_t v;
    mpq_init(v);
    tf_err err = TF_OK;
    size_t i = b, from = b;
    while (i < e && err == TF_OK) {
        numtok t;
        if (!tok_at(s, e, i, &t)) {
            i++;
            continue;
        }
        tok_value(s, &t, v);
        const mpq_t *now = m->n ? vmap_get(m, v) : NULL;
        if (now && !mpq_equal(*now, v)) {
            err = tf_buf_append(out, s + from, i - from);
            if (err == TF_OK)
                err = put_value(out, *now, t.commas, t.decimals);
            from = i + t.len;
            if (changed)
                *changed = true;
        }
        i += t.len;
    }
    if (err == TF_OK)
        err = tf_buf_append(out, s + from, e - from);
    mpq_clear(v);
    return err;
}

/* ----- the reference -------------------------------------------------------- */

/* A written step whose result can be changed: an annotation, or an
 * equation of the prose not tied to one, that checks out and whose right
 * side is one plain number. */
typedef struct site {
    size_t step;     /* its index in the scan of the working */
    bool annotation; /* an annotation <<e=r>> (else an inline equation) */
    numtok res;      /* the result literal */
    numtok shown;    /* annotation: the number shown right after ">>" when it
                        is the result (len 0: none) */
    size_t act;      /* where the slip starts: the annotation, or the result */
} site;

/* The reference cut in two: the working and the final answer. */
typedef struct ref {
    const char *w; /* the working: the text before the "####" line */
    size_t wn;
    numtok fin; /* the final answer's literal, in final[] (after a '-') */
    const char *final;
    size_t finaln;
    mpq_t answer; /* its value */
} ref;

/* Split a GSM8K reference at its last line starting with "####", which
 * must be its last line that is not blank; the final answer must be one
 * plain number literal, with a '-' or not. */
static bool ref_split(const char *s, size_t n, ref *r)
{
    size_t at = n;
    for (size_t i = 0; i + 4 <= n; i++)
        if ((i == 0 || s[i - 1] == '\n') && memcmp(s + i, "####", 4) == 0)
            at = i;
    if (at == n)
        return false;
    size_t b = at + 4, e = b;
    while (e < n && s[e] != '\n')
        e++;
    for (size_t i = e; i < n; i++) /* nothing but blank lines after it */
        if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
            return false;
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
        e--;
    r->final = s + b;
    r->finaln = e - b;
    bool neg = b < e && s[b] == '-';
    if (!one_token(r->final + neg, r->finaln - neg, neg, &r->fin))
        return false;
    tok_value(r->final, &r->fin, r->answer);
    if (neg)
        mpq_neg(r->answer, r->answer);
    size_t wn = at;
    while (wn > 0 && (s[wn - 1] == '\n' || s[wn - 1] == '\r' || s[wn - 1] == ' '))
        wn--;
    r->w = s;
    r->wn = wn;
    return true;
}

/* See arith_internal.h. */
bool tf_srv_arith_has_final(const char *s, size_t n)
{
    ref r;
    mpq_init(r.answer);
    bool ok = ref_split(s, n, &r);
    mpq_clear(r.answer);
    return ok;
}

/* The sites of a scanned working, in text order of their results. */
static size_t find_sites(const char *w, size_t wn, const tf_arith_scan *sc, site *out, size_t cap)
{
    size_t k = 0, n = tf_arith_scan_count(sc);
    for (size_t i = 0; i < n && k < cap; i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        if (st->verdict != TF_ARITH_OK || st->rounded || !st->has_rhs || st->approx)
            continue;
        bool ann = st->kind == TF_ARITH_ANNOTATION;
        if (!ann && st->link >= 0)
            continue; /* the annotation it shows is the site */
        site s;
        memset(&s, 0, sizeof s);
        s.step = i;
        s.annotation = ann;
        if (!one_token(w + st->rhs_off, st->rhs_len, st->rhs_off, &s.res))
            continue;
        if (ann) {
            numtok t;
            size_t end = st->off + st->len;
            if (end < wn && tok_at(w, wn, end, &t)) {
                mpq_t v;
                mpq_init(v);
                tok_value(w, &t, v);
                if (mpq_equal(v, st->rhs))
                    s.shown = t;
                mpq_clear(v);
            }
            s.act = st->off;
        } else {
            s.act = s.res.off;
        }
        out[k++] = s;
    }
    return k;
}

/* ----- the injections (on the working, annotations kept) -------------------- */

/* fixed: the site's result, and the number shown for it, become r'. */
static tf_err inject_fixed(const char *w, size_t wn, const site *s, const mpq_t r2, tf_buf *out)
{
    tf_err e = tf_buf_append(out, w, s->res.off);
    if (e == TF_OK)
        e = put_value(out, r2, s->res.commas, s->res.decimals);
    size_t from = s->res.off + s->res.len;
    if (e == TF_OK && s->shown.len) {
        e = tf_buf_append(out, w + from, s->shown.off - from);
        if (e == TF_OK)
            e = put_value(out, r2, s->shown.commas, s->shown.decimals);
        from = s->shown.off + s->shown.len;
    }
    if (e == TF_OK)
        e = tf_buf_append(out, w + from, wn - from);
    return e;
}

/* The value of the expression s[b..e) once the map is applied, into v,
 * when the map changes one of its numbers (*changed); else v is left
 * alone. TF_ERR_PARSE when the changed expression has no value. */
static tf_err mapped_value(const char *s, size_t b, size_t e, const vmap *m, mpq_t v, bool *changed)
{
    tf_buf t;
    tf_buf_init(&t, (e - b) * 4 + 1024);
    *changed = false;
    tf_err err = put_mapped(&t, s, b, e, m, changed);
    if (err == TF_OK && *changed &&
        tf_arith_eval(t.data ? t.data : "", t.len, NULL, v, NULL, NULL) != TF_OK)
        err = TF_ERR_PARSE;
    tf_buf_free(&t);
    return err;
}

/* carried: the site's result becomes r'; from there on every number whose
 * value the slip changed is shown with its new value, and every step that
 * checks out in the reference gets the result of its (changed) left side.
 * The final answer (fin, final[]) follows. TF_ERR_PARSE when a changed
 * step cannot be evaluated. */
static tf_err inject_carried(const char *w, size_t wn, const tf_arith_scan *sc, const site *sites,
                             size_t nsites, size_t k, const mpq_t r2, const ref *rf, tf_buf *out,
                             tf_buf *fin)
{
    const site *s = &sites[k];
    vmap m = {0};
    mpq_t v, r;
    mpq_init(v);
    mpq_init(r);
    tf_err e = tf_buf_append(out, w, s->act);
    size_t pos = s->act, n = tf_arith_scan_count(sc), si = k;
    /* events in text order: every annotation from the site on, and the
     * result of every inline site from it on */
    for (size_t i = 0; i < n && e == TF_OK; i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        bool ann = st->kind == TF_ARITH_ANNOTATION;
        while (si < nsites && sites[si].step < i)
            si++;
        bool is_site = si < nsites && sites[si].step == i;
        if (!ann && !is_site)
            continue;
        size_t at = ann ? st->off : sites[si].res.off;
        if (at < pos)
            continue;
        e = put_mapped(out, w, pos, at, &m, NULL);
        if (e != TF_OK)
            break;
        if (ann && !(st->verdict == TF_ARITH_OK && st->has_lhs && st->has_rhs) && !is_site) {
            /* not a step to recompute: its numbers follow the slip */
            e = put_mapped(out, w, st->off, st->off + st->len, &m, NULL);
            pos = st->off + st->len;
            continue;
        }
        const numtok *res = is_site ? &sites[si].res : NULL;
        numtok rt;
        if (!res) {
            if (!one_token(w + st->rhs_off, st->rhs_len, st->rhs_off, &rt)) {
                e = put_mapped(out, w, st->off, st->off + st->len, &m, NULL);
                pos = st->off + st->len;
                continue;
            }
            res = &rt;
        }
        tok_value(w, res, r);
        mpq_set(v, r);
        if (is_site && si == k) {
            mpq_set(v, r2);
        } else {
            bool changed; /* unchanged: the result stays as written */
            e = mapped_value(w, st->lhs_off, st->lhs_off + st->lhs_len, &m, v, &changed);
        }
        if (e != TF_OK)
            break;
        if (ann) /* "<<", the left side mapped, the text up to the result */
            e = put_mapped(out, w, st->off, res->off, &m, NULL);
        if (e == TF_OK)
            e = mpq_equal(v, r) ? tf_buf_append(out, w + res->off, res->len)
                                : put_value(out, v, res->commas, res->decimals);
        if (e == TF_OK)
            e = vmap_set(&m, r, v);
        pos = res->off + res->len;
        if (e == TF_OK && ann) {
            e = tf_buf_append(out, w + pos, st->off + st->len - pos);
            pos = st->off + st->len;
        }
    }
    if (e == TF_OK)
        e = put_mapped(out, w, pos, wn, &m, NULL);
    if (e == TF_OK)
        e = put_mapped(fin, rf->final, 0, rf->finaln, &m, NULL);
    vmap_free(&m);
    mpq_clear(v);
    mpq_clear(r);
    return e;
}

/* ----- styles ---------------------------------------------------------------- */

/* The working of a style from a working with annotations: gsm8k keeps it;
 * prose and boxed drop each annotation shown by an equation of the prose
 * (linked to it by the scan, or right after an "="), and write the others
 * as prose equations ("runs <<9*60=540>>540 m" is "runs 9*60 = 540 m"). */
static tf_err render_working(tf_serve_arith_style style, const char *w, size_t wn, tf_buf *out)
{
    if (style == TF_SERVE_ARITH_GSM8K)
        return tf_buf_append(out, w, wn);
    tf_arith_scan *sc = NULL;
    tf_err e = tf_arith_scan_text(w, wn, NULL, &sc, NULL);
    if (e != TF_OK)
        return e;
    size_t pos = 0, n = tf_arith_scan_count(sc);
    for (size_t i = 0; i < n && e == TF_OK; i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        if (st->kind != TF_ARITH_ANNOTATION || st->off < pos)
            continue;
        e = tf_buf_append(out, w + pos, st->off - pos);
        size_t before = st->off;
        while (before > pos && (w[before - 1] == ' ' || w[before - 1] == '$'))
            before--;
        bool prose_eq = before > 0 && w[before - 1] == '='; /* "... = <<...>>30" */
        pos = st->off + st->len;
        if (e != TF_OK || st->link >= 0 || prose_eq || !st->lhs_len)
            continue; /* shown by the prose (or not an equation): dropped */
        if (st->off > 0 && is_alnum(w[st->off - 1]))
            e = tf_buf_append(out, " ", 1);
        if (e == TF_OK)
            e = tf_buf_append(out, w + st->lhs_off, st->lhs_len);
        if (e == TF_OK)
            e = tf_buf_puts(out, " = ");
        numtok t;
        bool shown = pos < wn && tok_at(w, wn, pos, &t);
        if (e == TF_OK && !shown)
            e = tf_buf_append(out, w + st->rhs_off, st->rhs_len);
    }
    if (e == TF_OK)
        e = tf_buf_append(out, w + pos, wn - pos);
    tf_arith_scan_free(sc);
    return e;
}

/* The whole answer: the working in the style, a newline, and the final
 * answer's sentence, which starts at *answer_at. */
static tf_err render(tf_serve_arith_style style, const char *w, size_t wn, const char *fin,
                     size_t finn, tf_buf *out, size_t *answer_at)
{
    size_t start = out->len;
    tf_err e = render_working(style, w, wn, out);
    if (e == TF_OK && out->len > start)
        e = tf_buf_append(out, "\n", 1);
    *answer_at = out->len - start;
    if (e != TF_OK)
        return e;
    static const char *const pre[TF_SERVE_ARITH_STYLE_COUNT] = {"#### ", "The answer is ",
                                                                "The final answer is $\\boxed{"};
    static const char *const post[TF_SERVE_ARITH_STYLE_COUNT] = {"", ".", "}$."};
    e = tf_buf_puts(out, pre[style]);
    if (e == TF_OK)
        e = tf_buf_append(out, fin, finn);
    if (e == TF_OK)
        e = tf_buf_puts(out, post[style]);
    return e;
}

/* ----- checking an answer ------------------------------------------------------ */

/* What a rescan of an answer shows: its steps and the final answer. */
typedef struct seen {
    long steps, unparsed, wrong; /* wrong: written steps (an annotation and the
                                    prose equation showing it count once) */
    long first_wrong;            /* index of the first wrong step, -1 */
    bool found;                  /* a final answer was read */
    bool right;                  /* ... and it equals the reference's */
} seen;

static tf_err look(const char *t, size_t n, const mpq_t want, seen *v)
{
    memset(v, 0, sizeof *v);
    v->first_wrong = -1;
    tf_arith_scan *sc = NULL;
    tf_err e = tf_arith_scan_text(t, n, NULL, &sc, NULL);
    if (e != TF_OK)
        return e;
    size_t cnt = tf_arith_scan_count(sc);
    for (size_t i = 0; i < cnt; i++) {
        const tf_arith_step *st = tf_arith_scan_step(sc, i);
        v->steps++;
        if (st->verdict == TF_ARITH_UNPARSED)
            v->unparsed++;
        if (st->verdict != TF_ARITH_WRONG)
            continue;
        if (v->first_wrong < 0)
            v->first_wrong = (long)i;
        bool twin = st->kind == TF_ARITH_INLINE && st->link >= 0 &&
                    tf_arith_scan_step(sc, (size_t)st->link)->verdict == TF_ARITH_WRONG;
        if (!twin)
            v->wrong++;
    }
    tf_arith_scan_free(sc);
    tf_arith_answer a;
    tf_arith_answer_init(&a);
    e = tf_arith_find_answer(t, n, NULL, &a);
    v->found = e == TF_OK && a.status == TF_ARITH_ANSWER_FOUND;
    v->right = v->found && tf_arith_answer_matches(&a, want, 0);
    tf_arith_answer_clear(&a);
    return e;
}

/* ----- the model ------------------------------------------------------------- */

/* One attempt at injecting mode at site k (k unused for final): the
 * answer into out, checked against the uninjected answer base. Returns
 * TF_OK (kept), TF_ERR_PARSE (no place here: out is to be dropped) or
 * another error. */
static tf_err attempt(tf_serve_arith_mode mode, tf_serve_arith_style style, const ref *rf,
                      const tf_arith_scan *sc, const site *sites, size_t nsites, size_t k,
                      const mpq_t r2, const seen *base, tf_buf *out, size_t *answer_at)
{
    tf_buf w, fin;
    tf_buf_init(&w, out->limit);
    tf_buf_init(&fin, 4096);
    tf_err e = TF_OK;
    if (mode == TF_SERVE_ARITH_FINAL) {
        mpq_t a;
        mpq_init(a);
        mpq_abs(a, r2);
        e = tf_buf_append(&w, rf->w, rf->wn);
        if (e == TF_OK && mpq_sgn(r2) < 0)
            e = tf_buf_append(&fin, "-", 1);
        if (e == TF_OK)
            e = put_value(&fin, a, rf->fin.commas, rf->fin.decimals);
        mpq_clear(a);
    } else if (mode == TF_SERVE_ARITH_FIXED) {
        e = inject_fixed(rf->w, rf->wn, &sites[k], r2, &w);
        if (e == TF_OK)
            e = tf_buf_append(&fin, rf->final, rf->finaln);
    } else {
        e = inject_carried(rf->w, rf->wn, sc, sites, nsites, k, r2, rf, &w, &fin);
    }
    size_t start = out->len;
    if (e == TF_OK)
        e = render(style, w.data ? w.data : "", w.len, fin.data ? fin.data : "", fin.len, out,
                   answer_at);
    seen got;
    if (e == TF_OK)
        e = look(out->data + start, out->len - start, rf->answer, &got);
    if (e == TF_OK) {
        long want_wrong = base->wrong + (mode == TF_SERVE_ARITH_FINAL ? 0 : 1);
        bool want_right = mode == TF_SERVE_ARITH_FIXED;
        if (got.steps != base->steps || got.unparsed != base->unparsed || got.wrong != want_wrong ||
            !got.found || got.right != want_right)
            e = TF_ERR_PARSE;
        else if (mode != TF_SERVE_ARITH_FINAL && base->wrong == 0 &&
                 style == TF_SERVE_ARITH_GSM8K && got.first_wrong != (long)sites[k].step &&
                 got.first_wrong + 1 != (long)sites[k].step)
            e = TF_ERR_PARSE; /* the wrong step must be the site (or its prose twin) */
    }
    tf_buf_free(&w);
    tf_buf_free(&fin);
    return e;
}

/* r' = r + d or r - d (d in 1..9, drawn; the minus only when it stays
 * positive), never r. */
static void slip(const mpq_t r, tf_rng *g, mpq_t out)
{
    unsigned long d = 1 + (unsigned long)tf_rng_below(g, MAX_DELTA);
    bool minus = tf_rng_below(g, 2) != 0;
    mpq_t dq;
    mpq_init(dq);
    mpq_set_ui(dq, d, 1);
    mpq_sub(out, r, dq);
    if (!minus || mpq_sgn(out) <= 0)
        mpq_add(out, r, dq);
    mpq_clear(dq);
}

/* See serve.h. The stream is drawn in a fixed order (the mode's uniform,
 * the style, the step, the slip) whatever the options, so that changing
 * one option never changes the other choices of a sample. */
tf_err tf_serve_arith_answer(const tf_serve_arith_opts *o, const char *reference, size_t len,
                             uint64_t seed, tf_buf *out, tf_serve_arith_info *info)
{
    memset(info, 0, sizeof *info);
    info->step = -1;
    tf_rng g = {tf_mix64(seed ^ SALT_ARITH)};
    double u = tf_rng_unit(&g);
    unsigned drawn_style = (unsigned)tf_rng_below(&g, TF_SERVE_ARITH_STYLE_COUNT);
    tf_rng gs = {tf_rng_next(&g)};
    tf_serve_arith_mode mode = TF_SERVE_ARITH_CORRECT;
    if (u < o->carry_rate)
        mode = TF_SERVE_ARITH_CARRIED;
    else if (u < o->carry_rate + o->fix_rate)
        mode = TF_SERVE_ARITH_FIXED;
    else if (u < o->carry_rate + o->fix_rate + o->final_rate)
        mode = TF_SERVE_ARITH_FINAL;
    tf_serve_arith_style style = o->style == TF_SERVE_ARITH_MIX ? (tf_serve_arith_style)drawn_style
                                                                : (tf_serve_arith_style)o->style;
    info->drawn = mode;
    info->style = style;

    ref rf;
    memset(&rf, 0, sizeof rf);
    mpq_init(rf.answer);
    mpq_t r, r2;
    mpq_init(r);
    mpq_init(r2);
    tf_arith_scan *sc = NULL;
    site *sites = NULL;
    tf_buf basebuf;
    tf_buf_init(&basebuf, out->limit);
    size_t start = out->len;
    tf_err e = TF_OK;
    if (!reference || !ref_split(reference, len, &rf)) {
        e = TF_ERR_PARSE; /* the corpus loader refuses such references */
        goto done;
    }
    e = tf_arith_scan_text(rf.w, rf.wn, NULL, &sc, NULL);
    if (e != TF_OK)
        goto done;
    size_t cap = tf_arith_scan_count(sc);
    sites = calloc(cap ? cap : 1, sizeof *sites);
    if (!sites) {
        e = TF_ERR_NOMEM;
        goto done;
    }
    size_t nsites = find_sites(rf.w, rf.wn, sc, sites, cap);
    size_t at, base_at;
    e = render(style, rf.w, rf.wn, rf.final, rf.finaln, &basebuf, &base_at);
    seen base;
    if (e == TF_OK)
        e = look(basebuf.data, basebuf.len, rf.answer, &base);
    if (e != TF_OK)
        goto done;
    info->reference_wrong = base.wrong > 0;

    /* an intermediate result: not the last site, unless it is the only one */
    size_t ncand = nsites > 1 ? nsites - 1 : nsites;
    size_t k0 = ncand ? (size_t)tf_rng_below(&gs, ncand) : 0;
    tf_rng gd = {tf_rng_next(&gs)};
    bool done_inject = false;
    if (mode == TF_SERVE_ARITH_FINAL) {
        slip(rf.answer, &gd, r2);
        e = attempt(mode, style, &rf, sc, sites, nsites, 0, r2, &base, out, &at);
        done_inject = e == TF_OK;
    } else if (mode != TF_SERVE_ARITH_CORRECT) {
        for (size_t t = 0; t < ncand && t < MAX_TRIES; t++) {
            size_t k = (k0 + t) % ncand;
            tok_value(rf.w, &sites[k].res, r);
            slip(r, &gd, r2);
            e = attempt(mode, style, &rf, sc, sites, nsites, k, r2, &base, out, &at);
            if (e == TF_OK) {
                info->step = (long)k;
                done_inject = true;
                break;
            }
            out->len = start; /* dropped */
            if (out->data)
                out->data[start] = '\0';
            if (e != TF_ERR_PARSE)
                break;
        }
    }
    if (e != TF_OK && e != TF_ERR_PARSE)
        goto done;
    e = TF_OK;
    if (done_inject) {
        info->mode = mode;
    } else {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        e = tf_buf_append(out, basebuf.data, basebuf.len);
        info->mode = TF_SERVE_ARITH_CORRECT;
        at = base_at;
    }
    info->answer_at = at;
done:
    if (e != TF_OK) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    tf_buf_free(&basebuf);
    free(sites);
    tf_arith_scan_free(sc);
    mpq_clear(r);
    mpq_clear(r2);
    mpq_clear(rf.answer);
    return e;
}
