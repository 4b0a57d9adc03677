/*
 * recommend_ledger.c - the ledger view of a recommend pass: every line is
 * classified once (resource, pricing class, what its quantity measures),
 * then the daily sums of [scan_from, to] are read twice (cost, consumed
 * quantity) into one cell per (resource, day). Work is proportional to
 * distinct lines plus daily cells, like the report engine's. --where is
 * evaluated per line exactly as `aicost report` does.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/alloc.h"
#include "core/config.h"
#include "core/recommend_int.h"
#include "core/report.h"
#include "core/spend.h"
#include "core/tags.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/err.h"

enum qrole { Q_NONE, Q_TRAFFIC, Q_STORAGE, Q_READ, Q_WRITE, Q_TOKENS };

struct linfo {
	int32_t res;                 /* resource index, -1 none */
	int32_t model;               /* Q_TOKENS: model traffic index */
	int32_t cuse;                /* commitment usage line: index into c->cuse, else -1 */
	uint8_t pass, pclass, qrole, storage, unused;
};

struct lview {
	struct rec_ctx *c;
	struct linfo *li;
	size_t nli;
	struct tagset *ts;
	size_t nts;
	char *vbuf;
	size_t vcap;
	int any_qty;
};

static int has(const char *s, const char *w)
{
	return s && strcasestr(s, w) != NULL;
}

static int has_any(const char *s, const char *const *w)
{
	for (; s && *w; w++)
		if (strcasestr(s, *w))
			return 1;
	return 0;
}

static int on_tagset(void *arg, uint32_t id, const char *json, size_t n)
{
	struct lview *v = arg;
	if (id >= v->nts) {
		size_t nn = (size_t)id * 2 + 16;
		v->ts = xrealloc(v->ts, nn * sizeof *v->ts);
		memset(v->ts + v->nts, 0, (nn - v->nts) * sizeof *v->ts);
		v->nts = nn;
	}
	if (tagset_parse(json, n, &v->ts[id]) < 0)
		memset(&v->ts[id], 0, sizeof v->ts[id]);
	return 0;
}

static const char *dim_value(struct rec_ctx *c, const struct report_dim *d, const struct alloc_line *l)
{
	switch (d->kind) {
	case DK_COLUMN: return l->vals[d->id];
	case DK_TAG: return tags_find(l->tag_keys, l->tag_vals, l->ntags, d->key);
	case DK_ALLOC: return alloc_eval(c->cfg, d->id, l, NULL);
	case DK_SPEND: return spend_kind(l);
	default: return NULL;
	}
}

int rec_where_match(const struct rec_ctx *c, const struct alloc_line *l)
{
	for (size_t w = 0; w < c->nwhere; w++) {
		const char *x = dim_value((struct rec_ctx *)c, &c->where[w].dim, l);
		if (!x || strcmp(x, c->where[w].value) != 0)
			return 0;
	}
	return 1;
}

static enum rec_pclass pricing_class(const struct alloc_line *l)
{
	const char *cc = l->vals[FC_CHARGE_CATEGORY], *pc = l->vals[FC_PRICING_CATEGORY];
	if (cc && strcasecmp(cc, "Usage") != 0)
		return PC_OTHER;
	if (pc && (!strcasecmp(pc, "Dynamic") || has(pc, "spot")))
		return PC_SPOT;
	if (has(l->vals[FC_CHARGE_DESCRIPTION], "spot") || has(l->vals[FC_SKU_METER], "spot"))
		return PC_SPOT;
	if ((pc && (has(pc, "commit") || has(pc, "reserv"))) || (l->vals[FC_COMMITMENT_DISCOUNT_ID] &&
								 *l->vals[FC_COMMITMENT_DISCOUNT_ID]))
		return PC_COMMIT;
	if (!pc || !*pc || !strcasecmp(pc, "Standard") || has(pc, "demand"))
		return PC_OD;
	return PC_OTHER;
}

static const char *last_segment(const char *id)
{
	const char *t = id;
	for (const char *p = id; *p; p++)
		if ((*p == '/' || *p == ':') && p[1])
			t = p + 1;
	return t;
}

static void lower_into(const char *s, char *out, size_t cap)
{
	size_t k = 0;
	for (; s && *s && k + 1 < cap; s++)
		out[k++] = (char)tolower((unsigned char)*s);
	out[k] = 0;
}

static int32_t model_index(struct rec_ctx *c, const char *name)
{
	char k[256];
	uint32_t id;
	lower_into(name, k, sizeof k);
	size_t n = strlen(k);
	if (!n)
		return -1;
	uint64_t h = hash_bytes(k, n);
	if (dict_get(&c->model_traffic, k, n, h, &id))
		return (int32_t)id;
	c->model_days = xrealloc(c->model_days, (c->nmodels + 1) * sizeof *c->model_days);
	c->model_days[c->nmodels] = xcalloc((size_t)(c->to - c->scan_from + 1), 1);
	dict_put(&c->model_traffic, k, n, h, (uint32_t)c->nmodels);
	return (int32_t)c->nmodels++;
}

static int32_t resource(struct rec_ctx *c, const struct alloc_line *l)
{
	const char *id = l->vals[FC_RESOURCE_ID];
	uint32_t ix;
	if (!id || !*id)
		return -1;
	size_t n = strlen(id);
	uint64_t h = hash_bytes(id, n);
	if (dict_get(&c->res_ids, id, n, h, &ix))
		return (int32_t)ix;
	if ((c->nres & (c->nres - 1)) == 0)
		c->res = xrealloc(c->res, (c->nres ? c->nres * 2 : 64) * sizeof *c->res);
	struct rec_res *r = &c->res[c->nres];
	memset(r, 0, sizeof *r);
	r->id = xstrdup(id);
	r->name = xstrdup(l->vals[FC_RESOURCE_NAME] && *l->vals[FC_RESOURCE_NAME] ? l->vals[FC_RESOURCE_NAME]
										 : last_segment(id));
	const char *prov = l->vals[FC_SERVICE_PROVIDER_NAME] ? l->vals[FC_SERVICE_PROVIDER_NAME] : l->vals[FC_HOST_PROVIDER_NAME];
	r->provider = xstrdup(prov ? prov : "");
	r->region = xstrdup(l->vals[FC_REGION_ID] ? l->vals[FC_REGION_ID] : "");
	r->service = xstrdup(l->vals[FC_SERVICE_NAME] ? l->vals[FC_SERVICE_NAME] : "");
	r->sub_account = xstrdup(l->vals[FC_SUB_ACCOUNT_NAME] ? l->vals[FC_SUB_ACCOUNT_NAME]
				 : l->vals[FC_SUB_ACCOUNT_ID] ? l->vals[FC_SUB_ACCOUNT_ID] : "");
	r->inst = -1;
	r->wl = WL_OTHER;
	r->keep_num = r->keep_den = 1;
	dict_put(&c->res_ids, id, n, h, (uint32_t)c->nres);
	return (int32_t)c->nres++;
}

static int on_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	static const struct tagset empty;
	static const char *const traffic_units[] = { "request", "invocation", "call", "token", "character", "image",
						     "prediction", "inference", "transaction", "queries", "query", NULL };
	static const char *const storage_units[] = { "gb-mo", "gb-month", "gib-mo", "gib-month", "gb month",
						     "gibibyte month", "byte-hr", "gb-hour", "gib-hour", "gb/month",
						     "tb-mo", "tb-month", NULL };
	/* Request classes: AWS Tier1 (PUT, COPY, POST, LIST) and GCP Class A are writes; Tier2 / Class B reads. */
	static const char *const write_words[] = { "put", "post", "copy", "write", "upload", "insert", "tier1",
						   "tier 1", "class a", NULL };
	static const char *const read_words[] = { "get", "read", "retriev", "select", "download", "egress",
						  "transfer out", "data returned", "restore", "tier2", "tier 2", "class b",
						  NULL };
	static const char *const cold_words[] = { "glacier", "archive", "coldline", "cool", "nearline", "infrequent",
						  "cold", NULL };
	struct lview *v = arg;
	struct rec_ctx *c = v->c;
	const struct tagset *ts = tagset && tagset < v->nts ? &v->ts[tagset] : &empty;
	struct alloc_line l;
	store_line_split(vals, n, &v->vbuf, &v->vcap, l.vals);
	l.tag_keys = (const char *const *)ts->keys;
	l.tag_vals = (const char *const *)ts->vals;
	l.ntags = ts->n;
	if (id >= v->nli) {
		size_t nn = (size_t)id * 2 + 1024;
		v->li = xrealloc(v->li, nn * sizeof *v->li);
		memset(v->li + v->nli, 0, (nn - v->nli) * sizeof *v->li);
		v->nli = nn;
	}
	struct linfo *li = &v->li[id];
	li->res = li->model = -1;
	if (!rec_where_match(c, &l))
		return 0;
	li->pass = 1;
	li->pclass = (uint8_t)pricing_class(&l);
	/* Commitment usage, used or not (FOCUS 1.1 CommitmentDiscountStatus): utilisation per provider. */
	li->cuse = -1;
	const char *cds = l.vals[FC_COMMITMENT_DISCOUNT_STATUS];
	if (cds && (!strcasecmp(cds, "Used") || !strcasecmp(cds, "Unused"))) {
		const char *pv = l.vals[FC_SERVICE_PROVIDER_NAME] ? l.vals[FC_SERVICE_PROVIDER_NAME] : "";
		size_t k;
		for (k = 0; k < c->ncuse && strcmp(c->cuse[k].provider, pv); k++)
			;
		if (k == c->ncuse) {
			c->cuse = xrealloc(c->cuse, (k + 1) * sizeof *c->cuse);
			c->cuse[k].provider = xstrdup(pv);
			c->cuse[k].used = c->cuse[k].unused = 0;
			c->ncuse++;
		}
		li->cuse = (int32_t)k;
		li->unused = !strcasecmp(cds, "Unused");
		if (li->unused)
			li->pclass = PC_OTHER;   /* unused commitment is not usage of the resource */
	}
	const char *cur = l.vals[FC_BILLING_CURRENCY];
	if (cur && *cur && strcmp(c->currency, "mixed") != 0) {
		if (!c->currency[0])
			snprintf(c->currency, sizeof c->currency, "%s", cur);
		else if (strcmp(c->currency, cur) != 0)
			strcpy(c->currency, "mixed");
	}
	const char *kind = spend_kind(&l);
	const char *unit = l.vals[FC_CONSUMED_UNIT], *cat = l.vals[FC_SERVICE_CATEGORY];
	if (!strcmp(kind, "tokens")) {
		/* Token meters: traffic of the model (ResourceId, ResourceName) on that day. */
		const char *rid = l.vals[FC_RESOURCE_ID], *rn = l.vals[FC_RESOURCE_NAME];
		li->qrole = Q_TOKENS;
		li->model = model_index(c, rid && *rid ? rid : rn);
		if (rn && *rn && rid && strcasecmp(rn, rid))
			model_index(c, rn);   /* also known by its name; same days recorded below */
		v->any_qty = 1;
		li->res = resource(c, &l);
		if (li->res >= 0)
			c->res[li->res].flags |= RF_TOKENS;
		return 0;
	}
	li->res = resource(c, &l);
	if (li->res < 0)
		return 0;
	struct rec_res *r = &c->res[li->res];
	const char *rid = l.vals[FC_RESOURCE_ID], *rtype = l.vals[FC_RESOURCE_TYPE];
	const char *desc = l.vals[FC_CHARGE_DESCRIPTION], *meter = l.vals[FC_SKU_METER];
	int storage_cat = cat && !strcasecmp(cat, "Storage");
	if (!strcmp(kind, "gpu"))
		r->flags |= RF_GPU;
	if (cat && !strcasecmp(cat, "Compute") && !has_any(unit, traffic_units))
		r->flags |= RF_COMPUTE;
	if (!storage_cat && (has(rid, "endpoint") || has(rtype, "endpoint") || has(rid, "provisioned-model") ||
			     has(meter, "provisioned throughput") || has(desc, "provisioned throughput")))
		r->flags |= RF_ENDPOINT;
	if (r->inst < 0 && c->ninst) {
		static const int cols[] = { FC_CHARGE_DESCRIPTION, FC_SKU_METER, FC_SKU_PRICE_DETAILS, FC_RESOURCE_TYPE,
					    FC_SKU_ID, FC_RESOURCE_NAME };
		for (size_t i = 0; i < sizeof cols / sizeof cols[0] && r->inst < 0; i++)
			r->inst = rec_catalog_find_in(c->inst, c->ninst, l.vals[cols[i]]);
		const char *tv = tags_find(l.tag_keys, l.tag_vals, l.ntags, "instance_type");
		if (r->inst < 0 && tv)
			r->inst = rec_catalog_find_in(c->inst, c->ninst, tv);
	}
	if (r->wl == WL_OTHER) {
		enum workload wl = alloc_workload_classify(c->cfg, &l);
		if (wl != WL_OTHER)
			r->wl = wl;
	}
	if (storage_cat) {
		if (has_any(desc, cold_words) || has_any(meter, cold_words) || has_any(l.vals[FC_SKU_ID], cold_words))
			r->flags |= RF_COLD;
		if (has_any(unit, storage_units) || (has(meter, "storage") && !has(unit, "request"))) {
			li->storage = 1;
			li->qrole = Q_STORAGE;
			r->flags |= RF_STORAGE;
		} else if (has(unit, "request") || has(meter, "request") || has(meter, "operation")) {
			int w = has_any(meter, write_words) || (!has_any(meter, read_words) && has_any(desc, write_words));
			/* Requests of an unknown class count as reads: they must not make a bucket look unread. */
			li->qrole = w ? Q_WRITE : Q_READ;
			r->flags |= RF_REQ_SRC;
		} else if (has_any(meter, read_words) || has_any(desc, read_words)) {
			li->qrole = Q_READ;   /* retrieval GB, egress */
			r->flags |= RF_REQ_SRC;
		}
	} else if (has_any(unit, traffic_units)) {
		li->qrole = Q_TRAFFIC;
		r->flags |= RF_TRAFFIC_SRC;
	}
	if (li->qrole != Q_NONE)
		v->any_qty = 1;
	return 0;
}

static struct rec_cell *cell(struct rec_ctx *c, uint32_t res, int32_t day)
{
	uint32_t k[2] = { res, (uint32_t)day }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&c->cell_ids, k, sizeof k, h, &id))
		return &c->cells[id];
	if ((c->ncells & (c->ncells - 1)) == 0)
		c->cells = xrealloc(c->cells, (c->ncells ? c->ncells * 2 : 256) * sizeof *c->cells);
	struct rec_cell *x = &c->cells[c->ncells];
	memset(x, 0, sizeof *x);
	x->res = res;
	x->day = day;
	dict_put(&c->cell_ids, k, sizeof k, h, (uint32_t)c->ncells++);
	return x;
}

const struct rec_cell *rec_cell_get(const struct rec_ctx *c, uint32_t res, int32_t day)
{
	uint32_t k[2] = { res, (uint32_t)day }, id;
	if (!dict_get(&c->cell_ids, k, sizeof k, hash_bytes(k, sizeof k), &id))
		return NULL;
	return &c->cells[id];
}

int rec_res_find(const struct rec_ctx *c, const char *id)
{
	uint32_t ix;
	if (!id || !*id)
		return -1;
	return dict_get(&c->res_ids, id, strlen(id), hash_bytes(id, strlen(id)), &ix) ? (int)ix : -1;
}

static int on_cost(void *arg, int32_t day, uint32_t line, money_t v)
{
	struct lview *lv = arg;
	struct rec_ctx *c = lv->c;
	if (line >= lv->nli || !lv->li[line].pass)
		return 0;
	const struct linfo *li = &lv->li[line];
	int in_window = day >= c->from && day <= c->to;
	if (in_window && money_add(&c->spend, v) < 0)
		return error("recommend: spend total overflows");
	if (in_window && li->cuse >= 0 &&
	    money_add(li->unused ? &c->cuse[li->cuse].unused : &c->cuse[li->cuse].used, v) < 0)
		return error("recommend: commitment total overflows");
	if (li->res < 0 || li->qrole == Q_TOKENS)
		return 0;
	struct rec_cell *x = cell(c, (uint32_t)li->res, day);
	if (money_add(&x->cost[li->pclass], v) < 0 || (li->storage && money_add(&x->storage_cost, v) < 0))
		return error("recommend: cost overflows");
	if (in_window && money_add(&c->res[li->res].cost[li->pclass], v) < 0)
		return error("recommend: cost overflows");
	return 0;
}

static int on_qty(void *arg, int32_t day, uint32_t line, money_t v)
{
	struct lview *lv = arg;
	struct rec_ctx *c = lv->c;
	if (line >= lv->nli || !lv->li[line].pass || lv->li[line].qrole == Q_NONE)
		return 0;
	const struct linfo *li = &lv->li[line];
	if (li->qrole == Q_TOKENS) {
		if (li->model >= 0 && v > 0)
			c->model_days[li->model][day - c->scan_from] = 1;
		return 0;
	}
	if (li->res < 0)
		return 0;
	struct rec_cell *x = cell(c, (uint32_t)li->res, day);
	money_t *dst = li->qrole == Q_TRAFFIC ? &x->traffic : li->qrole == Q_STORAGE ? &x->storage_qty
		       : li->qrole == Q_READ ? &x->reads : &x->writes;
	if (money_add(dst, v) < 0)
		return error("recommend: quantity overflows");
	return 0;
}

/* A model also known by its ResourceName shares the days of its ResourceId: copy them over. */
struct alias_arg { struct rec_ctx *c; struct lview *v; };
static int on_alias(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct alias_arg *a = arg;
	struct alloc_line l;
	(void)tagset;
	if (id >= a->v->nli || a->v->li[id].qrole != Q_TOKENS || a->v->li[id].model < 0)
		return 0;
	store_line_split(vals, n, &a->v->vbuf, &a->v->vcap, l.vals);
	const char *rn = l.vals[FC_RESOURCE_NAME];
	char k[256];
	uint32_t m;
	lower_into(rn, k, sizeof k);
	if (!k[0] || !dict_get(&a->c->model_traffic, k, strlen(k), hash_bytes(k, strlen(k)), &m) ||
	    (int32_t)m == a->v->li[id].model)
		return 0;
	size_t nd = (size_t)(a->c->to - a->c->scan_from + 1);
	for (size_t d = 0; d < nd; d++)
		a->c->model_days[m][d] |= a->c->model_days[a->v->li[id].model][d];
	return 0;
}

int rec_ledger_load(struct rec_ctx *c)
{
	struct lview v;
	int rc = -1;
	memset(&v, 0, sizeof v);
	v.c = c;
	dict_init(&c->res_ids);
	dict_init(&c->cell_ids);
	dict_init(&c->model_traffic);
	c->where = xcalloc(c->o->nwhere ? c->o->nwhere : 1, sizeof *c->where);
	c->nwhere = c->o->nwhere;
	for (size_t w = 0; w < c->o->nwhere; w++) {
		const char *s = c->o->where[w], *eq = strchr(s, '=');
		if (!eq || eq == s) {
			error("--where '%s': expected DIM=VALUE", s);
			c->nwhere = w;
			goto out;
		}
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(eq - s), s);
		struct report_dim *d = &c->where[w].dim;
		if (report_dim_parse(c->cfg, name, d) < 0) {
			c->nwhere = w;
			goto out;
		}
		if (d->kind == DK_DAY || d->kind == DK_WEEK || d->kind == DK_MONTH) {
			error("--where %s: filter time with --from/--to", name);
			c->nwhere = w;
			goto out;
		}
		/* report_dim_parse keeps pointers into name: point them at the caller's text instead. */
		d->name = s;
		if (d->kind == DK_TAG) {
			char *k = xstrndup(s + 4, (size_t)(eq - s) - 4);
			d->key = k;
		}
		c->where[w].value = eq + 1;
	}
	if (c->st->ops->tagset_scan(c->st, on_tagset, &v) < 0 || c->st->ops->line_scan(c->st, on_line, &v) < 0)
		goto out;
	if (c->st->ops->daily_scan(c->st, c->scan_from, c->to, c->o->amount, on_cost, &v) < 0)
		goto out;
	if (v.any_qty && c->st->ops->daily_scan(c->st, c->scan_from, c->to, FA_CONSUMED_QTY, on_qty, &v) < 0)
		goto out;
	if (c->nmodels) {
		struct alias_arg a = { c, &v };
		if (c->st->ops->line_scan(c->st, on_alias, &a) < 0)
			goto out;
	}
	c->has_ledger = c->ncells > 0 || c->spend != 0;
	rc = 0;
out:
	for (size_t i = 0; i < v.nts; i++)
		tagset_release(&v.ts[i]);
	free(v.ts);
	free(v.li);
	free(v.vbuf);
	return rc;
}

void rec_ledger_release(struct rec_ctx *c)
{
	for (size_t i = 0; i < c->nres; i++) {
		struct rec_res *r = &c->res[i];
		free(r->id);
		free(r->name);
		free(r->provider);
		free(r->region);
		free(r->service);
		free(r->sub_account);
	}
	free(c->res);
	free(c->cells);
	for (size_t i = 0; i < c->nmodels; i++)
		free(c->model_days[i]);
	free(c->model_days);
	for (size_t i = 0; i < c->ncuse; i++)
		free(c->cuse[i].provider);
	free(c->cuse);
	c->cuse = NULL;
	c->ncuse = 0;
	for (size_t w = 0; w < c->nwhere; w++)
		if (c->where[w].dim.kind == DK_TAG)
			free((char *)c->where[w].dim.key);
	free(c->where);
	c->where = NULL;
	c->nwhere = 0;
	dict_release(&c->res_ids);
	dict_release(&c->cell_ids);
	dict_release(&c->model_traffic);
	c->res = NULL;
	c->cells = NULL;
	c->model_days = NULL;
	c->nres = c->ncells = c->nmodels = 0;
}
