/*
 * unit_cost.h - cost per business unit: `aicost unit-cost` (docs/unit-cost.md).
 *
 * Cost comes from the report engine (core/report.h) grouped by the --by
 * dimensions; units come either from a business metric (the metric table,
 * `aicost ingest metrics`) or from the ledger itself (built-ins: tokens,
 * 1k_tokens, 1m_tokens, requests). Rows join on equal dimension values;
 * a metric row's dimensions are evaluated like the tags of a ledger line,
 * so `team` normalizes and aliases the same way on both sides.
 *
 * Cost without units and units without cost are kept as rows (unit_cost
 * absent) and summed in the result, never dropped.
 *
 * Ownership: everything in a unit_result belongs to it; unit_cost_release frees.
 */
#ifndef AICOST_UNIT_COST_H
#define AICOST_UNIT_COST_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct store;
struct config;

struct unit_query {
	const char *metric;
	const char *const *by;
	size_t nby;
	const char *const *where;    /* "DIM=VALUE" */
	size_t nwhere;
	int amount;                  /* FA_* cost column */
	int64_t from_day, to_day;    /* inclusive; INT64_MIN/INT64_MAX = all */
	int all_cost;                /* built-ins: divide all cost, not only the matching LLM charges */
};

struct unit_row {
	const char **vals;           /* nby values (interned in the result) */
	money_t cost, units, unit_cost;
	int has_cost, has_units, has_unit_cost;  /* has_unit_cost: units != 0 */
};

struct unit_result {
	int builtin;                 /* the metric is computed from the ledger */
	const char *units_desc;      /* what a unit is, for humans */
	size_t nby;
	struct unit_row *rows;
	size_t nrows;
	money_t cost, units, unit_cost;
	int has_unit_cost;
	money_t cost_without_units;  /* cost of rows whose dimension values have no units */
	money_t units_without_cost;
	char currency[16];
	int64_t from_day, to_day;    /* range covered (from > to: nothing) */
	void *priv;
};

/* 0 or -1 after reporting (an unknown metric names the known ones). */
int unit_cost_run(struct store *st, const struct config *cfg, const struct unit_query *q, struct unit_result *res);
void unit_cost_release(struct unit_result *res);

#endif
