/*
 * fuzz_ch_rowbinary.c - the RowBinary reader the ClickHouse ledger uses on
 * server replies (store/clickhouse_http.c) and the row decoders of its
 * areas (GPU rollups and hour profiles, LLM request statistics, the alert
 * outbox), on arbitrary bytes: every row shape must stop at the end of the
 * buffer with `bad` set, never read past it, and never hand out more
 * cells than the reply holds; the core shapes (sources, lines, daily sums)
 * that read back whole must encode to the same bytes again.
 */
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include "store/clickhouse_int.h"

/* The area decoders: each row must stay inside the buffer. */
static void area_row(struct rbin *r, int kind)
{
	static struct llm_stat_cell *cells;
	static size_t cap;
	struct chbuf strs = { 0 };
	const unsigned char *start = r->p;
	if (kind == 0) {
		struct gpu_daily_rec g;
		ch_rd_gpu_daily(r, &g);
	} else if (kind == 1) {
		struct gpu_hourly_rec h;
		ch_rd_gpu_hourly(r, &h);
	} else if (kind == 2) {
		struct llm_stat_rec l;
		if (ch_rd_llm_stat(r, &l, &cells, &cap, &strs) == 0) {
			/* Each cell took at least 1 + 1 + 8 + 48 bytes of the reply. */
			if (l.ncells > (size_t)(r->p - start) / 58 || l.ncells > cap || !l.provider || !l.tags)
				abort();
			for (size_t i = 0; i < l.ncells; i++)
				if (l.cells[i].in_b != cells[i].in_b)
					abort();
		}
	} else {
		struct outbox_rec o;
		if (ch_rd_outbox(r, &o, &strs) == 0 && (!o.alert_id || !o.payload || o.attempts < 0))
			abort();
	}
	if (r->p > r->end)
		abort();
	chbuf_free(&strs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rbin r = { data, data + size, 0 };
	struct chbuf again = { 0 };
	/* A source-like row, then lines (u32, u32, String) and daily sums (i32, u32, Decimal128) to the end. */
	int64_t id = rd_i64(&r);
	rb_i64(&again, id);
	for (int i = 0; i < 3 && !r.bad; i++) {
		size_t n;
		const char *p = rd_str(&r, &n);
		if (!r.bad)
			rb_str(&again, p, n);
	}
	int whole = 1;
	while (r.p < r.end && !r.bad) {
		uint8_t shape = rd_u8(&r);
		if (r.bad)
			break;
		rb_u8(&again, shape);
		if (shape >= 0xf0) {   /* an area row: no re-encoding check */
			area_row(&r, shape & 3);
			whole = 0;
		} else if (shape & 1) {
			uint32_t a = rd_u32(&r), b = rd_u32(&r);
			size_t n;
			const char *p = rd_str(&r, &n);
			if (r.bad)
				break;
			rb_u32(&again, a);
			rb_u32(&again, b);
			rb_str(&again, p, n);
		} else {
			int32_t d = rd_i32(&r);
			uint64_t u = rd_u64(&r);
			money_t m = rd_money(&r);
			if (r.bad)
				break;
			rb_i32(&again, d);
			rb_u64(&again, u);
			rb_money(&again, m);
		}
	}
	/* Whole reads re-encode to the input (varint lengths are minimal only when the input's were). */
	if (whole && !r.bad && again.n == size && memcmp(again.p, data, size) != 0)
		abort();
	chbuf_free(&again);
	return 0;
}
