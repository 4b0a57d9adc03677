/*
 * keys.c - virtual keys: hashing, the lookup table, model allow-lists; see
 * keys.h.
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "gateway/keys.h"
#include "util/err.h"

/*
 * OpenSSL 3 looks the algorithm up on every EVP_sha256()/EVP_Digest() call;
 * on the request path the gateway hashes twice per request (the key, the
 * prompt), so the algorithm is fetched once and each thread keeps a context.
 */
static EVP_MD *sha_md;
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static __thread EVP_MD_CTX *sha_ctx;

static void sha_init(void)
{
	sha_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void gw_sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;
	pthread_once(&sha_once, sha_init);
	if (!sha_ctx)
		sha_ctx = EVP_MD_CTX_new();
	if (!sha_md || !sha_ctx || EVP_DigestInit_ex(sha_ctx, sha_md, NULL) != 1 || EVP_DigestUpdate(sha_ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(sha_ctx, out, &len) != 1)
		EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void keys_hash(const char *key, size_t n, unsigned char out[32])
{
	gw_sha256(key, n, out);
}

void keys_hash_text(const char *key, size_t n, char out[72])
{
	unsigned char d[32];
	static const char hx[] = "0123456789abcdef";
	keys_hash(key, n, d);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hx[d[i] >> 4];
		out[8 + 2 * i] = hx[d[i] & 15];
	}
	out[71] = 0;
}

int keys_parse_hash(const char *s, unsigned char out[32])
{
	if (!strncmp(s, "sha256:", 7))
		s += 7;
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		int v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			if (d < 0)
				return -1;
			v = v << 4 | d;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static size_t slot_of(const unsigned char h[32], size_t cap)
{
	uint64_t x;
	memcpy(&x, h, 8);
	return (size_t)(x & (cap - 1));
}

int keys_index(struct gw_keys *t, struct gw_key *keys, size_t n, size_t *dup)
{
	t->cap = 16;
	while (t->cap < 2 * n)
		t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof *t->slot);
	for (size_t i = 0; i < n; i++) {
		size_t s = slot_of(keys[i].hash, t->cap);
		while (t->slot[s]) {
			if (!memcmp(t->slot[s]->hash, keys[i].hash, 32)) {
				*dup = i;
				return -1;
			}
			s = (s + 1) & (t->cap - 1);
		}
		t->slot[s] = &keys[i];
	}
	return 0;
}

void keys_release(struct gw_keys *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = 0;
}

struct gw_key *keys_find(const struct gw_keys *t, const char *presented, size_t n)
{
	unsigned char h[32];
	if (!t->cap || !n)
		return NULL;
	keys_hash(presented, n, h);
	size_t s = slot_of(h, t->cap);
	while (t->slot[s]) {
		if (!CRYPTO_memcmp(t->slot[s]->hash, h, 32))
			return t->slot[s];
		s = (s + 1) & (t->cap - 1);
	}
	return NULL;
}

int keys_model_allowed(const struct gw_key *k, const char *m)
{
	if (!k->nmodels)
		return 1;
	for (size_t i = 0; i < k->nmodels; i++)
		if (!fnmatch(k->models[i], m, 0))
			return 1;
	return 0;
}
