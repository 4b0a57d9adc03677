/*
 * budget.c - budget periods, status, breach dates and threshold crossings;
 * see budget.h. The ledger part runs one report (the budget's scope as
 * --where, by day) and one forecast per budget.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/budget.h"
#include "core/forecast.h"
#include "core/report.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/err.h"

const char *const budget_state_names[4] = { "ok", "warning", "breach", "forecast_breach" };
const char *const budget_period_names[3] = { "month", "quarter", "year" };

void budget_period(enum budget_period p, int64_t day, int64_t *start, int64_t *end)
{
	int y, m, d;
	day_to_ymd(day, &y, &m, &d);
	int m0 = p == BUDGET_MONTH ? m : p == BUDGET_QUARTER ? (m - 1) / 3 * 3 + 1 : 1;
	int len = p == BUDGET_MONTH ? 1 : p == BUDGET_QUARTER ? 3 : 12;
	int ny = y, nm = m0 + len;
	if (nm > 12) {
		nm -= 12;
		ny++;
	}
	*start = ymd_to_day(y, m0, 1);
	*end = ymd_to_day(ny, nm, 1) - 1;
}

/* f * limit, exact (rounded half-even at 1e-18). */
static money_t threshold_amount(money_t limit, money_t f)
{
	money_t out = 0;
	if (money_muldiv(limit, f, MONEY_ONE, &out) < 0)
		return limit;
	return out;
}

void budget_assess(struct budget_status *s, const money_t *actual, size_t nact, const money_t *fc, size_t nfc)
{
	const struct budget *b = s->b;
	money_t cum = 0;
	s->breach_day = BUDGET_NO_DAY;
	s->breach_forecast = 0;
	for (size_t i = 0; i < nact; i++) {
		cum += actual[i];
		if (s->breach_day == BUDGET_NO_DAY && cum >= b->limit)
			s->breach_day = s->period_start + (int64_t)i;
	}
	s->actual = cum;
	/* A credit later in the period can bring actual back under the limit: the breach is over. */
	if (cum < b->limit)
		s->breach_day = BUDGET_NO_DAY;
	money_t f = cum;
	for (size_t j = 0; j < nfc; j++) {
		int64_t day = s->data_through + 1 + (int64_t)j;
		if (day < s->period_start || day > s->period_end)
			continue;
		f += fc[j];
		if (s->breach_day == BUDGET_NO_DAY && f >= b->limit) {
			s->breach_day = day;
			s->breach_forecast = 1;
		}
	}
	s->forecast = f;
	if (cum >= b->limit)
		s->status = BS_BREACH;
	else if (f >= b->limit)
		s->status = BS_FORECAST_BREACH;
	else {
		s->status = BS_OK;
		for (size_t i = 0; i < b->nalert; i++)
			if (b->alert_at[i] < MONEY_ONE && cum >= threshold_amount(b->limit, b->alert_at[i]))
				s->status = BS_WARNING;
	}
	if (s->status != BS_FORECAST_BREACH && s->breach_forecast) {
		/* Only a forecast breach carries a forecast date. */
		s->breach_day = BUDGET_NO_DAY;
		s->breach_forecast = 0;
	}
}

size_t budget_crossings(const struct budget_status *s, struct budget_crossing *out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->b->nalert; i++) {
		money_t t = threshold_amount(s->b->limit, s->b->alert_at[i]);
		if (s->actual >= t)
			out[n++] = (struct budget_crossing){ s->b->alert_at[i], 0, s->actual };
		else if (s->forecast >= t)
			out[n++] = (struct budget_crossing){ s->b->alert_at[i], 1, s->forecast };
	}
	return n;
}

int budget_today(int64_t *day)
{
	const char *env = getenv("AICOST_NOW");
	if (env && *env) {
		char d[11];
		snprintf(d, sizeof d, "%s", env);
		if (strlen(env) < 10 || parse_day(d, day) < 0)
			return error("AICOST_NOW: '%s' is not a date (YYYY-MM-DD)", env);
		return 0;
	}
	*day = (int64_t)(time(NULL) / 86400);
	return 0;
}

/* A forecast estimate as money rounded to 1e-6; not-a-number counts as 0. */
static money_t est_money(double v)
{
	char buf[64];
	money_t m = 0;
	if (!isfinite(v) || fabs(v) > 1e15)
		return 0;
	snprintf(buf, sizeof buf, "%.6f", v);
	if (money_parse(buf, strlen(buf), &m, NULL) < 0)
		return 0;
	return m;
}

int budget_eval(struct store *st, const struct config *cfg, const struct budget *b,
		const struct budget_opts *o, struct budget_status *out)
{
	struct report_result r;
	struct report_query q = { 0 };
	const char *by[] = { "day" };
	char **where = xcalloc(b->nscope ? b->nscope : 1, sizeof *where);
	money_t *act = NULL;
	double *hist = NULL;
	struct fc_point *fc = NULL;
	money_t *fcm = NULL;
	int rc = -1, have_report = 0;
	int hdays = o->history_days > 0 ? o->history_days : 365;

	memset(out, 0, sizeof *out);
	out->b = b;
	out->as_of = o->as_of;
	out->breach_day = BUDGET_NO_DAY;
	out->ledger_last = BUDGET_NO_DAY;
	snprintf(out->currency, sizeof out->currency, "USD");
	budget_period(b->period, o->as_of, &out->period_start, &out->period_end);

	int32_t dmin = 0, dmax = -1;
	int any = st->ops->day_range(st, &dmin, &dmax);
	if (any < 0)
		goto out;
	if (any)
		out->ledger_last = dmax;
	/* Actuals stop at today, or earlier when the ledger's data ends before it. */
	out->data_through = any && dmax < o->as_of ? dmax : o->as_of;
	if (!any)
		out->data_through = out->period_start - 1;
	int64_t from = out->data_through - hdays + 1;
	if (from > out->period_start)
		from = out->period_start;
	if (any && from < dmin)
		from = dmin;

	for (size_t i = 0; i < b->nscope; i++) {
		size_t n = strlen(b->scope_keys[i]) + strlen(b->scope_vals[i]) + 2;
		where[i] = xmalloc(n);
		snprintf(where[i], n, "%s=%s", b->scope_keys[i], b->scope_vals[i]);
	}
	q.by = by;
	q.nby = 1;
	q.where = (const char *const *)where;
	q.nwhere = b->nscope;
	q.amount = o->amount;
	q.from_day = from;
	q.to_day = out->data_through;
	q.no_shared = 1;
	size_t nact = out->data_through >= out->period_start ? (size_t)(out->data_through - out->period_start + 1) : 0;
	size_t nhist = any && out->data_through >= from ? (size_t)(out->data_through - from + 1) : 0;
	act = xcalloc(nact ? nact : 1, sizeof *act);
	hist = xcalloc(nhist ? nhist : 1, sizeof *hist);
	if (nhist) {
		if (report_run(st, cfg, &q, &r) < 0)
			goto out;
		have_report = 1;
		snprintf(out->currency, sizeof out->currency, "%s", r.currency);
		for (size_t i = 0; i < r.nrows; i++) {
			int64_t day;
			if (parse_day(r.rows[i].vals[0], &day) < 0 || day < from || day > out->data_through)
				continue;
			hist[day - from] += money_to_double(r.rows[i].cost);
			if (day >= out->period_start)
				act[day - out->period_start] += r.rows[i].cost;
		}
	}
	size_t nfc = out->period_end > out->data_through ? (size_t)(out->period_end - out->data_through) : 0;
	fcm = xcalloc(nfc ? nfc : 1, sizeof *fcm);
	if (nfc) {
		struct fc_opts fo = { .horizon = nfc, .level = 0.8, .first_wday = -1 };
		struct fc_info info;
		/* 1970-01-01 was a Thursday (3 with Monday = 0). */
		fo.first_wday = (int)(((from + 3) % 7 + 7) % 7);
		fc = xcalloc(nfc, sizeof *fc);
		if (forecast_series(hist, nhist, &fo, fc, &info) < 0)
			goto out;
		snprintf(out->model, sizeof out->model, "%s", info.model);
		for (size_t j = 0; j < nfc; j++)
			fcm[j] = est_money(fc[j].yhat);
	}
	budget_assess(out, act, nact, fcm, nfc);
	rc = 0;
out:
	if (have_report)
		report_release(&r);
	for (size_t i = 0; i < b->nscope; i++)
		free(where[i]);
	free(where);
	free(act);
	free(hist);
	free(fc);
	free(fcm);
	return rc;
}
