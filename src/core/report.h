/*
 * report.h - cost by any dimension over a period: the query engine behind
 * `aicost report` (and, later, the API and dashboard).
 *
 * Work is split by cardinality: every distinct line of the ledger is
 * allocated once (config -> dimension values -> a group id), then the daily
 * sums are scanned and added into (group, time bucket) cells. Nothing is
 * per-row at query time, which is what makes reports over tens of millions
 * of line items take milliseconds.
 */
#ifndef AICOST_REPORT_H
#define AICOST_REPORT_H

#include <stdint.h>
#include "core/money.h"

struct store;
struct config;
struct alloc_line;

enum dim_kind { DK_COLUMN, DK_TAG, DK_ALLOC, DK_DAY, DK_WEEK, DK_MONTH, DK_SPEND };

struct report_dim {
	enum dim_kind kind;
	int id;              /* DK_COLUMN: focus column; DK_ALLOC: dimension index */
	const char *name;    /* as given (tag:KEY keeps the prefix) */
	const char *key;     /* DK_TAG: the tag key */
};

struct report_where {
	struct report_dim dim;
	const char *value;
};

struct report_query {
	const char *const *by;   /* dimension names */
	size_t nby;
	const char *const *where;   /* "DIM=VALUE" */
	size_t nwhere;
	int amount;              /* FA_* column to sum */
	int64_t from_day, to_day;    /* inclusive; INT64_MIN/INT64_MAX = all */
	int no_shared;           /* skip shared-cost redistribution */
	/*
	 * Optional: turn each line's daily amounts into another quantity (energy,
	 * emissions). Called once per line that passes --where; the line's daily
	 * amounts are multiplied by *scale (exact, half-even). Return 0 to skip
	 * the line, 1 to keep it, -1 to fail (after reporting).
	 */
	int (*line_scale)(void *arg, const struct alloc_line *l, money_t *scale);
	void *line_scale_arg;
};

struct report_row {
	const char **vals;       /* nby values; interned in the result */
	money_t cost;
};

struct report_result {
	size_t nby;
	struct report_dim *dims;
	struct report_row *rows;
	size_t nrows;
	money_t total;
	money_t unallocated;     /* cost whose allocation dimension fell to its default */
	const char *unallocated_dim;
	money_t untagged;        /* cost of lines without any tag */
	char currency[16];       /* the single BillingCurrency, or "mixed" */
	int64_t from_day, to_day;    /* the range actually covered */
	uint64_t lines, cells;
	void *priv;
};

/*
 * Resolve a dimension name: FOCUS column, tag:KEY, allocation dimension,
 * day/week/month. Returns 0 or -1 after reporting.
 */
int report_dim_parse(const struct config *cfg, const char *name, struct report_dim *out);

/* Run the query. Returns 0 or -1 after reporting. Free with report_release. */
int report_run(struct store *st, const struct config *cfg, const struct report_query *q, struct report_result *res);
void report_release(struct report_result *res);

#endif
