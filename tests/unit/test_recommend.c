/*
 * test_recommend.c - the pieces of `aicost recommend` that a golden case
 * cannot pin down: the LLM size classes (every boundary), the request
 * statistics of a hand-made log (duplicates, prefixes, hours, cells) through
 * the store and back, an older ledger without the new tables (read as
 * empty), and the `recommend:` settings (defaults, errors with positions).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/config.h"
#include "core/llm_stats.h"
#include "core/prices.h"
#include "core/recommend_int.h"
#include "formats/llm_usage.h"
#include "store/store.h"
#include "util/err.h"

static char last_err[512];
static void sink(const char *line)
{
	snprintf(last_err, sizeof last_err, "%s", line);
}

static void test_size_classes(void **state)
{
	(void)state;
	assert_int_equal(llm_size_class(0), 0);
	assert_int_equal(llm_size_class(1), 1);
	assert_int_equal(llm_size_class(2), 5);       /* 4 classes per doubling */
	assert_int_equal(llm_size_class(1024), 41);
	/* max(b) is the largest count in classes <= b (classes 2-4 hold no whole count). */
	for (int b = 1; b < 120; b++) {
		uint64_t m = llm_size_class_max(b);
		assert_true(llm_size_class(m) <= b);
		assert_true(llm_size_class(m + 1) > b);
	}
	/* A guard of 1000 tokens keeps 700-token prompts and drops 1100-token ones. */
	assert_true(llm_size_class_max(llm_size_class(700)) <= 1000);
	assert_true(llm_size_class_max(llm_size_class(1100)) > 1000);
}

struct got {
	int n;
	struct llm_stat_rec r[4];
	struct llm_stat_cell cells[4][8];
	char model[4][32], tags[4][128];
};

static int on_stat(void *arg, const struct llm_stat_rec *r)
{
	struct got *g = arg;
	assert_true(g->n < 4);
	g->r[g->n] = *r;
	snprintf(g->model[g->n], 32, "%s", r->model);
	snprintf(g->tags[g->n], 128, "%s", r->tags);
	assert_true(r->ncells <= 8);
	memcpy(g->cells[g->n], r->cells, r->ncells * sizeof *r->cells);
	g->n++;
	return 0;
}

static struct llm_record rec(int64_t t, const char *tags, uint64_t in, uint64_t cached, uint64_t out, uint64_t ph,
			     uint64_t xh, uint64_t pchars, uint64_t xchars, int stream, int user)
{
	struct llm_record r;
	memset(&r, 0, sizeof r);
	r.start = r.end = t;
	r.provider = (char *)"openai";
	r.model = (char *)"gpt-4o";
	r.tags = (char *)tags;
	r.u.tokens[LD_INPUT] = in;
	r.u.tokens[LD_CACHE_READ] = cached;
	r.u.tokens[LD_OUTPUT] = out;
	r.u.requests = 1;
	r.prompt_h = ph;
	r.prefix_h = xh;
	r.prompt_chars = pchars;
	r.prefix_chars = xchars;
	r.stream = (int8_t)stream;
	r.has_user = (uint8_t)user;
	return r;
}

static void test_stats_roundtrip(void **state)
{
	(void)state;
	char dir[] = "/tmp/aicost-test-rec-XXXXXX", db[96];
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/l.db", dir);
	struct store *st = store_sqlite_open(db, 1);
	assert_non_null(st);
	struct source_rec src = { .kind = "llm", .path = "log.jsonl", .sha256 = "x", .ingested_at = "now", .status = "active" };
	assert_int_equal(st->ops->begin(st), 0);
	assert_int_equal(st->ops->source_add(st, &src), 0);
	src.status = "active";
	src.extras_json = "[]";
	src.warnings_json = "{}";
	assert_int_equal(st->ops->source_update(st, &src), 0);

	/* 2026-10-01 = day 20727. Users are dropped from the group; the team is kept. */
	const int64_t d0 = 20727LL * 86400;
	const char *a = "{\"team\":\"a\",\"user\":\"u1\"}", *a2 = "{\"user\":\"u2\",\"team\":\"a\"}", *b = "{\"team\":\"b\"}";
	struct llm_stats *s = llm_stats_new();
	struct llm_record r[] = {
		/* team a: a prompt, its duplicate, another prompt; one streams, two name a user */
		rec(d0 + 3600, a, 500, 0, 100, 0x11, 0, 0, 0, 1, 1),
		rec(d0 + 7200, a2, 500, 0, 100, 0x11, 0, 0, 0, 0, 1),
		rec(d0 + 7300, a, 3000, 0, 400, 0x22, 0, 0, 0, -1, 1),
		/* team b: a 2,000-token prefix three times (one read from the cache), then a short prefix */
		rec(d0 + 10, b, 2500, 0, 50, 0x31, 0x99, 10000, 8000, 0, 0),
		rec(d0 + 20, b, 2500, 0, 50, 0x32, 0x99, 10000, 8000, 0, 0),
		rec(d0 + 30, b, 500, 2000, 50, 0x33, 0x99, 10000, 8000, 0, 0),
		rec(d0 + 40, b, 600, 0, 50, 0x34, 0x98, 2400, 400, 0, 0),
		/* the same prompt of team a on the next day is not a duplicate */
		rec(d0 + 86400 + 5, a, 500, 0, 100, 0x11, 0, 0, 0, 0, 0),
	};
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		llm_stats_add(s, &r[i]);
	assert_int_equal(llm_stats_write(s, st, src.id), 0);
	llm_stats_free(s);
	assert_int_equal(st->ops->commit(st), 0);

	struct got g = { 0 };
	assert_int_equal(st->ops->llm_stat_scan(st, 20727, 20727, on_stat, &g), 0);
	assert_int_equal(g.n, 2);
	int ia = strstr(g.tags[0], "\"a\"") ? 0 : 1, ib = 1 - ia;
	assert_string_equal(g.tags[ia], "{\"team\":\"a\"}");
	const struct llm_stat_rec *x = &g.r[ia];
	assert_int_equal(x->requests, 3);
	assert_int_equal(x->streamed, 1);
	assert_int_equal(x->stream_known, 2);
	assert_int_equal(x->with_user, 3);
	assert_int_equal(x->hashed, 3);
	assert_int_equal(x->dup_requests, 1);
	assert_int_equal(x->dup_tok[LD_INPUT], 500);
	assert_int_equal(x->dup_tok[LD_OUTPUT], 100);
	assert_int_equal(x->hour[1], 1);
	assert_int_equal(x->hour[2], 2);
	assert_int_equal(x->ncells, 2);   /* (500, 100) twice and (3000, 400) */
	uint64_t n = 0;
	for (size_t i = 0; i < x->ncells; i++)
		if (g.cells[ia][i].in_b == llm_size_class(500) && g.cells[ia][i].out_b == llm_size_class(100))
			n = g.cells[ia][i].n;
	assert_int_equal(n, 2);
	/* team b: prefix tokens = prompt x 8000/10000 = 2000: first (write) 2000, one uncached repeat 2000;
	   the cached repeat is counted as prefixed but not as a repeat; 600 x 400/2400 = 100 < 1,024: not cacheable. */
	x = &g.r[ib];
	assert_int_equal(x->requests, 4);
	assert_int_equal(x->prefixed, 3);
	assert_int_equal(x->prefix_repeat, 1);
	assert_int_equal(x->prefix_repeat_tokens, 2000);
	assert_int_equal(x->prefix_first_tokens, 2000);
	assert_int_equal(x->stream_known, 4);
	assert_int_equal(x->streamed, 0);
	assert_int_equal(x->with_user, 0);
	/* the next day: one request, no duplicate */
	memset(&g, 0, sizeof g);
	assert_int_equal(st->ops->llm_stat_scan(st, 20728, 20728, on_stat, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].dup_requests, 0);
	st->ops->close(st);

	/* An older ledger without the tables: a reader sees no statistics and no hour profiles. */
	char db2[96];
	snprintf(db2, sizeof db2, "%s/old.db", dir);
	st = store_sqlite_open(db2, 1);
	assert_non_null(st);
	st->ops->close(st);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "sqlite3 %s 'DROP TABLE llm_stat; DROP TABLE gpu_hourly;'", db2);
	assert_int_equal(system(cmd), 0);
	st = store_sqlite_open(db2, 0);
	assert_non_null(st);
	memset(&g, 0, sizeof g);
	assert_int_equal(st->ops->llm_stat_scan(st, 0, 100000, on_stat, &g), 0);
	assert_int_equal(g.n, 0);
	st->ops->close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_settings(void **state)
{
	(void)state;
	struct config cfg;
	struct rec_settings s;
	config_init(&cfg);
	assert_int_equal(rec_settings_read(&cfg, &s), 0);
	assert_int_equal(s.lookback_days, 30);
	assert_true(s.min_monthly_savings == MONEY_ONE);
	assert_true(s.commit_discount[RP_GCP] == 0.37);
	assert_int_equal(s.nlookbacks, 3);
	rec_settings_release(&s);
	config_release(&cfg);

	const char *ok = "recommend:\n  lookback_days: 14\n  spot: { discount: { AWS: 0.7, other: 0.5 } }\n"
			 "  commitment: { lookbacks: [7, 14], discount: 0.3 }\n  llm_route: { targets: { gpt-4o: gpt-4.1-nano } }\n";
	assert_int_equal(config_load_mem(ok, strlen(ok), "c.yaml", &cfg), 0);
	assert_int_equal(rec_settings_read(&cfg, &s), 0);
	assert_int_equal(s.lookback_days, 14);
	assert_true(s.spot_discount[RP_AWS] == 0.7 && s.spot_discount[RP_OTHER] == 0.5 && s.spot_discount[RP_GCP] == 0.6);
	assert_true(s.commit_discount[RP_AZURE] == 0.3);
	assert_int_equal(s.nlookbacks, 2);
	assert_int_equal(s.nroutes, 1);
	assert_string_equal(s.route_to[0], "gpt-4.1-nano");
	rec_settings_release(&s);
	config_release(&cfg);

	static const struct { const char *yaml, *err; } bad[] = {
		{ "recommend:\n  lookback_days: 0\n", "c.yaml:2:18: recommend.lookback_days: expected a number from 1 to 3660" },
		{ "recommend:\n  idle: 5\n", "c.yaml:2:9: recommend.idle: expected a mapping" },
		{ "recommend:\n  commitment: { lookbacks: [7, x] }\n", "recommend.commitment.lookbacks: expected a day count" },
		{ "recommend:\n  rightsize: { target_util: 150 }\n", "recommend.rightsize.target_util: expected a number from 1 to 100" },
		{ "recommend:\n  min_monthly_savings: -1\n", "recommend.min_monthly_savings: expected an amount >= 0" },
		{ "recommend: [1]\n", "recommend.: expected a mapping" },
	};
	err_sink = sink;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		last_err[0] = 0;
		assert_int_equal(config_load_mem(bad[i].yaml, strlen(bad[i].yaml), "c.yaml", &cfg), 0);
		assert_int_equal(rec_settings_read(&cfg, &s), -1);
		if (!strstr(last_err, bad[i].err))
			fail_msg("'%s': got '%s'", bad[i].err, last_err);
		config_release(&cfg);
	}
	err_sink = NULL;
}

static void test_catalog(void **state)
{
	(void)state;
	struct rec_inst *cat;
	size_t n;
	assert_int_equal(rec_catalog_load(&cat, &n), 0);
	assert_true(n >= 40);
	static const struct { const char *text, *type; } cases[] = {
		{ "$32.7726 per On Demand Linux p4d.24xlarge Instance Hour", "p4d.24xlarge" },
		{ "USE1-BoxUsage:g5.xlarge", "g5.xlarge" },
		{ "{\"InstanceType\":\"g6e.12xlarge\",\"OS\":\"Linux\"}", "g6e.12xlarge" },
		{ "ND96asr v4", "Standard_ND96asr_v4" },
		{ "NC24ads A100 v4", "Standard_NC24ads_A100_v4" },
		{ "Virtual Machines Standard_NC4as_T4_v3 Linux", "Standard_NC4as_T4_v3" },
		{ "a2-highgpu-8g", "a2-highgpu-8g" },
		{ "g2-standard-4 8 vCPU", "g2-standard-4" },     /* not g2-standard-48 */
		{ "g5.2xlarge", "g5.2xlarge" },                  /* not g5.24xlarge */
		{ "m5.2xlarge Linux", NULL },
		{ "A100 GPU running in Americas", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int k = rec_catalog_find_in(cat, n, cases[i].text);
		if (!cases[i].type) {
			if (k >= 0)
				fail_msg("'%s' matched %s", cases[i].text, cat[k].type);
			continue;
		}
		if (k < 0 || strcmp(cat[k].type, cases[i].type))
			fail_msg("'%s': got %s, want %s", cases[i].text, k >= 0 ? cat[k].type : "none", cases[i].type);
	}
	assert_string_equal(rec_gpu_family("NVIDIA A100-SXM4-80GB"), "A100-80GB");
	assert_string_equal(rec_gpu_family("NVIDIA A100-PCIE-40GB"), "A100-40GB");
	assert_string_equal(rec_gpu_family("NVIDIA H100 80GB HBM3"), "H100");
	assert_string_equal(rec_gpu_family("Tesla T4"), "T4");
	assert_string_equal(rec_gpu_family("NVIDIA L4"), "L4");
	assert_string_equal(rec_gpu_family("NVIDIA L40S"), "L40S");
	assert_string_equal(rec_gpu_family("NVIDIA A10G"), "A10G");
	assert_null(rec_gpu_family("NVIDIA L40"));
	free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_classes),
		cmocka_unit_test(test_stats_roundtrip),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
