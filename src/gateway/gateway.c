/*
 * gateway.c - start, run and stop the gateway; see gateway.h.
 *
 * Start: catalog -> config -> spool (crash leftovers sealed) -> replay into
 * the ledger -> budget spend of the current periods from the ledger ->
 * caches -> shared state (Redis, when configured: up to 2 s for the first
 * connection) -> listen -> loop. Stop (SIGINT/SIGTERM): stop accepting, give
 * in-flight requests up to 30 s, close the rest (each is metered for what
 * was delivered), seal and ingest the spool.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/listener.h>
#include "core/config.h"
#include "core/prices.h"
#include "core/report.h"
#include "gateway/cache.h"
#include "gateway/gateway.h"
#include "gateway/gw.h"
#include "gateway/spool.h"
#include "gateway/state.h"
#include "store/store.h"
#include "util/err.h"

int server_port(struct gw *g);

#define GRACE_S 30.0

static double stop_at;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct gw *g = arg;
	double now = gw_mono();
	(void)fd;
	(void)what;
	if (g->spool)
		spool_tick(g->spool, now);
	uint64_t ms = (uint64_t)gw_wall_ms();
	if (g->cache)
		gw_cache_sweep(g->cache, ms, 256);
	if (g->sem)
		gw_sem_sweep(g->sem, ms, 256);
	if (g->sem_up)
		gw_sem_sweep(g->sem_up, ms, 256);
	if (g->stopping && (g->m.inflight == 0 || now >= stop_at))
		event_base_loopbreak(g->base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct gw *g = arg;
	(void)what;
	if (g->stopping) {
		/* A second signal: stop now. */
		event_base_loopbreak(g->base);
		return;
	}
	warning("gateway: %s: finishing %" PRIu64 " request(s) in flight, then stopping",
		sig == SIGINT ? "SIGINT" : "SIGTERM", g->m.inflight);
	g->stopping = 1;
	stop_at = gw_mono() + GRACE_S;
	if (g->lis)
		evconnlistener_disable(g->lis);
}

/*
 * The event loop. With gateway.busy_poll, while the gateway has had client
 * or upstream I/O in the last busy_poll seconds, the loop polls for events
 * without sleeping: under load its thread keeps a core instead of sleeping
 * between events, so neither a client's request nor an upstream's answer
 * has to wake it (on virtual machines, waking a sleeping vCPU costs tens of
 * microseconds, about half the gateway's own work on a request). Each turn
 * first yields the CPU, so a process the scheduler put on the same CPU (a
 * local upstream, the client) runs at once. Costs: up to one core while
 * traffic flows, nothing when idle. Off by default (docs/gateway.md,
 * "Performance").
 */
static void run_loop(struct gw *g)
{
	double busy = g->conf->busy_poll_s;
	if (busy <= 0) {
		event_base_dispatch(g->base);
		return;
	}
	for (;;) {
		double last = g->last_io > up_last_io(g->up) ? g->last_io : up_last_io(g->up);
		int spin = gw_mono() - last < busy;
		if (spin)
			sched_yield();
		if (event_base_loop(g->base, spin ? EVLOOP_ONCE | EVLOOP_NONBLOCK : EVLOOP_ONCE) < 0)
			break;
		if (event_base_got_break(g->base) || event_base_got_exit(g->base))
			break;
	}
}

/* ---- budget spend from the ledger ---------------------------------------------------------------- */

struct spent_ctx {
	struct gw *g;
	const char *dim;             /* "tag:virtual_key" | "tag:team" */
	enum gw_period period;
	int64_t start;
};

static void add_spent(struct gw_account *a, enum gw_period p, int64_t start, money_t cost)
{
	for (size_t i = 0; a && i < a->nbudgets; i++) {
		struct gw_budget *b = &a->budgets[i];
		if (b->period != p)
			continue;
		if (b->period_start != start) {
			b->period_start = start;
			b->spent = 0;
		}
		b->spent += cost;
	}
}

static int load_spent(struct gw *g, struct store *st)
{
	int64_t day = gw_wall_ms() / 86400000;
	for (int p = 0; p < 4; p++) {
		int used = 0;
		for (size_t i = 0; i < g->conf->nkeys && !used; i++)
			for (size_t k = 0; k < g->conf->keys[i].acct.nbudgets; k++)
				used |= g->conf->keys[i].acct.budgets[k].period == (enum gw_period)p;
		for (size_t i = 0; i < g->conf->nteams && !used; i++)
			for (size_t k = 0; k < g->conf->teams[i].nbudgets; k++)
				used |= g->conf->teams[i].budgets[k].period == (enum gw_period)p;
		if (!used)
			continue;
		int64_t start = gw_period_start((enum gw_period)p, day);
		for (int which = 0; which < 2; which++) {
			const char *by[1] = { which ? "tag:team" : "tag:virtual_key" };
			struct report_query q = {
				.by = by, .nby = 1, .amount = FA_EFFECTIVE, .no_shared = 1,
				.from_day = p == GPER_TOTAL ? INT64_MIN : start, .to_day = INT64_MAX,
			};
			struct report_result res;
			if (report_run(st, g->cfg, &q, &res) < 0)
				return -1;
			for (size_t r = 0; r < res.nrows; r++) {
				const char *v = res.rows[r].vals[0];
				if (!v || !*v)
					continue;
				if (which) {
					add_spent(gwconf_team(g->conf, v), (enum gw_period)p, start, res.rows[r].cost);
				} else {
					for (size_t i = 0; i < g->conf->nkeys; i++)
						if (!strcmp(g->conf->keys[i].name, v))
							add_spent(&g->conf->keys[i].acct, (enum gw_period)p, start, res.rows[r].cost);
				}
			}
			report_release(&res);
		}
	}
	/* Budgets with nothing spent yet start in the current period. */
	for (size_t i = 0; i < g->conf->nkeys; i++)
		for (size_t k = 0; k < g->conf->keys[i].acct.nbudgets; k++) {
			struct gw_budget *b = &g->conf->keys[i].acct.budgets[k];
			if (b->period_start == INT64_MIN)
				b->period_start = gw_period_start(b->period, day);
		}
	for (size_t i = 0; i < g->conf->nteams; i++)
		for (size_t k = 0; k < g->conf->teams[i].nbudgets; k++) {
			struct gw_budget *b = &g->conf->teams[i].budgets[k];
			if (b->period_start == INT64_MIN)
				b->period_start = gw_period_start(b->period, day);
		}
	return 0;
}

/* ---- run ------------------------------------------------------------------------------------------ */

int gateway_run(const struct config *cfg, const struct gateway_opts *o)
{
	struct gw g;
	struct gw_conf conf;
	struct price_catalog *cat = NULL;
	int rc = -1;
	memset(&g, 0, sizeof g);
	memset(&conf, 0, sizeof conf);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error("gateway: libcurl failed to initialize");
	cat = prices_open(cfg);
	if (!cat)
		goto out;
	if (gwconf_load(cfg, cat, &conf) < 0)
		goto out;
	g.cfg = cfg;
	g.conf = &conf;
	g.cat = cat;
	g.db_path = conf.ledger ? o->db_path : NULL;

	struct gw_spool_opts so = {
		.dir = conf.spool_dir, .fsync_interval_s = conf.fsync_interval_s, .fsync_records = conf.fsync_records,
		.segment_s = conf.segment_s, .segment_records = conf.segment_records, .archive_dir = conf.request_log_dir,
		.db_path = g.db_path, .cat = cat, .detail_only = conf.detail_only,
	};
	g.spool = spool_open(&so);
	if (!g.spool || spool_replay(g.spool) < 0)
		goto out;
	if (g.db_path) {
		struct store *st = store_open(g.db_path, 1);
		if (!st)
			goto out;
		int lr = load_spent(&g, st);
		st->ops->close(st);
		if (lr < 0)
			goto out;
	}

	if (conf.cache_exact || conf.cache_semantic != 0) {
		struct gw_cache_limits lim = GW_CACHE_LIMITS_DEFAULT;
		lim.max_bytes = conf.cache_max_bytes;
		lim.max_entries = conf.cache_max_entries;
		lim.ttl_ms = (uint64_t)(conf.cache_ttl_s * 1000);
		g.cache = gw_cache_new(&lim);
		if (conf.cache_semantic != 0)
			g.sem = gw_sem_new(EMBED_DIM, &lim);
	}
	for (size_t i = 0; i < conf.rt.nroutes && (!g.cache || !g.sem); i++) {
		struct gw_cache_limits lim = GW_CACHE_LIMITS_DEFAULT;
		lim.max_bytes = conf.cache_max_bytes;
		lim.max_entries = conf.cache_max_entries;
		lim.ttl_ms = (uint64_t)(conf.cache_ttl_s * 1000);
		if (conf.rt.routes[i].cache_exact == 1 && !g.cache)
			g.cache = gw_cache_new(&lim);
		if (conf.rt.routes[i].cache_semantic != 0 && conf.rt.routes[i].cache_semantic != -1 && !g.sem)
			g.sem = gw_sem_new(EMBED_DIM, &lim);
		if (g.sem && !g.cache)
			g.cache = gw_cache_new(&lim);
	}

	g.base = event_base_new();
	if (!g.base) {
		error("gateway: cannot create the event loop");
		goto out;
	}
	g.up = up_new(g.base, 4096);
	if (!g.up)
		goto out;
	g.alerts = alerts_start();
	if (conf.shared) {
		g.state = state_new(g.base, &conf);
		state_wait_ready(g.state, 2.0);
	}
	snprintf(g.boot, sizeof g.boot, "%" PRIx64, (uint64_t)gw_wall_ms());
	if (server_listen(&g, o->listen ? o->listen : conf.listen) < 0)
		goto out;
	if (spool_start(g.spool, gw_mono()) < 0)
		goto out;
	event_assign(&g.tick, g.base, -1, EV_PERSIST, on_tick, &g);
	struct timeval tv = { 0, 100000 };
	event_add(&g.tick, &tv);
	evsignal_assign(&g.sig_int, g.base, SIGINT, on_signal, &g);
	evsignal_assign(&g.sig_term, g.base, SIGTERM, on_signal, &g);
	evsignal_add(&g.sig_int, NULL);
	evsignal_add(&g.sig_term, NULL);

	const char *la = o->listen ? o->listen : conf.listen;
	char host[256];
	const char *colon = strrchr(la, ':');
	snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - la) : (int)strlen(la), la);
	printf("listening %s:%d\n", host, server_port(&g));
	fflush(stdout);
	if (o->ready_file) {
		FILE *f = fopen(o->ready_file, "w");
		if (f) {
			fprintf(f, "%s:%d\n", host, server_port(&g));
			fclose(f);
		}
	}
	run_loop(&g);
	rc = 0;
out:
	g.stopping = 1;
	if (g.base) {
		server_close_all(&g);
		if (event_initialized(&g.tick))
			event_del(&g.tick);
		if (event_initialized(&g.sig_int)) {
			event_del(&g.sig_int);
			event_del(&g.sig_term);
		}
		/* Run the deferred frees of closed connections. */
		event_base_loop(g.base, EVLOOP_NONBLOCK);
	}
	/* The last settlements go to Redis before the loop is gone (reservations left behind expire with their lease). */
	state_free(g.state, 2.0);
	spool_close(g.spool);
	proxy_free_pool(&g);
	up_free(g.up);
	alerts_stop(g.alerts);
	gw_cache_free(g.cache);
	gw_sem_free(g.sem);
	gw_sem_free(g.sem_up);
	if (g.base)
		event_base_free(g.base);
	gwconf_release(&conf);
	prices_free(cat);
	curl_global_cleanup();
	return rc;
}
