/*
 * recommend_catalog.c - the GPU instance catalog for rightsizing
 * (data/instances/gpu_instances.csv, sources in its SOURCES.md), GPU names
 * from telemetry -> catalog GPU models, and relative GPU throughput.
 * The catalog array is malloc'd; the caller frees it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/recommend_int.h"
#include "formats/csv.h"
#include "util/datadir.h"
#include "util/err.h"

/* Lower-case alphanumerics only, without a leading "standard" (Azure's Standard_ prefix). */
static void squash(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		if (isalnum((unsigned char)s[i]))
			out[k++] = (char)tolower((unsigned char)s[i]);
	out[k] = 0;
	if (!strncmp(out, "standard", 8) && k > 8)
		memmove(out, out + 8, k - 8 + 1);
}

static void cell(const struct csv_reader *r, size_t i, char *out, size_t cap)
{
	size_t n = 0;
	if (i < r->nfields) {
		n = r->fields[i].n < cap - 1 ? r->fields[i].n : cap - 1;
		memcpy(out, r->fields[i].p, n);
	}
	out[n] = 0;
}

struct membuf {
	const char *p;
	size_t n, off;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
	struct membuf *m = ctx;
	size_t k = m->n - m->off < n ? m->n - m->off : n;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

int rec_catalog_load(struct rec_inst **out, size_t *nout)
{
	char path[1024];
	*out = NULL;
	*nout = 0;
	if (datadir_path("instances/gpu_instances.csv", path, sizeof path) < 0)
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return error("%s: cannot open", path);
	size_t cap = 1 << 14, n = 0, k;
	char *buf = xmalloc(cap);
	while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	struct membuf mb = { buf, n, 0 };
	struct csv_reader r;
	csv_init(&r, mem_read, &mb);
	int rc = 0, cols[10];
	static const char *const names[10] = { "provider", "instance_type", "gpu_model", "gpus", "gpu_memory_gib",
					       "vcpus", "memory_gib", "on_demand_usd_hour", "price_region", "source" };
	if (csv_next(&r) != 1) {
		rc = error("%s: empty table", path);
		goto done;
	}
	for (int c = 0; c < 10; c++) {
		cols[c] = -1;
		for (size_t i = 0; i < r.nfields; i++)
			if (r.fields[i].n == strlen(names[c]) && !memcmp(r.fields[i].p, names[c], r.fields[i].n))
				cols[c] = (int)i;
		if (cols[c] < 0) {
			rc = error("%s: no column %s", path, names[c]);
			goto done;
		}
	}
	int got;
	while ((got = csv_next(&r)) == 1) {
		if (r.nfields < 10)
			continue;
		struct rec_inst e;
		char tmp[64];
		memset(&e, 0, sizeof e);
		cell(&r, (size_t)cols[0], e.provider, sizeof e.provider);
		cell(&r, (size_t)cols[1], e.type, sizeof e.type);
		squash(e.type, strlen(e.type), e.key, sizeof e.key);
		cell(&r, (size_t)cols[2], e.gpu_model, sizeof e.gpu_model);
		cell(&r, (size_t)cols[3], tmp, sizeof tmp);
		e.gpus = atoi(tmp);
		cell(&r, (size_t)cols[4], tmp, sizeof tmp);
		e.gpu_mem_gib = strtod(tmp, NULL);
		cell(&r, (size_t)cols[5], tmp, sizeof tmp);
		e.vcpus = strtod(tmp, NULL);
		cell(&r, (size_t)cols[6], tmp, sizeof tmp);
		e.mem_gib = strtod(tmp, NULL);
		cell(&r, (size_t)cols[7], tmp, sizeof tmp);
		if (money_parse(tmp, strlen(tmp), &e.price, NULL) < 0 || e.price <= 0 || e.gpus <= 0 || !e.key[0]) {
			rc = error("%s:%llu: a row needs an instance type, a GPU count and a price", path,
				   (unsigned long long)r.line);
			goto done;
		}
		cell(&r, (size_t)cols[8], e.price_region, sizeof e.price_region);
		cell(&r, (size_t)cols[9], e.source, sizeof e.source);
		*out = xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = e;
	}
	if (got < 0)
		rc = error("%s:%llu:%u: %s", path, (unsigned long long)r.err_line, r.err_col, r.err);
done:
	csv_release(&r);
	free(buf);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

const char *rec_gpu_family(const char *m)
{
	if (!m)
		return NULL;
	if (strcasestr(m, "H100"))
		return "H100";
	if (strcasestr(m, "A100"))
		return strcasestr(m, "80G") ? "A100-80GB" : "A100-40GB";
	if (strcasestr(m, "A10G"))
		return "A10G";
	if (strcasestr(m, "L40S"))
		return "L40S";
	if (strcasestr(m, "V100"))
		return "V100";
	/* Short names as whole words: "NVIDIA L4", "Tesla T4", "NVIDIA A10" */
	static const char *const words[] = { "L4", "T4", "A10" };
	for (size_t w = 0; w < 3; w++) {
		size_t n = strlen(words[w]);
		for (const char *p = m; (p = strcasestr(p, words[w])); p++) {
			int before = p == m || !isalnum((unsigned char)p[-1]);
			int after = !isalnum((unsigned char)p[n]);
			if (before && after)
				return words[w];
		}
	}
	return NULL;
}

/*
 * Dense FP16/BF16 tensor TFLOPS from NVIDIA's datasheets (SXM where there
 * are two forms; A10G: the AWS variant, about 55% of an A10). Only ratios
 * are used: can the target GPU carry the current GPU's peak load?
 */
double rec_gpu_perf(const char *fam)
{
	static const struct { const char *f; double t; } perf[] = {
		{ "H100", 989 }, { "A100-80GB", 312 }, { "A100-40GB", 312 }, { "L40S", 362 }, { "A10G", 70 },
		{ "A10", 125 }, { "L4", 121 }, { "T4", 65 }, { "V100", 125 },
	};
	for (size_t i = 0; fam && i < sizeof perf / sizeof perf[0]; i++)
		if (!strcasecmp(fam, perf[i].f))
			return perf[i].t;
	return 0;
}

static int find_key(const struct rec_inst *c, size_t n, const char *sq)
{
	for (size_t i = 0; *sq && i < n; i++)
		if (!strcmp(c[i].key, sq))
			return (int)i;
	return -1;
}

/*
 * Instance types are whole tokens ("... Linux p4d.24xlarge Instance Hour",
 * "USE1-BoxUsage:g5.xlarge", "a2-highgpu-8g") or two of them (Azure meters:
 * "ND96asr v4", "NC24ads A100 v4"); each is compared squashed, so "Standard_ND96asr_v4" and
 * "ND96asr v4" are the same type. Never a substring: g2-standard-4 is not
 * g2-standard-48.
 */
int rec_catalog_find_in(const struct rec_inst *c, size_t n, const char *text)
{
	const char *tok[64];
	size_t len_[64], nt = 0;
	if (!text)
		return -1;
	for (const char *p = text; *p && nt < 64;) {
		while (*p && (isspace((unsigned char)*p) || strchr(",;:()[]{}\"'/=|$", *p)))
			p++;
		const char *b = p;
		while (*p && !isspace((unsigned char)*p) && !strchr(",;:()[]{}\"'/=|$", *p))
			p++;
		if (p > b) {
			tok[nt] = b;
			len_[nt++] = (size_t)(p - b);
		}
	}
	/* One, two or three consecutive tokens ("p4d.24xlarge", "ND96asr v4", "NC24ads A100 v4"). */
	for (size_t i = 0; i < nt; i++) {
		char one[160], sq[160];
		size_t len = 0;
		for (size_t k = i; k < nt && k < i + 3; k++) {
			if (len + len_[k] + 1 >= sizeof one)
				break;
			if (k > i)
				one[len++] = '_';
			memcpy(one + len, tok[k], len_[k]);
			len += len_[k];
			squash(one, len, sq, sizeof sq);
			int hit = find_key(c, n, sq);
			if (hit >= 0)
				return hit;
		}
	}
	return -1;
}
