/*
 * stub_wire.c: small JSON writers shared by the OpenAI and Anthropic wire
 * files of llm_stub: string escaping, the deterministic reply words and
 * provider-looking ids. Everything appends to a caller-owned evbuffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stub.h"

/* A JSON string: quotes, backslash and control bytes escaped; other bytes
 * (UTF-8 included) copied as they are, as the providers do. */
void w_strn(struct evbuffer *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	evbuffer_add(b, "\"", 1);
	size_t from = 0; /* start of the pending verbatim run */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char u[7];
		const char *esc = NULL;
		switch (ch) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (ch < 0x20) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[ch >> 4];
				u[5] = hex[ch & 15];
				u[6] = 0;
				esc = u;
			}
		}
		if (!esc)
			continue;
		evbuffer_add(b, s + from, i - from);
		evbuffer_add(b, esc, strlen(esc));
		from = i + 1;
	}
	evbuffer_add(b, s + from, n - from);
	evbuffer_add(b, "\"", 1);
}

void w_str(struct evbuffer *b, const char *s)
{
	w_strn(b, s, strlen(s));
}

/* The reply is these words in turn, one word per token (README: "reply text"). */
static const char *const words[16] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
};

const char *word_at(long i)
{
	return words[i & 15];
}

/* The whole reply text as one JSON string: "alpha bravo ..." with ntok words. */
void w_text(struct evbuffer *b, long ntok)
{
	evbuffer_add(b, "\"", 1);
	for (long i = 0; i < ntok; i++) {
		if (i)
			evbuffer_add(b, " ", 1);
		const char *w = word_at(i);
		evbuffer_add(b, w, strlen(w));
	}
	evbuffer_add(b, "\"", 1);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* prefix + len base62 characters derived from seq: unique per request and
 * shaped like the providers' ids (chatcmpl-<29>, msg_01<22>, req_<24>). */
void make_id(char *out, size_t cap, const char *prefix, unsigned long seq, int len)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t p = strlen(prefix);
	if (p + (size_t)len + 1 > cap)
		len = (int)(cap - p - 1);
	memcpy(out, prefix, p);
	uint64_t state = mix64(seq), x = 0;
	for (int i = 0; i < len; i++) {
		if (i % 10 == 0) /* 10 base-62 digits use 60 of the 64 bits */
			x = state = mix64(state);
		out[p + (size_t)i] = b62[x % 62];
		x /= 62;
	}
	out[p + (size_t)len] = 0;
}
