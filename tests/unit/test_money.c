/* test_money.c - exact decimal parsing, formatting and arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "core/money.h"

static money_t P(const char *s)
{
	money_t v = 0;
	assert_int_equal(money_parse(s, strlen(s), &v, NULL), 0);
	return v;
}

static void assert_str(money_t v, const char *want)
{
	char b[MONEY_BUFSZ];
	money_str(v, b);
	assert_string_equal(b, want);
}

static void test_parse_format(void **st)
{
	assert_str(P("0.00001605990"), "0.0000160599");
	assert_str(P("-12.50"), "-12.5");
	assert_str(P("1E-3"), "0.001");
	assert_str(P("2.5e+2"), "250");
	assert_str(P(" 0.00 "), "0");
	assert_str(P("+7"), "7");
	assert_str(P("123456789012345678.123456789012345678"), "123456789012345678.123456789012345678");
	assert_str(P("0.0000000000000000015"), "0.000000000000000002"); /* half-even: 1.5 -> 2 */
	assert_str(P("0.0000000000000000025"), "0.000000000000000002"); /* 2.5 -> 2 */
	assert_str(P("1e-40"), "0");
	unsigned fl = 0;
	money_t v;
	assert_int_equal(money_parse("0.1234567890123456789", 21, &v, &fl), 0);
	assert_true(fl & MONEY_ROUNDED);
	assert_int_equal(money_parse("abc", 3, &v, NULL), -1);
	assert_int_equal(money_parse("", 0, &v, NULL), -1);
	assert_int_equal(money_parse("1.2.3", 5, &v, NULL), -1);
	assert_int_equal(money_parse("$5", 2, &v, NULL), -1);
	assert_int_equal(money_parse("1,000", 5, &v, NULL), -1);
	assert_int_equal(money_parse("1e", 2, &v, NULL), -1);
	assert_int_equal(money_parse("1e999", 5, &v, NULL), -2);
}

static void test_format_rounding(void **st)
{
	char b[MONEY_BUFSZ];
	money_format(P("1234.565"), b, 2, 2);
	assert_string_equal(b, "1234.56");
	money_format(P("1234.575"), b, 2, 2);
	assert_string_equal(b, "1234.58");
	money_format(P("-0.001"), b, 2, 2);
	assert_string_equal(b, "0.00");
	money_format(P("5"), b, 2, 6);
	assert_string_equal(b, "5.00");
}

static void test_muldiv_pack(void **st)
{
	money_t out;
	assert_int_equal(money_muldiv(P("100"), P("1"), P("3"), &out), 0);
	assert_str(out, "33.333333333333333333");
	/* Large operands: the 256-bit intermediate must not overflow. */
	assert_int_equal(money_muldiv(P("90000000000000000000"), P("90000000000000000000"), P("90000000000000000000"), &out), 0);
	assert_str(out, "90000000000000000000");
	assert_int_equal(money_muldiv(P("1"), P("1"), 0, &out), -1);
	money_t vals[] = { 0, 1, -1, 127, 128, -128, -129, P("12345.6789"), P("-99999999999.123456789"), P("170141183460469231731.687303715884105727") };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		unsigned char b[16];
		size_t n = money_pack(vals[i], b);
		assert_true(money_unpack(b, n) == vals[i]);
	}
}

static void test_exact_sum(void **st)
{
	/* A sum that doubles get wrong. */
	money_t acc = 0;
	for (int i = 0; i < 10; i++)
		assert_int_equal(money_add(&acc, P("0.1")), 0);
	assert_str(acc, "1");
	money_t big = P("170141183460469231731");
	assert_int_equal(money_add(&big, P("170141183460469231731")), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_format_rounding),
		cmocka_unit_test(test_muldiv_pack),
		cmocka_unit_test(test_exact_sum),
	};
	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
