/*
 * test_gw_meter.c - the gateway's metering: usage from non-stream bodies
 * and stream events (OpenAI and Anthropic), the hidden usage chunk,
 * billing a cut stream for what was delivered, and the request-log record:
 * parsed back by the ledger's request-log parser, it prices to exactly the
 * cost the gateway put in x-aicost-cost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/prices.h"
#include "formats/llm_usage.h"
#include "gateway/meter.h"
#include "gateway/sse.h"

static struct price_catalog *cat;

static int setup(void **st)
{
	cat = prices_open(NULL);
	return cat ? 0 : -1;
}

static int teardown(void **st)
{
	prices_free(cat);
	return 0;
}

static money_t usd(const char *s)
{
	money_t v;
	assert_int_equal(money_parse(s, strlen(s), &v, NULL), 0);
	return v;
}

static void test_bodies(void **st)
{
	struct gw_usage u = { 0 };
	const char *o = "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500,"
			"\"prompt_tokens_details\":{\"cached_tokens\":400},\"completion_tokens_details\":{\"reasoning_tokens\":200}}}";
	assert_int_equal(meter_body(o, strlen(o), 0, &u), 1);
	struct llm_usage lu;
	meter_llm_usage(&u, &lu);
	assert_int_equal(lu.tokens[LD_INPUT], 600);
	assert_int_equal(lu.tokens[LD_CACHE_READ], 400);
	assert_int_equal(lu.tokens[LD_OUTPUT], 300);
	assert_int_equal(lu.tokens[LD_REASONING], 200);
	/* gpt-4o-mini: 600 x 1.5e-7 + 400 x 7.5e-8 + 500 x 6e-7 = 0.00042 */
	money_t c;
	assert_int_equal(meter_cost(prices_find(cat, "gpt-4o-mini", "openai"), &u, &c), 0);
	assert_true(c == usd("0.00042"));
	/* Anthropic with the 5m/1h split of cache writes. */
	struct gw_usage a = { 0 };
	const char *an = "{\"type\":\"message\",\"usage\":{\"input_tokens\":100,\"output_tokens\":50,\"cache_read_input_tokens\":1000,"
			 "\"cache_creation_input_tokens\":300,\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,"
			 "\"ephemeral_1h_input_tokens\":200}}}";
	assert_int_equal(meter_body(an, strlen(an), 1, &a), 1);
	meter_llm_usage(&a, &lu);
	assert_int_equal(lu.tokens[LD_CACHE_WRITE], 100);
	assert_int_equal(lu.tokens[LD_CACHE_WRITE_1H], 200);
	assert_int_equal(meter_prompt_tokens(&a), 1400);
	/* No usage, and not JSON. */
	struct gw_usage n = { 0 };
	assert_int_equal(meter_body("{\"a\":1}", 7, 0, &n), 0);
	assert_int_equal(meter_body("{\"a\":", 5, 0, &n), -1);
	/* Only a top-level usage counts: not one inside a string or a nested object. */
	const char *nested = "{\"x\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":9}\",\"choices\":[{\"usage\":{\"prompt_tokens\":9}}]}";
	assert_int_equal(meter_body(nested, strlen(nested), 0, &n), 0);
	/* What is read is validated; the rest of the body (relayed as it is) only needs its structure. */
	struct gw_usage w = { 0 };
	const char *odd = "{\n  \"content\": \"caf\xe9\",\n  \"usage\": {\"prompt_tokens\": 3, \"completion_tokens\": 4}\n}\n";
	assert_int_equal(meter_body(odd, strlen(odd), 0, &w), 1);
	assert_int_equal(w.prompt, 3);
	assert_int_equal(w.completion, 4);
	const char *bad_usage = "{\"usage\":{\"prompt_tokens\":3,}}";
	assert_int_equal(meter_body(bad_usage, strlen(bad_usage), 0, &n), -1);
	const char *unbalanced = "{\"usage\":{\"prompt_tokens\":3}";
	assert_int_equal(meter_body(unbalanced, strlen(unbalanced), 0, &n), -1);
	const char *trailing = "{\"usage\":{\"prompt_tokens\":3}} x";
	assert_int_equal(meter_body(trailing, strlen(trailing), 0, &n), -1);
}

static struct sse_event ev(const char *name, const char *data)
{
	struct sse_event e = { .event = name, .event_len = strlen(name), .data = data, .data_len = strlen(data) };
	return e;
}

static void test_openai_stream(void **st)
{
	struct gw_smeter m = { .hide_usage = 1 };
	struct sse_event e;
	e = ev("message", "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}");
	assert_int_equal(meter_event(&m, &e), MA_RELAY);
	e = ev("message", "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}");
	assert_int_equal(meter_event(&m, &e), MA_RELAY);
	e = ev("message", "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}");
	assert_int_equal(meter_event(&m, &e), MA_RELAY);
	assert_int_equal(m.delivered, 2);
	/* Cut here (client gone): the prompt estimate plus what was delivered. */
	struct gw_usage u;
	meter_stream_usage(&m, 12, &u);
	assert_true(u.found);
	assert_int_equal(u.prompt, 12);
	assert_int_equal(u.completion, 2);
	e = ev("message", "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7}}");
	assert_int_equal(meter_event(&m, &e), MA_DROP);   /* the client did not ask for it */
	e = ev("message", "[DONE]");
	assert_int_equal(meter_event(&m, &e), MA_RELAY);
	assert_true(m.done && m.final_usage);
	meter_stream_usage(&m, 12, &u);
	assert_int_equal(u.prompt, 9);
	assert_int_equal(u.completion, 7);
	/* A client that asked for usage gets the chunk. */
	struct gw_smeter k = { 0 };
	e = ev("message", "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":7}}");
	assert_int_equal(meter_event(&k, &e), MA_RELAY);
}

static void test_anthropic_stream(void **st)
{
	struct gw_smeter m = { .anthropic = 1 };
	struct sse_event e;
	e = ev("message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":25,\"output_tokens\":1,"
				"\"cache_read_input_tokens\":10}}}");
	meter_event(&m, &e);
	e = ev("content_block_delta", "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}");
	meter_event(&m, &e);
	meter_event(&m, &e);
	meter_event(&m, &e);
	struct gw_usage u;
	meter_stream_usage(&m, 99, &u);
	assert_int_equal(u.input, 25);        /* exact from message_start, not the estimate */
	assert_int_equal(u.cache_read, 10);
	assert_int_equal(u.output, 3);        /* deltas relayed beat message_start's 1 */
	e = ev("message_delta", "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}");
	meter_event(&m, &e);
	e = ev("message_stop", "{\"type\":\"message_stop\"}");
	meter_event(&m, &e);
	meter_stream_usage(&m, 99, &u);
	assert_int_equal(u.input, 25);
	assert_int_equal(u.output, 15);
}

/* A record parsed by the ledger's own request-log parser prices to the gateway's cost. */
static void roundtrip(const char *model, const char *provider, const struct gw_usage *u)
{
	const struct llm_model *m = prices_find(cat, model, provider);
	assert_non_null(m);
	money_t cost;
	assert_int_equal(meter_cost(m, u, &cost), 0);
	const char *mk[] = { "virtual_key", "team" }, *mv[] = { "k\"1", "t\nx" };
	struct gw_record rec = {
		.id = "r-1", .ts_ms = 1790000000123LL, .provider = provider, .model = m->name, .usage = u, .mk = mk,
		.mv = mv, .nmeta = 2, .latency_ms = 12, .status = 200, .prompt_sha256 = "ab", .prompt_chars = 3,
		.stream = 1, .cost = cost, .cache = "miss", .route = "up/x", .endpoint = "/v1/chat/completions",
		.outcome = "complete",
	};
	char buf[4096];
	size_t n = meter_record(&rec, buf, sizeof buf);
	assert_true(n > 0 && buf[n - 1] == '\n');
	struct llm_file f;
	memset(&f, 0, sizeof f);
	llm_parse_jsonl_line(buf, n - 1, 1, &f);
	if (f.n != 1)
		fail_msg("record not accepted: %s (%s)", buf, f.nrej ? f.rej[0].why : "?");
	const struct llm_model *m2 = prices_find(cat, f.r[0].model, f.r[0].provider);
	struct llm_cost lc;
	assert_ptr_equal(m, m2);
	assert_int_equal(prices_cost(m2, &f.r[0].u, &lc), 0);
	assert_true(lc.total == cost);
	assert_true(cost > 0);
	assert_non_null(strstr(f.r[0].tags, "\"team\":\"t\\nx\""));
	assert_int_equal(f.r[0].start, 1790000000);
	llm_file_release(&f);
	/* Too small a buffer is refused, not truncated. */
	assert_int_equal(meter_record(&rec, buf, 100), 0);
}

static void test_records(void **st)
{
	struct gw_usage o = { .found = 1, .prompt = 1000, .completion = 500, .cached = 400, .reasoning = 200 };
	roundtrip("o3-mini", "openai", &o);
	roundtrip("gpt-4o", "azure", &o);
	/* Priority tier (from the response's service_tier): dearer, and the ledger agrees. */
	struct gw_usage pr = o;
	money_t std, pri;
	assert_int_equal(meter_cost(prices_find(cat, "gpt-4o", "openai"), &o, &std), 0);
	pr.tier = LT_PRIORITY;
	assert_int_equal(meter_cost(prices_find(cat, "gpt-4o", "openai"), &pr, &pri), 0);
	assert_true(pri > std);
	roundtrip("gpt-4o", "openai", &pr);
	struct gw_usage t = { 0 };
	const char *b = "{\"service_tier\":\"priority\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}";
	assert_int_equal(meter_body(b, strlen(b), 0, &t), 1);
	assert_int_equal(t.tier, LT_PRIORITY);
	struct gw_usage a = { .found = 1, .anthropic = 1, .input = 100, .output = 50, .cache_read = 1000, .cache_write = 100,
			      .cache_write_1h = 200, .has_split_write = 1 };
	roundtrip("claude-sonnet-4-5", "anthropic", &a);
	a.has_split_write = 0;
	a.cache_write_1h = 0;
	roundtrip("claude-3-5-haiku-20241022", "anthropic", &a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_openai_stream),
		cmocka_unit_test(test_anthropic_stream),
		cmocka_unit_test(test_records),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
