/*
 * forecast.c - exponential smoothing with automatic model choice; see
 * forecast.h and docs/forecast.md.
 *
 * Candidates (additive errors, Hyndman et al. ETS notation):
 *   ANN  simple exponential smoothing             (short series)
 *   AAdN Holt, trend (damped or not)
 *   ANA  level + weekly season                    (n >= 2 periods)
 *   AAdA Holt-Winters additive, trend + season    (n >= 2 periods)
 * each fitted by a small grid over the smoothing parameters (one-step SSE)
 * and chosen by AIC. The grid is deliberately coarse: 10,000 series must
 * fit in well under a second (bench/run-series.sh). Intervals are the
 * analytic ETS class-1 variances, sigma^2 (1 + sum c_j^2), clipped at 0.
 * Fewer than 4 points: the mean, with the spread of what there is.
 *
 * Ownership: nothing is allocated except a per-call scratch copy.
 */
#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/forecast.h"
#include "util/err.h"

#define FC_P 7            /* weekly season of a daily series */
#define FC_MAXFIT 365     /* fit on the last year at most */

struct fc_model {
	int trend, season;
	double alpha, beta, phi, gamma;
	/* results */
	double sse, aic;
	double level, slope, s[FC_P];
	size_t n0;            /* index (within the fitted window) the state refers to: after the last point */
};

/* Run the filter; fills sse and the final state. */
static void fc_fit(const double *y, size_t n, struct fc_model *m)
{
	size_t p = FC_P;
	double l = 0, b = 0, s[FC_P] = { 0 };
	size_t start;
	if (m->season) {
		double a = 0, c = 0;
		for (size_t i = 0; i < p; i++)
			a += y[i];
		a /= (double)p;
		size_t k = n >= 2 * p ? 2 : 1;
		for (size_t i = 0; i < p * k; i++)
			s[i % p] += (y[i] - a) / (double)k;
		if (k == 2) {
			for (size_t i = p; i < 2 * p; i++)
				c += y[i];
			c /= (double)p;
		}
		l = a;
		b = m->trend && k == 2 ? (c - a) / (double)p : 0;
		/* The state refers to the end of the first period: move the level there. */
		l += b * (double)(p - 1);
		start = p;
	} else {
		size_t k = n < 7 ? n : 7;
		double a = 0;
		for (size_t i = 0; i < k; i++)
			a += y[i];
		l = a / (double)k;
		if (m->trend && n >= 14) {
			double c = 0;
			for (size_t i = 7; i < 14; i++)
				c += y[i];
			b = (c / 7.0 - l) / 7.0;
		}
		start = 0;
	}
	double sse = 0;
	const double al = m->alpha, ab = m->alpha * m->beta, ph = m->phi, ga = m->gamma;
	if (m->season) {
		size_t k = start % p;
		for (size_t t = start; t < n; t++) {
			double f = l + ph * b + s[k];
			double e = y[t] - f;
			sse += e * e;
			l = l + ph * b + al * e;
			b = ph * b + ab * e;   /* 0 stays 0 without trend: b starts at 0 and ab is 0 */
			s[k] += ga * e;
			if (++k == p)
				k = 0;
		}
	} else {
		for (size_t t = start; t < n; t++) {
			double f = l + ph * b;
			double e = y[t] - f;
			sse += e * e;
			l = f + al * e;
			b = ph * b + ab * e;
		}
	}
	size_t ne = n - start;
	m->sse = sse;
	m->level = l;
	m->slope = b;
	memcpy(m->s, s, sizeof s);
	m->n0 = n;
	int k = 2 + (m->trend ? 3 : 0) + (m->season ? 1 + (int)p - 1 : 0);
	m->aic = ne > 0 ? (double)ne * log(sse / (double)ne + 1e-12) + 2.0 * k : DBL_MAX;
}

/* Inverse standard normal CDF (Acklam's rational approximation, |err| < 1.2e-9). */
static double qnorm(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
				    1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
				    6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
				    -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
				    3.754408661907416e+00 };
	if (p <= 0)
		return -HUGE_VAL;
	if (p >= 1)
		return HUGE_VAL;
	if (p < 0.02425) {
		double q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - 0.02425)
		return -qnorm(1 - p);
	double q = p - 0.5, r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static const char *model_name(const struct fc_model *m)
{
	if (m->season)
		return m->trend ? (m->phi < 1 ? "holt-winters-damped" : "holt-winters-additive") : "ets-seasonal";
	return m->trend ? (m->phi < 1 ? "holt-damped" : "holt") : "ses";
}

static void fallback(const double *y, size_t n, const struct fc_opts *o, double z, struct fc_point *out,
		     struct fc_info *info)
{
	double mu = 0, v = 0;
	for (size_t i = 0; i < n; i++)
		mu += y[i];
	mu = n ? mu / (double)n : 0;
	for (size_t i = 0; i < n; i++)
		v += (y[i] - mu) * (y[i] - mu);
	double sd = n > 1 ? sqrt(v / (double)(n - 1)) : fabs(mu) * 0.5;
	for (size_t h = 0; h < o->horizon; h++) {
		out[h].yhat = fmax(0, mu);
		out[h].lo = fmax(0, mu - z * sd);
		out[h].hi = fmax(0, mu + z * sd);
	}
	if (info) {
		strcpy(info->model, n ? "mean" : "none");
		info->sigma = sd;
	}
}

/* AIC of a fitted model on the original scale: log-fits add the Jacobian 2 sum log(y + c). */
static double fc_aic(const struct fc_model *m, double jac7, double jac0)
{
	return m->aic + (m->season ? jac7 : jac0);
}

/*
 * Model choice in two stages, to stay cheap at 10,000 series: (1) every
 * structure (trend yes/no x season yes/no) on both scales at middle
 * parameters; (2) the smoothing-parameter grid for the two best of them,
 * best by AIC.
 */
static void fc_choose(const double *y, const double *ly, size_t n, double jac7, double jac0, struct fc_model *best,
		      int *use_log)
{
	static const double alphas[] = { 0.05, 0.15, 0.4 };
	static const double betas[] = { 0.02, 0.1 };
	static const double phis[] = { 0.98, 1.0 };
	static const double gammas[] = { 0.05, 0.2 };
	struct fc_model m, cand[2];
	double cand_aic[2] = { DBL_MAX, DBL_MAX };
	int cand_log[2] = { 0, 0 };
	int can_season = n >= 2 * FC_P + 2;
	memset(cand, 0, sizeof cand);
	for (int lg = 0; lg <= (ly != NULL); lg++)
		for (int season = 0; season <= can_season; season++)
			for (int trend = 0; trend <= (n >= 10); trend++) {
				memset(&m, 0, sizeof m);
				m.trend = trend;
				m.season = season;
				m.alpha = 0.15;
				m.beta = trend ? 0.02 : 0;
				m.phi = trend ? 0.98 : 1;
				m.gamma = season ? 0.05 : 0;
				fc_fit(lg ? ly : y, n, &m);
				double aic = lg ? fc_aic(&m, jac7, jac0) : m.aic;
				if (aic < cand_aic[0]) {
					cand[1] = cand[0], cand_aic[1] = cand_aic[0], cand_log[1] = cand_log[0];
					cand[0] = m, cand_aic[0] = aic, cand_log[0] = lg;
				} else if (aic < cand_aic[1]) {
					cand[1] = m, cand_aic[1] = aic, cand_log[1] = lg;
				}
			}
	/* Stage 2 on the two best structures. */
	double best_aic = DBL_MAX;
	*best = cand[0];
	*use_log = cand_log[0];
	for (int c = 0; c < 2; c++) {
		if (cand_aic[c] == DBL_MAX)
			continue;
		const double *z = cand_log[c] ? ly : y;
		int trend = cand[c].trend, season = cand[c].season;
		for (size_t ai = 0; ai < 3; ai++)
			for (size_t bi = 0; bi < (trend ? 2u : 1u); bi++)
				for (size_t fi = 0; fi < (trend ? 2u : 1u); fi++)
					for (size_t gi = 0; gi < (season ? 2u : 1u); gi++) {
						memset(&m, 0, sizeof m);
						m.trend = trend;
						m.season = season;
						m.alpha = alphas[ai];
						m.beta = trend ? betas[bi] : 0;
						m.phi = trend ? phis[fi] : 1;
						m.gamma = season ? gammas[gi] : 0;
						fc_fit(z, n, &m);
						double aic = cand_log[c] ? fc_aic(&m, jac7, jac0) : m.aic;
						if (aic < best_aic) {
							best_aic = aic;
							*best = m;
							*use_log = cand_log[c];
						}
					}
	}
}

int forecast_series(const double *y, size_t n, const struct fc_opts *o, struct fc_point *out, struct fc_info *info)
{
	if (!o || o->horizon == 0)
		return error("forecast: horizon must be at least 1 day");
	double level = o->level > 0 ? o->level : 0.8;
	if (level >= 1)
		return error("forecast: interval level %g is not below 1", level);
	double z = qnorm(0.5 + level / 2);
	if (info)
		memset(info, 0, sizeof *info);
	{
		/*
		 * Days before a series' first cost are not a history of zero cost
		 * (a new team, resource or provider): fitting them drags the level
		 * toward 0. Drop them all: season slots are counted from the first
		 * value fitted and the forecast continues from the last, so the
		 * phase needs no alignment (o->first_wday is not used here).
		 */
		size_t lead = 0;
		while (lead < n && y[lead] == 0)
			lead++;
		if (lead == n)
			lead = n > FC_P ? n - FC_P : 0;   /* all zero: keep a week of zeros to forecast 0 */
		y += lead;
		n -= lead;
	}
	if (n > FC_MAXFIT) {
		/* Keep the season phase: drop whole weeks. */
		size_t drop = (n - FC_MAXFIT + FC_P - 1) / FC_P * FC_P;
		y += drop;
		n -= drop;
	}
	if (n < 4) {
		fallback(y, n, o, z, out, info);
		return 0;
	}

	/*
	 * Two transforms: the series itself, and log(y + c) (multiplicative
	 * season and growth, which is what cost usually has). Their AICs are
	 * made comparable with the log-Jacobian term 2 sum log(y + c).
	 */
	double mean = 0, minv = y[0];
	for (size_t i = 0; i < n; i++) {
		mean += y[i];
		minv = fmin(minv, y[i]);
	}
	mean /= (double)n;
	double c = fmax(1e-9, 0.05 * fabs(mean));
	double *ly = NULL;
	int can_log = minv >= 0 && mean > 0;
	if (can_log) {
		ly = malloc(n * sizeof *ly);
		if (!ly)
			abort();
		for (size_t i = 0; i < n; i++)
			ly[i] = log(y[i] + c);
	}
	struct fc_model best;
	int use_log = 0;
	double jac0 = 0, jac7 = 0;
	if (ly) {
		for (size_t i = 0; i < n; i++)
			jac0 += 2 * ly[i];
		jac7 = jac0;
		for (size_t i = 0; i < FC_P && i < n; i++)
			jac7 -= 2 * ly[i];
	}
	fc_choose(y, ly, n, jac7, jac0, &best, &use_log);
	free(ly);
	size_t ne = best.season ? n - FC_P : n;
	/* Unbiased for the parameters fitted (k), so short histories get wider intervals. */
	int k = 2 + (best.trend ? 3 : 0) + (best.season ? FC_P : 0);
	double dof = (double)ne - k > 1 ? (double)ne - k : 1;
	double sigma = sqrt(best.sse / dof);
	double var = 1.0, phij = 0, phipow = 1;
	for (size_t h = 0; h < o->horizon; h++) {
		/* phi_h = phi + phi^2 + ... + phi^h (trend damping). */
		phipow *= best.phi;
		phij += phipow;
		size_t t = n + h;
		double f = best.level + (best.trend ? phij * best.slope : 0) + (best.season ? best.s[t % FC_P] : 0);
		if (h > 0) {
			/* (h+1)-step variance adds c_h = alpha (1 + beta phi_h) + gamma [h mod p == 0]; phij holds phi_{h+1}. */
			double pj = phij - phipow;
			double cj = best.alpha * (1 + (best.trend ? best.beta * (pj > 0 ? pj : 0) : 0)) +
				    (best.season && h % FC_P == 0 ? best.gamma : 0);
			var += cj * cj;
		}
		double sd = sigma * sqrt(var);
		double yh = f, lo = f - z * sd, hi = f + z * sd;
		if (use_log) {
			/* The mean of a log-normal, so totals add up; the interval maps through exp. */
			/* Exponents capped so decade-long horizons stay finite (exp(700) ~ 1e304). */
			yh = exp(fmin(700, f + sd * sd / 2)) - c;
			lo = exp(fmin(700, lo)) - c;
			hi = exp(fmin(700, hi)) - c;
		}
		out[h].yhat = fmax(0, yh);
		out[h].lo = fmax(0, lo);
		out[h].hi = fmax(out[h].yhat, hi);
	}
	if (info) {
		snprintf(info->model, sizeof info->model, "%s%s", model_name(&best), use_log ? "-log" : "");
		info->sigma = use_log ? sigma * mean : sigma;
		info->aic = best.aic;
	}
	return 0;
}

int forecast_backtest(const double *y, size_t n, const struct fc_opts *o, struct fc_backtest *bt)
{
	memset(bt, 0, sizeof *bt);
	size_t h = o->horizon;
	if (h == 0 || n < h + 2 * FC_P)
		return error("backtest: %zu days of history is too short for a %zu-day holdout (need %zu)", n, h,
			     h + 2 * FC_P);
	size_t m = n - h;
	struct fc_point *p = malloc(h * sizeof *p);
	if (!p)
		abort();
	struct fc_info info;
	if (forecast_series(y, m, o, p, &info) < 0) {
		free(p);
		return -1;
	}
	double ape = 0, nape = 0, sa = 0, sf = 0, sn = 0;
	size_t k = 0, cov = 0;
	for (size_t i = 0; i < h; i++) {
		double a = y[m + i];
		double naive = y[m - FC_P + (i % FC_P)];
		sa += a;
		sf += p[i].yhat;
		sn += naive;
		if (a >= p[i].lo && a <= p[i].hi)
			cov++;
		if (a > 0) {
			ape += fabs(a - p[i].yhat) / a;
			nape += fabs(a - naive) / a;
			k++;
		}
	}
	bt->horizon = h;
	bt->mape = k ? 100 * ape / (double)k : 0;
	bt->naive_mape = k ? 100 * nape / (double)k : 0;
	bt->total_err = sa != 0 ? 100 * (sf - sa) / sa : 0;
	bt->naive_total_err = sa != 0 ? 100 * (sn - sa) / sa : 0;
	bt->coverage = 100.0 * (double)cov / (double)h;
	memcpy(bt->model, info.model, sizeof bt->model);
	free(p);
	return 0;
}
