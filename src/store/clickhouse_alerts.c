/*
 * clickhouse_alerts.c - budget alert state in the ClickHouse ledger (the
 * "alert state: budgets" area of store.h; the SQLite one is
 * sqlite_alerts.c, the delivery rules are in docs/budgets.md).
 *
 * ClickHouse 18.16 has no transactions, no UNIQUE keys and no UPDATE, so:
 *
 *   budget_alert    MergeTree: one row per crossing, with its
 *                   transaction's version `tx`;
 *   alert_outbox    MergeTree: one row per (alert, target), with `tx`; its
 *                   id is a hash of (alert id, target), so writers need no
 *                   shared counter and a crossing two writers both record
 *                   is one entry;
 *   alert_commit    MergeTree: one row per committed transaction. A
 *                   transaction's crossings and queued payloads count only
 *                   once its commit row exists (the single insert that
 *                   commits, as a source row does for an ingest);
 *   alert_delivery  MergeTree ORDER BY (outbox_id, ver): the state of an
 *                   outbox entry, one row per change: claims (a lease with
 *                   a token) and results (attempts, last error, delivered).
 *                   The newest row (argMax by ver) is the state. argMax,
 *                   not FINAL: a filter on a non-key column could be
 *                   applied before FINAL's merge and revive an old state.
 *
 * Once per (budget, period, threshold, basis): alert_add reads whether a
 * committed crossing exists (and remembers the ones of its own
 * transaction); with one writer at a time that is SQLite's rule. Two
 * writers racing may both record a crossing: its outbox entry is still one
 * (same id).
 *
 * Claims have no compare-and-set to stand on. A claim writes a lease row
 * (version from this host's clock, a token), waits CLAIM_SETTLE_MS for
 * concurrent claims to land, and wins if its lease is the oldest live one
 * since the entry's last result. Two delivery runs both send only when one
 * run's claim insert took CLAIM_SETTLE_MS longer than the other's (or the
 * hosts' clocks disagree by more): across concurrent runs delivery is
 * at-least-once, not exactly-once (the payload's alert id is stable, so
 * receivers can deduplicate); within one run it is once, and a crash
 * between the 2xx and the recorded result sends again, as on SQLite.
 *
 * Ownership: strings handed to callbacks live until it returns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "store/clickhouse_int.h"
#include "util/err.h"

const char *const ch_alerts_schema[] = {
	"budget_alert(id String, budget String, period_start String, threshold String, basis String,"
	" amount Decimal(38,18), limit_amount Decimal(38,18), as_of String, fired_at Int64, tx UInt64)"
	" ENGINE = MergeTree ORDER BY (budget, period_start, threshold, basis)",
	"alert_outbox(id Int64, alert_id String, target String, target_shown String, payload String,"
	" created_at Int64, tx UInt64) ENGINE = MergeTree ORDER BY id",
	"alert_commit(tx UInt64) ENGINE = MergeTree ORDER BY tx",
	"alert_delivery(outbox_id Int64, ver UInt64, claim String, attempts Int64, last_attempt Int64,"
	" last_status Int64, last_error String, lease_until Int64, delivered_at Int64)"
	" ENGINE = MergeTree ORDER BY (outbox_id, ver)",
	NULL,
};

#define COMMITTED_TX "(SELECT tx FROM alert_commit)"
#define CLAIM_SETTLE_MS 100

static struct ch_store *C(struct store *s) { return (struct ch_store *)s; }

void ch_alert_reset(struct ch_store *cs)
{
	dict_release(&cs->alert_keys);
}

/* The outbox id of (alert, target): positive, the same for every writer. */
static int64_t outbox_id(const char *alert_id, const char *target)
{
	struct chbuf k = { 0 };
	rb_str(&k, alert_id, strlen(alert_id));
	rb_str(&k, target, strlen(target));
	uint64_t h = hash_bytes(k.p, k.n);
	chbuf_free(&k);
	return (int64_t)(h & (UINT64_MAX >> 2)) + 1;
}

int ch_alert_init(struct store *s)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_ALERT))) {
		if (ch_create(cs, ch_alerts_schema) < 0)
			return -1;
		cs->tables |= 1u << A_ALERT;
	}
	return 0;
}

static void put_s(struct chbuf *b, const char *s)
{
	rb_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void crossing_key(struct chbuf *k, const struct alert_rec *a)
{
	k->n = 0;
	put_s(k, a->budget);
	put_s(k, a->period_start);
	put_s(k, a->threshold);
	put_s(k, a->basis);
}

int ch_alert_add(struct store *s, const struct alert_rec *a, const char *const *targets, const char *const *shown,
		 size_t ntargets, const char *payload)
{
	struct ch_store *cs = C(s);
	if (!cs->in_tx)
		return error("%s: record alert: not in a transaction", s->path);
	struct chbuf k = { 0 };
	crossing_key(&k, a);
	uint64_t h = hash_bytes(k.p, k.n);
	uint32_t v;
	int mine = dict_get(&cs->alert_keys, k.p, k.n, h, &v);
	if (!mine)
		dict_put(&cs->alert_keys, k.p, k.n, h, 1);
	chbuf_free(&k);
	if (mine)
		return 0;
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT count() FROM budget_alert WHERE budget = ");
	ch_sql_str(&sql, a->budget);
	ch_sqlf(&sql, " AND period_start = ");
	ch_sql_str(&sql, a->period_start);
	ch_sqlf(&sql, " AND threshold = ");
	ch_sql_str(&sql, a->threshold);
	ch_sqlf(&sql, " AND basis = ");
	ch_sql_str(&sql, a->basis);
	ch_sqlf(&sql, " AND tx IN " COMMITTED_TX " FORMAT RowBinary");
	int rc = ch_run_buf(cs, "record alert", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	uint64_t seen = rd_u64(&r);
	if (r.bad)
		return ch_bad_reply(cs, "record alert");
	if (seen)
		return 0;
	int64_t now = (int64_t)time(NULL);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_ALERT, &err);
	put_s(b, a->id);
	put_s(b, a->budget);
	put_s(b, a->period_start);
	put_s(b, a->threshold);
	put_s(b, a->basis);
	rb_money(b, a->amount);
	rb_money(b, a->limit);
	put_s(b, a->as_of);
	rb_i64(b, now);
	rb_u64(b, cs->tx);
	for (size_t i = 0; i < ntargets && !err; i++) {
		b = ch_wbuf(cs, T_OUTBOX, &err);
		rb_i64(b, outbox_id(a->id, targets[i]));
		put_s(b, a->id);
		put_s(b, targets[i]);
		put_s(b, shown[i]);
		put_s(b, payload);
		rb_i64(b, now);
		rb_u64(b, cs->tx);
	}
	cs->alert_rows = 1;
	return err ? -1 : 1;
}

/* ---- delivery ------------------------------------------------------------------ */

/* The newest delivery state of each entry (argMax by version). */
#define STATE                                                                                                  \
	"(SELECT outbox_id AS id, argMax(attempts, ver) AS attempts, argMax(lease_until, ver) AS lease_until,"   \
	" argMax(delivered_at, ver) AS delivered_at, argMax(claim, ver) AS claim FROM alert_delivery"             \
	" GROUP BY outbox_id)"

int ch_rd_outbox(struct rbin *r, struct outbox_rec *o, struct chbuf *strs)
{
	size_t off[4];
	strs->n = 0;
	o->id = rd_i64(r);
	for (int i = 0; i < 3; i++) {
		size_t n;
		const char *p = rd_str(r, &n);
		off[i] = strs->n;
		chbuf_put(strs, p, n);
		chbuf_put(strs, "", 1);
	}
	o->created_at = rd_i64(r);
	int64_t at = rd_i64(r);
	o->attempts = at < 0 ? 0 : at > 1000000 ? 1000000 : (int)at;
	size_t n;
	const char *p = rd_str(r, &n);
	off[3] = strs->n;
	chbuf_put(strs, p, n);
	chbuf_put(strs, "", 1);
	if (r->bad)
		return -1;
	const char *base = (const char *)strs->p;
	o->alert_id = base + off[0];
	o->target = base + off[1];
	o->payload = base + off[2];
	o->target_shown = base + off[3];
	return 0;
}

int ch_outbox_pending(struct store *s, int64_t now, int (*cb)(void *, const struct outbox_rec *), void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_ALERT)))
		return 0;
	struct chbuf sql = { 0 };
	/* Committed entries (once each), not delivered and not leased at `now`, oldest first. */
	ch_sqlf(&sql,
		"SELECT id, alert_id, target, payload, created_at, attempts, target_shown FROM"
		" (SELECT id, any(alert_id) AS alert_id, any(target) AS target, any(payload) AS payload,"
		" min(created_at) AS created_at, any(target_shown) AS target_shown FROM alert_outbox"
		" WHERE tx IN " COMMITTED_TX " GROUP BY id)"
		" ANY LEFT JOIN " STATE " USING id WHERE delivered_at = 0 AND lease_until <= %" PRId64
		" ORDER BY created_at, alert_id, target FORMAT RowBinary",
		now);
	int rc = ch_run_buf(cs, "scan alert outbox", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	struct chbuf strs = { 0 };
	int out = 0;
	struct outbox_rec rec;
	while (r.p < r.end && !out) {
		if (ch_rd_outbox(&r, &rec, &strs) < 0) {
			out = ch_bad_reply(cs, "scan alert outbox");
			break;
		}
		out = cb(arg, &rec);
	}
	chbuf_free(&strs);
	return out;
}

struct state {
	int64_t attempts, lease_until, delivered_at;
};

/* The newest state of entry id (zeros when it has none). */
static int read_state(struct ch_store *cs, int64_t id, struct state *st)
{
	memset(st, 0, sizeof *st);
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT argMax(attempts, ver), argMax(lease_until, ver), argMax(delivered_at, ver)"
		" FROM alert_delivery WHERE outbox_id = %" PRId64 " GROUP BY outbox_id FORMAT RowBinary",
		id);
	int rc = ch_run_buf(cs, "read alert state", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	if (!cs->q.n)
		return 0;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	st->attempts = rd_i64(&r);
	st->lease_until = rd_i64(&r);
	st->delivered_at = rd_i64(&r);
	return r.bad ? ch_bad_reply(cs, "read alert state") : 0;
}

static int write_state(struct ch_store *cs, int64_t id, const char *claim, int64_t attempts, int64_t last_attempt,
		       int64_t last_status, const char *why, int64_t lease_until, int64_t delivered_at)
{
	struct chbuf b = { 0 };
	rb_i64(&b, id);
	rb_u64(&b, ch_version(cs));
	put_s(&b, claim);
	rb_i64(&b, attempts);
	rb_i64(&b, last_attempt);
	rb_i64(&b, last_status);
	put_s(&b, why);
	rb_i64(&b, lease_until);
	rb_i64(&b, delivered_at);
	int rc = chhttp_run(cs->h, "record delivery", "INSERT INTO alert_delivery FORMAT RowBinary", &b, NULL, 1);
	chbuf_free(&b);
	return rc;
}

int ch_outbox_claim(struct store *s, int64_t id, int64_t now, int64_t until)
{
	struct ch_store *cs = C(s);
	struct state st;
	if (read_state(cs, id, &st) < 0)
		return -1;
	if (st.delivered_at || st.lease_until > now)
		return 0;
	char claim[40];
	snprintf(claim, sizeof claim, "%ld-%" PRIu64, (long)getpid(), ch_version(cs));
	if (write_state(cs, id, claim, st.attempts, 0, 0, "", until, 0) < 0)
		return -1;
	struct timespec ts = { 0, CLAIM_SETTLE_MS * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
	/* The oldest live claim since the last result wins. */
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT argMin(claim, ver) FROM alert_delivery WHERE outbox_id = %" PRId64 " AND claim != ''"
		" AND lease_until > %" PRId64 " AND ver > (SELECT max(ver) FROM alert_delivery WHERE outbox_id = %" PRId64
		" AND claim = '') FORMAT RowBinary",
		id, now, id);
	int rc = ch_run_buf(cs, "claim alert", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	size_t n;
	const char *p = rd_str(&r, &n);
	if (r.bad)
		return ch_bad_reply(cs, "claim alert");
	return n == strlen(claim) && memcmp(p, claim, n) == 0;
}

int ch_outbox_result(struct store *s, int64_t id, int64_t now, int delivered, int attempts, long http_status,
		     const char *why)
{
	struct ch_store *cs = C(s);
	struct state st;
	if (read_state(cs, id, &st) < 0)
		return -1;
	return write_state(cs, id, "", st.attempts + attempts, now, http_status, why ? why : "", 0, delivered ? now : 0);
}
