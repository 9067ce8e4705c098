/* test_record.c: the record module: paths into records, and a corpus line
 * into a record (checks, generic fields, group keys). */
#include "tf_test.h"
#include "tracefarm/record.h"

#include <stdlib.h>
#include <string.h>

static tf_path *path(const char *text)
{
    tf_path *p = NULL;
    tf_diag d = {{0}};
    CHECKF(tf_path_compile(text, &p, &d) == TF_OK, "compile %s: %s", text, d.msg);
    return p;
}

/* The value at text in json, printed (NULL when missing). Caller frees. */
static char *at(const char *text, const char *json)
{
    tf_path *p = path(text);
    cJSON *v = cJSON_Parse(json);
    const cJSON *x = p && v ? tf_path_get(p, v) : NULL;
    char *out = x ? cJSON_PrintUnformatted(x) : NULL;
    cJSON_Delete(v);
    tf_path_free(p);
    return out;
}

static void expect_at(const char *text, const char *json, const char *want)
{
    char *got = at(text, json);
    CHECKF(want ? got && strcmp(got, want) == 0 : got == NULL, "%s in %s: want %s, got %s", text,
           json, want ? want : "(missing)", got ? got : "(missing)");
    free(got);
}

static void test_paths(void)
{
    const char *doc = "{\"id\": 7, \"a\": {\"b\": [10, 20, {\"c\": \"x\"}]}, \"a.b\": 1, "
                      "\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, "
                      "{\"role\": \"assistant\", \"content\": \"r\"}], \"k[0]\": 2}";
    expect_at("id", doc, "7");
    expect_at("a.b[0]", doc, "10");
    expect_at("a.b[2].c", doc, "\"x\"");
    expect_at("a.b[-1].c", doc, "\"x\"");
    expect_at("a.b[-3]", doc, "10");
    expect_at("a.b[-4]", doc, NULL);
    expect_at("a.b[3]", doc, NULL);
    expect_at("a\\.b", doc, "1");
    expect_at("k\\[0]", doc, "2");
    expect_at("messages[-1].content", doc, "\"r\"");
    expect_at("messages[0].role", doc, "\"user\"");
    expect_at("a.b.c", doc, NULL); /* a key step into an array */
    expect_at("id[0]", doc, NULL); /* an index step into a number */
    expect_at("nope", doc, NULL);
    expect_at("a", "[1, 2]", NULL); /* a key step into an array */
    expect_at("[1]", "[1, 2]", "2");
    /* refused paths */
    const char *bad[] = {"",    "a.",  ".a",  "a..b",  "a[",  "a[x]",
                         "a[1", "a[]", "a\\", "a[1]b", "a[+]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tf_path *p = NULL;
        tf_diag d = {{0}};
        CHECKF(tf_path_compile(bad[i], &p, &d) == TF_ERR_SPEC && !p && d.msg[0],
               "path \"%s\" must be refused", bad[i]);
    }
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, i ? ".k" : "k");
    tf_path *p = NULL;
    CHECK(tf_path_compile(deep, &p, NULL) == TF_ERR_SPEC); /* more than 32 steps */
    p = path("response.choices[0].message.content");
    CHECK(p && strcmp(tf_path_text(p), "response.choices[0].message.content") == 0);
    tf_path_free(p);
}

/* Parse line with a spec of id "id", tokens "tok", group_by g and h.x. */
static void parse(const char *line, size_t len, tf_record *rec)
{
    static tf_path *id, *tok, *g[2];
    if (!id) {
        id = path("id");
        tok = path("tok");
        g[0] = path("g");
        g[1] = path("h.x");
    }
    tf_record_spec spec = {
        .id = id, .tokens = tok, .group_by = (const tf_path *const *)g, .ngroup_by = 2};
    CHECK(tf_record_parse(&spec, line, len, rec) == TF_OK);
}

static void expect_error(const char *line, size_t len, const char *kind, const char *reason,
                         const char *key)
{
    tf_record rec;
    parse(line, len, &rec);
    CHECKF(rec.error_kind && strcmp(rec.error_kind, kind) == 0 && strstr(rec.error, reason),
           "line %.40s: want %s \"%s\", got %s \"%s\"", line, kind, reason,
           rec.error_kind ? rec.error_kind : "(none)", rec.error);
    CHECKF(rec.key && strcmp(rec.key, key) == 0, "line %.40s: key %s, want %s", line,
           rec.key ? rec.key : "(none)", key);
    CHECK(!rec.id && rec.tokens == -1);
    tf_record_clear(&rec);
}

static void test_records(void)
{
    tf_record rec;
    const char *ok = "{\"id\": \"r1\", \"tok\": 42, \"g\": \"wilson\", \"h\": {\"x\": [1]}} ";
    parse(ok, strlen(ok), &rec);
    CHECK(!rec.error_kind && cJSON_IsObject(rec.json));
    CHECK(rec.id && cJSON_IsString(rec.id) && strcmp(rec.id->valuestring, "r1") == 0);
    CHECK(rec.tokens == 42);
    CHECKF(rec.key && strcmp(rec.key, "[\"wilson\",[1]]") == 0, "key %s", rec.key);
    /* the same values for the item, keyed by the group_by paths as written */
    char *grp = rec.group ? cJSON_PrintUnformatted(rec.group) : NULL;
    CHECKF(grp && strcmp(grp, "{\"g\":\"wilson\",\"h.x\":[1]}") == 0, "group %s",
           grp ? grp : "(none)");
    free(grp);
    tf_record_clear(&rec);
    CHECK(!rec.json && !rec.key && !rec.group);

    /* ids: strings and numbers only; tokens: whole counts within the cap */
    const char *num = "{\"id\": 5, \"tok\": 4294967295}";
    parse(num, strlen(num), &rec);
    CHECK(rec.id && cJSON_IsNumber(rec.id) && rec.tokens == -1);
    CHECKF(rec.key && strcmp(rec.key, "[null,null]") == 0, "key %s", rec.key);
    tf_record_clear(&rec);
    const char *odd = "{\"id\": [1], \"tok\": 1.5}";
    parse(odd, strlen(odd), &rec);
    CHECK(!rec.error_kind && !rec.id && rec.tokens == -1);
    tf_record_clear(&rec);
    const char *neg = "{\"tok\": -1}";
    parse(neg, strlen(neg), &rec);
    CHECK(rec.tokens == -1);
    tf_record_clear(&rec);

    /* a long group value stands as a note, keeping keys bounded */
    char big[3000];
    snprintf(big, sizeof big, "{\"g\": \"%01500d\"}", 0);
    parse(big, strlen(big), &rec);
    CHECKF(rec.key && strstr(rec.key, "(value over 1024 bytes)"), "key %.60s", rec.key);
    tf_record_clear(&rec);

    /* refused lines keep a group key: from the value before trailing data */
    expect_error("{\"g\": \"a\"} x", 12, "bad_json", "trailing data at column 12", "[\"a\",null]");
    expect_error("{\"g\": \"a\"", 9, "bad_json", "malformed JSON near column", "[null,null]");
    expect_error("{\"g\": \"a\0\"}", 11, "bad_json", "NUL byte at column 9", "[null,null]");
    expect_error("{\"g\": \"\xff\"}", 10, "bad_json", "invalid UTF-8 at column 8", "[null,null]");
    expect_error("{\"g\": \"a\\u0000b\"}", 17, "bad_json", "\\u0000 (NUL) at column 9",
                 "[null,null]");
    expect_error("[1, 2]", 6, "bad_record", "not a JSON object", "[null,null]");
    expect_error("\"s\"", 3, "bad_record", "not a JSON object", "[null,null]");
    /* an escaped backslash before u0000 is ordinary text */
    const char *esc = "{\"g\": \"a\\\\u0000\"}";
    parse(esc, strlen(esc), &rec);
    CHECKF(!rec.error_kind, "%s: %s", esc, rec.error);
    tf_record_clear(&rec);
    /* a line that could not be read: every group value null, no error kind */
    parse(NULL, 0, &rec);
    CHECK(!rec.error_kind && !rec.json && rec.key && strcmp(rec.key, "[null,null]") == 0);
    grp = rec.group ? cJSON_PrintUnformatted(rec.group) : NULL;
    CHECKF(grp && strcmp(grp, "{\"g\":null,\"h.x\":null}") == 0, "group %s", grp ? grp : "(none)");
    free(grp);
    tf_record_clear(&rec);
    /* without group_by: neither key nor group */
    tf_record_spec none = {0};
    CHECK(tf_record_parse(&none, ok, strlen(ok), &rec) == TF_OK && !rec.key && !rec.group);
    tf_record_clear(&rec);
}

/* Split text (with an optional separate reasoning) and compare the parts:
 * want_r NULL means no reasoning part. */
static void expect_split(const char *text, const char *sep, const char *want_r, const char *want_a,
                         const char *want_from)
{
    tf_buf scratch;
    tf_buf_init(&scratch, 0);
    tf_parts p;
    tf_err err =
        tf_parts_split(text, strlen(text), sep, sep ? strlen(sep) : 0, "field", &scratch, &p);
    CHECKF(err == TF_OK, "split %s: %s", text, tf_strerror(err));
    if (err == TF_OK) {
        CHECKF(want_r ? p.reasoning && p.reasoning_len == strlen(want_r) &&
                            memcmp(p.reasoning, want_r, p.reasoning_len) == 0 &&
                            p.reasoning[p.reasoning_len] == '\0'
                      : !p.reasoning && p.reasoning_len == 0,
               "split %s: reasoning \"%.*s\", want \"%s\"", text, (int)p.reasoning_len,
               p.reasoning ? p.reasoning : "", want_r ? want_r : "(none)");
        CHECKF(p.answer && p.answer_len == strlen(want_a) &&
                   memcmp(p.answer, want_a, p.answer_len) == 0 && p.answer[p.answer_len] == '\0',
               "split %s: answer \"%.*s\", want \"%s\"", text, (int)p.answer_len,
               p.answer ? p.answer : "", want_a);
        CHECKF(want_from ? p.reasoning_from && strcmp(p.reasoning_from, want_from) == 0
                         : !p.reasoning_from,
               "split %s: from %s", text, p.reasoning_from ? p.reasoning_from : "(none)");
    }
    tf_buf_free(&scratch);
}

static void test_parts(void)
{
    /* no reasoning at all */
    expect_split("plan 0 0", NULL, NULL, "plan 0 0", NULL);
    expect_split("", NULL, NULL, "", NULL);
    expect_split("a <thin k> b </thin>", NULL, NULL, "a <thin k> b </thin>", NULL);
    /* a separate reasoning channel wins; the text is not searched */
    expect_split("<think>x</think>A", "R", "R", "<think>x</think>A", "field");
    /* an empty separate reasoning is none: the text is split */
    expect_split("<think>x</think>A", "", "x", "A", "think");
    /* a <think> block */
    expect_split("<think>\nR\n</think>\n\nA", NULL, "\nR\n", "\n\nA", "think");
    expect_split("  <think>R</think>A", NULL, "R", "  A", "think");
    expect_split("pre<think>R</think>post", NULL, "R", "prepost", "think");
    expect_split("<think></think>A", NULL, "", "A", "think");
    /* only the first block: a later one is part of the answer */
    expect_split("<think>R</think>A<think>S</think>B", NULL, "R", "A<think>S</think>B", "think");
    expect_split("<think>R <think> S</think>A", NULL, "R <think> S", "A", "think");
    /* cut inside the reasoning: everything after <think> is reasoning */
    expect_split("<think>R and more", NULL, "R and more", "", "think");
    expect_split("<think>", NULL, "", "", "think");
    expect_split("\n<think>R", NULL, "R", "\n", "think");
    /* DeepSeek-R1: "<think>" was in the prompt, the text starts inside it */
    expect_split("R\n</think>\n\nA", NULL, "R\n", "\n\nA", "think");
    expect_split("</think>A", NULL, "", "A", "think");
    expect_split("R</think>A</think>B", NULL, "R", "A</think>B", "think");
    /* a </think> before the <think>: the <think> rule */
    expect_split("x</think>y<think>R</think>A", NULL, "R", "x</think>yA", "think");
    /* UTF-8 and lengths: the tags are found byte-wise */
    expect_split("<think>\xc3\xa9</think>\xe2\x82\xac", NULL, "\xc3\xa9", "\xe2\x82\xac", "think");
    /* a scratch buffer is reused from split to split */
    tf_buf scratch;
    tf_buf_init(&scratch, 0);
    tf_parts p;
    const char *big = "<think>a much longer reasoning than the next one</think>answer";
    CHECK(tf_parts_split(big, strlen(big), NULL, 0, NULL, &scratch, &p) == TF_OK &&
          p.answer_len == 6);
    CHECK(tf_parts_split("<think>r</think>a", 17, NULL, 0, NULL, &scratch, &p) == TF_OK &&
          p.reasoning_len == 1 && strcmp(p.reasoning, "r") == 0 && strcmp(p.answer, "a") == 0);
    tf_buf_free(&scratch);
}

int main(void)
{
    test_paths();
    test_records();
    test_parts();
    return tf_test_done();
}
