/*
 * report.c - the cost query engine; see report.h.
 *
 * Chapters: dimension names, per-line allocation (one pass over the line
 * dictionary), the daily scan into (group, bucket) cells, shared-cost
 * redistribution, and rows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/config.h"
#include "core/report.h"
#include "core/spend.h"
#include "core/tags.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

/* ---- dimension names ------------------------------------------------------ */

int report_dim_parse(const struct config *cfg, const char *name, struct report_dim *out)
{
	memset(out, 0, sizeof *out);
	out->name = name;
	if (strncmp(name, "tag:", 4) == 0) {
		if (!name[4])
			return error("dimension 'tag:' needs a tag key (tag:team)");
		out->kind = DK_TAG;
		out->key = name + 4;
		return 0;
	}
	if (!strcmp(name, "day") || !strcmp(name, "week") || !strcmp(name, "month")) {
		out->kind = name[0] == 'd' ? DK_DAY : name[0] == 'w' ? DK_WEEK : DK_MONTH;
		return 0;
	}
	int d = alloc_dim_find(cfg, name);
	if (d >= 0) {
		out->kind = DK_ALLOC;
		out->id = d;
		return 0;
	}
	if (!strcmp(name, "spend")) {
		out->kind = DK_SPEND;   /* built in: tokens | gpu | cloud (core/spend.h) */
		return 0;
	}
	int how = 0, c = focus_col_lookup(name, strlen(name), &how);
	if (c >= 0 && (focus_columns[c].role == FR_KEY)) {
		out->kind = DK_COLUMN;
		out->id = c;
		return 0;
	}
	if (c >= 0)
		return error("'%s' is a per-row FOCUS column, not a dimension (use day/week/month for time)", name);
	return error("'%s' is not a dimension: use a FOCUS column (ServiceName, RegionId, ...), tag:KEY, "
		     "an allocation dimension from the config, spend, or day/week/month", name);
}

static int is_time(const struct report_dim *d)
{
	return d->kind == DK_DAY || d->kind == DK_WEEK || d->kind == DK_MONTH;
}

/* ---- engine state --------------------------------------------------------- */

struct line_info {
	uint32_t gid;         /* group of the non-time dimensions */
	uint8_t pass;         /* passes --where */
	uint8_t unalloc;
	uint8_t untagged;
	int8_t shared;        /* index of the first matching shared rule, -1 */
};

struct cell {
	uint64_t key;         /* gid << 24 | bucket offset, +1; 0 = empty */
	int8_t shared;
	money_t cost;
};

struct engine {
	const struct config *cfg;
	const struct report_query *q;
	struct report_dim *dims;
	size_t nby;
	struct report_where *where;
	size_t nwhere;
	int unalloc_dim;
	int time_dim;                 /* index in dims of the time dimension, -1 */
	int shared_active;
	struct tagset *tagsets;       /* by id */
	size_t ntagsets;
	struct line_info *lines;      /* by id */
	money_t *scale;               /* by id, only with q->line_scale */
	size_t nlines;
	struct dict groups;           /* joined values -> gid */
	const char ***group_vals;     /* gid -> non-time values */
	size_t ngroups;
	struct strpool strings;       /* interned value strings */
	char currency[16];
	/* scratch */
	const char **cur;             /* the current line's value per --by dimension */
	char *vbuf;
	size_t vcap;
	char *kbuf;
	size_t kcap;
	struct cell *cells;
	size_t ccap, ncells;
	money_t total, unalloc, untagged;
	int32_t base_day;
};

static const char *intern(struct engine *e, const char *s)
{
	return strpool_intern(&e->strings, s);
}

static int load_tagset(void *arg, uint32_t id, const char *json, size_t n)
{
	struct engine *e = arg;
	if (id >= e->ntagsets) {
		size_t nn = id + 1024;
		e->tagsets = xrealloc(e->tagsets, nn * sizeof *e->tagsets);
		memset(e->tagsets + e->ntagsets, 0, (nn - e->ntagsets) * sizeof *e->tagsets);
		e->ntagsets = nn;
	}
	if (tagset_parse(json, n, &e->tagsets[id]) < 0)
		memset(&e->tagsets[id], 0, sizeof e->tagsets[id]);
	return 0;
}

/* Value of a non-time dimension for a line (NULL for a null column / absent tag). */
static const char *dim_value(struct engine *e, const struct report_dim *d, const struct alloc_line *l,
			     const struct tagset *ts, int *is_default)
{
	switch (d->kind) {
	case DK_COLUMN:
		return l->vals[d->id];
	case DK_TAG:
		return ts ? tagset_get(ts, d->key) : NULL;
	case DK_ALLOC:
		return alloc_eval(e->cfg, d->id, l, is_default);
	case DK_SPEND:
		return spend_kind(l);
	default:
		return NULL;
	}
}

static int load_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct engine *e = arg;
	struct alloc_line l;
	const struct tagset *ts = tagset && tagset < e->ntagsets ? &e->tagsets[tagset] : NULL;
	static const struct tagset empty;

	if (!ts)
		ts = &empty;
	store_line_split(vals, n, &e->vbuf, &e->vcap, l.vals);
	l.tag_keys = (const char *const *)ts->keys;
	l.tag_vals = (const char *const *)ts->vals;
	l.ntags = ts->n;
	if (id >= e->nlines) {
		size_t nn = (size_t)id * 2 + 1024;
		e->lines = xrealloc(e->lines, nn * sizeof *e->lines);
		memset(e->lines + e->nlines, 0, (nn - e->nlines) * sizeof *e->lines);
		if (e->q->line_scale) {
			e->scale = xrealloc(e->scale, nn * sizeof *e->scale);
			memset(e->scale + e->nlines, 0, (nn - e->nlines) * sizeof *e->scale);
		}
		e->nlines = nn;
	}
	struct line_info *li = &e->lines[id];
	li->pass = 1;
	for (size_t w = 0; w < e->nwhere; w++) {
		const char *v = dim_value(e, &e->where[w].dim, &l, ts, NULL);
		if (!v || strcmp(v, e->where[w].value) != 0) {
			li->pass = 0;
			return 0;
		}
	}
	if (e->q->line_scale) {
		int keep = e->q->line_scale(e->q->line_scale_arg, &l, &e->scale[id]);
		if (keep < 0)
			return -1;
		if (!keep) {
			li->pass = 0;
			return 0;
		}
	}
	/* Group key: the non-time values joined with 0x1f (null as 0x1e). */
	size_t k = 0;
	for (size_t d = 0; d < e->nby; d++) {
		if (is_time(&e->dims[d]))
			continue;
		const char *v = e->cur[d] = dim_value(e, &e->dims[d], &l, ts, NULL);
		size_t vn = v ? strlen(v) : 1;
		if (k + vn + 2 > e->kcap) {
			e->kcap = (k + vn + 2) * 2;
			e->kbuf = xrealloc(e->kbuf, e->kcap);
		}
		if (v)
			memcpy(e->kbuf + k, v, vn);
		else
			e->kbuf[k] = 0x1e;
		k += vn;
		e->kbuf[k++] = 0x1f;
	}
	uint64_t h = hash_bytes(e->kbuf, k);
	uint32_t gid;
	if (!dict_get(&e->groups, e->kbuf, k, h, &gid)) {
		gid = (uint32_t)e->ngroups;
		dict_put(&e->groups, e->kbuf, k, h, gid);
		e->group_vals = xrealloc(e->group_vals, (e->ngroups + 1) * sizeof *e->group_vals);
		const char **gv = xcalloc(e->nby ? e->nby : 1, sizeof *gv);
		for (size_t d = 0; d < e->nby; d++) {
			if (is_time(&e->dims[d]))
				continue;
			gv[d] = intern(e, e->cur[d] ? e->cur[d] : "");
		}
		e->group_vals[e->ngroups++] = gv;
	}
	li->gid = gid;
	li->untagged = ts->n == 0;
	if (e->unalloc_dim >= 0) {
		int def = 0;
		alloc_eval(e->cfg, e->unalloc_dim, &l, &def);
		li->unalloc = (uint8_t)def;
	} else {
		li->unalloc = li->untagged;
	}
	li->shared = -1;
	if (e->shared_active)
		for (size_t r = 0; r < e->cfg->nshared; r++)
			if (alloc_match(e->cfg, &e->cfg->shared[r].match, &l)) {
				li->shared = (int8_t)r;
				break;
			}
	const char *cur = l.vals[FC_BILLING_CURRENCY];
	if (cur && strcmp(e->currency, "mixed") != 0) {
		if (!e->currency[0])
			snprintf(e->currency, sizeof e->currency, "%s", cur);
		else if (strcmp(e->currency, cur) != 0)
			strcpy(e->currency, "mixed");
	}
	return 0;
}

/* ---- cells ---------------------------------------------------------------- */

static int32_t bucket(const struct engine *e, int32_t day)
{
	if (e->time_dim < 0)
		return 0;
	switch (e->dims[e->time_dim].kind) {
	case DK_WEEK: {
		/* ISO weeks start on Monday; 1970-01-01 was a Thursday. */
		int32_t dow = (int32_t)(((int64_t)day + 3) % 7 + 7) % 7;
		return day - dow;
	}
	case DK_MONTH: {
		int y, m, d;
		day_to_ymd(day, &y, &m, &d);
		return (int32_t)ymd_to_day(y, m, 1);
	}
	default:
		return day;
	}
}

static void cells_grow(struct engine *e);

static struct cell *cell_get(struct engine *e, uint32_t gid, int32_t b, int8_t shared)
{
	uint64_t key = (((uint64_t)gid << 24) | (uint32_t)(b - e->base_day)) + 1;
	if ((e->ncells + 1) * 2 > e->ccap)
		cells_grow(e);
	size_t j = (size_t)(key * 0x9E3779B97F4A7C15ULL >> 17) & (e->ccap - 1);
	for (;; j = (j + 1) & (e->ccap - 1)) {
		struct cell *c = &e->cells[j];
		if (!c->key) {
			c->key = key;
			c->shared = shared;
			c->cost = 0;
			e->ncells++;
			return c;
		}
		if (c->key == key && c->shared == shared)
			return c;
	}
}

static void cells_grow(struct engine *e)
{
	size_t ocap = e->ccap, ncap = ocap ? ocap * 2 : 4096;
	struct cell *old = e->cells;
	e->cells = xcalloc(ncap, sizeof *e->cells);
	e->ccap = ncap;
	e->ncells = 0;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].key)
			continue;
		size_t j = (size_t)(old[i].key * 0x9E3779B97F4A7C15ULL >> 17) & (ncap - 1);
		while (e->cells[j].key)
			j = (j + 1) & (ncap - 1);
		e->cells[j] = old[i];
		e->ncells++;
	}
	free(old);
}

static int add_sum(struct engine *e, const struct line_info *li, int32_t day, money_t v);

static int on_daily(void *arg, int32_t day, uint32_t line_id, money_t v)
{
	struct engine *e = arg;
	if (line_id >= e->nlines)
		return 0;
	const struct line_info *li = &e->lines[line_id];
	if (!li->pass)
		return 0;
	if (e->scale && money_muldiv(v, e->scale[line_id], MONEY_ONE, &v) < 0)
		return error("scaled sum overflows");
	return add_sum(e, li, day, v);
}

/*
 * A backend that aggregates per class of lines (ClickHouse): lines that
 * add into the same cells - same group, shared rule, unallocated and
 * untagged flags - form one class; cls_line[] holds one line of each.
 */
struct cls_ctx {
	struct engine *e;
	uint32_t *cls_line;
	size_t ncls;
};

static int on_cls(void *arg, int32_t day, uint32_t cls, money_t v)
{
	struct cls_ctx *x = arg;
	if (cls >= x->ncls)
		return 0;
	return add_sum(x->e, &x->e->lines[x->cls_line[cls]], day, v);
}

static int agg_by_class(struct engine *e, struct store *st, int32_t from, int32_t to, int amount, int grain)
{
	struct cls_ctx x = { e, xcalloc(e->nlines ? e->nlines : 1, sizeof *x.cls_line), 0 };
	uint32_t *ids = xcalloc(e->nlines ? e->nlines : 1, sizeof *ids), *cls = xcalloc(e->nlines ? e->nlines : 1, sizeof *cls);
	size_t n = 0;
	struct dict seen;
	dict_init(&seen);
	for (size_t id = 0; id < e->nlines; id++) {
		const struct line_info *li = &e->lines[id];
		if (!li->pass)
			continue;
		uint32_t k[2] = { li->gid, (uint32_t)(uint8_t)li->shared << 16 | (uint32_t)li->unalloc << 8 | li->untagged }, c;
		uint64_t h = hash_bytes(k, sizeof k);
		if (!dict_get(&seen, k, sizeof k, h, &c)) {
			c = (uint32_t)x.ncls++;
			x.cls_line[c] = (uint32_t)id;
			dict_put(&seen, k, sizeof k, h, c);
		}
		ids[n] = (uint32_t)id;
		cls[n++] = c;
	}
	dict_release(&seen);
	int rc = n ? st->ops->daily_agg_cls(st, from, to, amount, grain, ids, cls, n, on_cls, &x) : 0;
	free(ids);
	free(cls);
	free(x.cls_line);
	return rc;
}

static int add_sum(struct engine *e, const struct line_info *li, int32_t day, money_t v)
{
	struct cell *c = cell_get(e, li->gid, bucket(e, day), li->shared);
	if (money_add(&c->cost, v) < 0 || money_add(&e->total, v) < 0)
		return error("cost sum overflows");
	if (li->unalloc)
		e->unalloc += v;
	if (li->untagged)
		e->untagged += v;
	return 0;
}

/* ---- shared cost ------------------------------------------------------------ */

static int32_t cell_bucket(const struct engine *e, const struct cell *c)
{
	return (int32_t)((c->key - 1) & 0xffffff) + e->base_day;
}

static uint32_t cell_gid(const struct cell *c)
{
	return (uint32_t)((c->key - 1) >> 24);
}

/*
 * Split `amount` over n parts in proportion to w[] (negative weights count
 * as 0; all zero = an even split). Exact: parts are rounded to 1e-18 and
 * the difference goes to the largest weight, so they sum to amount.
 */
static void split_exact(money_t amount, const money_t *w, size_t n, money_t *out)
{
	money_t sum = 0, given = 0;
	size_t best = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i] > 0)
			sum += w[i];
		if (w[i] > w[best])
			best = i;
	}
	for (size_t i = 0; i < n; i++) {
		money_t share = 0;
		if (sum > 0) {
			if (w[i] > 0 && money_muldiv(amount, w[i], sum, &share) < 0)
				share = 0;
		} else {
			share = amount / (money_t)n;
		}
		out[i] = share;
		given += share;
	}
	out[best] += amount - given;
}

struct recipient {
	int32_t bucket;
	const char *over;    /* interned value of the `over` dimension */
	size_t cell;
};

static int recipient_cmp(const void *a, const void *b)
{
	const struct recipient *x = a, *y = b;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->over != y->over)
		return x->over < y->over ? -1 : 1;
	return x->cell < y->cell ? -1 : x->cell > y->cell;
}

/*
 * Shared rule r: the cost of the cells its match selected is moved onto the
 * other cells of the same time bucket. First it is split over the values
 * of the rule's `over` dimension (proportional: by their direct cost; even:
 * equally; fixed: by the configured weights), then within a value by the
 * cells' direct cost.
 */
static void redistribute(struct engine *e, size_t r)
{
	const struct shared_rule *sr = &e->cfg->shared[r];
	int over = -1;
	for (size_t d = 0; d < e->nby; d++)
		if (e->dims[d].kind == DK_ALLOC && e->dims[d].id == sr->over_dim)
			over = (int)d;
	if (over < 0)
		return;
	struct recipient *rec = xcalloc(e->ncells ? e->ncells : 1, sizeof *rec);
	struct { int32_t bucket; money_t pool; size_t first_cell; } *pools = xcalloc(e->ncells ? e->ncells : 1, sizeof *pools);
	size_t nrec = 0, npools = 0;
	for (size_t j = 0; j < e->ccap; j++) {
		struct cell *c = &e->cells[j];
		if (!c->key)
			continue;
		int32_t b = cell_bucket(e, c);
		if (c->shared == (int8_t)r) {
			size_t k;
			for (k = 0; k < npools && pools[k].bucket != b; k++)
				;
			if (k == npools) {
				pools[npools].bucket = b;
				pools[npools].pool = 0;
				pools[npools++].first_cell = j;
			}
			pools[k].pool += c->cost;
			c->cost = 0;
		} else if (c->shared < 0) {
			/* Unallocated cost stays unallocated: it does not carry a share. */
			const char *ov = e->group_vals[cell_gid(c)][over];
			if (strcmp(ov, e->cfg->dims[sr->over_dim].deflt) != 0)
				rec[nrec++] = (struct recipient){ b, ov, j };
		}
	}
	qsort(rec, nrec, sizeof *rec, recipient_cmp);
	for (size_t k = 0; k < npools; k++) {
		size_t lo = 0;
		while (lo < nrec && rec[lo].bucket != pools[k].bucket)
			lo++;
		size_t hi = lo;
		while (hi < nrec && rec[hi].bucket == pools[k].bucket)
			hi++;
		if (lo == hi) {
			/* Nobody to carry it: it stays where it was. */
			e->cells[pools[k].first_cell].cost += pools[k].pool;
			continue;
		}
		/* Level 1: over the distinct values of `over`. */
		size_t nv = 0;
		size_t *vstart = xcalloc(hi - lo + 1, sizeof *vstart);
		money_t *vw = xcalloc(hi - lo, sizeof *vw), *vamt = xcalloc(hi - lo, sizeof *vamt);
		for (size_t i = lo; i < hi; i++) {
			if (i == lo || rec[i].over != rec[i - 1].over)
				vstart[nv++] = i;
			money_t cost = e->cells[rec[i].cell].cost;
			if (sr->method == SHARED_PROPORTIONAL)
				vw[nv - 1] += cost;
		}
		vstart[nv] = hi;
		for (size_t v = 0; v < nv; v++) {
			if (sr->method == SHARED_EVEN)
				vw[v] = MONEY_ONE;
			else if (sr->method == SHARED_FIXED)
				for (size_t w = 0; w < sr->nweights; w++)
					if (sr->weight_values[w] == rec[vstart[v]].over ||
					    strcmp(sr->weight_values[w], rec[vstart[v]].over) == 0)
						vw[v] = sr->weights[w];
		}
		split_exact(pools[k].pool, vw, nv, vamt);
		/* Level 2: within a value, by direct cost. */
		for (size_t v = 0; v < nv; v++) {
			size_t n = vstart[v + 1] - vstart[v];
			money_t *cw = xcalloc(n, sizeof *cw), *camt = xcalloc(n, sizeof *camt);
			for (size_t i = 0; i < n; i++)
				cw[i] = e->cells[rec[vstart[v] + i].cell].cost;
			split_exact(vamt[v], cw, n, camt);
			for (size_t i = 0; i < n; i++)
				e->cells[rec[vstart[v] + i].cell].cost += camt[i];
			free(cw);
			free(camt);
		}
		free(vstart);
		free(vw);
		free(vamt);
	}
	free(rec);
	free(pools);
}

/* ---- rows --------------------------------------------------------------------- */

struct sort_ctx {
	const struct report_result *res;
	const money_t *keys;   /* nrows * nby: the total of each row's value, per dimension */
};

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *sc = arg;
	const struct report_result *res = sc->res;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	for (size_t d = 0; d < res->nby; d++) {
		const char *va = res->rows[ia].vals[d], *vb = res->rows[ib].vals[d];
		if (va == vb)
			continue;
		if (is_time(&res->dims[d]))
			return strcmp(va, vb);
		money_t ta = sc->keys[ia * res->nby + d], tb = sc->keys[ib * res->nby + d];
		if (ta != tb)
			return ta > tb ? -1 : 1;
		return strcmp(va, vb);
	}
	if (res->rows[ia].cost != res->rows[ib].cost)
		return res->rows[ia].cost > res->rows[ib].cost ? -1 : 1;
	return 0;
}

static void bucket_label(const struct engine *e, int32_t b, char out[16])
{
	if (e->dims[e->time_dim].kind == DK_MONTH) {
		char d[11];
		format_day(b, d);
		memcpy(out, d, 7);
		out[7] = 0;
	} else {
		format_day(b, out);
	}
}

int report_run(struct store *st, const struct config *cfg, const struct report_query *q, struct report_result *res)
{
	struct engine *e = xcalloc(1, sizeof *e);
	int rc = -1;
	memset(res, 0, sizeof *res);
	res->priv = e;
	e->cfg = cfg;
	e->q = q;
	e->nby = q->nby;
	e->dims = xcalloc(q->nby ? q->nby : 1, sizeof *e->dims);
	e->cur = xcalloc(q->nby ? q->nby : 1, sizeof *e->cur);
	e->time_dim = -1;
	e->unalloc_dim = -1;
	dict_init(&e->groups);
	strpool_init(&e->strings);
	res->nby = q->nby;
	res->dims = e->dims;
	for (size_t d = 0; d < q->nby; d++) {
		if (report_dim_parse(cfg, q->by[d], &e->dims[d]) < 0)
			goto out;
		if (is_time(&e->dims[d])) {
			if (e->time_dim >= 0) {
				error("--by: only one of day, week, month at a time");
				goto out;
			}
			e->time_dim = (int)d;
		}
		if (e->dims[d].kind == DK_ALLOC && e->unalloc_dim < 0 && e->dims[d].id != 0)
			e->unalloc_dim = e->dims[d].id;
	}
	if (e->unalloc_dim < 0) {
		int t = alloc_dim_find(cfg, "team");
		if (t >= 0 && cfg->dims[t].configured)
			e->unalloc_dim = t;
		for (size_t d = 1; e->unalloc_dim < 0 && d < alloc_ndims(cfg); d++)
			if (cfg->dims[d].configured)
				e->unalloc_dim = (int)d;
	}
	res->unallocated_dim = e->unalloc_dim >= 0 ? alloc_dim_name(cfg, e->unalloc_dim) : NULL;
	e->where = xcalloc(q->nwhere ? q->nwhere : 1, sizeof *e->where);
	e->nwhere = q->nwhere;
	for (size_t w = 0; w < q->nwhere; w++) {
		const char *eq = strchr(q->where[w], '=');
		if (!eq || eq == q->where[w]) {
			error("--where '%s': expected DIM=VALUE", q->where[w]);
			goto out;
		}
		char *name = xstrndup(q->where[w], (size_t)(eq - q->where[w]));
		int prc = report_dim_parse(cfg, name, &e->where[w].dim);
		if (prc == 0 && is_time(&e->where[w].dim))
			prc = error("--where %s: filter time with --from/--to", name);
		/* The parsed dim keeps pointers into the name: it lives in the interned strings. */
		e->where[w].dim.name = intern(e, name);
		if (e->where[w].dim.kind == DK_TAG)
			e->where[w].dim.key = e->where[w].dim.name + 4;
		free(name);
		if (prc < 0)
			goto out;
		e->where[w].value = eq + 1;
	}
	for (size_t r = 0; !q->no_shared && r < cfg->nshared; r++)
		for (size_t d = 0; d < e->nby; d++)
			if (e->dims[d].kind == DK_ALLOC && e->dims[d].id == cfg->shared[r].over_dim)
				e->shared_active = 1;

	if (st->ops->tagset_scan(st, load_tagset, e) < 0 || st->ops->line_scan(st, load_line, e) < 0)
		goto out;
	int32_t dmin = 0, dmax = -1;
	int any = st->ops->day_range(st, &dmin, &dmax);
	if (any < 0)
		goto out;
	int64_t from = q->from_day == INT64_MIN ? dmin : q->from_day;
	int64_t to = q->to_day == INT64_MAX ? dmax : q->to_day;
	if (from < INT32_MIN / 2)
		from = INT32_MIN / 2;
	if (to > INT32_MAX / 2)
		to = INT32_MAX / 2;
	e->base_day = bucket(e, (int32_t)from);
	res->from_day = from;
	res->to_day = to;
	if (any && from <= to) {
		if (to - from > 0xffffff - 64) {
			error("--from/--to: a range of at most 45,000 years, please");
			goto out;
		}
		/*
		 * A backend that aggregates (ClickHouse) sums per (bucket, class of
		 * lines) itself. Not with line_scale: scaling rounds per stored row.
		 */
		int grain = e->time_dim < 0 ? STORE_GRAIN_ALL
			    : e->dims[e->time_dim].kind == DK_WEEK ? STORE_GRAIN_WEEK
			    : e->dims[e->time_dim].kind == DK_MONTH ? STORE_GRAIN_MONTH : STORE_GRAIN_DAY;
		if (st->ops->daily_agg_cls && !q->line_scale) {
			if (agg_by_class(e, st, (int32_t)from, (int32_t)to, q->amount, grain) < 0)
				goto out;
		} else if (st->ops->daily_scan(st, (int32_t)from, (int32_t)to, q->amount, on_daily, e) < 0) {
			goto out;
		}
	}
	for (size_t r = 0; e->shared_active && r < cfg->nshared; r++)
		redistribute(e, r);

	/* Merge cells by (gid, bucket) and drop emptied pools. */
	res->rows = xcalloc(e->ncells ? e->ncells : 1, sizeof *res->rows);
	{
		struct dict seen;
		dict_init(&seen);
		for (size_t i = 0; i < e->ccap; i++) {
			struct cell *c = &e->cells[i];
			if (!c->key)
				continue;
			uint64_t k = c->key;
			uint32_t idx;
			uint64_t h = hash_bytes(&k, sizeof k);
			if (dict_get(&seen, &k, sizeof k, h, &idx)) {
				res->rows[idx].cost += c->cost;
				continue;
			}
			if (c->shared >= 0 && e->shared_active && c->cost == 0)
				continue;
			idx = (uint32_t)res->nrows++;
			dict_put(&seen, &k, sizeof k, h, idx);
			struct report_row *row = &res->rows[idx];
			row->vals = xcalloc(e->nby ? e->nby : 1, sizeof *row->vals);
			const char **gv = e->group_vals[cell_gid(c)];
			for (size_t d = 0; d < e->nby; d++)
				row->vals[d] = gv[d];
			if (e->time_dim >= 0) {
				char lab[16];
				bucket_label(e, cell_bucket(e, c), lab);
				row->vals[e->time_dim] = intern(e, lab);
			}
			row->cost = c->cost;
		}
		dict_release(&seen);
	}
	/* Sort: time ascending; other dimensions by their total, largest first. */
	if (res->nrows > 1) {
		size_t *idx = xcalloc(res->nrows, sizeof *idx);
		money_t *sort_keys = xcalloc(res->nrows * (e->nby ? e->nby : 1), sizeof *sort_keys);
		for (size_t d = 0; d < e->nby; d++) {
			if (is_time(&e->dims[d]))
				continue;
			struct dict vt;
			money_t *tot = xcalloc(res->nrows, sizeof *tot);
			size_t nt = 0;
			dict_init(&vt);
			uint32_t *which = xcalloc(res->nrows, sizeof *which);
			for (size_t i = 0; i < res->nrows; i++) {
				const char *v = res->rows[i].vals[d];
				uint64_t h = hash_bytes(&v, sizeof v);
				uint32_t k;
				if (!dict_get(&vt, &v, sizeof v, h, &k)) {
					k = (uint32_t)nt++;
					dict_put(&vt, &v, sizeof v, h, k);
				}
				which[i] = k;
				tot[k] += res->rows[i].cost;
			}
			for (size_t i = 0; i < res->nrows; i++)
				sort_keys[i * e->nby + d] = tot[which[i]];
			free(which);
			free(tot);
			dict_release(&vt);
		}
		for (size_t i = 0; i < res->nrows; i++)
			idx[i] = i;
		struct sort_ctx sc = { res, sort_keys };
		qsort_r(idx, res->nrows, sizeof *idx, row_cmp, &sc);
		struct report_row *sorted = xcalloc(res->nrows, sizeof *sorted);
		for (size_t i = 0; i < res->nrows; i++)
			sorted[i] = res->rows[idx[i]];
		free(res->rows);
		res->rows = sorted;
		free(idx);
		free(sort_keys);
	}
	res->total = e->total;
	res->unallocated = e->unalloc;
	res->untagged = e->untagged;
	snprintf(res->currency, sizeof res->currency, "%s", e->currency[0] ? e->currency : "USD");
	res->cells = e->ncells;
	rc = 0;
out:
	if (rc < 0)
		report_release(res);
	return rc;
}

void report_release(struct report_result *res)
{
	struct engine *e = res->priv;
	for (size_t i = 0; i < res->nrows; i++)
		free(res->rows[i].vals);
	free(res->rows);
	if (e) {
		for (size_t i = 0; i < e->ntagsets; i++)
			tagset_release(&e->tagsets[i]);
		free(e->tagsets);
		free(e->lines);
		free(e->scale);
		for (size_t g = 0; g < e->ngroups; g++)
			free(e->group_vals[g]);
		free(e->group_vals);
		dict_release(&e->groups);
		strpool_release(&e->strings);
		free(e->vbuf);
		free(e->kbuf);
		free(e->cells);
		free(e->where);
		free(e->dims);
		free(e->cur);
		free(e);
	}
	memset(res, 0, sizeof *res);
}
