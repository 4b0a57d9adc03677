/*
 * test_validate.c - the FOCUS conformance engine: the four known quirks of
 * the real FOCUS sample, a conforming file, version detection, the fixed
 * model defects and malformed CSV.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/validate.h"

static struct vmodel *model;

static int setup(void **state)
{
	return vmodel_load_default(&model);
}

static int teardown(void **state)
{
	vmodel_free(model);
	return 0;
}

static void run_mem(const char *csv, const struct validate_opts *o, struct validate_result *res)
{
	struct csv_mem src = { .p = csv, .n = strlen(csv), .chunk = 7 };
	assert_int_equal(validate_stream(model, "mem.csv", csv_mem_read, &src, o, res), 0);
}

static uint64_t count_of(const struct validate_result *res, const char *rule)
{
	const struct vfinding *f = validate_find(res, rule);
	return f ? f->count : 0;
}

static void dump(const struct validate_result *res)
{
	for (size_t i = 0; i < res->nfindings; i++)
		fprintf(stderr, "  %s %s %llu %s\n", res->findings[i].rule,
			res->findings[i].severity == VSEV_ERROR ? "error" : "warning",
			(unsigned long long)res->findings[i].count,
			res->findings[i].nexamples ? res->findings[i].examples[0].value : "");
}

/* The real FOCUS 1.0 sample: 1,000 rows from AWS, Microsoft and Oracle. */
static void sample_quirks(void **state)
{
	struct validate_result res;
	struct validate_opts o = { .max_examples = 3 };
	const char *path = getenv("FOCUS_SAMPLE") ? getenv("FOCUS_SAMPLE") : "tests/data/focus_sample.csv";
	assert_int_equal(validate_file(model, path, &o, &res), 0);
	assert_string_equal(res.version, "1.0");
	assert_int_equal(res.rows, 1000);

	/* 1. Datetimes with a space instead of T, in all four datetime columns. */
	static const char *const dt[] = { "ChargePeriodStart-C-002-M", "ChargePeriodEnd-C-002-M",
					  "BillingPeriodStart-C-002-M", "BillingPeriodEnd-C-002-M" };
	for (size_t i = 0; i < 4; i++) {
		const struct vfinding *f = validate_find(&res, dt[i]);
		assert_non_null(f);
		assert_int_equal(f->severity, VSEV_WARNING);
		assert_int_equal(f->count, 1000);
		assert_int_equal(f->nexamples, 3);
		assert_non_null(strchr(f->examples[0].value, ' '));
		assert_int_equal(f->examples[0].line, 2);
	}
	/* ... but they are readable datetimes: no TypeDateTime errors. */
	assert_int_equal(count_of(&res, "ChargePeriodStart-C-001-M"), 0);

	/* 2. The NULL token: in every row, 8,973 cells. */
	const struct vfinding *nt = validate_find(&res, "AICOST-NULL-TOKEN");
	assert_non_null(nt);
	assert_int_equal(nt->severity, VSEV_WARNING);
	assert_int_equal(nt->count, 1000);
	assert_int_equal(nt->cells, 8973);
	assert_string_equal(nt->examples[0].value, "NULL");
	assert_string_equal(nt->examples[0].column, "AvailabilityZone");
	assert_int_equal(nt->examples[0].col, 1);

	/* 3. The custom column Id without x_. */
	const struct vfinding *id = validate_find(&res, "ColumnHandling-A-010-M");
	assert_non_null(id);
	assert_int_equal(id->severity, VSEV_ERROR);
	assert_int_equal(id->count, 1);
	assert_string_equal(id->unit, "column");
	assert_string_equal(id->examples[0].value, "Id");
	assert_int_equal(id->examples[0].line, 1);

	/* 4. Oracle's "Usage-based", with a hint at the right casing. */
	const struct vfinding *cf = validate_find(&res, "ChargeFrequency-C-003-M");
	assert_non_null(cf);
	assert_int_equal(cf->severity, VSEV_ERROR);
	assert_int_equal(cf->count, 7);
	assert_string_equal(cf->examples[0].value, "Usage-based");
	assert_string_equal(cf->examples[0].column, "ChargeFrequency");
	assert_non_null(cf->examples[0].hint);
	assert_non_null(strstr(cf->examples[0].hint, "Usage-Based"));

	/* Errors come first, then warnings. */
	assert_true(res.error_rules > 0);
	assert_int_equal(res.findings[0].severity, VSEV_ERROR);
	assert_int_equal(res.findings[res.nfindings - 1].severity, VSEV_WARNING);
	validate_result_release(&res);
}

#define HDR12 "BillingAccountId,BillingAccountName,BillingAccountType,BillingCurrency," \
	"BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory," \
	"ChargeClass,ChargeDescription,ChargeFrequency,BilledCost,EffectiveCost,ListCost," \
	"ContractedCost,ListUnitPrice,ContractedUnitPrice,PricingQuantity,PricingUnit," \
	"PricingCategory,PricingCurrency,ConsumedQuantity,ConsumedUnit,InvoiceId," \
	"InvoiceIssuerName,ProviderName,PublisherName,ServiceCategory,ServiceSubcategory," \
	"ServiceName,SkuId,SkuPriceId,SkuMeter,RegionId,RegionName,ResourceId,ResourceName," \
	"ResourceType,SubAccountId,SubAccountName,SubAccountType,Tags,x_Team\n"
#define ROW12 "acct-1,Acme,Billing Profile,USD,2025-01-01T00:00:00Z,2025-02-01T00:00:00Z," \
	"2025-01-05T00:00:00Z,2025-01-06T00:00:00Z,Usage,,GPU hours,Usage-Based,24.5,24.5," \
	"30,24.5,1.25,1.0208333333,24,Hours,Standard,USD,24,Hours,inv-1,Acme Cloud," \
	"Acme Cloud,Acme Cloud,AI and Machine Learning,AI Platforms,Acme ML,sku-1,sku-1-p," \
	"GPU Hours,us-east-1,US East,i-1,gpu-box,Virtual Machine,sub-1,ml,Project," \
	"\"{\"\"team\"\":\"\"ml\"\"}\",ml\n"

static void conforming_file(void **state)
{
	struct validate_result res;
	run_mem(HDR12 ROW12 ROW12, NULL, &res);
	if (res.error_rules || res.warning_rules)
		dump(&res);
	assert_string_equal(res.version, "1.2");
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.error_rules, 0);
	assert_int_equal(res.errors, 0);
	assert_int_equal(res.warning_rules, 0);
	assert_true(res.rules_checked > 100);
	validate_result_release(&res);
}

static void version_detection(void **state)
{
	const char *v10[] = { "BilledCost", "ProviderName", "ChargeClass", "Id" };
	const char *v11[] = { "BilledCost", "SkuMeter" };
	const char *v11b[] = { "CommitmentDiscountQuantity", "ProviderName" };
	const char *v12[] = { "BilledCost", "InvoiceId", "ServiceSubcategory" };
	const char *v12b[] = { "BillingAccountType" };
	const char *v13[] = { "BilledCost", "ServiceProviderName" };
	const char *v13b[] = { "ContractApplied", "InvoiceId" };
	const char *v13c[] = { "HostProviderName" };
	size_t lens[8];
#define DETECT(arr) ({ for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) lens[i] = strlen(arr[i]); \
		validate_detect_version(arr, lens, sizeof arr / sizeof arr[0]); })
	assert_string_equal(DETECT(v10), "1.0");
	assert_string_equal(DETECT(v11), "1.1");
	assert_string_equal(DETECT(v11b), "1.1");
	assert_string_equal(DETECT(v12), "1.2");
	assert_string_equal(DETECT(v12b), "1.2");
	assert_string_equal(DETECT(v13), "1.3");
	assert_string_equal(DETECT(v13b), "1.3");
	assert_string_equal(DETECT(v13c), "1.3");
	assert_string_equal(validate_detect_version(NULL, NULL, 0), "1.0");
}

/* Rules for columns newer than the detected version do not apply. */
static void version_gating(void **state)
{
	struct validate_result res;
	/* A 1.0 file: no InvoiceId (1.2, RECOMMENDED) or ServiceSubcategory findings. */
	run_mem("BilledCost,ChargePeriodStart\n1,2025-01-01T00:00:00Z\n", NULL, &res);
	assert_string_equal(res.version, "1.0");
	assert_int_equal(count_of(&res, "CostAndUsage-D-033-O"), 0);
	assert_int_equal(count_of(&res, "CostAndUsage-D-042-O"), 0);
	/* Mandatory 1.0 columns are reported missing, once each. */
	assert_int_equal(count_of(&res, "CostAndUsage-D-005-M"), 1);
	validate_result_release(&res);
	/* The same with a 1.2 column: now InvoiceId presence is checked... it is there. */
	run_mem("BilledCost,InvoiceId\n1,x\n", NULL, &res);
	assert_string_equal(res.version, "1.2");
	assert_int_equal(count_of(&res, "CostAndUsage-D-033-O"), 0);
	assert_int_equal(count_of(&res, "CostAndUsage-D-042-O"), 1);
	validate_result_release(&res);
}

/* The model's CommitmentDiscountStatus defects are fixed. */
static void commitment_status_fixed(void **state)
{
	struct validate_result res;
	run_mem("CommitmentDiscountId,CommitmentDiscountStatus,ChargeCategory,ServiceSubcategory\n"
		"cd-1,Used,Usage,AI Platforms\n"      /* fine */
		"cd-1,Unused,Usage,AI Platforms\n"    /* fine */
		"cd-1,Active,Usage,AI Platforms\n"    /* not an allowed value */
		",,Usage,AI Platforms\n"              /* null with null id: fine (C-003) */
		",Used,Usage,AI Platforms\n"          /* C-003: must be null */
		"cd-1,,Usage,AI Platforms\n",         /* C-004: must not be null */
		NULL, &res);
	assert_int_equal(count_of(&res, "CommitmentDiscountStatus-C-005-M"), 1);
	assert_string_equal(validate_find(&res, "CommitmentDiscountStatus-C-005-M")->examples[0].value,
			    "Active");
	assert_int_equal(count_of(&res, "CommitmentDiscountStatus-C-003-C"), 1);
	assert_int_equal(count_of(&res, "CommitmentDiscountStatus-C-004-C"), 1);
	validate_result_release(&res);
}

static void values_and_formats(void **state)
{
	struct validate_result res;
	struct validate_opts o = { .max_examples = 1 };
	run_mem("BilledCost,BillingCurrency,ChargePeriodStart,Tags,ListUnitPrice,PricingQuantity,ListCost,ChargeClass\n"
		"1.5,USD,2025-01-01T00:00:00Z,{},2,3,6,\n"
		"abc,usd,yesterday,[1],2,3,7,\n"
		"+1,EUR,2025-01-01 00:00:00,\"{\"\"a\"\":{}}\",0.1,3,0.3,\n"
		"1e+3,XXY,2025-01-01T00:00:00Z,\"{\"\"a\"\":1,\"\"a\"\":2}\",2,3,7,Correction\n",
		&o, &res);
	assert_int_equal(count_of(&res, "BilledCost-C-001-M"), 1);     /* TypeDecimal: abc */
	assert_int_equal(count_of(&res, "BilledCost-C-002-M"), 3);     /* NumericFormat: abc +1 1e+3 */
	assert_int_equal(count_of(&res, "BillingCurrency-C-006-M"), 2); /* usd, XXY */
	assert_int_equal(count_of(&res, "ChargePeriodStart-C-001-M"), 1);
	assert_int_equal(count_of(&res, "ChargePeriodStart-C-002-M"), 1);
	assert_int_equal(count_of(&res, "Tags-C-001-M"), 3);           /* array, nested, duplicate key */
	/* 2 x 3 != 7 fails; the Correction row is exempt. */
	assert_int_equal(count_of(&res, "ListCost-C-009-C"), 1);
	const struct vfinding *f = validate_find(&res, "ListCost-C-009-C");
	assert_string_equal(f->examples[0].value, "7");
	assert_int_equal(f->examples[0].line, 3);
	validate_result_release(&res);
}

static void malformed_csv(void **state)
{
	struct validate_result res;
	run_mem("", NULL, &res);
	assert_int_equal(count_of(&res, "AICOST-CSV-EMPTY"), 1);
	assert_int_equal(res.error_rules, 1);
	validate_result_release(&res);

	run_mem("BilledCost,ChargeCategory\n1,Usage\n2\n3,Usage,extra\n", NULL, &res);
	assert_int_equal(res.rows, 3);
	assert_int_equal(count_of(&res, "AICOST-CSV-FIELDS"), 2);
	validate_result_release(&res);

	run_mem("BilledCost,ChargeCategory\n1,\"Usage\n", NULL, &res);
	assert_int_equal(count_of(&res, "AICOST-CSV-SYNTAX"), 1);
	validate_result_release(&res);

	run_mem("BilledCost,BilledCost,billedcost\n1,2,3\n", NULL, &res);
	assert_int_equal(count_of(&res, "AICOST-DUPLICATE-COLUMN"), 1);
	assert_int_equal(count_of(&res, "ColumnHandling-A-001-M"), 1);
	validate_result_release(&res);
}

static void max_rows(void **state)
{
	struct validate_result res;
	struct validate_opts o = { .max_examples = 0, .max_rows = 2 };
	run_mem("ChargeFrequency\nx\ny\nz\n", &o, &res);
	assert_int_equal(res.rows, 2);
	assert_true(res.truncated);
	const struct vfinding *f = validate_find(&res, "ChargeFrequency-C-003-M");
	assert_non_null(f);
	assert_int_equal(f->count, 2);
	assert_int_equal(f->nexamples, 0);
	validate_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sample_quirks),
		cmocka_unit_test(conforming_file),
		cmocka_unit_test(version_detection),
		cmocka_unit_test(version_gating),
		cmocka_unit_test(commitment_status_fixed),
		cmocka_unit_test(values_and_formats),
		cmocka_unit_test(malformed_csv),
		cmocka_unit_test(max_rows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
