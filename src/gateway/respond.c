/*
 * respond.c - what the gateway writes to its clients besides the relayed
 * upstream bodies: response heads with the x-aicost-* headers, errors in
 * the OpenAI error shape, /v1/models, small fixed answers. Heads are built
 * with bounded copies (struct hb in proxy.h), never overrun. See proxy.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gateway/proxy.h"

void px_count_status(struct gw *g, enum gw_ep ep, int status)
{
	int k = status / 100;
	g->m.requests[ep][k >= 1 && k <= 5 ? k : 0]++;
}

/* JSON string body of s (no quotes) into out. */
size_t px_json_escape(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	for (; *s && k + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[k++] = '\\';
			out[k++] = (char)ch;
		} else if (ch < 0x20) {
			k += (size_t)snprintf(out + k, cap - k, "\\u%04x", ch);
		} else {
			out[k++] = (char)ch;
		}
	}
	out[k] = 0;
	return k;
}

/* Retry-After in whole seconds, rounded up, at least 1. */
static long long retry_secs(double s)
{
	long long v = (long long)ceil(s);
	return v < 1 ? 1 : v;
}

void proxy_error(struct conn *c, int status, const char *type, const char *code, const char *message,
		 double retry_after, int keep_alive)
{
	char msg[600], body[900], head[512];
	px_json_escape(message, msg, sizeof msg);
	int bl = snprintf(body, sizeof body, "{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"param\":null,\"code\":%s%s%s}}\n",
			  msg, type, code ? "\"" : "", code ? code : "null", code ? "\"" : "");
	int hl = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s",
			  status, http_reason(status), bl, keep_alive ? "" : "Connection: close\r\n");
	if (retry_after > 0)
		hl += snprintf(head + hl, sizeof head - (size_t)hl, "Retry-After: %lld\r\n", retry_secs(retry_after));
	hl += snprintf(head + hl, sizeof head - (size_t)hl, "\r\n");
	conn_send(c, head, (size_t)hl, body, (size_t)bl);
	conn_response_done(c, keep_alive);
}

void px_cost_text(money_t cost, char out[MONEY_BUFSZ])
{
	money_str(cost, out);
}

/* x-aicost-* headers. */
void px_aicost_headers(struct gw_req *r, struct hb *b, int with_cost)
{
	if (with_cost) {
		char cost[MONEY_BUFSZ];
		px_cost_text(r->cost, cost);
		hb_s(b, "x-aicost-cost: ");
		hb_s(b, cost);
		hb_s(b, "\r\n");
	}
	hb_s(b, "x-aicost-cache: ");
	hb_s(b, px_cache_name[r->cache] ? px_cache_name[r->cache] : "miss");
	hb_s(b, "\r\nx-aicost-request-id: ");
	hb_s(b, r->id);
	hb_s(b, "\r\n");
	if (r->dep) {
		hb_s(b, "x-aicost-route: ");
		hb_s(b, r->dep->name);
		hb_s(b, "\r\n");
	}
}

/* A complete (non-stream) response. */
void px_send_full(struct gw_req *r, int status, const char *ctype, const char *body, size_t n)
{
	char head[2048];
	struct hb b = { head, 0, sizeof head };
	hb_status(&b, status);
	hb_s(&b, "Content-Type: ");
	hb_s(&b, ctype && *ctype ? ctype : "application/json");
	hb_s(&b, "\r\nContent-Length: ");
	hb_u(&b, n);
	hb_s(&b, "\r\n");
	px_aicost_headers(r, &b, 1);
	if (r->up_reqid[0]) {
		hb_s(&b, "x-request-id: ");
		hb_s(&b, r->up_reqid);
		hb_s(&b, "\r\n");
	}
	if (!r->keep_alive)
		hb_s(&b, "Connection: close\r\n");
	hb_end(&b);
	conn_send(r->c, head, b.n, body, n);
	px_count_status(r->g, r->ep, status);
}

void px_req_error(struct gw_req *r, int status, const char *type, const char *code, const char *msg,
		      double retry_after)
{
	char m[600], body[900];
	px_json_escape(msg, m, sizeof m);
	int bl = snprintf(body, sizeof body, "{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"param\":null,\"code\":%s%s%s}}\n",
			  m, type, code ? "\"" : "", code ? code : "null", code ? "\"" : "");
	if (!r->c)
		return;
	char head[1024];
	int k = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n",
			 status, http_reason(status), bl);
	if (retry_after > 0)
		k += snprintf(head + k, sizeof head - (size_t)k, "Retry-After: %lld\r\n", retry_secs(retry_after));
	struct hb hb = { head + k, 0, sizeof head - (size_t)k };
	px_aicost_headers(r, &hb, 1);
	if (!r->keep_alive)
		hb_s(&hb, "Connection: close\r\n");
	hb_end(&hb);
	conn_send(r->c, head, (size_t)k + hb.n, body, (size_t)bl);
	px_count_status(r->g, r->ep, status);
}

void px_models_list(struct conn *c, const struct gw_key *k, int keep)
{
	struct gw *g = c->g;
	struct evbuffer *b = evbuffer_new();
	evbuffer_add_printf(b, "{\"object\":\"list\",\"data\":[");
	int first = 1;
	for (size_t i = 0; i < g->conf->rt.ndeps; i++) {
		const struct gw_deploy *d = &g->conf->rt.deps[i];
		size_t j;
		for (j = 0; j < i && strcmp(g->conf->rt.deps[j].alias, d->alias); j++)
			;
		if (j < i || !keys_model_allowed(k, d->alias))
			continue;
		char a[600];
		px_json_escape(d->alias, a, sizeof a);
		evbuffer_add_printf(b, "%s{\"id\":\"%s\",\"object\":\"model\",\"created\":0,\"owned_by\":\"%s\"}",
				    first ? "" : ",", a, gw_provider_name[d->up->provider]);
		first = 0;
	}
	evbuffer_add_printf(b, "]}\n");
	char head[256];
	int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
			  evbuffer_get_length(b), keep ? "" : "Connection: close\r\n");
	conn_queue(c, head, (size_t)hl);
	evbuffer_add_buffer(c->out, b);
	evbuffer_free(b);
	g->m.requests[EP_MODELS][2]++;
	conn_response_done(c, keep);
}

void px_simple(struct conn *c, const char *ctype, struct evbuffer *b, int keep)
{
	char head[256];
	int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
			  ctype, evbuffer_get_length(b), keep ? "" : "Connection: close\r\n");
	conn_queue(c, head, (size_t)hl);
	evbuffer_add_buffer(c->out, b);
	conn_response_done(c, keep);
}
