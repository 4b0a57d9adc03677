/*
 * budget.h - budget status: actual spend in the current period, the
 * forecast to the period's end, a status and a breach date, for each
 * `budgets:` entry of the config (SPEC sections 1, 3, 4; docs/budgets.md).
 *
 * The work is split so the decisions can be tested without a ledger:
 *   budget_period()    the month/quarter/year containing a day;
 *   budget_assess()    pure: daily actuals + daily forecast -> status;
 *   budget_crossings() pure: which alert thresholds a status has crossed;
 *   budget_eval()      the ledger part: report engine (scope, by day) and
 *                      forecast_series() feeding budget_assess().
 *
 * Money stays exact: actuals are money_t sums from the report engine; the
 * forecast (a double estimate) is rounded to 1e-6 per day before it is
 * added, so "forecast" is exact arithmetic over rounded estimates.
 *
 * Ownership: a budget_status points at its struct budget (owned by the
 * config) and owns nothing else; no release is needed.
 */
#ifndef AICOST_BUDGET_H
#define AICOST_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include "core/config.h"
#include "core/money.h"

struct store;

enum budget_state { BS_OK, BS_WARNING, BS_BREACH, BS_FORECAST_BREACH };
extern const char *const budget_state_names[4];   /* "ok", "warning", "breach", "forecast_breach" */
extern const char *const budget_period_names[3];  /* "month", "quarter", "year" */

#define BUDGET_NO_DAY INT64_MIN

struct budget_status {
	const struct budget *b;
	int64_t period_start, period_end;   /* inclusive days (since 1970-01-01) */
	int64_t as_of;                      /* "today" */
	int64_t data_through;               /* last day counted as actual; < period_start when none */
	int64_t ledger_last;                /* last day with any data in the ledger; BUDGET_NO_DAY if empty */
	money_t actual;                     /* exact, period_start .. data_through */
	money_t forecast;                   /* actual + forecast of data_through+1 .. period_end */
	enum budget_state status;
	int64_t breach_day;                 /* BUDGET_NO_DAY when none */
	int breach_forecast;                /* breach_day is a forecast, not a fact */
	char currency[16];
	char model[32];                     /* forecast model used ("" if no forecast was needed) */
};

/* The inclusive days of the period of kind p that contains `day`. */
void budget_period(enum budget_period p, int64_t day, int64_t *start, int64_t *end);

/*
 * Decide status and breach date. actual[i] is the spend of day
 * s->period_start + i (nact days, up to s->data_through); fc[j] the
 * forecast of day s->data_through + 1 + j (nfc days; days before
 * period_start are skipped). Fills actual, forecast, status, breach_day,
 * breach_forecast; the other fields must be set by the caller.
 */
void budget_assess(struct budget_status *s, const money_t *actual, size_t nact, const money_t *fc, size_t nfc);

/* One crossed threshold, on actual spend or (when actual has not crossed it) on the forecast. */
struct budget_crossing {
	money_t threshold;     /* the alert_at fraction */
	int forecast;          /* 0: actual crossed it; 1: only the forecast did */
	money_t amount;        /* the amount that crossed (actual or forecast) */
};

/* Crossings of b->alert_at for status s into out (b->nalert entries at most); returns the count. */
size_t budget_crossings(const struct budget_status *s, struct budget_crossing *out);

struct budget_opts {
	int amount;            /* FA_* cost column */
	int64_t as_of;         /* today */
	int history_days;      /* forecast history (default 365) */
};

/* Evaluate budget b against the ledger. Returns 0 or -1 after reporting. */
int budget_eval(struct store *st, const struct config *cfg, const struct budget *b,
		const struct budget_opts *o, struct budget_status *out);

/*
 * "Today": $AICOST_NOW (YYYY-MM-DD, or a datetime whose first 10 bytes are
 * one) if set, else the UTC clock. -1 after reporting a bad AICOST_NOW.
 */
int budget_today(int64_t *day);

#endif
