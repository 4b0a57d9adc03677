/*
 * recommend.c - the recommend pass: settings (`recommend:` config section),
 * the window, the order the kinds run in, the finding builders, and the
 * result (ids, filter, sort, totals). The views and the kinds live in
 * recommend_ledger.c, recommend_gpu.c, recommend_commit.c,
 * recommend_storage.c and recommend_llm.c; see recommend.h for the order
 * and docs/recommend.md for every rule.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/config.h"
#include "core/gpu_query.h"
#include "core/recommend_int.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/err.h"

const char *const rec_kind_names[RK__COUNT] = {
	"stale-endpoint", "idle-gpu", "schedule-offpeak", "rightsize-gpu", "spot", "commitment",
	"storage-cold", "llm-cache", "llm-batch", "llm-route", "prompt-caching",
};

int rec_kind_parse(const char *name)
{
	for (int k = 0; k < RK__COUNT; k++)
		if (!strcmp(name, rec_kind_names[k]))
			return k;
	return -1;
}

enum rec_prov rec_provider(const char *p)
{
	if (!p)
		return RP_OTHER;
	if (!strncasecmp(p, "AWS", 3) || strcasestr(p, "amazon"))
		return RP_AWS;
	if (strcasestr(p, "azure") || strcasestr(p, "microsoft"))
		return RP_AZURE;
	if (strcasestr(p, "google") || !strcasecmp(p, "GCP"))
		return RP_GCP;
	return RP_OTHER;
}

/* ---- settings ------------------------------------------------------------------ */

struct sread {
	const struct config *cfg;
	int rc;
};

static int bad(struct sread *r, const struct cfg_node *n, const char *path, const char *why)
{
	if (r->rc == 0)
		error("%s:%d:%d: recommend.%s: %s", r->cfg->path, n->line, n->col, path, why);
	r->rc = -1;
	return -1;
}

static void num(struct sread *r, const struct cfg_node *m, const char *sect, const char *key, double lo, double hi,
		double *out)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	char path[96], why[96];
	if (!n || n->type == CN_NULL)
		return;
	snprintf(path, sizeof path, "%s%s%s", sect ? sect : "", sect ? "." : "", key);
	char *end = NULL;
	double v = n->type == CN_SCALAR ? strtod(n->str, &end) : NAN;
	if (n->type != CN_SCALAR || !n->len || *end || !(v >= lo && v <= hi)) {
		snprintf(why, sizeof why, "expected a number from %g to %g", lo, hi);
		bad(r, n, path, why);
		return;
	}
	*out = v;
}

static void inum(struct sread *r, const struct cfg_node *m, const char *sect, const char *key, int lo, int hi, int *out)
{
	double v = *out;
	num(r, m, sect, key, lo, hi, &v);
	if (v != floor(v)) {
		bad(r, cfg_node_get(m, key), key, "expected a whole number");
		return;
	}
	*out = (int)v;
}

static const struct cfg_node *sect(struct sread *r, const struct cfg_node *root, const char *name,
				   const char *const *known)
{
	const struct cfg_node *n = cfg_node_get(root, name);
	if (!n || n->type == CN_NULL)
		return NULL;
	if (n->type != CN_MAP) {
		bad(r, n, name, "expected a mapping");
		return NULL;
	}
	for (size_t i = 0; known && i < n->n; i++) {
		const struct cfg_node *k = &n->items[2 * i];
		size_t j;
		for (j = 0; known[j] && strcmp(known[j], k->str ? k->str : ""); j++)
			;
		if (!known[j])
			warning("%s:%d:%d: recommend.%s.%s: unknown key (ignored)", r->cfg->path, k->line, k->col, name,
				k->str ? k->str : "");
	}
	return n;
}

/* A number for every provider, or a map AWS/Azure/GCP/other -> number. */
static void per_provider(struct sread *r, const struct cfg_node *m, const char *sname, const char *key, double out[4])
{
	const struct cfg_node *n = cfg_node_get(m, key);
	char path[64];
	snprintf(path, sizeof path, "%s.%s", sname, key);
	if (!n || n->type == CN_NULL)
		return;
	if (n->type == CN_SCALAR) {
		double v = -1;
		num(r, m, sname, key, 0, 0.95, &v);
		if (v >= 0)
			for (int i = 0; i < 4; i++)
				out[i] = v;
		return;
	}
	if (n->type != CN_MAP) {
		bad(r, n, path, "expected a number or a map of provider -> number");
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->items[2 * i];
		const char *name = k->str ? k->str : "";
		int p = !strcasecmp(name, "other") ? RP_OTHER : (int)rec_provider(name);
		if (p == RP_OTHER && strcasecmp(name, "other")) {
			bad(r, k, path, "providers are AWS, Azure, GCP and other");
			return;
		}
		num(r, n, path, name, 0, 0.95, &out[p]);
	}
}

int rec_settings_read(const struct config *cfg, struct rec_settings *s)
{
	struct sread r = { cfg, 0 };
	struct gpu_settings gs;
	memset(s, 0, sizeof *s);
	if (gpu_settings_read(cfg, &gs) < 0)
		return -1;
	s->lookback_days = 30;
	s->min_monthly_savings = MONEY_ONE;
	s->idle_threshold = gs.idle_threshold;
	s->idle_min_days = 3;
	s->idle_busy_share = 0.05;
	s->min_coverage = 0.5;
	s->offpeak_idle_share = 0.9;
	s->offpeak_min_run = 4;
	s->offpeak_min_hours = 24;
	s->offpeak_min_weeks = 2;
	s->rightsize_min_days = 7;
	s->rightsize_target_util = 70;
	s->rightsize_mem_margin = 0.2;
	s->rightsize_min_saving = 0.1;
	for (int i = 0; i < 4; i++)
		s->spot_discount[i] = 0.6;
	s->commit_discount[RP_AWS] = 0.28;
	s->commit_discount[RP_AZURE] = 0.33;
	s->commit_discount[RP_GCP] = 0.37;
	s->commit_discount[RP_OTHER] = 0.25;
	s->lookbacks[0] = 7, s->lookbacks[1] = 30, s->lookbacks[2] = 60, s->nlookbacks = 3;
	s->commit_min_days = 7;
	s->stale_days = 7;
	s->cold_days = 30;
	s->cold_price_ratio = 0.5;
	s->route_max_prompt = 1000;
	s->route_max_output = 300;
	s->route_min_share = 0.1;
	s->cache_min_share = 0.05;
	s->llm_min_requests = 100;
	s->batch_max_stream_share = 0.01;
	s->batch_max_user_share = 0.01;
	s->prompt_cache_min_share = 0.2;

	const struct cfg_node *root = cfg_node_get(&cfg->root, "recommend");
	if (!root || root->type == CN_NULL)
		return 0;
	static const char *const top[] = { "lookback_days", "min_monthly_savings", "llm_min_requests", "idle",
					   "schedule_offpeak", "rightsize", "spot", "commitment", "stale_endpoint",
					   "storage_cold", "llm_route", "llm_cache", "llm_batch", "prompt_caching", NULL };
	if (root->type != CN_MAP) {
		bad(&r, root, "", "expected a mapping");
		return -1;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct cfg_node *k = &root->items[2 * i];
		size_t j;
		for (j = 0; top[j] && strcmp(top[j], k->str ? k->str : ""); j++)
			;
		if (!top[j])
			warning("%s:%d:%d: recommend.%s: unknown key (ignored)", cfg->path, k->line, k->col, k->str ? k->str : "");
	}
	inum(&r, root, NULL, "lookback_days", 1, 3660, &s->lookback_days);
	const struct cfg_node *ms = cfg_node_get(root, "min_monthly_savings");
	if (ms && ms->type != CN_NULL) {
		if (ms->type != CN_SCALAR || money_parse(ms->str, ms->len, &s->min_monthly_savings, NULL) < 0 ||
		    s->min_monthly_savings < 0)
			bad(&r, ms, "min_monthly_savings", "expected an amount >= 0");
	}
	double v = (double)s->llm_min_requests;
	num(&r, root, NULL, "llm_min_requests", 1, 1e12, &v);
	s->llm_min_requests = (uint64_t)v;

	static const char *const k_idle[] = { "threshold", "min_days", "busy_share", "min_coverage", NULL };
	const struct cfg_node *m = sect(&r, root, "idle", k_idle);
	num(&r, m, "idle", "threshold", 0, 100, &s->idle_threshold);
	inum(&r, m, "idle", "min_days", 1, 365, &s->idle_min_days);
	num(&r, m, "idle", "busy_share", 0, 0.5, &s->idle_busy_share);
	num(&r, m, "idle", "min_coverage", 0.01, 1, &s->min_coverage);
	static const char *const k_off[] = { "idle_share", "min_run_hours", "min_hours_per_week", "min_weeks", NULL };
	m = sect(&r, root, "schedule_offpeak", k_off);
	num(&r, m, "schedule_offpeak", "idle_share", 0.5, 1, &s->offpeak_idle_share);
	inum(&r, m, "schedule_offpeak", "min_run_hours", 1, 168, &s->offpeak_min_run);
	inum(&r, m, "schedule_offpeak", "min_hours_per_week", 1, 167, &s->offpeak_min_hours);
	inum(&r, m, "schedule_offpeak", "min_weeks", 1, 52, &s->offpeak_min_weeks);
	static const char *const k_rs[] = { "min_days", "target_util", "memory_margin", "min_saving", NULL };
	m = sect(&r, root, "rightsize", k_rs);
	inum(&r, m, "rightsize", "min_days", 1, 365, &s->rightsize_min_days);
	num(&r, m, "rightsize", "target_util", 1, 100, &s->rightsize_target_util);
	num(&r, m, "rightsize", "memory_margin", 0, 4, &s->rightsize_mem_margin);
	num(&r, m, "rightsize", "min_saving", 0, 0.95, &s->rightsize_min_saving);
	static const char *const k_spot[] = { "discount", NULL };
	m = sect(&r, root, "spot", k_spot);
	per_provider(&r, m, "spot", "discount", s->spot_discount);
	static const char *const k_com[] = { "discount", "lookbacks", "min_days", NULL };
	m = sect(&r, root, "commitment", k_com);
	per_provider(&r, m, "commitment", "discount", s->commit_discount);
	inum(&r, m, "commitment", "min_days", 1, 365, &s->commit_min_days);
	const struct cfg_node *lb = cfg_node_get(m, "lookbacks");
	if (lb && lb->type != CN_NULL) {
		if (lb->type != CN_SEQ || !lb->n || lb->n > REC_MAX_LOOKBACKS) {
			bad(&r, lb, "commitment.lookbacks", "expected a list of 1 to 4 day counts");
		} else {
			s->nlookbacks = 0;
			for (size_t i = 0; i < lb->n; i++) {
				const struct cfg_node *it = &lb->items[i];
				char *end = NULL;
				long d = it->type == CN_SCALAR ? strtol(it->str, &end, 10) : 0;
				if (it->type != CN_SCALAR || !it->len || *end || d < 1 || d > 366) {
					bad(&r, it, "commitment.lookbacks", "expected a day count from 1 to 366");
					break;
				}
				s->lookbacks[s->nlookbacks++] = (int)d;
			}
		}
	}
	static const char *const k_stale[] = { "days", NULL };
	m = sect(&r, root, "stale_endpoint", k_stale);
	inum(&r, m, "stale_endpoint", "days", 1, 365, &s->stale_days);
	static const char *const k_cold[] = { "days", "cold_price_ratio", NULL };
	m = sect(&r, root, "storage_cold", k_cold);
	inum(&r, m, "storage_cold", "days", 7, 365, &s->cold_days);
	num(&r, m, "storage_cold", "cold_price_ratio", 0, 0.95, &s->cold_price_ratio);
	static const char *const k_route[] = { "max_prompt_tokens", "max_output_tokens", "min_share", "targets", NULL };
	m = sect(&r, root, "llm_route", k_route);
	v = (double)s->route_max_prompt;
	num(&r, m, "llm_route", "max_prompt_tokens", 1, 1e9, &v);
	s->route_max_prompt = (uint64_t)v;
	v = (double)s->route_max_output;
	num(&r, m, "llm_route", "max_output_tokens", 1, 1e9, &v);
	s->route_max_output = (uint64_t)v;
	num(&r, m, "llm_route", "min_share", 0, 1, &s->route_min_share);
	const struct cfg_node *tg = cfg_node_get(m, "targets");
	if (tg && tg->type != CN_NULL) {
		if (tg->type != CN_MAP) {
			bad(&r, tg, "llm_route.targets", "expected a map of model -> cheaper model");
		} else {
			for (size_t i = 0; i < tg->n; i++) {
				const struct cfg_node *k = &tg->items[2 * i], *val = &tg->items[2 * i + 1];
				if (val->type != CN_SCALAR || !val->len) {
					bad(&r, val, "llm_route.targets", "expected a model name");
					break;
				}
				s->route_from = xrealloc(s->route_from, (s->nroutes + 1) * sizeof *s->route_from);
				s->route_to = xrealloc(s->route_to, (s->nroutes + 1) * sizeof *s->route_to);
				s->route_from[s->nroutes] = xstrdup(k->str ? k->str : "");
				s->route_to[s->nroutes++] = xstrdup(val->str);
			}
		}
	}
	static const char *const k_cache[] = { "min_duplicate_share", NULL };
	m = sect(&r, root, "llm_cache", k_cache);
	num(&r, m, "llm_cache", "min_duplicate_share", 0, 1, &s->cache_min_share);
	static const char *const k_batch[] = { "max_stream_share", "max_user_share", NULL };
	m = sect(&r, root, "llm_batch", k_batch);
	num(&r, m, "llm_batch", "max_stream_share", 0, 1, &s->batch_max_stream_share);
	num(&r, m, "llm_batch", "max_user_share", 0, 1, &s->batch_max_user_share);
	static const char *const k_pc[] = { "min_repeat_share", NULL };
	m = sect(&r, root, "prompt_caching", k_pc);
	num(&r, m, "prompt_caching", "min_repeat_share", 0, 1, &s->prompt_cache_min_share);
	if (r.rc < 0)
		rec_settings_release(s);
	return r.rc;
}

void rec_settings_release(struct rec_settings *s)
{
	for (size_t i = 0; i < s->nroutes; i++) {
		free(s->route_from[i]);
		free(s->route_to[i]);
	}
	free(s->route_from);
	free(s->route_to);
	s->route_from = s->route_to = NULL;
	s->nroutes = 0;
}

/* ---- money ----------------------------------------------------------------------- */

money_t rec_monthly(money_t a, int days)
{
	money_t out = 0;
	if (days <= 0 || money_muldiv(a, 30, days, &out) < 0)
		return 0;
	return out;
}

money_t rec_scale(money_t a, double f)
{
	money_t out = 0;
	if (!(f > 0))
		return 0;
	if (f > 1e6)
		f = 1e6;
	if (money_muldiv(a, (money_t)llround(f * 1e6), 1000000, &out) < 0)
		return 0;
	return out;
}

/* ---- building findings ------------------------------------------------------------ */

struct recommendation *rec_add(struct rec_ctx *c, enum rec_kind k, const char *resource_id)
{
	if (c->nrecs == c->caprecs) {
		c->caprecs = c->caprecs ? c->caprecs * 2 : 16;
		c->recs = xrealloc(c->recs, c->caprecs * sizeof *c->recs);
	}
	struct recommendation *r = &c->recs[c->nrecs++];
	memset(r, 0, sizeof *r);
	r->kind = k;
	r->resource_id = xstrdup(resource_id ? resource_id : "");
	r->from_day = c->from;
	r->to_day = c->to;
	return r;
}

void rec_scope(struct recommendation *r, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	r->scope_keys = xrealloc(r->scope_keys, (r->nscope + 1) * sizeof *r->scope_keys);
	r->scope_vals = xrealloc(r->scope_vals, (r->nscope + 1) * sizeof *r->scope_vals);
	r->scope_keys[r->nscope] = xstrdup(key);
	r->scope_vals[r->nscope++] = xstrdup(val);
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("");
	return s;
}

void rec_title(struct recommendation *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->title);
	r->title = vfmt(fmt, ap);
	va_end(ap);
}

void rec_action(struct recommendation *r, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(r->action);
	r->action = vfmt(fmt, ap);
	r->action_type = type;
	va_end(ap);
}

static struct rec_val *val_add(struct rec_val **v, size_t *n, const char *key, enum rec_val_type t)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	struct rec_val *x = &(*v)[(*n)++];
	memset(x, 0, sizeof *x);
	snprintf(x->key, sizeof x->key, "%s", key);
	x->type = t;
	return x;
}

void rec_ev_num(struct recommendation *r, const char *key, double v)
{
	val_add(&r->ev, &r->nev, key, RV_NUM)->num = isfinite(v) ? v : 0;
}

void rec_ev_int(struct recommendation *r, const char *key, int64_t v)
{
	val_add(&r->ev, &r->nev, key, RV_INT)->i = v;
}

void rec_ev_money(struct recommendation *r, const char *key, money_t v)
{
	val_add(&r->ev, &r->nev, key, RV_MONEY)->m = v;
}

void rec_ev_str(struct recommendation *r, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	val_add(&r->ev, &r->nev, key, RV_STR)->s = vfmt(fmt, ap);
	va_end(ap);
}

void rec_ev_period(struct recommendation *r, int32_t from, int32_t to)
{
	char a[11], b[11];
	format_day(from, a);
	format_day(to, b);
	r->from_day = from;
	r->to_day = to;
	rec_ev_str(r, "period_from", "%s", a);
	rec_ev_str(r, "period_to", "%s", b);
	rec_ev_int(r, "period_days", (int64_t)to - from + 1);
}

void rec_param_str(struct recommendation *r, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	val_add(&r->params, &r->nparams, key, RV_STR)->s = vfmt(fmt, ap);
	va_end(ap);
}

void rec_param_num(struct recommendation *r, const char *key, double v)
{
	val_add(&r->params, &r->nparams, key, RV_NUM)->num = isfinite(v) ? v : 0;
}

void rec_param_money(struct recommendation *r, const char *key, money_t v)
{
	val_add(&r->params, &r->nparams, key, RV_MONEY)->m = v;
}

void rec_param_int(struct recommendation *r, const char *key, int64_t v)
{
	val_add(&r->params, &r->nparams, key, RV_INT)->i = v;
}

void rec_note(struct rec_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vfmt(fmt, ap);
	va_end(ap);
	size_t n = strlen(s);
	c->notes = xrealloc(c->notes, c->notes_len + n + 2);
	memcpy(c->notes + c->notes_len, s, n);
	c->notes_len += n;
	c->notes[c->notes_len++] = '\n';
	c->notes[c->notes_len] = 0;
	free(s);
}

static void vals_free(struct rec_val *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].s);
	free(v);
}

static void rec_free(struct recommendation *r)
{
	free(r->resource_id);
	for (size_t i = 0; i < r->nscope; i++) {
		free(r->scope_keys[i]);
		free(r->scope_vals[i]);
	}
	free(r->scope_keys);
	free(r->scope_vals);
	free(r->title);
	free(r->action);
	vals_free(r->ev, r->nev);
	vals_free(r->params, r->nparams);
}

/* ---- the result ---------------------------------------------------------------------- */

/* FNV-1a over the kind, the resource and the scope: an id that stays the same run after run. */
static void make_id(struct recommendation *r)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[2] = { rec_kind_names[r->kind], r->resource_id };
	for (int i = 0; i < 2; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (size_t i = 0; i < r->nscope; i++)
		for (int j = 0; j < 2; j++) {
			const char *p = j ? r->scope_vals[i] : r->scope_keys[i];
			h = (h ^ 0x1f) * 1099511628211ULL;
			for (; *p; p++)
				h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		}
	snprintf(r->id, sizeof r->id, "%s:%012" PRIx64, rec_kind_names[r->kind], (uint64_t)(h & 0xffffffffffffULL));
}

static int rec_cmp(const void *a, const void *b)
{
	const struct recommendation *x = a, *y = b;
	if (x->monthly_savings != y->monthly_savings)
		return x->monthly_savings > y->monthly_savings ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void ctx_release(struct rec_ctx *c)
{
	rec_ledger_release(c);
	rec_gpu_release(c);
	free(c->inst);
	for (size_t i = 0; i < c->nrecs; i++)
		rec_free(&c->recs[i]);
	free(c->recs);
	free(c->notes);
	rec_settings_release(&c->set);
}

int recommend_run(struct store *st, const struct config *cfg, const struct recommend_opts *o,
		  struct recommend_result *res)
{
	struct rec_ctx c;
	int rc = -1;
	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	res->amount = o->amount;
	res->from_day = 1;
	res->to_day = 0;
	c.st = st;
	c.cfg = cfg;
	c.o = o;
	if (o->amount < 0 || o->amount > FA_CONTRACTED)
		return error("recommend: the cost column must be billed, effective, list or contracted");
	if (o->from_day != INT64_MIN && o->to_day != INT64_MAX && o->from_day > o->to_day)
		return error("recommend: --from is after --to");
	if (rec_settings_read(cfg, &c.set) < 0)
		return -1;
	if (rec_catalog_load(&c.inst, &c.ninst) < 0)
		goto out;

	/* The window: --from/--to, else the last lookback_days days of the data. */
	int32_t lmin = 0, lmax = -1;
	int have = st->ops->day_range(st, &lmin, &lmax);
	if (have < 0)
		goto out;
	if (!have)
		lmin = 0, lmax = -1;
	if (o->to_day != INT64_MAX)
		c.to = (int32_t)o->to_day;
	else
		c.to = lmax;
	if (o->from_day != INT64_MIN)
		c.from = (int32_t)o->from_day;
	else
		c.from = c.to - c.set.lookback_days + 1;
	if (o->from_day == INT64_MIN && have && c.from < lmin)
		c.from = lmin;
	if (have || o->to_day != INT64_MAX) {
		if (c.to - c.from + 1 > 3660)
			{ error("recommend: the window is longer than 10 years"); goto out; }
		c.ndays = c.to - c.from + 1;
		int longest = 0;
		for (int i = 0; i < c.set.nlookbacks; i++)
			longest = c.set.lookbacks[i] > longest ? c.set.lookbacks[i] : longest;
		c.scan_from = c.to - longest + 1 < c.from ? c.to - longest + 1 : c.from;
	}
	if (c.ndays > 0) {
		if (rec_ledger_load(&c) < 0 || rec_gpu_load(&c) < 0)
			goto out;
		if (rec_stale_endpoints(&c) < 0 || rec_gpu_kinds(&c) < 0 || rec_commitment(&c) < 0 ||
		    rec_storage_cold(&c) < 0 || rec_llm_kinds(&c) < 0)
			goto out;
	} else {
		rec_note(&c, "the ledger holds no cost data: load a bill with 'aicost ingest focus FILE'");
	}

	/* Keep what was asked for and worth it; ids; sort; totals. */
	money_t min = o->have_min_savings ? o->min_savings : c.set.min_monthly_savings;
	size_t k = 0;
	for (size_t i = 0; i < c.nrecs; i++) {
		struct recommendation *r = &c.recs[i];
		/* Exact to 1e-6 (SPEC): rounded once here, so the total is the sum of what is shown. */
		r->monthly_savings = money_round(r->monthly_savings, 6);
		r->monthly_cost = money_round(r->monthly_cost, 6);
		int want = (!o->kinds || (o->kinds >> r->kind) & 1) && r->monthly_savings > 0 && r->monthly_savings >= min;
		if (!want) {
			rec_free(r);
			continue;
		}
		make_id(r);
		c.recs[k++] = *r;
	}
	c.nrecs = k;
	if (c.nrecs)
		qsort(c.recs, c.nrecs, sizeof *c.recs, rec_cmp);
	res->recs = c.recs;
	res->n = c.nrecs;
	c.recs = NULL;
	c.nrecs = 0;
	for (size_t i = 0; i < res->n; i++)
		if (money_add(&res->total_monthly_savings, res->recs[i].monthly_savings) < 0) {
			error("recommend: savings total overflows");
			goto out;
		}
	res->from_day = c.from;
	res->to_day = c.to;
	res->spend = c.spend;
	res->monthly_spend = money_round(rec_monthly(c.spend, c.ndays), 6);
	res->savings_share = res->monthly_spend > 0 ? money_to_double(res->total_monthly_savings) /
							     money_to_double(res->monthly_spend) : 0;
	snprintf(res->currency, sizeof res->currency, "%s", c.currency);
	res->notes = c.notes;
	c.notes = NULL;
	rc = 0;
out:
	ctx_release(&c);
	return rc;
}

void recommend_result_release(struct recommend_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		rec_free(&res->recs[i]);
	free(res->recs);
	free(res->notes);
	memset(res, 0, sizeof *res);
}
