/*
 * focus_reader.c - FOCUS rows from CSV records; see focus_reader.h.
 *
 * Chapters: header binding, value checks (amounts, datetimes, enumerations),
 * and the per-row loop. The per-row path does no allocation: key texts
 * point into the CSV window, normalized enumerations point at static strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "formats/focus_reader.h"
#include "util/err.h"

const char *const focus_quirk_text[FQ__COUNT] = {
	[FQ_DATETIME_FORMAT] = "datetime is not in the YYYY-MM-DDTHH:mm:ssZ form",
	[FQ_NULL_TOKEN] = "null written as a NULL token instead of an empty cell",
	[FQ_CUSTOM_COLUMN] = "custom column without the x_ prefix (kept)",
	[FQ_VALUE_CASE] = "allowed value in the wrong case (normalized)",
	[FQ_NUMBER_BLANKS] = "blanks around a number (trimmed)",
	[FQ_NUMBER_ROUNDED] = "more than 18 decimals (rounded half-even)",
	[FQ_HEADER_ALIAS] = "deprecated column name (mapped)",
	[FQ_HEADER_CASE] = "column name in the wrong case (mapped)",
	[FQ_NULL_AMOUNT] = "null amount read as 0",
	[FQ_MISSING_END] = "null ChargePeriodEnd (taken as ChargePeriodStart)",
	[FQ_TAGS_INVALID] = "Tags is not a JSON object (row kept untagged)",
};

const char *const focus_quirk_key[FQ__COUNT] = {
	[FQ_DATETIME_FORMAT] = "datetime_format", [FQ_NULL_TOKEN] = "null_token",
	[FQ_CUSTOM_COLUMN] = "custom_column", [FQ_VALUE_CASE] = "value_case",
	[FQ_NUMBER_BLANKS] = "number_blanks", [FQ_NUMBER_ROUNDED] = "number_rounded",
	[FQ_HEADER_ALIAS] = "header_alias", [FQ_HEADER_CASE] = "header_case",
	[FQ_NULL_AMOUNT] = "null_amount", [FQ_MISSING_END] = "missing_end",
	[FQ_TAGS_INVALID] = "tags_invalid",
};

static void quirk(struct focus_reader *r, enum focus_quirk q, uint64_t line, uint32_t col,
		  const char *column, const char *val, size_t n)
{
	struct focus_quirk_info *qi = &r->quirk[q];
	if (qi->count++ == 0) {
		qi->line = line;
		qi->col = col;
		snprintf(qi->column, sizeof qi->column, "%s", column ? column : "");
		if (n > sizeof qi->example - 1)
			n = sizeof qi->example - 1;
		if (val)
			memcpy(qi->example, val, n);
		qi->example[val ? n : 0] = 0;
	}
}

/* ---- header binding ---------------------------------------------------- */

static int open_header(struct focus_reader *r, csv_read_fn read, void *ctx, const char *name)
{
	int rc;
	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	csv_init(&r->csv, read, ctx);
	for (int i = 0; i < FC__COUNT; i++)
		r->field[i] = -1;
	do
		rc = csv_next(&r->csv);
	while (rc == 1 && r->csv.nfields == 1 && r->csv.fields[0].n == 0);
	if (rc < 0)
		return error("%s:%llu:%u: %s", name, (unsigned long long)r->csv.err_line, r->csv.err_col, r->csv.err);
	if (rc == 0)
		return error("%s: empty file: no FOCUS header", name);
	r->nfields = r->csv.nfields;
	r->extra_field = xcalloc(r->nfields, sizeof *r->extra_field);
	r->extra_name = xcalloc(r->nfields, sizeof *r->extra_name);
	for (size_t f = 0; f < r->nfields; f++) {
		const struct csv_field *cf = &r->csv.fields[f];
		const char *p = cf->p;
		size_t n = cf->n;
		int how = 0;
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			n--;
		int id = n ? focus_col_lookup(p, n, &how) : -1;
		int exact = id >= 0 && strlen(focus_columns[id].name) == n && !memcmp(focus_columns[id].name, p, n);
		if (id >= 0 && r->field[id] >= 0) {
			/* Two names for one slot (ProviderName beside ServiceProviderName): the 1.3 name wins, the other stays an extra. */
			int old = r->field[id];
			const struct csv_field *of = &r->csv.fields[old];
			int old_exact = of->n == strlen(focus_columns[id].name) &&
					!memcmp(of->p, focus_columns[id].name, of->n);
			if (exact && old_exact)
				return error("%s:%llu:%u: duplicate column '%.*s'", name, (unsigned long long)r->csv.line,
					     cf->col, (int)n, p);
			if (!exact) {
				id = -1;
			} else {
				r->extra_field[r->nextra] = old;
				r->extra_name[r->nextra++] = xstrndup(of->p, of->n);
			}
		}
		if (id >= 0 && focus_columns[id].role != FR_EXTRA) {
			r->field[id] = (int)f;
			/* ProviderName is the right name up to FOCUS 1.2: only older names are worth a warning. */
			if (how == 1 && !(n == 12 && !memcmp(p, "ProviderName", 12)))
				quirk(r, FQ_HEADER_ALIAS, r->csv.line, cf->col, focus_columns[id].name, p, n);
			else if (how == 2)
				quirk(r, FQ_HEADER_CASE, r->csv.line, cf->col, focus_columns[id].name, p, n);
			continue;
		}
		if (id >= 0)
			r->field[id] = (int)f;
		r->extra_field[r->nextra] = (int)f;
		r->extra_name[r->nextra] = id >= 0 ? xstrdup(focus_columns[id].name) : xstrndup(p, n);
		r->nextra++;
		if (id < 0 && !(n >= 2 && p[0] == 'x' && p[1] == '_'))
			quirk(r, FQ_CUSTOM_COLUMN, r->csv.line, cf->col, "", p, n);
	}
	static const enum focus_col_id required[] = { FC_CHARGE_PERIOD_START, FC_BILLED_COST, FC_EFFECTIVE_COST };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (r->field[required[i]] < 0)
			return error("%s:1:1: not a FOCUS cost and usage file: no %s column", name,
				     focus_columns[required[i]].name);
	r->extra_buf = xcalloc(r->nextra ? r->nextra : 1, sizeof *r->extra_buf);
	return 0;
}

int focus_reader_open(struct focus_reader *r, csv_read_fn read, void *ctx, const char *name)
{
	if (open_header(r, read, ctx, name) < 0) {
		focus_reader_release(r);
		return -1;
	}
	return 0;
}

void focus_reader_release(struct focus_reader *r)
{
	csv_release(&r->csv);
	for (size_t i = 0; i < r->nextra; i++)
		free(r->extra_name[i]);
	free(r->extra_name);
	free(r->extra_field);
	free(r->extra_buf);
	free(r->name);
	memset(r, 0, sizeof *r);
}

/* ---- value checks ------------------------------------------------------ */

/* Allowed values of enumerated columns, for case normalization. */
static const struct {
	enum focus_col_id col;
	const char *vals[8];
} enums[] = {
	{ FC_CHARGE_CATEGORY, { "Usage", "Purchase", "Tax", "Credit", "Adjustment" } },
	{ FC_CHARGE_CLASS, { "Correction" } },
	{ FC_CHARGE_FREQUENCY, { "One-Time", "Recurring", "Usage-Based" } },
	{ FC_PRICING_CATEGORY, { "Standard", "Committed", "Dynamic", "Other" } },
	{ FC_COMMITMENT_DISCOUNT_CATEGORY, { "Spend", "Usage" } },
	{ FC_COMMITMENT_DISCOUNT_STATUS, { "Used", "Unused" } },
	{ FC_CAPACITY_RESERVATION_STATUS, { "Used", "Unused" } },
};

static const char *normalize_enum(enum focus_col_id col, const char *p, size_t n, int *changed)
{
	*changed = 0;
	for (size_t i = 0; i < sizeof enums / sizeof enums[0]; i++) {
		if (enums[i].col != col)
			continue;
		for (int k = 0; k < 8 && enums[i].vals[k]; k++) {
			const char *v = enums[i].vals[k];
			if (strlen(v) != n || strncasecmp(v, p, n) != 0)
				continue;
			*changed = memcmp(v, p, n) != 0;
			return v;
		}
	}
	return NULL;
}

#define REJECT(fmt, ...) do { \
	rej->line = csv_field_line(&r->csv, fi); \
	rej->col = r->csv.fields[fi].col; \
	snprintf(rej->column, sizeof rej->column, "%s", cname); \
	snprintf(rej->why, sizeof rej->why, fmt, __VA_ARGS__); \
	return 2; \
} while (0)

static int show(const char *p, size_t n)
{
	return n > 40 ? 40 : (int)n;
}

/* ---- the per-row loop -------------------------------------------------- */

int focus_reader_next(struct focus_reader *r, struct focus_row *row, struct focus_reject *rej)
{
	int rc;
	for (;;) {
		rc = csv_next(&r->csv);
		if (rc < 0)
			return error("%s:%llu:%u: %s", r->name, (unsigned long long)r->csv.err_line,
				     r->csv.err_col, r->csv.err);
		if (rc == 0)
			return 0;
		if (r->csv.nfields == 1 && r->csv.fields[0].n == 0)
			continue; /* blank line */
		break;
	}
	r->rows++;
	row->line = r->csv.line;
	memset(row->amt, 0, sizeof row->amt); /* absent columns read as 0 */
	row->extra = r->extra_buf;
	if (r->csv.nfields != r->nfields) {
		r->rejected++;
		rej->line = r->csv.line;
		rej->col = 1;
		rej->column[0] = 0;
		snprintf(rej->why, sizeof rej->why, "row has %zu fields, the header has %zu", r->csv.nfields, r->nfields);
		return 2;
	}
	const struct csv_field *F = r->csv.fields;
	rc = 1;
	for (int c = 0; c < FC__COUNT; c++) {
		int fi = r->field[c];
		const char *cname = focus_columns[c].name;
		enum focus_role role = focus_columns[c].role;
		if (role == FR_EXTRA)
			continue;
		if (fi < 0) {
			row->key[c].p = NULL;
			row->key[c].n = 0;
			if (c == FC_CHARGE_PERIOD_END)
				row->end = INT64_MIN; /* no column: end = start, below */
			continue;
		}
		const char *p = F[fi].p;
		size_t n = F[fi].n;
		int isnull = focus_is_null(p, n);
		if (isnull && n)
			quirk(r, FQ_NULL_TOKEN, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
		switch (role) {
		case FR_COST: {
			int a = 0;
			while (focus_amount_cols[a] != (enum focus_col_id)c)
				a++;
			if (isnull) {
				if (a == FA_BILLED || a == FA_EFFECTIVE)
					goto reject_null;
				row->amt[a] = 0;
				/* Null quantities are normal (purchases, taxes); null List/ContractedCost are not. */
				if (a == FA_LIST || a == FA_CONTRACTED)
					quirk(r, FQ_NULL_AMOUNT, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
				break;
			}
			unsigned fl = 0;
			int mrc = money_parse(p, n, &row->amt[a], &fl);
			if (mrc == -2)
				goto reject_range;
			if (mrc < 0)
				goto reject_number;
			if (fl & MONEY_SPACES)
				quirk(r, FQ_NUMBER_BLANKS, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
			if (fl & MONEY_ROUNDED)
				quirk(r, FQ_NUMBER_ROUNDED, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
			break;
		}
		case FR_TIME: {
			int64_t t;
			int ns = 0;
			if (isnull) {
				if (c == FC_CHARGE_PERIOD_START)
					goto reject_null;
				quirk(r, FQ_MISSING_END, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
				row->end = INT64_MIN; /* fixed up below, once start is known */
				break;
			}
			if (focus_parse_datetime(p, n, &t, &ns) < 0)
				goto reject_datetime;
			if (ns)
				quirk(r, FQ_DATETIME_FORMAT, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
			if (c == FC_CHARGE_PERIOD_START)
				row->start = t;
			else
				row->end = t;
			break;
		}
		default: /* FR_KEY, FR_TAGS */
			if (isnull) {
				row->key[c].p = NULL;
				row->key[c].n = 0;
				break;
			}
			if (focus_columns[c].type == FT_DATETIME) {
				int64_t t;
				int ns = 0;
				char *buf = r->dtbuf[c == FC_BILLING_PERIOD_START];
				if (focus_parse_datetime(p, n, &t, &ns) < 0)
					goto reject_datetime;
				if (ns)
					quirk(r, FQ_DATETIME_FORMAT, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
				focus_format_datetime(t, buf);
				row->key[c].p = buf;
				row->key[c].n = 20;
				break;
			}
			{
				int changed;
				const char *canon = normalize_enum((enum focus_col_id)c, p, n, &changed);
				if (canon) {
					if (changed)
						quirk(r, FQ_VALUE_CASE, csv_field_line(&r->csv, fi), F[fi].col, cname, p, n);
					p = canon;
				}
			}
			row->key[c].p = p;
			row->key[c].n = (uint32_t)n;
			break;
		}
		continue;
reject_null:
		r->rejected++;
		REJECT("%s is null; FOCUS requires a value", cname);
reject_number:
		r->rejected++;
		REJECT("'%.*s' is not a decimal number", show(p, n), p);
reject_range:
		r->rejected++;
		REJECT("'%.*s' is out of range", show(p, n), p);
reject_datetime:
		r->rejected++;
		REJECT("'%.*s' is not an ISO 8601 datetime", show(p, n), p);
	}
	if (row->end == INT64_MIN)
		row->end = row->start;
	for (size_t e = 0; e < r->nextra; e++) {
		const struct csv_field *cf = &F[r->extra_field[e]];
		if (focus_is_null(cf->p, cf->n)) {
			r->extra_buf[e].p = NULL;
			r->extra_buf[e].n = 0;
		} else {
			r->extra_buf[e].p = cf->p;
			r->extra_buf[e].n = cf->n;
		}
	}
	return rc;
}
