/* test_sbuf.c - the growable buffer (util/sbuf.c): growth, NUL termination, detach, binary bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/sbuf.h"

static void grows_and_terminates(void **st)
{
	struct sbuf b = { 0 };
	for (int i = 0; i < 1000; i++)
		sbuf_adds(&b, "abc");
	assert_int_equal(b.n, 3000);
	assert_true(b.cap > b.n);
	assert_int_equal(b.s[b.n], '\0');
	assert_memory_equal(b.s + 2997, "abc", 3);
	sbuf_addc(&b, 'z');
	assert_int_equal(b.s[3000], 'z');
	assert_int_equal(b.s[3001], '\0');
	sbuf_release(&b);
	assert_null(b.s);
	assert_int_equal(b.n, 0);
}

static void binary_and_detach(void **st)
{
	struct sbuf b = { 0 };
	sbuf_add(&b, "a\0b", 3);
	size_t n = 0;
	char *s = sbuf_detach(&b, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "a\0b", 4);
	assert_null(b.s);
	free(s);
	/* an empty buffer detaches as "" */
	s = sbuf_detach(&b, &n);
	assert_non_null(s);
	assert_int_equal(n, 0);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_terminates),
		cmocka_unit_test(binary_and_detach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
