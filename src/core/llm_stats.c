/*
 * llm_stats.c - request-log records -> per (group, day) request statistics;
 * see llm_stats.h. Three dictionaries: group-days, (group-day, prompt hash)
 * and (group-day, prefix hash) seen, and (group-day, size classes) cells.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "core/llm_stats.h"
#include "core/prices.h"
#include "formats/llm_usage.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

_Static_assert(LLM_STAT_DIRS == LD__COUNT, "store.h LLM_STAT_DIRS must match enum llm_dir");

int llm_size_class(uint64_t t)
{
	if (!t)
		return 0;
	int b = 1 + (int)floor(4.0 * log2((double)t));
	return b >= LLM_SIZE_CLASSES ? LLM_SIZE_CLASSES - 1 : b;
}

uint64_t llm_size_class_max(int b)
{
	if (b <= 0)
		return 0;
	if (b >= LLM_SIZE_CLASSES - 1)
		return UINT64_MAX;
	/* The largest t with class(t) == b: walk down from the class's upper edge (exact whatever log2 rounds). */
	uint64_t t = (uint64_t)ceil(pow(2.0, b / 4.0)) + 1;
	while (t > 0 && llm_size_class(t) > b)
		t--;
	return t;
}

struct group {
	struct llm_stat_rec r;
	char *key;               /* provider, model, sub account, tags joined by 0x1f (owned) */
	size_t ncells, cap;
	struct llm_stat_cell *cells;
};

/*
 * Memory bound: the prompt and prefix hashes of one file are kept to find
 * repeats (about 50 bytes each). Past LLM_STATS_MAX_SEEN distinct ones, new
 * hashes are not remembered (repeats of them are not counted) and the writer
 * warns once.
 */
#define LLM_STATS_MAX_SEEN 2000000

struct llm_stats {
	int full;                /* the seen set reached LLM_STATS_MAX_SEEN */
	struct dict ids;         /* day + key -> group index */
	struct group *g;
	size_t n;
	struct dict tags;        /* metadata text -> filtered text index */
	char **ftags;
	size_t nftags;
	struct dict seen;        /* (group, 'p'|'x', hash) */
	struct dict cell_ids;    /* (group, in class, out class) -> cell index in the group */
};

struct llm_stats *llm_stats_new(void)
{
	struct llm_stats *s = xcalloc(1, sizeof *s);
	dict_init(&s->ids);
	dict_init(&s->tags);
	dict_init(&s->seen);
	dict_init(&s->cell_ids);
	return s;
}

void llm_stats_free(struct llm_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->g[i].key);
		free(s->g[i].cells);
	}
	free(s->g);
	for (size_t i = 0; i < s->nftags; i++)
		free(s->ftags[i]);
	free(s->ftags);
	dict_release(&s->ids);
	dict_release(&s->tags);
	dict_release(&s->seen);
	dict_release(&s->cell_ids);
	free(s);
}

/* Metadata tags without per-user/per-request keys, canonical (sorted keys); cached per distinct text. */
static const char *group_tags(struct llm_stats *s, const char *tags)
{
	static const char *const drop[] = { "user", "user_id", "end_user", "end_user_id", "session_id",
					    "request_id", "trace_id", "conversation_id" };
	if (!tags || !*tags)
		return "";
	size_t n = strlen(tags);
	uint64_t h = hash_bytes(tags, n);
	uint32_t id;
	if (dict_get(&s->tags, tags, n, h, &id))
		return s->ftags[id];
	json_error_t je;
	json_t *o = json_loads(tags, 0, &je);
	char *out = NULL;
	if (json_is_object(o)) {
		for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
			json_object_del(o, drop[i]);
		out = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	}
	json_decref(o);
	if (!out)
		out = xstrdup("");
	s->ftags = xrealloc(s->ftags, (s->nftags + 1) * sizeof *s->ftags);
	s->ftags[s->nftags] = out;
	dict_put(&s->tags, tags, n, h, (uint32_t)s->nftags++);
	return out;
}

static int64_t floor_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

static size_t group_of(struct llm_stats *s, const struct llm_record *r, int32_t day)
{
	const char *tags = group_tags(s, r->tags);
	const char *parts[4] = { r->provider ? r->provider : "", r->model ? r->model : "",
				 r->sub_account ? r->sub_account : "", tags };
	size_t len = 4;
	for (int i = 0; i < 4; i++)
		len += strlen(parts[i]) + 1;
	char *k = xmalloc(len);
	memcpy(k, &day, 4);
	size_t o = 4;
	for (int i = 0; i < 4; i++) {
		size_t pn = strlen(parts[i]);
		memcpy(k + o, parts[i], pn);
		o += pn;
		k[o++] = i < 3 ? '\x1f' : 0;
	}
	uint64_t h = hash_bytes(k, o - 1);
	uint32_t id;
	if (dict_get(&s->ids, k, o - 1, h, &id)) {
		free(k);
		return id;
	}
	dict_put(&s->ids, k, o - 1, h, (uint32_t)s->n);
	if ((s->n & (s->n - 1)) == 0)
		s->g = xrealloc(s->g, (s->n ? s->n * 2 : 16) * sizeof *s->g);
	struct group *g = &s->g[s->n];
	memset(g, 0, sizeof *g);
	g->key = k;
	g->r.day = day;
	/* The parts inside key (after the day), NUL-separated for the writer. */
	char *p = k + 4;
	const char **f[4] = { &g->r.provider, &g->r.model, &g->r.sub_account, &g->r.tags };
	for (int i = 0; i < 4; i++) {
		*f[i] = p;
		p += strlen(parts[i]);
		*p++ = 0;
	}
	return s->n++;
}

/* 1 when (group, kind, hash) was seen before; records it otherwise. */
static int seen(struct llm_stats *s, size_t g, char kind, uint64_t hash)
{
	unsigned char k[13];
	uint32_t gi = (uint32_t)g, v;
	memcpy(k, &gi, 4);
	k[4] = (unsigned char)kind;
	memcpy(k + 5, &hash, 8);
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&s->seen, k, sizeof k, h, &v))
		return 1;
	if (s->seen.n >= LLM_STATS_MAX_SEEN) {
		s->full = 1;
		return 0;
	}
	dict_put(&s->seen, k, sizeof k, h, 1);
	return 0;
}

void llm_stats_add(struct llm_stats *s, const struct llm_record *r)
{
	/* A gateway cache answered it: no provider call, nothing left to save on it. */
	if (r->cache_hit)
		return;
	int32_t day = (int32_t)floor_day(r->start);
	size_t gi = group_of(s, r, day);
	struct group *g = &s->g[gi];
	struct llm_stat_rec *st = &g->r;
	const uint64_t *t = r->u.tokens;
	uint64_t n = r->u.requests ? r->u.requests : 1;
	uint64_t prompt = t[LD_INPUT] + t[LD_CACHE_READ] + t[LD_CACHE_WRITE] + t[LD_CACHE_WRITE_1H];
	uint64_t out = t[LD_OUTPUT] + t[LD_REASONING];

	st->requests += n;
	if (r->stream >= 0) {
		st->stream_known += n;
		st->streamed += r->stream ? n : 0;
	}
	st->with_user += r->has_user ? n : 0;
	st->batch_tier += r->u.tier == LT_BATCH ? n : 0;
	int64_t sec = r->start - (int64_t)day * 86400;
	st->hour[sec >= 0 && sec < 86400 ? sec / 3600 : 0] += n;
	if (r->prompt_h) {
		st->hashed += n;
		if (seen(s, gi, 'p', r->prompt_h)) {
			st->dup_requests += n;
			for (int d = 0; d < LD__COUNT; d++)
				st->dup_tok[d] += t[d];
		}
	}
	if (r->prefix_h && r->prefix_chars) {
		/* The prefix's share of the prompt's characters, applied to its tokens (about 4 characters a token). */
		uint64_t pt = r->prompt_chars ? (uint64_t)llround((double)prompt * (double)r->prefix_chars /
								  (double)r->prompt_chars)
					      : r->prefix_chars / 4;
		if (pt > prompt)
			pt = prompt;
		if (pt >= LLM_CACHE_MIN_TOKENS) {
			st->prefixed += n;
			if (!seen(s, gi, 'x', r->prefix_h))
				st->prefix_first_tokens += pt;
			else if (!t[LD_CACHE_READ]) {
				/* A repeat the provider did not serve from its cache. */
				st->prefix_repeat += n;
				st->prefix_repeat_tokens += pt;
			}
		}
	}
	/* Size classes are per request: an aggregated record falls in the class of its average. */
	unsigned char k[6];
	uint32_t gk = (uint32_t)gi, ci;
	k[0] = (unsigned char)llm_size_class(prompt / n);
	k[1] = (unsigned char)llm_size_class(out / n);
	memcpy(k + 2, &gk, 4);
	uint64_t h = hash_bytes(k, sizeof k);
	if (!dict_get(&s->cell_ids, k, sizeof k, h, &ci)) {
		if (g->ncells == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 8;
			g->cells = xrealloc(g->cells, g->cap * sizeof *g->cells);
		}
		ci = (uint32_t)g->ncells++;
		memset(&g->cells[ci], 0, sizeof g->cells[ci]);
		g->cells[ci].in_b = k[0];
		g->cells[ci].out_b = k[1];
		dict_put(&s->cell_ids, k, sizeof k, h, ci);
	}
	struct llm_stat_cell *c = &g->cells[ci];
	c->n += n;
	for (int d = 0; d < LD__COUNT; d++)
		c->tok[d] += t[d];
}

int llm_stats_write(struct llm_stats *s, struct store *st, int64_t source_id)
{
	if (s->full)
		warning("request log: more than %d distinct prompts and prefixes in one file: repeats of the later ones"
			" are not counted for recommend (split the log by day)", LLM_STATS_MAX_SEEN);
	for (size_t i = 0; i < s->n; i++) {
		struct group *g = &s->g[i];
		g->r.source_id = source_id;
		g->r.cells = g->cells;
		g->r.ncells = g->ncells;
		if (st->ops->llm_stat_put(st, &g->r) < 0)
			return -1;
	}
	return 0;
}
