/*
 * utf8.h - byte-level text checks shared by every parser of untrusted text
 * (FOCUS validation, API query strings, gateway request bodies).
 * Pure functions; nothing is allocated.
 */
#ifndef AICOST_UTF8_H
#define AICOST_UTF8_H

#include <stddef.h>

/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes left): 1 for
 * ASCII, 2-4 for a valid multi-byte sequence, 0 if invalid (bad lead or
 * continuation byte, truncated, overlong, surrogate, above U+10FFFF).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* 1 if all n bytes are well-formed UTF-8. */
int utf8_valid(const unsigned char *s, size_t n);
/* Value of one hexadecimal digit, -1 if c is not one. */
int hex_digit(int c);

#endif
