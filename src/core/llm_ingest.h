/*
 * llm_ingest.h - LLM token usage files into the FOCUS ledger (docs/llm.md).
 *
 * A usage file (OpenAI Usage API pages, Anthropic usage report, request-log
 * JSONL; formats/llm_usage.h) is parsed, every record is priced with the
 * catalog (core/prices.h), and each token direction becomes one FOCUS-shaped
 * charge (ServiceCategory "AI and Machine Learning", ServiceSubcategory
 * "Generative AI", ConsumedUnit "Tokens", SkuMeter "Input Tokens", ...) fed
 * through ingest_rows(), so it lands in the same ledger with the same
 * guarantees as a FOCUS file: one transaction, same-sha256 no-op, source
 * accounting (kind "llm"), segments and daily sums. Request logs are
 * streamed in batches of lines (flat memory); usage pages are read whole.
 *
 * Overlap: usage exports (OpenAI/Anthropic) restate per (provider, account,
 * UTC day): a later invocation's export of a day replaces the earlier one.
 * Request logs only add (each request is one event).
 *
 * Reconciliation: unless told otherwise, a file whose provider already has
 * token charges from a FOCUS bill on the same days is refused (nothing is
 * written) so nothing is counted twice; --detail-only records it at zero
 * cost (tokens and estimated cost kept for allocation and unit economics).
 */
#ifndef AICOST_LLM_INGEST_H
#define AICOST_LLM_INGEST_H

#include <stdint.h>
#include "core/ingest.h"

struct price_catalog;

struct llm_ingest_opts {
	const char *account;       /* BillingAccountId of the usage (organization); NULL = none */
	int detail_only;           /* record at zero cost: the provider is billed through FOCUS */
	int allow_overlap;         /* skip the reconciliation guard */
};

#define LLM_UNPRICED_SHOWN 8

struct llm_ingest_result {
	struct ingest_result base;
	const char *format;            /* "openai-usage", "anthropic-usage", "jsonl" */
	uint64_t records, skipped;
	uint64_t tokens;               /* all directions */
	uint64_t unpriced_records;
	uint64_t unpriced_tokens;
	char unpriced[LLM_UNPRICED_SHOWN][96];   /* first distinct unpriced models */
	unsigned nunpriced;            /* distinct unpriced models (may exceed LLM_UNPRICED_SHOWN) */
};

/* 0 ok (maybe duplicate), -1 failed (reported; ledger unchanged). */
int ingest_llm_file(struct ingest_session *s, const struct price_catalog *cat, const struct llm_ingest_opts *o,
		    const char *path, struct llm_ingest_result *res);

/* FOCUS ServiceProviderName for a provider id ("openai" -> "OpenAI", "azure" -> "Microsoft"). */
const char *llm_provider_display(const char *provider);

#endif
