/*
 * config.c - what the keys of aicost.yaml mean: one table of known keys
 * (path pattern, type, default, setter, doc) drives the walk over the YAML
 * tree, the type checks, the error messages and docs/config.md; the
 * allocation parts are then compiled by alloc_compile().
 *
 * Errors are one line with the node's position and its dotted path:
 *     aicost: FILE:LINE:COL: allocation.dimensions.team.normalize: 'foo' is not one of slug, lower, none
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/config.h"
#include "formats/focus.h"
#include "util/err.h"

int config_from_tree(struct config *cfg);

struct config_loader {
	struct config *cfg;
	char path[512];              /* dotted path of the node being walked, for messages */
	const struct cfg_node *key;  /* the map key of the node being walked (NULL in lists) */
	int dim, rule, shared, budget;   /* indices of the objects being filled */
	int has_match, has_value, has_over, has_name, has_limit;
};

/* ---- messages ------------------------------------------------------------ */

static int bad(struct config_loader *ld, const struct cfg_node *n, const char *fmt, ...) AICOST_PRINTF(3, 4);
static int bad(struct config_loader *ld, const struct cfg_node *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error("%s:%d:%d: %s: %s", ld->cfg->path, n->line, n->col, ld->path[0] ? ld->path : "(top level)", msg);
}

/* Scalars are quoted in messages, cut short so one bad line stays one line. */
#define QFMT "'%.80s%s'"
#define QARG(s) (s), (strlen(s) > 80 ? "..." : "")

/* ---- small helpers -------------------------------------------------------- */

static char **strv_from_node(const struct cfg_node *n, size_t *cnt)
{
	char **v = NULL;
	*cnt = 0;
	if (n->type == CN_SCALAR) {
		v = xmalloc(sizeof *v);
		v[0] = xstrdup(n->str);
		*cnt = 1;
	} else if (n->type == CN_SEQ) {
		v = xcalloc(n->n, sizeof *v);
		for (size_t i = 0; i < n->n; i++)
			v[i] = xstrdup(n->items[i].str ? n->items[i].str : "");
		*cnt = n->n;
	}
	return v;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static money_t parse_money_node(const struct cfg_node *n)
{
	money_t m = 0;
	money_parse(n->str, n->len, &m, NULL);   /* checked by check_type already */
	return m;
}

/* Lower case without '-', '_' and ' ': "Owner_Team" and "owner-team" meet. */
static char *canon_key(const char *s)
{
	char *c = xmalloc(strlen(s) + 1), *p = c;
	for (; *s; s++) {
		if (*s == '-' || *s == '_' || *s == ' ')
			continue;
		*p++ = (*s >= 'A' && *s <= 'Z') ? *s + 32 : *s;
	}
	*p = 0;
	return c;
}

/* ---- setters: the typed meaning of each key ------------------------------- */

static struct alloc_dim *cur_dim(struct config_loader *ld)
{
	return &ld->cfg->dims[ld->dim];
}

static int set_dim(struct config_loader *ld, const struct cfg_node *n)
{
	struct config *cfg = ld->cfg;
	const char *name = ld->key->str;
	int how;
	if (!*name || strchr(name, ':') || strchr(name, ',') || strchr(name, '='))
		return bad(ld, ld->key, "dimension names cannot be empty or contain ':', ',' or '='");
	if (!strcmp(name, "day") || !strcmp(name, "week") || !strcmp(name, "month"))
		return bad(ld, ld->key, "'%s' is a built-in time dimension; choose another name", name);
	if (focus_col_lookup(name, strlen(name), &how) >= 0)
		return bad(ld, ld->key, QFMT " is a FOCUS column; choose another name", QARG(name));
	int i = alloc_dim_find(cfg, name);
	if (i < 0) {
		cfg->dims = xrealloc(cfg->dims, (cfg->ndims + 1) * sizeof *cfg->dims);
		i = (int)cfg->ndims++;
		memset(&cfg->dims[i], 0, sizeof cfg->dims[i]);
		cfg->dims[i].name = xstrdup(name);
	}
	ld->dim = i;
	struct alloc_dim *d = &cfg->dims[i];
	d->configured = 1;
	d->line = ld->key->line;
	d->col = ld->key->col;
	return 0;
}

static int done_dim(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_dim *d = cur_dim(ld);
	if (d->tags_canon)
		return 0;   /* tags: given (maybe [] = rules only), or the built-in workload's */
	/* `team: {}` means "the tag team", the least surprising default */
	d->tags = xmalloc(sizeof *d->tags);
	d->tags[0] = xstrdup(d->name);
	d->ntags = 1;
	d->tags_canon = xmalloc(sizeof *d->tags_canon);
	d->tags_canon[0] = canon_key(d->name);
	return 0;
}

static int set_tags(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_dim *d = cur_dim(ld);
	strv_free(d->tags_canon, d->tags_canon ? d->ntags : 0);
	strv_free(d->tags, d->ntags);
	d->tags = strv_from_node(n, &d->ntags);
	d->tags_canon = xcalloc(d->ntags ? d->ntags : 1, sizeof *d->tags_canon);
	for (size_t i = 0; i < d->ntags; i++) {
		if (!d->tags[i][0])
			return bad(ld, n->type == CN_SEQ ? &n->items[i] : n, "tag keys cannot be empty");
		d->tags_canon[i] = canon_key(d->tags[i]);
	}
	return 0;
}

static int set_normalize(struct config_loader *ld, const struct cfg_node *n)
{
	cur_dim(ld)->normalize = !strcmp(n->str, "slug") ? NORM_SLUG : !strcmp(n->str, "lower") ? NORM_LOWER : NORM_NONE;
	return 0;
}

static int set_aliases(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_dim *d = cur_dim(ld);
	if (n->type != CN_MAP)
		return 0;
	d->alias_from = xcalloc(n->n, sizeof *d->alias_from);
	d->alias_to = xcalloc(n->n, sizeof *d->alias_to);
	for (size_t i = 0; i < n->n; i++) {
		d->alias_from[i] = xstrdup(n->items[2 * i].str);
		d->alias_to[i] = xstrdup(n->items[2 * i + 1].str);
		d->naliases++;
	}
	return 0;
}

static int set_rule(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_dim *d = cur_dim(ld);
	d->rules = xrealloc(d->rules, (d->nrules + 1) * sizeof *d->rules);
	ld->rule = (int)d->nrules++;
	memset(&d->rules[ld->rule], 0, sizeof d->rules[ld->rule]);
	d->rules[ld->rule].line = n->line;
	d->rules[ld->rule].col = n->col;
	ld->has_match = ld->has_value = 0;
	return 0;
}

static int done_rule(struct config_loader *ld, const struct cfg_node *n)
{
	if (!ld->has_match)
		return bad(ld, n, "a rule needs 'match:'");
	if (!ld->has_value)
		return bad(ld, n, "a rule needs 'value:'");
	return 0;
}

/* Build the terms of a match map; keys are resolved later by alloc_compile. */
static int parse_match(struct config_loader *ld, const struct cfg_node *n, struct alloc_match *m)
{
	ld->has_match = 1;
	if (n->type != CN_MAP)
		return 0;
	m->terms = xcalloc(n->n, sizeof *m->terms);
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->items[2 * i], *v = &n->items[2 * i + 1];
		struct alloc_term *t = &m->terms[m->nterms++];
		t->key = xstrdup(k->str);
		t->line = k->line;
		t->col = k->col;
		if (v->type == CN_SEQ) {
			t->globs = xcalloc(v->n, sizeof *t->globs);
			for (size_t j = 0; j < v->n; j++)
				alloc_glob_compile(&t->globs[t->nglobs++], v->items[j].str ? v->items[j].str : "");
		} else {
			/* a null value is the empty pattern: "the column is null / the tag absent" */
			t->globs = xcalloc(1, sizeof *t->globs);
			alloc_glob_compile(&t->globs[t->nglobs++], v->str ? v->str : "");
		}
	}
	return 0;
}

static int set_rule_match(struct config_loader *ld, const struct cfg_node *n)
{
	return parse_match(ld, n, &cur_dim(ld)->rules[ld->rule].match);
}

static int set_rule_value(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_rule *r = &cur_dim(ld)->rules[ld->rule];
	free(r->raw_value);
	r->raw_value = xstrdup(n->str);
	ld->has_value = 1;
	return 0;
}

static int set_default(struct config_loader *ld, const struct cfg_node *n)
{
	struct alloc_dim *d = cur_dim(ld);
	free(d->raw_default);
	d->raw_default = xstrdup(n->str);
	return 0;
}

static struct shared_rule *cur_shared(struct config_loader *ld)
{
	return &ld->cfg->shared[ld->shared];
}

static int set_shared(struct config_loader *ld, const struct cfg_node *n)
{
	struct config *cfg = ld->cfg;
	cfg->shared = xrealloc(cfg->shared, (cfg->nshared + 1) * sizeof *cfg->shared);
	ld->shared = (int)cfg->nshared++;
	struct shared_rule *s = cur_shared(ld);
	memset(s, 0, sizeof *s);
	s->over_dim = -1;
	s->line = n->line;
	s->col = n->col;
	ld->has_match = ld->has_over = 0;
	return 0;
}

static int done_shared(struct config_loader *ld, const struct cfg_node *n)
{
	struct shared_rule *s = cur_shared(ld);
	if (!ld->has_match)
		return bad(ld, n, "a shared rule needs 'match:' (which cost is shared)");
	if (!ld->has_over)
		return bad(ld, n, "a shared rule needs 'over:' (the dimension to spread it over)");
	if (s->method == SHARED_FIXED) {
		money_t sum = 0;
		if (s->nweights == 0)
			return bad(ld, n, "method fixed needs 'weights:'");
		for (size_t i = 0; i < s->nweights; i++)
			money_add(&sum, s->weights[i]);
		if (sum <= 0)
			return bad(ld, n, "the weights add up to zero");
	} else if (s->nweights) {
		warning("%s:%d:%d: %s: 'weights:' is only used with method: fixed; ignored",
			ld->cfg->path, n->line, n->col, ld->path);
	}
	return 0;
}

static int set_shared_match(struct config_loader *ld, const struct cfg_node *n)
{
	return parse_match(ld, n, &cur_shared(ld)->match);
}

static int set_shared_over(struct config_loader *ld, const struct cfg_node *n)
{
	struct shared_rule *s = cur_shared(ld);
	free(s->over);
	s->over = xstrdup(n->str);
	ld->has_over = 1;
	return 0;
}

static int set_shared_method(struct config_loader *ld, const struct cfg_node *n)
{
	cur_shared(ld)->method = !strcmp(n->str, "proportional") ? SHARED_PROPORTIONAL :
				 !strcmp(n->str, "even") ? SHARED_EVEN : SHARED_FIXED;
	return 0;
}

static int set_shared_weights(struct config_loader *ld, const struct cfg_node *n)
{
	struct shared_rule *s = cur_shared(ld);
	if (n->type != CN_MAP)
		return 0;
	s->weight_raw = xcalloc(n->n, sizeof *s->weight_raw);
	s->weight_values = xcalloc(n->n, sizeof *s->weight_values);
	s->weights = xcalloc(n->n, sizeof *s->weights);
	for (size_t i = 0; i < n->n; i++) {
		money_t w = parse_money_node(&n->items[2 * i + 1]);
		if (w < 0)
			return bad(ld, &n->items[2 * i + 1], "weights cannot be negative");
		s->weight_raw[i] = xstrdup(n->items[2 * i].str);
		s->weights[i] = w;
		s->nweights++;
	}
	return 0;
}

static struct budget *cur_budget(struct config_loader *ld)
{
	return &ld->cfg->budgets[ld->budget];
}

static int set_budget(struct config_loader *ld, const struct cfg_node *n)
{
	struct config *cfg = ld->cfg;
	cfg->budgets = xrealloc(cfg->budgets, (cfg->nbudgets + 1) * sizeof *cfg->budgets);
	ld->budget = (int)cfg->nbudgets++;
	struct budget *b = cur_budget(ld);
	memset(b, 0, sizeof *b);
	b->line = n->line;
	b->col = n->col;
	b->period = BUDGET_MONTH;
	ld->has_name = ld->has_limit = 0;
	return 0;
}

static int done_budget(struct config_loader *ld, const struct cfg_node *n)
{
	struct budget *b = cur_budget(ld);
	if (!ld->has_name)
		return bad(ld, n, "a budget needs 'name:'");
	if (!ld->has_limit)
		return bad(ld, n, "a budget needs 'limit:'");
	for (size_t i = 0; i + 1 < ld->cfg->nbudgets; i++)
		if (!strcmp(ld->cfg->budgets[i].name, b->name))
			return bad(ld, n, "budget name " QFMT " is used twice", QARG(b->name));
	if (b->nalert == 0) {
		/* warn at 80%, breach at 100%: what FinOps tools default to (also for alert_at: []) */
		free(b->alert_at);
		b->alert_at = xcalloc(2, sizeof *b->alert_at);
		b->alert_at[0] = MONEY_ONE / 10 * 8;
		b->alert_at[1] = MONEY_ONE;
		b->nalert = 2;
	}
	return 0;
}

static int set_budget_name(struct config_loader *ld, const struct cfg_node *n)
{
	struct budget *b = cur_budget(ld);
	free(b->name);
	b->name = xstrdup(n->str);
	ld->has_name = 1;
	return 0;
}

static int set_budget_scope(struct config_loader *ld, const struct cfg_node *n)
{
	struct budget *b = cur_budget(ld);
	if (n->type != CN_MAP)
		return 0;
	b->scope_keys = xcalloc(n->n, sizeof *b->scope_keys);
	b->scope_vals = xcalloc(n->n, sizeof *b->scope_vals);
	for (size_t i = 0; i < n->n; i++) {
		b->scope_keys[i] = xstrdup(n->items[2 * i].str);
		b->scope_vals[i] = xstrdup(n->items[2 * i + 1].str);
		b->nscope++;
	}
	return 0;
}

static int set_budget_period(struct config_loader *ld, const struct cfg_node *n)
{
	cur_budget(ld)->period = !strcmp(n->str, "month") ? BUDGET_MONTH :
				 !strcmp(n->str, "quarter") ? BUDGET_QUARTER : BUDGET_YEAR;
	return 0;
}

static int set_budget_limit(struct config_loader *ld, const struct cfg_node *n)
{
	money_t m = parse_money_node(n);
	if (m <= 0)
		return bad(ld, n, "the limit must be more than 0");
	cur_budget(ld)->limit = m;
	ld->has_limit = 1;
	return 0;
}

static int money_cmp(const void *a, const void *b)
{
	money_t x = *(const money_t *)a, y = *(const money_t *)b;
	return (x > y) - (x < y);
}

static int set_budget_alert_at(struct config_loader *ld, const struct cfg_node *n)
{
	struct budget *b = cur_budget(ld);
	size_t cnt = n->type == CN_SEQ ? n->n : n->type == CN_SCALAR ? 1 : 0;
	free(b->alert_at);
	b->alert_at = xcalloc(cnt ? cnt : 1, sizeof *b->alert_at);
	b->nalert = 0;
	for (size_t i = 0; i < cnt; i++) {
		const struct cfg_node *it = n->type == CN_SEQ ? &n->items[i] : n;
		money_t f = parse_money_node(it);
		if (f <= 0)
			return bad(ld, it, "alert fractions must be more than 0 (1.0 is the limit)");
		b->alert_at[b->nalert++] = f;
	}
	qsort(b->alert_at, b->nalert, sizeof *b->alert_at, money_cmp);
	return 0;
}

static int set_budget_notify(struct config_loader *ld, const struct cfg_node *n)
{
	struct budget *b = cur_budget(ld);
	strv_free(b->notify, b->nnotify);
	b->notify = strv_from_node(n, &b->nnotify);
	return 0;
}

static int set_hosts(struct config_loader *ld, const struct cfg_node *n)
{
	struct config *cfg = ld->cfg;
	if (n->type != CN_MAP)
		return 0;
	cfg->host_names = xcalloc(n->n, sizeof *cfg->host_names);
	cfg->host_resources = xcalloc(n->n, sizeof *cfg->host_resources);
	for (size_t i = 0; i < n->n; i++) {
		cfg->host_names[i] = xstrdup(n->items[2 * i].str);
		cfg->host_resources[i] = xstrdup(n->items[2 * i + 1].str);
		cfg->nhosts++;
	}
	return 0;
}

static int set_catalog(struct config_loader *ld, const struct cfg_node *n)
{
	struct config *cfg = ld->cfg;
	const char *slash = strrchr(cfg->path, '/');
	free(cfg->prices_catalog);
	/* relative to the config file, so a config works from any cwd */
	if (n->str[0] != '/' && slash) {
		size_t dl = (size_t)(slash - cfg->path) + 1;
		cfg->prices_catalog = xmalloc(dl + n->len + 1);
		memcpy(cfg->prices_catalog, cfg->path, dl);
		memcpy(cfg->prices_catalog + dl, n->str, n->len + 1);
	} else {
		cfg->prices_catalog = xstrdup(n->str);
	}
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static const struct config_key keys[] = {
	{ "", CT_MAP, NULL, NULL, NULL, NULL, "the document: a mapping" },
	{ "allocation", CT_MAP, NULL, NULL, NULL, NULL, "how cost is allocated to teams, projects, ..." },
	{ "allocation.dimensions", CT_MAP, NULL, NULL, NULL, NULL, "allocation dimensions by name" },
	{ "allocation.dimensions.*", CT_MAP, NULL, "{}", set_dim, done_dim,
	  "one allocation dimension; the name is usable in --by, --where, match: and scope:" },
	{ "allocation.dimensions.*.tags", CT_STRS, NULL, "[<name>]", set_tags, NULL,
	  "tag keys to read, in priority order; the first present with a non-empty value wins" },
	{ "allocation.dimensions.*.normalize", CT_ENUM, "slug, lower, none", "slug", set_normalize, NULL,
	  "how values are cleaned up" },
	{ "allocation.dimensions.*.aliases", CT_STRMAP, NULL, "{}", set_aliases, NULL,
	  "value -> canonical value, after normalization" },
	{ "allocation.dimensions.*.rules", CT_SEQ, NULL, "[]", NULL, NULL,
	  "for lines without any of the tags: the first matching rule gives the value" },
	{ "allocation.dimensions.*.rules[]", CT_MAP, NULL, NULL, set_rule, done_rule, "one rule" },
	{ "allocation.dimensions.*.rules[].match", CT_MATCH, NULL, NULL, set_rule_match, NULL,
	  "conditions, ANDed: FOCUS column, tag:KEY or dimension -> glob or [globs]" },
	{ "allocation.dimensions.*.rules[].value", CT_STR, NULL, NULL, set_rule_value, NULL,
	  "the value (normalized and aliased like a tag value)" },
	{ "allocation.dimensions.*.default", CT_STR, NULL, "unallocated", set_default, NULL,
	  "the value when no tag and no rule applies (workload: other)" },
	{ "allocation.shared", CT_SEQ, NULL, "[]", NULL, NULL, "shared-cost redistribution rules" },
	{ "allocation.shared[]", CT_MAP, NULL, NULL, set_shared, done_shared, "one shared-cost rule" },
	{ "allocation.shared[].match", CT_MATCH, NULL, NULL, set_shared_match, NULL, "which lines are shared cost" },
	{ "allocation.shared[].over", CT_STR, NULL, NULL, set_shared_over, NULL,
	  "the allocation dimension whose values receive the cost" },
	{ "allocation.shared[].method", CT_ENUM, "proportional, even, fixed", "proportional", set_shared_method, NULL,
	  "how the cost is split" },
	{ "allocation.shared[].weights", CT_MONEYMAP, NULL, "{}", set_shared_weights, NULL,
	  "method fixed: value -> weight (any non-negative numbers; shares are weight/sum)" },
	{ "budgets", CT_SEQ, NULL, "[]", NULL, NULL, "budgets" },
	{ "budgets[]", CT_MAP, NULL, NULL, set_budget, done_budget, "one budget" },
	{ "budgets[].name", CT_STR, NULL, NULL, set_budget_name, NULL, "unique name" },
	{ "budgets[].scope", CT_STRMAP, NULL, "{}", set_budget_scope, NULL,
	  "dimension -> value the budget covers, ANDed; empty = all cost" },
	{ "budgets[].period", CT_ENUM, "month, quarter, year", "month", set_budget_period, NULL, "budget period" },
	{ "budgets[].limit", CT_MONEY, NULL, NULL, set_budget_limit, NULL, "amount per period, billing currency" },
	{ "budgets[].alert_at", CT_MONEYS, NULL, "[0.8, 1.0]", set_budget_alert_at, NULL,
	  "fractions of the limit that alert, on actual or forecast spend" },
	{ "budgets[].notify", CT_STRS, NULL, "[]", set_budget_notify, NULL, "targets, e.g. webhook:URL" },
	{ "hosts", CT_STRMAP, NULL, "{}", set_hosts, NULL, "telemetry host -> FOCUS ResourceId" },
	{ "prices", CT_MAP, NULL, NULL, NULL, NULL, "LLM price catalog" },
	{ "prices.catalog", CT_STR, NULL, "built-in", set_catalog, NULL,
	  "LiteLLM-format JSON; relative to the config file" },
	{ "prices.overrides", CT_RAW, NULL, NULL, NULL, NULL, "price overrides (read by the pricing module)" },
	{ "gateway", CT_RAW, NULL, NULL, NULL, NULL, "the LLM gateway (read by the gateway module)" },
	/* The ledger: read by src/cli/common.c (cli_config_db) before the command runs; --db and $AICOST_DB win. */
	{ "db", CT_RAW, NULL, "aicost.db", NULL, NULL,
	  "the ledger: a SQLite file (relative to the config file) or clickhouse://HOST:PORT/DATABASE[?cluster=NAME]" },
	{ "policies", CT_RAW, NULL, NULL, NULL, NULL, "policy checks for `aicost check` (read by core/policy.c)" },
	{ "anomalies", CT_RAW, NULL, NULL, NULL, NULL,
	  "anomaly detection: min_impact, min_pct, sensitivity, direction, drivers (docs/anomalies.md)" },
	/* GPU telemetry: read by core/gpu_query.c (gpu_config_read). */
	{ "gpu", CT_RAW, NULL, NULL, NULL, NULL, "GPU telemetry: idle_threshold (percent, default 5), max_gap and"
	  " default_interval (seconds, default 600 and 60)" },
	/* aicost serve: read by src/http/auth.c (tokens) and src/http/server.c. */
	{ "server", CT_RAW, NULL, NULL, NULL, NULL, "aicost serve: tokens (name, sha256, role admin|team, team) (docs/server.md)" },
	/* Savings recommendations: read by core/recommend.c (rec_settings_read). */
	{ "recommend", CT_RAW, NULL, NULL, NULL, NULL, "savings recommendations: window, thresholds and guards per kind"
	  " (docs/recommend.md)" },
};

const struct config_key *config_keys(size_t *n)
{
	*n = sizeof keys / sizeof keys[0];
	return keys;
}

static const struct config_key *find_key(const char *pat)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(keys[i].path, pat))
			return &keys[i];
	return NULL;
}

/* ---- the walk --------------------------------------------------------------- */

static int is_list_of_scalars(const struct cfg_node *n)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->items[i].type != CN_SCALAR)
			return 0;
	return 1;
}

static int check_money(struct config_loader *ld, const struct cfg_node *n)
{
	money_t m;
	if (n->type != CN_SCALAR)
		return bad(ld, n, "expected a number");
	int rc = money_parse(n->str, n->len, &m, NULL);
	if (rc == -2)
		return bad(ld, n, QFMT " is too large", QARG(n->str));
	if (rc < 0)
		return bad(ld, n, QFMT " is not a number", QARG(n->str));
	return 0;
}

static int check_type(struct config_loader *ld, const struct config_key *k, const struct cfg_node *n)
{
	/* an empty value (`rules:`) is an empty collection; a scalar key needs a value */
	if (n->type == CN_NULL)
		switch (k->type) {
		case CT_STR: case CT_ENUM: case CT_MONEY:
			return bad(ld, n, "expected a value");
		default:
			return 0;
		}
	switch (k->type) {
	case CT_MAP:
		return n->type == CN_MAP ? 0 : bad(ld, n, "expected a mapping");
	case CT_SEQ:
		return n->type == CN_SEQ ? 0 : bad(ld, n, "expected a list");
	case CT_STR:
		return n->type == CN_SCALAR ? 0 : bad(ld, n, "expected a string");
	case CT_STRS:
		if (n->type == CN_SCALAR || (n->type == CN_SEQ && is_list_of_scalars(n)))
			return 0;
		return bad(ld, n, "expected a string or a list of strings");
	case CT_ENUM: {
		if (n->type != CN_SCALAR)
			return bad(ld, n, "expected one of %s", k->values);
		/* values is "a, b, c": match whole words */
		size_t len = n->len;
		for (const char *p = k->values; *p;) {
			const char *e = strchr(p, ',');
			size_t wl = e ? (size_t)(e - p) : strlen(p);
			if (wl == len && !memcmp(p, n->str, len))
				return 0;
			if (!e)
				break;
			p = e + 1;
			while (*p == ' ')
				p++;
		}
		return bad(ld, n, QFMT " is not one of %s", QARG(n->str), k->values);
	}
	case CT_MONEY:
		return check_money(ld, n);
	case CT_MONEYS:
		if (n->type == CN_SCALAR)
			return check_money(ld, n);
		if (n->type != CN_SEQ)
			return bad(ld, n, "expected a list of numbers");
		for (size_t i = 0; i < n->n; i++)
			if (check_money(ld, &n->items[i]) < 0)
				return -1;
		return 0;
	case CT_STRMAP:
	case CT_MONEYMAP:
		if (n->type != CN_MAP)
			return bad(ld, n, k->type == CT_STRMAP ? "expected a mapping of strings" : "expected a mapping of numbers");
		for (size_t i = 0; i < n->n; i++) {
			const struct cfg_node *v = &n->items[2 * i + 1];
			if (k->type == CT_MONEYMAP) {
				if (check_money(ld, v) < 0)
					return -1;
			} else if (v->type != CN_SCALAR) {
				return bad(ld, v, "the value of " QFMT " must be a string", QARG(n->items[2 * i].str));
			}
		}
		return 0;
	case CT_MATCH:
		if (n->type != CN_MAP)
			return bad(ld, n, "expected a mapping of KEY: glob or [globs]");
		for (size_t i = 0; i < n->n; i++) {
			const struct cfg_node *v = &n->items[2 * i + 1];
			if (v->type == CN_MAP || (v->type == CN_SEQ && !is_list_of_scalars(v)))
				return bad(ld, v, "the value of " QFMT " must be a glob or a list of globs",
					   QARG(n->items[2 * i].str));
			if (v->type == CN_SEQ && v->n == 0)
				return bad(ld, v, "the list for " QFMT " is empty (it could never match)",
					   QARG(n->items[2 * i].str));
		}
		return 0;
	case CT_RAW:
		return 0;
	}
	return 0;
}

static int walk(struct config_loader *ld, const struct config_key *k, const struct cfg_node *n)
{
	if (check_type(ld, k, n) < 0)
		return -1;
	if (k->set && k->set(ld, n) < 0)
		return -1;
	size_t plen = strlen(ld->path);
	char pat[128];
	if (k->type == CT_MAP && n->type == CN_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct cfg_node *kn = &n->items[2 * i];
			snprintf(ld->path + plen, sizeof ld->path - plen, "%s%s", plen ? "." : "", kn->str);
			snprintf(pat, sizeof pat, "%s%s%s", k->path, *k->path ? "." : "", kn->str);
			const struct config_key *ck = find_key(pat);
			if (!ck) {
				snprintf(pat, sizeof pat, "%s%s*", k->path, *k->path ? "." : "");
				ck = find_key(pat);
			}
			if (!ck) {
				/* the SPEC lets users keep their own keys; a typo still gets a hint */
				warning("%s:%d:%d: unknown key '%s' (ignored)", ld->cfg->path, kn->line, kn->col, ld->path);
				continue;
			}
			ld->key = kn;
			if (walk(ld, ck, &n->items[2 * i + 1]) < 0)
				return -1;
		}
	} else if (k->type == CT_SEQ && n->type == CN_SEQ) {
		snprintf(pat, sizeof pat, "%s[]", k->path);
		const struct config_key *ck = find_key(pat);
		for (size_t i = 0; ck && i < n->n; i++) {
			snprintf(ld->path + plen, sizeof ld->path - plen, "[%zu]", i);
			ld->key = NULL;
			if (walk(ld, ck, &n->items[i]) < 0)
				return -1;
		}
	}
	ld->path[plen] = 0;
	if (k->done && k->done(ld, n) < 0)
		return -1;
	return 0;
}

/* Scope keys name dimensions, which may be defined after the budgets. */
static int check_budget_scopes(struct config_loader *ld)
{
	const struct cfg_node *bs = cfg_node_get(&ld->cfg->root, "budgets");
	if (!bs || bs->type != CN_SEQ)
		return 0;
	for (size_t i = 0; i < bs->n; i++) {
		const struct cfg_node *sc = cfg_node_get(&bs->items[i], "scope");
		if (!sc || sc->type != CN_MAP)
			continue;
		for (size_t j = 0; j < sc->n; j++) {
			const struct cfg_node *kn = &sc->items[2 * j];
			const char *key = kn->str;
			if (!strncmp(key, "tag:", 4) && key[4])
				continue;
			if (alloc_dim_find(ld->cfg, key) >= 0 || focus_col_lookup(key, kn->len, NULL) >= 0)
				continue;
			snprintf(ld->path, sizeof ld->path, "budgets[%zu].scope", i);
			return bad(ld, kn, QFMT " is not an allocation dimension, FOCUS column or tag:KEY", QARG(key));
		}
	}
	return 0;
}

int config_from_tree(struct config *cfg)
{
	struct config_loader ld;
	memset(&ld, 0, sizeof ld);
	ld.cfg = cfg;
	if (cfg->root.type != CN_NULL && walk(&ld, &keys[0], &cfg->root) < 0)
		return -1;
	if (alloc_compile(cfg) < 0)
		return -1;
	return check_budget_scopes(&ld);
}

/* ---- lifecycle ---------------------------------------------------------------- */

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->path = xstrdup("(none)");
	pthread_mutex_init(&cfg->lock, NULL);
	/* the built-in workload dimension is always dims[0] */
	cfg->dims = xcalloc(1, sizeof *cfg->dims);
	cfg->ndims = 1;
	cfg->dims[0].name = xstrdup("workload");
	cfg->dims[0].builtin_workload = 1;
	cfg->dims[0].normalize = NORM_SLUG;
	cfg->dims[0].tags = xmalloc(sizeof *cfg->dims[0].tags);
	cfg->dims[0].tags[0] = xstrdup("workload");
	cfg->dims[0].ntags = 1;
	cfg->dims[0].tags_canon = xmalloc(sizeof *cfg->dims[0].tags_canon);
	cfg->dims[0].tags_canon[0] = xstrdup("workload");
	if (alloc_compile(cfg) < 0)
		abort();   /* the empty config always compiles */
}

void config_release(struct config *cfg)
{
	if (!cfg->path)
		return;   /* zeroed or released already */
	alloc_release(cfg);
	for (size_t i = 0; i < cfg->ndims; i++) {
		struct alloc_dim *d = &cfg->dims[i];
		free(d->name);
		strv_free(d->tags, d->ntags);
		strv_free(d->tags_canon, d->tags_canon ? d->ntags : 0);
		strv_free(d->alias_from, d->naliases);
		strv_free(d->alias_to, d->naliases);
		for (size_t j = 0; j < d->nrules; j++) {
			alloc_match_release(&d->rules[j].match);
			free(d->rules[j].raw_value);
		}
		free(d->rules);
		free(d->raw_default);
	}
	free(cfg->dims);
	for (size_t i = 0; i < cfg->nshared; i++) {
		struct shared_rule *s = &cfg->shared[i];
		alloc_match_release(&s->match);
		free(s->over);
		strv_free(s->weight_raw, s->nweights);
		free(s->weight_values);
		free(s->weights);
	}
	free(cfg->shared);
	for (size_t i = 0; i < cfg->nbudgets; i++) {
		struct budget *b = &cfg->budgets[i];
		free(b->name);
		strv_free(b->scope_keys, b->nscope);
		strv_free(b->scope_vals, b->nscope);
		free(b->alert_at);
		strv_free(b->notify, b->nnotify);
	}
	free(cfg->budgets);
	strv_free(cfg->host_names, cfg->nhosts);
	strv_free(cfg->host_resources, cfg->nhosts);
	free(cfg->prices_catalog);
	cfg_node_release(&cfg->root);
	pthread_mutex_destroy(&cfg->lock);
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

const char *config_host_resource(const struct config *cfg, const char *host)
{
	for (size_t i = 0; i < cfg->nhosts; i++)
		if (!strcmp(cfg->host_names[i], host))
			return cfg->host_resources[i];
	return NULL;
}
