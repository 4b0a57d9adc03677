/* cmd_ingest_gpu.c - `aicost ingest gpu [--host ID] [--at TIME] FILE...`: GPU telemetry into the ledger. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/gpu_ingest.h"
#include "core/gpu_query.h"
#include "formats/focus.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "host", 1, 0, "the machine the files come from (nvidia-smi CSV has no host name)" },
	{ "at", 1, 0, "scrape time of exposition files without sample timestamps (default: the file's mtime)" },
	{ "format", 1, 0, "table|json: the per-file summary on stdout" },
};

static const char usage[] = "ingest gpu [--host ID] [--at TIME] [--format table|json] FILE...";
static const char desc[] =
	"Load GPU telemetry into the ledger as daily rollups per GPU and label set.\n"
	"Formats, detected from content: nvidia-smi --query-gpu CSV (with or without\n"
	"header and units), Prometheus query_range JSON of dcgm-exporter metrics, and\n"
	"dcgm-exporter /metrics text (one scrape). Plain, gzip or zstd; - is stdin.\n"
	"One transaction per file; a file already ingested (same SHA-256) is skipped.\n"
	"Config: gpu: { max_gap: 600, default_interval: 60 } (seconds; docs/gpu.md).";

static void day_str(int32_t d, char out[11])
{
	format_day(d, out);
}

int cmd_ingest_gpu(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	struct gpu_settings gs;
	int rc = EXIT_OK;

	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos < 1)
		usage_error("ingest gpu: no FILE given (use - for standard input)");
	struct gpu_ingest_opts o = { .host = cli_get(&a, "host") };
	if (cli_get(&a, "at") && gpu_parse_time(cli_get(&a, "at"), strlen(cli_get(&a, "at")), &o.at_ms) < 0)
		usage_error("--at: '%s' is not a time (2026-10-01T12:00:00Z)", cli_get(&a, "at"));
	if (cli_load_config(ctx, &cfg) < 0) {
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	if (gpu_settings_read(&cfg, &gs) < 0) {
		config_release(&cfg);
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	o.acc.max_gap_ms = gs.max_gap_ms;
	o.acc.default_interval_ms = gs.default_interval_ms;
	struct store *st = cli_open_store(ctx, 1);
	if (!st) {
		config_release(&cfg);
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	if (fmt == FMT_JSON)
		printf("{\"files\":[");
	for (size_t i = 0; i < a.npos; i++) {
		struct gpu_ingest_result r;
		const char *sep = i ? "," : "";
		if (ctx->progress)
			fprintf(stderr, "\raicost: ingest gpu: file %zu of %zu: %.60s\033[K", i + 1, a.npos, a.pos[i]);
		if (gpu_ingest_file(st, a.pos[i], &o, &r) < 0) {
			rc = EXIT_FAIL;
			if (fmt == FMT_JSON) {
				printf("%s{\"file\":", sep);
				json_str(stdout, a.pos[i]);
				printf(",\"status\":\"failed\"}");
			}
			continue;
		}
		char d0[11] = "", d1[11] = "";
		if (!r.duplicate && r.stats.min_day <= r.stats.max_day) {
			day_str(r.stats.min_day, d0);
			day_str(r.stats.max_day, d1);
		}
		if (fmt == FMT_JSON) {
			printf("%s{\"file\":", sep);
			json_str(stdout, a.pos[i]);
			printf(",\"status\":\"%s\",\"source_id\":%" PRId64 ",\"sha256\":\"%s\"", r.duplicate ? "duplicate" : "ingested",
			       r.source_id, r.sha256);
			if (!r.duplicate)
				printf(",\"format\":\"%s\",\"values\":%" PRIu64 ",\"duplicate_values\":%" PRIu64
				       ",\"overlapping_values\":%" PRIu64 ",\"devices\":%" PRIu64 ",\"rollups\":%" PRIu64
				       ",\"from\":\"%s\",\"to\":\"%s\"",
				       gpu_format_name(r.format), r.stats.values, r.stats.duplicates, r.stats.overlaps, r.stats.devices,
				       r.stats.rollups, d0, d1);
			printf("}");
		} else if (r.duplicate) {
			printf("%s: already ingested as source %" PRId64 " (same sha256), nothing to do\n", a.pos[i], r.source_id);
		} else {
			printf("%s: %s, %" PRIu64 " values (%" PRIu64 " duplicate, %" PRIu64 " already covered by another"
			       " source), %" PRIu64 " GPU%s, %" PRIu64 " daily rollup%s, %s to %s\n",
			       a.pos[i], gpu_format_name(r.format), r.stats.values, r.stats.duplicates, r.stats.overlaps,
			       r.stats.devices,
			       r.stats.devices == 1 ? "" : "s", r.stats.rollups, r.stats.rollups == 1 ? "" : "s",
			       d0[0] ? d0 : "-", d1[0] ? d1 : "-");
		}
		fflush(stdout);
	}
	if (ctx->progress)
		fprintf(stderr, "\r\033[K");
	if (fmt == FMT_JSON)
		printf("]}\n");
	st->ops->close(st);
	config_release(&cfg);
	cli_args_release(&a);
	return rc;
}
