/*
 * sqlite.c - the embedded ledger: one SQLite file in WAL mode.
 *
 * Money is stored as compact little-endian BLOBs (money_pack), never as
 * REAL; SQLite only moves bytes. The custom function madd(a, b) adds two
 * such blobs exactly, which lets daily_add upsert without a read-back.
 * Every statement is prepared once and bound with parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "store/sqlite_int.h"
#include "util/err.h"

#define SCHEMA_VERSION "1"

static const char *amt_col[FA__COUNT] = { "billed", "effective", "list", "contracted", "consumed", "pricing" };

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS source("
	" id INTEGER PRIMARY KEY, kind TEXT NOT NULL, path TEXT, sha256 TEXT NOT NULL UNIQUE, bytes INTEGER,"
	" batch INTEGER, ingested_at TEXT, rows_total INTEGER, rows_accepted INTEGER, rows_rejected INTEGER,"
	" billed BLOB, effective BLOB, list BLOB, contracted BLOB, consumed BLOB, pricing BLOB,"
	" extras TEXT, warnings TEXT, status TEXT NOT NULL DEFAULT 'active', min_day INTEGER, max_day INTEGER);"
	"CREATE TABLE IF NOT EXISTS reject(source_id INTEGER NOT NULL, line INTEGER, col INTEGER, column_name TEXT, reason TEXT);"
	"CREATE INDEX IF NOT EXISTS reject_source ON reject(source_id);"
	"CREATE TABLE IF NOT EXISTS tagset(id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS line(id INTEGER PRIMARY KEY, tagset_id INTEGER NOT NULL, vals BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS period(id INTEGER PRIMARY KEY, provider TEXT, account TEXT, start TEXT,"
	" UNIQUE(provider, account, start));"
	"CREATE TABLE IF NOT EXISTS seg(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, period_id INTEGER NOT NULL,"
	" first_line INTEGER, nrows INTEGER, data BLOB);"
	"CREATE INDEX IF NOT EXISTS seg_period ON seg(period_id, source_id);"
	"CREATE TABLE IF NOT EXISTS daily(day INTEGER NOT NULL, line_id INTEGER NOT NULL, source_id INTEGER NOT NULL,"
	" period_id INTEGER NOT NULL, n INTEGER NOT NULL,"
	" billed BLOB, effective BLOB, list BLOB, contracted BLOB, consumed BLOB, pricing BLOB,"
	" PRIMARY KEY(day, line_id, source_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS daily_period ON daily(period_id, source_id);"
	"INSERT OR IGNORE INTO meta VALUES('schema_version', '" SCHEMA_VERSION "');";

static const char *const sql[S__COUNT] = {
	[S_SOURCE_FIND] = "SELECT id FROM source WHERE sha256 = ?1",
	[S_SOURCE_SIZE] = "SELECT 1 FROM source WHERE bytes = ?1 LIMIT 1",
	[S_SOURCE_ADD] = "INSERT INTO source(kind, path, sha256, bytes, batch, ingested_at, status) VALUES(?1,?2,?3,?4,?5,?6,'active')",
	[S_SOURCE_UPDATE] = "UPDATE source SET rows_total=?2, rows_accepted=?3, rows_rejected=?4, billed=?5, effective=?6,"
			    " list=?7, contracted=?8, consumed=?9, pricing=?10, extras=?11, warnings=?12, status=?13,"
			    " min_day=?14, max_day=?15, bytes=?16, sha256=?17 WHERE id=?1",
	[S_SOURCE_SCAN] = "SELECT id, kind, path, sha256, bytes, batch, ingested_at, rows_total, rows_accepted,"
			  " rows_rejected, billed, effective, list, contracted, consumed, pricing, extras, warnings,"
			  " status, min_day, max_day FROM source ORDER BY id",
	[S_REJECT_ADD] = "INSERT INTO reject VALUES(?1,?2,?3,?4,?5)",
	[S_TAGSET_SCAN] = "SELECT id, json FROM tagset",
	[S_TAGSET_ADD] = "INSERT INTO tagset(json) VALUES(?1)",
	[S_LINE_SCAN] = "SELECT id, tagset_id, vals FROM line",
	[S_LINE_ADD] = "INSERT INTO line(tagset_id, vals) VALUES(?1, ?2)",
	[S_PERIOD_FIND] = "SELECT id FROM period WHERE provider IS ?1 AND account IS ?2 AND start IS ?3",
	[S_PERIOD_ADD] = "INSERT INTO period(provider, account, start) VALUES(?1,?2,?3)",
	[S_SEG_ADD] = "INSERT INTO seg(source_id, period_id, first_line, nrows, data) VALUES(?1,?2,?3,?4,?5)",
	[S_DAILY_ADD] = "INSERT INTO daily VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
			" ON CONFLICT(day, line_id, source_id) DO UPDATE SET n = n + excluded.n,"
			" billed = madd(billed, excluded.billed), effective = madd(effective, excluded.effective),"
			" list = madd(list, excluded.list), contracted = madd(contracted, excluded.contracted),"
			" consumed = madd(consumed, excluded.consumed), pricing = madd(pricing, excluded.pricing)",
	[S_DAILY_SCAN0] = NULL,
	[S_DAY_RANGE] = "SELECT min(day), max(day) FROM daily",
};



int sq_dberr(struct sqlite_store *ss, const char *what)
{
	return error("%s: %s: %s", ss->base.path, what, sqlite3_errmsg(ss->db));
}

void sq_bind_money(sqlite3_stmt *st, int i, money_t v)
{
	unsigned char b[16];
	size_t n = money_pack(v, b);
	sqlite3_bind_blob(st, i, b, (int)n, SQLITE_TRANSIENT);
}

money_t sq_col_money(sqlite3_stmt *st, int i)
{
	return money_unpack(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
}

int sq_exec(struct sqlite_store *ss, const char *q)
{
	char *msg = NULL;
	if (sqlite3_exec(ss->db, q, NULL, NULL, &msg) != SQLITE_OK) {
		error("%s: %s", ss->base.path, msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int sq_run(struct sqlite_store *ss, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_dberr(ss, what);
	return 0;
}

static void fn_madd(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	money_t a = money_unpack(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]));
	money_t b = money_unpack(sqlite3_value_blob(argv[1]), (size_t)sqlite3_value_bytes(argv[1]));
	unsigned char out[16];
	if (money_add(&a, b) < 0) {
		sqlite3_result_error(ctx, "money overflow", -1);
		return;
	}
	size_t n = money_pack(a, out);
	sqlite3_result_blob(ctx, out, (int)n, SQLITE_TRANSIENT);
}





static void sq_close(struct store *s)
{
	struct sqlite_store *ss = S(s);
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(ss->st[i]);
	for (int i = 0; i < FA__COUNT; i++)
		sqlite3_finalize(ss->scan[i]);
	/* ---- alert state: budgets ---- */
	sq_alerts_close(ss);
	/* ---- GPU telemetry ---- */
	sq_gpu_close(ss);
	/* ---- LLM usage and business metrics ---- */
	sq_metrics_close(ss);
	/* ---- recommend: GPU hour profiles, LLM request statistics ---- */
	sq_recommend_close(ss);
	sqlite3_close(ss->db);
	free(ss->base.path);
	free(ss);
}

static int sq_begin(struct store *s) { return sq_exec(S(s), "BEGIN IMMEDIATE"); }
static int sq_commit(struct store *s) { return sq_exec(S(s), "COMMIT"); }
static int sq_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(S(s)->db))
		return 0;
	return sq_exec(S(s), "ROLLBACK");
}

static int sq_source_find(struct store *s, const char *sha, int64_t *id)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SOURCE_FIND];
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "find source");
	return rc == SQLITE_ROW;
}

static int sq_source_has_size(struct store *s, uint64_t bytes)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SOURCE_SIZE];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)bytes);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "find source");
	return rc == SQLITE_ROW;
}

static int sq_source_add(struct store *s, struct source_rec *r)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SOURCE_ADD];
	sqlite3_bind_text(st, 1, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->bytes);
	sqlite3_bind_int64(st, 5, r->batch);
	sqlite3_bind_text(st, 6, r->ingested_at, -1, SQLITE_STATIC);
	if (sq_run(ss, st, "add source") < 0)
		return -1;
	r->id = sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sq_source_update(struct store *s, const struct source_rec *r)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SOURCE_UPDATE];
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->rows_total);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->rows_accepted);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->rows_rejected);
	for (int a = 0; a < FA__COUNT; a++)
		sq_bind_money(st, 5 + a, r->total[a]);
	sqlite3_bind_text(st, 11, r->extras_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, r->warnings_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, r->status ? r->status : "active", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, r->min_day);
	sqlite3_bind_int64(st, 15, r->max_day);
	sqlite3_bind_int64(st, 16, (sqlite3_int64)r->bytes);
	sqlite3_bind_text(st, 17, r->sha256, -1, SQLITE_STATIC);
	return sq_run(ss, st, "update source");
}

static int sq_source_scan(struct store *s, int (*cb)(void *, const struct source_rec *), void *arg)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SOURCE_SCAN];
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct source_rec r = { 0 };
		r.id = sqlite3_column_int64(st, 0);
		r.kind = (const char *)sqlite3_column_text(st, 1);
		r.path = (const char *)sqlite3_column_text(st, 2);
		snprintf(r.sha256, sizeof r.sha256, "%s", (const char *)sqlite3_column_text(st, 3));
		r.bytes = (uint64_t)sqlite3_column_int64(st, 4);
		r.batch = sqlite3_column_int64(st, 5);
		r.ingested_at = (const char *)sqlite3_column_text(st, 6);
		r.rows_total = (uint64_t)sqlite3_column_int64(st, 7);
		r.rows_accepted = (uint64_t)sqlite3_column_int64(st, 8);
		r.rows_rejected = (uint64_t)sqlite3_column_int64(st, 9);
		for (int a = 0; a < FA__COUNT; a++)
			r.total[a] = sq_col_money(st, 10 + a);
		r.extras_json = (const char *)sqlite3_column_text(st, 16);
		r.warnings_json = (const char *)sqlite3_column_text(st, 17);
		r.status = (const char *)sqlite3_column_text(st, 18);
		r.min_day = sqlite3_column_int64(st, 19);
		r.max_day = sqlite3_column_int64(st, 20);
		if ((out = cb(arg, &r)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan sources");
	return out;
}

static int sq_reject_add(struct store *s, int64_t sid, uint64_t line, uint32_t col, const char *column, const char *why)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_REJECT_ADD];
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)line);
	sqlite3_bind_int64(st, 3, col);
	sqlite3_bind_text(st, 4, column, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, why, -1, SQLITE_STATIC);
	return sq_run(ss, st, "add reject");
}

static int sq_tagset_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, size_t), void *arg)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_TAGSET_SCAN];
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (uint32_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			      (size_t)sqlite3_column_bytes(st, 1))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan tag sets");
	return out;
}

static int sq_tagset_add(struct store *s, const char *json, size_t n, uint32_t *id)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_TAGSET_ADD];
	sqlite3_bind_text(st, 1, json, (int)n, SQLITE_STATIC);
	if (sq_run(ss, st, "add tag set") < 0)
		return -1;
	*id = (uint32_t)sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sq_line_scan(struct store *s, int (*cb)(void *, uint32_t, uint32_t, const char *, size_t), void *arg)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_LINE_SCAN];
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (uint32_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1),
			      sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan lines");
	return out;
}

static int sq_line_add(struct store *s, uint32_t tagset, const char *vals, size_t n, uint32_t *id)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_LINE_ADD];
	sqlite3_bind_int64(st, 1, tagset);
	sqlite3_bind_blob(st, 2, vals, (int)n, SQLITE_STATIC);
	if (sq_run(ss, st, "add line") < 0)
		return -1;
	*id = (uint32_t)sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sq_period_get(struct store *s, const char *prov, const char *acct, const char *start, uint32_t *id)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_PERIOD_FIND];
	sqlite3_bind_text(st, 1, prov, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, acct, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, start, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_dberr(ss, "find period");
	st = ss->st[S_PERIOD_ADD];
	sqlite3_bind_text(st, 1, prov, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, acct, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, start, -1, SQLITE_STATIC);
	if (sq_run(ss, st, "add period") < 0)
		return -1;
	*id = (uint32_t)sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sq_seg_add(struct store *s, int64_t sid, uint32_t pid, uint64_t first, uint32_t nrows, const void *blob, size_t n)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_SEG_ADD];
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, pid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)first);
	sqlite3_bind_int64(st, 4, nrows);
	sqlite3_bind_blob(st, 5, blob, (int)n, SQLITE_STATIC);
	return sq_run(ss, st, "add segment");
}

static int sq_daily_add(struct store *s, int64_t sid, const struct daily_rec *recs, size_t n)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_DAILY_ADD];
	for (size_t i = 0; i < n; i++) {
		const struct daily_rec *d = &recs[i];
		sqlite3_bind_int64(st, 1, d->day);
		sqlite3_bind_int64(st, 2, d->line_id);
		sqlite3_bind_int64(st, 3, sid);
		sqlite3_bind_int64(st, 4, d->period_id);
		sqlite3_bind_int64(st, 5, d->n);
		for (int a = 0; a < FA__COUNT; a++)
			sq_bind_money(st, 6 + a, d->amt[a]);
		if (sq_run(ss, st, "add daily sums") < 0)
			return -1;
	}
	return 0;
}

static int sq_restate(struct store *s, uint32_t pid, int64_t sid, int64_t batch, uint64_t *deleted)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = NULL;
	static const char *q[] = {
		"DELETE FROM daily WHERE period_id = ?1 AND source_id IN"
		" (SELECT id FROM source WHERE id != ?2 AND batch != ?3)",
		"DELETE FROM seg WHERE period_id = ?1 AND source_id IN"
		" (SELECT id FROM source WHERE id != ?2 AND batch != ?3)",
		/* A source none of whose rows remain has been replaced (only bills and usage have rows in seg). */
		"UPDATE source SET status = 'replaced' WHERE id != ?2 AND batch != ?3 AND status = 'active'"
		" AND NOT EXISTS (SELECT 1 FROM seg WHERE seg.source_id = source.id) AND rows_accepted > 0"
		" AND kind IN ('focus', 'llm')",
	};
	*deleted = 0;
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		if (sqlite3_prepare_v2(ss->db, q[i], -1, &st, NULL) != SQLITE_OK)
			return sq_dberr(ss, "restate");
		if (i < 2)
			sqlite3_bind_int64(st, 1, pid);
		sqlite3_bind_int64(st, 2, sid);
		sqlite3_bind_int64(st, 3, batch);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sq_dberr(ss, "restate");
		if (i == 0)
			*deleted = (uint64_t)sqlite3_changes(ss->db);
	}
	return 0;
}

static int sq_daily_scan(struct store *s, int32_t from, int32_t to, int amt,
			 int (*cb)(void *, int32_t, uint32_t, money_t), void *arg)
{
	struct sqlite_store *ss = S(s);
	if (!ss->scan[amt]) {
		char q[160];
		snprintf(q, sizeof q, "SELECT day, line_id, %s FROM daily WHERE day BETWEEN ?1 AND ?2", amt_col[amt]);
		if (sqlite3_prepare_v2(ss->db, q, -1, &ss->scan[amt], NULL) != SQLITE_OK)
			return sq_dberr(ss, "prepare scan");
	}
	sqlite3_stmt *st = ss->scan[amt];
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	int rc, out = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = cb(arg, (int32_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1),
			      sq_col_money(st, 2))) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "scan daily sums");
	return out;
}

static int sq_day_range(struct store *s, int32_t *min, int32_t *max)
{
	struct sqlite_store *ss = S(s);
	sqlite3_stmt *st = ss->st[S_DAY_RANGE];
	int rc = sqlite3_step(st), any = 0;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*min = (int32_t)sqlite3_column_int64(st, 0);
		*max = (int32_t)sqlite3_column_int64(st, 1);
		any = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_dberr(ss, "day range");
	return any;
}

/*
 * The schemas of the other areas (each in its own sqlite_<area>.c), run
 * after the core one whenever the ledger is opened for writing. Readers
 * never create tables: an area's read ops treat a missing table as empty.
 */
static const char *const area_schema[] = {
	/* ---- GPU telemetry (sqlite_gpu.c) ---- */
	sq_gpu_schema,

	/* ---- LLM usage and business metrics (sqlite_metrics.c) ---- */
	sq_metrics_schema,

	/* ---- alert state: budgets (sqlite_alerts.c) ---- */
	sq_alerts_schema,

	/* ---- recommend: GPU hour profiles, LLM request statistics (sqlite_recommend.c) ---- */
	sq_recommend_schema,
	NULL,
};

static const struct store_ops sqlite_ops = {
	.close = sq_close, .begin = sq_begin, .commit = sq_commit, .rollback = sq_rollback,
	.source_find = sq_source_find, .source_has_size = sq_source_has_size, .source_add = sq_source_add, .source_update = sq_source_update,
	.source_scan = sq_source_scan, .reject_add = sq_reject_add,
	.tagset_scan = sq_tagset_scan, .tagset_add = sq_tagset_add,
	.line_scan = sq_line_scan, .line_add = sq_line_add, .period_get = sq_period_get,
	.seg_add = sq_seg_add, .daily_add = sq_daily_add, .restate = sq_restate,
	.daily_scan = sq_daily_scan, .day_range = sq_day_range,
	/* ---- GPU telemetry ---- */
	.gpu_device_get = sq_gpu_device_get, .gpu_labels_get = sq_gpu_labels_get,
	.gpu_device_scan = sq_gpu_device_scan, .gpu_labels_scan = sq_gpu_labels_scan,
	.gpu_daily_put = sq_gpu_daily_put, .gpu_cover_get = sq_gpu_cover_get, .gpu_daily_scan = sq_gpu_daily_scan,

	/* ---- LLM usage and business metrics ---- */
	.metric_add = sq_metric_add, .metric_scan = sq_metric_scan, .metric_names = sq_metric_names,
	.line_billed = sq_line_billed,

	/* ---- alert state: budgets ---- */
	.alert_init = sq_alert_init, .alert_add = sq_alert_add, .outbox_pending = sq_outbox_pending,
	.outbox_claim = sq_outbox_claim, .outbox_result = sq_outbox_result,

	/* ---- recommend: GPU hour profiles, LLM request statistics ---- */
	.gpu_hourly_put = sq_gpu_hourly_put, .gpu_hourly_scan = sq_gpu_hourly_scan,
	.llm_stat_put = sq_llm_stat_put, .llm_stat_scan = sq_llm_stat_scan,
};

struct store *store_sqlite_open(const char *path, int create)
{
	struct sqlite_store *ss = xcalloc(1, sizeof *ss);
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
	ss->base.ops = &sqlite_ops;
	ss->base.path = xstrdup(path);
	if (sqlite3_open_v2(path, &ss->db, flags, NULL) != SQLITE_OK) {
		if (!create)
			error("%s: cannot open the ledger: %s (run 'aicost ingest' first)", path, sqlite3_errmsg(ss->db));
		else
			error("%s: cannot open the ledger: %s", path, sqlite3_errmsg(ss->db));
		goto fail;
	}
	sqlite3_busy_timeout(ss->db, 10000);
	/* WAL: readers never block the ingest writer; NORMAL sync is durable across process crashes. */
	if (sq_exec(ss, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
		     "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF;") < 0)
		goto fail;
	sqlite3_create_function(ss->db, "madd", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_madd, NULL, NULL);
	/* Readers never write: a report must not wait on a running ingest. */
	if (create && sq_exec(ss, schema) < 0)
		goto fail;
	for (size_t i = 0; create && i < sizeof area_schema / sizeof area_schema[0]; i++)
		if (area_schema[i] && sq_exec(ss, area_schema[i]) < 0)
			goto fail;
	if (!create) {
		sqlite3_stmt *chk = NULL;
		int ok = sqlite3_prepare_v2(ss->db, "SELECT 1 FROM daily LIMIT 0", -1, &chk, NULL) == SQLITE_OK;
		sqlite3_finalize(chk);
		if (!ok) {
			error("%s: not an aicost ledger, or empty (run 'aicost ingest focus FILE' first)", path);
			goto fail;
		}
	}
	for (int i = 0; i < S__COUNT; i++)
		if (sql[i] && sqlite3_prepare_v3(ss->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &ss->st[i], NULL) != SQLITE_OK) {
			sq_dberr(ss, "prepare");
			goto fail;
		}
	return &ss->base;
fail:
	sq_close(&ss->base);
	return NULL;
}
