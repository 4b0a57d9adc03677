/* test_utf8.c - util/utf8.c: sequence lengths at the edges of well-formedness, hex digits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "util/utf8.h"

#define LEN(lit) utf8_seq_len((const unsigned char *)(lit), sizeof(lit) - 1)
#define VALID(lit) utf8_valid((const unsigned char *)(lit), sizeof(lit) - 1)

static void lengths(void **st)
{
	assert_int_equal(LEN("a"), 1);
	assert_int_equal(LEN("\xc3\xa9"), 2);          /* é */
	assert_int_equal(LEN("\xe2\x82\xac"), 3);      /* € */
	assert_int_equal(LEN("\xf0\x9f\x98\x80"), 4);  /* U+1F600 */
	assert_int_equal(LEN("\xf4\x8f\xbf\xbf"), 4);  /* U+10FFFF, the last code point */
	assert_int_equal(LEN("\xc0\xaf"), 0);          /* overlong '/' */
	assert_int_equal(LEN("\xe0\x80\xaf"), 0);      /* overlong, 3 bytes */
	assert_int_equal(LEN("\xed\xa0\x80"), 0);      /* surrogate U+D800 */
	assert_int_equal(LEN("\xf4\x90\x80\x80"), 0);  /* above U+10FFFF */
	assert_int_equal(LEN("\xe2\x82"), 0);          /* truncated */
	assert_int_equal(LEN("\xc3\x28"), 0);          /* bad continuation */
	assert_int_equal(LEN("\x80"), 0);              /* lone continuation */
}

static void whole_strings(void **st)
{
	assert_true(VALID("plain ascii"));
	assert_true(VALID("caf\xc3\xa9 \xe2\x82\xac"));
	assert_true(VALID(""));
	assert_false(VALID("caf\xc3"));
	assert_false(VALID("ok\xff"));
}

static void hex(void **st)
{
	assert_int_equal(hex_digit('0'), 0);
	assert_int_equal(hex_digit('9'), 9);
	assert_int_equal(hex_digit('a'), 10);
	assert_int_equal(hex_digit('F'), 15);
	assert_int_equal(hex_digit('g'), -1);
	assert_int_equal(hex_digit(-61), -1);   /* a negative char */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lengths),
		cmocka_unit_test(whole_strings),
		cmocka_unit_test(hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
