/*
 * dict.h - byte string -> uint32 dictionary (open addressing).
 *
 * Used to dictionary-encode what hourly cost rows repeat: lines, tag sets.
 * Keys are copied into the dictionary's own arena; values are caller ids.
 * Lookups hash 8 bytes at a time, which matters at millions of rows/s.
 */
#ifndef AICOST_DICT_H
#define AICOST_DICT_H

#include <stddef.h>
#include <stdint.h>

struct dict_slot {
	uint64_t hash;
	uint64_t off;     /* key offset in the arena */
	uint32_t len;
	uint32_t val;
};

struct dict {
	struct dict_slot *slots;
	size_t cap, n;           /* cap is a power of two; 0 hash marks empty */
	char *arena;
	size_t arena_len, arena_cap;
};

void dict_init(struct dict *d);
void dict_release(struct dict *d);
uint64_t hash_bytes(const void *p, size_t n);
/* 1 and *val if present, else 0. */
int dict_get(const struct dict *d, const void *key, size_t n, uint64_t h, uint32_t *val);
/* Insert (the key must be absent). */
void dict_put(struct dict *d, const void *key, size_t n, uint64_t h, uint32_t val);
/* The stored key bytes of a slot, for iteration. */
static inline const char *dict_key(const struct dict *d, const struct dict_slot *s)
{
	return d->arena + s->off;
}

/*
 * A string pool: each distinct string copied once; pointers stay valid (and
 * equal for equal strings) until strpool_release. Query engines use it for
 * the dimension values their results hand out.
 */
struct strpool {
	struct dict ids;
	char **strs;
	size_t n;
};

void strpool_init(struct strpool *p);
const char *strpool_intern(struct strpool *p, const char *s);
void strpool_release(struct strpool *p);

#endif
