/*
 * collect.h - live GPU telemetry sources for `aicost collect gpu`:
 * local GPUs through NVML (nvml.c; libnvidia-ml is loaded at run time, so
 * the binary runs on machines without a driver) and a dcgm-exporter
 * /metrics endpoint over HTTP (scrape.c, libcurl).
 */
#ifndef AICOST_COLLECT_H
#define AICOST_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include "formats/gpu_parse.h"

struct nvml;

/*
 * dlopen libnvidia-ml.so.1 ($AICOST_NVML_LIB overrides the path) and
 * nvmlInit_v2. NULL after reporting one clear line (no library, no driver).
 */
struct nvml *nvml_open(void);
/* Number of GPUs found at open. */
unsigned nvml_count(const struct nvml *n);
/*
 * Read every GPU once (utilisation, memory, power, energy counter) and
 * pass the values to fn stamped t_ms. Values a GPU does not support
 * (NVML_ERROR_NOT_SUPPORTED) are skipped. 0, or -1 after reporting.
 */
int nvml_sample(struct nvml *n, const char *host, int64_t t_ms, gpu_sample_fn fn, void *arg);
/* nvmlShutdown and dlclose. */
void nvml_close(struct nvml *n);

/* GET url; *body is malloc'd (NUL-terminated), the caller frees it. 0, or -1 after reporting. */
int scrape_fetch(const char *url, long timeout_s, char **body, size_t *n);

#endif
