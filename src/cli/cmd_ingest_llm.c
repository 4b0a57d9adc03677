/* cmd_ingest_llm.c - `aicost ingest llm FILE...`: LLM token usage into the ledger (docs/llm.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/config.h"
#include "core/llm_ingest.h"
#include "core/prices.h"
#include "store/store.h"

static const struct cli_opt opts[] = {
	{ "format", 1, 0, "table|json: the per-file summary on stdout" },
	{ "account", 1, 0, "BillingAccountId of the usage (the organization); restatement is per account" },
	{ "detail-only", 0, 0, "record at zero cost: the provider's tokens are already billed in a FOCUS file" },
	{ "allow-overlap", 0, 0, "skip the check against FOCUS token charges of the same provider and days" },
	{ "strict", 0, 0, "reject the whole file if any record is rejected" },
	{ "max-errors", 1, 0, "rejected records printed per file (default 20)" },
};

static const char usage[] = "ingest llm [--account ID] [--detail-only] [--format table|json] FILE...";
static const char desc[] =
	"Load LLM token usage: OpenAI Usage API pages (/v1/organization/usage/completions),\n"
	"the Anthropic usage report (/v1/organizations/usage_report/messages) or request-log\n"
	"JSONL (the gateway's log), detected from the content; plain, gzip or zstd.\n"
	"Every record is priced with the LiteLLM catalog (prices.catalog, prices.overrides)\n"
	"and becomes FOCUS charges (ServiceCategory 'AI and Machine Learning', ConsumedUnit\n"
	"Tokens, one SkuMeter per direction) in the same ledger as the cloud bills.\n"
	"Models missing from the catalog are kept with their tokens at cost 0 and warned\n"
	"about. A usage export restates the days it covers (per provider and --account);\n"
	"request logs add up. Usage of a provider whose tokens a FOCUS bill already holds\n"
	"for the same days is refused unless --detail-only (zero cost) or --allow-overlap.";

int cmd_ingest_llm(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	struct config cfg;
	int rc = EXIT_OK;
	cli_parse(&a, opts, sizeof opts / sizeof opts[0], argc, argv, usage, desc);
	enum out_format fmt = cli_format(&a);
	if (a.npos < 1)
		usage_error("ingest llm: no FILE given (use - for standard input)");
	if (cli_load_config(ctx, &cfg) < 0) {
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	struct price_catalog *cat = prices_open(&cfg);
	struct store *st = cat ? cli_open_store(ctx, 1) : NULL;
	if (!st) {
		prices_free(cat);
		config_release(&cfg);
		cli_args_release(&a);
		return EXIT_FAIL;
	}
	struct ingest_opts io = { .progress = ctx->progress, .strict = cli_has(&a, "strict") };
	if (cli_get(&a, "max-errors"))
		io.max_print = (unsigned)strtoul(cli_get(&a, "max-errors"), NULL, 10);
	struct llm_ingest_opts lo = { .account = cli_get(&a, "account"), .detail_only = cli_has(&a, "detail-only"),
				      .allow_overlap = cli_has(&a, "allow-overlap") };
	struct ingest_session *s = ingest_begin(st, &io);
	if (fmt == FMT_JSON)
		printf("{\"files\":[");
	for (size_t i = 0; i < a.npos; i++) {
		struct llm_ingest_result r;
		const struct ingest_result *b = &r.base;
		char eff[MONEY_BUFSZ], lst[MONEY_BUFSZ];
		if (ingest_llm_file(s, cat, &lo, a.pos[i], &r) < 0) {
			rc = EXIT_FAIL;
			if (fmt == FMT_JSON) {
				printf("%s{\"file\":", i ? "," : "");
				json_str(stdout, a.pos[i]);
				printf(",\"status\":\"failed\"}");
			}
			continue;
		}
		money_str(b->total[FA_EFFECTIVE], eff);
		money_str(b->total[FA_LIST], lst);
		if (fmt == FMT_JSON) {
			printf("%s{\"file\":", i ? "," : "");
			json_str(stdout, a.pos[i]);
			printf(",\"status\":\"%s\",\"source_id\":%" PRId64 ",\"sha256\":\"%s\"",
			       b->duplicate ? "duplicate" : "ingested", b->source_id, b->sha256);
			if (!b->duplicate) {
				printf(",\"format\":\"%s\",\"records\":%" PRIu64 ",\"rows\":%" PRIu64 ",\"accepted\":%" PRIu64
				       ",\"rejected\":%" PRIu64 ",\"tokens\":%" PRIu64 ",\"effective_cost\":%s,\"list_cost\":%s"
				       ",\"unpriced_records\":%" PRIu64 ",\"unpriced_models\":[",
				       r.format, r.records, b->rows, b->accepted, b->rejected, r.tokens, eff, lst,
				       r.unpriced_records);
				for (unsigned k = 0; k < r.nunpriced && k < LLM_UNPRICED_SHOWN; k++) {
					printf(k ? "," : "");
					json_str(stdout, r.unpriced[k]);
				}
				printf("],\"restated_daily_rows\":%" PRIu64 "}", b->restated);
			} else {
				printf("}");
			}
		} else if (b->duplicate) {
			printf("%s: already ingested as source %" PRId64 " (same sha256), nothing to do\n", a.pos[i],
			       b->source_id);
		} else {
			printf("%s: %s, %" PRIu64 " records, %" PRIu64 " charges, %" PRIu64 " rejected; %" PRIu64
			       " tokens, EffectiveCost %s, ListCost %s%s", a.pos[i], r.format, r.records, b->accepted,
			       b->rejected, r.tokens, eff, lst, lo.detail_only ? " (detail only: recorded at 0)" : "");
			if (r.unpriced_records)
				printf("; %" PRIu64 " unpriced records (%u model%s)", r.unpriced_records, r.nunpriced,
				       r.nunpriced == 1 ? "" : "s");
			printf("%s\n", b->restated ? " (restated earlier usage of the same days)" : "");
		}
		fflush(stdout);
	}
	if (fmt == FMT_JSON)
		printf("]}\n");
	ingest_end(s);
	st->ops->close(st);
	prices_free(cat);
	config_release(&cfg);
	cli_args_release(&a);
	return rc;
}
