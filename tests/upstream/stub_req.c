/*
 * stub_req.c: reads a request body for llm_stub. It finds the model, the
 * stream flags and the deterministic token counts (README "token counts"):
 *   prompt_tokens     = ceil(B / 4), B = bytes of all the request's text
 *                       (message contents, system, prompt, input; an integer
 *                       token in a token array counts as 4 bytes);
 *   completion_tokens = the x-stub-tokens header if given and below the
 *                       limit, else the limit (max_completion_tokens, else
 *                       max_tokens), else --chunks.
 * Also the deterministic embedding of a text.
 *
 * Memory: on success c->body holds the parsed json_t (freed with the call).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "stub.h"

/* Bytes of text in a content value: a string, or an array of strings,
 * integers (4 bytes each) or parts with a "text" member. */
static size_t text_bytes(json_t *v)
{
	if (json_is_string(v))
		return json_string_length(v);
	if (json_is_integer(v))
		return 4;
	size_t n = 0;
	if (json_is_array(v)) {
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (json_is_object(it)) {
				json_t *t = json_object_get(it, "text");
				if (json_is_string(t))
					n += json_string_length(t);
			} else if (json_is_array(it)) { /* a prompt of token arrays */
				n += 4 * json_array_size(it);
			} else {
				n += text_bytes(it);
			}
		}
	}
	return n;
}

static size_t messages_bytes(json_t *msgs)
{
	size_t n = 0, i;
	json_t *m;
	json_array_foreach(msgs, i, m)
		n += text_bytes(json_object_get(m, "content"));
	return n;
}

/* A token limit member: 1 = present (in *out), 0 = absent, -1 = invalid. */
static int limit(json_t *o, const char *name, long *out)
{
	json_t *v = json_object_get(o, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return -1;
	json_int_t x = json_integer_value(v);
	*out = x > STUB_MAX_TOKENS ? STUB_MAX_TOKENS : (long)x;
	return 1;
}

int req_parse(struct call *c, const char *body, size_t len, const struct stub_opts *o,
              long hdr_tokens, const char **msg, const char **param)
{
	int an = c->proto == PROTO_ANTHROPIC;
	*param = NULL;
	json_error_t jerr;
	json_t *j = json_loadb(body, len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		*msg = an ? "There was an issue with your request body. The request body is not valid JSON."
		          : "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
		            "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
		            "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
		            "contact us through our help center at help.openai.com.)";
		return 400;
	}
	c->body = j;

	json_t *model = json_object_get(j, "model");
	if (json_is_string(model)) {
		snprintf(c->model, sizeof c->model, "%s", json_string_value(model));
	} else if (c->proto != PROTO_AZURE) { /* Azure names the deployment in the path */
		*msg = an ? "model: Field required" : "you must provide a model parameter";
		return 400;
	}

	json_t *st = json_object_get(j, "stream");
	c->stream = json_is_true(st);
	json_t *so = json_object_get(j, "stream_options");
	c->include_usage = json_is_object(so) && json_is_true(json_object_get(so, "include_usage"));

	size_t bytes = 0;
	switch (c->ep) {
	case EP_CHAT:
	case EP_MESSAGES: {
		json_t *msgs = json_object_get(j, "messages");
		if (!json_is_array(msgs)) {
			*msg = an ? "messages: Field required" : "Missing required parameter: 'messages'.";
			*param = "messages";
			return 400;
		}
		bytes = messages_bytes(msgs);
		if (an)
			bytes += text_bytes(json_object_get(j, "system"));
		break;
	}
	case EP_COMPLETIONS:
		bytes = text_bytes(json_object_get(j, "prompt"));
		break;
	case EP_EMBEDDINGS: {
		json_t *in = json_object_get(j, "input");
		if (!in || !(json_is_string(in) || json_is_array(in))) {
			*msg = "Missing required parameter: 'input'.";
			*param = "input";
			return 400;
		}
		if (json_is_array(in) && (json_array_size(in) == 0 || json_array_size(in) > STUB_MAX_INPUTS)) {
			*msg = "Invalid 'input': array too long or empty.";
			*param = "input";
			return 400;
		}
		bytes = text_bytes(in);
		json_t *d = json_object_get(j, "dimensions");
		if (json_is_integer(d)) {
			if (json_integer_value(d) < 1 || json_integer_value(d) > STUB_MAX_DIMS) {
				*msg = "Invalid 'dimensions': out of range.";
				*param = "dimensions";
				return 400;
			}
			c->dims = (int)json_integer_value(d);
		} else {
			c->dims = strstr(c->model, "large") ? 3072 : 1536;
		}
		json_t *ef = json_object_get(j, "encoding_format");
		c->b64 = json_is_string(ef) && strcmp(json_string_value(ef), "base64") == 0;
		break;
	}
	default:
		break;
	}
	c->prompt_tokens = (long)((bytes + 3) / 4);

	if (c->ep == EP_EMBEDDINGS)
		return 0;
	long n = 0;
	int r = limit(j, "max_completion_tokens", &n);
	const char *which = "max_completion_tokens";
	if (r == 0) {
		r = limit(j, "max_tokens", &n);
		which = "max_tokens";
	}
	if (r < 0) {
		*msg = an ? "max_tokens: Input should be greater than or equal to 1"
		          : "Invalid 'max_tokens': integer below minimum value.";
		*param = which;
		return 400;
	}
	if (r == 0 && an) {
		*msg = "max_tokens: Field required";
		*param = "max_tokens";
		return 400;
	}
	/* x-stub-tokens picks the length of a reply that ends on its own ("stop");
	 * a token limit caps it ("length"). Anthropic requires max_tokens, so
	 * there the header is the way to get a short natural reply. */
	if (hdr_tokens >= 0 && (r == 0 || hdr_tokens < n)) {
		c->completion_tokens = hdr_tokens > STUB_MAX_TOKENS ? STUB_MAX_TOKENS : hdr_tokens;
	} else if (r > 0) {
		c->completion_tokens = n;
		c->finish_length = 1;
	} else {
		c->completion_tokens = o->chunks;
	}
	return 0;
}

static uint64_t fnv1a(const unsigned char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Feature hashing: every lower-cased alphanumeric word adds +-1 to one
 * dimension, every pair of neighbouring words +-0.5 to another; the vector is
 * L2-normalized. Texts sharing words are close (cosine), which is what a
 * semantic-cache test needs from an embeddings upstream. Empty text: e0. */
void embed_text(const char *s, size_t n, float *v, int dims)
{
	memset(v, 0, sizeof *v * (size_t)dims);
	unsigned char w[64], prev[64];
	size_t wl = 0, pl = 0;
	for (size_t i = 0; i <= n; i++) {
		unsigned char ch = i < n ? (unsigned char)s[i] : ' ';
		if (isalnum(ch) || ch >= 0x80) {
			if (wl < sizeof w)
				w[wl++] = (unsigned char)tolower(ch);
			continue;
		}
		if (!wl)
			continue;
		uint64_t h = fnv1a(w, wl);
		v[h % (uint64_t)dims] += (h >> 63) ? -1.0f : 1.0f;
		if (pl) {
			uint64_t g = fnv1a(prev, pl) * 31 + h;
			v[g % (uint64_t)dims] += (g >> 63) ? -0.5f : 0.5f;
		}
		memcpy(prev, w, wl);
		pl = wl;
		wl = 0;
	}
	double ss = 0;
	for (int i = 0; i < dims; i++)
		ss += (double)v[i] * v[i];
	if (ss == 0) {
		v[0] = 1;
		return;
	}
	float k = (float)(1.0 / sqrt(ss));
	for (int i = 0; i < dims; i++)
		v[i] *= k;
}
