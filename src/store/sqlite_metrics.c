/*
 * sqlite_metrics.c - the ledger's business metrics table and the LLM
 * reconciliation query (the "LLM usage and business metrics" area of the
 * store; see store.h).
 *
 * metric(day, metric, dims, value, source_id): one exact value (money_t
 * BLOB) per day, metric name and canonical dims object. Statements are
 * prepared on first use, so a reader opening a ledger written before this
 * table existed sees no metrics instead of failing.
 */
#include <string.h>
#include <sqlite3.h>
#include "store/sqlite_int.h"
#include "util/err.h"

const char sq_metrics_schema[] =
	"CREATE TABLE IF NOT EXISTS metric(day INTEGER NOT NULL, metric TEXT NOT NULL, dims TEXT NOT NULL,"
	" value BLOB NOT NULL, source_id INTEGER NOT NULL, PRIMARY KEY(metric, day, dims)) WITHOUT ROWID;";

enum { M_ADD, M_SCAN, M_NAMES, M_BILLED };

static const char *const msql[4] = {
	/* Rows of one source add up; a later source replaces the value of the same key. */
	[M_ADD] = "INSERT INTO metric VALUES(?1,?2,?3,?4,?5) ON CONFLICT(metric, day, dims) DO UPDATE SET"
		  " value = CASE WHEN source_id = excluded.source_id THEN madd(value, excluded.value)"
		  " ELSE excluded.value END, source_id = excluded.source_id",
	[M_SCAN] = "SELECT day, dims, value FROM metric WHERE metric = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day, dims",
	[M_NAMES] = "SELECT DISTINCT metric FROM metric ORDER BY metric",
	[M_BILLED] = "SELECT d.source_id, d.day FROM daily d JOIN source s ON s.id = d.source_id"
		     " WHERE d.line_id = ?1 AND d.day BETWEEN ?2 AND ?3 AND s.kind = ?4 AND s.status = 'active'"
		     " ORDER BY d.day LIMIT 1",
};

/* 1 prepared, 0 the table is missing (an older ledger: no metrics), -1 error. */
static int prep(struct sqlite_store *ss, int i)
{
	if (ss->metric_st[i])
		return 1;
	if (sqlite3_prepare_v3(ss->db, msql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->metric_st[i], NULL) == SQLITE_OK)
		return 1;
	if (strstr(sqlite3_errmsg(ss->db), "no such table"))
		return 0;
	return sq_dberr(ss, "prepare metrics");
}

void sq_metrics_close(struct sqlite_store *ss)
{
	for (int i = 0; i < 4; i++)
		sqlite3_finalize(ss->metric_st[i]);
}

int sq_metric_add(struct store *s, int64_t sid, int32_t day, const char *metric, const char *dims, money_t value)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, M_ADD);
	if (p <= 0)
		return p < 0 ? -1 : error("%s: the ledger has no metric table (open it for writing)", s->path);
	sqlite3_stmt *st = ss->metric_st[M_ADD];
	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dims, -1, SQLITE_STATIC);
	sq_bind_money(st, 4, value);
	sqlite3_bind_int64(st, 5, sid);
	return sq_run(ss, st, "add metric");
}

int sq_metric_scan(struct store *s, const char *metric, int32_t from, int32_t to,
		   int (*cb)(void *, int32_t, const char *, money_t), void *arg)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, M_SCAN), rc, out = 0;
	if (p <= 0)
		return p;
	sqlite3_stmt *st = ss->metric_st[M_SCAN];
	sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (int32_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			      sq_col_money(st, 2))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan metrics");
	return out;
}

int sq_metric_names(struct store *s, int (*cb)(void *, const char *), void *arg)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, M_NAMES), rc, out = 0;
	if (p <= 0)
		return p;
	sqlite3_stmt *st = ss->metric_st[M_NAMES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (const char *)sqlite3_column_text(st, 0))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "list metrics");
	return out;
}

int sq_line_billed(struct store *s, uint32_t line_id, int32_t from, int32_t to, const char *kind,
		   int64_t *source_id, int32_t *day)
{
	struct sqlite_store *ss = S(s);
	int p = prep(ss, M_BILLED), rc;
	if (p <= 0)
		return p;
	sqlite3_stmt *st = ss->metric_st[M_BILLED];
	sqlite3_bind_int64(st, 1, line_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*source_id = sqlite3_column_int64(st, 0);
		*day = (int32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "reconcile LLM usage");
	return rc == SQLITE_ROW;
}
