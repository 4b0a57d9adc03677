/*
 * metrics.h - the gateway's counters and histograms, and their Prometheus
 * text exposition (GET /metrics).
 *
 * Everything is updated on the event loop (plain integers, no atomics);
 * spool counters come from the writer thread through spool_stats().
 * Money is kept exact and printed as a decimal.
 *
 * Ownership: struct gw_metrics is embedded in the running gateway.
 */
#ifndef AICOST_GW_METRICS_H
#define AICOST_GW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"
#include "core/prices.h"

#define GW_HIST_BUCKETS 20

struct gw_hist {
	uint64_t b[GW_HIST_BUCKETS + 1];   /* the last is +Inf */
	uint64_t count;
	double sum;
};
extern const double gw_hist_bounds[GW_HIST_BUCKETS];   /* seconds */

void hist_add(struct gw_hist *h, double seconds);

enum gw_ep { EP_CHAT, EP_COMPLETIONS, EP_EMBEDDINGS, EP_MESSAGES, EP_MODELS, EP_OTHER, EP__COUNT };
extern const char *const gw_ep_name[EP__COUNT];

struct gw_metrics {
	uint64_t requests[EP__COUNT][6];   /* by status class 1xx..5xx (index 1..5), 0 = no response */
	uint64_t tokens[LD__COUNT];
	money_t cost;
	uint64_t cache_hits, cache_semantic_hits, cache_misses;
	uint64_t budget_rejections, rate_limit_rejections, auth_failures, bad_requests;
	uint64_t upstream_errors, retries, fallbacks, client_closed, streams, unmetered;
	uint64_t conns_open, conns_total, inflight;
	struct gw_hist latency;      /* request arrival to last byte queued */
	struct gw_hist overhead;     /* latency minus upstream time */
	struct gw_hist upstream;     /* upstream time (request sent to response complete) */
};

struct gw;
struct evbuffer;
/* Write the exposition of g's metrics into out. */
void metrics_render(struct gw *g, struct evbuffer *out);

#endif
