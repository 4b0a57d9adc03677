/* cmd_anomalies.c - `aicost anomalies`: cost anomalies with root-cause drivers (core/anomalies.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/anomalies.h"
#include "core/config.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "by", 1, 0, "scope dimensions, comma separated (default: total cost)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "min-impact", 1, 0, "smallest |actual - expected| reported, billing currency (default 50)" },
	{ "min-pct", 1, 0, "smallest |impact| as % of expected (default 20)" },
	{ "sensitivity", 1, 0, "low|medium|high (default medium)" },
	{ "direction", 1, 0, "up|down|both (default up: cost increases)" },
	{ "drivers", 1, 0, "sub-dimensions for root cause (default ResourceId,SkuMeter,ServiceName)" },
	{ "new", 0, 0, "only anomalies on days covered by the newest ingest batch" },
};

static const char usage[] = "anomalies [--by DIMS] [--where DIM=VALUE]... [--from D] [--to D] [--cost C] [--new] [--format F]";
static const char desc[] =
	"Cost anomalies in the daily series of each scope (robust to weekly seasonality, trend and\n"
	"level shifts), with expected against actual, impact, score and the sub-dimension values\n"
	"(drivers) that explain the change. One-time charges (Purchase, Tax, Credit, Adjustment)\n"
	"are kept out of the recurring series and reported as kind one-time. Defaults come from the\n"
	"`anomalies:` config section; see docs/anomalies.md.";

/* A number >= 0 into *x; 0 or CLI_EUSAGE. */
static int opt_num(const char *name, const char *v, double *x)
{
	char *end;
	*x = strtod(v, &end);
	if (end == v || *end || !isfinite(*x) || *x < 0) {
		error("--%s: '%s' is not a number >= 0", name, v);
		return CLI_EUSAGE;
	}
	return 0;
}

static void json_num(FILE *f, double v)
{
	if (!isfinite(v))
		v = 0;
	fprintf(f, "%.6f", fabs(v) < 5e-7 ? 0.0 : v);
}

/* An estimate as money for the table (6 decimals); non-finite or absurd values show as 0. */
static money_t est_money(double v)
{
	if (!isfinite(v) || fabs(v) > 1e15)
		v = 0;
	return (money_t)llround(v * 1e6) * (MONEY_ONE / 1000000);
}

static void scope_text(const struct anomaly_result *r, size_t k, char *buf, size_t n)
{
	size_t off = 0;
	buf[0] = 0;
	if (!r->series.ndims)
		snprintf(buf, n, "(all)");
	for (size_t d = 0; d < r->series.ndims && off < n; d++) {
		const char *v = r->series.vals[k * r->series.ndims + d];
		off += (size_t)snprintf(buf + off, n - off, "%s%s=%s", d ? " " : "", r->series.dims[d], v[0] ? v : "(none)");
	}
}

static void print_json(const struct anomaly_result *r, const struct anomaly_settings *set, FILE *f)
{
	fprintf(f, "{\"currency\":");
	json_str(f, r->series.currency);
	fprintf(f, ",\"min_impact\":");
	json_num(f, set->min_impact);
	fprintf(f, ",\"min_pct\":");
	json_num(f, set->min_pct);
	fprintf(f, ",\"threshold\":");
	json_num(f, set->threshold);
	fprintf(f, ",\"anomalies\":[");
	for (size_t i = 0; i < r->n; i++) {
		const struct anomaly *a = &r->a[i];
		char s[11], e[11];
		format_day(a->start, s);
		format_day(a->end, e);
		fprintf(f, "%s{\"start\":\"%s\",\"end\":\"%s\",\"kind\":\"%s\",\"scope\":{", i ? "," : "", s, e, a->kind);
		for (size_t d = 0; d < r->series.ndims; d++) {
			fprintf(f, d ? "," : "");
			json_str(f, r->series.dims[d]);
			fputc(':', f);
			json_str(f, r->series.vals[a->scope * r->series.ndims + d]);
		}
		fprintf(f, "},\"expected\":");
		json_num(f, a->expected);
		fprintf(f, ",\"actual\":");
		json_money(f, a->actual);
		fprintf(f, ",\"impact\":");
		json_num(f, a->impact);
		fprintf(f, ",\"score\":");
		json_num(f, a->score);
		if (a->category) {
			fprintf(f, ",\"charge_category\":");
			json_str(f, a->category);
		}
		fprintf(f, ",\"drivers\":[");
		for (size_t j = 0; j < a->ndrivers; j++) {
			fprintf(f, "%s{\"dimension\":", j ? "," : "");
			json_str(f, a->drivers[j].dimension);
			fprintf(f, ",\"value\":");
			json_str(f, a->drivers[j].value);
			fprintf(f, ",\"impact\":");
			json_num(f, a->drivers[j].impact);
			fputc('}', f);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

static void fill_table(const struct anomaly_result *r, struct table *t)
{
	static const char *head[] = { "start", "end", "kind", "scope", "expected", "actual", "impact", "score", "drivers" };
	static const int money[] = { 0, 0, 0, 0, 1, 1, 1, 2, 0 };
	table_init(t, 9, head, money);
	for (size_t i = 0; i < r->n; i++) {
		const struct anomaly *a = &r->a[i];
		char s[11], e[11], sc[1024], drv[1024], num[64];
		format_day(a->start, s);
		format_day(a->end, e);
		scope_text(r, a->scope, sc, sizeof sc);
		size_t off = 0;
		drv[0] = 0;
		if (a->category)
			off += (size_t)snprintf(drv, sizeof drv, "ChargeCategory=%s", a->category);
		for (size_t j = 0; j < a->ndrivers && off < sizeof drv; j++)
			off += (size_t)snprintf(drv + off, sizeof drv - off, "%s%s=%s (%+.2f)", off ? ", " : "",
						a->drivers[j].dimension, a->drivers[j].value, a->drivers[j].impact);
		table_add_row(t);
		table_set(t, 0, s);
		table_set(t, 1, e);
		table_set(t, 2, a->kind);
		table_set(t, 3, sc);
		table_set_money(t, 4, est_money(a->expected));
		table_set_money(t, 5, a->actual);
		table_set_money(t, 6, est_money(a->impact));
		snprintf(num, sizeof num, "%.1f", a->score);
		table_set(t, 7, num);
		table_set(t, 8, drv);
	}
}

/* The options after the config: settings (-1 on a config error), overrides (CLI_EUSAGE). *drv keeps the --drivers strings. */
static int settings_opts(const struct cli_args *a, const struct config *cfg, struct anomaly_settings *set, char ***drv,
			 size_t *ndrv)
{
	if (anomaly_settings_load(cfg, set) < 0)
		return -1;
	if (cli_get(a, "min-impact") && opt_num("min-impact", cli_get(a, "min-impact"), &set->min_impact) < 0)
		return CLI_EUSAGE;
	if (cli_get(a, "min-pct") && opt_num("min-pct", cli_get(a, "min-pct"), &set->min_pct) < 0)
		return CLI_EUSAGE;
	if (cli_get(a, "sensitivity")) {
		const char *s = cli_get(a, "sensitivity");
		set->threshold = !strcmp(s, "low") ? 6 : !strcmp(s, "medium") ? 4.5 : !strcmp(s, "high") ? 3.5 : -1;
		if (set->threshold < 0) {
			error("--sensitivity: '%s' is not one of low, medium, high", s);
			return CLI_EUSAGE;
		}
	}
	if (cli_get(a, "direction")) {
		const char *s = cli_get(a, "direction");
		set->direction = !strcmp(s, "up") ? 1 : !strcmp(s, "down") ? -1 : !strcmp(s, "both") ? 0 : 9;
		if (set->direction == 9) {
			error("--direction: '%s' is not one of up, down, both", s);
			return CLI_EUSAGE;
		}
	}
	if (cli_get(a, "drivers")) {
		*drv = cli_split_commas(cli_get(a, "drivers"), ndrv);
		if (*ndrv > 8) {
			error("--drivers: at most 8 dimensions");
			return CLI_EUSAGE;
		}
		set->ndrivers = *ndrv;
		for (size_t i = 0; i < *ndrv; i++)
			set->drivers[i] = (*drv)[i];
	}
	return 0;
}

static void query_init(struct anomaly_query *q)
{
	q->base.from_day = INT64_MIN;
	q->base.to_day = INT64_MAX;
	q->only_from = INT64_MIN;
	q->only_to = INT64_MAX;
}

/* --new: the newest batch's days. 0 or -1. */
static int newest_opt(const struct cli_args *a, struct store *st, struct anomaly_query *q)
{
	if (!cli_has(a, "new"))
		return 0;
	int any = anomalies_newest_batch(st, &q->only_from, &q->only_to);
	if (any < 0)
		return -1;
	if (!any)
		q->only_from = INT64_MAX, q->only_to = INT64_MIN;
	return 0;
}

static int cli_anomalies_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct anomaly_settings set;
	struct anomaly_query q = { 0 };
	struct anomaly_result r = { 0 };
	char **by = NULL, **drv = NULL;
	size_t nby = 0, ndrv = 0;
	int rc;
	query_init(&q);
	if (cli_query_opts(a, &q.base) < 0)
		return CLI_EUSAGE;
	if ((rc = settings_opts(a, cfg, &set, &drv, &ndrv)) < 0)
		goto out;
	by = cli_split_commas(cli_get(a, "by"), &nby);
	q.dims = (const char *const *)by;
	q.ndims = nby;
	if ((rc = newest_opt(a, st, &q)) < 0 || (rc = anomalies_run(st, cfg, &q, &set, &r)) < 0)
		goto out;
	print_json(&r, &set, out);
out:
	anomalies_release(&r);
	cli_strv_free(by, nby);
	cli_strv_free(drv, ndrv);
	return rc;
}

const struct cli_json_cmd cli_anomalies_cmd = { "anomalies", opts, sizeof opts / sizeof opts[0], cli_anomalies_json,
						"cost anomalies with root-cause drivers" };

int cmd_anomalies(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct anomaly_settings set;
	struct anomaly_query q = { 0 };
	struct anomaly_result r = { 0 };
	struct store *st = NULL;
	char **by = NULL, **drv = NULL;
	size_t nby = 0, ndrv = 0;
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("anomalies: unexpected argument '%s'", a.pos[0]);
	query_init(&q);
	if (cli_query_opts(&a, &q.base) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	int src = settings_opts(&a, &cfg, &set, &drv, &ndrv);
	if (src < 0) {
		rc = src == CLI_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	by = cli_split_commas(cli_get(&a, "by"), &nby);
	q.dims = (const char *const *)by;
	q.ndims = nby;
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (newest_opt(&a, st, &q) < 0)
		goto out;
	if (anomalies_run(st, &cfg, &q, &set, &r) < 0)
		goto out;
	if (fmt == FMT_JSON) {
		print_json(&r, &set, stdout);
	} else {
		struct table t;
		fill_table(&r, &t);
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char f[11] = "-", to[11] = "-";
			if (r.series.ndays) {
				format_day(r.series.from_day, f);
				format_day(r.series.from_day + (int64_t)r.series.ndays - 1, to);
			}
			printf("%zu anomal%s in %zu series, %s to %s, %s (min impact %g, min %g%%, threshold %.1f)\n\n",
			       r.n, r.n == 1 ? "y" : "ies", r.series.nscopes, f, to, r.series.currency, set.min_impact,
			       set.min_pct, set.threshold);
			if (r.n)
				table_print(&t, stdout);
		}
		table_release(&t);
	}
	rc = EXIT_OK;
out:
	anomalies_release(&r);
	if (st)
		st->ops->close(st);
	cli_strv_free(by, nby);
	cli_strv_free(drv, ndrv);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
