/* test_gw_sse.c - the gateway's SSE parser, usage extractor, assembler and replay.
 *
 * The stream samples are written in the exact shape the services send
 * (OpenAI chat.completion.chunk with stream_options.include_usage, tool
 * call deltas, legacy text_completion chunks; Anthropic message_start ...
 * message_stop with text, tool_use and thinking blocks), checked against
 * the public API references; the texts are our own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gateway/sse.h"

/* ---- helpers: collect events into one printable log ------------------ */

struct log {
	char s[16384];
	size_t n;
	int count;
};

static int collect(void *ud, const struct sse_event *ev)
{
	struct log *l = ud;
	l->n += (size_t)snprintf(l->s + l->n, sizeof l->s - l->n, "[%.*s|%.*s|%.*s|%ld]", (int)ev->event_len,
				 ev->event, (int)ev->data_len, ev->data, (int)ev->id_len, ev->id, ev->retry_ms);
	assert_true(ev->data[ev->data_len] == '\0');
	l->count++;
	return 0;
}

static void parse_all(const char *in, size_t n, struct log *l, size_t split)
{
	struct sse_parser p;
	memset(l, 0, sizeof *l);
	sse_parser_init(&p, 0, 0);
	if (split == 0) {
		assert_int_equal(sse_parser_feed(&p, in, n, collect, l), 0);
	} else {
		for (size_t i = 0; i < n; i += split) {
			size_t k = n - i < split ? n - i : split;
			assert_int_equal(sse_parser_feed(&p, in + i, k, collect, l), 0);
		}
	}
	assert_int_equal(sse_parser_finish(&p, 0, collect, l), 0);
	sse_parser_release(&p);
}

/* The same events whatever the split: whole, byte by byte, every 2-way cut. */
static void check_stream(const char *in, const char *want, int count)
{
	size_t n = strlen(in);
	struct log l, m;
	parse_all(in, n, &l, 0);
	assert_string_equal(l.s, want);
	assert_int_equal(l.count, count);
	parse_all(in, n, &m, 1);
	assert_string_equal(m.s, want);
	for (size_t cut = 1; cut < n; cut++) {
		struct sse_parser p;
		memset(&m, 0, sizeof m);
		sse_parser_init(&p, 0, 0);
		assert_int_equal(sse_parser_feed(&p, in, cut, collect, &m), 0);
		assert_int_equal(sse_parser_feed(&p, in + cut, n - cut, collect, &m), 0);
		assert_int_equal(sse_parser_finish(&p, 0, collect, &m), 0);
		sse_parser_release(&p);
		assert_string_equal(m.s, want);
	}
}

/* ---- parser ---------------------------------------------------------- */

static void test_parse_rules(void **st)
{
	/* multi-line data joined by LF; default type "message"; one leading space stripped */
	check_stream("data: a\ndata:  b\ndata\n\n", "[message|a\n b\n||-1]", 1);
	/* CR, LF and CRLF line ends, mixed */
	check_stream("event: x\rdata: 1\r\n\r\ndata: 2\n\n", "[x|1||-1][message|2||-1]", 2);
	/* comments and unknown fields ignored; an event without data is not dispatched and resets the type */
	check_stream(": keep-alive\n\nevent: lonely\n\ndata: z\nfoo: bar\n\n", "[message|z||-1]", 1);
	/* id persists across events; an id with NUL is ignored; retry needs only digits */
	check_stream("id: 7\ndata: a\n\ndata: b\nretry: 15x\n\nretry: 300\nid\ndata: c\n\n",
		     "[message|a|7|-1][message|b|7|-1][message|c||300]", 3);
	/* BOM skipped once; a field name with no colon takes the empty value */
	check_stream("\xEF\xBB\xBF" "data: bom\n\n", "[message|bom||-1]", 1);
	/* a colon inside the value is kept; "data:" with no space */
	check_stream("data:{\"a\":\"b: c\"}\n\n", "[message|{\"a\":\"b: c\"}||-1]", 1);
	/* unterminated last event is discarded at the end of the stream */
	check_stream("data: done\n\ndata: partial\n", "[message|done||-1]", 1);
	/* only a BOM-looking prefix: the bytes are content */
	check_stream("\xEF\xBB" "x\n\ndata: 1\n\n", "[message|1||-1]", 1);
}

static void test_parse_finish_partial(void **st)
{
	struct sse_parser p;
	struct log l = { 0 };
	sse_parser_init(&p, 0, 0);
	assert_int_equal(sse_parser_feed(&p, "data: [DONE]", 12, collect, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(sse_parser_finish(&p, 1, collect, &l), 0);
	assert_string_equal(l.s, "[message|[DONE]||-1]");
	sse_parser_release(&p);
}

static void test_parse_bounds(void **st)
{
	struct sse_parser p;
	struct log l = { 0 };
	char big[200];
	memset(big, 'x', sizeof big);
	sse_parser_init(&p, 64, 100);
	assert_int_equal(sse_parser_feed(&p, "data: ok\n\n", 10, collect, &l), 0);
	assert_int_equal(l.count, 1);
	/* a line over 64 bytes, split across feeds */
	assert_int_equal(sse_parser_feed(&p, "data: ", 6, collect, &l), 0);
	assert_int_equal(sse_parser_feed(&p, big, 40, collect, &l), 0);
	assert_int_equal(sse_parser_feed(&p, big, 40, collect, &l), -1);
	/* failed stays failed */
	assert_int_equal(sse_parser_feed(&p, "\n\n", 2, collect, &l), -1);
	assert_int_equal(sse_parser_finish(&p, 1, collect, &l), -1);
	sse_parser_release(&p);

	/* data over 100 bytes in many short lines */
	sse_parser_init(&p, 64, 100);
	int rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = sse_parser_feed(&p, "data: 0123456789\n", 17, collect, &l);
	assert_int_equal(rc, -1);
	sse_parser_release(&p);
}

static int stop_after_one(void *ud, const struct sse_event *ev)
{
	(*(int *)ud)++;
	return 42;
}

static void test_parse_callback_stop(void **st)
{
	struct sse_parser p;
	int n = 0;
	sse_parser_init(&p, 0, 0);
	assert_int_equal(sse_parser_feed(&p, "data: 1\n\ndata: 2\n\n", 18, stop_after_one, &n), 42);
	assert_int_equal(n, 1);
	sse_parser_release(&p);
}

/* ---- samples --------------------------------------------------------- */

/* chat.completion.chunk stream with stream_options.include_usage = true */
static const char openai_chat[] =
	"data: {\"id\":\"chatcmpl-B9x2\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"chatcmpl-B9x2\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Refunds take\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"chatcmpl-B9x2\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" 5\xe2\x80\x93" "7 days \\\"usage\\\": {}\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"chatcmpl-B9x2\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
	"data: {\"id\":\"chatcmpl-B9x2\",\"object\":\"chat.completion.chunk\",\"created\":1730000000,\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_0ba0d124f1\",\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":9,\"total_tokens\":40,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}\n\n"
	"data: [DONE]\n\n";

/* a tool call streamed as id/name first, then argument pieces */
static const char openai_tools[] =
	"data: {\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_abc\",\"type\":\"function\",\"function\":{\"name\":\"lookup_order\",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"order_id\\\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\": \\\"A-1009\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_def\",\"type\":\"function\",\"function\":{\"name\":\"refund\",\"arguments\":\"{}\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}]}\n\n"
	"data: [DONE]\n\n";

static const char openai_legacy[] =
	"data: {\"id\":\"cmpl-7a\",\"object\":\"text_completion\",\"created\":1730000200,\"choices\":[{\"text\":\"Dear\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],\"model\":\"gpt-3.5-turbo-instruct\"}\n\n"
	"data: {\"id\":\"cmpl-7a\",\"object\":\"text_completion\",\"created\":1730000200,\"choices\":[{\"text\":\" customer,\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],\"model\":\"gpt-3.5-turbo-instruct\"}\n\n"
	"data: {\"id\":\"cmpl-7a\",\"object\":\"text_completion\",\"created\":1730000200,\"choices\":[],\"model\":\"gpt-3.5-turbo-instruct\",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n"
	"data: [DONE]\n\n";

static const char anthropic_stream[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-3-5-sonnet-20241022\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":2048,\"output_tokens\":2}}}\n\n"
	"event: ping\n"
	"data: {\"type\": \"ping\"}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me check \"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"the ledger.\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_invoice\",\"input\":{}}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"invoice\\\": \\\"INV-\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"2291\\\", \\\"year\\\": 2024}\"}}\n\n"
	"event: content_block_stop\n"
	"data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
	"event: message_stop\n"
	"data: {\"type\":\"message_stop\"}\n\n";

/* ---- usage ----------------------------------------------------------- */

struct meter {
	enum sse_wire wire;
	struct sse_usage u;
	struct sse_asm *a;
	int usage_events;
};

static int meter_cb(void *ud, const struct sse_event *ev)
{
	struct meter *m = ud;
	int rc = sse_usage_event(m->wire, ev, &m->u);
	assert_true(rc >= 0);
	m->usage_events += rc;
	if (m->a)
		sse_asm_event(m->a, ev);
	return 0;
}

static void run_stream(struct meter *m, const char *s, size_t split)
{
	struct sse_parser p;
	sse_parser_init(&p, 0, 0);
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i += split) {
		size_t k = n - i < split ? n - i : split;
		assert_int_equal(sse_parser_feed(&p, s + i, k, meter_cb, m), 0);
	}
	assert_int_equal(sse_parser_finish(&p, 0, meter_cb, m), 0);
	sse_parser_release(&p);
}

static void test_usage(void **st)
{
	struct meter m = { .wire = SSE_OPENAI_CHAT };
	sse_usage_init(&m.u);
	run_stream(&m, openai_chat, 7);
	/* the "usage": inside the content string must not count */
	assert_int_equal(m.usage_events, 1);
	assert_int_equal(m.u.input, 31);
	assert_int_equal(m.u.output, 9);
	assert_int_equal(m.u.cache_read, 0);
	assert_int_equal(m.u.reasoning, 0);
	assert_int_equal(m.u.cache_write, -1);

	struct meter a = { .wire = SSE_ANTHROPIC };
	sse_usage_init(&a.u);
	run_stream(&a, anthropic_stream, 13);
	assert_int_equal(a.usage_events, 2);
	assert_int_equal(a.u.input, 472);
	assert_int_equal(a.u.output, 89); /* cumulative: message_delta's replaces message_start's 2 */
	assert_int_equal(a.u.cache_read, 2048);
	assert_int_equal(a.u.cache_write, 0);

	/* no usage in the stream (include_usage off): stays unknown */
	struct meter t = { .wire = SSE_OPENAI_CHAT };
	sse_usage_init(&t.u);
	run_stream(&t, openai_tools, 64);
	assert_int_equal(t.usage_events, 0);
	assert_int_equal(t.u.input, -1);

	struct sse_usage u;
	sse_usage_init(&u);
	const char *body = "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}";
	assert_int_equal(sse_usage_body(SSE_OPENAI_CHAT, body, strlen(body), &u), 1);
	assert_int_equal(u.input, 5);
	assert_int_equal(u.output, 6);
	assert_int_equal(sse_usage_body(SSE_OPENAI_CHAT, "{", 1, &u), -1);
	/* a usage-looking event that is not JSON */
	struct sse_event ev = { "message", 7, "{\"usage\":{\"prompt_tokens\":", 26, "", 0, -1 };
	assert_int_equal(sse_usage_event(SSE_OPENAI_CHAT, &ev, &u), -1);
}

/* ---- assembler ------------------------------------------------------- */

static json_t *assemble(enum sse_wire wire, const char *stream, size_t split)
{
	struct meter m = { .wire = wire };
	sse_usage_init(&m.u);
	m.a = sse_asm_new(wire, 0);
	run_stream(&m, stream, split);
	assert_true(sse_asm_complete(m.a));
	size_t len = 0;
	char *s = sse_asm_finish(m.a, &len);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	assert_non_null(j);
	free(s);
	sse_asm_free(m.a);
	return j;
}

static const char *jpath_str(json_t *j, const char *path)
{
	json_t *v = json_object_get(j, path);
	return json_string_value(v);
}

static void test_asm_openai(void **st)
{
	json_t *j = assemble(SSE_OPENAI_CHAT, openai_chat, 5);
	assert_string_equal(jpath_str(j, "object"), "chat.completion");
	assert_string_equal(jpath_str(j, "id"), "chatcmpl-B9x2");
	assert_int_equal(json_integer_value(json_object_get(j, "created")), 1730000000);
	assert_string_equal(jpath_str(j, "system_fingerprint"), "fp_0ba0d124f1");
	json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
	json_t *msg = json_object_get(c0, "message");
	assert_string_equal(jpath_str(msg, "role"), "assistant");
	assert_string_equal(jpath_str(msg, "content"), "Refunds take 5\xe2\x80\x93" "7 days \"usage\": {}");
	assert_true(json_is_null(json_object_get(msg, "refusal")));
	assert_string_equal(jpath_str(c0, "finish_reason"), "stop");
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(u, "total_tokens")), 40);
	json_decref(j);

	j = assemble(SSE_OPENAI_CHAT, openai_tools, 3);
	c0 = json_array_get(json_object_get(j, "choices"), 0);
	msg = json_object_get(c0, "message");
	assert_true(json_is_null(json_object_get(msg, "content")));
	json_t *tcs = json_object_get(msg, "tool_calls");
	assert_int_equal(json_array_size(tcs), 2);
	json_t *t0 = json_array_get(tcs, 0), *t1 = json_array_get(tcs, 1);
	assert_string_equal(jpath_str(t0, "id"), "call_abc");
	assert_string_equal(jpath_str(json_object_get(t0, "function"), "name"), "lookup_order");
	assert_string_equal(jpath_str(json_object_get(t0, "function"), "arguments"), "{\"order_id\": \"A-1009\"}");
	assert_string_equal(jpath_str(json_object_get(t1, "function"), "arguments"), "{}");
	assert_string_equal(jpath_str(c0, "finish_reason"), "tool_calls");
	assert_null(json_object_get(j, "usage"));
	json_decref(j);

	j = assemble(SSE_OPENAI_COMPLETION, openai_legacy, 11);
	assert_string_equal(jpath_str(j, "object"), "text_completion");
	c0 = json_array_get(json_object_get(j, "choices"), 0);
	assert_string_equal(jpath_str(c0, "text"), "Dear customer,");
	assert_string_equal(jpath_str(c0, "finish_reason"), "length");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "usage"), "completion_tokens")), 3);
	json_decref(j);
}

static void test_asm_anthropic(void **st)
{
	json_t *j = assemble(SSE_ANTHROPIC, anthropic_stream, 17);
	assert_string_equal(jpath_str(j, "id"), "msg_01XFDUDYJgAACzvnptvVoYEL");
	assert_string_equal(jpath_str(j, "type"), "message");
	assert_string_equal(jpath_str(j, "stop_reason"), "tool_use");
	json_t *content = json_object_get(j, "content");
	assert_int_equal(json_array_size(content), 2);
	assert_string_equal(jpath_str(json_array_get(content, 0), "text"), "Let me check the ledger.");
	json_t *tu = json_array_get(content, 1);
	assert_string_equal(jpath_str(tu, "name"), "get_invoice");
	json_t *in = json_object_get(tu, "input");
	assert_string_equal(jpath_str(in, "invoice"), "INV-2291");
	assert_int_equal(json_integer_value(json_object_get(in, "year")), 2024);
	json_t *u = json_object_get(j, "usage");
	assert_int_equal(json_integer_value(json_object_get(u, "output_tokens")), 89);
	assert_int_equal(json_integer_value(json_object_get(u, "input_tokens")), 472);
	assert_int_equal(json_integer_value(json_object_get(u, "cache_read_input_tokens")), 2048);
	json_decref(j);
}

static void test_asm_incomplete(void **st)
{
	/* a stream cut before [DONE] / message_stop is not cacheable */
	const char *cut = strstr(openai_chat, "data: [DONE]");
	char *s = strndup(openai_chat, (size_t)(cut - openai_chat));
	struct meter m = { .wire = SSE_OPENAI_CHAT };
	sse_usage_init(&m.u);
	m.a = sse_asm_new(SSE_OPENAI_CHAT, 0);
	run_stream(&m, s, 100);
	assert_false(sse_asm_complete(m.a));
	assert_null(sse_asm_finish(m.a, NULL));
	/* but what was delivered is metered */
	assert_int_equal(sse_asm_usage(m.a)->output, 9);
	sse_asm_free(m.a);
	free(s);

	/* an error event abandons the assembly */
	const char *err = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"c\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
			  "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
			  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
	struct meter e = { .wire = SSE_ANTHROPIC };
	sse_usage_init(&e.u);
	e.a = sse_asm_new(SSE_ANTHROPIC, 0);
	run_stream(&e, err, 1000);
	assert_null(sse_asm_finish(e.a, NULL));
	assert_int_equal(sse_asm_usage(e.a)->input, 3);
	sse_asm_free(e.a);

	/* content over max_bytes abandons */
	struct meter b = { .wire = SSE_OPENAI_CHAT };
	sse_usage_init(&b.u);
	b.a = sse_asm_new(SSE_OPENAI_CHAT, 10);
	run_stream(&b, openai_chat, 1000);
	assert_true(sse_asm_complete(b.a));
	assert_null(sse_asm_finish(b.a, NULL));
	sse_asm_free(b.a);
}

/* ---- synthesizer: replay and assemble back --------------------------- */

static void roundtrip(enum sse_wire wire, const char *stream, int include_usage, size_t chunk)
{
	json_t *orig = assemble(wire, stream, 1000);
	char *body = json_dumps(orig, JSON_COMPACT);
	struct sse_synth_opts o = { include_usage, chunk };
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(sse_synthesize(wire, body, strlen(body), &o, &out, &n), 0);
	assert_int_equal(strlen(out), n);
	if (wire != SSE_ANTHROPIC) {
		assert_true(n > 14 && memcmp(out + n - 14, "data: [DONE]\n\n", 14) == 0);
		assert_int_equal(strstr(out, "\"usage\":null") != NULL, include_usage);
	}
	json_t *back = assemble(wire, out, 9);
	if (wire != SSE_ANTHROPIC && !include_usage)
		json_object_set(back, "usage", json_object_get(orig, "usage") ? json_object_get(orig, "usage") : json_null());
	if (json_is_null(json_object_get(back, "usage")) && !json_object_get(orig, "usage"))
		json_object_del(back, "usage");
	if (!json_equal(orig, back)) {
		char *a = json_dumps(orig, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
		fprintf(stderr, "orig %s\nback %s\nsse:\n%s\n", a, b, out);
		free(a);
		free(b);
		fail();
	}
	json_decref(orig);
	json_decref(back);
	free(body);
	free(out);
}

static void test_synth_roundtrip(void **st)
{
	roundtrip(SSE_OPENAI_CHAT, openai_chat, 1, 4);
	roundtrip(SSE_OPENAI_CHAT, openai_chat, 0, 0);
	roundtrip(SSE_OPENAI_CHAT, openai_tools, 1, 3);
	roundtrip(SSE_OPENAI_COMPLETION, openai_legacy, 1, 2);
	roundtrip(SSE_ANTHROPIC, anthropic_stream, 0, 5);
}

static void test_synth_shape(void **st)
{
	/* a non-stream chat body as the service returns it */
	const char *body = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
			   "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"h\xc3\xa9llo\"},"
			   "\"logprobs\":null,\"finish_reason\":\"stop\"}],"
			   "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}";
	struct sse_synth_opts o = { 1, 2 };
	char *out;
	size_t n;
	assert_int_equal(sse_synthesize(SSE_OPENAI_CHAT, body, strlen(body), &o, &out, &n), 0);
	/* "h\xc3\xa9llo" in pieces of 2 bytes never splits the 2-byte character */
	assert_non_null(strstr(out, "{\"content\":\"h\xc3\xa9\"}"));
	assert_non_null(strstr(out, "\"choices\":[],\"usage\":{\"prompt_tokens\":1"));
	assert_non_null(strstr(out, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"));
	/* the replay's usage is what a metering reader sees */
	struct meter m = { .wire = SSE_OPENAI_CHAT };
	sse_usage_init(&m.u);
	run_stream(&m, out, 100);
	assert_int_equal(m.u.output, 2);
	free(out);
	assert_int_equal(sse_synthesize(SSE_OPENAI_CHAT, "[]", 2, &o, &out, &n), -1);
	assert_null(out);
	assert_int_equal(sse_synthesize(SSE_ANTHROPIC, body, strlen(body), &o, &out, &n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rules),
		cmocka_unit_test(test_parse_finish_partial),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_parse_callback_stop),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_asm_openai),
		cmocka_unit_test(test_asm_anthropic),
		cmocka_unit_test(test_asm_incomplete),
		cmocka_unit_test(test_synth_roundtrip),
		cmocka_unit_test(test_synth_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
