/*
 * llm_jsonl_fast.c - the allocation-light path for one request-log line:
 * the same record llm_jsonl.c's jansson path builds, read with the
 * gateway's validating scanner (gateway/jscan.h) instead of a jansson tree.
 *
 * Why: the gateway's ledger writer ingests every record it spooled, and
 * building and freeing a jansson tree per line cost more CPU than serving
 * the request did (docs/gateway.md, "Durability"). Every request log goes
 * through here first, gateway-written or not.
 *
 * The contract is equality with the jansson path: for any line, either this
 * path produces exactly the record (or the skip) the jansson path would,
 * or it declines and llm_parse_jsonl_line() runs the jansson path, which
 * also owns every rejection message. It declines whenever a difference
 * between the two JSON readers could show: any \u escape (jansson refuses
 * \u0000 and lone surrogates), integers of more than 18 digits (jansson's
 * range), numbers with an exponent (jansson's overflow check), duplicate or
 * escaped member names (jansson refuses duplicates; names are compared
 * raw here), nesting deeper than 32, a root that is not an object, and any
 * record the jansson path would reject or that this file does not handle.
 * tests/unit/test_llm_jsonl_fast.c and the fuzz target fuzz_llm_jsonl
 * compare both paths on the same lines.
 *
 * Ownership: strings stored in the record are malloc'd (llm_file_release
 * frees them), as on the jansson path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "formats/focus.h"
#include "formats/llm_usage.h"
#include "gateway/jscan.h"
#include "util/err.h"

#define FAST_DEPTH 32
#define FAST_KEYS 64                 /* members of one object compared for duplicates */

/* Is this number an integer jansson reads exactly (no fraction or exponent, at most 18 digits)? */
static int num_int(const struct js_span *v, int64_t *out)
{
	const char *p = v->p, *e = v->p + v->n;
	int neg = p < e && *p == '-';
	p += neg;
	if (e - p > 18 || p == e)
		return 0;
	int64_t x = 0;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		x = x * 10 + (*p - '0');
	}
	*out = neg ? -x : x;
	return 1;
}

/*
 * A walker over text js_validate() accepted: it cannot meet bad syntax, so
 * it only finds where things end. One pass checks everything (check()),
 * and members() reads the few objects the record needs.
 */
static const char *w_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* p just past the opening quote; returns past the closing one. */
static const char *w_str(const char *p, int *esc)
{
	for (;;) {
		const char *q = p;
		while (*q != '"' && *q != '\\')
			q++;
		if (*q == '"')
			return q + 1;
		*esc = 1;
		p = q + 2;
	}
}

static const char *w_skip(const char *p, struct js_span *out);

/* Next member of the object whose body continues at *pp: 1 and key, value; 0 at the closing brace. */
static int w_member(const char **pp, struct js_span *k, struct js_span *v)
{
	const char *p = w_ws(*pp);
	if (*p == ',')
		p = w_ws(p + 1);
	if (*p != '"')
		return 0;
	k->t = JS_STR;
	k->esc = 0;
	k->p = p + 1;
	p = w_str(p + 1, &k->esc);
	k->n = (size_t)(p - 1 - k->p);
	p = w_ws(w_ws(p) + 1);           /* past the ':' */
	*pp = w_skip(p, v);
	return 1;
}

/* Skip the value at p (no leading blanks), describing it in *out. */
static const char *w_skip(const char *p, struct js_span *out)
{
	const char *st = p;
	out->esc = 0;
	switch (*p) {
	case '{':
	case '[': {
		int depth = 0, esc = 0;
		out->t = *p == '{' ? JS_OBJ : JS_ARR;
		for (;;) {
			char c = *p++;
			if (c == '"')
				p = w_str(p, &esc);
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && !--depth)
				break;
		}
		break;
	}
	case '"':
		out->t = JS_STR;
		p = w_str(p + 1, &out->esc);
		out->p = st + 1;
		out->n = (size_t)(p - st - 2);
		return p;
	case 't':
		out->t = JS_TRUE;
		p += 4;
		break;
	case 'f':
		out->t = JS_FALSE;
		p += 5;
		break;
	case 'n':
		out->t = JS_NULL;
		p += 4;
		break;
	default:
		out->t = JS_NUM;
		while ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E')
			p++;
	}
	out->p = st;
	out->n = (size_t)(p - st);
	return p;
}

/* The top-level members the record reads. */
enum {
	M_TS, M_TIMESTAMP, M_USAGE, M_STATUS, M_MODEL, M_PROVIDER, M_SERVICE_TIER, M_BATCH, M_METADATA,
	M_PROMPT_SHA, M_PREFIX_SHA, M_PROMPT_CHARS, M_PREFIX_CHARS, M_STREAM, M_CACHE,
	M_USER, M_USER_ID, M_END_USER, M_END_USER_ID, M__COUNT
};
static const char *const top_names[M__COUNT] = {
	"ts", "timestamp", "usage", "status", "model", "provider", "service_tier", "batch", "metadata",
	"prompt_sha256", "prefix_sha256", "prompt_chars", "prefix_chars", "stream", "cache",
	"user", "user_id", "end_user", "end_user_id",
};

/* Which of names[0..n) is key k (raw, unescaped, non-empty): its index, or -1. */
static int name_of(const struct js_span *k, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i][0] == k->p[0] && !strncmp(names[i], k->p, k->n) && !names[i][k->n])
			return (int)i;
	return -1;
}

/*
 * Walk the value at p (depth levels left) checking what the two readers
 * could disagree on; *p_end gets where it ends. 0 ok, -1 decline. top (the
 * root only): its members named in top_names, captured on the way.
 */
static int check(const char *p, int depth, struct js_span *top, const char **p_end)
{
	struct js_span v;
	if (*p != '{' && *p != '[') {
		*p_end = w_skip(p, &v);
		if (v.t != JS_NUM)
			return 0;
		int64_t i;
		if (num_int(&v, &i))
			return 0;
		/* A fraction without an exponent cannot overflow a double below 300 integer digits. */
		if (memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n))
			return -1;
		const char *dot = memchr(v.p, '.', v.n);
		return dot && dot - v.p <= 300 ? 0 : -1;
	}
	if (depth <= 0)
		return -1;
	if (*p == '[') {
		p = w_ws(p + 1);
		while (*p != ']') {
			if (check(p, depth - 1, NULL, &p) < 0)
				return -1;
			p = w_ws(p);
			if (*p == ',')
				p = w_ws(p + 1);
		}
		*p_end = p + 1;
		return 0;
	}
	struct js_span keys[FAST_KEYS];
	size_t nk = 0;
	p = w_ws(p + 1);
	while (*p != '}') {
		struct js_span k = { p + 1, 0, JS_STR, 0 };
		p = w_str(p + 1, &k.esc);
		k.n = (size_t)(p - 1 - k.p);
		if (k.esc || nk == FAST_KEYS)
			return -1;
		for (size_t i = 0; i < nk; i++)
			if (keys[i].n == k.n && !memcmp(keys[i].p, k.p, k.n))
				return -1;
		keys[nk++] = k;
		p = w_ws(w_ws(p) + 1);       /* past the ':' */
		if (top && k.n) {
			int i = name_of(&k, top_names, M__COUNT);
			if (i >= 0)
				w_skip(p, &top[i]);
		}
		if (check(p, depth - 1, NULL, &p) < 0)
			return -1;
		p = w_ws(p);
		if (*p == ',')
			p = w_ws(p + 1);
	}
	*p_end = p + 1;
	return 0;
}

/* Members names[i] of object o into out[i] (t == JS_NONE when absent; o may be any span). */
static void members(const struct js_span *o, const char *const *names, size_t n, struct js_span *out)
{
	struct js_span k, v;
	for (size_t i = 0; i < n; i++)
		out[i].t = JS_NONE;
	if (o->t != JS_OBJ)
		return;
	const char *p = o->p + 1;
	while (w_member(&p, &k, &v)) {
		int i = k.n ? name_of(&k, names, n) : -1;
		if (i >= 0)
			out[i] = v;
	}
}

static int present(const struct js_span *v)
{
	return v->t != JS_NONE;
}

static int is_int(const struct js_span *v, int64_t *i)
{
	return v->t == JS_NUM && num_int(v, i);
}

/* llm_json_count: 1 and *out, 0 absent or null, -1 not a count. */
static int count(const struct js_span *v, uint64_t *out)
{
	int64_t i;
	if (v->t == JS_NONE || v->t == JS_NULL)
		return 0;
	if (!is_int(v, &i) || i < 0)
		return -1;
	*out = (uint64_t)i;
	return 1;
}

/* A decoded string (no \u escapes here), malloc'd. */
static char *str_dup(const struct js_span *v)
{
	if (!v->esc)
		return xstrndup(v->p, v->n);
	size_t n = js_str_decode(v, NULL, 0);
	char *s = xmalloc(n + 1);
	js_str_decode(v, s, n + 1);
	return s;
}

/* value_text of llm_usage.c: strings decoded, integers and booleans as text, anything else NULL. */
static char *value_text(const struct js_span *v)
{
	int64_t i;
	char num[32];
	switch (v->t) {
	case JS_STR:
		return str_dup(v);
	case JS_NUM:
		if (!num_int(v, &i))
			return NULL;
		snprintf(num, sizeof num, "%" PRId64, i);
		return xstrdup(num);
	case JS_TRUE:
		return xstrdup("true");
	case JS_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

/* llm_json_strdup: value_text, NULL for an empty string. */
static char *strdup_member(const struct js_span *v)
{
	char *s = value_text(v);
	if (s && !*s) {
		free(s);
		return NULL;
	}
	return s;
}

/* Does the decoded string equal lit, ignoring ASCII case? */
static int str_ieq(const struct js_span *v, const char *lit)
{
	char buf[32];
	size_t n = strlen(lit);
	if (v->t != JS_STR || n >= sizeof buf)
		return 0;
	if (!v->esc)
		return v->n == n && !strncasecmp(v->p, lit, n);
	return js_str_decode(v, buf, sizeof buf) == n && !strcasecmp(buf, lit);
}

/* ---- tags: llm_tags() of the metadata object, as jansson's compact, key-sorted dump ---- */

struct tag {
	const char *k;
	size_t kn;
	char *v;
};

static int tag_cmp(const void *a, const void *b)
{
	const struct tag *x = a, *y = b;
	size_t m = x->kn < y->kn ? x->kn : y->kn;
	int r = memcmp(x->k, y->k, m);
	if (r)
		return r;
	return x->kn < y->kn ? -1 : x->kn > y->kn;
}

/* jansson's string escaping (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH): the length, then the text. */
static size_t esc_len(const char *s, size_t n)
{
	size_t k = 2;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		k += c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 2 : c < 0x20 ? 6 : 1;
	}
	return k;
}

static char *esc_put(char *o, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f"
			: c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (e) {
			*o++ = e[0];
			*o++ = e[1];
		} else if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hx[c >> 4];
			o[5] = hx[c & 15];
			o += 6;
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	return o;
}

static char *tags_text(const struct js_span *meta)
{
	struct tag t[LLM_MAX_TAGS];
	size_t n = 0;
	struct js_span k, v;
	if (meta->t != JS_OBJ)
		return NULL;
	const char *p = meta->p + 1;
	while (w_member(&p, &k, &v)) {
		/* Scalars only (nested objects are not tags), non-empty names, at most LLM_MAX_TAGS. */
		char *s = value_text(&v);
		if (s && k.n && n < LLM_MAX_TAGS)
			t[n++] = (struct tag){ k.p, k.n, s };
		else
			free(s);
	}
	if (!n)
		return NULL;
	qsort(t, n, sizeof t[0], tag_cmp);
	size_t len = 2;
	for (size_t i = 0; i < n; i++)
		len += esc_len(t[i].k, t[i].kn) + 1 + esc_len(t[i].v, strlen(t[i].v)) + 1;
	char *out = xmalloc(len + 1), *o = out;
	*o++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = esc_put(o, t[i].k, t[i].kn);
		*o++ = ':';
		o = esc_put(o, t[i].v, strlen(t[i].v));
		free(t[i].v);
	}
	*o++ = '}';
	*o = 0;
	return out;
}

/* ---- the record ---- */

/* First 64 bits of a hex SHA-256 (hash64 of llm_jsonl.c); -1 when the string has escapes (decline). */
static int hash64(const struct js_span *v, uint64_t *out)
{
	*out = 0;
	if (v->t != JS_STR)
		return 0;
	if (v->esc)
		return -1;
	const char *s = v->p;
	size_t n = v->n;
	if (n >= 7 && !strncasecmp(s, "sha256:", 7))
		s += 7, n -= 7;
	uint64_t h = 0;
	for (size_t i = 0; i < 16; i++) {
		int c = i < n ? s[i] : 0, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return 0;
		h = h << 4 | (uint64_t)d;
	}
	*out = h ? h : 1;
	return 0;
}

/* The members of usage the record reads. */
enum { U_PROMPT, U_COMPLETION, U_PROMPT_D, U_COMPLETION_D, U_INPUT, U_OUTPUT, U_INPUT_D, U_OUTPUT_D,
       U_CACHE_READ, U_CACHE_CREATION_IN, U_CACHE_CREATION, U__COUNT };
static const char *const usage_names[U__COUNT] = {
	"prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details", "input_tokens",
	"output_tokens", "input_tokens_details", "output_tokens_details", "cache_read_input_tokens",
	"cache_creation_input_tokens", "cache_creation",
};

/* usage_counts of llm_jsonl.c on the members of usage (uv); 0 ok, -1 decline (the jansson path words the rejection). */
static int usage_counts(const struct js_span *uv, int anthropic, struct llm_usage *out)
{
	static const char *const cn[] = { "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens" };
	uint64_t a = 0, b = 0, c = 0, d = 0, e = 0, g = 0;
	if (anthropic) {
		struct js_span w[2];
		const struct js_span v[5] = { uv[U_INPUT], uv[U_CACHE_READ], uv[U_OUTPUT], uv[U_CACHE_CREATION_IN],
					      uv[U_CACHE_CREATION] };
		if (count(&v[0], &a) < 0 || count(&v[1], &b) < 0 || count(&v[2], &c) < 0 || count(&v[3], &d) < 0)
			return -1;
		if (present(&v[4]) && v[4].t != JS_NULL) {
			if (v[4].t != JS_OBJ)
				return -1;
			members(&v[4], cn, 2, w);
			if (count(&w[0], &e) < 0 || count(&w[1], &g) < 0)
				return -1;
		}
		out->tokens[LD_INPUT] = a;
		out->tokens[LD_CACHE_READ] = b;
		out->tokens[LD_OUTPUT] = c;
		if (e || g) {
			out->tokens[LD_CACHE_WRITE] = e;
			out->tokens[LD_CACHE_WRITE_1H] = g;
		} else {
			out->tokens[LD_CACHE_WRITE] = d;
		}
		return 0;
	}
	static const char *const cached[] = { "cached_tokens" }, *const reasoning[] = { "reasoning_tokens" };
	const struct js_span *v = uv;
	struct js_span w;
	int chat = present(&v[0]);
	const struct js_span *pk = chat ? &v[0] : &v[4], *ck = chat ? &v[1] : &v[5];
	const struct js_span *pd = chat ? &v[2] : &v[6], *cd = chat ? &v[3] : &v[7];
	if (count(pk, &a) < 0 || count(ck, &c) < 0)
		return -1;
	if (present(pd) && pd->t != JS_NULL) {
		if (pd->t != JS_OBJ)
			return -1;
		members(pd, cached, 1, &w);
		if (count(&w, &b) < 0)
			return -1;
	}
	if (present(cd) && cd->t != JS_NULL) {
		if (cd->t != JS_OBJ)
			return -1;
		members(cd, reasoning, 1, &w);
		if (count(&w, &e) < 0)
			return -1;
	}
	if (b > a || e > c)
		return -1;
	out->tokens[LD_INPUT] = a - b;
	out->tokens[LD_CACHE_READ] = b;
	out->tokens[LD_OUTPUT] = c - e;
	out->tokens[LD_REASONING] = e;
	return 0;
}

int llm_jsonl_line_fast(const char *p, size_t n, uint64_t line, struct llm_file *f)
{
	struct js_span m[M__COUNT];
	int64_t ts = 0, st;
	int ns;
	for (const char *b = p; (b = memchr(b, '\\', (size_t)(p + n - b))) && b + 1 < p + n; b += 2)
		if (b[1] == 'u')
			return 0;
	if (js_validate(p, n, FAST_DEPTH, NULL, NULL) < 0)
		return 0;
	/* Validated text: the walker never runs past the end of the root value. */
	const char *root = p;
	while (*root == ' ' || *root == '\t' || *root == '\n' || *root == '\r')
		root++;
	for (int i = 0; i < M__COUNT; i++)
		m[i].t = JS_NONE;
	const char *end;
	if (*root != '{' || check(root, FAST_DEPTH, m, &end) < 0)
		return 0;

	const struct js_span *t = present(&m[M_TS]) ? &m[M_TS] : &m[M_TIMESTAMP];
	if (t->t == JS_STR) {
		if (t->esc || focus_parse_datetime(t->p, t->n, &ts, &ns) < 0)
			return 0;
	} else if (!(is_int(t, &ts) && ts >= 0 && ts < 253402300800LL)) {
		return 0;
	}
	const struct js_span *u = &m[M_USAGE];
	if (!present(u) || u->t == JS_NULL) {
		/* A failed call with no usage cost nothing (the gateway's refusals); anything else is the jansson path's to reject. */
		if (is_int(&m[M_STATUS], &st) && st >= 400) {
			f->skipped++;
			return 1;
		}
		return 0;
	}
	if (u->t != JS_OBJ)
		return 0;
	uint64_t h1, h2;
	if (hash64(&m[M_PROMPT_SHA], &h1) < 0 || hash64(&m[M_PREFIX_SHA], &h2) < 0)
		return 0;
	char *model = strdup_member(&m[M_MODEL]);
	char *prov = strdup_member(&m[M_PROVIDER]);
	if (!prov)
		prov = xstrdup(llm_infer_provider(model));
	for (char *s = prov; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	struct js_span uv[U__COUNT];
	members(u, usage_names, U__COUNT, uv);
	int anthropic = !strcmp(prov, "anthropic") ||
			(!present(&uv[U_PROMPT]) && (present(&uv[U_CACHE_READ]) || present(&uv[U_CACHE_CREATION_IN])));
	struct llm_usage us = { .long_context = -1, .requests = 1 };
	if (usage_counts(uv, anthropic, &us) < 0) {
		free(model);
		free(prov);
		return 0;
	}
	char *tier = strdup_member(&m[M_SERVICE_TIER]);
	us.tier = m[M_BATCH].t == JS_TRUE ? LT_BATCH : llm_tier_parse(tier);
	free(tier);

	struct llm_record *r = llm_add(f);
	r->line = line;
	r->col = 1;
	r->start = r->end = ts;
	r->provider = prov;
	r->model = model;
	r->u = us;
	const struct js_span *meta = &m[M_METADATA];
	static const char *const mn[] = { "project_id", "user", "user_id", "end_user", "end_user_id" };
	struct js_span mv[5];
	members(meta, mn, 5, mv);
	r->sub_account = strdup_member(&mv[0]);
	r->tags = tags_text(meta);
	/* request_facts of llm_jsonl.c */
	r->prompt_h = h1;
	r->prefix_h = h2;
	uint64_t v;
	r->prompt_chars = count(&m[M_PROMPT_CHARS], &v) > 0 ? v : 0;
	r->prefix_chars = count(&m[M_PREFIX_CHARS], &v) > 0 ? v : 0;
	r->stream = m[M_STREAM].t == JS_TRUE ? 1 : m[M_STREAM].t == JS_FALSE ? 0 : -1;
	r->cache_hit = str_ieq(&m[M_CACHE], "hit") || str_ieq(&m[M_CACHE], "semantic-hit");
	for (int i = 0; i < 4; i++) {
		const struct js_span *x = present(&mv[1 + i]) ? &mv[1 + i] : &m[M_USER + i];
		if (present(x) && x->t != JS_NULL && !(x->t == JS_STR && x->n == 0))
			r->has_user = 1;
	}
	return 1;
}
