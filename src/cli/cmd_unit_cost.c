/* cmd_unit_cost.c - `aicost unit-cost --metric NAME [--by DIMS]`: cost per business unit (docs/unit-cost.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/unit_cost.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "metric", 1, 0, "business metric (aicost ingest metrics) or a built-in: tokens, 1k_tokens, 1m_tokens, requests" },
	{ "by", 1, 0, "dimensions, comma separated (FOCUS columns, tag:KEY, allocation dimensions, day/week/month)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "all-cost", 0, 0, "built-in metrics: divide all cost, not only the token (or LLM) charges" },
};

static const char usage[] = "unit-cost --metric NAME [--by DIMS] [--where DIM=VALUE]... [--from D] [--to D] [--cost C] [--format F]";
static const char desc[] =
	"Cost per business unit: cost (from the ledger, allocated like `report`) divided by\n"
	"the units of a metric with the same dimension values. Metrics come from\n"
	"`aicost ingest metrics`, or are built in: tokens, 1k_tokens, 1m_tokens (ConsumedQuantity\n"
	"of Tokens charges; cost of those charges) and requests (LLM requests; cost of the\n"
	"Generative AI charges). Rows with cost but no units (or units but no cost) are shown\n"
	"without a unit cost and summed in the footer.";

/* A unit cost for humans: at least 2 decimals, enough for 4 significant digits (0.0000025 per token). */
static void human_unit(money_t v, char *out)
{
	money_t a = v < 0 ? -v : v, p = MONEY_ONE;
	int k = 0;
	while (k < 18 && a < p) {   /* afterwards a >= 10^-k: the first significant decimal is the k-th */
		p /= 10;
		k++;
	}
	int frac = k + 3 > 18 ? 18 : k + 3 < 2 ? 2 : k + 3;
	money_format(v, out, 2, frac);
}

static void print_json(const struct unit_result *r, const char *metric, const char *const *by, size_t nby, int amount,
		       FILE *f)
{
	static const char *cn[] = { "billed", "effective", "list", "contracted" };
	char from[11] = "", to[11] = "";
	if (r->from_day <= r->to_day) {
		format_day(r->from_day, from);
		format_day(r->to_day, to);
	}
	fprintf(f, "{\"metric\":");
	json_str(f, metric);
	fprintf(f, ",\"builtin\":%s,\"unit\":", r->builtin ? "true" : "false");
	json_str(f, r->units_desc);
	fprintf(f, ",\"currency\":");
	json_str(f, r->currency);
	fprintf(f, ",\"cost_metric\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"by\":[", cn[amount], from, to);
	for (size_t d = 0; d < nby; d++) {
		fprintf(f, d ? "," : "");
		json_str(f, by[d]);
	}
	fprintf(f, "],\"rows\":[");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct unit_row *u = &r->rows[i];
		fprintf(f, i ? ",{" : "{");
		for (size_t d = 0; d < nby; d++) {
			json_str(f, by[d]);
			fputc(':', f);
			json_str(f, u->vals[d]);
			fputc(',', f);
		}
		fprintf(f, "\"cost\":");
		json_money(f, u->cost);
		fprintf(f, ",\"units\":");
		json_money(f, u->units);
		fprintf(f, ",\"unit_cost\":");
		if (u->has_unit_cost)
			json_money(f, u->unit_cost);
		else
			fprintf(f, "null");
		fprintf(f, "}");
	}
	fprintf(f, "],\"total\":{\"cost\":");
	json_money(f, r->cost);
	fprintf(f, ",\"units\":");
	json_money(f, r->units);
	fprintf(f, ",\"unit_cost\":");
	if (r->has_unit_cost)
		json_money(f, r->unit_cost);
	else
		fprintf(f, "null");
	fprintf(f, "},\"cost_without_units\":");
	json_money(f, r->cost_without_units);
	fprintf(f, ",\"units_without_cost\":");
	json_money(f, r->units_without_cost);
	fprintf(f, "}\n");
}

static void fill(const struct unit_result *r, const char *const *by, size_t nby, struct table *t, int exact)
{
	const char **head = xcalloc(nby + 3, sizeof *head);
	int *money = xcalloc(nby + 3, sizeof *money);
	for (size_t d = 0; d < nby; d++)
		head[d] = by[d];
	head[nby] = "cost";
	head[nby + 1] = "units";
	head[nby + 2] = "unit_cost";
	money[nby] = 1;
	money[nby + 1] = 2;
	money[nby + 2] = 2;
	table_init(t, nby + 3, head, money);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct unit_row *u = &r->rows[i];
		char b[MONEY_BUFSZ];
		table_add_row(t);
		for (size_t d = 0; d < nby; d++)
			table_set(t, d, u->vals[d][0] || exact ? u->vals[d] : "(none)");
		table_set_money(t, nby, u->cost);
		money_str(u->units, b);
		table_set(t, nby + 1, b);
		if (u->has_unit_cost) {
			if (exact)
				money_str(u->unit_cost, b);
			else
				human_unit(u->unit_cost, b);
			table_set(t, nby + 2, b);
		} else {
			table_set(t, nby + 2, exact ? "" : "-");
		}
	}
	free(head);
	free(money);
}

/* The options before the config: --metric, --cost, --from, --to, --where, --all-cost. 0 or CLI_EUSAGE. */
static int unit_opts(const struct cli_args *a, struct unit_query *q)
{
	q->metric = cli_get(a, "metric");
	if (!q->metric || !*q->metric) {
		error("unit-cost: --metric NAME is required (a metric from 'aicost ingest metrics', or tokens, "
		      "1k_tokens, 1m_tokens, requests)");
		return CLI_EUSAGE;
	}
	if (cli_range_opts(a, &q->amount, &q->from_day, &q->to_day) < 0)
		return CLI_EUSAGE;
	q->where = cli_all(a, "where", &q->nwhere);
	q->all_cost = cli_has(a, "all-cost");
	return 0;
}

static int cli_unit_cost_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct unit_query q = { 0 };
	struct unit_result r;
	size_t nby = 0;
	if (unit_opts(a, &q) < 0)
		return CLI_EUSAGE;
	char **by = cli_split_commas(cli_get(a, "by"), &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	int rc = unit_cost_run(st, cfg, &q, &r);
	if (rc == 0) {
		print_json(&r, q.metric, q.by, nby, q.amount, out);
		unit_cost_release(&r);
	}
	cli_strv_free(by, nby);
	return rc;
}

const struct cli_json_cmd cli_unit_cost_cmd = { "unit-cost", opts, sizeof opts / sizeof opts[0], cli_unit_cost_json,
						"cost per business unit (per prediction, per 1K tokens, per transaction)" };

int cmd_unit_cost(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct unit_query q = { 0 };
	struct unit_result r;
	struct store *st = NULL;
	char **by = NULL;
	size_t nby = 0;
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("unit-cost: unexpected argument '%s'", a.pos[0]);
	if (unit_opts(&a, &q) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	by = cli_split_commas(cli_get(&a, "by"), &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (unit_cost_run(st, &cfg, &q, &r) < 0)
		goto out;
	if (fmt == FMT_JSON) {
		print_json(&r, q.metric, q.by, nby, q.amount, stdout);
	} else {
		struct table t;
		fill(&r, q.by, nby, &t, fmt == FMT_CSV);
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char c[MONEY_BUFSZ + 16], u[MONEY_BUFSZ], uc[MONEY_BUFSZ] = "-", cw[MONEY_BUFSZ + 16], uw[MONEY_BUFSZ];
			printf("cost per %s (%s), %s\n\n", r.units_desc, q.metric, r.currency);
			table_print(&t, stdout);
			money_human(r.cost, c);
			money_str(r.units, u);
			if (r.has_unit_cost)
				human_unit(r.unit_cost, uc);
			money_human(r.cost_without_units, cw);
			money_str(r.units_without_cost, uw);
			printf("\ntotal               cost %s, units %s, unit cost %s\n", c, u, uc);
			printf("cost without units  %s (rows with no %s units: no unit cost)\n", cw, q.metric);
			printf("units without cost  %s\n", uw);
		}
		table_release(&t);
	}
	unit_cost_release(&r);
	rc = EXIT_OK;
out:
	if (st)
		st->ops->close(st);
	cli_strv_free(by, nby);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
