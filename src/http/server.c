/*
 * server.c - the event loop, the worker pool and request dispatch of
 * `aicost serve`; see server.h for the threading model and limits.
 *
 * Chapters: error capture, config generations, ledger version, responses,
 * workers, the request handler, startup and shutdown.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include "cli/cli.h"
#include "cli/render.h"
#include "core/alloc.h"
#include "core/config.h"
#include "http/api.h"
#include "http/assets.h"
#include "http/auth.h"
#include "http/cache.h"
#include "http/query.h"
#include "http/server.h"
#include "http/snapshot.h"
#include "store/store.h"

#define VERSION "0.1.0"

/* ---- error capture ------------------------------------------------------------
 * error() goes through err_sink. While a thread runs a query its first error
 * line is kept (for the 400/500 body) instead of printed; warnings are
 * dropped (the JSON is the CLI's, and warnings are not part of it). Other
 * threads and times print as usual.
 */
static __thread int cap_on;
static __thread char cap_msg[1024];

static void srv_sink(const char *line)
{
	if (!cap_on) {
		fprintf(stderr, "%s\n", line);
		return;
	}
	if (!strncmp(line, "aicost: warning: ", 17) || cap_msg[0])
		return;
	if (!strncmp(line, "aicost: ", 8))
		line += 8;
	snprintf(cap_msg, sizeof cap_msg, "%s", line);
}

static void capture_begin(void)
{
	cap_on = 1;
	cap_msg[0] = 0;
}

static const char *capture_end(void)
{
	cap_on = 0;
	return cap_msg[0] ? cap_msg : "the query failed";
}

/* ---- config generations -------------------------------------------------------
 * The config is loaded once and shared read-only by all workers. When the
 * file changes, the loop loads a new generation; queries in flight keep the
 * one they started with (reference counted).
 */
struct cfg_gen {
	struct config cfg;
	struct http_auth auth;
	int refs;
	unsigned seq;
	struct timespec mtime;
	off_t size;
	ino_t ino;
};

static void gen_unref(struct cfg_gen *g)
{
	if (g && __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		http_auth_release(&g->auth);
		config_release(&g->cfg);
		free(g);
	}
}

static struct cfg_gen *gen_load(const char *path, unsigned seq)
{
	struct cfg_gen *g = xcalloc(1, sizeof *g);
	struct stat sb;
	if (path && stat(path, &sb) == 0) {
		g->mtime = sb.st_mtim;
		g->size = sb.st_size;
		g->ino = sb.st_ino;
	}
	if (config_load(path, &g->cfg) < 0) {
		free(g);
		return NULL;
	}
	if (http_auth_load(&g->cfg, &g->auth) < 0)
		goto fail;
	for (size_t i = 0; i < g->auth.n; i++) {
		int d = alloc_dim_find(&g->cfg, "team");
		if (g->auth.t[i].role == ROLE_TEAM && (d < 0 || !g->cfg.dims[d].configured)) {
			error("%s: server.tokens: team token '%s' needs an allocation dimension named team "
			      "(allocation.dimensions.team)", g->cfg.path, g->auth.t[i].name);
			goto fail;
		}
	}
	g->refs = 1;
	g->seq = seq;
	return g;
fail:
	http_auth_release(&g->auth);
	config_release(&g->cfg);
	free(g);
	return NULL;
}

/* ---- the server ------------------------------------------------------------- */

struct job;

struct worker {
	struct srv *srv;
	pthread_t th;
	struct store *st;
	ino_t ino;                   /* of the ledger file st was opened on */
	struct store_ops ops;        /* st's ops with the snapshot's reads (snapshot.h) */
	const struct store_ops *real;
};

struct srv {
	struct srv_opts o;
	struct event_base *base;
	struct evhttp *http;
	struct cfg_gen *gen;
	struct http_cache cache;
	char *openapi;
	size_t openapi_len;
	/* work queue (workers) and finished work (loop) */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct job *qhead, *qtail;
	int qlen, stop;
	pthread_mutex_t dlock;
	struct job *done;
	struct event *done_ev;
	struct worker *w;
	int nw;
	char dbwal[4096];
	pthread_mutex_t slock;       /* guards snap */
	struct snap *snap;           /* the in-memory copy of the newest ledger version queried */
	/* A ClickHouse ledger (no file to watch): the loop's handle for its version, asked at most once a second. */
	struct store *vst;
	struct timespec vat;
	char vbuf[96];
	unsigned long verr;
};

/* A request waiting for a query (the one that started it, or later ones with the same key). */
struct waiter {
	struct waiter *next;
	struct evhttp_request *req;
	struct timespec t0;
	char who[64];                /* token name, for the log */
};

struct job {
	struct job *next;
	const struct api_route *rt;
	struct cfg_gen *gen;         /* a reference */
	struct http_params params;
	const char **names, **values;
	size_t n;
	struct cli_args args;
	char *team_where;            /* "team=TEAM", a value of names/values */
	const char *team;
	ino_t ino;                   /* the ledger file's inode when the job was made */
	char ver[160];               /* the ledger's version when the job was made */
	struct centry *ent;
	/* result */
	int status;
	char *body;
	size_t len;
};

static void job_free(struct job *j)
{
	if (!j)
		return;
	if (j->args.pos)
		cli_args_release(&j->args);
	http_params_release(&j->params);
	free(j->names);
	free(j->values);
	free(j->team_where);
	free(j->body);
	gen_unref(j->gen);
	free(j);
}

/* ---- the ledger's version ------------------------------------------------------
 * Every commit to the ledger changes the size or mtime of the database file
 * or of its WAL (a checkpoint changes the database file); the version is
 * those plus the config generation. A spurious change (a checkpoint) only
 * costs one recomputation.
 */
static void version_of_remote(struct srv *s, char *out, size_t n);

static void version_of(struct srv *s, char *out, size_t n, ino_t *ino)
{
	if (store_is_clickhouse_url(s->o.db_path)) {
		*ino = 0;
		version_of_remote(s, out, n);
		return;
	}
	struct stat a, b;
	int ha = stat(s->o.db_path, &a) == 0, hb = stat(s->dbwal, &b) == 0 && b.st_size > 0;
	*ino = ha ? a.st_ino : 0;
	/* An empty WAL is no WAL: opening the ledger creates one without changing anything. */
	snprintf(out, n, "%u/%llx.%llx.%lld.%ld/%llx.%llx.%lld.%ld", s->gen->seq, ha ? (unsigned long long)a.st_ino : 0ULL,
		 ha ? (unsigned long long)a.st_size : 0ULL, ha ? (long long)a.st_mtim.tv_sec : 0LL,
		 ha ? (long)a.st_mtim.tv_nsec : 0L, hb ? (unsigned long long)b.st_ino : 0ULL,
		 hb ? (unsigned long long)b.st_size : 0ULL, hb ? (long long)b.st_mtim.tv_sec : 0LL,
		 hb ? (long)b.st_mtim.tv_nsec : 0L);
}

/*
 * A ClickHouse ledger's version comes from the ledger (store's version op):
 * one small query on the loop, at most once a second, so an answer may be
 * up to a second older than a commit. When the ledger cannot be asked,
 * every request gets a new version: nothing is answered from the cache.
 */
static void version_of_remote(struct srv *s, char *out, size_t n)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double age = (double)(now.tv_sec - s->vat.tv_sec) + (double)(now.tv_nsec - s->vat.tv_nsec) / 1e9;
	if (!s->vbuf[0] || age >= 1.0) {
		if (!s->vst)
			s->vst = store_clickhouse_open(s->o.db_path, 0);
		if (!s->vst || !s->vst->ops->version || s->vst->ops->version(s->vst, s->vbuf, sizeof s->vbuf) < 0) {
			if (s->vst)
				s->vst->ops->close(s->vst);
			s->vst = NULL;
			snprintf(s->vbuf, sizeof s->vbuf, "unavailable.%lu", ++s->verr);
		}
		s->vat = now;
		if (!strncmp(s->vbuf, "unavailable.", 12))
			s->vat.tv_sec -= 2;   /* ask again next time */
	}
	snprintf(out, n, "%u/%s", s->gen->seq, s->vbuf);
}

static void maybe_reload(struct srv *s)
{
	struct stat sb;
	if (!s->o.config_path || stat(s->o.config_path, &sb) < 0)
		return;
	if (sb.st_ino == s->gen->ino && sb.st_size == s->gen->size && sb.st_mtim.tv_sec == s->gen->mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == s->gen->mtime.tv_nsec)
		return;
	struct cfg_gen *g = gen_load(s->o.config_path, s->gen->seq + 1);
	if (!g) {
		/* Keep serving the last good config; try again when the file changes once more. */
		s->gen->mtime = sb.st_mtim;
		s->gen->size = sb.st_size;
		s->gen->ino = sb.st_ino;
		fprintf(stderr, "aicost serve: %s changed but does not load; still serving the previous config\n",
			s->o.config_path);
		return;
	}
	fprintf(stderr, "aicost serve: reloaded %s\n", s->o.config_path);
	gen_unref(s->gen);
	s->gen = g;
}

/* ---- responses ------------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

static void log_line(struct srv *s, struct evhttp_request *req, int status, const struct timespec *t0, const char *who,
		     const char *cache)
{
	if (!s->o.access_log)
		return;
	/* The path and query; never the headers (the token is in Authorization). */
	const char *uri = evhttp_request_get_uri(req);
	fprintf(stderr, "aicost serve: %s %.300s %d %.1fms%s%s%s%s\n", method_name(evhttp_request_get_command(req)),
		uri ? uri : "-", status, ms_since(t0), cache ? " " : "", cache ? cache : "", who && *who ? " token=" : "",
		who ? who : "");
}

static void common_headers(struct evkeyvalq *h, const char *ctype)
{
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
}

static void send_body(struct srv *s, struct evhttp_request *req, int status, const char *ctype, const void *body,
		      size_t len, const struct timespec *t0, const char *who, const char *cache)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	common_headers(h, ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (cache)
		evhttp_add_header(h, "X-Aicost-Cache", cache);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer realm=\"aicost\"");
	if (status == 503)
		evhttp_add_header(h, "Retry-After", "1");
	log_line(s, req, status, t0, who, cache);
	struct evbuffer *b = evbuffer_new();
	if (b && len)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, status, reason(status), b);
	if (b)
		evbuffer_free(b);
}

/* {"error":{"code":CODE,"message":MSG}} into a malloc'd string. */
static char *error_json(const char *code, const char *msg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	fprintf(f, "{\"error\":{\"code\":\"%s\",\"message\":", code);
	json_str(f, msg);
	fprintf(f, "}}\n");
	fclose(f);
	return buf;
}

static const char *code_of(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 414: return "uri_too_long";
	case 503: return "unavailable";
	default: return "internal";
	}
}

static void send_error(struct srv *s, struct evhttp_request *req, int status, const char *msg,
		       const struct timespec *t0, const char *who)
{
	size_t len;
	char *b = error_json(code_of(status), msg, &len);
	send_body(s, req, status, "application/json", b, len, t0, who, NULL);
	free(b);
}

/* ---- workers ---------------------------------------------------------------- */

static void run_job(struct worker *w, struct job *j)
{
	struct srv *s = w->srv;
	capture_begin();
	if (w->st && w->ino != j->ino) {
		/* The ledger file was replaced: a connection to the old one would read stale data. */
		w->st->ops->close(w->st);
		w->st = NULL;
	}
	if (!w->st) {
		struct stat sb;
		w->st = store_open(s->o.db_path, 0);
		w->ino = w->st && stat(s->o.db_path, &sb) == 0 ? sb.st_ino : 0;
		if (!w->st) {
			j->status = 503;
			j->body = error_json("unavailable", capture_end(), &j->len);
			return;
		}
		snap_hook(w->st, &w->ops, &w->real);
	}
	/* The snapshot of this job's ledger version: the newest one, made on first use. */
	struct snap *sn = NULL;
	if (s->o.snapshot) {
		pthread_mutex_lock(&s->slock);
		if (!s->snap || strcmp(snap_version(s->snap), j->ver)) {
			snap_unref(s->snap);
			s->snap = snap_new(j->ver);
		}
		sn = s->snap;
		snap_ref(sn);
		pthread_mutex_unlock(&s->slock);
	}
	snap_use(sn, w->real);
	FILE *f = open_memstream(&j->body, &j->len);
	if (!f)
		abort();
	struct api_call c = { w->st, &j->gen->cfg, &j->args, j->team, j->rt };
	int rc = j->rt->run ? j->rt->run(&c, f) : j->rt->cmd->json(&j->args, w->st, &j->gen->cfg, f);
	fclose(f);
	snap_use(NULL, w->real);
	snap_unref(sn);
	const char *msg = capture_end();
	if (rc == 0) {
		j->status = 200;
		return;
	}
	free(j->body);
	/* Errors of the ledger itself start with its path (store/sqlite.c); anything else is the query's. */
	size_t pl = strlen(s->o.db_path);
	int ledger = !strncmp(msg, s->o.db_path, pl) && msg[pl] == ':';
	j->status = rc == CLI_EUSAGE || !ledger ? 400 : 500;
	j->body = error_json(code_of(j->status), msg, &j->len);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct srv *s = w->srv;
	for (;;) {
		pthread_mutex_lock(&s->qlock);
		while (!s->qhead && !s->stop)
			pthread_cond_wait(&s->qcond, &s->qlock);
		if (s->stop) {
			pthread_mutex_unlock(&s->qlock);
			break;
		}
		struct job *j = s->qhead;
		s->qhead = j->next;
		if (!s->qhead)
			s->qtail = NULL;
		s->qlen--;
		pthread_mutex_unlock(&s->qlock);
		j->next = NULL;
		run_job(w, j);
		pthread_mutex_lock(&s->dlock);
		j->next = s->done;
		s->done = j;
		pthread_mutex_unlock(&s->dlock);
		event_active(s->done_ev, EV_READ, 0);
	}
	if (w->st)
		w->st->ops->close(w->st);
	return NULL;
}

/* Finished work, on the loop: answer every waiter, keep 200s in the cache. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&s->dlock);
	struct job *list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->dlock);
	while (list) {
		struct job *j = list;
		list = j->next;
		struct centry *e = j->ent;
		const char *ctype = j->rt->ctype ? j->rt->ctype : "application/json";
		if (j->status != 200)
			ctype = "application/json";
		struct waiter *wt = e->waiters;
		e->waiters = NULL;
		while (wt) {
			struct waiter *nx = wt->next;
			send_body(s, wt->req, j->status, ctype, j->body, j->len, &wt->t0, wt->who, "miss");
			free(wt);
			wt = nx;
		}
		if (j->status == 200 && s->o.cache_bytes) {
			cache_fill(&s->cache, e, 200, j->body, j->len, ctype);
			j->body = NULL;
		} else {
			cache_remove(&s->cache, e);
		}
		job_free(j);
	}
}

/* ---- the request handler ------------------------------------------------------ */

static const struct web_asset *asset_find(const char *path)
{
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (size_t i = 0; i < web_nassets; i++)
		if (!strcmp(web_assets[i].path, path))
			return &web_assets[i];
	return NULL;
}

static int accepts_gzip(struct evhttp_request *req)
{
	const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
	return ae && strstr(ae, "gzip") && !strstr(ae, "gzip;q=0");
}

static void send_asset(struct srv *s, struct evhttp_request *req, const struct web_asset *a, const struct timespec *t0)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
	common_headers(h, a->ctype);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "ETag", a->etag);
	evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (!strcmp(a->path, "/index.html"))
		evhttp_add_header(h, "Content-Security-Policy",
				  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
				  "data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	if (inm && !strcmp(inm, a->etag)) {
		log_line(s, req, 304, t0, NULL, NULL);
		evhttp_send_reply(req, 304, reason(304), NULL);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (accepts_gzip(req)) {
		evhttp_add_header(h, "Content-Encoding", "gzip");
		evbuffer_add_reference(b, a->gz, a->gzlen, NULL, NULL);
	} else {
		evbuffer_add_reference(b, a->data, a->len, NULL, NULL);
	}
	log_line(s, req, 200, t0, NULL, NULL);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static int pair_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c = strcmp(x[0], y[0]);
	return c ? c : strcmp(x[1], y[1]);
}

/* The cache key: route, version, team, and the sorted parameters, joined with 0x1e/0x1f. */
static char *make_key(const struct job *j, const char *ver, size_t *klen)
{
	const char **pairs = xcalloc(2 * j->n + 2, sizeof *pairs);
	for (size_t i = 0; i < j->n; i++) {
		pairs[2 * i] = j->names[i];
		pairs[2 * i + 1] = j->values[i];
	}
	qsort(pairs, j->n, 2 * sizeof *pairs, pair_cmp);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, klen);
	if (!f)
		abort();
	fprintf(f, "%s\x1e%s\x1e%s\x1e", j->rt->path, ver, j->team ? j->team : "");
	for (size_t i = 0; i < j->n; i++)
		fprintf(f, "%s=%s\x1f", pairs[2 * i], pairs[2 * i + 1]);
	fclose(f);
	free(pairs);
	return buf;
}

static void push_pair(struct job *j, const char *name, const char *value)
{
	j->names = xrealloc(j->names, (j->n + 1) * sizeof *j->names);
	j->values = xrealloc(j->values, (j->n + 1) * sizeof *j->values);
	j->names[j->n] = name;
	j->values[j->n] = value;
	j->n++;
}

/*
 * Build the job's options from the query string: the route's option table,
 * its deny list and forced flags, and a team token's scope. 0, or the HTTP
 * status to answer with msg.
 */
static int job_args(struct job *j, const char *query, const struct http_token *tok, char *msg, size_t msgn)
{
	const struct api_route *rt = j->rt;
	if (http_query_parse(query, &j->params, msg, msgn) < 0)
		return 400;
	for (size_t i = 0; i < j->params.n; i++) {
		if (api_route_denies(rt, j->params.names[i])) {
			snprintf(msg, msgn, "parameter '%s' is not available in the API (see /api/openapi.json)",
				 j->params.names[i]);
			return 400;
		}
		push_pair(j, j->params.names[i], j->params.values[i]);
	}
	if (rt->force)
		push_pair(j, rt->force, "");
	if (tok && tok->role == ROLE_TEAM && rt->scope == SCOPE_WHERE) {
		for (size_t i = 0; i < j->n; i++) {
			if (strcmp(j->names[i], "where"))
				continue;
			const char *v = j->values[i], *eq = strchr(v, '=');
			if (eq && (size_t)(eq - v) == 4 && !memcmp(v, "team", 4) && strcmp(eq + 1, tok->team)) {
				snprintf(msg, msgn, "this token reads team '%s' only", tok->team);
				return 403;
			}
		}
		size_t n = strlen(tok->team) + 6;
		j->team_where = xmalloc(n);
		snprintf(j->team_where, n, "team=%s", tok->team);
		push_pair(j, "where", j->team_where);
	}
	size_t nopts;
	const struct cli_opt *opts = api_route_opts(rt, &nopts);
	capture_begin();
	int rc = cli_args_from_pairs(&j->args, opts, nopts, j->names, j->values, j->n);
	const char *m = capture_end();
	if (rc < 0) {
		snprintf(msg, msgn, "%s (see /api/openapi.json)", m);
		return 400;
	}
	return 0;
}

static void dispatch(struct srv *s, struct job *j, struct waiter *w, const struct timespec *t0)
{
	pthread_mutex_lock(&s->qlock);
	int full = s->qlen >= s->o.max_queue;
	if (!full) {
		if (s->qtail)
			s->qtail->next = j;
		else
			s->qhead = j;
		s->qtail = j;
		s->qlen++;
		pthread_cond_signal(&s->qcond);
	}
	pthread_mutex_unlock(&s->qlock);
	if (full) {
		cache_remove(&s->cache, j->ent);
		send_error(s, w->req, 503, "the server is busy: too many queries queued, try again", t0, w->who);
		free(w);
		job_free(j);
	}
}

/*
 * Small answers must leave at once: without TCP_NODELAY a reply written in
 * two pieces waits for the client's delayed ACK (40 ms on Linux).
 */
static void nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	struct timespec t0;
	char msg[1200];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nodelay(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *uri = evhttp_request_get_uri(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	if (!path || !*path)
		path = "/";
	if (uri && strlen(uri) > HTTP_QUERY_MAX_BYTES + 512) {
		send_error(s, req, 414, "the request URI is too long", &t0, NULL);
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		send_error(s, req, 405, "only GET and HEAD are served", &t0, NULL);
		return;
	}
	const struct web_asset *a = asset_find(path);
	if (a) {
		send_asset(s, req, a, &t0);
		return;
	}
	if (!strcmp(path, "/healthz") || !strcmp(path, "/api/health")) {
		static const char ok[] = "{\"status\":\"ok\",\"version\":\"" VERSION "\"}\n";
		send_body(s, req, 200, "application/json", ok, sizeof ok - 1, &t0, NULL, NULL);
		return;
	}
	if (!strcmp(path, "/api/openapi.json")) {
		send_body(s, req, 200, "application/json", s->openapi, s->openapi_len, &t0, NULL, NULL);
		return;
	}
	const struct api_route *rt = api_route_find(path);
	int session = !strcmp(path, "/api/session");
	if (!rt && !session) {
		snprintf(msg, sizeof msg, "no such endpoint: %.200s (see /api/openapi.json)", path);
		send_error(s, req, 404, msg, &t0, NULL);
		return;
	}
	maybe_reload(s);
	struct cfg_gen *g = s->gen;

	/* Authentication: with tokens configured, every API request carries one. */
	const struct http_token *tok = NULL;
	if (g->auth.n) {
		const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
		const char *t;
		size_t tl;
		if (!hdr) {
			send_error(s, req, 401, "missing Authorization: Bearer TOKEN", &t0, NULL);
			return;
		}
		if (http_bearer(hdr, &t, &tl) < 0 || !(tok = http_auth_check(&g->auth, t, tl))) {
			send_error(s, req, 401, "unknown or malformed token", &t0, NULL);
			return;
		}
	}
	const char *who = tok ? tok->name : NULL;
	if (session) {
		char *buf = NULL;
		size_t len;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			abort();
		fprintf(f, "{\"auth\":%s,\"role\":\"%s\",\"team\":", g->auth.n ? "true" : "false",
			tok && tok->role == ROLE_TEAM ? "team" : "admin");
		if (tok && tok->team)
			json_str(f, tok->team);
		else
			fprintf(f, "null");
		fprintf(f, ",\"name\":");
		if (tok)
			json_str(f, tok->name);
		else
			fprintf(f, "null");
		fprintf(f, "}\n");
		fclose(f);
		send_body(s, req, 200, "application/json", buf, len, &t0, who, NULL);
		free(buf);
		return;
	}
	if (rt->scope == SCOPE_ADMIN && tok && tok->role != ROLE_ADMIN) {
		snprintf(msg, sizeof msg, "%s needs an admin token", rt->path);
		send_error(s, req, 403, msg, &t0, who);
		return;
	}

	struct job *j = xcalloc(1, sizeof *j);
	j->rt = rt;
	j->gen = g;
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_ACQ_REL);
	j->team = tok && tok->role == ROLE_TEAM ? tok->team : NULL;
	int st = job_args(j, query, tok, msg, sizeof msg);
	if (st) {
		send_error(s, req, st, msg, &t0, who);
		job_free(j);
		return;
	}
	char ver[160];
	size_t klen;
	version_of(s, ver, sizeof ver, &j->ino);
	snprintf(j->ver, sizeof j->ver, "%s", ver);
	char *key = make_key(j, ver, &klen);
	struct centry *e = cache_find(&s->cache, key, klen);
	if (e && !e->pending) {
		free(key);
		s->cache.hits++;
		send_body(s, req, e->status, e->ctype, e->body, e->len, &t0, who, "hit");
		job_free(j);
		return;
	}
	struct waiter *w = xcalloc(1, sizeof *w);
	w->req = req;
	w->t0 = t0;
	snprintf(w->who, sizeof w->who, "%s", who ? who : "");
	if (e) {
		/* The same query is running: wait for it. */
		free(key);
		w->next = e->waiters;
		e->waiters = w;
		job_free(j);
		return;
	}
	s->cache.misses++;
	e = cache_add(&s->cache, key, klen);
	free(key);
	e->waiters = w;
	j->ent = e;
	dispatch(s, j, w, &t0);
}

/* ---- startup and shutdown ------------------------------------------------------ */

int srv_parse_listen(const char *s, char *host, size_t hostn, unsigned *port, int *loopback)
{
	const char *colon;
	size_t hl;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl >= hostn)
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		colon = rb + 1;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl >= hostn)
			return -1;
		memcpy(host, s, hl);
		host[hl] = 0;
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		struct in_addr a4;
		if (inet_pton(AF_INET, host, &a4) != 1)
			return -1;
		*loopback = (ntohl(a4.s_addr) >> 24) == 127;
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	(void)what;
	fprintf(stderr, "aicost serve: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	event_base_loopexit(s->base, NULL);
}

int srv_run(const struct srv_opts *o)
{
	struct srv s;
	char host[256];
	unsigned port;
	int loopback, rc = -1;
	struct event *sigint = NULL, *sigterm = NULL;

	memset(&s, 0, sizeof s);
	s.o = *o;
	if (s.o.max_queue <= 0)
		s.o.max_queue = 256;
	if (s.o.workers <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s.o.workers = n < 2 ? 2 : n > 8 ? 8 : (int)n;
	}
	if (srv_parse_listen(o->listen, host, sizeof host, &port, &loopback) < 0)
		return error("--listen: '%s' is not HOST:PORT with an IP address (127.0.0.1:8080, [::1]:8080, "
			     "0.0.0.0:8080)", o->listen);
	snprintf(s.dbwal, sizeof s.dbwal, "%s-wal", o->db_path);
	if (!(s.gen = gen_load(o->config_path, 1)))
		return -1;
	if (!s.gen->auth.n && !loopback) {
		error("--listen %s is not a loopback address and no server.tokens are configured: refusing to serve "
		      "the ledger to the network without authentication (docs/server.md)", o->listen);
		gen_unref(s.gen);
		return -1;
	}
	err_sink = srv_sink;
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	s.base = event_base_new();
	s.http = s.base ? evhttp_new(s.base) : NULL;
	if (!s.http) {
		error("serve: cannot start the event loop");
		goto out;
	}
	evhttp_set_max_headers_size(s.http, 16384);
	evhttp_set_max_body_size(s.http, 4096);
	evhttp_set_timeout(s.http, 30);
	evhttp_set_allowed_methods(s.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(s.http, on_request, &s);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s.http, host, (ev_uint16_t)port);
	if (!bs) {
		error("--listen %s: cannot listen: %s", o->listen, strerror(errno));
		goto out;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
							((struct sockaddr_in *)&ss)->sin_port);
	cache_init(&s.cache, o->cache_bytes ? o->cache_bytes : 1);
	{
		FILE *f = open_memstream(&s.openapi, &s.openapi_len);
		if (!f)
			abort();
		api_openapi(f, VERSION);
		fclose(f);
	}
	pthread_mutex_init(&s.qlock, NULL);
	pthread_cond_init(&s.qcond, NULL);
	pthread_mutex_init(&s.dlock, NULL);
	pthread_mutex_init(&s.slock, NULL);
	s.done_ev = event_new(s.base, -1, 0, on_done, &s);
	sigint = evsignal_new(s.base, SIGINT, on_signal, &s);
	sigterm = evsignal_new(s.base, SIGTERM, on_signal, &s);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	s.w = xcalloc((size_t)s.o.workers, sizeof *s.w);
	for (int i = 0; i < s.o.workers; i++) {
		s.w[i].srv = &s;
		if (pthread_create(&s.w[i].th, NULL, worker_main, &s.w[i]) != 0) {
			error("serve: cannot start worker threads");
			s.stop = 1;
			break;
		}
		s.nw++;
	}
	if (!s.stop) {
		char url[320];
		int v6 = strchr(host, ':') != NULL;
		snprintf(url, sizeof url, "http://%s%s%s:%u/", v6 ? "[" : "", host, v6 ? "]" : "", port);
		fprintf(stderr, "aicost serve: listening on %s (%d workers, %s, ledger %s)\n", url, s.o.workers,
			s.gen->auth.n ? "token auth" : "no auth: loopback only", o->db_path);
		if (o->ready_file) {
			FILE *f = fopen(o->ready_file, "w");
			if (f) {
				fprintf(f, "%s\n", url);
				fclose(f);
			}
		}
		event_base_dispatch(s.base);
		rc = 0;
	}
	pthread_mutex_lock(&s.qlock);
	s.stop = 1;
	pthread_cond_broadcast(&s.qcond);
	pthread_mutex_unlock(&s.qlock);
	for (int i = 0; i < s.nw; i++)
		pthread_join(s.w[i].th, NULL);
	/* Requests still waiting get a 503 (evhttp frees them, or their connections below). */
	for (size_t i = 0; i < s.cache.nb; i++)
		for (struct centry *e = s.cache.b[i]; e; e = e->hnext)
			for (struct waiter *w = e->waiters, *nx; w; w = nx) {
				nx = w->next;
				send_error(&s, w->req, 503, "the server is stopping", &w->t0, w->who);
				free(w);
			}
	/* Work nobody will answer: queued, or finished after the loop stopped. */
	for (struct job *j = s.qhead, *nx; j; j = nx) {
		nx = j->next;
		job_free(j);
	}
	for (struct job *j = s.done, *nx; j; j = nx) {
		nx = j->next;
		job_free(j);
	}
	cache_release(&s.cache);
	if (s.vst)
		s.vst->ops->close(s.vst);
	pthread_mutex_destroy(&s.qlock);
	pthread_cond_destroy(&s.qcond);
	pthread_mutex_destroy(&s.dlock);
	snap_unref(s.snap);
	pthread_mutex_destroy(&s.slock);
	free(s.w);
	free(s.openapi);
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (s.done_ev)
		event_free(s.done_ev);
	if (s.http)
		evhttp_free(s.http);
	if (s.base)
		event_base_free(s.base);
	err_sink = NULL;
	gen_unref(s.gen);
	return rc;
}
