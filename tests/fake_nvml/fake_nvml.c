/*
 * fake_nvml.c - a stand-in libnvidia-ml.so for tests/sh/test_gpu_collect.sh,
 * built as a shared object and loaded by `aicost collect gpu` through
 * AICOST_NVML_LIB. Two GPUs: GPU 0 at 40 % with a power reading and an
 * energy counter rising 100 J per call; GPU 1 at 0 % whose power and energy
 * are NVML_ERROR_NOT_SUPPORTED. FAKE_NVML_FAIL_INIT=1 makes nvmlInit_v2 fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef void *nvmlDevice_t;

static int devs[2];
static unsigned long long energy = 5000000;

int nvmlInit_v2(void) { return getenv("FAKE_NVML_FAIL_INIT") ? 9 /* DRIVER_NOT_LOADED */ : 0; }
int nvmlShutdown(void) { return 0; }
const char *nvmlErrorString(int r) { return r == 9 ? "Driver Not Loaded" : r == 3 ? "Not Supported" : "Unknown Error"; }
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
	if (i > 1)
		return 2;
	*d = &devs[i];
	return 0;
}
static int idx(nvmlDevice_t d) { return (int *)d - devs; }
int nvmlDeviceGetUUID(nvmlDevice_t d, char *s, unsigned int n) { snprintf(s, n, "GPU-fake-%d", idx(d)); return 0; }
int nvmlDeviceGetName(nvmlDevice_t d, char *s, unsigned int n) { snprintf(s, n, "Fake GPU 80GB"); return 0; }
int nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
	u->gpu = idx(d) == 0 ? 40 : 0;
	u->memory = 0;
	return 0;
}
int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
	m->total = 80ULL << 30;
	m->used = idx(d) == 0 ? 20ULL << 30 : 0;
	m->free = m->total - m->used;
	return 0;
}
int nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw)
{
	if (idx(d) == 1)
		return 3;
	*mw = 250000;
	return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj)
{
	if (idx(d) == 1)
		return 3;
	energy += 100000;
	*mj = energy;
	return 0;
}
