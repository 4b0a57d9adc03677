/*
 * http.c - HTTP/1.1 request head and chunked body parsing; see http.h.
 *
 * Strict where ambiguity could smuggle a request past the framing
 * (RFC 9112 section 6.3): both Content-Length and Transfer-Encoding, two
 * different Content-Lengths, a Transfer-Encoding other than chunked, bare
 * CR, whitespace before the colon: all refused with 400/501.
 */
#include <string.h>
#include <strings.h>
#include "gateway/http.h"

static int tchar(unsigned char c)
{
	/* RFC 9110 token characters. */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int http_str_ieq(const struct http_str *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->n == n && !strncasecmp(s->p, lit, n);
}

const struct http_str *http_header_get(const struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (http_str_ieq(&r->h[i].name, name))
			return &r->h[i].value;
	return NULL;
}

/* Does the comma list s contain token tok (case-insensitive)? */
static int list_has(const struct http_str *s, const char *tok)
{
	size_t tl = strlen(tok), i = 0;
	while (i < s->n) {
		while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t' || s->p[i] == ','))
			i++;
		size_t st = i;
		while (i < s->n && s->p[i] != ',')
			i++;
		size_t e = i;
		while (e > st && (s->p[e - 1] == ' ' || s->p[e - 1] == '\t'))
			e--;
		if (e - st == tl && !strncasecmp(s->p + st, tok, tl))
			return 1;
	}
	return 0;
}

#define FAIL(st, w) do { *why = (w); return -(st); } while (0)

int http_parse_head(const char *buf, size_t n, struct http_req *r, const char **why)
{
	const char *end = memmem(buf, n < HTTP_MAX_HEAD ? n : HTTP_MAX_HEAD, "\r\n\r\n", 4);
	*why = NULL;
	if (!end) {
		/* Tolerate leading blank lines (RFC 9112 2.2) only while they fit. */
		if (n >= HTTP_MAX_HEAD)
			FAIL(431, "request head too large");
		return 0;
	}
	memset(r, 0, sizeof *r);
	r->content_length = -1;
	const char *p = buf, *e = end + 2;   /* e: just past the last header line's CRLF */
	while (p + 1 < e && p[0] == '\r' && p[1] == '\n')
		p += 2;
	/* Request line: method SP target SP HTTP/1.x CRLF */
	const char *sp = p;
	while (sp < e && tchar((unsigned char)*sp))
		sp++;
	if (sp == p || sp >= e || *sp != ' ')
		FAIL(400, "bad request line");
	r->method_s = (struct http_str){ p, (size_t)(sp - p) };
	const char *t = sp + 1, *te = t;
	while (te < e && *te != ' ' && *te != '\r' && (unsigned char)*te > 0x20 && *te != 0x7f)
		te++;
	if (te == t || te >= e || *te != ' ')
		FAIL(400, "bad request target");
	if (te - t > 8192)
		FAIL(414, "request target too long");
	r->target = (struct http_str){ t, (size_t)(te - t) };
	const char *v = te + 1;
	if (e - v < 10 || memcmp(v, "HTTP/1.", 7) || v[8] != '\r' || v[9] != '\n')
		FAIL(400, "bad HTTP version");
	if (v[7] != '0' && v[7] != '1')
		FAIL(505, "HTTP version not supported");
	r->minor = v[7] - '0';
	r->keep_alive = r->minor == 1;
	if (*t != '/')
		FAIL(400, "only origin-form request targets are accepted");
	const char *q = memchr(t, '?', (size_t)(te - t));
	r->path = (struct http_str){ t, (size_t)((q ? q : te) - t) };
	if (q)
		r->query = (struct http_str){ q + 1, (size_t)(te - q - 1) };
	if (http_str_ieq(&r->method_s, "GET"))
		r->method = HM_GET;
	else if (http_str_ieq(&r->method_s, "POST"))
		r->method = HM_POST;
	else if (http_str_ieq(&r->method_s, "HEAD"))
		r->method = HM_HEAD;
	/* Methods are case-sensitive: "get" is not GET. */
	if (r->method != HM_OTHER && memcmp(r->method_s.p, r->method == HM_GET ? "GET" : r->method == HM_POST ? "POST" : "HEAD",
					    r->method_s.n))
		r->method = HM_OTHER;

	p = v + 10;
	int te_seen = 0;
	while (p < e) {
		const char *le = memchr(p, '\n', (size_t)(e - p));
		if (!le || le == p || le[-1] != '\r')
			FAIL(400, "bad header line");
		const char *c = p;
		while (c < le && tchar((unsigned char)*c))
			c++;
		if (c == p || *c != ':')
			FAIL(400, *p == ' ' || *p == '\t' ? "obsolete header line folding" : "bad header name");
		if (r->nh == HTTP_MAX_HEADERS)
			FAIL(431, "too many headers");
		const char *vs = c + 1, *ve = le - 1;
		while (vs < ve && (*vs == ' ' || *vs == '\t'))
			vs++;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *x = vs; x < ve; x++)
			if ((*x < 0x20 && *x != '\t') || *x == 0x7f)
				FAIL(400, "control character in a header value");
		struct http_header *h = &r->h[r->nh++];
		h->name = (struct http_str){ p, (size_t)(c - p) };
		h->value = (struct http_str){ vs, (size_t)(ve - vs) };
		if (http_str_ieq(&h->name, "content-length")) {
			int64_t cl = 0;
			if (!h->value.n || h->value.n > 15)
				FAIL(400, "bad Content-Length");
			for (size_t i = 0; i < h->value.n; i++) {
				char d = h->value.p[i];
				if (d < '0' || d > '9')
					FAIL(400, "bad Content-Length");
				cl = cl * 10 + (d - '0');
			}
			if (r->content_length >= 0 && r->content_length != cl)
				FAIL(400, "conflicting Content-Length headers");
			r->content_length = cl;
		} else if (http_str_ieq(&h->name, "transfer-encoding")) {
			if (te_seen || !http_str_ieq(&h->value, "chunked"))
				FAIL(501, "unsupported Transfer-Encoding");
			te_seen = 1;
			r->chunked = 1;
		} else if (http_str_ieq(&h->name, "connection")) {
			if (list_has(&h->value, "close"))
				r->keep_alive = 0;
			else if (list_has(&h->value, "keep-alive"))
				r->keep_alive = 1;
		} else if (http_str_ieq(&h->name, "expect")) {
			if (!http_str_ieq(&h->value, "100-continue"))
				FAIL(417, "unsupported Expect");
			r->expect_continue = 1;
		}
		p = le + 1;
	}
	if (r->chunked && r->content_length >= 0)
		FAIL(400, "both Content-Length and Transfer-Encoding");
	if (r->chunked && r->minor == 0)
		FAIL(400, "chunked request body in HTTP/1.0");
	r->head_len = (size_t)(end + 4 - buf);
	return 1;
}

/* Parse a chunk-size line at p (in [p, e)): 1 and *size, *next (past CRLF); 0 incomplete; -1 bad. */
static int chunk_line(const char *p, const char *e, uint64_t *size, const char **next)
{
	const char *le = memchr(p, '\n', (size_t)(e - p));
	if (!le)
		return (size_t)(e - p) > 4096 ? -1 : 0;
	if (le == p || le[-1] != '\r')
		return -1;
	uint64_t s = 0;
	const char *x = p;
	int digits = 0;
	for (; x < le - 1; x++) {
		char c = *x;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		if (++digits > 15)
			return -1;
		s = s << 4 | (uint64_t)d;
	}
	if (!digits)
		return -1;
	/* Chunk extensions (";name=value") are allowed and ignored. */
	if (x < le - 1 && *x != ';' && *x != ' ' && *x != '\t')
		return -1;
	*size = s;
	*next = le + 1;
	return 1;
}

int64_t http_chunked(char *buf, size_t n, size_t max, size_t *body_len)
{
	const char *p = buf, *e = buf + n;
	size_t total = 0;
	/* Pass 1: is it complete (and within max)? Nothing is moved until it is. */
	for (;;) {
		uint64_t sz;
		const char *next;
		int r = chunk_line(p, e, &sz, &next);
		if (r <= 0)
			return r;
		p = next;
		if (sz == 0)
			break;
		if (sz > max || total + sz > max)
			return -2;
		total += sz;
		if ((uint64_t)(e - p) < sz + 2)
			return 0;
		if (p[sz] != '\r' || p[sz + 1] != '\n')
			return -1;
		p += sz + 2;
	}
	/* Trailer section: header lines until an empty line. */
	for (;;) {
		const char *le = memchr(p, '\n', (size_t)(e - p));
		if (!le)
			return (size_t)(e - p) > 8192 ? -1 : 0;
		if (le == p || le[-1] != '\r')
			return -1;
		if (le == p + 1) {
			p = le + 1;
			break;
		}
		p = le + 1;
	}
	int64_t used = p - buf;
	/* Pass 2: decode in place. */
	char *w = buf;
	const char *q = buf;
	for (;;) {
		uint64_t sz;
		const char *next;
		chunk_line(q, e, &sz, &next);
		q = next;
		if (!sz)
			break;
		memmove(w, q, sz);
		w += sz;
		q += sz + 2;
	}
	*body_len = (size_t)(w - buf);
	return used;
}

const char *http_reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 529: return "Site Overloaded";
	default: return s < 300 ? "OK" : s < 500 ? "Client Error" : "Server Error";
	}
}
