/*
 * gpu_query.c - the GPU telemetry query engine; see gpu_query.h.
 *
 * Chapters: settings, dictionaries (devices, labels, hosts, joined lines),
 * host-day cost, dimension values per (device, label set), the rollup scan
 * into (group, time bucket) cells, rows. Everything is freed by
 * gpu_query_release through res->priv.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/config.h"
#include "core/gpu_query.h"
#include "core/report.h"
#include "core/tags.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

/* ---- settings --------------------------------------------------------------- */

static int num_key(const struct config *cfg, const struct cfg_node *g, const char *key, double lo, double hi, double *out)
{
	const struct cfg_node *n = cfg_node_get(g, key);
	if (!n)
		return 0;
	char *end = NULL;
	double v = n->type == CN_SCALAR ? strtod(n->str, &end) : -1;
	if (n->type != CN_SCALAR || !n->len || *end || v < lo || v > hi)
		return error("%s:%d:%d: gpu.%s: expected a number from %g to %g", cfg->path, n->line, n->col, key, lo, hi);
	*out = v;
	return 0;
}

int gpu_settings_read(const struct config *cfg, struct gpu_settings *out)
{
	double thr = 5, gap = 600, iv = 60;
	const struct cfg_node *g = cfg_node_get(&cfg->root, "gpu");
	if (g && g->type != CN_MAP && g->type != CN_NULL)
		return error("%s:%d:%d: gpu: expected a mapping", cfg->path, g->line, g->col);
	if (g && g->type == CN_MAP &&
	    (num_key(cfg, g, "idle_threshold", 0, 100, &thr) < 0 || num_key(cfg, g, "max_gap", 1, 86400, &gap) < 0 ||
	     num_key(cfg, g, "default_interval", 1, 86400, &iv) < 0))
		return -1;
	out->idle_threshold = thr;
	out->max_gap_ms = (int64_t)(gap * 1000);
	out->default_interval_ms = (int64_t)(iv * 1000);
	return 0;
}

/* ---- engine state ------------------------------------------------------------ */

enum gdim_kind { GD_REPORT, GD_HOST, GD_GPU, GD_INDEX, GD_MODEL, GD_POD, GD_NS, GD_CT };

struct gdim {
	enum gdim_kind kind;
	struct report_dim rd;         /* GD_REPORT */
	const char *value;            /* --where: the wanted value */
};

struct dev { int32_t host; char *uuid, *model; int idx; };
struct lbl { char *pod, *ns, *ct; };
struct host { char *name; uint32_t line; uint32_t tagset; const char *vals; size_t nvals; };
/* A bill line joined to a host: the host's costliest one gives its FOCUS columns and tags. */
struct jline { uint32_t id, host, tagset; char *vals; size_t n; money_t cost; };
struct hostday { money_t cost; uint32_t ngpus; uint8_t used; };
struct devday { int64_t cov_ms, cum_ms; uint32_t ord, nrows, cum_rows, hd; };

struct cell {
	uint32_t gid;
	int32_t bucket;
	double cov_s, util_s, util_max, mem_used_s, mem_free_s, energy_j, power_j, power_s;
	uint64_t hist[GPU_HIST_BINS];
	money_t cost, idle_cost;
	uint32_t gpus;
};

struct eng {
	const struct config *cfg;
	const struct gpu_query *q;
	struct gdim *dims, *where;
	int time_dim;
	struct dev *devs;  size_t ndevs;
	struct lbl *lbls;  size_t nlbls;
	struct host *hosts; size_t nhosts;
	struct dict host_ids;         /* lower-case host -> index */
	struct dict res_ids;          /* hosts: map ResourceId -> host index */
	struct tagset *tagsets; size_t ntagsets;
	struct jline *jl; size_t njl;
	struct dict hd_ids; struct hostday *hd; size_t nhd;
	struct dict dd_ids; struct devday *dd; size_t ndd;
	struct gpu_daily_rec *rows; size_t nrows;
	struct dict combo_ids;        /* (device, labels) -> gid + 1, or 0 = filtered out */
	struct dict group_ids;        /* joined values -> gid */
	const char ***group_vals; size_t ngroups;
	struct dict cell_ids; struct cell *cells; size_t ncells;
	struct dict cellgpu;          /* (cell, device) seen */
	struct strpool strs;          /* interned value strings */
	char *vbuf; size_t vcap;
	char currency[16];
	int32_t min_day, max_day;
};

static const char *intern(struct eng *e, const char *s)
{
	return strpool_intern(&e->strs, s);
}

static size_t lower(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++)
		out[n++] = (char)tolower((unsigned char)*s);
	out[n] = 0;
	return n;
}

/* ---- dimensions ----------------------------------------------------------------- */

static int dim_parse(const struct config *cfg, const char *name, struct gdim *d)
{
	static const struct { const char *n; enum gdim_kind k; } g[] = {
		{ "host", GD_HOST }, { "gpu", GD_GPU }, { "uuid", GD_GPU }, { "gpu_index", GD_INDEX },
		{ "model", GD_MODEL }, { "gpu_model", GD_MODEL }, { "pod", GD_POD }, { "namespace", GD_NS },
		{ "container", GD_CT },
	};
	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
		if (!strcmp(name, g[i].n)) {
			d->kind = g[i].k;
			d->rd.name = name;
			return 0;
		}
	d->kind = GD_REPORT;
	int how = 0;
	if (strncmp(name, "tag:", 4) != 0 && strcmp(name, "day") && strcmp(name, "week") && strcmp(name, "month") &&
	    strcmp(name, "spend") && alloc_dim_find(cfg, name) < 0 && focus_col_lookup(name, strlen(name), &how) < 0)
		return error("'%s' is not a GPU dimension: use host, gpu, gpu_index, model, pod, namespace, container,"
			     " an allocation dimension (team, ...), a FOCUS column of the joined bill line, tag:KEY,"
			     " or day/week/month", name);
	return report_dim_parse(cfg, name, &d->rd);
}

static int is_time(const struct gdim *d)
{
	return d->kind == GD_REPORT && (d->rd.kind == DK_DAY || d->rd.kind == DK_WEEK || d->rd.kind == DK_MONTH);
}

/* ---- dictionaries --------------------------------------------------------------- */

static int on_dev(void *arg, uint32_t id, const char *host, const char *uuid, int idx, const char *model)
{
	struct eng *e = arg;
	if (id >= e->ndevs) {
		size_t nn = (size_t)id * 2 + 16;
		e->devs = xrealloc(e->devs, nn * sizeof *e->devs);
		memset(e->devs + e->ndevs, 0, (nn - e->ndevs) * sizeof *e->devs);
		e->ndevs = nn;
	}
	char k[512];
	size_t kn = lower(host, k, sizeof k);
	uint64_t h = hash_bytes(k, kn);
	uint32_t hi;
	if (!dict_get(&e->host_ids, k, kn, h, &hi)) {
		hi = (uint32_t)e->nhosts;
		e->hosts = xrealloc(e->hosts, (e->nhosts + 1) * sizeof *e->hosts);
		memset(&e->hosts[hi], 0, sizeof e->hosts[hi]);
		e->hosts[hi].name = xstrdup(host);
		e->nhosts++;
		dict_put(&e->host_ids, k, kn, h, hi);
	}
	e->devs[id].host = (int32_t)hi;
	e->devs[id].uuid = xstrdup(uuid);
	e->devs[id].model = xstrdup(model);
	e->devs[id].idx = idx;
	return 0;
}

static int on_lbl(void *arg, uint32_t id, const char *pod, const char *ns, const char *ct)
{
	struct eng *e = arg;
	if (id >= e->nlbls) {
		size_t nn = (size_t)id * 2 + 16;
		e->lbls = xrealloc(e->lbls, nn * sizeof *e->lbls);
		memset(e->lbls + e->nlbls, 0, (nn - e->nlbls) * sizeof *e->lbls);
		e->nlbls = nn;
	}
	e->lbls[id].pod = xstrdup(pod);
	e->lbls[id].ns = xstrdup(ns);
	e->lbls[id].ct = xstrdup(ct);
	return 0;
}

static int on_tagset(void *arg, uint32_t id, const char *json, size_t n)
{
	struct eng *e = arg;
	if (id >= e->ntagsets) {
		size_t nn = (size_t)id * 2 + 16;
		e->tagsets = xrealloc(e->tagsets, nn * sizeof *e->tagsets);
		memset(e->tagsets + e->ntagsets, 0, (nn - e->ntagsets) * sizeof *e->tagsets);
		e->ntagsets = nn;
	}
	if (tagset_parse(json, n, &e->tagsets[id]) < 0)
		memset(&e->tagsets[id], 0, sizeof e->tagsets[id]);
	return 0;
}

/* line id -> joined line index + 1 (0 = not a GPU host's line) */
struct line_map { uint32_t *host; size_t n; };

static int on_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct eng *e = ((void **)arg)[0];
	struct line_map *lm = ((void **)arg)[1];
	const char *v[FC__COUNT];
	store_line_split(vals, n, &e->vbuf, &e->vcap, v);
	const char *rid = v[FC_RESOURCE_ID];
	if (!rid || !*rid)
		return 0;
	uint32_t hi;
	int found = 0;
	char k[1024];
	size_t kn = lower(rid, k, sizeof k);
	uint64_t h = hash_bytes(k, kn);
	if (dict_get(&e->res_ids, k, kn, h, &hi)) {
		found = 1;
	} else {
		/* The host is the ResourceId's last segment: .../instance/i-0abc, .../virtualMachines/vm1, or all of it. */
		const char *tail = k;
		for (const char *p = k; *p; p++)
			if (*p == '/' || *p == ':')
				tail = p + 1;
		size_t tn = strlen(tail);
		if (tn && dict_get(&e->host_ids, tail, tn, hash_bytes(tail, tn), &hi))
			found = 1;
		else if (dict_get(&e->host_ids, k, kn, h, &hi))
			found = 1;
	}
	if (!found)
		return 0;
	if (id >= lm->n) {
		size_t nn = (size_t)id * 2 + 16;
		lm->host = xrealloc(lm->host, nn * sizeof *lm->host);
		memset(lm->host + lm->n, 0, (nn - lm->n) * sizeof *lm->host);
		lm->n = nn;
	}
	if ((e->njl & (e->njl - 1)) == 0)
		e->jl = xrealloc(e->jl, (e->njl ? e->njl * 2 : 16) * sizeof *e->jl);
	struct jline *j = &e->jl[e->njl];
	j->id = id;
	j->host = hi;
	j->tagset = tagset;
	j->vals = xmalloc(n + 1);
	memcpy(j->vals, vals, n);
	j->n = n;
	j->cost = 0;
	lm->host[id] = (uint32_t)++e->njl;
	const char *cur = v[FC_BILLING_CURRENCY];
	if (cur && strcmp(e->currency, "mixed") != 0) {
		if (!e->currency[0])
			snprintf(e->currency, sizeof e->currency, "%s", cur);
		else if (strcmp(e->currency, cur) != 0)
			strcpy(e->currency, "mixed");
	}
	return 0;
}

static size_t hostday(struct eng *e, uint32_t host, int32_t day, int create)
{
	uint32_t k[2] = { host, (uint32_t)day }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&e->hd_ids, k, sizeof k, h, &id))
		return id;
	if (!create)
		return SIZE_MAX;
	e->hd = xrealloc(e->hd, (e->nhd + 1) * sizeof *e->hd);
	memset(&e->hd[e->nhd], 0, sizeof e->hd[0]);
	dict_put(&e->hd_ids, k, sizeof k, h, (uint32_t)e->nhd);
	return e->nhd++;
}

static int on_cost(void *arg, int32_t day, uint32_t line, money_t v)
{
	struct eng *e = ((void **)arg)[0];
	struct line_map *lm = ((void **)arg)[1];
	if (line >= lm->n || !lm->host[line])
		return 0;
	struct jline *j = &e->jl[lm->host[line] - 1];
	size_t i = hostday(e, j->host, day, 1);
	if (money_add(&e->hd[i].cost, v) < 0 || money_add(&j->cost, v) < 0)
		return error("GPU cost: money overflow");
	return 0;
}

static int on_row(void *arg, const struct gpu_daily_rec *r)
{
	struct eng *e = arg;
	if (r->device_id >= e->ndevs || r->labels_id >= e->nlbls)
		return 0;
	if ((e->nrows & (e->nrows - 1)) == 0)
		e->rows = xrealloc(e->rows, (e->nrows ? e->nrows * 2 : 64) * sizeof *e->rows);
	e->rows[e->nrows++] = *r;
	if (r->day < e->min_day)
		e->min_day = r->day;
	if (r->day > e->max_day)
		e->max_day = r->day;
	return 0;
}

static size_t devday(struct eng *e, uint32_t dev, int32_t day, int *fresh)
{
	uint32_t k[2] = { dev, (uint32_t)day }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	*fresh = 0;
	if (dict_get(&e->dd_ids, k, sizeof k, h, &id))
		return id;
	if ((e->ndd & (e->ndd - 1)) == 0)
		e->dd = xrealloc(e->dd, (e->ndd ? e->ndd * 2 : 64) * sizeof *e->dd);
	memset(&e->dd[e->ndd], 0, sizeof e->dd[0]);
	dict_put(&e->dd_ids, k, sizeof k, h, (uint32_t)e->ndd);
	*fresh = 1;
	return e->ndd++;
}

/* ---- values of a (device, label set) --------------------------------------------- */

struct kv { const char *k, *v; };
static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static const char *gdim_value(struct eng *e, const struct gdim *d, uint32_t dev, uint32_t lbl,
			      const struct alloc_line *l, char *tmp)
{
	const struct dev *dv = &e->devs[dev];
	const struct lbl *lb = &e->lbls[lbl];
	switch (d->kind) {
	case GD_HOST: return e->hosts[dv->host].name;
	case GD_GPU: return dv->uuid[0] ? dv->uuid : (sprintf(tmp, "%d", dv->idx), tmp);
	case GD_INDEX: return dv->idx < 0 ? "" : (sprintf(tmp, "%d", dv->idx), tmp);
	case GD_MODEL: return dv->model;
	case GD_POD: return lb->pod;
	case GD_NS: return lb->ns;
	case GD_CT: return lb->ct;
	default: break;
	}
	switch (d->rd.kind) {
	case DK_COLUMN: return l->vals[d->rd.id];
	case DK_TAG: return tags_find(l->tag_keys, l->tag_vals, l->ntags, d->rd.key);
	case DK_ALLOC: return alloc_eval(e->cfg, d->rd.id, l, NULL);
	case DK_SPEND: return "gpu";   /* telemetry is GPU time, whatever the bill line says */
	default: return NULL;
	}
}

/* gid + 1 of a (device, labels) combination, 0 when --where filters it out. */
static uint32_t combo(struct eng *e, uint32_t dev, uint32_t lbl)
{
	uint32_t k[2] = { dev, lbl }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&e->combo_ids, k, sizeof k, h, &id))
		return id;
	const struct dev *dv = &e->devs[dev];
	const struct lbl *lb = &e->lbls[lbl];
	const struct host *ho = &e->hosts[dv->host];
	struct alloc_line l;
	const char *vals[FC__COUNT];
	memset(vals, 0, sizeof vals);
	if (ho->line)
		store_line_split(ho->vals, ho->nvals, &e->vbuf, &e->vcap, vals);
	memcpy(l.vals, vals, sizeof vals);
	/* Tags: the joined line's, with the telemetry labels added (labels win). */
	const struct tagset *ts = ho->line && ho->tagset < e->ntagsets ? &e->tagsets[ho->tagset] : NULL;
	size_t nt = ts ? ts->n : 0, m = 0;
	struct kv *kv = xcalloc(nt + 5, sizeof *kv);
	const struct kv lab[] = { { "container", lb->ct }, { "gpu_model", dv->model }, { "host", ho->name },
				  { "namespace", lb->ns }, { "pod", lb->pod } };
	for (size_t i = 0; i < nt; i++) {
		int over = 0;
		for (size_t j = 0; j < 5; j++)
			over |= lab[j].v[0] && !strcmp(lab[j].k, ts->keys[i]);
		if (!over)
			kv[m++] = (struct kv){ ts->keys[i], ts->vals[i] };
	}
	for (size_t j = 0; j < 5; j++)
		if (lab[j].v[0])
			kv[m++] = lab[j];
	qsort(kv, m, sizeof *kv, kv_cmp);
	const char **keys = xcalloc(m + 1, sizeof *keys), **tv = xcalloc(m + 1, sizeof *tv);
	for (size_t i = 0; i < m; i++)
		keys[i] = kv[i].k, tv[i] = kv[i].v;
	l.tag_keys = keys;
	l.tag_vals = tv;
	l.ntags = m;
	uint32_t out = 0;
	char tmp[32];
	for (size_t w = 0; w < e->q->nwhere; w++) {
		const char *v = gdim_value(e, &e->where[w], dev, lbl, &l, tmp);
		if (!v || strcmp(v, e->where[w].value) != 0)
			goto done;
	}
	size_t kcap = 256, kn = 0;
	char *kb = xmalloc(kcap);
	const char **cur = xcalloc(e->q->nby + 1, sizeof *cur);
	for (size_t d = 0; d < e->q->nby; d++) {
		if (is_time(&e->dims[d]))
			continue;
		const char *v = gdim_value(e, &e->dims[d], dev, lbl, &l, tmp);
		cur[d] = intern(e, v ? v : "");
		size_t vn = strlen(cur[d]);
		if (kn + vn + 2 > kcap)
			kb = xrealloc(kb, kcap = (kn + vn + 2) * 2);
		memcpy(kb + kn, cur[d], vn);
		kn += vn;
		kb[kn++] = 0x1f;
	}
	uint64_t gh = hash_bytes(kb, kn);
	uint32_t gid;
	if (!dict_get(&e->group_ids, kb, kn, gh, &gid)) {
		gid = (uint32_t)e->ngroups;
		dict_put(&e->group_ids, kb, kn, gh, gid);
		e->group_vals = xrealloc(e->group_vals, (e->ngroups + 1) * sizeof *e->group_vals);
		e->group_vals[e->ngroups++] = cur;
		cur = NULL;
	}
	free(cur);
	free(kb);
	out = gid + 1;
done:
	free(kv);
	free(keys);
	free(tv);
	dict_put(&e->combo_ids, k, sizeof k, h, out);
	return out;
}

/* ---- cells ---------------------------------------------------------------------- */

static int32_t bucket_of(const struct eng *e, int32_t day)
{
	if (e->time_dim < 0)
		return 0;
	switch (e->dims[e->time_dim].rd.kind) {
	case DK_WEEK: return day - (int32_t)((((int64_t)day + 3) % 7 + 7) % 7);
	case DK_MONTH: {
		int y, m, d;
		day_to_ymd(day, &y, &m, &d);
		return (int32_t)ymd_to_day(y, m, 1);
	}
	default: return day;
	}
}

static struct cell *cell_get(struct eng *e, uint32_t gid, int32_t b)
{
	uint32_t k[2] = { gid, (uint32_t)b }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&e->cell_ids, k, sizeof k, h, &id))
		return &e->cells[id];
	if ((e->ncells & (e->ncells - 1)) == 0)
		e->cells = xrealloc(e->cells, (e->ncells ? e->ncells * 2 : 16) * sizeof *e->cells);
	struct cell *c = &e->cells[e->ncells];
	memset(c, 0, sizeof *c);
	c->gid = gid;
	c->bucket = b;
	dict_put(&e->cell_ids, k, sizeof k, h, (uint32_t)e->ncells);
	return &e->cells[e->ncells++];
}

/*
 * a * num / den rounded half-even, as money_muldiv, with a 128-bit fast path:
 * here den is a count of GPUs or milliseconds, so a * num nearly always fits,
 * and the 256-bit path was most of the query time.
 */
static money_t muldiv(money_t a, int64_t num, int64_t den)
{
	money_t p, out = 0;
	if (den <= 0)
		return 0;
	if (__builtin_mul_overflow(a, (money_t)num, &p)) {
		money_muldiv(a, (money_t)num, (money_t)den, &out);
		return out;
	}
	money_t q = p / den, r = p % den;
	if (r != 0) {
		money_t ar = r < 0 ? -r : r;
		if (2 * ar > den || (2 * ar == den && (q & 1)))
			q += p < 0 ? -1 : 1;
	}
	return q;
}

/* Exact part from..to of total over n: consecutive parts add up to the total. */
static money_t part(money_t total, int64_t from, int64_t to, int64_t n)
{
	if (n <= 0)
		return 0;
	return muldiv(total, to, n) - muldiv(total, from, n);
}

static int64_t hist_ms(const uint32_t *h, double below)
{
	int64_t s = 0;
	for (int b = 0; b < GPU_HIST_BINS && b + 1 <= below; b++)
		s += h[b];
	return s;
}

static void fill_row(struct gpu_row *r, const struct cell *c, double thr)
{
	uint64_t tot = 0, idle = 0;
	for (int b = 0; b < GPU_HIST_BINS; b++) {
		tot += c->hist[b];
		if (b + 1 <= thr)
			idle += c->hist[b];
	}
	r->gpu_hours = c->cov_s / 3600;
	r->avg_util = c->cov_s > 0 ? c->util_s / c->cov_s : 0;
	r->max_util = c->util_max;
	r->p95_util = 0;
	if (tot) {
		uint64_t cum = 0;
		for (int b = 0; b < GPU_HIST_BINS; b++) {
			cum += c->hist[b];
			if ((double)cum >= 0.95 * (double)tot) {
				r->p95_util = b;
				break;
			}
		}
	}
	r->idle_hours = tot ? (double)idle / 3.6e6 : 0;
	/* Hours from the histogram are milliseconds: keep idle <= covered exactly in the output. */
	if (r->idle_hours > r->gpu_hours)
		r->idle_hours = r->gpu_hours;
	r->useful_hours = r->gpu_hours - r->idle_hours;
	r->mem_headroom = c->mem_used_s + c->mem_free_s > 0 ? 100 * c->mem_free_s / (c->mem_used_s + c->mem_free_s) : -1;
	r->energy_kwh = c->energy_j / 3.6e6;
	r->avg_power_w = c->power_s > 0 ? c->power_j / c->power_s : -1;
	r->cost = c->cost;
	r->idle_cost = c->idle_cost;
	r->gpus = c->gpus;
	uint64_t useful_ms = tot - idle;
	r->has_cpugh = useful_ms > 0;
	r->cost_per_useful_gpu_hour = 0;
	if (useful_ms)
		money_muldiv(c->cost, (money_t)3600000, (money_t)useful_ms, &r->cost_per_useful_gpu_hour);
}

static void cell_add(struct cell *t, const struct cell *c)
{
	t->cov_s += c->cov_s;
	t->util_s += c->util_s;
	if (c->util_max > t->util_max)
		t->util_max = c->util_max;
	t->mem_used_s += c->mem_used_s;
	t->mem_free_s += c->mem_free_s;
	t->energy_j += c->energy_j;
	t->power_j += c->power_j;
	t->power_s += c->power_s;
	for (int b = 0; b < GPU_HIST_BINS; b++)
		t->hist[b] += c->hist[b];
	t->cost += c->cost;
	t->idle_cost += c->idle_cost;
}

struct sort_ctx { struct eng *e; struct gpu_result *res; };

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct gpu_row *x = &sc->res->rows[*(const size_t *)a], *y = &sc->res->rows[*(const size_t *)b];
	if (sc->e->time_dim >= 0) {
		int c = strcmp(x->vals[sc->e->time_dim], y->vals[sc->e->time_dim]);
		if (c)
			return c;
	}
	if (x->cost != y->cost)
		return x->cost > y->cost ? -1 : 1;
	if (x->gpu_hours != y->gpu_hours)
		return x->gpu_hours > y->gpu_hours ? -1 : 1;
	for (size_t d = 0; d < sc->res->nby; d++) {
		int c = strcmp(x->vals[d], y->vals[d]);
		if (c)
			return c;
	}
	return 0;
}

int gpu_query_run(struct store *st, const struct config *cfg, const struct gpu_query *q, struct gpu_result *res)
{
	struct eng *e = xcalloc(1, sizeof *e);
	struct line_map lm = { 0 };
	void *pair[2] = { e, &lm };
	int rc = -1;
	memset(res, 0, sizeof *res);
	res->priv = e;
	e->cfg = cfg;
	e->q = q;
	e->time_dim = -1;
	e->min_day = INT32_MAX;
	e->max_day = INT32_MIN;
	dict_init(&e->host_ids);
	dict_init(&e->res_ids);
	dict_init(&e->hd_ids);
	dict_init(&e->dd_ids);
	dict_init(&e->combo_ids);
	dict_init(&e->group_ids);
	dict_init(&e->cell_ids);
	dict_init(&e->cellgpu);
	strpool_init(&e->strs);
	e->dims = xcalloc(q->nby + 1, sizeof *e->dims);
	e->where = xcalloc(q->nwhere + 1, sizeof *e->where);
	res->nby = q->nby;
	res->by = xcalloc(q->nby + 1, sizeof *res->by);
	for (size_t d = 0; d < q->nby; d++) {
		if (dim_parse(cfg, q->by[d], &e->dims[d]) < 0)
			goto out;
		res->by[d] = xstrdup(q->by[d]);
		if (is_time(&e->dims[d])) {
			if (e->time_dim >= 0) {
				error("only one of day, week, month can be a dimension");
				goto out;
			}
			e->time_dim = (int)d;
		}
	}
	for (size_t w = 0; w < q->nwhere; w++) {
		const char *eq = strchr(q->where[w], '=');
		if (!eq) {
			error("--where: '%s' is not DIM=VALUE", q->where[w]);
			goto out;
		}
		char *name = xstrndup(q->where[w], (size_t)(eq - q->where[w]));
		const char *nm = intern(e, name);
		free(name);
		if (dim_parse(cfg, nm, &e->where[w]) < 0)
			goto out;
		if (is_time(&e->where[w])) {
			error("--where: use --from/--to for time");
			goto out;
		}
		e->where[w].value = eq + 1;
	}
	int32_t from = q->from_day < INT32_MIN ? INT32_MIN : (int32_t)q->from_day;
	int32_t to = q->to_day > INT32_MAX ? INT32_MAX : (int32_t)q->to_day;
	if (st->ops->gpu_device_scan(st, on_dev, e) < 0 || st->ops->gpu_labels_scan(st, on_lbl, e) < 0)
		goto out;
	for (size_t i = 0; i < cfg->nhosts; i++) {
		char k[1024], hk[512];
		size_t kn = lower(cfg->host_resources[i], k, sizeof k), hn = lower(cfg->host_names[i], hk, sizeof hk);
		uint32_t hi;
		if (!dict_get(&e->host_ids, hk, hn, hash_bytes(hk, hn), &hi))
			continue;
		uint64_t h = hash_bytes(k, kn);
		uint32_t old;
		if (!dict_get(&e->res_ids, k, kn, h, &old))
			dict_put(&e->res_ids, k, kn, h, hi);
	}
	res->hosts = (uint32_t)e->nhosts;
	if (e->nhosts) {
		if (st->ops->tagset_scan(st, on_tagset, e) < 0 || st->ops->line_scan(st, on_line, pair) < 0 ||
		    st->ops->daily_scan(st, from, to, q->amount, on_cost, pair) < 0)
			goto out;
		/* Each host's joined line: its costliest line in the range (the first one on ties). */
		money_t *best = xcalloc(e->nhosts + 1, sizeof *best);
		for (size_t k = 0; k < e->njl; k++) {
			const struct jline *j = &e->jl[k];
			struct host *ho = &e->hosts[j->host];
			money_t c = j->cost < 0 ? -j->cost : j->cost;
			if (!ho->line || c > best[j->host]) {
				best[j->host] = c;
				ho->line = j->id;
				ho->tagset = j->tagset;
				ho->vals = j->vals;
				ho->nvals = j->n;
			}
		}
		free(best);
		for (size_t h = 0; h < e->nhosts; h++)
			res->hosts_joined += e->hosts[h].line != 0;
	}
	if (st->ops->gpu_daily_scan(st, from, to, -1, on_row, e) < 0)
		goto out;
	/* Pass 1: GPUs per host-day (each gets its ordinal), covered time per GPU-day. */
	uint32_t *row_dd = xcalloc(e->nrows + 1, sizeof *row_dd);
	for (size_t i = 0; i < e->nrows; i++) {
		const struct gpu_daily_rec *r = &e->rows[i];
		int fresh;
		size_t dd = devday(e, r->device_id, r->day, &fresh);
		row_dd[i] = (uint32_t)dd;
		if (fresh) {
			size_t hd = hostday(e, (uint32_t)e->devs[r->device_id].host, r->day, 1);
			e->dd[dd].ord = e->hd[hd].ngpus++;
			e->dd[dd].hd = (uint32_t)hd;
			e->hd[hd].used = 1;
		}
		e->dd[dd].cov_ms += (int64_t)llround(r->covered_s * 1000);
		e->dd[dd].nrows++;
	}
	/* Pass 2: cost of each rollup, then into its cell. */
	uint32_t total_gpus = 0;
	for (size_t i = 0; i < e->nrows; i++) {
		const struct gpu_daily_rec *r = &e->rows[i];
		struct devday *dd = &e->dd[row_dd[i]];
		struct hostday *hd = &e->hd[dd->hd];
		money_t dev_cost = part(hd->cost, dd->ord, dd->ord + 1, hd->ngpus), cost;
		int64_t cov = (int64_t)llround(r->covered_s * 1000);
		if (dd->cov_ms > 0) {
			cost = part(dev_cost, dd->cum_ms, dd->cum_ms + cov, dd->cov_ms);
			dd->cum_ms += cov;
		} else {
			cost = part(dev_cost, dd->cum_rows, dd->cum_rows + 1, dd->nrows);
		}
		dd->cum_rows++;
		uint32_t g = combo(e, r->device_id, r->labels_id);
		if (!g)
			continue;
		struct cell *c = cell_get(e, g - 1, bucket_of(e, r->day));
		int64_t tot = hist_ms(r->hist, 101), idle = hist_ms(r->hist, q->idle_threshold);
		money_t ic = tot > 0 ? muldiv(cost, idle, tot) : 0;
		c->cov_s += r->covered_s;
		c->util_s += r->util_s;
		if (r->util_max > c->util_max)
			c->util_max = r->util_max;
		c->mem_used_s += r->mem_used_s;
		c->mem_free_s += r->mem_free_s;
		c->energy_j += r->energy_mj > 0 ? r->energy_mj / 1000 : r->power_j;
		c->power_j += r->power_j;
		c->power_s += r->power_s;
		for (int b = 0; b < GPU_HIST_BINS; b++)
			c->hist[b] += r->hist[b];
		c->cost += cost;
		c->idle_cost += ic;
		uint32_t ck[2] = { (uint32_t)(c - e->cells), r->device_id }, dummy;
		uint64_t h = hash_bytes(ck, sizeof ck);
		if (!dict_get(&e->cellgpu, ck, sizeof ck, h, &dummy)) {
			dict_put(&e->cellgpu, ck, sizeof ck, h, 1);
			c->gpus++;
		}
		ck[0] = UINT32_MAX;     /* distinct GPUs of the total */
		h = hash_bytes(ck, sizeof ck);
		if (!dict_get(&e->cellgpu, ck, sizeof ck, h, &dummy)) {
			dict_put(&e->cellgpu, ck, sizeof ck, h, 1);
			total_gpus++;
		}
	}
	free(row_dd);
	for (size_t i = 0; i < e->nhd; i++)
		if (!e->hd[i].used)
			res->unmatched_cost += e->hd[i].cost;
	/* Rows. */
	struct cell total;
	memset(&total, 0, sizeof total);
	struct gpu_row *rows = xcalloc(e->ncells + 1, sizeof *rows);
	for (size_t i = 0; i < e->ncells; i++) {
		const struct cell *c = &e->cells[i];
		struct gpu_row *r = &rows[i];
		fill_row(r, c, q->idle_threshold);
		r->vals = xcalloc(q->nby + 1, sizeof *r->vals);
		for (size_t d = 0; d < q->nby; d++)
			r->vals[d] = e->group_vals[c->gid][d];
		if (e->time_dim >= 0) {
			char b[11];
			format_day(c->bucket, b);
			if (e->dims[e->time_dim].rd.kind == DK_MONTH)
				b[7] = 0;
			r->vals[e->time_dim] = intern(e, b);
		}
		cell_add(&total, c);
	}
	fill_row(&res->total, &total, q->idle_threshold);
	res->total.gpus = total_gpus;
	size_t *ord = xcalloc(e->ncells + 1, sizeof *ord);
	for (size_t i = 0; i < e->ncells; i++)
		ord[i] = i;
	res->rows = rows;
	res->nrows = e->ncells;
	struct sort_ctx sc = { e, res };
	qsort_r(ord, e->ncells, sizeof *ord, row_cmp, &sc);
	struct gpu_row *sorted = xcalloc(e->ncells + 1, sizeof *sorted);
	for (size_t i = 0; i < e->ncells; i++)
		sorted[i] = rows[ord[i]];
	free(rows);
	free(ord);
	res->rows = sorted;
	snprintf(res->currency, sizeof res->currency, "%s", e->currency);
	res->from_day = e->min_day;
	res->to_day = e->max_day;
	rc = 0;
out:
	free(lm.host);
	if (rc < 0)
		gpu_query_release(res);
	return rc;
}

void gpu_query_release(struct gpu_result *res)
{
	struct eng *e = res->priv;
	for (size_t i = 0; i < res->nrows; i++)
		free(res->rows[i].vals);
	free(res->rows);
	for (size_t d = 0; d < res->nby; d++)
		free(res->by ? res->by[d] : NULL);
	free(res->by);
	if (e) {
		for (size_t i = 0; i < e->ndevs; i++)
			free(e->devs[i].uuid), free(e->devs[i].model);
		free(e->devs);
		for (size_t i = 0; i < e->nlbls; i++)
			free(e->lbls[i].pod), free(e->lbls[i].ns), free(e->lbls[i].ct);
		free(e->lbls);
		for (size_t i = 0; i < e->nhosts; i++)
			free(e->hosts[i].name);
		free(e->hosts);
		for (size_t i = 0; i < e->njl; i++)
			free(e->jl[i].vals);
		free(e->jl);
		for (size_t i = 0; i < e->ntagsets; i++)
			tagset_release(&e->tagsets[i]);
		free(e->tagsets);
		free(e->hd);
		free(e->dd);
		free(e->rows);
		for (size_t i = 0; i < e->ngroups; i++)
			free(e->group_vals[i]);
		free(e->group_vals);
		free(e->cells);
		free(e->vbuf);
		free(e->dims);
		free(e->where);
		dict_release(&e->host_ids);
		dict_release(&e->res_ids);
		dict_release(&e->hd_ids);
		dict_release(&e->dd_ids);
		dict_release(&e->combo_ids);
		dict_release(&e->group_ids);
		dict_release(&e->cell_ids);
		dict_release(&e->cellgpu);
		strpool_release(&e->strs);
		free(e);
	}
	memset(res, 0, sizeof *res);
}
