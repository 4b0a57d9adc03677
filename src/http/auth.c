/* auth.c - hashed API tokens and their roles; see auth.h. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include "core/config.h"
#include "http/auth.h"
#include "util/err.h"

void http_sha256_hex(const void *s, size_t n, char out[65])
{
	unsigned char d[32];
	SHA256(s, n, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int unhex(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 64; i++) {
		int c = s[i], v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				  c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

static const char *scalar(const struct cfg_node *m, const char *key)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	return n && n->type == CN_SCALAR ? n->str : NULL;
}

int http_auth_load(const struct config *cfg, struct http_auth *a)
{
	memset(a, 0, sizeof *a);
	const struct cfg_node *srv = cfg_node_get(&cfg->root, "server");
	if (!srv || srv->type == CN_NULL)
		return 0;
	if (srv->type != CN_MAP)
		return error("%s:%d:%d: server: expected a mapping", cfg->path, srv->line, srv->col);
	const struct cfg_node *toks = cfg_node_get(srv, "tokens");
	if (!toks || toks->type == CN_NULL)
		return 0;
	if (toks->type != CN_SEQ)
		return error("%s:%d:%d: server.tokens: expected a list", cfg->path, toks->line, toks->col);
	a->t = xcalloc(toks->n ? toks->n : 1, sizeof *a->t);
	for (size_t i = 0; i < toks->n; i++) {
		const struct cfg_node *t = &toks->items[i];
		if (t->type != CN_MAP) {
			error("%s:%d:%d: server.tokens[%zu]: expected a mapping with name, sha256, role", cfg->path, t->line,
			      t->col, i);
			goto fail;
		}
		const char *name = scalar(t, "name"), *sha = scalar(t, "sha256"), *role = scalar(t, "role"),
			   *team = scalar(t, "team");
		struct http_token *k = &a->t[a->n];
		if (!name || !*name) {
			error("%s:%d:%d: server.tokens[%zu]: name is required", cfg->path, t->line, t->col, i);
			goto fail;
		}
		if (!sha || unhex(sha, k->sha256) < 0) {
			error("%s:%d:%d: server.tokens[%zu] (%s): sha256 must be 64 hex digits (aicost serve --hash-token)",
			      cfg->path, t->line, t->col, i, name);
			goto fail;
		}
		if (role && !strcmp(role, "admin")) {
			k->role = ROLE_ADMIN;
		} else if (role && !strcmp(role, "team")) {
			k->role = ROLE_TEAM;
			if (!team || !*team) {
				error("%s:%d:%d: server.tokens[%zu] (%s): a team token needs team: VALUE", cfg->path, t->line,
				      t->col, i, name);
				goto fail;
			}
		} else {
			error("%s:%d:%d: server.tokens[%zu] (%s): role must be admin or team", cfg->path, t->line, t->col, i,
			      name);
			goto fail;
		}
		for (size_t j = 0; j < a->n; j++)
			if (!memcmp(a->t[j].sha256, k->sha256, 32) || !strcmp(a->t[j].name, name)) {
				error("%s:%d:%d: server.tokens[%zu] (%s): the same name or hash as token '%s'", cfg->path,
				      t->line, t->col, i, name, a->t[j].name);
				goto fail;
			}
		k->name = xstrdup(name);
		k->team = k->role == ROLE_TEAM ? xstrdup(team) : NULL;
		a->n++;
	}
	return 0;
fail:
	http_auth_release(a);
	return -1;
}

void http_auth_release(struct http_auth *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->t[i].name);
		free(a->t[i].team);
	}
	free(a->t);
	memset(a, 0, sizeof *a);
}

const struct http_token *http_auth_check(const struct http_auth *a, const char *tok, size_t len)
{
	unsigned char d[32];
	const struct http_token *hit = NULL;
	SHA256((const unsigned char *)tok, len, d);
	/* Every hash is compared, whatever matched before. */
	for (size_t i = 0; i < a->n; i++) {
		int eq = CRYPTO_memcmp(d, a->t[i].sha256, 32) == 0;
		hit = eq ? &a->t[i] : hit;
	}
	OPENSSL_cleanse(d, sizeof d);
	return hit;
}
