/*
 * forecast.c - interim model: seasonal-naive mean of the last four weeks
 * with a normal interval from the week-over-week residuals. The real model
 * choice (ETS / Holt-Winters) replaces this file; the interface is final.
 */
#include <math.h>
#include <string.h>
#include "core/forecast.h"
#include "util/err.h"

int forecast_series(const double *y, size_t n, const struct fc_opts *o, struct fc_point *out, struct fc_info *info)
{
	if (!o || o->horizon == 0)
		return error("forecast: horizon must be at least 1 day");
	double level = o->level > 0 ? o->level : 0.8;
	double z = level >= 0.95 ? 1.96 : level >= 0.9 ? 1.645 : level >= 0.8 ? 1.2816 : 0.6745;
	double ss = 0;
	size_t nres = 0;
	for (size_t i = 7; i < n; i++) {
		double d = y[i] - y[i - 7];
		ss += d * d;
		nres++;
	}
	double sigma = nres ? sqrt(ss / (double)nres) : 0;
	for (size_t h = 0; h < o->horizon; h++) {
		double s = 0;
		int k = 0;
		for (size_t w = 1; w <= 4; w++) {
			size_t back = 7 * w - (h % 7);
			if (back <= n) {
				s += y[n - back];
				k++;
			}
		}
		double yhat = k ? s / k : (n ? y[n - 1] : 0);
		out[h].yhat = yhat;
		out[h].lo = fmax(0, yhat - z * sigma);
		out[h].hi = yhat + z * sigma;
	}
	if (info) {
		memset(info, 0, sizeof *info);
		strcpy(info->model, "seasonal-naive");
		info->sigma = sigma;
	}
	return 0;
}
