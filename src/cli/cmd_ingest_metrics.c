/* cmd_ingest_metrics.c - `aicost ingest metrics FILE...`: business KPIs for unit economics (docs/unit-cost.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/metrics_ingest.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "format", 1, 0, "table|json: the per-file summary on stdout" },
	{ "strict", 0, 0, "reject the whole file if any row is rejected" },
	{ "max-errors", 1, 0, "rejected rows printed per file (default 20)" },
};

static const char usage[] = "ingest metrics [--strict] [--format table|json] FILE...";
static const char desc[] =
	"Load business KPIs for unit economics: CSV rows date,metric,value[,DIM=VALUE...]\n"
	"(e.g. 2026-10-01,transactions_scored,1250000,use_case=fraud-detection); the header\n"
	"is optional and may name dimension columns (date,metric,value,use_case). Values are\n"
	"exact decimals. One transaction per file; the same file again is a no-op; a later\n"
	"file replaces the values of the (date, metric, dimensions) it repeats.\n"
	"Then: aicost unit-cost --metric NAME --by DIMS.";

int cmd_ingest_metrics(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	int rc = EXIT_OK;
	struct timespec ts;
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos < 1)
		usage_error("ingest metrics: no FILE given (use - for standard input)");
	unsigned max_print = cli_get(&a, "max-errors") ? (unsigned)strtoul(cli_get(&a, "max-errors"), NULL, 10) : 20;
	struct store *st = cli_open_store(ctx, 1);
	if (!st) {
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t batch = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (fmt == FMT_JSON)
		printf("{\"files\":[");
	for (size_t i = 0; i < a.npos; i++) {
		struct metrics_ingest_result r;
		int ok = ingest_metrics_file(st, batch, a.pos[i], cli_has(&a, "strict"), max_print, &r) == 0;
		if (!ok)
			rc = EXIT_FAIL;
		if (fmt == FMT_JSON) {
			printf("%s{\"file\":", i ? "," : "");
			json_str(stdout, a.pos[i]);
			if (!ok)
				printf(",\"status\":\"failed\"}");
			else
				printf(",\"status\":\"%s\",\"source_id\":%" PRId64 ",\"sha256\":\"%s\",\"rows\":%" PRIu64
				       ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"metrics\":%u}",
				       r.duplicate ? "duplicate" : "ingested", r.source_id, r.sha256, r.rows, r.accepted,
				       r.rejected, r.nmetrics);
		} else if (ok && r.duplicate) {
			printf("%s: already ingested as source %" PRId64 " (same sha256), nothing to do\n", a.pos[i],
			       r.source_id);
		} else if (ok) {
			printf("%s: %" PRIu64 " rows, %" PRIu64 " accepted, %" PRIu64 " rejected; %u metric%s (%s%s)\n",
			       a.pos[i], r.rows, r.accepted, r.rejected, r.nmetrics, r.nmetrics == 1 ? "" : "s",
			       r.first_metric, r.nmetrics > 1 ? ", ..." : "");
		}
		fflush(stdout);
	}
	if (fmt == FMT_JSON)
		printf("]}\n");
	st->ops->close(st);
	cli_args_release(&a);
	return rc;
}
