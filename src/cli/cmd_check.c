/* cmd_check.c - `aicost check`: policy checks with an exit code for CI (docs/check.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/budget.h"
#include "core/config.h"
#include "core/policy.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "from", 1, 0, "first charge day, YYYY-MM-DD (UTC; tag checks)" },
	{ "to", 1, 0, "last charge day, YYYY-MM-DD (inclusive; tag checks)" },
	{ "where", 1, 1, "DIM=VALUE filter for the tag checks; repeat to AND" },
	{ "cost", 1, 0, "billed|effective|list|contracted (default effective)" },
	{ "as-of", 1, 0, "today for the budget checks, YYYY-MM-DD (default $AICOST_NOW, else the clock)" },
	{ "format", 1, 0, "table|csv|json" },
	{ "strict", 0, 0, "warnings fail too (exit 3)" },
};

static const char usage[] = "check [--from D] [--to D] [--where DIM=VALUE]... [--cost C] [--as-of D] [--format F] [--strict]";
static const char desc[] =
	"Policy checks from the config's policies: section: required tags, the maximum\n"
	"untagged share, and budget policies (no_breach, no_forecast_breach). Prints every\n"
	"check with its measured value and threshold; exits 3 when a check of severity\n"
	"error fails (or any check, with --strict), 0 otherwise. See docs/check.md.";

static void value_text(const struct policy_result *r, money_t v, char *out, size_t n)
{
	char b[MONEY_BUFSZ + 16];
	if (r->measure == PM_SHARE) {
		money_t p = 0;
		money_muldiv(v, money_from_int(100), MONEY_ONE, &p);
		money_format(p, b, 1, 2);
		snprintf(out, n, "%s%%", b);
	} else {
		money_human(v, b);
		snprintf(out, n, "%s", b);
	}
}

static void scope_text(const struct policy_result *r, char *out, size_t n)
{
	out[0] = 0;
	if (!r->nscope)
		snprintf(out, n, "(all)");
	for (size_t i = 0; i < r->nscope; i++) {
		size_t o = strlen(out);
		snprintf(out + o, n - o, "%s%s=%s", i ? "," : "", r->scope_keys[i], r->scope_vals[i]);
	}
}

static void fill_table(const struct policy_report *rep, struct table *t)
{
	const char *head[] = { "status", "severity", "rule", "subject", "scope", "measured", "threshold", "cost",
			       "resources", "example" };
	int money[] = { 0, 0, 0, 0, 0, 2, 2, 1, 2, 0 };
	table_init(t, 10, head, money);
	for (size_t i = 0; i < rep->n; i++) {
		const struct policy_result *r = &rep->r[i];
		char sc[1024], m[96], th[96], res[32];
		scope_text(r, sc, sizeof sc);
		value_text(r, r->measured, m, sizeof m);
		value_text(r, r->threshold, th, sizeof th);
		snprintf(res, sizeof res, "%zu", r->resources);
		table_add_row(t);
		table_set(t, 0, r->failed ? "FAIL" : "pass");
		table_set(t, 1, r->severity == SEV_ERROR ? "error" : "warning");
		table_set(t, 2, r->rule);
		table_set(t, 3, r->subject ? r->subject : "-");
		table_set(t, 4, sc);
		table_set(t, 5, m);
		table_set(t, 6, th);
		table_set_money(t, 7, r->cost);
		table_set(t, 8, r->measure == PM_SHARE ? res : "-");
		table_set(t, 9, r->example ? r->example : "-");
	}
}

static void json_result(const struct policy_result *r, FILE *f)
{
	fprintf(f, "{\"rule\":");
	json_str(f, r->rule);
	fprintf(f, ",\"subject\":");
	if (r->subject)
		json_str(f, r->subject);
	else
		fprintf(f, "null");
	fprintf(f, ",\"status\":\"%s\",\"severity\":\"%s\",\"scope\":{", r->failed ? "fail" : "pass",
		r->severity == SEV_ERROR ? "error" : "warning");
	for (size_t k = 0; k < r->nscope; k++) {
		fprintf(f, k ? "," : "");
		json_str(f, r->scope_keys[k]);
		fputc(':', f);
		json_str(f, r->scope_vals[k]);
	}
	fprintf(f, "},\"measure\":\"%s\",\"measured\":", r->measure == PM_SHARE ? "share" : "amount");
	json_money(f, r->measured);
	fprintf(f, ",\"threshold\":");
	json_money(f, r->threshold);
	fprintf(f, ",\"cost\":");
	json_money(f, r->cost);
	fprintf(f, ",\"total\":");
	json_money(f, r->total);
	if (r->measure == PM_SHARE)
		fprintf(f, ",\"resources\":%zu", r->resources);
	fprintf(f, ",\"example_resource\":");
	if (r->example)
		json_str(f, r->example);
	else
		fprintf(f, "null");
	fprintf(f, ",\"message\":");
	json_str(f, r->message ? r->message : "");
	fputc('}', f);
}

static void print_json(const struct policy_report *rep, int amount, FILE *f)
{
	char from[11] = "", to[11] = "";
	if (rep->from_day <= rep->to_day) {
		format_day(rep->from_day, from);
		format_day(rep->to_day, to);
	}
	fprintf(f, "{\"cost_metric\":\"%s\",\"currency\":", cli_cost_name(amount));
	json_str(f, rep->currency);
	fprintf(f, ",\"from\":");
	if (from[0])
		fprintf(f, "\"%s\",\"to\":\"%s\"", from, to);
	else
		fprintf(f, "null,\"to\":null");
	fprintf(f, ",\"checks\":%zu,\"errors\":%zu,\"warnings\":%zu,\"findings\":[", rep->n, rep->errors, rep->warnings);
	size_t k = 0;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->r[i].failed) {
			fprintf(f, k++ ? "," : "");
			json_result(&rep->r[i], f);
		}
	fprintf(f, "],\"passed\":[");
	k = 0;
	for (size_t i = 0; i < rep->n; i++)
		if (!rep->r[i].failed) {
			fprintf(f, k++ ? "," : "");
			json_result(&rep->r[i], f);
		}
	fprintf(f, "]}\n");
}

/* Options before the config; 0, CLI_EUSAGE, or -1 when the clock fails. */
static int check_opts(const struct cli_args *a, struct policy_opts *o)
{
	if (cli_range_opts(a, &o->amount, &o->from_day, &o->to_day) < 0)
		return CLI_EUSAGE;
	o->where = cli_all(a, "where", &o->nwhere);
	if (cli_get(a, "as-of"))
		return cli_day_opt(a, "as-of", &o->as_of);
	return budget_today(&o->as_of) < 0 ? -1 : 0;
}

static int cli_check_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct policy_report rep = { 0 };
	struct policy_opts o = { 0 };
	int rc = check_opts(a, &o);
	if (rc < 0)
		return rc;
	if ((rc = policy_run(st, cfg, &o, &rep)) < 0)
		return rc;
	print_json(&rep, o.amount, out);
	policy_report_release(&rep);
	return 0;
}

const struct cli_json_cmd cli_check_cmd = { "check", opts, sizeof opts / sizeof opts[0], cli_check_json,
					    "policy checks (tags, untagged share, budgets)" };

int cmd_check(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct store *st = NULL;
	struct policy_report rep = { 0 };
	struct policy_opts o = { 0 };
	int rc = EXIT_FAIL;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos)
		usage_error("check: unexpected argument '%s'", a.pos[0]);
	int orc = check_opts(&a, &o);
	if (orc < 0) {
		rc = orc == CLI_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
		goto out_args;
	}
	if (cli_load_config(ctx, &cfg) < 0)
		goto out_args;
	if (!cfg_node_get(&cfg.root, "policies"))
		warning("no policies: section in %s: nothing to check (see docs/check.md)",
			ctx->config_path ? ctx->config_path : "the config");
	st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	if (policy_run(st, &cfg, &o, &rep) < 0)
		goto out;
	if (fmt == FMT_JSON) {
		print_json(&rep, o.amount, stdout);
	} else {
		struct table t;
		fill_table(&rep, &t);
		if (fmt == FMT_CSV) {
			table_print_csv(&t, stdout);
		} else {
			char from[11] = "-", to[11] = "-";
			if (rep.from_day <= rep.to_day) {
				format_day(rep.from_day, from);
				format_day(rep.to_day, to);
			}
			printf("policy checks, %s cost, %s to %s, %s\n\n", cli_cost_name(o.amount), from, to, rep.currency);
			table_print(&t, stdout);
			printf("\n%zu check%s: %zu passed, %zu error%s, %zu warning%s\n", rep.n, rep.n == 1 ? "" : "s",
			       rep.n - rep.errors - rep.warnings, rep.errors, rep.errors == 1 ? "" : "s", rep.warnings,
			       rep.warnings == 1 ? "" : "s");
		}
		table_release(&t);
	}
	rc = rep.errors || (cli_has(&a, "strict") && rep.warnings) ? EXIT_ACTION : EXIT_OK;
	policy_report_release(&rep);
out:
	if (st)
		st->ops->close(st);
	config_release(&cfg);
out_args:
	cli_args_release(&a);
	return rc;
}
