/*
 * anomalies.c - ledger anomalies; see anomalies.h and docs/anomalies.md.
 *
 * Chapters: settings (the `anomalies:` config section), detection on the
 * recurring daily series of each scope, one-time charges, drivers.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/anomalies.h"
#include "core/config.h"
#include "store/store.h"
#include "util/err.h"

/* ---- settings ------------------------------------------------------------ */

static int num(const struct config *cfg, const struct cfg_node *n, const char *key, double lo, double *out)
{
	char *end;
	if (n->type != CN_SCALAR)
		return error("%s:%d:%d: anomalies.%s: expected a number", cfg->path, n->line, n->col, key);
	errno = 0;
	double v = strtod(n->str, &end);
	if (end == n->str || *end || errno || !isfinite(v) || v < lo)
		return error("%s:%d:%d: anomalies.%s: '%s' is not a number >= %g", cfg->path, n->line, n->col, key,
			     n->str, lo);
	*out = v;
	return 0;
}

int anomaly_settings_load(const struct config *cfg, struct anomaly_settings *s)
{
	memset(s, 0, sizeof *s);
	s->min_impact = 50;
	s->min_pct = 20;
	s->threshold = 4.5;
	s->direction = 1;
	s->drivers[0] = "ResourceId";
	s->drivers[1] = "SkuMeter";
	s->drivers[2] = "ServiceName";
	s->ndrivers = 3;
	/* The team, when the config allocates one, is the most useful driver of all. */
	int team = alloc_dim_find(cfg, "team");
	if (team >= 0 && cfg->dims[team].configured)
		s->drivers[s->ndrivers++] = "team";
	const struct cfg_node *sec = cfg_node_get(&cfg->root, "anomalies");
	if (!sec || sec->type == CN_NULL)
		return 0;
	if (sec->type != CN_MAP)
		return error("%s:%d:%d: anomalies: expected a mapping", cfg->path, sec->line, sec->col);
	for (size_t i = 0; i < sec->n; i++) {
		const struct cfg_node *k = &sec->items[2 * i], *v = &sec->items[2 * i + 1];
		const char *key = k->str ? k->str : "";
		if (!strcmp(key, "min_impact")) {
			if (num(cfg, v, key, 0, &s->min_impact) < 0)
				return -1;
		} else if (!strcmp(key, "min_pct")) {
			if (num(cfg, v, key, 0, &s->min_pct) < 0)
				return -1;
		} else if (!strcmp(key, "threshold")) {
			if (num(cfg, v, key, 0.5, &s->threshold) < 0)
				return -1;
		} else if (!strcmp(key, "sensitivity")) {
			const char *x = v->type == CN_SCALAR ? v->str : "";
			if (!strcmp(x, "low"))
				s->threshold = 6;
			else if (!strcmp(x, "medium"))
				s->threshold = 4.5;
			else if (!strcmp(x, "high"))
				s->threshold = 3.5;
			else
				return error("%s:%d:%d: anomalies.sensitivity: '%s' is not one of low, medium, high",
					     cfg->path, v->line, v->col, x);
		} else if (!strcmp(key, "direction")) {
			const char *x = v->type == CN_SCALAR ? v->str : "";
			if (!strcmp(x, "up"))
				s->direction = 1;
			else if (!strcmp(x, "down"))
				s->direction = -1;
			else if (!strcmp(x, "both"))
				s->direction = 0;
			else
				return error("%s:%d:%d: anomalies.direction: '%s' is not one of up, down, both",
					     cfg->path, v->line, v->col, x);
		} else if (!strcmp(key, "drivers")) {
			s->ndrivers = 0;
			size_t cnt = v->type == CN_SEQ ? v->n : 1;
			for (size_t j = 0; j < cnt; j++) {
				const struct cfg_node *it = v->type == CN_SEQ ? &v->items[j] : v;
				if (it->type != CN_SCALAR || !it->str[0])
					return error("%s:%d:%d: anomalies.drivers: expected dimension names", cfg->path,
						     it->line, it->col);
				if (s->ndrivers == 8)
					return error("%s:%d:%d: anomalies.drivers: at most 8", cfg->path, it->line, it->col);
				s->drivers[s->ndrivers++] = it->str;
			}
		} else {
			warning("%s:%d:%d: anomalies.%s: unknown key (ignored)", cfg->path, k->line, k->col, key);
		}
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

struct priv {
	struct series_set *drv;      /* one per driver dimension used */
	size_t ndrv;
};

static void push(struct anomaly_result *res, size_t *cap, const struct anomaly *a)
{
	if (res->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		res->a = xrealloc(res->a, *cap * sizeof *res->a);
	}
	res->a[res->n++] = *a;
}

static int touches(const struct anomaly_query *q, int64_t s, int64_t e)
{
	return e >= q->only_from && s <= q->only_to;
}

static int anom_cmp(const void *a, const void *b)
{
	const struct anomaly *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	double ix = fabs(x->impact), iy = fabs(y->impact);
	return (ix < iy) - (ix > iy);
}

/* ---- drivers ------------------------------------------------------------- */

struct cand {
	const char *value;
	double d;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return (x->d < y->d) - (x->d > y->d);
}

/*
 * For each driver dimension, the values whose own change explains the
 * event: largest change in the event's direction first, until 80% of the
 * event's impact is covered (at most 3 per dimension).
 */
static void attribute(const struct series_set *drv, const char *dimname, const struct series_set *top,
		      struct anomaly *a, double *buf, const size_t *kids, size_t nkids)
{
	size_t nd = top->ndims;
	int sign = a->impact >= 0 ? 1 : -1;
	struct cand *c = NULL;
	size_t nc = 0, cap = 0;
	size_t s0 = (size_t)(a->start - drv->from_day), s1 = (size_t)(a->end - drv->from_day);
	for (size_t ki = 0; ki < nkids; ki++) {
		size_t k = kids[ki];
		for (size_t t = 0; t < drv->ndays; t++)
			buf[t] = money_to_double(drv->amt[k * drv->ndays + t]);
		double delta = ad_child_delta(buf, drv->ndays, s0, s1, 7, 4) * sign;
		if (delta <= 0 || !drv->vals[k * drv->ndims + nd][0])   /* a null value explains nothing */
			continue;
		if (nc == cap) {
			cap = cap ? 2 * cap : 16;
			c = xrealloc(c, cap * sizeof *c);
		}
		c[nc++] = (struct cand){ drv->vals[k * drv->ndims + nd], delta };
	}
	if (nc > 1)
		qsort(c, nc, sizeof *c, cand_cmp);
	double covered = 0, want = 0.8 * fabs(a->impact);
	for (size_t i = 0; i < nc && i < 3 && a->ndrivers < 8; i++) {
		a->drivers[a->ndrivers++] = (struct anomaly_driver){ dimname, c[i].value, c[i].d * sign };
		covered += c[i].d;
		if (covered >= want)
			break;
	}
	free(c);
}

/* ---- the run ------------------------------------------------------------- */

int anomalies_run(struct store *st, const struct config *cfg, const struct anomaly_query *q,
		  const struct anomaly_settings *set, struct anomaly_result *res)
{
	memset(res, 0, sizeof *res);
	struct priv *pv = xcalloc(1, sizeof *pv);
	res->priv = pv;
	struct series_set *s = &res->series;
	if (series_build(st, cfg, &q->base, q->dims, q->ndims, s) < 0)
		return -1;
	size_t n = s->ndays, cap = 0;
	double *y = xmalloc((n + 1) * sizeof *y), *ex = xmalloc((n + 1) * sizeof *ex), *sc = xmalloc((n + 1) * sizeof *sc);
	struct ad_opts o = { .period = 7, .threshold = set->threshold, .direction = set->direction,
			     .min_impact = set->min_impact, .min_pct = set->min_pct / 100.0 };
	for (size_t k = 0; k < s->nscopes; k++) {
		for (size_t t = 0; t < n; t++)
			y[t] = money_to_double(s->amt[k * n + t]);
		ad_score(y, n, &o, ex, sc);
		struct ad_event *ev;
		size_t ne = ad_events(y, n, ex, sc, &o, 0, &ev);
		for (size_t i = 0; i < ne; i++) {
			struct anomaly a = { 0 };
			a.kind = ev[i].impact >= 0 ? "spike" : "drop";
			a.start = s->from_day + (int64_t)ev[i].start;
			a.end = s->from_day + (int64_t)ev[i].end;
			if (!touches(q, a.start, a.end))
				continue;
			a.scope = k;
			a.expected = ev[i].expected;
			for (size_t t = ev[i].start; t <= ev[i].end; t++)
				a.actual += s->amt[k * n + t];
			a.impact = money_to_double(a.actual) - a.expected;
			a.score = ev[i].score;
			push(res, &cap, &a);
		}
		free(ev);
	}

	/*
	 * One-time charges: each (scope, category, day) against the previous
	 * charge of the same category and scope; a first-ever purchase has an
	 * expected 0. Monthly tax that tracks spend stays under the gates.
	 */
	for (size_t i = 0; i < s->not; i++) {
		const struct series_onetime *c = &s->ot[i];
		double prev = 0;
		if (i > 0 && s->ot[i - 1].scope == c->scope && !strcmp(s->ot[i - 1].category, c->category))
			prev = money_to_double(s->ot[i - 1].amount);
		double act = money_to_double(c->amount), imp = act - prev;
		if (imp == 0 || fabs(imp) < set->min_impact || (prev != 0 && fabs(imp) < set->min_pct / 100.0 * fabs(prev)))
			continue;
		if ((set->direction > 0 && imp < 0) || (set->direction < 0 && imp > 0))
			continue;
		if (!touches(q, c->day, c->day))
			continue;
		struct anomaly a = { .kind = "one-time", .start = c->day, .end = c->day, .scope = c->scope,
				     .expected = prev, .actual = c->amount, .impact = imp, .category = c->category };
		a.score = prev != 0 ? fabs(imp / prev) : 0;
		push(res, &cap, &a);
	}

	/* Drivers: one series set per driver dimension that is not already a scope dimension. */
	if (res->n && set->ndrivers) {
		pv->drv = xcalloc(set->ndrivers, sizeof *pv->drv);
		for (size_t d = 0; d < set->ndrivers; d++) {
			int dup = 0;
			for (size_t j = 0; j < q->ndims; j++)
				dup |= !strcmp(q->dims[j], set->drivers[d]);
			if (dup)
				continue;
			const char **dims = xcalloc(q->ndims + 1, sizeof *dims);
			for (size_t j = 0; j < q->ndims; j++)
				dims[j] = q->dims[j];
			dims[q->ndims] = set->drivers[d];
			struct series_set *ds = &pv->drv[pv->ndrv++];
			int rc = series_build(st, cfg, &q->base, dims, q->ndims + 1, ds);
			ds->dims = NULL;   /* dims is freed below; the set keeps only interned values */
			free(dims);
			if (rc < 0) {
				free(y), free(ex), free(sc);
				return -1;
			}
			if (ds->ndays != n || ds->from_day != s->from_day)
				continue;
			/* Children grouped by parent scope (counting sort), so each anomaly reads only its own. */
			size_t *start = xcalloc(s->nscopes + 2, sizeof *start), *kids = xmalloc((ds->nscopes + 1) * sizeof *kids);
			long *parent = xmalloc((ds->nscopes + 1) * sizeof *parent);
			for (size_t k = 0; k < ds->nscopes; k++) {
				parent[k] = series_find(s, ds->vals + k * ds->ndims);
				if (parent[k] >= 0)
					start[parent[k] + 1]++;
			}
			for (size_t k = 0; k < s->nscopes; k++)
				start[k + 1] += start[k];
			size_t *fill = xmalloc((s->nscopes + 1) * sizeof *fill);
			memcpy(fill, start, (s->nscopes + 1) * sizeof *fill);
			for (size_t k = 0; k < ds->nscopes; k++)
				if (parent[k] >= 0)
					kids[fill[parent[k]]++] = k;
			for (size_t i = 0; i < res->n; i++)
				if (strcmp(res->a[i].kind, "one-time")) {
					size_t sc0 = res->a[i].scope;
					attribute(ds, set->drivers[d], s, &res->a[i], y, kids + start[sc0], start[sc0 + 1] - start[sc0]);
				}
			free(start);
			free(kids);
			free(parent);
			free(fill);
		}
	}
	free(y);
	free(ex);
	free(sc);
	if (res->n)
		qsort(res->a, res->n, sizeof *res->a, anom_cmp);
	return 0;
}

void anomalies_release(struct anomaly_result *res)
{
	struct priv *pv = res->priv;
	if (pv) {
		for (size_t i = 0; i < pv->ndrv; i++)
			series_release(&pv->drv[i]);
		free(pv->drv);
		free(pv);
	}
	series_release(&res->series);
	free(res->a);
	memset(res, 0, sizeof *res);
}

/* ---- incremental --------------------------------------------------------- */

struct newest {
	int64_t batch, from, to;
	int any;
};

static int on_source(void *arg, const struct source_rec *r)
{
	struct newest *nw = arg;
	if (strcmp(r->kind, "focus") || r->rows_accepted == 0)
		return 0;
	if (!nw->any || r->batch > nw->batch) {
		nw->any = 1;
		nw->batch = r->batch;
		nw->from = r->min_day;
		nw->to = r->max_day;
	} else if (r->batch == nw->batch) {
		nw->from = r->min_day < nw->from ? r->min_day : nw->from;
		nw->to = r->max_day > nw->to ? r->max_day : nw->to;
	}
	return 0;
}

int anomalies_newest_batch(struct store *st, int64_t *from, int64_t *to)
{
	struct newest nw = { 0 };
	if (st->ops->source_scan(st, on_source, &nw) < 0)
		return -1;
	*from = nw.from;
	*to = nw.to;
	return nw.any;
}
