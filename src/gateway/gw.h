/*
 * gw.h - the running gateway: what the server (connections), the proxy
 * (request lifecycle) and the metrics share. Internal to src/gateway/.
 *
 * One event loop runs everything (accept, client I/O, libcurl, timers), so
 * nothing here is locked. The spool's writer thread and the alert thread
 * touch only their own queues.
 *
 * Ownership: struct gw owns the connections, the request pool, the curl
 * pool, the spool and the caches; a struct conn owns its buffers and, while
 * one is in flight, its request; a request owns its upstream transfer.
 */
#ifndef AICOST_GW_GW_H
#define AICOST_GW_GW_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/buffer.h>
#include <curl/curl.h>
#include "gateway/gwconfig.h"
#include "gateway/http.h"
#include "gateway/limits.h"
#include "gateway/meter.h"
#include "gateway/metrics.h"
#include "gateway/reqbody.h"
#include "gateway/route.h"
#include "gateway/sse.h"
#include "gateway/upstream.h"

struct config;
struct price_catalog;
struct gw_spool;
struct gw_cache;
struct gw_sem;
struct gw_req;
struct gw_alerts;
struct gw_state;

struct conn {
	struct gw *g;
	int fd;
	struct event rev, wev, idle;
	char *in;                    /* bytes received and not yet handled (NULL when none) */
	size_t in_len, in_cap;
	struct evbuffer *out;
	struct gw_req *req;          /* the request in flight, or NULL */
	struct conn *prev, *next;
	char *key_raw;               /* the last virtual key this client presented, and what it resolved to */
	size_t key_len;
	const struct gw_key *key;
	unsigned closed : 1;         /* closed; freed on the next loop turn */
	unsigned broken : 1;         /* a write failed: the client is gone */
	unsigned close_after : 1;    /* close once the output is written */
	unsigned reading : 1;        /* rev is added */
	unsigned sent_continue : 1;  /* "100 Continue" went out for the current request */
};

struct gw {
	struct event_base *base;
	const struct config *cfg;
	struct gw_conf *conf;
	const struct price_catalog *cat;
	const char *db_path;
	struct gw_upstreams *up;
	struct gw_spool *spool;
	struct gw_cache *cache;      /* exact cache, or NULL */
	struct gw_sem *sem;          /* semantic cache (lexical embedder), or NULL */
	struct gw_sem *sem_up;       /* semantic cache on upstream embeddings (created with the first vector) */
	size_t sem_up_dim;
	struct gw_alerts *alerts;
	struct gw_state *state;      /* shared budgets and rate limits in Redis (state.h), or NULL: in-process */
	struct gw_metrics m;
	struct evconnlistener *lis;
	struct conn *conns;
	uint32_t nconns;
	struct gw_req *free_reqs;
	uint32_t nfree;
	char *scratch;               /* read buffer shared by every connection */
	size_t scratch_cap;
	uint64_t seq;
	char boot[16];               /* request id prefix, unique per start */
	struct event tick;
	struct event sig_int, sig_term;
	struct timeval common_idle;  /* libevent common timeout for idle connections */
	const struct timeval *idle_tv;
	int stopping;
	double last_io;              /* gw_mono() of the last client read (gateway.busy_poll) */
};

/* ---- server.c: connections ---- */
int server_listen(struct gw *g, const char *addr);
void server_close_all(struct gw *g);
/* Queue bytes for the client (nothing is written yet). */
void conn_queue(struct conn *c, const void *p, size_t n);
/*
 * Write a..an then b..bn (bn may be 0) now, in one writev() when nothing is
 * queued ahead (the common case: a whole response); what the socket does
 * not take is queued. Never closes (a failed write marks the connection broken).
 */
void conn_send(struct conn *c, const void *a, size_t an, const void *b, size_t bn);
/* Write what is queued now; what the socket does not take waits for writability. Never closes. */
void conn_flush(struct conn *c);
size_t conn_out_len(const struct conn *c);
/* The response of c->req is complete: keep the connection for the next request, or close it after the flush. */
void conn_response_done(struct conn *c, int keep_alive);
/* Close now (the request, if any, must be detached first). */
void conn_abort(struct conn *c);

/* ---- proxy.c: requests ---- */
/* A complete request: everything it needs is copied before this returns. */
void proxy_dispatch(struct conn *c, const struct http_req *h, char *body, size_t n);
/* The client went away while c->req was in flight. */
void proxy_client_gone(struct gw_req *r);
/* The client's output drained: resume a paused upstream. */
void proxy_drained(struct gw_req *r);
/* Send a complete error response in the OpenAI error shape. */
void proxy_error(struct conn *c, int status, const char *type, const char *code, const char *message,
		 double retry_after, int keep_alive);
void proxy_free_pool(struct gw *g);

/* ---- alerts (proxy.c): soft budget limits -> webhooks on a side thread ---- */
struct gw_alerts *alerts_start(void);
void alerts_stop(struct gw_alerts *a);
void alerts_soft(void *arg, const struct gw_account *a, const struct gw_budget *b, money_t used);

/* Monotonic seconds, and wall-clock epoch milliseconds (cached by the loop). */
double gw_mono(void);
int64_t gw_wall_ms(void);

#endif
