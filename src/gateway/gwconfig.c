/*
 * gwconfig.c - parse and check the `gateway:` config section; see
 * gwconfig.h and docs/gateway.md.
 *
 * Chapters: node helpers (typed reads with FILE:LINE:COL errors), budgets
 * and rate limits, upstreams and their deployments, keys, teams, routes,
 * settings, and the entry point.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "core/prices.h"
#include "gateway/gwconfig.h"
#include "util/err.h"

struct ld {
	const char *file;
	const struct price_catalog *cat;
	struct gw_conf *c;
};

/* ---- node helpers ---------------------------------------------------------------- */

static int bad(const struct ld *l, const struct cfg_node *n, const char *path, const char *fmt, ...)
	AICOST_PRINTF(4, 5);
static int bad(const struct ld *l, const struct cfg_node *n, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error("%s:%d:%d: gateway%s%s: %s", l->file, n ? n->line : 0, n ? n->col : 0, *path ? "." : "", path, msg);
}

/* Warn about keys of map n not in the NULL-terminated list. */
static void unknown_keys(const struct ld *l, const struct cfg_node *n, const char *path, const char *const *known)
{
	for (size_t i = 0; n && n->type == CN_MAP && i < n->n; i++) {
		const struct cfg_node *k = &n->items[2 * i];
		size_t j;
		for (j = 0; known[j] && strcmp(known[j], k->str); j++)
			;
		if (!known[j])
			warning("%s:%d:%d: gateway%s%s: unknown key '%s' ignored", l->file, k->line, k->col,
				*path ? "." : "", path, k->str);
	}
}

static int want_map(const struct ld *l, const struct cfg_node *n, const char *path)
{
	if (n->type != CN_MAP)
		return bad(l, n, path, "expected a map");
	return 0;
}

static int get_str(const struct ld *l, const struct cfg_node *m, const char *key, const char *path, char **out,
		   int required)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	if (!n || n->type == CN_NULL) {
		if (required)
			return bad(l, m, path, "'%s' is required", key);
		return 0;
	}
	if (n->type != CN_SCALAR || !n->str[0])
		return bad(l, n, path, "'%s' must be a non-empty text", key);
	/* Names end up in headers and records: keep them one line and bounded. */
	if (strpbrk(n->str, "\r\n") || (n->len > 200 && strcmp(key, "base_url") && strcmp(key, "ca_file") &&
					  strcmp(key, "request_log") && strcmp(key, "dir")))
		return bad(l, n, path, "'%s' must be one line of at most 200 bytes", key);
	free(*out);
	*out = xstrdup(n->str);
	return 0;
}

static int get_num(const struct ld *l, const struct cfg_node *m, const char *key, const char *path, double *out,
		   double min, double max)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	if (!n || n->type == CN_NULL)
		return 0;
	char *e;
	errno = 0;
	double v = n->type == CN_SCALAR ? strtod(n->str, &e) : NAN;
	if (n->type != CN_SCALAR || e == n->str || *e || errno || !isfinite(v) || v < min || v > max)
		return bad(l, n, path, "'%s' must be a number from %g to %g", key, min, max);
	*out = v;
	return 0;
}

static int get_u64(const struct ld *l, const struct cfg_node *m, const char *key, const char *path, uint64_t *out,
		   uint64_t max)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	if (!n || n->type == CN_NULL)
		return 0;
	char *e;
	errno = 0;
	unsigned long long v = 0;
	if (n->type == CN_SCALAR && n->str[0] >= '0' && n->str[0] <= '9')
		v = strtoull(n->str, &e, 10);
	else
		e = n->str;
	if (n->type != CN_SCALAR || e == n->str || *e || errno || v > max)
		return bad(l, n, path, "'%s' must be a whole number from 0 to %llu", key, (unsigned long long)max);
	*out = v;
	return 0;
}

static int get_bool(const struct ld *l, const struct cfg_node *m, const char *key, const char *path, int *out)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	if (!n || n->type == CN_NULL)
		return 0;
	if (n->type == CN_SCALAR && (!strcmp(n->str, "true") || !strcmp(n->str, "yes") || !strcmp(n->str, "on")))
		*out = 1;
	else if (n->type == CN_SCALAR && (!strcmp(n->str, "false") || !strcmp(n->str, "no") || !strcmp(n->str, "off")))
		*out = 0;
	else
		return bad(l, n, path, "'%s' must be true or false", key);
	return 0;
}

/* A scalar or a list of scalars. */
static int get_strs(const struct ld *l, const struct cfg_node *m, const char *key, const char *path, char ***out,
		    size_t *n_out)
{
	const struct cfg_node *n = cfg_node_get(m, key);
	if (!n || n->type == CN_NULL)
		return 0;
	if (n->type == CN_SCALAR) {
		*out = xcalloc(1, sizeof **out);
		(*out)[0] = xstrdup(n->str);
		*n_out = 1;
		return 0;
	}
	if (n->type != CN_SEQ)
		return bad(l, n, path, "'%s' must be a text or a list of texts", key);
	*out = xcalloc(n->n ? n->n : 1, sizeof **out);
	for (size_t i = 0; i < n->n; i++) {
		if (n->items[i].type != CN_SCALAR || !n->items[i].str[0])
			return bad(l, &n->items[i], path, "'%s' items must be non-empty texts", key);
		(*out)[i] = xstrdup(n->items[i].str);
		(*n_out)++;
	}
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- budgets and rate limits ---------------------------------------------------------- */

static int parse_budget(const struct ld *l, const struct cfg_node *n, const char *path, struct gw_budget *b)
{
	static const char *const known[] = { "limit", "period", "soft", "alert_at", "notify", NULL };
	memset(b, 0, sizeof *b);
	b->period = GPER_MONTH;
	b->soft = MONEY_ONE / 10 * 8;
	b->period_start = INT64_MIN;
	if (n->type == CN_SCALAR) {
		/* Shorthand: `budget: 50` is a monthly limit with the alert at 80%. */
		if (money_parse(n->str, n->len, &b->limit, NULL) < 0 || b->limit <= 0)
			return bad(l, n, path, "'%s' is not a positive amount in USD", n->str);
		return 0;
	}
	if (want_map(l, n, path) < 0)
		return -1;
	unknown_keys(l, n, path, known);
	const struct cfg_node *lim = cfg_node_get(n, "limit");
	if (!lim || lim->type != CN_SCALAR || money_parse(lim->str, lim->len, &b->limit, NULL) < 0 || b->limit <= 0)
		return bad(l, lim ? lim : n, path, "'limit' must be a positive amount in USD");
	const struct cfg_node *p = cfg_node_get(n, "period");
	if (p && p->type != CN_NULL) {
		static const char *const names[] = { "day", "week", "month", "total" };
		int k;
		for (k = 0; k < 4 && (p->type != CN_SCALAR || strcmp(p->str, names[k])); k++)
			;
		if (k == 4)
			return bad(l, p, path, "'period' must be one of day, week, month, total");
		b->period = (enum gw_period)k;
	}
	const struct cfg_node *s = cfg_node_get(n, "soft");
	if (!s)
		s = cfg_node_get(n, "alert_at");
	if (s && s->type == CN_SCALAR && (!strcmp(s->str, "false") || !strcmp(s->str, "none")))
		b->soft = 0;
	else if (s && s->type != CN_NULL) {
		if (s->type != CN_SCALAR || money_parse(s->str, s->len, &b->soft, NULL) < 0 || b->soft <= 0 ||
		    b->soft > MONEY_ONE)
			return bad(l, s, path, "'soft' must be a fraction of the limit in (0, 1], or false");
	}
	return get_strs(l, n, "notify", path, &b->notify, &b->nnotify);
}

static int parse_account(const struct ld *l, const struct cfg_node *n, const char *path, struct gw_account *a)
{
	char sub[600];
	const struct cfg_node *bs = cfg_node_get(n, "budgets"), *b1 = cfg_node_get(n, "budget");
	if (bs && bs->type != CN_NULL) {
		if (bs->type != CN_SEQ)
			return bad(l, bs, path, "'budgets' must be a list");
		a->budgets = xcalloc(bs->n + 1, sizeof *a->budgets);
		for (size_t i = 0; i < bs->n; i++) {
			snprintf(sub, sizeof sub, "%s.budgets[%zu]", path, i);
			if (parse_budget(l, &bs->items[i], sub, &a->budgets[a->nbudgets]) < 0)
				return -1;
			a->nbudgets++;
		}
	}
	if (b1 && b1->type != CN_NULL) {
		a->budgets = xrealloc(a->budgets, (a->nbudgets + 1) * sizeof *a->budgets);
		snprintf(sub, sizeof sub, "%s.budget", path);
		if (parse_budget(l, b1, sub, &a->budgets[a->nbudgets]) < 0)
			return -1;
		a->nbudgets++;
	}
	uint64_t v;
	v = 0;
	if (get_u64(l, n, "rpm", path, &v, 100000000) < 0)
		return -1;
	a->rate.rpm = (uint32_t)v;
	v = 0;
	if (get_u64(l, n, "tpm", path, &v, 4000000000u) < 0)
		return -1;
	a->rate.tpm = (uint32_t)v;
	v = 0;
	if (get_u64(l, n, "parallel", path, &v, 1000000) < 0)
		return -1;
	a->rate.parallel = (uint32_t)v;
	return 0;
}

static void free_account(struct gw_account *a)
{
	for (size_t i = 0; i < a->nbudgets; i++)
		free_strs(a->budgets[i].notify, a->budgets[i].nnotify);
	free(a->budgets);
	free(a->name);
}

/* ---- upstreams and deployments ---------------------------------------------------------- */

static void add_deploy(struct ld *l, struct gw_upstream *u, const char *alias, const char *model, const char *price_as)
{
	struct gw_routing *rt = &l->c->rt;
	rt->deps = xrealloc(rt->deps, (rt->ndeps + 1) * sizeof *rt->deps);
	struct gw_deploy *d = &rt->deps[rt->ndeps++];
	memset(d, 0, sizeof *d);
	d->up = u;
	d->alias = xstrdup(alias);
	d->model = xstrdup(model);
	d->price_model = xstrdup(price_as ? price_as : model);
	size_t nl = strlen(u->name) + strlen(alias) + 2;
	d->name = xmalloc(nl);
	snprintf(d->name, nl, "%s/%s", u->name, alias);
	d->price = prices_find(l->cat, d->price_model, gw_provider_catalog[u->provider]);
	if (!d->price && !price_as)
		d->price = prices_find(l->cat, alias, gw_provider_catalog[u->provider]);
	if (d->price) {
		d->in_price = d->price->price[LD_INPUT];
		d->out_price = d->price->price[LD_OUTPUT];
		d->max_out = d->price->max_output_tokens;
		d->long_above = d->price->have_above ? d->price->above_tokens : 0;
		/* Unit prices per direction at each tier and context size, once: a reservation is then two products. */
		for (int pr = 0; pr < 2; pr++)
			for (int lc = 0; lc < 2; lc++) {
				struct llm_usage one = { .requests = 1, .long_context = lc, .tier = pr ? LT_PRIORITY : LT_STANDARD };
				struct llm_cost c;
				for (int k = 0; k < LD__COUNT; k++)
					one.tokens[k] = 1;
				if (prices_cost(d->price, &one, &c) < 0)
					continue;
				/* Only Anthropic bills cache writes (OpenAI caching is automatic and never dearer than input). */
				int nin = u->provider == GP_ANTHROPIC ? 4 : 2;
				static const int in_dirs[] = { LD_INPUT, LD_CACHE_READ, LD_CACHE_WRITE, LD_CACHE_WRITE_1H };
				for (int k = 0; k < nin; k++)
					if (c.unit[in_dirs[k]] > d->worst_in[pr][lc])
						d->worst_in[pr][lc] = c.unit[in_dirs[k]];
				d->worst_out[pr][lc] = c.unit[LD_OUTPUT] > c.unit[LD_REASONING] ? c.unit[LD_OUTPUT] : c.unit[LD_REASONING];
			}
		/* Records carry the catalog's own name, so the ledger prices them with the same entry. */
		free(d->price_model);
		d->price_model = xstrdup(d->price->name);
	} else {
		warning("%s: gateway.upstreams.%s: model '%s' is not in the price catalog: its requests are metered at "
			"cost 0 and budgets cannot reserve for it (set price_as, or add prices.overrides)",
			l->file, u->name, d->price_model);
	}
}

static int parse_models(struct ld *l, const struct cfg_node *n, const char *path, struct gw_upstream *u)
{
	if (!n || n->type == CN_NULL)
		return bad(l, n, path, "'models' is required: the models this upstream serves");
	if (n->type == CN_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			const struct cfg_node *m = &n->items[i];
			if (m->type == CN_SCALAR && m->str[0]) {
				if (m->len > 200 || strpbrk(m->str, "\r\n"))
					return bad(l, m, path, "a model name must be one line of at most 200 bytes");
				add_deploy(l, u, m->str, m->str, NULL);
				continue;
			}
			if (m->type != CN_MAP)
				return bad(l, m, path, "'models' items are model names or maps {name, model, price_as}");
			static const char *const known[] = { "name", "alias", "model", "deployment", "price_as", NULL };
			unknown_keys(l, m, path, known);
			char *name = NULL, *model = NULL, *price = NULL;
			int rc = get_str(l, m, cfg_node_get(m, "alias") ? "alias" : "name", path, &name, 1);
			if (!rc)
				rc = get_str(l, m, cfg_node_get(m, "deployment") ? "deployment" : "model", path, &model, 0);
			if (!rc)
				rc = get_str(l, m, "price_as", path, &price, 0);
			if (!rc)
				add_deploy(l, u, name, model ? model : name, price);
			free(name);
			free(model);
			free(price);
			if (rc)
				return -1;
		}
		return 0;
	}
	if (n->type == CN_MAP) {
		/* alias: upstream-model (azure: alias: deployment-name) */
		for (size_t i = 0; i < n->n; i++) {
			const struct cfg_node *k = &n->items[2 * i], *v = &n->items[2 * i + 1];
			if (k->len > 200 || strpbrk(k->str, "\r\n") || (v->type == CN_SCALAR && (v->len > 200 || strpbrk(v->str, "\r\n"))))
				return bad(l, k, path, "a model name must be one line of at most 200 bytes");
			if (v->type == CN_SCALAR && v->str[0])
				add_deploy(l, u, k->str, v->str, NULL);
			else if (v->type == CN_NULL)
				add_deploy(l, u, k->str, k->str, NULL);
			else if (v->type == CN_MAP) {
				char *model = NULL, *price = NULL;
				int rc = get_str(l, v, cfg_node_get(v, "deployment") ? "deployment" : "model", path, &model, 0);
				if (!rc)
					rc = get_str(l, v, "price_as", path, &price, 0);
				if (!rc)
					add_deploy(l, u, k->str, model ? model : k->str, price);
				free(model);
				free(price);
				if (rc)
					return -1;
			} else
				return bad(l, v, path, "models.%s: expected the upstream's model name", k->str);
		}
		return 0;
	}
	return bad(l, n, path, "'models' must be a list of model names or a map alias -> upstream model");
}

static int parse_upstream(struct ld *l, const struct cfg_node *n, const char *path, struct gw_upstream *u)
{
	static const char *const known[] = { "name", "provider", "base_url", "api_key_env", "api_version", "ca_file",
					     "timeout", "idle_timeout", "connect_timeout", "retries", "cooldown",
					     "allowed_fails", "models", "headers", NULL };
	if (want_map(l, n, path) < 0)
		return -1;
	unknown_keys(l, n, path, known);
	u->line = n->line;
	const struct cfg_node *hd = cfg_node_get(n, "headers");
	if (hd && hd->type != CN_NULL) {
		if (hd->type != CN_MAP)
			return bad(l, hd, path, "'headers' must be a map of header name -> value");
		u->headers = xcalloc(hd->n + 1, sizeof *u->headers);
		for (size_t i = 0; i < hd->n; i++) {
			const struct cfg_node *k = &hd->items[2 * i], *v = &hd->items[2 * i + 1];
			int okname = k->str[0] != 0;
			for (const char *c = k->str; *c; c++)
				okname &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_';
			if (!okname || v->type != CN_SCALAR || strpbrk(v->str, "\r\n"))
				return bad(l, k, path, "headers: '%s' must be a header name with a one-line text value", k->str);
			size_t hl = strlen(k->str) + strlen(v->str) + 3;
			u->headers[u->nheaders] = xmalloc(hl);
			snprintf(u->headers[u->nheaders++], hl, "%s: %s", k->str, v->str);
		}
	}
	u->col = n->col;
	if (get_str(l, n, "name", path, &u->name, 1) < 0)
		return -1;
	char *prov = NULL;
	if (get_str(l, n, "provider", path, &prov, 1) < 0)
		return -1;
	int k;
	for (k = 0; k < 3 && strcmp(prov, gw_provider_name[k]); k++)
		;
	if (k == 3 && !strcmp(prov, "azure"))
		k = GP_AZURE;
	free(prov);
	if (k == 3)
		return bad(l, cfg_node_get(n, "provider"), path, "'provider' must be openai, anthropic or azure-openai");
	u->provider = (enum gw_provider)k;
	if (get_str(l, n, "base_url", path, &u->base_url, 0) < 0)
		return -1;
	if (!u->base_url) {
		if (u->provider == GP_AZURE)
			return bad(l, n, path, "'base_url' is required for azure-openai (https://NAME.openai.azure.com)");
		u->base_url = xstrdup(u->provider == GP_ANTHROPIC ? "https://api.anthropic.com" : "https://api.openai.com");
	}
	if (strncmp(u->base_url, "http://", 7) && strncmp(u->base_url, "https://", 8))
		return bad(l, cfg_node_get(n, "base_url"), path, "'base_url' must start with http:// or https://");
	size_t bl = strlen(u->base_url);
	while (bl && u->base_url[bl - 1] == '/')
		u->base_url[--bl] = 0;
	/* "https://api.openai.com/v1": the gateway appends the client's /v1/... path itself. */
	if (bl >= 3 && !strcmp(u->base_url + bl - 3, "/v1"))
		u->base_url[bl - 3] = 0;
	if (get_str(l, n, "api_key_env", path, &u->key_env, 0) < 0 ||
	    get_str(l, n, "api_version", path, &u->api_version, 0) < 0 ||
	    get_str(l, n, "ca_file", path, &u->ca_file, 0) < 0)
		return -1;
	if (!u->api_version)
		u->api_version = xstrdup(u->provider == GP_AZURE ? "2024-10-21" : "2023-06-01");
	if (u->key_env) {
		const char *key = getenv(u->key_env);
		if (!key || !*key) {
			warning("%s:%d:%d: gateway.upstreams.%s: environment variable %s is not set: requests go upstream "
				"without an API key", l->file, n->line, n->col, u->name, u->key_env);
		} else {
			size_t kl = strlen(key) + 32;
			u->auth_header = xmalloc(kl);
			if (u->provider == GP_OPENAI)
				snprintf(u->auth_header, kl, "Authorization: Bearer %s", key);
			else if (u->provider == GP_AZURE)
				snprintf(u->auth_header, kl, "api-key: %s", key);
			else
				snprintf(u->auth_header, kl, "x-api-key: %s", key);
		}
	}
	u->timeout_s = 600;
	u->idle_timeout_s = 300;
	u->connect_timeout_s = 10;
	u->cooldown_s = 30;
	u->allowed_fails = 3;
	u->retries = 1;
	double r = u->retries, af = u->allowed_fails;
	if (get_num(l, n, "timeout", path, &u->timeout_s, 0.001, 86400) < 0 ||
	    get_num(l, n, "idle_timeout", path, &u->idle_timeout_s, 0.001, 86400) < 0 ||
	    get_num(l, n, "connect_timeout", path, &u->connect_timeout_s, 0.001, 3600) < 0 ||
	    get_num(l, n, "cooldown", path, &u->cooldown_s, 0, 86400) < 0 ||
	    get_num(l, n, "retries", path, &r, 0, 10) < 0 || get_num(l, n, "allowed_fails", path, &af, 1, 1000) < 0)
		return -1;
	u->retries = (int)r;
	u->allowed_fails = (int)af;
	char sub[600];
	snprintf(sub, sizeof sub, "%s.models", path);
	return parse_models(l, cfg_node_get(n, "models"), sub, u);
}

/* ---- keys, teams, routes -------------------------------------------------------------------- */

static int parse_key(struct ld *l, const struct cfg_node *n, const char *path, struct gw_key *k)
{
	static const char *const known[] = { "name", "hash", "team", "project", "user", "metadata", "models",
					     "budgets", "budget", "rpm", "tpm", "parallel", NULL };
	if (want_map(l, n, path) < 0)
		return -1;
	unknown_keys(l, n, path, known);
	k->line = n->line;
	k->col = n->col;
	char *hash = NULL;
	if (get_str(l, n, "name", path, &k->name, 1) < 0 || get_str(l, n, "hash", path, &hash, 1) < 0)
		return -1;
	int hb = keys_parse_hash(hash, k->hash);
	free(hash);
	if (hb < 0)
		return bad(l, cfg_node_get(n, "hash"), path,
			   "'hash' must be sha256:<64 hex digits> (make one with: aicost gateway --hash-key KEY)");
	if (get_str(l, n, "team", path, &k->team, 0) < 0 || get_str(l, n, "project", path, &k->project, 0) < 0 ||
	    get_str(l, n, "user", path, &k->user, 0) < 0 || get_strs(l, n, "models", path, &k->models, &k->nmodels) < 0)
		return -1;
	const struct cfg_node *m = cfg_node_get(n, "metadata");
	if (m && m->type != CN_NULL) {
		if (m->type != CN_MAP || m->n > GW_KEY_META_MAX)
			return bad(l, m, path, "'metadata' must be a map of at most %d tags", GW_KEY_META_MAX);
		for (size_t i = 0; i < m->n; i++) {
			const struct cfg_node *v = &m->items[2 * i + 1];
			if (v->type != CN_SCALAR)
				return bad(l, v, path, "metadata.%s must be a text", m->items[2 * i].str);
			k->meta_k[k->nmeta] = xstrdup(m->items[2 * i].str);
			k->meta_v[k->nmeta++] = xstrdup(v->str);
		}
	}
	k->acct.kind = "key";
	k->acct.name = xstrdup(k->name);
	return parse_account(l, n, path, &k->acct);
}

static int parse_route(struct ld *l, const struct cfg_node *n, const char *path, struct gw_route *r)
{
	static const char *const known[] = { "name", "match", "models", "targets", "strategy", "fallback", "downgrade",
					     "cache", NULL };
	static const char *const mknown[] = { "key", "team", "model", "metadata", "prompt_tokens_min",
					      "prompt_tokens_max", NULL };
	char sub[600];
	if (want_map(l, n, path) < 0)
		return -1;
	unknown_keys(l, n, path, known);
	r->line = n->line;
	r->col = n->col;
	r->cache_exact = -1;
	r->cache_semantic = -1;
	if (get_str(l, n, "name", path, &r->name, 0) < 0)
		return -1;
	const struct cfg_node *m = cfg_node_get(n, "match");
	if (m && m->type != CN_NULL) {
		snprintf(sub, sizeof sub, "%s.match", path);
		if (want_map(l, m, sub) < 0)
			return -1;
		unknown_keys(l, m, sub, mknown);
		if (get_strs(l, m, "key", sub, &r->keys, &r->nkeys) < 0 ||
		    get_strs(l, m, "team", sub, &r->teams, &r->nteams) < 0 ||
		    get_strs(l, m, "model", sub, &r->models, &r->nmodels) < 0 ||
		    get_u64(l, m, "prompt_tokens_min", sub, &r->prompt_min, UINT32_MAX) < 0 ||
		    get_u64(l, m, "prompt_tokens_max", sub, &r->prompt_max, UINT32_MAX) < 0)
			return -1;
		const struct cfg_node *md = cfg_node_get(m, "metadata");
		if (md && md->type != CN_NULL) {
			if (md->type != CN_MAP)
				return bad(l, md, sub, "'metadata' must be a map of key -> glob");
			r->meta_k = xcalloc(md->n + 1, sizeof *r->meta_k);
			r->meta_v = xcalloc(md->n + 1, sizeof *r->meta_v);
			for (size_t i = 0; i < md->n; i++) {
				const struct cfg_node *v = &md->items[2 * i + 1];
				if (v->type != CN_SCALAR)
					return bad(l, v, sub, "metadata.%s must be a text (a glob)", md->items[2 * i].str);
				r->meta_k[r->nmeta] = xstrdup(md->items[2 * i].str);
				r->meta_v[r->nmeta++] = xstrdup(v->str);
			}
		}
	}
	if (get_strs(l, n, cfg_node_get(n, "targets") ? "targets" : "models", path, &r->targets, &r->ntargets) < 0 ||
	    get_strs(l, n, "fallback", path, &r->fallback, &r->nfallback) < 0)
		return -1;
	const struct cfg_node *st = cfg_node_get(n, "strategy");
	if (st && st->type != CN_NULL) {
		if (st->type == CN_SCALAR && !strcmp(st->str, "ordered"))
			r->ordered = 1;
		else if (!(st->type == CN_SCALAR && !strcmp(st->str, "cheapest")))
			return bad(l, st, path, "'strategy' must be cheapest or ordered");
	}
	const struct cfg_node *dg = cfg_node_get(n, "downgrade");
	if (dg && dg->type != CN_NULL) {
		snprintf(sub, sizeof sub, "%s.downgrade", path);
		if (want_map(l, dg, sub) < 0)
			return -1;
		static const char *const dknown[] = { "at", "to", NULL };
		unknown_keys(l, dg, sub, dknown);
		r->downgrade_at = 0.9;
		if (get_num(l, dg, "at", sub, &r->downgrade_at, 0.000001, 10) < 0 ||
		    get_strs(l, dg, "to", sub, &r->downgrade_to, &r->ndowngrade) < 0)
			return -1;
		if (!r->ndowngrade)
			return bad(l, dg, sub, "'to' is required: the cheaper model(s) to use near the budget");
	}
	const struct cfg_node *ca = cfg_node_get(n, "cache");
	if (ca && ca->type != CN_NULL) {
		snprintf(sub, sizeof sub, "%s.cache", path);
		if (ca->type == CN_SCALAR) {
			int on = 0;
			struct cfg_node fake = { .type = CN_MAP };
			(void)fake;
			if (!strcmp(ca->str, "true") || !strcmp(ca->str, "false"))
				on = !strcmp(ca->str, "true");
			else
				return bad(l, ca, sub, "expected true, false or a map {exact, semantic}");
			r->cache_exact = on;
			if (!on)
				r->cache_semantic = 0;
		} else {
			if (want_map(l, ca, sub) < 0)
				return -1;
			static const char *const cknown[] = { "exact", "semantic", NULL };
			unknown_keys(l, ca, sub, cknown);
			if (get_bool(l, ca, "exact", sub, &r->cache_exact) < 0)
				return -1;
			const struct cfg_node *se = cfg_node_get(ca, "semantic");
			if (se && se->type == CN_SCALAR && !strcmp(se->str, "false"))
				r->cache_semantic = 0;
			else if (se && se->type == CN_SCALAR && !strcmp(se->str, "true"))
				r->cache_semantic = -2;   /* the default threshold */
			else if (get_num(l, ca, "semantic", sub, &r->cache_semantic, 0.01, 1) < 0)
				return -1;
		}
	}
	return 0;
}

static void free_route(struct gw_route *r)
{
	free(r->name);
	free_strs(r->keys, r->nkeys);
	free_strs(r->teams, r->nteams);
	free_strs(r->models, r->nmodels);
	free_strs(r->meta_k, r->nmeta);
	free_strs(r->meta_v, r->nmeta);
	free_strs(r->targets, r->ntargets);
	free_strs(r->fallback, r->nfallback);
	free_strs(r->downgrade_to, r->ndowngrade);
}

struct gw_account *gwconf_team(const struct gw_conf *c, const char *name)
{
	for (size_t i = 0; name && i < c->nteams; i++)
		if (!strcmp(c->teams[i].name, name))
			return &c->teams[i];
	return NULL;
}

/* Every model a route or key names must be served by some deployment. */
static int check_alias(struct ld *l, const struct cfg_node *n, const char *path, const char *alias)
{
	for (size_t i = 0; i < l->c->rt.ndeps; i++)
		if (!strcmp(l->c->rt.deps[i].alias, alias))
			return 0;
	return bad(l, n, path, "model '%s' is not served by any upstream (gateway.upstreams[].models)", alias);
}

/* ---- shared state (Redis) -------------------------------------------------------------------- */

int gw_redis_url(const char *s, struct gw_shared *u, char *why, size_t whycap)
{
	const char *p = s, *e;
	char host[256] = "", user[128] = "";
	long port = 6379, db = 0;
	if (strncmp(p, "redis://", 8)) {
		snprintf(why, whycap, "expected redis://[USER@]HOST[:PORT][/DB]");
		return -1;
	}
	p += 8;
	const char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && (!slash || at < slash)) {
		if (memchr(p, ':', (size_t)(at - p))) {
			snprintf(why, whycap, "a password in the URL is not accepted: name an environment variable in password_env");
			return -1;
		}
		if (at == p || (size_t)(at - p) >= sizeof user) {
			snprintf(why, whycap, "bad user name");
			return -1;
		}
		memcpy(user, p, (size_t)(at - p));
		user[at - p] = 0;
		p = at + 1;
	}
	if (*p == '[') {
		e = strchr(p, ']');
		if (!e || e == p + 1 || (size_t)(e - p - 1) >= sizeof host) {
			snprintf(why, whycap, "bad [IPv6] host");
			return -1;
		}
		memcpy(host, p + 1, (size_t)(e - p - 1));
		host[e - p - 1] = 0;
		p = e + 1;
	} else {
		e = p + strcspn(p, ":/");
		if (e == p || (size_t)(e - p) >= sizeof host) {
			snprintf(why, whycap, "no host");
			return -1;
		}
		memcpy(host, p, (size_t)(e - p));
		host[e - p] = 0;
		p = e;
	}
	for (const char *h = host; *h; h++)
		if ((unsigned char)*h <= ' ' || *h == '@' || *h == '?' || *h == '#' || *h == '[' || *h == ']') {
			snprintf(why, whycap, "bad character in the host");
			return -1;
		}
	if (*p == ':') {
		char *end;
		p++;
		if (*p < '0' || *p > '9') {
			snprintf(why, whycap, "bad port");
			return -1;
		}
		errno = 0;
		port = strtol(p, &end, 10);
		if (errno || port < 1 || port > 65535) {
			snprintf(why, whycap, "port out of range 1..65535");
			return -1;
		}
		p = end;
	}
	if (*p == '/' && p[1]) {
		char *end;
		p++;
		if (*p < '0' || *p > '9') {
			snprintf(why, whycap, "bad database number");
			return -1;
		}
		errno = 0;
		db = strtol(p, &end, 10);
		if (errno || db < 0 || db > 1000000) {
			snprintf(why, whycap, "database number out of range");
			return -1;
		}
		p = end;
	} else if (*p == '/') {
		p++;
	}
	if (*p) {
		snprintf(why, whycap, "unexpected '%.20s' after the host, port and database", p);
		return -1;
	}
	free(u->host);
	free(u->user);
	u->host = xstrdup(host);
	u->user = user[0] ? xstrdup(user) : NULL;
	u->port = (int)port;
	u->db = (int)db;
	return 0;
}

static void free_shared(struct gw_shared *sh)
{
	if (!sh)
		return;
	free(sh->host);
	free(sh->user);
	free(sh->password_env);
	if (sh->password) {
		explicit_bzero(sh->password, strlen(sh->password));
		free(sh->password);
	}
	free(sh->prefix);
	free(sh);
}

/* What Redis can keep exactly (docs/gateway-redis.md): one budget per period and account, limits below 2^50 USD. */
static int check_shared_account(struct ld *l, const struct cfg_node *n, const struct gw_account *a)
{
	money_t big = (money_t)1 << 50;
	big *= MONEY_ONE;
	for (size_t i = 0; i < a->nbudgets; i++) {
		if (a->budgets[i].limit > big)
			return bad(l, n, "shared_state", "%s '%s': a budget limit above 2^50 USD cannot be kept exactly in Redis",
				   a->kind, a->name);
		for (size_t j = 0; j < i; j++)
			if (a->budgets[j].period == a->budgets[i].period)
				return bad(l, n, "shared_state",
					   "%s '%s' has two %s budgets: with shared_state an account has at most one budget per period",
					   a->kind, a->name, gw_period_name(a->budgets[i].period));
	}
	return 0;
}

static int parse_shared(struct ld *l, const struct cfg_node *g)
{
	static const char *const known[] = { "redis", "password_env", "prefix", "timeout_ms", "lease", "on_failure", NULL };
	const struct cfg_node *n = cfg_node_get(g, "shared_state");
	char why[160];
	if (!n || n->type == CN_NULL)
		return 0;
	if (want_map(l, n, "shared_state") < 0)
		return -1;
	unknown_keys(l, n, "shared_state", known);
	struct gw_shared *sh = l->c->shared = xcalloc(1, sizeof *sh);
	sh->timeout_s = 0.25;
	sh->lease_s = 60;
	sh->prefix = xstrdup("aicost");
	const struct cfg_node *url = cfg_node_get(n, "redis");
	if (!url || url->type != CN_SCALAR)
		return bad(l, url ? url : n, "shared_state", "'redis' is required: redis://HOST:PORT[/DB]");
	if (gw_redis_url(url->str, sh, why, sizeof why) < 0)
		return bad(l, url, "shared_state.redis", "%s", why);
	if (get_str(l, n, "password_env", "shared_state", &sh->password_env, 0) < 0 ||
	    get_str(l, n, "prefix", "shared_state", &sh->prefix, 0) < 0)
		return -1;
	if (strlen(sh->prefix) > 64 || strpbrk(sh->prefix, "{} \t"))
		return bad(l, cfg_node_get(n, "prefix"), "shared_state",
			   "'prefix' must be at most 64 bytes without braces or blanks");
	double ms = sh->timeout_s * 1000;
	if (get_num(l, n, "timeout_ms", "shared_state", &ms, 1, 60000) < 0 ||
	    get_num(l, n, "lease", "shared_state", &sh->lease_s, 0.5, 86400) < 0)
		return -1;
	sh->timeout_s = ms / 1000;
	if (sh->password_env) {
		const char *pw = getenv(sh->password_env);
		if (!pw || !*pw)
			return bad(l, cfg_node_get(n, "password_env"), "shared_state",
				   "environment variable %s (the Redis password) is not set", sh->password_env);
		sh->password = xstrdup(pw);
	}
	const struct cfg_node *of = cfg_node_get(n, "on_failure");
	if (of && of->type != CN_NULL) {
		static const char *const fknown[] = { "budgets", "rate_limits", NULL };
		if (want_map(l, of, "shared_state.on_failure") < 0)
			return -1;
		unknown_keys(l, of, "shared_state.on_failure", fknown);
		const struct cfg_node *b = cfg_node_get(of, "budgets"), *r = cfg_node_get(of, "rate_limits");
		if (b && b->type != CN_NULL) {
			if (b->type != CN_SCALAR || (strcmp(b->str, "open") && strcmp(b->str, "closed")))
				return bad(l, b, "shared_state.on_failure", "'budgets' must be open or closed");
			sh->budgets_open = !strcmp(b->str, "open");
		}
		if (r && r->type != CN_NULL) {
			if (r->type != CN_SCALAR || (strcmp(r->str, "open") && strcmp(r->str, "closed")))
				return bad(l, r, "shared_state.on_failure", "'rate_limits' must be open or closed");
			sh->rates_closed = !strcmp(r->str, "closed");
		}
	}
	for (size_t i = 0; i < l->c->nkeys; i++)
		if (check_shared_account(l, n, &l->c->keys[i].acct) < 0)
			return -1;
	for (size_t i = 0; i < l->c->nteams; i++)
		if (check_shared_account(l, n, &l->c->teams[i]) < 0)
			return -1;
	return 0;
}

/* ---- settings and the entry point ------------------------------------------------------------ */

static int parse_settings(struct ld *l, const struct cfg_node *g)
{
	struct gw_conf *c = l->c;
	uint64_t v;
	double d;
	if (get_str(l, g, "listen", "", &c->listen, 0) < 0)
		return -1;
	v = c->max_body;
	if (get_u64(l, g, "max_request_bytes", "", &v, 1u << 30) < 0)
		return -1;
	c->max_body = v ? v : 1;
	v = c->max_response;
	if (get_u64(l, g, "max_response_bytes", "", &v, 1ull << 32) < 0)
		return -1;
	c->max_response = v ? v : 1;
	v = (uint64_t)c->max_depth;
	if (get_u64(l, g, "max_json_depth", "", &v, 512) < 0)
		return -1;
	c->max_depth = v ? (int)v : 1;
	v = c->max_conns;
	if (get_u64(l, g, "max_connections", "", &v, 1000000) < 0)
		return -1;
	c->max_conns = (uint32_t)(v ? v : 1);
	double bp = c->busy_poll_s * 1e6;
	if (get_num(l, g, "busy_poll", "", &bp, 0, 10000) < 0)
		return -1;
	c->busy_poll_s = bp * 1e-6;
	if (get_num(l, g, "idle_timeout", "", &c->idle_timeout_s, 0.01, 86400) < 0 ||
	    get_u64(l, g, "image_tokens", "", &c->image_tokens, 1000000) < 0 ||
	    get_u64(l, g, "reserve_tokens", "", &c->reserve_tokens, 100000000) < 0 ||
	    get_bool(l, g, "ledger", "", &c->ledger) < 0 || get_bool(l, g, "detail_only", "", &c->detail_only) < 0 ||
	    get_str(l, g, "request_log", "", &c->request_log_dir, 0) < 0)
		return -1;
	const struct cfg_node *tm = cfg_node_get(g, "tag_metadata");
	if (tm) {
		free_strs(c->tag_metadata, c->ntag_metadata);
		c->tag_metadata = NULL;
		c->ntag_metadata = 0;
		if (get_strs(l, g, "tag_metadata", "", &c->tag_metadata, &c->ntag_metadata) < 0)
			return -1;
	}
	const struct cfg_node *sp = cfg_node_get(g, "spool");
	if (sp && sp->type != CN_NULL) {
		static const char *const known[] = { "dir", "fsync_interval", "fsync_records", "segment_seconds",
						     "segment_records", NULL };
		if (sp->type == CN_SCALAR) {
			free(c->spool_dir);
			c->spool_dir = xstrdup(sp->str);
		} else {
			if (want_map(l, sp, "spool") < 0)
				return -1;
			unknown_keys(l, sp, "spool", known);
			if (get_str(l, sp, "dir", "spool", &c->spool_dir, 0) < 0 ||
			    get_num(l, sp, "fsync_interval", "spool", &c->fsync_interval_s, 0, 60) < 0 ||
			    get_num(l, sp, "segment_seconds", "spool", &c->segment_s, 0.01, 86400) < 0)
				return -1;
			v = c->fsync_records;
			if (get_u64(l, sp, "fsync_records", "spool", &v, 10000000) < 0)
				return -1;
			c->fsync_records = (uint32_t)(v ? v : 1);
			v = c->segment_records;
			if (get_u64(l, sp, "segment_records", "spool", &v, 100000000) < 0)
				return -1;
			c->segment_records = (uint32_t)(v ? v : 1);
		}
	}
	const struct cfg_node *ca = cfg_node_get(g, "cache");
	if (ca && ca->type != CN_NULL) {
		static const char *const known[] = { "exact", "semantic", "ttl", "max_bytes", "max_entries", "sampled",
						     "embeddings", NULL };
		if (want_map(l, ca, "cache") < 0)
			return -1;
		unknown_keys(l, ca, "cache", known);
		const struct cfg_node *se = cfg_node_get(ca, "semantic");
		if (get_bool(l, ca, "exact", "cache", &c->cache_exact) < 0 ||
		    get_str(l, ca, "embeddings", "cache", &c->cache_embeddings, 0) < 0 ||
		    get_bool(l, ca, "sampled", "cache", &c->cache_sampled) < 0 ||
		    get_num(l, ca, "ttl", "cache", &c->cache_ttl_s, 1, 86400 * 365) < 0)
			return -1;
		if (se && se->type == CN_SCALAR && !strcmp(se->str, "false"))
			c->cache_semantic = 0;
		else if (se && se->type == CN_SCALAR && !strcmp(se->str, "true"))
			c->cache_semantic = -2;
		else if (get_num(l, ca, "semantic", "cache", &c->cache_semantic, 0.01, 1) < 0)
			return -1;
		v = c->cache_max_bytes;
		if (get_u64(l, ca, "max_bytes", "cache", &v, 1ull << 40) < 0)
			return -1;
		c->cache_max_bytes = v;
		v = c->cache_max_entries;
		if (get_u64(l, ca, "max_entries", "cache", &v, 100000000) < 0)
			return -1;
		c->cache_max_entries = v;
	}
	(void)d;
	return 0;
}

int gwconf_load(const struct config *cfg, const struct price_catalog *cat, struct gw_conf *c)
{
	static const char *const known[] = { "listen", "max_request_bytes", "max_response_bytes", "max_json_depth",
					     "max_connections", "idle_timeout", "busy_poll", "image_tokens", "reserve_tokens",
					     "tag_metadata", "spool", "request_log", "ledger", "detail_only", "cache",
					     "upstreams", "keys", "teams", "routes", "shared_state", NULL };
	struct ld l = { .file = cfg->path, .cat = cat, .c = c };
	char path[256];
	memset(c, 0, sizeof *c);
	c->file = cfg->path;
	c->listen = xstrdup("127.0.0.1:4000");
	c->max_body = 8u << 20;
	c->max_response = 64u << 20;
	c->max_depth = 64;
	c->max_conns = 16384;
	c->idle_timeout_s = 60;
	c->image_tokens = 2000;
	c->spool_dir = xstrdup("aicost-spool");
	c->fsync_interval_s = 0.2;
	c->fsync_records = 1000;
	c->segment_s = 60;
	c->segment_records = 100000;
	c->ledger = 1;
	c->cache_ttl_s = 3600;
	c->cache_max_bytes = 256u << 20;
	c->cache_max_entries = 10000;
	c->cache_sampled = 1;
	c->ntag_metadata = 3;
	c->tag_metadata = xcalloc(3, sizeof *c->tag_metadata);
	c->tag_metadata[0] = xstrdup("use_case");
	c->tag_metadata[1] = xstrdup("feature");
	c->tag_metadata[2] = xstrdup("env");

	const struct cfg_node *g = cfg_node_get(&cfg->root, "gateway");
	if (!g || g->type == CN_NULL)
		return error("%s: no 'gateway:' section: the gateway needs at least one upstream and one key "
			     "(see docs/gateway.md)", cfg->path ? cfg->path : "(no config)");
	if (want_map(&l, g, "") < 0)
		return -1;
	unknown_keys(&l, g, "", known);
	if (parse_settings(&l, g) < 0)
		return -1;

	const struct cfg_node *ups = cfg_node_get(g, "upstreams");
	if (!ups || ups->type != CN_SEQ || !ups->n)
		return bad(&l, ups ? ups : g, "upstreams", "a list of at least one upstream is required");
	c->rt.ups = xcalloc(ups->n, sizeof *c->rt.ups);
	for (size_t i = 0; i < ups->n; i++) {
		snprintf(path, sizeof path, "upstreams[%zu]", i);
		c->rt.nups++;
		if (parse_upstream(&l, &ups->items[i], path, &c->rt.ups[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->rt.ups[j].name, c->rt.ups[i].name))
				return bad(&l, &ups->items[i], path, "two upstreams are named '%s'", c->rt.ups[i].name);
	}

	if (c->cache_embeddings) {
		for (size_t i = 0; i < c->rt.ndeps && !c->embed_dep; i++)
			if (!strcmp(c->rt.deps[i].alias, c->cache_embeddings) && route_serves(&c->rt.deps[i], API_EMBEDDINGS))
				c->embed_dep = &c->rt.deps[i];
		if (!c->embed_dep)
			return bad(&l, cfg_node_get(cfg_node_get(g, "cache"), "embeddings"), "cache.embeddings",
				   "model '%s' is not served by an openai or azure-openai upstream", c->cache_embeddings);
	}

	const struct cfg_node *teams = cfg_node_get(g, "teams");
	if (teams && teams->type != CN_NULL) {
		if (want_map(&l, teams, "teams") < 0)
			return -1;
		c->teams = xcalloc(teams->n + 1, sizeof *c->teams);
		for (size_t i = 0; i < teams->n; i++) {
			const struct cfg_node *k = &teams->items[2 * i], *v = &teams->items[2 * i + 1];
			struct gw_account *a = &c->teams[c->nteams++];
			a->kind = "team";
			a->name = xstrdup(k->str);
			snprintf(path, sizeof path, "teams.%s", k->str);
			static const char *const tknown[] = { "budgets", "budget", "rpm", "tpm", "parallel", NULL };
			if (want_map(&l, v, path) < 0)
				return -1;
			unknown_keys(&l, v, path, tknown);
			if (parse_account(&l, v, path, a) < 0)
				return -1;
		}
	}

	const struct cfg_node *keys = cfg_node_get(g, "keys");
	if (!keys || keys->type != CN_SEQ || !keys->n)
		return bad(&l, keys ? keys : g, "keys", "a list of at least one virtual key is required");
	c->keys = xcalloc(keys->n, sizeof *c->keys);
	for (size_t i = 0; i < keys->n; i++) {
		snprintf(path, sizeof path, "keys[%zu]", i);
		c->nkeys++;
		if (parse_key(&l, &keys->items[i], path, &c->keys[i]) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->keys[j].name, c->keys[i].name))
				return bad(&l, &keys->items[i], path, "two keys are named '%s'", c->keys[i].name);
		c->keys[i].team_acct = gwconf_team(c, c->keys[i].team);
		for (size_t m = 0; m < c->keys[i].nmodels; m++)
			if (!strpbrk(c->keys[i].models[m], "*?[") &&
			    check_alias(&l, &keys->items[i], path, c->keys[i].models[m]) < 0)
				return -1;
	}
	size_t dup;
	if (keys_index(&c->index, c->keys, c->nkeys, &dup) < 0)
		return bad(&l, &keys->items[dup], "keys", "key '%s' has the same hash as another key", c->keys[dup].name);

	const struct cfg_node *routes = cfg_node_get(g, "routes");
	if (routes && routes->type != CN_NULL) {
		if (routes->type != CN_SEQ)
			return bad(&l, routes, "routes", "expected a list of routes");
		c->rt.routes = xcalloc(routes->n + 1, sizeof *c->rt.routes);
		for (size_t i = 0; i < routes->n; i++) {
			snprintf(path, sizeof path, "routes[%zu]", i);
			struct gw_route *r = &c->rt.routes[c->rt.nroutes++];
			if (parse_route(&l, &routes->items[i], path, r) < 0)
				return -1;
			for (size_t t = 0; t < r->ntargets; t++)
				if (check_alias(&l, &routes->items[i], path, r->targets[t]) < 0)
					return -1;
			for (size_t t = 0; t < r->nfallback; t++)
				if (check_alias(&l, &routes->items[i], path, r->fallback[t]) < 0)
					return -1;
			for (size_t t = 0; t < r->ndowngrade; t++)
				if (check_alias(&l, &routes->items[i], path, r->downgrade_to[t]) < 0)
					return -1;
		}
	}
	return parse_shared(&l, g);
}

void gwconf_release(struct gw_conf *c)
{
	free(c->listen);
	free(c->spool_dir);
	free(c->request_log_dir);
	free(c->cache_embeddings);
	free_strs(c->tag_metadata, c->ntag_metadata);
	for (size_t i = 0; i < c->rt.nups; i++) {
		struct gw_upstream *u = &c->rt.ups[i];
		free(u->name);
		free(u->base_url);
		if (u->auth_header) {
			/* The API key: wipe it before giving the memory back. */
			explicit_bzero(u->auth_header, strlen(u->auth_header));
			free(u->auth_header);
		}
		free(u->key_env);
		free(u->api_version);
		free(u->ca_file);
		free_strs(u->headers, u->nheaders);
	}
	free(c->rt.ups);
	for (size_t i = 0; i < c->rt.ndeps; i++) {
		struct gw_deploy *d = &c->rt.deps[i];
		free(d->name);
		free(d->alias);
		free(d->model);
		free(d->price_model);
	}
	free(c->rt.deps);
	for (size_t i = 0; i < c->rt.nroutes; i++)
		free_route(&c->rt.routes[i]);
	free(c->rt.routes);
	for (size_t i = 0; i < c->nkeys; i++) {
		struct gw_key *k = &c->keys[i];
		free(k->name);
		free(k->team);
		free(k->project);
		free(k->user);
		for (size_t m = 0; m < k->nmeta; m++) {
			free(k->meta_k[m]);
			free(k->meta_v[m]);
		}
		free_strs(k->models, k->nmodels);
		free_account(&k->acct);
	}
	free(c->keys);
	keys_release(&c->index);
	for (size_t i = 0; i < c->nteams; i++)
		free_account(&c->teams[i]);
	free(c->teams);
	free_shared(c->shared);
	memset(c, 0, sizeof *c);
}
