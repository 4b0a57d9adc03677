/*
 * keys.h - the gateway's virtual keys.
 *
 * The config stores only "sha256:<64 hex>" of each key (`aicost gateway
 * --hash-key` prints it). A presented key is hashed and looked up in an
 * open-addressing table keyed by the digest; the final comparison of the
 * 32 digest bytes is constant-time (CRYPTO_memcmp), and since the table is
 * keyed by a hash the attacker cannot steer, lookup timing tells nothing
 * about stored keys. Keys are never logged; records carry the key's name.
 *
 * Ownership: the table owns nothing but its slot array; keys belong to the
 * gateway config.
 */
#ifndef AICOST_GW_KEYS_H
#define AICOST_GW_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "gateway/limits.h"

#define GW_KEY_META_MAX 16

struct gw_key {
	char *name;
	unsigned char hash[32];
	char *team, *project, *user;
	char *meta_k[GW_KEY_META_MAX], *meta_v[GW_KEY_META_MAX];   /* extra tags */
	size_t nmeta;
	char **models;               /* allowed model aliases (globs); none = all */
	size_t nmodels;
	struct gw_account acct;      /* the key's own budgets and rate limits */
	struct gw_account *team_acct;/* its team's, or NULL */
	int line, col;
};

struct gw_keys {
	struct gw_key **slot;
	size_t cap;
};

/* SHA-256 (the algorithm fetched once, a context per thread). */
void gw_sha256(const void *p, size_t n, unsigned char out[32]);
/* SHA-256 of a key's text. */
void keys_hash(const char *key, size_t n, unsigned char out[32]);
/* "sha256:<hex>" of a key into out (72 bytes). */
void keys_hash_text(const char *key, size_t n, char out[72]);
/* Parse "sha256:<64 hex>" (the prefix optional): 0 ok, -1 bad. */
int keys_parse_hash(const char *s, unsigned char out[32]);

/* Build the table over keys[0..n). -1 if two keys have the same hash (*dup set). */
int keys_index(struct gw_keys *t, struct gw_key *keys, size_t n, size_t *dup);
void keys_release(struct gw_keys *t);
/* The key whose hash matches the presented text, or NULL. */
struct gw_key *keys_find(const struct gw_keys *t, const char *presented, size_t n);
/* Is model alias m allowed for k? */
int keys_model_allowed(const struct gw_key *k, const char *m);

#endif
