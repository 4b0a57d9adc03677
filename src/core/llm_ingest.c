/*
 * llm_ingest.c - LLM usage records -> priced FOCUS-shaped rows -> the
 * ledger; see llm_ingest.h and docs/llm.md.
 *
 * Chapters: reading the file, provider names, the reconciliation guard,
 * the row producer (one row per token direction, plus a Requests row),
 * and the per-file entry point. The producer owns the scratch texts its
 * rows point to; they are valid until its next call.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "core/llm_ingest.h"
#include "core/llm_stats.h"
#include "core/prices.h"
#include "formats/focus.h"
#include "formats/focus_reader.h"
#include "formats/input.h"
#include "formats/llm_usage.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

/* ---- provider names ----------------------------------------------------------- */

static const struct {
	const char *id, *display, *service;
} providers[] = {
	{ "openai", "OpenAI", "OpenAI API" },
	{ "anthropic", "Anthropic", "Claude API" },
	{ "azure", "Microsoft", "Azure OpenAI" },
	{ "azure_ai", "Microsoft", "Azure AI Foundry" },
	{ "bedrock", "AWS", "Amazon Bedrock" },
	{ "bedrock_converse", "AWS", "Amazon Bedrock" },
	{ "gemini", "Google", "Gemini API" },
	{ "vertex_ai", "Google", "Vertex AI" },
	{ "mistral", "Mistral AI", "Mistral API" },
	{ "cohere", "Cohere", "Cohere API" },
	{ "groq", "Groq", "GroqCloud" },
	{ "xai", "xAI", "xAI API" },
	{ "deepseek", "DeepSeek", "DeepSeek API" },
	{ "together_ai", "Together AI", "Together API" },
};

static int provider_index(const char *p)
{
	for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
		if (!strcasecmp(p, providers[i].id))
			return (int)i;
	return -1;
}

const char *llm_provider_display(const char *p)
{
	int i = p ? provider_index(p) : -1;
	return i >= 0 ? providers[i].display : p ? p : "unknown";
}

static void service_name(const char *p, char *out, size_t n)
{
	int i = provider_index(p);
	if (i >= 0)
		snprintf(out, n, "%s", providers[i].service);
	else
		snprintf(out, n, "%s API", p);
}

/* ---- reading ------------------------------------------------------------------- */

/* ---- the reconciliation guard --------------------------------------------------------- */

/* Value of key column `col` in a stored line (NUL-terminated into out; "" for null). */
static void line_val(const char *v, size_t n, int col, char *out, size_t cap)
{
	size_t i = 0, k = 0;
	out[0] = 0;
	for (int c = 0; c < FC__COUNT; c++) {
		if (focus_columns[c].role != FR_KEY)
			continue;
		if (i >= n)
			return;
		int want = c == col;
		if ((unsigned char)v[i] == 0x1e && i + 1 < n && v[i + 1] == STORE_SEP) {
			i += 2;
			if (want)
				return;
			continue;
		}
		while (i < n && v[i] != STORE_SEP) {
			if ((unsigned char)v[i] == 0x1d && i + 1 < n)
				i++;
			if (want && k + 1 < cap)
				out[k++] = v[i];
			i++;
		}
		i++;
		if (want) {
			out[k] = 0;
			return;
		}
	}
}

struct guard {
	struct store *st;
	const char *const *prov;      /* display names of the file's providers */
	size_t nprov;
	int32_t from, to;
	int found;
	int64_t source;
	int32_t day;
	char prov_hit[64];
};

static int guard_line(void *arg, uint32_t id, uint32_t tagset, const char *vals, size_t n)
{
	struct guard *g = arg;
	char prov[64], unit[64], sub[64];
	(void)tagset;
	line_val(vals, n, FC_SERVICE_PROVIDER_NAME, prov, sizeof prov);
	size_t k;
	for (k = 0; k < g->nprov && strcasecmp(prov, g->prov[k]); k++)
		;
	if (k == g->nprov)
		return 0;
	line_val(vals, n, FC_CONSUMED_UNIT, unit, sizeof unit);
	line_val(vals, n, FC_SERVICE_SUBCATEGORY, sub, sizeof sub);
	if (!strcasestr(unit, "token") && strcasecmp(sub, "Generative AI") != 0)
		return 0;
	int64_t src;
	int32_t day;
	int r = g->st->ops->line_billed(g->st, id, g->from, g->to, "focus", &src, &day);
	if (r < 0)
		return -1;
	if (r > 0 && (!g->found || day < g->day)) {
		g->found = 1;
		g->source = src;
		g->day = day;
		snprintf(g->prov_hit, sizeof g->prov_hit, "%s", prov);
	}
	return 0;
}

static int64_t floor_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

/* Providers and days a usage file covers: what the guard compares with FOCUS bills. */
struct span {
	char prov[16][64];           /* copies: a record's provider text dies with its batch */
	const char *ptr[16];
	size_t np;
	int64_t from, to;
};

static void span_add(struct span *sp, const struct llm_record *r)
{
	const char *d = llm_provider_display(r->provider);
	size_t k;
	for (k = 0; k < sp->np && strcmp(sp->prov[k], d); k++)
		;
	if (k == sp->np && sp->np < 16) {
		snprintf(sp->prov[sp->np], sizeof sp->prov[0], "%s", d);
		sp->ptr[sp->np] = sp->prov[sp->np];
		sp->np++;
	}
	int64_t day = floor_day(r->start);
	if (day < sp->from)
		sp->from = day;
	if (day > sp->to)
		sp->to = day;
}

static int guard_check(struct store *st, const struct span *sp, const char *name)
{
	if (!sp->np)
		return 0;
	struct guard g = { .st = st, .prov = sp->ptr, .nprov = sp->np, .from = (int32_t)sp->from, .to = (int32_t)sp->to };
	if (st->ops->line_scan(st, guard_line, &g) < 0)
		return -1;
	if (!g.found)
		return 0;
	char day[11];
	format_day(g.day, day);
	return error("%s: %s token charges for %s are already in the ledger from FOCUS source %" PRId64
		     " (see 'aicost sources'): loading this usage too would count them twice; nothing ingested. "
		     "Use --detail-only to record it at zero cost as allocation detail, or --allow-overlap",
		     name, g.prov_hit, day, g.source);
}

static int reconcile_guard(struct store *st, const struct llm_file *f, const char *name)
{
	struct span sp = { .from = INT64_MAX, .to = INT64_MIN };
	for (size_t i = 0; i < f->n; i++)
		span_add(&sp, &f->r[i]);
	return guard_check(st, &sp, name);
}

/* ---- the row producer ------------------------------------------------------------------- */

enum { X_LIST_UNIT, X_CONTRACTED_UNIT, X_ESTIMATED, X_UNPRICED, X_TIER, X__COUNT };
static const char *const extra_names[X__COUNT] = {
	"ListUnitPrice", "ContractedUnitPrice", "x_EstimatedCost", "x_Unpriced", "x_ServiceTier",
};
static const char *const tier_names[] = { "standard", "batch", "priority", "flex" };

struct prod {
	struct llm_file *f;
	const struct price_catalog *cat;
	const struct llm_ingest_opts *o;
	struct llm_ingest_result *res;
	const char *name;
	size_t nrej_done, rec;
	int dir;                         /* next direction of the current record; LD__COUNT = requests row */
	const struct llm_model *m;
	struct llm_cost cost;
	struct dict unpriced;            /* distinct unpriced model names */
	/* scratch the rows point into */
	char bp_start[21], bp_end[21], period[48], svc[96], model[256];
	char xbuf[X__COUNT][MONEY_BUFSZ];
	struct focus_text extra[X__COUNT];
	/*
	 * The texts of a row depend on few inputs, which consecutive records
	 * nearly always share (one model, one day): they are kept per token
	 * direction (LD__COUNT: the requests row) and rebuilt only when their
	 * inputs change. Formatting them for every row was most of the
	 * producer's CPU.
	 */
	int64_t day_done;                /* the day bp_start, bp_end and period were made for; INT64_MIN none */
	char svc_prov[64];               /* the provider svc was made for (svc_ok) */
	int svc_ok;
	struct row_texts {
		int valid, tier, longc;
		const struct llm_model *m;
		char model[256];
		char sku[320], skup[352], desc[400], spd[700];
		money_t list_unit, unit;     /* what xbuf-like texts below hold */
		char list_s[MONEY_BUFSZ], unit_s[MONEY_BUFSZ];
		int money_valid;
	} rt[LD__COUNT + 1];
	/* Request logs are streamed: a batch of lines at a time (flat memory). */
	int streaming;
	struct store *st;
	struct input *in;
	struct linebuf *lb;
	uint64_t line;
	int guard;                       /* run the reconciliation guard at the end */
	struct span span;
	struct llm_stats *stats;         /* request statistics (request logs only) */
};

/* ---- streaming request logs ---------------------------------------------------------- */

#define LINE_MAX_BYTES (16u << 20)
#define STREAM_BATCH 1024

struct linebuf {
	char *p;
	size_t n, off, cap;
	int eof;
};

/* Make sure [off, n) holds a whole line (or the rest of the input). 1 ok, 0 nothing left, -1 error. */
static int lb_fill(struct input *in, struct linebuf *b)
{
	for (;;) {
		if (b->off < b->n && memchr(b->p + b->off, '\n', b->n - b->off))
			return 1;
		if (b->eof)
			return b->off < b->n;
		if (b->off) {
			memmove(b->p, b->p + b->off, b->n - b->off);
			b->n -= b->off;
			b->off = 0;
		}
		if (b->n == b->cap) {
			if (b->cap >= LINE_MAX_BYTES)
				return 1;   /* an over-long line: the caller rejects it */
			b->cap = b->cap ? b->cap * 2 : 1 << 16;
			b->p = xrealloc(b->p, b->cap);
		}
		ssize_t r = input_read(in, b->p + b->n, b->cap - b->n);
		if (r < 0)
			return -1;
		if (r == 0)
			b->eof = 1;
		b->n += (size_t)r;
	}
}

static void free_records(struct llm_file *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->r[i].provider);
		free(f->r[i].model);
		free(f->r[i].sub_account);
		free(f->r[i].tags);
	}
	f->n = 0;
	f->nrej = 0;
}

/* Next batch of request-log lines into p->f. 1 something to emit, 0 end of input, -1 error. */
static int stream_batch(struct prod *p)
{
	struct llm_file *f = p->f;
	struct linebuf *b = p->lb;
	free_records(f);
	p->rec = p->nrej_done = 0;
	p->dir = -1;
	while (f->n + f->nrej < STREAM_BATCH) {
		int r = lb_fill(p->in, b);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		char *s = b->p + b->off, *nl = memchr(s, '\n', b->n - b->off);
		size_t len = nl ? (size_t)(nl - s) : b->n - b->off;
		p->line++;
		if (!nl && !b->eof) {
			/* LINE_MAX_BYTES without a newline: reject it and skip to the next one. */
			llm_reject_add(f, p->line, 1, "line longer than %u MiB", LINE_MAX_BYTES >> 20);
			for (;;) {
				b->off = b->n;
				if (lb_fill(p->in, b) <= 0)
					break;
				char *e = memchr(b->p + b->off, '\n', b->n - b->off);
				if (e) {
					b->off = (size_t)(e - b->p) + 1;
					break;
				}
			}
			continue;
		}
		b->off += len + (nl != NULL);
		if (p->line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
			s += 3, len -= 3;
		while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		size_t k = 0;
		while (k < len && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k == len)
			continue;
		size_t before = f->n;
		llm_parse_jsonl_line(s, len, p->line, f);
		for (size_t i = before; i < f->n; i++) {
			span_add(&p->span, &f->r[i]);
			llm_stats_add(p->stats, &f->r[i]);
		}
	}
	p->res->records += f->n;
	p->res->skipped = f->skipped;
	return f->n + f->nrej > 0;
}

static void text(struct focus_row *row, int col, const char *s)
{
	row->key[col].p = s;
	row->key[col].n = s ? (uint32_t)strlen(s) : 0;
}

/* JSON string body of s (escaped) appended at out+*k, bounded. */
static void json_esc(char *out, size_t cap, size_t *k, const char *s)
{
	for (; *s && *k + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[(*k)++] = '\\';
			out[(*k)++] = (char)c;
		} else if (c < 0x20) {
			*k += (size_t)snprintf(out + *k, cap - *k, "\\u%04x", c);
		} else {
			out[(*k)++] = (char)c;
		}
	}
	out[*k] = 0;
}

static void set_money_extra(struct prod *p, int x, money_t v)
{
	money_str(v, p->xbuf[x]);
	p->extra[x].p = p->xbuf[x];
	p->extra[x].n = (uint32_t)strlen(p->xbuf[x]);
}

/* Price record p->rec once, before its first row. */
static int start_record(struct prod *p)
{
	struct llm_record *r = &p->f->r[p->rec];
	p->m = r->model ? prices_find(p->cat, r->model, r->provider) : NULL;
	if (p->m) {
		if (prices_cost(p->m, &r->u, &p->cost) < 0)
			return -1;
	} else {
		const char *nm = r->model ? r->model : "(no model: export not grouped by model)";
		size_t n = strlen(nm);
		uint32_t dummy;
		memset(&p->cost, 0, sizeof p->cost);
		p->res->unpriced_records++;
		if (!dict_get(&p->unpriced, nm, n, hash_bytes(nm, n), &dummy)) {
			dict_put(&p->unpriced, nm, n, hash_bytes(nm, n), 0);
			if (p->res->nunpriced < LLM_UNPRICED_SHOWN)
				snprintf(p->res->unpriced[p->res->nunpriced], sizeof p->res->unpriced[0], "%s", nm);
			p->res->nunpriced++;
		}
	}
	for (int d = 0; d < LD__COUNT; d++) {
		p->res->tokens += r->u.tokens[d];
		if (!p->m)
			p->res->unpriced_tokens += r->u.tokens[d];
	}
	p->dir = 0;
	return 0;
}

static int prod_next(void *ctx, struct focus_row *row, struct focus_reject *rej, const char **period)
{
	struct prod *p = ctx;
again:
	if (p->nrej_done < p->f->nrej) {
		const struct llm_reject *j = &p->f->rej[p->nrej_done++];
		rej->line = j->line;
		rej->col = j->col;
		rej->column[0] = 0;
		snprintf(rej->why, sizeof rej->why, "%s", j->why);
		return 2;
	}
	for (;;) {
		if (p->rec >= p->f->n) {
			if (!p->streaming)
				return 0;
			int b = stream_batch(p);
			if (b < 0)
				return -1;
			if (b > 0)
				goto again;
			/* End of the log: the guard runs inside the transaction, so a refusal rolls it all back. */
			if (p->guard && guard_check(p->st, &p->span, p->name) < 0)
				return -1;
			return 0;
		}
		struct llm_record *r = &p->f->r[p->rec];
		if (p->dir < 0 && start_record(p) < 0)
			return -1;
		while (p->dir < LD__COUNT && !r->u.tokens[p->dir])
			p->dir++;
		if (p->dir < LD__COUNT || (p->dir == LD__COUNT && r->u.requests))
			break;
		p->rec++;
		p->dir = -1;
	}
	struct llm_record *r = &p->f->r[p->rec];
	int d = p->dir++;
	int is_req = d == LD__COUNT;
	const char *prov = r->provider;
	int priced = p->m != NULL;

	memset(row, 0, sizeof *row);
	row->line = r->line;
	row->start = r->start;
	row->end = r->end;
	row->extra = p->extra;
	/* Billing period: the calendar month of the charge. */
	int64_t day = floor_day(r->start);
	if (day != p->day_done) {
		int y, mo, dd;
		day_to_ymd(day, &y, &mo, &dd);
		focus_format_datetime(ymd_to_day(y, mo, 1) * 86400, p->bp_start);
		focus_format_datetime(ymd_to_day(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1) * 86400, p->bp_end);
		if (p->f->format == LF_JSONL)
			snprintf(p->period, sizeof p->period, "llm-log:%04d-%02d", y, mo);
		else
			snprintf(p->period, sizeof p->period, "llm-usage:%04d-%02d-%02d", y, mo, dd);
		p->day_done = day;
	}
	*period = p->period;
	if (!p->svc_ok || strcmp(p->svc_prov, prov)) {
		service_name(prov, p->svc, sizeof p->svc);
		snprintf(p->svc_prov, sizeof p->svc_prov, "%s", prov);
		p->svc_ok = !strcmp(p->svc_prov, prov);   /* too long to remember: made again next time */
	}
	const char *mname = r->model ? r->model : "unknown";
	size_t ml = strlen(mname);
	if (ml >= sizeof p->model)
		ml = sizeof p->model - 1;   /* as snprintf truncated it */
	memcpy(p->model, mname, ml);
	p->model[ml] = 0;
	const char *sku_model = priced ? p->m->name : p->model;
	/* The texts of this direction, made again only when what they say changed. */
	struct row_texts *t = &p->rt[d];
	int fresh = t->valid && t->m == p->m && t->tier == (int)r->u.tier && t->longc == p->cost.long_context &&
		    !strcmp(t->model, p->model);
	if (!fresh) {
		t->valid = 1;
		t->m = p->m;
		t->tier = (int)r->u.tier;
		t->longc = p->cost.long_context;
		memcpy(t->model, p->model, ml + 1);
		t->money_valid = 0;
	}

	text(row, FC_BILLING_ACCOUNT_ID, p->o->account && *p->o->account ? p->o->account : NULL);
	text(row, FC_BILLING_CURRENCY, "USD");
	text(row, FC_BILLING_PERIOD_START, p->bp_start);
	text(row, FC_BILLING_PERIOD_END, p->bp_end);
	text(row, FC_CHARGE_CATEGORY, "Usage");
	text(row, FC_CHARGE_FREQUENCY, "Usage-Based");
	text(row, FC_SERVICE_PROVIDER_NAME, llm_provider_display(prov));
	text(row, FC_INVOICE_ISSUER_NAME, llm_provider_display(prov));
	text(row, FC_SERVICE_CATEGORY, "AI and Machine Learning");
	text(row, FC_SERVICE_SUBCATEGORY, "Generative AI");
	text(row, FC_SERVICE_NAME, p->svc);
	text(row, FC_RESOURCE_ID, p->model);
	text(row, FC_RESOURCE_NAME, sku_model);
	text(row, FC_RESOURCE_TYPE, "Model");
	text(row, FC_PRICING_CATEGORY, "Standard");
	text(row, FC_PRICING_CURRENCY, "USD");
	text(row, FC_SUB_ACCOUNT_ID, r->sub_account);
	text(row, FC_TAGS, r->tags);

	for (int x = 0; x < X__COUNT; x++)
		p->extra[x].p = NULL, p->extra[x].n = 0;
	if (is_req) {
		if (!fresh) {
			snprintf(t->sku, sizeof t->sku, "%s-requests", sku_model);
			snprintf(t->desc, sizeof t->desc, "%s requests", p->model);
		}
		text(row, FC_CONSUMED_UNIT, "Requests");
		text(row, FC_PRICING_UNIT, "Requests");
		text(row, FC_SKU_METER, "Requests");
		text(row, FC_SKU_ID, t->sku);
		text(row, FC_CHARGE_DESCRIPTION, t->desc);
		row->amt[FA_CONSUMED_QTY] = row->amt[FA_PRICING_QTY] = money_from_int((int64_t)r->u.requests);
		return 1;
	}
	money_t tokens = money_from_int((int64_t)r->u.tokens[d]);
	static const char *const action[LD__COUNT] = { "Uncached", "Read", "Write", "Write", NULL, NULL };
	if (!fresh) {
		size_t k = 0;
		k += (size_t)snprintf(t->spd, sizeof t->spd, "{\"ModelId\":\"");
		json_esc(t->spd, sizeof t->spd, &k, sku_model);
		k += (size_t)snprintf(t->spd + k, sizeof t->spd - k, "\",\"TokenDirection\":\"%s\"",
				      d >= LD_OUTPUT ? "Output" : "Input");
		if (action[d] && k < sizeof t->spd)
			k += (size_t)snprintf(t->spd + k, sizeof t->spd - k, ",\"TokenCacheAction\":\"%s\"", action[d]);
		if (d == LD_CACHE_WRITE_1H && k < sizeof t->spd)
			k += (size_t)snprintf(t->spd + k, sizeof t->spd - k, ",\"TokenCacheTtl\":\"1h\"");
		if (d == LD_REASONING && k < sizeof t->spd)
			k += (size_t)snprintf(t->spd + k, sizeof t->spd - k, ",\"TokenType\":\"Reasoning\"");
		if (k + 2 < sizeof t->spd)
			snprintf(t->spd + k, sizeof t->spd - k, "}");
		snprintf(t->sku, sizeof t->sku, "%s-%s", sku_model, llm_dir_name[d]);
		size_t sl = strlen(t->sku);   /* < sizeof t->skup */
		memcpy(t->skup, t->sku, sl);
		snprintf(t->skup + sl, sizeof t->skup - sl, "-%s%s", tier_names[r->u.tier], p->cost.long_context ? "-long" : "");
		snprintf(t->desc, sizeof t->desc, "%s %s tokens%s", p->model,
			 d == LD_INPUT ? "input" : d == LD_CACHE_READ ? "cache read input" : d == LD_OUTPUT ? "output"
			 : d == LD_REASONING ? "reasoning output" : d == LD_CACHE_WRITE ? "cache write input" : "cache write (1h) input",
			 priced ? "" : " (unpriced: model not in the price catalog)");
	}
	/*
	 * Detail-only rows repeat tokens a FOCUS bill already counts: a unit of
	 * their own keeps the built-in token metrics (ConsumedUnit=Tokens) from
	 * counting them twice.
	 */
	text(row, FC_CONSUMED_UNIT, p->o->detail_only ? "Tokens (allocation detail)" : "Tokens");
	text(row, FC_PRICING_UNIT, "1000000 Tokens");
	text(row, FC_SKU_METER, llm_dir_meter[d]);
	text(row, FC_SKU_ID, t->sku);
	text(row, FC_SKU_PRICE_ID, priced ? t->skup : NULL);
	text(row, FC_SKU_PRICE_DETAILS, t->spd);
	text(row, FC_CHARGE_DESCRIPTION, t->desc);
	row->amt[FA_CONSUMED_QTY] = tokens;
	row->amt[FA_PRICING_QTY] = tokens / 1000000;   /* exact: 10^-18 units, 10^6 tokens per pricing unit */
	p->extra[X_TIER].p = tier_names[r->u.tier];
	p->extra[X_TIER].n = (uint32_t)strlen(tier_names[r->u.tier]);
	if (!priced) {
		p->extra[X_UNPRICED].p = "true";
		p->extra[X_UNPRICED].n = 4;
		return 1;
	}
	money_t per_m, per_c;
	if (__builtin_mul_overflow(p->cost.list_unit[d], (money_t)1000000, &per_m))
		per_m = 0;
	if (__builtin_mul_overflow(p->cost.unit[d], (money_t)1000000, &per_c))
		per_c = 0;
	if (!t->money_valid || t->list_unit != per_m || t->unit != per_c) {
		money_str(per_m, t->list_s);
		money_str(per_c, t->unit_s);
		t->list_unit = per_m;
		t->unit = per_c;
		t->money_valid = 1;
	}
	p->extra[X_LIST_UNIT].p = t->list_s;
	p->extra[X_LIST_UNIT].n = (uint32_t)strlen(t->list_s);
	p->extra[X_CONTRACTED_UNIT].p = t->unit_s;
	p->extra[X_CONTRACTED_UNIT].n = (uint32_t)strlen(t->unit_s);
	if (p->o->detail_only) {
		set_money_extra(p, X_ESTIMATED, p->cost.cost[d]);
		return 1;
	}
	row->amt[FA_BILLED] = row->amt[FA_EFFECTIVE] = row->amt[FA_CONTRACTED] = p->cost.cost[d];
	row->amt[FA_LIST] = p->cost.list[d];
	return 1;
}

static char *prod_warnings(void *ctx)
{
	struct prod *p = ctx;
	json_t *o = json_object();
	if (p->res->unpriced_records) {
		json_t *names = json_array();
		for (unsigned i = 0; i < p->res->nunpriced && i < LLM_UNPRICED_SHOWN; i++)
			json_array_append_new(names, json_string(p->res->unpriced[i]));
		json_object_set_new(o, "unpriced_model",
				    json_pack("{s:s,s:I,s:I,s:I,s:o}", "what",
					      "model not in the price catalog: tokens kept, cost recorded as 0",
					      "count", (json_int_t)p->res->unpriced_records, "tokens",
					      (json_int_t)p->res->unpriced_tokens, "models", (json_int_t)p->res->nunpriced,
					      "examples", names));
	}
	if (p->o->detail_only)
		json_object_set_new(o, "detail_only",
				    json_pack("{s:s}", "what", "recorded at zero cost: billed through a FOCUS bill"));
	json_object_set_new(o, "llm_format", json_pack("{s:s}", "what", llm_format_name[p->f->format]));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int prod_finish(void *ctx, struct store *st, int64_t source_id)
{
	struct prod *p = ctx;
	return p->stats ? llm_stats_write(p->stats, st, source_id) : 0;
}

/* ---- the per-file entry point ---------------------------------------------------------- */

/* Is the first non-blank line of b (complete within it) one request-log record? */
static int looks_like_log(const struct linebuf *b)
{
	size_t i = 0;
	if (b->n >= 3 && !memcmp(b->p, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < b->n && (b->p[i] == ' ' || b->p[i] == '\t' || b->p[i] == '\r' || b->p[i] == '\n'))
		i++;
	const char *nl = memchr(b->p + i, '\n', b->n - i);
	if (!nl && !b->eof)
		return 0;
	size_t len = nl ? (size_t)(nl - (b->p + i)) : b->n - i;
	json_error_t je;
	json_t *o = json_loadb(b->p + i, len, 0, &je);
	int yes = o && llm_is_request_record(o);
	json_decref(o);
	return yes;
}

int ingest_llm_file(struct ingest_session *s, const struct price_catalog *cat, const struct llm_ingest_opts *o,
		    const char *path, struct llm_ingest_result *res)
{
	struct input *in = NULL;
	struct llm_file f;
	struct linebuf lb = { 0 };
	char sha[65];
	int rc = -1, parsed = 0;
	struct prod p;

	memset(res, 0, sizeof *res);
	memset(&p, 0, sizeof p);
	p.day_done = INT64_MIN;
	memset(&f, 0, sizeof f);
	if (ingest_precheck(s, path, &res->base) < 0)
		return -1;
	if (res->base.duplicate)
		return 0;
	in = input_open(path);
	if (!in)
		return -1;
	/* The first 64 KiB decide: a request log is streamed, usage pages are read whole. */
	lb.cap = 1 << 16;
	lb.p = xmalloc(lb.cap);
	while (lb.n < lb.cap && !lb.eof) {
		ssize_t r = input_read(in, lb.p + lb.n, lb.cap - lb.n);
		if (r < 0)
			goto out;
		lb.eof = r == 0;
		lb.n += (size_t)r;
	}
	p.f = &f;
	p.cat = cat;
	p.o = o;
	p.res = res;
	p.name = input_name(in);
	p.dir = -1;
	p.st = ingest_store(s);
	p.span.from = INT64_MAX;
	p.span.to = INT64_MIN;
	if (looks_like_log(&lb)) {
		p.streaming = 1;
		p.in = in;
		p.lb = &lb;
		p.guard = !o->detail_only && !o->allow_overlap;
		p.stats = llm_stats_new();
		f.format = LF_JSONL;
		parsed = 1;
	} else {
		/* Usage pages: the whole document (capped), then the same checks as before. */
		for (;;) {
			if (lb.n == lb.cap) {
				if (lb.cap >= LLM_MAX_FILE_BYTES) {
					error("%s: larger than %llu MiB: split the usage export", input_name(in),
					      LLM_MAX_FILE_BYTES >> 20);
					goto out;
				}
				lb.cap *= 2;
				lb.p = xrealloc(lb.p, lb.cap);
			}
			ssize_t r = input_read(in, lb.p + lb.n, lb.cap - lb.n);
			if (r < 0)
				goto out;
			if (r == 0)
				break;
			lb.n += (size_t)r;
		}
		input_sha256(in, sha);
		int64_t id;
		int found = ingest_store(s)->ops->source_find(ingest_store(s), sha, &id);
		if (found < 0)
			goto out;
		if (found) {
			res->base.duplicate = 1;
			res->base.source_id = id;
			snprintf(res->base.sha256, sizeof res->base.sha256, "%s", sha);
			rc = 0;
			goto out;
		}
		if (llm_parse(lb.p, lb.n, input_name(in), &f) < 0)
			goto out;
		parsed = 1;
		free(lb.p);
		lb.p = NULL;
		res->records = f.n;
		res->skipped = f.skipped;
		if (!o->detail_only && !o->allow_overlap && reconcile_guard(ingest_store(s), &f, input_name(in)) < 0)
			goto out;
	}
	res->format = llm_format_name[f.format];
	dict_init(&p.unpriced);
	struct ingest_producer prod = {
		.kind = "llm", .next = prod_next, .ctx = &p, .nextra = X__COUNT, .extra_name = extra_names,
		.restate = f.format != LF_JSONL, .warnings_json = prod_warnings, .sha256 = p.streaming ? NULL : sha,
		.finish = prod_finish,
	};
	rc = ingest_rows(s, path, in, &prod, &res->base);
	dict_release(&p.unpriced);
	if (rc == 0 && !res->base.duplicate && res->unpriced_records) {
		char list[LLM_UNPRICED_SHOWN * 100] = "";
		size_t k = 0;
		for (unsigned i = 0; i < res->nunpriced && i < LLM_UNPRICED_SHOWN && k < sizeof list; i++)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s'%s'", i ? ", " : "", res->unpriced[i]);
		warning("%s: %" PRIu64 " usage record%s (%" PRIu64 " tokens) of %u model%s not in the price catalog: %s%s; "
			"tokens kept, cost recorded as 0 (add prices.overrides or prices.catalog)",
			input_name(in), res->unpriced_records, res->unpriced_records == 1 ? "" : "s", res->unpriced_tokens,
			res->nunpriced, res->nunpriced == 1 ? "" : "s", list, res->nunpriced > LLM_UNPRICED_SHOWN ? ", ..." : "");
	}
out:
	if (parsed)
		llm_file_release(&f);
	llm_stats_free(p.stats);
	free(lb.p);
	input_close(in);
	return rc;
}
