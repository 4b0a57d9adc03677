/* fuzz_llm_jsonl.c - request-log JSONL records, priced with a small catalog. */
#include <stdint.h>
#include <string.h>
#include "core/prices.h"
#include "formats/llm_usage.h"
#include "util/err.h"

static void quiet(const char *line) { (void)line; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct price_catalog *cat;
	static const char js[] = "{\"gpt-4o\":{\"input_cost_per_token\":2.5e-06,\"output_cost_per_token\":1e-05,"
				 "\"input_cost_per_token_above_128k_tokens\":5e-06}}";
	struct llm_file f;
	struct llm_cost c;
	err_sink = quiet;
	if (!cat)
		cat = prices_load_mem(js, sizeof js - 1, "fuzz");
	memset(&f, 0, sizeof f);
	llm_parse_jsonl((const char *)data, size, "fuzz", &f);
	for (size_t i = 0; i < f.n; i++) {
		const struct llm_model *m = prices_find(cat, f.r[i].model, f.r[i].provider);
		if (m)
			prices_cost(m, &f.r[i].u, &c);
	}
	llm_file_release(&f);
	return 0;
}
