/*
 * clickhouse_int.h - what the ClickHouse ledger's files share: the HTTP
 * client (clickhouse_http.c) and the RowBinary encoder/decoder it speaks.
 * Only src/store/clickhouse*.c include it.
 *
 * Ownership: a struct chbuf owns its bytes (free with chbuf_free); a
 * struct rbin reads a buffer it does not own.
 */
#ifndef AICOST_CLICKHOUSE_INT_H
#define AICOST_CLICKHOUSE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"
#include "store/store.h"
#include "util/dict.h"

struct chbuf {
	unsigned char *p;
	size_t n, cap;
};

void chbuf_free(struct chbuf *b);
void chbuf_put(struct chbuf *b, const void *p, size_t n);
void rb_u8(struct chbuf *b, uint8_t v);
void rb_u32(struct chbuf *b, uint32_t v);
void rb_u64(struct chbuf *b, uint64_t v);
static inline void rb_i32(struct chbuf *b, int32_t v) { rb_u32(b, (uint32_t)v); }
static inline void rb_i64(struct chbuf *b, int64_t v) { rb_u64(b, (uint64_t)v); }
/* Decimal(38,18) is a little-endian Int128 scaled by 1e18: money_t exactly. */
void rb_money(struct chbuf *b, money_t v);
void rb_str(struct chbuf *b, const char *s, size_t n);
/* Nullable(String): NULL as a 1 byte, else 0 and the string. */
void rb_nstr(struct chbuf *b, const char *s);

/* Array(T) of fixed-width elements: the varint length, then the elements. */
void rb_len(struct chbuf *b, uint64_t n);
void rb_f32(struct chbuf *b, float v);
void rb_f64(struct chbuf *b, double v);

/* A RowBinary reader: any read past the end sets bad and returns zeros. */
struct rbin {
	const unsigned char *p, *end;
	int bad;
};
uint8_t rd_u8(struct rbin *r);
uint32_t rd_u32(struct rbin *r);
uint64_t rd_u64(struct rbin *r);
static inline int32_t rd_i32(struct rbin *r) { return (int32_t)rd_u32(r); }
static inline int64_t rd_i64(struct rbin *r) { return (int64_t)rd_u64(r); }
money_t rd_money(struct rbin *r);
float rd_f32(struct rbin *r);
double rd_f64(struct rbin *r);
/* An array length (varint); sets bad when it exceeds max. */
uint64_t rd_len(struct rbin *r, uint64_t max);
/* A String: pointer into the buffer (not NUL-terminated) and its length. */
const char *rd_str(struct rbin *r, size_t *n);

struct chhttp;
/* base: "http://HOST:PORT/"; shown: the ledger's name in messages. */
struct chhttp *chhttp_new(const char *base, const char *database, const char *shown);
void chhttp_free(struct chhttp *h);
/*
 * A SELECT (sql, in the URL) with one external table: `name` with
 * `structure` ("line_id UInt32, cls UInt32"; validated by the caller) and
 * RowBinary rows, sent as a multipart form. As chhttp_run otherwise.
 */
int chhttp_run_ext(struct chhttp *h, const char *what, const char *sql, const char *name, const char *structure,
		   const struct chbuf *rows, struct chbuf *out);
/* More settings for every later statement, as URL parameters ("&name=value..."; validated by the caller). */
void chhttp_set_settings(struct chhttp *h, const char *extra);
/*
 * Run one statement. With data == NULL, `sql` is the POST body (SELECT,
 * DDL); otherwise `sql` goes in the URL and data (RowBinary rows) is the
 * body. The reply body goes to *out when out != NULL. The database is
 * omitted from the URL when use_db is 0 (CREATE DATABASE). -1 after
 * reporting "LEDGER: what: the server's first message line".
 */
int chhttp_run(struct chhttp *h, const char *what, const char *sql, const struct chbuf *data, struct chbuf *out,
	       int use_db);

/* ---- the store (clickhouse.c) and its area files (clickhouse_<area>.c) ---- */

/* Tables whose rows are buffered during a transaction and sent in batches. */
enum ch_tbl {
	T_TAGSET, T_LINE, T_PERIOD, T_SEG, T_REJECT, T_DAILY, T_RETIRED,
	T_GPU_DEVICE, T_GPU_LABELS, T_GPU_DAILY, T_GPU_HOURLY, T_METRIC, T_LLM_STAT, T_ALERT, T_OUTBOX,
	T__COUNT
};

struct pend_src {          /* source_update inside a transaction, written at commit */
	int set;
	struct source_rec r;
	char *strs[5];
};

struct ch_dev {            /* a GPU device as the store knows it (strings owned) */
	uint32_t id;
	int idx;
	char *host, *uuid, *model;
};
struct ch_lbl {            /* a GPU label set (strings owned) */
	uint32_t id;
	char *pod, *ns, *container;
};

struct ch_store {
	struct store base;
	struct chhttp *h;
	char *db;                  /* validated: letters, digits, '_' */
	char *cluster;             /* NULL, or the Distributed layout's cluster (validated) */
	const char *global;        /* "GLOBAL " when facts are Distributed, else "" */
	char *committed;           /* SQL: ids of committed sources */
	char *visible;             /* SQL: the condition a fact row (source_id, period_id) must meet */
	unsigned tables;           /* bit per ch_area_tbl that exists (readers of older ledgers) */
	struct chbuf buf[T__COUNT];
	int in_tx, flushed;        /* flushed: this transaction already sent rows */
	int stale;                 /* after a rollback: ids and periods are re-read before the next use */
	int64_t next_source, tx_source;
	uint32_t next_line, next_tagset, next_period;
	uint64_t last_ver;         /* the last version handed out (strictly increasing) */
	uint64_t tx;               /* this transaction's version */
	struct dict periods;       /* encoded (provider, account, start) -> id */
	struct pend_src pend;
	struct chbuf q;            /* last reply */
	/* GPU telemetry (clickhouse_gpu.c): identities loaded on first use, dropped on rollback */
	int gpu_loaded;
	uint32_t next_dev, next_lbl;
	struct dict gdev, glbl;    /* identity key -> index in devs / lbls (both in id order) */
	struct ch_dev *devs;
	struct ch_lbl *lbls;
	size_t ndevs, nlbls;
	struct dict cov_days;      /* days whose coverage of other sources is loaded */
	struct dict cov_ids;       /* (day, device) -> index in covs */
	uint8_t (*covs)[GPU_COVER_BYTES];
	size_t ncov;
	int64_t cov_source;
	/* alert state (clickhouse_alerts.c) */
	int alert_rows;            /* this transaction queued alerts: commit writes its alert_commit row */
	struct dict alert_keys;    /* crossings recorded in this transaction */
};

/* The area tables a reader may find missing in a ledger written by an older aicost. */
enum ch_area_tbl { A_GPU, A_METRIC, A_RECOMMEND, A_ALERT, A_MONTHLY };

int ch_run(struct ch_store *cs, const char *what, const char *sql);
int ch_bad_reply(struct ch_store *cs, const char *what);
/* The buffer of table t, flushed first when full (*err set when that failed). */
struct chbuf *ch_wbuf(struct ch_store *cs, int t, int *err);
/* A version number greater than any this process handed out before (microseconds of the clock). */
uint64_t ch_version(struct ch_store *cs);
/* Append printf-formatted SQL to b, NUL-terminated (b->n excludes the NUL). */
void ch_sqlf(struct chbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a string literal that cannot break out of SQL: unhex('...'), hex digits only. */
void ch_sql_str(struct chbuf *b, const char *s);
/* Run the statement built in b (NUL-terminated); the reply goes to cs->q. */
int ch_run_buf(struct ch_store *cs, const char *what, struct chbuf *b);
/* Clear the GPU and alert caches (after a rollback, at close). */
void ch_gpu_reset(struct ch_store *cs);
void ch_alert_reset(struct ch_store *cs);
/* DDL of each area's tables (NULL-terminated lists of "name(columns) ENGINE = ..."). */
extern const char *const ch_gpu_schema[], *const ch_metrics_schema[], *const ch_recommend_schema[],
	*const ch_alerts_schema[];
int ch_create(struct ch_store *cs, const char *const *ddl);

/*
 * Row decoders of server replies (fuzzed by tests/fuzz/fuzz_ch_rowbinary.c):
 * each reads one row in the column order of its SELECT; 0, or -1 with r->bad
 * set when the row is truncated or malformed. Strings point into the reply.
 */
int ch_rd_gpu_daily(struct rbin *r, struct gpu_daily_rec *out);
int ch_rd_gpu_hourly(struct rbin *r, struct gpu_hourly_rec *out);
/* cells/cap: a buffer the caller owns and frees, grown as needed. */
int ch_rd_llm_stat(struct rbin *r, struct llm_stat_rec *out, struct llm_stat_cell **cells, size_t *cap,
		   struct chbuf *strs);
int ch_rd_outbox(struct rbin *r, struct outbox_rec *out, struct chbuf *strs);

/* Store ops of the area files. */
int ch_gpu_device_get(struct store *s, const char *host, const char *uuid, int idx, const char *model, uint32_t *id);
int ch_gpu_labels_get(struct store *s, const char *pod, const char *ns, const char *container, uint32_t *id);
int ch_gpu_device_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, int, const char *),
		       void *arg);
int ch_gpu_labels_scan(struct store *s, int (*cb)(void *, uint32_t, const char *, const char *, const char *),
		       void *arg);
int ch_gpu_daily_put(struct store *s, const struct gpu_daily_rec *r);
int ch_gpu_cover_get(struct store *s, int32_t day, uint32_t device_id, int64_t source_id, uint8_t out[GPU_COVER_BYTES]);
int ch_gpu_daily_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		      int (*cb)(void *, const struct gpu_daily_rec *), void *arg);
int ch_gpu_hourly_put(struct store *s, const struct gpu_hourly_rec *r);
int ch_gpu_hourly_scan(struct store *s, int32_t from, int32_t to, int64_t source_id,
		       int (*cb)(void *, const struct gpu_hourly_rec *), void *arg);
int ch_llm_stat_put(struct store *s, const struct llm_stat_rec *r);
int ch_llm_stat_scan(struct store *s, int32_t from, int32_t to, int (*cb)(void *, const struct llm_stat_rec *),
		     void *arg);
int ch_metric_add(struct store *s, int64_t source_id, int32_t day, const char *metric, const char *dims, money_t value);
int ch_metric_scan(struct store *s, const char *metric, int32_t from, int32_t to,
		   int (*cb)(void *, int32_t, const char *, money_t), void *arg);
int ch_metric_names(struct store *s, int (*cb)(void *, const char *), void *arg);
int ch_alert_init(struct store *s);
int ch_alert_add(struct store *s, const struct alert_rec *a, const char *const *targets, const char *const *shown,
		 size_t ntargets, const char *payload);
int ch_outbox_pending(struct store *s, int64_t now, int (*cb)(void *, const struct outbox_rec *), void *arg);
int ch_outbox_claim(struct store *s, int64_t id, int64_t now, int64_t until);
int ch_outbox_result(struct store *s, int64_t id, int64_t now, int delivered, int attempts, long http_status,
		     const char *why);

#endif
