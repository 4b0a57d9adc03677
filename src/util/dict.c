/* dict.c - see dict.h. */
#include <stdlib.h>
#include <string.h>
#include "util/dict.h"
#include "util/err.h"

void dict_init(struct dict *d)
{
	memset(d, 0, sizeof *d);
}

void dict_release(struct dict *d)
{
	free(d->slots);
	free(d->arena);
	memset(d, 0, sizeof *d);
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A wyhash-style multiply-fold hash; never returns 0 (0 marks empty slots). */
uint64_t hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
	uint64_t h = 0x8bb84b93962eacc9ULL ^ (n * k0);
	while (n >= 16) {
		h = mix(load64(p) ^ k1 ^ h, load64(p + 8) ^ k0);
		p += 16;
		n -= 16;
	}
	uint64_t a = 0, b = 0;
	if (n >= 8) {
		a = load64(p);
		b = n > 8 ? load64(p + n - 8) : 0;
	} else if (n > 0) {
		unsigned char t[8] = { 0 };
		memcpy(t, p, n);
		a = load64(t);
	}
	h = mix(a ^ k1 ^ h, b ^ k0 ^ n);
	h = mix(h ^ k0, k1);
	return h ? h : 1;
}

static void grow(struct dict *d)
{
	size_t ncap = d->cap ? d->cap * 2 : 1024;
	struct dict_slot *ns = xcalloc(ncap, sizeof *ns);
	for (size_t i = 0; i < d->cap; i++) {
		struct dict_slot *s = &d->slots[i];
		if (!s->hash)
			continue;
		size_t j = s->hash & (ncap - 1);
		while (ns[j].hash)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	free(d->slots);
	d->slots = ns;
	d->cap = ncap;
}

int dict_get(const struct dict *d, const void *key, size_t n, uint64_t h, uint32_t *val)
{
	if (!d->cap)
		return 0;
	for (size_t j = h & (d->cap - 1);; j = (j + 1) & (d->cap - 1)) {
		const struct dict_slot *s = &d->slots[j];
		if (!s->hash)
			return 0;
		if (s->hash == h && s->len == n && (n == 0 || memcmp(d->arena + s->off, key, n) == 0)) {
			*val = s->val;
			return 1;
		}
	}
}

void dict_put(struct dict *d, const void *key, size_t n, uint64_t h, uint32_t val)
{
	if ((d->n + 1) * 4 > d->cap * 3)
		grow(d);
	if (d->arena_len + n > d->arena_cap) {
		d->arena_cap = (d->arena_cap + n) * 2 + 4096;
		d->arena = xrealloc(d->arena, d->arena_cap);
	}
	if (n)
		memcpy(d->arena + d->arena_len, key, n);
	size_t j = h & (d->cap - 1);
	while (d->slots[j].hash)
		j = (j + 1) & (d->cap - 1);
	d->slots[j] = (struct dict_slot){ h, d->arena_len, (uint32_t)n, val };
	d->arena_len += n;
	d->n++;
}

void strpool_init(struct strpool *p)
{
	dict_init(&p->ids);
	p->strs = NULL;
	p->n = 0;
}

const char *strpool_intern(struct strpool *p, const char *s)
{
	size_t n = strlen(s);
	uint64_t h = hash_bytes(s, n);
	uint32_t id;
	if (dict_get(&p->ids, s, n, h, &id))
		return p->strs[id];
	p->strs = xrealloc(p->strs, (p->n + 1) * sizeof *p->strs);
	p->strs[p->n] = xstrdup(s);
	dict_put(&p->ids, s, n, h, (uint32_t)p->n);
	return p->strs[p->n++];
}

void strpool_release(struct strpool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->strs[i]);
	free(p->strs);
	dict_release(&p->ids);
	p->strs = NULL;
	p->n = 0;
}
