/*
 * cmd_forecast.c - `aicost forecast`: daily spend forecasts with intervals
 * per scope (core/forecast.h over core/series.h), month-end and quarter-end
 * projections, --scenario multipliers (core/scenario.h) and --backtest.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/forecast.h"
#include "core/report.h"
#include "core/scenario.h"
#include "core/series.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "by", 1, 0, "scope dimensions, comma separated (default: total cost)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first day of history used, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last day of history (default: the last day in the ledger)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "horizon", 1, 0, "days to forecast (default 30, at most 3660)" },
	{ "level", 1, 0, "prediction interval coverage, e.g. 0.8 or 80 (default 0.8)" },
	{ "scenario", 1, 0, "YAML file of multipliers by dimension and date range" },
	{ "backtest", 0, 0, "hold out the last HORIZON days: MAPE, total error, interval coverage" },
};

static const char usage[] = "forecast [--by DIMS] [--horizon DAYS] [--scenario FILE] [--backtest] [--where DIM=VALUE]... [--format F]";
static const char desc[] =
	"Daily forecasts with prediction intervals per scope. The model (exponential smoothing:\n"
	"SES, Holt, Holt-Winters additive with weekly season, damped or not, on the cost or its\n"
	"log) is chosen by AIC per series. Recurring charges are forecast; one-time charges\n"
	"(Purchase, Tax, Credit, Adjustment) count in the month/quarter actuals only.\n"
	"Projections: month end and quarter end = actual to date + forecast of the rest.\n"
	"--backtest compares with a seasonal-naive baseline. See docs/forecast.md.";

/* ---- calendar ------------------------------------------------------------ */

static int64_t civil_days(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from(int64_t z, int64_t *y, unsigned *m)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* First and last day of the month (quarter when q) containing day. */
static void period_of(int64_t day, int q, int64_t *first, int64_t *last)
{
	int64_t y;
	unsigned m;
	civil_from(day, &y, &m);
	unsigned m0 = q ? (m - 1) / 3 * 3 + 1 : m, m1 = q ? m0 + 3 : m0 + 1;
	*first = civil_days(y, m0, 1);
	*last = m1 > 12 ? civil_days(y + 1, m1 - 12, 1) - 1 : civil_days(y, m1, 1) - 1;
}

/* ---- per series ---------------------------------------------------------- */

struct proj {
	int64_t end;             /* last day of the period */
	money_t actual;          /* exact, to the last history day, recurring + one-time */
	double rest;             /* forecast of the remaining days */
};

struct fseries {
	struct fc_point *pts;    /* hz points (scenario applied) */
	struct fc_info info;
	double total;            /* over the horizon */
	struct proj month, quarter;
	int bt_ok;
	struct fc_backtest bt;
};

static void json_num(FILE *f, double v)
{
	if (!isfinite(v))
		v = 0;
	fprintf(f, "%.6f", fabs(v) < 5e-7 ? 0.0 : v);
}

static void json_proj(FILE *f, const char *name, const struct proj *p)
{
	char d[11];
	format_day(p->end, d);
	fprintf(f, ",\"%s\":{\"date\":\"%s\",\"actual_to_date\":", name, d);
	json_money(f, p->actual);
	fprintf(f, ",\"forecast_rest\":");
	json_num(f, p->rest);
	fprintf(f, ",\"projected\":");
	json_num(f, money_to_double(p->actual) + p->rest);
	fputc('}', f);
}

static void scope_json(FILE *f, const struct series_set *s, size_t k)
{
	fputc('{', f);
	for (size_t d = 0; d < s->ndims; d++) {
		fprintf(f, d ? "," : "");
		json_str(f, s->dims[d]);
		fputc(':', f);
		json_str(f, s->vals[k * s->ndims + d]);
	}
	fputc('}', f);
}

static money_t to_money(double v)
{
	if (!isfinite(v) || fabs(v) > 1e15)
		v = 0;
	return (money_t)llround(v * 1e6) * (MONEY_ONE / 1000000);
}

/* One forecast run: the series and, per scope, its forecast and projections. fc_release frees it. */
struct fc_run {
	struct series_set s;
	struct fseries *fs;
	size_t hz, H;
	double level;
	int backtest;
	int64_t last, mlast, qlast;
};

/* --cost/--from/--to/--where, --horizon, --level, --backtest; 0 or CLI_EUSAGE. */
static int fc_opts(const struct cli_args *a, struct report_query *q, struct fc_run *run)
{
	if (cli_query_opts(a, q) < 0)
		return CLI_EUSAGE;
	run->hz = 30;
	if (cli_get(a, "horizon")) {
		char *end;
		long v = strtol(cli_get(a, "horizon"), &end, 10);
		if (*end || v < 1 || v > 3660) {
			error("--horizon: '%s' is not a number of days from 1 to 3660", cli_get(a, "horizon"));
			return CLI_EUSAGE;
		}
		run->hz = (size_t)v;
	}
	run->level = 0.8;
	if (cli_get(a, "level")) {
		char *end;
		run->level = strtod(cli_get(a, "level"), &end);
		if (*end || !isfinite(run->level) || run->level <= 0 || run->level >= 100) {
			error("--level: '%s' is not a coverage like 0.8 or 80", cli_get(a, "level"));
			return CLI_EUSAGE;
		}
		if (run->level >= 1)
			run->level /= 100;
	}
	run->backtest = cli_has(a, "backtest");
	return 0;
}

static void fc_release(struct fc_run *run)
{
	if (run->fs)
		for (size_t k = 0; k < run->s.nscopes; k++)
			free(run->fs[k].pts);
	free(run->fs);
	run->fs = NULL;
	series_release(&run->s);
}

/* Build the series of q by `by` and forecast each (scenario sc applied). 0 or -1 after reporting. */
static int fc_compute(struct store *st, const struct config *cfg, const struct report_query *q, char **by, size_t nby,
		      const struct scenario *sc, struct fc_run *run)
{
	struct series_set *s = &run->s;
	size_t hz = run->hz;
	double level = run->level;
	int rc = -1;
	double *y = NULL;
	if (series_build(st, cfg, q, (const char *const *)by, nby, s) < 0)
		return -1;

	size_t n = s->ndays;
	int64_t last = s->from_day + (int64_t)n - 1;
	int64_t mfirst = 0, mlast = 0, qfirst = 0, qlast = 0;
	if (n) {
		period_of(last + 1, 0, &mfirst, &mlast);
		period_of(last + 1, 1, &qfirst, &qlast);
	}
	/* Forecast far enough for the horizon and the quarter end. */
	size_t need = n ? (size_t)(qlast - last) : 0;
	size_t H = hz > need ? hz : need;
	run->last = last;
	run->mlast = mlast;
	run->qlast = qlast;
	run->H = H;
	struct fc_opts fo = { .horizon = H, .level = level, .first_wday = -1 };
	run->fs = xcalloc(s->nscopes + 1, sizeof *run->fs);
	y = xmalloc((n + 1) * sizeof *y);
	for (size_t k = 0; k < s->nscopes; k++) {
		struct fseries *f = &run->fs[k];
		for (size_t t = 0; t < n; t++)
			y[t] = money_to_double(s->amt[k * n + t]);
		f->pts = xmalloc(H * sizeof *f->pts);
		if (forecast_series(y, n, &fo, f->pts, &f->info) < 0)
			goto out;
		const char *const *vals = s->vals + k * s->ndims;
		for (size_t h = 0; h < H; h++) {
			double m = scenario_factor(sc, (const char *const *)by, vals, nby, last + 1 + (int64_t)h);
			f->pts[h].yhat *= m;
			f->pts[h].lo *= m;
			f->pts[h].hi *= m;
			if (h < hz)
				f->total += f->pts[h].yhat;
			int64_t day = last + 1 + (int64_t)h;
			if (day <= mlast)
				f->month.rest += f->pts[h].yhat;
			if (day <= qlast)
				f->quarter.rest += f->pts[h].yhat;
		}
		f->month.end = mlast;
		f->quarter.end = qlast;
		/* Actuals to date: recurring days plus one-time charges in the period. */
		for (int64_t d = mfirst > s->from_day ? mfirst : s->from_day; d <= last; d++)
			f->month.actual += s->amt[k * n + (size_t)(d - s->from_day)];
		for (int64_t d = qfirst > s->from_day ? qfirst : s->from_day; d <= last; d++)
			f->quarter.actual += s->amt[k * n + (size_t)(d - s->from_day)];
		for (size_t i = 0; i < s->not; i++) {
			if (s->ot[i].scope != k)
				continue;
			if (s->ot[i].day >= mfirst && s->ot[i].day <= last)
				f->month.actual += s->ot[i].amount;
			if (s->ot[i].day >= qfirst && s->ot[i].day <= last)
				f->quarter.actual += s->ot[i].amount;
		}
		if (run->backtest) {
			struct fc_opts bo = { .horizon = hz, .level = level, .first_wday = -1 };
			f->bt_ok = n >= hz + 14 && forecast_backtest(y, n, &bo, &f->bt) == 0;
		}
	}
	rc = 0;
out:
	free(y);
	return rc;
}

static void print_json(const struct fc_run *run, int amount, FILE *o)
{
	const struct series_set *sp = &run->s;
	const struct fseries *fs = run->fs;
	size_t n = sp->ndays, hz = run->hz;
	int64_t last = run->last;
	double level = run->level;
	int backtest = run->backtest;
	char hf[11] = "", ht[11] = "";
	if (n) {
		format_day(sp->from_day, hf);
		format_day(last, ht);
	}
	fprintf(o, "{\"horizon_days\":%zu,\"level\":", hz);
	json_num(o, level);
	fprintf(o, ",\"currency\":");
	json_str(o, sp->currency);
	fprintf(o, ",\"cost_metric\":\"%s\",\"history_from\":\"%s\",\"history_to\":\"%s\",\"series\":[",
		cli_cost_name(amount), hf, ht);
	for (size_t k = 0; k < sp->nscopes; k++) {
		const struct fseries *f = &fs[k];
		fprintf(o, "%s{\"scope\":", k ? "," : "");
		scope_json(o, sp, k);
		fprintf(o, ",\"model\":");
		json_str(o, f->info.model);
		fprintf(o, ",\"points\":[");
		for (size_t h = 0; h < hz; h++) {
			char d[11];
			format_day(last + 1 + (int64_t)h, d);
			fprintf(o, "%s{\"date\":\"%s\",\"yhat\":", h ? "," : "", d);
			json_num(o, f->pts[h].yhat);
			fprintf(o, ",\"lo\":");
			json_num(o, f->pts[h].lo);
			fprintf(o, ",\"hi\":");
			json_num(o, f->pts[h].hi);
			fputc('}', o);
		}
		fprintf(o, "],\"total\":");
		json_num(o, f->total);
		json_proj(o, "month_end", &f->month);
		json_proj(o, "quarter_end", &f->quarter);
		if (backtest) {
			fprintf(o, ",\"backtest\":");
			if (!f->bt_ok) {
				fprintf(o, "null");
			} else {
				fprintf(o, "{\"horizon_days\":%zu,\"model\":", f->bt.horizon);
				json_str(o, f->bt.model);
				fprintf(o, ",\"mape\":");
				json_num(o, f->bt.mape);
				fprintf(o, ",\"total_error_pct\":");
				json_num(o, f->bt.total_err);
				fprintf(o, ",\"coverage_pct\":");
				json_num(o, f->bt.coverage);
				fprintf(o, ",\"seasonal_naive_mape\":");
				json_num(o, f->bt.naive_mape);
				fprintf(o, ",\"seasonal_naive_total_error_pct\":");
				json_num(o, f->bt.naive_total_err);
				fputc('}', o);
			}
		}
		fputc('}', o);
	}
	fprintf(o, "]}\n");
}

static int cli_forecast_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct report_query q = { 0 };
	struct fc_run run = { 0 };
	struct scenario sc = { 0 };
	size_t nby = 0;
	char **by = NULL;
	int rc = CLI_EUSAGE;
	if (fc_opts(a, &q, &run) < 0)
		goto out;
	rc = -1;
	by = cli_split_commas(cli_get(a, "by"), &nby);
	if (cli_get(a, "scenario") &&
	    (scenario_load(cli_get(a, "scenario"), &sc) < 0 || scenario_check(&sc, (const char *const *)by, nby) < 0))
		goto out;
	if (fc_compute(st, cfg, &q, by, nby, &sc, &run) < 0)
		goto out;
	print_json(&run, q.amount, out);
	rc = 0;
out:
	fc_release(&run);
	scenario_release(&sc);
	cli_strv_free(by, nby);
	return rc;
}

const struct cli_json_cmd cli_forecast_cmd = { "forecast", opts, sizeof opts / sizeof opts[0], cli_forecast_json,
					       "spend forecast with prediction intervals and scenarios" };

int cmd_forecast(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct report_query q = { 0 };
	struct scenario sc = { 0 };
	struct fc_run run = { 0 };
	struct store *st = NULL;
	char **by = NULL;
	size_t nby = 0;
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("forecast: unexpected argument '%s'", a.pos[0]);
	if (fc_opts(&a, &q, &run) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	size_t hz = run.hz;
	double level = run.level;
	int backtest = run.backtest;
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	by = cli_split_commas(cli_get(&a, "by"), &nby);
	if (cli_get(&a, "scenario")) {
		if (scenario_load(cli_get(&a, "scenario"), &sc) < 0 ||
		    scenario_check(&sc, (const char *const *)by, nby) < 0)
			goto out;
	}
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (fc_compute(st, &cfg, &q, by, nby, &sc, &run) < 0)
		goto out;
	const struct series_set s = run.s;
	const struct fseries *fs = run.fs;
	size_t n = s.ndays;
	int64_t last = run.last, mlast = run.mlast, qlast = run.qlast;

	if (fmt == FMT_JSON) {
		print_json(&run, q.amount, stdout);
	} else if (fmt == FMT_CSV) {
		const char **head = xcalloc(nby + 4, sizeof *head);
		int *money = xcalloc(nby + 4, sizeof *money);
		for (size_t d = 0; d < nby; d++)
			head[d] = by[d];
		head[nby] = "date";
		head[nby + 1] = "yhat";
		head[nby + 2] = "lo";
		head[nby + 3] = "hi";
		money[nby + 1] = money[nby + 2] = money[nby + 3] = 1;
		struct table t;
		table_init(&t, nby + 4, head, money);
		for (size_t k = 0; k < s.nscopes; k++)
			for (size_t h = 0; h < hz; h++) {
				char d[11];
				format_day(last + 1 + (int64_t)h, d);
				table_add_row(&t);
				for (size_t j = 0; j < nby; j++)
					table_set(&t, j, s.vals[k * nby + j]);
				table_set(&t, nby, d);
				table_set_money(&t, nby + 1, to_money(fs[k].pts[h].yhat));
				table_set_money(&t, nby + 2, to_money(fs[k].pts[h].lo));
				table_set_money(&t, nby + 3, to_money(fs[k].pts[h].hi));
			}
		table_print_csv(&t, stdout);
		table_release(&t);
		free(head);
		free(money);
	} else {
		static const char *head[] = { "scope", "model", "next days", "month end", "quarter end", "backtest" };
		static const int money[] = { 0, 0, 1, 1, 1, 0 };
		struct table t;
		table_init(&t, 6, head, money);
		for (size_t k = 0; k < s.nscopes; k++) {
			char scope[1024], bt[128] = "";
			size_t off = 0;
			snprintf(scope, sizeof scope, "(all)");
			for (size_t d = 0; d < nby && off < sizeof scope; d++)
				off += (size_t)snprintf(scope + off, sizeof scope - off, "%s%s=%s", d ? " " : "", by[d],
							s.vals[k * nby + d][0] ? s.vals[k * nby + d] : "(none)");
			if (fs[k].bt_ok)
				snprintf(bt, sizeof bt, "MAPE %.1f%% (naive %.1f%%), total %+.1f%%, coverage %.0f%%",
					 fs[k].bt.mape, fs[k].bt.naive_mape, fs[k].bt.total_err, fs[k].bt.coverage);
			table_add_row(&t);
			table_set(&t, 0, scope);
			table_set(&t, 1, fs[k].info.model);
			table_set_money(&t, 2, to_money(fs[k].total));
			table_set_money(&t, 3, fs[k].month.actual + to_money(fs[k].month.rest));
			table_set_money(&t, 4, fs[k].quarter.actual + to_money(fs[k].quarter.rest));
			table_set(&t, 5, backtest ? (fs[k].bt_ok ? bt : "too short") : "");
		}
		char hf[11] = "-", ht[11] = "-", me[11] = "-", qe[11] = "-";
		if (n) {
			format_day(s.from_day, hf);
			format_day(last, ht);
			format_day(mlast, me);
			format_day(qlast, qe);
		}
		printf("%s cost forecast, next %zu days after %s (history from %s), %s; %.0f%% intervals\n"
		       "month end = %s, quarter end = %s (actual to date + forecast)\n\n",
		       cli_cost_name(q.amount), hz, ht, hf, s.currency, level * 100, me, qe);
		table_print(&t, stdout);
		table_release(&t);
	}
	rc = EXIT_OK;
out:
	fc_release(&run);
	scenario_release(&sc);
	if (st)
		st->ops->close(st);
	cli_strv_free(by, nby);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
