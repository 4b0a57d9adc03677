/* test_csv.c - RFC 4180 reading, positions, refills and errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "formats/csv.h"

static void field_is(const struct csv_reader *r, size_t i, const char *want)
{
	assert_true(i < r->nfields);
	assert_int_equal(r->fields[i].n, strlen(want));
	assert_memory_equal(r->fields[i].p, want, strlen(want));
}

static void run_chunks(size_t chunk)
{
	const char *in = "\xef\xbb\xbf" "a,b,c\r\n1,\"x \"\"q\"\" y\",3\r\n\"multi\nline\",,last\nno,newline,end";
	struct csv_mem m = { in, strlen(in), 0, chunk };
	struct csv_reader r;
	csv_init(&r, csv_mem_read, &m);
	assert_int_equal(csv_next(&r), 1);
	assert_int_equal(r.nfields, 3);
	field_is(&r, 0, "a");
	field_is(&r, 2, "c");
	assert_int_equal(r.line, 1);
	assert_int_equal(csv_next(&r), 1);
	field_is(&r, 1, "x \"q\" y");
	field_is(&r, 2, "3");
	assert_int_equal(r.fields[2].col, 15);
	assert_int_equal(csv_next(&r), 1);
	assert_int_equal(r.line, 3);
	field_is(&r, 0, "multi\nline");
	field_is(&r, 1, "");
	field_is(&r, 2, "last");
	assert_int_equal(csv_field_line(&r, 2), 4);
	assert_int_equal(csv_next(&r), 1);
	assert_int_equal(r.line, 5);
	field_is(&r, 2, "end");
	assert_int_equal(csv_next(&r), 0);
	csv_release(&r);
}

static void test_basic(void **st)
{
	run_chunks(0);
	run_chunks(1);
	run_chunks(7);
}

static void test_errors(void **st)
{
	const char *in = "a,b\n1,\"open\n2,3\n";
	struct csv_mem m = { in, strlen(in), 0, 0 };
	struct csv_reader r;
	csv_init(&r, csv_mem_read, &m);
	assert_int_equal(csv_next(&r), 1);
	assert_int_equal(csv_next(&r), -1);
	assert_non_null(strstr(r.err, "unterminated"));
	assert_int_equal(r.err_line, 2);
	csv_release(&r);

	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	struct csv_mem m2 = { big, strlen(big), 0, 16 };
	csv_init(&r, csv_mem_read, &m2);
	r.max_record = 100;
	assert_int_equal(csv_next(&r), -1);
	assert_non_null(strstr(r.err, "too long"));
	csv_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
