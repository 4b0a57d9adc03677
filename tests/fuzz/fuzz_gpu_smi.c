/* fuzz_gpu_smi.c - the GPU telemetry parser gpu_parse_smi on arbitrary bytes; the callback checks values are sane. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "formats/gpu_parse.h"
#include "util/err.h"

static void quiet(const char *line)
{
	(void)line;
}

static int check(void *arg, const struct gpu_ident *id, int64_t t, int metric, double v)
{
	(void)arg; (void)t;
	/* Parsers must never pass on a sentinel, a NaN or a negative value, nor NULL strings. */
	if (metric < 0 || metric >= GM__COUNT || v != v || v < 0 || gpu_value_is_sentinel(v) || !id->host || !id->uuid ||
	    !id->model || !id->pod || !id->ns || !id->container || strlen(id->uuid) > 4096)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_sink = quiet;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = 0;
	gpu_parse_smi(buf, size, "fuzz", size & 1 ? "h" : NULL, check, NULL);
	free(buf);
	return 0;
}
