/*
 * recommend_llm.c - cheaper ways to buy tokens, from the request statistics
 * of request logs (core/llm_stats.h) priced with the LLM catalog
 * (docs/recommend.md). Per group (provider, model, sub account, metadata
 * tags) over the window, in an order that never prices a token twice:
 *
 *   llm-cache       the exact duplicate requests (a response cache serves
 *                   them for nothing);
 *   llm-batch       a non-interactive group's remaining tokens at the
 *                   batch tier; the group is then taken;
 *   llm-route       short requests (prompt and output under the guards) of
 *                   the rest at a cheaper model of the same family, scaled
 *                   by the share that is not duplicate;
 *   prompt-caching  repeated long prefixes of the rest read from the cache
 *                   instead of as input, less the cache writes, scaled the
 *                   same way.
 * Savings are exact money from catalog prices x token counts, scaled to 30
 * days over the days the group had traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "core/alloc.h"
#include "core/llm_ingest.h"
#include "core/llm_stats.h"
#include "core/tags.h"
#include "formats/focus.h"
#include "core/prices.h"
#include "core/recommend_int.h"
#include "store/store.h"
#include "util/err.h"

struct grp {
	char *provider, *model, *sub, *tags;
	struct llm_stat_rec s;           /* sums; cells in cells[] */
	struct llm_stat_cell *cells;
	size_t ncells, cap;
	int32_t first, last;
	int claimed;
};

struct lctx {
	struct rec_ctx *c;
	struct dict ids;
	struct grp *g;
	size_t n;
};

static int on_stat(void *arg, const struct llm_stat_rec *r)
{
	struct lctx *l = arg;
	char key[4096];
	int kn = snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", r->provider, r->model, r->sub_account, r->tags);
	if (kn < 0 || (size_t)kn >= sizeof key)
		return 0;   /* an absurdly long group key: skipped */
	uint64_t h = hash_bytes(key, (size_t)kn);
	uint32_t id;
	if (!dict_get(&l->ids, key, (size_t)kn, h, &id)) {
		l->g = xrealloc(l->g, (l->n + 1) * sizeof *l->g);
		struct grp *g = &l->g[l->n];
		memset(g, 0, sizeof *g);
		g->provider = xstrdup(r->provider);
		g->model = xstrdup(r->model);
		g->sub = xstrdup(r->sub_account);
		g->tags = xstrdup(r->tags);
		g->first = r->day;
		g->last = r->day;
		id = (uint32_t)l->n++;
		dict_put(&l->ids, key, (size_t)kn, h, id);
	}
	struct grp *g = &l->g[id];
	struct llm_stat_rec *s = &g->s;
	s->requests += r->requests;
	s->streamed += r->streamed;
	s->stream_known += r->stream_known;
	s->with_user += r->with_user;
	s->batch_tier += r->batch_tier;
	s->hashed += r->hashed;
	s->dup_requests += r->dup_requests;
	s->prefixed += r->prefixed;
	s->prefix_repeat += r->prefix_repeat;
	s->prefix_repeat_tokens += r->prefix_repeat_tokens;
	s->prefix_first_tokens += r->prefix_first_tokens;
	for (int d = 0; d < LLM_STAT_DIRS; d++)
		s->dup_tok[d] += r->dup_tok[d];
	for (int h2 = 0; h2 < 24; h2++)
		s->hour[h2] += r->hour[h2];
	g->first = r->day < g->first ? r->day : g->first;
	g->last = r->day > g->last ? r->day : g->last;
	for (size_t i = 0; i < r->ncells; i++) {
		const struct llm_stat_cell *x = &r->cells[i];
		size_t k;
		for (k = 0; k < g->ncells && (g->cells[k].in_b != x->in_b || g->cells[k].out_b != x->out_b); k++)
			;
		if (k == g->ncells) {
			if (g->ncells == g->cap) {
				g->cap = g->cap ? g->cap * 2 : 16;
				g->cells = xrealloc(g->cells, g->cap * sizeof *g->cells);
			}
			memset(&g->cells[k], 0, sizeof g->cells[k]);
			g->cells[k].in_b = x->in_b;
			g->cells[k].out_b = x->out_b;
			g->ncells++;
		}
		g->cells[k].n += x->n;
		for (int d = 0; d < LLM_STAT_DIRS; d++)
			g->cells[k].tok[d] += x->tok[d];
	}
	return 0;
}

/* Cost of tokens t (n requests) at model m, tier; -1 on overflow (reported). */
static int cost_of(const struct llm_model *m, const uint64_t *t, uint64_t n, enum llm_tier tier, money_t *out)
{
	struct llm_usage u = { .requests = n, .tier = tier, .long_context = -1 };
	struct llm_cost c;
	memcpy(u.tokens, t, sizeof u.tokens);
	if (prices_cost(m, &u, &c) < 0)
		return -1;
	*out = c.total;
	return 0;
}

static const char *strip_prefix(const char *name)
{
	const char *s = strrchr(name, '/');
	return s ? s + 1 : name;
}

/* The cheaper model of the same family to route simple requests to (built in; recommend.llm_route.targets wins). */
static const char *route_target(const struct rec_settings *set, const char *model, const char *catalog_name)
{
	static const char *const map[][2] = {
		{ "gpt-4o-mini", NULL }, { "gpt-4o", "gpt-4o-mini" }, { "gpt-4.1-mini", NULL }, { "gpt-4.1-nano", NULL },
		{ "gpt-4.1", "gpt-4.1-mini" }, { "gpt-5-mini", NULL }, { "gpt-5-nano", NULL }, { "gpt-5", "gpt-5-mini" },
		{ "o1-mini", NULL }, { "o3-mini", NULL }, { "o4-mini", NULL }, { "o3", "o4-mini" }, { "o1", "o4-mini" },
		{ "gpt-4-turbo", "gpt-4o-mini" }, { "gpt-4", "gpt-4o-mini" }, { "claude-opus-4", "claude-sonnet-4-5" },
		{ "claude-sonnet-4", "claude-haiku-4-5" }, { "claude-3-7-sonnet", "claude-3-5-haiku" },
		{ "claude-3-5-sonnet", "claude-3-5-haiku" }, { "claude-3-opus", "claude-3-5-haiku" },
		{ "gemini-2.5-pro", "gemini-2.5-flash" }, { "gemini-1.5-pro", "gemini-1.5-flash" },
	};
	for (size_t i = 0; i < set->nroutes; i++)
		if (!strcasecmp(set->route_from[i], model) || !strcasecmp(set->route_from[i], catalog_name) ||
		    !strcasecmp(set->route_from[i], strip_prefix(catalog_name)))
			return set->route_to[i];
	const char *base = strip_prefix(catalog_name);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strncasecmp(base, map[i][0], strlen(map[i][0])))
			return map[i][1];
	return NULL;
}

static int batch_provider(const char *p)
{
	static const char *const ok[] = { "openai", "anthropic", "azure", "vertex_ai", "gemini", "bedrock" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strncasecmp(p, ok[i], strlen(ok[i])))
			return 1;
	return 0;
}

/* A tag's value in the group's tags object ("" none). */
static void tag_value(const char *tags, const char *key, char *out, size_t cap)
{
	out[0] = 0;
	if (!tags || !*tags)
		return;
	json_t *o = json_loads(tags, 0, NULL);
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		snprintf(out, cap, "%s", json_string_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
	json_decref(o);
}

static void group_scope(struct recommendation *r, const struct grp *g)
{
	rec_scope(r, "provider", g->provider);
	rec_scope(r, "model", g->model);
	rec_scope(r, "SubAccountId", g->sub);
	json_t *o = g->tags && *g->tags ? json_loads(g->tags, 0, NULL) : NULL;
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (json_is_string(v))
			rec_scope(r, k, json_string_value(v));
	}
	json_decref(o);
}

static void group_name(const struct grp *g, char *out, size_t cap)
{
	char uc[128];
	tag_value(g->tags, "use_case", uc, sizeof uc);
	if (!uc[0])
		tag_value(g->tags, "team", uc, sizeof uc);
	if (!uc[0])
		tag_value(g->tags, "project", uc, sizeof uc);
	snprintf(out, cap, "%s%s%s", g->model, uc[0] ? " for " : "", uc);
}

/*
 * --where on a request group: the group is described as the token charges
 * `ingest llm` writes for it (ServiceProviderName, ServiceCategory "AI and
 * Machine Learning", ResourceId = model, SubAccountId, Tags = metadata), so a
 * filter selects the same traffic in `report` and here.
 */
static int group_passes(const struct rec_ctx *c, const struct grp *g)
{
	if (!c->nwhere)
		return 1;
	struct alloc_line l;
	struct tagset ts = { 0 };
	memset(&l, 0, sizeof l);
	l.vals[FC_SERVICE_PROVIDER_NAME] = llm_provider_display(g->provider);
	l.vals[FC_INVOICE_ISSUER_NAME] = l.vals[FC_SERVICE_PROVIDER_NAME];
	l.vals[FC_SERVICE_CATEGORY] = "AI and Machine Learning";
	l.vals[FC_SERVICE_SUBCATEGORY] = "Generative AI";
	l.vals[FC_RESOURCE_ID] = g->model;
	l.vals[FC_RESOURCE_TYPE] = "Model";
	l.vals[FC_CONSUMED_UNIT] = "Tokens";
	l.vals[FC_CHARGE_CATEGORY] = "Usage";
	l.vals[FC_BILLING_CURRENCY] = "USD";
	l.vals[FC_SUB_ACCOUNT_ID] = g->sub[0] ? g->sub : NULL;
	if (g->tags && *g->tags && tagset_parse(g->tags, strlen(g->tags), &ts) == 0) {
		l.tag_keys = (const char *const *)ts.keys;
		l.tag_vals = (const char *const *)ts.vals;
		l.ntags = ts.n;
	}
	int ok = rec_where_match(c, &l);
	tagset_release(&ts);
	return ok;
}

static void common_ev(struct recommendation *r, const struct grp *g)
{
	rec_ev_period(r, g->first, g->last);
	rec_ev_int(r, "requests", (int64_t)g->s.requests);
}

int rec_llm_kinds(struct rec_ctx *c)
{
	struct lctx l;
	struct price_catalog *cat = NULL;
	int rc = -1, unpriced = 0;
	memset(&l, 0, sizeof l);
	l.c = c;
	dict_init(&l.ids);
	if (c->st->ops->llm_stat_scan(c->st, c->from, c->to, on_stat, &l) < 0)
		goto out;
	if (!l.n) {
		rec_note(c, "no LLM request statistics in the window: llm-cache, llm-batch, llm-route and prompt-caching"
			    " need a request log (JSONL) loaded with 'aicost ingest llm'");
		rc = 0;
		goto out;
	}
	cat = prices_open(c->cfg);
	if (!cat)
		goto out;
	const struct rec_settings *set = &c->set;
	for (size_t i = 0; i < l.n; i++) {
		struct grp *g = &l.g[i];
		struct llm_stat_rec *s = &g->s;
		if (s->requests < set->llm_min_requests || s->batch_tier * 2 > s->requests || !group_passes(c, g))
			continue;
		const struct llm_model *m = prices_find(cat, g->model, g->provider);
		if (!m) {
			unpriced++;
			continue;
		}
		int span = g->last - g->first + 1;
		uint64_t tok[LLM_STAT_DIRS] = { 0 };
		money_t total = 0, dup_cost = 0;
		for (size_t k = 0; k < g->ncells; k++)
			for (int d = 0; d < LLM_STAT_DIRS; d++)
				tok[d] += g->cells[k].tok[d];
		if (cost_of(m, tok, s->requests, LT_STANDARD, &total) < 0 ||
		    cost_of(m, s->dup_tok, s->dup_requests, LT_STANDARD, &dup_cost) < 0)
			goto out;
		double keep = s->requests ? 1 - (double)s->dup_requests / (double)s->requests : 1;
		char name[300];
		group_name(g, name, sizeof name);

		/* llm-cache: exact duplicates. */
		double dup_share = s->hashed ? (double)s->dup_requests / (double)s->hashed : 0;
		if (s->hashed && dup_share >= set->cache_min_share && dup_cost > 0) {
			struct recommendation *r = rec_add(c, RK_LLM_CACHE, g->model);
			group_scope(r, g);
			r->monthly_cost = rec_monthly(total, span);
			r->monthly_savings = rec_monthly(dup_cost, span);
			r->confidence = dup_share >= 0.2 ? 0.85 : 0.7;
			rec_title(r, "Cache responses of %s: %.0f%% of requests repeat a prompt exactly", name, dup_share * 100);
			rec_action(r, "enable_response_cache", "Serve repeated identical prompts of %s from a response cache"
				   " (the aicost gateway's cache, or the app's)", name);
			rec_param_str(r, "model", "%s", g->model);
			rec_param_str(r, "provider", "%s", g->provider);
			common_ev(r, g);
			rec_ev_int(r, "requests_with_prompt_hash", (int64_t)s->hashed);
			rec_ev_int(r, "duplicate_requests", (int64_t)s->dup_requests);
			rec_ev_num(r, "duplicate_share", dup_share);
			rec_ev_money(r, "cost_in_period", total);
			rec_ev_money(r, "duplicate_cost_in_period", dup_cost);
			rec_ev_str(r, "duplicate_rule", "same prompt_sha256, same group, same UTC day, one log file");
			rec_ev_str(r, "savings_formula", "duplicate_cost_in_period x 30 / period_days");
		}

		/* llm-batch: a non-interactive group. */
		char inter[16], hint[16];
		tag_value(g->tags, "interactive", inter, sizeof inter);
		tag_value(g->tags, "batch_eligible", hint, sizeof hint);
		double stream_share = s->requests ? (double)s->streamed / (double)s->requests : 1;
		double user_share = s->requests ? (double)s->with_user / (double)s->requests : 1;
		int known = s->stream_known * 10 >= s->requests * 9;
		int eligible = strcasecmp(inter, "true") && batch_provider(g->provider) &&
			       (!strcasecmp(inter, "false") || !strcasecmp(hint, "true") ||
				(known && stream_share <= set->batch_max_stream_share && user_share <= set->batch_max_user_share));
		if (eligible) {
			uint64_t rest[LLM_STAT_DIRS];
			money_t std = 0, bat = 0;
			for (int d = 0; d < LLM_STAT_DIRS; d++)
				rest[d] = tok[d] - s->dup_tok[d];
			uint64_t nreq = s->requests - s->dup_requests;
			if (cost_of(m, rest, nreq, LT_STANDARD, &std) < 0 || cost_of(m, rest, nreq, LT_BATCH, &bat) < 0)
				goto out;
			if (std > bat) {
				g->claimed = 1;
				struct recommendation *r = rec_add(c, RK_LLM_BATCH, g->model);
				group_scope(r, g);
				r->monthly_cost = rec_monthly(std, span);
				r->monthly_savings = rec_monthly(std - bat, span);
				r->confidence = !strcasecmp(inter, "false") || !strcasecmp(hint, "true") ? 0.85 : 0.7;
				int peak = 0;
				uint64_t in_peak = 0;
				for (int h = 0; h < 24; h++)
					if (s->hour[h] > s->hour[peak])
						peak = h;
				for (int h = 0; h < 6; h++)
					in_peak += s->hour[(peak + 24 - 2 + h) % 24];
				rec_title(r, "Send %s through the batch API: %s, no streaming, no end user", name,
					  stream_share <= set->batch_max_stream_share ? "non-interactive" : "marked batch-eligible");
				rec_action(r, "use_batch_api", "Submit the %s requests as batch jobs (about 24 h turnaround) at the"
					   " batch price", name);
				rec_param_str(r, "model", "%s", g->model);
				rec_param_str(r, "provider", "%s", g->provider);
				common_ev(r, g);
				rec_ev_num(r, "streamed_share", stream_share);
				rec_ev_num(r, "end_user_share", user_share);
				rec_ev_int(r, "busiest_hour_utc", peak);
				rec_ev_num(r, "share_in_busiest_6h", s->requests ? (double)in_peak / (double)s->requests : 0);
				rec_ev_money(r, "cost_in_period", std);
				rec_ev_money(r, "batch_cost_in_period", bat);
				rec_ev_str(r, "batch_price", "%s", m->have_batch ? "catalog batch prices" : "50% of standard");
				rec_ev_str(r, "savings_formula", "(cost - batch cost) of the non-duplicate tokens x 30 / period_days");
			}
		}
		if (g->claimed)
			continue;

		/* llm-route: short requests to a cheaper model. */
		double routed = 0;
		const char *to = route_target(set, g->model, m->name);
		const struct llm_model *tm = to ? prices_find(cat, to, g->provider) : NULL;
		if (tm && tm != m) {
			money_t cur = 0, alt = 0;
			uint64_t nshort = 0;
			for (size_t k = 0; k < g->ncells; k++) {
				const struct llm_stat_cell *x = &g->cells[k];
				if (llm_size_class_max(x->in_b) > set->route_max_prompt ||
				    llm_size_class_max(x->out_b) > set->route_max_output)
					continue;
				money_t a = 0, b = 0;
				if (cost_of(m, x->tok, x->n, LT_STANDARD, &a) < 0 || cost_of(tm, x->tok, x->n, LT_STANDARD, &b) < 0)
					goto out;
				cur += a;
				alt += b;
				nshort += x->n;
			}
			double share = (double)nshort / (double)s->requests;
			if (nshort && share >= set->route_min_share && cur > alt) {
				money_t save = rec_scale(cur - alt, keep);
				routed = share;
				struct recommendation *r = rec_add(c, RK_LLM_ROUTE, g->model);
				group_scope(r, g);
				r->monthly_cost = rec_monthly(rec_scale(cur, keep), span);
				r->monthly_savings = rec_monthly(save, span);
				r->confidence = 0.6;
				rec_title(r, "Route short requests of %s to %s: %.0f%% are under %llu prompt / %llu output tokens",
					  name, tm->name, share * 100, (unsigned long long)set->route_max_prompt,
					  (unsigned long long)set->route_max_output);
				rec_action(r, "route_model", "Send requests of %s with prompts up to %llu tokens and answers up to"
					   " %llu tokens to %s (check quality on a sample first)", name,
					   (unsigned long long)set->route_max_prompt, (unsigned long long)set->route_max_output,
					   tm->name);
				rec_param_str(r, "from_model", "%s", g->model);
				rec_param_str(r, "to_model", "%s", tm->name);
				rec_param_int(r, "max_prompt_tokens", (int64_t)set->route_max_prompt);
				rec_param_int(r, "max_output_tokens", (int64_t)set->route_max_output);
				common_ev(r, g);
				rec_ev_int(r, "short_requests", (int64_t)nshort);
				rec_ev_num(r, "short_share", share);
				rec_ev_str(r, "target_model", "%s", tm->name);
				rec_ev_money(r, "short_cost_in_period", cur);
				rec_ev_money(r, "short_cost_at_target", alt);
				rec_ev_num(r, "non_duplicate_share", keep);
				rec_ev_str(r, "guards", "prompt <= %llu and output <= %llu tokens (size classes rounded down)",
					   (unsigned long long)set->route_max_prompt, (unsigned long long)set->route_max_output);
				rec_ev_str(r, "savings_formula",
					   "(short cost - short cost at target) x non_duplicate_share x 30 / period_days");
			}
		}

		/* prompt-caching: long repeated prefixes not read from a cache. */
		double rep_share = (double)s->prefix_repeat / (double)s->requests;
		if (s->prefix_repeat && rep_share >= set->prompt_cache_min_share) {
			uint64_t a[LLM_STAT_DIRS] = { 0 }, b[LLM_STAT_DIRS] = { 0 };
			money_t as_input = 0, as_read = 0, first_input = 0, first_write = 0;
			a[LD_INPUT] = s->prefix_repeat_tokens;
			b[LD_CACHE_READ] = s->prefix_repeat_tokens;
			if (cost_of(m, a, s->prefix_repeat, LT_STANDARD, &as_input) < 0 ||
			    cost_of(m, b, s->prefix_repeat, LT_STANDARD, &as_read) < 0)
				goto out;
			memset(a, 0, sizeof a);
			memset(b, 0, sizeof b);
			a[LD_INPUT] = s->prefix_first_tokens;
			b[LD_CACHE_WRITE] = s->prefix_first_tokens;
			if (cost_of(m, a, 1, LT_STANDARD, &first_input) < 0 || cost_of(m, b, 1, LT_STANDARD, &first_write) < 0)
				goto out;
			money_t save = (as_input - as_read) - (first_write - first_input);
			/* Guards wide enough to route long prompts too: the routed share is not cached here. */
			if (set->route_max_prompt >= LLM_CACHE_MIN_TOKENS)
				save = rec_scale(save, 1 - routed);
			save = rec_scale(save, keep);
			if (save > 0) {
				struct recommendation *r = rec_add(c, RK_PROMPT_CACHING, g->model);
				group_scope(r, g);
				r->monthly_cost = rec_monthly(rec_scale(as_input, keep), span);
				r->monthly_savings = rec_monthly(save, span);
				r->confidence = 0.75;
				rec_title(r, "Enable prompt caching for %s: %.0f%% of requests repeat a long prefix uncached",
					  name, rep_share * 100);
				rec_action(r, "enable_prompt_caching", "Put the stable prefix of %s first and mark it cacheable"
					   " (cache_control / automatic prefix caching)", name);
				rec_param_str(r, "model", "%s", g->model);
				rec_param_str(r, "provider", "%s", g->provider);
				common_ev(r, g);
				rec_ev_int(r, "requests_with_prefix", (int64_t)s->prefixed);
				rec_ev_int(r, "repeated_prefix_requests", (int64_t)s->prefix_repeat);
				rec_ev_num(r, "repeat_share", rep_share);
				rec_ev_int(r, "repeated_prefix_tokens", (int64_t)s->prefix_repeat_tokens);
				rec_ev_int(r, "first_prefix_tokens", (int64_t)s->prefix_first_tokens);
				rec_ev_money(r, "prefix_cost_as_input", as_input);
				rec_ev_money(r, "prefix_cost_as_cache_read", as_read);
				rec_ev_money(r, "cache_write_premium", first_write - first_input);
				rec_ev_num(r, "non_duplicate_share", keep);
				rec_ev_str(r, "savings_formula", "((input - cache read) of repeated prefixes - cache write premium)"
								 " x non_duplicate_share x 30 / period_days");
			}
		}
	}
	if (unpriced)
		rec_note(c, "%d LLM request group%s of models not in the price catalog were not evaluated", unpriced,
			 unpriced == 1 ? "" : "s");
	rc = 0;
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.g[i].provider);
		free(l.g[i].model);
		free(l.g[i].sub);
		free(l.g[i].tags);
		free(l.g[i].cells);
	}
	free(l.g);
	dict_release(&l.ids);
	prices_free(cat);
	return rc;
}
