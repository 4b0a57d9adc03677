/*
 * cache_sem.c - the semantic cache index (see cache.h).
 *
 * Partitions: one per (tenant, model, context digest), found through a
 * chained hash table and compared on all three (the strings too, so even a
 * digest collision cannot mix tenants or models). A lookup scans only its
 * partition.
 *
 * Vectors are stored quantized to int8 (per-vector scale: the largest
 * component maps to 127) in one contiguous row-major array per partition,
 * rows padded to a multiple of 32 bytes with zeros. The scan computes
 * integer dot products with SSE2 (AVX2 when the CPU has it, chosen once at
 * gw_sem_new) and the cosine as dot * inv_norm(query) * inv_norm(row),
 * where the norms are those of the quantized vectors: the cosine of what is
 * stored, whatever the input's normalization. The int8 error is about 1e-3
 * in cosine, far below the threshold margins; it makes a row 4x smaller
 * than float and the scan about 4x faster.
 *
 * Memory: entries own their blob reference and signature; partitions own
 * their row arrays (grown by doubling, shrunk at a quarter) and key
 * strings. "bytes" counts each entry's row, bookkeeping and body, plus each
 * partition's header; array slack (at most the doubling) is not counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif
#include "gateway/cache.h"
#include "gateway/cache_int.h"
#include "util/err.h"

struct spart;

struct sentry {
	struct spart *part;
	size_t row;
	struct dlink lru, age;
	uint64_t expires;
	uint64_t used;          /* last put or hit (ms): the partition cap drops the oldest */
	struct gw_blob *blob;
	struct embed_sig sig;
	size_t cost;
	uint64_t vh;            /* hash of (partition, quantized row, signature) */
	struct sentry *vnext;   /* chain of s->vbuckets: finds the same question on put in O(1) */
};

struct spart {
	struct spart *hnext;
	uint64_t h;
	char *tenant, *model;
	uint8_t ctx[32];
	int8_t *q;              /* n rows of stride bytes */
	float *inv;             /* 1 / |row| */
	struct sentry **ent;    /* the entry of each row */
	size_t n, cap;
	size_t cost;
};

typedef void (*scan_fn)(const int8_t *q, const int8_t *rows, size_t n, size_t stride, int32_t *out);

struct gw_sem {
	struct gw_cache_limits lim;
	size_t dim, stride;
	struct spart **buckets;
	size_t nbuckets, nparts;
	struct dlink lru, age;
	struct gw_cache_stats st;
	struct sentry **vbuckets; /* identical-question table, nvbuckets a power of two */
	size_t nvbuckets;
	int8_t *qbuf;           /* the query, quantized */
	int32_t *dots;          /* scan output, dots_cap rows */
	size_t dots_cap;
	scan_fn scan;
};

#define FROM_LRU(l) ((struct sentry *)((char *)(l) - offsetof(struct sentry, lru)))
#define FROM_AGE(l) ((struct sentry *)((char *)(l) - offsetof(struct sentry, age)))

/* ---- dot products ---------------------------------------------------- */

static void scan_generic(const int8_t *q, const int8_t *rows, size_t n, size_t stride, int32_t *out)
{
	for (size_t r = 0; r < n; r++) {
		const int8_t *a = rows + r * stride;
		int32_t s = 0;
		for (size_t i = 0; i < stride; i++)
			s += (int16_t)a[i] * (int16_t)q[i];
		out[r] = s;
	}
}

#ifdef HAVE_X86
static void scan_sse2(const int8_t *q, const int8_t *rows, size_t n, size_t stride, int32_t *out)
{
	for (size_t r = 0; r < n; r++) {
		const int8_t *a = rows + r * stride;
		__m128i acc = _mm_setzero_si128();
		for (size_t i = 0; i < stride; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(a + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(q + i));
			/* sign-extend bytes to 16 bits: unpack with itself, arithmetic shift */
			__m128i xl = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8), xh = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8);
			__m128i yl = _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8), yh = _mm_srai_epi16(_mm_unpackhi_epi8(y, y), 8);
			acc = _mm_add_epi32(acc, _mm_madd_epi16(xl, yl));
			acc = _mm_add_epi32(acc, _mm_madd_epi16(xh, yh));
		}
		acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4E));
		acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xB1));
		out[r] = _mm_cvtsi128_si32(acc);
	}
}

__attribute__((target("avx2"))) static void scan_avx2(const int8_t *q, const int8_t *rows, size_t n, size_t stride,
						      int32_t *out)
{
	for (size_t r = 0; r < n; r++) {
		const int8_t *a = rows + r * stride;
		__m256i acc = _mm256_setzero_si256();
		for (size_t i = 0; i < stride; i += 32) {
			__m256i xl = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
			__m256i xh = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
			__m256i yl = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + i)));
			__m256i yh = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + i + 16)));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xl, yl));
			acc = _mm256_add_epi32(acc, _mm256_madd_epi16(xh, yh));
		}
		__m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
		s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
		s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
		out[r] = _mm_cvtsi128_si32(s);
	}
}
#endif

/* AICOST_SEM_SCAN=generic|sse2|avx2 forces a kernel (tests and the bench). */
static scan_fn pick_scan(void)
{
	const char *f = getenv("AICOST_SEM_SCAN");
	if (f && strcmp(f, "generic") == 0)
		return scan_generic;
#ifdef HAVE_X86
	if (f && strcmp(f, "sse2") == 0)
		return scan_sse2;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return scan_avx2;
	return scan_sse2;
#else
	return scan_generic;
#endif
}

/* Quantize v[0..dim) into q[0..stride); returns 1/|q| (0 for a zero or
 * non-finite vector). */
static float quantize(const float *v, size_t dim, size_t stride, int8_t *q)
{
	float m = 0;
	for (size_t i = 0; i < dim; i++) {
		float a = fabsf(v[i]);
		if (!(a <= 3.4e38f))
			return 0; /* NaN or inf */
		if (a > m)
			m = a;
	}
	memset(q, 0, stride);
	if (m == 0)
		return 0;
	float s = 127.0f / m;
	int64_t norm2 = 0;
	for (size_t i = 0; i < dim; i++) {
		long x = lrintf(v[i] * s);
		x = x > 127 ? 127 : x < -127 ? -127 : x;
		q[i] = (int8_t)x;
		norm2 += x * x;
	}
	return norm2 ? (float)(1.0 / sqrt((double)norm2)) : 0;
}

/* ---- index ----------------------------------------------------------- */

struct gw_sem *gw_sem_new(size_t dim, const struct gw_cache_limits *lim)
{
	if (dim == 0 || dim > 65536)
		return NULL;
	struct gw_sem *s = xcalloc(1, sizeof *s);
	gw_limits_resolve(&s->lim, lim);
	s->dim = dim;
	s->stride = (dim + 31) & ~(size_t)31;
	s->nbuckets = 64;
	s->buckets = xcalloc(s->nbuckets, sizeof *s->buckets);
	dlink_init(&s->lru);
	dlink_init(&s->age);
	s->nvbuckets = 64;
	s->vbuckets = xcalloc(s->nvbuckets, sizeof *s->vbuckets);
	s->qbuf = xmalloc(s->stride);
	s->scan = pick_scan();
	return s;
}

static void part_free(struct spart *p)
{
	free(p->tenant);
	free(p->model);
	free(p->q);
	free(p->inv);
	free(p->ent);
	free(p);
}

void gw_sem_free(struct gw_sem *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < s->nbuckets; b++)
		for (struct spart *p = s->buckets[b], *nx; p; p = nx) {
			nx = p->hnext;
			for (size_t r = 0; r < p->n; r++) {
				gw_blob_unref(p->ent[r]->blob);
				free(p->ent[r]);
			}
			part_free(p);
		}
	free(s->buckets);
	free(s->vbuckets);
	free(s->qbuf);
	free(s->dots);
	free(s);
}

static uint64_t part_hash(const char *tenant, const char *model, const uint8_t ctx[32])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *c = tenant; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (const char *c = model; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
	uint64_t x;
	memcpy(&x, ctx, 8);
	return h ^ x;
}

static struct spart **part_slot(struct gw_sem *s, uint64_t h, const char *tenant, const char *model,
				const uint8_t ctx[32])
{
	struct spart **pp = &s->buckets[h & (s->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		struct spart *p = *pp;
		if (p->h == h && memcmp(p->ctx, ctx, 32) == 0 && strcmp(p->tenant, tenant) == 0 &&
		    strcmp(p->model, model) == 0)
			break;
	}
	return pp;
}

static void grow_buckets(struct gw_sem *s)
{
	size_t nb = s->nbuckets * 2;
	struct spart **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct spart *p = s->buckets[i], *nx; p; p = nx) {
			nx = p->hnext;
			struct spart **pp = &b[p->h & (nb - 1)];
			p->hnext = *pp;
			*pp = p;
		}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
}

static void part_resize(struct gw_sem *s, struct spart *p, size_t cap)
{
	p->q = xrealloc(p->q, cap * s->stride);
	p->inv = xrealloc(p->inv, cap * sizeof *p->inv);
	p->ent = xrealloc(p->ent, cap * sizeof *p->ent);
	p->cap = cap;
}

static uint64_t vec_hash(const struct spart *p, const int8_t *q, size_t stride, const struct embed_sig *sig)
{
	uint64_t h = p->h ^ 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < stride; i += 8) {
		uint64_t x;
		memcpy(&x, q + i, 8); /* stride is a multiple of 32 */
		h = (h ^ x) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (size_t i = 0; i < sig->n; i++)
		h = (h ^ sig->h[i]) * 0x100000001b3ULL;
	return h ^ sig->negations ^ ((uint64_t)sig->overflow << 8);
}

static void vunlink(struct gw_sem *s, struct sentry *e)
{
	struct sentry **pp = &s->vbuckets[e->vh & (s->nvbuckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->vnext;
	if (*pp)
		*pp = e->vnext;
}

static void vgrow(struct gw_sem *s)
{
	size_t nb = s->nvbuckets * 2;
	struct sentry **b = xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < s->nvbuckets; i++)
		for (struct sentry *e = s->vbuckets[i], *nx; e; e = nx) {
			nx = e->vnext;
			struct sentry **pp = &b[e->vh & (nb - 1)];
			e->vnext = *pp;
			*pp = e;
		}
	free(s->vbuckets);
	s->vbuckets = b;
	s->nvbuckets = nb;
}

/* Remove an entry: swap the last row into its place; free an empty partition. */
static void drop(struct gw_sem *s, struct sentry *e)
{
	struct spart *p = e->part;
	vunlink(s, e);
	size_t r = e->row, last = p->n - 1;
	if (r != last) {
		memcpy(p->q + r * s->stride, p->q + last * s->stride, s->stride);
		p->inv[r] = p->inv[last];
		p->ent[r] = p->ent[last];
		p->ent[r]->row = r;
	}
	p->n--;
	dlink_del(&e->lru);
	dlink_del(&e->age);
	s->st.entries--;
	s->st.bytes -= e->cost;
	gw_blob_unref(e->blob);
	free(e);
	if (p->n == 0) {
		struct spart **pp = part_slot(s, p->h, p->tenant, p->model, p->ctx);
		*pp = p->hnext;
		s->st.bytes -= p->cost;
		s->nparts--;
		part_free(p);
	} else if (p->cap >= 16 && p->n < p->cap / 4) {
		part_resize(s, p, p->cap / 2);
	}
}

/* Dot products of the query (in s->qbuf) with every row of p into s->dots. */
static void scan_part(struct gw_sem *s, const struct spart *p)
{
	if (p->n > s->dots_cap) {
		s->dots_cap = p->cap;
		free(s->dots);
		s->dots = xmalloc(s->dots_cap * sizeof *s->dots);
	}
	s->scan(s->qbuf, p->q, p->n, s->stride, s->dots);
}

static const struct embed_sig empty_sig;

static struct spart *part_new(struct gw_sem *s, struct spart **pp, uint64_t h, const char *tenant, const char *model,
			      const uint8_t ctx[32], size_t pcost)
{
	struct spart *p = xcalloc(1, sizeof *p);
	p->h = h;
	p->tenant = xstrdup(tenant);
	p->model = xstrdup(model);
	memcpy(p->ctx, ctx, 32);
	p->cost = pcost;
	*pp = p;
	s->nparts++;
	s->st.bytes += pcost;
	return p;
}

int gw_sem_lookup(struct gw_sem *s, const char *tenant, const char *model, const uint8_t ctx[32], const float *vec,
		  const struct embed_sig *sig, float threshold, uint64_t now_ms, struct gw_sem_hit *hit)
{
	uint64_t h = part_hash(tenant, model, ctx);
	struct spart *p = *part_slot(s, h, tenant, model, ctx);
	float qinv;
	if (!p || (qinv = quantize(vec, s->dim, s->stride, s->qbuf)) == 0) {
		s->st.misses++;
		return 0;
	}
	scan_part(s, p);
	struct sentry *best = NULL;
	float best_score = -2;
	for (size_t r = 0; r < p->n; r++) {
		float score = (float)s->dots[r] * qinv * p->inv[r];
		if (score < threshold || score <= best_score)
			continue;
		struct sentry *e = p->ent[r];
		if (now_ms >= e->expires)
			continue; /* the sweep or eviction takes it */
		if (sig && !embed_sig_equal(sig, &e->sig)) {
			s->st.guard_rejects++;
			continue;
		}
		best = e;
		best_score = score;
	}
	if (!best) {
		s->st.misses++;
		return 0;
	}
	dlink_del(&best->lru);
	dlink_add_after(&s->lru, &best->lru);
	best->used = now_ms;
	s->st.hits++;
	hit->body = best->blob;
	hit->score = best_score > 1 ? 1 : best_score;
	return 1;
}

int gw_sem_put(struct gw_sem *s, const char *tenant, const char *model, const uint8_t ctx[32], const float *vec,
	       const struct embed_sig *sig, enum sse_wire wire, const char *body, size_t len, uint64_t now_ms,
	       uint64_t ttl_ms)
{
	size_t tl = strlen(tenant), ml = strlen(model);
	size_t cost = sizeof(struct sentry) + s->stride + sizeof(float) + sizeof(void *) + sizeof(struct gw_blob) + len + 1;
	size_t pcost = sizeof(struct spart) + tl + ml + 2;
	if (!sig)
		sig = &empty_sig;
	if (len > s->lim.max_body || cost + pcost > s->lim.max_bytes) {
		s->st.rejected++;
		return 1;
	}
	float qinv = quantize(vec, s->dim, s->stride, s->qbuf);
	if (qinv == 0) {
		s->st.rejected++;
		return 1;
	}
	uint64_t h = part_hash(tenant, model, ctx);
	struct spart **pp = part_slot(s, h, tenant, model, ctx), *p = *pp;
	struct sentry *e = NULL;
	if (!p)
		p = part_new(s, pp, h, tenant, model, ctx, pcost);
	/* the same question (an identical quantized vector and signature) replaces its entry */
	uint64_t vh = vec_hash(p, s->qbuf, s->stride, sig);
	for (e = s->vbuckets[vh & (s->nvbuckets - 1)]; e; e = e->vnext)
		if (e->vh == vh && e->part == p && memcmp(p->q + e->row * s->stride, s->qbuf, s->stride) == 0 &&
		    embed_sig_equal(sig, &e->sig) && e->sig.negations == sig->negations)
			break;
	if (e) {
		s->st.bytes -= e->cost;
		gw_blob_unref(e->blob);
		dlink_del(&e->lru);
		dlink_del(&e->age);
	} else {
		if (p->n >= s->lim.max_partition) {
			/* bounded scans: the partition's least recently used row makes room */
			struct sentry *old = p->ent[0];
			for (size_t r = 1; r < p->n; r++)
				if (p->ent[r]->used < old->used)
					old = p->ent[r];
			drop(s, old); /* p stays: it still holds max_partition - 1 >= 1 rows, or is re-created below */
			s->st.evictions++;
			pp = part_slot(s, h, tenant, model, ctx);
			if (!*pp)
				p = part_new(s, pp, h, tenant, model, ctx, pcost);
		}
		if (p->n == p->cap)
			part_resize(s, p, p->cap ? p->cap * 2 : 4);
		e = xcalloc(1, sizeof *e);
		e->part = p;
		e->row = p->n++;
		memcpy(p->q + e->row * s->stride, s->qbuf, s->stride);
		p->inv[e->row] = qinv;
		p->ent[e->row] = e;
		s->st.entries++;
		e->vh = vh;
		struct sentry **vb = &s->vbuckets[vh & (s->nvbuckets - 1)];
		e->vnext = *vb;
		*vb = e;
	}
	e->blob = gw_blob_new(wire, body, len);
	e->sig = *sig;
	e->cost = cost;
	e->expires = now_ms + (ttl_ms ? ttl_ms : s->lim.ttl_ms);
	e->used = now_ms;
	s->st.bytes += cost;
	s->st.puts++;
	dlink_add_after(&s->lru, &e->lru);
	dlink_add_before(&s->age, &e->age);
	while (s->st.entries > s->lim.max_entries || s->st.bytes > s->lim.max_bytes) {
		struct sentry *v = FROM_LRU(s->lru.prev);
		if (v == e)
			break;
		drop(s, v);
		s->st.evictions++;
	}
	if (s->nparts > s->nbuckets)
		grow_buckets(s);
	if (s->st.entries > s->nvbuckets)
		vgrow(s);
	return 0;
}

size_t gw_sem_sweep(struct gw_sem *s, uint64_t now_ms, size_t max)
{
	size_t n = 0;
	while (n < max && s->age.next != &s->age) {
		struct sentry *e = FROM_AGE(s->age.next);
		if (now_ms < e->expires)
			break;
		drop(s, e);
		s->st.expirations++;
		n++;
	}
	return n;
}

void gw_sem_get_stats(const struct gw_sem *s, struct gw_cache_stats *st)
{
	*st = s->st;
}
