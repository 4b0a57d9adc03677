/* cmd_ingest.c - `aicost ingest focus FILE...`, and the dispatch to the other input kinds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/ingest.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "format", 1, 0, "table|json: the per-file summary on stdout" },
	{ "strict", 0, 0, "reject the whole file if any row is rejected" },
	{ "max-errors", 1, 0, "rejected rows printed per file (default 20)" },
};

static const char usage[] = "ingest focus [--strict] [--format table|json] FILE...\n"
	"       aicost ingest gpu|llm|metrics ... (see aicost ingest KIND --help)";
static const char desc[] =
	"Load FOCUS 1.0-1.3 cost and usage exports into the ledger: CSV, gzip or zstd\n"
	"(detected from content), or - for standard input. One transaction per file;\n"
	"a file already ingested (same SHA-256) is skipped; a file that restates a\n"
	"billing period (same provider and billing account) replaces the old rows.\n"
	"Rejected rows are reported with file:line:column and counted; quirks the\n"
	"importer tolerates are summarized as warnings.";

int cmd_ingest(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	int rc = EXIT_OK;
	/* The other kinds have flags of their own: dispatch before parsing. */
	if (argc >= 2 && strcmp(argv[1], "gpu") == 0)
		return cmd_ingest_gpu(argc - 1, argv + 1, ctx);
	if (argc >= 2 && strcmp(argv[1], "llm") == 0)
		return cmd_ingest_llm(argc - 1, argv + 1, ctx);
	if (argc >= 2 && strcmp(argv[1], "metrics") == 0)
		return cmd_ingest_metrics(argc - 1, argv + 1, ctx);
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos < 1)
		usage_error("ingest: missing the input kind: focus, gpu, llm or metrics (see aicost ingest --help)");
	if (strcmp(a.pos[0], "focus") != 0)
		usage_error("ingest: '%s' is not an input kind (focus, gpu, llm, metrics)", a.pos[0]);
	if (a.npos < 2)
		usage_error("ingest focus: no FILE given (use - for standard input)");
	struct store *st = cli_open_store(ctx, 1);
	if (!st) {
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	struct ingest_opts o = { .progress = ctx->progress, .strict = cli_has(&a, "strict") };
	if (cli_get(&a, "max-errors"))
		o.max_print = (unsigned)strtoul(cli_get(&a, "max-errors"), NULL, 10);
	struct ingest_session *s = ingest_begin(st, &o);
	if (fmt == FMT_JSON)
		printf("{\"files\":[");
	for (size_t i = 1; i < a.npos; i++) {
		struct ingest_result r;
		char eff[MONEY_BUFSZ], bil[MONEY_BUFSZ];
		if (ingest_focus_file(s, a.pos[i], &r) < 0) {
			rc = EXIT_FAIL;
			if (fmt == FMT_JSON) {
				printf("%s{\"file\":", i > 1 ? "," : "");
				json_str(stdout, a.pos[i]);
				printf(",\"status\":\"failed\"}");
			}
			continue;
		}
		money_str(r.total[FA_EFFECTIVE], eff);
		money_str(r.total[FA_BILLED], bil);
		if (fmt == FMT_JSON) {
			printf("%s{\"file\":", i > 1 ? "," : "");
			json_str(stdout, a.pos[i]);
			printf(",\"status\":\"%s\",\"source_id\":%" PRId64 ",\"sha256\":\"%s\","
			       "\"rows\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64 ","
			       "\"billed_cost\":%s,\"effective_cost\":%s,\"restated_daily_rows\":%" PRIu64 "}",
			       r.duplicate ? "duplicate" : "ingested", r.source_id, r.sha256,
			       r.rows, r.accepted, r.rejected, bil, eff, r.restated);
		} else if (r.duplicate) {
			printf("%s: already ingested as source %" PRId64 " (same sha256), nothing to do\n", a.pos[i],
			       r.source_id);
		} else {
			printf("%s: %" PRIu64 " rows, %" PRIu64 " accepted, %" PRIu64 " rejected; BilledCost %s,"
			       " EffectiveCost %s%s\n",
			       a.pos[i], r.rows, r.accepted, r.rejected, bil, eff,
			       r.restated ? " (restated an earlier billing period)" : "");
		}
		fflush(stdout);
	}
	if (fmt == FMT_JSON)
		printf("]}\n");
	ingest_end(s);
	st->ops->close(st);
	cli_args_release(&a);
	return rc;
}
