/*
 * clickhouse_metrics.c - business metrics in the ClickHouse ledger (the
 * "LLM usage and business metrics" area of store.h; the SQLite one is
 * sqlite_metrics.c).
 *
 *   metric  MergeTree ORDER BY (metric, day, dims, source_id): every value
 *           as ingested, exact (Decimal(38,18)).
 *
 * SQLite resolves "within one source equal keys add up; a later source
 * replaces the value" when it writes; here rows are only appended and the
 * rule is applied when read, inside ClickHouse: per (day, dims) the sum of
 * the rows of the newest committed source that has the key
 * (argMax over per-source sums). Source ids grow with ingest order, so
 * "newest" is the largest id, as SQLite's write order.
 *
 * The metric name comes from the command line: it reaches SQL only as a
 * hex literal (ch_sql_str), never as text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "store/clickhouse_int.h"
#include "util/err.h"

const char *const ch_metrics_schema[] = {
	"metric(metric String, day Int32, dims String, source_id Int64, value Decimal(38,18))"
	" ENGINE = MergeTree ORDER BY (metric, day, dims, source_id)",
	NULL,
};

static struct ch_store *C(struct store *s) { return (struct ch_store *)s; }

int ch_metric_add(struct store *s, int64_t source_id, int32_t day, const char *metric, const char *dims, money_t value)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_METRIC, &err);
	rb_str(b, metric, strlen(metric));
	rb_i32(b, day);
	rb_str(b, dims ? dims : "", dims ? strlen(dims) : 0);
	rb_i64(b, source_id);
	rb_money(b, value);
	return err ? -1 : 0;
}

int ch_metric_scan(struct store *s, const char *metric, int32_t from, int32_t to,
		   int (*cb)(void *, int32_t, const char *, money_t), void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_METRIC)))
		return 0;
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT day, dims, argMax(v, source_id) FROM (SELECT day, dims, source_id, sum(value) AS v"
		      " FROM metric WHERE metric = ");
	ch_sql_str(&sql, metric);
	ch_sqlf(&sql,
		" AND day BETWEEN %" PRId32 " AND %" PRId32 " AND source_id IN %s GROUP BY day, dims, source_id)"
		" GROUP BY day, dims ORDER BY day, dims FORMAT RowBinary",
		from, to, cs->committed);
	int rc = ch_run_buf(cs, "scan metrics", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	struct chbuf dims = { 0 };
	int out = 0;
	while (r.p < r.end && !r.bad && !out) {
		int32_t day = rd_i32(&r);
		size_t n;
		const char *p = rd_str(&r, &n);
		money_t v = rd_money(&r);
		if (r.bad)
			break;
		dims.n = 0;
		chbuf_put(&dims, p, n);
		chbuf_put(&dims, "", 1);
		out = cb(arg, day, (const char *)dims.p, v);
	}
	chbuf_free(&dims);
	return r.bad ? ch_bad_reply(cs, "scan metrics") : out;
}

int ch_metric_names(struct store *s, int (*cb)(void *, const char *), void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_METRIC)))
		return 0;
	struct chbuf sql = { 0 };
	ch_sqlf(&sql, "SELECT DISTINCT metric FROM metric WHERE source_id IN %s ORDER BY metric FORMAT RowBinary",
		cs->committed);
	int rc = ch_run_buf(cs, "list metrics", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	struct chbuf name = { 0 };
	int out = 0;
	while (r.p < r.end && !r.bad && !out) {
		size_t n;
		const char *p = rd_str(&r, &n);
		if (r.bad)
			break;
		name.n = 0;
		chbuf_put(&name, p, n);
		chbuf_put(&name, "", 1);
		out = cb(arg, (const char *)name.p);
	}
	chbuf_free(&name);
	return r.bad ? ch_bad_reply(cs, "list metrics") : out;
}
