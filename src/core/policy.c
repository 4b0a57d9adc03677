/*
 * policy.c - `policies:` parsing and the checks; see policy.h and
 * docs/check.md. The section is kept raw by the config loader (CT_RAW) and
 * validated here, with file:line:col in every error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/budget.h"
#include "core/config.h"
#include "core/policy.h"
#include "core/report.h"
#include "core/tags.h"
#include "formats/focus.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

/* ---- parsing --------------------------------------------------------------- */

struct scope {
	char **keys, **vals;
	size_t n;
};

struct tag_rule {
	const char *key;              /* points into the config tree */
	const char **any;             /* tag keys that satisfy it */
	size_t nany;
	struct scope scope;
	money_t max;                  /* tolerated share without the tag */
	enum policy_severity sev;
};

struct untagged_rule {
	int present;
	struct scope scope;
	money_t max;
	enum policy_severity sev;
};

struct budget_rule {
	int forecast;                 /* no_forecast_breach */
	enum policy_severity sev;
	const char **names;           /* NULL = every budget */
	size_t nnames;
};

struct policies {
	struct tag_rule *tags;
	size_t ntags;
	struct untagged_rule untagged;
	struct budget_rule *budgets;
	size_t nbudgets;
};

struct parser {
	const struct config *cfg;
	char path[160];
};

static int bad(struct parser *p, const struct cfg_node *n, const char *fmt, ...) AICOST_PRINTF(3, 4);
static int bad(struct parser *p, const struct cfg_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error("%s:%d:%d: %s: %s", p->cfg->path, n ? n->line : 0, n ? n->col : 0, p->path, msg);
}

static int is_scalar(const struct cfg_node *n) { return n && n->type == CN_SCALAR; }

static int parse_fraction(struct parser *p, const struct cfg_node *n, money_t *out)
{
	if (!is_scalar(n) || money_parse(n->str, n->len, out, NULL) < 0)
		return bad(p, n, "expected a number between 0 and 1 (0.05 = 5%%)");
	if (*out < 0 || *out > MONEY_ONE)
		return bad(p, n, "'%s' is not between 0 and 1 (0.05 = 5%%)", n->str);
	return 0;
}

static int parse_severity(struct parser *p, const struct cfg_node *n, enum policy_severity *out)
{
	if (!n)
		return 0;
	if (is_scalar(n) && !strcmp(n->str, "error"))
		*out = SEV_ERROR;
	else if (is_scalar(n) && !strcmp(n->str, "warning"))
		*out = SEV_WARNING;
	else
		return bad(p, n, "severity must be one of error, warning");
	return 0;
}

/* scope: { DIM: value } (exact values, as --where); absent -> the default (ChargeCategory=Usage when dflt). */
static int parse_scope(struct parser *p, const struct cfg_node *n, int dflt, struct scope *s)
{
	memset(s, 0, sizeof *s);
	if (!n) {
		if (dflt) {
			s->keys = xcalloc(1, sizeof *s->keys);
			s->vals = xcalloc(1, sizeof *s->vals);
			s->keys[0] = xstrdup("ChargeCategory");
			s->vals[0] = xstrdup("Usage");
			s->n = 1;
		}
		return 0;
	}
	if (n->type == CN_NULL)
		return 0;
	if (n->type != CN_MAP)
		return bad(p, n, "scope must be a mapping of dimension: value");
	s->keys = xcalloc(n->n ? n->n : 1, sizeof *s->keys);
	s->vals = xcalloc(n->n ? n->n : 1, sizeof *s->vals);
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->items[2 * i], *v = &n->items[2 * i + 1];
		if (!is_scalar(v))
			return bad(p, v, "the value of '%s' must be a string", k->str);
		s->keys[s->n] = xstrdup(k->str);
		s->vals[s->n++] = xstrdup(v->str);
		int c = focus_col_lookup(k->str, k->len, NULL);
		if (!(strncmp(k->str, "tag:", 4) == 0 && k->str[4]) && alloc_dim_find(p->cfg, k->str) < 0 &&
		    !(c >= 0 && focus_columns[c].role == FR_KEY))
			return bad(p, k, "'%s' is not a FOCUS key column, tag:KEY or allocation dimension", k->str);
	}
	return 0;
}

static void scope_release(struct scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->keys[i]);
		free(s->vals[i]);
	}
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof *s);
}

static int check_keys(struct parser *p, const struct cfg_node *m, const char *const *allowed)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct cfg_node *k = &m->items[2 * i];
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= !strcmp(k->str, *a);
		if (!ok)
			return bad(p, k, "unknown key '%s'", k->str);
	}
	return 0;
}

static int parse_tags(struct parser *p, const struct cfg_node *n, struct policies *pol)
{
	static const char *const allowed[] = { "key", "any_of", "scope", "max_missing_share", "severity", NULL };
	size_t cnt = n->type == CN_SEQ ? n->n : 1;
	if (n->type != CN_SEQ && !is_scalar(n) && n->type != CN_MAP)
		return bad(p, n, "expected a list of tag keys or {key: ...} mappings");
	pol->tags = xcalloc(cnt ? cnt : 1, sizeof *pol->tags);
	size_t plen = strlen(p->path);
	for (size_t i = 0; i < cnt; i++) {
		const struct cfg_node *it = n->type == CN_SEQ ? &n->items[i] : n;
		struct tag_rule *r = &pol->tags[pol->ntags++];
		snprintf(p->path + plen, sizeof p->path - plen, "[%zu]", i);
		r->sev = SEV_ERROR;
		if (is_scalar(it)) {
			r->key = it->str;
		} else if (it->type == CN_MAP) {
			if (check_keys(p, it, allowed) < 0)
				return -1;
			const struct cfg_node *k = cfg_node_get(it, "key");
			if (!is_scalar(k) || !k->str[0])
				return bad(p, it, "a required tag needs 'key:'");
			r->key = k->str;
			const struct cfg_node *any = cfg_node_get(it, "any_of");
			if (any) {
				if (any->type != CN_SEQ || !any->n)
					return bad(p, any, "any_of must be a non-empty list of tag keys");
				r->any = xcalloc(any->n, sizeof *r->any);
				for (size_t j = 0; j < any->n; j++) {
					if (!is_scalar(&any->items[j]) || !any->items[j].str[0])
						return bad(p, &any->items[j], "any_of must list tag keys");
					r->any[r->nany++] = any->items[j].str;
				}
			}
			const struct cfg_node *mx = cfg_node_get(it, "max_missing_share");
			if (mx && parse_fraction(p, mx, &r->max) < 0)
				return -1;
			if (parse_severity(p, cfg_node_get(it, "severity"), &r->sev) < 0)
				return -1;
			if (parse_scope(p, cfg_node_get(it, "scope"), 1, &r->scope) < 0)
				return -1;
		} else {
			return bad(p, it, "expected a tag key or a {key: ...} mapping");
		}
		if (!r->key[0])
			return bad(p, it, "empty tag key");
		if (!r->any) {
			r->any = xcalloc(1, sizeof *r->any);
			r->any[0] = r->key;
			r->nany = 1;
		}
		if (is_scalar(it) && parse_scope(p, NULL, 1, &r->scope) < 0)
			return -1;
		if (r->nany > 16)
			return bad(p, it, "at most 16 alternative keys");
	}
	p->path[plen] = 0;
	return 0;
}

static int parse_untagged(struct parser *p, const struct cfg_node *n, struct policies *pol)
{
	static const char *const allowed[] = { "max", "scope", "severity", NULL };
	struct untagged_rule *u = &pol->untagged;
	u->present = 1;
	u->sev = SEV_ERROR;
	if (is_scalar(n))
		return parse_fraction(p, n, &u->max) < 0 || parse_scope(p, NULL, 1, &u->scope) < 0 ? -1 : 0;
	if (n->type != CN_MAP)
		return bad(p, n, "expected a share (0.05) or {max: 0.05, scope: ..., severity: ...}");
	if (check_keys(p, n, allowed) < 0)
		return -1;
	const struct cfg_node *mx = cfg_node_get(n, "max");
	if (!mx)
		return bad(p, n, "needs 'max:'");
	if (parse_fraction(p, mx, &u->max) < 0 || parse_severity(p, cfg_node_get(n, "severity"), &u->sev) < 0)
		return -1;
	return parse_scope(p, cfg_node_get(n, "scope"), 1, &u->scope);
}

static int parse_budget_rules(struct parser *p, const struct cfg_node *n, struct policies *pol)
{
	static const char *const allowed[] = { "rule", "severity", "names", NULL };
	size_t cnt = n->type == CN_SEQ ? n->n : 1;
	pol->budgets = xcalloc(cnt ? cnt : 1, sizeof *pol->budgets);
	size_t plen = strlen(p->path);
	for (size_t i = 0; i < cnt; i++) {
		const struct cfg_node *it = n->type == CN_SEQ ? &n->items[i] : n, *rn = it;
		struct budget_rule *r = &pol->budgets[pol->nbudgets++];
		if (n->type == CN_SEQ)
			snprintf(p->path + plen, sizeof p->path - plen, "[%zu]", i);
		r->sev = SEV_ERROR;
		if (it->type == CN_MAP) {
			if (check_keys(p, it, allowed) < 0)
				return -1;
			rn = cfg_node_get(it, "rule");
			if (!rn)
				return bad(p, it, "needs 'rule: no_breach' or 'rule: no_forecast_breach'");
			if (parse_severity(p, cfg_node_get(it, "severity"), &r->sev) < 0)
				return -1;
			const struct cfg_node *nm = cfg_node_get(it, "names");
			if (nm) {
				size_t k = nm->type == CN_SEQ ? nm->n : 1;
				r->names = xcalloc(k ? k : 1, sizeof *r->names);
				for (size_t j = 0; j < k; j++) {
					const struct cfg_node *x = nm->type == CN_SEQ ? &nm->items[j] : nm;
					if (!is_scalar(x))
						return bad(p, x, "names must list budget names");
					size_t b;
					for (b = 0; b < p->cfg->nbudgets && strcmp(p->cfg->budgets[b].name, x->str); b++)
						;
					if (b == p->cfg->nbudgets)
						return bad(p, x, "no budget named '%s' in budgets:", x->str);
					r->names[r->nnames++] = x->str;
				}
			}
		}
		if (is_scalar(rn) && !strcmp(rn->str, "no_breach"))
			r->forecast = 0;
		else if (is_scalar(rn) && !strcmp(rn->str, "no_forecast_breach"))
			r->forecast = 1;
		else
			return bad(p, rn, "expected no_breach or no_forecast_breach");
	}
	p->path[plen] = 0;
	return 0;
}

static void policies_release(struct policies *pol)
{
	for (size_t i = 0; i < pol->ntags; i++) {
		free(pol->tags[i].any);
		scope_release(&pol->tags[i].scope);
	}
	free(pol->tags);
	scope_release(&pol->untagged.scope);
	for (size_t i = 0; i < pol->nbudgets; i++)
		free(pol->budgets[i].names);
	free(pol->budgets);
	memset(pol, 0, sizeof *pol);
}

static int parse_policies(const struct config *cfg, struct policies *pol)
{
	static const char *const allowed[] = { "required_tags", "max_untagged_share", "budgets", NULL };
	struct parser p = { cfg, "policies" };
	memset(pol, 0, sizeof *pol);
	const struct cfg_node *n = cfg_node_get(&cfg->root, "policies");
	if (!n || n->type == CN_NULL)
		return 0;
	if (n->type != CN_MAP)
		return bad(&p, n, "expected a mapping (required_tags, max_untagged_share, budgets)");
	if (check_keys(&p, n, allowed) < 0)
		return -1;
	const struct cfg_node *x;
	if ((x = cfg_node_get(n, "required_tags")) && x->type != CN_NULL) {
		strcpy(p.path, "policies.required_tags");
		if (parse_tags(&p, x, pol) < 0)
			return -1;
	}
	if ((x = cfg_node_get(n, "max_untagged_share")) && x->type != CN_NULL) {
		strcpy(p.path, "policies.max_untagged_share");
		if (parse_untagged(&p, x, pol) < 0)
			return -1;
	}
	if ((x = cfg_node_get(n, "budgets")) && x->type != CN_NULL) {
		strcpy(p.path, "policies.budgets");
		if (parse_budget_rules(&p, x, pol) < 0)
			return -1;
	}
	return 0;
}

/* ---- checks ----------------------------------------------------------------- */

static struct policy_result *add_result(struct policy_report *out, const char *rule, const char *subject,
					enum policy_severity sev, const struct scope *sc)
{
	out->r = xrealloc(out->r, (out->n + 1) * sizeof *out->r);
	struct policy_result *r = &out->r[out->n++];
	memset(r, 0, sizeof *r);
	r->rule = xstrdup(rule);
	r->subject = subject ? xstrdup(subject) : NULL;
	r->severity = sev;
	if (sc && sc->n) {
		r->scope_keys = xcalloc(sc->n, sizeof *r->scope_keys);
		r->scope_vals = xcalloc(sc->n, sizeof *r->scope_vals);
		for (size_t i = 0; i < sc->n; i++) {
			r->scope_keys[i] = xstrdup(sc->keys[i]);
			r->scope_vals[i] = xstrdup(sc->vals[i]);
		}
		r->nscope = sc->n;
	}
	return r;
}

/* The filters of a check: its scope plus the command's --where. */
static char **where_list(const struct scope *sc, const struct policy_opts *o, size_t *n)
{
	char **w = xcalloc(sc->n + o->nwhere + 1, sizeof *w);
	*n = 0;
	for (size_t i = 0; i < sc->n; i++) {
		size_t len = strlen(sc->keys[i]) + strlen(sc->vals[i]) + 2;
		w[*n] = xmalloc(len);
		snprintf(w[(*n)++], len, "%s=%s", sc->keys[i], sc->vals[i]);
	}
	for (size_t i = 0; i < o->nwhere; i++)
		w[(*n)++] = xstrdup(o->where[i]);
	return w;
}

static void where_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

static void share_of(money_t part, money_t total, money_t *out)
{
	*out = 0;
	if (total > 0)
		money_muldiv(part, MONEY_ONE, total, out);
}

static void pct_text(money_t f, char *out)
{
	money_t p = 0;
	money_muldiv(f, money_from_int(100), MONEY_ONE, &p);
	money_format(p, out, 1, 2);
}

static void note_range(struct policy_report *out, const struct report_result *r)
{
	if (r->from_day <= r->to_day) {
		if (out->from_day > out->to_day || r->from_day < out->from_day)
			out->from_day = r->from_day;
		if (out->from_day > out->to_day || r->to_day > out->to_day)
			out->to_day = r->to_day;
	}
	snprintf(out->currency, sizeof out->currency, "%s", r->currency);
}

/*
 * Tag coverage of the cost in scope: one report-engine run by the given tag
 * keys and ResourceId. A row lacks the tag when every key is absent or
 * empty. Shares count positive cost only: each (tag values, resource)
 * group's net cost if above 0, so a credit (usually untagged, without a
 * resource) can never hide untagged usage, nor can a negative share appear.
 */
struct coverage {
	money_t missing, total;      /* positive cost without the tag / all positive cost in scope */
	size_t resources;            /* distinct ResourceIds with positive cost missing it */
	char *example;               /* the one with the most such cost (malloc'd), or NULL */
};

static int tag_coverage(struct store *st, const struct config *cfg, const struct policy_opts *o,
			const char *const *keys, size_t nkeys, const struct scope *sc, struct policy_report *out,
			struct coverage *cv)
{
	size_t nby = nkeys + 1, nw;
	char **by = xcalloc(nby, sizeof *by);
	char **w = where_list(sc, o, &nw);
	struct report_query q = { 0 };
	struct report_result res;
	struct dict rs;
	money_t *rcost = NULL;
	char **rname = NULL;
	size_t nres = 0;
	int rc = -1;

	memset(cv, 0, sizeof *cv);
	dict_init(&rs);
	for (size_t i = 0; i < nkeys; i++) {
		size_t len = strlen(keys[i]) + 5;
		by[i] = xmalloc(len);
		snprintf(by[i], len, "tag:%s", keys[i]);
	}
	by[nkeys] = xstrdup("ResourceId");
	q.by = (const char *const *)by;
	q.nby = nby;
	q.where = (const char *const *)w;
	q.nwhere = nw;
	q.amount = o->amount;
	q.from_day = o->from_day;
	q.to_day = o->to_day;
	q.no_shared = 1;
	if (report_run(st, cfg, &q, &res) < 0)
		goto out;
	note_range(out, &res);
	for (size_t i = 0; i < res.nrows; i++) {
		const struct report_row *row = &res.rows[i];
		if (row->cost <= 0)
			continue;
		cv->total += row->cost;
		int present = 0;
		for (size_t k = 0; k < nkeys && !present; k++)
			present = row->vals[k][0] != 0;
		if (present)
			continue;
		cv->missing += row->cost;
		const char *rid = row->vals[nkeys];
		if (!rid[0])
			continue;
		size_t len = strlen(rid);
		uint64_t h = hash_bytes(rid, len);
		uint32_t id;
		if (!dict_get(&rs, rid, len, h, &id)) {
			id = (uint32_t)nres++;
			dict_put(&rs, rid, len, h, id);
			rcost = xrealloc(rcost, nres * sizeof *rcost);
			rname = xrealloc(rname, nres * sizeof *rname);
			rcost[id] = 0;
			rname[id] = xstrdup(rid);
		}
		rcost[id] += row->cost;
	}
	cv->resources = nres;
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < nres; i++)
		if (best == SIZE_MAX || rcost[i] > rcost[best] || (rcost[i] == rcost[best] && strcmp(rname[i], rname[best]) < 0))
			best = i;
	if (best != SIZE_MAX)
		cv->example = xstrdup(rname[best]);
	report_release(&res);
	rc = 0;
out:
	for (size_t i = 0; i < nres; i++)
		free(rname[i]);
	free(rname);
	free(rcost);
	dict_release(&rs);
	where_free(by, nby);
	where_free(w, nw);
	return rc;
}

static void share_result(struct policy_result *r, const struct coverage *cv, money_t max, const char *what)
{
	char m[256], pm[MONEY_BUFSZ], pt[MONEY_BUFSZ];
	r->measure = PM_SHARE;
	r->threshold = max;
	r->total = cv->total;
	r->cost = cv->missing;
	r->resources = cv->resources;
	r->example = cv->example;
	share_of(cv->missing, cv->total, &r->measured);
	r->failed = cv->missing > 0 && r->measured > max;
	pct_text(r->measured, pm);
	pct_text(max, pt);
	if (cv->total <= 0)
		snprintf(m, sizeof m, "no positive cost in scope: nothing to measure");
	else
		snprintf(m, sizeof m, "%s%% of cost %s (allowed: %s%%)", pm, what, pt);
	r->message = xstrdup(m);
}

static int check_tag(struct store *st, const struct config *cfg, const struct policy_opts *o, const struct tag_rule *tr,
		     struct policy_report *out)
{
	struct coverage cv;
	char what[200];
	if (tag_coverage(st, cfg, o, tr->any, tr->nany, &tr->scope, out, &cv) < 0)
		return -1;
	struct policy_result *r = add_result(out, "required_tags", tr->key, tr->sev, &tr->scope);
	snprintf(what, sizeof what, "has no '%.64s' tag%s", tr->key, tr->nany > 1 ? " (nor an alternative key)" : "");
	share_result(r, &cv, tr->max, what);
	return 0;
}

struct keyset {
	struct dict d;
	char **keys;
	size_t n;
};

static int collect_keys(void *arg, uint32_t id, const char *json, size_t n)
{
	struct keyset *ks = arg;
	struct tagset t;
	(void)id;
	if (tagset_parse(json, n, &t) < 0)
		return 0;
	for (size_t i = 0; i < t.n; i++) {
		size_t len = strlen(t.keys[i]);
		uint64_t h = hash_bytes(t.keys[i], len);
		uint32_t v;
		if (!dict_get(&ks->d, t.keys[i], len, h, &v)) {
			dict_put(&ks->d, t.keys[i], len, h, (uint32_t)ks->n);
			ks->keys = xrealloc(ks->keys, (ks->n + 1) * sizeof *ks->keys);
			ks->keys[ks->n++] = xstrdup(t.keys[i]);
		}
	}
	tagset_release(&t);
	return 0;
}

/* Untagged: no tag key at all, i.e. coverage over every tag key the ledger knows. */
static int check_untagged(struct store *st, const struct config *cfg, const struct policy_opts *o,
			  const struct untagged_rule *u, struct policy_report *out)
{
	struct keyset ks = { 0 };
	struct coverage cv;
	int rc = -1;
	dict_init(&ks.d);
	if (st->ops->tagset_scan(st, collect_keys, &ks) < 0)
		goto out;
	if (ks.n > 1000) {
		error("policies.max_untagged_share: the ledger has %zu distinct tag keys; at most 1,000 are supported", ks.n);
		goto out;
	}
	if (tag_coverage(st, cfg, o, (const char *const *)ks.keys, ks.n, &u->scope, out, &cv) < 0)
		goto out;
	share_result(add_result(out, "max_untagged_share", NULL, u->sev, &u->scope), &cv, u->max, "carries no tags");
	rc = 0;
out:
	for (size_t i = 0; i < ks.n; i++)
		free(ks.keys[i]);
	free(ks.keys);
	dict_release(&ks.d);
	return rc;
}

/* The ResourceId with the most cost in a budget's scope and period so far, or NULL. */
static char *top_resource(struct store *st, const struct config *cfg, const struct budget_status *s, int amount)
{
	struct scope sc = { s->b->scope_keys, s->b->scope_vals, s->b->nscope };
	struct policy_opts none = { 0 };
	size_t nw;
	char **w = where_list(&sc, &none, &nw);
	const char *by[] = { "ResourceId" };
	struct report_query q = { .by = by, .nby = 1, .where = (const char *const *)w, .nwhere = nw, .amount = amount,
				  .from_day = s->period_start, .to_day = s->data_through, .no_shared = 1 };
	struct report_result res;
	char *out = NULL;
	if (s->data_through >= s->period_start && report_run(st, cfg, &q, &res) == 0) {
		for (size_t i = 0; i < res.nrows && !out; i++)
			if (res.rows[i].vals[0][0] && res.rows[i].cost > 0)
				out = xstrdup(res.rows[i].vals[0]);
		report_release(&res);
	}
	where_free(w, nw);
	return out;
}

static int check_budgets(struct store *st, const struct config *cfg, const struct policy_opts *o,
			 const struct budget_rule *br, struct policy_report *out)
{
	struct budget_opts bo = { o->amount, o->as_of, 0 };
	for (size_t i = 0; i < cfg->nbudgets; i++) {
		const struct budget *b = &cfg->budgets[i];
		int want = !br->names;
		for (size_t k = 0; k < br->nnames; k++)
			want |= !strcmp(br->names[k], b->name);
		if (!want)
			continue;
		struct budget_status s;
		if (budget_eval(st, cfg, b, &bo, &s) < 0)
			return -1;
		struct scope sc = { b->scope_keys, b->scope_vals, b->nscope };
		struct policy_result *r = add_result(out, br->forecast ? "budget_no_forecast_breach" : "budget_no_breach",
						     b->name, br->sev, &sc);
		r->measure = PM_MONEY;
		r->measured = br->forecast ? s.forecast : s.actual;
		r->threshold = b->limit;
		r->total = s.actual;
		r->failed = br->forecast ? (s.status == BS_BREACH || s.status == BS_FORECAST_BREACH) : s.status == BS_BREACH;
		r->cost = r->failed ? r->measured - b->limit : 0;
		if (r->failed)
			r->example = top_resource(st, cfg, &s, o->amount);
		char m[300], ps[11], bd[11] = "";
		format_day(s.period_start, ps);
		if (s.breach_day != BUDGET_NO_DAY)
			format_day(s.breach_day, bd);
		snprintf(m, sizeof m, "budget %s (%s from %s): status %s%s%s", b->name, budget_period_names[b->period], ps,
			 budget_state_names[s.status], bd[0] ? (s.breach_forecast ? ", forecast to breach on " : ", breached on ") : "",
			 bd);
		r->message = xstrdup(m);
		snprintf(out->currency, sizeof out->currency, "%s", s.currency);
	}
	return 0;
}

int policy_run(struct store *st, const struct config *cfg, const struct policy_opts *o, struct policy_report *out)
{
	struct policies pol;
	int rc = -1;
	memset(out, 0, sizeof *out);
	out->from_day = 1;
	out->to_day = 0;
	snprintf(out->currency, sizeof out->currency, "USD");
	if (parse_policies(cfg, &pol) < 0)
		goto out;
	for (size_t i = 0; i < pol.ntags; i++)
		if (check_tag(st, cfg, o, &pol.tags[i], out) < 0)
			goto out;
	if (pol.untagged.present && check_untagged(st, cfg, o, &pol.untagged, out) < 0)
		goto out;
	for (size_t i = 0; i < pol.nbudgets; i++)
		if (check_budgets(st, cfg, o, &pol.budgets[i], out) < 0)
			goto out;
	for (size_t i = 0; i < out->n; i++)
		if (out->r[i].failed) {
			if (out->r[i].severity == SEV_ERROR)
				out->errors++;
			else
				out->warnings++;
		}
	rc = 0;
out:
	policies_release(&pol);
	if (rc < 0)
		policy_report_release(out);
	return rc;
}

void policy_report_release(struct policy_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		struct policy_result *r = &rep->r[i];
		free(r->rule);
		free(r->subject);
		for (size_t k = 0; k < r->nscope; k++) {
			free(r->scope_keys[k]);
			free(r->scope_vals[k]);
		}
		free(r->scope_keys);
		free(r->scope_vals);
		free(r->example);
		free(r->message);
	}
	free(rep->r);
	memset(rep, 0, sizeof *rep);
}

int policy_validate(const struct config *cfg)
{
	struct policies pol;
	int rc = parse_policies(cfg, &pol);
	policies_release(&pol);
	return rc;
}
