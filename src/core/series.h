/*
 * series.h - daily cost series by scope, built from the ledger through the
 * report engine (core/report.h), for the anomaly detector and forecasts.
 *
 * A scope is one combination of values of the requested dimensions (none:
 * one scope, all cost). Each scope gets a gap-free daily series over the
 * covered range (a day without cost is 0) of its recurring charges, and the
 * one-time charges (ChargeCategory Purchase, Tax, Credit, Adjustment) are
 * kept apart as a list, because a yearly reservation purchase is not a
 * spike of the recurring spend.
 *
 * Ownership: everything belongs to the series_set and dies with
 * series_release(); strings are interned in the underlying report result.
 */
#ifndef AICOST_SERIES_H
#define AICOST_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct store;
struct config;
struct report_query;

struct series_onetime {
	size_t scope;
	const char *category;    /* "Purchase", "Tax", "Credit", "Adjustment" */
	int64_t day;
	money_t amount;
};

struct series_set {
	size_t ndims;
	const char *const *dims;     /* the scope dimension names (the caller's array) */
	int64_t from_day;            /* day of index 0 */
	size_t ndays;
	size_t nscopes;
	const char **vals;           /* nscopes * ndims scope values */
	money_t *amt;                /* nscopes * ndays exact recurring cost per day */
	money_t *total;              /* nscopes: exact total, recurring + one-time */
	struct series_onetime *ot;   /* sorted by scope, category, day */
	size_t not;
	char currency[16];
	void *priv;
};

/* 1 for the ChargeCategory values that are one-time charges. */
int series_is_onetime(const char *category);

/*
 * Build series for `dims` (may be 0) over q->where, q->amount and
 * [q->from_day, q->to_day] (q->by is ignored). Returns 0 or -1 after
 * reporting. Release with series_release even after an error.
 */
int series_build(struct store *st, const struct config *cfg, const struct report_query *q,
		 const char *const *dims, size_t ndims, struct series_set *out);
void series_release(struct series_set *s);

/* Index of the scope whose values equal vals[0..ndims) (string compare), or -1. */
long series_find(const struct series_set *s, const char *const *vals);

#endif
