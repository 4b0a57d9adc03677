/*
 * cache.c - cached bodies (gw_blob) and the exact response cache (see
 * cache.h).
 *
 * A chained hash table on the first 8 bytes of the SHA-256 key (uniform, so
 * no rehashing of the key), an LRU list for eviction and an insertion-order
 * list for expiry sweeps; every operation is O(1) (the table doubles when
 * the entries outnumber its buckets). Memory: each entry owns one reference
 * to its blob; "bytes" counts the entry, the blob header and the body.
 */
#include <stdlib.h>
#include <string.h>
#include "gateway/cache.h"
#include "gateway/cache_int.h"
#include "util/err.h"

/* ---- blobs ----------------------------------------------------------- */

struct gw_blob *gw_blob_new(enum sse_wire wire, const char *data, size_t len)
{
	struct gw_blob *b = xmalloc(sizeof *b + len + 1);
	b->refs = 1;
	b->wire = (uint32_t)wire;
	b->len = len;
	if (len)
		memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

void gw_blob_ref(struct gw_blob *b)
{
	b->refs++;
}

void gw_blob_unref(struct gw_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

void gw_limits_resolve(struct gw_cache_limits *out, const struct gw_cache_limits *in)
{
	static const struct gw_cache_limits def = GW_CACHE_LIMITS_DEFAULT;
	*out = in ? *in : def;
	if (!out->max_entries)
		out->max_entries = def.max_entries;
	if (!out->max_bytes)
		out->max_bytes = def.max_bytes;
	if (!out->ttl_ms)
		out->ttl_ms = def.ttl_ms;
	if (!out->max_body)
		out->max_body = def.max_body;
	if (!out->max_partition)
		out->max_partition = def.max_partition;
}

/* ---- exact cache ----------------------------------------------------- */

struct centry {
	uint8_t key[32];
	struct centry *hnext;
	struct dlink lru, age;
	uint64_t expires;
	struct gw_blob *blob;
	size_t cost;
};

struct gw_cache {
	struct gw_cache_limits lim;
	struct centry **buckets;
	size_t nbuckets;       /* a power of two */
	struct dlink lru;      /* head.next = most recently used */
	struct dlink age;      /* head.next = oldest insertion */
	struct gw_cache_stats st;
};

#define FROM_LRU(l) ((struct centry *)((char *)(l) - offsetof(struct centry, lru)))
#define FROM_AGE(l) ((struct centry *)((char *)(l) - offsetof(struct centry, age)))

static uint64_t key_hash(const uint8_t key[32])
{
	uint64_t h;
	memcpy(&h, key, 8);
	return h;
}

struct gw_cache *gw_cache_new(const struct gw_cache_limits *lim)
{
	struct gw_cache *c = xcalloc(1, sizeof *c);
	gw_limits_resolve(&c->lim, lim);
	c->nbuckets = 64;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	dlink_init(&c->lru);
	dlink_init(&c->age);
	return c;
}

void gw_cache_free(struct gw_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct centry *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->hnext;
			gw_blob_unref(e->blob);
			free(e);
		}
	free(c->buckets);
	free(c);
}

static struct centry **slot_of(struct gw_cache *c, const uint8_t key[32])
{
	struct centry **pp = &c->buckets[key_hash(key) & (c->nbuckets - 1)];
	while (*pp && memcmp((*pp)->key, key, 32) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void grow(struct gw_cache *c)
{
	size_t nb = c->nbuckets * 2;
	struct centry **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < c->nbuckets; i++)
		for (struct centry *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->hnext;
			struct centry **pp = &b[key_hash(e->key) & (nb - 1)];
			e->hnext = *pp;
			*pp = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
}

static void drop(struct gw_cache *c, struct centry *e)
{
	struct centry **pp = slot_of(c, e->key);
	*pp = e->hnext;
	dlink_del(&e->lru);
	dlink_del(&e->age);
	c->st.entries--;
	c->st.bytes -= e->cost;
	gw_blob_unref(e->blob);
	free(e);
}

struct gw_blob *gw_cache_get(struct gw_cache *c, const uint8_t key[32], uint64_t now_ms)
{
	struct centry *e = *slot_of(c, key);
	if (!e) {
		c->st.misses++;
		return NULL;
	}
	if (now_ms >= e->expires) {
		drop(c, e);
		c->st.expirations++;
		c->st.misses++;
		return NULL;
	}
	dlink_del(&e->lru);
	dlink_add_after(&c->lru, &e->lru);
	c->st.hits++;
	return e->blob;
}

static size_t entry_cost(const struct gw_blob *b)
{
	return sizeof(struct centry) + sizeof(struct gw_blob) + b->len + 1;
}

int gw_cache_put_blob(struct gw_cache *c, const uint8_t key[32], struct gw_blob *b, uint64_t now_ms, uint64_t ttl_ms)
{
	size_t cost = entry_cost(b);
	if (b->len > c->lim.max_body || cost > c->lim.max_bytes) {
		c->st.rejected++;
		return 1;
	}
	struct centry **pp = slot_of(c, key), *e = *pp;
	gw_blob_ref(b);
	if (e) {
		c->st.bytes -= e->cost;
		gw_blob_unref(e->blob);
		dlink_del(&e->lru);
		dlink_del(&e->age);
	} else {
		e = xcalloc(1, sizeof *e);
		memcpy(e->key, key, 32);
		e->hnext = NULL;
		*pp = e;
		c->st.entries++;
	}
	e->blob = b;
	e->cost = cost;
	e->expires = now_ms + (ttl_ms ? ttl_ms : c->lim.ttl_ms);
	c->st.bytes += cost;
	c->st.puts++;
	dlink_add_after(&c->lru, &e->lru);
	dlink_add_before(&c->age, &e->age);
	while (c->st.entries > c->lim.max_entries || c->st.bytes > c->lim.max_bytes) {
		struct centry *v = FROM_LRU(c->lru.prev);
		if (v == e)
			break; /* cannot happen: cost <= max_bytes and max_entries >= 1 */
		drop(c, v);
		c->st.evictions++;
	}
	if (c->st.entries > c->nbuckets)
		grow(c);
	return 0;
}

int gw_cache_put(struct gw_cache *c, const uint8_t key[32], enum sse_wire wire, const char *body, size_t len,
		 uint64_t now_ms, uint64_t ttl_ms)
{
	if (len > c->lim.max_body || sizeof(struct centry) + sizeof(struct gw_blob) + len + 1 > c->lim.max_bytes) {
		c->st.rejected++;
		return 1;
	}
	struct gw_blob *b = gw_blob_new(wire, body, len);
	int rc = gw_cache_put_blob(c, key, b, now_ms, ttl_ms);
	gw_blob_unref(b);
	return rc;
}

int gw_cache_del(struct gw_cache *c, const uint8_t key[32])
{
	struct centry *e = *slot_of(c, key);
	if (!e)
		return 0;
	drop(c, e);
	return 1;
}

size_t gw_cache_sweep(struct gw_cache *c, uint64_t now_ms, size_t max)
{
	size_t n = 0;
	while (n < max && c->age.next != &c->age) {
		struct centry *e = FROM_AGE(c->age.next);
		if (now_ms < e->expires)
			break;
		drop(c, e);
		c->st.expirations++;
		n++;
	}
	return n;
}

void gw_cache_get_stats(const struct gw_cache *c, struct gw_cache_stats *st)
{
	*st = c->st;
}
