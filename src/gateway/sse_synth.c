/*
 * sse_synth.c - replay a complete (cached) response as the SSE stream a
 * streamed request expects (see sse.h).
 *
 * OpenAI chat: per choice a role chunk, content (and refusal) pieces, tool
 * call chunks (id/type/name first, then argument pieces), a finish chunk;
 * then, when include_usage was asked, the usage chunk with empty choices
 * (and "usage":null on every earlier chunk, as the service does); then
 * `data: [DONE]`. Legacy completions: text pieces, finish, usage, [DONE].
 * Anthropic: message_start (content [], stop_reason null), ping, per block
 * content_block_start / deltas (text_delta, input_json_delta,
 * thinking_delta, signature_delta) / content_block_stop, message_delta
 * (stop_reason, stop_sequence, cumulative usage), message_stop.
 *
 * The chunk JSON is written directly (key order as the services send it);
 * strings go through one escaper. Output is one malloc'd buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/sse.h"
#include "util/err.h"

struct out {
	char *s;
	size_t n, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t c = o->cap ? o->cap : 1024;
		while (c < o->n + n + 1)
			c *= 2;
		o->s = xrealloc(o->s, c);
		o->cap = c;
	}
	memcpy(o->s + o->n, s, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string literal of s[0..n). */
static void put_str(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put(o, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		char e[7] = { '\\', 0 };
		switch (c) {
		case '"': e[1] = '"'; put(o, e, 2); break;
		case '\\': e[1] = '\\'; put(o, e, 2); break;
		case '\n': e[1] = 'n'; put(o, e, 2); break;
		case '\r': e[1] = 'r'; put(o, e, 2); break;
		case '\t': e[1] = 't'; put(o, e, 2); break;
		default:
			e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
			put(o, e, 6);
		}
	}
	put(o, s + run, n - run);
	put(o, "\"", 1);
}

/* Any JSON value, compact; null when v is NULL. */
static void put_json(struct out *o, json_t *v)
{
	if (!v) {
		puts_(o, "null");
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s) {
		puts_(o, "null");
		return;
	}
	puts_(o, s);
	free(s);
}

static void put_jstr(struct out *o, json_t *v)
{
	if (json_is_string(v))
		put_str(o, json_string_value(v), json_string_length(v));
	else
		put_json(o, v);
}

/* The end of the next piece of s[pos..n): about step bytes, not inside a
 * UTF-8 sequence. */
static size_t piece_end(const char *s, size_t n, size_t pos, size_t step)
{
	size_t e = pos + step;
	if (e >= n)
		return n;
	while (e < n && ((unsigned char)s[e] & 0xC0) == 0x80)
		e++;
	return e;
}

/* ---- OpenAI ---------------------------------------------------------- */

struct oa {
	struct out *o;
	json_t *root;
	int chat, include_usage;
	size_t step;
};

static void oa_head(struct oa *x)
{
	json_t *r = x->root;
	puts_(x->o, "data: {\"id\":");
	put_jstr(x->o, json_object_get(r, "id"));
	puts_(x->o, x->chat ? ",\"object\":\"chat.completion.chunk\",\"created\":" : ",\"object\":\"text_completion\",\"created\":");
	put_json(x->o, json_object_get(r, "created"));
	puts_(x->o, ",\"model\":");
	put_jstr(x->o, json_object_get(r, "model"));
	json_t *tier = json_object_get(r, "service_tier");
	if (tier) {
		puts_(x->o, ",\"service_tier\":");
		put_json(x->o, tier);
	}
	json_t *fp = json_object_get(r, "system_fingerprint");
	if (fp) {
		puts_(x->o, ",\"system_fingerprint\":");
		put_json(x->o, fp);
	}
	puts_(x->o, ",\"choices\":[");
}

static void oa_tail(struct oa *x)
{
	puts_(x->o, x->include_usage ? "],\"usage\":null}\n\n" : "]}\n\n");
}

/* One chat chunk for choice idx: delta_json is the inside of "delta". */
static void oa_chat_open(struct oa *x, json_int_t idx)
{
	char b[64];
	oa_head(x);
	snprintf(b, sizeof b, "{\"index\":%lld,\"delta\":{", (long long)idx);
	puts_(x->o, b);
}

static void oa_chat_close(struct oa *x, json_t *finish)
{
	puts_(x->o, "},\"logprobs\":null,\"finish_reason\":");
	put_json(x->o, finish);
	puts_(x->o, "}");
	oa_tail(x);
}

static void oa_pieces(struct oa *x, json_int_t idx, const char *field, json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	for (size_t pos = 0; pos < n;) {
		size_t e = piece_end(s, n, pos, x->step);
		oa_chat_open(x, idx);
		put_str(x->o, field, strlen(field));
		puts_(x->o, ":");
		put_str(x->o, s + pos, e - pos);
		oa_chat_close(x, NULL);
		pos = e;
	}
}

static int oa_chat_choice(struct oa *x, json_t *ch)
{
	json_t *jidx = json_object_get(ch, "index"), *m = json_object_get(ch, "message");
	json_int_t idx = json_is_integer(jidx) ? json_integer_value(jidx) : 0;
	char b[96];
	if (!json_is_object(m))
		return -1;
	json_t *content = json_object_get(m, "content"), *refusal = json_object_get(m, "refusal");
	json_t *role = json_object_get(m, "role");
	oa_chat_open(x, idx);
	puts_(x->o, "\"role\":");
	if (json_is_string(role))
		put_jstr(x->o, role);
	else
		puts_(x->o, "\"assistant\"");
	puts_(x->o, json_is_string(content) ? ",\"content\":\"\"" : ",\"content\":null");
	puts_(x->o, ",\"refusal\":null");
	oa_chat_close(x, NULL);
	if (json_is_string(content))
		oa_pieces(x, idx, "content", content);
	if (json_is_string(refusal))
		oa_pieces(x, idx, "refusal", refusal);
	json_t *tcs = json_object_get(m, "tool_calls");
	for (size_t k = 0; json_is_array(tcs) && k < json_array_size(tcs); k++) {
		json_t *tc = json_array_get(tcs, k), *fn = json_object_get(tc, "function");
		json_t *args = json_object_get(fn, "arguments");
		oa_chat_open(x, idx);
		snprintf(b, sizeof b, "\"tool_calls\":[{\"index\":%zu,\"id\":", k);
		puts_(x->o, b);
		put_jstr(x->o, json_object_get(tc, "id"));
		puts_(x->o, ",\"type\":");
		json_t *type = json_object_get(tc, "type");
		if (type)
			put_jstr(x->o, type);
		else
			puts_(x->o, "\"function\"");
		puts_(x->o, ",\"function\":{\"name\":");
		put_jstr(x->o, json_object_get(fn, "name"));
		puts_(x->o, ",\"arguments\":\"\"}}]");
		oa_chat_close(x, NULL);
		const char *s = json_string_value(args);
		size_t n = json_string_length(args);
		for (size_t pos = 0; s && pos < n;) {
			size_t e = piece_end(s, n, pos, x->step);
			oa_chat_open(x, idx);
			snprintf(b, sizeof b, "\"tool_calls\":[{\"index\":%zu,\"function\":{\"arguments\":", k);
			puts_(x->o, b);
			put_str(x->o, s + pos, e - pos);
			puts_(x->o, "}}]");
			oa_chat_close(x, NULL);
			pos = e;
		}
	}
	oa_chat_open(x, idx);
	oa_chat_close(x, json_object_get(ch, "finish_reason"));
	return 0;
}

static void oa_text_chunk(struct oa *x, json_int_t idx, const char *s, size_t n, json_t *finish)
{
	char b[64];
	oa_head(x);
	puts_(x->o, "{\"text\":");
	put_str(x->o, s, n);
	snprintf(b, sizeof b, ",\"index\":%lld,\"logprobs\":null,\"finish_reason\":", (long long)idx);
	puts_(x->o, b);
	put_json(x->o, finish);
	puts_(x->o, "}");
	oa_tail(x);
}

static int oa_text_choice(struct oa *x, json_t *ch)
{
	json_t *jidx = json_object_get(ch, "index"), *t = json_object_get(ch, "text");
	json_int_t idx = json_is_integer(jidx) ? json_integer_value(jidx) : 0;
	if (!json_is_string(t))
		return -1;
	const char *s = json_string_value(t);
	size_t n = json_string_length(t);
	for (size_t pos = 0; pos < n;) {
		size_t e = piece_end(s, n, pos, x->step);
		oa_text_chunk(x, idx, s + pos, e - pos, NULL);
		pos = e;
	}
	oa_text_chunk(x, idx, "", 0, json_object_get(ch, "finish_reason"));
	return 0;
}

static int synth_openai(int chat, json_t *root, const struct sse_synth_opts *opt, struct out *o)
{
	struct oa x = { o, root, chat, opt && opt->include_usage, opt && opt->chunk_chars ? opt->chunk_chars : 64 };
	json_t *choices = json_object_get(root, "choices");
	if (!json_is_array(choices))
		return -1;
	for (size_t i = 0; i < json_array_size(choices); i++) {
		json_t *ch = json_array_get(choices, i);
		if ((chat ? oa_chat_choice(&x, ch) : oa_text_choice(&x, ch)) < 0)
			return -1;
	}
	json_t *usage = json_object_get(root, "usage");
	if (x.include_usage) {
		oa_head(&x);
		puts_(o, "],\"usage\":");
		put_json(o, usage ? usage : json_null());
		puts_(o, "}\n\n");
	}
	puts_(o, "data: [DONE]\n\n");
	return 0;
}

/* ---- Anthropic ------------------------------------------------------- */

static void an_event(struct out *o, const char *name)
{
	puts_(o, "event: ");
	puts_(o, name);
	puts_(o, "\ndata: ");
}

static void an_delta(struct out *o, size_t idx, const char *dtype, const char *field, const char *s, size_t n)
{
	char b[96];
	an_event(o, "content_block_delta");
	snprintf(b, sizeof b, "{\"type\":\"content_block_delta\",\"index\":%zu,\"delta\":{\"type\":\"%s\",\"", idx, dtype);
	puts_(o, b);
	puts_(o, field);
	puts_(o, "\":");
	put_str(o, s, n);
	puts_(o, "}}\n\n");
}

static void an_pieces(struct out *o, size_t idx, const char *dtype, const char *field, const char *s, size_t n,
		      size_t step)
{
	for (size_t pos = 0; pos < n;) {
		size_t e = piece_end(s, n, pos, step);
		an_delta(o, idx, dtype, field, s + pos, e - pos);
		pos = e;
	}
}

static int synth_anthropic(json_t *root, const struct sse_synth_opts *opt, struct out *o)
{
	size_t step = opt && opt->chunk_chars ? opt->chunk_chars : 64;
	char b[96];
	json_t *content = json_object_get(root, "content");
	if (!json_is_array(content) || !json_is_string(json_object_get(root, "id")))
		return -1;
	/* message_start: the message without content and stop fields */
	json_t *start = json_deep_copy(root);
	json_object_set_new(start, "content", json_array());
	json_object_set_new(start, "stop_reason", json_null());
	json_object_set_new(start, "stop_sequence", json_null());
	json_t *su = json_object_get(start, "usage");
	if (json_is_object(su)) {
		json_t *ot = json_object_get(su, "output_tokens");
		json_int_t v = json_is_integer(ot) ? json_integer_value(ot) : 0;
		json_object_set_new(su, "output_tokens", json_integer(v > 0 ? 1 : 0));
	}
	an_event(o, "message_start");
	puts_(o, "{\"type\":\"message_start\",\"message\":");
	put_json(o, start);
	puts_(o, "}\n\n");
	json_decref(start);
	an_event(o, "ping");
	puts_(o, "{\"type\": \"ping\"}\n\n");
	for (size_t i = 0; i < json_array_size(content); i++) {
		json_t *cb = json_array_get(content, i);
		const char *t = json_string_value(json_object_get(cb, "type"));
		if (!json_is_object(cb) || !t)
			return -1;
		json_t *skel = json_deep_copy(cb);
		const char *text = NULL, *dtype = NULL, *field = NULL;
		size_t tlen = 0;
		char *input = NULL;
		if (strcmp(t, "text") == 0 && json_is_string(json_object_get(cb, "text"))) {
			text = json_string_value(json_object_get(cb, "text"));
			tlen = json_string_length(json_object_get(cb, "text"));
			dtype = "text_delta", field = "text";
			json_object_set_new(skel, "text", json_string(""));
			json_object_del(skel, "citations");
		} else if (strcmp(t, "thinking") == 0 && json_is_string(json_object_get(cb, "thinking"))) {
			text = json_string_value(json_object_get(cb, "thinking"));
			tlen = json_string_length(json_object_get(cb, "thinking"));
			dtype = "thinking_delta", field = "thinking";
			json_object_set_new(skel, "thinking", json_string(""));
			json_object_del(skel, "signature");
		} else if ((strcmp(t, "tool_use") == 0 || strcmp(t, "server_tool_use") == 0 ||
			    strcmp(t, "mcp_tool_use") == 0) && json_object_get(cb, "input")) {
			input = json_dumps(json_object_get(cb, "input"), JSON_COMPACT | JSON_ENCODE_ANY);
			text = input;
			tlen = input ? strlen(input) : 0;
			dtype = "input_json_delta", field = "partial_json";
			json_object_set_new(skel, "input", json_object());
		}
		an_event(o, "content_block_start");
		snprintf(b, sizeof b, "{\"type\":\"content_block_start\",\"index\":%zu,\"content_block\":", i);
		puts_(o, b);
		put_json(o, skel);
		puts_(o, "}\n\n");
		json_decref(skel);
		if (text)
			an_pieces(o, i, dtype, field, text, tlen, step);
		free(input);
		json_t *sig = json_object_get(cb, "signature");
		if (strcmp(t, "thinking") == 0 && json_is_string(sig))
			an_delta(o, i, "signature_delta", "signature", json_string_value(sig), json_string_length(sig));
		an_event(o, "content_block_stop");
		snprintf(b, sizeof b, "{\"type\":\"content_block_stop\",\"index\":%zu}\n\n", i);
		puts_(o, b);
	}
	an_event(o, "message_delta");
	puts_(o, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
	put_json(o, json_object_get(root, "stop_reason"));
	puts_(o, ",\"stop_sequence\":");
	put_json(o, json_object_get(root, "stop_sequence"));
	puts_(o, "},\"usage\":");
	json_t *usage = json_object_get(root, "usage");
	if (json_is_object(usage))
		put_json(o, usage);
	else
		puts_(o, "{\"output_tokens\":0}");
	puts_(o, "}\n\n");
	an_event(o, "message_stop");
	puts_(o, "{\"type\":\"message_stop\"}\n\n");
	return 0;
}

int sse_synthesize(enum sse_wire wire, const char *json, size_t len, const struct sse_synth_opts *o, char **out,
		   size_t *out_len)
{
	json_error_t je;
	struct out b = { 0 };
	json_t *root = json_loadb(json, len, 0, &je);
	int rc = -1;
	*out = NULL;
	*out_len = 0;
	if (!json_is_object(root))
		goto done;
	if (wire == SSE_ANTHROPIC)
		rc = synth_anthropic(root, o, &b);
	else
		rc = synth_openai(wire == SSE_OPENAI_CHAT, root, o, &b);
done:
	json_decref(root);
	if (rc < 0) {
		free(b.s);
		return -1;
	}
	*out = b.s;
	*out_len = b.n;
	return 0;
}
