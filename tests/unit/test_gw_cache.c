/* test_gw_cache.c - the gateway's exact cache: canonical request keys,
 * the semantic split, LRU/TTL/byte bounds, blob lifetimes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "gateway/cache.h"

static json_t *J(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fprintf(stderr, "bad test JSON: %s\n", je.text);
	assert_non_null(j);
	return j;
}

static void canon_is(const char *in, const char *want)
{
	json_t *j = J(in);
	size_t n;
	char *c = gw_cache_canonical(j, &n);
	assert_non_null(c);
	assert_string_equal(c, want);
	assert_int_equal(strlen(c), n);
	free(c);
	json_decref(j);
}

static void test_canonical(void **st)
{
	/* keys sorted, whitespace gone, volatile fields dropped */
	canon_is("{ \"model\": \"gpt-4o\", \"stream\": true, \"messages\": [ {\"role\":\"user\", \"content\":\"hi\"} ],"
		 " \"temperature\": 0.0, \"user\": \"u-17\", \"stream_options\": {\"include_usage\": true},"
		 " \"metadata\": {\"trace\": \"x\"}, \"store\": false, \"service_tier\": \"auto\", \"safety_identifier\": \"s\","
		 " \"prompt_cache_key\": \"k\" }",
		 "{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}],\"temperature\":0}");
	/* numbers: one spelling */
	canon_is("{\"a\": 1.0, \"b\": 1e2, \"c\": 0.1, \"d\": -0.0, \"e\": 1.5e-7, \"f\": 12345678901234567890e-10}",
		 "{\"a\":1,\"b\":100,\"c\":0.1,\"d\":0,\"e\":1.5e-07,\"f\":1234567890.1234567}");
	/* nested keys sorted by bytes, arrays keep order; escapes minimal; UTF-8 kept */
	canon_is("{\"z\": {\"b\": [3, 1, 2], \"a\": \"\\u00e9\\n\\\"\\/\"}, \"A\": null, \"y\": [true, false]}",
		 "{\"A\":null,\"y\":[true,false],\"z\":{\"a\":\"\xc3\xa9\\u000a\\\"/\",\"b\":[3,1,2]}}");
	/* volatile names are only dropped at the top level */
	canon_is("{\"tools\": [{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"properties\":{\"user\":{\"type\":\"string\"}}}}}]}",
		 "{\"tools\":[{\"function\":{\"name\":\"f\",\"parameters\":{\"properties\":{\"user\":{\"type\":\"string\"}}}},\"type\":\"function\"}]}");
	/* Anthropic cache_control marks on system, message content and tools are not part of the question */
	canon_is("{\"system\":[{\"type\":\"text\",\"text\":\"S\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
		 "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Q\",\"cache_control\":{\"type\":\"ephemeral\"}}]}],"
		 "\"tools\":[{\"name\":\"t\",\"input_schema\":{},\"cache_control\":{\"type\":\"ephemeral\"}}],\"max_tokens\":5}",
		 "{\"max_tokens\":5,\"messages\":[{\"content\":[{\"text\":\"Q\",\"type\":\"text\"}],\"role\":\"user\"}],"
		 "\"system\":[{\"text\":\"S\",\"type\":\"text\"}],\"tools\":[{\"input_schema\":{},\"name\":\"t\"}]}");
}

static void test_too_deep(void **st)
{
	char buf[4096];
	size_t k = 0;
	k += (size_t)sprintf(buf, "{\"messages\":");
	for (int i = 0; i < GW_CACHE_MAX_DEPTH + 2; i++)
		buf[k++] = '[';
	for (int i = 0; i < GW_CACHE_MAX_DEPTH + 2; i++)
		buf[k++] = ']';
	buf[k++] = '}';
	buf[k] = '\0';
	json_t *j = J(buf);
	assert_null(gw_cache_canonical(j, NULL));
	struct gw_cache_req r;
	assert_int_equal(gw_cache_req_build(&r, "t", "m", SSE_OPENAI_CHAT, j, NULL), 0);
	assert_false(r.cacheable);
	assert_non_null(r.why);
	gw_cache_req_release(&r);
	json_decref(j);
}

static void build(struct gw_cache_req *r, const char *tenant, const char *model, enum sse_wire w, const char *body,
		  int sampled)
{
	struct gw_cache_policy pol = { sampled };
	json_t *j = J(body);
	assert_int_equal(gw_cache_req_build(r, tenant, model, w, j, &pol), 0);
	json_decref(j);
}

static void test_keys(void **st)
{
	struct gw_cache_req a, b;
	const char *q1 = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a support bot.\"},"
			 "{\"role\":\"user\",\"content\":\"How do I reset my password?\"}],\"temperature\":0}";
	const char *q1s = "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0.0,\"messages\":["
			  "{\"content\":\"You are a support bot.\",\"role\":\"system\"},{\"role\":\"user\",\"content\":\"How do I reset my password?\"}],\"user\":\"alice\"}";
	build(&a, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT, q1, 1);
	build(&b, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT, q1s, 1);
	assert_true(a.cacheable && b.cacheable);
	/* a streamed and a plain request share the key */
	assert_memory_equal(a.key, b.key, 32);
	assert_memory_equal(a.ctx, b.ctx, 32);
	assert_string_equal(a.text, "How do I reset my password?");
	gw_cache_req_release(&b);
	/* another tenant, another model, another wire: other keys */
	build(&b, "team-b", "gpt-4o-mini", SSE_OPENAI_CHAT, q1, 1);
	assert_memory_not_equal(a.key, b.key, 32);
	assert_memory_not_equal(a.ctx, b.ctx, 32);
	gw_cache_req_release(&b);
	build(&b, "team-a", "gpt-4o", SSE_OPENAI_CHAT, q1, 1);
	assert_memory_not_equal(a.key, b.key, 32);
	gw_cache_req_release(&b);
	build(&b, "team-a", "gpt-4o-mini", SSE_ANTHROPIC, q1, 1);
	assert_memory_not_equal(a.key, b.key, 32);
	gw_cache_req_release(&b);
	/* a parameter that changes the answer changes both keys */
	build(&b, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a support bot.\"},"
	      "{\"role\":\"user\",\"content\":\"How do I reset my password?\"}],\"temperature\":0,\"max_tokens\":5}", 1);
	assert_memory_not_equal(a.key, b.key, 32);
	assert_memory_not_equal(a.ctx, b.ctx, 32);
	gw_cache_req_release(&b);
	/* another final question: new exact key, same semantic partition */
	build(&b, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a support bot.\"},"
	      "{\"role\":\"user\",\"content\":\"How can I reset my password?\"}],\"temperature\":0}", 1);
	assert_memory_not_equal(a.key, b.key, 32);
	assert_memory_equal(a.ctx, b.ctx, 32);
	gw_cache_req_release(&b);
	/* another system prompt: another partition */
	build(&b, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a pirate.\"},"
	      "{\"role\":\"user\",\"content\":\"How do I reset my password?\"}],\"temperature\":0}", 1);
	assert_memory_not_equal(a.ctx, b.ctx, 32);
	gw_cache_req_release(&b);
	/* the model argument wins over the body's (aliases resolved by the gateway) */
	build(&b, "team-a", "gpt-4o-mini", SSE_OPENAI_CHAT,
	      "{\"model\":\"my-alias\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a support bot.\"},"
	      "{\"role\":\"user\",\"content\":\"How do I reset my password?\"}],\"temperature\":0}", 1);
	assert_memory_equal(a.key, b.key, 32);
	gw_cache_req_release(&b);
	gw_cache_req_release(&a);
}

static void test_semantic_text(void **st)
{
	struct gw_cache_req r;
	/* parts: text parts joined, the image stays in the partition key */
	build(&r, "t", "m", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in\"},"
	      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/a.png\"}},{\"type\":\"text\",\"text\":\"this picture?\"}]}]}", 1);
	assert_string_equal(r.text, "What is in\nthis picture?");
	uint8_t ctx1[32];
	memcpy(ctx1, r.ctx, 32);
	gw_cache_req_release(&r);
	build(&r, "t", "m", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Describe\"},"
	      "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/b.png\"}}]}]}", 1);
	assert_memory_not_equal(ctx1, r.ctx, 32);
	gw_cache_req_release(&r);
	/* the conversation ends with a tool result: no semantic text */
	build(&r, "t", "m", SSE_OPENAI_CHAT,
	      "{\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"},{\"role\":\"assistant\",\"content\":null,"
	      "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
	      "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"sunny\"}]}", 1);
	assert_true(r.cacheable);
	assert_null(r.text);
	gw_cache_req_release(&r);
	/* legacy completions: the prompt */
	build(&r, "t", "m", SSE_OPENAI_COMPLETION, "{\"prompt\":[\"Say hi\"],\"max_tokens\":3}", 1);
	assert_string_equal(r.text, "Say hi");
	gw_cache_req_release(&r);
	build(&r, "t", "m", SSE_OPENAI_COMPLETION, "{\"prompt\":[\"a\",\"b\"]}", 1);
	assert_null(r.text);
	gw_cache_req_release(&r);
	/* Anthropic: system outside the messages */
	build(&r, "t", "claude", SSE_ANTHROPIC,
	      "{\"system\":\"Be terse.\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}]}", 1);
	assert_string_equal(r.text, "Hello");
	gw_cache_req_release(&r);
	/* an empty final text: nothing to embed */
	build(&r, "t", "m", SSE_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", 1);
	assert_null(r.text);
	gw_cache_req_release(&r);
}

static void test_policy(void **st)
{
	struct gw_cache_req r;
	build(&r, "t", "m", SSE_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", 0);
	assert_false(r.cacheable); /* no temperature: the provider default is 1 */
	gw_cache_req_release(&r);
	build(&r, "t", "m", SSE_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0.7}", 0);
	assert_false(r.cacheable);
	gw_cache_req_release(&r);
	build(&r, "t", "m", SSE_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0}", 0);
	assert_true(r.cacheable);
	gw_cache_req_release(&r);
	build(&r, "t", "m", SSE_OPENAI_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":0.7}", 1);
	assert_true(r.cacheable);
	gw_cache_req_release(&r);
	json_t *arr = J("[1]");
	assert_int_equal(gw_cache_req_build(&r, "t", "m", SSE_OPENAI_CHAT, arr, NULL), -1);
	assert_false(r.cacheable);
	json_decref(arr);
	gw_cache_req_release(&r);
}

static void key_of(uint8_t k[32], int i)
{
	memset(k, 0, 32);
	/* the table hashes the first 8 bytes: vary them */
	memcpy(k, &i, sizeof i);
	k[31] = (uint8_t)i;
}

static void test_exact_basic(void **st)
{
	struct gw_cache_limits lim = { .max_entries = 3, .max_bytes = 1 << 20, .ttl_ms = 1000, .max_body = 1000 };
	struct gw_cache *c = gw_cache_new(&lim);
	uint8_t k[4][32];
	for (int i = 0; i < 4; i++)
		key_of(k[i], i + 1);
	assert_null(gw_cache_get(c, k[0], 0));
	assert_int_equal(gw_cache_put(c, k[0], SSE_OPENAI_CHAT, "{\"a\":1}", 7, 0, 0), 0);
	struct gw_blob *b = gw_cache_get(c, k[0], 10);
	assert_non_null(b);
	assert_int_equal(b->len, 7);
	assert_string_equal(b->data, "{\"a\":1}");
	assert_int_equal(b->wire, SSE_OPENAI_CHAT);
	/* LRU: touch 0, add 1, 2, 3: the least recently used (1) goes */
	gw_cache_put(c, k[1], SSE_OPENAI_CHAT, "1", 1, 0, 0);
	gw_cache_put(c, k[2], SSE_OPENAI_CHAT, "2", 1, 0, 0);
	assert_non_null(gw_cache_get(c, k[0], 20));
	gw_cache_put(c, k[3], SSE_OPENAI_CHAT, "3", 1, 0, 0);
	assert_null(gw_cache_get(c, k[1], 20));
	assert_non_null(gw_cache_get(c, k[0], 20));
	assert_non_null(gw_cache_get(c, k[2], 20));
	assert_non_null(gw_cache_get(c, k[3], 20));
	struct gw_cache_stats s;
	gw_cache_get_stats(c, &s);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.evictions, 1);
	/* replace keeps one entry */
	gw_cache_put(c, k[3], SSE_ANTHROPIC, "33", 2, 0, 0);
	b = gw_cache_get(c, k[3], 20);
	assert_string_equal(b->data, "33");
	assert_int_equal(b->wire, SSE_ANTHROPIC);
	gw_cache_get_stats(c, &s);
	assert_int_equal(s.entries, 3);
	/* TTL: entries put at 0 with ttl 1000 expire at 1000; a per-put TTL */
	gw_cache_put(c, k[1], SSE_OPENAI_CHAT, "1", 1, 500, 5000);
	assert_null(gw_cache_get(c, k[0], 1000));
	assert_non_null(gw_cache_get(c, k[1], 5499));
	assert_null(gw_cache_get(c, k[1], 5500));
	/* oversize bodies are refused */
	char big[1001];
	memset(big, 'x', sizeof big);
	assert_int_equal(gw_cache_put(c, k[0], SSE_OPENAI_CHAT, big, sizeof big, 0, 0), 1);
	assert_int_equal(gw_cache_del(c, k[2]), 1);
	assert_int_equal(gw_cache_del(c, k[2]), 0);
	gw_cache_free(c);
}

static void test_exact_bytes_and_sweep(void **st)
{
	struct gw_cache_limits lim = { .max_entries = 100000, .max_bytes = 64 * 1024, .ttl_ms = 100, .max_body = 4096 };
	struct gw_cache *c = gw_cache_new(&lim);
	char body[1000];
	memset(body, 'b', sizeof body);
	uint8_t k[32];
	for (int i = 0; i < 1000; i++) {
		key_of(k, i);
		assert_int_equal(gw_cache_put(c, k, SSE_OPENAI_CHAT, body, sizeof body, (uint64_t)i, 0), 0);
		struct gw_cache_stats s;
		gw_cache_get_stats(c, &s);
		assert_true(s.bytes <= lim.max_bytes);
	}
	struct gw_cache_stats s;
	gw_cache_get_stats(c, &s);
	assert_true(s.entries > 40 && s.entries < 64);
	/* the newest survive */
	key_of(k, 999);
	assert_non_null(gw_cache_get(c, k, 999));
	key_of(k, 0);
	assert_null(gw_cache_get(c, k, 999));
	/* sweep: everything put before 950 has expired at 1050 */
	size_t before = s.entries;
	size_t n = gw_cache_sweep(c, 1050, 1000000);
	gw_cache_get_stats(c, &s);
	assert_int_equal(s.entries, before - n);
	assert_int_equal(s.entries, 49); /* puts at 951..999 expire at 1051..1099; 950 expired at 1050 */
	assert_int_equal(gw_cache_sweep(c, 1050, 1000), 0);
	assert_int_equal(gw_cache_sweep(c, 5000, 10), 10); /* bounded work per call */
	gw_cache_free(c);
}

static void test_exact_many(void **st)
{
	/* table growth keeps every entry reachable */
	struct gw_cache_limits lim = { .max_entries = 20000, .max_bytes = 256u << 20, .ttl_ms = 1000000, .max_body = 64 };
	struct gw_cache *c = gw_cache_new(&lim);
	uint8_t k[32];
	char v[16];
	for (int i = 0; i < 30000; i++) {
		key_of(k, i);
		int n = snprintf(v, sizeof v, "%d", i);
		gw_cache_put(c, k, SSE_OPENAI_CHAT, v, (size_t)n, 1, 0);
	}
	for (int i = 0; i < 30000; i++) {
		key_of(k, i);
		struct gw_blob *b = gw_cache_get(c, k, 2);
		if (i < 10000) {
			assert_null(b);
		} else {
			assert_non_null(b);
			snprintf(v, sizeof v, "%d", i);
			assert_string_equal(b->data, v);
		}
	}
	gw_cache_free(c);
}

static void test_blob_ref(void **st)
{
	struct gw_cache *c = gw_cache_new(NULL);
	uint8_t k[32];
	key_of(k, 7);
	gw_cache_put(c, k, SSE_OPENAI_CHAT, "held", 4, 0, 0);
	struct gw_blob *b = gw_cache_get(c, k, 1);
	gw_blob_ref(b); /* the reply is still being written ... */
	gw_cache_del(c, k);
	assert_string_equal(b->data, "held"); /* ... so the body outlives the entry */
	gw_blob_unref(b);
	/* one blob in two entries */
	struct gw_blob *s = gw_blob_new(SSE_ANTHROPIC, "x", 1);
	uint8_t k2[32];
	key_of(k2, 8);
	gw_cache_put_blob(c, k, s, 0, 0);
	gw_cache_put_blob(c, k2, s, 0, 0);
	assert_int_equal(s->refs, 3);
	gw_blob_unref(s);
	gw_cache_free(c);
	gw_blob_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_semantic_text),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_exact_basic),
		cmocka_unit_test(test_exact_bytes_and_sweep),
		cmocka_unit_test(test_exact_many),
		cmocka_unit_test(test_blob_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
