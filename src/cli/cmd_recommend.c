/*
 * cmd_recommend.c - `aicost recommend`: savings recommendations with their
 * evidence (core/recommend.h), as a table, CSV or JSON; `--actions` emits
 * them for an external executor, on stdout or POSTed to a webhook. aicost
 * never changes a cloud resource itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/recommend.h"
#include "core/report.h"
#include "formats/focus.h"
#include "net/webhook.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "from", 1, 0, "first day of the window, YYYY-MM-DD (default: the last recommend.lookback_days, 30)" },
	{ "to", 1, 0, "last day, YYYY-MM-DD (inclusive; default the last day in the ledger)" },
	{ "where", 1, 1, "DIM=VALUE filter; repeat to AND" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "kind", 1, 1, "only these kinds (comma list; repeatable): idle-gpu, rightsize-gpu, ..." },
	{ "min-savings", 1, 0, "leave out findings saving less a month (default recommend.min_monthly_savings, 1)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "actions", 0, 0, "emit the actions as JSON for an external executor (Cloud Custodian, a Kubernetes job)" },
	{ "webhook", 1, 0, "with --actions: POST the actions document to this URL instead of printing it" },
	{ "fail-on-savings", 1, 0, "exit 3 when the findings add up to at least this much a month (for CI)" },
};

static const char usage[] =
	"recommend [--from D] [--to D] [--where DIM=VALUE]... [--cost C] [--kind K]... [--min-savings N]"
	" [--format F] [--actions [--webhook URL]] [--fail-on-savings N]";
static const char desc[] =
	"Savings recommendations with evidence: idle and partly idle GPUs, rightsizing,\n"
	"spot, commitments, stale endpoints, cold storage, and cheaper ways to buy\n"
	"tokens (routing, response caching, batch, prompt caching). Each finding shows\n"
	"its monthly savings (window cost scaled to 30 days), a confidence and the\n"
	"numbers it rests on. Findings never count the same dollar twice: see\n"
	"docs/recommend.md for the rules, thresholds and the order kinds claim in.\n"
	"--actions prints (or POSTs) what to do as JSON; aicost changes nothing itself.";

static void short_res(const char *id, char *out, size_t n)
{
	const char *t = id;
	size_t len = strlen(id);
	/* Long ARNs and Azure ids: keep the tail, which names the thing. */
	if (len > 40) {
		t = id + len - 37;
		snprintf(out, n, "...%s", t);
	} else {
		snprintf(out, n, "%s", id);
	}
}

static void print_table(const struct recommend_result *r)
{
	char a[11] = "-", b[11] = "-", m[MONEY_BUFSZ + 16], s[MONEY_BUFSZ + 16], t[MONEY_BUFSZ + 16];
	if (r->from_day <= r->to_day) {
		format_day(r->from_day, a);
		format_day(r->to_day, b);
	}
	money_human(r->spend, s);
	money_human(r->monthly_spend, m);
	money_human(r->total_monthly_savings, t);
	printf("Savings recommendations %s to %s (%lld days), %s cost%s%s\n", a, b,
	       r->from_day <= r->to_day ? (long long)(r->to_day - r->from_day + 1) : 0LL, cli_cost_name(r->amount),
	       r->currency[0] ? ", " : "", r->currency);
	printf("Spend in the window %s (%s per 30 days); identified savings %s a month = %.1f%% of spend\n\n", s, m, t,
	       r->savings_share * 100);
	if (!r->n) {
		printf("no recommendations\n");
	} else {
		static const char *const head[] = { "#", "kind", "resource", "savings/month", "confidence", "finding" };
		static const int money[] = { 2, 0, 0, 1, 2, 0 };
		struct table tb;
		table_init(&tb, 6, head, money);
		for (size_t i = 0; i < r->n; i++) {
			const struct recommendation *x = &r->recs[i];
			char n[24], res[64], conf[16];
			snprintf(n, sizeof n, "%zu", i + 1);
			short_res(x->resource_id, res, sizeof res);
			snprintf(conf, sizeof conf, "%.2f", x->confidence);
			table_add_row(&tb);
			table_set(&tb, 0, n);
			table_set(&tb, 1, rec_kind_names[x->kind]);
			table_set(&tb, 2, res);
			table_set_money(&tb, 3, x->monthly_savings);
			table_set(&tb, 4, conf);
			table_set(&tb, 5, x->title ? x->title : "");
		}
		table_add_row(&tb);
		table_set(&tb, 0, "");
		table_set(&tb, 1, "TOTAL");
		table_set(&tb, 2, "");
		table_set_money(&tb, 3, r->total_monthly_savings);
		table_set(&tb, 4, "");
		table_set(&tb, 5, "");
		table_print(&tb, stdout);
		table_release(&tb);
		printf("\n");
		for (size_t i = 0; i < r->n; i++) {
			const struct recommendation *x = &r->recs[i];
			printf("%zu. %s  [%s]\n   do: %s\n   evidence:", i + 1, x->title ? x->title : "", x->id,
			       x->action ? x->action : "");
			for (size_t k = 0; k < x->nev; k++) {
				const struct rec_val *v = &x->ev[k];
				char buf[MONEY_BUFSZ + 16];
				printf("%s %s=", k ? "," : "", v->key);
				switch (v->type) {
				case RV_NUM: printf("%.4g", v->num); break;
				case RV_INT: printf("%lld", (long long)v->i); break;
				case RV_BOOL: printf("%s", v->i ? "true" : "false"); break;
				case RV_MONEY: money_human(v->m, buf); printf("%s", buf); break;
				case RV_STR: printf("%s", v->s ? v->s : ""); break;
				}
			}
			printf("\n");
		}
	}
	for (const char *p = r->notes; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		printf("note: %.*s\n", n, p);
		p += n + (nl != NULL);
	}
}

static void print_csv(const struct recommend_result *r)
{
	static const char *const head[] = { "id", "kind", "resource_id", "monthly_savings", "monthly_cost", "confidence",
					    "title", "action", "period_from", "period_to" };
	static const int money[] = { 0, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
	struct table tb;
	table_init(&tb, 10, head, money);
	for (size_t i = 0; i < r->n; i++) {
		const struct recommendation *x = &r->recs[i];
		char conf[16], a[11], b[11];
		snprintf(conf, sizeof conf, "%.2f", x->confidence);
		format_day(x->from_day, a);
		format_day(x->to_day, b);
		table_add_row(&tb);
		table_set(&tb, 0, x->id);
		table_set(&tb, 1, rec_kind_names[x->kind]);
		table_set(&tb, 2, x->resource_id);
		table_set_money(&tb, 3, x->monthly_savings);
		table_set_money(&tb, 4, x->monthly_cost);
		table_set(&tb, 5, conf);
		table_set(&tb, 6, x->title ? x->title : "");
		table_set(&tb, 7, x->action ? x->action : "");
		table_set(&tb, 8, a);
		table_set(&tb, 9, b);
	}
	table_print_csv(&tb, stdout);
	table_release(&tb);
}

int cmd_recommend(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct report_query q = { 0 };
	struct recommend_opts o = { 0 };
	struct recommend_result r;
	struct store *st = NULL;
	int rc = EXIT_FAIL, have_res = 0;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("recommend: unexpected argument '%s'", a.pos[0]);
	cli_query_from_args(&a, &q);
	o.from_day = q.from_day;
	o.to_day = q.to_day;
	o.where = q.where;
	o.nwhere = q.nwhere;
	o.amount = q.amount;
	size_t nk;
	const char **kinds = cli_all(&a, "kind", &nk);
	for (size_t i = 0; i < nk; i++) {
		size_t n;
		char **v = cli_split_commas(kinds[i], &n);
		for (size_t j = 0; j < n; j++) {
			int k = rec_kind_parse(v[j]);
			if (k < 0) {
				cli_strv_free(v, n);
				usage_error("--kind: '%s' is not a recommendation kind (idle-gpu, rightsize-gpu, commitment,"
					    " spot, schedule-offpeak, stale-endpoint, storage-cold, llm-route, llm-cache,"
					    " llm-batch, prompt-caching)", kinds[i]);
			}
			o.kinds |= 1u << k;
		}
		cli_strv_free(v, n);
	}
	const char *ms = cli_get(&a, "min-savings");
	if (ms) {
		if (money_parse(ms, strlen(ms), &o.min_savings, NULL) < 0 || o.min_savings < 0)
			usage_error("--min-savings: '%s' is not an amount >= 0", ms);
		o.have_min_savings = 1;
	}
	money_t fail_at = 0;
	const char *fa = cli_get(&a, "fail-on-savings");
	if (fa && (money_parse(fa, strlen(fa), &fail_at, NULL) < 0 || fail_at < 0))
		usage_error("--fail-on-savings: '%s' is not an amount >= 0", fa);
	const char *hook = cli_get(&a, "webhook");
	if (hook && !cli_has(&a, "actions"))
		usage_error("--webhook: only with --actions");
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (recommend_run(st, &cfg, &o, &r) < 0)
		goto out;
	have_res = 1;
	if (cli_has(&a, "actions")) {
		if (!hook) {
			recommend_write_actions(&r, stdout);
		} else {
			char *body = recommend_actions_json(&r), shown[256];
			struct webhook_result w;
			webhook_redact(hook, shown, sizeof shown);
			int pr = body ? webhook_post(hook, body, strlen(body), NULL, 30, &w) : -1;
			free(body);
			if (pr < 0 || !w.ok) {
				error("recommend: webhook %s: %s", shown, pr < 0 || !w.why[0] ? "request failed" : w.why);
				goto out;
			}
			printf("sent %zu action%s to %s (HTTP %ld)\n", r.n, r.n == 1 ? "" : "s", shown, w.http_status);
		}
	} else if (fmt == FMT_JSON) {
		recommend_write_json(&r, stdout);
	} else if (fmt == FMT_CSV) {
		print_csv(&r);
	} else {
		print_table(&r);
	}
	rc = fa && r.n && r.total_monthly_savings >= fail_at ? EXIT_ACTION : EXIT_OK;
out:
	if (have_res)
		recommend_result_release(&r);
	if (st)
		st->ops->close(st);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
