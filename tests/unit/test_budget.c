/* test_budget.c - budget periods, status, breach dates, crossings, alert ids and payloads (hand-made series). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "core/alert.h"
#include "core/budget.h"
#include "formats/focus.h"
#include "net/webhook.h"

static int64_t D(const char *s)
{
	int64_t d;
	assert_int_equal(parse_day(s, &d), 0);
	return d;
}

static money_t M(int64_t units) { return money_from_int(units); }

static money_t alerts2[] = { 0, 0 };
static struct budget mk(int64_t limit)
{
	struct budget b = { 0 };
	b.name = "b";
	b.limit = M(limit);
	alerts2[0] = MONEY_ONE / 10 * 8;
	alerts2[1] = MONEY_ONE;
	b.alert_at = alerts2;
	b.nalert = 2;
	return b;
}

static void test_periods(void **st)
{
	int64_t s, e;
	budget_period(BUDGET_MONTH, D("2024-02-15"), &s, &e);
	assert_true(s == D("2024-02-01") && e == D("2024-02-29"));
	budget_period(BUDGET_MONTH, D("2024-12-31"), &s, &e);
	assert_true(s == D("2024-12-01") && e == D("2024-12-31"));
	budget_period(BUDGET_QUARTER, D("2024-11-03"), &s, &e);
	assert_true(s == D("2024-10-01") && e == D("2024-12-31"));
	budget_period(BUDGET_QUARTER, D("2025-03-31"), &s, &e);
	assert_true(s == D("2025-01-01") && e == D("2025-03-31"));
	budget_period(BUDGET_YEAR, D("2026-07-04"), &s, &e);
	assert_true(s == D("2026-01-01") && e == D("2026-12-31"));
}

/* A 30-day month, today = day 10 (index 9). */
static struct budget_status at(const struct budget *b, const char *today)
{
	struct budget_status s = { 0 };
	s.b = b;
	budget_period(b->period, D(today), &s.period_start, &s.period_end);
	s.as_of = s.data_through = D(today);
	return s;
}

static void test_ok_warning_breach(void **st)
{
	struct budget b = mk(100);
	money_t act[10], fc[20];
	for (int i = 0; i < 10; i++)
		act[i] = M(5);
	for (int i = 0; i < 20; i++)
		fc[i] = M(1);
	struct budget_status s = at(&b, "2024-09-10");
	budget_assess(&s, act, 10, fc, 20);
	assert_true(s.actual == M(50) && s.forecast == M(70));
	assert_int_equal(s.status, BS_OK);
	assert_true(s.breach_day == BUDGET_NO_DAY);

	/* 80 spent: warning (0.8 crossed), forecast 100 = the limit: a forecast breach wins. */
	for (int i = 0; i < 10; i++)
		act[i] = M(8);
	budget_assess(&s, act, 10, fc, 20);
	assert_int_equal(s.status, BS_FORECAST_BREACH);
	assert_true(s.breach_forecast && s.breach_day == D("2024-09-30"));
	budget_assess(&s, act, 10, fc, 19);   /* forecast 99: only a warning */
	assert_int_equal(s.status, BS_WARNING);
	assert_true(s.breach_day == BUDGET_NO_DAY && !s.breach_forecast);

	/* Crossed on day 7 (cumulative 105): a breach with that date, whatever the forecast. */
	for (int i = 0; i < 10; i++)
		act[i] = M(15);
	budget_assess(&s, act, 10, fc, 20);
	assert_int_equal(s.status, BS_BREACH);
	assert_true(s.breach_day == D("2024-09-07") && !s.breach_forecast);
	assert_true(s.actual == M(150));
}

static void test_credit_ends_breach(void **st)
{
	struct budget b = mk(100);
	money_t act[3] = { M(120), M(-50), M(10) };
	struct budget_status s = at(&b, "2024-09-03");
	budget_assess(&s, act, 3, NULL, 0);
	assert_true(s.actual == M(80));
	assert_int_equal(s.status, BS_WARNING);
	assert_true(s.breach_day == BUDGET_NO_DAY);
}

static void test_forecast_date_and_gap(void **st)
{
	struct budget b = mk(100);
	money_t fc[40];
	for (int i = 0; i < 40; i++)
		fc[i] = M(10);
	/* Data ended Sep 20, today is Oct 5: forecast days before Oct 1 are not this period's. */
	struct budget_status s = at(&b, "2024-10-05");
	s.data_through = D("2024-09-20");
	budget_assess(&s, NULL, 0, fc, 40);
	assert_true(s.actual == 0);
	/* The 40 days after Sep 20 reach Oct 30; the 10th October day reaches 100. */
	assert_int_equal(s.status, BS_FORECAST_BREACH);
	assert_true(s.breach_day == D("2024-10-10"));
	assert_true(s.forecast == M(10) * 30);
}

static void test_exact_threshold_and_crossings(void **st)
{
	struct budget b = mk(100);
	money_t act[1] = { M(80) };
	money_t fc[2] = { M(10), M(10) };
	struct budget_status s = at(&b, "2024-09-28");
	budget_assess(&s, act, 1, fc, 2);
	/* exactly 80% is crossed; exactly 100% forecast is a forecast breach */
	struct budget_crossing c[2];
	size_t n = budget_crossings(&s, c);
	assert_int_equal(n, 2);
	assert_true(c[0].threshold == MONEY_ONE / 10 * 8 && !c[0].forecast && c[0].amount == M(80));
	assert_true(c[1].threshold == MONEY_ONE && c[1].forecast && c[1].amount == M(100));
	assert_int_equal(s.status, BS_FORECAST_BREACH);
	/* An actual crossing is not repeated as a forecast one. */
	act[0] = M(100);
	budget_assess(&s, act, 1, fc, 2);
	n = budget_crossings(&s, c);
	assert_int_equal(n, 2);
	assert_true(!c[0].forecast && !c[1].forecast);
	act[0] = M(79);
	fc[0] = fc[1] = 0;
	budget_assess(&s, act, 1, fc, 2);
	assert_int_equal(budget_crossings(&s, c), 0);
	assert_int_equal(s.status, BS_OK);
}

static void test_alert_id_and_payload(void **st)
{
	char a[33], b2[33];
	alert_id("b", "2024-09-01", "0.8", "actual", a);
	alert_id("b", "2024-09-01", "0.8", "forecast", b2);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b2);
	alert_id("b", "2024-09-01", "0.8", "actual", b2);
	assert_string_equal(a, b2);
	/* separators matter: ("ab","c") != ("a","bc") */
	alert_id("ab", "c", "0.8", "actual", a);
	alert_id("a", "bc", "0.8", "actual", b2);
	assert_string_not_equal(a, b2);

	struct budget b = mk(50000);
	char *k[] = { "team" }, *v[] = { "chat\"bot" };
	b.scope_keys = k;
	b.scope_vals = v;
	b.nscope = 1;
	money_t act[1] = { M(41000) };
	struct budget_status s = at(&b, "2026-10-01");
	strcpy(s.currency, "USD");
	budget_assess(&s, act, 1, NULL, 0);
	struct budget_crossing c[2];
	assert_int_equal(budget_crossings(&s, c), 1);
	char *p = alert_payload(&s, &c[0], a);
	json_error_t err;
	json_t *j = json_loads(p, 0, &err);
	assert_non_null(j);
	assert_true(json_is_string(json_object_get(j, "text")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "text")), "41,000.00 of 50,000.00 USD"));
	assert_true(json_is_array(json_object_get(j, "blocks")));
	json_t *x = json_object_get(j, "aicost");
	assert_string_equal(json_string_value(json_object_get(x, "id")), a);
	assert_string_equal(json_string_value(json_object_get(json_object_get(x, "scope"), "team")), "chat\"bot");
	assert_string_equal(json_string_value(json_object_get(x, "basis")), "actual");
	assert_true(json_number_value(json_object_get(x, "threshold")) == 0.8);
	assert_true(json_number_value(json_object_get(x, "amount")) == 41000);
	assert_string_equal(json_string_value(json_object_get(x, "status")), "warning");
	assert_true(json_is_null(json_object_get(x, "breach_date")));
	json_decref(j);
	free(p);
}

static void test_redact(void **st)
{
	char out[256];
	webhook_redact("https://hooks.slack.com/services/T0/B0/XXXX", out, sizeof out);
	assert_string_equal(out, "https://hooks.slack.com/...");
	webhook_redact("http://user:pw@127.0.0.1:9000/hook?token=1", out, sizeof out);
	assert_string_equal(out, "http://127.0.0.1:9000/...");
	webhook_redact("http://h", out, sizeof out);
	assert_string_equal(out, "http://h");
	webhook_redact("nonsense", out, sizeof out);
	assert_string_equal(out, "(webhook)");
	struct webhook_result r;
	assert_int_equal(webhook_post("file:///etc/passwd", "{}", 2, NULL, 1, &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_ok_warning_breach),
		cmocka_unit_test(test_credit_ends_breach),
		cmocka_unit_test(test_forecast_date_and_gap),
		cmocka_unit_test(test_exact_threshold_and_crossings),
		cmocka_unit_test(test_alert_id_and_payload),
		cmocka_unit_test(test_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
