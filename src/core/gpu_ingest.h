/*
 * gpu_ingest.h - GPU telemetry into the ledger: samples become daily
 * rollups per (device, label set) (store.h struct gpu_daily_rec).
 *
 * Time model (docs/gpu.md "Gaps and overlaps"): each series (device,
 * label set, metric) is read in time order; a sample stands for the time
 * until the next sample of its series, at most max_gap. When the next
 * sample is further away than max_gap (a gap: exporter down, host off) the
 * sample stands for the series' usual interval (its last interval within
 * max_gap, else default_interval) and the rest of the gap is "no data",
 * never idle time. The last sample of a series stands for its usual
 * interval. A sample at or before the previous one of its series (a
 * duplicate, or out of order) is dropped and counted. So is a sample of a
 * GPU in a 5-minute slot of the day that another source already covers
 * (the same telemetry exported twice, overlapping query ranges): overlapping
 * exports never count a GPU's time twice. Energy comes from
 * the counter's increases between samples at most max_gap apart, when the
 * input has a counter; otherwise from power x time.
 *
 * Used by `ingest gpu` (one file = one source = one transaction) and by
 * `collect gpu` (one source per collector identity, flushed every interval).
 */
#ifndef AICOST_GPU_INGEST_H
#define AICOST_GPU_INGEST_H

#include <stdint.h>
#include "formats/gpu_parse.h"

struct store;
struct gpu_acc;

struct gpu_acc_opts {
	int64_t max_gap_ms;            /* default 600000 (10 minutes) */
	int64_t default_interval_ms;   /* default 60000 (nvidia-smi -l 60) */
};

struct gpu_acc_stats {
	uint64_t values, used, duplicates;
	uint64_t overlaps;             /* values in 5-minute slots another source already covers for that GPU */
	int32_t min_day, max_day;      /* of the rollups touched; min > max when none */
	uint64_t devices, rollups;
};

/* Accumulator writing through st (inside the caller's transaction). */
struct gpu_acc *gpu_acc_new(struct store *st, const struct gpu_acc_opts *o);
/* The source being written: samples that other sources already cover are dropped (overlap). */
void gpu_acc_set_source(struct gpu_acc *a, int64_t source_id);
/* gpu_sample_fn: arg is the gpu_acc. -1 after reporting (store errors). */
int gpu_acc_sample(void *acc, const struct gpu_ident *id, int64_t t_ms, int metric, double v);
/* Load the rollups already stored for source_id (a restarted collector continues its days). */
int gpu_acc_load(struct gpu_acc *a, int64_t source_id);
/* Close every series: its last sample stands for its usual interval. */
void gpu_acc_finish(struct gpu_acc *a);
/* Write the rollups changed since the last write (insert or replace) under source_id. */
int gpu_acc_write(struct gpu_acc *a, int64_t source_id);
void gpu_acc_stats(const struct gpu_acc *a, struct gpu_acc_stats *out);
void gpu_acc_free(struct gpu_acc *a);

struct gpu_ingest_opts {
	const char *host;              /* --host, NULL = from labels */
	int64_t at_ms;                 /* --at for exposition files; 0 = file mtime (stdin: now) */
	struct gpu_acc_opts acc;
};

struct gpu_ingest_result {
	int64_t source_id;
	int duplicate;
	char sha256[65];
	enum gpu_format format;
	struct gpu_acc_stats stats;
};

/* Load one file (plain/gzip/zstd or "-"), one transaction. 0, or -1 after reporting (ledger unchanged). */
int gpu_ingest_file(struct store *st, const char *path, const struct gpu_ingest_opts *o, struct gpu_ingest_result *res);

/* Largest input accepted (decompressed), bytes. */
#define GPU_INPUT_MAX ((size_t)512 << 20)

#endif
