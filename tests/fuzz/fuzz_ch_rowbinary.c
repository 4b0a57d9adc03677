/*
 * fuzz_ch_rowbinary.c - the RowBinary reader the ClickHouse ledger uses on
 * server replies (store/clickhouse_http.c), on arbitrary bytes: the row
 * shapes the ledger reads (sources, lines, daily sums) must stop at the
 * end of the buffer with `bad` set, never read past it; what reads back
 * whole must encode to the same bytes again.
 */
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include "store/clickhouse_int.h"

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
	while (r.p < r.end && !r.bad) {
		uint8_t shape = rd_u8(&r);
		if (r.bad)
			break;
		rb_u8(&again, shape);
		if (shape & 1) {
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
	if (!r.bad && again.n == size && memcmp(again.p, data, size) != 0)
		abort();
	chbuf_free(&again);
	return 0;
}
