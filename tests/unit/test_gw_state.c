/*
 * test_gw_state.c - the shared gateway state's pure parts: the redis:// URL
 * of gateway.shared_state, and money in Redis units (rounded up for
 * reservations and spend, down for limits; the unit chosen so a limit stays
 * below 2^50 units). The Redis side is tested in tests/sh/test_gateway_redis.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gateway/gwconfig.h"
#include "gateway/state.h"

static money_t usd(const char *s)
{
	money_t v;
	assert_int_equal(money_parse(s, strlen(s), &v, NULL), 0);
	return v;
}

static void clear(struct gw_shared *u)
{
	free(u->host);
	free(u->user);
	memset(u, 0, sizeof *u);
}

static void test_url_ok(void **st)
{
	struct gw_shared u = { 0 };
	char why[160];
	(void)st;
	assert_int_equal(gw_redis_url("redis://127.0.0.1:6380/3", &u, why, sizeof why), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 3);
	assert_null(u.user);
	clear(&u);
	assert_int_equal(gw_redis_url("redis://cache.internal", &u, why, sizeof why), 0);
	assert_string_equal(u.host, "cache.internal");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 0);
	clear(&u);
	assert_int_equal(gw_redis_url("redis://gw@[::1]:7000/", &u, why, sizeof why), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.user, "gw");
	assert_int_equal(u.port, 7000);
	clear(&u);
}

static void test_url_bad(void **st)
{
	static const char *const bad[] = {
		"http://127.0.0.1:6379", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536", "redis://h:x",
		"redis://h:6379/x", "redis://h:6379/1/2", "redis://user:secret@h:6379", "redis://[::1", "redis://[]:1",
		"redis://h h", "redis://h:6379?db=1", "redis://h:99999999999999999999", NULL,
	};
	struct gw_shared u = { 0 };
	char why[160];
	(void)st;
	for (int i = 0; bad[i]; i++) {
		why[0] = 0;
		assert_int_equal(gw_redis_url(bad[i], &u, why, sizeof why), -1);
		assert_true(why[0] != 0);
		assert_null(u.host);
	}
	/* The password is never echoed back in the message. */
	assert_int_equal(gw_redis_url("redis://user:secret@h", &u, why, sizeof why), -1);
	assert_null(strstr(why, "secret"));
}

static void test_units(void **st)
{
	(void)st;
	/* nano-USD: exact amounts stay exact, the rest rounds up (spend) or down (limits). */
	assert_int_equal(state_units_up(usd("0.00006075"), 9), 60750);
	assert_int_equal(state_units_down(usd("0.00006075"), 9), 60750);
	assert_int_equal(state_units_up(usd("0.0000000001"), 9), 1);
	assert_int_equal(state_units_down(usd("0.0000000019"), 9), 1);
	assert_int_equal(state_units_up(usd("0.0000000019"), 9), 2);
	assert_int_equal(state_units_up(0, 9), 0);
	assert_int_equal(state_units_up(-5, 9), 0);
	/* Units: the finest keeping the limit below 2^50 (1.1259e15). */
	assert_int_equal(state_unit_exp(usd("0.006075")), 9);
	assert_int_equal(state_unit_exp(usd("1000000")), 9);        /* 1e15 units */
	assert_int_equal(state_unit_exp(usd("2000000")), 8);        /* 2e15 nano would pass 2^50 */
	assert_int_equal(state_unit_exp(usd("1000000000000")), 3);  /* 1e12 USD in milli-USD */
	assert_int_equal(state_unit_exp(usd("1125899906842624")), 0);
	assert_int_equal(state_unit_exp(usd("1125899906842625")), -1);
	/* Huge reservations are clamped at 2^52 units (above every limit). */
	assert_int_equal(state_units_up(usd("1000000000000000"), 9), (int64_t)1 << 52);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_ok),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
