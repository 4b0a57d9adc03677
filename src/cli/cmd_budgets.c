/* cmd_budgets.c - `aicost budgets`: budget status, forecast breaches, webhook alerts (docs/budgets.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/alert.h"
#include "core/budget.h"
#include "core/config.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "as-of", 1, 0, "today, YYYY-MM-DD (default $AICOST_NOW, else the UTC clock)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "name", 1, 1, "only this budget; repeat for more" },
	{ "no-notify", 0, 0, "compute only: record no alert state, send nothing" },
	{ "fail-on", 1, 0, "breach|forecast|warning: exit 3 when a budget is at least that bad" },
	{ "notify-timeout", 1, 0, "seconds for all webhook deliveries of this run (default 30)" },
};

static const char usage[] = "budgets [--as-of D] [--cost C] [--format F] [--no-notify] [--fail-on breach|forecast|warning]";
static const char desc[] =
	"Status of the budgets in the config (budgets:): actual spend in the current period,\n"
	"forecast to the period's end, status (ok, warning, breach, forecast_breach) and the\n"
	"breach date. Each alert_at threshold crossed on actual or forecast spend alerts the\n"
	"budget's webhook:URL targets once per period; undelivered alerts are retried on the\n"
	"next run. --fail-on breach exits 3 when a budget is breached (for CI).";

static void used_pct(money_t actual, money_t limit, char *out, size_t n)
{
	money_t p = 0;
	char b[MONEY_BUFSZ];
	money_muldiv(actual, money_from_int(100), limit, &p);
	money_format(p, b, 1, 1);
	snprintf(out, n, "%s%%", b);
}

static void scope_text(const struct budget *b, char *out, size_t n)
{
	out[0] = 0;
	if (!b->nscope)
		snprintf(out, n, "(all)");
	for (size_t i = 0; i < b->nscope; i++) {
		size_t o = strlen(out);
		snprintf(out + o, n - o, "%s%s=%s", i ? "," : "", b->scope_keys[i], b->scope_vals[i]);
	}
}

static void fill_table(const struct budget_status *s, size_t n, struct table *t)
{
	const char *head[] = { "budget", "scope", "period", "limit", "actual", "forecast", "used", "status", "breach_date" };
	int money[] = { 0, 0, 0, 1, 1, 1, 2, 0, 0 };
	table_init(t, 9, head, money);
	for (size_t i = 0; i < n; i++) {
		char sc[1024], ps[11], pe[11], per[40], used[64], bd[24] = "-";
		scope_text(s[i].b, sc, sizeof sc);
		format_day(s[i].period_start, ps);
		format_day(s[i].period_end, pe);
		/* month: 2024-09; quarter/year: first day..last day */
		if (s[i].b->period == BUDGET_MONTH)
			snprintf(per, sizeof per, "%.7s", ps);
		else
			snprintf(per, sizeof per, "%s..%s", ps, pe);
		used_pct(s[i].actual, s[i].b->limit, used, sizeof used);
		if (s[i].breach_day != BUDGET_NO_DAY) {
			format_day(s[i].breach_day, bd);
			if (s[i].breach_forecast)
				strcat(bd, " (fc)");
		}
		table_add_row(t);
		table_set(t, 0, s[i].b->name);
		table_set(t, 1, sc);
		table_set(t, 2, per);
		table_set_money(t, 3, s[i].b->limit);
		table_set_money(t, 4, s[i].actual);
		table_set_money(t, 5, s[i].forecast);
		table_set(t, 6, used);
		table_set(t, 7, budget_state_names[s[i].status]);
		table_set(t, 8, bd);
	}
}

static void print_json(const struct budget_status *s, size_t n, int64_t as_of, int amount, int notified,
		       const struct alert_stats *as, FILE *f)
{
	char d[11];
	format_day(as_of, d);
	fprintf(f, "{\"as_of\":\"%s\",\"cost_metric\":\"%s\",\"budgets\":[", d, cli_cost_name(amount));
	for (size_t i = 0; i < n; i++) {
		const struct budget *b = s[i].b;
		fprintf(f, i ? ",{\"name\":" : "{\"name\":");
		json_str(f, b->name);
		fprintf(f, ",\"scope\":{");
		for (size_t k = 0; k < b->nscope; k++) {
			fprintf(f, k ? "," : "");
			json_str(f, b->scope_keys[k]);
			fputc(':', f);
			json_str(f, b->scope_vals[k]);
		}
		fprintf(f, "},\"period\":\"%s\"", budget_period_names[b->period]);
		format_day(s[i].period_start, d);
		fprintf(f, ",\"period_start\":\"%s\"", d);
		format_day(s[i].period_end, d);
		fprintf(f, ",\"period_end\":\"%s\",\"limit\":", d);
		json_money(f, b->limit);
		fprintf(f, ",\"actual\":");
		json_money(f, s[i].actual);
		fprintf(f, ",\"forecast\":");
		json_money(f, s[i].forecast);
		fprintf(f, ",\"status\":\"%s\",\"breach_date\":", budget_state_names[s[i].status]);
		if (s[i].breach_day != BUDGET_NO_DAY) {
			format_day(s[i].breach_day, d);
			fprintf(f, "\"%s\"", d);
		} else {
			fprintf(f, "null");
		}
		fprintf(f, ",\"breach_date_is_forecast\":%s,\"currency\":", s[i].breach_forecast ? "true" : "false");
		json_str(f, s[i].currency);
		fprintf(f, ",\"alert_at\":[");
		for (size_t k = 0; k < b->nalert; k++) {
			char v[MONEY_BUFSZ];
			money_str(b->alert_at[k], v);
			fprintf(f, "%s%s", k ? "," : "", v);
		}
		fprintf(f, "],\"data_through\":");
		if (s[i].data_through >= s[i].period_start) {
			format_day(s[i].data_through, d);
			fprintf(f, "\"%s\"", d);
		} else {
			fprintf(f, "null");
		}
		fprintf(f, ",\"forecast_model\":");
		if (s[i].model[0])
			json_str(f, s[i].model);
		else
			fprintf(f, "null");
		fputc('}', f);
	}
	fprintf(f, "]");
	if (notified)
		fprintf(f, ",\"alerts\":{\"fired\":%zu,\"queued\":%zu,\"delivered\":%zu,\"undelivered\":%zu}", as->fired,
			as->queued, as->delivered, as->undelivered);
	fprintf(f, "}\n");
}

static int wanted(const char *name, const char **names, size_t n)
{
	if (!n)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Options before the config; 0, CLI_EUSAGE, or -1 when the clock fails. */
static int budgets_opts(const struct cli_args *a, struct budget_opts *bo, int *fail_on, struct alert_opts *ao)
{
	if (cli_cost_opt(cli_get(a, "cost"), &bo->amount) < 0)
		return CLI_EUSAGE;
	const char *fo = cli_get(a, "fail-on");
	*fail_on = -1;
	if (fo) {
		if (!strcmp(fo, "breach"))
			*fail_on = BS_BREACH;
		else if (!strcmp(fo, "forecast"))
			*fail_on = BS_FORECAST_BREACH;
		else if (!strcmp(fo, "warning"))
			*fail_on = BS_WARNING;
		else {
			error("--fail-on: '%s' is not one of breach, forecast, warning", fo);
			return CLI_EUSAGE;
		}
	}
	if (cli_get(a, "notify-timeout")) {
		char *end;
		ao->time_budget_s = strtod(cli_get(a, "notify-timeout"), &end);
		if (*end || !(ao->time_budget_s > 0) || ao->time_budget_s > 3600) {
			error("--notify-timeout: '%s' is not a number of seconds (0 < s <= 3600)", cli_get(a, "notify-timeout"));
			return CLI_EUSAGE;
		}
	}
	if (cli_get(a, "as-of"))
		return cli_day_opt(a, "as-of", &bo->as_of);
	return budget_today(&bo->as_of) < 0 ? -1 : 0;
}

/* Every --name must be a configured budget; 0 or -1 after reporting. */
static int check_names(const struct config *cfg, const char **names, size_t nnames)
{
	for (size_t i = 0; i < nnames; i++) {
		size_t k;
		for (k = 0; k < cfg->nbudgets && strcmp(cfg->budgets[k].name, names[i]); k++)
			;
		if (k == cfg->nbudgets)
			return error("--name: no budget '%s' in %s", names[i], cfg->path);
	}
	return 0;
}

/* Evaluate the wanted budgets into s (cfg->nbudgets entries), then record and deliver alerts when notify. */
static int budgets_eval(struct store *st, const struct config *cfg, const struct budget_opts *bo, const char **names,
			size_t nnames, int (*keep)(const struct budget *, void *), void *keep_arg, int notify,
			const struct alert_opts *ao, struct budget_status *s, size_t *n, struct alert_stats *as)
{
	*n = 0;
	for (size_t i = 0; i < cfg->nbudgets; i++) {
		if (!wanted(cfg->budgets[i].name, names, nnames) || (keep && !keep(&cfg->budgets[i], keep_arg)))
			continue;
		if (budget_eval(st, cfg, &cfg->budgets[i], bo, &s[*n]) < 0)
			return -1;
		(*n)++;
	}
	if (*n && s[0].ledger_last != BUDGET_NO_DAY && s[0].ledger_last < bo->as_of) {
		char last[11], today[11];
		format_day(s[0].ledger_last, last);
		format_day(bo->as_of, today);
		warning("the ledger's data ends %s, %lld day%s before %s: actuals stop there and the forecast covers the gap",
			last, (long long)(bo->as_of - s[0].ledger_last), bo->as_of - s[0].ledger_last == 1 ? "" : "s", today);
	}
	if (notify) {
		/* Budgets without targets write nothing; the outbox may still hold older alerts to deliver. */
		int targets = 0;
		for (size_t i = 0; i < *n; i++)
			targets |= s[i].b->nnotify > 0;
		if ((targets && alert_record(st, s, *n, as) < 0) || alert_deliver(st, cfg, ao, as) < 0)
			return -1;
	}
	return 0;
}

int cli_budgets_json_only(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out,
			  int (*keep)(const struct budget *b, void *arg), void *keep_arg)
{
	struct budget_opts bo = { 0 };
	struct alert_opts ao = { 0 };
	struct alert_stats as = { 0 };
	size_t nnames = 0, n = 0;
	int fail_on, rc;
	if ((rc = budgets_opts(a, &bo, &fail_on, &ao)) < 0)
		return rc;
	int notify = !cli_has(a, "no-notify");
	const char **names = cli_all(a, "name", &nnames);
	if (check_names(cfg, names, nnames) < 0)
		return CLI_EUSAGE;
	struct budget_status *s = xcalloc(cfg->nbudgets ? cfg->nbudgets : 1, sizeof *s);
	rc = budgets_eval(st, cfg, &bo, names, nnames, keep, keep_arg, notify, &ao, s, &n, &as);
	if (rc == 0)
		print_json(s, n, bo.as_of, bo.amount, notify, &as, out);
	free(s);
	return rc;
}

static int cli_budgets_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	return cli_budgets_json_only(a, st, cfg, out, NULL, NULL);
}

const struct cli_json_cmd cli_budgets_cmd = { "budgets", opts, sizeof opts / sizeof opts[0], cli_budgets_json,
					      "budget status, forecast breaches and alerts" };

int cmd_budgets(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct store *st = NULL;
	struct budget_status *s = NULL;
	struct alert_stats as = { 0 };
	struct budget_opts bo = { 0 };
	struct alert_opts ao = { 0 };
	size_t n = 0, nnames = 0;
	int rc = EXIT_FAIL, fail_on = -1, notify;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("budgets: unexpected argument '%s'", a.pos[0]);
	notify = !cli_has(&a, "no-notify");
	const char **names = cli_all(&a, "name", &nnames);
	int orc = budgets_opts(&a, &bo, &fail_on, &ao);
	if (orc < 0) {
		rc = orc == CLI_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
		goto out_args;
	}
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	if (check_names(&cfg, names, nnames) < 0)
		goto out;
	if (!cfg.nbudgets && fmt == FMT_TABLE) {
		printf("no budgets configured: add a budgets: list to %s (see docs/budgets.md)\n",
		       ctx->config_path ? ctx->config_path : "aicost.yaml");
		rc = EXIT_OK;
		goto out;
	}
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	s = xcalloc(cfg.nbudgets ? cfg.nbudgets : 1, sizeof *s);
	if (budgets_eval(st, &cfg, &bo, names, nnames, NULL, NULL, notify, &ao, s, &n, &as) < 0)
		goto out;
	if (fmt == FMT_JSON) {
		print_json(s, n, bo.as_of, bo.amount, notify, &as, stdout);
	} else {
		struct table t;
		fill_table(s, n, &t);
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char d[11];
			format_day(bo.as_of, d);
			printf("budgets as of %s, %s cost, %s\n\n", d, cli_cost_name(bo.amount), n ? s[0].currency : "USD");
			table_print(&t, stdout);
			if (notify && (as.fired || as.delivered || as.undelivered))
				printf("\nalerts: %zu fired, %zu delivered, %zu still queued\n", as.fired, as.delivered,
				       as.undelivered);
		}
		table_release(&t);
	}
	rc = EXIT_OK;
	for (size_t i = 0; fail_on >= 0 && i < n; i++) {
		enum budget_state x = s[i].status;
		if (x == BS_BREACH || (fail_on == BS_FORECAST_BREACH && x == BS_FORECAST_BREACH) ||
		    (fail_on == BS_WARNING && x != BS_OK))
			rc = EXIT_ACTION;
	}
out:
	free(s);
	if (st)
		st->ops->close(st);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
