/*
 * gpu_query.h - the GPU telemetry query engine: GPU hours, utilisation,
 * idle time, memory headroom, energy and the cost of the GPUs, by any
 * dimension. Behind `aicost gpu`; meant to be called by `aicost carbon`
 * (measured energy per host/day/dimension: --by host,day and energy_kwh)
 * and by `recommend` (idle and oversized GPUs: --by gpu with idle_hours,
 * p95_util, mem_headroom and cost).
 *
 * How it works (docs/gpu.md):
 *  1. Join: each GPU's host is looked for in the FOCUS ResourceId of the
 *     ledger's lines (the ResourceId's last '/' or ':' segment equals the
 *     host, case-insensitively, e.g. an EC2 ARN ending in the instance ID, an
 *     Azure/GCP VM name), or the config's `hosts:` map names the ResourceId.
 *  2. Cost: the cost of a host's lines on a day is split evenly over the
 *     GPUs that reported that day, then over each GPU's label sets
 *     (pod/namespace/container) by the time each label set covered. Splits
 *     are exact: the parts add up to the bill to the last digit.
 *  3. Dimensions: host, gpu (UUID), gpu_index, model, pod, namespace,
 *     container; day/week/month; FOCUS columns and tag:KEY of the host's
 *     joined bill line (its costliest line in the range); allocation
 *     dimensions (team, project, ...) evaluated on the joined line with
 *     the telemetry labels added as tags (pod, namespace, container, host,
 *     gpu_model: labels win over bill tags), so
 *     `team: { tags: [team, namespace] }` attributes GPU time by namespace.
 *  4. Aggregation reads only the daily rollups (one row per GPU, label set
 *     and day), so a month of a 1,000-GPU fleet is ~30,000 rows.
 *
 * Ownership: results own their rows and strings until gpu_query_release.
 */
#ifndef AICOST_GPU_QUERY_H
#define AICOST_GPU_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "core/money.h"

struct store;
struct config;

/* The `gpu:` config section. */
struct gpu_settings {
	double idle_threshold;        /* percent; default 5 */
	int64_t max_gap_ms;           /* default 600 s */
	int64_t default_interval_ms;  /* default 60 s */
};
/* Defaults, then the config's gpu: keys. 0, or -1 after reporting file:line:col. */
int gpu_settings_read(const struct config *cfg, struct gpu_settings *out);

struct gpu_query {
	const char *const *by;        /* dimension names (see above) */
	size_t nby;
	const char *const *where;     /* "DIM=VALUE", ANDed */
	size_t nwhere;
	int amount;                   /* FA_* cost column */
	int64_t from_day, to_day;     /* inclusive; INT64_MIN / INT64_MAX = all */
	double idle_threshold;        /* percent: time below it is idle (whole-percent resolution) */
};

struct gpu_row {
	const char **vals;            /* nby values, owned by the result */
	double gpu_hours;             /* hours covered by utilisation samples, summed over GPUs */
	double avg_util;              /* time-weighted mean, percent */
	double p95_util;              /* time-weighted 95th percentile, whole percent */
	double max_util;
	double mem_headroom;          /* free / (used + free) framebuffer, percent; -1 = no memory data */
	double idle_hours;            /* hours below idle_threshold */
	double useful_hours;          /* gpu_hours - idle_hours */
	double energy_kwh;            /* counter when present, else power x time */
	double avg_power_w;           /* -1 = no power data */
	money_t cost, idle_cost;      /* idle_cost = cost x idle / covered time, per GPU-day */
	int has_cpugh;
	money_t cost_per_useful_gpu_hour;   /* cost / useful_hours (has_cpugh = useful_hours > 0) */
	uint32_t gpus;                /* distinct GPUs in the row */
};

struct gpu_result {
	size_t nby;
	char **by;                    /* dimension names */
	struct gpu_row *rows;
	size_t nrows;
	struct gpu_row total;         /* vals NULL */
	char currency[16];            /* of the joined lines; "" when none, "mixed" */
	int64_t from_day, to_day;     /* range of the telemetry read; from > to when none */
	money_t unmatched_cost;       /* cost of matched hosts on days without GPU telemetry */
	uint32_t hosts, hosts_joined; /* telemetry hosts, and those joined to a bill line */
	void *priv;
};

/* 0, or -1 after reporting. Free with gpu_query_release. */
int gpu_query_run(struct store *st, const struct config *cfg, const struct gpu_query *q, struct gpu_result *res);
void gpu_query_release(struct gpu_result *res);

#endif
