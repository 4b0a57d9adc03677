/*
 * prices.h - the LLM price catalog: LiteLLM's model_prices_and_context_window.json
 * format, exact prices, robust model-name lookup, and the cost of a usage
 * record (docs/llm.md, "Pricing rules").
 *
 * Exactness: jansson turns JSON numbers into doubles, so the loader first
 * rewrites every number literal outside a string into a string holding the
 * same characters ("2.5e-06"), then parses that; each price is read from its
 * original text with money_parse (10^-18 units). No price ever is a double.
 *
 * Lookup: the catalog is loaded once and never changes afterwards, so any
 * number of threads may call prices_find()/prices_cost() on it without a
 * lock. A lookup is a few hash probes (exact name, lower case, provider
 * prefix added or stripped, date/version suffix stripped).
 *
 * Ownership: the catalog owns every model and string; pointers returned by
 * prices_find() live until prices_free().
 */
#ifndef AICOST_PRICES_H
#define AICOST_PRICES_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct config;
struct cfg_node;

/* Token directions, each priced on its own (and one FOCUS SkuMeter each). */
enum llm_dir {
	LD_INPUT,          /* uncached input tokens */
	LD_CACHE_READ,     /* input tokens read from the prompt cache */
	LD_CACHE_WRITE,    /* input tokens written to the cache (5-minute TTL, the default) */
	LD_CACHE_WRITE_1H, /* Anthropic 1-hour cache writes */
	LD_OUTPUT,         /* output tokens, reasoning excluded */
	LD_REASONING,      /* reasoning ("thinking") tokens, billed as output */
	LD__COUNT
};

/* Service tier of the usage: which price list applies. */
enum llm_tier { LT_STANDARD, LT_BATCH, LT_PRIORITY, LT_FLEX };

/*
 * One usage record. The counts are DISJOINT: every token is in exactly one
 * field (parsers subtract cached from prompt tokens and reasoning from
 * completion tokens where the provider nests them), so nothing is counted
 * twice.
 */
struct llm_usage {
	uint64_t tokens[LD__COUNT];
	uint64_t requests;         /* requests behind the record; 0 = unknown (taken as 1) */
	enum llm_tier tier;
	/*
	 * Long-context tier: -1 decide from the prompt size (input + cache read
	 * + cache writes) per request; for an aggregated record of n requests
	 * that is the average, exact only when every request is on the same
	 * side of the threshold. 0/1 force it (Anthropic's context_window).
	 */
	int long_context;
};

struct llm_model {
	char *name;                /* catalog key */
	char *provider;            /* litellm_provider, or "" */
	money_t price[LD__COUNT];  /* USD per token, standard tier */
	unsigned have;             /* bit d: price[d] given by the catalog */
	money_t batch[LD__COUNT], priority[LD__COUNT], flex[LD__COUNT];
	unsigned have_batch, have_priority, have_flex;
	money_t above[LD__COUNT];  /* long-context prices */
	unsigned have_above;
	uint64_t above_tokens;     /* the threshold: 128000 or 200000; 0 = no tier */
	uint64_t max_output_tokens;  /* max_output_tokens (else max_tokens) of the entry; 0 = unknown (gateway reservations) */
};

struct llm_cost {
	money_t cost[LD__COUNT];       /* at the applied prices (BilledCost/EffectiveCost) */
	money_t list[LD__COUNT];       /* at standard prices, no batch discount (ListCost) */
	money_t unit[LD__COUNT];       /* applied USD per token */
	money_t list_unit[LD__COUNT];
	money_t total, list_total;
	int long_context;              /* the long-context tier was applied */
};

struct price_catalog;

/*
 * Load a catalog file (LiteLLM format). name is used in messages. NULL after
 * reporting "aicost: FILE:LINE:COL: why". Entries without any per-token
 * price (images, audio seconds) are skipped, as is "sample_spec".
 */
struct price_catalog *prices_load(const char *path);
/* Same from memory (tests, fuzzing). */
struct price_catalog *prices_load_mem(const char *buf, size_t n, const char *name);
/*
 * The catalog a command should use: cfg->prices_catalog when set, else the
 * built-in data/prices/model_prices_and_context_window.json (util/datadir.h),
 * then `prices.overrides` from the config applied on top. cfg may be NULL.
 */
struct price_catalog *prices_open(const struct config *cfg);
/*
 * Apply `prices.overrides` (a map: model -> { LiteLLM price keys }) onto c:
 * an existing model's given fields are replaced, an unknown model is added.
 * 0 or -1 after reporting "FILE:LINE:COL: prices.overrides.MODEL.KEY: why".
 */
int prices_apply_overrides(struct price_catalog *c, const struct cfg_node *overrides, const char *file);
void prices_free(struct price_catalog *c);
size_t prices_count(const struct price_catalog *c);

/*
 * Find a model. provider (may be NULL) is a hint such as "openai", "azure",
 * "anthropic": "<provider>/<model>" is tried first. Then the name as given,
 * in lower case, without "provider/" prefixes, without a date or version
 * suffix (-2024-08-06, -20250929, @20250929, -latest, -v1:0) and, for
 * fine-tuned OpenAI models (ft:BASE:org::id), as ft:BASE and BASE.
 * NULL when nothing matches.
 */
const struct llm_model *prices_find(const struct price_catalog *c, const char *model, const char *provider);

/*
 * Cost of usage u at model m's prices (exact). Rules: cache reads fall back
 * to the input price, 5-minute cache writes to the input price, 1-hour
 * writes to cache_creation_input_token_cost_above_1hr, else 2x the input
 * price; reasoning tokens to output_cost_per_reasoning_token, else the
 * output price. Batch: *_batches prices, else 50% of the standard price.
 * Priority/flex: *_priority / *_flex prices, else standard. Returns 0, or
 * -1 on overflow (reported).
 */
int prices_cost(const struct llm_model *m, const struct llm_usage *u, struct llm_cost *out);

/* SkuMeter of a direction: "Input Tokens", "Cache Read Input Tokens", ... */
extern const char *const llm_dir_meter[LD__COUNT];
/* Short stable names: "input", "cache_read", ... */
extern const char *const llm_dir_name[LD__COUNT];

#endif
