/* hash.c: FNV-1a 64 and SHA-256 (hash.h). */
#include "tracefarm/hash.h"

#include <openssl/evp.h>

uint64_t tf_fnv64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

tf_err tf_sha256(const tf_bytes *pieces, size_t n, uint8_t out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return TF_ERR_NOMEM;
    int ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = pieces[i].n == 0 || EVP_DigestUpdate(c, pieces[i].p, pieces[i].n) == 1;
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(c, out, &len) == 1 && len == 32;
    EVP_MD_CTX_free(c);
    return ok ? TF_OK : TF_ERR_INTERNAL;
}

void tf_hex(const uint8_t *bytes, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = '\0';
}
