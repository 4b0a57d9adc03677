/*
 * route.c - routing rules, cheapest deployment, downgrade, cooldowns; see
 * route.h.
 */
#include <fnmatch.h>
#include <string.h>
#include "core/prices.h"
#include "gateway/keys.h"
#include "gateway/route.h"

const char *const gw_provider_name[3] = { "openai", "anthropic", "azure-openai" };
const char *const gw_provider_catalog[3] = { "openai", "anthropic", "azure" };

int route_serves(const struct gw_deploy *d, enum gw_api api)
{
	if (api == API_MESSAGES)
		return d->up->provider == GP_ANTHROPIC;
	return d->up->provider != GP_ANTHROPIC;
}

int route_cooling(const struct gw_deploy *d, double now)
{
	return d->cool_until > now;
}

void route_result(struct gw_deploy *d, int ok, double now)
{
	if (ok)
		d->n_ok++;
	else
		d->n_failed++;
	if (ok) {
		d->fails = 0;
		return;
	}
	if (++d->fails >= (d->up->allowed_fails > 0 ? d->up->allowed_fails : 1)) {
		d->cool_until = now + d->up->cooldown_s;
		d->fails = 0;
	}
}

static int any_glob(char *const *g, size_t n, const char *s)
{
	if (!n)
		return 1;
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(g[i], s, 0))
			return 1;
	return 0;
}

static const char *meta_value(const struct gw_key *k, const struct reqbody *r, const char *key)
{
	/* The request's metadata first, then the key's own tags. */
	for (size_t i = 0; i < r->nmeta; i++)
		if (!strcmp(r->meta_k[i], key))
			return r->meta_v[i];
	for (size_t i = 0; k && i < k->nmeta; i++)
		if (!strcmp(k->meta_k[i], key))
			return k->meta_v[i];
	if (k && !strcmp(key, "project"))
		return k->project;
	if (k && !strcmp(key, "user"))
		return k->user;
	return NULL;
}

static int route_matches(const struct gw_route *ro, const struct gw_key *k, const struct reqbody *r, uint64_t est)
{
	if (ro->nkeys && !any_glob(ro->keys, ro->nkeys, k ? k->name : NULL))
		return 0;
	if (ro->nteams && !any_glob(ro->teams, ro->nteams, k ? k->team : NULL))
		return 0;
	if (!any_glob(ro->models, ro->nmodels, r->model))
		return 0;
	for (size_t i = 0; i < ro->nmeta; i++) {
		const char *v = meta_value(k, r, ro->meta_k[i]);
		if (!v || fnmatch(ro->meta_v[i], v, 0))
			return 0;
	}
	if (ro->prompt_min && est < ro->prompt_min)
		return 0;
	if (ro->prompt_max && est > ro->prompt_max)
		return 0;
	return 1;
}

/* Expected cost of r on d (for ordering only; exact money, but an estimate of tokens). */
static money_t expected(const struct gw_deploy *d, uint64_t est, uint64_t out)
{
	return d->in_price * (money_t)est + d->out_price * (money_t)out;
}

static void add_alias(const struct gw_routing *rt, const char *alias, enum gw_api api, struct gw_plan *p,
		      int sort_from, uint64_t est, uint64_t out, int sorted)
{
	for (size_t i = 0; i < rt->ndeps && p->n < GW_MAX_CANDIDATES; i++) {
		struct gw_deploy *d = &rt->deps[i];
		if (strcmp(d->alias, alias) || !route_serves(d, api))
			continue;
		int dup = 0;
		for (int j = 0; j < p->n; j++)
			dup |= p->d[j] == d;
		if (dup)
			continue;
		/* Insertion sort by expected cost within [sort_from, n): stable, so config order breaks ties. */
		int at = p->n;
		if (sorted) {
			money_t c = expected(d, est, out);
			while (at > sort_from && expected(p->d[at - 1], est, out) > c)
				at--;
		}
		memmove(&p->d[at + 1], &p->d[at], (size_t)(p->n - at) * sizeof p->d[0]);
		p->d[at] = d;
		p->n++;
	}
}

int route_plan(const struct gw_routing *rt, const struct gw_key *k, const struct reqbody *r, uint64_t est,
	       double budget_use, double now, struct gw_plan *p)
{
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < rt->nroutes; i++)
		if (route_matches(&rt->routes[i], k, r, est)) {
			p->route = &rt->routes[i];
			break;
		}
	const struct gw_route *ro = p->route;
	uint64_t out = r->max_tokens ? r->max_tokens : 256;
	char *const *tg = NULL;
	size_t ntg = 0;
	int sorted = 1;
	if (ro && ro->downgrade_at > 0 && budget_use >= ro->downgrade_at && ro->ndowngrade) {
		tg = ro->downgrade_to;
		ntg = ro->ndowngrade;
		p->downgraded = 1;
	} else if (ro && ro->ntargets) {
		tg = ro->targets;
		ntg = ro->ntargets;
		sorted = !ro->ordered;
	}
	if (tg) {
		/* Ordered targets keep their order; the deployments of one model are cheapest first either way. */
		for (size_t i = 0; i < ntg; i++)
			add_alias(rt, tg[i], r->api, p, sorted ? 0 : p->n, est, out, 1);
	} else {
		add_alias(rt, r->model, r->api, p, 0, est, out, 1);
	}
	for (size_t i = 0; ro && i < ro->nfallback; i++)
		add_alias(rt, ro->fallback[i], r->api, p, p->n, est, out, 1);
	if (!p->n)
		return -1;
	/* Deployments in cooldown go to the back (still tried when nothing else is left). */
	struct gw_deploy *hot[GW_MAX_CANDIDATES], *cold[GW_MAX_CANDIDATES];
	int nh = 0, nc = 0;
	for (int i = 0; i < p->n; i++) {
		if (route_cooling(p->d[i], now))
			cold[nc++] = p->d[i];
		else
			hot[nh++] = p->d[i];
	}
	memcpy(p->d, hot, (size_t)nh * sizeof hot[0]);
	memcpy(p->d + nh, cold, (size_t)nc * sizeof cold[0]);
	return 0;
}
