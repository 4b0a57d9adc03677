/*
 * cache.h - the gateway's response caches: exact and semantic.
 *
 * Usage by the gateway (one event loop, no locks; every call is O(1) except
 * gw_sem_lookup, a flat scan of one (tenant, model, context) partition):
 *
 *   struct gw_cache_req r;                       -- once per request
 *   gw_cache_req_build(&r, tenant, model, wire, body_json, &policy);
 *   if (r.cacheable) {
 *       struct gw_blob *b = gw_cache_get(exact, r.key, now_ms);    -- borrowed
 *       if (!b && sem && r.text) {
 *           float v[EMBED_DIM]; struct embed_sig sig;
 *           embed_lexical(r.text, r.text_len, v);   -- or an upstream vector
 *           embed_salient(r.text, r.text_len, &sig);
 *           struct gw_sem_hit h;
 *           if (gw_sem_lookup(sem, tenant, model, r.ctx, v, &sig, route_threshold, now_ms, &h) == 1)
 *               b = h.body;                                  -- semantic-hit
 *       }
 *       if (b) reply with b->data (or sse_synthesize(b->wire, ...) when the
 *              request streams); gw_blob_ref(b) first if the reply is
 *              written after the next cache call (evbuffer_add_reference
 *              with a cleanup calling gw_blob_unref is the zero-copy way).
 *   }
 *   ... on a 200 from upstream with a complete body (or a complete stream
 *   assembled with sse_asm): gw_cache_put(exact, r.key, wire, body, len, now_ms, 0)
 *   and gw_sem_put(sem, tenant, model, r.ctx, v, &sig, wire, body, len, now_ms, 0).
 *   gw_cache_req_release(&r);
 *
 * Tenant is whatever the gateway scopes a cache by (the virtual key's team,
 * or the key itself); model is the model the route resolved (so two aliases
 * that resolve to one deployment share entries). Both are hashed into every
 * key, and the semantic index additionally stores and compares them, so
 * entries never cross tenants or models.
 *
 * Memory: both caches own copies of the response bodies, in refcounted
 * gw_blob buffers; max_bytes bounds everything an entry owns (body, key,
 * vector, bookkeeping). Eviction is LRU, expiry is lazy on lookup plus
 * gw_cache_sweep()/gw_sem_sweep() for the gateway's timer.
 */
#ifndef AICOST_GW_CACHE_H
#define AICOST_GW_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "gateway/sse.h"
#include "gateway/embed.h"

/* ---- cached bodies --------------------------------------------------- */

/* A complete non-stream response body (JSON, not NUL-counted in len but
 * NUL-terminated) and the wire format it belongs to. Refcounted: the cache
 * holds one reference; gw_cache_get/gw_sem_lookup lend theirs (valid until
 * the next put/sweep/free on that cache); take your own with gw_blob_ref. */
struct gw_blob {
	uint32_t refs;
	uint32_t wire;           /* enum sse_wire */
	size_t len;
	char data[];
};
struct gw_blob *gw_blob_new(enum sse_wire wire, const char *data, size_t len); /* refs = 1 */
void gw_blob_ref(struct gw_blob *b);
void gw_blob_unref(struct gw_blob *b);   /* frees at zero; NULL is fine */

/* ---- request view: keys and the semantic text ------------------------ */

struct gw_cache_policy {
	/* Cache responses of sampled requests (temperature > 0, or no
	 * temperature: the providers default to 1) too. Default 1: the user
	 * turned caching on for the route, and a cached answer is one valid
	 * sample; set 0 (config `cache: { sampled: false }`) to cache only
	 * temperature-0 requests. */
	int cache_sampled;
};
#define GW_CACHE_POLICY_DEFAULT { 1 }

/* The request fields left out of the key because they do not change the
 * answer (the rest, including unknown fields, are kept: an unknown field
 * may change the answer, so ignoring it would be unsafe):
 *   stream, stream_options   - transport: a streamed and a non-stream request share entries
 *   user, safety_identifier, metadata - end-user attribution only
 *   store                    - OpenAI: whether to keep the completion for evals
 *   service_tier             - latency/price tier, not content
 *   prompt_cache_key         - OpenAI's own prefix cache routing hint
 *   model                    - passed separately (the resolved model)
 *   cache_control            - Anthropic prompt-cache marks on system/messages/tools blocks
 * The canonical form sorts object keys by bytes, drops insignificant
 * whitespace, writes strings with minimal escapes (UTF-8 kept, \uXXXX only
 * for control characters) and numbers in one form (integral values up to
 * 2^53 as integers, others as the shortest round-trip %.17g), so
 * {"temperature":0.0} and {"temperature":0} are the same request. */

#define GW_CACHE_MAX_DEPTH 64    /* deeper bodies are not cacheable */

struct gw_cache_req {
	int cacheable;           /* 0: do not look up nor store (see why) */
	const char *why;         /* static reason when not cacheable */
	uint8_t key[32];         /* exact key: SHA-256(tenant, model, canonical body) */
	uint8_t ctx[32];         /* semantic partition: SHA-256(tenant, model, canonical
	                            body without the text of the last user turn) */
	char *text;              /* malloc'd text of the last user turn (the semantic
	                            query), NUL-terminated; NULL when there is none */
	size_t text_len;
};

/* Build the view of a parsed request body. Returns 0 (check r->cacheable)
 * or -1 only on a NULL/non-object body (r->cacheable = 0, no error()).
 * Does not keep references to body. */
int gw_cache_req_build(struct gw_cache_req *r, const char *tenant, const char *model, enum sse_wire wire,
                       const json_t *body, const struct gw_cache_policy *pol);
void gw_cache_req_release(struct gw_cache_req *r);

/* The canonical JSON of v without the volatile top-level fields (as the key
 * hashes it), malloc'd and NUL-terminated; NULL when too deep. For tests,
 * the fuzzer and debugging. */
char *gw_cache_canonical(const json_t *v, size_t *len);

/* ---- bounds ---------------------------------------------------------- */

struct gw_cache_limits {
	size_t max_entries;      /* default 10000 */
	size_t max_bytes;        /* default 256 MiB, counting bodies, vectors and bookkeeping */
	uint64_t ttl_ms;         /* default 1 h; 0 = the default. Per-put overrides below */
	size_t max_body;         /* larger bodies are not stored; default 1 MiB */
	size_t max_partition;    /* semantic only: rows per (tenant, model, context)
	                            partition, which bounds one lookup's scan (about
	                            60 ns a row at 512 dimensions); default 8192.
	                            A full partition drops its least recently used row. */
};
#define GW_CACHE_LIMITS_DEFAULT { 10000, 256u << 20, 3600u * 1000u, 1u << 20, 8192 }

struct gw_cache_stats {
	uint64_t hits, misses, puts, evictions, expirations, rejected;
	size_t entries, bytes;
	uint64_t guard_rejects;  /* semantic only: candidates above threshold refused by the guard */
};

/* ---- exact cache ----------------------------------------------------- */

struct gw_cache;

struct gw_cache *gw_cache_new(const struct gw_cache_limits *lim); /* NULL lim = defaults */
void gw_cache_free(struct gw_cache *c);
/* The live entry for key, moved to the LRU front, or NULL (missing or
 * expired; an expired entry is dropped). The blob is borrowed. */
struct gw_blob *gw_cache_get(struct gw_cache *c, const uint8_t key[32], uint64_t now_ms);
/* Store (or replace) an entry; the body is copied. ttl_ms 0 = the cache's
 * TTL. Evicts LRU entries to stay within max_entries/max_bytes. Returns 0,
 * or 1 when not stored (body larger than max_body or than max_bytes). */
int gw_cache_put(struct gw_cache *c, const uint8_t key[32], enum sse_wire wire, const char *body, size_t len,
                 uint64_t now_ms, uint64_t ttl_ms);
/* The same with a blob the caller already has (the cache takes a reference). */
int gw_cache_put_blob(struct gw_cache *c, const uint8_t key[32], struct gw_blob *b, uint64_t now_ms, uint64_t ttl_ms);
/* 1 if removed. */
int gw_cache_del(struct gw_cache *c, const uint8_t key[32]);
/* Drop up to max expired entries (oldest insertions first); returns how many. */
size_t gw_cache_sweep(struct gw_cache *c, uint64_t now_ms, size_t max);
void gw_cache_get_stats(const struct gw_cache *c, struct gw_cache_stats *st);

/* ---- semantic cache -------------------------------------------------- */

/* Default similarity threshold for the built-in lexical embedder with the
 * guard on, chosen on tests/data/paraphrase/pairs.tsv (false hits <= 1%;
 * see docs/gateway-cache.md). Vectors from an upstream embeddings model
 * need their own threshold (per route). */
#define GW_SEM_DEFAULT_THRESHOLD 0.75f

struct gw_sem;

/* dim: the vector dimension of this index (EMBED_DIM for embed_lexical, or
 * the upstream model's); one index per embedder. */
struct gw_sem *gw_sem_new(size_t dim, const struct gw_cache_limits *lim);
void gw_sem_free(struct gw_sem *s);

struct gw_sem_hit {
	struct gw_blob *body;    /* borrowed, as gw_cache_get */
	float score;             /* cosine similarity of the match */
};

/* Best entry of the (tenant, model, ctx) partition whose similarity to
 * vec (dim floats, L2-normalized) is >= threshold and whose salient
 * signature equals sig (sig NULL: no guard). Returns 1 and *hit, or 0. */
int gw_sem_lookup(struct gw_sem *s, const char *tenant, const char *model, const uint8_t ctx[32],
                  const float *vec, const struct embed_sig *sig, float threshold, uint64_t now_ms,
                  struct gw_sem_hit *hit);
/* Add an entry (vec is copied, quantized to int8; body copied; sig NULL
 * is stored as the empty signature). An entry of the same partition with
 * the identical quantized vector and signature (the same question) is
 * replaced, in O(1). Returns 0, or 1 when not stored (too big, zero or
 * non-finite vector). */
int gw_sem_put(struct gw_sem *s, const char *tenant, const char *model, const uint8_t ctx[32], const float *vec,
               const struct embed_sig *sig, enum sse_wire wire, const char *body, size_t len, uint64_t now_ms,
               uint64_t ttl_ms);
size_t gw_sem_sweep(struct gw_sem *s, uint64_t now_ms, size_t max);
void gw_sem_get_stats(const struct gw_sem *s, struct gw_cache_stats *st);

#endif
