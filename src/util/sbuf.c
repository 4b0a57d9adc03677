/* sbuf.c - growable NUL-terminated byte buffer (see sbuf.h). */
#include <stdlib.h>
#include <string.h>
#include "util/err.h"
#include "util/sbuf.h"

void sbuf_grow(struct sbuf *b, size_t extra)
{
	size_t need = b->n + extra + 1;
	if (need <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 64;
	while (c < need)
		c *= 2;
	b->s = xrealloc(b->s, c);
	b->cap = c;
}

void sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	sbuf_grow(b, n);
	if (n)
		memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

char *sbuf_detach(struct sbuf *b, size_t *n)
{
	sbuf_grow(b, 0);
	b->s[b->n] = '\0';   /* a buffer never added to has no NUL yet */
	char *s = b->s;
	if (n)
		*n = b->n;
	b->s = NULL;
	b->n = b->cap = 0;
	return s;
}

void sbuf_release(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->n = b->cap = 0;
}
