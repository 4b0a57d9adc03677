/*
 * clickhouse_recommend.c - what `aicost recommend` needs beyond the bill and
 * the daily GPU rollups, in the ClickHouse ledger (the "recommend" area of
 * store.h; the SQLite one is sqlite_recommend.c):
 *
 *   gpu_hourly  ReplacingMergeTree(ver), key (day, device, labels, source):
 *               utilisation by UTC hour as two Array(Float32) of 24,
 *               written beside each gpu_daily rollup (rewritten, as a newer
 *               version, by a live collector).
 *   llm_stat    ReplacingMergeTree(ver), key (day, provider, model, sub
 *               account, tags, source): a request log's statistics as
 *               columns (counters, per-direction and per-hour arrays, the
 *               size-class cells as parallel arrays), so they can be
 *               queried in ClickHouse and need no private blob format.
 *
 * Both count only once their source is committed; llm_stat follows its
 * source's status as in SQLite (a source a restatement replaced entirely
 * no longer counts). Reads use FINAL with key-column filters only (see
 * clickhouse_gpu.c).
 *
 * Ownership: strings and cells handed to callbacks live until it returns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "store/clickhouse_int.h"
#include "util/err.h"

const char *const ch_recommend_schema[] = {
	"gpu_hourly(day Int32, device_id UInt32, labels_id UInt32, source_id Int64, covered_s Array(Float32),"
	" util_s Array(Float32), ver UInt64)"
	" ENGINE = ReplacingMergeTree(ver) PARTITION BY intDiv(day, 100) ORDER BY (day, device_id, labels_id, source_id)",
	"llm_stat(day Int32, provider String, model String, sub_account String, tags String, source_id Int64,"
	" requests UInt64, streamed UInt64, stream_known UInt64, with_user UInt64, batch_tier UInt64, hashed UInt64,"
	" dup_requests UInt64, dup_tok Array(UInt64), prefixed UInt64, prefix_repeat UInt64,"
	" prefix_repeat_tokens UInt64, prefix_first_tokens UInt64, hour Array(UInt64), cell_in Array(UInt8),"
	" cell_out Array(UInt8), cell_n Array(UInt64), cell_tok Array(UInt64), ver UInt64)"
	" ENGINE = ReplacingMergeTree(ver) PARTITION BY intDiv(day, 100)"
	" ORDER BY (day, provider, model, sub_account, tags, source_id)",
	NULL,
};

static struct ch_store *C(struct store *s) { return (struct ch_store *)s; }

/* ---- GPU hour profiles ------------------------------------------------------- */

int ch_gpu_hourly_put(struct store *s, const struct gpu_hourly_rec *r)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_GPU_HOURLY, &err);
	rb_i32(b, r->day);
	rb_u32(b, r->device_id);
	rb_u32(b, r->labels_id);
	rb_i64(b, r->source_id);
	rb_len(b, 24);
	for (int h = 0; h < 24; h++)
		rb_f32(b, r->covered_s[h]);
	rb_len(b, 24);
	for (int h = 0; h < 24; h++)
		rb_f32(b, r->util_s[h]);
	rb_u64(b, ch_version(cs));
	return err ? -1 : 0;
}

int ch_rd_gpu_hourly(struct rbin *r, struct gpu_hourly_rec *o)
{
	o->day = rd_i32(r);
	o->device_id = rd_u32(r);
	o->labels_id = rd_u32(r);
	o->source_id = rd_i64(r);
	if (rd_len(r, 24) != 24)
		r->bad = 1;
	for (int h = 0; h < 24 && !r->bad; h++)
		o->covered_s[h] = rd_f32(r);
	if (rd_len(r, 24) != 24)
		r->bad = 1;
	for (int h = 0; h < 24 && !r->bad; h++)
		o->util_s[h] = rd_f32(r);
	return r->bad ? -1 : 0;
}

int ch_gpu_hourly_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		       int (*cb)(void *, const struct gpu_hourly_rec *), void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_RECOMMEND)))
		return 0;
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT day, device_id, labels_id, source_id, covered_s, util_s FROM gpu_hourly FINAL"
		" WHERE day BETWEEN %" PRId32 " AND %" PRId32,
		from, to);
	if (source_id >= 0)
		ch_sqlf(&sql, " AND source_id = %" PRId64, source_id);
	ch_sqlf(&sql, " AND source_id IN %s ORDER BY day, device_id, labels_id, source_id FORMAT RowBinary",
		cs->committed);
	int rc = ch_run_buf(cs, "scan GPU hour profiles", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	int out = 0;
	struct gpu_hourly_rec rec;
	while (r.p < r.end && !out) {
		if (ch_rd_gpu_hourly(&r, &rec) < 0)
			return ch_bad_reply(cs, "scan GPU hour profiles");
		out = cb(arg, &rec);
	}
	return out;
}

/* ---- LLM request statistics -------------------------------------------------- */

/* The scalar counters in column order. */
#define STAT_HEAD(X) X(requests) X(streamed) X(stream_known) X(with_user) X(batch_tier) X(hashed) X(dup_requests)
#define STAT_TAIL(X) X(prefixed) X(prefix_repeat) X(prefix_repeat_tokens) X(prefix_first_tokens)

static void put_s(struct chbuf *b, const char *s)
{
	rb_str(b, s ? s : "", s ? strlen(s) : 0);
}

int ch_llm_stat_put(struct store *s, const struct llm_stat_rec *r)
{
	struct ch_store *cs = C(s);
	int err = 0;
	struct chbuf *b = ch_wbuf(cs, T_LLM_STAT, &err);
	rb_i32(b, r->day);
	put_s(b, r->provider);
	put_s(b, r->model);
	put_s(b, r->sub_account);
	put_s(b, r->tags);
	rb_i64(b, r->source_id);
#define PUT(f) rb_u64(b, r->f);
	STAT_HEAD(PUT)
	rb_len(b, LLM_STAT_DIRS);
	for (int d = 0; d < LLM_STAT_DIRS; d++)
		rb_u64(b, r->dup_tok[d]);
	STAT_TAIL(PUT)
#undef PUT
	rb_len(b, 24);
	for (int h = 0; h < 24; h++)
		rb_u64(b, r->hour[h]);
	rb_len(b, r->ncells);
	for (size_t i = 0; i < r->ncells; i++)
		rb_u8(b, r->cells[i].in_b);
	rb_len(b, r->ncells);
	for (size_t i = 0; i < r->ncells; i++)
		rb_u8(b, r->cells[i].out_b);
	rb_len(b, r->ncells);
	for (size_t i = 0; i < r->ncells; i++)
		rb_u64(b, r->cells[i].n);
	rb_len(b, r->ncells * LLM_STAT_DIRS);
	for (size_t i = 0; i < r->ncells; i++)
		for (int d = 0; d < LLM_STAT_DIRS; d++)
			rb_u64(b, r->cells[i].tok[d]);
	rb_u64(b, ch_version(cs));
	return err ? -1 : 0;
}

/* A String column as a NUL-terminated copy appended to strs; returns its offset. */
static size_t take_str(struct rbin *r, struct chbuf *strs)
{
	size_t n, off = strs->n;
	const char *p = rd_str(r, &n);
	chbuf_put(strs, p, n);
	chbuf_put(strs, "", 1);
	return off;
}

int ch_rd_llm_stat(struct rbin *r, struct llm_stat_rec *o, struct llm_stat_cell **cells, size_t *cap,
		   struct chbuf *strs)
{
	memset(o, 0, sizeof *o);
	strs->n = 0;
	o->day = rd_i32(r);
	size_t off[4];
	for (int i = 0; i < 4; i++)
		off[i] = take_str(r, strs);
	o->source_id = rd_i64(r);
#define GET(f) o->f = rd_u64(r);
	STAT_HEAD(GET)
	if (rd_len(r, LLM_STAT_DIRS) != LLM_STAT_DIRS)
		r->bad = 1;
	for (int d = 0; d < LLM_STAT_DIRS && !r->bad; d++)
		o->dup_tok[d] = rd_u64(r);
	STAT_TAIL(GET)
#undef GET
	if (rd_len(r, 24) != 24)
		r->bad = 1;
	for (int h = 0; h < 24 && !r->bad; h++)
		o->hour[h] = rd_u64(r);
	/* The four cell arrays have one length (tokens: LLM_STAT_DIRS per cell); rd_len bounds it by the reply. */
	uint64_t nc = rd_len(r, UINT32_MAX);
	if (!r->bad && nc > *cap) {
		*cap = (size_t)nc;
		*cells = xrealloc(*cells, *cap * sizeof **cells);
	}
	for (uint64_t i = 0; i < nc && !r->bad; i++)
		(*cells)[i].in_b = rd_u8(r);
	if (!r->bad && rd_len(r, nc) != nc)
		r->bad = 1;
	for (uint64_t i = 0; i < nc && !r->bad; i++)
		(*cells)[i].out_b = rd_u8(r);
	if (!r->bad && rd_len(r, nc) != nc)
		r->bad = 1;
	for (uint64_t i = 0; i < nc && !r->bad; i++)
		(*cells)[i].n = rd_u64(r);
	if (!r->bad && rd_len(r, nc * LLM_STAT_DIRS) != nc * LLM_STAT_DIRS)
		r->bad = 1;
	for (uint64_t i = 0; i < nc && !r->bad; i++)
		for (int d = 0; d < LLM_STAT_DIRS; d++)
			(*cells)[i].tok[d] = rd_u64(r);
	if (r->bad)
		return -1;
	const char *base = (const char *)strs->p;
	o->provider = base + off[0];
	o->model = base + off[1];
	o->sub_account = base + off[2];
	o->tags = base + off[3];
	o->cells = *cells;
	o->ncells = (size_t)nc;
	return 0;
}

int ch_llm_stat_scan(struct store *s, int32_t from, int32_t to, int (*cb)(void *, const struct llm_stat_rec *),
		     void *arg)
{
	struct ch_store *cs = C(s);
	if (!(cs->tables & (1u << A_RECOMMEND)))
		return 0;
	/*
	 * Sources SQLite would call active: committed, and not entirely replaced
	 * (a FOCUS or LLM source with accepted rows none of which remain).
	 */
	struct chbuf sql = { 0 };
	ch_sqlf(&sql,
		"SELECT day, provider, model, sub_account, tags, source_id, requests, streamed, stream_known, with_user,"
		" batch_tier, hashed, dup_requests, dup_tok, prefixed, prefix_repeat, prefix_repeat_tokens,"
		" prefix_first_tokens, hour, cell_in, cell_out, cell_n, cell_tok FROM llm_stat FINAL"
		" WHERE day BETWEEN %" PRId32 " AND %" PRId32 " AND source_id IN (SELECT id FROM"
		" (SELECT id, kind, rows_accepted FROM source FINAL WHERE status != 'pending')"
		" WHERE rows_accepted = 0 OR kind NOT IN ('focus', 'llm') OR id IN (SELECT DISTINCT source_id FROM seg"
		" WHERE (period_id, source_id) %sNOT IN (SELECT period_id, victim FROM retired WHERE by_source IN %s)))"
		" ORDER BY day, provider, model, sub_account, tags, source_id FORMAT RowBinary",
		from, to, cs->global, cs->committed);
	int rc = ch_run_buf(cs, "scan LLM request statistics", &sql);
	chbuf_free(&sql);
	if (rc < 0)
		return -1;
	struct rbin r = { cs->q.p, cs->q.p + cs->q.n, 0 };
	struct llm_stat_cell *cells = NULL;
	size_t cap = 0;
	struct chbuf strs = { 0 };
	int out = 0;
	struct llm_stat_rec rec;
	while (r.p < r.end && !out) {
		if (ch_rd_llm_stat(&r, &rec, &cells, &cap, &strs) < 0) {
			out = ch_bad_reply(cs, "scan LLM request statistics");
			break;
		}
		out = cb(arg, &rec);
	}
	free(cells);
	chbuf_free(&strs);
	return out;
}
