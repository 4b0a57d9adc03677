/*
 * metrics_ingest.h - business KPI files into the ledger's metric table
 * (formats/metrics_csv.h), one transaction per file; a file already
 * ingested (same SHA-256) is a no-op. Within a file equal (day, metric,
 * dims) keys add up; a later file replaces the value of a key.
 */
#ifndef AICOST_METRICS_INGEST_H
#define AICOST_METRICS_INGEST_H

#include <stdint.h>

struct store;

struct metrics_ingest_result {
	int64_t source_id;
	int duplicate;
	char sha256[65];
	uint64_t rows, accepted, rejected;
	char first_metric[64];
	unsigned nmetrics;          /* distinct metric names (capped at 1000) */
};

/* 0 ok (maybe duplicate), -1 failed (reported; nothing written). */
int ingest_metrics_file(struct store *st, int64_t batch, const char *path, int strict, unsigned max_print,
			struct metrics_ingest_result *res);

#endif
