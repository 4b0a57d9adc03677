/*
 * focus_reader.h - stream FOCUS Cost and Usage rows out of a CSV.
 *
 * The reader binds header names to catalog columns, then turns each record
 * into a focus_row: exact amounts, epoch times, and pointers to the key
 * column texts (valid until the next call). Rows that cannot be used are
 * returned as rejections with file:line:column and a reason; tolerated
 * quirks are counted (with their first location) instead of printed per
 * row. The reader owns all its memory; focus_reader_release frees it.
 */
#ifndef AICOST_FOCUS_READER_H
#define AICOST_FOCUS_READER_H

#include "formats/csv.h"
#include "formats/focus.h"

/* Tolerated deviations, reported once per file with a count. */
enum focus_quirk {
	FQ_DATETIME_FORMAT,   /* not YYYY-MM-DDTHH:mm:ssZ */
	FQ_NULL_TOKEN,        /* NULL/null instead of an empty cell */
	FQ_CUSTOM_COLUMN,     /* unknown column without the x_ prefix */
	FQ_VALUE_CASE,        /* enumerated value in the wrong case, normalized */
	FQ_NUMBER_BLANKS,     /* blanks around a number */
	FQ_NUMBER_ROUNDED,    /* more than 18 decimals, rounded half-even */
	FQ_HEADER_ALIAS,      /* deprecated column name */
	FQ_HEADER_CASE,       /* column name in the wrong case */
	FQ_NULL_AMOUNT,       /* null ListCost/ContractedCost/quantity read as 0 */
	FQ_MISSING_END,       /* null ChargePeriodEnd: end = start */
	FQ_TAGS_INVALID,      /* Tags is not a JSON object: row kept untagged */
	FQ__COUNT
};

struct focus_quirk_info {
	uint64_t count;
	uint64_t line;
	uint32_t col;
	char column[48];
	char example[64];
};

struct focus_text {
	const char *p;     /* NULL for a null cell */
	uint32_t n;
};

struct focus_row {
	uint64_t line;
	int64_t start, end;              /* ChargePeriod, epoch seconds */
	money_t amt[FA__COUNT];
	struct focus_text key[FC__COUNT];   /* FR_KEY and FR_TAGS columns */
	struct focus_text *extra;           /* nextra entries */
};

struct focus_reject {
	uint64_t line;
	uint32_t col;
	char column[48];
	char why[200];
};

struct focus_reader {
	struct csv_reader csv;
	char *name;
	int field[FC__COUNT];        /* csv field index of each catalog column, -1 if absent */
	size_t nfields;              /* header width */
	size_t nextra;
	int *extra_field;
	char **extra_name;
	struct focus_quirk_info quirk[FQ__COUNT];
	struct focus_text *extra_buf;
	char dtbuf[2][21];           /* canonical BillingPeriodStart/End of the current row */
	uint64_t rows, rejected;
};

extern const char *const focus_quirk_text[FQ__COUNT];
/* Stable short names (JSON keys in `aicost sources`). */
extern const char *const focus_quirk_key[FQ__COUNT];

/*
 * Read the header. `name` is used in messages. Returns 0, or -1 after
 * reporting (e.g. "x.csv:1:1: not a FOCUS cost file: no ChargePeriodStart column").
 */
int focus_reader_open(struct focus_reader *r, csv_read_fn read, void *ctx, const char *name);

/* 1: *row filled; 2: row rejected, *rej filled; 0: end; -1: fatal (reported). */
int focus_reader_next(struct focus_reader *r, struct focus_row *row, struct focus_reject *rej);

void focus_reader_release(struct focus_reader *r);

#endif
