/* test_spend.c - the built-in `spend` dimension: tokens, gpu, cloud. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "core/alloc.h"
#include "core/spend.h"
#include "formats/focus.h"

static const char *kind(const char *unit, const char *desc, const char *meter, const char *rtype)
{
	struct alloc_line l;
	memset(&l, 0, sizeof l);
	l.vals[FC_CONSUMED_UNIT] = unit;
	l.vals[FC_CHARGE_DESCRIPTION] = desc;
	l.vals[FC_SKU_METER] = meter;
	l.vals[FC_RESOURCE_TYPE] = rtype;
	return spend_kind(&l);
}

static void classify(void **state)
{
	assert_string_equal(kind("Tokens", NULL, "Input Tokens", NULL), "tokens");
	assert_string_equal(kind("1K tokens", "gpt-4o input", NULL, NULL), "tokens");
	assert_string_equal(kind("Hours", "$1.624 per On Demand Linux g5.4xlarge Instance Hour", NULL, "instance"), "gpu");
	assert_string_equal(kind("Hours", "$7.09 per ml.g5.12xlarge hour", NULL, NULL), "gpu");
	assert_string_equal(kind("Hours", NULL, "NC24ads A100 v4", NULL), "gpu");
	assert_string_equal(kind("Hours", NULL, NULL, "Standard_ND96asr_v4"), "gpu");
	assert_string_equal(kind("Hours", "$0.54 per n1-standard-4+T4 hour", NULL, NULL), "gpu");
	assert_string_equal(kind("Hours", "$3.6733 per a2-highgpu-1g hour", NULL, NULL), "gpu");
	/* not GPUs: CPU instances, words that merely contain GPU model letters */
	assert_string_equal(kind("Hours", "$0.34 per On Demand Linux c5.2xlarge Instance Hour", NULL, NULL), "cloud");
	assert_string_equal(kind("GB-Mo", "$0.08 per gp3 GB-Mo", "EBS:VolumeUsage.gp3", NULL), "cloud");
	assert_string_equal(kind("Hours", "$0.504 per Standard_E8s_v5 hour", "E8s v5", NULL), "cloud");
	assert_string_equal(kind("Requests", "PUT requests to t4bucket", NULL, NULL), "cloud");
	assert_string_equal(kind(NULL, NULL, NULL, NULL), "cloud");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(classify) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
