/*
 * query.h - what an API request carries besides its path: the query string
 * as percent-decoded (name, value) pairs, and the bearer token of its
 * Authorization header. Both parse untrusted bytes, so both are bounded and
 * have fuzz targets (tests/fuzz/fuzz_http_query.c, fuzz_http_bearer.c).
 *
 * Ownership: a http_params owns its strings (one buffer); release with
 * http_params_release. http_bearer points into the header it was given.
 */
#ifndef AICOST_HTTP_QUERY_H
#define AICOST_HTTP_QUERY_H

#include <stddef.h>

#define HTTP_QUERY_MAX_PARAMS 64
#define HTTP_QUERY_MAX_BYTES 8192
#define HTTP_TOKEN_MAX 512

struct http_params {
	size_t n;
	const char *names[HTTP_QUERY_MAX_PARAMS];
	const char *values[HTTP_QUERY_MAX_PARAMS];   /* "" for a bare name (a flag) */
	char *buf;
};

/*
 * Parse "a=1&b=x%20y&flag" (NULL or "" = no parameters). '+' is a space,
 * %HH a byte; names are [a-z0-9_-]+; decoded values must be UTF-8 without
 * control characters. Returns 0, or -1 with a message in err (no error()
 * call: the caller answers 400 with it).
 */
int http_query_parse(const char *q, struct http_params *p, char *err, size_t errn);
void http_params_release(struct http_params *p);

/*
 * The token of "Bearer TOKEN" (scheme case-insensitive, RFC 6750 token68
 * characters, at most HTTP_TOKEN_MAX). Returns 0 with *tok and *len pointing
 * into hdr, or -1 if hdr is not a bearer credential.
 */
int http_bearer(const char *hdr, const char **tok, size_t *len);

#endif
