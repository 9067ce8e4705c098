/* test_cache.c: SHA-256 against FIPS 180-4 / NIST vectors, and the response
 * cache: put/get, misses, collisions, and two processes writing the same
 * key at once (fork) while a third reads. */
#include "tf_test.h"
#include "tracefarm/cache.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void hex_of(const void *p, size_t n, char hex[65])
{
    uint8_t dig[32];
    tf_sha256(p, n, dig);
    tf_sha256_hex(dig, hex);
}

static void test_sha256(void)
{
    char hex[65];
    hex_of("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    hex_of("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmn"
        "opqrlmnopqrsmnopqrstnopqrstu";
    hex_of(m896, strlen(m896), hex);
    CHECK(strcmp(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1") == 0);
    /* One million 'a', fed in uneven pieces to exercise the block logic. */
    tf_sha256_ctx c;
    tf_sha256_init(&c);
    static char a[1000];
    memset(a, 'a', sizeof a);
    size_t done = 0, step = 1;
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        n = n > sizeof a ? sizeof a : n;
        tf_sha256_update(&c, a, n);
        done += n;
        step = step * 7 % 997 + 1;
    }
    uint8_t dig[32];
    tf_sha256_final(&c, dig);
    tf_sha256_hex(dig, hex);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    /* Lengths around the padding boundary agree one-shot vs byte by byte. */
    for (size_t n = 50; n < 130; n++) {
        char h1[65], h2[65];
        hex_of(a, n, h1);
        tf_sha256_init(&c);
        for (size_t i = 0; i < n; i++)
            tf_sha256_update(&c, a + i, 1);
        tf_sha256_final(&c, dig);
        tf_sha256_hex(dig, h2);
        CHECK(strcmp(h1, h2) == 0);
    }
    /* 55, 56 and 64 bytes (padding edge cases), checked with sha256sum. */
    hex_of(a, 55, hex);
    CHECK(strcmp(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318") == 0);
    hex_of(a, 56, hex);
    CHECK(strcmp(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a") == 0);
    hex_of(a, 64, hex);
    CHECK(strcmp(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb") == 0);
}

/* Count regular files under dir whose name starts with prefix (one level
 * of subdirectories). */
static int count_files(const char *dir, const char *prefix)
{
    int n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (;;) {
        struct dirent *e = readdir(d);
        if (!e)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += count_files(p, prefix);
        else if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_cache_basic(const char *dir)
{
    tf_diag d;
    tf_cache *c = NULL;
    CHECK(tf_cache_open(dir, &c, &d) == TF_OK);
    if (!c)
        return;
    const char *body = "{\"model\":\"m\",\"prompt\":\"p \\\"q\\\"\",\"seed\":7}";
    const char *resp = "{\"choices\":[{\"text\":\"x\\ny\"}]}\n";
    char key[65], key2[65], key3[65];
    tf_cache_key("completions", 0, body, strlen(body), key);
    tf_cache_key("completions", 1, body, strlen(body), key2);
    tf_cache_key("chat", 0, body, strlen(body), key3);
    CHECK(strcmp(key, key2) != 0 && strcmp(key, key3) != 0 && strlen(key) == 64);

    char *got = NULL;
    size_t len = 0;
    CHECK(tf_cache_get(c, key, "completions", 0, body, 1 << 20, &got, &len) == TF_ERR_EOF);
    CHECK(got == NULL);
    CHECK(tf_cache_put(c, key, "completions", 0, body, resp, strlen(resp), &d) == TF_OK);
    CHECK(tf_cache_get(c, key, "completions", 0, body, 1 << 20, &got, &len) == TF_OK);
    CHECK(got && len == strlen(resp) && strcmp(got, resp) == 0);
    free(got);
    /* Over the size cap: a miss. */
    CHECK(tf_cache_get(c, key, "completions", 0, body, 4, &got, &len) == TF_ERR_EOF);
    /* Another request under the same key (a collision, or an edited file):
     * a miss, not a wrong answer. */
    CHECK(tf_cache_get(c, key, "completions", 0, "{\"model\":\"m\"}", 1 << 20, &got, &len) ==
          TF_ERR_EOF);
    CHECK(tf_cache_get(c, key, "chat", 0, body, 1 << 20, &got, &len) == TF_ERR_EOF);
    /* The layout: DIR/ab/<hex>.json, and no temporary file left. */
    char *path = tf_cache_path(c, key);
    struct stat st;
    CHECK(path && stat(path, &st) == 0 && S_ISREG(st.st_mode));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/%.2s/%s.json", dir, key, key);
    CHECK(path && strcmp(path, sub) == 0);
    CHECK(count_files(dir, ".") == 0);
    /* A corrupt (truncated) entry is a miss. */
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (f) {
        fputs("{\"cache_version\":1,\"api\":\"compl", f);
        fclose(f);
    }
    CHECK(tf_cache_get(c, key, "completions", 0, body, 1 << 20, &got, &len) == TF_ERR_EOF);
    /* A bad key names no file. */
    CHECK(tf_cache_get(c, "../../etc/passwd", "completions", 0, body, 1 << 20, &got, &len) ==
          TF_ERR_EOF);
    tf_cache_counts n = tf_cache_counts_get(c);
    CHECK(n.hits == 1 && n.misses == 6 && n.writes == 1 && n.corrupt >= 3);
    free(path);
    tf_cache_free(c);
    tf_cache_free(NULL);
}

/* Two writer processes store the same key 300 times each, with different
 * (valid) responses, while a reader process reads it: the reader only
 * ever sees a complete entry from one writer or the other, and no
 * temporary file is left. */
static void test_cache_concurrent(const char *dir)
{
    const char *body = "{\"model\":\"m\",\"prompt\":\"race\",\"seed\":1}";
    char key[65];
    tf_cache_key("completions", 0, body, strlen(body), key);
    static char big[2][200000];
    for (int w = 0; w < 2; w++) {
        memset(big[w], w ? 'B' : 'A', sizeof big[w] - 1);
        big[w][sizeof big[w] - 1] = '\0';
    }
    pid_t pids[3];
    for (int p = 0; p < 3; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            tf_cache *c = NULL;
            if (tf_cache_open(dir, &c, NULL) != TF_OK)
                _exit(2);
            int bad = 0;
            for (int i = 0; i < 300; i++) {
                if (p < 2) {
                    bad += tf_cache_put(c, key, "completions", 0, body, big[p], strlen(big[p]),
                                        NULL) != TF_OK;
                } else {
                    char *got = NULL;
                    size_t len = 0;
                    tf_err e = tf_cache_get(c, key, "completions", 0, body, 1 << 20, &got, &len);
                    if (e == TF_OK)
                        bad += !(len == strlen(big[0]) &&
                                 (strcmp(got, big[0]) == 0 || strcmp(got, big[1]) == 0));
                    else
                        bad += e != TF_ERR_EOF;
                    free(got);
                }
            }
            tf_cache_free(c);
            _exit(bad ? 1 : 0);
        }
    }
    for (int p = 0; p < 3; p++) {
        int status = -1;
        CHECK(pids[p] > 0 && waitpid(pids[p], &status, 0) == pids[p]);
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status %d", p, status);
    }
    tf_cache *c = NULL;
    CHECK(tf_cache_open(dir, &c, NULL) == TF_OK);
    char *got = NULL;
    size_t len = 0;
    CHECK(c && tf_cache_get(c, key, "completions", 0, body, 1 << 20, &got, &len) == TF_OK);
    CHECK(got && len == strlen(big[0]));
    free(got);
    tf_cache_free(c);
    CHECK(count_files(dir, ".") == 0);
}

int main(void)
{
    test_sha256();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cache-test-%ld", TF_TEST_TMP, (long)getpid());
    test_cache_basic(dir);
    test_cache_concurrent(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return tf_test_done();
}
