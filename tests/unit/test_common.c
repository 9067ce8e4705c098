/* test_common.c: bounded buffers, diagnostics, atomic zstd output, hashes,
 * UTF-8 checks, the spec schema's optional keys. */
#include "tf_test.h"
#include "tracefarm/buf.h"
#include "tracefarm/hash.h"
#include "tracefarm/schema.h"
#include "tracefarm/text.h"
#include "tracefarm/zio.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static void hex_of(const void *p, size_t n, char hex[65])
{
    uint8_t dig[32];
    tf_bytes one = {p, n};
    CHECK(tf_sha256(&one, 1, dig) == TF_OK);
    tf_hex(dig, sizeof dig, hex);
}

/* SHA-256 (libcrypto behind tf_sha256) against FIPS 180-4 / NIST vectors,
 * and a message in pieces equals the message whole. FNV-1a 64 against its
 * published vectors. */
static void test_hash(void)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    hex_of("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    /* the 448-bit message in three pieces, one of them empty */
    tf_bytes parts[] = {{m448, 10}, {NULL, 0}, {m448 + 10, strlen(m448) - 10}};
    uint8_t dig[32];
    CHECK(tf_sha256(parts, 3, dig) == TF_OK);
    tf_hex(dig, sizeof dig, hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    CHECK(tf_fnv64(TF_FNV_SEED, "", 0) == UINT64_C(0xcbf29ce484222325));
    CHECK(tf_fnv64(TF_FNV_SEED, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    CHECK(tf_fnv64(TF_FNV_SEED, "foobar", 6) == UINT64_C(0x85944171f73967e8));
    CHECK(tf_fnv64(tf_fnv64(TF_FNV_SEED, "foo", 3), "bar", 3) == UINT64_C(0x85944171f73967e8));
}

/* "Optional, no default" (TF_KEY_OPTIONAL without dflt): an absent key
 * leaves its field alone and writes nothing into the section (a domain
 * tells "not given" from any value, e.g. the maze's rows), a given one is
 * checked and stored, and the reference says it has no default. */
static void test_schema_optional(void)
{
    typedef struct sec {
        long rows;
    } sec;
    static const tf_key k[] = {{.name = "rows",
                                .type = TF_KEY_INT,
                                .lo = 1,
                                .hi = 10,
                                .flags = TF_KEY_OPTIONAL,
                                .offset = offsetof(sec, rows),
                                .help = "h"}};
    sec s = {0};
    tf_schema t = {k, 1, &s};
    tf_diag d = {{0}};
    cJSON *o = cJSON_Parse("{}");
    CHECK(tf_schema_apply(&t, 1, o, "maze", "j.json", &d) == TF_OK);
    CHECK(s.rows == 0 && o->child == NULL);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"rows\": 7}");
    CHECK(tf_schema_apply(&t, 1, o, "maze", "j.json", &d) == TF_OK && s.rows == 7);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"rows\": 0}");
    CHECK(tf_schema_apply(&t, 1, o, "maze", "j.json", &d) == TF_ERR_SPEC);
    CHECK(strstr(d.msg, "\"maze.rows\" must be an integer from 1 to 10") != NULL);
    cJSON_Delete(o);
    tf_buf b;
    tf_buf_init(&b, 4096);
    CHECK(tf_schema_doc(k, 1, "maze.", &b) == TF_OK && strstr(b.data, "| (none) |") != NULL);
    tf_buf_free(&b);
}

int main(void)
{
    test_hash();
    test_schema_optional();
    /* The cap holds and a refused append leaves the buffer as it was. */
    tf_buf b;
    tf_buf_init(&b, 10);
    CHECK(tf_buf_puts(&b, "hello") == TF_OK);
    CHECK(tf_buf_puts(&b, "world!") == TF_ERR_TOO_BIG);
    CHECK(b.len == 5 && strcmp(b.data, "hello") == 0);
    CHECK(tf_buf_printf(&b, "%d", 12345) == TF_OK && strcmp(b.data, "hello12345") == 0);
    CHECK(tf_buf_append(&b, "x", 1) == TF_ERR_TOO_BIG);
    tf_buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0');
    tf_buf_free(&b);

    tf_diag d;
    tf_diag_set(&d, "line %d", 7);
    tf_diag_prefix(&d, "%s: ", "f.jsonl");
    CHECK(strcmp(d.msg, "f.jsonl: line 7") == 0);
    CHECK(strcmp(tf_strerror(TF_ERR_SPEC), "invalid job spec") == 0);

    /* A zstd file written in pieces decompresses to the pieces, and no
     * temporary file is left behind. */
    char path[512];
    snprintf(path, sizeof path, "%s/common-out.zst", TF_TEST_TMP);
    tf_zwriter *w = NULL;
    CHECK(tf_zwriter_open(path, 3, &w, &d) == TF_OK);
    size_t total = 0;
    for (int i = 0; w && i < 1000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "{\"i\":%d}\n", i);
        CHECK(tf_zwriter_write(w, line, (size_t)n, &d) == TF_OK);
        total += (size_t)n;
    }
    CHECK(tf_zwriter_close(w, 1, &d) == TF_OK);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) {
        static char comp[1 << 20], plain[1 << 20];
        size_t n = fread(comp, 1, sizeof comp, f);
        fclose(f);
        size_t m = ZSTD_decompress(plain, sizeof plain, comp, n);
        CHECK(!ZSTD_isError(m) && m == total);
        CHECK(memcmp(plain, "{\"i\":0}\n{\"i\":1}\n", 16) == 0);
    }
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct stat st;
    CHECK(stat(tmp, &st) != 0);
    /* A discarded writer leaves nothing. */
    snprintf(path, sizeof path, "%s/common-discard.zst", TF_TEST_TMP);
    CHECK(tf_zwriter_open(path, 3, &w, &d) == TF_OK);
    CHECK(tf_zwriter_close(w, 0, &d) == TF_OK);
    CHECK(stat(path, &st) != 0);
    /* Writing into a missing directory names the path. */
    CHECK(tf_write_atomic("/nonexistent-dir/x", "a", 1, &d) == TF_ERR_IO);
    CHECK(strstr(d.msg, "/nonexistent-dir/x") != NULL);
    /* UTF-8: valid text passes; each kind of invalid sequence is found at
     * its first byte and replaced byte by byte. */
    const char *good = "plain caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80";
    CHECK(tf_utf8_invalid_at(good, strlen(good)) == strlen(good));
    static const struct {
        const char *s;
        size_t at;
    } bad[] = {
        {"ab\xff", 2},           /* never valid */
        {"a\xc0\xaf", 1},        /* overlong "/" */
        {"\xe0\x80\xaf", 0},     /* overlong, 3 bytes */
        {"x\xed\xa0\x80", 1},    /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 0}, /* past U+10FFFF */
        {"ok\xc3", 2},           /* cut at the end */
        {"\xe2\x9c", 0},         /* cut at the end */
        {"a\x80"
         "b",
         1}, /* lone continuation byte */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECKF(tf_utf8_invalid_at(bad[i].s, strlen(bad[i].s)) == bad[i].at, "case %zu", i);
        char copy[16];
        snprintf(copy, sizeof copy, "%s", bad[i].s);
        tf_utf8_sanitize(copy);
        CHECKF(tf_utf8_invalid_at(copy, strlen(copy)) == strlen(copy) &&
                   strlen(copy) == strlen(bad[i].s) && copy[bad[i].at] == '?',
               "sanitize case %zu", i);
    }
    char mixed[] = "caf\xc3\xa9\xff!";
    tf_utf8_sanitize(mixed);
    CHECK(strcmp(mixed, "caf\xc3\xa9?!") == 0);
    return tf_test_done();
}
