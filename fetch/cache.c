/* cache.c: the response cache (see cache.h for the layout and its promises). */
#include "tracefarm/cache.h"
#include "tracefarm/hash.h"
#include "tracefarm/zio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tf_cache {
    char *dir;             /* owned: the cache directory, no trailing slash */
    unsigned long counter; /* makes temporary names unique within the process */
    tf_cache_counts n;     /* this handle's counters */
};

/* Version tag of the key and of the entry format; bump both together. */
#define CACHE_VERSION 1
#define KEY_PREFIX "tracefarm-cache-v1\n"

tf_err tf_cache_key(const char *api, unsigned sample, const char *body, size_t body_len,
                    char hex[65])
{
    char num[32];
    int n = snprintf(num, sizeof num, "\n%u\n", sample);
    tf_bytes parts[] = {
        {KEY_PREFIX, strlen(KEY_PREFIX)}, {api, strlen(api)}, {num, (size_t)n}, {body, body_len}};
    uint8_t dig[32];
    tf_err err = tf_sha256(parts, sizeof parts / sizeof *parts, dig);
    if (err == TF_OK)
        tf_hex(dig, sizeof dig, hex);
    return err;
}

tf_err tf_cache_open(const char *dir, tf_cache **out, tf_diag *d)
{
    *out = NULL;
    tf_err e = tf_mkdirs(dir, d);
    if (e != TF_OK)
        return e;
    tf_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(dir))) {
        free(c);
        return TF_ERR_NOMEM;
    }
    size_t n = strlen(c->dir);
    while (n > 1 && c->dir[n - 1] == '/')
        c->dir[--n] = '\0';
    *out = c;
    return TF_OK;
}

void tf_cache_free(tf_cache *c)
{
    if (!c)
        return;
    free(c->dir);
    free(c);
}

tf_cache_counts tf_cache_counts_get(const tf_cache *c)
{
    return c->n;
}

/* A key is exactly 64 lower-case hex digits (it names a file). */
static int valid_hex(const char *hex)
{
    for (int i = 0; i < 64; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return 0;
    return hex[64] == '\0';
}

char *tf_cache_path(const tf_cache *c, const char *hex)
{
    size_t n = strlen(c->dir) + 80;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%.2s/%s.json", c->dir, hex, hex);
    return p;
}

/* Read a whole file of at most cap bytes into a NUL-terminated buffer
 * (caller frees). NULL if absent, unreadable, over cap or out of memory
 * (*nomem says which of the last). */
static char *slurp(const char *path, size_t cap, size_t *len, int *nomem)
{
    *nomem = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > cap) {
        fclose(f);
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *p = malloc(n + 1);
    if (!p) {
        *nomem = 1;
        fclose(f);
        return NULL;
    }
    size_t got = fread(p, 1, n, f);
    fclose(f);
    if (got != n) {
        free(p);
        return NULL;
    }
    p[n] = '\0';
    *len = n;
    return p;
}

tf_err tf_cache_get(tf_cache *c, const char *hex, const char *api, unsigned sample,
                    const char *body, size_t max_bytes, char **response, size_t *len)
{
    *response = NULL;
    *len = 0;
    if (!valid_hex(hex)) {
        c->n.misses++;
        return TF_ERR_EOF;
    }
    char *path = tf_cache_path(c, hex);
    if (!path)
        return TF_ERR_NOMEM;
    /* The entry holds the request and escapes the response: allow room. */
    size_t cap =
        max_bytes > ((size_t)-1) / 8 ? (size_t)-1 : max_bytes * 6 + strlen(body) * 6 + 4096;
    size_t n = 0;
    int nomem = 0;
    char *text = slurp(path, cap, &n, &nomem);
    free(path);
    if (nomem)
        return TF_ERR_NOMEM;
    if (!text) {
        c->n.misses++;
        return TF_ERR_EOF;
    }
    tf_err err = TF_ERR_EOF;
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "cache_version");
    const cJSON *ja = cJSON_GetObjectItemCaseSensitive(j, "api");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(j, "sample");
    const cJSON *jq = cJSON_GetObjectItemCaseSensitive(j, "request");
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(j, "response");
    if (cJSON_IsNumber(ver) && ver->valuedouble == CACHE_VERSION && cJSON_IsString(ja) &&
        strcmp(ja->valuestring, api) == 0 && cJSON_IsNumber(js) &&
        js->valuedouble == (double)sample && cJSON_IsObject(jq) && cJSON_IsString(jr) &&
        strlen(jr->valuestring) <= max_bytes) {
        /* Guard against a hash collision or a hand-edited entry: the stored
         * request must print exactly as the one asked for. */
        char *req = cJSON_PrintUnformatted(jq);
        if (!req) {
            cJSON_Delete(j);
            return TF_ERR_NOMEM;
        }
        if (strcmp(req, body) == 0) {
            *len = strlen(jr->valuestring);
            *response = strdup(jr->valuestring);
            err = *response ? TF_OK : TF_ERR_NOMEM;
        }
        free(req);
    }
    cJSON_Delete(j);
    if (err == TF_OK) {
        c->n.hits++;
    } else if (err == TF_ERR_EOF) {
        c->n.misses++;
        c->n.corrupt++;
    }
    return err;
}

/* Write len bytes to a unique temporary file next to path, then rename it
 * over path. No temporary file survives a failure. */
static tf_err write_rename(tf_cache *c, const char *dir, const char *hex, const char *path,
                           const char *data, size_t len, tf_diag *d)
{
    size_t n = strlen(dir) + 128;
    char *tmp = malloc(n);
    if (!tmp)
        return TF_ERR_NOMEM;
    snprintf(tmp, n, "%s/.%s.%ld.%lu.tmp", dir, hex, (long)getpid(), c->counter++);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        tf_diag_set(d, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return TF_ERR_IO;
    }
    int bad = fwrite(data, 1, len, f) != len;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        tf_diag_set(d, "%s: cannot write: %s", path, strerror(saved));
        unlink(tmp);
    }
    free(tmp);
    return bad ? TF_ERR_IO : TF_OK;
}

tf_err tf_cache_put(tf_cache *c, const char *hex, const char *api, unsigned sample,
                    const char *body, const char *response, size_t response_len, tf_diag *d)
{
    if (!valid_hex(hex)) {
        tf_diag_set(d, "cache: invalid key");
        c->n.write_errors++;
        return TF_ERR_INTERNAL;
    }
    tf_err err = TF_ERR_NOMEM;
    char *text = NULL, *path = NULL, *sub = NULL, *resp = NULL;
    cJSON *j = cJSON_CreateObject();
    cJSON *req = cJSON_Parse(body);
    if (!j || !req)
        goto out;
    resp = malloc(response_len + 1);
    if (!resp)
        goto out;
    memcpy(resp, response, response_len);
    resp[response_len] = '\0';
    if (!cJSON_AddNumberToObject(j, "cache_version", CACHE_VERSION) ||
        !cJSON_AddStringToObject(j, "api", api) ||
        !cJSON_AddNumberToObject(j, "sample", (double)sample))
        goto out;
    cJSON_AddItemToObject(j, "request", req);
    req = NULL;
    if (!cJSON_AddStringToObject(j, "response", resp))
        goto out;
    text = cJSON_PrintUnformatted(j);
    path = tf_cache_path(c, hex);
    size_t sn = strlen(c->dir) + 4;
    sub = malloc(sn);
    if (!text || !path || !sub)
        goto out;
    snprintf(sub, sn, "%s/%.2s", c->dir, hex);
    if (mkdir(sub, 0777) != 0 && errno != EEXIST) {
        tf_diag_set(d, "%s: cannot create directory: %s", sub, strerror(errno));
        err = TF_ERR_IO;
        goto out;
    }
    err = write_rename(c, sub, hex, path, text, strlen(text), d);
out:
    if (err == TF_OK)
        c->n.writes++;
    else
        c->n.write_errors++;
    cJSON_Delete(j);
    cJSON_Delete(req);
    free(resp);
    free(text);
    free(path);
    free(sub);
    return err;
}
