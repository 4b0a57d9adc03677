/*
 * cache.h - the server's response cache and single flight. Owned by the
 * event-loop thread only (no locks): workers never touch it.
 *
 * A key is the route, the ledger and config version, the token's team and
 * the sorted query parameters (server.c builds it), so an entry is never
 * stale: a new ledger version is a new key, and old entries age out of the
 * LRU list. An entry is first *pending* (one worker computes it; requests for
 * the same key wait on it instead of computing again), then *ready* (status
 * 200 only; errors are answered and dropped). Ready entries are bounded by
 * total bytes; pending ones are never evicted.
 *
 * Ownership: the cache owns keys and bodies; cache_fill takes the body.
 */
#ifndef AICOST_HTTP_CACHE_H
#define AICOST_HTTP_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct waiter;

struct centry {
	struct centry *hnext;            /* hash chain */
	struct centry *lprev, *lnext;    /* LRU list, ready entries only; head = most recent */
	uint64_t h;
	char *key;
	size_t klen;
	int pending;
	struct waiter *waiters;          /* requests waiting for a pending entry (server.c) */
	int status;
	char *body;
	size_t len;
	const char *ctype;               /* static */
};

struct http_cache {
	struct centry **b;
	size_t nb;                       /* buckets, a power of two */
	size_t n, bytes, max_bytes;
	struct centry *head, *tail;
	uint64_t hits, misses, evictions;
};

void cache_init(struct http_cache *c, size_t max_bytes);
/* Free every entry (pending ones included: their waiters must be gone). */
void cache_release(struct http_cache *c);
/* The entry of key, or NULL. A ready hit moves to the LRU head. */
struct centry *cache_find(struct http_cache *c, const char *key, size_t klen);
/* A new pending entry for key (not present). */
struct centry *cache_add(struct http_cache *c, const char *key, size_t klen);
/* A pending entry becomes ready with body (taken); evicts old entries past max_bytes. */
void cache_fill(struct http_cache *c, struct centry *e, int status, char *body, size_t len, const char *ctype);
/* Remove and free an entry. */
void cache_remove(struct http_cache *c, struct centry *e);

#endif
