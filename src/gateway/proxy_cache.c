/*
 * proxy_cache.c - the request path's side of the caches (cache.h): the
 * lookup before going upstream (exact, then semantic with the lexical
 * embedder or an upstream's /v1/embeddings vectors), answering from a hit
 * (replayed as SSE for a stream), and storing complete answers. The
 * embedding call is a second upstream transfer of the same request
 * (r->phase = 1), booked with its own record. See proxy.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/embed.h"
#include "gateway/jscan.h"
#include "gateway/proxy.h"
#include "util/err.h"

enum sse_wire px_wire_of(enum gw_api api)
{
	return api == API_MESSAGES ? SSE_ANTHROPIC : api == API_COMPLETIONS ? SSE_OPENAI_COMPLETION : SSE_OPENAI_CHAT;
}

/* Store a complete answer of the deployment the cache key was made for (a fallback's answer is not). */
void px_cache_store(struct gw_req *r, const char *body, size_t n)
{
	struct gw *g = r->g;
	if (!r->cache_on || r->cache != CR_MISS || r->dep != r->plan.d[0] || !body)
		return;
	uint64_t now_ms = (uint64_t)gw_wall_ms();
	enum sse_wire w = px_wire_of(r->api);
	if (g->cache)
		gw_cache_put(g->cache, r->creq.key, w, body, n, now_ms, 0);
	struct gw_sem *sem = r->vec_up ? g->sem_up : g->sem;
	if (sem && r->sem_on && r->vec)
		gw_sem_put(sem, r->tenant, r->plan.d[0]->name, r->creq.ctx, r->vec, &r->sig, w, body, n, now_ms, 0);
}

/* Answer from a cached complete response b: a zero-cost record, then the body (replayed as SSE for a stream). */
static void cache_reply(struct gw_req *r, struct gw_blob *b)
{
	struct gw *g = r->g;
	if (r->cache == CR_HIT)
		g->m.cache_hits++;
	else
		g->m.cache_semantic_hits++;
	r->dep = r->plan.d[0];
	struct gw_usage zero = { .found = 1, .anthropic = r->api == API_MESSAGES };
	px_meter_finish(r, 200, &zero, "complete");
	if (!r->stream) {
		px_send_full(r, 200, "application/json", b->data, b->len);
	} else {
		char *sse;
		size_t sl;
		struct sse_synth_opts so = { .include_usage = r->client_usage };
		if (sse_synthesize((enum sse_wire)b->wire, b->data, b->len, &so, &sse, &sl) < 0) {
			px_req_error(r, 500, "server_error", NULL, "the cached response could not be replayed", 0);
			px_finish(r, 1);
			return;
		}
		char head[1024];
		r->status = 200;
		int k = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
				 "Content-Length: %zu\r\n", sl);
		struct hb hb = { head + k, 0, sizeof head - (size_t)k };
		px_aicost_headers(r, &hb, 1);
		if (!r->keep_alive)
			hb_s(&hb, "Connection: close\r\n");
		hb_end(&hb);
		conn_queue(r->c, head, (size_t)k + hb.n);
		conn_queue(r->c, sse, sl);
		free(sse);
		px_count_status(g, r->ep, 200);
	}
	px_finish(r, 1);
}

static double sem_threshold(const struct gw_req *r)
{
	const struct gw_conf *c = r->g->conf;
	const struct gw_route *ro = r->plan.route;
	double sem = ro && ro->cache_semantic != -1 ? ro->cache_semantic : c->cache_semantic;
	/* `semantic: true`: the lexical embedder's measured default, or 0.90 for upstream vectors. */
	if (sem == -2)
		sem = c->embed_dep ? 0.90 : GW_SEM_DEFAULT_THRESHOLD;
	return sem;
}

/* Start the semantic cache's /v1/embeddings call for the request's last user turn. 0 started, -1 not. */
static int embed_start(struct gw_req *r)
{
	struct gw *g = r->g;
	struct gw_deploy *d = g->conf->embed_dep;
	struct gw_upstream *u = d->up;
	size_t cap = strlen(d->model) * 6 + r->creq.text_len * 6 + 64, k = 0;
	free(r->ebody);
	r->ebody = xmalloc(cap);
	char m[REQ_MODEL_MAX * 6 + 8], *t = xmalloc(r->creq.text_len * 6 + 8);
	px_json_escape(d->model, m, sizeof m);
	/* json_escape stops at a NUL: the text is a C string from the cache helper. */
	px_json_escape(r->creq.text, t, r->creq.text_len * 6 + 8);
	k = (size_t)snprintf(r->ebody, cap, "{\"model\":\"%s\",\"input\":\"%s\"}", m, t);
	free(t);
	char url[2048];
	if (u->provider == GP_AZURE)
		snprintf(url, sizeof url, "%s/openai/deployments/%s/embeddings?api-version=%s", u->base_url, d->model,
			 u->api_version);
	else
		snprintf(url, sizeof url, "%s/v1/embeddings", u->base_url);
	CURL *e = px_easy(r, u);
	if (!e)
		return -1;
	r->edep = d;
	r->phase = 1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->ebody);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, px_build_headers(r, u, 0));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, px_on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, px_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(u->connect_timeout_s * 1000));
	if (u->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, u->ca_file);
	r->status = 0;
	r->hdr_done = r->got_data = 0;
	r->resp_len = 0;
	r->resp_over = 0;
	r->t_att = gw_mono();
	if (up_start(g->up, &r->x) < 0) {
		px_easy_release(r);
		r->phase = 0;
		return -1;
	}
	px_arm(r, u->timeout_s);
	return 0;
}

/* The vector of an embeddings response (data[0].embedding) into a malloc'd array; its length in *dim. */
static float *embedding_vector(const char *p, size_t n, size_t *dim)
{
	static const char *const keys[] = { "data" };
	struct js_span data, first, emb, x;
	struct js_iter it;
	if (js_top_members(p, n, 16, keys, 1, &data) < 0 || data.t != JS_ARR)
		return NULL;
	js_iter_init(&it, &data);
	if (!js_arr_next(&it, &first) || !js_get(&first, "embedding", &emb) || emb.t != JS_ARR)
		return NULL;
	size_t cap = 0, k = 0;
	float *v = NULL;
	js_iter_init(&it, &emb);
	while (js_arr_next(&it, &x)) {
		char num[64];
		if (x.t != JS_NUM || x.n >= sizeof num || k >= 16384) {
			free(v);
			return NULL;
		}
		memcpy(num, x.p, x.n);
		num[x.n] = 0;
		if (k == cap) {
			cap = cap ? cap * 2 : 512;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[k++] = strtof(num, NULL);
	}
	*dim = k;
	return v;
}

void px_embed_done(struct gw_req *r, CURLcode rc)
{
	struct gw *g = r->g;
	struct gw_deploy *d = r->edep;
	double now = gw_mono();
	r->up_time += now - r->t_att;
	px_easy_release(r);
	r->phase = 0;
	route_result(d, rc == CURLE_OK && r->status / 100 == 2, now);
	if (rc == CURLE_OK && r->status / 100 == 2) {
		/* The embedding is a real upstream call: booked against the same key (no reservation: a few tokens). */
		struct gw_usage u = { 0 };
		money_t cost = 0;
		if (meter_body(r->resp, r->resp_len, 0, &u) > 0 && meter_cost(d->price, &u, &cost) < 0)
			cost = 0;
		limits_charge(&r->admit, px_today(), cost, alerts_soft, g->alerts);
		char id[64];
		snprintf(id, sizeof id, "%s-emb", r->id);
		px_book(r, id, d, (int)r->status, u.found ? &u : NULL, cost, "/v1/embeddings", NULL, "cache_embedding");
		size_t dim = 0;
		float *v = embedding_vector(r->resp, r->resp_len, &dim);
		if (v && dim && embed_normalize(v, dim) == 0) {
			if (!g->sem_up) {
				struct gw_cache_limits lim = GW_CACHE_LIMITS_DEFAULT;
				lim.max_bytes = g->conf->cache_max_bytes;
				lim.max_entries = g->conf->cache_max_entries;
				lim.ttl_ms = (uint64_t)(g->conf->cache_ttl_s * 1000);
				g->sem_up = gw_sem_new(dim, &lim);
				g->sem_up_dim = dim;
			}
			if (g->sem_up && dim == g->sem_up_dim) {
				struct gw_sem_hit hit;
				free(r->vec);
				r->vec = v;
				v = NULL;
				r->vdim = dim;
				r->vec_up = r->sem_on = 1;
				if (gw_sem_lookup(g->sem_up, r->tenant, r->plan.d[0]->name, r->creq.ctx, r->vec, &r->sig,
						  (float)sem_threshold(r), (uint64_t)gw_wall_ms(), &hit) == 1) {
					r->cache = CR_SEM_HIT;
					cache_reply(r, hit.body);
					return;
				}
			}
		}
		free(v);
	} else {
		g->m.upstream_errors++;
	}
	/* A miss (or no vector): the request goes upstream. */
	g->m.cache_misses++;
	if (r->stream)
		r->as = sse_asm_new(px_wire_of(r->api), 0);
	r->resp_len = 0;
	r->status = 0;
	if (px_attempt(r) < 0 && !px_next_attempt(r, 1))
		px_upstream_failed(r, 0, "could not start the request");
}

/* Cache lookup: 1 answered from the cache, 2 waiting for the embedding call, 0 go upstream. */
int px_cache_lookup(struct gw_req *r, const char *body, size_t n)
{
	struct gw *g = r->g;
	const struct gw_route *ro = r->plan.route;
	int exact = ro && ro->cache_exact >= 0 ? ro->cache_exact : g->conf->cache_exact;
	double sem = sem_threshold(r);
	int sem_up = sem > 0 && g->conf->embed_dep;
	if (r->api == API_EMBEDDINGS || (!exact && sem <= 0) || (!g->cache && !g->sem && !sem_up))
		return 0;
	json_error_t je;
	json_t *root = json_loadb(body, n, 0, &je);
	if (!root)
		return 0;
	struct gw_cache_policy pol = { g->conf->cache_sampled };
	const char *tenant = r->tenant = r->key->team ? r->key->team : r->key->name;
	enum sse_wire w = px_wire_of(r->api);
	/* The cache scope is the resolved model: the first deployment's. */
	const char *model = r->plan.d[0]->name;
	gw_cache_req_build(&r->creq, tenant, model, w, root, &pol);
	json_decref(root);
	r->creq_on = 1;
	if (!r->creq.cacheable)
		return 0;
	r->cache_on = 1;
	r->cache = CR_MISS;
	uint64_t now_ms = (uint64_t)gw_wall_ms();
	struct gw_blob *b = exact && g->cache ? gw_cache_get(g->cache, r->creq.key, now_ms) : NULL;
	if (b) {
		r->cache = CR_HIT;
	} else if (sem > 0 && r->creq.text) {
		embed_salient(r->creq.text, r->creq.text_len, &r->sig);
		if (sem_up)
			return embed_start(r) == 0 ? 2 : 0;
		if (g->sem) {
			struct gw_sem_hit hit;
			r->sem_on = 1;
			r->vec = xmalloc(EMBED_DIM * sizeof *r->vec);
			r->vdim = EMBED_DIM;
			embed_lexical(r->creq.text, r->creq.text_len, r->vec);
			if (gw_sem_lookup(g->sem, tenant, model, r->creq.ctx, r->vec, &r->sig, (float)sem, now_ms, &hit) == 1) {
				b = hit.body;
				r->cache = CR_SEM_HIT;
			}
		}
	}
	if (!b) {
		g->m.cache_misses++;
		if (r->stream)
			r->as = sse_asm_new(w, 0);
		return 0;
	}
	cache_reply(r, b);
	return 1;
}
