/*
 * fuzz_llm_jsonl.c - request-log JSONL records, priced with a small catalog;
 * and every line through both halves of the line parser: the fast path
 * (formats/llm_jsonl_fast.c) must build the record the jansson path builds,
 * or decline the line (tests/llm_jsonl_diff.h). A difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/prices.h"
#include "formats/llm_usage.h"
#include "util/err.h"
#include "../llm_jsonl_diff.h"

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
	const char *p = (const char *)data, *e = p + size;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(e - p);
		const char *why = n ? lj_diff(p, n, NULL) : NULL;
		if (why) {
			fprintf(stderr, "fast and jansson paths differ (%s) on: %.*s\n", why, (int)n, p);
			abort();
		}
		p += n + 1;
	}
	return 0;
}
