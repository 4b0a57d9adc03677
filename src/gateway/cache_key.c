/*
 * cache_key.c - the request view of the caches: canonical request JSON,
 * the exact key, the semantic partition key and the semantic query text
 * (see cache.h for the list of volatile fields and why).
 *
 * Canonical form: object keys sorted by their bytes, no whitespace,
 * strings with minimal escapes (\" \\ and \u00XX for control characters;
 * UTF-8 is kept as is: jansson has already validated it), numbers in one
 * spelling (integral values below 2^53 as integers, else the shortest
 * %.15g..%.17g that reads back to the same double). Depth is bounded by
 * GW_CACHE_MAX_DEPTH.
 *
 * Semantic split: the last turn of the conversation, when it is the
 * user's, is the query text; everything else (system prompt, earlier
 * turns, tools, sampling parameters, images of the last turn) goes into
 * the partition key, so a semantic hit can only differ from the cached
 * request in the wording of that final user text.
 *
 * Memory: the canonical buffer is malloc'd per call and freed here, except
 * where gw_cache_canonical returns it; r->text is malloc'd and freed by
 * gw_cache_req_release.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "gateway/cache.h"
#include "util/err.h"

struct cbuf {
	char *s;
	size_t n, cap;
	int too_deep;
};

static void put(struct cbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 512;
		while (c < b->n + n + 1)
			c *= 2;
		b->s = xrealloc(b->s, c);
		b->cap = c;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void put_c(struct cbuf *b, char c)
{
	put(b, &c, 1);
}

static void put_str(struct cbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put_c(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(b, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(b, e, 6);
		}
	}
	put(b, s + run, n - run);
	put_c(b, '"');
}

static void put_real(struct cbuf *b, double d)
{
	char tmp[40];
	if (!isfinite(d)) { /* jansson never yields these from JSON text, but a caller's json_t might */
		put(b, "null", 4);
		return;
	}
	if (d == 0) {
		put_c(b, '0'); /* -0.0 and 0.0 are the same request */
		return;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		int n = snprintf(tmp, sizeof tmp, "%lld", (long long)d);
		put(b, tmp, (size_t)n);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		int n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d || prec == 17) {
			put(b, tmp, (size_t)n);
			return;
		}
	}
}

/* What a value's serialization must leave out or blank. */
enum {
	M_TOP = 1,        /* the request body: drop the volatile fields */
	M_NOCC = 2,       /* drop "cache_control" (Anthropic prompt-cache marks) */
	M_PARTS = 4,      /* content parts of the semantic turn: blank the text of text parts */
};

static const char *const volatile_keys[] = {
	"stream", "stream_options", "user", "safety_identifier", "metadata", "store", "service_tier",
	"prompt_cache_key", "model",
};

static int is_volatile(const char *k)
{
	for (size_t i = 0; i < sizeof volatile_keys / sizeof *volatile_keys; i++)
		if (strcmp(k, volatile_keys[i]) == 0)
			return 1;
	return 0;
}

struct kv {
	const char *k;
	size_t klen;
	json_t *v;
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->k, y->k, n);
	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

struct canon {
	struct cbuf b;
	const json_t *hole;   /* the semantic value (string content or parts array), or NULL */
};

static void emit(struct canon *c, const json_t *v, int depth, int mode);

/* Modes of a member value, from its key and the parent's mode. */
static int child_mode(int mode, const char *k, const json_t *v)
{
	if ((mode & M_TOP) && (strcmp(k, "system") == 0 || strcmp(k, "tools") == 0))
		return M_NOCC; /* for the array's objects */
	if (strcmp(k, "content") == 0 && json_is_array(v))
		return M_NOCC;
	return 0;
}

static void emit_object(struct canon *c, const json_t *v, int depth, int mode)
{
	size_t n = json_object_size(v), k = 0;
	struct kv stack[16], *kvs = n <= 16 ? stack : xmalloc(n * sizeof *kvs);
	void *it = json_object_iter((json_t *)v);
	int text_part = 0;
	if (mode & M_PARTS) {
		json_t *t = json_object_get(v, "type");
		text_part = json_is_string(t) && strcmp(json_string_value(t), "text") == 0;
	}
	for (; it; it = json_object_iter_next((json_t *)v, it)) {
		const char *key = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		if ((mode & M_TOP) && is_volatile(key))
			continue;
		if ((mode & M_NOCC) && strcmp(key, "cache_control") == 0)
			continue;
		if (text_part && strcmp(key, "text") == 0)
			continue;
		kvs[k++] = (struct kv){ key, klen, json_object_iter_value(it) };
	}
	qsort(kvs, k, sizeof *kvs, kv_cmp);
	put_c(&c->b, '{');
	for (size_t i = 0; i < k; i++) {
		if (i)
			put_c(&c->b, ',');
		put_str(&c->b, kvs[i].k, kvs[i].klen);
		put_c(&c->b, ':');
		emit(c, kvs[i].v, depth + 1, child_mode(mode, kvs[i].k, kvs[i].v));
	}
	put_c(&c->b, '}');
	if (kvs != stack)
		free(kvs);
}

static void emit(struct canon *c, const json_t *v, int depth, int mode)
{
	if (depth > GW_CACHE_MAX_DEPTH) {
		c->b.too_deep = 1;
		return;
	}
	if (c->hole && v == c->hole) {
		if (!json_is_array(v)) {
			put_c(&c->b, '@'); /* not JSON: no request value can canonicalize to it */
			return;
		}
		mode |= M_PARTS | M_NOCC;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		emit_object(c, v, depth, mode);
		break;
	case JSON_ARRAY: {
		/* elements inherit the array's cache_control / parts mode; messages get the content rule */
		int em = mode & (M_NOCC | M_PARTS);
		put_c(&c->b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put_c(&c->b, ',');
			emit(c, json_array_get(v, i), depth + 1, em);
		}
		put_c(&c->b, ']');
		break;
	}
	case JSON_STRING:
		put_str(&c->b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		char tmp[32];
		int n = snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
		put(&c->b, tmp, (size_t)n);
		break;
	}
	case JSON_REAL:
		put_real(&c->b, json_real_value(v));
		break;
	case JSON_TRUE:
		put(&c->b, "true", 4);
		break;
	case JSON_FALSE:
		put(&c->b, "false", 5);
		break;
	default:
		put(&c->b, "null", 4);
	}
}

static char *canonical(const json_t *body, const json_t *hole, size_t *len)
{
	struct canon c = { .hole = hole };
	emit(&c, body, 0, json_is_object(body) ? M_TOP : 0);
	if (c.b.too_deep) {
		free(c.b.s);
		return NULL;
	}
	if (!c.b.s)
		put(&c.b, "", 0);
	if (len)
		*len = c.b.n;
	return c.b.s;
}

char *gw_cache_canonical(const json_t *v, size_t *len)
{
	return canonical(v, NULL, len);
}

/* OpenSSL 3 looks the algorithm up on every EVP_sha256() init; fetch it once. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void digest(const char *tenant, const char *model, enum sse_wire wire, const char *canon, size_t n,
		   uint8_t out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char w = (unsigned char)wire;
	unsigned int olen = 32;
	if (!ctx || !sha256_md) {
		fputs("aicost: SHA-256 unavailable\n", stderr);
		abort();
	}
	EVP_DigestInit_ex(ctx, sha256_md, NULL);
	EVP_DigestUpdate(ctx, "aicost-cache-v1", 16); /* includes the NUL: a version for the key format */
	EVP_DigestUpdate(ctx, tenant, strlen(tenant) + 1);
	EVP_DigestUpdate(ctx, model, strlen(model) + 1);
	EVP_DigestUpdate(ctx, &w, 1);
	EVP_DigestUpdate(ctx, canon, n);
	EVP_DigestFinal_ex(ctx, out, &olen);
	EVP_MD_CTX_free(ctx);
}

/* Append the text of a content value (a string, or an array of parts whose
 * text parts are joined by newlines) to r->text. Returns the number of
 * text parts taken. */
static int take_text(struct cbuf *t, const json_t *content)
{
	if (json_is_string(content)) {
		put(t, json_string_value(content), json_string_length(content));
		return 1;
	}
	int k = 0;
	for (size_t i = 0; json_is_array(content) && i < json_array_size(content); i++) {
		json_t *p = json_array_get(content, i);
		json_t *ty = json_object_get(p, "type"), *tx = json_object_get(p, "text");
		if (json_is_string(ty) && strcmp(json_string_value(ty), "text") == 0 && json_is_string(tx)) {
			if (k++)
				put_c(t, '\n');
			put(t, json_string_value(tx), json_string_length(tx));
		}
	}
	return k;
}

/* The semantic value of the body: the content of a final user message, or
 * the single prompt of a legacy completion. NULL when there is none. */
static const json_t *semantic_value(enum sse_wire wire, const json_t *body)
{
	if (wire == SSE_OPENAI_COMPLETION) {
		json_t *p = json_object_get(body, "prompt");
		if (json_is_string(p))
			return p;
		if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0)))
			return json_array_get(p, 0);
		return NULL;
	}
	json_t *msgs = json_object_get(body, "messages");
	size_t n = json_array_size(msgs);
	if (!n)
		return NULL;
	json_t *last = json_array_get(msgs, n - 1);
	json_t *role = json_object_get(last, "role");
	if (!json_is_string(role) || strcmp(json_string_value(role), "user") != 0)
		return NULL;
	json_t *content = json_object_get(last, "content");
	return json_is_string(content) || json_is_array(content) ? content : NULL;
}

/* Is the request sampled (temperature > 0, or the provider default of 1)? */
static int sampled(const json_t *body)
{
	json_t *t = json_object_get(body, "temperature");
	if (!t || json_is_null(t))
		return 1;
	return json_number_value(t) > 0;
}

int gw_cache_req_build(struct gw_cache_req *r, const char *tenant, const char *model, enum sse_wire wire,
		       const json_t *body, const struct gw_cache_policy *pol)
{
	static const struct gw_cache_policy defpol = GW_CACHE_POLICY_DEFAULT;
	memset(r, 0, sizeof *r);
	if (!pol)
		pol = &defpol;
	if (!json_is_object(body)) {
		r->why = "the body is not a JSON object";
		return -1;
	}
	if (!tenant)
		tenant = "";
	if (!model) {
		json_t *m = json_object_get(body, "model");
		model = json_is_string(m) ? json_string_value(m) : "";
	}
	if (!pol->cache_sampled && sampled(body)) {
		r->why = "sampled request (temperature > 0) and cache.sampled is off";
		return 0;
	}
	size_t n;
	char *canon = canonical(body, NULL, &n);
	if (!canon) {
		r->why = "the body nests too deep";
		return 0;
	}
	digest(tenant, model, wire, canon, n, r->key);
	free(canon);
	const json_t *hole = semantic_value(wire, body);
	if (hole) {
		struct cbuf t = { 0 };
		if (take_text(&t, hole) > 0 && t.n > 0) {
			canon = canonical(body, hole, &n);
			digest(tenant, model, wire, canon, n, r->ctx);
			free(canon);
			r->text = t.s;
			r->text_len = t.n;
		} else {
			free(t.s);
		}
	}
	r->cacheable = 1;
	return 0;
}

void gw_cache_req_release(struct gw_cache_req *r)
{
	free(r->text);
	r->text = NULL;
	r->text_len = 0;
}
