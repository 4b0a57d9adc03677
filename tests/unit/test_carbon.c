/* test_carbon.c - the CCF estimate of single lines, checked against hand computations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "core/alloc.h"
#include "core/carbon.h"
#include "formats/focus.h"

static struct carbon_model *model;

static int setup(void **state)
{
	struct carbon_opts o = { .cpu_util = 0.5, .gpu_util = 0.5 };
	model = carbon_load(&o);
	return model ? 0 : -1;
}

static int teardown(void **state)
{
	carbon_free(model);
	return 0;
}

static void line(struct alloc_line *l, const char *provider, const char *region, const char *cat,
		 const char *unit, const char *desc)
{
	memset(l, 0, sizeof *l);
	l->vals[FC_SERVICE_PROVIDER_NAME] = provider;
	l->vals[FC_REGION_ID] = region;
	l->vals[FC_SERVICE_CATEGORY] = cat;
	l->vals[FC_CONSUMED_UNIT] = unit;
	l->vals[FC_CHARGE_DESCRIPTION] = desc;
	l->vals[FC_CHARGE_CATEGORY] = "Usage";
}

/*
 * g5.xlarge in us-east-1, by hand from data/:
 *   AWS CPU watts per vCPU, mean over the 11 architectures of
 *   coefficients-aws-use.csv: min 1.135199370310976, max 4.339701513568173;
 *   at 50%: 2.7374504419395745 W. 4 vCPUs -> 10.949801767758298 W.
 *   Memory 16 GiB x 0.000392 kWh/GB-h = 6.272 W.
 *   One A10G, 18 W idle, 153 W max: 18 + 0.5 x 135 = 85.5 W.
 *   (10.9498 + 6.272 + 85.5) W x PUE 1.135 = 0.11658924500640568 kWh per hour.
 *   Grid us-east-1: 0.000379069 t/kWh = 0.379069 kg/kWh.
 */
static void g5_xlarge(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "AWS", "us-east-1", "Compute", "Hours", "$1.006 per On Demand Linux g5.xlarge Instance Hour");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_string_equal(e.instance_type, "g5.xlarge");
	assert_string_equal(e.gpu_model, "A10G");
	assert_int_equal(e.gpus, 1);
	assert_true(fabs(e.kwh_per_unit - 0.11658924500640568) < 1e-12);
	assert_true(fabs(e.gpu_kwh_per_unit - 0.0855 * 1.135) < 1e-12);
	assert_true(fabs(e.kg_per_kwh - 0.379069) < 1e-12);
	assert_int_equal(e.factor_estimated, 0);
}

/* An instance the catalog does not know: vCPUs from the name (c5.2xlarge = 8), no memory, no GPU. */
static void c5_by_name(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "AWS", "eu-west-2", "Compute", "Hours", "$0.34 per On Demand Linux c5.2xlarge Instance Hour");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_true(fabs(e.kwh_per_unit - 8 * 2.7374504419395745 / 1000 * 1.135) < 1e-12);
	assert_null(e.gpu_model);
}

/* SageMaker's ml. prefix; a GPU attached with '+' on GCP N1 (4 vCPUs + one T4: 8 + 0.5 x 63 = 39.5 W). */
static void prefixes_and_attached(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "AWS", "us-east-1", "AI and Machine Learning", "Hours", "$7.09 per ml.g5.12xlarge hour");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_string_equal(e.instance_type, "g5.12xlarge");
	assert_int_equal(e.gpus, 4);
	line(&l, "Google Cloud", "us-central1", "AI and Machine Learning", "Hours", "$0.54 per n1-standard-4+T4 hour (Iowa)");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_string_equal(e.instance_type, "n1-standard-4");
	assert_string_equal(e.gpu_model, "T4");
	assert_int_equal(e.gpus, 1);
	assert_true(fabs(e.gpu_kwh_per_unit - 0.0395 * 1.1) < 1e-12);
	line(&l, "Google Cloud", "us-central1", "Storage", "GiBy.mo", "pd-ssd");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_STORAGE);
}

/* Azure size names carry the vCPU count; Azure regions match "East US" to "eastus". */
static void azure_names(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "Microsoft", "eastus", "Compute", "1 Hour", NULL);
	l.vals[FC_SKU_METER] = "Standard_NC24ads_A100_v4";
	assert_int_equal(carbon_estimate(model, &l, &e), CK_NONE);     /* "1 Hour" is not a unit we know */
	line(&l, "Microsoft", "eastus", "Compute", "Hours", NULL);
	l.vals[FC_SKU_METER] = "Standard_NC24ads_A100_v4";
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_int_equal(e.gpus, 1);
	assert_string_equal(e.gpu_model, "A100-80GB");
	assert_int_equal(e.factor_estimated, 0);
	assert_true(fabs(e.kg_per_kwh - 0.379069) < 1e-12);   /* table row "Azure,East US": 0.000379069 t/kWh */
}

/* Storage GB-months: HDD 0.65 Wh/TB-h x 3 copies for object storage, x 730 h, PUE 1.135. */
static void storage_and_network(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "AWS", "us-west-2", "Storage", "GB-Mo", "Amazon S3 Standard storage");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_STORAGE);
	assert_true(fabs(e.kwh_per_unit - 730.0 / 1000 * 0.65 * 3 / 1000 * 1.135) < 1e-15);
	line(&l, "AWS", "us-west-2", "Networking", "GB", "data transfer out");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_NETWORK);
	assert_true(fabs(e.kwh_per_unit - 0.001 * 1.135) < 1e-15);
}

/* No method: API requests, token charges, taxes; and an unknown region falls back to the mean. */
static void no_method_and_fallback(void **state)
{
	struct alloc_line l;
	struct carbon_est e;
	line(&l, "AWS", "us-east-1", "Integration", "Requests", "SQS requests");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_NONE);
	line(&l, "OpenAI", NULL, "AI and Machine Learning", "Tokens", "gpt-4o input");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_NONE);
	line(&l, "AWS", "us-east-1", "Compute", "Hours", "m5.large");
	l.vals[FC_CHARGE_CATEGORY] = "Tax";
	assert_int_equal(carbon_estimate(model, &l, &e), CK_NONE);
	line(&l, "AWS", "mars-north-1", "Compute", "Hours", "m5.large");
	assert_int_equal(carbon_estimate(model, &l, &e), CK_INSTANCE);
	assert_int_equal(e.factor_estimated, 1);
	assert_true(e.kg_per_kwh > 0.1 && e.kg_per_kwh < 1.0);
}

static void fixed_point(void **state)
{
	assert_true(carbon_fixed(0) == 0);
	assert_true(carbon_fixed(-1) == 0);
	assert_true(carbon_fixed(1.5) == MONEY_ONE + MONEY_ONE / 2);
	assert_true(carbon_fixed(0.001) == MONEY_ONE / 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(g5_xlarge),
		cmocka_unit_test(c5_by_name),
		cmocka_unit_test(azure_names),
		cmocka_unit_test(prefixes_and_attached),
		cmocka_unit_test(storage_and_network),
		cmocka_unit_test(no_method_and_fallback),
		cmocka_unit_test(fixed_point),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
