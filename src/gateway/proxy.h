/*
 * proxy.h - what the three files of the request path share (internal to
 * src/gateway/): proxy.c (a request's lifecycle: dispatch, attempts, curl
 * callbacks, metering), respond.c (response heads and errors to the
 * client), proxy_cache.c (the exact and semantic caches, and the semantic
 * cache's embedding call). Functions shared between them are prefixed px_.
 *
 * Ownership: a struct gw_req belongs to its connection while in flight and
 * to the request pool otherwise (proxy.c); see gw.h.
 */
#ifndef AICOST_GW_PROXY_H
#define AICOST_GW_PROXY_H

#include <string.h>
#include "gateway/cache.h"
#include "gateway/gw.h"
#include "gateway/keys.h"

#define OUT_HIGH (256u << 10)        /* unsent output that pauses a stream's upstream */
#define POOL_KEEP 4096               /* idle request objects kept for reuse */
#define MAX_TAGS 8
#define REC_MAX 8192                 /* one request-log record */

enum cache_res { CR_NONE, CR_MISS, CR_HIT, CR_SEM_HIT };
extern const char *const px_cache_name[];

struct gw_req {
	struct gw *g;
	struct conn *c;
	struct gw_req *next_free;
	struct up_xfer x;
	const struct gw_upstream *easy_owner;   /* the upstream x.easy is configured for (pool key) */
	struct event timer;
	int timer_on;

	/* the request */
	enum gw_api api;
	enum gw_ep ep;
	const char *endpoint;
	const struct gw_key *key;
	int stream, client_usage, injected, http10, keep_alive;
	char model[REQ_MODEL_MAX];
	uint64_t max_tokens, n, prompt_bound, prompt_est, prompt_chars;
	char sha[65];
	char id[48];
	int64_t t_ms;
	double t0, t_att, up_time;
	const char *tag_k[MAX_TAGS];
	char *tag_v[MAX_TAGS];       /* malloc'd copies (most requests carry none) */
	size_t ntag;

	/* admission and routing */
	struct gw_admit admit;
	struct gw_plan plan;
	int cand, tries;
	struct gw_deploy *dep;

	/* upstream request */
	char body_model[REQ_MODEL_MAX];   /* the model the body names now */
	char *body;
	size_t body_len, body_cap;
	char *hbuf;                  /* passthrough header lines, NUL-separated */
	size_t hlen, hcap;
	struct curl_slist *nodes;
	size_t ncap;

	/* upstream response */
	long status;
	int hdr_done, got_data, last_err_status;
	char ctype[96], up_reqid[128], retry_after[32];
	char *resp;
	size_t resp_len, resp_cap;
	int resp_over;

	/* stream */
	int streaming, head_sent, paused, parser_on, bad_stream;
	struct sse_parser sp;
	struct gw_smeter sm;

	/* cache */
	int phase;                   /* 1 while the semantic cache's embedding call runs */
	struct gw_deploy *edep;      /* its deployment */
	char *ebody;
	int vec_up;                  /* r->vec came from the upstream embedder (r->vdim floats) */
	size_t vdim;
	const char *tenant;
	enum cache_res cache;
	int cache_on, sem_on;
	float threshold;
	struct gw_cache_req creq;
	int creq_on;
	float *vec;
	struct embed_sig sig;
	struct sse_asm *as;

	/* result */
	int metered;
	money_t cost;
};

/* A response head built with plain copies (bounded: what does not fit is dropped, never overrun). */
struct hb {
	char *p;
	size_t n, cap;
};

static inline void hb_n(struct hb *b, const char *s, size_t l)
{
	if (b->n + l + 3 > b->cap)
		return;
	memcpy(b->p + b->n, s, l);
	b->n += l;
}

static inline void hb_s(struct hb *b, const char *s)
{
	hb_n(b, s, strlen(s));
}

static inline void hb_u(struct hb *b, unsigned long long v)
{
	char t[24];
	int k = 24;
	do {
		t[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hb_n(b, t + k, (size_t)(24 - k));
}

/* The blank line that ends the head: hb_n always leaves room for it. */
static inline void hb_end(struct hb *b)
{
	memcpy(b->p + b->n, "\r\n", 2);
	b->n += 2;
}

/* "HTTP/1.1 STATUS REASON\r\n" */
static inline void hb_status(struct hb *b, int status)
{
	hb_s(b, "HTTP/1.1 ");
	hb_u(b, (unsigned long long)status);
	hb_s(b, " ");
	hb_s(b, http_reason(status));
	hb_s(b, "\r\n");
}

/* ---- proxy.c ---- */
/* The request's curl handle for upstream u (reused from the pool when configured for u). NULL on failure. */
CURL *px_easy(struct gw_req *r, const struct gw_upstream *u);
/* Give the request's curl handle back to the pool. */
void px_easy_release(struct gw_req *r);
int64_t px_today(void);
/* Count tokens and cost, and append one record to the spool. */
void px_book(struct gw_req *r, const char *id, struct gw_deploy *d, int status, const struct gw_usage *u, money_t cost,
	     const char *endpoint, const char *cache, const char *outcome);
/* Book the request once (settle, count, record) before its last byte. */
void px_meter_finish(struct gw_req *r, int status, const struct gw_usage *u, const char *outcome);
/* The request ends: counters, the connection's next request, the request back to the pool. */
void px_finish(struct gw_req *r, int keep);
void px_arm(struct gw_req *r, double seconds);
struct curl_slist *px_build_headers(struct gw_req *r, const struct gw_upstream *u, int client);
int px_attempt(struct gw_req *r);
int px_next_attempt(struct gw_req *r, int was_429);
void px_upstream_failed(struct gw_req *r, int timeout, const char *what);
size_t px_on_header(char *p, size_t sz, size_t nit, void *arg);
size_t px_on_data(char *p, size_t sz, size_t nit, void *arg);

/* ---- respond.c ---- */
void px_count_status(struct gw *g, enum gw_ep ep, int status);
/* JSON string body of s (no quotes) into out (cap bytes). */
size_t px_json_escape(const char *s, char *out, size_t cap);
void px_cost_text(money_t cost, char out[MONEY_BUFSZ]);
void px_aicost_headers(struct gw_req *r, struct hb *b, int with_cost);
/* A complete (non-stream) response. */
void px_send_full(struct gw_req *r, int status, const char *ctype, const char *body, size_t n);
/* An error of a request in the OpenAI shape, with the x-aicost headers. */
void px_req_error(struct gw_req *r, int status, const char *type, const char *code, const char *msg, double retry_after);
void px_models_list(struct conn *c, const struct gw_key *k, int keep);
void px_simple(struct conn *c, const char *ctype, struct evbuffer *b, int keep);

/* ---- proxy_cache.c ---- */
enum sse_wire px_wire_of(enum gw_api api);
/* 1 answered from the cache, 2 waiting for the semantic cache's embedding call, 0 go upstream. */
int px_cache_lookup(struct gw_req *r, const char *body, size_t n);
/* Store a complete answer of the deployment the cache key was made for. */
void px_cache_store(struct gw_req *r, const char *body, size_t n);
/* The embedding call ended: look up, answer from the cache or go upstream. */
void px_embed_done(struct gw_req *r, CURLcode rc);

#endif
