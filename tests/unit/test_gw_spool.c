/*
 * test_gw_spool.c - the gateway's metering spool: append, seal by time and
 * count, ingest into the ledger, crash recovery (a torn last record is cut,
 * the rest replayed), exactly once (a segment replayed twice is counted
 * once), the directory lock, and the request-log archive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "core/prices.h"
#include "gateway/meter.h"
#include "gateway/spool.h"
#include "store/store.h"
#include "util/err.h"

static struct price_catalog *cat;
static char dir[256];

static void quiet(const char *line) { (void)line; }

static int setup(void **st)
{
	err_sink = quiet;
	cat = prices_open(NULL);
	snprintf(dir, sizeof dir, "/tmp/aicost-spool-test-%d", (int)getpid());
	return cat ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	prices_free(cat);
	return 0;
}

/* One record line for request i (gpt-4o-mini, 10 in, 5 out). */
static size_t rec(int i, char *buf, size_t cap)
{
	char id[32];
	snprintf(id, sizeof id, "req-%d", i);
	struct gw_usage u = { .found = 1, .prompt = 10, .completion = 5 };
	const char *mk[] = { "virtual_key" }, *mv[] = { "k" };
	struct gw_record r = { .id = id, .ts_ms = 1790000000000LL + i, .provider = "openai", .model = "gpt-4o-mini",
			       .usage = &u, .mk = mk, .mv = mv, .nmeta = 1, .status = 200, .endpoint = "/v1/chat/completions" };
	return meter_record(&r, buf, cap);
}

struct tally {
	int sources;
	uint64_t rows;
	money_t cost;
};

static int count_src(void *arg, const struct source_rec *r)
{
	struct tally *t = arg;
	t->sources++;
	t->rows += r->rows_accepted;
	t->cost += r->total[FA_BILLED];
	return 0;
}

static struct tally ledger(const char *db)
{
	struct tally t = { 0 };
	struct store *s = store_sqlite_open(db, 1);
	assert_non_null(s);
	assert_int_equal(s->ops->source_scan(s, count_src, &t), 0);
	s->ops->close(s);
	return t;
}

static int exists(const char *fmt, ...)
{
	char p[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p, sizeof p, fmt, ap);
	va_end(ap);
	struct stat sb;
	return stat(p, &sb) == 0;
}

static void test_append_seal_ingest(void **st)
{
	char db[300], b[2048];
	snprintf(db, sizeof db, "%s/a.db", dir);
	mkdir(dir, 0700);
	struct gw_spool_opts o = { .dir = dir, .fsync_interval_s = 0.01, .fsync_records = 2, .segment_s = 10,
				   .segment_records = 4, .db_path = db, .cat = cat };
	struct gw_spool *s = spool_open(&o);
	assert_non_null(s);
	/* A second gateway on the same spool is refused. */
	assert_null(spool_open(&o));
	assert_int_equal(spool_replay(s), 0);
	assert_int_equal(spool_start(s, 100.0), 0);
	for (int i = 0; i < 5; i++) {
		size_t n = rec(i, b, sizeof b);
		assert_int_equal(spool_append(s, b, n, 100.0), 0);   /* the 4th seals segment 1 */
	}
	spool_tick(s, 105.0);    /* not old enough */
	size_t n = rec(5, b, sizeof b);
	spool_append(s, b, n, 105.0);
	spool_tick(s, 111.0);    /* segment 2 (2 records) is 11 s old: sealed */
	n = rec(6, b, sizeof b);
	spool_append(s, b, n, 111.0);
	struct gw_spool_stats ss;
	spool_stats(s, &ss);
	assert_int_equal(ss.records, 7);
	spool_close(s);           /* seals the last one, ingests all */
	struct tally t = ledger(db);
	assert_int_equal(t.sources, 3);
	assert_int_equal(t.rows, 7 * 3);   /* input, output and requests rows per record */
	/* 7 x (10 x 1.5e-7 + 5 x 6e-7) */
	money_t want;
	money_parse("0.0000315", 9, &want, NULL);
	assert_true(t.cost == want);
	assert_false(exists("%s/seg-0000000000000001.jsonl", dir));   /* ingested, deleted */
}

static void test_crash_recovery_exactly_once(void **st)
{
	char db[300], path[400], b[2048], c[2048];
	snprintf(db, sizeof db, "%s/b.db", dir);
	/* A crash left: one sealed segment not yet ingested, and an open one with a torn last record. */
	size_t n1 = rec(100, b, sizeof b);
	snprintf(path, sizeof path, "%s/seg-0000000000000050.jsonl", dir);
	FILE *f = fopen(path, "w");
	fwrite(b, 1, n1, f);
	fclose(f);
	size_t n2 = rec(101, c, sizeof c);
	snprintf(path, sizeof path, "%s/seg-0000000000000051.open", dir);
	f = fopen(path, "w");
	fwrite(c, 1, n2, f);
	fwrite(b, 1, n1 / 2, f);   /* torn */
	fclose(f);
	struct gw_spool_opts o = { .dir = dir, .fsync_interval_s = 0.01, .fsync_records = 100, .segment_s = 10,
				   .segment_records = 100, .db_path = db, .cat = cat };
	struct gw_spool *s = spool_open(&o);
	assert_non_null(s);
	assert_false(exists("%s/seg-0000000000000051.open", dir));
	assert_true(exists("%s/seg-0000000000000051.jsonl", dir));
	assert_int_equal(spool_replay(s), 0);
	spool_close(s);
	struct tally t = ledger(db);
	assert_int_equal(t.sources, 2);
	assert_int_equal(t.rows, 2 * 3);
	/* The same segment again (a crash between the ledger commit and its deletion): counted once. */
	snprintf(path, sizeof path, "%s/seg-0000000000000060.jsonl", dir);
	f = fopen(path, "w");
	fwrite(b, 1, n1, f);
	fclose(f);
	s = spool_open(&o);
	assert_int_equal(spool_replay(s), 0);
	spool_close(s);
	t = ledger(db);
	assert_int_equal(t.sources, 2);
	assert_int_equal(t.rows, 2 * 3);
	assert_false(exists("%s/seg-0000000000000060.jsonl", dir));
}

static void test_archive_without_ledger(void **st)
{
	char d2[300], arch[300], b[2048];
	snprintf(d2, sizeof d2, "%s/nolg", dir);
	snprintf(arch, sizeof arch, "%s/log", dir);
	struct gw_spool_opts o = { .dir = d2, .fsync_interval_s = 0.01, .fsync_records = 1, .segment_s = 10,
				   .segment_records = 2, .archive_dir = arch, .cat = cat };
	struct gw_spool *s = spool_open(&o);
	assert_non_null(s);
	assert_int_equal(spool_start(s, 1.0), 0);
	for (int i = 0; i < 3; i++) {
		size_t n = rec(i, b, sizeof b);
		assert_int_equal(spool_append(s, b, n, 1.0), 0);
	}
	spool_close(s);
	assert_true(exists("%s/seg-0000000000000001.jsonl", arch));
	assert_true(exists("%s/seg-0000000000000002.jsonl", arch));
	assert_false(exists("%s/seg-0000000000000003.open", d2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_seal_ingest),
		cmocka_unit_test(test_crash_recovery_exactly_once),
		cmocka_unit_test(test_archive_without_ledger),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
