/*
 * test_gw_limits.c - the gateway's budgets (atomic reservations), rate
 * limits (token buckets with exact Retry-After), and virtual keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "formats/focus.h"
#include "gateway/keys.h"
#include "gateway/limits.h"

static money_t usd(const char *s)
{
	money_t v;
	assert_int_equal(money_parse(s, strlen(s), &v, NULL), 0);
	return v;
}

static int soft_calls;
static money_t soft_used;
static void on_soft(void *arg, const struct gw_account *a, const struct gw_budget *b, money_t used)
{
	(void)arg;
	(void)a;
	(void)b;
	soft_calls++;
	soft_used = used;
}

static void test_reservation_race(void **st)
{
	/* 1,000 requests admitted back to back (as a burst on the loop) against a budget of 100 x the max cost. */
	struct gw_budget b = { .limit = usd("1.00"), .period = GPER_MONTH, .soft = usd("0.5"), .period_start = INT64_MIN };
	struct gw_account a = { .kind = "key", .name = "k", .budgets = &b, .nbudgets = 1 };
	struct gw_account *acct[2] = { &a, NULL };
	struct gw_admit adm[1000];
	struct gw_refusal why;
	int64_t day = ymd_to_day(2026, 10, 15);
	int ok = 0;
	soft_calls = 0;
	for (int i = 0; i < 1000; i++) {
		if (limits_admit(acct, 2, 1.0, day, usd("0.01"), 0, &adm[i], &why, on_soft, NULL) == 0)
			ok++;
		else
			assert_int_equal(why.kind, GR_BUDGET);
	}
	assert_int_equal(ok, 100);
	assert_true(b.reserved == usd("1.00"));
	assert_int_equal(soft_calls, 0);   /* reservations never alert */
	/* Settle each at 0.008: spend 0.80, nothing reserved, one soft alert at 0.50. */
	for (int i = 0; i < 1000; i++)
		limits_settle(&adm[i], 2.0, day, usd("0.008"), 10, on_soft, NULL);
	assert_true(b.spent == usd("0.80"));
	assert_true(b.reserved == 0);
	assert_int_equal(soft_calls, 1);
	assert_true(soft_used == usd("0.504"));   /* the 63rd settle crossed 0.50 */
	/* 20 more fit now (0.20 left at 0.01 each), then refusal with Retry-After to the next month. */
	ok = 0;
	for (int i = 0; i < 30; i++)
		ok += limits_admit(acct, 2, 3.0, day, usd("0.01"), 0, &adm[i], &why, on_soft, NULL) == 0;
	assert_int_equal(ok, 20);
	assert_int_equal(why.kind, GR_BUDGET);
	assert_true(why.retry_after == 17 * 86400.0);   /* Oct 15 -> Nov 1 */
	assert_non_null(strstr(why.message, "month budget of $1.00 would be exceeded"));
	/* A new month starts from zero, keeping what is still reserved. */
	int64_t nov = ymd_to_day(2026, 11, 1);
	assert_int_equal(limits_admit(acct, 2, 4.0, nov, usd("0.5"), 0, &adm[100], &why, on_soft, NULL), 0);
	assert_true(b.spent == 0);
	assert_true(b.reserved == usd("0.70"));
	assert_true(limits_budget_use(&a, nov) > 0.69 && limits_budget_use(&a, nov) < 0.71);
}

static void test_all_or_nothing(void **st)
{
	/* The team's budget refuses: the key's reservation and rate tokens are left alone. */
	struct gw_budget kb = { .limit = usd("10"), .period = GPER_DAY, .period_start = INT64_MIN };
	struct gw_budget tb = { .limit = usd("1"), .period = GPER_TOTAL, .period_start = INT64_MIN };
	struct gw_account key = { .kind = "key", .name = "k", .budgets = &kb, .nbudgets = 1, .rate = { .rpm = 10 } };
	struct gw_account team = { .kind = "team", .name = "t", .budgets = &tb, .nbudgets = 1 };
	struct gw_account *acct[2] = { &key, &team };
	struct gw_admit a;
	struct gw_refusal why;
	assert_int_equal(limits_admit(acct, 2, 1.0, 100, usd("2"), 0, &a, &why, NULL, NULL), -1);
	assert_int_equal(why.kind, GR_BUDGET);
	assert_non_null(strstr(why.message, "team 't': total budget"));
	assert_true(kb.reserved == 0);
	assert_true(key.rate.rpm_level == 10.0);
	assert_int_equal(key.rate.inflight, 0);
	assert_int_equal(limits_admit(acct, 2, 1.0, 100, usd("0.6"), 0, &a, &why, NULL, NULL), 0);
	assert_true(kb.reserved == usd("0.6") && tb.reserved == usd("0.6"));
	limits_settle(&a, 1.0, 100, usd("0.25"), 0, NULL, NULL);
	limits_settle(&a, 1.0, 100, usd("0.25"), 0, NULL, NULL);   /* a second settle is a no-op */
	assert_true(kb.spent == usd("0.25") && tb.spent == usd("0.25"));
}

static void test_rate_limits(void **st)
{
	struct gw_account a = { .kind = "key", .name = "k", .rate = { .rpm = 6, .tpm = 1000, .parallel = 2 } };
	struct gw_account *acct[1] = { &a };
	struct gw_admit ad[10];
	struct gw_refusal why;
	/* parallel 2 */
	assert_int_equal(limits_admit(acct, 1, 100.0, 0, 0, 100, &ad[0], &why, NULL, NULL), 0);
	assert_int_equal(limits_admit(acct, 1, 100.0, 0, 0, 100, &ad[1], &why, NULL, NULL), 0);
	assert_int_equal(limits_admit(acct, 1, 100.0, 0, 0, 100, &ad[2], &why, NULL, NULL), -1);
	assert_int_equal(why.kind, GR_RATE);
	assert_true(why.retry_after == 1.0);
	limits_settle(&ad[0], 100.0, 0, 0, 50, NULL, NULL);   /* 50 of 100 used: 50 back */
	limits_settle(&ad[1], 100.0, 0, 0, 100, NULL, NULL);
	assert_true(a.rate.tpm_level == 850.0);
	/* rpm 6: 4 more now, then wait 10 s per request. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(limits_admit(acct, 1, 100.0, 0, 0, 10, &ad[i], &why, NULL, NULL), 0);
		limits_settle(&ad[i], 100.0, 0, 0, 10, NULL, NULL);
	}
	assert_int_equal(limits_admit(acct, 1, 100.0, 0, 0, 10, &ad[0], &why, NULL, NULL), -1);
	assert_non_null(strstr(why.message, "requests per minute"));
	assert_true(why.retry_after > 9.99 && why.retry_after < 10.01);
	assert_int_equal(limits_admit(acct, 1, 107.5, 0, 0, 10, &ad[0], &why, NULL, NULL), -1);
	assert_true(why.retry_after > 2.49 && why.retry_after < 2.51);
	assert_int_equal(limits_admit(acct, 1, 110.0, 0, 0, 10, &ad[0], &why, NULL, NULL), 0);
	limits_settle(&ad[0], 110.0, 0, 0, 10, NULL, NULL);
	/* tpm: 850 - 40 + 10 s x 1000/60 refill = 976.67 (capped at 1000) - 10; a 2000-token request waits for a full bucket. */
	assert_int_equal(limits_admit(acct, 1, 200.0, 0, 0, 2000, &ad[0], &why, NULL, NULL), 0);
	assert_true(a.rate.tpm_level == -1000.0);
	limits_settle(&ad[0], 200.0, 0, 0, 2000, NULL, NULL);
	assert_int_equal(limits_admit(acct, 1, 200.0, 0, 0, 500, &ad[0], &why, NULL, NULL), -1);
	assert_non_null(strstr(why.message, "tokens per minute"));
	assert_true(why.retry_after > 89.99 && why.retry_after < 90.01);   /* 1500 tokens at 1000/min */
}

static void test_periods(void **st)
{
	int64_t d = ymd_to_day(2026, 10, 15);   /* a Thursday */
	assert_int_equal(gw_period_start(GPER_DAY, d), d);
	assert_int_equal(gw_period_start(GPER_WEEK, d), ymd_to_day(2026, 10, 12));
	assert_int_equal(gw_period_start(GPER_WEEK, ymd_to_day(2026, 10, 12)), ymd_to_day(2026, 10, 12));
	assert_int_equal(gw_period_start(GPER_WEEK, ymd_to_day(2026, 10, 18)), ymd_to_day(2026, 10, 12));
	assert_int_equal(gw_period_start(GPER_WEEK, 0), -3);   /* 1970-01-01 was a Thursday */
	assert_int_equal(gw_period_start(GPER_MONTH, d), ymd_to_day(2026, 10, 1));
	assert_int_equal(gw_period_start(GPER_TOTAL, d), 0);
}

static void test_keys(void **st)
{
	char h[72];
	keys_hash_text("sk-test", 7, h);
	/* sha256("sk-test"), as sha256sum prints it */
	assert_string_equal(h, "sha256:f3abf2a6cc4f00987743db5f544ba345b4899ae31f326d8ee9c4816de153c9e0");
	struct gw_key k[3] = { { .name = "a" }, { .name = "b" }, { .name = "c" } };
	assert_int_equal(keys_parse_hash(h, k[0].hash), 0);
	keys_hash("sk-two", 6, k[1].hash);
	assert_int_equal(keys_parse_hash("F3ABF2A6CC4F00987743DB5F544BA345B4899AE31F326D8EE9C4816DE153C9E1", k[2].hash), 0);
	assert_int_equal(keys_parse_hash("sha256:abc", k[2].hash), -1);
	assert_int_equal(keys_parse_hash("sha256:zz0b64fbd0d8ab7a5f3e1bbd4eb62c8e4d1dbfdef1a45de7ea4fca29f8e3cf0", k[2].hash), -1);
	struct gw_keys t = { 0 };
	size_t dup;
	assert_int_equal(keys_index(&t, k, 3, &dup), 0);
	assert_ptr_equal(keys_find(&t, "sk-test", 7), &k[0]);
	assert_ptr_equal(keys_find(&t, "sk-two", 6), &k[1]);
	assert_null(keys_find(&t, "sk-tes", 6));
	assert_null(keys_find(&t, "", 0));
	keys_release(&t);
	keys_hash("sk-two", 6, k[2].hash);
	assert_int_equal(keys_index(&t, k, 3, &dup), -1);
	assert_int_equal(dup, 2);
	keys_release(&t);
	char *models[] = { "gpt-4o*", "claude-3-5-haiku" };
	struct gw_key m = { .models = models, .nmodels = 2 };
	assert_true(keys_model_allowed(&m, "gpt-4o-mini"));
	assert_true(keys_model_allowed(&m, "claude-3-5-haiku"));
	assert_false(keys_model_allowed(&m, "claude-3-5-sonnet"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reservation_race),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_rate_limits),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
