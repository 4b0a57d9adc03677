/*
 * sse_asm.c - turn a stream's events into the complete non-stream
 * response JSON (see sse.h), so a streamed miss can fill the cache.
 *
 * OpenAI chat: chat.completion.chunk deltas per choice index (role,
 * content, refusal, tool_calls by their own index with id/name and
 * arguments pieces, finish_reason) -> one "chat.completion" object.
 * OpenAI legacy completions: text pieces per choice -> "text_completion".
 * Anthropic: message_start's message skeleton, content blocks by index
 * (text_delta, input_json_delta, thinking_delta, signature_delta,
 * citations_delta), message_delta's stop_reason and cumulative usage,
 * message_stop -> one "message" object.
 *
 * Memory: the assembler owns growable text buffers and a few jansson
 * values; the total of text bytes is bounded by max_bytes and the numbers
 * of choices, tool calls and blocks by the constants below. Past a bound
 * the assembly is abandoned (usage is still tracked for metering).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/sse.h"
#include "util/err.h"

#define MAX_CHOICES 64
#define MAX_TOOLS 128
#define MAX_BLOCKS 256

struct buf {
	char *s;
	size_t n, cap;
	int set;                 /* a delta for it was seen (even "") */
};

struct tool {
	char *id, *type, *name;
	struct buf args;
};

struct choice {
	int used;
	char *role;
	struct buf content, refusal;
	json_t *finish;          /* finish_reason value (string or null) */
	struct tool *tools;
	size_t ntools;
};

struct block {
	json_t *skel;            /* the content_block of content_block_start */
	struct buf text, json, thinking, signature;
	json_t *citations;       /* array, or NULL */
};

struct sse_asm {
	enum sse_wire wire;
	size_t max_bytes, bytes;
	int abandoned, complete, started;
	struct sse_usage usage;
	/* OpenAI */
	char *id, *model, *fingerprint, *tier;
	json_t *created;
	json_t *usage_obj;
	struct choice *choices;  /* MAX_CHOICES, allocated on first use */
	/* Anthropic */
	json_t *message;
	struct block *blocks;
	size_t nblocks;
};

struct sse_asm *sse_asm_new(enum sse_wire wire, size_t max_bytes)
{
	struct sse_asm *a = xcalloc(1, sizeof *a);
	a->wire = wire;
	a->max_bytes = max_bytes ? max_bytes : (8u << 20);
	sse_usage_init(&a->usage);
	return a;
}

static void buf_free(struct buf *b)
{
	free(b->s);
	memset(b, 0, sizeof *b);
}

void sse_asm_free(struct sse_asm *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->model);
	free(a->fingerprint);
	free(a->tier);
	json_decref(a->created);
	json_decref(a->usage_obj);
	if (a->choices)
		for (int i = 0; i < MAX_CHOICES; i++) {
			struct choice *c = &a->choices[i];
			free(c->role);
			buf_free(&c->content);
			buf_free(&c->refusal);
			json_decref(c->finish);
			for (size_t t = 0; t < c->ntools; t++) {
				free(c->tools[t].id);
				free(c->tools[t].type);
				free(c->tools[t].name);
				buf_free(&c->tools[t].args);
			}
			free(c->tools);
		}
	free(a->choices);
	json_decref(a->message);
	for (size_t i = 0; i < a->nblocks; i++) {
		json_decref(a->blocks[i].skel);
		buf_free(&a->blocks[i].text);
		buf_free(&a->blocks[i].json);
		buf_free(&a->blocks[i].thinking);
		buf_free(&a->blocks[i].signature);
		json_decref(a->blocks[i].citations);
	}
	free(a->blocks);
	free(a);
}

static int abandon(struct sse_asm *a)
{
	a->abandoned = 1;
	return -1;
}

static int buf_add(struct sse_asm *a, struct buf *b, const char *s, size_t n)
{
	b->set = 1;
	if (a->bytes + n > a->max_bytes)
		return abandon(a);
	a->bytes += n;
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 64;
		while (c < b->n + n + 1)
			c *= 2;
		b->s = xrealloc(b->s, c);
		b->cap = c;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return 0;
}

static int buf_add_json(struct sse_asm *a, struct buf *b, json_t *v)
{
	if (!json_is_string(v))
		return v && !json_is_null(v) ? abandon(a) : 0;
	return buf_add(a, b, json_string_value(v), json_string_length(v));
}

/* Replace *dst with a copy of the string v (if it is one). */
static void set_str(char **dst, json_t *v)
{
	if (!json_is_string(v))
		return;
	free(*dst);
	*dst = xstrndup(json_string_value(v), json_string_length(v));
}

static int event_is(const struct sse_event *ev, const char *name)
{
	size_t n = strlen(name);
	return ev->event_len == n && memcmp(ev->event, name, n) == 0;
}

/* ---- OpenAI ---------------------------------------------------------- */

static int openai_tool(struct sse_asm *a, struct choice *c, json_t *tc)
{
	json_t *jidx = json_object_get(tc, "index");
	json_int_t idx;
	if (json_is_integer(jidx))
		idx = json_integer_value(jidx);
	else if (json_is_string(json_object_get(tc, "id")) || c->ntools == 0)
		idx = (json_int_t)c->ntools; /* no index (some compatible servers): a new id starts a new call */
	else
		idx = (json_int_t)c->ntools - 1;
	if (idx < 0 || idx >= MAX_TOOLS)
		return abandon(a);
	while ((json_int_t)c->ntools <= idx) {
		c->tools = xrealloc(c->tools, (c->ntools + 1) * sizeof *c->tools);
		memset(&c->tools[c->ntools], 0, sizeof *c->tools);
		c->ntools++;
	}
	struct tool *t = &c->tools[idx];
	set_str(&t->id, json_object_get(tc, "id"));
	set_str(&t->type, json_object_get(tc, "type"));
	json_t *fn = json_object_get(tc, "function");
	if (json_is_object(fn)) {
		set_str(&t->name, json_object_get(fn, "name"));
		if (buf_add_json(a, &t->args, json_object_get(fn, "arguments")) < 0)
			return -1;
	}
	return 0;
}

static int openai_chunk(struct sse_asm *a, json_t *root)
{
	if (json_object_get(root, "error"))
		return abandon(a);
	set_str(&a->id, json_object_get(root, "id"));
	set_str(&a->model, json_object_get(root, "model"));
	set_str(&a->fingerprint, json_object_get(root, "system_fingerprint"));
	set_str(&a->tier, json_object_get(root, "service_tier"));
	json_t *cr = json_object_get(root, "created");
	if (json_is_integer(cr)) {
		json_decref(a->created);
		a->created = json_incref(cr);
	}
	json_t *u = json_object_get(root, "usage");
	if (json_is_object(u)) {
		json_decref(a->usage_obj);
		a->usage_obj = json_deep_copy(u);
	}
	json_t *choices = json_object_get(root, "choices");
	if (!choices)
		return 0;
	if (!json_is_array(choices))
		return abandon(a);
	if (!a->choices)
		a->choices = xcalloc(MAX_CHOICES, sizeof *a->choices);
	for (size_t i = 0; i < json_array_size(choices); i++) {
		json_t *ch = json_array_get(choices, i);
		json_t *jidx = json_object_get(ch, "index");
		json_int_t idx = json_is_integer(jidx) ? json_integer_value(jidx) : 0;
		if (!json_is_object(ch) || idx < 0 || idx >= MAX_CHOICES)
			return abandon(a);
		struct choice *c = &a->choices[idx];
		c->used = 1;
		json_t *fr = json_object_get(ch, "finish_reason");
		if (fr && !json_is_null(fr)) {
			json_decref(c->finish);
			c->finish = json_incref(fr);
		}
		if (a->wire == SSE_OPENAI_COMPLETION) {
			if (buf_add_json(a, &c->content, json_object_get(ch, "text")) < 0)
				return -1;
			continue;
		}
		json_t *d = json_object_get(ch, "delta");
		if (!json_is_object(d))
			continue;
		set_str(&c->role, json_object_get(d, "role"));
		if (buf_add_json(a, &c->content, json_object_get(d, "content")) < 0 ||
		    buf_add_json(a, &c->refusal, json_object_get(d, "refusal")) < 0)
			return -1;
		json_t *tcs = json_object_get(d, "tool_calls");
		if (json_is_array(tcs))
			for (size_t k = 0; k < json_array_size(tcs); k++)
				if (openai_tool(a, c, json_array_get(tcs, k)) < 0)
					return -1;
	}
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A string from buffer bytes, or null when they are not valid UTF-8 (a
 * stream that splits a character across deltas is still joined right). */
static json_t *buf_json(const struct buf *b)
{
	if (!b->set)
		return json_null();
	json_t *s = json_stringn(b->s ? b->s : "", b->n);
	return s ? s : json_null();
}

static json_t *openai_build(struct sse_asm *a)
{
	json_t *o = json_object();
	int chat = a->wire == SSE_OPENAI_CHAT;
	json_object_set_new(o, "id", json_string(a->id ? a->id : ""));
	json_object_set_new(o, "object", json_string(chat ? "chat.completion" : "text_completion"));
	json_object_set_new(o, "created", a->created ? json_incref(a->created) : json_integer(0));
	json_object_set_new(o, "model", json_string(a->model ? a->model : ""));
	json_t *arr = json_array();
	for (int i = 0; a->choices && i < MAX_CHOICES; i++) {
		struct choice *c = &a->choices[i];
		if (!c->used)
			continue;
		json_t *ch = json_object();
		json_object_set_new(ch, "index", json_integer(i));
		if (chat) {
			json_t *m = json_object();
			json_object_set_new(m, "role", json_string(c->role ? c->role : "assistant"));
			json_object_set_new(m, "content", buf_json(&c->content));
			json_object_set_new(m, "refusal", buf_json(&c->refusal));
			if (c->ntools) {
				json_t *tcs = json_array();
				for (size_t t = 0; t < c->ntools; t++) {
					json_t *tc = json_object(), *fn = json_object();
					json_object_set_new(tc, "id", str_or_null(c->tools[t].id));
					json_object_set_new(tc, "type", json_string(c->tools[t].type ? c->tools[t].type : "function"));
					json_object_set_new(fn, "name", str_or_null(c->tools[t].name));
					c->tools[t].args.set = 1;
					json_object_set_new(fn, "arguments", buf_json(&c->tools[t].args));
					json_object_set_new(tc, "function", fn);
					json_array_append_new(tcs, tc);
				}
				json_object_set_new(m, "tool_calls", tcs);
			}
			json_object_set_new(ch, "message", m);
		} else {
			c->content.set = 1;
			json_object_set_new(ch, "text", buf_json(&c->content));
		}
		json_object_set_new(ch, "logprobs", json_null());
		json_object_set(ch, "finish_reason", c->finish ? c->finish : json_null());
		json_array_append_new(arr, ch);
	}
	json_object_set_new(o, "choices", arr);
	if (a->usage_obj)
		json_object_set(o, "usage", a->usage_obj);
	if (a->fingerprint)
		json_object_set_new(o, "system_fingerprint", json_string(a->fingerprint));
	if (a->tier)
		json_object_set_new(o, "service_tier", json_string(a->tier));
	return o;
}

/* ---- Anthropic ------------------------------------------------------- */

static struct block *block_at(struct sse_asm *a, json_t *root)
{
	json_t *jidx = json_object_get(root, "index");
	if (!json_is_integer(jidx))
		return NULL;
	json_int_t i = json_integer_value(jidx);
	if (i < 0 || (size_t)i >= a->nblocks)
		return NULL;
	return &a->blocks[i];
}

static int anthropic_event(struct sse_asm *a, const char *type, json_t *root)
{
	if (strcmp(type, "message_start") == 0) {
		json_t *m = json_object_get(root, "message");
		if (!json_is_object(m))
			return abandon(a);
		json_decref(a->message);
		a->message = json_deep_copy(m);
		a->started = 1;
		return 0;
	}
	if (!a->started)
		return strcmp(type, "ping") == 0 ? 0 : abandon(a);
	if (strcmp(type, "content_block_start") == 0) {
		json_t *jidx = json_object_get(root, "index"), *cb = json_object_get(root, "content_block");
		if (!json_is_integer(jidx) || !json_is_object(cb) || json_integer_value(jidx) != (json_int_t)a->nblocks ||
		    a->nblocks >= MAX_BLOCKS)
			return abandon(a);
		a->blocks = xrealloc(a->blocks, (a->nblocks + 1) * sizeof *a->blocks);
		struct block *b = &a->blocks[a->nblocks++];
		memset(b, 0, sizeof *b);
		b->skel = json_deep_copy(cb);
		return 0;
	}
	if (strcmp(type, "content_block_delta") == 0) {
		struct block *b = block_at(a, root);
		json_t *d = json_object_get(root, "delta");
		if (!b || !json_is_object(d))
			return abandon(a);
		const char *dt = json_string_value(json_object_get(d, "type"));
		if (!dt)
			return abandon(a);
		if (strcmp(dt, "text_delta") == 0)
			return buf_add_json(a, &b->text, json_object_get(d, "text"));
		if (strcmp(dt, "input_json_delta") == 0)
			return buf_add_json(a, &b->json, json_object_get(d, "partial_json"));
		if (strcmp(dt, "thinking_delta") == 0)
			return buf_add_json(a, &b->thinking, json_object_get(d, "thinking"));
		if (strcmp(dt, "signature_delta") == 0)
			return buf_add_json(a, &b->signature, json_object_get(d, "signature"));
		if (strcmp(dt, "citations_delta") == 0) {
			json_t *c = json_object_get(d, "citation");
			if (c) {
				if (!b->citations)
					b->citations = json_array();
				json_array_append(b->citations, c);
			}
			return 0;
		}
		return abandon(a); /* a delta type we would lose: do not cache a wrong answer */
	}
	if (strcmp(type, "content_block_stop") == 0)
		return block_at(a, root) ? 0 : abandon(a);
	if (strcmp(type, "message_delta") == 0) {
		json_t *d = json_object_get(root, "delta");
		if (json_is_object(d)) {
			const char *k;
			json_t *v;
			json_object_foreach(d, k, v) json_object_set(a->message, k, v);
		}
		json_t *u = json_object_get(root, "usage");
		if (json_is_object(u)) {
			json_t *mu = json_object_get(a->message, "usage");
			if (!json_is_object(mu)) {
				mu = json_object();
				json_object_set_new(a->message, "usage", mu);
			}
			const char *k;
			json_t *v;
			json_object_foreach(u, k, v) if (!json_is_null(v)) json_object_set(mu, k, v);
		}
		return 0;
	}
	if (strcmp(type, "message_stop") == 0) {
		a->complete = 1;
		return 0;
	}
	if (strcmp(type, "ping") == 0)
		return 0;
	if (strcmp(type, "error") == 0)
		return abandon(a);
	return 0; /* unknown event types are ignored, as the SDKs do */
}

static json_t *anthropic_build(struct sse_asm *a)
{
	json_t *m = json_deep_copy(a->message);
	json_t *content = json_array();
	for (size_t i = 0; i < a->nblocks; i++) {
		struct block *b = &a->blocks[i];
		json_t *cb = json_deep_copy(b->skel);
		const char *t = json_string_value(json_object_get(cb, "type"));
		if (b->text.set) /* the start's "text" is "" on the wire; deltas hold it all */
			json_object_set_new(cb, "text", buf_json(&b->text));
		if (b->thinking.set)
			json_object_set_new(cb, "thinking", buf_json(&b->thinking));
		if (b->signature.set)
			json_object_set_new(cb, "signature", buf_json(&b->signature));
		if (b->citations)
			json_object_set(cb, "citations", b->citations);
		if (t && (strcmp(t, "tool_use") == 0 || strcmp(t, "server_tool_use") == 0 ||
			  strcmp(t, "mcp_tool_use") == 0)) {
			json_t *input = NULL;
			if (b->json.n) {
				json_error_t je;
				input = json_loadb(b->json.s, b->json.n, JSON_DECODE_ANY, &je);
				if (!input) {
					json_decref(cb);
					json_decref(content);
					json_decref(m);
					return NULL;
				}
			}
			json_object_set_new(cb, "input", input ? input : json_object());
		}
		json_array_append_new(content, cb);
	}
	json_object_set_new(m, "content", content);
	return m;
}

/* ---- common ---------------------------------------------------------- */

int sse_asm_event(struct sse_asm *a, const struct sse_event *ev)
{
	if (a->wire != SSE_ANTHROPIC && ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
		a->complete = 1;
		return a->abandoned ? -1 : 0;
	}
	sse_usage_event(a->wire, ev, &a->usage);
	if (a->abandoned)
		return -1;
	if (a->complete) /* data after the end */
		return abandon(a);
	if (a->wire == SSE_ANTHROPIC && event_is(ev, "ping"))
		return 0;
	json_error_t je;
	json_t *root = json_loadb(ev->data, ev->data_len, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return abandon(a);
	}
	int rc;
	if (a->wire == SSE_ANTHROPIC) {
		const char *type = json_string_value(json_object_get(root, "type"));
		if (!type) {
			/* fall back to the event name */
			char name[64];
			size_t n = ev->event_len < sizeof name - 1 ? ev->event_len : sizeof name - 1;
			memcpy(name, ev->event, n);
			name[n] = '\0';
			rc = anthropic_event(a, name, root);
		} else {
			rc = anthropic_event(a, type, root);
		}
	} else {
		rc = openai_chunk(a, root);
	}
	json_decref(root);
	return rc;
}

int sse_asm_complete(const struct sse_asm *a)
{
	return a->complete;
}

const struct sse_usage *sse_asm_usage(const struct sse_asm *a)
{
	return &a->usage;
}

char *sse_asm_finish(struct sse_asm *a, size_t *len)
{
	if (!a->complete || a->abandoned)
		return NULL;
	json_t *o;
	if (a->wire == SSE_ANTHROPIC) {
		if (!a->message)
			return NULL;
		o = anthropic_build(a);
	} else {
		if (!a->choices)
			return NULL;
		o = openai_build(a);
	}
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s && len)
		*len = strlen(s);
	return s;
}
