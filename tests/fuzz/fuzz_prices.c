/* fuzz_prices.c - the LiteLLM price catalog loader (number quoting, entries), lookup and pricing. */
#include <stdint.h>
#include "core/prices.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_sink = quiet;
	struct price_catalog *c = prices_load_mem((const char *)data, size, "fuzz");
	if (!c)
		return 0;
	static const char *const names[] = { "gpt-4o", "openai/gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929", "x" };
	struct llm_usage u = { .tokens = { 300000, 2, 3, 4, 5, 6 }, .requests = 1, .long_context = -1, .tier = LT_BATCH };
	struct llm_cost cost;
	for (int i = 0; i < 4; i++) {
		const struct llm_model *m = prices_find(c, names[i], "openai");
		if (m)
			prices_cost(m, &u, &cost);
	}
	prices_free(c);
	return 0;
}
