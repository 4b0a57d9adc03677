/*
 * unit_cost.c - cost per business unit; see unit_cost.h.
 *
 * Chapters: the built-in metrics, metric rows as pseudo ledger lines, the
 * join of cost rows and unit rows on their dimension values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/config.h"
#include "core/report.h"
#include "core/tags.h"
#include "core/unit_cost.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

/* ---- built-ins ---------------------------------------------------------------- */

static const struct builtin {
	const char *name;
	const char *unit_filter;     /* ConsumedUnit of the lines counted */
	const char *unit_filter2;    /* and (requests) only LLM requests, not S3 or API Gateway ones */
	const char *cost_filter;     /* lines whose cost is divided (unless all_cost) */
	int64_t per;                 /* units = quantity / per */
	const char *desc;
} builtins[] = {
	{ "tokens", "ConsumedUnit=Tokens", NULL, "ConsumedUnit=Tokens", 1, "token" },
	{ "1k_tokens", "ConsumedUnit=Tokens", NULL, "ConsumedUnit=Tokens", 1000, "1,000 tokens" },
	{ "1m_tokens", "ConsumedUnit=Tokens", NULL, "ConsumedUnit=Tokens", 1000000, "1,000,000 tokens" },
	{ "requests", "ConsumedUnit=Requests", "ServiceSubcategory=Generative AI", "ServiceSubcategory=Generative AI", 1,
	  "LLM request" },
};

/* ---- result state ---------------------------------------------------------------- */

struct priv {
	struct dict keys;            /* joined values -> row index */
	struct strpool strs;         /* interned strings */
	size_t cap;
	char *kbuf;
	size_t kcap;
};

static const char *intern(struct priv *p, const char *s)
{
	return strpool_intern(&p->strs, s);
}

/* The row of these values (created empty when new). */
static struct unit_row *row_for(struct unit_result *res, const char *const *vals)
{
	struct priv *p = res->priv;
	size_t k = 0;
	for (size_t d = 0; d < res->nby; d++) {
		size_t n = strlen(vals[d]);
		if (k + n + 2 > p->kcap) {
			p->kcap = (k + n + 2) * 2;
			p->kbuf = xrealloc(p->kbuf, p->kcap);
		}
		memcpy(p->kbuf + k, vals[d], n);
		k += n;
		p->kbuf[k++] = 0x1f;
	}
	uint32_t id;
	if (dict_get(&p->keys, p->kbuf, k, hash_bytes(p->kbuf, k), &id))
		return &res->rows[id];
	if (res->nrows == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		res->rows = xrealloc(res->rows, p->cap * sizeof *res->rows);
	}
	dict_put(&p->keys, p->kbuf, k, hash_bytes(p->kbuf, k), (uint32_t)res->nrows);
	struct unit_row *r = &res->rows[res->nrows++];
	memset(r, 0, sizeof *r);
	r->vals = xcalloc(res->nby ? res->nby : 1, sizeof *r->vals);
	for (size_t d = 0; d < res->nby; d++)
		r->vals[d] = intern(p, vals[d]);
	return r;
}

void unit_cost_release(struct unit_result *res)
{
	struct priv *p = res->priv;
	for (size_t i = 0; i < res->nrows; i++)
		free(res->rows[i].vals);
	free(res->rows);
	if (p) {
		dict_release(&p->keys);
		strpool_release(&p->strs);
		free(p->kbuf);
		free(p);
	}
	memset(res, 0, sizeof *res);
}

/* Run a report and add its rows into the cost (units = 0) or units (units = 1) side. */
static int add_report(struct store *st, const struct config *cfg, const struct unit_query *q, const char *extra_where,
		      const char *extra_where2, int amount, int units, int64_t per, struct unit_result *res)
{
	struct report_query rq = { 0 };
	struct report_result rr;
	const char **w = xcalloc(q->nwhere + 2, sizeof *w);
	for (size_t i = 0; i < q->nwhere; i++)
		w[i] = q->where[i];
	rq.where = w;
	rq.nwhere = q->nwhere;
	if (extra_where)
		w[rq.nwhere++] = extra_where;
	if (extra_where2)
		w[rq.nwhere++] = extra_where2;
	rq.by = q->by;
	rq.nby = q->nby;
	rq.amount = amount;
	rq.from_day = q->from_day;
	rq.to_day = q->to_day;
	rq.no_shared = units;   /* quantities are not redistributed */
	int rc = report_run(st, cfg, &rq, &rr);
	free(w);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < rr.nrows; i++) {
		struct unit_row *r = row_for(res, rr.rows[i].vals);
		if (units) {
			r->units += per > 1 ? rr.rows[i].cost / per : rr.rows[i].cost;
			r->has_units = 1;
		} else {
			r->cost += rr.rows[i].cost;
			r->has_cost = 1;
		}
	}
	if (!units) {
		snprintf(res->currency, sizeof res->currency, "%s", rr.currency);
		res->from_day = rr.from_day;
		res->to_day = rr.to_day;
	}
	report_release(&rr);
	return 0;
}

/* ---- business metrics ------------------------------------------------------------ */

struct mctx {
	const struct config *cfg;
	const struct unit_query *q;
	struct unit_result *res;
	struct report_dim *by, *wdim;
	const char **wval;
	const char **vals;
	char (*tbuf)[16];
	uint64_t rows;
	int failed;
};

static void time_label(enum dim_kind k, int32_t day, char out[16])
{
	if (k == DK_WEEK) {
		int32_t dow = (int32_t)((((int64_t)day + 3) % 7 + 7) % 7);
		format_day(day - dow, out);
	} else if (k == DK_MONTH) {
		format_day(day, out);
		out[7] = 0;
	} else {
		format_day(day, out);
	}
}

/* Value of a dimension on a metric row; *carried = the row says something about it. */
static const char *mdim(const struct config *cfg, const struct report_dim *d, const struct alloc_line *l,
			const struct tagset *ts, int *carried)
{
	const char *v = NULL;
	int def = 0;
	switch (d->kind) {
	case DK_COLUMN:
		v = l->vals[d->id];
		*carried = v != NULL;
		return v ? v : "";
	case DK_TAG:
		v = tagset_get(ts, d->key);
		*carried = v != NULL;
		return v ? v : "";
	case DK_ALLOC:
		v = alloc_eval(cfg, d->id, l, &def);
		*carried = !def;
		return v;
	default:
		*carried = 0;
		return "";
	}
}

static int on_metric(void *arg, int32_t day, const char *dims, money_t value)
{
	struct mctx *m = arg;
	struct tagset ts = { 0 };
	struct alloc_line l;
	int carried;
	memset(&l, 0, sizeof l);
	if (dims && *dims && tagset_parse(dims, strlen(dims), &ts) < 0)
		memset(&ts, 0, sizeof ts);
	/* Dimensions named like a FOCUS column stand for that column. */
	for (size_t i = 0; i < ts.n; i++) {
		int c = focus_col_lookup(ts.keys[i], strlen(ts.keys[i]), NULL);
		if (c >= 0 && focus_columns[c].role == FR_KEY)
			l.vals[c] = ts.vals[i];
	}
	l.tag_keys = (const char *const *)ts.keys;
	l.tag_vals = (const char *const *)ts.vals;
	l.ntags = ts.n;
	m->rows++;
	for (size_t w = 0; w < m->q->nwhere; w++) {
		const char *v = mdim(m->cfg, &m->wdim[w], &l, &ts, &carried);
		/* A filter on a dimension the metric does not carry only filters cost. */
		if (carried && strcmp(v, m->wval[w]) != 0)
			goto out;
	}
	for (size_t d = 0; d < m->q->nby; d++) {
		enum dim_kind k = m->by[d].kind;
		if (k == DK_DAY || k == DK_WEEK || k == DK_MONTH) {
			time_label(k, day, m->tbuf[d]);
			m->vals[d] = m->tbuf[d];
		} else {
			m->vals[d] = mdim(m->cfg, &m->by[d], &l, &ts, &carried);
		}
	}
	struct unit_row *r = row_for(m->res, m->vals);
	if (money_add(&r->units, value) < 0) {
		m->failed = 1;
		tagset_release(&ts);
		return error("metric %s: sum overflows", m->q->metric);
	}
	r->has_units = 1;
out:
	tagset_release(&ts);
	return 0;
}

struct known {
	const char *want;
	int found;
	char list[512];
};

static int names_cb(void *arg, const char *name)
{
	struct known *k = arg;
	size_t n = strlen(k->list);
	if (!strcmp(name, k->want))
		k->found = 1;
	if (n < 400)
		snprintf(k->list + n, sizeof k->list - n, "%s%s", n ? ", " : "", name);
	return 0;
}

static int metric_units(struct store *st, const struct config *cfg, const struct unit_query *q,
			struct unit_result *res)
{
	struct mctx m = { .cfg = cfg, .q = q, .res = res };
	int rc = -1;
	m.by = xcalloc(q->nby + 1, sizeof *m.by);
	m.wdim = xcalloc(q->nwhere + 1, sizeof *m.wdim);
	m.wval = xcalloc(q->nwhere + 1, sizeof *m.wval);
	m.vals = xcalloc(q->nby + 1, sizeof *m.vals);
	m.tbuf = xcalloc(q->nby + 1, sizeof *m.tbuf);
	char **wname = xcalloc(q->nwhere + 1, sizeof *wname);
	for (size_t d = 0; d < q->nby; d++)
		if (report_dim_parse(cfg, q->by[d], &m.by[d]) < 0)
			goto out;
	for (size_t w = 0; w < q->nwhere; w++) {
		const char *eq = strchr(q->where[w], '=');
		if (!eq) {
			error("--where: '%s' is not DIM=VALUE", q->where[w]);
			goto out;
		}
		wname[w] = xstrndup(q->where[w], (size_t)(eq - q->where[w]));
		m.wval[w] = eq + 1;
		if (report_dim_parse(cfg, wname[w], &m.wdim[w]) < 0)
			goto out;
	}
	struct known k = { .want = q->metric };
	if (st->ops->metric_names(st, names_cb, &k) < 0)
		goto out;
	if (!k.found) {
		error("unit-cost: no metric '%s' in the ledger (%s%s; built-ins: tokens, 1k_tokens, 1m_tokens, requests)",
		      q->metric, k.list[0] ? "known: " : "none ingested yet: see 'aicost ingest metrics'", k.list);
		goto out;
	}
	int32_t from = q->from_day < INT32_MIN ? INT32_MIN : (int32_t)q->from_day;
	int32_t to = q->to_day > INT32_MAX ? INT32_MAX : (int32_t)q->to_day;
	if (st->ops->metric_scan(st, q->metric, from, to, on_metric, &m) < 0 || m.failed)
		goto out;
	rc = 0;
out:
	for (size_t w = 0; w < q->nwhere; w++)
		free(wname[w]);
	free(wname);
	free(m.by);
	free(m.wdim);
	free(m.wval);
	free(m.vals);
	free(m.tbuf);
	return rc;
}

/* ---- the join ------------------------------------------------------------------------ */

int unit_cost_run(struct store *st, const struct config *cfg, const struct unit_query *q, struct unit_result *res)
{
	const struct builtin *b = NULL;
	memset(res, 0, sizeof *res);
	struct priv *p = xcalloc(1, sizeof *p);
	dict_init(&p->keys);
	strpool_init(&p->strs);
	res->priv = p;
	res->nby = q->nby;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(q->metric, builtins[i].name))
			b = &builtins[i];
	res->builtin = b != NULL;
	res->units_desc = b ? b->desc : q->metric;
	if (add_report(st, cfg, q, b && !q->all_cost ? b->cost_filter : NULL, NULL, q->amount, 0, 1, res) < 0)
		goto fail;
	if (b) {
		/* Units summed exactly per row; per-1K divides each row's sum (exact to 1e-18). */
		if (add_report(st, cfg, q, b->unit_filter, b->unit_filter2, FA_CONSUMED_QTY, 1, b->per, res) < 0)
			goto fail;
	} else if (metric_units(st, cfg, q, res) < 0) {
		goto fail;
	}
	for (size_t i = 0; i < res->nrows; i++) {
		struct unit_row *r = &res->rows[i];
		res->cost += r->cost;
		res->units += r->units;
		if (r->units != 0) {
			/* Units the cost side knows nothing about have no unit cost (not a zero one). */
			r->has_unit_cost = r->has_cost && money_muldiv(r->cost, MONEY_ONE, r->units, &r->unit_cost) == 0;
		} else {
			res->cost_without_units += r->cost;
		}
		if (!r->has_cost)
			res->units_without_cost += r->units;
	}
	if (res->units != 0)
		res->has_unit_cost = money_muldiv(res->cost, MONEY_ONE, res->units, &res->unit_cost) == 0;
	if (!res->currency[0])
		snprintf(res->currency, sizeof res->currency, "USD");
	return 0;
fail:
	unit_cost_release(res);
	return -1;
}
