/* cmd_report.c - `aicost report`: allocation, showback, chargeback. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/alloc.h"
#include "core/config.h"
#include "core/report.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "by", 1, 0, "dimensions, comma separated (default team, else ServiceName)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive)" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "chargeback", 1, 0, "write one CSV per team and month into this directory" },
	{ "no-shared", 0, 0, "do not redistribute shared cost" },
};

static const char usage[] = "report [--by DIMS] [--where DIM=VALUE]... [--from D] [--to D] [--cost C] [--format F]";
static const char desc[] =
	"Cost by any dimension: FOCUS columns (ServiceName, RegionId, SubAccountName, ...),\n"
	"tag:KEY, allocation dimensions from the config (team, project, workload, ...),\n"
	"and day/week/month. The footer shows the unallocated cost and the untagged share.\n"
	"--chargeback DIR writes DIR/<team>/<YYYY-MM>.csv, one statement per team and month.";

static void share(money_t part, money_t total, char *out, size_t n)
{
	money_t pct = 0;
	if (total != 0)
		money_muldiv(part, money_from_int(100), total, &pct);
	char b[MONEY_BUFSZ];
	money_format(pct, b, 1, 1);
	snprintf(out, n, "%s%%", b);
}

static void print_json(const struct report_result *r, const struct report_query *q, FILE *f)
{
	char from[11] = "", to[11] = "";
	if (r->from_day <= r->to_day) {
		format_day(r->from_day, from);
		format_day(r->to_day, to);
	}
	fprintf(f, "{\"currency\":");
	json_str(f, r->currency);
	fprintf(f, ",\"cost_metric\":\"%s\",\"from\":", cli_cost_name(q->amount));
	json_str(f, from);
	fprintf(f, ",\"to\":");
	json_str(f, to);
	fprintf(f, ",\"by\":[");
	for (size_t d = 0; d < r->nby; d++) {
		fprintf(f, d ? "," : "");
		json_str(f, r->dims[d].name);
	}
	fprintf(f, "],\"rows\":[");
	for (size_t i = 0; i < r->nrows; i++) {
		fprintf(f, i ? ",{" : "{");
		for (size_t d = 0; d < r->nby; d++) {
			json_str(f, r->dims[d].name);
			fputc(':', f);
			json_str(f, r->rows[i].vals[d]);
			fputc(',', f);
		}
		fprintf(f, "\"cost\":");
		json_money(f, r->rows[i].cost);
		fputc('}', f);
	}
	fprintf(f, "],\"total\":");
	json_money(f, r->total);
	fprintf(f, ",\"unallocated\":");
	json_money(f, r->unallocated);
	fprintf(f, ",\"unallocated_dimension\":");
	if (r->unallocated_dim)
		json_str(f, r->unallocated_dim);
	else
		fprintf(f, "null");
	fprintf(f, ",\"untagged\":");
	json_money(f, r->untagged);
	fprintf(f, "}\n");
}

static void fill_table(const struct report_result *r, struct table *t)
{
	const char **head = xcalloc(r->nby + 1, sizeof *head);
	int *money = xcalloc(r->nby + 1, sizeof *money);
	for (size_t d = 0; d < r->nby; d++)
		head[d] = r->dims[d].name;
	head[r->nby] = "cost";
	money[r->nby] = 1;
	table_init(t, r->nby + 1, head, money);
	for (size_t i = 0; i < r->nrows; i++) {
		table_add_row(t);
		for (size_t d = 0; d < r->nby; d++)
			table_set(t, d, r->rows[i].vals[d][0] ? r->rows[i].vals[d] : "(none)");
		table_set_money(t, r->nby, r->rows[i].cost);
	}
	free(head);
	free(money);
}

static void print_table(const struct report_result *r, const struct report_query *q, FILE *f)
{
	struct table t;
	char from[11] = "-", to[11] = "-", tot[MONEY_BUFSZ + 16], un[MONEY_BUFSZ + 16], ut[MONEY_BUFSZ + 16];
	char ush[64], utsh[64];
	if (r->from_day <= r->to_day) {
		format_day(r->from_day, from);
		format_day(r->to_day, to);
	}
	fill_table(r, &t);
	fprintf(f, "%s cost, %s to %s, %s\n\n", cli_cost_name(q->amount), from, to, r->currency);
	table_print(&t, f);
	money_human(r->total, tot);
	money_human(r->unallocated, un);
	money_human(r->untagged, ut);
	share(r->unallocated, r->total, ush, sizeof ush);
	share(r->untagged, r->total, utsh, sizeof utsh);
	fprintf(f, "\ntotal        %s\n", tot);
	fprintf(f, "unallocated  %s (%s%s%s)\n", un, ush, r->unallocated_dim ? " of cost has no " : " untagged",
		r->unallocated_dim ? r->unallocated_dim : "");
	fprintf(f, "untagged     %s (%s of cost carries no tags; target: under 5%%)\n", ut, utsh);
	table_release(&t);
}

/* DIR/<team>/<YYYY-MM>.csv: one statement per allocation value and month. */
static int chargeback(struct store *st, const struct config *cfg, struct report_query q, const char *dir,
		      const char *dim)
{
	const char *by[] = { dim, "month", "ServiceCategory", "ServiceName", "SubAccountName", "ResourceId" };
	struct report_result r;
	q.by = by;
	q.nby = 6;
	if (report_run(st, cfg, &q, &r) < 0)
		return -1;
	int rc = -1;
	size_t files = 0;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		error("%s: %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < r.nrows;) {
		const char *who = r.rows[i].vals[0], *mon = r.rows[i].vals[1];
		char sub[4096], path[4200];
		snprintf(sub, sizeof sub, "%s/%s", dir, who[0] ? who : "(none)");
		for (char *p = sub + strlen(dir) + 1; *p; p++)
			if (*p == '/')
				*p = '_';
		if (mkdir(sub, 0777) < 0 && errno != EEXIST) {
			error("%s: %s", sub, strerror(errno));
			goto out;
		}
		snprintf(path, sizeof path, "%s/%s.csv", sub, mon);
		FILE *f = fopen(path, "w");
		if (!f) {
			error("%s: %s", path, strerror(errno));
			goto out;
		}
		struct table t;
		const char *head[] = { dim, "month", "ServiceCategory", "ServiceName", "SubAccountName", "ResourceId", "cost" };
		int money[] = { 0, 0, 0, 0, 0, 0, 1 };
		table_init(&t, 7, head, money);
		money_t sum = 0;
		for (; i < r.nrows && r.rows[i].vals[0] == who && r.rows[i].vals[1] == mon; i++) {
			table_add_row(&t);
			for (int d = 0; d < 6; d++)
				table_set(&t, (size_t)d, r.rows[i].vals[d]);
			table_set_money(&t, 6, r.rows[i].cost);
			sum += r.rows[i].cost;
		}
		table_add_row(&t);
		table_set(&t, 0, who);
		table_set(&t, 1, mon);
		table_set(&t, 2, "TOTAL");
		table_set_money(&t, 6, sum);
		table_print_csv(&t, f);
		table_release(&t);
		if (fclose(f) != 0) {
			error("%s: %s", path, strerror(errno));
			goto out;
		}
		files++;
	}
	printf("chargeback: %zu statement%s written under %s/\n", files, files == 1 ? "" : "s", dir);
	rc = 0;
out:
	report_release(&r);
	return rc;
}

static int cli_report_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct report_query q = { 0 };
	struct report_result r;
	size_t nby = 0;
	if (cli_query_opts(a, &q) < 0)
		return CLI_EUSAGE;
	q.no_shared = cli_has(a, "no-shared");
	char **by = cli_by_or_default(cli_get(a, "by"), cfg, &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	int rc = report_run(st, cfg, &q, &r);
	if (rc == 0) {
		print_json(&r, &q, out);
		report_release(&r);
	}
	cli_strv_free(by, nby);
	return rc;
}

int cli_report_csv(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct report_query q = { 0 };
	struct report_result r;
	size_t nby = 0;
	if (cli_query_opts(a, &q) < 0)
		return CLI_EUSAGE;
	q.no_shared = cli_has(a, "no-shared");
	char **by = cli_by_or_default(cli_get(a, "by"), cfg, &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	int rc = report_run(st, cfg, &q, &r);
	if (rc == 0) {
		struct table t;
		fill_table(&r, &t);
		table_print_csv(&t, out);
		table_release(&t);
		report_release(&r);
	}
	cli_strv_free(by, nby);
	return rc;
}

const struct cli_json_cmd cli_report_cmd = { "report", opts, sizeof opts / sizeof opts[0], cli_report_json,
					     "cost allocation, showback and chargeback by any dimension" };

int cmd_report(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct report_query q = { 0 };
	struct report_result r;
	struct store *st = NULL;
	char **by = NULL;
	size_t nby = 0;
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("report: unexpected argument '%s'", a.pos[0]);
	if (cli_query_opts(&a, &q) < 0) {
		rc = EXIT_USAGE;
		goto out_args;
	}
	q.no_shared = cli_has(&a, "no-shared");
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	by = cli_by_or_default(cli_get(&a, "by"), &cfg, &nby);
	q.by = (const char *const *)by;
	q.nby = nby;
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (cli_get(&a, "chargeback")) {
		const char *dim = by[0];
		rc = chargeback(st, &cfg, q, cli_get(&a, "chargeback"), dim) < 0 ? EXIT_FAIL : EXIT_OK;
		goto out;
	}
	if (report_run(st, &cfg, &q, &r) < 0)
		goto out;
	if (fmt == FMT_JSON) {
		print_json(&r, &q, stdout);
	} else if (fmt == FMT_CSV) {
		struct table t;
		fill_table(&r, &t);
		table_print_csv(&t, stdout);
		table_release(&t);
	} else {
		print_table(&r, &q, stdout);
	}
	report_release(&r);
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
