/* query.c - query strings and bearer tokens of API requests; see query.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http/query.h"
#include "util/err.h"
#include "util/utf8.h"

/* Decode [s, s+n) into out (NUL-terminated); returns 0 or -1 with err. */
static int decode(const char *s, size_t n, char *out, const char *what, char *err, size_t errn)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 1 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				snprintf(err, errn, "%s: '%%' must start a %%XX escape", what);
				return -1;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errn, "%s: control characters are not allowed", what);
			return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = 0;
	for (size_t i = 0; i < o;) {
		size_t k = utf8_seq_len((const unsigned char *)out + i, o - i);
		if (!k) {
			snprintf(err, errn, "%s: not valid UTF-8", what);
			return -1;
		}
		i += k;
	}
	return 0;
}

int http_query_parse(const char *q, struct http_params *p, char *err, size_t errn)
{
	memset(p, 0, sizeof *p);
	if (!q || !*q)
		return 0;
	size_t len = strlen(q);
	if (len > HTTP_QUERY_MAX_BYTES) {
		snprintf(err, errn, "query string longer than %d bytes", HTTP_QUERY_MAX_BYTES);
		return -1;
	}
	/* Decoding never grows a string: one buffer of len + 1 per side is enough (names and values apart). */
	p->buf = xmalloc(2 * len + 2);
	char *w = p->buf;
	for (const char *s = q; *s;) {
		const char *amp = strchr(s, '&');
		size_t seg = amp ? (size_t)(amp - s) : strlen(s);
		if (seg) {
			if (p->n == HTTP_QUERY_MAX_PARAMS) {
				snprintf(err, errn, "more than %d query parameters", HTTP_QUERY_MAX_PARAMS);
				goto fail;
			}
			const char *eq = memchr(s, '=', seg);
			size_t nl = eq ? (size_t)(eq - s) : seg;
			if (!nl) {
				snprintf(err, errn, "a query parameter without a name");
				goto fail;
			}
			char *name = w;
			if (decode(s, nl, name, "parameter name", err, errn) < 0)
				goto fail;
			w += strlen(name) + 1;
			for (const char *c = name; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')) {
					snprintf(err, errn, "parameter name '%.64s': only a-z, 0-9, '-' and '_'", name);
					goto fail;
				}
			char *val = w;
			if (decode(eq ? eq + 1 : s + seg, eq ? seg - nl - 1 : 0, val, name, err, errn) < 0)
				goto fail;
			w += strlen(val) + 1;
			p->names[p->n] = name;
			p->values[p->n] = val;
			p->n++;
		}
		s += seg;
		if (*s == '&')
			s++;
	}
	return 0;
fail:
	http_params_release(p);
	return -1;
}

void http_params_release(struct http_params *p)
{
	free(p->buf);
	memset(p, 0, sizeof *p);
}

int http_bearer(const char *hdr, const char **tok, size_t *len)
{
	if (!hdr || strncasecmp(hdr, "Bearer", 6) != 0 || (hdr[6] != ' ' && hdr[6] != '\t'))
		return -1;
	const char *s = hdr + 6;
	while (*s == ' ' || *s == '\t')
		s++;
	const char *t = s;
	while (*s && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("-._~+/", *s)))
		s++;
	while (*s == '=')
		s++;
	size_t n = (size_t)(s - t);
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s || !n || n > HTTP_TOKEN_MAX)
		return -1;
	*tok = t;
	*len = n;
	return 0;
}
