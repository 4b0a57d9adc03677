/*
 * gpu_expo.c - Prometheus text exposition as dcgm-exporter serves it on
 * /metrics: one scrape. Lines are `name{label="value",...} value [ts_ms]`;
 * # HELP / # TYPE comments and metrics aicost does not use are skipped.
 * A sample without its own timestamp is stamped with the scrape time the
 * caller passes (--at, else the file's mtime; the collector: now).
 * Label values are unescaped (\\ \" \n) into a stack buffer; values longer
 * than 255 bytes are an error. No allocation.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "formats/gpu_parse.h"
#include "util/err.h"

#define LBL 256

struct labels {
	char host[LBL], uuid[LBL], model[LBL], pod[LBL], ns[LBL], container[LBL], gpu[LBL];
};

static char *slot(struct labels *l, const char *k, size_t n)
{
#define K(s, f) if (n == sizeof s - 1 && memcmp(k, s, n) == 0) return l->f
	K("Hostname", host); K("hostname", host); K("UUID", uuid); K("modelName", model);
	K("pod", pod); K("namespace", ns); K("container", container); K("gpu", gpu);
	K("exported_pod", pod); K("exported_namespace", ns); K("exported_container", container);
#undef K
	return NULL;
}

int gpu_parse_expo(const char *buf, size_t n, const char *name, const char *host, int64_t at_ms,
		   gpu_sample_fn fn, void *arg)
{
	uint64_t lineno = 0;
	size_t pos = 0;
	while (pos < n) {
		const char *ln = buf + pos, *nl = memchr(ln, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - ln) : n - pos, i = 0;
		pos += len + 1;
		lineno++;
		if (len && ln[len - 1] == '\r')
			len--;
		while (i < len && (ln[i] == ' ' || ln[i] == '\t'))
			i++;
		if (i == len || ln[i] == '#')
			continue;
		size_t ns = i;
		while (i < len && (isalnum((unsigned char)ln[i]) || ln[i] == '_' || ln[i] == ':'))
			i++;
		if (i == ns || isdigit((unsigned char)ln[ns]))
			return error("%s:%lu:%zu: exposition: expected a metric name", name, (unsigned long)lineno, ns + 1);
		double scale = 1;
		int metric = gpu_dcgm_metric(ln + ns, i - ns, &scale);
		struct labels l;
		memset(&l, 0, sizeof l);
		if (i < len && ln[i] == '{') {
			i++;
			for (;;) {
				while (i < len && (ln[i] == ' ' || ln[i] == ','))
					i++;
				if (i < len && ln[i] == '}') {
					i++;
					break;
				}
				size_t ks = i;
				while (i < len && (isalnum((unsigned char)ln[i]) || ln[i] == '_'))
					i++;
				if (i == ks || i >= len || ln[i] != '=' || i + 1 >= len || ln[i + 1] != '"')
					return error("%s:%lu:%zu: exposition: expected label=\"value\"", name,
						     (unsigned long)lineno, i + 1);
				char *dst = slot(&l, ln + ks, i - ks);
				size_t w = 0;
				i += 2;
				while (i < len && ln[i] != '"') {
					char c = ln[i++];
					if (c == '\\' && i < len) {
						c = ln[i++];
						if (c == 'n')
							c = '\n';
					}
					if (w + 1 >= LBL)
						return error("%s:%lu:%zu: exposition: label value longer than %d bytes", name,
							     (unsigned long)lineno, i, LBL - 1);
					if (dst)
						dst[w] = c;
					w++;
				}
				if (i >= len)
					return error("%s:%lu:%zu: exposition: unterminated label value", name,
						     (unsigned long)lineno, i + 1);
				if (dst)
					dst[w] = 0;
				i++;
			}
		}
		if (i >= len || (ln[i] != ' ' && ln[i] != '\t'))
			return error("%s:%lu:%zu: exposition: expected a blank before the value", name, (unsigned long)lineno,
				     i + 1);
		while (i < len && (ln[i] == ' ' || ln[i] == '\t'))
			i++;
		char num[64];
		size_t vs = i;
		while (i < len && ln[i] != ' ' && ln[i] != '\t')
			i++;
		if (i == vs || i - vs >= sizeof num)
			return error("%s:%lu:%zu: exposition: expected a value", name, (unsigned long)lineno, vs + 1);
		memcpy(num, ln + vs, i - vs);
		num[i - vs] = 0;
		char *end;
		double v = strtod(num, &end);
		if (*end)
			return error("%s:%lu:%zu: exposition: '%s' is not a number", name, (unsigned long)lineno, vs + 1, num);
		int64_t t = at_ms;
		while (i < len && (ln[i] == ' ' || ln[i] == '\t'))
			i++;
		if (i < len) {
			size_t ts = i;
			long long x = strtoll(ln + i, &end, 10);
			if (end == ln + i || (size_t)(end - ln) > len || (end < ln + len && *end != ' ' && *end != '\t'))
				return error("%s:%lu:%zu: exposition: the timestamp is not an integer (ms)", name,
					     (unsigned long)lineno, ts + 1);
			t = x;
		}
		/* Sentinels are checked before and after scaling (GR_ENGINE_ACTIVE is x100). */
		if (metric < 0 || gpu_value_is_sentinel(v) || v != v || v < 0 || gpu_value_is_sentinel(v * scale))
			continue;
		int idx = -1;
		if (l.gpu[0]) {
			char *e2;
			long g = strtol(l.gpu, &e2, 10);
			if (!*e2 && g >= 0 && g < 1000000)
				idx = (int)g;
		}
		struct gpu_ident id = { host ? host : l.host, l.uuid, idx, l.model, l.pod, l.ns, l.container };
		int rc = fn(arg, &id, t, metric, v * scale);
		if (rc)
			return rc;
	}
	return 0;
}
