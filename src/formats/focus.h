/*
 * focus.h - FOCUS cost-and-usage rows: the column catalog and a streaming
 * row parser on top of csv.h.
 *
 * The catalog lists every FOCUS 1.0-1.3 CostAndUsage column once. Each has a
 * role in the ledger:
 *   KEY   string (or JSON) columns that describe *what* was charged; together
 *         with the tag set they form a "line" that hourly rows repeat, so the
 *         ledger stores each distinct line once (dictionary encoding);
 *   COST  the four cost columns and two quantities, exact per row (money_t);
 *   TIME  ChargePeriodStart/End, per row;
 *   TAGS  the Tags JSON object, stored once per distinct tag set;
 *   EXTRA per-row values kept verbatim (unit prices, per-row JSON), like
 *         unknown and x_ columns.
 * Catalog indices are stable and stored in the ledger: only append.
 */
#ifndef AICOST_FOCUS_H
#define AICOST_FOCUS_H

#include <stdint.h>
#include "core/money.h"
#include "formats/csv.h"

enum focus_type { FT_STRING, FT_DECIMAL, FT_DATETIME, FT_JSON };
enum focus_role { FR_KEY, FR_COST, FR_TIME, FR_TAGS, FR_EXTRA };

/* X(id, name, type, role, version introduced) */
#define FOCUS_COLUMNS(X) \
	X(AVAILABILITY_ZONE, "AvailabilityZone", FT_STRING, FR_KEY, "0.5") \
	X(BILLED_COST, "BilledCost", FT_DECIMAL, FR_COST, "0.5") \
	X(BILLING_ACCOUNT_ID, "BillingAccountId", FT_STRING, FR_KEY, "0.5") \
	X(BILLING_ACCOUNT_NAME, "BillingAccountName", FT_STRING, FR_KEY, "0.5") \
	X(BILLING_ACCOUNT_TYPE, "BillingAccountType", FT_STRING, FR_KEY, "1.2") \
	X(BILLING_CURRENCY, "BillingCurrency", FT_STRING, FR_KEY, "0.5") \
	X(BILLING_PERIOD_END, "BillingPeriodEnd", FT_DATETIME, FR_KEY, "0.5") \
	X(BILLING_PERIOD_START, "BillingPeriodStart", FT_DATETIME, FR_KEY, "0.5") \
	X(CAPACITY_RESERVATION_ID, "CapacityReservationId", FT_STRING, FR_KEY, "1.1") \
	X(CAPACITY_RESERVATION_STATUS, "CapacityReservationStatus", FT_STRING, FR_KEY, "1.1") \
	X(CHARGE_CATEGORY, "ChargeCategory", FT_STRING, FR_KEY, "0.5") \
	X(CHARGE_CLASS, "ChargeClass", FT_STRING, FR_KEY, "1.0") \
	X(CHARGE_DESCRIPTION, "ChargeDescription", FT_STRING, FR_KEY, "1.0") \
	X(CHARGE_FREQUENCY, "ChargeFrequency", FT_STRING, FR_KEY, "1.0") \
	X(CHARGE_PERIOD_END, "ChargePeriodEnd", FT_DATETIME, FR_TIME, "0.5") \
	X(CHARGE_PERIOD_START, "ChargePeriodStart", FT_DATETIME, FR_TIME, "0.5") \
	X(COMMITMENT_DISCOUNT_CATEGORY, "CommitmentDiscountCategory", FT_STRING, FR_KEY, "1.0") \
	X(COMMITMENT_DISCOUNT_ID, "CommitmentDiscountId", FT_STRING, FR_KEY, "1.0") \
	X(COMMITMENT_DISCOUNT_NAME, "CommitmentDiscountName", FT_STRING, FR_KEY, "1.0") \
	X(COMMITMENT_DISCOUNT_QUANTITY, "CommitmentDiscountQuantity", FT_DECIMAL, FR_EXTRA, "1.1") \
	X(COMMITMENT_DISCOUNT_STATUS, "CommitmentDiscountStatus", FT_STRING, FR_KEY, "1.0") \
	X(COMMITMENT_DISCOUNT_TYPE, "CommitmentDiscountType", FT_STRING, FR_KEY, "1.0") \
	X(COMMITMENT_DISCOUNT_UNIT, "CommitmentDiscountUnit", FT_STRING, FR_KEY, "1.1") \
	X(CONSUMED_QUANTITY, "ConsumedQuantity", FT_DECIMAL, FR_COST, "1.0") \
	X(CONSUMED_UNIT, "ConsumedUnit", FT_STRING, FR_KEY, "1.0") \
	X(CONTRACTED_COST, "ContractedCost", FT_DECIMAL, FR_COST, "1.0") \
	X(CONTRACTED_UNIT_PRICE, "ContractedUnitPrice", FT_DECIMAL, FR_EXTRA, "1.0") \
	X(EFFECTIVE_COST, "EffectiveCost", FT_DECIMAL, FR_COST, "0.5") \
	X(INVOICE_ID, "InvoiceId", FT_STRING, FR_KEY, "1.2") \
	X(INVOICE_ISSUER_NAME, "InvoiceIssuerName", FT_STRING, FR_KEY, "0.5") \
	X(LIST_COST, "ListCost", FT_DECIMAL, FR_COST, "1.0") \
	X(LIST_UNIT_PRICE, "ListUnitPrice", FT_DECIMAL, FR_EXTRA, "1.0") \
	X(PRICING_CATEGORY, "PricingCategory", FT_STRING, FR_KEY, "1.0") \
	X(PRICING_CURRENCY, "PricingCurrency", FT_STRING, FR_KEY, "1.2") \
	X(PRICING_CURRENCY_CONTRACTED_UNIT_PRICE, "PricingCurrencyContractedUnitPrice", FT_DECIMAL, FR_EXTRA, "1.2") \
	X(PRICING_CURRENCY_EFFECTIVE_COST, "PricingCurrencyEffectiveCost", FT_DECIMAL, FR_EXTRA, "1.2") \
	X(PRICING_CURRENCY_LIST_UNIT_PRICE, "PricingCurrencyListUnitPrice", FT_DECIMAL, FR_EXTRA, "1.2") \
	X(PRICING_QUANTITY, "PricingQuantity", FT_DECIMAL, FR_COST, "1.0") \
	X(PRICING_UNIT, "PricingUnit", FT_STRING, FR_KEY, "1.0") \
	X(SERVICE_PROVIDER_NAME, "ServiceProviderName", FT_STRING, FR_KEY, "1.3") \
	X(PUBLISHER_NAME, "PublisherName", FT_STRING, FR_KEY, "0.5") \
	X(REGION_ID, "RegionId", FT_STRING, FR_KEY, "1.0") \
	X(REGION_NAME, "RegionName", FT_STRING, FR_KEY, "1.0") \
	X(RESOURCE_ID, "ResourceId", FT_STRING, FR_KEY, "0.5") \
	X(RESOURCE_NAME, "ResourceName", FT_STRING, FR_KEY, "0.5") \
	X(RESOURCE_TYPE, "ResourceType", FT_STRING, FR_KEY, "1.0") \
	X(SERVICE_CATEGORY, "ServiceCategory", FT_STRING, FR_KEY, "0.5") \
	X(SERVICE_NAME, "ServiceName", FT_STRING, FR_KEY, "0.5") \
	X(SERVICE_SUBCATEGORY, "ServiceSubcategory", FT_STRING, FR_KEY, "1.1") \
	X(SKU_ID, "SkuId", FT_STRING, FR_KEY, "1.0") \
	X(SKU_METER, "SkuMeter", FT_STRING, FR_KEY, "1.1") \
	X(SKU_PRICE_DETAILS, "SkuPriceDetails", FT_JSON, FR_KEY, "1.1") \
	X(SKU_PRICE_ID, "SkuPriceId", FT_STRING, FR_KEY, "1.0") \
	X(SUB_ACCOUNT_ID, "SubAccountId", FT_STRING, FR_KEY, "0.5") \
	X(SUB_ACCOUNT_NAME, "SubAccountName", FT_STRING, FR_KEY, "0.5") \
	X(SUB_ACCOUNT_TYPE, "SubAccountType", FT_STRING, FR_KEY, "1.2") \
	X(TAGS, "Tags", FT_JSON, FR_TAGS, "1.0") \
	X(HOST_PROVIDER_NAME, "HostProviderName", FT_STRING, FR_KEY, "1.3") \
	X(ALLOCATED_METHOD_ID, "AllocatedMethodId", FT_STRING, FR_KEY, "1.3") \
	X(ALLOCATED_RESOURCE_ID, "AllocatedResourceId", FT_STRING, FR_KEY, "1.3") \
	X(ALLOCATED_RESOURCE_NAME, "AllocatedResourceName", FT_STRING, FR_KEY, "1.3") \
	X(ALLOCATED_TAGS, "AllocatedTags", FT_JSON, FR_KEY, "1.3") \
	X(ALLOCATED_METHOD_DETAILS, "AllocatedMethodDetails", FT_JSON, FR_EXTRA, "1.3") \
	X(CONTRACT_APPLIED, "ContractApplied", FT_JSON, FR_EXTRA, "1.3")

enum focus_col_id {
#define X(id, name, type, role, ver) FC_##id,
	FOCUS_COLUMNS(X)
#undef X
	FC__COUNT
};

struct focus_col {
	const char *name;
	enum focus_type type;
	enum focus_role role;
	const char *since;
};

extern const struct focus_col focus_columns[FC__COUNT];

/*
 * Look a column up by header name: exact, then deprecated aliases
 * (ProviderName -> ServiceProviderName), then case-insensitively.
 * Returns the id or -1. *how (may be NULL) is 0 exact, 1 alias, 2 case.
 */
int focus_col_lookup(const char *name, size_t n, int *how);

/* The six per-row amounts, in this order everywhere (store, sources, report). */
enum focus_amount {
	FA_BILLED, FA_EFFECTIVE, FA_LIST, FA_CONTRACTED, FA_CONSUMED_QTY, FA_PRICING_QTY,
	FA__COUNT
};
extern const char *const focus_amount_names[FA__COUNT];
extern const enum focus_col_id focus_amount_cols[FA__COUNT];

/*
 * Datetime parsing: ISO 8601 with 'T' or space, optional fraction, 'Z',
 * +hh:mm / +hhmm offset, or nothing (UTC); a bare date is midnight UTC.
 * Returns 0 and seconds since the epoch, or -1. *nonstrict is set when the
 * text is not exactly YYYY-MM-DDTHH:mm:ssZ (a conformance warning).
 */
int focus_parse_datetime(const char *s, size_t n, int64_t *epoch, int *nonstrict);
/* Format epoch as YYYY-MM-DDTHH:mm:ssZ (21 bytes incl. NUL). */
void focus_format_datetime(int64_t epoch, char out[21]);
/* Days since 1970-01-01 <-> YYYY-MM-DD. */
void day_to_ymd(int64_t day, int *y, int *m, int *d);
int64_t ymd_to_day(int y, int m, int d);
void format_day(int64_t day, char out[11]);
int parse_day(const char *s, int64_t *day);

/* True if the cell is a FOCUS null: empty, or NULL/null (any case). */
int focus_is_null(const char *p, size_t n);

#endif
