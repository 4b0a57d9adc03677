/*
 * api.c - the API's route table and the handlers that are not a CLI
 * command's JSON (meta, budgets for team tokens, the CSV export, recommend).
 * Adding an endpoint is one line in routes[] (plus a handler when it is not
 * a command); the OpenAPI document is generated from this table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/alloc.h"
#include "core/config.h"
#include "formats/focus.h"
#include "http/api.h"
#include "store/store.h"

#if defined(__has_include)
#if __has_include("core/recommend.h")
#include "core/recommend.h"
#define HAVE_RECOMMEND 1
#endif
#endif

/* ---- /api/budgets: a team token sees its own budgets ---------------------- */

static int team_budget(const struct budget *b, void *arg)
{
	for (size_t i = 0; i < b->nscope; i++)
		if (!strcmp(b->scope_keys[i], "team") && !strcmp(b->scope_vals[i], (const char *)arg))
			return 1;
	return 0;
}

static int run_budgets(const struct api_call *c, FILE *out)
{
	if (!c->team)
		return cli_budgets_cmd.json(c->args, c->st, c->cfg, out);
	return cli_budgets_json_only(c->args, c->st, c->cfg, out, team_budget, (void *)c->team);
}

static int run_report_csv(const struct api_call *c, FILE *out)
{
	return cli_report_csv(c->args, c->st, c->cfg, out);
}

/* ---- /api/meta: what the dashboard needs to build its controls ------------- */

static int on_metric(void *arg, const char *name)
{
	FILE *f = arg;
	json_str(f, name);
	fputc(',', f);
	return 0;
}

static int run_meta(const struct api_call *c, FILE *out)
{
	static const int cols[] = { FC_SERVICE_CATEGORY, FC_SERVICE_SUBCATEGORY, FC_SERVICE_NAME, FC_SERVICE_PROVIDER_NAME,
				    FC_REGION_ID, FC_SUB_ACCOUNT_NAME, FC_RESOURCE_TYPE, FC_RESOURCE_ID, FC_CHARGE_CATEGORY,
				    FC_PRICING_CATEGORY, FC_SKU_METER, FC_CONSUMED_UNIT };
	int32_t dmin = 0, dmax = -1;
	int any = c->st->ops->day_range(c->st, &dmin, &dmax);
	if (any < 0)
		return -1;
	char from[11] = "", to[11] = "";
	if (any) {
		format_day(dmin, from);
		format_day(dmax, to);
	}
	fprintf(out, "{\"version\":\"0.1.0\",\"from\":");
	if (any)
		fprintf(out, "\"%s\",\"to\":\"%s\"", from, to);
	else
		fprintf(out, "null,\"to\":null");
	fprintf(out, ",\"team\":");
	if (c->team)
		json_str(out, c->team);
	else
		fprintf(out, "null");
	fprintf(out, ",\"dimensions\":[");
	size_t k = 0;
	for (size_t d = 0; d < alloc_ndims(c->cfg); d++)
		if (d == 0 || c->cfg->dims[d].configured) {
			fprintf(out, k++ ? "," : "");
			json_str(out, alloc_dim_name(c->cfg, (int)d));
		}
	fprintf(out, ",\"spend\"],\"columns\":[");
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		fprintf(out, i ? "," : "");
		json_str(out, focus_columns[cols[i]].name);
	}
	fprintf(out, "],\"metrics\":[");
	/* metric_names writes "a","b", with a trailing comma; the built-ins close the list. */
	if (c->st->ops->metric_names(c->st, on_metric, out) < 0)
		return -1;
	fprintf(out, "\"tokens\",\"1k_tokens\",\"1m_tokens\",\"requests\"],\"budgets\":[");
	k = 0;
	for (size_t i = 0; i < c->cfg->nbudgets; i++) {
		if (c->team && !team_budget(&c->cfg->budgets[i], (void *)c->team))
			continue;
		fprintf(out, k++ ? "," : "");
		json_str(out, c->cfg->budgets[i].name);
	}
	fprintf(out, "],\"shared_rules\":%zu,\"recommend\":%s}\n", c->cfg->nshared,
#ifdef HAVE_RECOMMEND
		"true"
#else
		"false"
#endif
	);
	return 0;
}

/* ---- /api/recommend (core/recommend.h, when this build has it) ------------- */

#ifdef HAVE_RECOMMEND
static const struct cli_opt recommend_opts[] = {
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "kind", 1, 0, "only these kinds, comma separated (idle-gpu, rightsize-gpu, commitment, ...)" },
	{ "min-savings", 1, 0, "leave out findings saving less a month (billing currency)" },
};

static int run_recommend(const struct api_call *c, FILE *out)
{
	struct recommend_opts o = { 0 };
	struct recommend_result r;
	if (cli_range_opts(c->args, &o.amount, &o.from_day, &o.to_day) < 0)
		return CLI_EUSAGE;
	o.where = cli_all(c->args, "where", &o.nwhere);
	if (cli_get(c->args, "kind")) {
		size_t n;
		char **k = cli_split_commas(cli_get(c->args, "kind"), &n);
		for (size_t i = 0; i < n; i++) {
			int id = rec_kind_parse(k[i]);
			if (id < 0) {
				error("--kind: '%s' is not a recommendation kind", k[i]);
				cli_strv_free(k, n);
				return CLI_EUSAGE;
			}
			o.kinds |= 1u << id;
		}
		cli_strv_free(k, n);
	}
	if (cli_get(c->args, "min-savings")) {
		if (money_parse(cli_get(c->args, "min-savings"), strlen(cli_get(c->args, "min-savings")), &o.min_savings, NULL) < 0 ||
		    o.min_savings < 0) {
			error("--min-savings: '%s' is not an amount >= 0", cli_get(c->args, "min-savings"));
			return CLI_EUSAGE;
		}
		o.have_min_savings = 1;
	}
	int rc = recommend_run(c->st, c->cfg, &o, &r);
	if (rc == 0)
		recommend_write_json(&r, out);
	recommend_result_release(&r);
	return rc;
}
#endif

/* ---- the table ----------------------------------------------------------- */

static const char S_REPORT[] =
	"{\"type\":\"object\",\"required\":[\"currency\",\"cost_metric\",\"from\",\"to\",\"by\",\"rows\",\"total\","
	"\"unallocated\"],\"properties\":{\"currency\":{\"type\":\"string\"},\"cost_metric\":{\"type\":\"string\"},"
	"\"from\":{\"type\":\"string\"},\"to\":{\"type\":\"string\"},\"by\":{\"type\":\"array\",\"items\":{\"type\":"
	"\"string\"}},\"rows\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"cost\"],"
	"\"additionalProperties\":true,\"properties\":{\"cost\":{\"type\":\"number\"}}}},\"total\":{\"type\":"
	"\"number\"},\"unallocated\":{\"type\":\"number\"},\"untagged\":{\"type\":\"number\"}}}";
static const char S_ANOM[] =
	"{\"type\":\"object\",\"required\":[\"anomalies\"],\"properties\":{\"anomalies\":{\"type\":\"array\",\"items\":"
	"{\"type\":\"object\",\"required\":[\"start\",\"end\",\"scope\",\"expected\",\"actual\",\"impact\",\"score\","
	"\"drivers\"],\"properties\":{\"drivers\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":"
	"[\"dimension\",\"value\",\"impact\"]}}}}}}}";
static const char S_FC[] =
	"{\"type\":\"object\",\"required\":[\"horizon_days\",\"series\"],\"properties\":{\"series\":{\"type\":\"array\","
	"\"items\":{\"type\":\"object\",\"required\":[\"scope\",\"points\",\"total\"],\"properties\":{\"points\":{\"type\":"
	"\"array\",\"items\":{\"type\":\"object\",\"required\":[\"date\",\"yhat\",\"lo\",\"hi\"]}}}}}}}";
static const char S_BUDGETS[] =
	"{\"type\":\"object\",\"required\":[\"budgets\"],\"properties\":{\"budgets\":{\"type\":\"array\",\"items\":{"
	"\"type\":\"object\",\"required\":[\"name\",\"scope\",\"period\",\"limit\",\"actual\",\"forecast\",\"status\","
	"\"breach_date\"],\"properties\":{\"status\":{\"enum\":[\"ok\",\"warning\",\"breach\",\"forecast_breach\"]}}}}}}";
static const char S_GPU[] =
	"{\"type\":\"object\",\"required\":[\"rows\"],\"properties\":{\"rows\":{\"type\":\"array\",\"items\":{\"type\":"
	"\"object\",\"required\":[\"gpu_hours\",\"avg_util\",\"idle_hours\",\"cost\",\"idle_cost\"]}}}}";
static const char S_UNIT[] =
	"{\"type\":\"object\",\"required\":[\"metric\",\"rows\"],\"properties\":{\"rows\":{\"type\":\"array\",\"items\":"
	"{\"type\":\"object\",\"required\":[\"cost\",\"units\",\"unit_cost\"]}}}}";
static const char S_CARBON[] =
	"{\"type\":\"object\",\"required\":[\"rows\"],\"properties\":{\"rows\":{\"type\":\"array\",\"items\":{\"type\":"
	"\"object\",\"required\":[\"kwh\",\"kg_co2e\"]}}}}";
static const char S_SOURCES[] =
	"{\"type\":\"object\",\"required\":[\"sources\"],\"properties\":{\"sources\":{\"type\":\"array\",\"items\":{"
	"\"type\":\"object\",\"required\":[\"id\",\"path\",\"sha256\",\"status\",\"accepted\",\"rejected\",\"totals\"]}}}}";
static const char S_CHECK[] =
	"{\"type\":\"object\",\"required\":[\"checks\",\"errors\",\"warnings\",\"findings\",\"passed\"]}";
static const char S_META[] =
	"{\"type\":\"object\",\"required\":[\"from\",\"to\",\"dimensions\",\"columns\",\"metrics\",\"budgets\","
	"\"shared_rules\",\"recommend\"]}";
static const char S_METRICS[] = "{\"type\":\"string\",\"description\":\"Prometheus text exposition format 0.0.4\"}";
static const char S_CSV[] = "{\"type\":\"string\",\"description\":\"RFC 4180 CSV, the bytes of aicost report --format csv\"}";
#ifdef HAVE_RECOMMEND
static const char S_REC[] =
	"{\"type\":\"object\",\"required\":[\"recommendations\",\"total_monthly_savings\"],\"properties\":{"
	"\"recommendations\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"id\",\"kind\","
	"\"resource_id\",\"scope\",\"monthly_savings\",\"confidence\",\"evidence\",\"action\"]}},"
	"\"total_monthly_savings\":{\"type\":\"number\"}}}";
#endif

static const char TEXT_PROM[] = "text/plain; version=0.0.4; charset=utf-8";

const struct api_route api_routes[] = {
	{ "/api/report", &cli_report_cmd, NULL, NULL, 0, "format,chargeback", NULL, SCOPE_WHERE, NULL,
	  "Cost allocation by any dimensions (aicost report)", S_REPORT },
	{ "/api/report.csv", &cli_report_cmd, run_report_csv, NULL, 0, "format,chargeback", NULL, SCOPE_WHERE,
	  "text/csv; charset=utf-8", "The same report as CSV with exact amounts (aicost report --format csv)", S_CSV },
	{ "/api/gpu", &cli_gpu_cmd, NULL, NULL, 0, "format", NULL, SCOPE_WHERE, NULL,
	  "GPU hours, utilization, idle hours and idle cost (aicost gpu)", S_GPU },
	{ "/api/unit-cost", &cli_unit_cost_cmd, NULL, NULL, 0, "format", NULL, SCOPE_WHERE, NULL,
	  "Cost per business unit (aicost unit-cost)", S_UNIT },
	{ "/api/carbon", &cli_carbon_cmd, NULL, NULL, 0, "format", NULL, SCOPE_WHERE, NULL,
	  "Energy and emissions (aicost carbon)", S_CARBON },
	{ "/api/anomalies", &cli_anomalies_cmd, NULL, NULL, 0, "format", NULL, SCOPE_WHERE, NULL,
	  "Cost anomalies with root-cause drivers (aicost anomalies)", S_ANOM },
	{ "/api/forecast", &cli_forecast_cmd, NULL, NULL, 0, "format,scenario", NULL, SCOPE_WHERE, NULL,
	  "Spend forecast with prediction intervals (aicost forecast)", S_FC },
	{ "/api/budgets", &cli_budgets_cmd, run_budgets, NULL, 0, "format,no-notify,fail-on,notify-timeout", "no-notify",
	  SCOPE_BUDGETS, NULL, "Budget status and forecast breaches (aicost budgets --no-notify)", S_BUDGETS },
#ifdef HAVE_RECOMMEND
	{ "/api/recommend", NULL, run_recommend, recommend_opts, sizeof recommend_opts / sizeof recommend_opts[0], NULL,
	  NULL, SCOPE_WHERE, NULL, "Savings recommendations with evidence (aicost recommend)", S_REC },
#endif
	{ "/api/sources", &cli_sources_cmd, NULL, NULL, 0, "format", NULL, SCOPE_ADMIN, NULL,
	  "Ingested files with row counts and totals (aicost sources)", S_SOURCES },
	{ "/api/check", &cli_check_cmd, NULL, NULL, 0, "format,strict", NULL, SCOPE_ADMIN, NULL,
	  "Policy checks (aicost check)", S_CHECK },
	{ "/api/meta", NULL, run_meta, NULL, 0, NULL, NULL, SCOPE_ANY, NULL,
	  "The ledger's date range, dimensions, metrics and visible budgets (for the dashboard)", S_META },
	{ "/metrics", NULL, api_metrics, NULL, 0, NULL, NULL, SCOPE_ADMIN, TEXT_PROM,
	  "Prometheus metrics: spend by team, service and model, budgets, GPUs, anomalies", S_METRICS },
};
const size_t api_nroutes = sizeof api_routes / sizeof api_routes[0];

const struct api_route *api_route_find(const char *path)
{
	for (size_t i = 0; i < api_nroutes; i++)
		if (!strcmp(api_routes[i].path, path))
			return &api_routes[i];
	return NULL;
}

const struct cli_opt *api_route_opts(const struct api_route *rt, size_t *n)
{
	if (rt->cmd && !rt->opts) {
		*n = rt->cmd->nopts;
		return rt->cmd->opts;
	}
	*n = rt->nopts;
	return rt->opts;
}

int api_route_denies(const struct api_route *rt, const char *name)
{
	size_t len = strlen(name);
	for (const char *s = rt->deny; s && *s;) {
		const char *c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		if (n == len && !memcmp(s, name, n))
			return 1;
		s = c ? c + 1 : NULL;
	}
	return 0;
}
