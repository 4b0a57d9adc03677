/*
 * test_prices.c - the LLM price catalog: exact prices from the shipped
 * LiteLLM file, name resolution, and the cost rules.
 *
 * Every expected cost is worked out by hand in a comment from the prices
 * the catalog lists (data/prices/model_prices_and_context_window.json).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/config.h"
#include "core/prices.h"
#include "util/err.h"

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

/* Exact decimal text of a money value. */
static const char *str(money_t v)
{
	static char b[4][MONEY_BUFSZ];
	static int i;
	i = (i + 1) & 3;
	money_str(v, b[i]);
	return b[i];
}

static struct llm_usage usage(uint64_t in, uint64_t cr, uint64_t cw, uint64_t out, uint64_t reas)
{
	struct llm_usage u = { .long_context = -1, .requests = 1 };
	u.tokens[LD_INPUT] = in;
	u.tokens[LD_CACHE_READ] = cr;
	u.tokens[LD_CACHE_WRITE] = cw;
	u.tokens[LD_OUTPUT] = out;
	u.tokens[LD_REASONING] = reas;
	return u;
}

static void test_catalog_loads_exactly(void **st)
{
	assert_true(prices_count(cat) > 1000);
	const struct llm_model *m = prices_find(cat, "gpt-4o", NULL);
	assert_non_null(m);
	/* "input_cost_per_token": 2.5e-06 read from its text, not through a double. */
	assert_string_equal(str(m->price[LD_INPUT]), "0.0000025");
	assert_string_equal(str(m->price[LD_OUTPUT]), "0.00001");
	assert_string_equal(str(m->price[LD_CACHE_READ]), "0.00000125");
	assert_string_equal(str(m->batch[LD_INPUT]), "0.00000125");
	assert_string_equal(m->provider, "openai");
}

static void test_gpt4o(void **st)
{
	const struct llm_model *m = prices_find(cat, "gpt-4o", "openai");
	struct llm_cost c;
	/*
	 * 10,000 prompt tokens of which 4,000 cached, 1,000 completion tokens:
	 * input 6,000 x 0.0000025 = 0.015; cache read 4,000 x 0.00000125 = 0.005;
	 * output 1,000 x 0.00001 = 0.01; total 0.03.
	 */
	struct llm_usage u = usage(6000, 4000, 0, 1000, 0);
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.cost[LD_INPUT]), "0.015");
	assert_string_equal(str(c.cost[LD_CACHE_READ]), "0.005");
	assert_string_equal(str(c.cost[LD_OUTPUT]), "0.01");
	assert_string_equal(str(c.total), "0.03");
	/*
	 * Batch: input_cost_per_token_batches 0.00000125 x 6,000 = 0.0075; no
	 * batch cache price: 50% of 0.00000125 x 4,000 = 0.0025; output batches
	 * 0.000005 x 1,000 = 0.005; total 0.015. ListCost stays 0.03.
	 */
	u.tier = LT_BATCH;
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.015");
	assert_string_equal(str(c.cost[LD_CACHE_READ]), "0.0025");
	assert_string_equal(str(c.list_total), "0.03");
	/* Priority: input 0.00000425 x 6,000 = 0.0255; cache 0.000002125 x 4,000 = 0.0085; output 0.000017 x 1,000 = 0.017. */
	u.tier = LT_PRIORITY;
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.051");
}

static void test_gpt4o_mini(void **st)
{
	const struct llm_model *m = prices_find(cat, "gpt-4o-mini-2024-07-18", NULL);
	struct llm_cost c;
	assert_non_null(m);
	/*
	 * gpt-4o-mini: input 0.00000015, cache read 0.000000075, output 0.0000006.
	 * 100,000 uncached + 50,000 cached + 20,000 output:
	 * 0.015 + 0.00375 + 0.012 = 0.03075.
	 */
	struct llm_usage u = usage(100000, 50000, 0, 20000, 0);
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.03075");
}

static void test_claude_sonnet_45(void **st)
{
	const struct llm_model *m = prices_find(cat, "claude-sonnet-4-5-20250929", "anthropic");
	struct llm_cost c;
	assert_non_null(m);
	/*
	 * input 0.000003, cache read 0.0000003, cache write 0.00000375, output 0.000015.
	 * 1,000 input + 50,000 cache read + 10,000 cache write + 2,000 output:
	 * 0.003 + 0.015 + 0.0375 + 0.03 = 0.0855 (prompt 61,000 < 200k: standard).
	 */
	struct llm_usage u = usage(1000, 50000, 10000, 2000, 0);
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.0855");
	assert_int_equal(c.long_context, 0);
	/*
	 * A 210,000-token prompt (150,000 input + 60,000 cache read) is above
	 * 200k: input 0.000006 x 150,000 = 0.9; cache read 0.0000006 x 60,000 =
	 * 0.036; output 0.0000225 x 1,000 = 0.0225; total 0.9585.
	 */
	u = usage(150000, 60000, 0, 1000, 0);
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_int_equal(c.long_context, 1);
	assert_string_equal(str(c.total), "0.9585");
	/* The same tokens as the aggregate of 2 requests (105,000 each on average) stay below the tier: 0.45 + 0.018 + 0.015. */
	u.requests = 2;
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.483");
	/* 1-hour cache writes: no _above_1hr price for this model, so 2 x input = 0.000006 x 1,000 = 0.006. */
	u = usage(0, 0, 0, 0, 0);
	u.tokens[LD_CACHE_WRITE_1H] = 1000;
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.total), "0.006");
}

static void test_reasoning_not_double_counted(void **st)
{
	/*
	 * o3-mini has no reasoning price: 3,000 completion tokens of which 2,400
	 * reasoning arrive as output 600 + reasoning 2,400 and cost exactly
	 * 3,000 x 0.0000044 = 0.0132 (plus 1,000 input x 0.0000011 = 0.0011).
	 */
	const struct llm_model *m = prices_find(cat, "o3-mini", "openai");
	struct llm_cost c;
	struct llm_usage u = usage(1000, 0, 0, 600, 2400);
	assert_int_equal(prices_cost(m, &u, &c), 0);
	assert_string_equal(str(c.cost[LD_OUTPUT] + c.cost[LD_REASONING]), "0.0132");
	assert_string_equal(str(c.total), "0.0143");
	/* A model with its own reasoning price: 100 x 0.000002 + 50 x 0.000003 = 0.00035. */
	static const char js[] = "{\"r1\":{\"input_cost_per_token\":1e-6,\"output_cost_per_token\":2e-6,"
				 "\"output_cost_per_reasoning_token\":3.0E-6}}";
	struct price_catalog *c2 = prices_load_mem(js, sizeof js - 1, "mem");
	assert_non_null(c2);
	u = usage(0, 0, 0, 100, 50);
	assert_int_equal(prices_cost(prices_find(c2, "r1", NULL), &u, &c), 0);
	assert_string_equal(str(c.total), "0.00035");
	prices_free(c2);
}

static void test_names(void **st)
{
	const struct llm_model *g = prices_find(cat, "gpt-4o", NULL);
	assert_ptr_equal(prices_find(cat, "openai/gpt-4o", NULL), g);
	assert_ptr_equal(prices_find(cat, " GPT-4o ", NULL), g);
	assert_ptr_equal(prices_find(cat, "gpt-4o-2099-01-01", NULL), g);
	assert_string_equal(prices_find(cat, "gpt-4o-2024-08-06", NULL)->name, "gpt-4o-2024-08-06");
	assert_string_equal(prices_find(cat, "gpt-4o", "azure")->name, "azure/gpt-4o");
	assert_string_equal(prices_find(cat, "anthropic/claude-sonnet-4-5", NULL)->name, "claude-sonnet-4-5");
	assert_string_equal(prices_find(cat, "claude-sonnet-4-5-20991231", NULL)->name, "claude-sonnet-4-5");
	assert_string_equal(prices_find(cat, "ft:gpt-4o-mini-2024-07-18:acme::abc123", NULL)->name,
			    "ft:gpt-4o-mini-2024-07-18");
	assert_null(prices_find(cat, "acme-llm-7", NULL));
	assert_null(prices_find(cat, "", NULL));
	assert_null(prices_find(cat, "sample_spec", NULL));
}

static void test_overrides(void **st)
{
	struct config cfg;
	static const char y[] = "prices:\n  overrides:\n    gpt-4o: { input_cost_per_token: 0.000002 }\n"
				"    acme-llm-7: { input_cost_per_token: 1e-6, output_cost_per_token: 0.000004 }\n";
	assert_int_equal(config_load_mem(y, sizeof y - 1, "t.yaml", &cfg), 0);
	struct price_catalog *c = prices_open(&cfg);
	assert_non_null(c);
	const struct llm_model *m = prices_find(c, "gpt-4o", NULL);
	assert_string_equal(str(m->price[LD_INPUT]), "0.000002");
	assert_string_equal(str(m->price[LD_OUTPUT]), "0.00001");   /* untouched */
	m = prices_find(c, "acme-llm-7", NULL);
	assert_non_null(m);
	assert_string_equal(str(m->price[LD_OUTPUT]), "0.000004");
	prices_free(c);
	config_release(&cfg);
	static const char bad[] = "prices:\n  overrides:\n    gpt-4o: { input_cost_per_tokn: 1 }\n";
	err_sink = NULL;
	assert_int_equal(config_load_mem(bad, sizeof bad - 1, "t.yaml", &cfg), 0);
	c = prices_open(&cfg);
	assert_null(c);
	config_release(&cfg);
}

static void test_bad_catalog(void **st)
{
	static const char *bad[] = { "", "[1,2]", "{\"a\":", "{\"a\":{\"input_cost_per_token\":\"x\"}}" };
	assert_null(prices_load_mem(bad[0], 0, "e"));
	assert_null(prices_load_mem(bad[1], strlen(bad[1]), "e"));
	assert_null(prices_load_mem(bad[2], strlen(bad[2]), "e"));
	/* A price that is not a number is not used: the model has no price and is left out. */
	struct price_catalog *c = prices_load_mem(bad[3], strlen(bad[3]), "e");
	assert_non_null(c);
	assert_int_equal(prices_count(c), 0);
	prices_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_loads_exactly),
		cmocka_unit_test(test_gpt4o),
		cmocka_unit_test(test_gpt4o_mini),
		cmocka_unit_test(test_claude_sonnet_45),
		cmocka_unit_test(test_reasoning_not_double_counted),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bad_catalog),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
