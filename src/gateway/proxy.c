/*
 * proxy.c - one request through the gateway: authenticate, parse, route,
 * admit (budgets and rate limits), answer from the cache or go upstream
 * (retries, fallback), relay the response (streams event by event), meter
 * it, and spool its record before the response's last byte.
 *
 * Chapters: the request object and its pool, metering, the upstream
 * attempt (body, headers, curl), curl callbacks, the end of an attempt
 * (retry/fallback/finish), client side events, and dispatch (the
 * synchronous part, from a complete HTTP request). Response heads and
 * errors are in respond.c, the caches' side in proxy_cache.c (proxy.h).
 *
 * Ownership: a gw_req is taken from g->free_reqs when a request is
 * dispatched and goes back when it is finished; its buffers (upstream
 * body, header nodes, response) stay with it across reuse, so the steady
 * state allocates little. While in flight it is c->req; a client that goes
 * away detaches it (r->c = NULL) and the request is finished at once.
 * Nothing inside a curl callback frees the request or closes the
 * connection: those happen in done(), timers and connection events.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "core/prices.h"
#include "gateway/cache.h"
#include "gateway/gw.h"
#include "gateway/proxy.h"
#include "gateway/keys.h"
#include "gateway/spool.h"
#include "gateway/state.h"
#include "util/err.h"

const char *const px_cache_name[] = { NULL, "miss", "hit", "semantic-hit" };


/* ---- time ------------------------------------------------------------------------------- */

double gw_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t gw_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t px_today(void)
{
	int64_t ms = gw_wall_ms();
	return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

/* ---- the request pool ---------------------------------------------------------------------- */

static void on_timer(evutil_socket_t fd, short what, void *arg);
static void on_done(struct up_xfer *x, CURLcode rc);

static struct gw_req *req_new(struct gw *g, struct conn *c)
{
	struct gw_req *r = g->free_reqs;
	if (r) {
		g->free_reqs = r->next_free;
		g->nfree--;
		/* Keep the buffers, clear the rest. */
		char *body = r->body, *hbuf = r->hbuf, *resp = r->resp;
		size_t bc = r->body_cap, hc = r->hcap, rc = r->resp_cap, nc = r->ncap;
		struct curl_slist *nodes = r->nodes;
		memset(r, 0, sizeof *r);
		r->body = body, r->body_cap = bc, r->hbuf = hbuf, r->hcap = hc, r->resp = resp, r->resp_cap = rc;
		r->nodes = nodes, r->ncap = nc;
	} else {
		r = xcalloc(1, sizeof *r);
	}
	r->g = g;
	r->c = c;
	r->x.done = on_done;
	evtimer_assign(&r->timer, g->base, on_timer, r);
	g->m.inflight++;
	return r;
}

CURL *px_easy(struct gw_req *r, const struct gw_upstream *u)
{
	if (r->x.easy && r->easy_owner != u)
		px_easy_release(r);
	if (!r->x.easy) {
		r->x.easy = up_easy(r->g->up, u);
		r->easy_owner = u;
	}
	return r->x.easy;
}

void px_easy_release(struct gw_req *r)
{
	if (r->x.easy)
		up_release(r->g->up, r->x.easy, r->easy_owner);
	r->x.easy = NULL;
	r->easy_owner = NULL;
}

static void req_free(struct gw_req *r)
{
	struct gw *g = r->g;
	if (r->timer_on)
		evtimer_del(&r->timer);
	if (r->x.active)
		up_cancel(g->up, &r->x);
	px_easy_release(r);
	if (r->parser_on)
		sse_parser_release(&r->sp);
	if (r->creq_on)
		gw_cache_req_release(&r->creq);
	free(r->vec);
	free(r->ebody);
	for (size_t i = 0; i < r->ntag; i++)
		free(r->tag_v[i]);
	sse_asm_free(r->as);
	g->m.inflight--;
	/* Big buffers are not worth keeping. */
	if (r->resp_cap > (1u << 20)) {
		free(r->resp);
		r->resp = NULL;
		r->resp_cap = 0;
	}
	if (r->body_cap > (1u << 20)) {
		free(r->body);
		r->body = NULL;
		r->body_cap = 0;
	}
	if (g->nfree >= POOL_KEEP || g->stopping) {
		free(r->body);
		free(r->hbuf);
		free(r->resp);
		free(r->nodes);
		free(r);
		return;
	}
	r->next_free = g->free_reqs;
	g->free_reqs = r;
	g->nfree++;
}

void proxy_free_pool(struct gw *g)
{
	while (g->free_reqs) {
		struct gw_req *r = g->free_reqs;
		g->free_reqs = r->next_free;
		free(r->body);
		free(r->hbuf);
		free(r->resp);
		free(r->nodes);
		free(r);
	}
	g->nfree = 0;
}

/* ---- metering -------------------------------------------------------------------------------------- */

/*
 * Book the request once: settle the reservation to the cost, count, and
 * append the record to the spool. Called before the last byte of the
 * response is queued.
 */
/* Count tokens and cost, and append one record to the spool. */
void px_book(struct gw_req *r, const char *id, struct gw_deploy *d, int status, const struct gw_usage *u, money_t cost,
		 const char *endpoint, const char *cache, const char *outcome)
{
	struct gw *g = r->g;
	if (u && u->found) {
		struct llm_usage lu;
		meter_llm_usage(u, &lu);
		for (int i = 0; i < LD__COUNT; i++)
			g->m.tokens[i] += lu.tokens[i];
	}
	g->m.cost += cost;
	if (!g->spool)
		return;
	/* The record: metadata tags from the key, then the allowed request metadata. */
	const char *mk[MAX_TAGS + GW_KEY_META_MAX + 4], *mv[MAX_TAGS + GW_KEY_META_MAX + 4];
	size_t nm = 0;
	const struct gw_key *k = r->key;
	if (k) {
		mk[nm] = "virtual_key", mv[nm++] = k->name;
		if (k->team)
			mk[nm] = "team", mv[nm++] = k->team;
		if (k->project)
			mk[nm] = "project", mv[nm++] = k->project;
		if (k->user)
			mk[nm] = "user", mv[nm++] = k->user;
		for (size_t i = 0; i < k->nmeta; i++) {
			size_t j;
			for (j = 0; j < nm && strcmp(mk[j], k->meta_k[i]); j++)
				;
			if (j == nm)
				mk[nm] = k->meta_k[i], mv[nm++] = k->meta_v[i];
		}
	}
	for (size_t i = 0; i < r->ntag; i++) {
		size_t j;
		for (j = 0; j < nm && strcmp(mk[j], r->tag_k[i]); j++)
			;
		if (j == nm)
			mk[nm] = r->tag_k[i], mv[nm++] = r->tag_v[i];
	}
	struct gw_record rec = {
		.id = id,
		.ts_ms = r->t_ms,
		.provider = d ? gw_provider_catalog[d->up->provider] : "unknown",
		.model = d ? d->price_model : r->model,
		.usage = u,
		.mk = mk,
		.mv = mv,
		.nmeta = nm,
		.latency_ms = (uint64_t)((gw_mono() - r->t0) * 1000.0),
		.status = status,
		.prompt_sha256 = r->sha[0] ? r->sha : NULL,
		.prompt_chars = r->prompt_chars,
		.stream = r->stream && endpoint == r->endpoint,
		.cost = cost,
		.cache = cache,
		.route = d ? d->name : NULL,
		.endpoint = endpoint,
		.outcome = outcome,
	};
	char buf[REC_MAX];
	size_t n = meter_record(&rec, buf, sizeof buf);
	if (!n) {
		/* Metadata too long for the buffer: keep the record, drop the tags. */
		rec.nmeta = k ? 1 : 0;
		n = meter_record(&rec, buf, sizeof buf);
	}
	if (n)
		spool_append(g->spool, buf, n, gw_mono());
	else
		g->m.unmetered++;
}

/*
 * Book the request once: settle the reservation to the cost, count, and
 * append the record to the spool. Called before the last byte of the
 * response is queued.
 */
void px_meter_finish(struct gw_req *r, int status, const struct gw_usage *u, const char *outcome)
{
	struct gw *g = r->g;
	if (r->metered)
		return;
	r->metered = 1;
	money_t cost = 0;
	struct gw_deploy *d = r->dep;
	if (u && u->found && d && meter_cost(d->price, u, &cost) < 0)
		cost = 0;
	r->cost = cost;
	uint64_t tokens = u && u->found ? meter_prompt_tokens(u) + meter_output_tokens(u) : 0;
	limits_settle(&r->admit, gw_mono(), px_today(), cost, tokens, alerts_soft, g->alerts);
	px_book(r, r->id, d, status, u, cost, r->endpoint, px_cache_name[r->cache], outcome);
}

/* The request ends: timers, counters, the connection's next request. */
void px_finish(struct gw_req *r, int keep)
{
	struct gw *g = r->g;
	double now = gw_mono(), lat = now - r->t0;
	hist_add(&g->m.latency, lat);
	if (r->up_time > 0) {
		hist_add(&g->m.upstream, r->up_time);
		hist_add(&g->m.overhead, lat > r->up_time ? lat - r->up_time : 0);
	}
	struct conn *c = r->c;
	r->c = NULL;
	if (c) {
		c->req = NULL;
		conn_response_done(c, keep && r->keep_alive);
	}
	req_free(r);
}

/* ---- the upstream attempt ---------------------------------------------------------------------------- */


void px_arm(struct gw_req *r, double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
	evtimer_add(&r->timer, &tv);
	r->timer_on = 1;
}

static const char *api_suffix(enum gw_api api)
{
	switch (api) {
	case API_CHAT: return "/chat/completions";
	case API_COMPLETIONS: return "/completions";
	case API_EMBEDDINGS: return "/embeddings";
	case API_MESSAGES: return "/messages";
	}
	return "";
}

/* Make r->body carry model m (re-written from the previous attempt's body). */
static int body_for(struct gw_req *r, const char *m)
{
	struct reqbody rb;
	char why[128];
	if (!strcmp(r->body_model, m))
		return 0;
	if (reqbody_parse(r->body, r->body_len, r->api, r->g->conf->max_depth, &rb, why, sizeof why) < 0)
		return -1;
	snprintf(r->body_model, sizeof r->body_model, "%s", m);
	if (!strcmp(rb.model, m))
		return 0;
	size_t need = reqbody_rewrite_size(r->body_len, m);
	char *nb = xmalloc(need);
	size_t n = reqbody_rewrite(r->body, r->body_len, &rb, m, 0, nb, need);
	if (!n) {
		free(nb);
		return -1;
	}
	free(r->body);
	r->body = nb;
	r->body_len = n;
	r->body_cap = need;
	return 0;
}

/* The header list: provider headers first, then the client's pass-through headers. */
struct curl_slist *px_build_headers(struct gw_req *r, const struct gw_upstream *u, int client)
{
	size_t nh = 0;
	for (size_t i = 0; i < r->hlen; i++)
		nh += r->hbuf[i] == 0;
	size_t need = nh + 5 + u->nheaders;
	if (r->ncap < need) {
		r->ncap = need + 8;
		r->nodes = xrealloc(r->nodes, r->ncap * sizeof *r->nodes);
	}
	size_t k = 0;
	static char ct[] = "Content-Type: application/json", expect[] = "Expect:", av[] = "anthropic-version: 2023-06-01";
	r->nodes[k++].data = ct;
	r->nodes[k++].data = expect;
	if (u->auth_header)
		r->nodes[k++].data = u->auth_header;
	if (u->provider == GP_ANTHROPIC) {
		int has = 0;
		for (size_t i = 0; i < r->hlen; i += strlen(r->hbuf + i) + 1)
			has |= !strncasecmp(r->hbuf + i, "anthropic-version:", 18);
		if (!has)
			r->nodes[k++].data = av;
	}
	for (size_t i = 0; i < u->nheaders; i++)
		r->nodes[k++].data = u->headers[i];
	for (size_t i = 0; client && i < r->hlen; i += strlen(r->hbuf + i) + 1) {
		/* The upstream's configured headers win over the client's. */
		size_t nl = strcspn(r->hbuf + i, ":"), j;
		for (j = 0; j < u->nheaders; j++)
			if (!strncasecmp(u->headers[j], r->hbuf + i, nl) && u->headers[j][nl] == ':')
				break;
		if (j == u->nheaders)
			r->nodes[k++].data = r->hbuf + i;
	}
	for (size_t i = 0; i < k; i++)
		r->nodes[i].next = i + 1 < k ? &r->nodes[i + 1] : NULL;
	return r->nodes;
}

int px_attempt(struct gw_req *r)
{
	struct gw *g = r->g;
	struct gw_deploy *d = r->plan.d[r->cand];
	struct gw_upstream *u = d->up;
	r->dep = d;
	if (body_for(r, d->model) < 0)
		return -1;
	/* curl copies the URL: it can live on the stack. */
	char url[2048];
	if (u->provider == GP_AZURE)
		snprintf(url, sizeof url, "%s/openai/deployments/%s%s?api-version=%s", u->base_url, d->model,
			 api_suffix(r->api), u->api_version);
	else
		snprintf(url, sizeof url, "%s/v1%s", u->base_url, api_suffix(r->api));
	CURL *e = px_easy(r, u);
	if (!e)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, px_build_headers(r, u, 1));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, px_on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, px_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(u->connect_timeout_s * 1000));
	if (u->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, u->ca_file);
	r->status = 0;
	r->hdr_done = r->got_data = 0;
	r->ctype[0] = r->up_reqid[0] = r->retry_after[0] = 0;
	r->resp_len = 0;
	r->resp_over = 0;
	r->streaming = 0;
	r->t_att = gw_mono();
	if (up_start(g->up, &r->x) < 0)
		return -1;
	px_arm(r, u->timeout_s);
	return 0;
}

/* ---- curl callbacks (no freeing, no closing in here) ------------------------------------------------- */

static void copy_hval(const char *p, size_t n, size_t off, char *out, size_t cap)
{
	size_t i = off;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t e = n;
	while (e > i && (p[e - 1] == '\r' || p[e - 1] == '\n' || p[e - 1] == ' '))
		e--;
	size_t l = e - i < cap - 1 ? e - i : cap - 1;
	memcpy(out, p + i, l);
	out[l] = 0;
}

static struct gw_upstream *cur_up(const struct gw_req *r)
{
	return r->phase ? r->edep->up : r->dep->up;
}

size_t px_on_header(char *p, size_t sz, size_t nit, void *arg)
{
	struct gw_req *r = arg;
	size_t n = sz * nit;
	if (n >= 5 && !memcmp(p, "HTTP/", 5)) {
		const char *sp = memchr(p, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->hdr_done = 0;
		r->ctype[0] = r->up_reqid[0] = r->retry_after[0] = 0;
	} else if (n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		if (r->status >= 200) {
			r->hdr_done = 1;
			if (r->timer_on)
				px_arm(r, cur_up(r)->idle_timeout_s);
		}
	} else {
		/* Most headers are none of these: their first letter says so. */
		switch (p[0] | 0x20) {
		case 'c':
			if (n > 13 && !strncasecmp(p, "content-type:", 13))
				copy_hval(p, n, 13, r->ctype, sizeof r->ctype);
			break;
		case 'r':
			if (n > 12 && !strncasecmp(p, "retry-after:", 12))
				copy_hval(p, n, 12, r->retry_after, sizeof r->retry_after);
			else if (n > 11 && !strncasecmp(p, "request-id:", 11) && !r->up_reqid[0])
				copy_hval(p, n, 11, r->up_reqid, sizeof r->up_reqid);
			break;
		case 'x':
			if (n > 13 && !strncasecmp(p, "x-request-id:", 13))
				copy_hval(p, n, 13, r->up_reqid, sizeof r->up_reqid);
			break;
		}
	}
	return n;
}

/* Output gathered in a stack buffer and queued in one piece (an event is a dozen small parts). */
struct obuf {
	struct conn *c;
	size_t n;
	char b[4096];
};

static void ob_put(struct obuf *o, const void *p, size_t n)
{
	if (o->n + n > sizeof o->b) {
		conn_queue(o->c, o->b, o->n);
		o->n = 0;
		if (n > sizeof o->b) {
			conn_queue(o->c, p, n);
			return;
		}
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* Queue one SSE event for the client, as a chunk. */
static void relay_event(struct gw_req *r, const struct sse_event *ev)
{
	struct obuf o;
	o.c = r->c;
	o.n = 0;
	char head[1024];
	if (!r->head_sent) {
		int k = snprintf(head, sizeof head, "HTTP/1.1 %ld %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n%s",
				 r->status, http_reason((int)r->status), r->ctype[0] ? r->ctype : "text/event-stream",
				 r->http10 ? "Connection: close\r\n" : "Transfer-Encoding: chunked\r\nTrailer: x-aicost-cost\r\n");
		struct hb hb = { head + k, 0, sizeof head - (size_t)k };
		px_aicost_headers(r, &hb, 0);
		if (r->up_reqid[0]) {
			hb_s(&hb, "x-request-id: ");
			hb_s(&hb, r->up_reqid);
			hb_s(&hb, "\r\n");
		}
		hb_end(&hb);
		ob_put(&o, head, (size_t)k + hb.n);
		r->head_sent = 1;
	}
	int named = !(ev->event_len == 7 && !memcmp(ev->event, "message", 7));
	size_t lines = 1;
	for (size_t i = 0; i < ev->data_len; i++)
		lines += ev->data[i] == '\n';
	size_t len = (named ? 7 + ev->event_len + 1 : 0) + ev->data_len + lines * 7 + 1;
	char ch[24];
	if (!r->http10) {
		int k = snprintf(ch, sizeof ch, "%zx\r\n", len);
		ob_put(&o, ch, (size_t)k);
	}
	if (named) {
		ob_put(&o, "event: ", 7);
		ob_put(&o, ev->event, ev->event_len);
		ob_put(&o, "\n", 1);
	}
	const char *s = ev->data, *e = ev->data + ev->data_len;
	for (;;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		ob_put(&o, "data: ", 6);
		ob_put(&o, s, (size_t)((nl ? nl : e) - s));
		ob_put(&o, "\n", 1);
		if (!nl)
			break;
		s = nl + 1;
	}
	ob_put(&o, r->http10 ? "\n" : "\n\r\n", r->http10 ? 1 : 3);
	conn_queue(o.c, o.b, o.n);
}

static void stream_meter_finish(struct gw_req *r, const char *outcome)
{
	struct gw_usage u;
	meter_stream_usage(&r->sm, r->prompt_est, &u);
	px_meter_finish(r, (int)r->status ? (int)r->status : 200, &u, outcome);
}

static int on_event(void *arg, const struct sse_event *ev)
{
	struct gw_req *r = arg;
	int was_done = r->sm.done;
	enum meter_action a = meter_event(&r->sm, ev);
	if (r->as)
		sse_asm_event(r->as, ev);
	/* The record goes to the spool before the event that ends the stream goes to the client. */
	if (r->sm.done && !was_done && !r->metered)
		stream_meter_finish(r, "complete");
	if (a == MA_RELAY && r->c)
		relay_event(r, ev);
	return 0;
}

size_t px_on_data(char *p, size_t sz, size_t nit, void *arg)
{
	struct gw_req *r = arg;
	struct gw *g = r->g;
	size_t n = sz * nit;
	if (!r->c || r->c->broken || r->c->closed)
		return 0;
	if (!r->got_data) {
		r->got_data = 1;
		r->streaming = r->stream && r->status / 100 == 2 && !r->phase;
		if (r->streaming) {
			sse_parser_init(&r->sp, 0, 0);
			r->parser_on = 1;
		}
	}
	if (r->timer_on)
		px_arm(r, cur_up(r)->idle_timeout_s);
	if (!r->streaming) {
		if (r->resp_len + n > g->conf->max_response) {
			r->resp_over = 1;
			return 0;
		}
		if (r->resp_len + n + 1 > r->resp_cap) {
			size_t cap = r->resp_cap ? r->resp_cap : 16384;
			while (cap < r->resp_len + n + 1)
				cap *= 2;
			r->resp = xrealloc(r->resp, cap);
			r->resp_cap = cap;
		}
		memcpy(r->resp + r->resp_len, p, n);
		r->resp_len += n;
		return n;
	}
	/* Backpressure: a slow client pauses the upstream instead of growing our buffer. */
	if (conn_out_len(r->c) > OUT_HIGH) {
		r->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (sse_parser_feed(&r->sp, p, n, on_event, r) < 0) {
		r->bad_stream = 1;
		return 0;
	}
	conn_flush(r->c);
	return n;
}

void proxy_drained(struct gw_req *r)
{
	if (r->paused && r->x.active) {
		r->paused = 0;
		curl_easy_pause(r->x.easy, CURLPAUSE_CONT);
	}
}

/* ---- the end of an attempt ------------------------------------------------------------------------- */

static int retryable_status(long s)
{
	return s == 429 || s == 408 || s >= 500;
}

/* Try the same deployment again or the next one. 1 if an attempt started. */
int px_next_attempt(struct gw_req *r, int was_429)
{
	struct gw *g = r->g;
	if (r->parser_on) {
		sse_parser_release(&r->sp);
		r->parser_on = 0;
	}
	memset(&r->sm, 0, sizeof r->sm);
	r->sm.anthropic = r->api == API_MESSAGES;
	r->sm.hide_usage = r->injected;
	px_easy_release(r);
	for (;;) {
		if (!was_429 && r->tries < r->dep->up->retries) {
			r->tries++;
			g->m.retries++;
		} else if (r->cand + 1 < r->plan.n) {
			r->cand++;
			r->tries = 0;
			g->m.fallbacks++;
		} else {
			return 0;
		}
		if (px_attempt(r) == 0)
			return 1;
		was_429 = 1;   /* could not even start: move on */
	}
}

void px_upstream_failed(struct gw_req *r, int timeout, const char *what)
{
	char msg[300];
	snprintf(msg, sizeof msg, "upstream %s failed: %s; no fallback left", r->dep ? r->dep->name : "?", what);
	px_meter_finish(r, timeout ? 504 : 502, NULL, "upstream_error");
	if (r->c)
		px_req_error(r, timeout ? 504 : 502, "upstream_error", timeout ? "upstream_timeout" : "upstream_error", msg,
			  r->retry_after[0] ? strtod(r->retry_after, NULL) : 0);
	px_finish(r, 1);
}

/* An attempt failed before anything went to the client: retry, fall back, or give up. */
static void attempt_failed(struct gw_req *r, int timeout, const char *what)
{
	struct gw *g = r->g;
	double now = gw_mono();
	g->m.upstream_errors++;
	r->up_time += now - r->t_att;
	route_result(r->dep, 0, now);
	if (px_next_attempt(r, r->status == 429))
		return;
	px_upstream_failed(r, timeout, what);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gw_req *r = arg;
	(void)fd;
	(void)what;
	r->timer_on = 0;
	up_cancel(r->g->up, &r->x);
	if (r->phase) {
		px_embed_done(r, CURLE_OPERATION_TIMEDOUT);
		return;
	}
	if (r->head_sent) {
		/* A stream that stalled: bill what was delivered, cut the client off. */
		stream_meter_finish(r, "upstream_timeout");
		struct conn *c = r->c;
		r->c = NULL;
		if (c) {
			c->req = NULL;
			conn_abort(c);
		}
		req_free(r);
		return;
	}
	attempt_failed(r, 1, "timed out");
}

static void send_upstream_response(struct gw_req *r)
{
	struct gw_usage u = { 0 };
	const char *outcome = "complete";
	int status = (int)r->status;
	if (status / 100 == 2) {
		if (meter_body(r->resp, r->resp_len, r->api == API_MESSAGES, &u) <= 0) {
			/* A success without usage (a non-conforming upstream): bill the prompt estimate. */
			u.found = 1;
			u.anthropic = r->api == API_MESSAGES;
			if (u.anthropic)
				u.input = r->prompt_est;
			else
				u.prompt = r->prompt_est;
			outcome = "usage_estimated";
		}
		px_meter_finish(r, status, &u, outcome);
		px_cache_store(r, r->resp, r->resp_len);
		px_send_full(r, status, r->ctype, r->resp, r->resp_len);
	} else if (status == 401 || status == 403) {
		px_meter_finish(r, 502, NULL, "upstream_auth");
		char msg[256];
		snprintf(msg, sizeof msg, "upstream %s rejected the gateway's credentials (HTTP %d): check its api_key_env",
			 r->dep->name, status);
		px_req_error(r, 502, "upstream_error", "upstream_auth", msg, 0);
	} else {
		/* The client's mistake (400, 404, 422...): the upstream's own answer. */
		px_meter_finish(r, status, NULL, "upstream_refused");
		px_send_full(r, status, r->ctype, r->resp, r->resp_len);
	}
	px_finish(r, 1);
}

static void on_done(struct up_xfer *x, CURLcode rc)
{
	struct gw_req *r = (struct gw_req *)((char *)x - offsetof(struct gw_req, x));
	struct gw *g = r->g;
	double now = gw_mono();
	if (r->timer_on) {
		evtimer_del(&r->timer);
		r->timer_on = 0;
	}
	if (!r->c) {
		/* Detached already (cannot happen: a detached request is finished at once). */
		req_free(r);
		return;
	}
	if (r->phase) {
		px_embed_done(r, rc);
		return;
	}
	if (r->head_sent) {
		/* Committed to this upstream: the stream ends here, complete or not. */
		r->up_time += now - r->t_att;
		route_result(r->dep, rc == CURLE_OK, now);
		if (r->parser_on && rc == CURLE_OK)
			sse_parser_finish(&r->sp, 0, on_event, r);
		int complete = rc == CURLE_OK && r->sm.done && !r->bad_stream;
		if (!r->metered)
			stream_meter_finish(r, complete ? "complete" : r->c->broken ? "client_closed" :
					       rc == CURLE_OK ? "upstream_incomplete" : "upstream_reset");
		if (!complete)
			g->m.upstream_errors++;
		px_count_status(g, r->ep, (int)r->status);
		g->m.streams++;
		if (complete && r->as && sse_asm_complete(r->as)) {
			size_t al;
			char *a = sse_asm_finish(r->as, &al);
			px_cache_store(r, a, al);
			free(a);
		}
		struct conn *c = r->c;
		if (complete && c && !c->broken) {
			if (!r->http10) {
				char tr[128], cost[MONEY_BUFSZ];
				px_cost_text(r->cost, cost);
				int k = snprintf(tr, sizeof tr, "0\r\nx-aicost-cost: %s\r\n\r\n", cost);
				conn_queue(c, tr, (size_t)k);
				px_finish(r, 1);
			} else {
				px_finish(r, 0);
			}
		} else {
			/* Truncated: the client must see a broken response, not a clean end. */
			r->c = NULL;
			if (c) {
				c->req = NULL;
				conn_flush(c);
				conn_abort(c);
			}
			req_free(r);
		}
		return;
	}
	if (r->c->broken) {
		proxy_client_gone(r);
		return;
	}
	if (rc != CURLE_OK) {
		if (r->resp_over) {
			r->up_time += now - r->t_att;
			px_meter_finish(r, 502, NULL, "upstream_too_large");
			px_req_error(r, 502, "upstream_error", "upstream_response_too_large",
				  "the upstream response is larger than gateway.max_response_bytes", 0);
			px_finish(r, 1);
			return;
		}
		attempt_failed(r, rc == CURLE_OPERATION_TIMEDOUT, curl_easy_strerror(rc));
		return;
	}
	if (retryable_status(r->status) || (r->streaming && !r->head_sent && r->status / 100 == 2)) {
		char what[64];
		snprintf(what, sizeof what, r->streaming ? "empty stream" : "HTTP %ld", r->status);
		r->last_err_status = (int)r->status;
		attempt_failed(r, 0, what);
		return;
	}
	r->up_time += now - r->t_att;
	route_result(r->dep, 1, now);
	send_upstream_response(r);
}

/* ---- the client side ---------------------------------------------------------------------------------- */

void proxy_client_gone(struct gw_req *r)
{
	struct gw *g = r->g;
	struct conn *c = r->c;
	r->c = NULL;
	if (c)
		c->req = NULL;
	g->m.client_closed++;
	if (r->x.active)
		up_cancel(g->up, &r->x);
	if (!r->metered) {
		if (r->head_sent)
			stream_meter_finish(r, "client_closed");
		else
			px_meter_finish(r, 499, NULL, "client_closed");
	}
	px_count_status(g, r->ep, 0);
	req_free(r);
}

/* ---- dispatch ------------------------------------------------------------------------------------------- */

static const char *bearer(const struct http_req *h, size_t *n)
{
	const struct http_str *a = http_header_get(h, "authorization");
	if (a && a->n > 7 && !strncasecmp(a->p, "Bearer ", 7)) {
		const char *p = a->p + 7;
		size_t l = a->n - 7;
		while (l && *p == ' ')
			p++, l--;
		*n = l;
		return p;
	}
	const struct http_str *x = http_header_get(h, "x-api-key");
	if (!x)
		x = http_header_get(h, "api-key");
	if (x && x->n) {
		*n = x->n;
		return x->p;
	}
	return NULL;
}

/* Headers a client may not push upstream (hop-by-hop, credentials, framing, the gateway's own). */
static int dropped_header(const struct http_str *n)
{
	static const char *const drop[] = {
		"host", "content-length", "content-type", "connection", "keep-alive", "transfer-encoding", "te",
		"trailer", "upgrade", "expect", "authorization", "api-key", "x-api-key", "cookie", "accept-encoding",
		"openai-organization", "openai-project", "proxy-authorization", "proxy-connection", NULL,
	};
	for (int i = 0; drop[i]; i++)
		if (http_str_ieq(n, drop[i]))
			return 1;
	return n->n >= 9 && !strncasecmp(n->p, "x-aicost-", 9);
}

static void copy_headers(struct gw_req *r, const struct http_req *h)
{
	size_t need = 0;
	for (size_t i = 0; i < h->nh; i++)
		if (!dropped_header(&h->h[i].name))
			need += h->h[i].name.n + h->h[i].value.n + 3;
	if (need > r->hcap) {
		r->hcap = need + 256;
		r->hbuf = xrealloc(r->hbuf, r->hcap);
	}
	size_t k = 0;
	for (size_t i = 0; i < h->nh; i++) {
		const struct http_header *x = &h->h[i];
		if (dropped_header(&x->name))
			continue;
		memcpy(r->hbuf + k, x->name.p, x->name.n);
		k += x->name.n;
		r->hbuf[k++] = ':';
		r->hbuf[k++] = ' ';
		memcpy(r->hbuf + k, x->value.p, x->value.n);
		k += x->value.n;
		r->hbuf[k++] = 0;
	}
	r->hlen = k;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = 0;
}

/* The most a request can cost on d: the prompt bound at the dearest input price, out tokens at the dearest output price. */
static money_t max_cost(const struct gw_deploy *d, uint64_t prompt, uint64_t out, int priority)
{
	money_t a, b, sum;
	int lc = d->long_above && prompt > d->long_above;
	if (!d->price)
		return 0;
	if (__builtin_mul_overflow(d->worst_in[priority != 0][lc], (money_t)prompt, &a) ||
	    __builtin_mul_overflow(d->worst_out[priority != 0][lc], (money_t)out, &b) || __builtin_add_overflow(a, b, &sum))
		return (money_t)1 << 120;   /* absurd sizes: refuse by budget rather than overflow */
	return sum;
}

/* Cache lookup; 1 when answered from the cache. */

/*
 * The key a client presents, resolved: a keep-alive client sends the same
 * key on every request, so the connection remembers the last one and its
 * result (compared in constant time) instead of hashing it again.
 */
static const struct gw_key *conn_key(struct conn *c, const char *kp, size_t kl)
{
	if (c->key && c->key_len == kl && !CRYPTO_memcmp(c->key_raw, kp, kl))
		return c->key;
	const struct gw_key *k = keys_find(&c->g->conf->index, kp, kl);
	if (k && kl <= 512) {
		if (c->key_raw) {
			explicit_bzero(c->key_raw, c->key_len);
			free(c->key_raw);
		}
		c->key_raw = xmalloc(kl);
		memcpy(c->key_raw, kp, kl);
		c->key_len = kl;
		c->key = k;
	}
	return k;
}

/* ---- admission's outcome ----------------------------------------------------------------------------- */

static void admit_refused(struct gw_req *r, const struct gw_refusal *ref)
{
	struct gw *g = r->g;
	r->dep = NULL;
	if (ref->kind == GR_UNAVAILABLE) {
		/* The shared state (Redis) is unreachable and this limit fails closed. */
		px_meter_finish(r, 503, NULL, ref->type);
		px_req_error(r, 503, ref->type, "shared_state_unavailable", ref->message, ref->retry_after);
		px_finish(r, 1);
		return;
	}
	int budget = ref->kind == GR_BUDGET;
	if (budget)
		g->m.budget_rejections++;
	else
		g->m.rate_limit_rejections++;
	px_meter_finish(r, 429, NULL, budget ? "budget_exceeded" : "rate_limit_exceeded");
	px_req_error(r, 429, budget ? "budget_exceeded" : "rate_limit_exceeded",
		     budget ? "budget_exceeded" : "rate_limit_exceeded", ref->message, ref->retry_after);
	px_finish(r, 1);
}

/* Admitted: the upstream body, then the cache or the first attempt. */
static void admitted(struct gw_req *r, const char *body, size_t n, const struct reqbody *rb)
{
	/* The upstream body: OpenAI streams get include_usage when the client left it out. */
	r->injected = rb->stream && !rb->include_usage && r->api != API_MESSAGES && r->api != API_EMBEDDINGS;
	r->sm.hide_usage = r->injected;
	const char *first = r->plan.d[0]->model;
	size_t need = reqbody_rewrite_size(n, first);
	if (need > r->body_cap) {
		free(r->body);
		r->body_cap = need;
		r->body = xmalloc(need);
	}
	r->body_len = reqbody_rewrite(body, n, rb, first, r->injected, r->body, r->body_cap);
	snprintf(r->body_model, sizeof r->body_model, "%s", first);

	if (px_cache_lookup(r, body, n))
		return;   /* answered, or the embedding call is in flight */
	if (px_attempt(r) < 0) {
		if (!px_next_attempt(r, 1))
			px_upstream_failed(r, 0, "could not start the request");
	}
}

/* The shared state answered a request's admission (state_admit returned 1; the request holds its body). */
static void admit_done(void *arg, int ok, const struct gw_refusal *why)
{
	struct gw_req *r = arg;
	char *body = r->admit.held, msg[256];
	size_t n = r->admit.held_len;
	struct reqbody rb;
	r->admit.held = NULL;
	if (!ok) {
		admit_refused(r, why);
	} else if (reqbody_parse(body, n, r->api, r->g->conf->max_depth, &rb, msg, sizeof msg) == 0) {
		admitted(r, body, n, &rb);
	} else {
		/* Cannot happen: the same bytes parsed before admission. */
		px_meter_finish(r, 500, NULL, "internal_error");
		px_req_error(r, 500, "server_error", NULL, msg, 0);
		px_finish(r, 1);
	}
	free(body);
}

void proxy_dispatch(struct conn *c, const struct http_req *h, char *body, size_t n)
{
	struct gw *g = c->g;
	int keep = h->keep_alive && !g->stopping;
	enum gw_api api;
	enum gw_ep ep;
	const char *endpoint;
	if (http_str_ieq(&h->path, "/v1/chat/completions"))
		api = API_CHAT, ep = EP_CHAT, endpoint = "/v1/chat/completions";
	else if (http_str_ieq(&h->path, "/v1/completions"))
		api = API_COMPLETIONS, ep = EP_COMPLETIONS, endpoint = "/v1/completions";
	else if (http_str_ieq(&h->path, "/v1/embeddings"))
		api = API_EMBEDDINGS, ep = EP_EMBEDDINGS, endpoint = "/v1/embeddings";
	else if (http_str_ieq(&h->path, "/v1/messages"))
		api = API_MESSAGES, ep = EP_MESSAGES, endpoint = "/v1/messages";
	else if (http_str_ieq(&h->path, "/metrics") && h->method == HM_GET) {
		struct evbuffer *b = evbuffer_new();
		metrics_render(g, b);
		px_simple(c, "text/plain; version=0.0.4; charset=utf-8", b, keep);
		evbuffer_free(b);
		return;
	} else if (http_str_ieq(&h->path, "/health") && h->method == HM_GET) {
		struct evbuffer *b = evbuffer_new();
		evbuffer_add_printf(b, "{\"status\":\"ok\"}\n");
		px_simple(c, "application/json", b, keep);
		evbuffer_free(b);
		return;
	} else if (http_str_ieq(&h->path, "/v1/models")) {
		size_t kl;
		const char *kp = bearer(h, &kl);
		const struct gw_key *k = kp ? keys_find(&g->conf->index, kp, kl) : NULL;
		if (h->method != HM_GET) {
			proxy_error(c, 405, "invalid_request_error", NULL, "use GET /v1/models", 0, keep);
			return;
		}
		if (!k) {
			g->m.auth_failures++;
			proxy_error(c, 401, "invalid_request_error", "invalid_api_key",
				    kp ? "Incorrect API key provided." : "Missing API key (Authorization: Bearer ...).", 0, keep);
			return;
		}
		px_models_list(c, k, keep);
		return;
	} else {
		g->m.requests[EP_OTHER][4]++;
		proxy_error(c, 404, "invalid_request_error", "unknown_url", "Unknown request URL.", 0, keep);
		return;
	}
	if (h->method != HM_POST) {
		g->m.requests[ep][4]++;
		proxy_error(c, 405, "invalid_request_error", NULL, "this endpoint takes POST", 0, keep);
		return;
	}
	size_t kl;
	const char *kp = bearer(h, &kl);
	const struct gw_key *key = kp ? conn_key(c, kp, kl) : NULL;
	if (!key) {
		g->m.auth_failures++;
		g->m.requests[ep][4]++;
		proxy_error(c, 401, "invalid_request_error", "invalid_api_key",
			    kp ? "Incorrect API key provided." : "Missing API key (Authorization: Bearer ...).", 0, keep);
		return;
	}
	struct reqbody rb;
	char why[256];
	if (reqbody_parse(body, n, api, g->conf->max_depth, &rb, why, sizeof why) < 0) {
		g->m.bad_requests++;
		g->m.requests[ep][4]++;
		proxy_error(c, 400, "invalid_request_error", "invalid_body", why, 0, keep);
		return;
	}
	int served = 0;
	for (size_t i = 0; i < g->conf->rt.ndeps && !served; i++)
		served = !strcmp(g->conf->rt.deps[i].alias, rb.model) && route_serves(&g->conf->rt.deps[i], api);
	for (size_t i = 0; i < g->conf->rt.nroutes && !served; i++) {
		/* A route may map any model its match names onto its targets. */
		const struct gw_route *ro = &g->conf->rt.routes[i];
		for (size_t j = 0; j < ro->nmodels && ro->ntargets && !served; j++)
			served = !fnmatch(ro->models[j], rb.model, 0);
	}
	if (!served) {
		char m[400];
		snprintf(m, sizeof m, "The model '%.200s' does not exist or is not served by this gateway for %s.", rb.model,
			 endpoint);
		g->m.requests[ep][4]++;
		proxy_error(c, 404, "invalid_request_error", "model_not_found", m, 0, keep);
		return;
	}
	if (!keys_model_allowed(key, rb.model)) {
		char m[400];
		snprintf(m, sizeof m, "key '%s' may not use model '%.200s'", key->name, rb.model);
		g->m.requests[ep][4]++;
		proxy_error(c, 403, "invalid_request_error", "model_not_allowed", m, 0, keep);
		return;
	}

	struct gw_req *r = req_new(g, c);
	r->api = api;
	r->ep = ep;
	r->endpoint = endpoint;
	r->key = key;
	r->keep_alive = keep;
	r->http10 = h->minor == 0;
	r->stream = rb.stream;
	r->client_usage = rb.include_usage;
	r->max_tokens = rb.max_tokens;
	r->n = rb.n;
	r->t0 = gw_mono();
	r->t_ms = gw_wall_ms();
	snprintf(r->model, sizeof r->model, "%s", rb.model);
	snprintf(r->id, sizeof r->id, "%s-%" PRIx64, g->boot, ++g->seq);
	r->prompt_bound = reqbody_prompt_bound(&rb, g->conf->image_tokens);
	r->prompt_est = reqbody_prompt_estimate(&rb);
	r->prompt_chars = rb.prompt.chars;
	r->sm.anthropic = api == API_MESSAGES;
	if (rb.prompt_p) {
		unsigned char d[32];
		gw_sha256(rb.prompt_p, rb.prompt_n, d);
		hex(d, 32, r->sha);
	}
	for (size_t i = 0; i < rb.nmeta && r->ntag < MAX_TAGS; i++)
		for (size_t j = 0; j < g->conf->ntag_metadata; j++)
			if (!strcmp(rb.meta_k[i], g->conf->tag_metadata[j])) {
				r->tag_k[r->ntag] = g->conf->tag_metadata[j];
				r->tag_v[r->ntag++] = xstrdup(rb.meta_v[i]);
			}
	c->req = r;

	/* Routing (downgrades look at the budgets), then admission. */
	int64_t day = px_today();
	double use = limits_budget_use(&key->acct, day), tu = limits_budget_use(key->team_acct, day);
	if (tu > use)
		use = tu;
	double now = gw_mono();
	if (route_plan(&g->conf->rt, key, &rb, r->prompt_est, use, now, &r->plan) < 0) {
		char m[400];
		snprintf(m, sizeof m, "The model '%.200s' does not exist or is not served by this gateway for %s.", rb.model,
			 endpoint);
		px_meter_finish(r, 404, NULL, "no_route");
		px_req_error(r, 404, "invalid_request_error", "model_not_found", m, 0);
		px_finish(r, 1);
		return;
	}
	uint64_t out = api == API_EMBEDDINGS ? 0 : rb.max_tokens;
	money_t reserve = 0;
	for (int i = 0; i < r->plan.n; i++) {
		const struct gw_deploy *d = r->plan.d[i];
		uint64_t o = out;
		if (!o && api != API_EMBEDDINGS)
			o = g->conf->reserve_tokens ? g->conf->reserve_tokens : d->max_out ? d->max_out : 4096;
		money_t mc = max_cost(d, r->prompt_bound, o * rb.n, rb.priority);
		if (mc > reserve)
			reserve = mc;
	}
	struct gw_account *accts[2] = { (struct gw_account *)&key->acct, key->team_acct };
	struct gw_refusal ref;
	uint64_t tpm_need = r->prompt_est + (out ? out * rb.n : 0);
	copy_headers(r, h);
	/* With shared_state the limits are in Redis: admission is a round trip, answered in admit_done(). */
	int adm = g->state ? state_admit(g->state, accts, 2, day, reserve, tpm_need, &r->admit, &ref, admit_done, r)
			   : limits_admit(accts, 2, now, day, reserve, tpm_need, &r->admit, &ref, alerts_soft, g->alerts);
	if (adm < 0) {
		admit_refused(r, &ref);
		return;
	}
	if (adm > 0) {
		/* The client's bytes do not outlive this call: the request keeps a copy while it waits. */
		r->admit.held = xmalloc(n ? n : 1);
		memcpy(r->admit.held, body, n);
		r->admit.held_len = n;
		return;
	}
	admitted(r, body, n, &rb);
}
