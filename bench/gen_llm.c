/*
 * gen_llm.c - synthetic request-log JSONL for the `ingest llm` benchmark.
 *
 *   build/rel/bench/gen_llm N [SEED] > bench/data/requests.jsonl
 *
 * N requests over 30 days, 8 models (one not in the catalog), 12 teams,
 * cached and reasoning tokens. Deterministic for a seed. Standalone (no
 * libaicost), like the other bench tools.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t s = 88172645463325252ULL;
static uint64_t rnd(void)
{
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

int main(int argc, char **argv)
{
	static const char *const models[][2] = {
		{ "openai", "gpt-4o" }, { "openai", "gpt-4o-mini" }, { "openai", "gpt-4o-2024-08-06" },
		{ "openai", "o3-mini" }, { "anthropic", "claude-sonnet-4-5-20250929" }, { "anthropic", "claude-haiku-4-5" },
		{ "azure", "gpt-4o" }, { "acme", "acme-llm-7" },
	};
	/* Team names a FinOps config would recognize (the demo's aliases fold some of them). */
	static const char *const teams[12] = { "fraud-detection", "chatbot", "risk-models", "payments", "marketing-analytics",
					       "platform", "fraud", "chat-bot", "customer-support", "data-engineering",
					       "credit-risk", "search" };
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (argc > 2)
		s ^= (uint64_t)atoll(argv[2]) * 0x9E3779B97F4A7C15ULL;
	for (long i = 0; i < n; i++) {
		int m = (int)(rnd() % 8), team = (int)(rnd() % 12);
		long sec = (long)(rnd() % (30L * 86400));
		unsigned prompt = 100 + (unsigned)(rnd() % 8000), cached = (unsigned)(rnd() % 2) ? prompt / 2 : 0;
		unsigned compl = 10 + (unsigned)(rnd() % 1500), reas = m == 3 ? compl / 2 : 0;
		printf("{\"ts\":\"2026-10-%02ldT%02ld:%02ld:%02ld.%03uZ\",\"provider\":\"%s\",\"model\":\"%s\",", 1 + sec / 86400,
		       sec / 3600 % 24, sec / 60 % 60, sec % 60, (unsigned)(rnd() % 1000), models[m][0], models[m][1]);
		if (m == 4 || m == 5)
			printf("\"usage\":{\"input_tokens\":%u,\"cache_read_input_tokens\":%u,\"output_tokens\":%u},", prompt - cached,
			       cached, compl);
		else
			printf("\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,\"prompt_tokens_details\":{\"cached_tokens\":%u},"
			       "\"completion_tokens_details\":{\"reasoning_tokens\":%u}},", prompt, compl, cached, reas);
		printf("\"metadata\":{\"team\":\"%s\",\"project\":\"p%d\",\"use_case\":\"uc-%d\"},\"latency_ms\":%u,"
		       "\"status\":200,\"stream\":false}\n", teams[team], team % 5, team % 3, (unsigned)(rnd() % 3000));
	}
	return 0;
}
