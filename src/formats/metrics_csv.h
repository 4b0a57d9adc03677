/*
 * metrics_csv.h - business KPI CSV: `date,metric,value[,DIM=VALUE...]`.
 *
 * The header is optional (a first record whose first field is "date").
 * A header may name extra columns (`date,metric,value,use_case`): a cell of
 * such a column is the value of that dimension; a cell written DIM=VALUE
 * names its dimension itself. Values are exact decimals (E-notation ok);
 * dates are YYYY-MM-DD (a full ISO 8601 time is cut to its UTC day).
 * Rows that cannot be used are returned as rejections with line:column.
 *
 * Ownership: the reader owns all memory; a row's strings are valid until
 * the next call; metrics_reader_release frees everything.
 */
#ifndef AICOST_METRICS_CSV_H
#define AICOST_METRICS_CSV_H

#include "core/money.h"
#include "formats/csv.h"

#define METRICS_MAX_DIMS 16

struct metrics_row {
	uint64_t line;
	int64_t day;             /* days since 1970-01-01 */
	const char *metric;      /* NUL-terminated */
	money_t value;
	const char *dims;        /* canonical JSON object of the dimensions, "" when none */
};

struct metrics_reject {
	uint64_t line;
	uint32_t col;
	char why[200];
};

struct metrics_reader {
	struct csv_reader csv;
	char *name;
	char **head;             /* names of the header's extra columns (NULL when no header) */
	size_t nhead;
	int started;
	char *metric, *dims;
	uint64_t rows, rejected;
};

void metrics_reader_init(struct metrics_reader *r, csv_read_fn read, void *ctx, const char *name);
/* 1: *row filled; 2: rejected (*rej); 0: end; -1: fatal (reported, e.g. a CSV syntax error). */
int metrics_reader_next(struct metrics_reader *r, struct metrics_row *row, struct metrics_reject *rej);
void metrics_reader_release(struct metrics_reader *r);

#endif
