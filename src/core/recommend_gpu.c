/*
 * recommend_gpu.c - the GPU view (hosts, their GPUs, cost and idle time per
 * day, hour-of-week idle profiles) and the GPU capacity kinds, in claim
 * order: idle-gpu, schedule-offpeak, rightsize-gpu, spot (docs/recommend.md).
 *
 * Data: two gpu_query passes (per GPU over the window; per host and day),
 * the raw rollups for framebuffer peaks and pod names, and the hour
 * profiles (store gpu_hourly). A host is the unit of action: a cloud
 * instance, joined to its bill line by core/gpu_query.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/alloc.h"
#include "core/gpu_query.h"
#include "core/recommend_int.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/err.h"

/* ---- the view ------------------------------------------------------------------ */

struct gload {
	struct rec_ctx *c;
	struct dict host_ids;        /* lower-case host -> index */
	struct dict gpu_ids;         /* host index + gpu value -> gpu index in the host */
	int32_t *dev_host, *dev_gpu; /* store device id -> host / gpu index (-1 none) */
	size_t ndev;
	char **lbl;                  /* store labels id -> "pod namespace container" */
	size_t nlbl;
	struct dict dd_ids;          /* (device, day) -> hours index */
	float (*hours)[48];
	uint32_t (*hkey)[2];
	size_t nhours;
};

static void lower(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	for (; *s && k + 1 < cap; s++)
		out[k++] = (char)tolower((unsigned char)*s);
	out[k] = 0;
}

static int host_index(struct gload *g, const char *name, int create)
{
	struct rec_ctx *c = g->c;
	char k[512];
	uint32_t id;
	lower(name, k, sizeof k);
	size_t n = strlen(k);
	uint64_t h = hash_bytes(k, n);
	if (dict_get(&g->host_ids, k, n, h, &id))
		return (int)id;
	if (!create)
		return -1;
	c->hosts = xrealloc(c->hosts, (c->nhosts + 1) * sizeof *c->hosts);
	struct rec_host *ho = &c->hosts[c->nhosts];
	memset(ho, 0, sizeof *ho);
	ho->name = xstrdup(name);
	ho->resource_id = xstrdup("");
	ho->res = -1;
	ho->model = xstrdup("");
	ho->workload = WL_OTHER;
	ho->gh = xcalloc((size_t)c->ndays, sizeof *ho->gh);
	ho->idle_h = xcalloc((size_t)c->ndays, sizeof *ho->idle_h);
	ho->ngpu = xcalloc((size_t)c->ndays, sizeof *ho->ngpu);
	ho->cost = xcalloc((size_t)c->ndays, sizeof *ho->cost);
	ho->hour_idle = xcalloc((size_t)c->ndays, 6);
	dict_put(&g->host_ids, k, n, h, (uint32_t)c->nhosts);
	return (int)c->nhosts++;
}

static int gpu_index(struct gload *g, int hi, const char *gpu, int create)
{
	struct rec_host *ho = &g->c->hosts[hi];
	char k[600];
	uint32_t id;
	int n = snprintf(k, sizeof k, "%d\x1f%.500s", hi, gpu);
	uint64_t h = hash_bytes(k, (size_t)n);
	if (dict_get(&g->gpu_ids, k, (size_t)n, h, &id))
		return (int)id;
	if (!create)
		return -1;
	ho->g = xrealloc(ho->g, (ho->ng + 1) * sizeof *ho->g);
	struct rec_gpu *x = &ho->g[ho->ng];
	memset(x, 0, sizeof *x);
	x->uuid = xstrdup(gpu);
	x->mem_peak_gib = x->mem_total_gib = -1;
	dict_put(&g->gpu_ids, k, (size_t)n, h, (uint32_t)ho->ng);
	return (int)ho->ng++;
}

static int on_dev(void *arg, uint32_t id, const char *host, const char *uuid, int idx, const char *model)
{
	struct gload *g = arg;
	char ix[16];
	(void)model;
	if (id >= g->ndev) {
		size_t nn = (size_t)id * 2 + 16;
		g->dev_host = xrealloc(g->dev_host, nn * sizeof *g->dev_host);
		g->dev_gpu = xrealloc(g->dev_gpu, nn * sizeof *g->dev_gpu);
		for (size_t i = g->ndev; i < nn; i++)
			g->dev_host[i] = g->dev_gpu[i] = -1;
		g->ndev = nn;
	}
	int hi = host_index(g, host, 0);
	if (hi < 0)
		return 0;
	snprintf(ix, sizeof ix, "%d", idx);
	int gi = gpu_index(g, hi, uuid && *uuid ? uuid : ix, 0);
	g->dev_host[id] = hi;
	g->dev_gpu[id] = gi;
	return 0;
}

static int on_lbl(void *arg, uint32_t id, const char *pod, const char *ns, const char *ct)
{
	struct gload *g = arg;
	if (id >= g->nlbl) {
		size_t nn = (size_t)id * 2 + 16;
		g->lbl = xrealloc(g->lbl, nn * sizeof *g->lbl);
		memset(g->lbl + g->nlbl, 0, (nn - g->nlbl) * sizeof *g->lbl);
		g->nlbl = nn;
	}
	char b[800];
	int n = snprintf(b, sizeof b, "%.250s %.250s %.250s", pod, ns, ct);
	while (n > 0 && b[n - 1] == ' ')
		b[--n] = 0;
	g->lbl[id] = xstrdup(b);
	return 0;
}

/* Append the label text once to the host's list (bounded). */
static void add_labels(struct rec_host *ho, const char *t)
{
	size_t cur = ho->labels ? strlen(ho->labels) : 0, n = strlen(t);
	if (!n || (t[0] == ' ' && n <= 2))
		return;
	if (ho->labels && strstr(ho->labels, t))
		return;
	if (cur + n + 2 > 4096)
		return;
	ho->labels = xrealloc(ho->labels, cur + n + 2);
	if (cur)
		ho->labels[cur++] = '|';
	memcpy(ho->labels + cur, t, n + 1);
}

static int on_roll(void *arg, const struct gpu_daily_rec *r)
{
	struct gload *g = arg;
	if (r->device_id >= g->ndev || g->dev_host[r->device_id] < 0 || g->dev_gpu[r->device_id] < 0)
		return 0;
	struct rec_host *ho = &g->c->hosts[g->dev_host[r->device_id]];
	struct rec_gpu *x = &ho->g[g->dev_gpu[r->device_id]];
	if (r->mem_s > 0) {
		double used = r->mem_used_s / r->mem_s / 1024, tot = (r->mem_used_s + r->mem_free_s) / r->mem_s / 1024;
		if (used > x->mem_peak_gib)
			x->mem_peak_gib = used;
		if (tot > x->mem_total_gib)
			x->mem_total_gib = tot;
	}
	if (r->labels_id < g->nlbl && g->lbl[r->labels_id] && r->covered_s > 0)
		add_labels(ho, g->lbl[r->labels_id]);
	return 0;
}

static int on_hour(void *arg, const struct gpu_hourly_rec *r)
{
	struct gload *g = arg;
	struct rec_ctx *c = g->c;
	if (r->device_id >= g->ndev || g->dev_host[r->device_id] < 0 || r->day < c->from || r->day > c->to)
		return 0;
	uint32_t k[2] = { r->device_id, (uint32_t)r->day }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (!dict_get(&g->dd_ids, k, sizeof k, h, &id)) {
		if ((g->nhours & (g->nhours - 1)) == 0) {
			size_t cap = g->nhours ? g->nhours * 2 : 64;
			g->hours = xrealloc(g->hours, cap * sizeof *g->hours);
			g->hkey = xrealloc(g->hkey, cap * sizeof *g->hkey);
		}
		id = (uint32_t)g->nhours++;
		memset(g->hours[id], 0, sizeof g->hours[id]);
		g->hkey[id][0] = r->device_id;
		g->hkey[id][1] = (uint32_t)r->day;
		dict_put(&g->dd_ids, k, sizeof k, h, id);
	}
	for (int i = 0; i < 24; i++) {
		g->hours[id][i] += r->covered_s[i];
		g->hours[id][24 + i] += r->util_s[i];
	}
	return 0;
}

/* hour_idle per day: bytes 0-2 idle hours, 3-5 observed hours (bit h). */
static void hour_set(struct rec_host *ho, int d, int h, int observed, int idle)
{
	uint8_t *b = ho->hour_idle + (size_t)d * 6;
	if (observed)
		b[3 + h / 8] |= (uint8_t)(1u << (h % 8));
	if (idle)
		b[h / 8] |= (uint8_t)(1u << (h % 8));
	else
		b[h / 8] &= (uint8_t)~(1u << (h % 8));
}

static int hour_get(const struct rec_host *ho, int d, int h, int *idle)
{
	const uint8_t *b = ho->hour_idle + (size_t)d * 6;
	*idle = (b[h / 8] >> (h % 8)) & 1;
	return (b[3 + h / 8] >> (h % 8)) & 1;
}

static int run_query(struct rec_ctx *c, const char *const *by, size_t nby, struct gpu_result *r)
{
	struct gpu_query q = {
		.by = by, .nby = nby, .where = c->o->where, .nwhere = c->o->nwhere, .amount = c->o->amount,
		.from_day = c->from, .to_day = c->to, .idle_threshold = c->set.idle_threshold,
	};
	return gpu_query_run(c->st, c->cfg, &q, r);
}

int rec_gpu_load(struct rec_ctx *c)
{
	static const char *const by_gpu[] = { "host", "gpu", "model", "ResourceId" };
	static const char *const by_day[] = { "host", "day" };
	struct gload g;
	struct gpu_result a, b;
	int rc = -1, have_a = 0, have_b = 0;
	memset(&g, 0, sizeof g);
	g.c = c;
	dict_init(&g.host_ids);
	dict_init(&g.gpu_ids);
	dict_init(&g.dd_ids);
	if (run_query(c, by_gpu, 4, &a) < 0)
		goto out;
	have_a = 1;
	for (size_t i = 0; i < a.nrows; i++) {
		const struct gpu_row *r = &a.rows[i];
		int hi = host_index(&g, r->vals[0], 1);
		struct rec_host *ho = &c->hosts[hi];
		if (!ho->resource_id[0] && r->vals[3][0]) {
			free(ho->resource_id);
			ho->resource_id = xstrdup(r->vals[3]);
			ho->res = rec_res_find(c, r->vals[3]);
		}
		if (!ho->model[0] && r->vals[2][0]) {
			free(ho->model);
			ho->model = xstrdup(r->vals[2]);
			ho->family = rec_gpu_family(r->vals[2]);
		}
		int gi = gpu_index(&g, hi, r->vals[1], 1);
		struct rec_gpu *x = &ho->g[gi];
		x->hours = r->gpu_hours;
		x->idle_hours = r->idle_hours;
		x->avg_util = r->avg_util;
		x->p95_util = r->p95_util;
		x->max_util = r->max_util;
	}
	if (!c->nhosts) {
		rc = 0;
		goto out;
	}
	c->has_gpu = 1;
	if (run_query(c, by_day, 2, &b) < 0)
		goto out;
	have_b = 1;
	for (size_t i = 0; i < b.nrows; i++) {
		const struct gpu_row *r = &b.rows[i];
		int hi = host_index(&g, r->vals[0], 0);
		int64_t day;
		if (hi < 0 || parse_day(r->vals[1], &day) < 0 || day < c->from || day > c->to)
			continue;
		struct rec_host *ho = &c->hosts[hi];
		int d = (int)(day - c->from);
		ho->gh[d] = r->gpu_hours;
		ho->idle_h[d] = r->idle_hours;
		ho->ngpu[d] = r->gpus;
		ho->cost[d] = r->cost;
		if (money_add(&ho->total_cost, r->cost) < 0)
			{ error("recommend: GPU cost overflows"); goto out; }
		ho->total_h += r->gpu_hours;
		ho->total_idle_h += r->idle_hours;
	}
	if (c->st->ops->gpu_device_scan(c->st, on_dev, &g) < 0 || c->st->ops->gpu_labels_scan(c->st, on_lbl, &g) < 0 ||
	    c->st->ops->gpu_daily_scan(c->st, c->from, c->to, -1, on_roll, &g) < 0 ||
	    c->st->ops->gpu_hourly_scan(c->st, c->from, c->to, -1, on_hour, &g) < 0)
		goto out;
	/* Hours: observed when a GPU reported half of it; busy when any observed GPU averaged the threshold. */
	for (size_t i = 0; i < g.nhours; i++) {
		uint32_t dev = g.hkey[i][0];
		struct rec_host *ho = &c->hosts[g.dev_host[dev]];
		int d = (int)((int32_t)g.hkey[i][1] - c->from);
		ho->has_hourly = 1;
		c->has_hourly = 1;
		for (int h = 0; h < 24; h++) {
			float cov = g.hours[i][h], u = g.hours[i][24 + h];
			if (cov < 1800)
				continue;
			int idle_now, obs = hour_get(ho, d, h, &idle_now);
			int idle = u / cov < c->set.idle_threshold;
			hour_set(ho, d, h, 1, obs ? idle_now && idle : idle);
		}
	}
	/*
	 * A host joined to one ledger resource: its cost per day is that
	 * resource's bill, also on days its telemetry is missing (the instance
	 * was billed all the same); gpu_query only splits the days it saw.
	 */
	for (size_t i = 0; i < c->nhosts; i++) {
		struct rec_host *ho = &c->hosts[i];
		if (ho->res < 0)
			continue;
		ho->total_cost = 0;
		for (int d = 0; d < c->ndays; d++) {
			const struct rec_cell *cl = rec_cell_get(c, (uint32_t)ho->res, c->from + d);
			money_t v = 0;
			for (int k = 0; cl && k < PC__COUNT; k++)
				v += cl->cost[k];
			ho->cost[d] = v;
			if (money_add(&ho->total_cost, v) < 0)
				{ error("recommend: GPU cost overflows"); goto out; }
		}
	}
	/* Workload of the host: its pods/namespaces, else its bill line. */
	for (size_t i = 0; i < c->nhosts; i++) {
		struct rec_host *ho = &c->hosts[i];
		static const char *const train[] = { "train", "finetun", "fine-tun", "pretrain", "hpo", "sweep", "batch",
						     "etl", "job", "render", NULL };
		static const char *const serve[] = { "infer", "serv", "predict", "endpoint", "online", "api", "chat",
						     "notebook", "jupyter", NULL };
		int t = 0, s = 0;
		for (const char *const *w = train; ho->labels && *w; w++)
			t |= strcasestr(ho->labels, *w) != NULL;
		for (const char *const *w = serve; ho->labels && *w; w++)
			s |= strcasestr(ho->labels, *w) != NULL;
		if (t && !s)
			ho->workload = WL_TRAINING;
		else if (s)
			ho->workload = WL_INFERENCE;
		else if (ho->res >= 0)
			ho->workload = c->res[ho->res].wl;
	}
	rc = 0;
out:
	if (have_a)
		gpu_query_release(&a);
	if (have_b)
		gpu_query_release(&b);
	dict_release(&g.host_ids);
	dict_release(&g.gpu_ids);
	dict_release(&g.dd_ids);
	free(g.dev_host);
	free(g.dev_gpu);
	for (size_t i = 0; i < g.nlbl; i++)
		free(g.lbl[i]);
	free(g.lbl);
	free(g.hours);
	free(g.hkey);
	return rc;
}

void rec_gpu_release(struct rec_ctx *c)
{
	for (size_t i = 0; i < c->nhosts; i++) {
		struct rec_host *ho = &c->hosts[i];
		for (size_t j = 0; j < ho->ng; j++)
			free(ho->g[j].uuid);
		free(ho->g);
		free(ho->name);
		free(ho->resource_id);
		free(ho->model);
		free(ho->gh);
		free(ho->idle_h);
		free(ho->ngpu);
		free(ho->cost);
		free(ho->hour_idle);
		free(ho->labels);
	}
	free(c->hosts);
	c->hosts = NULL;
	c->nhosts = 0;
}

/* ---- shared by the kinds ------------------------------------------------------------ */

static int observed(const struct rec_ctx *c, const struct rec_host *ho, int d)
{
	return ho->ngpu[d] && ho->gh[d] >= c->set.min_coverage * 24.0 * ho->ngpu[d];
}

static int idle_day(const struct rec_ctx *c, const struct rec_host *ho, int d)
{
	return observed(c, ho, d) && ho->gh[d] - ho->idle_h[d] <= c->set.idle_busy_share * ho->gh[d];
}

/* Days with cost: first and last (window index), -1 when none. */
static void cost_span(const struct rec_ctx *c, const struct rec_host *ho, int *first, int *last)
{
	*first = *last = -1;
	for (int d = 0; d < c->ndays; d++)
		if (ho->cost[d] != 0 || ho->ngpu[d]) {
			if (*first < 0)
				*first = d;
			*last = d;
		}
}

static void claim(struct rec_ctx *c, struct rec_host *ho, enum rec_kind k, money_t keep_num, money_t keep_den)
{
	ho->claimed = (int)k + 1;
	if (ho->res >= 0) {
		struct rec_res *r = &c->res[ho->res];
		r->claimed = (int)k + 1;
		r->keep_num = keep_num;
		r->keep_den = keep_den;
	}
}

static int claimed(const struct rec_ctx *c, const struct rec_host *ho)
{
	return ho->claimed || (ho->res >= 0 && c->res[ho->res].claimed);
}

static void host_scope(struct rec_ctx *c, struct recommendation *r, const struct rec_host *ho)
{
	if (ho->res >= 0) {
		const struct rec_res *x = &c->res[ho->res];
		rec_scope(r, "ProviderName", x->provider);
		rec_scope(r, "RegionId", x->region);
		rec_scope(r, "SubAccountName", x->sub_account);
	}
	rec_scope(r, "host", ho->name);
}

/*
 * How the host is paid for. Stopping or shrinking committed capacity saves
 * money only once the commitment is used elsewhere: the evidence says so and
 * the confidence drops.
 */
static void pricing_ev(const struct rec_ctx *c, const struct rec_host *ho, struct recommendation *r)
{
	if (ho->res < 0)
		return;
	const struct rec_res *x = &c->res[ho->res];
	money_t all = 0;
	for (int k = 0; k < PC__COUNT; k++)
		all += x->cost[k];
	if (all <= 0)
		return;
	double od = money_to_double(x->cost[PC_OD]) / money_to_double(all);
	double com = money_to_double(x->cost[PC_COMMIT]) / money_to_double(all);
	rec_ev_num(r, "on_demand_share", od);
	if (com > 0.5) {
		rec_ev_str(r, "pricing_note", "mostly committed capacity: the saving needs the commitment used elsewhere");
		r->confidence *= 0.6;
	}
}

static const char *inst_name(const struct rec_ctx *c, const struct rec_host *ho)
{
	return ho->res >= 0 && c->res[ho->res].inst >= 0 ? c->inst[c->res[ho->res].inst].type : "";
}

static const char *wd[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

static int weekday(int32_t day)
{
	return (int)((((int64_t)day + 3) % 7 + 7) % 7);   /* 1970-01-01 was a Thursday */
}

/* ---- idle-gpu -------------------------------------------------------------------------- */

static void idle_gpu(struct rec_ctx *c, struct rec_host *ho)
{
	int first, last;
	cost_span(c, ho, &first, &last);
	if (last < 0 || last < c->ndays - 3)
		return;   /* gone before the end of the window */
	/*
	 * The trailing run of idle days. Busy time ends it; a day with too little
	 * telemetry to judge (exporter down) neither ends it nor counts as idle,
	 * but its cost is in the run's span like every other day's.
	 */
	int start = -1, idle_days = 0, end = -1;
	double gh = 0, idle_h = 0;
	for (int d = last; d >= 0; d--) {
		if (ho->gh[d] > 0 && ho->gh[d] - ho->idle_h[d] > c->set.idle_busy_share * ho->gh[d])
			break;
		if (!idle_day(c, ho, d))
			continue;
		if (end < 0)
			end = d;
		start = d;
		idle_days++;
		gh += ho->gh[d];
		idle_h += ho->idle_h[d];
	}
	money_t cost = 0;
	for (int d = start; start >= 0 && d <= end; d++)
		if (money_add(&cost, ho->cost[d]) < 0)
			return;
	if (idle_days < c->set.idle_min_days || cost <= 0)
		return;
	int span = end - start + 1;
	struct recommendation *r = rec_add(c, RK_IDLE_GPU, ho->resource_id[0] ? ho->resource_id : ho->name);
	host_scope(c, r, ho);
	r->monthly_cost = rec_monthly(cost, span);
	r->monthly_savings = r->monthly_cost;
	double cov = gh / (24.0 * span * (ho->ng ? (double)ho->ng : 1));
	r->confidence = 0.6 + 0.35 * (span >= 14 ? 1 : span / 14.0) * (cov > 1 ? 1 : cov);
	const char *it = inst_name(c, ho);
	rec_title(r, "Idle GPU %s %s%s%s%s: %zu GPU%s below %g%% for %d days", ho->resource_id[0] ? "instance" : "host",
		  ho->name, it[0] ? " (" : "", it, it[0] ? ")" : "", ho->ng, ho->ng == 1 ? "" : "s",
		  c->set.idle_threshold, span);
	rec_action(r, "stop_instance", "Stop or terminate %s: its GPUs did no work for %d days (snapshot it first if"
		   " it holds state)", ho->name, span);
	rec_param_str(r, "host", "%s", ho->name);
	if (ho->resource_id[0])
		rec_param_str(r, "resource_id", "%s", ho->resource_id);
	rec_ev_period(r, c->from + start, c->from + end);
	rec_ev_int(r, "idle_days", idle_days);
	rec_ev_int(r, "gpus", (int64_t)ho->ng);
	rec_ev_str(r, "gpu_model", "%s", ho->model);
	if (it[0])
		rec_ev_str(r, "instance_type", "%s", it);
	rec_ev_num(r, "gpu_hours", gh);
	rec_ev_num(r, "idle_hours", idle_h);
	rec_ev_num(r, "idle_share", gh > 0 ? idle_h / gh : 0);
	rec_ev_num(r, "idle_threshold_pct", c->set.idle_threshold);
	double mx = 0, p95 = 0;
	for (size_t i = 0; i < ho->ng; i++) {
		mx = ho->g[i].max_util > mx ? ho->g[i].max_util : mx;
		p95 = ho->g[i].p95_util > p95 ? ho->g[i].p95_util : p95;
	}
	rec_ev_num(r, "p95_util_pct", p95);
	rec_ev_num(r, "max_util_pct", mx);
	rec_ev_money(r, "cost_in_period", cost);
	rec_ev_str(r, "savings_formula", "cost_in_period x 30 / period_days");
	pricing_ev(c, ho, r);
	claim(c, ho, RK_IDLE_GPU, 0, 1);
}

/* ---- schedule-offpeak ------------------------------------------------------------------- */

static void offpeak(struct rec_ctx *c, struct rec_host *ho)
{
	uint16_t obs[168] = { 0 }, idl[168] = { 0 };
	int first, last;
	cost_span(c, ho, &first, &last);
	if (last < 0)
		return;
	for (int d = first; d <= last; d++) {
		int w = weekday(c->from + d);
		int any_hourly = 0;
		for (int h = 0; h < 24; h++) {
			int idle, o = hour_get(ho, d, h, &idle);
			any_hourly |= o;
		}
		for (int h = 0; h < 24; h++) {
			int idle = 0, o;
			if (any_hourly) {
				o = hour_get(ho, d, h, &idle);
			} else {
				/* No hour profile (older ledger): a whole idle day counts as 24 idle hours. */
				o = observed(c, ho, d);
				idle = o && idle_day(c, ho, d);
			}
			if (o) {
				obs[w * 24 + h]++;
				idl[w * 24 + h] += idle ? 1 : 0;
			}
		}
	}
	uint8_t off[168];
	int noff = 0;
	for (int s = 0; s < 168; s++) {
		off[s] = obs[s] >= c->set.offpeak_min_weeks && idl[s] >= c->set.offpeak_idle_share * obs[s];
		noff += off[s];
	}
	if (noff == 0 || noff > 168 - 4)
		return;
	/* Keep runs (circular over the week) of at least offpeak_min_run hours. */
	int startw = 0;
	while (off[startw])
		startw++;   /* a slot that is on: runs start after it */
	uint8_t keep[168] = { 0 };
	int kept = 0;
	char windows[1024] = "";
	size_t wl = 0;
	int nwin = 0;
	for (int i = 0; i < 168;) {
		int s = (startw + i) % 168;
		if (!off[s]) {
			i++;
			continue;
		}
		int len = 0;
		while (i + len < 168 && off[(startw + i + len) % 168])
			len++;
		if (len >= c->set.offpeak_min_run) {
			for (int j = 0; j < len; j++)
				keep[(s + j) % 168] = 1;
			kept += len;
			int e = (s + len) % 168;
			if (wl + 40 < sizeof windows)
				wl += (size_t)snprintf(windows + wl, sizeof windows - wl, "%s%s %02d:00-%s %02d:00", nwin ? ", " : "",
						       wd[s / 24], s % 24, wd[e / 24], e % 24);
			nwin++;
		}
		i += len;
	}
	if (kept < c->set.offpeak_min_hours)
		return;
	/* Savings: each day's cost x its kept hours / 24. */
	money_t save = 0, cost = 0;
	uint32_t oi = 0, oo = 0;
	for (int d = first; d <= last; d++) {
		int w = weekday(c->from + d), hrs = 0;
		for (int h = 0; h < 24; h++)
			hrs += keep[w * 24 + h];
		money_t part = 0;
		money_muldiv(ho->cost[d], hrs, 24, &part);
		if (money_add(&save, part) < 0 || money_add(&cost, ho->cost[d]) < 0)
			return;
	}
	for (int s = 0; s < 168; s++)
		if (keep[s])
			oi += idl[s], oo += obs[s];
	if (save <= 0)
		return;
	int span = last - first + 1;
	struct recommendation *r = rec_add(c, RK_SCHEDULE_OFFPEAK, ho->resource_id[0] ? ho->resource_id : ho->name);
	host_scope(c, r, ho);
	r->monthly_cost = rec_monthly(cost, span);
	r->monthly_savings = rec_monthly(save, span);
	r->confidence = (ho->has_hourly ? 0.8 : 0.65) * (oo ? (double)oi / oo : 0);
	const char *it = inst_name(c, ho);
	rec_title(r, "Stop %s%s%s%s off-peak: idle %d h a week", ho->name, it[0] ? " (" : "", it, it[0] ? ")" : "", kept);
	rec_action(r, "schedule_stop", "Run %s on a schedule: stop it %s UTC (%d h a week)", ho->name, windows, kept);
	rec_param_str(r, "host", "%s", ho->name);
	if (ho->resource_id[0])
		rec_param_str(r, "resource_id", "%s", ho->resource_id);
	rec_param_str(r, "stop_windows_utc", "%s", windows);
	rec_ev_period(r, c->from + first, c->from + last);
	rec_ev_int(r, "off_hours_per_week", kept);
	rec_ev_str(r, "off_windows_utc", "%s", windows);
	rec_ev_num(r, "idle_share_in_off_hours", oo ? (double)oi / oo : 0);
	rec_ev_int(r, "weeks_observed", (span + 6) / 7);
	rec_ev_str(r, "hour_resolution", "%s", ho->has_hourly ? "hour" : "day");
	rec_ev_int(r, "gpus", (int64_t)ho->ng);
	rec_ev_num(r, "gpu_hours", ho->total_h);
	rec_ev_num(r, "idle_hours", ho->total_idle_h);
	rec_ev_num(r, "idle_threshold_pct", c->set.idle_threshold);
	rec_ev_money(r, "cost_in_period", cost);
	rec_ev_money(r, "cost_in_off_hours", save);
	rec_ev_str(r, "savings_formula", "sum over days of day cost x off hours of that weekday / 24, x 30 / period_days");
	pricing_ev(c, ho, r);
	claim(c, ho, RK_SCHEDULE_OFFPEAK, 168 - kept, 168);
}

/* ---- rightsize-gpu ----------------------------------------------------------------------- */

/*
 * The smallest MIG profile of an A100/H100 that carries a GPU's load: k/7 of
 * the compute at the target utilisation and the profile's memory. NULL when
 * the GPU has no MIG or nothing under a whole GPU fits.
 */
static const char *mig_profile(const char *fam, double p95, double mem_need, double target)
{
	static const struct { const char *fam, *name; int k; double gib; } mig[] = {
		{ "A100-40GB", "1g.5gb", 1, 5 }, { "A100-40GB", "2g.10gb", 2, 10 }, { "A100-40GB", "3g.20gb", 3, 20 },
		{ "A100-80GB", "1g.10gb", 1, 10 }, { "A100-80GB", "2g.20gb", 2, 20 }, { "A100-80GB", "3g.40gb", 3, 40 },
		{ "H100", "1g.10gb", 1, 10 }, { "H100", "2g.20gb", 2, 20 }, { "H100", "3g.40gb", 3, 40 },
	};
	for (size_t i = 0; fam && i < sizeof mig / sizeof mig[0]; i++)
		if (!strcmp(mig[i].fam, fam) && p95 <= target * mig[i].k / 7.0 && mem_need <= mig[i].gib)
			return mig[i].name;
	return NULL;
}

static int current_instance(const struct rec_ctx *c, const struct rec_host *ho, int *inferred)
{
	*inferred = 0;
	if (ho->res >= 0 && c->res[ho->res].inst >= 0)
		return c->res[ho->res].inst;
	if (!ho->family || ho->res < 0)
		return -1;
	/* Inferred from the telemetry: same provider, GPU model and count; the cheapest (so the saving is a floor). */
	enum rec_prov p = rec_provider(c->res[ho->res].provider);
	int best = -1;
	for (size_t i = 0; i < c->ninst; i++) {
		const struct rec_inst *e = &c->inst[i];
		if (rec_provider(e->provider) != p || strcmp(e->gpu_model, ho->family) || (size_t)e->gpus != ho->ng)
			continue;
		if (best < 0 || e->price < c->inst[best].price)
			best = (int)i;
	}
	*inferred = best >= 0;
	return best;
}

static void rightsize(struct rec_ctx *c, struct rec_host *ho)
{
	int first, last, days = 0, inferred;
	cost_span(c, ho, &first, &last);
	if (last < 0)
		return;
	for (int d = first; d <= last; d++)
		days += observed(c, ho, d);
	if (days < c->set.rightsize_min_days)
		return;
	int cur = current_instance(c, ho, &inferred);
	if (cur < 0)
		return;
	const struct rec_inst *E = &c->inst[cur];
	const char *efam = ho->family ? ho->family : E->gpu_model;
	double eperf = rec_gpu_perf(efam);
	/* Busy GPUs, their peak load and their memory need. */
	int busy = 0;
	double umax = 0, mem_peak = 0, avg = 0;
	int mem_known = 1;
	for (size_t i = 0; i < ho->ng; i++) {
		const struct rec_gpu *x = &ho->g[i];
		if (x->hours <= 0 || x->hours - x->idle_hours <= c->set.idle_busy_share * x->hours)
			continue;
		busy++;
		umax = x->p95_util > umax ? x->p95_util : umax;
		avg += x->avg_util;
		if (x->mem_peak_gib < 0)
			mem_known = 0;
		else if (x->mem_peak_gib > mem_peak)
			mem_peak = x->mem_peak_gib;
	}
	if (!busy || (size_t)busy > (size_t)E->gpus)
		return;
	avg /= busy;
	double mem_need = mem_known ? mem_peak * (1 + c->set.rightsize_mem_margin) : E->gpu_mem_gib;
	double vcpu_need = 0.5 * E->vcpus * busy / E->gpus;
	int best = -1;
	for (size_t i = 0; i < c->ninst; i++) {
		const struct rec_inst *T = &c->inst[i];
		if ((int)i == cur || rec_provider(T->provider) != rec_provider(E->provider) || T->gpus < busy ||
		    T->gpus > E->gpus || T->gpu_mem_gib < mem_need || T->vcpus < vcpu_need)
			continue;
		double tperf = rec_gpu_perf(T->gpu_model);
		int same = !strcmp(T->gpu_model, efam);
		if (!same && (eperf <= 0 || tperf <= 0 || umax * eperf / tperf > c->set.rightsize_target_util))
			continue;
		/* The target must cost at least min_saving less. */
		money_t lim = rec_scale(E->price, 1 - c->set.rightsize_min_saving);
		if (T->price > lim)
			continue;
		if (best < 0 || T->price < c->inst[best].price)
			best = (int)i;
	}
	if (best < 0)
		return;
	const struct rec_inst *T = &c->inst[best];
	money_t cost = 0, keep = 0;
	for (int d = first; d <= last; d++)
		if (money_add(&cost, ho->cost[d]) < 0)
			return;
	if (cost <= 0 || money_muldiv(cost, T->price, E->price, &keep) < 0)
		return;
	int span = last - first + 1;
	struct recommendation *r = rec_add(c, RK_RIGHTSIZE_GPU, ho->resource_id[0] ? ho->resource_id : ho->name);
	host_scope(c, r, ho);
	r->monthly_cost = rec_monthly(cost, span);
	r->monthly_savings = rec_monthly(cost - keep, span);
	r->confidence = (inferred ? 0.6 : 0.75) * (days >= 14 ? 1 : 0.85);
	int fewer = T->gpus < E->gpus, other = strcmp(T->gpu_model, E->gpu_model) != 0;
	rec_title(r, "Rightsize %s: %s -> %s (%s%s%s)", ho->name, E->type, T->type, fewer ? "fewer GPUs" : "",
		  fewer && other ? ", " : "", other ? "cheaper GPU" : "");
	rec_action(r, "resize_instance", "Move %s from %s (%d x %s) to %s (%d x %s): %d of %d GPUs busy, p95 %.0f%%,"
		   " framebuffer peak %.1f GiB", ho->name, E->type, E->gpus, E->gpu_model, T->type, T->gpus, T->gpu_model,
		   busy, E->gpus, umax, mem_peak);
	rec_param_str(r, "host", "%s", ho->name);
	if (ho->resource_id[0])
		rec_param_str(r, "resource_id", "%s", ho->resource_id);
	rec_param_str(r, "from_instance_type", "%s", E->type);
	rec_param_str(r, "to_instance_type", "%s", T->type);
	rec_ev_period(r, c->from + first, c->from + last);
	rec_ev_str(r, "instance_type", "%s", E->type);
	rec_ev_int(r, "instance_type_inferred", inferred);
	rec_ev_str(r, "target_instance_type", "%s", T->type);
	rec_ev_int(r, "gpus", E->gpus);
	rec_ev_int(r, "busy_gpus", busy);
	rec_ev_int(r, "target_gpus", T->gpus);
	rec_ev_str(r, "gpu_model", "%s", E->gpu_model);
	rec_ev_str(r, "target_gpu_model", "%s", T->gpu_model);
	rec_ev_num(r, "p95_util_pct", umax);
	rec_ev_num(r, "avg_util_pct", avg);
	if (mem_known)
		rec_ev_num(r, "mem_peak_gib", mem_peak);
	rec_ev_num(r, "target_gpu_mem_gib", T->gpu_mem_gib);
	double tperf = rec_gpu_perf(T->gpu_model);
	rec_ev_num(r, "target_util_at_p95_pct", umax * (strcmp(T->gpu_model, efam) && tperf > 0 ? eperf / tperf : 1));
	const char *mig = mem_known ? mig_profile(efam, umax, mem_need, c->set.rightsize_target_util) : NULL;
	if (mig)
		rec_ev_str(r, "mig_alternative", "each busy GPU fits a MIG %s slice of a %s: share GPUs instead of moving",
			   mig, efam);
	rec_ev_money(r, "price_per_hour", E->price);
	rec_ev_money(r, "target_price_per_hour", T->price);
	rec_ev_str(r, "price_source", "%s (%s)", T->source, T->price_region);
	rec_ev_int(r, "days_observed", days);
	rec_ev_money(r, "cost_in_period", cost);
	rec_ev_str(r, "savings_formula", "cost_in_period x (1 - target_price / price) x 30 / period_days");
	pricing_ev(c, ho, r);
	claim(c, ho, RK_RIGHTSIZE_GPU, T->price, E->price);
}

/* ---- spot -------------------------------------------------------------------------------- */

static void spot(struct rec_ctx *c, struct rec_host *ho)
{
	if (ho->res < 0 || (ho->workload != WL_TRAINING && ho->workload != WL_DATA))
		return;
	const struct rec_res *x = &c->res[ho->res];
	money_t all = 0;
	for (int k = 0; k < PC__COUNT; k++)
		all += x->cost[k];
	if (x->cost[PC_OD] <= 0 || all <= 0 || rec_scale(all, 0.8) > x->cost[PC_OD])
		return;   /* mostly committed or spot already */
	int first, last;
	cost_span(c, ho, &first, &last);
	if (last < 0)
		return;
	money_t od = 0;
	for (int d = first; d <= last; d++) {
		const struct rec_cell *cl = rec_cell_get(c, (uint32_t)ho->res, c->from + d);
		if (cl && money_add(&od, cl->cost[PC_OD]) < 0)
			return;
	}
	double disc = c->set.spot_discount[rec_provider(x->provider)];
	int span = last - first + 1;
	struct recommendation *r = rec_add(c, RK_SPOT, ho->resource_id);
	host_scope(c, r, ho);
	r->monthly_cost = rec_monthly(od, span);
	r->monthly_savings = rec_scale(r->monthly_cost, disc);
	r->confidence = 0.55;
	const char *it = inst_name(c, ho);
	rec_title(r, "Run %s (%s%s%s) on spot capacity: %s work on on-demand", ho->name,
		  it[0] ? it : "", it[0] ? ", " : "", ho->model, workload_names[ho->workload]);
	rec_action(r, "use_spot", "Move the %s work on %s to spot/preemptible capacity with checkpointing"
		   " (assumed discount %.0f%%)", workload_names[ho->workload], ho->name, disc * 100);
	rec_param_str(r, "host", "%s", ho->name);
	rec_param_str(r, "resource_id", "%s", ho->resource_id);
	rec_param_num(r, "assumed_discount", disc);
	rec_ev_period(r, c->from + first, c->from + last);
	rec_ev_str(r, "workload", "%s", workload_names[ho->workload]);
	if (ho->labels)
		rec_ev_str(r, "labels", "%.200s", ho->labels);
	rec_ev_str(r, "pricing", "on-demand");
	rec_ev_money(r, "on_demand_cost_in_period", od);
	rec_ev_num(r, "assumed_spot_discount", disc);
	rec_ev_num(r, "gpu_hours", ho->total_h);
	rec_ev_str(r, "savings_formula", "on_demand_cost_in_period x 30 / period_days x assumed_spot_discount");
	claim(c, ho, RK_SPOT, 0, 1);
}

int rec_gpu_kinds(struct rec_ctx *c)
{
	if (!c->has_gpu) {
		rec_note(c, "no GPU telemetry in the window: idle-gpu, schedule-offpeak, rightsize-gpu and spot need"
			    " 'aicost ingest gpu' or 'aicost collect gpu'");
		return 0;
	}
	int unpriced = 0;
	for (size_t i = 0; i < c->nhosts; i++)
		unpriced += c->hosts[i].total_cost == 0;
	if (unpriced)
		rec_note(c, "%d GPU host%s with telemetry but no cost (no bill line joined: ResourceId or hosts: in the"
			    " config) cannot be priced and were not judged", unpriced, unpriced == 1 ? "" : "s");
	/* Claim order over all hosts: idle first, then schedules, rightsizing, spot. */
	for (size_t i = 0; i < c->nhosts; i++)
		if (!claimed(c, &c->hosts[i]))
			idle_gpu(c, &c->hosts[i]);
	for (size_t i = 0; i < c->nhosts; i++)
		if (!claimed(c, &c->hosts[i]))
			offpeak(c, &c->hosts[i]);
	for (size_t i = 0; i < c->nhosts; i++)
		if (!claimed(c, &c->hosts[i]))
			rightsize(c, &c->hosts[i]);
	for (size_t i = 0; i < c->nhosts; i++)
		if (!claimed(c, &c->hosts[i]))
			spot(c, &c->hosts[i]);
	return 0;
}
