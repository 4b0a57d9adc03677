/*
 * test_llm_jsonl_fast.c - the request-log fast path (formats/llm_jsonl_fast.c)
 * against the jansson path (formats/llm_jsonl.c): on gateway records and
 * hand-written edge cases it must take the line and build the same record,
 * or decline it; and the same on every one-byte mutation of those lines
 * (deleted, or replaced by a JSON-significant byte), where most mutations
 * make the line invalid or change a value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../llm_jsonl_diff.h"

/* Lines the fast path must take (1) or may decline (0). */
static const struct {
	int take;
	const char *line;
} lines[] = {
	/* what the gateway writes: a completion, a refusal (skipped), a stream, Anthropic, a cache hit */
	{ 1, "{\"id\":\"1a203f3b0da-1\",\"ts\":\"2026-11-22T15:50:32.579Z\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\","
	     "\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":16,\"total_tokens\":40,\"prompt_tokens_details\":"
	     "{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"metadata\":{\"virtual_key\":"
	     "\"bench\",\"team\":\"bench\",\"project\":\"gateway-bench\"},\"latency_ms\":0,\"status\":200,\"prompt_sha256\":"
	     "\"cf0108ed6c4e4296c23347d4cb9e64b6ab675ed1d0ecef9cd375835b5cc8c47a\",\"prompt_chars\":103,\"stream\":false,"
	     "\"cost\":0.0000132,\"route\":\"stub/gpt-4o-mini\",\"endpoint\":\"/v1/chat/completions\",\"outcome\":\"complete\"}" },
	{ 1, "{\"id\":\"x-2\",\"ts\":\"2026-11-22T15:50:32.579Z\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"metadata\":"
	     "{\"virtual_key\":\"k\"},\"latency_ms\":0,\"status\":429,\"stream\":false,\"cost\":0,\"endpoint\":"
	     "\"/v1/chat/completions\",\"outcome\":\"budget_exceeded\"}" },
	{ 1, "{\"id\":\"x-3\",\"ts\":\"2026-01-31T23:59:59.999Z\",\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4-5\","
	     "\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":1000,\"cache_creation_input_tokens\":300,"
	     "\"cache_creation\":{\"ephemeral_5m_input_tokens\":100,\"ephemeral_1h_input_tokens\":200},\"output_tokens\":55,"
	     "\"service_tier\":\"priority\"},\"metadata\":{\"virtual_key\":\"a\",\"team\":\"t\",\"user\":\"u-1\"},"
	     "\"status\":200,\"stream\":true,\"service_tier\":\"priority\",\"cost\":0.00123,\"cache\":\"miss\"}" },
	{ 1, "{\"ts\":\"2026-11-22T10:00:00Z\",\"provider\":\"OpenAI\",\"model\":\"gpt-4o\",\"usage\":{\"prompt_tokens\":0,"
	     "\"completion_tokens\":0},\"cache\":\"Semantic-Hit\",\"status\":200}" },
	/* request logs other tools write */
	{ 1, "{\"timestamp\":1730000000,\"model\":\"claude-3-5-haiku\",\"usage\":{\"input_tokens\":5,"
	     "\"cache_read_input_tokens\":null,\"output_tokens\":7},\"metadata\":{\"project_id\":\"p9\",\"n\":-12,\"b\":true,"
	     "\"f\":false,\"z\":null,\"r\":1.5,\"o\":{\"a\":1},\"\":\"empty name\",\"e\":\"\"},\"user\":\"\",\"batch\":true}" },
	{ 1, "{\"ts\":\"2024-10-01T13:30:00Z\",\"provider\":\"openai\",\"model\":\"o3-mini\",\"usage\":{\"input_tokens\":1000,"
	     "\"output_tokens\":3000,\"input_tokens_details\":{\"cached_tokens\":10},\"output_tokens_details\":"
	     "{\"reasoning_tokens\":2400}},\"metadata\":{\"team\":\"a\\\"b\\\\c\\/d\\n\\t\\b\\f\\r\",\"zz\":\"\xc3\xa9t\xc3\xa9\","
	     "\"Z\":\"upper\"},\"prefix_sha256\":\"sha256:00000000000000000abc\",\"prefix_chars\":-1,\"end_user_id\":0}" },
	{ 1, "  {\"ts\" : \"2024-10-01T13:30:00+02:00\" , \"model\" : 42 , \"usage\" : { } , \"service_tier\" : \"flex\" ,"
	     " \"metadata\" : [1,2] , \"stream\" : null }" },
	{ 1, "{\"ts\":\"2024-10-01\",\"usage\":{\"prompt_tokens\":3},\"metadata\":{\"user_id\":{}}}" },
	/* declined: the jansson path words these (rejections, or JSON the two readers could read apart) */
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":3,\"prompt_tokens\":4}}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":3},\"metadata\":{\"a\":\"\\u00e9\"}}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":3},\"x\":\"\\u0000\"}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":1e2}}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":3},\"big\":12345678901234567890}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":-3}}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{\"prompt_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":4}}}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"status\":200}" },
	{ 0, "{\"ts\":\"yesterday\",\"usage\":{}}" },
	{ 0, "{\"usage\":{}}" },
	{ 0, "[{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{}}]" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{},}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":7}" },
	{ 0, "{\"ts\":\"2024-10-01T13:30:00Z\",\"usage\":{},\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}" },
};

static void test_lines(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		int took;
		const char *why = lj_diff(lines[i].line, strlen(lines[i].line), &took);
		if (why || took != lines[i].take)
			fail_msg("line %zu: %s (fast path %s)", i, why ? why : "took/declined wrongly", took ? "took it" : "declined");
	}
}

/* A priced gateway record with 32+ metadata tags: the first 32 scalars are kept, sorted. */
static void test_many_tags(void **st)
{
	(void)st;
	char line[4096];
	size_t k = (size_t)snprintf(line, sizeof line, "{\"ts\":\"2026-11-22T10:00:00Z\",\"usage\":{\"prompt_tokens\":1},\"metadata\":{");
	for (int i = 40; i > 0; i--)
		k += (size_t)snprintf(line + k, sizeof line - k, "%s\"k%02d\":%s", i == 40 ? "" : ",", i, i % 7 ? "\"v\"" : "{}");
	snprintf(line + k, sizeof line - k, "}}");
	int took;
	assert_null(lj_diff(line, strlen(line), &took));
	assert_int_equal(took, 1);
}

/* Every one-byte deletion and replacement of every line: both paths agree wherever the fast path takes one. */
static void test_mutations(void **st)
{
	(void)st;
	static const char repl[] = "\"\\{}[],:0-.e a";
	size_t taken = 0, tried = 0;
	char buf[2048];
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		const char *s = lines[i].line;
		size_t n = strlen(s);
		assert_true(n < sizeof buf);
		for (size_t at = 0; at < n; at++) {
			for (size_t r = 0; r <= sizeof repl - 1; r++) {
				size_t m;
				if (r == sizeof repl - 1) {
					memcpy(buf, s, at);
					memcpy(buf + at, s + at + 1, n - at - 1);
					m = n - 1;
				} else {
					if (s[at] == repl[r])
						continue;
					memcpy(buf, s, n);
					buf[at] = repl[r];
					m = n;
				}
				int took;
				const char *why = lj_diff(buf, m, &took);
				if (why)
					fail_msg("line %zu, byte %zu -> '%c': %s: %.*s", i, at, r < sizeof repl - 1 ? repl[r] : '-', why,
						 (int)m, buf);
				taken += (size_t)took;
				tried++;
			}
		}
	}
	/* The mutations must exercise the fast path, not only its declines. */
	assert_true(taken > tried / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_many_tags),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
