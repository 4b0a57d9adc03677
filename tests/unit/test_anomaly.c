/*
 * test_anomaly.c - the anomaly detector and the forecast model on generated
 * daily cost series (bench/series_gen.h): injected spikes and level shifts
 * with weekend seasonality, growth and noise; recall >= 0.9 with at most
 * one false alarm per 90 days per series; forecast backtests within 5% on
 * the 30-day total and 80% intervals covering 70-90% of the days. Also the
 * scenario file parser.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/anomaly.h"
#include "core/forecast.h"
#include "core/scenario.h"
#include "util/err.h"
#include "../../bench/series_gen.h"

#define N 365
#define NSERIES 200

static void random_spec(struct sg_rng *r, struct sg_spec *sp)
{
	sp->base = 50 + sg_unif(r) * 5000;
	sp->growth = sg_unif(r) * 0.004;
	sp->weekend = 0.5 + 0.5 * sg_unif(r);
	sp->noise = 0.03 + 0.05 * sg_unif(r);
	sp->first_wday = (int)(sg_unif(r) * 7);
}

/* An event matches an injection when it overlaps [day, day + 2]. */
static int overlaps(const struct ad_event *e, size_t day)
{
	return e->end >= day && e->start <= day + 2;
}

static void test_recall_false_alarms(void **state)
{
	(void)state;
	struct sg_rng r = { 42 };
	double y[N], ex[N], sc[N];
	size_t injected = 0, hit = 0, fa_total = 0, fa_max = 0;
	for (size_t s = 0; s < NSERIES; s++) {
		struct sg_spec sp;
		random_spec(&r, &sp);
		struct sg_inject inj[4];
		size_t d = 30 + (size_t)(sg_unif(&r) * 20);
		for (int i = 0; i < 4; i++) {
			inj[i].day = d;
			inj[i].kind = i == 2 ? SG_SHIFT : SG_SPIKE;
			inj[i].factor = i == 2 ? 1.5 + sg_unif(&r) * 0.5 : 1.6 + sg_unif(&r) * 1.4;
			d += 40 + (size_t)(sg_unif(&r) * 40);
		}
		sg_fill(&sp, &r, inj, 4, y, N);
		struct ad_opts o = { .period = 7, .threshold = 4.5, .direction = 1, .min_pct = 0.2 };
		ad_score(y, N, &o, ex, sc);
		struct ad_event *ev;
		size_t ne = ad_events(y, N, ex, sc, &o, 0, &ev);
		for (int i = 0; i < 4; i++) {
			if (inj[i].day >= N)
				continue;
			injected++;
			for (size_t k = 0; k < ne; k++)
				if (overlaps(&ev[k], inj[i].day)) {
					hit++;
					break;
				}
		}
		size_t fa = 0;
		for (size_t k = 0; k < ne; k++) {
			int m = 0;
			for (int i = 0; i < 4; i++)
				m |= overlaps(&ev[k], inj[i].day);
			fa += !m;
		}
		fa_total += fa;
		fa_max = fa > fa_max ? fa : fa_max;
		free(ev);
	}
	double recall = (double)hit / (double)injected;
	double fa_rate = (double)fa_total / NSERIES / (N / 90.0);
	printf("anomaly: recall %.3f (%zu/%zu), false alarms %.3f per series per 90 days, at most %zu in a series-year\n",
	       recall, hit, injected, fa_rate, fa_max);
	assert_true(recall >= 0.9);
	/* At most one per 90 days in every series: 365 days allow 4. */
	assert_true(fa_max <= 4);
	assert_true(fa_rate <= 1.0);
}

static void test_no_alarm_on_clean_series(void **state)
{
	(void)state;
	/* Weekly seasonality and growth alone, no noise: nothing to report. */
	struct sg_spec sp = { .base = 1000, .growth = 0.003, .weekend = 0.4, .noise = 0, .first_wday = 0 };
	struct sg_rng r = { 1 };
	double y[N], ex[N], sc[N];
	sg_fill(&sp, &r, NULL, 0, y, N);
	struct ad_opts o = { .period = 7, .direction = 0, .min_pct = 0.2 };
	ad_score(y, N, &o, ex, sc);
	struct ad_event *ev;
	size_t ne = ad_events(y, N, ex, sc, &o, 0, &ev);
	assert_int_equal(ne, 0);
	free(ev);
}

static void test_level_shift_is_one_event(void **state)
{
	(void)state;
	struct sg_spec sp = { .base = 500, .growth = 0, .weekend = 0.7, .noise = 0.03, .first_wday = 2 };
	struct sg_rng r = { 7 };
	struct sg_inject inj = { 100, SG_SHIFT, 2.0 };
	double y[200], ex[200], sc[200];
	sg_fill(&sp, &r, &inj, 1, y, 200);
	struct ad_opts o = { .period = 7, .direction = 0, .min_pct = 0.2 };
	ad_score(y, 200, &o, ex, sc);
	struct ad_event *ev;
	size_t ne = ad_events(y, 200, ex, sc, &o, 0, &ev);
	assert_int_equal(ne, 1);
	assert_true(ev[0].start >= 100 && ev[0].start <= 102);
	assert_true(ev[0].end < 110);
	assert_true(ev[0].impact > 0);
	free(ev);
}

static void test_gates_and_new_series(void **state)
{
	(void)state;
	/* Zeros, then a new resource starts: no alert during its warm-up. */
	double y[120], ex[120], sc[120];
	for (int t = 0; t < 120; t++)
		y[t] = t < 50 ? 0 : 100 + (t % 7 == 5 ? -30 : 0);
	y[111] = 400;         /* a weekday (111 % 7 == 6): expected 100 */
	struct ad_opts o = { .period = 7, .direction = 1 };
	ad_score(y, 120, &o, ex, sc);
	for (int t = 0; t < 71; t++)
		assert_true(sc[t] == 0);
	struct ad_event *ev;
	size_t ne = ad_events(y, 120, ex, sc, &o, 0, &ev);
	assert_int_equal(ne, 1);
	assert_int_equal(ev[0].start, 111);
	assert_true(fabs(ev[0].impact - 300) < 10);
	free(ev);
	/* The absolute gate drops it. */
	o.min_impact = 500;
	ne = ad_events(y, 120, ex, sc, &o, 0, &ev);
	assert_int_equal(ne, 0);
	free(ev);
}

static void test_child_delta(void **state)
{
	(void)state;
	double a[63] = { 0 }, b[63];
	for (int t = 0; t < 63; t++)
		b[t] = 10;
	a[60] = 50;             /* a new child on day 60 */
	b[60] = 12;
	assert_true(fabs(ad_child_delta(a, 63, 60, 60, 7, 4) - 50) < 1e-9);
	assert_true(fabs(ad_child_delta(b, 63, 60, 60, 7, 4) - 2) < 1e-9);
}

static void test_forecast_backtest(void **state)
{
	(void)state;
	struct sg_rng r = { 99 };
	double y[N];
	double cov = 0, mape = 0, naive = 0;
	size_t within = 0, K = 100;
	for (size_t s = 0; s < K; s++) {
		/* Trend and weekly seasonality; moderate noise. */
		struct sg_spec sp = { .base = 100 + sg_unif(&r) * 5000, .growth = sg_unif(&r) * 0.003,
				      .weekend = 0.5 + 0.5 * sg_unif(&r), .noise = 0.05, .first_wday = (int)(sg_unif(&r) * 7) };
		sg_fill(&sp, &r, NULL, 0, y, N);
		struct fc_opts fo = { .horizon = 30, .level = 0.8, .first_wday = -1 };
		struct fc_backtest bt;
		assert_int_equal(forecast_backtest(y, N, &fo, &bt), 0);
		within += fabs(bt.total_err) <= 5;
		cov += bt.coverage;
		mape += bt.mape;
		naive += bt.naive_mape;
	}
	cov /= (double)K;
	printf("forecast: 30-day total within 5%% in %zu/%zu series; mean MAPE %.2f%% (seasonal naive %.2f%%); "
	       "80%% interval coverage %.1f%%\n", within, K, mape / (double)K, naive / (double)K, cov);
	assert_true(within >= K * 95 / 100);
	assert_true(cov >= 70 && cov <= 90);
	assert_true(mape < naive);
}

static char last_err[512];
static void sink(const char *line)
{
	snprintf(last_err, sizeof last_err, "%s", line);
}

static void test_forecast_edges(void **state)
{
	(void)state;
	struct fc_point p[10];
	struct fc_info info;
	struct fc_opts fo = { .horizon = 10, .level = 0.8 };
	assert_int_equal(forecast_series(NULL, 0, &fo, p, &info), 0);
	assert_true(p[0].yhat == 0 && p[9].hi == 0);
	double y3[] = { 5, 7, 6 };
	assert_int_equal(forecast_series(y3, 3, &fo, p, &info), 0);
	assert_true(fabs(p[0].yhat - 6) < 1e-9 && p[0].lo >= 0 && p[0].hi >= p[0].yhat);
	double flat[40];
	for (int i = 0; i < 40; i++)
		flat[i] = i % 2 ? 0 : 3;      /* intermittent */
	assert_int_equal(forecast_series(flat, 40, &fo, p, &info), 0);
	for (int i = 0; i < 10; i++)
		assert_true(p[i].lo >= 0 && p[i].lo <= p[i].yhat && p[i].yhat <= p[i].hi);
	fo.horizon = 0;
	err_sink = sink;
	assert_int_equal(forecast_series(flat, 40, &fo, p, &info), -1);
	assert_non_null(strstr(last_err, "horizon must be at least 1 day"));
	err_sink = NULL;
}

/* A series that starts late (a new team): the days before its first cost are not zero-cost history. */
static void test_forecast_late_start(void **state)
{
	enum { LEAD = 400, LIVE = 56, H = 14 };
	double y[LEAD + LIVE];
	struct fc_point out[H];
	struct fc_opts o = { .horizon = H, .level = 0.8, .first_wday = -1 };
	for (int i = 0; i < LEAD; i++)
		y[i] = 0;
	for (int i = 0; i < LIVE; i++)
		y[LEAD + i] = i % 7 >= 5 ? 400 : 1000;   /* weekdays 1,000, weekends 400 */
	assert_int_equal(forecast_series(y, LEAD + LIVE, &o, out, NULL), 0);
	for (int h = 0; h < H; h++) {
		double want = (LIVE + h) % 7 >= 5 ? 400 : 1000;
		assert_true(fabs(out[h].yhat - want) < 0.05 * want);
	}
}

static void test_scenario(void **state)
{
	(void)state;
	const char *txt = "scenarios:\n"
			  "  - name: launch\n"
			  "    match: { team: chatbot }\n"
			  "    from: 2026-12-01\n"
			  "    to: 2026-12-31\n"
			  "    multiplier: 1.5\n"
			  "  - multiplier: 2\n"
			  "    from: 2026-12-20\n";
	struct scenario sc;
	assert_int_equal(scenario_parse(txt, strlen(txt), "s.yaml", &sc), 0);
	assert_int_equal(sc.n, 2);
	const char *dims[] = { "team" }, *chat[] = { "chatbot" }, *other[] = { "search" };
	int64_t d1201 = 20788, d1221 = 20808;   /* 2026-12-01, 2026-12-21 */
	assert_true(fabs(scenario_factor(&sc, dims, chat, 1, d1201) - 1.5) < 1e-12);
	assert_true(fabs(scenario_factor(&sc, dims, other, 1, d1201) - 1.0) < 1e-12);
	assert_true(fabs(scenario_factor(&sc, dims, chat, 1, d1221) - 3.0) < 1e-12);
	assert_true(fabs(scenario_factor(&sc, dims, chat, 1, d1201 - 1) - 1.0) < 1e-12);
	assert_int_equal(scenario_check(&sc, dims, 1), 0);
	err_sink = sink;
	assert_int_equal(scenario_check(&sc, NULL, 0), -1);
	assert_non_null(strstr(last_err, "match key 'team' is not one of the --by dimensions"));
	scenario_release(&sc);

	const char *bad = "scenarios:\n  - match: { team: chatbot }\n    multiplier: lots\n";
	assert_int_equal(scenario_parse(bad, strlen(bad), "b.yaml", &sc), -1);
	assert_non_null(strstr(last_err, "b.yaml:3:17: multiplier"));
	scenario_release(&sc);
	const char *bad2 = "scenarios:\n  - from: 2026-13-01\n    multiplier: 1\n";
	assert_int_equal(scenario_parse(bad2, strlen(bad2), "c.yaml", &sc), -1);
	assert_non_null(strstr(last_err, "c.yaml:2:11: from: '2026-13-01' is not a date"));
	scenario_release(&sc);
	err_sink = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recall_false_alarms),
		cmocka_unit_test(test_no_alarm_on_clean_series),
		cmocka_unit_test(test_level_shift_is_one_event),
		cmocka_unit_test(test_gates_and_new_series),
		cmocka_unit_test(test_child_delta),
		cmocka_unit_test(test_forecast_backtest),
		cmocka_unit_test(test_forecast_edges),
		cmocka_unit_test(test_forecast_late_start),
		cmocka_unit_test(test_scenario),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
