/*
 * gpu_parse.h - the GPU telemetry parsers: nvidia-smi CSV (gpu_smi.c),
 * Prometheus query_range JSON of dcgm-exporter metrics (gpu_promjson.c) and
 * dcgm-exporter text exposition (gpu_expo.c).
 *
 * Each parser works on a whole file in memory and calls `fn` once per
 * (series, time, metric) value, in file order. A series is identified by a
 * gpu_ident; its strings are valid only during the callback. Values are
 * normalised: utilisation in percent (0-100), memory in MiB, power in W,
 * the energy counter in mJ. "Not supported" values (DCGM blank sentinels
 * such as 9223372036854775794, nvidia-smi [N/A] / [Not Supported]) are
 * skipped, never passed on.
 *
 * A parser returns 0, or -1 after reporting "file:line:col: what: why"
 * through error(). A callback returning non-zero stops the parse and that
 * value is returned.
 */
#ifndef AICOST_GPU_PARSE_H
#define AICOST_GPU_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum gpu_metric {
	GM_UTIL,       /* DCGM_FI_DEV_GPU_UTIL, utilization.gpu: percent */
	GM_ACTIVE,     /* DCGM_FI_PROF_GR_ENGINE_ACTIVE, scaled to percent; used when GM_UTIL is absent */
	GM_MEM_USED,   /* MiB */
	GM_MEM_FREE,   /* MiB */
	GM_POWER,      /* W */
	GM_ENERGY,     /* cumulative counter, mJ */
	GM__COUNT
};

struct gpu_ident {
	const char *host;       /* "" when unknown */
	const char *uuid;       /* "" when unknown */
	int index;              /* -1 when unknown */
	const char *model;      /* "" when unknown */
	const char *pod, *ns, *container;   /* "" when absent */
};

typedef int (*gpu_sample_fn)(void *arg, const struct gpu_ident *id, int64_t t_ms, int metric, double v);

enum gpu_format { GPU_FMT_SMI, GPU_FMT_PROMJSON, GPU_FMT_EXPO };

/* Guess the format from the first bytes: '{' JSON, a metric line or '#' exposition, else CSV. */
enum gpu_format gpu_detect(const char *buf, size_t n);
const char *gpu_format_name(enum gpu_format f);

/* host: --host (NULL = none; nvidia-smi files carry no host name). */
int gpu_parse_smi(const char *buf, size_t n, const char *name, const char *host, gpu_sample_fn fn, void *arg);
/* host overrides the Hostname/hostname label when non-NULL. */
int gpu_parse_promjson(const char *buf, size_t n, const char *name, const char *host, gpu_sample_fn fn, void *arg);
/* Samples without their own timestamp are stamped at_ms. */
int gpu_parse_expo(const char *buf, size_t n, const char *name, const char *host, int64_t at_ms,
		   gpu_sample_fn fn, void *arg);

/* DCGM blank / not-supported sentinels (int64 ones near 2^63, FP64 blank 2^47 and above). */
int gpu_value_is_sentinel(double v);
/* Map a dcgm-exporter metric name to enum gpu_metric; -1 if not used. *scale multiplies the value. */
int gpu_dcgm_metric(const char *name, size_t n, double *scale);
/* Parse "2026/10/01 12:00:00.000" or ISO 8601 "2026-10-01T12:00:00Z" (UTC) into ms since the epoch. */
int gpu_parse_time(const char *s, size_t n, int64_t *ms);

#endif
