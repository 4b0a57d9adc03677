/*
 * gen_estate.c - a synthetic AI estate with injected waste whose savings are
 * known, for testing `aicost recommend` (tests/sh/test_recommend_estate.sh)
 * and for demos.
 *
 *   gen_estate OUTDIR [--seed N] [--days D] [--catalog CSV] [--prices JSON] [--hosts-scale K]
 *
 * Writes into OUTDIR:
 *   bill.csv         FOCUS 1.2 cost rows, one per resource, meter and day: GPU
 *                    and CPU instances on AWS, Azure and Google Cloud (on-demand
 *                    and committed), inference endpoints with request meters,
 *                    storage buckets with capacity and request meters;
 *   telemetry.json   Prometheus query_range JSON of dcgm-exporter metrics (GPU
 *                    util, framebuffer used/free) every 30 minutes, labelled
 *                    with Hostname, UUID, modelName, pod, namespace;
 *   requests.jsonl   an LLM request log (the gateway's shape, with
 *                    prompt_sha256, prompt_chars, prefix_sha256, prefix_chars,
 *                    stream and metadata);
 *   aicost.yaml      the config the test uses (telemetry interval);
 *   truth.json       the findings the documented rules must produce, with their
 *                    monthly savings: {"findings":[{"kind","resource_id",
 *                    "scope":{..},"monthly_savings"}]}.
 *
 * The waste injected: idle GPU instances (idle all along, or since some day),
 * instances idle on nights and weekends, oversized instances (few busy GPUs,
 * low load, small memory), training on on-demand capacity, a steady on-demand
 * baseline per provider, endpoints whose traffic stopped, buckets that grow
 * unread, duplicate prompts, short prompts on expensive models, non-interactive
 * traffic, and long repeated prompt prefixes. Healthy resources of every kind
 * sit beside them (busy hosts, committed hosts, active endpoints and buckets,
 * interactive LLM traffic), so precision is tested too.
 *
 * The truth follows docs/recommend.md: savings are the cost the generator
 * itself bills, scaled to 30 days. Rightsizing targets follow the rule there
 * (cheapest catalog shape of the provider with enough GPUs, memory, vCPUs and
 * throughput), evaluated here on the generator's own load parameters, which
 * are chosen away from every threshold. Standalone (jansson for the prices).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
static double frand(double a, double b)
{
	return a + (b - a) * (double)(rnd() >> 11) / 9007199254740992.0;
}
static int irand(int a, int b)
{
	return a + (int)(rnd() % (uint64_t)(b - a + 1));
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "gen_estate: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ---- the instance catalog (the same file aicost reads) ---- */

struct inst {
	char prov[16], type[48], model[16];
	int gpus;
	double gmem, vcpus, price;
};
static struct inst cat[256];
static int ncat;

static void load_catalog(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f)
		die("%s: cannot open", path);
	if (!fgets(line, sizeof line, f))
		die("%s: empty", path);
	while (fgets(line, sizeof line, f) && ncat < 256) {
		char *fl[10];
		int n = 0;
		for (char *p = line; n < 10;) {
			fl[n++] = p;
			char *c = strchr(p, ',');
			if (!c)
				break;
			*c = 0;
			p = c + 1;
		}
		if (n < 8)
			continue;
		struct inst *e = &cat[ncat++];
		snprintf(e->prov, sizeof e->prov, "%s", fl[0]);
		snprintf(e->type, sizeof e->type, "%s", fl[1]);
		snprintf(e->model, sizeof e->model, "%s", fl[2]);
		e->gpus = atoi(fl[3]);
		e->gmem = atof(fl[4]);
		e->vcpus = atof(fl[5]);
		e->price = atof(fl[7]);
	}
	fclose(f);
}

/* Same table as core/recommend_catalog.c (NVIDIA datasheets, dense FP16 tensor TFLOPS). */
static double perf(const char *m)
{
	static const struct { const char *f; double t; } p[] = {
		{ "H100", 989 }, { "A100-80GB", 312 }, { "A100-40GB", 312 }, { "L40S", 362 }, { "A10G", 70 },
		{ "A10", 125 }, { "L4", 121 }, { "T4", 65 }, { "V100", 125 },
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
		if (!strcmp(p[i].f, m))
			return p[i].t;
	return 0;
}

static const char *smi_name(const char *m)
{
	if (!strcmp(m, "H100")) return "NVIDIA H100 80GB HBM3";
	if (!strcmp(m, "A100-80GB")) return "NVIDIA A100-SXM4-80GB";
	if (!strcmp(m, "A100-40GB")) return "NVIDIA A100-SXM4-40GB";
	if (!strcmp(m, "A10G")) return "NVIDIA A10G";
	if (!strcmp(m, "L4")) return "NVIDIA L4";
	if (!strcmp(m, "T4")) return "Tesla T4";
	if (!strcmp(m, "L40S")) return "NVIDIA L40S";
	if (!strcmp(m, "V100")) return "Tesla V100-SXM2-16GB";
	return m;
}

/* GCP bills do not name the machine type: aicost infers the cheapest shape of the GPU model and count. */
static int gcp_inferable(int i)
{
	for (int j = 0; j < ncat; j++)
		if (j != i && !strcmp(cat[j].prov, "GCP") && !strcmp(cat[j].model, cat[i].model) &&
		    cat[j].gpus == cat[i].gpus && cat[j].price < cat[i].price)
			return 0;
	return 1;
}

/*
 * The rightsizing rule of docs/recommend.md: the cheapest shape of the same
 * provider with busy <= gpus <= current gpus, GPU memory >= need, vCPUs >=
 * half the current vCPUs per busy GPU, p95 x perf(current)/perf(target) <=
 * 70 (or the same GPU model), and a price at most 90% of the current one.
 */
static int rightsize_target(int e, int busy, double p95, double mem_need)
{
	const struct inst *E = &cat[e];
	int best = -1;
	for (int i = 0; i < ncat; i++) {
		const struct inst *T = &cat[i];
		if (i == e || strcmp(T->prov, E->prov) || T->gpus < busy || T->gpus > E->gpus || T->gmem < mem_need ||
		    T->vcpus < 0.5 * E->vcpus * busy / E->gpus || T->price > E->price * 0.9)
			continue;
		if (strcmp(T->model, E->model) && (perf(E->model) <= 0 || perf(T->model) <= 0 ||
						   p95 * perf(E->model) / perf(T->model) > 70))
			continue;
		if (best < 0 || T->price < cat[best].price)
			best = i;
	}
	return best;
}

/* ---- output helpers ---- */

static FILE *bill, *tele, *reqs, *truth;
static int ntruth;
static long day0;                     /* days since epoch of the first day */
static int days = 30;
static int small;                     /* --small: a fixture-sized estate (hourly samples, <= 2 GPUs a host) */
static int step = 1800;               /* telemetry interval, seconds */
#define SPD (86400 / step)            /* samples a day */

static void ymd(long day, char *out)
{
	/* civil from days (Howard Hinnant) */
	long z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	sprintf(out, "%04ld-%02u-%02u", y + (m <= 2), m, d);
}

static void truth_add(const char *kind, const char *rid, const char *skey, const char *sval, double save)
{
	fprintf(truth, "%s\n  {\"kind\":\"%s\",\"resource_id\":\"%s\",\"scope\":{", ntruth ? "," : "", kind, rid ? rid : "");
	if (skey)
		fprintf(truth, "\"%s\":\"%s\"", skey, sval);
	fprintf(truth, "},\"monthly_savings\":%.6f}", save);
	ntruth++;
}

struct billrow {
	const char *prov, *svc, *cat, *rid, *rname, *rtype, *region, *sub, *desc, *meter, *unit, *pricing, *cdid, *tags;
	double billed, effective, list, qty;
};

static const char *provider_name(const char *p)
{
	return !strcmp(p, "AWS") ? "AWS" : !strcmp(p, "Azure") ? "Microsoft" : "Google Cloud";
}

static void csvq(FILE *f, const char *s)
{
	if (!s || !*s)
		return;
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void bill_row(long day, const struct billrow *r)
{
	char a[11], b[11], ps[11], pe[24];
	ymd(day, a);
	ymd(day + 1, b);
	/* billing period: the calendar month */
	strcpy(ps, a);
	ps[8] = '0', ps[9] = '1';
	int y = atoi(a), m = atoi(a + 5);
	sprintf(pe, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	fprintf(bill, "%.6f,%.6f,%.6f,%.6f,USD,", r->billed, r->effective, r->list, r->effective);
	csvq(bill, !strcmp(r->prov, "AWS") ? "123456789012" : !strcmp(r->prov, "Microsoft") ? "ea-4711" : "billing-0042");
	fprintf(bill, ",%sT00:00:00Z,%sT00:00:00Z,%sT00:00:00Z,%sT00:00:00Z,Usage,", ps, pe, a, b);
	csvq(bill, r->prov);
	fputc(',', bill);
	csvq(bill, r->svc);
	fputc(',', bill);
	csvq(bill, r->cat);
	fputc(',', bill);
	csvq(bill, r->sub);
	fputc(',', bill);
	csvq(bill, r->rid);
	fputc(',', bill);
	csvq(bill, r->rname);
	fputc(',', bill);
	csvq(bill, r->rtype);
	fputc(',', bill);
	csvq(bill, r->region);
	fputc(',', bill);
	csvq(bill, r->desc);
	fputc(',', bill);
	csvq(bill, r->meter);
	fprintf(bill, ",%.6f,", r->qty);
	csvq(bill, r->unit);
	fputc(',', bill);
	csvq(bill, r->pricing);
	fputc(',', bill);
	csvq(bill, r->cdid);
	fputc(',', bill);
	csvq(bill, r->tags);
	fputc('\n', bill);
}

/* ---- GPU hosts ---- */

/*
 * Host categories. The last two are distractors that must produce no GPU
 * finding: a host busy at a low level with a full framebuffer (nothing
 * smaller fits), and one idle for only its last two days (under idle.min_days).
 */
enum hcat { H_BUSY, H_COMMITTED, H_IDLE, H_IDLE_LATE, H_OFFPEAK, H_RIGHTSIZE, H_SPOT, H_LOWBUSY, H_SHORTIDLE, H__N };

struct host {
	enum hcat c;
	int inst, busy, idle_from, pattern;
	double ulo, uhi, mem_gib;
	int gap_day[2], gap_from, gap_len, miss_day;   /* telemetry noise: two 3-hour gaps, a day without */
	char prov[16], name[64], rid[300], team[32];
	const char *pod, *ns;
};

static const char *const teams[] = { "fraud", "search", "chatbot", "vision", "ads", "risk", "speech", "recsys" };

/* Is hour h of weekday w (0 = Monday) busy for an off-peak pattern? */
static int pattern_busy(int pat, int w, int h)
{
	switch (pat) {
	case 0: return w < 5 && h >= 8 && h < 20;        /* office hours */
	case 1: return w < 5 && h >= 6 && h < 22;        /* two shifts */
	case 2: return w < 5;                            /* weekdays around the clock */
	default: return (w < 5 && h >= 7 && h < 19) || (w == 5 && h >= 9 && h < 13);
	}
}

static int weekday(long day)
{
	return (int)(((day + 3) % 7 + 7) % 7);
}

/* Off hours per weekday under the schedule rule: idle slots in runs of >= 4 h over the circular week. */
static void offpeak_hours(int pat, int off_by_wd[7], int *total)
{
	int idle[168], keep[168] = { 0 };
	for (int s = 0; s < 168; s++)
		idle[s] = !pattern_busy(pat, s / 24, s % 24);
	int start = 0;
	while (idle[start])
		start++;
	for (int i = 0; i < 168;) {
		int s = (start + i) % 168;
		if (!idle[s]) {
			i++;
			continue;
		}
		int len = 0;
		while (i + len < 168 && idle[(start + i + len) % 168])
			len++;
		if (len >= 4)
			for (int j = 0; j < len; j++)
				keep[(s + j) % 168] = 1;
		i += len;
	}
	*total = 0;
	for (int w = 0; w < 7; w++) {
		off_by_wd[w] = 0;
		for (int h = 0; h < 24; h++)
			off_by_wd[w] += keep[w * 24 + h];
		*total += off_by_wd[w];
	}
}

/* Utilisation of GPU g of host h at day d, sample k of the day. */
static double util_of(const struct host *h, int g, long day, int k)
{
	int hr = k * step / 3600, w = weekday(day);
	switch (h->c) {
	case H_IDLE: return (rnd() % 50) ? 0 : 2;
	case H_IDLE_LATE: return day - day0 < h->idle_from ? frand(55, 95) : ((rnd() % 50) ? 0 : 1);
	case H_OFFPEAK: return pattern_busy(h->pattern, w, hr) ? frand(40, 95) : ((rnd() % 40) ? 0 : 2);
	case H_RIGHTSIZE: return g < h->busy ? frand(h->ulo, h->uhi) : 0;
	case H_SHORTIDLE: return day - day0 < days - 2 ? frand(h->ulo, h->uhi) : 0;
	default: return frand(h->ulo, h->uhi);
	}
}

static double mem_of(const struct host *h, int g, long day)
{
	const struct inst *e = &cat[h->inst];
	switch (h->c) {
	case H_IDLE: return 0.4;
	case H_IDLE_LATE: return day - day0 < h->idle_from ? e->gmem * 0.9 : 0.4;
	case H_OFFPEAK: return e->gmem * 0.5;
	case H_RIGHTSIZE: return g < h->busy ? h->mem_gib * frand(0.99, 1.01) : 0.3;
	default: return h->mem_gib * frand(0.995, 1.0);
	}
}

static int pick_instance(const char *prov, int want_multi, int want_expensive)
{
	int cand[256], n = 0;
	for (int i = 0; i < ncat; i++) {
		if (strcmp(cat[i].prov, prov))
			continue;
		if (!strcmp(prov, "GCP") && !gcp_inferable(i))
			continue;
		if (want_multi && cat[i].gpus < 2)
			continue;
		if (want_expensive && cat[i].price < 3)
			continue;
		if (small && cat[i].gpus > 2)
			continue;
		cand[n++] = i;
	}
	return n ? cand[rnd() % (uint64_t)n] : -1;
}

static void host_names(struct host *h, int i)
{
	unsigned long long id = rnd();
	if (!strcmp(h->prov, "AWS")) {
		snprintf(h->name, sizeof h->name, "i-0%016llx", id & 0xffffffffffffffULL);
		snprintf(h->rid, sizeof h->rid, "arn:aws:ec2:us-east-1:123456789012:instance/%s", h->name);
	} else if (!strcmp(h->prov, "Azure")) {
		snprintf(h->name, sizeof h->name, "gpu-vm-%02d-%04llx", i, id & 0xffff);
		snprintf(h->rid, sizeof h->rid,
			 "/subscriptions/7d1c2b3a-0000-4000-8000-00000000beef/resourceGroups/ml-rg/providers/"
			 "Microsoft.Compute/virtualMachines/%s", h->name);
	} else {
		snprintf(h->name, sizeof h->name, "gpu-node-%02d-%04llx", i, id & 0xffff);
		snprintf(h->rid, sizeof h->rid, "//compute.googleapis.com/projects/ml-prod/zones/us-central1-a/instances/%s",
			 h->name);
	}
}

static const char *provs[3] = { "AWS", "Azure", "GCP" };

/* Make host i of category c; truth for its GPU finding. */
static void make_host(struct host *h, int i, enum hcat c)
{
	memset(h, 0, sizeof *h);
	h->c = c;
	for (int tries = 0;; tries++) {
		if (tries > 500)
			die("cannot build a host of category %d", c);
		snprintf(h->prov, sizeof h->prov, "%s", provs[rnd() % 3]);
		h->inst = pick_instance(h->prov, c == H_RIGHTSIZE && rnd() % 3, c == H_RIGHTSIZE);
		if (h->inst < 0)
			continue;
		const struct inst *e = &cat[h->inst];
		h->ulo = 70;
		h->uhi = 97;
		h->mem_gib = e->gmem * frand(0.88, 0.95);
		if (c == H_RIGHTSIZE) {
			h->busy = e->gpus >= 2 ? irand(1, e->gpus / 2) : 1;
			double u0 = frand(8, 14);
			h->ulo = u0;
			h->uhi = u0 + 2;
			h->mem_gib = frand(4, 14);
			/* The same target at the extremes of what telemetry can show. */
			int t1 = rightsize_target(h->inst, h->busy, h->uhi + 1, h->mem_gib * 1.02 * 1.2);
			int t2 = rightsize_target(h->inst, h->busy, h->ulo, h->mem_gib * 0.98 * 1.2);
			if (t1 < 0 || t1 != t2)
				continue;
		} else if (c != H_IDLE && c != H_IDLE_LATE && c != H_OFFPEAK) {
			/* Healthy load (a low one for H_LOWBUSY): no cheaper shape may fit. */
			if (c == H_LOWBUSY)
				h->ulo = 15, h->uhi = 30;
			if (rightsize_target(h->inst, e->gpus, h->ulo, h->mem_gib * 0.99 * 1.2) >= 0)
				continue;
		}
		break;
	}
	h->idle_from = irand(5, days - 10);
	/* Noise (not in --small): exporter gaps of 3 hours on two days, and a day without telemetry. */
	h->gap_day[0] = small ? -1 : irand(0, days - 1);
	h->gap_day[1] = small ? -1 : irand(0, days - 1);
	h->gap_from = irand(0, SPD - 3 * 3600 / step - 1);
	h->gap_len = 3 * 3600 / step;
	h->miss_day = small || rnd() % 3 ? -1 : irand(1, days - 2);
	h->pattern = irand(0, 3);
	snprintf(h->team, sizeof h->team, "%s", teams[rnd() % 8]);
	host_names(h, i);
	h->pod = c == H_SPOT ? "train-llm-finetune-0" : c == H_OFFPEAK ? "jupyter-research" : "serve-model-0";
	h->ns = c == H_SPOT ? "ml-training" : c == H_OFFPEAK ? "research" : "inference";
}

static void host_bill(const struct host *h, double *day_cost)
{
	const struct inst *e = &cat[h->inst];
	char desc[200], meter[64], tags[200];
	const char *prov = provider_name(h->prov);
	if (!strcmp(h->prov, "AWS"))
		snprintf(desc, sizeof desc, "$%g per On Demand Linux %s Instance Hour", e->price, e->type);
	else if (!strcmp(h->prov, "Azure"))
		snprintf(desc, sizeof desc, "Virtual Machines %s Linux", e->type + (strncmp(e->type, "Standard_", 9) ? 0 : 9));
	else
		snprintf(desc, sizeof desc, "Accelerator-optimized instance core and %s GPU running in Americas", e->model);
	/* Azure meters name the size with spaces ("NC24ads A100 v4"); GCP bills do not name the machine type. */
	snprintf(meter, sizeof meter, "%s", strcmp(h->prov, "GCP") ? e->type : "Instance Core");
	if (!strcmp(h->prov, "Azure")) {
		snprintf(meter, sizeof meter, "%s", e->type + (strncmp(e->type, "Standard_", 9) ? 0 : 9));
		for (char *q = meter; *q; q++)
			if (*q == '_')
				*q = ' ';
		snprintf(desc, sizeof desc, "Virtual Machines %s Series Linux", meter);
	}
	/* Training hosts carry a workload tag on the bill too (their nvidia-smi CSV has no pod names). */
	snprintf(tags, sizeof tags, "{\"team\":\"%s\",\"env\":\"prod\"%s}", h->team,
		 h->c == H_SPOT ? ",\"workload\":\"training\"" : "");
	int committed = h->c == H_COMMITTED;
	double list = e->price * 24, eff = committed ? list * 0.7 : list;
	*day_cost = eff;
	struct billrow r = { prov, !strcmp(h->prov, "AWS") ? "Amazon Elastic Compute Cloud" : !strcmp(h->prov, "Azure")
				   ? "Virtual Machines" : "Compute Engine",
			     "Compute", h->rid, h->name, "Virtual Machine", !strcmp(h->prov, "AWS") ? "us-east-1"
			     : !strcmp(h->prov, "Azure") ? "eastus" : "us-central1", "ml-platform", desc, meter, "Hours",
			     committed ? "Committed" : "Standard",
			     committed ? "arn:aws:savingsplans::123456789012:savingsplan/sp-0001" : NULL, tags,
			     committed ? 0 : list, eff, list, 24 };
	for (int d = 0; d < days; d++)
		bill_row(day0 + d, &r);
}

/*
 * Telemetry of one host: 3 series per GPU in the Prometheus file, or (every
 * third host, not with --small) an nvidia-smi CSV of its own, smi/HOST.csv,
 * which the test loads with `ingest gpu --host HOST`.
 */
static int first_series = 1;
static const char *outdir;
static void host_tele(const struct host *h, int smi)
{
	const struct inst *e = &cat[h->inst];
	FILE *sf = NULL;
	double *su = NULL, *sm = NULL;
	int sn = days * SPD;
	if (smi) {
		char path[4096];
		snprintf(path, sizeof path, "%s/smi/%s.csv", outdir, h->name);
		if (!(sf = fopen(path, "w")))
			die("%s: cannot write", path);
		fprintf(sf, "timestamp, name, pci.bus_id, uuid, utilization.gpu [%%], utilization.memory [%%], "
			    "memory.total [MiB], memory.used [MiB], power.draw [W]\n");
		su = calloc((size_t)(sn * e->gpus), sizeof *su);
		sm = calloc((size_t)(sn * e->gpus), sizeof *sm);
	}
	static const char *const metric[3] = { "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE" };
	for (int g = 0; g < e->gpus; g++) {
		/* per-series values, generated once so used + free is the total */
		int n = days * SPD;
		double *u = malloc(sizeof(double) * (size_t)n), *m = malloc(sizeof(double) * (size_t)n);
		for (int k = 0; k < n; k++) {
			long day = day0 + k / SPD;
			u[k] = util_of(h, g, day, k % SPD);
			m[k] = mem_of(h, g, day) * 1024;
		}
		/* Idle machines still answer health checks: one short blip a day (2% of the day at most). */
		if (!small && (h->c == H_IDLE || h->c == H_IDLE_LATE))
			for (int d = 0; d < days; d++)
				if (h->c == H_IDLE || d >= h->idle_from)
					u[d * SPD + irand(0, SPD - 1)] = frand(20, 40);
		for (int s = 0; smi && s < 1; s++) {
			memcpy(su + (size_t)g * sn, u, sizeof(double) * (size_t)n);
			memcpy(sm + (size_t)g * sn, m, sizeof(double) * (size_t)n);
		}
		for (int s = 0; !smi && s < 3; s++) {
			fprintf(tele, "%s{\"metric\":{\"__name__\":\"%s\",\"gpu\":\"%d\",\"UUID\":\"GPU-%s-%d\","
				      "\"modelName\":\"%s\",\"Hostname\":\"%s\",\"pod\":\"%s\",\"namespace\":\"%s\"},\"values\":[",
				first_series ? "" : ",", metric[s], g, h->name, g, smi_name(e->model), h->name, h->pod, h->ns);
			first_series = 0;
			int any = 0;
			for (int k = 0; k < n; k++) {
				int d = k / SPD, ks = k % SPD;
				if (d == h->miss_day ||
				    ((d == h->gap_day[0] || d == h->gap_day[1]) && ks >= h->gap_from && ks < h->gap_from + h->gap_len))
					continue;
				long t = (day0 + d) * 86400 + (long)ks * step;
				double v = s == 0 ? u[k] : s == 1 ? m[k] : e->gmem * 1024 - m[k];
				fprintf(tele, "%s[%ld,\"%.1f\"]", any ? "," : "", t, v);
				any = 1;
			}
			fprintf(tele, "]}");
		}
		free(u);
		free(m);
	}
	if (sf) {
		/* nvidia-smi -l: one line per GPU per sample, in time order; the same gaps as the JSON. */
		for (int k = 0; k < sn; k++) {
			int d = k / SPD, ks = k % SPD;
			if (d == h->miss_day ||
			    ((d == h->gap_day[0] || d == h->gap_day[1]) && ks >= h->gap_from && ks < h->gap_from + h->gap_len))
				continue;
			long t = (day0 + d) * 86400 + (long)ks * step;
			char ts[11];
			ymd(t / 86400, ts);
			for (int g = 0; g < e->gpus; g++)
				fprintf(sf, "%c%c%c%c/%c%c/%c%c %02ld:%02ld:00.000, %s, 00000000:%02X:00.0, GPU-%s-%d, %.0f %%, %d %%, "
					    "%.0f MiB, %.0f MiB, %.2f W\n", ts[0], ts[1], ts[2], ts[3], ts[5], ts[6], ts[8], ts[9],
					(t % 86400) / 3600, (t % 3600) / 60, smi_name(e->model), 0x10 + g, h->name, g,
					su[(size_t)g * sn + k], 0, e->gmem * 1024, sm[(size_t)g * sn + k], 60.0 + su[(size_t)g * sn + k] * 3);
		}
		fclose(sf);
		free(su);
		free(sm);
	}
}

/* ---- LLM prices (from the catalog aicost uses) ---- */

struct price {
	double in, out, cread, cwrite, bin, bout;
};

static struct price price_of(json_t *pc, const char *model)
{
	json_t *e = json_object_get(pc, model);
	struct price p;
	if (!e)
		die("model %s not in the price catalog", model);
	p.in = json_number_value(json_object_get(e, "input_cost_per_token"));
	p.out = json_number_value(json_object_get(e, "output_cost_per_token"));
	p.cread = json_object_get(e, "cache_read_input_token_cost") ?
		  json_number_value(json_object_get(e, "cache_read_input_token_cost")) : p.in;
	p.cwrite = json_object_get(e, "cache_creation_input_token_cost") ?
		   json_number_value(json_object_get(e, "cache_creation_input_token_cost")) : p.in;
	p.bin = json_object_get(e, "input_cost_per_token_batches") ?
		json_number_value(json_object_get(e, "input_cost_per_token_batches")) : p.in / 2;
	p.bout = json_object_get(e, "output_cost_per_token_batches") ?
		 json_number_value(json_object_get(e, "output_cost_per_token_batches")) : p.out / 2;
	return p;
}

static void hex64(char *out)
{
	for (int i = 0; i < 4; i++)
		sprintf(out + 16 * i, "%016llx", (unsigned long long)rnd());
}

static void req_line(long t, const char *prov, const char *model, long in, long out, const char *meta, const char *hash,
		     long pchars, const char *prefix, long xchars, int stream)
{
	char ts[11];
	ymd(t / 86400, ts);
	long s = t % 86400;
	fprintf(reqs, "{\"ts\":\"%sT%02ld:%02ld:%02ld.000Z\",\"provider\":\"%s\",\"model\":\"%s\",", ts, s / 3600,
		s / 60 % 60, s % 60, prov, model);
	if (!strcmp(prov, "anthropic"))
		fprintf(reqs, "\"usage\":{\"input_tokens\":%ld,\"output_tokens\":%ld,\"cache_read_input_tokens\":0,"
			      "\"cache_creation_input_tokens\":0},", in, out);
	else
		fprintf(reqs, "\"usage\":{\"prompt_tokens\":%ld,\"completion_tokens\":%ld,\"prompt_tokens_details\":"
			      "{\"cached_tokens\":0}},", in, out);
	fprintf(reqs, "\"metadata\":%s,\"latency_ms\":%d,\"status\":200,\"prompt_sha256\":\"%s\",\"prompt_chars\":%ld,",
		meta, irand(300, 4000), hash, pchars);
	if (prefix)
		fprintf(reqs, "\"prefix_sha256\":\"%s\",\"prefix_chars\":%ld,", prefix, xchars);
	fprintf(reqs, "\"stream\":%s}\n", stream ? "true" : "false");
}

struct llm_model_pick {
	const char *prov, *model, *cheap;
};
static const struct llm_model_pick llm_models[2] = {
	{ "openai", "gpt-4o", "gpt-4o-mini" },
	{ "anthropic", "claude-sonnet-4-5", "claude-haiku-4-5" },
};

static void llm_traffic(json_t *pc)
{
	/* G1 chat: interactive, 55-70% short requests -> llm-route */
	const struct llm_model_pick *m1 = &llm_models[rnd() % 2], *m2 = &llm_models[rnd() % 2],
				    *m3 = &llm_models[rnd() % 2], *m4 = &llm_models[rnd() % 2], *m5 = &llm_models[rnd() % 2];
	struct price p1 = price_of(pc, m1->model), p1c = price_of(pc, m1->cheap);
	double route = 0, cache = 0, batch = 0, pcache = 0;
	double short_share = frand(0.55, 0.7);
	int per_day = small ? irand(10, 20) : irand(80, 150);
	char h[65], meta[200], pre[65];
	for (int d = 0; d < days; d++) {
		long base = (day0 + d) * 86400;
		for (int i = 0; i < per_day; i++) {
			long in, out;
			if (frand(0, 1) < short_share) {
				in = irand(60, 700);
				out = irand(20, 240);
				route += in * (p1.in - p1c.in) + out * (p1.out - p1c.out);
			} else {
				in = irand(1400, 5000);
				out = irand(320, 900);
			}
			hex64(h);
			snprintf(meta, sizeof meta, "{\"team\":\"support\",\"use_case\":\"customer-chat\",\"user\":\"u%d\"}",
				 irand(1, 300));
			req_line(base + irand(6 * 3600, 22 * 3600), m1->prov, m1->model, in, out, meta, h, in * 4, NULL, 0, 1);
		}
	}
	truth_add("llm-route", m1->model, "use_case", "customer-chat", route * 30 / days);

	/* G2 faq: 25-40% exact duplicates of earlier prompts that day -> llm-cache */
	struct price p2 = price_of(pc, m2->model);
	double dup_share = frand(0.25, 0.4);
	per_day = small ? irand(10, 20) : irand(60, 120);
	for (int d = 0; d < days; d++) {
		long base = (day0 + d) * 86400;
		char pool[64][65];
		long pin[64], pout[64];
		int np = 0;
		for (int i = 0; i < per_day; i++) {
			long in, out;
			int dup = np > 0 && frand(0, 1) < dup_share;
			if (dup) {
				int k = irand(0, np - 1);
				memcpy(h, pool[k], 65);
				in = pin[k];
				out = pout[k];
				cache += in * p2.in + out * p2.out;
			} else {
				hex64(h);
				in = irand(1200, 3000);
				out = irand(310, 600);
				if (np < 64) {
					memcpy(pool[np], h, 65);
					pin[np] = in;
					pout[np++] = out;
				}
			}
			snprintf(meta, sizeof meta, "{\"team\":\"support\",\"use_case\":\"faq-answers\",\"user\":\"u%d\"}",
				 irand(1, 300));
			req_line(base + irand(7 * 3600, 21 * 3600), m2->prov, m2->model, in, out, meta, h, in * 4, NULL, 0, 1);
		}
	}
	truth_add("llm-cache", m2->model, "use_case", "faq-answers", cache * 30 / days);

	/* G3 nightly job: no streaming, no end user -> llm-batch */
	struct price p3 = price_of(pc, m3->model);
	per_day = small ? irand(10, 20) : irand(60, 150);
	for (int d = 0; d < days; d++) {
		long base = (day0 + d) * 86400;
		for (int i = 0; i < per_day; i++) {
			long in = irand(2000, 8000), out = irand(200, 600);
			batch += in * (p3.in - p3.bin) + out * (p3.out - p3.bout);
			hex64(h);
			req_line(base + irand(3600, 4 * 3600 - 1), m3->prov, m3->model, in, out,
				 "{\"team\":\"data\",\"use_case\":\"nightly-summaries\"}", h, in * 4, NULL, 0, 0);
		}
	}
	truth_add("llm-batch", m3->model, "use_case", "nightly-summaries", batch * 30 / days);

	/* G4 RAG: a long stable prefix repeated, never cached -> prompt-caching */
	struct price p4 = price_of(pc, m4->model);
	per_day = small ? irand(10, 20) : irand(60, 120);
	long plen = irand(2500, 3500);
	hex64(pre);
	for (int d = 0; d < days; d++) {
		long base = (day0 + d) * 86400;
		for (int i = 0; i < per_day; i++) {
			long user = irand(100, 600), in = plen + user, out = irand(100, 400);
			hex64(h);
			if (i == 0)
				pcache -= plen * (p4.cwrite - p4.in);
			else
				pcache += plen * (p4.in - p4.cread);
			snprintf(meta, sizeof meta, "{\"team\":\"search\",\"use_case\":\"rag-search\",\"user\":\"u%d\"}",
				 irand(1, 300));
			req_line(base + 8 * 3600 + i * 60, m4->prov, m4->model, in, out, meta, h, in * 4, pre, plen * 4, 1);
		}
	}
	truth_add("prompt-caching", m4->model, "use_case", "rag-search", pcache * 30 / days);

	/* G5 healthy interactive analysis, G6 a small group: no findings */
	per_day = small ? irand(10, 20) : irand(40, 80);
	for (int d = 0; d < days; d++) {
		long base = (day0 + d) * 86400;
		char last[65] = "";
		long lin = 0, lout = 0;
		for (int i = 0; i < per_day; i++) {
			/* Distractors: 3% exact duplicates, 4% short requests (under both kinds' minimum shares). */
			long in = irand(2000, 6000), out = irand(400, 1000);
			double x = frand(0, 1);
			if (x < 0.04)
				in = irand(100, 600), out = irand(20, 200);
			if (x > 0.97 && last[0]) {
				memcpy(h, last, 65);
				in = lin, out = lout;
			} else {
				hex64(h);
				memcpy(last, h, 65);
				lin = in, lout = out;
			}
			snprintf(meta, sizeof meta, "{\"team\":\"risk\",\"use_case\":\"analyst-copilot\",\"user\":\"u%d\"}",
				 irand(1, 300));
			req_line(base + irand(8 * 3600, 18 * 3600), m5->prov, m5->model, in, out, meta, h, in * 4, NULL, 0, 1);
		}
		if (d % 3 == 0) {
			hex64(h);
			req_line(base + 43200, "openai", "gpt-4o", 300, 50, "{\"team\":\"ads\",\"use_case\":\"tiny-experiment\"}",
				 h, 1200, NULL, 0, 0);
		}
	}
}

/* ---- endpoints, storage, CPU instances ---- */

static void endpoints(int nstale, int nactive)
{
	for (int i = 0; i < nstale + nactive; i++) {
		/* The last active endpoint is quiet: traffic every fifth day only (never 7 days without). */
		int stale = i < nstale, sparse = !small && i == nstale + nactive - 1, p = (int)(rnd() % 3);
		char rid[300], name[64], desc[128];
		double rate = frand(1.2, 6.0);
		snprintf(name, sizeof name, "%s-%s-%d-v%d", teams[rnd() % 8], stale ? "scorer" : "ranker", i, irand(1, 9));
		if (p == 0)
			snprintf(rid, sizeof rid, "arn:aws:sagemaker:us-east-1:123456789012:endpoint/%s", name);
		else if (p == 1)
			snprintf(rid, sizeof rid, "/subscriptions/7d1c2b3a-0000-4000-8000-00000000beef/resourceGroups/ml-rg/"
				 "providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/%s", name);
		else
			snprintf(rid, sizeof rid, "projects/ml-prod/locations/us-central1/endpoints/%s", name);
		const char *prov = provider_name(provs[p]);
		const char *svc = p == 0 ? "Amazon SageMaker" : p == 1 ? "Azure Machine Learning" : "Vertex AI";
		snprintf(desc, sizeof desc, "%s real-time inference hosting, instance hour", svc);
		int stop = stale ? irand(2, days - 12) : days;
		struct billrow host = { prov, svc, "AI and Machine Learning", rid, name, "Endpoint", "us-east-1", "ml-serving",
					desc, "Hosting", "Hours", "Standard", NULL, "{\"team\":\"ml\"}", rate * 24, rate * 24,
					rate * 24, 24 };
		struct billrow inv = host;
		inv.desc = "Inference requests";
		inv.meter = "Invocations";
		inv.unit = "Requests";
		inv.billed = inv.effective = inv.list = 0;
		for (int d = 0; d < days; d++) {
			bill_row(day0 + d, &host);
			if (d < stop && (!sparse || (days - 1 - d) % 5 == 0)) {
				inv.qty = sparse ? irand(1, 20) : irand(1000, 90000);
				bill_row(day0 + d, &inv);
			}
		}
		if (stale)
			truth_add("stale-endpoint", rid, NULL, NULL, rate * 24 * 30);
	}
}

static void buckets(int ncold, int nactive)
{
	for (int i = 0; i < ncold + nactive; i++) {
		/* The last active bucket is read rarely (a few GETs a week): not cold. */
		int cold = i < ncold, rare = !small && i == ncold + nactive - 1, p = (int)(rnd() % 3);
		char rid[300], name[64];
		snprintf(name, sizeof name, "%s-%s-%04x", teams[rnd() % 8], cold ? "feature-dumps" : "serving-assets",
			 (unsigned)(rnd() & 0xffff));
		const char *prov = provider_name(provs[p]);
		const char *svc, *smeter, *wmeter, *rmeter, *wdesc, *rdesc;
		double gbp;
		if (p == 0) {
			snprintf(rid, sizeof rid, "arn:aws:s3:::%s", name);
			svc = "Amazon Simple Storage Service", smeter = "TimedStorage-ByteHrs", gbp = 0.023;
			wmeter = "Requests-Tier1", wdesc = "$0.005 per 1,000 PUT, COPY, POST, or LIST requests";
			rmeter = "Requests-Tier2", rdesc = "$0.0004 per 10,000 GET and all other requests";
		} else if (p == 1) {
			snprintf(rid, sizeof rid, "/subscriptions/7d1c2b3a-0000-4000-8000-00000000beef/resourceGroups/data-rg/"
				 "providers/Microsoft.Storage/storageAccounts/%s", name);
			svc = "Storage", smeter = "Hot LRS Data Stored", gbp = 0.0184;
			wmeter = "Hot LRS Write Operations", wdesc = "Write operations";
			rmeter = "Hot LRS Read Operations", rdesc = "Read operations";
		} else {
			snprintf(rid, sizeof rid, "//storage.googleapis.com/projects/_/buckets/%s", name);
			svc = "Cloud Storage", smeter = "Standard Storage US Multi-region", gbp = 0.026;
			wmeter = "Class A Operations", wdesc = "Class A operations";
			rmeter = "Class B Operations", rdesc = "Class B operations";
		}
		double gb = frand(2000, 40000), growth = frand(0.005, 0.02), cost = 0;
		for (int d = 0; d < days; d++) {
			double q = gb / 30;
			struct billrow s = { prov, svc, "Storage", rid, name, "Bucket", "us-east-1", "data-platform",
					     "Standard storage", smeter, "GB-Mo", "Standard", NULL, "{\"team\":\"data\"}",
					     q * gbp, q * gbp, q * gbp, q };
			bill_row(day0 + d, &s);
			cost += q * gbp;
			double w = irand(5000, 50000);
			struct billrow wr = s;
			wr.desc = wdesc, wr.meter = wmeter, wr.unit = "Requests", wr.qty = w;
			wr.billed = wr.effective = wr.list = w * 0.000005;
			bill_row(day0 + d, &wr);
			if (!cold && (!rare || d % 7 == 3)) {
				double r = rare ? irand(1, 5) : irand(20000, 400000);
				struct billrow rd = s;
				rd.desc = rdesc, rd.meter = rmeter, rd.unit = "Requests", rd.qty = r;
				rd.billed = rd.effective = rd.list = r * 0.0000004;
				bill_row(day0 + d, &rd);
			}
			gb *= 1 + growth;
		}
		if (cold)
			truth_add("storage-cold", rid, NULL, NULL, cost * 0.5 * 30 / days);
	}
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *catalog = "data/instances/gpu_instances.csv",
		   *prices = "data/prices/model_prices_and_context_window.json";
	long seed = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = atol(argv[++i]);
		else if (!strcmp(argv[i], "--days") && i + 1 < argc)
			days = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--catalog") && i + 1 < argc)
			catalog = argv[++i];
		else if (!strcmp(argv[i], "--prices") && i + 1 < argc)
			prices = argv[++i];
		else if (!strcmp(argv[i], "--small"))
			small = 1, step = 3600;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			die("usage: gen_estate OUTDIR [--seed N] [--days D] [--catalog CSV] [--prices JSON]");
	}
	if (!dir || days < 14 || days > 120)
		die("usage: gen_estate OUTDIR [--seed N] [--days D (21..120)] [--catalog CSV] [--prices JSON]");
	rs = ((uint64_t)seed + 1) * 0xD1B54A32D192ED03ULL ^ 0x2545F4914F6CDD1DULL;   /* never 0 */
	for (int i = 0; i < 8; i++)
		rnd();
	/* Defaults are relative to the checkout: from elsewhere, look beside the binary (build/rel/bench/). */
	char cbuf[4096], pbuf[4096];
	if (access(catalog, R_OK) && !strncmp(catalog, "data/", 5) && strrchr(argv[0], '/')) {
		snprintf(cbuf, sizeof cbuf, "%.*s/../../../%s", (int)(strrchr(argv[0], '/') - argv[0]), argv[0], catalog);
		catalog = cbuf;
	}
	if (access(prices, R_OK) && !strncmp(prices, "data/", 5) && strrchr(argv[0], '/')) {
		snprintf(pbuf, sizeof pbuf, "%.*s/../../../%s", (int)(strrchr(argv[0], '/') - argv[0]), argv[0], prices);
		prices = pbuf;
	}
	load_catalog(catalog);
	json_error_t je;
	json_t *pc = json_load_file(prices, 0, &je);
	if (!pc)
		die("%s: %s", prices, je.text);
	day0 = 20697 + (seed % 7);   /* 2026-09-01 + 0..6 days: weekdays shift with the seed */
	char path[4096];
#define OPEN(fp, name)                                                   \
	do {                                                             \
		snprintf(path, sizeof path, "%s/%s", dir, name);         \
		if (!(fp = fopen(path, "w")))                            \
			die("%s: cannot write", path);                   \
	} while (0)
	outdir = dir;
	snprintf(path, sizeof path, "%s/smi", dir);
	mkdir(path, 0755);
	OPEN(bill, "bill.csv");
	OPEN(tele, "telemetry.json");
	OPEN(reqs, "requests.jsonl");
	OPEN(truth, "truth.json");
	FILE *cfg;
	OPEN(cfg, "aicost.yaml");
	fprintf(cfg, "# written by gen_estate: telemetry every %d minutes\ngpu:\n  max_gap: %d\n  default_interval: %d\n",
		step / 60, 2 * step, step);
	fclose(cfg);
	fprintf(bill, "BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,BillingAccountId,BillingPeriodStart,"
		      "BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,ServiceName,"
		      "ServiceCategory,SubAccountName,ResourceId,ResourceName,ResourceType,RegionId,ChargeDescription,"
		      "SkuMeter,ConsumedQuantity,ConsumedUnit,PricingCategory,CommitmentDiscountId,Tags\n");
	fprintf(tele, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
	fprintf(truth, "{\"seed\":%ld,\"days\":%d,\"findings\":[", seed, days);

	/* GPU hosts */
	int count[H__N] = { [H_BUSY] = irand(3, 5), [H_COMMITTED] = irand(1, 2), [H_IDLE] = irand(2, 3),
			    [H_IDLE_LATE] = 1, [H_OFFPEAK] = irand(2, 3), [H_RIGHTSIZE] = irand(2, 3), [H_SPOT] = irand(1, 2) };
	count[H_LOWBUSY] = irand(1, 2);
	count[H_SHORTIDLE] = 1;
	if (small)
		for (int c = 0; c < H__N; c++)
			count[c] = c == H_COMMITTED || c == H_IDLE_LATE || c >= H_LOWBUSY ? 0 : 1;
	struct host hosts[64];
	int nh = 0;
	double baseline[3] = { 0 };   /* the on-demand compute a commitment would cover, per day, by provider */
	for (int c = 0; c < H__N; c++)
		for (int k = 0; k < count[c]; k++)
			make_host(&hosts[nh], nh, (enum hcat)c), nh++;
	for (int i = 0; i < nh; i++) {
		struct host *h = &hosts[i];
		const struct inst *e = &cat[h->inst];
		double dc;
		int p = !strcmp(h->prov, "AWS") ? 0 : !strcmp(h->prov, "Azure") ? 1 : 2;
		host_bill(h, &dc);
		host_tele(h, !small && i % 3 == 0);
		switch (h->c) {
		case H_BUSY:
		case H_LOWBUSY:
		case H_SHORTIDLE:
			baseline[p] += dc;
			break;
		case H_IDLE:
		case H_IDLE_LATE:
			truth_add("idle-gpu", h->rid, NULL, NULL, dc * 30);
			break;
		case H_OFFPEAK: {
			int off[7], tot;
			offpeak_hours(h->pattern, off, &tot);
			double save = 0;
			for (int d = 0; d < days; d++)
				save += dc * off[weekday(day0 + d)] / 24.0;
			truth_add("schedule-offpeak", h->rid, NULL, NULL, save * 30 / days);
			baseline[p] += dc * (168 - tot) / 168.0;
			break;
		}
		case H_RIGHTSIZE: {
			int t = rightsize_target(h->inst, h->busy, h->uhi, h->mem_gib * 1.2);
			truth_add("rightsize-gpu", h->rid, NULL, NULL, dc * (1 - cat[t].price / e->price) * 30);
			baseline[p] += dc * cat[t].price / e->price;
			break;
		}
		case H_SPOT:
			truth_add("spot", h->rid, NULL, NULL, dc * 30 * 0.6);
			break;
		default:
			break;
		}
	}
	/* CPU instances: steady on-demand compute, part of the baseline */
	static const struct { const char *prov, *type; double price; } cpu[] = {
		{ "AWS", "m5.2xlarge", 0.384 }, { "AWS", "c5.4xlarge", 0.68 }, { "Azure", "D8s v5", 0.384 },
		{ "Azure", "E4s v5", 0.252 }, { "GCP", "n2-standard-8", 0.3885 }, { "GCP", "c2-standard-8", 0.4176 },
	};
	int ncpu = small ? 2 : irand(4, 8);
	for (int i = 0; i < ncpu; i++) {
		int k = (int)(rnd() % 6), p = !strcmp(cpu[k].prov, "AWS") ? 0 : !strcmp(cpu[k].prov, "Azure") ? 1 : 2;
		char rid[300], name[64], desc[160];
		snprintf(name, sizeof name, "app-%02d-%04x", i, (unsigned)(rnd() & 0xffff));
		if (p == 0)
			snprintf(rid, sizeof rid, "arn:aws:ec2:us-east-1:123456789012:instance/i-0%016llx",
				 (unsigned long long)(rnd() & 0xffffffffffffffULL));
		else if (p == 1)
			snprintf(rid, sizeof rid, "/subscriptions/7d1c2b3a-0000-4000-8000-00000000beef/resourceGroups/app-rg/"
				 "providers/Microsoft.Compute/virtualMachines/%s", name);
		else
			snprintf(rid, sizeof rid, "//compute.googleapis.com/projects/app-prod/zones/us-central1-b/instances/%s",
				 name);
		snprintf(desc, sizeof desc, "%s Linux on demand instance hour", cpu[k].type);
		struct billrow r = { provider_name(cpu[k].prov), p == 0 ? "Amazon Elastic Compute Cloud" : p == 1
				     ? "Virtual Machines" : "Compute Engine", "Compute", rid, name, "Virtual Machine",
				     p == 0 ? "us-east-1" : p == 1 ? "eastus" : "us-central1", "apps", desc, cpu[k].type,
				     "Hours", "Standard", NULL, "{\"team\":\"platform\"}", cpu[k].price * 24,
				     cpu[k].price * 24, cpu[k].price * 24, 24 };
		for (int d = 0; d < days; d++)
			bill_row(day0 + d, &r);
		baseline[p] += cpu[k].price * 24;
	}
	static const double disc[3] = { 0.28, 0.33, 0.37 };
	static const char *const pname[3] = { "AWS", "Microsoft", "Google Cloud" };
	for (int p = 0; p < 3; p++)
		if (baseline[p] > 0)
			truth_add("commitment", "", "ProviderName", pname[p], baseline[p] * disc[p] * 30);
	endpoints(small ? 1 : irand(2, 3), small ? 1 : irand(2, 3));
	buckets(small ? 1 : irand(2, 3), small ? 1 : irand(2, 3));
	llm_traffic(pc);
	fprintf(tele, "]}}\n");
	fprintf(truth, "\n]}\n");
	fclose(bill);
	fclose(tele);
	fclose(reqs);
	fclose(truth);
	json_decref(pc);
	return 0;
}
