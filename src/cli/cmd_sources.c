/* cmd_sources.c - `aicost sources`: what the ledger was built from. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "format", 1, 0, "table|csv|json" },
};

static const char usage[] = "sources [--format table|csv|json]";
static const char desc[] =
	"Every ingested file: path, sha256, rows accepted and rejected, the exact total\n"
	"of each cost column, and whether a later restatement replaced it.";

struct ctx {
	enum out_format fmt;
	FILE *out;                 /* FMT_JSON */
	struct table t;
	int n;
};

static int on_source(void *arg, const struct source_rec *s)
{
	struct ctx *c = arg;
	char num[32], from[11], to[11];
	if (c->fmt == FMT_JSON) {
		fprintf(c->out, "%s{\"id\":%" PRId64 ",\"kind\":", c->n++ ? "," : "", s->id);
		json_str(c->out, s->kind);
		fprintf(c->out, ",\"path\":");
		json_str(c->out, s->path);
		fprintf(c->out, ",\"sha256\":\"%s\",\"bytes\":%" PRIu64 ",\"ingested_at\":", s->sha256, s->bytes);
		json_str(c->out, s->ingested_at);
		fprintf(c->out, ",\"status\":");
		json_str(c->out, s->status);
		format_day(s->min_day, from);
		format_day(s->max_day, to);
		fprintf(c->out, ",\"from\":\"%s\",\"to\":\"%s\",\"rows\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64
		       ",\"totals\":{", from, to, s->rows_total, s->rows_accepted, s->rows_rejected);
		for (int a = 0; a < FA__COUNT; a++) {
			fprintf(c->out, "%s\"%s\":", a ? "," : "", focus_amount_names[a]);
			json_money(c->out, s->total[a]);
		}
		fprintf(c->out, "},\"extra_columns\":%s,\"warnings\":%s}", s->extras_json ? s->extras_json : "[]",
		       s->warnings_json ? s->warnings_json : "{}");
		return 0;
	}
	table_add_row(&c->t);
	snprintf(num, sizeof num, "%" PRId64, s->id);
	table_set(&c->t, 0, num);
	table_set(&c->t, 1, s->path);
	char sha[13];
	snprintf(sha, sizeof sha, "%.12s", s->sha256);
	table_set(&c->t, 2, c->fmt == FMT_CSV ? s->sha256 : sha);
	table_set(&c->t, 3, s->status);
	snprintf(num, sizeof num, "%" PRIu64, s->rows_accepted);
	table_set(&c->t, 4, num);
	snprintf(num, sizeof num, "%" PRIu64, s->rows_rejected);
	table_set(&c->t, 5, num);
	for (int a = 0; a < 4; a++)
		table_set_money(&c->t, 6 + (size_t)a, s->total[a]);
	c->n++;
	return 0;
}

static int cli_sources_json(const struct cli_args *a, struct store *st, const struct config *cfg, FILE *out)
{
	struct ctx c = { .fmt = FMT_JSON, .out = out };
	fprintf(out, "{\"sources\":[");
	if (st->ops->source_scan(st, on_source, &c) < 0)
		return -1;
	fprintf(out, "]}\n");
	return 0;
}

const struct cli_json_cmd cli_sources_cmd = { "sources", opts, sizeof opts / sizeof opts[0], cli_sources_json,
					      "what was ingested: files, rows accepted/rejected, cost totals" };

int cmd_sources(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct ctx c = { 0 };
	int rc = EXIT_FAIL;
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	c.fmt = cli_format(&a);
	c.out = stdout;
	if (a.npos)
		usage_error("sources: unexpected argument '%s'", a.pos[0]);
	struct store *st = cli_open_store(ctx, 0);
	if (!st)
		goto out;
	static const char *head[] = { "id", "file", "sha256", "status", "accepted", "rejected",
				      "BilledCost", "EffectiveCost", "ListCost", "ContractedCost" };
	static const int money[] = { 0, 0, 0, 0, 2, 2, 1, 1, 1, 1 };
	table_init(&c.t, 10, head, money);
	if (c.fmt == FMT_JSON)
		fprintf(c.out, "{\"sources\":[");
	if (st->ops->source_scan(st, on_source, &c) < 0) {
		table_release(&c.t);
		st->ops->close(st);
		goto out;
	}
	if (c.fmt == FMT_JSON)
		printf("]}\n");
	else if (c.fmt == FMT_CSV)
		table_print_csv(&c.t, stdout);
	else if (c.n)
		table_print(&c.t, stdout);
	else
		printf("no sources yet: run 'aicost ingest focus FILE'\n");
	table_release(&c.t);
	st->ops->close(st);
	rc = EXIT_OK;
out:
	cli_args_release(&a);
	return rc;
}
