/* text.h: UTF-8 checks for text that goes into outputs.
 *
 * Outputs are JSON, and JSON text is UTF-8 (RFC 8259). Records are checked
 * on the way in (worker.c refuses a line that is not UTF-8); reasons built
 * from untrusted bytes (a token quoted from a prompt, a server's error
 * message, a truncated diagnostic) are made safe on the way out.
 */
#ifndef TRACEFARM_TEXT_H
#define TRACEFARM_TEXT_H

#include <stddef.h>

/* Offset of the first byte of p[0..len) that does not start a valid UTF-8
 * sequence (overlong forms, surrogates and code points past U+10FFFF are
 * invalid), or len if all of it is valid. */
size_t tf_utf8_invalid_at(const char *p, size_t len);

/* Replace, in place, every byte of the NUL-terminated s that is not part of
 * a valid UTF-8 sequence with '?'. The length does not change. */
void tf_utf8_sanitize(char *s);

#endif
