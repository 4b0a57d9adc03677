/*
 * cmd_carbon.c - `aicost carbon`: energy (kWh) and emissions (kg CO2e) by
 * any dimension.
 *
 * The report engine does the grouping: each FOCUS line's ConsumedQuantity is
 * scaled by its CCF estimate (core/carbon.h) once to kWh and once to kg CO2e,
 * and its cost is summed beside them, so energy, emissions and the cost they
 * belong to come out by the same dimensions and rules (allocation, shared
 * cost, --where). Rows are matched across the runs by their dimension values.
 *
 * Where GPU telemetry is joined to a billed host (core/gpu_query.h), the
 * measured GPU energy replaces the estimated GPU part of that host's lines
 * for the GPU-hours the telemetry covers: the estimate keeps CPU, memory and
 * the uncovered GPU-hours, and the telemetry adds the GPUs' energy (board
 * power x time, times the provider's PUE) by the same dimensions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/alloc.h"
#include "core/carbon.h"
#include "core/config.h"
#include "core/gpu_query.h"
#include "core/report.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/dict.h"

static const struct cli_opt opts[] = {
	{ "by", 1, 0, "dimensions, comma separated (default team, else ServiceName)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "cost column shown beside the energy (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "cpu-util", 1, 0, "average CPU utilization assumed, percent (default 50, as CCF)" },
	{ "gpu-util", 1, 0, "average GPU utilization assumed, percent (default 50)" },
};

static const char usage[] = "carbon [--by DIMS] [--where DIM=VALUE]... [--from D] [--to D] [--format F]";
static const char desc[] =
	"Energy (kWh, data-center PUE included) and location-based emissions (kg CO2e)\n"
	"of billed usage, estimated with the Cloud Carbon Footprint method: compute\n"
	"instance-hours from vCPU and GPU power (average watts = min + utilization x\n"
	"(max - min)), storage GB-months, network GB; times the region's grid factor.\n"
	"Charges with no energy method (API calls, tokens, support) are counted, not\n"
	"zeroed: 'coverage' is the share of usage cost the estimate covers. See docs/carbon.md.";

/* The report runs: energy, emissions, all cost, usage cost, usage cost with an estimate. */
enum { RUN_KWH, RUN_KG, RUN_COST, RUN_USAGE, RUN_COVERED, RUN__COUNT };
/* A run before them: GPU-hours billed on hosts with telemetry (by ResourceId). */
enum { RUN_BILLED_GPU_HOURS = RUN__COUNT };

struct scale_ctx {
	const struct carbon_model *m;
	int run;
	size_t lines, estimated, fallback_factor, measured_lines;
	struct dict measured;         /* ResourceId -> index in covered[]/billed[] */
	double *covered;              /* GPU-hours the telemetry covers, by ResourceId */
	double *billed;               /* GPU-hours the bill's instance lines hold, by ResourceId */
	size_t nmeasured;
};

static int measured_index(const struct scale_ctx *c, const char *rid, uint32_t *at)
{
	return rid && dict_get(&c->measured, rid, strlen(rid), hash_bytes(rid, strlen(rid)), at);
}

/* Share of a host's billed GPU-hours that telemetry covers (0..1). */
static double covered_share(const struct scale_ctx *c, uint32_t at)
{
	if (!(c->billed[at] > 0))
		return 1;
	double f = c->covered[at] / c->billed[at];
	return f > 1 ? 1 : f;
}

static int scale_line(void *arg, const struct alloc_line *l, money_t *scale)
{
	struct scale_ctx *c = arg;
	struct carbon_est e;
	if (c->run == RUN_BILLED_GPU_HOURS) {
		uint32_t at;
		if (carbon_estimate(c->m, l, &e) != CK_INSTANCE || !e.gpus || !measured_index(c, l->vals[FC_RESOURCE_ID], &at))
			return 0;
		*scale = money_from_int(e.gpus);
		return 1;
	}
	if (c->run == RUN_USAGE) {
		const char *cc = l->vals[FC_CHARGE_CATEGORY];
		*scale = MONEY_ONE;
		return !cc || !strcasecmp(cc, "Usage");
	}
	enum carbon_kind k = carbon_estimate(c->m, l, &e);
	if (c->run == RUN_KWH) {
		c->lines++;
		if (k != CK_NONE) {
			c->estimated++;
			c->fallback_factor += (size_t)e.factor_estimated;
		}
	}
	if (k == CK_NONE)
		return 0;
	uint32_t at;
	double kwh = e.kwh_per_unit;
	if (e.gpu_kwh_per_unit > 0 && measured_index(c, l->vals[FC_RESOURCE_ID], &at)) {
		kwh -= e.gpu_kwh_per_unit * covered_share(c, at);
		c->measured_lines += c->run == RUN_KWH;
	}
	switch (c->run) {
	case RUN_KWH:
		*scale = carbon_fixed(kwh);
		break;
	case RUN_KG:
		*scale = carbon_fixed(kwh * e.kg_per_kwh);
		break;
	default:
		*scale = MONEY_ONE;
	}
	return 1;
}

struct row {
	const char **vals;
	money_t v[RUN__COUNT];
	money_t gpu_kwh;              /* of v[RUN_KWH]: measured by GPU telemetry */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->v[RUN_KG] != y->v[RUN_KG])
		return x->v[RUN_KG] > y->v[RUN_KG] ? -1 : 1;
	return x->v[RUN_COST] > y->v[RUN_COST] ? -1 : x->v[RUN_COST] < y->v[RUN_COST];
}

static size_t key_of(const char *const *vals, size_t n, char *buf, size_t cap)
{
	size_t k = 0;
	for (size_t d = 0; d < n; d++) {
		size_t vn = strlen(vals[d]);
		if (k + vn + 1 > cap)
			vn = cap > k + 1 ? cap - k - 1 : 0;
		memcpy(buf + k, vals[d], vn);
		k += vn;
		if (k < cap)
			buf[k++] = 0x1f;
	}
	return k;
}

static void pct(money_t part, money_t total, char *out)
{
	money_t p = 0;
	if (total == 0) {
		strcpy(out, "-");
		return;
	}
	money_muldiv(part, money_from_int(100), total, &p);
	money_format(p, out, 1, 1);
	strcat(out, "%");
}

/*
 * The ResourceIds of billed hosts whose GPUs reported energy in the range,
 * with the GPU-hours telemetry covers and the GPU-hours their bill lines hold.
 */
static int measured_hosts(struct store *st, const struct config *cfg, const struct report_query *rq, struct scale_ctx *c)
{
	const char *by[] = { "ResourceId" };
	struct gpu_query q = { .by = by, .nby = 1, .where = rq->where, .nwhere = rq->nwhere, .amount = rq->amount,
			       .from_day = rq->from_day, .to_day = rq->to_day, .idle_threshold = 5 };
	struct gpu_result r;
	if (gpu_query_run(st, cfg, &q, &r) < 0)
		return -1;
	c->covered = xcalloc(r.nrows + 1, sizeof *c->covered);
	c->billed = xcalloc(r.nrows + 1, sizeof *c->billed);
	for (size_t i = 0; i < r.nrows; i++) {
		const char *v = r.rows[i].vals[0];
		if (v && *v && r.rows[i].energy_kwh > 0) {
			dict_put(&c->measured, v, strlen(v), hash_bytes(v, strlen(v)), (uint32_t)c->nmeasured);
			c->covered[c->nmeasured++] = r.rows[i].gpu_hours;
		}
	}
	gpu_query_release(&r);
	if (!c->nmeasured)
		return 0;
	struct report_query bq = *rq;
	const char *bby[] = { "ResourceId" };
	struct report_result br;
	bq.by = bby;
	bq.nby = 1;
	bq.amount = FA_CONSUMED_QTY;
	bq.line_scale = scale_line;
	bq.line_scale_arg = c;
	bq.no_shared = 1;
	c->run = RUN_BILLED_GPU_HOURS;
	if (report_run(st, cfg, &bq, &br) < 0)
		return -1;
	for (size_t i = 0; i < br.nrows; i++) {
		uint32_t at;
		if (measured_index(c, br.rows[i].vals[0], &at))
			c->billed[at] += money_to_double(br.rows[i].cost);
	}
	report_release(&br);
	return 0;
}

/*
 * Add the measured GPU energy by the same dimensions (plus the joined line's
 * provider and region, for PUE and grid factor) into the rows, creating rows
 * the bill estimate did not have. *gres keeps the strings of new rows.
 */
static int add_measured(struct store *st, const struct config *cfg, const struct report_query *rq,
			const struct carbon_model *m, struct dict *idx, struct row **rows, size_t *nrows,
			struct gpu_result *gres, money_t *kg_total)
{
	size_t nby = rq->nby;
	const char **by = xcalloc(nby + 2, sizeof *by);
	for (size_t d = 0; d < nby; d++)
		by[d] = rq->by[d];
	by[nby] = "ServiceProviderName";
	by[nby + 1] = "RegionId";
	struct gpu_query q = { .by = by, .nby = nby + 2, .where = rq->where, .nwhere = rq->nwhere,
			       .amount = rq->amount, .from_day = rq->from_day, .to_day = rq->to_day, .idle_threshold = 5 };
	int rc = gpu_query_run(st, cfg, &q, gres);
	free(by);
	if (rc < 0)
		return -1;
	char kbuf[4096];
	for (size_t i = 0; i < gres->nrows; i++) {
		const struct gpu_row *g = &gres->rows[i];
		if (!(g->energy_kwh > 0))
			continue;
		const char *prov = g->vals[nby], *region = g->vals[nby + 1];
		int est;
		double kwh = g->energy_kwh * carbon_pue(prov);
		double kg = kwh * carbon_grid_factor(m, prov, region, &est);
		size_t k = key_of(g->vals, nby, kbuf, sizeof kbuf);
		uint64_t h = hash_bytes(kbuf, k);
		uint32_t at;
		if (!dict_get(idx, kbuf, k, h, &at)) {
			at = (uint32_t)*nrows;
			dict_put(idx, kbuf, k, h, at);
			*rows = xrealloc(*rows, (*nrows + 1) * sizeof **rows);
			memset(&(*rows)[*nrows], 0, sizeof **rows);
			(*rows)[(*nrows)++].vals = g->vals;
		}
		(*rows)[at].gpu_kwh += carbon_fixed(kwh);
		(*rows)[at].v[RUN_KG] += carbon_fixed(kg);
		*kg_total += carbon_fixed(kg);
	}
	return 0;
}

/* Everything one carbon query computes; carbon_release frees it. */
struct carbon_run {
	struct report_result res[RUN__COUNT];
	int ran;
	struct carbon_model *m;
	struct row *rows;
	size_t nrows;
	struct dict idx;
	struct gpu_result gres;
	struct scale_ctx sc;
	money_t tot[RUN__COUNT], tot_gpu;
};

/* --cpu-util/--gpu-util; 0 or CLI_EUSAGE. */
static int util_opts(const struct cli_args *a, struct carbon_opts *co)
{
	const char *u;
	co->cpu_util = 0.5;
	co->gpu_util = 0.5;
	if ((u = cli_get(a, "cpu-util"))) {
		char *end;
		co->cpu_util = strtod(u, &end) / 100.0;
		if (*end || co->cpu_util < 0 || co->cpu_util > 1) {
			error("--cpu-util: '%s' is not a percentage (0-100)", u);
			return CLI_EUSAGE;
		}
	}
	if ((u = cli_get(a, "gpu-util"))) {
		char *end;
		co->gpu_util = strtod(u, &end) / 100.0;
		if (*end || co->gpu_util < 0 || co->gpu_util > 1) {
			error("--gpu-util: '%s' is not a percentage (0-100)", u);
			return CLI_EUSAGE;
		}
	}
	return 0;
}

static void carbon_release(struct carbon_run *c)
{
	for (int r = 0; r < c->ran; r++)
		report_release(&c->res[r]);
	free(c->rows);
	dict_release(&c->idx);
	dict_release(&c->sc.measured);
	free(c->sc.covered);
	free(c->sc.billed);
	if (c->gres.priv || c->gres.rows)
		gpu_query_release(&c->gres);
	carbon_free(c->m);
}

/* Run the queries of q (q->amount: the cost column) into *c (zeroed here). 0 or -1 after reporting. */
static int carbon_compute(struct store *st, const struct config *cfg, struct report_query *q,
			  const struct carbon_opts *co, struct carbon_run *c)
{
	memset(c, 0, sizeof *c);
	dict_init(&c->idx);
	dict_init(&c->sc.measured);
	int cost_col = q->amount;
	size_t nby = q->nby;
	if (!(c->m = carbon_load(co)))
		return -1;
	c->sc.m = c->m;
	if (measured_hosts(st, cfg, q, &c->sc) < 0)
		return -1;
	for (int r = 0; r < RUN__COUNT; r++) {
		c->sc.run = r;
		q->amount = r == RUN_KWH || r == RUN_KG ? FA_CONSUMED_QTY : cost_col;
		q->line_scale = r == RUN_COST ? NULL : scale_line;
		q->line_scale_arg = &c->sc;
		int rc = report_run(st, cfg, q, &c->res[r]);
		q->amount = cost_col;
		q->line_scale = NULL;
		if (rc < 0)
			return -1;
		c->ran = r + 1;
	}
	/* Join the four results on their dimension values. */
	char kbuf[4096];
	for (int r = 0; r < RUN__COUNT; r++)
		for (size_t i = 0; i < c->res[r].nrows; i++) {
			size_t k = key_of(c->res[r].rows[i].vals, nby, kbuf, sizeof kbuf);
			uint64_t h = hash_bytes(kbuf, k);
			uint32_t at;
			if (!dict_get(&c->idx, kbuf, k, h, &at)) {
				at = (uint32_t)c->nrows;
				dict_put(&c->idx, kbuf, k, h, at);
				c->rows = xrealloc(c->rows, (c->nrows + 1) * sizeof *c->rows);
				memset(&c->rows[c->nrows], 0, sizeof *c->rows);
				c->rows[c->nrows++].vals = c->res[r].rows[i].vals;
			}
			c->rows[at].v[r] += c->res[r].rows[i].cost;
		}
	for (int r = 0; r < RUN__COUNT; r++)
		c->tot[r] = c->res[r].total;
	q->amount = cost_col;
	if (add_measured(st, cfg, q, c->m, &c->idx, &c->rows, &c->nrows, &c->gres, &c->tot[RUN_KG]) < 0)
		return -1;
	for (size_t i = 0; i < c->nrows; i++) {
		c->tot[RUN_KWH] += c->rows[i].gpu_kwh;
		c->tot_gpu += c->rows[i].gpu_kwh;
	}
	for (size_t i = 0; i < c->nrows; i++)
		c->rows[i].v[RUN_KWH] += c->rows[i].gpu_kwh;
	qsort(c->rows, c->nrows, sizeof *c->rows, row_cmp);
	return 0;
}

static void print_json(const struct carbon_run *c, int cost_col, char **by, size_t nby, FILE *f)
{
	const struct row *rows = c->rows;
	const money_t *tot = c->tot;
	fprintf(f, "{\"method\":\"ccf\",\"cost_metric\":\"%s\",\"currency\":", cli_cost_name(cost_col));
	json_str(f, c->res[RUN_COST].currency);
	fprintf(f, ",\"by\":[");
	for (size_t d = 0; d < nby; d++) {
		fprintf(f, d ? "," : "");
		json_str(f, by[d]);
	}
	fprintf(f, "],\"rows\":[");
	for (size_t i = 0; i < c->nrows; i++) {
		fprintf(f, i ? ",{" : "{");
		for (size_t d = 0; d < nby; d++) {
			json_str(f, by[d]);
			fputc(':', f);
			json_str(f, rows[i].vals[d]);
			fputc(',', f);
		}
		fprintf(f, "\"kwh\":");
		json_money(f, money_round(rows[i].v[RUN_KWH], 9));
		fprintf(f, ",\"kg_co2e\":");
		json_money(f, money_round(rows[i].v[RUN_KG], 9));
		fprintf(f, ",\"cost\":");
		json_money(f, rows[i].v[RUN_COST]);
		fprintf(f, ",\"gpu_measured_kwh\":");
		json_money(f, money_round(rows[i].gpu_kwh, 9));
		fprintf(f, ",\"usage_cost\":");
		json_money(f, rows[i].v[RUN_USAGE]);
		fprintf(f, ",\"estimated_cost\":");
		json_money(f, rows[i].v[RUN_COVERED]);
		fputc('}', f);
	}
	fprintf(f, "],\"total_kwh\":");
	json_money(f, money_round(tot[RUN_KWH], 9));
	fprintf(f, ",\"total_kg_co2e\":");
	json_money(f, money_round(tot[RUN_KG], 9));
	fprintf(f, ",\"gpu_measured_kwh\":");
	json_money(f, money_round(c->tot_gpu, 9));
	fprintf(f, ",\"total_cost\":");
	json_money(f, tot[RUN_COST]);
	fprintf(f, ",\"usage_cost\":");
	json_money(f, tot[RUN_USAGE]);
	fprintf(f, ",\"unestimated_usage_cost\":");
	json_money(f, tot[RUN_USAGE] - tot[RUN_COVERED]);
	fprintf(f, ",\"lines\":%zu,\"lines_estimated\":%zu,\"lines_gpu_measured\":%zu,"
		"\"lines_fallback_grid_factor\":%zu}\n", c->sc.lines, c->sc.estimated, c->sc.measured_lines,
		c->sc.fallback_factor);
}

static int cli_carbon_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct report_query q = { 0 };
	struct carbon_opts co;
	struct carbon_run c;
	size_t nby = 0;
	if (cli_query_opts(a, &q) < 0 || util_opts(a, &co) < 0)
		return CLI_EUSAGE;
	char **by = cli_by_or_default(cli_get(a, "by"), cfg, &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	int rc = carbon_compute(st, cfg, &q, &co, &c);
	if (rc == 0)
		print_json(&c, q.amount, by, nby, out);
	carbon_release(&c);
	cli_strv_free(by, nby);
	return rc;
}

const struct cli_json_cmd cli_carbon_cmd = { "carbon", opts, sizeof opts / sizeof opts[0], cli_carbon_json,
					     "energy (kWh) and emissions (kg CO2e)" };

int cmd_carbon(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct report_query q = { 0 };
	struct store *st = NULL;
	struct carbon_run c;
	size_t nby = 0;
	char **by = NULL;
	int rc = EXIT_FAIL, computed = 0;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("carbon: unexpected argument '%s'", a.pos[0]);
	struct carbon_opts co;
	if (cli_query_opts(&a, &q) < 0 || util_opts(&a, &co) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	int cost_col = q.amount;
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	by = cli_by_or_default(cli_get(&a, "by"), &cfg, &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	if (!(st = cli_open_store(ctx, 0)))
		goto out;
	computed = 1;
	if (carbon_compute(st, &cfg, &q, &co, &c) < 0)
		goto out;
	const struct row *rows = c.rows;
	size_t nrows = c.nrows;
	const money_t *tot = c.tot;
	money_t tot_gpu = c.tot_gpu;
	const struct scale_ctx sc = c.sc;

	if (fmt == FMT_JSON) {
		print_json(&c, cost_col, by, nby, stdout);
	} else {
		const char **head = xcalloc(nby + 4, sizeof *head);
		int *money = xcalloc(nby + 4, sizeof *money);
		for (size_t d = 0; d < nby; d++)
			head[d] = by[d];
		head[nby] = "kwh";
		head[nby + 1] = "kg_co2e";
		head[nby + 2] = "cost";
		head[nby + 3] = "coverage";
		money[nby] = money[nby + 1] = 2;
		money[nby + 2] = 1;
		money[nby + 3] = 2;
		struct table t;
		table_init(&t, nby + 4, head, money);
		for (size_t i = 0; i < nrows; i++) {
			char b[MONEY_BUFSZ + 2];
			table_add_row(&t);
			for (size_t d = 0; d < nby; d++)
				table_set(&t, d, rows[i].vals[d][0] || fmt == FMT_CSV ? rows[i].vals[d] : "(none)");
			money_format(rows[i].v[RUN_KWH], b, fmt == FMT_CSV ? 0 : 3, fmt == FMT_CSV ? 9 : 3);
			table_set(&t, nby, b);
			money_format(rows[i].v[RUN_KG], b, fmt == FMT_CSV ? 0 : 3, fmt == FMT_CSV ? 9 : 3);
			table_set(&t, nby + 1, b);
			table_set_money(&t, nby + 2, rows[i].v[RUN_COST]);
			pct(rows[i].v[RUN_COVERED], rows[i].v[RUN_USAGE], b);
			table_set(&t, nby + 3, b);
		}
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char kwh[MONEY_BUFSZ], kg[MONEY_BUFSZ], un[MONEY_BUFSZ + 16], cov[MONEY_BUFSZ + 2];
			printf("energy and emissions (CCF estimate, location-based), %s cost\n\n", cli_cost_name(cost_col));
			table_print(&t, stdout);
			money_format(tot[RUN_KWH], kwh, 3, 3);
			money_format(tot[RUN_KG], kg, 3, 3);
			money_human(tot[RUN_USAGE] - tot[RUN_COVERED], un);
			pct(tot[RUN_COVERED], tot[RUN_USAGE], cov);
			printf("\ntotal      %s kWh, %s kg CO2e\n", kwh, kg);
			printf("coverage   %s of usage cost has an energy estimate; %s has no method (API calls, tokens, fees)\n",
			       cov, un);
			if (tot_gpu) {
				char g[MONEY_BUFSZ];
				money_format(tot_gpu, g, 3, 3);
				printf("measured   %s kWh of GPU energy from telemetry; on %zu billed line%s it replaces the GPU"
				       " estimate for the GPU-hours it covers\n", g, sc.measured_lines,
				       sc.measured_lines == 1 ? "" : "s");
			}
			if (sc.fallback_factor)
				printf("note       %zu of %zu estimated lines are in a region without a grid factor: the"
				       " provider's mean was used\n", sc.fallback_factor, sc.estimated);
		}
		table_release(&t);
		free(head);
		free(money);
	}
	rc = EXIT_OK;
out:
	if (computed)
		carbon_release(&c);
	if (st)
		st->ops->close(st);
	cli_strv_free(by, nby);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
