/*
 * anomalies.h - cost anomalies in the ledger: daily series by scope
 * (core/series.h) -> the detector (core/anomaly.h) -> driver attribution
 * over sub-dimensions -> a list for `aicost anomalies` (and the API).
 *
 * Ownership: a result owns its anomalies and the strings they point to
 * (interned in the series sets it keeps); free with anomalies_release().
 */
#ifndef AICOST_ANOMALIES_H
#define AICOST_ANOMALIES_H

#include <stddef.h>
#include <stdint.h>
#include "core/anomaly.h"
#include "core/money.h"
#include "core/report.h"
#include "core/series.h"

struct config;
struct store;

struct anomaly_settings {
	double min_impact;       /* billing currency; default 50 */
	double min_pct;          /* percent of expected; default 20 */
	double threshold;        /* robust z; from sensitivity (low 6, medium 4.5, high 3.5) */
	int direction;           /* +1 up (default), -1 down, 0 both */
	const char *drivers[8];  /* sub-dimensions for root cause; default ResourceId, SkuMeter, ServiceName (+ team if configured) */
	size_t ndrivers;
};

/* Defaults, then the `anomalies:` section of the config. Returns 0 or -1 after reporting. */
int anomaly_settings_load(const struct config *cfg, struct anomaly_settings *s);

struct anomaly_driver {
	const char *dimension, *value;
	double impact;
};

struct anomaly {
	const char *kind;        /* "spike" (increase), "drop", "one-time" */
	int64_t start, end;      /* days */
	size_t scope;            /* index into res->series */
	double expected;
	money_t actual;          /* exact */
	double impact, score;
	struct anomaly_driver drivers[8];
	size_t ndrivers;
	const char *category;    /* one-time: the ChargeCategory */
};

struct anomaly_query {
	struct report_query base;    /* where, amount, from/to (by ignored) */
	const char *const *dims;     /* scope dimensions */
	size_t ndims;
	int64_t only_from, only_to;  /* report only anomalies touching these days (incremental); INT64_MIN/MAX = all */
};

struct anomaly_result {
	struct series_set series;
	struct anomaly *a;
	size_t n;
	void *priv;
};

int anomalies_run(struct store *st, const struct config *cfg, const struct anomaly_query *q,
		  const struct anomaly_settings *set, struct anomaly_result *res);
void anomalies_release(struct anomaly_result *res);

/* The day range of the newest ingest batch (for --new). 1 if any, 0 if the ledger is empty, -1 on error. */
int anomalies_newest_batch(struct store *st, int64_t *from, int64_t *to);

#endif
