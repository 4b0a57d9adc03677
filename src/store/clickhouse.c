/*
 * clickhouse.c - the ledger on ClickHouse (--db clickhouse://HOST:PORT/DB),
 * the same store interface as SQLite; design in docs/clickhouse.md.
 *
 * ClickHouse has no transactions, so a transaction here is a commit point:
 * every row an ingest writes carries its source id, and rows count only
 * when their source's row in `source` says it is committed (status other
 * than 'pending'). Writes are buffered as RowBinary and sent in batches of
 * at most CH_FLUSH bytes; commit sends what is left and then, as its last
 * and only visibility-changing step, one row of `source`. A restatement
 * writes tombstones (`retired`: period, victim source, retiring source)
 * that count only once the retiring source is committed. So a failed or
 * killed ingest leaves invisible rows, never half a file, and a restated
 * period switches from the old rows to the new ones in that single insert.
 *
 * Ids (source, line, tag set, period) are allocated here from max(id)+1:
 * one writer per database at a time (docs/clickhouse.md).
 *
 * This file holds the core ledger (sources, dictionaries, facts, the
 * per-class aggregation with its `monthly` sums), opening and the
 * Distributed layout (?cluster=NAME); the other areas are in
 * clickhouse_gpu.c, clickhouse_metrics.c, clickhouse_recommend.c and
 * clickhouse_alerts.c, the wire in clickhouse_http.c.
 *
 * Ownership: the store owns its buffers, the HTTP handle and the period
 * dictionary; strings handed to callbacks live until the callback returns.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/clickhouse_int.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

#define CH_FLUSH (8u << 20)   /* bytes of RowBinary per insert */

static const char *const tbl_name[T__COUNT] = {
	"tagset", "line", "period", "seg", "reject", "daily", "retired",
	"gpu_device", "gpu_labels", "gpu_daily", "gpu_hourly", "metric", "llm_stat", "budget_alert", "alert_outbox",
};
static const char *const amt_col[FA__COUNT] = { "billed", "effective", "list", "contracted", "consumed", "pricing" };

/*
 * The ledger's core tables. The facts (daily, seg, reject) are what a
 * cluster shards (shard_key != NULL): with ?cluster=NAME they are created
 * as NAME_local on every shard of the cluster, and as a Distributed table
 * of that name on the node aicost talks to (docs/clickhouse.md).
 */
struct ch_ddl {
	const char *name, *cols, *engine, *shard_key;
};
static const struct ch_ddl core_schema[] = {
	{ "meta", "key String, value String", "ReplacingMergeTree ORDER BY key", NULL },
	{ "source",
	  "id Int64, kind String, path String, sha256 String, bytes UInt64, batch Int64, ingested_at String,"
	  " rows_total UInt64, rows_accepted UInt64, rows_rejected UInt64, billed Decimal(38,18), effective Decimal(38,18),"
	  " list Decimal(38,18), contracted Decimal(38,18), consumed Decimal(38,18), pricing Decimal(38,18),"
	  " extras String, warnings String, status String, min_day Int64, max_day Int64, ver UInt64",
	  "ReplacingMergeTree(ver) ORDER BY id", NULL },
	{ "reject", "source_id Int64, line UInt64, col UInt32, column_name String, reason String",
	  "MergeTree ORDER BY (source_id, line)", "source_id" },
	{ "tagset", "id UInt32, json String", "MergeTree ORDER BY id", NULL },
	{ "line", "id UInt32, tagset_id UInt32, vals String", "MergeTree ORDER BY id", NULL },
	{ "period", "id UInt32, provider Nullable(String), account Nullable(String), start Nullable(String)",
	  "MergeTree ORDER BY id", NULL },
	/*
	 * A seg row is a compressed block of 32k FOCUS rows (~0.7 MB). 18.16 merges
	 * read 8,192 rows of a part at once, i.e. whole parts: parts are capped at
	 * 128 MiB so a merge stays within a few hundred MiB of server memory, and
	 * the part limits are raised to match (1,000 parts = 128 GiB of audit trail).
	 */
	{ "seg", "source_id Int64, period_id UInt32, first_line UInt64, nrows UInt32, data String",
	  "MergeTree ORDER BY (period_id, source_id, first_line) SETTINGS max_bytes_to_merge_at_max_space_in_pool ="
	  " 134217728, parts_to_delay_insert = 2000, parts_to_throw_insert = 4000",
	  "cityHash64(source_id, first_line)" },
	/* Summing: parts merge into one row per key in the background; readers sum anyway. */
	{ "daily",
	  "day Int32, line_id UInt32, source_id Int64, period_id UInt32, n UInt64, billed Decimal(38,18),"
	  " effective Decimal(38,18), list Decimal(38,18), contracted Decimal(38,18), consumed Decimal(38,18),"
	  " pricing Decimal(38,18)",
	  "SummingMergeTree PARTITION BY intDiv(day, 100) ORDER BY (day, line_id, source_id, period_id)",
	  "cityHash64(line_id)" },
	/*
	 * The same sums per month (`month`: the day number of its first day),
	 * filled by the materialized view monthly_mv from every insert into daily
	 * (summed per inserted block), so monthly and yearly reports read ~30x
	 * fewer rows. Same visibility columns, so the commit point and
	 * tombstones hold for it unchanged.
	 */
	{ "monthly",
	  "month Int32, line_id UInt32, source_id Int64, period_id UInt32, n UInt64, billed Decimal(38,18),"
	  " effective Decimal(38,18), list Decimal(38,18), contracted Decimal(38,18), consumed Decimal(38,18),"
	  " pricing Decimal(38,18)",
	  "SummingMergeTree PARTITION BY intDiv(month, 100) ORDER BY (month, line_id, source_id, period_id)",
	  "cityHash64(line_id)" },
	{ "retired", "period_id UInt32, victim Int64, by_source Int64", "MergeTree ORDER BY (period_id, victim)", NULL },
};

static struct ch_store *C(struct store *s) { return (struct ch_store *)s; }

int ch_run(struct ch_store *cs, const char *what, const char *sql)
{
	cs->q.n = 0;
	return chhttp_run(cs->h, what, sql, NULL, &cs->q, 1);
}
#define run ch_run

int ch_run_buf(struct ch_store *cs, const char *what, struct chbuf *b)
{
	return ch_run(cs, what, (const char *)b->p);
}

int ch_bad_reply(struct ch_store *cs, const char *what)
{
	return error("%s: %s: malformed reply from the server", cs->base.path, what);
}
#define bad_reply ch_bad_reply

uint64_t ch_version(struct ch_store *cs)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t v = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	cs->last_ver = v > cs->last_ver ? v : cs->last_ver + 1;
	return cs->last_ver;
}

void ch_sqlf(struct chbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->n + (size_t)n + 1 > b->cap) {
		size_t need = b->n + (size_t)n + 1;
		size_t c = b->cap ? b->cap : 256;
		while (c < need)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void ch_sql_str(struct chbuf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";
	ch_sqlf(b, "unhex('");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char x[2] = { hx[*p >> 4], hx[*p & 15] };
		chbuf_put(b, x, 2);
	}
	ch_sqlf(b, "')");
}

/*
 * daily -> monthly, on the node (or each shard) that holds daily's rows.
 * Days outside 0..65535 (toDate's range) keep their day as the key; the
 * monthly path is only used for ranges inside it.
 */
#define MONTH_OF(d)                                                                                          \
	"if(" d " BETWEEN 0 AND 65535, toInt32(toRelativeDayNum(toStartOfMonth(toDate(toUInt16(" d "))))"       \
	" - toRelativeDayNum(toDate('1970-01-01'))), " d ")"
static const char monthly_mv[] =
	"CREATE MATERIALIZED VIEW IF NOT EXISTS %s TO %s AS SELECT " MONTH_OF("day") " AS month, line_id, source_id,"
	" period_id, sum(n) AS n, sum(billed) AS billed, sum(effective) AS effective, sum(list) AS list,"
	" sum(contracted) AS contracted, sum(consumed) AS consumed, sum(pricing) AS pricing FROM %s"
	" GROUP BY month, line_id, source_id, period_id";

/* ---- ids and the period dictionary ------------------------------------------ */

static size_t period_key(struct chbuf *k, const char *prov, const char *acct, const char *start)
{
	k->n = 0;
	rb_nstr(k, prov);
	rb_nstr(k, acct);
	rb_nstr(k, start);
	return k->n;
}

/* Ids and periods as the server has them (at open and after a rollback). */
static int load_state(struct ch_store *cs)
{
	if (run(cs, "read ids", "SELECT toInt64(max(id)) FROM source FORMAT RowBinary") < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	cs->next_source = rd_i64(&r) + 1;
	static const char *q[] = { "SELECT toUInt32(max(id)) FROM line FORMAT RowBinary",
				   "SELECT toUInt32(max(id)) FROM tagset FORMAT RowBinary" };
	for (int i = 0; i < 2 && !r.bad; i++) {
		if (run(cs, "read ids", q[i]) < 0)
			return -1;
		r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
		*(i ? &cs->next_tagset : &cs->next_line) = rd_u32(&r) + 1;
	}
	if (r.bad)
		return bad_reply(cs, "read ids");
	dict_release(&cs->periods);
	dict_init(&cs->periods);
	if (run(cs, "read periods", "SELECT id, provider, account, start FROM period FORMAT RowBinary") < 0)
		return -1;
	r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
	struct chbuf k = { 0 };
	uint32_t max = 0;
	while (r.p < r.end && !r.bad) {
		uint32_t id = rd_u32(&r);
		k.n = 0;
		for (int i = 0; i < 3; i++) {
			uint8_t null = rd_u8(&r);
			rb_u8(&k, null);
			if (!null) {
				size_t n;
				const char *s = rd_str(&r, &n);
				rb_str(&k, s, n);
			}
		}
		uint64_t hh = hash_bytes(k.p, k.n);
		uint32_t old;
		if (!r.bad && !dict_get(&cs->periods, k.p, k.n, hh, &old))
			dict_put(&cs->periods, k.p, k.n, hh, id);
		if (id > max)
			max = id;
	}
	chbuf_free(&k);
	if (r.bad)
		return bad_reply(cs, "read periods");
	cs->next_period = max + 1;
	return 0;
}

/* Re-read ids after a rollback, lazily: a rollback after a lost connection must not fail again. */
static int fresh(struct ch_store *cs)
{
	if (!cs->stale)
		return 0;
	if (load_state(cs) < 0)
		return -1;
	cs->stale = 0;
	return 0;
}

/* ---- buffered writes ---------------------------------------------------------- */

static int write_source(struct ch_store *cs, const struct source_rec *r, const char *status);

static int flush_tbl(struct ch_store *cs, int t)
{
	struct chbuf *b = &cs->buf[t];
	if (!b->n)
		return 0;
	/* Rows of a source are only ever sent after its id is claimed (a pending row). */
	if (cs->in_tx && !cs->flushed && cs->tx_source) {
		struct source_rec claim = { .id = cs->tx_source, .kind = "", .path = "", .sha256 = "" };
		snprintf(claim.sha256, sizeof claim.sha256, "pending-%" PRId64, cs->tx_source);
		if (write_source(cs, &claim, "pending") < 0)
			return -1;
	}
	cs->flushed = 1;
	char sql[64];
	snprintf(sql, sizeof sql, "INSERT INTO %s FORMAT RowBinary", tbl_name[t]);
	int rc = chhttp_run(cs->h, "write", sql, b, NULL, 1);
	b->n = 0;
	return rc;
}

struct chbuf *ch_wbuf(struct ch_store *cs, int t, int *err)
{
	if (cs->buf[t].n >= CH_FLUSH && flush_tbl(cs, t) < 0)
		*err = 1;
	return &cs->buf[t];
}

static int write_source(struct ch_store *cs, const struct source_rec *r, const char *status)
{
	struct chbuf b = { 0 };
	rb_i64(&b, r->id);
	rb_str(&b, r->kind ? r->kind : "", r->kind ? strlen(r->kind) : 0);
	rb_str(&b, r->path ? r->path : "", r->path ? strlen(r->path) : 0);
	rb_str(&b, r->sha256, strlen(r->sha256));
	rb_u64(&b, r->bytes);
	rb_i64(&b, r->batch);
	rb_str(&b, r->ingested_at ? r->ingested_at : "", r->ingested_at ? strlen(r->ingested_at) : 0);
	rb_u64(&b, r->rows_total);
	rb_u64(&b, r->rows_accepted);
	rb_u64(&b, r->rows_rejected);
	for (int a = 0; a < FA__COUNT; a++)
		rb_money(&b, r->total[a]);
	rb_str(&b, r->extras_json ? r->extras_json : "", r->extras_json ? strlen(r->extras_json) : 0);
	rb_str(&b, r->warnings_json ? r->warnings_json : "", r->warnings_json ? strlen(r->warnings_json) : 0);
	rb_str(&b, status, strlen(status));
	rb_i64(&b, r->min_day);
	rb_i64(&b, r->max_day);
	rb_u64(&b, ch_version(cs));
	int rc = chhttp_run(cs->h, "write source", "INSERT INTO source FORMAT RowBinary", &b, NULL, 1);
	chbuf_free(&b);
	return rc;
}

/* ---- transactions ------------------------------------------------------------- */

static void pend_clear(struct ch_store *cs)
{
	for (int i = 0; i < 5; i++)
		free(cs->pend.strs[i]);
	memset(&cs->pend, 0, sizeof cs->pend);
}

static int ch_begin(struct store *s)
{
	struct ch_store *cs = C(s);
	if (cs->in_tx)
		return error("%s: a transaction is already open", s->path);
	if (fresh(cs) < 0)
		return -1;
	cs->in_tx = 1;
	cs->flushed = 0;
	cs->tx_source = 0;
	cs->tx = ch_version(cs);
	cs->alert_rows = 0;
	return 0;
}

static int ch_commit(struct store *s)
{
	struct ch_store *cs = C(s);
	/* Dictionaries first, the source row last: that one insert is the commit. */
	for (int t = 0; t < T__COUNT; t++)
		if (flush_tbl(cs, t) < 0)
			return -1;
	if (cs->pend.set && write_source(cs, &cs->pend.r, cs->pend.r.status ? cs->pend.r.status : "active") < 0)
		return -1;
	/* Alert state has no source: its own commit row makes this transaction's alerts count. */
	if (cs->alert_rows) {
		struct chbuf b = { 0 };
		rb_u64(&b, cs->tx);
		int rc = chhttp_run(cs->h, "record alerts", "INSERT INTO alert_commit FORMAT RowBinary", &b, NULL, 1);
		chbuf_free(&b);
		if (rc < 0)
			return -1;
		cs->alert_rows = 0;
	}
	dict_release(&cs->alert_keys);
	pend_clear(cs);
	cs->in_tx = 0;
	cs->tx_source = 0;
	return 0;
}

static int ch_rollback(struct store *s)
{
	struct ch_store *cs = C(s);
	if (!cs->in_tx)
		return 0;
	for (int t = 0; t < T__COUNT; t++)
		cs->buf[t].n = 0;
	pend_clear(cs);
	cs->in_tx = 0;
	cs->tx_source = 0;
	/* What was sent stays, invisible; what was not, frees its ids again. */
	cs->stale = 1;
	cs->alert_rows = 0;
	ch_gpu_reset(cs);
	ch_alert_reset(cs);
	return 0;
}

/* ---- sources ------------------------------------------------------------------- */

/* Only hex digits, letters and '-' reach SQL text (sha256 values are hex). */
static int safe_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-'))
			return 0;
	return 1;
}

static int ch_source_find(struct store *s, const char *sha, int64_t *id)
{
	struct ch_store *cs = C(s);
	if (!safe_token(sha))
		return 0;   /* no stored sha256 has other characters */
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT id FROM source FINAL WHERE sha256 = '%s' AND status != 'pending' ORDER BY id LIMIT 1"
		 " FORMAT RowBinary", sha);
	if (run(cs, "find source", sql) < 0)
		return -1;
	if (!cs->q.n)
		return 0;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	*id = rd_i64(&r);
	return r.bad ? bad_reply(cs, "find source") : 1;
}

static int ch_source_has_size(struct store *s, uint64_t bytes)
{
	struct ch_store *cs = C(s);
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SELECT 1 FROM source FINAL WHERE bytes = %" PRIu64 " AND status != 'pending' LIMIT 1 FORMAT RowBinary",
		 bytes);
	if (run(cs, "find source", sql) < 0)
		return -1;
	return cs->q.n > 0;
}

static int ch_source_add(struct store *s, struct source_rec *r)
{
	struct ch_store *cs = C(s);
	if (fresh(cs) < 0)
		return -1;
	r->id = cs->next_source++;
	if (!cs->in_tx)
		return write_source(cs, r, "active");
	cs->tx_source = r->id;
	return 0;
}

static int ch_source_update(struct store *s, const struct source_rec *r)
{
	struct ch_store *cs = C(s);
	if (!cs->in_tx)
		return write_source(cs, r, r->status ? r->status : "active");
	pend_clear(cs);
	cs->pend.set = 1;
	cs->pend.r = *r;
	const char *src[5] = { r->kind, r->path, r->ingested_at, r->extras_json, r->warnings_json };
	const char **dst[5] = { &cs->pend.r.kind, &cs->pend.r.path, &cs->pend.r.ingested_at, &cs->pend.r.extras_json,
				&cs->pend.r.warnings_json };
	for (int i = 0; i < 5; i++) {
		cs->pend.strs[i] = src[i] ? xstrdup(src[i]) : NULL;
		*dst[i] = cs->pend.strs[i];
	}
	cs->pend.r.status = r->status && !strcmp(r->status, "replaced") ? "replaced" : "active";
	return 0;
}

static int ch_source_scan(struct store *s, int (*cb)(void *, const struct source_rec *), void *arg)
{
	struct ch_store *cs = C(s);
	/* Sources that still have rows: a committed one without any was replaced (as in SQLite). */
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT DISTINCT source_id FROM seg WHERE (period_id, source_id) %sNOT IN"
		" (SELECT period_id, victim FROM retired WHERE by_source IN %s) ORDER BY source_id FORMAT RowBinary",
		cs->global, cs->committed);
	int rc = ch_run_buf(cs, "scan sources", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	size_t nlive = cs->q.n / 8;
	int64_t *live = xcalloc(nlive ? nlive : 1, sizeof *live);
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	for (size_t i = 0; i < nlive; i++)
		live[i] = rd_i64(&r);
	int out = 0;
	if (run(cs, "scan sources",
		"SELECT id, kind, path, sha256, bytes, batch, ingested_at, rows_total, rows_accepted, rows_rejected,"
		" billed, effective, list, contracted, consumed, pricing, extras, warnings, status, min_day, max_day"
		" FROM source FINAL WHERE status != 'pending' ORDER BY id FORMAT RowBinary") < 0) {
		free(live);
		return -1;
	}
	r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
	size_t li = 0;
	while (r.p < r.end && !r.bad && !out) {
		struct source_rec x = { 0 };
		char *str[7];
		size_t n;
		const char *p;
		x.id = rd_i64(&r);
		for (int i = 0; i < 2; i++) {
			p = rd_str(&r, &n);
			str[i] = xstrndup(p, n);
		}
		p = rd_str(&r, &n);
		snprintf(x.sha256, sizeof x.sha256, "%.*s", (int)(n < 64 ? n : 64), p);
		x.bytes = rd_u64(&r);
		x.batch = rd_i64(&r);
		p = rd_str(&r, &n);
		str[2] = xstrndup(p, n);
		x.rows_total = rd_u64(&r);
		x.rows_accepted = rd_u64(&r);
		x.rows_rejected = rd_u64(&r);
		for (int a = 0; a < FA__COUNT; a++)
			x.total[a] = rd_money(&r);
		for (int i = 3; i < 6; i++) {
			p = rd_str(&r, &n);
			str[i] = xstrndup(p, n);
		}
		x.min_day = rd_i64(&r);
		x.max_day = rd_i64(&r);
		x.kind = str[0];
		x.path = str[1];
		x.ingested_at = str[2];
		x.extras_json = *str[3] ? str[3] : NULL;
		x.warnings_json = *str[4] ? str[4] : NULL;
		x.status = str[5];
		while (li < nlive && live[li] < x.id)
			li++;
		/* Only FOCUS and LLM usage sources have rows a restatement can take away. */
		if (!strcmp(x.status, "active") && x.rows_accepted > 0 && !(li < nlive && live[li] == x.id) &&
		    (!strcmp(x.kind, "focus") || !strcmp(x.kind, "llm")))
			x.status = "replaced";
		if (!r.bad)
			out = cb(arg, &x);
		for (int i = 0; i < 6; i++)
			free(str[i]);
	}
	free(live);
	if (r.bad)
		return bad_reply(cs, "scan sources");
	return out;
}

static int ch_reject_add(struct store *s, int64_t sid, uint64_t line, uint32_t col, const char *column, const char *why)
{
	int err = 0;
	struct chbuf *b = ch_wbuf(C(s), T_REJECT, &err);
	rb_i64(b, sid);
	rb_u64(b, line);
	rb_u32(b, col);
	rb_str(b, column ? column : "", column ? strlen(column) : 0);
	rb_str(b, why ? why : "", why ? strlen(why) : 0);
	return err ? -1 : 0;
}

/* ---- dictionaries --------------------------------------------------------------- */

static int ch_tagset_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, size_t), void *arg)
{
	struct ch_store *cs = C(s);
	if (run(cs, "scan tag sets", "SELECT id, json FROM tagset ORDER BY id FORMAT RowBinary") < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int out = 0;
	/* The callback gets a NUL-terminated copy: SQLite's text columns are. */
	struct chbuf tmp = { 0 };
	while (r.p < r.end && !r.bad && !out) {
		uint32_t id = rd_u32(&r);
		size_t n;
		const char *p = rd_str(&r, &n);
		tmp.n = 0;
		chbuf_put(&tmp, p, n);
		chbuf_put(&tmp, "", 1);
		if (!r.bad)
			out = cb(arg, id, (const char *)tmp.p, n);
	}
	chbuf_free(&tmp);
	return r.bad ? bad_reply(cs, "scan tag sets") : out;
}

static int ch_tagset_add(struct store *s, const char *json, size_t n, uint32_t *id)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_TAGSET, &err);
	if (fresh(cs) < 0)
		return -1;
	*id = cs->next_tagset++;
	rb_u32(b, *id);
	rb_str(b, json, n);
	return err ? -1 : 0;
}

static int ch_line_scan(struct store *s, int (*cb)(void *, uint32_t, uint32_t, const char *, size_t), void *arg)
{
	struct ch_store *cs = C(s);
	if (run(cs, "scan lines", "SELECT id, tagset_id, vals FROM line ORDER BY id FORMAT RowBinary") < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int out = 0;
	while (r.p < r.end && !r.bad && !out) {
		uint32_t id = rd_u32(&r), ts = rd_u32(&r);
		size_t n;
		const char *p = rd_str(&r, &n);
		if (!r.bad)
			out = cb(arg, id, ts, p, n);
	}
	return r.bad ? bad_reply(cs, "scan lines") : out;
}

static int ch_line_add(struct store *s, uint32_t tagset, const char *vals, size_t n, uint32_t *id)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_LINE, &err);
	if (fresh(cs) < 0)
		return -1;
	*id = cs->next_line++;
	rb_u32(b, *id);
	rb_u32(b, tagset);
	rb_str(b, vals, n);
	return err ? -1 : 0;
}

static int ch_period_get(struct store *s, const char *prov, const char *acct, const char *start, uint32_t *id)
{
	struct ch_store *cs = C(s);
	if (fresh(cs) < 0)
		return -1;
	struct chbuf k = { 0 };
	period_key(&k, prov, acct, start);
	uint64_t hh = hash_bytes(k.p, k.n);
	if (!dict_get(&cs->periods, k.p, k.n, hh, id)) {
		*id = cs->next_period++;
		dict_put(&cs->periods, k.p, k.n, hh, *id);
		int err = 0;
		struct chbuf *b = ch_wbuf(cs, T_PERIOD, &err);
		rb_u32(b, *id);
		chbuf_put(b, k.p, k.n);
		if (err) {
			chbuf_free(&k);
			return -1;
		}
	}
	chbuf_free(&k);
	return 0;
}

/* ---- facts -------------------------------------------------------------------- */

static int ch_seg_add(struct store *s, int64_t sid, uint32_t pid, uint64_t first, uint32_t nrows, const void *blob,
		      size_t n)
{
	int err = 0;
	struct chbuf *b = ch_wbuf(C(s), T_SEG, &err);
	rb_i64(b, sid);
	rb_u32(b, pid);
	rb_u64(b, first);
	rb_u32(b, nrows);
	rb_str(b, blob, n);
	return err ? -1 : 0;
}

static int ch_daily_add(struct store *s, int64_t sid, const struct daily_rec *recs, size_t n)
{
	struct ch_store *cs = C(s);
	for (size_t i = 0; i < n; i++) {
		int err = 0;
		struct chbuf *b = ch_wbuf(cs, T_DAILY, &err);
		if (err)
			return -1;
		rb_i32(b, recs[i].day);
		rb_u32(b, recs[i].line_id);
		rb_i64(b, sid);
		rb_u32(b, recs[i].period_id);
		rb_u64(b, recs[i].n);
		for (int a = 0; a < FA__COUNT; a++)
			rb_money(b, recs[i].amt[a]);
	}
	return 0;
}

static int ch_restate(struct store *s, uint32_t pid, int64_t sid, int64_t batch, uint64_t *deleted)
{
	struct ch_store *cs = C(s);
	struct chbuf sql = { 0 };
	*deleted = 0;
	/* The visible (day, line, source) rows of this period from committed sources of other batches. */
	ch_sqlf(&sql,
		"SELECT source_id, count() FROM (SELECT day, line_id, source_id FROM daily WHERE period_id = %" PRIu32
		" AND source_id != %" PRId64 " AND source_id %sIN (SELECT id FROM source FINAL WHERE status != 'pending'"
		" AND batch != %" PRId64 ") AND %s GROUP BY day, line_id, source_id)"
		" GROUP BY source_id ORDER BY source_id FORMAT RowBinary",
		pid, sid, cs->global, batch, cs->visible);
	int rc = ch_run_buf(cs, "restate", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	while (r.p < r.end && !r.bad) {
		int64_t victim = rd_i64(&r);
		uint64_t cnt = rd_u64(&r);
		if (r.bad)
			break;
		*deleted += cnt;
		int err = 0;
		struct chbuf *b = ch_wbuf(cs, T_RETIRED, &err);
		if (err)
			return -1;
		rb_u32(b, pid);
		rb_i64(b, victim);
		rb_i64(b, sid);
	}
	return r.bad ? bad_reply(cs, "restate") : 0;
}

/* ---- reads ---------------------------------------------------------------------- */

/* Hand each (Int32 day, UInt32 id, Decimal sum) row of the reply in cs->q to cb, until cb returns non-zero. */
static int each_day_sum(struct ch_store *cs, const char *what, int (*cb)(void *, int32_t, uint32_t, money_t),
			void *arg)
{
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int out = 0;
	while (r.p < r.end && !r.bad && !out) {
		int32_t day = rd_i32(&r);
		uint32_t id = rd_u32(&r);
		money_t v = rd_money(&r);
		if (!r.bad)
			out = cb(arg, day, id, v);
	}
	return r.bad ? bad_reply(cs, what) : out;
}

static int ch_daily_scan(struct store *s, int32_t from, int32_t to, int amt,
			 int (*cb)(void *, int32_t, uint32_t, money_t), void *arg)
{
	struct ch_store *cs = C(s);
	struct chbuf sql = { 0 };
	if (amt < 0 || amt >= FA__COUNT)
		return error("%s: no amount column %d", s->path, amt);
	/* One row per (day, line, source), as SQLite keeps them: per-row scaling rounds the same. */
	ch_sqlf(&sql,
		"SELECT day, line_id, sum(%s) FROM daily WHERE day BETWEEN %" PRId32 " AND %" PRId32 " AND %s"
		" GROUP BY day, line_id, source_id FORMAT RowBinary",
		amt_col[amt], from, to, cs->visible);
	int rc = ch_run_buf(cs, "scan daily sums", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	return each_day_sum(cs, "scan daily sums", cb, arg);
}

/* Days since 1970-01-01 <-> civil dates (proleptic Gregorian; H. Hinnant's algorithms). */
static void civil(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	int32_t doe = z - era * 146097;
	int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int32_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static int32_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int32_t era = (y >= 0 ? y : y - 399) / 400;
	int32_t yoe = y - era * 400;
	int32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int32_t month_start(int32_t day)
{
	int y, m, d;
	civil(day, &y, &m, &d);
	return days_from_civil(y, m, 1);
}

static int32_t next_month(int32_t day)
{
	int y, m, d;
	civil(day, &y, &m, &d);
	return m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
}

/*
 * Sums per (bucket, class of lines) in ClickHouse. Months and whole ranges
 * read the whole months inside [from, to] from `monthly` and only the
 * partial months at the edges from `daily`. The (line, class) pairs go to
 * the server as an external table (`lmap`, RowBinary in a multipart form;
 * 18.16 has this), the sums are joined to it and grouped by (bucket,
 * class) there, so a report over 100M rows gets back its report rows, not
 * a row per line and bucket. Each part groups first, on the shards in the
 * Distributed layout (GLOBAL JOIN ships the map to them).
 */
static int ch_daily_agg_cls(struct store *s, int32_t from, int32_t to, int amt, int grain, const uint32_t *line_ids,
			    const uint32_t *cls, size_t n, int (*cb)(void *, int32_t, uint32_t, money_t), void *arg)
{
	struct ch_store *cs = C(s);
	char b[200], bm[64];
	if (amt < 0 || amt >= FA__COUNT)
		return error("%s: no amount column %d", s->path, amt);
	int in_range = from >= 0 && to <= 65535 && from <= to;
	if (grain == STORE_GRAIN_MONTH && !in_range)
		grain = STORE_GRAIN_DAY;
	switch (grain) {
	case STORE_GRAIN_ALL:
		snprintf(b, sizeof b, "toInt32(%" PRId32 ")", from);
		snprintf(bm, sizeof bm, "toInt32(%" PRId32 ")", from);
		break;
	case STORE_GRAIN_WEEK:
		snprintf(b, sizeof b, "toInt32(day - ((day + 3) %% 7 + 7) %% 7)");
		break;
	case STORE_GRAIN_MONTH:
		snprintf(b, sizeof b, MONTH_OF("day"));
		snprintf(bm, sizeof bm, "month");
		break;
	default:
		snprintf(b, sizeof b, "day");
	}
	int32_t m1 = 0, m2 = -1;
	if ((cs->tables & (1u << A_MONTHLY)) && in_range && (grain == STORE_GRAIN_MONTH || grain == STORE_GRAIN_ALL)) {
		m1 = month_start(from) == from ? from : next_month(from);
		m2 = next_month(to) == to + 1 ? month_start(to) : month_start(month_start(to) - 1);
	}
	struct chbuf sql = { 0 }, map = { 0 };
	const char *col = amt_col[amt], *g = cs->global;
	if (m1 > m2) {
		ch_sqlf(&sql,
			"SELECT %s AS b, cls, sum(%s) FROM daily %sANY INNER JOIN lmap USING line_id WHERE day BETWEEN %" PRId32
			" AND %" PRId32 " AND %s GROUP BY b, cls FORMAT RowBinary",
			b, col, g, from, to, cs->visible);
	} else {
		int32_t e1 = next_month(m2);
		ch_sqlf(&sql,
			"SELECT b, cls, sum(v) FROM (SELECT %s AS b, cls, sum(%s) AS v FROM monthly %sANY INNER JOIN lmap"
			" USING line_id WHERE month BETWEEN %" PRId32 " AND %" PRId32 " AND %s GROUP BY b, cls",
			bm, col, g, m1, m2, cs->visible);
		if (from < m1 || e1 <= to)
			ch_sqlf(&sql,
				" UNION ALL SELECT %s AS b, cls, sum(%s) AS v FROM daily %sANY INNER JOIN lmap USING line_id"
				" WHERE (day BETWEEN %" PRId32 " AND %" PRId32 " OR day BETWEEN %" PRId32 " AND %" PRId32 ") AND %s"
				" GROUP BY b, cls",
				b, col, g, from, m1 - 1, e1, to, cs->visible);
		ch_sqlf(&sql, ") GROUP BY b, cls FORMAT RowBinary");
	}
	for (size_t i = 0; i < n; i++) {
		rb_u32(&map, line_ids[i]);
		rb_u32(&map, cls[i]);
	}
	cs->q.n = 0;
	int rc = chhttp_run_ext(cs->h, "aggregate daily sums", (const char *)sql.p, "lmap", "line_id UInt32, cls UInt32",
				&map, &cs->q);
	chbuf_free(&sql);
	chbuf_free(&map);
	if (rc < 0)
		return -1;
	return each_day_sum(cs, "aggregate daily sums", cb, arg);
}

/*
 * The first and last day with visible rows. A scan of every row's
 * visibility is the slow way; the edges of the table almost always hold
 * visible rows, which the sorting key (day first) finds at once.
 */
static int ch_day_range(struct store *s, int32_t *min, int32_t *max)
{
	struct ch_store *cs = C(s);
	struct chbuf sql = { 0 };
	if (run(cs, "day range", "SELECT min(day), max(day), count() FROM daily FORMAT RowBinary") < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int32_t lo = rd_i32(&r), hi = rd_i32(&r);
	uint64_t n = rd_u64(&r);
	if (r.bad)
		return bad_reply(cs, "day range");
	if (!n)
		return 0;
	ch_sqlf(&sql,
		"SELECT (SELECT count() FROM daily WHERE day = %" PRId32 " AND %s), (SELECT count() FROM daily WHERE day = %" PRId32
		" AND %s) FORMAT RowBinary",
		lo, cs->visible, hi, cs->visible);
	int rc = ch_run_buf(cs, "day range", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
	uint64_t a = rd_u64(&r), z = rd_u64(&r);
	if (r.bad)
		return bad_reply(cs, "day range");
	if (!a || !z) {
		ch_sqlf(&sql, "SELECT min(day), max(day), count() FROM daily WHERE %s FORMAT RowBinary", cs->visible);
		rc = ch_run_buf(cs, "day range", &sql);
		chbuf_free(&sql);
		if (rc < 0)
			return -1;
		r = (struct rbin){ cs->q.p, cs->q.p + cs->q.n, 0 };
		lo = rd_i32(&r);
		hi = rd_i32(&r);
		n = rd_u64(&r);
		if (r.bad)
			return bad_reply(cs, "day range");
		if (!n)
			return 0;
	}
	*min = lo;
	*max = hi;
	return 1;
}

/* ---- LLM usage: the reconciliation guard ------------------------------------------ */

/* The LLM ingest's reconciliation guard: the first visible day of line in [from, to] billed by a `kind` source. */
static int ch_line_billed(struct store *s, uint32_t line, int32_t from, int32_t to, const char *kind, int64_t *sid,
			  int32_t *day)
{
	struct ch_store *cs = C(s);
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT source_id, day FROM daily WHERE line_id = %" PRIu32 " AND day BETWEEN %" PRId32 " AND %" PRId32
		" AND source_id %sIN (SELECT id FROM source FINAL WHERE kind = ",
		line, from, to, cs->global);
	ch_sql_str(&sql, kind);
	ch_sqlf(&sql, " AND status = 'active') AND %s ORDER BY day, source_id LIMIT 1 FORMAT RowBinary", cs->visible);
	int rc = ch_run_buf(cs, "reconcile LLM usage", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	if (!cs->q.n)
		return 0;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	*sid = rd_i64(&r);
	*day = rd_i32(&r);
	return r.bad ? bad_reply(cs, "reconcile LLM usage") : 1;
}
/* ---- the ledger's version (aicost serve) -------------------------------------------- */

/*
 * Every commit writes a source row with a new version, or an alert commit
 * row; deliveries write state rows. Their maxima and counts change with
 * every commit.
 */
static int ch_version_op(struct store *s, char *out, size_t n)
{
	struct ch_store *cs = C(s);
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT (SELECT max(ver) FROM source), (SELECT count() FROM source)");
	if (cs->tables & (1u << A_ALERT))
		ch_sqlf(&sql, ", (SELECT count() FROM alert_commit), (SELECT max(ver) FROM alert_delivery)");
	else
		ch_sqlf(&sql, ", toUInt64(0), toUInt64(0)");
	ch_sqlf(&sql, " FORMAT RowBinary");
	int rc = ch_run_buf(cs, "read the ledger's version", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	uint64_t v[4];
	for (int i = 0; i < 4; i++)
		v[i] = rd_u64(&r);
	if (r.bad)
		return bad_reply(cs, "read the ledger's version");
	snprintf(out, n, "ch.%" PRIx64 ".%" PRIx64 ".%" PRIx64 ".%" PRIx64, v[0], v[1], v[2], v[3]);
	return 0;
}

/* ---- open and close ----------------------------------------------------------------- */

static void ch_close(struct store *s)
{
	struct ch_store *cs = C(s);
	if (cs->in_tx)
		ch_rollback(s);
	for (int t = 0; t < T__COUNT; t++)
		chbuf_free(&cs->buf[t]);
	chbuf_free(&cs->q);
	pend_clear(cs);
	dict_release(&cs->periods);
	ch_gpu_reset(cs);
	ch_alert_reset(cs);
	chhttp_free(cs->h);
	free(cs->db);
	free(cs->cluster);
	free(cs->committed);
	free(cs->visible);
	free(s->path);
	free(cs);
}

static const struct store_ops ch_ops = {
	.close = ch_close, .begin = ch_begin, .commit = ch_commit, .rollback = ch_rollback,
	.source_find = ch_source_find, .source_has_size = ch_source_has_size, .source_add = ch_source_add,
	.source_update = ch_source_update, .source_scan = ch_source_scan, .reject_add = ch_reject_add,
	.tagset_scan = ch_tagset_scan, .tagset_add = ch_tagset_add, .line_scan = ch_line_scan, .line_add = ch_line_add,
	.period_get = ch_period_get, .seg_add = ch_seg_add, .daily_add = ch_daily_add, .restate = ch_restate,
	.daily_scan = ch_daily_scan, .day_range = ch_day_range,
	.gpu_device_get = ch_gpu_device_get, .gpu_labels_get = ch_gpu_labels_get, .gpu_device_scan = ch_gpu_device_scan,
	.gpu_labels_scan = ch_gpu_labels_scan, .gpu_daily_put = ch_gpu_daily_put, .gpu_cover_get = ch_gpu_cover_get,
	.gpu_daily_scan = ch_gpu_daily_scan,
	.metric_add = ch_metric_add, .metric_scan = ch_metric_scan, .metric_names = ch_metric_names,
	.line_billed = ch_line_billed,
	.alert_init = ch_alert_init, .alert_add = ch_alert_add, .outbox_pending = ch_outbox_pending,
	.outbox_claim = ch_outbox_claim, .outbox_result = ch_outbox_result,
	.gpu_hourly_put = ch_gpu_hourly_put, .gpu_hourly_scan = ch_gpu_hourly_scan,
	.llm_stat_put = ch_llm_stat_put, .llm_stat_scan = ch_llm_stat_scan,
	/* ---- scale-out: ClickHouse ---- */
	.daily_agg_cls = ch_daily_agg_cls, .version = ch_version_op,
};

int store_is_clickhouse_url(const char *path)
{
	return path && strncmp(path, "clickhouse://", 13) == 0;
}

int ch_create(struct ch_store *cs, const char *const *ddl)
{
	struct chbuf sql = { 0 };
	int rc = 0;
	for (; *ddl && rc == 0; ddl++) {
		sql.n = 0;
		ch_sqlf(&sql, "CREATE TABLE IF NOT EXISTS %s", *ddl);
		rc = ch_run_buf(cs, "create tables", &sql);
	}
	chbuf_free(&sql);
	return rc;
}

/* Letters, digits and '_', not starting with a digit: safe as an SQL identifier. */
static int ident_ok(const char *s, size_t n)
{
	if (!n || n > 64 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      s[i] == '_'))
			return 0;
	return 1;
}

/*
 * The materialized view daily -> monthly on one node (names with their
 * _local suffix on a shard), and the months of rows daily already held
 * before the view existed (a ledger an older aicost wrote): one writer at
 * a time, so nothing is inserted between the two.
 */
static int create_monthly_view(struct chhttp *h, const char *sfx)
{
	struct chbuf sql = { 0 }, out = { 0 };
	char mv[32], mo[32], da[32];
	snprintf(mv, sizeof mv, "monthly_mv%s", sfx);
	snprintf(mo, sizeof mo, "monthly%s", sfx);
	snprintf(da, sizeof da, "daily%s", sfx);
	ch_sqlf(&sql, "SELECT (SELECT count() FROM %s), (SELECT count() FROM %s) FORMAT RowBinary", mo, da);
	int rc = chhttp_run(h, "create tables", (const char *)sql.p, NULL, &out, 1);
	struct rbin r = { out.p, out.p + out.n, 0 };
	uint64_t nm = rd_u64(&r), nd = rd_u64(&r);
	if (rc == 0) {
		sql.n = 0;
		ch_sqlf(&sql, monthly_mv, mv, mo, da);
		rc = chhttp_run(h, "create tables", (const char *)sql.p, NULL, &out, 1);
	}
	if (rc == 0 && !r.bad && nm == 0 && nd > 0) {
		sql.n = 0;
		ch_sqlf(&sql, "INSERT INTO %s ", mo);
		const char *sel = strstr(monthly_mv, " AS SELECT ") + 4;
		ch_sqlf(&sql, sel, da);
		rc = chhttp_run(h, "fill monthly sums", (const char *)sql.p, NULL, &out, 1);
	}
	chbuf_free(&sql);
	chbuf_free(&out);
	return rc;
}

/*
 * The Distributed layout: the fact tables' local parts (NAME_local) on every
 * node of the cluster, reached over HTTP at the same port as the node in the
 * URL (clusters use one port everywhere), then the Distributed tables here.
 */
static int create_sharded(struct ch_store *cs, const char *port)
{
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT DISTINCT host_address FROM system.clusters WHERE cluster = '%s' ORDER BY host_address"
		      " FORMAT RowBinary", cs->cluster);
	cs->q.n = 0;
	int rc = chhttp_run(cs->h, "read the cluster", (const char *)sql.p, NULL, &cs->q, 0);
	struct chbuf hosts = { 0 };
	chbuf_put(&hosts, cs->q.p, cs->q.n);
	struct rbin r = { hosts.p, hosts.p + hosts.n, 0 };
	if (rc == 0 && !hosts.n)
		rc = error("%s: the server has no cluster '%s' (remote_servers in its config)", cs->base.path, cs->cluster);
	while (rc == 0 && r.p < r.end && !r.bad) {
		size_t n;
		const char *addr = rd_str(&r, &n);
		if (r.bad)
			break;
		int ok = n > 0 && n < 100;
		for (size_t i = 0; ok && i < n; i++)
			ok = (addr[i] >= '0' && addr[i] <= '9') || (addr[i] >= 'a' && addr[i] <= 'f') ||
			     (addr[i] >= 'A' && addr[i] <= 'F') || addr[i] == '.' || addr[i] == ':';
		if (!ok) {
			rc = ch_bad_reply(cs, "read the cluster");
			break;
		}
		char base[160];
		snprintf(base, sizeof base, memchr(addr, ':', n) ? "http://[%.*s]:%s/" : "http://%.*s:%s/", (int)n, addr,
			 port);
		struct chhttp *node = chhttp_new(base, cs->db, cs->base.path);
		if (!node) {
			rc = -1;
			break;
		}
		sql.n = 0;
		ch_sqlf(&sql, "CREATE DATABASE IF NOT EXISTS %s", cs->db);
		struct chbuf out = { 0 };
		rc = chhttp_run(node, "create database on a shard", (const char *)sql.p, NULL, &out, 0);
		for (size_t i = 0; rc == 0 && i < sizeof core_schema / sizeof core_schema[0]; i++) {
			const struct ch_ddl *d = &core_schema[i];
			if (!d->shard_key)
				continue;
			sql.n = 0;
			ch_sqlf(&sql, "CREATE TABLE IF NOT EXISTS %s_local(%s) ENGINE = %s", d->name, d->cols, d->engine);
			out.n = 0;
			rc = chhttp_run(node, "create tables on a shard", (const char *)sql.p, NULL, &out, 1);
		}
		if (rc == 0)
			rc = create_monthly_view(node, "_local");
		chbuf_free(&out);
		chhttp_free(node);
	}
	if (rc == 0 && r.bad)
		rc = ch_bad_reply(cs, "read the cluster");
	chbuf_free(&hosts);
	chbuf_free(&sql);
	return rc;
}

static int create_schema(struct ch_store *cs, const char *port)
{
	struct chbuf sql = { 0 };
	/* A writer must know the layout: one without ?cluster would add single-node tables to a sharded ledger. */
	ch_sqlf(&sql, "SELECT engine FROM system.tables WHERE database = '%s' AND name = 'daily' FORMAT RowBinary", cs->db);
	cs->q.n = 0;
	int rc = chhttp_run(cs->h, "open", (const char *)sql.p, NULL, &cs->q, 0);
	if (rc == 0 && !cs->cluster && cs->q.n == 12 && !memcmp(cs->q.p + 1, "Distributed", 11))
		rc = error("%s: this ledger is sharded (Distributed tables): writers name its cluster (?cluster=NAME)",
			   cs->base.path);
	sql.n = 0;
	ch_sqlf(&sql, "CREATE DATABASE IF NOT EXISTS %s", cs->db);
	if (rc == 0)
		rc = chhttp_run(cs->h, "create database", (const char *)sql.p, NULL, &cs->q, 0);
	if (rc == 0 && cs->cluster)
		rc = create_sharded(cs, port);
	for (size_t i = 0; rc == 0 && i < sizeof core_schema / sizeof core_schema[0]; i++) {
		const struct ch_ddl *d = &core_schema[i];
		sql.n = 0;
		if (cs->cluster && d->shard_key)
			ch_sqlf(&sql, "CREATE TABLE IF NOT EXISTS %s(%s) ENGINE = Distributed(%s, %s, %s_local, %s)", d->name,
				d->cols, cs->cluster, cs->db, d->name, d->shard_key);
		else
			ch_sqlf(&sql, "CREATE TABLE IF NOT EXISTS %s(%s) ENGINE = %s", d->name, d->cols, d->engine);
		rc = ch_run_buf(cs, "create tables", &sql);
	}
	chbuf_free(&sql);
	if (rc == 0 && !cs->cluster)
		rc = create_monthly_view(cs->h, "");
	if (rc == 0)
		rc = ch_create(cs, ch_gpu_schema);
	if (rc == 0)
		rc = ch_create(cs, ch_metrics_schema);
	if (rc == 0)
		rc = ch_create(cs, ch_recommend_schema);
	if (rc == 0)
		rc = ch_create(cs, ch_alerts_schema);
	if (rc == 0)
		rc = run(cs, "read schema version", "SELECT count() FROM meta FORMAT RowBinary");
	if (rc == 0) {
		struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
		if (rd_u64(&r) == 0)
			rc = run(cs, "create tables", "INSERT INTO meta VALUES ('schema_version', 'ch1')");
	}
	return rc;
}

/*
 * Which tables exist: a ledger needs `retired` (the last core table); the
 * areas added later may be missing in one an older aicost wrote, and read
 * as empty. A Distributed `daily` means the sharded layout, whatever the URL
 * says, so the visibility filters go GLOBAL.
 */
static int read_tables(struct ch_store *cs)
{
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT name, engine FROM system.tables WHERE database = '%s' FORMAT RowBinary", cs->db);
	cs->q.n = 0;
	int rc = chhttp_run(cs->h, "open", (const char *)sql.p, NULL, &cs->q, 0);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	static const char *const area[] = { [A_GPU] = "gpu_daily", [A_METRIC] = "metric", [A_RECOMMEND] = "llm_stat",
					    [A_ALERT] = "alert_delivery", [A_MONTHLY] = "monthly" };
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int core = 0, dist = 0;
	while (r.p < r.end && !r.bad) {
		size_t n, en;
		const char *name = rd_str(&r, &n), *eng = rd_str(&r, &en);
		if (r.bad)
			break;
		if (n == 7 && !memcmp(name, "retired", 7))
			core = 1;
		if (n == 5 && !memcmp(name, "daily", 5) && en == 11 && !memcmp(eng, "Distributed", 11))
			dist = 1;
		for (unsigned i = 0; i < sizeof area / sizeof area[0]; i++)
			if (strlen(area[i]) == n && !memcmp(area[i], name, n))
				cs->tables |= 1u << i;
	}
	if (r.bad)
		return ch_bad_reply(cs, "open");
	if (!core)
		return error("%s: not an aicost ledger, or empty (run 'aicost ingest focus FILE' first)", cs->base.path);
	cs->global = dist ? "GLOBAL " : "";
	if (dist)
		chhttp_set_settings(cs->h, "&insert_distributed_sync=1");
	struct chbuf b = { 0 };
	ch_sqlf(&b, "(SELECT id FROM source FINAL WHERE status != 'pending')");
	cs->committed = (char *)b.p;
	b = (struct chbuf){ 0 };
	/* Rows count when their source is committed and their (period, source) was not retired by a committed source. */
	ch_sqlf(&b,
		"source_id %sIN %s AND (period_id, source_id) %sNOT IN"
		" (SELECT period_id, victim FROM retired WHERE by_source IN %s)",
		cs->global, cs->committed, cs->global, cs->committed);
	cs->visible = (char *)b.p;
	return 0;
}

struct store *store_clickhouse_open(const char *url, int create)
{
	const char *hp = url + 13, *slash = strchr(hp, '/');
	const char *db = slash ? slash + 1 : "";
	size_t hn = slash ? (size_t)(slash - hp) : strlen(hp);
	if (!hn || hn > 255) {
		error("%s: expected clickhouse://HOST:PORT/DATABASE[?cluster=NAME]", url);
		return NULL;
	}
	/* Host and port only: no credentials, paths or queries in this URL form. */
	for (size_t i = 0; i < hn; i++)
		if (!((hp[i] >= '0' && hp[i] <= '9') || (hp[i] >= 'a' && hp[i] <= 'z') || (hp[i] >= 'A' && hp[i] <= 'Z') ||
		      hp[i] == '.' || hp[i] == '-' || hp[i] == ':' || hp[i] == '[' || hp[i] == ']')) {
			error("%s: expected clickhouse://HOST:PORT/DATABASE (the host may not contain '%c')", url, hp[i]);
			return NULL;
		}
	const char *qm = strchr(db, '?');
	size_t dn = qm ? (size_t)(qm - db) : strlen(db);
	if (!ident_ok(db, dn)) {
		error("%s: the database name must be letters, digits and '_' (clickhouse://HOST:PORT/DATABASE)", url);
		return NULL;
	}
	const char *cluster = NULL;
	size_t cn = 0;
	if (qm) {
		cluster = qm + 1;
		cn = strlen(cluster);
		if (strncmp(cluster, "cluster=", 8) != 0 || !ident_ok(cluster + 8, cn - 8)) {
			error("%s: the only URL parameter is ?cluster=NAME (letters, digits and '_')", url);
			return NULL;
		}
		cluster += 8;
		cn -= 8;
	}
	char base[300], port[8] = "8123";
	/* A port follows the last ':' after any [IPv6] bracket. */
	const char *rb = memchr(hp, ']', hn), *after = rb ? rb + 1 : hp;
	const char *colon = memchr(after, ':', hn - (size_t)(after - hp));
	if (colon) {
		size_t pn = hn - (size_t)(colon + 1 - hp);
		int ok = pn > 0 && pn < sizeof port;
		for (size_t i = 0; ok && i < pn; i++)
			ok = colon[1 + i] >= '0' && colon[1 + i] <= '9';
		if (!ok) {
			error("%s: expected clickhouse://HOST:PORT/DATABASE (the port is a number)", url);
			return NULL;
		}
		memcpy(port, colon + 1, pn);
		port[pn] = 0;
	}
	snprintf(base, sizeof base, "http://%.*s%s/", (int)hn, hp, colon ? "" : ":8123");
	struct ch_store *cs = xcalloc(1, sizeof *cs);
	cs->base.ops = &ch_ops;
	cs->base.path = xstrdup(url);
	cs->db = xstrndup(db, dn);
	cs->cluster = cluster ? xstrndup(cluster, cn) : NULL;
	cs->global = "";
	dict_init(&cs->periods);
	cs->h = chhttp_new(base, cs->db, url);
	if (!cs->h)
		goto fail;
	if (create && create_schema(cs, port) < 0)
		goto fail;
	if (read_tables(cs) < 0 || load_state(cs) < 0)
		goto fail;
	return &cs->base;
fail:
	ch_close(&cs->base);
	return NULL;
}
