/* cmd_gpu.c - `aicost gpu`: GPU hours, utilisation, idle time and cost by any dimension (core/gpu_query.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/gpu_query.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "by", 1, 0, "dimensions, comma separated (default host): host, gpu, gpu_index, model, pod, namespace,"
		      " container, team/project/..., FOCUS columns, tag:KEY, day/week/month" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "idle-threshold", 1, 0, "utilisation below this percent is idle (default: config gpu.idle_threshold, else 5)" },
	{ "format", 1, 0, "table|csv|json" },
};

static const char usage[] = "gpu [--by DIMS] [--idle-threshold PCT] [--where DIM=VALUE]... [--from D] [--to D] [--cost C] [--format F]";
static const char desc[] =
	"GPU hours, average and p95 utilisation, memory headroom, idle hours, energy and\n"
	"the cost of the GPUs, from the telemetry in the ledger (aicost ingest gpu,\n"
	"aicost collect gpu) joined to the bill: a host's cost of the day is split over\n"
	"its GPUs, then over pods/namespaces by the time each used the GPU.\n"
	"useful hours = GPU hours at or above the idle threshold;\n"
	"cost_per_useful_gpu_hour = cost / useful hours. See docs/gpu.md.";

/* A measurement with at most `dec` decimals, trailing zeros trimmed. */
static void num(double v, int dec, char *buf, size_t n)
{
	snprintf(buf, n, "%.*f", dec, v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf) - 1;
		while (e > dot && *e == '0')
			*e-- = 0;
		if (e == dot)
			*e = 0;
	}
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
}

enum { F_GPUS, F_HOURS, F_AVG, F_P95, F_HEAD, F_IDLE, F_KWH, F_COST, F_IDLECOST, F_CPUGH, F__N };
static const char *fields[F__N] = { "gpus", "gpu_hours", "avg_util", "p95_util", "mem_headroom", "idle_hours",
				    "energy_kwh", "cost", "idle_cost", "cost_per_useful_gpu_hour" };

static void field(const struct gpu_row *r, int f, char *b, size_t n)
{
	switch (f) {
	case F_GPUS: snprintf(b, n, "%u", r->gpus); break;
	case F_HOURS: num(r->gpu_hours, 6, b, n); break;
	case F_AVG: num(r->avg_util, 2, b, n); break;
	case F_P95: num(r->p95_util, 0, b, n); break;
	case F_HEAD: if (r->mem_headroom < 0) b[0] = 0; else num(r->mem_headroom, 2, b, n); break;
	case F_IDLE: num(r->idle_hours, 6, b, n); break;
	case F_KWH: num(r->energy_kwh, 6, b, n); break;
	default: b[0] = 0;
	}
}

static void json_row(FILE *f, const struct gpu_result *res, const struct gpu_row *r)
{
	char b[64];
	fputc('{', f);
	for (size_t d = 0; r->vals && d < res->nby; d++) {
		json_str(f, res->by[d]);
		fputc(':', f);
		json_str(f, r->vals[d]);
		fputc(',', f);
	}
	for (int k = F_GPUS; k <= F_KWH; k++) {
		field(r, k, b, sizeof b);
		fprintf(f, "\"%s\":%s,", fields[k], b[0] ? b : "null");
	}
	fprintf(f, "\"useful_hours\":");
	num(r->useful_hours, 6, b, sizeof b);
	fprintf(f, "%s,\"max_util\":", b);
	num(r->max_util, 2, b, sizeof b);
	fprintf(f, "%s,\"avg_power_w\":", b);
	if (r->avg_power_w < 0)
		fprintf(f, "null");
	else
		num(r->avg_power_w, 2, b, sizeof b), fputs(b, f);
	fprintf(f, ",\"cost\":");
	json_money(f, r->cost);
	fprintf(f, ",\"idle_cost\":");
	json_money(f, r->idle_cost);
	fprintf(f, ",\"cost_per_useful_gpu_hour\":");
	if (r->has_cpugh)
		json_money(f, money_round(r->cost_per_useful_gpu_hour, 6));
	else
		fprintf(f, "null");
	fputc('}', f);
}

static void fill_table(const struct gpu_result *res, struct table *t, int with_total)
{
	size_t nc = res->nby + F__N;
	const char **head = xcalloc(nc, sizeof *head);
	int *money = xcalloc(nc, sizeof *money);
	for (size_t d = 0; d < res->nby; d++)
		head[d] = res->by[d];
	for (int k = 0; k < F__N; k++) {
		head[res->nby + (size_t)k] = fields[k];
		/* cost_per_useful_gpu_hour is text: it can be undefined ("-"), which a money cell cannot say. */
		money[res->nby + (size_t)k] = k >= F_COST && k != F_CPUGH ? 1 : 2;
	}
	table_init(t, nc, head, money);
	for (size_t i = 0; i < res->nrows + (with_total ? 1 : 0); i++) {
		const struct gpu_row *r = i < res->nrows ? &res->rows[i] : &res->total;
		char b[64];
		table_add_row(t);
		for (size_t d = 0; d < res->nby; d++)
			table_set(t, d, i < res->nrows ? (r->vals[d][0] ? r->vals[d] : "(none)") : d ? "" : "TOTAL");
		for (int k = F_GPUS; k <= F_KWH; k++) {
			field(r, k, b, sizeof b);
			table_set(t, res->nby + (size_t)k, b[0] || !with_total ? b : "-");
		}
		table_set_money(t, res->nby + F_COST, r->cost);
		table_set_money(t, res->nby + F_IDLECOST, r->idle_cost);
		if (r->has_cpugh) {
			char m[MONEY_BUFSZ + 16];
			if (with_total)
				money_human(r->cost_per_useful_gpu_hour, m);
			else
				money_format(r->cost_per_useful_gpu_hour, m, 0, 6);
			table_set(t, res->nby + F_CPUGH, m);
		} else {
			table_set(t, res->nby + F_CPUGH, with_total ? "-" : "");
		}
	}
	free(head);
	free(money);
}

/* --idle-threshold over the config's gpu: default; -1 (settings) or CLI_EUSAGE after reporting. */
static int threshold_opt(const struct cli_args *a, const struct config *cfg, struct gpu_query *q)
{
	struct gpu_settings gs;
	if (gpu_settings_read(cfg, &gs) < 0)
		return -1;
	q->idle_threshold = gs.idle_threshold;
	const char *v = cli_get(a, "idle-threshold");
	if (v) {
		char *end;
		q->idle_threshold = strtod(v, &end);
		if (*end || end == v || q->idle_threshold < 0 || q->idle_threshold > 100) {
			error("--idle-threshold: '%s' is not a percent from 0 to 100", v);
			return CLI_EUSAGE;
		}
	}
	return 0;
}

static char **by_or_host(const char *s, size_t *nby)
{
	char **by = cli_split_commas(s, nby);
	if (!*nby) {
		by = xrealloc(by, sizeof *by);
		by[0] = xstrdup("host");
		*nby = 1;
	}
	return by;
}

static void print_json(const struct gpu_result *r, const struct gpu_query *q, FILE *f)
{
	char from[11] = "", to[11] = "", b[32];
	if (r->from_day <= r->to_day) {
		format_day(r->from_day, from);
		format_day(r->to_day, to);
	}
	fprintf(f, "{\"currency\":");
	json_str(f, r->currency);
	fprintf(f, ",\"cost_metric\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"idle_threshold\":", cli_cost_name(q->amount),
		from, to);
	num(q->idle_threshold, 4, b, sizeof b);
	fprintf(f, "%s,\"by\":[", b);
	for (size_t d = 0; d < r->nby; d++) {
		fprintf(f, d ? "," : "");
		json_str(f, r->by[d]);
	}
	fprintf(f, "],\"rows\":[");
	for (size_t i = 0; i < r->nrows; i++) {
		fprintf(f, i ? "," : "");
		json_row(f, r, &r->rows[i]);
	}
	fprintf(f, "],\"total\":");
	json_row(f, r, &r->total);
	fprintf(f, ",\"unmatched_cost\":");
	json_money(f, r->unmatched_cost);
	fprintf(f, ",\"hosts\":%u,\"hosts_joined\":%u}\n", r->hosts, r->hosts_joined);
}

static int cli_gpu_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct gpu_query q = { 0 };
	struct gpu_result r;
	size_t nby = 0;
	int rc;
	if (cli_range_opts(a, &q.amount, &q.from_day, &q.to_day) < 0)
		return CLI_EUSAGE;
	q.where = cli_all(a, "where", &q.nwhere);
	if ((rc = threshold_opt(a, cfg, &q)) < 0)
		return rc;
	char **by = by_or_host(cli_get(a, "by"), &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	rc = gpu_query_run(st, cfg, &q, &r);
	if (rc == 0) {
		print_json(&r, &q, out);
		gpu_query_release(&r);
	}
	cli_strv_free(by, nby);
	return rc;
}

const struct cli_json_cmd cli_gpu_cmd = { "gpu", opts, sizeof opts / sizeof opts[0], cli_gpu_json,
					  "GPU hours, utilization, idle hours and idle cost" };

int cmd_gpu(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct gpu_query q = { 0 };
	struct gpu_result r;
	struct store *st = NULL;
	char **by = NULL;
	size_t nby = 0;
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("gpu: unexpected argument '%s'", a.pos[0]);
	if (cli_range_opts(&a, &q.amount, &q.from_day, &q.to_day) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	q.where = cli_all(&a, "where", &q.nwhere);
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	int trc = threshold_opt(&a, &cfg, &q);
	if (trc < 0) {
		rc = trc == CLI_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	by = by_or_host(cli_get(&a, "by"), &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (gpu_query_run(st, &cfg, &q, &r) < 0)
		goto out;
	char from[11] = "", to[11] = "";
	if (r.from_day <= r.to_day) {
		format_day(r.from_day, from);
		format_day(r.to_day, to);
	}
	if (fmt == FMT_JSON) {
		print_json(&r, &q, stdout);
	} else {
		struct table t;
		fill_table(&r, &t, fmt == FMT_TABLE);
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char b[32], u[MONEY_BUFSZ + 16];
			num(q.idle_threshold, 4, b, sizeof b);
			printf("GPU telemetry %s to %s, %s cost%s%s, idle below %s%%\n\n", from[0] ? from : "-", to[0] ? to : "-",
			       cli_cost_name(q.amount), r.currency[0] ? ", " : "", r.currency, b);
			table_print(&t, stdout);
			money_human(r.unmatched_cost, u);
			if (!r.hosts)
				printf("\nno GPU telemetry in the ledger: load some with 'aicost ingest gpu FILE' or"
				       " 'aicost collect gpu'\n");
			else
				printf("\n%u of %u hosts joined to a bill line (ResourceId or hosts: in the config)\n",
				       r.hosts_joined, r.hosts);
			if (r.unmatched_cost != 0)
				printf("%s of those hosts' cost falls on days without GPU telemetry\n", u);
		}
		table_release(&t);
	}
	gpu_query_release(&r);
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
