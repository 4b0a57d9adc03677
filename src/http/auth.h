/*
 * auth.h - API tokens: an admin role and team-scoped read roles, configured
 * hashed under `server: { tokens: [...] }` (docs/server.md):
 *
 *   server:
 *     tokens:
 *       - { name: ops, role: admin, sha256: 9f86d0...0f00a08 }
 *       - { name: chatbot-ro, role: team, team: chatbot, sha256: ... }
 *
 * The config holds only the SHA-256 of each token (hex); a presented token
 * is hashed and compared with every configured hash in constant time
 * (CRYPTO_memcmp, no early exit), so neither the token nor its position
 * leaks through timing. Tokens are never logged; their names are.
 *
 * Ownership: a http_auth owns its tokens; http_auth_release frees them.
 */
#ifndef AICOST_HTTP_AUTH_H
#define AICOST_HTTP_AUTH_H

#include <stddef.h>

struct config;

enum http_role { ROLE_TEAM = 1, ROLE_ADMIN = 2 };

struct http_token {
	char *name;
	unsigned char sha256[32];
	enum http_role role;
	char *team;              /* ROLE_TEAM: the value of the `team` dimension it may read */
};

struct http_auth {
	struct http_token *t;
	size_t n;
};

/* Read server.tokens; 0, or -1 after reporting FILE:LINE:COL. No tokens configured: n == 0. */
int http_auth_load(const struct config *cfg, struct http_auth *a);
void http_auth_release(struct http_auth *a);
/* The configured token whose hash is SHA-256(tok), or NULL; constant time in the number of tokens. */
const struct http_token *http_auth_check(const struct http_auth *a, const char *tok, size_t len);
/* SHA-256 of n bytes as 64 lower-case hex digits and a NUL. */
void http_sha256_hex(const void *s, size_t n, char out[65]);

#endif
