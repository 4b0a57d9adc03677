/*
 * gpu_common.c - what the GPU telemetry parsers share: format detection,
 * DCGM metric names and sentinels, timestamps. No allocation.
 */
#include <ctype.h>
#include <string.h>
#include "formats/focus.h"
#include "formats/gpu_parse.h"

enum gpu_format gpu_detect(const char *buf, size_t n)
{
	size_t i = 0;
	if (n >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
		i = 3;
	while (i < n && isspace((unsigned char)buf[i]))
		i++;
	if (i < n && buf[i] == '{')
		return GPU_FMT_PROMJSON;
	if (i < n && buf[i] == '#')
		return GPU_FMT_EXPO;
	/* A metric name followed by '{' or a blank is exposition; "timestamp, name, ..." is CSV. */
	size_t j = i;
	while (j < n && (isalnum((unsigned char)buf[j]) || buf[j] == '_' || buf[j] == ':'))
		j++;
	if (j > i && j < n && (buf[j] == '{' || buf[j] == ' ') && !isdigit((unsigned char)buf[i]))
		return GPU_FMT_EXPO;
	return GPU_FMT_SMI;
}

const char *gpu_format_name(enum gpu_format f)
{
	switch (f) {
	case GPU_FMT_PROMJSON: return "prometheus-json";
	case GPU_FMT_EXPO: return "dcgm-exposition";
	default: return "nvidia-smi-csv";
	}
}

int gpu_value_is_sentinel(double v)
{
	/* DCGM_FT_INT64_BLANK and friends are 9223372036854775792..7; DCGM_FT_FP64_BLANK is 2^47. */
	return v >= 140737488355328.0 || v != v;
}

int gpu_dcgm_metric(const char *name, size_t n, double *scale)
{
	static const struct { const char *name; int m; double scale; } map[] = {
		{ "DCGM_FI_DEV_GPU_UTIL", GM_UTIL, 1 },
		{ "DCGM_FI_PROF_GR_ENGINE_ACTIVE", GM_ACTIVE, 100 },
		{ "DCGM_FI_DEV_FB_USED", GM_MEM_USED, 1 },
		{ "DCGM_FI_DEV_FB_FREE", GM_MEM_FREE, 1 },
		{ "DCGM_FI_DEV_POWER_USAGE", GM_POWER, 1 },
		{ "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", GM_ENERGY, 1 },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strlen(map[i].name) == n && memcmp(map[i].name, name, n) == 0) {
			*scale = map[i].scale;
			return map[i].m;
		}
	return -1;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int gpu_parse_time(const char *s, size_t n, int64_t *ms)
{
	while (n && s[0] == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	/* nvidia-smi: YYYY/MM/DD HH:MM:SS[.fff] */
	if (n >= 19 && s[4] == '/' && s[7] == '/' && s[10] == ' ' && s[13] == ':' && s[16] == ':') {
		int y, mo, d, h, mi, se, frac = 0;
		if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
		    digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
			return -1;
		if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
			return -1;
		if (n > 19) {
			if (s[19] != '.' || n == 20 || n > 29)
				return -1;
			int f;
			size_t fn = n - 20 > 3 ? 3 : n - 20;
			if (digits(s + 20, n - 20, &f) < 0 || digits(s + 20, fn, &frac) < 0)
				return -1;
			for (size_t k = fn; k < 3; k++)
				frac *= 10;
		}
		*ms = ((ymd_to_day(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000) + frac;
		return 0;
	}
	int64_t ep;
	int ns;
	if (n && focus_parse_datetime(s, n, &ep, &ns) == 0) {
		*ms = ep * 1000;
		return 0;
	}
	return -1;
}
