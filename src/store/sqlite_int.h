/*
 * sqlite_int.h - what the SQLite ledger's files share: the store struct,
 * the prepared core statements and the helpers. Only src/store/sqlite*.c
 * include it. Each area (GPU telemetry, metrics, alert state) keeps its
 * schema, statements and ops in its own sqlite_<area>.c and is wired into
 * the ops table and area_schema[] in sqlite.c.
 */
#ifndef AICOST_SQLITE_INT_H
#define AICOST_SQLITE_INT_H

#include <sqlite3.h>
#include "store/store.h"

enum stmt_id {
	S_SOURCE_FIND, S_SOURCE_SIZE, S_SOURCE_ADD, S_SOURCE_UPDATE, S_SOURCE_SCAN, S_REJECT_ADD,
	S_TAGSET_SCAN, S_TAGSET_ADD, S_LINE_SCAN, S_LINE_ADD, S_PERIOD_FIND, S_PERIOD_ADD,
	S_SEG_ADD, S_DAILY_ADD, S_DAILY_SCAN0, S_DAY_RANGE,
	S__COUNT
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	sqlite3_stmt *st[S__COUNT];
	sqlite3_stmt *scan[FA__COUNT];
	/* Statements of the other areas (finalized in sq_close). */
	/* ---- GPU telemetry ---- */

	/* ---- LLM usage and business metrics ---- */
	sqlite3_stmt *metric_st[4];

	/* ---- alert state: budgets ---- */

};

static inline struct sqlite_store *S(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* Report "PATH: what: sqlite message"; returns -1. */
int sq_dberr(struct sqlite_store *ss, const char *what);
void sq_bind_money(sqlite3_stmt *st, int i, money_t v);
money_t sq_col_money(sqlite3_stmt *st, int i);
/* Run SQL text (no parameters); -1 after reporting. */
int sq_exec(struct sqlite_store *ss, const char *q);
/* Step once and reset; -1 after reporting unless DONE or ROW. */
int sq_run(struct sqlite_store *ss, sqlite3_stmt *st, const char *what);

/* ---- GPU telemetry (sqlite_gpu.c) ---- */

/* ---- LLM usage and business metrics (sqlite_metrics.c) ---- */
extern const char sq_metrics_schema[];
int sq_metric_add(struct store *s, int64_t source_id, int32_t day, const char *metric, const char *dims, money_t value);
int sq_metric_scan(struct store *s, const char *metric, int32_t from, int32_t to,
		   int (*cb)(void *arg, int32_t day, const char *dims, money_t value), void *arg);
int sq_metric_names(struct store *s, int (*cb)(void *arg, const char *name), void *arg);
int sq_line_billed(struct store *s, uint32_t line_id, int32_t from, int32_t to, const char *kind,
		   int64_t *source_id, int32_t *day);
void sq_metrics_close(struct sqlite_store *ss);

/* ---- alert state: budgets (sqlite_alerts.c) ---- */

#endif
