/*
 * sbuf.h - a growable byte buffer that is always NUL-terminated.
 *
 * One type for the places that build text piece by piece (JSON writers,
 * SSE lines, HTTP bodies) instead of a private copy of the same doubling
 * loop in each. Callers that need a bound check it before adding: the
 * buffer itself only grows (xrealloc aborts on out-of-memory).
 *
 * Ownership: the buffer owns s; sbuf_release frees it, sbuf_detach hands it
 * to the caller (free() it) and leaves the buffer empty. { 0 } is a valid
 * empty buffer (s may be NULL until the first add).
 */
#ifndef AICOST_SBUF_H
#define AICOST_SBUF_H

#include <stddef.h>

struct sbuf {
	char *s;
	size_t n, cap;
};

/* Make room for `extra` more bytes plus the NUL. */
void sbuf_grow(struct sbuf *b, size_t extra);
void sbuf_add(struct sbuf *b, const void *p, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
void sbuf_addc(struct sbuf *b, char c);
/* The bytes (never NULL; "" when empty), now the caller's; *n gets the length if n is not NULL. */
char *sbuf_detach(struct sbuf *b, size_t *n);
void sbuf_release(struct sbuf *b);

#endif
