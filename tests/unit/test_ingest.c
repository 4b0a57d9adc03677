/*
 * test_ingest.c - the ledger reconciles with its sources to the last digit.
 *
 * The expected totals are computed here with an independent decimal adder
 * (digit strings, no money_t), so a bug in money.c cannot hide itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/ingest.h"
#include "formats/csv.h"
#include "formats/input.h"
#include "store/store.h"
#include "util/err.h"

/* ---- independent decimal sum: fixed 40 integer + 40 fraction digits, signed ---- */
struct dsum { int digits[80]; };  /* value * 10^40, two's complement-free: we keep pos and neg sums */

static void dsum_add(struct dsum *s, const char *t)
{
	int ip[40] = { 0 }, fp[40] = { 0 }, ni = 0;
	const char *dot = strchr(t, '.');
	size_t il = dot ? (size_t)(dot - t) : strlen(t);
	for (size_t i = 0; i < il; i++)
		ip[ni++] = t[i] - '0';
	if (dot)
		for (size_t i = 0; dot[1 + i] && i < 40; i++)
			fp[i] = dot[1 + i] - '0';
	int carry = 0;
	for (int k = 79; k >= 0; k--) {
		int d;
		if (k >= 40)
			d = fp[k - 40];
		else {
			int pos = 39 - k; /* digit index from the right of the integer part */
			d = pos < ni ? ip[ni - 1 - pos] : 0;
		}
		int v = s->digits[k] + d + carry;
		s->digits[k] = v % 10;
		carry = v / 10;
	}
}

/* a - b for a >= b, digit by digit. */
static void dsum_sub(struct dsum *a, const struct dsum *b)
{
	int borrow = 0;
	for (int k = 79; k >= 0; k--) {
		int v = a->digits[k] - b->digits[k] - borrow;
		borrow = v < 0;
		a->digits[k] = v < 0 ? v + 10 : v;
	}
}

static int dsum_cmp(const struct dsum *a, const struct dsum *b)
{
	for (int k = 0; k < 80; k++)
		if (a->digits[k] != b->digits[k])
			return a->digits[k] < b->digits[k] ? -1 : 1;
	return 0;
}

static void dsum_str(const struct dsum *s, char *out)
{
	int k = 0, o = 0;
	while (k < 39 && s->digits[k] == 0)
		k++;
	for (; k < 40; k++)
		out[o++] = (char)('0' + s->digits[k]);
	int last = 79;
	while (last >= 40 && s->digits[last] == 0)
		last--;
	if (last >= 40) {
		out[o++] = '.';
		for (k = 40; k <= last; k++)
			out[o++] = (char)('0' + s->digits[k]);
	}
	out[o] = 0;
}

/* Sum a column of a CSV (all values non-negative in the sample; NULL/empty skipped). */
static void column_sum(const char *path, const char *col, char *out)
{
	struct input *in = input_open(path);
	struct csv_reader r;
	struct dsum pos = { { 0 } }, neg = { { 0 } };
	int idx = -1;
	assert_non_null(in);
	csv_init(&r, input_read, in);
	assert_int_equal(csv_next(&r), 1);
	for (size_t i = 0; i < r.nfields; i++)
		if (r.fields[i].n == strlen(col) && !memcmp(r.fields[i].p, col, r.fields[i].n))
			idx = (int)i;
	assert_true(idx >= 0);
	while (csv_next(&r) == 1) {
		char v[128];
		snprintf(v, sizeof v, "%.*s", (int)r.fields[idx].n, r.fields[idx].p);
		if (!v[0] || !strcmp(v, "NULL"))
			continue;
		if (v[0] == '-')
			dsum_add(&neg, v + 1);
		else
			dsum_add(&pos, v);
	}
	csv_release(&r);
	input_close(in);
	if (dsum_cmp(&pos, &neg) >= 0) {
		dsum_sub(&pos, &neg);
		dsum_str(&pos, out);
	} else {
		dsum_sub(&neg, &pos);
		out[0] = '-';
		dsum_str(&neg, out + 1);
	}
}

static char dbpath[256];

static int setup(void **st)
{
	snprintf(dbpath, sizeof dbpath, "/tmp/aicost-test-ingest-%d.db", (int)getpid());
	unlink(dbpath);
	return 0;
}

static int teardown(void **st)
{
	char p[300];
	unlink(dbpath);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
	return 0;
}

static int sum_sources(void *arg, const struct source_rec *r)
{
	money_t *tot = arg;
	if (!strcmp(r->status, "active"))
		for (int a = 0; a < FA__COUNT; a++)
			tot[a] += r->total[a];
	return 0;
}

static int sum_daily(void *arg, int32_t day, uint32_t line, money_t v)
{
	*(money_t *)arg += v;
	return 0;
}

static void test_sample_reconciles(void **st)
{
	const char *path = "tests/data/focus_sample.csv";
	struct store *s = store_sqlite_open(dbpath, 1);
	struct ingest_opts o = { 0 };
	struct ingest_result r;
	char want[128], got[MONEY_BUFSZ];
	assert_non_null(s);
	err_quiet = 1;
	struct ingest_session *is = ingest_begin(s, &o);
	assert_int_equal(ingest_focus_file(is, path, &r), 0);
	assert_int_equal(r.rows, 1000);
	assert_int_equal(r.accepted, 1000);
	assert_int_equal(r.rejected, 0);
	column_sum(path, "BilledCost", want);
	money_str(r.total[FA_BILLED], got);
	assert_string_equal(got, want);
	assert_string_equal(got, "20.52022672899");
	column_sum(path, "EffectiveCost", want);
	money_str(r.total[FA_EFFECTIVE], got);
	assert_string_equal(got, want);
	/* What the ledger holds (daily sums) equals the file too. */
	money_t daily = 0;
	assert_int_equal(s->ops->daily_scan(s, INT32_MIN / 2, INT32_MAX / 2, FA_EFFECTIVE, sum_daily, &daily), 0);
	money_str(daily, got);
	assert_string_equal(got, want);
	/* Re-ingest: a no-op. */
	struct ingest_result r2;
	assert_int_equal(ingest_focus_file(is, path, &r2), 0);
	assert_true(r2.duplicate);
	assert_int_equal(r2.source_id, r.source_id);
	ingest_end(is);
	is = ingest_begin(s, &o);
	assert_int_equal(ingest_focus_file(is, path, &r2), 0);
	assert_true(r2.duplicate);
	ingest_end(is);
	money_t tot[FA__COUNT] = { 0 };
	assert_int_equal(s->ops->source_scan(s, sum_sources, tot), 0);
	assert_true(tot[FA_EFFECTIVE] == r.total[FA_EFFECTIVE]);
	s->ops->close(s);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define HDR "ProviderName,BillingAccountId,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,ServiceName\n"

static void test_restatement_replaces(void **st)
{
	char a[300], b[300], c[300];
	snprintf(a, sizeof a, "%s.a.csv", dbpath);
	snprintf(b, sizeof b, "%s.b.csv", dbpath);
	snprintf(c, sizeof c, "%s.c.csv", dbpath);
	write_file(a, HDR "AWS,111,2026-09-01T00:00:00Z,2026-09-01T00:00:00Z,2026-09-01T01:00:00Z,1.5,1.5,EC2\n"
			  "AWS,111,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,2026-09-02T01:00:00Z,2.25,2.25,EC2\n"
			  "AWS,222,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,2026-09-02T01:00:00Z,10,10,S3\n");
	/* Restates account 111 for September only. */
	write_file(b, HDR "AWS,111,2026-09-01T00:00:00Z,2026-09-01T00:00:00Z,2026-09-01T01:00:00Z,1.5,1.5,EC2\n"
			  "AWS,111,2026-09-01T00:00:00Z,2026-09-03T00:00:00Z,2026-09-03T01:00:00Z,4,4,EC2\n");
	write_file(c, HDR "AWS,111,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,100,100,EC2\n"
			  "AWS,111,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,not-a-date,1,1,EC2\n"
			  "AWS,111,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,abc,1,EC2\n");
	struct store *s = store_sqlite_open(dbpath, 1);
	struct ingest_opts o = { 0 };
	struct ingest_result r;
	char got[MONEY_BUFSZ];
	err_quiet = 1;
	struct ingest_session *is = ingest_begin(s, &o);
	assert_int_equal(ingest_focus_file(is, a, &r), 0);
	ingest_end(is);
	is = ingest_begin(s, &o);
	assert_int_equal(ingest_focus_file(is, b, &r), 0);
	assert_int_equal(r.restated, 2); /* two daily rows of account 111 from file a */
	assert_int_equal(ingest_focus_file(is, c, &r), 0);
	assert_int_equal(r.accepted, 1);
	assert_int_equal(r.rejected, 2);
	ingest_end(is);
	money_t daily = 0;
	assert_int_equal(s->ops->daily_scan(s, INT32_MIN / 2, INT32_MAX / 2, FA_BILLED, sum_daily, &daily), 0);
	money_str(daily, got);
	assert_string_equal(got, "115.5"); /* 10 (222 kept) + 1.5 + 4 (b) + 100 (c) */
	s->ops->close(s);
	unlink(a);
	unlink(b);
	unlink(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sample_reconciles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restatement_replaces, setup, teardown),
	};
	return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
