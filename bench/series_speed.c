/*
 * series_speed.c - times aicost's anomaly and forecast cores on many
 * generated daily series (bench/series_gen.h): weekly seasonality, growth,
 * noise and injected spikes/shifts. The cores are compiled in directly
 * (bench tools do not link libaicost).
 *
 * usage: series_speed [SERIES [DAYS [HORIZON]]]   (default 10000 365 30)
 * Prints wall-clock time of: detection (ad_score + ad_events) and
 * forecasting (forecast_series, model choice included) over all series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "core/anomaly.c"
#include "core/forecast.c"
#include "util/err.c"
#include "series_gen.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t S = argc > 1 ? (size_t)atol(argv[1]) : 10000;
	size_t N = argc > 2 ? (size_t)atol(argv[2]) : 365;
	size_t H = argc > 3 ? (size_t)atol(argv[3]) : 30;
	if (!S || N < 30 || !H)
		return 2;
	double *y = malloc(S * N * sizeof *y), *ex = malloc(N * sizeof *ex), *sc = malloc(N * sizeof *sc);
	struct fc_point *pt = malloc(H * sizeof *pt);
	struct sg_rng r = { 7 };
	for (size_t s = 0; s < S; s++) {
		struct sg_spec sp = { 10 + sg_unif(&r) * 1000, sg_unif(&r) * 0.003, 0.5 + 0.5 * sg_unif(&r),
				      0.03 + 0.05 * sg_unif(&r), (int)(sg_unif(&r) * 7) };
		struct sg_inject inj[2] = { { N / 2, SG_SPIKE, 2.5 }, { N * 3 / 4, SG_SHIFT, 1.6 } };
		sg_fill(&sp, &r, inj, 2, y + s * N, N);
	}
	struct ad_opts o = { .period = 7, .threshold = 4.5, .direction = 1, .min_pct = 0.2 };
	size_t events = 0;
	double t0 = now();
	for (size_t s = 0; s < S; s++) {
		struct ad_event *ev;
		ad_score(y + s * N, N, &o, ex, sc);
		events += ad_events(y + s * N, N, ex, sc, &o, 0, &ev);
		free(ev);
	}
	double t1 = now();
	double tot = 0;
	struct fc_opts fo = { .horizon = H, .level = 0.8, .first_wday = -1 };
	struct fc_info info;
	for (size_t s = 0; s < S; s++) {
		if (forecast_series(y + s * N, N, &fo, pt, &info) < 0)
			return 1;
		tot += pt[H - 1].yhat;
	}
	double t2 = now();
	printf("series_speed: %zu series x %zu days: anomalies %.3f s (%zu events), forecasts (%zu days) %.3f s, "
	       "total %.3f s\n", S, N, t1 - t0, events, H, t2 - t1, t2 - t0);
	(void)tot;
	free(y), free(ex), free(sc), free(pt);
	return 0;
}
