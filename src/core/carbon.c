/*
 * carbon.c - the CCF energy and emissions estimate of a FOCUS line.
 *
 * Tables come from data/carbon (CCF grid factors and CPU coefficients, GPU
 * power) and data/instances (GPU instance shapes). They are small, so each
 * is read whole and kept as a flat array searched linearly: a report
 * estimates each distinct line once, never each row.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/carbon.h"
#include "formats/csv.h"
#include "formats/focus.h"
#include "util/datadir.h"
#include "util/err.h"

const char *const carbon_kind_name[CK__COUNT] = { "none", "instance", "vcpu", "memory", "storage", "network" };

enum prov { P_AWS, P_AZURE, P_GCP, P_OTHER, P__COUNT };

/* CCF methodology constants (cloud-carbon-footprint Methodology.md). */
#define MEMORY_KWH_PER_GB_HOUR 0.000392
#define SSD_WH_PER_TB_HOUR 1.2
#define HDD_WH_PER_TB_HOUR 0.65
#define NETWORK_KWH_PER_GB 0.001
#define HOURS_PER_MONTH 730.0

struct grid_row {
	enum prov prov;
	char region[40];          /* lower-cased alphanumerics only: "us-east-1" and "East US" compare well */
	double kg_per_kwh;
};

struct gpu_row {
	char model[24];
	double idle_w, max_w;
};

struct inst_row {
	char type[48];            /* lower case */
	char gpu_model[24];
	int gpus, vcpus;
	double mem_gib;
};

struct carbon_model {
	struct carbon_opts o;
	struct grid_row *grid;
	size_t ngrid;
	double grid_mean[P__COUNT];   /* P_OTHER: mean of all rows */
	double cpu_min[P__COUNT], cpu_max[P__COUNT];   /* mean watts per vCPU over architectures */
	struct gpu_row *gpu;
	size_t ngpu;
	struct inst_row *inst;
	size_t ninst;
	char scratch[64];         /* the last instance type recognized by pattern */
	char attached[24];        /* a GPU named after it with '+', or "" */
};

static enum prov provider_of(const char *p)
{
	char b[64];
	size_t n = 0;
	for (; p && *p && n + 1 < sizeof b; p++)
		b[n++] = (char)tolower((unsigned char)*p);
	b[n] = 0;
	if (strstr(b, "aws") || strstr(b, "amazon"))
		return P_AWS;
	if (strstr(b, "microsoft") || strstr(b, "azure"))
		return P_AZURE;
	if (strstr(b, "google") || strstr(b, "gcp"))
		return P_GCP;
	return P_OTHER;
}

double carbon_pue(const char *provider)
{
	static const double pue[P__COUNT] = { 1.135, 1.185, 1.1, 1.2 };
	return pue[provider_of(provider)];
}

static void squash(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		if (isalnum((unsigned char)s[i]))
			out[k++] = (char)tolower((unsigned char)s[i]);
	out[k] = 0;
}

/* ---- table loading -------------------------------------------------------- */

struct table_file {
	char *buf;
	struct csv_mem mem;
	struct csv_reader r;
	char path[1024];
};

static int table_open(struct table_file *t, const char *rel)
{
	memset(t, 0, sizeof *t);
	if (datadir_path(rel, t->path, sizeof t->path) < 0)
		return -1;
	FILE *f = fopen(t->path, "rb");
	if (!f)
		return error("%s: cannot open", t->path);
	size_t cap = 1 << 16, n = 0, k;
	t->buf = xmalloc(cap);
	while ((k = fread(t->buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap)
			t->buf = xrealloc(t->buf, cap *= 2);
	}
	fclose(f);
	t->mem.p = t->buf;
	t->mem.n = n;
	csv_init(&t->r, csv_mem_read, &t->mem);
	/* the header */
	if (csv_next(&t->r) != 1) {
		csv_release(&t->r);
		free(t->buf);
		return error("%s: empty table", t->path);
	}
	return 0;
}

static void table_close(struct table_file *t)
{
	csv_release(&t->r);
	free(t->buf);
}

static void field(const struct table_file *t, size_t i, char *out, size_t cap)
{
	size_t n = 0;
	if (i < t->r.nfields) {
		n = t->r.fields[i].n < cap - 1 ? t->r.fields[i].n : cap - 1;
		memcpy(out, t->r.fields[i].p, n);
	}
	out[n] = 0;
}

static double fnum(const struct table_file *t, size_t i)
{
	char b[64];
	field(t, i, b, sizeof b);
	return strtod(b, NULL);
}

static int load_grid(struct carbon_model *m)
{
	struct table_file t;
	if (table_open(&t, "carbon/grid_emissions_factors.csv") < 0)
		return -1;
	double sum[P__COUNT] = { 0 };
	int cnt[P__COUNT] = { 0 };
	int rc;
	while ((rc = csv_next(&t.r)) == 1) {
		char tab[32], reg[64];
		if (t.r.nfields < 5)
			continue;
		field(&t, 0, tab, sizeof tab);
		enum prov p = !strcmp(tab, "AWS") ? P_AWS : !strcmp(tab, "Azure") ? P_AZURE
			    : !strcmp(tab, "GCP_grid_only") ? P_GCP : P_OTHER;
		if (p == P_OTHER)
			continue;      /* GCP_with_CFE_pct is market-based; aicost reports location-based */
		field(&t, 1, reg, sizeof reg);
		m->grid = xrealloc(m->grid, (m->ngrid + 1) * sizeof *m->grid);
		struct grid_row *g = &m->grid[m->ngrid++];
		g->prov = p;
		squash(reg, strlen(reg), g->region, sizeof g->region);
		g->kg_per_kwh = fnum(&t, 4) * 1000.0;   /* metric t per kWh -> kg per kWh */
		sum[p] += g->kg_per_kwh;
		cnt[p]++;
		sum[P_OTHER] += g->kg_per_kwh;
		cnt[P_OTHER]++;
	}
	if (rc < 0)
		error("%s:%llu:%u: %s", t.path, (unsigned long long)t.r.err_line, t.r.err_col, t.r.err);
	table_close(&t);
	for (int p = 0; p < P__COUNT; p++)
		m->grid_mean[p] = cnt[p] ? sum[p] / cnt[p] : 0;
	return rc < 0 || !cnt[P_OTHER] ? -1 : 0;
}

static int load_cpu(struct carbon_model *m)
{
	static const char *files[3] = { "carbon/coefficients-aws-use.csv", "carbon/coefficients-azure-use.csv",
					 "carbon/coefficients-gcp-use.csv" };
	double amin = 0, amax = 0;
	for (int p = 0; p < 3; p++) {
		struct table_file t;
		if (table_open(&t, files[p]) < 0)
			return -1;
		double smin = 0, smax = 0;
		int n = 0;
		while (csv_next(&t.r) == 1) {
			if (t.r.nfields < 4)
				continue;
			smin += fnum(&t, 2);
			smax += fnum(&t, 3);
			n++;
		}
		table_close(&t);
		if (!n)
			return error("%s: no coefficients", files[p]);
		/* CCF: an unknown microarchitecture takes the mean over the provider's architectures. */
		m->cpu_min[p] = smin / n;
		m->cpu_max[p] = smax / n;
		amin += m->cpu_min[p];
		amax += m->cpu_max[p];
	}
	m->cpu_min[P_OTHER] = amin / 3;
	m->cpu_max[P_OTHER] = amax / 3;
	return 0;
}

static int load_gpu(struct carbon_model *m)
{
	struct table_file t;
	if (table_open(&t, "carbon/gpu_power.csv") < 0)
		return -1;
	while (csv_next(&t.r) == 1) {
		if (t.r.nfields < 3)
			continue;
		m->gpu = xrealloc(m->gpu, (m->ngpu + 1) * sizeof *m->gpu);
		struct gpu_row *g = &m->gpu[m->ngpu++];
		field(&t, 0, g->model, sizeof g->model);
		g->idle_w = fnum(&t, 1);
		g->max_w = fnum(&t, 2);
	}
	table_close(&t);
	return 0;
}

static int load_instances(struct carbon_model *m)
{
	struct table_file t;
	if (table_open(&t, "instances/gpu_instances.csv") < 0)
		return -1;
	while (csv_next(&t.r) == 1) {
		if (t.r.nfields < 7)
			continue;
		m->inst = xrealloc(m->inst, (m->ninst + 1) * sizeof *m->inst);
		struct inst_row *r = &m->inst[m->ninst++];
		field(&t, 1, r->type, sizeof r->type);
		for (char *c = r->type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		field(&t, 2, r->gpu_model, sizeof r->gpu_model);
		r->gpus = (int)fnum(&t, 3);
		r->vcpus = (int)fnum(&t, 5);
		r->mem_gib = fnum(&t, 6);
	}
	table_close(&t);
	return 0;
}

struct carbon_model *carbon_load(const struct carbon_opts *o)
{
	struct carbon_model *m = xcalloc(1, sizeof *m);
	m->o = *o;
	if (load_grid(m) < 0 || load_cpu(m) < 0 || load_gpu(m) < 0 || load_instances(m) < 0) {
		carbon_free(m);
		return NULL;
	}
	return m;
}

void carbon_free(struct carbon_model *m)
{
	if (!m)
		return;
	free(m->grid);
	free(m->gpu);
	free(m->inst);
	free(m);
}

double carbon_grid_factor(const struct carbon_model *m, const char *provider, const char *region, int *estimated)
{
	enum prov p = provider_of(provider);
	char key[40];
	if (region && p != P_OTHER) {
		squash(region, strlen(region), key, sizeof key);
		for (size_t i = 0; i < m->ngrid; i++)
			if (m->grid[i].prov == p && !strcmp(m->grid[i].region, key)) {
				*estimated = 0;
				return m->grid[i].kg_per_kwh;
			}
	}
	*estimated = 1;
	return m->grid_mean[p] > 0 ? m->grid_mean[p] : m->grid_mean[P_OTHER];
}

money_t carbon_fixed(double v)
{
	if (!(v > 0))
		return 0;
	return (money_t)llround(v * 1e15) * (money_t)1000;
}

/* ---- recognizing what a line is -------------------------------------------- */

static int ieq(const char *a, const char *b)
{
	return a && strcasecmp(a, b) == 0;
}

static int icontains(const char *h, const char *n)
{
	return h && strcasestr(h, n) != NULL;
}

static const struct inst_row *catalog_type(const struct carbon_model *m, const char *tok, size_t n)
{
	for (size_t i = 0; i < m->ninst; i++)
		if (strlen(m->inst[i].type) == n && strncasecmp(m->inst[i].type, tok, n) == 0)
			return &m->inst[i];
	return NULL;
}

/* vCPUs from an instance type's name when the catalog does not know it. */
static int vcpus_by_name(const char *tok, size_t n)
{
	char t[64];
	if (n >= sizeof t)
		return 0;
	for (size_t i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)tok[i]);
	t[n] = 0;
	/* AWS family.size: large = 2 vCPUs, xlarge = 4, Nxlarge = 4N. */
	char *dot = strchr(t, '.');
	if (dot) {
		const char *sz = dot + 1;
		if (!strcmp(sz, "nano") || !strcmp(sz, "micro") || !strcmp(sz, "small") || !strcmp(sz, "medium"))
			return 2;
		if (!strcmp(sz, "large"))
			return 2;
		if (!strcmp(sz, "xlarge"))
			return 4;
		char *end;
		long k = strtol(sz, &end, 10);
		if (k > 0 && k <= 1024 && !strcmp(end, "xlarge"))
			return (int)(4 * k);
		return 0;
	}
	/* Azure Standard_<family><vCPUs><features>_v<N>: Standard_D4s_v3, Standard_NC24ads_A100_v4. */
	if (!strncmp(t, "standard_", 9)) {
		const char *p = t + 9;
		while (*p && isalpha((unsigned char)*p))
			p++;
		long k = strtol(p, NULL, 10);
		return k > 0 && k <= 1024 ? (int)k : 0;
	}
	/* GCP <series>-<class>-<vCPUs>: n2-standard-8, c2d-highcpu-16. */
	const char *d1 = strchr(t, '-'), *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
	if (d1 && d2 && isdigit((unsigned char)t[1])) {
		char *end;
		long k = strtol(d2 + 1, &end, 10);
		if (k > 0 && k <= 1024 && !*end)
			return (int)k;
	}
	return 0;
}

/* Does tok look like an instance type: aws "c5.2xlarge", azure "Standard_D4s_v3", gcp "n2-standard-8"? */
static int looks_like_type(const char *tok, size_t n)
{
	if (n < 4 || n > 48)
		return 0;
	const char *dot = memchr(tok, '.', n);
	if (dot) {
		size_t rest = n - (size_t)(dot - tok) - 1;
		return isalpha((unsigned char)tok[0]) && rest >= 4 &&
		       (strncmp(dot + 1 + rest - 5, "large", 5) == 0 || !strncmp(dot + 1, "nano", 4) ||
			!strncmp(dot + 1, "micro", 5) || !strncmp(dot + 1, "small", 5) || !strncmp(dot + 1, "medium", 6));
	}
	if (n > 9 && strncasecmp(tok, "standard_", 9) == 0)
		return 1;
	const char *d1 = memchr(tok, '-', n);
	if (d1 && isalpha((unsigned char)tok[0]) && isdigit((unsigned char)tok[1])) {
		const char *d2 = memchr(d1 + 1, '-', n - (size_t)(d1 + 1 - tok));
		return d2 && isdigit((unsigned char)tok[n - 1]);
	}
	return 0;
}

/* Find an instance type in the descriptive columns of a line. */
static int find_type(struct carbon_model *m, const struct alloc_line *l, const struct inst_row **cat, int *vcpus)
{
	static const int cols[] = { FC_CHARGE_DESCRIPTION, FC_SKU_METER, FC_RESOURCE_TYPE, FC_SKU_PRICE_DETAILS,
				    FC_RESOURCE_NAME };
	for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
		const char *s = l->vals[cols[c]];
		while (s && *s) {
			while (*s && (isspace((unsigned char)*s) || strchr(",;:()[]{}\"'/=+", *s)))
				s++;
			const char *b = s;
			while (*s && !isspace((unsigned char)*s) && !strchr(",;:()[]{}\"'/=+", *s))
				s++;
			size_t n = (size_t)(s - b);
			/* Managed-service prefixes: SageMaker ml.g5.xlarge, RDS db.r5.large, ElastiCache cache.m5.large. */
			static const char *const pre[] = { "ml.", "db.", "cache.", NULL };
			for (const char *const *pp = pre; *pp; pp++) {
				size_t pn = strlen(*pp);
				if (n > pn + 4 && !strncasecmp(b, *pp, pn) && memchr(b + pn, '.', n - pn)) {
					b += pn;
					n -= pn;
				}
			}
			if (!n || !looks_like_type(b, n))
				continue;
			const struct inst_row *r = catalog_type(m, b, n);
			int v = r ? r->vcpus : vcpus_by_name(b, n);
			if (!v)
				continue;
			*cat = r;
			*vcpus = v;
			/* GCP N1 VMs name an attached GPU after a '+': "n1-standard-4+T4". */
			m->attached[0] = 0;
			if (*s == '+') {
				const char *g = s + 1, *ge = g;
				while (*ge && (isalnum((unsigned char)*ge) || *ge == '-'))
					ge++;
				if (ge > g && (size_t)(ge - g) < sizeof m->attached) {
					memcpy(m->attached, g, (size_t)(ge - g));
					m->attached[ge - g] = 0;
				}
			}
			size_t k = n < sizeof m->scratch - 1 ? n : sizeof m->scratch - 1;
			for (size_t i = 0; i < k; i++)
				m->scratch[i] = (char)tolower((unsigned char)b[i]);
			m->scratch[k] = 0;
			return 1;
		}
	}
	return 0;
}

static const struct gpu_row *gpu_power(const struct carbon_model *m, const char *model)
{
	for (size_t i = 0; i < m->ngpu; i++)
		if (!strcasecmp(m->gpu[i].model, model))
			return &m->gpu[i];
	return NULL;
}

/* Units compare on lower-cased alphanumerics: "GB-Months", "GB/Month" and "gb month" are one unit. */
static int unit_is(const char *squashed, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(squashed, *names))
			return 1;
	return 0;
}

enum carbon_kind carbon_estimate(const struct carbon_model *cm, const struct alloc_line *l, struct carbon_est *out)
{
	struct carbon_model *m = (struct carbon_model *)cm;   /* scratch only */
	static const char *const hours[] = { "hours", "hour", "hrs", "hr", "instancehours", "instancehour", NULL };
	static const char *const vcpu_hours[] = { "vcpuhours", "vcpuhour", "vcpuhrs", "vcpuperhour", NULL };
	static const char *const ocpu_hours[] = { "ocpuhours", "ocpuhour", "ocpuhrs", "ocpuperhour", NULL };
	static const char *const gb_hours[] = { "gbhours", "gbhour", "gbhrs", "gibhours", "gibhour", "gigabytehours",
						"gigabyteperhour", NULL };
	static const char *const gb_months[] = { "gbmonths", "gbmonth", "gbmo", "gibmonths", "gibmonth", "gbpermonth",
						 "gigabytemonths", "gigabytemonth", "gibymo", NULL };
	static const char *const gbs[] = { "gb", "gib", "gigabytes", "gigabyte", NULL };
	char unit[48];
	const char *cat = l->vals[FC_SERVICE_CATEGORY];
	const char *charge = l->vals[FC_CHARGE_CATEGORY];
	/* ProviderName (FOCUS 1.0-1.2) is read into ServiceProviderName (1.3). */
	const char *pname = l->vals[FC_SERVICE_PROVIDER_NAME];
	enum prov p = provider_of(pname);
	double pue = carbon_pue(pname);

	memset(out, 0, sizeof *out);
	if (charge && !ieq(charge, "Usage"))
		return CK_NONE;     /* purchases, taxes, credits, adjustments consume no energy themselves */
	if (!l->vals[FC_CONSUMED_UNIT])
		return CK_NONE;
	squash(l->vals[FC_CONSUMED_UNIT], strlen(l->vals[FC_CONSUMED_UNIT]), unit, sizeof unit);
	double kwh = 0;
	const struct inst_row *inst = NULL;
	int vcpus = 0;
	if (unit_is(unit, hours) && find_type(m, l, &inst, &vcpus)) {
		double cpu_w = m->cpu_min[p] + m->o.cpu_util * (m->cpu_max[p] - m->cpu_min[p]);
		kwh = vcpus * cpu_w / 1000.0;
		if (inst) {
			kwh += inst->mem_gib * MEMORY_KWH_PER_GB_HOUR;
		}
		const char *gm = inst && inst->gpus ? inst->gpu_model : m->attached[0] ? m->attached : NULL;
		int ngpu = inst && inst->gpus ? inst->gpus : 1;
		const struct gpu_row *g = gm ? gpu_power(m, gm) : NULL;
		if (g) {
			double gw = g->idle_w + m->o.gpu_util * (g->max_w - g->idle_w);
			out->gpu_kwh_per_unit = ngpu * gw / 1000.0 * pue;
			kwh += ngpu * gw / 1000.0;
			out->gpu_model = g->model;
			out->gpus = ngpu;
		}
		out->kind = CK_INSTANCE;
		out->instance_type = m->scratch;
	} else if (unit_is(unit, vcpu_hours) || unit_is(unit, ocpu_hours)) {
		/* An Oracle OCPU is one physical core: two vCPUs. */
		kwh = (unit_is(unit, ocpu_hours) ? 2 : 1) *
		      (m->cpu_min[p] + m->o.cpu_util * (m->cpu_max[p] - m->cpu_min[p])) / 1000.0;
		out->kind = CK_VCPU;
	} else if (unit_is(unit, gb_hours) && ieq(cat, "Compute")) {
		kwh = MEMORY_KWH_PER_GB_HOUR;
		out->kind = CK_MEMORY;
	} else if (unit_is(unit, gb_months) && ieq(cat, "Storage")) {
		int ssd = 0, object = 0;
		static const int cols[] = { FC_SERVICE_NAME, FC_SKU_METER, FC_CHARGE_DESCRIPTION, FC_RESOURCE_TYPE };
		for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
			const char *s = l->vals[cols[c]];
			ssd |= icontains(s, "ssd") || icontains(s, "gp2") || icontains(s, "gp3") || icontains(s, "io1") ||
			       icontains(s, "io2") || icontains(s, "premium") || icontains(s, "pd-balanced");
			object |= icontains(s, "s3") || icontains(s, "blob") || icontains(s, "object") ||
				  icontains(s, "cloud storage");
		}
		/* CCF replication: object stores keep 3 copies, block volumes 2. */
		double wh = (ssd ? SSD_WH_PER_TB_HOUR : HDD_WH_PER_TB_HOUR) * (object ? 3 : 2);
		kwh = HOURS_PER_MONTH / 1000.0 * wh / 1000.0;   /* per GB-month: GB->TB, Wh->kWh */
		out->kind = CK_STORAGE;
	} else if (unit_is(unit, gbs) && (ieq(cat, "Networking") || icontains(l->vals[FC_CHARGE_DESCRIPTION], "transfer") ||
					   icontains(l->vals[FC_SKU_METER], "transfer"))) {
		kwh = NETWORK_KWH_PER_GB;
		out->kind = CK_NETWORK;
	} else {
		return CK_NONE;
	}
	out->kwh_per_unit = kwh * pue;
	out->kg_per_kwh = carbon_grid_factor(m, pname, l->vals[FC_REGION_ID] ? l->vals[FC_REGION_ID] : l->vals[FC_REGION_NAME],
					     &out->factor_estimated);
	return out->kind;
}
