/* test_arith_gsm8k.c: the arith module on real data: every reference
 * solution of the GSM8K test split (shared/data/gsm8k/test.jsonl, 1,319
 * problems) scanned as if it were a model's output.
 *
 *   - every calculator annotation <<...>> is found (counted here by a
 *     plain search for "<<" ... ">>", independently of the module) and
 *     checks out exactly;
 *   - every final answer is read from "#### N", with the value of N as
 *     this file reads it (digits, commas, sign);
 *   - the complexity (operations of the annotations) equals the operators
 *     counted here character by character;
 *   - an injected error (one intermediate result changed from where it is
 *     computed on: in its annotation, its shown result and every later
 *     use) makes a wrong step in every problem with an annotation;
 *   - the inline equations of the prose: found / ok / wrong / unparsed are
 *     printed, every step that is not ok is listed with its problem and
 *     text, and each must be one of the known cases of docs/arith.md,
 *     checked by problem, offset and text (KNOWN below), both ways.
 *
 * Usage: test_arith_gsm8k PATH/test.jsonl  (exit 77: the file is missing). */
#include "tf_test.h"
#include "tracefarm/arith.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The inline steps of the references that are not ok: real slips of the
 * data (wrong) and forms the scanner leaves unparsed on purpose
 * (docs/arith.md, "GSM8K"). problem: 0-based line of test.jsonl; off: byte
 * offset of the step in the answer text; text: the step as scanned. */
typedef struct known {
    int problem;
    size_t off;
    const char *verdict;
    const char *text;
} known;

static const known KNOWN[] = {
#include "test_arith_gsm8k_known.h"
    {-1, 0, "", ""}, /* the end */
};
static const size_t NKNOWN = sizeof KNOWN / sizeof *KNOWN - 1;

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    if (s && fread(s, 1, (size_t)len, f) != (size_t)len) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[len] = '\0';
        *n = (size_t)len;
    }
    return s;
}

/* Annotations and their operators, counted without the module: "<<" up to
 * ">>"; operators are + * / anywhere before the "=", and a "-" after a
 * digit or ")" (not a sign). */
static void count_plain(const char *s, long *annotations, long *ops)
{
    for (const char *p = strstr(s, "<<"); p; p = strstr(p, "<<")) {
        const char *e = strstr(p + 2, ">>");
        if (!e)
            break;
        (*annotations)++;
        for (const char *q = p + 2; q < e && *q != '='; q++) {
            if (*q == '*' || *q == '/')
                (*ops)++;
            else if ((*q == '-' || *q == '+') && q > p + 2 &&
                     ((q[-1] >= '0' && q[-1] <= '9') || q[-1] == ')'))
                (*ops)++; /* not a sign */
        }
        p = e + 2;
    }
}

/* The value after "####", read here: sign, digits, commas, decimals. */
static int hash_value(const char *s, mpq_t out)
{
    const char *h = strstr(s, "####");
    if (!h)
        return 0;
    h += 4;
    while (*h == ' ')
        h++;
    char buf[128];
    size_t k = 0;
    for (; *h && *h != '\n' && k + 1 < sizeof buf; h++)
        if (*h != ',')
            buf[k++] = *h;
    buf[k] = '\0';
    char *dot = strchr(buf, '.');
    int places = 0;
    if (dot) {
        places = (int)strlen(dot + 1);
        memmove(dot, dot + 1, strlen(dot + 1) + 1);
    }
    if (mpz_set_str(mpq_numref(out), buf, 10) != 0)
        return 0;
    mpz_ui_pow_ui(mpq_denref(out), 10, (unsigned long)places);
    mpq_canonicalize(out);
    return 1;
}

/* Is s[i..i+k) the whole number tok (not part of a longer one)? */
static int whole_at(const char *s, size_t n, size_t i, const char *tok, size_t k)
{
    if (i + k > n || memcmp(s + i, tok, k) != 0)
        return 0;
    char b = i ? s[i - 1] : ' ';
    char a = i + k < n ? s[i + k] : ' ';
    char a2 = i + k + 1 < n ? s[i + k + 1] : ' ';
    if ((b >= '0' && b <= '9') || b == '.' || b == ',')
        return 0;
    if (a >= '0' && a <= '9')
        return 0;
    if ((a == '.' || a == ',') && a2 >= '0' && a2 <= '9')
        return 0;
    return 1;
}

/* "1234567" -> "1,234,567" */
static void grouped(const char *plain, char *out, size_t n)
{
    size_t len = strlen(plain), j = 0;
    for (size_t i = 0; i < len && j + 2 < n; i++) {
        out[j++] = plain[i];
        size_t left = len - 1 - i;
        if (left && left % 3 == 0)
            out[j++] = ',';
    }
    out[j] = '\0';
}

/* The result R of annotation number k of s ("=R>>") and where R starts,
 * when R is a number [-]I[.F] or [-].F; else 0. */
static int result_of(const char *s, long k, char *r, size_t rn, size_t *at)
{
    const char *p = s;
    for (long i = 0; i <= k; i++) {
        p = strstr(p, "<<");
        if (i < k)
            p = strstr(p, ">>") + 2;
    }
    const char *end = strstr(p, ">>");
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq)
        return 0;
    size_t rl = (size_t)(end - eq - 1);
    if (rl == 0 || rl >= rn)
        return 0;
    memcpy(r, eq + 1, rl);
    r[rl] = '\0';
    const char *q = r + (r[0] == '-');
    size_t il = strspn(q, "0123456789");
    const char *frac = q + il;
    if (il > 40 || (il == 0 && *frac != '.') ||
        (*frac &&
         (*frac != '.' || frac[1] == '\0' || strspn(frac + 1, "0123456789") != strlen(frac + 1))))
        return 0;
    *at = (size_t)(eq + 1 - s) + (r[0] == '-');
    return 1;
}

/* Change the result R of one annotation of s (the middle one, or the next
 * with a plain number as result) to R + 1 (on its magnitude: -10 becomes
 * -11), from its "=R>>" on: there and at every later whole occurrence of
 * R, plain or with grouping commas. Returns the new text (caller frees) or
 * NULL when no annotation has a plain number as result. */
static char *inject(const char *s, size_t n, size_t *out_n)
{
    long count = 0, ops = 0;
    count_plain(s, &count, &ops);
    char r[64] = "";
    size_t from = 0;
    long pick = -1;
    for (long j = 0; j < count && pick < 0; j++) {
        long k = (count / 2 + j) % count;
        if (result_of(s, k, r, sizeof r, &from))
            pick = k;
    }
    if (pick < 0)
        return NULL;
    const char *mag = r + (r[0] == '-'); /* I[.F] or .F */
    size_t il = strspn(mag, "0123456789");
    const char *frac = mag + il;
    char ip[48], ip2[48], r1[96], r2[96], g[96], g2[96];
    memcpy(ip, mag, il);
    ip[il] = '\0';
    mpz_t z;
    mpz_init_set_str(z, il ? ip : "0", 10);
    mpz_add_ui(z, z, 1);
    gmp_snprintf(ip2, sizeof ip2, "%Zd", z);
    mpz_clear(z);
    snprintf(r1, sizeof r1, "%s%s", ip, frac);
    snprintf(r2, sizeof r2, "%s%s", ip2, frac);
    grouped(ip, g, sizeof g - 48);
    strcat(g, frac);
    grouped(ip2, g2, sizeof g2 - 48);
    strcat(g2, frac);
    size_t rl = strlen(r1);
    char *o = malloc(2 * n + 64);
    size_t j = from;
    memcpy(o, s, from);
    for (size_t i = from; i < n;) {
        if (strcmp(g, r1) != 0 && whole_at(s, n, i, g, strlen(g))) {
            memcpy(o + j, g2, strlen(g2));
            j += strlen(g2);
            i += strlen(g);
        } else if (whole_at(s, n, i, r1, rl)) {
            memcpy(o + j, r2, strlen(r2));
            j += strlen(r2);
            i += rl;
        } else {
            o[j++] = s[i++];
        }
    }
    o[j] = '\0';
    *out_n = j;
    return o;
}

static long wrong_steps(const tf_arith_scan *sc)
{
    return tf_arith_scan_tally(sc, -1).wrong;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_arith_gsm8k PATH/test.jsonl\n");
        return 2;
    }
    size_t len = 0;
    char *all = read_all(argv[1], &len);
    if (!all) {
        fprintf(stderr, "test_arith_gsm8k: %s is missing: skipped\n", argv[1]);
        return 77;
    }
    clock_t t0 = clock();
    long problems = 0, plain_ann = 0, plain_ops = 0, ann_steps = 0, ann_ok = 0, answers = 0;
    long complexity = 0, injected = 0, found = 0, not_ok = 0, matched = 0;
    tf_arith_tally inl = {0, 0, 0};
    int seen[sizeof KNOWN / sizeof *KNOWN];
    memset(seen, 0, sizeof seen);
    mpq_t want;
    mpq_init(want);
    for (char *line = all, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        const cJSON *ans = cJSON_GetObjectItemCaseSensitive(j, "answer");
        CHECKF(cJSON_IsString(ans), "problem %ld: no answer", problems);
        if (!cJSON_IsString(ans)) {
            cJSON_Delete(j);
            problems++;
            continue;
        }
        const char *a = ans->valuestring;
        size_t an = strlen(a);
        long pa = 0, po = 0;
        count_plain(a, &pa, &po);
        plain_ann += pa;
        plain_ops += po;

        tf_arith_scan *sc = NULL;
        tf_diag d = {{0}};
        CHECKF(tf_arith_scan_text(a, an, NULL, &sc, &d) == TF_OK, "problem %ld: %s", problems,
               d.msg);
        for (size_t i = 0; sc && i < tf_arith_scan_count(sc); i++) {
            const tf_arith_step *st = tf_arith_scan_step(sc, i);
            if (st->kind == TF_ARITH_ANNOTATION) {
                ann_steps++;
                bool ok = st->verdict == TF_ARITH_OK && !st->rounded;
                ann_ok += ok;
                CHECKF(ok, "problem %ld: annotation %.*s: %s %s", problems, (int)st->len,
                       a + st->off, tf_arith_verdict_name(st->verdict), st->why);
                continue;
            }
            if (st->verdict == TF_ARITH_OK) {
                inl.ok++;
                continue;
            }
            if (st->verdict == TF_ARITH_WRONG)
                inl.wrong++;
            else
                inl.unparsed++;
            not_ok++;
            size_t k = 0;
            while (k < NKNOWN &&
                   !(KNOWN[k].problem == problems && KNOWN[k].off == st->off &&
                     strcmp(KNOWN[k].verdict, tf_arith_verdict_name(st->verdict)) == 0 &&
                     strlen(KNOWN[k].text) == st->len &&
                     memcmp(KNOWN[k].text, a + st->off, st->len) == 0))
                k++;
            printf("  %s problem %ld at %zu: \"%.*s\" (%s: %s)\n",
                   tf_arith_verdict_name(st->verdict), problems, st->off, (int)st->len, a + st->off,
                   tf_arith_reason_name(st->reason), st->why);
            CHECKF(k < NKNOWN,
                   "problem %ld: a step not in the known list: {%ld, %zu, \"%s\", \"%.*s\"}",
                   problems, problems, st->off, tf_arith_verdict_name(st->verdict), (int)st->len,
                   a + st->off);
            if (k < NKNOWN) {
                seen[k]++;
                matched++;
            }
        }

        tf_arith_reference ref;
        tf_arith_reference_init(&ref);
        CHECK(tf_arith_reference_parse(a, an, NULL, &ref, &d) == TF_OK);
        CHECKF(ref.annotations == pa, "problem %ld: %ld annotations, counted %ld", problems,
               ref.annotations, pa);
        CHECKF(pa == 0 ? ref.complexity == -1 : ref.complexity == po,
               "problem %ld: complexity %ld, counted %ld", problems, ref.complexity, po);
        complexity += ref.complexity > 0 ? ref.complexity : 0;
        bool got = hash_value(a, want) && ref.answer.status == TF_ARITH_ANSWER_FOUND &&
                   ref.answer.method == TF_ARITH_ANS_HASH &&
                   tf_arith_answer_matches(&ref.answer, want, 0);
        answers += got;
        CHECKF(got, "problem %ld: answer %s via %s", problems,
               ref.answer.status == TF_ARITH_ANSWER_FOUND ? "found" : "not found",
               tf_arith_method_name(ref.answer.method));
        tf_arith_reference_clear(&ref);

        size_t mn = 0;
        char *m = inject(a, an, &mn);
        if (m) {
            injected++;
            tf_arith_scan *ms = NULL;
            CHECK(tf_arith_scan_text(m, mn, NULL, &ms, &d) == TF_OK);
            bool hit = ms && sc && wrong_steps(ms) > wrong_steps(sc);
            found += hit;
            CHECKF(hit, "problem %ld: injected error not found:\n%s", problems, m);
            tf_arith_scan_free(ms);
            free(m);
        } else {
            CHECKF(pa == 0, "problem %ld: no error could be injected", problems);
        }
        tf_arith_scan_free(sc);
        cJSON_Delete(j);
        problems++;
    }
    for (size_t k = 0; k < NKNOWN; k++)
        CHECKF(seen[k] == 1, "known step {%d, %zu, \"%s\"} seen %d times", KNOWN[k].problem,
               KNOWN[k].off, KNOWN[k].text, seen[k]);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("GSM8K test split: %ld problems, %.2f s\n", problems, secs);
    printf("annotations: %ld counted, %ld steps, %ld exact\n", plain_ann, ann_steps, ann_ok);
    printf("answers from ####: %ld of %ld\n", answers, problems);
    printf("complexity: %ld operations in all annotations (counted: %ld)\n", complexity, plain_ops);
    printf("injected errors: %ld found of %ld\n", found, injected);
    printf("inline equations: %ld found, %ld ok, %ld wrong, %ld unparsed (%ld known)\n",
           inl.ok + inl.wrong + inl.unparsed, inl.ok, inl.wrong, inl.unparsed, matched);
    CHECK(problems == 1319);
    CHECK(plain_ann == 4282 && ann_steps == plain_ann && ann_ok == ann_steps);
    CHECK(answers == problems);
    CHECK(found == injected && injected > 0);
    CHECK(plain_ops == complexity);
    mpq_clear(want);
    free(all);
    return tf_test_done();
}
