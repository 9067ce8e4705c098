/* replay.c: run a fuzz target over saved inputs (files or directories),
 * so ordinary test runs replay every corpus entry without libFuzzer. */
#include "../unit/tf_test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not replayed (the corpus keeps small ones). */
#define REPLAY_MAX (64UL << 20)

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECKF(0, "cannot open %s", path);
        return;
    }
    uint8_t *buf = malloc(REPLAY_MAX);
    size_t n = buf ? fread(buf, 1, REPLAY_MAX, f) : 0;
    fclose(f);
    if (!buf) {
        CHECK(0);
        return;
    }
    /* libFuzzer hands over exactly n bytes in their own allocation */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    CHECK(1); /* reaching here means no crash, leak abort or sanitizer stop */
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            CHECKF(0, "no such input %s", argv[i]);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            replay_file(argv[i]);
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
            replay_file(p);
        }
        if (d)
            closedir(d);
    }
    return tf_test_done();
}
