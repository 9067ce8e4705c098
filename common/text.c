/* text.c: UTF-8 validation and repair (see text.h). */
#include "tracefarm/text.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at p[0..len), or 0 if there is none. */
static size_t seq_len(const unsigned char *p, size_t len)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        lo = c == 0xF0 ? 0x90 : 0x80; /* no overlong forms */
        hi = c == 0xF4 ? 0x8F : 0xBF; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n >= len) /* the sequence runs past the end */
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k <= n; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return n + 1;
}

size_t tf_utf8_invalid_at(const char *p, size_t len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len(u + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

void tf_utf8_sanitize(char *s)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len((const unsigned char *)s + i, len - i);
        if (n == 0) {
            s[i] = '?';
            n = 1;
        }
        i += n;
    }
}
