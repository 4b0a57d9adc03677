/*
 * state.c - budgets and rate limits shared through Redis; see state.h and
 * docs/gateway-redis.md.
 *
 * Chapters: units and key names, operations (argument building, sending,
 * replies, the timeout), the connection (connect, handshake, drop,
 * backoff), admission, settlement, seeding and renewal, metrics, start
 * and stop.
 *
 * One hiredis async connection on the gateway's event loop. Replies come
 * in the order of the commands, so the oldest operation sent is the first
 * that can time out: one timer watches it, and a timeout drops the
 * connection (every operation in flight then fails through its callback)
 * and reconnects with backoff. Settlements that could not be delivered
 * wait in a queue and are sent again after the reconnect; each carries an
 * id that Redis remembers for one lease, so a settlement that did run
 * before the connection broke is not counted twice.
 *
 * Ownership: struct gw_state owns its operations, the queue, the
 * reservations in flight (st_res) and the sh_* strings it sets on the
 * config's accounts, budgets and rate limits.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include "formats/focus.h"
#include "gateway/gwconfig.h"
#include "gateway/metrics.h"
#include "gateway/state.h"
#include "gateway/state_int.h"
#include "util/err.h"

#define UNITS_MAX ((int64_t)1 << 50)     /* a limit stays below this many units: Lua's doubles are exact to 2^53 */
#define AMOUNT_MAX ((int64_t)1 << 52)    /* larger reservations are clamped (they exceed every limit anyway) */
#define QUEUE_MAX 100000                 /* settlements waiting for the connection */
#define BACKOFF_MIN 0.05
#define BACKOFF_MAX 2.0
#define RATE_KEY_TTL 86400

enum op_kind { OP_HANDSHAKE, OP_ADMIT, OP_SETTLE, OP_SEED, OP_RENEW };

struct st_op {
	struct gw_state *s;
	struct st_op *prev, *next;   /* in s->sent (awaiting its reply) or s->queue (waiting for the connection) */
	enum op_kind kind;
	int script;                  /* SC_*, or -1 for a plain command */
	int evalled;                 /* sent again as EVAL after NOSCRIPT */
	int last;                    /* the handshake's last command */
	int loads;                   /* handshake: the SC_* script this SCRIPT LOAD loads, or -1 */
	int queued;                  /* in s->queue (its amounts count in the budgets' sh_pending) */
	double deadline;             /* monotonic seconds */
	double t_sent;
	/* arguments: NUL-separated in buf (the first two slots of argv are set when sending a script) */
	char *buf;
	size_t len, cap;
	size_t *off;
	int argc, acap;
	/* admission */
	struct gw_admit *a;          /* NULL once its request went away */
	state_admit_cb cb;
	void *cb_arg;
	struct gw_account *acct[GW_MAX_ACCOUNTS];
	int n, has_b, has_r;
	int64_t day;
	uint64_t tokens;
	const char *tag;
	char id[48];
	/* settlement: the budgets charged, in script order */
	struct gw_account *bacct[GW_MAX_ACCOUNTS * 4];
	struct gw_budget *bb[GW_MAX_ACCOUNTS * 4];
	money_t bamt[GW_MAX_ACCOUNTS * 4];
	int nb;
	gw_soft_hook hook;
	void *hook_arg;
};

struct st_res {
	struct st_res *prev, *next;  /* s->live */
	const char *tag;             /* the accounts' hash tag (config-owned) */
	char id[48];
};

struct gw_state {
	struct event_base *base;
	struct gw_conf *conf;
	const struct gw_shared *sh;
	redisAsyncContext *ac;
	int ready;                   /* connected, handshake done */
	int hs_failed;               /* a handshake command of this connection was refused */
	int stopping;
	int ever_up;
	double backoff;
	struct event *retry_ev, *timeout_ev, *renew_ev;
	char sha[SC__N][41];
	char inst[20];               /* this instance's id prefix */
	uint64_t seq;
	struct st_op *sent_head, *sent_tail;
	struct st_op *q_head, *q_tail;
	size_t nq, nsent;
	struct st_res *live;
	size_t nlive;
	/* metrics */
	uint64_t errors, timeouts, disconnects, connects, dropped;
	uint64_t open_budget, open_rate, closed_budget, closed_rate;
	struct gw_hist lat;
	double warned;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t today(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t s = (int64_t)ts.tv_sec;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* Warnings about Redis trouble: at most one every 10 s (a dead Redis would fail every request). */
static void warn(struct gw_state *s, const char *fmt, ...) AICOST_PRINTF(2, 3);
static void warn(struct gw_state *s, const char *fmt, ...)
{
	double now = mono();
	if (s->warned && now - s->warned < 10)
		return;
	s->warned = now;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	warning("gateway: shared state (Redis %s:%d): %s", s->sh->host, s->sh->port, msg);
}

/* ---- units and key names --------------------------------------------------------------------- */

static money_t scale_of(int e)
{
	money_t sc = 1;
	for (int i = 0; i < 18 - e; i++)
		sc *= 10;
	return sc;
}

int64_t state_units_up(money_t m, int e)
{
	if (m <= 0)
		return 0;
	money_t sc = scale_of(e), u = m / sc + (m % sc != 0);
	return u > AMOUNT_MAX ? AMOUNT_MAX : (int64_t)u;
}

int64_t state_units_down(money_t m, int e)
{
	if (m <= 0)
		return 0;
	money_t u = m / scale_of(e);
	return u > AMOUNT_MAX ? AMOUNT_MAX : (int64_t)u;
}

int state_unit_exp(money_t limit)
{
	for (int e = 9; e >= 0; e--)
		if (limit / scale_of(e) <= UNITS_MAX)
			return e;
	return -1;
}

static money_t units_money(int64_t u, int e)
{
	return (money_t)u * scale_of(e);
}

/* Budget hashes expire a while after their period could last matter (a total budget never does). */
static int64_t budget_ttl(enum gw_period p)
{
	switch (p) {
	case GPER_DAY: return 3 * 86400;
	case GPER_WEEK: return 15 * 86400;
	case GPER_MONTH: return 63 * 86400;
	case GPER_TOTAL: return 0;
	}
	return 0;
}

static char *key_of(const char *tag, const char *what, const struct gw_account *a, const char *suffix)
{
	size_t n = strlen(tag) + strlen(a->kind) + strlen(a->name) + strlen(suffix) + 48;
	char *k = xmalloc(n);
	/* Names are length-prefixed: any text is a valid account name, and no two keys can collide. */
	snprintf(k, n, "%s:%s:%s:%zu:%s%s", tag, what, a->kind, strlen(a->name), a->name, suffix);
	return k;
}

static char *tag_of(const char *prefix, const char *t, const char *name)
{
	size_t n = strlen(prefix) + strlen(name) + 32;
	char *k = xmalloc(n);
	snprintf(k, n, "{%s:%s:%zu:%s}", prefix, t, strlen(name), name);
	return k;
}

static void name_account(struct gw_state *s, struct gw_account *a, const char *tag)
{
	a->sh_tag = xstrdup(tag);
	if (a->rate.rpm || a->rate.tpm || a->rate.parallel)
		a->rate.sh_key = key_of(tag, "r", a, "");
	for (size_t i = 0; i < a->nbudgets; i++) {
		struct gw_budget *b = &a->budgets[i];
		char sfx[32];
		b->sh_exp = state_unit_exp(b->limit);
		if (b->sh_exp < 0)
			b->sh_exp = 0;   /* gwconfig refuses such limits */
		b->sh_limit = state_units_down(b->limit, b->sh_exp);
		b->sh_used_start = b->sh_seen_start = INT64_MIN;
		/* The unit is in the name: instances with another limit (a rolling config change) never mix units. */
		snprintf(sfx, sizeof sfx, ":%s:e%d", gw_period_name(b->period), b->sh_exp);
		b->sh_key = key_of(tag, "b", a, sfx);
	}
	(void)s;
}

static void unname_account(struct gw_account *a)
{
	free(a->sh_tag);
	a->sh_tag = NULL;
	free(a->rate.sh_key);
	a->rate.sh_key = NULL;
	for (size_t i = 0; i < a->nbudgets; i++) {
		free(a->budgets[i].sh_key);
		a->budgets[i].sh_key = NULL;
	}
}

/* ---- operations ------------------------------------------------------------------------------ */

static void on_reply(redisAsyncContext *ac, void *r, void *priv);

static struct st_op *op_new(struct gw_state *s, enum op_kind kind, int script)
{
	struct st_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->kind = kind;
	op->script = script;
	op->loads = -1;
	return op;
}

static void op_free(struct st_op *op)
{
	free(op->buf);
	free(op->off);
	free(op);
}

static void arg(struct st_op *op, const char *p, size_t n)
{
	if (op->len + n + 1 > op->cap) {
		size_t cap = op->cap ? op->cap * 2 : 512;
		while (cap < op->len + n + 1)
			cap *= 2;
		op->buf = xrealloc(op->buf, cap);
		op->cap = cap;
	}
	if (op->argc == op->acap) {
		op->acap = op->acap ? op->acap * 2 : 16;
		op->off = xrealloc(op->off, (size_t)op->acap * sizeof *op->off);
	}
	op->off[op->argc++] = op->len;
	memcpy(op->buf + op->len, p, n);
	op->len += n;
	op->buf[op->len++] = 0;
}

static void args(struct st_op *op, const char *s)
{
	arg(op, s, strlen(s));
}

static void argi(struct st_op *op, int64_t v)
{
	char t[24];
	arg(op, t, (size_t)snprintf(t, sizeof t, "%" PRId64, v));
}

static void link_tail(struct st_op **head, struct st_op **tail, struct st_op *op)
{
	op->next = NULL;
	op->prev = *tail;
	if (*tail)
		(*tail)->next = op;
	else
		*head = op;
	*tail = op;
}

static void unlink_op(struct st_op **head, struct st_op **tail, struct st_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		*head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		*tail = op->prev;
	op->prev = op->next = NULL;
}

static void arm_timeout(struct gw_state *s)
{
	if (!s->sent_head || evtimer_pending(s->timeout_ev, NULL))
		return;
	double left = s->sent_head->deadline - mono();
	if (left < 0.0005)
		left = 0.0005;
	struct timeval tv = { (time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6) };
	evtimer_add(s->timeout_ev, &tv);
}

/* Send op on the connection. 0 sent (the reply comes through on_reply), -1 not (op is the caller's). */
static int op_send(struct gw_state *s, struct st_op *op)
{
	if (!s->ac || (!s->ready && op->kind != OP_HANDSHAKE))
		return -1;
	int base = op->script >= 0 ? 2 : 0, argc = op->argc + base;
	const char *argv[argc];
	size_t argl[argc];
	if (op->script >= 0) {
		argv[0] = op->evalled ? "EVAL" : "EVALSHA";
		argv[1] = op->evalled ? state_lua[op->script] : s->sha[op->script];
		argl[0] = strlen(argv[0]);
		argl[1] = strlen(argv[1]);
	}
	for (int i = 0; i < op->argc; i++) {
		argv[base + i] = op->buf + op->off[i];
		argl[base + i] = (i + 1 < op->argc ? op->off[i + 1] : op->len) - op->off[i] - 1;
	}
	if (redisAsyncCommandArgv(s->ac, on_reply, op, argc, argv, argl) != REDIS_OK)
		return -1;
	double now = mono();
	op->t_sent = now;
	op->deadline = now + (op->kind == OP_HANDSHAKE && s->sh->timeout_s < 2 ? 2 : s->sh->timeout_s);
	link_tail(&s->sent_head, &s->sent_tail, op);
	s->nsent++;
	arm_timeout(s);
	return 0;
}

static void pending_add(struct st_op *op, int sign)
{
	for (int i = 0; i < op->nb; i++)
		op->bb[i]->sh_pending += sign * op->bamt[i];
}

/* A settlement that cannot go now waits for the connection (bounded). */
static void enqueue(struct gw_state *s, struct st_op *op)
{
	if (s->nq >= QUEUE_MAX || s->stopping) {
		s->dropped++;
		warn(s, "%zu settlements are waiting for Redis: dropping one (its spend is in the ledger, not in Redis)",
		     s->nq);
		op_free(op);
		return;
	}
	op->queued = 1;
	pending_add(op, 1);
	link_tail(&s->q_head, &s->q_tail, op);
	s->nq++;
}

/* Send now, or queue (settlements) when the connection is not up. */
static void send_or_queue(struct gw_state *s, struct st_op *op)
{
	if (op_send(s, op) == 0)
		return;
	if (op->kind == OP_SETTLE)
		enqueue(s, op);
	else
		op_free(op);
}

static void flush_queue(struct gw_state *s)
{
	while (s->q_head && s->ready) {
		struct st_op *op = s->q_head;
		unlink_op(&s->q_head, &s->q_tail, op);
		s->nq--;
		op->queued = 0;
		pending_add(op, -1);
		if (op_send(s, op) < 0) {
			enqueue(s, op);
			break;
		}
	}
}

static void admit_reply(struct gw_state *s, struct st_op *op, redisReply *r);
static void settle_reply(struct gw_state *s, struct st_op *op, redisReply *r);
static void handshake_reply(struct gw_state *s, struct st_op *op, redisReply *r);

static void on_reply(redisAsyncContext *ac, void *rp, void *priv)
{
	struct st_op *op = priv;
	struct gw_state *s = op->s;
	redisReply *r = rp;
	(void)ac;
	unlink_op(&s->sent_head, &s->sent_tail, op);
	s->nsent--;
	if (!r) {
		/* The connection is going away: nothing more is sent on it. */
		s->ready = 0;
	} else {
		hist_add(&s->lat, mono() - op->t_sent);
		if (r->type == REDIS_REPLY_ERROR && op->script >= 0 && !op->evalled && !strncmp(r->str, "NOSCRIPT", 8)) {
			/* The script cache was flushed (or this is another server): send the script itself. */
			op->evalled = 1;
			if (op_send(s, op) == 0)
				return;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			s->errors++;
			warn(s, "%s: %.200s", op->kind == OP_HANDSHAKE ? "connection setup failed" : "script failed", r->str);
		}
	}
	switch (op->kind) {
	case OP_HANDSHAKE:
		handshake_reply(s, op, r);
		break;
	case OP_ADMIT:
		admit_reply(s, op, r);
		break;
	case OP_SETTLE:
		settle_reply(s, op, r);
		break;
	case OP_SEED:
	case OP_RENEW:
		op_free(op);
		break;
	}
}

/* ---- the connection ------------------------------------------------------------------------------ */

static void schedule_retry(struct gw_state *s)
{
	if (s->stopping || evtimer_pending(s->retry_ev, NULL))
		return;
	double d = s->backoff;
	s->backoff = s->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : s->backoff * 2;
	struct timeval tv = { (time_t)d, (suseconds_t)((d - (double)(time_t)d) * 1e6) };
	evtimer_add(s->retry_ev, &tv);
}

/* Drop the connection now (never from inside a hiredis callback): every operation in flight fails. */
static void drop(struct gw_state *s)
{
	redisAsyncContext *ac = s->ac;
	if (!ac)
		return;
	s->ready = 0;
	redisAsyncFree(ac);
	if (s->ac == ac) {
		/* Not connected yet: hiredis called no disconnect callback. */
		s->ac = NULL;
		s->disconnects++;
	}
	schedule_retry(s);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct gw_state *s = ac->data;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this returns. */
		if (s->ac == ac)
			s->ac = NULL;
		s->ready = 0;
		s->disconnects++;
		warn(s, "cannot connect: %s", ac->errstr[0] ? ac->errstr : "connection refused");
		schedule_retry(s);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct gw_state *s = ac->data;
	if (s->ac == ac)
		s->ac = NULL;
	s->ready = 0;
	s->disconnects++;
	if (!s->stopping)
		warn(s, "connection lost%s%s: budgets fail %s, rate limits fail %s until it is back",
		     status != REDIS_OK && ac->errstr[0] ? ": " : "", status != REDIS_OK ? ac->errstr : "",
		     s->sh->budgets_open ? "open" : "closed", s->sh->rates_closed ? "closed" : "open");
	schedule_retry(s);
}

static void seed_all(struct gw_state *s);
static void on_renew(evutil_socket_t fd, short what, void *arg);

static void handshake_reply(struct gw_state *s, struct st_op *op, redisReply *r)
{
	if (r && op->loads >= 0 && r->type == REDIS_REPLY_STRING && r->len == 40)
		memcpy(s->sha[op->loads], r->str, 41);
	if (r && r->type == REDIS_REPLY_ERROR && s->ac) {
		/* AUTH, SELECT or SCRIPT LOAD refused: close (after the replies in flight) and try again later. */
		s->ready = 0;
		s->hs_failed = 1;
		redisAsyncDisconnect(s->ac);
	} else if (r && op->last && s->ac && !s->hs_failed) {
		s->ready = 1;
		s->backoff = BACKOFF_MIN;
		s->connects++;
		if (s->ever_up)
			warning("gateway: shared state (Redis %s:%d): connected again", s->sh->host, s->sh->port);
		s->ever_up = 1;
		s->warned = 0;
		/* Raise the periods' spend to this instance's view (Redis may have lost it), then the waiting settlements. */
		seed_all(s);
		flush_queue(s);
	}
	op_free(op);
}

static void connect_now(struct gw_state *s)
{
	const struct gw_shared *sh = s->sh;
	redisAsyncContext *ac = redisAsyncConnect(sh->host, sh->port);
	if (!ac) {
		schedule_retry(s);
		return;
	}
	if (ac->err) {
		warn(s, "cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		s->disconnects++;
		schedule_retry(s);
		return;
	}
	ac->data = s;
	if (redisLibeventAttach(ac, s->base) != REDIS_OK) {
		redisAsyncFree(ac);
		schedule_retry(s);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	s->ac = ac;
	s->hs_failed = 0;
	/* The handshake is queued at once; hiredis writes it when the connection is up. */
	struct st_op *ops[2 + SC__N];
	int n = 0;
	if (sh->password) {
		struct st_op *op = ops[n++] = op_new(s, OP_HANDSHAKE, -1);
		args(op, "AUTH");
		if (sh->user)
			args(op, sh->user);
		args(op, sh->password);
	}
	if (sh->db) {
		struct st_op *op = ops[n++] = op_new(s, OP_HANDSHAKE, -1);
		args(op, "SELECT");
		argi(op, sh->db);
	}
	for (int i = 0; i < SC__N; i++) {
		struct st_op *op = ops[n++] = op_new(s, OP_HANDSHAKE, -1);
		args(op, "SCRIPT");
		args(op, "LOAD");
		args(op, state_lua[i]);
		op->loads = i;
	}
	ops[n - 1]->last = 1;
	for (int i = 0; i < n; i++)
		if (op_send(s, ops[i]) < 0) {
			for (int j = i; j < n; j++)
				op_free(ops[j]);
			drop(s);
			return;
		}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct gw_state *s = arg;
	(void)fd;
	(void)what;
	if (!s->ac && !s->stopping)
		connect_now(s);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct gw_state *s = arg;
	(void)fd;
	(void)what;
	if (!s->sent_head)
		return;
	if (mono() >= s->sent_head->deadline) {
		s->timeouts++;
		warn(s, "no answer within %.0f ms: reconnecting (budgets fail %s, rate limits fail %s meanwhile)",
		     s->sh->timeout_s * 1000, s->sh->budgets_open ? "open" : "closed", s->sh->rates_closed ? "closed" : "open");
		drop(s);
		return;
	}
	arm_timeout(s);
}

/* ---- admission ------------------------------------------------------------------------------------- */

static int fail_policy(struct gw_state *s, int has_b, int has_r, const struct gw_account *ac, struct gw_admit *a,
		       struct gw_refusal *why)
{
	const struct gw_shared *sh = s->sh;
	if ((has_b && !sh->budgets_open) || (has_r && sh->rates_closed)) {
		int b = has_b && !sh->budgets_open;
		if (b)
			s->closed_budget++;
		else
			s->closed_rate++;
		why->kind = GR_UNAVAILABLE;
		why->retry_after = 1;
		why->type = b ? "budget_unavailable" : "rate_limit_unavailable";
		snprintf(why->message, sizeof why->message,
			 "%s '%s': the shared %s state is unavailable and this gateway fails closed for %s (shared_state.on_failure)",
			 ac->kind, ac->name, b ? "budget" : "rate limit", b ? "budgets" : "rate limits");
		return -1;
	}
	if (has_b)
		s->open_budget++;
	else
		s->open_rate++;
	a->admitted = 1;
	a->fail_open = 1;
	return 0;
}

int state_admit(struct gw_state *s, struct gw_account *const *acct, int n, int64_t day, money_t max_cost,
		uint64_t tokens, struct gw_admit *a, struct gw_refusal *why, state_admit_cb cb, void *arg)
{
	memset(a, 0, sizeof *a);
	why->kind = GR_OK;
	why->retry_after = 0;
	why->message[0] = 0;
	why->type = NULL;
	a->st = s;
	a->reserved = max_cost;
	a->tokens_reserved = tokens;
	int has_b = 0, has_r = 0;
	const struct gw_account *first = NULL;
	for (int i = 0; i < n && a->n < GW_MAX_ACCOUNTS; i++) {
		struct gw_account *ac = acct[i];
		if (!ac)
			continue;
		a->acct[a->n++] = ac;
		int b = ac->nbudgets > 0, r = ac->rate.sh_key != NULL;
		if ((b || r) && !first)
			first = ac;
		has_b |= b;
		has_r |= r;
	}
	if (!has_b && !has_r) {
		/* Nothing to check anywhere: no round trip. */
		a->admitted = 1;
		return 0;
	}
	if (!s->ready)
		return fail_policy(s, has_b, has_r, first, a, why);
	struct st_op *op = op_new(s, OP_ADMIT, SC_ADMIT);
	const char *tag = a->acct[0]->sh_tag;
	op->tag = tag;
	op->day = day;
	op->tokens = tokens;
	op->has_b = has_b;
	op->has_r = has_r;
	snprintf(op->id, sizeof op->id, "%s-%" PRIx64, s->inst, ++s->seq);
	int nkeys = 2;
	for (int i = 0; i < a->n; i++)
		nkeys += (a->acct[i]->rate.sh_key != NULL) + (int)a->acct[i]->nbudgets;
	argi(op, nkeys);
	char k[600];
	snprintf(k, sizeof k, "%s:res", tag);
	args(op, k);
	snprintf(k, sizeof k, "%s:resx", tag);
	args(op, k);
	for (int i = 0; i < a->n; i++) {
		struct gw_account *ac = a->acct[i];
		if (ac->rate.sh_key)
			args(op, ac->rate.sh_key);
		for (size_t j = 0; j < ac->nbudgets; j++)
			args(op, ac->budgets[j].sh_key);
	}
	args(op, op->id);
	argi(op, (int64_t)(s->sh->lease_s * 1000));
	argi(op, tokens > (uint64_t)AMOUNT_MAX ? AMOUNT_MAX : (int64_t)tokens);
	argi(op, a->n);
	for (int i = 0; i < a->n; i++) {
		struct gw_account *ac = a->acct[i];
		op->acct[op->n++] = ac;
		if (ac->rate.sh_key) {
			args(op, "1");
			argi(op, ac->rate.rpm);
			argi(op, ac->rate.tpm);
			argi(op, ac->rate.parallel);
		} else {
			args(op, "0");
		}
		argi(op, (int64_t)ac->nbudgets);
		for (size_t j = 0; j < ac->nbudgets; j++) {
			struct gw_budget *b = &ac->budgets[j];
			argi(op, gw_period_start(b->period, day));
			argi(op, b->sh_limit);
			argi(op, state_units_up(max_cost, b->sh_exp));
			argi(op, budget_ttl(b->period));
		}
	}
	if (op_send(s, op) < 0) {
		op_free(op);
		return fail_policy(s, has_b, has_r, first, a, why);
	}
	op->a = a;
	op->cb = cb;
	op->cb_arg = arg;
	a->op = op;
	return 1;
}

static void settle_send(struct gw_state *s, struct gw_account *const *acct, int n, const char *tag, const char *id,
			int64_t day, money_t cost, uint64_t tokens, gw_soft_hook hook, void *hook_arg);

static void admit_reply(struct gw_state *s, struct st_op *op, redisReply *r)
{
	struct gw_admit *a = op->a;
	int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_INTEGER;
	if (r && r->type != REDIS_REPLY_ERROR && !ok) {
		s->errors++;
		warn(s, "unexpected reply to the admission script");
	}
	if (!a) {
		/* Its request went away while waiting: give back what was taken (nothing was spent). */
		if (ok && r->element[0]->integer == 2)
			settle_send(s, op->acct, 0, op->tag, op->id, op->day, 0, 0, NULL, NULL);
		op_free(op);
		return;
	}
	a->op = NULL;
	state_admit_cb cb = op->cb;
	void *arg = op->cb_arg;
	struct gw_refusal why = { .kind = GR_OK };
	if (!ok) {
		/* Unreachable, timed out or an error: the failure policy decides. The script may still have run: its
		 * reservation is then released when its lease runs out. */
		int rc = fail_policy(s, op->has_b, op->has_r, op->acct[0], a, &why);
		op_free(op);
		cb(arg, rc == 0, &why);
		return;
	}
	long long code = r->element[0]->integer;
	if (code == 0 && r->elements >= 5) {
		int kind = (int)r->element[1]->integer, ai = (int)r->element[2]->integer - 1;
		const struct gw_account *ac = ai >= 0 && ai < op->n ? op->acct[ai] : op->acct[0];
		const redisReply *what = r->element[3], *val = r->element[4];
		const char *v = val->type == REDIS_REPLY_STRING ? val->str : "0";
		if (kind == 1) {
			int bi = what->type == REDIS_REPLY_INTEGER ? (int)what->integer - 1 : 0;
			const struct gw_budget *b = &ac->budgets[bi >= 0 && (size_t)bi < ac->nbudgets ? bi : 0];
			char lim[MONEY_BUFSZ], used[MONEY_BUFSZ];
			money_format(b->limit, lim, 2, 6);
			money_format(units_money(strtoll(v, NULL, 10), b->sh_exp), used, 2, 6);
			why.kind = GR_BUDGET;
			why.retry_after = limits_budget_retry(b->period, op->day);
			snprintf(why.message, sizeof why.message,
				 "%s '%s': %s budget of $%s would be exceeded ($%s spent or reserved)", ac->kind, ac->name,
				 gw_period_name(b->period), lim, used);
		} else {
			char w = what->type == REDIS_REPLY_STRING && what->len ? what->str[0] : 'p';
			why.kind = GR_RATE;
			if (w == 'p') {
				why.retry_after = 1;
				snprintf(why.message, sizeof why.message, "%s '%s': %s requests in flight (parallel limit %u)",
					 ac->kind, ac->name, v, ac->rate.parallel);
			} else if (w == 'r') {
				why.retry_after = strtod(v, NULL);
				snprintf(why.message, sizeof why.message, "%s '%s': rate limit of %u requests per minute reached",
					 ac->kind, ac->name, ac->rate.rpm);
			} else {
				why.retry_after = strtod(v, NULL);
				snprintf(why.message, sizeof why.message,
					 "%s '%s': rate limit of %u tokens per minute reached (this request needs about %llu)",
					 ac->kind, ac->name, ac->rate.tpm, (unsigned long long)op->tokens);
			}
		}
		op_free(op);
		cb(arg, 0, &why);
		return;
	}
	/* Admitted: remember what Redis said of each budget (downgrades read it), and the reservation. */
	size_t e = 1;
	for (int i = 0; i < op->n; i++)
		for (size_t j = 0; j < op->acct[i]->nbudgets && e < r->elements; j++, e++) {
			struct gw_budget *b = &op->acct[i]->budgets[j];
			if (r->element[e]->type == REDIS_REPLY_STRING) {
				b->sh_used = strtoll(r->element[e]->str, NULL, 10);
				b->sh_used_start = gw_period_start(b->period, op->day);
			}
		}
	a->admitted = 1;
	if (code == 2) {
		struct st_res *res = xcalloc(1, sizeof *res);
		res->tag = op->tag;
		memcpy(res->id, op->id, sizeof res->id);
		res->next = s->live;
		if (s->live)
			s->live->prev = res;
		s->live = res;
		s->nlive++;
		a->res = res;
	}
	op_free(op);
	cb(arg, 1, NULL);
}

/* ---- settlement ----------------------------------------------------------------------------------------- */

/*
 * Release reservation `id` (when it exists) and add `cost` to the budgets
 * of acct[0..n) (n = 0: release only). Sent now or queued.
 */
static void settle_send(struct gw_state *s, struct gw_account *const *acct, int n, const char *tag, const char *id,
			int64_t day, money_t cost, uint64_t tokens, gw_soft_hook hook, void *hook_arg)
{
	struct st_op *op = op_new(s, OP_SETTLE, SC_SETTLE);
	char k[600];
	int nkeys = 2;
	op->hook = hook;
	op->hook_arg = hook_arg;
	op->day = day;
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < acct[i]->nbudgets && op->nb < (int)(sizeof op->bb / sizeof *op->bb); j++) {
			op->bacct[op->nb] = acct[i];
			op->bb[op->nb] = &acct[i]->budgets[j];
			op->bamt[op->nb++] = cost;
			nkeys++;
		}
	argi(op, nkeys);
	snprintf(k, sizeof k, "%s:res", tag);
	args(op, k);
	snprintf(k, sizeof k, "%s:resx", tag);
	args(op, k);
	for (int i = 0; i < op->nb; i++)
		args(op, op->bb[i]->sh_key);
	args(op, id);
	argi(op, (int64_t)(s->sh->lease_s * 1000));
	argi(op, tokens > (uint64_t)AMOUNT_MAX ? AMOUNT_MAX : (int64_t)tokens);
	for (int i = 0; i < op->nb; i++) {
		struct gw_budget *b = op->bb[i];
		money_t th = 0;
		argi(op, gw_period_start(b->period, day));
		argi(op, state_units_up(cost, b->sh_exp));
		if (b->soft && money_muldiv(b->limit, b->soft, MONEY_ONE, &th) == 0)
			argi(op, th > 0 ? (state_units_up(th, b->sh_exp) ? state_units_up(th, b->sh_exp) : 1) : 0);
		else
			args(op, "0");
		argi(op, budget_ttl(b->period));
	}
	send_or_queue(s, op);
}

static void settle_reply(struct gw_state *s, struct st_op *op, redisReply *r)
{
	if (!r) {
		/* The connection broke: send it again once it is back (the id makes a repeat a no-op). */
		enqueue(s, op);
		return;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 && r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[0]->integer == 1) {
		for (int i = 0; i < op->nb && (size_t)(2 + 2 * i) < r->elements; i++) {
			const redisReply *sp = r->element[1 + 2 * i], *f = r->element[2 + 2 * i];
			struct gw_budget *b = op->bb[i];
			if (sp->type == REDIS_REPLY_STRING) {
				/* The period's total spend of every instance: a lower bound this instance can seed again. */
				int64_t v = strtoll(sp->str, NULL, 10), st = gw_period_start(b->period, op->day);
				if (b->sh_seen_start != st || v > b->sh_seen) {
					b->sh_seen = v;
					b->sh_seen_start = st;
				}
			}
			if (f->type == REDIS_REPLY_INTEGER && f->integer == 1 && sp->type == REDIS_REPLY_STRING) {
				/* This instance's settlement crossed the soft limit first: it sends the alert, once. */
				op->bb[i]->soft_sent = 1;
				if (op->hook)
					op->hook(op->hook_arg, op->bacct[i], op->bb[i],
						 units_money(strtoll(sp->str, NULL, 10), op->bb[i]->sh_exp));
			}
		}
	} else if (r->type != REDIS_REPLY_ERROR && !(r->type == REDIS_REPLY_ARRAY && r->elements >= 1)) {
		s->errors++;
		warn(s, "unexpected reply to the settlement script");
	}
	op_free(op);
}

static void res_free(struct gw_state *s, struct st_res *res)
{
	if (res->prev)
		res->prev->next = res->next;
	else
		s->live = res->next;
	if (res->next)
		res->next->prev = res->prev;
	s->nlive--;
	free(res);
}

static int has_budgets(const struct gw_admit *a)
{
	for (int i = 0; i < a->n; i++)
		if (a->acct[i]->nbudgets)
			return 1;
	return 0;
}

void state_settle(struct gw_admit *a, int64_t day, money_t actual, uint64_t tokens, gw_soft_hook hook, void *hook_arg)
{
	struct gw_state *s = a->st;
	if (a->op) {
		/* Still waiting for admission: abandon it (the reply gives back whatever it took). */
		a->op->a = NULL;
		a->op = NULL;
		free(a->held);
		a->held = NULL;
		return;
	}
	if (!a->admitted)
		return;
	a->admitted = 0;
	for (int i = 0; i < a->n; i++)
		limits_local_spend(a->acct[i], day, actual);
	if (a->res) {
		settle_send(s, a->acct, a->n, a->res->tag, a->res->id, day, actual, tokens, hook, hook_arg);
		res_free(s, a->res);
		a->res = NULL;
	} else if (has_budgets(a)) {
		/* Admitted without a reservation (fail-open): the spend still counts, nothing is released. */
		char id[48];
		snprintf(id, sizeof id, "%s-%" PRIx64, s->inst, ++s->seq);
		settle_send(s, a->acct, a->n, a->acct[0]->sh_tag, id, day, actual, tokens, hook, hook_arg);
	}
}

void state_charge(struct gw_admit *a, int64_t day, money_t cost, gw_soft_hook hook, void *hook_arg)
{
	struct gw_state *s = a->st;
	if (!a->admitted || !has_budgets(a))
		return;
	for (int i = 0; i < a->n; i++)
		limits_local_spend(a->acct[i], day, cost);
	char id[48];
	snprintf(id, sizeof id, "%s-%" PRIx64, s->inst, ++s->seq);
	settle_send(s, a->acct, a->n, a->acct[0]->sh_tag, id, day, cost, 0, hook, hook_arg);
}

/* ---- seeding and renewal --------------------------------------------------------------------------------- */

static void seed_account(struct gw_state *s, struct gw_account *ac, int64_t day)
{
	struct st_op *op = op_new(s, OP_SEED, SC_SEED);
	int any = 0;
	argi(op, (int64_t)ac->nbudgets);
	for (size_t j = 0; j < ac->nbudgets; j++)
		args(op, ac->budgets[j].sh_key);
	for (size_t j = 0; j < ac->nbudgets; j++) {
		struct gw_budget *b = &ac->budgets[j];
		int64_t start = gw_period_start(b->period, day);
		/* This instance's view: the ledger at its start plus what it settled since, less what Redis has not seen. */
		int64_t mine = b->period_start == start ? state_units_down(b->spent - b->sh_pending, b->sh_exp) : 0;
		/* ... or the highest total Redis reported to it, whichever is more (both are lower bounds of the truth). */
		if (b->sh_seen_start == start && b->sh_seen > mine)
			mine = b->sh_seen;
		int sent = b->period_start == start && b->soft_sent;
		any |= mine > 0 || sent;
		argi(op, start);
		argi(op, mine);
		argi(op, budget_ttl(b->period));
		argi(op, sent);
	}
	if (any)
		send_or_queue(s, op);
	else
		op_free(op);
}

static void seed_all(struct gw_state *s)
{
	int64_t day = today();
	for (size_t i = 0; i < s->conf->nkeys; i++)
		if (s->conf->keys[i].acct.nbudgets)
			seed_account(s, &s->conf->keys[i].acct, day);
	for (size_t i = 0; i < s->conf->nteams; i++)
		if (s->conf->teams[i].nbudgets)
			seed_account(s, &s->conf->teams[i], day);
}

static void on_renew(evutil_socket_t fd, short what, void *arg)
{
	struct gw_state *s = arg;
	(void)fd;
	(void)what;
	if (!s->ready)
		return;
	/* One call per hash tag and batch of 100 reservations. */
	size_t n = s->nlive, k = 0;
	const char **ids = xcalloc(n ? n : 1, sizeof *ids);
	const char **tags = xcalloc(n ? n : 1, sizeof *tags);
	for (struct st_res *r = s->live; r; r = r->next, k++) {
		ids[k] = r->id;
		tags[k] = r->tag;
	}
	for (size_t i = 0; i < n; i++) {
		if (!tags[i])
			continue;
		const char *tag = tags[i];
		struct st_op *op = op_new(s, OP_RENEW, SC_RENEW);
		char key[600];
		args(op, "1");
		snprintf(key, sizeof key, "%s:resx", tag);
		args(op, key);
		argi(op, (int64_t)(s->sh->lease_s * 1000));
		int m = 0;
		for (size_t j = i; j < n && m < 100; j++)
			if (tags[j] == tag) {
				args(op, ids[j]);
				tags[j] = NULL;
				m++;
			}
		send_or_queue(s, op);
	}
	free(ids);
	free(tags);
}

/* ---- metrics ------------------------------------------------------------------------------------------------- */

int state_up(const struct gw_state *s)
{
	return s && s->ready;
}

void state_metrics(const struct gw_state *s, struct evbuffer *o)
{
	evbuffer_add_printf(o,
		"# HELP aicost_gateway_shared_state_up 1 while the shared budget and rate-limit state (Redis) is reachable.\n"
		"# TYPE aicost_gateway_shared_state_up gauge\naicost_gateway_shared_state_up %d\n"
		"# HELP aicost_gateway_shared_state_errors_total Redis commands that failed, by kind "
		"(error: an error reply; timeout: no answer within timeout_ms; disconnect: the connection was lost or refused).\n"
		"# TYPE aicost_gateway_shared_state_errors_total counter\n"
		"aicost_gateway_shared_state_errors_total{kind=\"error\"} %llu\n"
		"aicost_gateway_shared_state_errors_total{kind=\"timeout\"} %llu\n"
		"aicost_gateway_shared_state_errors_total{kind=\"disconnect\"} %llu\n"
		"# HELP aicost_gateway_shared_state_connects_total Connections to Redis established (handshake done).\n"
		"# TYPE aicost_gateway_shared_state_connects_total counter\naicost_gateway_shared_state_connects_total %llu\n"
		"# HELP aicost_gateway_shared_state_fail_open_total Requests admitted without Redis (unreachable, on_failure "
		"open), by the limits that were not checked.\n"
		"# TYPE aicost_gateway_shared_state_fail_open_total counter\n"
		"aicost_gateway_shared_state_fail_open_total{limit=\"budget\"} %llu\n"
		"aicost_gateway_shared_state_fail_open_total{limit=\"rate\"} %llu\n"
		"# HELP aicost_gateway_shared_state_fail_closed_total Requests refused with 503 because Redis was "
		"unreachable (on_failure closed), by the limit that failed closed.\n"
		"# TYPE aicost_gateway_shared_state_fail_closed_total counter\n"
		"aicost_gateway_shared_state_fail_closed_total{limit=\"budget\"} %llu\n"
		"aicost_gateway_shared_state_fail_closed_total{limit=\"rate\"} %llu\n"
		"# HELP aicost_gateway_shared_state_queued_settlements Settlements waiting for Redis.\n"
		"# TYPE aicost_gateway_shared_state_queued_settlements gauge\naicost_gateway_shared_state_queued_settlements %zu\n"
		"# HELP aicost_gateway_shared_state_dropped_settlements_total Settlements dropped (queue full): their spend "
		"is in the ledger but not in Redis.\n"
		"# TYPE aicost_gateway_shared_state_dropped_settlements_total counter\n"
		"aicost_gateway_shared_state_dropped_settlements_total %llu\n"
		"# HELP aicost_gateway_shared_state_reservations Reservations this instance holds in Redis.\n"
		"# TYPE aicost_gateway_shared_state_reservations gauge\naicost_gateway_shared_state_reservations %zu\n",
		s->ready, (unsigned long long)s->errors, (unsigned long long)s->timeouts,
		(unsigned long long)s->disconnects, (unsigned long long)s->connects, (unsigned long long)s->open_budget,
		(unsigned long long)s->open_rate, (unsigned long long)s->closed_budget, (unsigned long long)s->closed_rate,
		s->nq, (unsigned long long)s->dropped, s->nlive);
	const struct gw_hist *h = &s->lat;
	const char *name = "aicost_gateway_shared_state_script_seconds";
	uint64_t cum = 0;
	evbuffer_add_printf(o, "# HELP %s Redis round trips (script calls), send to reply.\n# TYPE %s histogram\n", name,
			    name);
	for (int i = 0; i < GW_HIST_BUCKETS; i++) {
		cum += h->b[i];
		evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, gw_hist_bounds[i], (unsigned long long)cum);
	}
	cum += h->b[GW_HIST_BUCKETS];
	evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name, (unsigned long long)cum,
			    name, h->sum, name, (unsigned long long)h->count);
}

/* ---- start and stop --------------------------------------------------------------------------------------------- */

struct gw_state *state_new(struct event_base *base, struct gw_conf *conf)
{
	if (!conf->shared)
		return NULL;
	struct gw_state *s = xcalloc(1, sizeof *s);
	s->base = base;
	s->conf = conf;
	s->sh = conf->shared;
	s->backoff = BACKOFF_MIN;
	unsigned char rnd[8] = { 0 };
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(mono() * 1e9);
		memcpy(rnd, &x, sizeof rnd);
	}
	for (int i = 0; i < 8; i++)
		snprintf(s->inst + 2 * i, 3, "%02x", rnd[i]);
	for (size_t i = 0; i < conf->nteams; i++) {
		char *t = tag_of(s->sh->prefix, "t", conf->teams[i].name);
		name_account(s, &conf->teams[i], t);
		free(t);
	}
	for (size_t i = 0; i < conf->nkeys; i++) {
		struct gw_key *k = &conf->keys[i];
		/* A key shares its team's tag, so one script touches one Redis Cluster slot. */
		char *t = k->team_acct ? tag_of(s->sh->prefix, "t", k->team_acct->name) : tag_of(s->sh->prefix, "k", k->name);
		name_account(s, &k->acct, t);
		free(t);
	}
	s->retry_ev = evtimer_new(base, on_retry, s);
	s->timeout_ev = evtimer_new(base, on_timeout, s);
	s->renew_ev = event_new(base, -1, EV_PERSIST, on_renew, s);
	double every = s->sh->lease_s / 3;
	struct timeval tv = { (time_t)every, (suseconds_t)((every - (double)(time_t)every) * 1e6) };
	evtimer_add(s->renew_ev, &tv);
	connect_now(s);
	return s;
}

static void wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* One turn of the loop, at most 20 ms (a one-shot timer wakes it; a leftover one is harmless, unlike loopexit). */
static void loop_once(struct gw_state *s)
{
	struct timeval tv = { 0, 20000 };
	event_base_once(s->base, -1, EV_TIMEOUT, wake, NULL, &tv);
	event_base_loop(s->base, EVLOOP_ONCE);
}

int state_wait_ready(struct gw_state *s, double seconds)
{
	double until = mono() + seconds;
	while (!s->ready && mono() < until)
		loop_once(s);
	if (!s->ready)
		warning("gateway: shared state (Redis %s:%d) is not reachable yet: until it is, budgets fail %s and "
			"rate limits fail %s", s->sh->host, s->sh->port, s->sh->budgets_open ? "open" : "closed",
			s->sh->rates_closed ? "closed" : "open");
	return s->ready ? 0 : -1;
}

void state_free(struct gw_state *s, double seconds)
{
	if (!s)
		return;
	/* Let the settlements of the last requests reach Redis. */
	double until = mono() + seconds;
	while ((s->nsent || (s->q_head && s->ready)) && s->ac && mono() < until) {
		if (s->ready)
			flush_queue(s);
		loop_once(s);
	}
	if (s->nq)
		warning("gateway: shared state: %zu settlement(s) could not reach Redis before the stop (their "
			"reservations expire with their lease)", s->nq);
	s->stopping = 1;
	if (s->ac) {
		redisAsyncContext *ac = s->ac;
		redisAsyncFree(ac);
		s->ac = NULL;
	}
	while (s->q_head) {
		struct st_op *op = s->q_head;
		unlink_op(&s->q_head, &s->q_tail, op);
		pending_add(op, -1);
		op_free(op);
	}
	while (s->live)
		res_free(s, s->live);
	event_free(s->retry_ev);
	event_free(s->timeout_ev);
	event_free(s->renew_ev);
	for (size_t i = 0; i < s->conf->nteams; i++)
		unname_account(&s->conf->teams[i]);
	for (size_t i = 0; i < s->conf->nkeys; i++)
		unname_account(&s->conf->keys[i].acct);
	free(s);
}
