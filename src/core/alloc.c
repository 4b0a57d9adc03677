/*
 * alloc.c - the allocation engine; see alloc.h and docs/allocation.md.
 *
 * Chapters: globs, normalization, interning, compiling the config, the
 * workload heuristics (a table), evaluation.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/alloc.h"
#include "core/tags.h"
#include "util/err.h"

const char *const workload_names[WL__COUNT] = { "training", "inference", "notebook", "data", "other" };

static inline unsigned char lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ==== globs ===================================================================
 * Case-insensitive, because tags and account names are typed by people.
 * The shapes rules actually use (exact, prefix*, *suffix, *infix*) are
 * matched with plain compares; anything else goes to fnmatch(FNM_CASEFOLD).
 */

void alloc_glob_compile(struct alloc_glob *g, const char *pat)
{
	size_t n = strlen(pat), stars = 0, other = 0;
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == '*')
			stars++;
		else if (pat[i] == '?' || pat[i] == '[' || pat[i] == '\\')
			other++;
	}
	memset(g, 0, sizeof *g);
	if (n == 0) {
		g->kind = GLOB_EMPTY;
	} else if (stars == n) {
		g->kind = GLOB_ANY;
	} else if (other) {
		g->kind = GLOB_FNMATCH;
	} else if (stars == 0) {
		g->kind = GLOB_EXACT;
	} else if (stars == 1 && pat[n - 1] == '*') {
		g->kind = GLOB_PREFIX;
	} else if (stars == 1 && pat[0] == '*') {
		g->kind = GLOB_SUFFIX;
	} else if (stars == 2 && pat[0] == '*' && pat[n - 1] == '*' && n > 2) {
		g->kind = GLOB_CONTAINS;
	} else {
		g->kind = GLOB_STARS;   /* only '*': literal pieces in order, no fnmatch backtracking */
	}
	if (g->kind == GLOB_FNMATCH) {
		g->pat = xstrdup(pat);
		g->len = n;
		return;
	}
	if (g->kind == GLOB_STARS) {
		g->pat = xmalloc(n + 1);
		g->len = 0;
		for (size_t i = 0; i < n; i++)
			if (pat[i] != '*' || !g->len || g->pat[g->len - 1] != '*')
				g->pat[g->len++] = (char)lc((unsigned char)pat[i]);
		g->pat[g->len] = 0;
		return;
	}
	/* keep the literal part, lower-cased */
	const char *b = pat, *e = pat + n;
	while (b < e && *b == '*')
		b++;
	while (e > b && e[-1] == '*')
		e--;
	g->len = (size_t)(e - b);
	g->pat = xmalloc(g->len + 1);
	for (size_t i = 0; i < g->len; i++)
		g->pat[i] = (char)lc((unsigned char)b[i]);
	g->pat[g->len] = 0;
}

void alloc_glob_release(struct alloc_glob *g)
{
	free(g->pat);
	g->pat = NULL;
}

/* p is lower case already. */
static int eq_ci(const char *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)s[i]) != (unsigned char)p[i])
			return 0;
	return 1;
}

static int contains_ci(const char *s, size_t sn, const char *p, size_t pn)
{
	if (pn > sn)
		return 0;
	unsigned char c0 = (unsigned char)p[0];
	for (size_t i = 0; i + pn <= sn; i++)
		if (lc((unsigned char)s[i]) == c0 && eq_ci(s + i + 1, p + 1, pn - 1))
			return 1;
	return 0;
}

/*
 * A '*'-only glob on lower-cased s: the first piece anchors at the start
 * unless the pattern starts with '*', the last at the end unless it ends
 * with '*', and the middle pieces are found leftmost, which is exact for
 * '*'-only patterns.
 */
static int stars_match(const char *p, size_t pn, const char *s, size_t n)
{
	const char *pe = p + pn, *se = s + n;
	const char *q = memchr(p, '*', pn);   /* there is at least one */
	size_t first = (size_t)(q - p);
	if (first > n || memcmp(s, p, first))
		return 0;
	s += first;
	p = q + 1;
	/* the last piece, anchored at the end (empty if the pattern ends with '*') */
	const char *lastp = memrchr(p - 1, '*', (size_t)(pe - (p - 1)));
	size_t lastn = (size_t)(pe - lastp - 1);
	if (lastn > (size_t)(se - s) || memcmp(se - lastn, lastp + 1, lastn))
		return 0;
	se -= lastn;
	while (p < lastp + 1) {
		q = memchr(p, '*', (size_t)(pe - p));
		size_t pl = (size_t)(q - p);
		const char *hit = pl ? memmem(s, (size_t)(se - s), p, pl) : s;
		if (!hit)
			return 0;
		s = hit + pl;
		p = q + 1;
	}
	return 1;
}

int alloc_glob_match(const struct alloc_glob *g, const char *s)
{
	if (!s || !*s)
		return g->kind == GLOB_EMPTY;
	size_t n;
	switch (g->kind) {
	case GLOB_EMPTY:
		return 0;
	case GLOB_ANY:
		return 1;
	case GLOB_EXACT:
		n = strlen(s);
		return n == g->len && eq_ci(s, g->pat, n);
	case GLOB_PREFIX:
		return strncasecmp(s, g->pat, g->len) == 0;
	case GLOB_SUFFIX:
		n = strlen(s);
		return n >= g->len && eq_ci(s + n - g->len, g->pat, g->len);
	case GLOB_CONTAINS:
		return contains_ci(s, strlen(s), g->pat, g->len);
	case GLOB_STARS: {
		char stack[512], *lo = stack;
		n = strlen(s);
		if (n + 1 > sizeof stack)
			lo = xmalloc(n + 1);
		for (size_t i = 0; i < n; i++)
			lo[i] = (char)lc((unsigned char)s[i]);
		lo[n] = 0;
		int r = stars_match(g->pat, g->len, lo, n);
		if (lo != stack)
			free(lo);
		return r;
	}
	case GLOB_FNMATCH:
		return fnmatch(g->pat, s, FNM_CASEFOLD) == 0;
	}
	return 0;
}

/* ==== normalization ============================================================ */

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

size_t alloc_normalize(enum alloc_norm mode, const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return 0;
	if (mode == NORM_SLUG) {
		/*
		 * Bytes >= 0x80 (UTF-8) count as alphanumeric: "Équipe" keeps its
		 * letters instead of collapsing to "quipe".
		 */
		int dash = 0;
		for (size_t i = 0; i < n && o + 1 < cap; i++) {
			unsigned char c = (unsigned char)s[i];
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || (c >= 'A' && c <= 'Z')) {
				if (dash && o > 0 && o + 2 < cap)
					out[o++] = '-';
				dash = 0;
				out[o++] = (char)lc(c);
			} else {
				dash = 1;
			}
		}
		out[o] = 0;
		return o;
	}
	while (n && is_blank((unsigned char)s[0]))
		s++, n--;
	while (n && is_blank((unsigned char)s[n - 1]))
		n--;
	for (size_t i = 0; i < n && o + 1 < cap; i++)
		out[o++] = mode == NORM_LOWER ? (char)lc((unsigned char)s[i]) : s[i];
	out[o] = 0;
	return o;
}

/* ==== interning =================================================================
 * One table per dimension: normalized value -> the string handed out. An
 * alias is an entry whose `alias` points at its target's string, so a
 * lookup both interns and resolves aliases. Strings live in chunks freed
 * with the config.
 */

struct ient {
	uint64_t h;
	const char *s;
	size_t len;
	const char *alias;
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct alloc_intern {
	struct ient *tab;
	size_t cap, n;
	struct chunk *chunks;
};

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h ? h : 1;
}

static const char *chunk_dup(struct alloc_intern *it, const char *s, size_t n)
{
	struct chunk *c = it->chunks;
	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 16384 ? n + 1 : 16384;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->used = 0;
		c->next = it->chunks;
		it->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = 0;
	c->used += n + 1;
	return p;
}

static void intern_grow(struct alloc_intern *it)
{
	size_t ncap = it->cap ? it->cap * 2 : 64;
	struct ient *nt = xcalloc(ncap, sizeof *nt);
	for (size_t i = 0; i < it->cap; i++) {
		if (!it->tab[i].s)
			continue;
		size_t j = it->tab[i].h & (ncap - 1);
		while (nt[j].s)
			j = (j + 1) & (ncap - 1);
		nt[j] = it->tab[i];
	}
	free(it->tab);
	it->tab = nt;
	it->cap = ncap;
}

/* The entry for s, created if missing. Caller holds cfg->lock (or is loading). */
static struct ient *intern_entry(struct alloc_intern *it, const char *s, size_t n)
{
	if (2 * (it->n + 1) > it->cap)
		intern_grow(it);
	uint64_t h = hash_str(s, n);
	size_t j = h & (it->cap - 1);
	while (it->tab[j].s) {
		if (it->tab[j].h == h && it->tab[j].len == n && !memcmp(it->tab[j].s, s, n))
			return &it->tab[j];
		j = (j + 1) & (it->cap - 1);
	}
	it->tab[j].h = h;
	it->tab[j].s = chunk_dup(it, s, n);
	it->tab[j].len = n;
	it->tab[j].alias = NULL;
	it->n++;
	return &it->tab[j];
}

static const char *intern_locked(struct config *cfg, struct alloc_intern *it, const char *s, size_t n)
{
	pthread_mutex_lock(&cfg->lock);
	struct ient *e = intern_entry(it, s, n);
	const char *r = e->alias ? e->alias : e->s;
	pthread_mutex_unlock(&cfg->lock);
	return r;
}

static void intern_free(struct alloc_intern *it)
{
	if (!it)
		return;
	while (it->chunks) {
		struct chunk *c = it->chunks;
		it->chunks = c->next;
		free(c);
	}
	free(it->tab);
	free(it);
}

/*
 * Normalize s with d's mode and intern it (aliases resolved). Returns NULL
 * when nothing is left after normalization (an empty or all-blank value).
 */
static const char *norm_intern(const struct config *ccfg, const struct alloc_dim *d, const char *s, size_t n)
{
	char stack[512], *buf = stack;
	size_t cap = sizeof stack;
	if (n + 1 > cap) {
		/* values are short; the rare long one must not be truncated into another */
		cap = n + 1;
		buf = xmalloc(cap);
	}
	size_t len = alloc_normalize(d->normalize, s, n, buf, cap);
	/* the intern tables are the config's mutable cache; the lock guards them */
	const char *r = len ? intern_locked((struct config *)ccfg, d->intern, buf, len) : NULL;
	if (buf != stack)
		free(buf);
	return r;
}

/* ==== the workload heuristics ====================================================
 * A table, first match wins. Each rule has one or two conditions, ANDed; a
 * condition is a field (a group of FOCUS columns, any of which may match)
 * and '|'-separated case-insensitive globs. Tags are read first by
 * wl_tag_keys/wl_tag_values below. Add rules here and to docs/allocation.md.
 */

enum wl_field { WF_NONE, WF_SERVICE, WF_SUBCAT, WF_SKU, WF_RESOURCE, WF_UNIT, WF__COUNT };

static const enum focus_col_id wf_cols[WF__COUNT][4] = {
	[WF_SERVICE] = { FC_SERVICE_NAME },
	[WF_SUBCAT] = { FC_SERVICE_SUBCATEGORY },
	[WF_SKU] = { FC_SKU_METER, FC_SKU_ID, FC_CHARGE_DESCRIPTION, FC_RESOURCE_TYPE },
	[WF_RESOURCE] = { FC_RESOURCE_ID },
	[WF_UNIT] = { FC_CONSUMED_UNIT, FC_PRICING_UNIT },
};
static const int wf_ncols[WF__COUNT] = { 0, 1, 1, 4, 1, 2 };

/* Services where "host", "endpoint", "transform" in a SKU mean model serving. */
#define ML_SERVICES "*sagemaker*|*vertex*|*machine learning*|*ai platform*|*aiplatform*|*bedrock*|" \
	"*openai*|*databricks*|*cognitive services*|*ai services*|*ai foundry*"
/* Platforms whose `/jobs/` are training jobs. */
#define ML_TRAINING_PLATFORMS "*sagemaker*|*vertex*|*machine learning*|*ai platform*"
/* Data processing / warehouse services (ETL and pipelines feeding ML). */
#define DATA_SERVICES "*databricks*|amazon emr|emr|*elastic mapreduce*|*emr serverless*|*dataflow*|*dataproc*|" \
	"*glue*|*bigquery*|*data factory*|*synapse*|*athena*|*redshift*|*kinesis*|*snowflake*|" \
	"*data fusion*|*hdinsight*|*lake formation*|*dataprep*|*cloud composer*|*apache airflow*"

static const struct wl_rule {
	enum wl_field f1;
	const char *p1;
	enum wl_field f2;
	const char *p2;
	enum workload wl;
} wl_rules[] = {
	/* the strongest signal: the resource is a training job / endpoint / notebook */
	{ WF_RESOURCE, "*:training-job/*|*:hyper-parameter-tuning-job/*|*/customjobs/*|*/trainingpipelines/*|"
		       "*/hyperparametertuningjobs/*|*/nasjobs/*", 0, NULL, WL_TRAINING },
	{ WF_RESOURCE, "*:endpoint/*|*:inference-component/*|*:transform-job/*|*/onlineendpoints/*|"
		       "*/batchendpoints/*|*/batchpredictionjobs/*|*/deployedmodels/*", 0, NULL, WL_INFERENCE },
	{ WF_RESOURCE, "*:notebook-instance/*|*/notebookruntimes/*|*/notebookinstances/*", 0, NULL, WL_NOTEBOOK },
	{ WF_RESOURCE, "*:processing-job/*|*:feature-group/*|*:labeling-job/*|*/featurestores/*|*/featureonlinestores/*",
	  0, NULL, WL_DATA },
	{ WF_RESOURCE, "*/endpoints/*", WF_SERVICE, ML_SERVICES, WL_INFERENCE },
	{ WF_RESOURCE, "*aiplatform*/endpoints/*|*machinelearningservices*/endpoints/*", 0, NULL, WL_INFERENCE },
	{ WF_RESOURCE, "*/jobs/*", WF_SERVICE, DATA_SERVICES, WL_DATA },
	{ WF_RESOURCE, "*/jobs/*", WF_SERVICE, ML_TRAINING_PLATFORMS, WL_TRAINING },
	{ WF_RESOURCE, "*machinelearningservices*/jobs/*", 0, NULL, WL_TRAINING },
	{ WF_RESOURCE, "*:sagemaker:*:app/*", 0, NULL, WL_NOTEBOOK },

	/* SKU / meter / description wording; training first so "Training Tokens" is training */
	{ WF_SKU, "*training*|*train:*|*-train-*|*fine-tuning*|*fine tuning*|*finetuning*|*hyperparameter*",
	  0, NULL, WL_TRAINING },
	{ WF_SKU, "*inference*|*serving*|*tokens*|*prediction*", 0, NULL, WL_INFERENCE },
	{ WF_UNIT, "*token*", 0, NULL, WL_INFERENCE },
	{ WF_SKU, "*host*|*endpoint*|*transform*|*tsform*|*predict*|*deploy*", WF_SERVICE, ML_SERVICES, WL_INFERENCE },
	{ WF_SKU, "*notebook*|*notebk*|*jupyter*|*workbench*", 0, NULL, WL_NOTEBOOK },
	{ WF_SKU, "*studio*|*all purpose*|*all-purpose*|*all_purpose*|*interactive*", WF_SERVICE, ML_SERVICES,
	  WL_NOTEBOOK },
	{ WF_SKU, "*feature store*|*featurestore*|*feature-store*", 0, NULL, WL_DATA },
	{ WF_SKU, "*processing*|*data wrangler*|*labeling*|*ground truth*|*jobs*|*dlt*|*pipeline*",
	  WF_SERVICE, ML_SERVICES, WL_DATA },

	/* the service alone */
	{ WF_SUBCAT, "generative ai|natural language processing", 0, NULL, WL_INFERENCE },
	{ WF_SERVICE, "*bedrock*|*openai*|*anthropic*|*claude*|*gemini*|*cohere*|*mistral*|*cognitive services*|"
		      "*ai services*|*rekognition*|*comprehend*|*textract*|*translat*|*polly*|*transcribe*|"
		      "*speech*|*vision ai*|*document ai*|*natural language*", 0, NULL, WL_INFERENCE },
	{ WF_SERVICE, DATA_SERVICES, 0, NULL, WL_DATA },
};
#define WL_NRULES (sizeof wl_rules / sizeof wl_rules[0])

/* Tag keys (compared lower-cased without '-', '_', ' ') that state the workload. */
static const char *const wl_tag_keys[] = {
	"workload", "workloadtype", "jobtype", "job", "purpose", "mlworkload", "usage", "task", "mltask",
};

/* Their values, in this order. */
static const struct { const char *p; enum workload wl; } wl_tag_values[] = {
	{ "*train*|*fine*tun*|*finetun*|hpo|*hyperparam*|*pretrain*", WL_TRAINING },
	{ "*infer*|*serving*|serve|*endpoint*|*predict*|online|realtime|real-time|*batch-transform*", WL_INFERENCE },
	{ "*notebook*|*jupyter*|*studio*|*workbench*|interactive|*explor*|dev-env", WL_NOTEBOOK },
	{ "etl|*etl-*|*-etl|data|data-*|*-data|*pipeline*|*preprocess*|*data-prep*|*ingest*|*feature*|*warehouse*|"
	  "*label*|*annotat*", WL_DATA },
};
#define WL_NTAGVALS (sizeof wl_tag_values / sizeof wl_tag_values[0])

/* Tag keys that imply the workload whatever their value (Kubeflow, KServe, ...). */
static const struct { const char *p; enum workload wl; } wl_tag_keypats[] = {
	{ "*trainingjob*|*pytorchjob*|*tfjob*|*mpijob*|*training.kubeflow.org*", WL_TRAINING },
	{ "*inferenceservice*|*serving.kserve.io*|*servingruntime*", WL_INFERENCE },
	{ "*notebook.kubeflow.org*|notebookname", WL_NOTEBOOK },
};
#define WL_NKEYPATS (sizeof wl_tag_keypats / sizeof wl_tag_keypats[0])

struct globset {
	struct alloc_glob *g;
	size_t n;
};

/*
 * Speed: a line's classification is the first rule whose conditions hold.
 * Condition 2i is rule i's first, 2i+1 its second. Which conditions a
 * column value satisfies depends on that value alone, so it is computed
 * once per distinct (column, value) and cached as a bit mask; a line then
 * costs one cache probe per column and a scan over the rule bits.
 */
typedef unsigned __int128 wlmask;
_Static_assert(2 * WL_NRULES <= 128, "wl_rules: at most 64 rules fit the condition mask");

/* The columns the rules read, each once. */
static const enum focus_col_id wl_cols[] = {
	FC_SERVICE_NAME, FC_SERVICE_SUBCATEGORY, FC_SKU_METER, FC_SKU_ID, FC_CHARGE_DESCRIPTION,
	FC_RESOURCE_TYPE, FC_RESOURCE_ID, FC_CONSUMED_UNIT, FC_PRICING_UNIT,
};
#define WL_NCOLS (sizeof wl_cols / sizeof wl_cols[0])
/* Cached values, all columns together; past this, masks are computed uncached. */
#define WL_CACHE_MAX (1u << 18)

struct wl_cent {
	uint64_t h;
	const char *s;
	size_t len;
	unsigned col;
	wlmask mask;
};

struct wl_compiled {
	struct globset c1[WL_NRULES], c2[WL_NRULES];
	struct globset tagvals[WL_NTAGVALS];
	struct globset keypats[WL_NKEYPATS];
	wlmask colconds[WL_NCOLS];   /* conditions whose field reads the column */
	wlmask always;               /* the missing second conditions, always true */
	struct wl_cent *tab;         /* the cache, guarded by cfg->lock */
	size_t cap, n;
	struct alloc_intern strings; /* its keys' storage (only the chunks are used) */
};

static void globset_compile(struct globset *gs, const char *pats)
{
	gs->n = 0;
	gs->g = NULL;
	if (!pats)
		return;
	size_t cnt = 1;
	for (const char *p = pats; *p; p++)
		cnt += *p == '|';
	gs->g = xcalloc(cnt, sizeof *gs->g);
	const char *p = pats;
	for (;;) {
		const char *e = strchr(p, '|');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char tmp[128];
		snprintf(tmp, sizeof tmp, "%.*s", (int)n, p);
		alloc_glob_compile(&gs->g[gs->n++], tmp);
		if (!e)
			break;
		p = e + 1;
	}
}

static void globset_release(struct globset *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		alloc_glob_release(&gs->g[i]);
	free(gs->g);
}

static int globset_match(const struct globset *gs, const char *s)
{
	for (size_t i = 0; i < gs->n; i++)
		if (alloc_glob_match(&gs->g[i], s))
			return 1;
	return 0;
}

static struct wl_compiled *wl_compile(void)
{
	struct wl_compiled *w = xcalloc(1, sizeof *w);
	for (size_t i = 0; i < WL_NRULES; i++) {
		globset_compile(&w->c1[i], wl_rules[i].p1);
		globset_compile(&w->c2[i], wl_rules[i].p2);
	}
	for (size_t i = 0; i < WL_NTAGVALS; i++)
		globset_compile(&w->tagvals[i], wl_tag_values[i].p);
	for (size_t i = 0; i < WL_NKEYPATS; i++)
		globset_compile(&w->keypats[i], wl_tag_keypats[i].p);
	for (size_t i = 0; i < WL_NRULES; i++) {
		const struct wl_rule *r = &wl_rules[i];
		for (size_t c = 0; c < WL_NCOLS; c++)
			for (int k = 0; k < WF__COUNT; k++)
				for (int j = 0; j < wf_ncols[k]; j++) {
					if (wf_cols[k][j] != wl_cols[c])
						continue;
					if (r->f1 == (enum wl_field)k)
						w->colconds[c] |= (wlmask)1 << (2 * i);
					if (r->f2 == (enum wl_field)k)
						w->colconds[c] |= (wlmask)1 << (2 * i + 1);
				}
		if (r->f2 == WF_NONE)
			w->always |= (wlmask)1 << (2 * i + 1);
	}
	return w;
}

static void wl_free(struct wl_compiled *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < WL_NRULES; i++) {
		globset_release(&w->c1[i]);
		globset_release(&w->c2[i]);
	}
	for (size_t i = 0; i < WL_NTAGVALS; i++)
		globset_release(&w->tagvals[i]);
	for (size_t i = 0; i < WL_NKEYPATS; i++)
		globset_release(&w->keypats[i]);
	while (w->strings.chunks) {
		struct chunk *c = w->strings.chunks;
		w->strings.chunks = c->next;
		free(c);
	}
	free(w->tab);
	free(w);
}

/* A value's byte pairs, hashed into 4096 bits: most infix patterns are ruled out by two lookups. */
struct bigrams {
	uint64_t bits[64];
};

static inline unsigned bigram(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + b) & 4095u;
}

static int has_bigram(const struct bigrams *bg, unsigned char a, unsigned char b)
{
	unsigned h = bigram(a, b);
	return (bg->bits[h >> 6] >> (h & 63)) & 1;
}

/* alloc_glob_match on a value already lower-cased (lo, n bytes; orig for fnmatch). */
static int glob_match_lower(const struct alloc_glob *g, const char *lo, size_t n, const char *orig,
			    const struct bigrams *bg)
{
	switch (g->kind) {
	case GLOB_EMPTY:
		return n == 0;
	case GLOB_ANY:
		return n > 0;
	case GLOB_EXACT:
		return n == g->len && !memcmp(lo, g->pat, n);
	case GLOB_PREFIX:
		return n >= g->len && !memcmp(lo, g->pat, g->len);
	case GLOB_SUFFIX:
		return n >= g->len && !memcmp(lo + n - g->len, g->pat, g->len);
	case GLOB_CONTAINS:
		if (g->len >= 2 && (!has_bigram(bg, (unsigned char)g->pat[0], (unsigned char)g->pat[1]) ||
				    !has_bigram(bg, (unsigned char)g->pat[g->len - 2], (unsigned char)g->pat[g->len - 1])))
			return 0;
		return memmem(lo, n, g->pat, g->len) != NULL;
	case GLOB_STARS:
		return stars_match(g->pat, g->len, lo, n);
	case GLOB_FNMATCH:
		return fnmatch(g->pat, orig, FNM_CASEFOLD) == 0;
	}
	return 0;
}

/*
 * Which of column c's conditions value s (non-empty) satisfies. The value
 * is lower-cased once so the many infix patterns run as memmem.
 */
static wlmask wl_value_mask(const struct wl_compiled *w, size_t c, const char *s)
{
	char stack[512], *lo = stack;
	size_t n = strlen(s);
	if (n + 1 > sizeof stack)
		lo = xmalloc(n + 1);
	struct bigrams bg;
	memset(&bg, 0, sizeof bg);
	for (size_t i = 0; i < n; i++) {
		lo[i] = (char)lc((unsigned char)s[i]);
		if (i) {
			unsigned h = bigram((unsigned char)lo[i - 1], (unsigned char)lo[i]);
			bg.bits[h >> 6] |= 1ULL << (h & 63);
		}
	}
	lo[n] = 0;
	wlmask m = 0, conds = w->colconds[c];
	for (size_t b = 0; conds; b++, conds >>= 1) {
		if (!(conds & 1))
			continue;
		const struct globset *gs = b & 1 ? &w->c2[b / 2] : &w->c1[b / 2];
		for (size_t k = 0; k < gs->n; k++)
			if (glob_match_lower(&gs->g[k], lo, n, s, &bg)) {
				m |= (wlmask)1 << b;
				break;
			}
	}
	if (lo != stack)
		free(lo);
	return m;
}

static void wl_cache_grow(struct wl_compiled *w)
{
	size_t ncap = w->cap ? 2 * w->cap : 256;
	struct wl_cent *nt = xcalloc(ncap, sizeof *nt);
	for (size_t i = 0; i < w->cap; i++) {
		if (!w->tab[i].s)
			continue;
		size_t j = w->tab[i].h & (ncap - 1);
		while (nt[j].s)
			j = (j + 1) & (ncap - 1);
		nt[j] = w->tab[i];
	}
	free(w->tab);
	w->tab = nt;
	w->cap = ncap;
}

/*
 * What a tag key says: bits 0-7 = 1 + the class its name implies (0: none),
 * bit 8 = it is one of wl_tag_keys, whose value states the class.
 */
#define WL_TAGKEY_COL WL_NCOLS
static size_t canon(const char *s, char *out, size_t cap);
static wlmask wl_tagkey_info(const struct wl_compiled *w, const char *k)
{
	char key[64];
	wlmask info = 0;
	if (!canon(k, key, sizeof key))
		return 0;
	for (size_t i = 0; i < WL_NKEYPATS && !info; i++)
		if (globset_match(&w->keypats[i], key))
			info = 1 + (wlmask)wl_tag_keypats[i].wl;
	for (size_t i = 0; i < sizeof wl_tag_keys / sizeof wl_tag_keys[0]; i++)
		if (!strcmp(key, wl_tag_keys[i]))
			info |= 0x100;
	return info;
}

/* Cached wl_value_mask (c < WL_NCOLS) or wl_tagkey_info (c == WL_TAGKEY_COL). Caller holds cfg->lock. */
static wlmask wl_mask(struct wl_compiled *w, size_t c, const char *s)
{
	if (!s || !*s)
		return 0;
	/* nearly every line has its own ResourceId: caching those would only evict the useful entries */
	if (c < WL_NCOLS && wl_cols[c] == FC_RESOURCE_ID)
		return wl_value_mask(w, c, s);
	size_t len = strlen(s);
	uint64_t h = hash_str(s, len) ^ (0x9e3779b97f4a7c15ULL * (c + 1));
	h = h ? h : 1;
	if (w->cap) {
		size_t j = h & (w->cap - 1);
		for (; w->tab[j].s; j = (j + 1) & (w->cap - 1))
			if (w->tab[j].h == h && w->tab[j].col == c && w->tab[j].len == len && !memcmp(w->tab[j].s, s, len))
				return w->tab[j].mask;
	}
	wlmask m = c < WL_NCOLS ? wl_value_mask(w, c, s) : wl_tagkey_info(w, s);
	if (w->n >= WL_CACHE_MAX)
		return m;   /* bounded memory; unique ResourceIds past this are just computed */
	if (2 * (w->n + 1) > w->cap)
		wl_cache_grow(w);
	size_t j = h & (w->cap - 1);
	while (w->tab[j].s)
		j = (j + 1) & (w->cap - 1);
	w->tab[j] = (struct wl_cent){ h, chunk_dup(&w->strings, s, len), len, (unsigned)c, m };
	w->n++;
	return m;
}

/* Lower case without '-', '_', ' ' into out (cap bytes); 0 if it does not fit. */
static size_t canon(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s; s++) {
		if (*s == '-' || *s == '_' || *s == ' ')
			continue;
		if (o + 1 >= cap)
			return 0;
		out[o++] = (char)lc((unsigned char)*s);
	}
	out[o] = 0;
	return o;
}

enum workload alloc_workload_classify(const struct config *cfg, const struct alloc_line *l)
{
	/* the cache is the config's mutable part; cfg->lock guards it */
	struct wl_compiled *wm = cfg->wl;
	wlmask m = wm->always;
	enum workload tagged = WL_OTHER;

	pthread_mutex_lock((pthread_mutex_t *)&cfg->lock);
	/* tags that say what the workload is come first */
	for (size_t t = 0; t < l->ntags && tagged == WL_OTHER; t++) {
		wlmask info = wl_mask(wm, WL_TAGKEY_COL, l->tag_keys[t]);
		if (info & 0xff) {
			tagged = (enum workload)((info & 0xff) - 1);
			break;
		}
		const char *v = l->tag_vals[t];
		if (!(info & 0x100) || !v || !*v)
			continue;
		for (size_t j = 0; j < WL_NTAGVALS; j++)
			if (globset_match(&wm->tagvals[j], v)) {
				tagged = wl_tag_values[j].wl;
				break;
			}
	}
	if (tagged != WL_OTHER) {
		pthread_mutex_unlock((pthread_mutex_t *)&cfg->lock);
		return tagged;
	}
	for (size_t c = 0; c < WL_NCOLS; c++)
		m |= wl_mask(wm, c, l->vals[wl_cols[c]]);
	pthread_mutex_unlock((pthread_mutex_t *)&cfg->lock);
	for (size_t i = 0; i < WL_NRULES; i++, m >>= 2)
		if ((m & 3) == 3)
			return wl_rules[i].wl;
	return WL_OTHER;
}

/* ==== compiling the config ========================================================= */

static int cerr(const struct config *cfg, int line, int col, const char *path, const char *msg)
{
	return error("%s:%d:%d: %s: %s", cfg->path, line, col, path, msg);
}

int alloc_dim_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ndims; i++)
		if (!strcmp(cfg->dims[i].name, name))
			return (int)i;
	return -1;
}

size_t alloc_ndims(const struct config *cfg)
{
	return cfg->ndims;
}

const char *alloc_dim_name(const struct config *cfg, int dim)
{
	return dim >= 0 && (size_t)dim < cfg->ndims ? cfg->dims[dim].name : NULL;
}

static int resolve_match(struct config *cfg, struct alloc_match *m, const char *path)
{
	char msg[256], p[400];
	for (size_t i = 0; i < m->nterms; i++) {
		struct alloc_term *t = &m->terms[i];
		int how = -1, col;
		snprintf(p, sizeof p, "%s.%s", path, t->key);
		if (!strncmp(t->key, "tag:", 4)) {
			if (!t->key[4])
				return cerr(cfg, t->line, t->col, p, "'tag:' needs a tag key, e.g. tag:team");
			t->kind = MATCH_TAG;
			t->tag = t->key + 4;
			continue;
		}
		col = focus_col_lookup(t->key, strlen(t->key), &how);
		if (col >= 0 && how <= 1) {
			t->kind = MATCH_COL;
			t->id = col;
			continue;
		}
		int d = alloc_dim_find(cfg, t->key);
		if (d >= 0) {
			t->kind = MATCH_DIM;
			t->id = d;
			continue;
		}
		if (col >= 0) {
			t->kind = MATCH_COL;
			t->id = col;
			continue;
		}
		snprintf(msg, sizeof msg, "'%.80s' is not a FOCUS column, tag:KEY or allocation dimension", t->key);
		return cerr(cfg, t->line, t->col, p, msg);
	}
	return 0;
}

/* Normalize + intern a configured value (rule value, default, weight key). */
static int config_value(struct config *cfg, struct alloc_dim *d, const char *raw, const char **out,
			int line, int col, const char *path)
{
	const char *v = norm_intern(cfg, d, raw, strlen(raw));
	if (!v) {
		char msg[200];
		snprintf(msg, sizeof msg, "'%.80s' is empty once normalized", raw);
		return cerr(cfg, line, col, path, msg);
	}
	*out = v;
	return 0;
}

/* Colors for the cycle check: 0 unseen, 1 on the stack, 2 done. */
static int check_cycle(struct config *cfg, size_t i, char *color)
{
	struct alloc_dim *d = &cfg->dims[i];
	color[i] = 1;
	for (size_t r = 0; r < d->nrules; r++)
		for (size_t k = 0; k < d->rules[r].match.nterms; k++) {
			struct alloc_term *t = &d->rules[r].match.terms[k];
			if (t->kind != MATCH_DIM)
				continue;
			if (color[t->id] == 1) {
				char msg[300], p[300];
				snprintf(p, sizeof p, "allocation.dimensions.%s.rules[%zu].match.%s", d->name, r, t->key);
				snprintf(msg, sizeof msg, "dimension '%.60s' depends on itself through '%.60s' (a cycle)",
					 cfg->dims[t->id].name, d->name);
				return cerr(cfg, t->line, t->col, p, msg);
			}
			if (color[t->id] == 0 && check_cycle(cfg, (size_t)t->id, color) < 0)
				return -1;
		}
	color[i] = 2;
	return 0;
}

void alloc_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ndims; i++) {
		intern_free(cfg->dims[i].intern);
		cfg->dims[i].intern = NULL;
	}
	wl_free(cfg->wl);
	cfg->wl = NULL;
	cfg->compiled = 0;
}

int alloc_compile(struct config *cfg)
{
	char p[400];
	alloc_release(cfg);
	cfg->wl = wl_compile();
	for (size_t i = 0; i < cfg->ndims; i++)
		cfg->dims[i].intern = xcalloc(1, sizeof *cfg->dims[i].intern);

	for (size_t i = 0; i < cfg->ndims; i++) {
		struct alloc_dim *d = &cfg->dims[i];
		/* aliases first, so rule values and defaults resolve through them */
		for (size_t a = 0; a < d->naliases; a++) {
			const char *to;
			snprintf(p, sizeof p, "allocation.dimensions.%s.aliases.%s", d->name, d->alias_from[a]);
			if (config_value(cfg, d, d->alias_to[a], &to, d->line, d->col, p) < 0)
				return -1;
			char stack[512], *buf = strlen(d->alias_from[a]) + 1 > sizeof stack ?
				xmalloc(strlen(d->alias_from[a]) + 1) : stack;
			size_t cap = buf == stack ? sizeof stack : strlen(d->alias_from[a]) + 1;
			size_t len = alloc_normalize(d->normalize, d->alias_from[a], strlen(d->alias_from[a]), buf, cap);
			if (len) {
				struct ient *e = intern_entry(d->intern, buf, len);
				/* one step: an alias target is not itself re-aliased */
				if (e->s != to)
					e->alias = to;
			}
			if (buf != stack)
				free(buf);
		}
		for (size_t r = 0; r < d->nrules; r++) {
			struct alloc_rule *ru = &d->rules[r];
			snprintf(p, sizeof p, "allocation.dimensions.%s.rules[%zu].match", d->name, r);
			if (resolve_match(cfg, &ru->match, p) < 0)
				return -1;
			snprintf(p, sizeof p, "allocation.dimensions.%s.rules[%zu].value", d->name, r);
			if (config_value(cfg, d, ru->raw_value, &ru->value, ru->line, ru->col, p) < 0)
				return -1;
		}
		snprintf(p, sizeof p, "allocation.dimensions.%s.default", d->name);
		const char *def = d->raw_default ? d->raw_default : d->builtin_workload ? "other" : "unallocated";
		if (config_value(cfg, d, def, &d->deflt, d->line, d->col, p) < 0)
			return -1;
		if (d->builtin_workload)
			for (int w = 0; w < WL__COUNT; w++)
				if (config_value(cfg, d, workload_names[w], &d->wl_values[w], d->line, d->col, p) < 0)
					return -1;
	}

	char *color = xcalloc(cfg->ndims, 1);
	for (size_t i = 0; i < cfg->ndims; i++)
		if (!color[i] && check_cycle(cfg, i, color) < 0) {
			free(color);
			return -1;
		}
	free(color);

	for (size_t i = 0; i < cfg->nshared; i++) {
		struct shared_rule *s = &cfg->shared[i];
		snprintf(p, sizeof p, "allocation.shared[%zu].match", i);
		if (resolve_match(cfg, &s->match, p) < 0)
			return -1;
		s->over_dim = alloc_dim_find(cfg, s->over);
		if (s->over_dim < 0) {
			char msg[200];
			snprintf(p, sizeof p, "allocation.shared[%zu].over", i);
			snprintf(msg, sizeof msg, "'%.80s' is not an allocation dimension", s->over);
			return cerr(cfg, s->line, s->col, p, msg);
		}
		struct alloc_dim *od = &cfg->dims[s->over_dim];
		for (size_t k = 0; k < s->nweights; k++) {
			snprintf(p, sizeof p, "allocation.shared[%zu].weights.%s", i, s->weight_raw[k]);
			if (config_value(cfg, od, s->weight_raw[k], &s->weight_values[k], s->line, s->col, p) < 0)
				return -1;
		}
	}
	cfg->compiled = 1;
	return 0;
}

void alloc_match_release(struct alloc_match *m)
{
	for (size_t i = 0; i < m->nterms; i++) {
		for (size_t j = 0; j < m->terms[i].nglobs; j++)
			alloc_glob_release(&m->terms[i].globs[j]);
		free(m->terms[i].globs);
		free(m->terms[i].key);
	}
	free(m->terms);
	m->terms = NULL;
	m->nterms = 0;
}

/* ==== evaluation ===================================================================== */

static const char *tag_exact(const struct alloc_line *l, const char *key)
{
	return tags_find(l->tag_keys, l->tag_vals, l->ntags, key);
}

/* Does tag key s equal canonical key c, ignoring case, '-', '_' and ' '? */
static int canon_eq(const char *s, const char *c)
{
	for (;; s++) {
		if (*s == '-' || *s == '_' || *s == ' ')
			continue;
		if (lc((unsigned char)*s) != (unsigned char)*c)
			return 0;
		if (!*s)
			return 1;
		c++;
	}
}

/*
 * First configured tag key present with a value that survives
 * normalization. Exact keys first, in the listed order, then the same keys
 * compared loosely (case, '-', '_', ' '), so `Team`, `team_` and ` team`
 * from messy sources still count but an exact key is always preferred.
 */
static const char *from_tags(const struct config *cfg, const struct alloc_dim *d, const struct alloc_line *l)
{
	for (size_t k = 0; k < d->ntags; k++) {
		const char *v = tag_exact(l, d->tags[k]);
		if (v && *v) {
			const char *r = norm_intern(cfg, d, v, strlen(v));
			if (r)
				return r;
		}
	}
	for (size_t k = 0; k < d->ntags; k++)
		for (size_t t = 0; t < l->ntags; t++) {
			const char *v = l->tag_vals[t];
			if (!v || !*v || !canon_eq(l->tag_keys[t], d->tags_canon[k]))
				continue;
			const char *r = norm_intern(cfg, d, v, strlen(v));
			if (r)
				return r;
		}
	return NULL;
}

const char *alloc_eval(const struct config *cfg, int dim, const struct alloc_line *l, int *is_default)
{
	int dummy;
	if (!is_default)
		is_default = &dummy;
	*is_default = 0;
	if (dim < 0 || (size_t)dim >= cfg->ndims) {
		*is_default = 1;
		return "unallocated";
	}
	const struct alloc_dim *d = &cfg->dims[dim];
	/* the unconfigured workload dimension is the heuristic alone: its tags are read there */
	if (!d->builtin_workload || d->configured) {
		const char *v = from_tags(cfg, d, l);
		if (v)
			return v;
		for (size_t r = 0; r < d->nrules; r++)
			if (alloc_match(cfg, &d->rules[r].match, l))
				return d->rules[r].value;
	}
	if (d->builtin_workload) {
		enum workload w = alloc_workload_classify(cfg, l);
		if (w != WL_OTHER)
			return d->wl_values[w];
	}
	*is_default = 1;
	return d->deflt;
}

int alloc_match(const struct config *cfg, const struct alloc_match *m, const struct alloc_line *l)
{
	for (size_t i = 0; i < m->nterms; i++) {
		const struct alloc_term *t = &m->terms[i];
		const char *v = NULL;
		int isdef = 0;
		switch (t->kind) {
		case MATCH_COL:
			v = l->vals[t->id];
			break;
		case MATCH_TAG:
			v = tag_exact(l, t->tag);
			break;
		case MATCH_DIM:
			v = alloc_eval(cfg, t->id, l, &isdef);
			break;
		}
		int ok = 0;
		for (size_t g = 0; g < t->nglobs && !ok; g++)
			/* for a dimension, "" means "fell to the default" */
			ok = alloc_glob_match(&t->globs[g], v) || (isdef && t->globs[g].kind == GLOB_EMPTY);
		if (!ok)
			return 0;
	}
	return 1;
}
