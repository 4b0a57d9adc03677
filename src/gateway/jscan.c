/*
 * jscan.c - validating JSON scanner; see jscan.h.
 *
 * One recursive-descent skipper does all the work: js_validate() runs it
 * over the whole text with the depth limit, the iterators run it over one
 * member at a time (the text was validated before, so they cannot fail, but
 * they stay memory-safe on any input). Recursion is bounded by the depth
 * limit (at most JS_MAX_DEPTH frames).
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "gateway/jscan.h"
#include "util/utf8.h"

#define JS_MAX_DEPTH 512

struct scan {
	const char *end;
	const char *err_at;
	const char *why;
};

static const char *fail(struct scan *s, const char *at, const char *why)
{
	if (!s->err_at) {
		s->err_at = at;
		s->why = why;
	}
	return NULL;
}

static const char *ws(const char *p, const char *e)
{
#ifdef __SSE2__
	/* Indentation of pretty-printed bodies: up to 16 blanks in one step. */
	if (p + 16 <= e && (*p == ' ' || *p == '\n')) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i b = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
					 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
		unsigned m = ~(unsigned)_mm_movemask_epi8(b) & 0xffff;
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Bytes a string may hold as they are: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
	['\x20' ... '\x21'] = 1, ['\x23' ... '\x5b'] = 1, ['\x5d' ... '\x7e'] = 1,
};

/* p is just past the opening quote; returns past the closing quote. */
static const char *skip_string(struct scan *s, const char *p, int *esc)
{
	const char *e = s->end;
	while (p < e) {
#ifdef __SSE2__
		/* Runs of plain ASCII 16 bytes at a time: stop at '"', '\\', a control byte or a non-ASCII byte. */
		while (p + 16 <= e) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
						 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));   /* signed: < 0x20 or >= 0x80 */
			int m = _mm_movemask_epi8(x);
			if (m) {
				p += __builtin_ctz((unsigned)m);
				break;
			}
			p += 16;
		}
#endif
		/* The common case: runs of plain ASCII, one table lookup a byte. */
		while (p + 4 <= e && plain[(unsigned char)p[0]] & plain[(unsigned char)p[1]] & plain[(unsigned char)p[2]] &
					     plain[(unsigned char)p[3]])
			p += 4;
		while (p < e && plain[(unsigned char)*p])
			p++;
		if (p >= e)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			if (esc)
				*esc = 1;
			if (p + 1 >= e)
				return fail(s, p, "unterminated string");
			char x = p[1];
			if (x == 'u') {
				if (e - p < 6 || hex_digit(p[2]) < 0 || hex_digit(p[3]) < 0 || hex_digit(p[4]) < 0 || hex_digit(p[5]) < 0)
					return fail(s, p, "bad \\u escape");
				p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", x) || !x)
				return fail(s, p, "bad escape in string");
			p += 2;
			continue;
		}
		if (c < 0x20)
			return fail(s, p, "control character in string");
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n = utf8_seq_len((const unsigned char *)p, (size_t)(e - p));
		if (!n)
			return fail(s, p, "invalid UTF-8 in string");
		p += n;
	}
	return fail(s, p, "unterminated string");
}

static const char *skip_number(struct scan *s, const char *p)
{
	const char *e = s->end, *st = p;
	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return fail(s, st, "bad number");
	if (*p == '0') {
		p++;
	} else {
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && *p == '.') {
		p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(s, st, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail(s, st, "bad number");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *skip_lit(struct scan *s, const char *p, const char *lit, size_t n)
{
	if ((size_t)(s->end - p) < n || memcmp(p, lit, n))
		return fail(s, p, "unexpected character");
	return p + n;
}

/* Skip one value at p (no leading blanks); depth = levels still allowed. */
static const char *skip_value(struct scan *s, const char *p, int depth, struct js_span *out)
{
	const char *e = s->end;
	if (p >= e)
		return fail(s, p, "unexpected end of text");
	const char *start = p;
	switch (*p) {
	case '{':
	case '[': {
		int obj = *p == '{';
		if (depth <= 0)
			return fail(s, p, "nested too deep");
		p = ws(p + 1, e);
		if (p < e && *p == (obj ? '}' : ']')) {
			p++;
			goto container_done;
		}
		for (;;) {
			if (obj) {
				if (p >= e || *p != '"')
					return fail(s, p, "expected a member name");
				if (!(p = skip_string(s, p + 1, NULL)))
					return NULL;
				p = ws(p, e);
				if (p >= e || *p != ':')
					return fail(s, p, "expected ':'");
				p = ws(p + 1, e);
			}
			if (!(p = skip_value(s, p, depth - 1, NULL)))
				return NULL;
			p = ws(p, e);
			if (p < e && *p == ',') {
				p = ws(p + 1, e);
				continue;
			}
			if (p < e && *p == (obj ? '}' : ']')) {
				p++;
				break;
			}
			return fail(s, p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
container_done:
		if (out) {
			out->t = obj ? JS_OBJ : JS_ARR;
			out->p = start;
			out->n = (size_t)(p - start);
			out->esc = 0;
		}
		return p;
	}
	case '"': {
		int esc = 0;
		if (!(p = skip_string(s, p + 1, &esc)))
			return NULL;
		if (out) {
			out->t = JS_STR;
			out->p = start + 1;
			out->n = (size_t)(p - start - 2);
			out->esc = esc;
		}
		return p;
	}
	case 't':
		p = skip_lit(s, p, "true", 4);
		if (p && out)
			*out = (struct js_span){ start, 4, JS_TRUE, 0 };
		return p;
	case 'f':
		p = skip_lit(s, p, "false", 5);
		if (p && out)
			*out = (struct js_span){ start, 5, JS_FALSE, 0 };
		return p;
	case 'n':
		p = skip_lit(s, p, "null", 4);
		if (p && out)
			*out = (struct js_span){ start, 4, JS_NULL, 0 };
		return p;
	default:
		p = skip_number(s, p);
		if (p && out)
			*out = (struct js_span){ start, (size_t)(p - start), JS_NUM, 0 };
		return p;
	}
	return p;
}

int js_validate(const char *p, size_t n, int max_depth, size_t *off, const char **why)
{
	struct scan s = { .end = p + n };
	if (max_depth > JS_MAX_DEPTH)
		max_depth = JS_MAX_DEPTH;
	const char *q = ws(p, s.end);
	if (q < s.end && (q = skip_value(&s, q, max_depth, NULL)) && (q = ws(q, s.end)) < s.end)
		fail(&s, q, "text after the JSON value");
	if (q == s.end && !s.err_at && ws(p, s.end) == s.end)
		fail(&s, q, "empty body");
	if (s.err_at) {
		if (off)
			*off = (size_t)(s.err_at - p);
		if (why)
			*why = s.why;
		return -1;
	}
	return 0;
}

int js_top_members(const char *p, size_t n, int max_depth, const char *const *keys, size_t nkeys, struct js_span *vals)
{
	struct scan s = { .end = p + n };
	const char *e = s.end;
	for (size_t i = 0; i < nkeys; i++)
		vals[i].t = JS_NONE;
	if (max_depth > JS_MAX_DEPTH)
		max_depth = JS_MAX_DEPTH;
	const char *q = ws(p, e);
	if (q >= e || *q != '{' || max_depth < 1)
		return -1;
	q = ws(q + 1, e);
	if (q < e && *q == '}')
		return ws(q + 1, e) == e ? 0 : -1;
	for (;;) {
		struct js_span k, v;
		if (q >= e || *q != '"' || !(q = skip_value(&s, q, 1, &k)))
			return -1;
		q = ws(q, e);
		if (q >= e || *q != ':')
			return -1;
		q = ws(q + 1, e);
		if (!(q = skip_value(&s, q, max_depth - 1, &v)))
			return -1;
		for (size_t i = 0; i < nkeys; i++)
			if (js_str_eq(&k, keys[i]))
				vals[i] = v;
		q = ws(q, e);
		if (q < e && *q == ',') {
			q = ws(q + 1, e);
			continue;
		}
		if (q < e && *q == '}')
			return ws(q + 1, e) == e ? 0 : -1;
		return -1;
	}
}

void js_members(const struct js_span *obj, const char *const *keys, size_t nkeys, struct js_span *vals)
{
	struct js_iter it;
	struct js_span k, v;
	for (size_t i = 0; i < nkeys; i++)
		vals[i].t = JS_NONE;
	if (obj->t != JS_OBJ)
		return;
	js_iter_init(&it, obj);
	while (js_obj_next(&it, &k, &v))
		for (size_t i = 0; i < nkeys; i++)
			if (js_str_eq(&k, keys[i]))
				vals[i] = v;
}

struct js_span js_root(const char *p, size_t n)
{
	struct scan s = { .end = p + n };
	struct js_span v = { 0 };
	const char *q = ws(p, s.end), *e = s.end;
	while (e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	/* A validated object or array is the whole trimmed text: no second pass over it. */
	if (e - q >= 2 && ((*q == '{' && e[-1] == '}') || (*q == '[' && e[-1] == ']'))) {
		v.t = *q == '{' ? JS_OBJ : JS_ARR;
		v.p = q;
		v.n = (size_t)(e - q);
		return v;
	}
	if (!skip_value(&s, q, JS_MAX_DEPTH, &v))
		v.t = JS_NONE;
	return v;
}

void js_iter_init(struct js_iter *it, const struct js_span *c)
{
	if (c->t == JS_OBJ || c->t == JS_ARR) {
		it->p = c->p + 1;
		it->end = c->p + c->n - 1;
	} else {
		it->p = it->end = c->p;
	}
}

/*
 * The iterators walk text that was validated before, so they only need to
 * find where each value ends: strings to their closing quote, containers
 * by counting brackets outside strings. No depth limit, no syntax checks,
 * but every step is bounded by the container's end, so malformed text
 * cannot make them read outside it (they stop or return odd spans).
 */
static const char *vstr(const char *p, const char *e, int *esc)
{
	while (p < e) {
#ifdef __SSE2__
		while (p + 16 <= e) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							       _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
			if (m) {
				p += __builtin_ctz((unsigned)m);
				break;
			}
			p += 16;
		}
		if (p >= e)
			break;
#endif
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*esc = 1;
			p += 2;
			continue;
		}
		p++;
	}
	return e;
}

static const char *vskip(const char *p, const char *e, struct js_span *out)
{
	const char *st = p;
	out->esc = 0;
	switch (*p) {
	case '{':
	case '[': {
		int depth = 0, esc = 0;
		out->t = *p == '{' ? JS_OBJ : JS_ARR;
		while (p < e) {
#ifdef __SSE2__
			/* Jump to the next quote or bracket, 16 bytes at a time. */
			while (p + 16 <= e) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
				__m128i b = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('{')),
							 _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('}')));
				/* '[' | 0x20 == '{' and ']' | 0x20 == '}': one compare covers both brackets of each kind. */
				int m = _mm_movemask_epi8(_mm_or_si128(b, _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
				if (m) {
					p += __builtin_ctz((unsigned)m);
					break;
				}
				p += 16;
			}
			if (p >= e)
				break;
#endif
			char c = *p++;
			if (c == '"')
				p = vstr(p, e, &esc);
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && !--depth)
				break;
		}
		break;
	}
	case '"':
		out->t = JS_STR;
		p = vstr(p + 1, e, &out->esc);
		out->p = st + 1;
		out->n = p > st + 1 ? (size_t)(p - st - 2) : 0;
		return p;
	case 't':
		out->t = JS_TRUE;
		p = e - p >= 4 ? p + 4 : e;
		break;
	case 'f':
		out->t = JS_FALSE;
		p = e - p >= 5 ? p + 5 : e;
		break;
	case 'n':
		out->t = JS_NULL;
		p = e - p >= 4 ? p + 4 : e;
		break;
	default:
		out->t = JS_NUM;
		while (p < e && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E'))
			p++;
	}
	out->p = st;
	out->n = (size_t)(p - st);
	return p;
}

int js_obj_next(struct js_iter *it, struct js_span *key, struct js_span *val)
{
	const char *p = ws(it->p, it->end), *e = it->end;
	if (p < e && *p == ',')
		p = ws(p + 1, e);
	if (p >= e || *p != '"')
		return 0;
	p = vskip(p, e, key);
	p = ws(p, e);
	if (p >= e || *p != ':')
		return 0;
	p = ws(p + 1, e);
	if (p >= e)
		return 0;
	const char *q = vskip(p, e, val);
	if (q == p)
		return 0;
	it->p = q;
	return 1;
}

int js_arr_next(struct js_iter *it, struct js_span *val)
{
	const char *p = ws(it->p, it->end), *e = it->end;
	if (p < e && *p == ',')
		p = ws(p + 1, e);
	if (p >= e)
		return 0;
	const char *q = vskip(p, e, val);
	if (q == p)
		return 0;
	it->p = q;
	return 1;
}

/* Decode one escape at p (p[0] == '\\'); returns bytes consumed, code point in *cp. */
static size_t decode_escape(const char *p, const char *e, unsigned *cp)
{
	if (e - p < 2)
		return (size_t)(e - p);
	switch (p[1]) {
	case 'b': *cp = '\b'; return 2;
	case 'f': *cp = '\f'; return 2;
	case 'n': *cp = '\n'; return 2;
	case 'r': *cp = '\r'; return 2;
	case 't': *cp = '\t'; return 2;
	case 'u':
		break;
	default: *cp = (unsigned char)p[1]; return 2;
	}
	if (e - p < 6) {
		*cp = 0xFFFD;
		return (size_t)(e - p);
	}
	unsigned u = 0;
	for (int i = 2; i < 6; i++) {
		int h = hex_digit(p[i]);
		u = u << 4 | (unsigned)(h < 0 ? 0 : h);
	}
	if (u >= 0xD800 && u <= 0xDBFF && e - p >= 12 && p[6] == '\\' && p[7] == 'u') {
		unsigned lo = 0;
		for (int i = 8; i < 12; i++) {
			int h = hex_digit(p[i]);
			lo = lo << 4 | (unsigned)(h < 0 ? 0 : h);
		}
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			*cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			return 12;
		}
	}
	*cp = (u >= 0xD800 && u <= 0xDFFF) ? 0xFFFD : u;
	return 6;
}

static size_t utf8_put(unsigned cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t js_str_decode(const struct js_span *s, char *out, size_t cap)
{
	const char *p = s->p, *e = s->p + s->n;
	size_t k = 0, full = 0;
	int room = cap > 0;
	if (s->t != JS_STR) {
		if (cap)
			out[0] = 0;
		return 0;
	}
	while (p < e) {
		char b[4];
		size_t bl;
		if (*p == '\\') {
			unsigned cp;
			p += decode_escape(p, e, &cp);
			bl = utf8_put(cp, b);
		} else {
			/* Copy a whole UTF-8 sequence so truncation never splits one. */
			unsigned char c = (unsigned char)*p;
			bl = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
			if (bl > (size_t)(e - p))
				bl = (size_t)(e - p);
			memcpy(b, p, bl);
			p += bl;
		}
		if (room && k + bl < cap) {
			memcpy(out + k, b, bl);
			k += bl;
		} else {
			room = 0;
		}
		full += bl;
	}
	if (cap)
		out[k] = 0;
	return full;
}

void js_str_len(const struct js_span *s, size_t *bytes, size_t *chars)
{
	const char *p = s->p, *e = s->p + s->n;
	size_t nb = 0, nc = 0;
	if (!s->esc) {
		/* Fast path: count the bytes that start a character. */
		for (; p < e; p++)
			nc += ((unsigned char)*p & 0xC0) != 0x80;
		nb = s->n;
	} else {
		while (p < e) {
			if (*p == '\\') {
				unsigned cp;
				char b[4];
				p += decode_escape(p, e, &cp);
				nb += utf8_put(cp, b);
			} else {
				nb++;
				if (((unsigned char)*p & 0xC0) == 0x80)
					nc--;
				p++;
			}
			nc++;
		}
	}
	if (bytes)
		*bytes = nb;
	if (chars)
		*chars = nc;
}

int js_str_eq(const struct js_span *s, const char *lit)
{
	if (s->t != JS_STR)
		return 0;
	/* Most comparisons fail on the first byte: no strlen for them. */
	if (!s->esc && (!s->n || s->p[0] != lit[0]))
		return !s->n && !lit[0];
	size_t n = strlen(lit);
	if (!s->esc)
		return s->n == n && !memcmp(s->p, lit, n);
	char buf[256];
	if (n >= sizeof buf)
		return 0;
	return js_str_decode(s, buf, sizeof buf) == n && !memcmp(buf, lit, n);
}

int js_get(const struct js_span *o, const char *key, struct js_span *val)
{
	struct js_iter it;
	struct js_span k, v;
	if (o->t != JS_OBJ)
		return 0;
	js_iter_init(&it, o);
	while (js_obj_next(&it, &k, &v))
		if (js_str_eq(&k, key)) {
			*val = v;
			return 1;
		}
	return 0;
}

int js_u64(const struct js_span *v, uint64_t *out)
{
	uint64_t x = 0;
	if (v->t != JS_NUM || !v->n || v->n > 19)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->p[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (uint64_t)(c - '0');
	}
	*out = x;
	return 0;
}

static void stats(const struct js_span *v, struct js_text_stats *st, int depth)
{
	struct js_iter it;
	struct js_span k, x;
	switch (v->t) {
	case JS_STR: {
		size_t b, c;
		js_str_len(v, &b, &c);
		st->bytes += b;
		st->chars += c;
		st->strings++;
		break;
	}
	case JS_OBJ:
		st->objects++;
		if (depth <= 0)
			break;
		js_iter_init(&it, v);
		while (js_obj_next(&it, &k, &x))
			stats(&x, st, depth - 1);
		break;
	case JS_ARR:
		if (depth <= 0)
			break;
		js_iter_init(&it, v);
		while (js_arr_next(&it, &x))
			stats(&x, st, depth - 1);
		break;
	default:
		break;
	}
}

void js_text_stats(const struct js_span *v, struct js_text_stats *st)
{
	stats(v, st, JS_MAX_DEPTH);
}
