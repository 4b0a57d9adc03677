/*
 * metrics.c - histograms and the Prometheus text exposition of the
 * gateway; see metrics.h.
 */
#include <stdio.h>
#include <event2/buffer.h>
#include "gateway/cache.h"
#include "gateway/gw.h"
#include "gateway/spool.h"
#include "gateway/state.h"

const double gw_hist_bounds[GW_HIST_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
};

const char *const gw_ep_name[EP__COUNT] = {
	"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/messages", "/v1/models", "other",
};

void hist_add(struct gw_hist *h, double s)
{
	int i = 0;
	while (i < GW_HIST_BUCKETS && s > gw_hist_bounds[i])
		i++;
	h->b[i]++;
	h->count++;
	h->sum += s;
}

static void hist_render(struct evbuffer *o, const char *name, const char *help, const struct gw_hist *h)
{
	uint64_t cum = 0;
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < GW_HIST_BUCKETS; i++) {
		cum += h->b[i];
		evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, gw_hist_bounds[i], (unsigned long long)cum);
	}
	cum += h->b[GW_HIST_BUCKETS];
	evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name,
			    (unsigned long long)cum, name, h->sum, name, (unsigned long long)h->count);
}

static void counter(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

static void gauge(struct evbuffer *o, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

void metrics_render(struct gw *g, struct evbuffer *o)
{
	const struct gw_metrics *m = &g->m;
	static const char *const cls[6] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };
	evbuffer_add_printf(o, "# HELP aicost_gateway_requests_total Requests by endpoint and status class "
			       "(none: the client went away first).\n# TYPE aicost_gateway_requests_total counter\n");
	for (int e = 0; e < EP__COUNT; e++)
		for (int k = 0; k < 6; k++)
			if (m->requests[e][k])
				evbuffer_add_printf(o, "aicost_gateway_requests_total{endpoint=\"%s\",status=\"%s\"} %llu\n",
						    gw_ep_name[e], cls[k], (unsigned long long)m->requests[e][k]);
	evbuffer_add_printf(o, "# HELP aicost_gateway_tokens_total Tokens metered, by direction.\n"
			       "# TYPE aicost_gateway_tokens_total counter\n");
	for (int d = 0; d < LD__COUNT; d++)
		evbuffer_add_printf(o, "aicost_gateway_tokens_total{direction=\"%s\"} %llu\n", llm_dir_name[d],
				    (unsigned long long)m->tokens[d]);
	char cost[MONEY_BUFSZ];
	money_str(m->cost, cost);
	evbuffer_add_printf(o, "# HELP aicost_gateway_cost_usd_total Cost metered (USD, exact decimal).\n"
			       "# TYPE aicost_gateway_cost_usd_total counter\naicost_gateway_cost_usd_total %s\n", cost);
	evbuffer_add_printf(o, "# HELP aicost_gateway_cache_total Cache lookups by result.\n"
			       "# TYPE aicost_gateway_cache_total counter\n"
			       "aicost_gateway_cache_total{result=\"hit\"} %llu\n"
			       "aicost_gateway_cache_total{result=\"semantic-hit\"} %llu\n"
			       "aicost_gateway_cache_total{result=\"miss\"} %llu\n",
			    (unsigned long long)m->cache_hits, (unsigned long long)m->cache_semantic_hits,
			    (unsigned long long)m->cache_misses);
	counter(o, "aicost_gateway_budget_rejections_total", "Requests refused with 429 budget_exceeded.",
		m->budget_rejections);
	counter(o, "aicost_gateway_rate_limit_rejections_total", "Requests refused with 429 rate_limit_exceeded.",
		m->rate_limit_rejections);
	counter(o, "aicost_gateway_auth_failures_total", "Requests refused with 401.", m->auth_failures);
	counter(o, "aicost_gateway_bad_requests_total", "Requests refused with 400/413 (body, framing).", m->bad_requests);
	counter(o, "aicost_gateway_upstream_errors_total", "Upstream attempts that failed (429, 5xx, timeout, reset).",
		m->upstream_errors);
	counter(o, "aicost_gateway_retries_total", "Retries on the same deployment.", m->retries);
	counter(o, "aicost_gateway_fallbacks_total", "Moves to the next deployment.", m->fallbacks);
	counter(o, "aicost_gateway_client_closed_total", "Requests whose client went away before the end.",
		m->client_closed);
	counter(o, "aicost_gateway_streams_total", "Streamed responses relayed.", m->streams);
	evbuffer_add_printf(o, "# HELP aicost_gateway_deployment_cooldown 1 while a deployment is cooling down after failures.\n"
			       "# TYPE aicost_gateway_deployment_cooldown gauge\n");
	double now = gw_mono();
	for (size_t i = 0; i < g->conf->rt.ndeps; i++) {
		const struct gw_deploy *d = &g->conf->rt.deps[i];
		evbuffer_add_printf(o, "aicost_gateway_deployment_cooldown{deployment=\"%s\"} %d\n", d->name,
				    route_cooling(d, now));
	}
	evbuffer_add_printf(o, "# HELP aicost_gateway_upstream_attempts_total Upstream attempts by deployment and result "
			       "(failed: 429, 5xx, timeout, reset).\n# TYPE aicost_gateway_upstream_attempts_total counter\n");
	for (size_t i = 0; i < g->conf->rt.ndeps; i++) {
		const struct gw_deploy *d = &g->conf->rt.deps[i];
		evbuffer_add_printf(o, "aicost_gateway_upstream_attempts_total{deployment=\"%s\",result=\"ok\"} %llu\n"
				       "aicost_gateway_upstream_attempts_total{deployment=\"%s\",result=\"failed\"} %llu\n",
				    d->name, (unsigned long long)d->n_ok, d->name, (unsigned long long)d->n_failed);
	}
	gauge(o, "aicost_gateway_connections", "Open client connections.", m->conns_open);
	counter(o, "aicost_gateway_connections_total", "Client connections accepted.", m->conns_total);
	gauge(o, "aicost_gateway_requests_in_flight", "Requests in flight.", m->inflight);
	hist_render(o, "aicost_gateway_request_duration_seconds", "Request arrival to response end.", &m->latency);
	hist_render(o, "aicost_gateway_overhead_seconds", "Time spent in the gateway (duration minus upstream time).",
		    &m->overhead);
	hist_render(o, "aicost_gateway_upstream_duration_seconds", "Upstream time of requests that went upstream.",
		    &m->upstream);
	if (g->spool) {
		struct gw_spool_stats s;
		spool_stats(g->spool, &s);
		counter(o, "aicost_gateway_spool_records_total", "Metering records appended to the spool.", s.records);
		counter(o, "aicost_gateway_spool_write_errors_total", "Metering records that could not be written.",
			s.write_errors);
		counter(o, "aicost_gateway_spool_fsyncs_total", "fdatasync calls on the spool.", s.fsyncs);
		counter(o, "aicost_gateway_ledger_segments_total", "Spool segments ingested into the ledger.", s.ingested);
		counter(o, "aicost_gateway_ledger_records_total", "Records the ledger took from the spool.", s.ledger_records);
		counter(o, "aicost_gateway_ledger_errors_total", "Failed ledger ingests (retried).", s.ingest_errors);
	}
	if (g->state)
		state_metrics(g->state, o);
	if (g->cache) {
		struct gw_cache_stats cs;
		gw_cache_get_stats(g->cache, &cs);
		gauge(o, "aicost_gateway_cache_entries", "Exact cache entries.", cs.entries);
		gauge(o, "aicost_gateway_cache_bytes", "Exact cache bytes.", cs.bytes);
	}
	if (g->sem) {
		struct gw_cache_stats cs;
		gw_sem_get_stats(g->sem, &cs);
		gauge(o, "aicost_gateway_semantic_cache_entries", "Semantic cache entries.", cs.entries);
		gauge(o, "aicost_gateway_semantic_cache_bytes", "Semantic cache bytes.", cs.bytes);
	}
}
