/*
 * llm_stub: a stand-in LLM upstream for the gateway's integration tests and
 * benchmarks (tests/upstream/README.md). One thread, one libevent loop,
 * evhttp with keep-alive. It speaks the OpenAI, Azure OpenAI and Anthropic
 * wire formats (stub_openai.c, stub_anthropic.c) with deterministic token
 * counts (stub_req.c), and lets a test drive each request with x-stub-*
 * headers: latency, error status, mid-stream reset or error, token count.
 *
 *   llm_stub --listen 127.0.0.1:PORT [--latency-ms N] [--chunk-delay-ms N]
 *            [--chunks N] [--key KEY] [--created UNIXTIME] [--quiet]
 *
 * Prints "listening 127.0.0.1:PORT" on stdout once it accepts connections.
 *
 * Memory: one struct call per API request, freed when its reply is done or
 * its connection is gone (see stream_next). Admin endpoints under /stub/
 * reply at once. Counters and the last request are process globals.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "stub.h"

static struct stub_opts opt = {.chunks = 16};
static struct event_base *base;
static unsigned long seq;
static long fixed_created = -1; /* --created: every reply's "created" (golden tests) */

/* ---- counters (GET /stub/stats) ---- */

enum { K_CHAT, K_COMPL, K_EMB, K_MODELS, K_MSG, K_AZ_CHAT, K_AZ_COMPL, K_AZ_EMB, K_OTHER, K_N };
static const char *const kpath[K_N] = {
	"/v1/chat/completions",
	"/v1/completions",
	"/v1/embeddings",
	"/v1/models",
	"/v1/messages",
	"/openai/deployments/{deployment}/chat/completions",
	"/openai/deployments/{deployment}/completions",
	"/openai/deployments/{deployment}/embeddings",
	"other",
};

#define MAX_MODELS 64
static struct {
	unsigned long requests, by_path[K_N];
	unsigned long ok, errors, unauthorized, bad_requests;
	unsigned long streams, streams_completed, resets, stream_errors, client_disconnects;
	unsigned long long prompt_tokens, completion_tokens;
	int nmodels;
	struct {
		char name[STUB_MODEL_MAX];
		unsigned long n;
	} models[MAX_MODELS];
} st;

static void count_model(const char *m)
{
	for (int i = 0; i < st.nmodels; i++)
		if (strcmp(st.models[i].name, m) == 0) {
			st.models[i].n++;
			return;
		}
	if (st.nmodels < MAX_MODELS) {
		snprintf(st.models[st.nmodels].name, STUB_MODEL_MAX, "%s", m);
		st.models[st.nmodels++].n = 1;
	}
}

/* ---- the last API request (GET /stub/last), raw copies ---- */

#define LAST_MAX (64 * 1024)
static struct {
	char method[8];
	char uri[2048];
	char headers[8192]; /* name \0 value \0 ... */
	size_t hlen;
	char body[LAST_MAX];
	size_t blen;
	int have;
} last;

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static void remember(struct evhttp_request *req, const char *body, size_t blen)
{
	snprintf(last.method, sizeof last.method, "%s", method_name(evhttp_request_get_command(req)));
	snprintf(last.uri, sizeof last.uri, "%s", evhttp_request_get_uri(req));
	last.hlen = 0;
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
		size_t a = strlen(kv->key) + 1, b = strlen(kv->value) + 1;
		if (last.hlen + a + b > sizeof last.headers)
			break;
		memcpy(last.headers + last.hlen, kv->key, a);
		memcpy(last.headers + last.hlen + a, kv->value, b);
		last.hlen += a + b;
	}
	last.blen = blen < LAST_MAX ? blen : LAST_MAX;
	memcpy(last.body, body, last.blen);
	last.have = 1;
}

/* ---- helpers ---- */

static void logline(struct evhttp_request *req, int status)
{
	if (!opt.quiet)
		fprintf(stderr, "llm_stub: %s %s -> %d\n", method_name(evhttp_request_get_command(req)),
		        evhttp_request_get_uri(req), status);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Site Overloaded";
	default: return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
	}
}

/* A header as a non-negative integer, or -1 when absent or not a number. */
static long hdr_long(struct evkeyvalq *h, const char *name)
{
	const char *v = evhttp_find_header(h, name);
	if (!v || !*v)
		return -1;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (*end || errno || x < 0)
		return -1;
	return x;
}

static void call_free(struct call *c)
{
	if (c->timer)
		event_free(c->timer);
	json_decref(c->body);
	free(c);
}

/* Reply with a finished body and free the call. */
static void send_body(struct call *c, int status, struct evbuffer *b)
{
	logline(c->req, status);
	evhttp_send_reply(c->req, status, reason(status), b);
	call_free(c);
}

static void provider_headers(struct call *c, int stream)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	if (c->proto == PROTO_ANTHROPIC)
		an_headers(c, h, stream);
	else
		oa_headers(c, h, stream);
}

/* An error reply in the provider's shape. */
static void send_error(struct call *c, int status, const char *msg, const char *param, const char *code)
{
	struct evbuffer *b = evbuffer_new();
	provider_headers(c, 0);
	if (c->proto == PROTO_ANTHROPIC)
		an_error_body(status, NULL, msg, c->seq, b);
	else
		oa_error_body(c->proto, status, msg, "invalid_request_error", param, code, b);
	send_body(c, status, b);
	evbuffer_free(b);
}

/* ---- streams ---- */

static void stream_next(struct call *c);

static void on_written(struct evhttp_connection *evcon, void *arg)
{
	struct call *c = arg;
	if (c->delay_ms > 0) {
		struct timeval tv = {c->delay_ms / 1000, (c->delay_ms % 1000) * 1000};
		evtimer_add(c->timer, &tv);
	} else {
		stream_next(c);
	}
}

/* The connection is being freed under a running stream (the client went
 * away): libevent has detached the request, which we still own; finish it
 * from the loop, not from inside the connection's teardown. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct call *c = arg;
	struct timeval tv = {0, 0};
	evtimer_add(c->timer, &tv);
}

/* Close the connection abruptly with a RST and no FIN. libevent shuts a
 * connection down with a FIN before closing it, so first disconnect the
 * socket ourselves: on Linux, connect(AF_UNSPEC) on an established TCP socket
 * aborts it with a RST; SO_LINGER 0 makes any later close() abortive too. */
static void reset_conn(struct call *c, struct evhttp_connection *evcon)
{
	struct linger lg = {1, 0};
	int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd >= 0) {
		struct sockaddr unspec = {.sa_family = AF_UNSPEC};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		connect(fd, &unspec, sizeof unspec);
	}
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	st.resets++;
	logline(c->req, -1);
	evhttp_connection_free(evcon); /* frees c->req as well */
	call_free(c);
}

static void stream_next(struct call *c)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	if (!evcon) { /* the client is gone; this frees the detached request */
		st.client_disconnects++;
		evhttp_send_reply_end(c->req);
		call_free(c);
		return;
	}
	if (c->reset_after >= 0 && c->sent >= c->reset_after) {
		reset_conn(c, evcon);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	int more;
	if (c->error_after >= 0 && c->sent >= c->error_after) {
		if (c->proto == PROTO_ANTHROPIC)
			an_stream_error(c, b);
		else
			oa_stream_error(c, b);
		st.stream_errors++;
		c->error_after = -1;
		c->step = 1 << 30; /* past every writer's last step: the stream ends next */
		more = 1;
	} else if (c->step >= 1 << 30) {
		more = 0;
	} else {
		more = c->proto == PROTO_ANTHROPIC ? an_chunk(c, b) : oa_chunk(c, b);
	}
	if (!more) {
		evbuffer_free(b);
		evhttp_connection_set_closecb(evcon, NULL, NULL);
		st.streams_completed++;
		evhttp_send_reply_end(c->req);
		call_free(c);
		return;
	}
	c->sent++;
	evhttp_send_reply_chunk_with_cb(c->req, b, on_written, c);
	evbuffer_free(b);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);

/* ---- replies ---- */

static void respond(struct call *c)
{
	if (!evhttp_request_get_connection(c->req)) { /* gone while we waited */
		st.client_disconnects++;
		evhttp_send_reply_end(c->req);
		call_free(c);
		return;
	}
	if (c->reset_after >= 0 && !(c->stream && c->ep != EP_EMBEDDINGS && !c->status)) {
		/* a request that will not stream: reset instead of answering */
		reset_conn(c, evhttp_request_get_connection(c->req));
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (c->status) {
		st.errors++;
		provider_headers(c, 0);
		struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
		if (c->status == 429 || c->status == 503 || c->status == 529) {
			evhttp_add_header(h, "retry-after", c->retry_after);
			if (c->proto == PROTO_AZURE) {
				char ms[40];
				snprintf(ms, sizeof ms, "%ld", atol(c->retry_after) * 1000);
				evhttp_add_header(h, "retry-after-ms", ms);
			}
		}
		if (c->proto == PROTO_ANTHROPIC) {
			evhttp_add_header(h, "x-should-retry", c->status == 429 || c->status >= 500 ? "true" : "false");
			an_status_error(c, c->status, b);
		} else {
			oa_status_error(c, c->status, b);
		}
		send_body(c, c->status, b);
		evbuffer_free(b);
		return;
	}
	st.ok++;
	st.prompt_tokens += (unsigned long long)c->prompt_tokens;
	st.completion_tokens += (unsigned long long)c->completion_tokens;
	if (c->ep == EP_MODELS) {
		provider_headers(c, 0);
		oa_models(b, c->created);
		send_body(c, 200, b);
	} else if (c->stream && c->ep != EP_EMBEDDINGS) {
		st.streams++;
		provider_headers(c, 1);
		logline(c->req, 200);
		evhttp_send_reply_start(c->req, 200, "OK");
		evhttp_connection_set_closecb(evhttp_request_get_connection(c->req), on_conn_close, c);
		stream_next(c);
	} else {
		provider_headers(c, 0);
		if (c->proto == PROTO_ANTHROPIC)
			an_body(c, b);
		else
			oa_body(c, b);
		send_body(c, 200, b);
	}
	evbuffer_free(b);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	if (c->step < 0) { /* the latency wait is over */
		c->step = 0;
		respond(c);
	} else {
		stream_next(c);
	}
}

/* ---- admin: /stub/... ---- */

static void admin(struct evhttp_request *req, const char *path)
{
	struct evbuffer *b = evbuffer_new();
	json_t *j = NULL;
	int status = 200;
	if (strcmp(path, "/stub/stats") == 0) {
		json_t *bp = json_object(), *bm = json_object();
		for (int i = 0; i < K_N; i++)
			if (st.by_path[i])
				json_object_set_new(bp, kpath[i], json_integer((json_int_t)st.by_path[i]));
		for (int i = 0; i < st.nmodels; i++)
			json_object_set_new(bm, st.models[i].name, json_integer((json_int_t)st.models[i].n));
		j = json_pack("{s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "requests",
		              (json_int_t)st.requests, "by_path", bp, "by_model", bm, "ok", (json_int_t)st.ok, "errors",
		              (json_int_t)st.errors, "unauthorized", (json_int_t)st.unauthorized, "bad_requests",
		              (json_int_t)st.bad_requests, "streams", (json_int_t)st.streams, "streams_completed",
		              (json_int_t)st.streams_completed, "resets", (json_int_t)st.resets, "stream_errors",
		              (json_int_t)st.stream_errors, "client_disconnects", (json_int_t)st.client_disconnects,
		              "prompt_tokens", (json_int_t)st.prompt_tokens, "completion_tokens",
		              (json_int_t)st.completion_tokens);
	} else if (strcmp(path, "/stub/reset") == 0 && evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		memset(&st, 0, sizeof st);
		last.have = 0;
		j = json_pack("{s:b}", "ok", 1);
	} else if (strcmp(path, "/stub/last") == 0) {
		if (!last.have) {
			status = 404;
			j = json_pack("{s:s}", "error", "no request yet");
		} else {
			json_t *h = json_object();
			for (size_t i = 0; i < last.hlen;) {
				const char *k = last.headers + i;
				const char *v = k + strlen(k) + 1;
				char lk[256];
				size_t n = 0;
				for (; k[n] && n + 1 < sizeof lk; n++)
					lk[n] = (char)(k[n] >= 'A' && k[n] <= 'Z' ? k[n] + 32 : k[n]);
				lk[n] = 0;
				json_object_set_new(h, lk, json_stringn_nocheck(v, strlen(v)));
				i = (size_t)(v - last.headers) + strlen(v) + 1;
			}
			json_t *parsed = json_loadb(last.body, last.blen, 0, NULL);
			j = json_pack("{s:s,s:s,s:o,s:s%,s:o}", "method", last.method, "uri", last.uri, "headers", h, "body",
			              last.body, last.blen, "json", parsed ? parsed : json_null());
			if (!j) /* body not UTF-8: leave it out */
				j = json_pack("{s:s,s:s,s:o}", "method", last.method, "uri", last.uri, "headers", h);
		}
	} else {
		status = 404;
		j = json_pack("{s:s}", "error", "unknown stub endpoint");
	}
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	evbuffer_add_printf(b, "%s\n", s ? s : "{}");
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, status, reason(status), b);
	evbuffer_free(b);
}

/* ---- routing ---- */

/* /openai/deployments/{name}/{rest}: the deployment and the endpoint. */
static int azure_path(const char *path, char *dep, size_t cap, enum ep *ep)
{
	const char *p = path + strlen("/openai/deployments/");
	const char *slash = strchr(p, '/');
	if (!slash || slash == p || (size_t)(slash - p) >= cap)
		return -1;
	memcpy(dep, p, (size_t)(slash - p));
	dep[slash - p] = 0;
	if (strcmp(slash, "/chat/completions") == 0)
		*ep = EP_CHAT;
	else if (strcmp(slash, "/completions") == 0)
		*ep = EP_COMPLETIONS;
	else if (strcmp(slash, "/embeddings") == 0)
		*ep = EP_EMBEDDINGS;
	else
		return -1;
	return 0;
}

/* The credential the provider expects, or NULL when it is missing. */
static const char *credential(struct call *c, struct evkeyvalq *h)
{
	if (c->proto == PROTO_ANTHROPIC)
		return evhttp_find_header(h, "x-api-key");
	if (c->proto == PROTO_AZURE) {
		const char *k = evhttp_find_header(h, "api-key");
		if (k)
			return k;
	}
	const char *a = evhttp_find_header(h, "authorization");
	if (a && strncasecmp(a, "Bearer ", 7) == 0 && a[7])
		return a + 7;
	return NULL;
}

static int check_auth(struct call *c, struct evkeyvalq *h)
{
	const char *k = credential(c, h);
	if (k && *k && (!opt.key || strcmp(k, opt.key) == 0))
		return 0;
	st.unauthorized++;
	if (c->proto == PROTO_ANTHROPIC) {
		send_error(c, 401, k ? "invalid x-api-key" : "x-api-key header is required", NULL, NULL);
	} else if (c->proto == PROTO_AZURE) {
		send_error(c, 401,
		           "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
		           "valid key for an active subscription and use a correct regional API endpoint for your "
		           "resource.",
		           NULL, NULL);
	} else if (!k) {
		send_error(c, 401,
		           "You didn't provide an API key. You need to provide your API key in an Authorization header "
		           "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
		           "username) if you're accessing the API from your browser and are prompted for a username. You "
		           "can obtain an API key from https://platform.openai.com/account/api-keys.",
		           NULL, NULL);
	} else {
		/* the key is echoed masked, never whole */
		char m[512];
		size_t n = strlen(k);
		snprintf(m, sizeof m,
		         "Incorrect API key provided: %.3s****%s. You can find your API key at "
		         "https://platform.openai.com/account/api-keys.",
		         k, n > 8 ? k + n - 4 : "");
		send_error(c, 401, m, NULL, "invalid_api_key");
	}
	return -1;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	if (!path)
		path = "/";
	if (strncmp(path, "/stub/", 6) == 0) {
		admin(req, path);
		return;
	}
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t blen = evbuffer_get_length(in);
	const char *body = blen ? (const char *)evbuffer_pullup(in, -1) : "";
	st.requests++;
	remember(req, body, blen);

	struct call *c = calloc(1, sizeof *c);
	if (!c) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	c->req = req;
	c->seq = ++seq;
	c->created = fixed_created >= 0 ? fixed_created : (long)time(NULL);
	c->reset_after = c->error_after = -1;
	c->delay_ms = opt.chunk_delay_ms;
	c->timer = evtimer_new(base, on_timer, c);

	int k = K_OTHER, method_ok = cmd == EVHTTP_REQ_POST;
	if (strcmp(path, "/v1/chat/completions") == 0) {
		k = K_CHAT, c->ep = EP_CHAT;
	} else if (strcmp(path, "/v1/completions") == 0) {
		k = K_COMPL, c->ep = EP_COMPLETIONS;
	} else if (strcmp(path, "/v1/embeddings") == 0) {
		k = K_EMB, c->ep = EP_EMBEDDINGS;
	} else if (strcmp(path, "/v1/models") == 0) {
		k = K_MODELS, c->ep = EP_MODELS, method_ok = cmd == EVHTTP_REQ_GET;
	} else if (strcmp(path, "/v1/messages") == 0) {
		k = K_MSG, c->ep = EP_MESSAGES, c->proto = PROTO_ANTHROPIC;
	} else if (strncmp(path, "/openai/deployments/", 20) == 0) {
		c->proto = PROTO_AZURE;
		if (azure_path(path, c->model, sizeof c->model, &c->ep) == 0)
			k = c->ep == EP_CHAT ? K_AZ_CHAT : c->ep == EP_COMPLETIONS ? K_AZ_COMPL : K_AZ_EMB;
	}
	st.by_path[k]++;
	if (k == K_OTHER || !method_ok) {
		char m[2300];
		snprintf(m, sizeof m, "Invalid URL (%s %s)", method_name(cmd), path);
		send_error(c, 404, c->proto == PROTO_AZURE ? "Resource not found" : m, NULL, NULL);
		return;
	}
	if (c->proto == PROTO_AZURE) {
		const char *q = evhttp_uri_get_query(u);
		if (!q || !strstr(q, "api-version=")) {
			send_error(c, 404, "Resource not found", NULL, NULL);
			return;
		}
	}
	if (check_auth(c, h) < 0)
		return;
	if (c->proto == PROTO_ANTHROPIC && !evhttp_find_header(h, "anthropic-version")) {
		st.bad_requests++;
		send_error(c, 400, "anthropic-version: header is required", NULL, NULL);
		return;
	}
	if (c->ep != EP_MODELS) {
		const char *msg, *param;
		int r = req_parse(c, body, blen, &opt, hdr_long(h, "x-stub-tokens"), &msg, &param);
		if (r) {
			st.bad_requests++;
			send_error(c, r, msg, param, param && strcmp(param, "messages") == 0 ? "missing_required_parameter" : NULL);
			return;
		}
		count_model(c->model);
	}
	/* cache and reasoning splits, clamped into the counts they are part of */
	long cached = hdr_long(h, "x-stub-cached-tokens"), written = hdr_long(h, "x-stub-cache-write-tokens");
	long reasoning = hdr_long(h, "x-stub-reasoning-tokens");
	c->cached_tokens = cached < 0 ? 0 : cached > c->prompt_tokens ? c->prompt_tokens : cached;
	if (c->proto == PROTO_ANTHROPIC && written > 0)
		c->cache_write_tokens = written > c->prompt_tokens - c->cached_tokens ? c->prompt_tokens - c->cached_tokens
		                                                                       : written;
	c->reasoning_tokens = reasoning < 0 ? 0 : reasoning > c->completion_tokens ? c->completion_tokens : reasoning;
	const char *mo = evhttp_find_header(h, "x-stub-model");
	if (mo && *mo)
		snprintf(c->model, sizeof c->model, "%s", mo);

	long status = hdr_long(h, "x-stub-status");
	if (status >= 400 && status <= 599)
		c->status = (int)status;
	const char *ra = evhttp_find_header(h, "x-stub-retry-after");
	snprintf(c->retry_after, sizeof c->retry_after, "%s", ra && *ra ? ra : "1");
	c->reset_after = hdr_long(h, "x-stub-reset-after");
	c->error_after = hdr_long(h, "x-stub-error-after");
	long d = hdr_long(h, "x-stub-chunk-delay-ms");
	if (d >= 0)
		c->delay_ms = (int)(d > 60000 ? 60000 : d);
	long lat = hdr_long(h, "x-stub-latency-ms");
	if (lat < 0)
		lat = opt.latency_ms;
	if (lat > 600000)
		lat = 600000;
	if (lat > 0) {
		c->step = -1;
		struct timeval tv = {lat / 1000, (lat % 1000) * 1000};
		evtimer_add(c->timer, &tv);
		return;
	}
	respond(c);
}

/* ---- main ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(base);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: llm_stub --listen HOST:PORT [--latency-ms N] [--chunk-delay-ms N] [--chunks N]\n"
	           "                [--key KEY] [--created UNIXTIME] [--quiet]\n"
	           "A stand-in OpenAI / Azure OpenAI / Anthropic upstream for tests (tests/upstream/README.md).\n");
}

static int listen_on(const char *addr)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof host) {
		fprintf(stderr, "llm_stub: --listen %s: want HOST:PORT\n", addr);
		return -1;
	}
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "llm_stub: --listen %s: not an IPv4 address\n", addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* accepted sockets inherit TCP_NODELAY on Linux: a stream chunk leaves at
	 * once instead of waiting for the ACK of the previous one (Nagle) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* a deep backlog: a benchmark opens a thousand streams at once */
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
		fprintf(stderr, "llm_stub: --listen %s: %s\n", addr, strerror(errno));
		close(fd);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"listen", required_argument, 0, 'l'},     {"latency-ms", required_argument, 0, 'L'},
		{"chunk-delay-ms", required_argument, 0, 'd'}, {"chunks", required_argument, 0, 'c'},
		{"key", required_argument, 0, 'k'},        {"quiet", no_argument, 0, 'q'},
		{"created", required_argument, 0, 't'},    {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *listen_addr = "127.0.0.1:0";
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_addr = optarg; break;
		case 'L': opt.latency_ms = atoi(optarg); break;
		case 'd': opt.chunk_delay_ms = atoi(optarg); break;
		case 'c': opt.chunks = atol(optarg); break;
		case 'k': opt.key = optarg; break;
		case 'q': opt.quiet = 1; break;
		case 't': fixed_created = atol(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.latency_ms < 0 || opt.chunk_delay_ms < 0 || opt.chunks < 0 || opt.chunks > STUB_MAX_TOKENS) {
		fprintf(stderr, "llm_stub: --latency-ms, --chunk-delay-ms and --chunks must be >= 0\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int fd = listen_on(listen_addr);
	if (fd < 0)
		return 1;
	base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	if (!base || !http)
		return 1;
	evhttp_set_max_body_size(http, STUB_MAX_BODY);
	evhttp_set_timeout(http, 3600);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                     EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, on_request, NULL);
	if (!evhttp_accept_socket_with_handle(http, fd)) {
		fprintf(stderr, "llm_stub: cannot accept on %s\n", listen_addr);
		return 1;
	}
	struct event *sig_term = evsignal_new(base, SIGTERM, on_signal, NULL);
	struct event *sig_int = evsignal_new(base, SIGINT, on_signal, NULL);
	event_add(sig_term, NULL);
	event_add(sig_int, NULL);

	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
	printf("listening %s:%d\n", ip, ntohs(sa.sin_port));
	fflush(stdout);

	event_base_dispatch(base);
	/* Exit without tearing down the open connections: calls still in flight
	 * are reachable from the base and die with the process. */
	event_free(sig_term);
	event_free(sig_int);
	return 0;
}
