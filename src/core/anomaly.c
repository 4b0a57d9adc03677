/*
 * anomaly.c - robust Holt-Winters anomaly scores, events and driver deltas;
 * see anomaly.h. Self-contained (libc + libm only) so bench programs can
 * compile it directly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/anomaly.h"

#define AD_MAXP 1024          /* longest season kept (hourly weekly = 168; NAB daily at 5 min = 288) */
#define HUBER_K 2.0
#define AD_GAP 2           /* unflagged points allowed inside one episode */
/* E[min(|Z|, 2)] for a standard normal: turns the mean clipped |residual| into a sigma. */
#define CLIPPED_MAD 0.7810

void ad_opts_defaults(struct ad_opts *o)
{
	if (o->period > AD_MAXP)
		o->period = 0;
	if (o->threshold <= 0)
		o->threshold = 4.0;
	if (o->warmup == 0)
		o->warmup = o->period > 1 ? 3 * o->period : 7;
	if (o->warmup < 7)
		o->warmup = 7;
	if (o->shift_run == 0)
		o->shift_run = 3;
	if (o->shift_run > 64)      /* the re-anchoring median works in a fixed buffer */
		o->shift_run = 64;
	if (o->rel_floor <= 0)
		o->rel_floor = 0.02;
	if (o->alpha <= 0)
		o->alpha = 0.2;
	if (o->beta <= 0)
		o->beta = 0.03;
	if (o->gamma <= 0)
		o->gamma = 0.1;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, dcmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void ad_score(const double *y, size_t n, const struct ad_opts *oin, double *expected, double *score)
{
	struct ad_opts o = *oin;
	ad_opts_defaults(&o);
	size_t p = o.period > 1 ? o.period : 1;
	double season[AD_MAXP] = { 0 };
	double tmp[AD_MAXP * 2 + 16];

	size_t t0 = 0;
	while (t0 < n && y[t0] == 0)
		t0++;
	for (size_t t = 0; t < n && t < t0; t++) {
		if (expected)
			expected[t] = 0;
		if (score)
			score[t] = 0;
	}
	if (t0 >= n)
		return;

	/* Initial state from the first min(2p, warmup) points: level = median, season = median by phase. */
	size_t m = o.warmup;
	if (m > 2 * p && p > 1)
		m = 2 * p;
	if (m > n - t0)
		m = n - t0;
	size_t k = m < sizeof tmp / sizeof tmp[0] ? m : sizeof tmp / sizeof tmp[0];
	memcpy(tmp, y + t0, k * sizeof *tmp);
	double level = median(tmp, k), trend = 0;
	if (p > 1) {
		for (size_t ph = 0; ph < p; ph++) {
			size_t c = 0;
			for (size_t i = ph; i < m; i += p)
				tmp[c++] = y[t0 + i] - level;
			season[ph] = median(tmp, c);
		}
	}
	/* Scale: mean absolute deviation from that first fit. */
	double mad = 0;
	for (size_t i = 0; i < m; i++)
		mad += fabs(y[t0 + i] - level - season[i % p]);
	double sigma = m ? mad / (double)m / 0.798 : 0;
	double floor0 = o.abs_floor > 0 ? o.abs_floor : 1e-9;

	int run_sign = 0;
	size_t run = 0;
	for (size_t t = t0; t < n; t++) {
		size_t i = t - t0, ph = i % p;
		double f = level + trend + season[ph];
		double r = y[t] - f;
		double fl = fmax(floor0, o.rel_floor * fabs(level));
		double s = fmax(sigma, fl);
		double z = r / s;
		if (expected)
			expected[t] = f;
		if (score)
			score[t] = i >= o.warmup ? z : 0;

		/* Level shift: shift_run consecutive outliers of one sign re-anchor the level. */
		int sg = z >= o.threshold ? 1 : z <= -o.threshold ? -1 : 0;
		if (sg && sg == run_sign) {
			run++;
		} else {
			run_sign = sg;
			run = sg ? 1 : 0;
		}
		if (run >= o.shift_run && t + 1 >= o.shift_run) {
			size_t c = 0;
			for (size_t j = t + 1 - o.shift_run; j <= t; j++)
				tmp[c++] = y[j] - season[(j - t0) % p];
			double nl = median(tmp, c);
			/* Cost scales: a resized fleet has proportionally larger weekly swings and noise. */
			if (level > 0 && nl > 0) {
				double ratio = fmin(5.0, fmax(0.2, nl / level));
				for (size_t q = 0; q < p; q++)
					season[q] *= ratio;
				sigma *= ratio;
			}
			level = nl;
			run = 0;
			run_sign = 0;
			continue;
		}

		/* Huber-clipped update: an outlier moves the state as a 2-sigma point would. */
		double rc = r > HUBER_K * s ? HUBER_K * s : r < -HUBER_K * s ? -HUBER_K * s : r;
		double yc = f + rc;
		double nl = o.alpha * (yc - season[ph]) + (1 - o.alpha) * (level + trend);
		trend = o.beta * (nl - level) + (1 - o.beta) * trend;
		level = nl;
		if (p > 1)
			season[ph] = o.gamma * (yc - level) + (1 - o.gamma) * season[ph];
		double lam = 0.05;
		sigma = (1 - lam) * sigma + lam * fabs(rc) / CLIPPED_MAD;
	}
}

static int wanted(double z, const struct ad_opts *o)
{
	if (o->direction > 0)
		return z >= o->threshold;
	if (o->direction < 0)
		return z <= -o->threshold;
	return fabs(z) >= o->threshold;
}

size_t ad_events(const double *y, size_t n, const double *expected, const double *score,
		 const struct ad_opts *oin, size_t from, struct ad_event **out)
{
	struct ad_opts o = *oin;
	ad_opts_defaults(&o);
	struct ad_event *ev = NULL;
	size_t nev = 0, cap = 0;
	*out = NULL;
	for (size_t t = from; t < n;) {
		if (!wanted(score[t], &o)) {
			t++;
			continue;
		}
		/*
		 * An episode: flagged points of one sign, allowing gaps of up to
		 * AD_GAP unflagged points (the days right after a level shift
		 * while the model re-anchors belong to the same anomaly).
		 */
		int sg = score[t] > 0 ? 1 : -1;
		struct ad_event e = { .start = t };
		size_t last = t;
		for (size_t u = t; u < n && u <= last + AD_GAP; u++) {
			if (!wanted(score[u], &o) || (score[u] > 0 ? 1 : -1) != sg)
				continue;
			last = u;
		}
		for (size_t u = t; u <= last; u++) {
			e.expected += expected[u];
			e.actual += y[u];
			if (fabs(score[u]) > e.score)
				e.score = fabs(score[u]);
		}
		e.end = last;
		t = last + 1;
		e.impact = e.actual - e.expected;
		double base = fabs(e.expected);
		if (fabs(e.impact) < o.min_impact)
			continue;
		if (o.min_pct > 0 && base > 0 && fabs(e.impact) < o.min_pct * base)
			continue;
		if (nev == cap) {
			cap = cap ? 2 * cap : 8;
			ev = realloc(ev, cap * sizeof *ev);
			if (!ev)
				abort();
		}
		ev[nev++] = e;
	}
	*out = ev;
	return nev;
}

double ad_child_delta(const double *y, size_t n, size_t start, size_t end, size_t period, size_t weeks)
{
	size_t p = period > 1 ? period : 1;
	if (!weeks)
		weeks = 4;
	double d = 0;
	for (size_t t = start; t <= end && t < n; t++) {
		double b = 0;
		size_t c = 0;
		for (size_t w = 1; w <= weeks; w++) {
			if (w * p > start)   /* before the series: counts as 0 */
				break;
			b += y[t - w * p];
			c++;
		}
		/* Days before a child's first cost are 0 in y, so a new child shows its full cost. */
		d += y[t] - (c ? b / (double)c : 0);
	}
	return d;
}
