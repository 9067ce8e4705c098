/* test_serve.c: tracefarm serve, the synthetic maze model and its server.
 *
 * The model and the replay table are tested as functions; the server is
 * tested for real: this binary re-executes itself as "test_serve serve
 * ARGS..." (which runs tf_serve_main, exactly what "tracefarm serve ARGS"
 * runs), on 127.0.0.1 with an ephemeral port read from --port-file, and
 * talks HTTP to it with libcurl. Every server is stopped by the test
 * (SIGTERM, then SIGKILL after 10 s, which counts as a failure) and every
 * request has a client timeout, so nothing can be left running.
 */
#include "tf_test.h"
#include "tracefarm/maze_verify.h"
#include "tracefarm/serve.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define END ((const char *)NULL)

/* ----- helpers ------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *tmp_path(const char *name)
{
    static char buf[16][1024];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, 1024, "%s/serve-%ld-%s", TF_TEST_TMP, (long)getpid(), name);
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    tf_buf b;
    tf_buf_init(&b, (size_t)1 << 26);
    char chunk[4096];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = tf_buf_append(&b, chunk, n) == TF_OK;
    fclose(f);
    if (!ok) {
        tf_buf_free(&b);
        return NULL;
    }
    if (!b.data)
        return strdup("");
    return tf_buf_steal(&b);
}

/* A maze of kind k from seed, its prompt in dialect d. */
static tf_maze *make_maze(tf_maze_gen k, int rows, int cols, uint64_t seed, tf_maze_dialect d,
                          tf_buf *prompt)
{
    tf_maze *m = NULL;
    if (tf_maze_generate(k, rows, cols, 0.5, seed, &m, NULL) != TF_OK)
        return NULL;
    tf_buf_init(prompt, (size_t)1 << 24);
    if (tf_maze_write_prompt(m, d, prompt) != TF_OK) {
        tf_maze_free(m);
        return NULL;
    }
    return m;
}

/* Verify an answer against m: *v gets the verdict. */
static bool verify(const tf_maze *m, tf_maze_dialect d, const char *text, tf_maze_verdict *v)
{
    return tf_maze_verify(m, d, text, strlen(text), v) == TF_OK;
}

/* ----- the model, as a function --------------------------------------------- */

static tf_serve_model_opts opts(int rows, int cols)
{
    tf_serve_model_opts o;
    memset(&o, 0, sizeof o);
    o.rows = rows;
    o.cols = cols;
    return o;
}

/* With all rates 0, every answer is a strictly valid trace with an optimal
 * plan, in the prompt's dialect, whatever A* variant the seed picks; and
 * the seeds do pick different variants. */
static void test_model_correct(void)
{
    long answers = 0, differ = 0;
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < TF_MAZE_GEN_COUNT; k++)
            for (uint64_t ms = 1; ms <= 6; ms++) {
                tf_buf prompt;
                tf_maze *m = make_maze((tf_maze_gen)k, 9, 11, ms * 77 + (uint64_t)k,
                                       (tf_maze_dialect)d, &prompt);
                CHECK(m != NULL);
                if (!m)
                    continue;
                tf_serve_model_opts o = opts(9, 11);
                char *first = NULL;
                bool any_diff = false;
                for (uint64_t s = 0; s < 6; s++) {
                    tf_buf out;
                    tf_buf_init(&out, (size_t)1 << 24);
                    tf_serve_answer_info info;
                    CHECK(tf_serve_model_answer(&o, prompt.data, prompt.len, s * 1000 + 1, &out,
                                                &info) == TF_OK);
                    tf_maze_verdict v;
                    CHECK(verify(m, (tf_maze_dialect)d, out.data, &v));
                    CHECKF(v.strict.valid && v.plan_valid && v.plan_optimal,
                           "%s kind %d seed %d: strict %s plan %s", d ? "beyond" : "sf", k, (int)s,
                           tf_maze_code_name(v.strict.first), tf_maze_code_name(v.plan_error));
                    CHECK(info.mode == TF_SERVE_CORRECT && !info.wrong_plan);
                    CHECK(info.dialect == (tf_maze_dialect)d);
                    CHECK(!strncmp(out.data, d ? "reasoning close" : "create", d ? 15 : 6));
                    CHECK(!strncmp(out.data + info.plan_at, d ? "solution" : "plan", d ? 8 : 4));
                    answers++;
                    if (!first)
                        first = tf_buf_steal(&out);
                    else if (strcmp(first, out.data) != 0)
                        any_diff = true;
                    tf_buf_free(&out);
                }
                differ += any_diff;
                free(first);
                tf_buf_free(&prompt);
                tf_maze_free(m);
            }
    CHECKF(differ > answers / 12, "%ld of %ld mazes had differing traces across seeds", differ,
           answers / 6);
    printf("model: %ld answers valid and optimal; %ld of %ld mazes got varied traces\n", answers,
           differ, answers / 6);
}

/* One flaw at rate 1 in both dialects: its verdict signature holds for
 * every answer. */
static void check_flaw(const char *what, tf_serve_model_opts o, tf_serve_mode want_mode,
                       bool want_trace_valid, bool want_plan_valid)
{
    long n = 0, long_len = 0, short_len = 0;
    for (int d = 0; d < 2; d++)
        for (uint64_t ms = 1; ms <= 30; ms++) {
            tf_buf prompt;
            tf_maze_gen k = (tf_maze_gen)(ms % TF_MAZE_GEN_COUNT);
            tf_maze *m = make_maze(k, 10, 10, ms * 31, (tf_maze_dialect)d, &prompt);
            if (!m)
                continue;
            tf_buf out;
            tf_buf_init(&out, (size_t)1 << 24);
            tf_serve_answer_info info;
            CHECK(tf_serve_model_answer(&o, prompt.data, prompt.len, ms, &out, &info) == TF_OK);
            tf_maze_verdict v;
            CHECK(verify(m, (tf_maze_dialect)d, out.data, &v));
            CHECKF(v.strict.valid == want_trace_valid && v.plan_valid == want_plan_valid,
                   "%s (%s, kind %d, maze %d): strict %s, plan %s", what, d ? "beyond" : "sf",
                   (int)k, (int)ms, tf_maze_code_name(v.strict.first),
                   tf_maze_code_name(v.plan_error));
            if (want_mode != TF_SERVE_MODE_COUNT)
                CHECKF(info.mode == want_mode, "%s: mode %s", what, tf_serve_mode_name(info.mode));
            long ref = 0, plan = 0;
            tf_astar_opts def = tf_astar_default();
            CHECK(tf_maze_astar_count(m, &def, (tf_maze_dialect)d, &ref, &plan) == TF_OK);
            long_len += v.trace_len > 2 * ref;
            short_len += v.trace_len < ref / 2;
            n++;
            tf_buf_free(&out);
            tf_buf_free(&prompt);
            tf_maze_free(m);
        }
    CHECK(n > 40);
    if (want_mode == TF_SERVE_LENGTH_NOISE)
        CHECKF(long_len > 0 && short_len > 0,
               "length noise: %ld longer than 2x, %ld shorter than "
               "half the reference",
               long_len, short_len);
}

static void test_model_flaws(void)
{
    tf_serve_model_opts o = opts(10, 10);
    o.invalid_step_rate = 1;
    check_flaw("invalid step", o, TF_SERVE_INVALID_STEP, false, true);
    o = opts(10, 10);
    o.swap_rate = 1;
    check_flaw("swap", o, TF_SERVE_SWAP, false, true);
    o = opts(10, 10);
    o.length_noise_rate = 1;
    check_flaw("length noise", o, TF_SERVE_LENGTH_NOISE, false, true);
    o = opts(10, 10);
    o.wrong_plan_rate = 1;
    check_flaw("wrong plan", o, TF_SERVE_CORRECT, true, false);

    /* a rate of one half: both outcomes occur, and the answer for a given
     * seed is the same every time */
    o = opts(10, 10);
    o.invalid_step_rate = 0.5;
    tf_buf prompt;
    tf_maze *m = make_maze(TF_MAZE_GEN_WILSON, 10, 10, 5, TF_MAZE_SEARCHFORMER, &prompt);
    long bad = 0;
    for (uint64_t s = 0; s < 200; s++) {
        tf_buf a, b;
        tf_buf_init(&a, (size_t)1 << 24);
        tf_buf_init(&b, (size_t)1 << 24);
        tf_serve_answer_info ia, ib;
        CHECK(tf_serve_model_answer(&o, prompt.data, prompt.len, s, &a, &ia) == TF_OK);
        CHECK(tf_serve_model_answer(&o, prompt.data, prompt.len, s, &b, &ib) == TF_OK);
        CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
        bad += ia.mode == TF_SERVE_INVALID_STEP;
        tf_buf_free(&a);
        tf_buf_free(&b);
    }
    CHECKF(bad > 70 && bad < 130, "%ld of 200 altered at rate 0.5", bad);
    tf_buf_free(&prompt);
    tf_maze_free(m);
}

/* Prompts: words before the maze are ignored; "auto" takes the grid from
 * the prompt's extent; unparseable and unsolvable prompts get honest
 * answers. */
static void test_model_prompts(void)
{
    tf_serve_model_opts o = opts(5, 5);
    tf_buf out;
    tf_buf_init(&out, 1 << 20);
    tf_serve_answer_info info;
    const char *p = "Solve this maze.\nstart 0 0 goal 2 2 wall 1 1";
    CHECK(tf_serve_model_answer(&o, p, strlen(p), 1, &out, &info) == TF_OK);
    CHECK(info.mode == TF_SERVE_CORRECT && info.dialect == TF_MAZE_SEARCHFORMER);
    tf_maze *m = NULL;
    CHECK(tf_maze_parse_prompt(p + 17, strlen(p + 17), 5, 5, &m, NULL) == TF_OK);
    tf_maze_verdict v;
    CHECK(m && verify(m, TF_MAZE_SEARCHFORMER, out.data, &v) && v.strict.valid && v.plan_optimal);
    tf_maze_free(m);

    const char *bad[] = {"hello", "", "start 0 0", "start 0 0 goal 9 9", "start x 0 goal 1 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tf_buf_reset(&out);
        CHECK(tf_serve_model_answer(&o, bad[i], strlen(bad[i]), 1, &out, &info) == TF_OK);
        CHECKF(info.mode == TF_SERVE_UNPARSEABLE && out.data &&
                   !strncmp(out.data, "I cannot parse this maze", 24),
               "prompt \"%s\": %s", bad[i], out.data ? out.data : "");
    }
    const char *walled = "start 0 0 goal 2 0 wall 1 0 wall 1 1 wall 1 2 wall 1 3 wall 1 4";
    tf_buf_reset(&out);
    CHECK(tf_serve_model_answer(&o, walled, strlen(walled), 1, &out, &info) == TF_OK);
    CHECK(info.mode == TF_SERVE_UNSOLVABLE && !strncmp(out.data, "I cannot solve this maze", 24));

    /* auto: the grid is the prompt's extent */
    o = opts(0, 0);
    const char *beyond = "query start 0 0 goal 3 1 wall 1 0 wall 2 0";
    tf_buf_reset(&out);
    CHECK(tf_serve_model_answer(&o, beyond, strlen(beyond), 9, &out, &info) == TF_OK);
    CHECK(info.dialect == TF_MAZE_BEYOND);
    CHECK(tf_maze_parse_prompt(beyond, strlen(beyond), 2, 4, &m, NULL) == TF_OK);
    CHECK(m && verify(m, TF_MAZE_BEYOND, out.data, &v) && v.strict.valid && v.plan_optimal);
    tf_maze_free(m);
    for (uint64_t ms = 1; ms <= 5; ms++) {
        tf_buf prompt;
        m = make_maze(TF_MAZE_GEN_WILSON, 12, 14, ms, TF_MAZE_SEARCHFORMER, &prompt);
        tf_buf_reset(&out);
        CHECK(tf_serve_model_answer(&o, prompt.data, prompt.len, ms, &out, &info) == TF_OK);
        CHECK(m && verify(m, TF_MAZE_SEARCHFORMER, out.data, &v) && v.strict.valid &&
              v.plan_optimal);
        tf_buf_free(&prompt);
        tf_maze_free(m);
    }
    /* an answer over the buffer's cap is an error, not a cut answer */
    tf_buf small;
    tf_buf_init(&small, 10);
    o = opts(5, 5);
    CHECK(tf_serve_model_answer(&o, p, strlen(p), 1, &small, &info) == TF_ERR_TOO_BIG);
    tf_buf_free(&small);
    tf_buf_free(&out);
}

static void test_replay_table(void)
{
    const char *path = tmp_path("replay-unit.jsonl");
    FILE *f = fopen(path, "w");
    fputs("{\"prompt\": \"start 0 0 goal 1 0\", \"output\": \"A\"}\n"
          "\n"
          "{\"prompt\": \"start 0 0 goal 1 0\", \"output\": \"second\"}\n"
          "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", "
          "\"content\": \"start 1 1 goal 0 0\"}], \"text\": \"B\"}\n"
          "{\"text\": \"query start 0 0 goal 0 1 reasoning close 0 0 c0 c1 end\"}",
          f);
    fclose(f);
    tf_serve_replay *r = NULL;
    tf_diag d = {{0}};
    CHECKF(tf_serve_replay_load(path, &r, &d) == TF_OK, "%s", d.msg);
    CHECK(tf_serve_replay_count(r) == 3);
    const char *a = tf_serve_replay_find(r, "start 0 0 goal 1 0", 18);
    CHECK(a && !strcmp(a, "A"));
    a = tf_serve_replay_find(r, "start 1 1 goal 0 0", 18);
    CHECK(a && !strcmp(a, "B"));
    a = tf_serve_replay_find(r, "query start 0 0 goal 0 1", 24);
    CHECK(a && !strcmp(a, "reasoning close 0 0 c0 c1 end"));
    CHECK(tf_serve_replay_find(r, "start 0 0 goal 1", 16) == NULL);
    tf_serve_replay_free(r);

    f = fopen(path, "w");
    fputs("{\"prompt\": \"x\", \"output\": \"y\"}\n{\"prompt\": 3}\n", f);
    fclose(f);
    CHECK(tf_serve_replay_load(path, &r, &d) == TF_ERR_PARSE && strstr(d.msg, "line 2"));
    CHECK(tf_serve_replay_load(tmp_path("missing.jsonl"), &r, &d) == TF_ERR_IO);
}

/* ----- the server, over HTTP ---------------------------------------------- */

typedef struct srv {
    pid_t pid;
    long port;
    char out[1100], err[1100];
} srv;

/* Start "serve ARGS... --port 0 --port-file F" as a child process and wait
 * (10 s at most) for its port file. */
static bool srv_start(srv *s, const char *name, ...)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = "test_serve";
    argv[n++] = "serve";
    va_list ap;
    va_start(ap, name);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 56)
        argv[n++] = a;
    va_end(ap);
    char pf[1024], buf[64];
    snprintf(pf, sizeof pf, "%s", tmp_path(name));
    strncat(pf, ".port", sizeof pf - strlen(pf) - 1);
    snprintf(s->out, sizeof s->out, "%s.stdout", pf);
    snprintf(s->err, sizeof s->err, "%s.stderr", pf);
    unlink(pf);
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--port-file";
    argv[n++] = pf;
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    s->pid = fork();
    if (s->pid == 0) {
        int o = open(s->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(s->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0)
            _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    s->port = 0;
    for (double t0 = now_s(); now_s() - t0 < 10;) {
        FILE *f = fopen(pf, "r");
        if (f) {
            if (fgets(buf, sizeof buf, f))
                s->port = strtol(buf, NULL, 10);
            fclose(f);
            if (s->port > 0)
                return true;
        }
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return false;
        }
        usleep(10000);
    }
    return false;
}

/* Wait up to secs for the child to exit; its exit status, or -1. */
static int srv_wait(srv *s, double secs)
{
    for (double t0 = now_s(); now_s() - t0 < secs;) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        usleep(10000);
    }
    return -1;
}

/* SIGTERM, then SIGKILL if it has not exited in 10 s (returns -1 then). */
static int srv_stop(srv *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int rc = srv_wait(s, 10);
    if (rc == -1) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    return rc;
}

typedef struct resp {
    CURLcode rc;
    long status;
    tf_buf body;
    char retry_after[32];
    char ctype[64];
    double secs;
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    return tf_buf_append(&r->body, p, sz * n) == TF_OK ? sz * n : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t len = sz * n;
    static const struct {
        const char *name;
        size_t off;
    } h[] = {{"retry-after:", offsetof(resp, retry_after)},
             {"content-type:", offsetof(resp, ctype)}};
    for (size_t i = 0; i < 2; i++) {
        size_t hl = strlen(h[i].name);
        if (len > hl && !strncasecmp(p, h[i].name, hl)) {
            char *dst = (char *)r + h[i].off;
            size_t k = 0;
            for (size_t j = hl; j < len && k < 31; j++)
                if (p[j] != ' ' && p[j] != '\r' && p[j] != '\n')
                    dst[k++] = p[j];
            dst[k] = '\0';
        }
    }
    return len;
}

/* One request; body NULL for GET. auth NULL: no Authorization header. */
static void http(const srv *s, const char *method, const char *path, const char *body,
                 const char *auth, long timeout_ms, resp *r)
{
    memset(r, 0, sizeof *r);
    tf_buf_init(&r->body, (size_t)1 << 26);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%ld%s", s->port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    if (auth) {
        char ah[256];
        snprintf(ah, sizeof ah, "Authorization: Bearer %s", auth);
        hs = curl_slist_append(hs, ah);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    double t0 = now_s();
    r->rc = curl_easy_perform(c);
    r->secs = now_s() - t0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
}

static cJSON *resp_json(const resp *r)
{
    return r->body.data ? cJSON_ParseWithLength(r->body.data, r->body.len) : NULL;
}

/* A completions body for prompt (JSON-escaped by cJSON), with extra
 * members given as a JSON object text (or NULL). */
static char *completion_body(const char *prompt, bool chat, const char *extra)
{
    cJSON *o = extra ? cJSON_Parse(extra) : cJSON_CreateObject();
    if (chat) {
        cJSON *msgs = cJSON_AddArrayToObject(o, "messages"), *sys = cJSON_CreateObject(),
              *u = cJSON_CreateObject();
        cJSON_AddStringToObject(sys, "role", "system");
        cJSON_AddStringToObject(sys, "content", "You solve mazes with A*.");
        cJSON_AddStringToObject(u, "role", "user");
        cJSON_AddStringToObject(u, "content", prompt);
        cJSON_AddItemToArray(msgs, sys);
        cJSON_AddItemToArray(msgs, u);
    } else {
        cJSON_AddStringToObject(o, "prompt", prompt);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* The text of choice i (chat: reasoning_content + " " + content). */
static char *choice_text(const cJSON *j, int i, const char **finish)
{
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), i);
    const cJSON *fr = cJSON_GetObjectItem(ch, "finish_reason");
    if (finish)
        *finish = cJSON_IsString(fr) ? fr->valuestring : "";
    const cJSON *t = cJSON_GetObjectItem(ch, "text");
    if (cJSON_IsString(t))
        return strdup(t->valuestring);
    const cJSON *m = cJSON_GetObjectItem(ch, "message");
    const cJSON *c = cJSON_GetObjectItem(m, "content");
    const cJSON *rc = cJSON_GetObjectItem(m, "reasoning_content");
    if (!cJSON_IsString(c))
        return NULL;
    size_t n = strlen(c->valuestring) + (cJSON_IsString(rc) ? strlen(rc->valuestring) : 0) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", cJSON_IsString(rc) ? rc->valuestring : "",
                 cJSON_IsString(rc) ? " " : "", c->valuestring);
    return s;
}

static long num(const cJSON *o, const char *path)
{
    /* "a.b.c" */
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", path);
    const cJSON *cur = o;
    for (char *save = NULL, *k = strtok_r(tmp, ".", &save); k; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    return cJSON_IsNumber(cur) ? (long)cur->valuedouble : -1;
}

/* Ask the server for an answer to a maze and verify it; *v gets the
 * verdict of choice 0. */
static bool ask_verify(const srv *s, const tf_maze *m, tf_maze_dialect d, const char *prompt,
                       bool chat, const char *extra, tf_maze_verdict *v, char **text_out)
{
    char *body = completion_body(prompt, chat, extra);
    resp r;
    http(s, "POST", chat ? "/v1/chat/completions" : "/v1/completions", body, NULL, 10000, &r);
    free(body);
    cJSON *j = resp_json(&r);
    char *text = j ? choice_text(j, 0, NULL) : NULL;
    bool ok = r.rc == CURLE_OK && r.status == 200 && text && verify(m, d, text, v);
    if (!ok)
        fprintf(stderr, "ask_verify: rc %d status %ld body %.200s\n", (int)r.rc, r.status,
                r.body.data ? r.body.data : "");
    if (text_out)
        *text_out = text;
    else
        free(text);
    cJSON_Delete(j);
    tf_buf_free(&r.body);
    return ok;
}

/* The basics: /v1/models, valid answers on both endpoints and dialects,
 * determinism, n, max_tokens, stop, the error statuses, /stats and the
 * stats file, the listening line, a clean SIGTERM. */
static void test_server_basics(void)
{
    srv s = {0};
    const char *stats = tmp_path("basics-stats.json");
    unlink(stats);
    CHECK(srv_start(&s, "basics", "--rows", "10", "--cols", "10", "--seed", "3", "--stats-file",
                    stats, "--max-body", "100000", "--verbose", END));
    if (s.pid <= 0)
        return;
    long sent = 0, n200 = 0, n400 = 0, n404 = 0, n405 = 0, n413 = 0;
    resp r;
    http(&s, "GET", "/v1/models", NULL, NULL, 5000, &r);
    sent++, n200++;
    cJSON *j = resp_json(&r);
    CHECK(r.status == 200 && j);
    const cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "object")) &&
          !strcmp(cJSON_GetObjectItem(j, "object")->valuestring, "list"));
    CHECK(cJSON_IsString(cJSON_GetObjectItem(d0, "id")) &&
          !strcmp(cJSON_GetObjectItem(d0, "id")->valuestring, "tracefarm-maze-astar"));
    cJSON_Delete(j);
    tf_buf_free(&r.body);

    long valid = 0, total = 0, varied = 0;
    for (int d = 0; d < 2; d++)
        for (int chat = 0; chat < 2; chat++)
            for (uint64_t ms = 1; ms <= 6; ms++) {
                tf_buf prompt;
                tf_maze *m = make_maze((tf_maze_gen)(ms % TF_MAZE_GEN_COUNT), 10, 10, ms * 13,
                                       (tf_maze_dialect)d, &prompt);
                if (!m)
                    continue;
                tf_maze_verdict v;
                char *a = NULL, *b = NULL, *c = NULL;
                bool ok = ask_verify(&s, m, (tf_maze_dialect)d, prompt.data, chat, "{\"seed\": 5}",
                                     &v, &a);
                ok = ok && v.strict.valid && v.plan_optimal;
                valid += ok;
                total++;
                /* the same request again: the same text; another seed: varies */
                ask_verify(&s, m, (tf_maze_dialect)d, prompt.data, chat, "{\"seed\": 5}", &v, &b);
                ask_verify(&s, m, (tf_maze_dialect)d, prompt.data, chat, "{\"seed\": 6}", &v, &c);
                sent += 3, n200 += 3;
                CHECK(a && b && !strcmp(a, b));
                CHECK(v.strict.valid && v.plan_optimal);
                varied += a && c && strcmp(a, c) != 0;
                free(a);
                free(b);
                free(c);
                tf_buf_free(&prompt);
                tf_maze_free(m);
            }
    CHECKF(valid == total && total == 24, "%ld of %ld answers strictly valid and optimal", valid,
           total);
    CHECKF(varied >= 3, "only %ld of %ld mazes varied with the request seed", varied, total);

    /* byte-identical responses; n; max_tokens; stop; usage */
    tf_buf prompt;
    tf_maze *m = make_maze(TF_MAZE_GEN_DFS, 10, 10, 99, TF_MAZE_SEARCHFORMER, &prompt);
    char *body = completion_body(prompt.data, false, "{\"n\": 3, \"seed\": 1}");
    resp r2;
    http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
    http(&s, "POST", "/v1/completions", body, NULL, 5000, &r2);
    sent += 2, n200 += 2;
    CHECK(r.status == 200 && r.body.len == r2.body.len &&
          !memcmp(r.body.data, r2.body.data, r.body.len));
    CHECK(!strcmp(r.ctype, "application/json"));
    j = resp_json(&r);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "choices")) == 3);
    CHECK(!strcmp(cJSON_GetObjectItem(j, "object")->valuestring, "text_completion"));
    CHECK(num(j, "created") == 0);
    long ctoks = 0;
    for (int i = 0; i < 3; i++) {
        const char *fin;
        char *t = choice_text(j, i, &fin);
        tf_maze_verdict v;
        CHECK(t && verify(m, TF_MAZE_SEARCHFORMER, t, &v) && v.strict.valid && v.plan_optimal);
        CHECK(!strcmp(fin, "stop"));
        for (char *p = t ? strtok(t, " ") : NULL; p; p = strtok(NULL, " "))
            ctoks++;
        free(t);
    }
    long ptoks = 0;
    for (size_t i = 0, in = 0; i < prompt.len; i++) {
        if (prompt.data[i] != ' ' && !in)
            ptoks++;
        in = prompt.data[i] != ' ';
    }
    CHECK(num(j, "usage.completion_tokens") == ctoks && num(j, "usage.prompt_tokens") == ptoks &&
          num(j, "usage.total_tokens") == ptoks + ctoks);
    cJSON_Delete(j);
    tf_buf_free(&r.body);
    tf_buf_free(&r2.body);
    free(body);

    body = completion_body(prompt.data, false, "{\"max_tokens\": 7}");
    http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
    sent++, n200++;
    free(body);
    j = resp_json(&r);
    const char *fin = "";
    char *t = j ? choice_text(j, 0, &fin) : NULL;
    CHECK(t && !strcmp(fin, "length"));
    long toks = 0;
    for (char *p = t ? strtok(t, " ") : NULL; p; p = strtok(NULL, " "))
        toks++;
    CHECK(toks == 7 && num(j, "usage.completion_tokens") == 7);
    free(t);
    cJSON_Delete(j);
    tf_buf_free(&r.body);

    body = completion_body(prompt.data, false, "{\"stop\": [\" plan\"]}");
    http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
    sent++, n200++;
    free(body);
    j = resp_json(&r);
    t = j ? choice_text(j, 0, &fin) : NULL;
    CHECK(t && !strcmp(fin, "stop") && !strstr(t, "plan") && !strncmp(t, "create", 6));
    free(t);
    cJSON_Delete(j);
    tf_buf_free(&r.body);

    /* chat format */
    body = completion_body(prompt.data, true, NULL);
    http(&s, "POST", "/v1/chat/completions", body, NULL, 5000, &r);
    sent++, n200++;
    free(body);
    j = resp_json(&r);
    CHECK(j && !strcmp(cJSON_GetObjectItem(j, "object")->valuestring, "chat.completion"));
    const cJSON *msg =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "message");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(msg, "role")) &&
          !strcmp(cJSON_GetObjectItem(msg, "role")->valuestring, "assistant"));
    CHECK(cJSON_GetObjectItem(msg, "reasoning_content") == NULL);
    cJSON_Delete(j);
    tf_buf_free(&r.body);

    /* errors */
    static const struct {
        const char *method, *path, *body;
        long status;
    } errs[] = {
        {"POST", "/v1/completions", "{not json", 400},
        {"POST", "/v1/completions", "[1, 2]", 400},
        {"POST", "/v1/completions", "{\"prompt\": 5}", 400},
        {"POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 1\", \"n\": 0}", 400},
        {"POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 1\", \"max_tokens\": -1}",
         400},
        {"POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 1\", \"temperature\": 3}",
         400},
        {"POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 1\", \"stream\": true}", 400},
        {"POST", "/v1/chat/completions", "{\"messages\": []}", 400},
        {"POST", "/v1/chat/completions",
         "{\"messages\": [{\"role\": \"system\", \"content\": \"x\"}]}", 400},
        {"GET", "/v1/nothing", NULL, 404},
        {"GET", "/", NULL, 404},
        {"GET", "/v1/completions", NULL, 405},
        {"POST", "/v1/models", "{}", 405},
        {"DELETE", "/stats", NULL, 405},
    };
    for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
        http(&s, errs[i].method, errs[i].path, errs[i].body, NULL, 5000, &r);
        sent++;
        n400 += errs[i].status == 400;
        n404 += errs[i].status == 404;
        n405 += errs[i].status == 405;
        j = resp_json(&r);
        const cJSON *e = cJSON_GetObjectItem(j, "error");
        CHECKF(r.status == errs[i].status && cJSON_IsString(cJSON_GetObjectItem(e, "message")) &&
                   cJSON_IsString(cJSON_GetObjectItem(e, "type")),
               "%s %s %s: %ld %s", errs[i].method, errs[i].path, errs[i].body ? errs[i].body : "",
               r.status, r.body.data ? r.body.data : "");
        cJSON_Delete(j);
        tf_buf_free(&r.body);
    }
    /* an unparseable prompt is an honest 200 */
    http(&s, "POST", "/v1/completions", "{\"prompt\": \"what is 2+2?\"}", NULL, 5000, &r);
    sent++, n200++;
    CHECK(r.status == 200 && r.body.data && strstr(r.body.data, "I cannot parse this maze"));
    tf_buf_free(&r.body);
    /* a body over --max-body: 413 */
    char *big = malloc(200001);
    memset(big, ' ', 200000);
    big[0] = '{';
    big[199999] = '}';
    big[200000] = '\0';
    http(&s, "POST", "/v1/completions", big, NULL, 5000, &r);
    sent++, n413++;
    CHECKF(r.status == 413, "big body: %ld rc %d", r.status, (int)r.rc);
    tf_buf_free(&r.body);
    free(big);

    /* /stats counts what came before it */
    http(&s, "GET", "/stats", NULL, NULL, 5000, &r);
    j = resp_json(&r);
    CHECKF(num(j, "requests") == sent, "stats requests %ld, sent %ld", num(j, "requests"), sent);
    CHECK(num(j, "by_status.200") == n200 && num(j, "by_status.400") == n400 &&
          num(j, "by_status.404") == n404 && num(j, "by_status.405") == n405 &&
          num(j, "by_status.413") == n413);
    CHECK(num(j, "by_endpoint./v1/models") == 1 + 1);
    CHECK(num(j, "completions.by_mode.correct") > 0 &&
          num(j, "completions.by_mode.unparseable") == 1);
    cJSON_Delete(j);
    tf_buf_free(&r.body);

    CHECK(srv_stop(&s) == 0);
    char *out = slurp(s.out), *st = slurp(stats), *err = slurp(s.err);
    char want[64];
    snprintf(want, sizeof want, "listening on http://127.0.0.1:%ld\n", s.port);
    CHECK(out && !strcmp(out, want));
    j = st ? cJSON_Parse(st) : NULL;
    CHECKF(j && num(j, "requests") == sent + 1, "stats file: %s", st ? st : "(none)");
    CHECK(err && strstr(err, "POST /v1/completions 200"));
    cJSON_Delete(j);
    free(out);
    free(st);
    free(err);
    tf_buf_free(&prompt);
    tf_maze_free(m);
}

/* Each flaw at rate 1, through the server; --reasoning-field on chat. */
static void test_server_flaws(void)
{
    static const struct {
        const char *flag;
        bool trace_valid, plan_valid;
    } f[] = {{"--invalid-step-rate", false, true},
             {"--swap-rate", false, true},
             {"--length-noise-rate", false, true},
             {"--wrong-plan-rate", true, false}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        srv s = {0};
        CHECK(srv_start(&s, "flaws", "--rows", "9", "--cols", "9", f[i].flag, "1",
                        "--reasoning-field", "--idle-exit", "60", END));
        if (s.pid <= 0)
            continue;
        long good = 0, total = 0;
        for (int d = 0; d < 2; d++)
            for (int chat = 0; chat < 2; chat++)
                for (uint64_t ms = 1; ms <= 4; ms++) {
                    tf_buf prompt;
                    tf_maze *m = make_maze((tf_maze_gen)(ms % TF_MAZE_GEN_COUNT), 9, 9, ms * 7 + 1,
                                           (tf_maze_dialect)d, &prompt);
                    if (!m)
                        continue;
                    tf_maze_verdict v;
                    if (ask_verify(&s, m, (tf_maze_dialect)d, prompt.data, chat, NULL, &v, NULL))
                        good +=
                            v.strict.valid == f[i].trace_valid && v.plan_valid == f[i].plan_valid;
                    total++;
                    tf_buf_free(&prompt);
                    tf_maze_free(m);
                }
        CHECKF(good == total && total == 16, "%s 1: %ld of %ld answers as expected", f[i].flag,
               good, total);
        CHECK(srv_stop(&s) == 0);
    }

    /* --reasoning-field: the trace in reasoning_content, the plan in content */
    srv s = {0};
    CHECK(srv_start(&s, "reasoning", "--rows", "9", "--cols", "9", "--reasoning-field", END));
    if (s.pid <= 0)
        return;
    tf_buf prompt;
    tf_maze *m = make_maze(TF_MAZE_GEN_WILSON, 9, 9, 4, TF_MAZE_BEYOND, &prompt);
    char *body = completion_body(prompt.data, true, NULL);
    resp r;
    http(&s, "POST", "/v1/chat/completions", body, NULL, 5000, &r);
    cJSON *j = resp_json(&r);
    const cJSON *msg =
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "message");
    const cJSON *rc = cJSON_GetObjectItem(msg, "reasoning_content");
    const cJSON *c = cJSON_GetObjectItem(msg, "content");
    CHECK(cJSON_IsString(rc) && !strncmp(rc->valuestring, "reasoning close", 15) &&
          !strstr(rc->valuestring, "plan"));
    CHECK(cJSON_IsString(c) && !strncmp(c->valuestring, "solution plan", 13) &&
          strstr(c->valuestring, " end"));
    long rt = num(j, "usage.completion_tokens_details.reasoning_tokens");
    CHECK(rt > 0 && rt < num(j, "usage.completion_tokens"));
    char *t = choice_text(j, 0, NULL);
    tf_maze_verdict v;
    CHECK(t && verify(m, TF_MAZE_BEYOND, t, &v) && v.strict.valid && v.plan_optimal);
    free(t);
    cJSON_Delete(j);
    tf_buf_free(&r.body);
    free(body);
    tf_buf_free(&prompt);
    tf_maze_free(m);
    CHECK(srv_stop(&s) == 0);
}

typedef struct hang_arg {
    const srv *s;
    long timeout_ms;
    resp r;
    int done; /* set (atomically) when the request is over */
} hang_arg;

static void *hang_thread(void *p)
{
    hang_arg *a = p;
    http(a->s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 0\"}", NULL,
         a->timeout_ms, &a->r);
    __atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Every fault type, --fail-first, and that a hung request holds up
 * neither other connections nor shutdown. */
static void test_server_faults(void)
{
    const char *p = "{\"prompt\": \"start 0 0 goal 1 1\"}";
    srv s = {0};
    resp r;
    CHECK(srv_start(&s, "429", "--rows", "3", "--cols", "3", "--rate-429", "1", "--retry-after",
                    "7", END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/completions", p, NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        CHECK(r.status == 429 && !strcmp(r.retry_after, "7") && cJSON_GetObjectItem(j, "error"));
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        http(&s, "GET", "/v1/models", NULL, NULL, 5000, &r); /* not faulted */
        CHECK(r.status == 200);
        tf_buf_free(&r.body);
        http(&s, "GET", "/stats", NULL, NULL, 5000, &r);
        j = resp_json(&r);
        CHECK(num(j, "faults.429") == 1 && num(j, "completions.ok") == 0);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    CHECK(srv_start(&s, "500", "--rows", "3", "--cols", "3", "--rate-500", "1", END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/chat/completions",
             "{\"messages\": [{\"role\": \"user\", \"content\": \"start 0 0 goal 1 1\"}]}", NULL,
             5000, &r);
        cJSON *j = resp_json(&r);
        CHECK(r.status == 500 && cJSON_GetObjectItem(j, "error"));
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    CHECK(srv_start(&s, "trunc", "--rows", "3", "--cols", "3", "--rate-truncated", "1", END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/completions", p, NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        /* CURLE_OK: the Content-Length matched the bytes sent */
        CHECK(r.rc == CURLE_OK && r.status == 200 && r.body.len > 10 && j == NULL);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    CHECK(srv_start(&s, "nonjson", "--rows", "3", "--cols", "3", "--rate-nonjson", "1", END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/completions", p, NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        CHECK(r.rc == CURLE_OK && r.status == 200 && j == NULL &&
              !strncmp(r.ctype, "text/html", 9) && strstr(r.body.data, "<html>"));
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    CHECK(srv_start(&s, "latency", "--rows", "3", "--cols", "3", "--latency-ms", "300",
                    "--jitter-ms", "100", END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/completions", p, NULL, 5000, &r);
        CHECKF(r.status == 200 && r.secs >= 0.29 && r.secs < 2.0, "latency %.3f s", r.secs);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    /* --fail-first 2: per distinct request, 500, 500, then 200 */
    CHECK(srv_start(&s, "failfirst", "--rows", "3", "--cols", "3", "--fail-first", "2", END));
    if (s.pid > 0) {
        long st[4];
        for (int i = 0; i < 3; i++) {
            http(&s, "POST", "/v1/completions", p, NULL, 5000, &r);
            st[i] = r.status;
            tf_buf_free(&r.body);
        }
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 2 2\"}", NULL, 5000, &r);
        st[3] = r.status;
        tf_buf_free(&r.body);
        CHECKF(st[0] == 500 && st[1] == 500 && st[2] == 200 && st[3] == 500,
               "fail-first: %ld %ld %ld %ld", st[0], st[1], st[2], st[3]);
        http(&s, "GET", "/stats", NULL, NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        CHECK(num(j, "faults.fail_first") == 3 && num(j, "completions.ok") == 1 &&
              num(j, "by_status.500") == 3);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }
    /* hang: the client times out after 1 s while another request on another
     * connection is answered; shutdown does not wait for the hang */
    CHECK(srv_start(&s, "hang", "--rows", "3", "--cols", "3", "--rate-hang", "1", END));
    if (s.pid > 0) {
        hang_arg a = {&s, 1000, {0}, 0};
        pthread_t th;
        CHECK(pthread_create(&th, NULL, hang_thread, &a) == 0);
        usleep(100000);
        http(&s, "GET", "/v1/models", NULL, NULL, 5000, &r);
        bool pending = !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST);
        CHECKF(r.status == 200 && pending, "parallel request: %ld in %.3f s, the hung one %s",
               r.status, r.secs, pending ? "pending" : "over");
        tf_buf_free(&r.body);
        pthread_join(th, NULL);
        CHECKF(a.r.rc == CURLE_OPERATION_TIMEDOUT && a.r.secs >= 0.9,
               "hung request: curl %d after %.3f s", (int)a.r.rc, a.r.secs);
        tf_buf_free(&a.r.body);
        /* a second hung request in flight while stopping */
        hang_arg b = {&s, 1000, {0}, 0};
        CHECK(pthread_create(&th, NULL, hang_thread, &b) == 0);
        usleep(200000);
        double t0 = now_s();
        CHECK(srv_stop(&s) == 0);
        CHECKF(now_s() - t0 < 5, "stop took %.3f s with a hung request", now_s() - t0);
        pthread_join(th, NULL);
        tf_buf_free(&b.r.body);
    }
    /* a hang rate of one half: of 8 parallel completions, some hang past the
     * client's 2 s timeout and the others are answered in time */
    CHECK(srv_start(&s, "hang-half", "--rows", "3", "--cols", "3", "--rate-hang", "0.5",
                    "--hang-ms", "3000", "--seed", "2", END));
    if (s.pid > 0) {
        hang_arg a[8];
        pthread_t th[8];
        for (int i = 0; i < 8; i++) {
            memset(&a[i], 0, sizeof a[i]);
            a[i].s = &s;
            a[i].timeout_ms = 2000;
            CHECK(pthread_create(&th[i], NULL, hang_thread, &a[i]) == 0);
        }
        int hung = 0, answered = 0;
        for (int i = 0; i < 8; i++) {
            pthread_join(th[i], NULL);
            hung += a[i].r.rc == CURLE_OPERATION_TIMEDOUT;
            answered += a[i].r.rc == CURLE_OK && a[i].r.status == 200 && a[i].r.secs < 2.0;
            tf_buf_free(&a[i].r.body);
        }
        CHECKF(hung > 0 && answered > 0 && hung + answered == 8, "%d hung, %d answered", hung,
               answered);
        CHECK(srv_stop(&s) == 0);
    }
}

/* --replay, --api-key-env, --max-requests, --idle-exit, bad usage. */
static void test_server_misc(void)
{
    const char *path = tmp_path("replay.jsonl");
    FILE *f = fopen(path, "w");
    fputs("{\"prompt\": \"start 0 0 goal 1 0\", \"output\": \"create 0 0 c0 c1 plan 0 0\"}\n", f);
    fclose(f);
    srv s = {0};
    resp r;
    CHECK(srv_start(&s, "replay", "--replay", path, END));
    if (s.pid > 0) {
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 0\"}", NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        char *t = j ? choice_text(j, 0, NULL) : NULL;
        CHECK(r.status == 200 && t && !strcmp(t, "create 0 0 c0 c1 plan 0 0"));
        free(t);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        http(&s, "POST", "/v1/chat/completions",
             "{\"messages\": [{\"role\": \"user\", \"content\": \"start 0 0 goal 1 0\"}]}", NULL,
             5000, &r);
        CHECK(r.status == 200 && strstr(r.body.data, "create 0 0 c0 c1 plan 0 0"));
        tf_buf_free(&r.body);
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 0 1\"}", NULL, 5000, &r);
        j = resp_json(&r);
        CHECK(r.status == 404 && cJSON_GetObjectItem(j, "error"));
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }

    setenv("TF_TEST_SERVE_KEY", "sk-test-secret-123", 1);
    CHECK(srv_start(&s, "apikey", "--api-key-env", "TF_TEST_SERVE_KEY", "--verbose", END));
    if (s.pid > 0) {
        http(&s, "GET", "/v1/models", NULL, NULL, 5000, &r);
        cJSON *j = resp_json(&r);
        CHECK(r.status == 401 && cJSON_GetObjectItem(j, "error"));
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 0\"}", "sk-wrong",
             5000, &r);
        CHECK(r.status == 401);
        tf_buf_free(&r.body);
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 1 0\"}",
             "sk-test-secret-123", 5000, &r);
        CHECK(r.status == 200);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
        char *out = slurp(s.out), *err = slurp(s.err);
        CHECK(out && err && !strstr(out, "sk-test-secret") && !strstr(err, "sk-test-secret"));
        free(out);
        free(err);
    }

    CHECK(srv_start(&s, "maxreq", "--max-requests", "3", END));
    if (s.pid > 0) {
        for (int i = 0; i < 3; i++) {
            http(&s, "GET", "/health", NULL, NULL, 5000, &r);
            CHECK(r.status == 200);
            tf_buf_free(&r.body);
        }
        CHECK(srv_wait(&s, 5) == 0);
        if (s.pid > 0)
            srv_stop(&s);
    }
    double t0 = now_s();
    CHECK(srv_start(&s, "idle", "--idle-exit", "0.5", END));
    if (s.pid > 0) {
        CHECK(srv_wait(&s, 5) == 0);
        CHECKF(now_s() - t0 < 4, "idle exit after %.2f s", now_s() - t0);
        if (s.pid > 0)
            srv_stop(&s);
    }
    /* bad usage exits 2 before binding */
    static const char *const bads[][3] = {{"--swap-rate", "2", NULL},
                                          {"--rows", "0", NULL},
                                          {"--bogus", NULL, NULL},
                                          {"--rate-429", "0.6", "--rate-500=0.6"},
                                          {"--api-key-env", "TF_TEST_SERVE_UNSET_VAR", NULL}};
    for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int dn = open("/dev/null", O_WRONLY);
            dup2(dn, 2);
            const char *argv[] = {"test_serve", "serve", bads[i][0], bads[i][1], bads[i][2], NULL};
            execv("/proc/self/exe", (char *const *)argv);
            _exit(127);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d", bads[i][0], st);
    }
}

/* --arith-corpus: a templated prompt that asks a known question gets its
 * reference solution with the flaw of the options, in both APIs; the
 * reasoning field and --think split it before the final answer; a maze
 * still gets the maze model; an unknown question is a 404; /stats counts
 * what was injected; bad options and a bad corpus stop the server. */
static void test_server_arith(void)
{
    const char *corpus = tmp_path("arith.jsonl");
    FILE *f = fopen(corpus, "w");
    fputs("{\"question\": \"Janet's ducks lay 16 eggs per day. She eats three and bakes with "
          "four. She sells the rest for $2 each. How much does she make?\", \"answer\": \"Janet "
          "sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\\nShe makes 9 * 2 = $<<9*2=18>>18 "
          "every day.\\n#### 18\"}\n",
          f);
    fputs("{\"question\": \"A robe takes 2 bolts of blue fiber and half that much white fiber. "
          "How many bolts in total does it take?\", \"answer\": \"It takes 2/2=<<2/2=1>>1 bolt "
          "of white fiber\\nSo the total is 2+1=<<2+1=3>>3 bolts\\n#### 3\"}\n",
          f);
    fclose(f);
    const char *janet = "Solve it.\nQuestion: Janet's ducks lay 16 eggs per day. She eats three "
                        "and bakes with four. She sells the rest for $2 each. How much does she "
                        "make?\nAnswer:";
    const char *stats = tmp_path("arith-stats.json");
    unlink(stats);
    srv s = {0};
    resp r;
    CHECK(srv_start(&s, "arith", "--arith-corpus", corpus, "--arith-fix-rate", "1",
                    "--reasoning-field", "--stats-file", stats, "--rows", "4", "--cols", "4", END));
    if (s.pid > 0) {
        char *body = completion_body(janet, false, "{\"n\": 3, \"seed\": 7}");
        http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
        free(body);
        cJSON *j = resp_json(&r);
        CHECK(r.status == 200 && cJSON_GetArraySize(cJSON_GetObjectItem(j, "choices")) == 3);
        for (int i = 0; i < 3; i++) {
            char *t = j ? choice_text(j, i, NULL) : NULL;
            /* fixed: the first result is wrong, the second step uses 9 */
            CHECKF(t && strstr(t, "Janet sells 16 - 3 - 4 = <<16-3-4=") &&
                       !strstr(t, "<<16-3-4=9>>") &&
                       strstr(t, "She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"),
                   "%s", t ? t : "(null)");
            free(t);
        }
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        /* chat, with the reasoning field: the working, then "#### 18" */
        body = completion_body(janet, true, "{\"seed\": 7}");
        http(&s, "POST", "/v1/chat/completions", body, NULL, 5000, &r);
        j = resp_json(&r);
        const cJSON *m = cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "message");
        const cJSON *c = cJSON_GetObjectItem(m, "content"),
                    *rc = cJSON_GetObjectItem(m, "reasoning_content");
        CHECKF(r.status == 200 && cJSON_IsString(c) && !strcmp(c->valuestring, "#### 18") &&
                   cJSON_IsString(rc) && !strncmp(rc->valuestring, "Janet sells", 11) &&
                   strstr(rc->valuestring, "every day.") && !strstr(rc->valuestring, "####"),
               "%s", r.body.data ? r.body.data : "");
        CHECK(num(j, "usage.completion_tokens_details.reasoning_tokens") ==
              num(j, "usage.completion_tokens") - 2);
        cJSON_Delete(j);
        /* the same request, the same bytes */
        resp r2;
        http(&s, "POST", "/v1/chat/completions", body, NULL, 5000, &r2);
        CHECK(r.body.len && r2.body.len == r.body.len &&
              !memcmp(r.body.data, r2.body.data, r.body.len));
        tf_buf_free(&r2.body);
        tf_buf_free(&r.body);
        free(body);
        /* max_tokens goes to the working first */
        body = completion_body(janet, true, "{\"seed\": 7, \"max_tokens\": 3}");
        http(&s, "POST", "/v1/chat/completions", body, NULL, 5000, &r);
        free(body);
        j = resp_json(&r);
        const char *fin = NULL;
        char *t = j ? choice_text(j, 0, &fin) : NULL;
        CHECKF(t && !strcmp(t, "Janet sells 16 ") && !strcmp(fin, "length"), "%s",
               t ? t : "(null)");
        free(t);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        /* the other question, asked as it is */
        body = completion_body("A robe takes 2 bolts of blue fiber and half that much white "
                               "fiber. How many bolts in total does it take?",
                               false, NULL);
        http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
        free(body);
        j = resp_json(&r);
        t = j ? choice_text(j, 0, NULL) : NULL;
        CHECKF(r.status == 200 && t && strstr(t, "It takes 2/2=<<2/2=") &&
                   strstr(t, "So the total is 2+1=<<2+1=3>>3 bolts\n#### 3"),
               "%s", t ? t : "(null)");
        free(t);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        /* a maze is still a maze; an unknown question is a 404 */
        tf_maze_verdict v;
        tf_buf prompt;
        tf_maze *mz = make_maze(TF_MAZE_GEN_WILSON, 4, 4, 5, TF_MAZE_SEARCHFORMER, &prompt);
        CHECK(mz && ask_verify(&s, mz, TF_MAZE_SEARCHFORMER, prompt.data, false, NULL, &v, NULL) &&
              v.plan_valid);
        tf_maze_free(mz);
        tf_buf_free(&prompt);
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"How many ducks are there?\"}", NULL,
             5000, &r);
        j = resp_json(&r);
        const cJSON *err = cJSON_GetObjectItem(j, "error");
        const cJSON *code = cJSON_GetObjectItem(err, "code");
        CHECKF(r.status == 404 && cJSON_IsString(code) &&
                   !strcmp(code->valuestring, "question_not_found"),
               "%ld %s", r.status, r.body.data ? r.body.data : "");
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
        char *st = slurp(stats);
        j = st ? cJSON_Parse(st) : NULL;
        CHECKF(num(j, "completions.arith.by_mode.fixed") == 7 &&
                   num(j, "completions.arith.by_mode.correct") == 0 &&
                   num(j, "completions.arith.no_place.fixed") == 0 &&
                   num(j, "completions.arith.by_style.gsm8k") == 7 &&
                   num(j, "completions.arith.unknown_question") == 1 &&
                   num(j, "completions.by_mode.correct") == 1 && num(j, "completions.choices") == 8,
               "%s", st ? st : "(null)");
        cJSON_Delete(j);
        free(st);
    }

    /* --think, prose, every answer carried */
    CHECK(srv_start(&s, "arith-think", "--arith-corpus", corpus, "--arith-carry-rate", "1",
                    "--arith-style", "prose", "--think", "--rows", "3", "--cols", "3", END));
    if (s.pid > 0) {
        char *body = completion_body(janet, false, NULL);
        http(&s, "POST", "/v1/completions", body, NULL, 5000, &r);
        free(body);
        cJSON *j = resp_json(&r);
        char *t = j ? choice_text(j, 0, NULL) : NULL;
        long a = -1, b = -1, c = -1;
        bool shaped = t && sscanf(t,
                                  "<think>\nJanet sells 16 - 3 - 4 = %ld duck eggs a day.\nShe "
                                  "makes %ld * 2 = $%ld every day.\n</think>\n\nThe answer is",
                                  &a, &b, &c) == 3;
        CHECKF(shaped && a != 9 && a == b && c == 2 * a &&
                   strstr(t, "</think>\n\nThe answer is ") &&
                   strtol(strstr(t, "answer is ") + 10, NULL, 10) == c,
               "%s", t ? t : "(null)");
        CHECKF(num(j, "usage.completion_tokens") == 28, "%ld", num(j, "usage.completion_tokens"));
        free(t);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        /* a maze answer: the trace in the block, the plan after it */
        http(&s, "POST", "/v1/completions", "{\"prompt\": \"start 0 0 goal 2 0\"}", NULL, 5000, &r);
        j = resp_json(&r);
        t = j ? choice_text(j, 0, NULL) : NULL;
        CHECKF(t && !strncmp(t, "<think>\ncreate 0 0 c0 c2 close 0 0 c0 c2 ", 41) &&
                   strstr(t, "\n</think>\n\nplan 0 0 plan 1 0 plan 2 0") &&
                   !strstr(strstr(t, "</think>"), "create"),
               "%s", t ? t : "(null)");
        free(t);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        http(&s, "GET", "/stats", NULL, NULL, 5000, &r);
        j = resp_json(&r);
        CHECK(num(j, "completions.arith.by_mode.carried") == 1 &&
              num(j, "completions.arith.by_style.prose") == 1 &&
              num(j, "completions.by_mode.correct") == 1);
        cJSON_Delete(j);
        tf_buf_free(&r.body);
        CHECK(srv_stop(&s) == 0);
    }

    /* bad options exit 2, a bad corpus 1 naming its line */
    static const char *const bads[][5] = {
        {"--arith-carry-rate", "0.6", "--arith-fix-rate", "0.6", "--arith-corpus"},
        {"--arith-carry-rate", "0.5", NULL, NULL, NULL},
        {"--arith-style", "latex", "--arith-corpus", NULL, NULL},
        {"--replay", "x.jsonl", "--arith-corpus", NULL, NULL}};
    for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            int dn = open("/dev/null", O_WRONLY);
            dup2(dn, 2);
            const char *argv[10] = {"test_serve", "serve"};
            int n = 2;
            for (int k = 0; k < 5 && bads[i][k]; k++)
                argv[n++] = bads[i][k];
            if (!strcmp(argv[n - 1], "--arith-corpus"))
                argv[n++] = corpus;
            argv[n] = NULL;
            execv("/proc/self/exe", (char *const *)argv);
            _exit(127);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: status %d", bads[i][0], st);
    }
    f = fopen(corpus, "a");
    fputs("{\"question\": \"What is 1+1?\", \"answer\": \"It is 2.\"}\n", f);
    fclose(f);
    CHECK(!srv_start(&s, "arith-bad", "--arith-corpus", corpus, END) && s.pid == 0);
    char *err = slurp(s.err);
    CHECKF(err && strstr(err, "--arith-corpus ") && strstr(err, "arith.jsonl:3: field \"answer\""),
           "%s", err ? err : "(null)");
    free(err);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve"))
        return tf_serve_main(argc - 1, argv + 1);
    mkdir(TF_TEST_TMP, 0755);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_model_correct();
    test_model_flaws();
    test_model_prompts();
    test_replay_table();
    test_server_basics();
    test_server_flaws();
    test_server_faults();
    test_server_misc();
    test_server_arith();
    curl_global_cleanup();
    return tf_test_done();
}
