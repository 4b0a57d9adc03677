/*
 * sqlite_alerts.c - budget alert state in the ledger: which thresholds
 * fired (once per budget, period, threshold and basis) and the outbox of
 * payloads to deliver. See docs/budgets.md for the delivery rules.
 *
 *   budget_alert   one row per crossing; the UNIQUE key is the
 *                  once-per-period rule.
 *   alert_outbox   one row per (alert, target): the payload, attempts,
 *                  (the target is a key, "sha256:" + 32 hex digits of the
 *                  URL, and its redacted form: hook URLs carry secrets, so
 *                  the ledger never holds them; delivery resolves the key
 *                  against the config's targets)
 *                  the last error (already redacted), a lease so two
 *                  concurrent runs never send the same row, and
 *                  delivered_at once a receiver answered 2xx. Delivered
 *                  rows are kept as the audit trail.
 *
 * Statements are prepared lazily (a ledger opened by a reader may not have
 * these tables: pending entries are then none) and finalized by
 * sq_alerts_close from sq_close.
 */
#include <string.h>
#include "store/sqlite_int.h"
#include "util/err.h"

const char sq_alerts_schema[] =
	"CREATE TABLE IF NOT EXISTS budget_alert(id TEXT PRIMARY KEY, budget TEXT NOT NULL,"
	" period_start TEXT NOT NULL, threshold TEXT NOT NULL, basis TEXT NOT NULL, amount BLOB, limit_amount BLOB,"
	" as_of TEXT, fired_at INTEGER, UNIQUE(budget, period_start, threshold, basis));"
	"CREATE TABLE IF NOT EXISTS alert_outbox(id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, target TEXT NOT NULL,"
	" target_shown TEXT, payload TEXT NOT NULL, created_at INTEGER, attempts INTEGER NOT NULL DEFAULT 0, last_attempt INTEGER,"
	" last_status INTEGER, last_error TEXT, lease_until INTEGER NOT NULL DEFAULT 0, delivered_at INTEGER,"
	" UNIQUE(alert_id, target));"
	"CREATE INDEX IF NOT EXISTS alert_outbox_pending ON alert_outbox(delivered_at, id);";

enum { A_ADD, A_QUEUE, A_PENDING, A_CLAIM, A_RESULT, A__COUNT };

static const char *const alert_sql[A__COUNT] = {
	[A_ADD] = "INSERT OR IGNORE INTO budget_alert(id, budget, period_start, threshold, basis, amount, limit_amount,"
		  " as_of, fired_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,unixepoch())",
	[A_QUEUE] = "INSERT OR IGNORE INTO alert_outbox(alert_id, target, target_shown, payload, created_at)"
		    " VALUES(?1,?2,?4,?3,unixepoch())",
	[A_PENDING] = "SELECT id, alert_id, target, payload, created_at, attempts, target_shown FROM alert_outbox"
		      " WHERE delivered_at IS NULL AND lease_until <= ?1 ORDER BY id",
	[A_CLAIM] = "UPDATE alert_outbox SET lease_until = ?3 WHERE id = ?1 AND delivered_at IS NULL AND lease_until <= ?2",
	[A_RESULT] = "UPDATE alert_outbox SET attempts = attempts + ?4, last_attempt = ?2, last_status = ?5, last_error = ?6,"
		     " delivered_at = CASE WHEN ?3 THEN ?2 END, lease_until = 0 WHERE id = ?1",
};

void sq_alerts_close(struct sqlite_store *ss)
{
	for (size_t i = 0; i < sizeof ss->alert_st / sizeof ss->alert_st[0]; i++) {
		sqlite3_finalize(ss->alert_st[i]);
		ss->alert_st[i] = NULL;
	}
}

/* 1 if the alert tables exist, 0 if not, -1 on error. */
static int tables_exist(struct sqlite_store *ss)
{
	if (ss->alert_ready)
		return 1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ss->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alert_outbox'",
			       -1, &st, NULL) != SQLITE_OK)
		return sq_dberr(ss, "alert tables");
	int rc = sqlite3_step(st), n = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sq_dberr(ss, "alert tables");
	ss->alert_ready = n > 0;
	return ss->alert_ready;
}

static sqlite3_stmt *stmt(struct sqlite_store *ss, int id)
{
	if (!ss->alert_st[id] &&
	    sqlite3_prepare_v3(ss->db, alert_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &ss->alert_st[id], NULL) != SQLITE_OK) {
		sq_dberr(ss, "prepare alert statement");
		return NULL;
	}
	return ss->alert_st[id];
}

int sq_alert_init(struct store *s)
{
	struct sqlite_store *ss = S(s);
	int e = tables_exist(ss);
	if (e != 0)
		return e < 0 ? -1 : 0;
	if (sq_exec(ss, sq_alerts_schema) < 0)
		return -1;
	ss->alert_ready = 1;
	return 0;
}

int sq_alert_add(struct store *s, const struct alert_rec *a, const char *const *targets, const char *const *shown,
		 size_t ntargets, const char *payload)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = stmt(ss, A_ADD);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->budget, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->period_start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->threshold, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->basis, -1, SQLITE_STATIC);
	sq_bind_money(st, 6, a->amount);
	sq_bind_money(st, 7, a->limit);
	sqlite3_bind_text(st, 8, a->as_of, -1, SQLITE_STATIC);
	if (sq_run(ss, st, "record alert") < 0)
		return -1;
	if (sqlite3_changes(ss->db) == 0)
		return 0;
	st = stmt(ss, A_QUEUE);
	if (!st)
		return -1;
	for (size_t i = 0; i < ntargets; i++) {
		sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, targets[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, payload, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, shown[i], -1, SQLITE_STATIC);
		if (sq_run(ss, st, "queue alert") < 0)
			return -1;
	}
	return 1;
}

int sq_outbox_pending(struct store *s, int64_t now, int (*cb)(void *, const struct outbox_rec *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int e = tables_exist(ss);
	if (e <= 0)
		return e;
	sqlite3_stmt *st = stmt(ss, A_PENDING);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_rec r = { 0 };
		r.id = sqlite3_column_int64(st, 0);
		r.alert_id = (const char *)sqlite3_column_text(st, 1);
		r.target = (const char *)sqlite3_column_text(st, 2);
		r.payload = (const char *)sqlite3_column_text(st, 3);
		r.created_at = sqlite3_column_int64(st, 4);
		r.attempts = sqlite3_column_int(st, 5);
		r.target_shown = (const char *)sqlite3_column_text(st, 6);
		if ((out = cb(arg, &r)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan alert outbox");
	return out;
}

int sq_outbox_claim(struct store *s, int64_t id, int64_t now, int64_t until)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = stmt(ss, A_CLAIM);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, until);
	if (sq_run(ss, st, "claim alert") < 0)
		return -1;
	return sqlite3_changes(ss->db) == 1;
}

int sq_outbox_result(struct store *s, int64_t id, int64_t now, int delivered, int attempts, long http_status,
		     const char *why)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = stmt(ss, A_RESULT);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, delivered != 0);
	sqlite3_bind_int(st, 4, attempts);
	if (http_status)
		sqlite3_bind_int64(st, 5, http_status);
	else
		sqlite3_bind_null(st, 5);
	if (why)
		sqlite3_bind_text(st, 6, why, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	return sq_run(ss, st, "record delivery");
}
