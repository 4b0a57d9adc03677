/* cache.c - the response cache of the server; see cache.h. */
#include <stdlib.h>
#include <string.h>
#include "http/cache.h"
#include "util/dict.h"
#include "util/err.h"

void cache_init(struct http_cache *c, size_t max_bytes)
{
	memset(c, 0, sizeof *c);
	c->nb = 4096;
	c->b = xcalloc(c->nb, sizeof *c->b);
	c->max_bytes = max_bytes;
}

static void lru_unlink(struct http_cache *c, struct centry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else if (c->head == e)
		c->head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else if (c->tail == e)
		c->tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push(struct http_cache *c, struct centry *e)
{
	e->lprev = NULL;
	e->lnext = c->head;
	if (c->head)
		c->head->lprev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static size_t cost(const struct centry *e)
{
	return e->klen + e->len + sizeof *e;
}

void cache_remove(struct http_cache *c, struct centry *e)
{
	struct centry **p = &c->b[e->h & (c->nb - 1)];
	while (*p && *p != e)
		p = &(*p)->hnext;
	if (*p)
		*p = e->hnext;
	if (!e->pending) {
		lru_unlink(c, e);
		c->bytes -= cost(e);
	}
	c->n--;
	free(e->key);
	free(e->body);
	free(e);
}

void cache_release(struct http_cache *c)
{
	for (size_t i = 0; i < c->nb; i++)
		for (struct centry *e = c->b[i], *nx; e; e = nx) {
			nx = e->hnext;
			free(e->key);
			free(e->body);
			free(e);
		}
	free(c->b);
	memset(c, 0, sizeof *c);
}

struct centry *cache_find(struct http_cache *c, const char *key, size_t klen)
{
	uint64_t h = hash_bytes(key, klen);
	for (struct centry *e = c->b[h & (c->nb - 1)]; e; e = e->hnext)
		if (e->h == h && e->klen == klen && !memcmp(e->key, key, klen)) {
			if (!e->pending) {
				lru_unlink(c, e);
				lru_push(c, e);
			}
			return e;
		}
	return NULL;
}

struct centry *cache_add(struct http_cache *c, const char *key, size_t klen)
{
	struct centry *e = xcalloc(1, sizeof *e);
	e->h = hash_bytes(key, klen);
	e->key = xstrndup(key, klen);
	e->klen = klen;
	e->pending = 1;
	struct centry **b = &c->b[e->h & (c->nb - 1)];
	e->hnext = *b;
	*b = e;
	c->n++;
	return e;
}

void cache_fill(struct http_cache *c, struct centry *e, int status, char *body, size_t len, const char *ctype)
{
	e->pending = 0;
	e->status = status;
	e->body = body;
	e->len = len;
	e->ctype = ctype;
	lru_push(c, e);
	c->bytes += cost(e);
	while (c->bytes > c->max_bytes && c->tail && c->tail != e) {
		c->evictions++;
		cache_remove(c, c->tail);
	}
}
