/*
 * forecast.h - daily spend forecasts with prediction intervals.
 *
 * Input is one daily series with no gaps (a day without cost is 0). The
 * model is chosen automatically (see forecast.c); budgets, the CLI and the
 * server all go through forecast_series(). Values are doubles: a forecast
 * is an estimate, while actuals stay exact money_t everywhere else.
 *
 * Ownership: the caller owns y and out; nothing is kept between calls.
 */
#ifndef AICOST_FORECAST_H
#define AICOST_FORECAST_H

#include <stddef.h>

struct fc_opts {
	size_t horizon;          /* days to forecast (>= 1) */
	double level;            /* central interval coverage, e.g. 0.8 (default when 0) */
	int first_wday;          /* weekday of y[0], 0 = Monday .. 6 = Sunday; -1 unknown */
};

struct fc_point {
	double yhat, lo, hi;
};

struct fc_info {
	char model[32];          /* the model chosen, e.g. "holt-winters-additive" */
	double sigma;            /* one-step residual standard deviation */
	double aic;              /* of the chosen model (0 for the fallbacks) */
};

/*
 * Forecast out[0..horizon-1] for the days after y[n-1]. Works for any n
 * (n == 0 gives zeros). lo >= 0: spend is never negative. Returns 0, or -1
 * after reporting (bad options).
 */
int forecast_series(const double *y, size_t n, const struct fc_opts *o, struct fc_point *out, struct fc_info *info);

/*
 * Backtest: hold out the last `horizon` days, forecast them from the rest,
 * and compare; the seasonal-naive baseline (each weekday = its last value)
 * is scored the same way. Needs n > horizon + 14. Returns 0, or -1 after
 * reporting.
 */
struct fc_backtest {
	size_t horizon;
	double mape;             /* mean |actual - yhat| / actual over days with actual > 0, in % */
	double total_err;        /* (sum yhat - sum actual) / sum actual, in % */
	double coverage;         /* share of days with lo <= actual <= hi, in % */
	double naive_mape, naive_total_err;   /* the seasonal-naive baseline */
	char model[32];
};
int forecast_backtest(const double *y, size_t n, const struct fc_opts *o, struct fc_backtest *bt);

#endif
