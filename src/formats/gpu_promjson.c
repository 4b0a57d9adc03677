/*
 * gpu_promjson.c - Prometheus HTTP API query_range (and instant query)
 * responses of dcgm-exporter metrics:
 *   {"status":"success","data":{"resultType":"matrix","result":[
 *     {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"0","UUID":..,"Hostname":..},
 *      "values":[[1759320000,"35"],...]}]}}
 * resultType "vector" ("value":[ts,"v"]) is accepted too. Series of other
 * metrics are skipped; "NaN" and DCGM sentinels are skipped.
 *
 * The text is tokenized once into a flat array (type, byte span, subtree
 * end), like jsmn: no tree of allocations, and every token keeps its offset
 * so any error is reported as file:line:col. Nesting is limited to 64
 * levels. The token array is freed before return.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "formats/gpu_parse.h"
#include "util/err.h"

enum { T_OBJ, T_ARR, T_STR, T_PRIM };

struct tok {
	uint32_t start, end;     /* T_STR: inside the quotes */
	uint32_t next;           /* index of the first token after this subtree */
	uint8_t type;
};

struct tz {
	const char *s, *name;
	size_t n, pos;
	struct tok *t;
	size_t nt, cap;
};

static int where(const char *s, size_t off, int *col)
{
	int line = 1;
	size_t ls = 0;
	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++, ls = i + 1;
	*col = (int)(off - ls) + 1;
	return line;
}

#define FAIL(z, off, ...) do { int c_, l_ = where((z)->s, (off), &c_); \
	char m_[200]; snprintf(m_, sizeof m_, __VA_ARGS__); \
	return error("%s:%d:%d: JSON: %s", (z)->name, l_, c_, m_); } while (0)

static void ws(struct tz *z)
{
	while (z->pos < z->n && (z->s[z->pos] == ' ' || z->s[z->pos] == '\t' || z->s[z->pos] == '\n' || z->s[z->pos] == '\r'))
		z->pos++;
}

static size_t push(struct tz *z, int type, size_t start)
{
	if (z->nt == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 1024;
		z->t = xrealloc(z->t, z->cap * sizeof *z->t);
	}
	z->t[z->nt].type = (uint8_t)type;
	z->t[z->nt].start = (uint32_t)start;
	z->t[z->nt].end = (uint32_t)start;
	return z->nt++;
}

static int value(struct tz *z, int depth);

static int string(struct tz *z)
{
	size_t st = ++z->pos;
	while (z->pos < z->n && z->s[z->pos] != '"') {
		unsigned char c = (unsigned char)z->s[z->pos];
		if (c < 0x20)
			FAIL(z, z->pos, "control character in a string");
		if (c == '\\') {
			if (z->pos + 1 >= z->n)
				break;
			char e = z->s[z->pos + 1];
			if (e == 'u') {
				for (int k = 2; k < 6; k++)
					if (z->pos + (size_t)k >= z->n || !isxdigit((unsigned char)z->s[z->pos + (size_t)k]))
						FAIL(z, z->pos, "bad \\u escape");
				z->pos += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e))
				FAIL(z, z->pos, "bad escape \\%c", e);
			z->pos += 2;
			continue;
		}
		z->pos++;
	}
	if (z->pos >= z->n)
		FAIL(z, st - 1, "unterminated string");
	size_t i = push(z, T_STR, st);
	z->t[i].end = (uint32_t)z->pos;
	z->t[i].next = (uint32_t)z->nt;
	z->pos++;
	return 0;
}

static int value(struct tz *z, int depth)
{
	ws(z);
	if (z->pos >= z->n)
		FAIL(z, z->n, "unexpected end of input");
	if (depth > 64)
		FAIL(z, z->pos, "nested deeper than 64 levels");
	char c = z->s[z->pos];
	if (c == '"')
		return string(z);
	if (c == '{' || c == '[') {
		size_t i = push(z, c == '{' ? T_OBJ : T_ARR, z->pos), open = z->pos;
		char close = c == '{' ? '}' : ']';
		z->pos++;
		ws(z);
		if (z->pos < z->n && z->s[z->pos] == close) {
			z->pos++;
		} else {
			for (;;) {
				if (c == '{') {
					ws(z);
					if (z->pos >= z->n || z->s[z->pos] != '"')
						FAIL(z, z->pos, "expected a key string");
					if (string(z) < 0)
						return -1;
					ws(z);
					if (z->pos >= z->n || z->s[z->pos] != ':')
						FAIL(z, z->pos, "expected ':'");
					z->pos++;
				}
				if (value(z, depth + 1) < 0)
					return -1;
				ws(z);
				if (z->pos < z->n && z->s[z->pos] == ',') {
					z->pos++;
					continue;
				}
				if (z->pos < z->n && z->s[z->pos] == close) {
					z->pos++;
					break;
				}
				FAIL(z, z->pos < z->n ? z->pos : open, "expected ',' or '%c'", close);
			}
		}
		z->t[i].end = (uint32_t)z->pos;
		z->t[i].next = (uint32_t)z->nt;
		return 0;
	}
	size_t st = z->pos;
	while (z->pos < z->n && (isalnum((unsigned char)z->s[z->pos]) || strchr("+-.", z->s[z->pos])))
		z->pos++;
	if (z->pos == st)
		FAIL(z, st, "unexpected character '%c'", c);
	size_t i = push(z, T_PRIM, st);
	z->t[i].end = (uint32_t)z->pos;
	z->t[i].next = (uint32_t)z->nt;
	return 0;
}

/* ---- walking the tokens ------------------------------------------------------ */

static int key_is(const struct tz *z, size_t k, const char *name)
{
	const struct tok *t = &z->t[k];
	size_t n = strlen(name);
	return t->type == T_STR && t->end - t->start == n && memcmp(z->s + t->start, name, n) == 0;
}

/* Value token of `name` in object o, or 0 (token 0 is the root, never a value). */
static size_t get(const struct tz *z, size_t o, const char *name)
{
	for (size_t k = o + 1; k < z->t[o].next; k = z->t[k + 1].next)
		if (key_is(z, k, name))
			return k + 1;
	return 0;
}

static void utf8(char **w, unsigned cp)
{
	char *p = *w;
	if (cp < 0x80) {
		*p++ = (char)cp;
	} else if (cp < 0x800) {
		*p++ = (char)(0xc0 | cp >> 6);
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*p++ = (char)(0xe0 | cp >> 12);
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (char)(0xf0 | cp >> 18);
		*p++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*p++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	}
	*w = p;
}

#define LBL 256

/* Unescape string token k into out (LBL bytes). -1 after reporting when too long or not a string. */
static int str(const struct tz *z, size_t k, char *out, const char *what)
{
	const struct tok *t = &z->t[k];
	if (t->type != T_STR)
		FAIL(z, t->start, "%s: expected a string", what);
	char *w = out, *lim = out + LBL - 5;
	for (size_t i = t->start; i < t->end; i++) {
		if (w >= lim)
			FAIL(z, t->start, "%s: longer than %d bytes", what, LBL - 5);
		char c = z->s[i];
		if (c != '\\') {
			*w++ = c;
			continue;
		}
		c = z->s[++i];
		if (c == 'u') {
			unsigned cp = (unsigned)strtoul((char[5]){ z->s[i + 1], z->s[i + 2], z->s[i + 3], z->s[i + 4], 0 }, NULL, 16);
			i += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < t->end && z->s[i + 1] == '\\' && z->s[i + 2] == 'u') {
				unsigned lo = (unsigned)strtoul((char[5]){ z->s[i + 3], z->s[i + 4], z->s[i + 5], z->s[i + 6], 0 }, NULL, 16);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			utf8(&w, cp ? cp : 0xfffd);
			continue;
		}
		*w++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
	}
	*w = 0;
	return 0;
}

static int opt_str(const struct tz *z, size_t m, const char *name, char *out)
{
	size_t k = get(z, m, name);
	out[0] = 0;
	return k ? str(z, k, out, name) : 0;
}

/* One [time, "value"] pair. *skip for NaN, Inf, sentinels and negatives. */
static int point(const struct tz *z, size_t p, int64_t *t, double *v, int *skip)
{
	char b[64], *end;
	const struct tok *a = &z->t[p];
	*skip = 0;
	if (a->type != T_ARR || a->next != p + 3 || z->t[p + 1].type != T_PRIM)
		FAIL(z, a->start, "expected [unix_time, \"value\"]");
	const struct tok *ts = &z->t[p + 1], *vs = &z->t[p + 2];
	size_t n = ts->end - ts->start;
	if (n >= sizeof b)
		FAIL(z, ts->start, "time is not a number");
	memcpy(b, z->s + ts->start, n);
	b[n] = 0;
	double x = strtod(b, &end);
	if (*end || !n || x != x)
		FAIL(z, ts->start, "time '%s' is not a number", b);
	if (x < 0 || x > 4102444800.0)
		FAIL(z, ts->start, "time %s is out of range", b);
	*t = (int64_t)(x * 1000 + 0.5);
	n = vs->end - vs->start;
	if ((vs->type != T_STR && vs->type != T_PRIM) || n >= sizeof b)
		FAIL(z, vs->start, "the value is not a number string");
	memcpy(b, z->s + vs->start, n);
	b[n] = 0;
	if (!strcmp(b, "NaN") || !strcmp(b, "+Inf") || !strcmp(b, "-Inf") || !strcmp(b, "Inf")) {
		*skip = 1;
		return 0;
	}
	*v = strtod(b, &end);
	if (!n || *end)
		FAIL(z, vs->start, "'%s' is not a number", b);
	*skip = gpu_value_is_sentinel(*v) || *v < 0;
	return 0;
}

static int series(struct tz *z, size_t s, const char *host, gpu_sample_fn fn, void *arg)
{
	char mn[LBL], g[LBL], h[LBL], u[LBL], mo[LBL], pod[LBL], ns[LBL], ct[LBL];
	if (z->t[s].type != T_OBJ)
		FAIL(z, z->t[s].start, "a result entry is not an object");
	size_t m = get(z, s, "metric");
	if (!m || z->t[m].type != T_OBJ)
		FAIL(z, z->t[s].start, "a result entry has no \"metric\" object");
	if (opt_str(z, m, "__name__", mn) < 0)
		return -1;
	double scale = 1;
	int metric = gpu_dcgm_metric(mn, strlen(mn), &scale);
	if (metric < 0)
		return 0;
	if (opt_str(z, m, "gpu", g) < 0 || opt_str(z, m, "Hostname", h) < 0 || (!h[0] && opt_str(z, m, "hostname", h) < 0) ||
	    opt_str(z, m, "UUID", u) < 0 || opt_str(z, m, "modelName", mo) < 0 || opt_str(z, m, "pod", pod) < 0 ||
	    (!pod[0] && opt_str(z, m, "exported_pod", pod) < 0) || opt_str(z, m, "namespace", ns) < 0 ||
	    (!ns[0] && opt_str(z, m, "exported_namespace", ns) < 0) || opt_str(z, m, "container", ct) < 0 ||
	    (!ct[0] && opt_str(z, m, "exported_container", ct) < 0))
		return -1;
	int idx = -1;
	if (g[0]) {
		char *e;
		long x = strtol(g, &e, 10);
		if (!*e && x >= 0 && x < 1000000)
			idx = (int)x;
	}
	struct gpu_ident id = { host ? host : h, u, idx, mo, pod, ns, ct };
	size_t vals = get(z, s, "values"), one = get(z, s, "value");
	if (!vals && !one)
		FAIL(z, z->t[s].start, "a result entry has no \"values\"");
	if (vals && z->t[vals].type != T_ARR)
		FAIL(z, z->t[vals].start, "\"values\" is not an array");
	size_t first = vals ? vals + 1 : one, stop = vals ? z->t[vals].next : z->t[one].next;
	for (size_t p = first; p < stop; p = z->t[p].next) {
		int64_t t = 0;
		double v = 0;
		int skip;
		if (point(z, p, &t, &v, &skip) < 0)
			return -1;
		if (skip || gpu_value_is_sentinel(v * scale))
			continue;
		int rc = fn(arg, &id, t, metric, v * scale);
		if (rc)
			return rc;
	}
	return 0;
}

int gpu_parse_promjson(const char *buf, size_t n, const char *name, const char *host, gpu_sample_fn fn, void *arg)
{
	struct tz z = { buf, name, n, 0, NULL, 0, 0 };
	int rc = -1;
	if (n >= UINT32_MAX)
		return error("%s: larger than 4 GiB", name);
	if (n >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
		z.pos = 3;
	if (value(&z, 0) < 0)
		goto out;
	ws(&z);
	if (z.pos < n) {
		int c, l = where(buf, z.pos, &c);
		error("%s:%d:%d: JSON: text after the end of the document", name, l, c);
		goto out;
	}
	if (z.t[0].type != T_OBJ) {
		error("%s:1:1: not a Prometheus query response: the document is not an object", name);
		goto out;
	}
	size_t st = get(&z, 0, "status"), data = get(&z, 0, "data"), res = data ? get(&z, data, "result") : 0;
	char sv[LBL];
	if (st && str(&z, st, sv, "status") < 0)
		goto out;
	if (st && strcmp(sv, "success") != 0) {
		int c, l = where(buf, z.t[st].start, &c);
		error("%s:%d:%d: Prometheus response status is '%s'", name, l, c, sv);
		goto out;
	}
	if (!res || z.t[res].type != T_ARR) {
		error("%s:1:1: not a Prometheus query response: no data.result array", name);
		goto out;
	}
	for (size_t s = res + 1; s < z.t[res].next; s = z.t[s].next)
		if ((rc = series(&z, s, host, fn, arg)) != 0)
			goto out;
	rc = 0;
out:
	free(z.t);
	return rc;
}
