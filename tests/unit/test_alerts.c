/* test_alerts.c - the ledger's alert state (store/sqlite_alerts.c): once per key, outbox leases, readers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "store/store.h"

static char path[64];

static int setup(void **st)
{
	snprintf(path, sizeof path, "/tmp/aicost-test-alerts-%d.db", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **st)
{
	char p[80];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	return 0;
}

struct seen {
	int n;
	int64_t ids[8];
	char shown[8][64];
};

static int on_pending(void *arg, const struct outbox_rec *r)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->ids[s->n] = r->id;
		snprintf(s->shown[s->n], sizeof s->shown[0], "%s", r->target_shown);
	}
	s->n++;
	return 0;
}

static void test_once_and_leases(void **st)
{
	struct store *s = store_sqlite_open(path, 1);
	assert_non_null(s);
	/* A reader's view before any alert: no tables is an empty outbox, not an error. */
	struct store *r = store_sqlite_open(path, 0);
	assert_non_null(r);
	struct seen none = { 0 };
	assert_int_equal(s->ops->alert_init(s), 0);
	assert_int_equal(r->ops->outbox_pending(r, 0, on_pending, &none), 0);
	assert_int_equal(none.n, 0);

	const char *targets[] = { "sha256:aa", "sha256:bb" }, *shown[] = { "http://a/...", "https://b/..." };
	struct alert_rec a = { "id1", "b", "2026-10-01", "0.8", "actual", "2026-10-20", 80, 100 };
	assert_int_equal(s->ops->begin(s), 0);
	assert_int_equal(s->ops->alert_add(s, &a, targets, shown, 2, "{}"), 1);
	assert_int_equal(s->ops->alert_add(s, &a, targets, shown, 2, "{}"), 0);   /* once per key */
	assert_int_equal(s->ops->commit(s), 0);
	/* Same key with another id (cannot happen with alert_id, but the UNIQUE key holds anyway). */
	struct alert_rec a2 = a;
	a2.id = "id2";
	assert_int_equal(s->ops->alert_add(s, &a2, targets, shown, 2, "{}"), 0);
	/* Another basis is another alert. */
	a2.basis = "forecast";
	assert_int_equal(s->ops->alert_add(s, &a2, targets, shown, 1, "{}"), 1);

	struct seen p = { 0 };
	assert_int_equal(s->ops->outbox_pending(s, 1000, on_pending, &p), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.shown[1], "https://b/...");
	/* A lease is exclusive until it expires. */
	assert_int_equal(s->ops->outbox_claim(s, p.ids[0], 1000, 2000), 1);
	assert_int_equal(r->ops->outbox_claim(r, p.ids[0], 1500, 2500), 0);
	struct seen q = { 0 };
	assert_int_equal(r->ops->outbox_pending(r, 1500, on_pending, &q), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(r->ops->outbox_claim(r, p.ids[0], 2000, 3000), 1);   /* expired: a crash's lease */
	/* Delivered entries leave the outbox; a failure releases the lease. */
	assert_int_equal(s->ops->outbox_result(s, p.ids[0], 2100, 1, 1, 200, NULL), 0);
	assert_int_equal(s->ops->outbox_claim(s, p.ids[1], 2100, 9000), 1);
	assert_int_equal(s->ops->outbox_result(s, p.ids[1], 2100, 0, 4, 503, "HTTP 503"), 0);
	struct seen z = { 0 };
	assert_int_equal(s->ops->outbox_pending(s, 2100, on_pending, &z), 0);
	assert_int_equal(z.n, 2);
	assert_true(z.ids[0] == p.ids[1] && z.ids[1] == p.ids[2]);
	assert_int_equal(s->ops->outbox_claim(s, p.ids[0], 2100, 9000), 0);   /* delivered: never again */
	r->ops->close(r);
	s->ops->close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_once_and_leases, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
