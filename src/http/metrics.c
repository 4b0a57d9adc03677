/*
 * metrics.c - GET /metrics: the Prometheus text exposition format 0.0.4.
 *
 * Every family has one # HELP and one # TYPE line before its samples, its
 * samples are contiguous, label values are escaped (\\, \", \n), and no two
 * samples of a family share a label set (each comes from one row of a
 * grouped query, whose rows are distinct). All values are gauges: spend can
 * go down when a bill is restated, so nothing here is a counter.
 *
 * The window is month to date: from the first day of the month holding the
 * ledger's last day of data, to that day (so a ledger loaded daily tracks
 * the current month). Money is printed exactly (decimal text is a valid
 * Prometheus float).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/anomalies.h"
#include "core/budget.h"
#include "core/config.h"
#include "core/gpu_query.h"
#include "core/report.h"
#include "formats/focus.h"
#include "http/api.h"
#include "store/store.h"

static void label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{k1="v1",k2="v2"} (n label pairs; keys are literals) */
static void sample_start(FILE *f, const char *name, size_t n, const char *const *keys, const char *const *vals)
{
	fputs(name, f);
	if (n) {
		fputc('{', f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s%s=", i ? "," : "", keys[i]);
			label_value(f, vals[i]);
		}
		fputc('}', f);
	}
	fputc(' ', f);
}

static void money_val(FILE *f, money_t v)
{
	char b[MONEY_BUFSZ];
	money_str(v, b);
	fprintf(f, "%s\n", b);
}

static void double_val(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf\n" : "-Inf\n", f);
	else
		fprintf(f, "%.17g\n", v);
}

/* One family of spend by `dim` over the window (label name `label`). */
static int spend_by(FILE *f, struct store *st, const struct config *cfg, int64_t from, int64_t to, const char *dim,
		    const char *name, const char *label, const char *help)
{
	const char *by[] = { dim };
	struct report_query q = { .by = by, .nby = 1, .amount = FA_EFFECTIVE, .from_day = from, .to_day = to };
	struct report_result r;
	if (report_run(st, cfg, &q, &r) < 0)
		return -1;
	family(f, name, help);
	for (size_t i = 0; i < r.nrows; i++) {
		const char *keys[] = { label, "currency" };
		const char *vals[] = { r.rows[i].vals[0], r.currency };
		sample_start(f, name, 2, keys, vals);
		money_val(f, r.rows[i].cost);
	}
	report_release(&r);
	return 0;
}

static int configured(const struct config *cfg, const char *dim)
{
	int d = alloc_dim_find(cfg, dim);
	return d >= 0 && cfg->dims[d].configured;
}

int api_metrics(const struct api_call *c, FILE *f)
{
	struct store *st = c->st;
	const struct config *cfg = c->cfg;
	int32_t dmin = 0, dmax = -1;
	int any = st->ops->day_range(st, &dmin, &dmax);
	if (any < 0)
		return -1;
	family(f, "aicost_ledger_last_day_timestamp_seconds",
	       "Start (UTC) of the last day with cost data in the ledger; 0 when the ledger is empty.");
	fprintf(f, "aicost_ledger_last_day_timestamp_seconds %lld\n", any ? (long long)dmax * 86400 : 0LL);
	if (!any)
		return 0;
	int y, m, d;
	day_to_ymd(dmax, &y, &m, &d);
	int64_t from = ymd_to_day(y, m, 1), to = dmax;

	/* Spend, month to date. */
	{
		const char *by[] = { "month" };
		struct report_query q = { .by = by, .nby = 1, .amount = FA_EFFECTIVE, .from_day = from, .to_day = to };
		struct report_result r;
		if (report_run(st, cfg, &q, &r) < 0)
			return -1;
		family(f, "aicost_spend_month_to_date", "Effective cost of the month so far, billing currency.");
		const char *keys[] = { "currency" };
		const char *vals[] = { r.currency };
		sample_start(f, "aicost_spend_month_to_date", 1, keys, vals);
		money_val(f, r.total);
		family(f, "aicost_untagged_spend_month_to_date", "Effective cost of lines without any tag, month so far.");
		sample_start(f, "aicost_untagged_spend_month_to_date", 1, keys, vals);
		money_val(f, r.untagged);
		report_release(&r);
	}
	if (configured(cfg, "team") &&
	    spend_by(f, st, cfg, from, to, "team", "aicost_team_spend_month_to_date", "team",
		     "Effective cost of the month so far by team (shared cost redistributed).") < 0)
		return -1;
	if (spend_by(f, st, cfg, from, to, "ServiceName", "aicost_service_spend_month_to_date", "service",
		     "Effective cost of the month so far by FOCUS ServiceName.") < 0)
		return -1;
	if (configured(cfg, "model") &&
	    spend_by(f, st, cfg, from, to, "model", "aicost_model_spend_month_to_date", "model",
		     "Effective cost of the month so far by model (allocation dimension).") < 0)
		return -1;

	/* Budgets, as of the ledger's last day. */
	if (cfg->nbudgets) {
		struct budget_status *bs = xcalloc(cfg->nbudgets, sizeof *bs);
		struct budget_opts bo = { .amount = FA_EFFECTIVE, .as_of = dmax };
		for (size_t i = 0; i < cfg->nbudgets; i++)
			if (budget_eval(st, cfg, &cfg->budgets[i], &bo, &bs[i]) < 0) {
				free(bs);
				return -1;
			}
		static const char *const names[] = { "aicost_budget_limit", "aicost_budget_actual", "aicost_budget_forecast",
						     "aicost_budget_remaining" };
		static const char *const helps[] = {
			"Budget limit for its current period, billing currency.",
			"Actual spend in the budget's current period (as of the ledger's last day).",
			"Actual plus forecast spend to the end of the budget's period.",
			"Budget limit minus actual spend (negative when breached)." };
		for (int k = 0; k < 4; k++) {
			family(f, names[k], helps[k]);
			for (size_t i = 0; i < cfg->nbudgets; i++) {
				const char *keys[] = { "budget", "period" };
				const char *vals[] = { cfg->budgets[i].name, budget_period_names[cfg->budgets[i].period] };
				sample_start(f, names[k], 2, keys, vals);
				money_t v = k == 0 ? cfg->budgets[i].limit : k == 1 ? bs[i].actual : k == 2 ? bs[i].forecast :
					    cfg->budgets[i].limit - bs[i].actual;
				money_val(f, v);
			}
		}
		family(f, "aicost_budget_breached", "1 when actual spend is over the limit, else 0.");
		for (size_t i = 0; i < cfg->nbudgets; i++) {
			const char *keys[] = { "budget", "period" };
			const char *vals[] = { cfg->budgets[i].name, budget_period_names[cfg->budgets[i].period] };
			sample_start(f, "aicost_budget_breached", 2, keys, vals);
			fprintf(f, "%d\n", bs[i].status == BS_BREACH);
		}
		free(bs);
	}

	/* GPUs by host, month to date. */
	{
		const char *by[] = { "host" };
		struct gpu_query q = { .by = by, .nby = 1, .amount = FA_EFFECTIVE, .from_day = from, .to_day = to };
		struct gpu_settings gs;
		struct gpu_result r;
		if (gpu_settings_read(cfg, &gs) < 0)
			return -1;
		q.idle_threshold = gs.idle_threshold;
		if (gpu_query_run(st, cfg, &q, &r) < 0)
			return -1;
		static const char *const names[] = { "aicost_gpu_utilization_ratio", "aicost_gpu_hours",
						     "aicost_gpu_idle_hours", "aicost_gpu_idle_cost", "aicost_gpu_cost" };
		static const char *const helps[] = {
			"Time-weighted mean GPU utilization of the host this month (0-1).",
			"GPU hours covered by telemetry this month, summed over the host's GPUs.",
			"GPU hours below the idle threshold this month.",
			"Cost of the idle GPU time this month, billing currency.",
			"Cost of the host's GPUs this month (joined bill), billing currency." };
		for (int k = 0; k < 5; k++) {
			family(f, names[k], helps[k]);
			for (size_t i = 0; i < r.nrows; i++) {
				const struct gpu_row *g = &r.rows[i];
				const char *keys[] = { "host" };
				const char *vals[] = { g->vals[0] };
				sample_start(f, names[k], 1, keys, vals);
				if (k == 0)
					double_val(f, g->avg_util / 100);
				else if (k == 1)
					double_val(f, g->gpu_hours);
				else if (k == 2)
					double_val(f, g->idle_hours);
				else
					money_val(f, k == 3 ? g->idle_cost : g->cost);
			}
		}
		gpu_query_release(&r);
	}

	/* Anomalies (default settings) ending this month, by team when configured. */
	{
		struct anomaly_settings set;
		struct anomaly_query q = { 0 };
		struct anomaly_result r = { 0 };
		const char *dims[] = { "team" };
		int team = configured(cfg, "team");
		q.base.amount = FA_EFFECTIVE;
		q.base.from_day = INT64_MIN;
		q.base.to_day = INT64_MAX;
		q.only_from = from;
		q.only_to = INT64_MAX;
		q.dims = team ? dims : NULL;
		q.ndims = team ? 1 : 0;
		if (anomaly_settings_load(cfg, &set) < 0 || anomalies_run(st, cfg, &q, &set, &r) < 0) {
			anomalies_release(&r);
			return -1;
		}
		/* Count per (team, kind): scopes are distinct, kinds are few. */
		static const char *const kinds[] = { "spike", "drop", "one-time" };
		family(f, "aicost_anomalies", "Cost anomalies detected this month (default settings), by kind.");
		for (size_t s = 0; s < (r.series.nscopes ? r.series.nscopes : 1); s++)
			for (int k = 0; k < 3; k++) {
				size_t n = 0;
				for (size_t i = 0; i < r.n; i++)
					n += r.a[i].scope == s && !strcmp(r.a[i].kind, kinds[k]);
				if (team) {
					if (s >= r.series.nscopes)
						break;
					const char *keys[] = { "team", "kind" };
					const char *vals[] = { r.series.vals[s], kinds[k] };
					sample_start(f, "aicost_anomalies", 2, keys, vals);
				} else {
					const char *keys[] = { "kind" };
					const char *vals[] = { kinds[k] };
					sample_start(f, "aicost_anomalies", 1, keys, vals);
				}
				fprintf(f, "%zu\n", n);
			}
		anomalies_release(&r);
	}
	return 0;
}
