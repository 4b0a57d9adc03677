/*
 * http.h - HTTP/1.1 request heads and bodies as the gateway's clients send
 * them: a pure, bounded parser (no allocation, no I/O), fuzzed on its own.
 *
 * http_parse_head() takes the bytes received so far and either asks for
 * more, fails with the status to answer (400, 413, 414, 431, 501, 505), or
 * fills struct http_req with spans into the buffer: method, path, query,
 * and up to HTTP_MAX_HEADERS headers, plus what framing needs
 * (Content-Length or chunked, keep-alive, Expect: 100-continue).
 * http_chunked() decodes a chunked body in place once it is complete.
 *
 * Ownership: every span points into the caller's buffer.
 */
#ifndef AICOST_GW_HTTP_H
#define AICOST_GW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_HEAD 16384           /* request line + headers */

struct http_str {
	const char *p;
	size_t n;
};

struct http_header {
	struct http_str name, value;
};

enum http_method { HM_OTHER, HM_GET, HM_POST, HM_HEAD };

struct http_req {
	enum http_method method;
	struct http_str method_s, target, path, query;
	int minor;                       /* HTTP/1.x */
	struct http_header h[HTTP_MAX_HEADERS];
	size_t nh;
	size_t head_len;                 /* bytes of request line + headers + blank line */
	int64_t content_length;          /* -1 when absent */
	int chunked;
	int keep_alive;
	int expect_continue;
};

/*
 * Parse the head in buf[0..n). Returns 1 (complete; r filled), 0 (need
 * more bytes), or -status for a request to refuse (-400, -414, -431, -501,
 * -505); *why gets a static reason.
 */
int http_parse_head(const char *buf, size_t n, struct http_req *r, const char **why);

/* Value of header `name` (case-insensitive), or NULL. */
const struct http_str *http_header_get(const struct http_req *r, const char *name);
/* Case-insensitive equality of a span and a literal. */
int http_str_ieq(const struct http_str *s, const char *lit);

/*
 * A chunked body starting at buf (n bytes received). Returns the bytes the
 * encoded body takes (trailers included) once complete, having decoded it in
 * place: *body_len bytes at buf. 0: incomplete; -1: malformed; -2: the
 * decoded body would exceed max.
 */
int64_t http_chunked(char *buf, size_t n, size_t max, size_t *body_len);

/* Standard reason phrase of a status code. */
const char *http_reason(int status);

#endif
