/*
 * prices.c - the LLM price catalog; see prices.h.
 *
 * Chapters: exact number text (quoting number literals for jansson),
 * loading a model entry, name lookup, overrides, and the cost of a usage
 * record. The catalog owns everything; models live in one array, found
 * through two dictionaries (exact key, lower-cased key).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/config.h"
#include "core/prices.h"
#include "util/datadir.h"
#include "util/dict.h"
#include "util/err.h"

#define CATALOG_MAX_BYTES (256u << 20)
#define NAME_MAX_LEN 512

const char *const llm_dir_meter[LD__COUNT] = {
	"Input Tokens", "Cache Read Input Tokens", "Cache Write Input Tokens", "Cache Write Input Tokens",
	"Output Tokens", "Output Tokens",
};
const char *const llm_dir_name[LD__COUNT] = {
	"input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning",
};

struct price_catalog {
	struct llm_model *m;
	size_t n, cap;
	struct dict exact, lower;
};

/* ---- exact number text ---------------------------------------------------- */

/*
 * Copy JSON text, wrapping every number literal that is not inside a string
 * in quotes, so jansson keeps its characters. Line numbers are unchanged;
 * columns after a number shift by two per number (messages say so).
 */
static char *quote_numbers(const char *p, size_t n, size_t *out_n)
{
	char *o = xmalloc(n * 3 + 1);
	size_t k = 0;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_str) {
			o[k++] = c;
			if (c == '\\' && i + 1 < n)
				o[k++] = p[++i];
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			o[k++] = c;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			o[k++] = '"';
			while (i < n && (p[i] == '-' || p[i] == '+' || p[i] == '.' || p[i] == 'e' || p[i] == 'E' ||
					 (p[i] >= '0' && p[i] <= '9')))
				o[k++] = p[i++];
			o[k++] = '"';
			i--;
		} else {
			o[k++] = c;
		}
	}
	o[k] = 0;
	*out_n = k;
	return o;
}

/* ---- catalog entries --------------------------------------------------------- */

static const struct {
	const char *key;
	int dir;
	int list;   /* 0 standard, 1 batch, 2 priority, 3 flex, 4 above */
} fields[] = {
	{ "input_cost_per_token", LD_INPUT, 0 },
	{ "output_cost_per_token", LD_OUTPUT, 0 },
	{ "cache_read_input_token_cost", LD_CACHE_READ, 0 },
	{ "cache_creation_input_token_cost", LD_CACHE_WRITE, 0 },
	{ "cache_creation_input_token_cost_above_1hr", LD_CACHE_WRITE_1H, 0 },
	{ "output_cost_per_reasoning_token", LD_REASONING, 0 },
	{ "input_cost_per_token_batches", LD_INPUT, 1 },
	{ "output_cost_per_token_batches", LD_OUTPUT, 1 },
	{ "input_cost_per_token_priority", LD_INPUT, 2 },
	{ "output_cost_per_token_priority", LD_OUTPUT, 2 },
	{ "cache_read_input_token_cost_priority", LD_CACHE_READ, 2 },
	{ "input_cost_per_token_flex", LD_INPUT, 3 },
	{ "output_cost_per_token_flex", LD_OUTPUT, 3 },
	{ "cache_read_input_token_cost_flex", LD_CACHE_READ, 3 },
	{ "input_cost_per_token_above_128k_tokens", LD_INPUT, 4 },
	{ "output_cost_per_token_above_128k_tokens", LD_OUTPUT, 4 },
	{ "input_cost_per_token_above_200k_tokens", LD_INPUT, 4 },
	{ "output_cost_per_token_above_200k_tokens", LD_OUTPUT, 4 },
	{ "cache_read_input_token_cost_above_200k_tokens", LD_CACHE_READ, 4 },
	{ "cache_creation_input_token_cost_above_200k_tokens", LD_CACHE_WRITE, 4 },
};

static void set_price(struct llm_model *m, int f, money_t v, const char *key)
{
	int d = fields[f].dir;
	switch (fields[f].list) {
	case 0: m->price[d] = v; m->have |= 1u << d; break;
	case 1: m->batch[d] = v; m->have_batch |= 1u << d; break;
	case 2: m->priority[d] = v; m->have_priority |= 1u << d; break;
	case 3: m->flex[d] = v; m->have_flex |= 1u << d; break;
	default:
		m->above[d] = v;
		m->have_above |= 1u << d;
		if (strstr(key, "_128k_"))
			m->above_tokens = 128000;
		else if (!m->above_tokens)
			m->above_tokens = 200000;
		break;
	}
}

static int field_index(const char *key)
{
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		if (!strcmp(fields[f].key, key))
			return (int)f;
	return -1;
}

static void lower_copy(const char *s, char *out, size_t cap)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = 0;
}

static struct llm_model *model_add(struct price_catalog *c, const char *name)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->m = xrealloc(c->m, c->cap * sizeof *c->m);
	}
	struct llm_model *m = &c->m[c->n];
	memset(m, 0, sizeof *m);
	m->name = xstrdup(name);
	m->provider = xstrdup("");
	size_t len = strlen(name);
	dict_put(&c->exact, name, len, hash_bytes(name, len), (uint32_t)c->n);
	char low[NAME_MAX_LEN];
	uint32_t dummy;
	lower_copy(name, low, sizeof low);
	size_t ll = strlen(low);
	if (!dict_get(&c->lower, low, ll, hash_bytes(low, ll), &dummy))
		dict_put(&c->lower, low, ll, hash_bytes(low, ll), (uint32_t)c->n);
	c->n++;
	return m;
}

static struct llm_model *model_get(struct price_catalog *c, const char *name)
{
	uint32_t id;
	size_t len = strlen(name);
	if (dict_get(&c->exact, name, len, hash_bytes(name, len), &id))
		return &c->m[id];
	return NULL;
}

static struct price_catalog *catalog_new(void)
{
	struct price_catalog *c = xcalloc(1, sizeof *c);
	dict_init(&c->exact);
	dict_init(&c->lower);
	return c;
}

void prices_free(struct price_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->m[i].name);
		free(c->m[i].provider);
	}
	free(c->m);
	dict_release(&c->exact);
	dict_release(&c->lower);
	free(c);
}

size_t prices_count(const struct price_catalog *c)
{
	return c ? c->n : 0;
}

struct price_catalog *prices_load_mem(const char *buf, size_t n, const char *name)
{
	size_t qn;
	json_error_t je;
	if (n > CATALOG_MAX_BYTES) {
		error("%s: price catalog larger than %u MiB", name, CATALOG_MAX_BYTES >> 20);
		return NULL;
	}
	char *q = quote_numbers(buf, n, &qn);
	/* The real catalog repeats some keys; like LiteLLM (Python), the last one wins. */
	json_t *root = json_loadb(q, qn, 0, &je);
	free(q);
	if (!root) {
		error("%s:%d:%d: not a price catalog: %s", name, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		error("%s:1:1: not a price catalog: the top level is not an object of models", name);
		return NULL;
	}
	struct price_catalog *c = catalog_new();
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		if (!json_is_object(v) || !strcmp(key, "sample_spec") || !*key || strlen(key) >= NAME_MAX_LEN)
			continue;
		struct llm_model tmp = { 0 };
		const char *fk;
		json_t *fv;
		int any = 0;
		json_object_foreach(v, fk, fv) {
			int f = field_index(fk);
			money_t p;
			if (f < 0 || !json_is_string(fv))
				continue;
			/* A price that is not a plain decimal (or a negative one) is not used. */
			if (money_parse(json_string_value(fv), json_string_length(fv), &p, NULL) < 0 || p < 0)
				continue;
			set_price(&tmp, f, p, fk);
			any |= fields[f].list == 0 && (fields[f].dir == LD_INPUT || fields[f].dir == LD_OUTPUT);
		}
		if (!any)
			continue;
		if (model_get(c, key))
			continue;
		/* The output cap bounds what one request can cost (the gateway reserves it without max_tokens). */
		json_t *mo = json_object_get(v, "max_output_tokens");
		if (!json_is_string(mo))
			mo = json_object_get(v, "max_tokens");
		if (json_is_string(mo)) {
			char *e;
			unsigned long long x = strtoull(json_string_value(mo), &e, 10);
			if (!*e && x < (1ull << 40))
				tmp.max_output_tokens = x;
		}
		struct llm_model *m = model_add(c, key);
		char *nm = m->name, *pv = m->provider;
		*m = tmp;
		m->name = nm;
		json_t *prov = json_object_get(v, "litellm_provider");
		if (json_is_string(prov)) {
			free(pv);
			m->provider = xstrdup(json_string_value(prov));
		} else {
			m->provider = pv;
		}
	}
	json_decref(root);
	return c;
}

struct price_catalog *prices_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		error("%s: cannot open the price catalog: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 65536 > cap) {
			cap = (n + 65536) * 2;
			buf = xrealloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n > CATALOG_MAX_BYTES)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		error("%s: read error", path);
		return NULL;
	}
	struct price_catalog *c = prices_load_mem(buf, n, path);
	free(buf);
	return c;
}

/* ---- overrides ----------------------------------------------------------------- */

int prices_apply_overrides(struct price_catalog *c, const struct cfg_node *ov, const char *file)
{
	if (!ov || ov->type == CN_NULL)
		return 0;
	if (ov->type != CN_MAP)
		return error("%s:%d:%d: prices.overrides: expected a map of model -> prices", file, ov->line, ov->col);
	for (size_t i = 0; i < ov->n; i++) {
		const struct cfg_node *k = &ov->items[2 * i], *v = &ov->items[2 * i + 1];
		if (k->type != CN_SCALAR || !k->str[0] || k->len >= NAME_MAX_LEN)
			return error("%s:%d:%d: prices.overrides: a model name is required", file, k->line, k->col);
		if (v->type != CN_MAP)
			return error("%s:%d:%d: prices.overrides.%s: expected a map of LiteLLM price keys "
				     "(input_cost_per_token: 2.5e-06, ...)", file, v->line, v->col, k->str);
		struct llm_model *m = model_get(c, k->str);
		struct llm_model tmp = m ? *m : (struct llm_model){ 0 };
		for (size_t j = 0; j < v->n; j++) {
			const struct cfg_node *fk = &v->items[2 * j], *fv = &v->items[2 * j + 1];
			money_t p;
			int f = fk->type == CN_SCALAR ? field_index(fk->str) : -1;
			if (f < 0) {
				if (fk->type == CN_SCALAR && !strcmp(fk->str, "litellm_provider"))
					continue;
				if (fk->type == CN_SCALAR && !strcmp(fk->str, "max_output_tokens")) {
					char *e = NULL;
					unsigned long long x = fv->type == CN_SCALAR ? strtoull(fv->str, &e, 10) : 0;
					if (!e || e == fv->str || *e || x >= (1ull << 40))
						return error("%s:%d:%d: prices.overrides.%s.max_output_tokens: '%s' is not a token count",
							     file, fv->line, fv->col, k->str, fv->type == CN_SCALAR ? fv->str : "?");
					tmp.max_output_tokens = x;
					continue;
				}
				return error("%s:%d:%d: prices.overrides.%s: '%s' is not a price key (input_cost_per_token, "
					     "output_cost_per_token, cache_read_input_token_cost, ...)", file, fk->line, fk->col,
					     k->str, fk->type == CN_SCALAR ? fk->str : "?");
			}
			if (fv->type != CN_SCALAR || money_parse(fv->str, fv->len, &p, NULL) < 0 || p < 0)
				return error("%s:%d:%d: prices.overrides.%s.%s: '%s' is not a non-negative decimal", file,
					     fv->line, fv->col, k->str, fk->str, fv->type == CN_SCALAR ? fv->str : "?");
			set_price(&tmp, f, p, fk->str);
		}
		if (!m)
			m = model_add(c, k->str);
		char *nm = m->name, *pv = m->provider;
		*m = tmp;
		m->name = nm;
		m->provider = pv;
		const struct cfg_node *prov = cfg_node_get(v, "litellm_provider");
		if (prov && prov->type == CN_SCALAR) {
			free(m->provider);
			m->provider = xstrdup(prov->str);
		}
	}
	return 0;
}

struct price_catalog *prices_open(const struct config *cfg)
{
	char path[4096];
	const char *p = cfg ? cfg->prices_catalog : NULL;
	if (!p) {
		if (datadir_path("prices/model_prices_and_context_window.json", path, sizeof path) < 0)
			return NULL;
		p = path;
	}
	struct price_catalog *c = prices_load(p);
	if (!c || !cfg)
		return c;
	const struct cfg_node *ov = cfg_node_get(cfg_node_get(&cfg->root, "prices"), "overrides");
	if (prices_apply_overrides(c, ov, cfg->path) < 0) {
		prices_free(c);
		return NULL;
	}
	return c;
}

/* ---- lookup -------------------------------------------------------------------- */

static const struct llm_model *find1(const struct price_catalog *c, const char *name)
{
	uint32_t id;
	size_t n = strlen(name);
	if (!n)
		return NULL;
	if (dict_get(&c->exact, name, n, hash_bytes(name, n), &id))
		return &c->m[id];
	char low[NAME_MAX_LEN];
	lower_copy(name, low, sizeof low);
	if (dict_get(&c->lower, low, n, hash_bytes(low, n), &id))
		return &c->m[id];
	return NULL;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* Strip one date/version suffix in place; 1 if something was stripped. */
static int strip_suffix(char *s)
{
	size_t n = strlen(s);
	/* -v1:0, -v2:0 (Bedrock) */
	char *v = strrchr(s, '-');
	if (v && v[1] == 'v' && strchr(v, ':')) {
		*v = 0;
		return 1;
	}
	if (n > 7 && !strcmp(s + n - 7, "-latest")) {
		s[n - 7] = 0;
		return 1;
	}
	/* -2024-08-06 */
	if (n > 11 && s[n - 11] == '-' && s[n - 6] == '-' && s[n - 3] == '-' && all_digits(s + n - 10, 4) &&
	    all_digits(s + n - 5, 2) && all_digits(s + n - 2, 2)) {
		s[n - 11] = 0;
		return 1;
	}
	/* -20250929, @20250929, -0613 / -1106 style (OpenAI MMDD) */
	if (n > 9 && (s[n - 9] == '-' || s[n - 9] == '@') && all_digits(s + n - 8, 8)) {
		s[n - 9] = 0;
		return 1;
	}
	if (n > 5 && s[n - 5] == '-' && all_digits(s + n - 4, 4)) {
		s[n - 5] = 0;
		return 1;
	}
	return 0;
}

/* The name, then without suffixes one at a time. */
static const struct llm_model *find_stripped(const struct price_catalog *c, const char *name)
{
	char buf[NAME_MAX_LEN];
	const struct llm_model *m = find1(c, name);
	if (m)
		return m;
	snprintf(buf, sizeof buf, "%s", name);
	while (strip_suffix(buf))
		if ((m = find1(c, buf)))
			return m;
	return NULL;
}

const struct llm_model *prices_find(const struct price_catalog *c, const char *model, const char *provider)
{
	char buf[NAME_MAX_LEN], name[NAME_MAX_LEN];
	const struct llm_model *m;
	if (!c || !model)
		return NULL;
	/* Trim blanks. */
	while (*model == ' ' || *model == '\t')
		model++;
	snprintf(name, sizeof name, "%s", model);
	for (size_t n = strlen(name); n && (name[n - 1] == ' ' || name[n - 1] == '\t'); n--)
		name[n - 1] = 0;
	if (!name[0] || strlen(model) >= NAME_MAX_LEN)
		return NULL;
	if (provider && *provider && !strchr(name, '/')) {
		char prov[64];
		lower_copy(provider, prov, sizeof prov);
		snprintf(buf, sizeof buf, "%s/%s", prov, name);
		if ((m = find1(c, buf)))
			return m;
	}
	if ((m = find_stripped(c, name)))
		return m;
	/* Fine-tuned: ft:BASE:org:name:id */
	if (!strncmp(name, "ft:", 3)) {
		snprintf(buf, sizeof buf, "%s", name);
		char *colon = strchr(buf + 3, ':');
		if (colon)
			*colon = 0;
		if ((m = find1(c, buf)) || (m = find_stripped(c, buf + 3)))
			return m;
	}
	/* provider/model, region.provider.model (Bedrock): try what follows each separator. */
	for (const char *p = name; (p = strchr(p, '/')); ) {
		p++;
		if ((m = find_stripped(c, p)))
			return m;
	}
	return NULL;
}

/* ---- cost ------------------------------------------------------------------------ */

static int have(unsigned mask, int d)
{
	return (mask >> d) & 1u;
}

/* The standard price of direction d, after the documented fallbacks. */
static money_t base_price(const struct llm_model *m, int d, int lc)
{
	const money_t *p = m->price;
	unsigned h = m->have;
	if (lc && have(m->have_above, d))
		return m->above[d];
	switch (d) {
	case LD_INPUT:
	case LD_OUTPUT:
		return have(h, d) ? p[d] : 0;
	case LD_CACHE_READ:
	case LD_CACHE_WRITE:
		return have(h, d) ? p[d] : base_price(m, LD_INPUT, lc);
	case LD_CACHE_WRITE_1H:
		return have(h, d) ? p[d] : 2 * base_price(m, LD_INPUT, lc);
	default: /* LD_REASONING */
		return have(h, d) ? p[d] : base_price(m, LD_OUTPUT, lc);
	}
}

static money_t tier_price(const struct llm_model *m, int d, enum llm_tier t, int lc)
{
	money_t b = base_price(m, d, lc);
	switch (t) {
	case LT_BATCH:
		if (!lc && have(m->have_batch, d))
			return m->batch[d];
		if (!lc && d == LD_REASONING && have(m->have_batch, LD_OUTPUT) && !have(m->have, LD_REASONING))
			return m->batch[LD_OUTPUT];
		return b / 2; /* prices have at most 18 decimals; half of one is exact except the last unit */
	case LT_PRIORITY:
		return !lc && have(m->have_priority, d) ? m->priority[d] : b;
	case LT_FLEX:
		return !lc && have(m->have_flex, d) ? m->flex[d] : b;
	default:
		return b;
	}
}

int prices_cost(const struct llm_model *m, const struct llm_usage *u, struct llm_cost *out)
{
	memset(out, 0, sizeof *out);
	int lc = u->long_context;
	if (lc < 0) {
		unsigned __int128 prompt = (unsigned __int128)u->tokens[LD_INPUT] + u->tokens[LD_CACHE_READ] +
					   u->tokens[LD_CACHE_WRITE] + u->tokens[LD_CACHE_WRITE_1H];
		uint64_t req = u->requests ? u->requests : 1;
		lc = m->above_tokens && m->have_above && prompt > (unsigned __int128)m->above_tokens * req;
	}
	out->long_context = lc && m->have_above;
	for (int d = 0; d < LD__COUNT; d++) {
		money_t t = (money_t)u->tokens[d];
		out->unit[d] = tier_price(m, d, u->tier, out->long_context);
		out->list_unit[d] = base_price(m, d, out->long_context);
		if (__builtin_mul_overflow(out->unit[d], t, &out->cost[d]) ||
		    __builtin_mul_overflow(out->list_unit[d], t, &out->list[d]) ||
		    money_add(&out->total, out->cost[d]) < 0 || money_add(&out->list_total, out->list[d]) < 0)
			return error("%s: cost overflows", m->name);
	}
	return 0;
}
