/*
 * test_gw_route.c - the gateway's routing: rules (key, team, model glob,
 * metadata, prompt size), the cheapest of equivalent deployments, ordered
 * targets, fallbacks, downgrades near a budget, cooldowns, and which
 * deployments may serve which API.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "gateway/keys.h"
#include "gateway/route.h"

static struct gw_upstream ups[3] = {
	{ .name = "oai", .provider = GP_OPENAI, .allowed_fails = 2, .cooldown_s = 30 },
	{ .name = "az", .provider = GP_AZURE, .allowed_fails = 1, .cooldown_s = 10 },
	{ .name = "ant", .provider = GP_ANTHROPIC, .allowed_fails = 1, .cooldown_s = 10 },
};

#define P(x) ((money_t)(x) * (MONEY_ONE / 1000000000))   /* x nano-dollars per token */

static struct gw_deploy deps[] = {
	{ .name = "oai/gpt-4o", .alias = "gpt-4o", .up = &ups[0], .in_price = P(2500), .out_price = P(10000) },
	{ .name = "az/gpt-4o", .alias = "gpt-4o", .up = &ups[1], .in_price = P(2000), .out_price = P(10000) },
	{ .name = "oai/gpt-4o-mini", .alias = "gpt-4o-mini", .up = &ups[0], .in_price = P(150), .out_price = P(600) },
	{ .name = "ant/claude", .alias = "claude", .up = &ups[2], .in_price = P(800), .out_price = P(4000) },
	{ .name = "oai/o1", .alias = "o1", .up = &ups[0], .in_price = P(15000), .out_price = P(60000) },
};

static struct reqbody body(const char *model, enum gw_api api)
{
	struct reqbody r;
	memset(&r, 0, sizeof r);
	r.api = api;
	r.n = 1;
	r.max_tokens = 100;
	snprintf(r.model, sizeof r.model, "%s", model);
	return r;
}

static void reset(void)
{
	for (size_t i = 0; i < sizeof deps / sizeof deps[0]; i++)
		deps[i].fails = 0, deps[i].cool_until = 0;
}

static void test_cheapest_and_cooldown(void **st)
{
	struct gw_routing rt = { .ups = ups, .nups = 3, .deps = deps, .ndeps = 5 };
	struct gw_plan p;
	struct reqbody r = body("gpt-4o", API_CHAT);
	reset();
	assert_int_equal(route_plan(&rt, NULL, &r, 1000, 0, 0, &p), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.d[0]->name, "az/gpt-4o");   /* cheaper input, same output */
	assert_string_equal(p.d[1]->name, "oai/gpt-4o");
	assert_null(p.route);
	/* One failure (allowed_fails 1) cools az down for 10 s: it goes last. */
	route_result(&deps[1], 0, 100.0);
	assert_true(route_cooling(&deps[1], 105.0));
	assert_int_equal(route_plan(&rt, NULL, &r, 1000, 0, 105.0, &p), 0);
	assert_string_equal(p.d[0]->name, "oai/gpt-4o");
	assert_string_equal(p.d[1]->name, "az/gpt-4o");
	assert_int_equal(route_plan(&rt, NULL, &r, 1000, 0, 111.0, &p), 0);
	assert_string_equal(p.d[0]->name, "az/gpt-4o");
	/* oai needs two failures in a row; a success in between resets the count. */
	route_result(&deps[0], 0, 200.0);
	route_result(&deps[0], 1, 200.0);
	route_result(&deps[0], 0, 200.0);
	assert_false(route_cooling(&deps[0], 200.5));
	route_result(&deps[0], 0, 201.0);
	assert_true(route_cooling(&deps[0], 201.5));
	/* Unknown model, and a model on the wrong API. */
	r = body("gpt-5", API_CHAT);
	assert_int_equal(route_plan(&rt, NULL, &r, 10, 0, 0, &p), -1);
	r = body("claude", API_CHAT);
	assert_int_equal(route_plan(&rt, NULL, &r, 10, 0, 0, &p), -1);
	r = body("claude", API_MESSAGES);
	assert_int_equal(route_plan(&rt, NULL, &r, 10, 0, 0, &p), 0);
	r = body("gpt-4o", API_MESSAGES);
	assert_int_equal(route_plan(&rt, NULL, &r, 10, 0, 0, &p), -1);
}

static void test_rules(void **st)
{
	char *k_team[] = { "research" }, *m_4o[] = { "gpt-4o*" }, *t_mini[] = { "gpt-4o-mini" };
	char *t_both[] = { "o1", "gpt-4o" }, *fb[] = { "gpt-4o-mini" }, *mk[] = { "use_case" }, *mv[] = { "batch-*" };
	char *keys[] = { "svc-*" }, *down[] = { "gpt-4o-mini" };
	struct gw_route routes[] = {
		{ .name = "research", .teams = k_team, .nteams = 1, .models = m_4o, .nmodels = 1, .targets = t_mini, .ntargets = 1 },
		{ .name = "batch", .meta_k = mk, .meta_v = mv, .nmeta = 1, .targets = t_mini, .ntargets = 1 },
		{ .name = "long", .prompt_min = 5000, .targets = t_both, .ntargets = 2, .ordered = 1, .fallback = fb, .nfallback = 1 },
		{ .name = "svc", .keys = keys, .nkeys = 1, .downgrade_at = 0.8, .downgrade_to = down, .ndowngrade = 1, .fallback = fb,
		  .nfallback = 1 },
	};
	struct gw_routing rt = { .ups = ups, .nups = 3, .deps = deps, .ndeps = 5, .routes = routes, .nroutes = 4 };
	struct gw_key research = { .name = "r1", .team = "research" }, svc = { .name = "svc-billing", .team = "billing" };
	struct gw_key other = { .name = "o1", .team = "product" };
	struct gw_plan p;
	reset();
	struct reqbody r = body("gpt-4o", API_CHAT);
	assert_int_equal(route_plan(&rt, &research, &r, 100, 0, 0, &p), 0);
	assert_string_equal(p.route->name, "research");
	assert_int_equal(p.n, 1);
	assert_string_equal(p.d[0]->name, "oai/gpt-4o-mini");
	assert_int_equal(route_plan(&rt, &other, &r, 100, 0, 0, &p), 0);
	assert_null(p.route);
	/* Metadata glob. */
	r.nmeta = 1;
	strcpy(r.meta_k[0], "use_case");
	strcpy(r.meta_v[0], "batch-nightly");
	assert_int_equal(route_plan(&rt, &other, &r, 100, 0, 0, &p), 0);
	assert_string_equal(p.route->name, "batch");
	strcpy(r.meta_v[0], "chat");
	assert_int_equal(route_plan(&rt, &other, &r, 100, 0, 0, &p), 0);
	assert_null(p.route);
	r.nmeta = 0;
	/* Prompt size; ordered targets keep their order (o1 first though dearer), then the fallback. */
	assert_int_equal(route_plan(&rt, &other, &r, 6000, 0, 0, &p), 0);
	assert_string_equal(p.route->name, "long");
	assert_int_equal(p.n, 4);
	assert_string_equal(p.d[0]->name, "oai/o1");
	assert_string_equal(p.d[1]->name, "az/gpt-4o");
	assert_string_equal(p.d[2]->name, "oai/gpt-4o");
	assert_string_equal(p.d[3]->name, "oai/gpt-4o-mini");
	/* Downgrade from 80% of the budget; below it, the requested model and the fallback. */
	assert_int_equal(route_plan(&rt, &svc, &r, 100, 0.79, 0, &p), 0);
	assert_false(p.downgraded);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.d[2]->name, "oai/gpt-4o-mini");
	assert_int_equal(route_plan(&rt, &svc, &r, 100, 0.8, 0, &p), 0);
	assert_true(p.downgraded);
	assert_int_equal(p.n, 1);   /* the fallback is the same deployment: listed once */
	assert_string_equal(p.d[0]->name, "oai/gpt-4o-mini");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cheapest_and_cooldown),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
