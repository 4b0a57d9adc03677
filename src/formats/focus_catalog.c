/*
 * focus_catalog.c - the FOCUS column table, header-name lookup, and the
 * datetime/null conventions shared by ingest and validate.
 */
#include <string.h>
#include <strings.h>
#include "formats/focus.h"

const struct focus_col focus_columns[FC__COUNT] = {
#define X(id, name, type, role, ver) { name, type, role, ver },
	FOCUS_COLUMNS(X)
#undef X
};

const char *const focus_amount_names[FA__COUNT] = {
	"BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity", "PricingQuantity",
};
const enum focus_col_id focus_amount_cols[FA__COUNT] = {
	FC_BILLED_COST, FC_EFFECTIVE_COST, FC_LIST_COST, FC_CONTRACTED_COST,
	FC_CONSUMED_QUANTITY, FC_PRICING_QUANTITY,
};

/* Names that FOCUS 1.3 deprecated, and 0.5-era names, mapped to the slot we keep. */
static const struct {
	const char *name;
	enum focus_col_id id;
} aliases[] = {
	{ "ProviderName", FC_SERVICE_PROVIDER_NAME },
	{ "Region", FC_REGION_ID },
	{ "UsageQuantity", FC_CONSUMED_QUANTITY },
	{ "UsageUnit", FC_CONSUMED_UNIT },
	{ "AmortizedCost", FC_EFFECTIVE_COST },
};

int focus_col_lookup(const char *name, size_t n, int *how)
{
	for (int i = 0; i < FC__COUNT; i++)
		if (strlen(focus_columns[i].name) == n && memcmp(focus_columns[i].name, name, n) == 0) {
			if (how)
				*how = 0;
			return i;
		}
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strlen(aliases[i].name) == n && memcmp(aliases[i].name, name, n) == 0) {
			if (how)
				*how = 1;
			return aliases[i].id;
		}
	for (int i = 0; i < FC__COUNT; i++)
		if (strlen(focus_columns[i].name) == n && strncasecmp(focus_columns[i].name, name, n) == 0) {
			if (how)
				*how = 2;
			return i;
		}
	return -1;
}

int focus_is_null(const char *p, size_t n)
{
	return n == 0 || (n == 4 && strncasecmp(p, "null", 4) == 0);
}

/* Days from civil (Howard Hinnant's algorithm), proleptic Gregorian. */
int64_t ymd_to_day(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void day_to_ymd(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void format_day(int64_t day, char out[11])
{
	int y, m, d;
	day_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00", 11);
		return;
	}
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = 0;
}

static int digits(const char *s, size_t n, int *v)
{
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int parse_day(const char *s, int64_t *day)
{
	int y, m, d;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
	    digits(s + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*day = ymd_to_day(y, m, d);
	return 0;
}

int focus_parse_datetime(const char *s, size_t n, int64_t *epoch, int *nonstrict)
{
	int y, mo, d, h = 0, mi = 0, se = 0, strict = 1;
	size_t i;
	long off = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
		n--;
		strict = 0;
	}
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
		strict = 0;
	}
	if (n < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	i = 10;
	if (i == n) {
		strict = 0;
		goto done;
	}
	if (s[i] != 'T' && s[i] != ' ' && s[i] != 't')
		return -1;
	if (s[i] != 'T')
		strict = 0;
	i++;
	if (n - i < 5 || s[i + 2] != ':' || digits(s + i, 2, &h) || digits(s + i + 3, 2, &mi))
		return -1;
	i += 5;
	if (i < n && s[i] == ':') {
		if (n - i < 3 || digits(s + i + 1, 2, &se))
			return -1;
		i += 3;
	} else {
		strict = 0;
	}
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		/* Fractions are accepted and truncated: charge periods are whole seconds. */
		strict = 0;
		i++;
		size_t st = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == st)
			return -1;
	}
	if (h > 24 || mi > 59 || se > 60 || (h == 24 && (mi || se)))
		return -1;
	if (i == n) {
		strict = 0; /* no zone: UTC */
	} else if (s[i] == 'Z' || s[i] == 'z') {
		if (s[i] == 'z')
			strict = 0;
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
		strict = 0;
		i++;
		if (n - i < 2 || digits(s + i, 2, &oh))
			return -1;
		i += 2;
		if (i < n && s[i] == ':')
			i++;
		if (n - i >= 2) {
			if (digits(s + i, 2, &om))
				return -1;
			i += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600L + om * 60L);
	}
	if (i != n)
		return -1;
done:
	if (se == 60)
		se = 59; /* leap second: clamp, charge periods never start there */
	*epoch = ymd_to_day(y, mo, d) * 86400 + h * 3600L + mi * 60L + se - off;
	if (nonstrict)
		*nonstrict = !strict;
	return 0;
}

void focus_format_datetime(int64_t epoch, char out[21])
{
	int64_t day = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
	int64_t sec = epoch - day * 86400;
	format_day(day, out);
	out[10] = 'T';
	out[11] = (char)('0' + sec / 36000);
	out[12] = (char)('0' + sec / 3600 % 10);
	out[13] = ':';
	out[14] = (char)('0' + sec % 3600 / 600);
	out[15] = (char)('0' + sec % 3600 / 60 % 10);
	out[16] = ':';
	out[17] = (char)('0' + sec % 60 / 10);
	out[18] = (char)('0' + sec % 10);
	out[19] = 'Z';
	out[20] = 0;
}
