/*
 * nvml.c - sample local NVIDIA GPUs through NVML, loaded with dlopen so
 * aicost neither links against nor requires the driver. Only the versioned
 * entry points of the stable NVML ABI are used; the few types needed are
 * declared here (nvml.h is not required to build). The struct nvml owns the
 * library handle.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "collect/collect.h"
#include "util/err.h"

typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define MAX_GPUS 64

struct nvml {
	void *lib;
	unsigned count;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	nvmlReturn_t (*get_count)(unsigned int *);
	nvmlReturn_t (*get_handle)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*get_uuid)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*get_name)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*get_util)(nvmlDevice_t, nvmlUtilization_t *);
	nvmlReturn_t (*get_mem)(nvmlDevice_t, nvmlMemory_t *);
	nvmlReturn_t (*get_power)(nvmlDevice_t, unsigned int *);
	nvmlReturn_t (*get_energy)(nvmlDevice_t, unsigned long long *);
	const char *(*err_string)(nvmlReturn_t);
};

static const char *why(const struct nvml *n, nvmlReturn_t r)
{
	static char buf[32];
	if (n->err_string)
		return n->err_string(r);
	snprintf(buf, sizeof buf, "NVML error %d", r);
	return buf;
}

struct nvml *nvml_open(void)
{
	const char *path = getenv("AICOST_NVML_LIB");
	if (!path || !*path)
		path = "libnvidia-ml.so.1";
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		error("collect gpu: cannot load NVML (%s): %s; install the NVIDIA driver, or scrape a dcgm-exporter"
		      " with --scrape URL", path, dlerror());
		return NULL;
	}
	struct nvml *n = xcalloc(1, sizeof *n);
	n->lib = lib;
	struct { void **fp; const char *sym; int required; } syms[] = {
		{ (void **)&n->init, "nvmlInit_v2", 1 }, { (void **)&n->shutdown, "nvmlShutdown", 1 },
		{ (void **)&n->get_count, "nvmlDeviceGetCount_v2", 1 },
		{ (void **)&n->get_handle, "nvmlDeviceGetHandleByIndex_v2", 1 },
		{ (void **)&n->get_uuid, "nvmlDeviceGetUUID", 1 }, { (void **)&n->get_name, "nvmlDeviceGetName", 0 },
		{ (void **)&n->get_util, "nvmlDeviceGetUtilizationRates", 1 },
		{ (void **)&n->get_mem, "nvmlDeviceGetMemoryInfo", 0 },
		{ (void **)&n->get_power, "nvmlDeviceGetPowerUsage", 0 },
		{ (void **)&n->get_energy, "nvmlDeviceGetTotalEnergyConsumption", 0 },
		{ (void **)&n->err_string, "nvmlErrorString", 0 },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].fp = dlsym(lib, syms[i].sym);
		if (!*syms[i].fp && syms[i].required) {
			error("collect gpu: %s has no %s (NVML too old?)", path, syms[i].sym);
			dlclose(lib);
			free(n);
			return NULL;
		}
	}
	nvmlReturn_t r = n->init();
	if (r != NVML_SUCCESS) {
		error("collect gpu: nvmlInit_v2: %s (is the NVIDIA driver loaded?)", why(n, r));
		dlclose(lib);
		free(n);
		return NULL;
	}
	unsigned c = 0;
	if ((r = n->get_count(&c)) != NVML_SUCCESS) {
		error("collect gpu: nvmlDeviceGetCount_v2: %s", why(n, r));
		nvml_close(n);
		return NULL;
	}
	n->count = c > MAX_GPUS ? MAX_GPUS : c;
	return n;
}

unsigned nvml_count(const struct nvml *n)
{
	return n->count;
}

int nvml_sample(struct nvml *n, const char *host, int64_t t, gpu_sample_fn fn, void *arg)
{
	for (unsigned i = 0; i < n->count; i++) {
		nvmlDevice_t d;
		char uuid[96] = "", name[96] = "";
		nvmlReturn_t r = n->get_handle(i, &d);
		if (r != NVML_SUCCESS)
			return error("collect gpu: GPU %u: nvmlDeviceGetHandleByIndex_v2: %s", i, why(n, r));
		if ((r = n->get_uuid(d, uuid, sizeof uuid)) != NVML_SUCCESS)
			return error("collect gpu: GPU %u: nvmlDeviceGetUUID: %s", i, why(n, r));
		uuid[sizeof uuid - 1] = 0;
		if (n->get_name && n->get_name(d, name, sizeof name) != NVML_SUCCESS)
			name[0] = 0;
		name[sizeof name - 1] = 0;
		struct gpu_ident id = { host, uuid, (int)i, name, "", "", "" };
		nvmlUtilization_t u;
		nvmlMemory_t m;
		unsigned int mw;
		unsigned long long mj;
		int rc = 0;
		/* Not supported (or a transient error) on one value skips that value only. */
		if ((r = n->get_util(d, &u)) == NVML_SUCCESS)
			rc = fn(arg, &id, t, GM_UTIL, u.gpu);
		if (!rc && n->get_mem && n->get_mem(d, &m) == NVML_SUCCESS) {
			rc = fn(arg, &id, t, GM_MEM_USED, (double)m.used / 1048576.0);
			if (!rc)
				rc = fn(arg, &id, t, GM_MEM_FREE, (double)m.free / 1048576.0);
		}
		if (!rc && n->get_power && n->get_power(d, &mw) == NVML_SUCCESS)
			rc = fn(arg, &id, t, GM_POWER, mw / 1000.0);
		if (!rc && n->get_energy && n->get_energy(d, &mj) == NVML_SUCCESS)
			rc = fn(arg, &id, t, GM_ENERGY, (double)mj);
		if (rc)
			return rc;
	}
	return 0;
}

void nvml_close(struct nvml *n)
{
	if (!n)
		return;
	n->shutdown();
	dlclose(n->lib);
	free(n);
}
