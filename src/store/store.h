/*
 * store.h - the ledger behind one interface.
 *
 * The ledger holds, per ingested source (file):
 *   source   identity (sha256), counts, exact totals per amount column;
 *   line     each distinct combination of FOCUS key columns + tag set, once;
 *   tagset   each distinct canonical Tags object, once;
 *   period   (provider, billing account, billing period start) triples,
 *            the unit a restated export replaces;
 *   seg      the per-row facts (line number, line id, times, amounts,
 *            extra columns), compressed in blocks: the audit trail back to
 *            file and line;
 *   daily    per (day, line, source) exact sums: what reports read.
 * Backends: SQLite (store/sqlite.c) and ClickHouse (store/clickhouse.c,
 * docs/clickhouse.md) implement the same ops. All money crosses this interface as money_t.
 *
 * Ownership: strings passed in are copied or consumed before return;
 * strings handed to callbacks are valid only during the callback.
 * Every op returns 0 or -1 (after reporting), unless noted.
 */
#ifndef AICOST_STORE_H
#define AICOST_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"
#include "formats/focus.h"

struct store;

struct source_rec {
	int64_t id;
	const char *kind;          /* "focus" */
	const char *path;
	char sha256[65];
	uint64_t bytes;
	int64_t batch;             /* one per `aicost ingest` invocation */
	const char *ingested_at;   /* ISO 8601 */
	uint64_t rows_total, rows_accepted, rows_rejected;
	money_t total[FA__COUNT];
	const char *extras_json;   /* names of the extra columns, JSON array */
	const char *warnings_json; /* quirks found, JSON object */
	const char *status;        /* "active" | "replaced" */
	int64_t min_day, max_day;
};

struct daily_rec {
	int32_t day;               /* days since 1970-01-01 (UTC) */
	uint32_t line_id;
	uint32_t period_id;
	uint32_t n;
	money_t amt[FA__COUNT];
};

/* ---- alert state: budgets ---- */
struct alert_rec {
	const char *id;            /* idempotency id, also sent to the receiver */
	const char *budget;
	const char *period_start;  /* YYYY-MM-DD */
	const char *threshold;     /* the alert_at fraction as exact decimal text ("0.8") */
	const char *basis;         /* "actual" | "forecast" */
	const char *as_of;         /* YYYY-MM-DD */
	money_t amount, limit;
};
struct outbox_rec {
	int64_t id;
	const char *alert_id, *payload;   /* valid during the callback */
	const char *target;        /* the target's key ("sha256:..."), never the URL itself */
	const char *target_shown;  /* the redacted URL, for messages */
	int64_t created_at;
	int attempts;
};

/* ---- GPU telemetry ---- */
/*
 * One rollup of GPU telemetry: what one source saw of one device under one
 * label set (pod/namespace/container) on one UTC day. Seconds are the time
 * the samples stand for (docs/gpu.md: gaps and overlaps).
 */
#define GPU_HIST_BINS 101          /* time per whole utilisation percent 0..100 */
#define GPU_SLOT_MS 300000         /* coverage slot: 5 minutes */
#define GPU_COVER_BYTES 36         /* 288 slots a day, one bit each */
struct gpu_daily_rec {
	int32_t day;
	uint32_t device_id, labels_id;
	int64_t source_id;
	uint32_t n;                    /* utilisation samples */
	double covered_s;              /* seconds covered by utilisation samples */
	double util_s;                 /* sum of percent x seconds */
	double util_min, util_max;     /* percent */
	uint32_t hist[GPU_HIST_BINS];  /* milliseconds by floor(percent) */
	double mem_used_s, mem_free_s, mem_s;   /* MiB x seconds, seconds with memory samples */
	double power_j, power_s;       /* power integrated (J), seconds with power samples */
	double energy_mj;              /* energy counter deltas (mJ); 0 = no counter */
	uint8_t cover[GPU_COVER_BYTES];   /* 5-minute slots of the day with samples (overlap detection) */
};

/* ---- recommend: GPU hour profiles, LLM request statistics ---- */
/*
 * Utilisation by UTC hour of one GPU rollup (same key as gpu_daily_rec):
 * what a stop schedule (recommend schedule-offpeak) needs and a daily
 * histogram cannot say. Written beside the daily rollup by GPU ingest.
 */
struct gpu_hourly_rec {
	int32_t day;
	uint32_t device_id, labels_id;
	int64_t source_id;
	float covered_s[24];           /* seconds with utilisation samples in UTC hour h */
	float util_s[24];              /* percent x seconds in hour h */
};

/*
 * Request statistics of a request log (recommend's LLM kinds): per UTC day,
 * source and group (provider, model, sub account, metadata tags without
 * per-user keys). Token counts are disjoint directions as in
 * core/prices.h enum llm_dir (LLM_STAT_DIRS of them).
 */
#define LLM_STAT_DIRS 6
struct llm_stat_cell {             /* requests of one (prompt size class, output size class) */
	uint8_t in_b, out_b;           /* size classes, see core/llm_stats.h */
	uint64_t n;
	uint64_t tok[LLM_STAT_DIRS];
};
struct llm_stat_rec {
	int32_t day;
	int64_t source_id;
	const char *provider, *model, *sub_account, *tags;   /* "" when absent */
	uint64_t requests;
	uint64_t streamed, stream_known;       /* "stream": true / present */
	uint64_t with_user;                    /* metadata names an end user */
	uint64_t batch_tier;                   /* already sent at the batch tier */
	uint64_t hashed;                       /* carry prompt_sha256 */
	uint64_t dup_requests;                 /* same prompt_sha256 as an earlier request of the group that day */
	uint64_t dup_tok[LLM_STAT_DIRS];
	uint64_t prefixed;                     /* carry prefix_sha256 with a cacheable prefix */
	uint64_t prefix_repeat;                /* ... repeating an earlier request's prefix, not read from a cache */
	uint64_t prefix_repeat_tokens;         /* estimated prefix tokens of those */
	uint64_t prefix_first_tokens;          /* estimated prefix tokens of first occurrences (cache writes) */
	uint64_t hour[24];                     /* requests by UTC hour */
	struct llm_stat_cell *cells;           /* by size class; owned by the writer / valid during a callback */
	size_t ncells;
};

struct store_ops {
	void (*close)(struct store *s);
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);

	/* 1 and *rec (strings valid until the next call) if a source with this sha256 exists, 0 if not. */
	int (*source_find)(struct store *s, const char *sha256, int64_t *id);
	/* 1 if some source has exactly this many raw bytes, 0 if none. */
	int (*source_has_size)(struct store *s, uint64_t bytes);
	int (*source_add)(struct store *s, struct source_rec *rec);       /* sets rec->id */
	int (*source_update)(struct store *s, const struct source_rec *rec);
	int (*source_scan)(struct store *s, int (*cb)(void *arg, const struct source_rec *r), void *arg);
	int (*reject_add)(struct store *s, int64_t source_id, uint64_t line, uint32_t col,
			  const char *column, const char *why);

	int (*tagset_scan)(struct store *s, int (*cb)(void *arg, uint32_t id, const char *json, size_t n), void *arg);
	int (*tagset_add)(struct store *s, const char *json, size_t n, uint32_t *id);
	int (*line_scan)(struct store *s, int (*cb)(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n), void *arg);
	int (*line_add)(struct store *s, uint32_t tagset, const char *vals, size_t n, uint32_t *id);
	int (*period_get)(struct store *s, const char *provider, const char *account, const char *start, uint32_t *id);

	int (*seg_add)(struct store *s, int64_t source_id, uint32_t period_id, uint64_t first_line,
		       uint32_t nrows, const void *blob, size_t n);
	/* Add to the sums of (day, line, source); creates the row if needed. */
	int (*daily_add)(struct store *s, int64_t source_id, const struct daily_rec *recs, size_t n);
	/* Rows of `period_id` from sources of other batches are deleted; returns the number of daily rows deleted via *deleted. */
	int (*restate)(struct store *s, uint32_t period_id, int64_t source_id, int64_t batch, uint64_t *deleted);
	/* Daily rows with from <= day <= to, amount column `amt` only (FA_*). */
	int (*daily_scan)(struct store *s, int32_t from, int32_t to, int amt,
			  int (*cb)(void *arg, int32_t day, uint32_t line_id, money_t v), void *arg);
	int (*day_range)(struct store *s, int32_t *min, int32_t *max);  /* 1 if any data */

	/* ---- GPU telemetry ---- */
	/* Find or add a device (host, uuid, index) / label set; the model name is kept up to date. */
	int (*gpu_device_get)(struct store *s, const char *host, const char *uuid, int idx, const char *model, uint32_t *id);
	int (*gpu_labels_get)(struct store *s, const char *pod, const char *ns, const char *container, uint32_t *id);
	int (*gpu_device_scan)(struct store *s, int (*cb)(void *arg, uint32_t id, const char *host, const char *uuid,
							  int idx, const char *model), void *arg);
	int (*gpu_labels_scan)(struct store *s, int (*cb)(void *arg, uint32_t id, const char *pod, const char *ns,
							  const char *container), void *arg);
	/* Insert or replace the rollup of (day, device, labels, source). */
	int (*gpu_daily_put)(struct store *s, const struct gpu_daily_rec *r);
	/* OR of the coverage bitmaps of (day, device) over sources other than source_id. */
	int (*gpu_cover_get)(struct store *s, int32_t day, uint32_t device_id, int64_t source_id,
			     uint8_t out[GPU_COVER_BYTES]);
	/* Rollups with from <= day <= to; source_id < 0 = all sources. A ledger without GPU tables is empty. */
	int (*gpu_daily_scan)(struct store *s, int32_t from, int32_t to, int64_t source_id,
			      int (*cb)(void *arg, const struct gpu_daily_rec *r), void *arg);

	/* ---- LLM usage and business metrics ---- */
	/*
	 * Business metrics (sqlite_metrics.c): one value per (day, metric,
	 * dims), dims a canonical JSON object ("" none). Within one source
	 * equal keys add up; a later source replaces the value.
	 */
	int (*metric_add)(struct store *s, int64_t source_id, int32_t day, const char *metric, const char *dims,
			  money_t value);
	/* Rows of `metric` with from <= day <= to; a ledger without metrics has none. */
	int (*metric_scan)(struct store *s, const char *metric, int32_t from, int32_t to,
			   int (*cb)(void *arg, int32_t day, const char *dims, money_t value), void *arg);
	/* Names of all metrics (distinct), for messages. */
	int (*metric_names)(struct store *s, int (*cb)(void *arg, const char *name), void *arg);
	/*
	 * Reconciliation guard for LLM usage: 1 and the first (*day, *source_id)
	 * when an active source of kind `kind` has daily sums of line_id with
	 * from <= day <= to; 0 if none.
	 */
	int (*line_billed)(struct store *s, uint32_t line_id, int32_t from, int32_t to, const char *kind,
			   int64_t *source_id, int32_t *day);

	/* ---- alert state: budgets ---- */
	/* Create the alert tables if missing (writers call it once; readers never need it). */
	int (*alert_init)(struct store *s);
	/*
	 * Record that alert a fired and queue `payload` for each target (a key,
	 * with its redacted form in shown[]), unless (budget, period_start,
	 * threshold, basis) fired before. Returns 1 when
	 * new, 0 when already recorded. Run it inside begin/commit so the state
	 * and the queued payloads land together.
	 */
	int (*alert_add)(struct store *s, const struct alert_rec *a, const char *const *targets,
			 const char *const *shown, size_t ntargets, const char *payload);
	/* Undelivered outbox entries not leased at `now` (epoch seconds), oldest first. A missing table is empty. */
	int (*outbox_pending)(struct store *s, int64_t now, int (*cb)(void *arg, const struct outbox_rec *r), void *arg);
	/* Lease entry id until `until` so a concurrent run skips it; 1 if this caller got it, 0 if not. */
	int (*outbox_claim)(struct store *s, int64_t id, int64_t now, int64_t until);
	/* After an attempt: delivered (a 2xx) or not, with the HTTP status (0: none) and a redacted reason. */
	int (*outbox_result)(struct store *s, int64_t id, int64_t now, int delivered, int attempts, long http_status,
			     const char *why);

	/* ---- recommend: GPU hour profiles, LLM request statistics ---- */
	/* Insert or replace the hour profile of (day, device, labels, source). */
	int (*gpu_hourly_put)(struct store *s, const struct gpu_hourly_rec *r);
	/* Profiles with from <= day <= to; source_id < 0 = all. A ledger without the table is empty. */
	int (*gpu_hourly_scan)(struct store *s, int32_t from, int32_t to, int64_t source_id,
			       int (*cb)(void *arg, const struct gpu_hourly_rec *r), void *arg);
	/* Insert or replace the statistics of (day, group, source). */
	int (*llm_stat_put)(struct store *s, const struct llm_stat_rec *r);
	/* Statistics of active sources with from <= day <= to; a ledger without the table is empty. */
	int (*llm_stat_scan)(struct store *s, int32_t from, int32_t to,
			     int (*cb)(void *arg, const struct llm_stat_rec *r), void *arg);

	/* ---- scale-out: ClickHouse ---- */
	/*
	 * Optional (NULL: callers use daily_scan). The sums of amount column
	 * `amt` over rows with from <= day <= to per (time bucket, class of
	 * lines), computed by the backend: line_ids[i] belongs to class cls[i]
	 * (n pairs; lines not listed count for nothing); grain is
	 * STORE_GRAIN_*, and cb gets (the bucket's first day - `from` for
	 * STORE_GRAIN_ALL -, class, sum). Weeks start on Monday. Report rows
	 * come back, not lines.
	 */
	int (*daily_agg_cls)(struct store *s, int32_t from, int32_t to, int amt, int grain, const uint32_t *line_ids,
			     const uint32_t *cls, size_t n, int (*cb)(void *arg, int32_t day, uint32_t cls, money_t v),
			     void *arg);
	/*
	 * Optional (NULL: the ledger is a file, watch it). A short text that
	 * changes whenever a commit changes what readers see (`aicost serve`
	 * keys its cache and snapshots on it); 0 or -1 after reporting.
	 */
	int (*version)(struct store *s, char *out, size_t n);
};

struct store {
	const struct store_ops *ops;
	char *path;
};

/* Open (and create when `create`) the SQLite ledger at path. NULL after reporting. */
struct store *store_sqlite_open(const char *path, int create);
/* Open the ledger `path` names: a clickhouse:// URL or else a SQLite file (store/open.c). */
struct store *store_open(const char *path, int create);

/* ---- scale-out: ClickHouse ---- */
enum { STORE_GRAIN_DAY, STORE_GRAIN_WEEK, STORE_GRAIN_MONTH, STORE_GRAIN_ALL };
/* 1 if path is a clickhouse://HOST:PORT/DATABASE ledger URL. */
int store_is_clickhouse_url(const char *path);
/* Open (and create the database and tables when `create`) the ClickHouse ledger (store/clickhouse.c). */
struct store *store_clickhouse_open(const char *url, int create);

/* Joined values of a line: FR_KEY columns in catalog order, separated by STORE_SEP; STORE_NULL marks a null. */
#define STORE_SEP '\x1f'
#define STORE_NULL '\x1e'
/*
 * Split such joined values (n bytes) into vals[] by focus column id (NULL =
 * null). The strings are copied into *buf, grown as needed (*cap its size;
 * the caller frees *buf); they stay valid until the next call with it.
 */
void store_line_split(const char *v, size_t n, char **buf, size_t *cap, const char *vals[FC__COUNT]);

#endif
