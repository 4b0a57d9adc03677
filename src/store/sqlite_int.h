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
	sqlite3_stmt *gpu_st[10];

	/* ---- LLM usage and business metrics ---- */
	sqlite3_stmt *metric_st[4];

	/* ---- alert state: budgets ---- */
	sqlite3_stmt *alert_st[8];
	int alert_ready;           /* alert_init ran: the tables exist */

	/* ---- recommend: GPU hour profiles, LLM request statistics ---- */
	sqlite3_stmt *rec_st[4];
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
extern const char sq_gpu_schema[];
int sq_gpu_device_get(struct store *s, const char *host, const char *uuid, int idx, const char *model, uint32_t *id);
int sq_gpu_labels_get(struct store *s, const char *pod, const char *ns, const char *container, uint32_t *id);
int sq_gpu_device_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, int, const char *), void *arg);
int sq_gpu_labels_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, const char *), void *arg);
int sq_gpu_cover_get(struct store *s, int32_t day, uint32_t device_id, int64_t source_id, uint8_t *out);
int sq_gpu_daily_put(struct store *s, const struct gpu_daily_rec *r);
int sq_gpu_daily_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		      int (*cb)(void *, const struct gpu_daily_rec *), void *arg);
void sq_gpu_close(struct sqlite_store *ss);

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
extern const char sq_alerts_schema[];
void sq_alerts_close(struct sqlite_store *ss);
int sq_alert_init(struct store *s);
int sq_alert_add(struct store *s, const struct alert_rec *a, const char *const *targets, const char *const *shown,
		 size_t ntargets, const char *payload);
int sq_outbox_pending(struct store *s, int64_t now, int (*cb)(void *, const struct outbox_rec *), void *arg);
int sq_outbox_claim(struct store *s, int64_t id, int64_t now, int64_t until);
int sq_outbox_result(struct store *s, int64_t id, int64_t now, int delivered, int attempts, long http_status,
		     const char *why);

/* ---- recommend: GPU hour profiles, LLM request statistics (sqlite_recommend.c) ---- */
extern const char sq_recommend_schema[];
void sq_recommend_close(struct sqlite_store *ss);
int sq_gpu_hourly_put(struct store *s, const struct gpu_hourly_rec *r);
int sq_gpu_hourly_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		       int (*cb)(void *, const struct gpu_hourly_rec *), void *arg);
int sq_llm_stat_put(struct store *s, const struct llm_stat_rec *r);
int sq_llm_stat_scan(struct store *s, int32_t from, int32_t to, int (*cb)(void *, const struct llm_stat_rec *), void *arg);

#endif
