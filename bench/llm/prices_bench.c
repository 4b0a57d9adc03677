/*
 * prices_bench.c - catalog load time and prices_find()+prices_cost() per call (the
 * gateway prices every request with them). Links libaicost, so it is built by hand:
 *   make && cc -O2 -Isrc -D_GNU_SOURCE bench/llm/prices_bench.c build/rel/libaicost.a -o build/rel/prices_bench \
 *      -lsqlite3 -lz -lzstd -ljansson -lyaml -lcurl -lcrypto -ldl -lm -lpthread
 *   AICOST_DATA=$PWD/data build/rel/prices_bench
 */
#include <stdio.h>
#include <time.h>
#include "core/prices.h"
int main(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct price_catalog *c = prices_open(NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("load: %zu models in %.1f ms\n", prices_count(c), (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	static const char *names[] = { "gpt-4o", "gpt-4o-2024-08-06", "openai/gpt-4o-mini", "claude-sonnet-4-5-20991231", "o3-mini", "acme-llm-7" };
	struct llm_usage u = { .tokens = { 800, 1024, 0, 0, 95, 0 }, .requests = 1, .long_context = -1 };
	struct llm_cost cost;
	long n = 6000000, found = 0;
	money_t tot = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		const struct llm_model *m = prices_find(c, names[i % 6], "openai");
		if (m && prices_cost(m, &u, &cost) == 0) { found++; tot += cost.total; }
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("find+cost: %ld lookups in %.3f s = %.0f ns each (%ld priced)\n", n, s, s / n * 1e9, found);
	prices_free(c);
	return tot == 0;
}
