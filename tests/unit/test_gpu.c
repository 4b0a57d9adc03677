/*
 * test_gpu.c - GPU telemetry end to end on a hand-made fixture: nvidia-smi
 * CSV -> daily rollups -> gpu_query, checked against a hand computation;
 * plus the parsers' edge cases (sentinels, units, GR_ENGINE_ACTIVE fallback).
 *
 * Fixture (max_gap 600 s, default interval 60 s), host h1, a bill of 10.00
 * for h1 on 2026-10-01:
 *   GPU A, 60 s samples:  t=0 u0 100W | 60 u3 100W | 120 u50 300W | 180 u100 400W
 *                         | (gap of 1020 s > max_gap) | 1200 u0 60W | 1260 u4 60W
 *     each sample stands for 60 s (the sample before the gap and the last one
 *     for their usual interval, 60 s; the rest of the gap is no data):
 *     covered 6 x 60 = 360 s; idle (< 5 %): u0,u3,u0,u4 = 240 s;
 *     energy (100+100+300+400+60+60) W x 60 s = 61,200 J.
 *   GPU B, 30 s samples:  t=0 u10 200W | 30 u10 200W
 *     covered 2 x 30 = 60 s; idle 0; energy 200 W x 60 s = 12,000 J.
 *   Host h1: gpu_hours = 420/3600 = 0.11666..., idle_hours = 240/3600,
 *     energy = 73,200 J = 0.020333... kWh; avg_util = (0+3+50+100+0+4)x60 + 10x60
 *     = 10,020 %s / 420 s = 23.857...; cost 10.00 split 5.00 per GPU;
 *     idle_cost = 5.00 x 240/360 = 3.333333333333333333 (18 decimals, half-even);
 *     useful hours = 180/3600 = 0.05, cost per useful GPU hour = 10 / 0.05 = 200.
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
#include "core/gpu_ingest.h"
#include "core/gpu_query.h"
#include "core/ingest.h"
#include "formats/focus.h"
#include "formats/gpu_parse.h"
#include "store/store.h"
#include "util/err.h"

static char dir[64];

static void put(const char *name, const char *text, char *path)
{
	sprintf(path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_hand_fixture(void **state)
{
	(void)state;
	char smi[128], bill[128], db[128];
	strcpy(dir, "/tmp/aicost-test-gpu-XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("a.csv",
	    "timestamp, uuid, utilization.gpu [%], power.draw [W]\n"
	    "2026/10/01 00:00:00.000, GPU-A, 0 %, 100.00 W\n"
	    "2026/10/01 00:00:00.000, GPU-B, 10 %, 200.00 W\n"
	    "2026/10/01 00:00:30.000, GPU-B, 10 %, 200.00 W\n"
	    "2026/10/01 00:01:00.000, GPU-A, 3 %, 100.00 W\n"
	    "2026/10/01 00:02:00.000, GPU-A, 50 %, 300.00 W\n"
	    "2026/10/01 00:03:00.000, GPU-A, 100 %, 400.00 W\n"
	    "2026/10/01 00:20:00.000, GPU-A, 0 %, 60.00 W\n"
	    "2026/10/01 00:21:00.000, GPU-A, 4 %, 60.00 W\n", smi);
	put("bill.csv",
	    "BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,BillingAccountId,BillingPeriodStart,"
	    "BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,ServiceName,ResourceId\n"
	    "10.00,10.00,10.00,10.00,USD,1,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,"
	    "2026-10-02T00:00:00Z,Usage,AWS,EC2,arn:aws:ec2:us-east-1:1:instance/h1\n", bill);
	sprintf(db, "%s/l.db", dir);
	struct store *st = store_sqlite_open(db, 1);
	assert_non_null(st);
	struct ingest_opts io = { 0 };
	struct ingest_session *s = ingest_begin(st, &io);
	struct ingest_result ir;
	assert_int_equal(ingest_focus_file(s, bill, &ir), 0);
	ingest_end(s);
	struct gpu_ingest_opts go = { .host = "h1", .acc = { 600000, 60000 } };
	struct gpu_ingest_result gr;
	assert_int_equal(gpu_ingest_file(st, smi, &go, &gr), 0);
	assert_int_equal(gr.stats.devices, 2);

	struct config cfg;
	config_init(&cfg);
	const char *by[] = { "host" };
	struct gpu_query q = { .by = by, .nby = 1, .amount = FA_EFFECTIVE, .from_day = INT64_MIN, .to_day = INT64_MAX,
			       .idle_threshold = 5 };
	struct gpu_result r;
	assert_int_equal(gpu_query_run(st, &cfg, &q, &r), 0);
	assert_int_equal(r.nrows, 1);
	assert_string_equal(r.rows[0].vals[0], "h1");
	assert_true(r.rows[0].gpu_hours == 420.0 / 3600.0);
	assert_true(r.rows[0].idle_hours == 240.0 / 3600.0);
	assert_true(r.rows[0].energy_kwh == 73200.0 / 3.6e6);
	assert_true(r.rows[0].avg_util == 10020.0 / 420.0);
	assert_int_equal(r.rows[0].gpus, 2);
	char b[MONEY_BUFSZ];
	money_str(r.rows[0].cost, b);
	assert_string_equal(b, "10");
	money_str(r.rows[0].idle_cost, b);
	assert_string_equal(b, "3.333333333333333333");
	money_str(r.rows[0].cost_per_useful_gpu_hour, b);
	assert_string_equal(b, "200");
	gpu_query_release(&r);

	/* By GPU: the host-day cost is split evenly, exactly. */
	const char *by2[] = { "gpu" };
	q.by = by2;
	assert_int_equal(gpu_query_run(st, &cfg, &q, &r), 0);
	assert_int_equal(r.nrows, 2);
	for (size_t i = 0; i < 2; i++) {
		money_str(r.rows[i].cost, b);
		assert_string_equal(b, "5");
	}
	gpu_query_release(&r);

	/* Re-ingesting the same file is a no-op. */
	assert_int_equal(gpu_ingest_file(st, smi, &go, &gr), 0);
	assert_true(gr.duplicate);
	st->ops->close(st);
	config_release(&cfg);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

struct seen { int n; int metric[16]; double v[16]; int64_t t[16]; char pod[16][32]; };

static int record(void *arg, const struct gpu_ident *id, int64_t t, int metric, double v)
{
	struct seen *s = arg;
	if (s->n < 16) {
		s->metric[s->n] = metric;
		s->v[s->n] = v;
		s->t[s->n] = t;
		snprintf(s->pod[s->n], sizeof s->pod[0], "%s", id->pod);
	}
	s->n++;
	return 0;
}

static void test_parsers(void **state)
{
	(void)state;
	struct seen s = { 0 };
	const char *expo = "# HELP x\n"
			   "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"G\",pod=\"p\\\"q\"} 35 1790856000000\n"
			   "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"G\"} 9223372036854775794\n"
			   "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"0\",UUID=\"G\"} 0.25\n";
	assert_int_equal(gpu_parse_expo(expo, strlen(expo), "t", NULL, 42, record, &s), 0);
	assert_int_equal(s.n, 2);   /* the sentinel is skipped */
	assert_int_equal(s.metric[0], GM_UTIL);
	assert_true(s.t[0] == 1790856000000LL);
	assert_string_equal(s.pod[0], "p\"q");
	assert_int_equal(s.metric[1], GM_ACTIVE);
	assert_true(s.v[1] == 25.0 && s.t[1] == 42);

	memset(&s, 0, sizeof s);
	const char *smi = "2026/10/01 12:00:00.000, NVIDIA H100, 00000000:18:00.0, GPU-1, 35 %, 0 %, 81559 MiB, 1000 MiB, [N/A]\n";
	assert_int_equal(gpu_parse_smi(smi, strlen(smi), "t", "h", record, &s), 0);
	assert_int_equal(s.n, 3);   /* util, used, free; no power */
	assert_true(s.v[0] == 35 && s.v[1] == 1000 && s.v[2] == 80559);

	memset(&s, 0, sizeof s);
	const char *js = "{\"status\":\"success\",\"data\":{\"result\":[{\"values\":[[1790856000.25,\"7\"],[1790856060,\"NaN\"]],"
			 "\"metric\":{\"__name__\":\"DCGM_FI_DEV_GPU_UTIL\",\"pod\":\"a\\u00e9\\ud83d\\ude00\\\"\"}}]}}";
	assert_int_equal(gpu_parse_promjson(js, strlen(js), "t", NULL, record, &s), 0);
	assert_int_equal(s.n, 1);   /* NaN skipped; "metric" after "values" is fine */
	assert_true(s.t[0] == 1790856000250LL && s.v[0] == 7);
	assert_string_equal(s.pod[0], "a\xc3\xa9\xf0\x9f\x98\x80\"");

	int64_t ms;
	assert_int_equal(gpu_parse_time("2026/10/01 12:00:00.5", 21, &ms), 0);
	assert_true(ms == 1790856000500LL);
	assert_int_equal(gpu_detect("timestamp, name", 15), GPU_FMT_SMI);
	assert_int_equal(gpu_detect("  {\"status\"", 11), GPU_FMT_PROMJSON);
	assert_int_equal(gpu_detect("DCGM_FI_DEV_GPU_UTIL{", 21), GPU_FMT_EXPO);
	assert_int_equal(gpu_detect("2026/10/01 12:00:00.000, x", 26), GPU_FMT_SMI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_fixture),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
