/*
 * gpu_ingest.c - samples -> daily rollups; the file ingest of `ingest gpu`.
 * See gpu_ingest.h for the time model. The accumulator owns everything it
 * allocates; ident strings are copied into its dictionaries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "core/gpu_ingest.h"
#include "formats/input.h"
#include "store/store.h"
#include "util/dict.h"
#include "util/err.h"

struct series {
	int64_t t, last_dt;      /* last sample time; its last interval within max_gap (0 = none) */
	double v;
	int have;
};

struct util_part {           /* GM_ACTIVE, used when a rollup has no GM_UTIL */
	uint32_t n;
	double covered_s, util_s, util_min, util_max;
	uint32_t hist[GPU_HIST_BINS];
};

/* Utilisation by UTC hour of a rollup (recommend's stop schedules), GM_UTIL and GM_ACTIVE apart. */
struct hour_part {
	float cov[24], util[24], acov[24], autil[24];
};

struct gpu_acc {
	struct store *st;
	struct gpu_acc_opts o;
	struct dict dev_ids, lbl_ids;     /* ident text -> store id */
	struct dict ser_ids;              /* (device, labels, metric) -> series index */
	struct series *ser;
	size_t nser;
	struct dict roll_ids;             /* (day, device, labels) -> rollup index */
	struct gpu_daily_rec *roll;
	struct util_part *act;
	struct hour_part *hours;
	unsigned char *dirty;
	size_t nroll;
	int64_t source_id;
	struct dict cov_ids;              /* (day, device) -> what other sources cover */
	uint8_t (*cov)[GPU_COVER_BYTES];
	size_t ncov;
	struct gpu_acc_stats stats;
};

struct gpu_acc *gpu_acc_new(struct store *st, const struct gpu_acc_opts *o)
{
	struct gpu_acc *a = xcalloc(1, sizeof *a);
	a->st = st;
	if (o)
		a->o = *o;
	if (a->o.max_gap_ms <= 0)
		a->o.max_gap_ms = 600000;
	if (a->o.default_interval_ms <= 0)
		a->o.default_interval_ms = 60000;
	if (a->o.default_interval_ms > a->o.max_gap_ms)
		a->o.default_interval_ms = a->o.max_gap_ms;
	dict_init(&a->dev_ids);
	dict_init(&a->lbl_ids);
	dict_init(&a->ser_ids);
	dict_init(&a->roll_ids);
	dict_init(&a->cov_ids);
	a->source_id = -1;
	a->stats.min_day = INT32_MAX;
	a->stats.max_day = INT32_MIN;
	return a;
}

void gpu_acc_free(struct gpu_acc *a)
{
	if (!a)
		return;
	dict_release(&a->dev_ids);
	dict_release(&a->lbl_ids);
	dict_release(&a->ser_ids);
	dict_release(&a->roll_ids);
	dict_release(&a->cov_ids);
	free(a->cov);
	free(a->ser);
	free(a->roll);
	free(a->act);
	free(a->hours);
	free(a->dirty);
	free(a);
}

static size_t rollup(struct gpu_acc *a, int32_t day, uint32_t dev, uint32_t lbl)
{
	uint32_t key[3] = { (uint32_t)day, dev, lbl }, id;
	uint64_t h = hash_bytes(key, sizeof key);
	if (dict_get(&a->roll_ids, key, sizeof key, h, &id))
		return id;
	if ((a->nroll & (a->nroll - 1)) == 0) {
		size_t cap = a->nroll ? a->nroll * 2 : 16;
		a->roll = xrealloc(a->roll, cap * sizeof *a->roll);
		a->act = xrealloc(a->act, cap * sizeof *a->act);
		a->hours = xrealloc(a->hours, cap * sizeof *a->hours);
		a->dirty = xrealloc(a->dirty, cap);
	}
	struct gpu_daily_rec *r = &a->roll[a->nroll];
	memset(r, 0, sizeof *r);
	memset(&a->act[a->nroll], 0, sizeof a->act[0]);
	memset(&a->hours[a->nroll], 0, sizeof a->hours[0]);
	a->dirty[a->nroll] = 0;
	r->day = day;
	r->device_id = dev;
	r->labels_id = lbl;
	dict_put(&a->roll_ids, key, sizeof key, h, (uint32_t)a->nroll);
	if (day < a->stats.min_day)
		a->stats.min_day = day;
	if (day > a->stats.max_day)
		a->stats.max_day = day;
	return a->nroll++;
}

static int32_t day_of(int64_t ms)
{
	int64_t d = ms / 86400000;
	if (ms < 0 && d * 86400000 != ms)
		d--;
	return (int32_t)d;
}

static void util_add(uint32_t *n, double *cov, double *us, double *mn, double *mx, uint32_t *hist, double v, int64_t d)
{
	double s = (double)d / 1000;
	if (!*n || v < *mn)
		*mn = v;
	if (!*n || v > *mx)
		*mx = v;
	(*n)++;
	*cov += s;
	*us += v * s;
	int b = v >= 100 ? 100 : (int)v;
	hist[b] += (uint32_t)d;
}

/* The sample (t, v) of a series stands for d ms. */
static void emit(struct gpu_acc *a, uint32_t dev, uint32_t lbl, int metric, int64_t t, int64_t d, double v)
{
	size_t i = rollup(a, day_of(t), dev, lbl);
	struct gpu_daily_rec *r = &a->roll[i];
	double s = (double)d / 1000;
	/* The hour the sample starts in stands for all of it (a sample spans at most max_gap). */
	int hr = (int)((t - (int64_t)r->day * 86400000) / 3600000);
	struct hour_part *hp = &a->hours[i];
	a->dirty[i] = 1;
	a->stats.used++;
	switch (metric) {
	case GM_UTIL:
		util_add(&r->n, &r->covered_s, &r->util_s, &r->util_min, &r->util_max, r->hist, v, d);
		if (hr >= 0 && hr < 24)
			hp->cov[hr] += (float)s, hp->util[hr] += (float)(v * s);
		break;
	case GM_ACTIVE: {
		struct util_part *u = &a->act[i];
		util_add(&u->n, &u->covered_s, &u->util_s, &u->util_min, &u->util_max, u->hist, v, d);
		if (hr >= 0 && hr < 24)
			hp->acov[hr] += (float)s, hp->autil[hr] += (float)(v * s);
		break;
	}
	case GM_MEM_USED:
		r->mem_used_s += v * s;
		r->mem_s += s;
		break;
	case GM_MEM_FREE:
		r->mem_free_s += v * s;
		break;
	case GM_POWER:
		r->power_j += v * s;
		r->power_s += s;
		break;
	}
}

static int ident_id(struct gpu_acc *a, struct dict *dct, const char *k, size_t n, const struct gpu_ident *id,
		    int dev, uint32_t *out)
{
	uint64_t h = hash_bytes(k, n);
	if (dict_get(dct, k, n, h, out))
		return 0;
	int rc = dev ? a->st->ops->gpu_device_get(a->st, id->host, id->uuid, id->index, id->model, out)
		     : a->st->ops->gpu_labels_get(a->st, id->pod, id->ns, id->container, out);
	if (rc < 0)
		return -1;
	if (*out >= (1u << 30))
		return error("too many GPU devices or label sets in one ledger");
	dict_put(dct, k, n, h, *out);
	if (dev)
		a->stats.devices++;
	return 0;
}

void gpu_acc_set_source(struct gpu_acc *a, int64_t source_id)
{
	a->source_id = source_id;
}

/* What other sources cover of (day, device); NULL after reporting. */
static const uint8_t *others(struct gpu_acc *a, int32_t day, uint32_t dev)
{
	uint32_t k[2] = { (uint32_t)day, dev }, id;
	uint64_t h = hash_bytes(k, sizeof k);
	if (dict_get(&a->cov_ids, k, sizeof k, h, &id))
		return a->cov[id];
	if ((a->ncov & (a->ncov - 1)) == 0)
		a->cov = xrealloc(a->cov, (a->ncov ? a->ncov * 2 : 16) * sizeof *a->cov);
	if (a->st->ops->gpu_cover_get(a->st, day, dev, a->source_id, a->cov[a->ncov]) < 0)
		return NULL;
	dict_put(&a->cov_ids, k, sizeof k, h, (uint32_t)a->ncov);
	return a->cov[a->ncov++];
}

int gpu_acc_sample(void *arg, const struct gpu_ident *id, int64_t t, int metric, double v)
{
	struct gpu_acc *a = arg;
	char k[1100];
	uint32_t dev, lbl;
	a->stats.values++;
	if (metric < 0 || metric >= GM__COUNT)
		return 0;
	int n = snprintf(k, sizeof k, "%.255s\x1f%.255s\x1f%d\x1f%.255s", id->host, id->uuid, id->index, id->model);
	if (ident_id(a, &a->dev_ids, k, (size_t)n < sizeof k ? (size_t)n : sizeof k - 1, id, 1, &dev) < 0)
		return -1;
	n = snprintf(k, sizeof k, "%.255s\x1f%.255s\x1f%.255s", id->pod, id->ns, id->container);
	if (ident_id(a, &a->lbl_ids, k, (size_t)n < sizeof k ? (size_t)n : sizeof k - 1, id, 0, &lbl) < 0)
		return -1;
	int32_t day = day_of(t);
	unsigned slot = (unsigned)((t - (int64_t)day * 86400000) / GPU_SLOT_MS);
	const uint8_t *oc = others(a, day, dev);
	if (!oc)
		return -1;
	if (oc[slot / 8] & (1u << (slot % 8))) {
		a->stats.overlaps++;
		return 0;
	}
	size_t ri = rollup(a, day, dev, lbl);
	a->roll[ri].cover[slot / 8] |= (uint8_t)(1u << (slot % 8));
	uint32_t sk[3] = { dev, lbl, (uint32_t)metric }, si;
	uint64_t h = hash_bytes(sk, sizeof sk);
	if (!dict_get(&a->ser_ids, sk, sizeof sk, h, &si)) {
		if ((a->nser & (a->nser - 1)) == 0)
			a->ser = xrealloc(a->ser, (a->nser ? a->nser * 2 : 16) * sizeof *a->ser);
		memset(&a->ser[a->nser], 0, sizeof a->ser[0]);
		si = (uint32_t)a->nser++;
		dict_put(&a->ser_ids, sk, sizeof sk, h, si);
	}
	struct series *s = &a->ser[si];
	if (s->have) {
		if (t <= s->t) {
			a->stats.duplicates++;
			return 0;
		}
		int64_t dt = t - s->t;
		if (metric == GM_ENERGY) {
			/* A counter: what it rose by between samples close enough together (a reset is no energy). */
			if (dt <= a->o.max_gap_ms && v >= s->v) {
				size_t i = rollup(a, day_of(s->t), dev, lbl);
				a->roll[i].energy_mj += v - s->v;
				a->dirty[i] = 1;
				a->stats.used++;
			}
		} else {
			int64_t nominal = s->last_dt ? s->last_dt : a->o.default_interval_ms;
			emit(a, dev, lbl, metric, s->t, dt <= a->o.max_gap_ms ? dt : nominal, s->v);
		}
		if (dt <= a->o.max_gap_ms)
			s->last_dt = dt;
	}
	s->t = t;
	s->v = v;
	s->have = 1;
	return 0;
}

void gpu_acc_finish(struct gpu_acc *a)
{
	for (size_t d = 0; d < a->ser_ids.cap; d++) {
		const struct dict_slot *sl = &a->ser_ids.slots[d];
		if (!sl->hash)
			continue;
		uint32_t sk[3];
		memcpy(sk, dict_key(&a->ser_ids, sl), sizeof sk);
		struct series *s = &a->ser[sl->val];
		if (!s->have)
			continue;
		if (sk[2] != GM_ENERGY)
			emit(a, sk[0], sk[1], (int)sk[2], s->t, s->last_dt ? s->last_dt : a->o.default_interval_ms, s->v);
		s->have = 0;
		s->last_dt = 0;
	}
}

static int load_one(void *arg, const struct gpu_daily_rec *r)
{
	struct gpu_acc *a = arg;
	size_t i = rollup(a, r->day, r->device_id, r->labels_id);
	a->roll[i] = *r;
	return 0;
}

/* A stored hour profile goes with its rollup (GM_UTIL or GM_ACTIVE: whichever the rollup used). */
static int load_hours(void *arg, const struct gpu_hourly_rec *h)
{
	struct gpu_acc *a = arg;
	uint32_t key[3] = { (uint32_t)h->day, h->device_id, h->labels_id }, id;
	if (!dict_get(&a->roll_ids, key, sizeof key, hash_bytes(key, sizeof key), &id))
		return 0;
	memcpy(a->hours[id].cov, h->covered_s, sizeof a->hours[id].cov);
	memcpy(a->hours[id].util, h->util_s, sizeof a->hours[id].util);
	return 0;
}

int gpu_acc_load(struct gpu_acc *a, int64_t source_id)
{
	if (a->st->ops->gpu_daily_scan(a->st, INT32_MIN, INT32_MAX, source_id, load_one, a) < 0)
		return -1;
	return a->st->ops->gpu_hourly_scan(a->st, INT32_MIN, INT32_MAX, source_id, load_hours, a) < 0 ? -1 : 0;
}

int gpu_acc_write(struct gpu_acc *a, int64_t source_id)
{
	for (size_t i = 0; i < a->nroll; i++) {
		if (!a->dirty[i])
			continue;
		struct gpu_daily_rec r = a->roll[i];
		const struct util_part *u = &a->act[i];
		const struct hour_part *hp = &a->hours[i];
		struct gpu_hourly_rec hr = { .day = r.day, .device_id = r.device_id, .labels_id = r.labels_id,
					     .source_id = source_id };
		memcpy(hr.covered_s, hp->cov, sizeof hr.covered_s);
		memcpy(hr.util_s, hp->util, sizeof hr.util_s);
		if (r.covered_s == 0 && u->covered_s > 0) {
			memcpy(hr.covered_s, hp->acov, sizeof hr.covered_s);
			memcpy(hr.util_s, hp->autil, sizeof hr.util_s);
			r.n = u->n;
			r.covered_s = u->covered_s;
			r.util_s = u->util_s;
			r.util_min = u->util_min;
			r.util_max = u->util_max;
			memcpy(r.hist, u->hist, sizeof r.hist);
		}
		r.source_id = source_id;
		if (a->st->ops->gpu_daily_put(a->st, &r) < 0)
			return -1;
		int any = 0;
		for (int h = 0; h < 24; h++)
			any |= hr.covered_s[h] > 0;
		if (any && a->st->ops->gpu_hourly_put(a->st, &hr) < 0)
			return -1;
		a->dirty[i] = 0;
	}
	a->stats.rollups = a->nroll;
	return 0;
}

void gpu_acc_stats(const struct gpu_acc *a, struct gpu_acc_stats *out)
{
	*out = a->stats;
	out->rollups = a->nroll;
}

/* ---- one file ------------------------------------------------------------- */

static int slurp(const char *path, char **buf, size_t *n, char sha[65], int64_t *mtime_ms)
{
	struct input *in = input_open(path);
	if (!in)
		return -1;
	size_t cap = 1 << 16, len = 0;
	char *b = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= GPU_INPUT_MAX) {
				error("%s: larger than %zu MiB: split the export", path, GPU_INPUT_MAX >> 20);
				goto fail;
			}
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
		ssize_t r = input_read(in, b + len, cap - len);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	input_sha256(in, sha);
	input_close(in);
	struct stat sb;
	*mtime_ms = strcmp(path, "-") != 0 && stat(path, &sb) == 0 ? (int64_t)sb.st_mtime * 1000
								    : (int64_t)time(NULL) * 1000;
	*buf = b;
	*n = len;
	return 0;
fail:
	free(b);
	input_close(in);
	return -1;
}

int gpu_ingest_file(struct store *st, const char *path, const struct gpu_ingest_opts *o, struct gpu_ingest_result *res)
{
	char *buf = NULL;
	size_t n = 0;
	int64_t mtime;
	struct gpu_acc *a = NULL;
	int rc = -1, in_tx = 0;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;

	memset(res, 0, sizeof *res);
	if (slurp(path, &buf, &n, res->sha256, &mtime) < 0)
		return -1;
	res->format = gpu_detect(buf, n);
	if (st->ops->begin(st) < 0)
		goto out;
	in_tx = 1;
	int f = st->ops->source_find(st, res->sha256, &res->source_id);
	if (f < 0)
		goto out;
	if (f > 0) {
		res->duplicate = 1;
		rc = 0;
		goto out;
	}
	struct source_rec src = { 0 };
	char now[32];
	time_t tn = time(NULL);
	struct tm tm;
	gmtime_r(&tn, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	src.kind = "gpu";
	src.path = name;
	snprintf(src.sha256, sizeof src.sha256, "%s", res->sha256);
	src.bytes = n;
	src.batch = (int64_t)tn;
	src.ingested_at = now;
	if (st->ops->source_add(st, &src) < 0)
		goto out;
	a = gpu_acc_new(st, &o->acc);
	gpu_acc_set_source(a, src.id);
	int pr;
	switch (res->format) {
	case GPU_FMT_PROMJSON:
		pr = gpu_parse_promjson(buf, n, name, o->host, gpu_acc_sample, a);
		break;
	case GPU_FMT_EXPO:
		pr = gpu_parse_expo(buf, n, name, o->host, o->at_ms ? o->at_ms : mtime, gpu_acc_sample, a);
		break;
	default:
		pr = gpu_parse_smi(buf, n, name, o->host, gpu_acc_sample, a);
		break;
	}
	if (pr != 0)
		goto out;
	gpu_acc_finish(a);
	if (gpu_acc_write(a, src.id) < 0)
		goto out;
	gpu_acc_stats(a, &res->stats);
	char warn[160];
	snprintf(warn, sizeof warn, "{\"format\":\"%s\",\"duplicate_samples\":%" PRIu64 ",\"overlapping_samples\":%" PRIu64 "}",
		 gpu_format_name(res->format), res->stats.duplicates, res->stats.overlaps);
	src.rows_total = res->stats.values;
	src.rows_accepted = res->stats.values - res->stats.duplicates - res->stats.overlaps;
	src.rows_rejected = 0;
	src.warnings_json = warn;
	src.extras_json = "[]";
	src.min_day = res->stats.min_day <= res->stats.max_day ? res->stats.min_day : 0;
	src.max_day = res->stats.min_day <= res->stats.max_day ? res->stats.max_day : 0;
	if (st->ops->source_update(st, &src) < 0 || st->ops->commit(st) < 0)
		goto out;
	in_tx = 0;
	res->source_id = src.id;
	rc = 0;
out:
	if (in_tx) {
		if (rc == 0 && res->duplicate)
			st->ops->commit(st);
		else
			st->ops->rollback(st);
	}
	gpu_acc_free(a);
	free(buf);
	return rc;
}
