/* test_cache.c: the response
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
    CHECK(tf_cache_key("completions", 0, body, strlen(body), key) == TF_OK);
    CHECK(tf_cache_key("completions", 1, body, strlen(body), key2) == TF_OK);
    CHECK(tf_cache_key("chat", 0, body, strlen(body), key3) == TF_OK);
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
    CHECK(tf_cache_key("completions", 0, body, strlen(body), key) == TF_OK);
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
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cache-test-%ld", TF_TEST_TMP, (long)getpid());
    test_cache_basic(dir);
    test_cache_concurrent(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return tf_test_done();
}
