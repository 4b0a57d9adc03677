/*
 * gpu_smi.c - nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits].
 *
 * Columns are matched by the header name (units in brackets dropped), in
 * any order; unknown columns are ignored. Without a header the column order
 * is the one SPEC.md documents (timestamp,name,pci.bus_id,uuid,
 * utilization.gpu,utilization.memory,memory.total,memory.used,power.draw).
 * Values may carry units ("35 %", "81559 MiB", "71.05 W"); [N/A],
 * [Not Supported] and other bracketed values are "no value". nvidia-smi
 * prints local time without a zone: timestamps are taken as UTC (run
 * collectors with TZ=UTC). No allocation beyond the stack.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "formats/gpu_parse.h"
#include "util/err.h"

enum { C_TS, C_NAME, C_BUS, C_UUID, C_INDEX, C_UTIL, C_MTOTAL, C_MUSED, C_MFREE, C_POWER, C_IGNORE };
#define MAXCOLS 64

static int col_of(const char *s, size_t n)
{
	static const struct { const char *name; int c; } names[] = {
		{ "timestamp", C_TS }, { "name", C_NAME }, { "gpu_name", C_NAME }, { "pci.bus_id", C_BUS },
		{ "gpu_bus_id", C_BUS }, { "uuid", C_UUID }, { "gpu_uuid", C_UUID }, { "index", C_INDEX },
		{ "utilization.gpu", C_UTIL }, { "memory.total", C_MTOTAL }, { "memory.used", C_MUSED },
		{ "memory.free", C_MFREE }, { "power.draw", C_POWER }, { "power.draw.instant", C_POWER },
		{ "power.draw.average", C_POWER },
	};
	const char *br = memchr(s, '[', n);
	if (br)
		n = (size_t)(br - s);
	while (n && s[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && strncasecmp(names[i].name, s, n) == 0)
			return names[i].c;
	return C_IGNORE;
}

struct field { const char *p; size_t n; size_t col; };

/* Split a line at commas, trimming blanks. Returns the field count, or -1 when over MAXCOLS. */
static int split(const char *s, size_t n, struct field *f)
{
	int k = 0;
	size_t i = 0;
	for (;;) {
		size_t st = i;
		while (i < n && s[i] != ',')
			i++;
		size_t a = st, b = i;
		while (a < b && isspace((unsigned char)s[a]))
			a++;
		while (b > a && isspace((unsigned char)s[b - 1]))
			b--;
		if (k == MAXCOLS)
			return -1;
		f[k].p = s + a;
		f[k].n = b - a;
		f[k].col = a + 1;
		k++;
		if (i >= n)
			break;
		i++;
	}
	return k;
}

/* 1 and *v for a number (units after a blank dropped), 0 for no value, -1 for garbage. */
static int number(const struct field *f, double *v)
{
	if (!f->n || f->p[0] == '[' || (f->n >= 3 && strncasecmp(f->p, "N/A", 3) == 0))
		return 0;
	char buf[64];
	size_t n = f->n;
	const char *sp = memchr(f->p, ' ', n);
	if (sp)
		n = (size_t)(sp - f->p);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, f->p, n);
	buf[n] = 0;
	char *end;
	*v = strtod(buf, &end);
	if (*end || *v != *v || *v < 0)
		return -1;
	/* Out-of-range readings (DCGM-style blanks, overflowed counters) are no value, like [N/A]. */
	return gpu_value_is_sentinel(*v) ? 0 : 1;
}

int gpu_parse_smi(const char *buf, size_t n, const char *name, const char *host, gpu_sample_fn fn, void *arg)
{
	int map[MAXCOLS], ncols = 0, have_header = 0;
	struct field f[MAXCOLS];
	static const int deflt[] = { C_TS, C_NAME, C_BUS, C_UUID, C_UTIL, C_IGNORE, C_MTOTAL, C_MUSED, C_POWER };
	uint64_t lineno = 0;
	size_t pos = 0;
	if (n >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
		pos = 3;
	while (pos < n) {
		const char *ln = buf + pos, *nl = memchr(ln, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - ln) : n - pos;
		pos += len + 1;
		lineno++;
		if (len && ln[len - 1] == '\r')
			len--;
		size_t k = 0;
		while (k < len && isspace((unsigned char)ln[k]))
			k++;
		if (k == len)
			continue;
		int nf = split(ln, len, f);
		if (nf < 0)
			return error("%s:%lu:1: nvidia-smi CSV: more than %d columns", name, (unsigned long)lineno, MAXCOLS);
		if (!ncols) {
			/* A header starts with a letter (a data row starts with the timestamp's year). */
			if (isalpha((unsigned char)f[0].p[0])) {
				for (int i = 0; i < nf; i++)
					map[i] = col_of(f[i].p, f[i].n);
				ncols = nf;
				have_header = 1;
				int ts = 0;
				for (int i = 0; i < nf; i++)
					ts |= map[i] == C_TS;
				if (!ts)
					return error("%s:%lu:1: nvidia-smi CSV: no timestamp column in the header", name,
						     (unsigned long)lineno);
				continue;
			}
			ncols = (int)(sizeof deflt / sizeof deflt[0]);
			memcpy(map, deflt, sizeof deflt);
		}
		if (nf != ncols)
			return error("%s:%lu:1: nvidia-smi CSV: %d fields, the %s has %d", name, (unsigned long)lineno, nf,
				     have_header ? "header" : "documented column list", ncols);
		int64_t t = 0;
		char uuid[128] = "", model[128] = "", bus[64] = "";
		int index = -1;
		double util = -1, total = -1, used = -1, freem = -1, power = -1;
		for (int i = 0; i < nf; i++) {
			double v;
			int r = 0;
			switch (map[i]) {
			case C_TS:
				if (gpu_parse_time(f[i].p, f[i].n, &t) < 0)
					return error("%s:%lu:%zu: timestamp: '%.*s' is not YYYY/MM/DD HH:MM:SS[.fff]", name,
						     (unsigned long)lineno, f[i].col, (int)(f[i].n > 40 ? 40 : f[i].n), f[i].p);
				continue;
			case C_NAME:
				snprintf(model, sizeof model, "%.*s", (int)f[i].n, f[i].p);
				continue;
			case C_BUS:
				snprintf(bus, sizeof bus, "%.*s", (int)f[i].n, f[i].p);
				continue;
			case C_UUID:
				if (f[i].n && f[i].p[0] != '[')
					snprintf(uuid, sizeof uuid, "%.*s", (int)f[i].n, f[i].p);
				continue;
			case C_INDEX:
				r = number(&f[i], &v);
				if (r > 0 && v < 1e6)
					index = (int)v;
				break;
			case C_UTIL: r = number(&f[i], &v); if (r > 0) util = v; break;
			case C_MTOTAL: r = number(&f[i], &v); if (r > 0) total = v; break;
			case C_MUSED: r = number(&f[i], &v); if (r > 0) used = v; break;
			case C_MFREE: r = number(&f[i], &v); if (r > 0) freem = v; break;
			case C_POWER: r = number(&f[i], &v); if (r > 0) power = v; break;
			default: continue;
			}
			if (r < 0)
				return error("%s:%lu:%zu: '%.*s' is not a number", name, (unsigned long)lineno, f[i].col,
					     (int)(f[i].n > 40 ? 40 : f[i].n), f[i].p);
		}
		if (util > 100)
			return error("%s:%lu:1: utilization.gpu %g is over 100%%", name, (unsigned long)lineno, util);
		if (!uuid[0])
			snprintf(uuid, sizeof uuid, "%s", bus);
		if (freem < 0 && total >= 0 && used >= 0)
			freem = total > used ? total - used : 0;
		struct gpu_ident id = { host ? host : "", uuid, index, model, "", "", "" };
		int rc = 0;
		if (util >= 0 && (rc = fn(arg, &id, t, GM_UTIL, util)) != 0)
			return rc;
		if (used >= 0 && (rc = fn(arg, &id, t, GM_MEM_USED, used)) != 0)
			return rc;
		if (freem >= 0 && (rc = fn(arg, &id, t, GM_MEM_FREE, freem)) != 0)
			return rc;
		if (power >= 0 && (rc = fn(arg, &id, t, GM_POWER, power)) != 0)
			return rc;
	}
	return 0;
}
