/*
 * stub_anthropic.c: the Anthropic Messages wire format of llm_stub, the way
 * api.anthropic.com sends it:
 *   - bodies are compact JSON (`{"model":...,"id":"msg_01...","type":"message",...}`);
 *   - a stream is `event: NAME\ndata: {...}\n\n` records: message_start (usage
 *     with input_tokens and output_tokens 1), content_block_start, ping (whose
 *     data is written `{"type": "ping"}`, with spaces, as the service does),
 *     one content_block_delta text_delta per token, content_block_stop,
 *     message_delta (stop_reason and the cumulative usage), message_stop;
 *   - the service pads most stream data objects with spaces before the last
 *     `}`; the stub does too (deterministic widths), so parsers meet it;
 *   - errors are `{"type":"error","error":{"type":...,"message":...},"request_id":...}`.
 * Each function appends to a caller-owned evbuffer.
 */
#include <stdio.h>
#include <string.h>

#include "stub.h"

static const char *stop_reason(const struct call *c)
{
	return c->finish_length ? "max_tokens" : "end_turn";
}

void an_headers(struct call *c, struct evkeyvalq *h, int stream)
{
	char v[64];
	evhttp_add_header(h, "Content-Type", stream ? "text/event-stream; charset=utf-8" : "application/json");
	if (stream)
		evhttp_add_header(h, "Cache-Control", "no-cache");
	make_id(v, sizeof v, "req_011C", c->seq, 20);
	evhttp_add_header(h, "request-id", v);
	evhttp_add_header(h, "anthropic-organization-id", "00000000-0000-4000-8000-00000000s7ub");
	evhttp_add_header(h, "anthropic-ratelimit-requests-limit", "4000");
	evhttp_add_header(h, "anthropic-ratelimit-requests-remaining", "3999");
	evhttp_add_header(h, "anthropic-ratelimit-input-tokens-limit", "2000000");
	evhttp_add_header(h, "anthropic-ratelimit-output-tokens-limit", "400000");
}

static void message_id(const struct call *c, char *out, size_t cap)
{
	make_id(out, cap, "msg_01", c->seq, 22);
}

/* Anthropic's input_tokens leave out the cached and cache-written tokens. */
static long input_tokens(const struct call *c)
{
	return c->prompt_tokens - c->cached_tokens - c->cache_write_tokens;
}

static void usage(const struct call *c, struct evbuffer *b, long out_tokens)
{
	evbuffer_add_printf(b,
	                    "{\"input_tokens\":%ld,\"cache_creation_input_tokens\":%ld,\"cache_read_input_tokens\":%ld,"
	                    "\"output_tokens\":%ld,\"service_tier\":\"standard\"}",
	                    input_tokens(c), c->cache_write_tokens, c->cached_tokens, out_tokens);
}

void an_body(struct call *c, struct evbuffer *b)
{
	char id[64];
	message_id(c, id, sizeof id);
	evbuffer_add_printf(b, "{\"model\":");
	w_str(b, c->model);
	evbuffer_add_printf(b, ",\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\","
	                       "\"text\":",
	                    id);
	w_text(b, c->completion_tokens);
	evbuffer_add_printf(b, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null,\"usage\":", stop_reason(c));
	usage(c, b, c->completion_tokens);
	evbuffer_add(b, "}", 1);
}

/* Close a data object with the service's space padding and end the record. */
static void pad_end(struct call *c, struct evbuffer *b)
{
	static const char sp[] = "                ";
	size_t n = (size_t)((c->seq * 7 + (unsigned long)c->step * 5) % 16);
	evbuffer_add(b, sp, n);
	evbuffer_add(b, "}\n\n", 3);
}

/* steps: 0 message_start, 1 content_block_start, 2 ping, 3..N+2 deltas,
 * N+3 content_block_stop, N+4 message_delta, N+5 message_stop */
int an_chunk(struct call *c, struct evbuffer *b)
{
	long n = c->completion_tokens, s = c->step;
	if (s == 0) {
		char id[64];
		message_id(c, id, sizeof id);
		evbuffer_add_printf(b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":");
		w_str(b, c->model);
		evbuffer_add_printf(b, ",\"id\":\"%s\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
		                       "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":",
		                    id);
		usage(c, b, 1);
		evbuffer_add(b, "}", 1);
		pad_end(c, b);
	} else if (s == 1) {
		evbuffer_add_printf(b, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
		                       "\"content_block\":{\"type\":\"text\",\"text\":\"\"}");
		pad_end(c, b);
	} else if (s == 2) {
		evbuffer_add_printf(b, "event: ping\ndata: {\"type\": \"ping\"}\n\n");
	} else if (s <= n + 2) {
		long i = s - 3;
		evbuffer_add_printf(b, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
		                       "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s%s\"}",
		                    i ? " " : "", word_at(i));
		pad_end(c, b);
	} else if (s == n + 3) {
		evbuffer_add_printf(b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0");
		pad_end(c, b);
	} else if (s == n + 4) {
		evbuffer_add_printf(b,
		                    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\","
		                    "\"stop_sequence\":null},\"usage\":{\"input_tokens\":%ld,\"cache_creation_input_tokens\":%ld,"
		                    "\"cache_read_input_tokens\":%ld,\"output_tokens\":%ld}",
		                    stop_reason(c), input_tokens(c), c->cache_write_tokens, c->cached_tokens, n);
		pad_end(c, b);
	} else if (s == n + 5) {
		evbuffer_add_printf(b, "event: message_stop\ndata: {\"type\":\"message_stop\"");
		pad_end(c, b);
	} else {
		return 0;
	}
	c->step++;
	return 1;
}

const char *an_error_type(int status)
{
	switch (status) {
	case 400: return "invalid_request_error";
	case 401: return "authentication_error";
	case 402: return "billing_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 413: return "request_too_large";
	case 429: return "rate_limit_error";
	case 504: return "timeout_error";
	case 529: return "overloaded_error";
	default: return "api_error";
	}
}

void an_error_body(int status, const char *type, const char *msg, unsigned long seq, struct evbuffer *b)
{
	char rid[64];
	make_id(rid, sizeof rid, "req_011C", seq, 20);
	evbuffer_add_printf(b, "{\"type\":\"error\",\"error\":{\"type\":");
	w_str(b, type ? type : an_error_type(status));
	evbuffer_add_printf(b, ",\"message\":");
	w_str(b, msg);
	evbuffer_add_printf(b, "},\"request_id\":\"%s\"}", rid);
}

void an_status_error(struct call *c, int status, struct evbuffer *b)
{
	const char *msg;
	switch (status) {
	case 400: msg = "Invalid request."; break;
	case 403: msg = "Your API key does not have permission to use the specified resource."; break;
	case 404: msg = "model: not found"; break;
	case 413: msg = "Request exceeds the maximum allowed number of bytes."; break;
	case 429:
		msg = "Number of request tokens has exceeded your per-minute rate limit "
		      "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. "
		      "Please reduce the prompt length or the maximum tokens requested, or try again later. You may "
		      "also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate "
		      "limit increase.";
		break;
	case 529: msg = "Overloaded"; break;
	default: msg = "Internal server error"; break;
	}
	an_error_body(status, NULL, msg, c->seq, b);
}

/* An error after the stream started: an `event: error` record; the caller
 * then ends the stream. */
void an_stream_error(struct call *c, struct evbuffer *b)
{
	char rid[64];
	make_id(rid, sizeof rid, "req_011C", c->seq, 20);
	evbuffer_add_printf(b, "event: error\ndata: {\"type\":\"error\",\"error\":{\"details\":null,\"type\":"
	                       "\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"%s\"}\n\n",
	                    rid);
}
