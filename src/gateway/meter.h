/*
 * meter.h - what a request used and cost, read from upstream responses,
 * and the request-log record (SPEC section 2) that carries it to the ledger.
 *
 * Non-stream responses: the top-level "usage" object (OpenAI chat,
 * completions, embeddings; Anthropic messages). Streams: every relayed SSE
 * event goes through meter_event(), which takes usage from whichever chunk
 * carries it (OpenAI's final chunk when stream_options.include_usage is on,
 * Anthropic's message_start and message_delta with cumulative counts) and
 * counts the content deltas relayed, so a stream that ends early (client
 * gone, upstream reset) is billed for what was delivered: the prompt (exact
 * from Anthropic's message_start, else the gateway's estimate) plus one
 * output token per content delta relayed, or the last cumulative output
 * count when that is larger.
 *
 * Costs come from the catalog with prices_cost(), from the same disjoint
 * counts the ledger's request-log parser derives from the record, so the
 * x-aicost-cost header equals what the ledger books.
 *
 * Ownership: nothing allocated; records are written into caller buffers.
 */
#ifndef AICOST_GW_METER_H
#define AICOST_GW_METER_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"
#include "core/prices.h"
#include "gateway/reqbody.h"

struct sse_event;

/* Usage as the provider reports it (OpenAI nests cached in prompt, reasoning in completion). */
struct gw_usage {
	int found;
	int anthropic;               /* Anthropic shape (disjoint input / cache fields) */
	uint64_t prompt, completion, cached, reasoning;          /* OpenAI */
	uint64_t input, output, cache_read, cache_write, cache_write_1h;   /* Anthropic */
	int has_split_write;         /* Anthropic cache_creation{ephemeral_5m,1h} given */
	int tier;                    /* enum llm_tier from the response's service_tier (priority, flex prices) */
};

/* The tier named by a service_tier string span into u (anything unknown is standard). */
void meter_tier(const struct js_span *v, struct gw_usage *u);
/* Merge a usage object (OpenAI or Anthropic shape) into u: fields present overwrite (cumulative counts). */
void meter_usage_obj(const struct js_span *usage, int anthropic, struct gw_usage *u);
/* Usage of a complete non-stream response body; 1 found, 0 none, -1 not JSON. */
int meter_body(const char *p, size_t n, int anthropic, struct gw_usage *u);
/* Disjoint token counts for pricing (the same rules as formats/llm_jsonl.c). */
void meter_llm_usage(const struct gw_usage *u, struct llm_usage *out);
/* Total prompt (input incl. cache) and output tokens. */
uint64_t meter_prompt_tokens(const struct gw_usage *u);
uint64_t meter_output_tokens(const struct gw_usage *u);

/* Stream state. */
struct gw_smeter {
	int anthropic;
	int hide_usage;              /* the gateway added include_usage: drop the usage-only chunk */
	struct gw_usage usage;
	uint64_t delivered;          /* content deltas relayed (about one token each) */
	int done;                    /* [DONE] or message_stop seen */
	int final_usage;             /* the final usage arrived (OpenAI usage chunk, Anthropic message_delta) */
	int error;                   /* an error event came */
};

enum meter_action { MA_RELAY, MA_DROP };
/* Look at one event. MA_DROP for the usage-only chunk the client did not ask for. */
enum meter_action meter_event(struct gw_smeter *m, const struct sse_event *ev);
/*
 * The usage to bill for a stream. complete: it ended properly. prompt_est:
 * the gateway's estimate when the provider never said.
 */
void meter_stream_usage(const struct gw_smeter *m, uint64_t prompt_est, struct gw_usage *out);

/* Cost of usage on a catalog model (NULL = unpriced: 0). -1 on overflow (reported). */
int meter_cost(const struct llm_model *m, const struct gw_usage *u, money_t *cost);

/* One request-log record. */
struct gw_record {
	const char *id;
	int64_t ts_ms;               /* request arrival, epoch ms */
	const char *provider;        /* catalog id: openai, anthropic, azure */
	const char *model;           /* priced model name */
	const struct gw_usage *usage;   /* NULL: no usage (failed, refused) */
	const char *const *mk, *const *mv;   /* metadata tags */
	size_t nmeta;
	uint64_t latency_ms;
	int status;
	const char *prompt_sha256;   /* hex or NULL */
	uint64_t prompt_chars;
	int stream;
	money_t cost;
	const char *cache;           /* hit | semantic-hit | miss | NULL */
	const char *route;           /* deployment, or NULL */
	const char *endpoint;
	const char *outcome;         /* complete | client_closed | upstream_reset | ... */
};

/* Write rec as one JSON line (with '\n') into out; returns the length, or 0 if cap is too small. */
size_t meter_record(const struct gw_record *rec, char *out, size_t cap);

#endif
